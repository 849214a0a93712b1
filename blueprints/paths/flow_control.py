"""llm-d's flow-control well-lit path: optimized-baseline's decode fleet behind an endpoint picker that queues.

Upstream (llm-d/llm-d ``guides/flow-control``, llm-d v0.9.0 with router v0.10.0):

* The model servers are optimized-baseline's (``README.md`` "Deploy the Model Server": the baseline's manifests with
  the guide label rewritten to ``flow-control``): one ``decode`` fleet, Qwen3-32B TP 2 x 8 on 16 x H100.
* The endpoint picker runs with the ``flowControl`` feature gate and the guide's EndpointPickerConfig
  (``router/flow-control.values.yaml``): queue 2 / kv-cache utilisation 2 / prefix cache 3 scorers, round-robin
  fairness and FCFS ordering per priority band, a ``concurrency-detector`` (``maxConcurrency: 132`` requests) as the
  saturation detector, global limits ``maxBytes: 10Gi``, ``maxRequests: 1k``, ``defaultRequestTTL: 60s``
  (:func:`~pulumi_llmd.components.serving.picker_configs.flow_control_picker_config`).
* One ``InferenceObjective`` (``llm-d.ai/v1alpha2``; it left GAIE in v1.6.0) per priority tier, ``spec.priority`` and
  ``spec.poolRef.name`` = the InferencePool (``objectives.yaml``: premium-traffic 100, standard-traffic 0,
  best-effort-traffic -10). Clients pick one with the ``x-llm-d-inference-objective`` header and their tenant with
  ``x-llm-d-inference-fairness-id`` (the guide's "Trust Boundary": strip and re-inject them at the ingress).
* The guide installs the llm-d.ai CRDs from the router release (``README.md`` prerequisites, ``ROUTER_RELEASE_URL``);
  here the stack installs the carried InferenceObjective CRD once per cluster before its namespace
  (:func:`pulumi_llmd.blueprints.deploy.platform_addons`), so every InferenceObjective comes after it.
"""

from __future__ import annotations

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, ObjectiveConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.optimized_baseline import SingleRolePath
from pulumi_llmd.blueprints.paths.routing import PickerSetup
from pulumi_llmd.blueprints.paths.rules import PathRules, single_role_placement
from pulumi_llmd.components.args import dns_label_allowed, dns_label_problem
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.serving.model_server import LABEL_GUIDE, LABEL_MODEL
from pulumi_llmd.components.serving.picker_configs import flow_control_picker_config

#: The InferenceObjective API (llm-d/llm-d-router v0.10.0 ``config/crd/bases/llm-d.ai_inferenceobjectives.yaml``).
INFERENCE_OBJECTIVE_API_VERSION = "llm-d.ai/v1alpha2"
#: The objectives of a flow-control model that sets none: the guide's three tiers
#: (llm-d/llm-d ``guides/flow-control/objectives.yaml``).
GUIDE_OBJECTIVES: tuple[ObjectiveConfig, ...] = (
    ObjectiveConfig(name="premium-traffic", priority=100),
    ObjectiveConfig(name="standard-traffic", priority=0),
    ObjectiveConfig(name="best-effort-traffic", priority=-10),
)
#: ``spec.priority`` is an int32 in the CRD.
_INT32 = (-(2**31), 2**31 - 1)
#: Longest objective name: a DNS label (a Kubernetes object name and a header value).
_NAME_MAX = 63


def model_objectives(model: ModelConfig) -> tuple[ObjectiveConfig, ...]:
    """The InferenceObjectives of ``model``: its ``objectives``, or the guide's three (:data:`GUIDE_OBJECTIVES`)."""
    return model.objectives if model.objectives is not None else GUIDE_OBJECTIVES


class FlowControl(SingleRolePath):
    """One model on the flow-control path. Type token ``llmd:paths:FlowControl``.

    Besides :class:`SingleRolePath`'s children (decode servers, HPA, picker, InferencePool, HTTPRoute): one
    ``llm-d.ai/v1alpha2`` ``InferenceObjective`` per objective (:func:`model_objectives`), named as configured,
    ``spec.priority`` and ``spec.poolRef.name`` = the model's InferencePool, labelled as the guide's. The picker runs
    the guide's flow-control EndpointPickerConfig with one priority band per distinct priority. The objectives wait
    for the InferencePool (and, through the namespace, for the llm-d.ai CRDs).
    Attribute ``objectives``: objective name -> its resource.
    """

    TYPE = "llmd:paths:FlowControl"
    PATH = WellLitPath.FLOW_CONTROL

    def __init__(self, ctx: PathContext) -> None:
        super().__init__(ctx)
        model = ctx.model.config
        # After the namespace (so the llm-d.ai CRD it waits for) and the InferencePool they refer to.
        opts = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(parent=self, depends_on=ctx.opts.depends_on),
            pulumi.ResourceOptions(depends_on=[self.pool]),
        )
        self.objectives: dict[str, pulumi.CustomResource] = {}
        for objective in model_objectives(model):
            manifest = {
                "apiVersion": INFERENCE_OBJECTIVE_API_VERSION,
                "kind": "InferenceObjective",
                "metadata": {
                    "name": objective.name,
                    "namespace": ctx.namespace,
                    "labels": {
                        LABEL_GUIDE: self.PATH.value,
                        "llm-d.ai/inference-serving": "true",
                        LABEL_MODEL: model.name,
                    },
                },
                "spec": {"priority": objective.priority, "poolRef": {"name": self.pool_name}},
            }
            self.objectives[objective.name] = k8s_object(f"{model.name}-{objective.name}", manifest, opts)

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        return PickerSetup(config_text=flow_control_picker_config([o.priority for o in model_objectives(model)]))


def objective_issues(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """``objectives``: at least one; each ``name`` a lowercase DNS label (at most 63 characters) used once; each
    ``priority`` an int32 (the CRD's ``spec.priority``). Issues keyed ``<key>.objectives[j].name|priority``."""
    if model.objectives is None:
        return []
    where = f"{key}.objectives"
    if not model.objectives:
        return [
            ConfigIssue(
                key=where,
                value=[],
                message="needs at least one {name, priority}; leave it out for the guide's premium-traffic 100, "
                "standard-traffic 0, best-effort-traffic -10",
            )
        ]
    issues: list[ConfigIssue] = []
    seen: dict[str, int] = {}
    for index, objective in enumerate(model.objectives):
        if dns_label_problem("name", objective.name, _NAME_MAX) is not None:
            issues.append(
                ConfigIssue(key=f"{where}[{index}].name", value=objective.name, message=dns_label_allowed(_NAME_MAX))
            )
        elif objective.name in seen:
            issues.append(
                ConfigIssue(
                    key=f"{where}[{index}].name",
                    value=objective.name,
                    message=f"already the name of objectives[{seen[objective.name]}]; allowed: a name used once",
                )
            )
        else:
            seen[objective.name] = index
        low, high = _INT32
        if not low <= objective.priority <= high:
            issues.append(
                ConfigIssue(
                    key=f"{where}[{index}].priority",
                    value=objective.priority,
                    message=f"allowed: an integer from {low} to {high} (higher is served first)",
                )
            )
    return issues


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`): the objectives, and one fleet of
#: decode servers sized as optimized-baseline's (:func:`~pulumi_llmd.blueprints.paths.rules.single_role_placement`).
RULES = {WellLitPath.FLOW_CONTROL: PathRules(keys=objective_issues, placement=single_role_placement)}
