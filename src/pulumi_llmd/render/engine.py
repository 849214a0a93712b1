"""Run a Pulumi program under the Pulumi SDK's mock engine and record every resource it registers.

No Pulumi CLI, cloud or cluster is involved: the program (the project's ``__main__.py``, or any callable) runs
in-process against a recording mock monitor. Cloud resources get deterministic fake outputs (a GKE endpoint,
a CA certificate) so that programs which derive a kubeconfig from them still run.
"""

from __future__ import annotations

import gc
import inspect
import os
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi._utils as pulumi_utils
import pulumi.output as pulumi_output
import pulumi.runtime
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource_runtime
from pulumi.runtime import rpc as pulumi_rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import CONFIG
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.resource_cycle_breaker import declare_dependency as _sdk_declare_dependency
from pulumi.runtime.sync_await import _sync_await

from pulumi_llmd.render.lazy_sdk import lazy_sdk_imports

#: The marker that stands in for secret values (config ``secure:`` values, Output.secret inputs) in every render.
SECRET_MARKER = "[secret]"
#: A certificate-shaped placeholder (base64 of "mock-cluster-ca") for mocked cluster CA outputs.
_FAKE_CA = "bW9jay1jbHVzdGVyLWNh"


@dataclass(frozen=True)
class RegisteredResource:
    """One resource registration as the engine saw it: inputs keep the engine's camelCase keys."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    #: What else the engine is told (see :class:`EngineOptions`); defaults for records built by hand in tests.
    options: EngineOptions = field(default_factory=lambda: EngineOptions())


@dataclass(frozen=True)
class EngineOptions:
    """The resource options of one registration as the Pulumi engine receives them (``RegisterResourceRequest``).

    ``dependencies`` are URNs the engine waits for before it creates the resource: explicit ``depends_on`` (a
    component expanded to its custom descendants by the SDK) and every resource an input Output came from;
    ``property_dependencies`` maps an input property to the URNs it came from. ``provider`` is the URN of the
    explicit provider (empty: the package's default provider). ``custom_timeouts`` holds the ``create`` / ``update``
    / ``delete`` durations as sent (``"25m"``; empty: the provider's default, 10 minutes for a pulumi-kubernetes
    Deployment await). Source: pulumi/pulumi ``proto/pulumi/resource.proto`` (RegisterResourceRequest).
    """

    dependencies: tuple[str, ...] = ()
    property_dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    provider: str = ""
    custom_timeouts: tuple[tuple[str, str], ...] = ()
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool = False
    protect: bool = False

    @classmethod
    def from_request(cls, request: Any) -> EngineOptions:
        """Read the options out of a ``RegisterResourceRequest`` (provider references lose their ``::id``)."""
        timeouts = request.customTimeouts
        return cls(
            dependencies=tuple(sorted(set(request.dependencies))),
            property_dependencies=tuple(
                sorted((key, tuple(sorted(set(deps.urns)))) for key, deps in request.propertyDependencies.items())
            ),
            provider=str(request.provider).rsplit("::", 1)[0] if request.provider else "",
            custom_timeouts=tuple(
                (k, v)
                for k, v in (("create", timeouts.create), ("update", timeouts.update), ("delete", timeouts.delete))
                if v
            ),
            ignore_changes=tuple(sorted(request.ignoreChanges)),
            delete_before_replace=bool(request.deleteBeforeReplace),
            protect=bool(request.protect),
        )


def _no_stack_trace() -> Any:
    return source_pb2.StackTrace()


_SCALARS = (str, int, float, bool, type(None))


def _contains_unknowns(val: Any) -> bool:
    """``pulumi.runtime.rpc.contains_unknowns`` without recursion: whether ``val`` is or holds (in dicts and lists,
    at any depth) the ``Unknown`` marker. Same answer as the SDK's (which every Output's data passes through, a
    tenth of a render's program time), in a third of the time."""
    unknown = pulumi_output.Unknown
    stack = [val]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if type(item) in _SCALARS:
            continue
        if isinstance(item, unknown):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            stack.extend([item[key] for key in item])  # not .values(): output types have a "values" property
        elif isinstance(item, list):
            stack.extend(item)
    return False


_sdk_is_empty_function = pulumi_utils.is_empty_function
#: Bytecode of the four empty bodies ``pulumi._utils.is_empty_function`` recognizes (``...``, a docstring, ``return
#: None`` with or without a docstring).
_EMPTY_BODIES = frozenset(
    fn.__code__.co_code
    for fn in (
        getattr(pulumi_utils, name, None) for name in ("_empty", "_empty_doc", "_empty_lambda", "_empty_lambda_doc")
    )
    if fn is not None
)


def _is_empty_function(fn: Callable[..., Any]) -> bool:
    """``pulumi._utils.is_empty_function``, with the same answers: False at once for a body that is none of the empty
    ones (the SDK first collects every function's constants; it runs for each property of every input and output
    type a generated module defines, thousands per imported module)."""
    if len(_EMPTY_BODIES) == 4 and fn.__code__.co_code not in _EMPTY_BODIES:
        return False
    return _sdk_is_empty_function(fn)


_DEPENDENCIES = "_direct_computed_dependencies"
#: Set on a resource once another one depends on it: only then can a new dependency of it close a cycle.
_DEPENDED_ON = "_llmd_depended_on"


def _declare_dependency(from_resource: Any, to_resource: Any) -> bool:
    """``pulumi.runtime.resource_cycle_breaker.declare_dependency``, faster: record that ``from_resource`` depends on
    ``to_resource`` unless ``from_resource`` is reachable from ``to_resource`` (a cycle; then False). Same graph and
    answers as the SDK's, which walks every transitive dependency through a generator per edge on every
    ``depends_on`` and input Output (the walk grows with the stack). The walk is skipped when nothing depends on
    ``from_resource`` yet (a resource being registered): then no path can lead back to it."""
    if to_resource == from_resource:
        return False
    if getattr(from_resource, _DEPENDED_ON, False):
        stack = [to_resource]
        seen: set[int] = set()
        while stack:
            item = stack.pop()
            if item == from_resource:
                return False
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(getattr(item, _DEPENDENCIES, ()))
    setattr(from_resource, _DEPENDENCIES, getattr(from_resource, _DEPENDENCIES, set()) | {to_resource})
    setattr(to_resource, _DEPENDED_ON, True)
    return True


class _Mocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs, plus stable fake values for outputs the cloud computes."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "gcp:container/cluster:Cluster":
            outputs.setdefault("endpoint", "192.0.2.10")  # TEST-NET-1: documentation address, never routable
            outputs.setdefault("masterAuth", {"clusterCaCertificate": _FAKE_CA})
        if args.typ.startswith("gcp:compute/"):
            name = outputs.get("name", args.name)
            outputs.setdefault("selfLink", f"https://www.googleapis.com/compute/v1/projects/mock/{name}")
        if args.typ.startswith("aws:"):
            # AWS (components.aws): what the provider computes and the EKS components read back. Every AWS resource
            # gets an ARN and, when auto-named (IAM roles), a name; the EKS cluster its endpoint, CA and cluster
            # security group; a launch template its version.
            outputs.setdefault("arn", f"arn:aws:mock::123456789012:{args.name}")
            outputs.setdefault("name", args.name)
            if args.typ == "aws:eks/cluster:Cluster":
                outputs.setdefault("endpoint", "https://192.0.2.20")  # TEST-NET-1, never routable
                outputs.setdefault("certificateAuthority", {"data": _FAKE_CA})
                outputs["vpcConfig"] = {"clusterSecurityGroupId": "sg-0mockcluster", **(outputs.get("vpcConfig") or {})}
            if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
                outputs.setdefault("latestVersion", 1)
            if args.typ == "aws:fsx/lustreFileSystem:LustreFileSystem":
                # Computed by FSx: the file system's DNS name and Lustre mount name (the static PV names both).
                outputs.setdefault("dnsName", f"{args.name}-id.fsx.mock.invalid")
                outputs.setdefault("mountName", "mockmnt")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "gcp:organizations/getProject:getProject":
            # A documentation-style project number: the real one exists only in the cloud.
            return {"number": "000000000000", "projectId": args.args.get("projectId")}, []
        return {}, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also remembering each registration's parent and inputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[RegisteredResource] = []
        self._lock = threading.Lock()
        #: Resource transforms in force for each registered URN: its own, then its ancestors' (children inherit).
        self._transforms: dict[str, list[Any]] = {}

    def _transform(self, request: Any, own: list[Any]) -> dict[str, Any] | None:
        """Run the ``transforms`` resource option as the Pulumi engine does and the SDK's mock monitor does not:
        the resource's own transforms, then its parent's (inherited down the tree), then the stack transforms, each
        on the properties (wire names) the previous one returned; the request is rewritten with the result, so the
        render records what a real deployment would create. Transforms that return None leave the resource as is.
        (pulumi/pulumi ``sdk/python/lib/pulumi/resource.py``: ``ResourceTransform``; docs "Transforms".)

        Returns the inputs (deserialized) when no transform changed them, else None (the request holds the new
        ones)."""
        inherited = self._transforms.get(request.parent, [])
        chain = [*own, *inherited]
        urn = self.make_urn(request.parent, request.type, request.name)
        self._transforms[urn] = chain
        transforms = [*chain, *self._stack_transforms]
        props: dict[str, Any] = pulumi.runtime.rpc.deserialize_properties(request.object)
        if not transforms:
            return props
        changed = False
        for transform in transforms:
            args = pulumi.ResourceTransformArgs(
                custom=bool(request.custom),
                type_=request.type,
                name=request.name,
                props=props,
                opts=pulumi.ResourceOptions(),
            )
            result = transform(args)
            if inspect.isawaitable(result):
                result = _sync_await(result)
            if result is not None:
                props = dict(result.props)
                changed = True
        if not changed:
            return props
        request.object.CopyFrom(_sync_await(pulumi.runtime.rpc.serialize_properties(props, {})))
        return None

    def RegisterResource(self, request: Any) -> Any:
        """``MockMonitor.RegisterResource`` (pulumi/pulumi ``sdk/python/lib/pulumi/runtime/mocks.py``) with the
        transforms run first and the registration recorded; the inputs are deserialized once for both."""
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]
        own = pulumi_mocks._resolve_callbacks(request.transforms)
        inputs = self._transform(request, own)
        if inputs is None:
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
        urn = self.make_urn(request.parent, request.type, request.name)
        pulumi_mocks._ensure_event_loop()  # type: ignore[attr-defined,no-untyped-call]  # for resource references
        resource_args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,  # _Mocks.new_resource copies before it adds outputs: the record below keeps the inputs
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=own,
        )
        id_, state = self.mocks.new_resource(resource_args)
        obj_proto = _sync_await(pulumi.runtime.rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)  # type: ignore[arg-type]
        record = RegisteredResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            inputs=inputs,
            options=EngineOptions.from_request(request),
        )
        with self._lock:
            self.records.append(record)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ProgramRun:
    """What a program registered (sorted by URN) and the exception it raised, if any."""

    resources: list[RegisteredResource]
    error: BaseException | None = None
    #: The program's module globals after it ran (a ``__main__.py`` run by path; empty for a callable), so a caller
    #: can read what the program exposes, e.g. ``deployment = main()`` (the render reads the validated config).
    program_globals: dict[str, Any] = field(default_factory=dict)

    def raise_error(self) -> None:
        """Re-raise the program's exception, if it raised one."""
        if self.error is not None:
            raise self.error


