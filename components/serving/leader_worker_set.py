"""Multi-node vLLM model servers on LeaderWorkerSet for wide expert parallelism (DeepEP), prefill and decode roles.

One LeaderWorkerSet group is one vLLM data-parallel (DP) engine spread over ``group_size`` pods (the leader and its
workers); every pod runs ``data_parallel_size_local`` DP ranks (one per GPU with TP 1) under vLLM's DP supervisor,
each rank serving HTTP on its own port, and the experts are sharded over all ranks of the group
(``--enable-expert-parallel``), which exchange tokens all-to-all over RDMA (DeepEP on NVSHMEM).

Source of truth: llm-d/llm-d ``guides/wide-ep-lws`` (README.md; ``modelserver/gpu/vllm/base/prefill.yaml`` and
``decode.yaml``; the ``gke`` and ``coreweave`` overlays; ``router/wide-ep-lws.values.yaml``), which runs
DeepSeek-R1-0528 as one prefill and one decode LeaderWorkerSet of size 2 with 8 DP ranks per pod (DP 16 each, 32 GPUs).

What a pod looks like (for ``n`` = ``data_parallel_size_local``):

* prefill: vLLM ranks on ports ``8000 .. 8000+n-1`` (``rank0..``) and the DP supervisor on ``8000+n``;
* decode: the llm-d routing sidecar (a restartable init container) on ``8000 .. 8000+n-1`` (``rank0..``), forwarding
  rank ``i`` to vLLM on ``8200+i`` (``vllm-rank0..``), the supervisor on ``8200+n``;
* the InferencePool targets ``8000 .. 8000+n-1`` (:func:`target_ports`), one port per DP rank of a pod.

Cloud specifics arrive through :class:`~pulumi_llmd.components.base.AcceleratorPool` (placement, environment) and its
:class:`~pulumi_llmd.components.base.RdmaAttachment` (GKE multi-networking annotations, the EFA / InfiniBand extended
resource sized with ``nics_for``, or DRA claims); nothing here imports a cloud package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, format_problem, ref_name
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.models import HF_CACHE_PATH, cache_gib, pod_ephemeral_gib, weights_annotations
from pulumi_llmd.components.serving.model_server import (
    VLLM_PORT,
    HasAcceleratorPool,
    PodResources,
    RdmaParts,
    accelerator_pool,
    disruption_budget_manifest,
    hf_token_env,
    model_server_estimate,
    pod_fit_problems,
    quantity_problem,
    rdma_pod_parts,
    register_claim_template,
    selector_problem,
    service_account_manifest,
    startup_failure_threshold,
    with_secret_env,
    workload_options,
)
from pulumi_llmd.components.serving.weights_cache import (
    WeightsCacheMount,
    cache_annotations,
    cache_mount_parts,
    current_weights_cache,
)
from pulumi_llmd.components.startup import startup_probe_seconds

__all__ = [
    "ALL2ALL_DEFAULTS",
    "DP_RPC_PORT",
    "GUIDE_TUNING_ARGS",
    "LWS_API_VERSION",
    "SIDECAR_VLLM_PORT",
    "WIDE_EP_CAPABILITIES",
    "WIDE_EP_KV_TRANSFER_CONFIG",
    "WIDE_EP_RESOURCES",
    "MultiNodeModelServer",
    "MultiNodeModelServerArgs",
    "WideEpRole",
    "WideEpSpec",
    "launch_script",
    "leader_worker_set_manifest",
    "target_ports",
    "wide_ep_pod_template",
    "wide_ep_problems",
]

#: LeaderWorkerSet API group/version (kubernetes-sigs/lws; FACTS: ``leaderworkerset.x-k8s.io/v1``).
LWS_API_VERSION: Final = "leaderworkerset.x-k8s.io/v1"
#: The two roles of a P/D wide-EP deployment (the ``llm-d.ai/role`` label value).
WideEpRole = Literal["prefill", "decode"]
_ROLES: Final = ("prefill", "decode")
#: vLLM MoE all-to-all backend per role (guide: decode ``deepep_low_latency``, prefill ``deepep_high_throughput``).
ALL2ALL_DEFAULTS: Final[Mapping[str, str]] = {"prefill": "deepep_high_throughput", "decode": "deepep_low_latency"}
#: Role-specific vLLM tuning of the guide (prefill: ``--gpu-memory-utilization 0.80``; decode: ``MAX_TOKENS=256`` for
#: ``--max-num-batched-tokens`` / ``--max-num-seqs``, dual-batch overlap ``--enable-dbo``, threshold 32).
GUIDE_TUNING_ARGS: Final[Mapping[str, tuple[str, ...]]] = {
    "prefill": ("--gpu-memory-utilization=0.80",),
    "decode": (
        "--max-num-batched-tokens=256",
        "--max-num-seqs=256",
        "--enable-dbo",
        "--dbo-decode-token-threshold=32",
    ),
}
#: The guide's ``--kv_transfer_config`` of both roles (NIXL, either side may send; fail a request on a lost KV load).
WIDE_EP_KV_TRANSFER_CONFIG: Final[Mapping[str, str]] = {
    "kv_connector": "NixlConnector",
    "kv_role": "kv_both",
    "kv_load_failure_policy": "fail",
}
#: Port of the DP coordinator's RPC on the leader (guide: ``--data-parallel-rpc-port 5555``).
DP_RPC_PORT: Final = 5555
#: First vLLM rank port on decode pods, behind the routing sidecar (guide: ``--port 8200``, sidecar ``--vllm-port``).
SIDECAR_VLLM_PORT: Final = 8200
#: Linux capabilities of the vLLM container, and no others (guide: ``IPC_LOCK`` to pin memory for RDMA, ``SYS_RAWIO``
#: for GPU-initiated RDMA / GDRCopy in NVSHMEM and DeepEP). Never ``privileged``.
WIDE_EP_CAPABILITIES: Final = ("IPC_LOCK", "SYS_RAWIO")
#: Pod resources of the guide: requests 32 CPUs and 512 GiB (limit 512 GiB; CPU limit = request here, the guide sets
#: none), ``/dev/shm`` 2 GiB ("roughly 32MB per local DP plus scratch space").
WIDE_EP_RESOURCES: Final = PodResources(
    cpu_request="32", cpu_limit="32", memory_request="512Gi", memory_limit="512Gi", shm_size="2Gi"
)
#: Where the guide roots vLLM's JIT caches and the Hugging Face cache (two emptyDir volumes).
_JIT_CACHE: Final = "/var/cache/vllm"
_HF_CACHE: Final = HF_CACHE_PATH
#: Environment of both roles (guide base manifests), before the role's, the fabric's, the pool's and the spec's.
_GUIDE_ENV: Final[Mapping[str, str]] = {
    "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS": "1",
    "VLLM_RANDOMIZE_DP_DUMMY_INPUTS": "1",
    "TRITON_LIBCUDA_PATH": "/usr/lib64",
    "VLLM_SKIP_P2P_CHECK": "1",
    "NVIDIA_GDRCOPY": "enabled",
    "NVSHMEM_BOOTSTRAP_UID_SOCK_IFNAME": "eth0",
    "GLOO_SOCKET_IFNAME": "eth0",
    "NCCL_SOCKET_IFNAME": "eth0",
    "VLLM_LOGGING_LEVEL": "INFO",
    "CUDA_CACHE_PATH": f"{_JIT_CACHE}/cuda",
    "CCACHE_DIR": f"{_JIT_CACHE}/ccache",
    "VLLM_CACHE_ROOT": f"{_JIT_CACHE}/vllm",
    "FLASHINFER_WORKSPACE_BASE": f"{_JIT_CACHE}/flashinfer",
    "HF_HUB_CACHE": _HF_CACHE,
}
_ROLE_ENV: Final[Mapping[str, Mapping[str, str]]] = {
    # Engine start (weights of a 671B model, DeepGEMM warm-up) outlasts vLLM's default; the keep-alive must exceed the
    # decode sidecar's 90 s idle-connection timeout or the prefill side resets connections.
    "prefill": {"VLLM_ENGINE_READY_TIMEOUT_S": "3000", "VLLM_HTTP_TIMEOUT_KEEP_ALIVE": "120"},
    # DeepGEMM kernels; NVSHMEM symmetric heap for DeepEP low-latency buffers ("Prevent NVSHMEM OOM").
    "decode": {"VLLM_USE_DEEP_GEMM": "1", "NVSHMEM_SYMMETRIC_SIZE": "16G"},
}
#: NVSHMEM's inter-node transport for DeepEP, per fabric: GPU-initiated RDMA (IBGDA) on InfiniBand / RoCE as the guide
#: sets it; on EFA (no IBGDA) NVSHMEM's libfabric transport with the EFA provider (not validated by the guide).
_FABRIC_ENV: Final[Mapping[RdmaKind, Mapping[str, str]]] = {
    RdmaKind.ROCE: {"NVSHMEM_REMOTE_TRANSPORT": "ibgda", "NVSHMEM_IB_ENABLE_IBGDA": "true"},
    RdmaKind.INFINIBAND: {"NVSHMEM_REMOTE_TRANSPORT": "ibgda", "NVSHMEM_IB_ENABLE_IBGDA": "true"},
    RdmaKind.EFA: {"NVSHMEM_REMOTE_TRANSPORT": "libfabric", "NVSHMEM_LIBFABRIC_PROVIDER": "efa"},
}
_BACKEND_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, kw_only=True)
class WideEpSpec:
    """What one wide-EP vLLM engine (one LeaderWorkerSet group) runs. Sizes are counts; ``max_model_len`` is tokens.

    Attributes:
        model: Hugging Face model id (the ``vllm serve`` positional), e.g. ``deepseek-ai/DeepSeek-R1-0528``.
        role: ``"prefill"`` or ``"decode"``.
        data_parallel_size: DP ranks of the whole group (``--data-parallel-size``; guide: 16).
        data_parallel_size_local: DP ranks per pod (``--data-parallel-size-local``; guide: 8, one per GPU with TP 1).
        group_size: pods per LWS group, leader included (LWS ``size``; guide: 2).
        served_name: ``--served-model-name`` when it differs from ``model``. Default: None (``model``).
        tensor_parallel_size: TP size of every DP rank (default 1, as the guide); a pod takes TP x DP-local GPUs.
        all2all_backend: vLLM ``--all2all-backend``; None (default) picks the role's from :data:`ALL2ALL_DEFAULTS`.
        moe_backend: vLLM ``--moe-backend`` (default ``deep_gemm``, as the guide); None leaves vLLM's choice.
        kv_transfer_config: vLLM KVTransferConfig for P/D (e.g. :data:`WIDE_EP_KV_TRANSFER_CONFIG`, plus
            ``kv_connector_extra_config.backends = ["LIBFABRIC"]`` on EFA), JSON-encoded into
            ``--kv-transfer-config``; None (default) for no KV transfer.
        max_model_len: ``--max-model-len``, tokens. Default: None (the model's).
        tuning_args: role tuning flags; None (default) takes the guide's :data:`GUIDE_TUNING_ARGS` of the role,
            ``()`` none.
        routing_sidecar: run llm-d's P/D routing sidecar in front of the ranks; None (default) = on for decode, off
            for prefill, as the guide.
        extra_args: more ``vllm serve`` flags, appended last. Default: none.
        extra_env: more container environment, winning over every default. Default: none.
        secret_env: env vars read from Kubernetes Secrets: name -> ``(Secret name, key)``
            (``model_server.with_secret_env``). Default: none.

    Raises:
        ValueError: naming the field, its value and what is allowed: an unknown role, an empty model, sizes below 1,
            ``data_parallel_size != data_parallel_size_local x group_size``, an all-to-all or MoE backend that is not
            a lower-case identifier, ``max_model_len < 1``, or a ``kv_transfer_config`` that is not JSON-encodable.
    """

    model: str
    role: WideEpRole
    data_parallel_size: int
    data_parallel_size_local: int
    group_size: int
    served_name: str | None = None
    tensor_parallel_size: int = 1
    all2all_backend: str | None = None
    moe_backend: str | None = "deep_gemm"
    kv_transfer_config: Mapping[str, Any] | None = None
    max_model_len: int | None = None
    tuning_args: Sequence[str] | None = None
    routing_sidecar: bool | None = None
    extra_args: Sequence[str] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def bad(field_name: str, value: object, allowed: str) -> ValueError:
            return ValueError(f"WideEpSpec: {field_name} = {value!r}: {allowed}")

        if self.role not in _ROLES:
            raise bad("role", self.role, f"allowed: {', '.join(_ROLES)}")
        if not self.model:
            raise bad("model", self.model, "a model id is required")
        for name in ("data_parallel_size", "data_parallel_size_local", "group_size", "tensor_parallel_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(name, value, "must be an integer >= 1")
        if self.data_parallel_size != self.data_parallel_size_local * self.group_size:
            raise bad(
                "data_parallel_size",
                self.data_parallel_size,
                "must equal data_parallel_size_local x group_size "
                f"({self.data_parallel_size_local} x {self.group_size} = "
                f"{self.data_parallel_size_local * self.group_size})",
            )
        for name in ("all2all_backend", "moe_backend"):
            value = getattr(self, name)
            if value is not None and not _BACKEND_NAME.fullmatch(value):
                raise bad(name, value, "must be a vLLM backend name (lower case, digits, '_'), or None")
        if self.max_model_len is not None and self.max_model_len < 1:
            raise bad("max_model_len", self.max_model_len, "must be >= 1 tokens, or None")
        if self.kv_transfer_config is not None:
            try:
                json.dumps(dict(self.kv_transfer_config))
            except (TypeError, ValueError) as exc:
                raise bad("kv_transfer_config", self.kv_transfer_config, f"must be JSON-encodable ({exc})") from exc

    @property
    def devices_per_pod(self) -> int:
        """GPUs one pod takes: TP x DP-local."""
        return self.tensor_parallel_size * self.data_parallel_size_local

    @property
    def devices_per_group(self) -> int:
        """GPUs one LWS group (one engine) takes: TP x DP (= devices per pod x group size)."""
        return self.tensor_parallel_size * self.data_parallel_size

    @property
    def backend(self) -> str:
        """The all-to-all backend in effect: ``all2all_backend`` or the role's default."""
        return self.all2all_backend or ALL2ALL_DEFAULTS[self.role]

    @property
    def sidecar(self) -> bool:
        """Whether pods run the P/D routing sidecar (``routing_sidecar``, default: decode only)."""
        return self.role == "decode" if self.routing_sidecar is None else self.routing_sidecar

    @property
    def vllm_port(self) -> int:
        """Port of the pod's first vLLM rank: 8000, or 8200 behind the routing sidecar."""
        return SIDECAR_VLLM_PORT if self.sidecar else VLLM_PORT

    @property
    def supervisor_port(self) -> int:
        """Port of vLLM's DP supervisor (health of all local ranks): the first rank port + DP-local (8008 / 8208)."""
        return self.vllm_port + self.data_parallel_size_local

    def vllm_args(self) -> list[str]:
        """``vllm serve`` arguments in the guide's order, except ``--data-parallel-start-rank``, which
        :func:`launch_script` appends at run time (it depends on the pod's LWS worker index).

        ``--data-parallel-address`` is ``$(LWS_LEADER_ADDRESS)``, which the kubelet expands from the variable the
        LWS webhook injects into every container of a group.
        """
        out = [self.model, f"--port={self.vllm_port}"]
        if self.served_name and self.served_name != self.model:
            out.append(f"--served-model-name={self.served_name}")
        out += [
            "--disable-access-log-for-endpoints=/health,/metrics",
            "--data-parallel-multi-port-external-lb",
            f"--data-parallel-supervisor-port={self.supervisor_port}",
            "--enable-expert-parallel",
            f"--tensor-parallel-size={self.tensor_parallel_size}",
            f"--data-parallel-size={self.data_parallel_size}",
            f"--data-parallel-size-local={self.data_parallel_size_local}",
            "--data-parallel-address=$(LWS_LEADER_ADDRESS)",
            f"--data-parallel-rpc-port={DP_RPC_PORT}",
        ]
        if self.kv_transfer_config is not None:
            out.append(f"--kv-transfer-config={json.dumps(dict(self.kv_transfer_config), separators=(',', ':'))}")
        if self.max_model_len is not None:
            out.append(f"--max-model-len={self.max_model_len}")
        if self.moe_backend is not None:
            out.append(f"--moe-backend={self.moe_backend}")
        out.append(f"--all2all-backend={self.backend}")
        out.extend(GUIDE_TUNING_ARGS[self.role] if self.tuning_args is None else self.tuning_args)
        out.extend(self.extra_args)
        return out


def target_ports(spec: WideEpSpec) -> list[int]:
    """InferencePool target ports of ``spec``'s pods: one per local DP rank, ``8000 .. 8000+n-1`` (8000..8007 for 8
    ranks), as llm-d guides/wide-ep-lws/router/wide-ep-lws.values.yaml lists them ("Without this, only rank 0
    receives traffic")."""
    return [VLLM_PORT + rank for rank in range(spec.data_parallel_size_local)]


def launch_script(data_parallel_size_local: int) -> str:
    """The ``bash -c`` program of the vLLM container (guide base manifests, one template for leader and workers).

    Clears ``/dev/shm`` (a crashed run leaves segments behind, llm-d/llm-d#352), computes this pod's first DP rank as
    ``LWS_WORKER_INDEX`` (0 on the leader, ``1 .. size-1`` on workers) x ``data_parallel_size_local`` and execs
    ``vllm serve "$@" --data-parallel-start-rank <rank>``: the container's ``args`` (:meth:`WideEpSpec.vllm_args`)
    reach it as ``"$@"``.
    """
    return (
        "# Clear /dev/shm on start: a crashed run leaves its segments behind (llm-d/llm-d#352).\n"
        "find /dev/shm -type f -delete\n"
        "# This pod's first DP rank: LWS worker index (0 on the leader) x DP ranks per pod.\n"
        f"START_RANK=$(( ${{LWS_WORKER_INDEX:-0}} * {data_parallel_size_local} ))\n"
        'exec vllm serve "$@" --data-parallel-start-rank "$START_RANK"\n'
    )


def wide_ep_problems(spec: WideEpSpec, pool: AcceleratorPool) -> list[tuple[str, str, str]]:
    """Why ``spec`` cannot run on ``pool``, as ``(field, value, message)`` (empty when it can).

    * a pod larger than a node: TP x DP-local > ``pool.devices_per_node``;
    * not NVIDIA GPUs (the wide-EP image is CUDA: DeepEP, NVSHMEM, DeepGEMM);
    * no RDMA attachment (``pool.rdma``) while the engine spans pods (``group_size > 1``, DP over several pods):
      DeepEP needs an all-to-all RDMA fabric, every NIC of a node reaching every NIC of every other node
      (guide README; rail-only networks fail);
    * a per-node attachment (``pool.rdma.whole_node``: GKE device-mode interfaces) with pods that do not take all
      GPUs of a node.
    """
    problems: list[tuple[str, str, str]] = []
    devices = spec.devices_per_pod
    node = f"{pool.shape.machine_type} node of pool '{pool.name}'"
    if devices > pool.devices_per_node:
        problems.append(
            (
                "tensor_parallel_size x data_parallel_size_local",
                str(devices),
                f"a pod of {devices} GPUs is larger than a {node} ({pool.devices_per_node} devices); "
                f"allowed: at most {pool.devices_per_node}",
            )
        )
    if pool.resource_name != "nvidia.com/gpu":
        problems.append(
            (
                "pool",
                pool.name,
                f"wide expert parallelism runs CUDA (DeepEP, NVSHMEM) on nvidia.com/gpu; this pool has "
                f"{pool.resource_name}",
            )
        )
    spans_pods = spec.group_size > 1 or spec.data_parallel_size > spec.data_parallel_size_local
    if pool.rdma is None and spans_pods:
        problems.append(
            (
                "pool.rdma",
                "None",
                f"pool '{pool.name}' ({pool.shape.machine_type}) has no RDMA fabric attached, but the engine spans "
                f"{spec.group_size} pods (DP {spec.data_parallel_size}, {spec.data_parallel_size_local} per pod): wide "
                "expert parallelism needs an all-to-all RDMA fabric (DeepEP: every NIC of a node must reach every NIC "
                "of every other node); use a pool with RDMA (GKE a3-ultragpu-8g / a4-highgpu-8g, EKS with EFA, "
                "InfiniBand) or group_size 1",
            )
        )
    if pool.rdma is not None and pool.rdma.whole_node and devices != pool.devices_per_node:
        problems.append(
            (
                "tensor_parallel_size x data_parallel_size_local",
                str(devices),
                f"pool '{pool.name}' attaches its {pool.rdma.fabric.value} NICs as device interfaces, which one pod "
                f"per node owns: a pod must take all {pool.devices_per_node} GPUs of a {pool.shape.machine_type} node",
            )
        )
    return problems


def _ports(spec: WideEpSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Container ports ``(vllm, sidecar)``; the sidecar's are None without a sidecar."""
    ranks = range(spec.data_parallel_size_local)
    serving = [{"name": f"rank{r}", "containerPort": VLLM_PORT + r, "protocol": "TCP"} for r in ranks]
    supervisor = {"name": "supervisor", "containerPort": spec.supervisor_port, "protocol": "TCP"}
    if not spec.sidecar:
        return [*serving, supervisor], None
    vllm = [{"name": f"vllm-rank{r}", "containerPort": spec.vllm_port + r, "protocol": "TCP"} for r in ranks]
    return [*vllm, supervisor], serving


def _probes(startup_seconds: int | None = None) -> dict[str, dict[str, Any]]:
    """The guide's probes, on the DP supervisor: startup ``/health`` every 1 s up to 2700 tries (45 min of model
    load; more when ``startup_seconds``, the first-start estimate's window, is longer), liveness ``/health`` every
    30 s, readiness ``/readyz`` (all local ranks ready) every 10 s."""
    return {
        "startupProbe": {
            "httpGet": {"path": "/health", "port": "supervisor"},
            "initialDelaySeconds": 0,
            "periodSeconds": 1,
            "timeoutSeconds": 5,
            "failureThreshold": startup_failure_threshold(startup_seconds, 1, 2700),
        },
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "supervisor"},
            "periodSeconds": 30,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "supervisor"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
    }


def _routing_sidecar(spec: WideEpSpec, image: str, ports: list[dict[str, Any]]) -> dict[str, Any]:
    """llm-d's P/D routing sidecar of decode pods, DP-aware: listens on ``8000 .. 8000+n-1`` and forwards rank ``i``
    to vLLM on ``8200+i`` (guide decode.yaml: ``--data-parallel-size=8``, ``--enable-prefiller-sampling``)."""
    return {
        "name": "routing-proxy",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            f"--port={VLLM_PORT}",
            f"--vllm-port={SIDECAR_VLLM_PORT}",
            f"--data-parallel-size={spec.data_parallel_size_local}",
            "--kv-connector=nixlv2",
            "--zap-log-level=1",
            "--secure-proxy=false",
            "--enable-prefiller-sampling",
        ],
        "ports": ports,
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "restartPolicy": "Always",
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }


