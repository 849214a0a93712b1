"""Google Cloud components: the VPC, the GKE cluster, GPU node pools, the GPUDirect-RDMA (RoCE) fabric of A3 Ultra /
A4 nodes and GKE workload metrics (pulumi-gcp typed resources, multi-networking objects, the gIB NCCL installer,
Managed Prometheus PodMonitorings, the custom-metrics adapter).

>>> from pulumi_llmd.components.gcp import GkeNetwork, GkeCluster, GpuNodePool, GkeRdmaFabric
"""

from pulumi_llmd.components.gcp.cluster import GkeCluster
from pulumi_llmd.components.gcp.identity import GkeNodeServiceAccount
from pulumi_llmd.components.gcp.kms import GkeSecretsKey
from pulumi_llmd.components.gcp.monitoring import CustomMetricsAdapter, PodMonitoring, gmp_metric
from pulumi_llmd.components.gcp.network import GOOGLE_HEALTH_CHECK_RANGES, GkeNetwork
from pulumi_llmd.components.gcp.node_pool import GpuNodePool
from pulumi_llmd.components.gcp.rdma import AdditionalNetwork, GibNcclInstaller, GkeNetworkObjects, GkeRdmaFabric
from pulumi_llmd.components.gcp.services import GKE_STACK_SERVICES, ProjectServices, gke_stack_services
from pulumi_llmd.components.gcp.tpu import TpuNodePool

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
    "PodMonitoring",
    "ProjectServices",
    "TpuNodePool",
    "gke_stack_services",
    "gmp_metric",
]
