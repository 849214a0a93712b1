"""A check's result as JUnit XML: the automated evidence the AI-conformance checklist v1.37 recommends.

The v1.37 checklist's "Hybrid Verification Approach" header asks, for requirements with automated tests, for links to
the test output in each requirement's ``evidence``, e.g. ``file://results/junit.xml#TestSecureAcceleratorAccess``
(cncf/k8s-ai-conformance ``docs/AIConformance-1.37.yaml``). The upstream live-cluster suite writes that file with
gotestsum / go-junit-report, one ``<testcase>`` per Go test (kubernetes-sigs/ai-conformance ``test/README.md``,
"Generating Test Artifacts"); its tests are named ``Test`` + the requirement in CamelCase.

:func:`junit_xml` writes the same shape for a static check of a render: one ``<testsuite>`` per policy pack, one
``<testcase>`` per requirement of the checklist version, named by :func:`case_name`
(``secure_accelerator_access`` -> ``TestSecureAcceleratorAccess``, so the checklist's example link resolves;
initialisms upper-case as in the upstream suite: ``ai_service_metrics`` -> ``TestAIServiceMetrics``):

- a MUST the render violates (Partially / Not Implemented): ``<failure type="mandatory">`` with every violation;
- a SHOULD it does not meet: ``<skipped message="advisory (SHOULD): ...">`` (advisory, never a failure);
- a requirement the render cannot show or whose condition does not hold (N/A): ``<skipped message="N/A: ...">``;
- a requirement met: a passing testcase.

Every testcase carries ``<properties>`` (requirement id, KAR reference, category, level, status, the upstream
live-cluster test where there is one) and ``<system-out>`` (notes and the resources that show it). The llm-d practices
are a second suite, one testcase per rule (mandatory violations fail, advisory ones are skipped). No timestamps or
durations: the file is the same for the same render. Built with :mod:`xml.etree.ElementTree` (the standard library).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

from pulumi_llmd import conformance
from pulumi_llmd.policies import practices
from pulumi_llmd.policies.check import CONFORMANCE_PACK, PRACTICES_PACK, CheckResult, Finding
from pulumi_llmd.policies.model import Enforcement, Status
from pulumi_llmd.policies.requirements import BY_ID

#: Words written upper-case in test names (Go initialisms, as the upstream suite spells them: ``TestAIServiceMetrics``,
#: ``TestRobustCRDControllerOperation``).
INITIALISMS: Final[Mapping[str, str]] = {
    "ai": "AI",
    "crd": "CRD",
    "dra": "DRA",
    "epp": "EPP",
    "gpu": "GPU",
    "hf": "HF",
    "pd": "PD",
    "tp": "TP",
}
#: The upstream live-cluster test of a requirement, where one exists (kubernetes-sigs/ai-conformance
#: ``test/README.md``, "Test Cases Covered", commit 0a155c94483792072af1a0827e9d3e2d521c85a5). Only two differ from
#: :func:`case_name`; the testcase names this project writes always follow :func:`case_name`.
UPSTREAM_TESTS: Final[Mapping[str, str]] = {
    "secure_accelerator_access": "TestSecureAcceleratorAccess",
    "gang_scheduling": "TestGangScheduling",
    "cluster_autoscaling": "TestAcceleratorClusterAutoscaling",
    "robust_controller": "TestRobustCRDControllerOperation",
    "workload_sandboxing": "TestWorkloadSandboxing",
}
#: How the evidence was produced (a property of every suite).
VERIFICATION: Final = "static: pulumi-llmd check over the offline render's resource graph (no live cluster)"


def case_name(policy_id: str) -> str:
    """``Test`` + ``policy_id`` in CamelCase: ``secure_accelerator_access`` -> ``TestSecureAcceleratorAccess``,
    ``ai_inference`` -> ``TestAIInference`` (:data:`INITIALISMS`), ``images-pinned`` -> ``TestImagesPinned``.
    Words split on ``_``, ``-`` and ``.``."""
    words = [w for w in re.split(r"[_\-.]+", policy_id) if w]
    return "Test" + "".join(INITIALISMS.get(w.lower(), w[:1].upper() + w[1:]) for w in words)


def evidence_link(junit_ref: str, requirement_id: str) -> str:
    """The checklist evidence entry of a requirement: ``file://<junit_ref>#<case_name>``
    (``file://results/junit.xml#TestSecureAcceleratorAccess`` for ``results/junit.xml``)."""
    return f"file://{junit_ref}#{case_name(requirement_id)}"


def evidence_ref(junit: Path, report: Path | None = None) -> str:
    """How the checklist names the JUnit file: relative to the checklist's folder when the file is inside it (the
    checklist's ``file://results/junit.xml`` for ``--report sub/checklist.yaml --junit sub/results/junit.xml``),
    otherwise the path as given. Always with ``/`` separators."""
    if report is not None:
        try:
            return junit.resolve().relative_to(report.resolve().parent).as_posix()
        except ValueError:
            pass
    return junit.as_posix()


def _property(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "property", name=name, value=value)


def _properties(parent: ET.Element, values: Mapping[str, str]) -> None:
    element = ET.SubElement(parent, "properties")
    for name, value in values.items():
        _property(element, name, value)


def _violation_lines(findings: Iterable[Finding]) -> str:
    return "\n".join(f"{f.violation.where}: {f.violation.message}" for f in findings)


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("time", "0")


def _conformance_suite(root: ET.Element, result: CheckResult, source: str | None) -> None:
    version = result.version
    suite = ET.SubElement(root, "testsuite", name=CONFORMANCE_PACK)
    suite_properties = {
        "checklist": f"{conformance.SOURCE_REPOSITORY} docs/AIConformance-{version}.yaml",
        "checklistCommit": conformance.source_commit(version),
        "checklistVersion": version,
        "verification": VERIFICATION,
    }
    if source:
        suite_properties["render"] = source
    _properties(suite, suite_properties)
    for category, item in conformance.requirements(version):
        rid = str(item["id"])
        level = str(item["level"])
        assessment = result.assessments.get(rid)
        requirement = BY_ID.get(rid)
        case = ET.SubElement(
            suite, "testcase", classname=f"{CONFORMANCE_PACK}.{category}", name=case_name(rid), time="0"
        )
        values = {
            "requirement": rid,
            "category": category,
            "level": level,
            "status": assessment.status.value if assessment is not None else "",
        }
        if requirement is not None:
            values["reference"] = requirement.reference
            if requirement.condition:
                values["condition"] = f"applies if {requirement.condition}"
        if rid in UPSTREAM_TESTS:
            values["upstreamTest"] = UPSTREAM_TESTS[rid]
        _properties(case, values)
        findings = [f for f in result.findings if f.pack == CONFORMANCE_PACK and f.policy == rid]
        if assessment is None:
            ET.SubElement(case, "skipped", message="not assessed: no rule for this requirement")
            continue
        mandatory = [f for f in findings if f.enforcement is Enforcement.MANDATORY]
        if mandatory:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{level}: {assessment.status.value}: {mandatory[0].violation.message}",
                type="mandatory",
            )
            failure.text = _violation_lines(mandatory)
        elif findings:
            skipped = ET.SubElement(
                case,
                "skipped",
                message=f"advisory ({level}): {assessment.status.value}: {findings[0].violation.message}",
            )
            skipped.text = _violation_lines(findings)
        elif assessment.status is Status.NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=f"N/A: {assessment.notes}")
        out = [assessment.notes, *(f"evidence: {e}" for e in assessment.evidence)]
        ET.SubElement(case, "system-out").text = "\n".join(line for line in out if line)
    _count(suite)


