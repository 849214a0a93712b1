"""Every pinned image, chart and CRD version the library deploys, in one place.

Change a pin here and every component, reference stack and golden render follows. Each pin names the upstream
source that recommends it (llm-d's guides pin their versions in ``guides/env.sh`` and the Kustomize image components).

Images and charts are pinned by version **and digest** (issue 12): an :class:`ImagePin` renders as
``repository:tag@sha256:...`` (the kubelet pulls by digest, the tag stays for humans), a :class:`ChartPin` records the
chart's digest next to its version. Digests were read offline from upstream files and other public repositories that
record them (each pin's ``source`` says where, and whether two independent sources agree); a pin whose digest was not
found anywhere has ``digest=None`` and is listed in :data:`DIGEST_PENDING` - never an invented digest.
``scripts/refresh_digests.py`` resolves every digest from its registry (OCI distribution API; ``index.yaml`` for HTTP
chart repositories), prints old -> new and with ``--write`` rewrites only the ``digest=`` strings of this file.

Image digests are the multi-arch *index* (manifest list) digest where one exists - what ``crane digest repo:tag``
prints - so one reference serves amd64 and arm64 nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

#: The one digest form the library accepts: ``sha256:`` and 64 lower-case hex digits (OCI image-spec descriptor).
DIGEST_RE: Final = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class ImagePin:
    """A container image pinned by tag and digest.

    Attributes:
        repository: image repository with its registry host (``ghcr.io/llm-d/llm-d-router-endpoint-picker``; Docker
            Hub images as ``vllm/vllm-openai``).
        tag: the human-readable version tag (``v0.9.0``).
        digest: ``sha256:<64 hex>`` of the multi-arch index (or of the single manifest for single-arch images), or
            None when no digest could be sourced offline (the pin is then listed in :data:`DIGEST_PENDING`).
        source: where the version and the digest were read (repo + path or find-string record), and whether two
            independent sources agree.

    Raises:
        ValueError: a digest that is not ``sha256:`` + 64 lower-case hex digits, or an empty repository/tag.
    """

    repository: str
    tag: str
    digest: str | None
    source: str

    def __post_init__(self) -> None:
        if not self.repository or not self.tag or "@" in self.tag:
            raise ValueError(f"ImagePin {self.repository!r}:{self.tag!r}: repository and a plain tag are required")
        if self.digest is not None and DIGEST_RE.fullmatch(self.digest) is None:
            raise ValueError(f"ImagePin {self.repository}:{self.tag}: digest {self.digest!r} is not sha256:<64 hex>")

    @property
    def tagged(self) -> str:
        """``repository:tag`` (no digest)."""
        return f"{self.repository}:{self.tag}"

    @property
    def ref(self) -> str:
        """What the manifests use: ``repository:tag@sha256:...``, or ``repository:tag`` while the digest is pending."""
        return f"{self.tagged}@{self.digest}" if self.digest else self.tagged

    @property
    def helm_tag(self) -> str:
        """The tag with the digest appended (``v0.19.3@sha256:...``), for charts that render ``repository:tag``."""
        return f"{self.tag}@{self.digest}" if self.digest else self.tag


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart pinned by version and digest.

    Attributes:
        repository: ``oci://`` repository (without the chart name) or the HTTP chart repository URL.
        name: chart name.
        version: exact chart version (no ranges).
        digest: for an ``oci://`` chart the OCI manifest digest of ``<repository>/<name>:<version>``; for an HTTP
            repository the ``digest`` that repository's ``index.yaml`` lists for the version (sha256 of the
            ``.tgz``). None when not sourced offline (listed in :data:`DIGEST_PENDING`).
        source: where version and digest were read.
        archive_sha256: for ``oci://`` charts, the sha256 of the chart ``.tgz`` (the OCI chart layer) when only that
            was found; informational (the refresh script resolves ``digest``). Default: None.

    The digest is a verification record: pulumi-kubernetes ``helm.v3.Release`` takes ``chart`` + ``version`` and its
    ``verify`` option checks Helm provenance (``.prov`` + ``keyring``) that none of these charts publish; Helm accepts
    ``oci://...@sha256:`` references from 3.18 (helm/helm PR 12690) but providers that also pass ``--version`` reject
    them (hashicorp/terraform-provider-helm PR 1848, helmfile issue 2097), so the release keeps ``version`` and the
    digest is checked by ``scripts/refresh_digests.py``.

    Raises:
        ValueError: a malformed digest or an empty name/version.
    """

    repository: str
    name: str
    version: str
    digest: str | None
    source: str
    archive_sha256: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.version:
            raise ValueError(f"ChartPin {self.repository!r}: name and version are required")
        for value in (self.digest, self.archive_sha256):
            if value is not None and DIGEST_RE.fullmatch(value) is None:
                raise ValueError(f"ChartPin {self.name} {self.version}: digest {value!r} is not sha256:<64 hex>")

    @property
    def is_oci(self) -> bool:
        """True for an ``oci://`` chart."""
        return self.repository.startswith("oci://")

    @property
    def chart(self) -> str:
        """What ``helm_release(chart=...)`` takes: ``oci://<repository>/<name>``, or the bare name for HTTP repos."""
        return f"{self.repository}/{self.name}" if self.is_oci else self.name


# --- llm-d router (endpoint picker) --------------------------------------------------------------------------------
#: llm-d router release whose EndpointPicker image and chart layout the serving components follow. Both llm-d releases
#: carried here run router v0.10.0: llm-d v0.9.0 pins it (llm-d/llm-d guides/env.sh e3dbeca1, "Update env for release
#: v0.9.0": ROUTER_EPP_VERSION / ROUTER_CHART_VERSION v0.10.0; release notes "llm-d-router-endpoint-picker v0.10.0"),
#: and v0.10.0 is the newest router tag in any llm-d-router snapshot (tag 2026-08-17, 71f4f099; llm-d v0.10.0's
#: artifacts page lists ``main``; v0.11.0 is seen only in third-party notes and is not pinned).
LLMD_ROUTER_VERSION: Final = "v0.10.0"
#: Endpoint picker (EPP) image, formerly ``llm-d-inference-scheduler`` (llm-d/llm-d guides/env.sh: ROUTER_EPP_IMAGE).
EPP_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-router-endpoint-picker",
    tag=LLMD_ROUTER_VERSION,
    digest="sha256:2e516fa1310da7be59b82beb1445362139597d6d553ef04d546716abe3aaaa70",
    source="llm-d v0.9.0 env.sh (e3dbeca1) and llm-d-router tag v0.10.0 (71f4f099); multi-arch index digest in 4 "
    "public records, one 'pinned by index digest' (arm64 110a7225..., amd64 9862ae38... are its manifests)",
)
#: P/D disaggregation sidecar, formerly ``llm-d-routing-sidecar`` (llm-d guides/recipes/modelserver/components/images/
#: routing-sidecar/release @ d557f83e: ``ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.10.0``).
PD_SIDECAR_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-router-disagg-sidecar",
    tag=LLMD_ROUTER_VERSION,
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d routing-sidecar/release component @ d557f83e (v0.10.0); no public digest record found",
)
#: Body-based router for multi-model routing: llm-d's Inference Payload Processor (IPP), which replaces the Gateway API
#: Inference Extension's BBR (llm-d/llm-d PR 1184; llm-d/llm-d-benchmark issue 1305) and which llm-d's
#: guides/multi-model-routing installs. v0.1.0 is the first stable release (2026-07-12; llm-d/llm-d PR 2075 "IPP
#: v0.1.0 (stable) was released ... available on GHCR"; the chart's own default tag ``main`` is a moving tag).
PAYLOAD_PROCESSOR_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-inference-payload-processor",
    tag="v0.1.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d/llm-d PR 2075 (guides/multi-model-routing: ghcr.io/llm-d/llm-d-inference-payload-processor:v0.1.0 "
    "pullable); no public digest record found",
)

