"""How long a model server's first start takes, and the Pulumi await timeouts sized from it.

pulumi-kubernetes waits for a Deployment (and reads a custom resource's readiness) for 10 minutes by default; a
first vLLM start on a fresh node pulls a ~9 GiB image, downloads tens to hundreds of GiB of weights from the
Hugging Face Hub, loads them into accelerator memory and compiles (torch.compile, CUDA graphs; DeepGEMM on wide-EP,
XLA on TPU). :func:`first_start_estimate` adds these up from the assumptions below; :func:`create_timeout` turns the
estimate into a ``customTimeouts`` value and :func:`startup_probe_seconds` into the container's startup-probe window
(the kubelet restarts a container whose startup probe has not passed in time, which would restart the download).

Assumptions (module constants; each names where the figure comes from):

=============================  ===========  =====================================================================
what                           value        source
=============================  ===========  =====================================================================
image pull + unpack            100 MiB/s    assumption: one registry stream, containerd's single-threaded gzip
                                            unpack (no image streaming / SOCI)
weights download (HF Hub)      150 MB/s     llm-d guides agentic-serving nemotron-3-ultra GKE overlay: ~560 GB
                                            "directly from HuggingFace can take over an hour" (<= ~155 MB/s)
load into accelerator memory   1.0 GiB/s    llm-d modelexpress-p2p measurements: gpt-oss-120b default loader from
                                            a warm NFS PVC 30.3 s (~1.1 GB/s)
engine start (GPU)             180 s        same measurements: pod Ready 181 s with weights loaded in 30 s
                                            (torch.compile + CUDA-graph capture ~150 s), rounded up
engine start (wide-EP)         +900 s       llm-d guides wide-ep-lws: ``VLLM_ENGINE_READY_TIMEOUT_S=3000``, a
                                            45-minute startup probe (DeepGEMM JIT warm-up, DeepEP / NVSHMEM setup)
engine start (TPU)             600 s        assumption: XLA precompilation of vLLM TPU's graphs on first start
GPU driver / device plugin     300 s        assumption: GKE's driver installer DaemonSet / the NVIDIA device plugin
                                            advertise ``nvidia.com/gpu`` a few minutes after the node registers
weights from a cache volume    min(1.0 GiB/s, the cache's read throughput per server): the loader (above) or the
                                            cache's published throughput shared by the servers reading it at once
                                            (:mod:`pulumi_llmd.components.serving.weights_cache` cites each figure)
=============================  ===========  =====================================================================

With a weights cache (``llmd:models[i].weightsCache``) the download happens once, in the cache's loader Job
(:func:`fill_estimate`: the loader image pull + the download at 150 MB/s); each server then reads the checkpoint from
the mounted volume instead of downloading it (:func:`first_start_estimate` with ``cache_read_mib_per_s``).

Units: seconds throughout; sizes in GiB.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from pulumi_llmd.components import versions

__all__ = [
    "DOWNLOAD_MB_PER_S",
    "IMAGE_SIZES_GIB",
    "Engine",
    "FillEstimate",
    "StartupEstimate",
    "create_timeout",
    "fill_estimate",
    "first_start_estimate",
    "image_repository",
    "startup_probe_seconds",
]

_MIB: Final = 2**20
_GIB: Final = 2**30
#: Image pull + unpack throughput, MiB/s (assumption, see the module table).
IMAGE_PULL_MIB_PER_S: Final = 100.0
#: Hugging Face Hub -> node download throughput per pod, MB/s (llm-d nemotron-3-ultra GKE overlay, see the table).
DOWNLOAD_MB_PER_S: Final = 150.0
#: Weights load from the local cache into accelerator memory, GiB/s (llm-d modelexpress-p2p measurements).
LOAD_GIB_PER_S: Final = 1.0
#: Engine start after the weights are loaded, seconds, per kind of engine (see the table).
ENGINE_START_SECONDS: Final[Mapping[str, float]] = MappingProxyType({"gpu": 180.0, "wide-ep": 1080.0, "tpu": 600.0})
#: GPU driver install / device-plugin registration on a fresh node, seconds (assumption).
DRIVER_SECONDS: Final = 300.0
#: Compressed size of the pinned model-server images by image repository (every tag of an llm-d release alike), GiB
#: (registry manifests; approximate, rounded up). Keyed by repository, not by reference, so the table holds for every
#: release :func:`~pulumi_llmd.components.versions.active_release` selects.
IMAGE_SIZES_GIB: Final[Mapping[str, float]] = MappingProxyType(
    {
        versions.VLLM_V0_30_0_PIN.repository: 9.0,
        versions.VLLM_TPU_V0_29_0_PIN.repository: 6.0,
        versions.LLMD_CUDA_PIN.repository: 12.0,
        versions.VLLM_AWS_EFA_PIN.repository: 12.0,
    }
)
#: Image size assumed for an image not in :data:`IMAGE_SIZES_GIB`, GiB.
DEFAULT_IMAGE_GIB: Final = 10.0
#: ``create_timeout``: estimate x this factor + :data:`TIMEOUT_MARGIN_SECONDS`.
TIMEOUT_FACTOR: Final = 1.5
TIMEOUT_MARGIN_SECONDS: Final = 600.0

#: Kind of engine start: vLLM on NVIDIA GPUs, wide-EP vLLM (DeepEP / DeepGEMM warm-up), vLLM TPU (XLA compile).
Engine = Literal["gpu", "wide-ep", "tpu"]


@dataclass(frozen=True)
class StartupEstimate:
    """The parts of one model-server pod's first start, seconds (see the module table for the assumptions).

    ``node_seconds`` (driver / device plugin) and ``image_pull_seconds`` pass before the container starts;
    ``download_seconds``, ``load_seconds`` and ``engine_seconds`` inside it, under its startup probe.
    """

    weights_gib: float
    image: str
    node_seconds: float
    image_pull_seconds: float
    download_seconds: float
    load_seconds: float
    engine_seconds: float
    #: Read throughput of the weights cache per server, MiB/s. Default: None (the server downloads from the Hub).
    cache_read_mib_per_s: float | None = None

    @property
    def in_container_seconds(self) -> float:
        """Seconds from container start to ready: download + load + engine start."""
        return self.download_seconds + self.load_seconds + self.engine_seconds

    @property
    def total_seconds(self) -> float:
        """Seconds from the workload's creation to its first pod ready."""
        return self.node_seconds + self.image_pull_seconds + self.in_container_seconds

    def describe(self) -> str:
        """One line: the total in minutes and its parts."""
        if self.cache_read_mib_per_s is not None:
            weights = (
                f"weights {self.weights_gib:g} GiB from the cache at {self.cache_read_mib_per_s:.0f} MiB/s, load "
                f"{self.load_seconds:.0f} s"
            )
        else:
            weights = (
                f"weights {self.weights_gib:g} GiB download {self.download_seconds:.0f} s + load "
                f"{self.load_seconds:.0f} s"
            )
        return (
            f"~{math.ceil(self.total_seconds / 60)} min first start: node {self.node_seconds:.0f} s, image "
            f"{self.image_pull_seconds:.0f} s, {weights}, engine {self.engine_seconds:.0f} s"
        )


