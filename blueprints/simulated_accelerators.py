"""llm-d's simulated-accelerators path: the full llm-d request path on CPU, for a laptop kind cluster or CI.

llm-d-inference-sim pods stand in for vLLM (same OpenAI API, /metrics, probes; no GPU) behind an InferencePool and
llm-d's endpoint picker with the default scorers (llm-d guides v0.5 ``simulated-accelerators``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath
from pulumi_llmd.blueprints.routing import PickerSetup, route_model
from pulumi_llmd.components import versions
from pulumi_llmd.components.serving import (
    InferenceSimulator,
    SimulatorSpec,
    model_server_labels,
)
from pulumi_llmd.components.serving.model_server import PORT_NAME, VLLM_PORT

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
        model: ModelConfig,
        *,
        namespace: str,
        gateway: str,
        gateway_listener: str | None = None,
        request_timeout: str | None = "300s",
        picker_resources: Mapping[str, Mapping[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmd:paths:SimulatedAccelerators", model.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        labels = model_server_labels(guide=WellLitPath.SIMULATED_ACCELERATORS.value, role="decode", model=model.name)
        served_name = model.served_name or model.hugging_face_id
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
            image=model.image or versions.INFERENCE_SIM_IMAGE,
            opts=child,
        )
        routing = route_model(
            model,
            namespace=namespace,
            gateway=gateway,
            gateway_listener=gateway_listener,
            server_labels=labels,
            picker=PickerSetup(default_scorers=DEFAULT_SCORERS),
            request_timeout=request_timeout,
            opts=child,
            picker_resources=picker_resources,
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
