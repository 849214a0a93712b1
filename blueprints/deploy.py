"""``deploy(config)``: a validated StackConfig in, a cluster with llm-d serving out.

The one program behind ``pulumi up`` and the offline render: ``__main__.py`` calls :func:`main`, which reads the
``llmd:`` config once, validates it (nothing is registered if it fails) and deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config, get_config_env, get_config_secret_keys_env, is_config_secret

from pulumi_llmd.blueprints.config import (
    CONFIG_NAMESPACE,
    AuthenticationConfig,
    AwsTarget,
    ConfigError,
    ConfigSecrets,
    ExistingTarget,
    GcpTarget,
    ParsedStack,
    PoolConfig,
    StackConfig,
    WellLitPath,
    parse_config_values,
    picker_resources,
    pool_rdma,
    stack_data,
    tpu_topology,
)
from pulumi_llmd.blueprints.endpoint import GatewayEndpoint, authenticate_gateway, prepare_endpoint
from pulumi_llmd.blueprints.optimized_baseline import OptimizedBaseline, SingleRolePath
from pulumi_llmd.blueprints.pd_disaggregation import PdDisaggregation
from pulumi_llmd.blueprints.pod_security import stack_pod_security
from pulumi_llmd.blueprints.prefix_cache import PrecisePrefixCacheRouting, TieredPrefixCache
from pulumi_llmd.blueprints.simulated_accelerators import SimulatedAccelerators
from pulumi_llmd.blueprints.wide_ep import WideEp
from pulumi_llmd.components import catalog
from pulumi_llmd.components.aws import EksCluster, EksVpc, GpuNodeGroup
from pulumi_llmd.components.base import HF_TOKEN_KEY, HF_TOKEN_SECRET, Cluster, Platform, Toleration
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool
from pulumi_llmd.components.gcp import (
    GOOGLE_HEALTH_CHECK_RANGES,
    CustomMetricsAdapter,
    GibNcclInstaller,
    GkeCluster,
    GkeNetwork,
    GkeNetworkObjects,
    GkeRdmaFabric,
    GkeSecretsKey,
    GpuNodePool,
    PodMonitoring,
    ProjectServices,
    TpuNodePool,
    gmp_metric,
)
from pulumi_llmd.components.gcp.monitoring import ADAPTER_NAME, ADAPTER_NAMESPACE
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform import (
    ApiExtensionNetworkPolicies,
    DcgmExporter,
    EfaDevicePlugin,
    GatewayApiCrds,
    GkeInferencePoolPolicies,
    InferenceGateway,
    Kueue,
    KueueQueues,
    LeaderWorkerSetController,
    NvidiaDevicePlugin,
    PodMonitor,
    PrometheusAdapter,
    PrometheusStack,
    ServingNetworkPolicies,
    StackNamespace,
    StackNetworkPolicies,
    gateway_implementation,
    gateway_labels_for,
)
from pulumi_llmd.components.platform.monitoring import MONITORING_NAMESPACE
from pulumi_llmd.components.platform.network_policy import GATEWAY_NAME_LABEL, GMP_NAMESPACE, PRIVATE_RANGES
from pulumi_llmd.components.serving import VLLM_WAITING_METRIC
from pulumi_llmd.components.serving.model_server import VLLM_PORT
from pulumi_llmd.components.serving.tokenizer import RENDER_PORT, TokenizerRender, render_network_policy

#: What serves one model: a well-lit path component.
ModelPath = SingleRolePath | PdDisaggregation | WideEp | SimulatedAccelerators
#: The path component of each accelerator-backed well-lit path.
_PATHS: dict[WellLitPath, type[SingleRolePath] | type[PdDisaggregation] | type[WideEp]] = {
    WellLitPath.OPTIMIZED_BASELINE: OptimizedBaseline,
    WellLitPath.PD_DISAGGREGATION: PdDisaggregation,
    WellLitPath.PRECISE_PREFIX_CACHE_ROUTING: PrecisePrefixCacheRouting,
    WellLitPath.TIERED_PREFIX_CACHE: TieredPrefixCache,
    WellLitPath.WIDE_EP: WideEp,
}


@dataclass
class Deployment:
    """What :func:`deploy` built: the cluster (with its provider and pools), namespace, gateway and model paths."""

    config: StackConfig
    cluster: Cluster
    namespace: StackNamespace
    gateway: InferenceGateway
    models: dict[str, ModelPath] = field(default_factory=dict)


def _current_config() -> tuple[dict[str, Any], set[str]]:
    """Every config key of the current stack (all namespaces) with its value as Pulumi hands it over, and the keys
    Pulumi lists as secrets (``pulumi.runtime.config``: set in-process, or ``PULUMI_CONFIG`` /
    ``PULUMI_CONFIG_SECRET_KEYS`` from the language host)."""
    keys = {*CONFIG.get(), *get_config_env()}
    values = {k: get_config(k) for k in sorted(keys)}
    env_secret = set(get_config_secret_keys_env())
    return values, {k for k in keys if is_config_secret(k) or k in env_secret}


def read_config() -> ParsedStack:
    """The current stack's config, validated: the plain :class:`StackConfig` and the secrets read beside it.

    Secret values (``llmd:hfToken``, ``llmd:models[i].hfToken``, ``llmd:gateway.authentication.iap.clientSecret``)
    are never read with plain ``Config.get`` into the StackConfig (the detached ones are removed from it, the IAP
    client secret stays a pydantic ``SecretStr``); :func:`secret_outputs` turns them into Pulumi secrets. Raises
    :class:`ConfigError` (see :func:`parse_config_values`: misspelled namespaces, secrets in plain text, secrets
    where none belong, and every StackConfig check).
    """
    values, secret_keys = _current_config()
    return parse_config_values(values, secret_keys)


def read_stack_config() -> dict[str, Any]:
    """The ``llmd:`` keys of the current stack's config as plain data (structured values decoded from JSON),
    without any secret: ``llmd:hfToken`` and every ``llmd:models[i].hfToken`` are left out (read them with
    :func:`read_config`). Not validated."""
    values, _ = _current_config()
    return stack_data(values)


def secret_outputs(secrets: ConfigSecrets) -> dict[str, pulumi.Output[str]]:
    """Each secret config value as a Pulumi secret Output, by config path (``llmd:models[0].hfToken``)."""
    return {path: pulumi.Output.secret(value) for path, value in sorted(secrets.values.items())}


def read_hf_token() -> pulumi.Output[str] | None:
    """The Hugging Face token (``llmd:hfToken``) as a Pulumi secret, or None when the stack has none (or has it in
    plain text, which :func:`read_config` reports as an error)."""
    values, secret_keys = _current_config()
    key = f"{CONFIG_NAMESPACE}:hfToken"
    raw = values.get(key)
    if key not in secret_keys or not isinstance(raw, str) or not raw:
        return None
    return pulumi.Output.secret(raw)


def _model_hf_token_secrets(
    config: StackConfig,
    namespace: StackNamespace,
    tokens: Mapping[str, pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> dict[str, str]:
    """A Secret ``llm-d-hf-token-<model>`` (key ``HF_TOKEN``) for each model with its own ``hfToken``; returns
    model name -> Secret name. The tokens are Pulumi secrets and written only into these Secrets."""
    names: dict[str, str] = {}
    for model in config.models:
        token = tokens.get(model.name)
        if token is None:
            continue
        secret_name = f"{HF_TOKEN_SECRET}-{model.name}"
        k8s_object(
            f"{config.namespace}-{model.name}-hf-token",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": secret_name, "namespace": config.namespace},
                "type": "Opaque",
                "stringData": {HF_TOKEN_KEY: pulumi.Output.secret(token)},
            },
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
        )
        names[model.name] = secret_name
    return names


def _gke(config: StackConfig, target: GcpTarget) -> Cluster:
    cl = config.cluster
    shapes = {p.name: config.shape_of(p) for p in config.pools}
    rdma_pools = [p for p in config.pools if pool_rdma(catalog.Cloud.GCP, p, shapes[p.name]) is not None]
    # A fresh project has the APIs off: enable them first, and make every GCP resource of the stack wait for them.
    services = ProjectServices(f"{cl.name}-apis", project=target.project)
    after_apis = pulumi.ResourceOptions(depends_on=[services])
    net = GkeNetwork(
        cl.name,
        project=target.project,
        region=target.region,
        subnet_cidr=cl.network.subnet_cidr,
        pods_cidr=cl.network.pods_cidr,
        services_cidr=cl.network.services_cidr,
        proxy_only_cidr=cl.network.proxy_only_cidr,
        cloud_nat=cl.private_nodes,
        opts=after_apis,
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
        authorized_cidrs=cl.control_plane.authorized_cidrs or (),
        master_cidr=cl.network.master_cidr,
        secrets_key=(
            GkeSecretsKey(
                f"{cl.name}-secrets",
                project=target.project,
                location=target.region,
                existing_key=cl.secrets_kms_key,
                opts=after_apis,
            )
            if cl.secrets_kms_key is not None
            else None
        ),
        system_machine_type=cl.system_pool.machine_type,
        system_min_nodes=cl.system_pool.min_nodes,
        system_max_nodes=cl.system_pool.max_nodes,
        deletion_protection=cl.deletion_protection,
        multi_networking=bool(rdma_pools),
        opts=after_apis,
    )
    cluster = gke.as_cluster()
    fabric: GkeRdmaFabric | None = None
    network_objects: list[pulumi.Resource] = []
    if rdma_pools:
        # One GPUDirect-RDMA fabric per cluster: a gVNIC VPC and an RDMA VPC (RoCE profile, 8 subnets) in the zone,
        # the multi-networking objects pods attach through, and the gIB NCCL plugin on the RDMA nodes.
        fabric = GkeRdmaFabric(
            cl.name,
            project=target.project,
            region=target.region,
            zone=target.zone,
            shape=shapes[rdma_pools[0].name],
            opts=after_apis,
        )
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready))
        network_objects = [GkeNetworkObjects(cl.name, fabric=fabric, opts=k8s_opts)]
        GibNcclInstaller(opts=k8s_opts)
    for pool in config.pools:
        shape = shapes[pool.name]
        common: dict[str, Any] = {
            "cluster": gke.name,
            "location": gke.location,
            "project": target.project,
            "shape": shape,
            "zone": target.zone,
            "node_count": pool.node_count,
            "min_nodes": pool.autoscaling.min_nodes if pool.autoscaling else None,
            "max_nodes": pool.autoscaling.max_nodes if pool.autoscaling else None,
            "provisioning": config.provisioning_of(pool),
            "reservation": pool.reservation,
            "boot_disk_type": pool.boot_disk_type,
            "boot_disk_size_gb": pool.boot_disk_size_gb,
            # Every accelerator pool runs as the cluster's least-privilege node service account.
            "service_account": gke.node_service_account_email,
            "opts": pulumi.ResourceOptions(parent=gke, depends_on=[services, *gke.node_ready]),
        }
        if shape.tpu is not None:
            tpu_pool = TpuNodePool(pool.name, topology=tpu_topology(pool, shape), **common)
            cluster.pools[pool.name] = tpu_pool.pool
            cluster.pool_ready[pool.name] = [tpu_pool.node_pool]
            continue
        pool_fabric = fabric if pool in rdma_pools else None
        node_pool = GpuNodePool(
            pool.name,
            fabric=pool_fabric,
            compact_placement=pool.compact_placement,
            gpu_driver_version=pool.gpu_driver_version,
            **common,
        )
        cluster.pools[pool.name] = node_pool.pool
        cluster.pool_ready[pool.name] = [node_pool.node_pool, *(network_objects if pool_fabric else [])]
    return cluster


_AWS_CAPACITY = {"on-demand": "ON_DEMAND", "spot": "SPOT", "capacity-block": "CAPACITY_BLOCK"}


def _eks(config: StackConfig, target: AwsTarget) -> Cluster:
    cl = config.cluster
    existing_vpc = target.vpc.existing_vpc_id is not None
    vpc = EksVpc(
        cl.name,
        # With an existing VPC the zones are the keys of its private subnets (config validation checked they match).
        availability_zones=() if existing_vpc else target.availability_zones,
        cidr=target.vpc.cidr,
        nat_gateway_per_az=target.vpc.nat_gateway_per_az,
        existing_vpc_id=target.vpc.existing_vpc_id,
        existing_private_subnets=target.vpc.existing_private_subnets,
    )
    eks = EksCluster(
        cl.name,
        vpc=vpc,
        region=target.region,
        kubernetes_version=cl.kubernetes_version,
        admin_principal_arns=target.admin_principal_arns,
        public_access_cidrs=cl.control_plane.authorized_cidrs or (),
        system_min_nodes=max(2, cl.system_pool.min_nodes),
        system_max_nodes=max(2, cl.system_pool.max_nodes),
        deletion_protection=cl.deletion_protection,
    )
    cluster = eks.as_cluster()
    for pool in config.pools:
        group = GpuNodeGroup(
            pool.name,
            cluster_name=eks.name,
            node_role_arn=eks.node_role.arn,
            cluster_security_group_id=eks.cluster_security_group_id,
            vpc_id=vpc.vpc_id,
            subnets=vpc.private_subnet_ids_by_az,
            availability_zone=pool.availability_zone or target.availability_zones[0],
            shape=config.shape_of(pool),
            min_size=pool.autoscaling.min_nodes if pool.autoscaling else (pool.node_count or 0),
            max_size=pool.max_nodes,
            desired_size=pool.node_count,
            capacity_type=_AWS_CAPACITY[config.provisioning_of(pool)],
            capacity_reservation_id=pool.reservation,
            efa=pool.efa,
            opts=pulumi.ResourceOptions(parent=eks, depends_on=eks.node_prerequisites),
        )
        cluster.pools[pool.name] = group.pool
        cluster.pool_ready[pool.name] = [group.node_group]
    return cluster


def _existing_pool(pool: PoolConfig) -> ExistingPool:
    return ExistingPool(
        name=pool.name,
        node_selector=dict(pool.node_selector or {}),
        devices_per_node=pool.devices_per_node or 1,
        vcpus=pool.vcpus or 1,
        memory_gib=pool.memory_gib or 1,
        max_nodes=max(1, pool.max_nodes),
        tolerations=tuple(
            Toleration(key=t.key, value=t.value, effect=t.effect, operator=t.operator) for t in pool.tolerations
        ),
        resource_name=pool.resource_name,
        accelerator=pool.accelerator,
        machine_type=pool.machine_type,
        rdma=RdmaKind.INFINIBAND if pool.rdma_resource else RdmaKind.NONE,
        rdma_resource=pool.rdma_resource,
        rdma_devices_per_node=pool.rdma_devices_per_node,
    )


def _existing(config: StackConfig, target: ExistingTarget) -> Cluster:
    existing = ExistingCluster(
        config.cluster.name,
        kubeconfig=target.kubeconfig,
        context=target.context,
        pools=[_existing_pool(p) for p in config.pools],
    )
    return existing.as_cluster()


def _self_managed_platform(config: StackConfig, cluster: Cluster) -> tuple[GatewayApiCrds, list[pulumi.Resource]]:
    """What a cluster the cloud does not equip needs: Gateway API + InferencePool CRDs, the gateway implementation
    (Istio by default, or agentgateway), on EKS the NVIDIA and EFA device plugins and the DCGM exporter, and on an
    existing cluster with NVIDIA pools the DCGM exporter.

    The device plugins (and DCGM) join ``cluster.pool_ready`` of the GPU pools they serve: a model server waiting
    for its pool also waits for the plugin that advertises ``nvidia.com/gpu`` / ``vpc.amazonaws.com/efa`` there
    (without it the pod is unschedulable). Returns the CRDs (custom resources in the stack namespace wait for them)
    and what the Gateway must wait for.
    """
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready))
    crds = GatewayApiCrds(opts=k8s_opts)
    implementation = gateway_implementation(
        config.gateway_class, opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[crds])
    )
    if cluster.platform is Platform.EKS and cluster.pools:
        gpu_nodes = {"nvidia.com/gpu.present": "true"}
        plugins: list[pulumi.Resource] = [
            NvidiaDevicePlugin(node_selector=gpu_nodes, opts=k8s_opts).release,
            DcgmExporter(opts=k8s_opts).release,
        ]
        efa = EfaDevicePlugin(opts=k8s_opts) if any(p.rdma for p in cluster.pools.values()) else None
        for name, pool in cluster.pools.items():
            needed = [*plugins, *([efa.release] if efa is not None and pool.rdma is not None else [])]
            cluster.pool_ready.setdefault(name, []).extend(needed)
    nvidia_pools = [p for p in cluster.pools.values() if p.resource_name == "nvidia.com/gpu"]
    if cluster.platform is Platform.EXISTING and nvidia_pools:
        # An existing cluster brings its own device plugin (or the GPU Operator); GPU metrics the stack adds, on the
        # nodes the NVIDIA feature discovery labels, tolerating every pool's taints.
        tolerations = {t for p in nvidia_pools for t in p.tolerations}
        dcgm = DcgmExporter(tolerations=tuple(sorted(tolerations, key=lambda t: (t.key, t.value or ""))), opts=k8s_opts)
        for pool in nvidia_pools:
            cluster.pool_ready.setdefault(pool.name, []).append(dcgm.release)
    return crds, [crds, *implementation.ready]


@dataclass
class PlatformAddons:
    """What :func:`_platform_addons` installed: Kueue, the LeaderWorkerSet controller and, off GKE, the Prometheus
    stack (``None`` on GKE, whose managed collection brings the PodMonitoring CRD with the cluster)."""

    kueue: Kueue
    lws: LeaderWorkerSetController
    prometheus: PrometheusStack | None = None

    @property
    def admission(self) -> list[pulumi.Resource]:
        """Releases whose fail-closed webhooks intercept objects of the stack namespace: Kueue (LeaderWorkerSets and
        Jobs anywhere; see ``components/platform/scheduling.py``) and LWS (LeaderWorkerSets and their pods)."""
        return [self.kueue.release, self.lws.release]

    @property
    def monitoring_crds(self) -> list[pulumi.Resource]:
        """What a PodMonitor must wait for: kube-prometheus-stack installs the ``monitoring.coreos.com`` CRDs."""
        return [self.prometheus.release] if self.prometheus is not None else []


def _platform_addons(config: StackConfig, cluster: Cluster) -> PlatformAddons:
    """What the AI-conformance MUSTs ask of every stack beyond serving (see ``policies/``, ``pulumi-llmd check``).

    Kueue (``gang_scheduling``; its queues come with :func:`_kueue_queues` once the namespace exists), the
    LeaderWorkerSet operator (``robust_controller``), and the metrics path for the model servers' HPAs
    (``pod_autoscaling``, ``ai_service_metrics``): on GKE the custom-metrics Stackdriver adapter over managed
    Prometheus, elsewhere kube-prometheus-stack with prometheus-adapter.

    Kueue manages only the stack namespace; kube-prometheus-stack waits for it (its Helm hook Jobs go through Kueue's
    cluster-wide fail-closed Job webhook).
    """
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready))  # system pool
    kueue = Kueue(namespaces=[config.namespace], opts=k8s_opts)
    lws = LeaderWorkerSetController(opts=k8s_opts)
    addons = PlatformAddons(kueue=kueue, lws=lws)
    target = config.target
    if isinstance(target, GcpTarget):
        # Its Workload Identity IAMMember names <project>.svc.id.goog, which exists once a cluster with Workload
        # Identity does: wait for the cluster (the system pool comes after it).
        adapter = CustomMetricsAdapter(
            "custom-metrics",
            project=target.project,
            k8s_opts=k8s_opts,
            opts=pulumi.ResourceOptions(depends_on=list(cluster.ready)),
        )
        # Its namespace is default-deny too: only the API server in (the aggregated metrics APIs) and the API
        # server, Google APIs and the metadata server out.
        api_server_cidrs, api_server_ports = _api_server(config)
        ApiExtensionNetworkPolicies(
            ADAPTER_NAME,
            namespace=ADAPTER_NAMESPACE,
            # The adapter's pod label and serving port (components/gcp/monitoring.py adapter_manifests).
            pod_labels={"k8s-app": ADAPTER_NAME},
            port=443,
            api_server_cidrs=api_server_cidrs,
            api_server_ports=api_server_ports,
            control_plane_cidrs=[config.cluster.network.master_cidr] if config.cluster.private_nodes else [],
            opts=pulumi.ResourceOptions(
                provider=cluster.provider,
                parent=adapter,
                depends_on=[adapter.namespace] if adapter.namespace else list(cluster.ready),
            ),
        )
        return addons
    addons.prometheus = PrometheusStack(
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[*cluster.ready, kueue.release])
    )
    if cluster.pools:
        PrometheusAdapter(
            metrics=(VLLM_WAITING_METRIC,),
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[addons.prometheus]),
        )
    return addons


def _kueue_queues(config: StackConfig, cluster: Cluster, addons: PlatformAddons, namespace: StackNamespace) -> None:
    """Kueue's flavors, ClusterQueue and LocalQueue for the accelerator pools (none without pools), after the Kueue
    release (its CRDs and webhooks) and the namespace (the LocalQueue lives there)."""
    if cluster.pools:
        KueueQueues(
            config.namespace,
            namespace=config.namespace,
            pools=list(cluster.pools.values()),
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[addons.kueue.release, namespace]),
        )


def _model_addons(
    config: StackConfig,
    name: str,
    path: ModelPath,
    opts: pulumi.ResourceOptions,
    *,
    monitoring_crds: list[pulumi.Resource] | None = None,
    endpoint: GatewayEndpoint | None = None,
) -> None:
    """Per model: metrics scraping (vLLM and EPP), NetworkPolicies and, on GKE, the load-balancer policies.

    ``monitoring_crds``: what the PodMonitors wait for off GKE (kube-prometheus-stack, which installs their CRD).
    ``endpoint``: the gateway's endpoint settings; on GKE its IAP settings go into the GCPBackendPolicy, which then
    waits for the IAP API.
    """
    gke = isinstance(config.target, GcpTarget)
    if not gke and monitoring_crds:
        monitor_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=monitoring_crds))
    else:
        monitor_opts = opts
    if gke:
        iap_ready = endpoint.iap_ready if endpoint is not None else []
        GkeInferencePoolPolicies(
            name,
            namespace=config.namespace,
            pool=path.pool_name,
            timeout_sec=config.gateway.timeout_sec,
            iap=endpoint.iap if endpoint is not None else None,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=iap_ready))
            if iap_ready
            else opts,
        )
        PodMonitoring(
            f"{name}-decode",
            namespace=config.namespace,
            selector=path.server_selector,
            port=path.metrics_ports,
            opts=opts,
        )
        PodMonitoring(
            f"{name}-epp", namespace=config.namespace, selector=path.picker.selector, port="metrics", opts=opts
        )
    else:
        PodMonitor(
            f"{name}-decode",
            namespace=config.namespace,
            selector=path.server_selector,
            port=path.metrics_ports,
            opts=monitor_opts,
        )
        PodMonitor(
            f"{name}-epp", namespace=config.namespace, selector=path.picker.selector, port="metrics", opts=monitor_opts
        )
    render: TokenizerRender | None = getattr(path, "render", None)
    if render is not None:
        monitor = PodMonitoring if gke else PodMonitor
        monitor(
            f"{name}-render", namespace=config.namespace, selector=render.labels, port="render-http", opts=monitor_opts
        )
        k8s_object(
            f"{name}-render-networkpolicy",
            render_network_policy(
                name=f"{name}-render",
                namespace=config.namespace,
                labels=render.labels,
                client_labels=path.picker.selector,
                monitoring_namespaces=[GMP_NAMESPACE] if gke else [MONITORING_NAMESPACE],
            ),
            opts,
        )
    api_server_cidrs, api_server_ports = _api_server(config)
    ServingNetworkPolicies(
        name,
        namespace=config.namespace,
        api_server_cidrs=api_server_cidrs,
        api_server_ports=api_server_ports,
        # The simulator's guide model ``random`` loads nothing; every real model id is fetched from Hugging Face.
        hugging_face=next(m for m in config.models if m.name == name).hugging_face_id != "random",
        render_labels=render.labels if render is not None else None,
        render_port=RENDER_PORT if render is not None else None,
        model_server_labels=path.server_selector,
        model_server_port=VLLM_PORT,
        extra_model_server_ports=[p for p in path.server_ports if p != VLLM_PORT],
        peer_ports=path.peer_ports,
        picker_to_server_ports=path.picker_ports,
        picker_labels=path.picker.selector,
        picker_ports=[path.picker.port, path.picker.health_port],
        picker_metrics_port=path.picker.metrics_port,
        gateway_cidrs=[config.cluster.network.proxy_only_cidr, *GOOGLE_HEALTH_CHECK_RANGES] if gke else [],
        gateway_pod_labels=None if gke else {GATEWAY_NAME_LABEL: config.gateway.name},
        monitoring_namespaces=[GMP_NAMESPACE] if gke else [MONITORING_NAMESPACE],
        opts=opts,
    )


def _api_server(config: StackConfig) -> tuple[list[str], list[int]]:
    """Where the endpoint picker reaches the Kubernetes API server (it is not a pod: NetworkPolicy names it by
    address), as (CIDRs, TCP ports).

    GKE with private nodes: the control plane's ``masterIpv4CidrBlock`` (the private endpoint the ``kubernetes``
    Service points at), port 443. EKS in a VPC the stack creates: the VPC CIDR (the control plane's cross-account ENIs
    sit in the cluster's subnets), port 443. Otherwise (a GKE public endpoint, whose address exists only once the
    cluster does; an existing VPC) every address on 443. An existing cluster: the private ranges (RFC 1918: kind's
    control-plane node sits on the docker network 172.18.0.0/16) on 443 and 6443 (kubeadm's and kind's API port).
    """
    target = config.target
    if isinstance(target, GcpTarget):
        return ([config.cluster.network.master_cidr] if config.cluster.private_nodes else ["0.0.0.0/0"]), [443]
    if isinstance(target, AwsTarget):
        return ([target.vpc.cidr] if not target.vpc.existing_vpc_id else ["0.0.0.0/0"]), [443]
    return list(PRIVATE_RANGES), [443, 6443]


def _iap_client_secret(config: StackConfig) -> pulumi.Output[str] | None:
    """``llmd:gateway.authentication.iap.clientSecret`` as a Pulumi secret (None when not set).

    :func:`read_config` keeps it out of plain config reads and hands it over as a pydantic ``SecretStr`` (never
    printed, never echoed by a config error); here it goes straight into ``Output.secret`` and stays one.
    """
    auth = config.gateway.authentication
    if isinstance(auth, AuthenticationConfig) and auth.iap is not None and auth.iap.client_secret is not None:
        return pulumi.Output.secret(auth.iap.client_secret.get_secret_value())
    return None


def deploy(
    config: StackConfig,
    *,
    hf_token: pulumi.Output[str] | None = None,
    model_hf_tokens: Mapping[str, pulumi.Output[str]] | None = None,
) -> Deployment:
    """Deploy ``config``: cluster and accelerator pools, namespace, gateway, then each model on its well-lit path.

    ``hf_token`` must be a Pulumi secret (or None for public models); it becomes the Secret ``llm-d-hf-token``.
    ``model_hf_tokens`` (model name -> Pulumi secret, from ``llmd:models[i].hfToken``) gives a model its own Secret
    ``llm-d-hf-token-<model>`` in place of the stack's. Returns the :class:`Deployment`.
    """
    target = config.target
    gateway_ready: list[pulumi.Resource] = []
    labels: dict[str, str] = {}
    crds: list[pulumi.Resource] = []
    if isinstance(target, GcpTarget):
        cluster = _gke(config, target)
    else:
        cluster = _eks(config, target) if isinstance(target, AwsTarget) else _existing(config, target)
        gateway_crds, gateway_ready = _self_managed_platform(config, cluster)
        crds = [gateway_crds]
        labels = gateway_labels_for(config.gateway_class)
    addons = _platform_addons(config, cluster)
    k8s_opts = pulumi.ResourceOptions(provider=cluster.provider)
    # The namespace (so everything in it) waits for the fail-closed admission webhooks that intercept its objects
    # and, off GKE, for the Gateway API / InferencePool CRDs its routes and pools are instances of. Its Pod Security
    # level follows what its pods need (blueprints/pod_security.py).
    namespace = StackNamespace(
        config.namespace,
        hf_token=hf_token,
        pod_security=stack_pod_security(config, cluster.pools),
        admission=[*addons.admission, *crds],
        opts=k8s_opts,
    )
    _kueue_queues(config, cluster, addons, namespace)
    # The endpoint (blueprints/endpoint.py): internal or public load balancer, the HTTPS certificate (cert-manager
    # after Kueue, whose Job webhook intercepts its startupapicheck Job), IAP's OAuth Secret and grants.
    endpoint = prepare_endpoint(
        config,
        cluster,
        namespace=namespace,
        after=[addons.kueue.release],
        iap_client_secret=_iap_client_secret(config),
    )
    gateway = InferenceGateway(
        config.gateway.name,
        namespace=config.namespace,
        class_name=config.gateway_class,
        port=config.gateway.port,
        labels=labels,
        annotations=endpoint.annotations,
        infrastructure_annotations=endpoint.infrastructure_annotations,
        tls=endpoint.tls,
        opts=pulumi.ResourceOptions(
            provider=cluster.provider, depends_on=[namespace, *gateway_ready, *endpoint.depends_on]
        ),
    )
    authenticate_gateway(
        config,
        cluster,
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace, *gateway_ready]),
    )
    deployment = Deployment(config=config, cluster=cluster, namespace=namespace, gateway=gateway)
    # Default deny (ingress and egress) in the stack namespace, DNS for every pod and, for an in-cluster gateway, its
    # proxy's listeners and control plane; each model adds its own allows (_model_addons).
    in_cluster_gateway = not isinstance(target, GcpTarget)
    StackNetworkPolicies(
        config.namespace,
        namespace=config.namespace,
        gateway=config.gateway.name if in_cluster_gateway else None,
        gateway_implementation=config.gateway_class if in_cluster_gateway else None,
        # The Gateway's listeners: the HTTP port (served or redirecting) and the HTTPS port with TLS.
        listener_ports=sorted({config.gateway.port, *([endpoint.tls.port] if endpoint.tls is not None else [])}),
        # Part of the namespace component; waits for the Namespace object only.
        opts=pulumi.ResourceOptions(provider=cluster.provider, parent=namespace, depends_on=[namespace.namespace]),
    )
    gke = cluster.platform is Platform.GKE
    model_token_secrets = _model_hf_token_secrets(config, namespace, model_hf_tokens or {}, k8s_opts)
    for model in config.models:
        if model.path is WellLitPath.SIMULATED_ACCELERATORS:
            simulated = SimulatedAccelerators(
                model,
                namespace=config.namespace,
                gateway=gateway.name,
                gateway_listener=gateway.route_listener,
                picker_resources=picker_resources(config, model),
                opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace, *cluster.ready]),
            )
            _model_addons(
                config,
                model.name,
                simulated,
                pulumi.ResourceOptions(parent=simulated, depends_on=[namespace]),
                monitoring_crds=addons.monitoring_crds,
                endpoint=endpoint,
            )
            deployment.models[model.name] = simulated
            continue
        pool = cluster.pools[config.pool_of(model).name]
        path = _PATHS[model.path](
            model,
            namespace=config.namespace,
            pool=pool,
            gateway=gateway.name,
            gateway_listener=gateway.route_listener,
            hf_token_secret=model_token_secrets.get(model.name, namespace.hf_token_secret),
            autoscaling_metric=gmp_metric(VLLM_WAITING_METRIC) if gke else VLLM_WAITING_METRIC,
            # Only the model servers wait for the accelerator pool (7-9 min on GKE); the picker, InferencePool,
            # HTTPRoute, HPA and PDBs wait for the namespace and the system nodes.
            pool_ready=cluster.pool_ready.get(pool.name, []),
            picker_resources=picker_resources(config, model),
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace, *cluster.ready]),
        )
        _model_addons(
            config,
            model.name,
            path,
            pulumi.ResourceOptions(parent=path, depends_on=[namespace]),
            monitoring_crds=addons.monitoring_crds,
            endpoint=endpoint,
        )
        deployment.models[model.name] = path
    pulumi.export("cluster", cluster.name)
    pulumi.export("namespace", config.namespace)
    pulumi.export(
        "gateway",
        {
            "name": gateway.name,
            "className": config.gateway_class,
            "public": config.gateway_public,
            "https": gateway.route_listener is not None,
        },
    )
    if endpoint.managed_certificate is not None:
        # Publish this CNAME in the hostname's DNS zone; the certificate stays PROVISIONING until it resolves.
        pulumi.export("gatewayCertificateDnsRecord", endpoint.managed_certificate.dns_record)
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
        parsed = read_config()
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    outputs = secret_outputs(parsed.secrets)
    model_tokens = {
        model.name: outputs[f"{CONFIG_NAMESPACE}:models[{index}].hfToken"]
        for index, model in enumerate(parsed.config.models)
        if f"{CONFIG_NAMESPACE}:models[{index}].hfToken" in outputs
    }
    return deploy(
        parsed.config, hf_token=outputs.get(f"{CONFIG_NAMESPACE}:hfToken"), model_hf_tokens=model_tokens or None
    )
