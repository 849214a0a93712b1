"""Every policy rule with a compliant and a violating case (hand-made resource graphs, no render, no network)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from policy_fixtures import (
    EPP_LABELS,
    NS,
    SERVER_LABELS,
    cloud,
    good_stack,
    k8s,
    kind,
    named,
    of_type,
    release,
    replace,
    server_container,
    without,
)

from pulumi_llmd.policies import practices
from pulumi_llmd.policies.conformance import ASSESSORS
from pulumi_llmd.policies.graph import Graph, selector_matches
from pulumi_llmd.policies.model import Resource, Status

Stack = list[Resource]


def _container(props: dict[str, Any], name: str = "m-decode") -> dict[str, Any]:
    container: dict[str, Any] = props["spec"]["template"]["spec"]["containers"][0]
    return container


def _edit_server(edit: Callable[[dict[str, Any]], None]) -> Stack:
    return replace(good_stack(), named("Deployment", "m-decode"), lambda p: edit(_container(p)))


def _edit_pod(edit: Callable[[dict[str, Any]], None], deployment: str = "m-decode") -> Stack:
    return replace(good_stack(), named("Deployment", deployment), lambda p: edit(p["spec"]["template"]["spec"]))


def _practice(name: str, stack: Stack) -> list[str]:
    """Messages of practice rule ``name`` over ``stack``."""
    for rule in practices.RESOURCE_RULES:
        if rule.name == name:
            return [v.message for r in stack for v in rule.check(r)]
    for stack_rule in practices.STACK_RULES:
        if stack_rule.name == name:
            return [v.message for v in stack_rule.check(Graph(stack))]
    raise KeyError(name)


ALL_PRACTICES = [r.name for r in practices.RESOURCE_RULES] + [r.name for r in practices.STACK_RULES]


@pytest.mark.parametrize("name", ALL_PRACTICES)
def test_the_compliant_stack_passes_every_practice(name: str) -> None:
    assert _practice(name, good_stack()) == []


def _pd_stack(**annotations: str) -> Stack:
    def make_prefill(props: dict[str, Any]) -> None:
        template = props["spec"]["template"]
        template["metadata"]["labels"]["llm-d.ai/role"] = "prefill"
        if annotations:
            template["metadata"]["annotations"] = dict(annotations)
        template["spec"]["containers"][0]["args"].append('--kv-transfer-config={"kv_connector":"NixlConnector"}')

    return replace(good_stack(), named("Deployment", "m-decode"), make_prefill)


VIOLATIONS: list[tuple[str, Callable[[], Stack], str]] = [
    (
        "accelerator-requests-equal-limits",
        lambda: _edit_server(lambda c: c["resources"]["requests"].update({"nvidia.com/gpu": 1})),
        "request 1 != limit 2",
    ),
    (
        "accelerator-requests-equal-limits",
        lambda: _edit_server(lambda c: c["resources"]["requests"].update({"vpc.amazonaws.com/efa": 4})),
        "requested without a limit",
    ),
    ("pd-over-rdma", _pd_stack, "attach no RDMA/EFA"),
    ("images-pinned", lambda: _edit_server(lambda c: c.update(image="vllm/vllm-openai:latest")), "mutable tag latest"),
    ("images-pinned", lambda: _edit_server(lambda c: c.update(image="vllm/vllm-openai")), "has no tag"),
    ("images-pinned", lambda: [*good_stack(), release("x", "oci://example.invalid/charts/x", "")], "no pinned version"),
    ("model-server-probes", lambda: _edit_server(lambda c: c.pop("readinessProbe")), "lacks readinessProbe"),
    (
        "no-privileged-containers",
        lambda: _edit_server(lambda c: c.update(securityContext={"privileged": True})),
        "is privileged",
    ),
    (
        "no-device-hostpath",
        lambda: _edit_pod(lambda s: s.update(volumes=[{"name": "dev", "hostPath": {"path": "/dev/nvidia0"}}])),
        "host path /dev/nvidia0",
    ),
    (
        "capabilities-limited",
        lambda: _edit_server(lambda c: c.update(securityContext={"capabilities": {"add": ["NET_ADMIN"]}})),
        "NET_ADMIN",
    ),
    (
        "capabilities-limited",
        lambda: replace(
            good_stack(),
            named("Deployment", "m-epp"),
            lambda p: _container(p).update(securityContext={"capabilities": {"add": ["IPC_LOCK"]}}),
        ),
        "without using accelerators or RDMA",
    ),
    (
        "hf-token-from-secret",
        lambda: _edit_server(lambda c: c.update(env=[{"name": "HF_TOKEN", "value": "hf_abc"}])),
        "literal value",
    ),
    (
        "hf-token-from-secret",
        lambda: _edit_server(
            lambda c: c.update(env=[{"name": "HF_TOKEN", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}])
        ),
        "secretKeyRef",
    ),
    (
        "hf-token-from-secret",
        lambda: _edit_server(lambda c: c["args"].append("--hf-token=hf_" + "a" * 30)),
        "into its arguments",
    ),
    (
        "hf-token-from-secret",
        lambda: [
            *good_stack(),
            k8s(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "c", "namespace": NS},
                    "data": {"HF_TOKEN": "x"},
                }
            ),
        ],
        "use a Secret",
    ),
    (
        "parallelism-fits-node",
        lambda: _edit_server(lambda c: c["args"].__setitem__(2, "--tensor-parallel-size=4")),
        "TP x PP x DP = 4 but the pod gets 2",
    ),
    (
        "parallelism-fits-node",
        lambda: _edit_server(
            lambda c: (
                c["args"].__setitem__(2, "--tensor-parallel-size=16"),
                c["resources"].update(requests={"nvidia.com/gpu": 16}, limits={"nvidia.com/gpu": 16}),
            )
        ),
        "exceed the 8 of one node of pool h100",
    ),
    (
        "epp-high-availability",
        lambda: replace(good_stack(), named("Deployment", "m-epp"), lambda p: p["spec"].update(replicas=1)),
        "runs 1 replica(s)",
    ),
    (
        "epp-high-availability",
        lambda: replace(good_stack(), named("Deployment", "m-epp"), lambda p: _container(p)["args"].pop()),
        "without --ha-enable-leader-election",
    ),
    ("epp-high-availability", lambda: without(good_stack(), kind("RoleBinding")), "may not manage leases"),
    (
        "pod-disruption-budgets",
        lambda: without(good_stack(), named("PodDisruptionBudget", "m-epp")),
        "no PodDisruptionBudget",
    ),
    ("network-policies", lambda: without(good_stack(), kind("NetworkPolicy")), "no NetworkPolicy restricts"),
    (
        "network-policies",
        lambda: replace(
            good_stack(),
            named("NetworkPolicy", "m-modelserver"),
            lambda p: p["spec"]["ingress"].append({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}),
        ),
        "admits any source",
    ),
    (
        "network-policies",
        lambda: replace(
            good_stack(),
            named("NetworkPolicy", "m-epp"),
            lambda p: p["spec"]["ingress"].append({"ports": [{"port": 9090}]}),
        ),
        "without 'from' admits every source",
    ),
    (
        "network-policies",
        lambda: replace(
            good_stack(), named("NetworkPolicy", "m-epp"), lambda p: p["spec"]["ingress"][0]["from"].pop(0)
        ),
        "proxy-only subnet 10.3.0.0/23 cannot reach",
    ),
    (
        "network-policies",
        lambda: replace(good_stack(), named("NetworkPolicy", "m-modelserver"), lambda p: p["spec"]["ingress"].pop(1)),
        "endpoint picker cannot reach",
    ),
]


@pytest.mark.parametrize(("name", "make", "message"), VIOLATIONS, ids=[f"{v[0]}:{v[2]}" for v in VIOLATIONS])
def test_a_broken_stack_violates_the_practice(name: str, make: Callable[[], Stack], message: str) -> None:
    found = _practice(name, make())
    assert any(message in m for m in found), found


def test_pd_over_rdma_accepts_rdma_or_an_explicit_tcp_choice() -> None:
    assert _practice("pd-over-rdma", _pd_stack(**{"llm-d.ai/kv-transport": "tcp"})) == []
    with_efa = replace(
        _pd_stack(),
        named("Deployment", "m-decode"),
        lambda p: _container(p)["resources"]["limits"].update({"vpc.amazonaws.com/efa": 2}),
    )
    assert _practice("pd-over-rdma", with_efa) == []


def test_images_pinned_by_digest_pass_and_rdma_capabilities_pass_on_gpu_containers() -> None:
    digest = "vllm/vllm-openai@sha256:" + "0" * 64
    assert _practice("images-pinned", _edit_server(lambda c: c.update(image=digest))) == []
    caps = _edit_server(lambda c: c.update(securityContext={"capabilities": {"add": ["IPC_LOCK", "SYS_RAWIO"]}}))
    assert _practice("capabilities-limited", caps) == []


def test_selector_matching_follows_kubernetes_semantics() -> None:
    labels = {"a": "1", "b": "2"}
    assert selector_matches({}, labels)
    assert not selector_matches(None, labels)
    assert selector_matches({"matchLabels": {"a": "1"}}, labels)
    assert not selector_matches({"matchLabels": {"a": "2"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "b", "operator": "In", "values": ["2", "3"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "c", "operator": "Exists"}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, labels)


# --- conformance assessors ----------------------------------------------------------------------------------------


def _assess(requirement: str, stack: Stack) -> Status:
    return ASSESSORS[requirement](Graph(stack)).status


def _cluster(**props: Any) -> Stack:
    return replace(good_stack(), of_type("gcp:container/cluster:Cluster"), lambda p: p.update(props))


def _pool(edit: Callable[[dict[str, Any]], Any]) -> Stack:
    return replace(good_stack(), of_type("gcp:container/nodePool:NodePool"), edit)


def _accelerator(**props: Any) -> Stack:
    return _pool(lambda p: p["nodeConfig"]["guestAccelerators"][0].update(props))


def _disaggregated() -> Stack:
    prefill = replace(
        [r for r in good_stack() if r.kind == "Deployment" and r.object_name == "m-decode"],
        lambda r: True,
        lambda p: (
            p["metadata"].update(name="m-prefill"),
            p["spec"]["template"]["metadata"]["labels"].update({"llm-d.ai/role": "prefill"}),
        ),
    )
    return [*good_stack(), *[Resource(r.type, "m-prefill", r.urn + "-prefill", r.props) for r in prefill]]


CONFORMANCE: list[tuple[str, Callable[[], Stack], Status]] = [
    ("dra_support", good_stack, Status.IMPLEMENTED),
    ("dra_support", lambda: _cluster(minMasterVersion="1.33"), Status.NOT_IMPLEMENTED),
    ("dra_support", lambda: without(good_stack(), of_type("gcp:container/cluster:Cluster")), Status.NOT_APPLICABLE),
    ("driver_runtime_management", good_stack, Status.IMPLEMENTED),
    ("driver_runtime_management", lambda: _accelerator(gpuDriverInstallationConfig=None), Status.NOT_IMPLEMENTED),
    ("gpu_sharing", lambda: _accelerator(gpuSharingConfig={"gpuSharingStrategy": "TIME_SHARING"}), Status.IMPLEMENTED),
    ("gpu_sharing", good_stack, Status.NOT_IMPLEMENTED),
    ("virtualized_accelerator", good_stack, Status.NOT_APPLICABLE),
    (
        "virtualized_accelerator",
        lambda: [
            *good_stack(),
            k8s(
                {
                    "apiVersion": "nvidia.com/v1",
                    "kind": "ClusterPolicy",
                    "metadata": {"name": "p"},
                    "spec": {"vgpuManager": {"enabled": True}},
                }
            ),
        ],
        Status.IMPLEMENTED,
    ),
    ("ai_inference", good_stack, Status.IMPLEMENTED),
    ("ai_inference", lambda: _cluster(gatewayApiConfig=None), Status.PARTIAL),
    ("ai_inference", lambda: without(good_stack(), kind("HTTPRoute")), Status.PARTIAL),
    (
        "ai_inference",
        lambda: without(_cluster(gatewayApiConfig=None), lambda r: r.kind in ("Gateway", "HTTPRoute")),
        Status.NOT_IMPLEMENTED,
    ),
    ("advanced_inference_ingress", good_stack, Status.IMPLEMENTED),
    ("advanced_inference_ingress", lambda: without(good_stack(), kind("InferencePool")), Status.NOT_IMPLEMENTED),
    ("high_performance_networking", good_stack, Status.NOT_APPLICABLE),
    ("high_performance_networking", _disaggregated, Status.NOT_IMPLEMENTED),
    (
        "high_performance_networking",
        lambda: replace(
            _disaggregated(),
            kind("Deployment"),
            lambda p: p["spec"]["template"]["metadata"].update(
                annotations={"networking.gke.io/interfaces": "[rdma-0]"}
            ),
        ),
        Status.IMPLEMENTED,
    ),
    ("disaggregated_inference", _disaggregated, Status.IMPLEMENTED),
    ("disaggregated_inference", good_stack, Status.NOT_IMPLEMENTED),
    ("gang_scheduling", good_stack, Status.IMPLEMENTED),
    ("gang_scheduling", lambda: without(good_stack(), lambda r: r.name == "kueue"), Status.PARTIAL),
    (
        "gang_scheduling",
        lambda: without(good_stack(), lambda r: r.name == "kueue" or r.kind == "ClusterQueue"),
        Status.NOT_IMPLEMENTED,
    ),
    ("cluster_autoscaling", good_stack, Status.IMPLEMENTED),
    (
        "cluster_autoscaling",
        lambda: _pool(lambda p: p.update(autoscaling={"minNodeCount": 2, "maxNodeCount": 2})),
        Status.NOT_IMPLEMENTED,
    ),
    ("cluster_autoscaling", lambda: _pool(lambda p: p.pop("autoscaling")), Status.NOT_IMPLEMENTED),
    (
        "cluster_autoscaling",
        lambda: without(good_stack(), lambda r: r.type.startswith("gcp:container/")),
        Status.NOT_APPLICABLE,
    ),
    ("pod_autoscaling", good_stack, Status.IMPLEMENTED),
    ("pod_autoscaling", lambda: without(good_stack(), kind("HorizontalPodAutoscaler")), Status.NOT_IMPLEMENTED),
    ("pod_autoscaling", lambda: without(good_stack(), kind("APIService")), Status.PARTIAL),
    (
        "pod_autoscaling",
        lambda: replace(
            good_stack(),
            kind("HorizontalPodAutoscaler"),
            lambda p: p["spec"].update(metrics=[{"type": "Resource", "resource": {"name": "cpu"}}]),
        ),
        Status.NOT_IMPLEMENTED,
    ),
    (
        "pod_autoscaling",
        lambda: _cluster(addonsConfig={"horizontalPodAutoscaling": {"disabled": True}}),
        Status.NOT_APPLICABLE,
    ),
    ("accelerator_metrics", good_stack, Status.IMPLEMENTED),
    (
        "accelerator_metrics",
        lambda: _cluster(
            monitoringConfig={"enableComponents": ["SYSTEM_COMPONENTS"], "managedPrometheus": {"enabled": True}}
        ),
        Status.NOT_IMPLEMENTED,
    ),
    (
        "accelerator_metrics",
        lambda: [
            *_cluster(monitoringConfig={"enableComponents": ["SYSTEM_COMPONENTS"]}),
            release("dcgm-exporter", "dcgm-exporter/dcgm-exporter", "4.1.1"),
        ],
        Status.IMPLEMENTED,
    ),
    ("ai_service_metrics", good_stack, Status.IMPLEMENTED),
    ("ai_service_metrics", lambda: without(good_stack(), kind("PodMonitoring")), Status.PARTIAL),
    (
        "ai_service_metrics",
        lambda: _cluster(monitoringConfig={"enableComponents": ["DCGM"], "managedPrometheus": {"enabled": False}}),
        Status.NOT_IMPLEMENTED,
    ),
    ("secure_accelerator_access", good_stack, Status.IMPLEMENTED),
    (
        "secure_accelerator_access",
        lambda: _edit_server(lambda c: c.update(securityContext={"privileged": True})),
        Status.NOT_IMPLEMENTED,
    ),
    (
        "secure_accelerator_access",
        lambda: _edit_pod(lambda s: s.update(volumes=[{"name": "d", "hostPath": {"path": "/dev/nvidia0"}}])),
        Status.NOT_IMPLEMENTED,
    ),
    (
        "secure_accelerator_access",
        lambda: _edit_server(
            lambda c: (c.update(env=[{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]), c["resources"].clear())
        ),
        Status.NOT_IMPLEMENTED,
    ),
    ("secure_accelerator_access", lambda: without(good_stack(), kind("Deployment")), Status.NOT_APPLICABLE),
    ("robust_controller", good_stack, Status.IMPLEMENTED),
    ("robust_controller", lambda: without(good_stack(), lambda r: r.name == "lws"), Status.NOT_IMPLEMENTED),
    (
        "robust_controller",
        lambda: [
            *without(good_stack(), lambda r: r.name == "lws"),
            release("lws", "oci://registry.k8s.io/lws/charts/lws", "0.10.0", {"webhook": {"enabled": False}}),
        ],
        Status.PARTIAL,
    ),
    # workload_sandboxing (KAR-0020, v1.37 SHOULD): more cases in tests/test_conformance_137.py
    ("workload_sandboxing", good_stack, Status.NOT_IMPLEMENTED),
    (
        "workload_sandboxing",
        lambda: [
            *good_stack(),
            k8s(
                {
                    "apiVersion": "node.k8s.io/v1",
                    "kind": "RuntimeClass",
                    "metadata": {"name": "gvisor"},
                    "handler": "runsc",
                }
            ),
        ],
        Status.IMPLEMENTED,
    ),
    (
        "workload_sandboxing",
        lambda: without(good_stack(), lambda r: r.type.startswith("gcp:container/")),
        Status.NOT_APPLICABLE,
    ),
]


@pytest.mark.parametrize(
    ("requirement", "make", "status"), CONFORMANCE, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFORMANCE)]
)
def test_conformance_assessment(requirement: str, make: Callable[[], Stack], status: Status) -> None:
    assessment = ASSESSORS[requirement](Graph(make()))
    assert assessment.status is status, assessment
    if status in (Status.PARTIAL, Status.NOT_IMPLEMENTED):
        assert assessment.violations, "an unmet requirement names what is missing"
    if status is Status.NOT_APPLICABLE:
        assert assessment.notes, "N/A needs a justification"
    if status is Status.IMPLEMENTED:
        assert assessment.evidence, "an implemented requirement names the resources that show it"


def test_every_requirement_has_a_compliant_and_a_violating_or_na_case() -> None:
    by_requirement: dict[str, set[Status]] = {}
    for requirement, _, status in CONFORMANCE:
        by_requirement.setdefault(requirement, set()).add(status)
    assert set(by_requirement) == set(ASSESSORS)
    for requirement, statuses in by_requirement.items():
        assert len(statuses) >= 2, requirement


def test_unknown_preview_values_do_not_crash_rules() -> None:
    stack = _edit_server(lambda c: c.update(image="[unknown]", args="[unknown]"))
    for name in ALL_PRACTICES:
        _practice(name, stack)
    for assess in ASSESSORS.values():
        assess(Graph(stack))
    assert {"llm-d.ai/role": "decode"}.items() <= SERVER_LABELS.items()
    assert EPP_LABELS
    assert cloud("x", "y", {}).describe() == "x y"
    assert server_container()["name"] == "modelserver"
