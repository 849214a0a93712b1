"""The offline render's code cache (render/code_cache.py) changes nothing but speed: SDK modules loaded with postponed
annotations give the types a normal import gives; a stale, corrupt or foreign entry is ignored and rewritten;
concurrent writers leave a valid entry; the CLI renders the same bytes with a cold and a warm cache; a program run
outside the CLI (``pulumi up``) never uses a cache."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_llmd.render import code_cache
from pulumi_llmd.render.code_cache import CodeCache, default_cache_dir, plain_code

REPO = Path(__file__).resolve().parent.parent

#: Prints, for a few generated SDK modules, everything a user or pulumi can observe of their members: kinds, class
#: dicts, TypedDict hints and required keys, the Pulumi types pulumi resolves for input, output and resource classes,
#: and the module's globals. Argument: "cached" (the render's loader) or "normal".
_PROBE = """
import importlib, json, sys, typing
import pulumi
from pulumi import _types
if sys.argv[1] == "cached":
    from pulumi_llmd.render.code_cache import CodeCache, default_cache_dir
    from pulumi_llmd.render.lazy_sdk import install_render_imports
    assert install_render_imports(CodeCache.open(default_cache_dir()))
hints_ns = {"Output": pulumi.Output, "T": type(None)}
out = {}
for name in sys.argv[2:]:
    module = importlib.import_module(name)
    out[name] = sorted(vars(module))
    for attr in sorted(getattr(module, "__all__", [])):
        obj = getattr(module, attr)
        info = {"type": type(obj).__name__, "module": getattr(obj, "__module__", None)}
        info["doc"] = getattr(obj, "__doc__", None)
        if typing.is_typeddict(obj):
            info["hints"] = repr(typing.get_type_hints(obj, localns=hints_ns))
            info["required"] = sorted(obj.__required_keys__)
            info["optional"] = sorted(obj.__optional_keys__)
            info["bases"] = [b is typing.TypedDict for b in obj.__orig_bases__] + [repr(obj.__mro__), repr(type(obj))]
        elif isinstance(obj, type):
            info["dict"] = sorted(vars(obj))
            if _types.is_input_type(obj):
                info["types"] = repr(_types.input_type_types(obj))
                info["names"] = repr(_types.input_type_py_to_pulumi_names(obj))
            elif _types.is_output_type(obj):
                info["types"] = repr(_types.output_type_types(obj))
            elif issubclass(obj, pulumi.Resource):
                info["types"] = repr(_types.resource_types(obj))
        out[name + "." + attr] = info
