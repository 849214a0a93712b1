"""A non-Python consumer of the ``llmd`` package (issue 13, "Any Pulumi language"), driven offline as the engine
drives the provider.

A TypeScript or YAML program's generated SDK sends a component's inputs by their *schema* names, numbers as doubles
and other components as resource references (the Node.js and Go SDKs serialize a remote component's inputs with
``keepOutputValues`` and ``excludeResourceReferencesFromDependencies``: pulumi/pulumi ``sdk/nodejs/runtime/
resource.ts``); the engine hands them to the provider's ``Construct`` RPC. Here the README's Pulumi YAML program (and
its TypeScript program) are parsed out of README.md, each resource's properties are checked against
``provider/schema.json``, serialized with the SDK's wire serializer under those options, and handed to the gRPC
handler ``pulumi.provider.server.ProviderServicer.Construct`` of ``provider/__main__.py``'s ``LlmdProvider`` (what
``pulumi.provider.main`` serves) under the mock engine, a reference to an earlier component carrying the URN its
``ConstructResponse`` returned. The only stand-in: ``settings.reset_options`` (which would connect to the engine at
``request.monitorEndpoint``) is a no-op, the mock engine being already in place.
"""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
import yaml
from conftest import REPO
from pulumi.provider import server as provider_server
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.sync_await import _sync_await

from pulumi_llmd import package
from pulumi_llmd.render import engine
from pulumi_llmd.render.engine import ProgramRun, run_program
from pulumi_llmd.render.render import RenderResult, build_result

README = (REPO / "README.md").read_text()
SCHEMA: dict[str, Any] = json.loads((REPO / "provider" / "schema.json").read_text())
EXAMPLE = REPO / "examples" / "own_program.py"
#: A reference in Pulumi YAML: ``${name}`` (the resource) or ``${name.property}`` (one of its outputs).
YAML_REF = re.compile(r"\$\{([\w-]+)(?:\.(\w+))?\}")


# --- the README's programs ----------------------------------------------------------------------------------------


def _yaml_program() -> dict[str, Any]:
    match = re.search(r"Pulumi YAML:\n\n```yaml\n(.*?)```", README, re.S)
    assert match, "README: no Pulumi YAML example after 'Pulumi YAML:'"
    program: dict[str, Any] = yaml.safe_load(match.group(1))
    return program


@dataclass(frozen=True)
class Ref:
    """A reference to another resource of the program: ``${cluster}`` in YAML, a variable in TypeScript."""

    name: str


@dataclass
class TsResource:
    """One ``new llmd.X("name", {...})`` of the README's TypeScript program."""

    variable: str
    token: str
    name: str
    properties: dict[str, Any]


@dataclass
class TsProgram:
    resources: list[TsResource]
    #: ``export const x = variable.property`` -> (variable, property).
    exports: dict[str, tuple[str, str]] = field(default_factory=dict)


