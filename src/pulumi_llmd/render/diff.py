"""Compare two offline renders: resources added, removed and changed, with the changed fields.

A render folder holds ``resources.json`` (required) and ``manifests.yaml`` (optional; without it the Kubernetes
objects are taken from the inputs in ``resources.json``). Resources are matched by identity, not by position:

* Kubernetes objects by ``(apiVersion, kind, namespace, name)``;
* every other resource (cloud resources, providers, components) by ``(type, name)``; when one render holds the
  same ``(type, name)`` twice, by URN.

Field changes are dotted paths (``spec.template.spec.containers[name=vllm].image``) with the old and the new
value. Lists of objects that all carry a distinct ``name`` are matched by name, lists of scalars element by
element (insertions and deletions found with :mod:`difflib`), multi-line strings line by line. Values are shown
truncated; values under ``data``/``stringData`` of a Kubernetes Secret are never shown, and the render itself has
already replaced every Pulumi secret with ``[secret]``. Values are shown through :mod:`pulumi_llmd.redact`: a string
under a sensitive name (``env[name=HF_TOKEN].value``, ``apiKey``) or of a credential's shape (``hf_...``,
``--api-key=...``) is shown as ``[redacted]``, and the whole output passes :func:`pulumi_llmd.redact.redact` last.
The output order is stable: cloud resources before Kubernetes objects, each sorted by identity, fields in document
order.

When the new render holds ``render.json`` (:mod:`pulumi_llmd.render.metadata`), its explicit insecure choices are
listed after the changes, those the change adds marked ``+`` and those it drops ``-``.

An upgrade preview (one stack rendered under two llm-d releases, ``pulumi-llmd render --release``) changes images,
chart versions and model-server flags, often while moving workloads to another form (Deployments to a
DisaggregatedSet), where the objects are added and removed rather than changed. So the diff opens with a summary of
what changed across the whole render, whatever objects carry it: the llm-d release (``render.json``
``llmdRelease``), every container image by repository (Kubernetes objects and Helm values:
:func:`render_images`), every Helm release's chart version (:func:`render_charts`), and the arguments and literal
environment of the containers by container name (:func:`render_containers`). Image references are never cut short
(up to :data:`IMAGE_VALUE_LIMIT` characters), so a digest change is always visible.

    result = diff_renders(Path("out/base"), Path("out/head"))
    print(format_text(result))
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pulumi_llmd.redact import REDACTED, is_sensitive_name, redact, scrub_args

__all__ = [
    "IMAGE_VALUE_LIMIT",
    "MISSING",
    "ContainerChange",
    "Entry",
    "FieldChange",
    "ReleaseSummary",
    "RenderDiff",
    "RenderFolderError",
    "RenderSnapshot",
    "ResourceChange",
    "ResourceKey",
    "diff_renders",
    "diff_snapshots",
    "format_markdown",
    "format_text",
    "load_render",
    "relative_urn",
    "render_charts",
    "render_containers",
    "render_images",
    "split_image",
    "summarize",
]

#: Longest shown value (characters) before it is cut with ``...``.
VALUE_LIMIT = 100
#: Longest shown image reference (``repository:tag@sha256:<64 hex>``): long enough for any real one (a repository
#: name of up to 255 characters, Docker's distribution reference grammar), so digests are never cut.
IMAGE_VALUE_LIMIT = 400
#: Most field changes listed per changed resource; the rest are counted.
FIELD_LIMIT = 25
#: Most changed lines shown for a multi-line string.
LINE_LIMIT = 20
#: Markdown output is cut near this size (GitHub comments hold at most 65,536 characters).
MARKDOWN_LIMIT = 60_000

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_REDACTED = REDACTED
#: The parts of a field path: ``.key``, ``["quoted key"]``, ``[name=item]``, ``[3]``.
_PATH_PART = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[name=([^\]]*)\]|\[[0-9:]+\]|\(order\)|([^.\[\]]+)')


class _Missing:
    """The value of a field that does not exist on one side."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(absent)"


#: Stands for "no such field" as the old value of an added field or the new value of a removed one.
MISSING = _Missing()


class RenderFolderError(ValueError):
    """A render folder that cannot be read (missing, no ``resources.json``, not JSON or YAML of the right shape)."""


