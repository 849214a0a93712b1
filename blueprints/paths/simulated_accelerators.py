"""llm-d's simulated-accelerators path: the full llm-d request path on CPU, for a laptop kind cluster or CI.

llm-d-inference-sim pods stand in for vLLM (same OpenAI API, /metrics, probes; no GPU) behind an InferencePool and
llm-d's endpoint picker with the default scorers (llm-d guides v0.5 ``simulated-accelerators``).
"""

from __future__ import annotations

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.routing import PickerSetup, route_model
from pulumi_llmd.blueprints.paths.rules import PathRules
from pulumi_llmd.components import versions
from pulumi_llmd.components.serving import (
    InferenceSimulator,
    SimulatorSpec,
    model_server_labels,
)
from pulumi_llmd.components.serving.model_server import PORT_NAME, VLLM_PORT

#: The HTTPRoute rule's request timeout of the simulator's route (Gateway API ``timeouts.request``); the GPU paths
#: leave it to the implementation (GKE: the GCPBackendPolicy's ``timeoutSec`` from ``llmd:gateway.timeoutSec``).
REQUEST_TIMEOUT = "300s"
#: The endpoint picker's default profile (the GAIE/llm-d router chart's ``default-plugins.yaml``) the guide uses.
DEFAULT_SCORERS = {"queue-scorer": 2, "kv-cache-utilization-scorer": 2, "prefix-cache-scorer": 3}


class SimulatedAccelerators(pulumi.ComponentResource):
    """One simulated model. Type token ``llmd:paths:SimulatedAccelerators``.

    Children: :class:`InferenceSimulator` ``<model>-decode``, :class:`EndpointPicker` ``<model>-epp``,
    :class:`InferencePool` ``<model>`` and :class:`HttpRoute` ``<model>`` from ``gateway``; ``picker_resources``
    sizes the picker (small on kind, see :func:`~pulumi_llmd.blueprints.config.picker_resources`).
    Outputs: ``pool_name``, ``served_name``, ``route_path``, ``servers``, ``picker``.
    """

    def __init__(
        self,
        ctx: PathContext,
    ) -> None:
        model, namespace, gateway, gateway_listener, opts = (
            ctx.model.config,
            ctx.namespace,
            ctx.gateway,
            ctx.gateway_listener,
            ctx.opts,
        )
        super().__init__("llmd:paths:SimulatedAccelerators", model.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on)
        labels = model_server_labels(guide=WellLitPath.SIMULATED_ACCELERATORS.value, role="decode", model=model.name)
        served_name = ctx.model.served_name
        self.servers = InferenceSimulator(
            f"{model.name}-decode",
            namespace=namespace,
            replicas=model.replicas,
            labels=labels,
            spec=SimulatorSpec(
                model=model.hugging_face_id,
                served_name=served_name,
                max_model_len=model.max_model_len,
                extra_args=model.extra_args,
                extra_env=model.extra_env,
                secret_env=model.secret_env_refs,
            ),
            image=model.image or versions.active_release().inference_sim.ref,
            opts=child,
        )
        routing = route_model(
            model,
            namespace=namespace,
            gateway=gateway,
            gateway_listener=gateway_listener,
            server_labels=labels,
            picker=PickerSetup(default_scorers=DEFAULT_SCORERS),
            request_timeout=REQUEST_TIMEOUT,
            opts=child,
            picker_resources=ctx.model.picker_resources,
        )
        self.picker, self.pool, self.route = routing.picker, routing.pool, routing.route
        self.pool_name = model.name
        self.server_selector = dict(labels)
        #: Ports of the servers: reached by the gateway, the picker and monitoring / by each other / by the picker only.
        self.server_ports: list[int] = [VLLM_PORT]
        self.peer_ports: list[int] = []
        self.picker_ports: list[int] = []
        #: Container ports monitoring scrapes vLLM metrics from.
        self.metrics_ports: list[str] = [PORT_NAME]
        self.served_name = served_name
        self.route_path = model.route_path_prefix
        self.register_outputs({"poolName": model.name, "servedName": served_name, "routePath": model.route_path_prefix})


# --- config rules ---------------------------------------------------------------------------------------------------


def _keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """The simulator has no block size, no weights and no accelerator pool."""
    issues: list[ConfigIssue] = []
    if model.block_size is not None:
        issues.append(ConfigIssue(key=f"{key}.blockSize", message="does not apply to the simulator"))
    if model.weights_gib is not None:
        issues.append(ConfigIssue(key=f"{key}.weightsGiB", message="does not apply to the simulator (no weights)"))
    if model.pool is not None:
        issues.append(
            ConfigIssue(
                key=f"{key}.pool",
                value=model.pool,
                message="simulated-accelerators models run on CPU nodes; remove pool",
            )
        )
    return issues


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`): CPU nodes, no pool.
RULES = {WellLitPath.SIMULATED_ACCELERATORS: PathRules(keys=_keys, placement=None)}
