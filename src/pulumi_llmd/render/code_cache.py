"""Compiled code for the offline render's imports, kept in a user cache folder.

Two costs of a cold ``pulumi-llmd render`` process are paid on every run although their result never changes between
runs: compiling the project's own modules (``PYTHONDONTWRITEBYTECODE=1`` keeps Python from writing ``__pycache__``;
about 85 modules, 0.2 s) and evaluating the type annotations of the provider SDKs' generated modules (every
``pulumi.Input[Optional[...]]`` of thousands of input/output types and TypedDicts is built as a ``typing`` object
when the class is created, ~0.5 s for a GKE render, although nothing reads them but ``typing.get_type_hints`` in
pulumi's ``_types``, for the few types a program uses).

:class:`CodeCache` keeps code objects (``marshal``) in ``$XDG_CACHE_HOME/pulumi-llmd/code/<python tag>/`` (default
``~/.cache``; ``PULUMI_LLMD_CACHE_DIR`` overrides the folder, ``PULUMI_LLMD_CACHE_DIR=off`` disables the cache), one
file per source file, valid for the source's size and modification time, the Python version and this module's
format; a stale, foreign or corrupt entry is ignored and rewritten. Entries are written to a temporary file and
renamed into place (``os.replace``), so concurrent renders never read half an entry.

:func:`postponed_annotations_code` compiles a generated SDK module with its annotations postponed, as ``from
__future__ import annotations`` would (PEP 563): function, property and input/output-type annotations stay strings,
which pulumi resolves with ``typing.get_type_hints`` against the module's globals where it needs the types
(pulumi/pulumi ``sdk/python/lib/pulumi/_types.py``: ``_properties_from_annotations`` keeps the annotation as is,
``_raw_return_hints`` / ``_types_from_annotations`` resolve it; the generated code already relies on this for its
quoted forward references such as ``'outputs.NetworkParams'``). A ``TypedDict`` checks its annotations when it is
created, and ``typing`` compiles every string annotation into a ``typing.ForwardRef`` then (as costly as evaluating
it); so the module's ``from typing import ... TypedDict`` line is followed by a rebinding of ``TypedDict`` to a
factory (for the module's run only) that builds the very class ``typing`` builds, each annotation a ForwardRef that
compiles its expression when first resolved, ``NotRequired[...]`` kept outside so ``__required_keys__`` and
``__optional_keys__`` are those of a normal import. ``typing.get_type_hints`` and pulumi's type resolution give the
same types either way; the members, class dictionaries and module globals are the same
(tests/test_render_code_cache.py). Building an entry costs what compiling the module costs (a first render takes
~1.5 s longer); loading it, a third of a normal import of the module.

Only the offline render (:mod:`pulumi_llmd.cli`) uses the cache; a Pulumi program run by ``pulumi up`` imports as
usual.
"""

from __future__ import annotations
import __future__

import contextlib
import hashlib
import importlib.machinery
import marshal
import os
import sys
import tempfile
import typing
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any, TypeVar

__all__ = [
    "CACHE_ENV",
    "CodeCache",
    "activate",
    "active_cache",
    "default_cache_dir",
    "plain_code",
    "postponed_annotations_code",
]

T = TypeVar("T")

#: Environment variable naming the cache folder; ``off`` (or empty) disables the cache.
CACHE_ENV = "PULUMI_LLMD_CACHE_DIR"
#: Bumped whenever the entries' format or the transformation changes.
_FORMAT = b"pulumi-llmd code cache 1\n"


def default_cache_dir(environ: typing.Mapping[str, str] | None = None) -> Path | None:
    """The cache folder: ``$PULUMI_LLMD_CACHE_DIR``, else ``$XDG_CACHE_HOME/pulumi-llmd/code``, else
    ``~/.cache/pulumi-llmd/code``, each with the interpreter's cache tag (``cpython-311``) appended; None when
    ``PULUMI_LLMD_CACHE_DIR`` is ``off`` or empty (XDG Base Directory Specification: a relative ``XDG_CACHE_HOME``
    is ignored)."""
    env = os.environ if environ is None else environ
    tag = sys.implementation.cache_tag or "python"
    if CACHE_ENV in env:
        value = env[CACHE_ENV]
        return None if value.strip().lower() in ("", "off") else Path(value) / tag
    xdg = env.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "pulumi-llmd" / "code" / tag


