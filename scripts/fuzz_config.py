"""A bounded fuzz of the config path: N mutated stack files through ``pulumi-llmd render``, in-process.

Each file is a reference stack (``stacks/``) with one mutation. Counted per file:

* **crash**: exit 3 (the program failed for another reason than its config), any other exit code than 0/1/2/4/5,
  or a Python traceback in the output;
* **hang**: the render took longer than ``--timeout`` seconds (default 10; interrupted with SIGALRM);
* **accepted nonsense**: a mutation that is always invalid (a misspelled ``llmd`` namespace or key, a boolean for a
  number, a duplicate key, a reserved namespace, a secret in plain text / extraEnv / extraArgs, an alias bomb, deep
  nesting, bytes that are not UTF-8 ...) rendered with exit 0;
* **leak**: a secret planted by the mutation appears in the output.

Usage: ``.venv/bin/python scripts/fuzz_config.py [-n 300] [--seed 12] [--no-twin] [--timeout 10]``; prints the counts
and one example per finding class, exits 1 when any count is non-zero. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PLANTED = "hf_" + "Fz9q" * 8  # credential-shaped, never a real token

Mutation = Callable[[dict[str, Any], random.Random], "str | bytes | dict[str, Any]"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _pick(config: dict[str, Any], rng: random.Random, want: Callable[[Any], bool]) -> tuple[Any, Any] | None:
    found = []
    for path in _paths(config):
        if not path:
            continue
        parent: Any = config
        for part in path[:-1]:
            parent = parent[part]
        if want(parent[path[-1]]):
            found.append((parent, path[-1]))
    return rng.choice(found) if found else None


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return rng.choice([word[:i] + word[i + 1 :], word[:i] + word[i] + word[i:], word.upper(), word + "_", word + "s"])


# --- always-invalid mutations (exit 0 = accepted nonsense) ----------------------------------------------------------


def namespace_typo(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    key = rng.choice([k for k in config if k.startswith("llmd:")])
    ns = rng.choice(["llmdd", "llm-d", "LLMD", "llmd_", "lmd", "Llmd", "llm"])
    config[f"{ns}:{key.split(':', 1)[1]}"] = config.pop(key)
    return config


def key_typo(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    picked = _pick(config, rng, lambda v: isinstance(v, dict) and bool(v))
    assert picked is not None
    mapping = picked[0][picked[1]]
    key = rng.choice(list(mapping))
    if ":" in key:
        return namespace_typo(config, rng)
    new = _typo(key, rng)
    if new == key or new in mapping:
        new = key + "x"
    mapping[new] = mapping.pop(key)
    return config


def bool_for_number(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    picked = _pick(config, rng, lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    if picked is None:
        return namespace_typo(config, rng)
    picked[0][picked[1]] = rng.choice([True, False])
    return config


def reserved_namespace(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    config["llmd:namespace"] = rng.choice(["kube-system", "default", "kube-public", "istio-system", "kueue-system"])
    return config


def plain_hf_token(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        config["llmd:hfToken"] = PLANTED
    else:
        config["llmd:models"][0]["hfToken"] = PLANTED
    return config


def secret_in_env(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    model = config["llmd:models"][0]
    if rng.random() < 0.5:
        model.setdefault("extraEnv", {})[rng.choice(["HF_TOKEN", "OPENAI_API_KEY", "SOMETHING"])] = PLANTED
    else:
        model["extraArgs"] = rng.choice([[f"--api-key={PLANTED}"], ["--api-key", PLANTED], [f"--hf-token={PLANTED}"]])
    return config


def unknown_key_with_secret(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    config["llmd:models"][0][rng.choice(["hfTokn", "apiKey", "token"])] = PLANTED
    return config


def duplicate_key(config: dict[str, Any], rng: random.Random) -> str:
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    lines = text.splitlines(keepends=True)
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.strip().startswith("-") and i > 0]
    i = rng.choice(candidates)
    return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def alias_bomb(config: dict[str, Any], rng: random.Random) -> str:
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    out = "  llmd:bomb0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, rng.randint(8, 10)):
        out += f"  llmd:bomb{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return text + out


def deep_nesting(config: dict[str, Any], rng: random.Random) -> str:
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    depth = rng.randint(200, 20000)
    return text + "  llmd:deep: " + "[" * depth + "]" * depth + "\n"


def not_utf8(config: dict[str, Any], rng: random.Random) -> bytes:
    raw = yaml.safe_dump({"config": config}, sort_keys=False).encode()
    i = rng.randrange(len(raw))
    return raw[:i] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]) + raw[i:]


def secure_where_none_belongs(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    config["llmd:models"][0]["servedName"] = {"secure": "v1:" + "QUJD" * 6}
    return config


NONSENSE: dict[str, Mutation] = {
    "namespace-typo": namespace_typo,
    "key-typo": key_typo,
    "bool-for-number": bool_for_number,
    "reserved-namespace": reserved_namespace,
    "plain-hf-token": plain_hf_token,
    "secret-in-env-or-args": secret_in_env,
    "unknown-key-with-secret": unknown_key_with_secret,
    "duplicate-key": duplicate_key,
    "alias-bomb": alias_bomb,
    "deep-nesting": deep_nesting,
    "not-utf8": not_utf8,
    "secure-where-none-belongs": secure_where_none_belongs,
}

# --- mutations whose result may be valid (only crashes and hangs count) -----------------------------------------------

_SCALARS: list[Any] = [None, True, 0, -1, 2**63, 1e308, float("inf"), "", "x" * 300, "[secret]", "1.35", [], {}, [1]]


def retype(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    picked = _pick(config, rng, lambda v: True)
    assert picked is not None
    picked[0][picked[1]] = copy.deepcopy(rng.choice(_SCALARS))
    return config


def drop(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    picked = _pick(config, rng, lambda v: True)
    assert picked is not None
    parent, key = picked
    parent.pop(key)
    return config


def truncate(config: dict[str, Any], rng: random.Random) -> str:
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    return text[: rng.randrange(len(text))]


RANDOM: dict[str, Mutation] = {"retype": retype, "drop": drop, "truncate": truncate}


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def run_one(path: Path, out: Path, *, timeout: float, twin: bool) -> tuple[int | str, str, float]:
    """Render ``path`` through the CLI in-process: ``(exit code or 'hang', output, seconds)``."""
    from typer.testing import CliRunner

    from pulumi_llmd.cli import app

    args = ["render", str(path), "--out", str(out), "--project-dir", str(REPO)]
    args += ["--quiet"] if "--quiet" in _render_help() else ["-q"]
    if not twin:
        args.append("--no-twin")
    started = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=True)
        code: int | str = result.exit_code
        text = result.output + (
            f"\n{type(result.exception).__name__}" if result.exception and code not in (0, 1, 2, 3, 4, 5) else ""
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            code, text = (
                3,
                f"{text}\nTraceback (most recent call last): {type(result.exception).__name__}: "
                f"{str(result.exception)[:300]}",
            )
    except _Timeout:
        code, text = "hang", ""
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return code, text, time.perf_counter() - started


_HELP: list[str] = []


def _render_help() -> str:
    if not _HELP:
        from typer.testing import CliRunner

        from pulumi_llmd.cli import app

        _HELP.append(CliRunner().invoke(app, ["render", "--help"]).output)
    return _HELP[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="mutated stack files (default 300)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a render counts as a hang")
    parser.add_argument("--no-twin", action="store_true", help="skip the first-deploy twin (faster)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = [(p.name, yaml.safe_load(p.read_text())["config"]) for p in sorted((REPO / "stacks").glob("Pulumi.*.yaml"))]
    kinds = [*((k, m, True) for k, m in NONSENSE.items()), *((k, m, False) for k, m in RANDOM.items())]
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.n):
            seed_name, seed = rng.choice(seeds)
            kind, mutate, nonsense = rng.choice(kinds)
            mutated = mutate(copy.deepcopy(seed), rng)
            if isinstance(mutated, dict):
                mutated = yaml.safe_dump({"config": mutated}, sort_keys=False, allow_unicode=True)
            path = Path(tmp) / f"Pulumi.fuzz{index}.yaml"
            path.write_bytes(mutated.encode() if isinstance(mutated, str) else mutated)
            shutil.rmtree(Path(tmp) / "out", ignore_errors=True)  # judge only what this render wrote
            with contextlib.redirect_stderr(io.StringIO()):
                code, text, seconds = run_one(path, Path(tmp) / "out", timeout=args.timeout, twin=not args.no_twin)
            slowest = max(slowest, seconds)
            outputs = text + "".join(
                p.read_text(errors="replace") for p in (Path(tmp) / "out").glob("*") if p.is_file()
            )
            where = f"{seed_name} + {kind}"
            finding = None
            if "_Timeout" in text:  # the alarm fired inside the render and the CLI reported it
                code = "hang"
            if code == "hang":
                finding = "hang"
            elif code not in (0, 1, 2, 4, 5) or "Traceback (most recent call last)" in text:
                finding = "crash"
            elif nonsense and code == 0:
                finding = "accepted-nonsense"
            elif PLANTED in outputs:
                finding = "leak"
            counts["files"] += 1
            counts[f"exit {code}"] += 1
            if finding:
                counts[finding] += 1
                examples.setdefault(f"{finding} ({kind})", f"{where}: exit {code}: {text.strip()[-300:]}")
    print(json.dumps(dict(sorted(counts.items())), indent=2))
    print(f"slowest render: {slowest:.1f} s")
    for key, example in sorted(examples.items()):
        print(f"- {key}: {example}")
    return 1 if any(counts[k] for k in ("crash", "hang", "accepted-nonsense", "leak")) else 0


if __name__ == "__main__":
    sys.exit(main())
