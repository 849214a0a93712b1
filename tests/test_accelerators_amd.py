"""AMD Instinct on existing clusters: catalog facts, the ROCm vLLM image of the active release, ``amd.com/gpu``
requests, the AMD GPU Operator (ROCm device plugin + device-metrics exporter) satisfying ``accelerator_metrics``, and
the config errors a new user meets (a CUDA-only path on AMD, a device without an llm-d image)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.config import PoolConfig
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.platform.devices import AMD_METRICS_EXPORTER_PORT, amd_gpu_operator_values
from pulumi_llmd.policies.conformance import assess_accelerator_metrics
from pulumi_llmd.policies.graph import ACCELERATOR_RESOURCES, Graph
from pulumi_llmd.policies.model import Resource, Status
from pulumi_llmd.render.render import RenderResult

STACK = "existing-mi300x-optimized-baseline"


def stack_config(stack: str) -> dict[str, Any]:
    """The ``llmd:`` keys of a reference stack file, without the namespace (what ``parse_stack_config`` takes)."""
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")}


def objects(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def server(result: RenderResult) -> dict[str, Any]:
    (deployment,) = [d for d in objects(result, "Deployment") if d["metadata"]["name"].endswith("-decode")]
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers[0]


# --- catalog and release --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "memory"), [("amd-instinct-mi300x", 192), ("amd-instinct-mi325x", 256)])
def test_amd_instinct_catalog_facts(name: str, memory: int) -> None:
    device = catalog.accelerator(name)
    assert (device.vendor, device.memory_gib, device.resource_name) == ("amd", memory, "amd.com/gpu")
    assert device.vllm_platform == "rocm"
    assert "amd.com/gpu" in device.source


def test_short_spellings_name_the_instinct_gpus() -> None:
    assert catalog.accelerator("mi300x").name == "amd-instinct-mi300x"
    assert catalog.accelerator("amd-mi325x").name == "amd-instinct-mi325x"


def test_accelerator_resources_have_one_home() -> None:
    """The policies keep their own copy (they may not import the components): it equals the catalog's."""
    assert tuple(ACCELERATOR_RESOURCES) == catalog.ACCELERATOR_RESOURCE_NAMES


@pytest.mark.parametrize("release", list(versions.RELEASES.values()), ids=list(versions.RELEASES))
def test_each_release_has_an_image_per_platform(release: versions.LlmdRelease) -> None:
    assert release.vllm_image(platform="rocm") == release.vllm_rocm
    assert release.vllm_image(platform="xpu") == release.vllm_xpu
    assert release.vllm_image(platform="cpu") == release.vllm_cpu
    assert release.vllm_image(tpu=True) == release.vllm_tpu
    assert release.vllm_image() == release.vllm_gpu
    assert release.amd_gpu_operator_chart is versions.AMD_GPU_OPERATOR_CHART_PIN
    with pytest.raises(ValueError, match="allowed: cuda, tpu, rocm, xpu, cpu"):
        release.vllm_image(platform="hpu")


def test_an_existing_pool_naming_an_amd_accelerator_requests_amd_gpus() -> None:
    pool = PoolConfig.model_validate({"name": "mi", "accelerator": "amd-instinct-mi300x"})
    assert pool.resource_name == "amd.com/gpu"
    explicit = PoolConfig.model_validate({"name": "mi", "accelerator": "mi300x", "resourceName": "amd.com/gpu_vf"})
    assert explicit.resource_name == "amd.com/gpu_vf"


# --- the reference stack --------------------------------------------------------------------------------------------


