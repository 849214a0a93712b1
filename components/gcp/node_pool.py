"""GKE GPU node pools: guest accelerators with GKE-managed drivers, taints, autoscaling, placement, capacity, and the
GPUDirect-RDMA (RoCE) networks of A3 Ultra / A4 nodes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, count_problem, format_problem, one_of_problem
from pulumi_llmd.components.base import AcceleratorPool, Toleration
from pulumi_llmd.components.catalog import AcceleratorKind, CatalogError, MachineShape, RdmaKind, default_consumption
from pulumi_llmd.components.gcp.cluster import GkeCluster
from pulumi_llmd.components.gcp.rdma import GkeRdmaFabric
from pulumi_llmd.components.kube import merge_transform
from pulumi_llmd.components.pool_rules import pool_size_problems, reservation_problems

PROVISIONING = ("on-demand", "spot", "reservation", "flex-start")
DRIVER_VERSIONS = ("DEFAULT", "LATEST")
#: Machine families whose boot disk must be Hyperdisk (GKE A3 Ultra / A4 docs); others default to pd-balanced.
_HYPERDISK_ONLY = ("a3-ultragpu-", "a4-")
#: GKE GPU nodes may carry the gIB NCCL plugins, whose tuner fails to load in inference engines: turn them off
#: (llm-d guides/recipes/modelserver/components/disable-gke-nccl-tuner-patch).
GKE_NCCL_ENV = {"NCCL_TUNER_PLUGIN": "none", "NCCL_NET_PLUGIN": ""}
GPU_TAINT_KEY, GPU_TAINT_VALUE = "nvidia.com/gpu", "present"
GPU_TAINT = Toleration(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect="NoSchedule")


#: Defaults of :class:`GpuNodePoolArgs` (applied in one place, the constructor).
DEFAULT_COMPACT_PLACEMENT = False
DEFAULT_GPU_DRIVER_VERSION = "LATEST"
DEFAULT_BOOT_DISK_SIZE_GB = 200
#: Smallest boot disk GKE accepts, GB.
MIN_BOOT_DISK_GB = 10
_ZONE = re.compile(r"(?P<region>[a-z]+(?:-[a-z]+)*[0-9]+)-[a-z]")
_REGION = re.compile(r"[a-z]+(?:-[a-z]+)*[0-9]+")


class GpuNodePoolArgs(TypedDict, total=False):
    """The arguments of :class:`GpuNodePool` (give them as one object or as keyword arguments)."""

    cluster: Required[GkeCluster | pulumi.Input[str]]
    """The cluster: a :class:`~pulumi_llmd.components.gcp.GkeCluster` (its name, location, project and node service
    account are used, and the pool waits for it and its ``node_ready``) or the cluster's name (then ``location`` and
    ``project`` are required)."""
    location: str | None
    """The cluster's location (its region, or its zone for a zonal control plane).
    Default: the cluster object's location (required with a cluster name)."""
    project: str | None
    """GCP project id. Default: the cluster object's project (required with a cluster name)."""
    shape: Required[MachineShape]
    """The catalog machine shape, e.g. ``catalog.machine("gcp", "a3-highgpu-8g")`` (8 x H100 80GB)."""
    zone: Required[str]
    """The one zone the nodes live in (compact placement and GPU capacity are zonal); within the cluster's location."""
    node_count: int | None
    """Nodes (per zone): the fixed size, or the initial size when ``max_nodes`` is given; >= 0.
    Default: None (autoscaling only; give ``node_count`` or ``max_nodes``)."""
    min_nodes: int | None
    """Autoscaling minimum, nodes per zone (>= 0, <= ``max_nodes``). Default: None (0 when autoscaling)."""
    max_nodes: int | None
    """Autoscaling maximum, nodes per zone (>= 1); turns autoscaling on. Default: None (a fixed size)."""
    provisioning: str | None
    """``on-demand``, ``spot``, ``reservation`` (with ``reservation``) or ``flex-start`` (Dynamic Workload Scheduler
    flex-start VMs: ``node_config.flex_start``, reservation affinity ``NO_RESERVATION``, not spot, auto-repair off,
    autoscaling with location policy ``ANY``; GKE "Run inference workloads with flex-start" and cluster-toolkit
    ``gke-node-pool`` preconditions). Must be one of ``shape.consumption``: A3 Ultra / A4 are not sold on-demand.
    Default: None (:func:`~pulumi_llmd.components.catalog.default_consumption`: on-demand, else flex-start)."""
    reservation: str | None
    """The specific reservation to consume (provisioning ``reservation`` only). Default: None."""
    compact_placement: bool
    """COMPACT placement policy (low-latency interconnect between the nodes). Default: False."""
    gpu_driver_version: str
    """GKE-managed NVIDIA driver install: ``DEFAULT`` or ``LATEST``. Default: ``"LATEST"``."""
    boot_disk_type: str | None
    """Boot disk type. Default: None (``hyperdisk-balanced`` on A3 Ultra / A4, which need it; else
    ``pd-balanced``)."""
    boot_disk_size_gb: int
    """Boot disk size, GB (>= 10). Default: 200."""
    ephemeral_on_local_ssd: bool | None
    """Put the nodes' ephemeral storage (emptyDirs such as the model-weight cache, image layers, logs) on the machine
    type's local NVMe SSDs (``node_config.ephemeral_storage_local_ssd_config`` with ``shape.local_ssd_count`` disks:
    16 on A3 High / Mega, 32 Titanium SSDs on A3 Ultra / A4; GKE "Provision and use Local SSD-backed ephemeral
    storage", cluster-toolkit ``disk_definitions.tf``). Default: None (on where the shape bundles local SSDs; machines
    without, such as G2, keep the boot disk)."""
    fabric: GkeRdmaFabric | None
    """The :class:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric` whose networks the nodes join (A3 Ultra / A4 in the
    fabric's zone; the cluster needs ``multi_networking``). Default: None (no RDMA networks)."""
    service_account: pulumi.Input[str] | None
    """The nodes' IAM service account email (least privilege, GKE hardening guide). Default: the cluster object's
    ``node_service_account_email``; with a cluster name, None: the Compute Engine default service account."""
    node_config: Mapping[str, Any] | None
    """Fields of the node pool's ``nodeConfig`` the component does not model, in the provider's wire names (e.g.
    ``{"resourceLabels": {"team": "ml"}, "linuxNodeConfig": {"sysctls": {...}}}``), merged over the component's
    (:func:`~pulumi_llmd.components.kube.merge_values`; applied as a Pulumi transform). Default: None."""


