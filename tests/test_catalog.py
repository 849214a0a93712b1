"""Facts users rely on from the accelerator / machine-shape catalog, and the catalog's own invariants."""

from __future__ import annotations

import pytest

from pulumi_llmd.components import catalog
from pulumi_llmd.components.catalog import (
    ACCELERATORS,
    MACHINES,
    AcceleratorKind,
    CatalogError,
    Cloud,
    RdmaKind,
)

GCP, AWS = Cloud.GCP, Cloud.AWS


# --- headline facts ---------------------------------------------------------------------------------------


def test_a3_highgpu_8g_is_eight_h100_80gb_over_tcpx() -> None:
    shape = catalog.machine(GCP, "a3-highgpu-8g")
    assert shape.accelerator.name == "nvidia-h100-80gb"
    assert shape.accelerator.memory_gib == 80
    assert shape.accelerator_count == 8
    assert shape.accelerator.resource_name == "nvidia.com/gpu"
    assert shape.total_accelerator_memory_gib == 640
    assert (shape.rdma, shape.rdma_nics, shape.mtu) == (RdmaKind.GPUDIRECT_TCPX, 4, 8244)
    assert (shape.vcpus, shape.memory_gib) == (208, 1872)


def test_a3_megagpu_8g_is_tcpxo_with_eight_gpu_nics() -> None:
    shape = catalog.machine("gcp", "a3-megagpu-8g")
    assert shape.accelerator.name == "nvidia-h100-mega-80gb"
    assert (shape.rdma, shape.rdma_nics) == (RdmaKind.GPUDIRECT_TCPXO, 8)


@pytest.mark.parametrize(
    ("machine_type", "accelerator_name"),
    [("a3-ultragpu-8g", "nvidia-h200-141gb"), ("a4-highgpu-8g", "nvidia-b200")],
)
def test_a3_ultra_and_a4_are_roce_with_eight_rdma_nics(machine_type: str, accelerator_name: str) -> None:
    shape = catalog.machine(GCP, machine_type)
    assert shape.accelerator.name == accelerator_name
    assert shape.accelerator_count == 8
    assert shape.rdma is RdmaKind.ROCE
    assert shape.rdma_nics == 8
    assert shape.mtu == 8896
    assert shape.network_cards == 10  # 8 CX-7 RDMA NICs + 2 gVNICs
    assert shape.efa_interfaces == 0


@pytest.mark.parametrize(
    ("machine_type", "count"),
    [
        ("g2-standard-4", 1),
        ("g2-standard-8", 1),
        ("g2-standard-12", 1),
        ("g2-standard-16", 1),
        ("g2-standard-32", 1),
        ("g2-standard-24", 2),
        ("g2-standard-48", 4),
        ("g2-standard-96", 8),
    ],
)
def test_g2_l4_counts(machine_type: str, count: int) -> None:
    shape = catalog.machine(GCP, machine_type)
    assert shape.accelerator.name == "nvidia-l4"
    assert shape.accelerator_count == count
    assert shape.rdma is RdmaKind.NONE


@pytest.mark.parametrize(
    ("instance_type", "efa", "cards"),
    [("p4d.24xlarge", 4, 4), ("p5.48xlarge", 32, 32), ("p5e.48xlarge", 32, 32), ("p5en.48xlarge", 16, 16)],
)
def test_eks_p_instances_efa(instance_type: str, efa: int, cards: int) -> None:
    shape = catalog.machine(AWS, instance_type)
    assert shape.accelerator_count == 8
    assert shape.rdma is RdmaKind.EFA
    assert shape.efa_interfaces == efa
    assert shape.network_cards == cards


def test_p5_48xlarge_is_eight_h100_with_32_efa() -> None:
    shape = catalog.machine(AWS, "p5.48xlarge")
    assert shape.accelerator.name == "nvidia-h100-80gb"
    assert shape.efa_interfaces == 32
    assert shape.accelerator.resource_name == "nvidia.com/gpu"


def test_g6e_efa_only_from_8xlarge() -> None:
    assert catalog.machine(AWS, "g6e.xlarge").rdma is RdmaKind.NONE
    assert catalog.machine(AWS, "g6e.4xlarge").efa_interfaces == 0
    assert catalog.machine(AWS, "g6e.8xlarge").rdma is RdmaKind.EFA
    assert catalog.machine(AWS, "g6e.48xlarge").efa_interfaces == 4
    assert catalog.machine(AWS, "g6e.48xlarge").accelerator_count == 8
    assert {s.accelerator.name for s in catalog.machines(AWS) if s.machine_type.startswith("g6e.")} == {"nvidia-l40s"}


