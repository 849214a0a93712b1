"""The first-deploy twin: replay a render as a fresh cloud project and a fresh cluster would take it.

``run_twin(resources)`` reads the ``resources.json`` entries of a render (the inputs and what the engine is told:
dependencies, provider, custom timeouts, await annotations) and reports, per resource, what the first
``pulumi up`` would fail on, each :class:`Finding` with its rule, the resource and the fix:

* ``ordering``: CRDs (or the release / cluster feature that installs them) before custom resources, Namespaces
  before namespaced objects, fail-closed admission webhooks (Kueue) before what they intercept — including the
  workloads other Helm releases create —, Workload Identity bindings after the cluster, EKS nodes after the
  vpc-cni add-on and their role's policies, device plugins before the pods that request their resources;
* ``admission``: Pod Security Admission for each namespace's ``enforce`` level over every pod template;
* ``scheduling``: selectors and taints, requests against the machine's allocatable, replicas against pool sizes;
  a DisaggregatedSet's ``scaling.mode: External`` roles driven by an autoscaler that takes them from 0 replicas (a
  KEDA ScaledObject with ``minReplicaCount`` >= 1; an HPA never scales a target at 0), counted at that count;
* ``weights``: the model's size known, the weights' volume large enough, the node's disk, the accelerator memory;
* ``awaits``: every awaited resource ready within its timeout (first-start estimates printed);
* ``cloud``: Google APIs enabled before use, consumption options the machine offers, multi-networking;
* ``routing``: HTTPRoute rules reaching a port and path the selected model servers serve;
* ``network``: the NetworkPolicies letting every flow serving needs through (gateway -> picker and model servers,
  picker -> model servers and the API server, DNS, Hugging Face, P/D and wide-EP peers, scrapes: :mod:`.network`).

It also prints the critical path of the first deploy with the durations it assumes (:mod:`.facts`) and its floor
(the cluster + the slowest node pool + the slowest model-server first start).

What it cannot know: quota and capacity in the zone, real image pulls and download speeds, what a real API server
and controllers do beyond these rules (the schemas and the policy packs cover other parts), an existing cluster's
contents beyond what the stack file says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_llmd.twin.model import Graph
from pulumi_llmd.twin.network import check_network
from pulumi_llmd.twin.pools import discover
from pulumi_llmd.twin.rules import (
    Finding,
    check_admission,
    check_cloud,
    check_gke_hardening,
    check_ordering,
    check_role_scalers,
    check_routing,
    check_scheduling,
    check_weights,
)
from pulumi_llmd.twin.schedule import Timeline, check_awaits, replay

__all__ = ["RULES", "Finding", "TwinResult", "run_twin"]

#: The rule families, in report order.
RULES = ("ordering", "admission", "scheduling", "weights", "awaits", "cloud", "routing", "network")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


@dataclass(frozen=True)
class TwinResult:
    """What the twin found and the first deploy's timeline."""

    findings: tuple[Finding, ...]
    timeline: Timeline

    @property
    def ok(self) -> bool:
        """True when the first ``pulumi up`` is expected to succeed (no finding)."""
        return not self.findings

    @property
    def ratio(self) -> float:
        """Critical path / floor (1.0 when there is no floor)."""
        return self.timeline.total / self.timeline.floor if self.timeline.floor else 1.0

    def lines(self) -> list[str]:
        """The summary section: result per rule, findings, first-start estimates, critical path and floor."""
        t = self.timeline
        counts = {rule: sum(1 for f in self.findings if f.rule == rule) for rule in RULES}
        head = "first-deploy twin: " + ("no failures" if self.ok else f"{len(self.findings)} failure(s)")
        out = [head + " (" + ", ".join(f"{rule} {counts[rule]}" for rule in RULES) + ")"]
        out.extend(f"  {f.line()}" for f in self.findings)
        for e in t.estimates:
            timeout = f", await timeout {_minutes(e.timeout)}" if e.timeout else ""
            out.append(f"  first start {e.label}: {e.parts}{timeout}")
        out.append(
            f"  critical path {_minutes(t.total)} (floor {_minutes(t.floor)}: "
            + " + ".join(f"{name} {_minutes(s)}" for name, s in t.floor_parts)
            + f"; ratio {self.ratio:.2f})"
        )
        for step in t.critical_path:
            out.append(
                f"    {_minutes(step.start):>9} -> {_minutes(step.end):>9}  {step.resource.label()}  [{step.why}]"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The result as plain data (findings, estimates, critical path, floor)."""
        t = self.timeline
        return {
            "ok": self.ok,
            "findings": [
                {"rule": f.rule, "check": f.check, "resource": f.resource, "message": f.message, "fix": f.fix}
                for f in self.findings
            ],
            "estimates": [
                {
                    "workload": e.label,
                    "model": e.model,
                    "weightsGiB": e.weights_gib,
                    "seconds": round(e.seconds),
                    "timeoutSeconds": e.timeout,
                }
                for e in t.estimates
            ],
            "criticalPathSeconds": round(t.total),
            "floorSeconds": round(t.floor),
            "criticalPath": [
                {"resource": s.resource.label(), "start": round(s.start), "end": round(s.end)} for s in t.critical_path
            ],
        }


def run_twin(resources: Sequence[Mapping[str, Any]]) -> TwinResult:
    """Replay ``resources`` (``resources.json`` entries) as a first deploy; see the module docstring."""
    graph = Graph.build(resources)
    pools = discover(graph)
    timeline = replay(graph, pools)
    findings = [
        *check_ordering(graph),
        *check_admission(graph),
        *check_scheduling(graph, pools),
        *check_role_scalers(graph),
        *check_weights(graph, pools),
        *check_awaits(timeline),
        *check_cloud(graph, pools),
        *check_gke_hardening(graph),
        *check_routing(graph),
        *check_network(graph),
    ]
    unique = sorted(set(findings), key=lambda f: (RULES.index(f.rule), f.resource, f.check, f.message))
    return TwinResult(findings=tuple(unique), timeline=timeline)