def _ts_value(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        return json.loads(text)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        return [_ts_value(item) for item in _split_top(text[1:-1])]
    assert re.fullmatch(r"[A-Za-z_]\w*", text), f"README TypeScript: unsupported value {text!r}"
    return Ref(text)


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and strings; empty pieces dropped."""
    pieces, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "[{":
            depth += 1
        elif not quoted and char in "]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p for p in (p.strip() for p in pieces) if p]


def _ts_program() -> TsProgram:
    match = re.search(r"TypeScript:\n\n```typescript\n(.*?)```", README, re.S)
    assert match, "README: no TypeScript example after 'TypeScript:'"
    source = re.sub(r"//[^\n]*", "", match.group(1))  # comments (no '//' inside the example's strings)
    program = TsProgram(resources=[])
    for found in re.finditer(r"const (\w+) = new llmd\.(\w+)\(\"([^\"]+)\",\s*\{(.*?)\}\);", source, re.S):
        variable, component, name, body = found.groups()
        properties: dict[str, Any] = {}
        for piece in _split_top(body):
            key, sep, value = piece.partition(":")
            properties[key.strip()] = _ts_value(value) if sep else Ref(key.strip())  # `{ cluster }` shorthand
        program.resources.append(TsResource(variable, f"llmd:index:{component}", name, properties))
    for found in re.finditer(r"export const (\w+) = (\w+)\.(\w+);", source):
        program.exports[found.group(1)] = (found.group(2), found.group(3))
    assert len(program.resources) == source.count("new llmd."), "README TypeScript: a resource the test cannot parse"
    return program


# --- the schema checks a generated SDK makes ----------------------------------------------------------------------


def schema_problems(token: str, properties: Mapping[str, Any], types_of: Mapping[str, str]) -> list[str]:
    """What a generated SDK would refuse in ``properties`` of a ``token`` resource: an unknown property, a missing
    required one, a value of the wrong type (``types_of``: the type token of each resource a :class:`Ref` names)."""
    resource = SCHEMA["resources"].get(token)
    if resource is None:
        return [f"{token}: no such resource in the schema"]
    return _object_problems(
        token, properties, resource["inputProperties"], resource.get("requiredInputs", []), types_of
    )


def _object_problems(
    where: str, value: Mapping[str, Any], spec: Mapping[str, Any], required: list[str], types_of: Mapping[str, str]
) -> list[str]:
    problems = [f"{where}.{key}: unknown property" for key in value if key not in spec]
    problems += [f"{where}.{key}: missing required property" for key in required if key not in value]
    for key, item in value.items():
        if key in spec:
            problems += _value_problems(f"{where}.{key}", item, spec[key], types_of)
    return problems


def _value_problems(where: str, value: Any, spec: Mapping[str, Any], types_of: Mapping[str, str]) -> list[str]:
    ref = spec.get("$ref")
    if ref is not None:
        kind, token = ref[2:].split("/", 1)
        if kind == "resources":
            actual = types_of.get(value.name) if isinstance(value, Ref) else None
            return [] if actual == token else [f"{where}: {value!r} is not a reference to a {token}"]
        declared = SCHEMA["types"][token]
        if not isinstance(value, Mapping):
            return [f"{where}: {value!r} is not an object ({token})"]
        return _object_problems(where, value, declared["properties"], declared.get("required", []), types_of)
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, Mapping),
    }
    kind = spec["type"]
    if not checks[kind](value):
        return [f"{where}: {value!r} is not of type {kind}"]
    if kind == "array":
        return [p for i, v in enumerate(value) for p in _value_problems(f"{where}[{i}]", v, spec["items"], types_of)]
    if kind == "object" and "additionalProperties" in spec:
        extra = spec["additionalProperties"]
        return [p for k, v in value.items() for p in _value_problems(f"{where}.{k}", v, extra, types_of)]
    return []


# --- the consumer, through the provider's Construct ---------------------------------------------------------------


@dataclass
class WireRun:
    """What a consumer program did through the provider."""

    run: ProgramRun
    #: Logical name -> the ConstructResponse's state, deserialized (what the consumer's SDK sees as outputs).
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Logical name -> the component's URN (from its ConstructResponse).
    urns: dict[str, str] = field(default_factory=dict)
    #: URN -> the outputs the component registered (RegisterResourceOutputs), deserialized.
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Context:
    """The gRPC servicer context: the handler aborts through it on an input error."""

    async def abort_with_status(self, status: Any) -> None:
        raise ValueError(f"Construct refused its inputs: {status.details} {status.trailing_metadata}")


def _wire(value: Any, urns: Mapping[str, str]) -> Any:
    """``value`` as the caller's SDK puts it on the wire: a reference becomes a resource reference (the URN the
    engine returned for that component; a component has no id)."""
    if isinstance(value, Ref):
        return {rpc._special_sig_key: rpc._special_resource_sig, "urn": urns[value.name]}
    if isinstance(value, list):
        return [_wire(v, urns) for v in value]
    if isinstance(value, dict):
        return {k: _wire(v, urns) for k, v in value.items()}
    return value


def run_through_provider(resources: list[tuple[str, str, dict[str, Any]]]) -> WireRun:
    """Construct each (logical name, type token, schema-named properties) through ``LlmdProvider`` under the mock
    engine, in order, as the engine does for a TypeScript / YAML program."""
    host = runpy.run_path(str(REPO / "provider" / "__main__.py"), run_name="provider")
    provider = host["LlmdProvider"]()
    servicer = provider_server.ProviderServicer(provider, [], engine_address="")
    package.register_references()  # what provider/__main__.py does before it serves
    result = WireRun(run=ProgramRun(resources=[]))

    def program() -> None:
        root = pulumi_settings.get_root_resource()
        assert root is not None
        stack_urn = _sync_await(root.urn.future())
        assert stack_urn is not None
        for name, token, properties in resources:
            deps: dict[str, list[pulumi.Resource]] = {}
            inputs = _sync_await(
                rpc.serialize_properties(
                    _wire(properties, result.urns), deps, keep_output_values=True, exclude_resource_refs_from_deps=True
                )
            )
            request = provider_pb2.ConstructRequest(
                project="llmd", stack="consumer", name=name, type=token, inputs=inputs, parent=stack_urn
            )
            response = _sync_await(servicer.Construct(request, _Context()))
            result.urns[name] = response.urn
            result.states[name] = rpc.deserialize_properties(response.state)

    def record_outputs(monitor: Any, request: Any) -> Any:
        result.registered_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return original(monitor, request)

    original: Callable[[Any, Any], Any] = engine._RecordingMonitor.RegisterResourceOutputs
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulumi_settings, "reset_options", lambda **_: None)
        patch.setattr(engine._RecordingMonitor, "RegisterResourceOutputs", record_outputs)
        result.run = run_program(program, project="llmd", stack="consumer", config={})
    return result


def _yaml_resources(program: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    def refs(value: Any) -> Any:
        if isinstance(value, str) and (found := YAML_REF.fullmatch(value)):
            assert found.group(2) is None, f"README YAML: {value}: an output as an input is not exercised here"
            return Ref(found.group(1))
        if isinstance(value, list):
            return [refs(v) for v in value]
        if isinstance(value, dict):
            return {k: refs(v) for k, v in value.items()}
        return value

    return [
        (spec.get("name", key), spec["type"], refs(spec.get("properties", {})))
        for key, spec in program["resources"].items()
    ]


@pytest.fixture(scope="module")
def yaml_program() -> dict[str, Any]:
    return _yaml_program()


@pytest.fixture(scope="module")
def yaml_run(yaml_program: dict[str, Any]) -> WireRun:
    result = run_through_provider(_yaml_resources(yaml_program))
    assert result.run.error is None, result.run.error
    return result


@pytest.fixture(scope="module")
def yaml_render(yaml_run: WireRun) -> RenderResult:
    return build_result("consumer", yaml_run.run.resources)


@pytest.fixture(scope="module")
def python_render() -> RenderResult:
    run = run_program(EXAMPLE, project="llmd", stack="example", config={})
    assert run.error is None, run.error
    return build_result("example", run.resources, kar_version=None, twin=False)


# --- tests --------------------------------------------------------------------------------------------------------


def test_the_readme_yaml_program_matches_the_schema(yaml_program: dict[str, Any]) -> None:
    types_of = {spec.get("name", key): spec["type"] for key, spec in yaml_program["resources"].items()}
    problems = [
        p for name, token, props in _yaml_resources(yaml_program) for p in schema_problems(token, props, types_of)
    ]
    assert problems == []
    for output in yaml_program.get("outputs", {}).values():
        found = YAML_REF.fullmatch(output)
        assert found and found.group(2), output
        token = types_of[found.group(1)]
        assert found.group(2) in SCHEMA["resources"][token]["properties"], f"{output}: not an output of {token}"


def test_the_schema_checks_catch_unknown_missing_and_mistyped_properties() -> None:
    types_of = {"cluster": "llmd:index:GkeCluster", "platform": "llmd:index:LlmdPlatform"}
    problems = schema_problems(
        "llmd:index:GpuNodePool",
        {"cluster": Ref("platform"), "machine_type": "g2-standard-24", "zone": "us-central1-a", "maxNodes": "4"},
        types_of,
    )
    assert sorted(problems) == [
        "llmd:index:GpuNodePool.cluster: Ref(name='platform') is not a reference to a llmd:index:GkeCluster",
        "llmd:index:GpuNodePool.machineType: missing required property",
        "llmd:index:GpuNodePool.machine_type: unknown property",
        "llmd:index:GpuNodePool.maxNodes: '4' is not of type integer",
    ]
    nested = schema_problems(
        "llmd:index:ExistingCluster", {"pools": [{"name": "l4", "nodeSelector": {"a": 1}, "vcpus": 24}]}, {}
    )
    assert sorted(nested) == [
        "llmd:index:ExistingCluster.pools[0].devicesPerNode: missing required property",
        "llmd:index:ExistingCluster.pools[0].memoryGib: missing required property",
        "llmd:index:ExistingCluster.pools[0].nodeSelector.a: 1 is not of type string",
    ]


def test_the_readme_typescript_program_matches_the_schema() -> None:
    program = _ts_program()
    assert [r.token for r in program.resources] == [
        "llmd:index:GkeCluster",
        "llmd:index:GpuNodePool",
        "llmd:index:LlmdPlatform",
        "llmd:index:LlmdInference",
    ]
    types_of = {r.variable: r.token for r in program.resources}
    problems = [p for r in program.resources for p in schema_problems(r.token, r.properties, types_of)]
    assert problems == []
    assert program.exports, "README TypeScript: no `export const x = resource.output`"
    for variable, output in program.exports.values():
        token = types_of[variable]
        assert output in SCHEMA["resources"][token]["properties"], f"{variable}.{output}: not an output of {token}"


def test_references_arrive_as_the_live_components(yaml_run: WireRun) -> None:
    """``${cluster}`` reached GpuNodePool and LlmdPlatform as the GkeCluster constructed first (not a URN string):
    the node pool joins that cluster, every library component sits under its wire component, and the whole tree is
    under the stack, as the engine would have it."""
    records = yaml_run.run.resources
    by_urn = {r.urn: r for r in records}
    wire = {name: by_urn[urn] for name, urn in yaml_run.urns.items()}
    assert {name: r.type for name, r in wire.items()} == {
        "cluster": "llmd:index:GkeCluster",
        "l4": "llmd:index:GpuNodePool",
        "platform": "llmd:index:LlmdPlatform",
        "qwen": "llmd:index:LlmdInference",
    }
    for library, parent in [
        ("llmd:gcp:GkeCluster", "cluster"),
        ("llmd:gcp:GpuNodePool", "l4"),
        ("llmd:blueprints:LlmdPlatform", "platform"),
        ("llmd:blueprints:LlmdInference", "qwen"),
    ]:
        (child,) = [r for r in records if r.type == library]
        assert child.parent == wire[parent].urn, library
    (gke,) = [r for r in records if r.type == "gcp:container/cluster:Cluster"]
    (pool,) = [
        r
        for r in records
        if r.type == "gcp:container/nodePool:NodePool" and r.inputs["nodeConfig"]["machineType"] == "g2-standard-24"
    ]
    assert pool.inputs["cluster"] == gke.inputs["name"]
    assert pool.inputs["autoscaling"]["maxNodeCount"] == 4  # `maxNodes: 4` came as a double: back to an int
    assert pool.inputs["nodeConfig"]["spot"] is True


def _model_objects(render: RenderResult, model: str) -> dict[tuple[str, str], Any]:
    """The model's Kubernetes objects: its servers, pickers, InferencePool, HTTPRoute, HPA, by (kind, name)."""
    kinds = {"Deployment", "InferencePool", "HTTPRoute", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    return {
        (m["kind"], m["metadata"]["name"]): m
        for m in render.manifests
        if m["kind"] in kinds and re.match(rf"{re.escape(model)}($|-)", m["metadata"]["name"])
    }


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with each logical name of ``names`` (a whole word) replaced by its counterpart."""
    text = json.dumps(value, sort_keys=True)
    for old, new in names.items():
        if old != new:
            text = re.sub(rf"(?<![\w/-]){re.escape(old)}(?![\w])", new, text)
    return json.loads(text)


def test_the_yaml_consumer_builds_the_python_examples_model_objects(
    yaml_program: dict[str, Any], yaml_render: RenderResult, python_render: RenderResult
) -> None:
    """The README's YAML program and its Python program (``examples/own_program.py``) serve the same model the same
    way: identical Deployments (vLLM servers, endpoint pickers), InferencePool, HTTPRoute, HPA and PDBs, up to the
    logical names each program chose."""
    model = next(
        spec.get("name", key)
        for key, spec in yaml_program["resources"].items()
        if spec["type"] == "llmd:index:LlmdInference"
    )
    python_names = {model: "qwen3-8b"}
    ours = {
        tuple(_renamed(list(k), python_names)): _renamed(v, python_names)
        for k, v in _model_objects(yaml_render, model).items()
    }
    theirs = {tuple(k): v for k, v in _model_objects(python_render, "qwen3-8b").items()}
    kinds = sorted(k for k, _ in theirs)
    assert kinds.count("Deployment") >= 2 and {"InferencePool", "HTTPRoute", "HorizontalPodAutoscaler"} <= set(kinds)
    assert sorted(ours) == sorted(theirs)
    for key, expected in theirs.items():
        assert ours[key] == expected, key


def test_the_yaml_consumer_passes_both_policy_packs_the_twin_and_the_schemas(yaml_render: RenderResult) -> None:
    assert yaml_render.policy is not None and yaml_render.twin is not None
    assert yaml_render.policy.mandatory == [], "\n".join(yaml_render.policy.lines())
    assert yaml_render.twin.ok, "\n".join(yaml_render.twin.lines())
    assert yaml_render.schema_issues == [], yaml_render.schema_issues


def test_the_outputs_the_readme_reads_are_registered_and_returned(yaml_run: WireRun) -> None:
    """``cluster.kubeconfig`` and ``qwen.url`` (the README's TypeScript exports and YAML ``outputs``) are outputs
    each component registers; the kubeconfig is also in the ConstructResponse (what the consumer's SDK reads).
    ``url`` is registered as null on GKE without ``tlsHostname`` (the load balancer's address is known once it
    exists), so the SDK's ``qwen.url`` resolves to undefined there."""
    outputs = {name: yaml_run.registered_outputs[urn] for name, urn in yaml_run.urns.items()}
    assert "kubeconfig" in outputs["cluster"] and outputs["cluster"]["kubeconfig"]
    assert "kubeconfig" in yaml_run.states["cluster"]
    assert "url" in SCHEMA["resources"]["llmd:index:LlmdInference"]["properties"]
    assert outputs["qwen"].get("url") is None and "url" not in yaml_run.states["qwen"]  # null: not sent
    assert yaml_run.states["qwen"]["servedName"] == "Qwen/Qwen3-8B"
    assert yaml_run.states["qwen"]["inferencePool"] == "qwen"
    for name, state in yaml_run.states.items():
        token = next(r.type for r in yaml_run.run.resources if r.urn == yaml_run.urns[name])
        assert set(state) <= set(SCHEMA["resources"][token]["properties"]), name


def test_the_typescript_consumer_builds_through_the_provider() -> None:
    program = _ts_program()
    names = {r.variable: r.name for r in program.resources}

    def by_name(value: Any) -> Any:
        if isinstance(value, Ref):
            return Ref(names[value.name])
        return [by_name(v) for v in value] if isinstance(value, list) else value

    result = run_through_provider(
        [(r.name, r.token, {k: by_name(v) for k, v in r.properties.items()}) for r in program.resources]
    )
    assert result.run.error is None, result.run.error
    decode = next(
        r
        for r in result.run.resources
        if r.type == "kubernetes:apps/v1:Deployment" and r.name == "qwen3-8b-decode-deployment"
    )
    (container,) = decode.inputs["spec"]["template"]["spec"]["containers"]
    assert "--max-model-len=16384" in container["args"]  # `maxModelLen: 16384` as an int, not 16384.0
    assert "--tensor-parallel-size=2" in container["args"]
    render = build_result("consumer", result.run.resources, twin=False)
    assert render.policy is not None
    assert render.policy.mandatory == [], "\n".join(render.policy.lines())


def test_a_bad_reference_and_a_bad_integer_are_refused_naming_the_schema_key() -> None:
    result = run_through_provider(
        [
            ("lab", "llmd:index:ExistingCluster", {}),
            ("pool", "llmd:index:GpuNodePool", {"cluster": Ref("lab"), "machineType": "g2-standard-24", "zone": "z"}),
        ]
    )
    assert result.run.error is not None and "GpuNodePool: cluster = " in str(result.run.error), result.run.error
    result = run_through_provider(
        [
            ("c", "llmd:index:GkeCluster", {"project": "p", "region": "us-central1"}),
            (
                "l4",
                "llmd:index:GpuNodePool",
                {"cluster": Ref("c"), "machineType": "g2-standard-24", "zone": "us-central1-a", "maxNodes": 2.5},
            ),
        ]
    )
    assert result.run.error is not None and "max_nodes = 2.5" in str(result.run.error), result.run.error
