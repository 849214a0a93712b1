"""Serving and platform components take one args type (components/args.py): the args object and the keyword form
register the same resources, object references (a namespace, a picker, a gateway, a node pool) become dependencies
Pulumi sees, and bad arguments are refused with "<Component>: <key> = <value>: <allowed>" before anything is
registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml
from mock_program import one, refused, run

from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import ArgsError
from pulumi_llmd.components.base import AcceleratorPool, Toleration
from pulumi_llmd.components.platform.gateway import InferenceGateway, InferenceGatewayArgs
from pulumi_llmd.components.platform.namespace import StackNamespace, StackNamespaceArgs
from pulumi_llmd.components.platform.scheduling import namespace_problem
from pulumi_llmd.components.serving.model_server import (
    ModelServer,
    ModelServerArgs,
    VllmSpec,
    devices_fit_problem,
    model_server_labels,
    role_problem,
)
from pulumi_llmd.components.serving.picker_configs import (
    pd_picker_config,
    precise_prefix_picker_config,
    tiered_prefix_picker_config,
)
from pulumi_llmd.components.serving.router import (
    EndpointPicker,
    EndpointPickerArgs,
    HttpRoute,
    HttpRouteArgs,
    InferencePool,
    InferencePoolArgs,
    endpoint_picker_config,
    path_prefix_problem,
    picker_config_problems,
    scorer_weights_problem,
)
from pulumi_llmd.render.engine import ProgramRun

A3 = catalog.machine("gcp", "a3-highgpu-8g")
POOL = AcceleratorPool(
    name="h100",
    shape=A3,
    node_selector={"cloud.google.com/gke-nodepool": "h100"},
    tolerations=(Toleration("nvidia.com/gpu", "present", "NoSchedule"),),
    max_nodes=2,
)
LABELS = model_server_labels(guide="optimized-baseline", role="decode", model="m")
SPEC = VllmSpec(model="Qwen/Qwen3-8B", tensor_parallel_size=2)


def snapshot(result: ProgramRun) -> list[tuple[str, str, str, Any]]:
    """What a run registered, comparable across runs: (type, name, parent name, inputs), sorted."""
    by_urn = {r.urn: r.name for r in result.resources}
    assert result.error is None, repr(result.error)
    return sorted((r.type, r.name, by_urn.get(r.parent, ""), repr(r.inputs)) for r in result.resources)


def deps(result: ProgramRun, type_: str, name: str) -> set[str]:
    """Names of the resources the engine waits for before creating ``name``."""
    by_urn = {r.urn: r.name for r in result.resources}
    return {by_urn.get(u, u) for u in one(result, type_, name).options.dependencies}


# --- args object == keywords ----------------------------------------------------------------------------------------

SAME: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
    "ModelServer": (
        lambda: ModelServer(
            "m-decode", ModelServerArgs(namespace="ns", replicas=2, spec=SPEC, pool=POOL, labels=LABELS)
        ),
        lambda: ModelServer("m-decode", namespace="ns", replicas=2, spec=SPEC, pool=POOL, labels=LABELS),
    ),
    "EndpointPicker": (
        lambda: EndpointPicker("m-epp", EndpointPickerArgs(namespace="ns", inference_pool="m", replicas=3)),
        lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m", replicas=3),  # the deprecated alias too
    ),
    "InferencePool": (
        lambda: InferencePool("m", InferencePoolArgs(namespace="ns", selector=LABELS, endpoint_picker="m-epp")),
        lambda: InferencePool("m", namespace="ns", selector=LABELS, endpoint_picker="m-epp"),
    ),
    "HttpRoute": (
        lambda: HttpRoute("m", HttpRouteArgs(namespace="ns", gateway="gw", pool="m", path_prefix="/m")),
        lambda: HttpRoute("m", namespace="ns", gateway="gw", pool="m", path_prefix="/m"),
    ),
    "InferenceGateway": (
        lambda: InferenceGateway("gw", InferenceGatewayArgs(namespace="ns", class_name="istio", port=8080)),
        lambda: InferenceGateway("gw", namespace="ns", class_name="istio", port=8080),
    ),
    "StackNamespace": (
        lambda: StackNamespace("ns", StackNamespaceArgs(labels={"team": "ml"})),
        lambda: StackNamespace("ns", labels={"team": "ml"}),
    ),
}


@pytest.mark.parametrize("component", sorted(SAME))
def test_args_object_and_keywords_register_the_same_resources(component: str) -> None:
    with_args, with_keywords = SAME[component]
    first, second = snapshot(run(with_args)), snapshot(run(with_keywords))
    assert first and first == second


def test_args_and_keywords_together_are_refused() -> None:
    refused(
        run(lambda: InferencePool("m", InferencePoolArgs(namespace="ns", selector=LABELS), endpoint_picker="x")),  # type: ignore[call-overload]
        "InferencePool: give either an args object or keyword arguments, not both",
    )


# --- references by object -------------------------------------------------------------------------------------------


def test_namespace_object_becomes_a_dependency_of_every_serving_object() -> None:
    def program() -> None:
        ns = StackNamespace("llm-d")
        ModelServer("m-decode", namespace=ns, replicas=1, spec=SPEC, pool=POOL, labels=LABELS)
        picker = EndpointPicker("m-epp", namespace=ns, inference_pool="m")
        InferencePool("m", namespace=ns, selector=LABELS, picker=picker)

    result = run(program)
    assert result.error is None, repr(result.error)
    for type_, name in (
        ("kubernetes:apps/v1:Deployment", "m-decode-deployment"),
        ("kubernetes:core/v1:ServiceAccount", "m-decode-sa"),
        ("kubernetes:apps/v1:Deployment", "m-epp-deployment"),
        ("kubernetes:core/v1:ConfigMap", "m-epp-config"),
    ):
        assert "llm-d-namespace" in deps(result, type_, name), name
    assert (
        one(result, "kubernetes:apps/v1:Deployment", "m-decode-deployment").inputs["metadata"]["namespace"] == "llm-d"
    )


def test_picker_object_names_the_pools_endpoint_picker_and_orders_the_pool_after_it() -> None:
    def program() -> None:
        picker = EndpointPicker("m-epp", namespace="ns", inference_pool="m")
        InferencePool("m", namespace="ns", selector=LABELS, picker=picker)

    result = run(program)
    pool = one(result, "kubernetes:inference.networking.k8s.io/v1:InferencePool", "m-inferencepool")
    assert pool.inputs["spec"]["endpointPickerRef"]["name"] == "m-epp"
    assert {"m-epp-deployment", "m-epp-service"} <= deps(
        result, "kubernetes:inference.networking.k8s.io/v1:InferencePool", "m-inferencepool"
    )


def test_gateway_and_pool_objects_become_the_routes_parent_and_backend() -> None:
    def program() -> None:
        gateway = InferenceGateway("gw", namespace="gateways", class_name="istio")
        pool = InferencePool("m", namespace="ns", selector=LABELS, endpoint_picker="m-epp")
        HttpRoute("m", namespace="ns", gateway=gateway, pool=pool)

    result = run(program)
    route = one(result, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "m-httproute")
    assert route.inputs["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw", "namespace": "gateways"}
    ]
    assert route.inputs["spec"]["rules"][0]["backendRefs"][0]["name"] == "m"
    assert {"gw-gateway", "m-inferencepool"} <= deps(
        result, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "m-httproute"
    )


def test_plain_names_add_no_dependency() -> None:
    result = run(lambda: HttpRoute("m", namespace="ns", gateway="gw", pool="m"))
    assert deps(result, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "m-httproute") == set()


class NodePool(pulumi.ComponentResource):
    """Stands in for a cloud node-pool component (GpuNodePool, GpuNodeGroup): it carries its pool as ``.pool``."""

    def __init__(self, name: str) -> None:
        super().__init__("test:cloud:NodePool", name)
        self.pool = POOL
        self.marker = pulumi.CustomResource(
            "test:cloud:Nodes", f"{name}-nodes", {}, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({})


def test_a_node_pool_component_as_pool_makes_only_the_workload_wait_for_its_nodes() -> None:
    def program() -> None:
        ModelServer("m-decode", namespace="ns", replicas=1, spec=SPEC, pool=NodePool("h100"), labels=LABELS)

    result = run(program)
    assert "h100-nodes" in deps(result, "kubernetes:apps/v1:Deployment", "m-decode-deployment")
    assert "h100-nodes" not in deps(result, "kubernetes:core/v1:ServiceAccount", "m-decode-sa")
    container = one(result, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2


# --- validation: one message per rule, nothing registered -----------------------------------------------------------


def server(**overrides: Any) -> Callable[[], object]:
    kwargs: dict[str, Any] = {"namespace": "ns", "replicas": 1, "spec": SPEC, "pool": POOL, "labels": LABELS}
    kwargs.update(overrides)
    return lambda: ModelServer("m-decode", **kwargs)


@pytest.mark.parametrize(
    ("program", "fragments"),
    [
        (
            server(spec=VllmSpec(model="m", tensor_parallel_size=0)),
            ("ModelServer m-decode: spec.tensor_parallel_size = 0: TP = 0: allowed an integer >= 1",),
        ),
        (server(spec=VllmSpec(model="m", tensor_parallel_size=-2)), ("spec.tensor_parallel_size = -2",)),
        (
            server(spec=VllmSpec(model="m", tensor_parallel_size=4, pipeline_parallel_size=4)),
            ("TP x PP = 16", "allowed: TP x PP <= 8"),
        ),
        (server(replicas=-1), ("ModelServer m-decode: replicas = -1: must be an integer >= 1",)),
        (server(replicas="2"), ("ModelServer: replicas = '2': must be an integer, not a string",)),
        (server(replicas=True), ("replicas = True: must be an integer, not a boolean",)),
        (server(labels={}), ("labels = {}: must hold at least one label",)),
        (
            server(labels=dict(LABELS, **{"llm-d.ai/role": "decoder"})),
            ("label llm-d.ai/role: 'decoder': must be one of 'prefill', 'decode', 'encode'",),
        ),
        (server(replica=2), ("ModelServer: replica = 2: not an argument of ModelServer; did you mean 'replicas'?",)),
        (
            lambda: ModelServer("m-decode", namespace="ns"),  # type: ignore[call-overload]
            ("replicas is required", "spec is required"),
        ),
        (server(pool="h100"), ("pool = 'h100': must be an AcceleratorPool or a node-pool component",)),
        (server(namespace=""), ("namespace = '': must be a non-empty name or a component object",)),
        (
            lambda: EndpointPicker("m-epp", namespace="ns", inference_pool="m", scorer_weights={"queue-scorr": 2}),
            ("EndpointPicker m-epp: scorer_weights = {'queue-scorr': 2}: unknown scorer(s) ['queue-scorr']",),
        ),
        (
            lambda: EndpointPicker("m-epp", namespace="ns", inference_pool="m", scorer_weights={}),
            ("scorer_weights = {}: at least one scorer is needed",),
        ),
        (
            lambda: EndpointPicker(
                "m-epp",
                namespace="ns",
                inference_pool="m",
                config_text=endpoint_picker_config({"queue-scorer": 1}).replace(
                    "pluginRef: queue-scorer", "pluginRef: queue-scorrer"
                ),
            ),
            ("config_text: schedulingProfiles[0].plugins[0].pluginRef = 'queue-scorrer': not a declared plugin",),
        ),
        (
            lambda: EndpointPicker("m-epp", namespace="ns", inference_pool="m", config_text="kind: Deployment"),
            ("config_text: must be an EndpointPickerConfig document",),
        ),
        (lambda: EndpointPicker("m-epp", namespace="ns"), ("inference_pool is required",)),
        (
            lambda: EndpointPicker("m-epp", namespace="ns", inference_pool="m", pool_name="m"),
            ("pool_name = 'm': a deprecated alias of inference_pool; give only one",),
        ),
        (lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m", replicas=0), ("replicas = 0",)),
        (
            lambda: InferencePool("m", namespace="ns", selector={}, endpoint_picker="m-epp"),
            ("InferencePool m: selector = {}: must hold at least one label",),
        ),
        (
            lambda: InferencePool("m", namespace="ns", selector=LABELS, endpoint_picker="e", target_ports=[0]),
            ("target_ports = [0]: port 0: allowed integers 1..65535",),
        ),
        (
            lambda: InferencePool("m", namespace="ns", selector=LABELS, endpoint_picker="e", failure_mode="Open"),
            ("failure_mode = 'Open': must be one of 'FailOpen', 'FailClose'",),
        ),
        (lambda: InferencePool("m", namespace="ns", selector=LABELS), ("give exactly one of picker",)),
        (
            lambda: HttpRoute("m", namespace="ns", gateway="gw", pool="m", path_prefix="/a//b"),
            ("HttpRoute m: path_prefix = '/a//b': has an empty, '.' or '..' segment",),
        ),
        (
            lambda: HttpRoute("m", namespace="ns", gateway="gw", pool="m", path_prefix="qwen"),
            ("path_prefix = 'qwen': must start with '/'",),
        ),
        (lambda: StackNamespace("LLM_D"), ("StackNamespace: name = 'LLM_D': is not a DNS-1123 label",)),
        (
            lambda: InferenceGateway("gw", namespace="ns", class_name="istio", port=0),
            ("InferenceGateway gw: port = 0: allowed 1..65535",),
        ),
    ],
)
def test_bad_arguments_are_refused_before_anything_registers(
    program: Callable[[], object], fragments: tuple[str, ...]
) -> None:
    result = run(program)
    refused(result, *fragments)
    assert isinstance(result.error, ArgsError)


# --- the rules config validation reuses -----------------------------------------------------------------------------


def test_rule_functions_return_the_text_after_key_and_value() -> None:
    assert scorer_weights_problem({"queue-scorer": 2}) is None
    assert scorer_weights_problem({"queue-scorer": 101}) == "weight of 'queue-scorer' = 101: allowed an integer 0..100"
    assert path_prefix_problem("/qwen3-8b") is None
    assert path_prefix_problem("/a/../b") is not None
    assert devices_fit_problem(8, 1, A3) is None
    assert devices_fit_problem(2, 8, A3) == (
        "TP x PP = 16 (2 x 8): 16 accelerators per replica does not fit one a3-highgpu-8g node (8 devices, "
        f"{A3.accelerator.name}); allowed: TP x PP <= 8"
    )
    assert namespace_problem("llm-d") is None and namespace_problem("-x") is not None
    assert role_problem("prefill") is None and role_problem("both") is not None


def test_every_path_picker_config_passes_the_config_check() -> None:
    configs = [
        endpoint_picker_config({"queue-scorer": 2, "prefix-cache-scorer": 3}),
        pd_picker_config(),
        precise_prefix_picker_config(model="Qwen/Qwen3-32B", render_url="http://r:8000", block_size=64),
        tiered_prefix_picker_config(cpu_blocks_per_server=1000),
    ]
    for text in configs:
        assert yaml.safe_load(text)["kind"] == "EndpointPickerConfig"
        assert picker_config_problems(text) == []
