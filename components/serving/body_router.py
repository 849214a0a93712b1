"""Body-based routing: many models behind one gateway, chosen by the OpenAI ``model`` field.

llm-d deploys it as its multi-model-routing guide does (llm-d/llm-d ``guides/multi-model-routing/README.md``, v0.9.0
tree): the **Inference Payload Processor** (IPP, ``llm-d/llm-d-inference-payload-processor``), the llm-d successor of
the Gateway API Inference Extension's body-based router (BBR; llm-d/llm-d PR 1184 "migrate code from BBR",
llm-d/llm-d-benchmark issue 1305 "This component replaces the BBR"). It runs once per Gateway as an Envoy
``ext_proc`` server; its default pipeline (chart ``config/charts/payload-processor/templates/config.yaml``) is

* ``body-field-to-header``: copies the request body's ``model`` into ``X-Gateway-Model-Name``;
* ``base-model-to-header``: maps that name - a base model or a LoRA adapter - to its base model through ConfigMaps
  labelled ``inference.llm-d.ai/ipp-managed: "true"`` (``data.baseModel``, ``data.adapters``: a YAML list) and sets
  ``X-Gateway-Base-Model-Name`` (empty for a name no ConfigMap lists; docs/configuration.md "Model Mapping
  ConfigMaps").

One HTTPRoute per model matches ``X-Gateway-Base-Model-Name`` exactly and sends the request to the model's
InferencePool (the guide's ``manifests/httproutes.yaml``), so an adapter reaches its base model's pool. Names, base
models and adapters alike, must be unique across the gateway (guide: "All model names must be globally unique across
all InferencePools"; "All adapter names must be globally unique across all ConfigMaps").

How the gateway calls it (the chart's ``provider.name``, docs/configuration.md "Proxy Integration"):

* GKE Inference Gateway (``gke-l7-regional-external-managed``, ``gke-l7-rilb``): a ``GCPRoutingExtension`` on the
  Gateway (a Service callout; supported for the regional external and internal Application Load Balancers, GKE
  "Customize GKE Gateway traffic using Service Extensions"; GKE "Configure Body-Based Routing") and a GRPC
  ``HealthCheckPolicy`` on the router's health port (overlay ``config/kustomize/overlays/gke``).
* Istio: an ``EnvoyFilter`` on the Gateway (``targetRefs``, ``context: GATEWAY``) inserting
  ``envoy.filters.http.ext_proc`` first in the HTTP filter chain, plus a ``DestinationRule`` that speaks TLS to the
  router (it serves a self-signed certificate, ``--secure-serving`` default true: ``insecureSkipVerify``, overlay
  ``config/kustomize/overlays/istio``).
* agentgateway: no provider in the IPP chart (``istio | gke | none``): not supported here (a config error).

Only the request events are sent (request headers, body FULL_DUPLEX_STREAMED, trailers): routing reads the request
alone, and each enabled event is one more hop ("Tuning ext-proc Events"); GKE's ``GCPRoutingExtension`` also allows
only request events with ``FullDuplexStreamed`` (gke-gateway-api CRD ``supportedEvents``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import yaml

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, format_problem, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on

#: The router's name (Deployment, Service, ServiceAccount): the chart's ``payloadProcessor.name`` default.
BODY_ROUTER_NAME: Final = "payload-processor"
#: ext_proc gRPC port (``--grpc-port`` default; chart ``payloadProcessor.port``).
BODY_ROUTER_GRPC_PORT: Final = 9004
#: gRPC health port (``--grpc-health-port`` default; chart ``payloadProcessor.healthCheckPort``).
BODY_ROUTER_HEALTH_PORT: Final = 9005
#: Prometheus ``/metrics`` port (``--metrics-port`` default; bearer-token auth on by default).
BODY_ROUTER_METRICS_PORT: Final = 9090
#: The header ``body-field-to-header`` sets from the body's ``model``.
MODEL_HEADER: Final = "X-Gateway-Model-Name"
#: The header ``base-model-to-header`` sets to the base model of the requested name; routes match it.
BASE_MODEL_HEADER: Final = "X-Gateway-Base-Model-Name"
#: The label that makes a ConfigMap a model mapping the router watches.
MAPPING_LABEL: Final = "inference.llm-d.ai/ipp-managed"
#: Gateway class -> the chart's ``provider.name`` (how the router is wired into that gateway).
GATEWAY_PROVIDERS: Final[Mapping[str, str]] = {
    "gke-l7-regional-external-managed": "gke",
    "gke-l7-rilb": "gke",
    "istio": "istio",
}
#: Resources of the router (overlay ``config/kustomize/base/deployment.yaml``: "conservative starting point").
BODY_ROUTER_RESOURCES: Final[Mapping[str, Mapping[str, str]]] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
#: ext_proc message timeout on GKE (overlay ``gcproutingextension.yaml``: 10 s, "1s timeout is too aggressive under
#: load or with larger payloads"; the CRD allows 10 ms .. 10 s).
GKE_EXTENSION_TIMEOUT: Final = "10s"
CONFIG_FILE: Final = "ipp-config.yaml"

#: The chart's default ``PayloadProcessorConfig`` (``templates/config.yaml`` ``default-ipp-config.yaml``).
DEFAULT_CONFIG: Final = {
    "apiVersion": "llm-d.ai/v1alpha1",
    "kind": "PayloadProcessorConfig",
    "plugins": [
        {"type": "body-field-to-header", "parameters": {"fieldName": "model", "headerName": MODEL_HEADER}},
        {"type": "base-model-to-header"},
    ],
    "profiles": [
        {
            "name": "default",
            "plugins": {"request": [{"pluginRef": "body-field-to-header"}, {"pluginRef": "base-model-to-header"}]},
        }
    ],
}


def gateway_provider(gateway_class: str) -> str | None:
    """The router's provider for ``gateway_class`` (``gke`` or ``istio``), None where it cannot be wired in."""
    return GATEWAY_PROVIDERS.get(gateway_class)


