"""What the first-deploy twin assumes about a fresh cloud project and a fresh cluster, each fact with its source.

Durations are planning figures, not measurements of this stack: the twin uses them to order a first ``pulumi up``
and to find its critical path. Where upstream documents a number it is cited; where it does not, the figure is a
stated assumption (``assumption:``) that a reader can challenge and change in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- durations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    """How long creating one resource of a kind takes on a first deploy, in seconds, and why we think so."""

    seconds: int
    source: str


_GKE_CREATE = (
    "GKE docs 'Creating a zonal cluster' / 'Add and manage node pools' (operations take several minutes); "
    "assumption: 7 min for a cluster with its default pool"
)
_GPU_POOL = (
    "issue 11 measurement on GKE (GPU node pool incl. driver install: 7-9 min); GKE docs 'Run GPUs in "
    "Standard node pools' (driver installation on node start)"
)

#: Create durations by Pulumi resource type (prefix match, longest prefix wins). Unlisted custom resources: 5 s.
DURATIONS: dict[str, Duration] = {
    "gcp:projects/service:Service": Duration(45, "assumption: Service Usage enable operation, under a minute"),
    "gcp:compute/network:Network": Duration(25, "assumption: VPC create operation"),
    "gcp:compute/subnetwork:Subnetwork": Duration(20, "assumption: subnet create operation"),
    "gcp:compute/router:Router": Duration(20, "assumption: Cloud Router create operation"),
    "gcp:compute/routerNat:RouterNat": Duration(30, "assumption: Cloud NAT create operation"),
    "gcp:compute/firewall:Firewall": Duration(15, "assumption: firewall rule create operation"),
    "gcp:compute/resourcePolicy:ResourcePolicy": Duration(
        20,
        "assumption: Compute Engine create operation (a regional resource policy, e.g. the workload policy of a "
        "multi-host TPU7x node pool: 'gcloud compute resource-policies create workload-policy' returns in seconds; "
        "the node pool is created after it, GKE 'About Ironwood (TPU7x) in GKE')",
    ),
    "gcp:compute/": Duration(20, "assumption: Compute Engine create operation"),
    "gcp:container/cluster:Cluster": Duration(420, _GKE_CREATE),
    "gcp:container/nodePool:NodePool": Duration(180, "assumption: CPU node pool, 3 min"),
    "gcp:projects/iAMMember:IAMMember": Duration(10, "assumption: IAM policy read-modify-write"),
    "gcp:serviceaccount/": Duration(10, "assumption: IAM service account create"),
    "gcp:": Duration(15, "assumption: other Google Cloud API operations"),
    "aws:eks/cluster:Cluster": Duration(600, "EKS user guide 'Create an Amazon EKS cluster' (10-15 minutes)"),
    "aws:eks/nodeGroup:NodeGroup": Duration(240, "assumption: managed node group, 4 min (EKS user guide)"),
    "aws:eks/addon:Addon": Duration(60, "assumption: EKS add-on create, 1 min"),
    "aws:fsx/lustreFileSystem:LustreFileSystem": Duration(
        600,
        "FSx for Lustre FAQs ('Within minutes, your file system is running'); assumption: 10 min until AVAILABLE",
    ),
    "aws:ec2/natGateway:NatGateway": Duration(120, "assumption: NAT gateway becomes available in ~2 min"),
    "aws:ec2/": Duration(5, "assumption: EC2 API create"),
    "aws:iam/": Duration(5, "assumption: IAM API create"),
    "aws:": Duration(10, "assumption: other AWS API operations"),
    "pulumi:providers:": Duration(0, "a provider is configured, not created"),
    "kubernetes:helm.sh/v3:Release": Duration(90, "assumption: chart install incl. image pulls, waits until ready"),
    "kubernetes:apps/v1:Deployment": Duration(60, "assumption: small image pull + start + readiness"),
    "kubernetes:apps/v1:DaemonSet": Duration(60, "assumption: image pull + start on every node"),
    "kubernetes:apps/v1:StatefulSet": Duration(60, "assumption: image pull + start + readiness"),
    "kubernetes:batch/v1:Job": Duration(120, "assumption: a short job"),
    "kubernetes:": Duration(2, "assumption: an API-server write"),
}

#: Per-pool create durations that differ from the type default (GKE GPU/TPU pools install drivers on boot).
ACCELERATOR_POOL = Duration(480, _GPU_POOL)
#: A release whose chart takes longer than the default (many images, CRDs, operators).
SLOW_CHARTS: dict[str, Duration] = {
    "kube-prometheus-stack": Duration(180, "assumption: operator, Prometheus, Grafana, node exporter"),
    "istiod": Duration(90, "assumption: istiod rollout"),
}

#: Scale-up of a node pool beyond its initial size by the cluster autoscaler (GPU node boot + driver).
AUTOSCALE_UP = Duration(480, _GPU_POOL)


def duration_for(type_: str) -> Duration:
    """The create :class:`Duration` for a Pulumi resource type (longest matching prefix of :data:`DURATIONS`)."""
    best = ""
    for prefix in DURATIONS:
        if type_.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return DURATIONS[best] if best else Duration(5, "assumption: other resource")


# --- awaits -------------------------------------------------------------------------------------------------------

#: pulumi-kubernetes' default create await, seconds, by kind (pulumi/pulumi-kubernetes provider/pkg/await:
#: Deployment, StatefulSet, DaemonSet, Pod, Service, Ingress, PVC 10 min; Job 10 min). A Service with a selector
#: waits until its endpoints are ready (registry docs of kubernetes core/v1 Service: "There are no 'not ready'
#: endpoints -- unless ... a Service without a selector"). Custom resources are not awaited by default.
DEFAULT_AWAIT_SECONDS: dict[str, int] = {
    "Service": 600,
    "Deployment": 600,
    "StatefulSet": 600,
    "DaemonSet": 600,
    "Job": 600,
    "Pod": 600,
    "ReplicaSet": 600,
    "PersistentVolumeClaim": 600,
    "Ingress": 600,
}
#: A Helm release waits for its resources for ``timeout`` seconds, default 300 (pulumi-kubernetes
#: ``helm.sh/v3:Release`` ``timeout`` input; Helm ``--timeout`` default 5m0s).
HELM_DEFAULT_TIMEOUT = 300

# --- cloud preconditions ------------------------------------------------------------------------------------------

#: The Google API a resource type needs (prefix match), per the provider's resource docs ("API ... must be enabled").
GCP_API_FOR_TYPE: dict[str, str] = {
    "gcp:compute/": "compute.googleapis.com",
    "gcp:container/": "container.googleapis.com",
    "gcp:kms/": "cloudkms.googleapis.com",
    "gcp:certificatemanager/": "certificatemanager.googleapis.com",
    "gcp:networkservices/": "networkservices.googleapis.com",
    "gcp:iap/": "iap.googleapis.com",
    "gcp:secretmanager/": "secretmanager.googleapis.com",
}
#: APIs a Kubernetes object needs on GKE: the gke-l7 GatewayClasses and the InferencePool backends of the GKE
#: Inference Gateway (GKE docs 'Deploy GKE Inference Gateway': enable ``networkservices.googleapis.com`` and
#: ``compute.googleapis.com``); managed Prometheus objects need Cloud Monitoring.
#: A GCPBackendPolicy that turns on IAP (``spec.default.iap.enabled``) needs the IAP API (IAP docs "Enabling IAP
#: for GKE": enable the Identity-Aware Proxy API).
GCP_API_FOR_IAP_POLICY = "iap.googleapis.com"
GCP_API_FOR_KIND: dict[str, tuple[str, ...]] = {
    "Gateway": ("networkservices.googleapis.com", "compute.googleapis.com"),
    "InferencePool": ("networkservices.googleapis.com",),
    "PodMonitoring": ("monitoring.googleapis.com",),
}
#: Enabled in every new project (Google Cloud docs 'Services enabled by default' for projects created in the
#: console: bigquery, cloudapis, clouddebugger, cloudtrace, datastore, logging, monitoring, servicemanagement,
#: serviceusage, sql-component, storage-api, storage-component). ``iam`` and ``cloudresourcemanager`` are not in the
#: list but an IAM binding on a project needs only the latter; both are counted as present here (assumption).
GCP_DEFAULT_APIS: frozenset[str] = frozenset(
    {
        "bigquery.googleapis.com",
        "cloudapis.googleapis.com",
        "cloudtrace.googleapis.com",
        "datastore.googleapis.com",
        "logging.googleapis.com",
        "monitoring.googleapis.com",
        "servicemanagement.googleapis.com",
        "serviceusage.googleapis.com",
        "sql-component.googleapis.com",
        "storage-api.googleapis.com",
        "storage-component.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "iam.googleapis.com",
    }
)

#: Cloud NAT modes that translate every range of every subnet of the region (Cloud NAT API ``Router.nats[]
#: .sourceSubnetworkIpRangesToNat``); with ``LIST_OF_SUBNETWORKS`` the node subnet must be listed.
GCP_NAT_ALL_SUBNETS: frozenset[str] = frozenset(
    {"ALL_SUBNETWORKS_ALL_IP_RANGES", "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES"}
)
#: Private GKE nodes have no external IP: without Cloud NAT they reach only Google APIs and services (Private Google
#: Access), not docker.io, ghcr.io, nvcr.io or huggingface.co (GKE "About private clusters"; Cloud NAT "Example GKE
#: setup"), so the stack's model servers never pull their images or weights.
GKE_PRIVATE_NODES_NEED_NAT = "GKE 'About private clusters': private nodes reach the internet only through Cloud NAT"
#: The GKE service agent (``service-<number>@container-engine-robot.iam.gserviceaccount.com``) needs
#: ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the Secrets key before the cluster is created, and exists only
#: once ``container.googleapis.com`` is enabled (GKE "Encrypt secrets at the application layer").
GKE_KMS_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
GKE_SERVICE_AGENT_DOMAIN = "@container-engine-robot.iam.gserviceaccount.com"

# --- ordering: where custom resource definitions come from ---------------------------------------------------------

#: API groups a Helm chart installs CRDs for (the chart's ``crds/`` folder or templates).
CHART_CRD_GROUPS: dict[str, tuple[str, ...]] = {
    "kueue": ("kueue.x-k8s.io",),
    "lws": ("leaderworkerset.x-k8s.io", "disaggregatedset.x-k8s.io"),
    "kube-prometheus-stack": ("monitoring.coreos.com",),
    "base": ("networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"),
    "agentgateway-crds": ("agentgateway.dev",),
    "cert-manager": ("cert-manager.io", "acme.cert-manager.io"),
    "gpu-operator": ("nvidia.com",),
    "keda": ("keda.sh", "eventing.keda.sh"),
}
#: API groups a GKE cluster serves by itself: Gateway API and GKE's policies with ``gatewayApiConfig``, the
#: InferencePool from 1.34.0-gke.1626000 (GKE Inference Gateway docs), PodMonitoring with managed collection,
#: multi-networking objects with ``enableMultiNetworking``.
GKE_BUILTIN_GROUPS_GATEWAY = ("gateway.networking.k8s.io", "networking.gke.io", "inference.networking.k8s.io")
GKE_BUILTIN_GROUPS_GMP = ("monitoring.googleapis.com",)
GKE_BUILTIN_GROUPS_MULTINET = ("networking.gke.io",)
#: Built-in API groups of Kubernetes 1.35 (no CRD needed).
BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "v1",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "node.k8s.io",
        "resource.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    }
)
#: Namespaces every cluster has before anything is deployed.
BUILTIN_NAMESPACES: frozenset[str] = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
#: Namespaces GKE creates (managed Prometheus: ``gmp-system``, ``gmp-public``).
GKE_NAMESPACES: frozenset[str] = frozenset({"gmp-system", "gmp-public"})

# --- ordering: fail-closed admission webhooks ------------------------------------------------------------------------

#: Kueue's webhooks per integration framework (kubernetes-sigs/kueue charts/kueue templates/webhook/webhook.yaml,
#: v0.19: ``failurePolicy: Fail``): the framework name in ``integrations.frameworks`` and the kinds it intercepts.
KUEUE_FRAMEWORK_KINDS: dict[str, tuple[str, ...]] = {
    "batch/job": ("Job",),
    "pod": ("Pod",),
    "deployment": ("Deployment",),
    "statefulset": ("StatefulSet",),
    "leaderworkerset.x-k8s.io/leaderworkerset": ("LeaderWorkerSet",),
    "jobset.x-k8s.io/jobset": ("JobSet",),
}
#: Kueue's chart default frameworks (charts/kueue/values.yaml ``managerConfig.controllerManagerConfigYaml``,
#: v0.19.2) as far as they matter here; kube-system and the release namespace are always excluded.
KUEUE_DEFAULT_FRAMEWORKS: tuple[str, ...] = (
    "batch/job",
    "pod",
    "deployment",
    "statefulset",
    "leaderworkerset.x-k8s.io/leaderworkerset",
    "jobset.x-k8s.io/jobset",
)
#: API groups whose objects a chart's fail-closed validating/mutating webhook intercepts, cluster-wide: cert-manager's
#: webhook (``failurePolicy: Fail`` on cert-manager.io and acme.cert-manager.io resources, cert-manager chart
#: templates/webhook-validating-webhook.yaml / webhook-mutating-webhook.yaml) rejects Issuers and Certificates
#: until its pod serves and cainjector has injected its CA bundle.
#: KEDA's chart registers the ``keda-admission`` ValidatingWebhookConfiguration on ``keda.sh`` ScaledObjects (kedacore/
#: charts keda/templates/webhooks/validatingconfiguration.yaml, ``failurePolicy`` from ``webhooks.failurePolicy``):
#: counted as blocking, so ScaledObjects come after the release that serves it (and brings their CRD).
#: LWS's DisaggregatedSet webhook likewise (below).
CHART_WEBHOOK_GROUPS: dict[str, tuple[str, ...]] = {
    "cert-manager": ("cert-manager.io", "acme.cert-manager.io"),
    "keda": ("keda.sh",),
    # LWS with enableDisaggregatedSet registers ``vdisaggregatedset.kb.io`` on DisaggregatedSets, failurePolicy=fail
    # (kubernetes-sigs/lws pkg/webhooks/disaggregatedset/disaggregatedset_webhook.go kubebuilder marker).
    "lws": ("disaggregatedset.x-k8s.io",),
    # The Intel device plugins operator validates and defaults its device plugin CRs (GpuDevicePlugin, ...) through
    # webhooks served by its Deployment (intel/intel-device-plugins-for-kubernetes pkg/apis/deviceplugin/v1).
    "intel-device-plugins-operator": ("deviceplugin.intel.com",),
}
#: Workload kinds each chart creates in its release namespace (what another release's webhooks may intercept).
CHART_WORKLOADS: dict[str, tuple[str, ...]] = {
    "kueue": ("Deployment",),
    "lws": ("Deployment",),
    "kube-prometheus-stack": ("Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"),
    "prometheus-adapter": ("Deployment", "Pod"),
    "istiod": ("Deployment", "Pod"),
    "base": (),
    "agentgateway": ("Deployment", "Pod"),
    "agentgateway-crds": (),
    "nvidia-device-plugin": ("DaemonSet", "Pod"),
    "aws-efa-k8s-device-plugin": ("DaemonSet", "Pod"),
    "dcgm-exporter": ("DaemonSet", "Pod"),
    "intel-device-plugins-operator": ("Deployment", "Pod"),
    "intel-device-plugins-gpu": (),  # a GpuDevicePlugin CR: the operator creates the DaemonSet in its namespace
    "cert-manager": ("Deployment", "Job", "Pod"),
    "keda": ("Deployment", "Pod"),
}

# --- scheduling --------------------------------------------------------------------------------------------------

#: Extended resources a platform provides without the stack installing anything: GKE installs the NVIDIA device
#: plugin on GPU nodes and the TPU device plugin on TPU nodes (GKE docs 'About GPUs in GKE', 'About TPUs in GKE').
GKE_BUILTIN_RESOURCES: frozenset[str] = frozenset({"nvidia.com/gpu", "google.com/tpu"})
#: The Helm chart that advertises an extended resource on nodes (device plugin) on EKS and other clusters.
DEVICE_PLUGIN_CHARTS: dict[str, str] = {
    "nvidia.com/gpu": "nvidia-device-plugin",
    "vpc.amazonaws.com/efa": "aws-efa-k8s-device-plugin",
    # The AMD GPU Operator's default DeviceConfig runs the ROCm device plugin (ROCm/gpu-operator helm-charts-k8s).
    "amd.com/gpu": "gpu-operator-charts",
    # Intel's GpuDevicePlugin CR (chart intel-device-plugins-gpu, reconciled by the Intel device plugins operator)
    # runs the GPU plugin (intel/intel-device-plugins-for-kubernetes cmd/gpu_plugin/README.md).
    "gpu.intel.com/i915": "intel-device-plugins-gpu",
    "gpu.intel.com/xe": "intel-device-plugins-gpu",
    "gpu.intel.com/i915_monitoring": "intel-device-plugins-gpu",
    "gpu.intel.com/xe_monitoring": "intel-device-plugins-gpu",
}
#: Per-node resources a device plugin advertises next to a pool's device resource: Intel's GPU plugin with
#: ``enableMonitoring`` (which the library's IntelGpuDevicePlugin sets) adds one ``<resource>_monitoring`` per node,
#: the resource Intel XPU Manager's exporter requests (intel/intel-device-plugins-for-kubernetes
#: cmd/gpu_plugin/monitoring.md).
COMPANION_RESOURCES: dict[str, dict[str, int]] = {
    "gpu.intel.com/i915": {"gpu.intel.com/i915_monitoring": 1},
    "gpu.intel.com/xe": {"gpu.intel.com/xe_monitoring": 1},
}
#: The node an existing cluster without described pools is assumed to offer for CPU pods: the README's kind
#: laptop (Docker with about 8 GB of memory; 4 vCPUs assumed).
LAPTOP_NODE = {"cpu_millicores": 4000, "memory_mib": 7 * 1024, "ephemeral_storage_gib": 50}

#: vLLM's default ``--gpu-memory-utilization`` (vLLM engine args docs: 0.9) and the share of the usable memory the
#: twin wants left for the KV cache and activations after the weights (assumption: 10 %).
VLLM_GPU_MEMORY_UTILIZATION = 0.9
KV_HEADROOM = 0.10
