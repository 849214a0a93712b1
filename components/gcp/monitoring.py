"""GKE workload metrics for llm-d: Managed Prometheus PodMonitorings and the custom-metrics adapter behind the HPA.

GKE Managed Service for Prometheus (on in :class:`~pulumi_llmd.components.gcp.GkeCluster`) scrapes what a
``PodMonitoring`` (``monitoring.googleapis.com/v1``, GoogleCloudPlatform/prometheus-engine) selects: the vLLM
servers' ``/metrics`` and the endpoint picker's (AI conformance ``ai_service_metrics``, KAR-0061). The Custom
Metrics - Stackdriver Adapter serves those series to the HorizontalPodAutoscaler as
``prometheus.googleapis.com|<metric>|<kind>`` Pods metrics (GKE docs "Configure autoscaling for LLM workloads on
GPUs"; AI conformance ``pod_autoscaling``, KAR-0057). Objects follow the adapter's upstream manifest
(GoogleCloudPlatform/k8s-stackdriver ``custom-metrics-stackdriver-adapter/deploy/production/
adapter_new_resource_model.yaml`` at 0857364d), as typed resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, format_problem, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object

ADAPTER_NAME = "custom-metrics-stackdriver-adapter"
ADAPTER_NAMESPACE = "custom-metrics"
_METRIC_KINDS = ("gauge", "counter", "histogram", "summary", "unknown")


def gmp_metric(prometheus_name: str, kind: str = "gauge") -> str:
    """A Managed Prometheus series as the Stackdriver adapter names it for the HPA.

    ``gmp_metric("vllm:num_requests_waiting")`` -> ``prometheus.googleapis.com|vllm:num_requests_waiting|gauge``.
    Raises ValueError for an empty name or an unknown kind.

    Args:
        prometheus_name: The Prometheus metric name.
        kind: The series kind: gauge, counter, histogram, summary or unknown. Default: "gauge".
    """
    if not prometheus_name:
        raise ValueError("gmp_metric: the Prometheus metric name is required")
    if kind not in _METRIC_KINDS:
        raise ValueError(f"gmp_metric: kind = {kind!r}: allowed: {', '.join(_METRIC_KINDS)}")
    return f"prometheus.googleapis.com|{prometheus_name}|{kind}"


def pod_monitoring_manifest(
    *,
    name: str,
    namespace: str,
    selector: Mapping[str, str],
    port: str | int | Sequence[str | int],
    path: str = "/metrics",
    interval: str = "15s",
) -> dict[str, Any]:
    """A ``PodMonitoring`` scraping ``port``/``path`` every ``interval`` on the pods ``selector`` matches; a list of
    ports scrapes each (wide-EP servers expose one metrics port per data-parallel rank).

    Raises ValueError for an empty selector (it would scrape every pod of the namespace).

    Args:
        path: The HTTP path scraped. Default: "/metrics".
        interval: How often each endpoint is scraped (a Prometheus duration). Default: "15s".
    """
    if not selector:
        raise ValueError(f"PodMonitoring {name}: selector must not be empty")
    return {
        "apiVersion": versions.GMP_API_VERSION,
        "kind": "PodMonitoring",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": dict(selector)},
            "endpoints": [
                {"port": p, "path": path, "interval": interval}
                for p in ([port] if isinstance(port, str | int) else port)
            ],
        },
    }


#: Defaults of :class:`PodMonitoringArgs`.
DEFAULT_PATH = "/metrics"
DEFAULT_INTERVAL = "15s"


class PodMonitoringArgs(TypedDict, total=False):
    """The arguments of :class:`PodMonitoring` (give them as one object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The namespace of the pods: a namespace component (its ``name``; the object waits for it) or a name."""
    selector: Required[Mapping[str, str]]
    """Pod labels the scrape selects (``matchLabels``; not empty)."""
    port: Required[str | int | Sequence[str | int]]
    """The metrics port (name or number), or a list of them (wide-EP servers expose one per data-parallel rank)."""
    path: str
    """HTTP path of the metrics. Default: ``"/metrics"``."""
    interval: str
    """Scrape interval (a Prometheus duration). Default: ``"15s"``."""


class CustomMetricsAdapterArgs(TypedDict, total=False):
    """The arguments of :class:`CustomMetricsAdapter` (give them as one object or as keyword arguments)."""

    project: Required[str]
    """The GCP project whose Cloud Monitoring holds the metrics (and whose Workload Identity pool the cluster uses,
    ``<project>.svc.id.goog``)."""
    k8s_opts: Required[pulumi.ResourceOptions]
    """Options for the Kubernetes objects (the cluster's provider, dependencies)."""
    external_metrics: bool
    """Serve ``external.metrics.k8s.io`` too. False where KEDA serves it (its chart registers
    ``v1beta1.external.metrics.k8s.io`` for its metrics server; one APIService per group version, so two adapters
    cannot both serve it: Google Cloud "HPA for Managed Service for Prometheus", troubleshooting). Default: True."""


class PodMonitoring(pulumi.ComponentResource):
    """A GKE Managed Prometheus ``PodMonitoring`` for one workload. Type token ``llmd:gcp:PodMonitoring``.

    Arguments: :class:`PodMonitoringArgs` (as an object or keywords). Given a namespace component (e.g. a
    ``StackNamespace``) as ``namespace``, the object waits for it.

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument, an empty
            namespace, an empty selector (it would scrape every pod of the namespace), no port.
    """

    @overload
    def __init__(self, name: str, args: PodMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[PodMonitoringArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: PodMonitoringArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(PodMonitoringArgs, "PodMonitoring", args, kwargs)
        namespace_name, namespace_deps = ref_name(a["namespace"], "PodMonitoring", "namespace")
        selector, port = a["selector"], a["port"]
        path = a.get("path", DEFAULT_PATH)
        interval = a.get("interval", DEFAULT_INTERVAL)
        problems: list[str] = []
        if not isinstance(selector, Mapping) or not selector:
            problems.append(format_problem("selector", selector, "allowed: one or more pod labels (not empty)"))
        if port is None or port == "" or (not isinstance(port, str | int) and not list(port)):
            problems.append(format_problem("port", port, "allowed: a port name or number, or a list of them"))
        if problems:
            raise ArgsError("PodMonitoring", problems)
        manifest = pod_monitoring_manifest(
            name=name, namespace=namespace_name, selector=selector, port=port, path=path, interval=interval
        )
        super().__init__("llmd:gcp:PodMonitoring", name, None, opts)
        child = child_options(self, opts)
        if namespace_deps:
            child = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=namespace_deps))
        k8s_object(f"{name}-podmonitoring", manifest, child)
        self.register_outputs({"name": name})


def adapter_manifests(
    image: str = versions.CUSTOM_METRICS_ADAPTER_IMAGE, *, external_metrics: bool = True
) -> list[dict[str, Any]]:
    """The adapter's Kubernetes objects, as its upstream production manifest lists them (pure function).

    Args:
        image: The adapter's container image. Default: ``versions.CUSTOM_METRICS_ADAPTER_IMAGE`` (pinned).
        external_metrics: Keep the ``external.metrics.k8s.io`` APIService and its reader RBAC. Default: True.
    """
    sa = {"kind": "ServiceAccount", "name": ADAPTER_NAME, "namespace": ADAPTER_NAMESPACE}
    labels = {"run": ADAPTER_NAME, "k8s-app": ADAPTER_NAME}
    rbac = "rbac.authorization.k8s.io/v1"

    def api_service(group: str, version: str, priority: int) -> dict[str, Any]:
        return {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": f"{version}.{group}"},
            "spec": {
                "insecureSkipTLSVerify": True,
                "group": group,
                "groupPriorityMinimum": 100,
                "versionPriority": priority,
                "service": {"name": ADAPTER_NAME, "namespace": ADAPTER_NAMESPACE},
                "version": version,
            },
        }

    manifests: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ADAPTER_NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": ADAPTER_NAME, "namespace": ADAPTER_NAMESPACE},
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "custom-metrics:system:auth-delegator"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:auth-delegator",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "custom-metrics-auth-reader", "namespace": "kube-system"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "extension-apiserver-authentication-reader",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": "custom-metrics-resource-reader"},
            "rules": [
                {"apiGroups": [""], "resources": ["pods", "nodes", "nodes/stats"], "verbs": ["get", "list", "watch"]}
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "custom-metrics-resource-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "custom-metrics-resource-reader",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": ADAPTER_NAME, "namespace": ADAPTER_NAMESPACE, "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": {**labels, "kubernetes.io/cluster-service": "true"}},
                    "spec": {
                        "serviceAccountName": ADAPTER_NAME,
                        "containers": [
                            {
                                "name": "pod-custom-metrics-stackdriver-adapter",
                                "image": image,
                                "imagePullPolicy": "IfNotPresent",
                                "command": [
                                    "/adapter",
                                    "--use-new-resource-model=true",
                                    "--fallback-for-container-metrics=true",
                                ],
                                "resources": {
                                    "limits": {"cpu": "250m", "memory": "400Mi"},
                                    "requests": {"cpu": "250m", "memory": "400Mi"},
                                },
                                # Not in the upstream manifest: no process of the adapter needs to gain privileges.
                                # Capabilities are left as they are: it serves on port 443 (the Service's
                                # targetPort), which needs NET_BIND_SERVICE when it runs as root.
                                "securityContext": {"allowPrivilegeEscalation": False},
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": ADAPTER_NAME,
                "namespace": ADAPTER_NAMESPACE,
                "labels": {**labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Adapter"},
            },
            "spec": {
                "type": "ClusterIP",
                "selector": dict(labels),
                "ports": [{"port": 443, "protocol": "TCP", "targetPort": 443}],
            },
        },
        api_service("custom.metrics.k8s.io", "v1beta1", 100),
        api_service("custom.metrics.k8s.io", "v1beta2", 200),
        api_service("external.metrics.k8s.io", "v1beta1", 100),
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": "external-metrics-reader"},
            "rules": [
                {"apiGroups": ["external.metrics.k8s.io"], "resources": ["*"], "verbs": ["list", "get", "watch"]}
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "external-metrics-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "external-metrics-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "horizontal-pod-autoscaler", "namespace": "kube-system"}],
        },
    ]
    if external_metrics:
        return manifests
    return [
        m
        for m in manifests
        if "external.metrics.k8s.io" not in m["metadata"]["name"]
        and not (
            m["kind"] in ("ClusterRole", "ClusterRoleBinding") and m["metadata"]["name"] == "external-metrics-reader"
        )
    ]


