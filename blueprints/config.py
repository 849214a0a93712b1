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
import difflib
import ipaddress
import json
import math
import re
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.models import ModelSpec, model_spec, pod_ephemeral_gib
from pulumi_llmd.components.quantity import parse_quantity
from pulumi_llmd.components.serving.leader_worker_set import WIDE_EP_RESOURCES
from pulumi_llmd.components.serving.model_server import PodResources, pod_fit_problems
from pulumi_llmd.components.serving.router import SMALL_EPP_RESOURCES
from pulumi_llmd.redact import REDACTED, is_sensitive_name, looks_like_credential, redact_value

#: Pulumi config namespace of every key this library reads.
CONFIG_NAMESPACE = "llmd"
#: Top-level keys of the ``llmd:`` namespace that make up a StackConfig.
STACK_KEYS = ("target", "cluster", "namespace", "pools", "models", "gateway")
#: Keys read separately as Pulumi secrets, never stored in StackConfig.
SECRET_KEYS = ("hfToken",)

_GKE_MIN_INFERENCEPOOL_MINOR = int(versions.GKE_MIN_VERSION_WITH_INFERENCEPOOL_CRD.split(".")[1])
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


class WellLitPath(StrEnum):
    """llm-d's well-lit paths, with llm-d's names."""

    OPTIMIZED_BASELINE = "optimized-baseline"
    PD_DISAGGREGATION = "pd-disaggregation"
    WIDE_EP = "wide-ep"
    PRECISE_PREFIX_CACHE_ROUTING = "precise-prefix-cache-routing"
    TIERED_PREFIX_CACHE = "tiered-prefix-cache"
    WORKLOAD_AUTOSCALING = "workload-autoscaling"
    SIMULATED_ACCELERATORS = "simulated-accelerators"


#: The paths this release can deploy; the others are named so configs fail with a clear "not yet" message.
IMPLEMENTED_PATHS: tuple[WellLitPath, ...] = (
    WellLitPath.OPTIMIZED_BASELINE,
    WellLitPath.PD_DISAGGREGATION,
    WellLitPath.WIDE_EP,
    WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,
    WellLitPath.TIERED_PREFIX_CACHE,
    WellLitPath.SIMULATED_ACCELERATORS,
)


def _dns_label(value: str) -> str:
    if len(value) > 40 or not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 40 characters"
        )
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


def _admits_bool(annotation: Any) -> bool:
    """Whether a field type accepts a boolean (``bool``, ``Any``, a Literal of True/False, or a union with one)."""
    if annotation is bool or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _admits_bool(args[0])
    if origin is Literal:
        return any(isinstance(a, bool) for a in args)
    if origin is typing.Union or origin is types.UnionType:
        return any(_admits_bool(a) for a in args)
    return False


def _describe(annotation: Any) -> str:
    """What a field type allows, in words (for error messages)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _describe(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    if annotation is str:
        return "a string (quote it)"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "one of " + ", ".join(repr(m.value) for m in annotation)
    if origin in (tuple, list) or annotation in (tuple, list):
        return "a list"
    if (isinstance(annotation, type) and issubclass(annotation, BaseModel)) or origin is Mapping:
        return "a mapping"
    return "a value of the documented type"


def _model_field(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    """``(camelCase key, annotation)`` of the field of ``model`` a raw key names (alias or snake_case name)."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info.annotation
    return None


def _stray_booleans(annotation: Any, value: Any, key: str) -> list[ConfigIssue]:
    """A :class:`ConfigIssue` for every boolean in raw ``value`` where ``annotation`` wants a number or a string.

    pydantic's lax mode reads ``true`` as 1 for an int field (``tensorParallelSize: true`` would deploy TP 1); a
    stack file has no reason to write a number as a boolean, so it is an error here.
    """
    if isinstance(value, bool):
        if _admits_bool(annotation):
            return []
        allowed = _describe(annotation)
        return [ConfigIssue(key=key, value=value, message=f"a boolean where {allowed} is expected; allowed: {allowed}")]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _stray_booleans(args[0], value, key)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in args if a is not type(None)]
        if (
            len(members) > 1
            and isinstance(value, Mapping)
            and all(isinstance(m, type) and issubclass(m, BaseModel) for m in members)
        ):
            for member in members:  # a discriminated union (target): the member whose `cloud` matches
                field = member.model_fields.get("cloud")
                if field is not None and value.get("cloud") in typing.get_args(field.annotation):
                    return _stray_booleans(member, value, key)
            return []
        return _stray_booleans(members[0], value, key) if len(members) == 1 else []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, Mapping):
        issues: list[ConfigIssue] = []
        for raw_key, item in value.items():
            found = _model_field(annotation, str(raw_key))
            if found is not None:
                issues.extend(_stray_booleans(found[1], item, f"{key}.{found[0]}"))
        return issues
    if origin is tuple and args and isinstance(value, list | tuple):
        return [i for index, item in enumerate(value) for i in _stray_booleans(args[0], item, f"{key}[{index}]")]
    if origin is Mapping and len(args) == 2 and isinstance(value, Mapping):
        return [i for k, item in value.items() for i in _stray_booleans(args[1], item, f"{key}.{k}")]
    return []


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
    """The small CPU pool for system pods, the endpoint pickers and the gateway's helpers."""

    machine_type: str = "e2-standard-8"
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
        if value is None:
            return value
        if not value:
            raise ValueError("at least one scorer is needed (leave scorerWeights out for the guide's defaults)")
        unknown = sorted(set(value) - set(KNOWN_SCORERS))
        if unknown:
            raise ValueError(f"unknown scorer(s) {unknown}; allowed: {sorted(KNOWN_SCORERS)}")
        return value


#: Scorer plugins of the llm-d endpoint picker this library knows how to configure.
KNOWN_SCORERS = (
    "queue-scorer",
    "kv-cache-utilization-scorer",
    "prefix-cache-scorer",
    "no-hit-lru-scorer",
)


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
}


#: An image reference with a tag or a digest: ``[registry/]repository:tag[@sha256:<64 hex>]`` or
#: ``repository@sha256:<64 hex>`` (distribution/reference grammar, lower-case repository path).
_IMAGE_REF = (
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$"
)
#: Tags that move (a new image under the same name): refused for ``image`` (the images-pinned practice's list).
_MOVING_TAGS = frozenset({"latest", "main", "master", "nightly", "stable", "edge", "dev", "head", "canary", "rc"})


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
        # Gateway API HTTPRoute path rules (CEL in the HTTPRoute CRD, not evaluated by the render's JSON schema): no
        # '//', '/./' or '/../', and no trailing '/.' or '/..' (the x-kubernetes-validations of HTTPRoute's path in
        # gateway-api v1.6.1 config/crd/standard/gateway.networking.k8s.io_httproutes.yaml).
        if any(part in value + "/" for part in ("//", "/./", "/../")):
            raise ValueError(
                f"{value!r} has an empty, '.' or '..' segment, which the Gateway API rejects; allowed: a normalized "
                "path such as /qwen3"
            )
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
    def secret_env_refs(self) -> dict[str, tuple[str, str]]:
        """``secretEnv`` as the serving components take it: env name -> ``(Secret name, key)``."""
        return {name: (ref.secret_name, ref.key) for name, ref in sorted(self.secret_env.items())}

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


# --- the stack ------------------------------------------------------------------------------------------------------


class StackConfig(_Model):
    """Everything a stack deploys. Build it with :func:`parse_stack_config` to get the cross-field checks."""

    target: Target
    cluster: ClusterConfig = ClusterConfig()
    namespace: StackNamespaceName = "llm-d"
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


#: Characters around a word that are not part of a value (quotes, brackets, separators).
_PUNCTUATION = "'\"()[]{}<>,;:`"


def scrub(text: str) -> str:
    """``text`` with every credential-shaped word (:func:`~pulumi_llmd.redact.looks_like_credential`) replaced by
    :data:`~pulumi_llmd.redact.REDACTED`; other words, and the names around them, are kept (error messages stay
    readable: ``--api-key`` or ``hfToken`` in a message is a name, not a value)."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        core = token.strip(_PUNCTUATION)
        if core and looks_like_credential(core):
            return token.replace(core, REDACTED)
        return token

    return re.sub(r"[^\s.\[\]=]+", word, text)


class ConfigIssue(BaseModel):
    """One problem in a stack configuration: the ``key`` (``llmd:models[0].tensorParallelSize``), the ``value``
    found there (None when it is missing or a whole sub-document) and a ``message`` saying what is allowed.

    Secrets never get in: a value under a sensitive key (:func:`~pulumi_llmd.redact.is_sensitive_name`:
    ``hfToken``, ``HF_TOKEN``, ``--api-key`` ...) or shaped like a credential
    (:func:`~pulumi_llmd.redact.looks_like_credential`) is stored as ``[redacted]``, and credential-shaped words
    in the key or the message are replaced too (pydantic echoes input, e.g. for an unknown key).
    """

    model_config = ConfigDict(frozen=True)

    key: str
    value: Any = None
    message: str

    @model_validator(mode="before")
    @classmethod
    def _redacted(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        key = str(out.get("key", ""))
        value = out.get("value")
        last = re.split(r"[.:\[\]]", key.rstrip("]"))[-1] if key else ""
        if isinstance(value, str):
            if redact_value(last, value) == REDACTED or looks_like_credential(value) or scrub(value) != value:
                value = REDACTED
        elif isinstance(value, Mapping | list | tuple | set):
            value = None  # never echo whole sub-documents (they may hold secrets)
        out["value"] = value
        out["key"] = scrub(key)
        out["message"] = scrub(str(out.get("message", "")))
        return out

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value!r}"
        return f"{self.key}{shown}: {self.message}"


class ConfigError(ValueError):
    """A stack configuration is invalid. ``issues`` holds every problem found; ``str()`` lists them one per line
    (each already redacted, see :class:`ConfigIssue`)."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"invalid stack configuration ({len(issues)} problem(s)):\n{lines}")


