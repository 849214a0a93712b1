"""No secret on any output channel: render files, stdout, stderr, ``pulumi-llmd diff`` text and Markdown, reports.

Each test plants secrets where a user could put them (a plain ``hfToken``, a credential in ``extraEnv`` or
``--api-key=`` in ``extraArgs``, a changed ``HF_TOKEN`` env value between two renders, a sensitive environment
variable of the CLI process) and asserts that no channel carries them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file, make_valid_config
from typer.testing import CliRunner

from pulumi_llmd.cli import EXIT_CONFIG, EXIT_PROGRAM, app
from pulumi_llmd.redact import REDACTED, scrub
from pulumi_llmd.render.diff import diff_renders, format_markdown, format_text
from pulumi_llmd.render.engine import RegisteredResource
from pulumi_llmd.render.render import RenderResult, build_result, known_secrets

HF = "hf_" + "Zq8Lm2Nx4Vb6Kc9Rt1Wy3Pd5Gf7Hj0Sa"
HF_NEW = "hf_" + "Pp1Oo2Ii3Uu4Yy5Tt6Rr7Ee8Ww9Qq0Aa"
OPENAI = "sk-proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8"
#: A secret with no recognizable shape: only its name (or being a known value) gives it away.
PLAIN = "correct-horse-battery-staple"
SECRETS = (HF, HF_NEW, OPENAI, PLAIN)

runner = CliRunner()


def _leaks(*texts: str) -> list[str]:
    return [s for s in SECRETS if any(s in t for t in texts)]


def _folder_text(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()) if folder.exists() else ""


# --- diff: text and markdown --------------------------------------------------------------------------------------


def _deployment(token: str, api_key: str, other: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "decode", "namespace": "llm-d", "annotations": {"example.com/api-key": api_key}},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "vllm",
                            "image": "vllm/vllm-openai:v0.23.0",
                            "args": ["--model", "Qwen/Qwen3-8B", f"--api-key={api_key}", "--hf-token", token],
                            "env": [
                                {"name": "HF_TOKEN", "value": token},
                                {"name": "MY_SETTING", "value": other},
                                {"name": "DB_PASSWORD", "value": api_key},
                            ],
                        }
                    ],
                }
            },
        },
    }


def _secret(value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "llm-d"}, "data": {"t": value}}


def _group_version(api_version: str) -> str:
    return api_version if "/" in api_version else f"core/{api_version}"


def _render_folder(folder: Path, objects: list[dict[str, Any]], extra_cloud: dict[str, Any] | None = None) -> Path:
    """A render folder holding ``objects`` verbatim (no scrubbing: the diff must redact on its own)."""
    resources = [
        {
            "urn": f"urn:pulumi:dev::llmd::kubernetes:{o['apiVersion']}:{o['kind']}::{o['metadata']['name']}",
            "type": f"kubernetes:{_group_version(o['apiVersion'])}:{o['kind']}",
            "name": o["metadata"]["name"],
            "parent": "",
            "custom": True,
            "inputs": o,
        }
        for o in objects
    ]
    if extra_cloud is not None:
        resources.append(
            {"urn": "urn:pulumi:dev::llmd::gcp:x:Y::y", "type": "gcp:x:Y", "name": "y", "custom": True, **extra_cloud}
        )
    folder.mkdir(parents=True)
    (folder / "resources.json").write_text(json.dumps(resources))
    (folder / "manifests.yaml").write_text("".join("---\n" + yaml.safe_dump(o) for o in objects))
    return folder


@pytest.fixture
def two_renders(tmp_path: Path) -> tuple[Path, Path]:
    old = _render_folder(
        tmp_path / "old",
        [_deployment(HF, "placeholder-value", "plain"), _secret("b2xk")],
        {"inputs": {"masterAuth": {"password": "x"}}},
    )
    new = _render_folder(
        tmp_path / "new",
        [_deployment(HF_NEW, OPENAI, HF), _secret(PLAIN)],
        {"inputs": {"masterAuth": {"password": PLAIN}}},
    )
    return old, new


def test_diff_text_and_markdown_never_show_a_secret(two_renders: tuple[Path, Path]) -> None:
    diff = diff_renders(*two_renders)
    text, markdown = format_text(diff), format_markdown(diff, title="dev")
    assert not _leaks(text, markdown), (text, markdown)
    assert "env[name=HF_TOKEN].value: [redacted] (changed)" in text
    assert 'env[name=MY_SETTING].value: "plain" -> "[redacted]"' in text  # credential-shaped under another name
    assert "--api-key=[redacted]" in text
    assert "inputs.masterAuth.password" not in text or "[redacted]" in text
    assert "~ spec.template.spec.containers[name=vllm].env[name=HF_TOKEN].value: [redacted] (changed)" in markdown
    assert REDACTED in markdown


def test_diff_cli_output_is_redacted_in_both_formats(two_renders: tuple[Path, Path]) -> None:
    for fmt in ("text", "markdown"):
        result = runner.invoke(app, ["diff", *map(str, two_renders), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert not _leaks(result.stdout, result.stderr)


def test_diff_keeps_booleans_and_numbers_under_sensitive_names(tmp_path: Path) -> None:
    old = _render_folder(tmp_path / "old", [_deployment("a", "b", "c")])
    changed = _deployment("a", "b", "c")
    changed["spec"]["template"]["spec"]["automountServiceAccountToken"] = True
    new = _render_folder(tmp_path / "new", [changed])
    text = format_text(diff_renders(old, new))
    assert "spec.template.spec.automountServiceAccountToken: false -> true" in text


def test_a_whole_env_item_added_under_a_sensitive_name_is_hidden(tmp_path: Path) -> None:
    old = _render_folder(tmp_path / "old", [_deployment("a", "b", "c")])
    added = _deployment("a", "b", "c")
    added["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "API_TOKEN", "value": PLAIN})
    new = _render_folder(tmp_path / "new", [added])
    diff = diff_renders(old, new)
    assert not _leaks(format_text(diff), format_markdown(diff))


# --- render: files, summary, stdout, stderr -----------------------------------------------------------------------


def _record(env: list[dict[str, str]], args: list[str]) -> RegisteredResource:
    return RegisteredResource(
        urn="urn:pulumi:t::llmd::kubernetes:apps/v1:Deployment::x",
        type="kubernetes:apps/v1:Deployment",
        name="x",
        parent="",
        custom=True,
        inputs={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "namespace": "default", "annotations": {"note": f"uses {PLAIN}"}},
            "spec": {
                "selector": {"matchLabels": {"app": "x"}},
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "args": args, "env": env}]},
                },
            },
        },
    )


def test_render_files_and_summary_hold_no_credential_even_if_the_program_registers_one() -> None:
    env = [
        {"name": "HF_TOKEN", "value": HF},
        {"name": "MY_SETTING", "value": OPENAI},
        {"name": "DB_PASSWORD", "value": "not-shaped-at-all"},
        {"name": "VLLM_PORT", "value": "8000"},
    ]
    args = ["--api-key", "unshaped-value", f"--api-key={OPENAI}", "--port", "8000"]
    result = build_result("t", [_record(env, args)], kar_version=None, twin=False, secrets=[PLAIN])
    texts = [result.resources_json(), result.manifests_yaml(), result.render_json(), result.summary()]
    assert not _leaks(*texts)
    assert "not-shaped-at-all" not in "".join(texts) and "unshaped-value" not in "".join(texts)
    (obj,) = result.manifests
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--api-key", REDACTED, f"--api-key={REDACTED}", "--port", "8000"]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "HF_TOKEN": REDACTED,
        "MY_SETTING": REDACTED,
        "DB_PASSWORD": REDACTED,
        "VLLM_PORT": "8000",
    }
    assert obj["metadata"]["annotations"]["note"] == f"uses {REDACTED}"


def test_scrub_changes_nothing_without_credentials(flagship: RenderResult) -> None:
    assert scrub(flagship.resources) == flagship.resources
    assert scrub(flagship.manifests) == flagship.manifests


def test_known_secrets_come_from_sensitive_keys_values_and_environment() -> None:
    config = {
        "llmd:hfToken": "[secret]",
        "llmd:models": json.dumps([{"name": "m", "apiKey": PLAIN, "huggingFaceId": "Qwen/Qwen3-8B", "x": HF}]),
        "llmd:target": json.dumps({"cloud": "gcp", "project": "my-project"}),
    }
    environ = {"HF_TOKEN": HF_NEW, "PWD": "/work/somewhere-long", "HOME": "/root", "GITHUB_TOKEN": "short"}
    assert set(known_secrets(config, environ)) == {PLAIN, HF, HF_NEW}


def _render(stack: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["render", str(stack), "--out", str(out), "--project-dir", str(REPO), *extra], env=env)
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize(
    "plant",
    [
        "plain hfToken",
        "nested hfToken",
        "extraEnv credential",
        "extraEnv under another name",
        "extraArgs --api-key=",
        "unknown key holding a token",
    ],
)
def test_a_render_with_a_planted_secret_leaks_it_nowhere(tmp_path: Path, plant: str) -> None:
    config = make_valid_config()
    model = config["models"][0]
    if plant == "plain hfToken":
        config["hfToken"] = HF
    elif plant == "nested hfToken":
        model["hfToken"] = HF
    elif plant == "extraEnv credential":
        model["extraEnv"] = {"OPENAI_API_KEY": OPENAI, "HF_TOKEN": PLAIN}
    elif plant == "extraEnv under another name":
        model["extraEnv"] = {"MY_SETTING": HF}
    elif plant == "extraArgs --api-key=":
        model["extraArgs"] = [f"--api-key={OPENAI}"]
    else:
        model["accessToken"] = PLAIN
    out = tmp_path / "out"
    for quiet in ((), ("--quiet",)):
        code, printed = _render(make_stack_file(tmp_path, config, name="leak"), out, *quiet)
        assert code != EXIT_PROGRAM, printed
        assert not _leaks(printed, _folder_text(out)), printed


def test_a_secret_hf_token_renders_and_no_output_holds_its_ciphertext(tmp_path: Path) -> None:
    config = make_valid_config()
    stack = make_stack_file(tmp_path, config, name="secret")
    document = yaml.safe_load(stack.read_text())
    ciphertext = "v1:" + "QWxhZGRpbjpvcGVuIHNlc2FtZQ" * 3
    document["config"]["llmd:hfToken"] = {"secure": ciphertext}
    stack.write_text(yaml.safe_dump(document))
    out = tmp_path / "out"
    code, printed = _render(stack, out, env={"HF_TOKEN": HF})
    assert code not in (EXIT_CONFIG, EXIT_PROGRAM), printed
    everything = printed + _folder_text(out)
    assert ciphertext not in everything and not _leaks(everything)
    assert "[secret]" in (out / "manifests.yaml").read_text() or "[secret]" in (out / "resources.json").read_text()


# --- errors and reports -------------------------------------------------------------------------------------------


def test_every_error_message_is_redacted_with_the_environment_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_llmd.render import diff

    def boom(*_: Any) -> None:
        raise RuntimeError(f"could not use {PLAIN} or {HF}")

    monkeypatch.setattr(diff, "diff_renders", boom)
    for debug in ((), ("--debug",)):
        result = runner.invoke(app, [*debug, "diff", str(tmp_path), str(tmp_path)], env={"MY_PASSWORD": PLAIN})
        assert result.exit_code == EXIT_PROGRAM
        assert not _leaks(result.stdout, result.stderr), result.stderr
        assert f"could not use {REDACTED} or {REDACTED}" in result.stderr


def test_check_output_json_and_report_are_redacted(
    tmp_path: Path, flagship: RenderResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_llmd.policies import report as report_module

    folder = tmp_path / "render"
    flagship.write(folder)
    monkeypatch.setattr(report_module, "checklist_report_yaml", lambda *_, **__: f"notes: HF_TOKEN={PLAIN} {HF}\n")
    report = tmp_path / "report.yaml"
    for extra in ((), ("--json",)):
        result = runner.invoke(
            app, ["check", str(folder), "--project-dir", str(REPO), "--no-twin", "--report", str(report), *extra]
        )
        assert result.exit_code in (0, 1), result.output
        assert not _leaks(result.stdout, result.stderr, report.read_text())
    assert report.read_text() == f"notes: HF_TOKEN={REDACTED} {REDACTED}\n"


def test_diff_hides_the_value_after_a_sensitive_flag_in_its_own_list_item(tmp_path: Path) -> None:
    """``args: [..., "--api-key", "VALUE"]`` diffs item by item: the value item must be hidden too."""
    old = tmp_path / "old"
    new = tmp_path / "new"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "m", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "args": ["--port=8000"]}]}}},
    }
    for folder, extra in ((old, []), (new, ["--api-key", "plainkeyvalue123"])):
        folder.mkdir()
        body = json.loads(json.dumps(deployment))
        body["spec"]["template"]["spec"]["containers"][0]["args"] += extra
        (folder / "resources.json").write_text("[]")
        (folder / "manifests.yaml").write_text(yaml.safe_dump(body))
    diff = diff_renders(old, new)
    for out in (format_text(diff), format_markdown(diff)):
        assert "plainkeyvalue123" not in out
        assert "--api-key" in out
