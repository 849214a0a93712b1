"""Prometheus over HTTPS on kube-prometheus-stack targets (EKS, existing clusters), with cert-manager certificates
from a cluster-internal CA, client certificates for KEDA, prometheus-adapter, Grafana and the self-scrape, and no
implicit insecure choice in the render."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import parse_stack_config
from pulumi_llmd.blueprints.posture import insecure_choices
from pulumi_llmd.components.platform.cert_manager import INTERNAL_CA_ISSUER, certificate_manifest
from pulumi_llmd.components.platform.monitoring import (
    PROMETHEUS_CLIENT_AUTH_TYPE,
    adapter_tls_values,
    grafana_tls_datasource_values,
    prometheus_dns_names,
    prometheus_web_tls_values,
)
from pulumi_llmd.components.serving.autoscaling import keda_tls_trigger_authentication
from pulumi_llmd.render.render import RenderResult, render_stack

STACK = "eks-p5-workload-autoscaling"
URL = "https://kube-prometheus-stack-prometheus.monitoring.svc"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_stack(STACK, project_dir=REPO)


def _manifests(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def _release(result: RenderResult, chart: str) -> dict[str, Any]:
    (release,) = [
        r["inputs"]
        for r in result.resources
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"].get("chart") == chart
    ]
    return release


def _urn(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    (resource,) = [
        r
        for r in result.resources
        if r["type"].endswith(f":{kind}") and (r["inputs"].get("metadata") or {}).get("name") == name
    ]
    return resource


# --- pure values -----------------------------------------------------------------------------------------------------


def test_web_tls_values_serve_https_and_verify_given_client_certificates() -> None:
    values = prometheus_web_tls_values()
    tls = values["prometheusSpec"]["web"]["tlsConfig"]
    assert tls["cert"] == {"secret": {"name": "prometheus-web-tls", "key": "tls.crt"}}
    assert tls["keySecret"] == {"name": "prometheus-web-tls", "key": "tls.key"}
    assert tls["client_ca"] == {"secret": {"name": "prometheus-web-tls", "key": "ca.crt"}}
    # Required client certificates break the operator's kubelet probes (prometheus-operator #5419).
    assert tls["clientAuthType"] == PROMETHEUS_CLIENT_AUTH_TYPE == "VerifyClientCertIfGiven"
    monitor = values["serviceMonitor"]
    assert monitor["scheme"] == "https"
    assert monitor["tlsConfig"]["serverName"] == "kube-prometheus-stack-prometheus.monitoring.svc"
    assert monitor["tlsConfig"]["cert"]["secret"]["name"] == "prometheus-self-scrape-client"


def test_serving_certificate_names_cover_both_services() -> None:
    assert prometheus_dns_names() == [
        "kube-prometheus-stack-prometheus.monitoring.svc",
        "kube-prometheus-stack-prometheus.monitoring.svc.cluster.local",
        "prometheus-operated.monitoring.svc",
        "prometheus-operated.monitoring.svc.cluster.local",
    ]


def test_grafana_datasource_verifies_prometheus_and_presents_a_client_certificate() -> None:
    values = grafana_tls_datasource_values()
    assert values["sidecar"]["datasources"]["defaultDatasourceEnabled"] is False
    (mount,) = values["extraSecretMounts"]
    assert mount["secretName"] == "grafana-prometheus-client" and mount["readOnly"] is True
    (source,) = values["additionalDataSources"]
    assert source["url"] == f"{URL}:9090" and source["isDefault"] is True
    assert source["jsonData"]["tlsAuth"] is True and source["jsonData"]["tlsAuthWithCACert"] is True
    assert "tlsSkipVerify" not in source["jsonData"]
    assert source["secureJsonData"]["tlsCACert"] == f"$__file{{{mount['mountPath']}/ca.crt}}"


def test_adapter_flags_read_the_mounted_client_certificate() -> None:
    values = adapter_tls_values()
    assert values["extraVolumes"] == [
        {"name": "prometheus-client", "secret": {"secretName": "prometheus-adapter-client"}}
    ]
    assert sorted(a.split("=")[0] for a in values["extraArguments"]) == [
        "--prometheus-ca-file",
        "--prometheus-client-tls-cert-file",
        "--prometheus-client-tls-key-file",
    ]


def test_keda_trigger_authentication_has_ca_cert_and_key() -> None:
    refs = keda_tls_trigger_authentication("s")["secretTargetRef"]
    assert {(r["parameter"], r["key"]) for r in refs} == {("ca", "ca.crt"), ("cert", "tls.crt"), ("key", "tls.key")}
    assert {r["name"] for r in refs} == {"s"}


def test_certificate_manifest_is_awaited_and_rejects_bad_input() -> None:
    cert = certificate_manifest(name="c", namespace="n", secret_name="c", usages=["client auth"], common_name="keda")
    assert cert["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    assert cert["spec"]["issuerRef"] == {
        "name": INTERNAL_CA_ISSUER,
        "kind": "ClusterIssuer",
        "group": "cert-manager.io",
    }
    assert "client auth" in cert["spec"]["usages"]
    with pytest.raises(ValueError, match="usages"):
        certificate_manifest(name="c", namespace="n", secret_name="c", usages=[], common_name="x")
    with pytest.raises(ValueError, match="dns_names"):
        certificate_manifest(name="c", namespace="n", secret_name="c", usages=["server auth"])


# --- the rendered stack ----------------------------------------------------------------------------------------------


def test_render_is_clean(rendered: RenderResult) -> None:
    assert rendered.ok, rendered
    assert rendered.policy is not None and rendered.policy.mandatory == []
    assert rendered.twin is not None and rendered.twin.ok, rendered.twin.findings


def test_no_implicit_insecure_choice(rendered: RenderResult) -> None:
    assert rendered.insecure_choices is not None
    assert not [c for c in rendered.insecure_choices if "autoscaling" in c.key]
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    config = parse_stack_config({k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")})
    assert not [c for c in insecure_choices(config) if "HTTP" in c.value]


def test_internal_ca_and_certificates(rendered: RenderResult) -> None:
    issuers = {m["metadata"]["name"]: m["spec"] for m in _manifests(rendered, "ClusterIssuer")}
    assert issuers["llm-d-selfsigned"] == {"selfSigned": {}}
    assert issuers[INTERNAL_CA_ISSUER] == {"ca": {"secretName": INTERNAL_CA_ISSUER}}
    certs = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in _manifests(rendered, "Certificate")}
    ca = certs[("cert-manager", INTERNAL_CA_ISSUER)]["spec"]
    assert ca["isCA"] is True
    serving = certs[("monitoring", "prometheus-web")]["spec"]
    assert serving["secretName"] == "prometheus-web-tls" and "server auth" in serving["usages"]
    assert serving["dnsNames"] == prometheus_dns_names()
    for key in (
        ("monitoring", "grafana-prometheus-client"),
        ("monitoring", "prometheus-adapter-client"),
        ("monitoring", "prometheus-self-scrape-client"),
        ("llm-d-workload-autoscaling", "qwen3-32b-keda-prometheus-client"),
    ):
        spec = certs[key]["spec"]
        assert "client auth" in spec["usages"] and spec["issuerRef"]["name"] == INTERNAL_CA_ISSUER
        assert certs[key]["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}


def test_certificates_follow_cert_manager_and_scaled_objects_follow_their_secret(rendered: RenderResult) -> None:
    """The ClusterIssuer chain waits for the cert-manager release (CRDs, fail-closed webhook); the TriggerAuthentication
    for KEDA's client Certificate (awaited Ready: its Secret exists); the ScaledObject for the TriggerAuthentication."""
    by_urn = {r["urn"]: r for r in rendered.resources}
    deps = {r["urn"]: set(r.get("dependencies") or []) for r in rendered.resources}

    def waits(urn: str, target: str, seen: set[str] | None = None) -> bool:
        seen = seen if seen is not None else set()
        for dep in deps.get(urn, set()):
            if dep == target or (dep not in seen and not seen.add(dep) and waits(dep, target, seen)):  # type: ignore[func-returns-value]
                return True
        return False

    if not any(deps.values()):
        pytest.skip("the render records no dependencies; the twin's ordering check covers it (test_render_is_clean)")
    cert_manager = next(u for u, r in by_urn.items() if r["inputs"].get("chart") == "cert-manager")
    issuer = _urn(rendered, "ClusterIssuer", INTERNAL_CA_ISSUER)["urn"]
    assert waits(issuer, cert_manager)
    keda_cert = _urn(rendered, "Certificate", "qwen3-32b-keda-prometheus-client")["urn"]
    auth = _urn(rendered, "TriggerAuthentication", "qwen3-32b-keda-prometheus-auth")["urn"]
    scaled = _urn(rendered, "ScaledObject", "qwen3-32b-decode")["urn"]
    assert waits(auth, keda_cert) and waits(scaled, auth)


