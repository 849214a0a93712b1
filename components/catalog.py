"""Accelerator and machine-shape catalog: the one source of truth for what each cloud offers.

Every other module asks this catalog, never hard-codes, which accelerator a machine type carries, how
many devices a node has, how much host CPU and memory is left for pods, and which GPU fabric
(GPUDirect-TCPX/TCPXO, RDMA over RoCE, EFA) the node brings. The data is a declarative table of frozen
dataclasses built at import time; nothing is read from disk or the network at run time. Each entry carries
a ``source`` naming the upstream documents it was taken from, so a reviewer can check a number against its
origin.

Units and conventions:

* ``memory_gib`` on :class:`Accelerator` is the HBM of one device; on :class:`MachineShape` it is the host
  memory of one node (VM). Google documents both in "GB", which Compute Engine defines as binary gigabytes
  (GiB); AWS documents GiB. Values are whole numbers as the providers publish them.
* ``vcpus`` counts vCPUs (hyperthreads) of one node, before Kubernetes system reservations.
* Accelerator names are the GKE guest-accelerator type ids (``nvidia-h100-80gb``), the GKE TPU node-label
  values for TPUs (``tpu-v6e-slice``), and, for chips GKE does not offer, the same vendor-model style
  (``nvidia-l40s``). The same physical device has the same name on every cloud, so
  :func:`clouds_offering` can compare clouds; :data:`ACCELERATOR_ALIASES` maps a few short spellings
  (``nvidia-h100``) to the canonical name.
* TPU topologies are ``AxB`` (v5e, v6e) or ``AxBxC`` (v5p) chip grids, the values of the
  ``cloud.google.com/gke-tpu-topology`` node label.

Lookup functions raise :class:`CatalogError` (a :class:`ValueError`) whose message names the cloud, the
rejected value and the values that would have been accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ACCELERATORS",
    "ACCELERATOR_ALIASES",
    "ACCELERATOR_RESOURCE_NAMES",
    "CONSUMPTION_OPTIONS",
    "CPU",
    "DEFAULT_SYSTEM_MACHINE_TYPES",
    "MACHINES",
    "SYSTEM_MACHINES",
    "Accelerator",
    "AcceleratorKind",
    "CatalogError",
    "Cloud",
    "MachineShape",
    "NodeAllocatable",
    "RdmaKind",
    "SystemMachine",
    "TpuShape",
    "accelerator",
    "accelerators",
    "clouds_offering",
    "custom_accelerator",
    "custom_shape",
    "default_consumption",
    "machine",
    "machine_for_accelerator",
    "machines",
    "node_allocatable",
    "system_machine",
    "system_machines",
    "tpu_chips",
    "tpu_hosts",
    "validate_extended_resource",
]


class Cloud(StrEnum):
    """A cloud whose managed Kubernetes the blueprints target (GKE on ``gcp``, EKS on ``aws``).

    ``EXISTING`` marks shapes described by hand for a cluster the library does not create (kind, on-prem, CoreWeave,
    OpenShift; see :func:`custom_shape`); the catalog's tables hold no entries for it.
    """

    GCP = "gcp"
    AWS = "aws"
    EXISTING = "existing"


class AcceleratorKind(StrEnum):
    """What kind of device an :class:`Accelerator` is."""

    GPU = "gpu"
    TPU = "tpu"
    #: No accelerator: vLLM's CPU backend on ordinary nodes (:data:`CPU`); pods request CPU and memory only.
    CPU = "cpu"


class RdmaKind(StrEnum):
    """The node-to-node GPU fabric a machine shape brings (``NONE``: plain VPC networking only)."""

    NONE = "none"
    #: GKE A3 High: GPUDirect-TCPX over 4 extra gVNIC VPCs (NCCL TCPX plugin + RxDM sidecar).
    GPUDIRECT_TCPX = "gpudirect-tcpx"
    #: GKE A3 Mega: GPUDirect-TCPXO over 8 extra gVNIC VPCs (TCPXO daemon).
    GPUDIRECT_TCPXO = "gpudirect-tcpxo"
    #: GPUDirect-RDMA over RoCE (GKE A3 Ultra / A4: RDMA VPC with the zone's RoCE network profile).
    ROCE = "roce"
    #: AWS Elastic Fabric Adapter (``vpc.amazonaws.com/efa`` extended resource).
    EFA = "efa"
    INFINIBAND = "infiniband"


class CatalogError(ValueError):
    """A lookup named something the catalog does not have; the message lists what it does have."""


#: How a cloud sells a machine type's capacity: ``on-demand``, ``spot`` (preemptible), ``reservation`` (a GKE
#: specific reservation, incl. future / calendar-mode reservations), ``flex-start`` (GKE Dynamic Workload Scheduler
#: flex-start VMs) and ``capacity-block`` (EC2 Capacity Blocks for ML). In this order, which is also the order the
#: config messages list them in.
CONSUMPTION_OPTIONS: tuple[str, ...] = ("on-demand", "spot", "reservation", "flex-start", "capacity-block")


@dataclass(frozen=True)
class Accelerator:
    """One accelerator device type.

    Attributes:
        name: Canonical id: the GKE guest-accelerator type (``nvidia-h100-80gb``), the GKE TPU node-label
            value (``tpu-v6e-slice``), or a vendor-model id for chips GKE does not offer (``nvidia-l40s``).
        display: Human-readable name, e.g. ``"NVIDIA H100 80GB"``.
        kind: GPU, TPU or CPU (no device).
        vendor: ``"nvidia"``, ``"google"``, ``"amd"``, ``"intel"``, or the vendor of a device the catalog does not list.
        memory_gib: High-bandwidth memory of one device as the device plugin counts it (one GPU, one TPU chip), GiB
            (0 when unknown, and for CPU serving).
        resource_name: Extended resource pods request for it (``nvidia.com/gpu``, ``google.com/tpu``, ``amd.com/gpu``);
            empty for CPU serving (no device is requested).
        source: Upstream document the facts come from.
        vllm_devices_per_chip: Devices vLLM (JAX) sees on one counted device, the unit of ``--tensor-parallel-size``:
            2 on TPU7x, whose chips have two TensorCores that JAX exposes as two devices (Cloud TPU7x docs,
            docs.cloud.google.com/tpu/docs/tpu7x: "Each TPU7x chip contains two TensorCores"; llm-d
            ``optimized-baseline/modelserver/tpu/v7/vllm/patch-vllm.yaml`` runs ``--tensor-parallel-size=8`` on one
            4-chip ``2x2x1`` host requesting ``google.com/tpu: 4``), 1 for every GPU and for v5e / v6e (one
            TensorCore per chip) and v5p (megacore: its two TensorCores form one JAX device). Default: 1.
    """

    name: str
    display: str
    kind: AcceleratorKind
    vendor: str
    memory_gib: int
    resource_name: str
    source: str
    vllm_devices_per_chip: int = 1

    @property
    def device_memory_gib(self) -> int:
        """HBM of one vLLM device, GiB: ``memory_gib // vllm_devices_per_chip`` (TPU7x: 192 GiB per chip over two
        TensorCores = 96 GiB; every other device: ``memory_gib``). Weights-per-device checks use it."""
        return self.memory_gib // max(1, self.vllm_devices_per_chip)

    @property
    def vllm_platform(self) -> str | None:
        """The vLLM build this device runs (a name of ``versions.VLLM_PLATFORMS``): ``cuda`` for NVIDIA GPUs, ``tpu``,
        ``rocm`` for AMD Instinct, ``xpu`` for Intel Data Center GPUs (``gpu.intel.com/*``), ``cpu`` for CPU serving;
        None for a device no llm-d release publishes a vLLM image for (e.g. Intel Gaudi ``habana.ai/gaudi``: llm-d's
        ``llm-d-hpu`` image ended with v0.8.0), whose model servers must name their ``image``."""
        return _VLLM_PLATFORM_BY_RESOURCE.get(self.resource_name) or (
            {AcceleratorKind.TPU: "tpu", AcceleratorKind.CPU: "cpu"}.get(self.kind)
        )


#: vLLM build per device-plugin resource (llm-d guides/recipes/modelserver/components/images: ``gpu-vllm`` on
#: ``nvidia.com/gpu``, ``amd-vllm`` on ``amd.com/gpu``, ``xpu-vllm`` on Intel GPUs, ``tpu-vllm`` on ``google.com/tpu``).
_VLLM_PLATFORM_BY_RESOURCE: Mapping[str, str] = MappingProxyType(
    {
        "nvidia.com/gpu": "cuda",
        "amd.com/gpu": "rocm",
        "gpu.intel.com/i915": "xpu",
        "gpu.intel.com/xe": "xpu",
        "google.com/tpu": "tpu",
    }
)


@dataclass(frozen=True)
class TpuShape:
    """The TPU facts of a TPU machine type.

    Attributes:
        accelerator_label: Value of the ``cloud.google.com/gke-tpu-accelerator`` node label.
        chips_per_host: TPU chips on one VM (node) of this machine type.
        topologies: Values of ``cloud.google.com/gke-tpu-topology`` GKE accepts for a node pool of this
            machine type, single-host first. A topology with more chips than ``chips_per_host`` is a
            multi-host slice of ``chips // chips_per_host`` nodes (see :func:`tpu_hosts`).
        regions: Google Cloud regions offering this TPU version (conservative: only regions the docs list).
        source: Upstream document the facts come from.
        workload_policy: True when GKE builds a multi-host slice of this version from a workload policy (a resource
            policy with the slice's accelerator topology, given as the node pool's ``--placement-policy``) instead of
            ``placement_policy.tpu_topology`` (TPU7x: GKE 'About Ironwood (TPU7x) in GKE'). Default: False.
        whole_host: True when a pod on a single host requests every chip of it, whatever its TP (TPU7x: every llm-d v7
            overlay requests ``google.com/tpu: 4`` on a ``2x2x1`` host, at TP 8 in ``optimized-baseline`` and at TP 4
            in ``multimodal-serving/aggregation/modelserver/tpu/v7``, where vLLM uses 4 of the host's 8 TensorCores).
            Default: False (a pod requests the chips its TP x PP needs).
    """

    accelerator_label: str
    chips_per_host: int
    topologies: tuple[str, ...]
    regions: tuple[str, ...]
    source: str
    workload_policy: bool = False
    whole_host: bool = False


@dataclass(frozen=True)
class MachineShape:
    """One node shape (VM / instance type) on one cloud.

    Attributes:
        cloud: The cloud offering it.
        machine_type: The cloud's machine/instance type name (``a3-highgpu-8g``, ``p5.48xlarge``).
        accelerator: The device the node carries.
        accelerator_count: Devices per node (TPU: chips per VM).
        vcpus: vCPUs of one node.
        memory_gib: Host memory of one node, GiB.
        rdma: The GPU-to-GPU fabric across nodes.
        rdma_nics: NICs dedicated to that fabric (GKE: GPU NICs; AWS: EFA interfaces), 0 without one.
        efa_interfaces: AWS: maximum EFA interfaces (one per network card); 0 on GCP.
        network_cards: AWS: physical network cards; GCP: physical NICs including the general-purpose gVNICs.
        mtu: MTU of the RDMA/GPU networks where the fabric fixes it (RoCE 8896, TCPX/TCPXO 8244), else
            ``None``.
        tpu: TPU facts for TPU machine types, ``None`` for GPUs.
        source: Upstream documents the facts come from.
        local_ssd_count: Local NVMe SSDs (GCE Local SSD / Titanium SSD, EC2 instance-store volumes) the machine
            type carries, 0 when none is bundled (default 0).
        local_ssd_gib: Their total capacity, GiB (GCE: 375 GiB per disk; EC2: the documented decimal TB converted
            to GiB, rounded down), 0 when none (default 0).
        consumption: The consumption options the cloud offers for the machine type, a subset of
            :data:`CONSUMPTION_OPTIONS` (default ``{"on-demand"}``, what a hand-described node of an existing
            cluster is).
    """

    cloud: Cloud
    machine_type: str
    accelerator: Accelerator
    accelerator_count: int
    vcpus: int
    memory_gib: int
    rdma: RdmaKind
    rdma_nics: int
    efa_interfaces: int
    network_cards: int
    mtu: int | None
    tpu: TpuShape | None
    source: str
    local_ssd_count: int = 0
    local_ssd_gib: int = 0
    consumption: frozenset[str] = frozenset({"on-demand"})

    def __post_init__(self) -> None:
        problems: list[str] = []
        if (self.local_ssd_count == 0) != (self.local_ssd_gib == 0) or min(
            self.local_ssd_count, self.local_ssd_gib
        ) < 0:
            problems.append("local_ssd_count and local_ssd_gib must both be 0 or both be positive")
        if not self.consumption or not self.consumption <= set(CONSUMPTION_OPTIONS):
            problems.append(f"consumption must be a non-empty subset of {', '.join(CONSUMPTION_OPTIONS)}")
        if min(self.accelerator_count, self.vcpus, self.memory_gib, self.network_cards) < 1:
            problems.append("accelerator_count, vcpus, memory_gib and network_cards must be positive")
        if (self.rdma is RdmaKind.NONE) != (self.rdma_nics == 0):
            problems.append("rdma_nics must be 0 exactly when rdma is NONE")
        if (self.rdma is RdmaKind.EFA) != (self.efa_interfaces > 0):
            problems.append("efa_interfaces must be > 0 exactly when rdma is EFA")
        if (self.accelerator.kind is AcceleratorKind.TPU) != (self.tpu is not None):
            problems.append("tpu must be set exactly for TPU accelerators")
        if self.tpu is not None and (
            self.tpu.chips_per_host != self.accelerator_count or self.tpu.accelerator_label != self.accelerator.name
        ):
            problems.append("tpu.chips_per_host / accelerator_label disagree with the accelerator fields")
        if problems:
            raise ValueError(f"catalog entry {self.cloud}/{self.machine_type}: " + "; ".join(problems))

    @property
    def vllm_devices(self) -> int:
        """Devices vLLM sees on one node, the unit of TP x PP: ``accelerator_count x
        accelerator.vllm_devices_per_chip`` (tpu7x-standard-4t: 4 chips x 2 TensorCores = 8; else the device count)."""
        return self.accelerator_count * self.accelerator.vllm_devices_per_chip

    def chips_for(self, devices: int) -> int:
        """Accelerators (the device plugin's unit: GPUs, TPU chips) a pod of ``devices`` vLLM devices requests:
        ``ceil(devices / vllm_devices_per_chip)``, and at least the whole host on a :attr:`TpuShape.whole_host`
        machine (TPU7x: TP 4 or TP 8 both request ``google.com/tpu: 4``). A multi-host slice's ``devices`` give its
        chips (TPU7x ``2x2x2``: 16 devices -> 8 chips). Equal to ``devices`` on every other shape."""
        chips = -(-max(1, devices) // self.accelerator.vllm_devices_per_chip)
        if self.tpu is not None and self.tpu.whole_host:
            chips = max(chips, self.accelerator_count)
        return chips

    def pods_per_node(self, devices: int) -> int:
        """Pods of ``devices`` vLLM devices one node holds: ``accelerator_count // chips_for(devices)``, at least 1."""
        return max(1, self.accelerator_count // self.chips_for(devices))

    @property
    def total_accelerator_memory_gib(self) -> int:
        """Accelerator memory of the whole node, GiB (``accelerator.memory_gib * accelerator_count``)."""
        return self.accelerator.memory_gib * self.accelerator_count


# --- sources ------------------------------------------------------------------------------------------------

_SRC_GCE_GPUS = "Compute Engine GPU machine types docs (cloud.google.com/compute/docs/gpus)"
_SRC_GCE_GPU_NET = (
    "Compute Engine 'Networking and GPU machines' NIC arrangement (cloud.google.com/compute/docs/gpus/"
    "gpu-network-bandwidth)"
)
_SRC_TOOLKIT_GPU = "GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool (gpu_definition.tf)"
_SRC_TOOLKIT_DIRECT = (
    "GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool (gpu_direct.tf: min_additional_networks)"
)
_SRC_TCPX = (
    "GKE 'Maximize GPU network bandwidth with GPUDirect-TCPX and multi-networking' "
    "(cloud.google.com/kubernetes-engine/docs/how-to/gpu-bandwidth-gpudirect-tcpx)"
)
_SRC_TCPXO = "GoogleCloudPlatform/cluster-toolkit examples/gke-a3-megagpu/gke-a3-megagpu.yaml (8 gpunets, mtu 8244)"
_SRC_ROCE = (
    "GKE 'Maximize GPU network bandwidth in Standard mode clusters' for A3 Ultra/A4 "
    "(GPUDirect RDMA: RDMA VPC with network profile {zone}-vpc-roce, 8 subnets, MRDMA NICs, mtu 8896); "
    "GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool and modules/scheduler/gke-cluster"
)
_SRC_TPU_TOOLKIT = (
    "GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool (tpu_accelerator_map, tpu_chip_count_map)"
)
_SRC_GKE_TPU = "GKE 'Plan TPUs in GKE' (cloud.google.com/kubernetes-engine/docs/concepts/plan-tpus)"
_SRC_TPU_REGIONS = "Cloud TPU regions and zones (cloud.google.com/tpu/docs/regions-zones)"
_SRC_AWS_AC = "AWS EC2 accelerated computing instance types (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html)"
_SRC_AWS_EFA = (
    "AWS EC2 user guide 'Maximize network bandwidth on Amazon EC2 instances with multiple network cards' "
    "(docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html)"
)
_SRC_EKS = "terraform-aws-modules/terraform-aws-eks, pulumi/pulumi-eks, awslabs/ai-on-eks (EFA node groups)"


def _src(*parts: str) -> str:
    return "; ".join(parts)


# --- accelerators -------------------------------------------------------------------------------------------

_NVIDIA_GPU = "nvidia.com/gpu"
_GOOGLE_TPU = "google.com/tpu"
_AMD_GPU = "amd.com/gpu"
_INTEL_GPU_I915 = "gpu.intel.com/i915"

#: Every extended resource that hands a container whole accelerators through a device plugin, by vendor: what the
#: first-deploy twin counts as devices (the policy packs keep their own copy, ``policies/graph.py``
#: ``ACCELERATOR_RESOURCES``, which may not import the components; a test keeps the two equal). Sources: NVIDIA
#: k8s-device-plugin; AMD ROCm k8s-device-plugin (``amd.com/gpu``); Intel device plugins for Kubernetes, GPU plugin
#: (``gpu.intel.com/i915`` and, with the Xe kernel driver, ``gpu.intel.com/xe``); Intel Gaudi base operator
#: (``habana.ai/gaudi``); GKE TPU device plugin; AWS Neuron device plugin (FACTS "AMD and other accelerators").
ACCELERATOR_RESOURCE_NAMES: tuple[str, ...] = (
    _NVIDIA_GPU,
    _AMD_GPU,
    _GOOGLE_TPU,
    _INTEL_GPU_I915,
    "gpu.intel.com/xe",
    "habana.ai/gaudi",
    "aws.amazon.com/neuron",
    "aws.amazon.com/neuroncore",
)

_SRC_AMD_MI300X = (
    "AMD Instinct MI300X: 192 GB HBM3, 5.3 TB/s, 8 per node (MLCommons v4.1 system description 'AMD Instinct "
    "MI300X-NPS1-SPX-192GB-750W'; Azure ND MI300X v5 docs: 8 x MI300X with 192 GB each); resource amd.com/gpu "
    "(ROCm k8s-device-plugin; llm-d optimized-baseline/modelserver/amd/vllm/base/patch-vllm.yaml @ d557f83e)"
)
_SRC_AMD_MI325X = (
    "AMD Instinct MI325X: 256 GB HBM3E, 6.0 TB/s (third-party: Vultr docs, FACTS 'AMD and other accelerators'); "
    "resource amd.com/gpu (ROCm k8s-device-plugin)"
)
_SRC_INTEL_XPU = (
    "Intel Data Center / Arc Pro GPUs (XPU): resource gpu.intel.com/i915, or gpu.intel.com/xe with the Xe kernel "
    "driver (intel.github.io/intel-device-plugins-for-kubernetes, gpu_plugin README); memory depends on the product "
    "(0: unknown, the weight-fit check is skipped); llm-d's guides claim it through DRA device class gpu.intel.com "
    "(optimized-baseline/modelserver/xpu/vllm/resource-claim-template.yaml @ d557f83e)"
)
_SRC_CPU = (
    "vLLM CPU backend on ordinary nodes: llm-d optimized-baseline/modelserver/cpu/vllm/patch-vllm.yaml @ d557f83e "
    "(64 CPU / 64Gi per server, no device resource)"
)

#: The pseudo-accelerator of CPU-only serving (``accelerator: cpu`` on an existing cluster's pool): no device, no
#: extended resource; ``devicesPerNode`` then counts the model servers one node holds.
CPU: Accelerator = Accelerator("cpu", "CPU (vLLM CPU backend)", AcceleratorKind.CPU, "", 0, "", _SRC_CPU)


def _gpu(name: str, display: str, memory_gib: int, source: str) -> Accelerator:
    return Accelerator(name, display, AcceleratorKind.GPU, "nvidia", memory_gib, _NVIDIA_GPU, source)


def _tpu_chip(name: str, display: str, memory_gib: int, source: str, devices_per_chip: int = 1) -> Accelerator:
    return Accelerator(name, display, AcceleratorKind.TPU, "google", memory_gib, _GOOGLE_TPU, source, devices_per_chip)


_ACCELERATOR_TABLE: tuple[Accelerator, ...] = (
    _gpu("nvidia-h100-80gb", "NVIDIA H100 80GB", 80, _src(_SRC_GCE_GPUS, _SRC_TOOLKIT_GPU, _SRC_AWS_AC)),
    _gpu("nvidia-h100-mega-80gb", "NVIDIA H100 Mega 80GB", 80, _src(_SRC_GCE_GPUS, _SRC_TCPXO)),
    _gpu("nvidia-h200-141gb", "NVIDIA H200 141GB", 141, _src(_SRC_GCE_GPUS, _SRC_AWS_AC)),
    _gpu("nvidia-b200", "NVIDIA B200 180GB", 180, _src(_SRC_GCE_GPUS, "GKE A4 accelerator type nvidia-b200")),
    _gpu("nvidia-l4", "NVIDIA L4 24GB", 24, _src(_SRC_GCE_GPUS, _SRC_TOOLKIT_GPU)),
    # GKE spells the 40 GB A100 "nvidia-tesla-a100"; AWS p4d carries the same A100 40GB SXM part.
    _gpu("nvidia-tesla-a100", "NVIDIA A100 40GB", 40, _src(_SRC_AWS_AC, _SRC_TOOLKIT_GPU)),
    _gpu("nvidia-l40s", "NVIDIA L40S 48GB", 48, _SRC_AWS_AC),
    _tpu_chip(
        "tpu-v5-lite-podslice",
        "Google Cloud TPU v5e",
        16,
        _src("Cloud TPU v5e docs (cloud.google.com/tpu/docs/v5e: 16 GB HBM2 per chip)", _SRC_TPU_TOOLKIT),
    ),
    _tpu_chip(
        "tpu-v5p-slice",
        "Google Cloud TPU v5p",
        95,
        _src("Cloud TPU v5p docs (cloud.google.com/tpu/docs/v5p: 95 GB HBM2e per chip)", _SRC_TPU_TOOLKIT),
    ),
    _tpu_chip(
        "tpu-v6e-slice",
        "Google Cloud TPU v6e (Trillium)",
        32,
        _src("Cloud TPU v6e docs (cloud.google.com/tpu/docs/v6e: 32 GB HBM per chip)", _SRC_TPU_TOOLKIT),
    ),
    _tpu_chip(
        "tpu7x",
        "Google Cloud TPU7x (Ironwood)",
        192,
        _src(
            "Cloud TPU7x docs (docs.cloud.google.com/tpu/docs/tpu7x: 192 GiB HBM per chip, two TensorCores per chip)",
            "GKE 'About Ironwood (TPU7x) in GKE' (docs.cloud.google.com/kubernetes-engine/docs/concepts/tpu-ironwood)",
            "llm-d optimized-baseline/modelserver/tpu/v7/vllm/patch-vllm.yaml (--tensor-parallel-size=8 on 4 chips: "
            "each TensorCore is a vLLM device)",
        ),
        devices_per_chip=2,
    ),
    # Devices no cloud target of ours offers: existing clusters name them with ``accelerator`` (the pool describes its
    # nodes: devicesPerNode, vcpus, memoryGib).
    Accelerator(
        "amd-instinct-mi300x", "AMD Instinct MI300X 192GB", AcceleratorKind.GPU, "amd", 192, _AMD_GPU, _SRC_AMD_MI300X
    ),
    Accelerator(
        "amd-instinct-mi325x", "AMD Instinct MI325X 256GB", AcceleratorKind.GPU, "amd", 256, _AMD_GPU, _SRC_AMD_MI325X
    ),
    Accelerator(
        "intel-xpu", "Intel Data Center GPU (XPU)", AcceleratorKind.GPU, "intel", 0, _INTEL_GPU_I915, _SRC_INTEL_XPU
    ),
    CPU,
)

#: Every accelerator by canonical name.
ACCELERATORS: Mapping[str, Accelerator] = MappingProxyType({a.name: a for a in _ACCELERATOR_TABLE})

#: Short or legacy spellings the lookup functions accept, mapped to the canonical :attr:`Accelerator.name`.
ACCELERATOR_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "nvidia-h100": "nvidia-h100-80gb",
        "nvidia-h200": "nvidia-h200-141gb",
        "nvidia-a100": "nvidia-tesla-a100",
        "nvidia-a100-40gb": "nvidia-tesla-a100",
        "tpu-v5e": "tpu-v5-lite-podslice",
        # One cluster-toolkit file spells the v5e label "tpu-v5e-slice"; GKE nodes carry tpu-v5-lite-podslice.
        "tpu-v5e-slice": "tpu-v5-lite-podslice",
        "tpu-v5p": "tpu-v5p-slice",
        "tpu-v6e": "tpu-v6e-slice",
        "tpu-v7": "tpu7x",
        "tpu-v7x": "tpu7x",
        "ironwood": "tpu7x",
        "amd-mi300x": "amd-instinct-mi300x",
        "mi300x": "amd-instinct-mi300x",
        "amd-mi325x": "amd-instinct-mi325x",
        "mi325x": "amd-instinct-mi325x",
        "intel-gpu": "intel-xpu",
    }
)

_A = ACCELERATORS

# --- GKE GPU machine shapes ---------------------------------------------------------------------------------


#: GCE Local SSD disk size, GiB ("each Local SSD disk is 375 GiB", Compute Engine "About Local SSD disks").
GCE_LOCAL_SSD_DISK_GIB = 375

_SRC_GCE_LSSD = (
    "Compute Engine accelerator-optimized machine family tables, 'Attached Local SSD' column "
    "(cloud.google.com/compute/docs/accelerator-optimized-machines: a3-highgpu-8g / a3-megagpu-8g 6,000 GiB = 16 x "
    "375 GiB, a3-ultragpu-8g / a4-highgpu-8g 12,000 GiB = 32 x 375 GiB Titanium SSD; G2 bundles none); "
    "GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool/disk_definitions.tf (a3-ultragpu-8g: "
    "local_ssd_count_ephemeral_storage = 32; a3-highgpu-8g / a3-megagpu-8g: 16 local SSDs)"
)
_SRC_GCE_CONSUMPTION = (
    "Compute Engine 'Accelerator-optimized machine family' consumption-option table and GKE 'About GPU "
    "obtainability' (cloud.google.com/kubernetes-engine/docs/concepts/gpu-obtainability): A3 Ultra and A4 are "
    "offered through reservations (incl. future reservations in calendar mode), flex-start and Spot, not on-demand; "
    "A3 High / A3 Mega / G2 also on-demand; GKE 'About flex-start provisioning mode' "
    "(cloud.google.com/kubernetes-engine/docs/concepts/dws)"
)
_GCE_ALL: frozenset[str] = frozenset({"on-demand", "spot", "reservation", "flex-start"})
_GCE_NO_ON_DEMAND: frozenset[str] = frozenset({"spot", "reservation", "flex-start"})
#: Local SSDs bundled with GKE GPU machine types (count of 375 GiB disks) and the consumption options offered.
_GKE_GPU_EXTRAS: Mapping[str, tuple[int, frozenset[str]]] = {
    "a3-highgpu-8g": (16, _GCE_ALL),
    "a3-megagpu-8g": (16, _GCE_ALL),
    "a3-ultragpu-8g": (32, _GCE_NO_ON_DEMAND),
    "a4-highgpu-8g": (32, _GCE_NO_ON_DEMAND),
}


def _gke_gpu(
    machine_type: str,
    accelerator_name: str,
    count: int,
    vcpus: int,
    memory_gib: int,
    rdma: RdmaKind,
    rdma_nics: int,
    nics: int,
    mtu: int | None,
    source: str,
) -> MachineShape:
    ssds, consumption = _GKE_GPU_EXTRAS.get(machine_type, (0, _GCE_ALL))
    return MachineShape(
        cloud=Cloud.GCP,
        machine_type=machine_type,
        accelerator=_A[accelerator_name],
        accelerator_count=count,
        vcpus=vcpus,
        memory_gib=memory_gib,
        rdma=rdma,
        rdma_nics=rdma_nics,
        efa_interfaces=0,
        network_cards=nics,
        mtu=mtu,
        tpu=None,
        source=_src(source, _SRC_GCE_LSSD, _SRC_GCE_CONSUMPTION),
        local_ssd_count=ssds,
        local_ssd_gib=ssds * GCE_LOCAL_SSD_DISK_GIB,
        consumption=consumption,
    )


_R = RdmaKind
_SRC_GKE_GPU = _src(_SRC_GCE_GPUS, _SRC_GCE_GPU_NET, _SRC_TOOLKIT_GPU)
_SRC_A3_HIGH = _src(_SRC_GKE_GPU, _SRC_TCPX, _SRC_TOOLKIT_DIRECT)
_SRC_A3_MEGA = _src(_SRC_GKE_GPU, _SRC_TCPXO, _SRC_TOOLKIT_DIRECT)
_SRC_A3_ULTRA_A4 = _src(_SRC_GKE_GPU, _SRC_ROCE)
_SRC_G2 = _src(_SRC_GCE_GPUS, _SRC_TOOLKIT_GPU)

# (machine type, accelerator, count, vCPUs, host GiB, fabric, fabric NICs, physical NICs, MTU, source)
_GKE_A_SERIES: tuple[tuple[str, str, int, int, int, RdmaKind, int, int, int | None, str], ...] = (
    # A3 High: 1 gVNIC + 4 GPU NICs (GPUDirect-TCPX, 4 extra VPCs, mtu 8244), 1,000 Gbps.
    ("a3-highgpu-8g", "nvidia-h100-80gb", 8, 208, 1872, _R.GPUDIRECT_TCPX, 4, 5, 8244, _SRC_A3_HIGH),
    # A3 Mega: 1 gVNIC + 8 GPU NICs (GPUDirect-TCPXO, 8 extra VPCs, mtu 8244), 1,800 Gbps.
    ("a3-megagpu-8g", "nvidia-h100-mega-80gb", 8, 208, 1872, _R.GPUDIRECT_TCPXO, 8, 9, 8244, _SRC_A3_MEGA),
    # A3 Ultra / A4: 2 gVNICs + 8 CX-7 RDMA NICs (RoCE, mtu 8896), 3,600 Gbps.
    ("a3-ultragpu-8g", "nvidia-h200-141gb", 8, 224, 2952, _R.ROCE, 8, 10, 8896, _SRC_A3_ULTRA_A4),
    ("a4-highgpu-8g", "nvidia-b200", 8, 224, 3968, _R.ROCE, 8, 10, 8896, _SRC_A3_ULTRA_A4),
)

# G2 (NVIDIA L4): (vCPUs, GPUs); 4 GB of host memory per vCPU; one gVNIC, no GPU fabric.
_G2_SIZES = ((4, 1), (8, 1), (12, 1), (16, 1), (24, 2), (32, 1), (48, 4), (96, 8))  # fmt: skip

_GKE_GPU_MACHINES: tuple[MachineShape, ...] = (
    *(_gke_gpu(*row) for row in _GKE_A_SERIES),
    *(
        _gke_gpu(f"g2-standard-{cpu}", "nvidia-l4", n, cpu, 4 * cpu, _R.NONE, 0, 1, None, _SRC_G2)
        for cpu, n in _G2_SIZES
    ),
)

# --- GKE TPU machine shapes ---------------------------------------------------------------------------------

_V5E_TOPOLOGIES_4T = ("2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16")
_V6E_TOPOLOGIES_4T = ("2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16")
_V5P_TOPOLOGIES_4T = (
    "2x2x1", "2x2x2", "2x2x4", "2x4x4", "4x4x4", "4x4x8",
    "4x8x8", "8x8x8", "8x8x16", "8x16x16", "16x16x16", "16x16x24",
)  # fmt: skip

# Conservative: regions the Cloud TPU availability page lists for each version.
_V5E_REGIONS = ("europe-west4", "us-central1", "us-south1", "us-west1", "us-west4")
_V5P_REGIONS = ("europe-west4", "us-central1", "us-east5")
_V6E_REGIONS = (
    "asia-northeast1", "europe-west4", "southamerica-west1", "us-central1", "us-east1", "us-east5",
)  # fmt: skip

_SRC_V5E = _src(
    "Cloud TPU v5e docs (cloud.google.com/tpu/docs/v5e: VM types ct5lp-hightpu-1t/4t/8t = 24/112/224 vCPUs, "
    "48/192/384 GB; slice shapes 1x1..16x16)",
    _SRC_GKE_TPU,
    _SRC_TPU_TOOLKIT,
    _SRC_TPU_REGIONS,
)
_SRC_V5P = _src(
    "Cloud TPU v5p docs (cloud.google.com/tpu/docs/v5p: 4-chip VM 208 vCPUs, 448 GB; slice shapes 2x2x1..16x16x24)",
    "Compute Engine TPU machine types ct5p-hightpu-1t/2t (52/104 vCPUs, 112/224 GB)",
    _SRC_GKE_TPU,
    _SRC_TPU_TOOLKIT,
    _SRC_TPU_REGIONS,
)
_SRC_V6E = _src(
    "Cloud TPU v6e docs (cloud.google.com/tpu/docs/v6e: ct6e-standard-1t/4t/8t = 44/180/180 vCPUs, "
    "176/720/1440 GiB; the GKE plan-tpus table lists 448 GiB for ct6e-standard-1t, "
    "the smaller figure is kept)",
    _SRC_GKE_TPU,
    _SRC_TPU_TOOLKIT,
    _SRC_TPU_REGIONS,
)

# TPU7x (Ironwood): one machine type, 4 chips per VM. Topologies: 2x2x1 is the single-host node (llm-d
# optimized-baseline/modelserver/tpu/v7/vllm/patch-vllm.yaml), 2x2x2 the 2-host slice llm-d's TPU7x multi-host guide
# serves (optimized-baseline/modelserver/tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml); larger slices are not listed.
_V7_TOPOLOGIES_4T = ("2x2x1", "2x2x2")
_V7_REGIONS = ("us-central1",)
_SRC_V7 = _src(
    "Cloud TPU7x docs (docs.cloud.google.com/tpu/docs/tpu7x: 4-chip VM 224 vCPUs, 960 GB RAM = 894 GiB)",
    "GKE 'About Ironwood (TPU7x) in GKE' (4 chips and 2 NICs per VM, 2 NUMA nodes; GKE >= 1.34.0-gke.2201000; "
    "multi-host node pools take a workload policy through --placement-policy instead of --tpu-topology)",
    "Cloud TPU regions and zones (docs.cloud.google.com/tpu/docs/regions-zones: TPU7x in us-central1-c and "
    "us-central1-ai1a)",
    "consumption options assumed as for the other Cloud TPU versions (not confirmed for TPU7x)",
)

# (machine type, accelerator label, chips per VM, vCPUs, host GiB, topologies, regions, source)
_GKE_TPU_TABLE: tuple[tuple[str, str, int, int, int, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("ct5lp-hightpu-1t", "tpu-v5-lite-podslice", 1, 24, 48, ("1x1",), _V5E_REGIONS, _SRC_V5E),
    ("ct5lp-hightpu-4t", "tpu-v5-lite-podslice", 4, 112, 192, _V5E_TOPOLOGIES_4T, _V5E_REGIONS, _SRC_V5E),
    ("ct5lp-hightpu-8t", "tpu-v5-lite-podslice", 8, 224, 384, ("2x4",), _V5E_REGIONS, _SRC_V5E),
    # 1- and 2-chip v5p VMs are single-host only; their topology strings are not confirmed by the docs.
    ("ct5p-hightpu-1t", "tpu-v5p-slice", 1, 52, 112, ("1x1x1",), _V5P_REGIONS, _SRC_V5P),
    ("ct5p-hightpu-2t", "tpu-v5p-slice", 2, 104, 224, ("2x1x1",), _V5P_REGIONS, _SRC_V5P),
    ("ct5p-hightpu-4t", "tpu-v5p-slice", 4, 208, 448, _V5P_TOPOLOGIES_4T, _V5P_REGIONS, _SRC_V5P),
    ("ct6e-standard-1t", "tpu-v6e-slice", 1, 44, 176, ("1x1",), _V6E_REGIONS, _SRC_V6E),
    ("ct6e-standard-4t", "tpu-v6e-slice", 4, 180, 720, _V6E_TOPOLOGIES_4T, _V6E_REGIONS, _SRC_V6E),
    ("ct6e-standard-8t", "tpu-v6e-slice", 8, 180, 1440, ("2x4",), _V6E_REGIONS, _SRC_V6E),
    ("tpu7x-standard-4t", "tpu7x", 4, 224, 894, _V7_TOPOLOGIES_4T, _V7_REGIONS, _SRC_V7),
)

_GKE_TPU_MACHINES: tuple[MachineShape, ...] = tuple(
    MachineShape(
        cloud=Cloud.GCP,
        machine_type=mt,
        accelerator=_A[label],
        accelerator_count=chips,
        vcpus=cpu,
        memory_gib=mem,
        rdma=RdmaKind.NONE,
        rdma_nics=0,
        efa_interfaces=0,
        network_cards=1,
        mtu=None,
        tpu=TpuShape(
            label, chips, topologies, regions, src, workload_policy=label == "tpu7x", whole_host=label == "tpu7x"
        ),
        source=_src(src, _SRC_GCE_CONSUMPTION),
        consumption=_GCE_ALL,
    )
    for mt, label, chips, cpu, mem, topologies, regions, src in _GKE_TPU_TABLE
)

# --- EKS instance types -------------------------------------------------------------------------------------

_SRC_AWS_STORE = (
    "AWS EC2 instance types, instance store volumes (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html "
    "'Instance store specifications': p4d.24xlarge 8 x 1,000 GB, p5/p5e/p5en.48xlarge 8 x 3,840 GB NVMe SSD, g6e "
    "250 / 450 / 600 / 900 GB, 2 x 1,900 GB on 12xlarge and 24xlarge, 1,900 GB on 16xlarge, 4 x 1,900 GB on 48xlarge)"
)
_SRC_AWS_CONSUMPTION = (
    "EC2 Capacity Blocks for ML supported instance types (docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
    "ec2-capacity-blocks.html: p4d, p5, p5e, p5en); EKS managed node group capacity types ON_DEMAND, SPOT, "
    "CAPACITY_BLOCK"
)
#: Bytes in the decimal GB AWS documents instance-store sizes in, over a GiB.
_GB_PER_GIB = 2**30 / 10**9
_AWS_ALL: frozenset[str] = frozenset({"on-demand", "spot", "capacity-block"})
_AWS_NO_BLOCKS: frozenset[str] = frozenset({"on-demand", "spot"})
#: Instance-store NVMe volumes: (count, GB per volume), and whether Capacity Blocks sell the type.
_EKS_EXTRAS: Mapping[str, tuple[int, int, frozenset[str]]] = {
    "p4d.24xlarge": (8, 1000, _AWS_ALL),
    "p5.48xlarge": (8, 3840, _AWS_ALL),
    "p5e.48xlarge": (8, 3840, _AWS_ALL),
    "p5en.48xlarge": (8, 3840, _AWS_ALL),
    "g6e.xlarge": (1, 250, _AWS_NO_BLOCKS),
    "g6e.2xlarge": (1, 450, _AWS_NO_BLOCKS),
    "g6e.4xlarge": (1, 600, _AWS_NO_BLOCKS),
    "g6e.8xlarge": (1, 900, _AWS_NO_BLOCKS),
    "g6e.12xlarge": (2, 1900, _AWS_NO_BLOCKS),
    "g6e.16xlarge": (1, 1900, _AWS_NO_BLOCKS),
    "g6e.24xlarge": (2, 1900, _AWS_NO_BLOCKS),
    "g6e.48xlarge": (4, 1900, _AWS_NO_BLOCKS),
}

# (instance type, accelerator, GPUs, vCPUs, host GiB, max EFA interfaces, network cards)
_EKS_TABLE: tuple[tuple[str, str, int, int, int, int, int], ...] = (
    ("p4d.24xlarge", "nvidia-tesla-a100", 8, 96, 1152, 4, 4),
    ("p5.48xlarge", "nvidia-h100-80gb", 8, 192, 2048, 32, 32),
    ("p5e.48xlarge", "nvidia-h200-141gb", 8, 192, 2048, 32, 32),
    ("p5en.48xlarge", "nvidia-h200-141gb", 8, 192, 2048, 16, 16),  # EFAv3
    # G6e (L40S): EFA from 8xlarge up (one per network card); the smaller sizes have none.
    ("g6e.xlarge", "nvidia-l40s", 1, 4, 32, 0, 1),
    ("g6e.2xlarge", "nvidia-l40s", 1, 8, 64, 0, 1),
    ("g6e.4xlarge", "nvidia-l40s", 1, 16, 128, 0, 1),
    ("g6e.8xlarge", "nvidia-l40s", 1, 32, 256, 1, 1),
    ("g6e.12xlarge", "nvidia-l40s", 4, 48, 384, 1, 1),
    ("g6e.16xlarge", "nvidia-l40s", 1, 64, 512, 1, 1),
    ("g6e.24xlarge", "nvidia-l40s", 4, 96, 768, 2, 2),
    ("g6e.48xlarge", "nvidia-l40s", 8, 192, 1536, 4, 4),
)

_EKS_MACHINES: tuple[MachineShape, ...] = tuple(
    MachineShape(
        cloud=Cloud.AWS,
        machine_type=it,
        accelerator=_A[acc],
        accelerator_count=n,
        vcpus=cpu,
        memory_gib=mem,
        rdma=RdmaKind.EFA if efa else RdmaKind.NONE,
        rdma_nics=efa,
        efa_interfaces=efa,
        network_cards=cards,
        mtu=None,
        tpu=None,
        source=_src(_SRC_AWS_AC, _SRC_AWS_EFA, _SRC_EKS, _SRC_AWS_STORE, _SRC_AWS_CONSUMPTION)
        if efa
        else _src(_SRC_AWS_AC, _SRC_AWS_STORE, _SRC_AWS_CONSUMPTION),
        local_ssd_count=_EKS_EXTRAS[it][0],
        local_ssd_gib=int(_EKS_EXTRAS[it][0] * _EKS_EXTRAS[it][1] / _GB_PER_GIB),
        consumption=_EKS_EXTRAS[it][2],
    )
    for it, acc, n, cpu, mem, efa, cards in _EKS_TABLE
)


def _index(shapes: Iterable[MachineShape]) -> dict[tuple[Cloud, str], MachineShape]:
    table: dict[tuple[Cloud, str], MachineShape] = {}
    for shape in shapes:
        key = (shape.cloud, shape.machine_type)
        if key in table:
            raise ValueError(f"duplicate catalog entry {shape.cloud}/{shape.machine_type}")
        table[key] = shape
    return table


#: Every machine shape by ``(cloud, machine_type)``.
MACHINES: Mapping[tuple[Cloud, str], MachineShape] = MappingProxyType(
    _index((*_GKE_GPU_MACHINES, *_GKE_TPU_MACHINES, *_EKS_MACHINES))
)

#: Among shapes with the same accelerator and count, these win the default in :func:`machine_for_accelerator`
#: (p5en is the H200 shape the llm-d P/D guide uses on EKS).
_PREFERRED: frozenset[tuple[Cloud, str]] = frozenset({(Cloud.AWS, "p5en.48xlarge")})


# --- lookups ------------------------------------------------------------------------------------------------


def _cloud(cloud: Cloud | str) -> Cloud:
    if isinstance(cloud, Cloud):
        return cloud
    try:
        return Cloud(str(cloud).lower())
    except ValueError:
        raise CatalogError(f"unknown cloud {cloud!r}; known: {', '.join(c.value for c in Cloud)}") from None


def _canonical(name: str) -> str:
    return ACCELERATOR_ALIASES.get(name, name)


def machines(cloud: Cloud | str) -> list[MachineShape]:
    """All machine shapes the catalog knows on ``cloud``.

    Args:
        cloud: A :class:`Cloud` or its value (``"gcp"``, ``"aws"``; case-insensitive).

    Returns:
        The shapes, sorted by ``machine_type``.

    Raises:
        CatalogError: ``cloud`` is not a known cloud.
    """
    c = _cloud(cloud)
    return sorted((s for s in MACHINES.values() if s.cloud is c), key=lambda s: s.machine_type)


def machine(cloud: Cloud | str, machine_type: str) -> MachineShape:
    """The shape of ``machine_type`` on ``cloud``.

    Args:
        cloud: A :class:`Cloud` or its value.
        machine_type: The cloud's machine/instance type name, e.g. ``"a3-highgpu-8g"``, ``"p5.48xlarge"``.

    Raises:
        CatalogError: Unknown cloud, or a machine type the catalog does not have on that cloud; the
            message lists the machine types it has there, e.g.
            ``unknown machine type 'x' on gcp; known: a3-highgpu-8g, ...``.
    """
    c = _cloud(cloud)
    shape = MACHINES.get((c, machine_type))
    if shape is None:
        known = ", ".join(s.machine_type for s in machines(c))
        raise CatalogError(f"unknown machine type {machine_type!r} on {c}; known: {known}")
    return shape


def accelerator(name: str) -> Accelerator:
    """The accelerator called ``name`` (canonical name or an :data:`ACCELERATOR_ALIASES` spelling).

    Raises:
        CatalogError: No such accelerator; the message lists the canonical names.
    """
    acc = ACCELERATORS.get(_canonical(name))
    if acc is None:
        raise CatalogError(f"unknown accelerator {name!r}; known: {', '.join(sorted(ACCELERATORS))}")
    return acc


def accelerators(cloud: Cloud | str) -> list[Accelerator]:
    """The accelerators at least one machine shape on ``cloud`` carries, sorted by name.

    Raises:
        CatalogError: ``cloud`` is not a known cloud.
    """
    found = {s.accelerator.name: s.accelerator for s in machines(cloud)}
    return [found[n] for n in sorted(found)]


def clouds_offering(accelerator_name: str) -> list[Cloud]:
    """The clouds with at least one machine shape carrying ``accelerator_name``, in :class:`Cloud` order.

    Raises:
        CatalogError: ``accelerator_name`` is not a known accelerator.
    """
    name = accelerator(accelerator_name).name
    offering = {s.cloud for s in MACHINES.values() if s.accelerator.name == name}
    return [c for c in Cloud if c in offering]


def _default_rank(shape: MachineShape) -> tuple[int, bool, int, str]:
    preferred = (shape.cloud, shape.machine_type) in _PREFERRED
    return (shape.accelerator_count, not preferred, shape.vcpus, shape.machine_type)


def machine_for_accelerator(cloud: Cloud | str, accelerator_name: str, count: int | None = None) -> MachineShape:
    """The default machine shape for ``count`` devices of ``accelerator_name`` per node on ``cloud``.

    Among matching shapes the one with the fewest devices wins (when ``count`` is ``None``), then a shape the
    catalog prefers for that accelerator (EKS H200: ``p5en.48xlarge``), then the fewest vCPUs, then the name.
    Examples: ``(gcp, "nvidia-h100-80gb")`` -> ``a3-highgpu-8g``; ``(gcp, "nvidia-l4", 2)`` ->
    ``g2-standard-24``; ``(gcp, "nvidia-l4")`` -> ``g2-standard-4``; ``(aws, "nvidia-l40s", 4)`` ->
    ``g6e.12xlarge``; ``(aws, "nvidia-h200-141gb")`` -> ``p5en.48xlarge``.

    Args:
        cloud: A :class:`Cloud` or its value.
        accelerator_name: Canonical accelerator name or an alias (``"nvidia-h100"``).
        count: Devices per node (TPU: chips per VM). Default: None (the shape with the fewest devices).

    Raises:
        CatalogError: Unknown cloud; the accelerator is not offered on that cloud (the message lists
            what that cloud offers and which clouds offer it, e.g. ``accelerator 'nvidia-b200' is not
            offered on aws (offered on gcp); aws offers: ...``); or no shape on that cloud has ``count`` of
            it per node (the message lists the counts offered).
    """
    c = _cloud(cloud)
    name = _canonical(accelerator_name)
    candidates = [s for s in machines(c) if s.accelerator.name == name]
    if not candidates:
        offered = ", ".join(a.name for a in accelerators(c))
        elsewhere = [o.value for o in clouds_offering(name)] if name in ACCELERATORS else []
        hint = f" (offered on {', '.join(elsewhere)})" if elsewhere else ""
        raise CatalogError(f"accelerator {accelerator_name!r} is not offered on {c}{hint}; {c} offers: {offered}")
    if count is not None:
        exact = [s for s in candidates if s.accelerator_count == count]
        if not exact:
            counts = sorted({s.accelerator_count for s in candidates})
            raise CatalogError(
                f"no machine type on {c} has {count} x {name} per node; "
                f"counts offered: {', '.join(str(n) for n in counts)}"
            )
        candidates = exact
    return min(candidates, key=_default_rank)


#: The order :func:`default_consumption` picks a consumption option in: pay as you go, else capacity that needs no
#: reservation name (flex-start), else a reservation.
DEFAULT_CONSUMPTION_ORDER: tuple[str, ...] = ("on-demand", "flex-start", "reservation")


def default_consumption(shape: MachineShape) -> str:
    """The consumption option a pool of ``shape`` uses when none is configured: the first of on-demand, flex-start,
    reservation the cloud offers for it (``a3-highgpu-8g`` -> on-demand, ``a3-ultragpu-8g`` / ``a4-highgpu-8g`` ->
    flex-start, Google offering those only through reservations, flex-start or Spot).

    Raises:
        CatalogError: the shape offers none of the three (the message lists what it offers).
    """
    for option in DEFAULT_CONSUMPTION_ORDER:
        if option in shape.consumption:
            return option
    offered = ", ".join(o for o in CONSUMPTION_OPTIONS if o in shape.consumption)
    raise CatalogError(
        f"{shape.machine_type} on {shape.cloud} offers none of {', '.join(DEFAULT_CONSUMPTION_ORDER)}; "
        f"choose one of: {offered}"
    )


# --- node allocatable -----------------------------------------------------------------------------------------------

_SRC_GKE_ALLOCATABLE = (
    "GKE 'Plan GKE node sizes' / 'Standard cluster architecture: node allocatable resources' "
    "(cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#node_allocatable_resources)"
)
_SRC_EKS_ALLOCATABLE = (
    "awslabs/amazon-eks-ami nodeadm (AL2023) kubelet config: kube-reserved cpu by the 6% / 1% / 0.5% / 0.25% core "
    "ladder, memory 11 MiB x maxPods + 255 MiB, ephemeral-storage 1 GiB; evictionHard memory.available 100Mi, "
    "nodefs.available 10%"
)
#: Pods per node assumed for EKS kube-reserved memory (the kubelet default; the ENI-derived value nodeadm uses for the
#: large GPU types is at or below it, so the reservation here is an upper bound).
_EKS_MAX_PODS = 110


@dataclass(frozen=True)
class NodeAllocatable:
    """What the kubelet of one node offers pods (capacity minus system reservations and eviction thresholds).

    Attributes:
        cpu_millicores: allocatable CPU, millicores.
        memory_mib: allocatable memory, MiB.
        ephemeral_storage_gib: allocatable ephemeral storage (emptyDirs, container layers and logs), GiB.
        extended: extended resources and their counts, e.g. ``{"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}``.
        source: the reservation formulas used.
    """

    cpu_millicores: int
    memory_mib: int
    ephemeral_storage_gib: int
    extended: Mapping[str, int]
    source: str


def _cpu_reserved_millicores(vcpus: int) -> int:
    """6% of the first core, 1% of the next, 0.5% of the next 2, 0.25% of every core above 4 (GKE and EKS alike)."""
    tiers = ((1, 0.06), (1, 0.01), (2, 0.005), (max(0, vcpus - 4), 0.0025))
    left, reserved = vcpus, 0.0
    for cores, share in tiers:
        used = min(left, cores)
        reserved += used * share * 1000
        left -= used
    return int(reserved + 0.999)


def _gke_memory_reserved_mib(memory_gib: int) -> int:
    """255 MiB below 1 GiB; else 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112 and
    2% above 128 GiB (GKE node allocatable)."""
    if memory_gib < 1:
        return 255
    tiers = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (max(0, memory_gib - 128), 0.02))
    left, reserved = float(memory_gib), 0.0
    for gib, share in tiers:
        used = min(left, gib)
        reserved += used * share * 1024
        left -= used
    return int(reserved + 0.999)


def host_allocatable(
    cloud: Cloud | str,
    *,
    vcpus: int,
    memory_gib: int,
    boot_disk_gib: int,
    local_ssd_count: int = 0,
    local_ssd_gib: int = 0,
    ephemeral_on_local_ssd: bool = False,
    source: str = "",
) -> NodeAllocatable:
    """What a node of ``vcpus`` / ``memory_gib`` on ``cloud`` offers pods, without accelerators (``extended`` empty).

    The formulas of :func:`node_allocatable`, for machines the catalog does not list (system pools such as
    ``e2-standard-8`` or ``m6i.2xlarge``). Local SSD counts only with ``ephemeral_on_local_ssd`` and
    ``local_ssd_count`` > 0. Existing clusters (:data:`Cloud.EXISTING`): what was described, boot disk as the
    ephemeral storage.

    Args:
        cloud: A :class:`Cloud` or its value.
        vcpus: vCPUs of one node.
        memory_gib: Host memory of one node, GiB.
        boot_disk_gib: Boot disk size, GiB (>= 1).
        local_ssd_count: Local SSDs of one node. Default: 0.
        local_ssd_gib: Total local SSD capacity of one node, GiB. Default: 0.
        ephemeral_on_local_ssd: Whether ephemeral storage lives on the local SSDs (GKE ephemeral storage on local SSD,
            EKS instance store); counts only with ``local_ssd_count`` > 0. Default: False (the boot disk).
        source: The formulas' source recorded for existing clusters (GKE and EKS record their own). Default: "" (empty).

    Raises:
        CatalogError: ``boot_disk_gib`` is not positive, or an unknown cloud.
    """
    if boot_disk_gib < 1:
        raise CatalogError(f"boot_disk_gib = {boot_disk_gib}: must be >= 1")
    on_ssd = ephemeral_on_local_ssd and local_ssd_count > 0
    cpu = vcpus * 1000 - _cpu_reserved_millicores(vcpus)
    kind = _cloud(cloud)
    if kind is Cloud.GCP:
        memory = memory_gib * 1024 - _gke_memory_reserved_mib(memory_gib) - 100
        if on_ssd:
            capacity = float(local_ssd_gib)
            system = {1: 50.0, 2: 75.0}.get(local_ssd_count, 100.0)
        else:
            capacity = float(boot_disk_gib)
            system = min(0.5 * capacity, 6 + 0.35 * capacity, 100.0)
        storage = capacity - system - 0.1 * capacity
        source = _SRC_GKE_ALLOCATABLE
    elif kind is Cloud.AWS:
        memory = memory_gib * 1024 - (11 * _EKS_MAX_PODS + 255) - 100
        capacity = float(local_ssd_gib if on_ssd else boot_disk_gib)
        storage = capacity - 1 - 0.1 * capacity
        source = _SRC_EKS_ALLOCATABLE
    else:
        memory = memory_gib * 1024
        cpu = vcpus * 1000
        storage = float(boot_disk_gib)
    return NodeAllocatable(
        cpu_millicores=max(0, cpu),
        memory_mib=max(0, memory),
        ephemeral_storage_gib=max(0, int(storage)),
        extended=MappingProxyType({}),
        source=source,
    )


def node_allocatable(shape: MachineShape, *, boot_disk_gib: int, ephemeral_on_local_ssd: bool) -> NodeAllocatable:
    """What one node of ``shape`` offers pods, by the cloud's documented reservation formulas.

    GKE (:data:`Cloud.GCP`): CPU reserved by the 6% / 1% / 0.5% / 0.25% core ladder; memory reserved by the 25% / 20%
    / 10% / 6% / 2% ladder plus the 100 MiB eviction threshold; ephemeral storage on the boot disk: capacity minus
    ``min(50%, 6 GiB + 35%, 100 GiB)`` of it and the 10% eviction threshold; on local SSD (``ephemeral_on_local_ssd``
    and ``shape.local_ssd_count`` > 0): the SSDs' capacity minus 50 / 75 / 100 GiB (1 / 2 / 3+ SSDs) and 10%.
    EKS (:data:`Cloud.AWS`, AL2023 nodeadm): the same CPU ladder; memory minus ``11 MiB x 110 pods + 255 MiB`` and the
    100 MiB eviction threshold; ephemeral storage on the root volume (``boot_disk_gib``) or, with
    ``ephemeral_on_local_ssd``, on the instance store in RAID0, minus 1 GiB kube-reserved and 10% eviction.
    Existing clusters: what the user described (``vcpus``, ``memory_gib``), boot disk as the ephemeral storage.
    (:func:`host_allocatable` applies the same formulas to machines without accelerators.)

    DaemonSets (device plugins, logging, metrics agents) also take from allocatable; they are not subtracted here.

    Args:
        shape: the machine shape.
        boot_disk_gib: boot (root) disk size, GiB, > 0.
        ephemeral_on_local_ssd: whether ephemeral storage lives on the local NVMe SSDs (ignored when the shape has
            none).

    Returns:
        A :class:`NodeAllocatable`; ``extended`` holds the accelerator resource (``nvidia.com/gpu``,
        ``google.com/tpu``, ...) and, on EFA shapes, ``vpc.amazonaws.com/efa``.

    Raises:
        CatalogError: ``boot_disk_gib`` is not positive.
    """
    host = host_allocatable(
        shape.cloud,
        vcpus=shape.vcpus,
        memory_gib=shape.memory_gib,
        boot_disk_gib=boot_disk_gib,
        local_ssd_count=shape.local_ssd_count,
        local_ssd_gib=shape.local_ssd_gib,
        ephemeral_on_local_ssd=ephemeral_on_local_ssd,
    )
    extended: dict[str, int] = {shape.accelerator.resource_name: shape.accelerator_count}
    if shape.efa_interfaces:
        extended["vpc.amazonaws.com/efa"] = shape.efa_interfaces
    return replace(
        host,
        extended=MappingProxyType(extended),
        source=host.source or shape.source,
    )


# --- system-pool machines -------------------------------------------------------------------------------------------

_SRC_GCE_GENERAL = (
    "Compute Engine 'General-purpose machine family for Compute Engine' "
    "(cloud.google.com/compute/docs/general-purpose-machines): E2 / N2 / N2D / C3 machine types, standard 4 GiB, "
    "highmem 8 GiB, highcpu 1 GiB per vCPU"
)
_SRC_EC2_GENERAL = (
    "Amazon EC2 instance types (aws.amazon.com/ec2/instance-types/): M5 / M6i / M7i 4 GiB, C5 / C6i / C7i 2 GiB, "
    "R5 / R6i / R7i 8 GiB per vCPU; large = 2 vCPUs, xlarge = 4, <n>xlarge = 4 x n"
)


@dataclass(frozen=True)
class SystemMachine:
    """A general-purpose (CPU-only) machine type a system node pool may use (``llmd:cluster.systemPool.machineType``).

    Attributes:
        cloud: The cloud offering it.
        machine_type: The cloud's machine / instance type name, e.g. ``e2-standard-8``, ``m6i.2xlarge``.
        vcpus: vCPUs of one node.
        memory_gib: Memory of one node, GiB.
        source: Where the size comes from.
    """

    cloud: Cloud
    machine_type: str
    vcpus: int
    memory_gib: int
    source: str

    def allocatable(self, *, boot_disk_gib: int = 100) -> NodeAllocatable:
        """What one node offers pods: :func:`host_allocatable` (the cloud's reservation formulas, the same the render's
        twin schedules against). ``boot_disk_gib``: the boot / root disk, GiB. Default: 100 (the EKS system node
        group's root volume and GKE's default boot disk); it matters only for ephemeral storage."""
        return host_allocatable(self.cloud, vcpus=self.vcpus, memory_gib=self.memory_gib, boot_disk_gib=boot_disk_gib)


def _system_machines() -> dict[tuple[Cloud, str], SystemMachine]:
    gib_per_vcpu = {"standard": 4, "highmem": 8, "highcpu": 1}
    gce: dict[str, tuple[int, ...]] = {
        "e2-standard": (2, 4, 8, 16, 32),
        "e2-highmem": (2, 4, 8, 16),
        "e2-highcpu": (2, 4, 8, 16, 32),
        "n2-standard": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128),
        "n2-highmem": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128),
        "n2-highcpu": (2, 4, 8, 16, 32, 48, 64, 80, 96),
        "n2d-standard": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224),
        "c3-standard": (4, 8, 22, 44, 88, 176),
    }
    out: dict[tuple[Cloud, str], SystemMachine] = {}
    for family, sizes in gce.items():
        per = gib_per_vcpu[family.split("-")[1]]
        for n in sizes:
            name = f"{family}-{n}"
            out[(Cloud.GCP, name)] = SystemMachine(Cloud.GCP, name, n, n * per, _SRC_GCE_GENERAL)
    ec2: dict[str, tuple[int, tuple[str, ...]]] = {
        "m5": (4, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
        "m6i": (
            4,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
        ),
        "m7i": (
            4,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
        ),
        "c5": (2, ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge")),
        "c6i": (
            2,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
        ),
        "c7i": (
            2,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
        ),
        "r5": (8, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
        "r6i": (
            8,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
        ),
        "r7i": (
            8,
            ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
        ),
    }
    for family, (per, ec2_sizes) in ec2.items():
        for size in ec2_sizes:
            vcpus = 2 if size == "large" else 4 * int(size.removesuffix("xlarge") or 1)
            name = f"{family}.{size}"
            out[(Cloud.AWS, name)] = SystemMachine(Cloud.AWS, name, vcpus, vcpus * per, _SRC_EC2_GENERAL)
    return out


#: The general-purpose machine types a system pool may use, by (cloud, machine type).
SYSTEM_MACHINES: Mapping[tuple[Cloud, str], SystemMachine] = MappingProxyType(_system_machines())
#: The system pool's machine type when ``llmd:cluster.systemPool.machineType`` is not set: GKE ``e2-standard-8``
#: (:mod:`pulumi_llmd.components.gcp.cluster`), EKS ``m6i.2xlarge`` (:mod:`pulumi_llmd.components.aws.cluster`).
DEFAULT_SYSTEM_MACHINE_TYPES: Mapping[Cloud, str] = MappingProxyType(
    {Cloud.GCP: "e2-standard-8", Cloud.AWS: "m6i.2xlarge"}
)


def system_machines(cloud: Cloud | str) -> list[SystemMachine]:
    """The system-pool machine types the catalog knows on ``cloud``, smallest first (vCPUs, memory, name).

    Raises:
        CatalogError: ``cloud`` is not a known cloud.
    """
    c = _cloud(cloud)
    return sorted(
        (m for m in SYSTEM_MACHINES.values() if m.cloud is c), key=lambda m: (m.vcpus, m.memory_gib, m.machine_type)
    )


def system_machine(cloud: Cloud | str, machine_type: str) -> SystemMachine:
    """The system-pool machine ``machine_type`` on ``cloud`` (:data:`SYSTEM_MACHINES`).

    Raises:
        CatalogError: Unknown cloud, or a machine type the catalog does not list as a system machine there; the
            message lists the families and sizes it has, e.g. ``unknown system machine type 'x' on aws; known: ...``.
    """
    c = _cloud(cloud)
    found = SYSTEM_MACHINES.get((c, machine_type))
    if found is None:
        known = ", ".join(m.machine_type for m in sorted(system_machines(c), key=lambda m: m.machine_type))
        raise CatalogError(f"unknown system machine type {machine_type!r} on {c}; known: {known or 'none'}")
    return found


_TOPOLOGY = re.compile(r"[1-9][0-9]*(?:x[1-9][0-9]*){1,2}")


def tpu_chips(topology: str) -> int:
    """TPU chips in a slice of ``topology``: the product of its dimensions (``"4x4"`` -> 16).

    Args:
        topology: Two or three positive integers joined by ``x`` (``AxB`` for v5e/v6e, ``AxBxC`` for v5p).

    Raises:
        CatalogError: ``topology`` is malformed.
    """
    if not isinstance(topology, str) or _TOPOLOGY.fullmatch(topology) is None:
        raise CatalogError(
            f"malformed TPU topology {topology!r}; expected 2 or 3 positive integers joined by 'x', "
            "e.g. '2x4' or '2x2x1'"
        )
    chips = 1
    for dim in topology.split("x"):
        chips *= int(dim)
    return chips


def tpu_hosts(shape: MachineShape, topology: str) -> int:
    """Nodes (TPU VMs) in one slice of ``topology`` on ``shape``: ``chips // chips_per_host``, at least 1.

    Args:
        shape: A TPU machine shape (``shape.tpu`` is set).
        topology: One of ``shape.tpu.topologies``.

    Raises:
        CatalogError: ``shape`` is not a TPU shape, ``topology`` is malformed, or ``shape`` does not
            support it (the message lists the supported topologies).
    """
    if shape.tpu is None:
        raise CatalogError(f"machine type {shape.machine_type!r} on {shape.cloud} is not a TPU machine type")
    chips = tpu_chips(topology)
    if topology not in shape.tpu.topologies:
        raise CatalogError(
            f"topology {topology!r} is not supported by {shape.machine_type} on {shape.cloud}; "
            f"supported: {', '.join(shape.tpu.topologies)}"
        )
    return max(1, chips // shape.tpu.chips_per_host)


# --- shapes the catalog does not know (existing clusters) ----------------------------------------------------------

#: A DNS-1123 subdomain (the domain of an extended resource), at most 253 characters.
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: The name part of a qualified name: 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_SRC_CUSTOM = "described by the user for a cluster the library does not create (not from the catalog's tables)"


def validate_extended_resource(resource_name: str) -> str:
    """``resource_name`` if it is a Kubernetes extended resource name (``domain/name``), else raise.

    The domain is a DNS subdomain outside ``kubernetes.io`` (reserved for built-in resources) and the name a qualified
    name of at most 63 characters, e.g. ``nvidia.com/gpu``, ``amd.com/gpu``, ``google.com/tpu``, ``rdma/ib``.

    Raises:
        CatalogError: the message names the value and the form that is allowed.
    """
    domain, slash, name = str(resource_name).partition("/")
    ok = (
        isinstance(resource_name, str)
        and slash == "/"
        and len(domain) <= 253
        and _DNS_SUBDOMAIN.fullmatch(domain) is not None
        and _QUALIFIED_NAME.fullmatch(name) is not None
        and not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io"))
    )
    if not ok:
        raise CatalogError(
            f"resource_name {resource_name!r} is not a Kubernetes extended resource; allowed: 'domain/name' with a "
            "DNS subdomain outside kubernetes.io and a name of 1-63 characters [A-Za-z0-9._-], e.g. 'nvidia.com/gpu', "
            "'amd.com/gpu', 'google.com/tpu'"
        )
    return resource_name


def _vendor(resource_name: str) -> str:
    labels = resource_name.partition("/")[0].split(".")
    return labels[-2] if len(labels) >= 2 else labels[0]


def custom_accelerator(
    name: str,
    resource_name: str,
    memory_gib: int = 0,
    vendor: str | None = None,
    *,
    kind: AcceleratorKind | None = None,
    display: str | None = None,
    source: str = _SRC_CUSTOM,
) -> Accelerator:
    """An :class:`Accelerator` the catalog does not list (an AMD MI300X, an Intel Gaudi, a MIG slice, ...).

    Args:
        name: an id for the device, e.g. ``"amd-mi300x"``.
        resource_name: the extended resource pods request for one device (``amd.com/gpu``).
        memory_gib: HBM of one device, GiB. Default: 0 (unknown).
        vendor: the device's vendor. Default: None (the second-level label of the resource's domain: ``amd.com/gpu``
            -> ``amd``).
        kind: the accelerator kind. Default: None (TPU for ``google.com/tpu``, GPU otherwise).
        display: human-readable name. Default: None (``name``).
        source: where the facts come from. Default: "described by the user for a cluster the library does not create
            (not from the catalog's tables)".

    Raises:
        CatalogError: an empty name, a negative memory size or a malformed ``resource_name``.
    """
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"accelerator name {name!r} is empty; allowed: a non-empty id such as 'amd-mi300x'")
    validate_extended_resource(resource_name)
    if memory_gib < 0:
        raise CatalogError(f"accelerator {name}: memory_gib = {memory_gib}: must be >= 0 (0 when unknown)")
    return Accelerator(
        name=name,
        display=display or name,
        kind=kind or (AcceleratorKind.TPU if resource_name == _GOOGLE_TPU else AcceleratorKind.GPU),
        vendor=vendor or _vendor(resource_name),
        memory_gib=memory_gib,
        resource_name=resource_name,
        source=source,
    )


def custom_shape(
    *,
    machine_type: str,
    accelerator: Accelerator,
    accelerator_count: int,
    vcpus: int,
    memory_gib: int,
    rdma: RdmaKind = RdmaKind.NONE,
    rdma_nics: int | None = None,
    source: str = _SRC_CUSTOM,
) -> MachineShape:
    """A :class:`MachineShape` on :attr:`Cloud.EXISTING` for nodes the catalog does not know.

    Not added to :data:`MACHINES`. ``rdma_nics`` defaults to 0 without a fabric and to one NIC per device with one
    (the usual 8-GPU InfiniBand/RoCE node); EFA shapes get as many EFA interfaces. A TPU accelerator gets a
    single-host :class:`TpuShape` with no known topologies or regions.

    Args:
        machine_type: a name for the node type (``"gd-8xh100ib-i128"``, ``"dgx-h100"``, a pool name).
        accelerator: from :func:`accelerator` or :func:`custom_accelerator`.
        accelerator_count: devices per node, >= 1.
        vcpus / memory_gib: allocatable CPUs and host memory (GiB) of one node, >= 1.
        rdma: the node-to-node fabric. Default: ``RdmaKind.NONE`` (no fabric).
        rdma_nics: NICs on that fabric. Default: None (0 without a fabric, one per device with one).
        source: where the facts come from. Default: "described by the user for a cluster the library does not create
            (not from the catalog's tables)".

    Raises:
        CatalogError: an empty machine type, or counts that are not positive (the message names the field).
    """
    if not isinstance(machine_type, str) or not machine_type.strip():
        raise CatalogError(f"machine_type {machine_type!r} is empty; allowed: a non-empty name for the node type")
    for field_name, value in (("accelerator_count", accelerator_count), ("vcpus", vcpus), ("memory_gib", memory_gib)):
        if value < 1:
            raise CatalogError(f"{machine_type}: {field_name} = {value}: must be >= 1")
    nics = (0 if rdma is RdmaKind.NONE else accelerator_count) if rdma_nics is None else rdma_nics
    if (rdma is RdmaKind.NONE) != (nics == 0):
        raise CatalogError(f"{machine_type}: rdma_nics = {nics}: must be 0 exactly when rdma is none (rdma = {rdma})")
    tpu = None
    if accelerator.kind is AcceleratorKind.TPU:
        tpu = TpuShape(accelerator.name, accelerator_count, (), (), source)
    return MachineShape(
        cloud=Cloud.EXISTING,
        machine_type=machine_type,
        accelerator=accelerator,
        accelerator_count=accelerator_count,
        vcpus=vcpus,
        memory_gib=memory_gib,
        rdma=rdma,
        rdma_nics=nics,
        efa_interfaces=nics if rdma is RdmaKind.EFA else 0,
        network_cards=1 + nics,
        mtu=None,
        tpu=tpu,
        source=source,
    )
