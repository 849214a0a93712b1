"""The existing-cluster target (kind, on-prem, CoreWeave, OpenShift): no cloud resources; the pools describe
their nodes; the stack adds the Gateway API CRDs, Istio or agentgateway, DCGM on NVIDIA pools, the AMD GPU Operator
(ROCm device plugin + device-metrics exporter) on AMD Instinct pools, Intel's device plugins operator + GPU plugin and
Intel XPU Manager's exporter on Intel GPU pools, and kube-prometheus-stack. Imported only for
``target.cloud: existing``."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from pulumi_llmd.blueprints.config import ExistingTarget, PoolConfig, StackConfig, existing_pool_shape
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.targets import ISTIO_SERVICE_TYPE, Target, TargetPlatform, pool_key, refuse_cluster_keys
from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import AcceleratorPool, Cluster, Toleration
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool
from pulumi_llmd.components.platform import AmdGpuOperator, DcgmExporter, IntelGpuDevicePlugin, IntelXpuManager
from pulumi_llmd.components.platform.devices import (
    AMD_GPU_TOLERATION,
    INTEL_GPU_NODE_SELECTOR,
    INTEL_GPU_RESOURCES,
    INTEL_XPUMANAGER_NAMESPACE,
    intel_monitoring_resource,
)
from pulumi_llmd.components.platform.network_policy import PRIVATE_RANGES

#: The extended resource of AMD Instinct GPUs (the ROCm device plugin; FACTS "AMD and other accelerators").
AMD_GPU_RESOURCE = catalog.accelerator("amd-instinct-mi300x").resource_name


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


class ExistingClusterTarget(Target):
    """A cluster that exists already (see the module docstring)."""

    cloud = "existing"
    creates_cluster = False
    rdma_hint = "an existing-cluster pool that names its rdmaResource (e.g. rdma/ib)"

    @classmethod
    def check_config(cls, config: StackConfig) -> list[ConfigIssue]:
        """The cluster keys of a cluster the stack creates do not apply."""
        return refuse_cluster_keys(
            config,
            ("controlPlane", "privateNodes", "secretsKmsKey"),
            "applies to a cluster the stack creates (target cloud gcp or aws); an existing cluster keeps its own "
            "settings",
        )

    @classmethod
    def resolve_pool(cls, key: str, pool: PoolConfig) -> tuple[list[ConfigIssue], catalog.MachineShape | None]:
        """The pool describes its nodes itself (:func:`~pulumi_llmd.blueprints.config.existing_pool_shape`)."""
        try:
            return [], existing_pool_shape(pool)
        except catalog.CatalogError as exc:
            field = "machineType" if pool.machine_type is not None else "accelerator"
            value = pool.machine_type or pool.accelerator
            return [ConfigIssue(key=f"{key}.{field}", value=value, message=str(exc))], None

    @classmethod
    def check_pool(
        cls, config: StackConfig, index: int, pool: PoolConfig, shape: catalog.MachineShape | None
    ) -> list[ConfigIssue]:
        """The pool names its nodes' labels and valid extended resources."""
        key = pool_key(index)
        issues: list[ConfigIssue] = []
        if not pool.node_selector:
            issues.append(
                ConfigIssue(
                    key=f"{key}.nodeSelector",
                    message="is required on an existing cluster: the labels of the pool's nodes, e.g. "
                    "{nvidia.com/gpu.present: 'true'}",
                )
            )
        if pool.is_cpu:
            if pool.resource_name:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.resourceName",
                        value=pool.resource_name,
                        message="a CPU pool (accelerator: cpu) requests no device; allowed: leave resourceName out",
                    )
                )
        else:
            try:
                catalog.validate_extended_resource(pool.resource_name)
            except catalog.CatalogError as exc:
                issues.append(ConfigIssue(key=f"{key}.resourceName", value=pool.resource_name, message=str(exc)))
        if pool.rdma_resource is not None:
            try:
                catalog.validate_extended_resource(pool.rdma_resource)
            except catalog.CatalogError as exc:
                issues.append(ConfigIssue(key=f"{key}.rdmaResource", value=pool.rdma_resource, message=str(exc)))
        return issues

    @classmethod
    def load_balancer_annotations(cls, config: StackConfig) -> tuple[dict[str, str], dict[str, str]]:
        """An internal Istio gateway gets a ClusterIP Service (Istio's ``networking.istio.io/service-type``; reach
        it with ``kubectl port-forward``); a public one Istio's default LoadBalancer Service."""
        if not config.gateway_public and config.gateway_class == "istio":
            return {ISTIO_SERVICE_TYPE: "ClusterIP"}, {}
        return {}, {}

    def build_cluster(self) -> Cluster:
        target = self.config.target
        assert isinstance(target, ExistingTarget)
        return _existing(self.config, target)

    def platform(
        self, cluster: Cluster, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> TargetPlatform:
        """The self-managed gateway, kube-prometheus-stack and, with NVIDIA pools, the DCGM exporter: an existing
        cluster brings its own device plugin (or the GPU Operator); GPU metrics the stack adds, on the nodes the
        NVIDIA feature discovery labels, tolerating every pool's taints. AMD Instinct pools get the AMD GPU Operator
        and Intel GPU pools Intel's device plugins and XPU Manager (:meth:`_intel_gpus`). ``parent``: the component
        they belong to. Default: None (a stack: no parent)."""
        platform = self.self_managed_gateway(cluster, parent)
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready), parent=parent)
        nvidia_pools = [p for p in cluster.pools.values() if p.resource_name == "nvidia.com/gpu"]
        if nvidia_pools:
            tolerations = {t for p in nvidia_pools for t in p.tolerations}
            dcgm = DcgmExporter(
                tolerations=tuple(sorted(tolerations, key=lambda t: (t.key, t.value or ""))), opts=k8s_opts
            )
            for pool in nvidia_pools:
                cluster.pool_ready.setdefault(pool.name, []).append(dcgm.release)
        platform.monitoring_crds = self.prometheus(cluster, after=after, parent=parent)
        amd_pools = [p for p in cluster.pools.values() if p.resource_name == AMD_GPU_RESOURCE]
        if amd_pools:
            # AMD Instinct nodes: the AMD GPU Operator's default DeviceConfig runs the ROCm device plugin (amd.com/gpu)
            # and AMD's device-metrics exporter with a ServiceMonitor. The operator reconciles the DeviceConfig (and
            # creates the ServiceMonitor) at run time, retrying until kube-prometheus-stack's CRDs exist, so the chart
            # installs in parallel with the other add-ons; the model servers on AMD pools wait for it (their pods
            # need the device plugin's amd.com/gpu).
            tolerations = {t for p in amd_pools for t in p.tolerations} | {AMD_GPU_TOLERATION}
            amd = AmdGpuOperator(
                tolerations=tuple(sorted(tolerations, key=lambda t: (t.key, t.value or ""))),
                service_monitor=True,
                opts=k8s_opts,
            )
            for pool in amd_pools:
                cluster.pool_ready.setdefault(pool.name, []).append(amd.release)
        intel_pools = [p for p in cluster.pools.values() if p.resource_name in INTEL_GPU_RESOURCES]
        if intel_pools:
            self._intel_gpus(cluster, intel_pools, platform, parent)
        return platform

    def _intel_gpus(
        self,
        cluster: Cluster,
        pools: Sequence[AcceleratorPool],
        platform: TargetPlatform,
        parent: pulumi.Resource | None,
    ) -> None:
        """Intel GPU nodes (``gpu.intel.com/i915`` or ``/xe``): Intel's device plugins operator and GPU plugin
        (:class:`~pulumi_llmd.components.platform.devices.IntelGpuDevicePlugin`; the operator's webhooks take their
        certificates from the cert-manager the stack installs, so it waits for it) and Intel XPU Manager's metrics
        exporter with a ServiceMonitor (after kube-prometheus-stack's CRDs), one per device resource the pools use.
        They run on the pools' nodes (the pools' labels when all pools share them, else Intel's default NFD label
        ``intel.feature.node.kubernetes.io/gpu``), tolerating every pool's taints. The model servers on Intel pools
        wait for the plugin chart (their pods request its resource)."""
        k8s_opts = pulumi.ResourceOptions(
            provider=cluster.provider,
            depends_on=[*cluster.ready, *(self.cert_manager.ready if self.cert_manager is not None else [])],
            parent=parent,
        )
        tolerations = tuple(sorted({t for p in pools for t in p.tolerations}, key=lambda t: (t.key, t.value or "")))
        selectors = {tuple(sorted(p.node_selector.items())) for p in pools}
        selector = dict(next(iter(selectors))) if len(selectors) == 1 else dict(INTEL_GPU_NODE_SELECTOR)
        plugin = IntelGpuDevicePlugin(node_selector=selector, tolerations=tolerations, opts=k8s_opts)
        for resource in sorted({p.resource_name for p in pools}):
            # i915 (the XPU Manager manifest's resource) keeps Intel's names; an xe pool gets its own exporter.
            suffix = "" if resource == INTEL_GPU_RESOURCES[0] else "-" + resource.rsplit("/", 1)[1]
            IntelXpuManager(
                f"intel-xpumanager{suffix}",
                monitoring_resource=intel_monitoring_resource(resource),
                node_selector=selector,
                tolerations=tolerations,
                namespace=INTEL_XPUMANAGER_NAMESPACE,
                service_monitor_after=platform.monitoring_crds,
                opts=pulumi.ResourceOptions(
                    provider=cluster.provider, depends_on=[*cluster.ready, plugin.release], parent=parent
                ),
            )
        for pool in pools:
            cluster.pool_ready.setdefault(pool.name, []).append(plugin.release)

    def api_server(self) -> tuple[list[str], list[int]]:
        """The private ranges (RFC 1918: kind's control-plane node sits on the docker network 172.18.0.0/16) on 443
        and 6443 (kubeadm's and kind's API port)."""
        return list(PRIVATE_RANGES), [443, 6443]


TARGET = ExistingClusterTarget