def _check(where: str, *, replicas: int, spec: WideEpSpec, pool: AcceleratorPool, resources: PodResources) -> None:
    """Raise :class:`~pulumi_llmd.components.args.ArgsError` (component ``where``) listing every problem of running
    ``replicas`` x ``spec`` on ``pool``."""
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ArgsError(where, [format_problem("replicas", replicas, "must be >= 1")])
    bad_quantity = quantity_problem(
        where, resources, ("cpu_request", "cpu_limit", "memory_request", "memory_limit", "shm_size")
    )
    if bad_quantity:
        raise ArgsError(where, [bad_quantity.removeprefix(f"{where}: ")])
    problems = wide_ep_problems(spec, pool) + [
        (f"resources.{f}", repr(v), m) for f, v, m in pod_fit_problems(spec.devices_per_pod, resources, pool.shape)
    ]
    if problems:
        raise ArgsError(where, ["; ".join(f"{f} = {v}: {m}" for f, v, m in problems)])


def wide_ep_pod_template(
    *,
    name: str,
    replicas: int,
    spec: WideEpSpec,
    pool: AcceleratorPool,
    labels: Mapping[str, str],
    resources: PodResources,
    service_account: str,
    hf_token_secret: str | None,
    image: str | None = None,
    sidecar_image: str | None = None,
    weights_gib: float | None = None,
    startup_seconds: int | None = None,
    weights_cache: WeightsCacheMount | None = None,
) -> dict[str, Any]:
    """The pod template (``{"metadata", "spec"}``) of a wide-EP role's pods (pure function): the ``workerTemplate``
    of :func:`leader_worker_set_manifest` and of the DisaggregatedSet form's roles
    (:mod:`~pulumi_llmd.components.serving.disaggregated_set`). Follows llm-d guides/wide-ep-lws/modelserver/gpu/vllm/
    base/{prefill,decode}.yaml (and guides/wide-ep/.../base/disaggregatedset.yaml, the same pods). ``name`` names the
    server (RDMA claim templates); ``replicas`` is only checked (>= 1). Each pod:

    * container ``vllm`` (``image``, default the active llm-d release's ``wide_ep_image``): ``/bin/bash -c <launch
      script> wide-ep``
      + :meth:`WideEpSpec.vllm_args`; ports as the module docstring lists them (one per local DP rank, then the
      supervisor); probes on the DP supervisor; requests = limits = TP x DP-local ``nvidia.com/gpu`` (none with DRA,
      where each GPU comes from a claim); CPU / memory from ``resources``; capabilities exactly
      :data:`WIDE_EP_CAPABILITIES` as root, never privileged;
    * env: ``HF_TOKEN`` from ``hf_token_secret`` (when given), ``VLLM_NIXL_SIDE_CHANNEL_HOST`` = pod IP (with a
      ``kv_transfer_config``), then sorted: the guide's env, the role's, NVSHMEM's transport for the pool's fabric,
      ``pool.model_server_env``, ``pool.rdma.env``, ``spec.extra_env`` (later wins);
    * RDMA from ``pool.rdma``: its annotations on the pod template (GKE multi-networking), or its extended resource
      (``vpc.amazonaws.com/efa``, ``rdma/ib``) x ``nics_for(TP x DP-local, devices_per_node)`` in requests and
      limits, or one DRA claim per GPU from ResourceClaimTemplate ``<name>-<dra.template>``;
    * the decode routing sidecar (``sidecar_image``) when ``spec.sidecar``;
    * volumes: in-memory ``/dev/shm`` (``resources.shm_size``), emptyDir JIT cache ``/var/cache/vllm`` and
      Hugging Face cache ``/var/cache/huggingface``; placement ``pool.pod_placement()``;
    * with ``weights_gib`` (the checkpoint size, GiB: every pod downloads the whole checkpoint, each rank loads its
      experts from it) the Hugging Face cache's ``sizeLimit`` (:func:`~pulumi_llmd.components.models.cache_gib`) and
      an ``ephemeral-storage`` request (:func:`~pulumi_llmd.components.models.pod_ephemeral_gib`; the guide's
      DisaggregatedSet requests a flat 1Ti), so pods land only where the weights fit;
    * ``startup_seconds`` widens the startup probe beyond the guide's 45 minutes (see :func:`_probes`);
    * with ``weights_cache`` (a filled weights cache, :mod:`~pulumi_llmd.components.serving.weights_cache`) the
      Hugging Face cache is its claim mounted read-only, ``HF_HUB_OFFLINE=1``, no ``ephemeral-storage`` request for
      the weights, and the pod annotations carry the cache's kind and read rate (the twin's estimate).

    Args:
        image: The wide-EP vLLM image. Default: None (the active llm-d release's ``wide_ep_image``,
            :func:`~pulumi_llmd.components.versions.active_release`).
        sidecar_image: The routing sidecar's image. Default: None (the active llm-d release's ``pd_sidecar``).
        weights_gib: The checkpoint size, GiB. Default: None (unsized cache, no ``ephemeral-storage`` request).
        startup_seconds: The expected first start, seconds (:func:`~pulumi_llmd.components.startup.
            startup_probe_seconds`). Default: None (the guide's 45 minutes).
        weights_cache: The weights cache to read the checkpoint from. Default: None (the cache of the enclosing
            :func:`~pulumi_llmd.components.serving.weights_cache.use_weights_cache`, else each pod downloads).

    Raises:
        ValueError: ``replicas < 1``, a quantity of ``resources`` that does not parse, or any of
            :func:`wide_ep_problems` / :func:`~pulumi_llmd.components.serving.model_server.pod_fit_problems`.
    """
    _check(f"LeaderWorkerSet {name}", replicas=replicas, spec=spec, pool=pool, resources=resources)
    release = versions.active_release()
    image = image if image is not None else release.wide_ep_image.ref
    sidecar_image = sidecar_image if sidecar_image is not None else release.pd_sidecar.ref
    devices = spec.devices_per_pod
    rdma = pool.rdma
    parts = rdma_pod_parts(name=name, pool=pool, devices=devices) if rdma is not None else RdmaParts()
    if weights_cache is None:
        weights_cache = current_weights_cache()
    annotations = {
        **parts.annotations,
        **weights_annotations(weights_gib),
        **(cache_annotations(weights_cache) if weights_cache is not None else {}),
    }
    claims = parts.claims
    container_resources = parts.container_resources(resources, pool, devices)
    if weights_gib is not None and weights_cache is None:
        container_resources["requests"]["ephemeral-storage"] = f"{pod_ephemeral_gib(weights_gib)}Gi"
    cache_volume, cache_mount, cache_env = (
        cache_mount_parts(weights_cache, "hf-cache")
        if weights_cache is not None
        else (
            {"name": "hf-cache", "emptyDir": {"sizeLimit": f"{cache_gib(weights_gib)}Gi"} if weights_gib else {}},
            {"name": "hf-cache", "mountPath": _HF_CACHE},
            {},
        )
    )

    env = hf_token_env(hf_token_secret)
    if spec.kv_transfer_config is not None:
        env.append({"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    merged = {
        # The release's image components add USER=llm-d to the wide-EP image too (llm-d guides/recipes/modelserver/
        # components/images/gpu-vllm/llm-d/release/kustomization.yaml @ d557f83e patches LeaderWorkerSet and
        # DisaggregatedSet containers; vLLM issue 44548).
        **dict(release.vllm_env),
        **_GUIDE_ENV,
        **cache_env,
        **_ROLE_ENV[spec.role],
        **(_FABRIC_ENV.get(rdma.fabric, {}) if rdma is not None else {}),
        **dict(pool.model_server_env),
        **parts.env,
        **dict(spec.extra_env),
    }
    env.extend({"name": k, "value": v} for k, v in sorted(merged.items()))
    env = with_secret_env(env, spec.secret_env)

    vllm_ports, sidecar_ports = _ports(spec)
    container: dict[str, Any] = {
        "name": "vllm",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/bash", "-c", launch_script(spec.data_parallel_size_local), "wide-ep"],
        "args": spec.vllm_args(),
        "env": env,
        "ports": vllm_ports,
        "resources": container_resources,
        **_probes(startup_seconds),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"add": list(WIDE_EP_CAPABILITIES)},
            "runAsUser": 0,
            "runAsGroup": 0,
        },
        "volumeMounts": [
            {"name": "dshm", "mountPath": "/dev/shm"},
            cache_mount,
            {"name": "jit-cache", "mountPath": _JIT_CACHE},
        ],
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 60,
    }
    if sidecar_ports is not None:
        pod_spec["initContainers"] = [_routing_sidecar(spec, sidecar_image, sidecar_ports)]
    pod_spec["containers"] = [container]
    pod_spec["volumes"] = [
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": resources.shm_size}},
        cache_volume,
        {"name": "jit-cache", "emptyDir": {}},
    ]
    if claims:
        pod_spec["resourceClaims"] = claims
    pod_spec.update(pool.pod_placement())
    template_meta: dict[str, Any] = {"labels": dict(labels)}
    if annotations:
        template_meta["annotations"] = annotations
    return {"metadata": template_meta, "spec": pod_spec}