class CodeCache:
    """Code objects of source files, compiled once by a ``build`` function and kept in ``root``.

    An entry is valid for one source path, its size and modification time (nanoseconds), the interpreter
    (``sys.version``) and the ``kind`` of compilation; anything else (a changed source, another Python, a truncated
    or foreign file) is ignored, rebuilt and written again. Writes go to a temporary file in ``root`` renamed into
    place, so a reader sees a whole entry or none; an unwritable folder only means no caching.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, root: Path | None) -> CodeCache | None:
        """The cache in ``root`` (created if missing), or None when ``root`` is None or cannot be written."""
        if root is None:
            return None
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return cls(root) if os.access(root, os.W_OK | os.X_OK) else None

    def entry_path(self, kind: str, source_path: str) -> Path:
        """The entry file of ``source_path`` compiled as ``kind``."""
        digest = hashlib.sha256(f"{kind}\0{os.path.abspath(source_path)}".encode()).hexdigest()[:40]
        return self.root / f"{digest}.code"

    @staticmethod
    def _header(kind: str, source_path: str, stat: os.stat_result) -> bytes:
        key = f"{kind}\0{os.path.abspath(source_path)}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sys.version}\n"
        return _FORMAT + key.encode("utf-8", "surrogateescape")

    def get(self, kind: str, source_path: str, build: Callable[[bytes, str], CodeType]) -> CodeType:
        """The code of ``source_path`` as ``build(source bytes, path)`` compiles it: from the cache when a valid entry
        exists, else built and stored. Raises what reading the source or ``build`` raises (OSError, SyntaxError)."""
        return self.load(kind, source_path, build, CodeType)

    def load(self, kind: str, source_path: str, build: Callable[[bytes, str], T], expect: type[T]) -> T:
        """``build(source bytes, path)`` of ``source_path`` (any value ``marshal`` can store, an instance of
        ``expect``): from the cache when a valid entry exists, else built and stored. Raises what reading the source
        or ``build`` raises."""
        stat = os.stat(source_path)
        header = self._header(kind, source_path, stat)
        entry = self.entry_path(kind, source_path)
        try:
            data = entry.read_bytes()
        except OSError:
            data = b""
        if data.startswith(header):
            try:
                value = marshal.loads(data[len(header) :])
            except (EOFError, ValueError, TypeError):
                pass  # a corrupt entry: rebuilt and written again
            else:
                if isinstance(value, expect):
                    return value
        with open(source_path, "rb") as handle:
            source = handle.read()
        value = build(source, source_path)
        if os.stat(source_path).st_mtime_ns == stat.st_mtime_ns:  # not edited while it was built
            with contextlib.suppress(ValueError):  # a value marshal cannot store: not cached
                self._write(entry, header + marshal.dumps(value))  # type: ignore[arg-type]
        return value

    def _write(self, entry: Path, data: bytes) -> None:
        try:
            fd, temp = tempfile.mkstemp(dir=self.root, prefix=entry.name + ".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)


_ACTIVE: list[CodeCache] = []


def activate(cache: CodeCache) -> None:
    """Make ``cache`` the offline render process's cache (:func:`active_cache`); the first one stays."""
    if not _ACTIVE:
        _ACTIVE.append(cache)


def active_cache() -> CodeCache | None:
    """The cache the offline render's process uses (:func:`pulumi_llmd.render.lazy_sdk.install_render_imports`),
    None anywhere else (a ``pulumi up`` program, the tests, a library user)."""
    return _ACTIVE[0] if _ACTIVE else None


def plain_code(source: bytes, path: str) -> CodeType:
    """``source`` compiled as the import system compiles a module (``SourceLoader.source_to_code``)."""
    return compile(source, path, "exec", dont_inherit=True)


