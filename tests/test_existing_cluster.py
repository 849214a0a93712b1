"""ExistingCluster under the mock engine: only a Kubernetes provider, hand-written pools, refusals up front."""

from __future__ import annotations

from typing import Any

import pytest
from mock_program import assert_schema_valid, refused, run
from pulumi.runtime.rpc import is_rpc_secret

from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import Platform, Toleration
from pulumi_llmd.components.catalog import AcceleratorKind, CatalogError, Cloud, RdmaKind
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool
from pulumi_llmd.components.serving import ModelServer, VllmSpec, model_server_labels
from pulumi_llmd.render.render import build_result

GPU_TAINT = Toleration("nvidia.com/gpu", "present", "NoSchedule")


def h100_pool(**overrides: Any) -> ExistingPool:
    args: dict[str, Any] = {
        "name": "h100",
        "node_selector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "tolerations": (GPU_TAINT,),
        "resource_name": "nvidia.com/gpu",
        "devices_per_node": 8,
        "max_nodes": 2,
        "accelerator": "nvidia-h100-80gb",
        "vcpus": 128,
        "memory_gib": 2000,
        "rdma": RdmaKind.INFINIBAND,
        "rdma_resource": "rdma/ib",
    }
    args.update(overrides)
    return ExistingPool(**args)


def mi300_pool(**overrides: Any) -> ExistingPool:
    args: dict[str, Any] = {
        "name": "mi300x",
        "node_selector": {"amd.com/gpu.product-name": "AMD_Instinct_MI300X"},
        "tolerations": (Toleration("amd.com/gpu", None, "NoSchedule"),),
        "resource_name": "amd.com/gpu",
        "devices_per_node": 8,
        "vcpus": 192,
        "memory_gib": 1500,
    }
    args.update(overrides)
    return ExistingPool(**args)


# --- what it registers ----------------------------------------------------------------------------------------------


def test_registers_only_a_kubernetes_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    result = run(lambda: ExistingCluster("onprem", context="kind-llm-d", pools=[h100_pool(), mi300_pool()]))
    assert result.error is None, repr(result.error)
    types = sorted(r.type for r in result.resources)
    assert types == ["llmd:cluster:ExistingCluster", "pulumi:providers:kubernetes"]
    assert not any(t.startswith(("gcp:", "aws:")) for t in types)
    (component,) = [r for r in result.resources if r.type == "llmd:cluster:ExistingCluster"]
    (provider,) = [r for r in result.resources if r.type == "pulumi:providers:kubernetes"]
    assert provider.parent == component.urn
    assert provider.name == "onprem-k8s"
    assert provider.inputs["context"] == "kind-llm-d"
    assert "kubeconfig" not in provider.inputs  # the plugin's default: ~/.kube/config
    assert_schema_valid(result)


def test_kubeconfig_path_goes_to_the_provider_as_a_secret_without_being_read() -> None:
    path = "/nonexistent/dir/kubeconfig.yaml"  # never read at construction
    result = run(lambda: ExistingCluster("lab", kubeconfig=path))
    assert result.error is None, repr(result.error)
    (provider,) = [r for r in result.resources if r.type == "pulumi:providers:kubernetes"]
    assert is_rpc_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["kubeconfig"]["value"] == path
    assert "context" not in provider.inputs
    assert path not in build_result("test", result.resources).resources_json()


def test_default_kubeconfig_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/home/me/.kube/kind")
    result = run(lambda: ExistingCluster("laptop"))
    assert result.error is None, repr(result.error)
    (provider,) = [r for r in result.resources if r.type == "pulumi:providers:kubernetes"]
    assert is_rpc_secret(provider.inputs["kubeconfig"])
    assert provider.inputs["kubeconfig"]["value"] == "/home/me/.kube/kind"


