"""``llmd:models[i].weightsCache``: which weights cache a model gets on its target, the config rules, and the build.

Kinds (a target offers ``weights-cache:<kind>`` in :attr:`~pulumi_llmd.blueprints.targets.Target.offers`; its
:attr:`~pulumi_llmd.blueprints.targets.Target.default_weights_cache` applies to models of at least
:data:`~pulumi_llmd.components.serving.weights_cache.DEFAULT_MIN_WEIGHTS_GIB` GiB):

* ``hyperdisk-ml`` (GKE; the default there on GPU pools): a Hyperdisk ML disk filled by the loader Job, snapshotted,
  and a second disk made from the snapshot in ``READ_ONLY_MANY`` mode that every server node attaches read-only
  (:class:`~pulumi_llmd.components.gcp.weights_cache.HyperdiskMlVolume`, built by the GKE target). Throughput:
  provisioned per volume, 400 to 1,200,000 MiB/s, shared by the instances reading it
  (cloud.google.com/compute/docs/disks/hd-types/hyperdisk-ml "Size and performance limits"); by default 1,024 MiB/s
  per server of the model (each server starting at once reads at the loader's 1.0 GiB/s), at least 2,400 MiB/s, the
  value of the GKE Hyperdisk ML StorageClass examples (``provisioned-throughput-on-create: "2400Mi"``,
  cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/hyperdisk-ml and GoogleCloudPlatform's Hyperdisk
  ML samples). Hyperdisk ML is "optimized for AI/ML training and
  inference workloads that need to load model weights quickly" (GKE "About Hyperdisk"). The per-instance throughput
  limits of each machine type were not found in the stored pages: the estimate assumes the volume's throughput split
  evenly over the model's servers starting at once, and never more than the loader's 1.0 GiB/s per server.
  Not the default on TPU pools: Hyperdisk ML support of TPU machine types was not verified.
* ``fsx-lustre`` (EKS; the default there): an FSx for Lustre ``PERSISTENT_2`` file system the stack creates in the
  pool's zone, with the ``aws-fsx-csi-driver`` add-on, a static PV and a ReadWriteMany claim the loader fills and the
  servers mount read-only (:class:`~pulumi_llmd.components.aws.weights_cache.FsxLustreVolume`, built by the EKS
  target). Throughput: capacity (TiB) x ``perUnitStorageThroughput`` (125, 250, 500, 1000 MB/s/TiB; FSx for Lustre
  user guide "Managing throughput capacity"), shared by the servers reading at once; capacity 1200 GiB, 2400 GiB,
  then steps of 2400 GiB (API ``CreateFileSystem``). By default 1000 MB/s/TiB and the smallest capacity holding the
  weights and giving every server starting at once the loader's 1.0 GiB/s (1.2 TiB: 1,144 MiB/s; 2.4 TiB: 2,289).
* ``pvc`` (every target): a PVC the stack creates of ``storageClassName`` (ReadWriteMany: an NFS, Filestore, EFS,
  FSx or CephFS class of the cluster) or ``existingClaim``, filled by the loader and mounted read-only. Its read
  throughput is the provider's (``readMiBps``); without it, ~1.0 GiB/s per server, what llm-d measured from a warm
  NFS ReadWriteMany PVC with vLLM's default loader (gpt-oss-120b 30.3 s, ~1.1 GB/s: llm-d guides ``modelexpress-p2p``
  benchmark results).
* ``none``: each server downloads from the Hub (llm-d's default).

Readers: every pod that loads the checkpoint counts, so a wide-ep engine of ``dataParallelSize /
dataParallelSizeLocal`` pods counts that many readers per group (each pod reads the whole checkpoint, as the
estimates assume: ``components/startup.py``), prefill and decode alike.

Not yet: Mountpoint for S3 on EKS, GCS FUSE, LoRA adapters with a cache (vLLM downloads adapters at start, which
``HF_HUB_OFFLINE`` forbids), Hyperdisk ML's per-VM throughput limits (not in the stored pages: the split assumes the
volume's throughput is the bound).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pulumi

from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.catalog import MachineShape
from pulumi_llmd.components.kube import k8s_object, with_depends_on
from pulumi_llmd.components.serving.weights_cache import (
    DEFAULT_MIN_WEIGHTS_GIB,
    WeightsCacheLoader,
    WeightsCacheMount,
    cache_size_gib,
    pvc_manifest,
)

if TYPE_CHECKING:
    from pulumi_llmd.blueprints.config import ModelConfig, StackConfig
    from pulumi_llmd.blueprints.targets import Target

__all__ = [
    "HYPERDISK_ML_DEFAULT_MIB_PER_S",
    "PVC_DEFAULT_READ_MIB_PER_S",
    "ColdStart",
    "build_pvc_cache",
    "cache_options",
    "cache_readers",
    "cold_starts",
    "fsx_capacity",
    "fsx_per_unit_throughput",
    "hyperdisk_ml_throughput",
    "pool_wait",
    "read_mib_per_server",
    "resolve_weights_cache",
    "weights_cache_issues",
    "without_pool_wait",
]

#: Hyperdisk ML provisioned throughput by default, MiB/s (the GKE StorageClass examples' 2400Mi; see the module).
HYPERDISK_ML_DEFAULT_MIB_PER_S: Final = 2400
#: A ``pvc`` cache's read throughput per server without ``readMiBps``, MiB/s (llm-d's warm NFS measurement, ~1.1 GB/s).
PVC_DEFAULT_READ_MIB_PER_S: Final = 1024
#: Paths whose servers cannot read a cache (the simulator loads no weights).
_UNSUPPORTED_PATHS: Final = frozenset({"simulated-accelerators"})


def _is_tpu_pool(config: StackConfig, model: ModelConfig) -> bool:
    pools = config.pools
    pool = next((p for p in pools if p.name == model.pool), pools[0] if len(pools) == 1 else None)
    if pool is None:
        return False
    machine = (pool.machine_type or "").lower()
    return machine.startswith("ct") or "tpu" in (pool.accelerator or "").lower()


def resolve_weights_cache(config: StackConfig, model: ModelConfig, target: type[Target]) -> str:
    """The cache kind ``model`` gets: its ``weightsCache.kind`` when set, else the target's default kind when the
    model weighs at least :data:`DEFAULT_MIN_WEIGHTS_GIB` GiB, runs on a path that can read a cache, on a GPU pool and
    without LoRA adapters; otherwise ``none``."""
    if model.weights_cache is not None:
        return model.weights_cache.kind
    weights = model.weights
    if (
        target.default_weights_cache == "none"
        or weights is None
        or weights.weights_gib < DEFAULT_MIN_WEIGHTS_GIB
        or model.path.value in _UNSUPPORTED_PATHS
        or model.lora_adapters
        or _is_tpu_pool(config, model)
    ):
        return "none"
    return target.default_weights_cache


def cache_readers(model: ModelConfig, shape: MachineShape | None = None) -> int:
    """How many model-server pods of ``model`` read its cache when the stack first starts: its replicas (decode)
    plus its prefill replicas; on wide-ep each group's pods (:func:`~pulumi_llmd.blueprints.plan.wide_ep_sizes` on
    the pool's ``shape``; without it 8 GPUs per node are assumed).

    Args:
        shape: The pool's machine shape (wide-ep pods per group). Default: None (8 GPUs per node assumed).
    """
    if model.path.value == "wide-ep":
        from pulumi_llmd.blueprints.plan import wide_ep_sizes
        from pulumi_llmd.components import catalog

        if shape is None:
            shape = next(m for m in catalog.machines("gcp") if m.accelerator_count == 8)
        roles = ("prefill", "decode") if model.prefill is not None else ("decode",)
        return sum(s.replicas * s.group_size for s in (wide_ep_sizes(model, shape, r) for r in roles))
    return model.replicas + (model.prefill.replicas if model.prefill is not None else 0)


def hyperdisk_ml_throughput(model: ModelConfig, shape: MachineShape | None = None) -> int:
    """The Hyperdisk ML throughput to provision for ``model``, MiB/s: ``throughputMiBps``, else enough for every
    server starting at once to read at the loader's 1.0 GiB/s (1024 x :func:`cache_readers`), at least
    :data:`HYPERDISK_ML_DEFAULT_MIB_PER_S` and at most the documented 1,200,000 per volume.

    Args:
        shape: The pool's machine shape (wide-ep pods per group). Default: None (8 GPUs per node assumed).
    """
    cfg = model.weights_cache
    if cfg is not None and cfg.throughput_mib_per_s is not None:
        return cfg.throughput_mib_per_s
    return min(1_200_000, max(HYPERDISK_ML_DEFAULT_MIB_PER_S, 1024 * cache_readers(model, shape)))


def fsx_per_unit_throughput(model: ModelConfig) -> int:
    """``perUnitStorageThroughput`` of ``model``'s FSx for Lustre cache, MB/s/TiB (default 1000)."""
    from pulumi_llmd.components.aws.weights_cache import FSX_DEFAULT_PER_UNIT_THROUGHPUT

    cfg = model.weights_cache
    given = cfg.per_unit_storage_throughput if cfg is not None else None
    return given or FSX_DEFAULT_PER_UNIT_THROUGHPUT


