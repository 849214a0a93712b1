"""llm-d's router in gateway mode: the endpoint picker (EPP), its InferencePool and the HTTPRoute to it.

Objects follow what the ``llm-d-router-gateway`` chart (llm-d/llm-d-router ``config/charts``, v0.9.0) renders for
llm-d's guides, as typed resources instead of an opaque chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import yaml

from pulumi_llmd.components import versions
from pulumi_llmd.components.kube import child_options, k8s_object
from pulumi_llmd.components.serving.model_server import VLLM_PORT, hf_token_env

#: EPP ports (llm-d-router chart): ext-proc gRPC (what the InferencePool points at), gRPC health, Prometheus metrics.
EPP_GRPC_PORT = 9002
EPP_HEALTH_PORT = 9003
EPP_METRICS_PORT = 9090
#: Scorer weights of llm-d's optimized-baseline guide (guides/optimized-baseline/router/optimized-baseline.values.yaml).
OPTIMIZED_BASELINE_SCORERS: Mapping[str, int] = {
    "queue-scorer": 2,
    "kv-cache-utilization-scorer": 2,
    "prefix-cache-scorer": 3,
    "no-hit-lru-scorer": 2,
}
#: The endpoint picker's container resources in the llm-d-router chart (requests 4 CPU / 8Gi, limit 16Gi): what the
#: cloud stacks run.
EPP_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "4", "memory": "8Gi"},
    "limits": {"memory": "16Gi"},
}
#: Picker resources sized for a laptop cluster without accelerators (kind, simulated accelerators): two pickers, the
#: simulators, the gateway and the add-ons share one 4 CPU / 8 GiB node, and a picker over a handful of simulator
#: pods uses well under 100m / 200 MiB (assumption: observed order of magnitude; override with router.resources).
SMALL_EPP_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"memory": "1Gi"},
}
CONFIG_FILE = "plugins.yaml"
FAILURE_MODES = ("FailOpen", "FailClose")


def endpoint_picker_config(scorer_weights: Mapping[str, int]) -> str:
    """The EndpointPickerConfig document (YAML text) with one ``default`` scheduling profile of weighted scorers.

    ``scorer_weights`` keeps its order (the guide's order for the defaults). Raises ValueError on an empty mapping
    or a negative weight.
    """
    if not scorer_weights:
        raise ValueError("scorer_weights: at least one scorer is needed")
    for plugin, weight in scorer_weights.items():
        if weight < 0:
            raise ValueError(f"scorer_weights[{plugin!r}] = {weight}: weights must be >= 0")
    document = {
        "apiVersion": versions.ENDPOINT_PICKER_CONFIG_API_VERSION,
        "kind": "EndpointPickerConfig",
        "plugins": [{"type": plugin} for plugin in scorer_weights],
        "schedulingProfiles": [
            {
                "name": "default",
                "plugins": [{"pluginRef": plugin, "weight": weight} for plugin, weight in scorer_weights.items()],
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def _epp_rbac(name: str, namespace: str, labels: Mapping[str, str], leader_election: bool) -> list[dict[str, Any]]:
    rules: dict[str, list[dict[str, Any]]] = {
        f"{name}-pods": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}],
        f"{name}-pools": [
            {
                "apiGroups": ["inference.networking.k8s.io"],
                "resources": ["inferencepools"],
                "verbs": ["get", "watch", "list"],
            },
            {
                "apiGroups": ["llm-d.ai"],
                "resources": ["inferenceobjectives", "inferencemodelrewrites"],
                "verbs": ["get", "watch", "list"],
            },
        ],
    }
    if leader_election:
        rules[f"{name}-leader-election"] = [
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        ]
    objects: list[dict[str, Any]] = []
    for role, role_rules in rules.items():
        meta = {"name": role, "namespace": namespace, "labels": dict(labels)}
        objects.append(
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta, "rules": role_rules}
        )
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": dict(meta),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            }
        )
    return objects


def epp_deployment(
    *,
    name: str,
    namespace: str,
    pool_name: str,
    replicas: int,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    verbosity: int = 2,
    image: str = versions.EPP_IMAGE,
    metrics_auth: bool = False,
    active_active: bool = False,
    hf_token_secret: str | None = None,
    resources: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The endpoint picker's Deployment manifest (pure function; see :class:`EndpointPicker`).

    ``active_active`` (with ``replicas > 1``): every replica schedules, without leader election, as precise
    prefix-cache routing runs its pickers (each builds the same KV-block index from the servers' events).
    ``hf_token_secret`` gives the picker ``HF_TOKEN`` (its tokenizer plugins download tokenizers).

    Arguments, ports, probes (gRPC health on 9003), resources (default :data:`EPP_RESOURCES`: 4 CPU / 8Gi requested,
    16Gi limit; ``resources`` replaces them, e.g. :data:`SMALL_EPP_RESOURCES` on kind) and the 130 s grace period
    follow the llm-d-router chart. With ``replicas > 1`` the pickers run active-passive with
    ``--ha-enable-leader-election`` and the probes ask for the ``liveness`` / ``readiness`` gRPC services.
    Without ``metrics_auth`` the metrics port serves Prometheus without a bearer token
    (``--metrics-endpoint-auth=false``, as llm-d's ``recipes/router/features/monitoring.values.yaml`` sets
    ``prometheus.auth.enabled: false``); NetworkPolicies then decide who may scrape it.
    """
    leader_election = replicas > 1 and not active_active
    args = [
        "--pool-name",
        pool_name,
        "--pool-namespace",
        namespace,
        "--pool-group",
        "inference.networking.k8s.io",
        "--zap-encoder",
        "json",
        "--config-file",
        f"/config/{CONFIG_FILE}",
    ]
    if leader_election:
        args.append("--ha-enable-leader-election")
    elif active_active and replicas > 1:
        args.append("--ha-enable-leader-election=false")
    args += ["--grpc-health-port", str(EPP_HEALTH_PORT), f"--v={verbosity}", "--tracing=false"]
    if not metrics_auth:
        args.append("--metrics-endpoint-auth=false")
    live, ready = ("liveness", "readiness") if leader_election else ("inference-extension", "inference-extension")
    container: dict[str, Any] = {
        "name": "epp",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": [
            {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            *hf_token_env(hf_token_secret),
        ],
        "ports": [
            {"name": "grpc", "containerPort": EPP_GRPC_PORT, "protocol": "TCP"},
            {"name": "grpc-health", "containerPort": EPP_HEALTH_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": EPP_METRICS_PORT, "protocol": "TCP"},
        ],
        "livenessProbe": {
            "grpc": {"port": EPP_HEALTH_PORT, "service": live},
            "initialDelaySeconds": 5,
            "periodSeconds": 10,
        },
        "readinessProbe": {"grpc": {"port": EPP_HEALTH_PORT, "service": ready}, "periodSeconds": 2},
        "resources": {k: dict(v) for k, v in (resources or EPP_RESOURCES).items()},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "plugins-config", "mountPath": "/config", "readOnly": True}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            # The chart recreates pickers: two generations must never both act on one pool.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {"labels": {**dict(labels), **dict(selector)}},
                "spec": {
                    "serviceAccountName": name,
                    "terminationGracePeriodSeconds": 130,
                    # The image runs as USER 65532:65532 (llm-d/llm-d-router Dockerfile.epp): with runAsNonRoot the
                    # picker meets the Pod Security "restricted" profile.
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": [{"name": "plugins-config", "configMap": {"name": name}}],
                },
            },
        },
    }


