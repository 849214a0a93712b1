"""workload-autoscaling on every target and per role for P/D (issue 14, item 3).

KEDA + ScaledObjects on EKS and existing clusters (kube-prometheus-stack over HTTPS, behind a NetworkPolicy),
the token-aware guide's per-role ScaledObjects for pd-disaggregation (llm-d/llm-d guides/workload-autoscaling/
keda-epp-token-aware/pd-disaggregation/base/{prefill,decode}-scaledobject.yaml), scale to zero on the queue path only,
the HPA-on-vLLM form kept as ``autoscaler: hpa``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.posture import insecure_choices
from pulumi_llmd.components.serving.autoscaling import (
    epp_prunes_inflight_series,
    keda_scaled_object_manifest,
    token_aware_queries,
)
from pulumi_llmd.render.render import RenderResult, render_stack

CRDS = REPO / "src" / "pulumi_llmd" / "schemas" / "crds"


def _llmd(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.removeprefix("llmd:"): value for key, value in raw.items() if key.startswith("llmd:")}


def _write(tmp_path: Path, stack: str, data: dict[str, Any], name: str) -> Path:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    config = {k: v for k, v in raw.items() if not k.startswith("llmd:")}
    config.update({f"llmd:{k}": v for k, v in data.items()})
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def _eks_workload_autoscaling(**autoscaling: Any) -> dict[str, Any]:
    data = _llmd("eks-p5-optimized-baseline")
    data["namespace"] = "llm-d-workload-autoscaling"
    model = data["models"][0]
    model.update(path="workload-autoscaling", replicas=1)
    if autoscaling:
        model["autoscaling"] = autoscaling
    return data


def _pd(stack: str = "gke-h200-pd-disaggregation", **autoscaling: Any) -> dict[str, Any]:
    data = _llmd(stack)
    data["namespace"] = "llm-d-pd-autoscaling"
    model = data["models"][0]
    model["autoscaling"] = {"metric": "token-aware", **autoscaling}
    model["workloadForm"] = "deployment"
    return data


def _existing_workload_autoscaling() -> dict[str, Any]:
    return {
        "target": {"cloud": "existing"},
        "namespace": "llm-d-workload-autoscaling",
        "pools": [
            {
                "name": "gpu",
                "accelerator": "nvidia-h100-80gb",
                "nodeSelector": {"gpu": "h100"},
                "devicesPerNode": 8,
                "vcpus": 208,
                "memoryGib": 1800,
                "nodeCount": 1,
            }
        ],
        "models": [
            {
                "name": "qwen3-32b",
                "huggingFaceId": "Qwen/Qwen3-32B",
                "pool": "gpu",
                "path": "workload-autoscaling",
                "tensorParallelSize": 2,
                "replicas": 1,
                "autoscaling": {"minReplicas": 0},
            }
        ],
        "gateway": {"className": "istio", "authentication": "none"},
    }


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], RenderResult]:
    """One render per candidate stack (written to a temporary folder, rendered by path)."""
    tmp = tmp_path_factory.mktemp("keda")
    stacks: dict[str, tuple[str, dict[str, Any]]] = {
        "eks": ("eks-p5-optimized-baseline", _eks_workload_autoscaling(metric="queue", maxReplicas=8)),
        "existing": ("kind-simulated-accelerators", _existing_workload_autoscaling()),
        "pd": ("gke-h200-pd-disaggregation", _pd()),
    }
    cache: dict[str, RenderResult] = {}

    def get(key: str) -> RenderResult:
        if key not in cache:
            base, data = stacks[key]
            cache[key] = render_stack(str(_write(tmp, base, data, f"keda-{key}")), project_dir=REPO)
        return cache[key]

    return get


def _kind(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def _clean(result: RenderResult) -> None:
    assert result.ok, result
    assert result.policy is not None and result.policy.mandatory == []
    assert result.twin is not None and result.twin.ok, result.twin.findings


# --- EKS and existing clusters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["eks", "existing"])
def test_keda_and_a_scaled_object_on_every_target(renders: Callable[[str], RenderResult], key: str) -> None:
    """KEDA's release and the queue guide's ScaledObject on kube-prometheus-stack, schema-valid, both packs, twin."""
    result = renders(key)
    _clean(result)
    releases = [r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"]
    assert [r["inputs"]["namespace"] for r in releases if r["inputs"].get("chart") == "keda"] == ["keda"]
    (so,) = _kind(result, "ScaledObject")
    spec = so["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "qwen3-32b-decode"}
    triggers = {t["name"]: t for t in spec["triggers"]}
    assert set(triggers) == {"epp-queue-size", "epp-running-requests"}
    for trigger in triggers.values():
        meta = trigger["metadata"]
        assert meta["serverAddress"] == "https://kube-prometheus-stack-prometheus.monitoring.svc:9090"
        assert meta["authModes"] == "tls"
        assert 'namespace="llm-d-workload-autoscaling"' in meta["query"]  # always pinned
        assert 'pod=~"qwen3-32b-epp-.*"' in meta["query"]
        # ca + client cert (mTLS material)
        assert trigger["authenticationRef"] == {"name": "qwen3-32b-keda-prometheus-auth"}
    assert triggers["epp-queue-size"]["metadata"]["threshold"] == "1"
    assert triggers["epp-running-requests"]["metadata"]["threshold"] == "16"
    assert [t["metadata"]["name"] for t in _kind(result, "TriggerAuthentication")] == ["qwen3-32b-keda-prometheus-auth"]
    assert not _kind(result, "HorizontalPodAutoscaler")  # KEDA owns the HPA it generates


@pytest.mark.parametrize("key", ["eks", "existing"])
def test_prometheus_api_is_restricted_to_keda_and_said_so(renders: Callable[[str], RenderResult], key: str) -> None:
    """Prometheus' HTTPS API stays behind a NetworkPolicy that admits only the monitoring namespace and KEDA's
    operator on 9090; nothing is listed among the insecure choices (the library chose no plain HTTP)."""
    result = renders(key)
    (policy,) = [m for m in _kind(result, "NetworkPolicy") if m["metadata"]["name"] == "prometheus-api"]
    assert policy["metadata"]["namespace"] == "monitoring"
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    keda_rule = policy["spec"]["ingress"][1]
    assert keda_rule["ports"] == [{"protocol": "TCP", "port": 9090}]
    assert keda_rule["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "keda"}
    assert keda_rule["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "keda-operator"}
    assert result.insecure_choices is not None
    assert not [c for c in result.insecure_choices if c.key == "llmd:models[0].autoscaling"]


def test_gke_keeps_managed_prometheus_and_lists_no_http_choice() -> None:
    config = parse_stack_config(_llmd("gke-h100-workload-autoscaling"))
    assert not [c for c in insecure_choices(config) if "autoscaling" in c.key]


def test_eks_and_existing_are_no_longer_refused() -> None:
    parse_stack_config(_eks_workload_autoscaling())
    parse_stack_config(_existing_workload_autoscaling())


# --- scale to zero ---------------------------------------------------------------------------------------------------


def test_scale_to_zero_on_the_queue_path(renders: Callable[[str], RenderResult]) -> None:
    """minReplicas 0: minReplicaCount 0 and cooldownPeriod 300; the Deployment still starts at replicas (1), so the
    first deploy is not 'unready' in the twin, and the render lists the availability choice."""
    result = renders("existing")
    (so,) = _kind(result, "ScaledObject")
    assert (so["spec"]["minReplicaCount"], so["spec"]["cooldownPeriod"]) == (0, 300)
    (deployment,) = [m for m in _kind(result, "Deployment") if m["metadata"]["name"] == "qwen3-32b-decode"]
    assert deployment["spec"]["replicas"] == 1
    assert result.insecure_choices is not None
    assert any(c.key == "llmd:models[0].autoscaling.minReplicas" for c in result.insecure_choices)


def test_cooldown_period_is_configurable() -> None:
    data = _eks_workload_autoscaling(minReplicas=0, cooldownPeriod=600)
    assert parse_stack_config(data).models[0].autoscaling is not None


@pytest.mark.parametrize(
    ("autoscaling", "key", "needle"),
    [
        ({"minReplicas": 0, "metric": "saturation"}, "minReplicas", "metric 'saturation'"),
        ({"minReplicas": 0, "autoscaler": "hpa"}, "minReplicas", "HPAScaleToZero"),
        ({"cooldownPeriod": 120}, "cooldownPeriod", "scale to zero only"),
        ({"metric": "token-aware"}, "metric", "pd-disaggregation"),
        ({"minReplicas": 4, "maxReplicas": 2}, "minReplicas", "maxReplicas"),
        ({"autoscaler": "hpa", "metric": "queue"}, "metric", "autoscaler 'keda' only"),
        ({"peakPrefillThroughput": 15928}, "peakPrefillThroughput", "token-aware"),
    ],
)
def test_autoscaling_keys_refused_on_workload_autoscaling(autoscaling: dict[str, Any], key: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(_eks_workload_autoscaling(**autoscaling))
    (issue,) = [i for i in info.value.issues if i.key == f"llmd:models[0].autoscaling.{key}"]
    assert needle in issue.message


@pytest.mark.parametrize(
    ("autoscaling", "key", "needle"),
    [
        ({"minReplicas": 0}, "minReplicas", "not taken on pd-disaggregation"),
        ({"metric": "queue"}, "metric", "allowed: token-aware"),
    ],
)
def test_autoscaling_keys_refused_on_pd(autoscaling: dict[str, Any], key: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(_pd(**autoscaling))
    assert any(i.key == f"llmd:models[0].autoscaling.{key}" and needle in i.message for i in info.value.issues)


def test_autoscaling_key_on_other_paths_is_refused() -> None:
    data = _llmd("eks-p5-optimized-baseline")
    data["models"][0]["autoscaling"] = {"metric": "queue"}
    with pytest.raises(ConfigError) as info:
        parse_stack_config(data)
    assert any(i.key == "llmd:models[0].autoscaling" for i in info.value.issues)


# --- HPA form kept ---------------------------------------------------------------------------------------------------


def test_hpa_form_stays_selectable(tmp_path: Path) -> None:
    """autoscaler: hpa builds the legacy HPA on vLLM's queue depth, and no KEDA."""
    result = render_stack(
        str(_write(tmp_path, "eks-p5-optimized-baseline", _eks_workload_autoscaling(autoscaler="hpa"), "hpa")),
        project_dir=REPO,
        twin=False,
    )
    assert result.ok, result
    (hpa,) = _kind(result, "HorizontalPodAutoscaler")
    assert hpa["spec"]["metrics"][0]["pods"]["metric"]["name"] == "vllm:num_requests_waiting"
    assert not _kind(result, "ScaledObject")
    assert not [r for r in result.resources if r["type"] == "llmd:platform:Keda"]


