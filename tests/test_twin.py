"""The first-deploy twin: every reference stack passes it, and every rule trips on a render mutated to break it.

The mutations start from the committed golden renders (``goldens/<stack>/resources.json``, which ``test_goldens``
holds equal to a fresh render) and change one thing a user or a library regression could get wrong.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pulumi_llmd.cli import EXIT_TWIN, app
from pulumi_llmd.components.platform.pod_security import pod_security_violations
from pulumi_llmd.twin import run_twin
from pulumi_llmd.twin.schedule import parse_duration

REPO = Path(__file__).resolve().parent.parent
GOLDENS = REPO / "goldens"
STACKS = sorted(p.name for p in GOLDENS.iterdir() if (p / "resources.json").is_file())
FLAGSHIP = "gke-h100-optimized-baseline"
#: A GKE stack whose servers download their weights into their own emptyDir (models below the weights-cache
#: threshold: no cache by default), for the checks a cache makes moot.
NO_CACHE = "gke-l4-multi-model"

Entries = list[dict[str, Any]]


@cache
def _golden(stack: str) -> str:
    return (GOLDENS / stack / "resources.json").read_text()


def golden(stack: str) -> Entries:
    """A fresh (mutable) copy of a golden render's resources."""
    data: Entries = json.loads(_golden(stack))
    return data


def find(entries: Entries, predicate: Callable[[dict[str, Any]], bool]) -> Iterator[dict[str, Any]]:
    return (e for e in entries if predicate(e))


def kube(entries: Entries, kind: str, name: str | None = None) -> dict[str, Any]:
    """The first Kubernetes object of ``kind`` (named ``name``)."""
    for e in entries:
        inputs = e["inputs"]
        if inputs.get("kind") == kind and (name is None or inputs.get("metadata", {}).get("name") == name):
            return e
    raise AssertionError(f"no {kind} {name}")


def of_type(entries: Entries, type_: str, name: str | None = None) -> dict[str, Any]:
    for e in entries:
        if e["type"] == type_ and (name is None or e["name"] == name):
            return e
    raise AssertionError(f"no {type_} {name}")


def decode(entries: Entries) -> dict[str, Any]:
    return next(
        e for e in entries if e["inputs"].get("kind") == "Deployment" and e["name"].endswith("-decode-deployment")
    )


def checks(entries: Entries) -> set[str]:
    return {f"{f.rule}/{f.check}" for f in run_twin(entries).findings}


def messages(entries: Entries, check: str) -> list[str]:
    return [f.message for f in run_twin(entries).findings if f"{f.rule}/{f.check}" == check]


# --- every reference stack -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_reference_stack_passes_the_twin_within_5_percent_of_its_floor(stack: str) -> None:
    """Clean, and the critical path adds at most 5% or 2 minutes to the floor (cluster + pool + first start): the
    prerequisites before a cluster (enabling the project's APIs, the VPC or the secrets key, ~1.5 min on GKE) are
    unavoidable and weigh more than 5% of a small model's short floor."""
    result = run_twin(golden(stack))
    assert [f.line() for f in result.findings] == []
    if result.timeline.floor:
        allowed = max(1.05 * result.timeline.floor, result.timeline.floor + 120.0)
        assert result.timeline.total <= allowed, "\n".join(result.lines())


def test_the_flagship_twin_prints_estimates_the_critical_path_and_the_floor() -> None:
    lines = run_twin(golden(FLAGSHIP)).lines()
    text = "\n".join(lines)
    assert lines[0].startswith("first-deploy twin: no failures (ordering 0, admission 0, scheduling 0")
    assert "first start Deployment llm-d-optimized-baseline/qwen3-32b-decode: ~" in text
    assert "critical path" in text and "floor" in text
    assert "gcp:container/cluster:Cluster llm-d" in text


# --- ordering ----------------------------------------------------------------------------------------------------


def test_an_object_that_does_not_wait_for_its_namespace_races_it() -> None:
    entries = golden(FLAGSHIP)
    picker = kube(entries, "Deployment", "qwen3-32b-epp")
    # its direct wait and the namespace's NetworkPolicies it also waits for (they wait for the Namespace)
    picker["dependencies"] = [d for d in picker["dependencies"] if "Namespace" not in d and "NetworkPolic" not in d]
    assert any(
        "races its Namespace llm-d-optimized-baseline" in m for m in messages(entries, "ordering/namespace-first")
    )


