"""Amazon Web Services components: the VPC, the EKS cluster and GPU node groups with EFA (pulumi-aws typed resources).

>>> from pulumi_llmd.components.aws import EksVpc, EksCluster, GpuNodeGroup
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_llmd.components.aws.cluster import EksCluster
    from pulumi_llmd.components.aws.network import EksVpc
    from pulumi_llmd.components.aws.node_group import GpuNodeGroup

#: Exported name -> the module that defines it; imported on first use (module ``__getattr__``, PEP 562), so that
#: importing one component does not import the others (nor their cloud SDKs).
_EXPORTS: dict[str, str] = {
    "EksCluster": "pulumi_llmd.components.aws.cluster",
    "EksVpc": "pulumi_llmd.components.aws.network",
    "GpuNodeGroup": "pulumi_llmd.components.aws.node_group",
}

__all__ = [
    "EksCluster",
    "EksVpc",
    "GpuNodeGroup",
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
