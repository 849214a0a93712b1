"""GPUDirect-RDMA over RoCE on GKE for A3 Ultra (``a3-ultragpu-8g``, 8 x H200) and A4 (``a4-highgpu-8g``, 8 x B200).

Each such node has two gVNICs and 8 ConnectX-7 RDMA NICs (one per GPU). GKE multi-networking attaches them to pods:

* cloud side (:class:`GkeRdmaFabric`): a second gVNIC VPC with one subnet and an internal firewall rule, and an RDMA
  VPC carrying the zone's RoCE network profile (``{zone}-vpc-roce``, MTU 8896) with one subnet per RDMA NIC; the
  node pool lists them as ``network_config.additional_node_network_configs`` (gVNIC first, then ``rdma-0..7``), and
  the cluster runs with ``enable_multi_networking`` on Dataplane V2;
* Kubernetes side (:class:`GkeNetworkObjects`): one ``networking.gke.io/v1`` ``GKENetworkParamSet`` (``deviceMode``
  ``NetDevice`` for ``gvnic-1``, ``RDMA`` for ``rdma-i``) and one ``Network`` (``type: Device``) per extra network;
* on the nodes (:class:`GibNcclInstaller`): the gIB NCCL plugin installer DaemonSet;
* in the pod (:meth:`GkeRdmaFabric.attachment`): the ``networking.gke.io/interfaces`` annotation mapping ``eth1`` to
  ``gvnic-1`` and ``eth2..eth9`` to ``rdma-0..7``.

Sources: GKE docs "Maximize GPU network bandwidth in Standard mode clusters" (A3 Ultra / A4: gVNIC VPC, RDMA VPC with
``--network-profile=${ZONE}-vpc-roce``, 8 RDMA subnets, GKENetworkParamSet / Network objects, pod annotations);
GoogleCloudPlatform/cluster-toolkit ``examples/gke-a3-ultragpu/gke-a3-ultragpu.yaml`` (``gpu-rdma-vpc`` with 8
subnets, MTU 8896, REGIONAL routing); GoogleCloudPlatform/container-engine-accelerators
``gpudirect-rdma/nccl-rdma-installer.yaml`` (installer DaemonSet) and ``gpudirect-rdma/nccl-test.yaml``
(annotations).

GPUDirect-TCPX (A3 High) and TCPXO (A3 Mega) fabrics are not built here (yet).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, component_args, dns_label_problem, format_problem
from pulumi_llmd.components.base import RdmaAttachment
from pulumi_llmd.components.catalog import Cloud, MachineShape, RdmaKind, machines
from pulumi_llmd.components.kube import child_options, k8s_object

__all__ = [
    "GIB_INSTALLER_NAME",
    "GIB_NCCL_ACCELERATORS",
    "PAUSE_IMAGE",
    "ROCE_ENV",
    "AdditionalNetwork",
    "GibNcclInstaller",
    "GkeNetworkObjects",
    "GkeRdmaFabric",
    "gib_installer_manifest",
    "gke_gpu_initiated_rdma_env",
    "network_manifests",
]

#: GKE multi-networking API group/version of GKENetworkParamSet and Network (GoogleCloudPlatform/gke-networking-api).
NETWORKING_API_VERSION: Final = "networking.gke.io/v1"
#: Kubernetes ``Network`` name of the second gVNIC (GKE docs: ``gvnic-1``), attached to pods as ``eth1``.
GVNIC_NETWORK: Final = "gvnic-1"
#: Pod environment for UCX (NIXL's default backend) over RoCE: routable RoCE v2 reachability across the RDMA subnets.
ROCE_ENV: Final[Mapping[str, str]] = {"UCX_IB_ROCE_REACHABILITY_MODE": "all"}


# What llm-d's GKE overlay for wide-EP sets for GPU-initiated RDMA (DeepEP on NVSHMEM) on A3 Ultra / A4
# (llm-d/llm-d guides/wide-ep-lws/modelserver/gpu/vllm/gke/kustomization.yaml, v0.9.0 guides): NVSHMEM's
# automatic NIC choice is led astray by GCP's GPU/NIC PCIe pairing, so map GPU i to ``mlx5_i`` port 1
# (``DEEP_EP_DEVICE_TO_HCA_MAPPING``, DeepEP PR #466), and run NVSHMEM without GDRCopy ("recommended on gke").
# Harmless for UCX/NIXL-only pods (P/D), which do not read them.
def gke_gpu_initiated_rdma_env(nics: int) -> dict[str, str]:
    """The wide-EP GKE overlay's NVSHMEM / DeepEP env for a node with ``nics`` RDMA NICs (one per GPU)."""
    mapping = ",".join(f"{i}:mlx5_{i}:1" for i in range(nics))
    return {"DEEP_EP_DEVICE_TO_HCA_MAPPING": mapping, "NVSHMEM_DISABLED_GDRCOPY": "true"}


