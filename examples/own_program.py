"""A platform team's own Pulumi program using pulumi-llm-d components (run by the tests under the mock engine)."""

import pulumi

from pulumi_llmd.components import catalog
from pulumi_llmd.components.gcp import GkeCluster, GkeNetwork, GpuNodePool
from pulumi_llmd.components.serving import (
    EndpointPicker,
    InferencePool,
    ModelServer,
    PodResources,
    VllmSpec,
    model_server_labels,
)

network = GkeNetwork(
    "inference",
    project="my-project",
    region="us-central1",
    subnet_cidr="10.0.0.0/20",
    pods_cidr="10.16.0.0/12",
    services_cidr="10.2.0.0/20",
    proxy_only_cidr="10.3.0.0/23",
)
cluster = GkeCluster(
    "inference",
    project="my-project",
    region="us-central1",
    network=network,  # private nodes behind the network's Cloud NAT
    authorized_cidrs=["203.0.113.7/32"],  # where `pulumi up` runs; none = a private endpoint
)
l4 = GpuNodePool(
    "l4",
    cluster=cluster.name,
    location=cluster.location,
    project="my-project",
    shape=catalog.machine("gcp", "g2-standard-24"),  # 2 x NVIDIA L4 per node
    zone="us-central1-a",
    min_nodes=0,
    max_nodes=4,
    provisioning="spot",
    service_account=cluster.node_service_account_email,  # least-privilege node identity
    opts=pulumi.ResourceOptions(depends_on=cluster.node_ready),  # its IAM binding and the Cloud NAT
)

k8s = pulumi.ResourceOptions(provider=cluster.provider)
labels = model_server_labels(guide="optimized-baseline", role="decode", model="qwen3-8b")
ModelServer(
    "qwen3-8b-decode",
    namespace="default",
    replicas=4,
    spec=VllmSpec(model="Qwen/Qwen3-8B", tensor_parallel_size=2, max_model_len=16384),
    pool=l4.pool,
    labels=labels,
    # one TP-2 pod per 2-GPU node (24 vCPU / 96 GB)
    resources=PodResources(cpu_request="8", cpu_limit="10", memory_request="32Gi", memory_limit="40Gi"),
    opts=k8s,
)
picker = EndpointPicker("qwen3-8b-epp", namespace="default", pool_name="qwen3-8b", opts=k8s)
InferencePool("qwen3-8b", namespace="default", selector=labels, endpoint_picker=picker.service_name, opts=k8s)
pulumi.export("kubeconfig", cluster.kubeconfig)
