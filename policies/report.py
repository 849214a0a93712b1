"""The pre-filled CNCF AI-conformance checklist: a platform team's self-assessment, ready for review.

:func:`checklist_report` takes the carried checklist of the check's version (``pulumi_llmd.conformance``) and fills
every requirement's ``status`` (Implemented / Partially Implemented / Not Implemented / N/A), ``evidence`` (the
resources of the render that show it, each with the field that shows it; first, with a JUnit file, its testcase as
the v1.37 checklist's automated-evidence form ``file://results/junit.xml#TestSecureAcceleratorAccess``, see
:mod:`pulumi_llmd.policies.junit`) and ``notes`` (why; for N/A the justification the checklist asks for; for unmet
requirements the violations). Metadata placeholders that only the
vendor can fill (vendor name, URLs, contact) are left as they are.
"""

from __future__ import annotations

from typing import Any

import yaml

from pulumi_llmd import conformance
from pulumi_llmd.policies.check import CheckResult
from pulumi_llmd.policies.junit import evidence_link
from pulumi_llmd.policies.model import Assessment, Status
from pulumi_llmd.policies.requirements import BY_ID

_HEADER = """\
# Kubernetes AI Conformance self-assessment, pre-filled by `pulumi-llmd check` from {source}.
# Checklist v{version}: CNCF cncf/k8s-ai-conformance docs/AIConformance-{version}.yaml (commit {commit}).
# Statuses are derived from the stack's resource graph (the offline render); review every status, evidence entry and
# note, and add the vendor metadata and evidence URLs (test results, docs) before submitting.
"""


def _notes(assessment: Assessment) -> str:
    notes = assessment.notes.strip()
    if assessment.status in (Status.PARTIAL, Status.NOT_IMPLEMENTED) and assessment.violations:
        problems = "; ".join(f"{v.where}: {v.message}" for v in assessment.violations)
        notes = f"{notes} Missing: {problems}".strip()
    if assessment.evidence:
        names = list(dict.fromkeys(e.split(": ", 1)[0] for e in assessment.evidence))
        notes = f"{notes} Shown by: {'; '.join(names)}.".strip()
    return notes


def checklist_report(
    result: CheckResult, *, platform_name: str | None = None, junit_ref: str | None = None
) -> dict[str, Any]:
    """The checklist of ``result.version`` with status, evidence and notes of every requirement filled in.

    ``platform_name`` (e.g. ``pulumi-llm-d gke-h100-optimized-baseline``) replaces the ``[Platform Name]``
    placeholder. ``junit_ref`` (the JUnit file as the checklist names it, e.g. ``results/junit.xml``; None: no JUnit
    file) puts ``file://<junit_ref>#Test<Requirement>`` first in every assessed requirement's evidence.
    Requirements the result has no assessment for (none, normally) keep an empty status.
    """
    document = conformance.checklist(result.version)
    if platform_name:
        document["metadata"]["platformName"] = platform_name
    for items in document["spec"].values():
        for item in items:
            assessment = result.assessments.get(item["id"])
            if assessment is None:
                continue
            requirement = BY_ID.get(item["id"])
            item["status"] = assessment.status.value
            item["evidence"] = [evidence_link(junit_ref, item["id"])] if junit_ref else []
            item["evidence"] += [f"resources.json: {e}" for e in assessment.evidence]
            prefix = f"[{requirement.reference}] " if requirement is not None and requirement.kar else ""
            item["notes"] = prefix + _notes(assessment)
    return document


def checklist_report_yaml(
    result: CheckResult, *, source: str, platform_name: str | None = None, junit_ref: str | None = None
) -> str:
    """:func:`checklist_report` as YAML text with a header naming ``source`` (the render it was derived from) and
    the commit the checklist was taken from."""
    body = yaml.safe_dump(
        checklist_report(result, platform_name=platform_name, junit_ref=junit_ref),
        sort_keys=False,
        width=120,
        allow_unicode=True,
    )
    commit = conformance.source_commit(result.version)
    return _HEADER.format(source=source, version=result.version, commit=commit) + body