def fsx_capacity(model: ModelConfig, shape: MachineShape | None = None) -> int:
    """The FSx for Lustre capacity of ``model``'s cache, GiB: the smallest valid one holding
    :func:`~pulumi_llmd.components.serving.weights_cache.cache_size_gib` and giving every reader
    (:func:`cache_readers`) 1024 MiB/s at :func:`fsx_per_unit_throughput`.

    Args:
        shape: The pool's machine shape (wide-ep pods per group). Default: None (8 GPUs per node assumed).
    """
    from pulumi_llmd.components.aws.weights_cache import fsx_capacity_gib

    assert model.weights is not None
    return fsx_capacity_gib(
        cache_size_gib(model.weights.weights_gib),
        fsx_per_unit_throughput(model),
        1024.0 * cache_readers(model, shape),
    )


def read_mib_per_server(model: ModelConfig, kind: str, shape: MachineShape | None = None) -> float:
    """One server pod's read throughput from the cache while all of ``model``'s pods start at once, MiB/s:
    ``hyperdisk-ml``: the provisioned throughput / :func:`cache_readers`; ``fsx-lustre``: the file system's throughput
    (capacity x per-unit throughput) / :func:`cache_readers`; ``pvc``: ``readMiBps`` (or
    :data:`PVC_DEFAULT_READ_MIB_PER_S`) as published per client.

    Args:
        shape: The pool's machine shape (wide-ep pods per group). Default: None (8 GPUs per node assumed).
    """
    cfg = model.weights_cache
    if kind == "hyperdisk-ml":
        return hyperdisk_ml_throughput(model, shape) / cache_readers(model, shape)
    if kind == "fsx-lustre":
        from pulumi_llmd.components.aws.weights_cache import fsx_throughput_mib_per_s

        total = fsx_throughput_mib_per_s(fsx_capacity(model, shape), fsx_per_unit_throughput(model))
        return total / cache_readers(model, shape)
    return float((cfg.read_mib_per_s if cfg is not None else None) or PVC_DEFAULT_READ_MIB_PER_S)


