"""A platform team's own Pulumi program using pulumi-llm-d components (run by the tests under the mock engine)."""

import pulumi

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.gcp import GkeCluster, GkeNetwork, GpuNodePool, ProjectServices

project, region = "my-project", "us-central1"
apis = ProjectServices("inference-apis", project=project)  # a fresh project has the APIs off
after_apis = pulumi.ResourceOptions(depends_on=[apis])
network = GkeNetwork(
    "inference",
    project=project,
    region=region,
    subnet_cidr="10.0.0.0/20",
    pods_cidr="10.16.0.0/12",
    services_cidr="10.2.0.0/20",
    proxy_only_cidr="10.3.0.0/23",
    opts=after_apis,
)
cluster = GkeCluster(
    "inference",
    project=project,
    region=region,
    network=network,  # private nodes behind the network's Cloud NAT
    authorized_cidrs=["203.0.113.7/32"],  # where `pulumi up` runs; none = a private endpoint
    opts=after_apis,
)
l4 = GpuNodePool(
    "l4",
    cluster=cluster,  # its location, project, least-privilege node identity, and waits for its IAM and Cloud NAT
    shape=catalog.machine("gcp", "g2-standard-24"),  # 2 x NVIDIA L4, 24 vCPU, 96 GB per node
    zone="us-central1-a",
    max_nodes=4,
    provisioning="spot",
    opts=after_apis,
)
# Once per cluster: Kueue and its queues, LeaderWorkerSet, managed-Prometheus metrics for the autoscalers, the
# namespace with default-deny NetworkPolicies, and one internal HTTPS Gateway every model routes through.
platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4])
# TP 2 takes both L4s of a node: one pod per node, so up to 4 pods (the HPA's ceiling) on the pool's 4 nodes.
qwen = LlmdInference("qwen3-8b", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=2)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("inferencePool", qwen.inference_pool)
