"""Serving metrics on clusters without a managed Prometheus (EKS, existing clusters): kube-prometheus-stack,
PodMonitors for the model servers and endpoint pickers, and prometheus-adapter for the model servers' HPAs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, merge_values, with_depends_on
from pulumi_llmd.components.platform.cert_manager import InternalCa, certificate_manifest
from pulumi_llmd.components.platform.scheduling import check_namespace, helm_release

MONITORING_NAMESPACE = "monitoring"
#: The Prometheus Service kube-prometheus-stack creates for a release called ``kube-prometheus-stack``.
PROMETHEUS_SERVICE = "kube-prometheus-stack-prometheus"
#: Prometheus' HTTPS endpoint (no port): the library serves its API over TLS (:func:`prometheus_web_tls_values`).
PROMETHEUS_URL = f"https://{PROMETHEUS_SERVICE}.{MONITORING_NAMESPACE}.svc"
#: The Secret cert-manager writes Prometheus' serving certificate into (llm-d's name,
#: guides/recipes/observability/generate-prometheus-tls-certs.sh ``prometheus-web-tls``).
PROMETHEUS_SERVING_SECRET = "prometheus-web-tls"
#: Client certificates (Secrets of the same names, ``tls.crt``/``tls.key``/``ca.crt``) of Prometheus' in-cluster
#: clients in the monitoring namespace: Grafana's datasource, prometheus-adapter, Prometheus' own self-scrape.
GRAFANA_CLIENT_SECRET = "grafana-prometheus-client"
ADAPTER_CLIENT_SECRET = "prometheus-adapter-client"
SELF_SCRAPE_CLIENT_SECRET = "prometheus-self-scrape-client"
#: How Prometheus treats client certificates (Go ``tls.ClientAuthType`` names, prometheus-operator ``WebTLSConfig.
#: clientAuthType``): verified against the internal CA when presented, not yet required. ``RequireAndVerifyClientCert``
#: is not workable under prometheus-operator: kubelet's HTTPS probes cannot present a certificate, so the pod never
#: gets ready (prometheus-operator issue #5419, open; PR #8806 closed), and the config reloader posts to ``/-/reload``
#: without one (issue #4273, PR #4592: it only skips verification). Who reaches the port is enforced by the
#: NetworkPolicy ``monitoring/prometheus-api`` (:func:`prometheus_api_network_policy`).
PROMETHEUS_CLIENT_AUTH_TYPE = "VerifyClientCertIfGiven"


class PrometheusStackArgs(TypedDict, total=False):
    """The arguments of :class:`PrometheusStack` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where Prometheus runs (created; a DNS label). Default: ``"monitoring"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""
    grafana_admin_secret: str | None
    """An existing Secret in ``namespace`` with keys ``admin-user`` and ``admin-password`` for Grafana's admin
    (grafana chart ``admin.existingSecret``). Default: None (the grafana chart generates a 40-character random
    password on install into the Secret ``<release>-grafana`` and keeps it on upgrades, ``grafana.password`` in
    grafana/helm-charts ``charts/grafana/templates/_helpers.tpl``)."""
    issuer: InternalCa | None
    """The cluster-internal CA (:class:`~pulumi_llmd.components.platform.cert_manager.InternalCa`): Prometheus then
    serves its API over HTTPS (:func:`prometheus_web_tls_values`) with a cert-manager certificate, and Grafana's
    datasource and the self-scrape present client certificates from it. The Certificates (awaited ``Ready``) follow
    the release, which then is not awaited (its pods wait for their Secrets). Default: None (plain HTTP, the chart's
    default)."""