# --- model servers ----------------------------------------------------------------------------------------------------
#: vLLM OpenAI-compatible server for NVIDIA GPUs, as llm-d v0.9.0 validated it (llm-d/llm-d guides/recipes/modelserver/
#: components/images/gpu-vllm/release/kustomization.yaml @ d557f83e: ``docker.io/vllm/vllm-openai:v0.26.0``).
VLLM_V0_26_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai",
    tag="v0.26.0",
    digest="sha256:ffb2d59b1c059a5bd8d781320c9f5189de8293693b7d95da54befddaa54abf52",
    source="llm-d gpu-vllm/release component @ d557f83e; multi-arch index digest in 10+ public records (one "
    "names it the index); sha256:770fe65b... that other repos pin is its linux/amd64 manifest",
)
#: vLLM for NVIDIA GPUs as llm-d v0.10.0 validated it (llm-d/llm-d docs/api-reference/artifacts.md @ 1128ecf6:
#: ``docker.io/vllm/vllm-openai`` ``v0.30.0``).
VLLM_V0_30_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai",
    tag="v0.30.0",
    digest="sha256:8a69ffad015f138d7170c4ddc429e230a3bc1c1719f67e14324749df200a4b90",
    source="llm-d artifacts.md @ 1128ecf6 (v0.10.0 release); multi-arch index digest in 10+ public records, one "
    "calling it the multi-platform digest (linux/amd64 5f5e5352..., linux/arm64 4864d466... are its manifests)",
)
#: vLLM CPU build (render/tokenizer service of precise-prefix-cache-routing; CPU serving), llm-d v0.9.0
#: (components/images/cpu-vllm/release @ d557f83e).
VLLM_CPU_V0_26_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-cpu",
    tag="v0.26.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d cpu-vllm/release component @ d557f83e; no public digest record found",
)
#: vLLM CPU build, llm-d v0.10.0 (artifacts.md @ 1128ecf6).
VLLM_CPU_V0_30_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-cpu",
    tag="v0.30.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d artifacts.md @ 1128ecf6 (v0.10.0 release); no public digest record found",
)
#: vLLM for Cloud TPU, llm-d v0.9.0 (components/images/tpu-vllm/release @ d557f83e).
VLLM_TPU_V0_26_0_PIN: Final = ImagePin(
    repository="vllm/vllm-tpu",
    tag="v0.26.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d tpu-vllm/release component @ d557f83e; no public digest record found",
)
#: vLLM for Cloud TPU, llm-d v0.10.0 (artifacts.md @ 1128ecf6: ``docker.io/vllm/vllm-tpu`` ``v0.29.0``).
VLLM_TPU_V0_29_0_PIN: Final = ImagePin(
    repository="vllm/vllm-tpu",
    tag="v0.29.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d artifacts.md @ 1128ecf6 (v0.10.0 release); no public digest record found",
)
#: vLLM for AMD Instinct (ROCm), llm-d v0.9.0 (components/images/amd-vllm/release @ d557f83e).
VLLM_ROCM_V0_26_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-rocm",
    tag="v0.26.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d amd-vllm/release component @ d557f83e; no public digest record found",
)
#: vLLM for AMD Instinct (ROCm), llm-d v0.10.0 (artifacts.md @ 1128ecf6).
VLLM_ROCM_V0_30_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-rocm",
    tag="v0.30.0",
    digest="sha256:2e7da1ad1c66836802072588adea75f9f4991da5f9545b4318e91d422c22ce6a",
    source="llm-d artifacts.md @ 1128ecf6 (v0.10.0 release); ~8 public records, one 'resolved from the v0.30.0 tag via "
    "the Docker Registry v2 API' (amd64-only image)",
)
#: vLLM for Intel XPU, llm-d v0.9.0 (components/images/xpu-vllm/release @ d557f83e).
VLLM_XPU_V0_26_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-xpu",
    tag="v0.26.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d xpu-vllm/release component @ d557f83e; no public digest record found",
)
#: vLLM for Intel XPU, llm-d v0.10.0 (artifacts.md @ 1128ecf6).
VLLM_XPU_V0_30_0_PIN: Final = ImagePin(
    repository="vllm/vllm-openai-xpu",
    tag="v0.30.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d artifacts.md @ 1128ecf6 (v0.10.0 release); no public digest record found",
)
#: vLLM with the EFA libraries (libfabric, aws-ofi-nccl) for EKS pools with EFA: the image llm-d's AWS overlays use
#: (llm-d guides/recipes/modelserver/components/images/gpu-vllm/aws-efa/release/kustomization.yaml @ d557f83, used
#: by pd-disaggregation/modelserver/gpu/vllm/aws; FACTS: "AWS EFA model server image"). ``ghcr.io/llm-d/llm-d-aws``
#: was removed upstream (llm-d PR #2334). The v0.10.0-era tag was not seen: both releases carry this one.
VLLM_AWS_EFA_PIN: Final = ImagePin(
    repository="public.ecr.aws/deep-learning-containers/vllm",
    tag="0.26.0-gpu-py312-cu130-ubuntu22.04-ec2",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d gpu-vllm/aws-efa/release component @ d557f83; no public record of its digest was found",
)
#: llm-d inference simulator for the simulated-accelerators path. v0.10.2 is what the llm-d v0.9.0 release pins
#: (FACTS "other llm-d components (v0.9.0 release)": inference-sim v0.10.2) and what llm-d-router's e2e suite loads
#: (test/e2e/e2e_suite_test.go: VLLM_IMAGE default ``ghcr.io/llm-d/llm-d-inference-sim:v0.10.2``); moved from the v0.5
#: guide's v0.7.1, whose digest is in no public record. The flags the library passes exist in v0.10.2; its latency
#: flags take Go durations (``200ms``; "Integer format is deprecated", llm-d-inference-sim docs/configuration.md), which
#: :meth:`~pulumi_llmd.components.serving.simulator.SimulatorSpec.args` emits.
INFERENCE_SIM_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-inference-sim",
    tag="v0.10.2",
    digest="sha256:7f3a1f72875c5dd5d00299ad358dc1f6e17041a5124609a43aa17ad318bbed32",
    source="one full record: a public repo running ghcr.io/llm-d/llm-d-inference-sim:v0.10.2@sha256:7f3a1f72... "
    "(find_string id 66302745709); a second, independent repo records a probe of the simulator image by the same "
    "prefix sha256:7f3a1f72 on 2026-08-06 (version not named, id 58366106584). refresh_digests.py verifies it",
)
#: The latency predictor of the predicted-latency-routing path: an XGBoost training server and its prediction
#: servers, sidecars of the endpoint picker (llm-d/llm-d-latency-predictor; llm-d-router chart
#: ``config/charts/routerlib/templates/_latency-predictor.tpl``). llm-d v0.9.0 ships latency-predictor 0.9.0 (FACTS
#: "other llm-d components (v0.9.0 release)"); the router release script (llm-d-router ``hack/`` chart push) sets the
#: chart's ``router.latencyPredictor.*.image`` to ``ghcr.io/llm-d/llm-d-latency-predictor-{training,prediction}-server``
#: at the release tag, and kserve's llmisvc presets pin the same repositories at ``:0.9.0`` (no ``v``).
LATENCY_PREDICTOR_VERSION: Final = "0.9.0"
LATENCY_TRAINING_SERVER_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-latency-predictor-training-server",
    tag=LATENCY_PREDICTOR_VERSION,
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="FACTS (llm-d v0.9.0 release: latency-predictor 0.9.0); kserve llmisvc presets pin "
    "ghcr.io/llm-d/llm-d-latency-predictor-training-server:0.9.0; no public record of its digest was found",
)
LATENCY_PREDICTION_SERVER_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-latency-predictor-prediction-server",
    tag=LATENCY_PREDICTOR_VERSION,
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="FACTS (llm-d v0.9.0 release: latency-predictor 0.9.0); kserve llmisvc presets pin "
    "ghcr.io/llm-d/llm-d-latency-predictor-prediction-server:0.9.0; no public record of its digest was found",
)

#: GKE gIB (GPUDirect-RDMA over RoCE) NCCL plugin installer for x86 A3 Ultra / A4 nodes: v1.1.1, what
#: GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/nccl-rdma-installer.yaml pins on main
#: (992db81257553607f1477945f1b3219632991829, 2026-06-11; changed to v1.1.1 in 155bfa49, 2026-03-09). A4X (arm64)
#: uses nccl-plugin-gib-arm64:v1.1.0 (nccl-rdma-installer-a4x.yaml).
GIB_NCCL_PLUGIN_PIN: Final = ImagePin(
    repository="us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib",
    tag="v1.1.1",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="container-engine-accelerators nccl-rdma-installer.yaml pins the tag only; no public digest record",
)
#: Pause container keeping the gIB installer DaemonSet's pods alive after the install init container (digest-pinned
#: as in GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/nccl-rdma-installer.yaml).
PAUSE_PIN: Final = ImagePin(
    repository="gke.gcr.io/pause",
    tag="3.8",
    digest="sha256:880e63f94b145e46f1b1082bb71b85e21f16b99b180b9996407d61240ceb9830",
    source="GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/nccl-rdma-installer.yaml "
    "(gke.gcr.io/pause:3.8@sha256:880e63f9...)",
)
PAUSE_IMAGE: Final = PAUSE_PIN.ref
#: CUDA image with DeepEP / NVSHMEM / GDRCopy the wide-EP guide runs (llm-d guides/recipes/modelserver/components/
#: images/gpu-vllm/llm-d/release @ d557f83e: ``ghcr.io/llm-d/llm-d-cuda:v0.9.0``, used by wide-ep-lws
#: disaggregatedset). llm-d v0.10.0 deprecates the image (artifacts.md: "llm-d-cuda (deprecated)", last tag v0.9.0)
#: but keeps llm-d image variants for RoCE clusters (NVSHMEM patch, components/images/README.md): both releases carry
#: v0.9.0 for wide-EP.
LLMD_CUDA_PIN: Final = ImagePin(
    repository="ghcr.io/llm-d/llm-d-cuda",
    tag="v0.9.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d gpu-vllm/llm-d/release component @ d557f83e; no public digest record found",
)