def _key(loc: tuple[int | str, ...]) -> str:
    out = CONFIG_NAMESPACE + ":"
    first = True
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += part if first else f".{part}"
        first = False
    return out


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The section model (:class:`ModelConfig`, :class:`GatewayConfig` ...) at a pydantic error location, or None."""
    current: Any = StackConfig
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if isinstance(part, int):
            if origin is not tuple or not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            found = _model_field(current, part)
            if found is None:
                return None
            current = found[1]
        elif origin in (typing.Union, types.UnionType):  # discriminated union: the tag is in the location
            members = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tagged = [
                m
                for m in members
                if part == m.__name__
                or ("cloud" in m.model_fields and part in typing.get_args(m.model_fields["cloud"].annotation))
            ]
            if not tagged:
                return None
            current = tagged[0]
        elif origin is Mapping and len(args) == 2:
            current = args[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def did_you_mean(word: str, candidates: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``candidates`` to ``word`` (difflib ratio >= 0.6, case
    ignored), else ``""``."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


def _from_validation_error(exc: ValidationError) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    errors = exc.errors(include_url=False)
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(err["loc"]) and other["loc"][: len(err["loc"])] == err["loc"] for other in errors
        ):
            continue  # pydantic also counts the invalid items as missing; the item errors say it all
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if err["type"] == "missing":
            value = None
            message = "is required"
        elif err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = sorted((f.alias or n) for n, f in model.model_fields.items()) if model is not None else []
            hint = did_you_mean(str(loc[-1]), allowed) if allowed else ""
            message = (
                f"unknown key{hint} (keys are camelCase); allowed: {', '.join(allowed)}"
                if allowed
                else ("unknown key (check the spelling; keys are camelCase)")
            )
        if len(loc) > 1 and loc[0] == "target" and loc[1] in ("gcp", "aws", "existing"):
            loc = (loc[0], *loc[2:])  # the discriminator's tag is not a key of the stack file
        issues.append(ConfigIssue(key=_key(loc), value=value, message=message))
    return issues


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


def _canonical_accelerator(name: str) -> str | None:
    try:
        return catalog.accelerator(name).name
    except catalog.CatalogError:
        return None


def tpu_topology(pool: PoolConfig, shape: catalog.MachineShape) -> str:
    """The slice topology of a TPU pool: ``tpuTopology`` or the machine type's single-host topology (``2x4`` on
    ct6e-standard-8t)."""
    assert shape.tpu is not None
    return pool.tpu_topology or shape.tpu.topologies[0]


def _check_tpu_pool(key: str, pool: PoolConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    """A TPU pool's topology is one the catalog lists for its machine type, on one host (a vLLM server per node)."""
    assert shape.tpu is not None
    topology = tpu_topology(pool, shape)
    if topology not in shape.tpu.topologies:
        return [
            ConfigIssue(
                key=f"{key}.tpuTopology",
                value=topology,
                message=f"not a {shape.machine_type} topology ({shape.tpu.chips_per_host} chips per host); "
                f"allowed: {', '.join(shape.tpu.topologies)}",
            )
        ]
    hosts = catalog.tpu_hosts(shape, topology)
    if hosts > 1:
        single = [t for t in shape.tpu.topologies if catalog.tpu_hosts(shape, t) == 1]
        return [
            ConfigIssue(
                key=f"{key}.tpuTopology",
                value=topology,
                message=f"a {catalog.tpu_chips(topology)}-chip slice spans {hosts} {shape.machine_type} hosts; this "
                f"release serves vLLM on single-host slices (one server per node); allowed: {', '.join(single)}",
            )
        ]
    return []


def pool_provisioning(pool: PoolConfig, shape: catalog.MachineShape) -> str:
    """The pool's ``provisioning``, or when unset the first of on-demand, flex-start, reservation its machine type
    offers (:func:`catalog.default_consumption`: on-demand on A3 High / G2 / EKS types, flex-start on A3 Ultra / A4)."""
    if pool.provisioning is not None:
        return pool.provisioning
    try:
        return catalog.default_consumption(shape)
    except catalog.CatalogError:
        return "on-demand"


def _check_consumption(
    cloud: catalog.Cloud, key: str, pool: PoolConfig, shape: catalog.MachineShape
) -> list[ConfigIssue]:
    """A configured ``provisioning`` the cloud offers in general but not for this machine type (GKE A3 Ultra / A4
    on-demand: Google sells them only through reservations, flex-start or Spot)."""
    chosen = pool.provisioning
    if cloud is catalog.Cloud.EXISTING or chosen is None or chosen not in PROVISIONING_BY_CLOUD[cloud.value]:
        return []
    if chosen in shape.consumption:
        return []
    offered = [p for p in PROVISIONING_BY_CLOUD[cloud.value] if p in shape.consumption]
    hint = " (a reservation also needs reservation: <name>)" if "reservation" in offered else ""
    return [
        ConfigIssue(
            key=f"{key}.provisioning",
            value=chosen,
            message=f"{shape.machine_type} is not offered {chosen} on {cloud.value}; allowed: {', '.join(offered)}"
            f"{hint}",
        )
    ]


def _check_pool(
    cloud: catalog.Cloud, index: int, pool: PoolConfig
) -> tuple[list[ConfigIssue], catalog.MachineShape | None]:
    """The pool's problems, and its machine shape when the catalog knows it."""
    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:pools[{index}]"
    if cloud is not catalog.Cloud.EXISTING and pool.machine_type is None and pool.accelerator is None:
        issues.append(ConfigIssue(key=key, message="give machineType or accelerator (one of them)"))
        return issues, None
    try:
        shape = resolve_shape(cloud, pool)
    except catalog.CatalogError as exc:
        field = "machineType" if pool.machine_type is not None else "accelerator"
        issues.append(ConfigIssue(key=f"{key}.{field}", value=pool.machine_type or pool.accelerator, message=str(exc)))
        return issues, None
    if (
        cloud is not catalog.Cloud.EXISTING
        and pool.accelerator is not None
        and _canonical_accelerator(pool.accelerator) != shape.accelerator.name
    ):
        issues.append(
            ConfigIssue(
                key=f"{key}.accelerator",
                value=pool.accelerator,
                message=f"machine type {shape.machine_type} carries {shape.accelerator.name}, not {pool.accelerator}",
            )
        )
    if shape.tpu is not None:
        issues.extend(_check_tpu_pool(key, pool, shape))
    elif pool.tpu_topology is not None:
        issues.append(
            ConfigIssue(
                key=f"{key}.tpuTopology",
                value=pool.tpu_topology,
                message=f"{shape.machine_type} is not a TPU machine type; tpuTopology applies to TPU pools only",
            )
        )
    if pool.node_count is None and pool.autoscaling is None:
        issues.append(ConfigIssue(key=key, message="give nodeCount (fixed size) or autoscaling {minNodes, maxNodes}"))
    if pool.autoscaling is not None and pool.autoscaling.min_nodes > pool.autoscaling.max_nodes:
        issues.append(
            ConfigIssue(
                key=f"{key}.autoscaling.minNodes",
                value=pool.autoscaling.min_nodes,
                message=f"must be <= autoscaling.maxNodes ({pool.autoscaling.max_nodes})",
            )
        )
    if pool.node_count is not None and pool.autoscaling is not None:
        lo, hi = pool.autoscaling.min_nodes, pool.autoscaling.max_nodes
        if not lo <= pool.node_count <= hi:
            issues.append(
                ConfigIssue(
                    key=f"{key}.nodeCount",
                    value=pool.node_count,
                    message=f"initial node count must lie within autoscaling [{lo}, {hi}]",
                )
            )
    issues.extend(_check_consumption(cloud, key, pool, shape))
    provisioning = pool_provisioning(pool, shape)
    reserved = ("reservation", "capacity-block")
    if provisioning in reserved and not pool.reservation:
        issues.append(
            ConfigIssue(key=f"{key}.reservation", message=f"is required when provisioning is '{provisioning}'")
        )
    if provisioning not in reserved and pool.reservation:
        issues.append(
            ConfigIssue(
                key=f"{key}.reservation",
                value=pool.reservation,
                message=(
                    f"only allowed with provisioning 'reservation' (GKE) or 'capacity-block' (EKS); "
                    f"provisioning is '{provisioning}'"
                ),
            )
        )
    if provisioning == "flex-start" and pool.autoscaling is None:
        default = "" if pool.provisioning is not None else f" ({shape.machine_type} defaults to flex-start)"
        issues.append(
            ConfigIssue(
                key=f"{key}.autoscaling",
                message="DWS flex-start pools scale from zero: give autoscaling {minNodes: 0, maxNodes: N}" + default,
            )
        )
    return issues, shape


_CLOUD_ONLY_POOL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "gcp": ("compact_placement", "gpu_driver_version", "boot_disk_type", "rdma", "tpu_topology"),
    "aws": ("availability_zone", "efa"),
    "existing": (
        "node_selector",
        "tolerations",
        "devices_per_node",
        "vcpus",
        "memory_gib",
        "rdma_resource",
        "rdma_devices_per_node",
    ),
}


