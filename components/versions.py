"""Every pinned image, chart and CRD version the library deploys, in one place.

Change a pin here and every component, reference stack and golden render follows. Each pin names the upstream
source that recommends it (llm-d's guides pin their versions in ``guides/env.sh`` and the Kustomize image components).
"""

from __future__ import annotations

from typing import Final

# --- llm-d router (endpoint picker) --------------------------------------------------------------------------------
#: llm-d router release whose EndpointPicker image and chart layout the serving components follow
#: (llm-d/llm-d guides/env.sh: ROUTER_CHART_VERSION / ROUTER_EPP_VERSION, June 2026).
LLMD_ROUTER_VERSION: Final = "v0.9.0"
#: Endpoint picker (EPP) image, formerly ``llm-d-inference-scheduler`` (llm-d/llm-d guides/env.sh: ROUTER_EPP_IMAGE).
EPP_IMAGE: Final = f"ghcr.io/llm-d/llm-d-router-endpoint-picker:{LLMD_ROUTER_VERSION}"
#: P/D disaggregation sidecar, formerly ``llm-d-routing-sidecar`` (llm-d/llm-d guides, pd-disaggregation).
PD_SIDECAR_IMAGE: Final = f"ghcr.io/llm-d/llm-d-router-disagg-sidecar:{LLMD_ROUTER_VERSION}"

# --- model servers ----------------------------------------------------------------------------------------------------
#: vLLM OpenAI-compatible server for NVIDIA GPUs (llm-d/llm-d guides/recipes/modelserver/components/images/gpu-vllm).
VLLM_IMAGE: Final = "vllm/vllm-openai:v0.23.0"
#: vLLM CPU build, used for the render/tokenizer service of precise-prefix-cache-routing (llm-d guides).
VLLM_CPU_IMAGE: Final = "vllm/vllm-openai-cpu:v0.23.0"
#: vLLM for Cloud TPU (llm-d guides/recipes/modelserver/components/images/tpu-vllm, used by
#: optimized-baseline/modelserver/tpu/v6).
VLLM_TPU_IMAGE: Final = "vllm/vllm-tpu:v0.22.0"
#: vLLM with the EFA libraries (libfabric, aws-ofi-nccl) for EKS pools with EFA: the image llm-d's AWS overlays use
#: (llm-d guides/recipes/modelserver/components/images/gpu-vllm/aws-efa/release/kustomization.yaml @ d557f83, used
#: by pd-disaggregation/modelserver/gpu/vllm/aws; FACTS: "AWS EFA model server image"). ``ghcr.io/llm-d/llm-d-aws``
#: was removed upstream (llm-d PR #2334).
VLLM_AWS_EFA_IMAGE: Final = "public.ecr.aws/deep-learning-containers/vllm:0.26.0-gpu-py312-cu130-ubuntu22.04-ec2"
#: llm-d inference simulator for the simulated-accelerators path (llm-d guides v0.5).
INFERENCE_SIM_IMAGE: Final = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"

#: GKE gIB (GPUDirect-RDMA over RoCE) NCCL plugin installer for x86 A3 Ultra / A4 nodes: v1.1.1, what
#: GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/nccl-rdma-installer.yaml pins on main
#: (992db81257553607f1477945f1b3219632991829, 2026-06-11; changed to v1.1.1 in 155bfa49, 2026-03-09). A4X (arm64)
#: uses nccl-plugin-gib-arm64:v1.1.0 (nccl-rdma-installer-a4x.yaml).
GIB_NCCL_PLUGIN_IMAGE: Final = "us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib:v1.1.1"
#: Pause container keeping the gIB installer DaemonSet's pods alive after the install init container (digest-pinned
#: as in GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/nccl-rdma-installer.yaml).
PAUSE_IMAGE: Final = "gke.gcr.io/pause:3.8@sha256:880e63f94b145e46f1b1082bb71b85e21f16b99b180b9996407d61240ceb9830"
#: CUDA image with DeepEP / NVSHMEM / GDRCopy the wide-EP guide runs
#: (FACTS: wide-EP ``ghcr.io/llm-d/llm-d-cuda:v0.8.0``).
LLMD_CUDA_IMAGE: Final = "ghcr.io/llm-d/llm-d-cuda:v0.8.0"

# --- Kubernetes APIs -------------------------------------------------------------------------------------------
#: Gateway API standard-channel release whose CRDs the library installs where the platform does not
#: (kubernetes-sigs/gateway-api v1.6.1, config/crd/standard).
GATEWAY_API_VERSION: Final = "v1.6.1"
#: Gateway API Inference Extension release the llm-d guides pin (llm-d/llm-d guides/env.sh: GAIE_VERSION).
GAIE_VERSION: Final = "v1.5.0"
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
KUEUE_CHART: Final = "oci://registry.k8s.io/kueue/charts/kueue"
KUEUE_CHART_VERSION: Final = KUEUE_VERSION.removeprefix("v")
#: Kueue API group/version of ResourceFlavor, ClusterQueue and LocalQueue (v1beta2 is the storage version in v0.19).
KUEUE_API_VERSION: Final = "kueue.x-k8s.io/v1beta2"
#: LeaderWorkerSet release (kubernetes-sigs/lws) the llm-d guides use for multi-node serving (FACTS: LWS v0.10.0).
LWS_VERSION: Final = "v0.10.0"
#: LWS Helm chart (kubernetes-sigs/lws charts/lws on registry.k8s.io; chart versions carry no ``v``).
LWS_CHART: Final = "oci://registry.k8s.io/lws/charts/lws"
LWS_CHART_VERSION: Final = LWS_VERSION.removeprefix("v")
#: Custom Metrics - Stackdriver Adapter image (GoogleCloudPlatform/k8s-stackdriver
#: custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml at
#: 0857364d151373fb985599f4ddee6504166de939): serves GKE Managed Prometheus metrics to the HPA.
CUSTOM_METRICS_ADAPTER_IMAGE: Final = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.1-gke.0"
#: GKE Managed Service for Prometheus API of PodMonitoring (GoogleCloudPlatform/prometheus-engine).
GMP_API_VERSION: Final = "monitoring.googleapis.com/v1"

