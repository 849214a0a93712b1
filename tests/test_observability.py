"""The operations view: llm-d's Grafana dashboards and EPP alert rules are carried in the package with their sources,
deployed with kube-prometheus-stack (ConfigMaps for the Grafana sidecar, a PrometheusRule) on EKS and existing
clusters, and as managed-Prometheus Rules plus a Cloud Monitoring dashboard on GKE; Grafana is secured."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_llmd.components.gcp.monitoring import cloud_monitoring_dashboard, gmp_rules_manifest
from pulumi_llmd.components.platform.monitoring import grafana_values
from pulumi_llmd.components.platform.observability import (
    DS_VARIABLE,
    GRAFANA_DASHBOARD_LABEL,
    epp_alert_groups,
    grafana_dashboards,
    vendored_sources,
)
from pulumi_llmd.render.render import RenderResult
from pulumi_llmd.render.validation import SchemaValidator

#: llm-d's seven dashboards (llm-d/llm-d guides/recipes/observability/grafana/dashboards, v0.9.0-era tree).
UPSTREAM_DASHBOARDS = {
    "llm-d-diagnostic-drilldown-dashboard",
    "llm-d-failure-saturation-dashboard",
    "llm-d-inference-gateway",
    "llm-d-pd-coordinator-metrics",
    "llm-d-performance-kv-cache",
    "llm-d-sglang-overview",
    "llm-d-vllm-overview",
}
SELF_MANAGED = ["eks-p5-optimized-baseline", "kind-simulated-accelerators"]


def _objects(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def _release_values(result: RenderResult, chart: str) -> dict[str, Any]:
    for r in result.resources:
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"].get("chart") == chart:
            values: dict[str, Any] = r["inputs"]["values"]
            return values
    raise AssertionError(f"no {chart} release")


def test_every_carried_file_has_a_source_row_and_matching_sha256() -> None:
    folder = importlib.resources.files("pulumi_llmd").joinpath("observability")
    sources = vendored_sources()
    carried = {p.name for p in folder.iterdir() if p.name.endswith((".json", ".yaml"))}
    assert carried == set(sources)
    assert {name.removesuffix(".json") for name in carried if name.endswith(".json")} == UPSTREAM_DASHBOARDS
    assert "epp-alerting-rules.yaml" in carried
    for name, row in sources.items():
        assert row.repository == "llm-d/llm-d"
        assert len(row.commit) == 40
        assert row.path.startswith("guides/recipes/observability/")
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == row.sha256


def test_dashboards_are_provisionable_and_keep_upstream_panels() -> None:
    folder = importlib.resources.files("pulumi_llmd").joinpath("observability")
    boards = grafana_dashboards()
    assert set(boards) == UPSTREAM_DASHBOARDS
    for name, board in boards.items():
        upstream = json.loads(folder.joinpath(f"{name}.json").read_bytes())
        assert board["panels"] == upstream["panels"]
        assert board["uid"]
        # ${DS_PROMETHEUS} resolves through a data-source variable under file provisioning.
        assert any(v["name"] == DS_VARIABLE and v["type"] == "datasource" for v in board["templating"]["list"])


@pytest.mark.parametrize("stack", SELF_MANAGED)
def test_self_managed_prometheus_gets_dashboards_and_rules(stack: str, rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(stack)
    maps = {
        m["metadata"]["name"]: m for m in _objects(result, "ConfigMap") if m["metadata"]["name"].startswith("llm-d-")
    }
    assert set(maps) == UPSTREAM_DASHBOARDS
    for name, cm in maps.items():
        assert cm["metadata"]["namespace"] == "monitoring"
        assert cm["metadata"]["labels"][GRAFANA_DASHBOARD_LABEL] == "1"
        assert json.loads(cm["data"][f"{name}.json"])["panels"] == grafana_dashboards()[name]["panels"]
    (rule,) = _objects(result, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == "monitoring"
    assert rule["spec"]["groups"] == epp_alert_groups()
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"EPPHighErrorRatio", "EPPNoReadyEndpoints", "EPPMetricsAbsent"} <= alerts
    validator = SchemaValidator()
    for obj in [*maps.values(), rule]:
        assert validator.validate(obj) == [], obj["metadata"]["name"]
    assert result.ok and result.policy_ok and result.twin_ok
    prom = _release_values(result, "kube-prometheus-stack")["prometheus"]["prometheusSpec"]
    assert prom["ruleSelectorNilUsesHelmValues"] is False


def test_grafana_is_on_private_and_has_no_plain_text_password(rendered: Callable[[str], RenderResult]) -> None:
    grafana = _release_values(rendered("eks-p5-optimized-baseline"), "kube-prometheus-stack")["grafana"]
    assert grafana["enabled"] is True
    # The chart default "prom-operator" is cleared: the grafana chart generates a random one into a Secret.
    assert grafana["adminPassword"] == ""
    assert "prom-operator" not in json.dumps(grafana)
    assert grafana["ingress"] == {"enabled": False}
    assert grafana["service"]["type"] == "ClusterIP"
    assert grafana["grafana.ini"]["auth.anonymous"]["enabled"] is False
    assert grafana["sidecar"]["dashboards"]["label"] == GRAFANA_DASHBOARD_LABEL


def test_grafana_admin_from_an_existing_secret() -> None:
    values = grafana_values("monitoring", "grafana-admin")
    assert values["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert values["adminPassword"] == ""


def test_gke_gets_managed_prometheus_rules_and_a_cloud_monitoring_dashboard(
    flagship: RenderResult,
) -> None:
    namespace = "llm-d-optimized-baseline"
    (rules,) = _objects(flagship, "Rules")
    assert rules["apiVersion"] == "monitoring.googleapis.com/v1"
    assert rules["metadata"] == {"name": "epp-alerting-rules", "namespace": namespace}
    assert [g["name"] for g in rules["spec"]["groups"]] == [g["name"] for g in epp_alert_groups()]
    assert all(g["interval"] for g in rules["spec"]["groups"])
    assert SchemaValidator().validate(rules) == []
    # No self-managed stack on GKE: no Grafana ConfigMaps, no PrometheusRule.
    assert not _objects(flagship, "PrometheusRule")
    (dashboard,) = [r for r in flagship.resources if r["type"] == "gcp:monitoring/dashboard:Dashboard"]
    body = json.loads(dashboard["inputs"]["dashboardJson"])
    queries = [
        t["widget"]["xyChart"]["dataSets"][0]["timeSeriesQuery"]["prometheusQuery"]
        for t in body["mosaicLayout"]["tiles"]
    ]
    assert any("llm_d_epp_request_total" in q for q in queries)
    assert any("vllm:time_to_first_token_seconds_bucket" in q for q in queries)
    assert all(f'namespace="{namespace}"' in q for q in queries)
    assert flagship.ok and flagship.policy_ok and flagship.twin_ok


def test_gmp_rules_keep_groups_and_add_the_required_interval() -> None:
    groups = [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0", "for": "5m", "labels": {"severity": "x"}}]}]
    manifest = gmp_rules_manifest(name="r", namespace="ns", groups=groups)
    assert manifest["spec"]["groups"] == [{"name": "g", "interval": "30s", "rules": groups[0]["rules"]}]
    with pytest.raises(ValueError, match="at least one rule group"):
        gmp_rules_manifest(name="r", namespace="ns", groups=[])


def test_cloud_monitoring_dashboard_layout_is_a_mosaic_of_promql_charts() -> None:
    body = cloud_monitoring_dashboard(display_name="llm-d x", namespace="x")
    tiles = body["mosaicLayout"]["tiles"]
    assert body["displayName"] == "llm-d x"
    assert all(t["xPos"] + t["width"] <= body["mosaicLayout"]["columns"] for t in tiles)
    assert len({(t["xPos"], t["yPos"]) for t in tiles}) == len(tiles)
