"""Model weights cache (``llmd:models[i].weightsCache``), as a user sees it: the objects per target and their key
properties, the default threshold, the config errors, the first-deploy ordering (servers after the loader), the
twin's start estimates with and without the cache, and that the Hugging Face token stays a Secret reference."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.targets import target_class
from pulumi_llmd.blueprints.targets.weights_cache import cold_starts, resolve_weights_cache
from pulumi_llmd.components.models import HF_CACHE_PATH, SCRATCH_GIB, pod_ephemeral_gib
from pulumi_llmd.components.serving.weights_cache import DEFAULT_MIN_WEIGHTS_GIB
from pulumi_llmd.components.startup import DOWNLOAD_MB_PER_S, fill_estimate, first_start_estimate
from pulumi_llmd.render.render import RenderResult, render_stack

GKE = "gke-h100-optimized-baseline"
EXISTING = "existing-mi300x-optimized-baseline"
Rendered = Callable[[str], RenderResult]


def _config(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _objects(result: RenderResult, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == kind}


def _resources(result: RenderResult, type_: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in result.resources if r["type"] == type_}


def _server(result: RenderResult, name: str) -> dict[str, Any]:
    pod: dict[str, Any] = _objects(result, "Deployment")[name]["spec"]["template"]
    return pod


def _refused(config: dict[str, Any], key: str, *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


# --- GKE: Hyperdisk ML by default for a 61 GiB model ---------------------------------------------------------------


def test_gke_large_model_gets_a_hyperdisk_ml_cache_by_default(rendered: Rendered) -> None:
    result = rendered(GKE)
    disks = _resources(result, "gcp:compute/disk:Disk")
    fill, rox = disks["qwen3-32b-weights-fill"]["inputs"], disks["qwen3-32b-weights"]["inputs"]
    assert fill["type"] == rox["type"] == "hyperdisk-ml"
    assert fill["accessMode"] == "READ_WRITE_SINGLE" and rox["accessMode"] == "READ_ONLY_MANY"
    # 8 servers x 1024 MiB/s each (the loader's rate), at least the GKE example's 2400.
    assert rox["provisionedThroughput"] == 8 * 1024
    assert fill["size"] == rox["size"] >= 61
    assert "qwen3-32b-weights-snapshot" in _resources(result, "gcp:compute/snapshot:Snapshot")
    pvs = _objects(result, "PersistentVolume")
    rox_pv = next(pv for name, pv in pvs.items() if name.endswith("qwen3-32b-weights"))
    assert rox_pv["spec"]["accessModes"] == ["ReadOnlyMany"]
    assert rox_pv["spec"]["csi"]["driver"] == "pd.csi.storage.gke.io"
    assert rox_pv["spec"]["csi"]["readOnly"] is True
    assert rox_pv["spec"]["csi"]["volumeHandle"].endswith("/disks/llm-d-qwen3-32b-w")


def test_servers_mount_the_cache_read_only_offline_with_small_ephemeral_storage(rendered: Rendered) -> None:
    pod = _server(rendered(GKE), "qwen3-32b-decode")
    container = pod["spec"]["containers"][0]
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "model-cache")
    assert volume == {
        "name": "model-cache",
        "persistentVolumeClaim": {"claimName": "qwen3-32b-weights", "readOnly": True},
    }
    mount = next(m for m in container["volumeMounts"] if m["name"] == "model-cache")
    assert mount == {"name": "model-cache", "mountPath": HF_CACHE_PATH, "readOnly": True}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HF_HUB_OFFLINE"] == "1" and env["HF_HUB_CACHE"] == HF_CACHE_PATH
    # Clients still send the Hugging Face id: vLLM's model argument is unchanged.
    assert container["args"][0] == "Qwen/Qwen3-32B"
    assert container["resources"]["requests"]["ephemeral-storage"] == f"{SCRATCH_GIB}Gi"
    assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache"] == "hyperdisk-ml"


def test_loader_job_is_restricted_on_the_pool_with_hub_egress_only(rendered: Rendered) -> None:
    result = rendered(GKE)
    job = _objects(result, "Job")["qwen3-32b-weights-loader"]
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert "nvidia.com/gpu" not in container["resources"]["requests"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "qwen3-32b-weights-fill"
    policy = _objects(result, "NetworkPolicy")["qwen3-32b-weights-loader"]
    assert policy["spec"]["podSelector"] == {"matchLabels": {"llm-d.ai/weights-loader": "qwen3-32b"}}
    assert policy["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
    assert result.twin is not None and result.twin.ok, [f.line() for f in result.twin.findings]


def test_servers_wait_for_the_loader_and_the_read_only_disk(rendered: Rendered) -> None:
    result = rendered(GKE)
    by_name = {r["name"]: r for r in result.resources}
    urn = {name: r["urn"] for name, r in by_name.items()}
    deployment = by_name["qwen3-32b-decode-deployment"]
    deps = set(deployment.get("dependencies") or [])
    assert urn["qwen3-32b-weights-loader"] in deps
    assert urn["qwen3-32b-weights-pvc"] in deps
    snapshot = by_name["qwen3-32b-weights-snapshot"]
    assert urn["qwen3-32b-weights-loader"] in set(snapshot.get("dependencies") or [])
    assert result.twin is not None
    steps = {s.resource.name: s for s in result.twin.timeline.steps.values()}
    loader, servers = steps["qwen3-32b-weights-loader"], steps["qwen3-32b-decode-deployment"]
    assert servers.start >= loader.end
    # The twin times the loader as the fill estimate (the download at the Hub's rate), not as a short job.
    expected = fill_estimate(
        weights_gib=61, image=_server(result, "qwen3-32b-decode")["spec"]["containers"][0]["image"]
    )
    assert loader.end - loader.start == pytest.approx(expected.total_seconds, rel=0.05)
    assert "cache fill" in loader.why


def test_twin_estimates_the_start_from_the_cache(rendered: Rendered) -> None:
    result = rendered(GKE)
    assert result.twin is not None
    estimate = next(e for e in result.twin.timeline.estimates if "qwen3-32b-decode" in e.label)
    assert "from the cache at 1024 MiB/s" in estimate.parts
    image = _server(result, "qwen3-32b-decode")["spec"]["containers"][0]["image"]
    with_cache = first_start_estimate(weights_gib=61, image=image, cache_read_mib_per_s=1024)
    without = first_start_estimate(weights_gib=61, image=image)
    assert estimate.seconds == pytest.approx(with_cache.total_seconds)
    assert without.total_seconds - with_cache.total_seconds == pytest.approx(61 * 2**30 / (DOWNLOAD_MB_PER_S * 1e6))


# --- defaults and the threshold ----------------------------------------------------------------------------------


def test_default_threshold_and_kinds_per_target() -> None:
    config = parse_stack_config(_config(GKE))
    gke = target_class("gcp")
    assert resolve_weights_cache(config, config.models[0], gke) == "hyperdisk-ml"
    small = _config(GKE)
    small["models"][0]["weightsGiB"] = DEFAULT_MIN_WEIGHTS_GIB - 1
    small_config = parse_stack_config(small)
    assert resolve_weights_cache(small_config, small_config.models[0], gke) == "none"
    off = _config(GKE)
    off["models"][0]["weightsCache"] = {"kind": "none"}
    off_config = parse_stack_config(off)
    assert resolve_weights_cache(off_config, off_config.models[0], gke) == "none"
    existing = parse_stack_config(_config(EXISTING))
    assert resolve_weights_cache(existing, existing.models[0], target_class("existing")) == "none"
    # The threshold's arithmetic: 40 GiB at 150 MB/s take about the issue's 5-minute budget.
    assert 270 < DEFAULT_MIN_WEIGHTS_GIB * 2**30 / (DOWNLOAD_MB_PER_S * 1e6) < 300


def test_kind_none_keeps_the_per_pod_download(tmp_path: Path) -> None:
    config = _config(GKE)
    config["models"][0]["weightsCache"] = {"kind": "none"}
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    assert not _objects(result, "Job") and not _resources(result, "gcp:compute/disk:Disk")
    pod = _server(result, "qwen3-32b-decode")
    assert next(v for v in pod["spec"]["volumes"] if v["name"] == "model-cache")["emptyDir"]
    requests = pod["spec"]["containers"][0]["resources"]["requests"]
    assert requests["ephemeral-storage"] == f"{pod_ephemeral_gib(61)}Gi"


# --- existing clusters: a ReadWriteMany PVC ----------------------------------------------------------------------


def test_existing_cluster_pvc_cache(tmp_path: Path) -> None:
    config = _config(EXISTING)
    config["models"][0]["weightsCache"] = {"kind": "pvc", "storageClassName": "nfs-rwx", "readMiBps": 2048}
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    pvc = _objects(result, "PersistentVolumeClaim")["qwen3-32b-weights"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"] and pvc["spec"]["storageClassName"] == "nfs-rwx"
    job = _objects(result, "Job")["qwen3-32b-weights-loader"]
    assert job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "qwen3-32b-weights"
    pod = _server(result, "qwen3-32b-decode")
    assert pod["metadata"]["annotations"]["llm-d.ai/weights-cache-read-mibps"] == "2048"
    assert result.twin is not None and result.twin.ok, [f.line() for f in result.twin.findings]
    assert not result.schema_issues


def test_existing_claim_is_used_as_is(tmp_path: Path) -> None:
    config = _config(EXISTING)
    config["models"][0]["weightsCache"] = {"kind": "pvc", "existingClaim": "models"}
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    assert "qwen3-32b-weights" not in _objects(result, "PersistentVolumeClaim")
    pod = _server(result, "qwen3-32b-decode")
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "model-cache")
    assert volume["persistentVolumeClaim"]["claimName"] == "models"


# --- config errors -------------------------------------------------------------------------------------------------


def test_kind_the_target_does_not_offer() -> None:
    config = _config(EXISTING)
    config["models"][0]["weightsCache"] = {"kind": "hyperdisk-ml"}
    _refused(config, "llmd:models[0].weightsCache.kind", "does not offer it", "allowed: none, pvc")


def test_pvc_needs_exactly_one_source() -> None:
    config = _config(EXISTING)
    config["models"][0]["weightsCache"] = {"kind": "pvc"}
    _refused(config, "llmd:models[0].weightsCache.storageClassName", "exactly one of storageClassName")
    config["models"][0]["weightsCache"] = {"kind": "pvc", "storageClassName": "a", "existingClaim": "b"}
    _refused(config, "llmd:models[0].weightsCache.storageClassName", "exactly one of storageClassName")


def test_keys_of_another_kind_and_ranges() -> None:
    config = _config(GKE)
    config["models"][0]["weightsCache"] = {"kind": "hyperdisk-ml", "storageClassName": "x"}
    _refused(config, "llmd:models[0].weightsCache.storageClassName", "not a key of kind hyperdisk-ml")
    config["models"][0]["weightsCache"] = {"kind": "hyperdisk-ml", "throughputMiBps": 100}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any("throughputMiBps" in i.key for i in caught.value.issues), caught.value
    config["models"][0]["weightsCache"] = {"kind": "nfs"}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any(i.key.endswith("weightsCache.kind") for i in caught.value.issues), caught.value


def test_paths_that_cannot_read_a_cache() -> None:
    config = _config("kind-simulated-accelerators")
    config["models"][0]["weightsCache"] = {"kind": "pvc", "storageClassName": "nfs"}
    _refused(config, "llmd:models[0].weightsCache.kind", "path simulated-accelerators loads no weights")


# --- the README's cold-start table ---------------------------------------------------------------------------------


def _cold_start_script() -> Any:
    spec = importlib.util.spec_from_file_location("cold_start", REPO / "scripts" / "cold_start.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cold_start_goal_from_a_warm_cache() -> None:
    config = parse_stack_config(_config(GKE))
    (row,) = cold_starts(config, target_class("gcp"))
    assert row.kind == "hyperdisk-ml"
    # A Qwen3-32B server restarting on a node that is up (image present) is ready in under 5 minutes from the cache,
    # and not without it; a fresh node adds the GPU driver and the image pull.
    assert row.warm_with < 300 < row.warm_without
    assert row.fresh_with < row.fresh_without
    table = _cold_start_script().table()
    assert f"| `{GKE}` | qwen3-32b (61) | hyperdisk-ml |" in table


def test_readme_table_matches_the_script() -> None:
    readme = (REPO / "README.md").read_text()
    if "| stack | model (GiB) | cache | fresh node" not in readme:
        pytest.skip("the README has no cold-start table yet")
    assert _cold_start_script().table() in readme


def test_secret_token_never_in_the_loader_manifest(tmp_path: Path) -> None:
    config = copy.deepcopy(_config(GKE))
    config["hfToken"] = {"secure": "v1:AAAA"}
    result = render_stack(str(make_stack_file(tmp_path, config)), project_dir=REPO)
    job = _objects(result, "Job")["qwen3-32b-weights-loader"]
    token = next(e for e in job["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "HF_TOKEN")
    assert set(token) == {"name", "valueFrom"} and "secretKeyRef" in token["valueFrom"]
    assert "v1:AAAA" not in yaml.safe_dump(result.manifests)
