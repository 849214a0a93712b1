"""The node pools a render creates (or, on an existing cluster, describes), as the twin schedules onto them.

GKE node pools and EKS node groups are read from the cloud resources' inputs, with the labels and taints the cloud
adds itself; machine facts come from :mod:`pulumi_llmd.components.catalog`. An existing cluster's pools come from the
``llmd:cluster:ExistingCluster`` component's inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_llmd.components import catalog
from pulumi_llmd.twin import facts
from pulumi_llmd.twin.model import Graph, NodePool, Resource

_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
_GCE_GENERAL = re.compile(r"^[a-z0-9]+-(standard|highmem|highcpu)-(\d+)$")
_AWS_GENERAL = re.compile(r"^([a-z])[0-9][a-z]*\.(\d*)(x?large|medium)$")
_AWS_SIZES = {"medium": 1, "large": 2, "xlarge": 4}


def _general_machine(machine_type: str) -> tuple[int, int] | None:
    """(vCPUs, memory GiB) of a general-purpose machine type by its name: GCE ``<family>-standard-<n>`` (4 GiB
    per vCPU; highmem 8, highcpu 1 — Compute Engine machine families docs) and EC2 ``m``/``c``/``r`` sizes (4, 2
    and 8 GiB per vCPU — EC2 instance types docs)."""
    gce = _GCE_GENERAL.match(machine_type)
    if gce:
        vcpus = int(gce.group(2))
        return vcpus, vcpus * {"standard": 4, "highmem": 8, "highcpu": 1}[gce.group(1)]
    aws = _AWS_GENERAL.match(machine_type)
    if aws:
        mult = int(aws.group(2) or 1)
        vcpus = _AWS_SIZES.get(aws.group(3), 2) * (mult if aws.group(3) == "xlarge" else 1)
        per = {"m": 4, "c": 2, "r": 8}.get(aws.group(1), 4)
        return vcpus, vcpus * per
    return None


def _allocatable(
    cloud: catalog.Cloud,
    shape: catalog.MachineShape | None,
    machine_type: str,
    *,
    disk_gib: float,
    on_local_ssd: bool,
    extended: Mapping[str, int],
) -> dict[str, float]:
    """A node's allocatable as the twin schedules against it: CPU (millicores), memory and ephemeral storage (MiB)
    by the catalog's reservation formulas (:func:`catalog.node_allocatable` / :func:`catalog.host_allocatable`), the
    extended resources the stack makes the node advertise, and 110 pods."""
    disk = max(1, int(disk_gib))
    if shape is not None:
        alloc = catalog.node_allocatable(shape, boot_disk_gib=disk, ephemeral_on_local_ssd=on_local_ssd)
    else:
        # A system pool: the catalog's system machines (what config validation sized the pickers against), else the
        # machine type's name.
        try:
            known = catalog.system_machine(cloud, machine_type)
            vcpus, memory = known.vcpus, known.memory_gib
        except catalog.CatalogError:
            vcpus, memory = _general_machine(machine_type) or (4, 16)
        alloc = catalog.host_allocatable(cloud, vcpus=vcpus, memory_gib=memory, boot_disk_gib=disk)
    out = {
        "cpu": float(alloc.cpu_millicores),
        "memory": float(alloc.memory_mib),
        "ephemeral-storage": float(alloc.ephemeral_storage_gib) * 1024,
        "pods": 110.0,
    }
    out.update({k: float(v) for k, v in extended.items()})
    return out


def _zones(inputs: Mapping[str, Any]) -> int:
    locations = inputs.get("nodeLocations") or []
    if locations:
        return len(locations)
    location = str(inputs.get("location", ""))
    return 1 if re.search(r"-[a-z]$", location) else 3


def gke_pool(r: Resource, workload_topologies: Mapping[str, str] | None = None) -> NodePool:
    """A GKE node pool from its ``gcp:container/nodePool:NodePool`` inputs. ``workload_topologies`` maps the names of
    the render's Compute Engine workload policies to their ``acceleratorTopology``: a multi-host TPU7x pool names its
    policy in ``placementPolicy.policyName`` instead of giving ``tpuTopology`` (GKE 'About Ironwood (TPU7x) in GKE').
    Default: None (no workload policy)."""
    i = r.inputs
    node = i.get("nodeConfig") or {}
    machine_type = str(node.get("machineType", ""))
    name = str(i.get("name") or r.name)
    labels = {str(k): str(v) for k, v in (node.get("labels") or {}).items()}
    labels.update(
        {
            "cloud.google.com/gke-nodepool": name,
            "node.kubernetes.io/instance-type": machine_type,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
        }
    )
    taints = [
        (str(t.get("key")), str(t.get("value", "")), _EFFECTS.get(str(t.get("effect")), str(t.get("effect"))))
        for t in node.get("taints") or []
    ]
    shape: catalog.MachineShape | None
    try:
        shape = catalog.machine(catalog.Cloud.GCP, machine_type)
    except (catalog.CatalogError, ValueError):
        shape = None
    extended: dict[str, int] = {}
    accelerator = False
    consumption = "on-demand"
    if node.get("spot") or node.get("preemptible"):
        consumption = "spot"
        labels["cloud.google.com/gke-spot"] = "true"
    affinity = node.get("reservationAffinity") or {}
    if affinity.get("consumeReservationType") == "SPECIFIC_RESERVATION":
        consumption = "reservation"
    if node.get("flexStart") or (i.get("queuedProvisioning") or {}).get("enabled"):
        consumption = "flex-start"
        labels["cloud.google.com/gke-flex-start"] = "true"
    for acc in node.get("guestAccelerators") or []:
        extended["nvidia.com/gpu"] = int(acc.get("count", 0))
        labels["cloud.google.com/gke-accelerator"] = str(acc.get("type"))
        accelerator = True
        # GKE taints GPU nodes itself (GKE docs 'About GPUs': nvidia.com/gpu=present:NoSchedule).
        if not any(t[0] == "nvidia.com/gpu" for t in taints):
            taints.append(("nvidia.com/gpu", "present", "NoSchedule"))
    if shape is not None and shape.tpu is not None:
        extended["google.com/tpu"] = shape.accelerator_count
        labels["cloud.google.com/gke-tpu-accelerator"] = shape.tpu.accelerator_label
        # GKE labels every TPU node with its slice topology; a single-host pool gets the machine's own topology
        # (GKE docs 'Plan TPUs in GKE': cloud.google.com/gke-tpu-topology).
        placement = i.get("placementPolicy") or {}
        from_policy = (workload_topologies or {}).get(str(placement.get("policyName") or ""))
        topology = str(placement.get("tpuTopology") or from_policy or shape.tpu.topologies[0])
        if topology:
            labels["cloud.google.com/gke-tpu-topology"] = topology
        accelerator = True
        if not any(t[0] == "google.com/tpu" for t in taints):
            taints.append(("google.com/tpu", "present", "NoSchedule"))
    # Ephemeral storage on the machine's local SSDs when the pool asks for it (GKE API
    # ephemeralStorageLocalSsdConfig), else on the boot disk (default 100 GB).
    on_ssd = node.get("ephemeralStorageLocalSsdConfig") is not None
    allocatable = _allocatable(
        catalog.Cloud.GCP,
        shape,
        machine_type,
        disk_gib=float(node.get("diskSizeGb") or 100),
        on_local_ssd=on_ssd,
        extended=extended,
    )
    autoscaling = i.get("autoscaling") or {}
    zones = _zones(i)
    if autoscaling.get("totalMaxNodeCount"):
        max_nodes = int(autoscaling["totalMaxNodeCount"])
    elif autoscaling.get("maxNodeCount"):
        max_nodes = int(autoscaling["maxNodeCount"]) * zones
    else:
        max_nodes = int(i.get("nodeCount") or i.get("initialNodeCount") or 0) * zones
    initial = int(i.get("nodeCount") or i.get("initialNodeCount") or autoscaling.get("minNodeCount") or 0) * zones
    return NodePool(
        name=name,
        resource=r,
        labels=labels,
        taints=tuple(taints),
        allocatable=allocatable,
        max_nodes=max_nodes,
        initial_nodes=initial,
        accelerator=accelerator,
        shape=shape,
        consumption=consumption,
    )


def _launch_template(graph: Graph, template_id: str) -> Resource | None:
    for r in graph.resources.values():
        if r.type == "aws:ec2/launchTemplate:LaunchTemplate" and f"{r.name}-id" == template_id:
            return r
    return None


def eks_pool(r: Resource, graph: Graph, plugins: set[str]) -> NodePool:
    """An EKS managed node group from its ``aws:eks/nodeGroup:NodeGroup`` inputs; ``plugins`` are the extended
    resources device plugins in the stack advertise."""
    i = r.inputs
    instance_type = str((i.get("instanceTypes") or [""])[0])
    name = str(i.get("nodeGroupName") or r.name)
    labels = {str(k): str(v) for k, v in (i.get("labels") or {}).items()}
    labels.update(
        {
            "eks.amazonaws.com/nodegroup": name,
            "node.kubernetes.io/instance-type": instance_type,
            "eks.amazonaws.com/capacityType": str(i.get("capacityType", "ON_DEMAND")),
            "kubernetes.io/os": "linux",
        }
    )
    taints = tuple(
        (str(t.get("key")), str(t.get("value", "")), _EFFECTS.get(str(t.get("effect")), str(t.get("effect"))))
        for t in i.get("taints") or []
    )
    shape: catalog.MachineShape | None
    try:
        shape = catalog.machine(catalog.Cloud.AWS, instance_type)
    except (catalog.CatalogError, ValueError):
        shape = None
    extended: dict[str, int] = {}
    if shape is not None:
        if "nvidia.com/gpu" in plugins:
            extended["nvidia.com/gpu"] = shape.accelerator_count
        if "vpc.amazonaws.com/efa" in plugins and shape.efa_interfaces:
            extended["vpc.amazonaws.com/efa"] = shape.efa_interfaces
    template_id = str((i.get("launchTemplate") or {}).get("id", ""))
    template = _launch_template(graph, template_id) if template_id else None
    disk = float(i.get("diskSize") or 20)
    raid0 = False
    if template is not None:
        for mapping in template.inputs.get("blockDeviceMappings") or []:
            size = (mapping.get("ebs") or {}).get("volumeSize")
            if size:
                disk = float(size)
        raid0 = "RAID0" in str(template.inputs.get("userData", ""))
    allocatable = _allocatable(
        catalog.Cloud.AWS, shape, instance_type, disk_gib=disk, on_local_ssd=raid0, extended=extended
    )
    scaling = i.get("scalingConfig") or {}
    consumption = {"SPOT": "spot", "CAPACITY_BLOCK": "capacity-block"}.get(str(i.get("capacityType")), "on-demand")
    return NodePool(
        name=name,
        resource=r,
        labels=labels,
        taints=taints,
        allocatable=allocatable,
        max_nodes=int(scaling.get("maxSize") or 0),
        initial_nodes=int(scaling.get("desiredSize") or scaling.get("minSize") or 0),
        accelerator=shape is not None,
        shape=shape,
        consumption=consumption,
    )


def existing_pools(r: Resource) -> list[NodePool]:
    """The pools an ``llmd:cluster:ExistingCluster`` component describes in its inputs; with no accelerator pools
    the README's kind laptop node (:data:`facts.LAPTOP_NODE`) for CPU pods, else an unbounded general node."""
    pools: list[NodePool] = []
    for p in r.inputs.get("pools") or []:
        selector = {str(k): str(v) for k, v in (p.get("nodeSelector") or {}).items()}
        taints = tuple(
            (str(t.get("key")), str(t.get("value") or ""), str(t.get("effect", "NoSchedule")))
            for t in p.get("tolerations") or []
            if t.get("key")
        )
        # A CPU pool (accelerator "cpu") advertises no device: its resourceName is empty.
        cpu = p.get("accelerator") == catalog.CPU.name
        resource_name = "" if cpu else str(p.get("resourceName") or "nvidia.com/gpu")
        extended = {resource_name: int(p.get("devicesPerNode") or 1)} if resource_name else {}
        extended.update(facts.COMPANION_RESOURCES.get(resource_name, {}))
        if p.get("rdmaResource"):
            extended[str(p["rdmaResource"])] = int(p.get("rdmaDevicesPerNode") or 1)
        described = catalog.host_allocatable(
            catalog.Cloud.EXISTING,
            vcpus=int(p.get("vcpus") or 1),
            memory_gib=int(p.get("memoryGiB") or p.get("memoryGib") or 1),
            boot_disk_gib=1024,  # an existing cluster's disks are not described: assume they hold the weights
        )
        pools.append(
            NodePool(
                name=str(p.get("name")),
                resource=None,
                labels=selector,
                taints=taints,
                allocatable={
                    "cpu": float(described.cpu_millicores),
                    "memory": float(described.memory_mib),
                    "ephemeral-storage": float(described.ephemeral_storage_gib) * 1024,
                    "pods": 110.0,
                    **{k: float(v) for k, v in extended.items()},
                },
                max_nodes=int(p.get("maxNodes") or 1),
                initial_nodes=int(p.get("maxNodes") or 1),
                accelerator=not cpu,
            )
        )
    if pools:
        general = NodePool(
            name="(existing general nodes)",
            resource=None,
            labels={},
            taints=(),
            allocatable={"cpu": 64000.0, "memory": 256 * 1024.0, "ephemeral-storage": 500 * 1024.0, "pods": 110.0},
            max_nodes=100,
            initial_nodes=100,
            accelerator=False,
        )
    else:
        laptop = facts.LAPTOP_NODE
        general = NodePool(
            name="(kind node: laptop)",
            resource=None,
            labels={},
            taints=(),
            allocatable={
                "cpu": float(laptop["cpu_millicores"]),
                "memory": float(laptop["memory_mib"]),
                "ephemeral-storage": float(laptop["ephemeral_storage_gib"]) * 1024,
                "pods": 110.0,
            },
            max_nodes=1,
            initial_nodes=1,
            accelerator=False,
        )
    return [*pools, general]


def discover(graph: Graph) -> list[NodePool]:
    """Every node pool of the render (GKE node pools, EKS node groups, an existing cluster's pools)."""
    plugins = {
        resource
        for r in graph.resources.values()
        for resource, chart in facts.DEVICE_PLUGIN_CHARTS.items()
        if r.chart == chart
    }
    workload_topologies = {
        str(r.inputs.get("name") or r.name): str((r.inputs.get("workloadPolicy") or {}).get("acceleratorTopology"))
        for r in graph.custom()
        if r.type == "gcp:compute/resourcePolicy:ResourcePolicy"
        and (r.inputs.get("workloadPolicy") or {}).get("acceleratorTopology")
    }
    pools: list[NodePool] = []
    for r in graph.custom():
        if r.type == "gcp:container/nodePool:NodePool":
            pools.append(gke_pool(r, workload_topologies))
        elif r.type == "aws:eks/nodeGroup:NodeGroup":
            pools.append(eks_pool(r, graph, plugins))
    for r in sorted(graph.resources.values(), key=lambda r: r.urn):
        if r.type == "llmd:cluster:ExistingCluster":
            pools.extend(existing_pools(r))
    return pools
