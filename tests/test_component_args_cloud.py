"""Typed args of the cloud and cluster components (components/gcp, components/aws, components/cluster): one
``<Component>Args`` per component, given as an object or as keywords with the same result; references by object that
create the dependency; argument errors that name the key, the value and what is allowed, before anything registers."""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from mock_program import one, run

from pulumi_llmd.components import catalog, pool_rules
from pulumi_llmd.components.args import ArgsError, required_keys
from pulumi_llmd.components.aws.cluster import EksCluster, EksClusterArgs
from pulumi_llmd.components.aws.network import EksVpc, EksVpcArgs
from pulumi_llmd.components.aws.node_group import GpuNodeGroup, GpuNodeGroupArgs
from pulumi_llmd.components.cluster.existing import ExistingCluster, ExistingClusterArgs, ExistingPool
from pulumi_llmd.components.gcp import (
    certificates,
    cluster,
    identity,
    kms,
    monitoring,
    network,
    node_pool,
    rdma,
    services,
    tpu,
)
from pulumi_llmd.components.gcp.cluster import GkeCluster, GkeClusterArgs
from pulumi_llmd.components.gcp.network import GkeNetwork, GkeNetworkArgs
from pulumi_llmd.components.gcp.node_pool import GpuNodePool, GpuNodePoolArgs
from pulumi_llmd.components.gcp.rdma import GkeRdmaFabric, GkeRdmaFabricArgs
from pulumi_llmd.components.gcp.tpu import TpuNodePool, TpuNodePoolArgs
from pulumi_llmd.render.engine import ProgramRun

G2 = catalog.machine("gcp", "g2-standard-24")
V6E = catalog.machine("gcp", "ct6e-standard-4t")
A3_ULTRA = catalog.machine("gcp", "a3-ultragpu-8g")
P5 = catalog.machine("aws", "p5.48xlarge")

NET: GkeNetworkArgs = {
    "project": "p",
    "region": "us-central1",
    "subnet_cidr": "10.0.0.0/20",
    "pods_cidr": "10.16.0.0/12",
    "services_cidr": "10.2.0.0/20",
    "proxy_only_cidr": "10.3.0.0/23",
}
POOL: GpuNodePoolArgs = {
    "cluster": "c",
    "location": "us-central1",
    "project": "p",
    "shape": G2,
    "zone": "us-central1-a",
    "node_count": 1,
}
TPU: TpuNodePoolArgs = {
    "cluster": "c",
    "location": "us-central1",
    "project": "p",
    "shape": V6E,
    "zone": "us-central1-b",
    "node_count": 1,
}
GROUP: GpuNodeGroupArgs = {
    "cluster_name": "eks",
    "node_role_arn": "arn:aws:iam::123456789012:role/nodes",
    "cluster_security_group_id": "sg-0123456789abcdef0",
    "vpc_id": "vpc-0123456789abcdef0",
    "subnets": {"us-east-1a": "subnet-0123456789abcdef0"},
    "shape": P5,
    "max_size": 2,
}
VPC: EksVpcArgs = {"availability_zones": ["us-east-1a", "us-east-1b"]}


def snapshot(run_: ProgramRun) -> list[tuple[str, str, str, Any]]:
    """What a run registered, comparable across runs: type, name, parent URN and inputs, in registration order."""
    assert run_.error is None, repr(run_.error)
    return [(r.type, r.name, r.parent, r.inputs) for r in run_.resources]


def gke_network() -> GkeNetwork:
    return GkeNetwork("net", GkeNetworkArgs(**NET))


# --- the args object and the keywords are the same thing ------------------------------------------------------------

