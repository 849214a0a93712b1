"""llm-d's router in gateway mode: the endpoint picker (EPP), its InferencePool and the HTTPRoute to it.

Objects follow what the ``llm-d-router-gateway`` chart (llm-d/llm-d-router ``config/charts``, v0.9.0) renders for
llm-d's guides, as typed resources instead of an opaque chart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import yaml

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import (
    ArgsError,
    NamedResource,
    component_args,
    count_problem,
    format_problem,
    one_of_problem,
    ref_name,
)
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.serving.model_server import VLLM_PORT, hf_token_env, selector_problem

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
#: Scorer plugins of the llm-d endpoint picker this library configures from ``scorer_weights`` (a weighted
#: ``default`` profile); any other plugin needs a whole EndpointPickerConfig (``config_text``).
KNOWN_SCORERS: tuple[str, ...] = (
    "queue-scorer",
    "kv-cache-utilization-scorer",
    "prefix-cache-scorer",
    "no-hit-lru-scorer",
)
#: Largest scorer weight accepted (the stack file's ``router.scorerWeights`` bound).
MAX_SCORER_WEIGHT = 100
#: InferencePool ``spec.targetPorts``: 1 to 8 ports, each 1..65535 (gateway-api-inference-extension v1 CRD,
#: ``inference.networking.k8s.io_inferencepools.yaml``: ``minItems: 1``, ``maxItems: 8``).
MAX_TARGET_PORTS = 8
#: What a route's path prefix may hold (the stack file's ``route.pathPrefix`` pattern).
_PATH_PREFIX = re.compile(r"^/[A-Za-z0-9/._-]*$")


def scorer_weights_problem(weights: Mapping[str, object]) -> str | None:
    """What is wrong with endpoint-picker scorer weights (the text after ``key = value:``), or None.

    One rule for :class:`EndpointPicker` (``scorer_weights``) and the stack file's ``router.scorerWeights``: at least
    one scorer, every name one of :data:`KNOWN_SCORERS`, every weight an integer in ``0..100``.
    """
    if not weights:
        return "at least one scorer is needed (leave the scorer weights out for the defaults)"
    unknown = sorted(set(weights) - set(KNOWN_SCORERS))
    if unknown:
        return f"unknown scorer(s) {unknown}; allowed: {sorted(KNOWN_SCORERS)}"
    for plugin, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_SCORER_WEIGHT:
            return f"weight of {plugin!r} = {weight!r}: allowed an integer 0..{MAX_SCORER_WEIGHT}"
    return None


def picker_config_problems(config_text: str) -> list[str]:
    """What is wrong with a whole EndpointPickerConfig document (YAML text), as messages; empty when nothing is.

    Checks what the picker would refuse at start-up (llm-d-router ``config/`` loader): a YAML mapping of kind
    ``EndpointPickerConfig``, ``plugins`` a list of entries with a non-empty ``type``, plugin names unique, and every
    ``schedulingProfiles[].plugins[].pluginRef`` naming a declared plugin (its ``name``, else its ``type``) — a
    misspelt reference. Plugin types themselves are the picker's to know (the set grows with every router release).
    """
    try:
        document = yaml.safe_load(config_text)
    except yaml.YAMLError as exc:
        return [f"is not YAML ({str(exc).splitlines()[0]})"]
    if not isinstance(document, Mapping) or document.get("kind") != "EndpointPickerConfig":
        return ["must be an EndpointPickerConfig document (kind: EndpointPickerConfig)"]
    problems: list[str] = []
    plugins = document.get("plugins")
    if not isinstance(plugins, list) or not plugins:
        return ["plugins: at least one plugin is needed"]
    declared: set[str] = set()
    for index, plugin in enumerate(plugins):
        kind = plugin.get("type") if isinstance(plugin, Mapping) else None
        if not isinstance(kind, str) or not kind:
            problems.append(f"plugins[{index}]: needs a non-empty type")
            continue
        plugin_name = plugin.get("name") or kind
        if plugin_name in declared:
            problems.append(f"plugins[{index}]: name {plugin_name!r} is declared twice")
        declared.add(str(plugin_name))
    for p_index, profile in enumerate(document.get("schedulingProfiles") or []):
        refs = profile.get("plugins") if isinstance(profile, Mapping) else None
        for r_index, ref in enumerate(refs or []):
            target = ref.get("pluginRef") if isinstance(ref, Mapping) else None
            if target not in declared:
                problems.append(
                    f"schedulingProfiles[{p_index}].plugins[{r_index}].pluginRef = {target!r}: not a declared plugin; "
                    f"declared: {sorted(declared)}"
                )
    return problems


def path_prefix_problem(prefix: object) -> str | None:
    """What is wrong with an HTTPRoute path prefix (the text after ``key = value:``), or None.

    One rule for :class:`HttpRoute` (``path_prefix``) and the stack file's ``route.pathPrefix``: ``/`` then letters,
    digits, ``/ . _ -`` (at most 1024 characters), no ``//``, ``/./`` or ``/../`` and no trailing ``/.`` or ``/..``
    (Gateway API HTTPRoute path rules, CEL in the HTTPRoute CRD that a schema check does not evaluate: gateway-api
    v1.6.1 ``config/crd/standard/gateway.networking.k8s.io_httproutes.yaml``).
    """
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        return "must start with '/'"
    if len(prefix) > 1024 or not _PATH_PREFIX.match(prefix):
        return "allowed: '/' followed by letters, digits, '/', '.', '_' or '-' (at most 1024 characters)"
    if any(part in prefix for part in ("//", "/./", "/../")) or prefix.endswith(("/.", "/..")):
        return (
            "has an empty, '.' or '..' segment, which the Gateway API rejects; allowed: a normalized path such as "
            "/qwen3"
        )
    return None


def target_ports_problem(ports: object) -> str | None:
    """What is wrong with InferencePool target ports, or None: 1 to :data:`MAX_TARGET_PORTS` integers in
    1..65535 (the InferencePool CRD's bounds)."""
    if isinstance(ports, (str, bytes)) or not isinstance(ports, Sequence) or not 1 <= len(ports) <= MAX_TARGET_PORTS:
        return f"allowed: 1 to {MAX_TARGET_PORTS} ports"
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            return f"port {port!r}: allowed integers 1..65535"
    return None


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
    image: str | None = None,
    metrics_auth: bool = False,
    active_active: bool = False,
    hf_token_secret: str | None = None,
    resources: Mapping[str, Mapping[str, str]] | None = None,
    sidecars: Sequence[Mapping[str, Any]] = (),
    extra_env: Sequence[Mapping[str, Any]] = (),
    extra_volumes: Sequence[Mapping[str, Any]] = (),
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

    Args:
        verbosity: The picker's log verbosity (``--v``). Default: 2.
        image: The picker image. Default: None (the active llm-d release's ``epp`` pin,
            :func:`~pulumi_llmd.components.versions.active_release`).
        metrics_auth: Require a bearer token on the metrics port. Default: False.
        active_active: With ``replicas > 1``, every replica schedules without leader election. Default: False
            (active-passive).
        hf_token_secret: Secret whose ``HF_TOKEN`` key the picker reads. Default: None (no token).
        resources: The container's ``requests``/``limits``. Default: None (:data:`EPP_RESOURCES`).
        sidecars: Containers after the picker's in its pod (e.g. the latency predictor,
            :mod:`~pulumi_llmd.components.serving.latency_predictor`). Default: none.
        extra_env: Environment of the picker container after its own. Default: none.
        extra_volumes: Pod volumes after the picker's config volume. Default: none.
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
        "image": image if image is not None else versions.active_release().epp.ref,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": [
            {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            *hf_token_env(hf_token_secret),
            *(dict(e) for e in extra_env),
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
                    "containers": [container, *(dict(c) for c in sidecars)],
                    "volumes": [
                        {"name": "plugins-config", "configMap": {"name": name}},
                        *(dict(v) for v in extra_volumes),
                    ],
                },
            },
        },
    }


