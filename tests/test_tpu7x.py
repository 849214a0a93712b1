"""Cloud TPU7x (Ironwood) as llm-d runs it: two vLLM devices per chip, single-host TP 8, multi-host slices.

Single host: llm-d ``optimized-baseline/modelserver/tpu/v7/vllm/patch-vllm.yaml`` runs ``--tensor-parallel-size=8`` on
one 4-chip ``2x2x1`` host requesting ``google.com/tpu: 4`` (each chip's two TensorCores are two JAX devices).
Multi-host: a ``2x2x2`` slice (2 hosts, 8 chips, 16 devices) built from a GKE workload policy (a ``HIGH_THROUGHPUT``
Compute Engine resource policy with the slice's accelerator topology, given as the node pool's placement policy) and
served on a LeaderWorkerSet of size 2 at TP 16, as ``tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml`` does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.plan import weights_per_device_problem
from pulumi_llmd.components import catalog, versions
from pulumi_llmd.components.models import model_spec
from pulumi_llmd.components.serving.model_server import devices_fit_problem, tpu_slice_problem
from pulumi_llmd.render.render import RenderResult, render_stack
from pulumi_llmd.twin import facts, run_twin

Entry = Mapping[str, Any]
V7 = catalog.machine("gcp", "tpu7x-standard-4t")


def _stack(name: str) -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in raw.items() if k.startswith("llmd:")}


def single_host(tp: int = 8) -> dict[str, Any]:
    """The v6e optimized-baseline reference stack on one TPU7x host per server (us-central1-c)."""
    config = copy.deepcopy(_stack("gke-tpu-v6e-optimized-baseline"))
    config["target"].update(region="us-central1", zone="us-central1-c")
    (pool,) = config["pools"]
    pool.update(name="v7", machineType="tpu7x-standard-4t", tpuTopology="2x2x1")
    (model,) = config["models"]
    model.update(pool="v7", tensorParallelSize=tp)
    return config


def multi_host(tp: int = 16) -> dict[str, Any]:
    """The v6e multi-host reference stack on a TPU7x 2x2x2 slice (2 hosts, 8 chips) in us-central1-c."""
    config = copy.deepcopy(_stack("gke-tpu-v6e-multihost"))
    config["target"].update(region="us-central1", zone="us-central1-c")
    (pool,) = config["pools"]
    pool.update(name="v7-2x2x2", machineType="tpu7x-standard-4t", tpuTopology="2x2x2")
    pool["autoscaling"] = {"minNodes": 0, "maxNodes": 2}
    (model,) = config["models"]
    model.update(pool="v7-2x2x2", tensorParallelSize=tp)
    return config


_CACHE: dict[str, RenderResult] = {}


def _render(tmp_path_factory: pytest.TempPathFactory, name: str, config: dict[str, Any]) -> RenderResult:
    if name not in _CACHE:
        data = {**config, "gcp:project": config["target"]["project"], "gcp:region": config["target"]["region"]}
        path = make_stack_file(tmp_path_factory.mktemp(name), data, name=name)
        _CACHE[name] = render_stack(str(path), project_dir=REPO)
    return _CACHE[name]


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return _render(tmp_path_factory, "gke-tpu7x-single-host", single_host())


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return _render(tmp_path_factory, "gke-tpu7x-multi-host", multi_host())


def _clean(result: RenderResult) -> None:
    assert result.schema_issues == []
    assert result.policy is not None and not result.policy.mandatory, result.policy.mandatory
    assert result.twin is not None and result.twin.ok, result.twin.findings


def _one(result: RenderResult, kind: str, suffix: str) -> dict[str, Any]:
    (found,) = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"].endswith(suffix)]
    return found


def _resources(result: RenderResult, type_: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["type"] == type_]


def _error(config: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config)
    return str(info.value)


# --- catalog -------------------------------------------------------------------------------------------------------


def test_tpu7x_has_two_vllm_devices_per_chip_and_every_other_device_one() -> None:
    assert V7.accelerator.vllm_devices_per_chip == 2 and V7.vllm_devices == 8
    assert V7.accelerator.memory_gib == 192 and V7.accelerator.device_memory_gib == 96
    # A TPU7x pod takes its whole host: TP 8 and TP 4 both request the 4 chips; a 2x2x2 slice's 16 devices are 8 chips.
    assert (V7.chips_for(8), V7.chips_for(4), V7.chips_for(16)) == (4, 4, 8)
    for shape in catalog.machines("gcp"):
        if shape.accelerator.name != "tpu7x":
            assert shape.accelerator.vllm_devices_per_chip == 1, shape.machine_type
            assert shape.vllm_devices == shape.accelerator_count
            assert shape.chips_for(1) == 1 and shape.chips_for(shape.accelerator_count) == shape.accelerator_count


def test_weights_per_device_use_the_hbm_of_one_tensorcore() -> None:
    """Llama-3.3-70B (~131 GiB): over one TPU7x device (96 GiB) it does not fit vLLM's budget; over 2 devices it does,
    and the message names 96 GiB per device, not the chip's 192."""
    spec = model_spec("meta-llama/Llama-3.3-70B-Instruct")
    problem = weights_per_device_problem(spec, shards=1, accelerator=V7.accelerator, utilization=None)
    assert problem is not None and "(96 GiB each)" in problem[0] and problem[1] == 2
    assert weights_per_device_problem(spec, shards=2, accelerator=V7.accelerator, utilization=None) is None