def pool_rdma(cloud: catalog.Cloud, pool: PoolConfig, shape: catalog.MachineShape) -> catalog.RdmaKind | None:
    """The RDMA fabric pods on ``pool`` can use, or None (TCP only).

    GKE: RoCE where the machine type has it (a3-ultragpu-8g, a4-highgpu-8g) unless ``rdma: false``; EKS: EFA where the
    instance type has it unless ``efa: false``; existing clusters: InfiniBand when the pool names an ``rdmaResource``.
    """
    if cloud is catalog.Cloud.GCP:
        return catalog.RdmaKind.ROCE if shape.rdma is catalog.RdmaKind.ROCE and pool.rdma is not False else None
    if cloud is catalog.Cloud.AWS:
        return catalog.RdmaKind.EFA if shape.efa_interfaces > 0 and pool.efa is not False else None
    return catalog.RdmaKind.INFINIBAND if pool.rdma_resource else None


def default_offload_gib(shape: catalog.MachineShape, devices: int, memory_request: str) -> int:
    """Default CPU KV-offload size per server, GiB: half of the host memory one pod's share of the node leaves after
    its own memory request, ``(memory_gib // pods_per_node - request) // 2``, at least 1.

    E.g. a3-highgpu-8g (1,872 GiB, TP 2 -> 4 pods per node, 96 GiB requested): (468 - 96) // 2 = 186 GiB.
    Raises ValueError for a memory request that does not parse.
    """
    pods = max(1, shape.accelerator_count // max(1, devices))
    request_gib = parse_quantity(memory_request) / 2**30
    return max(1, int((shape.memory_gib // pods - request_gib) // 2))


def offload_gib(model: ModelConfig, shape: catalog.MachineShape) -> int:
    """The CPU KV-offload size of a tiered-prefix-cache model's servers, GiB (configured or the default)."""
    offload = model.kv_offload or KvOffloadConfig()
    if offload.cpu_gib is not None:
        return offload.cpu_gib
    return default_offload_gib(shape, model.gpus_per_replica, model.resources.memory_request)


def _plus_gib(quantity: str, gib: int) -> str:
    return f"{int(parse_quantity(quantity) // 2**30) + gib}Gi"


def server_resources(model: ModelConfig, shape: catalog.MachineShape | None, role: str = "decode") -> ModelResources:
    """CPU and memory of one server pod of ``role``: the model's (or its prefill's) ``resources``, and on the
    tiered-prefix-cache path the memory request and limit raised by the CPU offload buffer (pinned host memory)."""
    if role == "prefill" and model.prefill is not None and model.prefill.resources is not None:
        return model.prefill.resources
    resources = model.resources
    if model.path is WellLitPath.WIDE_EP and "resources" not in model.model_fields_set:
        resources = ModelResources(**asdict(WIDE_EP_RESOURCES))
    if model.path is WellLitPath.TIERED_PREFIX_CACHE and shape is not None:
        extra = offload_gib(model, shape)
        resources = resources.model_copy(
            update={
                "memory_request": _plus_gib(resources.memory_request, extra),
                "memory_limit": _plus_gib(resources.memory_limit, extra),
            }
        )
    return resources


def picker_resources(config: StackConfig, model: ModelConfig) -> dict[str, dict[str, str]] | None:
    """The endpoint picker's container resources for ``model``: ``router.resources`` when set; on an existing cluster
    without accelerator pools (a kind laptop running simulated accelerators) the small
    :data:`~pulumi_llmd.components.serving.router.SMALL_EPP_RESOURCES`, so two pickers fit a 4 CPU / 8 GiB node with
    the simulators, the gateway and the add-ons; otherwise None (the llm-d-router chart's 4 CPU / 8Gi)."""
    if model.router.resources is not None:
        return model.router.resources.to_k8s()
    if isinstance(config.target, ExistingTarget) and not config.pools:
        return {k: dict(v) for k, v in SMALL_EPP_RESOURCES.items()}
    return None


def _check_pool_for_target(
    target: GcpTarget | AwsTarget | ExistingTarget, index: int, pool: PoolConfig, shape: catalog.MachineShape | None
) -> list[ConfigIssue]:
    """The checks that depend on where the pool lives: provisioning models, cloud-only keys, zones, EFA."""
    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:pools[{index}]"
    allowed = PROVISIONING_BY_CLOUD[target.cloud]
    if pool.provisioning is not None and pool.provisioning not in allowed:
        issues.append(
            ConfigIssue(
                key=f"{key}.provisioning",
                value=pool.provisioning,
                message=f"not offered for target cloud '{target.cloud}'; allowed: {', '.join(allowed)}",
            )
        )
    set_fields = pool.model_fields_set
    for cloud, fields in _CLOUD_ONLY_POOL_FIELDS.items():
        if cloud == target.cloud:
            continue
        for field in fields:
            if field in set_fields and not (cloud == "gcp" and field == "gpu_driver_version"):
                issues.append(
                    ConfigIssue(
                        key=f"{key}.{to_camel(field)}",
                        message=f"applies to target cloud '{cloud}' only (this stack's target is '{target.cloud}')",
                    )
                )
    if isinstance(target, ExistingTarget) and not pool.node_selector:
        issues.append(
            ConfigIssue(
                key=f"{key}.nodeSelector",
                message="is required on an existing cluster: the labels of the pool's nodes, e.g. "
                "{nvidia.com/gpu.present: 'true'}",
            )
        )
    if isinstance(target, ExistingTarget):
        try:
            catalog.validate_extended_resource(pool.resource_name)
        except catalog.CatalogError as exc:
            issues.append(ConfigIssue(key=f"{key}.resourceName", value=pool.resource_name, message=str(exc)))
        if pool.rdma_resource is not None:
            try:
                catalog.validate_extended_resource(pool.rdma_resource)
            except catalog.CatalogError as exc:
                issues.append(ConfigIssue(key=f"{key}.rdmaResource", value=pool.rdma_resource, message=str(exc)))
    tpu = shape.tpu if shape is not None else None
    if isinstance(target, GcpTarget) and shape is not None and tpu is not None and target.region not in tpu.regions:
        issues.append(
            ConfigIssue(
                key=f"{key}.machineType",
                value=shape.machine_type,
                message=f"{shape.accelerator.display} is not offered in region {target.region} (catalog); "
                f"regions: {', '.join(tpu.regions)}",
            )
        )
    if isinstance(target, GcpTarget) and pool.rdma and shape is not None and shape.rdma is not catalog.RdmaKind.ROCE:
        roce = ", ".join(m.machine_type for m in catalog.machines("gcp") if m.rdma is catalog.RdmaKind.ROCE)
        if shape.rdma in (catalog.RdmaKind.GPUDIRECT_TCPX, catalog.RdmaKind.GPUDIRECT_TCPXO):
            message = (
                f"{shape.machine_type} uses {shape.rdma.value}, which this release does not set up yet; "
                f"GPUDirect-RDMA machine types: {roce}"
            )
        else:
            message = f"{shape.machine_type} has no RDMA NICs; GPUDirect-RDMA machine types: {roce}"
        issues.append(ConfigIssue(key=f"{key}.rdma", value=True, message=message))
    if isinstance(target, AwsTarget):
        zone = pool.availability_zone or target.availability_zones[0]
        if zone not in target.availability_zones:
            issues.append(
                ConfigIssue(
                    key=f"{key}.availabilityZone",
                    value=zone,
                    message=f"not one of the target's availabilityZones: {list(target.availability_zones)}",
                )
            )
        if pool.efa and shape is not None and shape.efa_interfaces == 0:
            issues.append(
                ConfigIssue(
                    key=f"{key}.efa",
                    value=True,
                    message=f"{shape.machine_type} has no EFA; EFA instance types: "
                    + ", ".join(m.machine_type for m in catalog.machines("aws") if m.efa_interfaces),
                )
            )
    return issues


def _check_models(
    config: StackConfig, shapes: Mapping[str, catalog.MachineShape], unchecked_pools: frozenset[str]
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    pool_names = [p.name for p in config.pools]
    demand: dict[str, int] = dict.fromkeys(pool_names, 0)
    for index, model in enumerate(config.models):
        key = f"{CONFIG_NAMESPACE}:models[{index}]"
        if model.path not in IMPLEMENTED_PATHS:
            issues.append(
                ConfigIssue(
                    key=f"{key}.path",
                    value=model.path.value,
                    message=f"not available in this release; available: {[p.value for p in IMPLEMENTED_PATHS]}",
                )
            )
        if model.hugging_face_id == "random" and model.path is not WellLitPath.SIMULATED_ACCELERATORS:
            issues.append(
                ConfigIssue(
                    key=f"{key}.huggingFaceId",
                    value="random",
                    message="'random' is the simulator's model; give a Hugging Face id such as Qwen/Qwen3-32B",
                )
            )
        issues.extend(_check_path_keys(key, model))
        if model.path is WellLitPath.SIMULATED_ACCELERATORS:
            if model.pool is not None:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.pool",
                        value=model.pool,
                        message="simulated-accelerators models run on CPU nodes; remove pool",
                    )
                )
            continue
        if not pool_names and not unchecked_pools:
            issues.append(
                ConfigIssue(
                    key=f"{key}.pool", message=f"path '{model.path.value}' needs an accelerator pool; add pools"
                )
            )
            continue
        if model.pool is None and len(config.pools) > 1:
            issues.append(
                ConfigIssue(key=f"{key}.pool", message=f"is required when the stack has several pools: {pool_names}")
            )
            continue
        if model.pool is None and not pool_names:
            continue  # the stack's only pool is invalid and already reported
        # ``pool: ''`` is no pool name (it used to fall back to the first pool here and fail after registering).
        pool_name = model.pool if model.pool is not None else pool_names[0]
        if pool_name in unchecked_pools:
            continue  # that pool is invalid and already reported
        if pool_name not in pool_names:
            issues.append(ConfigIssue(key=f"{key}.pool", value=pool_name, message=f"no such pool; pools: {pool_names}"))
            continue
        shape = shapes.get(pool_name)
        if shape is None:
            continue  # the pool itself is already reported
        if model.path is WellLitPath.WIDE_EP:
            wide_issues, wide_demand = _check_wide_ep(
                key, model, config.pool(pool_name), shape, config.target.cloud_enum
            )
            issues.extend(wide_issues)
            if not wide_issues:
                issues.extend(_check_weights(key, model, config.pool(pool_name), shape, config.target.cloud_enum))
            demand[pool_name] += wide_demand
            continue
        per_node = shape.accelerator_count
        need = model.gpus_per_replica
        if need > per_node:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tensorParallelSize",
                    value=model.tensor_parallel_size,
                    message=(
                        f"TP x PP = {model.tensor_parallel_size} x {model.pipeline_parallel_size} = {need} "
                        f"accelerators per replica does not fit one {shape.machine_type} node "
                        f"({per_node} x {shape.accelerator.name}); allowed: TP x PP <= {per_node}"
                    ),
                )
            )
            continue
        if per_node % need:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tensorParallelSize",
                    value=model.tensor_parallel_size,
                    message=(
                        f"TP x PP = {need} does not divide the {per_node} accelerators of a {shape.machine_type} "
                        f"node, which would strand {per_node % need} per node; allowed: a divisor of {per_node}"
                    ),
                )
            )
        issues.extend(_check_pod_fits_node(key, model, shape))
        if not per_node % need and not (model.prefill is not None and per_node % model.prefill.tensor_parallel_size):
            issues.extend(_check_weights(key, model, config.pool(pool_name), shape, config.target.cloud_enum))
        if shape.tpu is not None and model.path in (WellLitPath.PD_DISAGGREGATION, WellLitPath.TIERED_PREFIX_CACHE):
            issues.append(
                ConfigIssue(
                    key=f"{key}.path",
                    value=model.path.value,
                    message="not available on TPU pools in this release (vLLM TPU uses its own TPUConnector / "
                    "TPUOffloadConnector); TPU paths: optimized-baseline, precise-prefix-cache-routing",
                )
            )
        demand[pool_name] += model.replicas * need
        if model.path is WellLitPath.PD_DISAGGREGATION and model.prefill is not None:
            issues.extend(_check_prefill(key, model, shape))
            demand[pool_name] += model.prefill.replicas * model.prefill.tensor_parallel_size
            issues.extend(_check_kv_transport(key, model, config.pool(pool_name), shape, config.target.cloud_enum))
    for index, pool in enumerate(config.pools):
        shape = shapes.get(pool.name)
        if shape is None:
            continue
        capacity = pool.max_nodes * shape.accelerator_count
        if demand[pool.name] > capacity:
            size_key = "autoscaling.maxNodes" if pool.autoscaling is not None else "nodeCount"
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:pools[{index}].{size_key}",
                    value=pool.max_nodes,
                    message=(
                        f"the models on pool '{pool.name}' need {demand[pool.name]} x {shape.accelerator.name} "
                        f"(replicas x TP x PP) but {pool.max_nodes} x {shape.machine_type} hold at most {capacity}; "
                        f"allowed: at least {-(-demand[pool.name] // shape.accelerator_count)} nodes"
                    ),
                )
            )
    return issues


