"""What a rule sees and what it returns: resources, violations, enforcement levels, conformance assessments.

A rule sees every resource as a :class:`Resource` ``{type, name, urn, props}``: ``props`` are the engine's
camelCase inputs, exactly what a render's ``resources.json`` holds (``inputs``) and what CrossGuard hands a policy
(``args.props``). Kubernetes objects have type ``kubernetes:<group/version>:<Kind>`` and the manifest as props;
cloud resources keep their provider type (``gcp:container/nodePool:NodePool``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One resource of a stack: provider type token, logical name, URN and input properties (camelCase).

    The derived facts (kind, metadata, namespace ...) are computed once: a resource and its props are never changed
    (the rules read them thousands of times per stack)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]

    @classmethod
    def from_render(cls, entry: Mapping[str, Any]) -> Resource:
        """A ``resources.json`` entry ``{"urn", "type", "name", "parent", "custom", "inputs"}`` as a Resource."""
        return cls(
            type=str(entry["type"]),
            name=str(entry.get("name", "")),
            urn=str(entry.get("urn", "")),
            props=entry.get("inputs") or {},
        )

    @cached_property
    def is_kubernetes(self) -> bool:
        """Whether this is a Kubernetes object (``kubernetes:<group/version>:<Kind>`` with a manifest)."""
        return self.type.startswith("kubernetes:") and "kind" in self.props

    @cached_property
    def kind(self) -> str:
        """The Kubernetes kind (``Deployment``), or the last part of the type token for other resources."""
        kind = self.props.get("kind")
        return str(kind) if isinstance(kind, str) else self.type.rsplit(":", 1)[-1]

    @cached_property
    def api_version(self) -> str:
        """``apiVersion`` of a Kubernetes object (empty for other resources)."""
        value = self.props.get("apiVersion")
        return str(value) if isinstance(value, str) else ""

    @cached_property
    def metadata(self) -> Mapping[str, Any]:
        """``metadata`` of a Kubernetes object (empty mapping otherwise)."""
        meta = self.props.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @cached_property
    def object_name(self) -> str:
        """``metadata.name`` of a Kubernetes object, the ``name`` input of a cloud resource, else the logical name."""
        name = self.metadata.get("name") if self.is_kubernetes else self.props.get("name")
        return str(name) if isinstance(name, str) and name else self.name

    @cached_property
    def namespace(self) -> str:
        """``metadata.namespace`` (empty when cluster-scoped or not a Kubernetes object)."""
        ns = self.metadata.get("namespace")
        return str(ns) if isinstance(ns, str) else ""

    def describe(self) -> str:
        """How reports name a resource: ``apps/v1 Deployment ns/name`` or ``gcp:container/nodePool:NodePool h100``."""
        if self.is_kubernetes:
            where = f"{self.namespace}/" if self.namespace else ""
            return f"{self.api_version} {self.kind} {where}{self.object_name}"
        return f"{self.type} {self.object_name}"


class Enforcement(StrEnum):
    """What a violation does: ``mandatory`` blocks (non-zero exit, blocked deployment); ``advisory`` warns."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class Violation:
    """A rule's finding: the message and the resource it is about (None: the stack as a whole)."""

    message: str
    resource: Resource | None = None

    @property
    def urn(self) -> str | None:
        """The resource's URN (what CrossGuard's ``report_violation`` takes), or None for the stack."""
        return self.resource.urn if self.resource is not None else None

    @property
    def where(self) -> str:
        """The resource as reports name it (``stack`` when the violation is about the whole graph)."""
        return self.resource.describe() if self.resource is not None else "stack"


class Status(StrEnum):
    """A checklist requirement's status, spelled as the CNCF checklist spells it."""

    IMPLEMENTED = "Implemented"
    PARTIAL = "Partially Implemented"
    NOT_IMPLEMENTED = "Not Implemented"
    NOT_APPLICABLE = "N/A"


@dataclass(frozen=True)
class Assessment:
    """What a conformance rule concluded about one requirement from a resource graph.

    ``evidence`` lists the resources that show the requirement is met (``Resource.describe()`` strings, with the
    field that shows it); ``notes`` explains the status (for N/A: why the graph cannot tell or why the condition does
    not hold); ``violations`` are set when the status is Partially / Not Implemented.
    """

    status: Status
    notes: str
    evidence: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = field(default_factory=tuple)