# --- Kubernetes APIs -------------------------------------------------------------------------------------------
#: Gateway API standard-channel release whose CRDs the library carries and installs where the platform does not
#: (kubernetes-sigs/gateway-api v1.6.1, 8bb74df0, config/crd/standard; src/pulumi_llmd/schemas/crds/SOURCES.md), for
#: every llm-d release: llm-d tests v1.5.x (:attr:`LlmdRelease.gateway_api_version`), and a newer standard-channel
#: release keeps serving every ``v1`` API of the older one (Gateway API versioning policy, gateway-api.sigs.k8s.io
#: /concepts/versioning).
GATEWAY_API_CRDS_VERSION: Final = "v1.6.1"
#: Gateway API Inference Extension release of the InferencePool CRD the library carries and installs where the platform
#: does not serve it (kubernetes-sigs/gateway-api-inference-extension v1.6.0, 992e5c29), for every llm-d release.
GAIE_CRDS_VERSION: Final = "v1.6.0"
#: InferencePool API group/version (GA since GAIE v1.0).
INFERENCE_POOL_API_VERSION: Final = "inference.networking.k8s.io/v1"
#: EndpointPickerConfig document version read by the llm-d router's EPP (llm-d guides router values).
ENDPOINT_PICKER_CONFIG_API_VERSION: Final = "llm-d.ai/v1alpha1"
#: Gateway API group/version of Gateway and HTTPRoute.
GATEWAY_API_GROUP_VERSION: Final = "gateway.networking.k8s.io/v1"
#: GKE Gateway policy API (HealthCheckPolicy, GCPBackendPolicy).
GKE_NETWORKING_API_VERSION: Final = "networking.gke.io/v1"

# --- clusters ---------------------------------------------------------------------------------------------------------
#: Kubernetes minor version the reference stacks ask for and the render validates against.
KUBERNETES_VERSION: Final = "1.35"
#: Minimum GKE version that installs the InferencePool CRD itself (GKE Inference Gateway docs).
GKE_MIN_VERSION_WITH_INFERENCEPOOL_CRD: Final = "1.34.0-gke.1626000"

# --- platform add-ons (AI-conformance: gang scheduling, AI operator, metrics adapter, workload metrics) ---------------
#: Kueue release (kubernetes-sigs/kueue) whose CRDs the project carries (src/pulumi_llmd/schemas/crds/SOURCES.md).
KUEUE_VERSION: Final = "v0.19.2"
#: Kueue's Helm chart (kubernetes-sigs/kueue charts/kueue, published as an OCI artifact on registry.k8s.io).
KUEUE_CHART_PIN: Final = ChartPin(
    repository="oci://registry.k8s.io/kueue/charts",
    name="kueue",
    version=KUEUE_VERSION.removeprefix("v"),
    digest="sha256:ab436c33ef6c6b9b9e95b633e618bca0e0e436d6581d3b27bd12fc8a8026ab34",
    source="kubernetes/k8s.io PR #9856 'Kueue: Promote v0.19.2' (2026-08-20): registry.k8s.io/images/"
    "k8s-staging-kueue/images.yaml dmap charts/kueue sha256:ab436c33... -> 0.19.2, and the `helm template` pull "
    "output in the same PR (Digest: sha256:ab436c33...); registry.k8s.io promotes by digest, so the prod chart has it",
)
KUEUE_CHART: Final = KUEUE_CHART_PIN.chart
#: Kueue's controller image at this release, pinned through the chart values ``controllerManager.manager.image``
#: (the chart renders ``"{{ repository }}:{{ tag | default .Chart.AppVersion }}"``, kubernetes-sigs/kueue
#: charts/kueue/templates/manager/manager.yaml, so the tag carries ``@sha256:``).
KUEUE_IMAGE_PIN: Final = ImagePin(
    repository="registry.k8s.io/kueue/kueue",
    tag=KUEUE_VERSION,
    digest="sha256:8a77be2df3d441d1a99b60eb1625c835b5f4feda5db02ece26818cf2a30c4d86",
    source="one source, Kueue's own release log: kubernetes-sigs/kueue issue #14323 'Release v0.19.2', "
    "/wait-for-images 2026-08-20 (kueue:v0.19.2@sha256:8a77be2d... available in staging; registry.k8s.io "
    "promotes the same digest). refresh_digests.py verifies it",
)
KUEUE_CHART_VERSION: Final = KUEUE_CHART_PIN.version
#: Kueue API group/version of ResourceFlavor, ClusterQueue and LocalQueue (v1beta2 is the storage version in v0.19).
KUEUE_API_VERSION: Final = "kueue.x-k8s.io/v1beta2"
#: LeaderWorkerSet (kubernetes-sigs/lws) Helm chart on registry.k8s.io (chart versions carry no ``v``), as llm-d v0.9.0
#: installs it (the v0.9.0-era P/D DisaggregatedSet guide installs chart 0.10.0; FACTS "LWS").
LWS_V0_10_0_CHART_PIN: Final = ChartPin(
    repository="oci://registry.k8s.io/lws/charts",
    name="lws",
    version="0.10.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="kubernetes-sigs/lws tag v0.10.0 (2026-08-11) charts/lws; OCI manifest digest not found in any "
    "public record",
)
#: LWS as llm-d v0.10.0's DisaggregatedSet guides ask for it: "Deploy the LeaderWorkerSet controller v0.11.1 or newer.
#: When installing with Helm, pass --set enableDisaggregatedSet=true" (llm-d/llm-d guides/models/glm-5-2/README.md and
#: the wide-EP model guides, index). v0.11.0 is seen in kubernetes-sigs/lws charts/lws/Chart.yaml (appVersion v0.11.0,
#: 0a3c5c21); v0.11.1 in LWS's install docs (@ 884af7f4) and llm-d's guides, but its CRDs were not obtained: the
#: DisaggregatedSet schema the render validates against is v0.10.0's (src/pulumi_llmd/schemas/crds/SOURCES.md).
LWS_V0_11_1_CHART_PIN: Final = ChartPin(
    repository="oci://registry.k8s.io/lws/charts",
    name="lws",
    version="0.11.1",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d guides (glm-5-2, wide-EP model READMEs: LWS v0.11.1 or newer); kubernetes-sigs/lws "
    "site/content/en/docs/installation/_index.md @ 884af7f4 (VERSION=v0.11.1, CHART_VERSION=0.11.1); digest not found",
)
#: Custom Metrics - Stackdriver Adapter image (GoogleCloudPlatform/k8s-stackdriver
#: custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml at
#: 0857364d151373fb985599f4ddee6504166de939): serves GKE Managed Prometheus metrics to the HPA.
CUSTOM_METRICS_ADAPTER_PIN: Final = ImagePin(
    repository="gcr.io/gke-release/custom-metrics-stackdriver-adapter",
    tag="v0.15.1-gke.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="k8s-stackdriver adapter_new_resource_model.yaml @ 0857364d (tag only); no public digest record",
)
CUSTOM_METRICS_ADAPTER_IMAGE: Final = CUSTOM_METRICS_ADAPTER_PIN.ref
#: GKE Managed Service for Prometheus API of PodMonitoring (GoogleCloudPlatform/prometheus-engine).
GMP_API_VERSION: Final = "monitoring.googleapis.com/v1"

