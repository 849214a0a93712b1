"""llm-d's wide-ep well-lit path: prefill and decode engines of large MoE models on LeaderWorkerSet groups.

Each engine is one LeaderWorkerSet group of ``dataParallelSize / dataParallelSizeLocal`` pods; every GPU runs one
data-parallel rank and the experts are spread over all ranks (``--enable-expert-parallel``), whose all-to-all
(DeepEP: ``deepep_high_throughput`` for prefill, ``deepep_low_latency`` for decode) runs over the pool's RDMA fabric.
Prefill hands KV caches to decode through NIXL as in pd-disaggregation; the picker chooses a prefill and a decode
endpoint among the ranks (one InferencePool target port per local rank, 8000..8007). Source: llm-d
guides/wide-ep-lws (DeepSeek-R1-0528, 2 x LWS of size 2 with DP 8 per pod; 32 x H200 upstream: 50,299 tok/s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath, server_resources, wide_ep_sizes
from pulumi_llmd.blueprints.routing import PickerSetup, route_model
from pulumi_llmd.components import versions
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.serving import ModelServerAutoscaler, model_server_labels
from pulumi_llmd.components.serving.disaggregation import nixl_kv_transfer_config
from pulumi_llmd.components.serving.leader_worker_set import MultiNodeModelServer, WideEpSpec, target_ports
from pulumi_llmd.components.serving.model_server import LABEL_GUIDE, LABEL_MODEL
from pulumi_llmd.components.serving.picker_configs import pd_picker_config

GUIDE = WellLitPath.WIDE_EP.value
#: Picker profiles of the wide-EP guide (router/wide-ep-lws.values.yaml): prefill prefix 3, queue 2, active 2;
#: decode active-request only.
WIDE_EP_PREFILL_SCORERS = {"prefix-cache-scorer": 3, "queue-scorer": 2, "active-request-scorer": 2}
WIDE_EP_DECODE_SCORERS = {"active-request-scorer": 1}
LWS_KIND = ("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet")


class WideEp(pulumi.ComponentResource):
    """One MoE model served with wide expert parallelism. Type token ``llmd:paths:WideEp``.

    Children: :class:`MultiNodeModelServer` ``<model>-prefill`` and ``<model>-decode`` (LeaderWorkerSets sized by
    :func:`~pulumi_llmd.blueprints.config.wide_ep_sizes`), their autoscalers (one replica = one group) when
    ``autoscaling_metric`` is given, and the picker with P/D plugins, the InferencePool over both roles (a target
    port per local rank) and the route. Attributes as
    :class:`~pulumi_llmd.blueprints.optimized_baseline.SingleRolePath`. Only the LeaderWorkerSets wait for
    ``pool_ready``; ``picker_resources`` sizes the picker.

    Raises:
        ValueError: from :class:`MultiNodeModelServer` before anything registers (pods larger than a node, an engine
            spanning pods on a pool without RDMA, ...).
    """

    def __init__(
        self,
        model: ModelConfig,
        *,
        namespace: str,
        pool: AcceleratorPool,
        gateway: str,
        gateway_listener: str | None = None,
        hf_token_secret: str | None,
        request_timeout: str | None = None,
        autoscaling_metric: str | None = None,
        pool_ready: Sequence[pulumi.Resource] = (),
        picker_resources: Mapping[str, Mapping[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        backends = pool.rdma.nixl_backends if pool.rdma is not None else ("UCX",)
        kv = {**nixl_kv_transfer_config(backends), "kv_load_failure_policy": "fail"}
        served_name = model.served_name or model.hugging_face_id
        specs: dict[str, tuple[int, WideEpSpec]] = {}
        for role in ("prefill", "decode"):
            sizes = wide_ep_sizes(model, pool.shape, role)
            specs[role] = (
                sizes.replicas,
                WideEpSpec(
                    model=model.hugging_face_id,
                    served_name=served_name,
                    role="prefill" if role == "prefill" else "decode",
                    data_parallel_size=sizes.data_parallel_size,
                    data_parallel_size_local=sizes.data_parallel_size_local,
                    group_size=sizes.group_size,
                    tensor_parallel_size=sizes.tensor_parallel_size,
                    kv_transfer_config=kv,
                    max_model_len=model.max_model_len,
                    extra_args=model.extra_args,
                    extra_env=model.extra_env,
                    secret_env=model.secret_env_refs,
                ),
            )
        super().__init__("llmd:paths:WideEp", model.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        self.servers_by_role: dict[str, MultiNodeModelServer] = {}
        self.autoscalers: dict[str, ModelServerAutoscaler] = {}
        for role, (replicas, spec) in specs.items():
            server = MultiNodeModelServer(
                f"{model.name}-{role}",
                namespace=namespace,
                replicas=replicas,
                spec=spec,
                pool=pool,
                labels=model_server_labels(guide=GUIDE, role=role, model=model.name),
                resources=server_resources(model, pool.shape, role=role).to_pod_resources(),
                hf_token_secret=hf_token_secret,
                weights_gib=model.weights.weights_gib if model.weights is not None else None,
                pool_ready=pool_ready,
                image=model.image or versions.LLMD_CUDA_IMAGE,
                opts=child,
            )
            self.servers_by_role[role] = server
            if autoscaling_metric is not None:
                other_replicas, other = specs["decode" if role == "prefill" else "prefill"]
                room = pool.capacity - other_replicas * other.devices_per_group
                self.autoscalers[role] = ModelServerAutoscaler(
                    f"{model.name}-{role}",
                    namespace=namespace,
                    deployment=f"{model.name}-{role}",
                    metric=autoscaling_metric,
                    min_replicas=replicas,
                    max_replicas=max(replicas, room // spec.devices_per_group),
                    target_kind=LWS_KIND,
                    opts=child,
                )
        selector = {LABEL_GUIDE: GUIDE, LABEL_MODEL: model.name}
        decode_spec = specs["decode"][1]
        routing = route_model(
            model,
            namespace=namespace,
            gateway=gateway,
            gateway_listener=gateway_listener,
            server_labels=selector,
            picker=PickerSetup(
                config_text=pd_picker_config(
                    prefill_scorers=WIDE_EP_PREFILL_SCORERS, decode_scorers=WIDE_EP_DECODE_SCORERS
                )
            ),
            request_timeout=request_timeout,
            opts=child,
            target_ports=target_ports(decode_spec),
            picker_resources=picker_resources,
        )
        self.picker, self.pool, self.route = routing.picker, routing.pool, routing.route
        self.server_selector = selector
        ports = target_ports(decode_spec)
        self.metrics_ports = [f"rank{r}" for r in range(len(ports))]
        self.server_ports = ports
        #: Ranks of one engine talk on dynamic ports (DP coordination, NVSHMEM bootstrap, NIXL): all ports.
        self.peer_ports: list[int] | Literal["all"] = "all"
        self.picker_ports: list[int] = []
        self.pool_name = model.name
        self.served_name = served_name
        self.route_path = model.route_path_prefix
        self.register_outputs(
            {
                "poolName": model.name,
                "servedName": served_name,
                "routePath": model.route_path_prefix,
                "gpusPerGroup": {role: spec.devices_per_group for role, (_, spec) in specs.items()},
            }
        )
