"""``render.json``: what a render folder was made from and what it holds, so ``check`` can refuse a stale or broken one.

Every render writes ``OUT/render.json`` last, after ``resources.json`` and ``manifests.yaml``::

    {
      "complete": true,
      "format": 1,
      "insecureChoices": [{"key": "llmd:gateway.authentication", "value": "none", "why": "..."}],
      "library": {"name": "pulumi-llm-d", "version": "0.1.0", "llmdRouterVersion": "v0.10.0"},
      "llmdRelease": "v0.10.0",
      "outputs": {"manifests.yaml": {"bytes": 1234, "sha256": "..."}, "resources.json": {...}},
      "project": "llmd",
      "results": {"karVersion": "1.37", "kubernetesObjects": 40, "mandatoryViolations": 0, "resources": 71,
                  "schemaIssues": 0, "twinFailures": 0},
      "stack": "gke-h100-optimized-baseline",
      "stackFile": {"path": "stacks/Pulumi.gke-h100-optimized-baseline.yaml", "sha256": "..."}
    }

``llmdRelease`` is the llm-d release the render pinned every image and chart to (the stack's ``llmd:release``, or
``pulumi-llmd render --release``), ``library.llmdRouterVersion`` that release's router version.

Deterministic like the rest of a render: no timestamps, no temporary or absolute paths (``stackFile.path`` is relative
to the project folder; only a stack file outside the project is recorded by its absolute path), sorted keys.
``insecureChoices`` lists the stack file's explicit insecure choices (:func:`pulumi_llmd.blueprints.posture.
insecure_choices`) so a pull request that opens a stack up shows it; ``null`` when the program did not expose its
validated config.

:func:`verify_render` is what ``pulumi-llmd check`` runs first: it raises :class:`RenderIncompleteError` for a folder
without ``render.json``, with ``complete`` not true, or whose files are missing or differ from the recorded sha256
(truncated, edited, or mixed from two renders), and :class:`RenderMismatchError` when the render was made from
another stack, from a stack file that has changed since, or by another library version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

#: The metadata file of a render folder.
METADATA_FILE = "render.json"
#: Version of the ``render.json`` layout.
FORMAT = 1
#: The distribution name of this library.
DISTRIBUTION = "pulumi-llm-d"


def library_version() -> str:
    """The installed version of ``pulumi-llm-d`` (:mod:`importlib.metadata`), or the package's ``__version__`` when
    it runs from a source tree that is not installed."""
    try:
        return importlib_metadata.version(DISTRIBUTION)
    except importlib_metadata.PackageNotFoundError:
        from pulumi_llmd import __version__

        return __version__


def router_version() -> str:
    """The llm-d router release of the active llm-d release (``components/versions.py`` ``active_release``)."""
    from pulumi_llmd.components.versions import active_release

    return active_release().router_version


def llmd_release() -> str:
    """The name of the active llm-d release (``v0.10.0`` unless a ``use_release`` block selects another)."""
    from pulumi_llmd.components.versions import active_release

    return active_release().name


def releases_line() -> str:
    """What ``pulumi-llmd --version`` prints after the library version: the default llm-d release and its router,
    and the other releases a stack can select with ``llmd:release``."""
    from pulumi_llmd.components.versions import DEFAULT_RELEASE, RELEASES

    others = [name for name in RELEASES if name != DEFAULT_RELEASE.name]
    also = f"; llmd:release also: {', '.join(others)}" if others else ""
    return f"llm-d {DEFAULT_RELEASE.name} default, llm-d router {DEFAULT_RELEASE.router_version}{also}"


def sha256_hex(data: bytes | str) -> str:
    """Hex sha256 of ``data`` (text is encoded as UTF-8)."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


class RenderIncompleteError(ValueError):
    """A render folder that is not a complete render: no or unreadable ``render.json``, not marked complete, or a
    file missing, truncated or from another render."""


class RenderMismatchError(ValueError):
    """A complete render that does not belong to the stack it is checked against: another stack, a stack file
    changed since the render, or a render by another library version."""