# --- platform add-ons for clusters other than GKE (EKS, existing clusters such as kind) -------------------------------
#: Istio's Helm chart repository, charts ``base`` and ``istiod``
#: (llm-d guides/prereq/gateway-provider/istio.helmfile.yaml).
ISTIO_CHART_REPO: Final = "https://istio-release.storage.googleapis.com/charts"
#: Istio as llm-d v0.9.0's recipe installs it (llm-d docs/infrastructure/gateway/istio.md @ d557f83e:
#: ``ISTIO_VERSION=1.29.2``, ``ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true``).
ISTIO_BASE_V1_29_2_CHART_PIN: Final = ChartPin(
    repository=ISTIO_CHART_REPO,
    name="base",
    version="1.29.2",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="istio-release index.yaml; the base-1.29.2.tgz digest was not found in any public record",
)
ISTIOD_V1_29_2_CHART_PIN: Final = ChartPin(
    repository=ISTIO_CHART_REPO,
    name="istiod",
    version="1.29.2",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="istio-release index.yaml; the istiod-1.29.2.tgz digest was not found in any public record",
)
#: Istio for llm-d v0.10.0, which "tests 1.29.x" as the default gateway provider (artifacts.md @ 1128ecf6): 1.29.6 is
#: the newest 1.29 patch (istio/api tag, 2026-07-16).
ISTIO_BASE_V1_29_6_CHART_PIN: Final = ChartPin(
    repository=ISTIO_CHART_REPO,
    name="base",
    version="1.29.6",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d artifacts.md (Istio 1.29.x) + istio/api tag 1.29.6; the .tgz digest was not found in any "
    "public record",
)
ISTIOD_V1_29_6_CHART_PIN: Final = ChartPin(
    repository=ISTIO_CHART_REPO,
    name="istiod",
    version="1.29.6",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d artifacts.md (Istio 1.29.x) + istio/api tag 1.29.6; the .tgz digest was not found in any "
    "public record",
)
#: agentgateway release llm-d's guides install (FACTS: "agentgateway v1.1.0"; llm-d docs/resources/gateway/agentgateway:
#: AGENTGATEWAY_VERSION=v1.1.0, ``helm upgrade --install ... --version v1.1.0``; chart versions carry the ``v``).
AGENTGATEWAY_VERSION: Final = "v1.1.0"
#: agentgateway's CRD and control-plane charts, OCI artifacts on cr.agentgateway.dev (same llm-d page).
AGENTGATEWAY_CRDS_CHART_PIN: Final = ChartPin(
    repository="oci://cr.agentgateway.dev/charts",
    name="agentgateway-crds",
    version=AGENTGATEWAY_VERSION,
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d docs agentgateway page; only the .tgz sha256 was found (one public lab verifying helm pulls)",
    archive_sha256="sha256:abc114babffc70061248d1526c0508357c39cfaada00640d1b60f4bc6cad3a1e",
)
AGENTGATEWAY_CHART_PIN: Final = ChartPin(
    repository="oci://cr.agentgateway.dev/charts",
    name="agentgateway",
    version=AGENTGATEWAY_VERSION,
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d docs agentgateway page; only the .tgz sha256 was found (one public lab verifying helm pulls)",
    archive_sha256="sha256:4c04f0ae3fc01869fd49d41cbbb246377e8a7c3d3b6ac7c665f2bbc68cf6c2b6",
)
AGENTGATEWAY_CRDS_CHART: Final = AGENTGATEWAY_CRDS_CHART_PIN.chart
AGENTGATEWAY_CHART: Final = AGENTGATEWAY_CHART_PIN.chart
AGENTGATEWAY_CHART_VERSION: Final = AGENTGATEWAY_VERSION
#: agentgateway's controller and proxy images at the chart's appVersion (recorded; not injected through values: the
#: chart builds the controller image through its ``agentgateway.imageTag`` helper and hands the proxy tag to the
#: controller as ``AGW_PROXY_IMAGE_TAG`` (agentgateway controller/install/helm/agentgateway/templates/deployment.yaml),
#: and neither path is verified to accept ``tag@digest``).
AGENTGATEWAY_CONTROLLER_PIN: Final = ImagePin(
    repository="cr.agentgateway.dev/controller",
    tag=AGENTGATEWAY_VERSION,
    digest="sha256:0c4179780a3353a20f403ed51c764127f2806b6aa1a5ecb6da7655b5b27d7926",
    source="one source: a public llm-d lab pinning cr.agentgateway.dev/controller:v1.1.0@sha256:0c41...",
)
AGENTGATEWAY_PROXY_PIN: Final = ImagePin(
    repository="cr.agentgateway.dev/agentgateway",
    tag=AGENTGATEWAY_VERSION,
    digest="sha256:b5fd647604aa37eb2da372206a6681dfd613461e2445d89ba0b80e8439a4ff29",
    source="one source: the same lab, cr.agentgateway.dev/agentgateway:v1.1.0@sha256:b5fd...",
)
#: NVIDIA k8s-device-plugin chart (NVIDIA/k8s-device-plugin deployments/helm/nvidia-device-plugin, published at
#: https://nvidia.github.io/k8s-device-plugin). 0.19.3 is the newest patch of the 0.19 line (release v0.19.3, June
#: 2026), the chart NVIDIA DeepOps pinned (k8s_gpu_plugin_chart_version) and dcgm-exporter 4.8.3 was validated with.
NVIDIA_DEVICE_PLUGIN_CHART_PIN: Final = ChartPin(
    repository="https://nvidia.github.io/k8s-device-plugin",
    name="nvidia-device-plugin",
    version="0.19.3",
    digest="sha256:8f01067500e712508fe55fe060b6f895814dc7efc1cb96323db2ce4f777f6e96",
    source="one source: a public Helm proof script pinning nvidia-device-plugin-0.19.3.tgz from "
    "nvidia.github.io/k8s-device-plugin by sha256 8f010675... (= the index.yaml digest, sha256 of the .tgz)",
)
NVIDIA_DEVICE_PLUGIN_CHART_REPO: Final = NVIDIA_DEVICE_PLUGIN_CHART_PIN.repository
NVIDIA_DEVICE_PLUGIN_CHART: Final = NVIDIA_DEVICE_PLUGIN_CHART_PIN.name
NVIDIA_DEVICE_PLUGIN_CHART_VERSION: Final = NVIDIA_DEVICE_PLUGIN_CHART_PIN.version
#: The device plugin image, pinned through the chart's ``image.repository`` / ``image.tag`` values (the chart renders
#: ``repository:tag``, deployments/helm/nvidia-device-plugin/templates/_helpers.tpl ``nvidia-device-plugin.fullimage``).
NVIDIA_DEVICE_PLUGIN_IMAGE_PIN: Final = ImagePin(
    repository="nvcr.io/nvidia/k8s-device-plugin",
    tag="v0.19.3",
    digest="sha256:25cc340fe6fd53c101e16fc452f503e7a92c219c64a80ed5381784b522dbbf77",
    source="4 independent public sources (NVIDIA gpu-operator certified bundle diff v26.3.3 -> v26.7.0, RKE2 image "
    "maps, a GitOps test); one other repo lists sha256:d6c456ff... (presumably a per-platform manifest): the "
    "majority (bundle) digest chosen",
)
#: AWS EFA device plugin chart, exposes ``vpc.amazonaws.com/efa`` (aws/eks-charts
#: stable/aws-efa-k8s-device-plugin/Chart.yaml: version v0.5.20, appVersion v0.5.13; FACTS: "eks-charts, v0.5.x").
EFA_DEVICE_PLUGIN_CHART_PIN: Final = ChartPin(
    repository="https://aws.github.io/eks-charts",
    name="aws-efa-k8s-device-plugin",
    version="v0.5.20",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="aws/eks-charts stable/aws-efa-k8s-device-plugin/Chart.yaml; no public record of the index digest",
)
EFA_DEVICE_PLUGIN_CHART_REPO: Final = EFA_DEVICE_PLUGIN_CHART_PIN.repository
EFA_DEVICE_PLUGIN_CHART: Final = EFA_DEVICE_PLUGIN_CHART_PIN.name
EFA_DEVICE_PLUGIN_CHART_VERSION: Final = EFA_DEVICE_PLUGIN_CHART_PIN.version
#: NVIDIA DCGM exporter chart (NVIDIA/dcgm-exporter deployment/, published at
#: https://nvidia.github.io/dcgm-exporter/helm-charts): chart 4.8.3 = release 4.6.0-4.8.3 (DCGM 4.6.0, exporter
#: 4.8.3; NVIDIA/dcgm-exporter PR #712, July 2026).
DCGM_EXPORTER_CHART_PIN: Final = ChartPin(
    repository="https://nvidia.github.io/dcgm-exporter/helm-charts",
    name="dcgm-exporter",
    version="4.8.3",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="NVIDIA/dcgm-exporter deployment/; no public record of the dcgm-exporter-4.8.3.tgz digest",
)
#: AMD GPU Operator chart (ROCm/gpu-operator ``helm-charts-k8s``, published at https://rocm.github.io/gpu-operator
#: as ``gpu-operator-charts``; chart versions carry a leading ``v``). v1.5.1 (2026-07-21, ROCm/gpu-operator 858cf255,
#: ``helm-charts-k8s/Chart.yaml``; FACTS "AMD GPU Operator"). It installs the operator, NFD and (with the chart's
#: default ``crds.defaultCR.install: true``) a default ``DeviceConfig`` (``amd.com/v1alpha1``) built from the
#: ``deviceConfig.spec`` values: the ROCm k8s device plugin (``amd.com/gpu``), the node labeller and AMD's
#: device-metrics exporter (``helm-charts-k8s/templates/default-deviceconfig.yaml``). Its README lists cert-manager as a
#: prerequisite.
AMD_GPU_OPERATOR_CHART_PIN: Final = ChartPin(
    repository="https://rocm.github.io/gpu-operator",
    name="gpu-operator-charts",
    version="v1.5.1",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="ROCm/gpu-operator 858cf255 helm-charts-k8s/Chart.yaml (v1.5.1); helm repo URL and chart name from "
    "helm-charts-k8s/README.md ('helm repo add rocm https://rocm.github.io/gpu-operator'); no public digest record",
)
#: AMD's device-metrics exporter (GPU utilisation, memory, power, temperature in Prometheus format on port 5000), set
#: as the default DeviceConfig's ``metricsExporter.image`` instead of the chart's floating default (FACTS:
#: ROCm/gpu-operator v1.5.1 ``docs/metrics/exporter.md``: ``rocm/device-metrics-exporter:v1.5.0``; chart default
#: ``latest``, port 5000).
AMD_DEVICE_METRICS_EXPORTER_PIN: Final = ImagePin(
    repository="rocm/device-metrics-exporter",
    tag="v1.5.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="ROCm/gpu-operator v1.5.1 docs/metrics/exporter.md (FACTS 'AMD GPU Operator'); no public digest record",
)
#: Intel's Helm chart repository for the device plugins (intel/helm-charts README;
#: intel/intel-device-plugins-for-kubernetes INSTALL.md "Install with HELM charts":
#: ``helm repo add intel https://intel.github.io/helm-charts/``).
INTEL_HELM_CHARTS: Final = "https://intel.github.io/helm-charts"
_INTEL_DP_SOURCE: Final = (
    "intel/intel-device-plugins-for-kubernetes release v0.37.0 (PR #2353 'Prepare 0.37.0 images'; GitHub release "
    "2026-09-16); charts 0.37.0 in the intel helm index since 2026-09-21 (one third-party upgrade record rendering "
    "intel-device-plugins-operator / -gpu 0.37.0); chart layout intel/helm-charts charts/device-plugin-operator and "
    "charts/gpu-device-plugin (Chart.yaml name, values.yaml, templates/gpu.yaml); no public digest record"
)
#: Intel Device Plugins Operator chart (``intel-device-plugins-operator``): the operator Deployment, its CRDs
#: (``deviceplugin.intel.com/v1`` GpuDevicePlugin, ...) and admission webhooks, whose certificates come from
#: cert-manager (the chart README's prerequisite). The operator rejects plugin images older than its own version
#: (pkg/controllers/reconciler.go ``ImageMinVersion``), so the operator and GPU plugin charts move in lockstep.
INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN: Final = ChartPin(
    repository=INTEL_HELM_CHARTS,
    name="intel-device-plugins-operator",
    version="0.37.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source=_INTEL_DP_SOURCE,
)
#: Intel GPU device plugin chart (``intel-device-plugins-gpu``): a ``GpuDevicePlugin`` custom resource the operator
#: turns into the GPU plugin DaemonSet that advertises ``gpu.intel.com/i915`` (or ``gpu.intel.com/xe``) and, with
#: ``enableMonitoring``, ``gpu.intel.com/i915_monitoring`` (intel/intel-device-plugins-for-kubernetes
#: cmd/gpu_plugin/README.md; intel/helm-charts charts/gpu-device-plugin/templates/gpu.yaml).
INTEL_GPU_PLUGIN_CHART_PIN: Final = ChartPin(
    repository=INTEL_HELM_CHARTS,
    name="intel-device-plugins-gpu",
    version="0.37.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source=_INTEL_DP_SOURCE,
)
#: The GPU plugin image the ``GpuDevicePlugin`` CR names (chart values ``image.hub`` / ``image.tag``; the template
#: renders ``<hub>/intel-gpu-plugin:<tag>``, so the pin is its tag: a digest cannot be appended).
INTEL_GPU_PLUGIN_IMAGE_PIN: Final = ImagePin(
    repository="intel/intel-gpu-plugin",
    tag="0.37.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source=_INTEL_DP_SOURCE,
)
#: Intel XPU Manager (``xpumd`` + its Prometheus exporter, metrics ``xpum_*`` on port 29999): the GPU metrics exporter
#: the Intel GPU plugin documents (intel/intel-device-plugins-for-kubernetes cmd/gpu_plugin/monitoring.md: the XPU
#: Manager DaemonSet on ``gpu.intel.com/i915_monitoring`` plus a Service and ServiceMonitor; manifests intel/xpumanager
#: deployment/kubernetes/daemonset/base/daemonset-intel-xpum.yaml and deployment/kubernetes/monitoring/).
#: v1.2.27 is the newest image Intel published to Docker Hub (intel/xpumanager issue #90; Intel's gpu-base-operator
#: tests load ``intel/xpumanager:v1.2.27``). XPUM 2.x (``xpumd`` chart, ghcr.io/intel/xpumanager/xpumd) publishes only
#: ``0.0.0-main`` charts and floating images, so it is not pinned here.
INTEL_XPUMANAGER_PIN: Final = ImagePin(
    repository="intel/xpumanager",
    tag="v1.2.27",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="intel/xpumanager issue #90 ('Latest XPUM container at DockerHub is v1.2.27'); intel/gpu-base-operator "
    "controller tests (intel/xpumanager:v1.2.27); no public digest record",
)
DCGM_EXPORTER_CHART_REPO: Final = DCGM_EXPORTER_CHART_PIN.repository
DCGM_EXPORTER_CHART: Final = DCGM_EXPORTER_CHART_PIN.name
DCGM_EXPORTER_CHART_VERSION: Final = DCGM_EXPORTER_CHART_PIN.version

