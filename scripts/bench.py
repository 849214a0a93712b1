"""Benchmark the offline render against the floor: bare resources registered by the Pulumi SDK, same mock engine.

For fleets of 1, 4, 16 and 64 models (each model on its own ``a3-highgpu-8g`` pool, its own InferencePool, endpoint
picker and HTTPRoute rule ``/m<i>``) the project's ``__main__.py`` runs under
:func:`pulumi_llmd.render.engine.run_program` and :func:`pulumi_llmd.render.render.build_result` normalizes and
schema-validates the result. The floor registers the same number of bare ``pulumi.CustomResource`` objects
(``test:index:Bare``, inputs ``{"x": 1}``) under the same ``run_program``. For reference, the "same-inputs floor"
registers as many bare resources carrying the very inputs the render produced: the SDK's own cost for them.

Every measurement runs in a fresh subprocess (the SDK's state is global, and memory should not leak between sizes).
Inside it, one small warm-up run first pays the one-time costs (lazy imports of pulumi-gcp and pulumi-kubernetes
modules, loading the Kubernetes OpenAPI definitions and compiling the schema validators), so the timed run shows
the cost that grows with the fleet; each size reports the best of ``--repeats`` runs (3). The flagship stack is also
timed cold, end to end, as ``pulumi-llmd render`` (best of 3 fresh processes).

Peak memory is the subprocess's peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``): the whole
interpreter with its imports, warm-up and measured run, not only the measured allocations.

    .venv/bin/python scripts/bench.py              # the table (Markdown) and the targets, ~3 minutes
    .venv/bin/python scripts/bench.py --sizes 1 4  # fewer sizes
    .venv/bin/python scripts/bench.py --twin-only  # the first-deploy twin: its overhead, each stack's path/floor

The flagship's cold render is shown beside the import floor, a fresh ``python -c "import pulumi, pulumi_kubernetes,
pulumi_gcp"`` (best of ``--repeats``).

Exit status 0 when every target is met, 1 otherwise. Targets (issue 13, "Speed"): the render's time per resource at
most 1.3x the same-inputs floor's, linear growth (time per resource at 64 models within 1.25x of that at 4 models),
the flagship render (``pulumi-llmd render``, a cold process) in at most 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = "gke-h100-optimized-baseline"
SIZES = (1, 4, 16, 64)
#: Targets from issue 13 ("Speed"): the render's time per resource over the same-inputs floor's.
MAX_RATIO_TO_SAME_INPUTS = 1.3
#: Linear growth: time per resource at 64 models at most this multiple of that at 4 models.
MAX_GROWTH = 1.25
#: The flagship render, a cold ``pulumi-llmd render`` process, in seconds.
MAX_FLAGSHIP_SECONDS = 1.5
#: The import floor the flagship is shown beside.
IMPORT_FLOOR = "import pulumi, pulumi_kubernetes, pulumi_gcp"
WARMUP_MODELS = 1


def fleet_config(models: int) -> dict[str, str]:
    """Engine config of a fleet of ``models`` models, each on its own single-node a3-highgpu-8g pool."""
    target = {"cloud": "gcp", "project": "bench-project", "region": "us-central1", "zone": "us-central1-a"}
    pools = [
        {"name": f"h100-{i}", "machineType": "a3-highgpu-8g", "nodeCount": 1, "provisioning": "on-demand"}
        for i in range(models)
    ]
    fleet = [
        {
            "name": f"m{i}",
            "huggingFaceId": "Qwen/Qwen3-32B",
            "servedName": f"qwen3-32b-m{i}",
            "pool": f"h100-{i}",
            "replicas": 4,
            "tensorParallelSize": 2,
            "routePathPrefix": f"/m{i}",
        }
        for i in range(models)
    ]
    config: dict[str, Any] = {
        "gcp:project": "bench-project",
        "gcp:region": "us-central1",
        "llmd:target": target,
        "llmd:namespace": "llm-d-bench",
        "llmd:pools": pools,
        "llmd:models": fleet,
    }
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


# --- one measurement, in a child process -----------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _render_once(models: int) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """One render of a fleet: its timings, and every resource's (type, inputs) for the same-inputs floor."""
    from pulumi_llmd.render.engine import run_program
    from pulumi_llmd.render.render import build_result
    from pulumi_llmd.render.validation import SchemaValidator

    started = time.perf_counter()
    run = run_program(REPO / "__main__.py", project="llmd", stack=f"bench-{models}", config=fleet_config(models))
    run.raise_error()
    registered = time.perf_counter()
    result = build_result(f"bench-{models}", run.resources)
    done = time.perf_counter()
    if not result.ok:
        raise SystemExit(f"the fleet of {models} does not validate: {result.schema_issues[:3]}")
    validation_started = time.perf_counter()
    SchemaValidator().validate_all(result.manifests)  # validation alone: the same (shared, warm) validators again
    validation = time.perf_counter() - validation_started
    timings = {
        "resources": len(result.resources),
        "objects": len(result.manifests),
        "seconds": done - started,
        "program_seconds": registered - started,
        "build_seconds": done - registered,
        "validation_seconds": validation,
    }
    return timings, [(r["type"], r["inputs"]) for r in result.resources]


