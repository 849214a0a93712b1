"""llm-d's workload-autoscaling well-lit path, "KEDA + EPP Metrics", queue-based (upstream's recommended variant).

Upstream (llm-d/llm-d ``guides/workload-autoscaling``, llm-d v0.9.0):

* ``README.md`` "Paths": "KEDA + EPP Metrics (Recommended)"; of its variants this builds the queue-based one
  (``keda-epp-queue/``), the one whose scale to zero the table marks "Supported" (saturation-based: "Needs
  Validation"). WVA is deprecated for it (``docs/architecture/autoscaling/wva-deprecated.md``).
* The model servers are optimized-baseline's (``keda-epp-queue/README.md`` prerequisites: "Complete the
  optimized-baseline guide"); the router is upgraded with ``router.values.yaml``: an EndpointPickerConfig with the
  ``flowControl`` feature gate and the baseline's scorers (queue 2, kv-cache utilisation 2, prefix cache 3, no-hit
  LRU 2), so the picker emits ``llm_d_epp_flow_control_queue_size``.
* KEDA (``versions.KEDA_CHART_PIN``) and one ``ScaledObject`` per model-server Deployment
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
"""

from __future__ import annotations

from typing import Any

import pulumi
import yaml

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.optimized_baseline import SingleRolePath
from pulumi_llmd.blueprints.paths.routing import PickerSetup
from pulumi_llmd.blueprints.paths.rules import PathRules, single_role_placement
from pulumi_llmd.components import versions
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.serving.autoscaling import (
    EPP_QUEUE_THRESHOLD,
    EPP_RUNNING_THRESHOLD,
    KEDA_API_VERSION,
    epp_queries,
    keda_scaled_object_manifest,
)
from pulumi_llmd.components.serving.router import OPTIMIZED_BASELINE_SCORERS

#: The TriggerAuthentication's name (the guide's ``keda-prometheus-auth``).
TRIGGER_AUTHENTICATION = "keda-prometheus-auth"


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
    the ``flowControl`` gate, a ``TriggerAuthentication`` ``keda-prometheus-auth`` (the target's, e.g. GCP pod
    identity; :meth:`~pulumi_llmd.blueprints.targets.Target.keda_prometheus`) and a KEDA
    ``ScaledObject`` ``<model>-decode`` on the decode Deployment (see the module docstring for every value). Both wait
    for the namespace, which waits for the KEDA release (its CRDs and ScaledObject webhook).
    Attributes ``scaled_object`` and ``trigger_authentication``.

    Raises:
        ValueError: the target wires no Prometheus endpoint for KEDA (``ctx.keda`` None: GKE only so far).
    """

    TYPE = "llmd:paths:WorkloadAutoscaling"
    PATH = WellLitPath.WORKLOAD_AUTOSCALING
    EXTERNALLY_SCALED = True

    def __init__(self, ctx: PathContext) -> None:
        keda = ctx.keda
        if keda is None:
            raise ValueError(
                f"llmd:models[{ctx.model.config.name}].path = workload-autoscaling: this target wires no Prometheus "
                "endpoint for KEDA yet; allowed: GKE targets"
            )
        super().__init__(ctx)
        model = ctx.model.config
        decode = ctx.model.role("decode")
        opts = pulumi.ResourceOptions(parent=self, depends_on=ctx.opts.depends_on)
        self.trigger_authentication: pulumi.Resource | None = None
        if keda.trigger_authentication is not None:
            self.trigger_authentication = k8s_object(
                f"{model.name}-{TRIGGER_AUTHENTICATION}",
                {
                    "apiVersion": KEDA_API_VERSION,
                    "kind": "TriggerAuthentication",
                    "metadata": {"name": TRIGGER_AUTHENTICATION, "namespace": ctx.namespace},
                    "spec": keda.trigger_authentication,
                },
                opts,
            )
        label, value = keda.picker_label
        queries = epp_queries(
            {"namespace": ctx.namespace, label: value.format(model=model.name), "model_name": self.served_name}
        )
        manifest = keda_scaled_object_manifest(
            name=f"{model.name}-decode",
            namespace=ctx.namespace,
            deployment=f"{model.name}-decode",
            server_address=keda.server_address,
            queries=queries,
            thresholds={"epp-queue-size": EPP_QUEUE_THRESHOLD, "epp-running-requests": EPP_RUNNING_THRESHOLD},
            min_replicas=model.replicas,
            max_replicas=decode.max_replicas,
            authentication=TRIGGER_AUTHENTICATION if self.trigger_authentication is not None else None,
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


#: This path's config rules: one fleet of decode servers sized as optimized-baseline's.
RULES = {
    WellLitPath.WORKLOAD_AUTOSCALING: PathRules(placement=single_role_placement, needs=frozenset({"keda-prometheus"}))
}
