"""``pulumi-llmd``: the offline tools of pulumi-llm-d.

``pulumi-llmd render STACK --out DIR`` runs the project's program for one stack under the Pulumi SDK's mock engine
(no CLI, cloud or cluster), validates every Kubernetes object against the Kubernetes 1.35 OpenAPI schema and the
carried upstream CRD schemas, writes ``DIR/resources.json`` and ``DIR/manifests.yaml`` and prints a summary.

Exit codes: 0 rendered and valid; 1 an object failed its schema (files are still written, to inspect);
2 the stack configuration is invalid or the stack file cannot be read (nothing is written);
3 the program failed for another reason.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="pulumi-llmd",
    help="Offline render of pulumi-llm-d stacks under the Pulumi mock engine.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_SCHEMA = 1
EXIT_CONFIG = 2
EXIT_PROGRAM = 3


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
) -> None:
    """Render STACK offline, validate every Kubernetes object, write the files and print a summary."""
    import pulumi

    from pulumi_llmd.render.render import StackFileError, render_stack

    started = time.perf_counter()
    try:
        result = render_stack(stack, project_dir=project_dir)
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
    elif not result.ok:
        typer.echo("\n".join(f"FAIL {issue}" for issue in result.schema_issues), err=True)
    if not result.ok:
        raise typer.Exit(EXIT_SCHEMA)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
