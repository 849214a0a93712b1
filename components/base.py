"""Cloud-neutral descriptions of what a cluster component hands to the rest of the library.

A cloud package (``components.gcp``, later ``components.aws`` and ``components.cluster``) builds nodes and returns a
:class:`Cluster`: the Kubernetes provider for the new cluster plus one :class:`AcceleratorPool` per accelerator pool.
Serving components read only these objects, so they never branch on the cloud: the pool says how a pod lands on its
nodes (node selector, tolerations), which extended resource it requests, and how many devices one node has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components.catalog import MachineShape, RdmaKind

#: Secret and key llm-d's guides read the Hugging Face token from.
HF_TOKEN_SECRET = "llm-d-hf-token"
HF_TOKEN_KEY = "HF_TOKEN"


class Platform(StrEnum):
    """Where the cluster runs; decides the platform defaults (gateway classes, managed CRDs)."""

    GKE = "gke"
    EKS = "eks"
    EXISTING = "existing"


@dataclass(frozen=True)
class Toleration:
    """A pod toleration, e.g. ``Toleration("nvidia.com/gpu", "present", "NoSchedule")``."""

    key: str
    value: str | None
    effect: str
    #: ``Equal`` (the value must match) or ``Exists``; a None ``value`` always renders ``Exists``. Default: "Equal".
    operator: str = "Equal"

    def to_k8s(self) -> dict[str, str]:
        """The toleration as a Kubernetes ``core/v1`` Toleration object (camelCase keys)."""
        out = {"key": self.key, "operator": self.operator if self.value is not None else "Exists"}
        if self.value is not None:
            out["value"] = self.value
        out["effect"] = self.effect
        return out


#: Linux capabilities RDMA transports need in the container: pinning (registering) GPU and host memory for the NIC
#: (llm-d pd-disaggregation guide, AWS overlay: ``IPC_LOCK``).
RDMA_CAPABILITIES: tuple[str, ...] = ("IPC_LOCK",)


@dataclass(frozen=True)
class DraRdmaClaim:
    """A Dynamic Resource Allocation request for one accelerator and the RDMA NIC on its PCIe root.

    The pod gets one claim per accelerator from the ResourceClaimTemplate ``template`` (GKE: device classes
    ``gpu.nvidia.com`` and ``mrdma.google.com`` matched on ``resource.kubernetes.io/pcieRoot``, as llm-d's
    pd-disaggregation ``gke-rdma`` component does), instead of the ``nvidia.com/gpu`` extended resource.
    """

    template: str
    gpu_device_class: str
    nic_device_class: str
    #: The device attribute the GPU and its NIC must share (the claim's ``constraints[].matchAttribute``).
    #: Default: "resource.kubernetes.io/pcieRoot" (same PCIe root).
    match_attribute: str = "resource.kubernetes.io/pcieRoot"

    def template_manifest(self, namespace: str, name: str | None = None) -> dict[str, Any]:
        """The ``resource.k8s.io/v1`` ResourceClaimTemplate pods of this pool claim from: one GPU + its NIC.

        Args:
            namespace: Namespace of the template (the pods' namespace).
            name: Name of the template. Default: None (``template``).
        """
        return {
            "apiVersion": "resource.k8s.io/v1",
            "kind": "ResourceClaimTemplate",
            "metadata": {"name": name or self.template, "namespace": namespace},
            "spec": {
                "spec": {
                    "devices": {
                        "requests": [
                            {"name": "gpu", "exactly": {"deviceClassName": self.gpu_device_class, "count": 1}},
                            {"name": "nic", "exactly": {"deviceClassName": self.nic_device_class, "count": 1}},
                        ],
                        "constraints": [{"matchAttribute": self.match_attribute}],
                    }
                }
            },
        }


@dataclass(frozen=True)
class RdmaAttachment:
    """How a pod on an accelerator pool reaches the node-to-node RDMA fabric; serving reads it, never the cloud.

    Exactly one mechanism carries the NICs into the pod:

    * ``annotations``: pod annotations that attach the node's RDMA NICs as extra interfaces (GKE multi-networking:
      ``networking.gke.io/interfaces`` with ``eth2..eth9 -> rdma-0..7``). Such device-mode interfaces belong to one pod
      per node, so ``whole_node`` is True: a pod must take every accelerator of its node.
    * ``resource_name``: an extended resource per NIC (``vpc.amazonaws.com/efa`` on EKS, ``rdma/ib`` on an
      InfiniBand cluster); a pod requests its share, ``nics_per_node * devices // devices_per_node`` (at least 1).
    * ``dra``: one DRA claim per accelerator pairing it with its NIC (see :class:`DraRdmaClaim`).

    Attributes:
        fabric: the fabric kind (``roce``, ``efa``, ``infiniband``).
        nics_per_node: RDMA NICs (EFA devices) on one node, from the catalog (8 on a3-ultragpu-8g, 16 on p5en.48xlarge).
        annotations: pod annotations attaching the NICs (first mechanism above). Default: none.
        resource_name: extended resource per NIC (second mechanism above). Default: None.
        dra: DRA claim per accelerator (third mechanism above). Default: None.
        env: environment the transports need (e.g. ``UCX_IB_ROCE_REACHABILITY_MODE=all`` on RoCE, ``FI_PROVIDER=efa``).
            Default: none.
        capabilities: Linux capabilities to add (default ``IPC_LOCK``).
        nixl_backends: NIXL backends for vLLM's NixlConnector (``LIBFABRIC`` on EFA, per llm-d's AWS overlay).
            Default: ``UCX``.
    """

    fabric: RdmaKind
    nics_per_node: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    resource_name: str | None = None
    dra: DraRdmaClaim | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    capabilities: tuple[str, ...] = RDMA_CAPABILITIES
    nixl_backends: tuple[str, ...] = ("UCX",)
    #: Extended resources a pod requests (and limits) as ``0`` so an admission webhook does not inject them. On GKE
    #: A3 Ultra / A4, GKE Warden injects ``networking.gke.io.networks/rdma-X`` and ``.../rdma-X.IP`` from the
    #: interfaces annotation while the nodes advertise only the ``.IP`` variant; a ``0`` for the non-``.IP`` one keeps
    #: pods schedulable (llm-d guides, wide-ep-lws/modelserver/gpu/vllm/gke/kustomization.yaml). Default: none.
    zero_resources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        mechanisms = sum((bool(self.annotations), self.resource_name is not None, self.dra is not None))
        if mechanisms != 1:
            raise ValueError(
                "RdmaAttachment: give exactly one of annotations, resource_name or dra "
                f"(got {mechanisms}) for fabric {self.fabric.value}"
            )
        if self.nics_per_node < 1:
            raise ValueError(f"RdmaAttachment: nics_per_node = {self.nics_per_node}: must be >= 1")

    @property
    def whole_node(self) -> bool:
        """Pods must take every accelerator of a node (device-mode interfaces attach to one pod per node)."""
        return bool(self.annotations)

    def nics_for(self, devices: int, devices_per_node: int) -> int:
        """RDMA NICs a pod of ``devices`` accelerators gets: its share of the node's NICs, at least 1.

        E.g. p5en.48xlarge (16 EFA, 8 GPUs): 8 for a TP-4 decode pod, 2 for a TP-1 prefill pod (llm-d AWS overlay).
        """
        return max(1, self.nics_per_node * devices // max(1, devices_per_node))


@dataclass(frozen=True)
class AcceleratorPool:
    """What a model server needs to know about the nodes it runs on.

    ``devices_per_node`` and ``resource_name`` come from the catalog (e.g. 8 x ``nvidia.com/gpu`` on
    a3-highgpu-8g); ``max_nodes`` is the most nodes the pool can scale to.
    """

    name: str
    shape: MachineShape
    node_selector: Mapping[str, str]
    tolerations: tuple[Toleration, ...]
    max_nodes: int
    #: Environment every model server on this pool needs (e.g. GKE: NCCL plugin settings for the node image).
    #: Default: none.
    model_server_env: Mapping[str, str] = field(default_factory=dict)
    #: How pods reach the pool's RDMA fabric; ``None`` when the pool has none attached (TCP only). Default: None.
    rdma: RdmaAttachment | None = None

    @property
    def resource_name(self) -> str:
        """Extended resource a pod requests for one device (``nvidia.com/gpu``, ``google.com/tpu``)."""
        return self.shape.accelerator.resource_name

    @property
    def devices_per_node(self) -> int:
        """Accelerator devices on one node of the pool."""
        return self.shape.accelerator_count

    @property
    def capacity(self) -> int:
        """Devices in the pool at its maximum size."""
        return self.devices_per_node * self.max_nodes

    def pod_placement(self) -> dict[str, Any]:
        """``nodeSelector`` and ``tolerations`` for a pod spec that must land on this pool."""
        return {
            "nodeSelector": dict(sorted(self.node_selector.items())),
            "tolerations": [t.to_k8s() for t in self.tolerations],
        }


@dataclass
class Cluster:
    """A cluster the library deploys into: its name, platform, Kubernetes provider and accelerator pools."""

    name: pulumi.Output[str]
    platform: Platform
    provider: k8s.Provider
    #: The accelerator pools by name. Default: none.
    pools: dict[str, AcceleratorPool] = field(default_factory=dict)
    #: Resources that must exist before any workload is scheduled (e.g. the system node pool). Default: none.
    ready: list[pulumi.Resource] = field(default_factory=list)
    #: Per accelerator pool, the resources its nodes come from; a model's workloads wait for their own pool only
    #: (depending on every pool would make registration cost grow with models x pools). Default: none.
    pool_ready: dict[str, list[pulumi.Resource]] = field(default_factory=dict)

    def ready_for(self, pool: str) -> list[pulumi.Resource]:
        """What workloads on ``pool`` must wait for: the cluster-wide ``ready`` plus that pool's own resources."""
        return [*self.ready, *self.pool_ready.get(pool, [])]
