"""llm-d's pd-disaggregation well-lit path: prefill and decode servers that hand KV caches over RDMA.

Prefill servers compute prompts' KV caches; decode servers generate tokens. The endpoint picker chooses one of
each per request (``prefill-filter`` / ``decode-filter`` on the ``llm-d.ai/role`` label); the P/D sidecar on the
decode pod sends the prompt to the chosen prefill pod, and vLLM's NixlConnector moves the KV blocks to the decode
GPU over the pool's RDMA fabric: UCX over RoCE on GKE A3 Ultra / A4 (pods attached to the node's RDMA NICs through
multi-networking), LIBFABRIC over EFA on EKS (``vpc.amazonaws.com/efa`` devices in every pod), UCX over InfiniBand
(``rdma/ib``) on an existing cluster. Source: llm-d guides/pd-disaggregation (gpt-oss-120b; prefill x8 TP1,
decode x2 TP4; AWS: 2 / 8 EFA devices on p5en.48xlarge). Upstream result on 16 x H200 over InfiniBand: -47%
end-to-end latency, -67% inter-token latency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

import pulumi

from pulumi_llmd.blueprints.config import ModelConfig, PrefillConfig, WellLitPath
from pulumi_llmd.blueprints.issues import ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext
from pulumi_llmd.blueprints.paths.routing import PickerSetup, route_model
from pulumi_llmd.blueprints.paths.rules import (
    PathRules,
    Placement,
    decode_fit_issues,
    decode_role,
    no_tpu_issues,
    pod_fit_issues,
    required_prefill_issues,
    weights_issues,
)
from pulumi_llmd.blueprints.paths.workload_autoscaling import autoscaling_issues, token_aware_scaled_objects
from pulumi_llmd.blueprints.plan import pool_rdma, server_resources
from pulumi_llmd.components import versions
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.serving import ModelServer, ModelServerAutoscaler, VllmSpec, model_server_labels
from pulumi_llmd.components.serving.disaggregated_set import (
    DisaggregatedRole,
    DisaggregatedSet,
    service_account_name,
)
from pulumi_llmd.components.serving.disaggregation import (
    DECODE_VLLM_PORT,
    NIXL_SIDE_CHANNEL_PORT,
    PD_BLOCK_SIZE,
    PD_FIELD_ENV,
    PREFILL_KEEP_ALIVE_SECONDS,
    nixl_kv_transfer_config,
    nixl_port,
    nixl_role_kv_transfer_config,
    pd_affinity,
    pd_sidecar_container,
)
from pulumi_llmd.components.serving.model_server import (
    LABEL_GUIDE,
    LABEL_MODEL,
    PORT_NAME,
    VLLM_PORT,
    claim_template_manifest,
    model_server_estimate,
    vllm_image,
    vllm_pod_template,
)
from pulumi_llmd.components.serving.picker_configs import pd_picker_config
from pulumi_llmd.components.startup import startup_probe_seconds

#: The picker plugin publishing llm_d_epp_inflight_tokens, the token-aware prefill signal.
INFLIGHT_LOAD_PRODUCER = "inflight-load-producer"

GUIDE = WellLitPath.PD_DISAGGREGATION.value
#: Pod annotation recording an explicit choice of TCP for KV transfer (what the llm-d-practices pack accepts).
KV_TRANSPORT_ANNOTATION = "llm-d.ai/kv-transport"
#: vLLM flag the guide adds in both roles (keep the hybrid KV-cache manager on with the NixlConnector).
HYBRID_KV_FLAG = "--no-disable-hybrid-kv-cache-manager"
#: DisaggregatedSet form: (maxSurge, maxUnavailable) per role, as llm-d's guide rolls them (prefill 0 / 1; decode
#: 1 / 0 so a slice never loses its only decode: guides/pd-disaggregation/.../base/disaggregatedset.yaml).
PD_ROLLOUT: Mapping[str, tuple[int, int]] = {"prefill": (0, 1), "decode": (1, 0)}
#: ``groupIdentity`` of the DisaggregatedSet roles. llm-d's guide sets ``Hash`` (leaders under a Deployment, unhealthy
#: groups shed first on scale-down: kubernetes-sigs/lws site/content/en/docs/concepts/leaderworkerset/group-identity),
#: a field of LWS releases newer than the carried DisaggregatedSet CRD (v0.10.0, strict schema: unknown fields fail
#: the render). Set ``"Hash"`` once the carried CRD is v0.11.1 (what llm-d requires). Default: None (left out).
PD_GROUP_IDENTITY: Literal["Hash", "Ordinal"] | None = None


class PdDisaggregation(pulumi.ComponentResource):
    """One model served with prefill/decode disaggregation. Type token ``llmd:paths:PdDisaggregation``.

    Children: :class:`ModelServer` ``<model>-prefill`` (``prefill.replicas`` x ``prefill.tensorParallelSize``) and
    ``<model>-decode`` (the model's replicas x TP, vLLM on 8200 behind the P/D sidecar on 8000), both with
    ``--block-size`` (default 128), ``--kv-transfer-config`` NixlConnector (``kv_both``; the pool's NIXL backends,
    LIBFABRIC on EFA), the NIXL side-channel host from the pod IP and port ``nixl`` 5600, the pool's RDMA attachment
    (unless ``kvTransport: tcp``) and affinity keeping the model in one zone and the roles on separate nodes;
    autoscalers for both roles when ``autoscaling_metric`` is given, or with ``autoscaling`` (autoscaler ``keda``)
    one KEDA ScaledObject per role instead, prefill and decode scaling independently as llm-d's token-aware guide
    builds them (:func:`~pulumi_llmd.blueprints.paths.workload_autoscaling.token_aware_scaled_objects`; the picker
    then also runs ``inflight-load-producer``). In the DisaggregatedSet form (the default) the roles are always
    KEDA-scaled, ``scaling.mode: External``, each ScaledObject on the role's DisaggregatedSetRoleScaler with
    ``minReplicaCount`` = the role's replicas (KEDA takes the scaler from 0 to there on the first deploy; a plain HPA
    would not) and not waiting for the set. Then the picker with the P/D plugins, the InferencePool over both roles
    (target port 8000) and the route.

    On an EFA pool (EKS) the servers run the image llm-d's AWS overlay uses, with the EFA libraries NIXL's
    LIBFABRIC backend needs (the active llm-d release's ``vllm_aws_efa``; llm-d guides pd-disaggregation/modelserver/
    gpu/vllm/aws).
    Only the model servers wait for ``pool_ready``; ``picker_resources`` sizes the picker.

    Raises:
        ValueError: before registering anything, when ``kvTransport`` is ``rdma`` and the pool has no RDMA fabric
            or its attachment needs whole-node pods the sizes do not give (see ``rdma_pod_parts``).
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
        prefill = model.prefill or PrefillConfig()
        rdma = model.kv_transport == "rdma"
        if rdma and pool.rdma is None:
            raise ValueError(
                f"model {model.name}: kvTransport 'rdma' but pool '{pool.name}' ({pool.shape.machine_type}) has no "
                "RDMA fabric attached; use an RDMA pool or kvTransport 'tcp'"
            )
        backends = pool.rdma.nixl_backends if rdma and pool.rdma is not None else ("UCX",)
        efa = rdma and pool.rdma is not None and pool.rdma.fabric is RdmaKind.EFA
        release = versions.active_release()
        image = model.image or (release.vllm_aws_efa.ref if efa else release.vllm_image(tpu=False).ref)
        super().__init__("llmd:paths:PdDisaggregation", model.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on)
        served_name = ctx.model.served_name
        selector = {LABEL_GUIDE: GUIDE, LABEL_MODEL: model.name}
        base = VllmSpec(
            model=model.hugging_face_id,
            served_name=served_name,
            max_model_len=model.max_model_len,
            gpu_memory_utilization=model.gpu_memory_utilization,
            block_size=model.block_size or PD_BLOCK_SIZE,
            kv_transfer_config=nixl_kv_transfer_config(backends),
            path_args=(HYBRID_KV_FLAG,),
            extra_args=model.extra_args,
        )
        roles = {
            "prefill": (
                prefill.replicas,
                replace(
                    base,
                    tensor_parallel_size=prefill.tensor_parallel_size,
                    extra_env={"VLLM_HTTP_TIMEOUT_KEEP_ALIVE": PREFILL_KEEP_ALIVE_SECONDS, **model.extra_env},
                    secret_env=model.secret_env_refs,
                ),
            ),
            "decode": (
                model.replicas,
                replace(
                    base,
                    tensor_parallel_size=model.tensor_parallel_size,
                    pipeline_parallel_size=model.pipeline_parallel_size,
                    port=DECODE_VLLM_PORT,
                    extra_env=model.extra_env,
                    secret_env=model.secret_env_refs,
                ),
            ),
        }
        self.servers_by_role: dict[str, ModelServer] = {}
        self.autoscalers: dict[str, ModelServerAutoscaler] = {}
        #: KEDA per role (llmd:models[i].autoscaling, autoscaler keda: the token-aware guide's two ScaledObjects).
        keda_scaled = model.keda_autoscaled
        self.scaled_objects: dict[str, pulumi.Resource] = {}
        self.trigger_authentication: pulumi.Resource | None = None
        #: The DisaggregatedSet form (llmd:models[i].workloadForm, default): one upstream DisaggregatedSet.
        self.disaggregated_set: DisaggregatedSet | None = None
        if model.uses_disaggregated_set:
            # Autoscaled roles are External: their DisaggregatedSetRoleScaler <model>-<role> is the stable scale
            # target (child LeaderWorkerSet names carry a revision hash; kubernetes-sigs/lws site/content/en/docs/
            # concepts/disaggregatedset/role-scaler). Only KEDA drives them (ModelConfig.keda_autoscaled holds for
            # this form; autoscaler 'hpa' is a config error): the scaler starts at 0 replicas and KEDA writes
            # minReplicaCount (= the role's replicas) from there, while a plain HPA never scales a target at 0
            # (pulumi_llmd.twin.model.role_scaling cites LWS, KEDA and the HPA controller).
            self.disaggregated_set = _disaggregated_set(
                ctx, roles, backends=backends, rdma=rdma, image=image, external_scaling=keda_scaled, opts=child
            )
        else:
            for role, (replicas, spec) in roles.items():
                other = "decode" if role == "prefill" else "prefill"
                server = ModelServer(
                    f"{model.name}-{role}",
                    namespace=namespace,
                    replicas=replicas,
                    spec=spec,
                    pool=pool,
                    labels=model_server_labels(guide=GUIDE, role=role, model=model.name),
                    resources=ctx.model.role(role).resources.to_pod_resources(),
                    hf_token_secret=hf_token_secret,
                    autoscaled=autoscaling_metric is not None or keda_scaled,
                    rdma=rdma,
                    sidecar=pd_sidecar_container() if role == "decode" else None,
                    extra_ports=[nixl_port()],
                    field_env=PD_FIELD_ENV,
                    affinity=pd_affinity(guide=GUIDE, model=model.name, avoid_role=other),
                    pod_annotations=None if rdma else {KV_TRANSPORT_ANNOTATION: "tcp"},
                    image=image,
                    weights_gib=model.weights.weights_gib if model.weights is not None else None,
                    pool_ready=pool_ready,
                    opts=child,
                )
                self.servers_by_role[role] = server
                if autoscaling_metric is not None and not keda_scaled:
                    self.autoscalers[role] = ModelServerAutoscaler(
                        f"{model.name}-{role}",
                        namespace=namespace,
                        deployment=f"{model.name}-{role}",
                        metric=autoscaling_metric,
                        min_replicas=replicas,
                        max_replicas=ctx.model.role(role).max_replicas,
                        opts=child,
                    )
        routing = route_model(
            model,
            namespace=namespace,
            gateway=gateway,
            gateway_listener=gateway_listener,
            server_labels=selector,
            picker=PickerSetup(
                config_text=pd_picker_config(producers=(INFLIGHT_LOAD_PRODUCER,) if keda_scaled else ())
            ),
            opts=child,
            picker_resources=ctx.model.picker_resources,
        )
        self.picker, self.pool, self.route = routing.picker, routing.pool, routing.route
        if keda_scaled:
            if ctx.keda is None:
                raise ValueError(f"model {model.name}: autoscaling 'keda' but the target wires no Prometheus for KEDA")
            self.trigger_authentication, self.scaled_objects = token_aware_scaled_objects(
                model=model,
                namespace=namespace,
                keda=ctx.keda,
                targets=(
                    {role: self.disaggregated_set.role_scale_target(role) for role in roles}
                    if self.disaggregated_set is not None
                    else {role: (("apps/v1", "Deployment"), f"{model.name}-{role}") for role in roles}
                ),
                min_replicas={role: replicas for role, (replicas, _) in roles.items()},
                max_replicas={
                    role: max(replicas, ctx.model.role(role).max_replicas) for role, (replicas, _) in roles.items()
                },
                # The Deployments (awaited with their replicas) come first; a DisaggregatedSet's External roles have
                # no pod until KEDA writes their scalers, so the ScaledObjects never wait for the set (its await would
                # need the pods they create); KEDA retries until the controller has created the scalers.
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=list(self.servers_by_role.values()))
                ),
            )
        self.servers: ModelServer | DisaggregatedSet = (
            self.disaggregated_set if self.disaggregated_set is not None else self.servers_by_role["decode"]
        )
        self.server_selector = selector
        #: 8000: vLLM on prefill pods and the sidecar on decode pods; 8200: decode vLLM (metrics).
        self.server_ports = [VLLM_PORT, DECODE_VLLM_PORT]
        #: The decode sidecar calls prefill pods on 8000; NIXL handshakes on 5600 between the roles; over TCP, UCX opens
        #: dynamic ports between the pods.
        self.peer_ports: list[int] | Literal["all"] = [VLLM_PORT, NIXL_SIDE_CHANNEL_PORT] if rdma else "all"
        self.picker_ports: list[int] = []
        #: Container ports monitoring scrapes vLLM metrics from.
        self.metrics_ports: list[str] = [PORT_NAME]
        self.pool_name = model.name
        self.served_name = served_name
        self.route_path = model.route_path_prefix
        self.kv_transport = model.kv_transport
        self.register_outputs(
            {
                "poolName": model.name,
                "servedName": served_name,
                "routePath": model.route_path_prefix,
                "kvTransport": model.kv_transport,
                "nixlBackends": list(backends),
            }
        )


