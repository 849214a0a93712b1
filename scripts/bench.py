"""Benchmark the offline render against the floor: bare resources registered by the Pulumi SDK, same mock engine.

For fleets of 1, 4, 16 and 64 models (each model on its own ``a3-highgpu-8g`` pool, its own InferencePool, endpoint
picker and HTTPRoute rule ``/m<i>``) the project's ``__main__.py`` runs under
:func:`pulumi_llmd.render.engine.run_program` and :func:`pulumi_llmd.render.render.build_result` normalizes and
schema-validates the result. The floor registers the same number of bare ``pulumi.CustomResource`` objects
(``test:index:Bare``, inputs ``{"x": 1}``) under the same ``run_program``. For reference, the "same-inputs floor"
registers as many bare resources carrying the very inputs the render produced: the SDK's own cost for them.

Informational, printed as its own table: the "typed same-inputs floor" replays the render's resources through the
SDK as a user program would write them (:func:`typed_replay_plan`): each recorded type token resolved through the
provider SDKs' own resource-module registry (``pulumi.runtime.rpc._RESOURCE_MODULES`` / ``_RESOURCE_PACKAGES``,
filled by each package's ``_utilities.register``) to its typed class (``pulumi_kubernetes.apps.v1.Deployment``,
``pulumi_gcp.container.Cluster``, ``pulumi_kubernetes.Provider``); Kubernetes kinds the registry does not know (CRD
instances) as ``pulumi_kubernetes.apiextensions.CustomResource``; component tokens as plain
``pulumi.ComponentResource`` (plus ``register_outputs({})``). Same names, parents, explicit providers, ``depends_on``
(the engine's recorded dependency URNs), custom timeouts and other recorded options; the same inputs as the typed
class's keyword arguments (top-level names through the class's own Args table, nested values as recorded). It
shows how much of the render's cost is the SDK's typed path and how much is the project's own code.

Every measurement runs in a fresh subprocess (the SDK's state is global, and memory should not leak between sizes),
and the measurements are interleaved: each of ``--repeats`` (3) rounds runs the render, the floor, the same-inputs
floor and the typed floor one after the other, each in its own process; each reports the best of its rounds. Inside a
process, one small warm-up run first pays the one-time costs (lazy imports of pulumi-gcp and pulumi-kubernetes
modules, loading the Kubernetes OpenAPI definitions and compiling the schema validators), so the timed run shows
the cost that grows with the fleet. The render's process hands its recorded resources to the floors' processes
(a pickle in a temporary directory). The flagship stack is also timed cold, end to end, as ``pulumi-llmd render``
(best of 3 fresh processes).

Peak memory is the subprocess's peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``): the whole
interpreter with its imports, warm-up and measured run, not only the measured allocations.

    .venv/bin/python scripts/bench.py              # the tables (Markdown) and the targets, ~4 minutes
    .venv/bin/python scripts/bench.py --sizes 1 4  # fewer sizes
    .venv/bin/python scripts/bench.py --twin-only  # the first-deploy twin: its overhead, each stack's path/floor

The flagship's cold render is shown beside the import floor, a fresh ``python -c "import pulumi, pulumi_kubernetes,
pulumi_gcp"`` (best of ``--repeats``).

Exit status 0 when every target is met, 1 otherwise. Targets (issue 13, "Speed"): the render's time per resource at
most 1.3x the same-inputs floor's, linear growth (time per resource at 64 models within 1.25x of that at 4 models),
the flagship render (``pulumi-llmd render``, a cold process) in at most 1.5 s.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pulumi_llmd.render.engine import RegisteredResource

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = "gke-h100-optimized-baseline"
SIZES = (1, 4, 16, 64)
#: Targets from issue 13 ("Speed"): the render's time per resource over the same-inputs floor's.
MAX_RATIO_TO_SAME_INPUTS = 1.3
#: Linear growth: time per resource at 64 models at most this multiple of that at 4 models.
MAX_GROWTH = 1.25
#: The flagship render, a cold ``pulumi-llmd render`` process, in seconds.
MAX_FLAGSHIP_SECONDS = 1.5
#: The import floor the flagship is shown beside.
IMPORT_FLOOR = "import pulumi, pulumi_kubernetes, pulumi_gcp"
WARMUP_MODELS = 1


def fleet_config(models: int) -> dict[str, str]:
    """Engine config of a fleet of ``models`` models, each on its own single-node a3-highgpu-8g pool."""
    target = {"cloud": "gcp", "project": "bench-project", "region": "us-central1", "zone": "us-central1-a"}
    pools = [
        {"name": f"h100-{i}", "machineType": "a3-highgpu-8g", "nodeCount": 1, "provisioning": "on-demand"}
        for i in range(models)
    ]
    fleet = [
        {
            "name": f"m{i}",
            "huggingFaceId": "Qwen/Qwen3-32B",
            "servedName": f"qwen3-32b-m{i}",
            "pool": f"h100-{i}",
            "replicas": 4,
            "tensorParallelSize": 2,
            "routePathPrefix": f"/m{i}",
        }
        for i in range(models)
    ]
    config: dict[str, Any] = {
        "gcp:project": "bench-project",
        "gcp:region": "us-central1",
        "llmd:target": target,
        "llmd:namespace": "llm-d-bench",
        "llmd:pools": pools,
        "llmd:models": fleet,
    }
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


# --- one measurement, in a child process -----------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _render_once(
    models: int,
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], list[RegisteredResource]]:
    """One render of a fleet: its timings, every resource's (type, inputs) for the same-inputs floor, and the
    engine's records (URN order) for the typed floor."""
    from pulumi_llmd.render.engine import run_program
    from pulumi_llmd.render.render import build_result
    from pulumi_llmd.render.validation import SchemaValidator

    started = time.perf_counter()
    run = run_program(REPO / "__main__.py", project="llmd", stack=f"bench-{models}", config=fleet_config(models))
    run.raise_error()
    registered = time.perf_counter()
    result = build_result(f"bench-{models}", run.resources)
    done = time.perf_counter()
    if not result.ok:
        raise SystemExit(f"the fleet of {models} does not validate: {result.schema_issues[:3]}")
    validation_started = time.perf_counter()
    SchemaValidator().validate_all(result.manifests)  # validation alone: the same (shared, warm) validators again
    validation = time.perf_counter() - validation_started
    timings = {
        "resources": len(result.resources),
        "objects": len(result.manifests),
        "seconds": done - started,
        "program_seconds": registered - started,
        "build_seconds": done - registered,
        "validation_seconds": validation,
    }
    return timings, [(r["type"], r["inputs"]) for r in result.resources], run.resources


