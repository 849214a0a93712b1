"""Serving side of a first deploy: model weights (catalog, GPU memory, disk), first-start awaits, kind-sized pickers,
URL rewrites for prefixed routes, the EKS EFA image, and what waits for the accelerator pool."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FLAGSHIP, REPO, make_stack_file, make_valid_config

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components import versions
from pulumi_llmd.components.models import MODELS, cache_gib, model_spec, pod_ephemeral_gib
from pulumi_llmd.components.serving.router import EPP_RESOURCES, SMALL_EPP_RESOURCES, route_rule
from pulumi_llmd.components.startup import create_timeout, first_start_estimate, startup_probe_seconds
from pulumi_llmd.render.render import RenderResult, render_stack

Rendered = Callable[[str], RenderResult]


def _manifest(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    found = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, [m["metadata"]["name"] for m in result.manifests if m["kind"] == kind])
    return found[0]


def _role_pod(result: RenderResult, name: str, role: str) -> dict[str, Any]:
    """The pod spec of role ``role`` of DisaggregatedSet ``name`` (its workerTemplate)."""
    ds = _manifest(result, "DisaggregatedSet", name)
    (found,) = [r for r in ds["spec"]["roles"] if r["name"] == role]
    pod: dict[str, Any] = found["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]
    return pod


def _resource(result: RenderResult, type_: str, name: str) -> dict[str, Any]:
    found = [r for r in result.resources if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, (type_, name)
    return found[0]


def _issues(config: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    return {issue.key: issue for issue in info.value.issues}


def _minutes(timeout: str) -> int:
    match = re.fullmatch(r"(\d+)m", timeout)
    assert match, timeout
    return int(match.group(1))


# --- model catalog ----------------------------------------------------------------------------------------------------


def test_catalog_lookup_ignores_case_and_names_its_source() -> None:
    spec = model_spec("qwen/qwen3-32b")
    assert spec is not None and spec.hf_id == "Qwen/Qwen3-32B"
    assert 60 < spec.weights_gib < 62 and spec.dtype == "bf16" and not spec.estimated
    assert "huggingface.co/Qwen/Qwen3-32B" in spec.source
    assert spec.kv_bytes_per_token() == 2 * 64 * 8 * 128 * 2
    for hf_id in (
        "Qwen/Qwen3-8B",
        "openai/gpt-oss-120b",
        "deepseek-ai/DeepSeek-R1-0528",
        "meta-llama/Llama-3.3-70B-Instruct",
    ):
        assert hf_id.lower() in MODELS
    r1 = model_spec("deepseek-ai/DeepSeek-R1")
    assert r1 is not None and r1.moe and r1.dtype == "fp8" and 630 < r1.weights_gib < 650  # ~690 GB


def test_unknown_ids_are_estimated_from_their_size_or_have_no_spec() -> None:
    spec = model_spec("acme/Foo-32B-Instruct")
    assert spec is not None and spec.estimated and spec.parameters == 32e9
    assert spec.weights_gib == round(32e9 * 2 / 2**30, 1)
    fp8 = model_spec("acme/Bar-70B-FP8")
    assert fp8 is not None and fp8.bytes_per_parameter == 1.0
    assert model_spec("acme/no-size") is None
    assert model_spec("random") is None


def test_override_wins_over_catalog_and_estimate() -> None:
    spec = model_spec("Qwen/Qwen3-32B", weights_gib_override=70.0)
    assert spec is not None and spec.weights_gib == 70.0 and spec.source == "config weightsGiB"
    bare = model_spec("acme/no-size", weights_gib_override=12.5)
    assert bare is not None and bare.weights_gib == 12.5
    with pytest.raises(ValueError, match="weightsGiB"):
        model_spec("Qwen/Qwen3-32B", weights_gib_override=-1)


def test_weights_gib_config_key_overrides_the_catalog() -> None:
    config = make_valid_config()
    config["models"][0]["weightsGiB"] = 64
    parsed = parse_stack_config(config)
    assert parsed.models[0].weights is not None and parsed.models[0].weights.weights_gib == 64


# --- GPU memory and disk checks ---------------------------------------------------------------------------------------


def _gcp(machine: str, model: dict[str, Any], **pool: Any) -> dict[str, Any]:
    config = make_valid_config()
    config["pools"] = [{"name": "gpu", "machineType": machine, "nodeCount": 2, **pool}]
    config["models"] = [{"name": "m", **model}]
    return config


def test_qwen3_32b_on_one_l4_does_not_fit_gpu_memory() -> None:
    issues = _issues(_gcp("g2-standard-8", {"huggingFaceId": "Qwen/Qwen3-32B"}))
    issue = issues["llmd:models[0].tensorParallelSize"]
    assert issue.value == 1
    assert "Qwen/Qwen3-32B weighs 61.0 GiB" in issue.message and "nvidia-l4" in issue.message
    assert "allowed: at least 4 x nvidia-l4" in issue.message


def test_llama_70b_at_tp4_on_a100_40gb_does_not_fit_gpu_memory() -> None:
    config = {
        "target": {"cloud": "aws", "region": "us-east-1", "availabilityZones": ["us-east-1a", "us-east-1b"]},
        "cluster": {"controlPlane": {"authorizedCidrs": ["203.0.113.0/24"]}},
        "pools": [{"name": "a100", "machineType": "p4d.24xlarge", "nodeCount": 1}],
        "models": [{"name": "llama", "huggingFaceId": "meta-llama/Llama-3.3-70B-Instruct", "tensorParallelSize": 4}],
    }
    issue = _issues(config)["llmd:models[0].tensorParallelSize"]
    assert issue.value == 4
    assert "32.9 GiB per device" in issue.message
    assert "allowed: at least 5 accelerators per decode replica" in issue.message
    config["models"][0]["tensorParallelSize"] = 8
    parse_stack_config(config)  # TP 8: 16.4 GiB per A100 fits


def test_fitting_models_pass_the_checks(rendered: Rendered) -> None:
    parse_stack_config(make_valid_config())  # Qwen3-32B at TP 2 on H100 80GB
    wide = rendered("gke-b200-wide-ep")  # DeepSeek-R1-0528 DP 16 / EP over 16 x B200
    assert wide.ok and wide.policy_ok


def test_pods_whose_weights_do_not_fit_the_boot_disk_are_refused() -> None:
    resources = {"cpuRequest": "8", "cpuLimit": "10", "memoryRequest": "32Gi", "memoryLimit": "40Gi"}
    model = {"huggingFaceId": "Qwen/Qwen3-8B", "replicas": 4, "resources": resources}
    issue = _issues(_gcp("g2-standard-48", model))["llmd:models[0].huggingFaceId"]
    assert issue.value == "Qwen/Qwen3-8B"
    per_pod = pod_ephemeral_gib(model_spec("Qwen/Qwen3-8B").weights_gib)  # type: ignore[union-attr]
    assert "4 pod(s) per g2-standard-48 node" in issue.message and f"{per_pod} GiB emptyDir" in issue.message
    assert "200 GiB boot disk" in issue.message and "allowed: at most" in issue.message
    parse_stack_config(_gcp("g2-standard-48", model, bootDiskSizeGb=500))  # a larger boot disk holds them


def test_simulator_takes_no_weights() -> None:
    config = {
        "target": {"cloud": "existing", "context": "kind-llm-d"},
        "models": [{"name": "sim", "huggingFaceId": "random", "path": "simulated-accelerators", "weightsGiB": 1}],
    }
    assert "llmd:models[0].weightsGiB" in _issues(config)


# --- weights placement and awaits -------------------------------------------------------------------------------------


def test_model_server_downloads_into_a_sized_emptydir_and_requests_ephemeral_storage(rendered: Rendered) -> None:
    # Qwen3-8B (15 GiB) is below the weights cache's 40 GiB default threshold: each server downloads it
    # (the cache is tests/test_weights_cache.py's).
    weights = model_spec("Qwen/Qwen3-8B").weights_gib  # type: ignore[union-attr]
    pod = _manifest(rendered("gke-l4-multi-model"), "Deployment", "qwen3-8b-decode")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "model-cache")
    assert volume == {"name": "model-cache", "emptyDir": {"sizeLimit": f"{cache_gib(weights)}Gi"}}
    container = pod["containers"][0]
    assert {"name": "model-cache", "mountPath": "/var/cache/huggingface"} in container["volumeMounts"]
    assert {"name": "HF_HUB_CACHE", "value": "/var/cache/huggingface"} in container["env"]
    assert container["resources"]["requests"]["ephemeral-storage"] == f"{pod_ephemeral_gib(weights)}Gi"
    assert cache_gib(weights) >= weights * 1.1


def test_wide_ep_pods_size_their_cache_and_startup_probe(rendered: Rendered) -> None:
    weights = model_spec("deepseek-ai/DeepSeek-R1-0528").weights_gib  # type: ignore[union-attr]
    pod = _role_pod(rendered("gke-b200-wide-ep"), "deepseek-r1", "decode")  # the DisaggregatedSet form (default)
    # DeepSeek-R1 (>= 40 GiB) reads the Hyperdisk ML weights cache (tests/test_weights_cache_eks.py): no emptyDir
    # for the checkpoint, no ephemeral-storage request for it; 4 pods share 4096 MiB/s.
    assert {"name": "hf-cache", "persistentVolumeClaim": {"claimName": "deepseek-r1-weights", "readOnly": True}} in pod[
        "volumes"
    ]
    container = pod["containers"][0]
    assert "ephemeral-storage" not in container["resources"]["requests"]
    estimate = first_start_estimate(
        weights_gib=weights,
        image=versions.DEFAULT_RELEASE.wide_ep_image.ref,
        engine="wide-ep",
        cache_read_mib_per_s=1024,
    )
    probe = container["startupProbe"]
    assert probe["failureThreshold"] * probe["periodSeconds"] >= estimate.in_container_seconds > 1700


def test_model_servers_get_create_timeouts_longer_than_their_first_start(flagship: RenderResult) -> None:
    deployment = _resource(flagship, "kubernetes:apps/v1:Deployment", "qwen3-32b-decode-deployment")
    timeouts = deployment["customTimeouts"]
    weights = model_spec("Qwen/Qwen3-32B").weights_gib  # type: ignore[union-attr]
    # The flagship's servers read their weights from the Hyperdisk ML cache at the loader's 1024 MiB/s.
    estimate = first_start_estimate(weights_gib=weights, cache_read_mib_per_s=1024)
    assert timeouts["create"] == timeouts["update"] == create_timeout(estimate)
    assert _minutes(timeouts["create"]) * 60 > estimate.total_seconds * 1.5 > 10 * 60  # beyond the 10-minute default


def test_leader_worker_sets_get_create_timeouts(rendered: Rendered) -> None:
    lws = _resource(  # the DisaggregatedSet form (default): one set for both roles
        rendered("gke-b200-wide-ep"),
        "kubernetes:disaggregatedset.x-k8s.io/v1:DisaggregatedSet",
        "deepseek-r1-ds",
    )
    # From the weights cache: ~36 min first start (641 GiB read at 1 GiB/s + the wide-EP engine start) x 1.5 + 10 min.
    assert _minutes(lws["customTimeouts"]["create"]) > 60


def test_first_start_estimate_adds_up_and_rounds_timeouts_to_minutes() -> None:
    estimate = first_start_estimate(weights_gib=100.0, image="example.com/unknown:1")
    parts = (
        estimate.node_seconds,
        estimate.image_pull_seconds,
        estimate.download_seconds,
        estimate.load_seconds,
        estimate.engine_seconds,
    )
    assert estimate.total_seconds == pytest.approx(sum(parts))
    assert estimate.download_seconds == pytest.approx(100 * 2**30 / 150e6)
    assert create_timeout(estimate) == f"{math.ceil((estimate.total_seconds * 1.5 + 600) / 60)}m"
    assert startup_probe_seconds(estimate) % 60 == 0
    with pytest.raises(ValueError, match="engine"):
        first_start_estimate(weights_gib=1, engine="cpu")  # type: ignore[arg-type]


# --- pickers, routes, images ------------------------------------------------------------------------------------------


def _picker_resources(result: RenderResult, name: str) -> dict[str, Any]:
    resources: dict[str, Any] = _manifest(result, "Deployment", name)["spec"]["template"]["spec"]["containers"][0][
        "resources"
    ]
    return resources


def test_pickers_are_small_on_kind_and_chart_sized_on_clouds(rendered: Rendered, flagship: RenderResult) -> None:
    assert _picker_resources(rendered("kind-simulated-accelerators"), "random-epp") == SMALL_EPP_RESOURCES
    assert _picker_resources(flagship, "qwen3-32b-epp") == EPP_RESOURCES


def test_picker_resources_can_be_overridden(tmp_path: Path) -> None:
    config = copy.deepcopy(make_valid_config())
    config["models"][0]["router"] = {"resources": {"cpuRequest": "1", "memoryRequest": "2Gi", "memoryLimit": "4Gi"}}
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    assert _picker_resources(result, "qwen3-32b-epp") == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"memory": "4Gi"},
    }


def test_prefixed_routes_rewrite_the_prefix_for_vllm(tmp_path: Path) -> None:
    config = make_valid_config()
    config["pools"][0].update(nodeCount=2, autoscaling={"minNodes": 2, "maxNodes": 3})
    config["models"] = [
        {"name": "qwen3-32b", "huggingFaceId": "Qwen/Qwen3-32B", "tensorParallelSize": 2, "replicas": 2},
        {"name": "qwen3-8b", "huggingFaceId": "Qwen/Qwen3-8B", "replicas": 2, "routePathPrefix": "/qwen3-8b"},
    ]
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    prefixed = _manifest(result, "HTTPRoute", "qwen3-8b")["spec"]["rules"][0]
    assert prefixed["matches"] == [{"path": {"type": "PathPrefix", "value": "/qwen3-8b"}}]
    assert prefixed["filters"] == [
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
    ]
    assert "filters" not in _manifest(result, "HTTPRoute", "qwen3-32b")["spec"]["rules"][0]
    assert "filters" not in route_rule(pool="p", path_prefix="/")


def test_eks_pd_servers_run_the_aws_efa_image(rendered: Rendered) -> None:
    result = rendered("eks-p5en-pd-disaggregation")
    for role in ("prefill", "decode"):
        container = _role_pod(result, "gpt-oss-120b", role)["containers"][0]
        assert container["image"] == versions.DEFAULT_RELEASE.vllm_aws_efa.ref
    gke = _role_pod(rendered("gke-h200-pd-disaggregation"), "gpt-oss-120b", "decode")
    assert gke["containers"][0]["image"] == versions.DEFAULT_RELEASE.vllm_gpu.ref


# --- what waits for the accelerator pool ------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "pool"), [(FLAGSHIP, "h100"), ("gke-b200-wide-ep", "b200")])
def test_only_model_servers_wait_for_the_accelerator_pool(rendered: Rendered, stack: str, pool: str) -> None:
    result = rendered(stack)
    pool_urns = {
        r["urn"] for r in result.resources if r["type"] == "gcp:container/nodePool:NodePool" and r["name"] == pool
    }
    assert len(pool_urns) == 1
    waiting = {r["type"] + " " + r["name"] for r in result.resources if pool_urns & set(r.get("dependencies") or [])}
    server_kinds = (
        "kubernetes:apps/v1:Deployment",
        "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
        "kubernetes:disaggregatedset.x-k8s.io/v1:DisaggregatedSet",
    )
    # The model servers, and the weights-cache loader Job, which runs on the pool's nodes before them.
    servers = {w for w in waiting if w.startswith(server_kinds) or w.endswith("-weights-loader")}
    assert servers, waiting
    for entry in waiting - servers:
        assert not entry.startswith("kubernetes:"), f"{entry} waits for the GPU pool"
    for type_ in (
        "kubernetes:inference.networking.k8s.io/v1:InferencePool",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:policy/v1:PodDisruptionBudget",
    ):
        assert not any(w.startswith(type_) for w in waiting), type_
    assert not any("-epp" in w for w in waiting)
