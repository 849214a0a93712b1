"""LlmdPlatform + LlmdInference: a platform team's program is conformant by default.

Each program runs under the mock engine and through both policy packs (0 mandatory violations) and the first-deploy
twin (no failure); bad arguments raise ArgsError before anything is registered.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from mock_program import run

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdInferenceArgs, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import ArgsError
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool
from pulumi_llmd.components.gcp import GkeCluster, GkeNetwork, GpuNodePool, ProjectServices, TpuNodePool
from pulumi_llmd.render.engine import ProgramRun
from pulumi_llmd.render.render import RenderResult, build_result

PROXY_ONLY = "10.3.0.0/23"


#: Platform-team programs shared by several tests (tests/programs/).
PROGRAMS = Path(__file__).resolve().parent / "programs"


def gke(name: str = "inference") -> tuple[GkeCluster, pulumi.ResourceOptions]:
    """A GKE network + cluster (APIs enabled first), as the README example builds them."""
    apis = ProjectServices(f"{name}-apis", project="my-project")
    after = pulumi.ResourceOptions(depends_on=[apis])
    network = GkeNetwork(
        name,
        project="my-project",
        region="us-central1",
        subnet_cidr="10.0.0.0/20",
        pods_cidr="10.16.0.0/12",
        services_cidr="10.2.0.0/20",
        proxy_only_cidr=PROXY_ONLY,
        opts=after,
    )
    cluster = GkeCluster(
        name,
        project="my-project",
        region="us-central1",
        network=network,
        authorized_cidrs=["203.0.113.7/32"],
        opts=after,
    )
    return cluster, after


def gpu_pool(cluster: GkeCluster, name: str, machine: str, after: pulumi.ResourceOptions, **kw: Any) -> GpuNodePool:
    return GpuNodePool(
        name,
        cluster=cluster,
        shape=catalog.machine("gcp", machine),
        zone="us-central1-a",
        max_nodes=2,
        opts=after,
        **kw,
    )


def render(program: Callable[[], Any]) -> tuple[ProgramRun, RenderResult]:
    result = run(program)
    assert result.error is None, repr(result.error)
    return result, build_result("test", result.resources)


def assert_conformant(result: RenderResult) -> None:
    assert result.schema_issues == [], "\n".join(map(str, result.schema_issues))
    assert result.policy is not None and result.twin is not None
    assert result.policy.mandatory == [], "\n".join(result.policy.lines())
    assert result.twin.ok, "\n".join(result.twin.lines())


def kinds(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def named(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in kinds(result, kind) if m["metadata"]["name"] == name]
    return found


# --- several models and pools behind one gateway --------------------------------------------------------------------


@pytest.fixture(scope="module")
def gke_fleet() -> RenderResult:
    """GKE: an L4 pool, an H100 pool and a TPU v6e pool; three models behind the one gateway."""

    def program() -> None:
        cluster, after = gke()
        l4 = gpu_pool(cluster, "l4", "g2-standard-24", after, provisioning="spot")
        h100 = gpu_pool(cluster, "h100", "a3-highgpu-8g", after)
        tpu = TpuNodePool(
            "v6e", cluster=cluster, shape=catalog.machine("gcp", "ct6e-standard-8t"), zone="us-central1-b", max_nodes=2,
            opts=after,
        )  # fmt: skip
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4, h100, tpu], proxy_only_cidr=PROXY_ONLY)
        LlmdInference("qwen3-8b", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=2)
        args: LlmdInferenceArgs = {
            "platform": platform,
            "pool": h100,
            "model": "Qwen/Qwen3-32B",
            "tensor_parallel_size": 2,
            "replicas": 2,
            "route_path": "/qwen3-32b",
        }
        LlmdInference("qwen3-32b", args)
        LlmdInference(
            "qwen3-32b-tpu",
            platform=platform,
            pool=tpu,
            model="Qwen/Qwen3-32B",
            tensor_parallel_size=8,
            route_path="/tpu",
            max_model_len=16384,
        )

    _, result = render(program)
    return result


def test_several_models_on_several_pools_are_conformant(gke_fleet: RenderResult) -> None:
    assert_conformant(gke_fleet)


def test_one_gateway_one_route_per_model_each_on_its_own_prefix(gke_fleet: RenderResult) -> None:
    (gateway,) = kinds(gke_fleet, "Gateway")
    routes = {m["metadata"]["name"]: m for m in kinds(gke_fleet, "HTTPRoute")}
    assert set(routes) == {"qwen3-8b", "qwen3-32b", "qwen3-32b-tpu", f"{gateway['metadata']['name']}-https-redirect"}
    prefixes = {
        name: r["spec"]["rules"][0]["matches"][0]["path"]["value"]
        for name, r in routes.items()
        if "redirect" not in name
    }
    assert prefixes == {"qwen3-8b": "/", "qwen3-32b": "/qwen3-32b", "qwen3-32b-tpu": "/tpu"}
    for name in prefixes:
        assert routes[name]["spec"]["parentRefs"][0]["name"] == gateway["metadata"]["name"]
        assert named(gke_fleet, "InferencePool", name)["spec"]["endpointPickerRef"]["name"] == f"{name}-epp"


def test_every_model_has_ha_pickers_an_hpa_monitoring_and_pdbs(gke_fleet: RenderResult) -> None:
    hpas = {m["spec"]["scaleTargetRef"]["name"]: m for m in kinds(gke_fleet, "HorizontalPodAutoscaler")}
    # What each pool holds at 2 nodes: L4 2 x 2 / TP 2, H100 8 x 2 / TP 2, v6e 8 x 2 / TP 8.
    assert {n: (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) for n, h in hpas.items()} == {
        "qwen3-8b-decode": (1, 2),
        "qwen3-32b-decode": (2, 8),
        "qwen3-32b-tpu-decode": (1, 2),
    }
    monitored = {m["metadata"]["name"] for m in kinds(gke_fleet, "PodMonitoring")}
    pdbs = {m["metadata"]["name"] for m in kinds(gke_fleet, "PodDisruptionBudget")}
    for name in ("qwen3-8b", "qwen3-32b", "qwen3-32b-tpu"):
        assert named(gke_fleet, "Deployment", f"{name}-epp")["spec"]["replicas"] == 2
        assert {f"{name}-decode", f"{name}-epp"} <= monitored
        assert {f"{name}-decode", f"{name}-epp"} <= pdbs
    tpu = named(gke_fleet, "Deployment", "qwen3-32b-tpu-decode")["spec"]["template"]["spec"]
    assert tpu["containers"][0]["resources"]["limits"]["google.com/tpu"] == 8


def test_kueue_has_a_flavor_per_pool_and_the_namespace_is_default_deny(gke_fleet: RenderResult) -> None:
    flavors = {m["metadata"]["name"] for m in kinds(gke_fleet, "ResourceFlavor")}
    assert flavors == {"llm-d-l4", "llm-d-h100", "llm-d-v6e"}
    (namespace,) = [m for m in kinds(gke_fleet, "Namespace") if m["metadata"]["name"] == "llm-d"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    policies = [m for m in kinds(gke_fleet, "NetworkPolicy") if m["metadata"]["namespace"] == "llm-d"]
    assert any(
        p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in policies
    )


# --- an existing cluster -------------------------------------------------------------------------------------------


def test_an_existing_kind_cluster_serves_simulated_accelerators_conformantly() -> None:
    built: dict[str, Any] = {}

    def program() -> None:
        cluster = ExistingCluster("kind-llm-d", context="kind-llm-d")
        platform = LlmdPlatform("sim", cluster=cluster, namespace="llm-d-sim")
        built["model"] = LlmdInference("random", platform=platform, model="random", replicas=3)

    _, result = render(program)
    assert_conformant(result)
    assert named(result, "Deployment", "random-decode")["spec"]["replicas"] == 3
    picker = named(result, "Deployment", "random-epp")
    assert picker["spec"]["replicas"] == 2
    assert picker["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "100m"
    (namespace,) = [m for m in kinds(result, "Namespace") if m["metadata"]["name"] == "llm-d-sim"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (gateway,) = kinds(result, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "istio"
    assert gateway["metadata"]["annotations"] == {"networking.istio.io/service-type": "ClusterIP"}  # internal
    assert {m["metadata"]["name"] for m in kinds(result, "PodMonitor")} == {"random-decode", "random-epp"}
    assert built["model"].route_path == "/"
    assert built["model"].inference_pool == "random"


def test_an_existing_cluster_with_a_gpu_pool_serves_optimized_baseline_conformantly() -> None:
    def program() -> None:
        h100 = ExistingPool(
            name="h100",
            node_selector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
            tolerations=(Toleration("nvidia.com/gpu", "present", "NoSchedule"),),
            resource_name="nvidia.com/gpu",
            devices_per_node=8,
            max_nodes=2,
            accelerator="nvidia-h100-80gb",
            vcpus=128,
            memory_gib=1024,
        )
        cluster = ExistingCluster("onprem", context="onprem", pools=[h100])
        platform = LlmdPlatform("llm-d", cluster=cluster, hf_token=pulumi.Output.secret("hf_test_token"))
        LlmdInference("qwen3-32b", platform=platform, model="Qwen/Qwen3-32B", tensor_parallel_size=2, replicas=2)

    _, result = render(program)
    assert_conformant(result)
    assert named(result, "Secret", "llm-d-hf-token")["metadata"]["namespace"] == "llm-d"
    env = named(result, "Deployment", "qwen3-32b-decode")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}} in env
    assert {m["metadata"]["name"] for m in kinds(result, "ResourceFlavor")} == {"llm-d-h100"}
    assert named(result, "HorizontalPodAutoscaler", "qwen3-32b-decode")["spec"]["maxReplicas"] == 8


# --- EKS ------------------------------------------------------------------------------------------------------------


def test_eks_with_a_gpu_node_group_is_conformant() -> None:
    def program() -> None:
        runpy.run_path(str(PROGRAMS / "eks_g6e.py"))

    _, result = render(program)
    assert_conformant(result)
    (gateway,) = kinds(result, "Gateway")
    assert gateway["spec"]["infrastructure"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == (
        "internal"
    )


# --- bad arguments --------------------------------------------------------------------------------------------------


def refused(program: Callable[[], Any], *fragments: str) -> str:
    """The program raised ArgsError naming every fragment, and registered nothing of the refusing component."""
    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    message = str(result.error)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def kind_platform(**kwargs: Any) -> LlmdPlatform:
    return LlmdPlatform("sim", cluster=ExistingCluster("kind", context="kind-llm-d"), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"modle": "random"}, ("LlmdInference: modle = 'random': not an argument of LlmdInference",)),
        ({"model": "random", "replicas": "2"}, ("replicas = '2': must be an integer, not a string",)),
        ({"model": "random", "replicas": 0}, ("replicas = 0: must be an integer >= 1",)),
        (
            {"model": "random", "picker_replicas": 1},
            ("picker_replicas = 1: must be an integer >= 2", "epp-high-availability"),
        ),
        (
            {"model": "random", "path": "wide-ep"},
            ("path = 'wide-ep': not yet supported by LlmdInference", "stack file"),
        ),
        ({"model": "random", "path": "fast"}, ("path = 'fast': must be one of 'optimized-baseline'",)),
        ({"model": "random", "route_path": "qwen"}, ("route_path = 'qwen': must start with '/'",)),
        ({"model": "Qwen3-8B"}, ("model = 'Qwen3-8B': must be a Hugging Face id",)),
        (
            {"model": "Qwen/Qwen3-8B", "path": "optimized-baseline"},
            ("pool is required on the optimized-baseline path",),
        ),
    ],
)
def test_bad_inference_args_are_refused_before_anything_registers(
    kwargs: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    def program() -> None:
        platform = kind_platform()
        LlmdInference("m", platform=platform, **kwargs)

    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    for fragment in fragments:
        assert fragment in str(result.error)
    assert not [r for r in result.resources if r.type.startswith("llmd:blueprints:LlmdInference")]


def test_a_route_prefix_and_a_name_are_taken_once_per_platform() -> None:
    def program() -> None:
        platform = kind_platform()
        LlmdInference("a", platform=platform, model="random")
        LlmdInference("b", platform=platform, model="random")

    refused(program, "route_path = '/': LlmdInference 'a' already routes it", "e.g. '/b'")


def test_tp_must_divide_a_node_and_the_pool_must_be_the_platforms() -> None:
    def program() -> None:
        cluster, after = gke()
        l4 = gpu_pool(cluster, "l4", "g2-standard-24", after)
        other = gpu_pool(cluster, "other", "g2-standard-24", after)
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4], proxy_only_cidr=PROXY_ONLY)
        LlmdInference("x", platform=platform, pool=other, model="Qwen/Qwen3-8B", tensor_parallel_size=3)

    message = refused(program, "pool = 'other': not a pool of the platform (its pools: ['l4'])")
    assert "LlmdInference" in message

    def tp() -> None:
        cluster, after = gke()
        l4 = gpu_pool(cluster, "l4", "g2-standard-24", after)
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4], proxy_only_cidr=PROXY_ONLY)
        LlmdInference("x", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=3)

    refused(
        tp, "tensor_parallel_size = 3: TP x PP = 3", "does not fit one g2-standard-24 node", "allowed: TP x PP <= 2"
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"public": True}, "authentication: a public gateway needs authentication"),
        (
            {"gateway_class": "gke-l7-rilb"},
            "gateway_class = 'gke-l7-rilb': not available for target cloud 'existing'; allowed: istio, agentgateway",
        ),
        (
            {"authentication": {"issuer": "x", "jwks_uri": "http://x"}},
            "authentication = 'http://x': String should match pattern '^https://",
        ),
        ({"https": False, "tls_issuer": "letsencrypt"}, "https = False: turns HTTPS off, so issuer cannot be set"),
        ({"namespace": "LLM"}, "namespace = 'LLM': must be a lowercase DNS label"),
        ({"project": "p"}, "project = 'p': applies to a GkeCluster only"),
        ({"pools": ["h100"]}, "pools[0] = 'h100': must be a GpuNodePool, TpuNodePool, GpuNodeGroup or AcceleratorPool"),
    ],
)
def test_bad_platform_args_are_refused(kwargs: dict[str, Any], fragment: str) -> None:
    def program() -> None:
        kind_platform(**kwargs)

    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    assert fragment in str(result.error)
    assert not [r for r in result.resources if r.type == "llmd:blueprints:LlmdPlatform"]


def test_a_public_gateway_with_jwt_authentication_is_accepted() -> None:
    def program() -> None:
        platform = kind_platform(public=True, authentication={"issuer": "https://idp", "jwks_uri": "https://idp/jwks"})
        LlmdInference("random", platform=platform, model="random")

    _, result = render(program)
    assert_conformant(result)
    assert kinds(result, "RequestAuthentication")
