"""Horizontal autoscaling of model servers on an AI-serving metric (``autoscaling/v2`` HorizontalPodAutoscaler).

llm-d's workload-autoscaling path and GKE's "autoscale LLM inference" guidance scale vLLM on queue depth:
``vllm:num_requests_waiting`` per pod (scale out before requests queue) rather than CPU or GPU utilisation. The
metric name depends on the adapter (on GKE ``prometheus.googleapis.com|vllm:num_requests_waiting|gauge`` through
the Custom Metrics - Stackdriver Adapter), so it is a parameter here. Scale-down is slow (model loads take minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on

#: vLLM's queue-depth gauge (requests waiting for a batch slot), the throughput-oriented scaling signal.
VLLM_WAITING_METRIC = "vllm:num_requests_waiting"


def hpa_manifest(
    *,
    name: str,
    namespace: str,
    deployment: str,
    metric: str,
    target_average: int | str,
    min_replicas: int,
    max_replicas: int,
    scale_down_window_seconds: int = 600,
    target_kind: tuple[str, str] = ("apps/v1", "Deployment"),
) -> dict[str, Any]:
    """An HPA on a Pods metric (average per pod) for ``deployment`` (pure function); ``target_kind`` is the scale
    target's ``(apiVersion, kind)``, e.g. ``("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet")`` (LWS has the scale
    subresource; one replica is one group).

    Scale-up adds at most 4 pods a minute without stabilisation; scale-down removes one pod per 5 minutes after a
    ``scale_down_window_seconds`` window. Raises ValueError when ``1 <= min_replicas <= max_replicas`` does not hold
    or the metric name is empty.

    Args:
        scale_down_window_seconds: Scale-down ``stabilizationWindowSeconds``, seconds. Default: 600 (10 minutes).
        target_kind: The scale target's ``(apiVersion, kind)``. Default: ``("apps/v1", "Deployment")``.
    """
    if not 1 <= min_replicas <= max_replicas:
        raise ValueError(
            f"HPA {name}: min_replicas = {min_replicas}, max_replicas = {max_replicas}: need 1 <= min <= max"
        )
    if not metric:
        raise ValueError(f"HPA {name}: metric is required")
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": target_kind[0], "kind": target_kind[1], "name": deployment},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": metric},
                        "target": {"type": "AverageValue", "averageValue": str(target_average)},
                    },
                }
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": scale_down_window_seconds,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
                },
            },
        },
    }


class ModelServerAutoscalerArgs(TypedDict, total=False):
    """The arguments of :class:`ModelServerAutoscaler` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    deployment: Required[NamedResource | str]
    """The workload to scale: a :class:`~pulumi_llmd.components.serving.ModelServer` (the HPA then depends
    on it) or its Deployment's name (a LeaderWorkerSet's with ``target_kind``)."""
    metric: Required[str]
    """The Pods metric as the metrics adapter names it (e.g. :data:`VLLM_WAITING_METRIC`; on GKE
    ``prometheus.googleapis.com|vllm:num_requests_waiting|gauge``); not empty."""
    min_replicas: Required[int]
    """Fewest replicas, >= 1."""
    max_replicas: Required[int]
    """Most replicas, >= ``min_replicas``; keep ``max_replicas`` x devices per pod within the pool's
    capacity."""
    target_average: int | str
    """Per-pod average of ``metric`` that triggers scale-out. Default: 5 (waiting requests)."""
    target_kind: tuple[str, str]
    """The scale target's ``(apiVersion, kind)``, e.g. ``("leaderworkerset.x-k8s.io/v1",
    "LeaderWorkerSet")``. Default: ``("apps/v1", "Deployment")``."""


