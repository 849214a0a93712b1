"""A platform team's program on EKS: a g6e.12xlarge node group (4 x L40S), the platform and one model, with the
node group given the cluster and VPC objects (its role, security group, subnets and waits come from them)."""

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.aws import EksCluster, EksVpc, GpuNodeGroup

vpc = EksVpc("inf", availability_zones=["us-east-1a", "us-east-1b"])
cluster = EksCluster("llm-d", vpc=vpc, region="us-east-1", public_access_cidrs=["203.0.113.7/32"])
group = GpuNodeGroup(
    "l40s",
    cluster=cluster,
    vpc=vpc,
    availability_zone="us-east-1a",
    shape=catalog.machine("aws", "g6e.12xlarge"),
    min_size=0,
    max_size=2,
)
platform = LlmdPlatform("llm-d", cluster=cluster, pools=[group])
LlmdInference("qwen3-8b", platform=platform, pool=group, model="Qwen/Qwen3-8B", tensor_parallel_size=2)