class CustomMetricsAdapter(pulumi.ComponentResource):
    """The Custom Metrics - Stackdriver Adapter, pinned to ``versions.CUSTOM_METRICS_ADAPTER_IMAGE``.

    Type token ``llmd:gcp:CustomMetricsAdapter``. Registers the objects of :func:`adapter_manifests` (namespace
    ``custom-metrics``; APIServices ``custom.metrics.k8s.io`` v1beta1/v1beta2 and ``external.metrics.k8s.io``
    v1beta1) and grants its Kubernetes service account ``roles/monitoring.viewer`` on ``project`` through Workload
    Identity Federation (``principal://.../subject/ns/custom-metrics/sa/custom-metrics-stackdriver-adapter``).

    Arguments: :class:`CustomMetricsAdapterArgs` (as an object or keywords).

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument, an empty
            ``project``, ``k8s_opts`` that are not ``pulumi.ResourceOptions``.
    """

    @overload
    def __init__(
        self, name: str, args: CustomMetricsAdapterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[CustomMetricsAdapterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: CustomMetricsAdapterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(CustomMetricsAdapterArgs, "CustomMetricsAdapter", args, kwargs)
        project, k8s_opts = a["project"], a["k8s_opts"]
        problems = []
        if not isinstance(project, str) or not project:
            problems.append(format_problem("project", project, "must be a non-empty project id"))
        if not isinstance(k8s_opts, pulumi.ResourceOptions):
            problems.append(format_problem("k8s_opts", k8s_opts, "must be pulumi.ResourceOptions (the provider)"))
        if problems:
            raise ArgsError("CustomMetricsAdapter", problems)
        super().__init__("llmd:gcp:CustomMetricsAdapter", name, None, opts)
        child = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(parent=self))
        # The Namespace first: every object in it waits for it (on a fresh cluster the API server rejects objects
        # in a namespace that does not exist yet). kube-system exists on every cluster.
        namespace: pulumi.Resource | None = None
        for manifest in adapter_manifests(external_metrics=a.get("external_metrics", True)):
            meta = manifest["metadata"]
            opts_for = child
            if meta.get("namespace") == ADAPTER_NAMESPACE:
                if namespace is None:
                    raise ValueError(f"CustomMetricsAdapter {name}: the Namespace must come before {meta['name']}")
                opts_for = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[namespace]))
            resource_name = f"{name}-{manifest['kind'].lower()}-{meta['name'].replace(':', '-')}"
            created = k8s_object(resource_name, manifest, opts_for)
            if manifest["kind"] == "Namespace":
                namespace = created
        self.namespace = namespace
        number = gcp.organizations.get_project_output(project_id=project).number
        member = number.apply(
            lambda n: (
                f"principal://iam.googleapis.com/projects/{n}/locations/global/workloadIdentityPools/"
                f"{project}.svc.id.goog/subject/ns/{ADAPTER_NAMESPACE}/sa/{ADAPTER_NAME}"
            )
        )
        gcp.projects.IAMMember(
            f"{name}-monitoring-viewer",
            project=project,
            role="roles/monitoring.viewer",
            member=member,
            # Waits on what the component waits on: the workload pool <project>.svc.id.goog exists only once a
            # Workload Identity cluster does (GKE Workload Identity Federation docs).
            opts=child_options(self, opts),
        )
        self.register_outputs({"image": versions.CUSTOM_METRICS_ADAPTER_IMAGE})


