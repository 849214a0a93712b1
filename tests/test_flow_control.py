"""The flow-control path as a user sees it: the picker queues with the guide's settings, the InferenceObjectives carry
the configured priorities after the llm-d.ai CRD, and bad objectives are config errors."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.paths.flow_control import model_objectives
from pulumi_llmd.components.serving.picker_configs import flow_control_picker_config
from pulumi_llmd.render.render import RenderResult

STACK = "gke-h100-flow-control"
Rendered = Callable[[str], RenderResult]


def _stack_config() -> dict[str, Any]:
    """The reference stack's ``llmd:`` keys, unqualified (what :func:`parse_stack_config` reads)."""
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _picker_config(result: RenderResult, model: str = "qwen3-32b") -> dict[str, Any]:
    (cm,) = [m for m in result.manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == f"{model}-epp"]
    document: dict[str, Any] = yaml.safe_load(cm["data"]["plugins.yaml"])
    return document


def _objectives(result: RenderResult) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == "InferenceObjective"}


def _refused(config: dict[str, Any], key: str, *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


def test_reference_stack_renders_clean(rendered: Rendered) -> None:
    result = rendered(STACK)
    assert result.ok, result


def test_picker_runs_the_guides_flow_control_config(rendered: Rendered) -> None:
    """llm-d guides/flow-control/router/flow-control.values.yaml, key by key."""
    config = _picker_config(rendered(STACK))
    assert config["apiVersion"] == "llm-d.ai/v1alpha1"
    assert config["featureGates"] == ["flowControl"]
    plugins = {p["type"]: p for p in config["plugins"]}
    assert set(plugins) == {
        "queue-scorer",
        "kv-cache-utilization-scorer",
        "prefix-cache-scorer",
        "round-robin-fairness-policy",
        "fcfs-ordering-policy",
        "concurrency-detector",
    }
    assert plugins["concurrency-detector"]["parameters"] == {
        "maxConcurrency": 132,
        "concurrencyMode": "requests",
        "headroom": 0.0,
    }
    (profile,) = config["schedulingProfiles"]
    assert {p["pluginRef"]: p["weight"] for p in profile["plugins"]} == {
        "queue-scorer": 2,
        "kv-cache-utilization-scorer": 2,
        "prefix-cache-scorer": 3,
    }
    flow = config["flowControl"]
    assert (flow["maxBytes"], flow["maxRequests"], flow["defaultRequestTTL"]) == ("10Gi", "1k", "60s")
    assert flow["saturationDetector"] == {"pluginRef": "concurrency-detector"}
    assert [(b["priority"], b["maxRequests"]) for b in flow["priorityBands"]] == [(100, "500"), (0, "200"), (-10, "50")]
    for band in flow["priorityBands"]:
        assert band["fairnessPolicyRef"] == "round-robin-fairness-policy"
        assert band["orderingPolicyRef"] == "fcfs-ordering-policy"


def test_inference_objectives_carry_priorities_after_the_crd(rendered: Rendered) -> None:
    result = rendered(STACK)
    objectives = _objectives(result)
    assert {n: o["spec"]["priority"] for n, o in objectives.items()} == {
        "premium-traffic": 100,
        "standard-traffic": 0,
        "best-effort-traffic": -10,
    }
    for objective in objectives.values():
        assert objective["apiVersion"] == "llm-d.ai/v1alpha2"
        assert objective["spec"]["poolRef"] == {"name": "qwen3-32b"}
        assert objective["metadata"]["namespace"] == "llm-d-flow-control"
        assert objective["metadata"]["labels"]["llm-d.ai/guide"] == "flow-control"
    crds = [m["metadata"]["name"] for m in result.manifests if m["kind"] == "CustomResourceDefinition"]
    assert "inferenceobjectives.llm-d.ai" in crds


def test_custom_objectives_make_the_bands() -> None:
    config = yaml.safe_load(flow_control_picker_config([5, 50, 5, -1]))
    bands = config["flowControl"]["priorityBands"]
    assert [b["priority"] for b in bands] == [50, 5, -1]
    assert all("maxRequests" not in b for b in bands)  # the EPP's default band capacity outside the guide's tiers


def test_objectives_default_to_the_guides() -> None:
    config = _stack_config()
    del config["models"][0]["objectives"]
    parsed = parse_stack_config(config)
    assert [(o.name, o.priority) for o in model_objectives(parsed.models[0])] == [
        ("premium-traffic", 100),
        ("standard-traffic", 0),
        ("best-effort-traffic", -10),
    ]


@pytest.mark.parametrize(
    ("objectives", "key", "fragments"),
    [
        ([{"name": "Premium", "priority": 1}], "objectives[0].name", ("Premium", "lowercase DNS label")),
        (
            [{"name": "gold", "priority": 1}, {"name": "gold", "priority": 2}],
            "objectives[1].name",
            ("gold", "already the name of objectives[0]"),
        ),
        ([{"name": "gold", "priority": 2**31}], "objectives[0].priority", ("2147483648", "-2147483648 to 2147483647")),
        ([], "objectives", ("at least one",)),
    ],
)
def test_bad_objectives_are_config_errors(objectives: list[Any], key: str, fragments: tuple[str, ...]) -> None:
    config = _stack_config()
    config["models"][0]["objectives"] = objectives
    _refused(config, f"llmd:models[0].{key}", *fragments)


@pytest.mark.parametrize("priority", ["high", 1.5, True])
def test_priority_must_be_an_integer(priority: object) -> None:
    config = _stack_config()
    config["models"][0]["objectives"] = [{"name": "gold", "priority": priority}]
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any(i.key.startswith("llmd:models[0].objectives[0].priority") for i in caught.value.issues), caught.value


def test_objectives_only_on_flow_control() -> None:
    config = copy.deepcopy(_stack_config())
    config["models"][0]["path"] = "optimized-baseline"
    _refused(config, "llmd:models[0].objectives", "applies to path 'flow-control' only")
