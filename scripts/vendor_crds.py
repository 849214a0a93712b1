#!/usr/bin/env python3
"""Vendor upstream CustomResourceDefinition schemas as strict JSON Schema files.

Reads upstream CRD YAML files (unchanged, as published) from one or more source
folders, each of which carries a ``SOURCES.md`` table (columns
``file | repository | tag | commit | path``) naming where every file came from.
For every *served* version of every CRD it writes a description-free JSON Schema
(draft 2020-12) to ``src/pulumi_llmd/schemas/crds/<group>_<version>_<kind>.json``
and a ``SOURCES.md`` provenance table beside them.

It also writes the upstream CRDs of the groups the library installs itself
(``MANIFEST_GROUPS``: Gateway API, the Inference Extension, llm-d) as manifests to
``src/pulumi_llmd/schemas/crd-manifests/<upstream file name>``: every ``description``
stripped (a *property* named ``description`` is kept), otherwise unchanged - the
structural schema, ``x-kubernetes-*`` extensions and CEL rules stay - as YAML with
sorted keys. ``components/platform/crds.py`` registers them; they are listed in the
same ``SOURCES.md``.

Conversion rules (OpenAPI v3 structural schema -> JSON Schema):

* ``description``/``title``/``example``/``externalDocs`` are dropped (a *property*
  that happens to be named ``description`` is of course kept);
* ``x-kubernetes-int-or-string: true`` accepts an integer or a string;
* ``nullable: true`` also accepts ``null``;
* ``x-kubernetes-preserve-unknown-fields: true`` allows any extra fields;
* an object that does not preserve unknown fields and has no
  ``additionalProperties`` gets ``additionalProperties: false`` - unknown fields
  are errors, like ``kubectl apply --validate=strict`` (the API server would
  prune them). Branches of ``allOf``/``anyOf``/``oneOf``/``not`` are not
  structural and are left open;
* ``x-kubernetes-embedded-resource: true`` objects also accept
  ``apiVersion``/``kind``/``metadata``;
* ``x-kubernetes-list-type: set`` becomes ``uniqueItems: true``;
* OpenAPI 3.0 boolean ``exclusiveMinimum``/``exclusiveMaximum`` become numbers;
* ``x-kubernetes-validations`` (CEL) rules cannot be expressed in JSON Schema:
  they are left out and counted.

Usage::

    python scripts/vendor_crds.py                 # default sources, write files
    python scripts/vendor_crds.py --check         # exit 1 if files are stale
    python scripts/vendor_crds.py --src DIR --src DIR2 --out OUTDIR --manifests-out DIR3
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
#: libyaml's safe loader when PyYAML has it (the upstream files are 5.5 MB), else the pure-Python one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_SOURCES = (REPO_ROOT / "scripts" / "upstream-crds",)
DEFAULT_OUT = REPO_ROOT / "src" / "pulumi_llmd" / "schemas" / "crds"
DEFAULT_MANIFEST_OUT = REPO_ROOT / "src" / "pulumi_llmd" / "schemas" / "crd-manifests"
#: API groups whose CRDs the library installs itself (``GatewayApiCrds``) and therefore carries as manifests. The other
#: groups come with their operators' Helm charts (Kueue, LWS, Prometheus) or with the platform (GKE, GPU Operator).
MANIFEST_GROUPS = frozenset({"gateway.networking.k8s.io", "inference.networking.k8s.io", "llm-d.ai"})
#: Mappings whose keys are names (of properties, patterns, dependencies), not schema keywords: a ``description`` key
#: there is a property called "description" and is kept.
_NAME_MAPS = frozenset({"properties", "patternProperties", "dependencies", "definitions"})
#: Keys whose values are data (defaults, enum values, examples, object metadata), never documentation: kept verbatim.
_DATA_KEYS = frozenset({"default", "enum", "example", "const", "metadata"})
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# OpenAPI keywords copied through unchanged (after recursive conversion where needed).
_PLAIN_KEYWORDS = frozenset(
    {
        "type",
        "format",
        "default",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "required",
    }
)
# Documentation-only keywords: dropped.
_DROPPED_KEYWORDS = frozenset({"description", "title", "example", "externalDocs", "$schema", "id"})
# Kubernetes extensions that carry no JSON-Schema-expressible constraint (or are handled explicitly).
_HANDLED_EXTENSIONS = frozenset(
    {
        "nullable",
        "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    }
)
_SCHEMA_KEYWORDS = frozenset({"properties", "items", "additionalProperties", "patternProperties"})
_JUNCTORS = ("allOf", "anyOf", "oneOf")


class VendorError(Exception):
    """An upstream file or its SOURCES.md cannot be vendored."""


@dataclass(frozen=True)
class Source:
    """Provenance of one upstream CRD file (one row of a SOURCES.md table)."""

    file: str
    repository: str
    tag: str
    commit: str
    path: str


@dataclass(frozen=True)
class ConvertedSchema:
    """The JSON Schema of one served version of one CRD."""

    group: str
    version: str
    kind: str
    schema: dict[str, Any]
    cel_rules: int

    @property
    def filename(self) -> str:
        """Name of the generated schema file."""
        return f"{self.group}_{self.version}_{self.kind}.json"


@dataclass
class _Counter:
    cel_rules: int = 0


def _as_mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise VendorError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _convert(node: Mapping[str, Any], where: str, structural: bool, counter: _Counter) -> dict[str, Any]:
    """Convert one OpenAPI v3 schema node (recursively) into JSON Schema."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS or key in _HANDLED_EXTENSIONS or key in _SCHEMA_KEYWORDS:
            continue
        if key in _PLAIN_KEYWORDS:
            out[key] = value
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]
            else:
                out[key] = value
        elif key in _JUNCTORS:
            out[key] = [
                _convert(_as_mapping(sub, f"{where}.{key}[{i}]"), f"{where}.{key}[{i}]", False, counter)
                for i, sub in enumerate(value)
            ]
        elif key == "not":
            out[key] = _convert(_as_mapping(value, f"{where}.not"), f"{where}.not", False, counter)
        elif key == "dependencies":
            deps = _as_mapping(value, f"{where}.dependencies")
            dep_required = {k: list(v) for k, v in deps.items() if isinstance(v, list)}
            dep_schemas = {
                k: _convert(_as_mapping(v, f"{where}.dependencies.{k}"), f"{where}.{k}", False, counter)
                for k, v in deps.items()
                if not isinstance(v, list)
            }
            if dep_required:
                out["dependentRequired"] = dep_required
            if dep_schemas:
                out["dependentSchemas"] = dep_schemas
        elif key.startswith("x-kubernetes-"):
            raise VendorError(f"{where}: unsupported Kubernetes extension {key!r}")
        else:
            raise VendorError(f"{where}: unsupported OpenAPI keyword {key!r}")

    # Exclusive bounds expressed the OpenAPI 3.0 way replace the inclusive bound.
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(exclusive) is True:
            out.pop(bound, None)

    validations = node.get("x-kubernetes-validations")
    if validations:
        counter.cel_rules += len(validations)

    if "properties" in node:
        props = _as_mapping(node["properties"], f"{where}.properties")
        out["properties"] = {
            name: _convert(_as_mapping(sub, f"{where}.{name}"), f"{where}.{name}", structural, counter)
            for name, sub in props.items()
        }
    if "patternProperties" in node:
        pprops = _as_mapping(node["patternProperties"], f"{where}.patternProperties")
        out["patternProperties"] = {
            pat: _convert(_as_mapping(sub, f"{where}.{pat}"), f"{where}.{pat}", structural, counter)
            for pat, sub in pprops.items()
        }
    if "items" in node:
        items = node["items"]
        if isinstance(items, list):
            out["prefixItems"] = [
                _convert(_as_mapping(sub, f"{where}[{i}]"), f"{where}[{i}]", structural, counter)
                for i, sub in enumerate(items)
            ]
        else:
            out["items"] = _convert(_as_mapping(items, f"{where}[]"), f"{where}[]", structural, counter)
    if "additionalProperties" in node:
        extra = node["additionalProperties"]
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        else:
            out["additionalProperties"] = _convert(
                _as_mapping(extra, f"{where}{{}}"), f"{where}{{}}", structural, counter
            )

    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True

    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("x-kubernetes-embedded-resource") is True and not preserve and "properties" in out:
        for name, sub in (("apiVersion", {"type": "string"}), ("kind", {"type": "string"})):
            out["properties"].setdefault(name, sub)
        out["properties"].setdefault("metadata", {"type": "object"})
    if structural and not preserve and "additionalProperties" not in node and "patternProperties" not in node:
        is_object = node.get("type") == "object" or "properties" in node
        if is_object:
            out["additionalProperties"] = False
    return out


