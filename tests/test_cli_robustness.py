"""CLI robustness: atomic renders with ``render.json``, ``check`` refusing stale or incomplete renders, unwritable
output paths as one-line errors with their own exit code, no traceback without ``--debug``, ``--version``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import FLAGSHIP, REPO
from typer.testing import CliRunner

from pulumi_llmd.cli import (
    EXIT_CHECK_VIOLATION,
    EXIT_CONFIG,
    EXIT_OUTPUT,
    EXIT_PROGRAM,
    EXIT_STALE,
    EXIT_TWIN,
    app,
)
from pulumi_llmd.components.versions import DEFAULT_RELEASE, RELEASES
from pulumi_llmd.render import output as output_module
from pulumi_llmd.render.metadata import (
    METADATA_FILE,
    RenderIncompleteError,
    RenderMetadata,
    library_version,
    output_info,
    verify_outputs,
)
from pulumi_llmd.render.output import OutputPathError, begin_in_place, begin_render, write_file_atomically
from pulumi_llmd.render.render import InsecureChoiceRecord, RenderResult

runner = CliRunner()
#: Exit codes of a ``check`` that got past the render verification.
CHECKED = (0, EXIT_CHECK_VIOLATION, EXIT_TWIN)


def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script as a user runs it (``main()``: real exit codes, real stderr)."""
    code = "from pulumi_llmd.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _files(stack: str, marker: str) -> dict[str, str]:
    """A render's files (resources.json, manifests.yaml, then render.json recording both), tagged with ``marker``."""
    data = {
        "resources.json": json.dumps([{"type": "t", "name": marker, "inputs": {}}]) + "\n",
        "manifests.yaml": f"---\nkind: ConfigMap\nmetadata:\n  name: {marker}\n" * 50,
    }
    meta = RenderMetadata(stack=stack, outputs={n: output_info(t) for n, t in data.items()})
    return {**data, METADATA_FILE: meta.to_json()}


def _written_by(out: Path) -> str:
    verify_outputs(out, RenderMetadata.read(out))  # complete and consistent, or it raises
    return str(json.loads((out / "resources.json").read_text())[0]["name"])


# --- --version, --debug, unexpected errors ------------------------------------------------------------------------


def test_version_prints_the_library_and_the_pinned_router_version() -> None:
    code, out, _ = _cli("--version")
    assert code == 0
    others = ", ".join(name for name in RELEASES if name != DEFAULT_RELEASE.name)
    assert out.strip() == (
        f"pulumi-llm-d {library_version()} (llm-d {DEFAULT_RELEASE.name} default, llm-d router "
        f"{DEFAULT_RELEASE.router_version}; llmd:release also: {others})"
    )


def test_an_unexpected_error_is_one_line_with_a_hint_and_the_traceback_only_with_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_llmd.render import diff

    def boom(*_: Any) -> None:
        raise RuntimeError("the diff broke")

    monkeypatch.setattr(diff, "diff_renders", boom)
    code, out, err = _cli("diff", str(tmp_path), str(tmp_path))
    assert code == EXIT_PROGRAM
    assert err.strip().splitlines() == [
        "error: diff failed unexpectedly: RuntimeError: the diff broke (rerun with --debug for the traceback)"
    ]
    assert "Traceback" not in out + err
    for args in (["--debug", "diff", str(tmp_path), str(tmp_path)], ["diff", str(tmp_path), str(tmp_path), "--debug"]):
        code, _, err = _cli(*args)
        assert code == EXIT_PROGRAM
        assert "Traceback (most recent call last)" in err and "RuntimeError: the diff broke" in err
    code, _, err = _cli("diff", str(tmp_path), str(tmp_path), env={"PULUMI_LLMD_DEBUG": "1"})
    assert "Traceback" in err


