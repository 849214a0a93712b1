"""Stack configuration checks: every bad config is reported with key, value and what is allowed, before anything
registers; good configs parse (camelCase or snake_case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from conftest import REPO, engine_config, make_valid_config

from pulumi_llmd.blueprints import ConfigError, ConfigIssue, StackConfig, WellLitPath, parse_stack_config
from pulumi_llmd.render.engine import run_program

Config = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A bad configuration: how to break the valid one, the key it must be reported under, and message fragments."""

    id: str
    breaks: Callable[[Config], None]
    key: str
    fragments: tuple[str, ...]


def _set_model(**fields: Any) -> Callable[[Config], None]:
    def breaks(config: Config) -> None:
        config["models"][0].update(fields)

    return breaks


def _set_pool(**fields: Any) -> Callable[[Config], None]:
    def breaks(config: Config) -> None:
        config["pools"][0].update(fields)

    return breaks


def _accelerator_only(config: Config) -> None:
    del config["pools"][0]["machineType"]
    config["pools"][0]["accelerator"] = "nvidia-l40s"


def _autoscaled_pool_too_small(config: Config) -> None:
    del config["pools"][0]["nodeCount"]
    config["pools"][0]["autoscaling"] = {"minNodes": 0, "maxNodes": 1}
    config["models"][0]["replicas"] = 8


def _second_model_same_prefix(config: Config) -> None:
    config["pools"][0]["nodeCount"] = 2
    config["models"].append({"name": "qwen3-8b", "huggingFaceId": "Qwen/Qwen3-8B", "replicas": 1})
    # Two models without prefixes default to body-based routing now; path routing keeps the one-prefix rule.
    config.setdefault("gateway", {})["modelRouting"] = "path"


def _duplicate_pools(config: Config) -> None:
    config["pools"].append(dict(config["pools"][0]))
    config["models"][0]["pool"] = "h100"


def _unknown_provisioning(config: Config) -> None:
    config["pools"][0]["provisioning"] = "preemptible"
    config["models"][0]["pool"] = "h100"


def _unknown_top_level_key(config: Config) -> None:
    config["gatewy"] = {"className": "gke-l7-rilb"}


