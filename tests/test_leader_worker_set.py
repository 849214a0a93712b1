"""Wide expert parallelism on LeaderWorkerSet (llm-d guides/wide-ep-lws): the LWS manifest, its vLLM flags per rank,
RDMA attachment per fabric, what the component refuses, and the LWS controller's DisaggregatedSet option."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from mock_program import assert_schema_valid, child_types, one, refused, run

from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.base import AcceleratorPool, DraRdmaClaim, RdmaAttachment, Toleration
from pulumi_llmd.components.catalog import RdmaKind
from pulumi_llmd.components.platform import LeaderWorkerSetController, scheduling
from pulumi_llmd.components.serving import (
    MultiNodeModelServer,
    PodResources,
    WideEpSpec,
    inference_pool_manifest,
    leader_worker_set_manifest,
    model_server_labels,
    target_ports,
)
from pulumi_llmd.components.serving.leader_worker_set import (
    WIDE_EP_CAPABILITIES,
    WIDE_EP_KV_TRANSFER_CONFIG,
    WIDE_EP_RESOURCES,
    launch_script,
)
from pulumi_llmd.render.render import build_result
from pulumi_llmd.render.validation import SchemaValidator

A4 = catalog.machine("gcp", "a4-highgpu-8g")
P5EN = catalog.machine("aws", "p5en.48xlarge")
GPU_TAINT = Toleration("nvidia.com/gpu", "present", "NoSchedule")
GKE_INTERFACES = json.dumps(
    [{"interfaceName": "eth0", "network": "default"}, {"interfaceName": "eth1", "network": "gvnic-1"}]
    + [{"interfaceName": f"eth{i + 2}", "network": f"rdma-{i}"} for i in range(8)],
    separators=(",", ":"),
)
GKE_ANNOTATIONS = {"networking.gke.io/default-interface": "eth0", "networking.gke.io/interfaces": GKE_INTERFACES}
MODEL = "deepseek-ai/DeepSeek-R1-0528"
LWS_TYPE = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"


def gke_pool(**overrides: Any) -> AcceleratorPool:
    args: dict[str, Any] = {
        "name": "b200",
        "shape": A4,
        "node_selector": {"cloud.google.com/gke-nodepool": "b200"},
        "tolerations": (GPU_TAINT,),
        "max_nodes": 4,
        "model_server_env": {"NCCL_TUNER_PLUGIN": "none"},
        "rdma": RdmaAttachment(
            fabric=RdmaKind.ROCE,
            nics_per_node=8,
            annotations=GKE_ANNOTATIONS,
            env={"UCX_IB_ROCE_REACHABILITY_MODE": "all"},
        ),
    }
    args.update(overrides)
    return AcceleratorPool(**args)


def efa_pool(**overrides: Any) -> AcceleratorPool:
    args: dict[str, Any] = {
        "name": "h200",
        "shape": P5EN,
        "node_selector": {"eks.amazonaws.com/nodegroup": "h200"},
        "tolerations": (Toleration("nvidia.com/gpu", None, "NoSchedule"),),
        "max_nodes": 4,
        "rdma": RdmaAttachment(
            fabric=RdmaKind.EFA,
            nics_per_node=16,
            resource_name="vpc.amazonaws.com/efa",
            env={"FI_PROVIDER": "efa"},
            nixl_backends=("LIBFABRIC",),
        ),
    }
    args.update(overrides)
    return AcceleratorPool(**args)


def spec(**overrides: Any) -> WideEpSpec:
    args: dict[str, Any] = {
        "model": MODEL,
        "role": "decode",
        "data_parallel_size": 16,
        "data_parallel_size_local": 8,
        "group_size": 2,
        "kv_transfer_config": WIDE_EP_KV_TRANSFER_CONFIG,
    }
    args.update(overrides)
    return WideEpSpec(**args)


def manifest(spec_: WideEpSpec | None = None, pool: AcceleratorPool | None = None, **kw: Any) -> dict[str, Any]:
    s = spec_ or spec()
    args: dict[str, Any] = {
        "name": f"wide-ep-{s.role}",
        "namespace": "llm-d-wide-ep",
        "replicas": 1,
        "spec": s,
        "pool": pool or gke_pool(),
        "labels": model_server_labels(guide="wide-ep-lws", role=s.role, model="DeepSeek-R1-0528"),
        "resources": WIDE_EP_RESOURCES,
        "service_account": "deepseek-r1",
        "hf_token_secret": "llm-d-hf-token",
    }
    args.update(kw)
    return leader_worker_set_manifest(**args)


def pod(m: Mapping[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = m["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    return template


def vllm(m: Mapping[str, Any]) -> dict[str, Any]:
    (container,) = pod(m)["spec"]["containers"]
    assert container["name"] == "vllm"
    return dict(container)


def env_of(container: Mapping[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


# --- the manifest against the carried LWS v1 CRD schema -------------------------------------------------------------


@pytest.mark.parametrize("role", ["prefill", "decode"])
@pytest.mark.parametrize("pool", [gke_pool, efa_pool], ids=["gke-roce", "eks-efa"])
def test_manifest_is_valid_against_the_lws_crd_schema(role: str, pool: Callable[[], AcceleratorPool]) -> None:
    m = manifest(spec(role=role), pool())
    assert m["apiVersion"] == "leaderworkerset.x-k8s.io/v1" and m["kind"] == "LeaderWorkerSet"
    validator = SchemaValidator()
    assert validator.has_schema("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet")
    assert validator.validate(m) == []


def test_schema_validation_of_the_manifest_can_fail() -> None:
    m = manifest()
    broken = copy.deepcopy(m)
    broken["spec"]["leaderWorkerTemplate"]["size"] = "two"
    pod(broken)["spec"]["containers"][0]["capabilitys"] = ["IPC_LOCK"]
    paths = {issue.path for issue in SchemaValidator().validate(broken)}
    assert "spec.leaderWorkerTemplate.size" in paths
    assert any(p.startswith("spec.leaderWorkerTemplate.workerTemplate.spec.containers[0]") for p in paths), paths


def test_group_shape_follows_the_spec() -> None:
    m = manifest(spec(data_parallel_size=32, group_size=4), replicas=3)
    assert m["spec"]["replicas"] == 3
    lwt = m["spec"]["leaderWorkerTemplate"]
    assert lwt["size"] == 4
    assert lwt["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert "leaderTemplate" not in lwt  # one template: the start rank comes from LWS_WORKER_INDEX
    assert pod(m)["metadata"]["labels"] == m["metadata"]["labels"]
    assert m["metadata"]["labels"]["llm-d.ai/role"] == "decode"
    assert "--data-parallel-size=32" in vllm(m)["args"]


# --- vLLM flags ------------------------------------------------------------------------------------------------------


def test_vllm_flags_follow_the_guide() -> None:
    args = vllm(manifest(spec(role="prefill", served_name="deepseek-r1", max_model_len=16384)))["args"]
    assert args[0] == MODEL
    for flag in (
        "--port=8000",
        "--served-model-name=deepseek-r1",
        "--enable-expert-parallel",
        "--data-parallel-multi-port-external-lb",
        "--data-parallel-supervisor-port=8008",
        "--tensor-parallel-size=1",
        "--data-parallel-size=16",
        "--data-parallel-size-local=8",
        "--data-parallel-address=$(LWS_LEADER_ADDRESS)",
        "--data-parallel-rpc-port=5555",
        "--max-model-len=16384",
        "--moe-backend=deep_gemm",
        "--gpu-memory-utilization=0.80",
    ):
        assert flag in args, flag
    assert (
        '--kv-transfer-config={"kv_connector":"NixlConnector","kv_role":"kv_both","kv_load_failure_policy":"fail"}'
        in args
    )
    # The start rank depends on the pod; the launch script appends it at run time, never the static args.
    assert not any("start-rank" in a for a in args)


def test_all2all_backend_defaults_from_the_role_and_can_be_overridden() -> None:
    decode = vllm(manifest(spec(role="decode")))["args"]
    prefill = vllm(manifest(spec(role="prefill")))["args"]
    assert "--all2all-backend=deepep_low_latency" in decode
    assert "--all2all-backend=deepep_high_throughput" in prefill
    assert not any(a.startswith("--all2all-backend=deepep_high") for a in decode)
    chosen = vllm(manifest(spec(role="decode", all2all_backend="allgather_reducescatter")))["args"]
    assert [a for a in chosen if a.startswith("--all2all-backend")] == ["--all2all-backend=allgather_reducescatter"]


def test_role_tuning_defaults_to_the_guide_and_can_be_dropped() -> None:
    decode = vllm(manifest(spec(role="decode")))["args"]
    assert {"--max-num-seqs=256", "--max-num-batched-tokens=256", "--enable-dbo"} <= set(decode)
    assert "--gpu-memory-utilization=0.80" not in decode
    bare = vllm(manifest(spec(role="decode", tuning_args=(), extra_args=("--enforce-eager",))))["args"]
    assert "--enable-dbo" not in bare and "--max-num-seqs=256" not in bare
    assert bare[-1] == "--enforce-eager"


def test_no_kv_transfer_config_means_no_nixl_flag_or_side_channel_env() -> None:
    container = vllm(manifest(spec(kv_transfer_config=None)))
    assert not any(a.startswith("--kv-transfer-config") for a in container["args"])
    assert "VLLM_NIXL_SIDE_CHANNEL_HOST" not in env_of(container)


def _fake_tool(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash, as the container does")
@pytest.mark.parametrize(("worker_index", "start_rank"), [(None, 0), ("0", 0), ("1", 8), ("3", 24)])
def test_launch_script_starts_each_pod_at_worker_index_times_local_ranks(
    tmp_path: Path, worker_index: str | None, start_rank: int
) -> None:
    """Run the container's command with stand-ins for ``vllm`` (prints its argv) and ``find`` (touches nothing), as
    the leader (no / zero ``LWS_WORKER_INDEX``) and as workers 1 and 3 of a group of 8-rank pods."""
    _fake_tool(tmp_path, "vllm", 'printf "%s\\n" "$@"')
    _fake_tool(tmp_path, "find", "exit 0")
    container = vllm(manifest(spec(data_parallel_size=32, group_size=4)))
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.path.dirname(shutil.which('bash') or '/bin/bash')}"}
    if worker_index is not None:
        env["LWS_WORKER_INDEX"] = worker_index
    argv = ["bash", *container["command"][1:], *container["args"]]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=30).stdout.splitlines()
    assert out[0] == "serve"
    assert out[1:-2] == container["args"]  # the container args reach vllm serve unchanged (kubelet expands $(..))
    assert out[-2:] == ["--data-parallel-start-rank", str(start_rank)]


def test_launch_script_multiplies_by_the_local_rank_count() -> None:
    assert "${LWS_WORKER_INDEX:-0} * 4 ))" in launch_script(4)
    assert "find /dev/shm -type f -delete" in launch_script(4)


# --- ports and the InferencePool -------------------------------------------------------------------------------------


def test_target_ports_are_one_per_local_rank() -> None:
    assert target_ports(spec()) == [8000, 8001, 8002, 8003, 8004, 8005, 8006, 8007]
    four = spec(data_parallel_size=8, data_parallel_size_local=4)
    assert target_ports(four) == [8000, 8001, 8002, 8003]
    pool = inference_pool_manifest(
        name="wide-ep",
        namespace="ns",
        selector={"llm-d.ai/guide": "wide-ep-lws"},
        endpoint_picker="wide-ep-epp",
        target_ports=target_ports(spec()),
    )
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == list(range(8000, 8008))
    assert SchemaValidator().validate(pool) == []


def test_prefill_serves_each_rank_on_8000_plus_rank_and_the_supervisor_next() -> None:
    m = manifest(spec(role="prefill"))
    assert "initContainers" not in pod(m)["spec"]
    ports = {p["name"]: p["containerPort"] for p in vllm(m)["ports"]}
    assert ports == {**{f"rank{r}": 8000 + r for r in range(8)}, "supervisor": 8008}
    assert vllm(m)["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "supervisor"}
    assert vllm(m)["livenessProbe"]["httpGet"] == {"path": "/health", "port": "supervisor"}
    assert vllm(m)["startupProbe"]["failureThreshold"] == 2700


def test_decode_ranks_sit_behind_the_dp_aware_routing_sidecar() -> None:
    m = manifest(spec(role="decode"))
    (sidecar,) = pod(m)["spec"]["initContainers"]
    assert sidecar["image"] == versions.DEFAULT_RELEASE.pd_sidecar.ref
    assert sidecar["restartPolicy"] == "Always"
    assert {"--port=8000", "--vllm-port=8200", "--data-parallel-size=8", "--kv-connector=nixlv2"} <= set(
        sidecar["args"]
    )
    assert [p["containerPort"] for p in sidecar["ports"]] == target_ports(spec())
    vllm_ports = {p["name"]: p["containerPort"] for p in vllm(m)["ports"]}
    assert vllm_ports == {**{f"vllm-rank{r}": 8200 + r for r in range(8)}, "supervisor": 8208}
    assert "--port=8200" in vllm(m)["args"] and "--data-parallel-supervisor-port=8208" in vllm(m)["args"]
    without = manifest(spec(role="decode", routing_sidecar=False))
    assert "initContainers" not in pod(without)["spec"]
    assert "--port=8000" in vllm(without)["args"]


# --- environment, security, placement ------------------------------------------------------------------------------


def test_env_carries_the_guide_the_fabric_the_pool_and_the_spec() -> None:
    container = vllm(manifest(spec(role="decode", extra_env={"VLLM_LOGGING_LEVEL": "DEBUG"})))
    env = env_of(container)
    assert container["env"][0]["name"] == "HF_TOKEN"
    assert env["HF_TOKEN"] == {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}
    assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["NVSHMEM_REMOTE_TRANSPORT"] == "ibgda" and env["NVSHMEM_IB_ENABLE_IBGDA"] == "true"
    assert env["NVIDIA_GDRCOPY"] == "enabled"
    assert env["NVSHMEM_SYMMETRIC_SIZE"] == "16G" and env["VLLM_USE_DEEP_GEMM"] == "1"
    assert env["NCCL_TUNER_PLUGIN"] == "none"  # pool.model_server_env
    assert env["UCX_IB_ROCE_REACHABILITY_MODE"] == "all"  # pool.rdma.env
    assert env["VLLM_LOGGING_LEVEL"] == "DEBUG"  # spec.extra_env wins over the guide's INFO
    prefill = env_of(vllm(manifest(spec(role="prefill"))))
    assert prefill["VLLM_HTTP_TIMEOUT_KEEP_ALIVE"] == "120" and "NVSHMEM_SYMMETRIC_SIZE" not in prefill


def test_efa_uses_nvshmem_libfabric_not_ibgda() -> None:
    env = env_of(vllm(manifest(pool=efa_pool())))
    assert env["NVSHMEM_REMOTE_TRANSPORT"] == "libfabric"
    assert env["NVSHMEM_LIBFABRIC_PROVIDER"] == "efa"
    assert "NVSHMEM_IB_ENABLE_IBGDA" not in env
    assert env["FI_PROVIDER"] == "efa"


def test_capabilities_are_exactly_ipc_lock_and_sys_rawio_and_never_privileged() -> None:
    pool = gke_pool(rdma=RdmaAttachment(fabric=RdmaKind.ROCE, nics_per_node=8, annotations=GKE_ANNOTATIONS))
    for m in (manifest(pool=pool), manifest(spec(role="prefill"), efa_pool())):
        security = vllm(m)["securityContext"]
        assert security["capabilities"] == {"add": ["IPC_LOCK", "SYS_RAWIO"]}
        assert security["privileged"] is False
        assert security["allowPrivilegeEscalation"] is False
    assert WIDE_EP_CAPABILITIES == ("IPC_LOCK", "SYS_RAWIO")


def test_gke_annotations_are_copied_to_the_pod_template() -> None:
    m = manifest()
    assert pod(m)["metadata"]["annotations"] == GKE_ANNOTATIONS
    assert "annotations" not in m["metadata"]
    container = vllm(m)
    assert not any(k.startswith(("vpc.amazonaws.com", "rdma/")) for k in container["resources"]["limits"])
    assert pod(m)["spec"]["nodeSelector"] == {"cloud.google.com/gke-nodepool": "b200"}
    assert pod(m)["spec"]["tolerations"] == [GPU_TAINT.to_k8s()]


def test_whole_node_pods_get_every_gpu_and_the_guide_resources() -> None:
    resources = vllm(manifest())["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == 8
    assert resources["requests"]["cpu"] == "32" and resources["limits"]["memory"] == "512Gi"
    volumes = {v["name"]: v for v in pod(manifest())["spec"]["volumes"]}
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "2Gi"}


@pytest.mark.parametrize(("local", "nics"), [(8, 16), (4, 8), (2, 4)])
def test_efa_devices_are_the_pods_share_of_the_node(local: int, nics: int) -> None:
    s = spec(data_parallel_size=local * 2, data_parallel_size_local=local)
    m = manifest(s, efa_pool())
    resources = vllm(m)["resources"]
    assert resources["requests"]["vpc.amazonaws.com/efa"] == resources["limits"]["vpc.amazonaws.com/efa"] == nics
    assert resources["limits"]["nvidia.com/gpu"] == local
    assert "annotations" not in pod(m)["metadata"]
    assert pod(m)["spec"]["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "h200"}


def test_dra_pools_claim_one_gpu_and_nic_per_rank_instead_of_the_device_plugin() -> None:
    dra = DraRdmaClaim(template="gpu-nic", gpu_device_class="gpu.nvidia.com", nic_device_class="mrdma.google.com")
    m = manifest(pool=gke_pool(rdma=RdmaAttachment(fabric=RdmaKind.ROCE, nics_per_node=8, dra=dra)))
    claims = pod(m)["spec"]["resourceClaims"]
    assert len(claims) == 8
    assert {c["resourceClaimTemplateName"] for c in claims} == {"wide-ep-decode-gpu-nic"}
    resources = vllm(m)["resources"]
    assert "nvidia.com/gpu" not in resources["limits"]
    assert [c["name"] for c in resources["claims"]] == [c["name"] for c in claims]
    assert SchemaValidator().validate(m) == []


# --- the component under the mock engine -----------------------------------------------------------------------------


def multi_node(s: WideEpSpec | None = None, pool: AcceleratorPool | None = None, **kw: Any) -> MultiNodeModelServer:
    s = s or spec()
    return MultiNodeModelServer(
        f"ds-{s.role}",
        namespace="llm-d-wide-ep",
        replicas=kw.pop("replicas", 1),
        spec=s,
        pool=pool or gke_pool(),
        labels=model_server_labels(guide="wide-ep-lws", role=s.role, model="DeepSeek-R1-0528"),
        hf_token_secret="llm-d-hf-token",
        **kw,
    )


def test_component_registers_service_account_lws_and_pdb_that_validate() -> None:
    built: list[MultiNodeModelServer] = []
    result = run(lambda: built.append(multi_node()))
    assert result.error is None, repr(result.error)
    component = one(result, "llmd:serving:MultiNodeModelServer")
    assert child_types(result, component) == [
        "kubernetes:core/v1:ServiceAccount",
        LWS_TYPE,
        "kubernetes:policy/v1:PodDisruptionBudget",
    ]
    lws = one(result, LWS_TYPE).inputs
    assert (
        lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["serviceAccountName"] == "ds-decode-modelserver"
    )
    assert_schema_valid(result)
    (server,) = built
    assert server.name == "ds-decode"
    assert server.target_ports == list(range(8000, 8008))
    assert server.devices_per_group == 16
    assert server.labels["llm-d.ai/role"] == "decode"


def test_component_passes_the_workload_practices() -> None:
    """The llm-d practice rules that read workloads (capabilities, privileged, probes, requests = limits, P/D over
    RDMA, TP x DP = GPUs per pod, HF token from a Secret, pinned images, a PDB) find nothing to say."""
    result = run(lambda: multi_node(spec(role="prefill"), efa_pool()))
    assert result.error is None, repr(result.error)
    rendered = build_result("test", result.resources)
    assert rendered.policy is not None
    workload_rules = {
        "accelerator-requests-equal-limits",
        "capabilities-limited",
        "hf-token-from-secret",
        "images-pinned",
        "model-server-probes",
        "no-device-hostpath",
        "no-privileged-containers",
        "parallelism-fits-node",
        "pd-over-rdma",
        "pod-disruption-budgets",
    }
    findings = [f for f in rendered.policy.findings if f.policy in workload_rules]
    assert [str(f) for f in findings] == []


def test_component_with_dra_registers_the_claim_template() -> None:
    dra = DraRdmaClaim(template="gpu-nic", gpu_device_class="gpu.nvidia.com", nic_device_class="mrdma.google.com")
    pool = gke_pool(rdma=RdmaAttachment(fabric=RdmaKind.ROCE, nics_per_node=8, dra=dra))
    result = run(lambda: multi_node(pool=pool))
    assert result.error is None, repr(result.error)
    template = one(result, "kubernetes:resource.k8s.io/v1:ResourceClaimTemplate").inputs
    assert template["metadata"] == {"name": "ds-decode-gpu-nic", "namespace": "llm-d-wide-ep"}
    assert_schema_valid(result)


# --- what it refuses -------------------------------------------------------------------------------------------------


def test_refuses_pods_larger_than_a_node() -> None:
    refused(
        run(lambda: multi_node(spec(tensor_parallel_size=2))),
        "MultiNodeModelServer ds-decode",
        "tensor_parallel_size x data_parallel_size_local = 16",
        "larger than a a4-highgpu-8g node",
        "at most 8",
    )


def test_refuses_a_pool_without_rdma_when_the_engine_spans_pods() -> None:
    message = refused(
        run(lambda: multi_node(pool=gke_pool(rdma=None))),
        "pool.rdma = None",
        "spans 2 pods",
        "all-to-all RDMA fabric",
    )
    assert "b200" in message
    # One pod holding every rank needs no fabric between pods.
    alone = run(lambda: multi_node(spec(data_parallel_size=8, group_size=1), gke_pool(rdma=None)))
    assert alone.error is None, repr(alone.error)


def test_refuses_whole_node_rdma_with_pods_that_do_not_take_a_whole_node() -> None:
    refused(
        run(lambda: multi_node(spec(data_parallel_size=8, data_parallel_size_local=4))),
        "tensor_parallel_size x data_parallel_size_local = 4",
        "device interfaces",
        "all 8 GPUs",
    )


def test_refuses_non_nvidia_pools() -> None:
    tpu = catalog.machines("gcp")
    shape = next(s for s in tpu if s.tpu is not None and s.accelerator_count >= 8)
    pool = AcceleratorPool(name="tpu", shape=shape, node_selector={}, tolerations=(), max_nodes=1)
    refused(run(lambda: multi_node(spec(data_parallel_size=8, group_size=1), pool)), "nvidia.com/gpu", "google.com/tpu")


def test_refuses_requests_that_do_not_fit_a_node_and_bad_replicas() -> None:
    refused(
        run(lambda: multi_node(resources=PodResources(cpu_request="500", cpu_limit="500", shm_size="2Gi"))),
        "resources.cpu_request = '500'",
        "224",
    )
    refused(run(lambda: multi_node(replicas=0)), "replicas = 0", ">= 1")


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"role": "both"}, ("role = 'both'", "prefill, decode")),
        ({"data_parallel_size": 12}, ("data_parallel_size = 12", "8 x 2 = 16")),
        ({"group_size": 0, "data_parallel_size": 0}, ("data_parallel_size = 0", ">= 1")),
        ({"tensor_parallel_size": 0}, ("tensor_parallel_size = 0", ">= 1")),
        ({"all2all_backend": "DeepEP LL"}, ("all2all_backend = 'DeepEP LL'", "backend name")),
        ({"max_model_len": 0}, ("max_model_len = 0", ">= 1")),
        ({"kv_transfer_config": {"kv_connector": object()}}, ("kv_transfer_config", "JSON")),
        ({"model": ""}, ("model = ''", "required")),
    ],
)
def test_spec_validation_names_field_value_and_what_is_allowed(
    overrides: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError) as caught:
        spec(**overrides)
    for fragment in fragments:
        assert fragment in str(caught.value)


# --- the LWS controller's DisaggregatedSet option --------------------------------------------------------------------

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"


def test_lws_controller_default_values_are_unchanged() -> None:
    result = run(lambda: LeaderWorkerSetController())
    assert result.error is None, repr(result.error)
    release = one(result, RELEASE_TYPE).inputs
    assert release["values"] == {"enableCertManager": False}
    assert release["version"] == versions.DEFAULT_RELEASE.lws_chart.version == "0.11.1"


def test_lws_controller_enables_the_disaggregated_set_api() -> None:
    result = run(lambda: LeaderWorkerSetController(enable_disaggregated_set=True))
    assert result.error is None, repr(result.error)
    release = one(result, RELEASE_TYPE).inputs
    assert release["values"] == {"enableCertManager": False, "enableDisaggregatedSet": True}
    assert release["chart"] == "oci://registry.k8s.io/lws/charts/lws"


def test_lws_controller_refuses_disaggregated_set_on_a_chart_without_it() -> None:
    # A release record whose LWS chart predates enableDisaggregatedSet (the chart comes from the active release).
    base = versions.DEFAULT_RELEASE
    old = dataclasses.replace(base, name="v0.0.1", lws_chart=dataclasses.replace(base.lws_chart, version="0.9.0"))

    def build(**kwargs: Any) -> Callable[[], object]:
        def program() -> object:
            with versions.use_release(old):
                return LeaderWorkerSetController(**kwargs)

        return program

    refused(
        run(build(enable_disaggregated_set=True)),
        "enableDisaggregatedSet",
        "LWS 0.9.0 (llm-d release v0.0.1)",
        f"LWS {scheduling.DISAGGREGATED_SET_MIN_LWS_VERSION} or newer",
        "v0.11.1",
        "v0.10.0, v0.9.0; stack key llmd:release",
    )
    assert run(build()).error is None  # without the option any pin is fine
