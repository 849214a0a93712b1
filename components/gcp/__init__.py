"""Google Cloud components: the VPC, the GKE cluster and GPU node pools (pulumi-gcp typed resources).

>>> from pulumi_llmd.components.gcp import GkeNetwork, GkeCluster, GpuNodePool
"""

from pulumi_llmd.components.gcp.cluster import GkeCluster
from pulumi_llmd.components.gcp.network import GkeNetwork
from pulumi_llmd.components.gcp.node_pool import GpuNodePool

__all__ = ["GkeCluster", "GkeNetwork", "GpuNodePool"]
