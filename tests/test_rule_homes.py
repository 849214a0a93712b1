"""One rule, one home: config validation calls the targets' and the paths' rules through their registries, and the
components' rule functions, so a stack file and a component argument get the same message."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_llmd.blueprints import ConfigError, WellLitPath, parse_stack_config
from pulumi_llmd.blueprints.paths import PATH_MODULES, path_rules
from pulumi_llmd.blueprints.targets import AWS_INTERNAL_LB, TARGET_MODULES, target_class
from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import Platform
from pulumi_llmd.components.gcp.network import network_range_problems, zone_in_region_problem
from pulumi_llmd.components.gcp.node_pool import provisioning_problem
from pulumi_llmd.components.serving.model_server import devices_fit_problem
from pulumi_llmd.components.serving.router import scorer_weights_problem
from tests.conftest import make_valid_config


def _errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    return [str(issue) for issue in caught.value.issues]


def test_every_target_and_path_has_its_rules() -> None:
    for cloud in TARGET_MODULES:
        assert target_class(cloud).cloud == cloud
    assert target_class(Platform.EKS) is target_class("aws")
    for path in WellLitPath:
        rules = path_rules(path)
        assert (rules.placement is None) == (path is WellLitPath.SIMULATED_ACCELERATORS), path
    assert set(PATH_MODULES) <= {p.value for p in WellLitPath}


def test_zone_message_is_the_components() -> None:
    config = make_valid_config()
    config["target"]["zone"] = "europe-west4-a"
    expected = zone_in_region_problem("llmd:target.zone", "europe-west4-a", "us-central1")
    assert expected in _errors(config)


def test_overlapping_network_ranges_are_a_config_error() -> None:
    """Intended fix: config did not check that cluster.network's ranges are disjoint (GkeNetwork refused them after
    registering); now the component's rule runs in config validation."""
    config = make_valid_config()
    config["cluster"] = {**config.get("cluster", {}), "network": {"podsCidr": "10.0.0.0/8"}}
    key = "llmd:cluster.network"
    expected = network_range_problems(
        {f"{key}.subnetCidr": "10.0.0.0/20", f"{key}.podsCidr": "10.0.0.0/8", f"{key}.servicesCidr": "10.2.0.0/20"}
    )
    errors = _errors(config)
    assert expected[0] in errors
    assert any(e.startswith(f"{key}.servicesCidr = '10.2.0.0/20': overlaps {key}.podsCidr") for e in errors)


def test_provisioning_message_is_the_node_pools() -> None:
    config = make_valid_config()
    config["pools"][0].update(machineType="a3-ultragpu-8g", provisioning="on-demand")
    shape = catalog.machine(catalog.Cloud.GCP, "a3-ultragpu-8g")
    expected = provisioning_problem("llmd:pools[0].provisioning", "on-demand", shape)
    assert expected is not None and "reservation: <name>" in expected
    assert expected in _errors(config)


def test_tp_fit_message_is_the_model_servers() -> None:
    config = make_valid_config()
    config["models"][0].update(tensorParallelSize=16)
    shape = catalog.machine(catalog.Cloud.GCP, "a3-highgpu-8g")
    expected = f"llmd:models[0].tensorParallelSize = 16: {devices_fit_problem(16, 1, shape)}"
    assert expected in _errors(config)


@pytest.mark.parametrize("weights", [{}, {"queue-scorr": 2}])
def test_scorer_weights_message_is_the_pickers(weights: dict[str, int]) -> None:
    config = make_valid_config()
    config["models"][0]["router"] = {"scorerWeights": weights}
    problem = scorer_weights_problem(weights)
    assert problem is not None
    assert any(e.endswith(problem) and "scorerWeights" in e for e in _errors(config))


@pytest.mark.parametrize("prefix", ["/", "/qwen3/", "/a/b/"])
def test_root_and_trailing_slash_route_prefixes_are_accepted(prefix: str) -> None:
    """Intended fix: config's own check rejected an explicit ``routePathPrefix: /`` and trailing slashes (it tested
    ``value + "/"``); the HTTPRoute's rule (``path_prefix_problem``) accepts them, as the Gateway API does."""
    config = make_valid_config()
    config["models"][0]["routePathPrefix"] = prefix
    assert parse_stack_config(config).models[0].route_path_prefix == prefix


def test_load_balancer_annotations_come_from_the_target() -> None:
    config = parse_stack_config(make_valid_config())
    assert target_class("aws").load_balancer_annotations(config) == ({}, AWS_INTERNAL_LB)
    assert target_class("gcp").load_balancer_annotations(config) == ({}, {})
