"""Amazon Web Services components: the VPC, the EKS cluster and GPU node groups with EFA (pulumi-aws typed resources).

>>> from pulumi_llmd.components.aws import EksVpc, EksCluster, GpuNodeGroup
"""

from pulumi_llmd.components.aws.cluster import EksCluster
from pulumi_llmd.components.aws.network import EksVpc
from pulumi_llmd.components.aws.node_group import GpuNodeGroup

__all__ = ["EksCluster", "EksVpc", "GpuNodeGroup"]
