"""A model's weights cache: a volume filled once by a loader Job, then mounted read-only by every model server.

Without a cache every model-server pod downloads the whole checkpoint from the Hugging Face Hub into its own emptyDir
on every start (llm-d's default, ``HF_HUB_CACHE=/var/cache/huggingface``): ~61 GiB for Qwen3-32B, ~641 GiB for
DeepSeek-R1, at ~150 MB/s (:mod:`pulumi_llmd.components.startup`) 7 and 76 minutes per pod start. With a cache the
download happens once, in a loader Job, into a volume in the Hugging Face cache layout; the servers mount it
read-only at the same path and run with ``HF_HUB_OFFLINE=1``, so ``vllm serve <huggingFaceId>`` resolves the
checkpoint from the mounted cache, makes no Hub call, and ``--served-model-name`` (what clients send) is unchanged.

Sources:

* ``HF_HUB_OFFLINE=1``: "no HTTP calls will be made to the Hugging Face Hub. If you try to download files, only the
  cached files will be accessed" (huggingface.co/docs/huggingface_hub/package_reference/environment_variables);
  ``HF_HUB_CACHE`` is where the cache layout lives (same page). vLLM takes its file lock in the temporary directory
  unless ``--download-dir`` is set (vllm-project/vllm ``vllm/model_executor/model_loader/weight_utils.py``
  ``get_lock``), so a read-only cache suffices.
* The loader downloads what vLLM's own download would fetch: everything but the ``original/`` checkpoint copies and
  non-safetensors weight formats (vLLM ``weight_utils.py`` ``download_weights_from_hf`` prefers ``*.safetensors``
  and skips ``original/**``); ``HF_XET_CHUNK_CACHE_SIZE_BYTES=0`` turns off the Xet chunk cache so the Job's scratch
  space stays small (huggingface_hub environment variables page).
* A ReadWriteMany / ReadOnlyMany PVC mounted ``readOnly`` by many pods: Kubernetes "Persistent Volumes" (access
  modes). The kinds each target builds are in ``blueprints/targets/weights_cache.py``.

The loader Job runs under the ``restricted`` Pod Security Standard (non-root, no privilege escalation, all
capabilities dropped, RuntimeDefault seccomp), reads ``HF_TOKEN`` from the stack's Secret (``secretKeyRef``; the
token never appears in a manifest), runs on the model's accelerator pool without requesting accelerators (Hyperdisk ML
and most CSI volumes attach only to the machine series the cloud supports for them; the pool's machines are such) and
may reach only HTTPS on public addresses (its NetworkPolicy; DNS comes from the namespace's ``allow-dns``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, Literal, Required, TypedDict

import pulumi

from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.base import HF_TOKEN_KEY, AcceleratorPool
from pulumi_llmd.components.kube import child_options, k8s_object
from pulumi_llmd.components.models import HF_CACHE_PATH, cache_gib
from pulumi_llmd.components.startup import TIMEOUT_FACTOR, TIMEOUT_MARGIN_SECONDS, fill_estimate

__all__ = [
    "DEFAULT_MIN_WEIGHTS_GIB",
    "LOADER_LABEL",
    "WEIGHTS_CACHE_ANNOTATION",
    "WEIGHTS_CACHE_READ_ANNOTATION",
    "WeightsCacheKind",
    "WeightsCacheLoader",
    "WeightsCacheLoaderArgs",
    "WeightsCacheMount",
    "cache_mount_parts",
    "current_weights_cache",
    "loader_job_manifest",
    "loader_network_policy_manifest",
    "use_weights_cache",
]

#: HTTPS, and the addresses that are not the public internet (RFC 1918, RFC 6598, link-local, loopback): the loader's
#: egress is the model servers' Hub egress (the same values as ``components/platform/network_policy.py``, which the
#: serving package does not import), and the annotation saying why.
HTTPS_PORT: Final = 443
NON_PUBLIC_RANGES: Final = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
)
WHY_ANNOTATION: Final = "llm-d.ai/why"

#: The kinds of weights cache (``llmd:models[i].weightsCache.kind``).
WeightsCacheKind = Literal["none", "hyperdisk-ml", "fsx-lustre", "pvc"]

#: Models at least this large (GiB of weight files) get the target's default cache. Arithmetic: without a cache every
#: server start downloads the checkpoint at 150 MB/s (:data:`~pulumi_llmd.components.startup.DOWNLOAD_MB_PER_S`);
#: 40 GiB take 40 x 2**30 / 150e6 = 286 s, about the issue's whole 5-minute budget for a server start (llm-d/llm-d
#: issue 15: "a Qwen3-32B-class server ready in under 5 minutes from a warm cache"), while the cache reads them at the
#: loader's 1.0 GiB/s or faster (40 s). The cache costs one fill (the same download, once, by the loader Job) and a
#: volume; below 40 GiB (Qwen3-14B 27.5 GiB: 197 s; Qwen3-8B 15.3 GiB: 110 s) the download is a small part of a start
#: (engine start alone is 180 s) and the volume is not worth it by default.
DEFAULT_MIN_WEIGHTS_GIB: Final = 40.0

#: Pod label of a model's loader Job pods (the value is the model's name); its NetworkPolicy selects it.
LOADER_LABEL: Final = "llm-d.ai/weights-loader"
#: Pod-template annotations of a model server reading a cache: its kind, and its read throughput per server (MiB/s),
#: so a reader of the render (the first-deploy twin) estimates the start as the library did.
WEIGHTS_CACHE_ANNOTATION: Final = "llm-d.ai/weights-cache"
WEIGHTS_CACHE_READ_ANNOTATION: Final = "llm-d.ai/weights-cache-read-mibps"
#: Job annotation carrying the checkpoint size the loader downloads, GiB (the twin's fill estimate).
LOADER_WEIGHTS_ANNOTATION: Final = "llm-d.ai/weights-gib"
#: The loader's user and group: any non-root id (restricted Pod Security); files it writes are world-readable.
LOADER_UID: Final = 1000
#: Scratch space of the loader (Hub metadata, ``HF_HOME``), GiB.
LOADER_SCRATCH_GIB: Final = 10
#: What the loader leaves out (see the module docstring): the ``original/`` copies and other weight formats.
LOADER_IGNORE_PATTERNS: Final = ("original/*", "*.pth", "*.pt", "*.gguf", "*.h5", "*.msgpack", "*.onnx", "*.ot")
#: The loader's program: ``huggingface_hub.snapshot_download`` of ``$MODEL`` into ``$HF_HUB_CACHE`` (idempotent:
#: files already in the cache are not downloaded again, so a retried or re-run Job resumes).
_LOADER_SCRIPT: Final = (
    "import os; from huggingface_hub import snapshot_download; "
    "snapshot_download(os.environ['MODEL'], cache_dir=os.environ['HF_HUB_CACHE'], "
    "ignore_patterns=os.environ['IGNORE_PATTERNS'].split(','))"
)


@dataclass(frozen=True)
class WeightsCacheMount:
    """How model servers read a filled weights cache.

    Attributes:
        kind: The cache's kind (``hyperdisk-ml``, ``pvc``).
        claim_name: The PersistentVolumeClaim the servers mount read-only at
            :data:`~pulumi_llmd.components.models.HF_CACHE_PATH`.
        read_mib_per_s: Read throughput one server gets while all the model's servers start at once, MiB/s (the
            volume's published throughput / the servers; see ``blueprints/targets/weights_cache.py``).
        ready: What the servers wait for: the filled volume (the loader Job's completion and what follows it).
            Default: none.
    """

    kind: str
    claim_name: str
    read_mib_per_s: float
    ready: tuple[pulumi.Resource, ...] = ()


_CURRENT: ContextVar[WeightsCacheMount | None] = ContextVar("weights_cache", default=None)


@contextlib.contextmanager
def use_weights_cache(mount: WeightsCacheMount | None) -> Iterator[None]:
    """Model servers built inside the block read their weights from ``mount`` (None: each downloads its own), unless
    given a ``weights_cache`` argument (see :func:`current_weights_cache`)."""
    token = _CURRENT.set(mount)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_weights_cache() -> WeightsCacheMount | None:
    """The cache set by the innermost :func:`use_weights_cache` block (None outside any)."""
    return _CURRENT.get()


def cache_mount_parts(
    mount: WeightsCacheMount, volume_name: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """``(volume, volumeMount, env)`` of a model server reading ``mount``: the claim read-only at
    :data:`~pulumi_llmd.components.models.HF_CACHE_PATH`, ``HF_HUB_CACHE`` there and ``HF_HUB_OFFLINE=1``."""
    return (
        {"name": volume_name, "persistentVolumeClaim": {"claimName": mount.claim_name, "readOnly": True}},
        {"name": volume_name, "mountPath": HF_CACHE_PATH, "readOnly": True},
        {"HF_HUB_CACHE": HF_CACHE_PATH, "HF_HUB_OFFLINE": "1"},
    )


def cache_annotations(mount: WeightsCacheMount) -> dict[str, str]:
    """The pod annotations of a server reading ``mount`` (:data:`WEIGHTS_CACHE_ANNOTATION` and the read rate)."""
    return {WEIGHTS_CACHE_ANNOTATION: mount.kind, WEIGHTS_CACHE_READ_ANNOTATION: f"{mount.read_mib_per_s:.0f}"}


def _loader_labels(model: str) -> dict[str, str]:
    return {LOADER_LABEL: model, "app.kubernetes.io/component": "weights-loader"}


def loader_job_manifest(
    *,
    name: str,
    namespace: str,
    model: str,
    hugging_face_id: str,
    claim_name: str,
    image: str,
    weights_gib: float,
    placement: Mapping[str, Any],
    hf_token_secret: str | None,
) -> dict[str, Any]:
    """The loader Job (pure function): one pod downloading ``hugging_face_id`` into the claim ``claim_name`` in the
    Hugging Face cache layout, under the ``restricted`` Pod Security Standard, on the nodes of ``placement``
    (:meth:`AcceleratorPool.pod_placement`: node selector and tolerations, no accelerator request).

    ``image`` needs ``python3`` and ``huggingface_hub`` (the model server's vLLM image has both, and the node pulls it
    anyway). ``HF_TOKEN`` is read from key ``HF_TOKEN`` of Secret ``hf_token_secret`` (None: public models). Retries
    4 times (Kubernetes' ``backoffLimit`` default 6 is trimmed: a failing download is usually a bad token or id).
    """
    env: list[dict[str, Any]] = [
        {"name": "MODEL", "value": hugging_face_id},
        {"name": "HF_HUB_CACHE", "value": HF_CACHE_PATH},
        {"name": "HF_HOME", "value": "/tmp/hf-home"},
        {"name": "HF_XET_CHUNK_CACHE_SIZE_BYTES", "value": "0"},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        {"name": "IGNORE_PATTERNS", "value": ",".join(LOADER_IGNORE_PATTERNS)},
    ]
    if hf_token_secret:
        env.append(
            {"name": HF_TOKEN_KEY, "valueFrom": {"secretKeyRef": {"name": hf_token_secret, "key": HF_TOKEN_KEY}}}
        )
    labels = _loader_labels(model)
    container = {
        "name": "loader",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-c", _LOADER_SCRIPT],
        "env": env,
        "resources": {
            "requests": {"cpu": "2", "memory": "8Gi", "ephemeral-storage": f"{LOADER_SCRATCH_GIB}Gi"},
            "limits": {"memory": "8Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "weights", "mountPath": HF_CACHE_PATH},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "OnFailure",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": LOADER_UID,
            "runAsGroup": LOADER_UID,
            "fsGroup": LOADER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "weights", "persistentVolumeClaim": {"claimName": claim_name}},
            {"name": "tmp", "emptyDir": {"sizeLimit": f"{LOADER_SCRATCH_GIB}Gi"}},
        ],
        **dict(placement),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {LOADER_WEIGHTS_ANNOTATION: f"{weights_gib:g}"},
        },
        "spec": {
            "backoffLimit": 4,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def loader_network_policy_manifest(*, name: str, namespace: str, model: str) -> dict[str, Any]:
    """The loader pods' egress (pure function): HTTPS to public addresses (the Hub; NetworkPolicy has no FQDN peers,
    see :mod:`pulumi_llmd.components.platform.network_policy`), nothing else; no ingress."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {WHY_ANNOTATION: "the weights loader downloads the checkpoint from the Hugging Face Hub"},
        },
        "spec": {
            "podSelector": {"matchLabels": {LOADER_LABEL: model}},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_RANGES)}}],
                    "ports": [{"protocol": "TCP", "port": HTTPS_PORT}],
                }
            ],
        },
    }