# --- platform add-ons for clusters other than GKE (EKS, existing clusters such as kind) -------------------------------
#: Istio release llm-d's guides install as the self-managed inference gateway (FACTS: "Istio 1.29.2"; llm-d
#: docs/infrastructure/gateway/istio and install-gateway-control-plane.sh: ISTIO_VERSION=1.29.2).
ISTIO_VERSION: Final = "1.29.2"
#: Istio's Helm chart repository, charts ``base`` and ``istiod``
#: (llm-d guides/prereq/gateway-provider/istio.helmfile.yaml).
ISTIO_CHART_REPO: Final = "https://istio-release.storage.googleapis.com/charts"
ISTIO_CHART_VERSION: Final = ISTIO_VERSION
#: agentgateway release llm-d's guides install (FACTS: "agentgateway v1.1.0"; llm-d docs/resources/gateway/agentgateway:
#: AGENTGATEWAY_VERSION=v1.1.0, ``helm upgrade --install ... --version v1.1.0``; chart versions carry the ``v``).
AGENTGATEWAY_VERSION: Final = "v1.1.0"
#: agentgateway's CRD and control-plane charts, OCI artifacts on cr.agentgateway.dev (same llm-d page).
AGENTGATEWAY_CRDS_CHART: Final = "oci://cr.agentgateway.dev/charts/agentgateway-crds"
AGENTGATEWAY_CHART: Final = "oci://cr.agentgateway.dev/charts/agentgateway"
AGENTGATEWAY_CHART_VERSION: Final = AGENTGATEWAY_VERSION
#: NVIDIA k8s-device-plugin chart (NVIDIA/k8s-device-plugin deployments/helm/nvidia-device-plugin, published at
#: https://nvidia.github.io/k8s-device-plugin). 0.19.3 is the newest patch of the 0.19 line (release v0.19.3, June
#: 2026), the chart NVIDIA DeepOps pinned (k8s_gpu_plugin_chart_version) and dcgm-exporter 4.8.3 was validated with.
NVIDIA_DEVICE_PLUGIN_CHART_REPO: Final = "https://nvidia.github.io/k8s-device-plugin"
NVIDIA_DEVICE_PLUGIN_CHART: Final = "nvidia-device-plugin"
NVIDIA_DEVICE_PLUGIN_CHART_VERSION: Final = "0.19.3"
#: AWS EFA device plugin chart, exposes ``vpc.amazonaws.com/efa`` (aws/eks-charts
#: stable/aws-efa-k8s-device-plugin/Chart.yaml: version v0.5.20, appVersion v0.5.13; FACTS: "eks-charts, v0.5.x").
EFA_DEVICE_PLUGIN_CHART_REPO: Final = "https://aws.github.io/eks-charts"
EFA_DEVICE_PLUGIN_CHART: Final = "aws-efa-k8s-device-plugin"
EFA_DEVICE_PLUGIN_CHART_VERSION: Final = "v0.5.20"
#: NVIDIA DCGM exporter chart (NVIDIA/dcgm-exporter deployment/, published at
#: https://nvidia.github.io/dcgm-exporter/helm-charts): chart 4.8.3 = release 4.6.0-4.8.3 (DCGM 4.6.0, exporter
#: 4.8.3; NVIDIA/dcgm-exporter PR #712, July 2026).
DCGM_EXPORTER_CHART_REPO: Final = "https://nvidia.github.io/dcgm-exporter/helm-charts"
DCGM_EXPORTER_CHART: Final = "dcgm-exporter"
DCGM_EXPORTER_CHART_VERSION: Final = "4.8.3"

ALL_IMAGES: Final[tuple[str, ...]] = (
    EPP_IMAGE,
    PD_SIDECAR_IMAGE,
    VLLM_IMAGE,
    VLLM_CPU_IMAGE,
    VLLM_TPU_IMAGE,
    INFERENCE_SIM_IMAGE,
    CUSTOM_METRICS_ADAPTER_IMAGE,
    GIB_NCCL_PLUGIN_IMAGE,
    PAUSE_IMAGE,
    LLMD_CUDA_IMAGE,
)

# --- monitoring on clusters without a managed Prometheus ---------------------------------------------------------
#: prometheus-community kube-prometheus-stack chart; 88.2.0 ships prometheus-operator v0.93.0, whose PodMonitor /
#: ServiceMonitor CRDs the project carries (prometheus-community/helm-charts releases).
KUBE_PROMETHEUS_STACK_CHART_VERSION: Final = "88.2.0"
#: prometheus-community prometheus-adapter chart (app v0.12.0), serving custom.metrics.k8s.io to HPAs.
PROMETHEUS_ADAPTER_CHART_VERSION: Final = "5.3.0"
PROMETHEUS_COMMUNITY_CHARTS: Final = "https://prometheus-community.github.io/helm-charts"
