"""GPUDirect-RDMA over RoCE on GKE (A3 Ultra / A4): the fabric's VPCs, the node pool's extra networks, the cluster's
multi-networking, the multi-networking objects, the pod attachment and the gIB installer, under the mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from mock_program import assert_schema_valid, of_type, one, refused, run

from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.gcp import (
    GibNcclInstaller,
    GkeCluster,
    GkeNetwork,
    GkeNetworkObjects,
    GkeRdmaFabric,
    GpuNodePool,
)
from pulumi_llmd.components.gcp.rdma import gib_installer_manifest, gke_gpu_initiated_rdma_env, network_manifests
from pulumi_llmd.policies import practices
from pulumi_llmd.policies.model import Enforcement, Resource
from pulumi_llmd.render.engine import ProgramRun
from pulumi_llmd.render.render import normalize
from pulumi_llmd.render.validation import SchemaValidator

A3_ULTRA = catalog.machine("gcp", "a3-ultragpu-8g")
A4 = catalog.machine("gcp", "a4-highgpu-8g")
RDMA_NAMES = tuple(f"rdma-{i}" for i in range(8))


def fabric(shape: catalog.MachineShape = A3_ULTRA, **overrides: Any) -> GkeRdmaFabric:
    args: dict[str, Any] = {"project": "my-project", "region": "us-central1", "zone": "us-central1-b", "shape": shape}
    args.update(overrides)
    return GkeRdmaFabric("fab", **args)


def fabric_run(shape: catalog.MachineShape = A3_ULTRA, **overrides: Any) -> tuple[ProgramRun, GkeRdmaFabric]:
    built: list[GkeRdmaFabric] = []
    result = run(lambda: built.append(fabric(shape, **overrides)))
    assert result.error is None, repr(result.error)
    return result, built[0]


def manifests(run_: ProgramRun) -> list[dict[str, Any]]:
    return [normalize(r.inputs) for r in run_.resources if r.type.startswith("kubernetes:") and "kind" in r.inputs]


# --- the cloud side -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [A3_ULTRA, A4], ids=["a3-ultragpu-8g", "a4-highgpu-8g"])
def test_fabric_registers_a_gvnic_vpc_and_a_roce_vpc_with_8_subnets(shape: catalog.MachineShape) -> None:
    result, _ = fabric_run(shape)
    networks = {r.name: r.inputs for r in of_type(result, "gcp:compute/network:Network")}
    assert sorted(networks) == ["fab-gvnic-net", "fab-rdma-net"]
    rdma = networks["fab-rdma-net"]
    assert rdma["networkProfile"] == "projects/my-project/global/networkProfiles/us-central1-b-vpc-roce"
    assert rdma["mtu"] == 8896
    assert rdma["autoCreateSubnetworks"] is False
    gvnic = networks["fab-gvnic-net"]
    assert gvnic["mtu"] == 8896
    assert gvnic["autoCreateSubnetworks"] is False
    assert "networkProfile" not in gvnic

    subnets = {r.name: r.inputs for r in of_type(result, "gcp:compute/subnetwork:Subnetwork")}
    rdma_subnets = [subnets[f"fab-rdma-sub-{i}"] for i in range(8)]
    assert len(subnets) == 9
    assert [s["ipCidrRange"] for s in rdma_subnets] == [f"192.168.{64 + 8 * i}.0/21" for i in range(8)]
    assert {s["region"] for s in subnets.values()} == {"us-central1"}
    assert {s["network"] for s in rdma_subnets} == {"fab-rdma-net-id"}
    assert subnets["fab-gvnic-sub"]["network"] == "fab-gvnic-net-id"
    assert subnets["fab-gvnic-sub"]["ipCidrRange"] == "192.168.0.0/24"

    firewall = one(result, "gcp:compute/firewall:Firewall", "fab-gvnic-internal").inputs
    assert firewall["network"] == "fab-gvnic-net-id"
    assert firewall["sourceRanges"] == ["192.168.0.0/24"]
    assert [a["protocol"] for a in firewall["allows"]] == ["tcp", "udp", "icmp"]

    component = one(result, "llmd:gcp:RdmaFabric", "fab")
    children = [r for r in result.resources if r.type.startswith("gcp:")]
    assert len(children) == 12  # 2 VPCs + 9 subnets + 1 firewall
    assert {r.parent for r in children} == {component.urn}


def test_custom_rdma_range_is_split_into_eight_equal_subnets() -> None:
    result, built = fabric_run(gvnic_cidr="10.200.0.0/24", rdma_cidr="10.128.0.0/13")
    cidrs = [
        one(result, "gcp:compute/subnetwork:Subnetwork", f"fab-rdma-sub-{i}").inputs["ipCidrRange"] for i in range(8)
    ]
    assert cidrs == [f"10.{128 + i}.0.0/16" for i in range(8)]
    assert [n.cidr for n in built.networks] == ["10.200.0.0/24", *cidrs]


def test_network_names_and_node_network_configs_are_gvnic_first_then_rdma_in_order() -> None:
    _, built = fabric_run()
    assert built.network_names == ("gvnic-1", *RDMA_NAMES)
    assert [n.interface for n in built.networks] == [f"eth{i}" for i in range(1, 10)]
    assert [n.device_mode for n in built.networks] == ["NetDevice"] + ["RDMA"] * 8
    configs = built.additional_node_network_configs()
    assert len(configs) == 9


def test_attachment_annotations_map_eth2_to_eth9_onto_rdma_0_to_7() -> None:
    _, built = fabric_run()
    attachment = built.attachment()
    assert attachment == built.attachment()  # deterministic
    assert attachment.fabric is RdmaKind.ROCE
    assert attachment.nics_per_node == 8
    assert attachment.whole_node is True
    assert attachment.resource_name is None and attachment.dra is None
    assert dict(attachment.env) == {"UCX_IB_ROCE_REACHABILITY_MODE": "all", **gke_gpu_initiated_rdma_env(8)}
    assert attachment.nixl_backends == ("UCX",)
    assert attachment.annotations["networking.gke.io/default-interface"] == "eth0"
    text = attachment.annotations["networking.gke.io/interfaces"]
    assert " " not in text  # compact JSON
    interfaces = json.loads(text)
    assert interfaces[:2] == [
        {"interfaceName": "eth0", "network": "default"},
        {"interfaceName": "eth1", "network": "gvnic-1"},
    ]
    assert {i["interfaceName"]: i["network"] for i in interfaces[2:]} == {f"eth{n + 2}": f"rdma-{n}" for n in range(8)}
    assert len(interfaces) == 10


@pytest.mark.parametrize(
    ("machine_type", "fragments"),
    [
        ("a3-highgpu-8g", ("shape", "'a3-highgpu-8g'", "GPUDirect-TCPX (A3 High) / TCPXO (A3 Mega)", "not supported")),
        ("a3-megagpu-8g", ("shape", "'a3-megagpu-8g'", "not supported yet", "a3-ultragpu-8g or a4-highgpu-8g")),
        ("g2-standard-8", ("shape", "'g2-standard-8'", "no GKE RoCE fabric", "a3-ultragpu-8g")),
    ],
    ids=["tcpx", "tcpxo", "no-fabric"],
)
def test_fabric_refuses_shapes_without_roce(machine_type: str, fragments: tuple[str, ...]) -> None:
    refused(run(lambda: fabric(catalog.machine("gcp", machine_type))), "GkeRdmaFabric", *fragments)


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"gvnic_cidr": "192.168.0.0/33"}, ("gvnic_cidr", "'192.168.0.0/33'", "not an IPv4 CIDR")),
        ({"gvnic_cidr": "192.168.0.1/24"}, ("gvnic_cidr", "'192.168.0.1/24'")),
        ({"rdma_cidr": "fd00::/48"}, ("rdma_cidr", "'fd00::/48'", "IPv4")),
        ({"rdma_cidr": "192.168.64.0/27"}, ("rdma_cidr", "'192.168.64.0/27'", "8 subnets", "/26")),
        ({"gvnic_cidr": "192.168.0.0/30"}, ("gvnic_cidr", "'192.168.0.0/30'", "too small")),
        (
            {"gvnic_cidr": "192.168.64.0/24"},
            ("gvnic_cidr = 192.168.64.0/24", "rdma_cidr = 192.168.64.0/18", "overlaps"),
        ),
        ({"zone": "europe-west4-b"}, ("zone", "'europe-west4-b'", "'us-central1'")),
    ],
    ids=["not-cidr", "host-bits", "ipv6", "too-small-to-split", "too-small", "overlap", "zone-outside-region"],
)
def test_fabric_refuses_bad_ranges_naming_the_argument(overrides: dict[str, Any], fragments: tuple[str, ...]) -> None:
    refused(run(lambda: fabric(**overrides)), "GkeRdmaFabric fab", *fragments)


def test_fabric_refuses_a_bad_name() -> None:
    refused(run(lambda: GkeRdmaFabric("Fab_1", project="p", region="r", zone="r-a", shape=A4)), "name", "'Fab_1'")


# --- the node pool and the cluster ----------------------------------------------------------------------------------


def rdma_pool(
    shape: catalog.MachineShape = A3_ULTRA,
    zone: str = "us-central1-b",
    *,
    fabric_shape: catalog.MachineShape | None = None,
    project: str = "my-project",
    node_count: int = 2,
    **kw: Any,
) -> GpuNodePool:
    """A GpuNodePool on a fabric (built first) for ``fabric_shape`` (default: the pool's shape) in us-central1-b."""
    return GpuNodePool(
        "gpu",
        cluster="c",
        location="us-central1",
        project=project,
        shape=shape,
        zone=zone,
        node_count=node_count,
        fabric=fabric(fabric_shape or shape),
        **({"provisioning": "spot"} | kw),  # A3 Ultra / A4 default to flex-start, which needs autoscaling
    )


def test_node_pool_with_a_fabric_joins_its_nine_networks_and_attaches_pods() -> None:
    pools: list[GpuNodePool] = []
    result = run(lambda: pools.append(rdma_pool()))
    assert result.error is None, repr(result.error)
    inputs = one(result, "gcp:container/nodePool:NodePool", "gpu").inputs
    configs = inputs["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(configs) == 9
    assert configs[0] == {"network": "fab-gvnic-net", "subnetwork": "fab-gvnic-sub"}
    assert configs[1:] == [{"network": "fab-rdma-net", "subnetwork": f"fab-rdma-sub-{i}"} for i in range(8)]
    assert inputs["nodeConfig"]["gvnic"] == {"enabled": True}
    assert inputs["nodeConfig"]["diskType"] == "hyperdisk-balanced"
    pool = pools[0].pool
    assert pool.rdma is not None
    assert pool.rdma == pools[0].pool.rdma
    assert json.loads(pool.rdma.annotations["networking.gke.io/interfaces"])[9] == {
        "interfaceName": "eth9",
        "network": "rdma-7",
    }


def test_node_pool_without_a_fabric_has_no_extra_networks() -> None:
    pools: list[GpuNodePool] = []
    result = run(
        lambda: pools.append(
            GpuNodePool(
                "gpu",
                cluster="c",
                location="us-central1",
                project="p",
                shape=A4,
                zone="us-central1-b",
                node_count=1,
                provisioning="spot",
            )
        )
    )
    assert result.error is None
    assert "networkConfig" not in one(result, "gcp:container/nodePool:NodePool", "gpu").inputs
    assert pools[0].pool.rdma is None


def test_node_pool_refuses_a_fabric_on_a_shape_without_roce() -> None:
    a3_high = catalog.machine("gcp", "a3-highgpu-8g")
    result = run(lambda: rdma_pool(a3_high, fabric_shape=A3_ULTRA, project="p", node_count=1))
    assert isinstance(result.error, ValueError), repr(result.error)
    assert "'a3-highgpu-8g'" in str(result.error)
    assert "fabric" in str(result.error)
    assert of_type(result, "llmd:gcp:GpuNodePool") == []
    assert of_type(result, "gcp:container/nodePool:NodePool") == []


def test_node_pool_refuses_a_fabric_of_another_zone() -> None:
    result = run(lambda: rdma_pool(A4, "us-central1-c", fabric_shape=A3_ULTRA, project="p", node_count=1))
    assert isinstance(result.error, ValueError), repr(result.error)
    assert "'us-central1-b'" in str(result.error) and "'us-central1-c'" in str(result.error)
    assert of_type(result, "gcp:container/nodePool:NodePool") == []


def net() -> GkeNetwork:
    return GkeNetwork(
        "net",
        project="p",
        region="us-central1",
        subnet_cidr="10.0.0.0/20",
        pods_cidr="10.16.0.0/12",
        services_cidr="10.2.0.0/20",
        proxy_only_cidr="10.3.0.0/23",
    )


def test_cluster_multi_networking_is_off_by_default_and_on_when_asked() -> None:
    result = run(lambda: GkeCluster("c", project="p", region="us-central1", network=net()))
    assert result.error is None
    cluster = one(result, "gcp:container/cluster:Cluster", "c").inputs
    assert "enableMultiNetworking" not in cluster

    result = run(lambda: GkeCluster("c", project="p", region="us-central1", network=net(), multi_networking=True))
    assert result.error is None
    cluster = one(result, "gcp:container/cluster:Cluster", "c").inputs
    assert cluster["enableMultiNetworking"] is True
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"


# --- the Kubernetes side --------------------------------------------------------------------------------------------


def test_network_objects_are_8_rdma_and_1_netdevice_param_sets_and_9_networks_all_schema_valid() -> None:
    def program() -> None:
        built = fabric()
        provider = pulumi.ProviderResource("kubernetes", "k8s")
        GkeNetworkObjects("fab-networks", fabric=built, opts=pulumi.ResourceOptions(provider=provider))

    result = run(program)
    assert result.error is None, repr(result.error)
    objects = manifests(result)
    param_sets = {m["metadata"]["name"]: m for m in objects if m["kind"] == "GKENetworkParamSet"}
    networks = {m["metadata"]["name"]: m for m in objects if m["kind"] == "Network"}
    assert sorted(param_sets) == sorted(networks) == sorted(("gvnic-1", *RDMA_NAMES))
    assert [m["spec"]["deviceMode"] for m in param_sets.values()].count("RDMA") == 8
    assert param_sets["gvnic-1"]["spec"] == {
        "vpc": "fab-gvnic-net",
        "vpcSubnet": "fab-gvnic-sub",
        "deviceMode": "NetDevice",
    }
    assert param_sets["rdma-5"]["spec"] == {"vpc": "fab-rdma-net", "vpcSubnet": "fab-rdma-sub-5", "deviceMode": "RDMA"}
    assert networks["rdma-5"]["spec"] == {
        "type": "Device",
        "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": "rdma-5"},
    }
    assert all(m["apiVersion"] == "networking.gke.io/v1" and "namespace" not in m["metadata"] for m in objects)
    assert SchemaValidator().validate_all(objects) == []
    component = one(result, "llmd:gcp:NetworkObjects", "fab-networks")
    assert {r.parent for r in result.resources if r.type.startswith("kubernetes:")} == {component.urn}
    assert_schema_valid(result)


def test_schema_validation_catches_a_broken_network_object() -> None:
    _, built = fabric_run()
    broken = network_manifests(built.networks)[0]
    broken["spec"]["deviceMode"] = "SRIOV"
    assert SchemaValidator().validate(broken) != []


def test_gib_installer_daemonset_is_schema_valid_and_follows_upstream() -> None:
    result = run(lambda: GibNcclInstaller())
    assert result.error is None, repr(result.error)
    ds = one(result, "kubernetes:apps/v1:DaemonSet", "nccl-rdma-installer-daemonset")
    manifest = normalize(ds.inputs)
    assert SchemaValidator().validate(manifest) == []
    assert manifest["metadata"] == {
        "name": "nccl-rdma-installer",
        "namespace": "kube-system",
        "labels": {"k8s-app": "nccl-rdma-installer"},
    }
    spec = manifest["spec"]["template"]["spec"]
    (term,) = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [
        {"key": "cloud.google.com/gke-accelerator", "operator": "In", "values": ["nvidia-h200-141gb", "nvidia-b200"]}
    ]
    assert spec["tolerations"] == [{"operator": "Exists"}]
    (installer,) = spec["initContainers"]
    assert installer["image"] == versions.DEFAULT_RELEASE.gib_nccl_plugin.ref
    assert "/scripts/container_entry.sh install --install-nccl" in installer["args"][0]
    volumes = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    assert volumes["gib"] == "/home/kubernetes/bin/gib"
    mounts = {m["name"]: m["mountPath"] for m in installer["volumeMounts"]}
    assert mounts["gib"] == "/usr/local/home/kubernetes/bin/gib"
    assert f"cp -r /var/lib/gib/. {mounts['gib']}" in installer["args"][0]
    assert [c["name"] for c in spec["containers"]] == ["pause"]
    assert_schema_valid(result, kar_version=None)
    # no privileged container, pinned images, no /dev hostPath: the llm-d practices' per-resource rules pass
    resource = Resource(type=ds.type, name=ds.name, urn=ds.urn, props=manifest)
    mandatory = [rule for rule in practices.RESOURCE_RULES if rule.enforcement is Enforcement.MANDATORY]
    assert [v.message for rule in mandatory for v in rule.check(resource)] == []


def test_gib_installer_refuses_no_accelerators() -> None:
    with pytest.raises(ValueError, match="accelerators"):
        gib_installer_manifest(accelerators=())
    refused(run(lambda: GibNcclInstaller(accelerators=[])), "GibNcclInstaller", "accelerators")
