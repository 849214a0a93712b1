"""P/D and wide-EP as upstream's DisaggregatedSet (issue 14, item 2), as a user sees them: the reference stacks build
one ``disaggregatedset.x-k8s.io/v1`` DisaggregatedSet per model with the guide's key facts (llm-d v0.10.0
guides/pd-disaggregation/.../base/disaggregatedset.yaml, guides/wide-ep/.../base/disaggregatedset.yaml), LWS is
installed with ``enableDisaggregatedSet``, ``workloadForm`` chooses the older forms, and the schema check, both packs
and the first-deploy twin read the set's pods."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components.args import ArgsError
from pulumi_llmd.components.serving.disaggregated_set import (
    DisaggregatedRole,
    DisaggregatedSet,
    PlacementPolicy,
    child_name_problem,
    disaggregated_set_manifest,
)
from pulumi_llmd.policies.graph import pod_templates as policy_pod_templates
from pulumi_llmd.policies.model import Resource as PolicyResource
from pulumi_llmd.render.render import RenderResult, render_stack
from pulumi_llmd.render.validation import SchemaValidator
from pulumi_llmd.twin.model import Resource as TwinResource
from pulumi_llmd.twin.model import pod_templates as twin_pod_templates

PD_GKE, PD_EKS, WIDE = "gke-h200-pd-disaggregation", "eks-p5en-pd-disaggregation", "gke-b200-wide-ep"
_CACHE: dict[str, RenderResult] = {}


def _stack(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _render(name: str, tmp: Path | None = None, **model_keys: Any) -> RenderResult:
    """The reference stack ``name`` (cached), or with ``model_keys`` set on its first model (written under ``tmp``)."""
    key = json.dumps([name, model_keys], sort_keys=True)
    if key not in _CACHE:
        if not model_keys:
            _CACHE[key] = render_stack(name, project_dir=REPO)
        else:
            assert tmp is not None
            config = copy.deepcopy(_stack(name))
            config["models"][0].update(model_keys)
            path = make_stack_file(tmp, config, name=f"{name}-{'-'.join(str(v) for v in model_keys.values())}")
            _CACHE[key] = render_stack(str(path), project_dir=REPO)
    return _CACHE[key]


def _kinds(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests if m["kind"] == kind]


def _ds(result: RenderResult) -> dict[str, Any]:
    (ds,) = _kinds(result, "DisaggregatedSet")
    return ds


def _roles(ds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in ds["spec"]["roles"]}


def _pod(role: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = role["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    return template


def _container(role: dict[str, Any], name: str) -> dict[str, Any]:
    (c,) = [c for c in _pod(role)["spec"]["containers"] if c["name"] == name]
    return c


def _kv(args: list[str]) -> dict[str, Any]:
    for i, a in enumerate(args):
        if a == "--kv-transfer-config":
            return dict(json.loads(args[i + 1]))
        if a.startswith("--kv-transfer-config="):
            return dict(json.loads(a.split("=", 1)[1]))
    raise AssertionError(f"no --kv-transfer-config in {args}")


# --- the reference stacks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", [PD_GKE, PD_EKS, WIDE])
def test_reference_stacks_render_clean_as_disaggregated_sets(stack: str) -> None:
    """Default form: one DisaggregatedSet, no model-server Deployment / LeaderWorkerSet; schema-valid, 0 mandatory
    policy violations, first-deploy twin clean."""
    result = _render(stack)
    assert result.ok, result
    assert not result.schema_issues
    assert result.twin is not None and result.twin.ok, result.twin.lines() if result.twin else None
    ds = _ds(result)
    assert ds["apiVersion"] == "disaggregatedset.x-k8s.io/v1"
    assert set(_roles(ds)) == {"prefill", "decode"}
    assert not _kinds(result, "LeaderWorkerSet")
    assert not [
        d for d in _kinds(result, "Deployment") if "llm-d.ai/role" in d["spec"]["template"]["metadata"]["labels"]
    ]


def test_pd_set_follows_the_guide() -> None:
    """guides/pd-disaggregation/modelserver/gpu/vllm/base/disaggregatedset.yaml: NIXL producer / consumer with
    kv_buffer_device cuda and explicit UCX backends, NIXL port 5600, decode vLLM on 8200 behind the routing-proxy on
    8000, rollouts prefill 0/1 and decode 1/0, one slice of single-host groups, the picker's role labels."""
    ds = _ds(_render(PD_GKE))
    assert ds["spec"]["slices"] == 1
    assert "placementPolicy" not in ds["spec"]
    roles = _roles(ds)
    expected_kv = {"prefill": "kv_producer", "decode": "kv_consumer"}
    rollouts = {"prefill": (0, 1), "decode": (1, 0)}
    for name, role in roles.items():
        spec = role["spec"]
        assert spec["leaderWorkerTemplate"]["size"] == 1
        strategy = spec["rolloutStrategy"]
        assert strategy["type"] == "RollingUpdate"
        ruc = strategy["rollingUpdateConfiguration"]
        assert (ruc["maxSurge"], ruc["maxUnavailable"]) == rollouts[name]
        labels = _pod(role)["metadata"]["labels"]
        assert labels == {
            "llm-d.ai/guide": "pd-disaggregation",
            "llm-d.ai/model": "gpt-oss-120b",
            "llm-d.ai/role": name,
        }
        vllm = _container(role, "modelserver")
        assert _kv(vllm["args"]) == {
            "kv_connector": "NixlConnector",
            "kv_role": expected_kv[name],
            "kv_buffer_device": "cuda",
            "kv_connector_extra_config": {"backends": ["UCX"]},
        }
        assert "--no-disable-hybrid-kv-cache-manager" in vllm["args"]
        assert "--block-size=128" in vllm["args"]
        ports = {p["name"]: p["containerPort"] for p in vllm["ports"]}
        assert ports["nixl"] == 5600
        env = {e["name"]: e for e in vllm["env"]}
        assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
        assert _pod(role)["spec"]["serviceAccountName"] == "gpt-oss-120b-modelserver"
    decode, prefill = roles["decode"], roles["prefill"]
    assert {p["name"]: p["containerPort"] for p in _container(decode, "modelserver")["ports"]}["modelserver"] == 8200
    assert "--port=8200" in _container(decode, "modelserver")["args"]
    (sidecar,) = _pod(decode)["spec"]["initContainers"]
    assert sidecar["name"] == "routing-proxy" and sidecar["restartPolicy"] == "Always"
    assert [p["containerPort"] for p in sidecar["ports"]] == [8000]
    assert "--kv-connector=nixlv2" in sidecar["args"]
    assert "initContainers" not in _pod(prefill)["spec"]
    assert {p["name"]: p["containerPort"] for p in _container(prefill, "modelserver")["ports"]}["modelserver"] == 8000
    prefill_env = {e["name"]: e.get("value") for e in _container(prefill, "modelserver")["env"]}
    assert prefill_env["VLLM_HTTP_TIMEOUT_KEEP_ALIVE"] == "120"
    # The config's replicas per slice: 2 prefill, 2 decode (the roles are External: the HPA drives them).
    assert all(r["scaling"] == {"mode": "External"} for r in roles.values())


