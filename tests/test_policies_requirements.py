"""The requirement table against the carried CNCF checklists, enforcement levels, and the CrossGuard adapters.

Packs are never constructed here (``PolicyPack`` serves forever): the policies' validate functions are called with
``StackValidationArgs`` / ``ResourceValidationArgs`` built directly.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REPO
from policy_fixtures import good_stack, named, replace
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError

from pulumi_llmd import conformance
from pulumi_llmd.policies.check import conformance_findings, enforcement_of, run_checks
from pulumi_llmd.policies.crossguard import (
    conformance_policies,
    enforcement_level,
    pack_config,
    plain,
    practices_policies,
)
from pulumi_llmd.policies.model import Assessment, Enforcement, Resource, Status, Violation
from pulumi_llmd.policies.requirements import BY_ID, FRAMEWORK, REQUIREMENTS, VERSIONS, Level, for_version, requirement


@pytest.mark.parametrize("version", VERSIONS)
def test_the_table_matches_the_carried_checklist(version: str) -> None:
    carried = {item["id"]: (category, item["level"]) for category, item in conformance.requirements(version)}
    table = {r.id: (r.category, r.level(version).value) for r in for_version(version) if r.level(version)}
    assert table == carried


def test_levels_and_new_requirements_per_version() -> None:
    assert requirement("dra_support").level("1.33") is Level.SHOULD
    assert requirement("dra_support").level("1.34") is Level.MUST
    assert not requirement("dra_support").in_version("1.36")
    assert {r.id for r in for_version("1.36")} - {r.id for r in for_version("1.35")} == {
        "advanced_inference_ingress",
        "high_performance_networking",
        "disaggregated_inference",
    }
    assert {r.id for r in for_version("1.35")} - {r.id for r in for_version("1.34")} == {
        "driver_runtime_management",
        "gpu_sharing",
        "virtualized_accelerator",
    }
    assert requirement("cluster_autoscaling").condition and requirement("pod_autoscaling").condition
    assert requirement("accelerator_metrics").reference == "KAR-0059"
    assert requirement("ai_inference").reference == "ai_inference"
    with pytest.raises(KeyError, match="unknown requirement"):
        requirement("nope")


def test_the_checklists_are_carried_unchanged_with_their_sources() -> None:
    for version in VERSIONS:
        assert conformance.checklist(version)["metadata"]["kubernetesVersion"] == f"v{version}"
    sources = (REPO / "src/pulumi_llmd/conformance/SOURCES.md").read_text()
    assert conformance.SOURCE_COMMIT in sources
    with pytest.raises(conformance.UnknownVersion):
        conformance.checklist("1.30")


def test_must_is_mandatory_should_is_advisory_and_absent_is_disabled() -> None:
    assert enforcement_of(Level.MUST) is Enforcement.MANDATORY
    assert enforcement_of(Level.SHOULD) is Enforcement.ADVISORY
    assert enforcement_level(BY_ID["gang_scheduling"], "1.35") is EnforcementLevel.MANDATORY
    assert enforcement_level(BY_ID["gpu_sharing"], "1.35") is EnforcementLevel.ADVISORY
    assert enforcement_level(BY_ID["gpu_sharing"], "1.34") is EnforcementLevel.DISABLED
    unmet = Assessment(Status.NOT_IMPLEMENTED, "no", (), (Violation("missing"),))
    (finding,) = conformance_findings(BY_ID["dra_support"], unmet, "1.33")
    assert finding.enforcement is Enforcement.ADVISORY and finding.reference == "KAR-0051"
    (finding,) = conformance_findings(BY_ID["dra_support"], unmet, "1.35")
    assert finding.enforcement is Enforcement.MANDATORY
    assert conformance_findings(BY_ID["dra_support"], unmet, "1.36") == []
    na = Assessment(Status.NOT_APPLICABLE, "condition does not hold")
    assert conformance_findings(BY_ID["pod_autoscaling"], na, "1.35") == []


def test_a_version_changes_what_is_checked_and_how() -> None:
    old_cluster = replace(
        good_stack(), lambda r: r.type == "gcp:container/cluster:Cluster", lambda p: p.update(minMasterVersion="1.32")
    )
    assert [f.enforcement for f in run_checks(old_cluster, "1.33").findings if f.policy == "dra_support"] == [
        Enforcement.ADVISORY
    ]
    assert [f.enforcement for f in run_checks(old_cluster, "1.35").findings if f.policy == "dra_support"] == [
        Enforcement.MANDATORY
    ]
    assert "dra_support" not in run_checks(old_cluster, "1.36").assessments
    assert "disaggregated_inference" in run_checks(good_stack(), "v1.36").assessments
    with pytest.raises(ValueError, match="allowed"):
        run_checks(good_stack(), "1.20")


# --- CrossGuard adapters ------------------------------------------------------------------------------------------


def _policy_resources(stack: list[Resource]) -> list[PolicyResource]:
    opts = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
    return [PolicyResource(r.type, r.props, r.urn, r.name, opts, None, None, [], {}) for r in stack]


def _run_stack_policy(
    policy: Any, stack: list[Resource], config: dict[str, Any] | None = None
) -> list[tuple[str, Any]]:
    reported: list[tuple[str, Any]] = []
    policy.validate(StackValidationArgs(_policy_resources(stack), config), lambda m, u=None: reported.append((m, u)))
    return reported


def test_one_conformance_policy_per_requirement_with_its_framework() -> None:
    policies = conformance_policies("1.35")
    assert [p.name for p in policies] == [r.id for r in REQUIREMENTS]
    for policy in policies:
        assert isinstance(policy, StackValidationPolicy)
        assert policy.framework is not None and policy.framework.name == FRAMEWORK
        assert policy.framework.version == "1.35"
        assert policy.framework.reference == BY_ID[policy.name].reference
        assert policy.config_schema is not None and "karVersion" in policy.config_schema.properties
    levels = {p.name: p.enforcement_level for p in policies}
    assert levels["accelerator_metrics"] is EnforcementLevel.MANDATORY
    assert levels["gpu_sharing"] is EnforcementLevel.ADVISORY


def test_conformance_policies_report_with_the_kar_id_and_mark_not_applicable() -> None:
    policies = {p.name: p for p in conformance_policies("1.35")}  # v1.35: disaggregated_inference not listed
    no_dcgm = replace(
        good_stack(),
        lambda r: r.type == "gcp:container/cluster:Cluster",
        lambda p: p["monitoringConfig"].update(enableComponents=["SYSTEM_COMPONENTS"]),
    )
    reported = _run_stack_policy(policies["accelerator_metrics"], no_dcgm)
    assert reported and reported[0][0].startswith("[KAR-0059]")
    assert reported[0][1] == "urn:pulumi:s::p::gcp:container/cluster:Cluster::llm-d"
    assert _run_stack_policy(policies["accelerator_metrics"], good_stack()) == []
    with pytest.raises(_NotApplicableError) as na:
        _run_stack_policy(policies["virtualized_accelerator"], good_stack())
    assert "vGPU" in str(na.value.reason)
    with pytest.raises(_NotApplicableError) as na:
        _run_stack_policy(policies["disaggregated_inference"], good_stack())
    assert "not a requirement of AI conformance v1.35" in str(na.value.reason)
    # pack config selects another checklist version
    assert _run_stack_policy(policies["disaggregated_inference"], good_stack(), {"karVersion": "1.36"})


def test_practice_policies_run_the_same_rules() -> None:
    policies = {p.name: p for p in practices_policies()}
    assert isinstance(policies["images-pinned"], ResourceValidationPolicy)
    assert isinstance(policies["network-policies"], StackValidationPolicy)
    advisory = {"images-by-digest", "addon-namespace-default-deny"}  # issue 12: advisory by design
    assert all(p.enforcement_level is EnforcementLevel.MANDATORY for p in policies.values() if p.name not in advisory)
    assert all(policies[name].enforcement_level is EnforcementLevel.ADVISORY for name in advisory)
    stack = replace(
        good_stack(),
        named("Deployment", "m-decode"),
        lambda p: p["spec"]["template"]["spec"]["containers"][0].update(image="vllm/vllm-openai:latest"),
    )
    deployment = next(r for r in stack if r.kind == "Deployment" and r.object_name == "m-decode")
    reported: list[str] = []
    args = ResourceValidationArgs(
        deployment.type,
        deployment.props,
        deployment.urn,
        deployment.name,
        None,
        None,  # type: ignore[arg-type]
    )
    policies["images-pinned"].validate(args, lambda m, u=None: reported.append(m))
    assert reported == ["container modelserver: image vllm/vllm-openai:latest uses the mutable tag latest"]
    assert _run_stack_policy(policies["network-policies"], good_stack()) == []


def test_crossguard_proxies_and_unknowns_become_plain_data() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    proxied = unknown_checking_proxy({"a": [{"b": UNKNOWN_STRING_VALUE}], "c": 1})
    assert plain(proxied) == {"a": [{"b": "[unknown]"}], "c": 1}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_pack_config_files_match_the_table(version: str) -> None:
    path = REPO / "policies/kubernetes-ai-conformance/config" / f"v{version}.json"
    assert json.loads(path.read_text()) == pack_config(version)


def test_both_packs_have_their_files() -> None:
    for pack in ("kubernetes-ai-conformance", "llm-d-practices"):
        folder = REPO / "policies" / pack
        assert (folder / "PulumiPolicy.yaml").is_file()
        assert "PolicyPack(" in (folder / "__main__.py").read_text()
        assert "pulumi-policy" in (folder / "requirements.txt").read_text()