def _check_pod_fits_node(key: str, model: ModelConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    resources = server_resources(model, shape)
    suffix = ""
    if resources is not model.resources:
        suffix = f" (including the {offload_gib(model, shape)} GiB CPU KV offload of kvOffload.cpuGib)"
    return [
        ConfigIssue(key=f"{key}.resources.{to_camel(field)}", value=value, message=message + suffix)
        for field, value, message in pod_fit_problems(model.gpus_per_replica, resources.to_pod_resources(), shape)
    ]


#: vLLM's default ``--gpu-memory-utilization`` (share of each accelerator's memory vLLM may use).
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
#: Most of vLLM's memory budget (utilization x accelerator memory) the weights may take: the rest must hold the KV
#: cache (at least one max-length sequence, better many), activations and CUDA graphs. 80% is a floor, not a target.
WEIGHTS_MAX_SHARE = 0.8
#: Root volume of EKS GPU node groups (``GpuNodeGroup(root_volume_gib=500)``; ``_eks`` does not pass bootDiskSizeGb).
_EKS_ROOT_VOLUME_GIB = 500


def weights_per_device_problem(
    spec: ModelSpec, *, shards: int, accelerator: catalog.Accelerator, utilization: float | None
) -> tuple[str, int] | None:
    """Why ``spec``'s weights split over ``shards`` devices cannot run on ``accelerator``, with the fewest shards
    that would fit; None when they fit or the accelerator's memory is unknown.

    Rule: ``weights_gib / shards <= WEIGHTS_MAX_SHARE x utilization x accelerator.memory_gib`` (utilization defaults
    to vLLM's 0.9), leaving at least a fifth of vLLM's budget for the KV cache and activations. Examples:
    Qwen3-32B (61 GiB) on one L4 (24 GiB): 61 > 17.3 fails; Llama-3.3-70B (131 GiB) at TP 4 on A100 40GB:
    32.9 > 28.8 fails; Qwen3-32B at TP 2 on H100 80GB: 30.5 <= 57.6 fits; DeepSeek-R1 (641 GiB) over 16 B200 ranks:
    40 <= 129.6 fits.
    """
    if accelerator.memory_gib <= 0 or spec.weights_gib <= 0:
        return None
    util = utilization or DEFAULT_GPU_MEMORY_UTILIZATION
    budget = WEIGHTS_MAX_SHARE * util * accelerator.memory_gib
    per_device = spec.weights_gib / shards
    if per_device <= budget:
        return None
    needed = math.ceil(spec.weights_gib / budget)
    origin = "estimated from its id; set weightsGiB if wrong" if spec.estimated else spec.source.split(" (")[0]
    return (
        f"{spec.hf_id} weighs {spec.weights_gib:.1f} GiB ({origin}); over {shards} x {accelerator.name} "
        f"({accelerator.memory_gib} GiB each) that is {per_device:.1f} GiB per device, more than "
        f"{WEIGHTS_MAX_SHARE:.0%} of vLLM's budget of {util:g} x {accelerator.memory_gib} GiB = "
        f"{budget / WEIGHTS_MAX_SHARE:.1f} GiB (the rest holds the KV cache and activations)",
        needed,
    )


def node_ephemeral_gib(cloud: catalog.Cloud, pool: PoolConfig, shape: catalog.MachineShape) -> int | None:
    """Allocatable ephemeral storage of one node of ``pool``, GiB (:func:`~pulumi_llmd.components.catalog.
    node_allocatable`: on the local NVMe SSDs where the machine has them, else the boot disk), or None on an existing
    cluster (its disks are not described)."""
    if cloud is catalog.Cloud.EXISTING:
        return None
    boot = pool.boot_disk_size_gb if cloud is catalog.Cloud.GCP else _EKS_ROOT_VOLUME_GIB
    on_ssd = getattr(pool, "ephemeral_on_local_ssd", None) is not False and shape.local_ssd_count > 0
    return catalog.node_allocatable(shape, boot_disk_gib=boot, ephemeral_on_local_ssd=on_ssd).ephemeral_storage_gib


def _check_weights(
    key: str, model: ModelConfig, pool: PoolConfig, shape: catalog.MachineShape, cloud: catalog.Cloud
) -> list[ConfigIssue]:
    """The model's weights fit accelerator memory for the chosen parallelism, and its pods' weight caches fit a
    node's ephemeral storage.

    Accelerator memory: see :func:`weights_per_device_problem`; shards are TP x PP (decode), prefill TP (P/D), and on
    wide-ep TP x DP for a mixture-of-experts model (its experts are spread over every rank of the engine; the
    replicated attention and dense layers are small next to them) or TP for a dense one.
    Disk: every pod downloads the whole checkpoint into its own emptyDir, so the most pods one node can hold
    (accelerators per node // accelerators per pod, for each role) x :func:`~pulumi_llmd.components.models.
    pod_ephemeral_gib` (weights + 10% + 5 GiB cache, 20 GiB scratch) must fit the node's allocatable ephemeral
    storage (:func:`node_ephemeral_gib`).
    """
    spec = model.weights
    if spec is None:
        return []
    issues: list[ConfigIssue] = []
    prefill = model.prefill or PrefillConfig()
    # (role, field key, field value, shards, accelerators per pod)
    roles: list[tuple[str, str, int, int, int]] = []
    if model.path is WellLitPath.WIDE_EP:
        for role, dp_key in (("decode", "dataParallelSize"), ("prefill", "prefill.dataParallelSize")):
            sizes = wide_ep_sizes(model, shape, role)
            shards = sizes.tensor_parallel_size * (sizes.data_parallel_size if spec.moe else 1)
            roles.append((role, dp_key, sizes.data_parallel_size, shards, sizes.devices_per_pod))
    else:
        roles.append(
            ("decode", "tensorParallelSize", model.tensor_parallel_size, model.gpus_per_replica, model.gpus_per_replica)
        )
        if model.path is WellLitPath.PD_DISAGGREGATION and model.prefill is not None:
            tp = prefill.tensor_parallel_size
            roles.append(("prefill", "prefill.tensorParallelSize", tp, tp, tp))
    for role, field, value, shards, _ in roles:
        problem = weights_per_device_problem(
            spec, shards=shards, accelerator=shape.accelerator, utilization=model.gpu_memory_utilization
        )
        if problem is None:
            continue
        message, needed = problem
        if needed <= shape.accelerator_count:
            allowed = f"at least {needed} accelerators per {role} replica (e.g. a larger {field})"
        else:
            allowed = (
                f"at least {needed} x {shape.accelerator.name}, more than one {shape.machine_type} node holds: use an "
                "accelerator with more memory or a smaller / quantized checkpoint"
            )
        issues.append(ConfigIssue(key=f"{key}.{field}", value=value, message=f"{message}; allowed: {allowed}"))
    node_gib = node_ephemeral_gib(cloud, pool, shape)
    if node_gib is not None:
        per_pod = pod_ephemeral_gib(spec.weights_gib)
        pods = max(shape.accelerator_count // max(1, devices) for _, _, _, _, devices in roles)
        if pods * per_pod > node_gib:
            where = "local SSDs" if shape.local_ssd_count else f"{pool.boot_disk_size_gb} GiB boot disk"
            fit = node_gib // per_pod
            issues.append(
                ConfigIssue(
                    key=f"{key}.huggingFaceId",
                    value=model.hugging_face_id,
                    message=f"{pods} pod(s) per {shape.machine_type} node each download the {spec.weights_gib:.1f} GiB "
                    f"checkpoint into a {per_pod} GiB emptyDir ({pods * per_pod} GiB), but a node's allocatable "
                    f"ephemeral storage ({where}) is {node_gib} GiB; allowed: at most {fit} pod(s) per node "
                    "(more accelerators per pod), a machine type with local SSDs, or a larger bootDiskSizeGb",
                )
            )
    return issues


def _check_path_keys(key: str, model: ModelConfig) -> list[ConfigIssue]:
    """Keys that belong to another path, a P/D model without prefill, scorer weights outside optimized-baseline."""
    issues: list[ConfigIssue] = []
    for field in sorted(model.model_fields_set & set(_PATH_ONLY_MODEL_KEYS)):
        paths = _PATH_ONLY_MODEL_KEYS[field]
        if model.path not in paths:
            issues.append(
                ConfigIssue(
                    key=f"{key}.{to_camel(field)}",
                    message=f"applies to path {' / '.join(repr(p.value) for p in paths)} only "
                    f"(this model's path is '{model.path.value}')",
                )
            )
    if model.path in (WellLitPath.PD_DISAGGREGATION, WellLitPath.WIDE_EP) and model.prefill is None:
        issues.append(
            ConfigIssue(
                key=f"{key}.prefill",
                message=f"is required on path '{model.path.value}': {{replicas, tensorParallelSize}} of the prefill "
                "servers (the model's own replicas / tensorParallelSize size the decode servers)",
            )
        )
    if model.path is WellLitPath.WIDE_EP and model.data_parallel_size is None:
        issues.append(
            ConfigIssue(
                key=f"{key}.dataParallelSize",
                message="is required on path 'wide-ep': the data-parallel (= expert-parallel) ranks of one engine, "
                "e.g. 16 for two 8-GPU nodes",
            )
        )
    if model.router.scorer_weights is not None and model.path is not WellLitPath.OPTIMIZED_BASELINE:
        issues.append(
            ConfigIssue(
                key=f"{key}.router.scorerWeights",
                message=f"applies to path 'optimized-baseline' only; path '{model.path.value}' configures its "
                "endpoint picker's plugins itself",
            )
        )
    if model.path is WellLitPath.SIMULATED_ACCELERATORS and model.block_size is not None:
        issues.append(ConfigIssue(key=f"{key}.blockSize", message="does not apply to the simulator"))
    if model.path is WellLitPath.SIMULATED_ACCELERATORS and model.weights_gib is not None:
        issues.append(ConfigIssue(key=f"{key}.weightsGiB", message="does not apply to the simulator (no weights)"))
    return issues


@dataclass(frozen=True)
class WideEpSizes:
    """One role's wide-EP engine sizes: ranks per group, ranks per pod, TP, pods per group, groups."""

    data_parallel_size: int
    data_parallel_size_local: int
    tensor_parallel_size: int
    group_size: int
    replicas: int

    @property
    def devices_per_pod(self) -> int:
        """GPUs of one pod: DP-local x TP."""
        return self.data_parallel_size_local * self.tensor_parallel_size

    @property
    def devices(self) -> int:
        """GPUs of all groups: replicas x DP x TP."""
        return self.replicas * self.data_parallel_size * self.tensor_parallel_size


def wide_ep_sizes(model: ModelConfig, shape: catalog.MachineShape, role: str) -> WideEpSizes:
    """The sizes of ``role`` (``decode`` or ``prefill``) of a wide-ep model: ranks per pod default to the node's
    GPUs / TP (one rank per GPU), pods per group = DP / DP-local (rounded down; :func:`parse_stack_config` reports
    sizes that do not divide)."""
    prefill = model.prefill or PrefillConfig()
    tp = prefill.tensor_parallel_size if role == "prefill" else model.tensor_parallel_size
    dp = (prefill.data_parallel_size if role == "prefill" else None) or model.data_parallel_size or 1
    local = model.data_parallel_size_local or max(1, shape.accelerator_count // tp)
    local = min(local, dp)
    replicas = prefill.replicas if role == "prefill" else model.replicas
    return WideEpSizes(dp, local, tp, max(1, dp // local), replicas)


def _check_wide_ep(
    key: str, model: ModelConfig, pool: PoolConfig, shape: catalog.MachineShape, cloud: catalog.Cloud
) -> tuple[list[ConfigIssue], int]:
    """DP x TP x group size must match the GPUs placed, pods must fit nodes, and multi-pod engines need RDMA."""
    issues: list[ConfigIssue] = []
    per_node = shape.accelerator_count
    demand = 0
    if model.pipeline_parallel_size != 1:
        issues.append(
            ConfigIssue(
                key=f"{key}.pipelineParallelSize",
                value=model.pipeline_parallel_size,
                message="wide-ep engines use data and expert parallelism; allowed: 1",
            )
        )
    fabric = pool_rdma(cloud, pool, shape)
    for role, where in (("decode", key), ("prefill", f"{key}.prefill")):
        sizes = wide_ep_sizes(model, shape, role)
        dp_key = f"{key}.dataParallelSize" if role == "decode" else f"{key}.prefill.dataParallelSize"
        if sizes.devices_per_pod > per_node or per_node % sizes.devices_per_pod:
            issues.append(
                ConfigIssue(
                    key=f"{key}.dataParallelSizeLocal",
                    value=sizes.data_parallel_size_local,
                    message=f"{role}: dataParallelSizeLocal x tensorParallelSize = {sizes.data_parallel_size_local} x "
                    f"{sizes.tensor_parallel_size} GPUs per pod must divide the {per_node} GPUs of a "
                    f"{shape.machine_type} node",
                )
            )
            continue
        if sizes.data_parallel_size % sizes.data_parallel_size_local:
            issues.append(
                ConfigIssue(
                    key=dp_key,
                    value=sizes.data_parallel_size,
                    message=f"{role}: must be a multiple of the {sizes.data_parallel_size_local} ranks of one pod "
                    "(DP = DP-local x pods per group)",
                )
            )
            continue
        if sizes.group_size > 1 and fabric is None:
            issues.append(
                ConfigIssue(
                    key=dp_key,
                    value=sizes.data_parallel_size,
                    message=f"{role}: one engine spans {sizes.group_size} pods, and wide-EP's all-to-all (DeepEP) "
                    f"needs RDMA between all of their GPUs; pool '{pool.name}' ({shape.machine_type}) has no RDMA "
                    "fabric: use a4-highgpu-8g / a3-ultragpu-8g on GKE, an EFA instance type on EKS, or an "
                    "existing pool with rdmaResource",
                )
            )
        if fabric is catalog.RdmaKind.ROCE and sizes.devices_per_pod != per_node:
            issues.append(
                ConfigIssue(
                    key=f"{key}.dataParallelSizeLocal",
                    value=sizes.data_parallel_size_local,
                    message=f"{role}: GKE attaches a node's RDMA NICs to one pod, so each pod must take all {per_node} "
                    f"GPUs (DP-local x TP = {per_node})",
                )
            )
        resources = server_resources(model, shape, role=role)
        issues.extend(
            ConfigIssue(key=f"{where}.resources.{to_camel(field)}", value=value, message=message)
            for field, value, message in pod_fit_problems(sizes.devices_per_pod, resources.to_pod_resources(), shape)
        )
        demand += sizes.devices
    return issues, demand


def _check_prefill(key: str, model: ModelConfig, shape: catalog.MachineShape) -> list[ConfigIssue]:
    prefill = model.prefill
    assert prefill is not None
    issues: list[ConfigIssue] = []
    per_node, tp = shape.accelerator_count, prefill.tensor_parallel_size
    if tp > per_node or per_node % tp:
        issues.append(
            ConfigIssue(
                key=f"{key}.prefill.tensorParallelSize",
                value=tp,
                message=f"must divide the {per_node} accelerators of one {shape.machine_type} node; "
                f"allowed: {[d for d in range(1, per_node + 1) if per_node % d == 0]}",
            )
        )
        return issues
    resources = server_resources(model, shape, role="prefill")
    issues.extend(
        ConfigIssue(key=f"{key}.prefill.resources.{to_camel(field)}", value=value, message=message)
        for field, value, message in pod_fit_problems(tp, resources.to_pod_resources(), shape)
    )
    return issues


def _check_kv_transport(
    key: str, model: ModelConfig, pool: PoolConfig, shape: catalog.MachineShape, cloud: catalog.Cloud
) -> list[ConfigIssue]:
    """P/D moves KV caches over RDMA unless the model says TCP; RDMA NICs must reach every P/D pod."""
    if model.kv_transport == "tcp":
        return []
    fabric = pool_rdma(cloud, pool, shape)
    if fabric is None:
        how = {
            catalog.Cloud.GCP: "a GKE pool of a3-ultragpu-8g or a4-highgpu-8g (GPUDirect-RDMA over RoCE)",
            catalog.Cloud.AWS: "an EKS pool of an EFA instance type (p5, p5e, p5en, p4d) with efa on",
            catalog.Cloud.EXISTING: "an existing-cluster pool that names its rdmaResource (e.g. rdma/ib)",
        }[cloud]
        return [
            ConfigIssue(
                key=f"{key}.kvTransport",
                value="rdma",
                message=f"pool '{pool.name}' ({shape.machine_type}) has no RDMA fabric; P/D disaggregation moves KV "
                f"caches between pods over RDMA: use {how}, or set kvTransport: tcp to accept the slower pod network",
            )
        ]
    issues: list[ConfigIssue] = []
    if fabric is catalog.RdmaKind.ROCE:  # GKE device-mode RDMA interfaces: one pod per node owns the NICs
        per_node = shape.accelerator_count
        prefill_tp = model.prefill.tensor_parallel_size if model.prefill else per_node
        sizes = (("tensorParallelSize", model.tensor_parallel_size), ("prefill.tensorParallelSize", prefill_tp))
        for field, tp in sizes:
            devices = tp * (model.pipeline_parallel_size if field == "tensorParallelSize" else 1)
            if devices != per_node:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.{field}",
                        value=tp,
                        message=f"on GKE the {shape.rdma_nics} RDMA NICs of a {shape.machine_type} node attach to one "
                        f"pod (multi-networking device interfaces), so each P/D pod must take all {per_node} GPUs of "
                        f"its node; allowed: {per_node} (or kvTransport: tcp)",
                    )
                )
    return issues


def _check_cluster_hardening(config: StackConfig) -> list[ConfigIssue]:
    """Cluster keys that depend on the target: control-plane access, private nodes, the Secrets KMS key.

    Sources: GKE "Harden your cluster's security" (private nodes, authorized networks, Secrets encryption); GKE
    "Encrypt secrets at the application layer" (the key in the cluster's location); EKS user guide "Cluster API server
    endpoint" (public endpoint restricted to CIDRs, or private only).
    """
    issues: list[ConfigIssue] = []
    target, cluster = config.target, config.cluster
    key = f"{CONFIG_NAMESPACE}:cluster"
    given = {
        "controlPlane": "control_plane" in cluster.model_fields_set,
        "privateNodes": "private_nodes" in cluster.model_fields_set,
        "secretsKmsKey": cluster.secrets_kms_key is not None,
    }

    def refuse(fields: tuple[str, ...], message: str) -> None:
        issues.extend(ConfigIssue(key=f"{key}.{field}", message=message) for field in fields if given[field])

    if isinstance(target, ExistingTarget):
        refuse(
            ("controlPlane", "privateNodes", "secretsKmsKey"),
            "applies to a cluster the stack creates (target cloud gcp or aws); an existing cluster keeps its own "
            "settings",
        )
        return issues
    if isinstance(target, AwsTarget):
        refuse(
            ("privateNodes", "secretsKmsKey"),
            "applies to target cloud 'gcp' only (EKS nodes always live in private subnets, and the stack encrypts "
            "Secrets with a KMS key it creates)",
        )
    if isinstance(target, GcpTarget) and cluster.secrets_kms_key is not None:
        # Imported here: config validation must not pull in the GCP SDK for other targets at import time.
        from pulumi_llmd.components.gcp.kms import KMS_KEY_NAME

        match = KMS_KEY_NAME.match(cluster.secrets_kms_key)
        if match is None:
            issues.append(
                ConfigIssue(
                    key=f"{key}.secretsKmsKey",
                    value=cluster.secrets_kms_key,
                    message="not a Cloud KMS key name; allowed: "
                    "projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>",
                )
            )
        elif match.group("location") != target.region:
            issues.append(
                ConfigIssue(
                    key=f"{key}.secretsKmsKey",
                    value=cluster.secrets_kms_key,
                    message=f"the key is in location {match.group('location')!r}; allowed: a key in the cluster's "
                    f"region {target.region!r} (GKE: the key in the same location as the cluster)",
                )
            )
    return issues


def _check_aws_target(target: AwsTarget) -> list[ConfigIssue]:
    """The EKS target's AZs, VPC ranges, existing VPC ids and admin principal ARNs, with the components' own rules.

    These ran in the components (exit 3 after the VPC had registered); config validation runs the same functions
    (:func:`~pulumi_llmd.components.aws.network.check_zones`, :func:`~pulumi_llmd.components.aws.network.
    plan_subnets`, :func:`~pulumi_llmd.components.aws.network.check_existing`, :data:`~pulumi_llmd.components.aws.
    cluster.PRINCIPAL_ARN`) so a bad value is a config error (exit 2) before anything is registered.
    """
    from pulumi_llmd.components.aws.cluster import PRINCIPAL_ARN, partition
    from pulumi_llmd.components.aws.network import check_existing, check_zones, plan_subnets

    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:target"
    zones = list(target.availability_zones)
    zone_problem = False
    try:
        check_zones(zones)
    except ValueError as exc:
        zone_problem = True
        issues.append(ConfigIssue(key=f"{key}.availabilityZones", message=str(exc).split(": ", 1)[-1]))
    outside = [z for z in zones if not z.startswith(target.region) or len(z) != len(target.region) + 1]
    if outside and not zone_problem:
        issues.append(
            ConfigIssue(
                key=f"{key}.availabilityZones",
                value=", ".join(outside),
                message=f"not zones of region {target.region}; allowed: {target.region}a, {target.region}b, ...",
            )
        )
    if len(set(zones)) < 2:
        issues.append(
            ConfigIssue(
                key=f"{key}.availabilityZones",
                value=", ".join(zones),
                message="EKS needs subnets in at least two availability zones for the control plane; give two or "
                f"more zones of {target.region}",
            )
        )
    vpc = target.vpc
    existing = vpc.existing_vpc_id is not None or vpc.existing_private_subnets is not None
    if existing:
        try:
            check_existing(
                vpc.existing_vpc_id,
                dict(vpc.existing_private_subnets or {}),
                None,
                availability_zones=(),
                cidrs_given=False,
            )
        except ValueError as exc:
            field, _, message = str(exc).partition(" = ")
            camel = {"existing_vpc_id": "existingVpcId", "existing_private_subnets": "existingPrivateSubnets"}
            issues.append(
                ConfigIssue(
                    key=f"{key}.vpc.{camel.get(field, 'existingPrivateSubnets')}",
                    message=message.split(": ", 1)[-1] if message else str(exc),
                )
            )
        else:
            subnet_zones = set(vpc.existing_private_subnets or {})
            if subnet_zones != set(zones):
                issues.append(
                    ConfigIssue(
                        key=f"{key}.vpc.existingPrivateSubnets",
                        value=", ".join(sorted(subnet_zones)),
                        message=f"one private subnet per availability zone of the target ({', '.join(zones)}); "
                        "allowed: the same zones as availabilityZones",
                    )
                )
        if "cidr" in vpc.model_fields_set or "nat_gateway_per_az" in vpc.model_fields_set:
            issues.append(
                ConfigIssue(
                    key=f"{key}.vpc.cidr",
                    message="cidr and natGatewayPerAz do not apply to an existing VPC (existingVpcId): nothing is "
                    "created in it",
                )
            )
    elif not zone_problem and zones:
        try:
            plan_subnets(vpc.cidr, len(zones))
        except ValueError as exc:
            issues.append(ConfigIssue(key=f"{key}.vpc.cidr", value=vpc.cidr, message=str(exc).split(": ", 1)[-1]))
    seen: set[str] = set()
    expected = partition(target.region)
    for index, arn in enumerate(target.admin_principal_arns):
        match = PRINCIPAL_ARN.match(arn)
        where = f"{key}.adminPrincipalArns[{index}]"
        if match is None:
            issues.append(
                ConfigIssue(
                    key=where,
                    value=arn,
                    message="not an IAM role or user ARN (no wildcards); allowed: "
                    "arn:aws:iam::<12-digit account>:role/<name> or arn:aws:iam::<12-digit account>:user/<name>",
                )
            )
        elif match.group("partition") != expected:
            issues.append(
                ConfigIssue(
                    key=where,
                    value=arn,
                    message=f"partition {match.group('partition')!r}; allowed: {expected!r} for region {target.region}",
                )
            )
        elif arn in seen:
            issues.append(ConfigIssue(key=where, value=arn, message="listed twice; list each principal once"))
        seen.add(arn)
    return issues


def _check_gateway(config: StackConfig) -> list[ConfigIssue]:
    """``llmd:gateway``: ``public`` agrees with a GKE ``className``; TLS sources fit the target; authentication fits
    the implementation; a public gateway names its authentication (``none`` explicitly). Never echoes a secret."""
    issues: list[ConfigIssue] = []
    gw = config.gateway
    key = f"{CONFIG_NAMESPACE}:gateway"
    gcp = isinstance(config.target, GcpTarget)
    implied = GKE_CLASS_PUBLIC.get(gw.class_name or "")
    if gw.public is not None and implied is not None and gw.public != implied:
        issues.append(
            ConfigIssue(
                key=f"{key}.public",
                value=gw.public,
                message=(
                    f"contradicts className {gw.class_name} (an {'external' if implied else 'internal'} load "
                    f"balancer); allowed: public: {str(implied).lower()} with that class, or drop className"
                ),
            )
        )
    tls = gw.tls
    if tls.mode == "none":
        extra = sorted(
            to_camel(f) for f in tls.model_fields_set if f not in ("mode",) and getattr(tls, f) not in (None, ())
        )
        if extra:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls.mode",
                    value="none",
                    message=f"turns HTTPS off, so {', '.join(extra)} cannot be set; allowed: https (default) or none",
                )
            )
    else:
        if tls.port == gw.port:
            issues.append(
                ConfigIssue(key=f"{key}.tls.port", value=tls.port, message=f"must differ from port ({gw.port})")
            )
        if tls.pre_shared_certificates and not gcp:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls.preSharedCertificates",
                    value=list(tls.pre_shared_certificates),
                    message="pre-shared Compute Engine certificates exist on GKE only; allowed here: secretName, "
                    "issuer, or neither (a self-signed CA)",
                )
            )
        sources = [f for f in ("pre_shared_certificates", "secret_name", "issuer") if getattr(tls, f)]
        if len(sources) > 1:
            issues.append(
                ConfigIssue(
                    key=f"{key}.tls",
                    value=", ".join(to_camel(f) for f in sources),
                    message="name one certificate source: preSharedCertificates, secretName or issuer",
                )
            )
    auth = gw.authentication
    public = config.gateway_public
    cls = config.gateway_class
    if auth is None and public:
        issues.append(
            ConfigIssue(
                key=f"{key}.authentication",
                message=(
                    "a public gateway needs authentication: set authentication.iap (GKE) or authentication.jwt "
                    "(Istio), or 'authentication: none' to serve it open on purpose (flagged); or make it internal "
                    "(public: false)"
                ),
            )
        )
    if isinstance(auth, AuthenticationConfig):
        chosen = [name for name in ("jwt", "iap") if getattr(auth, name) is not None]
        if len(chosen) != 1:
            issues.append(
                ConfigIssue(
                    key=f"{key}.authentication",
                    value=", ".join(chosen) or "{}",
                    message="set exactly one of jwt or iap (or the string none)",
                )
            )
        if auth.jwt is not None and cls != "istio":
            issues.append(
                ConfigIssue(
                    key=f"{key}.authentication.jwt",
                    value=cls,
                    message=(
                        "JWT validation is generated for the istio gateway class only; allowed: className istio, "
                        "or authentication.iap on GKE"
                    ),
                )
            )
        if auth.iap is not None:
            iap = auth.iap
            if not gcp:
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap",
                        value=config.target.cloud,
                        message="Identity-Aware Proxy exists on GKE only; allowed here: authentication.jwt",
                    )
                )
            if tls.mode == "none":
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap",
                        value="tls.mode: none",
                        message="IAP needs an HTTPS load balancer; allowed: tls.mode https (default)",
                    )
                )
            if (iap.client_secret_name is None) == (iap.client_secret is None):
                issues.append(
                    ConfigIssue(
                        key=f"{key}.authentication.iap.clientSecretName",
                        message=(
                            "set exactly one of clientSecretName (an existing Secret with the key 'key') or "
                            "clientSecret (a Pulumi secret: pulumi config set --secret --path "
                            "'llmd:gateway.authentication.iap.clientSecret' ...)"
                        ),
                    )
                )
            for index, member in enumerate(iap.members):
                if not _IAM_MEMBER.match(member):
                    issues.append(
                        ConfigIssue(
                            key=f"{key}.authentication.iap.members[{index}]",
                            value=member,
                            message="allowed: an IAM principal such as user:alice@example.com, "
                            "group:llm-users@example.com, serviceAccount:ci@my-project.iam.gserviceaccount.com",
                        )
                    )
    return issues


