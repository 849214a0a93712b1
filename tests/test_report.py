"""The pre-filled CNCF AI-conformance checklist: every requirement of the version with a status, evidence, notes."""

from __future__ import annotations

import pytest
import yaml
from policy_fixtures import good_stack, without

from pulumi_llmd import conformance
from pulumi_llmd.policies.check import run_checks
from pulumi_llmd.policies.report import checklist_report, checklist_report_yaml
from pulumi_llmd.policies.requirements import Level, for_version
from pulumi_llmd.render.render import RenderResult

STATUSES = {"Implemented", "Partially Implemented", "Not Implemented", "N/A"}


@pytest.mark.parametrize("version", conformance.VERSIONS)
def test_every_requirement_of_the_version_gets_a_status_and_notes(version: str) -> None:
    report = checklist_report(run_checks(good_stack(), version), platform_name="test platform")
    carried = conformance.checklist(version)
    assert report["metadata"]["kubernetesVersion"] == f"v{version}"
    assert report["metadata"]["platformName"] == "test platform"
    assert report["metadata"]["vendorName"] == carried["metadata"]["vendorName"]  # left for the vendor
    assert [i["id"] for items in report["spec"].values() for i in items] == [
        i["id"] for items in carried["spec"].values() for i in items
    ]
    for items in report["spec"].values():
        for item in items:
            assert item["status"] in STATUSES, item
            assert item["notes"], item
            assert item["level"] in ("MUST", "SHOULD")
            if item["status"] == "Implemented":
                assert item["evidence"] and all(e.startswith("resources.json: ") for e in item["evidence"])


def test_notes_name_the_resources_and_the_kar_id() -> None:
    report = checklist_report(run_checks(good_stack(), "1.35"))
    (metrics,) = [i for i in report["spec"]["observability"] if i["id"] == "accelerator_metrics"]
    assert metrics["status"] == "Implemented"
    assert metrics["notes"].startswith("[KAR-0059]")
    assert "gcp:container/cluster:Cluster llm-d" in metrics["notes"]
    (vgpu,) = [i for i in report["spec"]["accelerators"] if i["id"] == "virtualized_accelerator"]
    assert vgpu["status"] == "N/A" and "passthrough" in vgpu["notes"]


def test_an_unmet_must_says_what_is_missing() -> None:
    stack = without(good_stack(), lambda r: r.name == "kueue" or r.kind == "ClusterQueue")
    report = checklist_report(run_checks(stack, "1.35"))
    (gang,) = report["spec"]["schedulingOrchestration"][:1]
    assert gang["id"] == "gang_scheduling"
    assert gang["status"] == "Not Implemented"
    assert "Missing:" in gang["notes"] and "Kueue" in gang["notes"]


def test_the_yaml_has_a_review_header_and_parses(flagship: RenderResult) -> None:
    assert flagship.policy is not None
    text = checklist_report_yaml(flagship.policy, source="out/flagship", platform_name="pulumi-llm-d flagship")
    assert text.startswith("# Kubernetes AI Conformance self-assessment")
    assert conformance.source_commit(flagship.policy.version) in text and "out/flagship" in text
    document = yaml.safe_load(text)
    musts = [i for items in document["spec"].values() for i in items if i["level"] == "MUST"]
    assert len(musts) == len(
        [r for r in for_version(flagship.policy.version) if r.level(flagship.policy.version) is Level.MUST]
    )
    assert {i["status"] for i in musts} == {"Implemented"}
