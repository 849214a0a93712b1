"""Components used directly in a program, under the mock engine: what they register, and what they refuse."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
import yaml
from mock_program import assert_schema_valid, child_types, one, refused, run
from pulumi.runtime.rpc import is_rpc_secret

from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.gcp import GkeCluster, GkeNetwork, GpuNodePool
from pulumi_llmd.components.gcp.node_pool import GKE_NCCL_ENV, GPU_TAINT
from pulumi_llmd.components.platform import StackNamespace
from pulumi_llmd.components.serving import (
    EndpointPicker,
    ModelServer,
    PodResources,
    VllmSpec,
    endpoint_picker_config,
    inference_pool_manifest,
    model_server_labels,
)
from pulumi_llmd.render.engine import ProgramRun
from pulumi_llmd.render.render import build_result

A3 = catalog.machine("gcp", "a3-highgpu-8g")
LABELS = model_server_labels(guide="optimized-baseline", role="decode", model="m")


# --- GpuNodePool ----------------------------------------------------------------------------------------------------


def gpu_pool(**overrides: Any) -> GpuNodePool:
    args: dict[str, Any] = {
        "cluster": "c",
        "location": "us-central1",
        "project": "my-project",
        "shape": A3,
        "zone": "us-central1-a",
        "node_count": 1,
    }
    args.update(overrides)
    return GpuNodePool("gpu", **args)


def node_pool_inputs(run_: ProgramRun) -> dict[str, Any]:
    assert run_.error is None, repr(run_.error)
    return one(run_, "gcp:container/nodePool:NodePool", "gpu").inputs


def test_spot_pool_is_spot_and_consumes_no_reservation() -> None:
    inputs = node_pool_inputs(run(lambda: gpu_pool(provisioning="spot")))
    assert inputs["nodeConfig"]["spot"] is True
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert "flexStart" not in inputs["nodeConfig"]
    assert inputs["management"]["autoRepair"] is True
    assert inputs["nodeCount"] == 1


def test_reservation_pool_consumes_the_named_reservation() -> None:
    inputs = node_pool_inputs(run(lambda: gpu_pool(provisioning="reservation", reservation="h100-res")))
    assert inputs["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["h100-res"],
    }
    assert inputs["nodeConfig"]["spot"] is False


def test_flex_start_pool_scales_from_zero_without_auto_repair() -> None:
    inputs = node_pool_inputs(
        run(lambda: gpu_pool(provisioning="flex-start", node_count=None, min_nodes=0, max_nodes=2))
    )
    assert inputs["nodeConfig"]["flexStart"] is True
    assert inputs["nodeConfig"]["spot"] is False
    assert inputs["management"]["autoRepair"] is False
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert inputs["autoscaling"]["minNodeCount"] == 0
    assert inputs["autoscaling"]["maxNodeCount"] == 2
    assert "nodeCount" not in inputs


def test_on_demand_pool_has_no_reservation_affinity() -> None:
    inputs = node_pool_inputs(run(lambda: gpu_pool()))
    assert "reservationAffinity" not in inputs["nodeConfig"]
    assert inputs["nodeConfig"]["spot"] is False
    assert "placementPolicy" not in inputs


def test_gpu_pool_tells_pods_how_to_land_on_it() -> None:
    pools: list[GpuNodePool] = []
    result = run(lambda: pools.append(gpu_pool(node_count=None, min_nodes=1, max_nodes=3)))
    assert result.error is None
    pool = pools[0].pool
    assert pool.node_selector["cloud.google.com/gke-nodepool"] == "gpu"
    assert pool.node_selector["cloud.google.com/gke-accelerator"] == "nvidia-h100-80gb"
    assert pool.tolerations == (GPU_TAINT,)
    assert pool.pod_placement()["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert (pool.resource_name, pool.devices_per_node, pool.max_nodes, pool.capacity) == ("nvidia.com/gpu", 8, 3, 24)
    # the taint the toleration matches is on the nodes
    node = one(result, "gcp:container/nodePool:NodePool").inputs["nodeConfig"]
    assert node["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert node["labels"]["llm-d.ai/pool"] == "gpu"


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"shape": catalog.machine("gcp", "ct5lp-hightpu-4t")}, ("shape", "ct5lp-hightpu-4t", "not a GPU")),
        ({"provisioning": "reservation"}, ("reservation", "required")),
        ({"node_count": None, "min_nodes": 3, "max_nodes": 1}, ("min_nodes = 3", "max_nodes = 1")),
        ({"node_count": None}, ("node_count",)),
        ({"provisioning": "flex-start"}, ("flex-start", "autoscaling")),
        ({"gpu_driver_version": "R535"}, ("gpu_driver_version", "R535", "DEFAULT", "LATEST")),
    ],
    ids=["tpu-shape", "reservation-without-name", "min-above-max", "no-size", "flex-fixed", "driver"],
)
def test_gpu_pool_refuses_bad_inputs_before_registering(overrides: dict[str, Any], fragments: tuple[str, ...]) -> None:
    refused(run(lambda: gpu_pool(**overrides)), "GpuNodePool", *fragments)


# --- GkeNetwork and GkeCluster --------------------------------------------------------------------------------------


def network(name: str = "net", **overrides: Any) -> GkeNetwork:
    args: dict[str, Any] = {
        "project": "my-project",
        "region": "us-central1",
        "subnet_cidr": "10.0.0.0/20",
        "pods_cidr": "10.16.0.0/12",
        "services_cidr": "10.2.0.0/20",
        "proxy_only_cidr": "10.3.0.0/23",
    }
    args.update(overrides)
    return GkeNetwork(name, **args)


def test_overlapping_cidrs_are_refused_naming_both_ranges() -> None:
    message = refused(run(lambda: network(pods_cidr="10.0.0.0/8")), "subnet_cidr", "pods_cidr", "10.0.0.0/8")
    assert "overlap" in message


def test_a_non_cidr_is_refused() -> None:
    refused(run(lambda: network(services_cidr="10.2.0.0/33")), "services_cidr", "10.2.0.0/33")


def test_private_cluster_with_cloud_nat() -> None:
    result = run(lambda: GkeCluster("c", project="p", region="us-central1", network=network(cloud_nat=True)))
    assert result.error is None, repr(result.error)
    cluster = one(result, "gcp:container/cluster:Cluster", "c").inputs
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True  # private nodes by default (issue 12)

    result = run(
        lambda: GkeCluster("c", project="p", region="us-central1", network=network(cloud_nat=True), private_nodes=False)
    )
    assert result.error is None, repr(result.error)
    assert "privateClusterConfig" not in one(result, "gcp:container/cluster:Cluster", "c").inputs

    result = run(
        lambda: GkeCluster("c", project="p", region="us-central1", network=network(cloud_nat=True), private_nodes=True)
    )
    assert result.error is None, repr(result.error)
    cluster = one(result, "gcp:container/cluster:Cluster", "c").inputs
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["privateClusterConfig"]["masterIpv4CidrBlock"] == "172.16.0.0/28"
    router = one(result, "gcp:compute/router:Router", "net-router")
    nat = one(result, "gcp:compute/routerNat:RouterNat", "net-nat")
    assert nat.inputs["router"] == router.inputs["name"] == "net-router"
    assert nat.inputs["region"] == "us-central1"


def test_network_has_cloud_nat_by_default_and_private_nodes_refuse_a_network_without_it() -> None:
    result = run(lambda: network())
    assert result.error is None
    one(result, "gcp:compute/routerNat:RouterNat", "net-nat")
    without_nat = run(lambda: GkeCluster("c", project="p", region="us-central1", network=network(cloud_nat=False)))
    assert isinstance(without_nat.error, ValueError)
    assert "private_nodes = True needs Cloud NAT" in str(without_nat.error)
    assert not [r for r in without_nat.resources if r.type.startswith(("gcp:container", "llmd:gcp:GkeCluster"))]


def test_network_without_cloud_nat_has_no_router() -> None:
    result = run(lambda: network(cloud_nat=False))
    assert result.error is None
    assert not [r for r in result.resources if r.type.startswith("gcp:compute/router")]
    proxy = one(result, "gcp:compute/subnetwork:Subnetwork", "net-proxy-only").inputs
    assert proxy["purpose"] == "REGIONAL_MANAGED_PROXY"


def test_bad_release_channel_is_refused_before_the_cluster_registers() -> None:
    result = run(lambda: GkeCluster("c", project="p", region="us-central1", network=network(), release_channel="FAST"))
    assert isinstance(result.error, ValueError)
    assert "release_channel" in str(result.error)
    assert "'FAST'" in str(result.error)
    assert "REGULAR" in str(result.error)
    assert [r for r in result.resources if r.type in ("llmd:gcp:GkeCluster", "gcp:container/cluster:Cluster")] == []


def test_the_kubernetes_provider_gets_a_secret_kubeconfig_for_the_cluster() -> None:
    result = run(lambda: GkeCluster("c", project="p", region="us-central1", network=network()))
    assert result.error is None
    provider = one(result, "pulumi:providers:kubernetes", "c-k8s")
    kubeconfig = provider.inputs["kubeconfig"]
    assert is_rpc_secret(kubeconfig)
    doc = yaml.safe_load(kubeconfig["value"])
    assert doc["clusters"][0]["cluster"]["server"] == "https://192.0.2.10"
    assert doc["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "kubeconfig" in build_result("test", result.resources).resources_json()
    assert "192.0.2.10" not in build_result("test", result.resources).resources_json()


# --- ModelServer ----------------------------------------------------------------------------------------------------


def accel_pool() -> AcceleratorPool:
    return AcceleratorPool(
        name="h100",
        shape=A3,
        node_selector={"cloud.google.com/gke-nodepool": "h100"},
        tolerations=(GPU_TAINT,),
        max_nodes=2,
        model_server_env=GKE_NCCL_ENV,
    )


def model_server(spec: VllmSpec, resources: PodResources | None = None, **kw: Any) -> ModelServer:
    return ModelServer(
        "m-decode", namespace="ns", replicas=2, spec=spec, pool=accel_pool(), labels=LABELS, resources=resources, **kw
    )


def decode_container(run_: ProgramRun) -> dict[str, Any]:
    assert run_.error is None, repr(run_.error)
    dep = one(run_, "kubernetes:apps/v1:Deployment", "m-decode-deployment").inputs
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    return container


def test_model_server_refuses_tp_times_pp_beyond_one_node() -> None:
    refused(
        run(lambda: model_server(VllmSpec(model="Qwen/Qwen3-32B", tensor_parallel_size=4, pipeline_parallel_size=4))),
        "m-decode",
        "TP x PP = 16",
        "8 devices",
        "a3-highgpu-8g",
    )


def test_model_server_refuses_requests_that_do_not_fit_a_node() -> None:
    refused(
        run(
            lambda: model_server(
                VllmSpec(model="Qwen/Qwen3-32B", tensor_parallel_size=2),
                PodResources(cpu_request="100", cpu_limit="100"),
            )
        ),
        "resources.cpu_request",
        "'100'",
        "208",
    )


def test_model_server_refuses_an_unparsable_quantity() -> None:
    refused(
        run(lambda: model_server(VllmSpec(model="Qwen/Qwen3-32B"), PodResources(memory_limit="lots"))),
        "resources.memory_limit",
        "lots",
    )


def test_model_server_requests_tp_times_pp_gpus_and_passes_pipeline_parallelism() -> None:
    container = decode_container(
        run(lambda: model_server(VllmSpec(model="Qwen/Qwen3-32B", tensor_parallel_size=2, pipeline_parallel_size=2)))
    )
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4
    assert container["resources"]["requests"]["nvidia.com/gpu"] == 4
    assert "--tensor-parallel-size=2" in container["args"]
    assert "--pipeline-parallel-size=2" in container["args"]
    assert not any(a.startswith("--served-model-name") for a in container["args"])


def test_model_server_serves_under_a_served_name() -> None:
    container = decode_container(run(lambda: model_server(VllmSpec(model="Qwen/Qwen3-32B", served_name="qwen"))))
    assert container["args"][0] == "Qwen/Qwen3-32B"
    assert "--served-model-name=qwen" in container["args"]
    assert not any(a.startswith("--pipeline-parallel-size") for a in container["args"])
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_model_server_env_and_placement() -> None:
    container = decode_container(
        run(
            lambda: model_server(
                VllmSpec(model="Qwen/Qwen3-32B", extra_env={"VLLM_LOGGING_LEVEL": "DEBUG"}),
                hf_token_secret="my-token",
            )
        )
    )
    env = {e["name"]: e for e in container["env"]}
    assert env["HF_TOKEN"] == {
        "name": "HF_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "my-token", "key": "HF_TOKEN"}},
    }
    assert env["VLLM_LOGGING_LEVEL"]["value"] == "DEBUG"
    assert env["NCCL_TUNER_PLUGIN"]["value"] == "none"


def test_model_server_children_are_parented_to_it_and_validate() -> None:
    result = run(lambda: model_server(VllmSpec(model="Qwen/Qwen3-32B", tensor_parallel_size=2)))
    assert result.error is None
    component = one(result, "llmd:serving:ModelServer", "m-decode")
    assert child_types(result, component) == [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:policy/v1:PodDisruptionBudget",
    ]
    assert_schema_valid(result)


# --- EndpointPicker, its config, InferencePool ----------------------------------------------------------------------


def test_ha_endpoint_picker_uses_leader_election() -> None:
    result = run(lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m"))  # default: 2, leader-elected
    assert result.error is None, repr(result.error)
    dep = one(result, "kubernetes:apps/v1:Deployment", "m-epp-deployment").inputs
    assert dep["spec"]["replicas"] == 2
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    assert "--ha-enable-leader-election" in container["args"]
    assert container["livenessProbe"]["grpc"]["service"] == "liveness"
    assert container["readinessProbe"]["grpc"]["service"] == "readiness"
    role = one(result, "kubernetes:rbac.authorization.k8s.io/v1:Role", "m-epp-leader-election-role").inputs
    lease_rules = [rule for rule in role["rules"] if "leases" in rule["resources"]]
    assert lease_rules and lease_rules[0]["apiGroups"] == ["coordination.k8s.io"]
    assert {"create", "update", "get"} <= set(lease_rules[0]["verbs"])
    binding = one(result, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "m-epp-leader-election-rolebinding")
    assert binding.inputs["roleRef"]["name"] == "m-epp-leader-election"
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "m-epp", "namespace": "ns"}]
    assert_schema_valid(result)


def test_single_endpoint_picker_has_no_leader_election() -> None:
    result = run(lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m", replicas=1))
    assert result.error is None
    (container,) = one(result, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert "--ha-enable-leader-election" not in container["args"]
    assert container["readinessProbe"]["grpc"]["service"] == "inference-extension"
    roles = [r.name for r in result.resources if r.type.endswith(":Role")]
    assert sorted(roles) == ["m-epp-pods-role", "m-epp-pools-role"]


def test_endpoint_picker_refuses_zero_replicas() -> None:
    refused(run(lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m", replicas=0)), "replicas = 0")


def test_endpoint_picker_config_keeps_custom_weights_in_order() -> None:
    doc = yaml.safe_load(endpoint_picker_config({"prefix-cache-scorer": 5, "queue-scorer": 0}))
    assert [p["type"] for p in doc["plugins"]] == ["prefix-cache-scorer", "queue-scorer"]
    assert doc["schedulingProfiles"][0]["plugins"] == [
        {"pluginRef": "prefix-cache-scorer", "weight": 5},
        {"pluginRef": "queue-scorer", "weight": 0},
    ]


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [({}, "at least one scorer"), ({"queue-scorer": 2, "prefix-cache-scorer": -1}, "'prefix-cache-scorer'] = -1")],
    ids=["empty", "negative"],
)
def test_endpoint_picker_config_rejects_bad_weights(weights: dict[str, int], fragment: str) -> None:
    with pytest.raises(ValueError, match="scorer_weights") as info:
        endpoint_picker_config(weights)
    assert fragment in str(info.value)


def test_endpoint_picker_with_bad_weights_registers_nothing() -> None:
    refused(
        run(lambda: EndpointPicker("m-epp", namespace="ns", pool_name="m", scorer_weights={"queue-scorer": -2})),
        "scorer_weights",
    )


def test_inference_pool_manifest_rejects_a_bad_failure_mode() -> None:
    with pytest.raises(ValueError, match="failure_mode") as info:
        inference_pool_manifest(name="m", namespace="ns", selector=LABELS, endpoint_picker="m-epp", failure_mode="Open")
    assert "'Open'" in str(info.value)
    assert "FailOpen" in str(info.value) and "FailClose" in str(info.value)


def test_inference_pool_manifest_rejects_no_target_ports() -> None:
    with pytest.raises(ValueError, match="target_ports"):
        inference_pool_manifest(name="m", namespace="ns", selector=LABELS, endpoint_picker="m-epp", target_ports=())


def test_inference_pool_manifest_fail_close() -> None:
    pool = inference_pool_manifest(
        name="m", namespace="ns", selector=LABELS, endpoint_picker="m-epp", failure_mode="FailClose"
    )
    assert pool["spec"]["endpointPickerRef"]["failureMode"] == "FailClose"
    assert pool["spec"]["selector"]["matchLabels"] == LABELS


# --- StackNamespace -------------------------------------------------------------------------------------------------


def test_namespace_refuses_a_plain_string_token() -> None:
    refused(run(lambda: StackNamespace("ns", hf_token="hf_plain")), "hf_token", "secret")  # type: ignore[arg-type]


def test_namespace_with_a_secret_token_writes_it_only_into_the_secret() -> None:
    result = run(lambda: StackNamespace("ns", hf_token=pulumi.Output.secret("hf_abc")))
    assert result.error is None, repr(result.error)
    ns = one(result, "kubernetes:core/v1:Namespace").inputs
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    secret = one(result, "kubernetes:core/v1:Secret").inputs
    assert secret["metadata"] == {"name": "llm-d-hf-token", "namespace": "ns"}
    assert is_rpc_secret(secret["stringData"])
    assert secret["stringData"]["value"] == {"HF_TOKEN": "hf_abc"}
    assert [r.type for r in result.resources if "hf_abc" in repr(r.inputs)] == ["kubernetes:core/v1:Secret"]


def test_namespace_without_token_has_no_secret() -> None:
    result = run(lambda: StackNamespace("ns"))
    assert result.error is None
    assert [r.type for r in result.resources if r.custom] == ["kubernetes:core/v1:Namespace"]
