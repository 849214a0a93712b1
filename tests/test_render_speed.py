"""Render speed work (issue 13, "Speed") keeps behaviour: a GKE render does not import the AWS SDK nor an EKS render the
GCP SDK; lazily loaded SDK packages and component packages give the very objects an eager import gives; the engine's
faster SDK helpers answer as the SDK's do; the faster YAML emitter writes the same text."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def _modules_after_render(stack: str, tmp_path: Path) -> set[str]:
    """Top-level module names loaded by a fresh process that rendered ``stack`` (as ``pulumi-llmd render`` does)."""
    script = (
        "import json, sys\n"
        "from pulumi_llmd.render.render import render_stack\n"
        f"result = render_stack({stack!r}, twin=False)\n"
        "assert result.ok, result.schema_issues\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_gke_render_does_not_import_the_aws_sdk(tmp_path: Path) -> None:
    modules = _modules_after_render("gke-h100-optimized-baseline", tmp_path)
    assert "pulumi_gcp" in modules
    assert "pulumi_aws" not in modules


def test_eks_render_does_not_import_the_gcp_sdk(tmp_path: Path) -> None:
    modules = _modules_after_render("eks-p5-optimized-baseline", tmp_path)
    assert "pulumi_aws" in modules
    assert "pulumi_gcp" not in modules


def test_lazy_sdk_packages_give_the_same_members_as_an_eager_import() -> None:
    """Members of lazily loaded SDK packages (resources, args, input types, enums, functions and their results,
    a pulumi-kubernetes kind) are the objects the package's full ``__init__`` exports."""
    names = {
        "pulumi_gcp.compute": ["Network", "NetworkArgs", "SubnetworkSecondaryIpRangeArgs", "FirewallAllowArgs",
                               "RouterNat", "get_network", "GetNetworkResult", "AwaitableGetNetworkResult"],
        "pulumi_gcp.container": ["Cluster", "NodePool", "NodePoolNodeConfigArgs", "ClusterDatabaseEncryptionArgs"],
        "pulumi_gcp.projects": ["IAMMember", "Service"],
        "pulumi_gcp.organizations": ["get_project_output", "get_project"],
        "pulumi_kubernetes.core.v1": ["Namespace", "Secret", "ServiceSpecArgs", "PodSpecArgs"],
        "pulumi_kubernetes.helm.v3": ["Release", "ReleaseArgs"],
        "pulumi_aws.eks": ["Cluster", "NodeGroup", "NodeGroupScalingConfigArgs"],
    }  # fmt: skip
    script = (
        "import importlib, json, sys\n"
        f"names = {names!r}\n"
        "import contextlib\n"
        "from pulumi_llmd.render.lazy_sdk import lazy_sdk_imports\n"
        "context = lazy_sdk_imports() if sys.argv[1] == 'lazy' else contextlib.nullcontext()\n"
        "with context:\n"
        "    import pulumi_gcp, pulumi_kubernetes, pulumi_aws\n"
        "out = {}\n"
        "for package, members in names.items():\n"
        "    module = importlib.import_module(package)\n"
        "    for name in members:\n"
        "        value = getattr(module, name)\n"
        "        out[package + '.' + name] = f'{value.__module__}.{value.__qualname__}'\n"
        "    out[package + '.outputs'] = module.outputs.__name__ if hasattr(module, 'outputs') else ''\n"
        "loaded = sum(1 for m in sys.modules if m.startswith('pulumi_gcp.compute.'))\n"
        "print(json.dumps({'members': out, 'compute_modules': loaded}))\n"
    )
    runs = {}
    for mode in ("eager", "lazy"):
        done = subprocess.run(
            [sys.executable, "-c", script, mode], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs["lazy"]["members"] == runs["eager"]["members"]
    assert runs["lazy"]["compute_modules"] < 20 < runs["eager"]["compute_modules"]


@pytest.mark.parametrize("package", ["aws", "gcp", "cluster", "platform", "serving"])
def test_component_packages_export_every_name_lazily(package: str) -> None:
    """Each ``pulumi_llmd.components.<package>`` name in ``__all__`` resolves (to the object its module defines)
    and the lazy table lists exactly ``__all__``."""
    import importlib

    module = importlib.import_module(f"pulumi_llmd.components.{package}")
    exports: dict[str, str] = module._EXPORTS
    assert sorted(exports) == sorted(module.__all__)
    for name, defining in exports.items():
        assert getattr(module, name) is getattr(importlib.import_module(defining), name)
    with pytest.raises(AttributeError):
        module.NoSuchComponent  # noqa: B018


def test_engine_contains_unknowns_answers_as_the_sdk() -> None:
    from pulumi.output import UNKNOWN
    from pulumi.runtime import rpc

    from pulumi_llmd.render.engine import _contains_unknowns

    shared: dict[str, Any] = {"a": [1, 2.5, None, True, "x"]}
    samples: list[Any] = [
        None,
        "x",
        UNKNOWN,
        {"a": {"b": [1, {"c": UNKNOWN}]}},
        {"a": {"b": [1, {"c": "d"}]}},
        [shared, shared, {"k": shared}],
        [[[]], {}, ""],
        {"x": [UNKNOWN]},
    ]
    for sample in samples:
        assert _contains_unknowns(sample) == rpc.contains_unknowns(sample), sample


def test_engine_declare_dependency_finds_cycles_as_the_sdk() -> None:
    from pulumi.runtime import resource_cycle_breaker as sdk

    from pulumi_llmd.render import engine

    class Node:
        pass

    rng = random.Random(7)
    for _ in range(50):
        ours = [Node() for _ in range(8)]
        theirs = [Node() for _ in range(8)]
        for _ in range(20):
            a, b = rng.randrange(8), rng.randrange(8)
            found = sdk.declare_dependency(theirs[a], theirs[b])  # type: ignore[arg-type]
            assert engine._declare_dependency(ours[a], ours[b]) == found
        for mine, sdks in zip(ours, theirs, strict=True):
            deps: set[Node] = getattr(mine, "_direct_computed_dependencies", set())
            sdk_deps: set[Node] = getattr(sdks, "_direct_computed_dependencies", set())
            assert sorted(ours.index(d) for d in deps) == sorted(theirs.index(d) for d in sdk_deps)


def test_manifest_yaml_is_what_the_pure_python_emitter_writes() -> None:
    """The render writes manifests with libyaml where it gives the same text; documents with unusual keys or
    keep-chomped text at the end fall back to the pure-Python emitter."""
    from pulumi_llmd.render.render import _dump_yaml, _Dumper

    rng = random.Random(3)
    alphabet = [*"ab :#-?\n\t'\"{}[],&*!|>%@`\\~", "é", "😀", "\u2028", "\x85", "\r", "\ufeff", "yes", "null", "\n\n"]
    keys = ["a", "app.kubernetes.io/name", "nvidia.com/gpu", "x-y_z", "0", "", "a b", "a:b", "\n", "#x"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))

    def value(depth: int = 0) -> Any:
        roll = rng.random()
        if depth > 3 or roll < 0.5:
            return rng.choice([text(), text(), 1, 2.5, None, True, -3, 1e20])
        if roll < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}

    for _ in range(3000):
        doc = {rng.choice(keys): value() for _ in range(rng.randint(1, 4))}
        assert _dump_yaml(doc) == yaml.dump(doc, Dumper=_Dumper, sort_keys=True, width=1000), doc
