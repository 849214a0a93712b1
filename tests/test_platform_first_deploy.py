"""Issue 11, platform side: what a first ``pulumi up`` on a fresh cluster needs from ordering and admission.

Pod Security levels per stack (and every pod template passing its namespace's level), Kueue's scope and what waits
for it, CRDs before custom resources, the custom-metrics namespace, EKS node-group ordering, device plugins before
GPU workloads, and the inputs an ExistingCluster registers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import yaml

from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool, pool_inputs
from pulumi_llmd.components.platform import kueue_values, most_restrictive_level, pod_security_violations
from pulumi_llmd.components.platform.gateways import istiod_values
from pulumi_llmd.components.platform.pod_security import (
    BASELINE,
    PRIVILEGED,
    RESTRICTED,
    PodSecurityNeed,
    decide,
    namespace_labels,
)
from pulumi_llmd.components.platform.scheduling import KUEUE_POD_FRAMEWORKS, kueue_manager_config
from pulumi_llmd.render.render import RenderResult
from tests.mock_program import one, run

Rendered = Callable[[str], RenderResult]
Entry = Mapping[str, Any]

ENFORCE = "pod-security.kubernetes.io/enforce"
WARN = "pod-security.kubernetes.io/warn"
AUDIT = "pod-security.kubernetes.io/audit"
REASON = "llm-d.ai/pod-security-reason"


# --- helpers over a render -----------------------------------------------------------------------------------------


class Deps:
    """The transitive dependencies of a render's resources (``dependencies`` + ``propertyDependencies``)."""

    def __init__(self, result: RenderResult) -> None:
        self.entries: dict[str, Entry] = {e["urn"]: e for e in result.resources}
        self._direct: dict[str, set[str]] = {}
        for urn, entry in self.entries.items():
            deps = set(entry.get("dependencies") or ())
            for urns in (entry.get("propertyDependencies") or {}).values():
                deps.update(urns)
            self._direct[urn] = deps
        self._closure: dict[str, frozenset[str]] = {}

    def closure(self, urn: str) -> frozenset[str]:
        if urn not in self._closure:
            seen: set[str] = set()
            todo = list(self._direct.get(urn, ()))
            while todo:
                dep = todo.pop()
                if dep not in seen:
                    seen.add(dep)
                    todo.extend(self._direct.get(dep, ()))
            self._closure[urn] = frozenset(seen)
        return self._closure[urn]

    def waits_for(self, entry: Entry, other: Entry) -> bool:
        return other["urn"] in self.closure(entry["urn"])

    def of_type(self, type_: str) -> list[Entry]:
        return [e for e in self.entries.values() if e["type"] == type_]

    def one(self, type_: str, name: str) -> Entry:
        found = [e for e in self.of_type(type_) if e["name"] == name]
        assert len(found) == 1, (type_, name, [e["name"] for e in self.of_type(type_)])
        return found[0]

    def release(self, chart: str) -> Entry:
        found = [
            e
            for e in self.of_type("kubernetes:helm.sh/v3:Release")
            if str(e["inputs"].get("chart", "")).rsplit("/", 1)[-1] == chart
        ]
        assert len(found) == 1, (chart, [e["name"] for e in found])
        return found[0]

    def in_namespace(self, namespace: str) -> list[Entry]:
        return [
            e
            for e in self.entries.values()
            if e["type"].startswith("kubernetes:")
            and e["type"] != "kubernetes:helm.sh/v3:Release"
            and (e["inputs"].get("metadata") or {}).get("namespace") == namespace
        ]


def stack_namespace(result: RenderResult) -> dict[str, Any]:
    namespaces = [m for m in result.manifests if m["kind"] == "Namespace" and m["metadata"]["name"].startswith("llm-d")]
    assert len(namespaces) == 1, [m["metadata"]["name"] for m in namespaces]
    return namespaces[0]