def loader_timeout(weights_gib: float, image: str) -> str:
    """The loader Job's ``customTimeouts`` create value: its fill estimate x 1.5 + 10 min, whole minutes (as
    :func:`~pulumi_llmd.components.startup.create_timeout` does for servers)."""
    seconds = fill_estimate(weights_gib=weights_gib, image=image).total_seconds
    return f"{-(-int(seconds * TIMEOUT_FACTOR + TIMEOUT_MARGIN_SECONDS) // 60)}m"


def pvc_manifest(
    *,
    name: str,
    namespace: str,
    access_modes: Sequence[str],
    size_gib: int,
    storage_class: str | None,
    volume_name: str | None = None,
) -> dict[str, Any]:
    """A PersistentVolumeClaim (pure function); ``storage_class`` ``""`` binds only to a pre-created PV
    (``volume_name``; Default: None, dynamic provisioning). Not awaited (``pulumi.com/skipAwait``): a
    ``WaitForFirstConsumer`` claim binds only when its first pod (the loader) is scheduled, and the loader waits for
    it."""
    spec: dict[str, Any] = {"accessModes": list(access_modes), "resources": {"requests": {"storage": f"{size_gib}Gi"}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if volume_name is not None:
        spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "annotations": {"pulumi.com/skipAwait": "true"}},
        "spec": spec,
    }


