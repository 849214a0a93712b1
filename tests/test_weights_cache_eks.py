"""The EKS weights cache (FSx for Lustre) and the wide-EP servers reading a cache (issue 15, item 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.targets import target_class
from pulumi_llmd.blueprints.targets.weights_cache import (
    cache_readers,
    cold_starts,
    fsx_capacity,
    read_mib_per_server,
    resolve_weights_cache,
)
from pulumi_llmd.components.aws.weights_cache import fsx_capacity_gib, fsx_throughput_mib_per_s
from pulumi_llmd.components.models import HF_CACHE_PATH
from pulumi_llmd.render.render import RenderResult, render_stack

EKS = "eks-p5-optimized-baseline"
WIDE_EP = "gke-b200-wide-ep"
Rendered = Callable[[str], RenderResult]


def _config(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _resources(result: RenderResult, type_: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in result.resources if r["type"] == type_}


def _objects(result: RenderResult, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == kind}


@pytest.fixture(scope="module")
def eks() -> RenderResult:
    return render_stack(REPO / "stacks" / f"Pulumi.{EKS}.yaml")


@pytest.fixture(scope="module")
def wide_ep() -> RenderResult:
    return render_stack(REPO / "stacks" / f"Pulumi.{WIDE_EP}.yaml")


# --- sizes and throughput ------------------------------------------------------------------------------------------


def test_fsx_capacity_steps_and_throughput() -> None:
    # 1200 GiB, 2400 GiB, then steps of 2400 GiB (CreateFileSystem StorageCapacity).
    assert fsx_capacity_gib(72, 1000) == 1200
    assert fsx_capacity_gib(1201, 1000) == 2400
    assert fsx_capacity_gib(2401, 1000) == 4800
    # Throughput = TiB x MB/s/TiB: 1.2 TiB at 1000 MB/s/TiB = 1,171.875 MB/s = 1,117.6 MiB/s.
    assert fsx_throughput_mib_per_s(1200, 1000) == pytest.approx(1200 / 1024 * 1000 * 1e6 / 2**20)
    # Capacity grows with the throughput the readers need: 8 x 1024 MiB/s at 1000 MB/s/TiB -> 9600 GiB.
    assert fsx_capacity_gib(72, 1000, 8 * 1024.0) == 9600
    with pytest.raises(ValueError, match="size_gib"):
        fsx_capacity_gib(0, 1000)


def test_eks_large_models_get_fsx_lustre_by_default() -> None:
    for stack in ("eks-p5-optimized-baseline", "eks-p5-workload-autoscaling", "eks-p5en-pd-disaggregation"):
        config = parse_stack_config(_config(stack))
        assert resolve_weights_cache(config, config.models[0], target_class("aws")) == "fsx-lustre", stack
    small = _config(EKS)
    small["models"][0]["weightsGiB"] = 30
    config = parse_stack_config(small)
    assert resolve_weights_cache(config, config.models[0], target_class("aws")) == "none"


# --- the rendered EKS cache ----------------------------------------------------------------------------------------


def test_fsx_file_system_security_group_and_addon(eks: RenderResult) -> None:
    fs = _resources(eks, "aws:fsx/lustreFileSystem:LustreFileSystem")["qwen3-32b-weights"]["inputs"]
    assert fs["deploymentType"] == "PERSISTENT_2" and fs["storageType"] == "SSD"
    assert fs["perUnitStorageThroughput"] == 1000
    # 8 servers at 1024 MiB/s each: 9600 GiB (8,940 MiB/s).
    assert fs["storageCapacity"] == 9600
    assert fs["subnetIds"] == "llm-d-private-us-east-1a-id" and fs["automaticBackupRetentionDays"] == 0
    rules = _resources(eks, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    lustre = {(r["inputs"]["fromPort"], r["inputs"]["toPort"]) for n, r in rules.items() if "lustre" in n}
    assert lustre == {(988, 988), (1018, 1023)}
    assert {n for n in rules if "lustre" in n} >= {
        "qwen3-32b-weights-lustre-from-self-988",
        "qwen3-32b-weights-lustre-from-nodes-1018",
        "qwen3-32b-weights-lustre-to-nodes-988",
    }
    addon = _resources(eks, "aws:eks/addon:Addon")["llm-d-aws-fsx-csi-driver"]["inputs"]
    assert addon["addonName"] == "aws-fsx-csi-driver"
    (association,) = addon["podIdentityAssociations"]
    assert association["serviceAccount"] == "fsx-csi-controller-sa"
    roles = _resources(eks, "aws:iam/role:Role")
    assert "pods.eks.amazonaws.com" in roles["llm-d-fsx-csi"]["inputs"]["assumeRolePolicy"]
    # Static volumes only: the controller may describe file systems, never create or delete them (least privilege).
    policy = json.loads(_resources(eks, "aws:iam/rolePolicy:RolePolicy")["llm-d-fsx-csi-describe"]["inputs"]["policy"])
    assert [s["Action"] for s in policy["Statement"]] == [["fsx:Describe*"]]
    assert "llm-d-fsx-csi-AmazonFSxFullAccess" not in _resources(
        eks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    )


def test_fsx_static_volume_loader_and_read_only_servers(eks: RenderResult) -> None:
    pv = next(v for n, v in _objects(eks, "PersistentVolume").items() if n.endswith("qwen3-32b-weights"))
    assert pv["spec"]["csi"]["driver"] == "fsx.csi.aws.com"
    assert set(pv["spec"]["csi"]["volumeAttributes"]) == {"dnsname", "mountname"}
    assert pv["spec"]["accessModes"] == ["ReadWriteMany"]
    claim = _objects(eks, "PersistentVolumeClaim")["qwen3-32b-weights"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"] and claim["spec"]["storageClassName"] == ""
    job = _objects(eks, "Job")["qwen3-32b-weights-loader"]
    assert job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "qwen3-32b-weights"
    pod = _objects(eks, "Deployment")["qwen3-32b-decode"]["spec"]["template"]
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "model-cache")
    assert volume["persistentVolumeClaim"] == {"claimName": "qwen3-32b-weights", "readOnly": True}
    assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache"] == "fsx-lustre"
    assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache-read-mibps"] == "1118"


# --- wide-EP reads the cache ----------------------------------------------------------------------------------------


def test_wide_ep_pods_mount_the_cache(wide_ep: RenderResult) -> None:
    (ds,) = _objects(wide_ep, "DisaggregatedSet").values()
    for role in ds["spec"]["roles"]:
        pod = role["spec"]["leaderWorkerTemplate"]["workerTemplate"]
        container = next(c for c in pod["spec"]["containers"] if c["name"] == "vllm")
        volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "hf-cache")
        assert volume["persistentVolumeClaim"] == {"claimName": "deepseek-r1-weights", "readOnly": True}
        mount = next(m for m in container["volumeMounts"] if m["name"] == "hf-cache")
        assert mount == {"name": "hf-cache", "mountPath": HF_CACHE_PATH, "readOnly": True}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["HF_HUB_OFFLINE"] == "1"
        assert "ephemeral-storage" not in container["resources"]["requests"]
        assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache"] == "hyperdisk-ml"
        # 4 pods (2 prefill + 2 decode, 16 ranks of 8 per pod) share 4096 MiB/s.
        assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache-read-mibps"] == "1024"
    disk = _resources(wide_ep, "gcp:compute/disk:Disk")["deepseek-r1-weights"]["inputs"]
    assert disk["provisionedThroughput"] == 4 * 1024


def test_wide_ep_readers_are_pods_and_cold_start() -> None:
    config = parse_stack_config(_config(WIDE_EP))
    model = config.models[0]
    assert cache_readers(model) == 4
    assert read_mib_per_server(model, "hyperdisk-ml") == 1024
    (row,) = cold_starts(config, target_class("gcp"))
    assert row.kind == "hyperdisk-ml"
    assert row.fresh_with < row.fresh_without / 3 and row.warm_with < row.warm_without / 3


# --- config errors --------------------------------------------------------------------------------------------------


def _refused(config: dict[str, Any], key: str, *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


def test_fsx_lustre_config_errors() -> None:
    gke = _config("gke-h100-optimized-baseline")
    gke["models"][0]["weightsCache"] = {"kind": "fsx-lustre"}
    _refused(gke, "llmd:models[0].weightsCache.kind", "does not offer it", "hyperdisk-ml")
    eks = _config(EKS)
    eks["models"][0]["weightsCache"] = {"kind": "fsx-lustre", "throughputMiBps": 4000}
    key = "llmd:models[0].weightsCache.throughputMiBps"
    _refused(eks, key, "not a key of kind fsx-lustre", "perUnitStorageThroughput")
    eks["models"][0]["weightsCache"] = {"kind": "hyperdisk-ml"}
    _refused(eks, "llmd:models[0].weightsCache.kind", "fsx-lustre")
    eks["models"][0]["weightsCache"] = {"kind": "fsx-lustre", "perUnitStorageThroughput": 300}
    with pytest.raises(ConfigError):
        parse_stack_config(eks)
    eks["models"][0]["weightsCache"] = {"kind": "fsx-lustre", "perUnitStorageThroughput": 250}
    config = parse_stack_config(eks)
    # 8 readers x 1024 MiB/s at 250 MB/s/TiB (572 MiB/s per 2400 GiB): 15 steps.
    assert fsx_capacity(config.models[0]) == 36000
