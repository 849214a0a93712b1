"""Under :class:`LlmdPlatform` nothing sits at the stack root except what the program built itself: the platform's
add-ons (CRDs, the gateway implementation, cert-manager, Prometheus, the metrics adapter, device plugins) and the
endpoint's certificates are descendants of the LlmdPlatform (``parent`` through ``Target.platform``,
``prepare_endpoint``), every model's objects of its LlmdInference. A stack (no parent) is unchanged: the goldens."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO
from mock_program import run

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components.cluster import ExistingCluster
from pulumi_llmd.render.engine import ProgramRun, RegisteredResource, run_program

#: What the programs below build themselves (and their children): the only roots besides the two components.
USER_ROOTS = {
    "llmd:gcp:ProjectServices",
    "llmd:gcp:Network",
    "llmd:gcp:GkeCluster",
    "llmd:gcp:GpuNodePool",
    "llmd:aws:Vpc",
    "llmd:aws:EksCluster",
    "llmd:aws:GpuNodeGroup",
    "llmd:cluster:ExistingCluster",
}
COMPONENTS = {"llmd:blueprints:LlmdPlatform", "llmd:blueprints:LlmdInference"}


def _roots(result: ProgramRun) -> dict[str, list[str]]:
    """Type of each top-level resource (a child of the stack) -> the resources below it."""
    by_urn = {r.urn: r for r in result.resources}
    roots: dict[str, list[str]] = {}
    for resource in result.resources:
        if resource.type.startswith(("pulumi:providers:", "pulumi:pulumi:Stack")):
            continue
        top: RegisteredResource = resource
        while top.parent in by_urn and by_urn[top.parent].type != "pulumi:pulumi:Stack":
            top = by_urn[top.parent]
        roots.setdefault(top.type, []).append(f"{resource.type}::{resource.name}")
    return roots


def _assert_owned(result: ProgramRun) -> dict[str, list[str]]:
    assert result.error is None, repr(result.error)
    roots = _roots(result)
    stray = {t: names for t, names in roots.items() if t not in USER_ROOTS | COMPONENTS}
    assert not stray, stray
    return roots


def test_the_gke_example_registers_everything_under_its_components() -> None:
    result = run_program(REPO / "examples" / "own_program.py", project="llmd", stack="example", config={})
    roots = _assert_owned(result)
    platform = roots["llmd:blueprints:LlmdPlatform"]
    # The target's add-ons and the endpoint's objects are the platform's.
    assert any(n.startswith("llmd:gcp:CustomMetricsAdapter::") for n in platform), platform
    assert any("CertManager" in n for n in platform), platform
    assert any("qwen3-8b" in n for n in roots["llmd:blueprints:LlmdInference"])


def _eks() -> None:
    runpy.run_path(str(Path(__file__).resolve().parent / "programs" / "eks_g6e.py"))


def _existing() -> None:
    platform = LlmdPlatform("sim", cluster=ExistingCluster("kind", context="kind-llm-d"))
    LlmdInference("random", platform=platform, model="random")


@pytest.mark.parametrize("program", [_eks, _existing], ids=["eks", "existing"])
def test_self_managed_platforms_register_everything_under_their_components(program: Callable[[], None]) -> None:
    roots = _assert_owned(run(program))
    platform = " ".join(roots["llmd:blueprints:LlmdPlatform"])
    for add_on in ("GatewayApiCrds", "Istio", "CertManager", "PrometheusStack"):
        assert add_on in platform, add_on
    if program is _eks:
        assert "NvidiaDevicePlugin" in platform and "DcgmExporter" in platform
