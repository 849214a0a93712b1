"""AI-conformance checklist v1.37: carried unchanged, the default, and its new ``workload_sandboxing`` policy.

``workload_sandboxing`` (KAR-0020, SHOULD) is advisory: a graph without a sandbox gets an advisory finding, never a
mandatory one, and a graph with a sandboxed RuntimeClass (or a GKE Sandbox node pool) meets it.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from policy_fixtures import DIGEST, NS, SERVER_LABELS, cloud, deployment, good_stack, gpu_pool, k8s, server_container
from pulumi_policy import EnforcementLevel
from typer.testing import CliRunner

from pulumi_llmd import cli, conformance
from pulumi_llmd.policies import requirements
from pulumi_llmd.policies.check import run_checks
from pulumi_llmd.policies.conformance import assess_workload_sandboxing, is_sandbox_runtime
from pulumi_llmd.policies.crossguard import conformance_policies, pack_config
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.model import Enforcement, Resource, Status
from pulumi_llmd.render.render import RenderResult

#: sha256 of docs/AIConformance-1.37.yaml at cncf/k8s-ai-conformance 287b44f0 (8,918 bytes, no trailing newline).
CHECKLIST_137_SHA256 = "8d56838e47e17e4ba6a5e013f16f6711a6f4180b8545cd908199231f43fa8f96"

runner = CliRunner()


def _sandboxing(stack: list[Resource]) -> Any:
    return assess_workload_sandboxing(Graph(stack))


def _runtime_class(name: str, handler: str) -> Resource:
    return k8s({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": name}, "handler": handler})


def _sandboxed_agent(runtime_class: str) -> Resource:
    """An agent Deployment (not a model server) whose pods select ``runtime_class``."""
    container = {
        "name": "agent",
        "image": f"python:3.12@{DIGEST}",
        "securityContext": {"privileged": False, "allowPrivilegeEscalation": False},
    }
    return k8s(deployment("agent", {"app": "agent"}, [container], pod={"runtimeClassName": runtime_class}))


def _without_cluster(stack: list[Resource]) -> list[Resource]:
    return [r for r in stack if not r.type.startswith("gcp:container/")]


# --- the checklist ---------------------------------------------------------------------------------------------------


def test_the_v137_checklist_is_carried_byte_for_byte_with_its_source() -> None:
    data = importlib.resources.files("pulumi_llmd.conformance").joinpath("AIConformance-1.37.yaml").read_bytes()
    assert len(data) == 8918 and hashlib.sha256(data).hexdigest() == CHECKLIST_137_SHA256
    text = conformance.checklist_text("1.37")
    assert "Hybrid Verification Approach for v1.37" in text
    assert 'file://results/junit.xml#TestSecureAcceleratorAccess"' in text
    sources = (REPO / "src/pulumi_llmd/conformance/SOURCES.md").read_text()
    assert "| AIConformance-1.37.yaml | cncf/k8s-ai-conformance | 287b44f07bb56bc916f6e2191359d44408a65a84 |" in sources
    assert conformance.source_commit("v1.37") == "287b44f07bb56bc916f6e2191359d44408a65a84"
    assert conformance.source_commit("1.36") == conformance.SOURCE_COMMIT


def test_v137_adds_only_workload_sandboxing_as_a_security_should() -> None:
    old = {item["id"]: (cat, item["level"]) for cat, item in conformance.requirements("1.36")}
    new = {item["id"]: (cat, item["level"]) for cat, item in conformance.requirements("1.37")}
    assert set(new) - set(old) == {"workload_sandboxing"} and set(old) <= set(new)
    assert new["workload_sandboxing"] == ("security", "SHOULD")
    assert {k: v for k, v in new.items() if k in old} == old
    sandboxing = requirements.requirement("workload_sandboxing")
    assert sandboxing.reference == "KAR-0020"
    assert dict(sandboxing.levels) == {"1.37": requirements.Level.SHOULD}
    assert {r.id for r in requirements.for_version("1.37")} == set(new)


def test_v137_is_the_default_everywhere() -> None:
    assert conformance.VERSIONS[-1] == conformance.DEFAULT_VERSION == "1.37"
    assert requirements.VERSIONS[-1] == requirements.DEFAULT_VERSION == "1.37"
    assert cli.KAR_VERSION_DEFAULT == requirements.DEFAULT_VERSION
    assert run_checks(good_stack()).version == "1.37"
    assert conformance.checklist()["metadata"]["kubernetesVersion"] == "v1.37"
    pack_main = (REPO / "policies/kubernetes-ai-conformance/__main__.py").read_text()
    assert 'os.environ.get("LLMD_KAR_VERSION", DEFAULT_VERSION)' in pack_main
    config = json.loads((REPO / "policies/kubernetes-ai-conformance/config/v1.37.json").read_text())
    assert config == pack_config("1.37") and config["workload_sandboxing"]["enforcementLevel"] == "advisory"


def test_the_check_command_defaults_to_v137(tmp_path: Path) -> None:
    folder = tmp_path / "render"
    folder.mkdir()
    (folder / "resources.json").write_text(
        json.dumps([{"type": r.type, "name": r.name, "urn": r.urn, "inputs": r.props} for r in good_stack()])
    )
    result = runner.invoke(cli.app, ["check", str(folder), "--json", "--no-verify", "--no-twin"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == "1.37"
    assert data["requirements"]["workload_sandboxing"]["status"] == "Not Implemented"
    (finding,) = [f for f in data["findings"] if f["policy"] == "workload_sandboxing"]
    assert finding["enforcement"] == "advisory" and finding["reference"] == "KAR-0020"


# --- workload_sandboxing --------------------------------------------------------------------------------------------


def test_a_stack_without_a_sandbox_gets_an_advisory_finding_only() -> None:
    result = run_checks(good_stack(), "1.37")
    assert result.ok
    assessment = result.assessments["workload_sandboxing"]
    assert assessment.status is Status.NOT_IMPLEMENTED
    (finding,) = [f for f in result.findings if f.policy == "workload_sandboxing"]
    assert finding.enforcement is Enforcement.ADVISORY
    assert finding.reference == "KAR-0020"
    assert finding.violation.where == "gcp:container/cluster:Cluster llm-d"
    assert "GKE Sandbox node pool (nodeConfig.sandboxConfig.type GVISOR)" in finding.violation.message
    assert "workload_sandboxing" not in run_checks(good_stack(), "1.36").assessments


def test_a_gke_sandbox_node_pool_and_a_pod_selecting_gvisor_meet_it() -> None:
    pool = gpu_pool(name="sandbox")
    pool["nodeConfig"] = {"machineType": "n2-standard-8", "sandboxConfig": {"type": "GVISOR"}}
    stack = [*good_stack(), cloud("gcp:container/nodePool:NodePool", "sandbox", pool), _sandboxed_agent("gvisor")]
    assessment = _sandboxing(stack)
    assert assessment.status is Status.IMPLEMENTED, assessment
    assert not assessment.violations
    assert any("sandboxConfig GVISOR (GKE Sandbox): RuntimeClass gvisor" in e for e in assessment.evidence)
    assert any(
        "Deployment llm-d/agent: pods run in the sandbox (runtimeClassName gvisor)" in e for e in assessment.evidence
    )
    result = run_checks(stack, "1.37")
    assert result.ok and not [f for f in result.findings if f.policy == "workload_sandboxing"]


def test_the_deprecated_sandbox_type_and_autopilot_count_too() -> None:
    pool = gpu_pool(name="sandbox")
    pool["nodeConfig"]["sandboxConfig"] = {"sandboxType": "gvisor"}
    assert _sandboxing([*good_stack(), cloud("gcp:container/nodePool:NodePool", "sandbox", pool)]).status is (
        Status.IMPLEMENTED
    )
    autopilot = [
        cloud(r.type, r.name, {**r.props, "enableAutopilot": True}) if r.type.endswith("cluster:Cluster") else r
        for r in good_stack()
    ]
    assessment = _sandboxing(autopilot)
    assert assessment.status is Status.IMPLEMENTED and "enableAutopilot" in assessment.evidence[0]


@pytest.mark.parametrize(
    ("name", "handler", "sandboxed"),
    [
        ("gvisor", "runsc", True),
        ("kata-qemu", "kata-qemu", True),
        ("untrusted", "runsc", True),
        ("isolated", "krun", True),
        ("nvidia", "nvidia", False),
        ("runc", "runc", False),
    ],
)
def test_a_runtime_class_with_a_sandbox_handler_meets_it(name: str, handler: str, sandboxed: bool) -> None:
    assert is_sandbox_runtime(name, handler) is sandboxed
    status = _sandboxing([*good_stack(), _runtime_class(name, handler)]).status
    assert status is (Status.IMPLEMENTED if sandboxed else Status.NOT_IMPLEMENTED)


def test_a_pod_selecting_a_sandbox_the_stack_does_not_provide_is_named() -> None:
    result = run_checks([*good_stack(), _sandboxed_agent("gvisor")], "1.37")
    assert result.ok  # advisory, never mandatory
    assert result.assessments["workload_sandboxing"].status is Status.NOT_IMPLEMENTED
    (finding,) = [f for f in result.findings if f.policy == "workload_sandboxing"]
    assert finding.enforcement is Enforcement.ADVISORY
    assert finding.violation.where == f"apps/v1 Deployment {NS}/agent"
    assert "selects RuntimeClass gvisor, which the stack does not provide" in finding.violation.message


def test_on_an_existing_cluster_it_is_na_unless_pods_select_a_sandbox() -> None:
    existing = _without_cluster(good_stack())
    assessment = _sandboxing(existing)
    assert assessment.status is Status.NOT_APPLICABLE and "not visible" in assessment.notes
    # the RuntimeClass admission plugin rejects a pod whose class does not exist: the cluster provides it
    selecting = _sandboxing([*existing, _sandboxed_agent("kata")])
    assert selecting.status is Status.IMPLEMENTED
    assert "the cluster's sandboxed RuntimeClass kata" in selecting.evidence[0]


def test_agent_sandbox_without_a_sandboxed_runtime_is_partial() -> None:
    crd = k8s(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "sandboxes.agents.x-k8s.io"},
            "spec": {"group": "agents.x-k8s.io", "names": {"kind": "Sandbox"}},
        }
    )
    assessment = _sandboxing([*good_stack(), crd])
    assert assessment.status is Status.PARTIAL
    assert "shares the host kernel" in assessment.violations[0].message
    assert _sandboxing([*good_stack(), crd, _runtime_class("gvisor", "runsc")]).status is Status.IMPLEMENTED


def test_eks_gets_kata_or_gvisor_advice() -> None:
    stack = [
        cloud("aws:eks/cluster:Cluster", "llm-d", {"name": "llm-d", "version": "1.35"}),
        k8s(deployment("m-decode", dict(SERVER_LABELS), [server_container()])),
    ]
    assessment = _sandboxing(stack)
    assert assessment.status is Status.NOT_IMPLEMENTED
    assert "Kata Containers or gVisor (runsc)" in assessment.violations[0].message


def test_the_crossguard_policy_is_advisory_in_v137_and_off_before() -> None:
    policies = {p.name: p for p in conformance_policies("1.37")}
    sandboxing = policies["workload_sandboxing"]
    assert sandboxing.enforcement_level is EnforcementLevel.ADVISORY
    assert sandboxing.framework is not None and sandboxing.framework.reference == "KAR-0020"
    assert pack_config("1.36")["workload_sandboxing"]["enforcementLevel"] == "disabled"


def test_the_flagship_render_passes_v137_with_sandboxing_advisory(flagship: RenderResult) -> None:
    assert flagship.policy is not None and flagship.policy.version == "1.37" and flagship.policy.ok
    assert flagship.policy.assessments["workload_sandboxing"].status is Status.NOT_IMPLEMENTED
    assert {f.enforcement for f in flagship.policy.findings if f.policy == "workload_sandboxing"} == {
        Enforcement.ADVISORY
    }