def _check_stack(config: StackConfig, unchecked_pools: frozenset[str] = frozenset()) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    target = config.target
    if isinstance(target, GcpTarget) and not target.zone.startswith(target.region + "-"):
        issues.append(
            ConfigIssue(
                key=f"{CONFIG_NAMESPACE}:target.zone",
                value=target.zone,
                message=f"must be a zone of region {target.region} (e.g. {target.region}-a)",
            )
        )
    for field, values in (
        ("pools", [p.name for p in config.pools]),
        ("models", [m.name for m in config.models]),
    ):
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                issues.append(
                    ConfigIssue(key=f"{CONFIG_NAMESPACE}:{field}[{index}].name", value=value, message="duplicate name")
                )
            seen.add(value)
    prefixes: dict[str, str] = {}
    for index, model in enumerate(config.models):
        other = prefixes.setdefault(model.route_path_prefix, model.name)
        if other != model.name:
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:models[{index}].routePathPrefix",
                    value=model.route_path_prefix,
                    message=f"already routes to model '{other}'; give each model its own prefix",
                )
            )
    gateway_class = config.gateway.class_name
    if gateway_class is not None:
        allowed_classes = GKE_GATEWAY_CLASSES if isinstance(target, GcpTarget) else SELF_MANAGED_GATEWAY_CLASSES
        if gateway_class not in allowed_classes:
            issues.append(
                ConfigIssue(
                    key=f"{CONFIG_NAMESPACE}:gateway.className",
                    value=gateway_class,
                    message=f"not available for target cloud '{target.cloud}'; allowed: {', '.join(allowed_classes)}",
                )
            )
    issues.extend(_check_gateway(config))
    minor = int(config.cluster.kubernetes_version.split(".")[1])
    if isinstance(target, GcpTarget) and minor < _GKE_MIN_INFERENCEPOOL_MINOR:
        issues.append(
            ConfigIssue(
                key=f"{CONFIG_NAMESPACE}:cluster.kubernetesVersion",
                value=config.cluster.kubernetes_version,
                message=(
                    "GKE installs the InferencePool CRD the gateway needs only from "
                    f"{versions.GKE_MIN_VERSION_WITH_INFERENCEPOOL_CRD}; "
                    f"allowed: 1.{_GKE_MIN_INFERENCEPOOL_MINOR} or later"
                ),
            )
        )
    if config.cluster.system_pool.min_nodes > config.cluster.system_pool.max_nodes:
        issues.append(
            ConfigIssue(
                key=f"{CONFIG_NAMESPACE}:cluster.systemPool.minNodes",
                value=config.cluster.system_pool.min_nodes,
                message=f"must be <= maxNodes ({config.cluster.system_pool.max_nodes})",
            )
        )
    issues.extend(_check_cluster_hardening(config))
    if isinstance(target, AwsTarget):
        issues.extend(_check_aws_target(target))
    shapes: dict[str, catalog.MachineShape] = {}
    cloud = target.cloud_enum
    for index, pool in enumerate(config.pools):
        pool_issues, shape = _check_pool(cloud, index, pool)
        issues.extend(pool_issues)
        issues.extend(_check_pool_for_target(target, index, pool, shape))
        if shape is not None:
            shapes[pool.name] = shape
    issues.extend(_check_models(config, shapes, unchecked_pools))
    return issues


