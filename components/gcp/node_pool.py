"""GKE GPU node pools: guest accelerators with GKE-managed drivers, taints, autoscaling, placement, capacity, and the
GPUDirect-RDMA (RoCE) networks of A3 Ultra / A4 nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.base import AcceleratorPool, Toleration
from pulumi_llmd.components.catalog import AcceleratorKind, MachineShape, RdmaKind, default_consumption
from pulumi_llmd.components.gcp.rdma import GkeRdmaFabric
from pulumi_llmd.components.kube import merge_transform

PROVISIONING = ("on-demand", "spot", "reservation", "flex-start")
DRIVER_VERSIONS = ("DEFAULT", "LATEST")
#: Machine families whose boot disk must be Hyperdisk (GKE A3 Ultra / A4 docs); others default to pd-balanced.
_HYPERDISK_ONLY = ("a3-ultragpu-", "a4-")
#: GKE GPU nodes may carry the gIB NCCL plugins, whose tuner fails to load in inference engines: turn them off
#: (llm-d guides/recipes/modelserver/components/disable-gke-nccl-tuner-patch).
GKE_NCCL_ENV = {"NCCL_TUNER_PLUGIN": "none", "NCCL_NET_PLUGIN": ""}
GPU_TAINT_KEY, GPU_TAINT_VALUE = "nvidia.com/gpu", "present"
GPU_TAINT = Toleration(key=GPU_TAINT_KEY, value=GPU_TAINT_VALUE, effect="NoSchedule")


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

    Args:
        name: pool name, also the GKE node pool name (``cloud.google.com/gke-nodepool`` label).
        cluster: cluster name; location: the cluster's location (region or zone); project: GCP project id.
        shape: the catalog machine shape (e.g. ``catalog.machine("gcp", "a3-highgpu-8g")``: 8 x H100 80GB).
        zone: the one zone the nodes live in (compact placement and GPU capacity are zonal).
        node_count: fixed size (no autoscaling), or the initial size when ``max_nodes`` is given.
        min_nodes / max_nodes: autoscaling bounds (per zone).
        provisioning: ``on-demand``, ``spot``, ``reservation`` (with ``reservation``) or ``flex-start``
            (Dynamic Workload Scheduler flex-start VMs: ``node_config.flex_start``, reservation affinity
            ``NO_RESERVATION``, not spot, auto-repair off, autoscaling with location policy ``ANY``; GKE "Run inference
            workloads with flex-start" and cluster-toolkit ``gke-node-pool`` preconditions). Must be one of
            ``shape.consumption``: A3 Ultra / A4 are not sold on-demand. Default None:
            :func:`~pulumi_llmd.components.catalog.default_consumption` (on-demand, else flex-start).
        compact_placement: COMPACT placement policy.
        gpu_driver_version: DEFAULT or LATEST.
        boot_disk_type / boot_disk_size_gb: boot disk (A3 Ultra and A4 need ``hyperdisk-balanced``, the default there).
        ephemeral_on_local_ssd: put the nodes' ephemeral storage (emptyDirs such as the model-weight cache, image
            layers, logs) on the machine type's local NVMe SSDs (``node_config.ephemeral_storage_local_ssd_config``
            with ``shape.local_ssd_count`` disks: 16 on A3 High / Mega, 32 Titanium SSDs on A3 Ultra / A4; GKE
            "Provision and use Local SSD-backed ephemeral storage", cluster-toolkit ``disk_definitions.tf``). Default
            None: on where the shape bundles local SSDs; machines without (G2) keep the boot disk.
        fabric: the :class:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric` whose networks the nodes join (default
            None: no RDMA networks).
        service_account: the nodes' IAM service account email, normally ``GkeCluster.node_service_account_email``
            (least privilege, GKE hardening guide); None falls back to the Compute Engine default service account.
        node_config: fields of the node pool's ``nodeConfig`` the component does not model, in the provider's wire
            names (e.g. ``{"resourceLabels": {"team": "ml"}, "linuxNodeConfig": {"sysctls": {...}}}``), merged over
            the component's (:func:`~pulumi_llmd.components.kube.merge_values`; applied as a Pulumi transform).
            Default: none.

    Raises:
        ValueError: a non-GPU shape, a size that is missing or out of order, a provisioning the machine type is not
        offered with, a reservation without a name (or a name without provisioning ``reservation``), flex-start
        without autoscaling, an unknown driver version; with a
        ``fabric``: a shape without a RoCE fabric, or a fabric for another zone or NIC count. Nothing is registered.
    """

    node_pool: gcp.container.NodePool
    pool: AcceleratorPool

    def __init__(
        self,
        name: str,
        *,
        cluster: pulumi.Input[str],
        location: str,
        project: str,
        shape: MachineShape,
        zone: str,
        node_count: int | None = None,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        provisioning: str | None = None,
        reservation: str | None = None,
        compact_placement: bool = False,
        gpu_driver_version: str = "LATEST",
        boot_disk_type: str | None = None,
        boot_disk_size_gb: int = 200,
        ephemeral_on_local_ssd: bool | None = None,
        fabric: GkeRdmaFabric | None = None,
        service_account: pulumi.Input[str] | None = None,
        node_config: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if provisioning is None:
            provisioning = default_consumption(shape)
        _validate(
            shape=shape,
            node_count=node_count,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            provisioning=provisioning,
            reservation=reservation,
            gpu_driver_version=gpu_driver_version,
            zone=zone,
            fabric=fabric,
        )
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
            depends_on=list(opts.depends_on) if opts is not None and isinstance(opts.depends_on, list) else (),
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
    fabric: GkeRdmaFabric | None,
) -> None:
    problems: list[str] = []
    if shape.accelerator.kind is not AcceleratorKind.GPU:
        problems.append(f"shape = {shape.machine_type!r}: not a GPU machine type (use a TPU node pool for TPUs)")
    if provisioning not in PROVISIONING:
        problems.append(f"provisioning = {provisioning!r}: allowed: {', '.join(PROVISIONING)}")
    elif provisioning not in shape.consumption:
        offered = [p for p in PROVISIONING if p in shape.consumption]
        problems.append(
            f"provisioning = {provisioning!r}: {shape.machine_type} is not offered {provisioning}; "
            f"allowed: {', '.join(offered)}"
        )
    if gpu_driver_version not in DRIVER_VERSIONS:
        problems.append(f"gpu_driver_version = {gpu_driver_version!r}: allowed: {', '.join(DRIVER_VERSIONS)}")
    if node_count is None and max_nodes is None:
        problems.append("give node_count (fixed size) or min_nodes/max_nodes (autoscaling)")
    if max_nodes is not None and (min_nodes or 0) > max_nodes:
        problems.append(f"min_nodes = {min_nodes} > max_nodes = {max_nodes}")
    if max_nodes is not None and node_count is not None and not (min_nodes or 0) <= node_count <= max_nodes:
        problems.append(f"node_count = {node_count}: must lie within [{min_nodes or 0}, {max_nodes}]")
    if provisioning == "reservation" and not reservation:
        problems.append("reservation: required when provisioning is 'reservation'")
    if provisioning != "reservation" and reservation:
        problems.append(f"reservation = {reservation!r}: only allowed with provisioning 'reservation'")
    if provisioning == "flex-start" and max_nodes is None:
        problems.append("provisioning 'flex-start' needs autoscaling (min_nodes/max_nodes)")
    if fabric is not None:
        if shape.rdma is not RdmaKind.ROCE:
            problems.append(
                f"fabric: shape = {shape.machine_type!r} has no RoCE RDMA NICs (rdma {shape.rdma.value}); "
                "an RDMA fabric needs a3-ultragpu-8g or a4-highgpu-8g"
            )
        elif fabric.shape.rdma_nics != shape.rdma_nics:
            problems.append(
                f"fabric: built for {fabric.shape.rdma_nics} RDMA NICs ({fabric.shape.machine_type}), "
                f"shape = {shape.machine_type!r} has {shape.rdma_nics}"
            )
        if fabric.zone != zone:
            problems.append(f"fabric: its RoCE network profile is for zone {fabric.zone!r}, the pool's zone = {zone!r}")
    if problems:
        raise ValueError("GpuNodePool: " + "; ".join(problems))
