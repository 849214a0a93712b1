"""The inference gateway: a Gateway API ``Gateway`` for the platform's implementation, and the GKE load-balancer
policies an InferencePool needs behind the GKE Inference Gateway.

Secure by default (issue 12): with :class:`ListenerTls` the Gateway serves HTTPS on 443 and keeps an HTTP listener
on 80 whose only route is a ``RequestRedirect`` to ``https`` with status 301 (Gateway API HTTPRoute
``filters[].requestRedirect``; a core filter every conformant implementation supports). The model routes attach to
the HTTPS listener only (``parentRefs[].sectionName`` = :attr:`InferenceGateway.route_listener`), so nothing but the
redirect is served in clear text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, format_problem, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on

#: GKE's managed Gateway classes that support InferencePool backends (regional Application Load Balancers).
GKE_INFERENCE_GATEWAY_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
#: Listener names of a TLS gateway: the HTTPS listener the model routes attach to and the redirecting HTTP one.
HTTPS_LISTENER: Final = "https"
HTTP_LISTENER: Final = "http"
#: GKE Gateway listener TLS options (GKE "Secure a Gateway"): regional Certificate Manager certificates by name,
#: and pre-shared Compute Engine SSL certificates by name (comma-separated lists).
GKE_CERT_MANAGER_CERTS_OPTION: Final = "networking.gke.io/cert-manager-certs"
GKE_PRE_SHARED_CERTS_OPTION: Final = "networking.gke.io/pre-shared-certs"


@dataclass(frozen=True)
class ListenerTls:
    """How the HTTPS listener gets its certificate: Secrets in the Gateway's namespace (``certificate_refs``) and/or
    implementation options (``options``). At least one of the two must be set.

    Attributes:
        certificate_refs: Names of TLS Secrets in the Gateway's namespace (e.g. the one cert-manager writes).
            Default: none.
        options: The listener's ``tls.options`` (e.g. GKE's ``networking.gke.io/cert-manager-certs``). Default: none.
        hostname: The listener hostname. Default: None (any).
        port: The HTTPS listener's port. Default: 443.
        redirect_http: Keep an HTTP listener whose only route redirects to HTTPS. Default: True.
    """

    certificate_refs: Sequence[str] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    hostname: str | None = None
    port: int = 443
    redirect_http: bool = True


class InferenceGatewayArgs(TypedDict, total=False):
    """The arguments of :class:`InferenceGateway` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The Gateway's namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (the Gateway then depends
    on it) or a namespace name."""
    class_name: Required[str]
    """The GatewayClass (e.g. ``gke-l7-regional-external-managed``, ``istio``, ``agentgateway``); not empty."""
    port: int
    """The HTTP listener's port, 1..65535. Default: 80."""
    labels: Mapping[str, str] | None
    """Gateway labels (Istio needs ``istio.io/enable-inference-extproc: "true"``: ``gateway_labels_for``).
    Default: None."""
    annotations: Mapping[str, str] | None
    """Gateway annotations (e.g. Istio's ``networking.istio.io/service-type``). Default: None."""
    infrastructure_annotations: Mapping[str, str] | None
    """``spec.infrastructure.annotations``, propagated by the implementation to what it generates (Gateway API
    "Gateway infrastructure labels and annotations"; e.g. AWS load-balancer scheme). Default: None."""
    tls: ListenerTls | None
    """The HTTPS listener. Default: None — HTTP only (an explicit opt-out the posture report flags)."""


