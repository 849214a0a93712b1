"""The Kubernetes AI Conformance requirements as one table: id, KAR number, category, level per checklist version.

Derived from the CNCF checklists v1.33-v1.37 carried in :mod:`pulumi_llmd.conformance` (cncf/k8s-ai-conformance
``b2c89690``, v1.37 ``287b44f0``; ``tests/test_policies_requirements.py`` checks the table against them).
Levels: ``MUST`` becomes a mandatory policy, ``SHOULD`` an advisory one; a requirement absent from a version is not
checked for it.
``condition`` is set for the conditional MUSTs ("If the platform provides a cluster autoscaler ...") and for the
conditional SHOULD ``high_performance_networking`` ("If high performance pod-to-pod communication is needed").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

VERSIONS: Final[tuple[str, ...]] = ("1.33", "1.34", "1.35", "1.36", "1.37")
#: The checklist version checks use unless told otherwise: the newest carried.
DEFAULT_VERSION: Final = "1.37"
#: ``PolicyComplianceFramework.name`` of every conformance policy.
FRAMEWORK: Final = "cncf-k8s-ai-conformance"


class Level(StrEnum):
    """A checklist level."""

    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Requirement:
    """One checklist requirement.

    ``kar`` is the KEP-like "Kubernetes AI Requirement" number (``"0059"``) or None (``ai_inference`` has none);
    ``levels`` maps each checklist version that has the requirement to its level; ``condition`` is the "If ..."
    clause of a conditional requirement (None otherwise); ``graph`` says what a resource graph can show.
    """

    id: str
    kar: str | None
    category: str
    title: str
    levels: Mapping[str, Level]
    condition: str | None
    graph: str

    @property
    def reference(self) -> str:
        """``KAR-0059`` (or the id for requirements without a KAR number): what a violation cites."""
        return f"KAR-{self.kar}" if self.kar else self.id

    def level(self, version: str) -> Level | None:
        """The level in checklist ``version`` (``"1.35"``), None when that version does not list it."""
        return self.levels.get(version)

    def in_version(self, version: str) -> bool:
        """Whether checklist ``version`` lists this requirement."""
        return version in self.levels


def _levels(**by_version: str) -> Mapping[str, Level]:
    return MappingProxyType({k.removeprefix("v").replace("_", "."): Level(v) for k, v in by_version.items()})


_ALL_MUST = _levels(v1_33="MUST", v1_34="MUST", v1_35="MUST", v1_36="MUST", v1_37="MUST")

REQUIREMENTS: Final[tuple[Requirement, ...]] = (
    Requirement(
        "dra_support",
        "0051",
        "accelerators",
        "Dynamic Resource Allocation APIs",
        _levels(v1_33="SHOULD", v1_34="MUST", v1_35="MUST"),
        None,
        "cluster version >= 1.34 (resource.k8s.io/v1 GA, on by default)",
    ),
    Requirement(
        "driver_runtime_management",
        "0001",
        "accelerators",
        "Verifiable accelerator driver and runtime management",
        _levels(v1_35="SHOULD", v1_36="SHOULD", v1_37="SHOULD"),
        None,
        "GKE guestAccelerators[].gpuDriverInstallationConfig.gpuDriverVersion; GPU Operator driver settings",
    ),
    Requirement(
        "gpu_sharing",
        "0003",
        "accelerators",
        "GPU sharing (time-slicing, MPS, MIG)",
        _levels(v1_35="SHOULD", v1_36="SHOULD", v1_37="SHOULD"),
        None,
        "GKE gpuSharingConfig / gpuPartitionSize; GPU Operator mig.strategy",
    ),
    Requirement(
        "virtualized_accelerator",
        "0004",
        "accelerators",
        "Virtualized accelerators (vGPU)",
        _levels(v1_35="SHOULD", v1_36="SHOULD", v1_37="SHOULD"),
        None,
        "GPU Operator vgpuManager; otherwise hardware-dependent",
    ),
    Requirement(
        "ai_inference",
        None,
        "networking",
        "Gateway API with an implementation",
        _ALL_MUST,
        None,
        "GKE gatewayApiConfig.channel or Gateway API CRDs, and Gateway + HTTPRoute objects",
    ),
    Requirement(
        "advanced_inference_ingress",
        "0011",
        "networking",
        "Gateway API Inference Extension",
        _levels(v1_36="SHOULD", v1_37="SHOULD"),
        None,
        "InferencePool objects behind an HTTPRoute, with an endpoint picker",
    ),
    Requirement(
        "high_performance_networking",
        "0010",
        "networking",
        "High-performance pod-to-pod networking",
        _levels(v1_36="SHOULD", v1_37="SHOULD"),
        "high performance pod-to-pod communication is needed (P/D KV transfer, multi-node or expert-parallel "
        "workloads)",
        "GKE enableMultiNetworking + additionalNodeNetworkConfigs; EFA / RDMA resources on pods",
    ),
    Requirement(
        "disaggregated_inference",
        "0041",
        "networking",
        "Disaggregated (prefill/decode) inference",
        _levels(v1_36="SHOULD", v1_37="SHOULD"),
        None,
        "separate prefill and decode workloads (llm-d P/D)",
    ),
    Requirement(
        "gang_scheduling",
        "0053",
        "schedulingOrchestration",
        "A gang-scheduling solution",
        _ALL_MUST,
        None,
        "Kueue / Volcano / KAI installed (Helm release or CRD) with queues",
    ),
    Requirement(
        "cluster_autoscaling",
        "0055",
        "schedulingOrchestration",
        "Accelerator node groups scale with pending pods",
        _ALL_MUST,
        "the platform provides a cluster autoscaler or an equivalent mechanism",
        "accelerator node pools with autoscaling, maxNodeCount > minNodeCount",
    ),
    Requirement(
        "pod_autoscaling",
        "0057",
        "schedulingOrchestration",
        "HPA on custom AI metrics for accelerator pods",
        _ALL_MUST,
        "the platform supports the HorizontalPodAutoscaler",
        "an autoscaling/v2 HPA on a Pods/Object/External metric per accelerator workload, and a metrics adapter",
    ),
    Requirement(
        "accelerator_metrics",
        "0059",
        "observability",
        "Per-accelerator utilisation and memory metrics",
        _ALL_MUST,
        None,
        "GKE monitoringConfig.enableComponents DCGM; dcgm-exporter / GPU Operator dcgmExporter",
    ),
    Requirement(
        "ai_service_metrics",
        "0061",
        "observability",
        "Collection of workload (model server) metrics",
        _ALL_MUST,
        None,
        "a Prometheus-compatible system (GKE managed Prometheus, kube-prometheus) and monitors for the servers",
    ),
    Requirement(
        "secure_accelerator_access",
        "0049",
        "security",
        "Accelerator access isolated and mediated by device plugins / DRA",
        _ALL_MUST,
        None,
        "no privileged or /dev hostPath containers near accelerators; devices only through limits or claims",
    ),
    Requirement(
        "workload_sandboxing",
        "0020",
        "security",
        "Workloads can run in a kernel-isolating sandbox (gVisor, Kata)",
        _levels(v1_37="SHOULD"),
        None,
        "a RuntimeClass with a sandbox handler (gVisor runsc, Kata) or a GKE Sandbox node pool "
        "(nodeConfig.sandboxConfig gvisor) that pods select with spec.runtimeClassName",
    ),
    Requirement(
        "robust_controller",
        "0063",
        "operator",
        "A complex AI operator with CRDs and webhooks",
        _ALL_MUST,
        None,
        "an AI operator release (LeaderWorkerSet, KubeRay, KServe, ...) with its webhook enabled",
    ),
)

BY_ID: Final[Mapping[str, Requirement]] = MappingProxyType({r.id: r for r in REQUIREMENTS})


def requirement(requirement_id: str) -> Requirement:
    """The requirement with ``requirement_id``. Raises KeyError naming the known ids."""
    try:
        return BY_ID[requirement_id]
    except KeyError:
        raise KeyError(f"unknown requirement {requirement_id!r}; known: {', '.join(BY_ID)}") from None


def for_version(version: str) -> list[Requirement]:
    """The requirements checklist ``version`` lists, in table order."""
    return [r for r in REQUIREMENTS if r.in_version(version)]


def normalize_version(version: str) -> str:
    """``"v1.35"`` / ``"1.35"`` / ``"1.35.0"`` -> ``"1.35"``. Raises ValueError for a version not carried."""
    text = str(version).strip().removeprefix("v")
    minor = ".".join(text.split(".")[:2])
    if minor not in VERSIONS:
        raise ValueError(f"AI conformance version {version!r}: allowed: {', '.join(VERSIONS)}")
    return minor
