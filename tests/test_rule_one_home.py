"""One rule, one home (the leftovers): the TPU topology, pool size / reservation, name, TP-divides-a-node and gateway
rules are each one function that config validation and the components (or LlmdPlatform / LlmdInference) call, so a
stack file and an argument get the same message, under the stack key or the argument name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mock_program import run

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import ArgsError, dns_label_allowed, dns_label_problem
from pulumi_llmd.components.cluster import ExistingCluster
from pulumi_llmd.components.gcp import GkeNetwork, TpuNodePool
from pulumi_llmd.components.gcp.tpu import tpu_topology_problem
from pulumi_llmd.components.pool_rules import (
    ARG_KEYS,
    STACK_POOL_KEYS,
    pool_size_problems,
    reservation_problems,
)
from pulumi_llmd.components.serving.model_server import devices_divide_problem
from tests.conftest import make_valid_config


def _errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    return [str(issue) for issue in caught.value.issues]


def _refusal(program: Callable[[], object]) -> str:
    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    return str(result.error)


def test_tpu_topology_is_the_tpu_node_pools_rule() -> None:
    shape = catalog.machine("gcp", "ct6e-standard-8t")
    config = make_valid_config()
    config["pools"][0] = {"name": "v6e", "machineType": "ct6e-standard-8t", "tpuTopology": "2x2", "nodeCount": 1}
    config["models"][0].update(pool="v6e", tensorParallelSize=8)
    expected = tpu_topology_problem("llmd:pools[0].tpuTopology", "2x2", shape)
    assert expected == (
        "llmd:pools[0].tpuTopology = '2x2': 4 chips, not a topology of ct6e-standard-8t (8 chips per host); "
        "allowed on ct6e-standard-8t: 2x4"
    )
    assert expected in _errors(config)
    message = _refusal(lambda: TpuNodePool("v6e", cluster="c", shape=shape, zone="us-central1-b", topology="2x2"))
    assert f"TpuNodePool: {tpu_topology_problem('topology', '2x2', shape)}" in message


@pytest.mark.parametrize(
    ("pool", "problem"),
    [
        (
            {"nodeCount": None, "autoscaling": {"minNodes": 3, "maxNodes": 2}},
            pool_size_problems(None, 3, 2, STACK_POOL_KEYS)[0],
        ),
        (
            {"nodeCount": 5, "autoscaling": {"minNodes": 0, "maxNodes": 2}},
            pool_size_problems(5, 0, 2, STACK_POOL_KEYS)[0],
        ),
        ({"nodeCount": None}, pool_size_problems(None, None, None, STACK_POOL_KEYS)[0]),
        ({"provisioning": "reservation"}, reservation_problems("reservation", None, 1, STACK_POOL_KEYS)[0]),
        (
            {"provisioning": "spot", "reservation": "r1"},
            reservation_problems("spot", "r1", 1, STACK_POOL_KEYS)[0],
        ),
        ({"provisioning": "flex-start"}, reservation_problems("flex-start", None, None, STACK_POOL_KEYS)[0]),
    ],
    ids=["min-above-max", "count-outside", "no-size", "reservation-missing", "reservation-stray", "flex-fixed"],
)
def test_pool_size_and_reservation_are_the_node_pools_rules(pool: dict[str, Any], problem: str) -> None:
    config = make_valid_config()
    config["pools"][0].update({k: v for k, v in pool.items() if v is not None})
    if pool.get("nodeCount", 0) is None:
        config["pools"][0].pop("nodeCount", None)
    # (a ConfigIssue without a value shows no "= None")
    assert f"llmd:pools[0].{problem.replace(' = None: ', ': ', 1)}" in _errors(config)


def test_the_pool_rules_speak_the_argument_names_for_components() -> None:
    assert pool_size_problems(None, 3, 1) == [
        "min_nodes = 3: more than max_nodes = 1; allowed: 0 <= min_nodes <= max_nodes"
    ]
    assert pool_size_problems(None, 3, 1, STACK_POOL_KEYS) == [
        "autoscaling.minNodes = 3: more than autoscaling.maxNodes = 1; "
        "allowed: 0 <= autoscaling.minNodes <= autoscaling.maxNodes"
    ]
    assert ARG_KEYS.node_count == "node_count"
    # EKS Capacity Blocks need their reservation id too (config's rule, now the shared one).
    (problem,) = reservation_problems("capacity-block", None, 2, STACK_POOL_KEYS)
    assert problem == (
        "reservation: required when provisioning is 'capacity-block'; allowed: a Capacity Block reservation id (cr-...)"
    )


def test_names_have_one_rule_and_one_wording() -> None:
    config = make_valid_config()
    config["cluster"] = {"name": "Bad_Name"}
    assert "llmd:cluster.name = 'Bad_Name': " + dns_label_allowed() in _errors(config)
    message = _refusal(
        lambda: GkeNetwork(
            "Bad_Name",
            project="p",
            region="us-central1",
            subnet_cidr="10.0.0.0/20",
            pods_cidr="10.16.0.0/12",
            services_cidr="10.2.0.0/20",
            proxy_only_cidr="10.3.0.0/23",
        )
    )
    assert f"GkeNetwork: {dns_label_problem('name', 'Bad_Name')}" in message
    message = _refusal(lambda: LlmdPlatform("p", cluster=ExistingCluster("kind", context="kind"), namespace="LLM"))
    assert f"LlmdPlatform: {dns_label_problem('namespace', 'LLM')}" in message


def test_tp_must_divide_a_node_is_one_function() -> None:
    config = make_valid_config()
    config["models"][0].update(tensorParallelSize=3, replicas=1)
    shape = catalog.machine("gcp", "a3-highgpu-8g")
    problem = devices_divide_problem(3, 1, shape)
    assert problem is not None and "allowed: a divisor of 8" in problem
    assert f"llmd:models[0].tensorParallelSize = 3: {problem}" in _errors(config)


def test_the_gateway_rules_of_llmd_platform_are_the_stacks() -> None:
    config = make_valid_config()
    config["gateway"] = {"public": True}
    (stack,) = [e for e in _errors(config) if e.startswith("llmd:gateway.authentication")]
    message = _refusal(lambda: LlmdPlatform("p", cluster=ExistingCluster("kind", context="kind"), public=True))
    assert f"LlmdPlatform: {stack.removeprefix('llmd:gateway.')}" in message
    message = _refusal(
        lambda: LlmdPlatform("p", cluster=ExistingCluster("kind", context="kind"), tls_issuer="a", tls_secret_name="b")
    )
    assert "name one certificate source" in message


def test_llmd_inference_reports_the_stack_rule_under_tensor_parallel_size() -> None:
    def program() -> None:
        pool_cluster = ExistingCluster("kind", context="kind")
        platform = LlmdPlatform("p", cluster=pool_cluster)
        LlmdInference("m", platform=platform, model="random", tensor_parallel_size=0)

    assert "tensor_parallel_size = 0" in _refusal(program)
