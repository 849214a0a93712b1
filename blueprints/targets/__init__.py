"""Deploy targets: one module per place a stack runs (``gke``, ``eks``, ``existing``), each owning every cloud
question: the cluster and its accelerator pools, the add-ons the cloud does not bring (gateway implementation, device
plugins, the metrics path behind the autoscalers), monitoring objects, where the API server and the gateway's
proxies are for NetworkPolicies, and the autoscaling metric's name; and the target's config rules (classmethods
that config validation calls through :func:`target_class` before any plan exists: pool shapes, provisioning, zones,
cluster hardening), the load balancer's annotations and the gateway features the target offers.

:func:`target_for` imports only the module of the stack's target (``importlib``), so a GKE stack never imports
``pulumi_aws`` and an EKS stack never imports ``pulumi_gcp``. Imports: ``plan <- targets <- deploy``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import pulumi

from pulumi_llmd.blueprints.config import (
    PROVISIONING_BY_CLOUD,
    SELF_MANAGED_GATEWAY_CLASSES,
    IapAuthenticationConfig,
    PoolConfig,
    StackConfig,
    resolve_shape,
)
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.blueprints.plan import StackPlan
from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import NamedResource
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform import (
    GatewayApiCrds,
    LlmdDashboards,
    PodMonitor,
    PrometheusAdapter,
    PrometheusStack,
    gateway_implementation,
    gateway_labels_for,
)
from pulumi_llmd.components.platform.cert_manager import INTERNAL_CA_ISSUER, CertManager, InternalCa
from pulumi_llmd.components.platform.gateway import IapSettings
from pulumi_llmd.components.platform.keda import KEDA_NAMESPACE, KEDA_OPERATOR_SA
from pulumi_llmd.components.platform.monitoring import (
    MONITORING_NAMESPACE,
    PROMETHEUS_API_URL,
    prometheus_api_network_policy,
)
from pulumi_llmd.components.platform.network_policy import GATEWAY_NAME_LABEL
from pulumi_llmd.components.serving import VLLM_WAITING_METRIC
from pulumi_llmd.components.serving.autoscaling import KedaPrometheus

if TYPE_CHECKING:  # the GCP SDK is imported only by GKE stacks (targets/gke.py)
    from pulumi_llmd.blueprints.config import ModelConfig
    from pulumi_llmd.components.base import AcceleratorPool
    from pulumi_llmd.components.gcp.certificates import GkeManagedCertificate
    from pulumi_llmd.components.serving.weights_cache import WeightsCacheMount

#: Target cloud (``llmd:target.cloud``) -> the module that deploys there.
TARGET_MODULES = {
    "gcp": "pulumi_llmd.blueprints.targets.gke",
    "aws": "pulumi_llmd.blueprints.targets.eks",
    "existing": "pulumi_llmd.blueprints.targets.existing",
}
#: The cluster's platform (:class:`~pulumi_llmd.components.base.Platform`) -> its target cloud.
PLATFORM_CLOUDS: Mapping[Platform, str] = {Platform.GKE: "gcp", Platform.EKS: "aws", Platform.EXISTING: "existing"}
#: AWS Service annotations for an internal / internet-facing load balancer (:meth:`Target.load_balancer_annotations`
#: of EKS; here, not in :mod:`.eks`, so readers need not import the AWS SDK).
AWS_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
}
AWS_PUBLIC_LB = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
#: Istio's Gateway annotation choosing the generated Service's type.
ISTIO_SERVICE_TYPE = "networking.istio.io/service-type"


@dataclass
class TargetPlatform:
    """What a target installed besides the cluster.

    Attributes:
        crds: What the stack namespace's objects are instances of (the Gateway API / InferencePool CRDs where the
            stack installs them). Default: none.
        gateway_ready: What the Gateway waits for. Default: none.
        gateway_labels: The Gateway's labels. Default: none.
        monitoring_crds: What a monitor must wait for. Default: none.
    """

    crds: list[pulumi.Resource] = field(default_factory=list)
    gateway_ready: list[pulumi.Resource] = field(default_factory=list)
    gateway_labels: dict[str, str] = field(default_factory=dict)
    monitoring_crds: list[pulumi.Resource] = field(default_factory=list)


def pool_key(index: int) -> str:
    """The config key of ``pools[index]``."""
    return f"{CONFIG_NAMESPACE}:pools[{index}]"


def refuse_cluster_keys(config: StackConfig, fields: Sequence[str], message: str) -> list[ConfigIssue]:
    """One issue per ``llmd:cluster`` hardening key among ``fields`` (``controlPlane``, ``privateNodes``,
    ``secretsKmsKey``) the stack sets, saying ``message`` (the target does not apply it)."""
    cluster = config.cluster
    given = {
        "controlPlane": "control_plane" in cluster.model_fields_set,
        "privateNodes": "private_nodes" in cluster.model_fields_set,
        "secretsKmsKey": cluster.secrets_kms_key is not None,
    }
    return [ConfigIssue(key=f"{CONFIG_NAMESPACE}:cluster.{f}", message=message) for f in fields if given[f]]


def consumption_issues(cloud: str, key: str, pool: PoolConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    """A configured ``provisioning`` the cloud offers in general but not for this machine type (the catalog's
    ``MachineShape.consumption``)."""
    chosen = pool.provisioning
    if chosen is None or chosen not in PROVISIONING_BY_CLOUD[cloud] or chosen in shape.consumption:
        return []
    offered = [p for p in PROVISIONING_BY_CLOUD[cloud] if p in shape.consumption]
    hint = " (a reservation also needs reservation: <name>)" if "reservation" in offered else ""
    return [
        ConfigIssue(
            key=f"{key}.provisioning",
            value=chosen,
            message=f"{shape.machine_type} is not offered {chosen} on {cloud}; allowed: {', '.join(offered)}{hint}",
        )
    ]


class Target(ABC):
    """A deploy target for one :class:`StackPlan`; subclasses answer every cloud question.

    The classmethods are the target's config rules and facts, used before a plan exists (config validation, the
    endpoint, the namespace's Pod Security level); get the class with :func:`target_class`.
    """

    #: The target cloud (``llmd:target.cloud``).
    cloud: ClassVar[str] = "existing"
    #: Whether the Gateway's proxy pods run in the stack namespace (self-managed Istio / agentgateway).
    in_cluster_gateway: bool = True
    #: Gateway classes (``llmd:gateway.className``) the target offers.
    gateway_classes: ClassVar[tuple[str, ...]] = SELF_MANAGED_GATEWAY_CLASSES
    #: Whether the load balancer serves pre-shared Compute Engine certificates (``tls.preSharedCertificates``).
    pre_shared_certificates: ClassVar[bool] = False
    #: Whether Identity-Aware Proxy can guard the gateway (``authentication.iap``).
    offers_iap: ClassVar[bool] = False
    #: Whether the stack creates the cluster (its control plane, nodes and their hardening keys).
    creates_cluster: ClassVar[bool] = True
    #: Whether ``cluster.privateNodes`` applies (GKE; EKS nodes are always private).
    private_nodes_option: ClassVar[bool] = False
    #: How to get an RDMA fabric on this target (config error hints).
    rdma_hint: ClassVar[str] = "a pool with an RDMA fabric"
    #: What the target can give a well-lit path beyond a cluster (``PathRules.needs``), e.g. ``"keda-prometheus"``
    #: where :meth:`keda_prometheus` returns an endpoint. Default: ``{"keda-prometheus"}`` (every target: the
    #: kube-prometheus-stack the library installs, or the cloud's managed Prometheus).
    offers: ClassVar[frozenset[str]] = frozenset({"keda-prometheus", "weights-cache:pvc"})
    #: The weights cache models of at least 40 GiB get without ``weightsCache`` (``targets/weights_cache.py``):
    #: ``none`` where the target has no volume it knows to be fit (existing clusters, EKS: give ``kind: pvc``).
    default_weights_cache: ClassVar[str] = "none"

    @classmethod
    def check_config(cls, config: StackConfig) -> list[ConfigIssue]:
        """The target's own rules over the whole stack (target keys, cluster keys); none by default."""
        return []

    @classmethod
    def resolve_pool(cls, key: str, pool: PoolConfig) -> tuple[list[ConfigIssue], catalog.MachineShape | None]:
        """The pool's machine shape from the cloud's catalog (``machineType`` or ``accelerator``, which must agree),
        or the issues why there is none."""
        if pool.machine_type is None and pool.accelerator is None:
            return [ConfigIssue(key=key, message="give machineType or accelerator (one of them)")], None
        issues: list[ConfigIssue] = []
        try:
            shape = resolve_shape(catalog.Cloud(cls.cloud), pool)
        except catalog.CatalogError as exc:
            field = "machineType" if pool.machine_type is not None else "accelerator"
            value = pool.machine_type or pool.accelerator
            return [ConfigIssue(key=f"{key}.{field}", value=value, message=str(exc))], None
        if pool.accelerator is not None and _canonical_accelerator(pool.accelerator) != shape.accelerator.name:
            issues.append(
                ConfigIssue(
                    key=f"{key}.accelerator",
                    value=pool.accelerator,
                    message=f"machine type {shape.machine_type} carries {shape.accelerator.name}, "
                    f"not {pool.accelerator}",
                )
            )
        return issues, shape

    @classmethod
    def check_pool(
        cls, config: StackConfig, index: int, pool: PoolConfig, shape: catalog.MachineShape | None
    ) -> list[ConfigIssue]:
        """The target's rules for ``pools[index]`` (``shape`` None: it did not resolve); none by default."""
        return []

    @classmethod
    def load_balancer_annotations(cls, config: StackConfig) -> tuple[dict[str, str], dict[str, str]]:
        """``(Gateway annotations, spec.infrastructure.annotations)`` making the load balancer internal or public
        (pure); none by default (GKE: the class decides)."""
        return {}, {}

    @classmethod
    def managed_certificate(
        cls, config: StackConfig, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> tuple[GkeManagedCertificate, dict[str, str]]:
        """Register a cloud-managed certificate for ``gateway.tls.hostname`` (after ``after``, under ``parent``) and
        return it with the HTTPS listener's options naming it. Raises ValueError on a target without managed
        certificates (config chooses this source only where there are: ``StackConfig.gateway_tls_source``).
        ``parent``: the component it belongs to. Default: None (a stack: no parent)."""
        raise ValueError(f"target cloud '{cls.cloud}' has no managed certificates")

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
        """Register what Identity-Aware Proxy needs (the OAuth client Secret, access grants; under ``parent``) and
        return the backend policy's IAP settings. Raises ValueError where :attr:`offers_iap` is False (config
        validation refuses it).

        Args:
            client_secret: A Pulumi secret: the OAuth client secret. Default: None (an empty value; config validation
                requires it unless ``clientSecretName`` names a Secret).
            parent: The component the objects belong to. Default: None (a stack: no parent).
        """
        raise ValueError(f"target cloud '{cls.cloud}' has no Identity-Aware Proxy")

    def __init__(self, plan: StackPlan) -> None:
        self.plan = plan
        self.config: StackConfig = plan.config
        #: cert-manager and the cluster-internal CA when :meth:`prometheus` installed them (HTTPS Prometheus); the
        #: endpoint reuses this cert-manager for the gateway's certificate (one release per cluster).
        self.cert_manager: CertManager | None = None
        self.internal_ca: InternalCa | None = None

    @abstractmethod
    def build_cluster(self) -> Cluster:
        """Register the cluster and its accelerator pools; returns the :class:`Cluster` (provider, pools, readiness)."""

    @abstractmethod
    def platform(
        self, cluster: Cluster, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> TargetPlatform:
        """Register the add-ons this target needs besides the common ones (``after``: the Kueue release, whose
        cluster-wide Job webhook Helm hook Jobs go through). ``parent``: the component they belong to. Default: None
        (a stack, whose URNs stay as they are)."""

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
        """Build ``model``'s weights cache of ``kind`` (one the target offers, ``blueprints/targets/weights_cache.py``):
        ``pvc`` here; targets add their own kinds. Raises ValueError for a kind the target does not build."""
        from pulumi_llmd.blueprints.targets.weights_cache import build_pvc_cache

        if kind != "pvc":
            raise ValueError(f"weightsCache.kind = {kind!r}: not built on target cloud '{self.cloud}'")
        return build_pvc_cache(
            model, namespace=namespace, pool=pool, image=image, hf_token_secret=hf_token_secret, opts=opts
        )

    @abstractmethod
    def api_server(self) -> tuple[list[str], list[int]]:
        """Where pods reach the Kubernetes API server, as (CIDRs, TCP ports), for NetworkPolicies."""

    def autoscaling_metric(self) -> str:
        """The HPA's name for vLLM's queue depth on this target (prometheus-adapter: the metric's own name)."""
        return VLLM_WAITING_METRIC

    def keda_prometheus(self) -> KedaPrometheus | None:
        """Where KEDA's triggers (workload-autoscaling) query the picker's metrics on this target: by default the
        kube-prometheus-stack the library installs (:meth:`prometheus`) over HTTPS,
        ``https://kube-prometheus-stack-prometheus.monitoring.svc:9090``, as llm-d's guides do (keda-epp-queue
        ``scaledobject.yaml``: "TLS-enabled bundled kube-prometheus-stack", a ``TriggerAuthentication`` with ``ca``;
        "Extend the TriggerAuthentication for bearer, mTLS ..."). Here with mTLS material: trigger metadata
        ``authModes: tls`` and a ``TriggerAuthentication`` with ``ca``, ``cert`` and ``key`` from a client certificate
        the cluster-internal CA issues in the stack namespace
        (:func:`~pulumi_llmd.blueprints.paths.workload_autoscaling.keda_trigger_authentication`); ``unsafeSsl`` stays
        off, so KEDA verifies Prometheus' certificate. Not a bearer token: Prometheus itself validates none (its web
        config knows TLS client certificates and basic auth only, prometheus/exporter-toolkit ``web-configuration``),
        so llm-d's ``prometheus-token`` would be sent and ignored. The NetworkPolicy ``monitoring/prometheus-api``
        (:meth:`prometheus`) still admits only the monitoring namespace and KEDA's operator on 9090 (Prometheus
        verifies client certificates when given but cannot require them, see
        :data:`~pulumi_llmd.components.platform.monitoring.PROMETHEUS_CLIENT_AUTH_TYPE`). The picker's series are
        named by its pods (``pod=~<model>-epp-.*``, the label the PodMonitor ``<model>-epp`` puts on every target)."""
        return KedaPrometheus(
            server_address=PROMETHEUS_API_URL,
            picker_label=("pod", "~{model}-epp-.*"),
            client_certificate_issuer=INTERNAL_CA_ISSUER,
            trigger_metadata={"authModes": "tls"},
        )

    @property
    def monitoring_namespaces(self) -> list[str]:
        """Namespaces the metric scrapers run in."""
        return [MONITORING_NAMESPACE]

    @property
    def gateway_cidrs(self) -> list[str]:
        """Source ranges of the gateway's proxies outside the cluster (none for an in-cluster gateway)."""
        return []

    @property
    def gateway_pod_labels(self) -> dict[str, str] | None:
        """Labels of the gateway's proxy pods in the stack namespace (None: the proxies are not pods)."""
        return {GATEWAY_NAME_LABEL: self.config.gateway.name}

    def monitor(
        self,
        name: str,
        *,
        selector: Mapping[str, str],
        port: str | list[str],
        opts: pulumi.ResourceOptions,
        platform: TargetPlatform,
    ) -> None:
        """Scrape ``port`` of the pods ``selector`` picks (a prometheus-operator PodMonitor after its CRDs)."""
        if platform.monitoring_crds:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=platform.monitoring_crds))
        PodMonitor(name, namespace=self.config.namespace, selector=selector, port=port, opts=opts)

    def serving_policies(self, name: str, pool_name: str, opts: pulumi.ResourceOptions, endpoint: object) -> None:
        """Per model, what the target's load balancer needs (nothing for an in-cluster gateway)."""
        return None

    def prometheus(
        self, cluster: Cluster, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> list[pulumi.Resource]:
        """cert-manager with the cluster-internal CA (:class:`~pulumi_llmd.components.platform.cert_manager.
        InternalCa`), kube-prometheus-stack serving its API over HTTPS with certificates from it (after ``after``)
        and, with accelerator pools, prometheus-adapter serving vLLM's queue depth to the HPAs over HTTPS with its
        own client certificate; returns what a PodMonitor waits for (the stack's release: its CRDs). ``parent``: the
        component they belong to. Default: None (a stack: no parent). Sets :attr:`cert_manager` and
        :attr:`internal_ca`."""
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=[*cluster.ready, *after], parent=parent)
        self.cert_manager = CertManager(opts=k8s_opts)
        self.internal_ca = InternalCa(
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=self.cert_manager.ready, parent=parent)
        )
        prometheus = PrometheusStack(issuer=self.internal_ca, opts=k8s_opts)
        if any(m.keda_autoscaled for m in self.config.models):
            # KEDA reads Prometheus over HTTPS (keda_prometheus); only the monitoring namespace and KEDA's operator
            # reach the API (the operator pods' label: kedacore/charts keda/templates/manager/deployment.yaml).
            k8s_object(
                "prometheus-api",
                prometheus_api_network_policy(clients={KEDA_NAMESPACE: {"app.kubernetes.io/name": KEDA_OPERATOR_SA}}),
                pulumi.ResourceOptions(provider=cluster.provider, depends_on=[prometheus], parent=parent),
            )
        if cluster.pools:
            PrometheusAdapter(
                metrics=(VLLM_WAITING_METRIC,),
                issuer=self.internal_ca,
                opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[prometheus], parent=parent),
            )
        # llm-d's Grafana dashboards and EPP alert rules (components/platform/observability.py), in the monitoring
        # namespace the release creates, after its PrometheusRule CRD.
        LlmdDashboards(
            namespace=MONITORING_NAMESPACE,
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[prometheus.release], parent=parent),
        )
        return [prometheus.release]

    def observe_stack(self, namespace: NamedResource, opts: pulumi.ResourceOptions) -> None:
        """Once per stack, after the models: the operations view that lives in the stack namespace ``namespace``
        (``opts``: the cluster's provider). Nothing here: on kube-prometheus-stack targets the dashboards and alert
        rules come with :meth:`prometheus`."""
        return None

    def self_managed_gateway(self, cluster: Cluster, parent: pulumi.Resource | None = None) -> TargetPlatform:
        """What a cluster the cloud does not equip with a gateway needs: the Gateway API + InferencePool CRDs and the
        gateway implementation (Istio by default, or agentgateway). The CRDs are what custom resources in the stack
        namespace wait for; the Gateway waits for them and the implementation. ``parent``: the component they belong
        to. Default: None (a stack: no parent)."""
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready), parent=parent)
        crds = GatewayApiCrds(opts=k8s_opts)
        implementation = gateway_implementation(
            self.plan.gateway_class,
            opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=[crds], parent=parent),
        )
        return TargetPlatform(
            crds=[crds],
            gateway_ready=[crds, *implementation.ready],
            gateway_labels=gateway_labels_for(self.plan.gateway_class),
        )


def _canonical_accelerator(name: str) -> str | None:
    try:
        return catalog.accelerator(name).name
    except catalog.CatalogError:
        return None


def target_class(cloud: str | Platform) -> type[Target]:
    """The :class:`Target` class of a target cloud (``gcp``, ``aws``, ``existing``) or cluster platform, its module
    imported on first use (a GKE stack never imports the AWS SDK)."""
    if isinstance(cloud, Platform):
        cloud = PLATFORM_CLOUDS[cloud]
    target: type[Target] = importlib.import_module(TARGET_MODULES[cloud]).TARGET
    return target


def target_for(plan: StackPlan) -> Target:
    """The :class:`Target` of ``plan``'s cloud, its module imported on first use."""
    module = importlib.import_module(TARGET_MODULES[plan.config.target.cloud])
    target: Target = module.TARGET(plan)
    return target