#: Name (and ``k8s-app`` label) of the gIB installer DaemonSet (container-engine-accelerators: nccl-rdma-installer).
GIB_INSTALLER_NAME: Final = "nccl-rdma-installer"
#: The pause image that keeps the installer's pod alive after its init container ran (upstream installer manifest,
#: pinned by digest there).
PAUSE_IMAGE: Final = versions.PAUSE_IMAGE
#: Host directory the gIB plugin (NCCL net plugin, tuner, ``set_nccl_env.sh``) is installed to; pods mount it.
GIB_HOST_DIR: Final = "/home/kubernetes/bin/gib"
#: Host directory of the GKE-installed NVIDIA libraries; the installer adds gIB's NCCL build there.
NVIDIA_LIB_HOST_DIR: Final = "/home/kubernetes/bin/nvidia/lib64"

_ROCE_MACHINES: Final = tuple(s for s in machines(Cloud.GCP) if s.rdma is RdmaKind.ROCE)
#: ``cloud.google.com/gke-accelerator`` values of RoCE machines (nvidia-h200-141gb, nvidia-b200): where the gIB
#: installer runs. Taken from the catalog, sorted by machine type (A3 Ultra first, as upstream lists them).
GIB_NCCL_ACCELERATORS: Final[tuple[str, ...]] = tuple(dict.fromkeys(s.accelerator.name for s in _ROCE_MACHINES))
_ROCE_MACHINE_TYPES: Final = " or ".join(s.machine_type for s in _ROCE_MACHINES)
#: Smallest subnet Compute Engine accepts (a /29).
_MAX_SUBNET_PREFIX: Final = 29
_NAME_MAX: Final = 40


@dataclass(frozen=True)
class AdditionalNetwork:
    """One extra node network of the fabric, as GKE multi-networking sees it.

    Attributes:
        name: Kubernetes ``Network`` / ``GKENetworkParamSet`` name (``gvnic-1``, ``rdma-0`` .. ``rdma-7``).
        interface: the pod interface it attaches as (``eth1`` for ``gvnic-1``, ``eth2`` .. ``eth9`` for RDMA).
        vpc: the Compute Engine VPC name (``<fabric>-gvnic-net`` / ``<fabric>-rdma-net``).
        subnet: the subnetwork name (``<fabric>-gvnic-sub`` / ``<fabric>-rdma-sub-<i>``).
        device_mode: ``NetDevice`` (gVNIC) or ``RDMA`` (an RDMA NIC), the GKENetworkParamSet ``deviceMode``.
        cidr: the subnet's IPv4 range.
    """

    name: str
    interface: str
    vpc: str
    subnet: str
    device_mode: str
    cidr: str


#: Defaults of :class:`GkeRdmaFabricArgs`.
DEFAULT_GVNIC_CIDR = "192.168.0.0/24"
DEFAULT_RDMA_CIDR = "192.168.64.0/18"


