"""Default model-server resources are capped at the pod's share of its node, so a natural stack on a small GPU
machine is valid without spelling out resources; explicit resources are kept."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_llmd.blueprints import ConfigError, parse_stack_config


def _config(pool: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": {"cloud": "gcp", "project": "my-gcp-project", "region": "us-central1", "zone": "us-central1-a"},
        "cluster": {"controlPlane": {"authorizedCidrs": ["203.0.113.0/24"]}},
        "pools": [{"name": "p", "autoscaling": {"minNodes": 1, "maxNodes": 2}, **pool}],
        "models": [{"name": "m", "pool": "p", "router": {"replicas": 2}, **model}],
    }


def test_two_tp1_pods_on_a_two_l4_node_get_half_the_node_each() -> None:
    config = parse_stack_config(
        _config(
            {"machineType": "g2-standard-24", "provisioning": "spot"},
            {"huggingFaceId": "Qwen/Qwen3-8B", "replicas": 2, "tensorParallelSize": 1},
        )
    )
    resources = config.models[0].resources
    # g2-standard-24: 24 vCPU, 96 GiB, 2 x L4; half of it, 80 % as the request, 90 % as the limit.
    assert (resources.cpu_request, resources.memory_request, resources.memory_limit) == ("8", "38Gi", "43Gi")


def test_the_flagship_shape_keeps_the_guides_defaults() -> None:
    config = parse_stack_config(
        _config(
            {"machineType": "a3-highgpu-8g"},
            {"huggingFaceId": "Qwen/Qwen3-32B", "replicas": 4, "tensorParallelSize": 2},
        )
    )
    resources = config.models[0].resources
    assert (resources.cpu_request, resources.memory_request, resources.shm_size) == ("8", "96Gi", "20Gi")


def test_explicit_resources_are_kept_and_checked_against_the_node() -> None:
    with pytest.raises(ConfigError, match=r"memoryRequest = '96Gi'.*the node has 96 GiB"):
        parse_stack_config(
            _config(
                {"machineType": "g2-standard-24", "provisioning": "spot"},
                {
                    "huggingFaceId": "Qwen/Qwen3-8B",
                    "replicas": 2,
                    "tensorParallelSize": 1,
                    "resources": {"memoryRequest": "96Gi", "memoryLimit": "96Gi"},
                },
            )
        )