def weights_cache_issues(
    config: StackConfig, index: int, model: ModelConfig, target: type[Target]
) -> list[ConfigIssue]:
    """The rules of ``models[index].weightsCache``: the kind is one the target offers, the path can read a cache,
    the kind's own keys only, ``pvc`` names exactly one of ``storageClassName`` / ``existingClaim``, no LoRA
    adapters, a known model size."""
    cfg = model.weights_cache
    if cfg is None or cfg.kind == "none":
        return []
    key = f"{CONFIG_NAMESPACE}:models[{index}].weightsCache"
    offered = sorted(o.split(":", 1)[1] for o in target.offers if o.startswith("weights-cache:"))
    issues: list[ConfigIssue] = []
    if f"weights-cache:{cfg.kind}" not in target.offers:
        issues.append(
            ConfigIssue(
                key=f"{key}.kind",
                value=cfg.kind,
                message=f"target cloud '{config.target.cloud}' does not offer it; allowed: "
                + ", ".join(["none", *offered]),
            )
        )
    if model.path.value in _UNSUPPORTED_PATHS:
        issues.append(
            ConfigIssue(
                key=f"{key}.kind",
                value=cfg.kind,
                message=f"path {model.path.value} loads no weights; allowed here: none",
            )
        )
    if model.lora_adapters:
        issues.append(
            ConfigIssue(
                key=f"{key}.kind",
                value=cfg.kind,
                message="a model with loraAdapters downloads them at start, which the cache's offline mode forbids; "
                "allowed here: none",
            )
        )
    if model.weights is None:
        issues.append(
            ConfigIssue(
                key=f"{CONFIG_NAMESPACE}:models[{index}].weightsGiB",
                value=None,
                message=f"the size of {model.hugging_face_id} is unknown, and a weights cache is sized from it; "
                "allowed: set weightsGiB",
            )
        )
    own = {
        "hyperdisk-ml": "throughputMiBps",
        "fsx-lustre": "perUnitStorageThroughput",
        "pvc": "storageClassName or existingClaim, readMiBps",
    }
    values = {
        "storageClassName": cfg.storage_class_name,
        "existingClaim": cfg.existing_claim,
        "readMiBps": cfg.read_mib_per_s,
        "throughputMiBps": cfg.throughput_mib_per_s,
        "perUnitStorageThroughput": cfg.per_unit_storage_throughput,
    }
    foreign = [name for name in values if name not in own[cfg.kind]]
    for name in foreign:
        if values[name] is not None:
            issues.append(
                ConfigIssue(
                    key=f"{key}.{name}",
                    value=values[name],
                    message=f"not a key of kind {cfg.kind}; allowed: {own[cfg.kind]}",
                )
            )
    if cfg.kind == "pvc" and (cfg.storage_class_name is None) == (cfg.existing_claim is None):
        issues.append(
            ConfigIssue(
                key=f"{key}.storageClassName",
                value=cfg.storage_class_name,
                message="kind pvc needs exactly one of storageClassName (a ReadWriteMany class the stack creates a PVC "
                "of) or existingClaim (a ReadWriteMany PVC of the stack namespace)",
            )
        )
    return issues