class GpuNodePool(pulumi.ComponentResource):
    """A GKE node pool of GPU machines, ready for vLLM.

    Type token ``llmd:gcp:GpuNodePool``. The pool attaches the machine's GPUs as guest accelerators with the
    GKE-managed driver install (``gpu_driver_version`` DEFAULT or LATEST), carries the taint
    ``nvidia.com/gpu=present:NoSchedule`` and the label ``llm-d.ai/pool=<name>``, uses gVNIC and the GKE metadata
    server (Workload Identity), and upgrades one node at a time without surge nodes (``maxSurge 0``,
    ``maxUnavailable 1``) because spare GPU capacity is scarce.

    With a ``fabric`` (A3 Ultra ``a3-ultragpu-8g`` / A4 ``a4-highgpu-8g`` only), the nodes get the fabric's
    networks as ``network_config.additional_node_network_configs`` (the gVNIC VPC, then the 8 RDMA subnets: 9
    entries) and ``pool.rdma`` says how pods attach to them (GKE multi-networking annotations, see
    :meth:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric.attachment`); the cluster needs
    ``GkeCluster(multi_networking=True)``. Without one, the nodes have only the cluster's VPC and ``pool.rdma`` is
    None.

    Outputs: ``node_pool`` (``gcp.container.NodePool``), ``pool`` (an
    :class:`~pulumi_llmd.components.base.AcceleratorPool` telling pods how to land on these nodes).

    Arguments: :class:`GpuNodePoolArgs` (as an object or keywords); the component's ``name`` is also the GKE node
    pool name (``cloud.google.com/gke-nodepool`` label). Given a :class:`~pulumi_llmd.components.gcp.GkeCluster` as
    ``cluster``, the pool takes the cluster's name, location, project and node service account and waits for the
    cluster and its ``node_ready`` (the node account's role binding, the Cloud NAT).

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument or one of the
            wrong kind; a non-GPU shape; a zone outside the cluster's location; a size that is missing, negative or
            out of order; a provisioning the machine type is not offered with; a reservation without a name (or a
            name without provisioning ``reservation``); flex-start without autoscaling; an unknown driver version;
            with a ``fabric``: a shape without a RoCE fabric, or a fabric for another zone or NIC count; a
            ``location`` / ``project`` that differs from the given cluster object's.
    """

    node_pool: gcp.container.NodePool
    pool: AcceleratorPool

    @overload
    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GpuNodePoolArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GpuNodePoolArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GpuNodePoolArgs, "GpuNodePool", args, kwargs)
        ref = ClusterRef.of(a, "GpuNodePool")
        cluster, location, project, service_account = ref.name, ref.location, ref.project, ref.service_account
        shape, zone = a["shape"], a["zone"]
        node_count, min_nodes, max_nodes = a.get("node_count"), a.get("min_nodes"), a.get("max_nodes")
        provisioning = a.get("provisioning")
        reservation = a.get("reservation")
        compact_placement = a.get("compact_placement", DEFAULT_COMPACT_PLACEMENT)
        gpu_driver_version = a.get("gpu_driver_version", DEFAULT_GPU_DRIVER_VERSION)
        boot_disk_type = a.get("boot_disk_type")
        boot_disk_size_gb = a.get("boot_disk_size_gb", DEFAULT_BOOT_DISK_SIZE_GB)
        ephemeral_on_local_ssd = a.get("ephemeral_on_local_ssd")
        fabric = a.get("fabric")
        node_config = a.get("node_config")
        problems = list(ref.problems)
        if not isinstance(shape, MachineShape):
            problems.append(format_problem("shape", shape, "must be a catalog MachineShape, e.g. catalog.machine(...)"))
            raise ArgsError("GpuNodePool", problems)
        if provisioning is None:
            try:
                provisioning = default_consumption(shape)
            except CatalogError:
                provisioning = "on-demand"
        problems += _validate(
            shape=shape,
            node_count=node_count,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            provisioning=provisioning,
            reservation=reservation,
            gpu_driver_version=gpu_driver_version,
            zone=zone,
            location=location,
            fabric=fabric,
            boot_disk_size_gb=boot_disk_size_gb,
        )
        if problems:
            raise ArgsError("GpuNodePool", problems)
        assert location is not None and project is not None  # checked by ClusterRef.of
        super().__init__("llmd:gcp:GpuNodePool", name, None, opts)
        accelerator = shape.accelerator.name
        if boot_disk_type is None:
            boot_disk_type = "hyperdisk-balanced" if shape.machine_type.startswith(_HYPERDISK_ONLY) else "pd-balanced"

        self.node_pool = gke_node_pool(
            name,
            parent=self,
            cluster=cluster,
            location=location,
            project=project,
            zone=zone,
            machine_type=shape.machine_type,
            accelerator_label=accelerator,
            taint_key=GPU_TAINT_KEY,
            taint_value=GPU_TAINT_VALUE,
            node_count=node_count,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            provisioning=provisioning,
            reservation=reservation,
            boot_disk_type=boot_disk_type,
            boot_disk_size_gb=boot_disk_size_gb,
            ephemeral_local_ssd_count=(
                shape.local_ssd_count if ephemeral_on_local_ssd is not False and shape.local_ssd_count > 0 else None
            ),
            service_account=service_account,
            node_config=node_config,
            depends_on=[*_opts_depends_on(opts), *ref.depends_on],
            guest_accelerators=[
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=accelerator,
                    count=shape.accelerator_count,
                    gpu_driver_installation_config=(
                        gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                            gpu_driver_version=gpu_driver_version
                        )
                    ),
                )
            ],
            placement_policy=(gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT") if compact_placement else None),
            network_config=(
                gcp.container.NodePoolNetworkConfigArgs(
                    additional_node_network_configs=fabric.additional_node_network_configs()
                )
                if fabric is not None
                else None
            ),
        )
        self.pool = AcceleratorPool(
            name=name,
            shape=shape,
            node_selector={"cloud.google.com/gke-nodepool": name, "cloud.google.com/gke-accelerator": accelerator},
            tolerations=(GPU_TAINT,),
            max_nodes=max_nodes if max_nodes is not None else (node_count or 0),
            model_server_env=GKE_NCCL_ENV,
            rdma=fabric.attachment() if fabric is not None else None,
        )
        self.register_outputs(
            {"name": self.node_pool.name, "machineType": shape.machine_type, "accelerator": accelerator}
        )


