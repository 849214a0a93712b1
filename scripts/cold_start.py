#!/usr/bin/env python3
"""Print the README's cold-start table: each reference stack's model-server start with and without a weights cache.

Every figure comes from the library's own estimate (``blueprints/targets/weights_cache.py`` :func:`cold_starts`,
which calls ``components/startup.py`` as the components and the first-deploy twin do), so the table cannot drift
from the code; ``tests/test_weights_cache.py`` checks the README against this output.

Usage::

    python scripts/cold_start.py            # the Markdown table on stdout
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def stack_config_data(path: Path) -> dict[str, Any]:
    """The ``llmd:`` keys of a stack file, without the namespace (secure values stay opaque markers)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def table(stacks_dir: Path = REPO_ROOT / "stacks") -> str:
    """The Markdown table, one row per model of every ``stacks/Pulumi.*.yaml`` with a known size on a pool."""
    from pulumi_llmd.blueprints.targets import target_class
    from pulumi_llmd.blueprints.targets.weights_cache import cold_starts
    from pulumi_llmd.blueprints.validation import parse_stack_config

    lines = [
        "| stack | model (GiB) | cache | fresh node: without / with (min) | warm node restart: without / with (min) "
        "| cache fill, once (min) |",
        "|---|---|---|---:|---:|---:|",
    ]
    for path in sorted(stacks_dir.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = parse_stack_config(stack_config_data(path))
        for row in cold_starts(config, target_class(config.target.cloud)):
            cache = row.kind if row.kind != "none" else f"none (with: `{row.cache_kind}`)"
            lines.append(
                f"| `{stack}` | {row.model} ({row.weights_gib:g}) | {cache} | {_minutes(row.fresh_without)} / "
                f"{_minutes(row.fresh_with)} | {_minutes(row.warm_without)} / {_minutes(row.warm_with)} | "
                f"{_minutes(row.fill)} |"
            )
    return "\n".join(lines)


def main() -> int:
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