def build_pvc_cache(
    model: ModelConfig,
    *,
    namespace: str,
    pool: AcceleratorPool,
    image: str,
    hf_token_secret: str | None,
    opts: pulumi.ResourceOptions,
) -> WeightsCacheMount:
    """Build a ``pvc`` cache for ``model``: the PVC (``storageClassName``, ReadWriteMany, sized by
    :func:`~pulumi_llmd.components.serving.weights_cache.cache_size_gib`) unless ``existingClaim`` names one, and the
    loader Job filling it (:class:`~pulumi_llmd.components.serving.weights_cache.WeightsCacheLoader`). ``opts``:
    provider, and ``depends_on`` the namespace and the pool's nodes (the loader runs there)."""
    cfg = model.weights_cache
    assert cfg is not None and model.weights is not None
    claim = cfg.existing_claim
    deps: list[pulumi.Resource] = []
    if claim is None:
        claim = f"{model.name}-weights"
        deps.append(
            k8s_object(
                f"{model.name}-weights-pvc",
                pvc_manifest(
                    name=claim,
                    namespace=namespace,
                    access_modes=["ReadWriteMany"],
                    size_gib=cache_size_gib(model.weights.weights_gib),
                    storage_class=cfg.storage_class_name,
                ),
                without_pool_wait(opts),
            )
        )
    loader = WeightsCacheLoader(
        f"{model.name}-weights",
        namespace=namespace,
        model=model.name,
        hugging_face_id=model.hugging_face_id,
        claim_name=claim,
        image=image,
        weights_gib=model.weights.weights_gib,
        pool=pool,
        hf_token_secret=hf_token_secret,
        pool_ready=pool_wait(opts),
        opts=with_depends_on(without_pool_wait(opts), deps),
    )
    return WeightsCacheMount(
        kind="pvc", claim_name=claim, read_mib_per_s=read_mib_per_server(model, "pvc", pool.shape), ready=(loader.job,)
    )