def _floor_once(inputs: list[dict[str, Any]]) -> float:
    """Seconds to register one bare ``test:index:Bare`` CustomResource per entry of ``inputs`` under run_program."""
    import pulumi

    from pulumi_llmd.render.engine import run_program

    def program() -> None:
        for i, props in enumerate(inputs):
            pulumi.CustomResource("test:index:Bare", f"bare-{i}", props)

    started = time.perf_counter()
    run = run_program(program, project="llmd", stack="floor", config={})
    run.raise_error()
    seconds = time.perf_counter() - started
    assert len(run.resources) == len(inputs), len(run.resources)
    return seconds


def child(kind: str, size: int, repeats: int, records: Path | None = None) -> None:
    """Measure, after a warm-up, the best of ``repeats`` runs and print it as JSON.

    ``render MODELS``: the fleet's render (with ``records``: its recorded resources, and the warm-up's, are pickled
    there for the other kinds). ``floor COUNT``: COUNT bare resources with inputs ``{"x": 1}``. ``inputs MODELS``:
    as many bare resources as the fleet's render has, each with the inputs the render gave it. ``typed MODELS``: the
    render's resources replayed through their typed SDK classes (:func:`typed_replay_plan`). ``inputs`` and
    ``typed`` read ``records`` when given, else render the fleet first.
    """
    import_started = time.perf_counter()
    import pulumi_llmd.blueprints
    import pulumi_llmd.render.render  # noqa: F401

    imports = time.perf_counter() - import_started
    measured: dict[str, Any]
    if kind == "render":
        _, _, warmup_records = _render_once(WARMUP_MODELS)
        runs = []
        for _ in range(repeats):
            timings, typed_inputs, recorded = _render_once(size)
            runs.append(timings)
        measured = min(runs, key=lambda r: float(r["seconds"]))
        measured["validation_seconds"] = min(float(r["validation_seconds"]) for r in runs)
        if records is not None:
            records.write_bytes(pickle.dumps({"same": typed_inputs, "records": recorded, "warmup": warmup_records}))
    elif kind == "floor":
        _floor_once([{"x": 1}] * 36)
        bare = [{"x": 1}] * size
        measured = {"resources": size, "seconds": min(_floor_once(bare) for _ in range(repeats))}
    else:
        if records is not None:
            saved = pickle.loads(records.read_bytes())
        else:
            _, _, warmup = _render_once(WARMUP_MODELS)
            _, same_inputs, recorded = _render_once(size)
            saved = {"same": same_inputs, "records": recorded, "warmup": warmup}
        if kind == "inputs":
            same = [props for _, props in saved["same"]]
            _floor_once(same[:36])
            measured = {"resources": len(same), "seconds": min(_floor_once(same) for _ in range(repeats))}
        else:
            from pulumi_llmd.render.lazy_sdk import lazy_sdk_imports

            with lazy_sdk_imports():  # as in the render: the SDK's module packages load member by member
                warmup_plan = typed_replay_plan(saved["warmup"])
                plan = typed_replay_plan(saved["records"])
            typed_floor_once(warmup_plan, stack=f"bench-{WARMUP_MODELS}")
            best = float("inf")
            for _ in range(repeats):
                seconds, replayed = typed_floor_once(plan, stack=f"bench-{size}")
                best = min(best, seconds)
            faithful, differences = replay_fidelity(saved["records"], replayed)
            measured = {
                "resources": len(plan),
                "seconds": best,
                "faithful": faithful,
                "differences": differences[:5],
                "kinds": {k: sum(1 for s in plan if s.kind == k) for k in ("typed", "crd", "provider", "component")},
            }
    measured["import_seconds"] = imports
    measured["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(measured))


# --- the typed same-inputs floor: the render's resources as a user program would register them --------------------

ReplayKind = Literal["typed", "crd", "provider", "component", "bare"]


@dataclass(frozen=True)
class ReplayStep:
    """One resource of the typed replay: how to construct it and which earlier steps it references.

    ``parent``, ``provider`` and ``depends_on`` are indexes of earlier steps (the plan is ordered so that every
    referenced resource is constructed first). ``kwargs`` are the class's keyword arguments (Python names at the top
    level, nested values as recorded; for ``crd`` also ``api_version`` and ``kind``; for ``bare`` the raw inputs).
    ``output_inputs`` names the keyword arguments that arrived as Outputs of other resources (the engine's
    property dependencies) and the steps they came from: the replay passes those values as ``pulumi.Output`` s of
    those resources, as a program wiring one resource's output into another's input does.
    """

    kind: ReplayKind
    type: str
    name: str
    cls: Any
    kwargs: dict[str, Any]
    parent: int | None = None
    provider: int | None = None
    depends_on: tuple[int, ...] = ()
    output_inputs: tuple[tuple[str, tuple[int, ...]], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


#: Provider SDK packages whose registry the replay may import on demand (``aws`` -> ``pulumi_aws``).
_SDK_PACKAGES = {"gcp": "pulumi_gcp", "aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}


def typed_class(token: str, custom: bool) -> tuple[ReplayKind, Any]:
    """The class a user program would use for the type ``token``: ``(kind, class)``.

    Resolved through the registry the provider SDKs fill on import (``_utilities.register`` calls
    ``pulumi.runtime.register_resource_module`` / ``register_resource_package``; pulumi/pulumi
    ``sdk/python/lib/pulumi/runtime/rpc.py``, ``_RESOURCE_MODULES`` keyed ``"<pkg>:<module>"``, each module's
    ``mod_info["classes"]`` mapping a token to a class of module ``mod_info["fqn"]``). ``pulumi:providers:<pkg>``
    is the package's ``Provider``; a ``kubernetes:`` token the registry lacks (a CRD instance) is
    ``pulumi_kubernetes.apiextensions.CustomResource``; a non-custom token is a ``pulumi.ComponentResource``;
    anything else a bare ``pulumi.CustomResource`` (kind ``bare``).
    """
    import pulumi
    from pulumi.runtime import rpc

    if not custom:
        return "component", pulumi.ComponentResource
    if token.startswith("pulumi:providers:"):
        pkg = token.removeprefix("pulumi:providers:")
        if pkg in _SDK_PACKAGES:
            importlib.import_module(_SDK_PACKAGES[pkg])  # registers the package
        for package in rpc._RESOURCE_PACKAGES.get(pkg, []):
            info = package.pkg_info  # type: ignore[attr-defined]
            if info.get("token") == token:
                return "provider", getattr(importlib.import_module(info["fqn"]), info["class"])
        return "bare", pulumi.CustomResource
    pkg, mod, _ = token.split(":", 2)
    if pkg in _SDK_PACKAGES:
        importlib.import_module(_SDK_PACKAGES[pkg])
    for module in rpc._RESOURCE_MODULES.get(f"{pkg}:{mod}", []):
        name = module.mod_info["classes"].get(token)  # type: ignore[attr-defined]
        if name is not None:
            return "typed", getattr(importlib.import_module(module.mod_info["fqn"]), name)  # type: ignore[attr-defined]
    if pkg == "kubernetes":
        return "crd", importlib.import_module("pulumi_kubernetes.apiextensions").CustomResource
    return "bare", pulumi.CustomResource


def _python_names(cls: Any) -> dict[str, str]:
    """Engine (camelCase) name -> keyword argument name of a typed class, from its generated ``<Class>Args`` (or
    ``<Class>InitArgs``, where the code generator renamed it: pulumi-kubernetes ``ConfigMap``)."""
    import pulumi._types

    module = sys.modules[cls.__module__]
    candidates = (getattr(module, f"{cls.__name__}{suffix}", None) for suffix in ("Args", "InitArgs"))
    args_cls = next((c for c in candidates if c is not None and pulumi._types.is_input_type(c)), None)
    if args_cls is None:
        raise ValueError(f"{cls.__module__}.{cls.__name__}: no generated Args input type to map its arguments")
    return {wire: py for py, wire in pulumi._types.input_type_py_to_pulumi_names(args_cls).items()}


def typed_replay_plan(records: Sequence[RegisteredResource]) -> list[ReplayStep]:
    """The steps that register ``records`` again through their typed classes, every referenced resource first.

    Order: URN order, except that a resource's parent, explicit provider and dependencies come before it (a
    depth-first walk). A typed class gets the recorded top-level inputs under its Python argument names (the names of
    its ``<Class>Args``; nested values are passed as recorded, camelCase, which the SDK sends unchanged, as
    ``components/kube.py`` does); a CRD instance every input as a keyword (``api_version``, ``kind``, the rest as
    recorded). A provider's inputs arrive JSON-encoded (``"true"``): booleans and numbers are decoded again. Each
    edge of the engine's dependencies is expressed once: an input that carried other resources' URNs (the
    recorded property dependencies) becomes an Output of them, the remaining dependency URNs ``depends_on``.

    Raises:
        ValueError: an input the typed class has no argument for; a dependency cycle; a reference to a URN that is not
            among ``records``.
    """
    by_urn = {r.urn: r for r in records}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def refs(record: RegisteredResource) -> list[str]:
        found = [record.parent] if record.parent in by_urn else []
        if record.options.provider:
            found.append(record.options.provider)
        found.extend(record.options.dependencies)
        return found

    for urn in by_urn:
        stack: list[tuple[str, int]] = [(urn, 0)]
        while stack:
            current, position = stack.pop()
            if position == 0:
                if state.get(current) == 2:
                    continue
                if state.get(current) == 1:
                    raise ValueError(f"dependency cycle through {current}")
                state[current] = 1
            pending = refs(by_urn[current])
            if position < len(pending):
                stack.append((current, position + 1))
                target = pending[position]
                if target not in by_urn:
                    raise ValueError(f"{current} references {target}, which was not recorded")
                if state.get(target) != 2:
                    stack.append((target, 0))
                continue
            state[current] = 2
            order.append(current)

    index = {urn: i for i, urn in enumerate(order)}
    names: dict[Any, dict[str, str]] = {}
    steps: list[ReplayStep] = []
    for urn in order:
        record = by_urn[urn]
        kind, cls = typed_class(record.type, record.custom)
        inputs = dict(record.inputs)
        kwargs: dict[str, Any]
        python_name: dict[str, str] = {}
        if kind in ("typed", "provider"):
            if cls not in names:
                names[cls] = _python_names(cls)
            unknown = sorted(set(inputs) - set(names[cls]))
            if unknown:
                raise ValueError(f"{urn}: {cls.__name__} has no argument for {unknown}")
            python_name = names[cls]
        elif kind == "crd":
            python_name = {"apiVersion": "api_version"}
        if kind == "provider":
            inputs = {key: _provider_input(value) for key, value in inputs.items()}
        kwargs = {python_name.get(key, key): value for key, value in inputs.items()}
        via_outputs = {(key, urns) for key, urns in record.options.property_dependencies if urns and key in inputs}
        carried = {u for _, urns in via_outputs for u in urns}
        options: dict[str, Any] = {}
        if record.options.custom_timeouts:
            options["custom_timeouts"] = dict(record.options.custom_timeouts)
        if record.options.ignore_changes:
            options["ignore_changes"] = list(record.options.ignore_changes)
        if record.options.delete_before_replace:
            options["delete_before_replace"] = True
        if record.options.protect:
            options["protect"] = True
        steps.append(
            ReplayStep(
                kind=kind,
                type=record.type,
                name=record.name,
                cls=cls,
                kwargs=kwargs,
                parent=index.get(record.parent),
                provider=index[record.options.provider] if record.options.provider else None,
                depends_on=tuple(index[u] for u in record.options.dependencies if u not in carried),
                output_inputs=tuple(
                    sorted((python_name.get(key, key), tuple(index[u] for u in urns)) for key, urns in via_outputs)
                ),
                options=options,
            )
        )
    return steps


def _provider_input(value: Any) -> Any:
    """A provider input as the program gave it: the SDK sends a provider's non-string inputs JSON-encoded."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, str):
        try:
            number = json.loads(value)
        except ValueError:
            return value
        return number if isinstance(number, int | float) and not isinstance(number, bool) else value
    return value


def _output_of(value: Any, resources: list[Any]) -> Any:
    """``value`` as an Output of ``resources`` (known, not secret): what a program hands on from other resources."""
    import asyncio

    import pulumi

    loop = asyncio.get_event_loop()

    def resolved(result: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = loop.create_future()
        future.set_result(result)
        return future

    return pulumi.Output(set(resources), resolved(value), resolved(True), resolved(False))


def typed_floor_once(plan: Sequence[ReplayStep], stack: str) -> tuple[float, list[RegisteredResource]]:
    """Seconds to register ``plan`` under run_program (project ``llmd``, stack ``stack``), and what was recorded.

    The timed program builds every ``pulumi.ResourceOptions`` and constructs every object, as a user program does;
    resolving the classes and argument names (:func:`typed_replay_plan`) is not timed.
    """
    import pulumi

    from pulumi_llmd.render.engine import run_program

    def program() -> None:
        made: list[Any] = []
        for step in plan:
            extra = dict(step.options)
            if "custom_timeouts" in extra:
                extra["custom_timeouts"] = pulumi.CustomTimeouts(**extra["custom_timeouts"])
            opts = pulumi.ResourceOptions(
                parent=made[step.parent] if step.parent is not None else None,
                provider=made[step.provider] if step.provider is not None else None,
                depends_on=[made[i] for i in step.depends_on] or None,
                **extra,
            )
            kwargs = step.kwargs
            if step.output_inputs:
                kwargs = dict(kwargs)
                for key, sources in step.output_inputs:
                    kwargs[key] = _output_of(kwargs[key], [made[i] for i in sources])
            resource: Any
            if step.kind == "component":
                resource = step.cls(step.type, step.name, None, opts)
                resource.register_outputs({})
            elif step.kind == "bare":
                resource = step.cls(step.type, step.name, dict(kwargs), opts)
            else:
                resource = step.cls(step.name, opts=opts, **kwargs)
            made.append(resource)

    started = time.perf_counter()
    run = run_program(program, project="llmd", stack=stack, config={})
    run.raise_error()
    seconds = time.perf_counter() - started
    return seconds, run.resources


def replay_fidelity(
    original: Sequence[RegisteredResource], replayed: Sequence[RegisteredResource]
) -> tuple[int, list[str]]:
    """How many ``original`` resources the replay registered identically (URN, type, parent, inputs, engine
    options), and a line for each that differs."""
    again = {r.urn: r for r in replayed}
    differences: list[str] = []
    for record in original:
        twin = again.get(record.urn)
        if twin is None:
            differences.append(f"{record.urn}: not replayed")
            continue
        fields = [
            name
            for name, a, b in (
                ("type", record.type, twin.type),
                ("parent", record.parent, twin.parent),
                ("inputs", record.inputs, twin.inputs),
                ("dependencies", record.options.dependencies, twin.options.dependencies),
                ("provider", record.options.provider, twin.options.provider),
                ("options", record.options, twin.options),
            )
            if a != b
        ]
        if fields:
            differences.append(f"{record.urn}: {', '.join(fields)} differ")
    extra = sorted(set(again) - {r.urn for r in original})
    differences.extend(f"{urn}: only in the replay" for urn in extra)
    return len(original) - sum(1 for d in differences if not d.endswith("only in the replay")), differences


# --- the parent: run children, print the table --------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One fleet size: the render, its floor, the same-inputs floor and the typed same-inputs floor."""

    models: int
    render: dict[str, Any]
    floor: dict[str, Any]
    same_inputs: dict[str, Any]
    typed: dict[str, Any]

    @staticmethod
    def _per_resource_ms(run: dict[str, Any]) -> float:
        return 1000 * float(run["seconds"]) / int(run["resources"])

    @property
    def per_resource_ms(self) -> float:
        """Render milliseconds per resource."""
        return self._per_resource_ms(self.render)

    @property
    def floor_per_resource_ms(self) -> float:
        """Floor milliseconds per resource."""
        return self._per_resource_ms(self.floor)

    @property
    def same_inputs_per_resource_ms(self) -> float:
        """Same-inputs floor milliseconds per resource."""
        return self._per_resource_ms(self.same_inputs)

    @property
    def program_per_resource_ms(self) -> float:
        """Milliseconds per resource of the render's program alone (registration under the mock engine, without the
        build step: normalizing, schema validation, manifests)."""
        return 1000 * float(self.render["program_seconds"]) / int(self.render["resources"])

    @property
    def typed_per_resource_ms(self) -> float:
        """Typed same-inputs floor milliseconds per resource."""
        return self._per_resource_ms(self.typed)

    @property
    def typed_ratio(self) -> float:
        """Render time per resource over the typed same-inputs floor's (informational)."""
        return self.per_resource_ms / self.typed_per_resource_ms

    @property
    def ratio(self) -> float:
        """Render time per resource over the floor's."""
        return self.per_resource_ms / self.floor_per_resource_ms

    @property
    def same_inputs_ratio(self) -> float:
        """Render time per resource over the same-inputs floor's (the issue-13 target)."""
        return self.per_resource_ms / self.same_inputs_per_resource_ms


def _run_child(kind: str, size: int, repeats: int, records: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [sys.executable, __file__, "--child", kind, str(size), "--repeats", str(repeats)]
    if records is not None:
        command += ["--records", str(records)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} {size} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(models: int, rounds: int) -> Row:
    """The render of ``models`` models and its three floors, interleaved: ``rounds`` rounds of one fresh process per
    kind (render, floor, same-inputs floor, typed floor, in that order), each kind's best round kept. The first
    render's recorded resources feed the floors (the render is deterministic)."""
    kinds = ("render", "floor", "inputs", "typed")
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as folder:
        records = Path(folder) / "records.pickle"
        for round_ in range(rounds):
            render = _run_child("render", models, 1, records if round_ == 0 else None)
            runs["render"].append(render)
            runs["floor"].append(_run_child("floor", int(render["resources"]), 1))
            runs["inputs"].append(_run_child("inputs", models, 1, records))
            runs["typed"].append(_run_child("typed", models, 1, records))
    best = {kind: min(runs[kind], key=lambda r: float(r["seconds"])) for kind in kinds}
    best["render"] = {
        **best["render"],
        "validation_seconds": min(float(r["validation_seconds"]) for r in runs["render"]),
    }
    return Row(models, best["render"], best["floor"], best["inputs"], best["typed"])


def flagship_seconds(repeats: int, *extra: str) -> float:
    """Best wall time of ``pulumi-llmd render FLAGSHIP [extra]`` in a fresh process (interpreter start, imports
    included)."""
    cli = [sys.executable, "-c", "from pulumi_llmd.cli import main; main()", "render", FLAGSHIP, *extra, "--quiet"]
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run([*cli, "--out", out], cwd=REPO, capture_output=True, text=True)
            best = min(best, time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"pulumi-llmd render {FLAGSHIP} failed:\n{done.stderr}")
    return best


def import_floor_seconds(repeats: int) -> float:
    """Best wall time of a fresh ``python -c "import pulumi, pulumi_kubernetes, pulumi_gcp"``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORT_FLOOR], cwd=REPO, check=True)
        best = min(best, time.perf_counter() - started)
    return best


#: The first-deploy twin may add at most this share to the flagship render's wall time (issue 11).
MAX_TWIN_OVERHEAD = 0.15
#: A reference stack's first-deploy critical path at most this multiple of its floor (issue 11).
MAX_PATH_TO_FLOOR = 1.05


def twin_section(repeats: int) -> list[tuple[str, bool]]:
    """Time the flagship render with and without the twin (alternating, best of ``repeats``), print every golden
    render's twin result, critical path and floor, and return the checks."""
    from pulumi_llmd.twin import run_twin

    with_twin, without = float("inf"), float("inf")
    for _ in range(repeats):  # alternate, so both see the same machine state
        with_twin = min(with_twin, flagship_seconds(1))
        without = min(without, flagship_seconds(1, "--no-twin"))
    overhead = with_twin / without - 1
    print(f"flagship render with the twin {with_twin:.2f} s, with --no-twin {without:.2f} s: +{overhead:.1%}")
    print()
    print("| stack | twin failures | critical path | floor | ratio |")
    print("|---|---:|---:|---:|---:|")
    checks = [
        (f"twin adds {overhead:.1%} <= {MAX_TWIN_OVERHEAD:.0%} to the flagship render", overhead <= MAX_TWIN_OVERHEAD)
    ]
    for folder in sorted((REPO / "goldens").iterdir()):
        resources = folder / "resources.json"
        if not resources.is_file():
            continue
        result = run_twin(json.loads(resources.read_text()))
        t = result.timeline
        ratio = result.ratio
        print(
            f"| `{folder.name}` | {len(result.findings)} | {t.total / 60:.1f} min | {t.floor / 60:.1f} min"
            f" | {ratio:.2f} |"
        )
        checks.append(
            (
                f"{folder.name}: twin clean, path/floor {ratio:.2f} <= {MAX_PATH_TO_FLOOR}",
                result.ok and ratio <= MAX_PATH_TO_FLOOR,
            )
        )
    print()
    return checks


def table(rows: list[Row]) -> str:
    """The Markdown table of the rows."""
    lines = [
        "| models | resources | k8s objects | render | of which validation | render per resource"
        " | floor per resource | ratio | same-inputs floor per resource | ratio to same-inputs"
        " | peak RSS render / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r, f = row.render, row.floor
        lines.append(
            f"| {row.models} | {r['resources']} | {r['objects']} | {r['seconds']:.2f} s"
            f" | {r['validation_seconds']:.2f} s | {row.per_resource_ms:.2f} ms"
            f" | {row.floor_per_resource_ms:.2f} ms | {row.ratio:.1f}x"
            f" | {row.same_inputs_per_resource_ms:.2f} ms | {row.same_inputs_ratio:.2f}x"
            f" | {r['peak_rss_mib']:.0f} / {f['peak_rss_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def typed_table(rows: list[Row]) -> str:
    """The informational Markdown table of the typed same-inputs floor, and per size where the render's time per
    resource above the bare same-inputs floor goes: the SDK's typed path (typed floor - bare floor), the project's
    program above the typed path (program - typed floor), the build step (render - program)."""
    lines = [
        "| models | resources | render per resource | of which program | bare same-inputs floor | typed same-inputs"
        " floor | render / typed | program / typed | typed / bare | replay identical | typed, CRD, provider,"
        " component |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    notes: list[str] = []
    for row in rows:
        t = row.typed
        kinds = t.get("kinds", {})
        lines.append(
            f"| {row.models} | {row.render['resources']} | {row.per_resource_ms:.2f} ms"
            f" | {row.program_per_resource_ms:.2f} ms | {row.same_inputs_per_resource_ms:.2f} ms"
            f" | {row.typed_per_resource_ms:.2f} ms | {row.typed_ratio:.2f}x"
            f" | {row.program_per_resource_ms / row.typed_per_resource_ms:.2f}x"
            f" | {row.typed_per_resource_ms / row.same_inputs_per_resource_ms:.2f}x"
            f" | {t['faithful']}/{row.render['resources']}"
            f" | {', '.join(str(kinds.get(k, 0)) for k in ('typed', 'crd', 'provider', 'component'))} |"
        )
        gap = row.per_resource_ms - row.same_inputs_per_resource_ms
        parts = (
            ("SDK typed path", row.typed_per_resource_ms - row.same_inputs_per_resource_ms),
            ("our program above it", row.program_per_resource_ms - row.typed_per_resource_ms),
            ("build step", row.per_resource_ms - row.program_per_resource_ms),
        )
        shares = ", ".join(f"{name} {ms:+.2f} ms ({ms / gap:.0%})" for name, ms in parts) if gap > 0 else "none"
        notes.append(f"- {row.models} model(s): render - bare same-inputs floor = {gap:.2f} ms/resource: {shares}")
        notes.extend(f"  - replay differs: {d}" for d in t.get("differences", []))
    return "\n".join([*lines, "", *notes])


def main() -> int:
    """Run the benchmark (or, with ``--child``, one measurement) and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="fleet sizes (models)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--twin-only", action="store_true", help="only the first-deploy twin: its overhead and each stack's path"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeats, args.records)
        return 0
    if args.twin_only:
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s)", flush=True)
        only = twin_section(args.repeats)
        for text, ok in only:
            print(f"{'PASS' if ok else 'FAIL'}  {text}")
        return 0 if all(ok for _, ok in only) else 1

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s)", flush=True)
    rows: list[Row] = []
    for models in args.sizes:
        row = measure(models, args.repeats)
        rows.append(row)
        print(f"  {models} model(s): {row.render['resources']} resources, {row.render['seconds']:.2f} s", flush=True)
    cold = flagship_seconds(args.repeats)
    floor_imports = import_floor_seconds(args.repeats)
    imports = rows[0].render["import_seconds"]
    print()
    print(table(rows))
    print()
    print("| cold process | seconds |")
    print("|---|---:|")
    print(f'| `python -c "{IMPORT_FLOOR}"` (import floor) | {floor_imports:.2f} |')
    print(f"| `pulumi-llmd render {FLAGSHIP}` | {cold:.2f} |")
    print()
    print(f"library imports in the render's process: {imports:.2f} s")
    print(
        f"best of {args.repeats} interleaved rounds (render, floor, same-inputs floor, typed floor: one fresh process"
        " each per round, each after a warm-up run in its process); peak RSS is the process's ru_maxrss (getrusage)"
    )
    print()
    print("Informational, no target: the typed same-inputs floor (the render's resources replayed through their typed")
    print("SDK classes with the same names, parents, providers, inputs, Outputs and depends_on; see the docstring).")
    print()
    print(typed_table(rows))
    print()

    checks = [
        (
            f"render per resource <= {MAX_RATIO_TO_SAME_INPUTS}x the same-inputs floor"
            f" (worst {max(r.same_inputs_ratio for r in rows):.2f}x)",
            all(r.same_inputs_ratio <= MAX_RATIO_TO_SAME_INPUTS for r in rows),
        )
    ]
    by_size = {r.models: r for r in rows}
    if 4 in by_size and 64 in by_size:
        growth = by_size[64].per_resource_ms / by_size[4].per_resource_ms
        checks.append(
            (f"linear: per resource at 64 models / at 4 = {growth:.2f} <= {MAX_GROWTH}", growth <= MAX_GROWTH)
        )
    checks.append((f"flagship render {cold:.2f} s <= {MAX_FLAGSHIP_SECONDS} s", cold <= MAX_FLAGSHIP_SECONDS))
    checks.extend(twin_section(args.repeats))
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