class EndpointPicker(pulumi.ComponentResource):
    """llm-d's endpoint picker (EPP) for one InferencePool.

    Type token ``llmd:serving:EndpointPicker``. Registers a ServiceAccount, Roles and RoleBindings (pods;
    InferencePools and llm-d InferenceObjectives / InferenceModelRewrites; leases and events when
    ``replicas > 1``), a ConfigMap holding the EndpointPickerConfig, the Deployment from :func:`epp_deployment` and a
    ClusterIP Service with ``grpc-ext-proc`` 9002 and ``http-metrics`` 9090, and with ``replicas > 1`` a
    PodDisruptionBudget keeping at least one picker up (the leader hands over through its lease).

    Outputs: ``service_name`` (what the InferencePool's ``endpointPickerRef`` names), ``port`` (9002).

    Args:
        name: object name of every EPP object (``<model>-epp`` in the blueprints).
        namespace: namespace of the pool.
        pool_name: the InferencePool this picker serves.
        replicas: pickers (default 2: leader-elected high availability with a PodDisruptionBudget, as llm-d's
            practice and the ``epp-high-availability`` policy require; 1 for a single picker without election).
        scorer_weights: scorer plugin -> weight (default: the optimized-baseline guide's).
        verbosity: ``--v`` log level.
        metrics_auth: require a bearer token on the metrics port (default off; see :func:`epp_deployment`).
        config_text: a whole EndpointPickerConfig document (YAML) instead of ``scorer_weights`` (the P/D and
            prefix-cache paths; see ``components.serving.picker_configs``).
        active_active: with ``replicas > 1``, all pickers schedule (no leader election); see :func:`epp_deployment`.
        hf_token_secret: Secret with key ``HF_TOKEN`` for the picker's tokenizer plugins (None: none).
        resources: the picker container's ``resources`` (``{"requests": {...}, "limits": {...}}``; default
            :data:`EPP_RESOURCES`, the chart's).

    Raises:
        ValueError: replicas < 1, or scorer weights the config cannot hold (see :func:`endpoint_picker_config`).
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        pool_name: str,
        replicas: int = 2,
        scorer_weights: Mapping[str, int] | None = None,
        verbosity: int = 2,
        image: str = versions.EPP_IMAGE,
        metrics_auth: bool = False,
        config_text: str | None = None,
        active_active: bool = False,
        hf_token_secret: str | None = None,
        resources: Mapping[str, Mapping[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if replicas < 1:
            raise ValueError(f"EndpointPicker {name}: replicas = {replicas}: must be >= 1")
        if config_text is None:
            config_text = endpoint_picker_config(scorer_weights or OPTIMIZED_BASELINE_SCORERS)
        super().__init__("llmd:serving:EndpointPicker", name, None, opts)
        child = child_options(self, opts)
        labels = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "llm-d",
            "app.kubernetes.io/component": "endpoint-picker",
            "app.kubernetes.io/version": versions.LLMD_ROUTER_VERSION,
        }
        selector = {"llm-d.ai/endpoint-picker": name}
        meta = {"name": name, "namespace": namespace, "labels": labels}
        k8s_object(f"{name}-sa", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}, child)
        for obj in _epp_rbac(name, namespace, labels, leader_election=replicas > 1 and not active_active):
            k8s_object(f"{obj['metadata']['name']}-{obj['kind'].lower()}", obj, child)
        k8s_object(
            f"{name}-config",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {CONFIG_FILE: config_text}},
            child,
        )
        self.deployment = k8s_object(
            f"{name}-deployment",
            epp_deployment(
                name=name,
                namespace=namespace,
                pool_name=pool_name,
                replicas=replicas,
                labels=labels,
                selector=selector,
                verbosity=verbosity,
                image=image,
                metrics_auth=metrics_auth,
                active_active=active_active,
                hf_token_secret=hf_token_secret,
                resources=resources,
            ),
            child,
        )
        if replicas > 1:
            k8s_object(
                f"{name}-pdb",
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": meta,
                    "spec": {"minAvailable": 1, "selector": {"matchLabels": dict(selector)}},
                },
                child,
            )
        k8s_object(
            f"{name}-service",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta,
                "spec": {
                    "type": "ClusterIP",
                    "selector": dict(selector),
                    "ports": [
                        {"name": "grpc-ext-proc", "protocol": "TCP", "port": EPP_GRPC_PORT},
                        {"name": "http-metrics", "protocol": "TCP", "port": EPP_METRICS_PORT},
                    ],
                },
            },
            child,
        )
        self.service_name = name
        self.port = EPP_GRPC_PORT
        self.metrics_port = EPP_METRICS_PORT
        self.health_port = EPP_HEALTH_PORT
        self.selector = selector
        self.register_outputs({"serviceName": name, "port": EPP_GRPC_PORT, "replicas": replicas})


def inference_pool_manifest(
    *,
    name: str,
    namespace: str,
    selector: Mapping[str, str],
    endpoint_picker: str,
    target_ports: Sequence[int] = (VLLM_PORT,),
    failure_mode: str = "FailOpen",
    app_protocol: str = "http",
) -> dict[str, Any]:
    """An ``inference.networking.k8s.io/v1`` InferencePool selecting the model servers and naming their EPP on 9002.

    Raises ValueError for a failure mode other than FailOpen / FailClose or an empty target port list.
    """
    if failure_mode not in FAILURE_MODES:
        raise ValueError(f"failure_mode = {failure_mode!r}: allowed: {', '.join(FAILURE_MODES)}")
    if not target_ports:
        raise ValueError("target_ports: at least one port")
    return {
        "apiVersion": versions.INFERENCE_POOL_API_VERSION,
        "kind": "InferencePool",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "targetPorts": [{"number": port} for port in target_ports],
            "appProtocol": app_protocol,
            "selector": {"matchLabels": dict(selector)},
            "endpointPickerRef": {
                "name": endpoint_picker,
                "port": {"number": EPP_GRPC_PORT},
                "failureMode": failure_mode,
            },
        },
    }


class InferencePool(pulumi.ComponentResource):
    """An InferencePool (Gateway API Inference Extension) for one model's servers.

    Type token ``llmd:serving:InferencePool``. ``FailOpen`` by default, as llm-d's guides set it: if the EPP is
    unreachable the gateway still forwards to some server. Outputs: ``name``, ``pool`` (the custom resource).
    Raises ValueError as :func:`inference_pool_manifest`.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        selector: Mapping[str, str],
        endpoint_picker: str,
        target_ports: Sequence[int] = (VLLM_PORT,),
        failure_mode: str = "FailOpen",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        manifest = inference_pool_manifest(
            name=name,
            namespace=namespace,
            selector=selector,
            endpoint_picker=endpoint_picker,
            target_ports=target_ports,
            failure_mode=failure_mode,
        )
        super().__init__("llmd:serving:InferencePool", name, None, opts)
        self.pool = k8s_object(f"{name}-inferencepool", manifest, child_options(self, opts))
        self.name = name
        self.register_outputs({"name": name})