# --- postponed annotations for generated SDK modules ----------------------------------------------------------------


class _LazyForwardRef(typing.ForwardRef, _root=True):  # type: ignore[call-arg,misc]
    """A ``typing.ForwardRef`` that compiles its expression when first resolved, not when created.

    Equal to (and hashed as) the ForwardRef that ``typing`` makes of the same string; ``typing._eval_type`` and
    ``typing.get_type_hints`` resolve it the same way (they read ``__forward_code__``, compiled here on demand)."""

    __slots__ = ()

    def __init__(self, arg: str, is_argument: bool = True, module: Any = None, *, is_class: bool = False) -> None:
        # typing.ForwardRef.__init__ without its compile(); the slots are typing's own.
        slots = typing.ForwardRef.__dict__
        slots["__forward_arg__"].__set__(self, arg)
        slots["__forward_evaluated__"].__set__(self, False)
        slots["__forward_value__"].__set__(self, None)
        slots["__forward_is_argument__"].__set__(self, is_argument)
        slots["__forward_is_class__"].__set__(self, is_class)
        slots["__forward_module__"].__set__(self, module)

    @property
    def __forward_code__(self) -> CodeType:  # type: ignore[override]  # the slot typing reads
        slot = typing.ForwardRef.__dict__["__forward_code__"]
        try:
            code: CodeType = slot.__get__(self)
        except AttributeError:
            arg = self.__forward_arg__
            code = compile(f"({arg},)[0]" if arg.startswith("*") else arg, "<string>", "eval")
            slot.__set__(self, code)
        return code


def _lazy_refs_work() -> bool:
    """Whether :class:`_LazyForwardRef` behaves as ``typing.ForwardRef`` on this interpreter (its slots are
    private to ``typing``: checked once rather than assumed)."""
    try:
        lazy = _LazyForwardRef("typing.Optional[int]", module=None)
        eager = typing.ForwardRef("typing.Optional[int]", module=None)
        namespace = {"typing": typing}
        resolved = typing._eval_type(lazy, namespace, namespace)  # type: ignore[attr-defined]
        return bool(lazy == eager and hash(lazy) == hash(eager) and resolved == (int | None))
    except Exception:  # pragma: no cover - another interpreter's typing internals
        return False


_LAZY_REFS_WORK = _lazy_refs_work()
#: The generated modules' import of ``TypedDict`` (pulumi/pulumi ``pkg/codegen/python/gen.go``), and what it becomes
#: in the cached code: the same import, then the name bound to :func:`_typed_dict` for the module's run.
_TYPED_DICT_IMPORT = b"    from typing import NotRequired, TypedDict, TypeAlias\n"
_TYPED_DICT_REBOUND = b"    from typing import NotRequired, TypedDict, TypeAlias; TypedDict = __llmd_typed_dict__\n"
#: The name :func:`run_postponed` binds while a transformed module runs.
TYPED_DICT_NAME = "__llmd_typed_dict__"
_WRAPPERS = {"NotRequired[": typing.NotRequired, "Required[": typing.Required}


def _wrapped(text: str) -> tuple[Any, str] | None:
    """``NotRequired[X]`` -> ``(NotRequired, "X")`` (likewise ``Required``) when the wrapper's bracket closes at the
    end of ``text``; None otherwise."""
    for prefix, wrapper in _WRAPPERS.items():
        if not text.startswith(prefix) or not text.endswith("]"):
            continue
        depth, quote = 0, ""
        for index, char in enumerate(text):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return (wrapper, text[len(prefix) : -1]) if index == len(text) - 1 else None
    return None


def _typed_dict_annotation(text: str, module: str, namespace: dict[str, Any]) -> Any:
    """The annotation a TypedDict field of ``module`` gets for the postponed annotation ``text``: the ForwardRef
    ``typing`` makes of a string annotation (compiled lazily), inside ``NotRequired[...]`` / ``Required[...]`` when
    ``text`` is wrapped in one, so the keys' requiredness is what a normal import computes; an annotation that names
    a wrapper anywhere else is evaluated now, as a normal import does."""
    wrapped = _wrapped(text)
    if wrapped is not None and "Required" not in wrapped[1]:
        wrapper, inner = wrapped
        return wrapper[_LazyForwardRef(inner, module=module)]
    if "Required" not in text:
        return _LazyForwardRef(text, module=module)
    return eval(text, namespace)  # the module's own annotation, in its own namespace