# --- the operations view on managed Prometheus ---------------------------------------------------------------------

#: How often managed Prometheus evaluates a rule group carried from upstream without an ``interval`` (the GMP
#: ``Rules`` CRD requires one per group; 30 s is prometheus-operator's default ``evaluationInterval``, which the
#: same rules get on kube-prometheus-stack).
DEFAULT_RULE_INTERVAL = "30s"


def gmp_rules_manifest(
    *, name: str, namespace: str, groups: Sequence[Mapping[str, Any]], interval: str = DEFAULT_RULE_INTERVAL
) -> dict[str, Any]:
    """A managed-Prometheus ``Rules`` object (``monitoring.googleapis.com/v1``, GoogleCloudPlatform/prometheus-engine
    ``charts/operator/crds/monitoring.googleapis.com_rules.yaml``) carrying Prometheus rule ``groups`` (pure).

    ``Rules`` are namespace-scoped: they see only series of ``namespace`` (the stack's, where the PodMonitorings
    scrape the servers and pickers). Each group keeps its own ``interval`` or gets ``interval``; groups and rules are
    otherwise unchanged (``name``, ``rules[]`` with ``alert`` / ``record``, ``expr``, ``for``, ``labels``,
    ``annotations``). Raises ValueError for no groups.

    Args:
        interval: Evaluation interval of groups that name none (a Prometheus duration). Default: "30s".
    """
    if not groups:
        raise ValueError(f"Rules {name}: at least one rule group is needed")
    allowed_rule_keys = ("alert", "record", "expr", "for", "labels", "annotations")
    return {
        "apiVersion": versions.GMP_API_VERSION,
        "kind": "Rules",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "groups": [
                {
                    "name": group["name"],
                    "interval": group.get("interval", interval),
                    "rules": [{k: rule[k] for k in allowed_rule_keys if k in rule} for rule in group["rules"]],
                }
                for group in groups
            ]
        },
    }