@dataclass(frozen=True, order=True)
class ResourceKey:
    """The identity of a resource across renders.

    ``group`` is ``"cloud"`` (matched by ``type`` and ``name``) or ``"kubernetes"`` (matched by ``api_version``,
    ``kind``, ``namespace`` and ``name``; ``type`` is then empty). Cloud sorts before Kubernetes.
    """

    group: Literal["cloud", "kubernetes"]
    type: str = ""
    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        if self.group == "kubernetes":
            where = f"{self.namespace}/" if self.namespace else ""
            return f"{self.api_version} {self.kind} {where}{self.name}"
        return f"{self.type} {self.name}"


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its dotted path, the old and the new value (:data:`MISSING` when absent)."""

    path: str
    old: Any
    new: Any
    #: True when the values must not be shown (Kubernetes Secret data).
    redacted: bool = False

    @property
    def kind(self) -> Literal["added", "removed", "changed"]:
        """``added`` (no old value), ``removed`` (no new value) or ``changed``."""
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class ResourceChange:
    """A resource present in both renders whose content differs."""

    key: ResourceKey
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RenderDiff:
    """What differs between an old and a new render."""

    added: tuple[ResourceKey, ...] = ()
    removed: tuple[ResourceKey, ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    old_count: int = 0
    new_count: int = 0
    #: Per-side notes that do not make a change, e.g. a folder without manifests.yaml.
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Explicit insecure choices (``key = value: why`` lines) of the old and the new render (None: no render.json).
    insecure_old: tuple[str, ...] | None = None
    insecure_new: tuple[str, ...] | None = None
    #: What changed across the whole render: llm-d release, images, charts, container flags and env.
    summary: ReleaseSummary | None = None

    @property
    def empty(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def headline(self) -> str:
        """One line: ``no changes`` or the counts."""
        if self.empty:
            return f"no changes ({self.new_count} resources)"
        return (
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed "
            f"({self.old_count} -> {self.new_count} resources)"
        )


# --- reading a render -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One resource of a render: its content and its URN without stack and project (see :func:`relative_urn`).

    ``body`` is the ``inputs`` of a cloud resource, or the whole object of a Kubernetes object.
    """

    body: Mapping[str, Any]
    urn: str = ""
    #: The engine's view (:data:`ENGINE_FIELDS` of the resources.json entry, URNs made relative); diffed as
    #: ``engine.<field>``.
    engine: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderSnapshot:
    """One render as identity -> :class:`Entry`, plus notes on how it was read."""

    resources: dict[ResourceKey, Entry]
    notes: tuple[str, ...] = ()
    #: The render's explicit insecure choices from its ``render.json`` (``key = value: why``); None without one.
    insecure: tuple[str, ...] | None = None
    #: The llm-d release ``render.json`` records (``llmdRelease``); empty without one.
    release: str = ""


def _is_manifest(resource: Mapping[str, Any]) -> bool:
    inputs = resource.get("inputs")
    return (
        bool(resource.get("custom"))
        and str(resource.get("type", "")).startswith("kubernetes:")
        and isinstance(inputs, Mapping)
        and "apiVersion" in inputs
        and "kind" in inputs
    )


def _kube_key(obj: Mapping[str, Any]) -> ResourceKey:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return ResourceKey(
        group="kubernetes",
        api_version=str(obj.get("apiVersion", "")),
        kind=str(obj.get("kind", "")),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
    )


def _add_unique(into: dict[ResourceKey, Entry], key: ResourceKey, value: Entry) -> None:
    """Add ``value`` under ``key``; a repeated key gets ``#2``, ``#3`` ... appended to its name."""
    candidate, n = key, 1
    while candidate in into:
        n += 1
        candidate = ResourceKey(key.group, key.type, key.api_version, key.kind, key.namespace, f"{key.name}#{n}")
    into[candidate] = value


def relative_urn(urn: str) -> str:
    """A URN without ``urn:pulumi:STACK::PROJECT::``: the parent type chain and the name, which is what decides
    whether Pulumi sees the same resource; renders of differently named stacks stay comparable.
    """
    parts = urn.split("::", 2)
    if len(parts) != 3 or not parts[0].startswith("urn:pulumi:"):
        return urn
    return parts[2]


#: The resources.json fields that say what the engine is told about a resource (besides its inputs).
ENGINE_FIELDS = (
    "dependencies",
    "provider",
    "customTimeouts",
    "ignoreChanges",
    "deleteBeforeReplace",
    "protect",
    "awaitAnnotations",
)


