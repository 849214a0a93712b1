"""EKS and existing-cluster targets: the reference stacks' key objects and the errors a bad config gets."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pulumi
import pytest
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.render.engine import run_program
from pulumi_llmd.render.render import RenderResult, render_stack

EKS = "eks-p5-optimized-baseline"
KIND = "kind-simulated-accelerators"


@pytest.fixture(scope="module")
def eks() -> RenderResult:
    return render_stack(EKS, project_dir=REPO)


@pytest.fixture(scope="module")
def kind() -> RenderResult:
    return render_stack(KIND, project_dir=REPO)


def _of_type(result: RenderResult, type_: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["type"] == type_]


def test_eks_stack_has_one_cluster_efa_node_group_and_device_plugins(eks: RenderResult) -> None:
    assert eks.schema_issues == [] and eks.policy_ok
    (cluster,) = _of_type(eks, "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["version"] == "1.35"
    groups = {g["name"]: g["inputs"] for g in _of_type(eks, "aws:eks/nodeGroup:NodeGroup")}
    assert groups["h100"]["amiType"] == "AL2023_x86_64_NVIDIA"
    (template,) = _of_type(eks, "aws:ec2/launchTemplate:LaunchTemplate")
    interfaces = template["inputs"]["networkInterfaces"]
    assert len(interfaces) == 32  # one per network card of p5.48xlarge
    assert interfaces[0]["interfaceType"] == "efa"
    assert {i["interfaceType"] for i in interfaces[1:]} == {"efa-only"}
    (placement,) = _of_type(eks, "aws:ec2/placementGroup:PlacementGroup")
    assert placement["inputs"]["strategy"] == "cluster"
    # The EFA rule of the node group (the FSx weights cache adds its own Lustre rules: tests/test_weights_cache_eks.py).
    (ingress,) = [
        r
        for r in _of_type(eks, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "lustre" not in r["name"]
    ]
    assert ingress["inputs"]["referencedSecurityGroupId"] == ingress["inputs"]["securityGroupId"]
    charts = {r["inputs"]["chart"] for r in _of_type(eks, "kubernetes:helm.sh/v3:Release")}
    assert {"aws-efa-k8s-device-plugin", "nvidia-device-plugin", "dcgm-exporter", "istiod"} <= charts


def test_eks_model_servers_match_the_flagship(eks: RenderResult) -> None:
    (dep,) = [m for m in eks.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "qwen3-32b-decode"]
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert "--tensor-parallel-size=2" in container["args"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2
    (gateway,) = [m for m in eks.manifests if m["kind"] == "Gateway"]
    assert gateway["spec"]["gatewayClassName"] == "istio"
    assert gateway["metadata"]["labels"]["istio.io/enable-inference-extproc"] == "true"
    kinds = Counter(m["kind"] for m in eks.manifests)
    assert kinds["CustomResourceDefinition"] >= 6  # Gateway API standard + InferencePool, installed by the stack


def test_kind_stack_has_no_cloud_resources_and_no_accelerators(kind: RenderResult) -> None:
    assert kind.schema_issues == [] and kind.policy_ok
    assert {r["type"].split(":")[0] for r in kind.resources} <= {"kubernetes", "llmd", "pulumi"}
    for manifest in kind.manifests:
        for container in manifest.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            resources = container.get("resources", {})
            assert not any("/" in k for k in {**resources.get("limits", {}), **resources.get("requests", {})})
    (sim,) = [m for m in kind.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "random-decode"]
    assert sim["spec"]["template"]["spec"]["containers"][0]["image"].startswith("ghcr.io/llm-d/llm-d-inference-sim:")


def _aws(**pool: Any) -> dict[str, Any]:
    return {
        "target": {"cloud": "aws", "region": "us-east-1", "availabilityZones": ["us-east-1a"]},
        "pools": [{"name": "gpu", "machineType": "p5.48xlarge", "nodeCount": 1, **pool}],
        "models": [{"name": "m", "huggingFaceId": "Qwen/Qwen3-8B", "tensorParallelSize": 1, "replicas": 1}],
    }


def _existing(**pool: Any) -> dict[str, Any]:
    return {
        "target": {"cloud": "existing"},
        "pools": [{"name": "gpu", "devicesPerNode": 8, "vcpus": 96, "memoryGib": 1024, "nodeCount": 1, **pool}],
        "models": [{"name": "m", "huggingFaceId": "Qwen/Qwen3-8B", "replicas": 1}],
    }


@pytest.mark.parametrize(
    ("config", "key", "fragment"),
    [
        (_aws(machineType="g6e.xlarge", efa=True), "llmd:pools[0].efa", "g6e.xlarge has no EFA"),
        (_aws(provisioning="capacity-block"), "llmd:pools[0].reservation", "'capacity-block'"),
        (_aws(provisioning="flex-start"), "llmd:pools[0].provisioning", "allowed: on-demand, spot, capacity-block"),
        (_aws(availabilityZone="us-east-1f"), "llmd:pools[0].availabilityZone", "us-east-1a"),
        (_aws(machineType="a3-highgpu-8g"), "llmd:pools[0].machineType", "a3-highgpu-8g"),
        (_existing(), "llmd:pools[0].nodeSelector", "required on an existing cluster"),
        (_existing(nodeSelector={"a": "b"}, resourceName="gpu"), "llmd:pools[0].resourceName", "domain/name"),
        (_existing(nodeSelector={"a": "b"}, efa=True), "llmd:pools[0].efa", "target cloud 'aws' only"),
    ],
)
def test_bad_target_configs_name_key_and_nothing_registers(config: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any(i.key == key and fragment in str(i) for i in caught.value.issues), caught.value
    engine_config = {f"llmd:{k}": __import__("json").dumps(v) for k, v in config.items()}
    run = run_program(REPO / "__main__.py", project="llmd", stack="bad", config=engine_config)
    assert run.resources == []
    assert isinstance(run.error, pulumi.RunError) and key in str(run.error)


def test_an_existing_cluster_with_nvidia_pools_gets_gpu_metrics_and_passes_the_packs(tmp_path: Any) -> None:
    import yaml

    stack = tmp_path / "Pulumi.onprem.yaml"
    config = _existing(
        nodeSelector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}],
    )
    config["models"][0]["router"] = {"replicas": 2}
    stack.write_text(yaml.safe_dump({"config": {f"llmd:{k}": v for k, v in config.items()}}))
    result = render_stack(str(stack), project_dir=REPO)
    assert result.schema_issues == [] and result.policy_ok
    assert {r["type"].split(":")[0] for r in result.resources} <= {"kubernetes", "llmd", "pulumi"}
    charts = {r["inputs"]["chart"] for r in _of_type(result, "kubernetes:helm.sh/v3:Release")}
    assert "dcgm-exporter" in charts and "nvidia-device-plugin" not in charts  # the cluster brings its own plugin
    (dep,) = [m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "m-decode"]
    pod = dep["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
