"""The README's "own program" example: it runs under the mock engine, and the README shows it verbatim."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from conftest import REPO
from mock_program import of_type

from pulumi_llmd.render.engine import ProgramRun, run_program
from pulumi_llmd.render.render import RenderResult, build_result

EXAMPLE = REPO / "examples" / "own_program.py"


@pytest.fixture(scope="module")
def example_run() -> ProgramRun:
    return run_program(EXAMPLE, project="llmd", stack="example", config={})


@pytest.fixture(scope="module")
def example_render(example_run: ProgramRun) -> RenderResult:
    return build_result("example", example_run.resources)


def test_example_runs_without_error(example_run: ProgramRun) -> None:
    assert example_run.error is None, repr(example_run.error)
    assert len(example_run.resources) > 20


def test_example_builds_a_spot_l4_pool(example_run: ProgramRun) -> None:
    pools = [
        r.inputs
        for r in of_type(example_run, "gcp:container/nodePool:NodePool")
        if r.inputs["nodeConfig"]["machineType"] == "g2-standard-24"
    ]
    assert len(pools) == 1
    node = pools[0]["nodeConfig"]
    assert node["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert node["guestAccelerators"][0]["count"] == 2
    assert node["spot"] is True
    assert pools[0]["autoscaling"]["maxNodeCount"] == 4


def test_example_serves_qwen3_8b_on_two_gpus_one_pod_per_node(example_render: RenderResult) -> None:
    deployments = [m for m in example_render.manifests if m["kind"] == "Deployment"]
    decode = next(d for d in deployments if d["metadata"]["name"] == "qwen3-8b-decode")
    assert decode["metadata"]["namespace"] == "llm-d"
    (container,) = decode["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert container["resources"]["requests"]["nvidia.com/gpu"] == 2
    assert "Qwen/Qwen3-8B" in container["args"]
    assert "--tensor-parallel-size=2" in container["args"]
    assert decode["spec"]["template"]["spec"]["nodeSelector"]["cloud.google.com/gke-nodepool"] == "l4"
    # TP 2 on a 2 x L4 g2-standard-24 is one pod per node: the HPA grows to the pool's 4 nodes.
    (hpa,) = [m for m in example_render.manifests if m["kind"] == "HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "qwen3-8b-decode"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 4)


def test_example_has_an_inference_pool_ha_pickers_and_a_route_on_the_https_gateway(
    example_render: RenderResult,
) -> None:
    (pool,) = [m for m in example_render.manifests if m["kind"] == "InferencePool"]
    assert pool["metadata"] == {"name": "qwen3-8b", "namespace": "llm-d"}
    assert pool["spec"]["endpointPickerRef"]["name"] == "qwen3-8b-epp"
    decode = next(m for m in example_render.manifests if m["metadata"]["name"] == "qwen3-8b-decode")
    pod_labels: dict[str, Any] = decode["spec"]["template"]["metadata"]["labels"]
    assert pool["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    picker = next(
        m for m in example_render.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "qwen3-8b-epp"
    )
    assert picker["spec"]["replicas"] == 2
    (gateway,) = [m for m in example_render.manifests if m["kind"] == "Gateway"]
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-rilb"  # internal
    assert {listener["protocol"] for listener in gateway["spec"]["listeners"]} == {"HTTPS", "HTTP"}
    route = next(
        m for m in example_render.manifests if m["kind"] == "HTTPRoute" and m["metadata"]["name"] == "qwen3-8b"
    )
    assert route["spec"]["parentRefs"][0]["name"] == gateway["metadata"]["name"]
    assert route["spec"]["parentRefs"][0]["sectionName"] == "https"


def test_example_passes_both_policy_packs_and_the_first_deploy_twin(example_render: RenderResult) -> None:
    assert example_render.policy is not None and example_render.twin is not None
    assert example_render.policy.mandatory == [], "\n".join(example_render.policy.lines())
    assert example_render.twin.ok, "\n".join(example_render.twin.lines())


def test_example_manifests_are_schema_valid(example_render: RenderResult) -> None:
    assert example_render.manifests
    assert example_render.schema_issues == [], "\n".join(map(str, example_render.schema_issues))


def test_readme_shows_the_example_verbatim() -> None:
    source = EXAMPLE.read_text()
    module = ast.parse(source)
    docstring = module.body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert docstring.end_lineno is not None
    code = "\n".join(source.splitlines()[docstring.end_lineno :]).strip()
    assert code.startswith("import pulumi")
    readme = (REPO / "README.md").read_text()
    assert f"```python\n{code}\n```" in readme
