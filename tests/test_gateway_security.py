"""The endpoint is secure by default (issue 12): HTTPS listeners with a certificate, HTTP only redirecting, IAP on
GKE, JWT on Istio, internal load balancers unless ``public: true``, and every explicit opt-out flagged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.endpoint import AWS_INTERNAL_LB, load_balancer_annotations
from pulumi_llmd.blueprints.posture import insecure_choices
from pulumi_llmd.components.base import Platform
from pulumi_llmd.render.render import RenderResult

GKE = "gke-h100-optimized-baseline"
EKS = "eks-p5-optimized-baseline"
KIND = "kind-simulated-accelerators"
GATEWAY = "llm-d-inference-gateway"


def _manifest(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def _listeners(result: RenderResult) -> dict[str, dict[str, Any]]:
    return {listener["name"]: listener for listener in _manifest(result, "Gateway", GATEWAY)["spec"]["listeners"]}


def _of_type(result: RenderResult, type_: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["type"] == type_]


@pytest.fixture(scope="module")
def gke(rendered: Callable[[str], RenderResult]) -> RenderResult:
    return rendered(GKE)


@pytest.fixture(scope="module")
def eks(rendered: Callable[[str], RenderResult]) -> RenderResult:
    return rendered(EKS)


@pytest.fixture(scope="module")
def kind(rendered: Callable[[str], RenderResult]) -> RenderResult:
    return rendered(KIND)


# --- rendered reference stacks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", [GKE, EKS, KIND])
def test_every_gateway_serves_https_and_http_only_redirects(
    rendered: Callable[[str], RenderResult], stack: str
) -> None:
    result = rendered(stack)
    assert result.ok and result.schema_issues == []
    listeners = _listeners(result)
    assert set(listeners) == {"https", "http"}
    assert listeners["https"]["protocol"] == "HTTPS" and listeners["https"]["port"] == 443
    assert listeners["https"]["tls"]["mode"] == "Terminate"
    assert listeners["http"]["port"] == 80
    redirect = _manifest(result, "HTTPRoute", f"{GATEWAY}-https-redirect")
    (parent,) = redirect["spec"]["parentRefs"]
    assert parent["sectionName"] == "http"
    (rule,) = redirect["spec"]["rules"]
    assert "backendRefs" not in rule
    assert rule["filters"] == [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]
    # The model routes attach to the HTTPS listener only: nothing is served in clear text.
    for route in (m for m in result.manifests if m["kind"] == "HTTPRoute" and m is not redirect):
        assert [p.get("sectionName") for p in route["spec"]["parentRefs"]] == ["https"]


def test_gke_gateway_uses_a_regional_certificate_manager_certificate(gke: RenderResult) -> None:
    https = _listeners(gke)["https"]
    assert https["hostname"] == "llm-d.example.com"
    assert "certificateRefs" not in https["tls"]
    name = https["tls"]["options"]["networking.gke.io/cert-manager-certs"]
    (cert,) = _of_type(gke, "gcp:certificatemanager/certificate:Certificate")
    (auth,) = _of_type(gke, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization")
    assert cert["inputs"]["name"] == name
    assert cert["inputs"]["location"] == auth["inputs"]["location"] == "us-central1"  # regional, like the ALB
    assert cert["inputs"]["managed"]["domains"] == ["llm-d.example.com"]
    assert auth["inputs"]["domain"] == "llm-d.example.com"
    gateway = _manifest(gke, "Gateway", GATEWAY)
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-regional-external-managed"  # public: true


def test_gke_models_sit_behind_iap_and_the_apis_are_enabled(gke: RenderResult) -> None:
    policy = _manifest(gke, "GCPBackendPolicy", "qwen3-32b")
    iap = policy["spec"]["default"]["iap"]
    assert iap["enabled"] is True
    assert iap["clientID"].endswith(".apps.googleusercontent.com")
    assert "oauth2ClientSecret" in iap
    assert policy["spec"]["default"]["timeoutSec"] == 300  # one policy per target: IAP joins the existing one
    services = {r["inputs"]["service"]: r for r in _of_type(gke, "gcp:projects/service:Service")}
    assert {"certificatemanager.googleapis.com", "iap.googleapis.com"} <= set(services)
    assert all(services[s]["inputs"]["disableOnDestroy"] is False for s in services)
    (member,) = _of_type(gke, "gcp:iap/webIamMember:WebIamMember")
    assert member["inputs"]["role"] == "roles/iap.httpsResourceAccessor"
    assert member["inputs"]["member"] == "group:llm-d-users@example.com"
    assert gke.twin is not None and gke.twin.ok


def test_eks_gateway_is_internal_with_cert_manager_tls_and_jwt(eks: RenderResult) -> None:
    gateway = _manifest(eks, "Gateway", GATEWAY)
    assert gateway["spec"]["infrastructure"]["annotations"] == AWS_INTERNAL_LB
    (ref,) = _listeners(eks)["https"]["tls"]["certificateRefs"]
    leaf = _manifest(eks, "Certificate", GATEWAY)
    assert leaf["spec"]["secretName"] == ref["name"]
    assert leaf["spec"]["issuerRef"]["name"] == f"{GATEWAY}-ca"
    assert _manifest(eks, "Certificate", f"{GATEWAY}-ca")["spec"]["isCA"] is True
    assert _manifest(eks, "Issuer", f"{GATEWAY}-selfsigned")["spec"] == {"selfSigned": {}}
    charts = {r["inputs"]["chart"]: r["inputs"] for r in _of_type(eks, "kubernetes:helm.sh/v3:Release")}
    assert charts["cert-manager"]["version"] == "v1.21.1"
    assert charts["cert-manager"]["values"]["crds"]["enabled"] is True
    authn = _manifest(eks, "RequestAuthentication", f"{GATEWAY}-jwt")["spec"]
    target = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY}
    assert authn["targetRefs"] == [target]
    assert authn["jwtRules"] == [
        {
            "issuer": "https://idp.example.com",
            "jwksUri": "https://idp.example.com/.well-known/jwks.json",
            "audiences": ["llm-d"],
        }
    ]
    authz = _manifest(eks, "AuthorizationPolicy", f"{GATEWAY}-require-jwt")["spec"]
    assert authz["targetRefs"] == [target] and authz["action"] == "ALLOW"
    assert authz["rules"] == [{"from": [{"source": {"requestPrincipals": ["https://idp.example.com/*"]}}]}]
    assert eks.twin is not None and eks.twin.ok


def test_kind_gateway_is_cluster_internal_and_flagged_open(kind: RenderResult) -> None:
    gateway = _manifest(kind, "Gateway", GATEWAY)
    assert gateway["metadata"]["annotations"] == {"networking.istio.io/service-type": "ClusterIP"}
    assert kind.insecure_choices is not None
    assert [(c.key, c.value) for c in kind.insecure_choices] == [("llmd:gateway.authentication", "none")]


# --- config ------------------------------------------------------------------------------------------------------


def _base(valid_config: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The shared valid GKE config, plus what other areas of issue 12 may newly require of it (a control-plane
    CIDR list) while the shared fixture catches up."""
    config = valid_config()
    try:
        parse_stack_config(config)
    except ConfigError as exc:
        if any(i.key == "llmd:cluster.controlPlane.authorizedCidrs" for i in exc.issues):
            config.setdefault("cluster", {}).setdefault("controlPlane", {})["authorizedCidrs"] = []
    return config


