"""The GKE target: project APIs, the VPC and a private GKE cluster, GPU / TPU node pools with the GPUDirect-RDMA
fabric where the machine type has it, the managed Inference Gateway (no in-cluster proxy), managed Prometheus with
the custom-metrics adapter behind the autoscalers, and per model the GCPBackendPolicy / HealthCheckPolicy and
PodMonitorings; and the GKE rules of config validation (zone, network ranges, version, Secrets key, TPU slices,
provisioning, GPUDirect-RDMA), the Certificate Manager certificate and Identity-Aware Proxy of the endpoint.
Imported only for ``target.cloud: gcp``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.blueprints.config import (
    _GKE_MIN_INFERENCEPOOL_MINOR,
    GKE_GATEWAY_CLASSES,
    PROVISIONING_BY_CLOUD,
    GcpTarget,
    IapAuthenticationConfig,
    ModelConfig,
    PoolConfig,
    StackConfig,
)
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.blueprints.plan import StackPlan, tpu_topology
from pulumi_llmd.blueprints.targets import Target, TargetPlatform, pool_key
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.args import NamedResource
from pulumi_llmd.components.base import AcceleratorPool, Cluster
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
    ManagedPrometheusView,
    PodMonitoring,
    ProjectServices,
    TpuNodePool,
    gmp_metric,
)
from pulumi_llmd.components.gcp.certificates import GkeManagedCertificate, IapAccess
from pulumi_llmd.components.gcp.kms import KMS_KEY_NAME
from pulumi_llmd.components.gcp.monitoring import ADAPTER_NAME, ADAPTER_NAMESPACE
from pulumi_llmd.components.gcp.network import network_range_problems, zone_in_region_problem
from pulumi_llmd.components.gcp.node_pool import provisioning_problem
from pulumi_llmd.components.gcp.tpu import tpu_topology_problem
from pulumi_llmd.components.platform import ApiExtensionNetworkPolicies, GkeInferencePoolPolicies
from pulumi_llmd.components.platform.gateway import GKE_CERT_MANAGER_CERTS_OPTION, IAP_SECRET_KEY, IapSettings
from pulumi_llmd.components.platform.network_policy import GMP_NAMESPACE
from pulumi_llmd.components.platform.observability import epp_alert_groups
from pulumi_llmd.components.serving import VLLM_WAITING_METRIC
from pulumi_llmd.components.serving.autoscaling import KedaPrometheus
from pulumi_llmd.components.serving.weights_cache import WeightsCacheMount


def _gke(plan: StackPlan, target: GcpTarget, apis: list[pulumi.Resource] | None = None) -> Cluster:
    """The VPC, the GKE cluster and its node pools; ``apis`` receives the project's API enablement (what every other
    GCP resource of the stack waits for). Default: None."""
    config = plan.config
    cl = config.cluster
    shapes = {p.name: p.shape for p in plan.pools}
    rdma_pools = [p.config for p in plan.pools if p.fabric is not None]
    # A fresh project has the APIs off: enable them first, and make every GCP resource of the stack wait for them.
    services = ProjectServices(f"{cl.name}-apis", project=target.project)
    if apis is not None:
        apis.append(services)
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
        system_machine_type=cl.system_pool.machine_type or catalog.DEFAULT_SYSTEM_MACHINE_TYPES[catalog.Cloud.GCP],
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
            "provisioning": plan.pool(pool.name).provisioning,
            "reservation": pool.reservation,
            "boot_disk_type": pool.boot_disk_type,
            "boot_disk_size_gb": pool.boot_disk_size_gb,
            # Every accelerator pool runs as the cluster's least-privilege node service account.
            "service_account": gke.node_service_account_email,
            "opts": pulumi.ResourceOptions(parent=gke, depends_on=[services, *gke.node_ready]),
        }
        if shape.tpu is not None:
            tpu_pool = TpuNodePool(pool.name, topology=str(plan.pool(pool.name).tpu_topology), **common)
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


# --- config rules ---------------------------------------------------------------------------------------------------


def _problem_issue(key: str, value: object, problem: str) -> ConfigIssue:
    """A component rule's ``"<key> = <value>: <allowed>"`` problem as a :class:`ConfigIssue` of ``key``."""
    prefix = f"{key} = {value!r}: "
    return ConfigIssue(key=key, value=value, message=problem.removeprefix(prefix))


