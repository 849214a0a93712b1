"""``pulumi-llmd``: the offline tools of pulumi-llm-d.

``pulumi-llmd render STACK --out DIR`` runs the project's program for one stack under the Pulumi SDK's mock engine
(no CLI, cloud or cluster), validates every Kubernetes object against the Kubernetes 1.35 OpenAPI schema and the
carried upstream CRD schemas, writes ``DIR/resources.json`` and ``DIR/manifests.yaml`` and prints a summary.

Exit codes: 0 rendered and valid; 1 an object failed its schema (files are still written, to inspect);
2 the stack configuration is invalid or the stack file cannot be read (nothing is written);
3 the program failed for another reason; 4 a mandatory policy is violated (schema-valid, files written): the render
also runs both policy packs (Kubernetes AI Conformance for ``--kar-version``, default 1.35, and llm-d practices);
5 the first-deploy twin found what the first ``pulumi up`` would fail on (schema-valid, policy-clean, files written;
``--no-twin`` skips it).

``pulumi-llmd check RENDER_DIR [--kar-version 1.35] [--report FILE]`` runs the same policy packs over a render's
``resources.json`` and can write the pre-filled CNCF AI-conformance checklist. Exit codes: 0 no mandatory violation;
1 a mandatory policy is violated; 2 the render cannot be read or the version is not carried (1.33-1.36); 5 the
first-deploy twin fails (``--no-twin`` skips it).

``pulumi-llmd diff OLD_RENDER NEW_RENDER [--format text|markdown]`` lists the resources added, removed and changed
between two renders, with the changed fields. Exit codes: 0 with or without changes; 2 a folder cannot be read.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pulumi_llmd.twin import TwinResult

app = typer.Typer(
    name="pulumi-llmd",
    help="Offline render of pulumi-llm-d stacks under the Pulumi mock engine.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_SCHEMA = 1
EXIT_CONFIG = 2
EXIT_PROGRAM = 3
EXIT_POLICY = 4
#: The first-deploy twin found what the first ``pulumi up`` would fail on.
EXIT_TWIN = 5
#: ``check``: a mandatory policy is violated.
EXIT_CHECK_VIOLATION = 1


@app.callback()
def _root() -> None:
    """pulumi-llm-d offline tools."""


@app.command()
def render(
    stack: Annotated[str, typer.Argument(help="Stack name (stacks/Pulumi.<stack>.yaml) or path of a stack file.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for resources.json and manifests.yaml.")
    ] = None,
    project_dir: Annotated[
        Path | None, typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: nearest above cwd).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    kar_version: Annotated[
        str, typer.Option("--kar-version", help="AI-conformance checklist version the policy check applies.")
    ] = "1.35",
    no_twin: Annotated[bool, typer.Option("--no-twin", help="Skip the first-deploy twin.")] = False,
) -> None:
    """Render STACK offline, validate every Kubernetes object, run the policy packs and the first-deploy twin, write
    files, print a summary."""
    import pulumi

    from pulumi_llmd.render.render import StackFileError, render_stack

    started = time.perf_counter()
    # A one-shot process: collect garbage rarely (the SDKs' imports leave ~1M long-lived objects to walk).
    gc.set_threshold(100_000, 50, 100)
    try:
        result = render_stack(stack, project_dir=project_dir, kar_version=_kar_version(kar_version), twin=not no_twin)
    except StackFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    except pulumi.RunError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    except Exception as exc:
        typer.echo(f"error: the program failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_PROGRAM) from None
    elapsed = time.perf_counter() - started
    out = out or Path("out") / result.stack
    result.write(out)
    if not quiet:
        typer.echo(result.summary())
        typer.echo(f"wrote {out / 'resources.json'} and {out / 'manifests.yaml'} in {elapsed:.2f} s")
    else:
        if not result.ok:
            typer.echo("\n".join(f"FAIL {issue}" for issue in result.schema_issues), err=True)
        if result.policy is not None and result.policy.mandatory:
            typer.echo("\n".join(f"  {finding}" for finding in result.policy.mandatory), err=True)
        if result.twin is not None and not result.twin.ok:
            typer.echo("\n".join(f"  {finding.line()}" for finding in result.twin.findings), err=True)
    if not result.ok:
        raise typer.Exit(EXIT_SCHEMA)
    if not result.policy_ok:
        raise typer.Exit(EXIT_POLICY)
    if not result.twin_ok:
        raise typer.Exit(EXIT_TWIN)


def _kar_version(value: str) -> str:
    from pulumi_llmd.policies.requirements import normalize_version

    try:
        return normalize_version(value)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None


@app.command("check")
def check_command(
    render_dir: Annotated[Path, typer.Argument(help="A render folder (holds resources.json) or a resources.json.")],
    kar_version: Annotated[
        str, typer.Option("--kar-version", help="AI-conformance checklist version: 1.33, 1.34, 1.35 or 1.36.")
    ] = "1.35",
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the pre-filled CNCF AI-conformance checklist (YAML) here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text.")] = False,
    no_twin: Annotated[bool, typer.Option("--no-twin", help="Skip the first-deploy twin.")] = False,
) -> None:
    """Run the AI-conformance and llm-d-practices policy packs over a render; optionally write the checklist.

    Prints each violated policy with its checklist id (e.g. ``accelerator_metrics (KAR-0059)``) and the resource.

    Exit 0 when no mandatory policy is violated, 1 when one is, 2 when the render cannot be read.
    """
    from pulumi_llmd.policies.check import CheckInputError, load_render, run_checks
    from pulumi_llmd.policies.report import checklist_report_yaml

    version = _kar_version(kar_version)
    try:
        resources = load_render(render_dir)
    except CheckInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    result = run_checks(resources, version)
    twin = None if no_twin else _twin_of(render_dir)
    if as_json:
        payload = result.to_json()
        if twin is not None:
            payload["twin"] = twin.to_json()
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        typer.echo("\n".join(result.lines()))
        if twin is not None:
            typer.echo("\n".join(twin.lines()))
    if report is not None:
        folder = render_dir if render_dir.is_dir() else render_dir.parent
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(
            checklist_report_yaml(result, source=str(folder), platform_name=f"pulumi-llm-d ({folder.name})")
        )
        if not as_json:
            typer.echo(f"wrote the AI-conformance v{version} checklist to {report}")
    if not result.ok:
        raise typer.Exit(EXIT_CHECK_VIOLATION)
    if twin is not None and not twin.ok:
        raise typer.Exit(EXIT_TWIN)


def _twin_of(render_dir: Path) -> TwinResult:
    """The first-deploy twin over a render folder's (or file's) ``resources.json``; exit 2 when unreadable."""
    from pulumi_llmd.twin import run_twin

    path = render_dir / "resources.json" if render_dir.is_dir() else render_dir
    try:
        entries = json.loads(path.read_text())
        return run_twin(entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        typer.echo(f"error: {path}: cannot replay the render: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None


class DiffFormat(StrEnum):
    """Output formats of ``pulumi-llmd diff``."""

    TEXT = "text"
    MARKDOWN = "markdown"


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The old render folder (resources.json, manifests.yaml).")],
    new: Annotated[Path, typer.Argument(help="The new render folder.")],
    output_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="text for a terminal, markdown for a pull-request comment.")
    ] = DiffFormat.TEXT,
    title: Annotated[
        str | None, typer.Option("--title", help="Heading of the markdown output (e.g. the stack).")
    ] = None,
) -> None:
    """Show what changed between two renders: resources added, removed and changed, with the changed fields.

    Kubernetes objects are matched by apiVersion/kind/namespace/name, other resources by type and name.

    Secrets stay redacted.

    Exit 0 whether or not anything changed (a diff is informational; it says "no changes" when nothing did).

    Exit 2 when a folder cannot be read.
    """
    from pulumi_llmd.render.diff import RenderFolderError, diff_renders, format_markdown, format_text

    try:
        result = diff_renders(old, new)
    except RenderFolderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    if output_format is DiffFormat.MARKDOWN:
        typer.echo(format_markdown(result, title=title), nl=False)
    else:
        typer.echo(format_text(result), nl=False)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
