"""Plan, then build: :func:`plan_stack` resolves every derived fact of a validated :class:`StackConfig` once into a
frozen :class:`StackPlan` (machine shapes, RDMA fabrics, provisioning, per-role sizes TP x PP / replicas / devices,
pod resources, autoscaler ceilings, the CPU KV-offload size, weights placement, picker resources, the gateway's class
and exposure); config validation, the targets, the well-lit paths and the docs read it instead of computing again.

Pure: no Pulumi resource is registered here and no cloud SDK is imported. Imports: ``issues <- config <- plan``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pulumi_llmd.blueprints.config import (
    ExistingTarget,
    KvOffloadConfig,
    ModelConfig,
    ModelResources,
    PoolConfig,
    PrefillConfig,
    StackConfig,
    WellLitPath,
    pool_provisioning,
    resolve_shape,
)
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.models import ModelSpec
from pulumi_llmd.components.quantity import parse_quantity
from pulumi_llmd.components.serving.leader_worker_set import WIDE_EP_RESOURCES
from pulumi_llmd.components.serving.router import EPP_RESOURCES, SMALL_EPP_RESOURCES


def tpu_topology(pool: PoolConfig, shape: catalog.MachineShape) -> str:
    """The slice topology of a TPU pool: ``tpuTopology`` or the machine type's single-host topology (``2x4`` on
    ct6e-standard-8t)."""
    assert shape.tpu is not None
    return pool.tpu_topology or shape.tpu.topologies[0]


def pool_rdma(cloud: catalog.Cloud, pool: PoolConfig, shape: catalog.MachineShape) -> catalog.RdmaKind | None:
    """The RDMA fabric pods on ``pool`` can use, or None (TCP only).

    GKE: RoCE where the machine type has it (a3-ultragpu-8g, a4-highgpu-8g) unless ``rdma: false``; EKS: EFA where the
    instance type has it unless ``efa: false``; existing clusters: InfiniBand when the pool names an ``rdmaResource``.
    """
    if cloud is catalog.Cloud.GCP:
        return catalog.RdmaKind.ROCE if shape.rdma is catalog.RdmaKind.ROCE and pool.rdma is not False else None
    if cloud is catalog.Cloud.AWS:
        return catalog.RdmaKind.EFA if shape.efa_interfaces > 0 and pool.efa is not False else None
    return catalog.RdmaKind.INFINIBAND if pool.rdma_resource else None


def default_offload_gib(shape: catalog.MachineShape, devices: int, memory_request: str) -> int:
    """Default CPU KV-offload size per server, GiB: half of the host memory one pod's share of the node leaves after
    its own memory request, ``(memory_gib // pods_per_node - request) // 2``, at least 1.

    E.g. a3-highgpu-8g (1,872 GiB, TP 2 -> 4 pods per node, 96 GiB requested): (468 - 96) // 2 = 186 GiB.
    Raises ValueError for a memory request that does not parse.
    """
    pods = shape.pods_per_node(devices)
    request_gib = parse_quantity(memory_request) / 2**30
    return max(1, int((shape.memory_gib // pods - request_gib) // 2))


def offload_gib(model: ModelConfig, shape: catalog.MachineShape) -> int:
    """The CPU KV-offload size of a tiered-prefix-cache model's servers, GiB (configured or the default)."""
    offload = model.kv_offload or KvOffloadConfig()
    if offload.cpu_gib is not None:
        return offload.cpu_gib
    return default_offload_gib(shape, model.gpus_per_replica, model.resources.memory_request)


def _plus_gib(quantity: str, gib: int) -> str:
    return f"{int(parse_quantity(quantity) // 2**30) + gib}Gi"


def server_resources(model: ModelConfig, shape: catalog.MachineShape | None, role: str = "decode") -> ModelResources:
    """CPU and memory of one server pod of ``role``: the model's (or its prefill's) ``resources``, and on the
    tiered-prefix-cache path the memory request and limit raised by the CPU offload buffer (pinned host memory).
    ``role``: ``decode`` or ``prefill``. Default: "decode"."""
    if role == "prefill" and model.prefill is not None and model.prefill.resources is not None:
        return model.prefill.resources
    resources = model.resources
    if model.path is WellLitPath.WIDE_EP and "resources" not in model.model_fields_set:
        resources = ModelResources(**asdict(WIDE_EP_RESOURCES))
    if model.path is WellLitPath.TIERED_PREFIX_CACHE and shape is not None:
        extra = offload_gib(model, shape)
        resources = resources.model_copy(
            update={
                "memory_request": _plus_gib(resources.memory_request, extra),
                "memory_limit": _plus_gib(resources.memory_limit, extra),
            }
        )
    return resources


def picker_resources(config: StackConfig, model: ModelConfig) -> dict[str, dict[str, str]] | None:
    """The endpoint picker's container resources for ``model``: ``router.resources`` when set; on an existing cluster
    without accelerator pools (a kind laptop running simulated accelerators, or CPU-only pools) the small
    :data:`~pulumi_llmd.components.serving.router.SMALL_EPP_RESOURCES`, so two pickers fit a 4 CPU / 8 GiB node with
    the simulators, the gateway and the add-ons; otherwise None (the llm-d-router chart's 4 CPU / 8Gi)."""
    if model.router.resources is not None:
        return model.router.resources.to_k8s()
    if isinstance(config.target, ExistingTarget) and all(p.is_cpu for p in config.pools):
        return {k: dict(v) for k, v in SMALL_EPP_RESOURCES.items()}
    return None


def picker_container_resources(config: StackConfig, model: ModelConfig) -> Mapping[str, Mapping[str, str]]:
    """The endpoint picker container's ``requests``/``limits`` as rendered: :func:`picker_resources`, else the
    chart's :data:`~pulumi_llmd.components.serving.router.EPP_RESOURCES` (4 CPU / 8Gi requested)."""
    return picker_resources(config, model) or EPP_RESOURCES


def system_machine_type(config: StackConfig) -> str | None:
    """The system pool's machine type: ``llmd:cluster.systemPool.machineType``, else the cloud's default
    (:data:`~pulumi_llmd.components.catalog.DEFAULT_SYSTEM_MACHINE_TYPES`: gcp ``e2-standard-8``, aws
    ``m6i.2xlarge``); None on an existing cluster (the stack creates no system pool)."""
    default = catalog.DEFAULT_SYSTEM_MACHINE_TYPES.get(config.target.cloud_enum)
    if default is None:
        return None
    return config.cluster.system_pool.machine_type or default


def system_machine(config: StackConfig) -> catalog.SystemMachine | None:
    """The system pool's machine (:func:`system_machine_type` in the catalog's
    :data:`~pulumi_llmd.components.catalog.SYSTEM_MACHINES`); None on an existing cluster, or for a machine type the
    catalog does not list (config validation reports it)."""
    machine_type = system_machine_type(config)
    if machine_type is None:
        return None
    try:
        return catalog.system_machine(config.target.cloud_enum, machine_type)
    except catalog.CatalogError:
        return None


def pod_requests(containers: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """What a pod of ``containers`` (Kubernetes container dicts, no init containers) requests of a node: (CPU
    millicores, memory MiB), summed over the containers; a container's request defaults to its limit (Kubernetes
    "Resource Management for Pods and Containers"), as the render's twin schedules."""
    cpu = memory = 0.0
    for container in containers:
        resources = container.get("resources") or {}
        wanted = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        if "cpu" in wanted:
            cpu += parse_quantity(str(wanted["cpu"])) * 1000
        if "memory" in wanted:
            memory += parse_quantity(str(wanted["memory"])) / 2**20
    return math.ceil(cpu - 1e-6), math.ceil(memory - 1e-6)


#: vLLM's default ``--gpu-memory-utilization`` (share of each accelerator's memory vLLM may use).
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9


#: Most of vLLM's memory budget (utilization x accelerator memory) the weights may take: the rest must hold the KV
#: cache (at least one max-length sequence, better many), activations and CUDA graphs. 80% is a floor, not a target.
WEIGHTS_MAX_SHARE = 0.8


#: Root volume of EKS GPU node groups (``GpuNodeGroup(root_volume_gib=500)``; ``_eks`` does not pass bootDiskSizeGb).
_EKS_ROOT_VOLUME_GIB = 500


def weights_per_device_problem(
    spec: ModelSpec, *, shards: int, accelerator: catalog.Accelerator, utilization: float | None
) -> tuple[str, int] | None:
    """Why ``spec``'s weights split over ``shards`` devices cannot run on ``accelerator``, with the fewest shards
    that would fit; None when they fit or the accelerator's memory is unknown.

    Rule: ``weights_gib / shards <= WEIGHTS_MAX_SHARE x utilization x accelerator.device_memory_gib`` (``shards``
    are vLLM devices; a device's HBM is the chip's over its vLLM devices, TPU7x 192 / 2 = 96 GiB; utilization defaults
    to vLLM's 0.9), leaving at least a fifth of vLLM's budget for the KV cache and activations. Examples:
    Qwen3-32B (61 GiB) on one L4 (24 GiB): 61 > 17.3 fails; Llama-3.3-70B (131 GiB) at TP 4 on A100 40GB:
    32.9 > 28.8 fails; Qwen3-32B at TP 2 on H100 80GB: 30.5 <= 57.6 fits; DeepSeek-R1 (641 GiB) over 16 B200 ranks:
    40 <= 129.6 fits.
    """
    memory_gib = accelerator.device_memory_gib
    if memory_gib <= 0 or spec.weights_gib <= 0:
        return None
    util = utilization or DEFAULT_GPU_MEMORY_UTILIZATION
    budget = WEIGHTS_MAX_SHARE * util * memory_gib
    per_device = spec.weights_gib / shards
    if per_device <= budget:
        return None
    needed = math.ceil(spec.weights_gib / budget)
    origin = "estimated from its id; set weightsGiB if wrong" if spec.estimated else spec.source.split(" (")[0]
    return (
        f"{spec.hf_id} weighs {spec.weights_gib:.1f} GiB ({origin}); over {shards} x {accelerator.name} "
        f"({memory_gib} GiB each) that is {per_device:.1f} GiB per device, more than "
        f"{WEIGHTS_MAX_SHARE:.0%} of vLLM's budget of {util:g} x {memory_gib} GiB = "
        f"{budget / WEIGHTS_MAX_SHARE:.1f} GiB (the rest holds the KV cache and activations)",
        needed,
    )


def node_ephemeral_gib(cloud: catalog.Cloud, pool: PoolConfig, shape: catalog.MachineShape) -> int | None:
    """Allocatable ephemeral storage of one node of ``pool``, GiB (:func:`~pulumi_llmd.components.catalog.
    node_allocatable`: on the local NVMe SSDs where the machine has them, else the boot disk), or None on an existing
    cluster (its disks are not described)."""
    if cloud is catalog.Cloud.EXISTING:
        return None
    boot = pool.boot_disk_size_gb if cloud is catalog.Cloud.GCP else _EKS_ROOT_VOLUME_GIB
    on_ssd = getattr(pool, "ephemeral_on_local_ssd", None) is not False and shape.local_ssd_count > 0
    return catalog.node_allocatable(shape, boot_disk_gib=boot, ephemeral_on_local_ssd=on_ssd).ephemeral_storage_gib


@dataclass(frozen=True)
class WideEpSizes:
    """One role's wide-EP engine sizes: ranks per group, ranks per pod, TP, pods per group, groups."""

    data_parallel_size: int
    data_parallel_size_local: int
    tensor_parallel_size: int
    group_size: int
    replicas: int

    @property
    def devices_per_pod(self) -> int:
        """GPUs of one pod: DP-local x TP."""
        return self.data_parallel_size_local * self.tensor_parallel_size

    @property
    def devices(self) -> int:
        """GPUs of all groups: replicas x DP x TP."""
        return self.replicas * self.data_parallel_size * self.tensor_parallel_size


def wide_ep_sizes(model: ModelConfig, shape: catalog.MachineShape, role: str) -> WideEpSizes:
    """The sizes of ``role`` (``decode`` or ``prefill``) of a wide-ep model: ranks per pod default to the node's
    GPUs / TP (one rank per GPU), pods per group = DP / DP-local (rounded down; :func:`parse_stack_config` reports
    sizes that do not divide)."""
    prefill = model.prefill or PrefillConfig()
    tp = prefill.tensor_parallel_size if role == "prefill" else model.tensor_parallel_size
    dp = (prefill.data_parallel_size if role == "prefill" else None) or model.data_parallel_size or 1
    local = model.data_parallel_size_local or max(1, shape.accelerator_count // tp)
    local = min(local, dp)
    replicas = prefill.replicas if role == "prefill" else model.replicas
    return WideEpSizes(dp, local, tp, max(1, dp // local), replicas)


def size_default_resources(config: StackConfig) -> StackConfig:
    """Models that leave ``resources`` out get the defaults capped at their share of the node.

    The defaults (:class:`ModelResources`: 8 / 16 CPU, 96 / 128 GiB, 20 GiB shm) are llm-d's for Qwen3-32B at TP 2 on
    an 8-GPU node; on a smaller node (e.g. two TP-1 pods on a 2 x L4 ``g2-standard-24``: 24 vCPU, 96 GiB) they would
    not fit. A pod taking ``d`` of the node's ``n`` accelerators gets at most ``d/n`` of its vCPUs and memory: 80 %
    of that share as the request, 90 % as the limit (the rest is the node's reservations and the daemons), shm a
    quarter of the memory request. Explicit ``resources`` are kept as written; wide-EP and the simulator size their
    own pods. Pools whose shape cannot be resolved are left to the checks to report.
    """
    models = []
    changed = False
    for model in config.models:
        if "resources" in model.model_fields_set or model.path in (
            WellLitPath.WIDE_EP,
            WellLitPath.SIMULATED_ACCELERATORS,
        ):
            models.append(model)
            continue
        try:
            shape = config.shape_of(config.pool_of(model))
        except (KeyError, IndexError, ValueError, StopIteration, AttributeError):
            models.append(model)
            continue
        share = min(1.0, shape.chips_for(model.gpus_per_replica) / max(1, shape.accelerator_count))
        default = ModelResources()
        cpu_request = min(int(parse_quantity(default.cpu_request)), max(1, int(shape.vcpus * share * 0.8)))
        cpu_limit = min(int(parse_quantity(default.cpu_limit)), max(cpu_request, int(shape.vcpus * share * 0.9)))
        memory_request = min(
            int(parse_quantity(default.memory_request) / 2**30), max(4, int(shape.memory_gib * share * 0.8))
        )
        memory_limit = min(
            int(parse_quantity(default.memory_limit) / 2**30), max(memory_request, int(shape.memory_gib * share * 0.9))
        )
        shm = min(int(parse_quantity(default.shm_size) / 2**30), max(1, memory_request // 4))
        sized = ModelResources(
            cpu_request=str(cpu_request),
            cpu_limit=str(cpu_limit),
            memory_request=f"{memory_request}Gi",
            memory_limit=f"{memory_limit}Gi",
            shm_size=f"{shm}Gi",
        )
        if sized != model.resources:
            changed = True
            model = model.model_copy(update={"resources": sized})
        models.append(model)
    return config.model_copy(update={"models": tuple(models)}) if changed else config


# --- the plan -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolPlan:
    """One accelerator pool, resolved: its catalog ``shape``, how its capacity is bought (``provisioning``), the RDMA
    ``fabric`` its pods can use (None: TCP only), the TPU slice ``topology`` (None off TPU), the allocatable ephemeral
    storage of one node (``node_ephemeral_gib``, GiB; None on an existing cluster) and its largest size."""

    config: PoolConfig
    shape: catalog.MachineShape
    provisioning: str
    fabric: catalog.RdmaKind | None
    tpu_topology: str | None
    node_ephemeral_gib: int | None
    max_nodes: int

    @property
    def name(self) -> str:
        """The pool's name (``pools[].name``)."""
        return self.config.name

    @property
    def capacity(self) -> int:
        """Accelerators of the pool at its largest size: accelerators per node x ``max_nodes``."""
        return self.shape.accelerator_count * self.max_nodes


@dataclass(frozen=True)
class RolePlan:
    """One server role of a model (``decode``, or ``prefill`` on pd-disaggregation / wide-ep): ``replicas`` (pods,
    or LeaderWorkerSet groups on wide-ep), TP x PP, accelerators per pod (``devices_per_pod``) and per replica
    (``devices_per_replica``: a whole group on wide-ep), the pod's CPU / memory (``resources``), the wide-EP engine
    sizes (``wide_ep``), and the autoscaler ceiling ``max_replicas`` (what the pool holds at its largest size next to
    the model's other role). ``wide_ep`` Default: None (not a wide-ep role)."""

    role: str
    replicas: int
    tensor_parallel_size: int
    pipeline_parallel_size: int
    devices_per_pod: int
    devices_per_replica: int
    resources: ModelResources
    max_replicas: int
    wide_ep: WideEpSizes | None = None


@dataclass(frozen=True)
class ModelPlan:
    """One served model, resolved: its ``pool`` (None for the simulator), ``roles`` by name, the name clients send
    (``served_name``), the CPU KV-offload size per server (``offload_gib``, tiered-prefix-cache), the weights
    (``weights``: the checkpoint facts, None for the simulator) and the endpoint picker's resources."""

    config: ModelConfig
    pool: PoolPlan | None
    roles: tuple[RolePlan, ...]
    served_name: str
    offload_gib: int | None
    weights: ModelSpec | None
    picker_resources: Mapping[str, Mapping[str, str]] | None

    @property
    def name(self) -> str:
        """The model's name (``models[].name``)."""
        return self.config.name

    def role(self, name: str) -> RolePlan:
        """The role called ``name`` (KeyError if the model has none)."""
        for role in self.roles:
            if role.role == name:
                return role
        raise KeyError(name)


@dataclass(frozen=True)
class StackPlan:
    """Every derived fact of a validated stack, resolved once by :func:`plan_stack`: pools, models and the gateway's
    class, exposure and certificate source."""

    config: StackConfig
    pools: tuple[PoolPlan, ...]
    models: tuple[ModelPlan, ...]
    gateway_class: str
    gateway_public: bool
    gateway_tls_source: str
    #: The llm-d release record the stack deploys (``llmd:release``; :func:`~pulumi_llmd.components.versions.
    #: release_named`). Default: the newest carried (``DEFAULT_RELEASE``).
    release: versions.LlmdRelease = versions.DEFAULT_RELEASE

    @property
    def cloud(self) -> catalog.Cloud:
        """The target cloud."""
        return self.config.target.cloud_enum

    def pool(self, name: str) -> PoolPlan:
        """The pool called ``name`` (KeyError if none)."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    def model(self, name: str) -> ModelPlan:
        """The model called ``name`` (KeyError if none)."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)


def plan_pool(cloud: catalog.Cloud, pool: PoolConfig, shape: catalog.MachineShape | None = None) -> PoolPlan:
    """Resolve one pool (raises :class:`catalog.CatalogError` when its shape is unknown).

    Args:
        cloud: The target's cloud.
        pool: The pool's stack settings.
        shape: Its machine shape when already resolved. Default: None (resolved from ``pool``).
    """
    shape = shape if shape is not None else resolve_shape(cloud, pool)
    return PoolPlan(
        config=pool,
        shape=shape,
        provisioning=pool_provisioning(pool, shape),
        fabric=pool_rdma(cloud, pool, shape),
        tpu_topology=tpu_topology(pool, shape) if shape.tpu is not None else None,
        node_ephemeral_gib=node_ephemeral_gib(cloud, pool, shape),
        # An existing cluster's pool counts at least one node (components/cluster ExistingPool).
        max_nodes=max(1, pool.max_nodes) if cloud is catalog.Cloud.EXISTING else pool.max_nodes,
    )


def _roles(model: ModelConfig, pool: PoolPlan) -> tuple[RolePlan, ...]:
    """The server roles of ``model`` on ``pool`` with their autoscaler ceilings (each role may grow into what the
    pool holds at its largest size minus what the other role keeps)."""
    shape = pool.shape
    if model.path is WellLitPath.WIDE_EP:
        sizes = {role: wide_ep_sizes(model, shape, role) for role in ("prefill", "decode")}
        per_group = {role: s.data_parallel_size * s.tensor_parallel_size for role, s in sizes.items()}
        out = []
        for role, s in sizes.items():
            other = "decode" if role == "prefill" else "prefill"
            room = pool.capacity - sizes[other].replicas * per_group[other]
            out.append(
                RolePlan(
                    role=role,
                    replicas=s.replicas,
                    tensor_parallel_size=s.tensor_parallel_size,
                    pipeline_parallel_size=1,
                    devices_per_pod=s.devices_per_pod,
                    devices_per_replica=per_group[role],
                    resources=server_resources(model, shape, role=role),
                    max_replicas=max(s.replicas, room // per_group[role]),
                    wide_ep=s,
                )
            )
        return tuple(out)
    decode_devices = shape.chips_for(model.gpus_per_replica)
    if model.path is WellLitPath.PD_DISAGGREGATION:
        prefill = model.prefill or PrefillConfig()
        sizes_pd = {
            "prefill": (prefill.replicas, prefill.tensor_parallel_size, 1),
            "decode": (model.replicas, model.tensor_parallel_size, model.pipeline_parallel_size),
        }
        out = []
        for role, (replicas, tp, pp) in sizes_pd.items():
            o_replicas, o_tp, o_pp = sizes_pd["decode" if role == "prefill" else "prefill"]
            room = pool.capacity - o_replicas * o_tp * o_pp
            out.append(
                RolePlan(
                    role=role,
                    replicas=replicas,
                    tensor_parallel_size=tp,
                    pipeline_parallel_size=pp,
                    devices_per_pod=tp * pp,
                    devices_per_replica=tp * pp,
                    resources=server_resources(model, shape, role=role),
                    max_replicas=max(replicas, room // (tp * pp)),
                )
            )
        return tuple(out)
    return (
        RolePlan(
            role="decode",
            replicas=model.replicas,
            tensor_parallel_size=model.tensor_parallel_size,
            pipeline_parallel_size=model.pipeline_parallel_size,
            devices_per_pod=decode_devices,
            devices_per_replica=decode_devices,
            resources=server_resources(model, shape),
            max_replicas=max(model.replicas, pool.capacity // decode_devices),
        ),
    )


def plan_stack(config: StackConfig) -> StackPlan:
    """The :class:`StackPlan` of a config that passed :func:`~pulumi_llmd.blueprints.validation.parse_stack_config`
    (raises :class:`catalog.CatalogError` / KeyError for one that did not)."""
    cloud = config.target.cloud_enum
    pools = tuple(plan_pool(cloud, pool) for pool in config.pools)
    by_name = {p.name: p for p in pools}
    models = []
    for model in config.models:
        simulated = model.path is WellLitPath.SIMULATED_ACCELERATORS
        pool = None if simulated else by_name[config.pool_of(model).name]
        if pool is None:
            roles: tuple[RolePlan, ...] = (
                RolePlan("decode", model.replicas, 1, 1, 0, 0, model.resources, model.replicas),
            )
        else:
            roles = _roles(model, pool)
        models.append(
            ModelPlan(
                config=model,
                pool=pool,
                roles=roles,
                served_name=model.served_name or model.hugging_face_id,
                offload_gib=offload_gib(model, pool.shape)
                if pool is not None and model.path is WellLitPath.TIERED_PREFIX_CACHE
                else None,
                weights=model.weights,
                picker_resources=picker_resources(config, model),
            )
        )
    return StackPlan(
        config=config,
        pools=pools,
        models=tuple(models),
        gateway_class=config.gateway_class,
        gateway_public=config.gateway_public,
        gateway_tls_source=config.gateway_tls_source,
        release=versions.release_named(config.release),
    )
