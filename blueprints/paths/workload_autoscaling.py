"""llm-d's workload-autoscaling well-lit path, "KEDA + EPP Metrics", queue-based (upstream's recommended variant).

Upstream (llm-d/llm-d ``guides/workload-autoscaling``, llm-d v0.9.0):

* ``README.md`` "Paths": "KEDA + EPP Metrics (Recommended)"; of its variants this builds the queue-based one
  (``keda-epp-queue/``), the one whose scale to zero the table marks "Supported" (saturation-based: "Needs
  Validation"). WVA is deprecated for it (``docs/architecture/autoscaling/wva-deprecated.md``).
* The model servers are optimized-baseline's (``keda-epp-queue/README.md`` prerequisites: "Complete the
  optimized-baseline guide"); the router is upgraded with ``router.values.yaml``: an EndpointPickerConfig with the
  ``flowControl`` feature gate and the baseline's scorers (queue 2, kv-cache utilisation 2, prefix cache 3, no-hit
  LRU 2), so the picker emits ``llm_d_epp_flow_control_queue_size``.
* KEDA (the active llm-d release's ``keda_chart``) and one ``ScaledObject`` per model-server Deployment
  (``keda-epp-queue/optimized-baseline/base/scaledobject.yaml``): ``pollingInterval`` 15, ``cooldownPeriod`` 300,
  ``minReplicaCount`` 1 (here the model's ``replicas``), ``maxReplicaCount`` 8 (here what the pool holds at its
  largest), two ``prometheus`` triggers with ``metricType: AverageValue``: ``epp-queue-size``
  ``sum(llm_d_epp_flow_control_queue_size{...})`` threshold 1 and ``epp-running-requests``
  ``sum(llm_d_epp_request_running{...})`` threshold 16; the generated HPA ``keda-hpa-<name>`` scales up 100 % per
  15 s (no window) and down 100 % per 15 s after 300 s. "Do not create a separate HPA": the vLLM-queue HPA of the
  other paths is not made for this model.
* Prometheus: the guide's example is the bundled kube-prometheus-stack over HTTPS with a CA-only
  ``TriggerAuthentication``; its "Platform notes" say to point ``serverAddress`` and the authentication at the
  platform's Prometheus. On GKE the stack's monitoring is Google Cloud Managed Service for Prometheus (the picker's
  PodMonitoring ``<model>-epp``), so the triggers query its API
  ``https://monitoring.googleapis.com/v1/projects/<project>/location/global/prometheus`` with a
  ``TriggerAuthentication`` ``podIdentity.provider: gcp`` (KEDA docs, Prometheus scaler, "Google Managed
  Prometheus"), and the selector names the PodMonitoring's ``job`` label instead of a ServiceMonitor's ``service``.
  On EKS and existing clusters the triggers read the kube-prometheus-stack the library installs over HTTPS
  (``authModes: tls``: KEDA verifies Prometheus against the cluster-internal CA and presents a client certificate
  cert-manager issues in the stack namespace), behind a NetworkPolicy
  (:meth:`pulumi_llmd.blueprints.targets.Target.keda_prometheus` says why), naming the picker's series by its pods.
* ``llmd:models[i].autoscaling`` (:class:`~pulumi_llmd.blueprints.config.ModelAutoscalingConfig`): ``metric:
  saturation`` builds keda-epp-saturation's ScaledObject instead (``max(llm_d_epp_flow_control_pool_saturation)``
  threshold 0.7 + running requests 16; same flowControl picker); ``minReplicas``/``maxReplicas`` bound the fleet;
  ``minReplicas: 0`` scales to zero on the queue metric only (the guide's "Optional: Scale to Zero"; the saturation
  variant's scale to zero "Needs Validation", the HPA cannot without the alpha ``HPAScaleToZero`` gate), KEDA
  waiting ``cooldownPeriod`` (default 300 s). The Deployment still starts at ``replicas`` (>= 1): the first deploy
  proves the model loads ("Set minReplicaCount: 0 only after validating scale-up from one replica"), then KEDA takes
  it to zero when idle. ``autoscaler: hpa`` keeps the legacy HPA on vLLM's ``vllm:num_requests_waiting`` (the other
  paths' form) and installs no KEDA.
* Per role for P/D: :func:`token_aware_scaled_objects`, used by the pd-disaggregation path (keda-epp-token-aware).
"""

