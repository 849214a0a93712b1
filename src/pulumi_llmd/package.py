"""The Pulumi package ``llmd``: the library's public components with wire-friendly arguments, for every Pulumi language.

``provider/`` hosts these classes as a Python component provider (``pulumi.provider.experimental``; Pulumi docs
"Build a component", https://www.pulumi.com/docs/iac/using-pulumi/extending-pulumi/build-a-component/), so that
``pulumi package add <repo>/provider`` generates SDKs for TypeScript, Go, C#, Java and YAML from the schema the
analyzer (``pulumi/provider/experimental/analyzer.py``) infers from the type annotations below. The analyzer accepts
plain types, lists, string-keyed dicts, nested TypedDicts, ``Optional`` and resource references; no other unions and no
Python-only objects. So each class here takes plain args and builds the library component(s) as its children:

==================  ====================================  =======================================================
package token       builds                                references
==================  ====================================  =======================================================
``llmd:index:GkeCluster``      ``GkeNetwork`` + ``GkeCluster``
``llmd:index:GpuNodePool``     ``GpuNodePool`` (catalog shape)       ``cluster``: a ``GkeCluster``
``llmd:index:EksCluster``      ``EksVpc`` + ``EksCluster``
``llmd:index:GpuNodeGroup``    ``GpuNodeGroup`` (catalog shape)      ``cluster``: an ``EksCluster``
``llmd:index:ExistingCluster`` ``ExistingCluster``
``llmd:index:LlmdPlatform``    ``LlmdPlatform``                      one cluster, its node pools / groups
``llmd:index:LlmdInference``   ``LlmdInference``                     ``platform``: an ``LlmdPlatform``
==================  ====================================  =======================================================

Type tokens: the analyzer puts every component in the package's ``index`` module, so the package's tokens are
``llmd:index:<Component>``; the library components they build keep DESIGN.md's ``llmd:<area>:<Component>`` (e.g.
``llmd:gcp:GkeCluster`` under ``llmd:index:GkeCluster``).

References between the package's components (``cluster``, ``platform``) are resource references in the schema. A
reference the provider receives is resolved to the live Python object constructed earlier in the same provider
process (:func:`register_references`); in a Python program the object itself is passed. The analyzer writes such a
reference from the class's ``pulumi_type`` and the root package's ``pulumi-plugin.json`` (``analyzer.py``,
``get_dependency_for_type``), hence ``src/pulumi_llmd/pulumi-plugin.json``; its ``"resource": false`` makes Pulumi's
Python language host skip the library when it looks for plugins a program needs (pulumi/pulumi
``sdk/python/cmd/pulumi-language-python/main.go``, ``determinePluginDependency``: "If `resource` is set to false, the
Pulumi package has indicated that there is no associated plugin"), so ``pulumi up`` of a Python program never asks for
an ``llmd`` plugin. :func:`schema` turns those references into local ones.

No ``from __future__ import annotations`` here: the analyzer reads the annotations at run time.
"""

import json
import typing
from collections.abc import Mapping
from typing import Any, Required, TypedDict

import pulumi

from pulumi_llmd.blueprints import inference
from pulumi_llmd.components import aws, catalog, cluster, gcp, serving

#: The package name (the first part of every token) and its version (the distribution's).
PACKAGE = "llmd"
VERSION = "0.1.0"
#: The provider's namespace in generated SDKs (e.g. ``@<namespace>/llmd`` on npm).
NAMESPACE = "llmd"

#: Live components of this process by (type token, name): what a resource reference resolves to.
_LIVE: dict[tuple[str, str], pulumi.ComponentResource] = {}


def _token(component: str) -> str:
    return f"{PACKAGE}:index:{component}"


def _live(self: pulumi.ComponentResource, token: str, name: str) -> None:
    _LIVE[(token, name)] = self


def _resolve(value: object, expected: type, key: str, component: str) -> Any:
    """The live object a reference stands for: the object itself (Python), or the one registered under its URN's
    type and name (a reference the provider received).

    Raises:
        ValueError: naming the key when the value is not (a reference to) an ``expected`` component.
    """
    if isinstance(value, expected):
        return value
    if isinstance(value, _Reference):
        found = _LIVE.get((value.type_, value.name))
        if isinstance(found, expected):
            return found
    raise ValueError(
        f"{component}: {key} = {value!r}: allowed: an llmd {expected.__name__} created in the same program "
        "(by the same llmd provider)"
    )


class _Reference(pulumi.ComponentResource):
    """A reference the provider received to a component it constructed (resolved by :func:`_resolve`)."""

    def __init__(self, name: str, type_: str, urn: str) -> None:
        super().__init__(type_, name, None, pulumi.ResourceOptions(urn=urn))
        self.name = name
        self.type_ = type_


