"""TpuNodePool under the mock engine: what a TPU node pool registers, how pods land on it, and what it refuses."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from mock_program import one, run

from pulumi_llmd.components import catalog
from pulumi_llmd.components.gcp import TpuNodePool
from pulumi_llmd.components.gcp.node_pool import GKE_NCCL_ENV
from pulumi_llmd.components.gcp.tpu import TPU_TAINT, tpu_machine_types
from pulumi_llmd.render.engine import ProgramRun

V6E_4T = catalog.machine("gcp", "ct6e-standard-4t")
V6E_8T = catalog.machine("gcp", "ct6e-standard-8t")
V5E_4T = catalog.machine("gcp", "ct5lp-hightpu-4t")
V5P_4T = catalog.machine("gcp", "ct5p-hightpu-4t")
A3 = catalog.machine("gcp", "a3-highgpu-8g")
NODE_POOL = "gcp:container/nodePool:NodePool"
V6E_REGIONS = "asia-northeast1, europe-west4, southamerica-west1, us-central1, us-east1, us-east5"
V6E_4T_TOPOLOGIES = "2x2, 2x4, 4x4, 4x8, 8x8, 8x16, 16x16"


def tpu_pool(**overrides: Any) -> TpuNodePool:
    args: dict[str, Any] = {
        "cluster": "c",
        "location": "us-central1",
        "project": "my-project",
        "shape": V6E_4T,
        "zone": "us-central1-b",
        "node_count": 1,
    }
    args.update(overrides)
    return TpuNodePool("tpu", **args)


def built(**overrides: Any) -> tuple[TpuNodePool, ProgramRun]:
    pools: list[TpuNodePool] = []
    result = run(lambda: pools.append(tpu_pool(**overrides)))
    assert result.error is None, repr(result.error)
    assert len(pools) == 1
    return pools[0], result


def node_pool_inputs(**overrides: Any) -> dict[str, Any]:
    return one(built(**overrides)[1], NODE_POOL).inputs


# --- what it registers ----------------------------------------------------------------------------------------------


def test_single_host_v6e_pool_is_a_plain_tpu_node_pool() -> None:
    component, result = built()
    assert (component.topology, component.hosts, component.chips) == ("2x2", 1, 4)  # the default: single-host
    parent = one(result, "llmd:gcp:TpuNodePool")
    pool = one(result, NODE_POOL)
    assert pool.parent == parent.urn
    inputs = pool.inputs
    assert inputs["name"] == "tpu"
    assert inputs["nodeLocations"] == ["us-central1-b"]
    assert inputs["location"] == "us-central1"
    assert inputs["nodeCount"] == 1
    assert "autoscaling" not in inputs
    assert "placementPolicy" not in inputs  # a single host needs no slice placement
    node = inputs["nodeConfig"]
    assert node["machineType"] == "ct6e-standard-4t"
    assert "guestAccelerators" not in node  # GKE derives the TPU chips from the machine type
    assert node["taints"] == [{"key": "google.com/tpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert node["labels"] == {"llm-d.ai/pool": "tpu", "llm-d.ai/accelerator": "tpu-v6e-slice"}
    assert node["gvnic"] == {"enabled": True}
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["imageType"] == "COS_CONTAINERD"
    assert node["diskSizeGb"] == 200
    assert node["spot"] is False
    assert "reservationAffinity" not in node
    assert "flexStart" not in node
    assert inputs["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_explicit_single_host_topology_is_the_default() -> None:
    assert node_pool_inputs(topology="2x2") == node_pool_inputs()


def test_multi_host_v6e_slice_has_compact_placement_and_one_slice_of_nodes() -> None:
    component, result = built(topology="4x4", node_count=4)
    assert (component.topology, component.hosts, component.chips) == ("4x4", 4, 16)
    inputs = one(result, NODE_POOL).inputs
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "4x4"}
    assert inputs["nodeCount"] == 4
    assert "autoscaling" not in inputs
    assert component.pool.max_nodes == 4
    assert component.pool.capacity == 16


def test_autoscaled_multi_host_slice_scales_between_zero_and_its_hosts() -> None:
    component, result = built(topology="4x4", node_count=None, min_nodes=0, max_nodes=4)
    inputs = one(result, NODE_POOL).inputs
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "4x4"}
    assert inputs["autoscaling"]["minNodeCount"] == 0
    assert inputs["autoscaling"]["maxNodeCount"] == 4
    assert "nodeCount" not in inputs
    assert "initialNodeCount" not in inputs
    assert component.pool.max_nodes == 4


def test_v6e_8_chip_host_of_the_llm_d_guide_is_single_host() -> None:
    # llm-d optimized-baseline tpu/v6: gke-tpu-topology 2x4, google.com/tpu 8, --tensor-parallel-size=8
    component, result = built(shape=V6E_8T)
    assert (component.topology, component.hosts, component.chips) == ("2x4", 1, 8)
    assert "placementPolicy" not in one(result, NODE_POOL).inputs
    assert component.pool.node_selector["cloud.google.com/gke-tpu-topology"] == "2x4"
    assert component.pool.devices_per_node == 8


@pytest.mark.parametrize(
    ("shape", "zone", "topology", "hosts", "label"),
    [
        (V5E_4T, "us-west4-a", "2x4", 2, "tpu-v5-lite-podslice"),
        (V5P_4T, "us-east5-a", "2x2x2", 2, "tpu-v5p-slice"),
    ],
    ids=["v5e-2x4", "v5p-2x2x2"],
)
def test_other_tpu_versions_form_multi_host_slices(
    shape: catalog.MachineShape, zone: str, topology: str, hosts: int, label: str
) -> None:
    region = zone.rsplit("-", 1)[0]
    component, result = built(shape=shape, location=region, zone=zone, topology=topology, node_count=hosts)
    inputs = one(result, NODE_POOL).inputs
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": topology}
    assert inputs["nodeCount"] == hosts
    assert inputs["nodeConfig"]["labels"]["llm-d.ai/accelerator"] == label
    assert component.pool.node_selector["cloud.google.com/gke-tpu-accelerator"] == label


def test_zonal_cluster_takes_nodes_in_its_own_zone() -> None:
    assert node_pool_inputs(location="us-central1-b")["nodeLocations"] == ["us-central1-b"]


def test_spot_tpu_pool_consumes_no_reservation() -> None:
    node = node_pool_inputs(provisioning="spot")["nodeConfig"]
    assert node["spot"] is True
    assert node["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}


def test_reservation_tpu_pool_consumes_the_named_reservation() -> None:
    node = node_pool_inputs(provisioning="reservation", reservation="v6e-res")["nodeConfig"]
    assert node["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["v6e-res"],
    }
    assert node["spot"] is False


def test_flex_start_multi_host_slice_scales_from_zero_without_auto_repair() -> None:
    inputs = node_pool_inputs(provisioning="flex-start", topology="4x4", node_count=None, min_nodes=0, max_nodes=4)
    assert inputs["nodeConfig"]["flexStart"] is True
    assert inputs["nodeConfig"]["spot"] is False
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert inputs["management"]["autoRepair"] is False
    assert inputs["autoscaling"]["minNodeCount"] == 0
    assert inputs["autoscaling"]["maxNodeCount"] == 4
    assert "queuedProvisioning" not in inputs


# --- how pods land on it --------------------------------------------------------------------------------------------


def test_tpu_pool_tells_pods_how_to_land_on_it() -> None:
    component, result = built(node_count=None, min_nodes=1, max_nodes=3)
    pool = component.pool
    assert dict(pool.node_selector) == {
        "cloud.google.com/gke-nodepool": "tpu",
        "cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
        "cloud.google.com/gke-tpu-topology": "2x2",
    }
    assert pool.tolerations == (TPU_TAINT,)
    assert pool.pod_placement()["tolerations"] == [
        {"key": "google.com/tpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert (pool.resource_name, pool.devices_per_node, pool.max_nodes, pool.capacity) == ("google.com/tpu", 4, 3, 12)
    # no GPU settings leak onto TPU pods; the guide sets no pool-wide TPU variable
    assert dict(pool.model_server_env) == {}
    assert not set(pool.model_server_env) & set(GKE_NCCL_ENV)
    assert pool.rdma is None
    # the toleration matches the taint on the nodes
    taint = one(result, NODE_POOL).inputs["nodeConfig"]["taints"][0]
    assert (taint["key"], taint["value"]) == (TPU_TAINT.key, TPU_TAINT.value)


def test_tpu_machine_types_lists_only_tpus() -> None:
    types = tpu_machine_types()
    assert "ct6e-standard-4t" in types and "ct5p-hightpu-4t" in types and "ct5lp-hightpu-8t" in types
    assert all(catalog.machine("gcp", t).tpu is not None for t in types)
    assert "a3-highgpu-8g" not in types


# --- what it refuses ------------------------------------------------------------------------------------------------

#: A GCP TPU shape whose listed topology is not a whole number of hosts (the catalog itself has none).
_BROKEN = dataclasses.replace(
    V6E_4T,
    machine_type="ct6e-broken-4t",
    tpu=dataclasses.replace(V6E_4T.tpu, topologies=("1x2",)) if V6E_4T.tpu else None,
)
_MULTI_HOST = "a 4x4 slice of ct6e-standard-4t is 4 hosts (16 chips / 4 chips per host)"


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (
            {"shape": A3},
            ("shape = 'a3-highgpu-8g'", "not a GKE TPU machine type", "ct6e-standard-4t", "ct5p-hightpu-4t"),
        ),
        (
            {"topology": "3x3"},
            ("topology = '3x3': 9 chips, not a topology", "ct6e-standard-4t (4 chips per host)", V6E_4T_TOPOLOGIES),
        ),
        (
            {"shape": V6E_8T, "topology": "2x2"},
            (
                "topology = '2x2': 4 chips, not a topology",
                "ct6e-standard-8t (8 chips per host)",
                "allowed on ct6e-standard-8t: 2x4",
            ),
        ),
        ({"topology": "2x2x1"}, ("topology = '2x2x1': 4 chips", V6E_4T_TOPOLOGIES)),
        ({"topology": "big"}, ("topology = 'big'", "malformed", V6E_4T_TOPOLOGIES)),
        (
            {"shape": _BROKEN, "topology": "1x2"},
            (
                "topology = '1x2': 2 chips, not a whole number",
                "hosts of 4 chips each",
                "allowed on ct6e-broken-4t: 1x2",
            ),
        ),
        (
            {"location": "us-west2", "zone": "us-west2-a"},
            ("zone = 'us-west2-a'", "region us-west2", "tpu-v6e-slice", f"allowed regions: {V6E_REGIONS}"),
        ),
        (
            {"shape": V5P_4T, "location": "us-east1", "zone": "us-east1-b"},
            ("zone = 'us-east1-b'", "tpu-v5p-slice", "allowed regions: europe-west4, us-central1, us-east5"),
        ),
        ({"zone": "central"}, ("zone = 'central'", "not a zone name", "e.g. 'us-central1-b'")),
        ({"zone": "us-east5-b"}, ("zone = 'us-east5-b'", "outside the cluster location 'us-central1'", "us-central1-")),
        (
            {"location": "us-central1-a"},
            ("zone = 'us-central1-b'", "zonal cluster location 'us-central1-a'", "allowed: us-central1-a"),
        ),
        ({"topology": "4x4", "node_count": 2}, ("node_count = 2", _MULTI_HOST, "allowed: node_count = 4")),
        ({"topology": "4x4", "node_count": 8}, ("node_count = 8", _MULTI_HOST, "allowed: node_count = 4")),
        (
            {"topology": "4x4", "node_count": None, "min_nodes": 0, "max_nodes": 8},
            ("max_nodes = 8", _MULTI_HOST, "allowed: max_nodes = 4"),
        ),
        (
            {"topology": "4x4", "node_count": None, "min_nodes": 4, "max_nodes": 4},
            ("min_nodes = 4", "between 0 and 4", "allowed: min_nodes = 0", "node_count = 4"),
        ),
        (
            {"topology": "4x4", "node_count": None},
            ("node_count = None", _MULTI_HOST, "allowed: node_count = 4, or min_nodes = 0, max_nodes = 4"),
        ),
        ({"node_count": None}, ("node_count = None", "min_nodes/max_nodes")),
        (
            {"node_count": None, "min_nodes": 3, "max_nodes": 1},
            ("min_nodes = 3: more than max_nodes = 1", "0 <= min_nodes <= max_nodes"),
        ),
        ({"provisioning": "preemptible"}, ("provisioning = 'preemptible'", "on-demand, spot, reservation, flex-start")),
        ({"provisioning": "reservation"}, ("reservation: required", "'reservation'")),
        ({"reservation": "v6e-res"}, ("reservation = 'v6e-res'", "only allowed with provisioning 'reservation'")),
        (
            {"provisioning": "flex-start"},
            ("provisioning 'flex-start'", "autoscaling", "min_nodes = 0 and max_nodes = N"),
        ),
        ({"boot_disk_size_gb": 5}, ("boot_disk_size_gb = 5", ">= 10")),
    ],
    ids=[
        "gpu-shape",
        "unlisted-topology",
        "topology-too-small-for-host",
        "v5p-topology-on-v6e",
        "malformed-topology",
        "chips-not-whole-hosts",
        "region-without-v6e",
        "region-without-v5p",
        "malformed-zone",
        "zone-outside-region",
        "zone-outside-zonal-cluster",
        "slice-too-few-nodes",
        "slice-too-many-nodes",
        "slice-max-not-hosts",
        "slice-min-hosts",
        "slice-no-size",
        "no-size",
        "min-above-max",
        "provisioning",
        "reservation-without-name",
        "name-without-reservation",
        "flex-fixed",
        "boot-disk",
    ],
)
def test_tpu_pool_refuses_bad_inputs_before_registering(overrides: dict[str, Any], fragments: tuple[str, ...]) -> None:
    result = run(lambda: tpu_pool(**overrides))
    assert isinstance(result.error, ValueError), repr(result.error)
    assert result.resources == []  # validated before the component or its node pool registered
    message = str(result.error)
    assert message.startswith("TpuNodePool: ")
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_every_problem_is_reported_at_once() -> None:
    result = run(lambda: tpu_pool(topology="3x3", zone="us-west2-a", location="us-west2", provisioning="x"))
    assert isinstance(result.error, ValueError)
    message = str(result.error)
    assert "topology = '3x3'" in message and "zone = 'us-west2-a'" in message and "provisioning = 'x'" in message
    assert result.resources == []
