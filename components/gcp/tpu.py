"""GKE TPU node pools: single-host TPU VMs or one multi-host TPU slice per node pool, ready for vLLM on TPU.

GKE derives the TPU chips from the machine type (``ct5lp-hightpu-*`` v5e, ``ct5p-hightpu-*`` v5p,
``ct6e-standard-*`` v6e): a TPU node pool has no ``guest_accelerators``. GKE labels its nodes
``cloud.google.com/gke-tpu-accelerator`` (e.g. ``tpu-v6e-slice``) and ``cloud.google.com/gke-tpu-topology``
(e.g. ``2x4``); pods select both and request ``google.com/tpu: <chips per host>``.

Sources: GKE "Plan TPUs in GKE" and "Deploy TPU workloads in GKE Standard" (placement policy ``COMPACT`` with
``tpu_topology`` for multi-host slices, atomic scaling of a multi-host slice, taint ``google.com/tpu``);
GoogleCloudPlatform/cluster-toolkit ``modules/compute/gke-node-pool``; llm-d guides
``optimized-baseline/modelserver/tpu/v6/vllm/patch-vllm.yaml`` (node selectors, ``google.com/tpu`` requests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.base import AcceleratorPool, Toleration
from pulumi_llmd.components.catalog import AcceleratorKind, CatalogError, Cloud, MachineShape, machines, tpu_chips
from pulumi_llmd.components.gcp.node_pool import PROVISIONING, gke_node_pool

__all__ = [
    "TPU_ACCELERATOR_LABEL",
    "TPU_MODEL_SERVER_ENV",
    "TPU_TAINT",
    "TPU_TOPOLOGY_LABEL",
    "TpuNodePool",
    "tpu_machine_types",
]

#: Node labels GKE puts on every TPU node; pods select both (llm-d TPU guides: ``nodeSelector``).
TPU_ACCELERATOR_LABEL = "cloud.google.com/gke-tpu-accelerator"
TPU_TOPOLOGY_LABEL = "cloud.google.com/gke-tpu-topology"
TPU_TAINT_KEY, TPU_TAINT_VALUE = "google.com/tpu", "present"
#: The toleration matching the ``google.com/tpu=present:NoSchedule`` taint of TPU nodes.
TPU_TAINT = Toleration(key=TPU_TAINT_KEY, value=TPU_TAINT_VALUE, effect="NoSchedule")
#: Environment every vLLM-on-TPU pod needs from the node pool. Empty on purpose: the llm-d TPU guides
#: (``optimized-baseline/modelserver/tpu/v6/vllm/patch-vllm.yaml``, ``precise-prefix-cache-routing/.../tpu``) set
#: no TPU-specific variable on every pod (only ``HF_TOKEN`` from a Secret, which serving adds); the GKE NCCL
#: settings of GPU pools do not apply to TPUs. Role-specific variables (P/D: ``TPU_SIDE_CHANNEL_PORT``,
#: ``TPU_KV_TRANSFER_PORT``) belong to the serving component, not to the pool.
TPU_MODEL_SERVER_ENV: Mapping[str, str] = MappingProxyType({})
#: Smallest boot disk GKE accepts, GB.
_MIN_BOOT_DISK_GB = 10
_ZONE = re.compile(r"(?P<region>[a-z]+(?:-[a-z]+)*[0-9]+)-[a-z]")
_REGION = re.compile(r"[a-z]+(?:-[a-z]+)*[0-9]+")


def tpu_machine_types() -> list[str]:
    """The GKE TPU machine types the catalog knows, sorted (``ct5lp-hightpu-1t`` ... ``ct6e-standard-8t``)."""
    return [s.machine_type for s in machines(Cloud.GCP) if s.tpu is not None]


class TpuNodePool(pulumi.ComponentResource):
    """A GKE node pool of TPU VMs: single-host TPU nodes, or exactly one multi-host TPU slice.

    Type token ``llmd:gcp:TpuNodePool``. The slice is ``topology`` (chip grid ``AxB`` for v5e/v6e, ``AxBxC`` for
    v5p); it spans ``hosts = chips(topology) / chips_per_host`` nodes (``catalog.tpu_hosts``). For example
    ct6e-standard-4t (4 chips per host): ``2x2`` is single-host, ``4x4`` is a 4-host slice of 16 chips;
    ct6e-standard-8t ``2x4`` is the 8-chip single host the llm-d v6e guides use with ``--tensor-parallel-size=8``.

    What the node pool carries: the machine type (no ``guest_accelerators``: GKE derives the TPUs from it),
    ``placement_policy{type: COMPACT, tpu_topology}`` for a multi-host slice (none for single-host nodes, whose
    topology the machine type fixes), the taint ``google.com/tpu=present:NoSchedule``, the labels
    ``llm-d.ai/pool=<name>`` and ``llm-d.ai/accelerator=<tpu label>``, gVNIC, the GKE metadata server (Workload
    Identity), COS_CONTAINERD, one zone, and upgrades one node at a time without surge nodes.

    Sizing:
        * single-host: ``node_count`` (fixed) or ``min_nodes``/``max_nodes`` (autoscaling; ``node_count`` is then
          the initial size), as for GPU pools.
        * multi-host: one slice per node pool, scaled atomically by GKE. Fixed: ``node_count == hosts``.
          Autoscaled: ``min_nodes`` 0 (or omitted) and ``max_nodes == hosts`` (the slice is 0 or ``hosts`` nodes;
          ``node_count``, if given, is the initial size and must be ``hosts``). A slice that should always exist is
          the fixed form; ``min_nodes == hosts`` is refused as a spelling of it. More slices: more node pools.

    Outputs: ``node_pool`` (``gcp.container.NodePool``), ``pool`` (an
    :class:`~pulumi_llmd.components.base.AcceleratorPool`: node selector ``cloud.google.com/gke-nodepool``,
    ``cloud.google.com/gke-tpu-accelerator`` and ``cloud.google.com/gke-tpu-topology``, toleration of the TPU
    taint, resource ``google.com/tpu`` x chips per host, ``model_server_env`` :data:`TPU_MODEL_SERVER_ENV`),
    ``topology``, ``hosts`` (nodes per slice) and ``chips`` (chips per slice).

    Args:
        name: pool name, also the GKE node pool name (``cloud.google.com/gke-nodepool`` label).
        cluster: cluster name; location: the cluster's location (region or zone); project: GCP project id.
        shape: a catalog TPU machine shape, e.g. ``catalog.machine("gcp", "ct6e-standard-4t")`` (4 x v6e chips,
            32 GiB HBM each).
        zone: the one zone the nodes live in; its region must offer the TPU version (``shape.tpu.regions``) and
            lie in the cluster's location.
        topology: the slice's chip grid, one of ``shape.tpu.topologies``; default: the single-host topology
            (the first listed, e.g. ``2x2`` on ct6e-standard-4t).
        node_count / min_nodes / max_nodes: see Sizing.
        provisioning: ``on-demand`` (default), ``spot``, ``reservation`` (with ``reservation``) or ``flex-start``
            (Dynamic Workload Scheduler: autoscaling from zero, no reservation, no spot, auto-repair off).
        reservation: the specific reservation to consume (provisioning ``reservation`` only).
        boot_disk_type: boot disk type; ``None`` (default) leaves GKE's default for the machine type.
        boot_disk_size_gb: boot disk size, GB (default 200, at least 10).
        service_account: the nodes' IAM service account email, normally ``GkeCluster.node_service_account_email``
            (least privilege); None falls back to the Compute Engine default service account.
        opts: resource options for the component.
        node_config: fields of the node pool's ``nodeConfig`` the component does not model, in the provider's wire
            names (e.g. ``{"resourceLabels": {"team": "ml"}, "linuxNodeConfig": {"sysctls": {...}}}``), merged over
            the component's (:func:`~pulumi_llmd.components.kube.merge_values`; applied as a Pulumi transform).
            Default: none.

    Raises:
        ValueError: before anything is registered, naming the argument, its value and what is allowed: a shape
        that is not a GKE TPU machine type; a topology the catalog does not list for the machine type, or whose
        chips are not a whole number of hosts (the message gives the topology's chips and the chips per host); a
        malformed zone, a zone outside the cluster location or in a region without that TPU version (the allowed
        regions are listed); a multi-host size other than one slice; a size that is missing or out of order;
        an unknown provisioning; a reservation without a name or a name without provisioning ``reservation``;
        flex-start without autoscaling; a boot disk below 10 GB.
    """

    node_pool: gcp.container.NodePool
    pool: AcceleratorPool
    topology: str
    hosts: int
    chips: int

    def __init__(
        self,
        name: str,
        *,
        cluster: pulumi.Input[str],
        location: str,
        project: str,
        shape: MachineShape,
        zone: str,
        topology: str | None = None,
        node_count: int | None = None,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        provisioning: str = "on-demand",
        reservation: str | None = None,
        boot_disk_type: str | None = None,
        boot_disk_size_gb: int = 200,
        service_account: pulumi.Input[str] | None = None,
        node_config: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        topology, hosts = _validate(
            shape=shape,
            location=location,
            zone=zone,
            topology=topology,
            node_count=node_count,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            provisioning=provisioning,
            reservation=reservation,
            boot_disk_size_gb=boot_disk_size_gb,
        )
        super().__init__("llmd:gcp:TpuNodePool", name, None, opts)
        assert shape.tpu is not None  # checked by _validate
        self.topology, self.hosts, self.chips = topology, hosts, tpu_chips(topology)
        label = shape.tpu.accelerator_label

        self.node_pool = gke_node_pool(
            name,
            parent=self,
            cluster=cluster,
            location=location,
            project=project,
            zone=zone,
            machine_type=shape.machine_type,
            accelerator_label=label,
            taint_key=TPU_TAINT_KEY,
            taint_value=TPU_TAINT_VALUE,
            node_count=node_count,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            provisioning=provisioning,
            reservation=reservation,
            boot_disk_type=boot_disk_type,
            boot_disk_size_gb=boot_disk_size_gb,
            service_account=service_account,
            node_config=node_config,
            depends_on=list(opts.depends_on) if opts is not None and isinstance(opts.depends_on, list) else (),
            placement_policy=(
                gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=topology) if hosts > 1 else None
            ),
        )
        self.pool = AcceleratorPool(
            name=name,
            shape=shape,
            node_selector={
                "cloud.google.com/gke-nodepool": name,
                TPU_ACCELERATOR_LABEL: label,
                TPU_TOPOLOGY_LABEL: topology,
            },
            tolerations=(TPU_TAINT,),
            max_nodes=max_nodes if max_nodes is not None else (node_count or 0),
            model_server_env=dict(TPU_MODEL_SERVER_ENV),
        )
        self.register_outputs(
            {
                "name": self.node_pool.name,
                "machineType": shape.machine_type,
                "accelerator": label,
                "topology": topology,
                "hosts": hosts,
            }
        )


def _validate(
    *,
    shape: MachineShape,
    location: str,
    zone: str,
    topology: str | None,
    node_count: int | None,
    min_nodes: int | None,
    max_nodes: int | None,
    provisioning: str,
    reservation: str | None,
    boot_disk_size_gb: int,
) -> tuple[str, int]:
    """Check every argument; return ``(topology, hosts)`` or raise one ValueError listing every problem."""
    problems: list[str] = []
    hosts: int | None = None
    tpu = shape.tpu
    if shape.cloud is not Cloud.GCP or tpu is None or shape.accelerator.kind is not AcceleratorKind.TPU:
        problems.append(
            f"shape = {shape.machine_type!r}: not a GKE TPU machine type (use GpuNodePool for GPUs); "
            f"allowed: {', '.join(tpu_machine_types())}"
        )
        topology = topology or ""
    else:
        topology = topology if topology is not None else tpu.topologies[0]
        hosts = _check_topology(shape, topology, problems)
        _check_zone(shape, location, zone, problems)
    if provisioning not in PROVISIONING:
        problems.append(f"provisioning = {provisioning!r}: allowed: {', '.join(PROVISIONING)}")
    if hosts is not None and hosts > 1:
        _check_slice_size(shape, topology, hosts, node_count, min_nodes, max_nodes, problems)
    else:
        _check_size(node_count, min_nodes, max_nodes, problems)
    if provisioning == "reservation" and not reservation:
        problems.append("reservation: required when provisioning is 'reservation'; allowed: a reservation name")
    if provisioning != "reservation" and reservation:
        problems.append(
            f"reservation = {reservation!r}: only allowed with provisioning 'reservation' "
            f"(provisioning = {provisioning!r})"
        )
    if provisioning == "flex-start" and max_nodes is None:
        problems.append("provisioning 'flex-start' needs autoscaling: give min_nodes/max_nodes, not node_count alone")
    if boot_disk_size_gb < _MIN_BOOT_DISK_GB:
        problems.append(f"boot_disk_size_gb = {boot_disk_size_gb}: allowed: >= {_MIN_BOOT_DISK_GB}")
    if problems:
        raise ValueError("TpuNodePool: " + "; ".join(problems))
    assert hosts is not None
    return topology, hosts


def _check_topology(shape: MachineShape, topology: str, problems: list[str]) -> int | None:
    """Hosts of ``topology`` on ``shape``, or ``None`` after appending the problem."""
    assert shape.tpu is not None
    per_host = shape.tpu.chips_per_host
    allowed = f"allowed on {shape.machine_type}: {', '.join(shape.tpu.topologies)}"
    try:
        chips = tpu_chips(topology)
    except CatalogError as err:
        problems.append(f"topology = {topology!r}: {err}; {allowed}")
        return None
    if topology not in shape.tpu.topologies:
        problems.append(
            f"topology = {topology!r} ({chips} chips) is not a topology of {shape.machine_type} "
            f"({per_host} chips per host); {allowed}"
        )
        return None
    if chips < per_host or chips % per_host:
        problems.append(
            f"topology = {topology!r} has {chips} chips, not a whole number of {shape.machine_type} hosts of "
            f"{per_host} chips each; {allowed}"
        )
        return None
    return chips // per_host


def _check_zone(shape: MachineShape, location: str, zone: str, problems: list[str]) -> None:
    assert shape.tpu is not None
    match = _ZONE.fullmatch(zone) if isinstance(zone, str) else None
    if match is None:
        problems.append(f"zone = {zone!r}: not a zone name; allowed: '<region>-<letter>', e.g. 'us-central1-b'")
        return
    region = match["region"]
    if region not in shape.tpu.regions:
        problems.append(
            f"zone = {zone!r}: region {region} does not offer {shape.accelerator.display} "
            f"({shape.tpu.accelerator_label}); allowed regions: {', '.join(shape.tpu.regions)}"
        )
    if _REGION.fullmatch(location) is not None:
        if region != location:
            problems.append(f"zone = {zone!r}: outside the cluster location {location!r}; allowed: {location}-<letter>")
    elif location != zone:
        problems.append(f"zone = {zone!r}: outside the zonal cluster location {location!r}; allowed: {location}")


def _check_size(node_count: int | None, min_nodes: int | None, max_nodes: int | None, problems: list[str]) -> None:
    """Single-host pool sizes, as for GPU pools."""
    if node_count is None and max_nodes is None:
        problems.append("node_count = None: give node_count (fixed size) or min_nodes/max_nodes (autoscaling)")
    if node_count is not None and node_count < 0:
        problems.append(f"node_count = {node_count}: allowed: >= 0")
    if min_nodes is not None and max_nodes is None:
        problems.append(f"min_nodes = {min_nodes} without max_nodes: give max_nodes for autoscaling")
    if max_nodes is not None and (min_nodes or 0) > max_nodes:
        problems.append(f"min_nodes = {min_nodes} > max_nodes = {max_nodes}; allowed: 0 <= min_nodes <= max_nodes")
    if max_nodes is not None and max_nodes < 1:
        problems.append(f"max_nodes = {max_nodes}: allowed: >= 1")
    if max_nodes is not None and node_count is not None and not (min_nodes or 0) <= node_count <= max_nodes:
        problems.append(f"node_count = {node_count}: must lie within [{min_nodes or 0}, {max_nodes}]")


def _check_slice_size(
    shape: MachineShape,
    topology: str,
    hosts: int,
    node_count: int | None,
    min_nodes: int | None,
    max_nodes: int | None,
    problems: list[str],
) -> None:
    """A multi-host pool holds exactly one slice: ``hosts`` nodes, or 0..hosts scaled atomically."""
    assert shape.tpu is not None
    what = (
        f"a {topology} slice of {shape.machine_type} is {hosts} hosts "
        f"({tpu_chips(topology)} chips / {shape.tpu.chips_per_host} chips per host), one slice per node pool"
    )
    scaled = f"min_nodes = 0, max_nodes = {hosts}"
    if node_count is None and max_nodes is None:
        problems.append(f"node_count = None: {what}; allowed: node_count = {hosts}, or {scaled}")
    if node_count is not None and node_count != hosts:
        problems.append(f"node_count = {node_count}: {what}; allowed: node_count = {hosts}")
    if max_nodes is not None and max_nodes != hosts:
        problems.append(f"max_nodes = {max_nodes}: {what}; allowed: max_nodes = {hosts}")
    if min_nodes is not None and max_nodes is None:
        problems.append(f"min_nodes = {min_nodes} without max_nodes: {what}; allowed: {scaled}")
    elif min_nodes:
        problems.append(
            f"min_nodes = {min_nodes}: {what}, scaled atomically between 0 and {hosts}; allowed: min_nodes = 0 "
            f"(for a slice that always exists give node_count = {hosts} without min_nodes/max_nodes)"
        )
