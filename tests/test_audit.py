"""The posture audit finds each exposure class in a render, and only where it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pulumi_llmd.audit import audit_render

NS = "llm-d"
DIGEST = "sha256:" + "a" * 64


def _render(tmp_path: Path, objects: list[dict[str, Any]], resources: list[dict[str, Any]] | None = None) -> Path:
    """A render folder: ``objects`` in manifests.yaml and, as the render writes them, in resources.json."""
    entries = [
        {
            "type": f"kubernetes:{o.get('apiVersion', 'v1')}:{o['kind']}",
            "name": f"r{i}",
            "urn": f"urn:r{i}",
            "inputs": o,
        }
        for i, o in enumerate(objects)
    ]
    (tmp_path / "manifests.yaml").write_text(yaml.safe_dump_all(objects))
    (tmp_path / "resources.json").write_text(json.dumps([*entries, *(resources or [])]))
    return tmp_path


def _gateway(cls: str, listeners: list[dict[str, Any]], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"gatewayClassName": cls, "listeners": listeners}
    if annotations:
        spec["infrastructure"] = {"annotations": annotations}
    return {"kind": "Gateway", "metadata": {"name": "gw", "namespace": NS}, "spec": spec}


def _route(name: str, section: str | None, *, redirect: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": "gw"}
    if section:
        ref["sectionName"] = section
    rule: dict[str, Any] = (
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}
        if redirect
        else {"backendRefs": [{"name": "pool", "kind": "InferencePool"}]}
    )
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"parentRefs": [ref], "rules": [rule]},
    }


HTTP = {"name": "http", "protocol": "HTTP", "port": 80}
HTTPS = {"name": "https", "protocol": "HTTPS", "port": 443, "tls": {"certificateRefs": [{"name": "cert"}]}}


def test_plain_http_serving_listener_on_a_public_gateway_is_found(tmp_path: Path) -> None:
    report = audit_render(_render(tmp_path, [_gateway("gke-l7-regional-external-managed", [HTTP]), _route("r", None)]))
    assert report.count("plain-http-listener", public_only=True) == 1
    assert report.count("unauthenticated-gateway", public_only=True) == 1


def test_https_with_a_redirect_only_http_listener_and_iap_is_clean(tmp_path: Path) -> None:
    iap = {
        "kind": "GCPBackendPolicy",
        "metadata": {"name": "p", "namespace": NS},
        "spec": {"default": {"iap": {"enabled": True}}, "targetRef": {"kind": "InferencePool", "name": "pool"}},
    }
    objects = [
        _gateway("gke-l7-regional-external-managed", [HTTP, HTTPS]),
        _route("serve", "https"),
        _route("redirect", "http", redirect=True),
        iap,
    ]
    report = audit_render(_render(tmp_path, objects))
    assert report.findings == []
    assert set(report.summary().values()) == {0}


def test_istio_needs_both_request_authentication_and_authorization_policy(tmp_path: Path) -> None:
    target = {"targetRef": {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}}
    authn = {"kind": "RequestAuthentication", "metadata": {"name": "a", "namespace": NS}, "spec": target}
    authz = {"kind": "AuthorizationPolicy", "metadata": {"name": "b", "namespace": NS}, "spec": target}
    gateway = _gateway("istio", [HTTPS])
    assert audit_render(_render(tmp_path, [gateway, authn])).count("unauthenticated-gateway") == 1
    assert audit_render(_render(tmp_path, [gateway, authn, authz])).count("unauthenticated-gateway") == 0


def test_internal_load_balancer_annotation_makes_a_gateway_private(tmp_path: Path) -> None:
    internal = _gateway("istio", [HTTP], {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"})
    report = audit_render(_render(tmp_path, [internal, _route("r", None)]))
    assert report.count("plain-http-listener") == 1
    assert report.count("plain-http-listener", public_only=True) == 0
    assert report.count("unauthenticated-gateway", public_only=True) == 0


def test_a_stack_namespace_needs_a_default_deny_for_both_directions(tmp_path: Path) -> None:
    namespace = {"kind": "Namespace", "metadata": {"name": NS}}
    pod = {"kind": "Deployment", "metadata": {"name": "d", "namespace": NS}, "spec": {"template": {"spec": {}}}}
    ingress_only = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": NS},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    both = {**ingress_only, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    assert audit_render(_render(tmp_path, [namespace, pod, ingress_only])).count("namespace-without-default-deny") == 1
    assert audit_render(_render(tmp_path, [namespace, pod, both])).count("namespace-without-default-deny") == 0
    assert audit_render(_render(tmp_path, [namespace])).count("namespace-without-default-deny") == 1


def test_open_control_planes(tmp_path: Path) -> None:
    gke_open = {"type": "gcp:container/cluster:Cluster", "name": "c", "inputs": {}}
    gke_closed = {
        "type": "gcp:container/cluster:Cluster",
        "name": "c",
        "inputs": {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24"}]}},
    }
    eks_open = {
        "type": "aws:eks/cluster:Cluster",
        "name": "e",
        "inputs": {"vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0"]}},
    }
    eks_private = {
        "type": "aws:eks/cluster:Cluster",
        "name": "e",
        "inputs": {"vpcConfig": {"endpointPublicAccess": False}},
    }
    assert audit_render(_render(tmp_path, [], [gke_open, eks_open])).count("open-control-plane") == 2
    assert audit_render(_render(tmp_path, [], [gke_closed, eks_private])).count("open-control-plane") == 0


def test_images_without_digest_in_any_pod_template(tmp_path: Path) -> None:
    lws = {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": "w", "namespace": NS},
        "spec": {
            "leaderWorkerTemplate": {
                "leaderTemplate": {"spec": {"containers": [{"name": "a", "image": f"x/y:v1@{DIGEST}"}]}},
                "workerTemplate": {"spec": {"initContainers": [{"name": "b", "image": "x/z:v1.2.3"}]}},
            }
        },
    }
    report = audit_render(_render(tmp_path, [lws]))
    assert [f.detail for f in report.findings] == ["container b: image x/z:v1.2.3 is not pinned by digest"]


def test_every_reference_stack_deploys_an_authenticated_tls_endpoint_default_deny_and_a_closed_control_plane() -> None:
    """The posture of what each reference stack deploys (its golden render): no plain-HTTP serving listener, no
    namespace without default-deny, no open control plane, no gateway without authentication unless the stack says
    ``authentication: none`` (and then not a public one), and only images whose digest is still pending in
    ``components/versions.py`` without a digest."""
    from pulumi_llmd.components import versions

    pending = {pin.tagged for name, pin in versions.IMAGE_PINS.items() if pin.digest is None}
    repo = Path(__file__).resolve().parent.parent
    for golden in sorted((repo / "goldens").iterdir()):
        report = audit_render(golden)
        stack = yaml.safe_load((repo / "stacks" / f"Pulumi.{golden.name}.yaml").read_text())["config"]
        open_on_purpose = stack.get("llmd:gateway", {}).get("authentication") == "none"
        assert report.count("plain-http-listener") == 0, golden.name
        assert report.count("namespace-without-default-deny") == 0, golden.name
        assert report.count("open-control-plane") == 0, golden.name
        assert report.count("unauthenticated-gateway", public_only=True) == 0, golden.name
        assert report.count("unauthenticated-gateway") == (1 if open_on_purpose else 0), golden.name
        undigested = {
            f.detail.split("image ", 1)[1].removesuffix(" is not pinned by digest")
            for f in report.findings
            if f.kind == "image-without-digest"
        }
        assert undigested <= pending, (golden.name, undigested - pending)