def _valid_items(model: type[_Model], raw: Any) -> list[tuple[int, Any]]:
    """``(index, parsed item)`` for the items of a raw list that validate on their own."""
    if not isinstance(raw, list):
        return []
    out: list[tuple[int, Any]] = []
    for index, item in enumerate(raw):
        with contextlib.suppress(ValidationError):
            out.append((index, model.model_validate(item)))
    return out


_TARGET: TypeAdapter[GcpTarget | AwsTarget | ExistingTarget] = TypeAdapter(Target)


def _partial_checks(payload: Mapping[str, Any]) -> list[ConfigIssue]:
    """Cross-field checks over the parts of an invalid config that do validate, keyed by their original index.

    So one run reports a typo in ``models[0]`` together with, say, a TP size of ``models[1]`` that does not fit.
    """
    try:
        target = _TARGET.validate_python(payload.get("target"))
    except ValidationError:
        return []  # without a valid target no catalog check can run
    try:
        cluster = ClusterConfig.model_validate(payload.get("cluster", {}))
    except ValidationError:
        # The cluster section is already reported; do not also report its control plane as missing.
        cluster = ClusterConfig(control_plane=ControlPlaneConfig(authorized_cidrs=()))
    pools = _valid_items(PoolConfig, payload.get("pools"))
    models = _valid_items(ModelConfig, payload.get("models"))
    raw = payload.get("pools")
    raw_pools: list[Any] = raw if isinstance(raw, list) else []
    valid_names = {p.name for _, p in pools}
    invalid_names = frozenset(
        str(item.get("name"))
        for item in raw_pools
        if isinstance(item, Mapping) and str(item.get("name")) not in valid_names
    )
    partial = StackConfig.model_construct(
        target=target,
        cluster=cluster,
        namespace="llm-d",
        pools=tuple(p for _, p in pools),
        models=tuple(m for _, m in models),
        gateway=GatewayConfig(),
    )
    index_maps = {"pools": [i for i, _ in pools], "models": [i for i, _ in models]}

    def remap(match: re.Match[str]) -> str:
        field, index = match.group(1), int(match.group(2))
        return f"{field}[{index_maps[field][index]}]"

    issues = []
    for issue in _check_stack(partial, invalid_names):
        key = re.sub(r"(pools|models)\[(\d+)\]", remap, issue.key)
        issues.append(issue.model_copy(update={"key": key}))
    return issues


