"""The offline render contract: deterministic files, their shape, secrets masked, schema failures reported."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FLAGSHIP, REPO, engine_config, make_stack_file, make_valid_config
from pulumi.runtime.rpc import is_rpc_secret

from pulumi_llmd.render.engine import SECRET_MARKER, ProgramRun, RegisteredResource, run_program
from pulumi_llmd.render.render import RenderResult, build_result, render_stack

REAL_TOKEN = "hf_realtoken123"
CIPHERTEXT = "v1:abc"


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON-like value with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def only(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"{match}: {len(found)} found"
    return found[0]


def k8s(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    found = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


# --- determinism and file shape ---------------------------------------------------------------------------------


def test_two_renders_are_byte_identical(flagship: RenderResult) -> None:
    again = render_stack(FLAGSHIP, project_dir=REPO)
    assert again.resources_json() == flagship.resources_json()
    assert again.manifests_yaml() == flagship.manifests_yaml()
    assert again.summary() == flagship.summary()


def test_write_puts_exactly_the_rendered_text_into_both_files(flagship: RenderResult, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    flagship.write(out)
    assert sorted(p.name for p in out.iterdir()) == ["manifests.yaml", "render.json", "resources.json"]
    assert (out / "resources.json").read_text() == flagship.resources_json()
    assert (out / "manifests.yaml").read_text() == flagship.manifests_yaml()
    assert (out / "render.json").read_text() == flagship.render_json()


def test_resources_json_entries_have_the_contract_keys_and_are_sorted_by_urn(flagship: RenderResult) -> None:
    text = flagship.resources_json()
    assert text.endswith("}\n]\n")
    entries = json.loads(text)
    assert len(entries) == len(flagship.resources) > 30
    for entry in entries:
        assert set(entry) == {
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "inputs",
            "dependencies",
            "propertyDependencies",
            "provider",
            "customTimeouts",
            "ignoreChanges",
            "deleteBeforeReplace",
            "protect",
            "awaitAnnotations",
        }
        assert isinstance(entry["custom"], bool)
        assert isinstance(entry["inputs"], dict)
        assert entry["dependencies"] == sorted(entry["dependencies"])
    urns = [e["urn"] for e in entries]
    assert urns == sorted(urns)


def test_resources_json_carries_the_engine_view(flagship: RenderResult) -> None:
    by_name = {(e["type"], e["name"]): e for e in flagship.resources}
    provider = by_name[("pulumi:providers:kubernetes", "llm-d-k8s")]
    cluster_urn = by_name[("gcp:container/cluster:Cluster", "llm-d")]["urn"]
    # The provider's kubeconfig comes from the cluster's outputs: the engine waits for the cluster.
    assert cluster_urn in provider["dependencies"]
    assert cluster_urn in provider["propertyDependencies"]["kubeconfig"]
    namespace = by_name[("kubernetes:core/v1:Namespace", "llm-d-optimized-baseline-namespace")]
    assert namespace["provider"] == provider["urn"]
    gcp = by_name[("gcp:container/cluster:Cluster", "llm-d")]
    assert gcp["provider"] == ""  # the gcp package's default provider


def test_manifests_yaml_is_one_document_per_object_in_apply_order(flagship: RenderResult) -> None:
    docs = list(yaml.safe_load_all(flagship.manifests_yaml()))
    assert docs == flagship.manifests
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "Namespace"
    assert kinds.index("ConfigMap") < kinds.index("Deployment") < kinds.index("InferencePool")
    assert kinds.index("Gateway") < kinds.index("HTTPRoute")


def test_manifests_yaml_has_integers_not_floats(flagship: RenderResult) -> None:
    text = flagship.manifests_yaml()
    assert "replicas: 8\n" in text
    assert "nvidia.com/gpu: 2\n" in text
    assert "containerPort: 8000\n" in text
    # As YAML values (a CIDR such as 192.168.0.0/16 holds "8.0" legitimately).
    assert ": 8.0\n" not in text
    assert ": 2.0\n" not in text
    floats = [(p, v) for p, v in walk(list(yaml.safe_load_all(text))) if isinstance(v, float)]
    assert floats == []


def test_resources_json_has_integers_not_floats(flagship: RenderResult) -> None:
    integral_floats = [
        (p, v)
        for p, v in walk(json.loads(flagship.resources_json()))
        if isinstance(v, float) and math.isfinite(v) and v.is_integer()
    ]
    assert integral_floats == []


def test_the_flagship_summary_reports_all_objects_valid(flagship: RenderResult) -> None:
    summary = flagship.summary()
    assert summary.startswith(f"stack {FLAGSHIP}: {len(flagship.resources)} resources")
    assert f"schema validation: all {len(flagship.manifests)} objects valid" in summary
    assert "FAIL" not in summary
    assert "apps/v1 Deployment llm-d-optimized-baseline/qwen3-32b-decode" in summary


# --- secrets ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_hf_token(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """A stack file whose ``llmd:hfToken`` is an encrypted value, rendered once."""
    config = make_valid_config()
    config["hfToken"] = {"secure": CIPHERTEXT}
    path = make_stack_file(tmp_path_factory.mktemp("hf-stack"), config, name="hf")
    return render_stack(str(path), project_dir=REPO)


def test_hf_token_becomes_a_masked_kubernetes_secret(with_hf_token: RenderResult) -> None:
    secret = k8s(with_hf_token, "Secret", "llm-d-hf-token")
    assert secret["metadata"]["namespace"] == "llm-d"
    assert secret["type"] == "Opaque"
    # The whole stringData is a Pulumi secret (pulumi_kubernetes marks it so); masked as a whole or per key.
    assert secret["stringData"] in (SECRET_MARKER, {"HF_TOKEN": SECRET_MARKER})
    assert "data" not in secret


def test_vllm_reads_hf_token_from_the_secret(with_hf_token: RenderResult) -> None:
    dep = k8s(with_hf_token, "Deployment", "qwen3-32b-decode")
    env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    hf = only(env, name="HF_TOKEN")
    assert hf == {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}}


def test_the_marker_and_ciphertext_appear_nowhere_else(with_hf_token: RenderResult) -> None:
    for text in (with_hf_token.resources_json(), with_hf_token.manifests_yaml(), with_hf_token.summary()):
        assert CIPHERTEXT not in text
    marked = {
        (r["type"], path.split(".")[0] if path.startswith("stringData") else path)
        for r in with_hf_token.resources
        for path, value in walk(r["inputs"])
        if value == SECRET_MARKER
    }
    # the token's Secret, and the kubeconfig of the Kubernetes provider (a secret by construction)
    assert marked == {("kubernetes:core/v1:Secret", "stringData"), ("pulumi:providers:kubernetes", "kubeconfig")}
    masked_manifests = [m["metadata"]["name"] for m in with_hf_token.manifests if SECRET_MARKER in json.dumps(m)]
    assert masked_manifests == ["llm-d-hf-token"]


def test_without_hf_token_there_is_no_secret_and_no_secret_env(flagship: RenderResult) -> None:
    assert [m for m in flagship.manifests if m["kind"] == "Secret"] == []
    dep = k8s(flagship, "Deployment", "qwen3-32b-decode")
    names = [e["name"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert "HF_TOKEN" not in names


def test_a_stack_with_an_hf_token_renders_schema_valid(with_hf_token: RenderResult) -> None:
    assert with_hf_token.schema_issues == []
    assert k8s(with_hf_token, "Secret", "llm-d-hf-token")["stringData"] == {"HF_TOKEN": SECRET_MARKER}


@pytest.fixture(scope="module")
def real_token_run() -> ProgramRun:
    """The project's program with a realistic token handed over as secret config (as ``pulumi up`` does)."""
    config = engine_config(make_valid_config())
    config["llmd:hfToken"] = REAL_TOKEN
    run = run_program(REPO / "__main__.py", project="llmd", stack="test", config=config, secret_keys=("llmd:hfToken",))
    run.raise_error()
    return run


