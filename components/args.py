"""One args type per component (pulumi-eks style), and the checks components share with config validation.

Every public component takes its inputs as one ``TypedDict`` named ``<Component>Args`` — either as the ``args``
object or as the same fields given as keyword arguments — so a program can build the arguments once, type-check them
with ``mypy --strict``, and pass them around::

    GpuNodePool("l4", GpuNodePoolArgs(cluster=cluster, shape=shape, zone="us-central1-a"))
    GpuNodePool("l4", cluster=cluster, shape=shape, zone="us-central1-a")  # the same

Fields marked ``Required[...]`` must be given; every other field states its default in its docstring (a test
enforces it). Arguments are checked before anything is registered: an unknown name, a missing required field or a
value of the wrong kind raises :class:`ArgsError` naming the component, the argument, the value and what is allowed —
the same wording config validation uses for the stack file's keys (``key = value: what is allowed``).

Rules that both a component and config validation apply live once, as functions here or in the component's module
returning a message (or None); config validation calls them with the stack-file key, components with their argument
name, so both report the same thing.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pulumi

__all__ = [
    "ArgsError",
    "check_count",
    "check_one_of",
    "component_args",
    "count_problem",
    "dns_label_allowed",
    "dns_label_problem",
    "format_problem",
    "one_of_problem",
    "required_keys",
    "type_hints",
]

T = TypeVar("T")


def format_problem(key: str, value: Any, allowed: str) -> str:
    """``"<key> = <value!r>: <allowed>"`` — the one wording for a bad value, shared with config validation."""
    return f"{key} = {value!r}: {allowed}"


#: A lowercase RFC 1035 label: Kubernetes object names of most kinds and Compute Engine names (Compute Engine docs,
#: "Naming resources": ``[a-z]([-a-z0-9]*[a-z0-9])?``).
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
#: The longest name a stack accepts for its cluster, pools, models, namespace and gateway (the GKE components' name
#: prefix, which physical names such as ``<name>-proxy-only`` extend within Compute Engine's 63 characters).
DNS_LABEL_MAX = 40


def dns_label_allowed(max_length: int = DNS_LABEL_MAX) -> str:
    """What a name must be (the one wording of the name rule, for components and config validation alike).

    Args:
        max_length: The longest name allowed, in characters. Default: ``DNS_LABEL_MAX`` (40).
    """
    return (
        "must be a lowercase DNS label: a-z, 0-9 and '-', starting with a letter and not ending with '-', "
        f"at most {max_length} characters"
    )


def dns_label_problem(key: str, value: object, max_length: int = DNS_LABEL_MAX) -> str | None:
    """The message for a name that is not a lowercase DNS label of at most ``max_length`` characters (default 40),
    else None: ``"<key> = <value>: must be a lowercase DNS label: ..."`` (:func:`dns_label_allowed`)."""
    if isinstance(value, str) and _DNS_LABEL.match(value) and len(value) <= max_length:
        return None
    return format_problem(key, value, dns_label_allowed(max_length))


class ArgsError(ValueError):
    """A component was given a bad argument; raised in the constructor before any resource is registered.

    ``str()`` is ``"<Component>: <argument> = <value>: <what is allowed>"`` (one line per problem).
    """

    def __init__(self, component: str, problems: Sequence[str]) -> None:
        self.component = component
        self.problems = list(problems)
        super().__init__("\n".join(f"{component}: {p}" for p in self.problems))


def component_args(cls: type[T], component: str, args: T | None, kwargs: Mapping[str, Any]) -> T:
    """Merge a component's ``args`` object and keyword arguments into one checked ``cls`` (a TypedDict).

    Raises:
        ArgsError: both ``args`` and keywords were given; an argument the TypedDict does not declare (with a
            "did you mean"); a ``Required`` field missing; a plain ``bool`` where an ``int`` belongs or a ``str``
            where a number belongs (Python's ``int("2")`` habits do not apply here).
    """
    if args is not None and kwargs:
        both = f"give either an args object or keyword arguments, not both (got {sorted(kwargs)})"
        raise ArgsError(component, [both])
    merged: dict[str, Any] = dict(typing.cast(Mapping[str, Any], args) if args is not None else kwargs)
    args_type: type = cls  # a class object: hashable, so its hints are evaluated once
    hints = _type_hints(args_type, False)
    problems: list[str] = []
    for key in sorted(set(merged) - set(hints)):
        close = [k for k in hints if _close(key, k)]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(format_problem(key, merged[key], f"not an argument of {component}{hint}"))
    required = required_keys(args_type)
    for key in sorted(required - set(merged)):
        problems.append(f"{key} is required")
    for key, value in merged.items():
        field_hint = hints.get(key)
        if field_hint is None or value is None:
            continue
        problem = _kind_problem(key, value, field_hint)
        if problem:
            problems.append(problem)
    if problems:
        raise ArgsError(component, problems)
    return typing.cast(T, merged)


def type_hints(cls: type, include_extras: bool = False) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, with the names ``pulumi.Input`` refers to lazily (``"Output[T]"``, a forward
    reference the SDK's module resolves, not the module that declares ``cls``) made resolvable. Evaluated once per
    class (a fresh dict each call: callers may not change the cached one).

    Args:
        cls: The class (a TypedDict) whose annotations to resolve.
        include_extras: Keep ``Annotated``/``Required``/``NotRequired`` wrappers, as ``typing.get_type_hints`` does.
            Default: False.
    """
    return dict(_type_hints(cls, include_extras))


@functools.cache
def _type_hints(cls: type, include_extras: bool) -> Mapping[str, Any]:
    return types.MappingProxyType(
        typing.get_type_hints(cls, localns={"Output": pulumi.Output, "T": Any}, include_extras=include_extras)
    )


@functools.cache
def required_keys(cls: type) -> frozenset[str]:
    """The keys of TypedDict ``cls`` a caller must give.

    ``cls.__required_keys__`` is wrong on Python 3.11 when the TypedDict's module uses ``from __future__ import
    annotations`` (``Required[...]`` is then a string the class statement does not look into; fixed in 3.12), so the
    evaluated hints decide: ``Required[...]`` is required, ``NotRequired[...]`` is not, anything else follows the
    class's ``total``.
    """
    hints = type_hints(cls, include_extras=True)
    total = getattr(cls, "__total__", True)
    required: set[str] = set()
    for key, hint in hints.items():
        origin = typing.get_origin(hint)
        if origin is typing.Required or (total and origin is not typing.NotRequired):
            required.add(key)
    # Keys inherited from a total base TypedDict stay required.
    return frozenset(required | (set(getattr(cls, "__required_keys__", ())) - _not_required(hints)))


def _not_required(hints: Mapping[str, Any]) -> set[str]:
    return {k for k, h in hints.items() if typing.get_origin(h) is typing.NotRequired}


def _close(a: str, b: str) -> bool:
    a, b = a.lower().replace("_", ""), b.lower().replace("_", "")
    return a == b or (len(a) > 3 and (a in b or b in a))


def _plain_types(hint: Any) -> set[type]:
    """The plain Python types a hint admits (unwrapping Required/NotRequired/Optional/Input/Union)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Required, typing.NotRequired):
        return _plain_types(typing.get_args(hint)[0])
    if origin in (typing.Union, types.UnionType):
        out: set[type] = set()
        for arg in typing.get_args(hint):
            out |= _plain_types(arg)
        return out
    if isinstance(hint, type):
        return {hint}
    if origin is not None and isinstance(origin, type):
        return {origin}
    return {object}


def _kind_problem(key: str, value: Any, hint: Any) -> str | None:
    if isinstance(value, (pulumi.Output, pulumi.Resource)):
        return None
    kinds = _plain_types(hint)
    if object in kinds:
        return None
    numeric = kinds & {int, float}
    if numeric and not (kinds & {bool}) and isinstance(value, bool):
        return format_problem(key, value, f"must be {'an integer' if int in numeric else 'a number'}, not a boolean")
    if numeric and not (kinds & {str}) and isinstance(value, str):
        return format_problem(key, value, f"must be {'an integer' if int in numeric else 'a number'}, not a string")
    if kinds == {str} and not isinstance(value, str):
        return format_problem(key, value, "must be a string")
    return None


def count_problem(key: str, value: object, minimum: int = 1, maximum: int | None = None) -> str | None:
    """The message for a count (replicas, nodes, TP size) that is not an integer in ``[minimum, maximum]``, else None.

    Shared by components and config validation, e.g. ``count_problem("tensor_parallel_size", -2)`` ->
    ``"tensor_parallel_size = -2: must be an integer >= 1"``.

    Args:
        key: The argument or stack key the message names.
        value: The value given.
        minimum: The smallest allowed count. Default: 1.
        maximum: The largest allowed count. Default: None (no upper bound).
    """
    allowed = f"must be an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int):
        return format_problem(key, value, allowed)
    if value < minimum or (maximum is not None and value > maximum):
        return format_problem(key, value, allowed)
    return None


def check_count(component: str, key: str, value: object, minimum: int = 1, maximum: int | None = None) -> None:
    """Raise :class:`ArgsError` when :func:`count_problem` finds a problem.

    Args:
        component: The component named in the error.
        key: The argument the message names.
        value: The value given.
        minimum: The smallest allowed count. Default: 1.
        maximum: The largest allowed count. Default: None (no upper bound).
    """
    problem = count_problem(key, value, minimum, maximum)
    if problem:
        raise ArgsError(component, [problem])


def one_of_problem(key: str, value: object, allowed: Sequence[str]) -> str | None:
    """The message for a value outside ``allowed`` (listed in order), else None."""
    if value in allowed:
        return None
    return format_problem(key, value, "must be one of " + ", ".join(repr(a) for a in allowed))


def check_one_of(component: str, key: str, value: object, allowed: Sequence[str]) -> None:
    """Raise :class:`ArgsError` when :func:`one_of_problem` finds a problem."""
    problem = one_of_problem(key, value, allowed)
    if problem:
        raise ArgsError(component, [problem])


@typing.runtime_checkable
class NamedResource(typing.Protocol):
    """A component another one refers to by object: it has a plain ``name`` (a Namespace, a picker, a Gateway)."""

    @property
    def name(self) -> str: ...


def ref_name(ref: NamedResource | str, component: str, key: str) -> tuple[str, list[pulumi.Resource]]:
    """The name a reference stands for, and the resources a dependent must wait for.

    ``ref`` is either a component object (e.g. a ``StackNamespace``, an ``EndpointPicker``, a ``Gateway``: its
    ``name`` is used and the dependent gets ``depends_on=[ref]``, so Pulumi sees the edge) or a plain name (no edge:
    the caller vouches it exists).

    Raises:
        ArgsError: ``ref`` is neither (e.g. ``None`` or an empty string).
    """
    if isinstance(ref, str):
        if not ref:
            raise ArgsError(component, [format_problem(key, ref, "must be a non-empty name or a component object")])
        return ref, []
    name = getattr(ref, "name", None)
    if isinstance(ref, pulumi.Resource) and isinstance(name, str) and name:
        return name, [ref]
    raise ArgsError(component, [format_problem(key, ref, "must be a non-empty name or a component object")])
