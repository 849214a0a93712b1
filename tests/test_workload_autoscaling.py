"""The workload-autoscaling well-lit path: llm-d's "KEDA + EPP Metrics" queue-based guide
(llm-d/llm-d guides/workload-autoscaling/keda-epp-queue, llm-d v0.9.0) on GKE (other targets: test_keda_targets.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.components import versions
from pulumi_llmd.components.serving.autoscaling import epp_queries, keda_scaled_object_manifest
from pulumi_llmd.policies.check import resources_from_render
from pulumi_llmd.policies.conformance import assess_pod_autoscaling
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.model import Status
from pulumi_llmd.render.render import RenderResult

STACK = "gke-h100-workload-autoscaling"
NS = "llm-d-workload-autoscaling"
Rendered = Callable[[str], RenderResult]


def _one(result: RenderResult, kind: str) -> dict[str, Any]:
    (found,) = [m for m in result.manifests if m["kind"] == kind]
    return found


def test_reference_stack_renders_clean(rendered: Rendered) -> None:
    result = rendered(STACK)
    assert result.ok, result
    assert result.policy is not None and result.policy.mandatory == []
    assert result.twin is not None


def test_keda_is_the_pinned_chart() -> None:
    """FACTS: KEDA v2.20.2 is the newest tag (the guides link keda.sh/docs/2.20); chart version = app version."""
    pin = versions.DEFAULT_RELEASE.keda_chart
    assert (pin.repository, pin.name, pin.version) == ("https://kedacore.github.io/charts", "keda", "2.20.2")
    assert pin is versions.KEDA_V2_20_2_CHART_PIN
    if pin.digest is None:  # no public digest offline: pending, never invented
        assert "KEDA_V2_20_2_CHART_PIN" in versions.DIGEST_PENDING


def test_keda_release_and_the_scaled_object_replace_the_hpa(rendered: Rendered) -> None:
    result = rendered(STACK)
    releases = [r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"]
    keda = [r for r in releases if r["inputs"].get("chart") == "keda"]
    assert keda and keda[0]["inputs"]["version"] == "2.20.2" and keda[0]["inputs"]["namespace"] == "keda"
    # "Do not create a separate HPA for a Deployment managed by a KEDA ScaledObject" (keda-epp-queue/README.md).
    assert not [m for m in result.manifests if m["kind"] == "HorizontalPodAutoscaler"]
    # KEDA serves external.metrics.k8s.io: the Stackdriver adapter keeps custom metrics only.
    services = [m["metadata"]["name"] for m in result.manifests if m["kind"] == "APIService"]
    assert services and not [s for s in services if "external.metrics" in s]
    (deployment,) = [
        r
        for r in result.resources
        if r["type"] == "kubernetes:apps/v1:Deployment" and r["inputs"]["metadata"]["name"] == "qwen3-32b-decode"
    ]
    assert deployment["inputs"]["spec"]["replicas"] == 1  # the initial size; then KEDA's HPA owns it
    assert deployment["ignoreChanges"] == ["spec.replicas"]


def test_scaled_object_has_the_guides_triggers(rendered: Rendered) -> None:
    """keda-epp-queue/optimized-baseline/base/scaledobject.yaml, key by key (min 1, max 8, polling 15, cooldown 300,
    queue threshold 1, running-request threshold 16, AverageValue), on managed Prometheus."""
    so = _one(rendered(STACK), "ScaledObject")
    spec = so["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "qwen3-32b-decode"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 8)
    assert (spec["pollingInterval"], spec["cooldownPeriod"]) == (15, 300)
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 300
    triggers = {t["name"]: t for t in spec["triggers"]}
    assert set(triggers) == {"epp-queue-size", "epp-running-requests"}
    selector = f'namespace="{NS}",job="qwen3-32b-epp",model_name="Qwen/Qwen3-32B"'
    assert triggers["epp-queue-size"]["metadata"]["query"] == f"sum(llm_d_epp_flow_control_queue_size{{{selector}}})"
    assert triggers["epp-running-requests"]["metadata"]["query"] == f"sum(llm_d_epp_request_running{{{selector}}})"
    assert triggers["epp-queue-size"]["metadata"]["threshold"] == "1"
    assert triggers["epp-running-requests"]["metadata"]["threshold"] == "16"
    for trigger in triggers.values():
        assert trigger["type"] == "prometheus" and trigger["metricType"] == "AverageValue"
        assert trigger["metadata"]["serverAddress"] == (
            "https://monitoring.googleapis.com/v1/projects/my-gcp-project/location/global/prometheus"
        )
        assert trigger["authenticationRef"] == {"name": "qwen3-32b-keda-prometheus-auth"}
    auth = _one(rendered(STACK), "TriggerAuthentication")
    assert auth["spec"] == {"podIdentity": {"provider": "gcp"}}


def test_picker_turns_on_flow_control(rendered: Rendered) -> None:
    """keda-epp-queue/optimized-baseline/router.values.yaml: flowControl gate, baseline scorers 2/2/3/2."""
    (cm,) = [
        m for m in rendered(STACK).manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "qwen3-32b-epp"
    ]
    config = yaml.safe_load(cm["data"]["plugins.yaml"])
    assert config["featureGates"] == ["flowControl"]
    weights = {p["pluginRef"]: p["weight"] for p in config["schedulingProfiles"][0]["plugins"]}
    assert weights == {
        "queue-scorer": 2,
        "kv-cache-utilization-scorer": 2,
        "prefix-cache-scorer": 3,
        "no-hit-lru-scorer": 2,
    }


def test_scaled_object_counts_as_pod_autoscaling(rendered: Rendered) -> None:
    """Conformance pod_autoscaling (KAR-0057) accepts a KEDA ScaledObject on the serving Deployment."""
    result = rendered(STACK)
    assert result.policy is not None
    assessment = result.policy.assessments["pod_autoscaling"]
    assert assessment.status is Status.IMPLEMENTED, assessment
    assert any("KEDA scales Deployment qwen3-32b-decode" in str(e) for e in assessment.evidence)


def test_pod_autoscaling_still_needs_an_autoscaler(rendered: Rendered) -> None:
    """Without the ScaledObject the same graph violates pod_autoscaling."""
    result = rendered(STACK)
    resources = [r for r in resources_from_render(result.resources) if r.kind != "ScaledObject"]
    assessment = assess_pod_autoscaling(Graph(resources))
    assert assessment.violations


def test_scaled_object_manifest_checks_its_bounds() -> None:
    queries = epp_queries({"namespace": "ns"})
    with pytest.raises(ValueError, match="min_replicas = 3, max_replicas = 2"):
        keda_scaled_object_manifest(
            name="m",
            namespace="ns",
            deployment="d",
            server_address="http://p:9090",
            queries=queries,
            thresholds={"epp-queue-size": "1", "epp-running-requests": "16"},
            min_replicas=3,
            max_replicas=2,
        )
    with pytest.raises(ValueError, match="no threshold"):
        keda_scaled_object_manifest(
            name="m",
            namespace="ns",
            deployment="d",
            server_address="http://p:9090",
            queries=queries,
            thresholds={"epp-queue-size": "1"},
            min_replicas=0,
            max_replicas=2,
        )
    # Scale to zero: the guide's optional minReplicaCount 0 on the queue path.
    zero = keda_scaled_object_manifest(
        name="m",
        namespace="ns",
        deployment="d",
        server_address="http://p:9090",
        queries=queries,
        thresholds={"epp-queue-size": "1", "epp-running-requests": "16"},
        min_replicas=0,
        max_replicas=2,
    )
    assert zero["spec"]["minReplicaCount"] == 0 and "authenticationRef" not in zero["spec"]["triggers"][0]


def test_eks_takes_the_path_now() -> None:
    """EKS and existing clusters read the kube-prometheus-stack the library installs (tests/test_keda_targets.py):
    the path is no longer refused there."""
    from pulumi_llmd.blueprints import parse_stack_config

    raw = yaml.safe_load((REPO / "stacks" / "Pulumi.eks-p5-optimized-baseline.yaml").read_text())["config"]
    data = {key.removeprefix("llmd:"): value for key, value in raw.items() if key.startswith("llmd:")}
    data["models"][0]["path"] = "workload-autoscaling"
    assert parse_stack_config(data).models[0].keda_autoscaled
