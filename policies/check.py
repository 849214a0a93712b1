"""Run both policy packs over a resource list, offline: the same rule code the CrossGuard packs run.

>>> result = run_checks(load_render(Path("out/gke-h100-optimized-baseline")), version="1.37")
>>> result.ok, len(result.mandatory)

Conformance requirements (one per checklist item of ``version``) become findings when their assessment is
Partially / Not Implemented: MUST -> mandatory, SHOULD -> advisory; conditional MUSTs whose condition does not hold
are N/A. llm-d practices are mandatory unless a rule says otherwise.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pulumi_llmd.policies import practices
from pulumi_llmd.policies.conformance import ASSESSORS
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.model import Assessment, Enforcement, Resource, Status, Violation
from pulumi_llmd.policies.requirements import DEFAULT_VERSION, Level, Requirement, for_version, normalize_version

#: Name of the conformance pack (its folder under ``policies/``).
CONFORMANCE_PACK: Final = "kubernetes-ai-conformance"
PRACTICES_PACK: Final = practices.PACK


class CheckInputError(ValueError):
    """A render folder or resources file that cannot be read."""


@dataclass(frozen=True)
class Finding:
    """One violation of one policy: which pack and policy, what it cites, how it is enforced, and the violation."""

    pack: str
    policy: str
    reference: str
    enforcement: Enforcement
    violation: Violation

    def __str__(self) -> str:
        """``MANDATORY accelerator_metrics (KAR-0059) gcp:container/cluster:Cluster llm-d: message``."""
        level = self.enforcement.value.upper()
        return f"{level:9} {self.policy} ({self.reference}) {self.violation.where}: {self.violation.message}"


def enforcement_of(level: Level) -> Enforcement:
    """MUST -> mandatory, SHOULD -> advisory."""
    return Enforcement.MANDATORY if level is Level.MUST else Enforcement.ADVISORY


def conformance_findings(requirement: Requirement, assessment: Assessment, version: str) -> list[Finding]:
    """Findings of one assessed requirement for checklist ``version`` (none when met, N/A or not in the version)."""
    level = requirement.level(version)
    if level is None or assessment.status not in (Status.PARTIAL, Status.NOT_IMPLEMENTED):
        return []
    violations = assessment.violations or (Violation(assessment.notes or f"{requirement.id}: {assessment.status}"),)
    return [
        Finding(CONFORMANCE_PACK, requirement.id, requirement.reference, enforcement_of(level), v) for v in violations
    ]


@dataclass
class CheckResult:
    """The outcome of a check: the version, each requirement's assessment, and every finding."""

    version: str
    assessments: dict[str, Assessment] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Finding]:
        """Findings that block (non-zero exit)."""
        return [f for f in self.findings if f.enforcement is Enforcement.MANDATORY]

    @property
    def advisory(self) -> list[Finding]:
        """Findings that only warn."""
        return [f for f in self.findings if f.enforcement is Enforcement.ADVISORY]

    @property
    def ok(self) -> bool:
        """True when no mandatory policy is violated."""
        return not self.mandatory

    def lines(self) -> list[str]:
        """The human summary: every finding, statuses by requirement, counts by enforcement."""
        out = [
            f"policy check: {CONFORMANCE_PACK} v{self.version} ({len(self.assessments)} requirements), "
            f"{PRACTICES_PACK} ({len(practices.RESOURCE_RULES) + len(practices.STACK_RULES)} policies)"
        ]
        for finding in sorted(
            self.findings, key=lambda f: (f.enforcement is not Enforcement.MANDATORY, f.pack, f.policy)
        ):
            out.append(f"  {finding}")
        statuses = Counter(a.status.value for a in self.assessments.values())
        out.append(
            "  conformance statuses: "
            + ", ".join(f"{statuses[s.value]} {s.value}" for s in Status if statuses[s.value])
        )
        out.append(
            f"policy results: {len(self.mandatory)} mandatory, {len(self.advisory)} advisory violation(s)"
            + ("" if self.ok else " - mandatory violations block the deployment")
        )
        return out

    def to_json(self) -> dict[str, Any]:
        """Machine-readable result (``--format json``)."""
        return {
            "version": self.version,
            "ok": self.ok,
            "requirements": {
                rid: {"status": a.status.value, "notes": a.notes, "evidence": list(a.evidence)}
                for rid, a in self.assessments.items()
            },
            "findings": [
                {
                    "pack": f.pack,
                    "policy": f.policy,
                    "reference": f.reference,
                    "enforcement": f.enforcement.value,
                    "resource": f.violation.where,
                    "urn": f.violation.urn,
                    "message": f.violation.message,
                }
                for f in self.findings
            ],
        }


def assess_all(resources: Iterable[Resource], version: str = DEFAULT_VERSION) -> dict[str, Assessment]:
    """Each requirement of checklist ``version`` with its assessment, in checklist-table order."""
    graph = Graph(resources)
    return {r.id: ASSESSORS[r.id](graph) for r in for_version(normalize_version(version))}


def practice_findings(resources: Iterable[Resource]) -> list[Finding]:
    """Findings of every llm-d practice rule (per-resource rules over each resource, stack rules over the graph)."""
    graph = Graph(resources)
    found: list[Finding] = []
    for rule in practices.RESOURCE_RULES:
        for resource in graph.resources:
            found += [
                Finding(PRACTICES_PACK, rule.name, PRACTICES_PACK, rule.enforcement, v) for v in rule.check(resource)
            ]
    for stack_rule in practices.STACK_RULES:
        found += [
            Finding(PRACTICES_PACK, stack_rule.name, PRACTICES_PACK, stack_rule.enforcement, v)
            for v in stack_rule.check(graph)
        ]
    return found


def run_checks(resources: Iterable[Resource], version: str = DEFAULT_VERSION) -> CheckResult:
    """Run both packs over ``resources`` for AI-conformance checklist ``version`` (default: the newest, 1.37).

    Raises ValueError for a version that is not carried (1.33-1.37).
    """
    version = normalize_version(version)
    listed = list(resources)
    result = CheckResult(version=version, assessments=assess_all(listed, version))
    by_id = {r.id: r for r in for_version(version)}
    for rid, assessment in result.assessments.items():
        result.findings += conformance_findings(by_id[rid], assessment, version)
    result.findings += practice_findings(listed)
    return result


def resources_from_render(entries: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """``resources.json`` entries as :class:`Resource` objects (component resources included; rules skip them)."""
    return [Resource.from_render(e) for e in entries]


def load_render(render_dir: Path) -> list[Resource]:
    """The resources of a render: ``RENDER_DIR/resources.json`` (or the path of a resources file itself).

    Raises :class:`CheckInputError` when the file is missing or is not a JSON list of resources.
    """
    path = render_dir / "resources.json" if render_dir.is_dir() else render_dir
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckInputError(
            f"{path}: not found (render the stack first: pulumi-llmd render STACK --out DIR)"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckInputError(f"{path}: cannot read resources: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(e, Mapping) and "type" in e for e in data):
        raise CheckInputError(f"{path}: expected a JSON list of resources with 'type' and 'inputs'")
    return resources_from_render(data)