def body_router_manifests(
    *,
    name: str,
    namespace: str,
    gateway: str,
    provider: str,
    replicas: int = 1,
    image: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every object of the body-based router (pure function): ServiceAccount, Role/RoleBinding (ConfigMaps read),
    its config ConfigMap, Deployment, Service and the ``provider``'s wiring into Gateway ``gateway``.

    The pod meets the Pod Security "restricted" profile: the image runs as ``USER 65532:65532`` (distroless
    ``static:nonroot``, the repository's Dockerfile), ``runAsNonRoot``, seccomp ``RuntimeDefault``, no privilege
    escalation, every capability dropped, no service-account token beyond what it needs (it watches ConfigMaps of its
    namespace only: ``NAMESPACE`` set, as the chart does unless ``multiNamespace``). pprof is off
    (``--enable-pprof=false``); the metrics port keeps its bearer-token auth (``--metrics-endpoint-auth`` default).

    Args:
        name: Deployment / Service name. namespace: the Gateway's namespace. gateway: the Gateway's name.
        provider: ``gke`` or ``istio`` (:data:`GATEWAY_PROVIDERS`).
        replicas: Router pods. Default: 1 (the chart's).
        image: The router image. Default: None (the active release's ``bbr`` pin).
        labels: Extra labels of every object. Default: None (none).

    Raises:
        ValueError: an unknown provider.
    """
    if provider not in ("gke", "istio"):
        raise ValueError(f"body-based router {name}: provider {provider!r} is not one of gke, istio")
    if image is None:
        image = _release_pin().ref
    selector = {"app": name}
    common = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "llm-d",
        "app.kubernetes.io/component": "body-based-router",
        **dict(labels or {}),
    }
    meta = {"name": name, "namespace": namespace, "labels": dict(common)}
    config_text = yaml.safe_dump(DEFAULT_CONFIG, sort_keys=False)
    role = f"{name}-configmap-reader"
    container: dict[str, Any] = {
        "name": "payload-processor",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--config-file",
            f"/config/{CONFIG_FILE}",
            f"--grpc-port={BODY_ROUTER_GRPC_PORT}",
            f"--grpc-health-port={BODY_ROUTER_HEALTH_PORT}",
            f"--metrics-port={BODY_ROUTER_METRICS_PORT}",
            "--v=2",
            "--tracing=false",
            "--enable-pprof=false",
        ],
        "env": [{"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "ports": [
            {"name": "grpc", "containerPort": BODY_ROUTER_GRPC_PORT, "protocol": "TCP"},
            {"name": "grpc-health", "containerPort": BODY_ROUTER_HEALTH_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": BODY_ROUTER_METRICS_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {"grpc": {"port": BODY_ROUTER_HEALTH_PORT}, "initialDelaySeconds": 5, "periodSeconds": 10},
        "livenessProbe": {"grpc": {"port": BODY_ROUTER_HEALTH_PORT}, "initialDelaySeconds": 15, "periodSeconds": 20},
        "resources": {k: dict(v) for k, v in BODY_ROUTER_RESOURCES.items()},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "config", "mountPath": "/config", "readOnly": True}],
    }
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {**meta, "name": role},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {**meta, "name": role},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict(meta), "data": {CONFIG_FILE: config_text}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": dict(meta),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(selector)},
                "template": {
                    "metadata": {"labels": {**common, **selector}},
                    "spec": {
                        "serviceAccountName": name,
                        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [container],
                        "volumes": [{"name": "config", "configMap": {"name": name}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": dict(meta),
            "spec": {
                "type": "ClusterIP",
                "selector": dict(selector),
                "ports": [
                    {
                        "name": "grpc",
                        "protocol": "TCP",
                        "port": BODY_ROUTER_GRPC_PORT,
                        "targetPort": BODY_ROUTER_GRPC_PORT,
                        "appProtocol": "HTTP2",
                    }
                ],
            },
        },
    ]
    gateway_ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
    if provider == "gke":
        objects.append(
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "GCPRoutingExtension",
                "metadata": dict(meta),
                "spec": {
                    "targetRefs": [gateway_ref],
                    "extensionChains": [
                        {
                            "name": "chain1",
                            "extensions": [
                                {
                                    "name": "ext1",
                                    "authority": "myext.com",
                                    "timeout": GKE_EXTENSION_TIMEOUT,
                                    "supportedEvents": ["RequestHeaders", "RequestBody", "RequestTrailers"],
                                    "requestBodySendMode": "FullDuplexStreamed",
                                    "backendRef": {
                                        "group": "",
                                        "kind": "Service",
                                        "name": name,
                                        "port": BODY_ROUTER_GRPC_PORT,
                                    },
                                }
                            ],
                        }
                    ],
                },
            }
        )
        objects.append(
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "HealthCheckPolicy",
                "metadata": {**meta, "name": f"{name}-healthcheck"},
                "spec": {
                    "default": {
                        "logConfig": {"enabled": True},
                        "config": {
                            "type": "GRPC",
                            "grpcHealthCheck": {"portSpecification": "USE_FIXED_PORT", "port": BODY_ROUTER_HEALTH_PORT},
                        },
                    },
                    "targetRef": {"group": "", "kind": "Service", "name": name},
                },
            }
        )
    else:
        host = f"{name}.{namespace}.svc.cluster.local"
        objects.append(
            {
                "apiVersion": "networking.istio.io/v1alpha3",
                "kind": "EnvoyFilter",
                "metadata": dict(meta),
                "spec": {
                    "targetRefs": [gateway_ref],
                    "configPatches": [
                        {
                            "applyTo": "HTTP_FILTER",
                            "match": {
                                "context": "GATEWAY",
                                "listener": {
                                    "filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}
                                },
                            },
                            "patch": {
                                "operation": "INSERT_FIRST",
                                "value": {
                                    "name": "envoy.filters.http.ext_proc.payload-processor",
                                    "typed_config": {
                                        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3."
                                        "ExternalProcessor",
                                        "failure_mode_allow": False,
                                        "allow_mode_override": True,
                                        "processing_mode": {
                                            "request_header_mode": "SEND",
                                            "response_header_mode": "SKIP",
                                            "request_body_mode": "FULL_DUPLEX_STREAMED",
                                            "response_body_mode": "NONE",
                                            "request_trailer_mode": "SEND",
                                            "response_trailer_mode": "SKIP",
                                        },
                                        "grpc_service": {
                                            "envoy_grpc": {"cluster_name": f"outbound|{BODY_ROUTER_GRPC_PORT}||{host}"}
                                        },
                                    },
                                },
                            },
                        }
                    ],
                },
            }
        )
        objects.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "DestinationRule",
                "metadata": dict(meta),
                "spec": {"host": host, "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}},
            }
        )
    return objects


def body_router_network_policies(
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    gateway_cidrs: Sequence[str] = (),
    gateway_pod_labels: Mapping[str, str] | None = None,
    api_server_cidrs: Sequence[str] = ("0.0.0.0/0",),
    api_server_ports: Sequence[int] = (443,),
) -> list[dict[str, Any]]:
    """The router's ``networking.k8s.io/v1`` NetworkPolicies beside the namespace's default deny (pure function).

    ``<name>``: only the gateway reaches the router, on its ext_proc and gRPC-health ports - from ``gateway_cidrs``
    (GKE: the proxy-only subnet and Google's health checkers) and/or the in-cluster proxy pods ``gateway_pod_labels``
    (Istio). ``<name>-egress``: the router watches its mapping ConfigMaps on the Kubernetes API server
    (``api_server_cidrs`` on ``api_server_ports``). ``<name>-gateway-egress`` (with ``gateway_pod_labels``): the proxies
    call the router. Nothing scrapes the router's metrics port (it keeps its bearer-token auth).

    Args:
        gateway_cidrs: Where gateway traffic comes from outside the cluster. Default: ``()`` (none).
        gateway_pod_labels: Labels of in-cluster gateway proxy pods. Default: None.
        api_server_cidrs: Where the Kubernetes API server is. Default: ``("0.0.0.0/0",)``.
        api_server_ports: The API server's ports. Default: ``(443,)``.

    Raises:
        ValueError: neither gateway CIDRs nor gateway pod labels.
    """
    if not gateway_cidrs and not gateway_pod_labels:
        raise ValueError(f"NetworkPolicies {name}: gateway_cidrs or gateway_pod_labels must name the gateway")
    ports = [{"protocol": "TCP", "port": p} for p in (BODY_ROUTER_GRPC_PORT, BODY_ROUTER_HEALTH_PORT)]
    gateway: list[dict[str, Any]] = [{"ipBlock": {"cidr": c}} for c in gateway_cidrs]
    if gateway_pod_labels:
        gateway.append({"podSelector": {"matchLabels": dict(gateway_pod_labels)}})

    def policy(
        policy_name: str, why: str, selector: Mapping[str, str], **rules: list[dict[str, Any]]
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "podSelector": {"matchLabels": dict(selector)},
            "policyTypes": [t.capitalize() for t in rules],
            **rules,
        }
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": policy_name, "namespace": namespace, "annotations": {"llm-d.ai/why": why}},
            "spec": spec,
        }

    out = [
        policy(
            name,
            "only the gateway calls the body-based router (ext_proc) and checks its health",
            labels,
            ingress=[{"from": gateway, "ports": ports}],
        ),
        policy(
            f"{name}-egress",
            "the body-based router watches its model-mapping ConfigMaps on the Kubernetes API server",
            labels,
            egress=[
                {
                    "to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs],
                    "ports": [{"protocol": "TCP", "port": p} for p in api_server_ports],
                }
            ],
        ),
    ]
    if gateway_pod_labels:
        out.append(
            policy(
                f"{name}-gateway-egress",
                "the gateway proxies call the body-based router (ext_proc) before routing",
                gateway_pod_labels,
                egress=[{"to": [{"podSelector": {"matchLabels": dict(labels)}}], "ports": ports[:1]}],
            )
        )
    return out


def _release_pin() -> versions.ImagePin:
    """The router image of the active llm-d release (:attr:`~pulumi_llmd.components.versions.LlmdRelease.bbr`)."""
    return versions.active_release().bbr


def model_mapping_manifest(
    *, name: str, namespace: str, base_model: str, adapters: Sequence[str] = ()
) -> dict[str, Any]:
    """The ConfigMap that registers ``base_model`` (the name clients send) and its LoRA ``adapters`` with the router
    (pure function; docs/configuration.md "Model Mapping ConfigMaps": label ``inference.llm-d.ai/ipp-managed``,
    ``data.baseModel``, ``data.adapters`` as a YAML list).

    Args:
        adapters: LoRA adapter names that map to ``base_model``. Default: ``()`` (none: no ``adapters`` key).
    """
    data = {"baseModel": base_model}
    if adapters:
        data["adapters"] = "".join(f"- {a}\n" for a in adapters)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {MAPPING_LABEL: "true"}},
        "data": data,
    }


def header_route_rule(*, pool: str, base_model: str, request_timeout: str | None = None) -> dict[str, Any]:
    """One HTTPRoute rule sending requests whose ``X-Gateway-Base-Model-Name`` is exactly ``base_model`` (any path)
    to InferencePool ``pool`` (the guide's ``manifests/httproutes.yaml``; GAIE ``bbr-example/httproute_bbr.yaml``
    adds the ``PathPrefix /`` and the 300 s timeout).

    Args:
        request_timeout: Gateway API request timeout. Default: None (the implementation's).
    """
    rule: dict[str, Any] = {
        "matches": [
            {
                "path": {"type": "PathPrefix", "value": "/"},
                "headers": [{"type": "Exact", "name": BASE_MODEL_HEADER, "value": base_model}],
            }
        ],
        "backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool}],
    }
    if request_timeout:
        rule["timeouts"] = {"request": request_timeout}
    return rule


class BodyBasedRouterArgs(TypedDict, total=False):
    """The arguments of :class:`BodyBasedRouter` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The Gateway's namespace (a :class:`~pulumi_llmd.components.platform.StackNamespace` or its name)."""
    gateway: Required[NamedResource | str]
    """The Gateway the router is wired into (an ``InferenceGateway`` or its name)."""
    gateway_class: Required[str]
    """The Gateway's class: ``gke-l7-regional-external-managed``, ``gke-l7-rilb`` or ``istio``."""
    replicas: int
    """Router pods, >= 1. Default: 1."""
    image: str
    """The router image. Default: the active llm-d release's ``bbr`` pin."""
    gateway_cidrs: Sequence[str]
    """Where gateway traffic comes from outside the cluster (GKE: proxy-only subnet, health checkers), for the
    router's NetworkPolicy. Default: none."""
    gateway_pod_labels: Mapping[str, str] | None
    """Labels of in-cluster gateway proxy pods (Istio). Default: None. One of the two is required."""
    api_server_cidrs: Sequence[str]
    """Where the Kubernetes API server is (the router watches ConfigMaps). Default: ``("0.0.0.0/0",)``."""
    api_server_ports: Sequence[int]
    """The API server's ports. Default: ``(443,)``."""


class BodyBasedRouter(pulumi.ComponentResource):
    """The body-based router (llm-d's Inference Payload Processor) of one Gateway; see the module docstring.

    Type token ``llmd:serving:BodyBasedRouter``. Arguments: :class:`BodyBasedRouterArgs`. Attributes: ``name``,
    ``labels`` (the router pods' selector), ``port`` (ext_proc), ``health_port``, ``metrics_port``.

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown argument, a gateway class the router
            cannot be wired into (agentgateway), replicas < 1.
    """

    @overload
    def __init__(self, name: str, args: BodyBasedRouterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[BodyBasedRouterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: BodyBasedRouterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(BodyBasedRouterArgs, "BodyBasedRouter", args, kwargs)
        gateway_class = a["gateway_class"]
        provider = gateway_provider(gateway_class)
        problems = []
        if provider is None:
            problems.append(
                format_problem(
                    "gateway_class",
                    gateway_class,
                    f"one of {', '.join(GATEWAY_PROVIDERS)} (the payload processor chart wires istio and gke only)",
                )
            )
        replicas = a.get("replicas", 1)
        if replicas < 1:
            problems.append(format_problem("replicas", replicas, "an integer >= 1"))
        if not a.get("gateway_cidrs") and not a.get("gateway_pod_labels"):
            problems.append("gateway_cidrs or gateway_pod_labels is required (who may call the router)")
        if problems:
            raise ArgsError(f"BodyBasedRouter {name}", problems)
        assert provider is not None
        namespace, ns_deps = ref_name(a["namespace"], "BodyBasedRouter", "namespace")
        gateway, gw_deps = ref_name(a["gateway"], "BodyBasedRouter", "gateway")
        opts = with_depends_on(opts, [*ns_deps, *gw_deps])
        super().__init__("llmd:serving:BodyBasedRouter", name, None, opts)
        child = child_options(self, opts)
        for manifest in body_router_manifests(
            name=name, namespace=namespace, gateway=gateway, provider=provider, replicas=replicas, image=a.get("image")
        ):
            k8s_object(f"{manifest['metadata']['name']}-{manifest['kind'].lower()}", manifest, child)
        for manifest in body_router_network_policies(
            name=name,
            namespace=namespace,
            labels={"app": name},
            gateway_cidrs=list(a.get("gateway_cidrs", ())),
            gateway_pod_labels=a.get("gateway_pod_labels"),
            api_server_cidrs=list(a.get("api_server_cidrs", ("0.0.0.0/0",))),
            api_server_ports=list(a.get("api_server_ports", (443,))),
        ):
            k8s_object(f"{manifest['metadata']['name']}-networkpolicy", manifest, child)
        self.name = name
        self.labels = {"app": name}
        self.port = BODY_ROUTER_GRPC_PORT
        self.health_port = BODY_ROUTER_HEALTH_PORT
        self.metrics_port = BODY_ROUTER_METRICS_PORT
        self.register_outputs({"name": name})


class ModelHeaderRouteArgs(TypedDict, total=False):
    """The arguments of :class:`ModelHeaderRoute` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Namespace of the route and the mapping ConfigMap (the router's)."""
    gateway: Required[NamedResource | str]
    """The Gateway the route attaches to."""
    pool: Required[NamedResource | str]
    """The model's InferencePool."""
    served_name: Required[str]
    """The base model's name as clients send it in ``model`` (vLLM's ``--served-model-name``)."""
    adapters: Sequence[str]
    """LoRA adapter names the pool's servers also serve. Default: none."""
    section_name: str | None
    """The Gateway listener to attach to. Default: None (every listener)."""
    request_timeout: str | None
    """Gateway API request timeout. Default: None (the implementation's)."""


class ModelHeaderRoute(pulumi.ComponentResource):
    """One model behind the body-based router: its mapping ConfigMap ``<name>-model-mapping`` (base model and
    adapters) and its HTTPRoute ``<name>`` matching ``X-Gateway-Base-Model-Name`` to its InferencePool.

    Type token ``llmd:serving:ModelHeaderRoute``. Arguments: :class:`ModelHeaderRouteArgs`. Outputs: ``name``.
    """

    @overload
    def __init__(self, name: str, args: ModelHeaderRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ModelHeaderRouteArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ModelHeaderRouteArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ModelHeaderRouteArgs, "ModelHeaderRoute", args, kwargs)
        namespace, ns_deps = ref_name(a["namespace"], "ModelHeaderRoute", "namespace")
        gateway, gw_deps = ref_name(a["gateway"], "ModelHeaderRoute", "gateway")
        pool, pool_deps = ref_name(a["pool"], "ModelHeaderRoute", "pool")
        opts = with_depends_on(opts, [*ns_deps, *gw_deps, *pool_deps])
        super().__init__("llmd:serving:ModelHeaderRoute", name, None, opts)
        child = child_options(self, opts)
        served = a["served_name"]
        self.mapping = k8s_object(
            f"{name}-model-mapping-configmap",
            model_mapping_manifest(
                name=f"{name}-model-mapping", namespace=namespace, base_model=served, adapters=a.get("adapters", ())
            ),
            child,
        )
        parent_ref: dict[str, Any] = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
        if a.get("section_name"):
            parent_ref["sectionName"] = a["section_name"]
        self.route = k8s_object(
            f"{name}-httproute",
            {
                "apiVersion": versions.GATEWAY_API_GROUP_VERSION,
                "kind": "HTTPRoute",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "parentRefs": [parent_ref],
                    "rules": [
                        header_route_rule(pool=pool, base_model=served, request_timeout=a.get("request_timeout"))
                    ],
                },
            },
            child,
        )
        self.name = name
        self.register_outputs({"name": name})
