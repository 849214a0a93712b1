"""The stack configuration: one pydantic model, read once from Pulumi config and validated before anything registers.

A stack file (``stacks/Pulumi.<stack>.yaml``) holds plain data under the ``llmd:`` namespace::

    config:
      llmd:target: {cloud: gcp, project: my-project, region: us-central1, zone: us-central1-a}
      llmd:cluster: {name: llm-d, kubernetesVersion: "1.35"}
      llmd:namespace: llm-d-optimized-baseline
      llmd:pools: [{name: h100, machineType: a3-highgpu-8g, nodeCount: 2}]
      llmd:models: [{name: qwen3-32b, huggingFaceId: Qwen/Qwen3-32B, pool: h100, tensorParallelSize: 2, replicas: 8}]
      llmd:gateway: {className: gke-l7-regional-external-managed}
      llmd:hfToken: {secure: ...}          # optional; a Pulumi secret, never part of StackConfig

Keys are camelCase in YAML (snake_case is accepted too). Unknown keys are errors. :func:`parse_stack_config`
checks every field and then the cross-field rules that need the accelerator catalog (parallelism fits a node,
replicas fit the pool, the accelerator exists on the cloud) and raises one :class:`ConfigError` listing *all*
problems, each naming its key (``llmd:models[0].tensorParallelSize``), the value and what is allowed.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from pulumi_llmd.blueprints.issues import (
    CONFIG_NAMESPACE,
    ConfigIssue,
)
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.args import dns_label_allowed, dns_label_problem
from pulumi_llmd.components.models import ModelSpec, model_spec
from pulumi_llmd.components.quantity import parse_quantity
from pulumi_llmd.components.serving.model_server import PodResources
from pulumi_llmd.components.serving.router import path_prefix_problem, scorer_weights_problem
from pulumi_llmd.redact import is_sensitive_name, looks_like_credential

#: Top-level keys of the ``llmd:`` namespace that make up a StackConfig.
STACK_KEYS = ("target", "cluster", "namespace", "release", "pools", "models", "gateway")
#: Keys read separately as Pulumi secrets, never stored in StackConfig.
SECRET_KEYS = ("hfToken",)

_GKE_MIN_INFERENCEPOOL_MINOR = int(versions.GKE_MIN_VERSION_WITH_INFERENCEPOOL_CRD.split(".")[1])


class WellLitPath(StrEnum):
    """llm-d's well-lit paths, with llm-d's names."""

    OPTIMIZED_BASELINE = "optimized-baseline"
    PD_DISAGGREGATION = "pd-disaggregation"
    WIDE_EP = "wide-ep"
    PRECISE_PREFIX_CACHE_ROUTING = "precise-prefix-cache-routing"
    TIERED_PREFIX_CACHE = "tiered-prefix-cache"
    WORKLOAD_AUTOSCALING = "workload-autoscaling"
    SIMULATED_ACCELERATORS = "simulated-accelerators"
    FLOW_CONTROL = "flow-control"
    PREDICTED_LATENCY_ROUTING = "predicted-latency-routing"


#: The paths this release can deploy; the others are named so configs fail with a clear "not yet" message.
IMPLEMENTED_PATHS: tuple[WellLitPath, ...] = (
    WellLitPath.OPTIMIZED_BASELINE,
    WellLitPath.PD_DISAGGREGATION,
    WellLitPath.WIDE_EP,
    WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,
    WellLitPath.TIERED_PREFIX_CACHE,
    WellLitPath.SIMULATED_ACCELERATORS,
    WellLitPath.FLOW_CONTROL,
    WellLitPath.PREDICTED_LATENCY_ROUTING,
    WellLitPath.WORKLOAD_AUTOSCALING,
)


def _dns_label(value: str) -> str:
    """The name rule of the components (:func:`~pulumi_llmd.components.args.dns_label_problem`: GkeNetwork,
    GkeCluster), in its wording."""
    if dns_label_problem("name", value) is not None:
        raise ValueError(dns_label_allowed())
    return value


def _quantity(value: str | int | float) -> str:
    text = str(value)
    parse_quantity(text)  # raises ValueError with a clear message
    return text


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Quantity = Annotated[str, AfterValidator(_quantity)]

#: Namespaces a stack may not deploy into: Kubernetes' own (kubernetes.io "Namespaces": ``default``, ``kube-system``,
#: ``kube-public``, ``kube-node-lease``; the ``kube-`` prefix is reserved for them), GKE's managed ones
#: (``gmp-system``, ``gmp-public``, ``gke-gmp-system``, ``gke-managed-*``), and those of the add-ons this library
#: installs (``components/platform``: Istio, agentgateway, cert-manager, Kueue, LWS, kube-prometheus-stack, the NVIDIA
#: device plugin and DCGM exporter; ``components/gcp/monitoring.py``: the custom-metrics adapter). The stack
#: namespace gets a default-deny NetworkPolicy and its own Pod Security level: in any of these it would cut off or
#: weaken the platform.
RESERVED_NAMESPACES: tuple[str, ...] = (
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gmp-system",
    "gmp-public",
    "gke-gmp-system",
    "istio-system",
    "agentgateway-system",
    "cert-manager",
    "kueue-system",
    "lws-system",
    "monitoring",
    "custom-metrics",
    "nvidia-device-plugin",
    "dcgm-exporter",
    "gpu-operator",
    "amazon-cloudwatch",
)
_RESERVED_NAMESPACE_PREFIXES = ("kube-", "gke-managed-")


def _stack_namespace(value: str) -> str:
    if value in RESERVED_NAMESPACES or value.startswith(_RESERVED_NAMESPACE_PREFIXES):
        raise ValueError(
            f"'{value}' is a system or platform add-on namespace; allowed: a namespace of the stack's own (e.g. "
            f"llm-d), not one of {', '.join(RESERVED_NAMESPACES)} or a name starting with "
            f"{' or '.join(_RESERVED_NAMESPACE_PREFIXES)}"
        )
    return value


#: The stack namespace: a DNS label that is not reserved (:data:`RESERVED_NAMESPACES`).
StackNamespaceName = Annotated[str, AfterValidator(_dns_label), AfterValidator(_stack_namespace)]


def _llmd_release(value: object) -> str:
    """``llmd:release``: the name of a release record the library carries (``components/versions.py`` RELEASES;
    ``0.9.0`` is read as ``v0.9.0``), normalized to the record's name."""
    allowed = f"allowed: {', '.join(versions.RELEASES)} (default {versions.DEFAULT_RELEASE.name}, the newest)"
    if not isinstance(value, str):
        raise ValueError(f"must be a string naming an llm-d release the library carries; {allowed}")
    try:
        return versions.release_named(value).name
    except ValueError:
        raise ValueError(f"not an llm-d release the library carries; {allowed}") from None


#: An llm-d release the library carries (:data:`~pulumi_llmd.components.versions.RELEASES`).
LlmdReleaseName = Annotated[str, BeforeValidator(_llmd_release)]