# --- single host ---------------------------------------------------------------------------------------------------


def test_single_host_tp8_renders_clean_requesting_the_hosts_four_chips(single: RenderResult) -> None:
    _clean(single)
    deployment = _one(single, "Deployment", "-decode")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == versions.active_release().vllm_tpu.ref
    assert "--tensor-parallel-size=8" in container["args"]
    assert container["resources"]["requests"]["google.com/tpu"] == 4
    assert container["resources"]["limits"]["google.com/tpu"] == 4
    selector = deployment["spec"]["template"]["spec"]["nodeSelector"]
    assert selector["cloud.google.com/gke-tpu-accelerator"] == "tpu7x"
    assert selector["cloud.google.com/gke-tpu-topology"] == "2x2x1"
    assert _resources(single, "gcp:compute/resourcePolicy:ResourcePolicy") == []


def test_single_host_tp4_is_allowed_and_still_takes_the_whole_host() -> None:
    """llm-d's multimodal-serving tpu/v7 overlays run TP 4 on a 2x2x1 host with google.com/tpu: 4."""
    config = parse_stack_config(single_host(tp=4))
    assert config.models[0].tensor_parallel_size == 4
    from pulumi_llmd.blueprints.plan import plan_stack

    role = plan_stack(config).models[0].role("decode")
    assert role.devices_per_pod == 4


@pytest.mark.parametrize(
    ("tp", "allowed"),
    [(16, "allowed: TP x PP <= 8"), (3, "allowed: a divisor of 8")],
)
def test_invalid_single_host_tp_names_key_value_and_allowed(tp: int, allowed: str) -> None:
    text = _error(single_host(tp=tp))
    assert f"llmd:models[0].tensorParallelSize = {tp}" in text and allowed in text, text
    if tp == 16:
        assert "8 vLLM devices: 4 tpu7x chips x 2 TensorCores" in text


def test_the_model_server_rule_counts_devices_not_chips() -> None:
    assert devices_fit_problem(8, 1, V7) is None
    problem = devices_fit_problem(16, 1, V7)
    assert problem is not None and "allowed: TP x PP <= 8" in problem
    assert tpu_slice_problem(16, 1, V7, 2, "v7") is None
    problem = tpu_slice_problem(8, 1, V7, 2, "v7")
    assert problem is not None and "allowed: TP x PP = 16" in problem and "x 2 TensorCores" in problem