def _disaggregated_set(
    ctx: PathContext,
    roles: Mapping[str, tuple[int, VllmSpec]],
    *,
    backends: Sequence[str],
    rdma: bool,
    image: str | None,
    external_scaling: bool,
    opts: pulumi.ResourceOptions,
) -> DisaggregatedSet:
    """The DisaggregatedSet form of the model servers (llm-d v0.10.0 guides/pd-disaggregation/modelserver/gpu/vllm/
    base/disaggregatedset.yaml): one set ``<model>`` with one slice and the roles ``prefill`` and ``decode``, each a
    single-host LeaderWorkerSet template (``size: 1``) with the pods the Deployment form runs
    (:func:`~pulumi_llmd.components.serving.model_server.vllm_pod_template`: probes, RDMA attachment, affinity,
    the decode routing sidecar on 8000 in front of vLLM on 8200), but the KV roles the guide gives them
    (``kv_producer`` / ``kv_consumer``, :func:`~pulumi_llmd.components.serving.disaggregation.
    nixl_role_kv_transfer_config`). Rollouts as the guide: prefill maxSurge 0 / maxUnavailable 1, decode 1 / 0 (a slice
    never loses its only decode; needs one decode's spare GPUs while it rolls). ``groupIdentity`` (the guide's
    ``Hash``) is left out: the carried DisaggregatedSet CRD (LWS v0.10.0) has no such field. With
    ``external_scaling`` (KEDA per role) both roles are ``scaling.mode: External`` and an autoscaler drives their
    DisaggregatedSetRoleScalers."""
    model = ctx.model.config
    pool = ctx.pool
    assert pool is not None
    name = model.name
    weights_gib = model.weights.weights_gib if model.weights is not None else None
    resolved = vllm_image(pool, image)
    estimate = model_server_estimate(weights_gib, resolved, pool)
    ds_roles: list[DisaggregatedRole] = []
    claims: list[dict[str, object]] = []
    for role, (replicas, spec) in roles.items():
        other = "decode" if role == "prefill" else "prefill"
        server = f"{name}-{role}"
        labels = model_server_labels(guide=GUIDE, role=role, model=name)
        template = vllm_pod_template(
            name=server,
            spec=replace(spec, kv_transfer_config=nixl_role_kv_transfer_config(role, backends)),
            pool=pool,
            labels=labels,
            resources=ctx.model.role(role).resources.to_pod_resources(),
            service_account=service_account_name(name),
            hf_token_secret=ctx.hf_token_secret,
            image=resolved,
            rdma=rdma,
            sidecar=pd_sidecar_container() if role == "decode" else None,
            extra_ports=[nixl_port()],
            field_env=PD_FIELD_ENV,
            affinity=pd_affinity(guide=GUIDE, model=name, avoid_role=other),
            pod_annotations=None if rdma else {KV_TRANSPORT_ANNOTATION: "tcp"},
            weights_gib=weights_gib,
            startup_seconds=startup_probe_seconds(estimate),
        )  # raises ValueError (RDMA attachment) before the set registers
        if rdma:
            claim = claim_template_manifest(server, ctx.namespace, pool)
            if claim is not None:
                claims.append(claim)
        surge, unavailable = PD_ROLLOUT[role]
        ds_roles.append(
            DisaggregatedRole(
                name=role,
                replicas=replicas,
                worker_template=template,
                max_surge=surge,
                max_unavailable=unavailable,
                group_identity=PD_GROUP_IDENTITY,
                external_scaling=external_scaling,
            )
        )
    return DisaggregatedSet(
        name,
        namespace=ctx.namespace,
        roles=ds_roles,
        labels={LABEL_GUIDE: GUIDE, LABEL_MODEL: name},
        claim_templates=claims,
        pool_ready=list(ctx.pool_ready),
        startup_estimate=estimate,
        opts=opts,
    )


