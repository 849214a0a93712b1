"""Every defaulted argument of the library's public API states its default (issue 13, Deliver 4), beyond the
components' ``<Component>Args`` TypedDicts (tests/test_args_documented.py): the public functions and methods of
``pulumi_llmd.components.*`` and ``pulumi_llmd.blueprints.*``, and the fields of their public dataclasses.

What counts as stating a default, for parameter ``p`` with default ``v``:

- an entry of a Google-style ``Args:`` section (``p: ...`` or ``p (type): ...`` with its continuation lines), or a
  sentence of prose that names ``p`` in backticks (a following sentence starting with "Default" belongs to it),
- which says "default" (``Default: ...``, ``(default ...)``, ``defaults to ...``),
- and shows the value: its ``repr``, its text, the expression of the signature (``versions.PAUSE_IMAGE``, or every
  name in it: ``GPU_TOLERATION`` for ``(GPU_TOLERATION,)``), or for an empty collection "none"/"empty".

A dataclass field with a default states it the same way in the class docstring (an ``Attributes:`` entry or a
sentence naming the field), in the field's attribute docstring, or in the ``#:`` comment right above it."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

ROOTS = ("pulumi_llmd.components", "pulumi_llmd.blueprints")

_SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters|Keyword Args|Keyword Arguments|Attributes|Fields):\s*$")
_ITEM = re.compile(r"^\s*(?P<names>[*`\w]+(?:\s*,\s*[*`\w]+)*)\s*(?:\([^)]*\))?\s*:(?:\s|$)")
_DEFAULT = re.compile(r"\bdefault(?:s|ed)?\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z`*(:\"'])")


def public_modules() -> Iterator[types.ModuleType]:
    """Every public module of the component and blueprint packages (the packages themselves included)."""
    for root in ROOTS:
        package = importlib.import_module(root)
        yield package
        for info in sorted(pkgutil.walk_packages(package.__path__, prefix=f"{root}."), key=lambda i: i.name):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield importlib.import_module(info.name)


def _defined_here(obj: Any, module: types.ModuleType) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """``(qualified name, function)``: module-level functions and the public methods (static and class methods
    included) of public classes, each defined in its module."""
    seen: set[int] = set()
    for module in public_modules():
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or not _defined_here(obj, module):
                continue
            if inspect.isfunction(obj):
                if id(obj) not in seen:
                    seen.add(id(obj))
                    yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in sorted(vars(obj).items()):
                    func = member.__func__ if isinstance(member, staticmethod | classmethod) else member
                    if not attr.startswith("_") and inspect.isfunction(func) and id(func) not in seen:
                        seen.add(id(func))
                        yield f"{module.__name__}.{name}.{attr}", func


def public_dataclasses() -> Iterator[tuple[str, type]]:
    """``(qualified name, class)`` for every public dataclass defined in a public module."""
    for module in public_modules():
        for name, obj in sorted(vars(module).items()):
            public = not name.startswith("_") and inspect.isclass(obj) and _defined_here(obj, module)
            if public and dataclasses.is_dataclass(obj):
                yield f"{module.__name__}.{name}", obj


def entries(doc: str) -> list[tuple[frozenset[str] | None, str]]:
    """The docstring cut into entries: ``(names, text)`` for each item of an ``Args:``/``Attributes:`` section, and
    ``(None, sentence)`` for each sentence of prose (a sentence starting with "Default" joins the one before)."""
    out: list[tuple[frozenset[str] | None, str]] = []
    prose: list[str] = []

    def flush_prose() -> None:
        text = " ".join(prose).strip()
        prose.clear()
        for sentence in _SENTENCE_END.split(text) if text else []:
            if out and out[-1][0] is None and re.match(r"\(?default", sentence, re.IGNORECASE):
                out[-1] = (None, f"{out[-1][1]} {sentence}")
            else:
                out.append((None, sentence))

    lines = doc.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        section = _SECTION.match(line)
        if not section:
            if line.strip():
                prose.append(line.strip())
            else:
                flush_prose()
            index += 1
            continue
        flush_prose()
        indent = len(section.group(1))
        index += 1
        item_indent: int | None = None
        while index < len(lines):
            line = lines[index]
            width = len(line) - len(line.lstrip())
            if line.strip() and width <= indent:
                break
            item = _ITEM.match(line)
            if line.strip() and item and (item_indent is None or width <= item_indent):
                item_indent = width
                names = frozenset(n.strip().strip("*`") for n in item.group("names").split(","))
                out.append((names, line.strip()))
            elif line.strip() and out and out[-1][0] is not None:
                out[-1] = (out[-1][0], f"{out[-1][1]} {line.strip()}")
            index += 1
    flush_prose()
    return out


def renderings(value: Any, expression: str | None = None) -> list[str] | None:
    """Texts that show ``value`` in a docstring; None when it has no readable form (then "default" suffices)."""
    shown = [expression] if expression else []
    if value is None:
        return [*shown, "None"]
    if isinstance(value, bool):
        return [*shown, repr(value)]
    if isinstance(value, enum.Enum):
        return [*shown, value.name, str(value.value)]
    if isinstance(value, int):
        return [*shown, str(value), f"{value:,}", f"{value:_}"]
    if isinstance(value, float):
        return [*shown, repr(value), f"{value:g}", f"{value * 100:g}%"]
    if isinstance(value, str):
        return [*shown, value] if value else [*shown, '""', "''", "empty"]
    if isinstance(value, tuple | list | dict | set | frozenset) and not value:
        return [*shown, repr(value), "none", "empty", "no "]
    if isinstance(value, tuple | list) and all(isinstance(v, str | int | float) for v in value):
        return [*shown, repr(value), *[", ".join(map(str, value))]]
    return shown or None


def expression_names(expression: str | None) -> list[str]:
    """The names and dotted names a default's expression uses (``versions.LLMD_ROUTER_VERSION``, ``GPU_TOLERATION``)."""
    if not expression:
        return []
    tree = ast.parse(expression, mode="eval")
    return [
        ast.unparse(node) if isinstance(node, ast.Attribute) else node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute | ast.Name)
    ]