# --- multi host ----------------------------------------------------------------------------------------------------


def test_multi_host_2x2x2_renders_clean(multi: RenderResult) -> None:
    _clean(multi)


def test_multi_host_creates_the_workload_policy_and_the_pool_waits_for_it(multi: RenderResult) -> None:
    (policy,) = _resources(multi, "gcp:compute/resourcePolicy:ResourcePolicy")
    assert policy["inputs"]["region"] == "us-central1"
    assert policy["inputs"]["workloadPolicy"] == {"type": "HIGH_THROUGHPUT", "acceleratorTopology": "2x2x2"}
    (pool,) = [p for p in _resources(multi, "gcp:container/nodePool:NodePool") if "v7" in p["name"]]
    placement = pool["inputs"]["placementPolicy"]
    assert placement["type"] == "COMPACT" and placement["policyName"] == policy["inputs"]["name"]
    assert "tpuTopology" not in placement
    assert pool["inputs"]["nodeConfig"]["machineType"] == "tpu7x-standard-4t"
    deps = set(pool.get("dependencies") or ())
    for urns in (pool.get("propertyDependencies") or {}).values():
        deps.update(urns)
    assert policy["urn"] in deps


def test_multi_host_is_served_on_a_leader_worker_set_of_two_hosts(multi: RenderResult) -> None:
    assert not [m for m in multi.manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-decode")]
    group = _one(multi, "LeaderWorkerSet", "-decode")["spec"]["leaderWorkerTemplate"]
    assert group["size"] == 2 and group["restartPolicy"] == "RecreateGroupOnPodRestart"
    leader, worker = group["leaderTemplate"], group["workerTemplate"]
    for template in (leader, worker):
        (container,) = template["spec"]["containers"]
        assert container["resources"]["requests"]["google.com/tpu"] == 4
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["TPU_MULTIHOST_BACKEND"] == "ray" and env["TPU_NODE_ID"] == "$(LWS_WORKER_INDEX)"
        assert env["TPU_PROCESS_PORT"] == "8476"
        assert {"name": "jax-coord", "containerPort": 8476, "protocol": "TCP"} in container["ports"]
        assert template["spec"]["nodeSelector"]["cloud.google.com/gke-tpu-accelerator"] == "tpu7x"
        # The Kueue dynamic-slicing parts of the guide stay out: the node pool is one static slice.
        assert "cloud.google.com/skip-tpu-webhook-check" not in (template["metadata"].get("annotations") or {})
    script = leader["spec"]["containers"][0]["command"][-1]
    assert "--tensor-parallel-size=16" in script
    assert worker["metadata"]["labels"]["llm-d.ai/guide"] == "optimized-baseline-worker"


def test_multi_host_tp_must_be_the_slices_devices() -> None:
    text = _error(multi_host(tp=8))
    assert "llmd:models[0].tensorParallelSize = 8" in text and "allowed: TP x PP = 16" in text, text


def test_the_twin_knows_the_policy_duration_and_that_the_pool_waits_for_it(multi: RenderResult) -> None:
    duration = facts.duration_for("gcp:compute/resourcePolicy:ResourcePolicy")
    assert duration.seconds > 0 and "resource policy" in duration.source
    (policy,) = _resources(multi, "gcp:compute/resourcePolicy:ResourcePolicy")
    resources = copy.deepcopy(multi.resources)
    for entry in resources:
        if entry["type"] == "gcp:container/nodePool:NodePool" and "v7" in entry["name"]:
            entry["dependencies"] = [u for u in entry.get("dependencies") or () if u != policy["urn"]]
            entry["propertyDependencies"] = {
                k: [u for u in v if u != policy["urn"]] for k, v in (entry.get("propertyDependencies") or {}).items()
            }
    findings = [f for f in run_twin(resources).findings if f.check == "placement-policy"]
    assert findings and "depend on" in findings[0].fix, findings
    assert not [f for f in run_twin(multi.resources).findings if f.check == "placement-policy"]
