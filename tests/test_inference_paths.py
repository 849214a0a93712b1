"""LlmdInference builds through the stacks' code: its arguments are a stack model (same rules, messages under the
argument's name), planned and served by ``blueprints.deploy.serve_model``, so the prefix-cache paths come with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from mock_program import run
from test_inference import assert_conformant, gke, gpu_pool, kinds, named, render

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import ArgsError
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool
from pulumi_llmd.components.gcp import TpuNodePool


def h100_platform() -> LlmdPlatform:
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
    return LlmdPlatform("llm-d", cluster=cluster, hf_token=pulumi.Output.secret("hf_test_token"))


def test_prefix_cache_paths_are_served_by_the_stack_paths_and_conformant() -> None:
    built: dict[str, LlmdInference] = {}

    def program() -> None:
        platform = h100_platform()
        built["precise"] = LlmdInference(
            "precise",
            platform=platform,
            model="Qwen/Qwen3-32B",
            path="precise-prefix-cache-routing",
            tensor_parallel_size=2,
            tokenizer_replicas=2,
            route_path="/precise",
        )
        built["tiered"] = LlmdInference(
            "tiered",
            platform=platform,
            model="Qwen/Qwen3-32B",
            path="tiered-prefix-cache",
            tensor_parallel_size=2,
            kv_offload_gib=64,
            max_replicas=3,
            route_path="/tiered",
        )

    resources, result = render(program)
    assert_conformant(result)
    types = {r.type for r in resources.resources}
    assert {"llmd:paths:PrecisePrefixCacheRouting", "llmd:paths:TieredPrefixCache"} <= types
    # Precise: the tokenizer render pods (monitored, with their NetworkPolicy), KV events, active-active pickers.
    assert named(result, "Deployment", "precise-render")["spec"]["replicas"] == 2
    args = named(result, "Deployment", "precise-decode")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert any(a.startswith("--kv-events-config") for a in args)
    assert {"precise-decode", "precise-epp", "precise-render"} <= {
        m["metadata"]["name"] for m in kinds(result, "PodMonitor")
    }
    assert any(m["metadata"]["name"] == "precise-render" for m in kinds(result, "NetworkPolicy"))
    # Tiered: the offload connector sized from the argument, the HPA ceiling from max_replicas.
    args = named(result, "Deployment", "tiered-decode")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert any("OffloadingConnector" in a and str(64 * 2**30) in a for a in args)
    assert named(result, "HorizontalPodAutoscaler", "tiered-decode")["spec"]["maxReplicas"] == 3
    assert built["precise"].path == "precise-prefix-cache-routing"
    assert built["tiered"].autoscaler is not None


def refused(program: Callable[[], Any]) -> str:
    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    assert not [r for r in result.resources if r.type.startswith("llmd:blueprints:LlmdInference")]
    return str(result.error)


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        # The stack's rules, under the argument's name.
        ({"tensor_parallel_size": 1, "model": "meta-llama/Llama-3.1-405B"}, ("tensor_parallel_size", "GiB")),
        ({"extra_env": {"HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz123456"}}, ("extra_env", "secret_env.HF_TOKEN")),
        ({"image": "vllm/vllm-openai:latest"}, ("image", "moves")),
        ({"scorer_weights": {"fast-scorer": 1}}, ("scorer_weights", "unknown scorer")),
        ({"max_model_len": 12}, ("max_model_len",)),
        ({"model": "random"}, ("model = 'random'", "simulator's model")),
        ({"tokenizer_replicas": 2}, ("tokenizer_replicas",)),
    ],
)
def test_a_model_obeys_the_stack_rules(kwargs: dict[str, Any], fragments: tuple[str, ...]) -> None:
    def program() -> None:
        args: dict[str, Any] = {"model": "Qwen/Qwen3-8B", "tensor_parallel_size": 2, **kwargs}
        LlmdInference("m", platform=h100_platform(), **args)

    message = refused(program)
    assert message.startswith("LlmdInference: ")
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert ": llmd:" not in message  # stack keys become argument names


def test_tiered_prefix_cache_is_refused_on_tpu() -> None:
    def program() -> None:
        cluster, after = gke()
        tpu = TpuNodePool(
            "v6e", cluster=cluster, shape=catalog.machine("gcp", "ct6e-standard-8t"), zone="us-central1-b",
            max_nodes=2, opts=after,
        )  # fmt: skip
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[tpu], proxy_only_cidr="10.3.0.0/23")
        LlmdInference("m", platform=platform, pool=tpu, model="Qwen/Qwen3-8B", path="tiered-prefix-cache")

    assert "path = 'tiered-prefix-cache': not available on TPU pools" in refused(program)


def test_the_models_on_a_pool_must_fit_it() -> None:
    def program() -> None:
        cluster, after = gke()
        l4 = gpu_pool(cluster, "l4", "g2-standard-24", after)
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4], proxy_only_cidr="10.3.0.0/23")
        LlmdInference("m", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=2, replicas=3)

    assert "pool: the models on pool 'l4' need 6" in refused(program)