#: (component class, args class, logical name, args): every component of the three packages, built both ways.
FORMS: list[tuple[str, Callable[[bool], Any]]] = [
    ("GkeNetwork", lambda obj: GkeNetwork("net", dict(NET)) if obj else GkeNetwork("net", **NET)),  # type: ignore[arg-type]
    (
        "GkeCluster",
        lambda obj: (
            GkeCluster("c", GkeClusterArgs(project="p", region="us-central1", network=gke_network()))
            if obj
            else GkeCluster("c", project="p", region="us-central1", network=gke_network())
        ),
    ),
    ("GpuNodePool", lambda obj: GpuNodePool("gpu", dict(POOL)) if obj else GpuNodePool("gpu", **POOL)),  # type: ignore[arg-type]
    ("TpuNodePool", lambda obj: TpuNodePool("tpu", dict(TPU)) if obj else TpuNodePool("tpu", **TPU)),  # type: ignore[arg-type]
    (
        "GkeRdmaFabric",
        lambda obj: (
            GkeRdmaFabric(
                "fab", GkeRdmaFabricArgs(project="p", region="us-central1", zone="us-central1-b", shape=A3_ULTRA)
            )
            if obj
            else GkeRdmaFabric("fab", project="p", region="us-central1", zone="us-central1-b", shape=A3_ULTRA)
        ),
    ),
    (
        "GkeSecretsKey",
        lambda obj: (
            kms.GkeSecretsKey("k", kms.GkeSecretsKeyArgs(project="p", location="us-central1"))
            if obj
            else kms.GkeSecretsKey("k", project="p", location="us-central1")
        ),
    ),
    (
        "GkeNodeServiceAccount",
        lambda obj: (
            identity.GkeNodeServiceAccount("n", identity.GkeNodeServiceAccountArgs(cluster_name="c", project="p"))
            if obj
            else identity.GkeNodeServiceAccount("n", cluster_name="c", project="p")
        ),
    ),
    (
        "GkeManagedCertificate",
        lambda obj: (
            certificates.GkeManagedCertificate(
                "cert", certificates.GkeManagedCertificateArgs(project="p", region="r", hostname="a.example.com")
            )
            if obj
            else certificates.GkeManagedCertificate("cert", project="p", region="r", hostname="a.example.com")
        ),
    ),
    (
        "IapAccess",
        lambda obj: (
            certificates.IapAccess("iap", certificates.IapAccessArgs(project="p", members=["user:a@example.com"]))
            if obj
            else certificates.IapAccess("iap", project="p", members=["user:a@example.com"])
        ),
    ),
    (
        "ProjectServices",
        lambda obj: (
            services.ProjectServices("apis", services.ProjectServicesArgs(project="p"))
            if obj
            else services.ProjectServices("apis", project="p")
        ),
    ),
    (
        "PodMonitoring",
        lambda obj: (
            monitoring.PodMonitoring(
                "pm", monitoring.PodMonitoringArgs(namespace="ns", selector={"app": "x"}, port="metrics")
            )
            if obj
            else monitoring.PodMonitoring("pm", namespace="ns", selector={"app": "x"}, port="metrics")
        ),
    ),
    (
        "CustomMetricsAdapter",
        lambda obj: (
            monitoring.CustomMetricsAdapter(
                "cm", monitoring.CustomMetricsAdapterArgs(project="p", k8s_opts=pulumi.ResourceOptions())
            )
            if obj
            else monitoring.CustomMetricsAdapter("cm", project="p", k8s_opts=pulumi.ResourceOptions())
        ),
    ),
    (
        "GibNcclInstaller",
        lambda obj: (
            rdma.GibNcclInstaller("gib", rdma.GibNcclInstallerArgs(accelerators=["nvidia-b200"]))
            if obj
            else rdma.GibNcclInstaller("gib", accelerators=["nvidia-b200"])
        ),
    ),
    (
        "GkeNetworkObjects",
        lambda obj: rdma.GkeNetworkObjects(
            "objs",
            rdma.GkeNetworkObjectsArgs(
                fabric=GkeRdmaFabric("fab", project="p", region="us-central1", zone="us-central1-b", shape=A3_ULTRA)
            )
            if obj
            else None,
            **(
                {}
                if obj
                else {
                    "fabric": GkeRdmaFabric(
                        "fab", project="p", region="us-central1", zone="us-central1-b", shape=A3_ULTRA
                    )
                }
            ),
        ),
    ),
    ("EksVpc", lambda obj: EksVpc("vpc", dict(VPC)) if obj else EksVpc("vpc", **VPC)),  # type: ignore[arg-type]
    (
        "EksCluster",
        lambda obj: (
            EksCluster("eks", EksClusterArgs(vpc=EksVpc("vpc", **VPC), region="us-east-1"))
            if obj
            else EksCluster("eks", vpc=EksVpc("vpc", **VPC), region="us-east-1")
        ),
    ),
    ("GpuNodeGroup", lambda obj: GpuNodeGroup("h100", dict(GROUP)) if obj else GpuNodeGroup("h100", **GROUP)),  # type: ignore[arg-type]
    (
        "ExistingCluster",
        lambda obj: (
            ExistingCluster("kind", ExistingClusterArgs(context="kind-x", pools=[_existing_pool()]))
            if obj
            else ExistingCluster("kind", context="kind-x", pools=[_existing_pool()])
        ),
    ),
]


