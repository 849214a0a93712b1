"""``pulumi-llmd``: the offline tools of pulumi-llm-d.

``pulumi-llmd render STACK --out DIR`` runs the project's program for one stack under the Pulumi SDK's mock engine
(no CLI, cloud or cluster), validates every Kubernetes object against the Kubernetes 1.35 OpenAPI schema and the
carried upstream CRD schemas, writes ``DIR/resources.json``, ``DIR/manifests.yaml`` and ``DIR/render.json`` (what the
render was made from: stack, sha256 of the stack file, library version, files, results, explicit insecure choices)
atomically (a temporary folder beside ``DIR`` renamed into place) and prints a summary.

Exit codes (one table for every command):

==  ==========================================================================================================
0   done: rendered and valid / no mandatory violation / a diff printed
1   ``render``: an object failed its schema (files still written); ``check``: a mandatory policy is violated
2   the stack configuration is invalid or the stack file cannot be read (nothing written); ``check``/``diff``: the
    render cannot be read or is incomplete (no ``render.json``, a file missing, truncated or edited); an
    AI-conformance version that is not carried (1.33-1.37)
3   an unexpected error: the program failed for another reason, or a bug (one line; ``--debug`` shows the traceback)
4   ``render``: a mandatory policy is violated (schema-valid, files written)
5   the first-deploy twin found what the first ``pulumi up`` would fail on (files written; ``--no-twin`` skips it)
6   an output path cannot be written (``--out``, ``--report``): read-only, a file in the way, no permission,
    disk full; nothing is half-written
7   ``check``: the render does not match its stack: another stack, a stack file changed since, or another library
    version (render again; ``--no-verify`` skips the check)
130 interrupted (Ctrl-C); nothing is half-written
==  ==========================================================================================================

``pulumi-llmd check RENDER_DIR [--kar-version 1.37] [--report FILE] [--junit FILE] [--stack STACK]`` verifies the
render (complete, and made from the stack file as it is now), then runs the policy packs over its ``resources.json``
and can write the pre-filled CNCF AI-conformance checklist and the JUnit XML evidence the v1.37 checklist recommends.

The AI-conformance checklist version defaults to the newest carried, :data:`KAR_VERSION_DEFAULT` (kept equal to
``pulumi_llmd.policies.requirements.DEFAULT_VERSION`` by a test; a literal here so the CLI starts without importing
the policy rules).

``pulumi-llmd diff OLD_RENDER NEW_RENDER [--format text|markdown]`` lists the resources added, removed and changed
between two renders, with the changed fields, and the new render's explicit insecure choices.

Every text the commands print (summaries, diffs, reports, error messages) passes through
:func:`pulumi_llmd.redact.redact`, with the stack file's sensitive values and this process's sensitive environment
variables as known secrets: no secret or credential-shaped value is printed. ``--debug`` (before or after the
command) shows tracebacks, redacted too.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

from pulumi_llmd.redact import is_sensitive_name, redact

if TYPE_CHECKING:
    from pulumi_llmd.render.metadata import RenderMetadata
    from pulumi_llmd.twin import TwinResult

app = typer.Typer(
    name="pulumi-llmd",
    help="Offline render of pulumi-llm-d stacks under the Pulumi mock engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_SCHEMA = 1
EXIT_CONFIG = 2
#: The program failed for another reason than its configuration, or an unexpected error (a bug).
EXIT_PROGRAM = 3
EXIT_POLICY = 4
#: The first-deploy twin found what the first ``pulumi up`` would fail on.
EXIT_TWIN = 5
#: An output path (``render --out``, ``check --report``) cannot be written.
EXIT_OUTPUT = 6
#: ``check``: the render does not match its stack (another stack, a changed stack file, another library version).
EXIT_STALE = 7
#: ``check``: a mandatory policy is violated.
EXIT_CHECK_VIOLATION = 1
#: Interrupted (SIGINT), as shells report it (128 + 2).
EXIT_INTERRUPTED = 130

#: The AI-conformance checklist version ``render`` and ``check`` apply unless ``--kar-version`` says otherwise: the
#: newest carried (``pulumi_llmd.policies.requirements.DEFAULT_VERSION``; a test keeps the two equal).
KAR_VERSION_DEFAULT = "1.37"

#: Set ``PULUMI_LLMD_DEBUG=1`` for ``--debug`` without the option.
DEBUG_ENV = "PULUMI_LLMD_DEBUG"


class _State:
    """Process-wide CLI state: ``--debug`` and the known secret values to redact from everything printed."""

    debug: bool = False
    secrets: set[str] = set()  # one CLI run per process
    #: Set by Ctrl-C: an error raised while the interrupt unwinds (a half-done lazy import) is reported as such.
    interrupted: bool = False


def _on_sigint(signum: int, frame: object) -> None:
    """Ctrl-C: remember it, then interrupt as Python does by default."""
    _State.interrupted = True
    raise KeyboardInterrupt


def _environment_secrets() -> set[str]:
    """Values of this process's sensitive environment variables (``HF_TOKEN``, ``AWS_SECRET_ACCESS_KEY`` ...)."""
    from pulumi_llmd.render.render import known_secrets

    return set(known_secrets({}, os.environ))


