"""Horizontal autoscaling of model servers on an AI-serving metric (``autoscaling/v2`` HorizontalPodAutoscaler).

llm-d's workload-autoscaling path and GKE's "autoscale LLM inference" guidance scale vLLM on queue depth:
``vllm:num_requests_waiting`` per pod (scale out before requests queue) rather than CPU or GPU utilisation. The
metric name depends on the adapter (on GKE ``prometheus.googleapis.com|vllm:num_requests_waiting|gauge`` through
the Custom Metrics - Stackdriver Adapter), so it is a parameter here. Scale-down is slow (model loads take minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def epp_queries(selector: dict[str, str]) -> dict[str, str]:
    """The guide's two PromQL queries, trigger name -> query: ``epp-queue-size`` (``sum`` of
    :data:`EPP_QUEUE_METRIC`) and ``epp-running-requests`` (``sum`` of :data:`EPP_RUNNING_METRIC`), each with the
    label matchers ``selector`` in order. The guide pins ``namespace``, the picker's metrics ``service`` (a
    ServiceMonitor's label) and the served ``model_name`` ("Always pin namespace"; the running-request metric has no
    ``inference_pool`` label). Source: keda-epp-queue/optimized-baseline/base/scaledobject.yaml. Raises ValueError
    for an empty selector."""
    if not selector:
        raise ValueError("epp_queries: selector needs at least the namespace label")
    selector_text = ",".join(f'{key}="{value}"' for key, value in selector.items())
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
        target_kind: The scale target's ``(apiVersion, kind)``. Default: ``("apps/v1", "Deployment")``.

    Raises:
        ValueError: ``0 <= min_replicas <= max_replicas`` and ``max_replicas >= 1`` do not hold, no query, or a
            query without a threshold.
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
    window = {"type": "Percent", "value": 100, "periodSeconds": 15}
    triggers: list[dict[str, Any]] = []
    for trigger, query in queries.items():
        entry: dict[str, Any] = {
            "type": "prometheus",
            "name": trigger,
            "metricType": "AverageValue",
            "metadata": {"serverAddress": server_address, "query": query, "threshold": thresholds[trigger]},
        }
        if authentication is not None:
            entry["authenticationRef"] = {"name": authentication}
        triggers.append(entry)
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": target_kind[0], "kind": target_kind[1], "name": deployment},
            "pollingInterval": KEDA_POLLING_INTERVAL,
            "cooldownPeriod": KEDA_COOLDOWN_PERIOD,
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "name": hpa_name or f"keda-hpa-{name}",
                    "behavior": {
                        "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [window]},
                        "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [window]},
                    },
                }
            },
            "triggers": triggers,
        },
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
    """

    server_address: str
    picker_label: tuple[str, str]
    trigger_authentication: dict[str, Any] | None = None
    workload_identity_project: str | None = None
