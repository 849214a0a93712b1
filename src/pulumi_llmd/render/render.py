"""The offline render: run a stack's program under the mock engine, validate every Kubernetes object, write files.

Contract (DESIGN.md "The offline render contract"): ``OUT/resources.json`` holds every registered resource sorted
by URN as ``{"urn", "type", "name", "parent", "custom", "inputs"}``; ``OUT/manifests.yaml`` holds every Kubernetes
object, one YAML document each, in a stable order, integral numbers as integers and secrets replaced by
``[secret]``. Same input, byte-identical output.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.rpc import UNKNOWN, is_rpc_secret

from pulumi_llmd.policies.check import CheckResult, resources_from_render, run_checks
from pulumi_llmd.policies.requirements import DEFAULT_VERSION
from pulumi_llmd.render.engine import SECRET_MARKER, RegisteredResource, run_program
from pulumi_llmd.render.validation import SchemaIssue, SchemaValidator
from pulumi_llmd.twin import TwinResult, run_twin

UNKNOWN_MARKER = "[unknown]"
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


class StackFileError(ValueError):
    """A stack file that cannot be read (missing, not YAML, no ``config`` mapping)."""


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

    Structured values are JSON-encoded; ``secure:`` values (encrypted, unreadable without the CLI) become the
    ``[secret]`` marker and their keys are returned as secret keys.
    """
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from None
    raw = (doc or {}).get("config", {})
    if not isinstance(raw, Mapping):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in raw.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            config[key] = SECRET_MARKER
            secrets.append(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, tuple(sorted(secrets))


def normalize(value: Any) -> Any:
    """Engine values as plain, deterministic data: secret values -> ``[secret]`` (mapping keys kept), integral
    floats -> int, unknowns marked."""
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
        return "".join("---\n" + yaml.dump(m, Dumper=_Dumper, sort_keys=True, width=1000) for m in self.manifests)

    def write(self, out: Path) -> None:
        """Write ``resources.json`` and ``manifests.yaml`` into ``out`` (created if needed)."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "resources.json").write_text(self.resources_json())
        (out / "manifests.yaml").write_text(self.manifests_yaml())

    def summary(self) -> str:
        """The human summary: resources by type, Kubernetes objects by kind, schema results."""
        lines = [f"stack {self.stack}: {len(self.resources)} resources, {len(self.manifests)} Kubernetes objects"]
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
        return "\n".join(lines)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)

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
) -> RenderResult:
    """Normalize engine records into a :class:`RenderResult`, validate every Kubernetes object, run the policy
    packs for AI-conformance checklist ``kar_version`` (None skips the policy check) and, unless ``twin`` is False,
    the first-deploy twin (after schema validation)."""
    resources = [resource_record(r) for r in sorted(records, key=lambda r: r.urn)]
    manifests = sorted(
        (normalize(r.inputs) for r in records if _is_manifest(r)),
        key=_manifest_key,
    )
    issues = _validator().validate_all(manifests)
    policy = run_checks(resources_from_render(resources), kar_version) if kar_version is not None else None
    return RenderResult(
        stack=stack,
        resources=resources,
        manifests=manifests,
        schema_issues=list(issues),
        policy=policy,
        twin=run_twin(resources) if twin else None,
    )


def render_stack(
    stack: str,
    *,
    project_dir: Path | None = None,
    kar_version: str | None = DEFAULT_VERSION,
    twin: bool = True,
) -> RenderResult:
    """Render one stack of the project in ``project_dir`` (default: the nearest ``Pulumi.yaml`` above the cwd).

    The policy packs run over the result for AI-conformance checklist ``kar_version`` (None: no policy check), and
    the first-deploy twin unless ``twin`` is False.

    ``stack`` is a stack name (``stacks/Pulumi.<stack>.yaml``) or the path of a stack file. Raises
    :class:`StackFileError` for a missing or unreadable stack file, and whatever the program raises (for an
    invalid configuration ``pulumi.RunError`` listing every problem, with nothing registered).
    """
    project = Project.find(project_dir or Path.cwd())
    name, path = project.stack_file(stack)
    config, secret_keys = load_stack_config(path)
    run = run_program(project.program, project=project.name, stack=name, config=config, secret_keys=secret_keys)
    run.raise_error()
    return build_result(name, run.resources, kar_version=kar_version, twin=twin)