def pod_templates(manifest: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    spec = manifest.get("spec") or {}
    if "template" in spec:
        yield "template", spec["template"]["spec"]
    groups = [("", spec.get("leaderWorkerTemplate"))]
    # A DisaggregatedSet: one LeaderWorkerSet template per role.
    groups += [
        (f"roles[{r['name']}].", (r.get("spec") or {}).get("leaderWorkerTemplate")) for r in spec.get("roles") or []
    ]
    for prefix, group in groups:
        if group:
            yield f"{prefix}workerTemplate", group["workerTemplate"]["spec"]
            if group.get("leaderTemplate"):
                yield f"{prefix}leaderTemplate", group["leaderTemplate"]["spec"]


# --- Pod Security: pure rules --------------------------------------------------------------------------------------


def _pod(**container_context: Any) -> dict[str, Any]:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "securityContext": container_context}],
        "volumes": [{"name": "cache", "emptyDir": {}}],
    }


RESTRICTED_CONTEXT = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def test_a_hardened_pod_meets_restricted() -> None:
    assert pod_security_violations(_pod(**RESTRICTED_CONTEXT), RESTRICTED) == []
    assert most_restrictive_level([_pod(**RESTRICTED_CONTEXT)]) == RESTRICTED


def test_ipc_lock_and_sys_rawio_are_outside_baseline() -> None:
    pod = _pod(allowPrivilegeEscalation=False, capabilities={"add": ["IPC_LOCK", "SYS_RAWIO"]})
    assert pod_security_violations(pod, BASELINE) == ["container c adds capabilities IPC_LOCK, SYS_RAWIO"]
    assert pod_security_violations(pod, PRIVILEGED) == []
    assert most_restrictive_level([pod]) == PRIVILEGED


def test_a_root_pod_is_baseline_not_restricted() -> None:
    pod = {"containers": [{"name": "vllm", "securityContext": {"allowPrivilegeEscalation": False}}]}
    assert pod_security_violations(pod, BASELINE) == []
    problems = pod_security_violations(pod, RESTRICTED)
    assert "container vllm does not run with runAsNonRoot: true" in problems
    assert most_restrictive_level([pod]) == BASELINE


def test_baseline_rejects_host_namespaces_paths_and_privileged() -> None:
    pod = {
        "hostNetwork": True,
        "containers": [{"name": "c", "securityContext": {"privileged": True}}],
        "volumes": [{"name": "dev", "hostPath": {"path": "/dev"}}],
    }
    assert set(pod_security_violations(pod, BASELINE)) == {
        "hostNetwork: true",
        "container c is privileged",
        "volume dev is a hostPath",
    }


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed privileged, baseline, restricted"):
        pod_security_violations({}, "strict")


def test_decision_takes_the_most_permissive_need_and_keeps_warn_audit_stricter() -> None:
    decision = decide(
        [
            PodSecurityNeed(BASELINE, "vLLM runs as root"),
            PodSecurityNeed(PRIVILEGED, "model server m (wide-ep) adds capabilities IPC_LOCK, SYS_RAWIO (RDMA)"),
        ]
    )
    assert decision.level == PRIVILEGED
    assert decision.reason == "model server m (wide-ep) adds capabilities IPC_LOCK, SYS_RAWIO (RDMA)"
    assert namespace_labels(decision) == {ENFORCE: PRIVILEGED, WARN: BASELINE, AUDIT: BASELINE}
    assert decide([]).level == RESTRICTED


def test_istio_gateway_proxies_get_a_runtime_default_seccomp_profile() -> None:
    # istio kube-gateway.yaml sets the pod seccompProfile only from gateways.seccompProfile.
    assert istiod_values()["gateways"] == {"seccompProfile": {"type": "RuntimeDefault"}}


# --- Pod Security: per reference stack ------------------------------------------------------------------------------

