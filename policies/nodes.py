"""The nodes a node pool / node group makes, and the pools a pod can be scheduled to.

Rules that judge a pod against "its node" (``parallelism-fits-node``) must find the node the scheduler would pick:
every pool whose node labels satisfy the pod's ``nodeSelector`` and required node affinity and whose taints the pod
tolerates is a candidate (Kubernetes "Assigning Pods to Nodes" and "Taints and Tolerations",
kubernetes.io/docs/concepts/scheduling-eviction/). A pod that asks for more devices than a candidate's node has is
simply not placed there, so a pod fits when **some** candidate has enough devices; it does not fit when none has.

Node labels per pool, as the cloud sets them:

* GKE (cloud.google.com/kubernetes-engine/docs/how-to/node-labels, .../gpus, .../tpus):
  ``cloud.google.com/gke-nodepool`` (pool name), ``node.kubernetes.io/instance-type`` (machine type),
  ``cloud.google.com/machine-family``, ``cloud.google.com/gke-accelerator`` (GPU type) on GPU pools,
  ``cloud.google.com/gke-tpu-accelerator`` / ``cloud.google.com/gke-tpu-topology`` on TPU pools,
  ``cloud.google.com/gke-spot`` on Spot pools, plus ``nodeConfig.labels``. GKE taints GPU nodes
  ``nvidia.com/gpu=present:NoSchedule`` and TPU nodes ``google.com/tpu=present:NoSchedule``.
* EKS managed node groups (docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html):
  ``eks.amazonaws.com/nodegroup`` (node group name), ``eks.amazonaws.com/capacityType``,
  ``node.kubernetes.io/instance-type`` (one of ``instanceTypes``), plus ``labels``.

Labels of other provider-owned prefixes (``topology.kubernetes.io/zone``, ``kubernetes.io/arch``, feature discovery
``nvidia.com/...``) are not known from the graph: a selector on them is taken as satisfiable (a pool is never ruled
out on a label the graph cannot show). A pod that requests an extended resource tolerates taints of that key
(the ExtendedResourceToleration admission plugin, which GKE enables; kubernetes.io/docs/reference/access-authn-authz/
admission-controllers/#extendedresourcetoleration).

Devices per node come from ``guestAccelerators`` (GKE), the machine type (GKE ``...-<N>g`` GPU machine types, G2 sizes,
TPU ``...-<N>t``), or the EKS instance type table :data:`EC2_ACCELERATORS` (AWS "Accelerated computing instance
specifications", docs.aws.amazon.com/ec2/latest/instancetypes/ac.html). An unknown instance type leaves the node's
devices unknown, and the pod is then not judged (no guessing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_llmd.policies.graph import (
    ACCELERATOR_RESOURCES,
    Graph,
    PodTemplate,
    as_int,
    dig,
    items,
    mapping,
    pool_accelerators,
)
from pulumi_llmd.policies.model import Resource

_SINGLE_GPU_SIZES: Final = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
_MULTI_GPU_SIZES: Final = (("12xlarge", 4), ("24xlarge", 4), ("48xlarge", 8))
#: EC2 accelerated instance types -> (extended resource, devices per instance). Neuron instances also advertise
#: ``aws.amazon.com/neuroncore`` (2 cores per Inferentia2 / Trainium chip, 8 per Trainium2 chip; AWS Neuron docs
#: "Neuron Kubernetes device plugin"). Source: docs.aws.amazon.com/ec2/latest/instancetypes/ac.html.
EC2_ACCELERATORS: Final[Mapping[str, tuple[str, int]]] = {
    "p4d.24xlarge": ("nvidia.com/gpu", 8),
    "p4de.24xlarge": ("nvidia.com/gpu", 8),
    "p5.4xlarge": ("nvidia.com/gpu", 1),
    "p5.48xlarge": ("nvidia.com/gpu", 8),
    "p5e.48xlarge": ("nvidia.com/gpu", 8),
    "p5en.48xlarge": ("nvidia.com/gpu", 8),
    "p6-b200.48xlarge": ("nvidia.com/gpu", 8),
    **{f"{family}.{size}": ("nvidia.com/gpu", 1) for family in ("g5", "g6", "g6e") for size in _SINGLE_GPU_SIZES},
    **{f"{family}.{size}": ("nvidia.com/gpu", n) for family in ("g5", "g6", "g6e") for size, n in _MULTI_GPU_SIZES},
    **{f"g4dn.{size}": ("nvidia.com/gpu", 1) for size in _SINGLE_GPU_SIZES},
    "g4dn.12xlarge": ("nvidia.com/gpu", 4),
    "g4dn.metal": ("nvidia.com/gpu", 8),
    "inf2.xlarge": ("aws.amazon.com/neuron", 1),
    "inf2.8xlarge": ("aws.amazon.com/neuron", 1),
    "inf2.24xlarge": ("aws.amazon.com/neuron", 6),
    "inf2.48xlarge": ("aws.amazon.com/neuron", 12),
    "trn1.2xlarge": ("aws.amazon.com/neuron", 1),
    "trn1.32xlarge": ("aws.amazon.com/neuron", 16),
    "trn1n.32xlarge": ("aws.amazon.com/neuron", 16),
    "trn2.48xlarge": ("aws.amazon.com/neuron", 16),
}
_NEURON_CORES_PER_CHIP: Final = {"inf2": 2, "trn1": 2, "trn1n": 2, "trn2": 8}
#: GKE G2 (NVIDIA L4) machine types -> GPUs (cloud.google.com/compute/docs/gpus#l4-gpus).
G2_GPUS: Final[Mapping[str, int]] = {
    f"g2-standard-{cpu}": n for cpu, n in ((4, 1), (8, 1), (12, 1), (16, 1), (24, 2), (32, 1), (48, 4), (96, 8))
}
_GKE_GPU_MACHINE = re.compile(r"^a[0-9]+x?-[a-z]+gpu-([0-9]+)g(?:-|$)")
#: vLLM (JAX) devices per TPU chip by ``cloud.google.com/gke-tpu-accelerator`` value, where it is not 1: TPU7x chips
#: carry two TensorCores that JAX exposes as two devices (Cloud TPU7x docs, docs.cloud.google.com/tpu/docs/tpu7x), so
#: llm-d runs ``--tensor-parallel-size=8`` on a 4-chip ``tpu7x`` host (``optimized-baseline/modelserver/tpu/v7``).
#: Mirrors ``components/catalog.py`` ``Accelerator.vllm_devices_per_chip`` (the packs import no component code).
TPU_DEVICES_PER_CHIP: Final[Mapping[str, int]] = {"tpu7x": 2}
_TPU_MACHINE = re.compile(r"^(?:ct[0-9][a-z]*|tpu[0-9][a-z]*)-[a-z]+-([0-9]+)t$")
#: Label prefixes the cloud / kubelet / feature discovery own: selectors on them are not ruled out by the graph.
PROVIDER_LABEL_PREFIXES: Final = (
    "kubernetes.io/",
    "node.kubernetes.io/",
    "topology.kubernetes.io/",
    "beta.kubernetes.io/",
    "failure-domain.beta.kubernetes.io/",
    "cloud.google.com/",
    "node.gke.io/",
    "eks.amazonaws.com/",
    "k8s.amazonaws.com/",
    "topology.k8s.aws/",
    "karpenter.sh/",
    "karpenter.k8s.aws/",
    "nvidia.com/",
    "feature.node.kubernetes.io/",
)
#: Label prefixes another cloud sets (never on this cloud's nodes).
_FOREIGN: Final = {
    "gcp": ("eks.amazonaws.com/", "k8s.amazonaws.com/", "topology.k8s.aws/", "karpenter.k8s.aws/"),
    "aws": ("cloud.google.com/", "node.gke.io/"),
}
#: Taint effects that keep a pod off a node (PreferNoSchedule only discourages).
_BLOCKING_EFFECTS: Final = frozenset({"NoSchedule", "NoExecute", "NO_SCHEDULE", "NO_EXECUTE"})
_EFFECT_NAMES: Final = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


@dataclass(frozen=True)
class NodeShape:
    """One kind of node a pool makes: its labels, taints and devices.

    ``devices`` maps extended resources to devices per node; ``None`` when the graph cannot tell (unknown instance
    type). ``pool`` is the node pool / node group (None for a node the graph does not show, e.g. node
    auto-provisioning).
    """

    pool: Resource | None
    labels: Mapping[str, str]
    taints: tuple[Mapping[str, str], ...] = ()
    devices: Mapping[str, int] | None = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    absent_prefixes: tuple[str, ...] = ()

    def knows_absent(self, key: str) -> bool:
        """Whether label ``key`` is known not to be on these nodes (another cloud's label, or a GKE label GKE sets
        only on GPU / TPU / Spot pools)."""
        return key in self.absent or key.startswith(self.absent_prefixes)

    @property
    def name(self) -> str:
        """The pool's name (``node auto-provisioning`` for a node the graph does not show)."""
        return self.pool.object_name if self.pool is not None else "node auto-provisioning / Karpenter"