def _engine_view(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The engine fields of a resources.json entry that are set, URNs made relative (renders of older versions
    without these fields give an empty view)."""
    view: dict[str, Any] = {}
    for name in ENGINE_FIELDS:
        value = resource.get(name)
        if not value:
            continue
        if name == "dependencies" and isinstance(value, list):
            value = sorted(relative_urn(str(u)) for u in value)
        elif name == "provider":
            value = relative_urn(str(value))
        view[name] = value
    return view


def _read_resources(folder: Path) -> list[Mapping[str, Any]]:
    resources_file = folder / "resources.json"
    try:
        raw = json.loads(resources_file.read_text())
    except FileNotFoundError:
        raise RenderFolderError(f"{folder}: no resources.json (is this a render folder?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RenderFolderError(f"{resources_file}: cannot read: {exc}") from None
    if not isinstance(raw, list) or not all(isinstance(r, Mapping) and "type" in r and "name" in r for r in raw):
        raise RenderFolderError(f"{resources_file}: expected a list of resources with 'type' and 'name'")
    return raw


def _read_manifests(path: Path) -> list[Mapping[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RenderFolderError(f"{path}: cannot read: {exc}") from None
    if not all(isinstance(d, Mapping) for d in docs):
        raise RenderFolderError(f"{path}: every document must be a Kubernetes object (a mapping)")
    return docs


def load_render(folder: Path) -> RenderSnapshot:
    """Read a render folder (``resources.json`` and, if present, ``manifests.yaml``) into a :class:`RenderSnapshot`.

    Raises :class:`RenderFolderError` when the folder or ``resources.json`` is missing or either file is malformed.
    """
    if not folder.is_dir():
        raise RenderFolderError(f"{folder}: not a folder")
    raw = _read_resources(folder)
    snapshot: dict[ResourceKey, Entry] = {}

    cloud = [r for r in raw if not _is_manifest(r)]
    counts = Counter((str(r["type"]), str(r["name"])) for r in cloud)
    for r in cloud:
        type_, name, urn = str(r["type"]), str(r["name"]), str(r.get("urn", ""))
        shown = name if counts[(type_, name)] == 1 else relative_urn(urn)
        inputs = r.get("inputs")
        # a sensitive flag's separate value (--api-key VALUE) is hidden before list items are compared one by one
        body = scrub_args(inputs) if isinstance(inputs, Mapping) else {}
        entry = Entry(body=body, urn=relative_urn(urn), engine=_engine_view(r))
        _add_unique(snapshot, ResourceKey(group="cloud", type=type_, name=shown), entry)

    urns: dict[ResourceKey, list[tuple[str, dict[str, Any]]]] = {}
    for r in raw:
        if _is_manifest(r):
            urns.setdefault(_kube_key(r["inputs"]), []).append((relative_urn(str(r.get("urn", ""))), _engine_view(r)))
    notes: list[str] = []
    manifests_file = folder / "manifests.yaml"
    if manifests_file.is_file():
        objects = _read_manifests(manifests_file)
    else:
        notes.append(f"{folder}: no manifests.yaml; Kubernetes objects taken from resources.json")
        objects = [r["inputs"] for r in raw if _is_manifest(r)]
    for obj in objects:
        same = urns.get(_kube_key(obj))
        urn, engine = same.pop(0) if same else ("", {})
        _add_unique(snapshot, _kube_key(obj), Entry(body=scrub_args(obj), urn=urn, engine=engine))
    return RenderSnapshot(
        resources=snapshot, notes=tuple(notes), insecure=_read_insecure(folder), release=_read_release(folder)
    )


def _read_release(folder: Path) -> str:
    """The ``llmdRelease`` of ``folder/render.json``; empty without a readable one (older renders)."""
    try:
        doc = json.loads((folder / "render.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
    value = doc.get("llmdRelease") if isinstance(doc, Mapping) else None
    return value if isinstance(value, str) else ""


def _read_insecure(folder: Path) -> tuple[str, ...] | None:
    """The ``insecureChoices`` of ``folder/render.json`` as ``key = value: why`` lines; None when there is no
    readable ``render.json`` or it does not record them (the diff still works on renders without one)."""
    try:
        doc = json.loads((folder / "render.json").read_text(encoding="utf-8"))
        choices = doc.get("insecureChoices") if isinstance(doc, Mapping) else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(choices, list):
        return None
    return tuple(
        sorted(f"{c.get('key')} = {c.get('value')}: {c.get('why')}" for c in choices if isinstance(c, Mapping))
    )


# --- comparing ----------------------------------------------------------------------------------------------------


def _key_path(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


def _named(items: Sequence[Any]) -> list[str] | None:
    """The ``name`` of every item when all items are mappings with distinct string names, else None."""
    names = [item.get("name") for item in items if isinstance(item, Mapping)]
    if len(names) != len(items) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return [str(n) for n in names]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _compare(path: str, old: Any, new: Any, redact: bool) -> Iterator[FieldChange]:
    if old is new or (type(old) is type(new) and _is_scalar(old) and old == new):
        return  # containers are always walked: 1 == 1.0 == True, yet they render differently
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            sub = _key_path(path, str(key))
            yield from _compare(sub, old.get(key, MISSING), new.get(key, MISSING), redact)
        return
    if isinstance(old, list) and isinstance(new, list):
        yield from _compare_lists(path, old, new, redact)
        return
    if old is MISSING and isinstance(new, Mapping) and new:
        yield from _compare(path, {}, new, redact)
        return
    if new is MISSING and isinstance(old, Mapping) and old:
        yield from _compare(path, old, {}, redact)
        return
    yield FieldChange(path or "(value)", old, new, redacted=redact)


def _compare_lists(path: str, old: list[Any], new: list[Any], redact: bool) -> Iterator[FieldChange]:
    old_names, new_names = _named(old), _named(new)
    if old_names is not None and new_names is not None and (old or new):
        by_old = dict(zip(old_names, old, strict=True))
        by_new = dict(zip(new_names, new, strict=True))
        for name in [*old_names, *(n for n in new_names if n not in by_old)]:
            before, after = by_old.get(name, MISSING), by_new.get(name, MISSING)
            if before is MISSING or after is MISSING:  # a whole item added or removed: its name is in the path
                item = after if before is MISSING else before
                rest = {k: v for k, v in item.items() if k != "name"}
                if rest:
                    before, after = ({}, rest) if before is MISSING else (rest, {})
            yield from _compare(f"{path}[name={name}]", before, after, redact)
        common_old = [n for n in old_names if n in by_new]
        common_new = [n for n in new_names if n in by_old]
        if common_old != common_new:
            yield FieldChange(f"{path}(order)", common_old, common_new, redacted=False)
        return
    if all(_is_scalar(v) for v in (*old, *new)):
        matcher = difflib.SequenceMatcher(
            a=[json.dumps(v) for v in old], b=[json.dumps(v) for v in new], autojunk=False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            if op == "replace" and i2 - i1 == j2 - j1:
                for offset in range(i2 - i1):
                    yield FieldChange(f"{path}[{j1 + offset}]", old[i1 + offset], new[j1 + offset], redacted=redact)
            elif op == "insert":
                for j in range(j1, j2):
                    yield FieldChange(f"{path}[{j}]", MISSING, new[j], redacted=redact)
            elif op == "delete":
                for i in range(i1, i2):
                    yield FieldChange(f"{path}[{i}]", old[i], MISSING, redacted=redact)
            else:
                yield FieldChange(f"{path}[{j1}:{j2}]", old[i1:i2], new[j1:j2], redacted=redact)
        return
    for index in range(max(len(old), len(new))):
        yield from _compare(
            f"{path}[{index}]",
            old[index] if index < len(old) else MISSING,
            new[index] if index < len(new) else MISSING,
            redact,
        )


def _resource_fields(key: ResourceKey, old: Entry, new: Entry) -> list[FieldChange]:
    secret = key.group == "kubernetes" and key.kind == "Secret" and key.api_version == "v1"
    changes: list[FieldChange] = []
    for top in [*old.body, *(k for k in new.body if k not in old.body)]:
        redact = secret and top in ("data", "stringData")
        changes.extend(
            _compare(_key_path("", str(top)), old.body.get(top, MISSING), new.body.get(top, MISSING), redact)
        )
    for top in [*old.engine, *(k for k in new.engine if k not in old.engine)]:
        changes.extend(
            _compare(f"engine.{top}", old.engine.get(top, MISSING), new.engine.get(top, MISSING), redact=False)
        )
    if old.urn != new.urn:  # a new parent or Pulumi name: Pulumi replaces the resource unless it has an alias
        changes.append(FieldChange("(urn)", old.urn, new.urn))
    return changes


def diff_snapshots(old: RenderSnapshot, new: RenderSnapshot) -> RenderDiff:
    """The differences between two loaded renders."""
    added = tuple(sorted(k for k in new.resources if k not in old.resources))
    removed = tuple(sorted(k for k in old.resources if k not in new.resources))
    changed = []
    for key in sorted(k for k in old.resources if k in new.resources):
        fields = _resource_fields(key, old.resources[key], new.resources[key])
        if fields:
            changed.append(ResourceChange(key, tuple(fields)))
    return RenderDiff(
        added=added,
        removed=removed,
        changed=tuple(changed),
        old_count=len(old.resources),
        new_count=len(new.resources),
        notes=(*old.notes, *new.notes),
        insecure_old=old.insecure,
        insecure_new=new.insecure,
        summary=summarize(old, new),
    )


def diff_renders(old: Path, new: Path) -> RenderDiff:
    """The differences between the render folders ``old`` and ``new`` (:class:`RenderFolderError` if unreadable)."""
    return diff_snapshots(load_render(old), load_render(new))


# --- what an upgrade changes across the render ------------------------------------------------------------------


def split_image(ref: str) -> tuple[str, str]:
    """``(repository, rest)`` of an image reference: ``("vllm/vllm-openai", "v0.30.0@sha256:...")``; ``rest`` is the
    tag and digest as written (``@sha256:...`` alone for a digest-only reference, empty for neither). A registry
    port (``host:5000/x``) stays in the repository."""
    name, at, digest = ref.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :] + at + digest
    return name, at + digest


def _walk_images(value: Any, found: set[str]) -> None:
    """Collect image references under ``value``: every string ``image`` field (pod specs, ``image: repo:tag`` Helm
    values) and every Helm-style image mapping (``{"repository", "tag"}`` and/or ``{"digest"}``, as the NVIDIA
    device plugin, Kueue and cert-manager charts take them)."""
    if isinstance(value, Mapping):
        repository = value.get("repository")
        tag, digest = value.get("tag"), value.get("digest")
        if isinstance(repository, str) and (isinstance(tag, str) or isinstance(digest, str)) and "/" in repository:
            ref = repository + (f":{tag}" if isinstance(tag, str) and tag else "")
            if isinstance(digest, str) and digest and "@" not in ref:
                ref += f"@{digest}"
            found.add(ref)
        for key, item in value.items():
            if key == "image" and isinstance(item, str) and item:
                found.add(item)
            else:
                _walk_images(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk_images(item, found)


def render_images(snapshot: RenderSnapshot) -> dict[str, tuple[str, ...]]:
    """Every image a render deploys, by repository: repository -> its references' tag and digest parts, sorted
    (see :func:`split_image`). Read from every resource's content: Kubernetes objects and Helm release values."""
    found: set[str] = set()
    for entry in snapshot.resources.values():
        _walk_images(entry.body, found)
    by_repository: dict[str, set[str]] = {}
    for ref in found:
        repository, rest = split_image(ref)
        by_repository.setdefault(repository, set()).add(rest)
    return {repository: tuple(sorted(rests)) for repository, rests in sorted(by_repository.items())}


def render_charts(snapshot: RenderSnapshot) -> dict[str, str]:
    """Every Helm release of a render (``kubernetes:helm.sh/v3:Release`` and ``v4`` charts), by release name:
    ``chart version`` (``oci://registry.k8s.io/lws/charts/lws 0.11.1``)."""
    charts: dict[str, str] = {}
    for key, entry in snapshot.resources.items():
        if key.group != "cloud" or not key.type.startswith("kubernetes:helm.sh/"):
            continue
        chart, version = entry.body.get("chart"), entry.body.get("version")
        repo_opts = entry.body.get("repositoryOpts")
        repo = repo_opts.get("repo") if isinstance(repo_opts, Mapping) else None
        where = f"{repo}/{chart}" if isinstance(repo, str) and repo and isinstance(chart, str) else chart
        charts[key.name] = f"{where} {version}" if version else str(where)
    return dict(sorted(charts.items()))


def _pod_containers(value: Any, out: list[Mapping[str, Any]]) -> None:
    """Every container and init container mapping under ``value`` (any workload form: Deployment, LeaderWorkerSet,
    DisaggregatedSet roles, DaemonSet)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("containers", "initContainers") and isinstance(item, list):
                out.extend(c for c in item if isinstance(c, Mapping) and isinstance(c.get("name"), str))
            _pod_containers(item, out)
    elif isinstance(value, list):
        for item in value:
            _pod_containers(item, out)


def _env_word(item: Mapping[str, Any]) -> str:
    name = str(item.get("name"))
    if "value" in item:
        return f"{name}={item.get('value')}"
    source = item.get("valueFrom")
    if isinstance(source, Mapping) and source:
        kind = next(iter(source))
        ref = source[kind]
        detail = ref.get("fieldPath") or ref.get("name") if isinstance(ref, Mapping) else None
        return f"{name}=({kind}{' ' + str(detail) if detail else ''})"
    return name


def render_containers(snapshot: RenderSnapshot) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """The containers of a render's Kubernetes workloads by container name (``modelserver``, ``routing-proxy``,
    ``epp`` ...): name -> (every argument and command word any of them runs with, every env entry
    ``NAME=value`` / ``NAME=(secretKeyRef ...)``). Pooled across workloads and roles, so a flag or variable that
    appears or disappears shows even when the workload itself was replaced by another form."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for key, entry in snapshot.resources.items():
        if key.group != "kubernetes":
            continue
        containers: list[Mapping[str, Any]] = []
        _pod_containers(entry.body, containers)
        for container in containers:
            words, env = out.setdefault(str(container["name"]), (set(), set()))
            for field_name in ("command", "args"):
                value = container.get(field_name)
                if isinstance(value, list):
                    words.update(str(w) for w in value)
            value = container.get("env")
            if isinstance(value, list):
                env.update(_env_word(e) for e in value if isinstance(e, Mapping) and "name" in e)
    return {name: (frozenset(w), frozenset(e)) for name, (w, e) in sorted(out.items())}