from __future__ import annotations

from typing import Any

import pulumi
import yaml

from pulumi_llmd.blueprints.config import ModelAutoscalingConfig, ModelConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.optimized_baseline import SingleRolePath
from pulumi_llmd.blueprints.paths.routing import PickerSetup
from pulumi_llmd.blueprints.paths.rules import PathRules, single_role_placement
from pulumi_llmd.components import versions
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform.cert_manager import certificate_manifest
from pulumi_llmd.components.serving.autoscaling import (
    DECODE_TRIGGER,
    EPP_QUEUE_THRESHOLD,
    EPP_RUNNING_THRESHOLD,
    EPP_SATURATION_THRESHOLD,
    GUIDE_TRIGGER_METADATA,
    KEDA_API_VERSION,
    KEDA_CLIENT_SECRET,
    PREFILL_TRIGGER,
    TOKEN_AWARE_BEHAVIOR,
    TOKEN_AWARE_DECODE_THRESHOLD,
    TOKEN_AWARE_PREFILL_THRESHOLD,
    KedaPrometheus,
    epp_prunes_inflight_series,
    epp_queries,
    keda_scaled_object_manifest,
    keda_tls_trigger_authentication,
    saturation_queries,
    token_aware_queries,
)
from pulumi_llmd.components.serving.router import OPTIMIZED_BASELINE_SCORERS

#: The TriggerAuthentication's name after the model's (the guide's ``keda-prometheus-auth``; one per model, so two
#: autoscaled models in one namespace do not register the same object).
TRIGGER_AUTHENTICATION = "keda-prometheus-auth"


def trigger_authentication_name(model: str) -> str:
    """``<model>-keda-prometheus-auth``: the TriggerAuthentication ``model``'s ScaledObjects reference."""
    return f"{model}-{TRIGGER_AUTHENTICATION}"


