"""``deploy(config)``: a validated StackConfig in, a cluster with llm-d serving out.

The one program behind ``pulumi up`` and the offline render: ``__main__.py`` calls :func:`main`, which reads the
``llmd:`` config once, validates it (nothing is registered if it fails) and deploys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from pulumi_llmd.blueprints.config import (
    CONFIG_NAMESPACE,
    SECRET_KEYS,
    ConfigError,
    StackConfig,
    WellLitPath,
    parse_stack_config,
)
from pulumi_llmd.blueprints.optimized_baseline import OptimizedBaseline
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.gcp import (
    GOOGLE_HEALTH_CHECK_RANGES,
    CustomMetricsAdapter,
    GkeCluster,
    GkeNetwork,
    GpuNodePool,
    PodMonitoring,
    gmp_metric,
)
from pulumi_llmd.components.platform import (
    GkeInferencePoolPolicies,
    InferenceGateway,
    Kueue,
    KueueQueues,
    LeaderWorkerSetController,
    ServingNetworkPolicies,
    StackNamespace,
)
from pulumi_llmd.components.serving import VLLM_WAITING_METRIC
from pulumi_llmd.components.serving.model_server import PORT_NAME, VLLM_PORT


@dataclass
class Deployment:
    """What :func:`deploy` built: the cluster (with its provider and pools), namespace, gateway and model paths."""

    config: StackConfig
    cluster: Cluster
    namespace: StackNamespace
    gateway: InferenceGateway
    models: dict[str, OptimizedBaseline] = field(default_factory=dict)


def read_stack_config() -> dict[str, Any]:
    """The ``llmd:`` keys of the current stack's config as plain data (structured values decoded from JSON).

    Secret keys (``hfToken``) are left out; read them with :func:`read_hf_token`.
    """
    prefix = CONFIG_NAMESPACE + ":"
    keys = sorted({k for k in (*CONFIG.get(), *get_config_env()) if k.startswith(prefix)})
    config = pulumi.Config(CONFIG_NAMESPACE)
    data: dict[str, Any] = {}
    for full_key in keys:
        key = full_key[len(prefix) :]
        if key in SECRET_KEYS:
            continue
        raw = config.get(key)
        if raw is None:
            continue
        try:
            data[key] = json.loads(raw)
        except json.JSONDecodeError:
            data[key] = raw
    return data


def read_hf_token() -> pulumi.Output[str] | None:
    """The Hugging Face token (``llmd:hfToken``) as a Pulumi secret, or None when the stack has none."""
    return pulumi.Config(CONFIG_NAMESPACE).get_secret("hfToken")


def _gke(config: StackConfig) -> Cluster:
    target = config.target
    cl = config.cluster
    net = GkeNetwork(
        cl.name,
        project=target.project,
        region=target.region,
        subnet_cidr=cl.network.subnet_cidr,
        pods_cidr=cl.network.pods_cidr,
        services_cidr=cl.network.services_cidr,
        proxy_only_cidr=cl.network.proxy_only_cidr,
        cloud_nat=cl.private_nodes,
    )
    gke = GkeCluster(
        cl.name,
        project=target.project,
        region=target.region,
        zone=target.zone,
        regional=target.regional_control_plane,
        network=net,
        kubernetes_version=cl.kubernetes_version,
        release_channel=cl.release_channel,
        private_nodes=cl.private_nodes,
        master_cidr=cl.network.master_cidr,
        system_machine_type=cl.system_pool.machine_type,
        system_min_nodes=cl.system_pool.min_nodes,
        system_max_nodes=cl.system_pool.max_nodes,
        deletion_protection=cl.deletion_protection,
    )
    cluster = gke.as_cluster()
    for pool in config.pools:
        node_pool = GpuNodePool(
            pool.name,
            cluster=gke.name,
            location=gke.location,
            project=target.project,
            shape=config.shape_of(pool),
            zone=target.zone,
            node_count=pool.node_count,
            min_nodes=pool.autoscaling.min_nodes if pool.autoscaling else None,
            max_nodes=pool.autoscaling.max_nodes if pool.autoscaling else None,
            provisioning=pool.provisioning,
            reservation=pool.reservation,
            compact_placement=pool.compact_placement,
            gpu_driver_version=pool.gpu_driver_version,
            boot_disk_type=pool.boot_disk_type,
            boot_disk_size_gb=pool.boot_disk_size_gb,
            opts=pulumi.ResourceOptions(parent=gke),
        )
        cluster.pools[pool.name] = node_pool.pool
        cluster.pool_ready[pool.name] = [node_pool.node_pool]
    return cluster


def _gke_platform_addons(config: StackConfig, cluster: Cluster, namespace: StackNamespace) -> None:
    """What the AI-conformance MUSTs ask of a GKE stack beyond serving (see ``policies/``, ``pulumi-llmd check``).

    Kueue with queues for the accelerator pools (``gang_scheduling``), the LeaderWorkerSet operator
    (``robust_controller``) and the custom-metrics adapter the model servers' HPAs read (``pod_autoscaling``).
    """
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready))  # system pool
    kueue = Kueue(opts=k8s_opts)
    KueueQueues(
        config.namespace,
        namespace=config.namespace,
        pools=list(cluster.pools.values()),
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[kueue, namespace]),
    )
    LeaderWorkerSetController(opts=k8s_opts)
    CustomMetricsAdapter("custom-metrics", project=config.target.project, k8s_opts=k8s_opts)


def _gke_model_addons(config: StackConfig, name: str, path: OptimizedBaseline, opts: pulumi.ResourceOptions) -> None:
    """Per model on GKE: load-balancer policies, PodMonitorings (vLLM and EPP metrics) and NetworkPolicies."""
    GkeInferencePoolPolicies(
        name, namespace=config.namespace, pool=path.pool_name, timeout_sec=config.gateway.timeout_sec, opts=opts
    )
    PodMonitoring(f"{name}-decode", namespace=config.namespace, selector=path.servers.labels, port=PORT_NAME, opts=opts)
    PodMonitoring(f"{name}-epp", namespace=config.namespace, selector=path.picker.selector, port="metrics", opts=opts)
    ServingNetworkPolicies(
        name,
        namespace=config.namespace,
        model_server_labels=path.servers.labels,
        model_server_port=VLLM_PORT,
        picker_labels=path.picker.selector,
        picker_ports=[path.picker.port, path.picker.health_port],
        picker_metrics_port=path.picker.metrics_port,
        gateway_cidrs=[config.cluster.network.proxy_only_cidr, *GOOGLE_HEALTH_CHECK_RANGES],
        opts=opts,
    )


def deploy(config: StackConfig, *, hf_token: pulumi.Output[str] | None = None) -> Deployment:
    """Deploy ``config``: cluster and accelerator pools, namespace, gateway, then each model on its well-lit path.

    ``hf_token`` must be a Pulumi secret (or None for public models). Returns the :class:`Deployment`.
    """
    cluster = _gke(config)
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider)
    namespace = StackNamespace(config.namespace, hf_token=hf_token, opts=k8s_opts)
    in_ns = pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace])
    gateway = InferenceGateway(
        config.gateway.name,
        namespace=config.namespace,
        class_name=config.gateway.class_name,
        port=config.gateway.port,
        opts=in_ns,
    )
    deployment = Deployment(config=config, cluster=cluster, namespace=namespace, gateway=gateway)
    gke = cluster.platform is Platform.GKE
    if gke:
        _gke_platform_addons(config, cluster, namespace)
    for model in config.models:
        pool = cluster.pools[config.pool_of(model).name]
        if model.path is not WellLitPath.OPTIMIZED_BASELINE:  # pragma: no cover - rejected by parse_stack_config
            raise ConfigError([])
        path = OptimizedBaseline(
            model,
            namespace=config.namespace,
            pool=pool,
            gateway=gateway.name,
            hf_token_secret=namespace.hf_token_secret,
            autoscaling_metric=gmp_metric(VLLM_WAITING_METRIC) if gke else None,
            opts=pulumi.ResourceOptions(
                provider=cluster.provider, depends_on=[namespace, *cluster.ready_for(pool.name)]
            ),
        )
        if gke:
            _gke_model_addons(config, model.name, path, pulumi.ResourceOptions(parent=path, depends_on=[namespace]))
        deployment.models[model.name] = path
    pulumi.export("cluster", cluster.name)
    pulumi.export("namespace", config.namespace)
    pulumi.export("gateway", {"name": gateway.name, "className": config.gateway.class_name})
    pulumi.export(
        "models",
        {
            name: {"servedName": p.served_name, "inferencePool": p.pool_name, "routePath": p.route_path}
            for name, p in deployment.models.items()
        },
    )
    return deployment


def main() -> Deployment:
    """The Pulumi program: read and validate the stack config, then :func:`deploy` it.

    Raises ``pulumi.RunError`` with every configuration problem listed (no traceback) before any resource is
    registered.
    """
    try:
        config = parse_stack_config(read_stack_config())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from exc
    return deploy(config, hf_token=read_hf_token())