def _existing_pool() -> ExistingPool:
    return ExistingPool(name="gpu", node_selector={"gpu": "yes"}, devices_per_node=2, vcpus=16, memory_gib=64)


@pytest.mark.parametrize(("component", "build"), FORMS, ids=[f[0] for f in FORMS])
def test_args_object_and_keywords_register_the_same_resources(component: str, build: Callable[[bool], Any]) -> None:
    as_object = snapshot(run(lambda: build(True)))
    as_keywords = snapshot(run(lambda: build(False)))
    assert as_object == as_keywords
    assert any(t.startswith("llmd:") for t, *_ in as_object), component


def test_args_object_and_keywords_together_are_refused() -> None:
    result = run(lambda: GpuNodePool("gpu", dict(POOL), node_count=2))  # type: ignore[call-overload]
    assert isinstance(result.error, ArgsError)
    assert "GpuNodePool: give either an args object or keyword arguments, not both" in str(result.error)
    assert result.resources == []


# --- references by object -------------------------------------------------------------------------------------------


def _gke() -> GkeCluster:
    return GkeCluster("c", project="p", region="us-central1", network=gke_network())


@pytest.mark.parametrize("kind", ["gpu", "tpu"])
def test_node_pool_given_the_cluster_object_takes_its_facts_and_waits_for_it(kind: str) -> None:
    def program() -> None:
        gke = _gke()
        if kind == "gpu":
            GpuNodePool("pool", cluster=gke, shape=G2, zone="us-central1-a", node_count=1)
        else:
            TpuNodePool("pool", TpuNodePoolArgs(cluster=gke, shape=V6E, zone="us-central1-b", node_count=1))

    result = run(program)
    assert result.error is None, repr(result.error)
    pool = one(result, "gcp:container/nodePool:NodePool", "pool")
    assert pool.inputs["location"] == "us-central1"
    assert pool.inputs["project"] == "p"
    # the least-privilege node account of the cluster, not the Compute Engine default
    assert pool.inputs["nodeConfig"]["serviceAccount"] == "c-nodes@p.iam.gserviceaccount.com"
    deps = set(pool.options.dependencies)
    assert one(result, "gcp:container/cluster:Cluster", "c").urn in deps
    assert one(result, "gcp:projects/iAMMember:IAMMember", "c-nodes-node-role").urn in deps
    assert one(result, "gcp:compute/routerNat:RouterNat", "net-nat").urn in deps


def test_node_pool_given_a_cluster_name_registers_what_it_did_before() -> None:
    result = run(lambda: GpuNodePool("gpu", **POOL))
    assert result.error is None, repr(result.error)
    pool = one(result, "gcp:container/nodePool:NodePool", "gpu")
    assert pool.inputs["cluster"] == "c"
    assert "serviceAccount" not in pool.inputs["nodeConfig"]
    assert pool.options.dependencies == ()


def test_node_pool_refuses_a_location_other_than_the_cluster_objects() -> None:
    def program() -> None:
        gke = _gke()
        GpuNodePool("pool", cluster=gke, location="europe-west4", shape=G2, zone="us-central1-a", node_count=1)

    result = run(program)
    assert isinstance(result.error, ArgsError)
    assert "GpuNodePool: location = 'europe-west4': must be the cluster's location 'us-central1'" in str(result.error)
    assert not [r for r in result.resources if r.type == "llmd:gcp:GpuNodePool"]


def test_node_pool_given_a_cluster_name_needs_location_and_project() -> None:
    result = run(lambda: GpuNodePool("gpu", cluster="c", shape=G2, zone="us-central1-a", node_count=1))
    assert isinstance(result.error, ArgsError)
    message = str(result.error)
    assert "GpuNodePool: location is required when cluster is a name" in message
    assert "GpuNodePool: project is required when cluster is a name" in message
    assert result.resources == []


