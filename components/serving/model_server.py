"""vLLM model servers as typed Kubernetes Deployments, the way llm-d's guides deploy them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, Required, TypedDict, Unpack, overload, runtime_checkable

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import (
    ArgsError,
    NamedResource,
    component_args,
    count_problem,
    format_problem,
    ref_name,
)
from pulumi_llmd.components.base import HF_TOKEN_KEY, AcceleratorPool
from pulumi_llmd.components.catalog import AcceleratorKind, MachineShape
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.models import (
    HF_CACHE_PATH,
    SCRATCH_GIB,
    UNKNOWN_WEIGHTS_GIB,
    cache_gib,
    pod_ephemeral_gib,
    weights_annotations,
)
from pulumi_llmd.components.quantity import parse_quantity
from pulumi_llmd.components.serving.tpu_slice import tpu_slice_hosts, tpu_slice_lws_manifest
from pulumi_llmd.components.serving.weights_cache import (
    WeightsCacheMount,
    cache_annotations,
    cache_mount_parts,
    current_weights_cache,
)
from pulumi_llmd.components.startup import (
    Engine,
    StartupEstimate,
    create_timeout,
    first_start_estimate,
    startup_probe_seconds,
)

#: vLLM's HTTP port (OpenAI-compatible API, /health, /metrics) in every llm-d guide.
VLLM_PORT = 8000
#: Name of the model-server container port (the InferencePool targets the number; probes use the name).
PORT_NAME = "modelserver"
#: Labels llm-d puts on model-server pods (llm-d guides: modelserver kustomizations).
LABEL_GUIDE = "llm-d.ai/guide"
LABEL_ROLE = "llm-d.ai/role"
LABEL_MODEL = "llm-d.ai/model"
#: Name of the model-server volume the Hugging Face cache (the weights) is downloaded into.
MODEL_CACHE_VOLUME = "model-cache"
#: The guide's startup-probe window: 15 s + 120 x 30 s (llm-d optimized-baseline modelserver values); longer when the
#: first-start estimate needs it (see :func:`startup_failure_threshold`).
STARTUP_PROBE_PERIOD_SECONDS = 30
STARTUP_PROBE_MIN_FAILURES = 120


@dataclass(frozen=True)
class VllmSpec:
    """What one vLLM server runs. Shapes: sizes are device counts, ``max_model_len`` is tokens.

    ``tensor_parallel_size`` x ``pipeline_parallel_size`` devices per pod (the ``nvidia.com/gpu`` limit).

    Attributes:
        model: Hugging Face model id (the ``vllm serve`` positional).
        served_name: ``--served-model-name`` when it differs from ``model``. Default: None (``model``).
        tensor_parallel_size: ``--tensor-parallel-size``, devices. Default: 1.
        pipeline_parallel_size: ``--pipeline-parallel-size`` (set only above 1), devices. Default: 1.
        max_model_len: ``--max-model-len``, tokens. Default: None (the model's).
        gpu_memory_utilization: ``--gpu-memory-utilization``, a fraction of device memory. Default: None (vLLM's
            0.9).
        extra_args: More ``vllm serve`` flags, appended last. Default: none.
        extra_env: More container environment, winning over the pool's and the fabric's. Default: none.
    """

    model: str
    served_name: str | None = None
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    extra_args: Sequence[str] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    #: Env vars read from Kubernetes Secrets: name -> ``(Secret name, key)`` (see :func:`with_secret_env`).
    #: Default: none.
    secret_env: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Port vLLM listens on: 8000, or 8200 on decode pods behind the P/D sidecar (llm-d pd-disaggregation guide).
    #: Default: ``VLLM_PORT`` (8000).
    port: int = VLLM_PORT
    #: KV-cache block size in tokens (``--block-size``): 128 for P/D, 64 for precise prefix-cache routing (it must
    #: equal the endpoint picker's ``tokenProcessorConfig.blockSize``). Default: None (vLLM's default).
    block_size: int | None = None
    #: ``--kv-transfer-config`` (vLLM KVTransferConfig as a mapping, e.g. ``{"kv_connector": "NixlConnector",
    #: "kv_role": "kv_both"}``), JSON-encoded compactly in key order. Default: None (no KV transfer).
    kv_transfer_config: Mapping[str, Any] | None = None
    #: ``--kv-events-config`` (vLLM KVEventsConfig, e.g. ZMQ publisher settings for precise prefix-cache routing).
    #: Default: None (no KV events).
    kv_events_config: Mapping[str, Any] | None = None
    #: Flags that follow the KV settings and precede ``extra_args`` (e.g. ``--no-disable-hybrid-kv-cache-manager``).
    #: Default: none.
    path_args: Sequence[str] = ()

    @property
    def devices(self) -> int:
        """Accelerator devices one server uses (TP x PP)."""
        return self.tensor_parallel_size * self.pipeline_parallel_size

    def args(self) -> list[str]:
        """``vllm serve`` arguments, in the llm-d guide's order, then the optional ones, then ``extra_args``."""
        out = [
            self.model,
            f"--port={self.port}",
            "--disable-access-log-for-endpoints=/health,/metrics,/v1/models",
            f"--tensor-parallel-size={self.tensor_parallel_size}",
        ]
        if self.pipeline_parallel_size > 1:
            out.append(f"--pipeline-parallel-size={self.pipeline_parallel_size}")
        if self.served_name and self.served_name != self.model:
            out.append(f"--served-model-name={self.served_name}")
        if self.max_model_len is not None:
            out.append(f"--max-model-len={self.max_model_len}")
        if self.gpu_memory_utilization is not None:
            out.append(f"--gpu-memory-utilization={self.gpu_memory_utilization}")
        if self.block_size is not None:
            out.append(f"--block-size={self.block_size}")
        if self.kv_transfer_config is not None:
            out += ["--kv-transfer-config", compact_json(self.kv_transfer_config)]
        if self.kv_events_config is not None:
            out += ["--kv-events-config", compact_json(self.kv_events_config)]
        out.extend(self.path_args)
        out.extend(self.extra_args)
        return out


def compact_json(value: Mapping[str, Any]) -> str:
    """``value`` as compact JSON in its own key order (how vLLM's JSON-valued flags are written in llm-d's guides)."""
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class PodResources:
    """CPU / memory requests and limits of a model-server pod, and its in-memory ``/dev/shm`` size (quantities).

    The defaults are the llm-d guide's model-server values.

    Attributes:
        cpu_request: CPU request, a Kubernetes quantity (CPUs). Default: "8".
        cpu_limit: CPU limit, CPUs. Default: "16".
        memory_request: Memory request, a Kubernetes quantity. Default: "96Gi".
        memory_limit: Memory limit. Default: "128Gi".
        shm_size: ``sizeLimit`` of the in-memory ``/dev/shm`` emptyDir. Default: "20Gi".
    """

    cpu_request: str = "8"
    cpu_limit: str = "16"
    memory_request: str = "96Gi"
    memory_limit: str = "128Gi"
    shm_size: str = "20Gi"


def pod_fit_problems(devices: int, resources: PodResources, shape: MachineShape) -> list[tuple[str, str, str]]:
    """Why model-server pods of ``devices`` accelerators would not fit ``shape`` nodes: ``(field, value, message)``.

    ``shape.pods_per_node(devices)`` pods share a node (``accelerator_count // chips_for(devices)``: a TPU7x pod
    takes its whole host), so their CPU and memory requests must fit its vCPUs and host memory (catalog values,
    before system reservations); limits must not be below requests. ``devices`` are vLLM devices (TP x PP).
    Raises ValueError for a quantity that does not parse.
    """
    problems: list[tuple[str, str, str]] = []
    pods = shape.pods_per_node(devices)
    cpu = parse_quantity(resources.cpu_request) * pods
    memory_gib = parse_quantity(resources.memory_request) * pods / 2**30
    where = f"{pods} pod(s) per {shape.machine_type} node"
    if cpu > shape.vcpus:
        problems.append(
            ("cpu_request", resources.cpu_request, f"{where} would request {cpu:g} CPUs; the node has {shape.vcpus}")
        )
    if memory_gib > shape.memory_gib:
        problems.append(
            (
                "memory_request",
                resources.memory_request,
                f"{where} would request {memory_gib:g} GiB; the node has {shape.memory_gib} GiB",
            )
        )
    problems.extend(limit_problems(resources))
    return problems


def limit_problems(resources: PodResources) -> list[tuple[str, str, str]]:
    """CPU and memory limits below their requests, as ``(field, value, message)``; ValueError for a bad quantity."""
    problems: list[tuple[str, str, str]] = []
    for kind in ("cpu", "memory"):
        request, limit = getattr(resources, f"{kind}_request"), getattr(resources, f"{kind}_limit")
        if parse_quantity(limit) < parse_quantity(request):
            problems.append((f"{kind}_limit", limit, f"must be >= {kind} request ({request})"))
    return problems


def quantity_problem(component: str, resources: PodResources, keys: Sequence[str]) -> str | None:
    """The first ``resources.<key>`` that is not a Kubernetes quantity, as ``"<component>: resources.<key>: ..."``."""
    for key in keys:
        try:
            parse_quantity(getattr(resources, key))
        except ValueError as exc:
            return f"{component}: resources.{key}: {exc}"
    return None


#: Values of the ``llm-d.ai/role`` label on serving pods in llm-d's guides (v0.9.0 recipes/modelserver: ``prefill``,
#: ``decode``, and ``encode`` for encoder disaggregation, ``base/single-host/e-pd/encode-deployment.yaml``); the
#: picker's prefill / decode filters select on it.
KNOWN_ROLES: tuple[str, ...] = ("prefill", "decode", "encode")


def model_server_labels(*, guide: str, role: str, model: str) -> dict[str, str]:
    """The llm-d labels of a model-server pod; the InferencePool selects on them.

    Raises:
        ArgsError: ``role`` is not one of :data:`KNOWN_ROLES`.
    """
    problem = role_problem(role)
    if problem:
        raise ArgsError("model_server_labels", [format_problem("role", role, problem)])
    return {LABEL_GUIDE: guide, LABEL_MODEL: model, LABEL_ROLE: role}


def role_problem(role: object) -> str | None:
    """What is wrong with an ``llm-d.ai/role`` value (the text after ``key = value:``), or None."""
    if role in KNOWN_ROLES:
        return None
    return "must be one of " + ", ".join(repr(r) for r in KNOWN_ROLES)


def selector_problem(selector: object) -> str | None:
    """What is wrong with pod labels a pool selects on (``matchLabels``), or None: a non-empty mapping of non-empty
    string keys to string values (an empty selector would match every pod of the namespace), and an
    ``llm-d.ai/role`` among :data:`KNOWN_ROLES`."""
    if not isinstance(selector, Mapping) or not selector:
        return "must hold at least one label (an empty selector matches every pod in the namespace)"
    for key, value in selector.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            return f"label {key!r}: {value!r}: allowed non-empty string keys and string values"
    if LABEL_ROLE in selector and role_problem(selector[LABEL_ROLE]):
        return f"label {LABEL_ROLE}: {selector[LABEL_ROLE]!r}: {role_problem(selector[LABEL_ROLE])}"
    return None


def devices_fit_problem(
    tensor_parallel_size: object, pipeline_parallel_size: object, shape: MachineShape
) -> str | None:
    """What is wrong with a server's parallelism on ``shape`` nodes (the text after ``key = value:``), or None.

    One rule for :class:`ModelServer` (``spec.tensor_parallel_size``) and the stack file's ``tensorParallelSize``:
    TP and PP are integers >= 1 and TP x PP vLLM devices fit one node (a pod never spans nodes): the node's
    :attr:`~pulumi_llmd.components.catalog.MachineShape.vllm_devices` (tpu7x-standard-4t: 4 chips x 2 TensorCores
    = 8, as llm-d's v7 overlays run ``--tensor-parallel-size=8``; else the node's GPUs / chips).
    """
    for what, size in (("TP", tensor_parallel_size), ("PP", pipeline_parallel_size)):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            return f"{what} = {size!r}: allowed an integer >= 1"
    assert isinstance(tensor_parallel_size, int) and isinstance(pipeline_parallel_size, int)
    need, per_node = tensor_parallel_size * pipeline_parallel_size, shape.vllm_devices
    if need > per_node:
        return (
            f"TP x PP = {need} ({tensor_parallel_size} x {pipeline_parallel_size}): {need} accelerators per replica "
            f"does not fit one {shape.machine_type} node ({_devices_text(shape)}); allowed: TP x PP <= {per_node}"
        )
    return None


def _devices_text(shape: MachineShape) -> str:
    """``8 devices, nvidia-h100-80gb``, or on a chip with several vLLM devices ``8 vLLM devices: 4 tpu7x chips x 2
    TensorCores``."""
    per_chip = shape.accelerator.vllm_devices_per_chip
    if per_chip == 1:
        return f"{shape.vllm_devices} devices, {shape.accelerator.name}"
    return (
        f"{shape.vllm_devices} vLLM devices: {shape.accelerator_count} {shape.accelerator.name} chips x {per_chip} "
        "TensorCores"
    )


def tpu_slice_problem(
    tensor_parallel_size: int, pipeline_parallel_size: int, shape: MachineShape, hosts: int, pool_name: str
) -> str | None:
    """What is wrong with a server's parallelism on a multi-host TPU slice of ``pool`` (the text after
    ``key = value:``), or None: one vLLM engine spans the whole slice, so TP x PP = vLLM devices of the slice (hosts x
    :attr:`~pulumi_llmd.components.catalog.MachineShape.vllm_devices`: v5e/v6e one TensorCore per chip; TPU7x two, so
    a ``2x2x2`` slice of 8 chips is TP 16, as llm-d's ``tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml`` runs
    ``--tensor-parallel-size=16``), as llm-d's TPU multi-host guides size ``--tensor-parallel-size``."""
    devices = hosts * shape.vllm_devices
    need = tensor_parallel_size * pipeline_parallel_size
    if need != devices:
        per_host = f"{shape.accelerator_count} chips"
        if shape.accelerator.vllm_devices_per_chip > 1:
            per_host += f" x {shape.accelerator.vllm_devices_per_chip} TensorCores"
        return (
            f"TP x PP = {need} ({tensor_parallel_size} x {pipeline_parallel_size}): a server spans one multi-host TPU "
            f"slice of pool '{pool_name}' ({hosts} {shape.machine_type} hosts x {per_host}); "
            f"allowed: TP x PP = {devices}"
        )
    return None


def devices_divide_problem(tensor_parallel_size: int, pipeline_parallel_size: int, shape: MachineShape) -> str | None:
    """What is wrong when a server's TP x PP accelerators do not divide one ``shape`` node's (the text after
    ``key = value:``), or None: the remainder would be stranded on every node. One rule for the stack file's
    ``tensorParallelSize`` (``blueprints/paths/rules.py``) and ``LlmdInference(tensor_parallel_size=...)``.
    Call it once :func:`devices_fit_problem` found nothing."""
    need, per_node = tensor_parallel_size * pipeline_parallel_size, shape.vllm_devices
    if need < 1 or per_node % need == 0:
        return None
    return (
        f"TP x PP = {need} does not divide the {per_node} accelerators of a {shape.machine_type} node, which would "
        f"strand {per_node % need} per node; allowed: a divisor of {per_node}"
    )


@runtime_checkable
class HasAcceleratorPool(Protocol):
    """A node-pool component that carries its :class:`~pulumi_llmd.components.base.AcceleratorPool` as ``.pool``
    (``GpuNodePool``, ``TpuNodePool``, ``GpuNodeGroup``; duck-typed so serving imports no cloud package)."""

    @property
    def pool(self) -> AcceleratorPool: ...


def accelerator_pool(
    pool: AcceleratorPool | HasAcceleratorPool, component: str, key: str = "pool"
) -> tuple[AcceleratorPool, list[pulumi.Resource]]:
    """The :class:`AcceleratorPool` ``pool`` stands for and what a workload on it must wait for: nothing for a plain
    pool, the node-pool component itself for one with ``.pool`` (so Pulumi sees the workload -> nodes edge).

    Args:
        pool: An :class:`AcceleratorPool` or a node-pool component with one as ``.pool``.
        component: The component named in the error.
        key: The argument named in the error. Default: "pool".

    Raises:
        ArgsError: ``pool`` is neither.
    """
    if isinstance(pool, AcceleratorPool):
        return pool, []
    inner = getattr(pool, "pool", None)
    if isinstance(inner, AcceleratorPool):
        return inner, [pool] if isinstance(pool, pulumi.Resource) else []
    allowed = "must be an AcceleratorPool or a node-pool component with one as .pool (GpuNodePool, GpuNodeGroup)"
    raise ArgsError(component, [format_problem(key, pool, allowed)])


def with_secret_env(
    env: Sequence[Mapping[str, Any]], secret_env: Mapping[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """``env`` with the variables of ``secret_env`` (name -> ``(Secret name, key)``) read from Kubernetes Secrets
    (``valueFrom.secretKeyRef``, sorted by name, appended last); an entry of ``env`` with the same name is dropped
    (the Secret wins, e.g. ``HF_TOKEN`` from a Secret of the user's own)."""
    out = [dict(e) for e in env if e.get("name") not in secret_env]
    out.extend(
        {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for name, (secret, key) in sorted(secret_env.items())
    )
    return out


def hf_token_env(secret: str | None) -> list[dict[str, Any]]:
    """``HF_TOKEN`` read from key ``HF_TOKEN`` of Secret ``secret`` (an empty list without a secret)."""
    if not secret:
        return []
    return [{"name": HF_TOKEN_KEY, "valueFrom": {"secretKeyRef": {"name": secret, "key": HF_TOKEN_KEY}}}]


def model_server_port(port: int = VLLM_PORT) -> dict[str, Any]:
    """The serving port of a model-server container, named ``modelserver`` (the InferencePool's target).

    Args:
        port: The container port, TCP: 8200 on decode pods behind the P/D sidecar, which then owns 8000.
            Default: ``VLLM_PORT`` (8000).
    """
    return {"name": PORT_NAME, "containerPort": port, "protocol": "TCP"}


def model_cache_parts(
    weights_gib: float | None, cache: WeightsCacheMount | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The weights cache of a model-server pod: ``(volume, volumeMount, env)``.

    With ``cache`` (a filled weights cache, :mod:`~pulumi_llmd.components.serving.weights_cache`; Default: None): its
    claim mounted read-only at the same path, ``HF_HUB_OFFLINE=1`` (:func:`~pulumi_llmd.components.serving.
    weights_cache.cache_mount_parts`). Otherwise:

    An emptyDir ``model-cache`` mounted at :data:`~pulumi_llmd.components.models.HF_CACHE_PATH` with
    ``HF_HUB_CACHE`` pointing at it, so the download lands in a volume the kubelet accounts for (not the container's
    writable layer); with ``weights_gib`` (the checkpoint size, GiB) its ``sizeLimit`` is
    :func:`~pulumi_llmd.components.models.cache_gib` (weights + 10% + 5 GiB).
    """
    if cache is not None:
        return cache_mount_parts(cache, MODEL_CACHE_VOLUME)
    empty_dir: dict[str, Any] = {} if weights_gib is None else {"sizeLimit": f"{cache_gib(weights_gib)}Gi"}
    return (
        {"name": MODEL_CACHE_VOLUME, "emptyDir": empty_dir},
        {"name": MODEL_CACHE_VOLUME, "mountPath": HF_CACHE_PATH},
        {"HF_HUB_CACHE": HF_CACHE_PATH},
    )


def startup_failure_threshold(startup_seconds: int | None, period_seconds: int, minimum: int) -> int:
    """Startup-probe ``failureThreshold`` covering ``startup_seconds`` at ``period_seconds`` per try, at least
    ``minimum`` (the guide's value)."""
    if startup_seconds is None:
        return minimum
    return max(minimum, math.ceil(startup_seconds / period_seconds))


def model_server_estimate(
    weights_gib: float | None,
    image: str,
    pool: AcceleratorPool,
    *,
    wide_ep: bool = False,
    weights_cache: WeightsCacheMount | None = None,
) -> StartupEstimate:
    """The first-start estimate of a model server on ``pool`` (:func:`~pulumi_llmd.components.startup.
    first_start_estimate`): TPU engine on TPU pools, wide-EP engine for LeaderWorkerSet DP/EP servers; a model
    without a known size counts as :data:`~pulumi_llmd.components.models.UNKNOWN_WEIGHTS_GIB`.

    Args:
        weights_gib: The checkpoint size, GiB (None: unknown).
        image: The model server's image.
        pool: The pool it runs on.
        wide_ep: A LeaderWorkerSet DP/EP server (the wide-EP engine on GPU pools). Default: False.
        weights_cache: The weights cache the server reads (its read rate replaces the download). Default: None (the
            cache of the enclosing :func:`~pulumi_llmd.components.serving.weights_cache.use_weights_cache`, if any).
    """
    engine: Engine = "tpu" if pool.shape.accelerator.kind is AcceleratorKind.TPU else ("wide-ep" if wide_ep else "gpu")
    weights = UNKNOWN_WEIGHTS_GIB if weights_gib is None else weights_gib
    cache = weights_cache if weights_cache is not None else current_weights_cache()
    return first_start_estimate(
        weights_gib=weights,
        image=image,
        engine=engine,
        cache_read_mib_per_s=cache.read_mib_per_s if cache is not None else None,
    )


def workload_options(
    child: pulumi.ResourceOptions, pool_ready: Sequence[pulumi.Resource], estimate: StartupEstimate
) -> pulumi.ResourceOptions:
    """Options of a model-server workload: ``child`` plus a dependency on ``pool_ready`` (the accelerator pool's
    nodes: only the workload waits for them) and ``customTimeouts`` create/update from ``estimate``
    (:func:`~pulumi_llmd.components.startup.create_timeout`; pulumi-kubernetes' default is 10 minutes)."""
    timeout = create_timeout(estimate)
    return pulumi.ResourceOptions.merge(  # merge concatenates depends_on
        child,
        pulumi.ResourceOptions(
            depends_on=list(pool_ready) or None,
            custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
        ),
    )


@dataclass(frozen=True)
class RdmaParts:
    """What attaching a pod to its pool's RDMA fabric adds to it (all empty without an attachment).

    Attributes:
        annotations: Pod annotations (GKE multi-networking). Default: none.
        nic_resources: The pod's share of ``vpc.amazonaws.com/efa`` / ``rdma/ib``. Default: none.
        claims: Pod ``resourceClaims``: one DRA claim per accelerator. Default: none.
        env: Container environment the transports need. Default: none.
        capabilities: Linux capabilities added to the container. Default: none.
    """

    annotations: dict[str, str] = field(default_factory=dict)
    nic_resources: dict[str, int] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    capabilities: list[str] = field(default_factory=list)

    def container_resources(self, resources: PodResources, pool: AcceleratorPool, devices: int) -> dict[str, Any]:
        """The container's ``resources``: CPU and memory from ``resources``, ``devices`` x ``pool.resource_name``
        (unless DRA claims bring the accelerators), the NIC share, and the claims' names."""
        requests: dict[str, Any] = {"cpu": resources.cpu_request, "memory": resources.memory_request}
        limits: dict[str, Any] = {"cpu": resources.cpu_limit, "memory": resources.memory_limit}
        if not self.claims and pool.resource_name:  # a CPU pool requests no device
            requests[pool.resource_name] = devices
            limits[pool.resource_name] = devices
        requests.update(self.nic_resources)
        limits.update(self.nic_resources)
        out: dict[str, Any] = {"requests": requests, "limits": limits}
        if self.claims:
            out["claims"] = [{"name": c["name"]} for c in self.claims]
        return out


def claim_template_name(server: str, pool: AcceleratorPool) -> str | None:
    """Name of the ResourceClaimTemplate a server's pods claim RDMA from (``<server>-<template>``), or None without a
    DRA attachment."""
    dra = pool.rdma.dra if pool.rdma is not None else None
    return f"{server}-{dra.template}" if dra is not None else None


def claim_template_manifest(server: str, namespace: str, pool: AcceleratorPool) -> dict[str, Any] | None:
    """The server's ResourceClaimTemplate (one GPU + its NIC, named :func:`claim_template_name`) when ``pool``
    attaches RDMA through DRA, else None."""
    name = claim_template_name(server, pool)
    if name is None or pool.rdma is None or pool.rdma.dra is None:
        return None
    return dict(pool.rdma.dra.template_manifest(namespace, name))


def register_claim_template(server: str, namespace: str, pool: AcceleratorPool, opts: pulumi.ResourceOptions) -> None:
    """Register the server's ResourceClaimTemplate (one GPU + its NIC) when ``pool`` attaches RDMA through DRA."""
    manifest = claim_template_manifest(server, namespace, pool)
    if manifest is not None:
        k8s_object(f"{server}-rdma-claims", manifest, opts)


def rdma_pod_parts(*, name: str, pool: AcceleratorPool, devices: int) -> RdmaParts:
    """What attaching a pod of ``devices`` accelerators of server ``name`` to ``pool``'s RDMA fabric adds to it.

    Read from ``pool.rdma`` (:class:`~pulumi_llmd.components.base.RdmaAttachment`): GKE multi-networking annotations,
    the pod's share of EFA / InfiniBand devices, or one DRA claim per accelerator (template
    :func:`claim_template_name`), plus the attachment's env and capabilities.

    Raises:
        ValueError: the pool has no RDMA fabric attached, or its attachment is per node (GKE device-mode interfaces)
            and the pod does not take all ``pool.devices_per_node`` accelerators of a node.
    """
    attachment = pool.rdma
    if attachment is None:
        raise ValueError(
            f"{name}: pool '{pool.name}' ({pool.shape.machine_type}) has no RDMA fabric attached; use a pool with "
            "RDMA (GKE a3-ultragpu-8g / a4-highgpu-8g, EKS with EFA, an existing cluster's rdmaResource) or TCP"
        )
    if attachment.whole_node and devices != pool.devices_per_node:
        raise ValueError(
            f"{name}: pool '{pool.name}' attaches RDMA NICs through {attachment.fabric.value} device interfaces, which "
            f"one pod per node owns: a pod must take all {pool.devices_per_node} accelerators of a "
            f"{pool.shape.machine_type} node (this one takes {devices})"
        )
    nics: dict[str, int] = {}
    if attachment.resource_name is not None:
        nics[attachment.resource_name] = attachment.nics_for(devices, pool.devices_per_node)
    nics.update({resource: 0 for resource in attachment.zero_resources})
    template = claim_template_name(name, pool)
    claims = [{"name": f"rdma-{i}", "resourceClaimTemplateName": template} for i in range(devices)] if template else []
    return RdmaParts(dict(attachment.annotations), nics, claims, dict(attachment.env), list(attachment.capabilities))


def model_server_probes(*, startup_failure_threshold: int) -> dict[str, dict[str, Any]]:
    """Startup, liveness and readiness probes of a model-server container (llm-d guides' modelserver values).

    Startup: ``/v1/models`` after 15 s, every 30 s, ``startup_failure_threshold`` tries; liveness: ``/health`` every
    10 s; readiness: ``/v1/models`` every 5 s. All on the named port :data:`PORT_NAME`.
    """
    return {
        "startupProbe": {
            "httpGet": {"path": "/v1/models", "port": PORT_NAME},
            "initialDelaySeconds": 15,
            "periodSeconds": 30,
            "timeoutSeconds": 5,
            "failureThreshold": startup_failure_threshold,
        },
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": PORT_NAME},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/v1/models", "port": PORT_NAME},
            "periodSeconds": 5,
            "timeoutSeconds": 2,
            "failureThreshold": 3,
        },
    }


def service_account_manifest(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A ServiceAccount that mounts no API token (model servers never call the Kubernetes API)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "automountServiceAccountToken": False,
    }


def disruption_budget_manifest(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A PodDisruptionBudget letting at most one of the pods selected by ``labels`` be voluntarily down."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(labels)}},
    }


#: Environment of vLLM's CPU backend as llm-d's CPU variant sets it (guides/optimized-baseline/modelserver/cpu/vllm/
#: patch-vllm.yaml @ d557f83e): 32 GiB of KV cache (``VLLM_CPU_KVCACHE_SPACE``, GiB) and one CPU kept for the serving
#: process (``VLLM_CPU_NUM_OF_RESERVED_CPU``). A model's ``extraEnv`` overrides them (e.g. a smaller KV cache on kind).
#: The guide also adds ``SYS_NICE`` and an Unconfined seccomp profile (NUMA memory binding); the library leaves both out
#: so CPU servers stay within the namespace's ``baseline`` Pod Security level and the packs' capability rule.
CPU_VLLM_ENV: Mapping[str, str] = MappingProxyType(
    {"VLLM_CPU_KVCACHE_SPACE": "32", "VLLM_CPU_NUM_OF_RESERVED_CPU": "1"}
)
#: vLLM flags llm-d's CPU variant adds (same file): the hybrid KV-cache manager off.
CPU_VLLM_ARGS: tuple[str, ...] = ("--disable-hybrid-kv-cache-manager",)


def cpu_vllm_args(args: Sequence[str]) -> list[str]:
    """``args`` with :data:`CPU_VLLM_ARGS` added after the guide's leading flags unless already given (pure)."""
    extra = [a for a in CPU_VLLM_ARGS if a not in args]
    return [*args[:4], *extra, *args[4:]]


def vllm_image(pool: AcceleratorPool, image: str | None = None) -> str:
    """The vLLM image a model server on ``pool`` runs: ``image`` when given, else the active llm-d release's build for
    the pool's device (:func:`~pulumi_llmd.components.versions.active_release`,
    :attr:`~pulumi_llmd.components.catalog.Accelerator.vllm_platform`): ``vllm_gpu`` on NVIDIA, ``vllm_tpu`` on TPU,
    ``vllm_rocm`` on AMD Instinct (``amd.com/gpu``), ``vllm_xpu`` on Intel GPUs, ``vllm_cpu`` on a CPU pool (llm-d
    guides/recipes/modelserver/components/images/{gpu,tpu,amd,xpu,cpu}-vllm/release, which the optimized-baseline
    guide's amd/tpu/xpu/cpu overlays use). The release's CUDA image given for a non-NVIDIA pool is swapped for the
    pool's build. Read while a component is constructed.

    Raises:
        ValueError: no ``image`` for a device no llm-d release has a vLLM image for (e.g. Intel Gaudi).

    Args:
        pool: The accelerator pool the server runs on.
        image: An image reference. Default: None (the release's build for the pool).
    """
    release = versions.active_release()
    platform = pool.shape.accelerator.vllm_platform
    if image is not None and (platform in (None, "cuda") or image != release.vllm_gpu.ref):
        return image
    if platform is None:
        raise ValueError(
            f"pool '{pool.name}' has {pool.shape.accelerator.display} ({pool.resource_name or 'no device'}), for "
            f"which llm-d {release.name} publishes no vLLM image; give the model server's image (stack key "
            "llmd:models[i].image)"
        )
    return release.vllm_image(platform=platform).ref


def vllm_pod_template(
    *,
    name: str,
    spec: VllmSpec,
    pool: AcceleratorPool,
    labels: Mapping[str, str],
    resources: PodResources,
    service_account: str,
    hf_token_secret: str | None,
    image: str | None = None,
    rdma: bool = False,
    sidecar: Mapping[str, Any] | None = None,
    extra_ports: Sequence[Mapping[str, Any]] = (),
    field_env: Mapping[str, str] | None = None,
    affinity: Mapping[str, Any] | None = None,
    extra_volumes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] = (),
    pod_annotations: Mapping[str, str] | None = None,
    weights_gib: float | None = None,
    startup_seconds: int | None = None,
    weights_cache: WeightsCacheMount | None = None,
) -> dict[str, Any]:
    """The pod template (``{"metadata", "spec"}``) of a vLLM model server (pure function; see :class:`ModelServer`):
    what :func:`vllm_deployment` puts under ``spec.template`` and the DisaggregatedSet form of pd-disaggregation under
    each role's ``leaderWorkerTemplate.workerTemplate`` (:mod:`~pulumi_llmd.components.serving.disaggregated_set`).
    ``name`` names the server (RDMA claim templates).

    Optional parts for the P/D and prefix-cache paths: ``rdma`` attaches the pod to ``pool.rdma`` (see
    :func:`rdma_pod_parts`; raises ValueError as it does), ``sidecar`` is a restartable init container (the llm-d
    P/D routing sidecar), ``extra_ports`` more container ports (NIXL side channel 5600, KV events 5556),
    ``field_env`` env vars read from the pod (``{"VLLM_NIXL_SIDE_CHANNEL_HOST": "status.podIP"}``), ``affinity`` the
    pod affinity, ``extra_volumes`` ``(volume, volumeMount)`` pairs, ``pod_annotations`` annotations of the pods
    (e.g. ``llm-d.ai/kv-transport: tcp`` recording an explicit choice of TCP for P/D).

    Weights: vLLM downloads into the dedicated emptyDir of :func:`model_cache_parts` (``HF_HUB_CACHE``); with
    ``weights_gib`` (checkpoint size, GiB) the volume's ``sizeLimit`` and the container's ``ephemeral-storage``
    request (:func:`~pulumi_llmd.components.models.pod_ephemeral_gib`) are sized for it, so the scheduler places a
    pod only on a node with room for its weights. ``startup_seconds`` (see
    :func:`~pulumi_llmd.components.startup.startup_probe_seconds`) widens the startup probe beyond the guide's hour.

    The pod requests and limits ``pool.shape.chips_for(spec.devices)`` x ``pool.resource_name`` (``spec.devices`` on
    every GPU / v5e / v6e / v5p pool; a TPU7x pod requests its host's 4 chips for TP 8, two TensorCores per chip),
    lands on the pool through its node selector and tolerations, mounts an in-memory ``/dev/shm``, reads
    ``HF_TOKEN`` from ``hf_token_secret`` (when given) and has probes sized for model loads that take many minutes.
    Its env starts with the active llm-d release's ``vllm_env`` (``USER=llm-d``,
    :func:`~pulumi_llmd.components.versions.active_release`). On a TPU pool it runs vLLM's TPU image (see
    :func:`vllm_image`) without that ``USER`` workaround and ``/dev/shm``, as llm-d's TPU overlays do;
    ``spec.tensor_parallel_size`` is then the vLLM devices of a host (v6e: one TensorCore per chip; TPU7x: two). The
    startup probe allows 15 s + 120 x 30 s (about an hour) before liveness takes over (values from llm-d's
    optimized-baseline guide).

    Args:
        image: The vLLM image. Default: None (the active llm-d release's vLLM build for the pool, :func:`vllm_image`).
        rdma: Attach the pod to ``pool.rdma``. Default: False (TCP only).
        sidecar: A restartable init container. Default: None.
        extra_ports: More container ports. Default: none.
        field_env: Env vars read from the pod (name -> field path). Default: None.
        affinity: The pod affinity. Default: None.
        extra_volumes: ``(volume, volumeMount)`` pairs. Default: none.
        pod_annotations: Annotations of the pods. Default: None.
        weights_gib: The checkpoint size, GiB. Default: None (unsized cache, no ``ephemeral-storage`` request).
        startup_seconds: The expected first start, seconds. Default: None (the guide's hour).
        weights_cache: A filled weights cache to read the checkpoint from (mounted read-only, ``HF_HUB_OFFLINE=1``;
            the ``ephemeral-storage`` request is then the scratch space only). Default: None (the cache of the
            enclosing :func:`~pulumi_llmd.components.serving.weights_cache.use_weights_cache`, else a download into
            the emptyDir).
    """
    devices = pool.shape.chips_for(spec.devices)
    if weights_cache is None:
        weights_cache = current_weights_cache()
    tpu = pool.shape.accelerator.kind is AcceleratorKind.TPU
    image = vllm_image(pool, image)
    parts = rdma_pod_parts(name=name, pool=pool, devices=devices) if rdma else RdmaParts()
    env = hf_token_env(hf_token_secret)
    env.extend({"name": k, "valueFrom": {"fieldRef": {"fieldPath": v}}} for k, v in sorted((field_env or {}).items()))
    # vLLM >= 0.20 with torch 2.11 needs USER set (vLLM issue 44548): the release's image components add it
    # (llm-d guides/recipes/modelserver/components/images/{gpu,cpu,amd,xpu}-vllm/release @ d557f83e); the TPU image
    # component sets nothing.
    base_env = {} if tpu else dict(versions.active_release().vllm_env)
    cpu = pool.shape.accelerator.kind is AcceleratorKind.CPU
    if cpu:
        base_env.update(CPU_VLLM_ENV)
    cache_volume, cache_mount, cache_env = model_cache_parts(weights_gib, weights_cache)
    merged_env = {**base_env, **cache_env, **dict(pool.model_server_env), **parts.env, **dict(spec.extra_env)}
    env.extend({"name": k, "value": v} for k, v in sorted(merged_env.items()))
    env = with_secret_env(env, spec.secret_env)
    container_resources = parts.container_resources(resources, pool, devices)
    if weights_cache is not None:
        # The checkpoint lives on the cache volume: the node's disk holds only the compile caches and logs.
        container_resources["requests"]["ephemeral-storage"] = f"{SCRATCH_GIB}Gi"
    elif weights_gib is not None:
        container_resources["requests"]["ephemeral-storage"] = f"{pod_ephemeral_gib(weights_gib)}Gi"
    security: dict[str, Any] = {"allowPrivilegeEscalation": False, "privileged": False}
    if parts.capabilities:
        security["capabilities"] = {"add": parts.capabilities}
    container: dict[str, Any] = {
        "name": "modelserver",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["vllm", "serve"],
        "args": cpu_vllm_args(spec.args()) if cpu else spec.args(),
        "env": env,
        "ports": [model_server_port(spec.port), *(dict(p) for p in extra_ports)],
        "resources": container_resources,
        **model_server_probes(
            startup_failure_threshold=startup_failure_threshold(
                startup_seconds, STARTUP_PROBE_PERIOD_SECONDS, STARTUP_PROBE_MIN_FAILURES
            )
        ),
        "securityContext": security,
        "volumeMounts": [
            *([] if tpu else [{"name": "shm", "mountPath": "/dev/shm"}]),
            {"name": "torch-compile-cache", "mountPath": "/.cache"},
            {"name": "triton-cache", "mountPath": "/.triton"},
            {"name": "vllm-config", "mountPath": "/.config"},
            cache_mount,
            *(dict(mount) for _, mount in extra_volumes),
        ],
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 60,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    if sidecar is not None:
        pod_spec["initContainers"] = [dict(sidecar)]
    pod_spec["containers"] = [container]
    pod_spec["volumes"] = [
        *([] if tpu else [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": resources.shm_size}}]),
        {"name": "torch-compile-cache", "emptyDir": {}},
        {"name": "triton-cache", "emptyDir": {}},
        {"name": "vllm-config", "emptyDir": {}},
        cache_volume,
        *(dict(volume) for volume, _ in extra_volumes),
    ]
    if parts.claims:
        pod_spec["resourceClaims"] = parts.claims
    if affinity is not None:
        pod_spec["affinity"] = dict(affinity)
    pod_spec.update(pool.pod_placement())
    template_meta: dict[str, Any] = {"labels": dict(labels)}
    annotations = {
        **parts.annotations,
        **weights_annotations(weights_gib),
        **(cache_annotations(weights_cache) if weights_cache is not None else {}),
        **dict(pod_annotations or {}),
    }
    if annotations:
        template_meta["annotations"] = annotations
    return {"metadata": template_meta, "spec": pod_spec}


def vllm_deployment(*, name: str, namespace: str, replicas: int, **template: Any) -> dict[str, Any]:
    """The Deployment manifest of a vLLM fleet (pure function; see :class:`ModelServer`): ``replicas`` pods of
    :func:`vllm_pod_template` (``template``: its keyword arguments; ``labels`` also select the pods), replaced one
    at a time (maxSurge 0 / maxUnavailable 1: spare accelerators are rare). Raises ValueError as
    :func:`vllm_pod_template` does."""
    pod = vllm_pod_template(name=name, **template)
    labels = dict(template["labels"])
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            # Spare accelerators are rare: replace pods one at a time instead of surging new ones.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
            "template": pod,
        },
    }


class ModelServerArgs(TypedDict, total=False):
    """The arguments of :class:`ModelServer` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on it)
    or a namespace name."""
    replicas: Required[int]
    """Number of servers (pods), >= 1; the initial size when ``autoscaled``."""
    spec: Required[VllmSpec]
    """What each server runs: :class:`VllmSpec` (model, TP, PP, ...); TP x PP devices per pod, on one node."""
    pool: Required[AcceleratorPool | HasAcceleratorPool]
    """The accelerator pool to run on: an :class:`~pulumi_llmd.components.base.AcceleratorPool`, or a node-pool
    component carrying one as ``.pool`` (e.g. ``GpuNodePool``; the Deployment then depends on it)."""
    labels: Required[Mapping[str, str]]
    """Pod labels (use :func:`model_server_labels`); what an InferencePool selects on. ``llm-d.ai/role`` must be one
    of :data:`KNOWN_ROLES`."""
    resources: PodResources | None
    """CPU / memory requests and limits and the ``/dev/shm`` size. Default: None — :class:`PodResources` (the guide's
    8-16 CPU, 96-128 GiB, 20 GiB shm)."""
    hf_token_secret: str | None
    """Name of a Secret with key ``HF_TOKEN``. Default: None (public models)."""
    image: str
    """The vLLM image. Default: the active llm-d release's vLLM build for the pool (:func:`vllm_image`: ``vllm_gpu``,
    ``vllm_tpu`` on a TPU pool)."""
    autoscaled: bool
    """A HorizontalPodAutoscaler owns the replica count (see
    :class:`~pulumi_llmd.components.serving.ModelServerAutoscaler`): Pulumi ignores later changes of
    ``spec.replicas``. Default: False."""
    rdma: bool
    """Attach pods to the pool's RDMA fabric (:func:`rdma_pod_parts`; with a DRA attachment the component also
    registers the ResourceClaimTemplate). Default: False (TCP only)."""
    sidecar: Mapping[str, Any] | None
    """A restartable init container (the llm-d P/D routing sidecar). Default: None."""
    extra_ports: Sequence[Mapping[str, Any]]
    """More container ports (NIXL side channel 5600, KV events 5556). Default: none."""
    field_env: Mapping[str, str] | None
    """Env vars read from the pod (name -> field path, e.g. ``status.podIP``). Default: None."""
    affinity: Mapping[str, Any] | None
    """The pod affinity. Default: None."""
    extra_volumes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
    """``(volume, volumeMount)`` pairs. Default: none."""
    pod_annotations: Mapping[str, str] | None
    """Annotations of the pods (e.g. ``llm-d.ai/kv-transport: tcp``). Default: None."""
    weights_gib: float | None
    """The checkpoint size, GiB (:func:`~pulumi_llmd.components.models.model_spec`); sizes the weights cache and the
    ephemeral-storage request (see :func:`vllm_deployment`). Default: None (unsized cache)."""
    pool_ready: Sequence[pulumi.Resource]
    """What the pool's nodes come from (``Cluster.pool_ready``); only the Deployment waits for it, the
    ServiceAccount and PodDisruptionBudget do not. Default: none."""
    weights_cache: WeightsCacheMount | None
    """A filled weights cache the servers read the checkpoint from (:mod:`~pulumi_llmd.components.serving.
    weights_cache`); the Deployment then also waits for ``weights_cache.ready``. Default: None (the cache of the
    enclosing ``use_weights_cache`` block, else each pod downloads into its emptyDir)."""


def model_server_problems(a: ModelServerArgs, pool: AcceleratorPool) -> list[str]:
    """Every problem of a :class:`ModelServer`'s arguments on ``pool``, as ``"<key> = <value>: <allowed>"`` lines."""
    problems = [p for p in (count_problem("replicas", a["replicas"]),) if p]
    spec = a["spec"]
    if not isinstance(spec, VllmSpec):
        return [*problems, format_problem("spec", spec, "must be a VllmSpec")]
    hosts = tpu_slice_hosts(pool)
    if hosts > 1:
        fit = tpu_slice_problem(spec.tensor_parallel_size, spec.pipeline_parallel_size, pool.shape, hosts, pool.name)
    else:
        fit = devices_fit_problem(spec.tensor_parallel_size, spec.pipeline_parallel_size, pool.shape)
    if fit:
        key = "spec.pipeline_parallel_size" if fit.startswith("PP =") else "spec.tensor_parallel_size"
        value = spec.pipeline_parallel_size if key.endswith("pipeline_parallel_size") else spec.tensor_parallel_size
        problems.append(format_problem(key, value, f"{fit} (pool '{pool.name}')"))
    labels = selector_problem(a["labels"])
    if labels:
        problems.append(format_problem("labels", dict(a["labels"]), labels))
    return problems


class ModelServer(pulumi.ComponentResource):
    """A fleet of vLLM model servers for one model and role (``decode`` in optimized-baseline).

    Type token ``llmd:serving:ModelServer``. Registers a ServiceAccount (no API token), the Deployment from
    :func:`vllm_deployment` and a PodDisruptionBudget (at most one server voluntarily down at a time).
    Arguments: :class:`ModelServerArgs`. Outputs: ``deployment``, ``labels`` (what an InferencePool selects on),
    ``name``.

    The Deployment's ``customTimeouts`` (create, update) and its startup probe are sized from the first-start
    estimate (``startup_estimate``, :func:`model_server_estimate`), which pulumi-kubernetes' 10-minute default and the
    guide's one-hour probe would not cover for large models.

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument (``replicas="2"``),
            replicas < 1, TP or PP < 1, TP x PP larger than the devices of one pool node
            (:func:`devices_fit_problem`), empty labels or an unknown role, a quantity that does not parse or
            requests that do not fit a node (see :func:`pod_fit_problems`).
        ValueError: an RDMA attachment the pool cannot give (see :func:`rdma_pod_parts`).
    """

    @overload
    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ModelServerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ModelServerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ModelServerArgs, "ModelServer", args, kwargs)
        where = f"ModelServer {name}"
        pool, pool_deps = accelerator_pool(a["pool"], where)
        problems = model_server_problems(a, pool)
        if problems:
            raise ArgsError(where, problems)
        namespace, ns_deps = ref_name(a["namespace"], "ModelServer", "namespace")
        opts = with_depends_on(opts, ns_deps)
        replicas, spec, labels = a["replicas"], a["spec"], a["labels"]
        resources = a.get("resources") or PodResources()
        hf_token_secret = a.get("hf_token_secret")
        image = vllm_image(pool, a.get("image"))
        autoscaled = a.get("autoscaled", False)
        rdma = a.get("rdma", False)
        weights_cache = a.get("weights_cache") or current_weights_cache()
        pool_ready = [*a.get("pool_ready", ()), *pool_deps, *(weights_cache.ready if weights_cache else ())]
        estimate = model_server_estimate(a.get("weights_gib"), image, pool, weights_cache=weights_cache)
        bad = quantity_problem(
            where, resources, ("cpu_request", "cpu_limit", "memory_request", "memory_limit", "shm_size")
        )
        if bad:
            raise ArgsError(where, [bad.removeprefix(f"{where}: ")])
        fit = pod_fit_problems(spec.devices, resources, pool.shape)
        if fit:
            raise ArgsError(where, [format_problem(f"resources.{f}", v, m) for f, v, m in fit])
        sa_name = f"{name}-modelserver"
        manifest = vllm_deployment(
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
            rdma=rdma,
            sidecar=a.get("sidecar"),
            extra_ports=a.get("extra_ports", ()),
            field_env=a.get("field_env"),
            affinity=a.get("affinity"),
            extra_volumes=a.get("extra_volumes", ()),
            pod_annotations=a.get("pod_annotations"),
            weights_gib=a.get("weights_gib"),
            startup_seconds=startup_probe_seconds(estimate),
            weights_cache=weights_cache,
        )  # raises ValueError (RDMA attachment) before anything registers
        hosts = tpu_slice_hosts(pool)
        if hosts > 1:
            # A multi-host TPU slice: one LeaderWorkerSet group of `hosts` pods per server (tpu_slice.py); workers
            # carry no role and another guide label, so only leaders are routed to (llm-d's TPU lws.yaml).
            guide = labels.get("llm-d.ai/guide", "")
            others = {k: v for k, v in labels.items() if k not in ("llm-d.ai/guide", "llm-d.ai/role")}
            manifest = tpu_slice_lws_manifest(
                name=name,
                namespace=namespace,
                replicas=replicas,
                hosts=hosts,
                pool=pool,
                pod=manifest["spec"]["template"],
                worker_labels={**others, "llm-d.ai/guide": f"{guide}-worker"},
            )
        super().__init__("llmd:serving:ModelServer", name, None, opts)
        child = child_options(self, opts)
        ns = namespace
        k8s_object(f"{name}-sa", service_account_manifest(sa_name, ns, labels), child)
        if rdma:
            register_claim_template(name, namespace, pool, child)
        workload = workload_options(child, pool_ready, estimate)
        if autoscaled:
            workload = pulumi.ResourceOptions.merge(workload, pulumi.ResourceOptions(ignore_changes=["spec.replicas"]))
        self.deployment = k8s_object(f"{name}-deployment", manifest, workload)
        k8s_object(f"{name}-pdb", disruption_budget_manifest(name, ns, labels), child)
        self.name = name
        self.labels = dict(labels)
        self.devices_per_replica = pool.shape.chips_for(spec.devices)
        #: The first-start estimate the timeouts and the startup probe are sized from.
        self.startup_estimate = estimate
        self.register_outputs({"name": name, "replicas": replicas, "devicesPerReplica": self.devices_per_replica})
