"""The ``pulumi-llmd render`` command: files, summary and exit codes (one real render; the failures are cheap)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import FLAGSHIP, REPO, make_stack_file, make_valid_config
from typer.testing import CliRunner

from pulumi_llmd.cli import app
from pulumi_llmd.render.render import RenderResult

runner = CliRunner()


def test_render_the_flagship_writes_both_files_and_a_summary(tmp_path: Path, flagship: RenderResult) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", FLAGSHIP, "--out", str(out), "--project-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "schema validation: all" in result.stdout
    assert f"stack {FLAGSHIP}:" in result.stdout
    assert f"wrote {out / 'resources.json'} and {out / 'manifests.yaml'}" in result.stdout
    assert result.stderr == ""
    resources = json.loads((out / "resources.json").read_text())
    assert {r["type"] for r in resources} >= {"gcp:container/cluster:Cluster", "llmd:paths:OptimizedBaseline"}
    kinds = [d["kind"] for d in yaml.safe_load_all((out / "manifests.yaml").read_text())]
    assert "InferencePool" in kinds
    # the command writes what the library renders
    assert (out / "resources.json").read_text() == flagship.resources_json()
    assert (out / "manifests.yaml").read_text() == flagship.manifests_yaml()


def test_a_missing_stack_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    missing = tmp_path / "Pulumi.nope.yaml"
    result = runner.invoke(app, ["render", str(missing), "--out", str(out), "--project-dir", str(REPO)])
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr
    assert not out.exists()


def test_an_unreadable_stack_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed\n")
    result = runner.invoke(app, ["render", str(broken), "--out", str(out), "--project-dir", str(REPO)])
    assert result.exit_code == 2, result.output
    assert "not valid YAML" in result.stderr
    assert not out.exists()


def test_an_unknown_stack_name_exits_2_listing_the_stacks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "no-such-stack", "--out", str(out), "--project-dir", str(REPO)])
    assert result.exit_code == 2, result.output
    assert "no stack 'no-such-stack'" in result.stderr
    known = sorted(p.stem.removeprefix("Pulumi.") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
    assert f"stacks: {', '.join(known)}" in result.stderr
    assert FLAGSHIP in result.stderr
    assert not out.exists()


def test_an_invalid_configuration_exits_2_listing_the_problem(tmp_path: Path) -> None:
    config = make_valid_config()
    config["models"][0]["tensorParallelSize"] = 16
    stack = make_stack_file(tmp_path, config, name="bad")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(stack), "--out", str(out), "--project-dir", str(REPO)])
    assert result.exit_code == 2, result.output
    assert "invalid stack configuration" in result.stderr
    assert "llmd:models[0].tensorParallelSize = 16" in result.stderr
    assert not out.exists()


def test_without_arguments_the_command_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "render" in result.output