def keda_epp_picker_config() -> str:
    """The guide's router overlay (``keda-epp-queue/optimized-baseline/router.values.yaml``): feature gate
    ``flowControl`` and the optimized-baseline scorers with their weights (2/2/3/2), as EndpointPickerConfig YAML."""
    document: dict[str, Any] = {
        "apiVersion": versions.ENDPOINT_PICKER_CONFIG_API_VERSION,
        "kind": "EndpointPickerConfig",
        "featureGates": ["flowControl"],
        "plugins": [{"type": plugin} for plugin in OPTIMIZED_BASELINE_SCORERS],
        "schedulingProfiles": [
            {
                "name": "default",
                "plugins": [{"pluginRef": p, "weight": w} for p, w in OPTIMIZED_BASELINE_SCORERS.items()],
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


class WorkloadAutoscaling(SingleRolePath):
    """One model on the workload-autoscaling path. Type token ``llmd:paths:WorkloadAutoscaling``.

    :class:`SingleRolePath`'s children without the HPA (the servers leave ``spec.replicas`` to KEDA), the picker with
    the ``flowControl`` gate, a ``TriggerAuthentication`` ``<model>-keda-prometheus-auth`` (the target's, e.g. GCP pod
    identity; :meth:`~pulumi_llmd.blueprints.targets.Target.keda_prometheus`) and a KEDA
    ``ScaledObject`` ``<model>-decode`` on the decode Deployment (see the module docstring for every value). Both wait
    for the namespace, which waits for the KEDA release (its CRDs and ScaledObject webhook).
    Attributes ``scaled_object`` and ``trigger_authentication``.

    With ``autoscaling.autoscaler: hpa`` it is :class:`SingleRolePath` with its HPA on vLLM's queue depth (no KEDA
    objects; ``scaled_object`` None).

    Raises:
        ValueError: the target wires no Prometheus endpoint for KEDA (``ctx.keda`` None; every target does).
    """

    TYPE = "llmd:paths:WorkloadAutoscaling"
    PATH = WellLitPath.WORKLOAD_AUTOSCALING
    EXTERNALLY_SCALED = True

    def __init__(self, ctx: PathContext) -> None:
        model = ctx.model.config
        settings = model.autoscaling or ModelAutoscalingConfig()
        self.trigger_authentication: pulumi.Resource | None = None
        self.scaled_object: pulumi.Resource | None = None
        if settings.autoscaler == "hpa":
            # The legacy form: SingleRolePath's HPA on vLLM's queue depth, no KEDA.
            self.EXTERNALLY_SCALED = False
            super().__init__(ctx)
            return
        keda = ctx.keda
        if keda is None:
            raise ValueError(
                f"llmd:models[{model.name}].path = workload-autoscaling: this target wires no Prometheus endpoint for "
                "KEDA"
            )
        super().__init__(ctx)
        decode = ctx.model.role("decode")
        opts = pulumi.ResourceOptions(parent=self, depends_on=ctx.opts.depends_on)
        self.trigger_authentication = keda_trigger_authentication(model.name, ctx.namespace, keda, opts)
        label, value = keda.picker_label
        if settings.metric == "saturation":
            queries = saturation_queries(namespace=ctx.namespace, pool=model.name, model_name=self.served_name)
            thresholds = {"pool-saturation": EPP_SATURATION_THRESHOLD, "running-requests": EPP_RUNNING_THRESHOLD}
            metadata: dict[str, str] | None = GUIDE_TRIGGER_METADATA
        else:
            queries = epp_queries(
                {"namespace": ctx.namespace, label: value.format(model=model.name), "model_name": self.served_name}
            )
            thresholds = {"epp-queue-size": EPP_QUEUE_THRESHOLD, "epp-running-requests": EPP_RUNNING_THRESHOLD}
            metadata = None
        if keda.trigger_metadata:
            metadata = {**(metadata or {}), **keda.trigger_metadata}
        manifest = keda_scaled_object_manifest(
            name=f"{model.name}-decode",
            namespace=ctx.namespace,
            deployment=f"{model.name}-decode",
            server_address=keda.server_address,
            queries=queries,
            thresholds=thresholds,
            min_replicas=settings.min_replicas if settings.min_replicas is not None else model.replicas,
            max_replicas=settings.max_replicas or max(decode.max_replicas, model.replicas),
            authentication=trigger_authentication_name(model.name) if self.trigger_authentication is not None else None,
            cooldown_period=settings.cooldown_period,
            trigger_metadata=metadata,
        )
        self.scaled_object = k8s_object(
            f"{model.name}-decode-scaledobject",
            manifest,
            pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    depends_on=[self.servers, *([self.trigger_authentication] if self.trigger_authentication else [])]
                ),
            ),
        )

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        return PickerSetup(config_text=keda_epp_picker_config())


def keda_trigger_authentication(
    model: str, namespace: str, keda: KedaPrometheus, opts: pulumi.ResourceOptions
) -> pulumi.Resource | None:
    """The ``TriggerAuthentication`` ``<model>-keda-prometheus-auth`` of ``model``'s ScaledObjects (the target's
    spec: GCP pod identity on GKE, TLS with a client certificate on kube-prometheus-stack), or None where the target's
    Prometheus takes none.

    With ``keda.client_certificate_issuer`` it first issues KEDA's client certificate: Certificate
    ``<model>-keda-prometheus-client`` in ``namespace`` from that ClusterIssuer, awaited ``Ready``
    (``pulumi.com/waitFor``), and the spec reads ``ca``, ``cert`` and ``key`` from its Secret
    (:func:`~pulumi_llmd.components.serving.autoscaling.keda_tls_trigger_authentication`); so the
    TriggerAuthentication, and the ScaledObjects that depend on it, come after the Secret holds the key pair."""
    if keda.trigger_authentication is None and keda.client_certificate_issuer is None:
        return None
    spec = keda.trigger_authentication or {}
    if keda.client_certificate_issuer is not None:
        secret = f"{model}-{KEDA_CLIENT_SECRET}"
        certificate = k8s_object(
            f"{secret}-certificate",
            certificate_manifest(
                name=secret,
                namespace=namespace,
                secret_name=secret,
                usages=["client auth"],
                common_name=f"keda:{namespace}:{model}",
                issuer=keda.client_certificate_issuer,
            ),
            opts,
        )
        spec = keda_tls_trigger_authentication(secret)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[certificate]))
    return k8s_object(
        f"{model}-{TRIGGER_AUTHENTICATION}",
        {
            "apiVersion": KEDA_API_VERSION,
            "kind": "TriggerAuthentication",
            "metadata": {"name": trigger_authentication_name(model), "namespace": namespace},
            "spec": spec,
        },
        opts,
    )


