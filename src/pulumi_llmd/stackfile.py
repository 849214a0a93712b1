"""Reading a stack file (``stacks/Pulumi.<stack>.yaml``) safely: a bounded YAML loader and the config it holds.

A stack file is untrusted input (a pull request can change it), so the loader refuses, with a
:class:`StackFileError` that names the place, before any value reaches the program:

* files larger than :data:`MAX_FILE_BYTES` and bytes that are not UTF-8 (the error names the byte offset);
* nesting deeper than :data:`MAX_DEPTH` collections (PyYAML's composer recurses once per level: a file of 10,000
  ``[`` would otherwise end in a ``RecursionError``);
* alias bombs ("billion laughs"): anchors and aliases are allowed (Pulumi's Go YAML reads them), but the document
  with every alias expanded may hold at most :data:`MAX_NODES` nodes, and an alias may not contain itself. PyYAML
  shares aliased objects, so loading is cheap; it is every later walk of the data (JSON encoding, validation) that
  would expand them - a 524-byte file grew to gigabytes. The expanded size is counted once, memoized per node;
* duplicate mapping keys (YAML 1.2 section 3.2.1.1: keys are unique; PyYAML would keep the last silently), keys that
  are not strings, and values that are not JSON data (``!!binary``, ``!!set``, ``!!python/...``): Pulumi hands config
  to a program as JSON (pulumi/pulumi PR #3342, "Support lists and maps in config"), so nothing else can arrive.

Date-like scalars (``2024-01-01``) stay strings, as Go's YAML decoders give them to ``interface{}`` values.

``secure:`` values (encrypted with the stack's secrets provider, unreadable without the Pulumi CLI) become
:data:`SECRET_MARKER` wherever they are, at the top level (``llmd:hfToken: {secure: ...}``) or nested
(``pulumi config set --secret --path 'llmd:models[0].hfToken'``). Like the Pulumi engine, the loader lists a
top-level key as secret when its value is or contains a secure value (pulumi/pulumi
``sdk/go/common/resource/config/value.go``: an object value holding a secure leaf is itself secure), and also
records the exact paths of the secure leaves (the engine does not pass those on; the config parser uses them to
name a misplaced secret precisely).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: The marker that stands in for a ``secure:`` value (same text as the render's secret marker).
SECRET_MARKER: Final = "[secret]"
#: Largest stack file read, bytes (the reference stacks are about 2 KB).
MAX_FILE_BYTES: Final = 1024 * 1024
#: Deepest nesting of mappings and sequences (the reference stacks nest 5 deep).
MAX_DEPTH: Final = 32
#: Most nodes the document may hold with every alias expanded.
MAX_NODES: Final = 50_000


class StackFileError(ValueError):
    """A stack file that cannot be read: missing, too large, not UTF-8, not YAML, refused by the bounded loader
    (too deep, alias bomb, duplicate key, non-string key, non-JSON value), or without a ``config`` mapping.

    The message names the file and the place (line, byte offset or key) and never echoes a value.
    """


def _where(node: Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with a nesting limit, duplicate-key and non-string-key errors, and no timestamp type."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise StackFileError(
                    f"nesting deeper than {MAX_DEPTH} levels at line {mark.line + 1}; allowed: at most {MAX_DEPTH}"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                raise StackFileError(
                    f"mapping key {shown!r} at {_where(key_node)} is not a string; allowed: string keys "
                    '(quote it, e.g. "1": ...)'
                )
            key = str(key_node.value)
            if key in seen:
                raise StackFileError(
                    f"duplicate key {key!r} at {_where(key_node)} (first at {_where(seen[key])}); "
                    "allowed: each key once per mapping"
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# Date-like scalars stay strings (no datetime objects in config data).
_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(root: Node) -> int:
    """Nodes of the document with every alias expanded, stopping past :data:`MAX_NODES`; raises StackFileError
    for an alias bomb or a node that contains itself."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise StackFileError(f"the anchor used at {_where(node)} contains itself; allowed: non-recursive aliases")
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
                if total > MAX_NODES:
                    break
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > MAX_NODES:
                    break
        active.discard(key)
        if total > MAX_NODES:
            raise StackFileError(
                f"the document expands to more than {MAX_NODES} nodes (aliases at {_where(node)} repeat "
                f"collections); allowed: at most {MAX_NODES} nodes with every alias expanded"
            )
        sizes[key] = total
        return total

    return size(root)