# --- per role for P/D ------------------------------------------------------------------------------------------------


def test_pd_scales_per_role_as_the_token_aware_guide(renders: Callable[[str], RenderResult]) -> None:
    result = renders("pd")
    _clean(result)
    objects = {so["metadata"]["labels"]["llm-d.ai/role"]: so for so in _kind(result, "ScaledObject")}
    assert set(objects) == {"prefill", "decode"}
    assert not _kind(result, "HorizontalPodAutoscaler")
    behavior = {
        "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 180}]},
        "scaleDown": {
            "stabilizationWindowSeconds": 300,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
        },
    }
    expected = {"prefill": ("prefill-backlog-seconds", "1.5"), "decode": ("decode-kv-utilization", "0.8")}
    for role, so in objects.items():
        spec = so["spec"]
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"gpt-oss-120b-{role}"}
        assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] == behavior
        assert (spec["minReplicaCount"], spec["pollingInterval"]) == (2, 15)
        (trigger,) = spec["triggers"]
        name, threshold = expected[role]
        assert (trigger["name"], trigger["metricType"], trigger["type"]) == (name, "AverageValue", "prometheus")
        meta = trigger["metadata"]
        assert (meta["threshold"], meta["activationThreshold"], meta["unsafeSsl"]) == (threshold, "0", "false")
        assert 'namespace="llm-d-pd-autoscaling"' in meta["query"] and meta["query"].endswith(" or vector(0)")
    prefill = objects["prefill"]["spec"]["triggers"][0]["metadata"]["query"]
    assert "llm_d_epp_inflight_tokens{" in prefill and 'producer_name="inflight-load-producer"' in prefill
    assert "/ 33821)" in prefill
    decode = objects["decode"]["spec"]["triggers"][0]["metadata"]["query"]
    assert decode.startswith("sum(vllm:kv_cache_usage_perc{") and 'pod=~".*gpt-oss-120b-.*decode.*"' in decode
    (cm,) = [m for m in _kind(result, "ConfigMap") if m["metadata"]["name"] == "gpt-oss-120b-epp"]
    plugins = [p["type"] for p in yaml.safe_load(cm["data"]["plugins.yaml"])["plugins"]]
    assert "inflight-load-producer" in plugins  # publishes the prefill signal


