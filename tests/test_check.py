"""``pulumi-llmd check`` and the render's policy section: the flagship passes; broken variants of its render fail.

Each variant edits the flagship's ``resources.json`` the way a reviewer might break it by hand and must be caught
with the requirement's id in the output and a non-zero exit.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_stack_file, make_valid_config
from typer.testing import CliRunner

from pulumi_llmd.cli import EXIT_CHECK_VIOLATION, EXIT_CONFIG, EXIT_POLICY, app
from pulumi_llmd.policies.check import CheckInputError, load_render, run_checks
from pulumi_llmd.policies.requirements import DEFAULT_VERSION, for_version
from pulumi_llmd.render.render import RenderResult

runner = CliRunner()
Entries = list[dict[str, Any]]


def _write(tmp_path: Path, resources: Entries) -> Path:
    folder = tmp_path / "render"
    folder.mkdir()
    (folder / "resources.json").write_text(json.dumps(resources))
    return folder


def _inputs(resources: Entries, type_: str, name: str | None = None) -> list[dict[str, Any]]:
    found = [r["inputs"] for r in resources if r["type"] == type_ and (name is None or r["name"] == name)]
    assert found, (type_, name)
    return found


def _manifests(resources: Entries, kind: str) -> list[dict[str, Any]]:
    found = [r["inputs"] for r in resources if r["type"].startswith("kubernetes:") and r["inputs"].get("kind") == kind]
    assert found, kind
    return found


def _decode(resources: Entries) -> dict[str, Any]:
    (dep,) = [d for d in _manifests(resources, "Deployment") if d["metadata"]["name"].endswith("-decode")]
    return dep


def _drop(resources: Entries, match: Callable[[dict[str, Any]], bool]) -> None:
    resources[:] = [r for r in resources if not match(r)]


def _no_dcgm(rs: Entries) -> None:
    _inputs(rs, "gcp:container/cluster:Cluster")[0]["monitoringConfig"]["enableComponents"] = ["SYSTEM_COMPONENTS"]


def _no_kueue(rs: Entries) -> None:
    _drop(rs, lambda r: "kueue" in json.dumps(r))


def _no_hpa(rs: Entries) -> None:
    _drop(rs, lambda r: r["inputs"].get("kind") == "HorizontalPodAutoscaler")


def _fixed_pool(rs: Entries) -> None:
    for pool in _inputs(rs, "gcp:container/nodePool:NodePool", "h100"):
        pool["autoscaling"] = {"minNodeCount": 2, "maxNodeCount": 2}


def _no_pool_autoscaling(rs: Entries) -> None:
    for pool in _inputs(rs, "gcp:container/nodePool:NodePool", "h100"):
        pool.pop("autoscaling")
        pool["nodeCount"] = 2


def _no_monitors(rs: Entries) -> None:
    _drop(rs, lambda r: r["inputs"].get("kind") == "PodMonitoring")


def _no_managed_prometheus(rs: Entries) -> None:
    _inputs(rs, "gcp:container/cluster:Cluster")[0]["monitoringConfig"]["managedPrometheus"] = {"enabled": False}


def _privileged(rs: Entries) -> None:
    _decode(rs)["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True


def _dev_hostpath(rs: Entries) -> None:
    _decode(rs)["spec"]["template"]["spec"]["volumes"].append({"name": "nv", "hostPath": {"path": "/dev/nvidia0"}})


def _no_lws(rs: Entries) -> None:
    _drop(rs, lambda r: r["type"] == "kubernetes:helm.sh/v3:Release" and "lws" in r["inputs"].get("chart", ""))


def _no_gateway_api(rs: Entries) -> None:
    _inputs(rs, "gcp:container/cluster:Cluster")[0].pop("gatewayApiConfig")


def _old_cluster(rs: Entries) -> None:
    _inputs(rs, "gcp:container/cluster:Cluster")[0]["minMasterVersion"] = "1.33"


def _no_adapter(rs: Entries) -> None:
    _drop(rs, lambda r: "custom-metrics" in r["name"])


def _latest_image(rs: Entries) -> None:
    _decode(rs)["spec"]["template"]["spec"]["containers"][0]["image"] = "vllm/vllm-openai:latest"


def _literal_token(rs: Entries) -> None:
    _decode(rs)["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "HF_TOKEN", "value": "hf_x"})


def _no_network_policies(rs: Entries) -> None:
    _drop(rs, lambda r: r["inputs"].get("kind") == "NetworkPolicy")


def _no_pdb(rs: Entries) -> None:
    _drop(rs, lambda r: r["inputs"].get("kind") == "PodDisruptionBudget")


def _tp_mismatch(rs: Entries) -> None:
    args = _decode(rs)["spec"]["template"]["spec"]["containers"][0]["args"]
    args[:] = [a.replace("--tensor-parallel-size=2", "--tensor-parallel-size=4") for a in args]


def _unequal_gpu_limits(rs: Entries) -> None:
    _decode(rs)["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] = 1


VARIANTS: list[tuple[str, Callable[[Entries], None], str]] = [
    ("no DCGM", _no_dcgm, "accelerator_metrics (KAR-0059)"),
    ("no Kueue", _no_kueue, "gang_scheduling (KAR-0053)"),
    ("no HPA", _no_hpa, "pod_autoscaling (KAR-0057)"),
    ("no metrics adapter", _no_adapter, "pod_autoscaling (KAR-0057)"),
    ("fixed-size pool", _fixed_pool, "cluster_autoscaling (KAR-0055)"),
    ("no pool autoscaling", _no_pool_autoscaling, "cluster_autoscaling (KAR-0055)"),
    ("no PodMonitorings", _no_monitors, "ai_service_metrics (KAR-0061)"),
    ("managed Prometheus off", _no_managed_prometheus, "ai_service_metrics (KAR-0061)"),
    ("privileged model server", _privileged, "secure_accelerator_access (KAR-0049)"),
    ("hostPath to a GPU", _dev_hostpath, "secure_accelerator_access (KAR-0049)"),
    ("no AI operator", _no_lws, "robust_controller (KAR-0063)"),
    ("Gateway API off", _no_gateway_api, "ai_inference (ai_inference)"),
    ("Kubernetes 1.33", _old_cluster, "dra_support (KAR-0051)"),
    ("latest image", _latest_image, "images-pinned (llm-d-practices)"),
    ("literal HF token", _literal_token, "hf-token-from-secret (llm-d-practices)"),
    ("no NetworkPolicies", _no_network_policies, "network-policies (llm-d-practices)"),
    ("no PDBs", _no_pdb, "pod-disruption-budgets (llm-d-practices)"),
    ("TP mismatch", _tp_mismatch, "parallelism-fits-node (llm-d-practices)"),
    ("GPU request != limit", _unequal_gpu_limits, "accelerator-requests-equal-limits (llm-d-practices)"),
]


def test_the_flagship_render_passes_and_reports_every_must(tmp_path: Path, flagship: RenderResult) -> None:
    folder = _write(tmp_path, flagship.resources)
    report = tmp_path / "ai-conformance.yaml"
    result = runner.invoke(app, ["check", str(folder), "--report", str(report), "--no-verify"])
    assert result.exit_code == 0, result.output
    assert "0 mandatory" in result.stdout
    assert report.is_file()
    assert flagship.policy is not None and flagship.policy.ok
    musts = [
        r.id for r in for_version(DEFAULT_VERSION) if (level := r.level(DEFAULT_VERSION)) and level.value == "MUST"
    ]
    assert all(flagship.policy.assessments[m].status.value for m in musts)


@pytest.mark.parametrize(("label", "breaks", "cited"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_a_broken_render_is_caught_with_the_requirement_id(
    tmp_path: Path, flagship: RenderResult, label: str, breaks: Callable[[Entries], None], cited: str
) -> None:
    resources = copy.deepcopy(flagship.resources)
    breaks(resources)
    # dra_support is a MUST up to v1.35 only (v1.36 folded it into base conformance; the default is newer)
    version = ["--kar-version", "1.35"] if cited.startswith("dra_support") else []
    result = runner.invoke(app, ["check", str(_write(tmp_path, resources)), "--no-verify", *version])
    assert result.exit_code == EXIT_CHECK_VIOLATION, result.output
    assert f"MANDATORY {cited}" in result.stdout, result.stdout


def test_check_json_and_other_versions(tmp_path: Path, flagship: RenderResult) -> None:
    folder = _write(tmp_path, flagship.resources)
    result = runner.invoke(app, ["check", str(folder), "--json", "--kar-version", "1.36", "--no-verify"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == "1.36" and data["ok"] is True
    assert data["requirements"]["advanced_inference_ingress"]["status"] == "Implemented"
    assert data["requirements"]["high_performance_networking"]["status"] == "N/A"
    assert "dra_support" not in data["requirements"]
    bad = runner.invoke(app, ["check", str(folder), "--kar-version", "1.20"])
    assert bad.exit_code == EXIT_CONFIG


def test_check_reports_an_unreadable_render(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "missing")])
    assert result.exit_code == EXIT_CONFIG
    assert "render the stack first" in result.stderr
    (tmp_path / "resources.json").write_text('{"not": "a list"}')
    with pytest.raises(CheckInputError, match="expected a JSON list"):
        load_render(tmp_path)


def test_the_render_summary_carries_the_policy_section(flagship: RenderResult) -> None:
    summary = flagship.summary()
    assert f"policy check: kubernetes-ai-conformance v{DEFAULT_VERSION}" in summary
    assert "policy results: 0 mandatory" in summary
    assert flagship.policy_ok
    again = run_checks(load_render_from(flagship), DEFAULT_VERSION)
    assert [str(f) for f in again.findings] == [str(f) for f in flagship.policy.findings]  # type: ignore[union-attr]


def load_render_from(result: RenderResult) -> list[Any]:
    from pulumi_llmd.policies.check import resources_from_render

    return resources_from_render(result.resources)


def test_render_exits_4_on_a_mandatory_violation(tmp_path: Path) -> None:
    config = make_valid_config()  # a fixed-size pool: the accelerator node group cannot autoscale
    stack = make_stack_file(tmp_path, config)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(stack), "--out", str(out), "--project-dir", str(REPO), "--quiet"])
    assert result.exit_code == EXIT_POLICY, result.output
    assert "cluster_autoscaling (KAR-0055)" in result.stderr
    assert (out / "resources.json").is_file()
