#!/usr/bin/env python3
"""Print the security posture of rendered stacks as a Markdown table (see ``pulumi_llmd.audit``).

Usage::

    python scripts/audit_posture.py                 # every folder under goldens/
    python scripts/audit_posture.py out/my-stack    # given render folders
    python scripts/audit_posture.py -v ...          # also list every finding

Exit status 0 when no render has a finding, 1 otherwise (explicit insecure choices in a stack file are findings too:
the table is what a reviewer sees).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pulumi_llmd.audit import CLASSES, audit_render


def main(argv: list[str] | None = None) -> int:
    """Audit the given render folders (default: ``goldens/*``) and print one table row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("renders", nargs="*", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every finding")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    renders = args.renders or sorted(p for p in (root / "goldens").iterdir() if (p / "resources.json").is_file())
    print("| render | " + " | ".join(CLASSES) + " |")
    print("|---|" + "---:|" * len(CLASSES))
    total = 0
    for render in renders:
        report = audit_render(render)
        counts = report.summary()
        total += sum(counts.values())
        cells = [f"{counts[c]} ({report.count(c, public_only=True)} public)" if counts[c] else "0" for c in CLASSES]
        print(f"| {render.name} | " + " | ".join(cells) + " |")
        if args.verbose:
            for finding in report.findings:
                print(f"  - {finding.kind}: {finding.subject} - {finding.detail}", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
