"""Atomic output: a render folder replaced as a whole, a report file replaced in one step, clean errors on failure.

A render is written into a fresh temporary folder beside ``--out`` (same parent, so the same filesystem) and then
renamed into place with :func:`os.rename`, which POSIX makes atomic within one filesystem (``rename(2)``: "If newpath
already exists, it will be atomically replaced"; a non-empty folder in the way is first renamed aside, and the old
render removed after the new one is in place). So:

* an interrupted render (Ctrl-C, SIGTERM, SIGKILL, a full disk) leaves the previous render untouched, never a new
  ``resources.json`` beside an old ``manifests.yaml``. Ctrl-C removes the temporary folder
  (``.<out>.render-<pid>-<random>``); after a kill it is removed by the next render into the same place once its
  process is gone. A kill in the instant between the two renames of a replacement leaves no ``--out`` at all (the
  previous render waits in ``.<out>.old-<pid>-<random>``), never a mixed one;
* concurrent renders into one folder never mix: each renames a complete folder into place, and the last complete one
  wins (no lock: a render never waits for another).

Where a folder cannot be renamed - ``--out`` is a mount point (a container volume), or its parent is not writable
while ``--out`` itself is - the render is written *in place* instead: into a temporary folder inside ``--out``, then
``render.json`` is removed, each file moved into place with :func:`os.replace` (atomic per file) and ``render.json``
(which records every file's sha256) written last, under an exclusive :func:`fcntl.flock` lock on
``--out/.render.lock`` so concurrent renders take turns. An interruption there can leave files of two renders side
by side, but never with a ``render.json`` that vouches for them, and ``pulumi-llmd check`` refuses such a folder.

Files that are not part of a render (e.g. the AI-conformance report ``pulumi-llmd check --report`` writes into the
render folder) are copied over into the new render folder. A folder that holds files but no render (e.g. ``--out .``)
is never replaced: :class:`OutputPathError`.

Every failure to write (a read-only folder, a file in the way, no permission, a full disk) raises
:class:`OutputPathError` naming the path and the reason, which the CLI prints as one line with its own exit code.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: The files a render writes; a folder holding one of them (or only hidden files) may be replaced by a new render.
RENDER_FILES = ("resources.json", "manifests.yaml", "render.json")


class OutputPathError(Exception):
    """An output path that cannot be written: ``path`` and the ``reason`` (e.g. ``Permission denied``)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_prefix(out: Path) -> str:
    return f".{out.name}.render-"


def _old_prefix(out: Path) -> str:
    return f".{out.name}.old-"


