"""Cluster add-ons every well-lit path needs: the namespace, the inference gateway, GKE load-balancer policies,
gang scheduling (Kueue) and the LeaderWorkerSet operator, and the serving NetworkPolicies; and for clusters other
than GKE the Gateway API / InferencePool CRDs, a gateway implementation (Istio or agentgateway), the NVIDIA and EFA
device plugins and the DCGM exporter."""

from pulumi_llmd.components.kube import merge_values
from pulumi_llmd.components.platform.cert_manager import CertManager, GatewayCertificate
from pulumi_llmd.components.platform.crds import CRD_BUNDLES, GatewayApiCrds, crd_manifests
from pulumi_llmd.components.platform.devices import DcgmExporter, EfaDevicePlugin, NvidiaDevicePlugin
from pulumi_llmd.components.platform.gateway import GkeInferencePoolPolicies, InferenceGateway
from pulumi_llmd.components.platform.gateway_auth import IstioJwtAuthentication
from pulumi_llmd.components.platform.gateways import (
    GATEWAY_IMPLEMENTATIONS,
    AgentGateway,
    IstioGateway,
    gateway_class_for,
    gateway_implementation,
    gateway_labels_for,
)
from pulumi_llmd.components.platform.monitoring import PodMonitor, PrometheusAdapter, PrometheusStack
from pulumi_llmd.components.platform.namespace import StackNamespace
from pulumi_llmd.components.platform.network_policy import (
    ApiExtensionNetworkPolicies,
    ServingNetworkPolicies,
    StackNetworkPolicies,
    namespace_network_policies,
    serving_network_policies,
)
from pulumi_llmd.components.platform.pod_security import (
    PodSecurity,
    PodSecurityNeed,
    most_restrictive_level,
    pod_security_violations,
)
from pulumi_llmd.components.platform.scheduling import (
    Kueue,
    KueueQueues,
    LeaderWorkerSetController,
    kueue_queue_manifests,
    kueue_values,
)

__all__ = [
    "CRD_BUNDLES",
    "GATEWAY_IMPLEMENTATIONS",
    "AgentGateway",
    "ApiExtensionNetworkPolicies",
    "CertManager",
    "DcgmExporter",
    "EfaDevicePlugin",
    "GatewayApiCrds",
    "GatewayCertificate",
    "GkeInferencePoolPolicies",
    "InferenceGateway",
    "IstioGateway",
    "IstioJwtAuthentication",
    "Kueue",
    "KueueQueues",
    "LeaderWorkerSetController",
    "NvidiaDevicePlugin",
    "PodMonitor",
    "PodSecurity",
    "PodSecurityNeed",
    "PrometheusAdapter",
    "PrometheusStack",
    "ServingNetworkPolicies",
    "StackNamespace",
    "StackNetworkPolicies",
    "crd_manifests",
    "gateway_class_for",
    "gateway_implementation",
    "gateway_labels_for",
    "kueue_queue_manifests",
    "kueue_values",
    "merge_values",
    "most_restrictive_level",
    "namespace_network_policies",
    "pod_security_violations",
    "serving_network_policies",
]