def _practices_suite(root: ET.Element, result: CheckResult) -> None:
    suite = ET.SubElement(root, "testsuite", name=PRACTICES_PACK)
    _properties(suite, {"verification": VERIFICATION})
    rules = [(r.name, r.enforcement, r.description) for r in practices.RESOURCE_RULES]
    rules += [(r.name, r.enforcement, r.description) for r in practices.STACK_RULES]
    for name, enforcement, description in rules:
        case = ET.SubElement(suite, "testcase", classname=PRACTICES_PACK, name=case_name(name), time="0")
        _properties(case, {"policy": name, "enforcement": enforcement.value})
        findings = [f for f in result.findings if f.pack == PRACTICES_PACK and f.policy == name]
        mandatory = [f for f in findings if f.enforcement is Enforcement.MANDATORY]
        if mandatory:
            failure = ET.SubElement(case, "failure", message=mandatory[0].violation.message, type="mandatory")
            failure.text = _violation_lines(mandatory)
        elif findings:
            skipped = ET.SubElement(case, "skipped", message=f"advisory: {findings[0].violation.message}")
            skipped.text = _violation_lines(findings)
        ET.SubElement(case, "system-out").text = description
    _count(suite)


def junit_element(result: CheckResult, *, source: str | None = None) -> ET.Element:
    """The ``<testsuites>`` element of ``result``: the conformance suite (checklist order) and the practices suite.
    ``source`` (the render folder) is recorded as a suite property."""
    root = ET.Element("testsuites", name=f"pulumi-llmd check (AI conformance v{result.version})")
    _conformance_suite(root, result, source)
    _practices_suite(root, result)
    suites = root.findall("testsuite")
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in suites)))
    root.set("time", "0")
    return root


def junit_xml(result: CheckResult, *, source: str | None = None, clean: Callable[[str], str] | None = None) -> str:
    """:func:`junit_element` as indented XML text with an XML declaration (UTF-8), ending in a newline.

    ``clean`` (e.g. the CLI's secret redaction) is applied to every attribute value and text before serialization,
    so that it sees the strings themselves, not their XML escapes."""
    root = junit_element(result, source=source)
    if clean is not None:
        for element in root.iter():
            if element.text:
                element.text = clean(element.text)
            for name, value in list(element.attrib.items()):
                element.set(name, clean(value))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