def run_program(
    program: Callable[[], None] | Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: tuple[str, ...] = (),
) -> ProgramRun:
    """Run ``program`` (a callable, or the path of a Pulumi ``__main__.py``) under the mock engine.

    ``config`` maps fully qualified keys (``llmd:models``) to the string values Pulumi hands a program
    (structured values JSON-encoded). An exception from the program does not propagate: it is returned in
    ``ProgramRun.error`` together with whatever was registered before it (nothing, for a config error).
    Not re-entrant: one run per process at a time (the SDK's runtime settings are global).
    """
    monitor = _RecordingMonitor(_Mocks())
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack for every run
    pulumi.runtime.set_mocks(_Mocks(), project=project, stack=stack, preview=False, monitor=monitor)
    CONFIG.set(dict(config))
    pulumi.runtime.config._SECRET_KEYS.set(set(secret_keys))
    env_backup = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PULUMI_CONFIG")}

    program_globals: dict[str, Any] = {}

    def body() -> None:
        # The provider SDKs' module packages load member by member (a GKE render needs 5 of pulumi-gcp's ~290
        # compute modules): render/lazy_sdk.py.
        with lazy_sdk_imports():
            if isinstance(program, Path):
                program_globals.update(runpy.run_path(str(program), run_name="__main__"))
            else:
                program()

    error: BaseException | None = None
    # The SDKs' imports leave about a million long-lived objects; without this every full garbage collection walks
    # them all again (~0.2 s each, several per large render). Freeze them, collect rarely, restore afterwards.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    # The SDK captures a source stack trace for every registration (twice) for the engine's diagnostics; the mock
    # monitor never reads it, and it costs 5-10 % of a render. Skip it for this run only.
    capture = pulumi_resource_runtime._get_stack_trace
    pulumi_resource_runtime._get_stack_trace = _no_stack_trace
    # SDK helpers every registration (and every generated type) goes through, swapped for equivalent faster ones.
    sdk_helpers = (pulumi_output.contains_unknowns, pulumi_rpc.contains_unknowns, _sdk_declare_dependency)
    pulumi_output.contains_unknowns = _contains_unknowns
    pulumi_rpc.contains_unknowns = _contains_unknowns
    pulumi_rpc.declare_dependency = _declare_dependency  # type: ignore[attr-defined]
    pulumi_utils.is_empty_function = _is_empty_function
    try:
        pulumi_settings.SETTINGS.rpc_manager.clear()
        pulumi_settings.SETTINGS.outputs.clear()
        _sync_await(pulumi.runtime.stack.run_pulumi_func(body))
    except Exception as exc:
        error = exc
    finally:
        os.environ.update(env_backup)
        pulumi_resource_runtime._get_stack_trace = capture
        pulumi_output.contains_unknowns, pulumi_rpc.contains_unknowns, pulumi_rpc.declare_dependency = sdk_helpers  # type: ignore[attr-defined]
        pulumi_utils.is_empty_function = _sdk_is_empty_function
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return ProgramRun(
        resources=sorted(monitor.records, key=lambda r: r.urn), error=error, program_globals=program_globals
    )