@dataclass(frozen=True)
class FillEstimate:
    """How long a weights cache's loader Job takes to fill the cache once, seconds: its image pull on the node, then
    the checkpoint's download from the Hugging Face Hub at :data:`DOWNLOAD_MB_PER_S`."""

    weights_gib: float
    image_pull_seconds: float
    download_seconds: float

    @property
    def total_seconds(self) -> float:
        """Seconds from the Job's creation (its node up) to its completion."""
        return self.image_pull_seconds + self.download_seconds

    def describe(self) -> str:
        """One line: the total in minutes and its parts."""
        return (
            f"~{math.ceil(self.total_seconds / 60)} min cache fill: image {self.image_pull_seconds:.0f} s, "
            f"{self.weights_gib:g} GiB download {self.download_seconds:.0f} s"
        )


def _image_pull_seconds(image: str) -> float:
    image_gib = IMAGE_SIZES_GIB.get(image_repository(image), DEFAULT_IMAGE_GIB)
    return image_gib * _GIB / _MIB / IMAGE_PULL_MIB_PER_S


def fill_estimate(*, weights_gib: float, image: str) -> FillEstimate:
    """Estimate a weights cache's fill by its loader Job (seconds; see the module table): the loader ``image``'s pull
    and the download of ``weights_gib`` GiB at :data:`DOWNLOAD_MB_PER_S`. Raises ValueError for a negative size."""
    if weights_gib < 0:
        raise ValueError(f"weights_gib = {weights_gib}: must be >= 0")
    return FillEstimate(
        weights_gib=weights_gib,
        image_pull_seconds=_image_pull_seconds(image),
        download_seconds=weights_gib * _GIB / (DOWNLOAD_MB_PER_S * 1e6),
    )