def convert_schema(openapi: Mapping[str, Any], where: str = "$") -> tuple[dict[str, Any], int]:
    """Convert a CRD ``openAPIV3Schema`` into a strict JSON Schema (draft 2020-12).

    Returns the schema and the number of CEL (``x-kubernetes-validations``) rules
    that the JSON Schema cannot express.
    """
    counter = _Counter()
    schema = _convert(openapi, where, True, counter)
    # The root ``metadata`` is ObjectMeta, validated separately by the validator. ``apiVersion``, ``kind`` and
    # ``metadata`` are implicit at the root of every CRD schema (the API server adds them; Istio's generated CRDs
    # list only ``spec`` and ``status``), so a strict root accepts them too.
    props = schema.get("properties")
    if isinstance(props, dict):
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props["metadata"] = {"type": "object"}
    schema["$schema"] = JSON_SCHEMA_DIALECT
    return schema, counter.cel_rules


def convert_crd(crd: Mapping[str, Any], where: str = "CRD") -> list[ConvertedSchema]:
    """Convert every served version of one CustomResourceDefinition document."""
    if crd.get("apiVersion") != "apiextensions.k8s.io/v1" or crd.get("kind") != "CustomResourceDefinition":
        raise VendorError(f"{where}: not an apiextensions.k8s.io/v1 CustomResourceDefinition")
    spec = _as_mapping(crd.get("spec"), f"{where}.spec")
    group = str(spec["group"])
    kind = str(_as_mapping(spec["names"], f"{where}.spec.names")["kind"])
    shared = spec.get("validation")
    out: list[ConvertedSchema] = []
    for version in spec.get("versions", []):
        if not version.get("served", False):
            continue
        name = str(version["name"])
        schema_holder = version.get("schema") or shared
        if not schema_holder or "openAPIV3Schema" not in schema_holder:
            raise VendorError(f"{where}: version {name} has no openAPIV3Schema")
        schema, cel = convert_schema(_as_mapping(schema_holder["openAPIV3Schema"], f"{where}.{name}"), f"{kind}.{name}")
        out.append(ConvertedSchema(group=group, version=name, kind=kind, schema=schema, cel_rules=cel))
    return out