def grafana_values(namespace: str, admin_secret: str | None) -> dict[str, Any]:
    """kube-prometheus-stack's ``grafana`` values the library sets (pure; see :class:`PrometheusStack`).

    Sources: prometheus-community/helm-charts ``charts/kube-prometheus-stack/values.yaml`` (``grafana.adminPassword:
    prom-operator``, ``grafana.ingress.enabled: false``, ``grafana.sidecar.dashboards``: label ``grafana_dashboard``,
    labelValue ``"1"``, ``searchNamespace: ALL``); grafana/helm-charts ``charts/grafana`` (``admin.existingSecret``,
    ``userKey`` / ``passwordKey``; an empty ``adminPassword`` makes the chart generate one)."""
    admin: dict[str, Any] = (
        {"admin": {"existingSecret": admin_secret, "userKey": "admin-user", "passwordKey": "admin-password"}}
        if admin_secret
        else {}
    )
    return {
        "enabled": True,
        "adminPassword": "",
        **admin,
        "ingress": {"enabled": False},
        "service": {"type": "ClusterIP"},
        "grafana.ini": {"auth.anonymous": {"enabled": False}, "analytics": {"reporting_enabled": False}},
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": "grafana_dashboard",
                "labelValue": "1",
                "searchNamespace": namespace,
            }
        },
    }


def prometheus_dns_names(namespace: str = MONITORING_NAMESPACE) -> list[str]:
    """The names Prometheus' serving certificate covers (pure): the chart's Service and the operator's headless
    ``prometheus-operated`` Service, each as ``<svc>.<ns>.svc`` and ``.svc.cluster.local``, as llm-d's
    ``guides/recipes/observability/generate-prometheus-tls-certs.sh`` issues it (its ``localhost`` / 127.0.0.1 SANs
    are left out: the config reloader skips verification on localhost, prometheus-operator PR #4592).

    Args:
        namespace: Where Prometheus runs. Default: ``"monitoring"`` (:data:`MONITORING_NAMESPACE`).
    """
    return [
        f"{svc}.{namespace}.svc{suffix}"
        for svc in (PROMETHEUS_SERVICE, "prometheus-operated")
        for suffix in ("", ".cluster.local")
    ]


def _secret_key(secret: str, key: str) -> dict[str, Any]:
    return {"secret": {"name": secret, "key": key}}


def prometheus_web_tls_values(namespace: str = MONITORING_NAMESPACE) -> dict[str, Any]:
    """kube-prometheus-stack ``prometheus`` values serving Prometheus' API over HTTPS (pure).

    * ``prometheusSpec.web.tlsConfig`` (prometheus-operator ``WebTLSConfig``, Documentation/api-reference):
      ``cert`` / ``keySecret`` from :data:`PROMETHEUS_SERVING_SECRET` (issued by cert-manager), ``client_ca`` its
      ``ca.crt`` (the internal CA) and ``clientAuthType`` :data:`PROMETHEUS_CLIENT_AUTH_TYPE`. The operator then
      switches the pod's probes to HTTPS and the config reloader's ``--reload-url`` to ``https://`` (skipping
      verification on localhost): prometheus-operator ``pkg/prometheus/promcfg.go`` ``buildProbeHandler``, PR #4592.
      llm-d's ``install-prometheus-grafana.sh --enable-tls`` sets the same ``web.tlsConfig`` (cert + keySecret).
    * ``serviceMonitor``: Prometheus' self-scrape over ``https`` with its own client certificate
      (:data:`SELF_SCRAPE_CLIENT_SECRET`) and ``serverName`` the Service's name (the chart's
      ``templates/prometheus/servicemonitor.yaml`` ``scheme`` / ``tlsConfig``; it scrapes the pod IP).

    Args:
        namespace: Where Prometheus runs. Default: ``"monitoring"`` (:data:`MONITORING_NAMESPACE`).
    """
    return {
        "prometheusSpec": {
            "web": {
                "tlsConfig": {
                    "cert": _secret_key(PROMETHEUS_SERVING_SECRET, "tls.crt"),
                    "keySecret": {"name": PROMETHEUS_SERVING_SECRET, "key": "tls.key"},
                    "client_ca": _secret_key(PROMETHEUS_SERVING_SECRET, "ca.crt"),
                    "clientAuthType": PROMETHEUS_CLIENT_AUTH_TYPE,
                }
            }
        },
        "serviceMonitor": {
            "scheme": "https",
            "tlsConfig": {
                "ca": _secret_key(SELF_SCRAPE_CLIENT_SECRET, "ca.crt"),
                "cert": _secret_key(SELF_SCRAPE_CLIENT_SECRET, "tls.crt"),
                "keySecret": {"name": SELF_SCRAPE_CLIENT_SECRET, "key": "tls.key"},
                "serverName": f"{PROMETHEUS_SERVICE}.{namespace}.svc",
            },
        },
    }