class GkeRdmaFabricArgs(TypedDict, total=False):
    """The arguments of :class:`GkeRdmaFabric` (give them as one object or as keyword arguments)."""

    project: Required[str]
    """GCP project id (also names the RoCE network profile ``projects/<project>/global/networkProfiles/...``)."""
    region: Required[str]
    """Region of the subnets, e.g. ``us-central1``."""
    zone: Required[str]
    """The zone of the nodes, e.g. ``us-central1-b``; must lie in ``region``; picks the RoCE network profile
    ``<zone>-vpc-roce``."""
    shape: Required[MachineShape]
    """Catalog machine shape with ``rdma`` ROCE, e.g. ``catalog.machine("gcp", "a3-ultragpu-8g")``."""
    gvnic_cidr: str
    """IPv4 range of the gVNIC subnet (/29 or larger). Default: ``"192.168.0.0/24"``."""
    rdma_cidr: str
    """IPv4 range split into ``shape.rdma_nics`` equal RDMA subnets (each /29 or larger); must not overlap
    ``gvnic_cidr``. Default: ``"192.168.64.0/18"`` (eight /21)."""


class GkeNetworkObjectsArgs(TypedDict, total=False):
    """The arguments of :class:`GkeNetworkObjects` (give them as one object or as keyword arguments)."""

    fabric: Required[GkeRdmaFabric]
    """The :class:`GkeRdmaFabric` whose networks get a ``GKENetworkParamSet`` and a ``Network`` each."""


class GibNcclInstallerArgs(TypedDict, total=False):
    """The arguments of :class:`GibNcclInstaller` (give them as one object or as keyword arguments)."""

    accelerators: Sequence[str]
    """``cloud.google.com/gke-accelerator`` values to install on (at least one).
    Default: :data:`GIB_NCCL_ACCELERATORS` (nvidia-h200-141gb, nvidia-b200: the catalog's RoCE machines)."""
    image: str
    """Installer image. Default: the active llm-d release's ``gib_nccl_plugin``
    (:func:`~pulumi_llmd.components.versions.active_release`)."""