class ModelServerAutoscaler(pulumi.ComponentResource):
    """An HPA for one :class:`~pulumi_llmd.components.serving.ModelServer` fleet. Type ``llmd:serving:Autoscaler``.

    Arguments: :class:`ModelServerAutoscalerArgs`. Create the ModelServer
    with ``autoscaled=True`` so Pulumi leaves ``spec.replicas`` to the HPA. Raises ValueError as :func:`hpa_manifest`.
    """

    @overload
    def __init__(
        self, name: str, args: ModelServerAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ModelServerAutoscalerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ModelServerAutoscalerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ModelServerAutoscalerArgs, "ModelServerAutoscaler", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "ModelServerAutoscaler", "namespace")
        ref_deployment = a["deployment"]
        deployment, deployment_deps = ref_name(ref_deployment, "ModelServerAutoscaler", "deployment")
        metric = a["metric"]
        min_replicas = a["min_replicas"]
        max_replicas = a["max_replicas"]
        target_average = a.get("target_average", 5)
        target_kind = a.get("target_kind", ("apps/v1", "Deployment"))
        opts = with_depends_on(opts, [*namespace_deps, *deployment_deps])
        manifest = hpa_manifest(
            name=name,
            namespace=namespace,
            deployment=deployment,
            metric=metric,
            target_average=target_average,
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            target_kind=target_kind,
        )
        super().__init__("llmd:serving:Autoscaler", name, None, opts)
        k8s_object(f"{name}-hpa", manifest, child_options(self, opts))
        self.register_outputs({"metric": metric, "minReplicas": min_replicas, "maxReplicas": max_replicas})


# --- KEDA on the endpoint picker's metrics (llm-d workload-autoscaling, "KEDA + EPP Metrics", queue-based) ---------

#: KEDA's API group/version of ScaledObject and TriggerAuthentication (kedacore/keda v2.20.2 config/crd/bases).
KEDA_API_VERSION = "keda.sh/v1alpha1"
#: The EPP's Flow Control queue depth (requests waiting for backend capacity) and running requests per model
#: (llm-d/llm-d guides/workload-autoscaling/keda-epp-queue/README.md "Overview").
EPP_QUEUE_METRIC = "llm_d_epp_flow_control_queue_size"
EPP_RUNNING_METRIC = "llm_d_epp_request_running"
#: The guide's thresholds (per replica, ``AverageValue``): queue 1, running requests 16
#: (keda-epp-queue/optimized-baseline/base/scaledobject.yaml).
EPP_QUEUE_THRESHOLD = "1"
EPP_RUNNING_THRESHOLD = "16"
#: The guide's polling interval and cooldown, seconds (same file).
KEDA_POLLING_INTERVAL = 15
KEDA_COOLDOWN_PERIOD = 300


def label_matchers(selector: dict[str, str]) -> str:
    """PromQL label matchers for ``selector`` in order: ``key="value"``, or ``key=~"regex"`` for a value written
    ``~regex`` (e.g. ``{"pod": "~m-epp-.*"}``). Pure."""
    return ",".join(
        f'{key}=~"{value[1:]}"' if value.startswith("~") else f'{key}="{value}"' for key, value in selector.items()
    )


def epp_queries(selector: dict[str, str]) -> dict[str, str]:
    """The guide's two PromQL queries, trigger name -> query: ``epp-queue-size`` (``sum`` of
    :data:`EPP_QUEUE_METRIC`) and ``epp-running-requests`` (``sum`` of :data:`EPP_RUNNING_METRIC`), each with the
    label matchers ``selector`` in order. The guide pins ``namespace``, the picker's metrics ``service`` (a
    ServiceMonitor's label) and the served ``model_name`` ("Always pin namespace"; the running-request metric has no
    ``inference_pool`` label). Source: keda-epp-queue/optimized-baseline/base/scaledobject.yaml. Raises ValueError
    for an empty selector."""
    if not selector:
        raise ValueError("epp_queries: selector needs at least the namespace label")
    selector_text = label_matchers(selector)
    return {
        "epp-queue-size": f"sum({EPP_QUEUE_METRIC}{{{selector_text}}})",
        "epp-running-requests": f"sum({EPP_RUNNING_METRIC}{{{selector_text}}})",
    }