def test_mi300x_stack_runs_the_rocm_build_on_amd_gpus(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(STACK)
    container = server(result)
    assert container["image"] == versions.active_release().vllm_rocm.ref
    assert container["image"].startswith("vllm/vllm-openai-rocm:")
    for part in ("requests", "limits"):
        assert container["resources"][part]["amd.com/gpu"] == 2
        assert "nvidia.com/gpu" not in container["resources"][part]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["USER"] == "llm-d"  # the amd-vllm/release image component's env
    assert "--tensor-parallel-size=2" in container["args"]
    assert "nvidia.com/gpu" not in yaml.safe_dump(result.manifests)


def test_mi300x_stack_installs_the_amd_gpu_operator_with_its_metrics_exporter(
    rendered: Callable[[str], RenderResult],
) -> None:
    result = rendered(STACK)
    releases = {r["name"]: r["inputs"] for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    assert "dcgm-exporter" not in releases
    amd = releases["amd-gpu-operator"]
    pin = versions.active_release().amd_gpu_operator_chart
    assert (amd["chart"], amd["version"], amd["repositoryOpts"]["repo"]) == (pin.name, pin.version, pin.repository)
    assert amd["namespace"] == "kube-amd-gpu"
    spec = amd["values"]["deviceConfig"]["spec"]
    exporter = spec["metricsExporter"]
    assert exporter["enable"] is True and exporter["port"] == AMD_METRICS_EXPORTER_PORT == 5000
    assert exporter["image"] == "rocm/device-metrics-exporter:v1.5.0"
    assert exporter["prometheus"]["serviceMonitor"]["enable"] is True
    assert {"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in exporter["tolerations"]
    assert len(spec["devicePlugin"]["devicePluginTolerations"]) == 1  # the pool's taint and the default, once


def test_mi300x_stack_passes_the_packs_and_the_twin(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(STACK)
    assert result.schema_issues == []
    assert result.policy is not None and not result.policy.mandatory, result.policy.mandatory
    metrics = result.policy.assessments["accelerator_metrics"]
    assert metrics.status is Status.IMPLEMENTED
    assert any("device-metrics exporter" in e for e in metrics.evidence), metrics.evidence
    assert result.twin is not None and result.twin.ok, result.twin.findings


# --- accelerator_metrics --------------------------------------------------------------------------------------------


def _graph(*resources: Resource) -> Graph:
    return Graph(list(resources))


def _amd_server() -> Resource:
    container = {"name": "vllm", "image": "vllm/vllm-openai-rocm:v0.30.0", "resources": {"limits": {"amd.com/gpu": 2}}}
    return Resource(
        type="kubernetes:apps/v1:Deployment",
        name="decode",
        urn="urn:pulumi:test::llmd::kubernetes:apps/v1:Deployment::decode",
        props={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "decode", "namespace": "llm-d"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        },
    )


def test_accelerator_metrics_names_amd_exporters_when_none_is_installed() -> None:
    assessment = assess_accelerator_metrics(_graph(_amd_server()))
    assert assessment.status is Status.NOT_IMPLEMENTED
    assert any("AMD device-metrics-exporter" in v.message for v in assessment.violations)


@pytest.mark.parametrize(
    ("enable", "status"), [(True, Status.IMPLEMENTED), (False, Status.NOT_IMPLEMENTED)], ids=["on", "off"]
)
def test_the_amd_operators_default_device_config_counts_as_the_exporter(enable: bool, status: Status) -> None:
    values = amd_gpu_operator_values()
    values["deviceConfig"]["spec"]["metricsExporter"]["enable"] = enable
    release = Resource(
        type="kubernetes:helm.sh/v3:Release",
        name="amd-gpu-operator",
        urn="urn:pulumi:test::llmd::kubernetes:helm.sh/v3:Release::amd-gpu-operator",
        props={"chart": "gpu-operator-charts", "namespace": "kube-amd-gpu", "values": values},
    )
    assert assess_accelerator_metrics(_graph(_amd_server(), release)).status is status


# --- config errors --------------------------------------------------------------------------------------------------


def _error(mutate: Callable[[dict[str, Any]], None]) -> str:
    config = copy.deepcopy(stack_config(STACK))
    mutate(config)
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    return str(info.value)


def test_wide_ep_on_amd_is_a_config_error_naming_the_cuda_dependency() -> None:
    def wide_ep(config: dict[str, Any]) -> None:
        config["models"][0].update(
            path="wide-ep", prefill={"replicas": 1}, dataParallelSize=8, tensorParallelSize=1, replicas=1
        )

    text = _error(wide_ep)
    assert "llmd:models[0].path = 'wide-ep'" in text
    assert "CUDA" in text and "amd.com/gpu" in text


def test_a_device_without_an_llm_d_image_needs_the_models_image() -> None:
    def gaudi(config: dict[str, Any]) -> None:
        pool = config["pools"][0]
        del pool["accelerator"]
        pool["resourceName"] = "habana.ai/gaudi"

    text = _error(gaudi)
    assert "llmd:models[0].image: is required" in text and "habana.ai/gaudi" in text


def test_the_models_image_overrides_the_rocm_build() -> None:
    config = copy.deepcopy(stack_config(STACK))
    config["models"][0]["image"] = "rocm/vllm:rocm7.0.0_vllm_0.11.2_20251210"
    parsed = parse_stack_config(config)
    assert parsed.models[0].image == "rocm/vllm:rocm7.0.0_vllm_0.11.2_20251210"