# --- config rules ---------------------------------------------------------------------------------------------------


def _prefill_issues(p: Placement) -> list[ConfigIssue]:
    """The prefill servers' TP divides a node's accelerators and their pods fit a node."""
    prefill = p.model.prefill
    assert prefill is not None
    per_node, tp = p.shape.accelerator_count, prefill.tensor_parallel_size
    if tp > per_node or per_node % tp:
        return [
            ConfigIssue(
                key=f"{p.key}.prefill.tensorParallelSize",
                value=tp,
                message=f"must divide the {per_node} accelerators of one {p.shape.machine_type} node; "
                f"allowed: {[d for d in range(1, per_node + 1) if per_node % d == 0]}",
            )
        ]
    return pod_fit_issues(f"{p.key}.prefill", tp, server_resources(p.model, p.shape, role="prefill"), p.shape)


def _kv_transport_issues(p: Placement) -> list[ConfigIssue]:
    """P/D moves KV caches over RDMA unless the model says TCP; RDMA NICs must reach every P/D pod (GKE's RoCE NICs
    attach to one pod per node, so each P/D pod takes all of its node's GPUs)."""
    model, shape = p.model, p.shape
    if model.kv_transport == "tcp":
        return []
    fabric = pool_rdma(p.cloud, p.pool, shape)
    if fabric is None:
        return [
            ConfigIssue(
                key=f"{p.key}.kvTransport",
                value="rdma",
                message=f"pool '{p.pool.name}' ({shape.machine_type}) has no RDMA fabric; P/D disaggregation moves KV "
                f"caches between pods over RDMA: use {p.rdma_hint}, or set kvTransport: tcp to accept the slower pod "
                "network",
            )
        ]
    issues: list[ConfigIssue] = []
    if fabric is RdmaKind.ROCE:  # GKE device-mode RDMA interfaces: one pod per node owns the NICs
        per_node = shape.accelerator_count
        prefill_tp = model.prefill.tensor_parallel_size if model.prefill else per_node
        sizes = (("tensorParallelSize", model.tensor_parallel_size), ("prefill.tensorParallelSize", prefill_tp))
        for field, tp in sizes:
            devices = tp * (model.pipeline_parallel_size if field == "tensorParallelSize" else 1)
            if devices != per_node:
                issues.append(
                    ConfigIssue(
                        key=f"{p.key}.{field}",
                        value=tp,
                        message=f"on GKE the {shape.rdma_nics} RDMA NICs of a {shape.machine_type} node attach to one "
                        f"pod (multi-networking device interfaces), so each P/D pod must take all {per_node} GPUs of "
                        f"its node; allowed: {per_node} (or kvTransport: tcp)",
                    )
                )
    return issues


