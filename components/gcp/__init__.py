"""Google Cloud components: the VPC, the GKE cluster, GPU node pools and GKE workload metrics (pulumi-gcp typed
resources, Managed Prometheus PodMonitorings, the custom-metrics adapter).

>>> from pulumi_llmd.components.gcp import GkeNetwork, GkeCluster, GpuNodePool
"""

from pulumi_llmd.components.gcp.cluster import GkeCluster
from pulumi_llmd.components.gcp.monitoring import CustomMetricsAdapter, PodMonitoring, gmp_metric
from pulumi_llmd.components.gcp.network import GOOGLE_HEALTH_CHECK_RANGES, GkeNetwork
from pulumi_llmd.components.gcp.node_pool import GpuNodePool

__all__ = [
    "GOOGLE_HEALTH_CHECK_RANGES",
    "CustomMetricsAdapter",
    "GkeCluster",
    "GkeNetwork",
    "GpuNodePool",
    "PodMonitoring",
    "gmp_metric",
]