def test_pd_set_on_efa_uses_libfabric() -> None:
    ds = _ds(_render(PD_EKS))
    for name, role in _roles(ds).items():
        kv = _kv(_container(role, "modelserver")["args"])
        assert kv["kv_connector_extra_config"] == {"backends": ["LIBFABRIC"]}, name


def test_wide_ep_set_follows_the_guide() -> None:
    """guides/wide-ep/modelserver/gpu/vllm-deepseek-r1-0528/base/disaggregatedset.yaml: groups of 2 pods, one
    workerTemplate for leader and workers, kv_producer / kv_consumer with kv_load_failure_policy fail, rollouts 0/1
    for both roles, role metadata labels, decode sidecar on the rank ports 8000-8007 in front of vLLM on 8200-."""
    ds = _ds(_render(WIDE))
    roles = _roles(ds)
    for name, role in roles.items():
        lwt = role["spec"]["leaderWorkerTemplate"]
        assert lwt["size"] == 2 and "leaderTemplate" not in lwt
        assert lwt["restartPolicy"] == "RecreateGroupOnPodRestart"
        ruc = role["spec"]["rolloutStrategy"]["rollingUpdateConfiguration"]
        assert (ruc["maxSurge"], ruc["maxUnavailable"]) == (0, 1)
        assert role["metadata"]["labels"]["llm-d.ai/role"] == name
        assert role["metadata"]["labels"]["llm-d.ai/inference-serving"] == "true"
        kv = _kv(_container(role, "vllm")["args"])
        assert kv["kv_role"] == {"prefill": "kv_producer", "decode": "kv_consumer"}[name]
        assert kv["kv_load_failure_policy"] == "fail"
    (sidecar,) = _pod(roles["decode"])["spec"]["initContainers"]
    assert [p["containerPort"] for p in sidecar["ports"]] == list(range(8000, 8008))
    assert "--data-parallel-size=8" in sidecar["args"]