LEVELS = {
    "kind-simulated-accelerators": (RESTRICTED, RESTRICTED, "every pod meets the restricted profile"),
    "gke-h100-optimized-baseline": (BASELINE, RESTRICTED, "vLLM model servers run as root"),
    "eks-p5-optimized-baseline": (BASELINE, RESTRICTED, "vLLM model servers run as root"),
    "gke-h200-pd-disaggregation": (PRIVILEGED, BASELINE, "(pd-disaggregation) adds capabilities IPC_LOCK (RDMA)"),
    "eks-p5en-pd-disaggregation": (PRIVILEGED, BASELINE, "(pd-disaggregation) adds capabilities IPC_LOCK (RDMA)"),
    "gke-b200-wide-ep": (PRIVILEGED, BASELINE, "deepseek-r1 (wide-ep) adds capabilities IPC_LOCK, SYS_RAWIO (RDMA)"),
}


@pytest.mark.parametrize("stack", sorted(LEVELS))
def test_namespace_level_follows_what_the_pods_need(rendered: Rendered, stack: str) -> None:
    level, visible, reason = LEVELS[stack]
    namespace = stack_namespace(rendered(stack))
    labels = namespace["metadata"]["labels"]
    assert (labels[ENFORCE], labels[WARN], labels[AUDIT]) == (level, visible, visible)
    assert reason in namespace["metadata"]["annotations"][REASON]


@pytest.mark.parametrize(
    "stack",
    [
        "kind-simulated-accelerators",
        "gke-h100-optimized-baseline",
        "gke-h100-precise-prefix-cache-routing",
        "gke-h100-tiered-prefix-cache",
        "gke-h200-pd-disaggregation",
        "gke-b200-wide-ep",
        "gke-tpu-v6e-optimized-baseline",
        "eks-p5-optimized-baseline",
        "eks-p5en-pd-disaggregation",
    ],
)
def test_every_pod_template_passes_its_namespace_level(rendered: Rendered, stack: str) -> None:
    result = rendered(stack)
    namespace = stack_namespace(result)
    name, level = namespace["metadata"]["name"], namespace["metadata"]["labels"][ENFORCE]
    checked = 0
    for manifest in result.manifests:
        if manifest["metadata"].get("namespace") != name:
            continue
        for where, spec in pod_templates(manifest):
            checked += 1
            problems = pod_security_violations(spec, level)
            assert problems == [], f"{manifest['kind']} {manifest['metadata']['name']} {where}: {problems}"
    assert checked >= 2
    # Not needlessly permissive: the level is the strictest every pod meets (the Istio proxy on kind is covered by
    # istiod_values; GKE's managed gateway runs no pods there).
    specs = [s for m in result.manifests if m["metadata"].get("namespace") == name for _, s in pod_templates(m)]
    assert most_restrictive_level(specs) == level


