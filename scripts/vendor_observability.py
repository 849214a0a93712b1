#!/usr/bin/env python3
"""Vendor llm-d's Grafana dashboards and Prometheus alert rules into the package.

Copies, byte for byte, the files of llm-d's observability recipe (``guides/recipes/observability/grafana/dashboards/
*.json`` and ``guides/recipes/observability/alerts/epp-alerting-rules.yaml`` of llm-d/llm-d) from a copy of that
recipe folder you point it at (``--src``, with ``--tsv`` the provenance table that names each file's repository,
commit and upstream path; the files carried today were read at llm-d/llm-d d557f83e, 2026-08-20) into
``src/pulumi_llmd/observability/`` (one flat folder, so the files are package data of ``pulumi_llmd.observability``),
and writes ``SOURCES.md`` there: one row per file with the repository, the commit and the upstream path (read from
the provenance table) and the sha256 of the bytes carried. ``components/platform/observability.py`` reads the carried
files and checks them against those sha256s; the project never reads an upstream tree at run or test time, and this
script has no default upstream location.

Usage::

    python scripts/vendor_observability.py --src DIR --tsv FILE            # write the files
    python scripts/vendor_observability.py --src DIR --tsv FILE --check    # exit 1 if the carried files are stale
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "src" / "pulumi_llmd" / "observability"
#: Folders of the recipe carried (relative to ``--src``) and the file suffix taken from each.
CARRIED = (("grafana/dashboards", ".json"), ("alerts", ".yaml"))
HEADER = """# Sources of the files in this folder

llm-d's Grafana dashboards and Prometheus alert rules, unchanged (byte for byte) as published upstream (Apache-2.0).
`scripts/vendor_observability.py` copies them and writes this table; `components/platform/observability.py` deploys
them (ConfigMaps for the Grafana sidecar, a PrometheusRule; on GKE managed-Prometheus Rules). Nothing reads the
upstream tree at run or test time.

| file | repository | commit | path | sha256 |
|---|---|---|---|---|
"""


class VendorError(Exception):
    """An upstream file or its provenance row is missing."""


def provenance(tsv: Path) -> dict[str, tuple[str, str, str]]:
    """Reference-tree path (``current-v0.9.0/...``) -> (repository, commit, upstream path)."""
    rows: dict[str, tuple[str, str, str]] = {}
    with tsv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[row["file"]] = (row["repository"], row["commit"], row["path"])
    return rows


def collect(src: Path, tsv: Path) -> list[tuple[str, bytes, str, str, str]]:
    """Every carried file as (name, bytes, repository, commit, upstream path), sorted by name."""
    if not src.is_dir():
        raise VendorError(f"source folder {src} does not exist")
    rows = provenance(tsv)
    found: list[tuple[str, bytes, str, str, str]] = []
    for folder, suffix in CARRIED:
        for path in sorted((src / folder).glob(f"*{suffix}")):
            key = "current-v0.9.0/" + str(path.relative_to(src.parent.parent)).replace("\\", "/")
            if key not in rows:
                raise VendorError(f"{path}: no provenance row {key!r} in {tsv}")
            repository, commit, upstream = rows[key]
            found.append((path.name, path.read_bytes(), repository, commit, upstream))
    if not found:
        raise VendorError(f"{src}: no dashboards or alert rules found")
    names = [name for name, *_ in found]
    if len(set(names)) != len(names):
        raise VendorError(f"{src}: two carried files share a name: {sorted(names)}")
    return sorted(found)


def sources_md(files: list[tuple[str, bytes, str, str, str]]) -> str:
    """The ``SOURCES.md`` text for ``files``."""
    lines = [
        f"| {name} | {repo} | {commit} | {path} | {hashlib.sha256(data).hexdigest()} |"
        for name, data, repo, commit, path in files
    ]
    return HEADER + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, required=True, help="the upstream guides/recipes/observability folder")
    parser.add_argument("--tsv", type=Path, required=True, help="provenance table: file, repository, commit, path")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when the carried files are stale")
    args = parser.parse_args(argv)
    try:
        files = collect(args.src, args.tsv)
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wanted = {name: data for name, data, *_ in files}
    wanted["SOURCES.md"] = sources_md(files).encode("utf-8")
    out: Path = args.out
    stale = sorted(n for n, d in wanted.items() if not (out / n).is_file() or (out / n).read_bytes() != d)
    extra = sorted(
        p.name for p in out.glob("*") if p.is_file() and p.name not in wanted and p.suffix in (".json", ".yaml")
    )
    if args.check:
        if stale or extra:
            print(f"stale: {stale}; not upstream: {extra}", file=sys.stderr)
            return 1
        print(f"{len(files)} files current")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (out / name).write_bytes(wanted[name])
    for name in extra:
        (out / name).unlink()
    print(f"wrote {len(stale)} of {len(wanted)} files to {out} ({len(extra)} removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