def _network_issues(config: StackConfig) -> list[ConfigIssue]:
    """``cluster.network``'s ranges are disjoint (the GkeNetwork / GkeCluster rule,
    :func:`~pulumi_llmd.components.gcp.network.network_range_problems`)."""
    net = config.cluster.network
    key = f"{CONFIG_NAMESPACE}:cluster.network"
    ranges = {
        f"{key}.subnetCidr": net.subnet_cidr,
        f"{key}.podsCidr": net.pods_cidr,
        f"{key}.servicesCidr": net.services_cidr,
        f"{key}.proxyOnlyCidr": net.proxy_only_cidr,
        f"{key}.masterCidr": net.master_cidr,
    }
    issues: list[ConfigIssue] = []
    for problem in network_range_problems(ranges):
        where = problem.split(" = ", 1)[0]
        issues.append(_problem_issue(where, ranges.get(where), problem))
    return issues


def _secrets_key_issues(config: StackConfig, target: GcpTarget) -> list[ConfigIssue]:
    """``cluster.secretsKmsKey`` is a Cloud KMS key name in the cluster's region (GKE "Encrypt secrets at the
    application layer": the key in the same location as the cluster)."""
    kms_key = config.cluster.secrets_kms_key
    if kms_key is None:
        return []
    key = f"{CONFIG_NAMESPACE}:cluster.secretsKmsKey"
    match = KMS_KEY_NAME.match(kms_key)
    if match is None:
        return [
            ConfigIssue(
                key=key,
                value=kms_key,
                message="not a Cloud KMS key name; allowed: "
                "projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>",
            )
        ]
    if match.group("location") != target.region:
        return [
            ConfigIssue(
                key=key,
                value=kms_key,
                message=f"the key is in location {match.group('location')!r}; allowed: a key in the cluster's "
                f"region {target.region!r} (GKE: the key in the same location as the cluster)",
            )
        ]
    return []


