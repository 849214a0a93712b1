"""Cluster add-ons every well-lit path needs: the namespace, the inference gateway, GKE load-balancer policies,
gang scheduling (Kueue) and the LeaderWorkerSet operator, and the serving NetworkPolicies; and for clusters other
than GKE the Gateway API / InferencePool CRDs, a gateway implementation (Istio or agentgateway), the NVIDIA and EFA
device plugins and the DCGM exporter."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_llmd.components.kube import merge_values
    from pulumi_llmd.components.platform.cert_manager import CertManager, GatewayCertificate
    from pulumi_llmd.components.platform.crds import CRD_BUNDLES, GatewayApiCrds, crd_manifests
    from pulumi_llmd.components.platform.devices import (
        AmdGpuOperator,
        DcgmExporter,
        EfaDevicePlugin,
        IntelGpuDevicePlugin,
        IntelXpuManager,
        NvidiaDevicePlugin,
    )
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
    from pulumi_llmd.components.platform.observability import LlmdDashboards
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

#: Exported name -> the module that defines it; imported on first use (module ``__getattr__``, PEP 562), so that
#: importing one component does not import the others (nor their cloud SDKs).
_EXPORTS: dict[str, str] = {
    "CRD_BUNDLES": "pulumi_llmd.components.platform.crds",
    "GATEWAY_IMPLEMENTATIONS": "pulumi_llmd.components.platform.gateways",
    "AgentGateway": "pulumi_llmd.components.platform.gateways",
    "AmdGpuOperator": "pulumi_llmd.components.platform.devices",
    "ApiExtensionNetworkPolicies": "pulumi_llmd.components.platform.network_policy",
    "CertManager": "pulumi_llmd.components.platform.cert_manager",
    "DcgmExporter": "pulumi_llmd.components.platform.devices",
    "EfaDevicePlugin": "pulumi_llmd.components.platform.devices",
    "GatewayApiCrds": "pulumi_llmd.components.platform.crds",
    "GatewayCertificate": "pulumi_llmd.components.platform.cert_manager",
    "GkeInferencePoolPolicies": "pulumi_llmd.components.platform.gateway",
    "InferenceGateway": "pulumi_llmd.components.platform.gateway",
    "IntelGpuDevicePlugin": "pulumi_llmd.components.platform.devices",
    "IntelXpuManager": "pulumi_llmd.components.platform.devices",
    "IstioGateway": "pulumi_llmd.components.platform.gateways",
    "IstioJwtAuthentication": "pulumi_llmd.components.platform.gateway_auth",
    "Kueue": "pulumi_llmd.components.platform.scheduling",
    "KueueQueues": "pulumi_llmd.components.platform.scheduling",
    "LeaderWorkerSetController": "pulumi_llmd.components.platform.scheduling",
    "LlmdDashboards": "pulumi_llmd.components.platform.observability",
    "NvidiaDevicePlugin": "pulumi_llmd.components.platform.devices",
    "PodMonitor": "pulumi_llmd.components.platform.monitoring",
    "PodSecurity": "pulumi_llmd.components.platform.pod_security",
    "PodSecurityNeed": "pulumi_llmd.components.platform.pod_security",
    "PrometheusAdapter": "pulumi_llmd.components.platform.monitoring",
    "PrometheusStack": "pulumi_llmd.components.platform.monitoring",
    "ServingNetworkPolicies": "pulumi_llmd.components.platform.network_policy",
    "StackNamespace": "pulumi_llmd.components.platform.namespace",
    "StackNetworkPolicies": "pulumi_llmd.components.platform.network_policy",
    "crd_manifests": "pulumi_llmd.components.platform.crds",
    "gateway_class_for": "pulumi_llmd.components.platform.gateways",
    "gateway_implementation": "pulumi_llmd.components.platform.gateways",
    "gateway_labels_for": "pulumi_llmd.components.platform.gateways",
    "kueue_queue_manifests": "pulumi_llmd.components.platform.scheduling",
    "kueue_values": "pulumi_llmd.components.platform.scheduling",
    "merge_values": "pulumi_llmd.components.kube",
    "most_restrictive_level": "pulumi_llmd.components.platform.pod_security",
    "namespace_network_policies": "pulumi_llmd.components.platform.network_policy",
    "pod_security_violations": "pulumi_llmd.components.platform.pod_security",
    "serving_network_policies": "pulumi_llmd.components.platform.network_policy",
}

__all__ = [
    "CRD_BUNDLES",
    "GATEWAY_IMPLEMENTATIONS",
    "AgentGateway",
    "AmdGpuOperator",
    "ApiExtensionNetworkPolicies",
    "CertManager",
    "DcgmExporter",
    "EfaDevicePlugin",
    "GatewayApiCrds",
    "GatewayCertificate",
    "GkeInferencePoolPolicies",
    "InferenceGateway",
    "IntelGpuDevicePlugin",
    "IntelXpuManager",
    "IstioGateway",
    "IstioJwtAuthentication",
    "Kueue",
    "KueueQueues",
    "LeaderWorkerSetController",
    "LlmdDashboards",
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


if not TYPE_CHECKING:  # mypy sees the imports above, and no __getattr__ that would accept any name

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_EXPORTS})
