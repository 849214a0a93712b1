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
from dataclasses import replace
from typing import Any, Literal

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.routing import PickerSetup, route_model
from pulumi_llmd.blueprints.paths.rules import (
    PathRules,
    Placement,
    WeightsRole,
    non_cuda_issues,
    pod_fit_issues,
    required_prefill_issues,
    weights_issues,
)
from pulumi_llmd.blueprints.paths.workload_autoscaling import token_aware_scaled_objects
from pulumi_llmd.blueprints.plan import pool_rdma, server_resources, wide_ep_sizes
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.serving import ModelServerAutoscaler, model_server_labels
from pulumi_llmd.components.serving.disaggregated_set import (
    DisaggregatedRole,
    DisaggregatedSet,
    DisaggregatedSetArgs,
    service_account_name,
)
from pulumi_llmd.components.serving.disaggregation import KV_ROLES, nixl_kv_transfer_config
from pulumi_llmd.components.serving.leader_worker_set import (
    MultiNodeModelServer,
    WideEpSpec,
    target_ports,
    wide_ep_pod_template,
)
from pulumi_llmd.components.serving.model_server import (
    LABEL_GUIDE,
    LABEL_MODEL,
    claim_template_manifest,
    model_server_estimate,
)
from pulumi_llmd.components.serving.picker_configs import pd_picker_config
from pulumi_llmd.components.startup import startup_probe_seconds

GUIDE = WellLitPath.WIDE_EP.value
#: Picker profiles of the wide-EP guide (router/wide-ep-lws.values.yaml): prefill prefix 3, queue 2, active 2;
#: decode active-request only.
WIDE_EP_PREFILL_SCORERS = {"prefix-cache-scorer": 3, "queue-scorer": 2, "active-request-scorer": 2}
WIDE_EP_DECODE_SCORERS = {"active-request-scorer": 1}
LWS_KIND = ("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet")
#: The picker plugin publishing llm_d_epp_inflight_tokens, the token-aware prefill signal (as pd-disaggregation's).
INFLIGHT_LOAD_PRODUCER = "inflight-load-producer"