def _tpu_issues(key: str, pool: PoolConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    """A TPU pool's topology is one the catalog lists for its machine type
    (:func:`~pulumi_llmd.components.gcp.tpu.tpu_topology_problem`, the TpuNodePool rule); a multi-host slice is one
    vLLM server on a LeaderWorkerSet group; a GPU pool has no topology."""
    where = f"{key}.tpuTopology"
    if shape.tpu is None:
        if pool.tpu_topology is None:
            return []
        return [
            ConfigIssue(
                key=where,
                value=pool.tpu_topology,
                message=f"{shape.machine_type} is not a TPU machine type; tpuTopology applies to TPU pools only",
            )
        ]
    topology = tpu_topology(pool, shape)
    problem = tpu_topology_problem(where, topology, shape)  # TpuNodePool's rule
    if problem is not None:
        return [_problem_issue(where, topology, problem)]
    # A multi-host slice is served by one LeaderWorkerSet group per slice (components/serving/tpu_slice.py); the
    # path's placement rule sizes TP to the slice (blueprints/paths/rules.py tpu_slice_placement).
    return []


def _rdma_issues(key: str, pool: PoolConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    """``rdma: true`` only on machine types with RoCE NICs (GPUDirect-RDMA)."""
    if not pool.rdma or shape.rdma is catalog.RdmaKind.ROCE:
        return []
    roce = ", ".join(m.machine_type for m in catalog.machines("gcp") if m.rdma is catalog.RdmaKind.ROCE)
    if shape.rdma in (catalog.RdmaKind.GPUDIRECT_TCPX, catalog.RdmaKind.GPUDIRECT_TCPXO):
        message = (
            f"{shape.machine_type} uses {shape.rdma.value}, which this release does not set up yet; "
            f"GPUDirect-RDMA machine types: {roce}"
        )
    else:
        message = f"{shape.machine_type} has no RDMA NICs; GPUDirect-RDMA machine types: {roce}"
    return [ConfigIssue(key=f"{key}.rdma", value=True, message=message)]


class GkeTarget(Target):
    """Google Kubernetes Engine (see the module docstring)."""

    cloud = "gcp"
    in_cluster_gateway = False
    gateway_classes = GKE_GATEWAY_CLASSES
    pre_shared_certificates = True
    offers_iap = True
    private_nodes_option = True
    rdma_hint = "a GKE pool of a3-ultragpu-8g or a4-highgpu-8g (GPUDirect-RDMA over RoCE)"
    #: KEDA queries Google Cloud Managed Service for Prometheus with workload identity (:meth:`keda_prometheus`).
    offers = frozenset({"keda-prometheus", "weights-cache:hyperdisk-ml", "weights-cache:pvc"})
    #: Models of at least 40 GiB on GPU pools get a Hyperdisk ML weights cache (``targets/weights_cache.py``).
    default_weights_cache = "hyperdisk-ml"

    def __init__(self, plan: StackPlan) -> None:
        super().__init__(plan)
        #: The project's API enablement (``build_cluster``): the weights cache's disks wait for it too.
        self._apis: list[pulumi.Resource] = []

    def weights_cache(
        self,
        model: ModelConfig,
        *,
        kind: str,
        namespace: str,
        pool: AcceleratorPool,
        image: str,
        hf_token_secret: str | None,
        opts: pulumi.ResourceOptions,
    ) -> WeightsCacheMount:
        """``hyperdisk-ml``: :class:`~pulumi_llmd.components.gcp.weights_cache.HyperdiskMlWeightsCache` in the
        target's zone; other kinds as every target builds them."""
        if kind != "hyperdisk-ml":
            return super().weights_cache(
                model,
                kind=kind,
                namespace=namespace,
                pool=pool,
                image=image,
                hf_token_secret=hf_token_secret,
                opts=opts,
            )
        from pulumi_llmd.blueprints.targets.weights_cache import (
            hyperdisk_ml_throughput,
            pool_wait,
            read_mib_per_server,
            without_pool_wait,
        )
        from pulumi_llmd.components.gcp.weights_cache import HyperdiskMlVolume
        from pulumi_llmd.components.serving.weights_cache import (
            WeightsCacheLoader,
            WeightsCacheMount,
            cache_size_gib,
        )

        target = self.config.target
        assert isinstance(target, GcpTarget) and model.weights is not None
        size = cache_size_gib(model.weights.weights_gib)
        throughput = hyperdisk_ml_throughput(model, pool.shape)
        prefix = f"{self.config.cluster.name}-{model.name}"
        common = {"project": target.project, "zone": target.zone, "namespace": namespace, "size_gib": size}
        # The fill volume does not wait for the pool's nodes; the loader (on those nodes) does.
        after_apis = pulumi.ResourceOptions(depends_on=list(self._apis))
        fill = HyperdiskMlVolume(
            f"{model.name}-weights-fill",
            claim=f"{model.name}-weights-fill",
            disk_name=f"{prefix}-w-fill",
            throughput_mib_per_s=throughput,
            opts=pulumi.ResourceOptions.merge(without_pool_wait(opts), after_apis),
            **common,  # type: ignore[arg-type]
        )
        loader = WeightsCacheLoader(
            f"{model.name}-weights",
            namespace=namespace,
            model=model.name,
            hugging_face_id=model.hugging_face_id,
            claim_name=fill.claim,
            image=image,
            weights_gib=model.weights.weights_gib,
            pool=pool,
            hf_token_secret=hf_token_secret,
            pool_ready=pool_wait(opts),
            opts=pulumi.ResourceOptions.merge(
                without_pool_wait(opts), pulumi.ResourceOptions(depends_on=[fill.claim_resource])
            ),
        )
        cache = HyperdiskMlVolume(
            f"{model.name}-weights",
            claim=f"{model.name}-weights",
            disk_name=f"{prefix}-w",
            throughput_mib_per_s=throughput,
            snapshot_of=fill.disk,
            opts=pulumi.ResourceOptions(
                parent=opts.parent, provider=opts.provider, depends_on=[loader.job, *self._apis]
            ),
            **common,  # type: ignore[arg-type]
        )
        return WeightsCacheMount(
            kind="hyperdisk-ml",
            claim_name=cache.claim,
            read_mib_per_s=read_mib_per_server(model, "hyperdisk-ml", pool.shape),
            ready=(loader.job, cache.claim_resource),
        )

    @classmethod
    def check_config(cls, config: StackConfig) -> list[ConfigIssue]:
        """The zone lies in the region (:func:`~pulumi_llmd.components.gcp.network.zone_in_region_problem`, the
        GkeCluster rule), the network ranges are disjoint, the version has the InferencePool CRD, the Secrets key."""
        target = config.target
        assert isinstance(target, GcpTarget)
        issues: list[ConfigIssue] = []
        key = f"{CONFIG_NAMESPACE}:target.zone"
        problem = zone_in_region_problem(key, target.zone, target.region)
        if problem is not None:
            issues.append(_problem_issue(key, target.zone, problem))
        issues.extend(_network_issues(config))
        minor = int(config.cluster.kubernetes_version.split(".")[1])
        if minor < _GKE_MIN_INFERENCEPOOL_MINOR:
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:cluster.kubernetesVersion",
                    value=config.cluster.kubernetes_version,
                    message=(
                        "GKE installs the InferencePool CRD the gateway needs only from "
                        f"{versions.GKE_MIN_VERSION_WITH_INFERENCEPOOL_CRD}; "
                        f"allowed: 1.{_GKE_MIN_INFERENCEPOOL_MINOR} or later"
                    ),
                )
            )
        issues.extend(_secrets_key_issues(config, target))
        return issues

    @classmethod
    def check_pool(
        cls, config: StackConfig, index: int, pool: PoolConfig, shape: catalog.MachineShape | None
    ) -> list[ConfigIssue]:
        """TPU topology, provisioning offered for the machine type (:func:`~pulumi_llmd.components.gcp.node_pool.
        provisioning_problem`, the node pools' rule), TPU offered in the region, GPUDirect-RDMA."""
        if shape is None:
            return []
        target = config.target
        assert isinstance(target, GcpTarget)
        key = pool_key(index)
        issues = _tpu_issues(key, pool, shape)
        if pool.provisioning is not None and pool.provisioning in PROVISIONING_BY_CLOUD[cls.cloud]:
            where = f"{key}.provisioning"
            problem = provisioning_problem(where, pool.provisioning, shape)
            if problem is not None:
                issues.append(_problem_issue(where, pool.provisioning, problem))
        tpu = shape.tpu
        if tpu is not None and target.region not in tpu.regions:
            issues.append(
                ConfigIssue(
                    key=f"{key}.machineType",
                    value=shape.machine_type,
                    message=f"{shape.accelerator.display} is not offered in region {target.region} (catalog); "
                    f"regions: {', '.join(tpu.regions)}",
                )
            )
        issues.extend(_rdma_issues(key, pool, shape))
        return issues

    @classmethod
    def managed_certificate(
        cls, config: StackConfig, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> tuple[GkeManagedCertificate, dict[str, str]]:
        """A regional Google-managed Certificate Manager certificate for ``tls.hostname`` (DNS authorization), named
        by the listener option ``networking.gke.io/cert-manager-certs``. ``parent``: the component it belongs to.
        Default: None (a stack: no parent)."""
        target = config.target
        assert isinstance(target, GcpTarget) and config.gateway.tls.hostname
        cert = GkeManagedCertificate(
            f"{config.cluster.name}-{config.gateway.name}",
            project=target.project,
            region=target.region,
            hostname=config.gateway.tls.hostname,
            opts=pulumi.ResourceOptions(depends_on=list(after), parent=parent),
        )
        return cert, {GKE_CERT_MANAGER_CERTS_OPTION: cert.certificate_name}

    @classmethod
    def identity_aware_proxy(
        cls,
        config: StackConfig,
        iap: IapAuthenticationConfig,
        *,
        namespace_opts: pulumi.ResourceOptions,
        after: Sequence[pulumi.Resource],
        client_secret: pulumi.Output[str] | None = None,
        parent: pulumi.Resource | None = None,
    ) -> IapSettings:
        """The OAuth client Secret ``<gateway>-iap-oauth`` (key ``key``) from ``client_secret`` unless
        ``clientSecretName`` names one, and ``roles/iap.httpsResourceAccessor`` for ``members`` (after ``after``:
        the IAP API).

        Args:
            client_secret: A Pulumi secret: the OAuth client secret. Default: None (an empty value; config validation
                requires it unless ``clientSecretName`` names a Secret).
            parent: The component the objects belong to. Default: None (a stack: no parent).
        """
        target = config.target
        assert isinstance(target, GcpTarget)
        gw = config.gateway
        secret_name = iap.client_secret_name
        if secret_name is None:
            secret_name = f"{gw.name}-iap-oauth"
            # llmd:gateway.authentication.iap.clientSecret, a Pulumi secret from deploy() (config validation requires
            # it when clientSecretName is not set).
            value: pulumi.Output[str] = client_secret if client_secret is not None else pulumi.Output.secret("")
            k8s.core.v1.Secret(
                f"{gw.name}-iap-oauth",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=config.namespace),
                type="Opaque",
                # Stays a secret even if the caller handed in a plain Output.
                string_data={IAP_SECRET_KEY: value.apply(pulumi.Output.secret)},
                opts=namespace_opts,
            )
        if iap.members:
            IapAccess(
                f"{gw.name}-iap-access",
                project=target.project,
                members=iap.members,
                opts=pulumi.ResourceOptions(depends_on=list(after), parent=parent),
            )
        return IapSettings(client_id=iap.client_id, client_secret_name=secret_name)

    def build_cluster(self) -> Cluster:
        target = self.config.target
        assert isinstance(target, GcpTarget)
        return _gke(self.plan, target, self._apis)

    def platform(
        self, cluster: Cluster, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> TargetPlatform:
        """The custom-metrics Stackdriver adapter over managed Prometheus (GKE brings the Gateway API, the
        InferencePool CRD and the PodMonitoring CRD with the cluster), its namespace default-deny: only the API server
        in (the aggregated metrics APIs) and the API server, Google APIs and the metadata server out. ``parent``: the
        component they belong to. Default: None (a stack: no parent)."""
        target = self.config.target
        assert isinstance(target, GcpTarget)
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready))
        # Its Workload Identity IAMMember names <project>.svc.id.goog, which exists once a cluster with Workload
        # Identity does: wait for the cluster (the system pool comes after it).
        # KEDA (workload-autoscaling) serves external.metrics.k8s.io itself: the adapter serves custom metrics only.
        keda = any(m.keda_autoscaled for m in self.config.models)
        adapter = CustomMetricsAdapter(
            "custom-metrics",
            project=target.project,
            k8s_opts=k8s_opts,
            external_metrics=not keda,
            opts=pulumi.ResourceOptions(depends_on=list(cluster.ready), parent=parent),
        )
        api_server_cidrs, api_server_ports = self.api_server()
        cl = self.config.cluster
        ApiExtensionNetworkPolicies(
            ADAPTER_NAME,
            namespace=ADAPTER_NAMESPACE,
            # The adapter's pod label and serving port (components/gcp/monitoring.py adapter_manifests).
            pod_labels={"k8s-app": ADAPTER_NAME},
            port=443,
            api_server_cidrs=api_server_cidrs,
            api_server_ports=api_server_ports,
            control_plane_cidrs=[cl.network.master_cidr] if cl.private_nodes else [],
            opts=pulumi.ResourceOptions(
                provider=cluster.provider,
                parent=adapter,
                depends_on=[adapter.namespace] if adapter.namespace else list(cluster.ready),
            ),
        )
        return TargetPlatform()

    def api_server(self) -> tuple[list[str], list[int]]:
        """With private nodes the control plane's ``masterIpv4CidrBlock`` (the private endpoint the ``kubernetes``
        Service points at), else every address (a public endpoint's address exists only once the cluster does);
        port 443."""
        cl = self.config.cluster
        return ([cl.network.master_cidr] if cl.private_nodes else ["0.0.0.0/0"]), [443]

    def autoscaling_metric(self) -> str:
        """vLLM's queue depth as managed Prometheus exports it to Cloud Monitoring."""
        return gmp_metric(VLLM_WAITING_METRIC)

    def keda_prometheus(self) -> KedaPrometheus:
        """Managed Prometheus' PromQL API (KEDA docs, Prometheus scaler, "Google Managed Prometheus"): the project's
        ``https://monitoring.googleapis.com/v1/projects/<project>/location/global/prometheus``, GCP pod identity
        (``podIdentity.provider: gcp``, the operator granted ``roles/monitoring.viewer``), and the picker's series
        named by its PodMonitoring ``<model>-epp`` (GMP's ``job`` label is the PodMonitoring's name)."""
        target = self.config.target
        assert isinstance(target, GcpTarget)
        return KedaPrometheus(
            server_address=f"https://monitoring.googleapis.com/v1/projects/{target.project}/location/global/prometheus",
            picker_label=("job", "{model}-epp"),
            trigger_authentication={"podIdentity": {"provider": "gcp"}},
            workload_identity_project=target.project,
        )

    @property
    def monitoring_namespaces(self) -> list[str]:
        return [GMP_NAMESPACE]

    @property
    def gateway_cidrs(self) -> list[str]:
        """The proxy-only subnet of the regional load balancer and Google's health checkers."""
        return [self.config.cluster.network.proxy_only_cidr, *GOOGLE_HEALTH_CHECK_RANGES]

    @property
    def gateway_pod_labels(self) -> dict[str, str] | None:
        return None

    def observe_stack(self, namespace: NamedResource, opts: pulumi.ResourceOptions) -> None:
        """The managed-Prometheus equivalent of the kube-prometheus-stack targets' dashboards and alert rules: llm-d's
        EPP alert rules as a GMP ``Rules`` object in the stack namespace and a Cloud Monitoring dashboard of the key
        EPP / vLLM series (:class:`~pulumi_llmd.components.gcp.monitoring.ManagedPrometheusView`)."""
        target = self.config.target
        assert isinstance(target, GcpTarget)
        ManagedPrometheusView(
            "llm-d-operations",
            project=target.project,
            namespace=namespace,
            groups=epp_alert_groups(),
            k8s_opts=opts,
            display_name=f"llm-d {self.config.namespace} ({self.config.cluster.name})",
        )

    def monitor(
        self,
        name: str,
        *,
        selector: Mapping[str, str],
        port: str | list[str],
        opts: pulumi.ResourceOptions,
        platform: TargetPlatform,
    ) -> None:
        """A managed-Prometheus PodMonitoring."""
        PodMonitoring(name, namespace=self.config.namespace, selector=selector, port=port, opts=opts)

    def serving_policies(self, name: str, pool_name: str, opts: pulumi.ResourceOptions, endpoint: Any) -> None:
        """The load balancer's GCPBackendPolicy (timeout, IAP from the endpoint, waiting for the IAP API) and
        HealthCheckPolicy for the model's InferencePool."""
        iap_ready = endpoint.iap_ready if endpoint is not None else []
        GkeInferencePoolPolicies(
            name,
            namespace=self.config.namespace,
            pool=pool_name,
            timeout_sec=self.config.gateway.timeout_sec,
            iap=endpoint.iap if endpoint is not None else None,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=iap_ready))
            if iap_ready
            else opts,
        )


TARGET = GkeTarget
