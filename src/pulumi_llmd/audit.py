"""Security posture of a render: what a stack would expose once deployed, counted from the render's own files.

:func:`audit_render` reads ``resources.json`` and ``manifests.yaml`` (the offline render) and reports, per class:

``plain-http-listener``
    a Gateway listener with ``protocol: HTTP`` that serves traffic (an HTTPRoute attached to it forwards to a
    backend) instead of only redirecting to HTTPS.
``unauthenticated-gateway``
    a Gateway with no authentication attached: GKE - no ``GCPBackendPolicy`` with IAP enabled or a Cloud Armor
    ``securityPolicy`` in its namespace; Istio - no ``RequestAuthentication`` *and* ``AuthorizationPolicy``
    targeting it; agentgateway - no ``AgentgatewayPolicy`` with JWT authentication targeting it.
``namespace-without-default-deny``
    a Namespace the stack creates without a default-deny for ingress and egress (the llm-d practices' rule
    ``namespace-default-deny``).
``open-control-plane``
    a GKE cluster whose public endpoint has no master authorized networks (or authorizes ``0.0.0.0/0``), or an EKS
    cluster whose public endpoint is open to ``0.0.0.0/0``.
``image-without-digest``
    a container image pinned by tag but not by ``@sha256:`` digest (the practices' rule ``images-by-digest``;
    moving tags are the mandatory ``images-pinned`` violations).

Each finding records whether the gateway is *public* (an internet-facing load balancer: GKE's external classes, or a
self-managed gateway without an internal-load-balancer annotation) so a report can tell "an internal endpoint without
authentication" from "an unauthenticated API on the internet". Pure and offline: it never contacts a cluster.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from pulumi_llmd.policies.check import resources_from_render
from pulumi_llmd.policies.graph import Graph
from pulumi_llmd.policies.practices import check_images_by_digest, check_namespace_default_deny

#: GKE GatewayClasses whose load balancer is internet-facing (GKE "GatewayClass capabilities").
GKE_EXTERNAL_CLASSES: Final = frozenset(
    {"gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-gxlb"}
)
#: GKE GatewayClasses served by an internal load balancer.
GKE_INTERNAL_CLASSES: Final = frozenset({"gke-l7-rilb", "gke-l7-cross-regional-internal-managed-mc"})
#: Service annotations (set through a Gateway's ``spec.infrastructure.annotations``) that make a self-managed
#: gateway's LoadBalancer Service internal: AWS Load Balancer Controller ``aws-load-balancer-scheme: internal``,
#: the in-tree AWS ``aws-load-balancer-internal``, GKE ``networking.gke.io/load-balancer-type: Internal``, Azure
#: ``azure-load-balancer-internal``; Istio's ``networking.istio.io/service-type`` ClusterIP/NodePort is not exposed.
INTERNAL_LB_ANNOTATIONS: Final = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
    "networking.gke.io/load-balancer-type": {"Internal", "internal"},
    "cloud.google.com/load-balancer-type": {"Internal", "internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
    "networking.istio.io/service-type": {"ClusterIP", "NodePort"},
}
CLASSES: Final = (
    "plain-http-listener",
    "unauthenticated-gateway",
    "namespace-without-default-deny",
    "open-control-plane",
    "image-without-digest",
)
_EVERYWHERE: Final = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass(frozen=True, order=True)
class Finding:
    """One posture finding: its class (one of :data:`CLASSES`), the object (``Kind namespace/name`` or the
    resource's type and name), whether it is reachable from the internet, and a one-line detail."""

    kind: str
    subject: str
    public: bool
    detail: str


@dataclass
class PostureReport:
    """All findings of one render, and counts by class (public findings counted separately)."""

    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str, *, public_only: bool = False) -> int:
        """How many findings of ``kind`` (one of :data:`CLASSES`), only the public ones with ``public_only``."""
        return sum(1 for f in self.findings if f.kind == kind and (f.public or not public_only))

    def summary(self) -> dict[str, int]:
        """``{class: count}`` for every class in :data:`CLASSES` (zeros included)."""
        return {kind: self.count(kind) for kind in CLASSES}