class WideEp(pulumi.ComponentResource):
    """One MoE model served with wide expert parallelism. Type token ``llmd:paths:WideEp``.

    Children: :class:`MultiNodeModelServer` ``<model>-prefill`` and ``<model>-decode`` (LeaderWorkerSets sized by
    :func:`~pulumi_llmd.blueprints.config.wide_ep_sizes`), their autoscalers (one replica = one group) when
    ``autoscaling_metric`` is given; or in the DisaggregatedSet form (the default) one DisaggregatedSet whose roles are
    ``scaling.mode: External``, each driven by a KEDA ScaledObject on its DisaggregatedSetRoleScaler with
    ``minReplicaCount`` = the role's groups and ``maxReplicaCount`` = what the pool holds, on pd-disaggregation's
    token-aware triggers (:func:`~pulumi_llmd.blueprints.paths.workload_autoscaling.token_aware_scaled_objects`:
    prefill backlog seconds from the picker's ``llm_d_epp_inflight_tokens``, whose ``endpoint_name`` starts with
    the pod name ``<model>-<slice>-<revision>-prefill-...``; decode KV-cache occupancy summed over the decode pods'
    ranks and divided by ``dataParallelSize``, so it stays groups' worth of full KV cache; the picker runs
    ``inflight-load-producer``). The pool-wide queue signals cannot tell prefill from decode and need the
    ``flowControl`` gate this picker does not run. The prefill divisor is the guide's gpt-oss-120b / H200 figure per
    replica: a wide-EP group retires more, so prefill scales early (recalibrate). Then the picker with P/D plugins,
    the InferencePool over both roles (a target port per local rank) and the route. Attributes as
    :class:`~pulumi_llmd.blueprints.paths.optimized_baseline.SingleRolePath`. Only the LeaderWorkerSets wait for
    ``pool_ready``; ``picker_resources`` sizes the picker.

    Raises:
        ValueError: from :class:`MultiNodeModelServer` before anything registers (pods larger than a node, an engine
            spanning pods on a pool without RDMA, ...).
    """

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
        backends = pool.rdma.nixl_backends if pool.rdma is not None else ("UCX",)
        kv = {**nixl_kv_transfer_config(backends), "kv_load_failure_policy": "fail"}
        served_name = ctx.model.served_name
        specs: dict[str, tuple[int, WideEpSpec]] = {}
        for role in ("prefill", "decode"):
            sizes = ctx.model.role(role).wide_ep
            assert sizes is not None
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
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on)
        self.servers_by_role: dict[str, MultiNodeModelServer] = {}
        self.autoscalers: dict[str, ModelServerAutoscaler] = {}
        #: The DisaggregatedSet form (llmd:models[i].workloadForm, default): one upstream DisaggregatedSet.
        self.disaggregated_set: DisaggregatedSet | None = None
        #: KEDA per role (the DisaggregatedSet form: ModelConfig.keda_autoscaled), as pd-disaggregation's.
        keda_scaled = model.keda_autoscaled
        self.scaled_objects: dict[str, pulumi.Resource] = {}
        self.trigger_authentication: pulumi.Resource | None = None
        if model.uses_disaggregated_set:
            # Both roles are External and KEDA drives their DisaggregatedSetRoleScalers (never a plain HPA: the
            # scaler starts at 0 replicas and an HPA never scales a target at 0; pulumi_llmd.twin.model.role_scaling).
            ds = _disaggregated_set(ctx, specs, backends=backends, external_scaling=keda_scaled)
            self.disaggregated_set = DisaggregatedSet(model.name, ds, opts=child)
        else:
            for role, (replicas, spec) in specs.items():
                server = MultiNodeModelServer(
                    f"{model.name}-{role}",
                    namespace=namespace,
                    replicas=replicas,
                    spec=spec,
                    pool=pool,
                    labels=model_server_labels(guide=GUIDE, role=role, model=model.name),
                    resources=ctx.model.role(role).resources.to_pod_resources(),
                    hf_token_secret=hf_token_secret,
                    weights_gib=model.weights.weights_gib if model.weights is not None else None,
                    pool_ready=pool_ready,
                    image=model.image or versions.active_release().wide_ep_image.ref,
                    opts=child,
                )
                self.servers_by_role[role] = server
                if autoscaling_metric is not None:
                    self.autoscalers[role] = ModelServerAutoscaler(
                        f"{model.name}-{role}",
                        namespace=namespace,
                        deployment=f"{model.name}-{role}",
                        metric=autoscaling_metric,
                        min_replicas=replicas,
                        max_replicas=ctx.model.role(role).max_replicas,
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
                    prefill_scorers=WIDE_EP_PREFILL_SCORERS,
                    decode_scorers=WIDE_EP_DECODE_SCORERS,
                    producers=(INFLIGHT_LOAD_PRODUCER,) if keda_scaled else (),
                )
            ),
            opts=child,
            target_ports=target_ports(decode_spec),
            picker_resources=ctx.model.picker_resources,
        )
        self.picker, self.pool, self.route = routing.picker, routing.pool, routing.route
        if keda_scaled and self.disaggregated_set is not None:
            if ctx.keda is None:
                raise ValueError(
                    f"model {model.name}: KEDA scales its roles but the target wires no Prometheus for KEDA"
                )
            ds_set = self.disaggregated_set
            self.trigger_authentication, self.scaled_objects = token_aware_scaled_objects(
                model=model,
                namespace=namespace,
                keda=ctx.keda,
                targets={role: ds_set.role_scale_target(role) for role in specs},
                min_replicas={role: replicas for role, (replicas, _) in specs.items()},
                max_replicas={
                    role: max(replicas, ctx.model.role(role).max_replicas) for role, (replicas, _) in specs.items()
                },
                decode_ranks=specs["decode"][1].data_parallel_size,
                # Not after the set: its External roles have no pod until KEDA writes their scalers (an await of the
                # set would wait for the pods the ScaledObjects create); KEDA retries until the scalers exist.
                opts=child,
            )
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


