"""Google Cloud components: the VPC, the GKE cluster, GPU node pools, the GPUDirect-RDMA (RoCE) fabric of A3 Ultra /
A4 nodes and GKE workload metrics (pulumi-gcp typed resources, multi-networking objects, the gIB NCCL installer,
Managed Prometheus PodMonitorings, the custom-metrics adapter).

>>> from pulumi_llmd.components.gcp import GkeNetwork, GkeCluster, GpuNodePool, GkeRdmaFabric
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_llmd.components.gcp.cluster import GkeCluster
    from pulumi_llmd.components.gcp.identity import GkeNodeServiceAccount
    from pulumi_llmd.components.gcp.kms import GkeSecretsKey
    from pulumi_llmd.components.gcp.monitoring import (
        CustomMetricsAdapter,
        ManagedPrometheusView,
        PodMonitoring,
        gmp_metric,
    )
    from pulumi_llmd.components.gcp.network import GOOGLE_HEALTH_CHECK_RANGES, GkeNetwork
    from pulumi_llmd.components.gcp.node_pool import GpuNodePool
    from pulumi_llmd.components.gcp.rdma import AdditionalNetwork, GibNcclInstaller, GkeNetworkObjects, GkeRdmaFabric
    from pulumi_llmd.components.gcp.services import GKE_STACK_SERVICES, ProjectServices, gke_stack_services
    from pulumi_llmd.components.gcp.tpu import TpuNodePool

#: Exported name -> the module that defines it; imported on first use (module ``__getattr__``, PEP 562), so that
#: importing one component does not import the others (nor their cloud SDKs).
_EXPORTS: dict[str, str] = {
    "GKE_STACK_SERVICES": "pulumi_llmd.components.gcp.services",
    "GOOGLE_HEALTH_CHECK_RANGES": "pulumi_llmd.components.gcp.network",
    "AdditionalNetwork": "pulumi_llmd.components.gcp.rdma",
    "CustomMetricsAdapter": "pulumi_llmd.components.gcp.monitoring",
    "GibNcclInstaller": "pulumi_llmd.components.gcp.rdma",
    "GkeCluster": "pulumi_llmd.components.gcp.cluster",
    "GkeNetwork": "pulumi_llmd.components.gcp.network",
    "GkeNetworkObjects": "pulumi_llmd.components.gcp.rdma",
    "GkeNodeServiceAccount": "pulumi_llmd.components.gcp.identity",
    "GkeRdmaFabric": "pulumi_llmd.components.gcp.rdma",
    "GkeSecretsKey": "pulumi_llmd.components.gcp.kms",
    "GpuNodePool": "pulumi_llmd.components.gcp.node_pool",
    "ManagedPrometheusView": "pulumi_llmd.components.gcp.monitoring",
    "PodMonitoring": "pulumi_llmd.components.gcp.monitoring",
    "ProjectServices": "pulumi_llmd.components.gcp.services",
    "TpuNodePool": "pulumi_llmd.components.gcp.tpu",
    "gke_stack_services": "pulumi_llmd.components.gcp.services",
    "gmp_metric": "pulumi_llmd.components.gcp.monitoring",
}

__all__ = [
    "GKE_STACK_SERVICES",
    "GOOGLE_HEALTH_CHECK_RANGES",
    "AdditionalNetwork",
    "CustomMetricsAdapter",
    "GibNcclInstaller",
    "GkeCluster",
    "GkeNetwork",
    "GkeNetworkObjects",
    "GkeNodeServiceAccount",
    "GkeRdmaFabric",
    "GkeSecretsKey",
    "GpuNodePool",
    "ManagedPrometheusView",
    "PodMonitoring",
    "ProjectServices",
    "TpuNodePool",
    "gke_stack_services",
    "gmp_metric",
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