class GkeRdmaFabric(pulumi.ComponentResource):
    """The GCP networks of GPUDirect-RDMA over RoCE for one zone: a gVNIC VPC and an RDMA VPC with 8 subnets.

    Type token ``llmd:gcp:RdmaFabric``. Registers (all children of the component, names fixed and derived from
    ``name``):

    * ``<name>-gvnic-net``: VPC for the node's second gVNIC (``auto_create_subnetworks`` off, REGIONAL routing, MTU
      ``shape.mtu`` = 8896), its subnet ``<name>-gvnic-sub`` (``gvnic_cidr`` in ``region``) and the firewall rule
      ``<name>-gvnic-internal`` allowing TCP, UDP and ICMP from ``gvnic_cidr``;
    * ``<name>-rdma-net``: the RDMA VPC with the network profile
      ``projects/<project>/global/networkProfiles/<zone>-vpc-roce`` (MTU 8896, no auto subnets, REGIONAL routing) and
      ``shape.rdma_nics`` subnets ``<name>-rdma-sub-0..7`` in ``region``, ``rdma_cidr`` split into equal parts
      (default ``192.168.64.0/18`` -> eight /21).

    8 RDMA NICs per a3-ultragpu-8g / a4-highgpu-8g, MTU 8896 (GKE docs "Maximize GPU network bandwidth in Standard
    mode clusters"; cluster-toolkit ``examples/gke-a3-ultragpu``). Use it with ``GpuNodePool(fabric=...)``,
    ``GkeCluster(multi_networking=True)``, :class:`GkeNetworkObjects` and :class:`GibNcclInstaller`.

    Outputs: ``gvnic_network``, ``gvnic_subnetwork``, ``gvnic_firewall``, ``rdma_network``, ``rdma_subnetworks``
    (``gcp.compute`` resources), ``networks`` (the :class:`AdditionalNetwork` s, plain data), ``network_names``.

    Arguments: :class:`GkeRdmaFabricArgs` (as an object or keywords); the component's ``name`` is the logical name
    and prefix of the physical names (lowercase letter first, ``[-a-z0-9]``, <= 40 chars).

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument; a shape without
        a RoCE fabric (A3 High / A3 Mega: GPUDirect-TCPX /
        TCPXO are not supported yet), a bad name, a zone outside the region, a range that is not an IPv4 CIDR, too
        small, or overlapping the other; the message names the argument and its value.
    """

    gvnic_network: gcp.compute.Network
    gvnic_subnetwork: gcp.compute.Subnetwork
    gvnic_firewall: gcp.compute.Firewall
    rdma_network: gcp.compute.Network
    rdma_subnetworks: list[gcp.compute.Subnetwork]

    @overload
    def __init__(self, name: str, args: GkeRdmaFabricArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeRdmaFabricArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeRdmaFabricArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeRdmaFabricArgs, f"GkeRdmaFabric {name}", args, kwargs)
        project, region, zone, shape = a["project"], a["region"], a["zone"], a["shape"]
        gvnic_cidr = a.get("gvnic_cidr", DEFAULT_GVNIC_CIDR)
        rdma_cidr = a.get("rdma_cidr", DEFAULT_RDMA_CIDR)
        if not isinstance(shape, MachineShape):
            problem = format_problem("shape", shape, "must be a catalog MachineShape, e.g. catalog.machine(...)")
            raise ArgsError(f"GkeRdmaFabric {name}", [problem])
        rdma_ranges = _validate_fabric(
            name=name, region=region, zone=zone, shape=shape, gvnic_cidr=gvnic_cidr, rdma_cidr=rdma_cidr
        )
        super().__init__("llmd:gcp:RdmaFabric", name, None, opts)
        child = child_options(self, opts)  # wait on what the component waits on (the project's APIs)
        mtu = shape.mtu
        self.project, self.region, self.zone, self.shape = project, region, zone, shape
        gvnic_vpc, gvnic_subnet = f"{name}-gvnic-net", f"{name}-gvnic-sub"
        rdma_vpc = f"{name}-rdma-net"
        self.networks: tuple[AdditionalNetwork, ...] = (
            AdditionalNetwork(GVNIC_NETWORK, "eth1", gvnic_vpc, gvnic_subnet, "NetDevice", gvnic_cidr),
            *(
                AdditionalNetwork(f"rdma-{i}", f"eth{i + 2}", rdma_vpc, f"{name}-rdma-sub-{i}", "RDMA", cidr)
                for i, cidr in enumerate(rdma_ranges)
            ),
        )

        def vpc(vpc_name: str, network_profile: str | None = None) -> gcp.compute.Network:
            return gcp.compute.Network(
                vpc_name,
                name=vpc_name,
                project=project,
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                mtu=mtu,
                network_profile=network_profile,
                opts=child,
            )

        def subnetwork(net: AdditionalNetwork, network: gcp.compute.Network) -> gcp.compute.Subnetwork:
            return gcp.compute.Subnetwork(
                net.subnet,
                name=net.subnet,
                project=project,
                region=region,
                network=network.id,
                ip_cidr_range=net.cidr,
                opts=child,
            )

        self.gvnic_network = vpc(gvnic_vpc)
        self.gvnic_subnetwork = subnetwork(self.networks[0], self.gvnic_network)
        self.gvnic_firewall = gcp.compute.Firewall(
            f"{name}-gvnic-internal",
            name=f"{name}-gvnic-internal",
            project=project,
            network=self.gvnic_network.id,
            direction="INGRESS",
            source_ranges=[gvnic_cidr],
            allows=[
                gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["0-65535"]),
                gcp.compute.FirewallAllowArgs(protocol="udp", ports=["0-65535"]),
                gcp.compute.FirewallAllowArgs(protocol="icmp"),
            ],
            opts=child,
        )
        self.rdma_network = vpc(rdma_vpc, network_profile=f"projects/{project}/global/networkProfiles/{zone}-vpc-roce")
        self.rdma_subnetworks = [subnetwork(net, self.rdma_network) for net in self.networks[1:]]
        self.register_outputs(
            {
                "gvnicNetwork": self.gvnic_network.self_link,
                "rdmaNetwork": self.rdma_network.self_link,
                "networks": list(self.network_names),
            }
        )

    @property
    def network_names(self) -> tuple[str, ...]:
        """Kubernetes names of the extra networks, gVNIC first: ``("gvnic-1", "rdma-0", ..., "rdma-7")``."""
        return tuple(net.name for net in self.networks)

    def additional_node_network_configs(
        self,
    ) -> list[gcp.container.NodePoolNetworkConfigAdditionalNodeNetworkConfigArgs]:
        """The node pool's ``network_config.additional_node_network_configs``: the gVNIC VPC/subnet, then the RDMA VPC
        with ``rdma-sub-0`` .. ``rdma-sub-7`` (9 entries on A3 Ultra / A4).

        Network and subnetwork are the resources' ``name`` outputs, so a node pool using them waits for the VPCs.
        """
        subnets = [self.gvnic_subnetwork, *self.rdma_subnetworks]
        return [
            gcp.container.NodePoolNetworkConfigAdditionalNodeNetworkConfigArgs(
                network=(self.gvnic_network if net.device_mode == "NetDevice" else self.rdma_network).name,
                subnetwork=subnet.name,
            )
            for net, subnet in zip(self.networks, subnets, strict=True)
        ]

    def attachment(self) -> RdmaAttachment:
        """How a pod on a node pool of this fabric reaches it (deterministic: same fabric, same value).

        Annotations ``networking.gke.io/default-interface: eth0`` and ``networking.gke.io/interfaces``, the compact
        JSON list ``[{"interfaceName":"eth0","network":"default"},{"interfaceName":"eth1","network":"gvnic-1"},
        {"interfaceName":"eth2","network":"rdma-0"}, ..., {"interfaceName":"eth9","network":"rdma-7"}]`` (GKE docs,
        A3 Ultra / A4 workloads); env ``UCX_IB_ROCE_REACHABILITY_MODE=all`` plus :func:`gke_gpu_initiated_rdma_env`
        (``DEEP_EP_DEVICE_TO_HCA_MAPPING``, ``NVSHMEM_DISABLED_GDRCOPY``); NIXL backend UCX; ``nics_per_node`` =
        ``shape.rdma_nics`` (8). Device-mode interfaces belong to one pod per node (``whole_node``).
        """
        interfaces = [{"interfaceName": "eth0", "network": "default"}] + [
            {"interfaceName": net.interface, "network": net.name} for net in self.networks
        ]
        return RdmaAttachment(
            fabric=RdmaKind.ROCE,
            nics_per_node=self.shape.rdma_nics,
            annotations={
                "networking.gke.io/default-interface": "eth0",
                "networking.gke.io/interfaces": json.dumps(interfaces, separators=(",", ":")),
            },
            env={**ROCE_ENV, **gke_gpu_initiated_rdma_env(self.shape.rdma_nics)},
            nixl_backends=("UCX",),
            # GKE Warden injects rdma-X and rdma-X.IP requests; A3 Ultra / A4 nodes advertise only .IP (upstream's
            # GKE wide-EP overlay sets the non-.IP ones to 0).
            zero_resources=tuple(
                f"networking.gke.io.networks/{net.name}" for net in self.networks if net.name.startswith("rdma-")
            ),
        )