def leader_worker_set_manifest(
    *,
    name: str,
    namespace: str,
    replicas: int,
    spec: WideEpSpec,
    pool: AcceleratorPool,
    labels: Mapping[str, str],
    resources: PodResources,
    service_account: str,
    hf_token_secret: str | None,
    image: str | None = None,
    sidecar_image: str | None = None,
    weights_gib: float | None = None,
    startup_seconds: int | None = None,
) -> dict[str, Any]:
    """The ``leaderworkerset.x-k8s.io/v1`` LeaderWorkerSet of a wide-EP role (pure function; see
    :class:`MultiNodeModelServer`). Follows llm-d guides/wide-ep-lws/modelserver/gpu/vllm/base/{prefill,decode}.yaml.

    Shape: ``replicas`` groups (engines) of ``spec.group_size`` pods; one ``workerTemplate`` serves leader and workers
    (``LWS_WORKER_INDEX`` picks the start rank, :func:`launch_script`), restart policy ``RecreateGroupOnPodRestart``
    (a DP engine cannot lose a rank). The pods are :func:`wide_ep_pod_template` (arguments as there).

    Args:
        image: The wide-EP vLLM image. Default: None (the active release's, as :func:`wide_ep_pod_template`).
        sidecar_image: The routing sidecar's image. Default: None (the active release's).
        weights_gib: The checkpoint size, GiB. Default: None (unsized cache, no ``ephemeral-storage`` request).
        startup_seconds: The expected first start, seconds. Default: None (the guide's 45 minutes).

    Raises:
        ValueError: as :func:`wide_ep_pod_template`.
    """
    pod = wide_ep_pod_template(
        name=name,
        replicas=replicas,
        spec=spec,
        pool=pool,
        labels=labels,
        resources=resources,
        service_account=service_account,
        hf_token_secret=hf_token_secret,
        image=image,
        sidecar_image=sidecar_image,
        weights_gib=weights_gib,
        startup_seconds=startup_seconds,
    )
    return {
        "apiVersion": LWS_API_VERSION,
        "kind": "LeaderWorkerSet",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "leaderWorkerTemplate": {
                "size": spec.group_size,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "workerTemplate": pod,
            },
        },
    }


