"""The stack namespace's Pod Security level, decided from the config before anything is registered.

The namespace must carry its ``pod-security.kubernetes.io/enforce`` label before the pods it admits exist, so the
level is predicted from what each well-lit path puts in its pods (pure function over the models and pools); the tests
render every reference stack and check each pod template against the level chosen here with
:func:`~pulumi_llmd.components.platform.pod_security.pod_security_violations`.

What the paths' pods need (Pod Security Standards, kubernetes.io/docs/concepts/security/pod-security-standards):

* vLLM model servers (every GPU/TPU path) and the tokenizer render pods run vLLM images as root: ``baseline``;
* P/D disaggregation over RDMA adds the RDMA attachment's capabilities to the vLLM container (``IPC_LOCK`` to pin
  memory for the NIC; llm-d pd-disaggregation guide): ``IPC_LOCK`` is not in baseline's list -> ``privileged``;
* wide-EP adds ``IPC_LOCK`` and ``SYS_RAWIO`` (NVSHMEM / DeepEP GPU-initiated RDMA; llm-d wide-ep guide) ->
  ``privileged``;
* inference-simulator pods and endpoint pickers run non-root with every capability dropped, no privilege escalation
  and RuntimeDefault seccomp: ``restricted``;
* the per-Gateway proxy pods of a self-managed gateway run in the namespace too: Istio's meet ``restricted`` (with
  ``gateways.seccompProfile`` set, :func:`~pulumi_llmd.components.platform.gateways.istiod_values`), agentgateway's
  are taken as ``baseline``. GKE's managed gateway runs no pods there.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_llmd.blueprints.config import StackConfig, WellLitPath
from pulumi_llmd.blueprints.targets import target_class
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.platform.gateways import GATEWAY_POD_SECURITY
from pulumi_llmd.components.platform.pod_security import (
    BASELINE,
    BASELINE_CAPABILITIES,
    PRIVILEGED,
    RESTRICTED,
    PodSecurity,
    PodSecurityNeed,
    decide,
)
from pulumi_llmd.components.serving.leader_worker_set import WIDE_EP_CAPABILITIES

#: Why vLLM pods cannot be ``restricted``.
VLLM_ROOT_REASON = "vLLM model servers run as root (the vLLM image's user)"


def _capability_need(model: str, path: WellLitPath, capabilities: tuple[str, ...], why: str) -> PodSecurityNeed:
    beyond = [c for c in capabilities if c not in BASELINE_CAPABILITIES]
    if not beyond:
        return PodSecurityNeed(BASELINE, VLLM_ROOT_REASON)
    return PodSecurityNeed(
        PRIVILEGED, f"model server {model} ({path.value}) adds capabilities {', '.join(beyond)} ({why})"
    )


def pod_security_needs(config: StackConfig, pools: Mapping[str, AcceleratorPool]) -> list[PodSecurityNeed]:
    """What the pods of ``config`` need, one :class:`PodSecurityNeed` per reason (pure function).

    ``pools`` are the cluster's accelerator pools by name (their RDMA attachment says which capabilities P/D adds).
    Needs at ``restricted`` are left out (they never lower the level).
    """
    needs: list[PodSecurityNeed] = []
    for model in config.models:
        if model.path is WellLitPath.SIMULATED_ACCELERATORS:
            continue
        needs.append(PodSecurityNeed(BASELINE, VLLM_ROOT_REASON))
        if model.path is WellLitPath.WIDE_EP:
            needs.append(_capability_need(model.name, model.path, WIDE_EP_CAPABILITIES, "RDMA"))
        elif model.path is WellLitPath.PD_DISAGGREGATION and model.kv_transport == "rdma":
            pool = pools.get(config.pool_of(model).name)
            if pool is not None and pool.rdma is not None:
                needs.append(_capability_need(model.name, model.path, tuple(pool.rdma.capabilities), "RDMA"))
    if target_class(config.target.cloud).in_cluster_gateway:  # the proxies run in the namespace (not GKE's)
        implementation = config.gateway_class
        if GATEWAY_POD_SECURITY.get(implementation, BASELINE) != RESTRICTED:
            needs.append(
                PodSecurityNeed(
                    BASELINE, f"the {implementation} gateway proxy pods are not verified against restricted"
                )
            )
    return needs


def stack_pod_security(config: StackConfig, pools: Mapping[str, AcceleratorPool]) -> PodSecurity:
    """The stack namespace's Pod Security decision: the most permissive level :func:`pod_security_needs` asks for
    (``restricted`` when nothing asks for less), and why (the ``llm-d.ai/pod-security-reason`` annotation).

    E.g. gke-b200-wide-ep -> ``privileged`` ("model server deepseek-r1 (wide-ep) adds capabilities IPC_LOCK,
    SYS_RAWIO (RDMA)"); gke-h100-optimized-baseline -> ``baseline``; kind-simulated-accelerators -> ``restricted``.
    """
    return decide(pod_security_needs(config, pools))