def test_tpu_v6e_shapes() -> None:
    four = catalog.machine(GCP, "ct6e-standard-4t")
    assert four.accelerator.kind is AcceleratorKind.TPU
    assert four.accelerator.resource_name == "google.com/tpu"
    assert four.tpu is not None
    assert four.tpu.accelerator_label == "tpu-v6e-slice"
    assert four.tpu.chips_per_host == 4
    assert four.tpu.topologies == ("2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16")
    eight = catalog.machine(GCP, "ct6e-standard-8t")
    assert eight.tpu is not None and eight.tpu.topologies == ("2x4",)
    one = catalog.machine(GCP, "ct6e-standard-1t")
    assert one.tpu is not None and one.tpu.topologies == ("1x1",)


@pytest.mark.parametrize(
    ("prefix", "label"),
    [("ct5lp-", "tpu-v5-lite-podslice"), ("ct5p-", "tpu-v5p-slice"), ("ct6e-", "tpu-v6e-slice")],
)
def test_tpu_accelerator_labels(prefix: str, label: str) -> None:
    shapes = [s for s in catalog.machines(GCP) if s.machine_type.startswith(prefix)]
    assert len(shapes) == 3
    for shape in shapes:
        assert shape.tpu is not None
        assert shape.tpu.accelerator_label == label
        # the chip count is the -Nt suffix of the machine type
        assert shape.tpu.chips_per_host == int(shape.machine_type.rsplit("-", 1)[1].removesuffix("t"))


# --- lookups and errors -----------------------------------------------------------------------------------


def test_unknown_machine_type_error_names_cloud_value_and_allowed() -> None:
    with pytest.raises(CatalogError) as err:
        catalog.machine(GCP, "a9-bogus-8g")
    message = str(err.value)
    assert "'a9-bogus-8g'" in message
    assert "gcp" in message
    assert "a3-highgpu-8g" in message and "g2-standard-24" in message
    assert "p5.48xlarge" not in message  # only the machine types of that cloud


def test_machine_type_is_per_cloud() -> None:
    with pytest.raises(CatalogError, match="on aws"):
        catalog.machine(AWS, "a3-highgpu-8g")


def test_unknown_cloud() -> None:
    with pytest.raises(CatalogError, match=r"unknown cloud 'azure'; known: gcp, aws"):
        catalog.machines("azure")
    assert catalog.machines("GCP") == catalog.machines(GCP)


def test_machines_sorted_and_complete() -> None:
    for cloud in Cloud:
        names = [s.machine_type for s in catalog.machines(cloud)]
        assert names == sorted(names)
        assert set(names) == {mt for (c, mt) in MACHINES if c is cloud}


@pytest.mark.parametrize(
    ("cloud", "name", "count", "expected"),
    [
        (GCP, "nvidia-h100-80gb", None, "a3-highgpu-8g"),
        (GCP, "nvidia-h100-mega-80gb", None, "a3-megagpu-8g"),
        (GCP, "nvidia-h200-141gb", None, "a3-ultragpu-8g"),
        (GCP, "nvidia-b200", 8, "a4-highgpu-8g"),
        (GCP, "nvidia-l4", 2, "g2-standard-24"),
        (GCP, "nvidia-l4", 4, "g2-standard-48"),
        (GCP, "nvidia-l4", None, "g2-standard-4"),
        (GCP, "tpu-v6e-slice", 4, "ct6e-standard-4t"),
        (AWS, "nvidia-h100-80gb", None, "p5.48xlarge"),
        (AWS, "nvidia-h200-141gb", None, "p5en.48xlarge"),
        (AWS, "nvidia-l40s", 4, "g6e.12xlarge"),
        (AWS, "nvidia-l40s", 8, "g6e.48xlarge"),
        ("aws", "nvidia-h100", 8, "p5.48xlarge"),  # alias
    ],
)
def test_machine_for_accelerator_defaults(cloud: Cloud | str, name: str, count: int | None, expected: str) -> None:
    assert catalog.machine_for_accelerator(cloud, name, count).machine_type == expected


def test_accelerator_not_offered_on_cloud() -> None:
    with pytest.raises(CatalogError) as err:
        catalog.machine_for_accelerator(AWS, "nvidia-b200")
    message = str(err.value)
    assert message.startswith("accelerator 'nvidia-b200' is not offered on aws")
    assert "aws offers: " in message
    for offered in ("nvidia-h100-80gb", "nvidia-h200-141gb", "nvidia-l40s"):
        assert offered in message
    assert "offered on gcp" in message


