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

from pulumi_llmd.components.catalog import MachineShape

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
    operator: str = "Equal"

    def to_k8s(self) -> dict[str, str]:
        """The toleration as a Kubernetes ``core/v1`` Toleration object (camelCase keys)."""
        out = {"key": self.key, "operator": self.operator if self.value is not None else "Exists"}
        if self.value is not None:
            out["value"] = self.value
        out["effect"] = self.effect
        return out


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
    model_server_env: Mapping[str, str] = field(default_factory=dict)

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
    pools: dict[str, AcceleratorPool] = field(default_factory=dict)
    #: Resources that must exist before any workload is scheduled (e.g. the system node pool).
    ready: list[pulumi.Resource] = field(default_factory=list)
    #: Per accelerator pool, the resources its nodes come from; a model's workloads wait for their own pool only
    #: (depending on every pool would make registration cost grow with models x pools).
    pool_ready: dict[str, list[pulumi.Resource]] = field(default_factory=dict)

    def ready_for(self, pool: str) -> list[pulumi.Resource]:
        """What workloads on ``pool`` must wait for: the cluster-wide ``ready`` plus that pool's own resources."""
        return [*self.ready, *self.pool_ready.get(pool, [])]
