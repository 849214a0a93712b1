"""Cluster add-ons every well-lit path needs: the namespace, the inference gateway, GKE load-balancer policies,
gang scheduling (Kueue) and the LeaderWorkerSet operator, and the serving NetworkPolicies."""

from pulumi_llmd.components.platform.gateway import GkeInferencePoolPolicies, InferenceGateway
from pulumi_llmd.components.platform.namespace import StackNamespace
from pulumi_llmd.components.platform.network_policy import ServingNetworkPolicies, serving_network_policies
from pulumi_llmd.components.platform.scheduling import (
    Kueue,
    KueueQueues,
    LeaderWorkerSetController,
    kueue_queue_manifests,
)

__all__ = [
    "GkeInferencePoolPolicies",
    "InferenceGateway",
    "Kueue",
    "KueueQueues",
    "LeaderWorkerSetController",
    "ServingNetworkPolicies",
    "StackNamespace",
    "kueue_queue_manifests",
    "serving_network_policies",
]
