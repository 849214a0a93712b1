"""Policy rules for llm-d stacks: Kubernetes AI Conformance and llm-d practices, shared by two CrossGuard packs.

Rules are pure functions over resources as the engine sees them (:class:`Resource`: type, name, URN, camelCase
props): per-resource practice rules, stack-wide practice rules, and one conformance assessor per checklist
requirement. :func:`run_checks` runs them all offline (``pulumi-llmd check``); :mod:`.crossguard` wraps the same
functions as CrossGuard policies for ``pulumi preview --policy-pack policies/<pack>``; :mod:`.report` fills in the
CNCF checklist. Nothing here imports the components.
"""

from pulumi_llmd.policies.check import (
    CONFORMANCE_PACK,
    PRACTICES_PACK,
    CheckInputError,
    CheckResult,
    Finding,
    load_render,
    run_checks,
)
from pulumi_llmd.policies.model import Assessment, Enforcement, Resource, Status, Violation
from pulumi_llmd.policies.requirements import DEFAULT_VERSION, REQUIREMENTS, VERSIONS, Level, Requirement

__all__ = [
    "CONFORMANCE_PACK",
    "DEFAULT_VERSION",
    "PRACTICES_PACK",
    "REQUIREMENTS",
    "VERSIONS",
    "Assessment",
    "CheckInputError",
    "CheckResult",
    "Enforcement",
    "Finding",
    "Level",
    "Requirement",
    "Resource",
    "Status",
    "Violation",
    "load_render",
    "run_checks",
]
