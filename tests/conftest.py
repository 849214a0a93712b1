"""Shared fixtures: the repository root, one render per stack file per session, stack-file and config factories."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from pulumi_llmd.render.render import RenderResult, render_stack

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = "gke-h100-optimized-baseline"

_VALID_CONFIG: dict[str, Any] = {
    "target": {
        "cloud": "gcp",
        "project": "my-gcp-project",
        "region": "us-central1",
        "zone": "us-central1-a",
    },
    # Required on gcp/aws targets (issue 12): who may reach the Kubernetes API (a documentation range, RFC 5737).
    "cluster": {"controlPlane": {"authorizedCidrs": ["203.0.113.0/24"]}},
    "pools": [{"name": "h100", "machineType": "a3-highgpu-8g", "nodeCount": 1}],
    "models": [
        {
            "name": "qwen3-32b",
            "huggingFaceId": "Qwen/Qwen3-32B",
            "tensorParallelSize": 2,
            "replicas": 4,
        }
    ],
}


def make_valid_config() -> dict[str, Any]:
    """A fresh, small, valid GKE stack config (``llmd:`` keys without the namespace): 1 x a3-highgpu-8g, TP 2 x 4."""
    return copy.deepcopy(_VALID_CONFIG)


def qualified(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every key in the ``llmd:`` namespace (keys that already name a namespace are kept)."""
    return {key if ":" in key else f"llmd:{key}": value for key, value in config.items()}


def engine_config(config: Mapping[str, Any]) -> dict[str, str]:
    """``config`` as the mock engine's config map: qualified keys, structured values JSON-encoded (as Pulumi does)."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in qualified(config).items()}


def load_vendor_script() -> ModuleType:
    """``scripts/vendor_crds.py`` (the CRD vendoring script) loaded as the module ``vendor_crds``."""
    path = REPO / "scripts" / "vendor_crds.py"
    spec = importlib.util.spec_from_file_location("vendor_crds", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_crds", module)
    spec.loader.exec_module(module)
    return module


def make_stack_file(tmp_path: Path, config: Mapping[str, Any], name: str = "test") -> Path:
    """Write ``tmp_path/Pulumi.<name>.yaml`` holding ``{"config": {"llmd:target": ..., ...}}`` and return its path."""
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": qualified(config)}, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (holds Pulumi.yaml, __main__.py and stacks/)."""
    return REPO


@pytest.fixture(scope="session")
def rendered() -> Callable[[str], RenderResult]:
    """``rendered(stack)``: the render of a stack of the repository, computed at most once per session."""
    cache: dict[str, RenderResult] = {}

    def get(stack: str) -> RenderResult:
        if stack not in cache:
            cache[stack] = render_stack(stack, project_dir=REPO)
        return cache[stack]

    return get


@pytest.fixture(scope="session")
def flagship(rendered: Callable[[str], RenderResult]) -> RenderResult:
    """The flagship reference stack, rendered once per session."""
    return rendered(FLAGSHIP)


@pytest.fixture
def valid_config() -> Callable[[], dict[str, Any]]:
    """Factory of fresh valid stack configs (see :func:`make_valid_config`)."""
    return make_valid_config


@pytest.fixture
def write_stack() -> Callable[..., Path]:
    """``write_stack(tmp_path, config, name="test") -> Path`` (see :func:`make_stack_file`)."""
    return make_stack_file