# --- monitoring on clusters without a managed Prometheus ---------------------------------------------------------
PROMETHEUS_COMMUNITY_CHARTS: Final = "https://prometheus-community.github.io/helm-charts"
#: prometheus-community kube-prometheus-stack chart; 88.2.0 ships prometheus-operator v0.93.0, whose PodMonitor /
#: ServiceMonitor CRDs the project carries (prometheus-community/helm-charts releases).
KUBE_PROMETHEUS_STACK_CHART_PIN: Final = ChartPin(
    repository=PROMETHEUS_COMMUNITY_CHARTS,
    name="kube-prometheus-stack",
    version="88.2.0",
    digest="sha256:9e48c3b732eaf0636a0423504857b4c543b61bb883cf3291548ff4b9f3c14bbc",
    source="one source: a public offline-bundle verifier pinning charts/kube-prometheus-stack-88.2.0.tgz by "
    "sha256 9e48c3b7... (the release .tgz the repo's index.yaml points to)",
)
KUBE_PROMETHEUS_STACK_CHART_VERSION: Final = KUBE_PROMETHEUS_STACK_CHART_PIN.version
#: prometheus-community prometheus-adapter chart (app v0.12.0), serving custom.metrics.k8s.io to HPAs.
PROMETHEUS_ADAPTER_CHART_PIN: Final = ChartPin(
    repository=PROMETHEUS_COMMUNITY_CHARTS,
    name="prometheus-adapter",
    version="5.3.0",
    digest="sha256:aa6752b6207ed788522714c3ef7f67f27d423eb4d9512fecb52dc641b6434f31",
    source="one source: a public supply-chain gate pinning prometheus-adapter-5.3.0.tgz by sha256 aa6752b6...",
)
PROMETHEUS_ADAPTER_CHART_VERSION: Final = PROMETHEUS_ADAPTER_CHART_PIN.version

