"""The offline render: run a stack's program under the mock engine, validate every Kubernetes object, write files.

Contract (DESIGN.md "The offline render contract"): ``OUT/resources.json`` holds every registered resource sorted
by URN as ``{"urn", "type", "name", "parent", "custom", "inputs"}``; ``OUT/manifests.yaml`` holds every Kubernetes
object, one YAML document each, in a stable order, integral numbers as integers and secrets replaced by
``[secret]``; ``OUT/render.json`` (:mod:`pulumi_llmd.render.metadata`) records the stack, the sha256 of its stack
file, the library version, the files and their sha256, the results and the stack's explicit insecure choices, and is
written last. The folder is written atomically (:mod:`pulumi_llmd.render.output`). Same input, byte-identical output.

Secrets never reach an output: Pulumi secrets are masked by the engine; the files additionally have credential-shaped
container env values and arguments replaced (:func:`scrub`), and the summary passes through
:func:`pulumi_llmd.redact.redact` with the stack file's own sensitive values as known secrets.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc as pulumi_rpc
from pulumi.runtime.rpc import UNKNOWN, is_rpc_secret

from pulumi_llmd.components.versions import LlmdRelease, active_release, release_named
from pulumi_llmd.policies.check import CheckResult, resources_from_render, run_checks
from pulumi_llmd.policies.requirements import DEFAULT_VERSION
from pulumi_llmd.redact import _ARG_FIELDS, is_sensitive_name, looks_like_credential, redact, scrub
from pulumi_llmd.redact import _scrub as _redact_walk
from pulumi_llmd.render.cost import StackCost, stack_cost
from pulumi_llmd.render.engine import SECRET_MARKER, RegisteredResource, run_program
from pulumi_llmd.render.metadata import METADATA_FILE, RenderMetadata, output_info, relative_stack_path, sha256_hex
from pulumi_llmd.render.output import begin_render
from pulumi_llmd.render.validation import SchemaIssue, SchemaValidator
from pulumi_llmd.stackfile import StackFileError, read_stack_file
from pulumi_llmd.twin import TwinResult, run_twin

UNKNOWN_MARKER = "[unknown]"
#: The config namespace of the library's stack keys (``llmd:release``).
_CONFIG_NAMESPACE = "llmd"
#: Apply order of kinds in manifests.yaml (cluster-scoped foundations first, as Helm orders an install).
_KIND_ORDER = (
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Deployment",
    "StatefulSet",
    "LeaderWorkerSet",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "GatewayClass",
    "Gateway",
    "InferencePool",
    "HTTPRoute",
)


@dataclass(frozen=True)
class Project:
    """A Pulumi project on disk: its name, folder, program file and stack-config folder."""

    name: str
    root: Path
    program: Path
    stack_dir: Path

    @classmethod
    def find(cls, start: Path) -> Project:
        """The project whose ``Pulumi.yaml`` is in ``start`` or the nearest folder above it.

        Raises StackFileError when there is none.
        """
        for folder in (start.resolve(), *start.resolve().parents):
            spec_file = folder / "Pulumi.yaml"
            if spec_file.is_file():
                spec = yaml.safe_load(spec_file.read_text()) or {}
                main = spec.get("main", ".")
                program = folder / main
                if program.is_dir():
                    program = program / "__main__.py"
                return cls(
                    name=str(spec["name"]),
                    root=folder,
                    program=program,
                    stack_dir=folder / spec.get("stackConfigDir", "."),
                )
        raise StackFileError(f"no Pulumi.yaml in {start.resolve()} or above; pass --project-dir")

    def stack_file(self, stack: str) -> tuple[str, Path]:
        """``(stack name, file)`` for a stack name (``stacks/Pulumi.<name>.yaml``) or a path to a stack file."""
        as_path = Path(stack)
        if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
            name = as_path.stem.removeprefix("Pulumi.")
            return name, as_path
        path = self.stack_dir / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            known = sorted(p.stem.removeprefix("Pulumi.") for p in self.stack_dir.glob("Pulumi.*.yaml"))
            raise StackFileError(f"no stack '{stack}' ({path} does not exist); stacks: {', '.join(known) or 'none'}")
        return stack, path


def load_stack_config(path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """Config values of a stack file as Pulumi hands them to a program, and the keys that are secrets.

    Read with the bounded loader of :mod:`pulumi_llmd.stackfile` (size, UTF-8, nesting, alias expansion, duplicate
    keys; raises :class:`StackFileError`). Structured values are JSON-encoded; ``secure:`` values (encrypted,
    unreadable without the CLI), also nested ones, become the ``[secret]`` marker, and the top-level keys holding
    one are returned as secret keys (as the Pulumi engine lists them).
    """
    stack = read_stack_file(path)
    return stack.values, stack.secret_keys


def normalize(value: Any) -> Any:
    """Engine values as plain, deterministic data: secret values -> ``[secret]`` (mapping keys kept), integral
    floats -> int, unknowns marked."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict and _SECRET_SIG not in value and all(type(k) is str for k in value):
        return {k: normalize(value[k]) for k in sorted(value)}  # str keys: the order of sorting by str(key)
    if kind is list:
        return [normalize(v) for v in value]
    return _normalize_other(value)


