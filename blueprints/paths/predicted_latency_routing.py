"""llm-d's predicted-latency-routing well-lit path: optimized-baseline's decode fleet behind an endpoint picker that
routes on predicted latency (named as the upstream guide, ``guides/predicted-latency-routing``).

Upstream (llm-d/llm-d ``guides/predicted-latency-routing``, llm-d v0.9.0):

* The model servers are optimized-baseline's (``README.md`` "Deploy the Model Server"; ``modelserver/gpu/vllm/base/
  patch-vllm.yaml`` adds ``--max-model-len=131072`` and YaRN RoPE scaling through ``--hf-overrides``, which the
  reference stack sets as ``maxModelLen`` / ``extraArgs``): one ``decode`` fleet, Qwen3-32B TP 2.
* The latency predictor is "EPP-side only": the router chart's ``latencyPredictor.enabled: true`` adds a training
  server (8000) and prediction servers (8001..) as sidecars of the endpoint picker's pod, reached on localhost
  (:func:`~pulumi_llmd.components.serving.latency_predictor.latency_predictor_pod`) — no Service, no new network flow.
* The picker's plugins (``router/predicted-latency.values.yaml``, or ``predicted-latency-slo.values.yaml`` with
  ``latencyPredictor.sloAware``): :func:`~pulumi_llmd.components.serving.picker_configs.
  predicted_latency_picker_config`. SLO-aware requests carry ``x-llm-d-slo-ttft-ms`` / ``x-llm-d-slo-tpot-ms``
  (milliseconds); with streaming mode clients send ``"stream": true``.
"""

from __future__ import annotations

import pulumi

from pulumi_llmd.blueprints.config import LatencyPredictorConfig, ModelConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths.optimized_baseline import SingleRolePath
from pulumi_llmd.blueprints.paths.routing import PickerSetup
from pulumi_llmd.blueprints.paths.rules import PathRules, SystemPods, single_role_placement
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.serving.latency_predictor import (
    MAX_PREDICTION_SERVERS,
    LatencyPredictorPod,
    latency_predictor_pod,
)
from pulumi_llmd.components.serving.model_server import LABEL_GUIDE, LABEL_MODEL
from pulumi_llmd.components.serving.picker_configs import (
    PREDICTED_LATENCY_MAX_PREFIX_TOKENS,
    predicted_latency_picker_config,
)

#: The per-request SLO headers of SLO-aware routing, milliseconds (the guide's "Send Requests").
SLO_HEADERS: tuple[str, str] = ("x-llm-d-slo-ttft-ms", "x-llm-d-slo-tpot-ms")


def model_predictor(model: ModelConfig) -> LatencyPredictorConfig:
    """The latency predictor settings of ``model``: its ``latencyPredictor``, or the defaults (routing only)."""
    return model.latency_predictor if model.latency_predictor is not None else LatencyPredictorConfig()


def max_prefix_tokens(model: ModelConfig) -> int:
    """The prefix window: the guide's 262144 tokens, lowered to ``maxModelLen`` when set (the guide: "lower it to
    match your max prompt length")."""
    if model.max_model_len is None:
        return PREDICTED_LATENCY_MAX_PREFIX_TOKENS
    return min(PREDICTED_LATENCY_MAX_PREFIX_TOKENS, model.max_model_len)