def _disaggregated_set(
    ctx: PathContext,
    specs: Mapping[str, tuple[int, WideEpSpec]],
    *,
    backends: Sequence[str],
    external_scaling: bool,
) -> DisaggregatedSetArgs:
    """The DisaggregatedSet form's arguments (llm-d v0.10.0 guides/wide-ep/modelserver/gpu/vllm-deepseek-r1-0528/
    base/disaggregatedset.yaml): roles ``prefill`` and ``decode``, each a LeaderWorkerSet template of ``group_size``
    pods (one ``workerTemplate`` for leader and workers, as the guide) with the pods the LeaderWorkerSet form runs
    (:func:`~pulumi_llmd.components.serving.leader_worker_set.wide_ep_pod_template`), the guide's KV roles
    (``kv_producer`` / ``kv_consumer`` with ``kv_load_failure_policy: fail``), restart policy
    ``RecreateGroupOnPodRestart`` and rollouts maxSurge 0 / maxUnavailable 1 for both roles (no spare copy of a role's
    GPUs needed); role metadata labels as the guide. ``groupIdentity`` is not set (the guide sets none here)."""
    model = ctx.model.config
    pool = ctx.pool
    assert pool is not None
    release = versions.active_release()
    image = model.image or release.wide_ep_image.ref
    weights_gib = model.weights.weights_gib if model.weights is not None else None
    estimate = model_server_estimate(weights_gib, image, pool, wide_ep=True)
    roles: list[DisaggregatedRole] = []
    claims: list[Mapping[str, Any]] = []
    for role, (replicas, spec) in specs.items():
        server = f"{model.name}-{role}"
        labels = model_server_labels(guide=GUIDE, role=role, model=model.name)
        kv = {**nixl_kv_transfer_config(backends), "kv_role": KV_ROLES[role], "kv_load_failure_policy": "fail"}
        template = wide_ep_pod_template(
            name=server,
            replicas=replicas,
            spec=replace(spec, kv_transfer_config=kv),
            pool=pool,
            labels=labels,
            resources=ctx.model.role(role).resources.to_pod_resources(),
            service_account=service_account_name(model.name),
            hf_token_secret=ctx.hf_token_secret,
            image=image,
            sidecar_image=release.pd_sidecar.ref,
            weights_gib=weights_gib,
            startup_seconds=startup_probe_seconds(estimate),
        )  # raises ValueError (sizes, RDMA) before the set registers
        claim = claim_template_manifest(server, ctx.namespace, pool)
        if claim is not None:
            claims.append(claim)
        roles.append(
            DisaggregatedRole(
                name=role,
                replicas=replicas,
                worker_template=template,
                size=spec.group_size,
                restart_policy="RecreateGroupOnPodRestart",
                max_surge=0,
                max_unavailable=1,
                labels={**labels, "llm-d.ai/inference-serving": "true"},
                external_scaling=external_scaling,
            )
        )
    return DisaggregatedSetArgs(
        namespace=ctx.namespace,
        roles=roles,
        labels={LABEL_GUIDE: GUIDE, LABEL_MODEL: model.name},
        claim_templates=claims,
        pool_ready=list(ctx.pool_ready),
        startup_estimate=estimate,
    )


# --- config rules ---------------------------------------------------------------------------------------------------


def _keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """wide-ep needs ``prefill`` and ``dataParallelSize``."""
    issues = required_prefill_issues(key, model)
    if model.data_parallel_size is None:
        issues.append(
            ConfigIssue(
                key=f"{key}.dataParallelSize",
                message="is required on path 'wide-ep': the data-parallel (= expert-parallel) ranks of one engine, "
                "e.g. 16 for two 8-GPU nodes",
            )
        )
    return issues