def network_manifests(networks: Sequence[AdditionalNetwork]) -> list[dict[str, Any]]:
    """The cluster-scoped multi-networking objects for ``networks``: per network a ``GKENetworkParamSet``
    (``vpc``, ``vpcSubnet``, ``deviceMode``) and a ``Network`` (``type: Device``, ``parametersRef`` to it), both named
    like the network (GKE docs "Maximize GPU network bandwidth in Standard mode clusters"). Pure function."""
    out: list[dict[str, Any]] = []
    for net in networks:
        out.append(
            {
                "apiVersion": NETWORKING_API_VERSION,
                "kind": "GKENetworkParamSet",
                "metadata": {"name": net.name},
                "spec": {"vpc": net.vpc, "vpcSubnet": net.subnet, "deviceMode": net.device_mode},
            }
        )
        out.append(
            {
                "apiVersion": NETWORKING_API_VERSION,
                "kind": "Network",
                "metadata": {"name": net.name},
                "spec": {
                    "type": "Device",
                    "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": net.name},
                },
            }
        )
    return out


class GkeNetworkObjects(pulumi.ComponentResource):
    """The Kubernetes side of a :class:`GkeRdmaFabric`: GKE multi-networking ``GKENetworkParamSet`` and ``Network``
    objects (``networking.gke.io/v1``, cluster-scoped) for ``gvnic-1`` (``deviceMode: NetDevice``) and ``rdma-0..7``
    (``deviceMode: RDMA``) — 9 of each on A3 Ultra / A4. See :func:`network_manifests`.

    Type token ``llmd:gcp:NetworkObjects``. Pass the cluster's Kubernetes provider in ``opts``; the cluster needs
    ``GkeCluster(multi_networking=True)`` (GKE serves these kinds only then). VPC and subnet names are the fabric's
    fixed physical names (plain strings).

    Arguments: :class:`GkeNetworkObjectsArgs`. Outputs: ``objects`` (the registered ``CustomResource`` s, param sets
    and networks interleaved, in fabric order).

    Raises:
        ArgsError: (before anything is registered) a missing or unknown argument, a ``fabric`` that is not a
            :class:`GkeRdmaFabric`.
    """

    @overload
    def __init__(self, name: str, args: GkeNetworkObjectsArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeNetworkObjectsArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeNetworkObjectsArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeNetworkObjectsArgs, "GkeNetworkObjects", args, kwargs)
        fabric = a["fabric"]
        if not isinstance(fabric, GkeRdmaFabric):
            raise ArgsError("GkeNetworkObjects", [format_problem("fabric", fabric, "must be a GkeRdmaFabric")])
        manifests = network_manifests(fabric.networks)
        super().__init__("llmd:gcp:NetworkObjects", name, None, opts)
        child = child_options(self, opts)
        self.objects: list[pulumi.CustomResource] = [
            k8s_object(f"{name}-{m['kind'].lower()}-{m['metadata']['name']}", m, child) for m in manifests
        ]
        self.register_outputs({"networks": list(fabric.network_names)})


