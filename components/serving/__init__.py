"""llm-d serving, cloud-agnostic: vLLM model servers, the endpoint picker, InferencePool and HTTPRoute.

Cloud specifics (node selectors, tolerations, device resource names, extra env) arrive through
:class:`~pulumi_llmd.components.base.AcceleratorPool`; nothing here imports a cloud package.
"""

from pulumi_llmd.components.serving.autoscaling import VLLM_WAITING_METRIC, ModelServerAutoscaler, hpa_manifest
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

__all__ = [
    "OPTIMIZED_BASELINE_SCORERS",
    "SIMULATED_ACCELERATORS_GUIDE",
    "SIMULATOR_RESOURCES",
    "VLLM_WAITING_METRIC",
    "EndpointPicker",
    "HttpRoute",
    "InferencePool",
    "InferenceSimulator",
    "ModelServer",
    "ModelServerAutoscaler",
    "MultiNodeModelServer",
    "PodResources",
    "SimulatorSpec",
    "VllmSpec",
    "WideEpSpec",
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