class PredictedLatencyRouting(SingleRolePath):
    """One model on the predicted-latency-routing path. Type token ``llmd:paths:PredictedLatencyRouting``.

    Besides :class:`SingleRolePath`'s children (decode servers, HPA, picker, InferencePool, HTTPRoute): the latency
    predictor's two ConfigMaps ``<model>-epp-latency-predictor-training|prediction``; the picker's pod carries the
    training and prediction server sidecars and the picker runs the guide's predicted-latency EndpointPickerConfig.
    Attribute ``predictor``: what the predictor adds (:class:`LatencyPredictorPod`).
    """

    TYPE = "llmd:paths:PredictedLatencyRouting"
    PATH = WellLitPath.PREDICTED_LATENCY_ROUTING

    def _before_servers(
        self, model: ModelConfig, *, namespace: str, hf_token_secret: str | None, opts: pulumi.ResourceOptions
    ) -> None:
        picker = f"{model.name}-epp"
        labels = {
            LABEL_GUIDE: self.PATH.value,
            LABEL_MODEL: model.name,
            "app.kubernetes.io/part-of": "llm-d",
            "app.kubernetes.io/component": "latency-predictor",
        }
        self.predictor: LatencyPredictorPod = latency_predictor_pod(
            picker=picker,
            namespace=namespace,
            labels=labels,
            prediction_servers=model_predictor(model).prediction_servers,
        )
        for manifest in self.predictor.config_maps:
            k8s_object(manifest["metadata"]["name"], manifest, opts)

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        settings = model_predictor(model)
        return PickerSetup(
            config_text=predicted_latency_picker_config(
                slo_aware=settings.slo_aware,
                streaming_mode=settings.streaming_mode,
                max_prefix_tokens=max_prefix_tokens(model),
            ),
            sidecars=self.predictor.containers,
            extra_env=self.predictor.epp_env,
            extra_volumes=self.predictor.volumes,
        )


def predictor_issues(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """``latencyPredictor``: ``predictionServers`` 1..10 (ports 8001..8010 next to the training server's 8000);
    ``sloAware`` with ``streamingMode: false`` is refused (a TPOT SLO needs TPOT predictions, trained only from
    streamed responses: the guide's SLO file). Issues keyed ``<key>.latencyPredictor.<field>``."""
    settings = model.latency_predictor
    if settings is None:
        return []
    where = f"{key}.latencyPredictor"
    issues: list[ConfigIssue] = []
    if isinstance(settings.prediction_servers, bool) or not 1 <= settings.prediction_servers <= MAX_PREDICTION_SERVERS:
        issues.append(
            ConfigIssue(
                key=f"{where}.predictionServers",
                value=settings.prediction_servers,
                message=f"allowed: an integer from 1 to {MAX_PREDICTION_SERVERS} (prediction server sidecars per "
                "endpoint picker)",
            )
        )
    if settings.slo_aware and settings.streaming_mode is False:
        issues.append(
            ConfigIssue(
                key=f"{where}.streamingMode",
                value=False,
                message="allowed: true or unset with sloAware: true (enforcing x-llm-d-slo-tpot-ms needs TPOT "
                "predictions, trained from streamed responses only)",
            )
        )
    return issues


def predictor_sidecars(model: ModelConfig) -> SystemPods:
    """The latency predictor's sidecars on the endpoint picker's pod (the containers :meth:`PredictedLatencyRouting.
    _before_servers` adds, from :func:`~pulumi_llmd.components.serving.latency_predictor.latency_predictor_pod`: a
    training server, 2 CPU / 4Gi requested, and ``predictionServers`` prediction servers, 8 CPU / 4Gi each), sized by
    ``latencyPredictor.predictionServers``; none when that is out of range (:func:`predictor_issues` reports it)."""
    servers = model_predictor(model).prediction_servers
    try:
        pod = latency_predictor_pod(picker=f"{model.name}-epp", namespace="", labels={}, prediction_servers=servers)
    except ValueError:
        return SystemPods()
    return SystemPods(
        picker_sidecars=pod.containers,
        sidecar_key="latencyPredictor.predictionServers",
        sidecar_value=servers,
        sidecar_fix="fewer prediction servers" if servers > 1 else "",
    )


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`): the predictor's keys, one fleet of
#: decode servers sized as optimized-baseline's (:func:`~pulumi_llmd.blueprints.paths.rules.single_role_placement`),
#: and the picker pod with its predictor sidecars on the system pool (:func:`predictor_sidecars`).
RULES = {
    WellLitPath.PREDICTED_LATENCY_ROUTING: PathRules(
        keys=predictor_issues, placement=single_role_placement, system_pods=predictor_sidecars
    )
}