@dataclass(frozen=True)
class ContainerChange:
    """Arguments and env entries of the containers called ``name`` that only the old (``removed_*``) or only the
    new render (``added_*``) has."""

    name: str
    added_args: tuple[str, ...] = ()
    removed_args: tuple[str, ...] = ()
    added_env: tuple[str, ...] = ()
    removed_env: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseSummary:
    """What changed across a whole render (see the module docstring): the llm-d release (old, new; empty when a
    render has no ``render.json``), images by repository (repository -> (old references' tag/digest parts, new
    ones); empty tuple for none), Helm charts by release name (name -> (old, new); empty for none), and
    :class:`ContainerChange` per container name."""

    release_old: str = ""
    release_new: str = ""
    images: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    charts: tuple[tuple[str, str, str], ...] = ()
    containers: tuple[ContainerChange, ...] = ()

    @property
    def empty(self) -> bool:
        """True when neither the release, an image, a chart nor a container's flags or env changed."""
        return not (self.release_changed or self.images or self.charts or self.containers)

    @property
    def release_changed(self) -> bool:
        """True when both renders record their llm-d release and the releases differ."""
        return bool(self.release_old and self.release_new and self.release_old != self.release_new)


def summarize(old: RenderSnapshot, new: RenderSnapshot) -> ReleaseSummary:
    """The :class:`ReleaseSummary` of two loaded renders."""
    old_images, new_images = render_images(old), render_images(new)
    images = tuple(
        (repository, old_images.get(repository, ()), new_images.get(repository, ()))
        for repository in sorted({*old_images, *new_images})
        if old_images.get(repository, ()) != new_images.get(repository, ())
    )
    old_charts, new_charts = render_charts(old), render_charts(new)
    charts = tuple(
        (name, old_charts.get(name, ""), new_charts.get(name, ""))
        for name in sorted({*old_charts, *new_charts})
        if old_charts.get(name, "") != new_charts.get(name, "")
    )
    old_containers, new_containers = render_containers(old), render_containers(new)
    containers = []
    for name in sorted({*old_containers, *new_containers}):
        if name not in old_containers or name not in new_containers:
            continue  # a container only one side runs: its image (above) and the object lists show it
        (old_args, old_env), (new_args, new_env) = old_containers[name], new_containers[name]
        change = ContainerChange(
            name,
            added_args=tuple(sorted(new_args - old_args)),
            removed_args=tuple(sorted(old_args - new_args)),
            added_env=tuple(sorted(new_env - old_env)),
            removed_env=tuple(sorted(old_env - new_env)),
        )
        if change.added_args or change.removed_args or change.added_env or change.removed_env:
            containers.append(change)
    return ReleaseSummary(
        release_old=old.release,
        release_new=new.release,
        images=images,
        charts=charts,
        containers=tuple(containers),
    )