def gateway_problems(a: InferenceGatewayArgs) -> list[str]:
    """Every problem of an :class:`InferenceGateway`'s arguments, as ``"<key> = <value>: <allowed>"`` lines."""
    port, tls = a.get("port", 80), a.get("tls")
    problems: list[str] = []
    for what, value in (("port", port), ("tls.port", tls.port if tls else 443)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            problems.append(format_problem(what, value, "allowed 1..65535"))
    if not a["class_name"]:
        problems.append("class_name is required")
    if tls is not None and not tls.certificate_refs and not tls.options:
        problems.append("tls needs certificate_refs or options (a certificate)")
    if tls is not None and tls.redirect_http and tls.port == port:
        problems.append(format_problem("tls.port", tls.port, f"must differ from the HTTP port {port}"))
    return problems


class InferenceGateway(pulumi.ComponentResource):
    """A Gateway (``gateway.networking.k8s.io/v1``) for the inference routes: HTTPS (with ``tls``) plus a redirecting
    HTTP listener, or a single HTTP listener (``tls=None``, an explicit opt-out the posture report flags).

    Type token ``llmd:platform:InferenceGateway``; the Gateway is named ``name`` (llm-d's guides use
    ``llm-d-inference-gateway``). Arguments: :class:`InferenceGatewayArgs`. The class picks the implementation: GKE's
    ``gke-l7-regional-external-managed`` (external) or ``gke-l7-rilb`` (internal); Istio or agentgateway
    elsewhere. Routes are accepted from the gateway's own namespace only. With TLS the HTTP listener gets the
    HTTPRoute ``<name>-https-redirect`` (RequestRedirect, scheme https, 301). Pass the gateway object as
    ``HttpRoute(gateway=...)``: the route then depends on it.
    Outputs: ``name``, ``namespace``, ``route_listener`` (the listener model routes attach to: ``https`` with TLS,
    None without), ``redirect`` (the redirect HTTPRoute or None).

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, a port outside
            1..65535, equal HTTP and HTTPS ports, an empty class name, or TLS without a certificate reference or
            option.
    """

    @overload
    def __init__(self, name: str, args: InferenceGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[InferenceGatewayArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: InferenceGatewayArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(InferenceGatewayArgs, "InferenceGateway", args, kwargs)
        problems = gateway_problems(a)
        if problems:
            raise ArgsError(f"InferenceGateway {name}", problems)
        namespace, ns_deps = ref_name(a["namespace"], "InferenceGateway", "namespace")
        opts = with_depends_on(opts, ns_deps)
        class_name, port, tls = a["class_name"], a.get("port", 80), a.get("tls")
        labels, annotations = a.get("labels"), a.get("annotations")
        infrastructure_annotations = a.get("infrastructure_annotations")
        super().__init__("llmd:platform:InferenceGateway", name, None, opts)
        same_ns = {"namespaces": {"from": "Same"}}
        listeners: list[dict[str, Any]] = []
        if tls is not None:
            tls_spec: dict[str, Any] = {"mode": "Terminate"}
            if tls.certificate_refs:
                tls_spec["certificateRefs"] = [{"kind": "Secret", "name": ref} for ref in tls.certificate_refs]
            if tls.options:
                tls_spec["options"] = dict(tls.options)
            https: dict[str, Any] = {
                "name": HTTPS_LISTENER,
                "port": tls.port,
                "protocol": "HTTPS",
                "tls": tls_spec,
                "allowedRoutes": same_ns,
            }
            if tls.hostname:
                https["hostname"] = tls.hostname
            listeners.append(https)
        if tls is None or tls.redirect_http:
            listeners.append({"name": HTTP_LISTENER, "port": port, "protocol": "HTTP", "allowedRoutes": same_ns})
        metadata: dict[str, Any] = {"name": name, "namespace": namespace}
        if labels:
            metadata["labels"] = dict(labels)
        if annotations:
            metadata["annotations"] = dict(annotations)
        spec: dict[str, Any] = {"gatewayClassName": class_name, "listeners": listeners}
        if infrastructure_annotations:
            spec["infrastructure"] = {"annotations": dict(infrastructure_annotations)}
        child = child_options(self, opts)
        self.gateway = k8s_object(
            f"{name}-gateway",
            {"apiVersion": versions.GATEWAY_API_GROUP_VERSION, "kind": "Gateway", "metadata": metadata, "spec": spec},
            child,
        )
        self.redirect: pulumi.Resource | None = None
        if tls is not None and tls.redirect_http:
            redirect: dict[str, Any] = {"scheme": "https", "statusCode": 301}
            if tls.port != 443:
                redirect["port"] = tls.port
            self.redirect = k8s_object(
                f"{name}-https-redirect",
                {
                    "apiVersion": versions.GATEWAY_API_GROUP_VERSION,
                    "kind": "HTTPRoute",
                    "metadata": {"name": f"{name}-https-redirect", "namespace": namespace},
                    "spec": {
                        "parentRefs": [
                            {
                                "group": "gateway.networking.k8s.io",
                                "kind": "Gateway",
                                "name": name,
                                "sectionName": HTTP_LISTENER,
                            }
                        ],
                        "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]}],
                    },
                },
                pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.gateway])),
            )
        self.name = name
        self.namespace = namespace
        self.route_listener: str | None = HTTPS_LISTENER if tls is not None else None
        #: Ports of the Gateway's listeners (what the gateway proxy must accept traffic on).
        self.listener_ports: list[int] = sorted({int(listener["port"]) for listener in listeners})
        self.register_outputs({"name": name, "namespace": namespace, "className": class_name, "https": tls is not None})


def _pool_target(pool: str) -> dict[str, Any]:
    return {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool}


@dataclass(frozen=True)
class IapSettings:
    """Identity-Aware Proxy on a GKE backend: the OAuth client id and the name of the Secret (in the policy's
    namespace) holding its client secret under the key ``key``.

    The GCPBackendPolicy CRD (GoogleCloudPlatform/gke-gateway-api config/crd/networking.gke.io_gcpbackendpolicies.yaml,
    ``spec.default.iap``) says "If true, the ClientID and Oauth2ClientSecret fields must be non-empty", so both are
    required here, although IAP itself falls back to a Google-managed OAuth client for browser access when a backend
    service names none (IAP docs "Migrate from the IAP OAuth Admin API"). The Secret key ``key`` is what GKE's
    "Secure a Gateway" IAP steps create (``kubectl create secret generic ... --from-file=key=...``).
    """

    client_id: str
    client_secret_name: str