print(json.dumps(out, sort_keys=True))
"""
_MODULES = [
    "pulumi_gcp.container._inputs",
    "pulumi_gcp.container.outputs",
    "pulumi_gcp.container.node_pool",
    "pulumi_kubernetes.core.v1._inputs",
    "pulumi_kubernetes.apps.v1._inputs",
    "pulumi_kubernetes.apps.v1.outputs",
    "pulumi_kubernetes.apps.v1.Deployment",
]


def _probe(mode: str, cache: Path) -> dict[str, Any]:
    env = {**os.environ, code_cache.CACHE_ENV: str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, *_MODULES], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_sdk_modules_with_postponed_annotations_equal_a_normal_import(tmp_path: Path) -> None:
    normal = _probe("normal", tmp_path)
    built = _probe("cached", tmp_path)  # compiles and stores the entries
    assert any(tmp_path.rglob("*.code"))
    loaded = _probe("cached", tmp_path)  # loads them
    assert len(normal) > 1000
    for name, info in normal.items():
        assert built.get(name) == info, name
        assert loaded.get(name) == info, name


def _source(tmp_path: Path, text: str = "VALUE = 1\n") -> Path:
    source = tmp_path / "mod.py"
    source.write_text(text)
    return source


def _run(code: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace


def test_an_entry_is_written_once_and_then_loaded(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    source = _source(tmp_path)
    builds: list[str] = []

    def build(data: bytes, path: str) -> Any:
        builds.append(path)
        return plain_code(data, path)

    assert _run(cache.get("plain", str(source), build))["VALUE"] == 1
    assert _run(cache.get("plain", str(source), build))["VALUE"] == 1
    assert builds == [str(source)]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cache.entry_path("plain", str(source)).name]


def test_a_stale_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    cache = CodeCache(tmp_path / "cache")
    source = _source(tmp_path, "VALUE = 1\n")
    assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 1
    source.write_text("VALUE = 22\n")  # another size
    assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 22
    stat = source.stat()
    source.write_text("VALUE = 33\n")  # same size: the modification time tells
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 33
    entry = cache.entry_path("plain", str(source))
    header = cache._header("plain", str(source), source.stat())
    assert entry.read_bytes().startswith(header)  # the entry now holds the new code
    assert _run(marshal.loads(entry.read_bytes()[len(header) :]))["VALUE"] == 33


@pytest.mark.parametrize(
    "damage",
    [
        lambda header, data: data[: len(data) // 2],  # truncated code
        lambda header, data: b"",  # empty
        lambda header, data: data.replace(b"pulumi-llmd code cache", b"pulumi-llmd code cachX"),  # foreign format
        lambda header, data: header + b"\xff\x00garbage",  # not marshal data
        lambda header, data: header + marshal.dumps(42),  # not code
    ],
)
def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path, damage: Any) -> None:
    (tmp_path / "cache").mkdir()
    cache = CodeCache(tmp_path / "cache")
    source = _source(tmp_path)
    cache.get("plain", str(source), plain_code)
    entry = cache.entry_path("plain", str(source))
    good = entry.read_bytes()
    entry.write_bytes(damage(cache._header("plain", str(source), source.stat()), good))
    assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 1
    assert entry.read_bytes() == good


def test_concurrent_writers_leave_one_valid_entry(tmp_path: Path) -> None:
    """Processes and threads building the same entry at once all get the code; the entry is whole; no temporary
    file is left behind."""
    (tmp_path / "cache").mkdir()
    source = _source(tmp_path, "VALUE = 7\n" + "X = [1, 2, 3]\n" * 2000)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pulumi_llmd.render.code_cache import CodeCache, plain_code\n"
        "cache = CodeCache(Path(sys.argv[1]))\n"
        "for _ in range(20):\n"
        "    cache.entry_path('plain', sys.argv[2]).unlink(missing_ok=True)\n"
        "    namespace = {}\n"
        "    exec(cache.get('plain', sys.argv[2], plain_code), namespace)\n"
        "    assert namespace['VALUE'] == 7\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "cache"), str(source)], cwd=REPO)
        for _ in range(4)
    ]
    cache = CodeCache(tmp_path / "cache")
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(50):
                assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 7
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    assert not failures
    assert _run(cache.get("plain", str(source), plain_code))["VALUE"] == 7
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".code"]


def test_an_unwritable_or_disabled_cache_is_not_used(tmp_path: Path) -> None:
    assert default_cache_dir({code_cache.CACHE_ENV: "off"}) is None
    assert default_cache_dir({code_cache.CACHE_ENV: ""}) is None
    assert CodeCache.open(None) is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert CodeCache.open(blocker / "cache") is None  # a file in the way


def test_the_cache_folder_follows_xdg_and_the_interpreter() -> None:
    tag = sys.implementation.cache_tag
    assert default_cache_dir({"XDG_CACHE_HOME": "/x/cache"}) == Path("/x/cache/pulumi-llmd/code") / tag
    assert default_cache_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache/pulumi-llmd/code" / tag
    assert default_cache_dir({code_cache.CACHE_ENV: "/y"}) == Path("/y") / tag


def test_schema_json_from_the_cache_equals_json(tmp_path: Path) -> None:
    from pulumi_llmd.render import validation

    cache = CodeCache(tmp_path)
    folder = validation._schema_root().joinpath(validation._schema_folder("1.35"))
    path = Path(str(folder.joinpath("_definitions.json")))
    parsed = json.loads(path.read_text(encoding="utf-8"))
    assert cache.load("json", str(path), validation._parse_json, object) == parsed  # built
    assert cache.load("json", str(path), validation._parse_json, object) == parsed  # loaded


def test_the_cli_renders_the_same_bytes_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    stack = "gke-h100-optimized-baseline"
    golden = REPO / "goldens" / stack
    env = {**os.environ, code_cache.CACHE_ENV: str(tmp_path / "cache")}
    cli = [sys.executable, "-c", "from pulumi_llmd.cli import main; main()", "render", stack, "--quiet"]
    for run in ("cold", "warm"):
        out = tmp_path / run
        started = time.perf_counter()
        done = subprocess.run([*cli, "--out", str(out)], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert time.perf_counter() - started < 120
        for name in ("resources.json", "manifests.yaml", "render.json"):
            assert (out / name).read_bytes() == (golden / name).read_bytes(), (run, name)
    assert any((tmp_path / "cache").rglob("*.code"))


def test_a_program_run_outside_the_cli_uses_no_cache() -> None:
    """``pulumi up`` runs the project's ``__main__.py``: no code cache, no lasting import finder."""
    script = (
        "import sys\n"
        "from pulumi_llmd.render.engine import run_program\n"
        "from pulumi_llmd.render.code_cache import active_cache\n"
        "from pulumi_llmd.render.render import load_stack_config\n"
        "from pathlib import Path\n"
        "config, secrets = load_stack_config(Path('stacks/Pulumi.gke-h100-optimized-baseline.yaml'))\n"
        "run = run_program(Path('__main__.py'), project='llmd', stack='s', config=config, secret_keys=secrets)\n"
        "run.raise_error()\n"
        "assert active_cache() is None\n"
        "assert not [f for f in sys.meta_path if 'pulumi_llmd' in type(f).__module__], sys.meta_path\n"
        "assert not [m for m in sys.modules.values() if 'Cached' in type(getattr(m, '__loader__', None)).__name__]\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_engine_is_empty_function_answers_as_the_sdk() -> None:
    from pulumi import _utils

    from pulumi_llmd.render.engine import _is_empty_function

    def empty() -> None: ...

    def documented() -> None:
        """Doc."""

    def returns_none() -> None:
        return None

    def setter(self: Any, value: Any) -> None:
        _utils.is_empty_function(value)

    def constant() -> int:
        return 1

    for fn in (empty, documented, returns_none, setter, constant, lambda: None, lambda: 2):
        assert _is_empty_function(fn) == _utils.is_empty_function(fn), fn