def gib_installer_manifest(
    *,
    accelerators: Sequence[str] = GIB_NCCL_ACCELERATORS,
    image: str | None = None,
    namespace: str = "kube-system",
) -> dict[str, Any]:
    """The gIB NCCL plugin installer DaemonSet (pure function).

    Follows GoogleCloudPlatform/container-engine-accelerators ``gpudirect-rdma/nccl-rdma-installer.yaml``: runs in
    ``kube-system`` at ``system-node-critical`` priority on nodes whose ``cloud.google.com/gke-accelerator`` is one of
    ``accelerators`` (node affinity; default nvidia-h200-141gb, nvidia-b200), tolerates every taint; the init
    container ``nccl-rdma-installer`` (``image``, default the release's ``gib_nccl_plugin``, 150m CPU) runs
    ``/scripts/container_entry.sh install --install-nccl`` and copies the plugin to the host's
    ``/home/kubernetes/bin/gib`` and gIB's NCCL into ``/home/kubernetes/bin/nvidia/lib64``; a pause container keeps
    the pod alive.

    The install arguments are upstream's (``install --install-nccl`` and the two copies), unchanged in every stored
    version of the manifest up to the arm64 v1.1.0 A4X variant (``nccl-rdma-installer-a4x.yaml``); the image is
    ``nccl-plugin-gib:v1.1.1`` (FACTS: main 992db812, changed in 155bfa49).

    Deliberate differences from upstream: no ``disable-log-martian`` init container (it only silences martian-packet
    logging of the RDMA interfaces, and needs a privileged ``alpine:latest``), and the installer runs as root but
    not privileged and without hostNetwork / hostPID (it only writes into its hostPath mounts). Both keep the
    llm-d practices pack (no privileged containers, pinned images) satisfied.

    Args:
        accelerators: ``cloud.google.com/gke-accelerator`` values of the nodes it runs on.
            Default: ``GIB_NCCL_ACCELERATORS`` (nvidia-h200-141gb, nvidia-b200).
        image: The installer image. Default: None (the active llm-d release's ``gib_nccl_plugin`` pin,
            :func:`~pulumi_llmd.components.versions.active_release`).
        namespace: Namespace of the DaemonSet. Default: "kube-system".

    Raises:
        ValueError: no accelerators given.
    """
    if not accelerators:
        raise ValueError("GibNcclInstaller: accelerators must name at least one cloud.google.com/gke-accelerator")
    labels = {"k8s-app": GIB_INSTALLER_NAME}
    install = (
        "set -ex\n"
        "/scripts/container_entry.sh install --install-nccl\n"
        f"cp -r /var/lib/gib/lib64/. /usr/local{NVIDIA_LIB_HOST_DIR}\n"
        f"cp -r /var/lib/gib/. /usr/local{GIB_HOST_DIR}\n"
        'echo "installation finishes"\n'
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": GIB_INSTALLER_NAME, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"name": GIB_INSTALLER_NAME, **labels}},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "cloud.google.com/gke-accelerator",
                                                "operator": "In",
                                                "values": list(accelerators),
                                            }
                                        ]
                                    }
                                ]
                            }
                        }
                    },
                    "tolerations": [{"operator": "Exists"}],
                    "volumes": [
                        {
                            "name": "library-dir-host",
                            "hostPath": {"path": NVIDIA_LIB_HOST_DIR, "type": "DirectoryOrCreate"},
                        },
                        {"name": "gib", "hostPath": {"path": GIB_HOST_DIR, "type": "DirectoryOrCreate"}},
                    ],
                    "initContainers": [
                        {
                            "name": GIB_INSTALLER_NAME,
                            "image": image if image is not None else versions.active_release().gib_nccl_plugin.ref,
                            "command": ["/bin/sh", "-c"],
                            "args": [install],
                            "resources": {"requests": {"cpu": "150m"}},
                            "securityContext": {"runAsUser": 0},
                            "volumeMounts": [
                                {"name": "library-dir-host", "mountPath": f"/usr/local{NVIDIA_LIB_HOST_DIR}"},
                                {"name": "gib", "mountPath": f"/usr/local{GIB_HOST_DIR}"},
                            ],
                        }
                    ],
                    "containers": [{"name": "pause", "image": PAUSE_IMAGE}],
                },
            },
        },
    }