def router_version() -> str:
    """The active llm-d release's router (endpoint picker) version (``v0.10.0``)."""
    return versions.active_release().router_version


def token_aware_scaled_objects(
    *,
    model: ModelConfig,
    namespace: str,
    keda: KedaPrometheus,
    targets: dict[str, tuple[tuple[str, str], str]],
    min_replicas: dict[str, int],
    max_replicas: dict[str, int],
    opts: pulumi.ResourceOptions,
    decode_ranks: int = 1,
) -> tuple[pulumi.Resource | None, dict[str, pulumi.Resource]]:
    """Per-role KEDA scaling of a P/D model as llm-d's token-aware guide builds it (llm-d/llm-d
    ``guides/workload-autoscaling/keda-epp-token-aware/pd-disaggregation/base/{prefill,decode}-scaledobject.yaml``):
    the ``TriggerAuthentication`` (:func:`keda_trigger_authentication`) and one ``ScaledObject``
    ``<model>-<role>-token-aware`` per role, scaling independently:

    * prefill, trigger ``prefill-backlog-seconds``: ``(sum(llm_d_epp_inflight_tokens{...prefill...}) /
      peakPrefillThroughput) or vector(0)`` threshold 1.5 (seconds of backlog per replica), the divisor
      ``autoscaling.peakPrefillThroughput`` (default 33821, the guide's gpt-oss-120b / H200 figure: recalibrate);
    * decode, trigger ``decode-kv-utilization``: ``sum(vllm:kv_cache_usage_perc{...decode...}) or vector(0)``
      threshold 0.8 (pods' worth of full KV cache);

    both ``AverageValue``, ``activationThreshold: "0"``, ``unsafeSsl: "false"``, polling 15 s, the generated HPA
    adding at most 1 pod per 180 s and removing at most 1 per 300 s after a 300 s window, ``namespace`` pinned in
    every query (:func:`~pulumi_llmd.components.serving.autoscaling.token_aware_queries`).

    The prefill query's plain ``sum()`` needs an endpoint picker newer than v0.10.0 (llm-d-router #2577 prunes the
    series of removed endpoints, fixing #2529); with a pinned picker <= v0.10.0 (:func:`router_version`) it is the
    guide README's liveness-intersection workaround against ``llm_d_epp_per_endpoint_queue_size`` instead. The
    picker must run the ``inflight-load-producer`` plugin (the pd-disaggregation path adds it). Token accounting is
    per picker process: with leader-elected pickers only the leader serves, so the sum is the leader's.

    ``targets``: role -> (scale target ``(apiVersion, kind)``, name): the role's Deployment, or the
    DisaggregatedSet's ``DisaggregatedSetRoleScaler`` ``<ds>-<role>``. Returns the TriggerAuthentication (None
    where the target's Prometheus takes none) and the ScaledObjects by role. ``decode_ranks``: vLLM engines in one
    decode replica (wide-EP: the group's data-parallel ranks; default 1), dividing the decode sum
    (:func:`~pulumi_llmd.components.serving.autoscaling.token_aware_queries`). Raises ValueError as
    :func:`~pulumi_llmd.components.serving.autoscaling.keda_scaled_object_manifest`.
    """
    settings = model.autoscaling or ModelAutoscalingConfig()
    auth = keda_trigger_authentication(model.name, namespace, keda, opts)
    queries = token_aware_queries(
        namespace=namespace,
        model=model.name,
        pool=model.name,
        peak_prefill_throughput=settings.peak_prefill_throughput,
        epp_prunes_series=epp_prunes_inflight_series(router_version()),
        decode_ranks=decode_ranks,
    )
    triggers = {
        "prefill": (PREFILL_TRIGGER, TOKEN_AWARE_PREFILL_THRESHOLD),
        "decode": (DECODE_TRIGGER, TOKEN_AWARE_DECODE_THRESHOLD),
    }
    scaled: dict[str, pulumi.Resource] = {}
    for role, ((api_version, kind), target_name) in targets.items():
        trigger, threshold = triggers[role]
        name = f"{model.name}-{role}-token-aware"
        manifest = keda_scaled_object_manifest(
            name=name,
            namespace=namespace,
            deployment=target_name,
            server_address=keda.server_address,
            queries={trigger: queries[role]},
            thresholds={trigger: threshold},
            min_replicas=min_replicas[role],
            max_replicas=max_replicas[role],
            authentication=trigger_authentication_name(model.name) if auth is not None else None,
            target_kind=(api_version, kind),
            behavior=TOKEN_AWARE_BEHAVIOR,
            labels={"app.kubernetes.io/part-of": "keda-epp-token-aware", "llm-d.ai/role": role},
            trigger_metadata={**GUIDE_TRIGGER_METADATA, **keda.trigger_metadata},
        )
        scaled[role] = k8s_object(
            f"{name}-scaledobject",
            manifest,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[auth] if auth is not None else [])),
        )
    return auth, scaled