def gke_node_pool(
    name: str,
    *,
    parent: pulumi.Resource,
    cluster: pulumi.Input[str],
    location: str,
    project: str,
    zone: str,
    machine_type: str,
    accelerator_label: str,
    taint_key: str,
    taint_value: str,
    node_count: int | None,
    min_nodes: int | None,
    max_nodes: int | None,
    provisioning: str,
    reservation: str | None,
    boot_disk_type: str | None,
    boot_disk_size_gb: int,
    ephemeral_local_ssd_count: int | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
    guest_accelerators: list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgs] | None = None,
    placement_policy: gcp.container.NodePoolPlacementPolicyArgs | None = None,
    network_config: gcp.container.NodePoolNetworkConfigArgs | None = None,
    service_account: pulumi.Input[str] | None = None,
    node_config: Mapping[str, Any] | None = None,
) -> gcp.container.NodePool:
    """The GKE node pool of a GPU or TPU pool component (``parent``), named ``name`` in one ``zone``.

    What GPU and TPU pools share: fixed size (``node_count``) or autoscaling (``min_nodes``/``max_nodes``, with
    ``node_count`` the initial size); auto-repair (off for flex-start) and auto-upgrade; surge upgrades one node at a
    time without surge nodes; COS_CONTAINERD, gVNIC, the boot disk, the cloud-platform scope, the GKE metadata server
    (Workload Identity), shielded instances; the labels ``llm-d.ai/pool=<name>`` and
    ``llm-d.ai/accelerator=<accelerator_label>``; the taint ``<taint_key>=<taint_value>:NoSchedule``; spot,
    flex-start and the reservation affinity of ``provisioning``; ephemeral storage on ``ephemeral_local_ssd_count``
    local SSDs when given (the count the machine type bundles: GKE requires exactly that for machine series with a
    fixed number of local SSDs, see ``EphemeralStorageLocalSsdConfig.local_ssd_count`` in the GKE API reference);
    ``depends_on`` in addition to the cluster (e.g. the project's APIs); ``node_config`` merged over the node config
    (wire names, :func:`~pulumi_llmd.components.kube.merge_transform`); the nodes run as ``service_account`` (the
    cluster's least-privilege node account; GKE "Harden your cluster's security": use least privilege IAM service
    accounts) with the ``cloud-platform`` scope, so IAM alone bounds them. Shielded VM options (secure boot,
    integrity monitoring) are on for GPU and TPU pools alike: GKE's GPU node images load the GKE-installed NVIDIA
    driver modules (GKE "Configure secure kernel module loading": GPU node images allow out-of-tree modules) and
    GKE's shielded-nodes docs list no GPU or TPU exception. The callers validate the arguments first.

    Flex-start (GKE "About flex-start provisioning mode" and the flex-start node-pool command: ``--flex-start
    --enable-autoscaling --location-policy=ANY --reservation-affinity=none --no-enable-autorepair``;
    GoogleCloudPlatform/cluster-toolkit ``modules/compute/gke-node-pool/main.tf`` preconditions: auto-repair off,
    no static node count, ``NO_RESERVATION``, not spot): ``flex_start`` on, ``spot`` off.

    Args:
        ephemeral_local_ssd_count: Local SSDs holding the nodes' ephemeral storage. Default: None (the boot disk).
        depends_on: Resources the pool waits for besides the cluster. Default: none.
        guest_accelerators: The GPUs attached to each node (``node_config.guest_accelerators``). Default: None (none
            listed).
        placement_policy: The node pool's placement policy (compact placement, TPU topology). Default: None.
        network_config: The node pool's network config (additional node networks for RDMA). Default: None.
        service_account: Email of the service account the nodes run as. Default: None (Compute Engine's default
            account; the pool components pass the cluster's node account).
        node_config: Wire-named fields merged over ``nodeConfig``. Default: None (no override).
    """
    autoscaled = max_nodes is not None
    flex = provisioning == "flex-start"
    return gcp.container.NodePool(
        name,
        name=name,
        project=project,
        cluster=cluster,
        location=location,
        node_locations=[zone],
        initial_node_count=node_count if autoscaled and node_count is not None else None,
        node_count=None if autoscaled else node_count,
        autoscaling=(
            gcp.container.NodePoolAutoscalingArgs(
                min_node_count=min_nodes or 0, max_node_count=max_nodes, location_policy="ANY"
            )
            if autoscaled
            else None
        ),
        management=gcp.container.NodePoolManagementArgs(auto_repair=not flex, auto_upgrade=True),
        upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(strategy="SURGE", max_surge=0, max_unavailable=1),
        placement_policy=placement_policy,
        network_config=network_config,
        node_config=gcp.container.NodePoolNodeConfigArgs(
            machine_type=machine_type,
            image_type="COS_CONTAINERD",
            guest_accelerators=guest_accelerators,
            gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True),
            disk_type=boot_disk_type,
            disk_size_gb=boot_disk_size_gb,
            service_account=service_account,
            oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True
            ),
            labels={"llm-d.ai/pool": name, "llm-d.ai/accelerator": accelerator_label},
            taints=[gcp.container.NodePoolNodeConfigTaintArgs(key=taint_key, value=taint_value, effect="NO_SCHEDULE")],
            spot=provisioning == "spot",
            flex_start=True if flex else None,
            reservation_affinity=_reservation_affinity(provisioning, reservation),
            ephemeral_storage_local_ssd_config=(
                gcp.container.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(
                    local_ssd_count=ephemeral_local_ssd_count
                )
                if ephemeral_local_ssd_count
                else None
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on) or None,
            transforms=[merge_transform(NODE_POOL_TYPE, "nodeConfig", node_config)] if node_config else None,
        ),
    )