# --- event-driven autoscaling (workload-autoscaling path) ---------------------------------------------------------
#: KEDA's Helm chart (kedacore/charts, ``helm repo add kedacore https://kedacore.github.io/charts``; chart version =
#: app version without the ``v``). It installs the keda.sh CRDs, the operator, the metrics API server
#: (``v1beta1.external.metrics.k8s.io``) and the admission webhooks. llm-d v0.9.0's SLO-aware guide installs KEDA
#: 2.20.1 (guides/workload-autoscaling/slo-aware/README.md @ d557f83e: ``KEDA_VERSION=2.20.1``); the guides link
#: keda.sh/docs/2.20. No public digest of either .tgz was found offline.
KEDA_V2_20_1_CHART_PIN: Final = ChartPin(
    repository="https://kedacore.github.io/charts",
    name="keda",
    version="2.20.1",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="llm-d slo-aware guide @ d557f83e (KEDA_VERSION=2.20.1); digest pending (index.yaml)",
)
#: KEDA v2.20.2 (2026-07-31, kedacore/keda 68a5b502), the newest tag; the ScaledObject / TriggerAuthentication CRDs the
#: project carries are v2.20.2's (config/crd/bases).
KEDA_V2_20_2_CHART_PIN: Final = ChartPin(
    repository="https://kedacore.github.io/charts",
    name="keda",
    version="2.20.2",
    digest="sha256:db60b1fa60f0565fefa4ce2f87e855b6a8854363ee82962fbe28a12a70d64c4c",
    source="kedacore/keda tag v2.20.2 (68a5b502), FACTS versions table; one public record of keda-2.20.2.tgz's sha256 "
    "(= the index.yaml digest of an HTTP chart repository); refresh_digests.py verifies it",
)

# --- TLS ----------------------------------------------------------------------------------------------------------
#: cert-manager release that issues the self-managed gateways' certificates (FACTS: cert-manager v1.21.1,
#: 2026-07-29, the newest tag; CRDs cert-manager/cert-manager v1.21.1 deploy/crds, carried in src/.../schemas/crds).
CERT_MANAGER_VERSION: Final = "v1.21.1"
#: cert-manager's Helm chart from the Jetstack repository, "the only supported source of cert-manager charts"
#: (cert-manager.io/docs/installation/helm: ``helm repo add jetstack https://charts.jetstack.io``; chart versions
#: carry the ``v``).
CERT_MANAGER_CHART_PIN: Final = ChartPin(
    repository="https://charts.jetstack.io",
    name="cert-manager",
    version=CERT_MANAGER_VERSION,
    digest="sha256:c27101f3f3e2349fb4a9e704316105bf7b52ad73b8c8257d3498ef7f2f6a4adc",
    source="sha256 of charts.jetstack.io/charts/cert-manager-v1.21.1.tgz (= its index.yaml digest) as pinned by a "
    "public GitOps allow-list and its test fixture (2 records, possibly one repo)",
)
CERT_MANAGER_CHART_REPO: Final = CERT_MANAGER_CHART_PIN.repository
CERT_MANAGER_CHART: Final = CERT_MANAGER_CHART_PIN.name
CERT_MANAGER_CHART_VERSION: Final = CERT_MANAGER_CHART_PIN.version
_CERT_MANAGER_SOURCE: Final = (
    "4 independent public repos pin the same v1.21.1 digests for controller/cainjector/webhook/startupapicheck/"
    "acmesolver; one other repo lists different ones (presumably the linux/amd64 manifests): majority chosen"
)
#: The images the cert-manager chart deploys at this version (quay.io/jetstack, tag = appVersion), digest-pinned.
CERT_MANAGER_CONTROLLER_PIN: Final = ImagePin(
    repository="quay.io/jetstack/cert-manager-controller",
    tag=CERT_MANAGER_VERSION,
    digest="sha256:416a2d76870d996460e62bd7f521bf14fa017be9e3e904aab92163a331fcb61a",
    source=_CERT_MANAGER_SOURCE,
)
CERT_MANAGER_WEBHOOK_PIN: Final = ImagePin(
    repository="quay.io/jetstack/cert-manager-webhook",
    tag=CERT_MANAGER_VERSION,
    digest="sha256:d8b3961b51c8c7320633f8208dc46bf88aa13804d0f7cbe48a096b2c523cee42",
    source=_CERT_MANAGER_SOURCE,
)
CERT_MANAGER_CAINJECTOR_PIN: Final = ImagePin(
    repository="quay.io/jetstack/cert-manager-cainjector",
    tag=CERT_MANAGER_VERSION,
    digest="sha256:ccf6b919ec0500745a47a910118f834f9636d0aac1ff221245cd2557ed8c7c98",
    source=_CERT_MANAGER_SOURCE,
)
CERT_MANAGER_STARTUPAPICHECK_PIN: Final = ImagePin(
    repository="quay.io/jetstack/cert-manager-startupapicheck",
    tag=CERT_MANAGER_VERSION,
    digest="sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8",
    source=_CERT_MANAGER_SOURCE,
)
CERT_MANAGER_ACMESOLVER_PIN: Final = ImagePin(
    repository="quay.io/jetstack/cert-manager-acmesolver",
    tag=CERT_MANAGER_VERSION,
    digest="sha256:dbc7cc1354f603918e7c5af7f55a0a620537394452c93a565bde75c6f48e8837",
    source=_CERT_MANAGER_SOURCE,
)
#: The images the cert-manager chart deploys (chart values ``image``, ``webhook.image``, ``cainjector.image``,
#: ``startupapicheck.image``, ``acmesolver.image``), as references.
CERT_MANAGER_IMAGES: Final[tuple[str, ...]] = tuple(
    pin.ref
    for pin in (
        CERT_MANAGER_CONTROLLER_PIN,
        CERT_MANAGER_WEBHOOK_PIN,
        CERT_MANAGER_CAINJECTOR_PIN,
        CERT_MANAGER_STARTUPAPICHECK_PIN,
        CERT_MANAGER_ACMESOLVER_PIN,
    )
)


def cert_manager_image_values() -> dict[str, dict[str, Any]]:
    """cert-manager chart values pinning every image by digest (pure; a new dict each call).

    The chart renders ``repository@digest`` when ``<component>.image.digest`` is set ("Setting a digest will override
    any tag", cert-manager deploy/charts/cert-manager/values.yaml and README); the controller's image is ``image``.
    """

    def image(pin: ImagePin) -> dict[str, str]:
        return {"repository": pin.repository, "digest": str(pin.digest)}

    return {
        "image": image(CERT_MANAGER_CONTROLLER_PIN),
        "webhook": {"image": image(CERT_MANAGER_WEBHOOK_PIN)},
        "cainjector": {"image": image(CERT_MANAGER_CAINJECTOR_PIN)},
        "startupapicheck": {"image": image(CERT_MANAGER_STARTUPAPICHECK_PIN)},
        "acmesolver": {"image": image(CERT_MANAGER_ACMESOLVER_PIN)},
    }


# --- llm-d releases ---------------------------------------------------------------------------------------------------

#: The device platforms vLLM publishes an image for, as :meth:`LlmdRelease.vllm_image` names them.
VLLM_PLATFORMS: Final[tuple[str, ...]] = ("cuda", "tpu", "rocm", "xpu", "cpu")