#: Prefix of the temporary folder inside ``out`` of an in-place render.
_INSIDE_PREFIX = ".render-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temporaries(folder: Path, prefixes: tuple[str, ...]) -> None:
    """Remove the temporary folders in ``folder`` (named ``<prefix><pid>-<random>``) whose process is gone."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            prefix = next((p for p in prefixes if entry.name.startswith(p)), None)
            if prefix is None:
                continue
            pid = entry.name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def _check_replaceable(out: Path) -> None:
    """Raise :class:`OutputPathError` unless ``out`` is absent, empty, or a render folder."""
    # One stat per question: a concurrent render may move the folder aside between two checks (absent is fine).
    try:
        link = os.lstat(out)
        mode = os.stat(out).st_mode
    except FileNotFoundError:
        if out.is_symlink():
            raise OutputPathError(out, "is a symbolic link to something that is not a folder") from None
        return
    except OSError as exc:
        raise OutputPathError(out, _reason(exc)) from None
    if not stat.S_ISDIR(mode):
        if stat.S_ISLNK(link.st_mode):
            raise OutputPathError(out, "is a symbolic link to something that is not a folder")
        raise OutputPathError(out, "is a file, not a folder (remove it or choose another --out)")
    try:
        names = {p.name for p in out.iterdir()}
    except FileNotFoundError:
        return  # gone meanwhile (a concurrent render moved it aside)
    except OSError as exc:
        raise OutputPathError(out, _reason(exc)) from None
    visible = {n for n in names if not n.startswith(".")}
    if visible and not visible & set(RENDER_FILES):
        shown = ", ".join(sorted(visible)[:3]) + (", ..." if len(visible) > 3 else "")
        raise OutputPathError(
            out, f"the folder holds files that are not a render ({shown}); choose an empty or new folder for --out"
        )


class PendingRender:
    """A render being written: a temporary folder beside ``out``, renamed into place by :meth:`commit`.

    Create it with :func:`begin_render` before the (long) render runs, so an unwritable ``--out`` fails fast; use it
    as a context manager: leaving the block without :meth:`commit` (an error, Ctrl-C) removes the temporary folder.
    """

    def __init__(self, out: Path, tmp: Path, *, in_place: bool = False) -> None:
        self.out = out
        self.tmp = tmp
        #: True when the files are moved into ``out`` one by one (``out`` cannot be renamed; see the module doc).
        self.in_place = in_place
        self.committed = False

    def __enter__(self) -> PendingRender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove the temporary folder (nothing happens after a commit)."""
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def commit(self, files: Mapping[str, str]) -> None:
        """Write ``files`` (name -> text, in order; write the completeness marker last) into the temporary folder,
        flush them to disk, carry over the old folder's other files, and rename the folder into place.

        Raises :class:`OutputPathError` when a file cannot be written or the folder cannot be renamed.
        """
        for name, text in files.items():
            path = self.tmp / name
            try:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputPathError(path, _reason(exc)) from None
        if self.in_place:
            self._move_in(list(files))
        else:
            self._carry_over(set(files))
            self._swap()
        self.committed = True

    def _move_in(self, names: list[str]) -> None:
        """In-place commit: under the folder's lock, drop the marker, move every file in, the marker last."""
        marker = names[-1]
        try:
            with (self.out / ".render.lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                (self.out / marker).unlink(missing_ok=True)
                for name in names:
                    os.replace(self.tmp / name, self.out / name)
            self.tmp.rmdir()
        except OSError as exc:
            raise OutputPathError(self.out, _reason(exc)) from None

    def _carry_over(self, written: set[str]) -> None:
        if not self.out.is_dir():
            return
        try:
            for entry in self.out.iterdir():
                if entry.name in written or entry.name in RENDER_FILES or entry.name.startswith(_INSIDE_PREFIX):
                    continue  # render files, and the lock and leftovers of an in-place render
                try:
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.copytree(entry, self.tmp / entry.name, symlinks=True)
                    else:
                        shutil.copy2(entry, self.tmp / entry.name, follow_symlinks=False)
                except FileNotFoundError:
                    continue  # the folder was replaced meanwhile by a concurrent render
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputPathError(self.out, f"cannot keep its other files: {_reason(exc)}") from None

    def _swap(self) -> None:
        """Rename the temporary folder to ``out``; an existing ``out`` is renamed aside first and then removed."""
        aside: list[Path] = []
        try:
            for _ in range(20):  # a concurrent render may put its folder in place between our two renames
                try:
                    os.rename(self.tmp, self.out)
                    return
                except OSError as exc:
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
                        raise OutputPathError(self.out, _reason(exc)) from None
                    _check_replaceable(self.out)
                old = self.out.parent / f"{_old_prefix(self.out)}{os.getpid()}-{secrets.token_hex(4)}"
                try:
                    os.rename(self.out, old)
                    aside.append(old)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise OutputPathError(self.out, _reason(exc)) from None
            raise OutputPathError(self.out, "other renders keep replacing it; try again")
        finally:
            for old in aside:
                shutil.rmtree(old, ignore_errors=True)


def begin_render(out: Path) -> PendingRender:
    """Prepare an atomic write of a render into ``out``: check it and create the temporary folder beside it.

    Args:
        out: the render folder; created with its parents if needed. It may exist as an empty folder or a previous
            render (other files in it are kept), not as a file or a folder of other files.

    Raises :class:`OutputPathError` (path and reason) when ``out`` cannot be written.
    """
    if out.is_symlink() and out.is_dir():
        out = out.resolve()  # replace the folder the link points to, keep the link
    _check_replaceable(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputPathError(parent, "is a file, not a folder") from None
    except OSError as exc:
        raise OutputPathError(parent, _reason(exc)) from None
    _remove_stale_temporaries(parent, (_tmp_prefix(out), _old_prefix(out)))
    in_place = out.is_dir() and os.path.ismount(out)
    where = out if in_place else parent
    try:
        tmp = Path(
            tempfile.mkdtemp(prefix=f"{_INSIDE_PREFIX if in_place else _tmp_prefix(out)}{os.getpid()}-", dir=where)
        )
    except OSError as exc:
        if in_place or not out.is_dir() or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputPathError(out, f"cannot create a temporary folder in {where}: {_reason(exc)}") from None
        return begin_in_place(out)  # the parent is read-only, the folder itself may still be writable
    with contextlib.suppress(OSError):
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it 0700; a render folder is as readable as any other folder
    return PendingRender(out, tmp, in_place=in_place)


def begin_in_place(out: Path) -> PendingRender:
    """Prepare an in-place write of a render into the existing folder ``out`` (see the module docstring).

    Raises :class:`OutputPathError` when ``out`` is not a writable folder.
    """
    _check_replaceable(out)
    if not out.is_dir():
        raise OutputPathError(out, "is not a folder")
    _remove_stale_temporaries(out, (_INSIDE_PREFIX,))
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{_INSIDE_PREFIX}{os.getpid()}-", dir=out))
    except OSError as exc:
        raise OutputPathError(out, _reason(exc)) from None
    return PendingRender(out, tmp, in_place=True)


def write_file_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and :func:`os.replace` (readers see
    the old file or the new one, never a part). Creates missing parent folders.

    Raises :class:`OutputPathError` (path and reason) when the file cannot be written.
    """
    if path.is_dir():
        raise OutputPathError(path, "is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputPathError(path.parent, "is a file, not a folder") from None
    except OSError as exc:
        raise OutputPathError(path.parent, _reason(exc)) from None
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes it 0600
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputPathError(path, _reason(exc)) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