@pytest.mark.parametrize("stack", [PD_GKE, WIDE])
def test_objects_around_the_set(stack: str) -> None:
    """One ServiceAccount for the set's pods, a PodDisruptionBudget per role selecting its pods, KEDA ScaledObjects
    on the DisaggregatedSetRoleScaler <set>-<role> (the stable scale target), the InferencePool over both roles."""
    result = _render(stack)
    ds = _ds(result)
    name = ds["metadata"]["name"]
    accounts = {m["metadata"]["name"] for m in _kinds(result, "ServiceAccount")}
    assert f"{name}-modelserver" in accounts
    pdbs = {m["metadata"]["name"]: m for m in _kinds(result, "PodDisruptionBudget")}
    for role_name, role in _roles(ds).items():
        pdb = pdbs[f"{name}-{role_name}"]
        assert pdb["spec"]["selector"]["matchLabels"] == _pod(role)["metadata"]["labels"]
        assert pdb["spec"]["maxUnavailable"] == 1
    # KEDA ScaledObjects, never plain HPAs: the scaler starts at 0 replicas (tests/test_ds_autoscaling.py).
    assert not _kinds(result, "HorizontalPodAutoscaler")
    targets = {tuple(sorted(h["spec"]["scaleTargetRef"].items())) for h in _kinds(result, "ScaledObject")}
    for role_name in ("prefill", "decode"):
        assert (
            ("apiVersion", "disaggregatedset.x-k8s.io/v1"),
            ("kind", "DisaggregatedSetRoleScaler"),
            ("name", f"{name}-{role_name}"),
        ) in targets
    (pool,) = _kinds(result, "InferencePool")
    selector = pool["spec"]["selector"]["matchLabels"]
    for role in _roles(ds).values():
        assert selector.items() <= _pod(role)["metadata"]["labels"].items()


