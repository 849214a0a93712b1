"""The system pool as a user sees it: ``llmd:cluster.systemPool.machineType`` is honoured on GKE and EKS with a
per-cloud default, validated against the catalog, refused on existing clusters; and every endpoint picker pod (with
the sidecars its path adds) and tokenizer render pod must fit one system node, checked in config validation (exit 2
before anything is registered) instead of failing in the first-deploy twin."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from typer.testing import CliRunner

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.cli import app
from pulumi_llmd.components import catalog

runner = CliRunner()
MACHINE_KEY = "llmd:cluster.systemPool.machineType"


def _stack(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return data


def _eks_predicted_latency(machine_type: str | None = None) -> dict[str, Any]:
    """The new-user case: the EKS optimized-baseline reference stack moved to predicted-latency-routing with SLO-aware
    routing and two prediction servers (22 CPU of picker pod)."""
    data = _stack("eks-p5-optimized-baseline")
    model = data["config"]["llmd:models"][0]
    model["path"] = "predicted-latency-routing"
    model["latencyPredictor"] = {"sloAware": True, "predictionServers": 2}
    if machine_type is not None:
        data["config"]["llmd:cluster"]["systemPool"] = {"machineType": machine_type}
    return data


def _llmd(data: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix("llmd:"): v for k, v in data["config"].items() if k.startswith("llmd:")}


def _render(tmp_path: Path, data: dict[str, Any], name: str = "sys") -> tuple[int, str, Path]:
    stack = tmp_path / f"Pulumi.{name}.yaml"
    stack.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(stack), "--out", str(out), "--project-dir", str(REPO), "-q"])
    return result.exit_code, result.output, out


def _issues(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    return [str(i) for i in caught.value.issues]


def _system_instance_types(out: Path) -> list[str]:
    resources = json.loads((out / "resources.json").read_text())
    resources = resources if isinstance(resources, list) else resources["resources"]
    return [
        t
        for r in resources
        if r["type"] == "aws:eks/nodeGroup:NodeGroup" and r["name"].endswith("-system")
        for t in r["inputs"]["instanceTypes"]
    ]


def test_eks_picker_pod_larger_than_a_system_node_is_a_config_error(tmp_path: Path) -> None:
    code, output, out = _render(tmp_path, _eks_predicted_latency())
    assert code == 2, output
    assert "invalid stack configuration" in output
    assert "llmd:models[0].latencyPredictor.predictionServers = 2: the endpoint picker pod" in output
    assert "requests 22 CPU" in output
    assert "more than one m6i.2xlarge system node allocates (7.91 CPU" in output
    assert f"allowed: {MACHINE_KEY} with at least 22 CPU" in output
    assert "(e.g. m6i.8xlarge)" in output
    assert "fewer prediction servers" in output
    assert not out.exists()


def test_eks_larger_system_machine_renders_clean_and_reaches_the_node_group(tmp_path: Path) -> None:
    code, output, out = _render(tmp_path, _eks_predicted_latency("m6i.8xlarge"))
    assert code == 0, output
    results = json.loads((out / "render.json").read_text())["results"]
    assert results["twinFailures"] == 0 and results["mandatoryViolations"] == 0, results
    assert _system_instance_types(out) == ["m6i.8xlarge"]
    system_cost = [p for p in results["cost"]["pools"] if p["name"] == "system"]
    assert system_cost and system_cost[0]["machineType"] == "m6i.8xlarge"


def test_eks_system_machine_type_default_is_m6i_2xlarge(rendered: Any) -> None:
    resources = rendered("eks-p5-optimized-baseline").resources
    types = [r["inputs"]["instanceTypes"] for r in resources if r["type"] == "aws:eks/nodeGroup:NodeGroup"]
    assert ["m6i.2xlarge"] in types


@pytest.mark.parametrize(
    ("stack", "machine_type", "listed"),
    [
        ("eks-p5-optimized-baseline", "e2-standard-8", "m6i.2xlarge"),
        ("eks-p5-optimized-baseline", "m6i.3xlarge", "m6i.4xlarge"),
        ("gke-h100-optimized-baseline", "m6i.2xlarge", "e2-standard-8"),
    ],
)
def test_unknown_system_machine_type_names_key_value_and_known_types(
    stack: str, machine_type: str, listed: str
) -> None:
    config = _llmd(_stack(stack))
    config.setdefault("cluster", {})["systemPool"] = {"machineType": machine_type}
    issues = [i for i in _issues(config) if i.startswith(MACHINE_KEY)]
    assert issues, config
    assert f"{MACHINE_KEY} = {machine_type!r}: unknown system machine type" in issues[0]
    assert listed in issues[0]


def test_system_machine_type_is_refused_on_an_existing_cluster() -> None:
    config = _llmd(_stack("existing-mi300x-optimized-baseline"))
    config.setdefault("cluster", {})["systemPool"] = {"machineType": "e2-standard-8"}
    issues = [i for i in _issues(config) if i.startswith(MACHINE_KEY)]
    assert issues and "applies to a cluster the stack creates" in issues[0]


def test_gke_predicted_latency_needs_its_larger_system_machine() -> None:
    config = _llmd(_stack("gke-h100-predicted-latency"))
    parse_stack_config(copy.deepcopy(config))  # e2-standard-16 holds the 14 CPU picker pod
    del config["cluster"]["systemPool"]
    issues = [i for i in _issues(config) if "endpoint picker pod" in i]
    assert issues and "llmd:models[0].latencyPredictor.predictionServers = 1" in issues[0]
    assert "requests 14 CPU" in issues[0] and "e2-standard-8" in issues[0] and "(e.g. e2-standard-16)" in issues[0]


def test_too_small_system_machine_blames_the_machine_type() -> None:
    config = _llmd(_stack("gke-h100-optimized-baseline"))
    config.setdefault("cluster", {})["systemPool"] = {"machineType": "e2-standard-2"}
    issues = [i for i in _issues(config) if "endpoint picker pod" in i]
    assert issues and issues[0].startswith(f"{MACHINE_KEY} = 'e2-standard-2': the endpoint picker pod")
    assert "requests 4 CPU" in issues[0]


def test_oversized_router_resources_blame_router_resources() -> None:
    config = _llmd(_stack("eks-p5-optimized-baseline"))
    config["models"][0]["router"]["resources"] = {"cpuRequest": "12", "memoryRequest": "16Gi"}
    issues = [i for i in _issues(config) if "endpoint picker pod" in i]
    assert issues and issues[0].startswith("llmd:models[0].router.resources.cpuRequest = '12': the endpoint picker")
    assert "requests 12 CPU" in issues[0]


def test_tokenizer_render_pods_must_fit_a_system_node() -> None:
    config = _llmd(_stack("gke-h100-precise-prefix-cache-routing"))
    parse_stack_config(copy.deepcopy(config))
    config.setdefault("cluster", {})["systemPool"] = {"machineType": "e2-highcpu-2"}
    issues = _issues(config)
    assert any(i.startswith(f"{MACHINE_KEY} = 'e2-highcpu-2': the tokenizer render pod") for i in issues), issues


def test_defaults_agree_with_the_components() -> None:
    from pulumi_llmd.components.aws.cluster import DEFAULT_SYSTEM_INSTANCE_TYPE
    from pulumi_llmd.components.gcp.cluster import DEFAULT_SYSTEM_MACHINE_TYPE

    assert catalog.DEFAULT_SYSTEM_MACHINE_TYPES[catalog.Cloud.AWS] == DEFAULT_SYSTEM_INSTANCE_TYPE
    assert catalog.DEFAULT_SYSTEM_MACHINE_TYPES[catalog.Cloud.GCP] == DEFAULT_SYSTEM_MACHINE_TYPE
    for cloud, machine_type in catalog.DEFAULT_SYSTEM_MACHINE_TYPES.items():
        assert catalog.system_machine(cloud, machine_type).vcpus == 8


def test_rule_and_twin_size_a_system_node_alike() -> None:
    """One allocatable math: the twin's system node is the catalog's SystemMachine.allocatable for every type."""
    from pulumi_llmd.twin.pools import _allocatable

    for (cloud, name), machine in catalog.SYSTEM_MACHINES.items():
        twin = _allocatable(cloud, None, name, disk_gib=100, on_local_ssd=False, extended={})
        node = machine.allocatable()
        assert (twin["cpu"], twin["memory"]) == (node.cpu_millicores, node.memory_mib), name