@dataclass(frozen=True)
class ColdStart:
    """One model's estimated server start with and without a weights cache, seconds (``components/startup.py``).

    Attributes:
        model: ``models[i].name``.
        weights_gib: The checkpoint size, GiB.
        kind: The cache kind the stack gets (``none`` when off by default; the "with" columns then show what the
            target's kind, or ``pvc`` where the target has no default, would give).
        cache_kind: The kind the "with" columns assume.
        fresh_without: A first start on a fresh node (driver, image pull, download, load, engine) without a cache.
        fresh_with: The same from the cache.
        warm_without: A restart on a node that has the image (download, load, engine): the pod-recovery case.
        warm_with: The same from a warm cache (load, engine).
        fill: The cache's one-time fill by its loader Job (image pull, download).
    """

    model: str
    weights_gib: float
    kind: str
    cache_kind: str
    fresh_without: float
    fresh_with: float
    warm_without: float
    warm_with: float
    fill: float


def cold_starts(config: StackConfig, target: type[Target]) -> list[ColdStart]:
    """:class:`ColdStart` of every model of ``config`` with a known size on an accelerator pool, from the same
    functions the components and the twin use (:func:`~pulumi_llmd.components.startup.first_start_estimate`,
    :func:`~pulumi_llmd.components.startup.fill_estimate`, :func:`read_mib_per_server`); ``scripts/cold_start.py``
    prints them as the README's table."""
    from pulumi_llmd.blueprints.plan import plan_stack
    from pulumi_llmd.components import versions
    from pulumi_llmd.components.catalog import AcceleratorKind
    from pulumi_llmd.components.startup import Engine, fill_estimate, first_start_estimate

    plan = plan_stack(config)
    out: list[ColdStart] = []
    for model in plan.models:
        cfg = model.config
        if model.pool is None or model.weights is None:
            continue
        tpu = model.pool.shape.accelerator.kind is AcceleratorKind.TPU
        engine: Engine = "tpu" if tpu else ("wide-ep" if cfg.path.value == "wide-ep" else "gpu")
        image = cfg.image or versions.active_release().vllm_image(tpu=tpu).ref
        kind = resolve_weights_cache(config, cfg, target)
        cache_kind = kind if kind != "none" else (target.default_weights_cache if not tpu else "none")
        if cache_kind == "none":
            cache_kind = "pvc"
        weights = model.weights.weights_gib
        without = first_start_estimate(weights_gib=weights, image=image, engine=engine)
        cached = first_start_estimate(
            weights_gib=weights,
            image=image,
            engine=engine,
            cache_read_mib_per_s=read_mib_per_server(cfg, cache_kind, model.pool.shape),
        )
        out.append(
            ColdStart(
                model=cfg.name,
                weights_gib=weights,
                kind=kind,
                cache_kind=cache_kind,
                fresh_without=without.total_seconds,
                fresh_with=cached.total_seconds,
                warm_without=without.in_container_seconds,
                warm_with=cached.in_container_seconds,
                fill=fill_estimate(weights_gib=weights, image=image).total_seconds,
            )
        )
    return out


#: ``opts.depends_on`` entries the caller marks as the pool's nodes (see :func:`without_pool_wait`).
_POOL_WAIT_ATTR: Final = "_llmd_pool_wait"


def cache_options(opts: pulumi.ResourceOptions, pool_ready: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
    """``opts`` plus a wait for ``pool_ready`` (the pool's nodes), remembered so :func:`without_pool_wait` can drop
    it for the parts of a cache that need no node (volumes, claims): only the loader waits for the pool."""
    merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(pool_ready)))
    setattr(merged, _POOL_WAIT_ATTR, tuple(pool_ready))
    return merged


def pool_wait(opts: pulumi.ResourceOptions) -> tuple[pulumi.Resource, ...]:
    """The pool wait :func:`cache_options` added to ``opts`` (none without it)."""
    return tuple(getattr(opts, _POOL_WAIT_ATTR, ()))


def without_pool_wait(opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """``opts`` without the pool wait :func:`cache_options` added."""
    pool = getattr(opts, _POOL_WAIT_ATTR, ())
    deps = opts.depends_on if isinstance(opts.depends_on, list) else []
    kept = [d for d in deps if not any(d is p for p in pool)]
    return pulumi.ResourceOptions(parent=opts.parent, provider=opts.provider, depends_on=kept)
