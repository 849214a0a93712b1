"""What the well-lit paths' config rules share: the :class:`Placement` a path's rules read (its model on its pool),
the :class:`PathRules` each path module exposes (``RULES``), and the sizing checks several paths run (TP x PP fits and
divides a node, pods fit a node, weights fit accelerator memory and a node's disk, TPU pools).

Config validation (:mod:`pulumi_llmd.blueprints.validation`) calls a path's rules through
:func:`pulumi_llmd.blueprints.paths.path_rules`; the rules return :class:`ConfigIssue` s naming the stack file's
keys. Pure: nothing is registered. Imports: ``issues <- config <- plan <- paths``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from pulumi_llmd.blueprints.config import ModelConfig, ModelResources, PoolConfig, StackConfig, WellLitPath
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.blueprints.plan import (
    node_ephemeral_gib,
    offload_gib,
    picker_container_resources,
    pod_requests,
    server_resources,
    system_machine,
    system_machine_type,
    tpu_topology,
    weights_per_device_problem,
)
from pulumi_llmd.components import catalog
from pulumi_llmd.components.models import pod_ephemeral_gib
from pulumi_llmd.components.serving.model_server import (
    devices_divide_problem,
    devices_fit_problem,
    pod_fit_problems,
    tpu_slice_problem,
)


@dataclass(frozen=True)
class Placement:
    """A model on its accelerator pool, as a path's placement rules see it: ``key`` is the model's config key
    (``llmd:models[0]``), ``shape`` the pool's machine shape, ``cloud`` the target's, and ``rdma_hint`` the target's
    advice for an RDMA-capable pool (:attr:`pulumi_llmd.blueprints.targets.Target.rdma_hint`).
    ``rdma_hint`` Default: "a pool with an RDMA fabric"."""

    key: str
    model: ModelConfig
    pool: PoolConfig
    shape: catalog.MachineShape
    cloud: catalog.Cloud
    rdma_hint: str = "a pool with an RDMA fabric"


def _no_key_rules(key: str, model: ModelConfig) -> list[ConfigIssue]:
    return []


@dataclass(frozen=True)
class SystemPods:
    """What a well-lit path runs on the system pool for one model besides the endpoint picker's own container.

    Attributes:
        picker_sidecars: Containers the path adds to the picker's pod (Kubernetes container dicts with
            ``resources``), e.g. predicted-latency-routing's latency predictor. Default: none.
        sidecar_key: The model key (relative to ``llmd:models[i]``) that sizes the sidecars, named when the pod does
            not fit, e.g. ``latencyPredictor.predictionServers``. Default: None (the path adds no sidecar).
        sidecar_value: That key's value. Default: None.
        sidecar_fix: The other way out than a larger system machine, e.g. ``fewer prediction servers``. Default: "".
        pods: Other pods of the model on the system pool, as (what, containers), e.g. ``("the tokenizer render pod",
            [...])`` of precise-prefix-cache-routing. Default: none.
    """

    picker_sidecars: Sequence[Mapping[str, Any]] = ()
    sidecar_key: str | None = None
    sidecar_value: object = None
    sidecar_fix: str = ""
    pods: Sequence[tuple[str, Sequence[Mapping[str, Any]]]] = ()


def _no_system_pods(model: ModelConfig) -> SystemPods:
    return SystemPods()


@dataclass(frozen=True)
class PathRules:
    """A well-lit path's config rules.

    Attributes:
        keys: Rules on the model's keys alone (e.g. a required ``prefill``). Default: no rules (no issues).
        placement: Rules on the model on its pool (sizing, fabric, weights); returns the issues and the accelerators
            the model takes from the pool. Default: None (the path runs on CPU nodes and takes no pool).
        needs: What the path needs from its target, by the names targets list in ``Target.offers`` (e.g.
            ``"keda-prometheus"``: a Prometheus endpoint KEDA can query); config validation refuses the path on a
            target that does not offer one. Default: none (every target).
        system_pods: What the path runs on the system pool for a model besides the picker container
            (:class:`SystemPods`), for :func:`system_pod_issues`. Default: nothing.
    """

    keys: Callable[[str, ModelConfig], list[ConfigIssue]] = _no_key_rules
    placement: Callable[[Placement], tuple[list[ConfigIssue], int]] | None = None
    needs: frozenset[str] = frozenset()
    system_pods: Callable[[ModelConfig], SystemPods] = _no_system_pods


def _cores(millicores: int) -> str:
    return f"{millicores / 1000:g}"


def _gib(mib: int) -> str:
    return f"{mib / 1024:.1f}".removesuffix(".0")


def _larger_machine(config: StackConfig, cpu_millicores: int, memory_mib: int) -> catalog.SystemMachine | None:
    """The smallest catalog system machine of the target's cloud whose one node holds ``cpu_millicores`` /
    ``memory_mib``, of the current machine's family where one does (``e2-standard``, ``m6i``)."""
    current = system_machine_type(config) or ""
    family = re.split(r"-[0-9]+$|\.", current)[0]
    fitting = [
        m
        for m in catalog.system_machines(config.target.cloud_enum)
        if m.allocatable().cpu_millicores >= cpu_millicores and m.allocatable().memory_mib >= memory_mib
    ]
    same = [m for m in fitting if re.split(r"-[0-9]+$|\.", m.machine_type)[0] == family]
    return next(iter(same or fitting), None)


