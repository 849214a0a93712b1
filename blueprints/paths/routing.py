"""The routing half every well-lit path shares: the endpoint picker, the InferencePool and the HTTPRoute - by path
prefix, or (``llmd:gateway.modelRouting: body``) by the OpenAI ``model`` field through the body-based router
(:mod:`pulumi_llmd.components.serving.body_router`, llm-d/llm-d ``guides/multi-model-routing``) - and the rules of
body-based routing and LoRA adapters (:func:`model_routing_issues`, :func:`lora_issues`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from pulumi_llmd.blueprints.config import LORA_RANKS, ModelConfig, StackConfig
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.components.serving import EndpointPicker, HttpRoute, InferencePool
from pulumi_llmd.components.serving.body_router import GATEWAY_PROVIDERS, ModelHeaderRoute
from pulumi_llmd.components.serving.model_server import VLLM_PORT

#: How the models being built are routed: set by :func:`use_model_routing` around a stack's paths.
_MODEL_ROUTING: ContextVar[Literal["body", "path"]] = ContextVar("pulumi_llmd_model_routing", default="path")
#: A LoRA adapter name: a lowercase DNS label (RFC 1123), what clients send in ``model``.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: vLLM flags :func:`lora_vllm_args` sets from ``loraAdapters`` (an ``extraArgs`` entry with one is an error then).
LORA_FLAGS = ("--enable-lora", "--lora-modules", "--max-loras", "--max-lora-rank")


@contextmanager
def use_model_routing(mode: Literal["body", "path"]) -> Iterator[None]:
    """Route the models built inside the block by ``mode`` (see :func:`route_model`); default outside: ``path``."""
    token = _MODEL_ROUTING.set(mode)
    try:
        yield
    finally:
        _MODEL_ROUTING.reset(token)


def lora_vllm_args(model: ModelConfig) -> tuple[str, ...]:
    """vLLM's LoRA flags for ``model.loraAdapters`` (none without adapters): ``--enable-lora``, ``--lora-modules
    <name>=<huggingFaceId> ...``, ``--max-loras <count>`` (every adapter can share a batch; vLLM's default is 1) and,
    when an adapter gives its ``rank``, ``--max-lora-rank <largest>`` (vLLM's default 16). Sources:
    vllm-project/vllm ``docs/features/lora.md`` ("Serving LoRA Adapters"), ``vllm/config/lora.py`` (``LoRAConfig``)."""
    adapters = model.lora_adapters
    if not adapters:
        return ()
    args = ["--enable-lora", "--lora-modules", *(f"{a.name}={a.hugging_face_id}" for a in adapters)]
    args += ["--max-loras", str(len(adapters))]
    ranks = [a.rank for a in adapters if a.rank is not None]
    if ranks:
        args += ["--max-lora-rank", str(max(ranks))]
    return tuple(args)


def lora_issues(config: StackConfig) -> list[ConfigIssue]:
    """``llmd:models[i].loraAdapters``: names are lowercase DNS labels, unique across the gateway (no other adapter,
    model name, served name or Hugging Face id of the stack: the body-based router resolves a name to exactly one base
    model, llm-d/llm-d ``guides/multi-model-routing`` "All adapter names must be globally unique"), ranks are vLLM's
    ``--max-lora-rank`` choices, and ``extraArgs`` does not set the LoRA flags too. (With path routing an adapter is
    reached under its base model's prefix.)"""
    issues: list[ConfigIssue] = []
    base_names = {m.served_name or m.hugging_face_id: m.name for m in config.models}
    seen: dict[str, str] = {}
    for index, model in enumerate(config.models):
        key = f"{CONFIG_NAMESPACE}:models[{index}].loraAdapters"
        for j, adapter in enumerate(model.lora_adapters):
            if not _DNS_LABEL.match(adapter.name):
                issues.append(
                    ConfigIssue(
                        key=f"{key}[{j}].name",
                        value=adapter.name,
                        message="allowed: a lowercase DNS label (a-z, 0-9, '-', at most 63 characters), e.g. "
                        "food-review",
                    )
                )
            other = seen.get(adapter.name) or base_names.get(adapter.name)
            if other is not None:
                issues.append(
                    ConfigIssue(
                        key=f"{key}[{j}].name",
                        value=adapter.name,
                        message=f"already names a model or adapter of model '{other}'; allowed: a name used once "
                        "across the gateway",
                    )
                )
            seen.setdefault(adapter.name, model.name)
            if adapter.rank is not None and adapter.rank not in LORA_RANKS:
                issues.append(
                    ConfigIssue(
                        key=f"{key}[{j}].rank",
                        value=adapter.rank,
                        message=f"allowed: one of vLLM's --max-lora-rank values {list(LORA_RANKS)}",
                    )
                )
        if model.lora_adapters:
            for j, arg in enumerate(model.extra_args):
                flag = arg.split("=", 1)[0]
                if flag in LORA_FLAGS:
                    issues.append(
                        ConfigIssue(
                            key=f"{CONFIG_NAMESPACE}:models[{index}].extraArgs[{j}]",
                            value=arg,
                            message="is set from loraAdapters; allowed: loraAdapters alone",
                        )
                    )
    return issues


def model_routing_issues(config: StackConfig) -> list[ConfigIssue]:
    """``llmd:gateway.modelRouting``: body-based routing needs a gateway the router can be wired into (GKE's
    ``gke-l7-*`` classes: GCPRoutingExtension; Istio: EnvoyFilter - the payload processor chart's providers; not
    agentgateway), no model may set ``routePathPrefix`` under it (every model is reached at ``/`` by its ``model``),
    and the names clients send (served names) must be unique across the gateway. Then :func:`lora_issues`."""
    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:gateway.modelRouting"
    if config.model_routing == "body":
        gateway_class = config.gateway_class
        if gateway_class not in GATEWAY_PROVIDERS:
            issues.append(
                ConfigIssue(
                    key=key,
                    value="body",
                    message=f"the body-based router cannot be wired into gateway class '{gateway_class}' (llm-d's "
                    f"payload processor supports gke and istio); allowed: className "
                    f"{' or '.join(GATEWAY_PROVIDERS)}, or modelRouting: path",
                )
            )
        served: dict[str, str] = {}
        for index, model in enumerate(config.models):
            if "route_path_prefix" in model.model_fields_set and model.route_path_prefix != "/":
                issues.append(
                    ConfigIssue(
                        key=f"{CONFIG_NAMESPACE}:models[{index}].routePathPrefix",
                        value=model.route_path_prefix,
                        message="body-based routing reaches every model at / by its 'model' field; allowed: leave "
                        "routePathPrefix out, or gateway.modelRouting: path",
                    )
                )
            name = model.served_name or model.hugging_face_id
            other = served.setdefault(name, model.name)
            if other != model.name:
                issues.append(
                    ConfigIssue(
                        key=f"{CONFIG_NAMESPACE}:models[{index}].servedName",
                        value=name,
                        message=f"model '{other}' is served under the same name; allowed: a name used once across "
                        "the gateway (set servedName)",
                    )
                )
    issues.extend(lora_issues(config))
    return issues


@dataclass(frozen=True)
class ModelRouting:
    """What :func:`route_model` registered for one model: its route is an :class:`HttpRoute` (path prefix) or, with
    body-based routing, a :class:`ModelHeaderRoute` (header match + the router's model mapping)."""

    picker: EndpointPicker
    pool: InferencePool
    route: HttpRoute | ModelHeaderRoute


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
    ``gateway_listener`` only, e.g. ``https``; None: every listener): on ``routePathPrefix``, or inside
    :func:`use_model_routing` ``("body")`` a :class:`ModelHeaderRoute` on the model's served name and adapters.

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
    route: HttpRoute | ModelHeaderRoute
    if _MODEL_ROUTING.get() == "body":
        # llm-d/llm-d guides/multi-model-routing: the model's mapping ConfigMap (base model + LoRA adapters) and an
        # HTTPRoute on X-Gateway-Base-Model-Name; the guide's timeout-less route gets the stack's timeout here.
        route = ModelHeaderRoute(
            model.name,
            namespace=namespace,
            gateway=gateway,
            section_name=gateway_listener,
            pool=model.name,
            served_name=model.served_name or model.hugging_face_id,
            adapters=[a.name for a in model.lora_adapters],
            request_timeout=request_timeout,
            opts=opts,
        )
    else:
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