#: The key by which the engine marks a secret (and other special) values.
_SECRET_SIG: str = pulumi_rpc._special_sig_key


def _normalize_other(value: Any) -> Any:
    if is_rpc_secret(value):
        return _mask(value["value"])
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if value is UNKNOWN:
        return UNKNOWN_MARKER
    if isinstance(value, pulumi.Resource):
        return "[resource]"
    return str(value)


def _mask(value: Any) -> Any:
    """A secret's shape with every value replaced by the marker (keys stay, so a Secret's ``stringData`` keeps
    its keys and stays schema-valid)."""
    if is_rpc_secret(value):
        return _mask(value["value"])
    if isinstance(value, Mapping):
        return {str(k): _mask(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return SECRET_MARKER


#: Annotations with which pulumi-kubernetes changes how it awaits an object (pulumi/pulumi-kubernetes
#: ``provider/pkg/await``: ``pulumi.com/skipAwait``, ``pulumi.com/timeoutSeconds``, ``pulumi.com/waitFor``,
#: ``pulumi.com/patchForce``, ``pulumi.com/deletionPropagationPolicy``, ``pulumi.com/replaceUnready``).
AWAIT_ANNOTATION_PREFIX = "pulumi.com/"


def await_annotations(inputs: Mapping[str, Any]) -> dict[str, str]:
    """The ``pulumi.com/*`` annotations of a Kubernetes object's inputs (empty for anything else)."""
    meta = inputs.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(annotations, Mapping):
        return {}
    return {str(k): str(v) for k, v in sorted(annotations.items()) if str(k).startswith(AWAIT_ANNOTATION_PREFIX)}


def resource_record(r: RegisteredResource) -> dict[str, Any]:
    """One ``resources.json`` entry: the resource, its inputs, and what the engine is told about it.

    Keys: ``urn``, ``type``, ``name``, ``parent``, ``custom``, ``inputs`` (normalized) and the engine's view:
    ``dependencies`` (sorted URNs the engine waits for), ``propertyDependencies`` (input key -> URNs),
    ``provider`` (explicit provider URN, ``""`` for the default provider), ``customTimeouts`` (``create`` /
    ``update`` / ``delete`` as sent, e.g. ``"40m"``), ``ignoreChanges``, ``deleteBeforeReplace``, ``protect`` and
    ``awaitAnnotations`` (the object's ``pulumi.com/*`` annotations that change pulumi-kubernetes' await).
    """
    inputs = normalize(r.inputs)
    o = r.options
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "custom": r.custom,
        "inputs": inputs,
        "dependencies": list(o.dependencies),
        "propertyDependencies": {k: list(v) for k, v in o.property_dependencies if v},
        "provider": o.provider,
        "customTimeouts": dict(o.custom_timeouts),
        "ignoreChanges": list(o.ignore_changes),
        "deleteBeforeReplace": o.delete_before_replace,
        "protect": o.protect,
        "awaitAnnotations": await_annotations(inputs) if r.type.startswith("kubernetes:") else {},
    }


def _is_manifest(resource: RegisteredResource) -> bool:
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and "apiVersion" in resource.inputs
        and "kind" in resource.inputs
    )


def _manifest_key(obj: Mapping[str, Any]) -> tuple[int, str, str, str, str]:
    kind = str(obj.get("kind", ""))
    rank = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
    meta = obj.get("metadata") or {}
    return rank, kind, str(obj.get("apiVersion", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))


@dataclass(frozen=True)
class InsecureChoiceRecord:
    """An explicit insecure choice of the stack file as a render reports it (see
    :func:`pulumi_llmd.blueprints.posture.insecure_choices`): the config key, its value (never a secret) and why."""

    key: str
    value: str
    why: str

    def line(self) -> str:
        """``key = value: why``."""
        return f"{self.key} = {self.value}: {self.why}"