def parse_stack_config(data: Mapping[str, Any]) -> StackConfig:
    """Validate ``data`` (the ``llmd:`` keys without the namespace, camelCase) into a :class:`StackConfig`.

    Raises :class:`ConfigError` listing every problem: unknown or missing keys, values out of range, booleans where
    numbers or strings belong, and the catalog checks (accelerator offered on the cloud, TP x PP fits one node,
    replicas fit the pool's maximum). Secret keys (``hfToken``) are not read here: see :func:`parse_config_values`.
    """
    allowed_top = STACK_KEYS + SECRET_KEYS
    unknown = sorted(set(data) - set(STACK_KEYS) - set(SECRET_KEYS))
    issues = [
        ConfigIssue(
            key=f"{CONFIG_NAMESPACE}:{k}",
            value=data[k] if isinstance(data[k], str) else None,
            message=f"unknown key{did_you_mean(str(k), allowed_top)}; allowed: {', '.join(allowed_top)}",
        )
        for k in unknown
    ]
    payload = {k: v for k, v in data.items() if k in STACK_KEYS}
    for k, v in payload.items():
        found = _model_field(StackConfig, k)
        if found is not None:
            issues.extend(_stray_booleans(found[1], v, f"{CONFIG_NAMESPACE}:{found[0]}"))
    try:
        config = StackConfig.model_validate(payload)
    except ValidationError as exc:
        field_issues = _from_validation_error(exc)
        raise ConfigError(_dedupe(issues + field_issues + _partial_checks(payload))) from None
    if issues:  # booleans pydantic's lax mode accepted
        raise ConfigError(issues)
    config = _size_default_resources(config)
    issues.extend(_check_stack(config))
    if issues:
        raise ConfigError(issues)
    return config


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
_STRING_KEYS = frozenset({"namespace", "hfToken"})


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
    ``[secret]`` marker."""

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
    """A validated stack: the plain :class:`StackConfig` and the :class:`ConfigSecrets` read beside it."""

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


def parse_config_values(
    values: Mapping[str, Any],
    secret_keys: Collection[str] = (),
    secret_paths: Collection[str] | None = None,
) -> ParsedStack:
    """Validate the whole Pulumi config of a stack: every key as Pulumi hands it to the program.

    Args:
        values: fully qualified key (``llmd:models``, ``gcp:project`` ...) -> value; strings as Pulumi passes them
            (structured values JSON-encoded), or already decoded values.
        secret_keys: the keys Pulumi lists as secrets (``pulumi.runtime.config`` ``_SECRET_KEYS``): a key whose value
            is or contains a ``secure:`` value (pulumi/pulumi ``sdk/go/common/resource/config/value.go``).
        secret_paths: when known (the offline render reads the stack file: :class:`pulumi_llmd.stackfile.StackFile`),
            the exact config paths of the ``secure:`` values; Pulumi itself only says which top-level key holds
            one and hands the program decrypted values (pulumi/pulumi PR #3342).

    Returns a :class:`ParsedStack`. Raises :class:`ConfigError` listing every problem, never showing a secret:
    a key without a namespace or under a misspelled ``llmd`` namespace (``llmdd:``, ``llm-d:``, ``LLMD:``); a
    :data:`SECRET_PATHS` value set in plain text (the message says the ``pulumi config set --secret`` command); a
    secret anywhere else; and everything :func:`parse_stack_config` reports.
    """
    issues = _namespace_issues(values)
    prefix = CONFIG_NAMESPACE + ":"
    secret = set(secret_keys)
    data: dict[str, Any] = {}
    found: dict[str, Any] = {}
    for full_key, raw in values.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        value = _decode(key, raw)
        leaves = _leaves(value, full_key)
        if full_key in secret:
            # The offline render marks every secure value, which gives the exact paths (pulumi_llmd.stackfile).
            marked = [p for p, v in leaves if v == SECRET_MARKER]
            exact = secret_paths if secret_paths is not None else (marked or None)
            if exact is not None:
                misplaced = sorted(
                    p
                    for p in exact
                    if (p == full_key or p.startswith((full_key + ".", full_key + "["))) and not _is_secret_path(p)
                )
            else:
                misplaced = [] if any(_is_secret_path(p) for p, _ in leaves) else [full_key]
            issues.extend(
                ConfigIssue(
                    key=p,
                    message="holds a secret value, but only "
                    + ", ".join(SECRET_PATHS)
                    + " may be secrets (pass other credentials through models[i].secretEnv, an env var read "
                    "from a Kubernetes Secret); set it in plain text or remove it",
                )
                for p in misplaced
            )
        else:
            issues.extend(
                ConfigIssue(
                    key=p,
                    message=f"must be a secret: it is stored in plain text in the stack file; remove it "
                    f"(pulumi config rm{' --path' if p != full_key else ''} '{p}') and set it with {_secret_fix(p)}",
                )
                for p, v in leaves
                if _is_secret_path(p) and v not in (None, "")
            )
        issues.extend(_credential_shaped(leaves))
        if key == "hfToken":
            found[full_key] = value
            continue
        data[key] = _detach(value, full_key, found)
    secrets: dict[str, str] = {}
    for path, value in sorted(found.items()):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            issues.append(ConfigIssue(key=path, message="must be a string (a token set with --secret)"))
            continue
        secrets[path] = value
    # SecretStr leaves that stay in the config are secrets too (for redaction and for read_secrets()).
    for full_key in sorted(secret & set(values)):
        if full_key.startswith(prefix) and full_key[len(prefix) :] in data:
            for path, value in _leaves(data[full_key[len(prefix) :]], full_key):
                if _is_secret_path(path) and isinstance(value, str) and value:
                    secrets[path] = value
    try:
        config = parse_stack_config(data)
    except ConfigError as exc:
        raise ConfigError(_dedupe(issues + exc.issues)) from None
    if issues:
        raise ConfigError(issues)
    return ParsedStack(config=config, secrets=ConfigSecrets(values=secrets))


def _credential_shaped(leaves: list[tuple[str, Any]]) -> list[ConfigIssue]:
    """Plain values (and mapping keys) outside :data:`SECRET_PATHS` shaped like a credential
    (:func:`pulumi_llmd.redact.looks_like_credential`: ``hf_...``, ``sk-...``, ``AKIA...``, a JWT, a PEM key ...): they
    would be written into manifests, the Pulumi state and logs. ``extraEnv`` / ``extraArgs`` values have their own,
    more specific messages (:class:`ModelConfig`)."""
    issues = []
    for path, value in leaves:
        if _is_secret_path(path):
            continue
        name = path.rsplit(".", 1)[-1]
        if looks_like_credential(name.split("[", 1)[0]):
            issues.append(ConfigIssue(key=path.rsplit(".", 1)[0], message="has a key shaped like a credential"))
        elif (
            isinstance(value, str)
            and looks_like_credential(value)
            and not re.search(r"\.(extraEnv|extraArgs)(\.|\[|$)", path)
        ):
            issues.append(
                ConfigIssue(
                    key=path,
                    value=value,
                    message="looks like a credential and would be written in plain text into the manifests and the "
                    "Pulumi state; allowed: a secret at " + ", ".join(SECRET_PATHS) + " (pulumi config set --secret "
                    "--path), or an env var read from a Kubernetes Secret (models[i].secretEnv)",
                )
            )
    return issues


def _dedupe(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    """``issues`` without repeats and, where a key has a precise issue, without a vaguer one of the same key."""
    seen: set[tuple[str, str]] = set()
    out = []
    for issue in issues:
        if (issue.key, issue.message) not in seen:
            seen.add((issue.key, issue.message))
            out.append(issue)
    return out


def _size_default_resources(config: StackConfig) -> StackConfig:
    """Models that leave ``resources`` out get the defaults capped at their share of the node.

    The defaults (:class:`ModelResources`: 8 / 16 CPU, 96 / 128 GiB, 20 GiB shm) are llm-d's for Qwen3-32B at TP 2 on
    an 8-GPU node; on a smaller node (e.g. two TP-1 pods on a 2 x L4 ``g2-standard-24``: 24 vCPU, 96 GiB) they would
    not fit. A pod taking ``d`` of the node's ``n`` accelerators gets at most ``d/n`` of its vCPUs and memory: 80 %
    of that share as the request, 90 % as the limit (the rest is the node's reservations and the daemons), shm a
    quarter of the memory request. Explicit ``resources`` are kept as written; wide-EP and the simulator size their
    own pods. Pools whose shape cannot be resolved are left to the checks to report.
    """
    models = []
    changed = False
    for model in config.models:
        if "resources" in model.model_fields_set or model.path in (
            WellLitPath.WIDE_EP,
            WellLitPath.SIMULATED_ACCELERATORS,
        ):
            models.append(model)
            continue
        try:
            shape = config.shape_of(config.pool_of(model))
        except (KeyError, IndexError, ValueError, StopIteration, AttributeError):
            models.append(model)
            continue
        share = min(1.0, model.gpus_per_replica / max(1, shape.accelerator_count))
        default = ModelResources()
        cpu_request = min(int(parse_quantity(default.cpu_request)), max(1, int(shape.vcpus * share * 0.8)))
        cpu_limit = min(int(parse_quantity(default.cpu_limit)), max(cpu_request, int(shape.vcpus * share * 0.9)))
        memory_request = min(
            int(parse_quantity(default.memory_request) / 2**30), max(4, int(shape.memory_gib * share * 0.8))
        )
        memory_limit = min(
            int(parse_quantity(default.memory_limit) / 2**30), max(memory_request, int(shape.memory_gib * share * 0.9))
        )
        shm = min(int(parse_quantity(default.shm_size) / 2**30), max(1, memory_request // 4))
        sized = ModelResources(
            cpu_request=str(cpu_request),
            cpu_limit=str(cpu_limit),
            memory_request=f"{memory_request}Gi",
            memory_limit=f"{memory_limit}Gi",
            shm_size=f"{shm}Gi",
        )
        if sized != model.resources:
            changed = True
            model = model.model_copy(update={"resources": sized})
        models.append(model)
    return config.model_copy(update={"models": tuple(models)}) if changed else config