CASES = [
    Case(
        "tp-16-exceeds-a3-highgpu-8g",
        _set_model(tensorParallelSize=16),
        "llmd:models[0].tensorParallelSize",
        ("= 16", "16 accelerators per replica does not fit one a3-highgpu-8g node", "allowed: TP x PP <= 8"),
    ),
    Case(
        "tp-3-does-not-divide-8",
        _set_model(tensorParallelSize=3, replicas=2),
        "llmd:models[0].tensorParallelSize",
        ("= 3", "does not divide the 8 accelerators", "allowed: a divisor of 8"),
    ),
    Case(
        "replicas-exceed-fixed-pool",
        _set_model(replicas=5),
        "llmd:pools[0].nodeCount",
        ("= 1", "need 10 x nvidia-h100-80gb", "hold at most 8", "allowed: at least 2 nodes"),
    ),
    Case(
        "replicas-exceed-autoscaled-pool",
        _autoscaled_pool_too_small,
        "llmd:pools[0].autoscaling.maxNodes",
        ("= 1", "need 16 x nvidia-h100-80gb", "allowed: at least 2 nodes"),
    ),
    Case(
        "aws-machine-type-on-gcp",
        _set_pool(machineType="p5.48xlarge"),
        "llmd:pools[0].machineType",
        ("'p5.48xlarge'", "unknown machine type", "on gcp", "known:", "a3-highgpu-8g", "g2-standard-24"),
    ),
    Case(
        "accelerator-not-on-gcp",
        _accelerator_only,
        "llmd:pools[0].accelerator",
        ("'nvidia-l40s'", "not offered on gcp", "gcp offers:", "nvidia-h100-80gb", "nvidia-l4"),
    ),
    Case(
        # A multi-host slice is served by one LeaderWorkerSet group spanning it: TP must cover the slice's chips.
        "tpu-multi-host-tp",
        _set_pool(machineType="ct6e-standard-4t", tpuTopology="4x4"),
        "llmd:models[0].tensorParallelSize",
        ("spans one multi-host TPU slice", "4 ct6e-standard-4t hosts x 4 chips", "allowed: TP x PP = 16"),
    ),
    Case(
        "tpu-topology-chip-count",
        _set_pool(machineType="ct6e-standard-8t", tpuTopology="2x2"),
        "llmd:pools[0].tpuTopology",
        ("'2x2'", "4 chips, not a topology of ct6e-standard-8t (8 chips per host)", "allowed on ct6e-standard-8t: 2x4"),
    ),
    Case(
        "zone-outside-region",
        lambda c: c["target"].update(zone="europe-west4-a"),
        "llmd:target.zone",
        ("'europe-west4-a'", "must be a zone of region us-central1"),
    ),
    Case(
        "typo-in-model-key",
        _set_model(tensorParalelSize=2),
        "llmd:models[0].tensorParalelSize",
        ("unknown key", "camelCase"),
    ),
    Case(
        "typo-in-top-level-key",
        _unknown_top_level_key,
        "llmd:gatewy",
        ("unknown key", "allowed:", "gateway", "models", "hfToken"),
    ),
    Case(
        "reservation-provisioning-without-reservation",
        _set_pool(provisioning="reservation"),
        "llmd:pools[0].reservation",
        ("required when provisioning is 'reservation'", "allowed: a reservation name"),
    ),
    Case(
        "reservation-name-with-spot",
        _set_pool(provisioning="spot", reservation="my-reservation"),
        "llmd:pools[0].reservation",
        ("'my-reservation'", "only allowed with provisioning 'reservation'", "'spot'"),
    ),
    Case(
        "flex-start-without-autoscaling",
        _set_pool(provisioning="flex-start"),
        "llmd:pools[0].autoscaling",
        ("flex-start", "allowed: autoscaling.minNodes = 0 and autoscaling.maxNodes = N"),
    ),
    Case(
        "unknown-provisioning",
        _unknown_provisioning,
        "llmd:pools[0].provisioning",
        ("'preemptible'", "'on-demand'", "'spot'", "'reservation'", "'flex-start'"),
    ),
    Case(
        "model-on-missing-pool",
        _set_model(pool="a100"),
        "llmd:models[0].pool",
        ("'a100'", "no such pool", "['h100']"),
    ),
    Case(
        "two-models-one-route-prefix",
        _second_model_same_prefix,
        "llmd:models[1].routePathPrefix",
        ("= '/'", "already routes to model 'qwen3-32b'", "its own prefix"),
    ),
    Case(
        "duplicate-pool-names",
        _duplicate_pools,
        "llmd:pools[1].name",
        ("'h100'", "duplicate name"),
    ),
    Case(
        "cpu-request-exceeds-node",
        _set_model(resources={"cpuRequest": "100", "cpuLimit": "100"}),
        "llmd:models[0].resources.cpuRequest",
        ("'100'", "4 pod(s) per a3-highgpu-8g node would request 400 CPUs", "the node has 208"),
    ),
    Case(
        "memory-limit-below-request",
        _set_model(resources={"memoryRequest": "96Gi", "memoryLimit": "64Gi"}),
        "llmd:models[0].resources.memoryLimit",
        ("'64Gi'", "must be >= memory request (96Gi)"),
    ),
    Case(
        "namespace-not-a-dns-label",
        lambda c: c.update(namespace="LLM_D"),
        "llmd:namespace",
        ("'LLM_D'", "lowercase DNS label"),
    ),
    Case(
        "model-name-not-a-dns-label",
        _set_model(name="Qwen3_32B"),
        "llmd:models[0].name",
        ("'Qwen3_32B'", "lowercase DNS label", "at most 40 characters"),
    ),
    Case(
        # Every named path is built now (workload-autoscaling was the last "not available in this release" one).
        "unknown-path",
        _set_model(path="workload-autoscalin"),
        "llmd:models[0].path",
        ("'workload-autoscalin'", "'optimized-baseline'", "'workload-autoscaling'"),
    ),
    Case(
        "managed-flag-in-extra-args",
        _set_model(extraArgs=["--tensor-parallel-size=4"]),
        "llmd:models[0].extraArgs",
        ("--tensor-parallel-size is set from the model's fields",),
    ),
]


def broken(case: Case) -> Config:
    config = make_valid_config()
    case.breaks(config)
    return config


def issue_for(error: ConfigError, key: str) -> ConfigIssue:
    found = [issue for issue in error.issues if issue.key == key]
    assert found, f"no issue for {key}; issues: {[str(i) for i in error.issues]}"
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_is_reported_with_key_value_and_what_is_allowed(case: Case) -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(broken(case))
    text = str(issue_for(info.value, case.key))
    assert text.startswith(case.key)
    for fragment in case.fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert text in str(info.value)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_registers_nothing(case: Case) -> None:
    run = run_program(REPO / "__main__.py", project="llmd", stack="bad", config=engine_config(broken(case)))
    assert run.resources == []
    assert isinstance(run.error, pulumi.RunError), repr(run.error)
    assert case.key in str(run.error)
    assert "invalid stack configuration" in str(run.error)


