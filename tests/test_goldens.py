"""Golden renders: the committed ``goldens/<stack>/`` must equal a fresh render of every stack in ``stacks/``.

A change to the components, the blueprints or a stack file that changes what a stack deploys fails here until the
goldens are re-rendered with ``make goldens`` and committed with it, so every pull request shows its infrastructure
change as a plain diff of ``goldens/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_llmd.render.diff import diff_renders, format_text
from pulumi_llmd.render.render import RenderResult

REPO = Path(__file__).resolve().parent.parent
GOLDENS = REPO / "goldens"
FILES = ("resources.json", "manifests.yaml", "render.json")
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
#: Lines of the ``pulumi-llmd diff`` summary shown in a failure message.
SUMMARY_LINES = 40


def _mismatch_message(stack: str, fresh: RenderResult, tmp_path: Path) -> str:
    out = tmp_path / "fresh"
    fresh.write(out)
    diff = diff_renders(GOLDENS / stack, out)
    summary = format_text(diff).splitlines()
    if diff.empty:
        summary.append(
            f"(same content, different bytes: order or formatting; see `git diff --no-index goldens/{stack}`)"
        )
    if len(summary) > SUMMARY_LINES:
        summary = [*summary[:SUMMARY_LINES], f"... ({len(summary) - SUMMARY_LINES} more lines)"]
    body = "\n".join(f"    {line}" for line in summary)
    return (
        f"the render of stack '{stack}' differs from goldens/{stack}/.\n"
        "If the change is intended, run `make goldens` and commit goldens/ with it.\n"
        f"pulumi-llmd diff goldens/{stack} <fresh render>:\n{body}"
    )


def test_there_are_stacks() -> None:
    assert STACKS, "no stacks/Pulumi.*.yaml found"


@pytest.mark.parametrize("stack", STACKS)
def test_render_matches_golden(stack: str, rendered: Callable[[str], RenderResult], tmp_path: Path) -> None:
    golden = GOLDENS / stack
    missing = [name for name in FILES if not (golden / name).is_file()]
    assert not missing, f"goldens/{stack}/ lacks {', '.join(missing)}: run `make goldens` and commit goldens/"
    fresh = rendered(stack)
    texts = fresh.files()
    if any((golden / name).read_text() != texts[name] for name in FILES):
        pytest.fail(_mismatch_message(stack, fresh, tmp_path), pytrace=False)


def test_no_stale_goldens() -> None:
    folders = sorted(p.name for p in GOLDENS.iterdir() if p.is_dir()) if GOLDENS.is_dir() else []
    stale = [name for name in folders if name not in STACKS]
    assert not stale, f"goldens/ has folders for stacks that no longer exist: {stale}; run `make goldens`"


def test_goldens_hold_nothing_machine_specific() -> None:
    """Goldens are byte-identical across machines: no absolute paths of this checkout or home folder in them."""
    needles = [n for n in (str(REPO), str(Path.home())) if len(n) > 1]
    for stack in STACKS:
        for name in FILES:
            path = GOLDENS / stack / name
            if path.is_file():
                text = path.read_text()
                assert not [n for n in needles if n in text], f"{path} contains a machine-specific path"


def test_a_render_in_another_process_with_another_hash_seed_is_byte_identical(
    rendered: Callable[[str], RenderResult], tmp_path: Path
) -> None:
    """Renders hold no set or hash order: a render under a different PYTHONHASHSEED has the very same bytes."""
    stack = STACKS[0]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cli = [
        sys.executable,
        "-c",
        "from pulumi_llmd.cli import main; main()",
        "render",
        stack,
        "--project-dir",
        str(REPO),
    ]
    done = subprocess.run(
        [*cli, "--out", str(tmp_path), "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode in (0, 1, 4), done.stderr  # 1 schema or 4 policy problems: files written all the same
    here = rendered(stack)
    assert (tmp_path / "resources.json").read_text() == here.resources_json()
    assert (tmp_path / "manifests.yaml").read_text() == here.manifests_yaml()
    assert (tmp_path / "render.json").read_text() == here.render_json()


def test_the_preview_workflow_diffs_renders_and_runs_pulumi_preview_with_both_policy_packs() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "preview.yml").read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    jobs = workflow["jobs"]
    offline = "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in jobs["render-diff"]["steps"])
    assert "git worktree add" in offline
    assert "pulumi-llmd diff" in offline and "--format markdown" in offline
    assert "marocchino/sticky-pull-request-comment@v2" in offline
    (preview,) = [s for s in jobs["preview"]["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert preview["uses"] == "pulumi/actions@v7"
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["comment-on-pr"] is True
    assert preview["with"]["policyPacks"].split() == ["policies/kubernetes-ai-conformance", "policies/llm-d-practices"]
    assert jobs["preview"]["if"] == "needs.preview-stacks.outputs.enabled == 'true'"
    assert jobs["preview"]["permissions"]["id-token"] == "write"