def test_a_custom_resource_that_does_not_wait_for_its_crd_races_it() -> None:
    entries = golden("kind-simulated-accelerators")
    route = kube(entries, "HTTPRoute")
    route["dependencies"], route["propertyDependencies"] = [], {}
    assert any("races the CRD of gateway.networking.k8s.io" in m for m in messages(entries, "ordering/crd-before-cr"))


def test_kueue_with_its_chart_defaults_intercepts_other_releases_and_the_model_servers() -> None:
    entries = golden(FLAGSHIP)
    of_type(entries, "kubernetes:helm.sh/v3:Release", "kueue")["inputs"]["values"] = {}
    found = messages(entries, "ordering/webhook-before-object")
    assert any("Kueue's fail-closed webhook intercepts" in m for m in found)
    assert len(found) >= 2


def test_a_workload_identity_binding_before_the_cluster_fails_on_a_fresh_project() -> None:
    entries = golden(FLAGSHIP)
    member = of_type(entries, "gcp:projects/iAMMember:IAMMember")
    member["dependencies"] = []
    member["propertyDependencies"] = {}
    assert "ordering/identity-after-cluster" in checks(entries)


def test_eks_node_groups_must_wait_for_vpc_cni_and_their_role_policies() -> None:
    entries = golden("eks-p5-optimized-baseline")
    group = of_type(entries, "aws:eks/nodeGroup:NodeGroup", "h100")
    group["dependencies"] = [d for d in group["dependencies"] if "Addon" not in d and "RolePolicy" not in d]
    group["propertyDependencies"] = {}
    found = checks(entries)
    assert "ordering/nodes-after-cni" in found or "ordering/nodes-after-role-policies" in found


def test_gpu_pods_on_eks_must_wait_for_the_device_plugin() -> None:
    entries = golden("eks-p5-optimized-baseline")
    # The server waits for the plugin directly and through its weights cache (the loader Job and the claim): cut both.
    for entry in entries:
        if entry["inputs"].get("kind") in ("Deployment", "Job", "PersistentVolumeClaim", "PersistentVolume"):
            entry["dependencies"] = [
                d for d in entry.get("dependencies", []) if "Release" not in d and "DevicePlugin" not in d
            ]
    assert "ordering/device-plugin-first" in checks(entries)


# --- admission -----------------------------------------------------------------------------------------------------


def test_rdma_capabilities_are_rejected_by_a_baseline_namespace() -> None:
    entries = golden(FLAGSHIP)
    namespace = kube(entries, "Namespace", "llm-d-optimized-baseline")
    namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"
    container = decode(entries)["inputs"]["spec"]["template"]["spec"]["containers"][0]
    container.setdefault("securityContext", {})["capabilities"] = {"add": ["IPC_LOCK", "SYS_RAWIO"]}
    found = messages(entries, "admission/pod-security-baseline")
    assert any("adds capabilities IPC_LOCK, SYS_RAWIO" in m for m in found)


def test_the_pss_profiles_match_the_kubernetes_rules() -> None:
    hardened = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "a",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
        "volumes": [{"name": "v", "emptyDir": {}}],
    }
    assert pod_security_violations(hardened, "restricted") == []
    loose = copy.deepcopy(hardened)
    loose["hostNetwork"] = True
    loose["volumes"].append({"name": "dev", "hostPath": {"path": "/dev"}})
    loose["containers"][0]["securityContext"] = {"privileged": True}
    found = " ".join(pod_security_violations(loose, "baseline"))
    assert "hostNetwork" in found and "hostPath" in found and "privileged" in found
    assert any("allowPrivilegeEscalation" in v for v in pod_security_violations(loose, "restricted"))


# --- scheduling ----------------------------------------------------------------------------------------------------


def test_a_selector_typo_leaves_the_model_server_pending() -> None:
    entries = golden(FLAGSHIP)
    decode(entries)["inputs"]["spec"]["template"]["spec"]["nodeSelector"] = {"llm-d.ai/pool": "h1OO"}
    assert "scheduling/selector-and-taints" in checks(entries)


