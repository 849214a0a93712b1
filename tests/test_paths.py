"""The P/D, precise prefix-cache and tiered prefix-cache paths, as a user sees them in the renders of their stacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.plan import default_offload_gib
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.render.render import RenderResult, render_stack

GKE_PD = "gke-h200-pd-disaggregation"
EKS_PD = "eks-p5en-pd-disaggregation"
PRECISE = "gke-h100-precise-prefix-cache-routing"
TIERED = "gke-h100-tiered-prefix-cache"
Rendered = Callable[[str], RenderResult]


def _deployment(result: RenderResult, name: str) -> dict[str, Any]:
    """Deployment ``name``, or in the DisaggregatedSet form (P/D's default) role ``<role>`` of set ``<model>`` for
    ``name`` ``<model>-<role>``, as ``{"spec": {"template": <its workerTemplate>}}``."""
    found = [m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == name]
    if not found:
        found = [
            {"spec": {"template": role["spec"]["leaderWorkerTemplate"]["workerTemplate"]}}
            for role_name, role in _role_sets(result).items()
            if role_name == name
        ]
    (one,) = found
    return one


def _role_sets(result: RenderResult) -> dict[str, dict[str, Any]]:
    """LeaderWorkerSets by name, and the roles of DisaggregatedSets as ``<set>-<role>`` -> ``{"spec": role spec}``
    (each role is a LeaderWorkerSet template)."""
    found = {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == "LeaderWorkerSet"}
    for ds in (m for m in result.manifests if m["kind"] == "DisaggregatedSet"):
        for role in ds["spec"]["roles"]:
            found[f"{ds['metadata']['name']}-{role['name']}"] = {"spec": role["spec"]}
    return found


def _container(deployment: dict[str, Any], name: str = "modelserver") -> dict[str, Any]:
    (found,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    return found


def _flag(args: list[str], flag: str) -> str:
    index = args.index(flag)
    return args[index + 1]


def _assert_config_refused(config: dict[str, Any], key: str, fragments: tuple[str, ...]) -> None:
    """Parsing ``config`` fails with issues at ``key`` that, between them, name every fragment."""
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


def _picker_config(result: RenderResult, model: str) -> dict[str, Any]:
    (cm,) = [m for m in result.manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == f"{model}-epp"]
    document: dict[str, Any] = yaml.safe_load(cm["data"]["plugins.yaml"])
    return document


def _of_type(result: RenderResult, type_: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["type"] == type_]


@pytest.mark.parametrize("stack", [GKE_PD, EKS_PD, PRECISE, TIERED])
def test_new_reference_stacks_render_valid_and_pass_both_packs(rendered: Rendered, stack: str) -> None:
    result = rendered(stack)
    assert result.ok, result.schema_issues
    assert result.policy_ok, result.policy


# --- GKE P/D over RoCE ------------------------------------------------------------------------------------------------


def test_gke_pd_builds_the_rdma_fabric(rendered: Rendered) -> None:
    result = rendered(GKE_PD)
    (pool,) = [r for r in _of_type(result, "gcp:container/nodePool:NodePool") if r["name"] == "h200"]
    assert pool["inputs"]["nodeConfig"]["machineType"] == "a3-ultragpu-8g"
    extra = pool["inputs"]["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(extra) == 9 and [e["subnetwork"] for e in extra[1:]] == [f"llm-d-rdma-sub-{i}" for i in range(8)]
    (cluster,) = _of_type(result, "gcp:container/cluster:Cluster")
    assert cluster["inputs"]["enableMultiNetworking"] is True
    profiles = {r["name"]: r["inputs"].get("networkProfile") for r in _of_type(result, "gcp:compute/network:Network")}
    assert profiles["llm-d-rdma-net"] == "projects/my-gcp-project/global/networkProfiles/us-central1-b-vpc-roce"
    params = {m["metadata"]["name"]: m["spec"] for m in result.manifests if m["kind"] == "GKENetworkParamSet"}
    assert sorted(n for n, spec in params.items() if spec["deviceMode"] == "RDMA") == [f"rdma-{i}" for i in range(8)]
    networks = {m["metadata"]["name"] for m in result.manifests if m["kind"] == "Network"}
    assert networks == set(params) == {"gvnic-1", *(f"rdma-{i}" for i in range(8))}
    assert any(m["kind"] == "DaemonSet" and "nccl-plugin-gib" in json.dumps(m) for m in result.manifests)


def test_gke_pd_pods_attach_to_every_rdma_interface_and_use_nixl(rendered: Rendered) -> None:
    result = rendered(GKE_PD)
    for role in ("prefill", "decode"):
        deployment = _deployment(result, f"gpt-oss-120b-{role}")
        template = deployment["spec"]["template"]
        assert template["metadata"]["labels"]["llm-d.ai/role"] == role
        interfaces = json.loads(template["metadata"]["annotations"]["networking.gke.io/interfaces"])
        rdma = {i["interfaceName"]: i["network"] for i in interfaces if i["network"].startswith("rdma-")}
        assert rdma == {f"eth{i + 2}": f"rdma-{i}" for i in range(8)}
        container = _container(deployment)
        config = json.loads(_flag(container["args"], "--kv-transfer-config"))
        # The DisaggregatedSet form (default): the guide's producer / consumer roles, UCX spelled out.
        assert config == {
            "kv_connector": "NixlConnector",
            "kv_role": {"prefill": "kv_producer", "decode": "kv_consumer"}[role],
            "kv_buffer_device": "cuda",
            "kv_connector_extra_config": {"backends": ["UCX"]},
        }
        assert "--block-size=128" in container["args"]
        assert container["securityContext"]["capabilities"] == {"add": ["IPC_LOCK"]}
        env = {e["name"]: e for e in container["env"]}
        assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
        assert env["UCX_IB_ROCE_REACHABILITY_MODE"]["value"] == "all"
    decode = _deployment(result, "gpt-oss-120b-decode")["spec"]["template"]["spec"]
    (sidecar,) = decode["initContainers"]
    assert sidecar["image"] == versions.DEFAULT_RELEASE.pd_sidecar.ref and sidecar["restartPolicy"] == "Always"
    assert (
        "--vllm-port=8200" in sidecar["args"]
        and "--port=8200" in _container({"spec": {"template": {"spec": decode}}})["args"]
    )
    assert "initContainers" not in _deployment(result, "gpt-oss-120b-prefill")["spec"]["template"]["spec"]


def test_pd_picker_has_prefill_and_decode_profiles(rendered: Rendered) -> None:
    config = _picker_config(rendered(GKE_PD), "gpt-oss-120b")
    types = [p["type"] for p in config["plugins"]]
    assert {"prefill-filter", "decode-filter", "disagg-profile-handler", "always-disagg-pd-decider"} <= set(types)
    profiles = {p["name"]: [ref["pluginRef"] for ref in p["plugins"]] for p in config["schedulingProfiles"]}
    assert profiles["prefill"][0] == "prefill-filter" and profiles["decode"][0] == "decode-filter"
    (pool,) = [m for m in rendered(GKE_PD).manifests if m["kind"] == "InferencePool"]
    assert pool["spec"]["selector"]["matchLabels"] == {
        "llm-d.ai/guide": "pd-disaggregation",
        "llm-d.ai/model": "gpt-oss-120b",
    }


# --- EKS P/D over EFA -------------------------------------------------------------------------------------------------


def test_eks_pd_requests_efa_share_and_uses_libfabric(rendered: Rendered) -> None:
    result = rendered(EKS_PD)
    for role, gpus, efa in (("prefill", 1, 2), ("decode", 4, 8)):  # p5en: 16 EFA / 8 GPUs (llm-d AWS overlay)
        container = _container(_deployment(result, f"gpt-oss-120b-{role}"))
        for which in ("requests", "limits"):
            assert container["resources"][which]["vpc.amazonaws.com/efa"] == efa
            assert container["resources"][which]["nvidia.com/gpu"] == gpus
        config = json.loads(_flag(container["args"], "--kv-transfer-config"))
        assert config["kv_connector_extra_config"] == {"backends": ["LIBFABRIC"]}
    plugins = {r["inputs"]["chart"] for r in _of_type(result, "kubernetes:helm.sh/v3:Release")}
    assert "aws-efa-k8s-device-plugin" in plugins


# --- precise prefix-cache routing -------------------------------------------------------------------------------------


def test_precise_prefix_servers_publish_kv_events_to_two_active_pickers(rendered: Rendered) -> None:
    result = rendered(PRECISE)
    container = _container(_deployment(result, "qwen3-32b-decode"))
    events = json.loads(_flag(container["args"], "--kv-events-config"))
    assert events["enable_kv_cache_events"] is True and events["publisher"] == "zmq"
    assert events["topic"] == "kv@$(POD_IP):$(POD_PORT)@Qwen/Qwen3-32B"
    assert "--block-size=64" in container["args"]
    assert {"name": "kv-events", "containerPort": 5556, "protocol": "TCP"} in container["ports"]
    epp = _deployment(result, "qwen3-32b-epp")
    assert epp["spec"]["replicas"] == 2
    assert "--ha-enable-leader-election=false" in _container(epp, "epp")["args"]
    config = _picker_config(result, "qwen3-32b")
    by_type = {p["type"]: p.get("parameters", {}) for p in config["plugins"]}
    assert by_type["precise-prefix-cache-producer"]["tokenProcessorConfig"]["blockSize"] == 64
    assert by_type["token-producer"]["vllm"]["url"] == "http://qwen3-32b-render:8000"
    render = _deployment(result, "qwen3-32b-render")
    assert render["spec"]["replicas"] == 3
    assert _container(render, "vllm-render")["command"] == ["vllm", "launch", "render"]
    (policy,) = [
        m for m in result.manifests if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "qwen3-32b-modelserver"
    ]
    picker_rule = policy["spec"]["ingress"][1]
    assert {"protocol": "TCP", "port": 5556} in picker_rule["ports"]


# --- tiered prefix cache ----------------------------------------------------------------------------------------------


def test_tiered_servers_offload_kv_to_cpu_sized_from_the_node(rendered: Rendered) -> None:
    result = rendered(TIERED)
    container = _container(_deployment(result, "qwen3-32b-decode"))
    config = json.loads(_flag(container["args"], "--kv-transfer-config"))
    a3 = catalog.machine("gcp", "a3-highgpu-8g")
    gib = default_offload_gib(a3, 2, "96Gi")
    assert gib == (1872 // 4 - 96) // 2 == 186
    assert config == {
        "kv_connector": "OffloadingConnector",
        "kv_role": "kv_both",
        "kv_connector_extra_config": {"cpu_bytes_to_use": gib * 2**30},
    }
    assert container["resources"]["requests"]["memory"] == f"{96 + gib}Gi"
    picker = _picker_config(result, "qwen3-32b")
    named = {p.get("name", p["type"]): p.get("parameters", {}) for p in picker["plugins"]}
    assert named["cpu-prefix-cache-producer"]["lruCapacityPerServer"] == gib * 2**30 // (163840 * 16)
    assert {"gpu-prefix-cache-scorer", "cpu-prefix-cache-scorer"} <= set(named)


# --- held-out configurations and errors -------------------------------------------------------------------------------


def _gcp(machine: str, model: dict[str, Any], **pool: Any) -> dict[str, Any]:
    return {
        "target": {"cloud": "gcp", "project": "my-gcp-project", "region": "us-central1", "zone": "us-central1-b"},
        "cluster": {"controlPlane": {"authorizedCidrs": ["203.0.113.0/24"]}},
        "pools": [
            {
                "name": "gpu",
                "machineType": machine,
                "nodeCount": 4,
                "autoscaling": {"minNodes": 4, "maxNodes": 8},
                **pool,
            }
        ],
        "models": [{"name": "m", "huggingFaceId": "Qwen/Qwen3-8B", **model}],
    }


def _render(tmp_path: Path, config: dict[str, Any]) -> RenderResult:
    return render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)


def test_held_out_pd_over_tcp_on_a3_high_renders_with_the_choice_recorded(tmp_path: Path) -> None:
    pd = {"path": "pd-disaggregation", "kvTransport": "tcp", "tensorParallelSize": 2, "replicas": 2}
    result = _render(tmp_path, _gcp("a3-highgpu-8g", {**pd, "prefill": {"replicas": 4}}))
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    decode = _deployment(result, "m-decode")["spec"]["template"]
    assert decode["metadata"]["annotations"]["llm-d.ai/kv-transport"] == "tcp"
    assert not any(r["type"] == "gcp:compute/network:Network" and "rdma" in r["name"] for r in result.resources)


def test_held_out_tiered_with_lmcache_on_a4(tmp_path: Path) -> None:
    model = {
        "path": "tiered-prefix-cache",
        "tensorParallelSize": 4,
        "replicas": 2,
        "kvOffload": {"connector": "lmcache", "cpuGib": 100},
    }
    result = _render(tmp_path, _gcp("a4-highgpu-8g", model, rdma=False))
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    container = _container(_deployment(result, "m-decode"))
    assert json.loads(_flag(container["args"], "--kv-transfer-config"))["kv_connector"] == "LMCacheConnectorV1"
    assert {"name": "LMCACHE_MAX_LOCAL_CPU_SIZE", "value": "107.4"} in container["env"]


@pytest.mark.parametrize(
    ("machine", "model", "pool", "key", "fragments"),
    [
        (
            "a3-highgpu-8g",
            {"path": "pd-disaggregation", "tensorParallelSize": 2, "prefill": {"replicas": 2}},
            {},
            "llmd:models[0].kvTransport",
            ("no RDMA fabric", "kvTransport: tcp", "a3-ultragpu-8g"),
        ),
        (
            "a3-ultragpu-8g",
            {"path": "pd-disaggregation", "tensorParallelSize": 4, "prefill": {"replicas": 2, "tensorParallelSize": 8}},
            {},
            "llmd:models[0].tensorParallelSize",
            ("one pod", "allowed: 8"),
        ),
        ("a3-ultragpu-8g", {"path": "pd-disaggregation"}, {}, "llmd:models[0].prefill", ("is required",)),
        (
            "a3-highgpu-8g",
            {"path": "optimized-baseline", "prefill": {"replicas": 1}},
            {},
            "llmd:models[0].prefill",
            ("'pd-disaggregation' / 'wide-ep' only",),
        ),
        (
            "a3-highgpu-8g",
            {"tensorParallelSize": 1},
            {"rdma": True},
            "llmd:pools[0].rdma",
            ("gpudirect-tcpx", "a3-ultragpu-8g"),
        ),
        ("a3-megagpu-8g", {"tensorParallelSize": 1}, {"rdma": True}, "llmd:pools[0].rdma", ("gpudirect-tcpxo",)),
        ("g2-standard-48", {"tensorParallelSize": 1}, {"rdma": True}, "llmd:pools[0].rdma", ("has no RDMA NICs",)),
        (
            "a3-highgpu-8g",
            {"path": "tiered-prefix-cache", "tensorParallelSize": 1, "kvOffload": {"cpuGib": 400}},
            {},
            "llmd:models[0].resources.memoryRequest",
            ("CPU KV offload",),
        ),
        (
            "a3-highgpu-8g",
            {"path": "precise-prefix-cache-routing", "router": {"scorerWeights": {"queue-scorer": 1}}},
            {},
            "llmd:models[0].router.scorerWeights",
            ("'optimized-baseline' only",),
        ),
    ],
)
def test_path_errors_name_key_value_and_what_is_allowed(
    machine: str, model: dict[str, Any], pool: dict[str, Any], key: str, fragments: tuple[str, ...]
) -> None:
    _assert_config_refused(_gcp(machine, model, **pool), key, fragments)


def test_eks_pd_without_efa_is_refused_unless_tcp() -> None:
    config = {
        "target": {"cloud": "aws", "region": "us-east-1", "availabilityZones": ["us-east-1a", "us-east-1b"]},
        "cluster": {"controlPlane": {"authorizedCidrs": ["203.0.113.0/24"]}},
        "pools": [{"name": "gpu", "machineType": "p5en.48xlarge", "nodeCount": 2, "efa": False}],
        "models": [{"name": "m", "huggingFaceId": "openai/gpt-oss-120b", "path": "pd-disaggregation", "prefill": {}}],
    }
    with pytest.raises(ConfigError, match="EFA instance type"):
        parse_stack_config(config)
    config["models"][0]["kvTransport"] = "tcp"
    parse_stack_config(config)


def test_existing_infiniband_pool_gives_pd_pods_rdma_ib(tmp_path: Path) -> None:
    config = {
        "target": {"cloud": "existing"},
        "pools": [
            {
                "name": "gpu",
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "devicesPerNode": 8,
                "vcpus": 128,
                "memoryGib": 2048,
                "nodeCount": 2,
                "rdmaResource": "rdma/ib",
            }
        ],
        "models": [
            {
                "name": "m",
                "huggingFaceId": "openai/gpt-oss-120b",
                "path": "pd-disaggregation",
                "tensorParallelSize": 4,
                "replicas": 2,
                "prefill": {"replicas": 4},
                "router": {"replicas": 2},
            }
        ],
    }
    result = _render(tmp_path, config)
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    container = _container(_deployment(result, "m-decode"))
    assert container["resources"]["limits"]["rdma/ib"] == 1


# --- TPU -------------------------------------------------------------------------------------------------------------

TPU = "gke-tpu-v6e-optimized-baseline"


def test_tpu_stack_serves_vllm_tpu_on_a_ct6e_slice(rendered: Rendered) -> None:
    result = rendered(TPU)
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    (pool,) = [r for r in _of_type(result, "gcp:container/nodePool:NodePool") if r["name"] == "v6e"]
    node = pool["inputs"]["nodeConfig"]
    assert node["machineType"] == "ct6e-standard-8t" and "guestAccelerators" not in node
    assert {"effect": "NO_SCHEDULE", "key": "google.com/tpu", "value": "present"} in node["taints"]
    deployment = _deployment(result, "qwen3-32b-decode")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["nodeSelector"]["cloud.google.com/gke-tpu-accelerator"] == "tpu-v6e-slice"
    assert pod["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x4"
    container = _container(deployment)
    assert container["image"] == versions.DEFAULT_RELEASE.vllm_tpu.ref
    assert (
        container["resources"]["requests"]["google.com/tpu"] == 8 == container["resources"]["limits"]["google.com/tpu"]
    )
    assert "--tensor-parallel-size=8" in container["args"]
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    assert all(e["name"] != "USER" for e in container["env"]) and all(v["name"] != "shm" for v in pod["volumes"])


@pytest.mark.parametrize(
    ("pool", "region", "model", "key", "fragments"),
    [
        (
            {"machineType": "ct6e-standard-8t"},
            "europe-west1",
            {},
            "llmd:pools[0].machineType",
            ("not offered in region europe-west1", "us-east5"),
        ),
        (
            {"machineType": "ct6e-standard-4t", "tpuTopology": "4x4"},
            "us-east5",
            {},
            "llmd:models[0].tensorParallelSize",
            ("spans one multi-host TPU slice", "allowed: TP x PP = 16"),
        ),
        (
            {"machineType": "ct6e-standard-8t", "tpuTopology": "3x3"},
            "us-east5",
            {},
            "llmd:pools[0].tpuTopology",
            ("allowed on ct6e-standard-8t: 2x4",),
        ),
        (
            {"machineType": "a3-highgpu-8g", "tpuTopology": "2x4"},
            "us-east5",
            {},
            "llmd:pools[0].tpuTopology",
            ("not a TPU machine type",),
        ),
        (
            {"machineType": "ct6e-standard-8t"},
            "us-east5",
            {"path": "tiered-prefix-cache"},
            "llmd:models[0].path",
            ("TPU",),
        ),
        (
            {"machineType": "ct6e-standard-8t"},
            "us-east5",
            {"tensorParallelSize": 3},
            "llmd:models[0].tensorParallelSize",
            ("divide",),
        ),
    ],
)
def test_tpu_errors_name_key_value_and_what_is_allowed(
    pool: dict[str, Any], region: str, model: dict[str, Any], key: str, fragments: tuple[str, ...]
) -> None:
    config = {
        "target": {"cloud": "gcp", "project": "my-gcp-project", "region": region, "zone": f"{region}-b"},
        "pools": [{"name": "tpu", "nodeCount": 1, **pool}],
        "models": [{"name": "m", "huggingFaceId": "Qwen/Qwen3-8B", "tensorParallelSize": 8, **model}],
    }
    _assert_config_refused(config, key, fragments)


# --- wide-EP on LeaderWorkerSet ---------------------------------------------------------------------------------------

WIDE_EP = "gke-b200-wide-ep"


def test_wide_ep_stack_runs_multi_node_expert_parallel_groups_on_a4(rendered: Rendered) -> None:
    result = rendered(WIDE_EP)
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    (pool,) = [r for r in _of_type(result, "gcp:container/nodePool:NodePool") if r["name"] == "b200"]
    assert pool["inputs"]["nodeConfig"]["machineType"] == "a4-highgpu-8g"
    assert len(pool["inputs"]["networkConfig"]["additionalNodeNetworkConfigs"]) == 9
    assert any(r["type"] == "llmd:platform:LeaderWorkerSet" for r in result.resources)  # the LWS controller
    sets = _role_sets(result)
    assert set(sets) == {"deepseek-r1-prefill", "deepseek-r1-decode"}
    for role, backend in (("prefill", "deepep_high_throughput"), ("decode", "deepep_low_latency")):
        lws = sets[f"deepseek-r1-{role}"]["spec"]
        assert lws["leaderWorkerTemplate"]["size"] == 2
        template = lws["leaderWorkerTemplate"]["workerTemplate"]
        assert "networking.gke.io/interfaces" in template["metadata"]["annotations"]
        container = template["spec"]["containers"][0]
        args = container["args"]
        assert "--enable-expert-parallel" in args and "--data-parallel-size=16" in args
        assert "--data-parallel-size-local=8" in args and f"--all2all-backend={backend}" in args
        assert container["resources"]["limits"]["nvidia.com/gpu"] == 8
        assert sorted(container["securityContext"]["capabilities"]["add"]) == ["IPC_LOCK", "SYS_RAWIO"]
    (inference_pool,) = [m for m in result.manifests if m["kind"] == "InferencePool"]
    assert [p["number"] for p in inference_pool["spec"]["targetPorts"]] == list(range(8000, 8008))
    scaled = [m for m in result.manifests if m["kind"] == "ScaledObject"]
    # The DisaggregatedSet form (default): KEDA drives each role's stable scale target, its
    # DisaggregatedSetRoleScaler (never a plain HPA: the scaler starts at 0; tests/test_ds_autoscaling.py).
    assert {h["spec"]["scaleTargetRef"]["kind"] for h in scaled} == {"DisaggregatedSetRoleScaler"}
    assert not [m for m in result.manifests if m["kind"] == "HorizontalPodAutoscaler"]


def _wide(machine: str, **model: Any) -> dict[str, Any]:
    base = {"path": "wide-ep", "dataParallelSize": 16, "prefill": {"replicas": 1}, "router": {"replicas": 2}}
    return _gcp(machine, {**base, **model})


def test_held_out_wide_ep_sizes_render_valid(tmp_path: Path) -> None:
    config = _wide("a3-ultragpu-8g", dataParallelSize=24, prefill={"replicas": 1, "dataParallelSize": 8})
    config["pools"][0]["autoscaling"] = {"minNodes": 4, "maxNodes": 8}
    result = _render(tmp_path, config)
    assert result.ok and result.policy_ok, (result.schema_issues, result.policy)
    sizes = {name: m["spec"]["leaderWorkerTemplate"]["size"] for name, m in _role_sets(result).items()}
    assert sizes == {"m-decode": 3, "m-prefill": 1}


@pytest.mark.parametrize(
    ("machine", "model", "key", "fragments"),
    [
        ("a4-highgpu-8g", {"dataParallelSize": 12}, "llmd:models[0].dataParallelSize", ("multiple of the 8 ranks",)),
        ("a3-highgpu-8g", {}, "llmd:models[0].dataParallelSize", ("needs RDMA", "a4-highgpu-8g")),
        ("a4-highgpu-8g", {"dataParallelSizeLocal": 4}, "llmd:models[0].dataParallelSizeLocal", ("all 8 GPUs",)),
        ("a4-highgpu-8g", {"pipelineParallelSize": 2}, "llmd:models[0].pipelineParallelSize", ("allowed: 1",)),
        ("a4-highgpu-8g", {"dataParallelSize": None}, "llmd:models[0].dataParallelSize", ("is required",)),
        ("a4-highgpu-8g", {"dataParallelSize": 64}, "llmd:pools[0].autoscaling.maxNodes", ("need 128",)),
    ],
)
def test_wide_ep_errors_name_key_value_and_what_is_allowed(
    machine: str, model: dict[str, Any], key: str, fragments: tuple[str, ...]
) -> None:
    config = _wide(machine, **model)
    config["models"][0] = {k: v for k, v in config["models"][0].items() if v is not None}
    _assert_config_refused(config, key, fragments)


# --- the RDMA attachment of a model server, component level --------------------------------------------------------


def _rdma_pool(attachment: Any) -> Any:
    from pulumi_llmd.components.base import AcceleratorPool

    return AcceleratorPool(
        name="gpu",
        shape=catalog.machine("gcp", "a3-ultragpu-8g"),
        node_selector={"cloud.google.com/gke-nodepool": "gpu"},
        tolerations=(),
        max_nodes=2,
        rdma=attachment,
    )


def test_model_server_on_a_dra_pool_claims_a_gpu_and_its_nic_per_accelerator() -> None:
    from mock_program import assert_schema_valid, one, run

    from pulumi_llmd.components.base import DraRdmaClaim, RdmaAttachment
    from pulumi_llmd.components.catalog import RdmaKind
    from pulumi_llmd.components.serving import ModelServer, VllmSpec, model_server_labels

    claim = DraRdmaClaim(template="gke-rdma", gpu_device_class="gpu.nvidia.com", nic_device_class="mrdma.google.com")
    pool = _rdma_pool(RdmaAttachment(fabric=RdmaKind.ROCE, nics_per_node=8, dra=claim))
    labels = model_server_labels(guide="pd-disaggregation", role="prefill", model="m")
    run_ = run(
        lambda: ModelServer(
            "m-prefill",
            namespace="ns",
            replicas=2,
            spec=VllmSpec(model="Qwen/Qwen3-8B"),
            pool=pool,
            labels=labels,
            rdma=True,
        )
    )
    assert run_.error is None, run_.error
    assert_schema_valid(run_)
    template = one(run_, "kubernetes:resource.k8s.io/v1:ResourceClaimTemplate").inputs
    assert template["metadata"]["name"] == "m-prefill-gke-rdma"
    deployment = one(run_, "kubernetes:apps/v1:Deployment").inputs
    pod = deployment["spec"]["template"]["spec"]
    assert pod["resourceClaims"] == [{"name": "rdma-0", "resourceClaimTemplateName": "m-prefill-gke-rdma"}]
    resources = pod["containers"][0]["resources"]
    assert resources["claims"] == [{"name": "rdma-0"}] and "nvidia.com/gpu" not in resources["limits"]


def test_model_server_refuses_a_partial_node_pod_on_per_node_rdma_interfaces() -> None:
    from mock_program import refused, run

    from pulumi_llmd.components.base import RdmaAttachment
    from pulumi_llmd.components.catalog import RdmaKind
    from pulumi_llmd.components.serving import ModelServer, VllmSpec, model_server_labels

    pool = _rdma_pool(RdmaAttachment(fabric=RdmaKind.ROCE, nics_per_node=8, annotations={"a": "b"}))
    labels = model_server_labels(guide="pd-disaggregation", role="decode", model="m")
    spec = VllmSpec(model="Qwen/Qwen3-8B", tensor_parallel_size=4)
    run_ = run(
        lambda: ModelServer("m-decode", namespace="ns", replicas=1, spec=spec, pool=pool, labels=labels, rdma=True)
    )
    refused(run_, "m-decode", "one pod per node", "all 8 accelerators", "takes 4")