def system_pod_issues(config: StackConfig, key: str, model: ModelConfig, rules: PathRules) -> list[ConfigIssue]:
    """Every pod ``model`` runs on the system pool fits one system node: the endpoint picker's pod (its container,
    :func:`~pulumi_llmd.blueprints.plan.picker_container_resources`, plus the path's sidecars, e.g. the latency
    predictor of predicted-latency-routing) and the path's other system pods (the tokenizer render pods of
    precise-prefix-cache-routing), by ``rules.system_pods``.

    A pod's requests are summed over its containers (:func:`~pulumi_llmd.blueprints.plan.pod_requests`, CPU
    millicores and memory MiB) and compared with one node's allocatable: the catalog's reservation formulas for the
    system machine (:meth:`~pulumi_llmd.components.catalog.SystemMachine.allocatable`, the formulas the render's twin
    schedules against). Existing clusters (no system pool the stack knows) and an unknown system machine type
    (reported by the target's rules) are skipped.

    Returns one issue per pod that does not fit, keyed by what sized it: the path's sidecar key
    (``llmd:models[0].latencyPredictor.predictionServers``), else ``router.resources.cpuRequest`` /
    ``memoryRequest`` when set, else
    ``llmd:cluster.systemPool.machineType``; the message names the requests, the node's allocatable, a catalog
    machine type that holds the pod, and the path's other remedy.
    """
    machine = system_machine(config)
    if machine is None:
        return []
    node = machine.allocatable()
    extra = rules.system_pods(model)
    picker = [{"resources": picker_container_resources(config, model)}, *extra.picker_sidecars]
    pods: list[tuple[str, Sequence[Mapping[str, Any]], bool]] = [("the endpoint picker pod", picker, True)]
    pods.extend((what, containers, False) for what, containers in extra.pods)
    machine_key = f"{CONFIG_NAMESPACE}:cluster.systemPool.machineType"
    issues: list[ConfigIssue] = []
    for what, containers, is_picker in pods:
        cpu, memory = pod_requests(containers)
        if cpu <= node.cpu_millicores and memory <= node.memory_mib:
            continue
        fixes: list[str] = []
        if is_picker and extra.picker_sidecars and extra.sidecar_key is not None:
            where, value = f"{key}.{extra.sidecar_key}", extra.sidecar_value
            if extra.sidecar_fix:
                fixes.append(extra.sidecar_fix)
        elif is_picker and model.router.resources is not None:
            wanted = model.router.resources
            field, value = ("cpuRequest", wanted.cpu_request)
            if cpu <= node.cpu_millicores:
                field, value = ("memoryRequest", wanted.memory_request)
            where = f"{key}.router.resources.{field}"
            fixes.append(f"a smaller {where}")
        else:
            where, value = machine_key, machine.machine_type
        larger = _larger_machine(config, cpu, memory)
        example = f" (e.g. {larger.machine_type})" if larger is not None else ""
        allowed = f"{machine_key} with at least {_cores(cpu)} CPU and {_gib(memory)} GiB allocatable{example}"
        issues.append(
            ConfigIssue(
                key=where,
                value=value,
                message=f"{what} of model '{model.name}' requests {_cores(cpu)} CPU and {_gib(memory)} GiB memory, "
                f"more than one {machine.machine_type} system node allocates ({_cores(node.cpu_millicores)} CPU, "
                f"{_gib(node.memory_mib)} GiB); allowed: {' or '.join([allowed, *fixes])}",
            )
        )
    return issues


