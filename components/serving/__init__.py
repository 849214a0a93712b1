"""llm-d serving, cloud-agnostic: vLLM model servers, the endpoint picker, InferencePool and HTTPRoute.

Cloud specifics (node selectors, tolerations, device resource names, extra env) arrive through
:class:`~pulumi_llmd.components.base.AcceleratorPool`; nothing here imports a cloud package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_llmd.components.serving.autoscaling import VLLM_WAITING_METRIC, ModelServerAutoscaler, hpa_manifest
    from pulumi_llmd.components.serving.disaggregated_set import (
        DisaggregatedRole,
        DisaggregatedSet,
        PlacementPolicy,
        disaggregated_set_manifest,
    )
    from pulumi_llmd.components.serving.leader_worker_set import (
        MultiNodeModelServer,
        WideEpSpec,
        leader_worker_set_manifest,
        target_ports,
    )
    from pulumi_llmd.components.serving.model_server import (
        ModelServer,
        PodResources,
        VllmSpec,
        model_server_labels,
        vllm_deployment,
    )
    from pulumi_llmd.components.serving.router import (
        OPTIMIZED_BASELINE_SCORERS,
        EndpointPicker,
        HttpRoute,
        InferencePool,
        endpoint_picker_config,
        epp_deployment,
        inference_pool_manifest,
    )
    from pulumi_llmd.components.serving.simulator import (
        SIMULATED_ACCELERATORS_GUIDE,
        SIMULATOR_RESOURCES,
        InferenceSimulator,
        SimulatorSpec,
        simulator_deployment,
    )

#: Exported name -> the module that defines it; imported on first use (module ``__getattr__``, PEP 562), so that
#: importing one component does not import the others (nor their cloud SDKs).
_EXPORTS: dict[str, str] = {
    "OPTIMIZED_BASELINE_SCORERS": "pulumi_llmd.components.serving.router",
    "SIMULATED_ACCELERATORS_GUIDE": "pulumi_llmd.components.serving.simulator",
    "SIMULATOR_RESOURCES": "pulumi_llmd.components.serving.simulator",
    "VLLM_WAITING_METRIC": "pulumi_llmd.components.serving.autoscaling",
    "DisaggregatedRole": "pulumi_llmd.components.serving.disaggregated_set",
    "DisaggregatedSet": "pulumi_llmd.components.serving.disaggregated_set",
    "EndpointPicker": "pulumi_llmd.components.serving.router",
    "HttpRoute": "pulumi_llmd.components.serving.router",
    "InferencePool": "pulumi_llmd.components.serving.router",
    "InferenceSimulator": "pulumi_llmd.components.serving.simulator",
    "ModelServer": "pulumi_llmd.components.serving.model_server",
    "ModelServerAutoscaler": "pulumi_llmd.components.serving.autoscaling",
    "MultiNodeModelServer": "pulumi_llmd.components.serving.leader_worker_set",
    "PlacementPolicy": "pulumi_llmd.components.serving.disaggregated_set",
    "PodResources": "pulumi_llmd.components.serving.model_server",
    "SimulatorSpec": "pulumi_llmd.components.serving.simulator",
    "VllmSpec": "pulumi_llmd.components.serving.model_server",
    "WideEpSpec": "pulumi_llmd.components.serving.leader_worker_set",
    "endpoint_picker_config": "pulumi_llmd.components.serving.router",
    "epp_deployment": "pulumi_llmd.components.serving.router",
    "disaggregated_set_manifest": "pulumi_llmd.components.serving.disaggregated_set",
    "hpa_manifest": "pulumi_llmd.components.serving.autoscaling",
    "inference_pool_manifest": "pulumi_llmd.components.serving.router",
    "leader_worker_set_manifest": "pulumi_llmd.components.serving.leader_worker_set",
    "model_server_labels": "pulumi_llmd.components.serving.model_server",
    "simulator_deployment": "pulumi_llmd.components.serving.simulator",
    "target_ports": "pulumi_llmd.components.serving.leader_worker_set",
    "vllm_deployment": "pulumi_llmd.components.serving.model_server",
}

__all__ = [
    "OPTIMIZED_BASELINE_SCORERS",
    "SIMULATED_ACCELERATORS_GUIDE",
    "SIMULATOR_RESOURCES",
    "VLLM_WAITING_METRIC",
    "DisaggregatedRole",
    "DisaggregatedSet",
    "EndpointPicker",
    "HttpRoute",
    "InferencePool",
    "InferenceSimulator",
    "ModelServer",
    "ModelServerAutoscaler",
    "MultiNodeModelServer",
    "PlacementPolicy",
    "PodResources",
    "SimulatorSpec",
    "VllmSpec",
    "WideEpSpec",
    "disaggregated_set_manifest",
    "endpoint_picker_config",
    "epp_deployment",
    "hpa_manifest",
    "inference_pool_manifest",
    "leader_worker_set_manifest",
    "model_server_labels",
    "simulator_deployment",
    "target_ports",
    "vllm_deployment",
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