@dataclass
class RenderResult:
    """A rendered stack: resources (normalized, sorted by URN), manifests (apply order), schema issues."""

    stack: str
    resources: list[dict[str, Any]]
    manifests: list[dict[str, Any]]
    schema_issues: list[SchemaIssue] = field(default_factory=list)
    #: Both policy packs run over ``resources`` (``pulumi_llmd.policies``); None when the check was skipped.
    policy: CheckResult | None = None
    #: The first-deploy twin over ``resources`` (:mod:`pulumi_llmd.twin`); None when it was skipped.
    twin: TwinResult | None = None
    #: The Pulumi project's name (``Pulumi.yaml``); empty for a result built by hand.
    project: str = ""
    #: The stack file as ``render.json`` records it (relative to the project folder); empty when unknown.
    stack_file: str = ""
    #: Hex sha256 of the stack file's bytes; empty when unknown.
    stack_sha256: str = ""
    #: The stack file's explicit insecure choices, sorted by key; None when the program did not expose its config.
    insecure_choices: tuple[InsecureChoiceRecord, ...] | None = None
    #: Plain values known to be secret (sensitive values of the stack file and environment), redacted from every
    #: text this result produces; never written.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    #: What the stack costs to run (:mod:`pulumi_llmd.render.cost`); None when the stack config is not known.
    cost: StackCost | None = None
    #: The llm-d release the render pinned its images and charts to (``llmd:release`` or ``render --release``);
    #: empty when unknown (a result built by hand: the active release is recorded).
    release: str = ""

    @property
    def ok(self) -> bool:
        """True when every Kubernetes object passed its schema."""
        return not self.schema_issues

    @property
    def policy_ok(self) -> bool:
        """True when no mandatory policy (AI-conformance MUST or llm-d practice) is violated."""
        return self.policy is None or self.policy.ok

    @property
    def twin_ok(self) -> bool:
        """True when the first-deploy twin found nothing the first ``pulumi up`` would fail on (or was skipped)."""
        return self.twin is None or self.twin.ok

    def resources_json(self) -> str:
        """``resources.json`` text (sorted keys, 2-space indent, trailing newline)."""
        return json.dumps(self.resources, indent=2, sort_keys=True) + "\n"

    def manifests_yaml(self) -> str:
        """``manifests.yaml`` text: one document per object, multi-line strings as literal blocks."""
        return "".join("---\n" + _dump_yaml(m) for m in self.manifests)

    def metadata(self, files: Mapping[str, str] | None = None) -> RenderMetadata:
        """The ``render.json`` content for this result; ``files`` (name -> text) default to both render files."""
        if files is None:
            files = {"resources.json": self.resources_json(), "manifests.yaml": self.manifests_yaml()}
        results: dict[str, Any] = {
            "resources": len(self.resources),
            "kubernetesObjects": len(self.manifests),
            "schemaIssues": len(self.schema_issues),
        }
        if self.policy is not None:
            results["karVersion"] = self.policy.version
            results["mandatoryViolations"] = len(self.policy.mandatory)
        if self.twin is not None:
            results["twinFailures"] = len(self.twin.findings) if not self.twin.ok else 0
        if self.cost is not None:
            results["cost"] = self.cost.to_json()
        insecure = None
        if self.insecure_choices is not None:
            insecure = [
                {"key": c.key, "value": redact(c.value, self.secrets), "why": redact(c.why, self.secrets)}
                for c in self.insecure_choices
            ]
        record = _release_record(self.release)
        return RenderMetadata(
            stack=self.stack,
            release=record.name,
            router_version=record.router_version,
            project=self.project,
            stack_file=self.stack_file,
            stack_sha256=self.stack_sha256,
            outputs={name: output_info(text) for name, text in sorted(files.items())},
            results=results,
            insecure_choices=insecure,
        )

    def render_json(self) -> str:
        """``render.json`` text (:mod:`pulumi_llmd.render.metadata`)."""
        return self.metadata().to_json()

    def files(self) -> dict[str, str]:
        """Every file of the render folder, name -> text, in write order (``render.json``, the marker, last)."""
        data = {"resources.json": self.resources_json(), "manifests.yaml": self.manifests_yaml()}
        return {**data, METADATA_FILE: self.metadata(data).to_json()}

    def write(self, out: Path) -> None:
        """Write ``resources.json``, ``manifests.yaml`` and ``render.json`` into ``out`` atomically: into a temporary
        folder beside it, renamed into place (:func:`pulumi_llmd.render.output.begin_render`; other files already in
        ``out`` are kept). Raises :class:`pulumi_llmd.render.output.OutputPathError` when ``out`` cannot be written.
        """
        with begin_render(out) as pending:
            pending.commit(self.files())

    def insecure_lines(self) -> list[str]:
        """The summary's block of explicit insecure choices (empty when they are unknown)."""
        if self.insecure_choices is None:
            return []
        if not self.insecure_choices:
            return ["insecure choices: none (the stack keeps every security default)"]
        return [
            f"Insecure choices (explicit in the stack file): {len(self.insecure_choices)}",
            *(f"  INSECURE {choice.line()}" for choice in self.insecure_choices),
        ]

    def summary(self) -> str:
        """The human summary: resources by type, Kubernetes objects by kind, schema results, policy and twin
        sections, the stack's explicit insecure choices; redacted (:func:`pulumi_llmd.redact.redact`)."""
        lines = [f"stack {self.stack}: {len(self.resources)} resources, {len(self.manifests)} Kubernetes objects"]
        lines.append(f"pinned to {_release_record(self.release).describe()}, stack key llmd:release")
        lines.append("resources by type:")
        for type_, count in sorted(Counter(r["type"] for r in self.resources).items()):
            lines.append(f"  {count:4d}  {type_}")
        lines.append("kubernetes objects:")
        for m in self.manifests:
            meta = m.get("metadata") or {}
            where = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
            lines.append(f"  {m['apiVersion']} {m['kind']} {where}{meta.get('name')}")
        if self.schema_issues:
            lines.append(f"schema validation: {len(self.schema_issues)} problem(s)")
            lines.extend(f"  FAIL {issue}" for issue in self.schema_issues)
        else:
            lines.append(
                f"schema validation: all {len(self.manifests)} objects valid "
                "(Kubernetes 1.35 OpenAPI, strict; custom resources against their upstream CRDs)"
            )
        if self.policy is not None:
            lines.extend(self.policy.lines())
        if self.twin is not None:
            lines.extend(self.twin.lines())
        lines.extend(self.insecure_lines())
        if self.cost is not None:
            lines.extend(self.cost.lines())
        return redact("\n".join(lines), self.secrets)