def _gke_devices(node_config: Mapping[str, Any]) -> dict[str, int]:
    for accelerator in items(node_config.get("guestAccelerators")):
        count = as_int(mapping(accelerator).get("count")) or 0
        if count:
            return {"nvidia.com/gpu": count}
    machine = str(node_config.get("machineType", ""))
    tpu = _TPU_MACHINE.match(machine)
    if tpu:
        return {"google.com/tpu": int(tpu.group(1))}
    gpu = _GKE_GPU_MACHINE.match(machine)
    if gpu:
        return {"nvidia.com/gpu": int(gpu.group(1))}
    if machine in G2_GPUS:
        return {"nvidia.com/gpu": G2_GPUS[machine]}
    return {}


def _taint(value: Any) -> Mapping[str, str]:
    taint = mapping(value)
    effect = str(taint.get("effect", ""))
    return {
        "key": str(taint.get("key", "")),
        "value": str(taint.get("value", "") or ""),
        "effect": _EFFECT_NAMES.get(effect, effect),
    }


def gke_pool_nodes(pool: Resource) -> list[NodeShape]:
    """The node shape of a GKE node pool (labels GKE sets, taints incl. GKE's GPU/TPU taint, devices)."""
    node_config = mapping(pool.props.get("nodeConfig"))
    machine = str(node_config.get("machineType", ""))
    labels = {str(k): str(v) for k, v in mapping(node_config.get("labels")).items()}
    labels["cloud.google.com/gke-nodepool"] = str(pool.props.get("name") or pool.name)
    if machine:
        labels["node.kubernetes.io/instance-type"] = machine
        labels["cloud.google.com/machine-family"] = machine.split("-", 1)[0]
    if node_config.get("spot") is True:
        labels["cloud.google.com/gke-spot"] = "true"
    taints = [_taint(t) for t in items(node_config.get("taints"))]
    devices = _gke_devices(node_config)
    kind, _ = pool_accelerators(pool)
    if "nvidia.com/gpu" in devices:
        if kind and kind != "tpu":
            labels["cloud.google.com/gke-accelerator"] = kind
        taints.append({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"})
    if "google.com/tpu" in devices:
        topology = dig(pool.props, "placementPolicy", "tpuTopology")
        if topology:
            labels["cloud.google.com/gke-tpu-topology"] = str(topology)
        taints.append({"key": "google.com/tpu", "value": "present", "effect": "NoSchedule"})
    # GKE sets the GPU label only on GPU pools and the TPU labels only on TPU pools (there, with values the graph
    # may not show: they stay unknown).
    absent = {"cloud.google.com/gke-spot"} - set(labels)
    if "nvidia.com/gpu" not in devices:
        absent.add("cloud.google.com/gke-accelerator")
    if "google.com/tpu" not in devices:
        absent |= {"cloud.google.com/gke-tpu-accelerator", "cloud.google.com/gke-tpu-topology"}
    return [NodeShape(pool, labels, tuple(taints), devices, frozenset(absent), _FOREIGN["gcp"])]


def eks_group_nodes(group: Resource) -> list[NodeShape]:
    """One node shape per instance type of an EKS managed node group (devices None for an unknown GPU type)."""
    labels = {str(k): str(v) for k, v in mapping(group.props.get("labels")).items()}
    labels["eks.amazonaws.com/nodegroup"] = str(group.props.get("nodeGroupName") or group.name)
    capacity = group.props.get("capacityType")
    if capacity:
        labels["eks.amazonaws.com/capacityType"] = str(capacity)
    taints = tuple(_taint(t) for t in items(group.props.get("taints")))
    gpu_ami = any(w in str(group.props.get("amiType", "")) for w in ("NVIDIA", "GPU", "NEURON"))
    shapes = []
    for instance_type in [str(t) for t in items(group.props.get("instanceTypes"))] or [""]:
        devices: dict[str, int] | None
        if instance_type in EC2_ACCELERATORS:
            resource, count = EC2_ACCELERATORS[instance_type]
            devices = {resource: count}
            cores = _NEURON_CORES_PER_CHIP.get(instance_type.split(".", 1)[0])
            if cores:
                devices["aws.amazon.com/neuroncore"] = count * cores
        else:
            devices = None if gpu_ami else {}
        shape_labels = dict(labels)
        if instance_type:
            shape_labels["node.kubernetes.io/instance-type"] = instance_type
        shapes.append(NodeShape(group, shape_labels, taints, devices, frozenset(), _FOREIGN["aws"]))
    return shapes


def pool_nodes(pool: Resource) -> list[NodeShape]:
    """The node shapes of a GKE node pool or an EKS node group (empty for other resources)."""
    if pool.type == "gcp:container/nodePool:NodePool":
        return gke_pool_nodes(pool)
    if pool.type == "aws:eks/nodeGroup:NodeGroup":
        return eks_group_nodes(pool)
    return []


def _provider_label(key: str) -> bool:
    return key.startswith(PROVIDER_LABEL_PREFIXES)


def _requirement_holds(requirement: Mapping[str, Any], shape: NodeShape) -> bool:
    key, operator = str(requirement.get("key", "")), str(requirement.get("operator", ""))
    values = [str(v) for v in items(requirement.get("values"))]
    labels = shape.labels
    if key not in labels:
        if _provider_label(key) and not shape.knows_absent(key):
            return True  # a label the graph cannot show: do not rule the pool out
        return operator in ("NotIn", "DoesNotExist")
    value = labels[key]
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return True
    if operator == "DoesNotExist":
        return False
    if operator in ("Gt", "Lt") and values:
        have, bound = as_int(value), as_int(values[0])
        if have is None or bound is None:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def selects_node(template: PodTemplate, shape: NodeShape) -> bool:
    """Whether a pod's ``nodeSelector`` and required node affinity (``nodeSelectorTerms``: any term, every
    expression) accept a node of ``shape``."""
    for key, value in mapping(template.spec.get("nodeSelector")).items():
        if not _requirement_holds({"key": key, "operator": "In", "values": [value]}, shape):
            return False
    required = dig(template.spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    terms = [mapping(t) for t in items(mapping(required).get("nodeSelectorTerms"))]
    if not terms:
        return True
    return any(all(_requirement_holds(mapping(e), shape) for e in items(t.get("matchExpressions"))) for t in terms)


def _requested_resources(template: PodTemplate) -> set[str]:
    names: set[str] = set()
    for container in template.containers():
        for which in ("limits", "requests"):
            names |= {str(k) for k in mapping(dig(container, "resources", which))}
    return names


def tolerates(template: PodTemplate, taints: Iterable[Mapping[str, str]]) -> bool:
    """Whether the pod tolerates every NoSchedule / NoExecute taint (explicit tolerations, or a requested extended
    resource of the taint's key)."""
    tolerations = [mapping(t) for t in items(template.spec.get("tolerations"))]
    requested = _requested_resources(template)
    for taint in taints:
        if taint.get("effect") not in _BLOCKING_EFFECTS or taint.get("key") in requested:
            continue
        if not any(_tolerated(t, taint) for t in tolerations):
            return False
    return True


def _tolerated(toleration: Mapping[str, Any], taint: Mapping[str, str]) -> bool:
    effect = str(toleration.get("effect") or "")
    if effect and effect != taint.get("effect"):
        return False
    key = str(toleration.get("key") or "")
    operator = str(toleration.get("operator") or "Equal")
    if operator == "Exists":
        return not key or key == taint.get("key")
    return key == taint.get("key") and str(toleration.get("value") or "") == taint.get("value", "")


def provisions_nodes(graph: Graph) -> bool:
    """Whether nodes outside the graph's pools may appear: GKE node auto-provisioning or Karpenter."""
    if any(dig(c.props, "clusterAutoscaling", "enabled") is True for c in graph.gke_clusters()):
        return True
    return bool(graph.releases_of("karpenter") or graph.kubernetes("NodePool", group="karpenter.sh"))


def candidate_nodes(template: PodTemplate, graph: Graph) -> list[NodeShape]:
    """The node shapes of the stack's pools that pods of ``template`` can be scheduled to (labels and taints), plus
    an unknown shape when nodes may be provisioned outside the graph (:func:`provisions_nodes`)."""
    shapes = graph.memo("pool_nodes", lambda: [shape for pool in graph.node_pools() for shape in pool_nodes(pool)])
    found = [shape for shape in shapes if selects_node(template, shape) and tolerates(template, shape.taints)]
    if provisions_nodes(graph):
        found.append(NodeShape(None, {}, (), None))
    return found


def pod_devices(template: PodTemplate) -> dict[str, int]:
    """Accelerator devices one pod requests, per extended resource: the sum over its containers (limits, else
    requests) or the largest init container, whichever is more (the scheduler's effective request)."""
    app: dict[str, int] = {}
    init: dict[str, int] = {}
    for container in template.containers(init=False):
        for name, count in _device_counts(container).items():
            app[name] = app.get(name, 0) + count
    for container in items(template.spec.get("initContainers")):
        for name, count in _device_counts(mapping(container)).items():
            init[name] = max(init.get(name, 0), count)
    return {k: max(app.get(k, 0), init.get(k, 0)) for k in set(app) | set(init)}


def _device_counts(container: Mapping[str, Any]) -> dict[str, int]:
    limits = mapping(dig(container, "resources", "limits"))
    requests = mapping(dig(container, "resources", "requests"))
    found = {}
    for name in ACCELERATOR_RESOURCES:
        count = as_int(limits.get(name, requests.get(name)))
        if count:
            found[name] = count
    return found


def fits(devices: Mapping[str, int], shape: NodeShape) -> bool | None:
    """Whether ``devices`` fit one node of ``shape`` (None when the shape's devices are unknown)."""
    if shape.devices is None:
        return None
    return all(shape.devices.get(name, 0) >= count for name, count in devices.items())


def describe_devices(shapes: Sequence[NodeShape]) -> str:
    """``pool h100 (8 nvidia.com/gpu per node), ...`` for messages."""
    parts = []
    for shape in shapes:
        devices = ", ".join(f"{n} {k}" for k, n in sorted((shape.devices or {}).items())) or "no accelerators"
        instance = shape.labels.get("node.kubernetes.io/instance-type")
        parts.append(f"pool {shape.name}{f' ({instance})' if instance else ''}: {devices} per node")
    return "; ".join(parts)


def tpu_devices_per_chip(template: PodTemplate) -> int:
    """vLLM devices per requested ``google.com/tpu`` chip of a pod: :data:`TPU_DEVICES_PER_CHIP` of the TPU version
    its ``nodeSelector`` names (``cloud.google.com/gke-tpu-accelerator``), else 1."""
    label = mapping(template.spec.get("nodeSelector")).get("cloud.google.com/gke-tpu-accelerator")
    return TPU_DEVICES_PER_CHIP.get(str(label), 1) if label else 1