def _summary_lines(summary: ReleaseSummary | None) -> list[str]:
    """The summary as text lines (empty when nothing in it changed); values through :func:`_safe_value`."""
    if summary is None or summary.empty:
        return []
    lines = []
    if summary.release_changed:
        lines.append(f"llm-d release: {summary.release_old} -> {summary.release_new}")
    if summary.images:
        lines.append("images (by repository):")
        for repository, before, after in summary.images:
            old_text, new_text = ", ".join(before), ", ".join(after)
            if before and after:
                lines.append(f"  ~ {repository}: {old_text} -> {new_text}")
            elif after:
                lines.append(f"  + {repository}: {new_text}")
            else:
                lines.append(f"  - {repository}: {old_text}")
    if summary.charts:
        lines.append("charts (Helm releases):")
        for name, chart_before, chart_after in summary.charts:
            old_chart, _, old_version = chart_before.rpartition(" ")
            new_chart, _, new_version = chart_after.rpartition(" ")
            if chart_before and chart_after and old_chart == new_chart:
                lines.append(f"  ~ {name} ({new_chart}): {old_version} -> {new_version}")
            else:
                mark = "~" if chart_before and chart_after else "+" if chart_after else "-"
                lines.append(f"  {mark} {name}: {chart_before or '(absent)'} -> {chart_after or '(absent)'}")
    if summary.containers:
        lines.append("container flags and env (by container name, across workloads):")
        for change in summary.containers:
            lines.append(f"  ~ {change.name}")
            for mark, label, words in (
                ("-", "arg", change.removed_args),
                ("+", "arg", change.added_args),
                ("-", "env", change.removed_env),
                ("+", "env", change.added_env),
            ):
                for word in words:
                    env_name, _, env_value = word.partition("=")
                    if label == "env" and is_sensitive_name(env_name) and not env_value.startswith("("):
                        shown = f"{env_name}={_REDACTED}"
                    else:
                        shown = redact(word)
                    if len(shown) > IMAGE_VALUE_LIMIT:
                        shown = shown[: IMAGE_VALUE_LIMIT - 3] + "..."
                    lines.append(f"      {mark} {label} {shown}")
    return lines