class GibNcclInstaller(pulumi.ComponentResource):
    """The gIB NCCL plugin installer DaemonSet for A3 Ultra / A4 nodes (see :func:`gib_installer_manifest`).

    Type token ``llmd:gcp:GibNcclInstaller``. Registers the DaemonSet ``kube-system/nccl-rdma-installer``; pass the
    cluster's Kubernetes provider in ``opts``. Pods that use NCCL over the fabric mount ``/home/kubernetes/bin/gib``
    (and source its ``scripts/set_nccl_env.sh``) and ``/home/kubernetes/bin/nvidia``.

    Arguments: :class:`GibNcclInstallerArgs` (as an object or keywords); ``name`` defaults to
    :data:`GIB_INSTALLER_NAME`.

    Raises:
        ArgsError: (a ``ValueError``) no accelerators, an unknown argument (nothing registered).
    """

    @overload
    def __init__(self, name: str, args: GibNcclInstallerArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = GIB_INSTALLER_NAME,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GibNcclInstallerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = GIB_INSTALLER_NAME,
        args: GibNcclInstallerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GibNcclInstallerArgs, "GibNcclInstaller", args, kwargs)
        accelerators = a.get("accelerators", GIB_NCCL_ACCELERATORS)
        image = a.get("image", versions.active_release().gib_nccl_plugin.ref)
        try:
            manifest = gib_installer_manifest(accelerators=accelerators, image=image)
        except ValueError as exc:
            raise ArgsError("GibNcclInstaller", [str(exc)]) from None
        super().__init__("llmd:gcp:GibNcclInstaller", name, None, opts)
        self.daemon_set = k8s_object(f"{name}-daemonset", manifest, child_options(self, opts))
        self.register_outputs({"image": image, "accelerators": list(accelerators)})


