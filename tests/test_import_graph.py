"""The import graph of the library follows the layout's one-way rules (DESIGN.md "Layout"): components never import
blueprints, `gcp` and `aws` never import each other, `serving` never imports a cloud package, `policies` import
nothing of the components, and the catalog and the version pins import nothing of ours. The blueprints' rooms
(DESIGN.md "Blueprints: plan, then build") import one way, only the targets ask cloud questions, and a stack imports
only its own target's cloud SDK."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
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
HELPERS = {
    "components.args",
    "components.base",
    "components.kube",
    "components.quantity",
    "components.models",
    "components.startup",
    "components.pool_rules",
}
#: Area -> the areas of ours it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "components.catalog": set(),
    "components.versions": set(),
    "components.quantity": set(),
    "components.args": set(),
    "components.pool_rules": {"components.args"},
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


# --- the blueprints' rooms (DESIGN.md "Blueprints: plan, then build") ---------------------------------------------
# ``issues <- config <- plan <- {targets, paths} <- validation <- deploy``; deploy and every module outside
# ``targets/`` ask no cloud question (the targets answer); a stack imports only its own target's cloud SDK.

BLUEPRINTS = REPO / "blueprints"
#: Blueprints room -> the blueprints rooms it may import (besides the components).
BLUEPRINT_ROOMS: dict[str, set[str]] = {
    "issues": set(),
    "config": {"issues"},
    "plan": {"issues", "config"},
    "targets": {"issues", "config", "plan", "targets"},
    "paths": {"issues", "config", "plan", "paths"},
    "validation": {"issues", "config", "plan", "targets", "paths"},
    "endpoint": {"config", "targets"},
    "pod_security": {"config", "targets"},
    "posture": {"config", "targets"},
}
#: Modules outside ``targets/`` that must not branch on the target cloud (``inference.py`` is the high-level
#: component, which takes its platform as an argument; ``config.py`` defines the targets; ``plan.py`` resolves
#: per-cloud facts once for the others).
NO_CLOUD_BRANCHES = ["deploy.py", "endpoint.py", "pod_security.py", "posture.py", "validation.py", "paths/*.py"]
#: What a cloud branch looks like: a test of the target's class, the cluster's platform or the cloud's name.
_CLOUD_BRANCH = re.compile(
    r"isinstance\([^)]*(GcpTarget|AwsTarget|ExistingTarget)|Platform\.(GKE|EKS|EXISTING)|Cloud\.(GCP|AWS|EXISTING)"
    r"|cloud\s*(==|!=|is\b|in\b)|==\s*\"(gcp|aws|existing)\""
)


def _room(module: str) -> str:
    return module.removeprefix("pulumi_llmd.blueprints.").split(".")[0]


def _blueprint_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pulumi_llmd.blueprints."):
            found.add(_room(node.module))
        elif isinstance(node, ast.ImportFrom) and node.module == "pulumi_llmd.blueprints":
            found.add("__init__")
    return found


@pytest.mark.parametrize("room", sorted(BLUEPRINT_ROOMS))
def test_blueprints_import_one_way(room: str) -> None:
    files = (
        [BLUEPRINTS / f"{room}.py"]
        if (BLUEPRINTS / f"{room}.py").exists()
        else sorted((BLUEPRINTS / room).glob("*.py"))
    )
    assert files, room
    for path in files:
        extra = _blueprint_imports(path) - BLUEPRINT_ROOMS[room] - {room}
        assert not extra, f"{path.relative_to(REPO)} imports {sorted(extra)}"


def _runtime_cloud_imports(tree: ast.Module) -> list[str]:
    """``components.gcp`` / ``components.aws`` imports outside ``if TYPE_CHECKING:`` blocks."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    return [
        str(node.module)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and id(node) not in skipped
        and str(node.module).startswith(("pulumi_llmd.components.gcp", "pulumi_llmd.components.aws"))
    ]


@pytest.mark.parametrize("pattern", NO_CLOUD_BRANCHES)
def test_only_the_targets_ask_cloud_questions(pattern: str) -> None:
    """deploy, the endpoint, the Pod Security level, the posture, config validation and the paths name no target
    class in a test, no platform or cloud value and import no cloud package: the target (``target_class``) answers."""
    files = sorted(BLUEPRINTS.glob(pattern))
    assert files, pattern
    for path in files:
        text = path.read_text()
        where = path.relative_to(REPO)
        assert not _CLOUD_BRANCH.findall(text), f"{where}: {[m.group(0) for m in _CLOUD_BRANCH.finditer(text)]}"
        assert not _runtime_cloud_imports(ast.parse(text)), f"{where} imports {_runtime_cloud_imports(ast.parse(text))}"


def test_deploy_asks_no_cloud_question() -> None:
    """deploy.py names no target class, no cloud package and no platform enum: the targets answer."""
    text = (BLUEPRINTS / "deploy.py").read_text()
    words = ("GcpTarget", "AwsTarget", "ExistingTarget", "components.gcp", "components.aws", "Platform.", "cloud ==")
    for word in words:
        assert word not in text, word


def test_the_cloud_branch_scanner_sees_a_branch() -> None:
    for text in ("if isinstance(config.target, GcpTarget):", "if platform is Platform.EKS:", 'if cloud == "gcp":'):
        assert _CLOUD_BRANCH.search(text), text


@pytest.mark.parametrize(
    ("stack", "absent"),
    [("gke-h100-optimized-baseline", "pulumi_aws"), ("eks-p5-optimized-baseline", "pulumi_gcp")],
)
def test_a_stack_imports_only_its_targets_sdk(stack: str, absent: str) -> None:
    """Parse, plan and pick the target of a stack in a fresh interpreter: the other cloud's SDK stays unimported."""
    code = f"""
import sys, yaml
from pulumi_llmd.blueprints import parse_stack_config, plan_stack
from pulumi_llmd.blueprints.targets import target_for
from pulumi_llmd.blueprints import deploy, paths, endpoint, pod_security, posture
raw = yaml.safe_load(open("stacks/Pulumi.{stack}.yaml"))["config"]
data = {{k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("llmd:") and k != "llmd:hfToken"}}
config = parse_stack_config(data)
target_for(plan_stack(config))
posture.insecure_choices(config)
print({absent!r} in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
