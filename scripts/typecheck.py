"""Run mypy (strict, settings in pyproject.toml) over the library, the Pulumi program and the scripts.

The package is a plain src layout: ``src/pulumi_llmd/{components,blueprints,policies}`` are symlinks to the card's
top-level folders, so mypy reads ``src/pulumi_llmd`` as the ``pulumi_llmd`` package it installs as (no mapping to
rebuild). The cache stays in ``.typecheck/`` (shared by everyone who runs this script).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    args = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(ROOT / ".typecheck" / ".mypy_cache"),
        "src/pulumi_llmd",
        "__main__.py",
        "scripts",
    ]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
