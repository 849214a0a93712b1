"""Write the ``llmd`` Pulumi package schema to ``provider/schema.json`` (the golden), offline.

Runs the component analyzer of ``pulumi.provider.experimental`` over :data:`pulumi_llmd.package.COMPONENTS` and
generates the package schema the provider serves (:func:`pulumi_llmd.package.schema`), without the Pulumi CLI.
``--check`` exits 1 when the golden differs from what the code generates (what ``tests/test_package.py`` asserts).

    .venv/bin/python scripts/package_schema.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pulumi_llmd import package

GOLDEN = Path(__file__).resolve().parent.parent / "provider" / "schema.json"


def render() -> str:
    """The schema as the golden stores it: JSON, 2-space indent, a final newline."""
    return json.dumps(package.schema(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the golden instead of writing it")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not GOLDEN.exists() or GOLDEN.read_text() != text:
            print(f"{GOLDEN} is out of date: run scripts/package_schema.py", file=sys.stderr)
            return 1
        return 0
    GOLDEN.write_text(text)
    print(f"wrote {GOLDEN} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