def _sizing_issues(p: Placement) -> tuple[list[ConfigIssue], int]:
    """DP x TP x group size must match the GPUs placed, pods must fit nodes, and multi-pod engines need RDMA."""
    model, pool, shape, key = p.model, p.pool, p.shape, p.key
    issues: list[ConfigIssue] = []
    per_node = shape.accelerator_count
    demand = 0
    if model.pipeline_parallel_size != 1:
        issues.append(
            ConfigIssue(
                key=f"{key}.pipelineParallelSize",
                value=model.pipeline_parallel_size,
                message="wide-ep engines use data and expert parallelism; allowed: 1",
            )
        )
    fabric = pool_rdma(p.cloud, pool, shape)
    for role, where in (("decode", key), ("prefill", f"{key}.prefill")):
        sizes = wide_ep_sizes(model, shape, role)
        dp_key = f"{key}.dataParallelSize" if role == "decode" else f"{key}.prefill.dataParallelSize"
        if sizes.devices_per_pod > per_node or per_node % sizes.devices_per_pod:
            issues.append(
                ConfigIssue(
                    key=f"{key}.dataParallelSizeLocal",
                    value=sizes.data_parallel_size_local,
                    message=f"{role}: dataParallelSizeLocal x tensorParallelSize = {sizes.data_parallel_size_local} x "
                    f"{sizes.tensor_parallel_size} GPUs per pod must divide the {per_node} GPUs of a "
                    f"{shape.machine_type} node",
                )
            )
            continue
        if sizes.data_parallel_size % sizes.data_parallel_size_local:
            issues.append(
                ConfigIssue(
                    key=dp_key,
                    value=sizes.data_parallel_size,
                    message=f"{role}: must be a multiple of the {sizes.data_parallel_size_local} ranks of one pod "
                    "(DP = DP-local x pods per group)",
                )
            )
            continue
        if sizes.group_size > 1 and fabric is None:
            issues.append(
                ConfigIssue(
                    key=dp_key,
                    value=sizes.data_parallel_size,
                    message=f"{role}: one engine spans {sizes.group_size} pods, and wide-EP's all-to-all (DeepEP) "
                    f"needs RDMA between all of their GPUs; pool '{pool.name}' ({shape.machine_type}) has no RDMA "
                    "fabric: use a4-highgpu-8g / a3-ultragpu-8g on GKE, an EFA instance type on EKS, or an "
                    "existing pool with rdmaResource",
                )
            )
        if fabric is catalog.RdmaKind.ROCE and sizes.devices_per_pod != per_node:
            issues.append(
                ConfigIssue(
                    key=f"{key}.dataParallelSizeLocal",
                    value=sizes.data_parallel_size_local,
                    message=f"{role}: GKE attaches a node's RDMA NICs to one pod, so each pod must take all {per_node} "
                    f"GPUs (DP-local x TP = {per_node})",
                )
            )
        resources = server_resources(model, shape, role=role)
        issues.extend(pod_fit_issues(where, sizes.devices_per_pod, resources, shape))
        demand += sizes.devices
    return issues, demand


def wide_ep_placement(p: Placement) -> tuple[list[ConfigIssue], int]:
    """The engines' sizing and, when it holds, the weights: TP x DP shards per role for a mixture-of-experts model
    (its experts are spread over every rank; the replicated attention and dense layers are small next to them), TP
    for a dense one. The model takes every group's GPUs. Wide-EP needs NVIDIA GPUs (DeepEP on NVSHMEM)."""
    cuda = non_cuda_issues(p, "wide expert parallelism runs CUDA (DeepEP, NVSHMEM, the llm-d CUDA image)")
    if cuda:
        return cuda, 0
    issues, demand = _sizing_issues(p)
    if not issues:
        spec = p.model.weights
        roles: list[WeightsRole] = []
        for role, dp_key in (("decode", "dataParallelSize"), ("prefill", "prefill.dataParallelSize")):
            sizes = wide_ep_sizes(p.model, p.shape, role)
            shards = sizes.tensor_parallel_size * (sizes.data_parallel_size if spec is not None and spec.moe else 1)
            roles.append((role, dp_key, sizes.data_parallel_size, shards, sizes.devices_per_pod))
        issues.extend(weights_issues(p, roles))
    return issues, demand


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`).
RULES = {WellLitPath.WIDE_EP: PathRules(keys=_keys, placement=wide_ep_placement)}