class MultiNodeModelServerArgs(TypedDict, total=False):
    """The arguments of :class:`MultiNodeModelServer` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on it)
    or a namespace name."""
    replicas: Required[int]
    """LWS groups (engines), >= 1 (guide: 1 prefill, 1 decode)."""
    spec: Required[WideEpSpec]
    """What each engine runs: :class:`WideEpSpec` (its ``role`` is ``prefill`` or ``decode``)."""
    pool: Required[AcceleratorPool | HasAcceleratorPool]
    """The accelerator pool to run on (with ``rdma`` when an engine spans pods): an
    :class:`~pulumi_llmd.components.base.AcceleratorPool`, or a node-pool component carrying one as ``.pool`` (the
    LeaderWorkerSet then depends on it)."""
    labels: Required[Mapping[str, str]]
    """Pod labels (use :func:`~pulumi_llmd.components.serving.model_server_labels` with role ``spec.role``)."""
    resources: PodResources | None
    """Requests, limits and ``/dev/shm`` per pod. Default: None — :data:`WIDE_EP_RESOURCES` (the guide's 32 CPU,
    512 GiB, 2 GiB shm)."""
    hf_token_secret: str | None
    """Name of a Secret with key ``HF_TOKEN``. Default: None (public models)."""
    image: str
    """The wide-EP vLLM image. Default: the active llm-d release's ``wide_ep_image``
    (:func:`~pulumi_llmd.components.versions.active_release`)."""
    sidecar_image: str
    """The P/D routing sidecar image. Default: the active llm-d release's ``pd_sidecar``."""
    weights_gib: float | None
    """The checkpoint size, GiB; sizes the weights cache and the ephemeral-storage request. Default: None (unsized)."""
    pool_ready: Sequence[pulumi.Resource]
    """What the pool's nodes come from; only the LeaderWorkerSet waits for it. Default: none."""


