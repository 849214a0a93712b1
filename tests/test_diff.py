"""``pulumi-llmd diff``: render folders compared by identity, with field-level changes, stable and redacted."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pulumi_llmd.cli import app
from pulumi_llmd.render.diff import (
    IMAGE_VALUE_LIMIT,
    MARKDOWN_LIMIT,
    MISSING,
    VALUE_LIMIT,
    Entry,
    FieldChange,
    RenderDiff,
    RenderFolderError,
    RenderSnapshot,
    ResourceChange,
    ResourceKey,
    diff_renders,
    diff_snapshots,
    format_markdown,
    format_text,
    load_render,
    relative_urn,
)
from pulumi_llmd.render.render import RenderResult

STACK_URN = "urn:pulumi:dev::llmd::pulumi:pulumi:Stack::llmd-dev"
PLAINTEXT = "hunter2-plaintext"


def _urn(type_chain: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::llmd::{type_chain}::{name}"


def _deployment(replicas: int = 8, image: str = "vllm/vllm-openai:v0.23.0") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "qwen3-decode", "namespace": "llm-d", "labels": {"llm-d.ai/role": "decode"}},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "modelserver",
                            "image": image,
                            "args": ["--model", "Qwen/Qwen3-32B", "--tensor-parallel-size", "2"],
                            "env": [{"name": "VLLM_LOGGING_LEVEL", "value": "INFO"}],
                        },
                        {"name": "sidecar", "image": "busybox"},
                    ]
                }
            },
        },
    }


def _config_map(text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "epp", "namespace": "llm-d"},
        "data": {"plugins.yaml": text},
    }


def _secret(value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "llm-d-hf-token", "namespace": "llm-d"},
        "stringData": {"HF_TOKEN": value},
    }


def _resource(type_: str, name: str, inputs: dict[str, Any], *, parent: str = STACK_URN, custom: bool = True) -> Any:
    chain = parent.split("::")[2] if parent != STACK_URN else "pulumi:pulumi:Stack"
    return {
        "urn": _urn(f"{chain}${type_}" if parent != STACK_URN else type_, name),
        "type": type_,
        "name": name,
        "parent": parent,
        "custom": custom,
        "inputs": inputs,
    }


def _kube(obj: dict[str, Any], name: str) -> Any:
    api, kind = obj["apiVersion"], obj["kind"]
    group_version = api if "/" in api else f"core/{api}"
    return _resource(f"kubernetes:{group_version}:{kind}", name, obj)


def _write(folder: Path, cloud: list[Any], objects: list[tuple[dict[str, Any], str]]) -> Path:
    """Write a render folder the way ``pulumi-llmd render`` does (RenderResult.write)."""
    resources = [*cloud, *(_kube(obj, name) for obj, name in objects)]
    result = RenderResult(
        stack="dev",
        resources=sorted(resources, key=lambda r: r["urn"]),
        manifests=[obj for obj, _ in objects],
    )
    result.write(folder)
    return folder


def _pool(machine_type: str = "a3-highgpu-8g", parent: str = STACK_URN) -> Any:
    inputs = {"nodeConfig": {"machineType": machine_type, "labels": {"llm-d.ai/pool": "h100"}}, "nodeCount": 2}
    return _resource("gcp:container/nodePool:NodePool", "h100", inputs, parent=parent)


def _base(folder: Path, **overrides: Any) -> Path:
    cloud = overrides.pop("cloud", [_pool()])
    objects = overrides.pop("objects", [(_deployment(), "decode"), (_config_map("a: 1\nb: 2\n"), "epp")])
    return _write(folder, cloud, objects)


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["diff", *args])
    return result.exit_code, result.output


# --- identical renders ------------------------------------------------------------------------------------------


def test_identical_renders_say_no_changes_and_exit_0(tmp_path: Path) -> None:
    old, new = _base(tmp_path / "old"), _base(tmp_path / "new")
    diff = diff_renders(old, new)
    assert diff.empty
    assert format_text(diff) == "no changes (3 resources)\n"
    code, out = _cli(str(old), str(new))
    assert code == 0
    assert "no changes" in out


def test_identical_renders_in_markdown_say_no_changes(tmp_path: Path) -> None:
    old, new = _base(tmp_path / "old"), _base(tmp_path / "new")
    code, out = _cli(str(old), str(new), "--format", "markdown", "--title", "dev")
    assert code == 0
    assert out.startswith("#### `dev`: no changes")


def test_a_render_compared_with_itself_is_unchanged_on_the_real_goldens() -> None:
    goldens = Path(__file__).resolve().parent.parent / "goldens"
    for folder in sorted(p for p in goldens.iterdir() if p.is_dir()):
        assert diff_renders(folder, folder).empty, folder.name


# --- what changed -----------------------------------------------------------------------------------------------


def test_changed_fields_are_dotted_paths_with_old_and_new_values(tmp_path: Path) -> None:
    old = _base(tmp_path / "old")
    new = _base(tmp_path / "new", objects=[(_deployment(replicas=4, image="vllm:v1"), "decode")])
    diff = diff_renders(old, new)
    assert [str(k) for k in diff.removed] == ["v1 ConfigMap llm-d/epp"]
    (change,) = diff.changed
    assert str(change.key) == "apps/v1 Deployment llm-d/qwen3-decode"
    paths = {f.path: (f.old, f.new) for f in change.fields}
    assert paths == {
        "spec.replicas": (8, 4),
        "spec.template.spec.containers[name=modelserver].image": ("vllm/vllm-openai:v0.23.0", "vllm:v1"),
    }
    text = format_text(diff)
    assert "spec.replicas: 8 -> 4" in text
    assert "1 removed" in text
    code, out = _cli(str(old), str(new))
    assert code == 0, "a diff with changes is informational: exit 0"
    assert out == text


def test_added_and_removed_cloud_resources_are_named_by_type_and_name(tmp_path: Path) -> None:
    net = _resource("gcp:compute/network:Network", "llm-d-vpc", {"name": "llm-d-vpc"})
    old = _base(tmp_path / "old", cloud=[_pool(), net])
    new = _base(tmp_path / "new", cloud=[_pool("a3-megagpu-8g")])
    diff = diff_renders(old, new)
    assert [str(k) for k in diff.removed] == ["gcp:compute/network:Network llm-d-vpc"]
    (change,) = diff.changed
    assert str(change.key) == "gcp:container/nodePool:NodePool h100"
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("nodeConfig.machineType", "a3-highgpu-8g", "a3-megagpu-8g")
    ]


def test_added_kubernetes_objects_are_named_by_api_version_kind_namespace_and_name(tmp_path: Path) -> None:
    old = _base(tmp_path / "old", objects=[])
    new = _base(tmp_path / "new")
    diff = diff_renders(old, new)
    assert [str(k) for k in diff.added] == ["apps/v1 Deployment llm-d/qwen3-decode", "v1 ConfigMap llm-d/epp"]
    assert "+ apps/v1 Deployment llm-d/qwen3-decode" in format_text(diff)


def test_a_new_parent_is_reported_as_a_urn_change(tmp_path: Path) -> None:
    component = _resource("llmd:gcp:GpuNodePool", "h100", {}, custom=False)
    old = _base(tmp_path / "old", cloud=[component, _pool()])
    new = _base(tmp_path / "new", cloud=[component, _pool(parent=component["urn"])])
    (change,) = diff_renders(old, new).changed
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        (
            "(urn)",
            "gcp:container/nodePool:NodePool::h100",
            "llmd:gcp:GpuNodePool$gcp:container/nodePool:NodePool::h100",
        )
    ]


def test_renders_of_differently_named_stacks_compare_by_relative_urn() -> None:
    assert relative_urn(_urn("a$b", "x", stack="one")) == relative_urn(_urn("a$b", "x", stack="two")) == "a$b::x"
    assert relative_urn("not-a-urn") == "not-a-urn"


def test_named_list_items_match_by_name_and_reorders_are_reported(tmp_path: Path) -> None:
    dep = _deployment()
    containers = dep["spec"]["template"]["spec"]["containers"]
    dep2 = copy.deepcopy(dep)
    c2 = dep2["spec"]["template"]["spec"]["containers"]
    c2.reverse()
    c2[1]["env"].append({"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "HF_TOKEN"}}})
    assert containers[0]["name"] == c2[1]["name"] == "modelserver"
    old = _base(tmp_path / "old", objects=[(dep, "decode")])
    new = _base(tmp_path / "new", objects=[(dep2, "decode")])
    (change,) = diff_renders(old, new).changed
    paths = [f.path for f in change.fields]
    base = "spec.template.spec.containers"
    assert paths == [
        f"{base}[name=modelserver].env[name=HF_TOKEN].valueFrom.secretKeyRef.key",  # files have sorted keys
        f"{base}[name=modelserver].env[name=HF_TOKEN].valueFrom.secretKeyRef.name",
        f"{base}(order)",
    ]
    assert all(f.kind == "added" for f in change.fields[:2])


def test_scalar_lists_report_insertions_at_their_index(tmp_path: Path) -> None:
    dep2 = _deployment()
    args = dep2["spec"]["template"]["spec"]["containers"][0]["args"]
    args.insert(2, "--enable-prefix-caching")
    old = _base(tmp_path / "old", objects=[(_deployment(), "decode")])
    new = _base(tmp_path / "new", objects=[(dep2, "decode")])
    (change,) = diff_renders(old, new).changed
    (f,) = change.fields
    assert (f.path, f.old, f.new, f.kind) == (
        "spec.template.spec.containers[name=modelserver].args[2]",
        MISSING,
        "--enable-prefix-caching",
        "added",
    )
    assert 'args[2]: (absent) -> "--enable-prefix-caching"' in format_text(diff_renders(old, new))


def test_keys_that_are_not_identifiers_are_quoted(tmp_path: Path) -> None:
    dep2 = _deployment()
    dep2["metadata"]["labels"]["llm-d.ai/role"] = "prefill"
    old = _base(tmp_path / "old", objects=[(_deployment(), "decode")])
    new = _base(tmp_path / "new", objects=[(dep2, "decode")])
    (change,) = diff_renders(old, new).changed
    assert [f.path for f in change.fields] == ['metadata.labels["llm-d.ai/role"]']


def test_multi_line_strings_show_the_changed_lines(tmp_path: Path) -> None:
    old = _base(tmp_path / "old")
    new = _base(tmp_path / "new", objects=[(_deployment(), "decode"), (_config_map("a: 1\nb: 3\n"), "epp")])
    diff = diff_renders(old, new)
    text = format_text(diff)
    assert 'data["plugins.yaml"]: text changed' in text
    assert "- b: 2" in text and "+ b: 3" in text
    assert "a: 1" not in text
    markdown = format_markdown(diff)
    assert "-     b: 2" in markdown and "+     b: 3" in markdown


def test_long_values_are_truncated(tmp_path: Path) -> None:
    # image references are cut only beyond IMAGE_VALUE_LIMIT (a digest is never cut); other values at VALUE_LIMIT
    old = _base(tmp_path / "old", objects=[(_deployment(image="a" * 500), "decode"), (_config_map("a" * 500), "epp")])
    new = _base(tmp_path / "new", objects=[(_deployment(image="b" * 500), "decode"), (_config_map("b" * 500), "epp")])
    text = format_text(diff_renders(old, new))
    line = next(x for x in text.splitlines() if ".image:" in x)
    assert "a" * (IMAGE_VALUE_LIMIT - 4) + "..." in line
    assert "a" * IMAGE_VALUE_LIMIT not in line
    line = next(x for x in text.splitlines() if x.strip().startswith("data["))
    assert "a" * (VALUE_LIMIT - 4) + "..." in line
    assert "a" * VALUE_LIMIT not in line


def test_an_image_reference_with_its_digest_is_shown_whole(tmp_path: Path) -> None:
    old_ref = "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0@sha256:" + "1" * 64
    new_ref = "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0@sha256:" + "2" * 64
    old = _base(tmp_path / "old", objects=[(_deployment(image=old_ref), "decode")])
    new = _base(tmp_path / "new", objects=[(_deployment(image=new_ref), "decode")])
    diff = diff_renders(old, new)
    text = format_text(diff)
    assert f'.image: "{old_ref}" -> "{new_ref}"' in text
    assert "images (by repository):" in text
    assert "~ ghcr.io/llm-d/llm-d-router-endpoint-picker: v0.9.0@sha256:" + "1" * 64 + " -> v0.10.0@sha256:" in text
    assert new_ref in format_markdown(diff)


def test_many_changed_fields_are_cut_with_a_count(tmp_path: Path) -> None:
    labels = {f"k{i}": "v" for i in range(40)}
    old = _base(tmp_path / "old", cloud=[_resource("gcp:x:Y", "y", {"labels": labels})])
    new = _base(tmp_path / "new", cloud=[_resource("gcp:x:Y", "y", {"labels": {k: "w" for k in labels}})])
    text = format_text(diff_renders(old, new))
    assert "... and 15 more field(s)" in text


# --- secrets ------------------------------------------------------------------------------------------------------


def test_secret_data_is_never_shown(tmp_path: Path) -> None:
    old = _base(tmp_path / "old", objects=[(_secret(PLAINTEXT), "tok")])
    new = _base(tmp_path / "new", objects=[(_secret(PLAINTEXT + "-rotated"), "tok")])
    diff = diff_renders(old, new)
    (change,) = diff.changed
    assert [f.path for f in change.fields] == ["stringData.HF_TOKEN"]
    for out in (format_text(diff), format_markdown(diff), _cli(str(old), str(new))[1]):
        assert PLAINTEXT not in out
        assert "[redacted]" in out


def test_pulumi_secret_markers_compare_equal_and_stay_markers(tmp_path: Path) -> None:
    provider = _resource("pulumi:providers:kubernetes", "k8s", {"kubeconfig": "[secret]"})
    old = _base(tmp_path / "old", cloud=[provider])
    new = _base(tmp_path / "new", cloud=[{**provider, "inputs": {"kubeconfig": "[secret]", "context": "x"}}])
    text = format_text(diff_renders(old, new))
    assert 'context: (absent) -> "x"' in text
    assert "kubeconfig" not in text


# --- reading folders ----------------------------------------------------------------------------------------------


def test_without_manifests_yaml_kubernetes_objects_come_from_resources_json(tmp_path: Path) -> None:
    old = _base(tmp_path / "old")
    new = _base(tmp_path / "new", objects=[(_deployment(replicas=2), "decode"), (_config_map("a: 1\nb: 2\n"), "epp")])
    (new / "manifests.yaml").unlink()
    diff = diff_renders(old, new)
    assert [str(c.key) for c in diff.changed] == ["apps/v1 Deployment llm-d/qwen3-decode"]
    assert any("no manifests.yaml" in note for note in diff.notes)


def test_the_order_of_resources_json_does_not_matter(tmp_path: Path) -> None:
    old = _base(tmp_path / "old")
    new = _base(tmp_path / "new", objects=[(_config_map("x\ny\n"), "epp"), (_deployment(replicas=1), "decode")])
    shuffled = json.loads((new / "resources.json").read_text())
    random.Random(4).shuffle(shuffled)
    other = tmp_path / "shuffled"
    other.mkdir()
    (other / "resources.json").write_text(json.dumps(shuffled))
    (other / "manifests.yaml").write_text((new / "manifests.yaml").read_text())
    assert format_text(diff_renders(old, new)) == format_text(diff_renders(old, other))
    assert format_markdown(diff_renders(old, new)) == format_markdown(diff_renders(old, other))


def test_duplicate_identities_are_kept_apart(tmp_path: Path) -> None:
    dup = _resource("gcp:x:Y", "same", {"v": 1}, parent=_urn("pulumi:pulumi:Stack$llmd:a:A", "a"))
    dup2 = _resource("gcp:x:Y", "same", {"v": 2}, parent=_urn("pulumi:pulumi:Stack$llmd:b:B", "b"))
    snapshot = load_render(_base(tmp_path / "r", cloud=[dup, dup2]))
    cloud = [k for k in snapshot.resources if k.group == "cloud"]
    assert len(cloud) == 2
    assert diff_renders(tmp_path / "r", tmp_path / "r").empty


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "not a folder"),
        (lambda p: p.mkdir(), "no resources.json"),
        (lambda p: (p.mkdir(), (p / "resources.json").write_text("{not json")), "cannot read"),
        (lambda p: (p.mkdir(), (p / "resources.json").write_text('{"a": 1}')), "expected a list"),
        (
            lambda p: (p.mkdir(), (p / "resources.json").write_text("[]"), (p / "manifests.yaml").write_text("a: [")),
            "cannot read",
        ),
        (
            lambda p: (p.mkdir(), (p / "resources.json").write_text("[]"), (p / "manifests.yaml").write_text("- 1")),
            "must be a Kubernetes object",
        ),
    ],
)
def test_unreadable_folders_raise_and_exit_2(tmp_path: Path, setup: Any, message: str) -> None:
    good = _base(tmp_path / "good")
    bad = tmp_path / "bad"
    setup(bad)
    with pytest.raises(RenderFolderError, match=message):
        diff_renders(good, bad)
    code, out = _cli(str(bad), str(good))
    assert code == 2
    assert message in out


# --- markdown -----------------------------------------------------------------------------------------------------


def test_markdown_lists_changes_in_diff_blocks(tmp_path: Path) -> None:
    old = _base(tmp_path / "old")
    new = _base(tmp_path / "new", objects=[(_deployment(replicas=4), "decode")])
    code, out = _cli(str(old), str(new), "-f", "markdown", "--title", "gke-h100")
    assert code == 0
    assert out.startswith("#### `gke-h100`: 0 added, 1 removed, 1 changed")
    assert "**Removed (1)**" in out
    assert "<code>apps/v1 Deployment llm-d/qwen3-decode</code>" in out
    assert "```diff\n- spec.replicas: 8\n+ spec.replicas: 4\n```" in out
    assert out.count("```") % 2 == 0


def test_markdown_never_closes_its_fence_early_and_is_cut_below_the_comment_limit() -> None:
    fields = tuple(FieldChange(f"f{i}", "```" + "x" * 90, MISSING) for i in range(20))
    changes = tuple(ResourceChange(ResourceKey("cloud", "gcp:x:Y", name=f"r{i}"), fields) for i in range(400))
    text = format_markdown(RenderDiff(changed=changes, old_count=400, new_count=400))
    assert len(text) < MARKDOWN_LIMIT + 200
    assert text.count("```") % 2 == 0
    assert "too long for one comment" in text


# --- property -----------------------------------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", "x\ny", "x\nz"])
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["name", "a", "b.c"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    old=st.dictionaries(st.sampled_from(["spec", "data"]), _values),
    new=st.dictionaries(st.sampled_from(["spec", "data"]), _values),
)
def test_a_resource_is_unchanged_exactly_when_its_json_is_equal(old: dict[str, Any], new: dict[str, Any]) -> None:
    key = ResourceKey("cloud", "gcp:x:Y", name="y")
    diff = diff_snapshots(
        RenderSnapshot({key: Entry(body=old, urn="u")}), RenderSnapshot({key: Entry(body=new, urn="u")})
    )
    same = json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)
    assert diff.empty == same
    format_text(diff)
    format_markdown(diff)