class WeightsCacheLoaderArgs(TypedDict, total=False):
    """The arguments of :class:`WeightsCacheLoader` (give them as this object or as keyword arguments)."""

    namespace: Required[str]
    """The stack namespace."""
    model: Required[str]
    """The model's name (``llmd:models[i].name``): the loader pods' label value and the Job's name prefix."""
    hugging_face_id: Required[str]
    """What to download (a Hugging Face repository id)."""
    claim_name: Required[str]
    """The PVC to fill (created by the caller)."""
    image: Required[str]
    """The loader image (needs ``python3`` and ``huggingface_hub``: the model server's vLLM image)."""
    weights_gib: Required[float]
    """The checkpoint size, GiB (the Job's ``customTimeouts``)."""
    pool: Required[AcceleratorPool]
    """The accelerator pool whose nodes run the loader (no accelerator requested)."""
    hf_token_secret: str | None
    """The Secret with key ``HF_TOKEN``. Default: None (public models)."""
    pool_ready: Sequence[pulumi.Resource]
    """What the pool's nodes come from; only the Job waits for it, its NetworkPolicy does not. Default: none."""


class WeightsCacheLoader(pulumi.ComponentResource):
    """The loader of a weights cache: a Job filling ``claim_name`` once, and its NetworkPolicy.

    Type token ``llmd:serving:WeightsCacheLoader``. Arguments: :class:`WeightsCacheLoaderArgs`. Outputs: ``job``
    (awaited by pulumi-kubernetes until it completes, with a ``customTimeouts`` create from :func:`loader_timeout`;
    what the servers wait for). ``opts.depends_on`` should hold the claim and the pool's nodes.

    Raises:
        ArgsError: an unknown, mistyped or missing argument.
    """

    def __init__(
        self,
        name: str,
        args: WeightsCacheLoaderArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(WeightsCacheLoaderArgs, "WeightsCacheLoader", args, kwargs)
        namespace, model, hugging_face_id = a["namespace"], a["model"], a["hugging_face_id"]
        claim_name, image, weights_gib, pool = a["claim_name"], a["image"], a["weights_gib"], a["pool"]
        hf_token_secret = a.get("hf_token_secret")
        pool_ready = list(a.get("pool_ready", ()))
        super().__init__("llmd:serving:WeightsCacheLoader", name, None, opts)
        child = child_options(self, opts)
        k8s_object(
            f"{name}-loader-egress",
            loader_network_policy_manifest(name=f"{model}-weights-loader", namespace=namespace, model=model),
            child,
        )
        manifest = loader_job_manifest(
            name=f"{model}-weights-loader",
            namespace=namespace,
            model=model,
            hugging_face_id=hugging_face_id,
            claim_name=claim_name,
            image=image,
            weights_gib=weights_gib,
            placement=pool.pod_placement(),
            hf_token_secret=hf_token_secret,
        )
        timeout = loader_timeout(weights_gib, image)
        self.job = k8s_object(
            f"{name}-loader",
            manifest,
            pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=pool_ready or None,
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
                ),
            ),
        )
        self.register_outputs({"job": f"{model}-weights-loader"})


def cache_size_gib(weights_gib: float) -> int:
    """A cache volume's size, whole GiB: :func:`~pulumi_llmd.components.models.cache_gib` (weights + 10% + 5 GiB)."""
    return cache_gib(weights_gib)