#: Pulumi type token of a GKE node pool (what ``node_config`` overrides apply to).
NODE_POOL_TYPE = "gcp:container/nodePool:NodePool"


def _reservation_affinity(
    provisioning: str, reservation: str | None
) -> gcp.container.NodePoolNodeConfigReservationAffinityArgs | None:
    if provisioning == "reservation":
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type="SPECIFIC_RESERVATION",
            key="compute.googleapis.com/reservation-name",
            values=[reservation or ""],
        )
    if provisioning in ("spot", "flex-start"):
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type="NO_RESERVATION")
    return None


def _opts_depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """``opts.depends_on`` when it is a list (what the node pool adds to its own dependencies), else empty."""
    return list(opts.depends_on) if opts is not None and isinstance(opts.depends_on, list) else []


def _validate(
    *,
    shape: MachineShape,
    node_count: int | None,
    min_nodes: int | None,
    max_nodes: int | None,
    provisioning: str,
    reservation: str | None,
    gpu_driver_version: str,
    zone: str,
    location: str | None,
    fabric: GkeRdmaFabric | None,
    boot_disk_size_gb: int | None,
) -> list[str]:
    """Every problem with a :class:`GpuNodePool`'s arguments (empty when none)."""
    problems: list[str] = []
    if shape.accelerator.kind is not AcceleratorKind.GPU:
        problems.append(f"shape = {shape.machine_type!r}: not a GPU machine type (use a TPU node pool for TPUs)")
    problem = provisioning_problem("provisioning", provisioning, shape)
    if problem:
        problems.append(problem)
    problem = one_of_problem("gpu_driver_version", gpu_driver_version, DRIVER_VERSIONS)
    if problem:
        problems.append(problem)
    if location is not None:
        problem = zone_location_problem("zone", zone, location)
        if problem:
            problems.append(problem)
    problems += pool_size_problems(node_count, min_nodes, max_nodes)
    problems += reservation_problems(provisioning, reservation, max_nodes)
    if boot_disk_size_gb is not None:
        problem = count_problem("boot_disk_size_gb", boot_disk_size_gb, minimum=MIN_BOOT_DISK_GB)
        if problem:
            problems.append(problem)
    if fabric is not None:
        if not isinstance(fabric, GkeRdmaFabric):
            problems.append(format_problem("fabric", fabric, "must be a GkeRdmaFabric or None"))
        elif shape.rdma is not RdmaKind.ROCE:
            problems.append(
                f"fabric: shape = {shape.machine_type!r} has no RoCE RDMA NICs (rdma {shape.rdma.value}); "
                "an RDMA fabric needs a3-ultragpu-8g or a4-highgpu-8g"
            )
        elif fabric.shape.rdma_nics != shape.rdma_nics:
            problems.append(
                f"fabric: built for {fabric.shape.rdma_nics} RDMA NICs ({fabric.shape.machine_type}), "
                f"shape = {shape.machine_type!r} has {shape.rdma_nics}"
            )
        if isinstance(fabric, GkeRdmaFabric) and fabric.zone != zone:
            problems.append(f"fabric: its RoCE network profile is for zone {fabric.zone!r}, the pool's zone = {zone!r}")
    return problems