#: The key of the OAuth client secret in the Secret a GCPBackendPolicy's ``iap.oauth2ClientSecret`` names.
IAP_SECRET_KEY: Final = "key"


class GkeInferencePoolPoliciesArgs(TypedDict, total=False):
    """The arguments of :class:`GkeInferencePoolPolicies` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The InferencePool's namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (the policies then
    depend on it) or a namespace name."""
    inference_pool: NamedResource | str
    """The InferencePool the policies target: an ``InferencePool`` component (the policies then depend on it) or its
    name. Default: none — give this or its deprecated alias ``pool``."""
    pool: str
    """Deprecated alias of ``inference_pool`` (a name; "pool" also means an accelerator pool elsewhere).
    Default: none."""
    port: int
    """The model-server port the health check probes (``/health``), 1..65535. Default: 8000 (vLLM's)."""
    timeout_sec: int
    """The load balancer's request timeout, seconds, 1..86400. Default: 300 (long generations)."""
    iap: IapSettings | None
    """Identity-Aware Proxy on the backend. Default: None (no IAP)."""


class GkeInferencePoolPolicies(pulumi.ComponentResource):
    """GKE load-balancer settings for one InferencePool: a HealthCheckPolicy and a GCPBackendPolicy.

    Type token ``llmd:platform:GkeInferencePoolPolicies``. Arguments: :class:`GkeInferencePoolPoliciesArgs`. The health
    check probes vLLM's ``/health`` on the model-server port every 2 s with a 2 s timeout (faster fail-over than GKE's
    5 s default, as llm-d's router chart sets it); the backend policy sets the request timeout (default 300 s: long
    generations), turns on load-balancer logging and, with ``iap``, Identity-Aware Proxy (``spec.default.iap``:
    ``enabled``, ``clientID``, ``oauth2ClientSecret.name``). One GCPBackendPolicy per target: IAP must live in this
    policy, not a second one. Values follow llm-d-router's ``provider.name=gke`` rendering. Whether GKE applies IAP to
    an InferencePool target (rather than a Service) is not documented (FACTS "Secure gateway"): unverified.

    Raises:
        ArgsError: (a ValueError) an unknown or mistyped argument, a timeout outside 1..86400 s, a port outside
            1..65535, no InferencePool.
    """

    @overload
    def __init__(
        self, name: str, args: GkeInferencePoolPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeInferencePoolPoliciesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeInferencePoolPoliciesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeInferencePoolPoliciesArgs, "GkeInferencePoolPolicies", args, kwargs)
        where = f"GkeInferencePoolPolicies {name}"
        port, timeout_sec, iap = a.get("port", 8000), a.get("timeout_sec", 300), a.get("iap")
        if not 1 <= timeout_sec <= 86400:
            raise ArgsError(where, [format_problem("timeout_sec", timeout_sec, "allowed 1..86400")])
        if not 1 <= port <= 65535:
            raise ArgsError(where, [format_problem("port", port, "allowed 1..65535")])
        if "inference_pool" in a and "pool" in a:
            raise ArgsError(where, [format_problem("pool", a["pool"], "a deprecated alias of inference_pool")])
        pool_ref = a.get("inference_pool", a.get("pool"))
        if pool_ref is None:
            raise ArgsError(where, ["inference_pool is required (the InferencePool the policies target)"])
        pool, pool_deps = ref_name(pool_ref, "GkeInferencePoolPolicies", "inference_pool")
        namespace, ns_deps = ref_name(a["namespace"], "GkeInferencePoolPolicies", "namespace")
        opts = with_depends_on(opts, [*ns_deps, *pool_deps])
        super().__init__("llmd:platform:GkeInferencePoolPolicies", name, None, opts)
        child = child_options(self, opts)
        meta = {"name": pool, "namespace": namespace}
        k8s_object(
            f"{name}-healthcheck",
            {
                "apiVersion": versions.GKE_NETWORKING_API_VERSION,
                "kind": "HealthCheckPolicy",
                "metadata": meta,
                "spec": {
                    "targetRef": _pool_target(pool),
                    "default": {
                        "timeoutSec": 2,
                        "checkIntervalSec": 2,
                        "config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": port}},
                    },
                },
            },
            child,
        )
        default: dict[str, Any] = {"timeoutSec": timeout_sec, "logging": {"enabled": True}}
        if iap is not None:
            default["iap"] = {
                "enabled": True,
                "clientID": iap.client_id,
                "oauth2ClientSecret": {"name": iap.client_secret_name},
            }
        k8s_object(
            f"{name}-backend",
            {
                "apiVersion": versions.GKE_NETWORKING_API_VERSION,
                "kind": "GCPBackendPolicy",
                "metadata": dict(meta),
                "spec": {
                    "targetRef": _pool_target(pool),
                    "default": default,
                },
            },
            child,
        )
        self.register_outputs({"pool": pool, "iap": iap is not None})