def _with_gateway(valid_config: Callable[[], dict[str, Any]], gateway: dict[str, Any]) -> dict[str, Any]:
    config = _base(valid_config)
    config["gateway"] = gateway
    return config


def _issues(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    return [str(issue) for issue in info.value.issues]


IAP = {"clientId": "123-abc.apps.googleusercontent.com", "clientSecretName": "iap-oauth"}


def test_gke_defaults_are_internal_and_https(valid_config: Callable[[], dict[str, Any]]) -> None:
    config = parse_stack_config(_base(valid_config))
    assert config.gateway_public is False
    assert config.gateway_class == "gke-l7-rilb"
    assert config.gateway_tls_source == "cert-manager-self-signed"
    public = parse_stack_config(_with_gateway(valid_config, {"public": True, "authentication": {"iap": IAP}}))
    assert public.gateway_class == "gke-l7-regional-external-managed"


@pytest.mark.parametrize(
    ("gateway", "key", "fragment"),
    [
        ({"className": "gke-l7-rilb", "public": True}, "llmd:gateway.public", "contradicts className gke-l7-rilb"),
        ({"public": True}, "llmd:gateway.authentication", "a public gateway needs authentication"),
        (
            {"className": "gke-l7-regional-external-managed"},
            "llmd:gateway.authentication",
            "a public gateway needs authentication",
        ),
        ({"tls": {"mode": "none", "hostname": "a.example.com"}}, "llmd:gateway.tls.mode", "hostname cannot be set"),
        ({"tls": {"hostname": "https://a.example.com"}}, "llmd:gateway.tls.hostname", "lowercase DNS name"),
        ({"tls": {"secretName": "a", "issuer": "b"}}, "llmd:gateway.tls", "name one certificate source"),
        ({"authentication": {}}, "llmd:gateway.authentication", "exactly one of jwt or iap"),
        (
            {"authentication": {"jwt": {"issuer": "https://i", "jwksUri": "https://i/jwks"}}},
            "llmd:gateway.authentication.jwt",
            "istio gateway class only",
        ),
        (
            {"authentication": {"iap": {"clientId": "x"}}},
            "llmd:gateway.authentication.iap.clientSecretName",
            "exactly one of clientSecretName",
        ),
        (
            {"authentication": {"iap": {**IAP, "members": ["alice@example.com"]}}},
            "llmd:gateway.authentication.iap.members[0]",
            "IAM principal",
        ),
        (
            {"tls": {"mode": "none"}, "authentication": {"iap": IAP}},
            "llmd:gateway.authentication.iap",
            "HTTPS load balancer",
        ),
        ({"authentication": "open"}, "llmd:gateway.authentication", ""),
    ],
)
def test_bad_gateway_configs_name_the_key(
    valid_config: Callable[[], dict[str, Any]], gateway: dict[str, Any], key: str, fragment: str
) -> None:
    issues = _issues(_with_gateway(valid_config, gateway))
    assert any(issue.startswith(key) and fragment in issue for issue in issues), issues


def test_iap_client_secret_is_never_echoed(valid_config: Callable[[], dict[str, Any]]) -> None:
    secret = "GOCSPX-very-secret-value-1234567890"
    bad = {"clientId": "x", "clientSecret": secret, "clientSecretName": "also", "members": ["nope"]}
    issues = _issues(_with_gateway(valid_config, {"authentication": {"iap": bad}}))
    assert issues and not any(secret in issue for issue in issues)
    ok = parse_stack_config(
        _with_gateway(valid_config, {"authentication": {"iap": {"clientId": "x", "clientSecret": secret}}})
    )
    assert secret not in repr(ok) and secret not in str(ok.gateway)


def test_self_managed_config_errors(valid_config: Callable[[], dict[str, Any]]) -> None:
    config = _base(valid_config)
    config.pop("cluster", None)
    config["target"] = {"cloud": "existing", "context": "kind-llm-d"}
    config["pools"] = []
    config["models"] = [{"name": "random", "huggingFaceId": "random", "path": "simulated-accelerators"}]
    config["gateway"] = {
        "className": "agentgateway",
        "tls": {"preSharedCertificates": ["c"]},
        "authentication": {"iap": IAP, "jwt": {"issuer": "https://i", "jwksUri": "https://i/jwks"}},
    }
    issues = _issues(config)
    for key in (
        "llmd:gateway.tls.preSharedCertificates",
        "llmd:gateway.authentication.iap",
        "llmd:gateway.authentication.jwt",
        "llmd:gateway.authentication = 'jwt, iap'",
    ):
        assert any(issue.startswith(key) for issue in issues), (key, issues)


# --- posture and load balancers -------------------------------------------------------------------------------------


def test_posture_flags_open_plain_and_self_signed_gateways(valid_config: Callable[[], dict[str, Any]]) -> None:
    open_public = parse_stack_config(
        _with_gateway(valid_config, {"public": True, "authentication": "none", "tls": {"mode": "none"}})
    )
    flagged = {(c.key, c.value): c.why for c in insecure_choices(open_public)}
    assert "internet-facing" in flagged[("llmd:gateway.authentication", "none")]
    assert ("llmd:gateway.tls.mode", "none") in flagged
    secure = parse_stack_config(
        _with_gateway(
            valid_config, {"public": True, "tls": {"hostname": "llm.example.com"}, "authentication": {"iap": IAP}}
        )
    )
    assert not [c for c in insecure_choices(secure) if c.key.startswith("llmd:gateway")]
    internal_default = parse_stack_config(_base(valid_config))
    keys = {c.key for c in insecure_choices(internal_default)}
    assert {"llmd:gateway.authentication", "llmd:gateway.tls.issuer"} <= keys


def test_load_balancer_annotations(valid_config: Callable[[], dict[str, Any]]) -> None:
    internal = parse_stack_config(_base(valid_config))
    public = parse_stack_config(_with_gateway(valid_config, {"public": True, "authentication": "none"}))
    assert load_balancer_annotations(internal, Platform.EKS) == ({}, AWS_INTERNAL_LB)
    assert load_balancer_annotations(public, Platform.EKS) == (
        {},
        {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
    )
    assert load_balancer_annotations(internal, Platform.GKE) == ({}, {})