def autoscaling_issues(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """The ``autoscaling`` block's rules on workload-autoscaling and pd-disaggregation (pure):

    * ``metric``: workload-autoscaling takes ``queue`` (default) or ``saturation`` (one fleet);
      pd-disaggregation only ``token-aware`` (the per-role signals; the queue and saturation metrics are pool-wide
      and cannot tell prefill from decode); with ``autoscaler: hpa`` no ``metric`` (the HPA reads vLLM's queue depth);
    * ``minReplicas: 0`` (scale to zero) only with KEDA on the ``queue`` metric (keda-epp-queue "Optional: Scale to
      Zero"; saturation's scale to zero "Needs Validation"; the token-aware guide sets none; an HPA cannot scale to
      zero without the alpha ``HPAScaleToZero`` gate); ``minReplicas`` <= ``maxReplicas``;
    * on pd-disaggregation ``minReplicas`` / ``maxReplicas`` are not taken (each role's ``replicas`` is its
      minimum, the pool its maximum), ``peakPrefillThroughput`` only with ``token-aware``;
    * a model built as a DisaggregatedSet (``workloadForm`` resolving to ``disaggregatedSet``) scales its roles with
      KEDA only: its autoscaled roles are ``scaling.mode: External``, their ``DisaggregatedSetRoleScaler`` s start at
      0 replicas and an HPA never scales a target at 0 (:func:`pulumi_llmd.twin.model.role_scaling` cites LWS, KEDA
      and the HPA controller), so ``autoscaler: hpa`` there is an error naming the older form.
    """
    settings = model.autoscaling
    if settings is None:
        return []
    where = f"{key}.autoscaling"
    issues: list[ConfigIssue] = []
    given = settings.model_fields_set
    pd = model.path is WellLitPath.PD_DISAGGREGATION
    if settings.autoscaler == "hpa":
        for field, camel in (("metric", "metric"), ("peak_prefill_throughput", "peakPrefillThroughput")):
            if field in given:
                issues.append(
                    ConfigIssue(
                        key=f"{where}.{camel}",
                        message="applies to autoscaler 'keda' only (the HPA scales on vLLM's "
                        "vllm:num_requests_waiting per pod)",
                    )
                )
    allowed = ("token-aware",) if pd else ("queue", "saturation")
    if settings.metric is not None and settings.metric not in allowed and settings.autoscaler == "keda":
        why = (
            "per-role scaling needs per-role signals; the queue and saturation metrics are pool-wide"
            if pd
            else "token-aware scales prefill and decode per role: use it on a pd-disaggregation model"
        )
        issues.append(
            ConfigIssue(
                key=f"{where}.metric",
                value=settings.metric,
                message=f"not available on path '{model.path.value}' ({why}); allowed: {', '.join(allowed)}",
            )
        )
    if pd:
        for field, camel in (("min_replicas", "minReplicas"), ("max_replicas", "maxReplicas")):
            if field in given:
                issues.append(
                    ConfigIssue(
                        key=f"{where}.{camel}",
                        value=getattr(settings, field),
                        message="not taken on pd-disaggregation: each role scales from its own replicas "
                        "(replicas, prefill.replicas) up to what the pool holds",
                    )
                )
    elif "peak_prefill_throughput" in given and settings.autoscaler == "keda":
        issues.append(
            ConfigIssue(
                key=f"{where}.peakPrefillThroughput",
                value=settings.peak_prefill_throughput,
                message="applies to metric 'token-aware' (pd-disaggregation) only",
            )
        )
    if settings.min_replicas == 0:
        queue = settings.autoscaler == "keda" and settings.metric in (None, "queue") and not pd
        if not queue:
            shape = (
                "the HPA cannot scale to zero (the alpha HPAScaleToZero gate)"
                if settings.autoscaler == "hpa"
                else f"llm-d's guide does not allow scale to zero with metric '{settings.metric or 'token-aware'}'"
            )
            issues.append(
                ConfigIssue(
                    key=f"{where}.minReplicas",
                    value=0,
                    message=f"scale to zero: {shape}; allowed: minReplicas >= 1, or 0 with autoscaler 'keda' and "
                    "metric 'queue' on workload-autoscaling (keda-epp-queue \"Optional: Scale to Zero\")",
                )
            )
    if (
        settings.min_replicas is not None
        and settings.max_replicas is not None
        and settings.min_replicas > settings.max_replicas
    ):
        issues.append(
            ConfigIssue(
                key=f"{where}.minReplicas",
                value=settings.min_replicas,
                message=f"exceeds maxReplicas ({settings.max_replicas}); allowed: minReplicas <= maxReplicas",
            )
        )
    if "cooldown_period" in given and settings.min_replicas != 0:
        issues.append(
            ConfigIssue(
                key=f"{where}.cooldownPeriod",
                value=settings.cooldown_period,
                message="applies to scale to zero only (minReplicas: 0; ordinary scale-down follows the generated "
                "HPA's behavior)",
            )
        )
    if model.uses_disaggregated_set and settings.autoscaler == "hpa":
        issues.append(
            ConfigIssue(
                key=f"{where}.autoscaler",
                value="hpa",
                message="the DisaggregatedSet form scales roles through DisaggregatedSetRoleScalers, whose "
                "spec.replicas starts at 0 (the CRD default), and a plain HPA never scales a target up from 0 "
                'replicas ("scaling is disabled since the replica count of the target is zero"); allowed: '
                "autoscaler 'keda', or workloadForm: "
                f"{_older_form(model)} (an HPA per role)",
            )
        )
    return issues


def _older_form(model: ModelConfig) -> str:
    """The path's form before the DisaggregatedSet (``deployment`` on pd-disaggregation, ``leaderWorkerSet`` on
    wide-ep)."""
    return "leaderWorkerSet" if model.path is WellLitPath.WIDE_EP else "deployment"


def _autoscaling_keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    return autoscaling_issues(key, model)


#: This path's config rules: one fleet of decode servers sized as optimized-baseline's, and the autoscaling block's.
RULES = {
    WellLitPath.WORKLOAD_AUTOSCALING: PathRules(
        keys=_autoscaling_keys, placement=single_role_placement, needs=frozenset({"keda-prometheus"})
    )
}