class _Model(BaseModel):
    """Base of every stack-file section: camelCase keys, unknown keys are errors, frozen, and no boolean where a
    number or string is expected (pydantic's lax mode would read ``tensorParallelSize: true`` as 1)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )


def _cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 CIDR such as 10.0.0.0/20 ({exc})") from None
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


# --- target ---------------------------------------------------------------------------------------------------------


class GcpTarget(_Model):
    """Deploy into Google Cloud: a new GKE cluster in ``project`` / ``region`` (node pools in ``zone``)."""

    cloud: Literal["gcp"] = "gcp"
    project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    region: Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")]
    #: Zone of the accelerator node pools (compact placement and RDMA need one zone). Must lie in ``region``.
    zone: Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")]
    #: Regional control plane (recommended) or a zonal one in ``zone``.
    regional_control_plane: bool = True

    @property
    def cloud_enum(self) -> catalog.Cloud:
        return catalog.Cloud.GCP


class AwsVpcConfig(_Model):
    """The VPC of an EKS stack: a new one (``cidr``) or an existing one (``existingVpcId`` + private subnets per AZ)."""

    cidr: Cidr = "10.0.0.0/16"
    existing_vpc_id: str | None = None
    #: Availability zone -> private subnet id, for an existing VPC.
    existing_private_subnets: Mapping[str, str] | None = None
    nat_gateway_per_az: bool = False


class AwsTarget(_Model):
    """Deploy into AWS: a new EKS cluster in ``region`` over ``availabilityZones`` (GPU node groups use one AZ each)."""

    cloud: Literal["aws"]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")]
    availability_zones: Annotated[tuple[str, ...], Field(min_length=1, max_length=6)]
    vpc: AwsVpcConfig = AwsVpcConfig()
    #: IAM principals (roles/users) granted cluster-admin through EKS access entries.
    admin_principal_arns: tuple[str, ...] = ()

    @property
    def cloud_enum(self) -> catalog.Cloud:
        return catalog.Cloud.AWS


class ExistingTarget(_Model):
    """Deploy into a cluster that exists already (kind, on-prem, CoreWeave, OpenShift): no cloud resources.

    ``kubeconfig`` is a path (default: ``$KUBECONFIG`` or ``~/.kube/config``), ``context`` one of its contexts.
    """

    cloud: Literal["existing"]
    kubeconfig: str | None = None
    context: str | None = None

    @property
    def cloud_enum(self) -> catalog.Cloud:
        return catalog.Cloud.EXISTING


Target = Annotated[GcpTarget | AwsTarget | ExistingTarget, Field(discriminator="cloud")]


# --- cluster --------------------------------------------------------------------------------------------------------


class NetworkConfig(_Model):
    """VPC-native networking of the cluster. Defaults leave room for ~1000 nodes and ~250k pods."""

    subnet_cidr: Cidr = "10.0.0.0/20"
    pods_cidr: Cidr = "10.16.0.0/12"
    services_cidr: Cidr = "10.2.0.0/20"
    #: Proxy-only subnet for the regional (internal or external managed) Application Load Balancer of the gateway.
    proxy_only_cidr: Cidr = "10.3.0.0/23"
    #: Control-plane range for private clusters (``privateNodes: true``, the default).
    master_cidr: Cidr = "172.16.0.0/28"


class SystemPoolConfig(_Model):
    """The small CPU pool for system pods, the endpoint pickers and the gateway's helpers (gcp and aws targets).

    ``machineType`` (default: unset = the cloud's default, :data:`~pulumi_llmd.components.catalog.
    DEFAULT_SYSTEM_MACHINE_TYPES`: GKE ``e2-standard-8``, EKS ``m6i.2xlarge``): a general-purpose machine type of the
    target's cloud the catalog lists (:data:`~pulumi_llmd.components.catalog.SYSTEM_MACHINES`); config validation
    refuses another, refuses the key on an existing cluster, and checks every endpoint picker pod fits one node
    (:func:`~pulumi_llmd.blueprints.paths.rules.system_pod_issues`). ``minNodes`` / ``maxNodes``: 1..100 (EKS: at
    least 2 each).
    """

    machine_type: str | None = None
    min_nodes: Annotated[int, Field(ge=1, le=100)] = 1
    max_nodes: Annotated[int, Field(ge=1, le=100)] = 3


ReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]


class ControlPlaneConfig(_Model):
    """Who may reach the cluster's Kubernetes API (``llmd:cluster.controlPlane``); gcp and aws targets only.

    ``authorizedCidrs`` (default: unset = ``[]``, a private endpoint): the IPv4 CIDRs allowed to reach the control
    plane's public endpoint. The machine running ``pulumi up`` must reach the API, since the Kubernetes provider talks
    to it from there: list its address (e.g. your public address as ``x.x.x.x/32``), or run ``pulumi up`` from inside
    the VPC (a bastion, Cloud Shell with VPC access, a CI runner in the VPC). Unset or ``[]`` closes the public
    endpoint: EKS gets a private endpoint only (``endpointPublicAccess: false``), GKE master authorized networks with
    no entry and a private endpoint (with private nodes). ``0.0.0.0/0`` opens it to the internet:
    allowed, but flagged by the render as an insecure choice. GKE: ``masterAuthorizedNetworksConfig`` (GKE "Harden
    your cluster's security", restrict control-plane access); EKS: ``vpcConfig.publicAccessCidrs`` (EKS user guide
    "Cluster API server endpoint").
    """

    authorized_cidrs: tuple[Cidr, ...] | None = None


class ClusterConfig(_Model):
    """The Kubernetes cluster: name, version, release channel, networking, hardening.

    ``privateNodes`` (gcp only, default true): GKE nodes without external IPs; the stack adds Cloud Router + Cloud NAT
    so they still pull images and weights from docker.io, ghcr.io and Hugging Face. EKS nodes always live in private
    subnets behind NAT gateways. ``controlPlane``: see :class:`ControlPlaneConfig`. ``secretsKmsKey`` (gcp only,
    default: the stack creates a Cloud KMS key ring + key rotated every 90 days): a Cloud KMS key of your own,
    ``projects/<project>/locations/<target.region>/keyRings/<ring>/cryptoKeys/<key>``, for the application-layer
    encryption of Secrets (the stack grants the GKE service agent ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on
    it). EKS always encrypts Secrets with a KMS key the stack creates.
    """

    name: DnsLabel = "llm-d"
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}(\.[0-9]+(-gke\.[0-9]+)?)?$")] = (
        versions.KUBERNETES_VERSION
    )
    release_channel: ReleaseChannel = "REGULAR"
    private_nodes: bool = True
    control_plane: ControlPlaneConfig = ControlPlaneConfig()
    secrets_kms_key: str | None = None
    #: Deletion protection of the control plane; on by default as for any production cluster.
    deletion_protection: bool = True
    network: NetworkConfig = NetworkConfig()
    system_pool: SystemPoolConfig = SystemPoolConfig()


# --- accelerator pools ----------------------------------------------------------------------------------------------

Provisioning = Literal["on-demand", "spot", "reservation", "flex-start", "capacity-block"]
#: Provisioning models each cloud offers.
PROVISIONING_BY_CLOUD: Mapping[str, tuple[str, ...]] = {
    "gcp": ("on-demand", "spot", "reservation", "flex-start"),
    "aws": ("on-demand", "spot", "capacity-block"),
    "existing": ("on-demand",),
}


class TolerationConfig(_Model):
    key: str
    operator: Literal["Equal", "Exists"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class AutoscalingConfig(_Model):
    min_nodes: Annotated[int, Field(ge=0, le=1000)] = 0
    max_nodes: Annotated[int, Field(ge=1, le=1000)]


class PoolConfig(_Model):
    """An accelerator node pool. Give ``machineType`` or ``accelerator`` (+ ``acceleratorCount`` where a family has
    several sizes); the other is taken from the catalog. Size it with ``nodeCount`` (fixed) or ``autoscaling``.
    """

    name: DnsLabel
    machine_type: str | None = None
    accelerator: str | None = None
    accelerator_count: Annotated[int, Field(ge=1, le=16)] | None = None
    node_count: Annotated[int, Field(ge=0, le=1000)] | None = None
    autoscaling: AutoscalingConfig | None = None
    #: GKE: on-demand, spot, a named reservation (``reservation``) or DWS flex-start; EKS: on-demand, spot or a
    #: Capacity Block (its reservation id in ``reservation``). Must be offered for the machine type
    #: (``catalog.MachineShape.consumption``: A3 Ultra / A4 are not sold on-demand). Default: the first the machine
    #: type offers of on-demand, flex-start, reservation (``catalog.default_consumption``): flex-start on A3 Ultra / A4.
    provisioning: Provisioning | None = None
    reservation: str | None = None
    #: EKS: the pool's availability zone (default: the target's first) and EFA (default: on where the type has it).
    availability_zone: str | None = None
    efa: bool | None = None
    #: Existing clusters: how pods find the pool's nodes and what one node offers.
    node_selector: Mapping[str, str] | None = None
    tolerations: tuple[TolerationConfig, ...] = ()
    resource_name: str = "nvidia.com/gpu"
    devices_per_node: Annotated[int, Field(ge=1, le=64)] | None = None
    vcpus: Annotated[int, Field(ge=1, le=4096)] | None = None
    memory_gib: Annotated[int, Field(ge=1, le=65536)] | None = None
    #: GKE: attach the GPUDirect-RDMA fabric (RDMA VPC over RoCE, 8 NICs per node) to the pool; default: on where the
    #: machine type has RoCE NICs (a3-ultragpu-8g, a4-highgpu-8g).
    rdma: bool | None = None
    #: Existing clusters: the extended resource the nodes' RDMA NICs are advertised as (``rdma/ib``, e.g. by the
    #: NVIDIA network operator or the k8s-rdma-shared-dev-plugin) and how many one node has.
    rdma_resource: str | None = None
    rdma_devices_per_node: Annotated[int, Field(ge=1, le=64)] = 1
    #: GKE TPU pools: the slice topology (``cloud.google.com/gke-tpu-topology``), e.g. ``2x4`` on ct6e-standard-8t;
    #: default: the machine type's single-host topology.
    tpu_topology: Annotated[str, Field(pattern=r"^[0-9]+x[0-9]+(x[0-9]+)?$")] | None = None
    #: COMPACT placement (one zone, low-latency interconnect for multi-node jobs).
    compact_placement: bool = False
    #: GKE-managed NVIDIA driver install: DEFAULT or LATEST driver for the node version.
    gpu_driver_version: Literal["DEFAULT", "LATEST"] = "LATEST"
    boot_disk_type: str | None = None
    boot_disk_size_gb: Annotated[int, Field(ge=50, le=65536)] = 200

    @model_validator(mode="before")
    @classmethod
    def _resource_from_catalog(cls, data: Any) -> Any:
        """Existing clusters: without ``resourceName`` a pool naming a catalog ``accelerator`` requests the catalog's
        resource (``amd-instinct-mi300x`` -> ``amd.com/gpu``, ``intel-xpu`` -> ``gpu.intel.com/i915``, ``cpu`` -> none)
        instead of the ``nvidia.com/gpu`` default; an unknown accelerator is reported by the target's pool check."""
        if not isinstance(data, Mapping) or "resourceName" in data or "resource_name" in data:
            return data
        name = data.get("accelerator")
        if not isinstance(name, str):
            return data
        try:
            known = catalog.accelerator(name)
        except catalog.CatalogError:
            return data
        return {**data, "resourceName": known.resource_name}

    @property
    def is_cpu(self) -> bool:
        """CPU-only serving (``accelerator: cpu``): no device is requested."""
        return self.accelerator is not None and self.accelerator.strip().lower() == catalog.CPU.name

    @property
    def max_nodes(self) -> int:
        """The most nodes this pool can have: ``autoscaling.maxNodes`` or ``nodeCount``."""
        if self.autoscaling is not None:
            return self.autoscaling.max_nodes
        return self.node_count or 0


# --- models ---------------------------------------------------------------------------------------------------------


class ModelResources(_Model):
    """CPU and memory of one model-server pod (the guide's values for Qwen3-32B at TP 2 by default)."""

    cpu_request: Quantity = "8"
    cpu_limit: Quantity = "16"
    memory_request: Quantity = "96Gi"
    memory_limit: Quantity = "128Gi"
    #: Size of the in-memory /dev/shm (NCCL and vLLM's shared-memory transport need it for TP > 1).
    shm_size: Quantity = "20Gi"

    def to_pod_resources(self) -> PodResources:
        """These values as the serving components' :class:`PodResources`."""
        return PodResources(**self.model_dump())


class PickerResources(_Model):
    """The endpoint picker container's CPU and memory (default: the llm-d-router chart's 4 CPU / 8Gi request, 16Gi
    limit on clouds; 100m / 256Mi request, 1Gi limit on an existing cluster without accelerator pools, e.g. kind)."""

    cpu_request: Quantity
    memory_request: Quantity
    cpu_limit: Quantity | None = None
    memory_limit: Quantity | None = None

    def to_k8s(self) -> dict[str, dict[str, str]]:
        """As a container ``resources`` mapping (limits only where given)."""
        limits = {k: v for k, v in (("cpu", self.cpu_limit), ("memory", self.memory_limit)) if v is not None}
        out: dict[str, dict[str, str]] = {"requests": {"cpu": self.cpu_request, "memory": self.memory_request}}
        if limits:
            out["limits"] = limits
        return out


class RouterConfig(_Model):
    """The endpoint picker (EPP) in front of a model's InferencePool."""

    #: Endpoint pickers; 2 by default (leader-elected or active-active: the llm-d-practices pack requires HA).
    replicas: Annotated[int, Field(ge=1, le=10)] = 2
    #: Scorer weights; the defaults are the optimized-baseline guide's.
    scorer_weights: Mapping[str, Annotated[int, Field(ge=0, le=100)]] | None = None
    #: EPP log verbosity (``-v``).
    verbosity: Annotated[int, Field(ge=0, le=10)] = 2
    #: The picker container's CPU / memory; default per target (see :class:`PickerResources`).
    resources: PickerResources | None = None

    @field_validator("scorer_weights")
    @classmethod
    def _known_scorers(cls, value: Mapping[str, int] | None) -> Mapping[str, int] | None:
        # The endpoint picker's own rule (components/serving/router.py scorer_weights_problem, KNOWN_SCORERS).
        problem = scorer_weights_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class PrefillConfig(_Model):
    """The prefill servers of a pd-disaggregation model (the model's own fields size its decode servers)."""

    replicas: Annotated[int, Field(ge=1, le=4096)] = 1
    tensor_parallel_size: Annotated[int, Field(ge=1, le=64)] = 1
    #: wide-ep: data-parallel ranks of one prefill group (default: the decode's ``dataParallelSize``).
    data_parallel_size: Annotated[int, Field(ge=1, le=4096)] | None = None
    #: CPU and memory of one prefill pod (default: the decode pods' ``resources``).
    resources: ModelResources | None = None


class KvOffloadConfig(_Model):
    """The CPU tier of a tiered-prefix-cache model: vLLM offloads evicted KV-cache blocks to host memory."""

    #: ``native``: vLLM's OffloadingConnector (the guide's recommendation); ``lmcache``: LMCacheConnectorV1.
    connector: Literal["native", "lmcache"] = "native"
    #: Host memory per server for offloaded KV blocks, GiB; default: half of what the node's memory leaves per pod
    #: after the pod's own request (see :func:`default_offload_gib`).
    cpu_gib: Annotated[int, Field(ge=1, le=65536)] | None = None
    #: KV-cache bytes per token of the model, to size the picker's CPU-tier index (guide: 160 KB for Qwen3-32B).
    kv_bytes_per_token: Annotated[int, Field(ge=1, le=100_000_000)] = 160 * 1024


#: Environment variable names: a C identifier (what shells and most programs read; Kubernetes 1.34+ would take more).
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=253)]


class SecretKeyRef(_Model):
    """One key of a Kubernetes Secret in the stack namespace, read into an env var (``valueFrom.secretKeyRef``).

    ``secretName`` is the Secret's name (a DNS subdomain), ``key`` one of its data keys (``[-._a-zA-Z0-9]+``,
    Kubernetes' rule for Secret keys). Create the Secret outside the stack (``kubectl create secret generic ...``);
    the pods wait in ``CreateContainerConfigError`` until it exists.
    """

    secret_name: Annotated[
        str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", max_length=253)
    ]
    key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]


#: Values of a sensitive env name that are switches, not secrets (``HF_HUB_DISABLE_IMPLICIT_TOKEN=1``).
_SWITCH_VALUES = frozenset({"", "0", "1", "true", "false", "yes", "no", "on", "off"})
_HF_TOKEN_NAMES = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN"})
_HF_HINT = " (the Hugging Face token: pulumi config set --secret llmd:hfToken <token>; the stack puts it in a Secret)"
_GENERIC_FLAG_FIX = "read the value from a Kubernetes Secret through secretEnv instead"
#: How to pass what a secret-bearing vLLM flag carries without the flag (vLLM reads VLLM_API_KEY and HF_TOKEN from
#: its environment: vllm-project/vllm docs/getting_started/quickstart.md, "--api-key or environment variable
#: VLLM_API_KEY"; huggingface_hub reads HF_TOKEN).
_FLAG_FIX = {
    "--api-key": "drop the flag and set secretEnv.VLLM_API_KEY (secretName, key): vLLM reads its API key from the "
    "env var VLLM_API_KEY",
    "--hf-token": "drop the flag: set the stack's token with pulumi config set --secret llmd:hfToken <token> (vLLM "
    "reads HF_TOKEN from the Secret the stack creates), or secretEnv.HF_TOKEN for a Secret of your own",
}


def _split_ws(arg: str) -> tuple[str, str, str]:
    """``("--flag", " ", "value")`` for ``"--flag value"`` written as one argument, else ``(arg, "", "")``."""
    parts = arg.strip().split(None, 1)
    return (parts[0], " ", parts[1]) if len(parts) == 2 else (arg, "", "")


def _is_literal_secret(name: str, value: str) -> bool:
    """A literal env value that is a secret: under a sensitive name (and not a switch) or credential-shaped."""
    if is_sensitive_name(name) and value.strip().lower() not in _SWITCH_VALUES:
        return True
    return looks_like_credential(value)


#: Keys of a model that only one path reads.
_PATH_ONLY_MODEL_KEYS: Mapping[str, tuple[WellLitPath, ...]] = {
    "prefill": (WellLitPath.PD_DISAGGREGATION, WellLitPath.WIDE_EP),
    "kv_transport": (WellLitPath.PD_DISAGGREGATION,),
    "kv_offload": (WellLitPath.TIERED_PREFIX_CACHE,),
    "tokenizer_replicas": (WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,),
    "data_parallel_size": (WellLitPath.WIDE_EP,),
    "data_parallel_size_local": (WellLitPath.WIDE_EP,),
    "objectives": (WellLitPath.FLOW_CONTROL,),
    "latency_predictor": (WellLitPath.PREDICTED_LATENCY_ROUTING,),
    "autoscaling": (WellLitPath.WORKLOAD_AUTOSCALING, WellLitPath.PD_DISAGGREGATION),
    "workload_form": (WellLitPath.PD_DISAGGREGATION, WellLitPath.WIDE_EP),
    # One fleet of vLLM servers whose flags the path takes from the model (blueprints/paths/optimized_baseline.py).
    "lora_adapters": (
        WellLitPath.OPTIMIZED_BASELINE,
        WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,
        WellLitPath.TIERED_PREFIX_CACHE,
        WellLitPath.FLOW_CONTROL,
        WellLitPath.PREDICTED_LATENCY_ROUTING,
        WellLitPath.WORKLOAD_AUTOSCALING,
    ),
}

#: The model-server forms a path can build (``llmd:models[i].workloadForm``), the DisaggregatedSet first:
#: ``disaggregatedSet`` is upstream's ``disaggregatedset.x-k8s.io/v1`` DisaggregatedSet (llm-d v0.10.0 guides:
#: pd-disaggregation/.../base/disaggregatedset.yaml, wide-ep/.../base/disaggregatedset.yaml), the other the form before.
WORKLOAD_FORMS: Mapping[WellLitPath, tuple[str, str]] = {
    WellLitPath.PD_DISAGGREGATION: ("disaggregatedSet", "deployment"),
    WellLitPath.WIDE_EP: ("disaggregatedSet", "leaderWorkerSet"),
}
#: Whether P/D and wide-EP default to the DisaggregatedSet form when the release matrix does not say
#: (``LlmdRelease.disaggregated_set_default`` of ``components.versions.active_release()``, when it exists, wins).
DISAGGREGATED_SET_DEFAULT: bool = True


def disaggregated_set_default() -> bool:
    """Whether ``workloadForm`` defaults to ``disaggregatedSet``: the active release's ``disaggregated_set_default``
    (``components/versions.py`` ``active_release()``) when the release matrix has one, else
    :data:`DISAGGREGATED_SET_DEFAULT` (True: llm-d's v0.10.0 guides build P/D and wide-EP as DisaggregatedSets)."""
    active = getattr(versions, "active_release", None)
    if callable(active):
        value = getattr(active(), "disaggregated_set_default", None)
        if isinstance(value, bool):
            return value
    return DISAGGREGATED_SET_DEFAULT


def workload_form_issues(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """``workloadForm`` of a pd-disaggregation / wide-ep model (``key``: ``llmd:models[i]``): a form of the model's
    path (:data:`WORKLOAD_FORMS`); with the DisaggregatedSet form, names the LWS webhook accepts for the children
    the controller derives from the model name (:func:`~pulumi_llmd.components.serving.disaggregated_set.
    child_name_problem`). The key on other paths is reported by the path-keys rule."""
    from pulumi_llmd.components.serving.disaggregated_set import child_name_problem

    forms = WORKLOAD_FORMS.get(model.path)
    if forms is None:
        return []
    if model.workload_form is not None and model.workload_form not in forms:
        return [
            ConfigIssue(
                key=f"{key}.workloadForm",
                value=model.workload_form,
                message=f"is not a form of path '{model.path.value}'; allowed: {', '.join(forms)}",
            )
        ]
    if not model.uses_disaggregated_set:
        return []
    prefill = model.prefill.replicas if model.prefill is not None else 1
    for role, replicas in (("prefill", prefill), ("decode", model.replicas)):
        problem = child_name_problem(model.name, role, replicas)
        if problem:
            return [ConfigIssue(key=f"{key}.name", value=model.name, message=problem)]
    return []


#: An image reference with a tag or a digest: ``[registry/]repository:tag[@sha256:<64 hex>]`` or
#: ``repository@sha256:<64 hex>`` (distribution/reference grammar, lower-case repository path).
_IMAGE_REF = (
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$"
)
#: Tags that move (a new image under the same name): refused for ``image`` (the images-pinned practice's list).
_MOVING_TAGS = frozenset({"latest", "main", "master", "nightly", "stable", "edge", "dev", "head", "canary", "rc"})


class ObjectiveConfig(_Model):
    """One ``InferenceObjective`` of a flow-control model (``llmd:models[i].objectives[j]``): requests that send
    ``x-llm-d-inference-objective: <name>`` queue in the priority band ``priority`` (higher first). The path module
    checks the values (:mod:`pulumi_llmd.blueprints.paths.flow_control`: DNS-label names, unique, int32 priorities).
    Source: llm-d/llm-d ``guides/flow-control/objectives.yaml`` (``llm-d.ai/v1alpha2``, ``spec.priority``)."""

    #: The InferenceObjective's name, the value clients send in ``x-llm-d-inference-objective``.
    name: str
    #: Priority band of the objective's requests (an integer; higher is served first).
    priority: int


class LatencyPredictorConfig(_Model):
    """The latency predictor of a predicted-latency-routing model (``llmd:models[i].latencyPredictor``). The path
    module checks the values (:mod:`pulumi_llmd.blueprints.paths.predicted_latency_routing`). Source: llm-d/llm-d
    ``guides/predicted-latency-routing/router/predicted-latency{,-slo}.values.yaml`` and the llm-d-router chart's
    ``router.latencyPredictor.predictionServers.count``."""

    #: Admit and place requests against their ``x-llm-d-slo-ttft-ms`` / ``x-llm-d-slo-tpot-ms`` headers (the guide's
    #: ``predicted-latency-slo.values.yaml``); false routes on predicted latency only
    #: (``predicted-latency.values.yaml``, the guide's default). Default: false.
    slo_aware: bool = False
    #: Train the predictor on streamed TTFT/TPOT samples (``streamingMode: true``: clients must send
    #: ``"stream": true``); false trains on end-to-end latency. Default: None (true when ``sloAware``, as the guide's
    #: SLO file sets it; false otherwise, as its routing-only file leaves it).
    streaming_mode: bool | None = None
    #: Prediction server sidecars of each endpoint picker, 1..10. Default: 1 (the chart's).
    prediction_servers: int = 1


#: vLLM's ``--max-lora-rank`` choices (vllm-project/vllm ``vllm/config/lora.py`` ``MaxLoRARanks``; default 16).
LORA_RANKS: tuple[int, ...] = (1, 8, 16, 32, 64, 128, 256, 320, 512)


class LoraAdapterConfig(_Model):
    """One LoRA adapter a model's vLLM servers load at start (``llmd:models[i].loraAdapters[j]``): vLLM
    ``--lora-modules <name>=<huggingFaceId>`` (vllm-project/vllm ``docs/features/lora.md`` "Serving LoRA Adapters";
    a Hugging Face repo id is downloaded with the model's token, ``vllm/lora/utils.py``
    ``get_adapter_absolute_path``). Clients select it with ``"model": "<name>"``; the body-based router maps the name
    to the base model's pool (llm-d/llm-d ``guides/multi-model-routing`` "LoRA Adapter Routing"). The rules
    (DNS-label names, unique across the gateway) are in :func:`pulumi_llmd.blueprints.paths.routing.lora_issues`."""

    #: The adapter's name, what clients send in ``model``: a lowercase DNS label, unique across the gateway.
    name: str
    #: The adapter's Hugging Face repo id (``org/name``).
    hugging_face_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")]
    #: The adapter's LoRA rank; the largest sets ``--max-lora-rank`` (one of :data:`LORA_RANKS`). Default: None
    #: (vLLM's 16).
    rank: int | None = None


class ModelAutoscalingConfig(_Model):
    """How a model's servers scale (``llmd:models[i].autoscaling``), on the workload-autoscaling path (one fleet) or
    per role on pd-disaggregation. The path modules check the combinations
    (:func:`pulumi_llmd.blueprints.paths.workload_autoscaling.autoscaling_issues`). Sources: llm-d/llm-d
    ``guides/workload-autoscaling`` (``keda-epp-queue``, ``keda-epp-saturation``, ``keda-epp-token-aware``)."""

    #: ``keda``: KEDA ScaledObjects on the endpoint picker's / vLLM's metrics from Prometheus (llm-d's recommended
    #: path); ``hpa``: an ``autoscaling/v2`` HPA on vLLM's ``vllm:num_requests_waiting`` per pod through the metrics
    #: adapter (the legacy form). Default: ``keda``.
    autoscaler: Literal["keda", "hpa"] = "keda"
    #: KEDA's signal: ``queue`` (flow-control queue + running requests; workload-autoscaling's default),
    #: ``saturation`` (pool saturation + running requests), ``token-aware`` (per role for P/D: prefill backlog
    #: seconds, decode KV-cache occupancy; pd-disaggregation's default and only one). Default: None (the path's).
    metric: Literal["queue", "saturation", "token-aware"] | None = None
    #: The fleet's fewest replicas (KEDA ``minReplicaCount``); 0 scales to zero (KEDA ``queue`` only). Default: None
    #: (the model's ``replicas``). Single-role only: on pd-disaggregation each role's ``replicas`` is its minimum.
    min_replicas: Annotated[int, Field(ge=0, le=4096)] | None = None
    #: The fleet's most replicas. Default: None (what the pool holds at its largest). Single-role only.
    max_replicas: Annotated[int, Field(ge=1, le=4096)] | None = None
    #: Seconds KEDA waits after the last active trigger before scaling to zero (read with ``minReplicas: 0``).
    #: Default: 300 (the queue guide's).
    cooldown_period: Annotated[int, Field(ge=0, le=86400)] = 300
    #: ``token-aware``: prompt tokens per second one prefill replica retires, the divisor turning the picker's
    #: in-flight prefill tokens into seconds of backlog. Default: 33821 (the guide's gpt-oss-120b on H200 figure;
    #: measure yours with llm-d's guides/recipes/router/calibration/calibrate.sh).
    peak_prefill_throughput: Annotated[int, Field(ge=1, le=100_000_000)] = 33821


class WeightsCacheConfig(_Model):
    """Where a model's servers read their weights (``llmd:models[i].weightsCache``): a volume filled once by a loader
    Job and mounted read-only by every server, instead of each server downloading from the Hugging Face Hub. The
    rules (kinds per target, defaults, sizes) are in :mod:`pulumi_llmd.blueprints.targets.weights_cache`."""

    #: ``none`` (each server downloads), ``hyperdisk-ml`` (GKE), ``fsx-lustre`` (EKS: an FSx for Lustre file
    #: system), ``pvc`` (a ReadWriteMany PVC of ``storageClassName``, or ``existingClaim``). Default: the target's
    #: default kind for models of at least 40 GiB, else ``none``.
    kind: Literal["none", "hyperdisk-ml", "fsx-lustre", "pvc"]
    #: ``hyperdisk-ml``: the volume's provisioned throughput, MiB/s, shared by the servers reading it (400 to 1,200,000,
    #: Compute Engine "About Hyperdisk ML"). Default: 1024 x the model's servers, at least 2400 (the GKE
    #: Hyperdisk ML StorageClass example's), so each server starting at once reads at the loader's 1.0 GiB/s.
    throughput_mib_per_s: Annotated[int, Field(ge=400, le=1_200_000)] | None = Field(
        default=None, alias="throughputMiBps"
    )
    #: ``pvc``: the StorageClass of the PVC the stack creates (it must offer ReadWriteMany).
    storage_class_name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)] | None = None
    #: ``pvc``: a ReadWriteMany PVC of the stack namespace that exists already (filled or not: the loader downloads
    #: what is missing).
    existing_claim: DnsLabel | None = None
    #: ``pvc``: the volume's read throughput as its provider publishes it, MiB/s, for the start estimates. Default: None
    #: (the loader-bound 1024 MiB/s).
    read_mib_per_s: Annotated[int, Field(ge=1, le=10_000_000)] | None = Field(default=None, alias="readMiBps")
    #: ``fsx-lustre``: the file system's throughput per TiB of storage, MB/s/TiB (PERSISTENT_2: 125, 250, 500 or
    #: 1000, FSx for Lustre user guide "Managing throughput capacity"). Default: None (1000; the capacity is then sized
    #: so that every server starting at once reads at the loader's 1.0 GiB/s).
    per_unit_storage_throughput: Literal[125, 250, 500, 1000] | None = None


class ModelConfig(_Model):
    """One served model: its vLLM server fleet, endpoint picker, InferencePool and route."""

    name: DnsLabel
    #: Hugging Face model id, e.g. ``Qwen/Qwen3-32B``.
    #: (``random`` serves the simulator's random answers on the simulated-accelerators path.)
    hugging_face_id: Annotated[str, Field(pattern=r"^([A-Za-z0-9][\w.-]*/[\w.-]+|random)$")]
    #: The model name clients send; defaults to the Hugging Face id (as vLLM does).
    served_name: str | None = None
    #: The accelerator pool (``pools[].name``); may be left out when the stack has one pool.
    pool: str | None = None
    path: WellLitPath = WellLitPath.OPTIMIZED_BASELINE
    replicas: Annotated[int, Field(ge=1, le=4096)] = 1
    tensor_parallel_size: Annotated[int, Field(ge=1, le=64)] = 1
    pipeline_parallel_size: Annotated[int, Field(ge=1, le=64)] = 1
    max_model_len: Annotated[int, Field(ge=256, le=10_000_000)] | None = None
    gpu_memory_utilization: Annotated[float, Field(gt=0.1, le=0.99)] | None = None
    #: More ``vllm serve`` flags, appended last. No credentials: ``--api-key``/``--hf-token`` values and
    #: credential-shaped arguments are errors (use ``secretEnv``); flags set from other fields are errors too.
    extra_args: tuple[str, ...] = ()
    #: More container environment (literal values). No credentials: a sensitive name (``HF_TOKEN``, ``*_API_KEY``,
    #: ``*_PASSWORD`` ...) with a value, or a credential-shaped value, is an error (use ``secretEnv``).
    extra_env: Mapping[str, str] = Field(default_factory=dict)
    #: Environment read from Kubernetes Secrets of the stack namespace (``valueFrom.secretKeyRef``), e.g.
    #: ``{VLLM_API_KEY: {secretName: vllm-api-key, key: token}}`` (vLLM reads its API key from ``VLLM_API_KEY``:
    #: vllm-project/vllm ``docs/getting_started/quickstart.md``). The Secret is created outside the stack. Default:
    #: none.
    secret_env: Mapping[EnvName, SecretKeyRef] = Field(default_factory=dict)
    #: The model server's container image instead of the path's pinned one (``components/versions.py``: vLLM, vLLM
    #: TPU, the EFA build for P/D on EFA, the CUDA image for wide-EP), e.g. a vLLM build of your own. Default: the
    #: pin. It must be immutable: a digest (``repo:tag@sha256:...``) or a version tag; no tag, ``latest`` and other
    #: moving tags (``main``, ``nightly``, ``stable``...) are errors (the ``images-pinned`` practice).
    image: Annotated[str, Field(max_length=512, pattern=_IMAGE_REF)] | None = None
    resources: ModelResources = ModelResources()
    router: RouterConfig = RouterConfig()
    #: Path prefix of the HTTPRoute rule that sends requests to this model's InferencePool.
    route_path_prefix: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/._-]*$", max_length=1024)] = "/"
    #: pd-disaggregation: the prefill servers, and how KV caches move to decode (``rdma``: NIXL over the pool's RDMA
    #: fabric, the default; ``tcp``: over the pod network, for pools without RDMA, much slower).
    prefill: PrefillConfig | None = None
    kv_transport: Literal["rdma", "tcp"] = "rdma"
    #: vLLM ``--block-size`` in tokens (default per path: 128 for P/D, 64 for precise prefix-cache routing).
    block_size: Annotated[int, Field(ge=1, le=1024)] | None = None
    #: tiered-prefix-cache: the CPU tier (defaults apply when left out).
    kv_offload: KvOffloadConfig | None = None
    #: precise-prefix-cache-routing: CPU render (tokenizer) pods the endpoint pickers share.
    tokenizer_replicas: Annotated[int, Field(ge=1, le=100)] = 3
    #: wide-ep: data-parallel ranks of one decode engine (its experts are spread over them), and ranks per pod
    #: (default: the node's GPUs / TP, one rank per GPU as the guide runs it). One LeaderWorkerSet group spans
    #: ``dataParallelSize / dataParallelSizeLocal`` pods; ``replicas`` counts groups.
    data_parallel_size: Annotated[int, Field(ge=1, le=4096)] | None = None
    data_parallel_size_local: Annotated[int, Field(ge=1, le=64)] | None = None
    #: Size of the model's weight files, GiB, overriding the model catalog (``components/models.py``) or its estimate
    #: from the id; sizes the weights cache and the GPU-memory / disk checks.
    weights_gib: Annotated[float, Field(gt=0, le=1_000_000)] | None = Field(default=None, alias="weightsGiB")
    #: Where the servers read the weights: a cache volume filled once (see :class:`WeightsCacheConfig`). Default: None
    #: (the target's default cache for models of at least 40 GiB, else none).
    weights_cache: WeightsCacheConfig | None = None
    #: flow-control: the InferenceObjectives of the model's InferencePool, ``[{name, priority}]``. Default: None (the
    #: guide's three: premium-traffic 100, standard-traffic 0, best-effort-traffic -10).
    objectives: tuple[ObjectiveConfig, ...] | None = None
    #: predicted-latency-routing: the latency predictor and SLO-aware scheduling. Default: None (routing on predicted
    #: latency only, one prediction server per picker).
    latency_predictor: LatencyPredictorConfig | None = None
    #: workload-autoscaling / pd-disaggregation: how the servers scale (KEDA or the HPA, the metric, bounds,
    #: scale to zero). Default: None (workload-autoscaling: KEDA on the queue metrics; pd-disaggregation built as a
    #: DisaggregatedSet: KEDA per role on the token-aware signals; as Deployments: an HPA per role on vLLM's queue
    #: depth).
    autoscaling: ModelAutoscalingConfig | None = None
    #: pd-disaggregation / wide-ep: how the model servers are built: ``disaggregatedSet`` (one upstream
    #: DisaggregatedSet with roles prefill and decode, as llm-d's v0.10.0 guides), ``deployment`` (pd-disaggregation:
    #: a Deployment per role) or ``leaderWorkerSet`` (wide-ep: a LeaderWorkerSet per role). Default: None
    #: (``disaggregatedSet``, or what the release matrix says: :func:`disaggregated_set_default`).
    workload_form: Literal["disaggregatedSet", "deployment", "leaderWorkerSet"] | None = None
    #: LoRA adapters the servers load at start (vLLM ``--enable-lora --lora-modules``, ``--max-loras`` = their count,
    #: ``--max-lora-rank`` = their largest ``rank``); single-fleet paths only. Default: none.
    lora_adapters: tuple[LoraAdapterConfig, ...] = ()

    @field_validator("extra_env")
    @classmethod
    def _no_env_secrets(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for name, text in value.items():
            if _is_literal_secret(name, text):
                raise ValueError(
                    f"{name} holds a secret in plain text (it would be written into the manifests and the Pulumi "
                    f"state); read it from a Kubernetes Secret instead: move it to secretEnv.{name} with "
                    f"secretName and key{_HF_HINT if name in _HF_TOKEN_NAMES else ''}"
                )
        return value

    @field_validator("extra_args")
    @classmethod
    def _no_arg_secrets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, arg in enumerate(value):
            flag, _, inline = arg.partition("=") if arg.startswith("-") and "=" in arg else (*_split_ws(arg),)
            following = value[index + 1] if index + 1 < len(value) else ""
            if flag.startswith("-") and is_sensitive_name(flag):
                given = inline or (following if following and not following.startswith("-") else "")
                if given:
                    raise ValueError(
                        f"extraArgs[{index}]: {flag} puts a secret on the command line (manifests, state, ps); "
                        f"{_FLAG_FIX.get(flag, _GENERIC_FLAG_FIX)}"
                    )
            elif looks_like_credential(arg) or any(looks_like_credential(w) for w in re.split(r"[=\s,]+", arg)):
                raise ValueError(
                    f"extraArgs[{index}] looks like a credential; pass credentials through secretEnv "
                    "(an env var read from a Kubernetes Secret), never as arguments"
                )
        return value

    @model_validator(mode="after")
    def _env_names_once(self) -> ModelConfig:
        both = sorted(set(self.extra_env) & set(self.secret_env))
        if both:
            raise ValueError(f"{', '.join(both)} set in both extraEnv and secretEnv; allowed: one of them")
        return self

    @field_validator("extra_args")
    @classmethod
    def _flags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # What the serving components set from the model's fields (components/serving/model_server.py,
        # leader_worker_set.py); vLLM's FlexibleArgumentParser also takes underscores and the short -tp/-pp/-dp forms
        # (vllm-project/vllm vllm/utils/argparse_utils.py, vllm/engine/arg_utils.py).
        managed = {
            "--model": "huggingFaceId",
            "--tensor-parallel-size": "tensorParallelSize",
            "-tp": "tensorParallelSize",
            "--pipeline-parallel-size": "pipelineParallelSize",
            "-pp": "pipelineParallelSize",
            "--data-parallel-size": "dataParallelSize",
            "-dp": "dataParallelSize",
            "--data-parallel-size-local": "dataParallelSizeLocal",
            "--max-model-len": "maxModelLen",
            "--gpu-memory-utilization": "gpuMemoryUtilization",
            "--port": "the path (the InferencePool's target port)",
            "--served-model-name": "servedName",
            "--block-size": "blockSize",
            "--kv-transfer-config": "the path (kvTransport / kvOffload)",
            "--kv-events-config": "the path (precise-prefix-cache-routing)",
        }
        for arg in value:
            flag = re.split(r"[=\s]", arg.strip(), maxsplit=1)[0]
            if flag.startswith("--"):
                flag = "--" + flag[2:].replace("_", "-")
            if flag in managed:
                raise ValueError(
                    f"{flag} is set from the model's fields ({managed[flag]}); remove it from extraArgs and set "
                    f"{managed[flag]} instead"
                )
        return value

    @field_validator("route_path_prefix")
    @classmethod
    def _route_path(cls, value: str) -> str:
        # The HTTPRoute's own rule (components/serving/router.py path_prefix_problem): Gateway API HTTPRoute path
        # rules (CEL in the HTTPRoute CRD, not evaluated by the render's JSON schema), no '//', '/./' or '/../', and
        # no trailing '/.' or '/..'; '/' and a trailing '/' are fine.
        problem = path_prefix_problem(value)
        if problem:
            raise ValueError(f"{value!r} {problem}")
        return value

    @field_validator("image")
    @classmethod
    def _immutable_image(cls, value: str | None) -> str | None:
        if value is None or "@sha256:" in value:
            return value
        tag = value.rsplit(":", 1)[1]
        if tag.lower() in _MOVING_TAGS or re.fullmatch(r"v?[0-9]+", tag):
            raise ValueError(
                f"{value!r}: tag {tag!r} moves (a new image under the same name); allowed: a version tag such as "
                "v0.23.0, or a digest (repo:tag@sha256:...)"
            )
        return value

    @property
    def resolved_workload_form(self) -> str | None:
        """The model-server form this model is built as: ``workloadForm``, or on pd-disaggregation / wide-ep
        ``disaggregatedSet`` when :func:`disaggregated_set_default` holds and the path's older form otherwise; None
        on the other paths (one form each)."""
        forms = WORKLOAD_FORMS.get(self.path)
        if forms is None:
            return None
        if self.workload_form is not None:
            return self.workload_form
        return forms[0] if disaggregated_set_default() else forms[1]

    @property
    def uses_disaggregated_set(self) -> bool:
        """Whether the model servers are one DisaggregatedSet (:attr:`resolved_workload_form`)."""
        return self.resolved_workload_form == "disaggregatedSet"

    @property
    def secret_env_refs(self) -> dict[str, tuple[str, str]]:
        """``secretEnv`` as the serving components take it: env name -> ``(Secret name, key)``."""
        return {name: (ref.secret_name, ref.key) for name, ref in sorted(self.secret_env.items())}

    @property
    def keda_autoscaled(self) -> bool:
        """Whether KEDA scales this model's servers: workload-autoscaling unless ``autoscaling.autoscaler`` is
        ``hpa``; pd-disaggregation with an ``autoscaling`` block whose autoscaler is ``keda``; and every model built
        as a DisaggregatedSet (pd-disaggregation, wide-ep: :attr:`uses_disaggregated_set`), whose autoscaled roles are
        ``scaling.mode: External``: their DisaggregatedSetRoleScaler starts at 0 replicas (CRD default, KEP-849) and
        KEDA writes ``minReplicaCount`` from there while a plain HPA never scales a target at 0
        (:func:`pulumi_llmd.twin.model.role_scaling` cites both; ``autoscaler: hpa`` there is a config error)."""
        if self.path is WellLitPath.WORKLOAD_AUTOSCALING:
            return self.autoscaling is None or self.autoscaling.autoscaler == "keda"
        if self.path in (WellLitPath.PD_DISAGGREGATION, WellLitPath.WIDE_EP) and self.uses_disaggregated_set:
            return self.autoscaling is None or self.autoscaling.autoscaler == "keda"
        if self.path is WellLitPath.PD_DISAGGREGATION:
            return self.autoscaling is not None and self.autoscaling.autoscaler == "keda"
        return False

    @property
    def gpus_per_replica(self) -> int:
        """Accelerators one model-server pod uses: TP x PP."""
        return self.tensor_parallel_size * self.pipeline_parallel_size

    @property
    def weights(self) -> ModelSpec | None:
        """The model's checkpoint facts (:func:`~pulumi_llmd.components.models.model_spec`: ``weightsGiB`` > catalog >
        estimate from the id), None for the simulator or an id without a known size."""
        if self.path is WellLitPath.SIMULATED_ACCELERATORS:
            return None
        return model_spec(self.hugging_face_id, weights_gib_override=self.weights_gib)


# --- gateway --------------------------------------------------------------------------------------------------------

#: Gateway classes by implementation. GKE's are managed (regional Application Load Balancers); elsewhere the library
#: installs Istio (default) or agentgateway, whose class names are the implementation names.
GKE_GATEWAY_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
SELF_MANAGED_GATEWAY_CLASSES = ("istio", "agentgateway")
GATEWAY_CLASSES = GKE_GATEWAY_CLASSES + SELF_MANAGED_GATEWAY_CLASSES


#: GKE class -> whether its load balancer is internet-facing (GKE "GatewayClass capabilities": the regional external
#: managed ALB vs the regional internal ALB).
GKE_CLASS_PUBLIC = {"gke-l7-regional-external-managed": True, "gke-l7-rilb": False}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")
_IAM_MEMBER = re.compile(r"^(user|group|serviceAccount|domain|principal|principalSet):\S+$")


def _hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError("must be a lowercase DNS name such as llm-d.example.com (no wildcard, no scheme, no port)")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]


class GatewayTlsConfig(_Model):
    """``llmd:gateway.tls``: the HTTPS listener (default: on, port 443, HTTP on ``port`` redirects to it with 301).

    Where the certificate comes from, first match wins:

    * ``preSharedCertificates`` (GKE only): existing Compute Engine SSL certificates by name (listener option
      ``networking.gke.io/pre-shared-certs``).
    * ``secretName``: an existing ``kubernetes.io/tls`` Secret in the stack namespace (listener ``certificateRefs``).
    * GKE with ``hostname`` and no ``issuer``: a regional Google-managed Certificate Manager certificate for
      ``hostname`` with DNS authorization (publish the CNAME the stack exports).
    * otherwise cert-manager (installed by the stack) issues it: from the ClusterIssuer ``issuer`` if set, else from
      a self-signed CA the stack creates (fine on kind; flagged by the posture report elsewhere).

    ``mode: none`` turns HTTPS off (plain HTTP on ``port`` only) and is flagged; it allows no other key.
    """

    mode: Literal["https", "none"] = "https"
    #: DNS name clients use; the certificate's name and the HTTPS listener's hostname. Default: none (any host).
    hostname: Hostname | None = None
    #: An existing cert-manager ClusterIssuer to issue from. Default: a self-signed CA.
    issuer: DnsLabel | None = None
    #: An existing TLS Secret (in the stack namespace) to serve. Default: none.
    secret_name: DnsLabel | None = None
    #: GKE only: existing Compute Engine SSL certificate names. Default: none.
    pre_shared_certificates: tuple[DnsLabel, ...] = ()
    #: HTTPS listener port (default 443).
    port: Annotated[int, Field(ge=1, le=65535)] = 443


class JwtAuthenticationConfig(_Model):
    """``llmd:gateway.authentication.jwt``: requests need a valid JWT (``Authorization: Bearer``) from ``issuer``
    (Istio RequestAuthentication + AuthorizationPolicy). ``audiences`` empty: any audience."""

    issuer: Annotated[str, Field(min_length=1, max_length=512)]
    jwks_uri: Annotated[str, Field(pattern=r"^https://\S+$", max_length=2048)]
    audiences: tuple[Annotated[str, Field(min_length=1)], ...] = ()


class IapAuthenticationConfig(_Model):
    """``llmd:gateway.authentication.iap`` (GKE): Identity-Aware Proxy on every model backend (GCPBackendPolicy
    ``spec.default.iap``) and ``roles/iap.httpsResourceAccessor`` for ``members``.

    ``clientId``: the OAuth client id (required by the GCPBackendPolicy CRD). Its secret either as an existing Secret
    in the stack namespace with the key ``key`` (``clientSecretName``) or as a Pulumi secret the stack turns into that
    Secret (``clientSecret``, set with ``pulumi config set --secret --path
    'llmd:gateway.authentication.iap.clientSecret'``): exactly one of the two. ``members``: IAM principals
    (``user:``, ``group:``, ``serviceAccount:``, ``domain:``) allowed through; default none (grant access yourself).
    """

    client_id: Annotated[str, Field(min_length=1, max_length=256)]
    client_secret_name: DnsLabel | None = None
    client_secret: SecretStr | None = None
    members: tuple[str, ...] = ()


class AuthenticationConfig(_Model):
    """``llmd:gateway.authentication``: exactly one of ``jwt`` (Istio) or ``iap`` (GKE)."""

    jwt: JwtAuthenticationConfig | None = None
    iap: IapAuthenticationConfig | None = None


class GatewayConfig(_Model):
    """``llmd:gateway``: the Gateway in front of the InferencePools (llm-d's guides name it
    ``llm-d-inference-gateway``). Secure by default: internal, HTTPS.

    * ``public`` (default false): false = an internal load balancer (GKE ``gke-l7-rilb``; EKS an internal NLB/ELB;
      an existing cluster a ClusterIP Service), true = internet-facing (GKE ``gke-l7-regional-external-managed``).
      ``className`` keeps working: on GKE it implies ``public``, and a contradicting ``public`` is an error.
    * ``tls`` (default HTTPS on 443 with HTTP redirected): see :class:`GatewayTlsConfig`.
    * ``authentication`` (default none configured: allowed only for an internal gateway, and flagged): ``jwt``,
      ``iap`` or the explicit string ``none`` (required to serve a public gateway without authentication; flagged).
    """

    name: DnsLabel = "llm-d-inference-gateway"
    #: Default: ``gke-l7-rilb`` (internal) or ``gke-l7-regional-external-managed`` (``public: true``) on GKE,
    #: ``istio`` elsewhere.
    class_name: Literal["gke-l7-regional-external-managed", "gke-l7-rilb", "istio", "agentgateway"] | None = None
    #: Internet-facing load balancer. Default: false, unless ``className`` is GKE's external class.
    public: bool | None = None
    #: The HTTP listener's port (only redirects to HTTPS unless ``tls.mode`` is ``none``).
    port: Annotated[int, Field(ge=1, le=65535)] = 80
    #: Backend request timeout in seconds for the GKE load balancer (long generations need minutes).
    timeout_sec: Annotated[int, Field(ge=1, le=86400)] = 300
    tls: GatewayTlsConfig = GatewayTlsConfig()
    authentication: Literal["none"] | AuthenticationConfig | None = None
    #: How requests pick a model: ``body`` (the OpenAI ``model`` field, through the body-based router: llm-d's
    #: multi-model-routing guide) or ``path`` (each model under its ``routePathPrefix``). Default: None (``body`` when
    #: the stack serves more than one model and none sets ``routePathPrefix``, else ``path``; see
    #: :attr:`StackConfig.model_routing`).
    model_routing: Literal["body", "path"] | None = None


# --- the stack ------------------------------------------------------------------------------------------------------


class StackConfig(_Model):
    """Everything a stack deploys. Build it with :func:`parse_stack_config` to get the cross-field checks."""

    target: Target
    cluster: ClusterConfig = ClusterConfig()
    namespace: StackNamespaceName = "llm-d"
    #: The llm-d release whose images, charts and flags the stack deploys (``components/versions.py`` RELEASES:
    #: ``v0.10.0`` or ``v0.9.0``). Default: the newest carried (``DEFAULT_RELEASE``, v0.10.0).
    release: LlmdReleaseName = versions.DEFAULT_RELEASE.name
    #: Accelerator pools; may be empty when every model is simulated.
    pools: tuple[PoolConfig, ...] = ()
    models: Annotated[tuple[ModelConfig, ...], Field(min_length=1)]
    gateway: GatewayConfig = GatewayConfig()

    def pool(self, name: str) -> PoolConfig:
        """The pool called ``name`` (KeyError if none)."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    def pool_of(self, model: ModelConfig) -> PoolConfig:
        """The pool a model runs on (its ``pool`` or the only pool)."""
        return self.pool(model.pool) if model.pool is not None else self.pools[0]

    @property
    def gateway_class(self) -> str:
        """The Gateway's class: as configured, else on GCP GKE's internal regional ALB (``gke-l7-rilb``) or, with
        ``public: true``, the external one; Istio elsewhere."""
        if self.gateway.class_name is not None:
            return self.gateway.class_name
        if self.target.cloud == "gcp":
            return "gke-l7-regional-external-managed" if self.gateway.public else "gke-l7-rilb"
        return SELF_MANAGED_GATEWAY_CLASSES[0]

    @property
    def model_routing(self) -> Literal["body", "path"]:
        """How requests pick a model: ``llmd:gateway.modelRouting``, else ``body`` when the stack serves more than one
        model and none sets ``routePathPrefix`` (one OpenAI endpoint, the model chosen by ``model``: llm-d/llm-d
        ``guides/multi-model-routing`` "Provide a unified API endpoint following the OpenAI specification"), else
        ``path`` (one model needs no router hop; prefixes given on purpose keep today's routes)."""
        if self.gateway.model_routing is not None:
            return self.gateway.model_routing
        prefixes = any("route_path_prefix" in m.model_fields_set for m in self.models)
        return "body" if len(self.models) > 1 and not prefixes else "path"

    @property
    def gateway_public(self) -> bool:
        """Whether the gateway's load balancer is internet-facing: ``public``, else what a GKE ``className``
        implies, else False."""
        if self.gateway.public is not None:
            return self.gateway.public
        return GKE_CLASS_PUBLIC.get(self.gateway.class_name or "", False)

    @property
    def gateway_tls_source(self) -> str:
        """Where the HTTPS listener's certificate comes from: ``none`` (``tls.mode: none``), ``pre-shared``,
        ``secret``, ``certificate-manager`` (GKE + hostname), ``cert-manager-issuer`` or ``cert-manager-self-signed``
        (see :class:`GatewayTlsConfig`)."""
        tls = self.gateway.tls
        if tls.mode == "none":
            return "none"
        if tls.pre_shared_certificates:
            return "pre-shared"
        if tls.secret_name:
            return "secret"
        if self.target.cloud == "gcp" and tls.hostname and not tls.issuer:
            return "certificate-manager"
        return "cert-manager-issuer" if tls.issuer else "cert-manager-self-signed"

    def shape_of(self, pool: PoolConfig) -> catalog.MachineShape:
        """The catalog machine shape of a pool (assumes the config passed :func:`parse_stack_config`)."""
        return resolve_shape(self.target.cloud_enum, pool)

    def provisioning_of(self, pool: PoolConfig) -> str:
        """How a pool's capacity is bought: its ``provisioning`` or the machine type's default (see
        :func:`pool_provisioning`)."""
        return pool_provisioning(pool, self.shape_of(pool))


# --- errors ---------------------------------------------------------------------------------------------------------


# --- cross-field checks ---------------------------------------------------------------------------------------------


def resolve_shape(cloud: catalog.Cloud, pool: PoolConfig) -> catalog.MachineShape:
    """The machine shape of ``pool`` from the catalog (raises :class:`catalog.CatalogError`).

    On an existing cluster the pool describes its nodes itself (``devicesPerNode``, ``vcpus``, ``memoryGib``,
    ``resourceName``, optionally a catalog ``accelerator``).
    """
    if cloud is catalog.Cloud.EXISTING:
        return existing_pool_shape(pool)
    if pool.machine_type is not None:
        return catalog.machine(cloud, pool.machine_type)
    if pool.accelerator is None:
        raise catalog.CatalogError("give machineType or accelerator")
    return catalog.machine_for_accelerator(cloud, pool.accelerator, pool.accelerator_count)


def existing_pool_shape(pool: PoolConfig) -> catalog.MachineShape:
    """The shape of an existing cluster's pool, from its own description (raises :class:`catalog.CatalogError`)."""
    missing = [k for k in ("devices_per_node", "vcpus", "memory_gib") if getattr(pool, k) is None]
    if missing:
        raise catalog.CatalogError(
            "an existing cluster's pool describes its nodes: give " + ", ".join(to_camel(k) for k in missing)
        )
    if pool.accelerator is not None:
        known = catalog.accelerator(pool.accelerator)
        if known.kind is catalog.AcceleratorKind.CPU:
            device = known  # CPU serving: no device resource to validate
        else:
            device = catalog.custom_accelerator(
                known.name, pool.resource_name, known.memory_gib, known.vendor, kind=known.kind, display=known.display
            )
    else:
        device = catalog.custom_accelerator(f"{pool.name}-device", pool.resource_name)
    return catalog.custom_shape(
        machine_type=pool.machine_type or pool.name,
        accelerator=device,
        accelerator_count=pool.devices_per_node or 1,
        vcpus=pool.vcpus or 1,
        memory_gib=pool.memory_gib or 1,
    )


def pool_provisioning(pool: PoolConfig, shape: catalog.MachineShape) -> str:
    """The pool's ``provisioning``, or when unset the first of on-demand, flex-start, reservation its machine type
    offers (:func:`catalog.default_consumption`: on-demand on A3 High / G2 / EKS types, flex-start on A3 Ultra / A4)."""
    if pool.provisioning is not None:
        return pool.provisioning
    try:
        return catalog.default_consumption(shape)
    except catalog.CatalogError:
        return "on-demand"


# --- reading Pulumi config: namespaces and secrets ---------------------------------------------------------------

#: Config paths that hold secrets (``[*]``: any list index). Each must be set with ``pulumi config set --secret``
#: (``--path`` for the nested ones), and no other ``llmd:`` value may be a secret.
SECRET_PATHS: tuple[str, ...] = (
    "llmd:hfToken",
    "llmd:models[*].hfToken",
    "llmd:gateway.authentication.iap.clientSecret",
)
#: The secret paths read apart from :class:`StackConfig` (removed from the data before validation); the others stay
#: in it as pydantic ``SecretStr`` (never printed).
DETACHED_SECRET_PATHS: tuple[str, ...] = ("llmd:hfToken", "llmd:models[*].hfToken")
#: What the offline render puts where a ``secure:`` value is (pulumi_llmd.stackfile.SECRET_MARKER).
SECRET_MARKER = "[secret]"
#: Namespaces of other Pulumi packages a stack file commonly sets (never reported as typos of ``llmd``).
_OTHER_NAMESPACES = frozenset({"gcp", "aws", "eks", "kubernetes", "pulumi", "google-native", "random", "tls"})
#: Top-level ``llmd:`` keys whose value is a plain string, not JSON (``pulumi config set llmd:namespace 123``).
_STRING_KEYS = frozenset({"namespace", "release", "hfToken"})


def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(path).replace(r"\[\*\]", r"\[\d+\]") + "$")


_SECRET_PATH_RES = tuple(_path_pattern(p) for p in SECRET_PATHS)
_DETACHED_RES = tuple(_path_pattern(p) for p in DETACHED_SECRET_PATHS)


def _is_secret_path(path: str) -> bool:
    return any(r.match(path) for r in _SECRET_PATH_RES)


@dataclass(frozen=True)
class ConfigSecrets:
    """The stack's secret config values (plain text) by config path (``llmd:hfToken``, ``llmd:models[0].hfToken``,
    ``llmd:gateway.authentication.iap.clientSecret``). Wrap each in ``pulumi.Output.secret`` before use (see
    ``blueprints.deploy.read_secrets``); ``repr`` never shows them. Under the offline render every value is the
    ``[secret]`` marker.

    Attributes:
        values: Config path -> secret value. Default: none.
    """

    values: Mapping[str, str] = dataclass_field(default_factory=dict, repr=False)

    @property
    def hf_token(self) -> str | None:
        """``llmd:hfToken``, or None."""
        return self.values.get(f"{CONFIG_NAMESPACE}:hfToken")

    def model_hf_token(self, index: int) -> str | None:
        """``llmd:models[index].hfToken``, or None."""
        return self.values.get(f"{CONFIG_NAMESPACE}:models[{index}].hfToken")


@dataclass(frozen=True)
class ParsedStack:
    """A validated stack: the plain :class:`StackConfig` and the :class:`ConfigSecrets` read beside it.

    Attributes:
        config: The validated stack file.
        secrets: Its secret values. Default: an empty :class:`ConfigSecrets` (no secrets).
    """

    config: StackConfig
    secrets: ConfigSecrets = dataclass_field(default_factory=ConfigSecrets)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def looks_like_llmd_namespace(namespace: str) -> bool:
    """Whether a config namespace other than ``llmd`` is probably a typo of it: ``llmdd``, ``llm-d``, ``LLMD``,
    ``llmd_``, ``lmd``, ``llm`` (case and punctuation ignored, at most 2 edits, or starting with ``llm``)."""
    if namespace == CONFIG_NAMESPACE or namespace in _OTHER_NAMESPACES:
        return False
    folded = re.sub(r"[^a-z0-9]", "", namespace.lower())
    return folded.startswith("llm") or _edit_distance(folded, CONFIG_NAMESPACE) <= 2


def _namespace_issues(keys: Collection[str]) -> list[ConfigIssue]:
    """Keys without a namespace, and namespaces that look like a misspelled ``llmd`` (their section would be
    silently ignored: e.g. ``llmdd:gateway`` leaves the default, public gateway class in place)."""
    issues = []
    allowed = ", ".join(f"{CONFIG_NAMESPACE}:{k}" for k in STACK_KEYS + SECRET_KEYS)
    for full_key in sorted(keys):
        namespace, sep, name = full_key.partition(":")
        if not sep or not namespace or not name:
            issues.append(
                ConfigIssue(
                    key=full_key,
                    message="not a Pulumi config key (keys are <namespace>:<name>"
                    f"{f', e.g. {CONFIG_NAMESPACE}:{full_key}' if full_key and sep == '' else ''}); "
                    f"allowed: {allowed}",
                )
            )
        elif looks_like_llmd_namespace(namespace):
            issues.append(
                ConfigIssue(
                    key=full_key,
                    message=f"unknown namespace '{namespace}' (did you mean '{CONFIG_NAMESPACE}:{name}'?): this "
                    f"library reads only '{CONFIG_NAMESPACE}:' keys, so the section would be ignored; "
                    f"allowed: {allowed}",
                )
            )
    return issues


def _leaves(value: Any, path: str) -> list[tuple[str, Any]]:
    """``(config path, value)`` of every scalar in decoded config ``value`` (paths as ``pulumi config --path``)."""
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def _detach(value: Any, path: str, found: dict[str, Any]) -> Any:
    """``value`` without the leaves at :data:`DETACHED_SECRET_PATHS` (collected into ``found``)."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            sub = f"{path}.{k}"
            if any(r.match(sub) for r in _DETACHED_RES):
                found[sub] = v
            else:
                out[k] = _detach(v, sub, found)
        return out
    if isinstance(value, list):
        return [_detach(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _secret_fix(path: str) -> str:
    top = path.count(".") == 0 and "[" not in path
    return (
        f"pulumi config set --secret {path} <value>" if top else f"pulumi config set --secret --path '{path}' <value>"
    )


def _decode(key: str, raw: Any) -> Any:
    """A top-level ``llmd:`` value as Pulumi hands it (text; structured values JSON-encoded) decoded to data."""
    if isinstance(raw, str) and key not in _STRING_KEYS:
        with contextlib.suppress(json.JSONDecodeError, RecursionError):
            return json.loads(raw)
    return raw


def stack_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``llmd:`` keys of ``values`` (fully qualified key -> value as Pulumi hands it) as plain data for
    :func:`parse_stack_config`: namespace stripped, JSON decoded, and the :data:`DETACHED_SECRET_PATHS` left out."""
    prefix = CONFIG_NAMESPACE + ":"
    data: dict[str, Any] = {}
    for full_key, raw in values.items():
        key = full_key[len(prefix) :] if full_key.startswith(prefix) else None
        if key is None or key == "hfToken":
            continue
        data[key] = _detach(_decode(key, raw), full_key, {})
    return data


#: Names that moved out of this module (validation to :mod:`.validation`, sizing to :mod:`.plan`), still importable
#: from here for existing callers: ``from pulumi_llmd.blueprints.config import parse_stack_config`` keeps working.
_MOVED = {
    "ConfigError": "issues",
    "ConfigIssue": "issues",
    "did_you_mean": "issues",
    "parse_stack_config": "validation",
    "parse_config_values": "validation",
    "default_offload_gib": "plan",
    "offload_gib": "plan",
    "server_resources": "plan",
    "picker_resources": "plan",
    "pool_rdma": "plan",
    "tpu_topology": "plan",
    "wide_ep_sizes": "plan",
    "WideEpSizes": "plan",
    "node_ephemeral_gib": "plan",
    "weights_per_device_problem": "plan",
    "DEFAULT_GPU_MEMORY_UTILIZATION": "plan",
    "WEIGHTS_MAX_SHARE": "plan",
}


def __getattr__(name: str) -> Any:
    """Compatibility: the moved names of :data:`_MOVED`, imported lazily from their new home."""
    if name in _MOVED:
        return getattr(importlib.import_module(f"pulumi_llmd.blueprints.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
