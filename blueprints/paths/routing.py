"""The routing half every well-lit path shares: the endpoint picker, the InferencePool and the HTTPRoute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig
from pulumi_llmd.components.serving import EndpointPicker, HttpRoute, InferencePool
from pulumi_llmd.components.serving.model_server import VLLM_PORT


@dataclass(frozen=True)
class ModelRouting:
    """What :func:`route_model` registered for one model."""

    picker: EndpointPicker
    pool: InferencePool
    route: HttpRoute


@dataclass(frozen=True)
class PickerSetup:
    """How a path configures its endpoint picker.

    Attributes:
        default_scorers: Scorer -> weight, overridable by ``router.scorerWeights``. Default: None (the picker's
            optimized-baseline scorers).
        config_text: A whole EndpointPickerConfig instead of scorers. Default: None.
        replicas: Pickers when the model does not set ``router.replicas``. Default: None (``router.replicas``).
        active_active: Every picker replica schedules, without leader election. Default: False.
        hf_token_secret: The Secret with the Hugging Face token for tokenizer plugins. Default: None (no token).
        sidecars: Containers added to the picker's pod (predicted-latency-routing's latency predictor). Default: none.
        extra_env: Environment added to the picker container. Default: none.
        extra_volumes: Volumes added to the picker's pod. Default: none.
    """

    default_scorers: Mapping[str, int] | None = None
    config_text: str | None = None
    replicas: int | None = None
    active_active: bool = False
    hf_token_secret: str | None = None
    sidecars: Sequence[Mapping[str, Any]] = ()
    extra_env: Sequence[Mapping[str, Any]] = ()
    extra_volumes: Sequence[Mapping[str, Any]] = ()


def route_model(
    model: ModelConfig,
    *,
    namespace: str,
    gateway: str,
    server_labels: Mapping[str, str],
    picker: PickerSetup,
    opts: pulumi.ResourceOptions,
    request_timeout: str | None = None,
    target_ports: Sequence[int] = (VLLM_PORT,),
    picker_resources: Mapping[str, Mapping[str, str]] | None = None,
    gateway_listener: str | None = None,
) -> ModelRouting:
    """Register ``<model>-epp`` (configured by ``picker``), the InferencePool ``<model>`` selecting ``server_labels``
    on ``target_ports``, and the HTTPRoute ``<model>`` from ``gateway`` (attached to its listener
    ``gateway_listener`` only, e.g. ``https``; None: every listener).

    The picker runs ``router.replicas`` pickers, or ``picker.replicas`` when the model does not set them, with
    ``router.resources``, else ``picker_resources`` (see :func:`~pulumi_llmd.blueprints.config.picker_resources`),
    else the chart's. ``opts`` should carry the namespace (and CRDs) only, never the accelerator pool: the picker,
    the pool and the route schedule on the system nodes and need no GPU node to exist.

    Args:
        request_timeout: The route's request timeout (a Gateway API duration). Default: None (the implementation's).
        target_ports: The model servers' ports the InferencePool targets. Default: ``VLLM_PORT`` (8000).
        picker_resources: The picker's ``requests``/``limits`` unless ``router.resources`` is set. Default: None (the
            chart's).
        gateway_listener: The Gateway listener the route attaches to. Default: None (every listener).
    """
    weights = picker.default_scorers if model.router.scorer_weights is None else model.router.scorer_weights
    replicas = model.router.replicas
    if picker.replicas is not None and "replicas" not in model.router.model_fields_set:
        replicas = picker.replicas
    if model.router.resources is not None:
        picker_resources = model.router.resources.to_k8s()
    endpoint_picker = EndpointPicker(
        f"{model.name}-epp",
        namespace=namespace,
        pool_name=model.name,
        replicas=replicas,
        scorer_weights=dict(weights) if weights is not None else None,
        verbosity=model.router.verbosity,
        config_text=picker.config_text,
        active_active=picker.active_active,
        hf_token_secret=picker.hf_token_secret,
        resources=picker_resources,
        sidecars=picker.sidecars,
        extra_env=picker.extra_env,
        extra_volumes=picker.extra_volumes,
        opts=opts,
    )
    pool = InferencePool(
        model.name,
        namespace=namespace,
        selector=server_labels,
        endpoint_picker=endpoint_picker.service_name,
        target_ports=target_ports,
        opts=opts,
    )
    route = HttpRoute(
        model.name,
        namespace=namespace,
        gateway=gateway,
        section_name=gateway_listener,
        pool=model.name,
        path_prefix=model.route_path_prefix,
        request_timeout=request_timeout,
        opts=opts,
    )
    return ModelRouting(picker=endpoint_picker, pool=pool, route=route)