def test_prefill_divisor_is_a_config_key() -> None:
    queries = token_aware_queries(namespace="ns", model="m", pool="m", peak_prefill_throughput=15928)
    assert "/ 15928)" in queries["prefill"]


def test_old_picker_gets_the_liveness_intersection() -> None:
    """llm-d-router #2577 (series pruning) landed after v0.10.0: <= v0.10.0 uses the README's workaround query."""
    assert not epp_prunes_inflight_series("v0.10.0") and not epp_prunes_inflight_series("v0.9.0")
    assert epp_prunes_inflight_series("v0.11.0") and epp_prunes_inflight_series("main")
    old = token_aware_queries(namespace="ns", model="m", pool="m", epp_prunes_series=False)["prefill"]
    assert 'and on (target_pod) label_replace(llm_d_epp_per_endpoint_queue_size{name="m",namespace="ns"}' in old
    new = token_aware_queries(namespace="ns", model="m", pool="m", epp_prunes_series=True)["prefill"]
    assert new.startswith("(sum(llm_d_epp_inflight_tokens{") and "and on" not in new


def test_pd_on_eks_parses_with_per_role_keda() -> None:
    parse_stack_config(_pd("eks-p5en-pd-disaggregation"))


# --- schemas ---------------------------------------------------------------------------------------------------------