def test_requests_larger_than_the_machine_do_not_fit() -> None:
    entries = golden(FLAGSHIP)
    container = decode(entries)["inputs"]["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["requests"]["cpu"] = "500"
    assert any("500 CPU >" in m for m in messages(entries, "scheduling/fits-a-node"))


def test_more_replicas_than_the_pool_holds_are_reported() -> None:
    entries = golden(FLAGSHIP)
    decode(entries)["inputs"]["spec"]["replicas"] = 40
    assert "scheduling/replicas-fit-pool" in checks(entries)


def test_two_pickers_at_cloud_size_do_not_fit_the_kind_laptop() -> None:
    entries = golden("kind-simulated-accelerators")
    picker = next(
        e for e in entries if e["inputs"].get("kind") == "Deployment" and e["name"].endswith("-epp-deployment")
    )
    picker["inputs"]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] = {
        "cpu": "4",
        "memory": "8Gi",
    }
    found = checks(entries)
    assert "scheduling/fits-a-node" in found or "scheduling/replicas-fit-pool" in found


# --- weights -------------------------------------------------------------------------------------------------------


def test_an_unknown_model_asks_for_weights_gib() -> None:
    entries = golden(FLAGSHIP)
    template = decode(entries)["inputs"]["spec"]["template"]
    template["spec"]["containers"][0]["args"][0] = "acme/secret-model"
    template["metadata"]["annotations"].pop("llm-d.ai/weights-gib")
    assert any("unknown" in m for m in messages(entries, "weights/size-known"))


def test_a_weights_volume_smaller_than_the_model_is_reported() -> None:
    entries = golden(NO_CACHE)
    spec = decode(entries)["inputs"]["spec"]["template"]["spec"]
    for volume in spec["volumes"]:
        if "emptyDir" in volume and volume["emptyDir"].get("medium") != "Memory":
            volume["emptyDir"]["sizeLimit"] = "1Gi"
    assert "weights/fits-volume" in checks(entries)


def test_weights_on_a_small_boot_disk_do_not_fit_the_node() -> None:
    entries = golden(NO_CACHE)
    pool = of_type(entries, "gcp:container/nodePool:NodePool", "l4")
    pool["inputs"]["nodeConfig"].pop("ephemeralStorageLocalSsdConfig", None)
    pool["inputs"]["nodeConfig"]["diskSizeGb"] = 30
    # The pods request ephemeral storage for their weights (15 GiB + 10% + 5 GiB, plus 20 GiB scratch): a 30 GB
    # boot disk holds none of them, so the scheduler leaves them Pending.
    assert checks(entries) & {"weights/fits-node-disk", "scheduling/fits-a-node", "scheduling/replicas-fit-pool"}


def test_a_model_larger_than_its_gpus_is_reported() -> None:
    entries = golden(FLAGSHIP)
    args = decode(entries)["inputs"]["spec"]["template"]["spec"]["containers"][0]["args"]
    decode(entries)["inputs"]["spec"]["template"]["spec"]["containers"][0]["args"] = [
        "meta-llama/Llama-3.1-405B-Instruct" if i == 0 else a for i, a in enumerate(args)
    ]
    decode(entries)["inputs"]["spec"]["template"]["metadata"]["annotations"].pop("llm-d.ai/weights-gib")
    assert any("weights per device" in m for m in messages(entries, "weights/fits-accelerator-memory"))


# --- awaits --------------------------------------------------------------------------------------------------------


def test_the_default_10_minute_await_is_shorter_than_a_first_vllm_start() -> None:
    entries = golden(NO_CACHE)
    decode(entries)["customTimeouts"] = {}
    found = messages(entries, "awaits/timeout-covers-start")
    assert any("Pulumi waits 10 min" in m for m in found)


def test_a_service_selecting_model_servers_waits_for_their_first_start() -> None:
    """pulumi-kubernetes awaits a Service with a selector until its endpoints are ready: 10 minutes by default."""
    entries = golden(FLAGSHIP)
    server = decode(entries)
    labels = server["inputs"]["spec"]["template"]["metadata"]["labels"]
    service = copy.deepcopy(kube(entries, "Service"))
    service["urn"] += "-decode"
    service["inputs"]["metadata"] = {"name": "decode", "namespace": server["inputs"]["metadata"]["namespace"]}
    service["inputs"]["spec"] = {"selector": dict(labels), "ports": [{"port": 8000}]}
    service["customTimeouts"] = {}
    entries.append(service)
    found = run_twin(entries).findings
    assert any(f.check == "timeout-covers-start" and "Service" in f.resource for f in found)