# --- keeping secrets out of the files ------------------------------------------------------------------------------

#: Container fields whose list items are command-line words (``--api-key=...``).
#: Environment variables whose sensitive-looking names hold no secret (the working folder).
_NOT_SECRET_ENV = frozenset({"PWD", "OLDPWD"})
#: Shortest value treated as a known secret (shorter ones, e.g. ``none``, would be redacted everywhere they occur).
_SECRET_MIN = 8


def known_secrets(config: Mapping[str, str], environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Plain values to redact from every output of a render: the stack file's values under a sensitive key
    (``hfToken``, ``apiKey`` ..., also nested) or credential-shaped, and the values of sensitive environment
    variables (``HF_TOKEN``, ``PULUMI_CONFIG_PASSPHRASE`` ...) of this process. Markers, values shorter than 8
    characters, paths (``GOOGLE_APPLICATION_CREDENTIALS=/path/key.json``) and ``PWD``/``OLDPWD`` (the word ``pwd``)
    are left out.

    Args:
        config: the stack's config as the engine gets it (keys -> text, structured values JSON-encoded).
        environ: environment variables (default: none).
    """
    found: set[str] = set()

    def walk(name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(str(key) if str(key) != "secure" else name, item)
        elif isinstance(value, list):
            for item in value:
                walk(name, item)
        elif (
            isinstance(value, str)
            and value not in (SECRET_MARKER, UNKNOWN_MARKER)
            and len(value) >= _SECRET_MIN
            and (is_sensitive_name(name) or looks_like_credential(value))
        ):
            found.add(value)

    for key, raw in config.items():
        try:
            decoded: Any = json.loads(raw)
        except ValueError:
            decoded = raw
        walk(key.split(":", 1)[-1], decoded)
    for name, value in (environ or {}).items():
        if name in _NOT_SECRET_ENV or value.startswith(("/", "~")):  # PWD (a "pwd" word), paths of credential files
            continue
        if is_sensitive_name(name) and len(value) >= _SECRET_MIN:
            found.add(value)
    return tuple(sorted(found))


def _scrub_unchanged_shared(value: Any, parent: str) -> Any:
    """:func:`scrub` without known secrets, sharing what it leaves unchanged: only container ``env`` items and
    ``args`` / ``command`` word lists can change then, and those are handed to scrub's own walk (same keys as it
    sees them); every other mapping and list is copied only when something below it changed. Equal to
    ``scrub(value)``, in a fraction of its time (it rebuilds every mapping and list of the render)."""
    if isinstance(value, dict):
        if parent == "env" and isinstance(value.get("name"), str) and isinstance(value.get("value"), str):
            return _redact_walk(value, (), parent)
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            new = _scrub_unchanged_shared(item, str(key))
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if isinstance(value, list):
        if parent in _ARG_FIELDS and all(isinstance(v, str) for v in value):
            words = _redact_walk(value, (), parent)
            return value if words == value else words
        out: list[Any] | None = None
        for index, item in enumerate(value):
            new = _scrub_unchanged_shared(item, parent)
            if new is not item:
                if out is None:
                    out = list(value)
                out[index] = new
        return value if out is None else out
    return value  # without known secrets scrub changes no other value


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)

if yaml.__with_libyaml__:

    class _CDumper(yaml.CSafeDumper):
        pass

    _CDumper.add_representer(str, _str_presenter)  # type: ignore[arg-type]
else:  # pragma: no cover - PyYAML without libyaml
    _CDumper = _Dumper  # type: ignore[misc,assignment]

#: Mapping keys both PyYAML emitters write alike (plain): Kubernetes field names, label and annotation keys.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def _plain_keys(value: Any) -> bool:
    """Whether every mapping key in ``value`` is a :data:`_PLAIN_KEY` string."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or not _PLAIN_KEY.fullmatch(key):
                    return False
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _dump_yaml(obj: Any) -> str:
    """One YAML document of ``obj``: keys sorted, multi-line strings as literal blocks, width 1000.

    libyaml's emitter (``CSafeDumper``, 4x faster) writes the same text as PyYAML's pure-Python one for these
    documents, except where a document ends with keep-chomped block text (it then adds a ``...`` end marker) or a
    mapping key needs quoting; those documents are written by the pure-Python emitter, as before."""
    if yaml.__with_libyaml__ and _plain_keys(obj):
        text = yaml.dump(obj, Dumper=_CDumper, sort_keys=True, width=1000)
        if not text.endswith("...\n"):
            return text
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, width=1000)