# --- formatting ---------------------------------------------------------------------------------------------------


def _show(value: Any, redacted: bool = False, limit: int = VALUE_LIMIT) -> str:
    if value is MISSING:
        return "(absent)"
    if redacted:
        return _REDACTED
    text = json.dumps(_safe_value(value), sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _safe_value(value: Any, name: str = "") -> Any:
    """``value`` as it may be shown: strings under a sensitive ``name`` or key, env-style items ``{"name": N,
    "value": V}`` with a sensitive ``N``, and credential-shaped strings (:func:`pulumi_llmd.redact.redact`) redacted;
    numbers and booleans kept."""
    if isinstance(value, Mapping):
        item = value.get("name")
        hidden = isinstance(item, str) and is_sensitive_name(item)
        return {
            k: _safe_value(v, "token" if hidden and k == "value" else str(k))
            for k, v in value.items()  # "token": any sensitive name
        }
    if isinstance(value, list):
        return [_safe_value(v, name) for v in value]
    if isinstance(value, str):
        return _REDACTED if value and name and is_sensitive_name(name) else redact(value)
    return value


def _path_names(path: str) -> list[str]:
    """The names in a field path, outermost first: keys, and the item names of ``[name=...]`` selectors."""
    names = []
    for m in _PATH_PART.finditer(path):
        name = m.group(1) or m.group(2) or m.group(3)
        if name:
            names.append(name)
    return names


def _sensitive_path(path: str) -> bool:
    """Whether the field at ``path`` holds a value that must not be shown: its own key is sensitive
    (``inputs.masterAuth.password``, ``data.apiKey``), or it is the ``value`` of (or the whole) list item named
    sensitively (``env[name=HF_TOKEN].value``, ``env[name=HF_TOKEN]``)."""
    names = _path_names(path)
    if not names:
        return False
    if is_sensitive_name(names[-1]) and names[-1] not in ("value", "name"):
        return True
    if path.rstrip().endswith("]") and "[name=" in path.rsplit(".", 1)[-1]:
        return is_sensitive_name(names[-1])
    return names[-1] == "value" and len(names) > 1 and f"[name={names[-2]}]" in path and is_sensitive_name(names[-2])


def _safe_change(change: FieldChange) -> FieldChange:
    """``change`` with its values hidden (``redacted``) when its path is sensitive and one side is a string (or a
    structure): booleans and numbers under a sensitive name (``automountServiceAccountToken: false``) stay visible."""
    if change.redacted or not _sensitive_path(change.path):
        return change
    if all(v is MISSING or v is None or isinstance(v, bool | int | float) for v in (change.old, change.new)):
        return change
    return FieldChange(change.path, change.old, change.new, redacted=True)


def _multiline(change: FieldChange) -> bool:
    return (
        not change.redacted
        and isinstance(change.old, str)
        and isinstance(change.new, str)
        and ("\n" in change.old or "\n" in change.new)
    )


def _line_diff(old: str, new: str) -> list[str]:
    """The ``-``/``+`` lines between two multi-line strings, at most :data:`LINE_LIMIT` of them."""
    lines = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    if len(lines) > LINE_LIMIT:
        lines = [*lines[:LINE_LIMIT], f"  ... {len(lines) - LINE_LIMIT} more changed line(s)"]
    lines = [redact(line) for line in lines]  # before cutting: a cut credential is no longer recognizable
    return [line if len(line) <= VALUE_LIMIT + 2 else line[: VALUE_LIMIT - 1] + "..." for line in lines]


def _limit_for(path: str) -> int:
    """How long a value at ``path`` may be shown: image references (``...image``, Helm ``image.tag`` /
    ``image.digest``) whole up to :data:`IMAGE_VALUE_LIMIT`, everything else :data:`VALUE_LIMIT`."""
    names = _path_names(path)
    last = names[-1] if names else ""
    if last == "image" or (last in ("tag", "digest", "repository") and len(names) > 1 and names[-2] == "image"):
        return IMAGE_VALUE_LIMIT
    return VALUE_LIMIT


def _field_lines(change: FieldChange) -> list[str]:
    """A field change as text lines: ``path: old -> new`` (multi-line strings as a line diff below the path)."""
    change = _safe_change(change)
    if _multiline(change):
        return [
            f"{change.path}: text changed",
            *(f"  {line[0]} {line[1:]}" for line in _line_diff(change.old, change.new)),
        ]
    if change.redacted and change.kind == "changed":
        return [f"{change.path}: {_REDACTED} (changed)"]
    limit = _limit_for(change.path)
    return [
        f"{change.path}: {_show(change.old, change.redacted, limit)} -> {_show(change.new, change.redacted, limit)}"
    ]


def _limited(fields: Sequence[FieldChange]) -> tuple[Sequence[FieldChange], int]:
    return fields[:FIELD_LIMIT], max(0, len(fields) - FIELD_LIMIT)


def format_text(diff: RenderDiff) -> str:
    """The diff for a terminal: a headline, then added, removed and changed resources with their fields."""
    lines = [diff.headline()]
    lines.extend(f"note: {note}" for note in diff.notes)
    lines.extend(_summary_lines(diff.summary))
    lines.extend(_insecure_text(diff))
    if diff.added:
        lines.append("added:")
        lines.extend(f"  + {key}" for key in diff.added)
    if diff.removed:
        lines.append("removed:")
        lines.extend(f"  - {key}" for key in diff.removed)
    if diff.changed:
        lines.append("changed:")
        for change in diff.changed:
            lines.append(f"  ~ {change.key}")
            shown, more = _limited(change.fields)
            for f in shown:
                lines.extend(f"      {line}" for line in _field_lines(f))
            if more:
                lines.append(f"      ... and {more} more field(s)")
    return redact("\n".join(lines) + "\n")


def _insecure_marks(diff: RenderDiff) -> list[tuple[str, str]]:
    """``(mark, line)`` for each insecure choice of the new render (``+`` new in this change, `` `` kept) and each
    one the change drops (``-``); empty when the new render records none or has no ``render.json``."""
    new = diff.insecure_new or ()
    old = diff.insecure_old
    marks = [("+" if old is not None and line not in old else " ", line) for line in new]
    marks += [("-", line) for line in (old or ()) if diff.insecure_new is not None and line not in new]
    return marks


def _insecure_markdown(diff: RenderDiff) -> list[str]:
    """The insecure-choices block of the Markdown output (see :func:`_insecure_marks`), empty when there are none."""
    marks = _insecure_marks(diff)
    if not marks:
        return []
    items = []
    for mark, line in marks:
        if mark == "+":
            items.append(f"- **new:** {_code(line)}")
        elif mark == "-":
            items.append(f"- ~~{_code(line)}~~ (dropped)")
        else:
            items.append(f"- {_code(line)}")
    count = len(diff.insecure_new or ())
    return [f"**Insecure choices (explicit in the stack file): {count}**", "", *items, ""]


def _insecure_text(diff: RenderDiff) -> list[str]:
    marks = _insecure_marks(diff)
    if not marks:
        return []
    count = len(diff.insecure_new or ())
    return [f"insecure choices (explicit in the stack file): {count}", *(f"  {m} {line}" for m, line in marks)]


def _code(text: str) -> str:
    """Inline Markdown code that survives backticks in ``text``."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def format_markdown(diff: RenderDiff, title: str | None = None) -> str:
    """The diff as GitHub Markdown (for a pull-request comment): lists of added and removed resources, and a
    collapsible ``diff`` block of changed fields per changed resource. Cut near :data:`MARKDOWN_LIMIT` characters.
    """
    heading = f"#### {_code(title)}: " if title else "#### "
    out = [f"{heading}{diff.headline()}", ""]
    out.extend(f"> {note}" for note in diff.notes)
    summary = _summary_lines(diff.summary)
    if summary:
        if out[-1]:
            out.append("")  # a blank line ends the notes' quote
        out += ["**Upgrade summary**", "", "```diff", *(line.replace("```", "'''") for line in summary), "```", ""]
    insecure = _insecure_markdown(diff)
    if insecure and out[-1]:
        out.append("")  # a blank line ends the notes' quote
    out.extend(insecure)
    for label, keys in (("Added", diff.added), ("Removed", diff.removed)):
        if not keys:
            continue
        items = [f"- {_code(str(k))}" for k in keys]
        if len(keys) <= 15:
            out += [f"**{label} ({len(keys)})**", "", *items, ""]
        else:
            out += ["<details>", f"<summary><b>{label} ({len(keys)})</b></summary>", "", *items, "", "</details>", ""]
    if diff.changed:
        out += [f"**Changed ({len(diff.changed)})**", ""]
        for change in diff.changed:
            block = [
                "<details open>" if len(change.fields) <= 10 else "<details>",
                f"<summary><code>{_html(str(change.key))}</code> ({len(change.fields)} field(s))</summary>",
                "",
                "```diff",
            ]
            shown, more = _limited(change.fields)
            for f in shown:
                block.extend(line.replace("```", "'''") for line in _diff_lines(f))  # never close the fence early
            if more:
                block.append(f"# ... and {more} more field(s)")
            block += ["```", "", "</details>", ""]
            out.extend(block)
    text = redact("\n".join(out).rstrip() + "\n")
    if len(text) > MARKDOWN_LIMIT:
        cut = text[:MARKDOWN_LIMIT].rsplit("\n", 1)[0]
        if cut.count("```") % 2:
            cut += "\n```"
        text = cut + "\n\n_(cut: the diff is too long for one comment; run `pulumi-llmd diff` locally)_\n"
    return text


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _diff_lines(change: FieldChange) -> list[str]:
    """A field change as ``diff`` lines: ``- path: old`` and ``+ path: new``."""
    change = _safe_change(change)
    if _multiline(change):
        return [
            f"~ {change.path}: text changed",
            *(f"{line[0]}     {line[1:]}" for line in _line_diff(change.old, change.new)),
        ]
    if change.redacted:
        return [f"~ {change.path}: {_REDACTED} ({change.kind})"]
    lines = []
    limit = _limit_for(change.path)
    if change.old is not MISSING:
        lines.append(f"- {change.path}: {_show(change.old, limit=limit)}")
    if change.new is not MISSING:
        lines.append(f"+ {change.path}: {_show(change.new, limit=limit)}")
    return lines
