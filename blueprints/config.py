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
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.models import ModelSpec, model_spec, pod_ephemeral_gib
from pulumi_llmd.components.quantity import parse_quantity
from pulumi_llmd.components.serving.leader_worker_set import WIDE_EP_RESOURCES
from pulumi_llmd.components.serving.model_server import PodResources, pod_fit_problems
from pulumi_llmd.components.serving.router import SMALL_EPP_RESOURCES

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


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value)
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
    #: Control-plane range for private clusters (``privateNodes: true``).
    master_cidr: Cidr = "172.16.0.0/28"


class SystemPoolConfig(_Model):
    """The small CPU pool for system pods, the endpoint pickers and the gateway's helpers."""

    machine_type: str = "e2-standard-8"
    min_nodes: Annotated[int, Field(ge=1, le=100)] = 1
    max_nodes: Annotated[int, Field(ge=1, le=100)] = 3


ReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]


class ClusterConfig(_Model):
    """The Kubernetes cluster: name, version, release channel, networking."""

    name: DnsLabel = "llm-d"
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}(\.[0-9]+(-gke\.[0-9]+)?)?$")] = (
        versions.KUBERNETES_VERSION
    )
    release_channel: ReleaseChannel = "REGULAR"
    private_nodes: bool = False
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


#: Keys of a model that only one path reads.
_PATH_ONLY_MODEL_KEYS: Mapping[str, tuple[WellLitPath, ...]] = {
    "prefill": (WellLitPath.PD_DISAGGREGATION, WellLitPath.WIDE_EP),
    "kv_transport": (WellLitPath.PD_DISAGGREGATION,),
    "kv_offload": (WellLitPath.TIERED_PREFIX_CACHE,),
    "tokenizer_replicas": (WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,),
    "data_parallel_size": (WellLitPath.WIDE_EP,),
    "data_parallel_size_local": (WellLitPath.WIDE_EP,),
}


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
    extra_args: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = Field(default_factory=dict)
    resources: ModelResources = ModelResources()
    router: RouterConfig = RouterConfig()
    #: Path prefix of the HTTPRoute rule that sends requests to this model's InferencePool.
    route_path_prefix: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/._-]*$")] = "/"
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

    @field_validator("extra_args")
    @classmethod
    def _flags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        managed = {
            "--tensor-parallel-size",
            "--pipeline-parallel-size",
            "--port",
            "--served-model-name",
            "--block-size",
            "--kv-transfer-config",
            "--kv-events-config",
        }
        for arg in value:
            flag = arg.split("=", 1)[0]
            if flag in managed:
                raise ValueError(f"{flag} is set from the model's fields; remove it from extraArgs")
        return value

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


class GatewayConfig(_Model):
    """The Gateway in front of the InferencePools (llm-d's guides name it ``llm-d-inference-gateway``)."""

    name: DnsLabel = "llm-d-inference-gateway"
    #: Default: ``gke-l7-regional-external-managed`` on GKE, ``istio`` elsewhere.
    class_name: Literal["gke-l7-regional-external-managed", "gke-l7-rilb", "istio", "agentgateway"] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 80
    #: Backend request timeout in seconds for the GKE load balancer (long generations need minutes).
    timeout_sec: Annotated[int, Field(ge=1, le=86400)] = 300


# --- the stack ------------------------------------------------------------------------------------------------------


class StackConfig(_Model):
    """Everything a stack deploys. Build it with :func:`parse_stack_config` to get the cross-field checks."""

    target: Target
    cluster: ClusterConfig = ClusterConfig()
    namespace: DnsLabel = "llm-d"
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
        """The Gateway's class: as configured, else GKE's external regional ALB on GCP and Istio elsewhere."""
        if self.gateway.class_name is not None:
            return self.gateway.class_name
        return GKE_GATEWAY_CLASSES[0] if self.target.cloud == "gcp" else SELF_MANAGED_GATEWAY_CLASSES[0]

    def shape_of(self, pool: PoolConfig) -> catalog.MachineShape:
        """The catalog machine shape of a pool (assumes the config passed :func:`parse_stack_config`)."""
        return resolve_shape(self.target.cloud_enum, pool)

    def provisioning_of(self, pool: PoolConfig) -> str:
        """How a pool's capacity is bought: its ``provisioning`` or the machine type's default (see
        :func:`pool_provisioning`)."""
        return pool_provisioning(pool, self.shape_of(pool))


# --- errors ---------------------------------------------------------------------------------------------------------


class ConfigIssue(BaseModel):
    """One problem in a stack configuration."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: Any = None
    message: str

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value!r}"
        return f"{self.key}{shown}: {self.message}"


class ConfigError(ValueError):
    """A stack configuration is invalid. ``issues`` holds every problem found; ``str()`` lists them one per line."""

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
            message = "unknown key (check the spelling; keys are camelCase)"
        elif isinstance(value, Mapping | list | tuple):
            value = None  # do not echo whole sub-documents
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
        pool_name = model.pool or pool_names[0]
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
        cluster = ClusterConfig()
    pools = _valid_items(PoolConfig, payload.get("pools"))
    models = _valid_items(ModelConfig, payload.get("models"))
    raw = payload.get("pools")
    raw_pools: list[Any] = raw if isinstance(raw, list) else []
    valid_names = {p.name for _, p in pools}
    invalid_names = frozenset(
        str(item.get("name")) for item in raw_pools if isinstance(item, Mapping) and item.get("name") not in valid_names
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

    Raises :class:`ConfigError` listing every problem: unknown or missing keys, values out of range, and the
    catalog checks (accelerator offered on the cloud, TP x PP fits one node, replicas fit the pool's maximum).
    """
    unknown = sorted(set(data) - set(STACK_KEYS) - set(SECRET_KEYS))
    issues = [
        ConfigIssue(
            key=f"{CONFIG_NAMESPACE}:{k}",
            message=f"unknown key; allowed: {', '.join(STACK_KEYS + SECRET_KEYS)}",
        )
        for k in unknown
    ]
    payload = {k: v for k, v in data.items() if k in STACK_KEYS}
    try:
        config = StackConfig.model_validate(payload)
    except ValidationError as exc:
        field_issues = _from_validation_error(exc)
        raise ConfigError(issues + field_issues + _partial_checks(payload)) from None
    config = _size_default_resources(config)
    issues.extend(_check_stack(config))
    if issues:
        raise ConfigError(issues)
    return config


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