class _ResourceModule(pulumi.runtime.ResourceModule):
    def version(self) -> None:
        return None

    def construct(self, name: str, typ: str, urn: str) -> pulumi.Resource:
        found = _LIVE.get((typ, name))
        return found if found is not None else _Reference(name, typ, urn)


_REGISTERED: list[_ResourceModule] = []


def register_references() -> None:
    """Let resource references to ``llmd:index:*`` deserialize to the live components of this process
    (``pulumi.runtime.register_resource_module``). Idempotent: the SDK raises ValueError when a module is registered
    twice for the same version, so a second call does nothing."""
    if not _REGISTERED:
        _REGISTERED.append(_ResourceModule())
        pulumi.runtime.register_resource_module(PACKAGE, "index", _REGISTERED[0])


def from_wire(component: type[pulumi.ComponentResource], args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` as the provider received them (Python names, after ``ComponentProvider.map_inputs``) with every
    whole-number float where the component's args type declares an ``int`` turned back into an ``int``, at any depth
    (nested TypedDicts, lists, string-keyed dicts such as ``scorerWeights``). Other values are returned unchanged;
    a float with a fraction stays a float, so the library's own check names it.

    Why: the wire carries numbers as protobuf doubles (``google.protobuf.Value.number_value``), and pulumi 3.272's
    ``ComponentProvider.map_input_properties`` (``pulumi/provider/experimental/component.py``) converts a top-level
    or nested ``integer`` with ``int(...)`` and then overwrites it with the raw float (no ``continue``), and never
    converts the values of an ``additionalProperties: integer`` map; so ``maxNodes: 4`` from TypeScript or YAML would
    reach ``GpuNodePool`` as ``4.0`` and be refused (``max_nodes = 4.0: must be an integer >= 0``).
    Upstream: pulumi/pulumi#21944 ("Convert integer component inputs to `int`").
    """
    return dict(_int_where_declared(args, component.__init__.__annotations__["args"]))


def _int_where_declared(value: Any, hint: Any) -> Any:
    # The raw annotations (this module does not postpone them; typing.get_type_hints would trip over the forward
    # reference inside pulumi.Input), with Required[...] unwrapped.
    origin, params = typing.get_origin(hint), typing.get_args(hint)
    if origin is Required:
        return _int_where_declared(value, params[0])
    if hint is int:
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if typing.is_typeddict(hint) and isinstance(value, Mapping):
        fields: dict[str, Any] = hint.__annotations__
        return {k: _int_where_declared(v, fields.get(k, Any)) for k, v in value.items()}
    if origin is list and isinstance(value, list) and params:
        return [_int_where_declared(v, params[0]) for v in value]
    if origin is dict and isinstance(value, Mapping) and len(params) == 2:
        return {k: _int_where_declared(v, params[1]) for k, v in value.items()}
    return value


def _shape(cloud: str, machine_type: str, key: str, component: str) -> catalog.MachineShape:
    """The catalog's machine shape, or ValueError naming the schema key (``machineType`` / ``instanceType``)."""
    try:
        return catalog.machine(cloud, machine_type)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{component}: {key} = {machine_type!r}: {exc}") from None


# --- GKE ----------------------------------------------------------------------------------------------------------


class GkeClusterArgs(TypedDict, total=False):
    """Arguments of :class:`GkeCluster`."""

    project: Required[str]
    """The Google Cloud project id."""
    region: Required[str]
    """The region, e.g. ``us-central1`` (a regional cluster)."""
    subnet_cidr: str
    """The nodes' subnet range. Default: ``10.0.0.0/20``."""
    pods_cidr: str
    """The pods' secondary range. Default: ``10.16.0.0/12``."""
    services_cidr: str
    """The services' secondary range. Default: ``10.2.0.0/20``."""
    proxy_only_cidr: str
    """The proxy-only subnet of the regional gateway's proxies. Default: ``10.3.0.0/23``."""
    authorized_cidrs: list[str]
    """Who may reach the Kubernetes API (where ``pulumi up`` runs). Default: none (a private endpoint)."""
    kubernetes_version: str
    """The GKE version prefix. Default: the library's pin (``components/versions.py``)."""
    enable_apis: bool
    """Enable the Google Cloud APIs the cluster and llm-d call (``ProjectServices``, ``gke_stack_services``; a new
    project has them off, and they stay on when the stack is destroyed); False where the project's APIs are managed
    elsewhere. Default: True."""


class GkeCluster(pulumi.ComponentResource):
    """A GKE cluster for llm-d: the project's APIs (``ProjectServices``), a VPC with Cloud NAT and the proxy-only
    subnet (``GkeNetwork``), a private regional cluster with Workload Identity, Gateway API and managed Prometheus
    (``GkeCluster``)."""

    pulumi_type = "llmd:index:GkeCluster"
    """The type token (the analyzer reads it for references to this component)."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    location: pulumi.Output[str]
    """The cluster's location (its region)."""
    project: pulumi.Output[str]
    """The project."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig for the cluster (secret; uses ``gke-gcloud-auth-plugin``)."""
    proxy_only_cidr: pulumi.Output[str]
    """The proxy-only subnet range (``LlmdPlatform`` allows it in)."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(_token("GkeCluster"), name, None, opts)
        #: What calls a Google Cloud API waits for (the first-deploy twin's ``cloud/api-enabled`` check).
        self.apis: list[pulumi.Resource] = []
        if args.get("enable_apis", True):
            self.apis = [
                gcp.ProjectServices(f"{name}-apis", project=args["project"], opts=pulumi.ResourceOptions(parent=self))
            ]
        child = pulumi.ResourceOptions(parent=self, depends_on=self.apis)
        proxy_only = args.get("proxy_only_cidr", "10.3.0.0/23")
        self.network = gcp.GkeNetwork(
            name,
            project=args["project"],
            region=args["region"],
            subnet_cidr=args.get("subnet_cidr", "10.0.0.0/20"),
            pods_cidr=args.get("pods_cidr", "10.16.0.0/12"),
            services_cidr=args.get("services_cidr", "10.2.0.0/20"),
            proxy_only_cidr=proxy_only,
            opts=child,
        )
        extra: dict[str, Any] = {}
        if "kubernetes_version" in args:
            extra["kubernetes_version"] = args["kubernetes_version"]
        self.cluster = gcp.GkeCluster(
            name,
            project=args["project"],
            region=args["region"],
            network=self.network,
            authorized_cidrs=list(args.get("authorized_cidrs", [])),
            opts=child,
            **extra,
        )
        self.cluster_name = self.cluster.name
        self.location = pulumi.Output.from_input(self.cluster.location)
        self.project = pulumi.Output.from_input(args["project"])
        self.kubeconfig = self.cluster.kubeconfig
        self.proxy_only_cidr = pulumi.Output.from_input(proxy_only)
        self._proxy_only = proxy_only
        _live(self, _token("GkeCluster"), name)
        self.register_outputs(
            {"cluster_name": self.cluster_name, "location": self.location, "kubeconfig": self.kubeconfig}
        )


class GpuNodePoolArgs(TypedDict, total=False):
    """Arguments of :class:`GpuNodePool`."""

    cluster: Required[GkeCluster]
    """The ``GkeCluster`` the pool belongs to."""
    machine_type: Required[str]
    """A GPU machine type of the library's catalog, e.g. ``g2-standard-24`` (2 x L4), ``a3-highgpu-8g`` (8 x H100)."""
    zone: Required[str]
    """The zone of the nodes (in the cluster's region), e.g. ``us-central1-a``."""
    min_nodes: int
    """Autoscaling minimum. Default: 0."""
    max_nodes: int
    """Autoscaling maximum. Default: 1."""
    provisioning: str
    """``on-demand``, ``spot``, ``flex-start`` or ``reservation``. Default: ``on-demand``."""
    reservation: str
    """The reservation to consume with ``provisioning: reservation``. Default: none."""


class GpuNodePool(pulumi.ComponentResource):
    """A GKE GPU node pool (the library's ``GpuNodePool``: taints, labels, the cluster's node identity), an
    accelerator pool ``LlmdPlatform`` and ``LlmdInference`` use by its name."""

    pulumi_type = "llmd:index:GpuNodePool"
    """The type token (the analyzer reads it for references to this component)."""

    pool_name: pulumi.Output[str]
    """The accelerator pool's name (``LlmdInference.pool``): the component's name."""
    accelerators_per_node: pulumi.Output[int]
    """GPUs per node."""

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(_token("GpuNodePool"), name, None, opts)
        gke: GkeCluster = _resolve(args.get("cluster"), GkeCluster, "cluster", "GpuNodePool")
        shape = _shape("gcp", args["machine_type"], "machineType", "GpuNodePool")
        extra: dict[str, Any] = {}
        for key in ("provisioning", "reservation"):
            if key in args:
                extra[key] = args[key]
        self.node_pool = gcp.GpuNodePool(
            name,
            cluster=gke.cluster.name,
            location=gke.cluster.location,
            project=gke.cluster.project,
            shape=shape,
            zone=args["zone"],
            min_nodes=args.get("min_nodes", 0),
            max_nodes=args.get("max_nodes", 1),
            service_account=gke.cluster.node_service_account_email,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*gke.apis, *gke.cluster.node_ready]),
            **extra,
        )
        self.pool_name = pulumi.Output.from_input(name)
        self.accelerators_per_node = pulumi.Output.from_input(shape.accelerator_count)
        _live(self, _token("GpuNodePool"), name)
        self.register_outputs({"pool_name": name, "accelerators_per_node": shape.accelerator_count})


# --- EKS ----------------------------------------------------------------------------------------------------------


class EksClusterArgs(TypedDict, total=False):
    """Arguments of :class:`EksCluster`."""

    region: Required[str]
    """The AWS region, e.g. ``us-east-1``."""
    availability_zones: Required[list[str]]
    """Two or more availability zones of the region for the VPC's subnets."""
    cidr: str
    """The VPC's range. Default: ``10.0.0.0/16``."""
    public_access_cidrs: list[str]
    """Who may reach the Kubernetes API. Default: none (a private endpoint)."""
    admin_principal_arns: list[str]
    """IAM principals granted cluster admin (access entries). Default: none."""


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster for llm-d: a VPC with private subnets (``EksVpc``) and the cluster with its system node group
    and add-ons (``EksCluster``)."""

    pulumi_type = "llmd:index:EksCluster"
    """The type token (the analyzer reads it for references to this component)."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig for the cluster (secret; uses ``aws eks get-token``)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(_token("EksCluster"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.EksVpc(
            name, availability_zones=list(args["availability_zones"]), cidr=args.get("cidr", "10.0.0.0/16"), opts=child
        )
        self.cluster = aws.EksCluster(
            name,
            vpc=self.vpc,
            region=args["region"],
            public_access_cidrs=list(args.get("public_access_cidrs", [])),
            admin_principal_arns=list(args.get("admin_principal_arns", [])),
            opts=child,
        )
        self.cluster_name = self.cluster.name
        self.kubeconfig = self.cluster.kubeconfig
        _live(self, _token("EksCluster"), name)
        self.register_outputs({"cluster_name": self.cluster_name, "kubeconfig": self.kubeconfig})


class GpuNodeGroupArgs(TypedDict, total=False):
    """Arguments of :class:`GpuNodeGroup`."""

    cluster: Required[EksCluster]
    """The ``EksCluster`` the node group belongs to."""
    instance_type: Required[str]
    """A GPU instance type of the library's catalog, e.g. ``g6e.12xlarge`` (4 x L40S), ``p5.48xlarge`` (8 x H100)."""
    max_size: Required[int]
    """Autoscaling maximum."""
    min_size: int
    """Autoscaling minimum. Default: 0."""
    availability_zone: Required[str]
    """The zone of the nodes (one of the cluster's ``availabilityZones``): a GPU node group lives in one zone (its
    placement group, Capacity Block and EFA traffic cannot cross zones)."""
    capacity_type: str
    """``ON_DEMAND``, ``SPOT`` or ``CAPACITY_BLOCK``. Default: ``ON_DEMAND``."""


class GpuNodeGroup(pulumi.ComponentResource):
    """An EKS GPU managed node group (the library's ``GpuNodeGroup``: launch template, taints, EFA where the instance
    has it), an accelerator pool ``LlmdPlatform`` and ``LlmdInference`` use by its name."""

    pulumi_type = "llmd:index:GpuNodeGroup"
    """The type token (the analyzer reads it for references to this component)."""

    pool_name: pulumi.Output[str]
    """The accelerator pool's name (``LlmdInference.pool``): the component's name."""
    accelerators_per_node: pulumi.Output[int]
    """GPUs per node."""

    def __init__(self, name: str, args: GpuNodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(_token("GpuNodeGroup"), name, None, opts)
        eks: EksCluster = _resolve(args.get("cluster"), EksCluster, "cluster", "GpuNodeGroup")
        shape = _shape("aws", args["instance_type"], "instanceType", "GpuNodeGroup")
        extra: dict[str, Any] = {}
        for key in ("availability_zone", "capacity_type"):
            if key in args:
                extra[key] = args[key]
        self.node_group = aws.GpuNodeGroup(
            name,
            cluster=eks.cluster,
            vpc=eks.vpc,
            shape=shape,
            max_size=args["max_size"],
            min_size=args.get("min_size", 0),
            opts=pulumi.ResourceOptions(parent=self),
            **extra,
        )
        self.pool_name = pulumi.Output.from_input(name)
        self.accelerators_per_node = pulumi.Output.from_input(shape.accelerator_count)
        _live(self, _token("GpuNodeGroup"), name)
        self.register_outputs({"pool_name": name, "accelerators_per_node": shape.accelerator_count})


# --- Existing cluster ---------------------------------------------------------------------------------------------


class ExistingPool(TypedDict, total=False):
    """An accelerator pool of an existing cluster (the library's ``ExistingPool``)."""

    name: Required[str]
    """The pool's name (``LlmdInference.pool``)."""
    node_selector: Required[dict[str, str]]
    """Node labels that select the pool's nodes."""
    devices_per_node: Required[int]
    """Accelerators per node."""
    vcpus: Required[int]
    """vCPUs per node."""
    memory_gib: Required[int]
    """Memory per node, GiB."""
    max_nodes: int
    """Nodes in the pool (Kueue quota, HPA ceiling). Default: 1."""
    accelerator: str
    """A catalog accelerator, e.g. ``nvidia-l4`` (sizes the model servers). Default: none."""
    resource_name: str
    """The accelerators' extended resource. Default: ``nvidia.com/gpu``."""


class ExistingClusterArgs(TypedDict, total=False):
    """Arguments of :class:`ExistingCluster`."""

    kubeconfig: pulumi.Input[str]
    """A kubeconfig path or its contents (pass a secret). Default: ``$KUBECONFIG``, else ``~/.kube/config``."""
    context: str
    """The kubeconfig context. Default: the current context."""
    pools: list[ExistingPool]
    """The accelerator pools. Default: none (a CPU-only cluster: the simulator)."""


class ExistingCluster(pulumi.ComponentResource):
    """A cluster llm-d deploys into but does not create (kind, on-prem, CoreWeave, OpenShift): a Kubernetes provider
    and the pools' descriptions (the library's ``ExistingCluster``)."""

    pulumi_type = "llmd:index:ExistingCluster"
    """The type token (the analyzer reads it for references to this component)."""

    cluster_name: pulumi.Output[str]
    """The component's name."""
    pool_names: pulumi.Output[list[str]]
    """The pools' names."""

    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(_token("ExistingCluster"), name, None, opts)
        pools = [
            cluster.ExistingPool(
                name=p["name"],
                node_selector=dict(p["node_selector"]),
                devices_per_node=p["devices_per_node"],
                vcpus=p["vcpus"],
                memory_gib=p["memory_gib"],
                max_nodes=p.get("max_nodes", 1),
                accelerator=p.get("accelerator"),
                resource_name=p.get("resource_name", "nvidia.com/gpu"),
            )
            for p in args.get("pools", [])
        ]
        self.cluster = cluster.ExistingCluster(
            name,
            kubeconfig=args.get("kubeconfig"),
            context=args.get("context"),
            pools=pools,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = pulumi.Output.from_input(name)
        self.pool_names = pulumi.Output.from_input([p.name for p in pools])
        _live(self, _token("ExistingCluster"), name)
        self.register_outputs({"cluster_name": name, "pool_names": [p.name for p in pools]})


# --- llm-d: platform and models -----------------------------------------------------------------------------------


class JwtAuthentication(TypedDict, total=False):
    """Gateway authentication with JWTs (Istio)."""

    issuer: Required[str]
    """The token issuer (``iss``)."""
    jwks_uri: Required[str]
    """Where the issuer publishes its keys (``https://...``)."""
    audiences: list[str]
    """Accepted audiences. Default: any audience."""


class LlmdPlatformArgs(TypedDict, total=False):
    """Arguments of :class:`LlmdPlatform`: exactly one of ``gke_cluster``, ``eks_cluster``, ``existing_cluster``."""

    gke_cluster: GkeCluster
    """The ``GkeCluster`` to deploy into. Default: none."""
    eks_cluster: EksCluster
    """The ``EksCluster`` to deploy into. Default: none."""
    existing_cluster: ExistingCluster
    """The ``ExistingCluster`` to deploy into (its pools come with it). Default: none."""
    gpu_node_pools: list[GpuNodePool]
    """GKE: the node pools models run on. Default: none."""
    gpu_node_groups: list[GpuNodeGroup]
    """EKS: the node groups models run on. Default: none."""
    namespace: str
    """The namespace of the gateway, model servers, pickers and routes. Default: ``llm-d``."""
    hf_token: pulumi.Input[str]
    """A Hugging Face token (pass a secret); it becomes the Secret ``llm-d-hf-token``. Default: none."""
    gateway_name: str
    """The shared Gateway's name. Default: ``llm-d-inference-gateway``."""
    gateway_class: str
    """The GatewayClass. Default: ``gke-l7-rilb`` on GKE (``gke-l7-regional-external-managed`` when public), else
    ``istio``."""
    public: bool
    """An internet-facing load balancer. Default: False."""
    https: bool
    """Serve HTTPS (HTTP redirects to it). Default: True."""
    tls_hostname: str
    """The HTTPS listener's hostname and the certificate's DNS name. Default: none."""
    tls_issuer: str
    """An existing cert-manager ClusterIssuer. Default: a self-signed CA the platform creates."""
    tls_secret_name: str
    """An existing TLS Secret in ``namespace`` to serve instead. Default: none."""
    jwt_authentication: JwtAuthentication
    """JWT authentication on the gateway (Istio). Default: none."""
    open_to_the_internet: bool
    """Serve a public gateway without authentication, on purpose. Default: False."""
    release: str
    """The llm-d release whose images and charts are deployed: ``v0.10.0`` or ``v0.9.0`` (a stack's ``llmd:release``).
    Default: the newest, ``v0.10.0``."""


class LlmdPlatform(pulumi.ComponentResource):
    """What llm-d needs once per cluster, conformant by default (the library's ``LlmdPlatform``): Kueue and its queues,
    LeaderWorkerSet, the autoscalers' metrics path, the gateway implementation and CRDs where the cloud does not
    manage them, device plugins, a namespace with Pod Security and default-deny NetworkPolicies, one shared Gateway."""

    pulumi_type = "llmd:index:LlmdPlatform"
    """The type token (the analyzer reads it for references to this component)."""

    namespace: pulumi.Output[str]
    """The namespace of the models."""
    gateway_name: pulumi.Output[str]
    """The shared Gateway's name."""
    gateway_class: pulumi.Output[str]
    """The Gateway's class."""
    pool_names: pulumi.Output[list[str]]
    """The accelerator pools models may use (``LlmdInference.pool``)."""

    def __init__(self, name: str, args: LlmdPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        given = [k for k in ("gke_cluster", "eks_cluster", "existing_cluster") if args.get(k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"LlmdPlatform {name}: cluster = {given or None}: allowed: exactly one of gkeCluster, eksCluster, "
                "existingCluster"
            )
        super().__init__(_token("LlmdPlatform"), name, None, opts)
        key = given[0]
        kwargs: dict[str, Any] = {}
        pools: list[Any] = []
        if key == "gke_cluster":
            gke: GkeCluster = _resolve(args.get(key), GkeCluster, "gkeCluster", "LlmdPlatform")
            target: Any = gke.cluster
            kwargs["project"] = gke.cluster.project
            kwargs["proxy_only_cidr"] = gke._proxy_only
            pools = [
                _resolve(p, GpuNodePool, f"gpuNodePools[{i}]", "LlmdPlatform").node_pool
                for i, p in enumerate(args.get("gpu_node_pools", []))
            ]
        elif key == "eks_cluster":
            target = _resolve(args.get(key), EksCluster, "eksCluster", "LlmdPlatform").cluster
            pools = [
                _resolve(p, GpuNodeGroup, f"gpuNodeGroups[{i}]", "LlmdPlatform").node_group
                for i, p in enumerate(args.get("gpu_node_groups", []))
            ]
        else:
            target = _resolve(args.get(key), ExistingCluster, "existingCluster", "LlmdPlatform").cluster
        if pools:
            kwargs["pools"] = pools
        for field in ("namespace", "gateway_name", "gateway_class", "public", "https", "release"):
            if field in args:
                kwargs[field] = args[field]
        if "hf_token" in args:
            # A program in another language may hand the token over as a plain value; it is a secret either way.
            kwargs["hf_token"] = pulumi.Output.secret(args["hf_token"])
        for field in ("tls_hostname", "tls_issuer", "tls_secret_name"):
            if field in args:
                kwargs[field] = args[field]  # type: ignore[literal-required]
        if "jwt_authentication" in args:
            jwt = args["jwt_authentication"]
            auth: dict[str, Any] = {"issuer": jwt["issuer"], "jwks_uri": jwt["jwks_uri"]}
            if "audiences" in jwt:
                auth["audiences"] = list(jwt["audiences"])
            kwargs["authentication"] = auth
        elif args.get("open_to_the_internet"):
            kwargs["authentication"] = "none"
        self.platform = inference.LlmdPlatform(name, cluster=target, opts=pulumi.ResourceOptions(parent=self), **kwargs)
        self.namespace = pulumi.Output.from_input(self.platform.namespace)
        self.gateway_name = pulumi.Output.from_input(self.platform.gateway_name)
        self.gateway_class = pulumi.Output.from_input(self.platform.gateway_class)
        self.pool_names = pulumi.Output.from_input(sorted(self.platform.pools))
        _live(self, _token("LlmdPlatform"), name)
        self.register_outputs({"namespace": self.namespace, "gateway_name": self.gateway_name})


class PodResources(TypedDict, total=False):
    """CPU / memory of one model-server pod (Kubernetes quantities)."""

    cpu_request: str
    """CPU request, e.g. ``"8"``. Default: the library's ``PodResources`` default."""
    cpu_limit: str
    """CPU limit. Default: the library's ``PodResources`` default."""
    memory_request: str
    """Memory request, e.g. ``"32Gi"``. Default: the library's ``PodResources`` default."""
    memory_limit: str
    """Memory limit. Default: the library's ``PodResources`` default."""
    shm_size: str
    """``/dev/shm`` size. Default: the library's ``PodResources`` default."""


class SecretKeyRef(TypedDict, total=False):
    """One key of a Kubernetes Secret in the platform's namespace, read into an env var."""

    secret_name: Required[str]
    """The Secret's name."""
    key: Required[str]
    """One of its data keys."""


class LlmdInferenceArgs(TypedDict, total=False):
    """Arguments of :class:`LlmdInference` (defaults are a stack model's, ``llmd:models[i]``)."""

    platform: Required[LlmdPlatform]
    """The ``LlmdPlatform`` the model is served on."""
    model: Required[str]
    """The Hugging Face model id, e.g. ``Qwen/Qwen3-8B`` (``random`` on the simulated-accelerators path)."""
    pool: str
    """The name of one of the platform's pools (``GpuNodePool`` / ``GpuNodeGroup`` name, or an existing cluster's
    pool). Default: the platform's only pool; none on the simulated-accelerators path."""
    path: str
    """``optimized-baseline``, ``precise-prefix-cache-routing``, ``tiered-prefix-cache`` or
    ``simulated-accelerators``. Default: ``optimized-baseline`` with a pool."""
    served_name: str
    """The model name clients send. Default: the model id."""
    replicas: int
    """Model-server pods (the HPA's minimum). Default: 1."""
    max_replicas: int
    """The HPA's maximum. Default: what the pool holds at its maximum size."""
    tensor_parallel_size: int
    """Accelerators per server pod. Default: 1."""
    max_model_len: int
    """Context length in tokens. Default: the model's."""
    gpu_memory_utilization: float
    """vLLM's share of accelerator memory. Default: 0.9."""
    extra_args: list[str]
    """More ``vllm serve`` flags. Default: none."""
    extra_env: dict[str, str]
    """More container environment (no secrets). Default: none."""
    secret_env: dict[str, SecretKeyRef]
    """Container environment read from Kubernetes Secrets: env name -> ``{secretName, key}``. Default: none."""
    image: str
    """The model server's image. Default: the library's pinned image."""
    resources: PodResources
    """CPU / memory of one server pod. Default: its share of the node."""
    weights_gib: float
    """Size of the weight files, GiB. Default: the model catalog's or an estimate."""
    route_path: str
    """Path prefix of the model's HTTPRoute on the platform's gateway. Default: ``/``."""
    picker_replicas: int
    """Endpoint pickers (leader-elected), 2..10. Default: 2."""
    scorer_weights: dict[str, int]
    """The pickers' scorer weights. Default: the path's guide profile."""
    tokenizer_replicas: int
    """precise-prefix-cache-routing: tokenizer (render) pods the pickers share. Default: 3."""
    kv_offload_gib: int
    """tiered-prefix-cache: host memory per server the KV cache offloads to, GiB. Default: sized from the node."""
    hf_token_secret: str
    """A Secret (key ``HF_TOKEN``) in the platform's namespace. Default: the platform's token Secret, if any."""
    release: str
    """The llm-d release whose images and flags this model deploys: ``v0.10.0`` or ``v0.9.0``. Default: the
    platform's ``release``."""


class LlmdInference(pulumi.ComponentResource):
    """One model on one accelerator pool along a well-lit path, with everything the policy packs require (the
    library's ``LlmdInference``): vLLM servers with probes, a PodDisruptionBudget, an HPA on queue depth, two
    leader-elected endpoint pickers, the InferencePool, an HTTPRoute on the platform's gateway, monitoring and
    NetworkPolicy allows."""

    pulumi_type = "llmd:index:LlmdInference"
    """The type token (the analyzer reads it for references to this component)."""

    url: pulumi.Output[str | None]
    """The model's endpoint (``https://<host><routePath>``); none on GKE without ``tlsHostname`` (the host is the load
    balancer's address, known once it exists)."""
    served_name: pulumi.Output[str]
    """What clients send as ``model``."""
    inference_pool: pulumi.Output[str]
    """The InferencePool's name."""
    route_path: pulumi.Output[str]
    """The HTTPRoute's path prefix."""

    def __init__(self, name: str, args: LlmdInferenceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        platform: LlmdPlatform = _resolve(args.get("platform"), LlmdPlatform, "platform", "LlmdInference")
        super().__init__(_token("LlmdInference"), name, None, opts)
        kwargs: dict[str, Any] = {}
        if "pool" in args:
            pool_name = args["pool"]
            pools = platform.platform.pools
            if pool_name not in pools:
                raise ValueError(f"LlmdInference {name}: pool = {pool_name!r}: allowed: one of {sorted(pools)}")
            kwargs["pool"] = pools[pool_name]
        plain = (
            "path",
            "served_name",
            "replicas",
            "max_replicas",
            "tensor_parallel_size",
            "max_model_len",
            "gpu_memory_utilization",
            "image",
            "weights_gib",
            "route_path",
            "picker_replicas",
            "tokenizer_replicas",
            "kv_offload_gib",
            "hf_token_secret",
            "release",
        )
        for field in plain:
            if field in args:
                kwargs[field] = args[field]  # type: ignore[literal-required]
        if "extra_args" in args:
            kwargs["extra_args"] = list(args["extra_args"])
        if "extra_env" in args:
            kwargs["extra_env"] = dict(args["extra_env"])
        if "secret_env" in args:
            kwargs["secret_env"] = {env: _plain(ref) for env, ref in args["secret_env"].items()}
        if "scorer_weights" in args:
            kwargs["scorer_weights"] = dict(args["scorer_weights"])
        if "resources" in args:
            kwargs["resources"] = serving.PodResources(**_plain(args["resources"]))
        self.inference = inference.LlmdInference(
            name,
            platform=platform.platform,
            model=args["model"],
            opts=pulumi.ResourceOptions(parent=self),
            **kwargs,
        )
        self.url = pulumi.Output.from_input(self.inference.url)
        self.served_name = pulumi.Output.from_input(self.inference.served_name)
        self.inference_pool = pulumi.Output.from_input(self.inference.inference_pool)
        self.route_path = pulumi.Output.from_input(self.inference.route_path)
        _live(self, _token("LlmdInference"), name)
        self.register_outputs({"url": self.url, "served_name": self.served_name})


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in mapping.items()}


#: The components the package exposes, in schema order.
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    GkeCluster,
    GpuNodePool,
    EksCluster,
    GpuNodeGroup,
    ExistingCluster,
    LlmdPlatform,
    LlmdInference,
]


#: Properties the schema marks ``"secret": true`` (the analyzer has no annotation for it), so every generated SDK
#: wraps them as secrets and Pulumi stores them encrypted: (component, ``inputProperties`` | ``properties``, name).
SECRET_PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("GkeCluster", "properties", "kubeconfig"),
    ("EksCluster", "properties", "kubeconfig"),
    ("ExistingCluster", "inputProperties", "kubeconfig"),
    ("LlmdPlatform", "inputProperties", "hfToken"),
)


def schema() -> dict[str, Any]:
    """The package schema (Pulumi package schema JSON) the provider serves, generated offline from the annotations.

    The analyzer writes a reference to another component of this package as an external reference
    (``/llmd/v<version>/schema.json#/resources/llmd:index:X``, with ``llmd`` as a dependency of itself); it becomes a
    local ``#/resources/llmd:index:X`` and the self-dependency is dropped. The :data:`SECRET_PROPERTIES` are marked
    secret.
    """
    from pulumi.provider.experimental.analyzer import Analyzer
    from pulumi.provider.experimental.schema import generate_schema

    result = Analyzer(PACKAGE).analyze(COMPONENTS)
    spec = generate_schema(
        PACKAGE,
        VERSION,
        NAMESPACE,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}"),
    ).to_json()
    text = json.dumps(spec).replace(f"/{PACKAGE}/v{VERSION}/schema.json#/resources/", "#/resources/")
    fixed: dict[str, Any] = json.loads(text)
    for token, section, prop in SECRET_PROPERTIES:
        fixed["resources"][f"{PACKAGE}:index:{token}"][section][prop]["secret"] = True
    deps = [d for d in fixed.get("dependencies", []) if d.get("name") != PACKAGE]
    if deps:
        fixed["dependencies"] = deps
    else:
        fixed.pop("dependencies", None)
    return fixed
