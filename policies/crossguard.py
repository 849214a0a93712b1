"""The CrossGuard (Pulumi policy-as-code) form of the rules: policy objects for the two packs.

``policies/kubernetes-ai-conformance/__main__.py`` and ``policies/llm-d-practices/__main__.py`` hand these lists to
``pulumi_policy.PolicyPack`` (which starts a gRPC server and never returns: construct packs only there, never in
tests). The validate functions adapt CrossGuard's arguments to :class:`~pulumi_llmd.policies.model.Resource` and
call the same rule functions ``pulumi-llmd check`` runs offline.

Conformance policies are stack policies named by the checklist id (``accelerator_metrics``), each with
``PolicyComplianceFramework(name="cncf-k8s-ai-conformance", version=<checklist version>, reference=<KAR id>)``.
The checklist version comes from the policy config ``karVersion`` (1.33-1.37; default: the pack's version, 1.37
unless ``LLMD_KAR_VERSION`` says otherwise when the pack starts). Enforcement follows the level in that version
(MUST mandatory, SHOULD advisory); :func:`pack_config` writes the matching ``--policy-pack-config`` file for another
version, since CrossGuard fixes a policy's enforcement level before its validate function runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import _is_unknown

from pulumi_llmd.policies import practices
from pulumi_llmd.policies.conformance import ASSESSORS
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.model import Enforcement, Resource, Status
from pulumi_llmd.policies.requirements import (
    DEFAULT_VERSION,
    FRAMEWORK,
    REQUIREMENTS,
    VERSIONS,
    Level,
    Requirement,
    normalize_version,
)

#: The policy config property that selects the checklist version.
VERSION_KEY = "karVersion"


def enforcement_level(requirement: Requirement, version: str) -> EnforcementLevel:
    """MUST -> MANDATORY, SHOULD -> ADVISORY; a requirement the version does not list -> DISABLED."""
    level = requirement.level(version)
    if level is None:
        return EnforcementLevel.DISABLED
    return EnforcementLevel.MANDATORY if level is Level.MUST else EnforcementLevel.ADVISORY


def _to_level(enforcement: Enforcement) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if enforcement is Enforcement.MANDATORY else EnforcementLevel.ADVISORY


#: What an unknown value (computed during ``pulumi preview``) reads as; the render uses the same marker.
UNKNOWN_MARKER = "[unknown]"


def plain(value: Any) -> Any:
    """CrossGuard props as plain dicts and lists, unknown preview values replaced by ``[unknown]``.

    CrossGuard wraps props in proxies that raise on unknown values; a stack rule reads every resource, so one
    unknown field anywhere would otherwise void the whole policy.
    """
    if isinstance(value, Mapping):
        target = value["__target"] if _is_proxy(value) else value
        return {str(k): plain(v) for k, v in target.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        target = value["__target"] if _is_proxy(value) else value  # type: ignore[call-overload]
        return [plain(v) for v in target]
    if isinstance(value, str) and _is_unknown(value):
        return UNKNOWN_MARKER
    return value


def _is_proxy(value: object) -> bool:
    return type(value).__name__ in ("_DictProxy", "_ListProxy")


def stack_resources(resources: Iterable[PolicyResource]) -> list[Resource]:
    """CrossGuard's stack resources as rule :class:`Resource` objects (props are the resources' properties)."""
    return [Resource(type=r.resource_type, name=r.name, urn=r.urn, props=plain(r.props)) for r in resources]


def _config_version(config: Mapping[str, Any], default: str) -> str:
    return normalize_version(str(config.get(VERSION_KEY) or default))


def conformance_validator(requirement: Requirement, default_version: str) -> Any:
    """The validate function of one conformance policy (``(StackValidationArgs, report_violation) -> None``)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        version = _config_version(args.get_config(), default_version)
        if not requirement.in_version(version):
            args.not_applicable(f"{requirement.id} is not a requirement of AI conformance v{version}")
        assessment = ASSESSORS[requirement.id](Graph(stack_resources(args.resources)))
        if assessment.status is Status.NOT_APPLICABLE:
            args.not_applicable(assessment.notes)
        if assessment.status in (Status.PARTIAL, Status.NOT_IMPLEMENTED):
            for violation in assessment.violations or ():
                report_violation(f"[{requirement.reference}] {violation.message}", violation.urn)
            if not assessment.violations:
                report_violation(f"[{requirement.reference}] {assessment.notes}", None)

    return validate


def conformance_policies(version: str = DEFAULT_VERSION) -> list[Policy]:
    """One stack policy per requirement of any carried checklist version, enforced as checklist ``version`` says."""
    version = normalize_version(version)
    schema = PolicyConfigSchema(
        properties={VERSION_KEY: {"type": "string", "enum": list(VERSIONS), "default": version}},
    )
    policies: list[Policy] = []
    for requirement in REQUIREMENTS:
        level = requirement.level(version)
        condition = f" Applies if {requirement.condition}." if requirement.condition else ""
        policies.append(
            StackValidationPolicy(
                name=requirement.id,
                description=(
                    f"{requirement.title} ({requirement.reference}, {level or 'not listed'} in v{version}).{condition}"
                ),
                validate=conformance_validator(requirement, version),
                enforcement_level=(
                    EnforcementLevel.ADVISORY if level is None else enforcement_level(requirement, version)
                ),
                config_schema=schema,
                framework=PolicyComplianceFramework(
                    name=FRAMEWORK, version=version, reference=requirement.reference, specification=requirement.id
                ),
                tags=["ai-conformance", requirement.category],
                remediation_steps=f"What the graph must show: {requirement.graph}.",
                url="https://github.com/cncf/k8s-ai-conformance",
            )
        )
    return policies


def pack_config(version: str) -> dict[str, Any]:
    """``--policy-pack-config`` content for checklist ``version``: enforcement level and ``karVersion`` per policy."""
    version = normalize_version(version)
    return {r.id: {"enforcementLevel": enforcement_level(r, version).value, VERSION_KEY: version} for r in REQUIREMENTS}


def resource_validator(rule: practices.ResourceRule) -> Any:
    """The validate function of one per-resource practice policy."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = Resource(type=args.resource_type, name=args.name, urn=args.urn, props=plain(args.props))
        for violation in rule.check(resource):
            report_violation(violation.message, None)

    return validate


def stack_validator(rule: practices.StackRule) -> Any:
    """The validate function of one stack-wide practice policy."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule.check(Graph(stack_resources(args.resources))):
            report_violation(violation.message, violation.urn)

    return validate


def practices_policies() -> list[Policy]:
    """The llm-d practices as CrossGuard policies (resource policies and stack policies)."""
    policies: list[Policy] = [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=resource_validator(rule),
            enforcement_level=_to_level(rule.enforcement),
            tags=["llm-d"],
        )
        for rule in practices.RESOURCE_RULES
    ]
    policies += [
        StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=stack_validator(rule),
            enforcement_level=_to_level(rule.enforcement),
            tags=["llm-d"],
        )
        for rule in practices.STACK_RULES
    ]
    return policies