def route_rule(*, pool: str, path_prefix: str = "/", request_timeout: str | None = None) -> dict[str, Any]:
    """One HTTPRoute rule sending ``PathPrefix`` ``path_prefix`` to InferencePool ``pool``.

    Below a prefix other than ``/`` (a second model at ``/qwen3-8b``) the rule rewrites the matched prefix to ``/``
    (filter ``URLRewrite``, path ``ReplacePrefixMatch: /``), so ``/qwen3-8b/v1/completions`` reaches vLLM as
    ``/v1/completions`` (vLLM serves only ``/v1/...``, ``/health``, ``/metrics``; without the rewrite it answers 404).
    Gateway API ``HTTPURLRewriteFilter`` (Extended support; ``ReplacePrefixMatch`` requires a ``PathPrefix`` match,
    gateway-api apis/v1/httproute_types.go); GKE's managed Gateway classes support URL path-prefix rewrites
    (cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities, HTTPRoute filters), as do Istio and
    agentgateway (Gateway API conformance feature ``HTTPRoutePathRewrite``).
    """
    rule: dict[str, Any] = {"matches": [{"path": {"type": "PathPrefix", "value": path_prefix}}]}
    if path_prefix.rstrip("/"):
        rule["filters"] = [
            {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
        ]
    rule["backendRefs"] = [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool}]
    if request_timeout:
        rule["timeouts"] = {"request": request_timeout}
    return rule