def _objects(render_dir: Path) -> list[dict[str, Any]]:
    text = (render_dir / "manifests.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def _subject(obj: Mapping[str, Any]) -> str:
    namespace, name = _meta(obj)
    return f"{obj.get('kind')} {namespace + '/' if namespace else ''}{name}"


def _is_public(gateway: Mapping[str, Any]) -> bool:
    spec = gateway.get("spec") or {}
    cls = str(spec.get("gatewayClassName", ""))
    if cls in GKE_EXTERNAL_CLASSES:
        return True
    if cls in GKE_INTERNAL_CLASSES:
        return False
    # Istio reads networking.istio.io/service-type from the Gateway's own annotations; the cloud LB annotations reach
    # the generated Service through spec.infrastructure.annotations (Gateway API GEP-1867).
    annotations = {
        **((gateway.get("metadata") or {}).get("annotations") or {}),
        **((spec.get("infrastructure") or {}).get("annotations") or {}),
    }
    return not any(str(annotations.get(key)) in values for key, values in INTERNAL_LB_ANNOTATIONS.items())


def _targets(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = policy.get("spec") or {}
    refs = list(spec.get("targetRefs") or [])
    if spec.get("targetRef"):
        refs.append(spec["targetRef"])
    return refs


def _targets_gateway(policy: Mapping[str, Any], gateway: Mapping[str, Any]) -> bool:
    namespace, name = _meta(gateway)
    if _meta(policy)[0] != namespace:
        return False
    if any(ref.get("kind") == "Gateway" and ref.get("name") == name for ref in _targets(policy)):
        return True
    selector = ((policy.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return selector.get("gateway.networking.k8s.io/gateway-name") == name


def _authenticated(gateway: Mapping[str, Any], objects: list[dict[str, Any]]) -> bool:
    namespace, _ = _meta(gateway)
    cls = str((gateway.get("spec") or {}).get("gatewayClassName", ""))
    if cls.startswith("gke-"):
        for obj in objects:
            if obj.get("kind") == "GCPBackendPolicy" and _meta(obj)[0] == namespace:
                default = (obj.get("spec") or {}).get("default") or {}
                if (default.get("iap") or {}).get("enabled") or default.get("securityPolicy"):
                    return True
        return False
    kinds = {obj.get("kind") for obj in objects if _targets_gateway(obj, gateway)}
    if {"RequestAuthentication", "AuthorizationPolicy"} <= kinds:
        return True
    return any(
        obj.get("kind") == "AgentgatewayPolicy"
        and _targets_gateway(obj, gateway)
        and ((obj.get("spec") or {}).get("traffic") or {}).get("jwtAuthentication")
        for obj in objects
    )


def _serving_routes(gateway: Mapping[str, Any], listener: str, objects: list[dict[str, Any]]) -> list[str]:
    namespace, name = _meta(gateway)
    serving = []
    for route in objects:
        if route.get("kind") != "HTTPRoute":
            continue
        spec = route.get("spec") or {}
        attached = any(
            ref.get("name") == name
            and ref.get("namespace", _meta(route)[0]) == namespace
            and ref.get("sectionName") in (None, listener)
            for ref in spec.get("parentRefs") or []
        )
        forwards = any(
            rule.get("backendRefs") or not any(f.get("type") == "RequestRedirect" for f in rule.get("filters") or [])
            for rule in spec.get("rules") or [{}]
        )
        if attached and forwards:
            serving.append(_meta(route)[1])
    return serving


def _open_cidrs(cidrs: Any) -> bool:
    nets = []
    for cidr in cidrs or []:
        try:
            nets.append(ipaddress.ip_network(str(cidr), strict=False))
        except ValueError:
            continue
    return any(net in _EVERYWHERE or net.prefixlen == 0 for net in nets)


def _control_planes(resources: list[dict[str, Any]]) -> Iterator[Finding]:
    for res in resources:
        inputs = res.get("inputs") or {}
        subject = f"{res.get('type')} {res.get('name')}"
        if res.get("type") == "gcp:container/cluster:Cluster":
            private = inputs.get("privateClusterConfig") or {}
            if private.get("enablePrivateEndpoint"):
                continue
            blocks = [
                b.get("cidrBlock") for b in (inputs.get("masterAuthorizedNetworksConfig") or {}).get("cidrBlocks") or []
            ]
            if not inputs.get("masterAuthorizedNetworksConfig") or _open_cidrs(blocks):
                yield Finding("open-control-plane", subject, True, "public endpoint without authorized networks")
        elif res.get("type") == "aws:eks/cluster:Cluster":
            vpc = inputs.get("vpcConfig") or {}
            if vpc.get("endpointPublicAccess", True) and (
                not vpc.get("publicAccessCidrs") or _open_cidrs(vpc.get("publicAccessCidrs"))
            ):
                yield Finding("open-control-plane", subject, True, "public endpoint open to 0.0.0.0/0")


def audit_render(render_dir: Path) -> PostureReport:
    """The posture findings of the render in ``render_dir`` (``resources.json`` + ``manifests.yaml``).

    Raises:
        OSError: a missing render file. ValueError: a file that is not JSON/YAML.
    """
    objects = _objects(render_dir)
    resources = json.loads((render_dir / "resources.json").read_text())
    report = PostureReport()
    for gateway in (o for o in objects if o.get("kind") == "Gateway"):
        public = _is_public(gateway)
        for listener in (gateway.get("spec") or {}).get("listeners") or []:
            if listener.get("protocol") == "HTTP":
                routes = _serving_routes(gateway, str(listener.get("name")), objects)
                if routes:
                    detail = f"listener {listener.get('name')} (port {listener.get('port')}) serves {', '.join(routes)}"
                    report.findings.append(Finding("plain-http-listener", _subject(gateway), public, detail))
        if not _authenticated(gateway, objects):
            report.findings.append(
                Finding("unauthenticated-gateway", _subject(gateway), public, "no authentication policy targets it")
            )
    # Default-deny and digests are the llm-d practices' rules (namespace-default-deny, images-by-digest): the audit
    # counts what they find instead of judging again.
    policy_resources = resources_from_render(resources)
    for violation in check_namespace_default_deny(Graph(policy_resources)):
        report.findings.append(Finding("namespace-without-default-deny", violation.where, False, violation.message))
    report.findings.extend(_control_planes(resources))
    for resource in policy_resources:
        for violation in check_images_by_digest(resource):
            report.findings.append(Finding("image-without-digest", violation.where, False, violation.message))
    report.findings.sort()
    return report
