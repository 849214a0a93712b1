"""A platform team's program on an existing cluster: two untainted GPU pools, two models behind one gateway."""

import pulumi

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool

cluster = ExistingCluster(
    "onprem",
    context="onprem-admin",
    pools=[
        ExistingPool(
            name="h100",
            node_selector={"gpu": "h100"},
            devices_per_node=8,
            vcpus=208,
            memory_gib=1800,
            max_nodes=2,
            accelerator="nvidia-h100-80gb",
        ),
        ExistingPool(
            name="l40s",
            node_selector={"gpu": "l40s"},
            devices_per_node=4,
            vcpus=64,
            memory_gib=512,
            max_nodes=3,
            accelerator="nvidia-l40s",
        ),
    ],
)
platform = LlmdPlatform("llm-d", cluster=cluster, pools=[cluster.pools["h100"], cluster.pools["l40s"]])
big = LlmdInference(
    "qwen3-32b",
    platform=platform,
    pool=cluster.pools["h100"],
    model="Qwen/Qwen3-32B",
    tensor_parallel_size=2,
    route_path="/qwen3-32b",
)
small = LlmdInference(
    "qwen3-8b",
    platform=platform,
    pool=cluster.pools["l40s"],
    model="Qwen/Qwen3-8B",
    tensor_parallel_size=1,
    replicas=2,
    route_path="/qwen3-8b",
)
pulumi.export("big", big.url)