#: The Cloud Monitoring dashboard's charts: (title, PromQL with ``{ns}`` for the namespace matcher). llm-d's Grafana
#: dashboards cannot be imported into Cloud Monitoring offline (Google's importer, GoogleCloudPlatform/
#: monitoring-dashboard-samples ``scripts/dashboard-importer``, converts them with a live project), so these are
#: hand-built from the key panels of llm-d's "Inference Gateway" and "vLLM Overview" dashboards, the same series and
#: PromQL, scoped to the stack's namespace.
CLOUD_DASHBOARD_CHARTS: tuple[tuple[str, str], ...] = (
    ("EPP requests / s by model", "sum by (model_name) (rate(llm_d_epp_request_total{{{ns}}}[5m]))"),
    (
        "EPP error ratio",
        "sum(rate(llm_d_epp_request_error_total{{{ns}}}[5m])) / sum(rate(llm_d_epp_request_total{{{ns}}}[5m]))",
    ),
    (
        "EPP end-to-end latency p95 (s)",
        "histogram_quantile(0.95, sum by (le) (rate(llm_d_epp_request_duration_seconds_bucket{{{ns}}}[5m])))",
    ),
    ("EPP ready endpoints by pool", "sum by (name) (llm_d_epp_ready_endpoints{{{ns}}})"),
    ("EPP pool saturation", "max by (inference_pool) (llm_d_epp_flow_control_pool_saturation{{{ns}}})"),
    ("EPP average queue size", "sum by (name) (llm_d_epp_average_queue_size{{{ns}}})"),
    (
        "vLLM time to first token p95 (s)",
        "histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{{{ns}}}[5m])))",
    ),
    (
        "vLLM inter-token latency p95 (s)",
        "histogram_quantile(0.95, sum by (le) (rate(vllm:inter_token_latency_seconds_bucket{{{ns}}}[5m])))",
    ),
    ("vLLM output tokens / s", "sum by (model_name) (rate(vllm:generation_tokens_total{{{ns}}}[5m]))"),
    ("vLLM prompt tokens / s", "sum by (model_name) (rate(vllm:prompt_tokens_total{{{ns}}}[5m]))"),
    ("vLLM requests running", "sum by (pod) (vllm:num_requests_running{{{ns}}})"),
    ("vLLM requests waiting", "sum by (pod) (vllm:num_requests_waiting{{{ns}}})"),
    ("vLLM KV cache usage", "max by (pod) (vllm:kv_cache_usage_perc{{{ns}}})"),
)