def render_schema(schema: Mapping[str, Any]) -> str:
    """Serialise a schema deterministically (sorted keys, indent 1, trailing newline)."""
    return json.dumps(schema, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


_ROW = re.compile(r"^\|(.*)\|\s*$")


def parse_sources(text: str, where: str = "SOURCES.md") -> dict[str, Source]:
    """Parse a ``file | repository | tag | commit | path`` markdown table."""
    rows: dict[str, Source] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        cells = [cell.strip() for cell in match.group(1).split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
            missing = {"file", "repository", "tag", "commit", "path"} - set(header)
            if missing:
                raise VendorError(f"{where}: table lacks columns {sorted(missing)}")
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        if len(cells) != len(header):
            raise VendorError(f"{where}: row has {len(cells)} cells, header has {len(header)}: {line}")
        row = dict(zip(header, cells, strict=True))
        src = Source(
            file=row["file"],
            repository=row["repository"],
            tag=row["tag"],
            commit=row["commit"],
            path=row["path"],
        )
        if src.file in rows:
            raise VendorError(f"{where}: {src.file} listed twice")
        rows[src.file] = src
    if header is None:
        raise VendorError(f"{where}: no table found")
    return rows


@dataclass(frozen=True)
class _Carried:
    converted: ConvertedSchema
    source: Source


@dataclass(frozen=True)
class _Upstream:
    """One upstream file: its path, provenance and CustomResourceDefinition documents (as published)."""

    path: Path
    source: Source
    crds: list[dict[str, Any]]


def read_upstream(src_dirs: Sequence[Path]) -> list[_Upstream]:
    """Read every upstream CRD file of the given source folders (each with its SOURCES.md row)."""
    upstream: list[_Upstream] = []
    for src_dir in src_dirs:
        if not src_dir.is_dir():
            raise VendorError(f"source folder {src_dir} does not exist")
        sources_md = src_dir / "SOURCES.md"
        if not sources_md.is_file():
            raise VendorError(f"{src_dir} has no SOURCES.md")
        sources = parse_sources(sources_md.read_text(encoding="utf-8"), str(sources_md))
        files = sorted(p for p in src_dir.iterdir() if p.suffix in (".yaml", ".yml"))
        for path in files:
            source = sources.get(path.name)
            if source is None:
                raise VendorError(f"{path}: not listed in {sources_md}")
            docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_SafeLoader) if d]
            crds = [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
            if not crds:
                raise VendorError(f"{path}: no CustomResourceDefinition in file")
            upstream.append(_Upstream(path, source, crds))
        missing = sorted(set(sources) - {p.name for p in files})
        if missing:
            raise VendorError(f"{sources_md} lists files that are not there: {missing}")
    return upstream


def _convert_all(upstream: Iterable[_Upstream]) -> list[_Carried]:
    carried: dict[tuple[str, str, str], _Carried] = {}
    for item in upstream:
        for index, crd in enumerate(item.crds):
            for conv in convert_crd(crd, f"{item.path.name}[{index}]"):
                key = (conv.group, conv.version, conv.kind)
                if key in carried:
                    raise VendorError(
                        f"{item.path}: {conv.group}/{conv.version} {conv.kind} already read from "
                        f"{carried[key].source.file}"
                    )
                carried[key] = _Carried(conv, item.source)
    return [carried[key] for key in sorted(carried)]


def collect(src_dirs: Sequence[Path]) -> list[_Carried]:
    """Read and convert every CRD file in the given source folders."""
    return _convert_all(read_upstream(src_dirs))


# --- carried CRD manifests ------------------------------------------------------------------------------------------


def strip_descriptions(node: Any) -> Any:
    """A copy of ``node`` (a CRD, or any part of one) without ``description`` keys, otherwise unchanged.

    ``description`` is dropped from schema nodes and from every other mapping (e.g. printer columns), but kept where
    it is a name - a property called ``description`` under ``properties``/``patternProperties``/``dependencies`` -
    and where it is data (inside ``default``, ``enum``, ``example``, ``const`` and ``metadata`` values).
    Structure, ``x-kubernetes-*`` extensions and CEL rules are untouched.
    """
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "description":
                continue
            if key in _DATA_KEYS:
                out[key] = copy.deepcopy(value)
            elif key in _NAME_MAPS and isinstance(value, Mapping):
                out[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
            else:
                out[key] = strip_descriptions(value)
        return out
    if isinstance(node, list):
        return [strip_descriptions(item) for item in node]
    return copy.deepcopy(node)


def render_crd_manifest(crds: Sequence[Mapping[str, Any]], source: Source | None = None) -> str:
    """The carried manifest text of upstream CRD documents: descriptions stripped, YAML with sorted keys.

    Deterministic: the same documents give the same text whatever their key order. ``source`` adds a provenance
    comment.
    """
    lines = ["# Generated by scripts/vendor_crds.py; do not edit by hand."]
    if source is not None:
        lines.append(
            f"# Upstream: {source.repository} {source.tag} ({source.commit}) {source.path}, Apache-2.0;"
            " every description stripped, otherwise unchanged."
        )
    header = "\n".join(lines) + "\n"
    body = "".join(
        "---\n"
        + yaml.safe_dump(
            strip_descriptions(crd), sort_keys=True, allow_unicode=True, default_flow_style=False, width=1_000_000
        )
        for crd in crds
    )
    return header + body


@dataclass(frozen=True)
class CarriedManifest:
    """One carried manifest file: its name (the upstream file name), text, CRD names and provenance."""

    filename: str
    text: str
    crd_names: tuple[str, ...]
    source: Source


def collect_manifests(upstream: Iterable[_Upstream], groups: frozenset[str] = MANIFEST_GROUPS) -> list[CarriedManifest]:
    """The carried manifests of the upstream files whose CRDs all belong to ``groups``, sorted by file name."""
    manifests: dict[str, CarriedManifest] = {}
    for item in upstream:
        crd_groups = {str(_as_mapping(crd.get("spec"), f"{item.path}.spec").get("group")) for crd in item.crds}
        if not crd_groups <= groups:
            continue
        if item.path.name in manifests:
            raise VendorError(f"{item.path}: a manifest {item.path.name} was already read from another folder")
        names = tuple(str((crd.get("metadata") or {}).get("name")) for crd in item.crds)
        manifests[item.path.name] = CarriedManifest(
            filename=item.path.name,
            text=render_crd_manifest(item.crds, item.source),
            crd_names=names,
            source=item.source,
        )
    return [manifests[name] for name in sorted(manifests)]


def render_sources(carried: Iterable[_Carried], manifests: Iterable[CarriedManifest] = ()) -> str:
    """Render the provenance tables of the carried schemas and (when there are any) the carried manifests."""
    lines = [
        "# Carried CRD schemas",
        "",
        "Generated by `scripts/vendor_crds.py`; do not edit by hand. Each JSON file here is derived from",
        "the upstream CustomResourceDefinition named in its row (all Apache-2.0): descriptions stripped,",
        "the OpenAPI v3 structural schema of one served version converted to JSON Schema (draft 2020-12),",
        "strict (unknown fields are errors unless the CRD preserves unknown fields). CEL rules",
        "(`x-kubernetes-validations`) cannot be expressed in JSON Schema and are not evaluated; their",
        "count is in the last column. The upstream files are kept in `scripts/upstream-crds/` (with their",
        "own SOURCES.md).",
        "",
        "| schema file | group | version | kind | repository | tag | commit | upstream path "
        "| CEL rules not evaluated |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for item in carried:
        conv, src = item.converted, item.source
        lines.append(
            f"| {conv.filename} | {conv.group} | {conv.version} | {conv.kind} | {src.repository} | "
            f"{src.tag} | {src.commit} | {src.path} | {conv.cel_rules} |"
        )
    manifests = list(manifests)
    if manifests:
        lines += [
            "",
            "## Carried CRD manifests",
            "",
            "`../crd-manifests/<file>` holds the upstream CustomResourceDefinitions the library installs itself",
            "(`components/platform/crds.py`): every `description` stripped, otherwise unchanged (structural",
            "schema, `x-kubernetes-*` extensions and CEL rules kept), YAML with sorted keys.",
            "",
            "| manifest file | CRDs | repository | tag | commit | upstream path |",
            "|---|---|---|---|---|---|",
        ]
        for manifest in manifests:
            src = manifest.source
            lines.append(
                f"| {manifest.filename} | {', '.join(manifest.crd_names)} | {src.repository} | {src.tag} | "
                f"{src.commit} | {src.path} |"
            )
    return "\n".join(lines) + "\n"


def plan(src_dirs: Sequence[Path]) -> tuple[dict[str, str], int, int, dict[str, str]]:
    """Compute every output file's content.

    Returns (schema folder files, schema count, CEL rule count, manifest folder files).
    """
    upstream = read_upstream(src_dirs)
    carried = _convert_all(upstream)
    manifests = collect_manifests(upstream)
    files = {item.converted.filename: render_schema(item.converted.schema) for item in carried}
    files["SOURCES.md"] = render_sources(carried, manifests)
    cel = sum(item.converted.cel_rules for item in carried)
    return files, len(carried), cel, {m.filename: m.text for m in manifests}


def _out_of_date(out_dir: Path, files: Mapping[str, str], pattern: str) -> tuple[list[str], list[str]]:
    """(stale, changed) file names of ``out_dir`` against the planned ``files``; stale ones match ``pattern``."""
    existing = {p.name for p in out_dir.glob(pattern)} | (
        {"SOURCES.md"} if "SOURCES.md" in files and (out_dir / "SOURCES.md").exists() else set()
    )
    stale = sorted(existing - set(files))
    changed = sorted(
        name
        for name, text in files.items()
        if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text
    )
    return stale, changed


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--src",
        action="append",
        type=Path,
        metavar="DIR",
        help="folder of upstream CRD YAML files with a SOURCES.md (repeatable; default: scripts/upstream-crds/)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument(
        "--manifests-out",
        type=Path,
        default=DEFAULT_MANIFEST_OUT,
        help="output folder of the carried CRD manifests (default: %(default)s)",
    )
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the output is stale")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = _parse_args(argv)
    src_dirs: list[Path] = list(args.src) if args.src else list(DEFAULT_SOURCES)
    out_dir: Path = args.out
    manifests_dir: Path = args.manifests_out
    try:
        files, count, cel, manifests = plan(src_dirs)
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    outputs = [(out_dir, files, *_out_of_date(out_dir, files, "*.json"))]
    outputs.append((manifests_dir, manifests, *_out_of_date(manifests_dir, manifests, "*.yaml")))
    if args.check:
        problems = [
            f"{folder}: changed {changed}, stale {stale}" for folder, _, stale, changed in outputs if stale or changed
        ]
        if problems:
            print("out of date: " + "; ".join(problems), file=sys.stderr)
            return 1
        print(f"{count} schemas and {len(manifests)} manifests up to date; {cel} CEL rules not evaluated")
        return 0

    for folder, planned, stale, changed in outputs:
        folder.mkdir(parents=True, exist_ok=True)
        for name in stale:
            (folder / name).unlink()
        for name in changed:
            (folder / name).write_text(planned[name], encoding="utf-8")
    (_, _, stale, changed), (_, _, m_stale, m_changed) = outputs
    print(
        f"wrote {count} schemas to {out_dir} ({len(changed)} changed, {len(stale)} removed) and {len(manifests)} "
        f"manifests to {manifests_dir} ({len(m_changed)} changed, {len(m_stale)} removed); "
        f"{cel} CEL rules not evaluated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