_VALIDATOR: SchemaValidator | None = None


def _validator() -> SchemaValidator:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = SchemaValidator()
    return _VALIDATOR


def build_result(
    stack: str,
    records: Sequence[RegisteredResource],
    *,
    kar_version: str | None = DEFAULT_VERSION,
    twin: bool = True,
    secrets: Iterable[str] = (),
) -> RenderResult:
    """Normalize engine records into a :class:`RenderResult`, validate every Kubernetes object, run the policy
    packs for AI-conformance checklist ``kar_version`` (None skips the policy check) and, unless ``twin`` is False,
    the first-deploy twin (after schema validation).

    The checks see the values as registered; the result's ``resources`` and ``manifests`` (what is written and
    shown) have credentials and the known ``secrets`` replaced (:func:`scrub`)."""
    # As in run_program: the objects alive now (the SDKs' modules, the program's records) survive the build, so a
    # full garbage collection need not walk them again (several would, ~0.2 s each for a large render).
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        return _build_result(stack, records, kar_version=kar_version, twin=twin, secrets=secrets)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _build_result(
    stack: str,
    records: Sequence[RegisteredResource],
    *,
    kar_version: str | None,
    twin: bool,
    secrets: Iterable[str],
) -> RenderResult:
    ordered = sorted(records, key=lambda r: r.urn)
    resources = [resource_record(r) for r in ordered]
    # Each object normalized once: a manifest is its resource's normalized inputs (nothing below changes either;
    # scrub() returns new values).
    normalized = {id(r): record["inputs"] for r, record in zip(ordered, resources, strict=True)}
    manifests = sorted((normalized[id(r)] for r in records if _is_manifest(r)), key=_manifest_key)
    issues = _validator().validate_all(manifests)
    policy = run_checks(resources_from_render(resources), kar_version) if kar_version is not None else None
    twin_result = run_twin(resources) if twin else None
    known = tuple(sorted(set(secrets)))
    scrubbed = scrub(resources, known) if known else _scrub_unchanged_shared(resources, "")
    # A manifest is its resource's inputs: scrubbed once, with the resources (scrub treats a mapping alike wherever
    # it sits; only the keys "env", "args" and "command" above a value matter).
    by_id = {id(record["inputs"]): clean["inputs"] for record, clean in zip(resources, scrubbed, strict=True)}
    return RenderResult(
        stack=stack,
        resources=scrubbed,
        manifests=[by_id[id(m)] for m in manifests],
        schema_issues=list(issues),
        policy=policy,
        twin=twin_result,
        secrets=known,
    )


