"""Config problems: :class:`ConfigIssue` / :class:`ConfigError`, key formatting (``llmd:models[0].replicas``), the
translation of pydantic's errors into issues, ``did you mean`` hints and the field-type helpers they use.

The bottom of the blueprints' import order (``issues <- config <- plan <- {targets, paths} <- deploy``): it knows
pydantic and :mod:`pulumi_llmd.redact`, nothing of the stack schema (the root model is a parameter).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pulumi_llmd.redact import REDACTED, looks_like_credential, redact_value

#: Pulumi config namespace of every key this library reads.
CONFIG_NAMESPACE = "llmd"


def _admits_bool(annotation: Any) -> bool:
    """Whether a field type accepts a boolean (``bool``, ``Any``, a Literal of True/False, or a union with one)."""
    if annotation is bool or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _admits_bool(args[0])
    if origin is Literal:
        return any(isinstance(a, bool) for a in args)
    if origin is typing.Union or origin is types.UnionType:
        return any(_admits_bool(a) for a in args)
    return False


def _describe(annotation: Any) -> str:
    """What a field type allows, in words (for error messages)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _describe(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    if annotation is str:
        return "a string (quote it)"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "one of " + ", ".join(repr(m.value) for m in annotation)
    if origin in (tuple, list) or annotation in (tuple, list):
        return "a list"
    if (isinstance(annotation, type) and issubclass(annotation, BaseModel)) or origin is Mapping:
        return "a mapping"
    return "a value of the documented type"


def model_field(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    """``(camelCase key, annotation)`` of the field of ``model`` a raw key names (alias or snake_case name)."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info.annotation
    return None


def stray_booleans(annotation: Any, value: Any, key: str) -> list[ConfigIssue]:
    """A :class:`ConfigIssue` for every boolean in raw ``value`` where ``annotation`` wants a number or a string.

    pydantic's lax mode reads ``true`` as 1 for an int field (``tensorParallelSize: true`` would deploy TP 1); a
    stack file has no reason to write a number as a boolean, so it is an error here.
    """
    if isinstance(value, bool):
        if _admits_bool(annotation):
            return []
        allowed = _describe(annotation)
        return [ConfigIssue(key=key, value=value, message=f"a boolean where {allowed} is expected; allowed: {allowed}")]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return stray_booleans(args[0], value, key)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in args if a is not type(None)]
        if (
            len(members) > 1
            and isinstance(value, Mapping)
            and all(isinstance(m, type) and issubclass(m, BaseModel) for m in members)
        ):
            for member in members:  # a discriminated union (target): the member whose `cloud` matches
                field = member.model_fields.get("cloud")
                if field is not None and value.get("cloud") in typing.get_args(field.annotation):
                    return stray_booleans(member, value, key)
            return []
        return stray_booleans(members[0], value, key) if len(members) == 1 else []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, Mapping):
        issues: list[ConfigIssue] = []
        for raw_key, item in value.items():
            found = model_field(annotation, str(raw_key))
            if found is not None:
                issues.extend(stray_booleans(found[1], item, f"{key}.{found[0]}"))
        return issues
    if origin is tuple and args and isinstance(value, list | tuple):
        return [i for index, item in enumerate(value) for i in stray_booleans(args[0], item, f"{key}[{index}]")]
    if origin is Mapping and len(args) == 2 and isinstance(value, Mapping):
        return [i for k, item in value.items() for i in stray_booleans(args[1], item, f"{key}.{k}")]
    return []


#: Characters around a word that are not part of a value (quotes, brackets, separators).
_PUNCTUATION = "'\"()[]{}<>,;:`"


def scrub(text: str) -> str:
    """``text`` with every credential-shaped word (:func:`~pulumi_llmd.redact.looks_like_credential`) replaced by
    :data:`~pulumi_llmd.redact.REDACTED`; other words, and the names around them, are kept (error messages stay
    readable: ``--api-key`` or ``hfToken`` in a message is a name, not a value)."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        core = token.strip(_PUNCTUATION)
        if core and looks_like_credential(core):
            return token.replace(core, REDACTED)
        return token

    return re.sub(r"[^\s.\[\]=]+", word, text)


class ConfigIssue(BaseModel):
    """One problem in a stack configuration: the ``key`` (``llmd:models[0].tensorParallelSize``), the ``value``
    found there (None when it is missing or a whole sub-document) and a ``message`` saying what is allowed.

    Secrets never get in: a value under a sensitive key (:func:`~pulumi_llmd.redact.is_sensitive_name`:
    ``hfToken``, ``HF_TOKEN``, ``--api-key`` ...) or shaped like a credential
    (:func:`~pulumi_llmd.redact.looks_like_credential`) is stored as ``[redacted]``, and credential-shaped words
    in the key or the message are replaced too (pydantic echoes input, e.g. for an unknown key).
    """

    model_config = ConfigDict(frozen=True)

    key: str
    value: Any = None
    message: str

    @model_validator(mode="before")
    @classmethod
    def _redacted(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        key = str(out.get("key", ""))
        value = out.get("value")
        last = re.split(r"[.:\[\]]", key.rstrip("]"))[-1] if key else ""
        if isinstance(value, str):
            if redact_value(last, value) == REDACTED or looks_like_credential(value) or scrub(value) != value:
                value = REDACTED
        elif isinstance(value, Mapping | list | tuple | set):
            value = None  # never echo whole sub-documents (they may hold secrets)
        out["value"] = value
        out["key"] = scrub(key)
        out["message"] = scrub(str(out.get("message", "")))
        return out

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value!r}"
        return f"{self.key}{shown}: {self.message}"


class ConfigError(ValueError):
    """A stack configuration is invalid. ``issues`` holds every problem found; ``str()`` lists them one per line
    (each already redacted, see :class:`ConfigIssue`)."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"invalid stack configuration ({len(issues)} problem(s)):\n{lines}")


def config_key(loc: tuple[int | str, ...]) -> str:
    out = CONFIG_NAMESPACE + ":"
    first = True
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += part if first else f".{part}"
        first = False
    return out


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The section model under ``root`` (the stack's ``ModelConfig``, ``GatewayConfig`` ...) at a pydantic error
    location, or None."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if isinstance(part, int):
            if origin is not tuple or not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            found = model_field(current, part)
            if found is None:
                return None
            current = found[1]
        elif origin in (typing.Union, types.UnionType):  # discriminated union: the tag is in the location
            members = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tagged = [
                m
                for m in members
                if part == m.__name__
                or ("cloud" in m.model_fields and part in typing.get_args(m.model_fields["cloud"].annotation))
            ]
            if not tagged:
                return None
            current = tagged[0]
        elif origin is Mapping and len(args) == 2:
            current = args[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def did_you_mean(word: str, candidates: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``candidates`` to ``word`` (difflib ratio >= 0.6, case
    ignored), else ``""``."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


def from_validation_error(exc: ValidationError, root: type[BaseModel]) -> list[ConfigIssue]:
    """One :class:`ConfigIssue` per pydantic error of validating ``root``: keys as ``llmd:`` paths, "missing" as "is
    required", an unknown key with the allowed keys and a did-you-mean hint."""
    issues: list[ConfigIssue] = []
    errors = exc.errors(include_url=False)
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(err["loc"]) and other["loc"][: len(err["loc"])] == err["loc"] for other in errors
        ):
            continue  # pydantic also counts the invalid items as missing; the item errors say it all
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if err["type"] == "missing":
            value = None
            message = "is required"
        elif err["type"] == "extra_forbidden":
            model = _model_at(root, loc[:-1])
            allowed = sorted((f.alias or n) for n, f in model.model_fields.items()) if model is not None else []
            hint = did_you_mean(str(loc[-1]), allowed) if allowed else ""
            message = (
                f"unknown key{hint} (keys are camelCase); allowed: {', '.join(allowed)}"
                if allowed
                else ("unknown key (check the spelling; keys are camelCase)")
            )
        if len(loc) > 1 and loc[0] == "target" and loc[1] in ("gcp", "aws", "existing"):
            loc = (loc[0], *loc[2:])  # the discriminator's tag is not a key of the stack file
        issues.append(ConfigIssue(key=config_key(loc), value=value, message=message))
    return issues


def dedupe(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    """``issues`` without repeats and, where a key has a precise issue, without a vaguer one of the same key."""
    seen: set[tuple[str, str]] = set()
    out = []
    for issue in issues:
        if (issue.key, issue.message) not in seen:
            seen.add((issue.key, issue.message))
            out.append(issue)
    return out
