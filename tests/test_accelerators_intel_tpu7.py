"""Intel Data Center GPUs (XPU) on existing clusters and Cloud TPU7x (Ironwood) on GKE.

Intel: a held-out existing-cluster stack (the MI300X reference stack with an ``intel-xpu`` pool) renders with exit 0,
no mandatory violation and a clean twin: Intel's device plugins operator + GPU plugin charts (``gpu.intel.com/i915``),
Intel XPU Manager's exporter with a ServiceMonitor counted by ``accelerator_metrics``, the XPU vLLM build, and model
servers that wait for the plugin. TPU7x: the catalog's ``tpu7x-standard-4t`` and a single-host stack rendering clean on
the Cloud TPU vLLM build at TP 8 (two TensorCores per chip; multi-host TPU7x: tests/test_tpu7x.py).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import parse_stack_config
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.gcp.tpu import tpu_topology_problem
from pulumi_llmd.components.platform.devices import (
    INTEL_DEVICE_PLUGINS_NAMESPACE,
    INTEL_XPUMANAGER_PORT,
    intel_gpu_plugin_values,
    intel_monitoring_resource,
    intel_xpumanager_manifests,
)
from pulumi_llmd.policies.conformance import assess_accelerator_metrics
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.model import Resource, Status
from pulumi_llmd.render.render import RenderResult, render_stack

Entry = Mapping[str, Any]


def _stack(name: str) -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")}


def intel_config() -> dict[str, Any]:
    """The held-out Intel stack: the MI300X reference stack with an Intel XPU pool (Intel's NFD GPU label, no taints)
    serving Qwen/Qwen3-8B, TP 1 x 2 replicas."""
    config = copy.deepcopy(_stack("existing-mi300x-optimized-baseline"))
    (pool,) = config["pools"]
    pool.update(accelerator="intel-xpu", nodeSelector={"intel.feature.node.kubernetes.io/gpu": "true"})
    pool.pop("tolerations")
    (model,) = config["models"]
    model.update(huggingFaceId="Qwen/Qwen3-8B", name="qwen3-8b", replicas=2, tensorParallelSize=1)
    return config


def tpu7x_config(topology: str = "2x2x1", tp: int = 8) -> dict[str, Any]:
    """The v6e optimized-baseline reference stack moved to one TPU7x host per server in us-central1."""
    config = copy.deepcopy(_stack("gke-tpu-v6e-optimized-baseline"))
    config["target"].update(region="us-central1", zone="us-central1-c")
    (pool,) = config["pools"]
    pool.update(name="v7", machineType="tpu7x-standard-4t", tpuTopology=topology)
    (model,) = config["models"]
    model.update(pool="v7", tensorParallelSize=tp)
    return config


_CACHE: dict[str, RenderResult] = {}


def _render(tmp_path_factory: pytest.TempPathFactory, name: str, config: dict[str, Any]) -> RenderResult:
    if name not in _CACHE:
        data = dict(config)
        if name.startswith("gke"):
            data = {**data, "gcp:project": data["target"]["project"], "gcp:region": data["target"]["region"]}
        path = make_stack_file(tmp_path_factory.mktemp(name), data, name=name)
        _CACHE[name] = render_stack(str(path), project_dir=REPO)
    return _CACHE[name]


@pytest.fixture(scope="module")
def intel(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return _render(tmp_path_factory, "existing-xpu-optimized-baseline", intel_config())


@pytest.fixture(scope="module")
def tpu7x(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return _render(tmp_path_factory, "gke-tpu7x-optimized-baseline", tpu7x_config())


def objects(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def server(result: RenderResult) -> dict[str, Any]:
    (deployment,) = [d for d in objects(result, "Deployment") if d["metadata"]["name"].endswith("-decode")]
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers[0]


def releases(result: RenderResult) -> dict[str, Entry]:
    return {r["name"]: r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"}


def waits_for(result: RenderResult, entry: Entry, other: Entry) -> bool:
    """``entry`` depends on ``other``, directly or through other resources (dependencies + property dependencies)."""
    direct: dict[str, set[str]] = {}
    for e in result.resources:
        deps = set(e.get("dependencies") or ())
        for urns in (e.get("propertyDependencies") or {}).values():
            deps.update(urns)
        direct[e["urn"]] = deps
    seen: set[str] = set()
    todo = list(direct.get(entry["urn"], ()))
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo.extend(direct.get(urn, ()))
    return other["urn"] in seen


# --- Intel: catalog, pins, pure values -------------------------------------------------------------------------------


def test_intel_xpu_catalog_and_the_xpu_vllm_build() -> None:
    device = catalog.accelerator("intel-xpu")
    assert (device.vendor, device.resource_name, device.vllm_platform) == ("intel", "gpu.intel.com/i915", "xpu")
    assert intel_monitoring_resource("gpu.intel.com/i915") == "gpu.intel.com/i915_monitoring"
    assert intel_monitoring_resource("gpu.intel.com/xe") == "gpu.intel.com/xe_monitoring"
    with pytest.raises(ValueError, match=r"allowed: gpu\.intel\.com/i915, gpu\.intel\.com/xe"):
        intel_monitoring_resource("amd.com/gpu")


@pytest.mark.parametrize("release", list(versions.RELEASES.values()), ids=list(versions.RELEASES))
def test_both_releases_pin_the_intel_charts_and_images(release: versions.LlmdRelease) -> None:
    assert release.intel_device_plugins_operator_chart is versions.INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN
    assert release.intel_gpu_plugin_chart is versions.INTEL_GPU_PLUGIN_CHART_PIN
    assert release.intel_gpu_plugin_image is versions.INTEL_GPU_PLUGIN_IMAGE_PIN
    assert release.intel_xpumanager is versions.INTEL_XPUMANAGER_PIN
    operator, gpu = release.intel_device_plugins_operator_chart, release.intel_gpu_plugin_chart
    assert (operator.name, gpu.name) == ("intel-device-plugins-operator", "intel-device-plugins-gpu")
    assert operator.repository == gpu.repository == "https://intel.github.io/helm-charts"
    # The operator refuses plugin images older than itself: the two charts and the plugin image move together.
    assert operator.version == gpu.version == release.intel_gpu_plugin_image.tag
    for pin in (operator, gpu, release.intel_gpu_plugin_image, release.intel_xpumanager):
        assert pin.digest is None or pin.digest.startswith("sha256:")
        assert pin.source


def test_gpu_plugin_values_enable_monitoring_and_pin_the_image() -> None:
    values = intel_gpu_plugin_values(node_selector={"gpu": "intel"})
    pin = versions.active_release().intel_gpu_plugin_image
    assert f"{values['image']['hub']}/intel-gpu-plugin:{values['image']['tag']}" == pin.tagged
    assert values["enableMonitoring"] is True and values["sharedDevNum"] == 1
    assert values["nodeFeatureRule"] is False  # no dependency on NFD's CRDs
    assert values["nodeSelector"] == {"gpu": "intel"}
    with pytest.raises(ValueError, match="node_selector"):
        intel_gpu_plugin_values(node_selector={"": "x"})


def test_xpumanager_manifests_follow_intels_daemonset() -> None:
    daemon_set, service, monitor = intel_xpumanager_manifests(monitoring_resource="gpu.intel.com/xe_monitoring")
    spec = daemon_set["spec"]["template"]["spec"]
    xpumd, exporter = spec["containers"]
    assert xpumd["image"] == exporter["image"] == versions.active_release().intel_xpumanager.ref
    assert xpumd["resources"]["limits"] == {"gpu.intel.com/xe_monitoring": 1}
    assert exporter["ports"] == [{"containerPort": INTEL_XPUMANAGER_PORT, "name": "metrics", "protocol": "TCP"}]
    assert "hostNetwork" not in spec
    assert all(not v.get("hostPath", {}).get("path", "").startswith("/dev") for v in spec["volumes"])
    assert service["spec"]["ports"][0]["port"] == 29999
    assert monitor["kind"] == "ServiceMonitor"
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "5s"}]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [INTEL_DEVICE_PLUGINS_NAMESPACE]}


# --- Intel: the held-out stack --------------------------------------------------------------------------------------


def test_intel_stack_passes_schemas_packs_and_twin(intel: RenderResult) -> None:
    assert intel.schema_issues == []
    assert intel.policy is not None and not intel.policy.mandatory, intel.policy.mandatory
    metrics = intel.policy.assessments["accelerator_metrics"]
    assert metrics.status is Status.IMPLEMENTED
    assert any("Intel XPU Manager" in e for e in metrics.evidence), metrics.evidence
    assert intel.twin is not None and intel.twin.ok, intel.twin.findings


def test_intel_stack_serves_the_xpu_build_on_intel_gpus(intel: RenderResult) -> None:
    container = server(intel)
    assert container["image"] == versions.active_release().vllm_xpu.ref
    assert container["image"].startswith("vllm/vllm-openai-xpu:")
    for part in ("requests", "limits"):
        assert container["resources"][part]["gpu.intel.com/i915"] == 1
    text = yaml.safe_dump(intel.manifests)
    assert "nvidia.com/gpu" not in text and "amd.com/gpu" not in text


def test_intel_stack_installs_the_device_plugins_and_the_exporter(intel: RenderResult) -> None:
    found = releases(intel)
    assert "dcgm-exporter" not in found and "amd-gpu-operator" not in found
    release = versions.active_release()
    for name, pin in (
        ("intel-gpu-plugin-operator", release.intel_device_plugins_operator_chart),
        ("intel-gpu-plugin", release.intel_gpu_plugin_chart),
    ):
        inputs = found[name]["inputs"]
        assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
            pin.name,
            pin.version,
            pin.repository,
        )
        assert inputs["namespace"] == INTEL_DEVICE_PLUGINS_NAMESPACE
    values = found["intel-gpu-plugin"]["inputs"]["values"]
    assert values["nodeSelector"] == {"intel.feature.node.kubernetes.io/gpu": "true"}
    assert values["enableMonitoring"] is True
    assert waits_for(intel, found["intel-gpu-plugin"], found["intel-gpu-plugin-operator"])
    assert waits_for(intel, found["intel-gpu-plugin-operator"], found["cert-manager"])  # the operator's webhooks
    (daemon_set,) = [d for d in objects(intel, "DaemonSet") if d["metadata"]["name"] == "intel-xpumanager"]
    assert daemon_set["metadata"]["namespace"] == INTEL_DEVICE_PLUGINS_NAMESPACE
    xpumd = daemon_set["spec"]["template"]["spec"]["containers"][0]
    assert xpumd["image"] == "intel/xpumanager:v1.2.27"
    assert xpumd["resources"]["limits"]["gpu.intel.com/i915_monitoring"] == 1
    (monitor,) = objects(intel, "ServiceMonitor")
    assert monitor["metadata"]["name"] == "intel-xpumanager"
    assert [s["metadata"]["name"] for s in objects(intel, "Service") if "xpum" in s["metadata"]["name"]] == [
        "intel-xpumanager"
    ]


def test_intel_model_servers_wait_for_the_gpu_plugin(intel: RenderResult) -> None:
    plugin = releases(intel)["intel-gpu-plugin"]
    (decode,) = [
        r
        for r in intel.resources
        if r["type"] == "kubernetes:apps/v1:Deployment" and r["name"].endswith("-decode-deployment")
    ]
    assert waits_for(intel, decode, plugin)


def test_the_twin_requires_the_plugin_before_intel_gpus() -> None:
    from pulumi_llmd.twin import facts

    assert facts.DEVICE_PLUGIN_CHARTS["gpu.intel.com/i915"] == "intel-device-plugins-gpu"
    assert facts.DEVICE_PLUGIN_CHARTS["gpu.intel.com/xe"] == "intel-device-plugins-gpu"


def _intel_server() -> Resource:
    container = {
        "name": "vllm",
        "image": "vllm/vllm-openai-xpu:v0.30.0",
        "resources": {"limits": {"gpu.intel.com/i915": 1}},
    }
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


def test_accelerator_metrics_names_intel_and_counts_an_xpumanager_daemon_set() -> None:
    missing = assess_accelerator_metrics(Graph([_intel_server()]))
    assert missing.status is Status.NOT_IMPLEMENTED
    assert any("Intel XPU Manager" in v.message for v in missing.violations)
    daemon_set = intel_xpumanager_manifests()[0]
    exporter = Resource(
        type="kubernetes:apps/v1:DaemonSet",
        name="intel-xpumanager",
        urn="urn:pulumi:test::llmd::kubernetes:apps/v1:DaemonSet::intel-xpumanager",
        props=daemon_set,
    )
    assert assess_accelerator_metrics(Graph([_intel_server(), exporter])).status is Status.IMPLEMENTED


def test_an_xe_pool_requests_xe_and_gets_its_own_exporter(tmp_path: Path) -> None:
    config = intel_config()
    config["pools"][0]["resourceName"] = "gpu.intel.com/xe"
    result = render_stack(str(make_stack_file(tmp_path, config, name="xpu-xe")), project_dir=REPO)
    assert result.policy is not None and not result.policy.mandatory, result.policy.mandatory
    assert result.twin is not None and result.twin.ok, result.twin.findings
    assert server(result)["resources"]["limits"]["gpu.intel.com/xe"] == 1
    (daemon_set,) = [d for d in objects(result, "DaemonSet") if d["metadata"]["name"].startswith("intel-xpumanager")]
    assert daemon_set["metadata"]["name"] == "intel-xpumanager-xe"
    assert daemon_set["metadata"]["namespace"] == INTEL_DEVICE_PLUGINS_NAMESPACE
    limits = daemon_set["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"gpu.intel.com/xe_monitoring": 1}
    (monitor,) = objects(result, "ServiceMonitor")
    assert monitor["spec"]["selector"] == {"matchLabels": {"app": "intel-xpumanager-xe"}}


# --- TPU7x (Ironwood) ----------------------------------------------------------------------------------------------


def test_tpu7x_catalog_facts() -> None:
    shape = catalog.machine("gcp", "tpu7x-standard-4t")
    assert shape.accelerator.name == "tpu7x" and shape.accelerator.memory_gib == 192
    assert (shape.accelerator_count, shape.vcpus, shape.memory_gib) == (4, 224, 894)
    assert shape.tpu is not None and shape.tpu.accelerator_label == "tpu7x" and shape.tpu.workload_policy
    assert shape.tpu.topologies[0] == "2x2x1" and catalog.tpu_hosts(shape, "2x2x1") == 1
    assert catalog.tpu_hosts(shape, "2x2x2") == 2
    assert shape.accelerator.vllm_platform == "tpu"
    assert catalog.accelerator("ironwood").name == "tpu7x"
    assert catalog.machine_for_accelerator("gcp", "tpu7x").machine_type == "tpu7x-standard-4t"


def test_single_host_tpu7x_renders_clean(tpu7x: RenderResult) -> None:
    assert tpu7x.schema_issues == []
    assert tpu7x.policy is not None and not tpu7x.policy.mandatory, tpu7x.policy.mandatory
    assert tpu7x.twin is not None and tpu7x.twin.ok, tpu7x.twin.findings
    container = server(tpu7x)
    assert container["image"] == versions.active_release().vllm_tpu.ref
    assert container["resources"]["limits"]["google.com/tpu"] == 4
    assert "--tensor-parallel-size=8" in container["args"]
    (deployment,) = [d for d in objects(tpu7x, "Deployment") if d["metadata"]["name"].endswith("-decode")]
    selector = deployment["spec"]["template"]["spec"]["nodeSelector"]
    assert selector["cloud.google.com/gke-tpu-accelerator"] == "tpu7x"
    assert selector["cloud.google.com/gke-tpu-topology"] == "2x2x1"
    (pool,) = [r for r in tpu7x.resources if r["type"] == "gcp:container/nodePool:NodePool" and "v7" in r["name"]]
    assert pool["inputs"]["nodeConfig"]["machineType"] == "tpu7x-standard-4t"
    assert "tpuTopology" not in (pool["inputs"].get("placementPolicy") or {})


def test_multi_host_tpu7x_passes_config_validation() -> None:
    """The workload-policy refusal is lifted: a 2x2x2 slice at TP 16 (two TensorCores per chip) parses."""
    parse_stack_config(tpu7x_config("2x2x2", 16))


def test_the_node_pool_rule_allows_multi_host_tpu7x_and_keeps_other_versions() -> None:
    v7 = catalog.machine("gcp", "tpu7x-standard-4t")
    assert tpu_topology_problem("topology", "2x2x1", v7) is None
    assert tpu_topology_problem("topology", "2x2x2", v7) is None
    problem = tpu_topology_problem("topology", "4x4x4", v7)
    assert problem is not None and "allowed on tpu7x-standard-4t: 2x2x1, 2x2x2" in problem
    v6e = catalog.machine("gcp", "ct6e-standard-4t")
    assert tpu_topology_problem("topology", "4x4", v6e) is None


def test_tpu7x_price_is_unknown_not_guessed() -> None:
    from pulumi_llmd.components import prices

    entry = prices.price("gcp", "tpu7x-standard-4t")
    assert entry is not None and entry.usd_per_hour is None


def test_no_reference_stack_uses_intel_or_tpu7x() -> None:
    """The reference stacks render byte-identically to their goldens: none of them uses what this file adds."""
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        text = path.read_text()
        assert "intel" not in text and "tpu7x" not in text, path.name