def image_repository(image: str) -> str:
    """The repository of an image reference: ``vllm/vllm-openai`` for ``vllm/vllm-openai:v0.30.0@sha256:...`` (the
    digest and the tag dropped; a registry port such as ``host:5000/x`` is kept)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def first_start_estimate(
    *,
    weights_gib: float,
    image: str | None = None,
    engine: Engine = "gpu",
    cache_read_mib_per_s: float | None = None,
) -> StartupEstimate:
    """Estimate one model-server pod's first start on a fresh node (seconds; see the module table).

    Without a cache the server downloads ``weights_gib`` from the Hub at :data:`DOWNLOAD_MB_PER_S`, then loads them
    at :data:`LOAD_GIB_PER_S`. With ``cache_read_mib_per_s`` (a weights cache volume, its read throughput per server)
    there is no download, and the load runs at ``min(LOAD_GIB_PER_S, cache_read_mib_per_s / 1024)`` GiB/s.

    Args:
        weights_gib: checkpoint size, GiB (:func:`pulumi_llmd.components.models.model_spec`); 0 for no weights.
        image: the model-server image reference (its size from :data:`IMAGE_SIZES_GIB` by repository, else
            :data:`DEFAULT_IMAGE_GIB`). Default: None (the active llm-d release's ``vllm_gpu``).
        engine: ``gpu`` (vLLM on NVIDIA), ``wide-ep`` (vLLM DP/EP with DeepEP, DeepGEMM warm-up) or ``tpu``.
            Default: "gpu".
        cache_read_mib_per_s: The weights cache's read throughput per server, MiB/s. Default: None (no cache: the
            server downloads from the Hub).

    Raises:
        ValueError: a negative ``weights_gib``, an unknown ``engine`` or a cache throughput that is not positive.
    """
    if weights_gib < 0:
        raise ValueError(f"weights_gib = {weights_gib}: must be >= 0")
    if engine not in ENGINE_START_SECONDS:
        raise ValueError(f"engine = {engine!r}: allowed: {', '.join(ENGINE_START_SECONDS)}")
    if cache_read_mib_per_s is not None and not cache_read_mib_per_s > 0:
        raise ValueError(f"cache_read_mib_per_s = {cache_read_mib_per_s}: must be > 0")
    if image is None:
        image = versions.active_release().vllm_gpu.ref
    if cache_read_mib_per_s is None:
        download = weights_gib * _GIB / (DOWNLOAD_MB_PER_S * 1e6)
        load = weights_gib / LOAD_GIB_PER_S
    else:
        download = 0.0
        load = weights_gib / min(LOAD_GIB_PER_S, cache_read_mib_per_s / 1024)
    return StartupEstimate(
        weights_gib=weights_gib,
        image=image,
        node_seconds=0.0 if engine == "tpu" else DRIVER_SECONDS,
        image_pull_seconds=_image_pull_seconds(image),
        download_seconds=download,
        load_seconds=load,
        engine_seconds=ENGINE_START_SECONDS[engine],
        cache_read_mib_per_s=cache_read_mib_per_s,
    )


def _padded_minutes(seconds: float) -> int:
    return math.ceil((seconds * TIMEOUT_FACTOR + TIMEOUT_MARGIN_SECONDS) / 60)


def create_timeout(estimate: StartupEstimate) -> str:
    """The Pulumi ``customTimeouts`` create/update value for a workload whose pods start as ``estimate`` says:
    ``total_seconds x 1.5 + 10 min``, rounded up to whole minutes (Go duration, e.g. ``"42m"``)."""
    return f"{_padded_minutes(estimate.total_seconds)}m"


def startup_probe_seconds(estimate: StartupEstimate) -> int:
    """How long the container's startup probe must tolerate: the in-container part x 1.5 + 10 min, whole minutes,
    in seconds (probes then never restart a container that is still downloading or compiling)."""
    return _padded_minutes(estimate.in_container_seconds) * 60
