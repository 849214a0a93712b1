"""Run mypy (strict) over the library as the ``pulumi_llmd`` package it installs as.

setuptools maps the card's top-level folders (components/, blueprints/, policies/) into ``pulumi_llmd`` with
``package-dir``; mypy cannot follow that mapping through an editable install, so this script lays out the
package as a tree of symlinks in ``.typecheck/`` and checks it there (error paths point into that tree).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"components": "components", "blueprints": "blueprints", "policies": "policies"}


def main() -> int:
    tree = ROOT / ".typecheck"
    shutil.rmtree(tree, ignore_errors=True)
    package = tree / "pulumi_llmd"
    package.mkdir(parents=True)
    for entry in (ROOT / "src" / "pulumi_llmd").iterdir():
        (package / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        (package / name).symlink_to(ROOT / folder)
    args = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        str(package),
        str(ROOT / "__main__.py"),
        str(ROOT / "scripts"),
    ]
    return subprocess.call(args, cwd=tree)


if __name__ == "__main__":
    sys.exit(main())
