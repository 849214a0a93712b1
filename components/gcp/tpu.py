"""GKE TPU node pools: single-host TPU VMs or one multi-host TPU slice per node pool, ready for vLLM on TPU.

GKE derives the TPU chips from the machine type (``ct5lp-hightpu-*`` v5e, ``ct5p-hightpu-*`` v5p,
``ct6e-standard-*`` v6e): a TPU node pool has no ``guest_accelerators``. GKE labels its nodes
``cloud.google.com/gke-tpu-accelerator`` (e.g. ``tpu-v6e-slice``) and ``cloud.google.com/gke-tpu-topology``
(e.g. ``2x4``); pods select both and request ``google.com/tpu: <chips per host>``.

Sources: GKE "Plan TPUs in GKE" and "Deploy TPU workloads in GKE Standard" (placement policy ``COMPACT`` with
``tpu_topology`` for multi-host slices, atomic scaling of a multi-host slice, taint ``google.com/tpu``); GKE "About
Ironwood (TPU7x) in GKE" (docs.cloud.google.com/kubernetes-engine/docs/concepts/tpu-ironwood: a multi-host TPU7x node
pool takes a *workload policy*, a Compute Engine resource policy of type ``HIGH_THROUGHPUT`` with the slice's
accelerator topology, through ``--placement-policy`` instead of ``--tpu-topology``); ``gcloud compute resource-policies
create workload-policy NAME --type=HIGH_THROUGHPUT --accelerator-topology=... --region=...`` (gcloud reference); the
pulumi-gcp ``compute.ResourcePolicy`` ``workload_policy {type, accelerator_topology}`` and ``container.NodePool``
``placement_policy {type, policy_name}`` ("the resource policy must be in the same project and region as the node
pool");
GoogleCloudPlatform/cluster-toolkit ``modules/compute/gke-node-pool``; llm-d guides
``optimized-baseline/modelserver/tpu/v6/vllm/patch-vllm.yaml`` (node selectors, ``google.com/tpu`` requests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, count_problem, format_problem
from pulumi_llmd.components.base import AcceleratorPool, Toleration
from pulumi_llmd.components.catalog import (
    AcceleratorKind,
    CatalogError,
    Cloud,
    MachineShape,
    machines,
    tpu_chips,
    tpu_hosts,
)
from pulumi_llmd.components.gcp.cluster import GkeCluster
from pulumi_llmd.components.gcp.node_pool import (
    DEFAULT_BOOT_DISK_SIZE_GB,
    MIN_BOOT_DISK_GB,
    PROVISIONING,
    ClusterRef,
    _opts_depends_on,
    gke_node_pool,
    zone_location_problem,
)
from pulumi_llmd.components.pool_rules import pool_size_problems, reservation_problems

__all__ = [
    "TPU_ACCELERATOR_LABEL",
    "TPU_MODEL_SERVER_ENV",
    "TPU_TAINT",
    "TPU_TOPOLOGY_LABEL",
    "TpuNodePool",
    "tpu_machine_types",
    "workload_policy_name",
    "zone_region",
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
_ZONE = re.compile(r"(?P<region>[a-z]+(?:-[a-z]+)*[0-9]+)-[a-z]")
#: Default of :attr:`TpuNodePoolArgs.provisioning`.
DEFAULT_PROVISIONING = "on-demand"


def tpu_machine_types() -> list[str]:
    """The GKE TPU machine types the catalog knows, sorted (``ct5lp-hightpu-1t`` ... ``ct6e-standard-8t``)."""
    return [s.machine_type for s in machines(Cloud.GCP) if s.tpu is not None]


class TpuNodePoolArgs(TypedDict, total=False):
    """The arguments of :class:`TpuNodePool` (give them as one object or as keyword arguments)."""

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
    """A catalog TPU machine shape, e.g. ``catalog.machine("gcp", "ct6e-standard-4t")`` (4 x v6e chips, 32 GiB HBM
    each)."""
    zone: Required[str]
    """The one zone the nodes live in; its region must offer the TPU version (``shape.tpu.regions``) and lie in the
    cluster's location."""
    topology: str | None
    """The slice's chip grid (``AxB`` for v5e/v6e, ``AxBxC`` for v5p), one of ``shape.tpu.topologies``.
    Default: None (the single-host topology, the first listed, e.g. ``2x2`` on ct6e-standard-4t)."""
    node_count: int | None
    """Nodes: fixed size, or the initial size with autoscaling; a multi-host slice is exactly its hosts (see the
    class's Sizing). Default: None (give ``node_count`` or ``max_nodes``)."""
    min_nodes: int | None
    """Autoscaling minimum (0 for a multi-host slice). Default: None (0 when autoscaling)."""
    max_nodes: int | None
    """Autoscaling maximum (the slice's hosts for a multi-host slice); turns autoscaling on.
    Default: None (a fixed size)."""
    provisioning: str
    """``on-demand``, ``spot``, ``reservation`` (with ``reservation``) or ``flex-start`` (Dynamic Workload Scheduler:
    autoscaling from zero, no reservation, no spot, auto-repair off). Default: ``"on-demand"``."""
    reservation: str | None
    """The specific reservation to consume (provisioning ``reservation`` only). Default: None."""
    boot_disk_type: str | None
    """Boot disk type. Default: None (GKE's default for the machine type)."""
    boot_disk_size_gb: int
    """Boot disk size, GB (>= 10). Default: 200."""
    service_account: pulumi.Input[str] | None
    """The nodes' IAM service account email (least privilege). Default: the cluster object's
    ``node_service_account_email``; with a cluster name, None: the Compute Engine default service account."""
    node_config: Mapping[str, Any] | None
    """Fields of the node pool's ``nodeConfig`` the component does not model, in the provider's wire names (e.g.
    ``{"resourceLabels": {"team": "ml"}, "linuxNodeConfig": {"sysctls": {...}}}``), merged over the component's
    (:func:`~pulumi_llmd.components.kube.merge_values`; applied as a Pulumi transform). Default: None."""