# --- rules shared by GPU and TPU pools and config validation -----------------------------------------------------


def provisioning_problem(key: str, provisioning: object, shape: MachineShape) -> str | None:
    """The message for a GKE ``provisioning`` that is unknown or not offered for ``shape``'s machine type (Google sells
    A3 Ultra / A4 only through reservations, flex-start or Spot: ``shape.consumption``), else None.

    Config validation's provisioning check for GKE pools can call it with the stack file's key.
    """
    problem = one_of_problem(key, provisioning, PROVISIONING)
    if problem:
        return problem
    if shape.consumption and provisioning not in shape.consumption:
        offered = [p for p in PROVISIONING if p in shape.consumption]
        hint = " (a reservation also needs reservation: <name>)" if "reservation" in offered else ""
        return format_problem(
            key,
            provisioning,
            f"{shape.machine_type} is not offered {provisioning}; allowed: {', '.join(offered)}{hint}",
        )
    return None


def zone_location_problem(key: str, zone: object, location: str) -> str | None:
    """The message for a node pool ``zone`` outside its cluster's ``location`` (a region: a zone of it; a zone: that
    zone), or not a zone name at all; else None."""
    match = _ZONE.fullmatch(zone) if isinstance(zone, str) else None
    if match is None:
        return format_problem(key, zone, "not a zone name; allowed: '<region>-<letter>', e.g. 'us-central1-b'")
    if _REGION.fullmatch(location) is not None:
        if match["region"] != location:
            return format_problem(key, zone, f"outside the cluster location {location!r}; allowed: {location}-<letter>")
    elif location != zone:
        return format_problem(key, zone, f"outside the zonal cluster location {location!r}; allowed: {location}")
    return None


