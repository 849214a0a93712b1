"""Conformant by default: :class:`LlmdPlatform` (once per cluster) and :class:`LlmdInference` (once per model).

A platform team's own program builds its cluster and accelerator pools with the cloud components, then::

    platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4])
    LlmdInference("qwen3-8b", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=2)

and gets what a reference stack gets, built by the same code (``blueprints/deploy.py``), so both policy packs
(AI-conformance MUSTs and the llm-d practices) pass with no mandatory violation and the first-deploy twin finds nothing
``pulumi up`` would fail on:

* :class:`LlmdPlatform` turns its arguments into the stack schema's sections (``blueprints/config.py``: target,
  cluster network, pools, gateway), plans them (``blueprints/plan.py``) and builds them with
  :func:`~pulumi_llmd.blueprints.deploy.build_platform` and the target's module (``blueprints/targets/``): Kueue and
  its queues, the LeaderWorkerSet operator, the metrics path of the autoscalers, off GKE the Gateway API +
  InferencePool CRDs, the gateway implementation and device plugins / DCGM, the namespace with its Pod Security level
  and default-deny NetworkPolicies, and one shared Gateway, secure by default as ``llmd:gateway`` (internal load
  balancer, HTTPS with a certificate from ``blueprints/endpoint.py``, HTTP redirected; a public gateway needs
  authentication or an explicit ``authentication="none"``).
* :class:`LlmdInference` turns its arguments into a stack model (``llmd:models[i]``), validated by the stack's rules
  (:func:`~pulumi_llmd.blueprints.validation.parse_stack_config`; messages name the argument), planned, and served
  with :func:`~pulumi_llmd.blueprints.deploy.serve_model`: the well-lit path's component (``blueprints/paths/``:
  ``optimized-baseline``, ``precise-prefix-cache-routing``, ``tiered-prefix-cache`` on a pool,
  ``simulated-accelerators`` without one) with HA pickers, an HPA, PDBs, the InferencePool and an HTTPRoute on the
  platform's Gateway (its own path prefix), then monitoring, NetworkPolicy allows and the load balancer's
  per-model policies for the target.

Everything the platform registers (Kueue, LWS, the target's add-ons from ``blueprints/targets``: CRDs, the gateway
implementation, cert-manager, Prometheus, the metrics adapter, device plugins; the endpoint's certificates from
``blueprints/endpoint.py``; the namespace, queues and Gateway) is a descendant of the :class:`LlmdPlatform`, and every
model's objects of its :class:`LlmdInference` (a stack registers the same objects without a parent).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict, Unpack, overload

import pulumi
from pydantic import BaseModel, TypeAdapter, ValidationError

from pulumi_llmd.blueprints.config import (
    ClusterConfig,
    GatewayConfig,
    LlmdReleaseName,
    PoolConfig,
    StackConfig,
    StackNamespaceName,
    Target,
    WellLitPath,
)
from pulumi_llmd.blueprints.deploy import BuiltPlatform, build_platform, serve_model
from pulumi_llmd.blueprints.endpoint import certificate_dns_names
from pulumi_llmd.blueprints.issues import ConfigError, ConfigIssue, from_validation_error
from pulumi_llmd.blueprints.paths import ServedModel
from pulumi_llmd.blueprints.plan import StackPlan, plan_stack, size_default_resources
from pulumi_llmd.blueprints.pod_security import VLLM_ROOT_REASON, pod_security_needs
from pulumi_llmd.blueprints.targets import Target as DeployTarget
from pulumi_llmd.blueprints.targets import target_for
from pulumi_llmd.blueprints.validation import gateway_issues, parse_stack_config
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.args import (
    ArgsError,
    component_args,
    count_problem,
    dns_label_problem,
    format_problem,
    one_of_problem,
)
from pulumi_llmd.components.aws import EksCluster, GpuNodeGroup
from pulumi_llmd.components.base import AcceleratorPool, Cluster, Platform
from pulumi_llmd.components.cluster import ExistingCluster
from pulumi_llmd.components.gcp import GkeCluster, GpuNodePool, TpuNodePool
from pulumi_llmd.components.platform import InferenceGateway, Kueue, LeaderWorkerSetController, StackNamespace
from pulumi_llmd.components.platform.pod_security import BASELINE, PodSecurityNeed, decide
from pulumi_llmd.components.serving import (
    EndpointPicker,
    HttpRoute,
    InferencePool,
    InferenceSimulator,
    ModelServer,
    ModelServerAutoscaler,
    PodResources,
)
from pulumi_llmd.components.serving.router import path_prefix_problem

__all__ = [
    "JwtAuthentication",
    "LlmdInference",
    "LlmdInferenceArgs",
    "LlmdPlatform",
    "LlmdPlatformArgs",
    "SecretKeyRef",
]

#: A cluster component :class:`LlmdPlatform` deploys into.
ClusterComponent = GkeCluster | EksCluster | ExistingCluster
#: An accelerator pool: a node component (its nodes are awaited) or a plain pool (an existing cluster's).
PoolRef = GpuNodePool | TpuNodePool | GpuNodeGroup | AcceleratorPool

#: Well-lit paths :class:`LlmdInference` builds (the first is the default on a pool).
SUPPORTED_PATHS = tuple(
    p.value
    for p in (
        WellLitPath.OPTIMIZED_BASELINE,
        WellLitPath.PRECISE_PREFIX_CACHE_ROUTING,
        WellLitPath.TIERED_PREFIX_CACHE,
        WellLitPath.SIMULATED_ACCELERATORS,
    )
)
#: Well-lit paths a stack file serves that :class:`LlmdInference` does not (yet): they need more arguments (the
#: prefill role, data-parallel sizes) and, on RDMA pools, the fabric the cloud components do not expose here.
STACK_ONLY_PATHS = (WellLitPath.PD_DISAGGREGATION.value, WellLitPath.WIDE_EP.value)
#: GKE's managed gateway classes: internal regional ALB (default) and the external one (``public=True``).
GKE_INTERNAL_CLASS, GKE_PUBLIC_CLASS = "gke-l7-rilb", "gke-l7-regional-external-managed"
#: The gateway name llm-d's guides use (the stack default, ``llmd:gateway.name``).
DEFAULT_GATEWAY = GatewayConfig().name
_HF_ID = re.compile(r"^([A-Za-z0-9][\w.-]*/[\w.-]+|random)$")

#: Stack keys (``llmd:<key>``) of the platform's sections -> the :class:`LlmdPlatform` argument they come from.
_PLATFORM_KEYS = {
    "namespace": "namespace",
    "release": "release",
    "gateway.name": "gateway_name",
    "gateway.className": "gateway_class",
    "gateway.public": "public",
    "gateway.tls": "tls_issuer",
    "gateway.tls.mode": "https",
    "gateway.tls.hostname": "tls_hostname",
    "gateway.tls.issuer": "tls_issuer",
    "gateway.tls.secretName": "tls_secret_name",
    "gateway.authentication": "authentication",
    "target.project": "project",
    "cluster.network.proxyOnlyCidr": "proxy_only_cidr",
    "cluster.network.masterCidr": "control_plane_cidr",
    "pools": "pools",
}
#: Stack keys of a model (``llmd:models[0].<key>``) -> the :class:`LlmdInference` argument they come from.
_MODEL_KEYS = {
    "name": "name",
    "huggingFaceId": "model",
    "servedName": "served_name",
    "pool": "pool",
    "path": "path",
    "replicas": "replicas",
    "tensorParallelSize": "tensor_parallel_size",
    "maxModelLen": "max_model_len",
    "gpuMemoryUtilization": "gpu_memory_utilization",
    "extraArgs": "extra_args",
    "extraEnv": "extra_env",
    "secretEnv": "secret_env",
    "image": "image",
    "resources": "resources",
    "router.replicas": "picker_replicas",
    "router.scorerWeights": "scorer_weights",
    "routePathPrefix": "route_path",
    "weightsGiB": "weights_gib",
    "tokenizerReplicas": "tokenizer_replicas",
    "kvOffload": "kv_offload_gib",
}
#: The stack's words in a model rule's message -> the words of LlmdInference's arguments (the rules themselves, e.g.
#: ``ModelConfig``'s no-secrets-in-extraEnv validator, are the stack's: ``blueprints/config.py``).
_ARG_WORDS = (
    ("pulumi config set --secret llmd:hfToken <token>", "LlmdPlatform(hf_token=...)"),
    ("the Secret the stack creates", "the Secret the platform creates"),
    ("the stack puts it in a Secret", "the platform puts it in a Secret"),
    ("models[i].secretEnv", "secret_env"),
    ("secretEnv", "secret_env"),
    ("(secretName, key)", "{'secret_name', 'key'}"),
    ("secretName and key", "secret_name and key"),
    ("extraEnv", "extra_env"),
    ("extraArgs", "extra_args"),
)


def _arg_words(message: str) -> str:
    """A stack rule's message in the words of :class:`LlmdInference`'s arguments (:data:`_ARG_WORDS`)."""
    for stack_words, arg_words in _ARG_WORDS:
        message = message.replace(stack_words, arg_words)
    return message


#: A pool's size keys: the capacity rule (the models on a pool fit its maximum size) speaks of them.
_POOL_SIZE_KEY = re.compile(r"^llmd:pools\[\d+\]\.(autoscaling\.maxNodes|nodeCount)$")


def _arg_problems(issues: Sequence[ConfigIssue], prefix: str, names: Mapping[str, str]) -> list[str]:
    """Config issues (stack keys under ``prefix``) as argument problems: ``<argument> = <value>: <message>``, the
    argument the key comes from (the longest known key it starts with; else the stack key itself)."""
    problems = []
    for issue in issues:
        key = issue.key.removeprefix(prefix)
        known = [k for k in names if key == k or key.startswith((f"{k}.", f"{k}["))]
        arg = names[max(known, key=len)] if known else key
        if issue.value is None:
            problems.append(f"{arg}: {issue.message}")
        else:
            problems.append(format_problem(arg, issue.value, issue.message))
    return problems


class JwtAuthentication(TypedDict, total=False):
    """Gateway authentication with JWTs (Istio ``RequestAuthentication`` + ``AuthorizationPolicy``), as a stack's
    ``llmd:gateway.authentication.jwt``."""

    issuer: Required[str]
    """The token issuer (``iss``)."""
    jwks_uri: Required[str]
    """Where the issuer publishes its keys (``https://...``)."""
    audiences: Sequence[str]
    """Accepted audiences. Default: any audience."""


class SecretKeyRef(TypedDict, total=False):
    """One key of a Kubernetes Secret in the platform's namespace, read into an env var (``valueFrom.secretKeyRef``),
    as a stack model's ``secretEnv.<NAME>`` (``blueprints/config.py`` ``SecretKeyRef``). Create the Secret outside
    the program (the pods wait in ``CreateContainerConfigError`` until it exists)."""

    secret_name: Required[str]
    """The Secret's name (a DNS subdomain)."""
    key: Required[str]
    """One of its data keys (``[-._a-zA-Z0-9]+``)."""


class LlmdPlatformArgs(TypedDict, total=False):
    """Arguments of :class:`LlmdPlatform` (the defaults are a reference stack's)."""

    cluster: Required[ClusterComponent]
    """The cluster: a ``GkeCluster``, ``EksCluster`` or ``ExistingCluster``; the platform (GKE, EKS, existing) and the
    Kubernetes provider come from it."""
    pools: Sequence[PoolRef]
    """The accelerator pools models run on (Kueue gets a flavor and quota for each; the device plugins serve them).
    Default: the pools of an ``ExistingCluster``, none for a cloud cluster (a model then has no pool to run on)."""
    namespace: str
    """The namespace of the Gateway, the model servers, pickers and routes. Default: ``llm-d``."""
    hf_token: pulumi.Input[str]
    """A Hugging Face token as a Pulumi secret (``config.require_secret``); it becomes the Secret ``llm-d-hf-token``
    the model servers read. Default: none (public models only)."""
    gateway_name: str
    """The shared Gateway's name. Default: ``llm-d-inference-gateway`` (llm-d's guides)."""
    gateway_class: str
    """The GatewayClass. Default: on GKE ``gke-l7-rilb`` (internal) or ``gke-l7-regional-external-managed`` with
    ``public``; elsewhere ``istio`` (installed; ``agentgateway`` also works)."""
    public: bool
    """An internet-facing load balancer. Default: False (internal: GKE's internal ALB, an internal NLB on EKS, a
    ClusterIP Service on an existing cluster)."""
    https: bool
    """Serve HTTPS (HTTP redirects to it). False serves plain HTTP, which the posture report flags. Default: True."""
    tls_hostname: str
    """The HTTPS listener's hostname and the certificate's DNS name; on GKE (without ``tls_issuer``) the platform
    requests a Google-managed Certificate Manager certificate for it: publish ``certificate_dns_record``.
    Default: none (any host; a cert-manager certificate names the gateway's in-cluster Service)."""
    tls_issuer: str
    """An existing cert-manager ClusterIssuer to issue the certificate from. Default: a self-signed CA the platform
    creates (cert-manager is installed either way)."""
    tls_secret_name: str
    """An existing ``kubernetes.io/tls`` Secret in ``namespace`` to serve instead of a cert-manager certificate.
    Default: none."""
    authentication: JwtAuthentication | Literal["none"]
    """``{"issuer", "jwks_uri", "audiences"}`` (JWT, with Istio), or ``"none"`` (required to serve a public gateway
    without authentication). Default: none configured, which only an internal gateway allows."""
    project: str
    """GKE: the project (its Workload Identity pool and Cloud Monitoring). Default: the cluster's ``project``
    attribute; required when the cluster object does not expose one."""
    proxy_only_cidr: str
    """GKE: the proxy-only subnet the regional gateway's proxies connect from (``GkeNetwork(proxy_only_cidr=...)``),
    allowed in to the model servers. Default: the cluster's ``network.proxy_only_cidr``; required when the cluster
    object does not expose it."""
    control_plane_cidr: str
    """GKE with private nodes: the control plane's ``master_cidr``, the address the pickers reach the API server on.
    Default: the cluster's ``master_cidr`` when it exposes one, else every address on port 443 (as for a public
    endpoint)."""
    release: str
    """The llm-d release whose images and charts the platform (and its models, unless they say otherwise) deploys:
    ``v0.10.0`` or ``v0.9.0`` (a stack's ``llmd:release``; ``components/versions.py`` RELEASES). Default: the active
    release (:func:`~pulumi_llmd.components.versions.active_release`: the newest, v0.10.0, outside a
    ``use_release`` block)."""


def _pool_of(ref: object) -> tuple[AcceleratorPool, list[pulumi.Resource]] | None:
    """The :class:`AcceleratorPool` a pool reference stands for and the resources its nodes come from."""
    if isinstance(ref, AcceleratorPool):
        return ref, []
    if isinstance(ref, (GpuNodePool, TpuNodePool)):
        return ref.pool, [ref.node_pool]
    if isinstance(ref, GpuNodeGroup):
        return ref.pool, [ref.node_group]
    return None


def _check_name(key: str, value: object) -> list[str]:
    """The stack's name rule (:func:`~pulumi_llmd.components.args.dns_label_problem`) for an argument."""
    problem = dns_label_problem(key, value)
    return [problem] if problem else []


def _validated(schema: Any, key: str, raw: Any) -> tuple[Any, list[ConfigIssue]]:
    """``raw`` validated as the stack section ``key`` (a pydantic model or annotated type), or the issues keyed
    ``llmd:<key>...`` as config validation reports them."""
    try:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate(raw), []
        return TypeAdapter(schema).validate_python(raw), []
    except ValidationError as exc:
        root = schema if isinstance(schema, type) and issubclass(schema, BaseModel) else StackConfig
        issues = from_validation_error(exc, root)
        return None, [
            i.model_copy(update={"key": i.key.replace("llmd:", f"llmd:{key}.", 1).rstrip(".")}) for i in issues
        ]


def _pool_data(cloud: str, pool: AcceleratorPool) -> dict[str, Any]:
    """A pool as a stack file describes it (``llmd:pools[i]``): a cloud pool by its machine type and maximum size, an
    existing cluster's by what one node offers."""
    if cloud != "existing":
        return {"name": pool.name, "machineType": pool.shape.machine_type, "nodeCount": pool.max_nodes}
    shape = pool.shape
    try:
        accelerator: str | None = catalog.accelerator(shape.accelerator.name).name
    except catalog.CatalogError:
        accelerator = None  # a device the catalog does not know (its memory is not checked)
    return {
        "name": pool.name,
        "machineType": shape.machine_type,
        "nodeSelector": dict(pool.node_selector),
        "tolerations": [
            {"key": t.key, "operator": t.operator, "effect": t.effect, **({"value": t.value} if t.value else {})}
            for t in pool.tolerations
        ],
        "resourceName": pool.resource_name,
        "devicesPerNode": shape.accelerator_count,
        "vcpus": max(1, int(shape.vcpus)),
        "memoryGib": max(1, int(shape.memory_gib)),
        "nodeCount": max(1, pool.max_nodes),
        **({"accelerator": accelerator} if accelerator else {}),
    }


def _target_data(cluster: ClusterComponent, project: str | None) -> dict[str, Any]:
    """The stack's ``llmd:target`` for a cluster object. Only what the platform's builders read matters (GKE: the
    project and region; EKS: the VPC's CIDR, which the API server's NetworkPolicy allow names); the zones stand for
    what ``build_cluster`` would use, which the platform never calls."""
    if isinstance(cluster, GkeCluster):
        location = str(cluster.location)
        zonal = re.search(r"-[a-z]$", location) is not None
        region = location.rsplit("-", 1)[0] if zonal else location
        return {"cloud": "gcp", "project": project, "region": region, "zone": location if zonal else f"{region}-a"}
    if isinstance(cluster, EksCluster):
        vpc = getattr(cluster, "vpc", None)
        zones = list(getattr(vpc, "availability_zones", ()) or [f"{cluster.region}a"])
        cidr = getattr(vpc, "cidr", None)
        # A VPC the cluster object does not describe counts as an existing one: the API server is allowed on any
        # address (port 443), as for a stack in an existing VPC (blueprints/targets/eks.py api_server).
        vpc_data = {"cidr": cidr} if cidr else {"existingVpcId": "unknown"}
        return {"cloud": "aws", "region": cluster.region, "availabilityZones": zones, "vpc": vpc_data}
    return {"cloud": "existing"}


class LlmdPlatform(pulumi.ComponentResource):
    """The cluster-wide pieces llm-d needs once per cluster, for any number of :class:`LlmdInference` models.

    Type token ``llmd:blueprints:LlmdPlatform``. Its arguments become the stack schema's sections (``config``: a
    :class:`StackConfig` without models) and its plan (``plan``), built by
    :func:`~pulumi_llmd.blueprints.deploy.build_platform` with the cluster's target (``target``): see the module
    docstring. Children are registered with the cluster's Kubernetes provider and wait for its system nodes.

    Outputs: ``namespace`` (name), ``gateway`` (the :class:`InferenceGateway`), ``gateway_name``, ``gateway_class``,
    ``platform`` (:class:`Platform`), ``cluster`` (the cloud-neutral :class:`Cluster`), ``pools`` (name ->
    :class:`AcceleratorPool`), ``hf_token_secret`` (the Secret's name or None), ``https``, ``public``, ``host`` (the
    certificate's DNS name: ``tls_hostname`` or the gateway's in-cluster Service name; None on GKE without a
    hostname: the load balancer's address is known once it exists), ``certificate_dns_record`` (GKE with
    ``tls_hostname``: the CNAME to publish), ``kueue``, ``lws``, ``namespace_component``, ``built``.

    Raises:
        ArgsError: before anything is registered: an unknown or mistyped argument, a cluster that is none of the
            three components, a pool that is not a node pool / node group / AcceleratorPool, two pools of one name,
            a bad namespace or gateway name, a GKE class off GKE (or a self-managed class on GKE), TLS settings with
            ``https=False``, a public gateway without ``authentication``, JWT authentication without Istio, GKE facts
            the cluster object does not expose and the arguments do not give, and whatever the stack schema refuses
            in these sections (a hostname that is no DNS name, a CIDR that is not IPv4, a reserved namespace ...).
    """

    @overload
    def __init__(self, name: str, args: LlmdPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[LlmdPlatformArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: LlmdPlatformArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(LlmdPlatformArgs, "LlmdPlatform", args, kwargs)
        problems: list[str] = []
        cluster_ref = a["cluster"]
        if not isinstance(cluster_ref, (GkeCluster, EksCluster, ExistingCluster)):
            raise ArgsError(
                "LlmdPlatform",
                [format_problem("cluster", cluster_ref, "must be a GkeCluster, EksCluster or ExistingCluster")],
            )
        namespace = a.get("namespace", "llm-d")
        problems += _check_name("namespace", namespace)
        gateway_name = a.get("gateway_name", DEFAULT_GATEWAY)
        problems += _check_name("gateway_name", gateway_name)
        # The pools: given, or an existing cluster's own.
        pools: dict[str, tuple[AcceleratorPool, list[pulumi.Resource]]] = {}
        if "pools" in a:
            pool_refs: Sequence[object] = a["pools"]
            for index, ref in enumerate(pool_refs):
                resolved = _pool_of(ref)
                if resolved is None:
                    problems.append(
                        format_problem(
                            f"pools[{index}]",
                            ref,
                            "must be a GpuNodePool, TpuNodePool, GpuNodeGroup or AcceleratorPool",
                        )
                    )
                elif resolved[0].name in pools:
                    problems.append(format_problem(f"pools[{index}]", resolved[0].name, "a second pool of that name"))
                else:
                    pools[resolved[0].name] = resolved
        elif isinstance(cluster_ref, ExistingCluster):
            pools = {n: (p, []) for n, p in cluster_ref.pools.items()}
        platform = (
            Platform.GKE
            if isinstance(cluster_ref, GkeCluster)
            else Platform.EKS
            if isinstance(cluster_ref, EksCluster)
            else Platform.EXISTING
        )
        gke = platform is Platform.GKE
        # The gateway's class, public flag, TLS and authentication obey the stack's gateway rules (one home:
        # blueprints/validation.py gateway_issues), checked below on the sections these arguments stand for.
        https = bool(a.get("https", True))
        auth = a.get("authentication")
        project: str | None = None
        network: dict[str, str] = {}
        if gke:
            project = a.get("project") or getattr(cluster_ref, "project", None)
            proxy_only = a.get("proxy_only_cidr") or getattr(
                getattr(cluster_ref, "network", None), "proxy_only_cidr", None
            )
            control_plane = a.get("control_plane_cidr")
            if control_plane is None and getattr(cluster_ref, "private_nodes", False):
                control_plane = getattr(cluster_ref, "master_cidr", None)
            if not isinstance(project, str) or not project:
                problems.append("project is required on GKE (the GkeCluster object does not expose its project)")
            if not isinstance(proxy_only, str) or not proxy_only:
                problems.append(
                    "proxy_only_cidr is required on GKE (the GkeCluster object does not expose its network's "
                    "proxy-only subnet): the GkeNetwork's proxy_only_cidr"
                )
            else:
                network["proxyOnlyCidr"] = proxy_only
            if control_plane:
                network["masterCidr"] = control_plane
        else:
            for key in ("project", "proxy_only_cidr", "control_plane_cidr"):
                if key in a:
                    problems.append(format_problem(key, a.get(key), "applies to a GkeCluster only"))
        release_name = a.get("release", versions.active_release().name)
        hf_token = a.get("hf_token")
        if isinstance(hf_token, str):
            problems.append("hf_token must be a Pulumi secret (pulumi.Config().require_secret), not a plain string")
        if problems:
            raise ArgsError("LlmdPlatform", problems)

        # The stack sections these arguments stand for, validated by the stack schema.
        tls = {
            **({} if https else {"mode": "none"}),
            "hostname": a.get("tls_hostname"),
            "issuer": a.get("tls_issuer"),
            "secretName": a.get("tls_secret_name"),
        }
        authentication: Any = auth
        if isinstance(auth, Mapping):
            authentication = {
                "jwt": {
                    "issuer": auth.get("issuer"),
                    "jwksUri": auth.get("jwks_uri"),
                    "audiences": list(auth.get("audiences", ())),
                }
            }
        cloud = {Platform.GKE: "gcp", Platform.EKS: "aws", Platform.EXISTING: "existing"}[platform]
        data: dict[str, Any] = {
            "target": _target_data(cluster_ref, project),
            # The cluster's name in a stack names the GKE certificate (<cluster>-<gateway>); the namespace here.
            # ``privateNodes`` stands for "the control plane's private range is known" (the API server's allow).
            "cluster": {"name": namespace, "privateNodes": "masterCidr" in network, "network": network},
            "namespace": namespace,
            "release": release_name,
            "pools": [_pool_data(cloud, pool) for pool, _ in pools.values()],
            "gateway": {
                "name": gateway_name,
                "className": a.get("gateway_class"),
                "public": a.get("public"),
                "tls": {k: v for k, v in tls.items() if v is not None},
                **({"authentication": authentication} if authentication is not None else {}),
            },
        }
        sections: dict[str, Any] = {}
        issues: list[ConfigIssue] = []
        for key, schema in (
            ("target", Target),
            ("cluster", ClusterConfig),
            ("namespace", StackNamespaceName),
            ("release", LlmdReleaseName),
            ("gateway", GatewayConfig),
        ):
            sections[key], found = _validated(schema, key, data[key])
            issues += found
        pool_configs = []
        for index, raw in enumerate(data["pools"]):
            pool_config, found = _validated(PoolConfig, f"pools[{index}]", raw)
            pool_configs.append(pool_config)
            issues += found
        if issues:
            raise ArgsError("LlmdPlatform", _arg_problems(issues, "llmd:", _PLATFORM_KEYS))
        config = StackConfig.model_construct(**sections, pools=tuple(pool_configs), models=())
        issues = [
            # ``tls.mode: none`` is ``https = False`` here.
            i.model_copy(update={"value": False}) if i.key == "llmd:gateway.tls.mode" else i
            for i in gateway_issues(config)
        ]
        if issues:
            raise ArgsError("LlmdPlatform", _arg_problems(issues, "llmd:", _PLATFORM_KEYS))
        try:
            plan = plan_stack(config)
        except catalog.CatalogError as exc:
            raise ArgsError("LlmdPlatform", [format_problem("pools", sorted(pools), str(exc))]) from None

        super().__init__("llmd:blueprints:LlmdPlatform", name, {"namespace": namespace, "gateway": gateway_name}, opts)
        cluster = cluster_ref.as_cluster()
        for pool_name, (pool, ready) in pools.items():
            cluster.pools[pool_name] = pool
            cluster.pool_ready[pool_name] = list(ready)
        #: The stack sections (``llmd:`` keys) the arguments stand for: each model adds itself to them.
        self.stack_data = data
        self.config: StackConfig = config
        self.plan: StackPlan = plan
        self.target: DeployTarget = target_for(plan)
        self.cluster: Cluster = cluster
        self.platform = platform
        self.namespace: str = namespace
        self.gateway_name: str = gateway_name
        self.gateway_class: str = plan.gateway_class
        self.public: bool = plan.gateway_public
        self.https = https
        self._routes: dict[str, str] = {}
        self._names: set[str] = set()
        # The namespace's Pod Security level, as blueprints/pod_security.py decides it for a stack, before the models
        # are known: a platform with accelerator pools hosts vLLM servers (root).
        needs = pod_security_needs(config, cluster.pools)
        if pools:
            needs.append(PodSecurityNeed(BASELINE, VLLM_ROOT_REASON))
        #: The llm-d release record the platform's images and charts come from (``release``).
        self.release: versions.LlmdRelease = plan.release
        with versions.use_release(plan.release):
            self.built: BuiltPlatform = build_platform(
                self.target,
                cluster,
                pod_security=decide(needs),
                hf_token=pulumi.Output.secret(hf_token) if hf_token is not None else None,
                parent=self,
            )
        self.kueue: Kueue = self.built.addons.kueue
        self.lws: LeaderWorkerSetController = self.built.addons.lws
        self.namespace_component: StackNamespace = self.built.namespace
        self.hf_token_secret: str | None = self.built.namespace.hf_token_secret
        self.gateway: InferenceGateway = self.built.gateway
        self.host: str | None = a.get("tls_hostname")
        if self.host is None and not gke and plan.gateway_tls_source.startswith("cert-manager"):
            self.host = certificate_dns_names(config)[0]
        certificate = self.built.endpoint.managed_certificate
        #: GKE with ``tls_hostname``: the CNAME to publish for the Google-managed certificate (else None).
        self.certificate_dns_record: pulumi.Output[Any] | None = certificate.dns_record if certificate else None
        self.pools: dict[str, AcceleratorPool] = {n: p for n, (p, _) in pools.items()}
        self.register_outputs(
            {
                "namespace": namespace,
                "gateway": gateway_name,
                "gatewayClass": self.gateway_class,
                "https": https,
                "public": self.public,
                "pools": sorted(pools),
                "release": plan.release.name,
            }
        )

    # --- what models read -------------------------------------------------------------------------------------------

    @property
    def api_server(self) -> tuple[list[str], list[int]]:
        """Where pods reach the Kubernetes API server, as (CIDRs, TCP ports): the target's answer
        (:meth:`~pulumi_llmd.blueprints.targets.Target.api_server`)."""
        return self.target.api_server()

    @property
    def gke(self) -> bool:
        """The cluster is GKE (managed gateway, managed Prometheus)."""
        return self.platform is Platform.GKE

    @property
    def namespace_ready(self) -> list[pulumi.Resource]:
        """What an object in the platform's namespace waits for (the Namespace, hence the webhooks and CRDs)."""
        return [self.namespace_component]

    @property
    def monitoring_crds(self) -> list[pulumi.Resource]:
        """What a PodMonitor waits for off GKE (kube-prometheus-stack installs its CRD); empty on GKE."""
        return list(self.built.addons.target.monitoring_crds)

    def _claim(self, name: str, route_path: str) -> list[str]:
        """Reserve a model name and a route path prefix on the shared gateway; the problems when taken."""
        problems = []
        if name in self._names:
            problems.append(format_problem("name", name, "another LlmdInference on this platform has it"))
        if route_path in self._routes:
            problems.append(
                format_problem(
                    "route_path",
                    route_path,
                    f"LlmdInference {self._routes[route_path]!r} already routes it on gateway {self.gateway_name!r}; "
                    f"give each model its own prefix, e.g. '/{name}'",
                )
            )
        if not problems:
            self._names.add(name)
            self._routes[route_path] = name
        return problems


class LlmdInferenceArgs(TypedDict, total=False):
    """Arguments of :class:`LlmdInference` (the defaults are a stack model's, ``llmd:models[i]``)."""

    platform: Required[LlmdPlatform]
    """The :class:`LlmdPlatform` (namespace, gateway, queues, monitoring) the model is served on."""
    model: Required[str]
    """The Hugging Face model id, e.g. ``Qwen/Qwen3-8B`` (``random`` on the simulated-accelerators path)."""
    pool: PoolRef
    """The accelerator pool the servers run on (one of the platform's ``pools``). Default: the platform's only pool;
    none on the simulated-accelerators path."""
    path: str
    """The well-lit path: ``optimized-baseline``, ``precise-prefix-cache-routing`` or ``tiered-prefix-cache`` on a
    pool (not tiered on TPU), ``simulated-accelerators`` without one (``pd-disaggregation`` and ``wide-ep`` need a
    stack file). Default: ``optimized-baseline`` with a pool, ``simulated-accelerators`` on a platform without
    pools."""
    served_name: str
    """The model name clients send. Default: the model id (as vLLM does)."""
    replicas: int
    """Model-server pods (the HPA's minimum), 1..4096. Default: 1."""
    max_replicas: int
    """The HPA's maximum. Default: what the pool holds at its maximum size (its devices / TP), at least
    ``replicas``."""
    tensor_parallel_size: int
    """Accelerators per server pod (vLLM ``--tensor-parallel-size``); must divide the devices of one pool node.
    Default: 1."""
    max_model_len: int
    """Context length in tokens (``--max-model-len``), 256..10,000,000. Default: the model's (vLLM's default)."""
    gpu_memory_utilization: float
    """vLLM's share of accelerator memory, in (0.1, 0.99]. Default: vLLM's 0.9."""
    extra_args: Sequence[str]
    """More ``vllm serve`` flags, appended last. Default: none."""
    extra_env: Mapping[str, str]
    """More container environment (literal values, no secrets: a secret-named or credential-shaped value is refused,
    use ``secret_env``). Default: none."""
    secret_env: Mapping[str, SecretKeyRef]
    """Container environment read from Kubernetes Secrets: env name -> ``{"secret_name", "key"}`` (a stack model's
    ``secretEnv``), e.g. ``{"VLLM_API_KEY": {"secret_name": "vllm-api", "key": "key"}}``; a name may not also be in
    ``extra_env``. The Hugging Face token is ``LlmdPlatform(hf_token=...)`` or ``hf_token_secret``. Default: none."""
    image: str
    """The model server's image. Default: the pinned vLLM (or vLLM TPU, or inference-simulator) image in
    ``components/versions.py``."""
    resources: PodResources
    """CPU / memory of one server pod. Default: its share of the node (TP / devices per node of the vCPUs and
    memory; 80 % requested, 90 % limit, capped at the guide's 8-16 CPU / 96-128 GiB; shm a quarter of the memory
    request, at most 20 GiB), as a stack sizes a model that leaves ``resources`` out."""
    weights_gib: float
    """Size of the weight files, GiB (sizes the weights cache, the ephemeral-storage request and the startup
    await). Default: the model catalog's (``components/models.py``) or an estimate from the id."""
    route_path: str
    """Path prefix of the model's HTTPRoute on the platform's gateway (rewritten to ``/`` for vLLM); unique per
    platform. Default: ``/``."""
    picker_replicas: int
    """Endpoint pickers, 2..10 (leader-elected; the ``epp-high-availability`` practice rejects 1). Default: 2."""
    scorer_weights: Mapping[str, int]
    """The pickers' scorer weights. Default: the optimized-baseline guide's (queue 2, kv-cache 2, prefix 3,
    no-hit LRU 2); the simulated-accelerators guide's (queue 2, kv-cache 2, prefix 3) for the simulator."""
    tokenizer_replicas: int
    """precise-prefix-cache-routing: CPU tokenizer (render) pods the pickers share, 1..100. Default: 3."""
    kv_offload_gib: int
    """tiered-prefix-cache: host memory per server the KV cache offloads to, GiB (added to the pod's memory).
    Default: half of what the pod's share of the node leaves after its memory request (``blueprints/plan.py``
    ``default_offload_gib``)."""
    hf_token_secret: str
    """A Secret (key ``HF_TOKEN``) in the platform's namespace for this model. Default: the platform's
    ``llm-d-hf-token`` when it has an ``hf_token``, else none (public models)."""
    release: str
    """The llm-d release whose images (vLLM, endpoint picker, sidecars) and flags this model deploys: ``v0.10.0`` or
    ``v0.9.0`` (``components/versions.py`` RELEASES). Default: the platform's ``release`` (itself the active release,
    :func:`~pulumi_llmd.components.versions.active_release`, unless given), so a model follows its platform."""


class LlmdInference(pulumi.ComponentResource):
    """One model on one accelerator pool along a well-lit path, with everything the policy packs require.

    Type token ``llmd:blueprints:LlmdInference``. ``name`` (a DNS label, unique on the platform) is the stack model's
    name and names its objects: the path's component and InferencePool / HTTPRoute ``<name>``, Deployment
    ``<name>-decode``, pickers ``<name>-epp`` (``<name>-render`` tokenizers on precise-prefix-cache-routing). The
    arguments become a stack model (``llmd:models[i]``) on the platform's sections, validated by
    :func:`~pulumi_llmd.blueprints.validation.parse_stack_config`, planned, and served by
    :func:`~pulumi_llmd.blueprints.deploy.serve_model` under this component.

    Outputs: ``inference_pool`` (the InferencePool's name), ``route_path``, ``picker_service`` (the pickers'
    Service), ``served_name`` (what clients send as ``model``), ``gateway`` (the Gateway's name), ``url`` (the
    endpoint ``https://<host><route_path>``; None on GKE without ``tls_hostname``: the load balancer's address is
    known once it exists, ``kubectl get gateway``), ``server_selector`` (pod labels of the servers), ``path``,
    ``served`` (the :class:`ServedModel`); children ``servers``, ``autoscaler`` (None for the simulator), ``picker``,
    ``pool``, ``route``.

    Raises:
        ArgsError: before anything is registered: an unknown or mistyped argument, a missing ``platform`` / ``model``,
            a name that is not a DNS label or is taken on the platform, a route path taken or malformed, a pool the
            platform does not have, a path this component does not build (with where to go instead), counts out of
            range (replicas, TP, picker replicas), TP not dividing the devices of one node, and every rule a stack
            model obeys (resources that do not fit a node, weights that do not fit the accelerators, credentials in
            ``extra_args`` / ``extra_env``, a moving image tag, unknown scorers, a path the pool does not offer ...),
            with the stack's message under the argument's name.
    """

    @overload
    def __init__(self, name: str, args: LlmdInferenceArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[LlmdInferenceArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: LlmdInferenceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(LlmdInferenceArgs, "LlmdInference", args, kwargs)
        platform = a["platform"]
        if not isinstance(platform, LlmdPlatform):
            raise ArgsError("LlmdInference", [format_problem("platform", platform, "must be an LlmdPlatform")])
        problems = _check_name("name", name)
        model = a["model"]
        if not isinstance(model, str) or not _HF_ID.match(model):
            problems.append(format_problem("model", model, "must be a Hugging Face id 'org/name' (or 'random')"))
        # The pool.
        pool: AcceleratorPool | None = None
        if "pool" in a:
            resolved = _pool_of(a["pool"])
            if resolved is None:
                problems.append(
                    format_problem(
                        "pool", a["pool"], "must be a GpuNodePool, TpuNodePool, GpuNodeGroup or AcceleratorPool"
                    )
                )
            elif resolved[0].name not in platform.pools:
                problems.append(
                    format_problem(
                        "pool",
                        resolved[0].name,
                        f"not a pool of the platform (its pools: {sorted(platform.pools)}); add it to "
                        "LlmdPlatform(pools=[...])",
                    )
                )
            else:
                pool = platform.pools[resolved[0].name]
        path = a.get("path")
        if "pool" not in a and len(platform.pools) == 1 and path != WellLitPath.SIMULATED_ACCELERATORS:
            pool = next(iter(platform.pools.values()))  # the platform's only pool
        if path is None:
            path = SUPPORTED_PATHS[0] if pool is not None or "pool" in a else WellLitPath.SIMULATED_ACCELERATORS.value
        if path in STACK_ONLY_PATHS:
            problems.append(
                format_problem(
                    "path",
                    path,
                    f"not yet supported by LlmdInference (allowed: {', '.join(SUPPORTED_PATHS)}); serve it with a "
                    "stack file (stacks/Pulumi.*.yaml, blueprints.deploy)",
                )
            )
        elif (p := one_of_problem("path", path, SUPPORTED_PATHS)) is not None:
            problems.append(p)
        elif path != WellLitPath.SIMULATED_ACCELERATORS and pool is None and "pool" not in a:
            problems.append(
                f"pool is required on the {path} path (the platform has {len(platform.pools)} pools: "
                f"{sorted(platform.pools)})"
            )
        replicas = a.get("replicas", 1)
        tp = a.get("tensor_parallel_size", 1)
        for key, value, low, high in (
            ("replicas", replicas, 1, 4096),
            ("tensor_parallel_size", tp, 1, 64),
            ("picker_replicas", a.get("picker_replicas", 2), 2, 10),
        ):
            if (p := count_problem(key, value, low, high)) is not None:
                problems.append(
                    p + (" (the epp-high-availability practice needs 2 or more)" if key == "picker_replicas" else "")
                )
        if "max_replicas" in a and (
            p := count_problem("max_replicas", a["max_replicas"], max(1, replicas if isinstance(replicas, int) else 1))
        ):
            problems.append(p)
        route_path = a.get("route_path", "/")
        if (p := path_prefix_problem(route_path)) is not None:  # HttpRoute's rule (Gateway API path CEL)
            problems.append(format_problem("route_path", route_path, p))
        if "release" in a:
            _, found = _validated(LlmdReleaseName, "release", a["release"])
            problems += _arg_problems(found, "llmd:", _PLATFORM_KEYS)
        # TP fitting and dividing a node of the pool: the stack's rule (blueprints/paths/rules.py, the model server's
        # devices_fit_problem / devices_divide_problem), reported under tensor_parallel_size by _plan.
        if problems:
            raise ArgsError("LlmdInference", problems)
        plan = self._plan(name, a, platform, path=path, pool=pool, route_path=route_path)
        problems = platform._claim(name, route_path)
        if problems:
            raise ArgsError("LlmdInference", problems)

        super().__init__("llmd:blueprints:LlmdInference", name, {"model": model, "path": path}, opts)
        #: The llm-d release record this model's images and flags come from (``release``).
        self.release: versions.LlmdRelease = plan.release
        with versions.use_release(plan.release):
            served = serve_model(
                platform.target,
                plan,
                plan.models[0],
                platform.cluster,
                platform.built,
                hf_token_secret=a.get("hf_token_secret", platform.hf_token_secret),
                parent=self,
            )
        component: Any = served.component
        self.served: ServedModel = served
        self.path: str = path
        self.servers: ModelServer | InferenceSimulator = component.servers
        self.autoscaler: ModelServerAutoscaler | None = getattr(component, "autoscaler", None)
        self.picker: EndpointPicker = served.picker
        self.pool: InferencePool = component.pool
        self.route: HttpRoute = component.route
        self.inference_pool = served.pool_name
        self.route_path = served.route_path
        self.picker_service = served.picker.service_name
        self.served_name = served.served_name
        self.gateway = platform.gateway_name
        self.server_selector = dict(served.server_selector)
        scheme = "https" if platform.https else "http"
        self.url: str | None = f"{scheme}://{platform.host}{route_path}" if platform.host else None
        self.register_outputs(
            {
                "inferencePool": self.inference_pool,
                "routePath": self.route_path,
                "pickerService": self.picker_service,
                "servedName": self.served_name,
                "gateway": platform.gateway_name,
                "url": self.url,
                "release": plan.release.name,
            }
        )

    @staticmethod
    def _plan(
        name: str,
        a: LlmdInferenceArgs,
        platform: LlmdPlatform,
        *,
        path: str,
        pool: AcceleratorPool | None,
        route_path: str,
    ) -> StackPlan:
        """The arguments as a stack model on the platform's sections, validated as a stack file is (raises
        :class:`ArgsError` with the stack's messages under the arguments' names) and planned: the stack plan of this
        one model (its HPA ceiling ``max_replicas`` when given)."""
        router: dict[str, Any] = {}
        if "picker_replicas" in a:
            router["replicas"] = a["picker_replicas"]
        if "scorer_weights" in a:
            router["scorerWeights"] = dict(a["scorer_weights"])
        optional = {
            "servedName": a.get("served_name"),
            "pool": pool.name if pool is not None else None,
            "maxModelLen": a.get("max_model_len"),
            "gpuMemoryUtilization": a.get("gpu_memory_utilization"),
            "extraArgs": list(a["extra_args"]) if "extra_args" in a else None,
            "extraEnv": dict(a["extra_env"]) if "extra_env" in a else None,
            "secretEnv": {
                env: {"secretName": ref.get("secret_name"), "key": ref.get("key")} if isinstance(ref, Mapping) else ref
                for env, ref in a["secret_env"].items()
            }
            if "secret_env" in a
            else None,
            "image": a.get("image"),
            "resources": {
                "cpuRequest": a["resources"].cpu_request,
                "cpuLimit": a["resources"].cpu_limit,
                "memoryRequest": a["resources"].memory_request,
                "memoryLimit": a["resources"].memory_limit,
                "shmSize": a["resources"].shm_size,
            }
            if "resources" in a
            else None,
            "weightsGiB": a.get("weights_gib"),
            "tokenizerReplicas": a.get("tokenizer_replicas"),
            "kvOffload": {"cpuGib": a["kv_offload_gib"]} if "kv_offload_gib" in a else None,
            "router": router or None,
        }
        model = {
            "name": name,
            "huggingFaceId": a["model"],
            "path": path,
            "replicas": a.get("replicas", 1),
            "tensorParallelSize": a.get("tensor_parallel_size", 1),
            # The default "/" is left to the schema's default (its validator reads "/" + "/" as an empty segment).
            **({"routePathPrefix": route_path} if route_path != "/" else {}),
            **{k: v for k, v in optional.items() if v is not None},
        }
        data = {**platform.stack_data, "models": [model]}
        if "release" in a:
            data["release"] = a["release"]
        try:
            config = parse_stack_config(data)
        except ConfigError as exc:
            # This model's issues, and the capacity of its pool; the platform's sections were checked by LlmdPlatform
            # (what a stack would also check about the cluster, e.g. its control plane, is the cluster component's).
            mine = [i for i in exc.issues if i.key.startswith("llmd:models[0]")]
            problems = [_arg_words(p) for p in _arg_problems(mine, "llmd:models[0].", _MODEL_KEYS)]
            problems += [f"pool: {i.message}" for i in exc.issues if _POOL_SIZE_KEY.match(i.key)]
            if problems:
                raise ArgsError("LlmdInference", problems) from None
            config = size_default_resources(StackConfig.model_validate(data))
        plan = plan_stack(config)
        if "max_replicas" not in a:
            return plan
        model_plan = plan.models[0]
        roles = tuple(
            dataclasses.replace(r, max_replicas=a["max_replicas"]) if r.role == "decode" else r
            for r in model_plan.roles
        )
        return dataclasses.replace(plan, models=(dataclasses.replace(model_plan, roles=roles),))