#: Where Grafana mounts its Prometheus client certificate (grafana chart ``extraSecretMounts``).
GRAFANA_CLIENT_MOUNT = "/etc/secrets/prometheus-client"


def grafana_tls_datasource_values(namespace: str = MONITORING_NAMESPACE) -> dict[str, Any]:
    """kube-prometheus-stack ``grafana`` values pointing Grafana's Prometheus datasource at the HTTPS endpoint,
    verifying it against the internal CA and presenting Grafana's client certificate (pure).

    The chart's own datasource is ``http://`` without TLS settings (``templates/grafana/configmaps-datasources.yaml``:
    only ``url`` is configurable), so it is turned off (``sidecar.datasources.defaultDatasourceEnabled: false``) and
    the same ``Prometheus`` datasource (default, proxy access, uid ``prometheus``) comes through
    ``additionalDataSources`` with ``jsonData.tlsAuth`` / ``tlsAuthWithCACert`` and ``secureJsonData``
    ``tlsCACert`` / ``tlsClientCert`` / ``tlsClientKey`` read from the mounted Secret :data:`GRAFANA_CLIENT_SECRET`
    with Grafana's ``$__file{}`` expansion (grafana.com/docs/grafana/latest/administration/provisioning, data sources
    "tlsAuth", "tlsAuthWithCACert"; "Configure Grafana", variable expansion ``$__file{}``). Unlike llm-d's script
    (``tlsSkipVerify: true``) the server certificate is verified.

    Args:
        namespace: Where Prometheus and Grafana run. Default: ``"monitoring"`` (:data:`MONITORING_NAMESPACE`).
    """
    files = {"tlsCACert": "ca.crt", "tlsClientCert": "tls.crt", "tlsClientKey": "tls.key"}
    return {
        "extraSecretMounts": [
            {
                "name": "prometheus-client",
                "secretName": GRAFANA_CLIENT_SECRET,
                "mountPath": GRAFANA_CLIENT_MOUNT,
                "readOnly": True,
            }
        ],
        "sidecar": {"datasources": {"defaultDatasourceEnabled": False}},
        "additionalDataSources": [
            {
                "name": "Prometheus",
                "uid": "prometheus",
                "type": "prometheus",
                "url": f"https://{PROMETHEUS_SERVICE}.{namespace}.svc:{PROMETHEUS_PORT}",
                "access": "proxy",
                "isDefault": True,
                "jsonData": {"tlsAuth": True, "tlsAuthWithCACert": True, "timeInterval": "30s"},
                "secureJsonData": {k: f"$__file{{{GRAFANA_CLIENT_MOUNT}/{v}}}" for k, v in files.items()},
            }
        ],
    }


#: Where prometheus-adapter mounts its Prometheus client certificate (chart ``extraVolumeMounts``).
ADAPTER_CLIENT_MOUNT = "/etc/prometheus-client"


def adapter_tls_values(secret: str = ADAPTER_CLIENT_SECRET) -> dict[str, Any]:
    """prometheus-adapter values verifying Prometheus' HTTPS certificate and presenting the adapter's client
    certificate from Secret ``secret`` (pure): the chart's ``extraVolumes`` / ``extraVolumeMounts`` /
    ``extraArguments`` and the adapter's flags ``--prometheus-ca-file``, ``--prometheus-client-tls-cert-file``,
    ``--prometheus-client-tls-key-file`` (kubernetes-sigs/prometheus-adapter ``cmd/adapter/adapter.go``; "auto-renewal
    is not supported": a renewed certificate is read on the adapter's next restart).

    Args:
        secret: The client certificate's Secret. Default: ``"prometheus-adapter-client"``
            (:data:`ADAPTER_CLIENT_SECRET`).
    """
    return {
        "extraVolumes": [{"name": "prometheus-client", "secret": {"secretName": secret}}],
        "extraVolumeMounts": [{"name": "prometheus-client", "mountPath": ADAPTER_CLIENT_MOUNT, "readOnly": True}],
        "extraArguments": [
            f"--prometheus-ca-file={ADAPTER_CLIENT_MOUNT}/ca.crt",
            f"--prometheus-client-tls-cert-file={ADAPTER_CLIENT_MOUNT}/tls.crt",
            f"--prometheus-client-tls-key-file={ADAPTER_CLIENT_MOUNT}/tls.key",
        ],
    }


