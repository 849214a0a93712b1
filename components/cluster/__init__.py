"""Clusters the library does not create (kind, on-prem, CoreWeave, OpenShift): a Kubernetes provider and hand-written
accelerator pools, no cloud resources."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_llmd.components.cluster.existing import (
        ExistingCluster,
        ExistingPool,
        accelerator_pool,
        existing_pool_problems,
        pool_inputs,
    )

#: Exported name -> the module that defines it; imported on first use (module ``__getattr__``, PEP 562), so that
#: importing one component does not import the others (nor their cloud SDKs).
_EXPORTS: dict[str, str] = {
    "ExistingCluster": "pulumi_llmd.components.cluster.existing",
    "ExistingPool": "pulumi_llmd.components.cluster.existing",
    "accelerator_pool": "pulumi_llmd.components.cluster.existing",
    "existing_pool_problems": "pulumi_llmd.components.cluster.existing",
    "pool_inputs": "pulumi_llmd.components.cluster.existing",
}

__all__ = [
    "ExistingCluster",
    "ExistingPool",
    "accelerator_pool",
    "existing_pool_problems",
    "pool_inputs",
]


if not TYPE_CHECKING:  # mypy sees the imports above, and no __getattr__ that would accept any name

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_EXPORTS})
