"""The typed llm-d release matrix (issue 14, item 1): ``components/versions.py`` ``LlmdRelease`` records, the stack
key ``llmd:release``, ``pulumi-llmd render --release`` and the upgrade preview (``pulumi-llmd diff`` of one stack
rendered under the previous and the newest release)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import FLAGSHIP, REPO, make_valid_config
from typer.testing import CliRunner

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.plan import plan_stack
from pulumi_llmd.cli import EXIT_CONFIG, app
from pulumi_llmd.components import versions
from pulumi_llmd.components.versions import (
    DEFAULT_RELEASE,
    LLMD_V0_9_0,
    LLMD_V0_10_0,
    PREVIOUS_RELEASE,
    RELEASES,
    LlmdRelease,
    active_release,
    release_named,
    use_release,
)
from pulumi_llmd.render.diff import diff_renders, format_markdown, format_text, render_images
from pulumi_llmd.render.metadata import RenderMetadata
from pulumi_llmd.render.render import RenderResult, render_stack

STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))


# --- the records ------------------------------------------------------------------------------------------------


def test_the_newest_release_is_the_default_and_the_previous_one_is_kept() -> None:
    assert list(RELEASES) == ["v0.10.0", "v0.9.0"]
    assert DEFAULT_RELEASE is LLMD_V0_10_0 and PREVIOUS_RELEASE is LLMD_V0_9_0
    assert active_release() is DEFAULT_RELEASE


def test_the_records_pin_what_llm_d_validated_each_release_with() -> None:
    # llm-d v0.9.0: guides/env.sh e3dbeca1 + image components @ d557f83e; v0.10.0: docs/api-reference/artifacts.md
    old, new = LLMD_V0_9_0, LLMD_V0_10_0
    assert (old.vllm_gpu.tagged, new.vllm_gpu.tagged) == ("vllm/vllm-openai:v0.26.0", "vllm/vllm-openai:v0.30.0")
    assert (old.vllm_tpu.tag, new.vllm_tpu.tag) == ("v0.26.0", "v0.29.0")
    assert (old.lws_chart.version, new.lws_chart.version) == ("0.10.0", "0.11.1")
    assert (old.istio_version, new.istio_version) == ("1.29.2", "1.29.6")
    assert (old.keda_version, new.keda_version) == ("v2.20.1", "v2.20.2")
    assert (old.gaie_version, new.gaie_version) == ("v1.5.0", "v1.6.0")
    assert old.router_version == new.router_version == "v0.10.0"
    assert old.vllm_env == new.vllm_env == (("USER", "llm-d"),)
    assert (old.disaggregated_set_default, new.disaggregated_set_default) == (False, True)


def test_every_record_pin_is_a_named_pin_of_the_refresh_script() -> None:
    # scripts/refresh_digests.py resolves pins by constant name (IMAGE_PINS / CHART_PINS): every pin a record uses is
    # one of them, so refreshing the constants refreshes the records.
    named = {id(pin) for pin in (*versions.IMAGE_PINS.values(), *versions.CHART_PINS.values())}
    for release in RELEASES.values():
        for field, pin in release.pins().items():
            assert id(pin) in named, f"{release.name}.{field} is not a *_PIN constant of components/versions.py"


def test_use_release_selects_a_release_and_restores_the_previous_one() -> None:
    assert active_release() is DEFAULT_RELEASE
    with use_release("v0.9.0") as outer:
        assert outer is LLMD_V0_9_0 and active_release() is LLMD_V0_9_0
        with use_release(LLMD_V0_10_0):
            assert active_release() is LLMD_V0_10_0
        assert active_release() is LLMD_V0_9_0
    assert active_release() is DEFAULT_RELEASE


def test_use_release_restores_the_previous_release_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), use_release("v0.9.0"):
        raise RuntimeError("boom")
    assert active_release() is DEFAULT_RELEASE


@pytest.mark.parametrize("name", ["v0.8.0", "latest", "v1.0.0"])
def test_an_unknown_release_is_refused_naming_the_allowed_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"allowed: v0\.10\.0, v0\.9\.0") as info:
        release_named(name)
    assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="allowed"), use_release(name):
        pass
    assert active_release() is DEFAULT_RELEASE


def test_a_release_name_without_its_v_is_accepted() -> None:
    assert release_named("0.9.0") is LLMD_V0_9_0


# --- the stack key ----------------------------------------------------------------------------------------------


def test_the_stack_key_defaults_to_the_newest_release() -> None:
    config = parse_stack_config(make_valid_config())
    assert config.release == "v0.10.0"
    assert plan_stack(config).release is LLMD_V0_10_0


@pytest.mark.parametrize(("value", "expected"), [("v0.9.0", LLMD_V0_9_0), ("0.9.0", LLMD_V0_9_0)])
def test_the_stack_key_selects_a_release_carried_in_the_plan(value: str, expected: LlmdRelease) -> None:
    config = parse_stack_config({**make_valid_config(), "release": value})
    assert config.release == expected.name
    assert plan_stack(config).release is expected


@pytest.mark.parametrize("value", ["v0.8.0", "main", 9])
def test_an_unknown_stack_release_is_a_config_error_naming_key_value_and_allowed(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config({**make_valid_config(), "release": value})
    (issue,) = [i for i in info.value.issues if i.key == "llmd:release"]
    text = str(issue)
    assert "llmd:release" in text and str(value) in text
    assert "v0.10.0" in text and "v0.9.0" in text


# --- rendering under each release -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def previous() -> Callable[[str], RenderResult]:
    """``previous(stack)``: the render of a stack under llm-d v0.9.0 (``render --release``), at most once."""
    cache: dict[str, RenderResult] = {}

    def get(stack: str) -> RenderResult:
        if stack not in cache:
            cache[stack] = render_stack(stack, project_dir=REPO, release="v0.9.0")
        return cache[stack]

    return get


def _by_release(
    release: str, rendered: Callable[[str], RenderResult], previous: Callable[[str], RenderResult]
) -> Callable[[str], RenderResult]:
    return previous if release == "v0.9.0" else rendered


def _images(result: RenderResult) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "image" and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(result.manifests)
    return found


@pytest.mark.parametrize("release", ["v0.9.0", "v0.10.0"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_reference_stack_renders_clean_under_both_releases(
    stack: str,
    release: str,
    rendered: Callable[[str], RenderResult],
    previous: Callable[[str], RenderResult],
) -> None:
    result = _by_release(release, rendered, previous)(stack)
    assert result.ok, [str(i) for i in result.schema_issues]
    assert result.policy_ok, [str(f) for f in result.policy.mandatory] if result.policy else []
    assert result.twin_ok, [f.line() for f in result.twin.findings] if result.twin else []
    assert result.release == release
    assert json.loads(result.render_json())["llmdRelease"] == release


@pytest.mark.parametrize("release", ["v0.9.0", "v0.10.0"])
@pytest.mark.parametrize("stack", STACKS)
def test_the_images_of_a_render_are_the_selected_releases_pins(
    stack: str,
    release: str,
    rendered: Callable[[str], RenderResult],
    previous: Callable[[str], RenderResult],
) -> None:
    record, other = RELEASES[release], RELEASES["v0.10.0" if release == "v0.9.0" else "v0.9.0"]
    images = _images(_by_release(release, rendered, previous)(stack))
    # Every pin that differs between the releases: the render holds the selected release's, never the other's.
    differing = [f for f, pin in record.pins().items() if pin != other.pins()[f] and hasattr(pin, "ref")]
    assert differing, "the releases differ in some image"
    for field in differing:
        assert getattr(other, field).ref not in images, f"{stack} under {release} runs {other.name}'s {field}"
    model_images = {i for i in images if "vllm" in i.split("@")[0] and "render" not in i}
    gpu_or_tpu = {record.vllm_gpu.ref, record.vllm_tpu.ref, record.vllm_aws_efa.ref, record.wide_ep_image.ref}
    assert not {i for i in model_images if i.startswith(("vllm/vllm-openai:", "vllm/vllm-tpu:"))} - gpu_or_tpu
    if stack == FLAGSHIP:
        assert record.vllm_gpu.ref in images and record.epp.ref in images


@pytest.mark.parametrize("release", ["v0.9.0", "v0.10.0"])
def test_vllm_containers_get_the_releases_env(
    release: str, rendered: Callable[[str], RenderResult], previous: Callable[[str], RenderResult]
) -> None:
    result = _by_release(release, rendered, previous)(FLAGSHIP)
    (deployment,) = [
        m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-decode")
    ]
    (server,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "modelserver"]
    env = {e["name"]: e.get("value") for e in server["env"]}
    for name, value in RELEASES[release].vllm_env:
        assert env[name] == value


@pytest.mark.parametrize("release", ["v0.9.0", "v0.10.0"])
def test_the_lws_and_istio_charts_follow_the_release(
    release: str, rendered: Callable[[str], RenderResult], previous: Callable[[str], RenderResult]
) -> None:
    record = RELEASES[release]
    result = _by_release(release, rendered, previous)("kind-simulated-accelerators")
    helm = {r["name"]: r["inputs"] for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    assert helm["lws"]["version"] == record.lws_chart.version
    assert helm["lws"]["chart"] == record.lws_chart.chart
    istio = {name: inputs for name, inputs in helm.items() if inputs.get("chart") in ("base", "istiod")}
    assert istio and {inputs["version"] for inputs in istio.values()} == {record.istio_version}


def test_render_json_and_the_summary_name_the_release(previous: Callable[[str], RenderResult]) -> None:
    result = previous(FLAGSHIP)
    meta = RenderMetadata.from_json(result.render_json(), source=Path("render.json"))
    assert (meta.release, meta.router_version) == ("v0.9.0", "v0.10.0")
    assert "pinned to llm-d v0.9.0 (router v0.10.0)" in result.summary()


# --- the upgrade preview ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], tuple[Path, Path]]]:
    """``upgrade(stack)``: folders with the stack rendered under v0.9.0 and under v0.10.0 by the CLI."""
    root = tmp_path_factory.mktemp("upgrade")
    done: dict[str, tuple[Path, Path]] = {}

    def get(stack: str) -> tuple[Path, Path]:
        if stack not in done:
            old, new = root / f"{stack}-old", root / f"{stack}-new"
            for args in (["--out", str(old), "--release", "v0.9.0"], ["--out", str(new)]):
                result = CliRunner().invoke(app, ["render", stack, "-q", "--project-dir", str(REPO), *args])
                assert result.exit_code == 0, result.output
            done[stack] = (old, new)
        return done[stack]

    yield get


@pytest.mark.parametrize("stack", [FLAGSHIP, "gke-h200-pd-disaggregation", "kind-simulated-accelerators"])
def test_the_upgrade_diff_lists_the_vllm_image_and_chart_version_changes(
    stack: str, upgrade: Callable[[str], tuple[Path, Path]]
) -> None:
    old, new = upgrade(stack)
    diff = diff_renders(old, new)
    text = format_text(diff)
    assert "llm-d release: v0.9.0 -> v0.10.0" in text
    lws_line = (
        f"~ lws ({LLMD_V0_10_0.lws_chart.chart}): {LLMD_V0_9_0.lws_chart.version} -> {LLMD_V0_10_0.lws_chart.version}"
    )
    assert lws_line in text
    if stack == "kind-simulated-accelerators":  # the simulator runs no vLLM; its gateway is Istio
        assert f"{LLMD_V0_9_0.istio_version} -> {LLMD_V0_10_0.istio_version}" in text
        return
    old_vllm, new_vllm = LLMD_V0_9_0.vllm_gpu, LLMD_V0_10_0.vllm_gpu
    assert f"~ {new_vllm.repository}: {old_vllm.helm_tag} -> {new_vllm.helm_tag}" in text
    assert diff.summary is not None
    (vllm,) = [i for i in diff.summary.images if i[0] == new_vllm.repository]
    assert vllm[1:] == ((old_vllm.helm_tag,), (new_vllm.helm_tag,))
    markdown = format_markdown(diff, title=stack)
    assert "**Upgrade summary**" in markdown and new_vllm.helm_tag in markdown


def test_an_image_change_in_a_changed_object_is_shown_whole(upgrade: Callable[[str], tuple[Path, Path]]) -> None:
    old, new = upgrade(FLAGSHIP)
    text = format_text(diff_renders(old, new))
    (line,) = [x for x in text.splitlines() if x.strip().startswith("spec.template.spec.containers[name=modelserver]")]
    assert f'"{LLMD_V0_9_0.vllm_gpu.ref}" -> "{LLMD_V0_10_0.vllm_gpu.ref}"' in line


def test_the_pd_upgrade_shows_the_kv_role_flags_of_the_new_form(upgrade: Callable[[str], tuple[Path, Path]]) -> None:
    # v0.10.0 builds P/D as a DisaggregatedSet (objects added and removed): the summary still shows what flags change.
    old, new = upgrade("gke-h200-pd-disaggregation")
    text = format_text(diff_renders(old, new))
    assert "container flags and env (by container name, across workloads):" in text
    assert "+ arg" in text and "kv_producer" in text


def test_render_images_reads_helm_values_images(upgrade: Callable[[str], tuple[Path, Path]]) -> None:
    from pulumi_llmd.render.diff import load_render

    old, _ = upgrade("eks-p5en-pd-disaggregation")
    images = render_images(load_render(old))
    plugin = LLMD_V0_9_0.nvidia_device_plugin_image
    assert images.get(plugin.repository) == (plugin.helm_tag,)


# --- the CLI ------------------------------------------------------------------------------------------------------


def test_render_refuses_an_unknown_release_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["render", FLAGSHIP, "-q", "--project-dir", str(REPO), "--out", str(tmp_path / "x"), "--release", "v9"]
    )
    assert result.exit_code == EXIT_CONFIG
    assert "--release = 'v9'" in result.output and "allowed: v0.10.0, v0.9.0" in result.output
    assert not (tmp_path / "x").exists()


def test_version_names_the_default_release_and_the_others() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "llm-d v0.10.0 default, llm-d router v0.10.0; llmd:release also: v0.9.0" in result.output


# --- the sources table --------------------------------------------------------------------------------------------


def _release_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_table", REPO / "scripts" / "release_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release_table"] = module
    spec.loader.exec_module(module)
    return module


def test_docs_releases_md_is_current() -> None:
    table = _release_table()
    assert (REPO / "docs" / "releases.md").read_text() == table.render(), "run scripts/release_table.py"


def test_the_sources_table_lists_every_pin_of_both_releases_and_calls_out_the_unverified() -> None:
    text = _release_table().render()
    for release in RELEASES.values():
        for field, pin in release.pins().items():
            assert f"| `{field}` |" in text
            assert (pin.tag if hasattr(pin, "tag") else pin.version) in text
    assert "pending" in text
    assert "LWS v0.11.1" in text and "agentgateway" in text and "v1.4.x" in text


# --- the components ---------------------------------------------------------------------------------------------


def _component_render(program: Callable[[], Any]) -> RenderResult:
    from mock_program import run

    from pulumi_llmd.render.render import build_result

    result = run(program)
    assert result.error is None, repr(result.error)
    return build_result("components", result.resources, twin=False)


def test_llmd_platform_and_inference_take_a_release_and_models_follow_their_platform() -> None:
    from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
    from pulumi_llmd.components.cluster import ExistingCluster

    built: dict[str, Any] = {}

    def program() -> None:
        cluster = ExistingCluster("kind-llm-d", context="kind-llm-d")
        platform = LlmdPlatform("sim", cluster=cluster, namespace="llm-d-sim", release="v0.9.0")
        built["platform"] = platform
        built["old"] = LlmdInference("old", platform=platform, model="random")
        built["new"] = LlmdInference("new", platform=platform, model="random", route_path="/new", release="v0.10.0")

    result = _component_render(program)
    assert built["platform"].release is LLMD_V0_9_0 and built["old"].release is LLMD_V0_9_0
    assert built["new"].release is LLMD_V0_10_0
    helm = {r["name"]: r["inputs"] for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    assert helm["lws"]["version"] == LLMD_V0_9_0.lws_chart.version
    assert helm["istiod"]["version"] == LLMD_V0_9_0.istio_version
    assert active_release() is DEFAULT_RELEASE  # the components' blocks restored it


def test_llmd_platform_defaults_to_the_active_release() -> None:
    from pulumi_llmd.blueprints.inference import LlmdPlatform
    from pulumi_llmd.components.cluster import ExistingCluster

    built: dict[str, Any] = {}

    def program() -> None:
        with use_release("v0.9.0"):
            built["platform"] = LlmdPlatform("sim", cluster=ExistingCluster("kind", context="kind-llm-d"))

    result = _component_render(program)
    assert built["platform"].release is LLMD_V0_9_0
    (lws,) = [r["inputs"] for r in result.resources if r["name"] == "lws" and "helm" in r["type"]]
    assert lws["version"] == LLMD_V0_9_0.lws_chart.version


@pytest.mark.parametrize("where", ["platform", "inference"])
def test_an_unknown_component_release_is_refused_naming_the_argument(where: str) -> None:
    from mock_program import run

    from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
    from pulumi_llmd.components.args import ArgsError
    from pulumi_llmd.components.cluster import ExistingCluster

    def program() -> None:
        platform = LlmdPlatform(
            "sim",
            cluster=ExistingCluster("kind", context="kind-llm-d"),
            **({"release": "v0.8.0"} if where == "platform" else {}),
        )
        LlmdInference("m", platform=platform, model="random", **({"release": "v0.8.0"} if where != "platform" else {}))

    result = run(program)
    assert isinstance(result.error, ArgsError), repr(result.error)
    message = str(result.error)
    assert "release = 'v0.8.0'" in message and "v0.10.0, v0.9.0" in message


def test_the_pulumi_package_takes_a_release_on_platform_and_inference() -> None:
    from pulumi_llmd import package

    resources = package.schema()["resources"]
    for component in ("LlmdPlatform", "LlmdInference"):
        prop = resources[f"llmd:index:{component}"]["inputProperties"]["release"]
        assert prop["type"] == "string" and "v0.9.0" in prop["description"]