def test_accelerator_count_not_offered() -> None:
    with pytest.raises(CatalogError, match=r"3 x nvidia-l4 .*counts offered: 1, 2, 4, 8"):
        catalog.machine_for_accelerator(GCP, "nvidia-l4", 3)


def test_accelerator_lookup() -> None:
    assert catalog.accelerator("nvidia-h200").name == "nvidia-h200-141gb"
    with pytest.raises(CatalogError, match=r"unknown accelerator 'nvidia-x1'; known: .*nvidia-l4"):
        catalog.accelerator("nvidia-x1")


def test_clouds_offering() -> None:
    assert catalog.clouds_offering("nvidia-h100-80gb") == [GCP, AWS]
    assert catalog.clouds_offering("nvidia-h200-141gb") == [GCP, AWS]
    assert catalog.clouds_offering("nvidia-b200") == [GCP]
    assert catalog.clouds_offering("nvidia-l40s") == [AWS]
    with pytest.raises(CatalogError):
        catalog.clouds_offering("nvidia-x1")


def test_tpu_chips() -> None:
    assert catalog.tpu_chips("4x4") == 16
    assert catalog.tpu_chips("1x1") == 1
    assert catalog.tpu_chips("2x2x1") == 4
    assert catalog.tpu_chips("16x16x24") == 6144


@pytest.mark.parametrize("bad", ["", "4", "4x", "x4", "0x4", "2X4", "2x2x2x2", " 2x2", "2x-2", "axb"])
def test_malformed_topology(bad: str) -> None:
    with pytest.raises(CatalogError, match="malformed TPU topology"):
        catalog.tpu_chips(bad)


def test_tpu_hosts() -> None:
    four = catalog.machine(GCP, "ct6e-standard-4t")
    assert catalog.tpu_hosts(four, "2x2") == 1
    assert catalog.tpu_hosts(four, "4x4") == 4
    assert catalog.tpu_hosts(four, "16x16") == 64
    assert catalog.tpu_hosts(catalog.machine(GCP, "ct6e-standard-8t"), "2x4") == 1
    assert catalog.tpu_hosts(catalog.machine(GCP, "ct5p-hightpu-4t"), "4x4x4") == 16
    with pytest.raises(CatalogError, match=r"'1x1' is not supported by ct6e-standard-4t on gcp; supported: 2x2"):
        catalog.tpu_hosts(four, "1x1")
    with pytest.raises(CatalogError, match="not a TPU machine type"):
        catalog.tpu_hosts(catalog.machine(GCP, "a3-highgpu-8g"), "2x2")


# --- invariants of every entry ----------------------------------------------------------------------------


def test_every_entry_has_a_source() -> None:
    for acc in ACCELERATORS.values():
        assert acc.source.strip(), acc.name
    for shape in MACHINES.values():
        assert shape.source.strip(), shape.machine_type
        if shape.tpu is not None:
            assert shape.tpu.source.strip(), shape.machine_type


def test_every_machine_is_consistent() -> None:
    for (cloud, machine_type), shape in MACHINES.items():
        assert (shape.cloud, shape.machine_type) == (cloud, machine_type)
        assert ACCELERATORS[shape.accelerator.name] is shape.accelerator
        assert shape.accelerator_count >= 1 and shape.vcpus >= 1 and shape.memory_gib >= 1
        if cloud is GCP:
            assert shape.efa_interfaces == 0
        if shape.rdma is RdmaKind.EFA:
            assert shape.efa_interfaces == shape.rdma_nics <= shape.network_cards


def test_every_tpu_topology_fits_its_hosts() -> None:
    tpu_shapes = [s for s in MACHINES.values() if s.tpu is not None]
    assert tpu_shapes
    single_host_chips = {s.tpu.chips_per_host for s in tpu_shapes if s.tpu is not None}
    for shape in tpu_shapes:
        assert shape.tpu is not None
        assert shape.tpu.topologies and shape.tpu.regions
        assert shape.tpu.chips_per_host == shape.accelerator_count
        for topology in shape.tpu.topologies:
            chips = catalog.tpu_chips(topology)
            assert chips % shape.tpu.chips_per_host == 0 or chips in single_host_chips, (shape, topology)
            assert catalog.tpu_hosts(shape, topology) * shape.tpu.chips_per_host >= chips


def test_aliases_point_at_known_accelerators() -> None:
    for alias, name in catalog.ACCELERATOR_ALIASES.items():
        assert name in ACCELERATORS, alias
        assert alias not in ACCELERATORS, alias


def test_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        MACHINES[(GCP, "x")] = catalog.machine(GCP, "a3-highgpu-8g")  # type: ignore[index]