@dataclass(frozen=True)
class LlmdRelease:
    """Everything one llm-d release deploys with, pinned: what ``llmd:release`` selects per stack.

    A record names the llm-d release (``v0.10.0``) and, for every image and chart the library puts into a render, the
    pin that release was validated with (llm-d/llm-d ``guides/env.sh``, the Kustomize image components under
    ``guides/recipes/modelserver/components/images/`` and ``docs/api-reference/artifacts.md``). Pins that llm-d does
    not choose (device plugins, exporters, Kueue) are the library's, shared by both records. Each pin's ``source``
    says where its version and digest were read; a pin without a digest is listed in :data:`DIGEST_PENDING`.

    Components read pins with :func:`active_release` while they are constructed, so a program that selects a release
    (:func:`use_release`, the stack key ``llmd:release``) renders every image and chart of that release.

    Attributes:
        name: llm-d release tag (``v0.10.0``).
        source: where the release's pins were read (repo, commit, path).
        router_version: llm-d router release of the endpoint picker and the P/D sidecar (``v0.10.0``).
        epp: endpoint picker image. pd_sidecar: P/D routing sidecar image.
        vllm_gpu / vllm_tpu / vllm_rocm / vllm_cpu / vllm_xpu: upstream vLLM images per accelerator.
        vllm_aws_efa: vLLM with EFA libraries (EKS pools with EFA).
        wide_ep_image: the llm-d CUDA build the wide-EP guide runs (DeepEP, NVSHMEM).
        inference_sim: llm-d inference simulator (simulated-accelerators).
        latency_training_server / latency_prediction_server: latency predictor sidecars (predicted-latency routing).
        bbr: the body-based router of multi-model routing (llm-d's Inference Payload Processor).
        vllm_env: environment the release's image components add to every vLLM container, as ``(name, value)`` pairs
            (``USER=llm-d``: vLLM issue 44548, torch 2.11; every gpu/cpu/amd/xpu ``release`` component @ d557f83e).
        gaie_version: Gateway API Inference Extension release of the InferencePool CRD llm-d pins.
        gateway_api_version: Gateway API CRD release llm-d tests with (``v1.5.1``; artifacts.md "v1.5.x").
        lws_chart: LeaderWorkerSet (and DisaggregatedSet) controller chart.
        istio_base_chart / istiod_chart: Istio charts of the self-managed gateway.
        agentgateway_crds_chart / agentgateway_chart / agentgateway_controller / agentgateway_proxy: agentgateway.
        kueue_chart / kueue_image: Kueue. keda_chart: KEDA (workload-autoscaling).
        nvidia_device_plugin_chart / nvidia_device_plugin_image / dcgm_exporter_chart / efa_device_plugin_chart /
            gib_nccl_plugin: device plugins, exporters and the GKE gIB NCCL plugin.
        amd_gpu_operator_chart / amd_metrics_exporter: the AMD GPU Operator chart (ROCm device plugin, node labeller,
            default DeviceConfig) and AMD's device-metrics exporter image, for AMD Instinct pools (the library's pins,
            shared by both records: :data:`AMD_GPU_OPERATOR_CHART_PIN`, :data:`AMD_DEVICE_METRICS_EXPORTER_PIN`).
        intel_device_plugins_operator_chart / intel_gpu_plugin_chart / intel_gpu_plugin_image / intel_xpumanager: the
            Intel Device Plugins Operator and GPU plugin charts (``gpu.intel.com/i915``), the GPU plugin image and
            Intel XPU Manager (GPU metrics), for Intel GPU pools (the library's pins, shared by both records:
            :data:`INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN`, :data:`INTEL_GPU_PLUGIN_CHART_PIN`,
            :data:`INTEL_GPU_PLUGIN_IMAGE_PIN`, :data:`INTEL_XPUMANAGER_PIN`).
        disaggregated_set_default: whether P/D and wide-EP are built as DisaggregatedSets unless a model says
            otherwise (llm-d v0.10.0's guides make it the base; in v0.9.0 it was the optional ``vllm-ds`` variant).
    """

    name: str
    source: str
    router_version: str
    epp: ImagePin
    pd_sidecar: ImagePin
    vllm_gpu: ImagePin
    vllm_tpu: ImagePin
    vllm_rocm: ImagePin
    vllm_cpu: ImagePin
    vllm_xpu: ImagePin
    vllm_aws_efa: ImagePin
    wide_ep_image: ImagePin
    inference_sim: ImagePin
    latency_training_server: ImagePin
    latency_prediction_server: ImagePin
    bbr: ImagePin
    vllm_env: tuple[tuple[str, str], ...]
    gaie_version: str
    gateway_api_version: str
    lws_chart: ChartPin
    istio_base_chart: ChartPin
    istiod_chart: ChartPin
    agentgateway_crds_chart: ChartPin
    agentgateway_chart: ChartPin
    agentgateway_controller: ImagePin
    agentgateway_proxy: ImagePin
    kueue_chart: ChartPin
    kueue_image: ImagePin
    keda_chart: ChartPin
    nvidia_device_plugin_chart: ChartPin
    nvidia_device_plugin_image: ImagePin
    dcgm_exporter_chart: ChartPin
    efa_device_plugin_chart: ChartPin
    gib_nccl_plugin: ImagePin
    disaggregated_set_default: bool
    amd_gpu_operator_chart: ChartPin
    amd_metrics_exporter: ImagePin
    intel_device_plugins_operator_chart: ChartPin
    intel_gpu_plugin_chart: ChartPin
    intel_gpu_plugin_image: ImagePin
    intel_xpumanager: ImagePin

    @property
    def lws_version(self) -> str:
        """The LWS release (``v0.11.1``): the chart version with its ``v``."""
        return f"v{self.lws_chart.version}"

    @property
    def istio_version(self) -> str:
        """The Istio release (``1.29.6``)."""
        return self.istiod_chart.version

    @property
    def keda_version(self) -> str:
        """The KEDA release (``v2.20.2``)."""
        return f"v{self.keda_chart.version}"

    def vllm_image(self, *, tpu: bool = False, platform: str | None = None) -> ImagePin:
        """The vLLM image of this release for a device platform.

        ``platform`` is one of :data:`VLLM_PLATFORMS`: ``cuda`` (NVIDIA, :attr:`vllm_gpu`), ``tpu`` (:attr:`vllm_tpu`),
        ``rocm`` (AMD Instinct, :attr:`vllm_rocm`), ``xpu`` (Intel Data Center GPU, :attr:`vllm_xpu`) or ``cpu``
        (:attr:`vllm_cpu`): the images of llm-d's ``components/images/{gpu,tpu,amd,xpu,cpu}-vllm/release`` components
        (@ d557f83e) and ``docs/api-reference/artifacts.md`` (@ 1128ecf6). Default: None (``tpu`` decides: ``tpu=True``
        is ``platform="tpu"``, else ``cuda``). ``tpu``: the Cloud TPU build when ``platform`` is None. Default: False.

        Raises:
            ValueError: an unknown ``platform`` (the message lists the allowed ones).
        """
        name = platform if platform is not None else ("tpu" if tpu else "cuda")
        pins = {
            "cuda": self.vllm_gpu,
            "tpu": self.vllm_tpu,
            "rocm": self.vllm_rocm,
            "xpu": self.vllm_xpu,
            "cpu": self.vllm_cpu,
        }
        if name not in pins:
            raise ValueError(f"vLLM platform {name!r} is unknown; allowed: {', '.join(VLLM_PLATFORMS)}")
        return pins[name]

    def describe(self) -> str:
        """One line for version banners and render summaries: ``llm-d v0.10.0 (router v0.10.0)``."""
        return f"llm-d {self.name} (router {self.router_version})"

    def pins(self) -> dict[str, ImagePin | ChartPin]:
        """Every image and chart pin of the release, by field name (a new dict each call)."""
        return {
            name: value
            for name, value in ((f, getattr(self, f)) for f in self.__dataclass_fields__)
            if isinstance(value, ImagePin | ChartPin)
        }