def pod_fit_issues(
    where: str, devices: int, resources: ModelResources, shape: catalog.MachineShape, suffix: str = ""
) -> list[ConfigIssue]:
    """The pods of ``devices`` accelerators with ``resources`` fit a ``shape`` node (the model server's rule,
    :func:`~pulumi_llmd.components.serving.model_server.pod_fit_problems`), keyed ``<where>.resources.<field>``.
    ``suffix`` is appended to each message. Default: "" (nothing)."""
    return [
        ConfigIssue(key=f"{where}.resources.{to_camel(field)}", value=value, message=message + suffix)
        for field, value, message in pod_fit_problems(devices, resources.to_pod_resources(), shape)
    ]


def decode_fit_issues(p: Placement) -> tuple[list[ConfigIssue], bool]:
    """A single-role server's TP x PP fits one node (:func:`~pulumi_llmd.components.serving.model_server.
    devices_fit_problem`, the model server's rule), divides the node's accelerators (:func:`~pulumi_llmd.components.
    serving.model_server.devices_divide_problem`), and its pods fit a node; and
    whether TP x PP fits a node at all (the other sizing checks need it)."""
    model, shape = p.model, p.shape
    problem = devices_fit_problem(model.tensor_parallel_size, model.pipeline_parallel_size, shape)
    if problem is not None:
        return [
            ConfigIssue(key=f"{p.key}.tensorParallelSize", value=model.tensor_parallel_size, message=problem)
        ], False
    issues: list[ConfigIssue] = []
    problem = devices_divide_problem(model.tensor_parallel_size, model.pipeline_parallel_size, shape)
    if problem is not None:
        issues.append(ConfigIssue(key=f"{p.key}.tensorParallelSize", value=model.tensor_parallel_size, message=problem))
    resources = server_resources(model, shape)
    suffix = ""
    if resources is not model.resources:
        suffix = f" (including the {offload_gib(model, shape)} GiB CPU KV offload of kvOffload.cpuGib)"
    issues.extend(pod_fit_issues(p.key, model.gpus_per_replica, resources, shape, suffix))
    return issues, True


#: A role's weights placement: (role, field key, field value, shards, accelerators per pod).
WeightsRole = tuple[str, str, int, int, int]


def decode_role(model: ModelConfig) -> WeightsRole:
    """The decode (or only) role of a single-role or P/D model: TP x PP shards and accelerators per pod."""
    return ("decode", "tensorParallelSize", model.tensor_parallel_size, model.gpus_per_replica, model.gpus_per_replica)