def _floor_once(inputs: list[dict[str, Any]]) -> float:
    """Seconds to register one bare ``test:index:Bare`` CustomResource per entry of ``inputs`` under run_program."""
    import pulumi

    from pulumi_llmd.render.engine import run_program

    def program() -> None:
        for i, props in enumerate(inputs):
            pulumi.CustomResource("test:index:Bare", f"bare-{i}", props)

    started = time.perf_counter()
    run = run_program(program, project="llmd", stack="floor", config={})
    run.raise_error()
    seconds = time.perf_counter() - started
    assert len(run.resources) == len(inputs), len(run.resources)
    return seconds


def child(kind: str, size: int, repeats: int) -> None:
    """Measure, after a warm-up, the best of ``repeats`` runs and print it as JSON.

    ``render MODELS``: the fleet's render. ``floor COUNT``: COUNT bare resources with inputs ``{"x": 1}``.
    ``inputs MODELS``: as many bare resources as the fleet's render has, each with the inputs the render gave it.
    """
    import_started = time.perf_counter()
    import pulumi_llmd.blueprints
    import pulumi_llmd.render.render  # noqa: F401

    imports = time.perf_counter() - import_started
    measured: dict[str, Any]
    if kind == "render":
        _render_once(WARMUP_MODELS)
        runs = [_render_once(size)[0] for _ in range(repeats)]
        measured = min(runs, key=lambda r: float(r["seconds"]))
        measured["validation_seconds"] = min(float(r["validation_seconds"]) for r in runs)
    elif kind == "floor":
        _floor_once([{"x": 1}] * 36)
        bare = [{"x": 1}] * size
        measured = {"resources": size, "seconds": min(_floor_once(bare) for _ in range(repeats))}
    else:
        _, typed = _render_once(size)
        same = [props for _, props in typed]
        _floor_once(same[:36])
        measured = {"resources": len(same), "seconds": min(_floor_once(same) for _ in range(repeats))}
    measured["import_seconds"] = imports
    measured["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(measured))


# --- the parent: run children, print the table --------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One fleet size: the render, its floor, and the same-inputs floor."""

    models: int
    render: dict[str, Any]
    floor: dict[str, Any]
    same_inputs: dict[str, Any]

    @staticmethod
    def _per_resource_ms(run: dict[str, Any]) -> float:
        return 1000 * float(run["seconds"]) / int(run["resources"])

    @property
    def per_resource_ms(self) -> float:
        """Render milliseconds per resource."""
        return self._per_resource_ms(self.render)

    @property
    def floor_per_resource_ms(self) -> float:
        """Floor milliseconds per resource."""
        return self._per_resource_ms(self.floor)

    @property
    def same_inputs_per_resource_ms(self) -> float:
        """Same-inputs floor milliseconds per resource."""
        return self._per_resource_ms(self.same_inputs)

    @property
    def ratio(self) -> float:
        """Render time per resource over the floor's."""
        return self.per_resource_ms / self.floor_per_resource_ms

    @property
    def same_inputs_ratio(self) -> float:
        """Render time per resource over the same-inputs floor's (the issue-13 target)."""
        return self.per_resource_ms / self.same_inputs_per_resource_ms


def _run_child(kind: str, size: int, repeats: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [sys.executable, __file__, "--child", kind, str(size), "--repeats", str(repeats)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} {size} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def flagship_seconds(repeats: int, *extra: str) -> float:
    """Best wall time of ``pulumi-llmd render FLAGSHIP [extra]`` in a fresh process (interpreter start, imports
    included)."""
    cli = [sys.executable, "-c", "from pulumi_llmd.cli import main; main()", "render", FLAGSHIP, *extra, "--quiet"]
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run([*cli, "--out", out], cwd=REPO, capture_output=True, text=True)
            best = min(best, time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"pulumi-llmd render {FLAGSHIP} failed:\n{done.stderr}")
    return best


def import_floor_seconds(repeats: int) -> float:
    """Best wall time of a fresh ``python -c "import pulumi, pulumi_kubernetes, pulumi_gcp"``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORT_FLOOR], cwd=REPO, check=True)
        best = min(best, time.perf_counter() - started)
    return best


#: The first-deploy twin may add at most this share to the flagship render's wall time (issue 11).
MAX_TWIN_OVERHEAD = 0.15
#: A reference stack's first-deploy critical path at most this multiple of its floor (issue 11).
MAX_PATH_TO_FLOOR = 1.05


def twin_section(repeats: int) -> list[tuple[str, bool]]:
    """Time the flagship render with and without the twin (alternating, best of ``repeats``), print every golden
    render's twin result, critical path and floor, and return the checks."""
    from pulumi_llmd.twin import run_twin

    with_twin, without = float("inf"), float("inf")
    for _ in range(repeats):  # alternate, so both see the same machine state
        with_twin = min(with_twin, flagship_seconds(1))
        without = min(without, flagship_seconds(1, "--no-twin"))
    overhead = with_twin / without - 1
    print(f"flagship render with the twin {with_twin:.2f} s, with --no-twin {without:.2f} s: +{overhead:.1%}")
    print()
    print("| stack | twin failures | critical path | floor | ratio |")
    print("|---|---:|---:|---:|---:|")
    checks = [
        (f"twin adds {overhead:.1%} <= {MAX_TWIN_OVERHEAD:.0%} to the flagship render", overhead <= MAX_TWIN_OVERHEAD)
    ]
    for folder in sorted((REPO / "goldens").iterdir()):
        resources = folder / "resources.json"
        if not resources.is_file():
            continue
        result = run_twin(json.loads(resources.read_text()))
        t = result.timeline
        ratio = result.ratio
        print(
            f"| `{folder.name}` | {len(result.findings)} | {t.total / 60:.1f} min | {t.floor / 60:.1f} min"
            f" | {ratio:.2f} |"
        )
        checks.append(
            (
                f"{folder.name}: twin clean, path/floor {ratio:.2f} <= {MAX_PATH_TO_FLOOR}",
                result.ok and ratio <= MAX_PATH_TO_FLOOR,
            )
        )
    print()
    return checks


def table(rows: list[Row]) -> str:
    """The Markdown table of the rows."""
    lines = [
        "| models | resources | k8s objects | render | of which validation | render per resource"
        " | floor per resource | ratio | same-inputs floor per resource | ratio to same-inputs"
        " | peak RSS render / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r, f = row.render, row.floor
        lines.append(
            f"| {row.models} | {r['resources']} | {r['objects']} | {r['seconds']:.2f} s"
            f" | {r['validation_seconds']:.2f} s | {row.per_resource_ms:.2f} ms"
            f" | {row.floor_per_resource_ms:.2f} ms | {row.ratio:.1f}x"
            f" | {row.same_inputs_per_resource_ms:.2f} ms | {row.same_inputs_ratio:.2f}x"
            f" | {r['peak_rss_mib']:.0f} / {f['peak_rss_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark (or, with ``--child``, one measurement) and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="fleet sizes (models)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--twin-only", action="store_true", help="only the first-deploy twin: its overhead and each stack's path"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeats)
        return 0
    if args.twin_only:
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s)", flush=True)
        only = twin_section(args.repeats)
        for text, ok in only:
            print(f"{'PASS' if ok else 'FAIL'}  {text}")
        return 0 if all(ok for _, ok in only) else 1

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s)", flush=True)
    rows: list[Row] = []
    for models in args.sizes:
        render = _run_child("render", models, args.repeats)
        floor = _run_child("floor", int(render["resources"]), args.repeats)
        same = _run_child("inputs", models, args.repeats)
        rows.append(Row(models, render, floor, same))
        print(f"  {models} model(s): {render['resources']} resources, {render['seconds']:.2f} s", flush=True)
    cold = flagship_seconds(args.repeats)
    floor_imports = import_floor_seconds(args.repeats)
    imports = rows[0].render["import_seconds"]
    print()
    print(table(rows))
    print()
    print("| cold process | seconds |")
    print("|---|---:|")
    print(f'| `python -c "{IMPORT_FLOOR}"` (import floor) | {floor_imports:.2f} |')
    print(f"| `pulumi-llmd render {FLAGSHIP}` | {cold:.2f} |")
    print()
    print(f"library imports in the render's process: {imports:.2f} s")
    print(
        f"best of {args.repeats} runs each, after a warm-up run in the same process; peak RSS is the process's"
        " ru_maxrss (getrusage)"
    )

    checks = [
        (
            f"render per resource <= {MAX_RATIO_TO_SAME_INPUTS}x the same-inputs floor"
            f" (worst {max(r.same_inputs_ratio for r in rows):.2f}x)",
            all(r.same_inputs_ratio <= MAX_RATIO_TO_SAME_INPUTS for r in rows),
        )
    ]
    by_size = {r.models: r for r in rows}
    if 4 in by_size and 64 in by_size:
        growth = by_size[64].per_resource_ms / by_size[4].per_resource_ms
        checks.append(
            (f"linear: per resource at 64 models / at 4 = {growth:.2f} <= {MAX_GROWTH}", growth <= MAX_GROWTH)
        )
    checks.append((f"flagship render {cold:.2f} s <= {MAX_FLAGSHIP_SECONDS} s", cold <= MAX_FLAGSHIP_SECONDS))
    checks.extend(twin_section(args.repeats))
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