def _validate(manifest: dict[str, Any], crd: str) -> None:
    schema = json.loads((CRDS / crd).read_text())
    jsonschema.validate(copy.deepcopy(manifest), schema)


def test_scaled_objects_fit_the_carried_keda_crd() -> None:
    for target in (("apps/v1", "Deployment"), ("disaggregatedset.x-k8s.io/v1", "DisaggregatedSetRoleScaler")):
        manifest = keda_scaled_object_manifest(
            name="m-prefill-token-aware",
            namespace="ns",
            deployment="m-prefill",
            server_address="http://p:9090",
            queries={"prefill-backlog-seconds": "vector(0)"},
            thresholds={"prefill-backlog-seconds": "1.5"},
            min_replicas=0,
            max_replicas=4,
            target_kind=target,
            labels={"llm-d.ai/role": "prefill"},
            trigger_metadata={"activationThreshold": "0", "unsafeSsl": "false"},
        )
        _validate(manifest, "keda.sh_v1alpha1_ScaledObject.json")


def test_pd_disaggregated_set_scales_through_role_scalers(tmp_path: Path) -> None:
    """The DisaggregatedSet form: roles External, ScaledObjects on the controller's DisaggregatedSetRoleScaler
    ``<ds>-<role>`` (kubernetes-sigs/lws site/content/en/docs/concepts/disaggregatedset/role-scaler), never on the
    revision-named LeaderWorkerSets."""
    data = _pd()
    data["models"][0]["workloadForm"] = "disaggregatedSet"
    result = render_stack(str(_write(tmp_path, "gke-h200-pd-disaggregation", data, "ds")), project_dir=REPO)
    _clean(result)
    (ds,) = _kind(result, "DisaggregatedSet")
    assert {r["name"]: r.get("scaling") for r in ds["spec"]["roles"]} == {
        "prefill": {"mode": "External"},
        "decode": {"mode": "External"},
    }
    targets = {
        so["metadata"]["labels"]["llm-d.ai/role"]: so["spec"]["scaleTargetRef"] for so in _kind(result, "ScaledObject")
    }
    assert targets == {
        role: {
            "apiVersion": "disaggregatedset.x-k8s.io/v1",
            "kind": "DisaggregatedSetRoleScaler",
            "name": f"gpt-oss-120b-{role}",
        }
        for role in ("prefill", "decode")
    }


def test_two_autoscaled_models_in_one_namespace_get_their_own_trigger_authentication(tmp_path: Path) -> None:
    """Each model's ScaledObjects read their own TriggerAuthentication (``<model>-keda-prometheus-auth``): one shared
    name would be created twice and the API server refuses the second (the twin's ``admission/unique-object``)."""
    data = _existing_workload_autoscaling()
    second = copy.deepcopy(data["models"][0])
    second.update(name="qwen3-8b", huggingFaceId="Qwen/Qwen3-8B", tensorParallelSize=1)
    data["models"].append(second)
    data["gateway"]["modelRouting"] = "body"
    data["pools"][0]["nodeCount"] = 2  # one model-server node each at KEDA's maximum
    result = render_stack(str(_write(tmp_path, "kind-simulated-accelerators", data, "keda-two")), project_dir=REPO)
    assert not result.schema_issues
    assert result.policy is not None and result.policy.mandatory == []
    assert result.twin is not None and result.twin.ok, result.twin.findings
    names = sorted(t["metadata"]["name"] for t in _kind(result, "TriggerAuthentication"))
    assert names == ["qwen3-32b-keda-prometheus-auth", "qwen3-8b-keda-prometheus-auth"]
    for scaled in _kind(result, "ScaledObject"):
        model = scaled["metadata"]["name"].removesuffix("-decode")
        assert {t["authenticationRef"]["name"] for t in scaled["spec"]["triggers"]} == {f"{model}-keda-prometheus-auth"}