class HttpRoute(pulumi.ComponentResource):
    """An HTTPRoute from a Gateway to an InferencePool (``PathPrefix`` match, see :func:`route_rule`).

    Type token ``llmd:serving:HTTPRoute``. Outputs: ``name``. Args: ``gateway`` (name) and ``gateway_namespace``
    (None: the route's namespace), ``pool`` (InferencePool name), ``path_prefix`` (default ``/``; any other prefix is
    rewritten to ``/`` before the request reaches the model servers), ``request_timeout`` (Gateway API duration such
    as ``300s``; None leaves it to the implementation, as on GKE where a GCPBackendPolicy carries the timeout),
    ``section_name`` (the Gateway listener to attach to, e.g. ``https``; None: every listener).
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        gateway: str,
        pool: str,
        gateway_namespace: str | None = None,
        path_prefix: str = "/",
        request_timeout: str | None = None,
        section_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not path_prefix.startswith("/"):
            raise ValueError(f"HttpRoute {name}: path_prefix = {path_prefix!r}: must start with '/'")
        super().__init__("llmd:serving:HTTPRoute", name, None, opts)
        parent_ref: dict[str, Any] = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
        if gateway_namespace:
            parent_ref["namespace"] = gateway_namespace
        if section_name:
            parent_ref["sectionName"] = section_name
        rule = route_rule(pool=pool, path_prefix=path_prefix, request_timeout=request_timeout)
        self.route = k8s_object(
            f"{name}-httproute",
            {
                "apiVersion": versions.GATEWAY_API_GROUP_VERSION,
                "kind": "HTTPRoute",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"parentRefs": [parent_ref], "rules": [rule]},
            },
            child_options(self, opts),
        )
        self.name = name
        self.register_outputs({"name": name})
