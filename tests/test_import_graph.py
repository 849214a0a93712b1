"""The import graph of the library follows the layout's one-way rules (DESIGN.md "Layout"): components never import
blueprints, `gcp` and `aws` never import each other, `serving` never imports a cloud package, `policies` import
nothing of the components, and the catalog and the version pins import nothing of ours."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Source folder -> the package it installs as (pyproject's package-dir mapping).
ROOTS = {
    "components": "pulumi_llmd.components",
    "blueprints": "pulumi_llmd.blueprints",
    "policies": "pulumi_llmd.policies",
    "src/pulumi_llmd": "pulumi_llmd",
}
#: Component helpers every component area may use (shared types and pure helpers, no cloud SDK).
HELPERS = {"components.base", "components.kube", "components.quantity", "components.models", "components.startup"}
#: Area -> the areas of ours it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "components.catalog": set(),
    "components.versions": set(),
    "components.quantity": set(),
    "components.base": {"components.catalog", "components.quantity"},
    "components.kube": {"components.base", "components.catalog", "components.versions"},
    "components.models": {"components.catalog", "components.quantity", "components.versions"},
    "components.startup": {"components.catalog", "components.models", "components.quantity", "components.versions"},
    "components.gcp": {"components.catalog", "components.versions", *HELPERS},
    "components.aws": {"components.catalog", "components.versions", *HELPERS},
    "components.cluster": {"components.catalog", "components.versions", *HELPERS},
    "components.platform": {"components.catalog", "components.versions", *HELPERS},
    "components.serving": {"components.catalog", "components.versions", *HELPERS},
    "policies": {"redact"},
    "redact": set(),
}


def _area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "pulumi_llmd" or len(parts) < 2:
        return None
    if parts[1] == "components":
        return "components." + parts[2] if len(parts) > 2 else "components"
    return parts[1]


def _imports(path: Path) -> Iterator[str]:
    """The ``pulumi_llmd`` modules a file imports (``from pulumi_llmd.components import gcp`` counts as
    ``pulumi_llmd.components.gcp``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pulumi_llmd"):
            if node.module == "pulumi_llmd.components":
                yield from (f"pulumi_llmd.components.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("pulumi_llmd"))


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for folder, package in ROOTS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            module = ".".join((package, *parts)).removesuffix(".__init__")
            source = _area(module)
            if source is None:
                continue
            targets = {_area(m) for m in _imports(path)}
            edges.setdefault(source, set()).update(t for t in targets if t is not None and t != source)
    return edges


EDGES = _edges()


@pytest.mark.parametrize("area", sorted(ALLOWED))
def test_area_imports_only_what_the_layout_allows(area: str) -> None:
    assert area in EDGES, f"no module found for {area}"
    assert EDGES[area] <= ALLOWED[area], f"{area} imports {sorted(EDGES[area] - ALLOWED[area])}"


def test_no_component_imports_blueprints_policies_or_the_render() -> None:
    for source, targets in EDGES.items():
        if source.startswith("components"):
            assert not targets & {"blueprints", "policies", "render", "twin", "cli"}, (source, targets)


def test_the_rules_catch_a_forbidden_edge() -> None:
    """The scanner sees a cross-cloud import (so the tests above can fail)."""
    probe = ast.parse("from pulumi_llmd.components import aws\nfrom pulumi_llmd.blueprints.config import X\n")
    found = {
        _area(f"pulumi_llmd.components.{a.name}" if n.module == "pulumi_llmd.components" else str(n.module))
        for n in probe.body
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    }
    assert found == {"components.aws", "blueprints"}
    assert not found <= ALLOWED["components.gcp"]