@pytest.mark.parametrize("stack", [PD_GKE, WIDE])
def test_lws_installed_with_the_disaggregated_set_api(stack: str) -> None:
    result = _render(stack)
    (lws,) = [r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release" and r["name"] == "lws"]
    assert lws["inputs"]["values"]["enableDisaggregatedSet"] is True
    # The set waits for the LWS release (its fail-closed webhook), through the stack namespace.
    (ds,) = [r for r in result.resources if r["inputs"].get("kind") == "DisaggregatedSet"]
    assert ds["urn"]


def test_schema_validity_against_the_carried_crd() -> None:
    ds = _ds(_render(PD_GKE))
    validator = SchemaValidator()
    assert validator.has_schema("disaggregatedset.x-k8s.io/v1", "DisaggregatedSet")
    assert validator.validate(ds) == []
    # groupIdentity (the guide's Hash) is a field of LWS releases newer than the carried v0.10.0 CRD: why it is not set.
    bad = copy.deepcopy(ds)
    bad["spec"]["roles"][0]["spec"]["groupIdentity"] = "Hash"
    assert validator.validate(bad)


# --- the older forms -------------------------------------------------------------------------------------------------


def test_pd_deployment_form_still_builds_deployments(tmp_path: Path) -> None:
    result = _render(PD_GKE, tmp_path, workloadForm="deployment")
    assert result.ok, result
    assert not _kinds(result, "DisaggregatedSet")
    servers = {
        d["metadata"]["name"]: d
        for d in _kinds(result, "Deployment")
        if "llm-d.ai/role" in d["spec"]["template"]["metadata"]["labels"]
    }
    assert set(servers) == {"gpt-oss-120b-prefill", "gpt-oss-120b-decode"}
    for d in servers.values():
        assert _kv(d["spec"]["template"]["spec"]["containers"][0]["args"])["kv_role"] == "kv_both"
        assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in _kinds(result, "HorizontalPodAutoscaler")}
    assert hpas["gpt-oss-120b-decode"]["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    (lws,) = [r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release" and r["name"] == "lws"]
    assert "enableDisaggregatedSet" not in lws["inputs"]["values"]


def test_wide_ep_leader_worker_set_form_still_builds_leader_worker_sets(tmp_path: Path) -> None:
    result = _render(WIDE, tmp_path, workloadForm="leaderWorkerSet")
    assert result.ok, result
    assert not _kinds(result, "DisaggregatedSet")
    sets = {m["metadata"]["name"]: m for m in _kinds(result, "LeaderWorkerSet")}
    assert set(sets) == {"deepseek-r1-prefill", "deepseek-r1-decode"}
    for lws in sets.values():
        pod = lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]
        assert _kv(pod["spec"]["containers"][0]["args"])["kv_role"] == "kv_both"


# --- the form key ----------------------------------------------------------------------------------------------------


def _refused(config: dict[str, Any], key: str, *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


def test_workload_form_of_another_path_is_refused() -> None:
    config = _stack(PD_GKE)
    config["models"][0]["workloadForm"] = "leaderWorkerSet"
    _refused(config, "llmd:models[0].workloadForm", "leaderWorkerSet", "disaggregatedSet, deployment")
    config = _stack(WIDE)
    config["models"][0]["workloadForm"] = "deployment"
    _refused(config, "llmd:models[0].workloadForm", "deployment", "disaggregatedSet, leaderWorkerSet")


def test_workload_form_on_a_single_form_path_is_refused() -> None:
    config = _stack("gke-h100-optimized-baseline")
    config["models"][0]["workloadForm"] = "disaggregatedSet"
    _refused(config, "llmd:models[0].workloadForm", "pd-disaggregation", "wide-ep")


def test_unknown_workload_form_is_refused() -> None:
    config = _stack(PD_GKE)
    config["models"][0]["workloadForm"] = "statefulSet"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any("workloadForm" in i.key for i in caught.value.issues), caught.value


def test_names_too_long_for_the_controller_are_refused() -> None:
    config = _stack(PD_GKE)
    config["models"][0]["name"] = "a-very-long-model-name-for-pd-0123"
    _refused(config, "llmd:models[0].name", "LWS webhook allows 63")
    config["models"][0]["workloadForm"] = "deployment"
    parse_stack_config(config)  # the Deployment form has no such limit


def test_explicit_disaggregated_set_form_is_accepted() -> None:
    config = _stack(PD_GKE)
    config["models"][0]["workloadForm"] = "disaggregatedSet"
    parsed = parse_stack_config(config)
    assert parsed.models[0].uses_disaggregated_set


# --- the component ---------------------------------------------------------------------------------------------------


def _template(role: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"llm-d.ai/guide": "g", "llm-d.ai/model": "m", "llm-d.ai/role": role}},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
    }