def test_several_problems_are_reported_together() -> None:
    config = make_valid_config()
    config["models"][0]["tensorParalelSize"] = 2
    config["target"]["zone"] = "europe-west4-a"
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    keys = sorted(issue.key for issue in info.value.issues)
    assert keys == ["llmd:models[0].tensorParalelSize", "llmd:target.zone"]
    assert "(2 problem(s))" in str(info.value)

    run = run_program(REPO / "__main__.py", project="llmd", stack="bad", config=engine_config(config))
    assert run.resources == []
    assert isinstance(run.error, pulumi.RunError)
    for key in keys:
        assert key in str(run.error)


def test_a_field_error_in_one_model_does_not_hide_a_catalog_error_in_another() -> None:
    config = make_valid_config()
    config["pools"][0]["nodeCount"] = 2
    config["models"].insert(0, {"name": "Bad_Name", "huggingFaceId": "Qwen/Qwen3-8B", "routePathPrefix": "/a"})
    config["models"][1]["tensorParallelSize"] = 16
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    keys = {issue.key for issue in info.value.issues}
    assert {"llmd:models[0].name", "llmd:models[1].tensorParallelSize"} <= keys


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError) as info:
        valid = make_valid_config()
        parse_stack_config({"target": valid["target"], "cluster": valid["cluster"]})
    assert {(i.key, i.message) for i in info.value.issues} == {("llmd:models", "is required")}


def test_a_gpu_model_without_any_pool_is_named() -> None:
    config = make_valid_config()
    del config["pools"]
    config["models"][0].pop("pool", None)
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    (issue,) = info.value.issues
    assert issue.key == "llmd:models[0].pool"
    assert "needs an accelerator pool" in issue.message


@pytest.mark.parametrize(
    ("field", "value"), [("name", "H100"), ("provisioning", "preemptible"), ("nodeCount", -1)], ids=str
)
def test_an_invalid_only_pool_with_a_model_without_pool_is_a_config_error(field: str, value: Any) -> None:
    config = make_valid_config()
    config["pools"][0][field] = value
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    assert f"llmd:pools[0].{field}" in {issue.key for issue in info.value.issues}


# --- good configs -------------------------------------------------------------------------------------------------


def test_the_valid_config_parses_with_defaults() -> None:
    config = parse_stack_config(make_valid_config())
    assert isinstance(config, StackConfig)
    (model,) = config.models
    assert (model.name, model.hugging_face_id, model.tensor_parallel_size, model.replicas) == (
        "qwen3-32b",
        "Qwen/Qwen3-32B",
        2,
        4,
    )
    assert model.path is WellLitPath.OPTIMIZED_BASELINE
    assert model.gpus_per_replica == 2
    assert config.pool_of(model).name == "h100"
    assert config.shape_of(config.pools[0]).accelerator_count == 8
    assert config.namespace == "llm-d"
    assert config.cluster.name == "llm-d"
    assert config.cluster.release_channel == "REGULAR"
    assert config.gateway.class_name is None
    assert config.gateway_class == "gke-l7-rilb"  # the default on GKE: internal (issue 12; public: true for external)


def test_snake_case_keys_are_accepted() -> None:
    camel = parse_stack_config(make_valid_config())
    snake = parse_stack_config(
        {
            "target": {"cloud": "gcp", "project": "my-gcp-project", "region": "us-central1", "zone": "us-central1-a"},
            "cluster": {"control_plane": {"authorized_cidrs": ["203.0.113.0/24"]}},
            "pools": [{"name": "h100", "machine_type": "a3-highgpu-8g", "node_count": 1}],
            "models": [
                {
                    "name": "qwen3-32b",
                    "hugging_face_id": "Qwen/Qwen3-32B",
                    "tensor_parallel_size": 2,
                    "replicas": 4,
                }
            ],
        }
    )
    assert snake == camel


def test_a_pool_may_be_given_by_accelerator() -> None:
    config = make_valid_config()
    config["pools"][0] = {"name": "h100", "accelerator": "nvidia-h100-80gb", "nodeCount": 1}
    parsed = parse_stack_config(config)
    assert parsed.shape_of(parsed.pools[0]).machine_type == "a3-highgpu-8g"


def test_the_hf_token_key_is_allowed_but_not_part_of_the_config() -> None:
    config = make_valid_config()
    config["hfToken"] = "hf_xxx"
    parsed = parse_stack_config(config)
    assert "hf_xxx" not in repr(parsed)