def _validate_fabric(
    *, name: str, region: str, zone: str, shape: MachineShape, gvnic_cidr: str, rdma_cidr: str
) -> list[str]:
    """Check the fabric's arguments; return the RDMA subnet ranges. Raises one ValueError listing every problem."""
    problems: list[str] = []
    if shape.rdma in (RdmaKind.GPUDIRECT_TCPX, RdmaKind.GPUDIRECT_TCPXO):
        problems.append(
            f"shape = {shape.machine_type!r} ({shape.rdma.value}): GPUDirect-TCPX (A3 High) / TCPXO (A3 Mega) fabrics "
            f"are not supported yet; use {_ROCE_MACHINE_TYPES} for RDMA"
        )
    elif shape.cloud is not Cloud.GCP or shape.rdma is not RdmaKind.ROCE:
        problems.append(
            f"shape = {shape.machine_type!r} ({shape.cloud.value}, rdma {shape.rdma.value}): has no GKE RoCE fabric; "
            f"use {_ROCE_MACHINE_TYPES} for RDMA"
        )
    elif shape.mtu is None:  # pragma: no cover - the catalog gives every RoCE shape its MTU
        problems.append(f"shape = {shape.machine_type!r}: the catalog gives no MTU for its RDMA networks")
    name_problem = dns_label_problem("name", name, _NAME_MAX)
    if name_problem:
        problems.append(f"{name_problem} (it prefixes the VPC and subnet names)")
    if "-" not in zone or zone.rsplit("-", 1)[0] != region:
        problems.append(f"zone = {zone!r}: not a zone of region = {region!r} (e.g. {region}-b)")
    gvnic = _cidr("gvnic_cidr", gvnic_cidr, 0, problems)
    parts = max(1, shape.rdma_nics)
    bits = (parts - 1).bit_length()
    rdma = _cidr("rdma_cidr", rdma_cidr, bits, problems, parts=parts)
    if gvnic is not None and rdma is not None and gvnic.overlaps(rdma):
        problems.append(
            f"gvnic_cidr = {gvnic_cidr} overlaps rdma_cidr = {rdma_cidr}; the gVNIC and RDMA ranges must be disjoint"
        )
    if problems:
        raise ArgsError(f"GkeRdmaFabric {name}", problems)
    assert rdma is not None
    return [str(s) for s in list(rdma.subnets(prefixlen_diff=bits))[: shape.rdma_nics]]


def _cidr(arg: str, value: str, bits: int, problems: list[str], *, parts: int = 1) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(value)
    except ValueError:
        problems.append(f"{arg} = {value!r}: not an IPv4 CIDR with its host bits zero (e.g. 192.168.0.0/24)")
        return None
    if not isinstance(net, ipaddress.IPv4Network):
        problems.append(f"{arg} = {value!r}: must be IPv4")
        return None
    if net.prefixlen + bits > _MAX_SUBNET_PREFIX:
        what = f"split into {parts} subnets of at least /{_MAX_SUBNET_PREFIX}" if parts > 1 else "a subnet"
        problems.append(f"{arg} = {value!r}: too small to be {what} (need /{_MAX_SUBNET_PREFIX - bits} or larger)")
        return None
    return net
