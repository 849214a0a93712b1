"""Bad input: the whole config parser (stack file text -> bounded loader -> ``parse_config_values``) either returns a
valid stack or raises a clean error naming the key - never another exception, never a hang, and nothing registered.

A property-based test (hypothesis, 1,000 examples per run) mutates the reference stacks' config: keys dropped,
duplicated, retyped, renamed with typos, random scalars, deep nesting, misspelled namespaces, YAML-level damage.
Unit tests pin each class of bad input the bounded loader and the parser refuse.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_llmd.blueprints import ConfigError, main, parse_config_values, parse_stack_config
from pulumi_llmd.blueprints.config import ParsedStack
from pulumi_llmd.render.engine import run_program
from pulumi_llmd.stackfile import MAX_DEPTH, MAX_FILE_BYTES, StackFileError, parse_stack_text

REPO = Path(__file__).resolve().parent.parent
STACKS = sorted((REPO / "stacks").glob("Pulumi.*.yaml"))
SEEDS: list[dict[str, Any]] = [yaml.safe_load(p.read_text())["config"] for p in STACKS]


def parse_text(text: bytes | str) -> ParsedStack:
    """The whole config parser: stack file text -> bounded loader -> StackConfig + secrets."""
    stack = parse_stack_text(text)
    return parse_config_values(stack.values, stack.secret_keys, stack.secret_paths)


def assert_clean(text: bytes | str) -> ParsedStack | Exception:
    """Parse ``text``; only a valid stack, a StackFileError or a ConfigError whose issues name a key may come out."""
    try:
        return parse_text(text)
    except StackFileError as exc:
        assert str(exc)
        return exc
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.key and issue.message, issue
        return exc


# --- mutations ----------------------------------------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["kube-system", "", "[secret]", "1.35", "yes", "~", "2024-01-01", "-1", "0x10", "hf_" + "a1" * 12]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _typo(word: str, data: st.DataObject) -> str:
    if not word:
        return "x"
    kind = data.draw(st.sampled_from(["drop", "double", "swap", "case", "dash", "underscore"]))
    i = data.draw(st.integers(min_value=0, max_value=len(word) - 1))
    if kind == "drop":
        return word[:i] + word[i + 1 :] or "x"
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "case":
        return word.upper()
    if kind == "dash":
        return word[:i] + "-" + word[i:]
    return word + "_"


def _mutate(config: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    paths = _paths(config)[1:]
    path = data.draw(st.sampled_from(paths))
    parent: Any = config
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    op = data.draw(st.sampled_from(["drop", "retype", "rename", "nest", "add", "duplicate", "namespace"]))
    if op == "namespace" and len(path) == 1 and isinstance(last, str) and ":" in last:
        ns, _, key = last.partition(":")
        parent[f"{_typo(ns, data)}:{key}"] = parent.pop(last)
    elif op == "drop":
        if isinstance(parent, dict):
            parent.pop(last)
        else:
            parent.pop(last)
    elif op == "retype":
        parent[last] = data.draw(_VALUES)
    elif op == "rename" and isinstance(parent, dict) and isinstance(last, str):
        parent[_typo(last, data)] = parent.pop(last)
    elif op == "nest":
        depth = data.draw(st.integers(min_value=1, max_value=60))
        value: Any = parent[last]
        for _ in range(depth):
            value = [value] if data.draw(st.booleans()) else {"a": value}
        parent[last] = value
    elif op == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=15))] = data.draw(_VALUES)
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[last], default=str)))
    else:
        parent[last] = data.draw(_VALUES)
    return config


def _damage_text(text: str, data: st.DataObject) -> str | bytes:
    op = data.draw(st.sampled_from(["none", "none", "none", "dup-line", "alias-bomb", "bytes", "truncate", "tab"]))
    lines = text.splitlines(keepends=True)
    if op == "dup-line" and len(lines) > 1:
        i = data.draw(st.integers(min_value=1, max_value=len(lines) - 1))
        return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if op == "alias-bomb":
        return text + _bomb(data.draw(st.integers(min_value=3, max_value=12)))
    if op == "bytes":
        raw = text.encode()
        i = data.draw(st.integers(min_value=0, max_value=len(raw)))
        return raw[:i] + data.draw(st.binary(min_size=1, max_size=4)) + raw[i:]
    if op == "truncate":
        return text[: data.draw(st.integers(min_value=0, max_value=len(text)))]
    if op == "tab":
        return text.replace("  ", "\t", 1)
    return text


def _bomb(levels: int) -> str:
    out = "  llmd:bomb0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        out += f"  llmd:bomb{i}: &a{i} [{refs}]\n"
    return out


@settings(
    max_examples=int(os.environ.get("LLMD_FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_the_config_parser_gives_a_valid_stack_or_a_clean_error(data: st.DataObject) -> None:
    config = json.loads(json.dumps(data.draw(st.sampled_from(SEEDS))))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        if not _paths(config)[1:]:
            break
        config = _mutate(config, data)
    text = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True)
    started = time.perf_counter()
    assert_clean(_damage_text(text, data))
    assert time.perf_counter() - started < 5.0, "no hang"


# --- nothing registered when the config is refused ------------------------------------------------------------------

_BAD_STACKS = {
    "namespace typo": {"llmdd:gateway": {"className": "istio"}},
    "reserved namespace": {"llmd:namespace": "kube-system"},
    "bool for int": {
        "llmd:models": [
            {"name": "random", "huggingFaceId": "random", "path": "simulated-accelerators", "replicas": True}
        ]
    },
    "plain hf token": {"llmd:hfToken": "hf_" + "Ab1" * 10},
    "api key arg": {
        "llmd:models": [
            {
                "name": "random",
                "huggingFaceId": "random",
                "path": "simulated-accelerators",
                "extraArgs": ["--api-key=abc"],
            }
        ]
    },
}


@pytest.mark.parametrize("case", sorted(_BAD_STACKS))
def test_a_refused_config_registers_nothing(case: str) -> None:
    seed = next(s for p, s in zip(STACKS, SEEDS, strict=True) if "kind-simulated" in p.name)
    config = {**seed, **_BAD_STACKS[case]}
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    run = run_program(main, project="llmd", stack="t", config=values)
    assert run.error is not None, case
    assert "invalid stack configuration" in str(run.error)
    assert run.resources == []


# --- each class of bad input --------------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_fast() -> None:
    text = "config:\n" + _bomb(12)  # 9**12 nodes when expanded
    started = time.perf_counter()
    with pytest.raises(StackFileError, match="expands to more than"):
        parse_text(text)
    assert time.perf_counter() - started < 1.0


def test_a_self_referencing_alias_is_refused() -> None:
    with pytest.raises(StackFileError):
        parse_text("config:\n  llmd:models: &a [*a]\n")


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    text = "config:\n  llmd:models: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(StackFileError, match=f"nesting deeper than {MAX_DEPTH}"):
        parse_text(text)


def test_a_duplicate_key_is_an_error_naming_the_key_and_both_lines() -> None:
    text = "config:\n  llmd:namespace: a\n  llmd:namespace: b\n"
    with pytest.raises(StackFileError, match=r"duplicate key 'llmd:namespace' at line 3.*first at line 2"):
        parse_text(text)


def test_non_utf8_is_an_error_naming_the_byte_offset() -> None:
    with pytest.raises(StackFileError, match="byte 0xff at byte offset 9"):
        parse_text(b"config:\n \xff")


def test_an_oversized_file_is_refused() -> None:
    with pytest.raises(StackFileError, match="at most"):
        parse_text("#" * (MAX_FILE_BYTES + 1))


@pytest.mark.parametrize(
    "text",
    [
        "config:\n  1: x\n",
        "config:\n  ? [a, b]\n  : x\n",
        "config:\n  llmd:x: !!binary aGVsbG8=\n",
        "config:\n  llmd:x: !!set {a, b}\n",
        "config: [1, 2]\n",
        "- 1\n",
        "config:\n  llmd:x: !!python/object:os.system {}\n",
        "config: {llmd:namespace: 'unterminated\n",
        'config:\n  llmd:namespace: "\\U99999999"\n',  # PyYAML raises ValueError from chr(), not a YAMLError
        'config:\n  llmd:namespace: "\\UFFFFFFFFFF"\n',
    ],
)
def test_yaml_that_is_not_json_config_is_a_stack_file_error(text: str) -> None:
    with pytest.raises(StackFileError):
        parse_text(text)


def test_yaml_errors_do_not_quote_the_file() -> None:
    with pytest.raises(StackFileError) as info:
        parse_text("config:\n  llmd:hfToken: hf_" + "Qw3" * 10 + "\n  bad: [\n")
    assert "Qw3Qw3" not in str(info.value)


def test_dates_stay_strings() -> None:
    stack = parse_stack_text("config:\n  llmd:namespace: 2024-01-01\n")
    assert stack.values["llmd:namespace"] == "2024-01-01"


@pytest.mark.parametrize("namespace", ["llmdd", "llm-d", "LLMD", "llmd_", "lmd", "Llmd"])
def test_a_misspelled_llmd_namespace_is_an_error_with_a_did_you_mean(namespace: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_values({f"{namespace}:gateway": "{}", "llmd:target": '{"cloud": "existing"}'})
    issue = next(i for i in info.value.issues if i.key == f"{namespace}:gateway")
    assert "did you mean 'llmd:gateway'" in issue.message


def test_other_namespaces_are_left_alone() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_values({"gcp:project": "p", "aws:region": "us-east-1", "kubernetes:context": "c"})
    assert {i.key for i in info.value.issues} == {"llmd:target", "llmd:models"}


def test_a_key_without_namespace_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"e\.g\. llmd:models"):
        parse_config_values({"models": "[]"})


@pytest.mark.parametrize("namespace", ["kube-system", "default", "istio-system", "kueue-system", "kube-foo"])
def test_reserved_namespaces_are_refused(namespace: str) -> None:
    with pytest.raises(ConfigError, match="system or platform add-on namespace") as info:
        parse_stack_config(
            {
                "target": {"cloud": "existing"},
                "namespace": namespace,
                "models": [{"name": "r", "huggingFaceId": "random", "path": "simulated-accelerators"}],
            }
        )
    assert info.value.issues[0].key == "llmd:namespace"


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ({"tensorParallelSize": True}, "llmd:models[0].tensorParallelSize"),
        ({"gpuMemoryUtilization": False}, "llmd:models[0].gpuMemoryUtilization"),
        ({"router": {"replicas": True}}, "llmd:models[0].router.replicas"),
        ({"extraArgs": [True]}, "llmd:models[0].extraArgs[0]"),
    ],
)
def test_a_boolean_is_not_a_number(where: dict[str, Any], key: str) -> None:
    model = {"name": "r", "huggingFaceId": "random", "path": "simulated-accelerators", **where}
    with pytest.raises(ConfigError) as info:
        parse_stack_config({"target": {"cloud": "existing"}, "models": [model]})
    issue = next(i for i in info.value.issues if i.key == key)
    assert "allowed:" in issue.message


def test_an_unknown_top_level_key_gets_a_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="did you mean 'gateway'"):
        parse_stack_config({"target": {"cloud": "existing"}, "gatway": {}, "models": []})


def test_every_reference_stack_parses() -> None:
    for path in STACKS:
        result = assert_clean(path.read_bytes())
        assert isinstance(result, ParsedStack | ConfigError), path