class EndpointPickerArgs(TypedDict, total=False):
    """The arguments of :class:`EndpointPicker` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Namespace of the picker and its InferencePool: a :class:`~pulumi_llmd.components.platform.StackNamespace`
    (every picker object then depends on it, so Pulumi creates the namespace first) or a namespace name."""
    inference_pool: NamedResource | str
    """The InferencePool this picker serves (``--pool-name``): an :class:`InferencePool` (the picker then depends on
    it) or its name. Default: none — give this or its deprecated alias ``pool_name``."""
    pool_name: str
    """Deprecated alias of ``inference_pool`` (a name; "pool" also means an accelerator pool elsewhere).
    Default: none."""
    replicas: int
    """Pickers (pods), >= 1. Default: 2 (leader-elected high availability with a PodDisruptionBudget, as llm-d's
    practice and the ``epp-high-availability`` policy require; 1 runs a single picker without election)."""
    scorer_weights: Mapping[str, int] | None
    """Scorer plugin -> weight (0..100) of the one ``default`` profile; names from :data:`KNOWN_SCORERS`.
    Default: None — the optimized-baseline guide's :data:`OPTIMIZED_BASELINE_SCORERS` (unless ``config_text``)."""
    verbosity: int
    """``--v`` log level, >= 0. Default: 2."""
    image: str
    """The picker image. Default: the active llm-d release's ``epp`` pin
    (:func:`~pulumi_llmd.components.versions.active_release`)."""
    metrics_auth: bool
    """Require a bearer token on the metrics port (see :func:`epp_deployment`). Default: False."""
    config_text: str | None
    """A whole EndpointPickerConfig document (YAML) instead of ``scorer_weights`` (the P/D and prefix-cache paths;
    see ``components.serving.picker_configs``); checked by :func:`picker_config_problems`. Default: None."""
    active_active: bool
    """With ``replicas > 1``, every picker schedules (no leader election); see :func:`epp_deployment`.
    Default: False."""
    hf_token_secret: str | None
    """Secret with key ``HF_TOKEN`` for the picker's tokenizer plugins. Default: None (no token)."""
    resources: Mapping[str, Mapping[str, str]] | None
    """The picker container's ``resources`` (``{"requests": {...}, "limits": {...}}``). Default: None —
    :data:`EPP_RESOURCES`, the chart's (4 CPU / 8Gi requested, 16Gi limit)."""
    sidecars: Sequence[Mapping[str, Any]]
    """Containers added to the picker's pod, e.g. the latency predictor's
    (:func:`~pulumi_llmd.components.serving.latency_predictor.latency_predictor_pod`). Default: none."""
    extra_env: Sequence[Mapping[str, Any]]
    """Environment variables (``{"name", "value"|"valueFrom"}``) added to the picker container. Default: none."""
    extra_volumes: Sequence[Mapping[str, Any]]
    """Volumes added to the picker's pod (what ``sidecars`` mount). Default: none."""