def _release_record(name: str) -> LlmdRelease:
    """The release record called ``name``; the active release when ``name`` is empty."""
    return release_named(name) if name else active_release()


def render_stack(
    stack: str,
    *,
    project_dir: Path | None = None,
    kar_version: str | None = DEFAULT_VERSION,
    twin: bool = True,
    secrets: set[str] | None = None,
    release: str | None = None,
) -> RenderResult:
    """Render one stack of the project in ``project_dir`` (default: the nearest ``Pulumi.yaml`` above the cwd).

    The policy packs run over the result for AI-conformance checklist ``kar_version`` (None: no policy check), and
    the first-deploy twin unless ``twin`` is False.

    ``stack`` is a stack name (``stacks/Pulumi.<stack>.yaml``) or the path of a stack file. ``secrets``, when given,
    receives the stack file's sensitive values (:func:`known_secrets`) as soon as the file is read, so a caller can
    redact them from an error the program raises. ``release`` (an llm-d release name, ``v0.9.0``) overrides the
    stack file's ``llmd:release`` for this render only (an upgrade preview renders a stack under two releases and
    diffs them); default None (the stack's own). Raises :class:`StackFileError` for a missing or unreadable stack
    file, ``ValueError`` for a ``release`` the library does not carry (naming the allowed ones), and whatever the
    program raises (for an invalid configuration ``pulumi.RunError`` listing every problem, with nothing registered).
    """
    if release is not None:
        release = release_named(release).name
    project = Project.find(project_dir or Path.cwd())
    name, path = project.stack_file(stack)
    config, secret_keys = load_stack_config(path)
    if release is not None:
        config[f"{_CONFIG_NAMESPACE}:release"] = release
    known = set(known_secrets(config))
    if secrets is not None:
        secrets.update(known)
        known |= secrets
    try:
        stack_sha256 = sha256_hex(path.read_bytes())
    except OSError as exc:
        raise StackFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    run = run_program(project.program, project=project.name, stack=name, config=config, secret_keys=secret_keys)
    run.raise_error()
    result = build_result(name, run.resources, kar_version=kar_version, twin=twin, secrets=known)
    result.project = project.name
    result.stack_file = relative_stack_path(path, project.root)
    result.stack_sha256 = stack_sha256
    result.insecure_choices = _insecure_choices(run.program_globals)
    stack_config = _stack_config_of(run.program_globals)
    result.release = str(getattr(stack_config, "release", "") or release or "")
    result.cost = stack_cost(stack_config) if stack_config is not None else None
    return result


def _stack_config_of(program_globals: Mapping[str, Any]) -> Any:
    """The validated ``StackConfig`` the program deployed: the ``config`` of a ``Deployment`` it keeps as a global
    (``deployment = main()`` in the project's ``__main__.py``), else the current stack config parsed again (the
    mock engine's config is still set after the run), else None."""
    from pulumi_llmd.blueprints import StackConfig

    for value in program_globals.values():
        config = getattr(value, "config", None)
        if isinstance(config, StackConfig):
            return config
    try:
        from pulumi_llmd.blueprints import parse_stack_config, read_stack_config

        return parse_stack_config(read_stack_config())
    except Exception:  # a project that is not a pulumi-llm-d stack: its insecure choices are unknown
        return None


def _insecure_choices(program_globals: Mapping[str, Any]) -> tuple[InsecureChoiceRecord, ...] | None:
    """The stack's explicit insecure choices (:func:`pulumi_llmd.blueprints.posture.insecure_choices`), None when
    the stack config is not known."""
    config = _stack_config_of(program_globals)
    if config is None:
        return None
    from pulumi_llmd.blueprints.posture import insecure_choices

    return tuple(
        InsecureChoiceRecord(key=c.key, value=str(c.value), why=c.why) for c in sorted(insecure_choices(config))
    )