def pd_placement(p: Placement) -> tuple[list[ConfigIssue], int]:
    """The decode servers' sizing (as a single-role path), the weights for both roles, no TPU pool, the prefill
    servers' sizing and the KV transport; the model takes replicas x TP x PP + prefill replicas x prefill TP
    accelerators."""
    model, per_node = p.model, p.shape.accelerator_count
    issues, fits = decode_fit_issues(p)
    if not fits:
        return issues, 0
    prefill = model.prefill
    if not per_node % model.gpus_per_replica and not (prefill is not None and per_node % prefill.tensor_parallel_size):
        roles = [decode_role(model)]
        if prefill is not None:
            tp = prefill.tensor_parallel_size
            roles.append(("prefill", "prefill.tensorParallelSize", tp, tp, tp))
        issues.extend(weights_issues(p, roles))
    issues.extend(no_tpu_issues(p))
    demand = model.replicas * model.gpus_per_replica
    if prefill is not None:
        issues.extend(_prefill_issues(p))
        demand += prefill.replicas * prefill.tensor_parallel_size
        issues.extend(_kv_transport_issues(p))
    return issues, demand


#: This path's config rules (:func:`pulumi_llmd.blueprints.paths.path_rules`).
def _pd_keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """``prefill`` is required; the ``autoscaling`` block's rules (per-role KEDA, token-aware)."""
    return [*required_prefill_issues(key, model), *autoscaling_issues(key, model)]


RULES = {WellLitPath.PD_DISAGGREGATION: PathRules(keys=_pd_keys, placement=pd_placement)}