def endpoint_picker_problems(a: EndpointPickerArgs) -> list[str]:
    """Every problem of an :class:`EndpointPicker`'s arguments, as ``"<key> = <value>: <allowed>"`` lines."""
    problems = [
        p
        for p in (
            count_problem("replicas", a.get("replicas", 2)),
            count_problem("verbosity", a.get("verbosity", 2), minimum=0),
        )
        if p
    ]
    if "inference_pool" in a and "pool_name" in a:
        problems.append(
            format_problem("pool_name", a["pool_name"], "a deprecated alias of inference_pool; give only one")
        )
    elif a.get("inference_pool") is None and a.get("pool_name") is None:
        problems.append("inference_pool is required (the InferencePool this picker serves)")
    weights, config_text = a.get("scorer_weights"), a.get("config_text")
    if weights is not None and config_text is not None:
        problems.append(format_problem("config_text", "...", "give scorer_weights or config_text, not both"))
    if weights is not None:
        problem = scorer_weights_problem(weights)
        if problem:
            problems.append(format_problem("scorer_weights", dict(weights), problem))
    if config_text is not None:
        problems += [f"config_text: {p}" for p in picker_config_problems(config_text)]
    return problems


class EndpointPicker(pulumi.ComponentResource):
    """llm-d's endpoint picker (EPP) for one InferencePool.

    Type token ``llmd:serving:EndpointPicker``. Registers a ServiceAccount, Roles and RoleBindings (pods;
    InferencePools and llm-d InferenceObjectives / InferenceModelRewrites; leases and events when
    ``replicas > 1``), a ConfigMap holding the EndpointPickerConfig, the Deployment from :func:`epp_deployment` and a
    ClusterIP Service with ``grpc-ext-proc`` 9002 and ``http-metrics`` 9090, and with ``replicas > 1`` a
    PodDisruptionBudget keeping at least one picker up (the leader hands over through its lease).
    Arguments: :class:`EndpointPickerArgs`.

    Outputs: ``name`` and ``service_name`` (what the InferencePool's ``endpointPickerRef`` names; pass the picker
    itself as ``InferencePool(picker=...)``), ``port`` (9002).

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, replicas < 1,
            scorer weights outside :func:`scorer_weights_problem`, a ``config_text`` with
            :func:`picker_config_problems`, no InferencePool.
    """

    @overload
    def __init__(self, name: str, args: EndpointPickerArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[EndpointPickerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: EndpointPickerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(EndpointPickerArgs, "EndpointPicker", args, kwargs)
        problems = endpoint_picker_problems(a)
        if problems:
            raise ArgsError(f"EndpointPicker {name}", problems)
        namespace, ns_deps = ref_name(a["namespace"], "EndpointPicker", "namespace")
        pool_ref = a.get("inference_pool")
        pool_name, pool_deps = ref_name(
            pool_ref if pool_ref is not None else a.get("pool_name", ""), "EndpointPicker", "inference_pool"
        )
        opts = with_depends_on(opts, [*ns_deps, *pool_deps])
        replicas = a.get("replicas", 2)
        verbosity = a.get("verbosity", 2)
        release = versions.active_release()
        image = a.get("image", release.epp.ref)
        metrics_auth = a.get("metrics_auth", False)
        active_active = a.get("active_active", False)
        hf_token_secret = a.get("hf_token_secret")
        resources = a.get("resources")
        config_text = a.get("config_text")
        if config_text is None:
            config_text = endpoint_picker_config(a.get("scorer_weights") or OPTIMIZED_BASELINE_SCORERS)
        super().__init__("llmd:serving:EndpointPicker", name, None, opts)
        child = child_options(self, opts)
        labels = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "llm-d",
            "app.kubernetes.io/component": "endpoint-picker",
            "app.kubernetes.io/version": release.router_version,
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
                sidecars=a.get("sidecars", ()),
                extra_env=a.get("extra_env", ()),
                extra_volumes=a.get("extra_volumes", ()),
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
        self.name = name
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

    Args:
        target_ports: The model servers' ports (``spec.targetPorts``). Default: ``VLLM_PORT`` (8000).
        failure_mode: What the gateway does when the picker does not answer: FailOpen or FailClose.
            Default: "FailOpen".
        app_protocol: ``spec.appProtocol`` of the model servers. Default: "http".
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


class InferencePoolArgs(TypedDict, total=False):
    """The arguments of :class:`InferencePool` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Namespace of the pool: a :class:`~pulumi_llmd.components.platform.StackNamespace` (the pool then depends on
    it) or a namespace name."""
    selector: Required[Mapping[str, str]]
    """Labels of the model-server pods the pool selects (``ModelServer.labels``); at least one label."""
    picker: EndpointPicker
    """The :class:`EndpointPicker` of this pool (its Service is the pool's ``endpointPickerRef``; the pool then depends
    on it). Default: none — give this or ``endpoint_picker``."""
    endpoint_picker: str
    """The endpoint picker's Service name, when not giving ``picker``. Default: none — give this or ``picker``."""
    target_ports: Sequence[int]
    """Ports of the model servers the pool sends to (1 to 8, each 1..65535). Default: ``(8000,)``, vLLM's port."""
    failure_mode: str
    """What the gateway does when the picker is unreachable: ``FailOpen`` (forward to some server) or ``FailClose``.
    Default: ``"FailOpen"``, as llm-d's guides set it."""


class InferencePool(pulumi.ComponentResource):
    """An InferencePool (Gateway API Inference Extension) for one model's servers.

    Type token ``llmd:serving:InferencePool``. ``FailOpen`` by default, as llm-d's guides set it: if the EPP is
    unreachable the gateway still forwards to some server. Arguments: :class:`InferencePoolArgs`.
    Outputs: ``name``, ``pool`` (the custom resource).

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, an empty selector,
            bad target ports, a failure mode other than FailOpen / FailClose, not exactly one of ``picker`` /
            ``endpoint_picker``.
    """

    @overload
    def __init__(self, name: str, args: InferencePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[InferencePoolArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: InferencePoolArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(InferencePoolArgs, "InferencePool", args, kwargs)
        target_ports = a.get("target_ports", (VLLM_PORT,))
        failure_mode = a.get("failure_mode", "FailOpen")
        problems: list[str] = []
        for key, value, problem in (
            ("selector", a["selector"], selector_problem(a["selector"])),
            ("target_ports", target_ports, target_ports_problem(target_ports)),
        ):
            if problem:
                problems.append(format_problem(key, value, problem))
        mode = one_of_problem("failure_mode", failure_mode, FAILURE_MODES)
        if mode:
            problems.append(mode)
        picker = a.get("picker")
        if (picker is None) == (a.get("endpoint_picker") is None):
            problems.append("give exactly one of picker (an EndpointPicker) or endpoint_picker (its Service name)")
        elif picker is not None and not isinstance(picker, EndpointPicker):
            problems.append(format_problem("picker", picker, "must be an EndpointPicker"))
        if problems:
            raise ArgsError(f"InferencePool {name}", problems)
        namespace, deps = ref_name(a["namespace"], "InferencePool", "namespace")
        endpoint_picker = picker.service_name if picker is not None else a.get("endpoint_picker", "")
        if picker is not None:
            deps.append(picker)
        opts = with_depends_on(opts, deps)
        manifest = inference_pool_manifest(
            name=name,
            namespace=namespace,
            selector=a["selector"],
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

    Args:
        pool: The InferencePool's name.
        path_prefix: The ``PathPrefix`` matched. Default: "/".
        request_timeout: Gateway API request timeout (a duration such as ``300s``). Default: None (the
            implementation's).
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


class HttpRouteArgs(TypedDict, total=False):
    """The arguments of :class:`HttpRoute` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Namespace of the route: a :class:`~pulumi_llmd.components.platform.StackNamespace` (the route then depends on
    it) or a namespace name."""
    gateway: Required[NamedResource | str]
    """The Gateway the route attaches to: an :class:`~pulumi_llmd.components.platform.InferenceGateway` (the route
    then depends on it, and takes its namespace when ``gateway_namespace`` is not given) or a Gateway name."""
    pool: Required[NamedResource | str]
    """The InferencePool requests go to: an :class:`InferencePool` (the route then depends on it) or its name."""
    gateway_namespace: str | None
    """Namespace of the Gateway. Default: None — the Gateway object's namespace, else the route's own."""
    path_prefix: str
    """``PathPrefix`` the route matches; any prefix other than ``/`` is rewritten to ``/`` before the request reaches
    the model servers (see :func:`route_rule`; checked by :func:`path_prefix_problem`). Default: ``"/"``."""
    request_timeout: str | None
    """Gateway API request timeout (a duration such as ``300s``). Default: None — left to the implementation (on GKE a
    GCPBackendPolicy carries it)."""
    section_name: str | None
    """The Gateway listener to attach to (e.g. ``https``). Default: None — every listener (an
    ``InferenceGateway``'s ``route_listener`` is the usual value)."""


class HttpRoute(pulumi.ComponentResource):
    """An HTTPRoute from a Gateway to an InferencePool (``PathPrefix`` match, see :func:`route_rule`).

    Type token ``llmd:serving:HTTPRoute``. Arguments: :class:`HttpRouteArgs`. Outputs: ``name``.

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, a path prefix
            :func:`path_prefix_problem` refuses.
    """

    @overload
    def __init__(self, name: str, args: HttpRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[HttpRouteArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: HttpRouteArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(HttpRouteArgs, "HttpRoute", args, kwargs)
        path_prefix = a.get("path_prefix", "/")
        problem = path_prefix_problem(path_prefix)
        if problem:
            raise ArgsError(f"HttpRoute {name}", [format_problem("path_prefix", path_prefix, problem)])
        namespace, ns_deps = ref_name(a["namespace"], "HttpRoute", "namespace")
        gateway_ref = a["gateway"]
        gateway, gateway_deps = ref_name(gateway_ref, "HttpRoute", "gateway")
        pool, pool_deps = ref_name(a["pool"], "HttpRoute", "pool")
        gateway_namespace = a.get("gateway_namespace")
        if gateway_namespace is None and not isinstance(gateway_ref, str):
            object_namespace = getattr(gateway_ref, "namespace", None)
            if isinstance(object_namespace, str) and object_namespace != namespace:
                gateway_namespace = object_namespace
        request_timeout = a.get("request_timeout")
        section_name = a.get("section_name")
        opts = with_depends_on(opts, [*ns_deps, *gateway_deps, *pool_deps])
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
