"""Cluster add-ons every well-lit path needs: the namespace, the inference gateway, GKE load-balancer policies."""

from pulumi_llmd.components.platform.gateway import GkeInferencePoolPolicies, InferenceGateway
from pulumi_llmd.components.platform.namespace import StackNamespace

__all__ = ["GkeInferencePoolPolicies", "InferenceGateway", "StackNamespace"]