def states(text: str, value: Any, expression: str | None) -> bool:
    """Whether ``text`` says "default" and shows the value."""
    if not _DEFAULT.search(text):
        return False
    names = expression_names(expression)
    if names and all(n in text for n in names):
        return True  # the expression's names (``(GPU_TOLERATION,)`` shown as ``GPU_TOLERATION``)
    shown = renderings(value, expression)
    if shown is None:
        return True
    quoted = text.replace('"', "'")  # ``("apps/v1", "Deployment")`` shows ``('apps/v1', 'Deployment')``
    return any((s in text.lower()) if s in ("none", "empty", "no ") else (s in text or s in quoted) for s in shown)


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"`{re.escape(name)}`|\b{re.escape(name)}=", text) is not None


def stated_in_doc(doc: str, name: str, value: Any, expression: str | None) -> bool:
    """Whether an entry of ``doc`` for ``name`` states the default ``value``."""
    for names, text in entries(doc):
        if names is not None and name in names and states(text, value, expression):
            return True
        if names is None and _mentions(text, name) and states(text, value, expression):
            return True
    return False


def default_expressions(func: Callable[..., Any]) -> dict[str, str]:
    """Parameter -> the source expression of its default (``versions.LLMD_ROUTER_VERSION``), read with ``ast``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return {}
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if node is None:
        return {}
    positional = [*node.args.posonlyargs, *node.args.args]
    out = {
        a.arg: ast.unparse(d)
        for a, d in zip(positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True)
    }
    out |= {a.arg: ast.unparse(d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d}
    return out


def parameter_problems(qualname: str, func: Callable[..., Any]) -> list[str]:
    """``"<function>(<parameter>=<default>)"`` for each defaulted parameter whose docstring does not state it."""
    doc = inspect.getdoc(func) or ""
    expressions = default_expressions(func)
    return [
        f"{qualname}({name}={expressions.get(name, repr(param.default))})"
        for name, param in inspect.signature(func).parameters.items()
        if param.default is not inspect.Parameter.empty
        and not stated_in_doc(doc, name, param.default, expressions.get(name))
    ]


def field_comments(cls: type) -> dict[str, tuple[str, str]]:
    """Field -> ``(attribute docstring, #: comment above it)``, read from the class's source."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    (node,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    out: dict[str, tuple[str, str]] = {}
    for index, stmt in enumerate(node.body):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        after = node.body[index + 1] if index + 1 < len(node.body) else None
        docstring = ""
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            docstring = after.value.value
        comment: list[str] = []
        row = stmt.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#:"):
            comment.insert(0, lines[row].strip()[2:].strip())
            row -= 1
        out[stmt.target.id] = (docstring, " ".join(comment))
    return out


def defaulted_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The ``__init__`` fields with a default that ``cls`` itself declares (inherited ones are checked where they are
    declared)."""
    own = inspect.get_annotations(cls)
    return [
        f
        for f in dataclasses.fields(cls)
        if f.init
        and f.name in own
        and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
    ]


def _field_default(f: dataclasses.Field[Any]) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]


def field_problems(qualname: str, cls: type) -> list[str]:
    """``"<class>.<field>=<default>"`` for each defaulted ``__init__`` field whose default is not stated."""
    doc = cls.__doc__ or ""
    doc = "" if doc.startswith(f"{cls.__name__}(") else inspect.cleandoc(doc)  # the dataclass's generated doc
    comments = field_comments(cls)
    problems = []
    for f in defaulted_fields(cls):
        value = _field_default(f)
        docstring, comment = comments.get(f.name, ("", ""))
        if not (
            stated_in_doc(doc, f.name, value, None) or states(docstring, value, None) or states(comment, value, None)
        ):
            problems.append(f"{qualname}.{f.name}={value!r}")
    return problems


CALLABLES = list(public_callables())
DATACLASSES = list(public_dataclasses())


def counts() -> dict[str, tuple[int, int]]:
    """``{"parameters": (defaulted, stated), "fields": (defaulted, stated)}`` over the public API."""
    params = sum(1 for _, f in CALLABLES for p in inspect.signature(f).parameters.values() if p.default is not p.empty)
    fields = sum(len(defaulted_fields(c)) for _, c in DATACLASSES)
    missing_params = sum(len(parameter_problems(q, f)) for q, f in CALLABLES)
    missing_fields = sum(len(field_problems(q, c)) for q, c in DATACLASSES)
    return {"parameters": (params, params - missing_params), "fields": (fields, fields - missing_fields)}


def test_the_scan_finds_the_public_api() -> None:
    names = {q for q, _ in CALLABLES}
    assert "pulumi_llmd.components.serving.model_server.vllm_deployment" in names
    assert "pulumi_llmd.components.gcp.cluster.GkeCluster.as_cluster" in names
    assert "pulumi_llmd.components.serving.model_server.VllmSpec" in {q for q, _ in DATACLASSES}
    assert not any("._" in q for q, _ in [*CALLABLES, *DATACLASSES])


def test_every_defaulted_parameter_of_a_public_function_states_its_default() -> None:
    problems = [p for q, f in CALLABLES for p in parameter_problems(q, f)]
    assert problems == [], f"{len(problems)} defaulted parameters do not state their default:\n" + "\n".join(problems)


def test_every_defaulted_field_of_a_public_dataclass_states_its_default() -> None:
    problems = [p for q, c in DATACLASSES for p in field_problems(q, c)]
    assert problems == [], f"{len(problems)} dataclass fields do not state their default:\n" + "\n".join(problems)


def test_the_check_catches_a_missing_or_wrong_default() -> None:
    def probe(
        name: str,
        rdma: bool = False,
        path: str = "/metrics",
        interval: str = "15s",
        zones: tuple[str, ...] = (),
        count: int = 2,
    ) -> None:
        """A probe.

        ``count`` is how many (default 2).

        Args:
            name: Mandatory, nothing to state.
            rdma: Attach the fabric. Default: False.
            path: The path scraped; the default is not given.
            interval: How often. Default: 30s.
            zones (tuple[str, ...]): Where. Default: none (the cluster's).
        """

    assert parameter_problems("probe", probe) == ["probe(path='/metrics')", "probe(interval='15s')"]

    @dataclasses.dataclass
    class Probe:
        """A probe.

        Attributes:
            size: GiB. Default: 10.
        """

        size: int = 10
        #: Whether to; default True.
        flag: bool = True
        port: int = 8000
        """The port."""
        labels: dict[str, str] = dataclasses.field(default_factory=dict)
        """Labels. Default: none."""
        mode: str = "fast"
        """The mode. Default: slow."""

    assert field_problems("Probe", Probe) == ["Probe.port=8000", "Probe.mode='fast'"]


def test_the_scan_covers_the_whole_api() -> None:
    """The scan does not shrink unnoticed (issue 13: 152 defaulted parameters when the test was written)."""
    found = counts()
    assert found["parameters"][0] >= 150
    assert found["fields"][0] >= 110
    assert found == {"parameters": (found["parameters"][0],) * 2, "fields": (found["fields"][0],) * 2}