class _TypedDictFactoryMeta(type):
    """Builds, in place of ``typing.TypedDict``'s metaclass, the very class ``typing`` builds (a ``_TypedDictMeta``
    with base ``TypedDict``), its postponed annotations turned into fields by :func:`_typed_dict_annotation`."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        module = str(namespace.get("__module__"))
        module_namespace = sys.modules[module].__dict__ if module in sys.modules else {}
        annotations = namespace.get("__annotations__", {})
        namespace["__annotations__"] = {
            key: _typed_dict_annotation(value, module, module_namespace) if isinstance(value, str) else value
            for key, value in annotations.items()
        }
        namespace["__orig_bases__"] = (typing.TypedDict,)
        real_bases = typing.TypedDict.__mro_entries__((typing.TypedDict,))  # type: ignore[attr-defined]
        return typing._TypedDictMeta(name, real_bases, namespace, **kwargs)  # type: ignore[attr-defined]


#: The base a class statement gets for :class:`_TypedDictFactory` (made as ``typing`` makes ``_TypedDict``).
_TypedDictFactoryBase = type.__new__(_TypedDictFactoryMeta, "TypedDict", (), {})


class _TypedDictFactory:
    """Stands for ``typing.TypedDict`` in a class statement's bases (``class XArgsDict(TypedDict):``)."""

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (_TypedDictFactoryBase,)


_TYPED_DICT = _TypedDictFactory()


def postponed_annotations_code(source: bytes, path: str) -> CodeType:
    """``source`` (a generated provider SDK module) compiled with postponed annotations (``from __future__ import
    annotations``), its ``TypedDict`` classes built by :class:`_TypedDictFactoryMeta` (see the module docstring).

    The code expects the name :data:`TYPED_DICT_NAME` in its globals while it runs (:func:`run_postponed`)."""
    if _LAZY_REFS_WORK and source.count(_TYPED_DICT_IMPORT) == 1:
        source = source.replace(_TYPED_DICT_IMPORT, _TYPED_DICT_REBOUND)
    code: CodeType = compile(source, path, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True)
    return code


def run_postponed(code: CodeType, namespace: dict[str, Any]) -> None:
    """Run ``code`` from :func:`postponed_annotations_code` in a module's ``namespace``; afterwards the module's
    ``TypedDict`` is ``typing.TypedDict`` again, as a normal import leaves it."""
    namespace[TYPED_DICT_NAME] = _TYPED_DICT
    try:
        exec(code, namespace)
    finally:
        namespace.pop(TYPED_DICT_NAME, None)
        if namespace.get("TypedDict") is _TYPED_DICT:
            namespace["TypedDict"] = typing.TypedDict


class CachedSourceLoader(importlib.machinery.SourceFileLoader):
    """A source-file loader whose code comes from a :class:`CodeCache`; ``postpone`` compiles with postponed
    annotations (:func:`postponed_annotations_code`). Falls back to the usual loading when the cache fails."""

    def __init__(self, fullname: str, path: str, cache: CodeCache, *, postpone: bool) -> None:
        super().__init__(fullname, path)
        self._cache = cache
        self._postpone = postpone

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        build = postponed_annotations_code if self._postpone else plain_code
        try:
            return self._cache.get("postponed" if self._postpone else "plain", path, build)
        except (OSError, SyntaxError, ValueError, RecursionError):
            self._postpone = False
            code: CodeType = super().get_code(fullname)  # type: ignore[assignment]
            return code

    def exec_module(self, module: Any) -> None:
        code = self.get_code(module.__name__)
        if self._postpone:
            run_postponed(code, module.__dict__)
        else:
            exec(code, module.__dict__)
