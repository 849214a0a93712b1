"""Load the provider SDKs' generated module packages lazily, member by member, during an offline render.

Every module package of a generated Pulumi provider SDK (``pulumi_gcp.compute``, ``pulumi_kubernetes.core.v1``,
``pulumi_aws.ec2`` ...) has an ``__init__.py`` that star-imports every module of the package (``from .network import
*`` ... ``from ._inputs import *`` and ``from . import outputs``; written by ``pulumi-language-python`` / ``pulumigen``,
see pulumi/pulumi ``pkg/codegen/python/gen.go``, ``genInit``). The top-level package already imports these module
packages lazily (``_utilities.lazy_import``), but touching one member, e.g. ``pulumi_gcp.compute.Network``, runs the
whole ``__init__``: about 290 modules for ``compute`` (0.75 s on a 2-core machine), 0.25 s for ``container``, 0.3 s
for ``kubernetes.core.v1``. A render uses a handful of them.

:func:`lazy_sdk_imports` installs, for the duration of a ``with`` block, an import finder that loads such a package
with its ``__init__`` minus the star-imports, and resolves each member on first access from the one module that
defines it: the resource or function module named after it (``Network``/``NetworkArgs`` -> ``network``,
``get_project_output`` -> ``get_project``, ``Deployment`` -> ``Deployment`` in pulumi-kubernetes), else the shared
``_enums`` / ``_inputs`` modules, else (a name it cannot place) the whole ``__init__`` as before. A member is the same
object either way and keeps working after the block ends; only ``vars()`` / ``dir()`` of a package show members once
they have been used. Packages whose ``__init__`` holds anything but the generated lines are loaded as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from pulumi_llmd.render.code_cache import CachedSourceLoader, CodeCache, activate, active_cache

__all__ = ["SDK_PACKAGES", "install_render_imports", "lazy_sdk_imports"]

#: Top-level provider SDK packages whose module packages are loaded member by member.
SDK_PACKAGES = ("pulumi_gcp", "pulumi_aws", "pulumi_kubernetes")

_MARKER = "# Export this package's modules as members:"
_STAR = re.compile(r"from \.([A-Za-z0-9_]+) import \*")
#: The only other lines a generated module package's ``__init__.py`` holds.
_HEADER = frozenset(
    {
        "import builtins as _builtins",
        "from .. import _utilities",
        "from ... import _utilities",
        "from .... import _utilities",
        "import typing",
        "from . import outputs",
        _MARKER,
    }
)
#: Modules shared by the members of a package, searched after the module named after a member.
_SHARED = ("_enums", "_inputs")


def _snake(name: str) -> str:
    """``RouterNat`` -> ``router_nat``, ``IAMMember`` -> ``iam_member`` (the code generator's module names)."""
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _candidates(attr: str) -> Iterator[str]:
    """Module names that may define ``attr``, most likely first."""
    base = attr
    for suffix in ("ArgsDict", "Args"):
        if base.endswith(suffix) and base != suffix:
            base = base[: -len(suffix)]
            break
    if attr.startswith("get_"):
        yield attr.removesuffix("_output")
    if attr.endswith("Result"):  # GetNetworkResult, AwaitableGetNetworkResult -> get_network
        yield _snake(attr.removeprefix("Awaitable").removesuffix("Result"))
    yield base  # pulumi-kubernetes: one module per kind, named as the kind
    yield _snake(base)
    yield attr
    yield from _SHARED


def _generated_init(source: str) -> list[str] | None:
    """The star-imported module names of a generated module package's ``__init__`` source, in order; None when the
    file holds anything else (it is then loaded as usual)."""
    if _MARKER not in source:
        return None
    modules: list[str] = []
    for raw in source.splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and line != _MARKER):
            continue
        star = _STAR.fullmatch(line)
        if star:
            modules.append(star.group(1))
        elif line not in _HEADER:
            return None
    return modules