def test_weights_gib_on_the_pod_template_sizes_an_unknown_model() -> None:
    entries = golden(FLAGSHIP)
    template = decode(entries)["inputs"]["spec"]["template"]
    template["spec"]["containers"][0]["args"][0] = "acme/secret-model"
    assert template["metadata"]["annotations"]["llm-d.ai/weights-gib"] == "61"
    assert "weights/size-known" not in checks(entries)


def test_go_durations_parse() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("42m") == 2520
    assert parse_duration("soon") is None


# --- cloud preconditions --------------------------------------------------------------------------------------------


def test_gke_resources_need_their_apis_enabled_first() -> None:
    entries = golden(FLAGSHIP)
    entries[:] = [
        e
        for e in entries
        if not (e["type"] == "gcp:projects/service:Service" and e["inputs"]["service"] == "container.googleapis.com")
    ]
    assert any("container.googleapis.com" in m for m in messages(entries, "cloud/api-enabled"))


def test_an_api_disabled_on_destroy_is_reported() -> None:
    entries = golden(FLAGSHIP)
    next(find(entries, lambda e: e["type"] == "gcp:projects/service:Service"))["inputs"]["disableOnDestroy"] = True
    assert "cloud/api-keep-on-destroy" in checks(entries)


def test_on_demand_a4_nodes_are_not_offered() -> None:
    entries = golden("gke-b200-wide-ep")
    pool = of_type(entries, "gcp:container/nodePool:NodePool", "b200")["inputs"]
    pool["nodeConfig"].pop("flexStart", None)
    pool["nodeConfig"].pop("reservationAffinity", None)
    pool["nodeConfig"]["spot"] = False
    pool.pop("queuedProvisioning", None)
    assert any("not offered as on-demand" in m for m in messages(entries, "cloud/consumption-option"))


def test_rdma_node_networks_need_multi_networking() -> None:
    entries = golden("gke-b200-wide-ep")
    of_type(entries, "gcp:container/cluster:Cluster")["inputs"]["enableMultiNetworking"] = False
    assert "cloud/multi-networking" in checks(entries)


# --- routing -------------------------------------------------------------------------------------------------------


def test_a_prefixed_route_without_a_rewrite_reaches_vllm_as_404() -> None:
    entries = golden(FLAGSHIP)
    rule = kube(entries, "HTTPRoute")["inputs"]["spec"]["rules"][0]
    rule["matches"] = [{"path": {"type": "PathPrefix", "value": "/qwen3-32b"}}]
    rule.pop("filters", None)
    assert any("answers 404" in m for m in messages(entries, "routing/path-reaches-server"))


def test_an_inference_pool_must_select_servers_on_the_ports_they_serve() -> None:
    entries = golden(FLAGSHIP)
    pool = kube(entries, "InferencePool")["inputs"]["spec"]
    pool["targetPorts"] = [{"number": 9999}]
    assert "routing/pool-target-ports" in checks(entries)
    pool["selector"]["matchLabels"] = {"app": "nothing"}
    assert "routing/pool-selects-servers" in checks(entries)


# --- the CLI -------------------------------------------------------------------------------------------------------


def test_check_replays_a_render_and_exits_5_on_a_twin_failure(tmp_path: Path) -> None:
    entries = golden(NO_CACHE)
    decode(entries)["customTimeouts"] = {}
    (tmp_path / "resources.json").write_text(json.dumps(entries))
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(tmp_path), "--no-verify"])
    assert result.exit_code == EXIT_TWIN, result.output
    assert "awaits/timeout-covers-start" in result.output
    skipped = runner.invoke(app, ["check", str(tmp_path), "--no-twin", "--no-verify"])
    assert skipped.exit_code == 0, skipped.output
    assert "first-deploy twin" not in skipped.output


def test_an_object_registered_twice_is_refused_by_the_api_server() -> None:
    entries = golden(FLAGSHIP)
    twin = copy.deepcopy(kube(entries, "Service"))
    twin["urn"] += "-again"
    twin["name"] += "-again"
    entries.append(twin)
    found = messages(entries, "admission/unique-object")
    assert found and "AlreadyExists" in found[0]