def test_a_failing_program_is_one_line_with_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_llmd.render import render as render_module

    def broken(*_: Any, **__: Any) -> RenderResult:
        raise KeyError("pools")

    monkeypatch.setattr(render_module, "render_stack", broken)
    code, _, err = _cli("render", FLAGSHIP, "--out", str(tmp_path / "out"), "--project-dir", str(REPO))
    assert code == EXIT_PROGRAM
    assert err.strip() == "error: the program failed: KeyError: 'pools' (rerun with --debug for the traceback)"
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_usage_errors_and_the_console_script_print_no_traceback(tmp_path: Path) -> None:
    done = _subprocess("diff", str(tmp_path / "a"), str(tmp_path / "b"), cwd=tmp_path)
    assert done.returncode == EXIT_CONFIG
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
    done = _subprocess("render", "x", "--no-such-option", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr


# --- unwritable output paths --------------------------------------------------------------------------------------


def _render_to(out: Path) -> tuple[int, str, str]:
    return _cli("render", FLAGSHIP, "--out", str(out), "--project-dir", str(REPO), "--quiet")


def test_a_file_in_the_way_of_out_is_exit_6_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    code, _, err = _render_to(blocker)
    assert code == EXIT_OUTPUT
    assert err.strip().splitlines() == [
        f"error: cannot write {blocker}: is a file, not a folder (remove it or choose another --out)"
    ]
    code, _, err = _render_to(blocker / "below")
    assert code == EXIT_OUTPUT and str(blocker) in err and "Traceback" not in err
    assert blocker.read_text() == "not a folder"


def test_an_unwritable_parent_is_exit_6_before_the_render_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*_: Any, **__: Any) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output_module.tempfile, "mkdtemp", denied)
    out = tmp_path / "out"
    code, _, err = _render_to(out)
    assert code == EXIT_OUTPUT
    assert (
        err.strip() == f"error: cannot write {out}: cannot create a temporary folder in {tmp_path}: Permission denied"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_exit_6(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        code, _, err = _render_to(parent / "out")
    finally:
        parent.chmod(0o755)
    assert code == EXIT_OUTPUT and "Permission denied" in err


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = _render_to(tmp_path)
    assert code == EXIT_OUTPUT
    assert "holds files that are not a render (notes.txt)" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_unwritable_report_is_exit_6(tmp_path: Path, flagship: RenderResult) -> None:
    folder = tmp_path / "render"
    flagship.write(folder)
    in_the_way = tmp_path / "file"
    in_the_way.write_text("x")
    for report, reason in ((tmp_path, "is a folder, not a file"), (in_the_way / "r.yaml", "is a file, not a folder")):
        code, _, err = _cli("check", str(folder), "--project-dir", str(REPO), "--no-twin", "--report", str(report))
        assert code == EXIT_OUTPUT, err
        assert "Traceback" not in err and reason in err


def test_write_file_atomically_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "report.yaml"
    write_file_atomically(path, "one\n")
    write_file_atomically(path, "two\n")
    assert path.read_text() == "two\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.yaml"]
    with pytest.raises(OutputPathError, match="is a folder"):
        write_file_atomically(path.parent, "x")


# --- atomic render folders ----------------------------------------------------------------------------------------


def test_a_render_folder_is_replaced_as_a_whole_and_other_files_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with begin_render(out) as pending:
        pending.commit(_files("a", "first"))
    (out / "ai-conformance.yaml").write_text("report")
    with begin_render(out) as pending:
        pending.commit(_files("b", "second"))
    assert _written_by(out) == "second"
    assert (out / "ai-conformance.yaml").read_text() == "report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old folder left


def test_an_interrupted_render_leaves_the_previous_render_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with begin_render(out) as pending:
        pending.commit(_files("a", "old"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output_module.os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt), begin_render(out) as pending:
        pending.commit(_files("b", "new"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_temporary_folder_of_a_killed_render_is_removed_by_the_next_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    leftover = tmp_path / f".out.render-{dead}-abcd"
    leftover.mkdir()
    (leftover / "resources.json").write_text("[")
    aside = tmp_path / f".out.old-{dead}-abcd"
    aside.mkdir()
    with begin_render(tmp_path / "out") as pending:
        pending.commit(_files("a", "x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_concurrent_renders_into_one_folder_never_mix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    errors: list[BaseException] = []

    def render(marker: str) -> None:
        try:
            for round_ in range(15):
                with begin_render(out) as pending:
                    pending.commit(_files("s", f"{marker}-{round_}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=render, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _written_by(out).endswith("-14")  # one writer's last complete render, consistent with its render.json
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_that_cannot_be_renamed_is_written_in_place_under_a_lock(tmp_path: Path) -> None:
    out = tmp_path / "mount"
    out.mkdir()
    with begin_in_place(out) as pending:
        pending.commit(_files("a", "first"))
    with begin_in_place(out) as pending:
        pending.commit(_files("a", "second"))
    assert _written_by(out) == "second"
    assert sorted(p.name for p in out.iterdir()) == [".render.lock", "manifests.yaml", "render.json", "resources.json"]


# --- render.json --------------------------------------------------------------------------------------------------


def test_render_json_records_stack_file_versions_files_and_results(flagship: RenderResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    flagship.write(out)
    meta = json.loads((out / METADATA_FILE).read_text())
    stack_file = REPO / "stacks" / f"Pulumi.{FLAGSHIP}.yaml"
    assert meta["stack"] == FLAGSHIP and meta["project"] == "llmd" and meta["complete"] is True
    assert meta["stackFile"]["path"] == f"stacks/Pulumi.{FLAGSHIP}.yaml"
    import hashlib

    assert meta["stackFile"]["sha256"] == hashlib.sha256(stack_file.read_bytes()).hexdigest()
    assert meta["library"] == {
        "name": "pulumi-llm-d",
        "version": library_version(),
        "llmdRouterVersion": DEFAULT_RELEASE.router_version,
    }
    assert meta["llmdRelease"] == DEFAULT_RELEASE.name
    assert sorted(meta["outputs"]) == ["manifests.yaml", "resources.json"]
    for name, info in meta["outputs"].items():
        assert info == output_info((out / name).read_text())
    assert meta["results"]["resources"] == len(flagship.resources)
    assert meta["results"]["schemaIssues"] == 0
    assert isinstance(meta["insecureChoices"], list)


def test_render_json_is_deterministic_and_holds_no_machine_paths_or_times(flagship: RenderResult) -> None:
    text = flagship.render_json()
    assert text == flagship.render_json()
    assert str(REPO) not in text and "/tmp" not in text and str(Path.home()) not in text
    assert not any(word in text for word in ("time", "date", "created"))


def test_insecure_choices_are_in_the_summary_and_in_render_json(flagship: RenderResult, tmp_path: Path) -> None:
    choice = InsecureChoiceRecord("llmd:gateway.authentication", "none", "anyone can call the API")
    result = RenderResult(
        stack="demo", resources=flagship.resources, manifests=flagship.manifests, insecure_choices=(choice,)
    )
    summary = result.summary().splitlines()
    at = summary.index("Insecure choices (explicit in the stack file): 1")
    assert summary[at + 1] == "  INSECURE llmd:gateway.authentication = none: anyone can call the API"
    meta = json.loads(result.render_json())
    assert meta["insecureChoices"] == [
        {"key": "llmd:gateway.authentication", "value": "none", "why": "anyone can call the API"}
    ]
    kept = RenderResult(stack="demo", resources=[], manifests=[], insecure_choices=())
    assert "insecure choices: none (the stack keeps every security default)" in kept.summary()


def test_the_render_reads_insecure_choices_from_the_validated_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_llmd.blueprints import StackConfig, posture
    from pulumi_llmd.render.render import render_stack

    seen: list[StackConfig] = []

    def choices(config: StackConfig) -> list[posture.InsecureChoice]:
        seen.append(config)
        return [posture.InsecureChoice(key="llmd:gateway.public", value="true", why="test entry")]

    monkeypatch.setattr(posture, "insecure_choices", choices)
    result = render_stack("kind-simulated-accelerators", project_dir=REPO, kar_version=None, twin=False)
    assert len(seen) == 1 and isinstance(seen[0], StackConfig)
    assert result.insecure_choices == (InsecureChoiceRecord("llmd:gateway.public", "true", "test entry"),)
    assert "  INSECURE llmd:gateway.public = true: test entry" in result.summary()


def test_the_diff_shows_the_insecure_choices_a_change_adds(tmp_path: Path) -> None:
    old_choice = InsecureChoiceRecord("llmd:cluster.masterAuthorizedNetworks", "0.0.0.0/0", "open control plane")
    new_choice = InsecureChoiceRecord("llmd:gateway.authentication", "none", "anyone can call the API")
    RenderResult(stack="s", resources=[], manifests=[], insecure_choices=(old_choice,)).write(tmp_path / "old")
    RenderResult(stack="s", resources=[], manifests=[], insecure_choices=(old_choice, new_choice)).write(
        tmp_path / "new"
    )
    code, text, _ = _cli("diff", str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 0
    assert "insecure choices (explicit in the stack file): 2" in text
    assert "  + llmd:gateway.authentication = none: anyone can call the API" in text
    assert "    llmd:cluster.masterAuthorizedNetworks = 0.0.0.0/0: open control plane" in text
    code, markdown, _ = _cli("diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "markdown")
    assert "**Insecure choices (explicit in the stack file): 2**" in markdown
    assert "- **new:** `llmd:gateway.authentication = none: anyone can call the API`" in markdown


# --- check refuses stale and incomplete renders -------------------------------------------------------------------


@pytest.fixture
def flagship_render(flagship: RenderResult, tmp_path: Path) -> Path:
    folder = tmp_path / "render"
    flagship.write(folder)
    return folder


def _check(folder: Path, *extra: str) -> tuple[int, str, str]:
    return _cli("check", str(folder), "--project-dir", str(REPO), "--no-twin", *extra)


def test_check_accepts_a_complete_render_of_the_unchanged_stack(flagship_render: Path) -> None:
    code, out, err = _check(flagship_render)
    assert code in CHECKED, err
    assert f"render of stack {FLAGSHIP}: complete, made from stacks/Pulumi.{FLAGSHIP}.yaml as it is now" in out
    code, _, err = _check(flagship_render, "--stack", FLAGSHIP)
    assert code in CHECKED, err


def test_check_refuses_a_render_of_another_stack(flagship_render: Path) -> None:
    code, _, err = _check(flagship_render, "--stack", "kind-simulated-accelerators")
    assert code == EXIT_STALE
    assert f"the render is of stack '{FLAGSHIP}', not 'kind-simulated-accelerators'" in err


def test_check_refuses_a_render_whose_stack_file_changed(flagship_render: Path, tmp_path: Path) -> None:
    copy = tmp_path / f"Pulumi.{FLAGSHIP}.yaml"
    shutil.copy(REPO / "stacks" / copy.name, copy)
    code, _, err = _cli("check", str(flagship_render), "--no-twin", "--stack", str(copy))
    assert code in CHECKED, err
    copy.write_text(copy.read_text() + "\n# edited\n")
    code, _, err = _cli("check", str(flagship_render), "--no-twin", "--stack", str(copy))
    assert code == EXIT_STALE
    assert f"the render of stack '{FLAGSHIP}' is stale: {copy} has changed since it was rendered" in err


def test_check_refuses_a_render_of_another_library_version(flagship_render: Path) -> None:
    meta = json.loads((flagship_render / METADATA_FILE).read_text())
    meta["library"]["version"] = "0.0.1"
    (flagship_render / METADATA_FILE).write_text(json.dumps(meta))
    code, _, err = _check(flagship_render)
    assert code == EXIT_STALE and "made by pulumi-llm-d 0.0.1" in err


@pytest.mark.parametrize("damage", ["truncated", "missing manifests", "no render.json", "not complete", "bad json"])
def test_check_refuses_an_incomplete_render(flagship_render: Path, damage: str) -> None:
    resources = flagship_render / "resources.json"
    meta_file = flagship_render / METADATA_FILE
    if damage == "truncated":
        resources.write_bytes(resources.read_bytes()[:4096])
    elif damage == "missing manifests":
        (flagship_render / "manifests.yaml").unlink()
    elif damage == "no render.json":
        meta_file.unlink()
    elif damage == "not complete":
        meta_file.write_text(meta_file.read_text().replace('"complete": true', '"complete": false'))
    else:
        meta_file.write_text(meta_file.read_text()[:50])
    code, out, err = _check(flagship_render)
    assert code == EXIT_CONFIG, err
    assert out == "" and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "render" in err


def test_no_verify_checks_a_hand_made_resources_json(flagship: RenderResult, tmp_path: Path) -> None:
    (tmp_path / "resources.json").write_text(json.dumps(flagship.resources))
    code, _, err = _check(tmp_path)
    assert code == EXIT_CONFIG and "no render.json" in err and "--no-verify" in err
    code, _, err = _check(tmp_path, "--no-verify")
    assert code in CHECKED, err


def test_verify_outputs_names_the_damaged_file(flagship_render: Path) -> None:
    (flagship_render / "manifests.yaml").write_text("---\n")
    with pytest.raises(RenderIncompleteError, match=r"manifests\.yaml: differs from what the render wrote"):
        verify_outputs(flagship_render, RenderMetadata.read(flagship_render))


def test_a_real_render_then_check_end_to_end(tmp_path: Path) -> None:
    """The console script: render writes three files atomically; check verifies them; an edit makes it stale."""
    from conftest import make_stack_file, make_valid_config

    stack = make_stack_file(tmp_path, make_valid_config(), name="e2e")
    out = tmp_path / "out"
    done = _subprocess("render", str(stack), "--out", str(out), "--project-dir", str(REPO), "--quiet", cwd=tmp_path)
    assert done.returncode not in (2, 3, EXIT_OUTPUT), done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifests.yaml", "render.json", "resources.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.e2e.yaml", "out"]
    checked = _subprocess("check", str(out), "--no-twin", cwd=tmp_path)
    assert checked.returncode in CHECKED, checked.stderr
    stack.write_text(stack.read_text().replace("replicas: 4", "replicas: 2"))
    stale = _subprocess("check", str(out), "--no-twin", cwd=tmp_path)
    assert stale.returncode == EXIT_STALE, stale.stderr
    assert "is stale" in stale.stderr and "Traceback" not in stale.stderr


def test_ctrl_c_during_a_render_exits_130_and_keeps_the_previous_render(tmp_path: Path) -> None:
    import signal
    import time

    out = tmp_path / "out"
    with begin_render(out) as pending:
        pending.commit(_files("previous", "previous"))
    code = "from pulumi_llmd.cli import main; main()"
    args = ["render", FLAGSHIP, "--out", str(out), "--project-dir", str(REPO), "--quiet"]
    process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # inside the render (3-6 s)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    meta = RenderMetadata.read(out)
    verify_outputs(out, meta)  # complete and consistent whatever the moment of the interrupt
    if process.returncode == 130:
        assert err.strip() in ("", "error: render: interrupted; nothing was half-written"), err
        assert meta.stack == "previous"  # the previous render, untouched
    else:  # the interrupt came after the new render was in place (as the process exited)
        assert meta.stack == FLAGSHIP
