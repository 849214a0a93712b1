"""Platform-team programs written against the README's API (tests/programs/), run as a user would: under the mock
engine, through both policy packs and the first-deploy twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_llmd.render.engine import run_program
from pulumi_llmd.render.render import RenderResult, build_result

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.fixture(scope="module")
def existing_two_pools() -> RenderResult:
    run = run_program(PROGRAMS / "existing_two_pools.py", project="llmd", stack="programs", config={})
    assert run.error is None, repr(run.error)
    return build_result("programs", run.resources)


def test_two_models_on_two_untainted_pools_of_an_existing_cluster_deploy(existing_two_pools: RenderResult) -> None:
    """The pickers (no accelerators) may land on the untainted GPU nodes, but they pack beside the model servers or
    on the cluster's other nodes: the twin must not make each of them take a whole GPU node."""
    result = existing_two_pools
    assert result.schema_issues == []
    assert result.policy is not None and result.policy.mandatory == [], "\n".join(result.policy.lines())
    assert result.twin is not None and result.twin.ok, "\n".join(result.twin.lines())
    routes = [m for m in result.manifests if m["kind"] == "HTTPRoute" and "matches" in m["spec"]["rules"][0]]
    prefixes = sorted(r["spec"]["rules"][0]["matches"][0]["path"]["value"] for r in routes)
    assert prefixes == ["/qwen3-32b", "/qwen3-8b"]
    gateways = {(p["name"], p["sectionName"]) for r in routes for p in r["spec"]["parentRefs"]}
    assert gateways == {("llm-d-inference-gateway", "https")}, "one HTTPS listener for both models"