#: llm-d v0.9.0 (cut 2026-08-18: llm-d/llm-d e3dbeca1 ``guides/env.sh`` "Update env for release v0.9.0"; image
#: components @ d557f83e, 2026-08-20). The previous release, kept so stacks can stay on it and preview the upgrade.
LLMD_V0_9_0: Final = LlmdRelease(
    name="v0.9.0",
    source="llm-d/llm-d e3dbeca1 guides/env.sh (release v0.9.0) and guides/recipes/modelserver/components/images/* "
    "@ d557f83e (2026-08-20)",
    router_version=LLMD_ROUTER_VERSION,
    epp=EPP_PIN,
    pd_sidecar=PD_SIDECAR_PIN,
    vllm_gpu=VLLM_V0_26_0_PIN,
    vllm_tpu=VLLM_TPU_V0_26_0_PIN,
    vllm_rocm=VLLM_ROCM_V0_26_0_PIN,
    vllm_cpu=VLLM_CPU_V0_26_0_PIN,
    vllm_xpu=VLLM_XPU_V0_26_0_PIN,
    vllm_aws_efa=VLLM_AWS_EFA_PIN,
    wide_ep_image=LLMD_CUDA_PIN,
    inference_sim=INFERENCE_SIM_PIN,
    latency_training_server=LATENCY_TRAINING_SERVER_PIN,
    latency_prediction_server=LATENCY_PREDICTION_SERVER_PIN,
    bbr=PAYLOAD_PROCESSOR_PIN,
    vllm_env=(("USER", "llm-d"),),
    gaie_version="v1.5.0",
    gateway_api_version="v1.5.1",
    lws_chart=LWS_V0_10_0_CHART_PIN,
    istio_base_chart=ISTIO_BASE_V1_29_2_CHART_PIN,
    istiod_chart=ISTIOD_V1_29_2_CHART_PIN,
    agentgateway_crds_chart=AGENTGATEWAY_CRDS_CHART_PIN,
    agentgateway_chart=AGENTGATEWAY_CHART_PIN,
    agentgateway_controller=AGENTGATEWAY_CONTROLLER_PIN,
    agentgateway_proxy=AGENTGATEWAY_PROXY_PIN,
    kueue_chart=KUEUE_CHART_PIN,
    kueue_image=KUEUE_IMAGE_PIN,
    keda_chart=KEDA_V2_20_1_CHART_PIN,
    nvidia_device_plugin_chart=NVIDIA_DEVICE_PLUGIN_CHART_PIN,
    nvidia_device_plugin_image=NVIDIA_DEVICE_PLUGIN_IMAGE_PIN,
    dcgm_exporter_chart=DCGM_EXPORTER_CHART_PIN,
    efa_device_plugin_chart=EFA_DEVICE_PLUGIN_CHART_PIN,
    gib_nccl_plugin=GIB_NCCL_PLUGIN_PIN,
    disaggregated_set_default=False,
    amd_gpu_operator_chart=AMD_GPU_OPERATOR_CHART_PIN,
    amd_metrics_exporter=AMD_DEVICE_METRICS_EXPORTER_PIN,
    intel_device_plugins_operator_chart=INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN,
    intel_gpu_plugin_chart=INTEL_GPU_PLUGIN_CHART_PIN,
    intel_gpu_plugin_image=INTEL_GPU_PLUGIN_IMAGE_PIN,
    intel_xpumanager=INTEL_XPUMANAGER_PIN,
)
#: llm-d v0.10.0, the newest verified release (llm-d/llm-d docs/api-reference/artifacts.md @ 1128ecf6: "the versions
#: we test against for the v0.10.0 release"; guides' DisaggregatedSet bases @ 5e758d87 / bf09bb9d). Its date was not
#: seen. The default.
LLMD_V0_10_0: Final = LlmdRelease(
    name="v0.10.0",
    source="llm-d/llm-d 1128ecf6 docs/api-reference/artifacts.md; guides/pd-disaggregation and guides/wide-ep "
    "DisaggregatedSet bases (5e758d87, bf09bb9d); kubernetes-sigs/lws per llm-d's DisaggregatedSet guides",
    router_version=LLMD_ROUTER_VERSION,
    epp=EPP_PIN,
    pd_sidecar=PD_SIDECAR_PIN,
    vllm_gpu=VLLM_V0_30_0_PIN,
    vllm_tpu=VLLM_TPU_V0_29_0_PIN,
    vllm_rocm=VLLM_ROCM_V0_30_0_PIN,
    vllm_cpu=VLLM_CPU_V0_30_0_PIN,
    vllm_xpu=VLLM_XPU_V0_30_0_PIN,
    vllm_aws_efa=VLLM_AWS_EFA_PIN,
    wide_ep_image=LLMD_CUDA_PIN,
    inference_sim=INFERENCE_SIM_PIN,
    latency_training_server=LATENCY_TRAINING_SERVER_PIN,
    latency_prediction_server=LATENCY_PREDICTION_SERVER_PIN,
    bbr=PAYLOAD_PROCESSOR_PIN,
    vllm_env=(("USER", "llm-d"),),
    gaie_version="v1.6.0",
    gateway_api_version="v1.5.1",
    lws_chart=LWS_V0_11_1_CHART_PIN,
    istio_base_chart=ISTIO_BASE_V1_29_6_CHART_PIN,
    istiod_chart=ISTIOD_V1_29_6_CHART_PIN,
    agentgateway_crds_chart=AGENTGATEWAY_CRDS_CHART_PIN,
    agentgateway_chart=AGENTGATEWAY_CHART_PIN,
    agentgateway_controller=AGENTGATEWAY_CONTROLLER_PIN,
    agentgateway_proxy=AGENTGATEWAY_PROXY_PIN,
    kueue_chart=KUEUE_CHART_PIN,
    kueue_image=KUEUE_IMAGE_PIN,
    keda_chart=KEDA_V2_20_2_CHART_PIN,
    nvidia_device_plugin_chart=NVIDIA_DEVICE_PLUGIN_CHART_PIN,
    nvidia_device_plugin_image=NVIDIA_DEVICE_PLUGIN_IMAGE_PIN,
    dcgm_exporter_chart=DCGM_EXPORTER_CHART_PIN,
    efa_device_plugin_chart=EFA_DEVICE_PLUGIN_CHART_PIN,
    gib_nccl_plugin=GIB_NCCL_PLUGIN_PIN,
    disaggregated_set_default=True,
    amd_gpu_operator_chart=AMD_GPU_OPERATOR_CHART_PIN,
    amd_metrics_exporter=AMD_DEVICE_METRICS_EXPORTER_PIN,
    intel_device_plugins_operator_chart=INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN,
    intel_gpu_plugin_chart=INTEL_GPU_PLUGIN_CHART_PIN,
    intel_gpu_plugin_image=INTEL_GPU_PLUGIN_IMAGE_PIN,
    intel_xpumanager=INTEL_XPUMANAGER_PIN,
)
#: The releases a stack can select with ``llmd:release``, newest first.
RELEASES: Final[Mapping[str, LlmdRelease]] = MappingProxyType({r.name: r for r in (LLMD_V0_10_0, LLMD_V0_9_0)})
#: The release stacks render with unless ``llmd:release`` says otherwise: the newest verified one.
DEFAULT_RELEASE: Final = LLMD_V0_10_0
#: The release before the default, kept for stacks not yet upgraded.
PREVIOUS_RELEASE: Final = LLMD_V0_9_0

_ACTIVE_RELEASE: ContextVar[LlmdRelease] = ContextVar("pulumi_llmd_release", default=DEFAULT_RELEASE)


def release_named(name: str) -> LlmdRelease:
    """The release record called ``name`` (``"v0.10.0"``; a missing leading ``v`` is accepted).

    Raises:
        ValueError: no such release; the message lists the releases the library carries.
    """
    key = name if name.startswith("v") else f"v{name}"
    if key not in RELEASES:
        raise ValueError(f"llm-d release {name!r} is not one the library carries; allowed: {', '.join(RELEASES)}")
    return RELEASES[key]


def active_release() -> LlmdRelease:
    """The release components pin their images and charts to: the one :func:`use_release` selected, else
    :data:`DEFAULT_RELEASE` (llm-d v0.10.0)."""
    return _ACTIVE_RELEASE.get()


@contextmanager
def use_release(release: LlmdRelease | str) -> Iterator[LlmdRelease]:
    """Make ``release`` (a record or its name) the :func:`active_release` inside the ``with`` block.

    Components read the release while they are constructed, so build them inside the block::

        with use_release("v0.9.0"):
            LlmdInference("m", ...)

    Raises:
        ValueError: an unknown release name (:func:`release_named`).
    """
    record = release_named(release) if isinstance(release, str) else release
    token = _ACTIVE_RELEASE.set(record)
    try:
        yield record
    finally:
        _ACTIVE_RELEASE.reset(token)


# --- every pin, for the refresh script, the tests and the posture report --------------------------------------------
#: Every image pin, by constant name. The workload images (``*_IMAGE`` constants) plus the chart images the library
#: pins through Helm values (NVIDIA device plugin) or records (agentgateway).
IMAGE_PINS: Final[dict[str, ImagePin]] = {
    name: value for name, value in globals().items() if isinstance(value, ImagePin) and name.endswith("_PIN")
}
#: Every chart pin, by constant name.
CHART_PINS: Final[dict[str, ChartPin]] = {
    name: value for name, value in globals().items() if isinstance(value, ChartPin) and name.endswith("_PIN")
}
#: Image pins recorded for reference only: the library does not put them into any manifest or values.
RECORDED_ONLY_IMAGE_PINS: Final = frozenset({"AGENTGATEWAY_CONTROLLER_PIN", "AGENTGATEWAY_PROXY_PIN"})
#: Every image reference the library deploys (workloads and chart values), tag + digest where known.
ALL_IMAGES: Final[tuple[str, ...]] = tuple(
    pin.ref for name, pin in IMAGE_PINS.items() if name not in RECORDED_ONLY_IMAGE_PINS
)
#: Pins without a digest: none could be sourced offline (no upstream file or public record holds it). Each is
#: resolved by ``scripts/refresh_digests.py --write`` with registry access; tests print this list.
DIGEST_PENDING: Final[tuple[str, ...]] = tuple(
    sorted(
        [name for name, image in IMAGE_PINS.items() if image.digest is None]
        + [name for name, chart in CHART_PINS.items() if chart.digest is None]
    )
)
#: Images the charts run with their chart-default, tag-only references (not visible in the render): the digest pin
#: for these is the chart's own pin above. kube-prometheus-stack: prometheus-operator, config-reloader, Prometheus,
#: kube-state-metrics, node-exporter, admission-webhook certgen; prometheus-adapter; Kueue, LWS, istiod/proxyv2,
#: agentgateway controller/proxy, the EFA device plugin and dcgm-exporter. No public digest for those tags was found
#: (agentgateway: found, not injectable, see above); refresh_digests.py resolves chart digests only. Kueue's
#: controller image is digest-pinned through its values (:data:`KUEUE_IMAGE_PIN`).
CHART_DEFAULT_IMAGES_NOT_DIGEST_PINNED: Final[tuple[str, ...]] = (
    "kube-prometheus-stack",
    "prometheus-adapter",
    "lws",
    "istiod",
    "agentgateway",
    "aws-efa-k8s-device-plugin",
    "dcgm-exporter",
    "keda",
    "gpu-operator-charts",
    "intel-device-plugins-operator",
)