class _LazySdkPackage(ModuleType):
    """A lazily loaded module package. When the import system binds a just-imported member module to it under the
    module's name and that module exports a member of the same name (pulumi-kubernetes' ``Release`` module and
    ``Release`` class, pulumi-gcp's ``get_project`` module and function), the member is bound instead, as the
    eager ``from .Release import *`` does right after that import."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
            and name in getattr(value, "__all__", ())
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


class _LazyPackageLoader(importlib.abc.Loader):
    """Runs a generated package ``__init__`` without its star-imports, then resolves members on first access; any
    other package ``__init__`` runs as usual (read when the package is first used, not when it is found)."""

    def __init__(self, eager: importlib.abc.Loader) -> None:
        self._eager = eager

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        try:
            with open(module.__file__ or "", encoding="utf-8") as handle:
                source = handle.read()
        except OSError:
            source = ""
        modules = _generated_init(source)
        if not modules:
            self._eager.exec_module(module)
            return
        star = frozenset(modules)
        header = "\n".join(
            line for line in source.splitlines() if not _STAR.fullmatch(line.strip()) and "import outputs" not in line
        )
        exec(compile(header, module.__file__ or name, "exec"), module.__dict__)
        lock = threading.RLock()
        state = {"complete": False}

        def load_everything() -> None:
            with lock:
                if not state["complete"]:
                    state["complete"] = True
                    code = self._eager.get_code(name)  # type: ignore[attr-defined]
                    exec(code, module.__dict__)

        def __getattr__(attr: str) -> Any:
            if attr.startswith("__"):
                raise AttributeError(f"module {name!r} has no attribute {attr!r}")
            if attr == "outputs":  # ``from . import outputs`` inside a member module, ``pkg.outputs``
                return importlib.import_module(f"{name}.outputs")
            if not state["complete"]:
                seen: set[str] = set()
                for candidate in _candidates(attr):
                    if candidate in seen or candidate not in star:
                        continue
                    seen.add(candidate)
                    found = importlib.import_module(f"{name}.{candidate}")
                    if attr in getattr(found, "__all__", ()):
                        value = getattr(found, attr)
                        setattr(module, attr, value)
                        return value
                if attr in star:  # a module that exports no member of its own name
                    submodule = importlib.import_module(f"{name}.{attr}")
                    return module.__dict__.get(attr, submodule)
                load_everything()
            try:
                return module.__dict__[attr]
            except KeyError:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        module.__class__ = _LazySdkPackage


class _LazySdkFinder(importlib.abc.MetaPathFinder):
    """Finds the generated module packages of :data:`SDK_PACKAGES` and loads them with :class:`_LazyPackageLoader`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in SDK_PACKAGES or "." not in fullname:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or spec.loader is None:
            return spec
        if spec.submodule_search_locations is None:  # a plain module: what the path finder after this one returns,
            cache = active_cache()
            if cache is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
                # or, in the offline render's process, compiled with postponed annotations and cached
                spec.loader = CachedSourceLoader(fullname, spec.origin, cache, postpone=True)
            return spec
        spec.loader = _LazyPackageLoader(spec.loader)
        return spec


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Finds the project's own modules (``pulumi_llmd.*``) and loads their code from a :class:`CodeCache`."""

    def __init__(self, cache: CodeCache) -> None:
        self._cache = cache

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("pulumi_llmd."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = CachedSourceLoader(fullname, spec.origin, self._cache, postpone=False)
        return spec


_FINDER = _LazySdkFinder()
_INSTALLED = threading.Lock()


def install_render_imports(cache: CodeCache | None) -> bool:
    """For the rest of this process (the offline render's CLI process, never a ``pulumi up`` program): load provider
    SDK module packages member by member (as within :func:`lazy_sdk_imports`), and, when ``cache`` is given, the SDKs'
    generated modules with postponed annotations and the project's own modules from compiled code in ``cache``
    (:mod:`pulumi_llmd.render.code_cache`). Modules already imported are not affected. Returns whether the cache is
    in use."""
    with _INSTALLED:
        if cache is not None and active_cache() is None:
            activate(cache)
            sys.meta_path.insert(0, _ProjectFinder(cache))
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    return active_cache() is not None


@contextlib.contextmanager
def lazy_sdk_imports() -> Iterator[None]:
    """Within the block, generated provider SDK module packages imported for the first time load member by member
    (see the module docstring). Re-entrant; the finder is removed again when the outermost block ends."""
    if _FINDER in sys.meta_path:
        yield
        return
    with _INSTALLED:
        sys.meta_path.insert(0, _FINDER)
    try:
        yield
    finally:
        with _INSTALLED, contextlib.suppress(ValueError, AttributeError):  # AttributeError: at interpreter exit
            sys.meta_path.remove(_FINDER)