def test_pools_carry_placement_resource_and_shape() -> None:
    built: dict[str, ExistingCluster] = {}
    result = run(lambda: built.setdefault("c", ExistingCluster("onprem", pools=[h100_pool(), mi300_pool()])))
    assert result.error is None, repr(result.error)
    existing = built["c"]
    cluster = existing.as_cluster()
    assert cluster.platform is Platform.EXISTING
    assert cluster.provider is existing.provider
    assert set(cluster.pools) == {"h100", "mi300x"}

    h100 = cluster.pools["h100"]
    assert h100.pod_placement() == {
        "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}],
    }
    assert h100.resource_name == "nvidia.com/gpu"
    assert (h100.devices_per_node, h100.max_nodes, h100.capacity) == (8, 2, 16)
    assert h100.shape.cloud is Cloud.EXISTING
    assert h100.shape.accelerator is catalog.accelerator("nvidia-h100-80gb")
    assert (h100.shape.vcpus, h100.shape.memory_gib, h100.shape.rdma) == (128, 2000, RdmaKind.INFINIBAND)
    assert existing.rdma_resources == {"h100": "rdma/ib"}

    mi300 = cluster.pools["mi300x"]
    assert mi300.resource_name == "amd.com/gpu"
    assert mi300.shape.accelerator.kind is AcceleratorKind.GPU
    assert mi300.shape.accelerator.vendor == "amd"
    exists = {"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert mi300.pod_placement()["tolerations"] == [exists]


def test_catalog_accelerator_takes_the_nodes_resource_name() -> None:
    built: dict[str, ExistingCluster] = {}
    pool = h100_pool(resource_name="nvidia.com/mig-3g.40gb", rdma=RdmaKind.NONE, rdma_resource=None)
    run(lambda: built.setdefault("c", ExistingCluster("mig", pools=[pool])))
    device = built["c"].pools["h100"].shape.accelerator
    assert device.resource_name == "nvidia.com/mig-3g.40gb"
    assert device.memory_gib == 80  # the catalog's facts stay


def test_model_server_lands_on_an_existing_pool() -> None:
    def program() -> None:
        cluster = ExistingCluster("onprem", pools=[h100_pool()]).as_cluster()
        ModelServer(
            "m",
            namespace="llm-d",
            replicas=2,
            spec=VllmSpec(model="Qwen/Qwen3-32B", tensor_parallel_size=2),
            pool=cluster.pools["h100"],
            labels=model_server_labels(guide="optimized-baseline", role="decode", model="qwen3-32b"),
        )

    result = run(program)
    assert result.error is None, repr(result.error)
    (deployment,) = [r for r in result.resources if r.type == "kubernetes:apps/v1:Deployment"]
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert_schema_valid(result)


def test_cpu_only_cluster_has_no_pools() -> None:
    built: dict[str, ExistingCluster] = {}
    result = run(lambda: built.setdefault("c", ExistingCluster("kind")))
    assert result.error is None
    assert built["c"].as_cluster().pools == {}


# --- refusals -------------------------------------------------------------------------------------------------------


def test_gpu_pool_without_node_selector() -> None:
    result = run(lambda: ExistingCluster("c", pools=[h100_pool(node_selector={})]))
    refused(result, "ExistingCluster c", "pools[0].node_selector = {}", "nvidia.com/gpu.present")


def test_devices_per_node_below_one() -> None:
    result = run(lambda: ExistingCluster("c", pools=[mi300_pool(devices_per_node=0)]))
    refused(result, "pools[0].devices_per_node = 0", "must be an integer >= 1")


def test_duplicate_pool_names() -> None:
    result = run(lambda: ExistingCluster("c", pools=[h100_pool(), mi300_pool(name="h100")]))
    refused(result, "pools[1].name = 'h100'", "duplicate pool name")


@pytest.mark.parametrize("bad", ["gpu", "nvidia.com/", "/gpu", "NVIDIA.com/gpu", "a/b/c", "x.kubernetes.io/gpu"])
def test_malformed_resource_name(bad: str) -> None:
    result = run(lambda: ExistingCluster("c", pools=[mi300_pool(resource_name=bad)]))
    refused(result, f"pools[0].resource_name = {bad!r}", "domain/name", "'amd.com/gpu'")


def test_malformed_rdma_resource_and_rdma_without_fabric() -> None:
    result = run(lambda: ExistingCluster("c", pools=[h100_pool(rdma_resource="ib")]))
    refused(result, "pools[0].rdma_resource = 'ib'", "not a Kubernetes extended resource")
    result = run(lambda: ExistingCluster("c", pools=[h100_pool(rdma=RdmaKind.NONE)]))
    refused(result, "pools[0].rdma_resource = 'rdma/ib' with rdma = none", "infiniband")


def test_unknown_catalog_accelerator() -> None:
    result = run(lambda: ExistingCluster("c", pools=[h100_pool(accelerator="nvidia-x1")]))
    refused(result, "pools[0].accelerator = 'nvidia-x1'", "known: ")


def test_every_problem_is_reported_at_once() -> None:
    result = run(lambda: ExistingCluster("c", pools=[mi300_pool(node_selector={}, devices_per_node=0, vcpus=0)]))
    message = refused(result, "node_selector", "devices_per_node = 0", "vcpus = 0")
    assert message.count("pools[0].") == 3


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"kubeconfig": ""}, "kubeconfig = ''"), ({"context": " "}, "context = ' '"), ({"name": ""}, "name = ''")],
)
def test_empty_name_kubeconfig_or_context(kwargs: dict[str, Any], fragment: str) -> None:
    args: dict[str, Any] = {"name": "c", **kwargs}
    result = run(lambda: ExistingCluster(args.pop("name"), **args))
    refused(result, fragment, "allowed")


# --- catalog factories ----------------------------------------------------------------------------------------------


def test_custom_accelerator_and_shape() -> None:
    gaudi = catalog.custom_accelerator("intel-gaudi3", "habana.ai/gaudi", 128)
    assert (gaudi.kind, gaudi.vendor, gaudi.memory_gib) == (AcceleratorKind.GPU, "habana", 128)
    tpu = catalog.custom_accelerator("tpu-lab", "google.com/tpu")
    assert tpu.kind is AcceleratorKind.TPU
    shape = catalog.custom_shape(machine_type="lab", accelerator=tpu, accelerator_count=4, vcpus=100, memory_gib=200)
    assert shape.tpu is not None and shape.tpu.chips_per_host == 4
    efa = catalog.custom_shape(
        machine_type="efa", accelerator=gaudi, accelerator_count=8, vcpus=96, memory_gib=1024, rdma=RdmaKind.EFA
    )
    assert (efa.rdma_nics, efa.efa_interfaces) == (8, 8)
    assert ("existing", "lab") not in {(c.value, m) for c, m in catalog.MACHINES}
    with pytest.raises(CatalogError, match="accelerator_count = 0: must be >= 1"):
        catalog.custom_shape(machine_type="x", accelerator=gaudi, accelerator_count=0, vcpus=1, memory_gib=1)
    with pytest.raises(CatalogError, match="not a Kubernetes extended resource"):
        catalog.custom_accelerator("x", "gpu")
