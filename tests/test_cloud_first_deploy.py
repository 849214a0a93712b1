"""First-deploy cloud side: project APIs, Workload Identity ordering, local SSD ephemeral storage, consumption
options (flex-start default, on-demand rejected on A3 Ultra / A4), the gIB installer pin and node allocatable."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.aws.node_group import LOCAL_STORAGE_NODECONFIG, local_storage_user_data
from pulumi_llmd.components.gcp.rdma import gib_installer_manifest, gke_gpu_initiated_rdma_env
from pulumi_llmd.components.gcp.services import GKE_STACK_SERVICES
from pulumi_llmd.render.render import render_stack

ROOT = Path(__file__).resolve().parents[1]


def _stack_config(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")}


def _resources(stack: str) -> list[dict[str, Any]]:
    return render_stack(stack, project_dir=ROOT, kar_version=None, twin=False).resources


@pytest.fixture(scope="module")
def h200_resources() -> list[dict[str, Any]]:
    return _resources("gke-h200-pd-disaggregation")


def _by_type(resources: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_]


def test_project_apis_enabled_and_kept_on_destroy(h200_resources: list[dict[str, Any]]) -> None:
    services = _by_type(h200_resources, "gcp:projects/service:Service")
    names = {s["inputs"]["service"] for s in services}
    assert {"compute.googleapis.com", "container.googleapis.com", "networkservices.googleapis.com"} <= names
    assert names == set(GKE_STACK_SERVICES)
    assert all(s["inputs"]["disableOnDestroy"] is False for s in services)


def test_every_gcp_resource_waits_for_the_apis(h200_resources: list[dict[str, Any]]) -> None:
    api_urns = {s["urn"] for s in _by_type(h200_resources, "gcp:projects/service:Service")}
    (cluster,) = _by_type(h200_resources, "gcp:container/cluster:Cluster")
    assert api_urns <= set(cluster["dependencies"])
    for r in h200_resources:
        if r["type"].startswith(("gcp:compute/", "gcp:container/")):
            assert api_urns & set(r["dependencies"]), r["urn"]


def test_workload_identity_member_waits_for_the_cluster(h200_resources: list[dict[str, Any]]) -> None:
    # The metrics adapter's and (KEDA scales the DisaggregatedSet's roles) KEDA operator's Workload Identity members.
    members = [
        m
        for m in _by_type(h200_resources, "gcp:projects/iAMMember:IAMMember")
        if m["inputs"]["role"] != "roles/container.defaultNodeServiceAccount"  # the node account's own binding
    ]
    assert members
    by_urn = {r["urn"]: r for r in h200_resources}
    for member in members:
        deps = set(member["dependencies"])
        # directly or through the system pool, which needs the cluster
        reached = deps | {d for u in deps for d in by_urn[u]["dependencies"]}
        assert any(by_urn[u]["type"] == "gcp:container/cluster:Cluster" for u in reached), member["name"]


def test_a3_ultra_pool_is_flex_start_on_local_ssd(h200_resources: list[dict[str, Any]]) -> None:
    (pool,) = [p for p in _by_type(h200_resources, "gcp:container/nodePool:NodePool") if p["name"] == "h200"]
    node = pool["inputs"]["nodeConfig"]
    assert node["ephemeralStorageLocalSsdConfig"] == {"localSsdCount": 32}
    assert node["flexStart"] is True and node["spot"] is False
    assert node["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool["inputs"]["management"]["autoRepair"] is False
    assert pool["inputs"]["autoscaling"]["locationPolicy"] == "ANY"
    assert pool["inputs"]["autoscaling"]["minNodeCount"] == 0


def test_a3_high_pool_keeps_on_demand_and_uses_its_16_local_ssds() -> None:
    resources = _resources("gke-h100-optimized-baseline")
    (pool,) = [r for r in resources if r["type"] == "gcp:container/nodePool:NodePool" and r["name"] != "llm-d-system"]
    assert pool["inputs"]["nodeConfig"]["ephemeralStorageLocalSsdConfig"] == {"localSsdCount": 16}
    assert not pool["inputs"]["nodeConfig"].get("flexStart")


def _pool_of(stack: str, **changes: Any) -> dict[str, Any]:
    data = _stack_config(stack)
    pool = dict(data["pools"][0])
    for key, value in changes.items():
        if value is None:
            pool.pop(key, None)
        else:
            pool[key] = value
    data["pools"] = [pool]
    return data


def test_flex_start_is_the_default_on_a3_ultra() -> None:
    config = parse_stack_config(_pool_of("gke-h200-pd-disaggregation", provisioning=None))
    assert config.provisioning_of(config.pools[0]) == "flex-start"
    h100 = parse_stack_config(_pool_of("gke-h100-optimized-baseline", provisioning=None))
    assert h100.provisioning_of(h100.pools[0]) == "on-demand"


@pytest.mark.parametrize("stack", ["gke-h200-pd-disaggregation", "gke-b200-wide-ep"])
def test_on_demand_is_rejected_where_the_cloud_does_not_offer_it(stack: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_stack_config(_pool_of(stack, provisioning="on-demand"))
    text = str(err.value)
    assert "llmd:pools[0].provisioning = 'on-demand'" in text
    assert "not offered on-demand" in text and "allowed: spot, reservation, flex-start" in text


def test_default_flex_start_without_autoscaling_is_explained() -> None:
    data = _pool_of("gke-h200-pd-disaggregation", provisioning=None, autoscaling=None, nodeCount=4)
    with pytest.raises(ConfigError) as err:
        parse_stack_config(data)
    assert "llmd:pools[0].autoscaling" in str(err.value) and "defaults to flex-start" in str(err.value)


def test_gib_installer_is_current() -> None:
    assert versions.DEFAULT_RELEASE.gib_nccl_plugin.ref.endswith("/nccl-plugin-gib:v1.1.1")
    manifest = gib_installer_manifest()
    (init,) = manifest["spec"]["template"]["spec"]["initContainers"]
    assert init["image"] == versions.DEFAULT_RELEASE.gib_nccl_plugin.ref
    assert init["args"][0].splitlines()[1] == "/scripts/container_entry.sh install --install-nccl"


def test_gke_gpu_initiated_rdma_env() -> None:
    env = gke_gpu_initiated_rdma_env(8)
    assert env["NVSHMEM_DISABLED_GDRCOPY"] == "true"
    assert env["DEEP_EP_DEVICE_TO_HCA_MAPPING"].split(",")[7] == "7:mlx5_7:1"


def test_catalog_local_ssd_and_consumption() -> None:
    ultra = catalog.machine("gcp", "a3-ultragpu-8g")
    assert (ultra.local_ssd_count, ultra.local_ssd_gib) == (32, 12000)
    assert "on-demand" not in ultra.consumption and catalog.default_consumption(ultra) == "flex-start"
    assert catalog.machine("gcp", "g2-standard-24").local_ssd_count == 0
    p5 = catalog.machine("aws", "p5.48xlarge")
    assert p5.local_ssd_count == 8 and p5.consumption == {"on-demand", "spot", "capacity-block"}


def test_node_allocatable_numbers() -> None:
    h100 = catalog.node_allocatable(
        catalog.machine("gcp", "a3-highgpu-8g"), boot_disk_gib=200, ephemeral_on_local_ssd=True
    )
    # 208 vCPUs: 60 + 10 + 10 + 204 x 2.5 = 590 m reserved; 1,872 GiB: 44.2 GiB reserved + 100 MiB eviction
    assert h100.cpu_millicores == 208_000 - 590
    assert h100.memory_mib == 1872 * 1024 - 45_261 - 100
    assert h100.ephemeral_storage_gib == 6000 - 100 - 600
    assert dict(h100.extended) == {"nvidia.com/gpu": 8}
    boot = catalog.node_allocatable(
        catalog.machine("gcp", "g2-standard-24"), boot_disk_gib=200, ephemeral_on_local_ssd=True
    )
    assert boot.ephemeral_storage_gib == 200 - 76 - 20  # min(100, 6 + 70, 100) reserved, 10% eviction
    p5 = catalog.node_allocatable(
        catalog.machine("aws", "p5.48xlarge"), boot_disk_gib=500, ephemeral_on_local_ssd=False
    )
    assert dict(p5.extended) == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}
    assert p5.ephemeral_storage_gib == 500 - 1 - 50


def test_eks_instance_store_raid0_user_data() -> None:
    decoded = base64.b64decode(local_storage_user_data()).decode()
    assert decoded == LOCAL_STORAGE_NODECONFIG
    assert "Content-Type: application/node.eks.aws" in decoded and "strategy: RAID0" in decoded


def test_gke_rdma_pods_zero_the_legacy_rdma_resources_gke_warden_would_inject() -> None:
    """A3 Ultra / A4 nodes advertise only ``networking.gke.io.networks/rdma-X.IP``; upstream's GKE overlay requests
    the non-``.IP`` ones as 0 so the pods stay schedulable."""
    import yaml

    repo = __import__("pathlib").Path(__file__).resolve().parent.parent
    docs = list(yaml.safe_load_all((repo / "goldens" / "gke-b200-wide-ep" / "manifests.yaml").read_text()))
    # wide-EP is one DisaggregatedSet (llm-d v0.10.0): each role's LeaderWorkerSet template carries the pods.
    templates = [
        role["spec"]["leaderWorkerTemplate"]
        for d in docs
        if d and d.get("kind") == "DisaggregatedSet"
        for role in d["spec"]["roles"]
    ]
    assert len(templates) == 2
    for template in templates:
        container = template["workerTemplate"]["spec"]["containers"][0]
        for part in ("requests", "limits"):
            zeroed = {k: v for k, v in container["resources"][part].items() if k.startswith("networking.gke.io")}
            assert zeroed == {f"networking.gke.io.networks/rdma-{i}": 0 for i in range(8)}