def test_trigger_authentication_and_triggers(rendered: RenderResult) -> None:
    (auth,) = _manifests(rendered, "TriggerAuthentication")
    assert auth["spec"] == keda_tls_trigger_authentication("qwen3-32b-keda-prometheus-client")
    (scaled,) = _manifests(rendered, "ScaledObject")
    for trigger in scaled["spec"]["triggers"]:
        assert trigger["metadata"]["serverAddress"] == f"{URL}:9090"
        assert trigger["metadata"]["authModes"] == "tls"
        assert trigger["metadata"].get("unsafeSsl", "false") == "false"
        assert trigger["authenticationRef"] == {"name": "qwen3-32b-keda-prometheus-auth"}


def test_helm_values_of_prometheus_adapter_and_grafana(rendered: RenderResult) -> None:
    stack = _release(rendered, "kube-prometheus-stack")
    values = stack["values"]
    assert values["prometheus"]["prometheusSpec"]["web"] == prometheus_web_tls_values()["prometheusSpec"]["web"]
    assert values["grafana"]["additionalDataSources"] == grafana_tls_datasource_values()["additionalDataSources"]
    # The release's pods mount Secrets issued after it: it is not awaited (skipAwait) but still creates the namespace.
    assert stack.get("skipAwait") is True and stack.get("createNamespace") is True
    adapter = _release(rendered, "prometheus-adapter")["values"]
    assert adapter["prometheus"] == {"url": URL, "port": 9090}
    assert adapter["extraArguments"] == adapter_tls_values()["extraArguments"]
    (policy,) = [m for m in _manifests(rendered, "NetworkPolicy") if m["metadata"]["name"] == "prometheus-api"]
    assert policy["metadata"]["namespace"] == "monitoring"


def test_every_stack_renders_clean() -> None:
    """Every reference stack renders with exit 0, no mandatory violation and a clean twin (kube-prometheus-stack
    targets now carry cert-manager, the internal CA and the HTTPS Prometheus)."""
    failures = []
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        name = path.stem.removeprefix("Pulumi.")
        result = render_stack(name, project_dir=REPO)
        clean = result.ok and result.policy is not None and not result.policy.mandatory
        if not clean or result.twin is None or not result.twin.ok:
            failures.append(name)
        choices = result.insecure_choices or []
        assert not [c for c in choices if "HTTP" in c.value and "autoscaling" in c.key], name
    assert failures == [], json.dumps(failures)