class PrometheusStack(pulumi.ComponentResource):
    """kube-prometheus-stack (Prometheus, its operator and Grafana), pinned to
    ``versions.KUBE_PROMETHEUS_STACK_CHART_VERSION``.

    Type token ``llmd:platform:PrometheusStack``. Prometheus selects PodMonitors, ServiceMonitors and PrometheusRules
    in every namespace (not only the chart's own, and without the chart's ``release`` label). Grafana is on, inside
    the cluster only (ClusterIP; reach it with ``kubectl port-forward``), its admin password never in plain text (see
    :func:`grafana_values`), its sidecar loading llm-d's dashboards
    (:class:`~pulumi_llmd.components.platform.observability.LlmdDashboards`). Alertmanager is off: the alert rules
    are evaluated by Prometheus (its Alerts page, Grafana's alert list); routing them needs an Alertmanager (turn it
    on through ``values``). Raises ValueError for a namespace that is not a DNS label.

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
        admin_secret = a.get("grafana_admin_secret", None)
        issuer = a.get("issuer", None)
        check_namespace(f"PrometheusStack {name}", namespace)
        super().__init__("llmd:platform:PrometheusStack", name, None, opts)
        child = child_options(self, opts)
        grafana = grafana_values(namespace, admin_secret)
        prometheus: dict[str, Any] = {
            "prometheusSpec": {
                "podMonitorSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
            }
        }
        if issuer is not None:
            grafana = merge_values(grafana, grafana_tls_datasource_values(namespace))
            prometheus = merge_values(prometheus, prometheus_web_tls_values(namespace))
        self.tls = issuer is not None
        # With TLS the release is not awaited: its Grafana and Prometheus pods mount Secrets cert-manager issues into
        # the namespace the release creates, after it (kubelet retries the mounts until they exist); the stack
        # creates no Namespace object for it (the release's createNamespace, as before).
        self.release = helm_release(
            name,
            chart="kube-prometheus-stack",
            version=versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
            repository=versions.PROMETHEUS_COMMUNITY_CHARTS,
            namespace=namespace,
            values={"grafana": grafana, "alertmanager": {"enabled": False}, "prometheus": prometheus},
            overrides=values,
            wait=not self.tls,
            opts=child,
        )
        #: The Certificates issued for Prometheus and its clients in ``namespace`` (empty without ``issuer``),
        #: awaited ``Ready``.
        self.certificates: list[pulumi.Resource] = []
        if issuer is not None:
            cert_opts = pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.release, *issuer.ready])
            )
            issued: tuple[tuple[str, str, list[str], list[str], str | None], ...] = (
                ("prometheus-web", PROMETHEUS_SERVING_SECRET, ["server auth"], prometheus_dns_names(namespace), None),
                ("grafana-prometheus-client", GRAFANA_CLIENT_SECRET, ["client auth"], [], "grafana"),
                ("prometheus-self-scrape-client", SELF_SCRAPE_CLIENT_SECRET, ["client auth"], [], "prometheus"),
            )
            for cert, secret, usages, dns, cn in issued:
                manifest = certificate_manifest(
                    name=cert,
                    namespace=namespace,
                    secret_name=secret,
                    usages=usages,
                    dns_names=dns,
                    common_name=cn,
                    issuer=issuer.issuer_name,
                )
                self.certificates.append(k8s_object(f"{name}-{cert}-certificate", manifest, cert_opts))
        self.register_outputs({"namespace": namespace, "tls": self.tls})


class PrometheusAdapterArgs(TypedDict, total=False):
    """The arguments of :class:`PrometheusAdapter` (give them as this object or as keyword arguments)."""

    metrics: Required[tuple[str, ...]]
    """Prometheus series names with ``namespace`` and ``pod`` labels (e.g. ``vllm:num_requests_waiting``);
    each becomes a Pods metric of the same name, summed per pod. At least one."""
    prometheus_url: str
    """The Prometheus the adapter queries. Default: :data:`PROMETHEUS_URL` (kube-prometheus-stack's
    Service in ``monitoring``; ``http://`` without ``issuer``)."""
    namespace: str
    """Where the adapter runs. Default: ``"monitoring"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""
    issuer: InternalCa | None
    """The cluster-internal CA of an HTTPS Prometheus (:class:`PrometheusStack` with ``issuer``): the adapter
    verifies Prometheus against it and presents a client certificate it issues (Certificate
    ``prometheus-adapter-client``, awaited ``Ready`` before the release; :func:`adapter_tls_values`). Default: None
    (no TLS settings)."""


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
        namespace = a.get("namespace", MONITORING_NAMESPACE)
        values = a.get("values", None)
        issuer = a.get("issuer", None)
        prometheus_url = a.get(
            "prometheus_url", PROMETHEUS_URL if issuer else PROMETHEUS_URL.replace("https:", "http:")
        )
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
        child = child_options(self, opts)
        library: dict[str, Any] = {
            "prometheus": {"url": prometheus_url, "port": 9090},
            "rules": {"default": False, "custom": rules},
        }
        waits: list[pulumi.Resource] = []
        if issuer is not None:
            manifest = certificate_manifest(
                name=ADAPTER_CLIENT_SECRET,
                namespace=namespace,
                secret_name=ADAPTER_CLIENT_SECRET,
                usages=["client auth"],
                common_name="prometheus-adapter",
                issuer=issuer.issuer_name,
            )
            cert_opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(issuer.ready)))
            waits.append(k8s_object(f"{name}-client-certificate", manifest, cert_opts))
            library = merge_values(library, adapter_tls_values())
        self.release = helm_release(
            name,
            chart="prometheus-adapter",
            version=versions.PROMETHEUS_ADAPTER_CHART_VERSION,
            repository=versions.PROMETHEUS_COMMUNITY_CHARTS,
            namespace=namespace,
            values=library,
            overrides=values,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=waits)),
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


#: kube-prometheus-stack's Prometheus HTTP API port (the chart's ``prometheus.service.port``).
PROMETHEUS_PORT = 9090
#: The in-cluster PromQL endpoint KEDA's Prometheus scaler queries on targets without a managed Prometheus.
PROMETHEUS_API_URL = f"{PROMETHEUS_URL}:{PROMETHEUS_PORT}"
#: Labels prometheus-operator puts on the Prometheus pods it runs (``app.kubernetes.io/name: prometheus``).
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}


def _labels_text(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items())


def prometheus_api_network_policy(
    *, namespace: str = MONITORING_NAMESPACE, clients: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    """A NetworkPolicy letting only ``clients`` (namespace -> pod labels) and the monitoring namespace itself reach the
    Prometheus pods (pure function).

    The library's kube-prometheus-stack serves its API over HTTPS on :data:`PROMETHEUS_PORT`
    (:func:`prometheus_web_tls_values`), verifying client certificates when presented but not requiring them
    (:data:`PROMETHEUS_CLIENT_AUTH_TYPE`: prometheus-operator cannot keep its probes and reloader working with
    required client certificates). So this policy is what keeps the API (every series of the cluster) to its
    clients: ingress from the pods of the monitoring namespace (Grafana, prometheus-adapter, the operator; any port)
    and from each client's pods on 9090 only.
    Raises ValueError for no clients.

    Args:
        namespace: Where Prometheus runs. Default: ``"monitoring"`` (:data:`MONITORING_NAMESPACE`).
    """
    if not clients:
        raise ValueError("prometheus_api_network_policy: at least one client namespace is needed")
    from_clients = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
            "podSelector": {"matchLabels": dict(labels)},
        }
        for ns, labels in clients.items()
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "prometheus-api",
            "namespace": namespace,
            "annotations": {
                "llm-d.ai/why": "Prometheus's HTTPS API (client certificates verified when given, not required): "
                "the monitoring namespace and "
                + ", ".join(f"{ns} ({_labels_text(labels)})" for ns, labels in clients.items())
                + f" on {PROMETHEUS_PORT} only"
            },
        },
        "spec": {
            "podSelector": {"matchLabels": dict(PROMETHEUS_POD_LABELS)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"podSelector": {}}]},
                {"from": from_clients, "ports": [{"protocol": "TCP", "port": PROMETHEUS_PORT}]},
            ],
        },
    }
