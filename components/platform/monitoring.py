"""Serving metrics on clusters without a managed Prometheus (EKS, existing clusters): kube-prometheus-stack,
PodMonitors for the model servers and endpoint pickers, and prometheus-adapter for the model servers' HPAs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.platform.scheduling import check_namespace, helm_release

MONITORING_NAMESPACE = "monitoring"
#: The Prometheus Service kube-prometheus-stack creates for a release called ``kube-prometheus-stack``.
PROMETHEUS_URL = f"http://kube-prometheus-stack-prometheus.{MONITORING_NAMESPACE}.svc"


class PrometheusStackArgs(TypedDict, total=False):
    """The arguments of :class:`PrometheusStack` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where Prometheus runs (created; a DNS label). Default: ``"monitoring"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class PrometheusStack(pulumi.ComponentResource):
    """kube-prometheus-stack (Prometheus and its operator), pinned to ``versions.KUBE_PROMETHEUS_STACK_CHART_VERSION``.

    Type token ``llmd:platform:PrometheusStack``. Prometheus selects PodMonitors and ServiceMonitors in every
    namespace (not only the chart's own); Grafana and Alertmanager are off (bring your own dashboards).
    Raises ValueError for a namespace that is not a DNS label.

    Arguments: :class:`PrometheusStackArgs`.
    """

    @overload
    def __init__(self, name: str, args: PrometheusStackArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "kube-prometheus-stack",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[PrometheusStackArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "kube-prometheus-stack",
        args: PrometheusStackArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(PrometheusStackArgs, "PrometheusStack", args, kwargs)
        namespace = a.get("namespace", MONITORING_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"PrometheusStack {name}", namespace)
        super().__init__("llmd:platform:PrometheusStack", name, None, opts)
        self.release = helm_release(
            name,
            chart="kube-prometheus-stack",
            version=versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
            repository=versions.PROMETHEUS_COMMUNITY_CHARTS,
            namespace=namespace,
            values={
                "grafana": {"enabled": False},
                "alertmanager": {"enabled": False},
                "prometheus": {
                    "prometheusSpec": {
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                    }
                },
            },
            overrides=values,
            opts=child_options(self, opts),
        )
        self.register_outputs({"namespace": namespace})


class PrometheusAdapterArgs(TypedDict, total=False):
    """The arguments of :class:`PrometheusAdapter` (give them as this object or as keyword arguments)."""

    metrics: Required[tuple[str, ...]]
    """Prometheus series names with ``namespace`` and ``pod`` labels (e.g. ``vllm:num_requests_waiting``);
    each becomes a Pods metric of the same name, summed per pod. At least one."""
    prometheus_url: str
    """The Prometheus the adapter queries. Default: :data:`PROMETHEUS_URL` (kube-prometheus-stack's
    Service in ``monitoring``)."""
    namespace: str
    """Where the adapter runs. Default: ``"monitoring"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class PrometheusAdapter(pulumi.ComponentResource):
    """prometheus-adapter serving Prometheus series as custom metrics (``custom.metrics.k8s.io``) for HPAs.

    Type token ``llmd:platform:PrometheusAdapter``; chart pinned to ``versions.PROMETHEUS_ADAPTER_CHART_VERSION``.
    ``metrics`` are Prometheus series names with ``namespace`` and ``pod`` labels (e.g. vLLM's
    ``vllm:num_requests_waiting``); each becomes a Pods metric of the same name, summed per pod.
    Raises ValueError for an empty metric list.

    Arguments: :class:`PrometheusAdapterArgs`.
    """

    @overload
    def __init__(self, name: str, args: PrometheusAdapterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "prometheus-adapter",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[PrometheusAdapterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "prometheus-adapter",
        args: PrometheusAdapterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(PrometheusAdapterArgs, "PrometheusAdapter", args, kwargs)
        metrics = a["metrics"]
        prometheus_url = a.get("prometheus_url", PROMETHEUS_URL)
        namespace = a.get("namespace", MONITORING_NAMESPACE)
        values = a.get("values", None)
        if not metrics:
            raise ValueError(f"PrometheusAdapter {name}: metrics: at least one Prometheus series is needed")
        check_namespace(f"PrometheusAdapter {name}", namespace)
        super().__init__("llmd:platform:PrometheusAdapter", name, None, opts)
        rules = [
            {
                "seriesQuery": f'{metric}{{namespace!="",pod!=""}}',
                "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
                "name": {"matches": "^(.*)$", "as": "${1}"},
                "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
            }
            for metric in metrics
        ]
        self.release = helm_release(
            name,
            chart="prometheus-adapter",
            version=versions.PROMETHEUS_ADAPTER_CHART_VERSION,
            repository=versions.PROMETHEUS_COMMUNITY_CHARTS,
            namespace=namespace,
            values={"prometheus": {"url": prometheus_url, "port": 9090}, "rules": {"default": False, "custom": rules}},
            overrides=values,
            opts=child_options(self, opts),
        )
        self.register_outputs({"metrics": list(metrics)})


def pod_monitor_manifest(
    *, name: str, namespace: str, selector: Mapping[str, str], port: str | Sequence[str], path: str = "/metrics"
) -> dict[str, Any]:
    """A ``monitoring.coreos.com/v1`` PodMonitor scraping ``port``/``path`` of the pods ``selector`` matches (a list
    of ports scrapes each: wide-EP servers expose one metrics port per data-parallel rank).

    Raises ValueError for an empty selector (it would scrape every pod).

    Args:
        path: The HTTP path scraped. Default: "/metrics".
    """
    if not selector:
        raise ValueError(f"PodMonitor {name}: selector must not be empty (it would scrape every pod)")
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": dict(selector)},
            "podMetricsEndpoints": [
                {"port": p, "path": path, "interval": "15s"} for p in ([port] if isinstance(port, str) else port)
            ],
        },
    }


class PodMonitorArgs(TypedDict, total=False):
    """The arguments of :class:`PodMonitor` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    selector: Required[Mapping[str, str]]
    """Labels of the pods to scrape (at least one)."""
    port: Required[str | Sequence[str]]
    """The named container port(s) to scrape; a list scrapes each (wide-EP servers: one per DP rank)."""
    path: str
    """The metrics path. Default: ``"/metrics"``."""


class PodMonitor(pulumi.ComponentResource):
    """A Prometheus-operator PodMonitor (type token ``llmd:platform:PodMonitor``); see :func:`pod_monitor_manifest`.
    Arguments: :class:`PodMonitorArgs`."""

    @overload
    def __init__(self, name: str, args: PodMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[PodMonitorArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: PodMonitorArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(PodMonitorArgs, "PodMonitor", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "PodMonitor", "namespace")
        selector = a["selector"]
        port = a["port"]
        path = a.get("path", "/metrics")
        opts = with_depends_on(opts, [*namespace_deps])
        manifest = pod_monitor_manifest(name=name, namespace=namespace, selector=selector, port=port, path=path)
        super().__init__("llmd:platform:PodMonitor", name, None, opts)
        self.monitor = k8s_object(f"{name}-podmonitor", manifest, child_options(self, opts))
        self.register_outputs({"name": name})
