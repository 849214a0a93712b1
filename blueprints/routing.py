"""The routing half every well-lit path shares: the endpoint picker, the InferencePool and the HTTPRoute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig
from pulumi_llmd.components.serving import EndpointPicker, HttpRoute, InferencePool


@dataclass(frozen=True)
class ModelRouting:
    """What :func:`route_model` registered for one model."""

    picker: EndpointPicker
    pool: InferencePool
    route: HttpRoute


def route_model(
    model: ModelConfig,
    *,
    namespace: str,
    gateway: str,
    server_labels: Mapping[str, str],
    default_scorers: Mapping[str, int],
    request_timeout: str | None,
    opts: pulumi.ResourceOptions,
) -> ModelRouting:
    """Register ``<model>-epp`` (scorers: the model's ``router.scorerWeights`` or the path's ``default_scorers``),
    the InferencePool ``<model>`` selecting ``server_labels``, and the HTTPRoute ``<model>`` from ``gateway``."""
    weights = default_scorers if model.router.scorer_weights is None else model.router.scorer_weights
    picker = EndpointPicker(
        f"{model.name}-epp",
        namespace=namespace,
        pool_name=model.name,
        replicas=model.router.replicas,
        scorer_weights=dict(weights),
        verbosity=model.router.verbosity,
        opts=opts,
    )
    pool = InferencePool(
        model.name, namespace=namespace, selector=server_labels, endpoint_picker=picker.service_name, opts=opts
    )
    route = HttpRoute(
        model.name,
        namespace=namespace,
        gateway=gateway,
        pool=model.name,
        path_prefix=model.route_path_prefix,
        request_timeout=request_timeout,
        opts=opts,
    )
    return ModelRouting(picker=picker, pool=pool, route=route)
