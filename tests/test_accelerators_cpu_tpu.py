"""CPU-only serving (llm-d's CPU variant), Intel XPU image selection, and multi-host TPU slices served on
LeaderWorkerSet the way llm-d's TPU guide does (``tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.cluster.existing import ExistingPool, accelerator_pool, existing_pool_problems
from pulumi_llmd.components.serving.model_server import CPU_VLLM_ENV, vllm_image
from pulumi_llmd.policies.model import Status
from pulumi_llmd.render.render import RenderResult

CPU_STACK = "kind-cpu-optimized-baseline"
TPU_STACK = "gke-tpu-v6e-multihost"
ACCELERATOR_KEYS = set(catalog.ACCELERATOR_RESOURCE_NAMES)


def stack_config(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")}


def _error(stack: str, mutate: Callable[[dict[str, Any]], None]) -> str:
    config = copy.deepcopy(stack_config(stack))
    mutate(config)
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    return str(info.value)


def _one(result: RenderResult, kind: str, suffix: str) -> dict[str, Any]:
    (found,) = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"].endswith(suffix)]
    return found


def _clean(result: RenderResult) -> None:
    assert result.schema_issues == []
    assert result.policy is not None and not result.policy.mandatory, result.policy.mandatory
    assert result.twin is not None and result.twin.ok, result.twin.findings


# --- CPU ------------------------------------------------------------------------------------------------------------


def test_cpu_stack_runs_the_cpu_build_without_devices(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(CPU_STACK)
    pod = _one(result, "Deployment", "-decode")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == versions.active_release().vllm_cpu.ref
    assert container["image"].startswith("vllm/vllm-openai-cpu:")
    for part in ("requests", "limits"):
        assert not ACCELERATOR_KEYS & set(container["resources"][part])
    env = {e["name"]: e.get("value") for e in container["env"]}
    # The guide's env (VLLM_CPU_NUM_OF_RESERVED_CPU) and the stack's smaller KV cache for a laptop.
    assert env["VLLM_CPU_NUM_OF_RESERVED_CPU"] == CPU_VLLM_ENV["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "1"
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "2"
    assert "--disable-hybrid-kv-cache-manager" in container["args"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}


def test_cpu_stack_needs_no_accelerator_policies(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(CPU_STACK)
    _clean(result)
    assert result.policy is not None
    assert result.policy.assessments["accelerator_metrics"].status is Status.NOT_APPLICABLE
    releases = {r["inputs"].get("chart") for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    assert not releases & {"dcgm-exporter", "gpu-operator-charts", "nvidia-device-plugin"}
    picker = _one(result, "Deployment", "-epp")["spec"]["template"]["spec"]["containers"][0]
    assert picker["resources"]["requests"]["cpu"] == "100m"  # a CPU-only cluster gets the small picker


def test_a_cpu_pool_refuses_a_device_resource() -> None:
    def device(config: dict[str, Any]) -> None:
        config["pools"][0]["resourceName"] = "nvidia.com/gpu"

    text = _error(CPU_STACK, device)
    assert "llmd:pools[0].resourceName = 'nvidia.com/gpu'" in text and "requests no device" in text


def test_cpu_pool_component_requests_nothing() -> None:
    pool = ExistingPool(
        name="cpu",
        node_selector={"kubernetes.io/os": "linux"},
        devices_per_node=1,
        vcpus=8,
        memory_gib=16,
        resource_name="",
        accelerator="cpu",
    )
    assert existing_pool_problems(pool, "pools[0]") == []
    accelerator = accelerator_pool(pool)
    assert accelerator.resource_name == "" and accelerator.shape.accelerator.kind is catalog.AcceleratorKind.CPU
    assert vllm_image(accelerator) == versions.active_release().vllm_cpu.ref


# --- Intel XPU ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["gpu.intel.com/i915", "gpu.intel.com/xe"])
def test_intel_gpus_get_the_xpu_build(resource: str) -> None:
    pool = accelerator_pool(
        ExistingPool(
            name="xpu",
            node_selector={"gpu.intel.com/device-id.0380-0bd5.present": "true"},
            tolerations=(Toleration(resource, None, "NoSchedule"),),
            devices_per_node=8,
            vcpus=96,
            memory_gib=1000,
            resource_name=resource,
            accelerator="intel-xpu",
        )
    )
    assert pool.resource_name == resource
    assert vllm_image(pool) == versions.active_release().vllm_xpu.ref
    # The release's CUDA image given by mistake is swapped for the pool's build; any other image is kept.
    assert vllm_image(pool, versions.active_release().vllm_gpu.ref) == versions.active_release().vllm_xpu.ref
    assert vllm_image(pool, "ghcr.io/llm-d/llm-d-xpu:v0.10.0") == "ghcr.io/llm-d/llm-d-xpu:v0.10.0"


# --- TPU multi-host slices --------------------------------------------------------------------------------------------


def test_multihost_slice_is_served_by_one_leader_worker_set_group(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(TPU_STACK)
    assert not [m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-decode")]
    lws = _one(result, "LeaderWorkerSet", "-decode")
    group = lws["spec"]["leaderWorkerTemplate"]
    assert group["size"] == 4  # 4x4 = 16 chips / 4 chips per ct6e-standard-4t host
    assert group["restartPolicy"] == "RecreateGroupOnPodRestart"
    leader, worker = group["leaderTemplate"], group["workerTemplate"]
    for template in (leader, worker):
        (container,) = template["spec"]["containers"]
        assert container["image"] == versions.active_release().vllm_tpu.ref
        assert container["resources"]["requests"]["google.com/tpu"] == 4
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["TPU_MULTIHOST_BACKEND"] == "ray" and env["TPU_NODE_ID"] == "$(LWS_WORKER_INDEX)"
        assert env["TPU_PROCESS_PORT"] == "8476"
        assert template["spec"]["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "4x4"
    script = leader["spec"]["containers"][0]["command"][-1]
    assert "multi-node-serving.sh leader --ray_cluster_size=${LWS_GROUP_SIZE}" in script
    assert "exec vllm serve meta-llama/Llama-3.3-70B-Instruct" in script and "--tensor-parallel-size=16" in script
    worker_container = worker["spec"]["containers"][0]
    assert "multi-node-serving.sh worker --ray_address=${LWS_LEADER_ADDRESS}" in worker_container["command"][-1]
    assert "readinessProbe" in leader["spec"]["containers"][0] and "readinessProbe" not in worker_container
    assert worker["metadata"]["labels"]["llm-d.ai/guide"] == "optimized-baseline-worker"
    pool_selector = _one(result, "InferencePool", "")["spec"]["selector"]["matchLabels"]
    assert pool_selector["llm-d.ai/guide"] == "optimized-baseline"  # leaders only
    hpa = _one(result, "HorizontalPodAutoscaler", "-decode")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "LeaderWorkerSet"


def test_multihost_stack_passes_the_packs_and_the_twin(rendered: Callable[[str], RenderResult]) -> None:
    _clean(rendered(TPU_STACK))


def test_a_server_must_span_the_whole_slice() -> None:
    def tp8(config: dict[str, Any]) -> None:
        config["models"][0]["tensorParallelSize"] = 8

    text = _error(TPU_STACK, tp8)
    assert "llmd:models[0].tensorParallelSize = 8" in text and "allowed: TP x PP = 16" in text