def weights_issues(p: Placement, roles: Sequence[WeightsRole]) -> list[ConfigIssue]:
    """The model's weights fit accelerator memory for each role's parallelism, and its pods' weight caches fit a
    node's ephemeral storage.

    Accelerator memory: see :func:`~pulumi_llmd.blueprints.plan.weights_per_device_problem`; ``roles`` give each
    role's shards (TP x PP for decode, prefill TP for P/D, TP x DP for a wide-ep mixture-of-experts model).
    Disk: every pod downloads the whole checkpoint into its own emptyDir, so the most pods one node can hold
    (accelerators per node // accelerators per pod, for each role) x :func:`~pulumi_llmd.components.models.
    pod_ephemeral_gib` (weights + 10% + 5 GiB cache, 20 GiB scratch) must fit the node's allocatable ephemeral
    storage (:func:`~pulumi_llmd.blueprints.plan.node_ephemeral_gib`).
    """
    model, pool, shape = p.model, p.pool, p.shape
    spec = model.weights
    if spec is None:
        return []
    issues: list[ConfigIssue] = []
    for role, field, value, shards, _ in roles:
        problem = weights_per_device_problem(
            spec, shards=shards, accelerator=shape.accelerator, utilization=model.gpu_memory_utilization
        )
        if problem is None:
            continue
        message, needed = problem
        if needed <= shape.vllm_devices:
            allowed = f"at least {needed} accelerators per {role} replica (e.g. a larger {field})"
        else:
            allowed = (
                f"at least {needed} x {shape.accelerator.name}, more than one {shape.machine_type} node holds: use an "
                "accelerator with more memory or a smaller / quantized checkpoint"
            )
        issues.append(ConfigIssue(key=f"{p.key}.{field}", value=value, message=f"{message}; allowed: {allowed}"))
    node_gib = node_ephemeral_gib(p.cloud, pool, shape)
    if node_gib is not None:
        per_pod = pod_ephemeral_gib(spec.weights_gib)
        pods = max(shape.pods_per_node(devices) for _, _, _, _, devices in roles)
        if pods * per_pod > node_gib:
            where = "local SSDs" if shape.local_ssd_count else f"{pool.boot_disk_size_gb} GiB boot disk"
            fit = node_gib // per_pod
            issues.append(
                ConfigIssue(
                    key=f"{p.key}.huggingFaceId",
                    value=model.hugging_face_id,
                    message=f"{pods} pod(s) per {shape.machine_type} node each download the {spec.weights_gib:.1f} GiB "
                    f"checkpoint into a {per_pod} GiB emptyDir ({pods * per_pod} GiB), but a node's allocatable "
                    f"ephemeral storage ({where}) is {node_gib} GiB; allowed: at most {fit} pod(s) per node "
                    "(more accelerators per pod), a machine type with local SSDs, or a larger bootDiskSizeGb",
                )
            )
    return issues


def no_tpu_issues(p: Placement) -> list[ConfigIssue]:
    """A path that vLLM TPU cannot serve in this release, on a TPU pool."""
    if p.shape.tpu is None:
        return []
    return [
        ConfigIssue(
            key=f"{p.key}.path",
            value=p.model.path.value,
            message="not available on TPU pools in this release (vLLM TPU uses its own TPUConnector / "
            "TPUOffloadConnector); TPU paths: optimized-baseline, precise-prefix-cache-routing",
        )
    ]


def single_role_placement(p: Placement, *, tpu: bool = True) -> tuple[list[ConfigIssue], int]:
    """The rules of a one-fleet path (optimized-baseline, the prefix-cache paths): TP x PP fits and divides a node,
    pods fit a node, weights fit, and (``tpu`` False) no TPU pool; the fleet takes replicas x TP x PP accelerators.
    ``tpu``: whether the path runs on TPU pools. Default: True.

    On a multi-host TPU slice (``tpuTopology`` spanning several hosts) one server spans the whole slice as a
    LeaderWorkerSet group (:mod:`~pulumi_llmd.components.serving.tpu_slice`): TP x PP must equal the slice's chips
    (:func:`~pulumi_llmd.components.serving.model_server.tpu_slice_problem`) and each host's pod fits its node."""
    hosts = tpu_slice_hosts(p)
    if hosts > 1:
        return tpu_slice_placement(p, hosts) if tpu else (no_tpu_issues(p), 0)
    issues, fits = decode_fit_issues(p)
    if not fits:
        return issues, 0
    if not p.shape.vllm_devices % p.model.gpus_per_replica:
        issues.extend(weights_issues(p, [decode_role(p.model)]))
    if not tpu:
        issues.extend(no_tpu_issues(p))
    return issues, p.model.replicas * p.shape.chips_for(p.model.gpus_per_replica)