def _safe(text: str) -> str:
    """``text`` redacted with every known secret and credential-shaped value (:func:`pulumi_llmd.redact.redact`)."""
    return redact(text, _State.secrets)


def _out(text: str, *, nl: bool = True) -> None:
    typer.echo(_safe(text), nl=nl)


def _err(text: str) -> None:
    typer.echo(_safe(text), err=True)


def _fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` (redacted) on stderr and exit with ``code``."""
    _err(f"error: {message}")
    raise typer.Exit(code)


def _redact_data(value: Any) -> Any:
    """JSON-like data with every string redacted; values under a sensitive key replaced."""
    if isinstance(value, dict):
        return {
            k: ("[redacted]" if isinstance(v, str) and v and is_sensitive_name(str(k)) else _redact_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_data(v) for v in value]
    if isinstance(value, str):
        return _safe(value)
    return value


P = ParamSpec("P")
R = TypeVar("R")


def _guarded(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a command so that no traceback reaches the user without ``--debug``: an unwritable output path exits 6,
    Ctrl-C exits 130, any other unexpected exception prints one redacted line (what failed, the exception, a hint to
    rerun with ``--debug``) and exits 3; with ``--debug`` the redacted traceback is printed first."""

    def wrap(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            from pulumi_llmd.render.output import OutputPathError

            if kwargs.pop("debug", False):
                _State.debug = True
            try:
                return command(*args, **kwargs)
            except (typer.Exit, typer.Abort, TyperException):
                raise
            except OutputPathError as exc:
                _fail(str(exc), EXIT_OUTPUT)
            except KeyboardInterrupt:
                _fail(f"{what}: interrupted; nothing was half-written", EXIT_INTERRUPTED)
            except Exception as exc:  # the last resort: one line, never a traceback without --debug
                if _State.interrupted:
                    _fail(f"{what}: interrupted; nothing was half-written", EXIT_INTERRUPTED)
                if _State.debug:
                    _err("".join(traceback.format_exception(exc)).rstrip())
                _fail(
                    f"{what} failed unexpectedly: {type(exc).__name__}: {exc}"
                    + ("" if _State.debug else " (rerun with --debug for the traceback)"),
                    EXIT_PROGRAM,
                )

        # the wrapped command takes --debug too, so it works after the command name as well as before it
        run.__signature__ = _with_debug_option(command)  # type: ignore[attr-defined]
        return run

    return wrap


def _with_debug_option(command: Callable[..., Any]) -> Any:
    import inspect

    signature = inspect.signature(command, eval_str=True)
    debug = inspect.Parameter(
        "debug",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--debug", help="Show tracebacks (redacted) of unexpected errors.")],
    )
    return signature.replace(parameters=[*signature.parameters.values(), debug])


def _version_callback(value: bool) -> None:
    if not value:
        return
    from pulumi_llmd.render.metadata import library_version, releases_line

    typer.echo(f"pulumi-llm-d {library_version()} ({releases_line()})")
    raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar=DEBUG_ENV, help="Show tracebacks (redacted) of unexpected errors."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_version_callback,
            help="Print the library version, the default llm-d release and its router version, and the other "
            "releases llmd:release can select.",
        ),
    ] = False,
) -> None:
    """pulumi-llm-d offline tools."""
    _State.debug = debug
    _State.secrets = _environment_secrets()
    _State.interrupted = False
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_sigint)


@app.command()
@_guarded("render")
def render(
    stack: Annotated[str, typer.Argument(help="Stack name (stacks/Pulumi.<stack>.yaml) or path of a stack file.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the render files (default out/STACK)."),
    ] = None,
    project_dir: Annotated[
        Path | None, typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: nearest above cwd).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    kar_version: Annotated[
        str, typer.Option("--kar-version", help="AI-conformance checklist version the policy check applies.")
    ] = KAR_VERSION_DEFAULT,
    no_twin: Annotated[bool, typer.Option("--no-twin", help="Skip the first-deploy twin.")] = False,
    release: Annotated[
        str | None,
        typer.Option(
            "--release",
            help="llm-d release to render with, overriding the stack's llmd:release (an upgrade preview: render "
            "under the old and the new release, then pulumi-llmd diff OLD NEW).",
        ),
    ] = None,
) -> None:
    """Render STACK offline, validate every Kubernetes object, run the policy packs and the first-deploy twin, write
    the files atomically, print a summary (with the stack's explicit insecure choices and its llm-d release)."""
    import pulumi

    from pulumi_llmd.render.output import PendingRender, begin_render
    from pulumi_llmd.render.render import render_stack
    from pulumi_llmd.stackfile import StackFileError

    started = time.perf_counter()
    # A one-shot process: collect garbage rarely (the SDKs' imports leave ~1M long-lived objects to walk).
    gc.set_threshold(100_000, 50, 100)
    version = _kar_version(kar_version)
    release_name = _release(release) if release is not None else None
    # An unwritable --out fails before the (long) render, with nothing written.
    pending: PendingRender | None = begin_render(out) if out is not None else None
    try:
        try:
            result = render_stack(
                stack,
                project_dir=project_dir,
                kar_version=version,
                twin=not no_twin,
                secrets=_State.secrets,
                release=release_name,
            )
        except StackFileError as exc:
            _fail(str(exc), EXIT_CONFIG)
        except pulumi.RunError as exc:
            _fail(str(exc), EXIT_CONFIG)
        except (typer.Exit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _State.interrupted:
                raise KeyboardInterrupt from exc
            if _State.debug:
                _err("".join(traceback.format_exception(exc)).rstrip())
            hint = "" if _State.debug else " (rerun with --debug for the traceback)"
            _fail(f"the program failed: {type(exc).__name__}: {exc}{hint}", EXIT_PROGRAM)
        elapsed = time.perf_counter() - started
        target = out if out is not None else Path("out") / result.stack
        if pending is None:
            pending = begin_render(target)
        pending.commit(result.files())
    finally:
        if pending is not None:
            pending.discard()
    if not quiet:
        _out(result.summary())
        _out(f"wrote {target / 'resources.json'} and {target / 'manifests.yaml'} (with render.json) in {elapsed:.2f} s")
    else:
        if not result.ok:
            _err("\n".join(f"FAIL {issue}" for issue in result.schema_issues))
        if result.policy is not None and result.policy.mandatory:
            _err("\n".join(f"  {finding}" for finding in result.policy.mandatory))
        if result.twin is not None and not result.twin.ok:
            _err("\n".join(f"  {finding.line()}" for finding in result.twin.findings))
        if result.insecure_choices:
            _err("\n".join(result.insecure_lines()))
    if not result.ok:
        raise typer.Exit(EXIT_SCHEMA)
    if not result.policy_ok:
        raise typer.Exit(EXIT_POLICY)
    if not result.twin_ok:
        raise typer.Exit(EXIT_TWIN)


def _release(value: str) -> str:
    """The llm-d release ``--release`` names; exit :data:`EXIT_CONFIG` naming the option, the value and the allowed
    releases when the library does not carry it."""
    from pulumi_llmd.components.versions import RELEASES, release_named

    try:
        return release_named(value).name
    except ValueError:
        _fail(
            f"--release = {value!r}: not an llm-d release the library carries; allowed: {', '.join(RELEASES)}",
            EXIT_CONFIG,
        )


def _kar_version(value: str) -> str:
    from pulumi_llmd.policies.requirements import normalize_version

    try:
        return normalize_version(value)
    except ValueError as exc:
        _fail(str(exc), EXIT_CONFIG)


@app.command("check")
@_guarded("check")
def check_command(
    render_dir: Annotated[Path, typer.Argument(help="A render folder (holds resources.json) or a resources.json.")],
    kar_version: Annotated[
        str,
        typer.Option("--kar-version", help="AI-conformance checklist version: 1.33, 1.34, 1.35, 1.36 or 1.37."),
    ] = KAR_VERSION_DEFAULT,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the pre-filled CNCF AI-conformance checklist (YAML) here.")
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Write the evidence as JUnit XML here (one testcase per requirement, e.g. "
            "TestSecureAcceleratorAccess); the --report checklist then links each as file://FILE#TestName.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text.")] = False,
    no_twin: Annotated[bool, typer.Option("--no-twin", help="Skip the first-deploy twin.")] = False,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            help="The stack the render must be of (name or stack file); default: the stack file render.json names.",
        ),
    ] = None,
    project_dir: Annotated[
        Path | None,
        typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: nearest above cwd, else the render's)."),
    ] = None,
    no_verify: Annotated[
        bool,
        typer.Option(
            "--no-verify",
            help="Check resources.json as it is: no render.json, completeness or stack-file check (hand-made renders).",
        ),
    ] = False,
) -> None:
    """Verify a render, run the AI-conformance and llm-d-practices policy packs over it; optionally write the
    checklist.

    The render must be complete (render.json, every file as written) and match its stack: the stack file must be
    unchanged since the render (exit 2 for an incomplete render, 7 for one that does not match).

    Prints each violated policy with its checklist id (e.g. ``accelerator_metrics (KAR-0059)``) and the resource.

    ``--junit FILE`` writes the evidence in the checklist's recommended automated form: JUnit XML, one testcase per
    requirement named ``Test<Requirement>`` (``TestSecureAcceleratorAccess``), a failure for each violated MUST,
    skipped for advisory (SHOULD) findings and for requirements the render cannot show (N/A); with ``--report`` every
    requirement's evidence starts with ``file://FILE#Test<Requirement>`` (FILE relative to the report's folder when
    it is inside it, e.g. ``file://results/junit.xml#TestSecureAcceleratorAccess``). Both files are written whatever
    the result.

    Exit 0 when no mandatory policy is violated, 1 when one is, 2 when the render cannot be read, 6 when the report
    or the JUnit file cannot be written.
    """
    from pulumi_llmd.policies.check import CheckInputError, load_render, run_checks
    from pulumi_llmd.policies.junit import evidence_ref, junit_xml
    from pulumi_llmd.policies.report import checklist_report_yaml
    from pulumi_llmd.render.output import write_file_atomically

    version = _kar_version(kar_version)
    folder = render_dir if render_dir.is_dir() else render_dir.parent
    meta = None
    if not no_verify and render_dir.exists():
        meta = _verified(folder, stack=stack, project_dir=project_dir)
    try:
        resources = load_render(render_dir)
    except CheckInputError as exc:
        _fail(str(exc), EXIT_CONFIG)
    result = run_checks(resources, version)
    twin = None if no_twin else _twin_of(render_dir)
    if as_json:
        payload = result.to_json()
        if twin is not None:
            payload["twin"] = twin.to_json()
        if meta is not None:
            payload["render"] = {
                "stack": meta.stack,
                "stackFile": meta.stack_file,
                "verified": True,
                "insecureChoices": meta.insecure_choices,
            }
        _out(json.dumps(_redact_data(payload), indent=2, sort_keys=True))
    else:
        if meta is not None:
            _out(f"render of stack {meta.stack}: complete, made from {meta.stack_file} as it is now")
            _out("\n".join(_insecure_lines(meta)))
        _out("\n".join(result.lines()))
        if twin is not None:
            _out("\n".join(twin.lines()))
    junit_ref = evidence_ref(junit, report) if junit is not None else None
    if junit is not None:  # before the checklist that links it
        write_file_atomically(junit, junit_xml(result, source=str(folder), clean=_safe))
        if not as_json:
            _out(f"wrote the JUnit evidence to {junit} (link: file://{junit_ref}#Test<Requirement>)")
    if report is not None:
        text = checklist_report_yaml(
            result, source=str(folder), platform_name=f"pulumi-llm-d ({folder.name})", junit_ref=junit_ref
        )
        write_file_atomically(report, _safe(text))
        if not as_json:
            _out(f"wrote the AI-conformance v{version} checklist to {report}")
    if not result.ok:
        raise typer.Exit(EXIT_CHECK_VIOLATION)
    if twin is not None and not twin.ok:
        raise typer.Exit(EXIT_TWIN)


def _insecure_lines(meta: RenderMetadata) -> list[str]:
    choices = meta.insecure_choices
    if choices is None:
        return ["insecure choices: not recorded"]
    if not choices:
        return ["insecure choices: none (the stack keeps every security default)"]
    return [
        f"Insecure choices (explicit in the stack file): {len(choices)}",
        *(f"  INSECURE {c.get('key')} = {c.get('value')}: {c.get('why')}" for c in choices),
    ]


def _verified(folder: Path, *, stack: str | None, project_dir: Path | None) -> RenderMetadata:
    """The render's metadata once the folder is verified complete (exit 2 otherwise) and made from its stack file
    as it is now (exit 7 otherwise)."""
    from pulumi_llmd.render.metadata import (
        RenderIncompleteError,
        RenderMetadata,
        RenderMismatchError,
        verify_outputs,
        verify_stack,
    )
    from pulumi_llmd.stackfile import StackFileError

    try:
        meta = RenderMetadata.read(folder)
        verify_outputs(folder, meta)
    except RenderIncompleteError as exc:
        _fail(str(exc), EXIT_CONFIG)
    try:
        stack_file, name = _stack_file_of(meta, folder, stack=stack, project_dir=project_dir)
        verify_stack(meta, stack_file, stack=name)
    except StackFileError as exc:
        _fail(str(exc), EXIT_CONFIG)
    except RenderMismatchError as exc:
        _fail(str(exc), EXIT_STALE)
    return meta


def _stack_file_of(
    meta: RenderMetadata, folder: Path, *, stack: str | None, project_dir: Path | None
) -> tuple[Path, str | None]:
    """The stack file to verify a render against and the stack name it must be of (None: any)."""
    from pulumi_llmd.render.metadata import RenderMismatchError
    from pulumi_llmd.render.render import Project
    from pulumi_llmd.stackfile import StackFileError

    if stack is not None:
        if project_dir is None and Path(stack).suffix in (".yaml", ".yml") and Path(stack).is_file():
            return Path(stack), Path(stack).stem.removeprefix("Pulumi.")
        name, path = Project.find(project_dir or Path.cwd()).stack_file(stack)
        return path, name
    recorded = Path(meta.stack_file)
    if not meta.stack_file:
        raise RenderMismatchError(f"{folder / 'render.json'}: records no stack file; pass --stack or --no-verify")
    if recorded.is_absolute():
        return recorded, None
    roots: list[Path] = []
    for start in (project_dir or Path.cwd(), folder):
        try:
            roots.append(Project.find(start).root)
        except StackFileError:
            continue
    for root in roots:
        if (root / recorded).is_file():
            return root / recorded, None
    where = ", ".join(str(r) for r in dict.fromkeys(roots)) or "no Pulumi.yaml above the cwd or the render"
    raise RenderMismatchError(
        f"cannot find {meta.stack_file}, the stack file of the render of '{meta.stack}' (looked in {where}): "
        "pass --stack FILE or --project-dir, or --no-verify to skip the check"
    )


def _twin_of(render_dir: Path) -> TwinResult:
    """The first-deploy twin over a render folder's (or file's) ``resources.json``; exit 2 when unreadable."""
    from pulumi_llmd.twin import run_twin

    path = render_dir / "resources.json" if render_dir.is_dir() else render_dir
    try:
        entries = json.loads(path.read_text())
        return run_twin(entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _fail(f"{path}: cannot replay the render: {exc}", EXIT_CONFIG)


class DiffFormat(StrEnum):
    """Output formats of ``pulumi-llmd diff``."""

    TEXT = "text"
    MARKDOWN = "markdown"


@app.command("diff")
@_guarded("diff")
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
    """Show what changed between two renders: resources added, removed and changed, with the changed fields, and
    the new render's explicit insecure choices (from its render.json).

    Kubernetes objects are matched by apiVersion/kind/namespace/name, other resources by type and name.

    Secrets and credential-shaped values (env values, --api-key=... arguments, Secret data) are shown as [redacted].

    Exit 0 whether or not anything changed (a diff is informational; it says "no changes" when nothing did).

    Exit 2 when a folder cannot be read.
    """
    from pulumi_llmd.render.diff import RenderFolderError, diff_renders, format_markdown, format_text

    try:
        result = diff_renders(old, new)
    except RenderFolderError as exc:
        _fail(str(exc), EXIT_CONFIG)
    if output_format is DiffFormat.MARKDOWN:
        _out(format_markdown(result, title=title), nl=False)
    else:
        _out(format_text(result), nl=False)


def _install_render_imports() -> None:
    """The offline tools' imports: provider SDK packages member by member, the SDKs' generated modules with postponed
    annotations and the project's modules from compiled code in the user cache (:mod:`pulumi_llmd.render.code_cache`;
    ``PULUMI_LLMD_CACHE_DIR=off`` disables the cache). A ``pulumi up`` program never runs this."""
    from pulumi_llmd.render.code_cache import CodeCache, default_cache_dir
    from pulumi_llmd.render.lazy_sdk import install_render_imports

    install_render_imports(CodeCache.open(default_cache_dir()))


def main() -> None:
    """Console-script entry point: exit codes as in the module docstring; no traceback without ``--debug``."""
    _install_render_imports()
    status: int | str | None = EXIT_PROGRAM
    try:
        app()  # standalone: exits itself, usage errors exit 2, Ctrl-C 130
    except SystemExit as exc:
        status = exc.code
    except Exception as exc:  # outside any command (option parsing, the callback): still one line
        if _State.debug or os.environ.get(DEBUG_ENV):
            typer.echo(_safe("".join(traceback.format_exception(exc)).rstrip()), err=True)
        typer.echo(_safe(f"error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"), err=True)
    _hard_exit(status)


def _hard_exit(status: int | str | None) -> NoReturn:
    """End the process with ``status`` as ``sys.exit`` would (None: 0, a text: printed, 1), without the interpreter's
    teardown: a render leaves about a million objects (the SDKs' modules) whose one-by-one release takes 0.3-0.6 s
    and serves nothing in a one-shot process. Everything the commands write is closed and renamed into place before
    they return; the standard streams are flushed here. mypy ends its command line the same way
    (python/mypy ``mypy/util.py``, ``hard_exit``: "faster than a normal exit() since objects are not freed")."""
    if isinstance(status, str):
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(status + "\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (``| head``): nothing more to say
            stream.flush()
    os._exit(status or 0)