class MultiNodeModelServer(pulumi.ComponentResource):
    """Wide-EP vLLM engines of one model and role on a LeaderWorkerSet (llm-d guides/wide-ep-lws).

    Type token ``llmd:serving:MultiNodeModelServer``. Registers a ServiceAccount ``<name>-modelserver`` (no API token),
    the LeaderWorkerSet ``<name>`` from :func:`leader_worker_set_manifest` (a custom resource: install the LWS
    controller first, :class:`~pulumi_llmd.components.platform.LeaderWorkerSetController`), with a DRA attachment the
    ResourceClaimTemplate ``<name>-<template>`` its pods claim GPUs and NICs from, and a PodDisruptionBudget (at most
    one pod voluntarily down: LWS then recreates that pod's whole group). Arguments: :class:`MultiNodeModelServerArgs`.

    Outputs: ``name``, ``labels`` (what an InferencePool selects on), ``target_ports`` (:func:`target_ports`, the
    InferencePool's ``targetPorts``), ``devices_per_group`` (GPUs of one engine, TP x DP).

    The LeaderWorkerSet's ``customTimeouts`` and startup probe follow the first-start estimate
    (``startup_estimate``; wide-EP engine: DeepGEMM warm-up on top of download and load).

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, what
            :func:`leader_worker_set_manifest` refuses (pods larger than a node, no RDMA for an engine across pods, a
            whole-node RDMA attachment with pods that do not take a whole node, requests that do not fit a node,
            replicas < 1), empty labels or a role label other than ``spec.role``.
    """

    @overload
    def __init__(
        self, name: str, args: MultiNodeModelServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[MultiNodeModelServerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: MultiNodeModelServerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(MultiNodeModelServerArgs, "MultiNodeModelServer", args, kwargs)
        where = f"MultiNodeModelServer {name}"
        pool, pool_deps = accelerator_pool(a["pool"], where)
        spec, labels, replicas = a["spec"], a["labels"], a["replicas"]
        if not isinstance(spec, WideEpSpec):
            raise ArgsError(where, [format_problem("spec", spec, "must be a WideEpSpec")])
        label_problem = selector_problem(labels)
        if label_problem is None and labels.get("llm-d.ai/role", spec.role) != spec.role:
            label_problem = f"label llm-d.ai/role must equal spec.role ({spec.role!r})"
        if label_problem:
            raise ArgsError(where, [format_problem("labels", dict(labels), label_problem)])
        resources = a.get("resources") or WIDE_EP_RESOURCES
        _check(where, replicas=replicas, spec=spec, pool=pool, resources=resources)
        namespace, ns_deps = ref_name(a["namespace"], "MultiNodeModelServer", "namespace")
        opts = with_depends_on(opts, ns_deps)
        hf_token_secret = a.get("hf_token_secret")
        release = versions.active_release()
        image = a.get("image", release.wide_ep_image.ref)
        sidecar_image = a.get("sidecar_image", release.pd_sidecar.ref)
        weights_gib = a.get("weights_gib")
        pool_ready = [*a.get("pool_ready", ()), *pool_deps]
        estimate = model_server_estimate(weights_gib, image, pool, wide_ep=True)
        sa_name = f"{name}-modelserver"
        manifest = leader_worker_set_manifest(
            name=name,
            namespace=namespace,
            replicas=replicas,
            spec=spec,
            pool=pool,
            labels=labels,
            resources=resources,
            service_account=sa_name,
            hf_token_secret=hf_token_secret,
            image=image,
            sidecar_image=sidecar_image,
            weights_gib=weights_gib,
            startup_seconds=startup_probe_seconds(estimate),
        )
        super().__init__("llmd:serving:MultiNodeModelServer", name, None, opts)
        child = child_options(self, opts)
        k8s_object(f"{name}-sa", service_account_manifest(sa_name, namespace, labels), child)
        register_claim_template(name, namespace, pool, child)
        self.leader_worker_set = k8s_object(f"{name}-lws", manifest, workload_options(child, pool_ready, estimate))
        k8s_object(f"{name}-pdb", disruption_budget_manifest(name, namespace, labels), child)
        self.name = name
        self.labels = dict(labels)
        self.target_ports = target_ports(spec)
        self.devices_per_group = spec.devices_per_group
        #: The first-start estimate the timeouts and the startup probe are sized from.
        self.startup_estimate = estimate
        self.register_outputs(
            {
                "name": name,
                "replicas": replicas,
                "groupSize": spec.group_size,
                "targetPorts": self.target_ports,
                "devicesPerGroup": spec.devices_per_group,
            }
        )
