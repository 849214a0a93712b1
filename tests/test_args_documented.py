"""Every public component takes one ``<Component>Args`` TypedDict (components/args.py), and every argument that may be
left out states its default in its attribute docstring ("Default: ..."), as the issue's "every defaulted argument
states its default" asks. The docstrings are read with ``ast`` (a string literal right after the field), the way
documentation tools read attribute docstrings.

The high-level components of ``pulumi_llmd.blueprints.inference`` (``LlmdPlatform``, ``LlmdInference``) are held to
the same rule; a component that loses a default statement (or its args type) fails."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
import types
import typing
from collections.abc import Iterator

import pulumi
import pytest

from pulumi_llmd.components.args import required_keys

PACKAGES = ("gcp", "aws", "cluster", "serving", "platform")
#: Modules outside the component packages whose public components follow the same convention.
MODULES = ("pulumi_llmd.blueprints.inference",)


def _public_components(module: types.ModuleType) -> Iterator[type[pulumi.ComponentResource]]:
    for name, obj in sorted(vars(module).items()):
        if (
            inspect.isclass(obj)
            and issubclass(obj, pulumi.ComponentResource)
            and obj.__module__ == module.__name__
            and not name.startswith("_")
        ):
            yield obj


def _components() -> Iterator[tuple[str, type[pulumi.ComponentResource]]]:
    """``(package, class)`` for every public ComponentResource defined in a public module of a component package,
    and in :data:`MODULES`."""
    for package in PACKAGES:
        root = importlib.import_module(f"pulumi_llmd.components.{package}")
        for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                module = importlib.import_module(f"{root.__name__}.{info.name}")
                yield from ((package, obj) for obj in _public_components(module))
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        yield from ((module_name.rsplit(".", 1)[-1], obj) for obj in _public_components(module))


COMPONENTS = list(_components())


def args_type(cls: type) -> type | None:
    """The TypedDict a component's ``__init__`` takes as ``args`` (``XArgs | None``), or None."""
    if "args" not in inspect.signature(cls.__init__).parameters:  # type: ignore[misc]
        return None
    hint = typing.get_type_hints(cls.__init__).get("args")  # type: ignore[misc]
    candidates = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    found = [c for c in candidates if isinstance(c, type) and typing.is_typeddict(c)]
    return found[0] if found else None


def field_docstrings(typed_dict: type) -> dict[str, str | None]:
    """Field -> its attribute docstring (None without one), read from the TypedDict's source with ``ast``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(typed_dict)))
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    docs: dict[str, str | None] = {}
    body = node.body
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            after = body[index + 1] if index + 1 < len(body) else None
            is_doc = (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            )
            docs[stmt.target.id] = str(typing.cast(ast.Expr, after).value.value) if is_doc else None  # type: ignore[attr-defined]
    return docs


def undocumented(typed_dict: type) -> list[str]:
    """Fields without a docstring, and fields a caller may leave out whose docstring does not say ``Default:``."""
    docs = field_docstrings(typed_dict)
    required = required_keys(typed_dict)
    problems = [f"{field}: no docstring" for field, doc in docs.items() if not doc]
    problems += [
        f"{field}: does not state its default ('Default: ...')"
        for field, doc in docs.items()
        if doc and field not in required and "Default:" not in doc
    ]
    problems += [
        f"{field}: not a field of the TypedDict" for field in docs if field not in typing.get_type_hints(typed_dict)
    ]
    return problems


def _id(item: tuple[str, type]) -> str:
    return f"{item[0]}.{item[1].__name__}"


def test_every_package_has_components() -> None:
    assert {package for package, _ in COMPONENTS} == {*PACKAGES, *(m.rsplit(".", 1)[-1] for m in MODULES)}


@pytest.mark.parametrize("item", COMPONENTS, ids=[_id(c) for c in COMPONENTS])
def test_component_takes_an_args_typeddict_whose_defaults_are_stated(item: tuple[str, type]) -> None:
    package, cls = item
    typed_dict = args_type(cls)
    if typed_dict is None:
        pytest.fail(f"{package}.{cls.__name__}.__init__ takes no args TypedDict (components/args.py convention)")
    assert typed_dict.__name__ == f"{cls.__name__}Args"
    assert undocumented(typed_dict) == []
    params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    assert list(params)[:4] == ["self", "name", "args", "opts"], f"{cls.__name__}: (name, args, opts, **kwargs)"
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()), "keyword form (**kwargs)"


def test_the_check_catches_a_field_without_its_default() -> None:
    module = types.ModuleType("args_documented_probe")
    source = (
        "from typing import Required, TypedDict\n"
        "class ProbeArgs(TypedDict, total=False):\n"
        "    name: Required[str]\n"
        '    """Mandatory: no default to state."""\n'
        "    replicas: int\n"
        '    """How many; forgot the default."""\n'
        "    image: str\n"
    )
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "<probe>", "exec"), module.__dict__)
        probe = typing.cast(type, module.ProbeArgs)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(inspect, "getsource", lambda obj: source)
            assert undocumented(probe) == [
                "image: no docstring",
                "replicas: does not state its default ('Default: ...')",
            ]
    finally:
        del sys.modules[module.__name__]


def defaults_stated() -> tuple[int, int]:
    """``(defaulted arguments, those stating their default)`` over every converted component."""
    total = stated = 0
    for _, cls in COMPONENTS:
        typed_dict = args_type(cls)
        if typed_dict is None:
            continue
        required = required_keys(typed_dict)
        for field, doc in field_docstrings(typed_dict).items():
            if field not in required:
                total += 1
                stated += bool(doc and "Default:" in doc)
    return total, stated


def test_every_defaulted_argument_of_a_converted_component_states_its_default() -> None:
    total, stated = defaults_stated()
    assert total > 0
    assert stated == total, f"{total - stated} of {total} defaulted arguments do not state their default"