def cloud_monitoring_dashboard(*, display_name: str, namespace: str) -> dict[str, Any]:
    """A Cloud Monitoring dashboard (``projects.dashboards`` resource, mosaic layout of 12 columns, two charts a row)
    with one PromQL line chart per :data:`CLOUD_DASHBOARD_CHARTS` entry, each scoped to ``namespace`` (pure).

    Widgets use ``xyChart.dataSets[].timeSeriesQuery.prometheusQuery`` (Cloud Monitoring API v1 ``TimeSeriesQuery``:
    PromQL over Managed Service for Prometheus data)."""
    matcher = f'namespace="{namespace}"'
    tiles = []
    for index, (title, query) in enumerate(CLOUD_DASHBOARD_CHARTS):
        tiles.append(
            {
                "xPos": (index % 2) * 6,
                "yPos": (index // 2) * 4,
                "width": 6,
                "height": 4,
                "widget": {
                    "title": title,
                    "xyChart": {
                        "chartOptions": {"mode": "COLOR"},
                        "dataSets": [
                            {
                                "plotType": "LINE",
                                "targetAxis": "Y1",
                                "timeSeriesQuery": {"prometheusQuery": query.format(ns=matcher)},
                            }
                        ],
                        "yAxis": {"scale": "LINEAR"},
                    },
                },
            }
        )
    return {"displayName": display_name, "mosaicLayout": {"columns": 12, "tiles": tiles}}


class ManagedPrometheusViewArgs(TypedDict, total=False):
    """The arguments of :class:`ManagedPrometheusView` (give them as one object or as keyword arguments)."""

    project: Required[str]
    """The GCP project whose Cloud Monitoring holds the metrics and the dashboard."""
    namespace: Required[NamedResource | str]
    """The stack's namespace (the Rules go there; the dashboard's charts select it): a namespace component (its
    ``name``; everything waits for it) or a name."""
    groups: Required[Sequence[Mapping[str, Any]]]
    """Prometheus rule groups (llm-d's EPP alert rules) for the ``Rules`` object (at least one)."""
    k8s_opts: Required[pulumi.ResourceOptions]
    """Options for the Kubernetes object (the cluster's provider)."""
    display_name: str
    """The dashboard's title. Default: ``"llm-d <namespace>"``."""


class ManagedPrometheusView(pulumi.ComponentResource):
    """The operations view on GKE Managed Prometheus: llm-d's EPP alert rules as a ``Rules`` object
    (:func:`gmp_rules_manifest`, name ``epp-alerting-rules``) in the stack namespace and a Cloud Monitoring dashboard
    of the key EPP and vLLM series (:func:`cloud_monitoring_dashboard`, ``gcp.monitoring.Dashboard``). Type token
    ``llmd:gcp:ManagedPrometheusView``. Arguments: :class:`ManagedPrometheusViewArgs`.

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument, an empty
            ``project``, no rule groups.
    """

    @overload
    def __init__(
        self, name: str, args: ManagedPrometheusViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ManagedPrometheusViewArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ManagedPrometheusViewArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ManagedPrometheusViewArgs, "ManagedPrometheusView", args, kwargs)
        project, groups, k8s_opts = a["project"], a["groups"], a["k8s_opts"]
        namespace_name, namespace_deps = ref_name(a["namespace"], "ManagedPrometheusView", "namespace")
        problems = []
        if not isinstance(project, str) or not project:
            problems.append(format_problem("project", project, "must be a non-empty project id"))
        if not groups:
            problems.append(format_problem("groups", groups, "allowed: one or more Prometheus rule groups"))
        if problems:
            raise ArgsError("ManagedPrometheusView", problems)
        super().__init__("llmd:gcp:ManagedPrometheusView", name, None, opts)
        waits = pulumi.ResourceOptions(parent=self, depends_on=namespace_deps)
        self.rules = k8s_object(
            f"{name}-epp-alerting-rules",
            gmp_rules_manifest(name="epp-alerting-rules", namespace=namespace_name, groups=groups),
            pulumi.ResourceOptions.merge(k8s_opts, waits),
        )
        display_name = a.get("display_name", f"llm-d {namespace_name}")
        self.dashboard = gcp.monitoring.Dashboard(
            f"{name}-dashboard",
            project=project,
            dashboard_json=json.dumps(
                cloud_monitoring_dashboard(display_name=display_name, namespace=namespace_name), sort_keys=True
            ),
            # After the namespace, so after the cluster and the project's APIs (monitoring.googleapis.com).
            opts=pulumi.ResourceOptions.merge(child_options(self, opts), waits),
        )
        self.register_outputs({"dashboard": display_name})