class TpuNodePool(pulumi.ComponentResource):
    """A GKE node pool of TPU VMs: single-host TPU nodes, or exactly one multi-host TPU slice.

    Type token ``llmd:gcp:TpuNodePool``. The slice is ``topology`` (chip grid ``AxB`` for v5e/v6e, ``AxBxC`` for
    v5p); it spans ``hosts = chips(topology) / chips_per_host`` nodes (``catalog.tpu_hosts``). For example
    ct6e-standard-4t (4 chips per host): ``2x2`` is single-host, ``4x4`` is a 4-host slice of 16 chips;
    ct6e-standard-8t ``2x4`` is the 8-chip single host the llm-d v6e guides use with ``--tensor-parallel-size=8``.

    What the node pool carries: the machine type (no ``guest_accelerators``: GKE derives the TPUs from it),
    ``placement_policy{type: COMPACT, tpu_topology}`` for a multi-host slice (none for single-host nodes, whose
    topology the machine type fixes); for a multi-host slice of a version GKE builds from a workload policy
    (``shape.tpu.workload_policy``: TPU7x) instead a ``gcp.compute.ResourcePolicy`` ``<name>-workload-policy`` in the
    zone's region (``workload_policy{type: HIGH_THROUGHPUT, accelerator_topology: <topology>}``) and
    ``placement_policy{type: COMPACT, policy_name: <its name>}``, the pool waiting for the policy; the taint
    ``google.com/tpu=present:NoSchedule``, the labels
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
    ``topology``, ``hosts`` (nodes per slice), ``chips`` (chips per slice) and ``workload_policy`` (the
    ``gcp.compute.ResourcePolicy`` of a multi-host TPU7x slice, else None).

    Arguments: :class:`TpuNodePoolArgs` (as an object or keywords); the component's ``name`` is also the GKE node
    pool name (``cloud.google.com/gke-nodepool`` label). Given a :class:`~pulumi_llmd.components.gcp.GkeCluster` as
    ``cluster``, the pool takes the cluster's name, location, project and node service account and waits for the
    cluster and its ``node_ready``.

    Raises:
        ArgsError: (a ``ValueError``) before anything is registered, naming the argument, its value and what is
        allowed: an unknown or missing argument or one of the wrong kind; a shape
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
    workload_policy: gcp.compute.ResourcePolicy | None

    @overload
    def __init__(self, name: str, args: TpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[TpuNodePoolArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: TpuNodePoolArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(TpuNodePoolArgs, "TpuNodePool", args, kwargs)
        ref = ClusterRef.of(a, "TpuNodePool")
        cluster, location, project, service_account = ref.name, ref.location, ref.project, ref.service_account
        shape, zone = a["shape"], a["zone"]
        topology = a.get("topology")
        node_count, min_nodes, max_nodes = a.get("node_count"), a.get("min_nodes"), a.get("max_nodes")
        provisioning = a.get("provisioning", DEFAULT_PROVISIONING)
        reservation = a.get("reservation")
        boot_disk_type = a.get("boot_disk_type")
        boot_disk_size_gb = a.get("boot_disk_size_gb", DEFAULT_BOOT_DISK_SIZE_GB)
        node_config = a.get("node_config")
        if not isinstance(shape, MachineShape):
            problem = format_problem("shape", shape, "must be a catalog MachineShape, e.g. catalog.machine(...)")
            raise ArgsError("TpuNodePool", [*ref.problems, problem])
        topology, hosts, problems = _validate(
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
        problems = [*ref.problems, *problems]
        if problems:
            raise ArgsError("TpuNodePool", problems)
        assert hosts is not None and location is not None and project is not None
        super().__init__("llmd:gcp:TpuNodePool", name, None, opts)
        assert shape.tpu is not None  # checked by _validate
        self.topology, self.hosts, self.chips = topology, hosts, tpu_chips(topology)
        label = shape.tpu.accelerator_label
        depends_on = [*_opts_depends_on(opts), *ref.depends_on]
        placement: gcp.container.NodePoolPlacementPolicyArgs | None = None
        self.workload_policy = None
        if hosts > 1 and shape.tpu.workload_policy:
            # GKE 'About Ironwood (TPU7x) in GKE': the slice's placement comes from a workload policy (a resource
            # policy in the node pool's project and region), given as the pool's placement policy.
            self.workload_policy = gcp.compute.ResourcePolicy(
                f"{name}-workload-policy",
                name=workload_policy_name(name),
                project=project,
                region=zone_region(zone),
                description=f"High-throughput workload policy of the {topology} {label} slice of node pool {name}",
                workload_policy=gcp.compute.ResourcePolicyWorkloadPolicyArgs(
                    type="HIGH_THROUGHPUT", accelerator_topology=topology
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(_opts_depends_on(opts))),
            )
            placement = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", policy_name=self.workload_policy.name)
            depends_on.append(self.workload_policy)
        elif hosts > 1:
            placement = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=topology)

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
            depends_on=depends_on,
            placement_policy=placement,
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
    location: str | None,
    zone: str,
    topology: str | None,
    node_count: int | None,
    min_nodes: int | None,
    max_nodes: int | None,
    provisioning: str,
    reservation: str | None,
    boot_disk_size_gb: int,
) -> tuple[str, int | None, list[str]]:
    """Check every argument; return ``(topology, hosts, problems)`` (``hosts`` None when the topology is bad)."""
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
        problem = tpu_topology_problem("topology", topology, shape)
        if problem:
            problems.append(problem)
        else:
            hosts = tpu_hosts(shape, topology)
        _check_zone(shape, location, zone, problems)
    if provisioning not in PROVISIONING:
        problems.append(format_problem("provisioning", provisioning, f"allowed: {', '.join(PROVISIONING)}"))
    bad_count = any(
        v is not None and count_problem(k, v, minimum=0)
        for k, v in (("node_count", node_count), ("min_nodes", min_nodes), ("max_nodes", max_nodes))
    )
    if hosts is not None and hosts > 1 and not bad_count:
        _check_slice_size(shape, topology, hosts, node_count, min_nodes, max_nodes, problems)
    else:
        problems += pool_size_problems(node_count, min_nodes, max_nodes)
    problems += reservation_problems(provisioning, reservation, max_nodes)
    problem = count_problem("boot_disk_size_gb", boot_disk_size_gb, minimum=MIN_BOOT_DISK_GB)
    if problem:
        problems.append(f"boot_disk_size_gb = {boot_disk_size_gb!r}: allowed: >= {MIN_BOOT_DISK_GB}")
    return topology, hosts, problems


def tpu_topology_problem(key: str, topology: object, shape: MachineShape) -> str | None:
    """The message for a TPU slice ``topology`` the catalog does not list for ``shape``'s machine type, that is
    malformed, or whose chips are not a whole number of hosts (the message gives the chips and the chips per host);
    else None. ``shape`` must be a TPU shape.

    The one wording of this rule: ``TpuNodePool(topology=...)`` and config validation's ``tpuTopology`` check
    (``blueprints/targets/gke.py``, with the stack file's key) both call it. Multi-host TPU7x slices are allowed:
    :class:`TpuNodePool` creates their GKE workload policy.
    """
    assert shape.tpu is not None
    per_host = shape.tpu.chips_per_host
    allowed = f"allowed on {shape.machine_type}: {', '.join(shape.tpu.topologies)}"
    if not isinstance(topology, str):
        return format_problem(key, topology, allowed)
    try:
        chips = tpu_chips(topology)
    except CatalogError as err:
        return f"{key} = {topology!r}: {err}; {allowed}"
    if topology not in shape.tpu.topologies:
        return format_problem(
            key,
            topology,
            f"{chips} chips, not a topology of {shape.machine_type} ({per_host} chips per host); {allowed}",
        )
    if chips < per_host or chips % per_host:
        return format_problem(
            key,
            topology,
            f"{chips} chips, not a whole number of {shape.machine_type} hosts of {per_host} chips each; {allowed}",
        )
    return None


def zone_region(zone: str) -> str:
    """The region of a Compute Engine zone (``us-central1-c`` -> ``us-central1``)."""
    match = _ZONE.fullmatch(zone) if isinstance(zone, str) else None
    return match["region"] if match is not None else str(zone).rsplit("-", 1)[0]


def workload_policy_name(pool: str) -> str:
    """The name of a multi-host TPU7x node pool's workload policy: ``<pool>-workload-policy``, cut to the 63
    characters of a Compute Engine resource name (RFC 1035)."""
    return f"{pool[:47].rstrip('-')}-workload-policy"


def _check_zone(shape: MachineShape, location: str | None, zone: str, problems: list[str]) -> None:
    """The zone is in a region offering the TPU version and inside the cluster's location."""
    assert shape.tpu is not None
    match = _ZONE.fullmatch(zone) if isinstance(zone, str) else None
    if match is not None and match["region"] not in shape.tpu.regions:
        problems.append(
            f"zone = {zone!r}: region {match['region']} does not offer {shape.accelerator.display} "
            f"({shape.tpu.accelerator_label}); allowed regions: {', '.join(shape.tpu.regions)}"
        )
    if location is not None:
        problem = zone_location_problem("zone", zone, location)
        if problem:
            problems.append(problem)


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
