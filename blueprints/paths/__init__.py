"""The well-lit paths: one module per path (its rules, its sizing and its ComponentResource), each built from a typed
:class:`PathContext` (the plan of the model, where it runs, what it waits for) into a :class:`ServedModel` (what
routing, monitoring and NetworkPolicies need to know about it). Imports: ``plan <- paths <- deploy``.

* ``optimized-baseline``, ``precise-prefix-cache-routing``, ``tiered-prefix-cache``: :mod:`.optimized_baseline`,
  :mod:`.prefix_cache` (one fleet of decode servers);
* ``pd-disaggregation``: :mod:`.pd_disaggregation`; ``wide-ep``: :mod:`.wide_ep`;
* ``simulated-accelerators``: :mod:`.simulated_accelerators`;
* ``flow-control``: :mod:`.flow_control` (optimized-baseline's fleet, a queuing picker, InferenceObjectives);
* ``predicted-latency-routing``: :mod:`.predicted_latency_routing` (optimized-baseline's fleet, a picker with latency
  predictor sidecars);
* ``workload-autoscaling``: :mod:`.workload_autoscaling` (optimized-baseline's fleet scaled by KEDA on the picker's
  metrics).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pulumi

from pulumi_llmd.blueprints.plan import ModelPlan, StackPlan
from pulumi_llmd.components.base import AcceleratorPool

if TYPE_CHECKING:
    from pulumi_llmd.blueprints.config import WellLitPath
    from pulumi_llmd.blueprints.paths.rules import PathRules
    from pulumi_llmd.components.serving import EndpointPicker
    from pulumi_llmd.components.serving.autoscaling import KedaPrometheus
    from pulumi_llmd.components.serving.tokenizer import TokenizerRender


@dataclass(frozen=True)
class PathContext:
    """What a well-lit path is built from: the ``plan`` of the stack and of its ``model``, the stack ``namespace``,
    the ``gateway`` (name, and the listener routes attach to: None = every listener), the accelerator ``pool`` (None
    for the simulator) and what the model servers wait for (``pool_ready``: the pool's nodes and device plugins), the
    Secret with the Hugging Face token, the HPA's metric name (None: no autoscaler) and the ``opts`` of the path's
    component (provider, the namespace and the system nodes).

    Attributes:
        hf_token_secret: The Secret with the Hugging Face token. Default: None (public models).
        autoscaling_metric: The HPA's metric name. Default: None (no autoscaler).
        pool_ready: What the model servers wait for (the pool's nodes and device plugins). Default: none.
    """

    plan: StackPlan
    model: ModelPlan
    namespace: str
    gateway: str
    gateway_listener: str | None
    pool: AcceleratorPool | None
    opts: pulumi.ResourceOptions
    hf_token_secret: str | None = None
    autoscaling_metric: str | None = None
    pool_ready: Sequence[pulumi.Resource] = field(default_factory=tuple)
    #: Where KEDA's triggers query Prometheus (workload-autoscaling). Default: None (not wired on the target).
    keda: KedaPrometheus | None = None


@dataclass(frozen=True)
class ServedModel:
    """What a path built for one model: the path's ``component`` (parent of the model's monitors and policies), the
    InferencePool's name, the model name clients send, the route's path prefix, the server pods' ``server_selector``,
    their ports (``server_ports``: reached by gateway, picker and monitoring; ``peer_ports``: between the model's own
    pods, ``"all"`` for dynamic ports; ``picker_ports``: by the picker only; ``metrics_ports``: container port names
    scraped), the endpoint ``picker`` and the tokenizer ``render`` pool (precise prefix-cache routing).
    ``render`` Default: None (no render pool: every path but precise prefix-cache routing)."""

    component: pulumi.ComponentResource
    pool_name: str
    served_name: str
    route_path: str
    server_selector: dict[str, str]
    server_ports: list[int]
    peer_ports: list[int] | Literal["all"]
    picker_ports: list[int]
    metrics_ports: list[str]
    picker: EndpointPicker
    render: TokenizerRender | None = None


def build_path(ctx: PathContext) -> ServedModel:
    """Build ``ctx.model`` on its well-lit path (its module's component) and describe what was served."""
    from pulumi_llmd.blueprints.config import WellLitPath
    from pulumi_llmd.blueprints.paths.flow_control import FlowControl
    from pulumi_llmd.blueprints.paths.optimized_baseline import OptimizedBaseline, SingleRolePath
    from pulumi_llmd.blueprints.paths.pd_disaggregation import PdDisaggregation
    from pulumi_llmd.blueprints.paths.predicted_latency_routing import PredictedLatencyRouting
    from pulumi_llmd.blueprints.paths.prefix_cache import PrecisePrefixCacheRouting, TieredPrefixCache
    from pulumi_llmd.blueprints.paths.simulated_accelerators import SimulatedAccelerators
    from pulumi_llmd.blueprints.paths.wide_ep import WideEp
    from pulumi_llmd.blueprints.paths.workload_autoscaling import WorkloadAutoscaling

    kinds: dict[WellLitPath, type[SingleRolePath | PdDisaggregation | WideEp | SimulatedAccelerators]] = {
        WellLitPath.OPTIMIZED_BASELINE: OptimizedBaseline,
        WellLitPath.PD_DISAGGREGATION: PdDisaggregation,
        WellLitPath.PRECISE_PREFIX_CACHE_ROUTING: PrecisePrefixCacheRouting,
        WellLitPath.TIERED_PREFIX_CACHE: TieredPrefixCache,
        WellLitPath.WIDE_EP: WideEp,
        WellLitPath.SIMULATED_ACCELERATORS: SimulatedAccelerators,
        WellLitPath.FLOW_CONTROL: FlowControl,
        WellLitPath.PREDICTED_LATENCY_ROUTING: PredictedLatencyRouting,
        WellLitPath.WORKLOAD_AUTOSCALING: WorkloadAutoscaling,
    }
    path = kinds[ctx.model.config.path](ctx)
    return ServedModel(
        component=path,
        pool_name=path.pool_name,
        served_name=path.served_name,
        route_path=path.route_path,
        server_selector=dict(path.server_selector),
        server_ports=list(path.server_ports),
        peer_ports=path.peer_ports,
        picker_ports=list(path.picker_ports),
        metrics_ports=list(path.metrics_ports),
        picker=path.picker,
        render=getattr(path, "render", None),
    )


#: Well-lit path (``models[].path``) -> the module holding its component and its config rules (``RULES``).
PATH_MODULES: Mapping[str, str] = {
    "optimized-baseline": "pulumi_llmd.blueprints.paths.optimized_baseline",
    "pd-disaggregation": "pulumi_llmd.blueprints.paths.pd_disaggregation",
    "precise-prefix-cache-routing": "pulumi_llmd.blueprints.paths.prefix_cache",
    "tiered-prefix-cache": "pulumi_llmd.blueprints.paths.prefix_cache",
    "wide-ep": "pulumi_llmd.blueprints.paths.wide_ep",
    "simulated-accelerators": "pulumi_llmd.blueprints.paths.simulated_accelerators",
    "flow-control": "pulumi_llmd.blueprints.paths.flow_control",
    "predicted-latency-routing": "pulumi_llmd.blueprints.paths.predicted_latency_routing",
    "workload-autoscaling": "pulumi_llmd.blueprints.paths.workload_autoscaling",
}


def path_rules(path: WellLitPath) -> PathRules:
    """The config rules of ``path`` (its module's ``RULES``, the module imported on first use); a path without a
    module (not available in this release, which config validation reports) follows optimized-baseline's."""
    from pulumi_llmd.blueprints.paths.rules import FALLBACK_PATH

    if path.value not in PATH_MODULES:
        path = FALLBACK_PATH
    rules: Mapping[WellLitPath, PathRules] = importlib.import_module(PATH_MODULES[path.value]).RULES
    return rules[path]