@dataclass(frozen=True)
class RenderMetadata:
    """The content of ``render.json`` (see the module docstring); sizes in bytes, hashes hex sha256."""

    stack: str
    project: str = ""
    stack_file: str = ""
    stack_sha256: str = ""
    library_version: str = field(default_factory=library_version)
    router_version: str = field(default_factory=router_version)
    #: The llm-d release the render pinned its images and charts to (``llmd:release``).
    release: str = field(default_factory=llmd_release)
    #: File name -> ``{"sha256": hex, "bytes": size}``.
    outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Counts of what the render found (``schemaIssues``, ``mandatoryViolations``, ``twinFailures`` ...).
    results: Mapping[str, Any] = field(default_factory=dict)
    #: ``[{"key", "value", "why"}]``; None when unknown.
    insecure_choices: Sequence[Mapping[str, str]] | None = None
    complete: bool = True

    def to_json(self) -> str:
        """The ``render.json`` text: sorted keys, 2-space indent, trailing newline."""
        document = {
            "complete": self.complete,
            "format": FORMAT,
            "insecureChoices": None if self.insecure_choices is None else [dict(c) for c in self.insecure_choices],
            "library": {
                "name": DISTRIBUTION,
                "version": self.library_version,
                "llmdRouterVersion": self.router_version,
            },
            "llmdRelease": self.release,
            "outputs": {name: dict(info) for name, info in self.outputs.items()},
            "project": self.project,
            "results": dict(self.results),
            "stack": self.stack,
            "stackFile": {"path": self.stack_file, "sha256": self.stack_sha256},
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: Path) -> RenderMetadata:
        """Parse ``render.json`` text; :class:`RenderIncompleteError` (naming ``source``) when it is malformed."""
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict):
                raise TypeError("not a JSON object")
            library, stack_file, outputs = doc["library"], doc["stackFile"], doc["outputs"]
            insecure = doc.get("insecureChoices")
            return cls(
                stack=str(doc["stack"]),
                project=str(doc.get("project", "")),
                stack_file=str(stack_file["path"]),
                stack_sha256=str(stack_file["sha256"]),
                library_version=str(library["version"]),
                router_version=str(library.get("llmdRouterVersion", "")),
                release=str(doc.get("llmdRelease", "")),
                outputs={str(k): dict(v) for k, v in outputs.items()},
                results=dict(doc.get("results") or {}),
                insecure_choices=None if insecure is None else [dict(c) for c in insecure],
                complete=doc.get("complete") is True,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RenderIncompleteError(
                f"{source}: not a readable render.json ({type(exc).__name__}: {exc}); render the stack again"
            ) from None

    @classmethod
    def read(cls, folder: Path) -> RenderMetadata:
        """``folder/render.json``; :class:`RenderIncompleteError` when it is missing or malformed."""
        path = folder / METADATA_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RenderIncompleteError(
                f"{folder}: no {METADATA_FILE}, so not a complete render (interrupted, copied in part, or made by an "
                "older pulumi-llmd): render the stack again, or pass --no-verify for a resources.json made by hand"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RenderIncompleteError(f"{path}: cannot read: {exc}") from None
        return cls.from_json(text, source=path)


def output_info(text: str) -> dict[str, Any]:
    """``{"sha256": hex, "bytes": size}`` of a file's text as written (UTF-8)."""
    data = text.encode("utf-8")
    return {"bytes": len(data), "sha256": sha256_hex(data)}


def verify_outputs(folder: Path, meta: RenderMetadata) -> None:
    """Raise :class:`RenderIncompleteError` unless ``meta`` is marked complete and every recorded output exists in
    ``folder`` with the recorded size and sha256."""
    if not meta.complete:
        raise RenderIncompleteError(f"{folder / METADATA_FILE}: the render is not marked complete; render it again")
    if "resources.json" not in meta.outputs:
        raise RenderIncompleteError(f"{folder / METADATA_FILE}: records no resources.json; render the stack again")
    for name, info in sorted(meta.outputs.items()):
        path = folder / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise RenderIncompleteError(f"{path}: missing (the render is incomplete); render the stack again") from None
        except OSError as exc:
            raise RenderIncompleteError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if len(data) != info.get("bytes") or sha256_hex(data) != info.get("sha256"):
            raise RenderIncompleteError(
                f"{path}: differs from what the render wrote ({len(data)} bytes, {METADATA_FILE} records "
                f"{info.get('bytes')}): truncated, edited, or from another render; render the stack again "
                "(or pass --no-verify to check an edited render)"
            )


def verify_stack(meta: RenderMetadata, stack_file: Path, *, stack: str | None = None) -> None:
    """Raise :class:`RenderMismatchError` when the render in ``meta`` was not made from ``stack_file`` as it is now
    (another stack name than ``stack``, other content) or by another version of this library."""
    if stack is not None and stack != meta.stack:
        raise RenderMismatchError(f"the render is of stack '{meta.stack}', not '{stack}'; render '{stack}' first")
    try:
        current = sha256_hex(stack_file.read_bytes())
    except OSError as exc:
        raise RenderMismatchError(
            f"{stack_file}: cannot read the stack file the render was made from: {exc.strerror or exc}"
        ) from None
    if current != meta.stack_sha256:
        raise RenderMismatchError(
            f"the render of stack '{meta.stack}' is stale: {stack_file} has changed since it was rendered; "
            f"render it again (pulumi-llmd render {meta.stack} --out DIR)"
        )
    if meta.library_version != library_version():
        raise RenderMismatchError(
            f"the render of stack '{meta.stack}' was made by pulumi-llm-d {meta.library_version}, this is "
            f"{library_version()}: render it again"
        )


def relative_stack_path(stack_file: Path, project_root: Path) -> str:
    """``stack_file`` as recorded in ``render.json``: relative to ``project_root`` (POSIX separators) when inside
    it, else absolute."""
    resolved = stack_file.resolve()
    try:
        return resolved.relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
