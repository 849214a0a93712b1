"""Autoscaled roles of a DisaggregatedSet serve on the first deploy (issue 14, items 2 and 3).

A ``scaling.mode: External`` role gets its replicas from its ``DisaggregatedSetRoleScaler`` ``<set>-<role>``, whose
``spec.replicas`` starts at 0 (the CRD default; KEP-849 holds a new role at 0 until an autoscaler writes). A KEDA
ScaledObject with ``minReplicaCount`` >= 1 writes that minimum from 0 (kedacore/keda
``pkg/scaling/executor/scale_scaledobjects.go`` ``RequestScale``); a plain HPA does nothing while its target reads 0
(kubernetes ``pkg/controller/podautoscaler/horizontal.go``: "scaling is disabled since the replica count of the
target is zero"). So the paths drive those roles with KEDA only, refuse ``autoscaler: hpa`` there, and the
first-deploy twin counts each External role at what its autoscaler gives it and reports the shapes that never serve.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.policies.model import Status
from pulumi_llmd.render.render import RenderResult, render_stack
from pulumi_llmd.twin import run_twin
from pulumi_llmd.twin.model import Graph

PD, PD_EKS, WIDE = "gke-h200-pd-disaggregation", "eks-p5en-pd-disaggregation", "gke-b200-wide-ep"
NS = "serving"
_CACHE: dict[str, RenderResult] = {}


def _render(name: str) -> RenderResult:
    if name not in _CACHE:
        _CACHE[name] = render_stack(name, project_dir=REPO)
    return _CACHE[name]


def _stack(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _kind(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


# --- the twin's model of External roles (synthetic graphs) ----------------------------------------------------------


def _entry(kind: str, api: str, name: str, spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    group, _, version = api.rpartition("/")
    return {
        "urn": f"urn:pulumi:t::p::kubernetes:{group or 'core'}/{version}:{kind}::{name}",
        "type": f"kubernetes:{group or 'core'}/{version}:{kind}",
        "name": name,
        "parent": "",
        "custom": True,
        "inputs": {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": NS}, "spec": spec},
        **extra,
    }


def _pod(gpus: int = 8) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"llm-d.ai/role": "decode"}},
        "spec": {
            "containers": [{"name": "vllm", "image": "vllm:v1", "resources": {"limits": {"nvidia.com/gpu": gpus}}}]
        },
    }


def _ds(*, external: bool = True, size: int = 1, **extra: Any) -> dict[str, Any]:
    roles = []
    for role in ("prefill", "decode"):
        lwt = {"size": size, "workerTemplate": _pod()}
        entry: dict[str, Any] = {"name": role, "spec": {"leaderWorkerTemplate": lwt}}
        if external:
            entry["scaling"] = {"mode": "External"}
        else:
            entry["spec"]["replicas"] = 3
        roles.append(entry)
    return _entry("DisaggregatedSet", "disaggregatedset.x-k8s.io/v1", "m", {"slices": 1, "roles": roles}, **extra)


def _target(role: str) -> dict[str, str]:
    return {"apiVersion": "disaggregatedset.x-k8s.io/v1", "kind": "DisaggregatedSetRoleScaler", "name": f"m-{role}"}


def _scaled_object(role: str, minimum: int, **extra: Any) -> dict[str, Any]:
    spec = {"scaleTargetRef": _target(role), "minReplicaCount": minimum, "maxReplicaCount": 4, "triggers": []}
    return _entry("ScaledObject", "keda.sh/v1alpha1", f"m-{role}-so", spec, **extra)


def _hpa(role: str) -> dict[str, Any]:
    spec = {"scaleTargetRef": _target(role), "minReplicas": 2, "maxReplicas": 4}
    return _entry("HorizontalPodAutoscaler", "autoscaling/v2", f"m-{role}-hpa", spec)


def _pods(entries: list[dict[str, Any]]) -> dict[str, int]:
    graph = Graph.build(entries)
    ((_, templates),) = [(r, t) for r, t in graph.workloads if r.kind == "DisaggregatedSet"]
    return {t.role: t.pods for t in templates}


def _role_findings(entries: list[dict[str, Any]]) -> list[str]:
    checks = ("role-scaler-start", "autoscaler-after-its-role")
    return [f.line() for f in run_twin(entries).findings if f.check in checks]


def test_external_role_without_a_scaler_stays_at_zero() -> None:
    entries = [_ds()]
    assert _pods(entries) == {"prefill": 0, "decode": 0}
    lines = _role_findings(entries)
    assert len(lines) == 2
    assert all("no HPA or ScaledObject targets DisaggregatedSetRoleScaler" in line for line in lines)
    assert all("the model never serves" in line for line in lines)


def test_hpa_on_a_role_scaler_never_scales_it_from_zero() -> None:
    entries = [_ds(), _hpa("prefill"), _scaled_object("decode", 2)]
    assert _pods(entries) == {"prefill": 0, "decode": 2}
    (line,) = _role_findings(entries)
    assert "FAIL scheduling/role-scaler-start" in line and "(prefill)" in line
    assert "scaling is disabled since the replica count of the target is zero" in line


def test_keda_brings_a_role_to_min_replica_count() -> None:
    entries = [_ds(size=2), _scaled_object("prefill", 3), _scaled_object("decode", 1)]
    # LWS groups x pods per group, counted for scheduling, capacity and awaits.
    assert _pods(entries) == {"prefill": 6, "decode": 2}
    assert _role_findings(entries) == []


def test_keda_with_min_replica_count_zero_leaves_the_role_idle() -> None:
    entries = [_ds(), _scaled_object("prefill", 0), _scaled_object("decode", 1)]
    assert _pods(entries)["prefill"] == 0
    (line,) = _role_findings(entries)
    assert "minReplicaCount 0" in line


def test_keda_pods_count_against_the_pool() -> None:
    """The pods KEDA brings count for scheduling: the reference P/D stack with a prefill minReplicaCount beyond its
    pool is reported as any replicas would be."""
    entries = copy.deepcopy(_render(PD).resources)
    for entry in entries:
        inputs = entry.get("inputs") or {}
        if inputs.get("kind") == "ScaledObject" and inputs["metadata"]["labels"]["llm-d.ai/role"] == "prefill":
            inputs["spec"]["minReplicaCount"] = 50
    fit = [f for f in run_twin(entries).findings if f.check == "replicas-fit-pool"]
    assert fit and "DisaggregatedSet" in fit[0].message and "(prefill): 50 pod(s)" in fit[0].message


def test_static_roles_keep_their_replicas() -> None:
    assert _pods([_ds(external=False)]) == {"prefill": 3, "decode": 3}
    assert _role_findings([_ds(external=False)]) == []


def test_an_autoscaler_waiting_for_the_awaited_set_is_an_ordering_failure() -> None:
    ds = _ds(customTimeouts={"create": "30m"})
    waiting = [_scaled_object(role, 1, dependencies=[ds["urn"]]) for role in ("prefill", "decode")]
    lines = _role_findings([ds, *waiting])
    assert len(lines) == 2 and all("FAIL ordering/autoscaler-after-its-role" in line for line in lines)
    assert _role_findings([ds, _scaled_object("prefill", 1), _scaled_object("decode", 1)]) == []


# --- the reference stacks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "mins"), [(PD, {"prefill": 2, "decode": 2}), (WIDE, {"prefill": 1, "decode": 1})])
def test_reference_stacks_scale_roles_with_keda(stack: str, mins: dict[str, int]) -> None:
    result = _render(stack)
    assert result.ok, result
    assert result.policy is not None and result.policy.mandatory == []
    assert result.twin is not None and result.twin.ok, result.twin.findings
    (ds,) = _kind(result, "DisaggregatedSet")
    assert all(r.get("scaling") == {"mode": "External"} and "replicas" not in r["spec"] for r in ds["spec"]["roles"])
    assert not _kind(result, "HorizontalPodAutoscaler")
    scaled = {so["metadata"]["labels"]["llm-d.ai/role"]: so["spec"] for so in _kind(result, "ScaledObject")}
    assert {role: s["scaleTargetRef"] for role, s in scaled.items()} == {
        role: {
            "apiVersion": "disaggregatedset.x-k8s.io/v1",
            "kind": "DisaggregatedSetRoleScaler",
            "name": f"{ds['metadata']['name']}-{role}",
        }
        for role in mins
    }
    assert {role: s["minReplicaCount"] for role, s in scaled.items()} == mins
    assert all(s["maxReplicaCount"] >= s["minReplicaCount"] for s in scaled.values())
    # KEDA is installed, and the ScaledObjects do not wait for the set (its await needs the pods KEDA brings).
    assert [r for r in result.resources if r["type"] == "llmd:platform:Keda"]
    graph = Graph.build(result.resources)
    (set_urn,) = [r.urn for r in graph.custom() if r.kind == "DisaggregatedSet"]
    for so in (r for r in graph.custom() if r.kind == "ScaledObject"):
        assert not graph.waits_for(so.urn, set_urn)
        assert any(r.chart == "keda" for u in graph.ancestors[so.urn] for r in [graph.resources[u]])
    # The twin counts each role at minReplicaCount groups x group size.
    ((_, templates),) = [(r, t) for r, t in graph.workloads if r.kind == "DisaggregatedSet"]
    sizes = {r["name"]: r["spec"]["leaderWorkerTemplate"]["size"] for r in ds["spec"]["roles"]}
    assert {t.role: t.pods for t in templates} == {role: mins[role] * sizes[role] for role in mins}


def test_pd_on_eks_renders_clean_with_keda() -> None:
    result = _render(PD_EKS)
    assert result.ok and result.twin is not None and result.twin.ok, result.twin and result.twin.findings
    assert len(_kind(result, "ScaledObject")) == 2 and not _kind(result, "HorizontalPodAutoscaler")


def test_wide_ep_triggers_fit_its_pods() -> None:
    """Token-aware per role: the prefill backlog on the picker's inflight tokens (the picker runs the producer), the
    decode KV occupancy over the decode pods' ranks divided by the group's data-parallel size."""
    result = _render(WIDE)
    scaled = {so["metadata"]["labels"]["llm-d.ai/role"]: so for so in _kind(result, "ScaledObject")}
    model = _stack(WIDE)["models"][0]
    prefill = scaled["prefill"]["spec"]["triggers"][0]["metadata"]["query"]
    decode = scaled["decode"]["spec"]["triggers"][0]["metadata"]["query"]
    assert f'endpoint_name=~".*{model["name"]}-.*prefill.*"' in prefill
    assert f'pod=~".*{model["name"]}-.*decode.*"' in decode
    assert decode.endswith(f"/ {model['dataParallelSize']}) or vector(0)")
    (config,) = [c for c in _kind(result, "ConfigMap") if "inflight-load-producer" in str(c.get("data"))]
    assert config


def test_conformance_counts_keda_on_role_scalers() -> None:
    for stack in (PD, WIDE):
        result = _render(stack)
        assert result.policy is not None
        assessment = result.policy.assessments["pod_autoscaling"]
        assert assessment.status is Status.IMPLEMENTED, assessment
        assert any("KEDA scales DisaggregatedSet" in e for e in assessment.evidence), assessment.evidence


# --- the old shape: an HPA on each RoleScaler -------------------------------------------------------------------------


def test_the_old_shape_is_reported_by_the_twin() -> None:
    """The reference P/D stack with its ScaledObjects swapped for plain HPAs on the same DisaggregatedSetRoleScalers
    (what the path built before): the twin reports both roles as never serving."""
    entries = copy.deepcopy(_render(PD).resources)
    for entry in entries:
        inputs = entry.get("inputs") or {}
        if inputs.get("kind") == "ScaledObject":
            spec = inputs["spec"]
            entry["type"] = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
            entry["inputs"] = {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": inputs["metadata"],
                "spec": {
                    "scaleTargetRef": spec["scaleTargetRef"],
                    "minReplicas": spec["minReplicaCount"],
                    "maxReplicas": spec["maxReplicaCount"],
                    "metrics": [{"type": "Pods", "pods": {"metric": {"name": "vllm:num_requests_waiting"}}}],
                },
            }
    result = run_twin(entries)
    lines = [f.line() for f in result.findings if f.check == "role-scaler-start"]
    assert not result.ok
    assert len(lines) == 2 and all("HorizontalPodAutoscaler" in line and "never serves" in line for line in lines)


# --- configuration ----------------------------------------------------------------------------------------------------


def test_hpa_with_the_disaggregated_set_form_is_a_config_error() -> None:
    data = _stack(PD)
    data["models"][0]["autoscaling"] = {"autoscaler": "hpa"}
    with pytest.raises(ConfigError) as info:
        parse_stack_config(data)
    (issue,) = [i for i in info.value.issues if i.key == "llmd:models[0].autoscaling.autoscaler"]
    assert issue.value == "hpa"
    for needle in ("DisaggregatedSetRoleScaler", "from 0 replicas", "allowed: autoscaler 'keda'", "deployment"):
        assert needle in issue.message


def test_hpa_stays_with_the_deployment_form(tmp_path: Path) -> None:
    data = _stack(PD)
    data["models"][0].update(autoscaling={"autoscaler": "hpa"}, workloadForm="deployment")
    config = parse_stack_config(data)
    assert not config.models[0].keda_autoscaled
    result = render_stack(str(make_stack_file(tmp_path, data, name="pd-hpa")), project_dir=REPO)
    assert result.ok and result.twin is not None and result.twin.ok, result.twin and result.twin.findings
    assert len(_kind(result, "HorizontalPodAutoscaler")) == 2 and not _kind(result, "ScaledObject")


def test_keda_is_installed_for_every_disaggregated_set_model() -> None:
    for stack in (PD, PD_EKS, WIDE):
        config = parse_stack_config(_stack(stack))
        assert all(m.uses_disaggregated_set and m.keda_autoscaled for m in config.models)
    wide = _stack(WIDE)
    wide["models"][0]["workloadForm"] = "leaderWorkerSet"
    assert not parse_stack_config(wide).models[0].keda_autoscaled