def test_endpoint_pickers_meet_restricted(rendered: Rendered) -> None:
    result = rendered("gke-h100-optimized-baseline")
    pickers = [m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-epp")]
    assert pickers
    for picker in pickers:
        assert pod_security_violations(picker["spec"]["template"]["spec"], RESTRICTED) == []


# --- Kueue ---------------------------------------------------------------------------------------------------------


def test_kueue_values_limit_frameworks_and_namespaces() -> None:
    values = kueue_values(namespaces=["llm-d-x"])
    config = yaml.safe_load(values["managerConfig"]["controllerManagerConfigYaml"])
    assert config == kueue_manager_config(namespaces=["llm-d-x"])
    assert config["apiVersion"] == "config.kueue.x-k8s.io/v1beta2"
    frameworks = config["integrations"]["frameworks"]
    assert not set(frameworks) & set(KUEUE_POD_FRAMEWORKS)  # pod/deployment/statefulset webhooks stay Ignore
    assert "leaderworkerset.x-k8s.io/leaderworkerset" in frameworks and "batch/job" in frameworks
    assert config["manageJobsWithoutQueueName"] is False
    assert config["managedJobsNamespaceSelector"] == {
        "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["llm-d-x"]}]
    }


def test_kueue_values_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one namespace"):
        kueue_values(namespaces=[])
    with pytest.raises(ValueError, match="DNS-1123"):
        kueue_values(namespaces=["Not_A_Namespace"])
    with pytest.raises(ValueError, match="frameworks"):
        kueue_values(namespaces=["ns"], frameworks=[])


@pytest.mark.parametrize("stack", ["gke-h100-optimized-baseline", "gke-b200-wide-ep", "kind-simulated-accelerators"])
def test_kueue_manages_only_the_stack_namespace_and_its_workloads_wait_for_it(rendered: Rendered, stack: str) -> None:
    result = rendered(stack)
    deps = Deps(result)
    kueue = deps.release("kueue")
    namespace = stack_namespace(result)["metadata"]["name"]
    config = yaml.safe_load(kueue["inputs"]["values"]["managerConfig"]["controllerManagerConfigYaml"])
    assert config["managedJobsNamespaceSelector"]["matchExpressions"][0]["values"] == [namespace]
    lws = deps.release("lws")
    workloads = [
        e
        for e in deps.in_namespace(namespace)
        if e["type"] in ("kubernetes:apps/v1:Deployment", "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet")
    ]
    assert workloads
    for workload in workloads:
        assert deps.waits_for(workload, kueue), workload["name"]
        assert deps.waits_for(workload, lws), workload["name"]
    # Releases in other namespaces are not held back by Kueue (nor intercepted: pod-level webhooks are Ignore).
    assert not deps.waits_for(lws, kueue)


def test_kube_prometheus_stack_waits_for_kueue_because_of_its_hook_jobs(rendered: Rendered) -> None:
    deps = Deps(rendered("eks-p5-optimized-baseline"))
    assert deps.waits_for(deps.release("kube-prometheus-stack"), deps.release("kueue"))
    for chart in ("istiod", "nvidia-device-plugin", "dcgm-exporter"):
        assert not deps.waits_for(deps.release(chart), deps.release("kueue")), chart


def test_kueue_queues_wait_for_kueue_and_the_namespace(rendered: Rendered) -> None:
    result = rendered("gke-h100-optimized-baseline")
    deps = Deps(result)
    kueue = deps.release("kueue")
    queues = [e for e in deps.entries.values() if e["type"].startswith("kubernetes:kueue.x-k8s.io/")]
    assert {e["type"].rsplit(":", 1)[-1] for e in queues} == {"ResourceFlavor", "ClusterQueue", "LocalQueue"}
    namespace = deps.one("kubernetes:core/v1:Namespace", "llm-d-optimized-baseline-namespace")
    for queue in queues:
        assert deps.waits_for(queue, kueue)
    local = next(e for e in queues if e["type"].endswith("LocalQueue"))
    assert deps.waits_for(local, namespace)


# --- CRDs before custom resources ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["eks-p5-optimized-baseline", "kind-simulated-accelerators"])
def test_routes_pools_and_gateways_wait_for_their_crds(rendered: Rendered, stack: str) -> None:
    deps = Deps(rendered(stack))
    crds = {
        e["inputs"]["metadata"]["name"]: e
        for e in deps.of_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    }
    wanted = {
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": "httproutes.gateway.networking.k8s.io",
        "kubernetes:gateway.networking.k8s.io/v1:Gateway": "gateways.gateway.networking.k8s.io",
        "kubernetes:inference.networking.k8s.io/v1:InferencePool": "inferencepools.inference.networking.k8s.io",
    }
    for type_, crd in wanted.items():
        objects = deps.of_type(type_)
        assert objects, type_
        for obj in objects:
            assert deps.waits_for(obj, crds[crd]), (obj["name"], crd)


@pytest.mark.parametrize("stack", ["eks-p5-optimized-baseline", "kind-simulated-accelerators"])
def test_pod_monitors_wait_for_kube_prometheus_stack(rendered: Rendered, stack: str) -> None:
    deps = Deps(rendered(stack))
    prometheus = deps.release("kube-prometheus-stack")
    monitors = deps.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
    assert monitors
    for monitor in monitors:
        assert deps.waits_for(monitor, prometheus), monitor["name"]


# --- custom-metrics (GKE) ------------------------------------------------------------------------------------------


def test_custom_metrics_objects_wait_for_their_namespace(rendered: Rendered) -> None:
    deps = Deps(rendered("gke-h100-optimized-baseline"))
    namespace = deps.one("kubernetes:core/v1:Namespace", "custom-metrics-namespace-custom-metrics")
    inside = deps.in_namespace("custom-metrics")
    assert {e["type"].rsplit(":", 1)[-1] for e in inside} >= {"ServiceAccount", "Deployment", "Service"}
    for entry in inside:
        assert deps.waits_for(entry, namespace), entry["name"]


# --- EKS nodes and device plugins ----------------------------------------------------------------------------------


def test_eks_gpu_node_groups_wait_for_vpc_cni_and_the_node_role_policies(rendered: Rendered) -> None:
    deps = Deps(rendered("eks-p5en-pd-disaggregation"))
    groups = [e for e in deps.of_type("aws:eks/nodeGroup:NodeGroup") if not e["name"].endswith("-system")]
    assert groups
    cni = [e for e in deps.of_type("aws:eks/addon:Addon") if e["inputs"]["addonName"] == "vpc-cni"]
    attachments = [
        e
        for e in deps.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if "-node-" in e["name"]  # the node role's, not the cluster role's
    ]
    assert len(cni) == 1 and len(attachments) >= 3
    for group in groups:
        assert deps.waits_for(group, cni[0])
        for attachment in attachments:
            assert deps.waits_for(group, attachment), attachment["name"]


def test_eks_gpu_workloads_wait_for_the_device_plugins(rendered: Rendered) -> None:
    deps = Deps(rendered("eks-p5en-pd-disaggregation"))
    plugins = [deps.release(c) for c in ("nvidia-device-plugin", "aws-efa-k8s-device-plugin")]
    servers = [
        e
        for e in deps.of_type("kubernetes:apps/v1:Deployment")
        if "nvidia.com/gpu" in str(e["inputs"]["spec"]["template"]["spec"]["containers"])
    ] + deps.of_type("kubernetes:disaggregatedset.x-k8s.io/v1:DisaggregatedSet")
    assert servers
    for server in servers:
        for plugin in plugins:
            assert deps.waits_for(server, plugin), (server["name"], plugin["name"])


# --- ExistingCluster inputs ----------------------------------------------------------------------------------------

POOL = ExistingPool(
    name="h100",
    node_selector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
    tolerations=(Toleration("nvidia.com/gpu", None, "NoSchedule"),),
    devices_per_node=8,
    vcpus=192,
    memory_gib=2048,
    max_nodes=4,
    accelerator="nvidia-h100-80gb",
    machine_type="dgx-h100",
    rdma=catalog.RdmaKind.INFINIBAND,
    rdma_resource="rdma/ib",
    rdma_devices_per_node=8,
)

POOL_INPUTS = {
    "name": "h100",
    "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "resourceName": "nvidia.com/gpu",
    "devicesPerNode": 8,
    "vcpus": 192,
    "memoryGiB": 2048,
    "maxNodes": 4,
    "machineType": "dgx-h100",
    "accelerator": "nvidia-h100-80gb",
    "rdma": "infiniband",
    "rdmaResource": "rdma/ib",
    "rdmaDevicesPerNode": 8,
}


def test_pool_inputs_are_plain_camel_case_data() -> None:
    assert pool_inputs(POOL) == POOL_INPUTS


def test_existing_cluster_registers_its_pools_as_inputs() -> None:
    result = run(lambda: ExistingCluster("onprem", context="ctx", pools=[POOL]))
    assert result.error is None, repr(result.error)
    component = one(result, "llmd:cluster:ExistingCluster")
    assert component.inputs["context"] == "ctx"
    assert component.inputs["pools"] == [POOL_INPUTS]
    assert "kubeconfig" not in component.inputs


def test_kind_stack_registers_an_existing_cluster_without_pools(rendered: Rendered) -> None:
    deps = Deps(rendered("kind-simulated-accelerators"))
    (cluster,) = deps.of_type("llmd:cluster:ExistingCluster")
    assert cluster["inputs"] == {"context": "kind-llm-d", "pools": []}