def test_the_real_token_reaches_the_engine_only_inside_a_secret(real_token_run: ProgramRun) -> None:
    secret = only([vars(r) for r in real_token_run.resources], type="kubernetes:core/v1:Secret")
    string_data = secret["inputs"]["stringData"]
    assert is_rpc_secret(string_data)
    assert string_data["value"] == {"HF_TOKEN": REAL_TOKEN}
    leaking = [
        r.urn
        for r in real_token_run.resources
        if r.type != "kubernetes:core/v1:Secret" and REAL_TOKEN in repr(r.inputs)
    ]
    assert leaking == []


def test_the_real_token_appears_nowhere_in_the_render(real_token_run: ProgramRun) -> None:
    result = build_result("test", real_token_run.resources)
    assert REAL_TOKEN not in result.resources_json()
    assert REAL_TOKEN not in result.manifests_yaml()
    assert REAL_TOKEN not in result.summary()
    assert k8s(result, "Secret", "llm-d-hf-token")["stringData"] in (SECRET_MARKER, {"HF_TOKEN": SECRET_MARKER})


# --- schema failures ----------------------------------------------------------------------------------------------


def bad_deployment_record() -> RegisteredResource:
    labels = {"app": "x"}
    return RegisteredResource(
        urn="urn:pulumi:bad::llmd::kubernetes:apps/v1:Deployment::x",
        type="kubernetes:apps/v1:Deployment",
        name="x",
        parent="",
        custom=True,
        inputs={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "namespace": "default", "labels": labels},
            "spec": {
                "replica": 2.0,  # typo: strict validation rejects the unknown field
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
    )


def test_build_result_reports_a_schema_failure() -> None:
    result = build_result("bad", [bad_deployment_record()])
    assert not result.ok
    assert len(result.schema_issues) >= 1
    issue = result.schema_issues[0]
    assert (issue.kind, issue.namespace, issue.name) == ("Deployment", "default", "x")
    assert "spec" in issue.path or "replica" in issue.message
    summary = result.summary()
    assert f"schema validation: {len(result.schema_issues)} problem(s)" in summary
    assert "  FAIL apps/v1 Deployment default/x: " in summary
    assert "objects valid" not in summary
    assert result.manifests[0]["spec"]["replica"] == 2  # normalized to an int


def test_build_result_accepts_the_same_deployment_without_the_typo() -> None:
    record = bad_deployment_record()
    spec = dict(record.inputs["spec"])
    spec["replicas"] = spec.pop("replica")
    fixed = RegisteredResource(**{**vars(record), "inputs": {**record.inputs, "spec": spec}})
    result = build_result("good", [fixed])
    assert result.ok, result.schema_issues
    assert "schema validation: all 1 objects valid" in result.summary()