def _decode(data: bytes, path: Path | str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise StackFileError(f"{path}: {len(data)} bytes; allowed: at most {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StackFileError(
            f"{path}: not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}; allowed: UTF-8 text"
        ) from None
    return text.removeprefix("\ufeff")


def load_yaml(data: bytes | str, path: Path | str = "<stack file>") -> Any:
    """Parse one YAML document with the bounded loader (see the module docstring for what is refused).

    Args:
        data: the file's bytes (decoded as UTF-8) or text.
        path: shown in error messages.

    Returns plain JSON data (dicts with string keys, lists, str, int, float, bool, None). Raises StackFileError.
    """
    text = _decode(data, path) if isinstance(data, bytes) else data
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise StackFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes; allowed: at most {MAX_FILE_BYTES} bytes")
    try:
        loader = _BoundedLoader(text)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        value = loader.construct_document(node)
    except StackFileError as exc:
        raise StackFileError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise StackFileError(f"{path}: nesting too deep; allowed: at most {MAX_DEPTH} levels") from None
    except (ValueError, OverflowError):
        # PyYAML's scanner turns an escape such as "\U99999999" into chr(code) unchecked (yaml/scanner.py,
        # scan_flow_scalar_non_spaces) and raises ValueError / OverflowError instead of a YAMLError.
        line = loader.get_mark().line + 1
        raise StackFileError(
            f"{path}: not valid YAML: an escape sequence near line {line} is not a Unicode character; "
            "allowed: \\x, \\u, \\U escapes up to U+10FFFF"
        ) from None
    finally:
        loader.dispose()
    _check_json(value, path, "")
    return value


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A parser error without the snippet of the file PyYAML quotes (it could hold a secret)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} at position {exc.position} is not allowed in YAML"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return f"{exc.problem or exc.context or 'malformed'}{where}"
    return type(exc).__name__


def _check_json(value: Any, path: Path | str, where: str) -> None:
    if value is None or isinstance(value, str | bool | int | float):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, path, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(item, path, f"{where}.{key}" if where else str(key))
        return
    raise StackFileError(
        f"{path}: {where or 'the document'} is a YAML {type(value).__name__}; allowed: strings, numbers, booleans, "
        "null, lists and mappings (JSON data)"
    )


@dataclass(frozen=True)
class StackFile:
    """The config of a stack file as Pulumi hands it to a program.

    ``values`` maps each fully qualified key (``llmd:models``) to its string value (structured values JSON-encoded,
    secure values replaced by :data:`SECRET_MARKER`); ``secret_keys`` are the top-level keys that are or contain a
    secure value; ``secret_paths`` the config paths of every secure value (``llmd:models[0].hfToken``).
    """

    values: dict[str, str]
    secret_keys: tuple[str, ...] = ()
    secret_paths: tuple[str, ...] = field(default=())


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _mask_secure(value: Any, where: str, found: list[str]) -> Any:
    if _is_secure(value):
        found.append(where)
        return SECRET_MARKER
    if isinstance(value, Mapping):
        return {
            k: _mask_secure(v, f"{where}.{k}" if _PLAIN_KEY.match(k) else f'{where}["{k}"]', found)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_secure(v, f"{where}[{i}]", found) for i, v in enumerate(value)]
    return value


_PLAIN_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def stack_config(doc: Any, path: Path | str = "<stack file>") -> StackFile:
    """The ``config`` section of a parsed stack file as a :class:`StackFile` (raises StackFileError when the
    document is not a mapping or ``config`` is not a mapping of keys to values)."""
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise StackFileError(f"{path}: a stack file is a mapping with a 'config' key; got a {type(doc).__name__}")
    raw = doc.get("config", {})
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values; got a {type(raw).__name__}")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    paths: list[str] = []
    for key, value in raw.items():
        found: list[str] = []
        masked = _mask_secure(value, str(key), found)
        if found:
            secret_keys.append(str(key))
            paths.extend(found)
        values[str(key)] = masked if isinstance(masked, str) else json.dumps(masked)
    return StackFile(values=values, secret_keys=tuple(sorted(secret_keys)), secret_paths=tuple(sorted(paths)))


def read_stack_file(path: Path) -> StackFile:
    """Read, bound-check and parse the stack file at ``path`` (raises StackFileError; see the module docstring)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StackFileError(f"{path}: {size} bytes; allowed: at most {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise StackFileError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return stack_config(load_yaml(data, path), path)


def parse_stack_text(text: bytes | str, path: Path | str = "<stack file>") -> StackFile:
    """:func:`read_stack_file` for text already in memory (tests, the fuzzer)."""
    return stack_config(load_yaml(text, path), path)