def keda_scaled_object_manifest(
    *,
    name: str,
    namespace: str,
    deployment: str,
    server_address: str,
    queries: dict[str, str],
    thresholds: dict[str, str],
    min_replicas: int,
    max_replicas: int,
    authentication: str | None = None,
    hpa_name: str | None = None,
    target_kind: tuple[str, str] = ("apps/v1", "Deployment"),
    cooldown_period: int = KEDA_COOLDOWN_PERIOD,
    behavior: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    trigger_metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A KEDA ``ScaledObject`` (``keda.sh/v1alpha1``) scaling ``deployment`` on Prometheus queries (pure function).

    As llm-d's keda-epp-queue guide writes it: ``pollingInterval`` 15 s, ``cooldownPeriod`` 300 s, the generated HPA
    named ``hpa_name`` (default ``keda-hpa-<name>``) scaling up by 100 % per 15 s without a window and down by 100 %
    per 15 s after a 300 s window; one ``prometheus`` trigger per query (``metricType: AverageValue``, the threshold
    per replica, ``authenticationRef`` = ``authentication`` when given). ``min_replicas`` 0 is scale to zero (KEDA
    activates on the first trigger; the guide allows it on the queue path).

    Args:
        authentication: The TriggerAuthentication every trigger names. Default: None (no ``authenticationRef``).
        hpa_name: The generated HPA's name. Default: None (``keda-hpa-<name>``).
        target_kind: The scale target's ``(apiVersion, kind)``, e.g. ``("disaggregatedset.x-k8s.io/v1",
            "DisaggregatedSetRoleScaler")``. Default: ``("apps/v1", "Deployment")``.
        cooldown_period: Seconds KEDA waits after the last active trigger before scaling to zero (only read with
            ``min_replicas`` 0). Default: 300 (the guide's, and KEDA's).
        behavior: The generated HPA's ``behavior``. Default: None (the queue guide's 100 % per 15 s both ways,
            scale-down after a 300 s window).
        labels: The ScaledObject's labels. Default: None (none).
        trigger_metadata: More ``metadata`` keys of every trigger (e.g. the token-aware guide's
            ``activationThreshold: "0"``, ``unsafeSsl: "false"``). Default: None (none).

    Raises:
        ValueError: ``0 <= min_replicas <= max_replicas`` and ``max_replicas >= 1`` do not hold, no query, a
            query without a threshold, or a negative ``cooldown_period``.
    """
    if not (0 <= min_replicas <= max_replicas and max_replicas >= 1):
        raise ValueError(
            f"ScaledObject {name}: min_replicas = {min_replicas}, max_replicas = {max_replicas}: "
            "need 0 <= min <= max and max >= 1"
        )
    if not queries:
        raise ValueError(f"ScaledObject {name}: at least one query is required")
    missing = sorted(set(queries) - set(thresholds))
    if missing:
        raise ValueError(f"ScaledObject {name}: queries {missing} have no threshold")
    if cooldown_period < 0:
        raise ValueError(f"ScaledObject {name}: cooldown_period = {cooldown_period}: need >= 0 seconds")
    window = {"type": "Percent", "value": 100, "periodSeconds": 15}
    if behavior is None:
        behavior = {
            "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [window]},
            "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [window]},
        }
    triggers: list[dict[str, Any]] = []
    for trigger, query in queries.items():
        entry: dict[str, Any] = {
            "type": "prometheus",
            "name": trigger,
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": server_address,
                "query": query,
                "threshold": thresholds[trigger],
                **(trigger_metadata or {}),
            },
        }
        if authentication is not None:
            entry["authenticationRef"] = {"name": authentication}
        triggers.append(entry)
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": namespace, **({"labels": dict(labels)} if labels else {})},
        "spec": {
            "scaleTargetRef": {"apiVersion": target_kind[0], "kind": target_kind[1], "name": deployment},
            "pollingInterval": KEDA_POLLING_INTERVAL,
            "cooldownPeriod": cooldown_period,
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "name": hpa_name or f"keda-hpa-{name}",
                    "behavior": behavior,
                }
            },
            "triggers": triggers,
        },
    }


#: Saturation-based variant (llm-d/llm-d guides/workload-autoscaling/keda-epp-saturation/optimized-baseline/base/
#: scaledobject.yaml): the pool's normalised saturation (0.0-1.0+, needs the picker's ``flowControl`` gate) threshold
#: 0.7 ("Recommended: 0.7-0.8") and running requests threshold 16, each trigger with ``activationThreshold: "0"``.
EPP_SATURATION_METRIC = "llm_d_epp_flow_control_pool_saturation"
EPP_SATURATION_THRESHOLD = "0.7"
#: Every trigger of the saturation and token-aware guides sets these metadata keys (never skip TLS verification).
GUIDE_TRIGGER_METADATA: dict[str, str] = {"activationThreshold": "0", "unsafeSsl": "false"}


def saturation_queries(*, namespace: str, pool: str, model_name: str) -> dict[str, str]:
    """The saturation guide's two queries, trigger name -> query: ``pool-saturation``
    ``max(llm_d_epp_flow_control_pool_saturation{inference_pool=<pool>,namespace=<ns>})`` and ``running-requests``
    ``sum(llm_d_epp_request_running{model_name=<model>,namespace=<ns>})`` ("Both queries pin namespace"). Source:
    keda-epp-saturation/optimized-baseline/base/scaledobject.yaml. Raises ValueError for an empty argument."""
    if not (namespace and pool and model_name):
        raise ValueError("saturation_queries: namespace, pool and model_name must be non-empty")
    return {
        "pool-saturation": f'max({EPP_SATURATION_METRIC}{{inference_pool="{pool}",namespace="{namespace}"}})',
        "running-requests": f'sum({EPP_RUNNING_METRIC}{{model_name="{model_name}",namespace="{namespace}"}})',
    }


# --- token-aware, per role for P/D (llm-d/llm-d guides/workload-autoscaling/keda-epp-token-aware/pd-disaggregation) -

#: The picker's per-endpoint prefill backlog in uncached prompt tokens, published by the ``inflight-load-producer``
#: plugin (keda-epp-token-aware/README.md "Metrics").
EPP_INFLIGHT_TOKENS_METRIC = "llm_d_epp_inflight_tokens"
#: vLLM's per-pod KV-cache occupancy (0.0-1.0), the decode signal.
VLLM_KV_CACHE_USAGE_METRIC = "vllm:kv_cache_usage_perc"
#: The guide's ``peakPrefillThroughput`` divisor, prompt tokens per second one prefill replica retires: the
#: pd-disaggregation guide's reference figure (gpt-oss-120b, 8 x prefill TP=1 on H200, chunk 8192, measured through
#: the full P/D path). Recalibrate for other hardware and models (guides/recipes/router/calibration/calibrate.sh):
#: "a wrong divisor silently changes when prefill scales".
PEAK_PREFILL_THROUGHPUT_DEFAULT = 33821
#: Per-replica thresholds (``AverageValue``): prefill 1.5 seconds of backlog, decode 0.8 pods' worth of full KV cache.
TOKEN_AWARE_PREFILL_THRESHOLD = "1.5"
TOKEN_AWARE_DECODE_THRESHOLD = "0.8"
#: Trigger names of the guide's two ScaledObjects.
PREFILL_TRIGGER = "prefill-backlog-seconds"
DECODE_TRIGGER = "decode-kv-utilization"
#: The guide's HPA behaviour for both roles: up at most 1 pod per 180 s (no window), down at most 1 pod per 300 s
#: after a 300 s window ("Model weights take minutes to load").
TOKEN_AWARE_BEHAVIOR: dict[str, Any] = {
    "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 180}]},
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
    },
}
#: The DisaggregatedSet's per-role scale target: the controller creates a ``DisaggregatedSetRoleScaler`` named
#: ``<disaggregatedset>-<role>`` (with the ``/scale`` subresource) for every role with ``scaling.mode: External``;
#: HPA or KEDA point at it, never at the role's revision-named LeaderWorkerSet (kubernetes-sigs/lws
#: ``api/disaggregatedset/v1/disaggregatedset_types.go`` RoleScalingExternal; ``site/content/en/docs/concepts/
#: disaggregatedset/role-scaler/_index.md``; ``site/content/en/docs/examples/disaggregatedset/autoscaling/_index.md``:
#: "KEDA can drive the same DisaggregatedSetRoleScaler ... Don't target the role's child LeaderWorkerSet").
DS_ROLE_SCALER_TARGET: tuple[str, str] = ("disaggregatedset.x-k8s.io/v1", "DisaggregatedSetRoleScaler")


def epp_prunes_inflight_series(router_version: str) -> bool:
    """Whether an endpoint picker of ``router_version`` (e.g. ``v0.10.0``) prunes ``llm_d_epp_inflight_tokens`` series
    of removed endpoints: llm-d-router #2577 (fixing #2529) merged after v0.10.0, so only versions above v0.10.0
    (or an untagged ``main``) do (keda-epp-token-aware/README.md "Endpoint-removal note for older EPP images").
    A version that is not ``vMAJOR.MINOR.PATCH`` counts as newer. Pure."""
    parts = router_version.removeprefix("v").split("-")[0].split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return True
    return tuple(int(p) for p in parts) > (0, 10, 0)


def token_aware_queries(
    *,
    namespace: str,
    model: str,
    pool: str,
    peak_prefill_throughput: int = PEAK_PREFILL_THROUGHPUT_DEFAULT,
    epp_prunes_series: bool = True,
    decode_ranks: int = 1,
) -> dict[str, str]:
    """The token-aware guide's per-role queries, role -> PromQL (pure function).

    * ``prefill``: ``(sum(llm_d_epp_inflight_tokens{namespace, producer_name="inflight-load-producer",
      endpoint_name=~<prefill pods>}) / peak_prefill_throughput) or vector(0)``, seconds of prefill backlog;
    * ``decode``: ``sum(vllm:kv_cache_usage_perc{namespace, pod=~<decode pods>}) or vector(0)``.

    ``sum()`` (not ``max``/``avg``) so the numerator grows with the pool and ``or vector(0)`` collapses to the single
    series KEDA needs; ``namespace`` always pinned. The guide's ``.*prefill.*`` / ``.*decode.*`` selectors are narrowed
    to this model's pods (``.*<model>-.*prefill.*``: a Deployment's ``<model>-prefill-...`` and a DisaggregatedSet's
    ``<model>-<slice>-<revision>-prefill-...`` pods), so two P/D models in one namespace do not scale on each other.

    The plain ``sum()`` of the prefill query needs an endpoint picker newer than v0.10.0 (llm-d-router #2577 prunes
    removed endpoints' series; before it a scaled-down prefill pod leaves a frozen series and prefill never scales
    back down). With ``epp_prunes_series`` False (a picker <= v0.10.0) the numerator is the README's
    liveness-intersection workaround instead: the backlog series ``and on (target_pod)`` the picker's live
    ``llm_d_epp_per_endpoint_queue_size{name=<pool>}`` series (keda-epp-token-aware/README.md "Endpoint-removal note
    for older EPP images"). Sources: keda-epp-token-aware/pd-disaggregation/base/{prefill,decode}-scaledobject.yaml.

    Args:
        peak_prefill_throughput: Prompt tokens/s one prefill replica retires (the divisor). Default: 33821 (the
            guide's gpt-oss-120b / H200 reference figure; recalibrate).
        epp_prunes_series: Whether the picker prunes removed endpoints' series. Default: True.
        decode_ranks: vLLM engines (data-parallel ranks) in one decode replica; the decode sum is divided by it so
            the value stays "replicas' worth of full KV cache" (wide-EP: one replica is a LeaderWorkerSet group of
            ``dataParallelSize`` ranks, each reporting its own ``vllm:kv_cache_usage_perc``). Default: 1 (P/D: one
            engine per pod).

    Raises:
        ValueError: an empty namespace, model or pool, or ``peak_prefill_throughput`` or ``decode_ranks`` < 1.
    """
    if not (namespace and model and pool):
        raise ValueError("token_aware_queries: namespace, model and pool must be non-empty")
    if peak_prefill_throughput < 1:
        raise ValueError(f"token_aware_queries: peak_prefill_throughput = {peak_prefill_throughput}: need >= 1")
    if decode_ranks < 1:
        raise ValueError(f"token_aware_queries: decode_ranks = {decode_ranks}: need >= 1")
    prefill_selector = label_matchers(
        {
            "namespace": namespace,
            "producer_name": "inflight-load-producer",
            "endpoint_name": f"~.*{model}-.*prefill.*",
        }
    )
    backlog = f"{EPP_INFLIGHT_TOKENS_METRIC}{{{prefill_selector}}}"
    if not epp_prunes_series:
        backlog = (
            f'label_replace({backlog}, "target_pod", "$1", "endpoint_name", "(.+)") and on (target_pod) '
            f'label_replace(llm_d_epp_per_endpoint_queue_size{{name="{pool}",namespace="{namespace}"}}, '
            '"target_pod", "$1", "model_server_endpoint", "(.+)")'
        )
    decode_selector = label_matchers({"namespace": namespace, "pod": f"~.*{model}-.*decode.*"})
    decode = f"sum({VLLM_KV_CACHE_USAGE_METRIC}{{{decode_selector}}})"
    return {
        "prefill": f"(sum({backlog}) / {peak_prefill_throughput}) or vector(0)",
        "decode": f"({decode} / {decode_ranks}) or vector(0)" if decode_ranks > 1 else f"{decode} or vector(0)",
    }


@dataclass(frozen=True)
class KedaPrometheus:
    """Where a target's KEDA Prometheus triggers query the picker's metrics, and how.

    Attributes:
        server_address: The PromQL API (``serverAddress``).
        picker_label: The scrape label naming the picker's metrics target, and how its value is made from the model
            name (``{model}`` is replaced), e.g. ``("job", "{model}-epp")`` for a managed-Prometheus PodMonitoring.
        trigger_authentication: The ``TriggerAuthentication`` spec. Default: None (none, no ``authenticationRef``).
        workload_identity_project: The GCP project where KEDA's operator is granted ``roles/monitoring.viewer``.
            Default: None.
        client_certificate_issuer: The ClusterIssuer that signs KEDA's client certificate for an HTTPS Prometheus
            (e.g. ``llm-d-internal-ca``): the path then issues Certificate :data:`KEDA_CLIENT_SECRET` into the stack
            namespace and the ``TriggerAuthentication`` reads ``ca``, ``cert`` and ``key`` from its Secret
            (:func:`keda_tls_trigger_authentication`). Default: None (none).
        trigger_metadata: ``metadata`` keys every trigger gets (e.g. ``authModes: tls``). Default: none.
    """

    server_address: str
    picker_label: tuple[str, str]
    trigger_authentication: dict[str, Any] | None = None
    workload_identity_project: str | None = None
    client_certificate_issuer: str | None = None
    trigger_metadata: dict[str, str] = field(default_factory=dict)


#: The Secret (and Certificate) holding KEDA's client certificate for Prometheus in the stack namespace.
KEDA_CLIENT_SECRET = "keda-prometheus-client"


def keda_tls_trigger_authentication(secret: str = KEDA_CLIENT_SECRET) -> dict[str, Any]:
    """A ``TriggerAuthentication`` spec for KEDA's Prometheus scaler with ``authModes: tls`` (pure): ``ca`` (verify
    Prometheus' certificate), ``cert`` and ``key`` (KEDA's client certificate), all from the cert-manager Secret
    ``secret`` (keys ``ca.crt``, ``tls.crt``, ``tls.key``). Sources: keda.sh/docs/2.20/scalers/prometheus
    "Authentication Parameters" (TLS: ``authModes`` ``tls``, ``ca``, ``cert``, ``key``); kedacore/keda
    ``pkg/scalers/prometheus_scaler.go`` (``authentication.TLSAuthType``); llm-d's keda-epp-queue
    ``scaledobject.yaml`` TriggerAuthentication (``ca`` from ``ca.crt``, "Extend ... for mTLS").

    Args:
        secret: The cert-manager Secret. Default: ``"keda-prometheus-client"`` (:data:`KEDA_CLIENT_SECRET`).
    """
    return {
        "secretTargetRef": [
            {"parameter": "ca", "name": secret, "key": "ca.crt"},
            {"parameter": "cert", "name": secret, "key": "tls.crt"},
            {"parameter": "key", "name": secret, "key": "tls.key"},
        ]
    }