def accelerator_image_issues(p: Placement) -> list[ConfigIssue]:
    """A model on a device no llm-d release publishes a vLLM image for (e.g. Intel Gaudi ``habana.ai/gaudi``:
    ``llm-d-hpu`` ended with llm-d v0.8.0) names its ``image``
    (:attr:`~pulumi_llmd.components.catalog.Accelerator.vllm_platform`); every other device gets the release's build
    for it (:func:`~pulumi_llmd.components.serving.model_server.vllm_image`)."""
    if p.model.image is not None or p.shape.accelerator.vllm_platform is not None:
        return []
    return [
        ConfigIssue(
            key=f"{p.key}.image",
            message=f"is required on pool '{p.pool.name}': llm-d publishes no vLLM image for its "
            f"{p.pool.resource_name} devices; allowed: a vLLM image for them, by version tag or digest (the images "
            "llm-d releases: CUDA nvidia.com/gpu, ROCm amd.com/gpu, XPU gpu.intel.com/i915|xe, TPU google.com/tpu, "
            "CPU accelerator: cpu)",
        )
    ]


def non_cuda_issues(p: Placement, why: str) -> list[ConfigIssue]:
    """A path that runs CUDA-only software (``why``) on a pool whose devices are not NVIDIA GPUs."""
    if p.shape.accelerator.vllm_platform in ("cuda", None) and p.shape.tpu is None:
        return []
    return [
        ConfigIssue(
            key=f"{p.key}.path",
            value=p.model.path.value,
            message=f"{why} on nvidia.com/gpu; pool '{p.pool.name}' has {p.shape.accelerator.display} "
            f"({p.pool.resource_name or 'no device'}); allowed: a pool of NVIDIA GPUs, or a path that runs on any "
            "vLLM build (e.g. optimized-baseline)",
        )
    ]


def tpu_slice_hosts(p: Placement) -> int:
    """Hosts of one slice of the placement's pool: > 1 for a multi-host TPU ``tpuTopology``, else 1."""
    if p.shape.tpu is None:
        return 1
    try:
        return catalog.tpu_hosts(p.shape, tpu_topology(p.pool, p.shape))
    except (catalog.CatalogError, ValueError):
        return 1  # the target's tpuTopology rule reports it


def tpu_slice_placement(p: Placement, hosts: int) -> tuple[list[ConfigIssue], int]:
    """A single-role model on a multi-host TPU slice: TP x PP = the slice's vLLM devices (TPU7x: two per chip), one pod
    per host fits its node, the weights fit the slice's memory; the fleet takes replicas x slice chips."""
    model, shape = p.model, p.shape
    problem = tpu_slice_problem(model.tensor_parallel_size, model.pipeline_parallel_size, shape, hosts, p.pool.name)
    if problem is not None:
        return [ConfigIssue(key=f"{p.key}.tensorParallelSize", value=model.tensor_parallel_size, message=problem)], 0
    issues = pod_fit_issues(p.key, shape.vllm_devices, server_resources(model, shape), shape)
    role: WeightsRole = (
        "decode",
        "tensorParallelSize",
        model.tensor_parallel_size,
        model.gpus_per_replica,
        shape.vllm_devices,
    )
    issues.extend(weights_issues(p, [role]))
    return issues, model.replicas * hosts * shape.accelerator_count


def required_prefill_issues(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """A disaggregated path (pd-disaggregation, wide-ep) needs ``prefill``."""
    if model.prefill is not None:
        return []
    return [
        ConfigIssue(
            key=f"{key}.prefill",
            message=f"is required on path '{model.path.value}': {{replicas, tensorParallelSize}} of the prefill "
            "servers (the model's own replicas / tensorParallelSize size the decode servers)",
        )
    ]


#: The path whose rules a path without its own module follows (an unimplemented path, reported as such).
FALLBACK_PATH = WellLitPath.OPTIMIZED_BASELINE
