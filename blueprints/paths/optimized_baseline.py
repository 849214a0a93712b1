"""llm-d's optimized-baseline well-lit path (formerly inference-scheduling), and the single-role paths built like it.

vLLM ``decode`` servers behind an InferencePool whose endpoint picker scores endpoints by queue depth, KV-cache
utilisation, prefix-cache hits and a no-hit LRU spread (weights 2/2/3/2), with an HTTPRoute from the stack's
gateway (llm-d/llm-d ``guides/optimized-baseline``). Upstream result for Qwen3-32B on 16 x H100: 13,163 vs 5,722
output tok/s and 0.156 s vs 58.1 s mean TTFT against a round-robin Service.

:class:`SingleRolePath` is the shape the precise-prefix-cache-routing and tiered-prefix-cache paths share with it:
one fleet of ``decode`` servers, an autoscaler, the picker, the pool and the route; a path changes the vLLM flags,
the pod extras and the picker's configuration through the ``_vllm`` / ``_server_extras`` / ``_picker`` hooks.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.routing import PickerSetup, lora_vllm_args, route_model
from pulumi_llmd.blueprints.paths.rules import PathRules, single_role_placement
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.serving import (
    OPTIMIZED_BASELINE_SCORERS,
    ModelServer,
    ModelServerAutoscaler,
    VllmSpec,
    model_server_labels,
)
from pulumi_llmd.components.serving.leader_worker_set import LWS_API_VERSION
from pulumi_llmd.components.serving.model_server import PORT_NAME, VLLM_PORT, vllm_image
from pulumi_llmd.components.serving.tpu_slice import tpu_slice_hosts


class SingleRolePath(pulumi.ComponentResource):
    """One model served by one fleet of vLLM ``decode`` servers; subclasses name the path and its hooks.

    Children: :class:`ModelServer` ``<model>-decode``, :class:`EndpointPicker` ``<model>-epp``,
    :class:`InferencePool` ``<model>`` and :class:`HttpRoute` ``<model>`` from ``gateway``; with
    ``autoscaling_metric`` (the HPA's name for vLLM's queue depth, e.g. GKE's
    ``prometheus.googleapis.com|vllm:num_requests_waiting|gauge``) also a :class:`ModelServerAutoscaler` from
    ``replicas`` up to what the pool holds at its maximum size.
    Only the model servers wait for ``pool_ready`` (the accelerator pool's nodes); everything else waits for what
    ``opts`` names (the namespace). ``picker_resources`` sizes the endpoint picker (see :func:`route_model`).
    Outputs: ``pool_name``, ``served_name``, ``route_path``; attributes ``server_selector`` (labels of every server
    pod), ``server_ports`` (reached by gateway, picker and monitoring), ``peer_ports`` (between the model's own pods)
    and ``picker_ports`` (reached by the picker only).
    """

    TYPE = "llmd:paths:OptimizedBaseline"
    PATH = WellLitPath.OPTIMIZED_BASELINE
    #: True when something other than the HPA here scales the servers (a KEDA ScaledObject the subclass registers):
    #: the servers leave ``spec.replicas`` to it and no HPA is made.
    EXTERNALLY_SCALED = False

    def __init__(
        self,
        ctx: PathContext,
    ) -> None:
        model, namespace, gateway, gateway_listener = ctx.model.config, ctx.namespace, ctx.gateway, ctx.gateway_listener
        hf_token_secret, autoscaling_metric, pool_ready, opts = (
            ctx.hf_token_secret,
            ctx.autoscaling_metric,
            ctx.pool_ready,
            ctx.opts,
        )
        assert ctx.pool is not None
        pool = ctx.pool
        self.model_plan = ctx.model
        super().__init__(self.TYPE, model.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on)
        decode = ctx.model.role("decode")
        labels = model_server_labels(guide=self.PATH.value, role="decode", model=model.name)
        served_name = ctx.model.served_name
        self.server_ports: list[int] = [VLLM_PORT]
        self.peer_ports: list[int] | Literal["all"] = []
        self.picker_ports: list[int] = []
        #: Container ports monitoring scrapes vLLM metrics from.
        self.metrics_ports: list[str] = [PORT_NAME]
        self._before_servers(model, namespace=namespace, hf_token_secret=hf_token_secret, opts=child)
        extras = self._server_extras(model, pool)
        path_env: dict[str, str] = extras.pop("extra_env", {})
        self.servers = ModelServer(
            f"{model.name}-decode",
            namespace=namespace,
            replicas=model.replicas,
            spec=VllmSpec(
                model=model.hugging_face_id,
                served_name=served_name,
                tensor_parallel_size=model.tensor_parallel_size,
                pipeline_parallel_size=model.pipeline_parallel_size,
                max_model_len=model.max_model_len,
                gpu_memory_utilization=model.gpu_memory_utilization,
                # LoRA adapters (loraAdapters) first, the model's own flags last (blueprints/paths/routing.py).
                extra_args=(*lora_vllm_args(model), *model.extra_args),
                extra_env={**path_env, **model.extra_env},
                secret_env=model.secret_env_refs,
                **self._vllm(model, pool),
            ),
            pool=pool,
            labels=labels,
            resources=decode.resources.to_pod_resources(),
            hf_token_secret=hf_token_secret,
            autoscaled=autoscaling_metric is not None or self.EXTERNALLY_SCALED,
            weights_gib=model.weights.weights_gib if model.weights is not None else None,
            pool_ready=pool_ready,
            image=vllm_image(pool, model.image),
            **extras,
            opts=child,
        )
        self.autoscaler: ModelServerAutoscaler | None = None
        if autoscaling_metric is not None and not self.EXTERNALLY_SCALED:
            self.autoscaler = ModelServerAutoscaler(
                f"{model.name}-decode",
                namespace=namespace,
                deployment=f"{model.name}-decode",
                metric=autoscaling_metric,
                min_replicas=model.replicas,
                max_replicas=decode.max_replicas,
                # A multi-host TPU slice's servers are LeaderWorkerSet groups (components/serving/tpu_slice.py).
                target_kind=(LWS_API_VERSION, "LeaderWorkerSet")
                if tpu_slice_hosts(pool) > 1
                else ("apps/v1", "Deployment"),
                opts=child,
            )
        routing = route_model(
            model,
            namespace=namespace,
            gateway=gateway,
            gateway_listener=gateway_listener,
            server_labels=labels,
            picker=self._picker(model, served_name, hf_token_secret, pool),
            opts=child,
            picker_resources=ctx.model.picker_resources,
        )
        self.picker, self.pool, self.route = routing.picker, routing.pool, routing.route
        self.server_selector = dict(labels)
        if tpu_slice_hosts(pool) > 1:
            # A multi-host TPU slice: NetworkPolicies and monitoring select the leaders and their workers (which carry
            # the guide label "<guide>-worker" and no role, components/serving/tpu_slice.py); the group's hosts talk
            # on dynamic ports (Ray, JAX coordination on 8476).
            self.server_selector = {k: v for k, v in labels.items() if k not in ("llm-d.ai/guide", "llm-d.ai/role")}
            self.peer_ports = "all"
        self.pool_name = model.name
        self.served_name = served_name
        self.route_path = model.route_path_prefix
        self.register_outputs({"poolName": model.name, "servedName": served_name, "routePath": model.route_path_prefix})

    # --- hooks ------------------------------------------------------------------------------------------------------

    def _before_servers(
        self, model: ModelConfig, *, namespace: str, hf_token_secret: str | None, opts: pulumi.ResourceOptions
    ) -> None:
        """Register what the servers or the picker need first (e.g. the tokenizer render pool)."""

    def _vllm(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        """Extra :class:`VllmSpec` fields of the path (block size, KV connector / events)."""
        return {}

    def _server_extras(self, model: ModelConfig, pool: AcceleratorPool) -> dict[str, Any]:
        """Extra :class:`ModelServer` arguments of the path (ports, env from the pod, volumes); ``extra_env`` goes to
        the vLLM environment under the model's own ``extraEnv``."""
        return {}

    def _picker(
        self, model: ModelConfig, served_name: str, hf_token_secret: str | None, pool: AcceleratorPool
    ) -> PickerSetup:
        """The endpoint picker's configuration."""
        return PickerSetup(default_scorers=OPTIMIZED_BASELINE_SCORERS)


class OptimizedBaseline(SingleRolePath):
    """One model served the optimized-baseline way. Type token ``llmd:paths:OptimizedBaseline``.

    See :class:`SingleRolePath` for children and outputs; the picker scores with the guide's weights
    (queue 2, kv-cache utilisation 2, prefix cache 3, no-hit LRU 2) or ``router.scorerWeights``.
    """


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`): one fleet of decode servers
#: (:func:`~pulumi_llmd.blueprints.paths.rules.single_role_placement`).
RULES = {WellLitPath.OPTIMIZED_BASELINE: PathRules(placement=single_role_placement)}