@dataclass(frozen=True)
class ClusterRef:
    """What a node pool takes from its ``cluster`` argument: a :class:`GkeCluster` object or a cluster name."""

    name: pulumi.Input[str]
    location: str | None
    project: str | None
    service_account: pulumi.Input[str] | None
    depends_on: tuple[pulumi.Resource, ...]
    problems: tuple[str, ...]

    @staticmethod
    def of(a: Mapping[str, Any], component: str) -> ClusterRef:
        """Resolve ``a["cluster"]`` with ``location`` / ``project`` / ``service_account`` of the args ``a``.

        A :class:`GkeCluster` gives its name, location, project and node service account email (explicit arguments
        win for the account; location and project must match when given) and the pool depends on the cluster's
        ``gcp.container.Cluster`` and its ``node_ready``. A name needs ``location`` and ``project``.
        """
        cluster = a["cluster"]
        location, project = a.get("location"), a.get("project")
        problems: list[str] = []
        if isinstance(cluster, GkeCluster):
            for key, given, own in (("location", location, cluster.location), ("project", project, cluster.project)):
                if given is not None and given != own:
                    problems.append(format_problem(key, given, f"must be the cluster's {key} {own!r} (or omitted)"))
            account = a.get("service_account", cluster.node_service_account_email)
            deps = (cluster.cluster, *cluster.node_ready)
            return ClusterRef(cluster.name, cluster.location, cluster.project, account, deps, tuple(problems))
        if cluster is None or (isinstance(cluster, str) and not cluster) or isinstance(cluster, pulumi.Resource):
            problems.append(format_problem("cluster", cluster, "must be a GkeCluster or the cluster's name"))
        for key, value in (("location", location), ("project", project)):
            if value is None:
                problems.append(f"{key} is required when cluster is a name (or give the GkeCluster object)")
        return ClusterRef(cluster, location, project, a.get("service_account"), (), tuple(problems))