def test_gpu_node_group_given_the_cluster_and_vpc_objects_waits_for_the_node_prerequisites() -> None:
    def program() -> None:
        vpc = EksVpc("vpc", **VPC)
        eks = EksCluster("eks", vpc=vpc, region="us-east-1")
        GpuNodeGroup(
            "h100", GpuNodeGroupArgs(cluster=eks, vpc=vpc, shape=P5, max_size=2, availability_zone="us-east-1b")
        )

    result = run(program)
    assert result.error is None, repr(result.error)
    group = one(result, "aws:eks/nodeGroup:NodeGroup", "h100")
    deps = set(group.options.dependencies)
    assert one(result, "aws:eks/addon:Addon", "eks-vpc-cni").urn in deps
    assert (
        one(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks-node-AmazonEKSWorkerNodePolicy").urn
        in deps
    )
    assert one(result, "aws:eks/cluster:Cluster", "eks").urn in deps
    assert group.inputs["subnetIds"] and group.inputs["nodeGroupName"] == "h100"


def test_gpu_node_group_keeps_cluster_name_as_a_deprecated_alias() -> None:
    with_alias = snapshot(run(lambda: GpuNodeGroup("h100", **GROUP)))
    renamed = {k: v for k, v in GROUP.items() if k != "cluster_name"}
    with_cluster = snapshot(run(lambda: GpuNodeGroup("h100", cluster="eks", **renamed)))  # type: ignore[misc]
    assert with_alias == with_cluster
    both = run(lambda: GpuNodeGroup("h100", cluster="eks", **GROUP))  # type: ignore[misc]
    assert isinstance(both.error, ArgsError) and "cluster_name = 'eks': give cluster or cluster_name" in str(both.error)


def test_pod_monitoring_given_a_namespace_component_waits_for_it() -> None:
    from pulumi_llmd.components.platform import StackNamespace

    def program() -> None:
        ns = StackNamespace("llm")
        monitoring.PodMonitoring("pm", namespace=ns, selector={"app": "x"}, port="metrics")

    result = run(program)
    assert result.error is None, repr(result.error)
    monitor = one(result, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring")
    assert monitor.inputs["metadata"]["namespace"] == "llm"
    namespace = one(result, "kubernetes:core/v1:Namespace")
    assert namespace.urn in monitor.options.dependencies


# --- argument errors ------------------------------------------------------------------------------------------------

BAD: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    (
        "node_count-negative",
        lambda: GpuNodePool("gpu", **{**POOL, "node_count": -1}),
        ("GpuNodePool: node_count = -1: must be an integer >= 0",),
    ),
    (
        "node_count-string",
        lambda: GpuNodePool("gpu", **{**POOL, "node_count": "2"}),
        ("GpuNodePool: node_count = '2': must be an integer, not a string",),
    ),
    (
        "node_count-bool",
        lambda: TpuNodePool("tpu", **{**TPU, "node_count": True}),
        ("TpuNodePool: node_count = True: must be an integer, not a boolean",),
    ),
    (
        "min-above-max",
        lambda: GpuNodePool("gpu", **{**POOL, "node_count": None, "min_nodes": 3, "max_nodes": 1}),
        ("GpuNodePool: min_nodes = 3: more than max_nodes = 1; allowed: 0 <= min_nodes <= max_nodes",),
    ),
    (
        "zone-outside-region",
        lambda: GpuNodePool("gpu", **{**POOL, "zone": "europe-west4-a"}),
        (
            "GpuNodePool: zone = 'europe-west4-a': outside the cluster location 'us-central1'; "
            "allowed: us-central1-<letter>",
        ),
    ),
    (
        "unknown-provisioning",
        lambda: GpuNodePool("gpu", **{**POOL, "provisioning": "preemptible"}),
        ("GpuNodePool: provisioning = 'preemptible': must be one of 'on-demand', 'spot', 'reservation', 'flex-start'",),
    ),
    (
        "provisioning-not-offered",
        lambda: GpuNodePool("gpu", **{**POOL, "shape": A3_ULTRA, "zone": "us-central1-b", "provisioning": "on-demand"}),
        ("GpuNodePool: provisioning = 'on-demand': a3-ultragpu-8g is not offered on-demand; allowed:",),
    ),
    (
        "shape-string",
        lambda: GpuNodePool("gpu", **{**POOL, "shape": "g2-standard-24"}),
        ("GpuNodePool: shape = 'g2-standard-24': must be a catalog MachineShape",),
    ),
    (
        "unknown-argument",
        lambda: GpuNodePool("gpu", **{**POOL, "nodes": 2}),
        ("GpuNodePool: nodes = 2: not an argument of GpuNodePool",),
    ),
    ("misspelled-argument", lambda: GpuNodePool("gpu", **{**POOL, "nodecount": 2}), ("did you mean 'node_count'?",)),
    (
        "missing-required",
        lambda: GpuNodePool("gpu", **{k: v for k, v in POOL.items() if k != "zone"}),
        ("GpuNodePool: zone is required",),
    ),
    (
        "network-name",
        lambda: GkeNetwork("Net_1", **NET),
        ("GkeNetwork: name = 'Net_1': must be a lowercase DNS label",),
    ),
    (
        "network-cidr",
        lambda: GkeNetwork("net", **{**NET, "pods_cidr": "10.0.0.0/8"}),
        ("GkeNetwork: pods_cidr = '10.0.0.0/8': overlaps subnet_cidr = 10.0.0.0/20",),
    ),
    (
        "cluster-zone-outside-region",
        lambda: GkeCluster(
            "c", project="p", region="us-central1", zone="us-east1-b", regional=False, network=gke_network()
        ),
        ("GkeCluster: zone = 'us-east1-b': must be a zone of region us-central1 (e.g. us-central1-a)",),
    ),
    (
        "cluster-system-nodes",
        lambda: GkeCluster("c", project="p", region="us-central1", network=gke_network(), system_min_nodes=0),
        ("GkeCluster: system_min_nodes = 0: must be an integer >= 1",),
    ),
    (
        "cluster-release-channel",
        lambda: GkeCluster("c", project="p", region="us-central1", network=gke_network(), release_channel="beta"),
        ("GkeCluster: release_channel = 'beta': must be one of 'RAPID', 'REGULAR', 'STABLE', 'EXTENDED'",),
    ),
    (
        "cluster-network-kind",
        lambda: GkeCluster("c", project="p", region="us-central1", network="net"),
        ("GkeCluster: network = 'net': must be a GkeNetwork",),
    ),  # type: ignore[arg-type]
    (
        "eks-system-nodes",
        lambda: EksCluster("eks", vpc=EksVpc("vpc", **VPC), region="us-east-1", system_max_nodes="4"),
        ("EksCluster: system_max_nodes = '4': must be an integer, not a string",),
    ),  # type: ignore[arg-type]
    (
        "group-max-size",
        lambda: GpuNodeGroup("h100", **{**GROUP, "max_size": 0}),
        ("GpuNodeGroup: min_size = 0, max_size = 0: need min_size >= 0 and max_size >= 1",),
    ),
    (
        "group-no-cluster",
        lambda: GpuNodeGroup("h100", **{k: v for k, v in GROUP.items() if k != "cluster_name"}),
        ("GpuNodeGroup: cluster = None: give the EksCluster",),
    ),
    ("vpc-zones", lambda: EksVpc("vpc", availability_zones=[]), ("EksVpc: availability_zones = []",)),
    (
        "existing-pools-kind",
        lambda: ExistingCluster("kind", pools=["gpu"]),
        ("ExistingCluster kind: pools[0] = 'gpu': must be an ExistingPool",),
    ),  # type: ignore[list-item]
    (
        "monitoring-selector",
        lambda: monitoring.PodMonitoring("pm", namespace="ns", selector={}, port="metrics"),
        ("PodMonitoring: selector = {}: allowed: one or more pod labels",),
    ),
    (
        "monitoring-namespace",
        lambda: monitoring.PodMonitoring("pm", namespace="", selector={"a": "b"}, port=1),
        ("PodMonitoring: namespace = '': must be a non-empty name",),
    ),
    (
        "iap-members",
        lambda: certificates.IapAccess("iap", project="p", members=[]),
        ("IapAccess: members = []: allowed: a list of one or more IAM principals",),
    ),
    (
        "certificate-wildcard",
        lambda: certificates.GkeManagedCertificate("c", project="p", region="r", hostname="*.x.com"),
        ("GkeManagedCertificate: hostname = '*.x.com'",),
    ),
    (
        "services",
        lambda: services.ProjectServices("apis", project="p", services=["container"]),
        ("ProjectServices: services = ['container']",),
    ),
    (
        "node-account",
        lambda: identity.GkeNodeServiceAccount("n", cluster_name="", project="p"),
        ("GkeNodeServiceAccount: cluster_name = '': must be a non-empty name",),
    ),
    (
        "kms-rotation",
        lambda: kms.GkeSecretsKey("k", project="p", location="l", rotation_period="1d"),
        ("GkeSecretsKey: rotation_period = '1d'",),
    ),
]


@pytest.mark.parametrize(("build", "fragments"), [(b, f) for _, b, f in BAD], ids=[i for i, _, _ in BAD])
def test_bad_arguments_are_refused_naming_key_value_and_allowed_before_anything_registers(
    build: Callable[[], Any], fragments: tuple[str, ...]
) -> None:
    result = run(build)
    assert isinstance(result.error, ArgsError), repr(result.error)
    assert isinstance(result.error, ValueError)  # existing `except ValueError` callers keep working
    message = str(result.error)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # Nothing of the refused component registered (references built before it, e.g. the network, may have).
    component = message.split(":", 1)[0].split(" ", 1)[0]
    assert not [r for r in result.resources if r.type.endswith(":" + component) or r.name in ("gpu", "tpu", "h100")]


# --- the rule functions config validation reuses --------------------------------------------------------------------


def test_rule_functions_return_the_component_wording() -> None:
    assert network.zone_in_region_problem("llmd:target.zone", "us-east1-b", "us-central1") == (
        "llmd:target.zone = 'us-east1-b': must be a zone of region us-central1 (e.g. us-central1-a)"
    )
    assert network.zone_in_region_problem("zone", "us-central1-f", "us-central1") is None
    assert network.network_range_problems({"a": "10.0.0.0/8", "b": "10.1.0.0/16"}) == [
        "b = '10.1.0.0/16': overlaps a = 10.0.0.0/8; the ranges must be disjoint"
    ]
    assert node_pool.provisioning_problem("pools[0].provisioning", "on-demand", A3_ULTRA) is not None
    assert node_pool.provisioning_problem("provisioning", "spot", G2) is None
    assert pool_rules.pool_size_problems(-1, None, None) == ["node_count = -1: must be an integer >= 0"]
    assert tpu.tpu_topology_problem("tpuTopology", "3x3", V6E) is not None
    assert tpu.tpu_topology_problem("tpuTopology", "2x2", V6E) is None


# --- documented defaults --------------------------------------------------------------------------------------------

ARGS_TYPES: list[type] = [
    GkeNetworkArgs,
    GkeClusterArgs,
    GpuNodePoolArgs,
    TpuNodePoolArgs,
    GkeRdmaFabricArgs,
    rdma.GkeNetworkObjectsArgs,
    rdma.GibNcclInstallerArgs,
    kms.GkeSecretsKeyArgs,
    identity.GkeNodeServiceAccountArgs,
    certificates.GkeManagedCertificateArgs,
    certificates.IapAccessArgs,
    services.ProjectServicesArgs,
    monitoring.PodMonitoringArgs,
    monitoring.CustomMetricsAdapterArgs,
    EksVpcArgs,
    EksClusterArgs,
    GpuNodeGroupArgs,
    ExistingClusterArgs,
]


def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a TypedDict's fields (the string literal right after each field)."""
    tree = ast.parse(inspect.getsource(cls).lstrip())
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for stmt, after in zip(body, [*body[1:], None], strict=True):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            doc = after.value.value if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) else ""
            docs[stmt.target.id] = str(doc)
    return docs


@pytest.mark.parametrize("cls", ARGS_TYPES, ids=[c.__name__ for c in ARGS_TYPES])
def test_every_field_is_documented_and_every_optional_one_states_its_default(cls: type) -> None:
    docs = field_docs(cls)
    assert set(docs) == set(typing.get_type_hints(cls, localns={"Output": pulumi.Output, "T": Any}))
    required = required_keys(cls)
    for key, doc in docs.items():
        assert doc.strip(), f"{cls.__name__}.{key} has no docstring"
        if key not in required:
            assert "Default: " in doc or "Default:" in doc.replace("\n", " "), f"{cls.__name__}.{key}: no default"


def test_required_fields_are_required() -> None:
    assert required_keys(GpuNodePoolArgs) == {"cluster", "shape", "zone"}
    assert required_keys(GkeNetworkArgs) == {
        "project",
        "region",
        "subnet_cidr",
        "pods_cidr",
        "services_cidr",
        "proxy_only_cidr",
    }
    assert required_keys(GpuNodeGroupArgs) == {"shape", "max_size"}
    assert required_keys(ExistingClusterArgs) == frozenset()


def test_cluster_module_exports_args() -> None:
    assert cluster.GkeClusterArgs is GkeClusterArgs
