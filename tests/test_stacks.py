"""The reference stacks: each renders cleanly, and the flagship is faithful to llm-d's optimized-baseline guide."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import FLAGSHIP, REPO

from pulumi_llmd.components import versions
from pulumi_llmd.render.render import RenderResult

STACK_FILES = sorted(REPO.glob("stacks/Pulumi.*.yaml"))
STACKS = [p.stem.removeprefix("Pulumi.") for p in STACK_FILES]
NAMESPACE = "llm-d-optimized-baseline"
POD_LABELS = {"llm-d.ai/guide": "optimized-baseline", "llm-d.ai/role": "decode", "llm-d.ai/model": "qwen3-32b"}


def test_the_flagship_is_among_the_reference_stacks() -> None:
    assert FLAGSHIP in STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_reference_stack_renders_schema_valid_without_duplicates(
    stack: str, rendered: Callable[[str], RenderResult]
) -> None:
    result = rendered(stack)
    assert result.schema_issues == [], "\n".join(map(str, result.schema_issues))
    assert result.resources, "nothing registered"
    assert result.manifests, "no Kubernetes objects"
    urns = Counter(r["urn"] for r in result.resources)
    assert [u for u, n in urns.items() if n > 1] == []
    objects = Counter(
        (m["apiVersion"], m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])
        for m in result.manifests
    )
    assert [o for o, n in objects.items() if n > 1] == []


# --- helpers ------------------------------------------------------------------------------------------------------


def manifest(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    found = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def resource(result: RenderResult, type_: str, name: str) -> dict[str, Any]:
    found = [r for r in result.resources if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} found"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


# --- the model servers ------------------------------------------------------------------------------------------


def test_decode_deployment_serves_qwen3_32b_at_tp2_with_8_replicas(flagship: RenderResult) -> None:
    dep = manifest(flagship, "Deployment", "qwen3-32b-decode")
    assert dep["metadata"]["namespace"] == NAMESPACE
    assert dep["spec"]["replicas"] == 8
    c = container(dep)
    assert c["image"] == versions.DEFAULT_RELEASE.vllm_gpu.ref
    assert "Qwen/Qwen3-32B" in c["args"]
    assert "--tensor-parallel-size=2" in c["args"]
    assert not any(a.startswith("--pipeline-parallel-size") for a in c["args"])
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert c["resources"]["requests"]["nvidia.com/gpu"] == 2


def test_decode_pods_have_probes_sized_for_long_model_loads(flagship: RenderResult) -> None:
    c = container(manifest(flagship, "Deployment", "qwen3-32b-decode"))
    startup = c["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 3600
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert "httpGet" in c["readinessProbe"]


def test_decode_pods_mount_an_in_memory_dev_shm(flagship: RenderResult) -> None:
    dep = manifest(flagship, "Deployment", "qwen3-32b-decode")
    pod = dep["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in container(dep)["volumeMounts"]}
    assert "/dev/shm" in mounts
    volume = next(v for v in pod["volumes"] if v["name"] == mounts["/dev/shm"])
    assert volume["emptyDir"]["medium"] == "Memory"


def test_decode_pods_carry_llmd_labels_and_land_on_the_gpu_pool(flagship: RenderResult) -> None:
    dep = manifest(flagship, "Deployment", "qwen3-32b-decode")
    pod = dep["spec"]["template"]
    assert pod["metadata"]["labels"] == POD_LABELS
    assert dep["spec"]["selector"]["matchLabels"] == POD_LABELS
    assert pod["spec"]["nodeSelector"]["cloud.google.com/gke-nodepool"] == "h100"
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod["spec"][
        "tolerations"
    ]


# --- the endpoint picker ----------------------------------------------------------------------------------------


def test_epp_config_has_the_guides_scorer_weights(flagship: RenderResult) -> None:
    cm = manifest(flagship, "ConfigMap", "qwen3-32b-epp")
    (text,) = cm["data"].values()
    doc = yaml.safe_load(text)
    assert doc["kind"] == "EndpointPickerConfig"
    (profile,) = doc["schedulingProfiles"]
    weights = {p["pluginRef"]: p["weight"] for p in profile["plugins"]}
    assert weights == {
        "queue-scorer": 2,
        "kv-cache-utilization-scorer": 2,
        "prefix-cache-scorer": 3,
        "no-hit-lru-scorer": 2,
    }
    # every profile plugin is declared
    assert {p["type"] for p in doc["plugins"]} >= set(weights)


def test_epp_deployment_serves_the_pool_with_the_mounted_config(flagship: RenderResult) -> None:
    dep = manifest(flagship, "Deployment", "qwen3-32b-epp")
    args = container(dep)["args"]
    assert args[args.index("--pool-name") + 1] == "qwen3-32b"
    assert args[args.index("--pool-namespace") + 1] == NAMESPACE
    config_file = args[args.index("--config-file") + 1]
    cm = manifest(flagship, "ConfigMap", "qwen3-32b-epp")
    (key,) = cm["data"]
    mount = next(m for m in container(dep)["volumeMounts"] if config_file.startswith(m["mountPath"] + "/"))
    volume = next(v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == "qwen3-32b-epp"
    assert config_file == f"{mount['mountPath']}/{key}"
    # the flagship runs two pickers, active-passive through leader election (llm-d-practices: EPP HA)
    assert dep["spec"]["replicas"] == 2
    assert "--ha-enable-leader-election" in args


def test_epp_service_selects_the_epp_pods_on_9002(flagship: RenderResult) -> None:
    svc = manifest(flagship, "Service", "qwen3-32b-epp")
    dep = manifest(flagship, "Deployment", "qwen3-32b-epp")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert 9002 in [p["port"] for p in svc["spec"]["ports"]]


# --- InferencePool, route, gateway, GKE policies -------------------------------------------------------------------


def test_inference_pool_points_at_the_model_servers_and_the_epp(flagship: RenderResult) -> None:
    pool = manifest(flagship, "InferencePool", "qwen3-32b")
    assert pool["apiVersion"] == "inference.networking.k8s.io/v1"
    assert pool["metadata"]["namespace"] == NAMESPACE
    spec = pool["spec"]
    assert spec["targetPorts"] == [{"number": 8000}]
    assert spec["endpointPickerRef"]["name"] == "qwen3-32b-epp"
    assert spec["endpointPickerRef"]["port"] == {"number": 9002}
    assert spec["endpointPickerRef"]["failureMode"] == "FailOpen"
    pod_labels = manifest(flagship, "Deployment", "qwen3-32b-decode")["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"] == POD_LABELS
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    vllm_port = container(manifest(flagship, "Deployment", "qwen3-32b-decode"))["ports"][0]["containerPort"]
    assert vllm_port == 8000


def test_http_route_sends_the_gateway_to_the_inference_pool(flagship: RenderResult) -> None:
    route = manifest(flagship, "HTTPRoute", "qwen3-32b")
    assert route["metadata"]["namespace"] == NAMESPACE
    (parent,) = route["spec"]["parentRefs"]
    assert parent["kind"] == "Gateway"
    assert parent["name"] == "llm-d-inference-gateway"
    (rule,) = route["spec"]["rules"]
    (backend,) = rule["backendRefs"]
    assert backend == {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "qwen3-32b"}


def test_gateway_is_gkes_regional_external_inference_gateway(flagship: RenderResult) -> None:
    gateway = manifest(flagship, "Gateway", "llm-d-inference-gateway")
    assert gateway["metadata"]["namespace"] == NAMESPACE
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-regional-external-managed"
    assert [listener["protocol"] for listener in gateway["spec"]["listeners"]] == ["HTTPS", "HTTP"]  # HTTP redirects


@pytest.mark.parametrize("kind", ["HealthCheckPolicy", "GCPBackendPolicy"])
def test_gke_policies_target_the_inference_pool(flagship: RenderResult, kind: str) -> None:
    policy = manifest(flagship, kind, "qwen3-32b")
    assert policy["metadata"]["namespace"] == NAMESPACE
    assert policy["spec"]["targetRef"] == {
        "group": "inference.networking.k8s.io",
        "kind": "InferencePool",
        "name": "qwen3-32b",
    }


def test_health_check_probes_vllm_health_on_the_target_port(flagship: RenderResult) -> None:
    check = manifest(flagship, "HealthCheckPolicy", "qwen3-32b")["spec"]["default"]["config"]
    assert check["httpHealthCheck"] == {"requestPath": "/health", "port": 8000}


# --- GKE ------------------------------------------------------------------------------------------------------------


def test_gke_cluster_is_set_up_for_inference(flagship: RenderResult) -> None:
    inputs = resource(flagship, "gcp:container/cluster:Cluster", "llm-d")["inputs"]
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert inputs["gatewayApiConfig"]["channel"] == "CHANNEL_STANDARD"
    assert "DCGM" in inputs["monitoringConfig"]["enableComponents"]
    assert inputs["monitoringConfig"]["managedPrometheus"]["enabled"] is True
    assert inputs["workloadIdentityConfig"]["workloadPool"] == "my-gcp-project.svc.id.goog"
    assert inputs["removeDefaultNodePool"] is True
    assert inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert inputs["location"] == "us-central1"
    # hardened by default (issue 12): private nodes, authorized networks from the stack file, Secrets encryption
    assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "203.0.113.0/24", "displayName": "authorized-0"}
    ]
    assert inputs["databaseEncryption"]["state"] == "ENCRYPTED"


def test_gpu_node_pool_is_two_compact_a3_highgpu_nodes(flagship: RenderResult) -> None:
    inputs = resource(flagship, "gcp:container/nodePool:NodePool", "h100")["inputs"]
    node = inputs["nodeConfig"]
    assert node["machineType"] == "a3-highgpu-8g"
    (accel,) = node["guestAccelerators"]
    assert accel["type"] == "nvidia-h100-80gb"
    assert accel["count"] == 8
    assert accel["gpuDriverInstallationConfig"]["gpuDriverVersion"] in ("DEFAULT", "LATEST")
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in node["taints"]
    assert node["gvnic"] == {"enabled": True}
    assert inputs["placementPolicy"] == {"type": "COMPACT"}
    assert inputs["nodeLocations"] == ["us-central1-a"]
    assert inputs["initialNodeCount"] == 2
    # starts at the guide's two nodes; the cluster autoscaler may add two more for the HPA (AI conformance KAR-0055)
    assert (inputs["autoscaling"]["minNodeCount"], inputs["autoscaling"]["maxNodeCount"]) == (2, 4)
    assert node["spot"] is False
    assert "reservationAffinity" not in node


# --- namespaces and the component tree ------------------------------------------------------------------------------


def test_every_llmd_object_is_in_the_stack_namespace(flagship: RenderResult) -> None:
    llmd = [
        m
        for m in flagship.manifests
        if m["metadata"]["name"].startswith("qwen3-32b") or m["kind"] in ("Gateway", "LocalQueue")
    ]
    assert len(llmd) >= 15
    wrong = [(m["kind"], m["metadata"]["name"], m["metadata"].get("namespace")) for m in llmd]
    assert [w for w in wrong if w[2] != NAMESPACE] == []
    # cluster add-ons live in their own namespaces (the custom metrics adapter) or are cluster-scoped
    others = {m["metadata"].get("namespace") for m in flagship.manifests if m not in llmd}
    assert others <= {None, NAMESPACE, "custom-metrics", "kube-system"}
    namespaces = {m["metadata"]["name"] for m in flagship.manifests if m["kind"] == "Namespace"}
    assert namespaces == {NAMESPACE, "custom-metrics"}
    for binding in (m for m in llmd if m["kind"] == "RoleBinding"):
        assert {s["namespace"] for s in binding["subjects"]} == {NAMESPACE}


def test_parents_are_registered_and_match_the_urn_type_chain(flagship: RenderResult) -> None:
    by_urn = {r["urn"]: r for r in flagship.resources}
    stack_urn = f"urn:pulumi:{FLAGSHIP}::llmd::pulumi:pulumi:Stack::llmd-{FLAGSHIP}"
    top_level = set()
    for r in flagship.resources:
        if r["parent"] == stack_urn:
            parent_type = "pulumi:pulumi:Stack"
            top_level.add(r["type"])
        else:
            parent = by_urn.get(r["parent"])
            assert parent is not None, f"{r['urn']}: parent {r['parent']} was not registered"
            assert parent["type"].startswith("llmd:"), f"{r['urn']}: parented to a non-component {parent['type']}"
            assert parent["custom"] is False
            parent_type = parent["type"]
        # the mock engine's URNs qualify the type with the parent's type
        assert r["urn"] == f"urn:pulumi:{FLAGSHIP}::llmd::{parent_type}${r['type']}::{r['name']}"
    # only components hang directly off the stack; every cloud or Kubernetes resource lives inside one
    assert top_level == {
        "llmd:gcp:GkeCluster",
        "llmd:gcp:Network",
        "llmd:gcp:ProjectServices",
        "llmd:gcp:GkeManagedCertificate",
        "llmd:gcp:IapAccess",
        "llmd:paths:OptimizedBaseline",
        "llmd:platform:InferenceGateway",
        "llmd:platform:Namespace",
        "llmd:platform:Kueue",
        "llmd:platform:KueueQueues",
        "llmd:platform:LeaderWorkerSet",
        "llmd:gcp:CustomMetricsAdapter",
        "llmd:gcp:ManagedPrometheusView",
        # the model's Hyperdisk ML weights cache: its two volumes and the loader filling them (before the path)
        "llmd:gcp:HyperdiskMlVolume",
        "llmd:serving:WeightsCacheLoader",
    }


def test_component_tree_of_the_flagship(flagship: RenderResult) -> None:
    def urn_of(type_: str, name: str) -> str:
        return resource(flagship, type_, name)["urn"]

    def parent_of(type_: str, name: str) -> str:
        return resource(flagship, type_, name)["parent"]

    path = urn_of("llmd:paths:OptimizedBaseline", "qwen3-32b")
    model_server = urn_of("llmd:serving:ModelServer", "qwen3-32b-decode")
    picker = urn_of("llmd:serving:EndpointPicker", "qwen3-32b-epp")
    cluster = urn_of("llmd:gcp:GkeCluster", "llm-d")
    gpu_pool = urn_of("llmd:gcp:GpuNodePool", "h100")
    policies = urn_of("llmd:platform:GkeInferencePoolPolicies", "qwen3-32b")

    assert parent_of("kubernetes:apps/v1:Deployment", "qwen3-32b-decode-deployment") == model_server
    assert parent_of("kubernetes:apps/v1:Deployment", "qwen3-32b-epp-deployment") == picker
    assert parent_of("kubernetes:core/v1:ConfigMap", "qwen3-32b-epp-config") == picker
    for child_type, child_name in (
        ("llmd:serving:ModelServer", "qwen3-32b-decode"),
        ("llmd:serving:EndpointPicker", "qwen3-32b-epp"),
        ("llmd:serving:InferencePool", "qwen3-32b"),
        ("llmd:serving:HTTPRoute", "qwen3-32b"),
    ):
        assert parent_of(child_type, child_name) == path
    assert parent_of("llmd:platform:GkeInferencePoolPolicies", "qwen3-32b") == path
    assert parent_of("kubernetes:networking.gke.io/v1:HealthCheckPolicy", "qwen3-32b-healthcheck") == policies
    assert parent_of("llmd:gcp:GpuNodePool", "h100") == cluster
    assert parent_of("gcp:container/nodePool:NodePool", "h100") == gpu_pool
    assert parent_of("gcp:container/cluster:Cluster", "llm-d") == cluster
    assert parent_of("pulumi:providers:kubernetes", "llm-d-k8s") == cluster
    assert parent_of("gcp:compute/network:Network", "llm-d-vpc") == urn_of("llmd:gcp:Network", "llm-d")