def _roles_args(**decode: Any) -> list[DisaggregatedRole]:
    return [
        DisaggregatedRole(name="prefill", replicas=2, worker_template=_template("prefill")),
        DisaggregatedRole(
            name="decode",
            worker_template=_template("decode"),
            **{"replicas": 1, "max_surge": 1, "max_unavailable": 0, **decode},
        ),
    ]


def test_manifest_shape_and_options() -> None:
    ds = disaggregated_set_manifest(
        name="m",
        namespace="ns",
        roles=_roles_args(size=2, group_identity="Hash"),
        slices=3,
        placement_policy=PlacementPolicy(type="ExclusiveSlice", topology="topology.kubernetes.io/zone"),
    )
    assert ds["spec"]["slices"] == 3
    assert ds["spec"]["placementPolicy"] == {"type": "ExclusiveSlice", "topology": "topology.kubernetes.io/zone"}
    decode = ds["spec"]["roles"][1]
    assert decode["spec"]["groupIdentity"] == "Hash"
    assert decode["spec"]["leaderWorkerTemplate"]["size"] == 2
    assert decode["spec"]["replicas"] == 1
    assert "scaling" not in decode


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"roles": _roles_args(max_surge=0, max_unavailable=0)}, "must not be 0 when max_surge is 0"),
        ({"roles": _roles_args()[:1]}, "allowed: 2..10"),
        (
            {
                "roles": [
                    _roles_args()[0],
                    DisaggregatedRole(name="decode", replicas=1, worker_template=_template("prefill")),
                ]
            },
            "must equal the role name",
        ),
        ({"roles": _roles_args(external_scaling=True), "slices": 2}, "not allowed with slices > 1"),
        ({"roles": _roles_args(), "placement_policy": PlacementPolicy(type="ExclusiveSlice", topology="")}, "topology"),
        ({"roles": _roles_args(), "slices": 0}, "slices = 0"),
        ({"roles": _roles_args(replicas=0)}, "roles[1].replicas = 0"),
    ],
)
def test_component_refuses_what_the_webhook_refuses(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ArgsError) as caught:
        DisaggregatedSet("m", namespace="ns", **kwargs)
    assert fragment in str(caught.value)


def test_child_name_rule() -> None:
    assert child_name_problem("gpt-oss-120b", "prefill", 2) is None
    problem = child_name_problem("x" * 40, "prefill", 2)
    assert problem is not None and "63" in problem


def test_unknown_argument_is_refused() -> None:
    with pytest.raises(ArgsError) as caught:
        DisaggregatedSet("m", namespace="ns", roles=_roles_args(), slice=2)  # type: ignore[call-arg]
    assert "did you mean 'slices'" in str(caught.value)


# --- the offline checks read the set's pods --------------------------------------------------------------------------


def _entry(ds: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": "urn:pulumi:s::p::kubernetes:disaggregatedset.x-k8s.io/v1:DisaggregatedSet::m",
        "type": "kubernetes:disaggregatedset.x-k8s.io/v1:DisaggregatedSet",
        "name": "m",
        "custom": True,
        "inputs": ds,
    }


def test_twin_counts_slices_x_replicas_x_size() -> None:
    ds = disaggregated_set_manifest(name="m", namespace="ns", roles=_roles_args(size=4), slices=3)
    templates = {t.role: t for t in twin_pod_templates(TwinResource.from_entry(_entry(ds)))}
    assert templates["prefill"].pods == 3 * 2 * 1
    assert templates["decode"].pods == 3 * 1 * 4


def test_policy_packs_see_every_role_template() -> None:
    ds = disaggregated_set_manifest(name="m", namespace="ns", roles=_roles_args())
    resource = PolicyResource.from_render(_entry(ds))
    roles = {t.role: t.labels["llm-d.ai/role"] for t in policy_pod_templates(resource)}
    assert roles == {"roles[prefill].workerTemplate": "prefill", "roles[decode].workerTemplate": "decode"}
