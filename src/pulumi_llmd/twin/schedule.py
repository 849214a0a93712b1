"""The timeline of a first ``pulumi up``: when each resource starts and is done, the awaits, the critical path.

The engine creates a resource once everything it depends on is done (its ``dependencies``, the resources its
inputs came from, its provider), with unbounded parallelism (assumption: ``pulumi up --parallel`` defaults to
unlimited since Pulumi 3.x). A workload is done when pulumi-kubernetes' await sees it ready: when its pool's nodes
exist (if the engine did not already wait for them) and its pods have started — for a vLLM model server, the
first-start estimate of :mod:`pulumi_llmd.components.startup`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pulumi_llmd.components.serving.weights_cache import LOADER_WEIGHTS_ANNOTATION, WEIGHTS_CACHE_READ_ANNOTATION
from pulumi_llmd.components.startup import Engine, fill_estimate, first_start_estimate
from pulumi_llmd.twin import facts
from pulumi_llmd.twin.model import Graph, NodePool, PodTemplate, Resource
from pulumi_llmd.twin.rules import Finding, Weights, model_servers, placement, pods_per_node, workloads

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def parse_duration(text: str) -> float | None:
    """Seconds of a Go duration (``"1h30m"``, ``"40m"``, ``"600s"``); None when it cannot be read."""
    parts = _GO_DURATION.findall(text.strip())
    if not parts or "".join(a + b for a, b in parts) != text.strip():
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(a) * scale[b] for a, b in parts)


@dataclass(frozen=True)
class Step:
    """One resource on the timeline (seconds from the start of ``pulumi up``)."""

    resource: Resource
    start: float
    end: float
    why: str  # what the duration stands for
    blocker: str  # URN of what it waited for last ("" at the start)
    await_timeout: float | None  # the await limit in seconds (None: not awaited)


@dataclass(frozen=True)
class Estimate:
    """A model server's first-start estimate as the twin prints it."""

    label: str
    model: str
    weights_gib: float | None
    seconds: float
    parts: str
    timeout: float | None
    node_seconds: float = 0.0  # of ``seconds``: the node's driver / device-plugin wait before the container starts


@dataclass(frozen=True)
class Timeline:
    """The replayed first deploy: steps by URN, the critical path and its floor."""

    steps: Mapping[str, Step]
    critical_path: tuple[Step, ...]
    total: float
    floor: float
    floor_parts: tuple[tuple[str, float], ...]
    estimates: tuple[Estimate, ...]


def _await_timeout(r: Resource) -> float | None:
    """How long pulumi-kubernetes waits for ``r`` (None: it does not wait)."""
    if r.await_annotations.get("pulumi.com/skipAwait") == "true":
        return None
    create = r.custom_timeouts.get("create")
    if create:
        parsed = parse_duration(create)
        if parsed is not None:
            return parsed
    annotation = r.await_annotations.get("pulumi.com/timeoutSeconds")
    if annotation and annotation.isdigit():
        return float(annotation)
    if r.chart:
        timeout = r.inputs.get("timeout")
        return float(timeout) if timeout else float(facts.HELM_DEFAULT_TIMEOUT)
    if r.is_kube:
        return float(facts.DEFAULT_AWAIT_SECONDS[r.kind]) if r.kind in facts.DEFAULT_AWAIT_SECONDS else None
    return None


def _engine(t: PodTemplate) -> Engine:
    requests = t.requests()
    if requests.get("google.com/tpu"):
        return "tpu"
    server = next((c for c in t.containers if c.is_vllm), None)
    if server is not None and server.flag("--enable-expert-parallel") is not None:
        return "wide-ep"
    return "gpu"


def _estimate(w: Weights) -> tuple[float, str, float]:
    """A model server's first start as the library estimated it: from the Hub, or, for a pod template annotated as
    reading a weights cache (``components/serving/weights_cache.py``), at the cache's read throughput."""
    server = next(c for c in w.template.containers if c.is_vllm)
    read = w.template.annotations.get(WEIGHTS_CACHE_READ_ANNOTATION)
    estimate = first_start_estimate(
        weights_gib=w.weights_gib or 0.0,
        image=server.image,
        engine=_engine(w.template),
        cache_read_mib_per_s=float(read) if read and float(read) > 0 else None,
    )
    return estimate.total_seconds, estimate.describe(), estimate.node_seconds


def _loader_fill(r: Resource) -> tuple[float, str] | None:
    """A weights-cache loader Job's duration (its fill estimate: image pull + download at the Hub's rate), or None
    for any other resource."""
    if r.kind != "Job":
        return None
    weights = (r.metadata.get("annotations") or {}).get(LOADER_WEIGHTS_ANNOTATION)
    containers = ((r.spec.get("template") or {}).get("spec") or {}).get("containers") or []
    if not weights or not containers:
        return None
    fill = fill_estimate(weights_gib=float(weights), image=str(containers[0].get("image", "")))
    return fill.total_seconds, f"weights cache fill (components/startup.py): {fill.describe()}"


def replay(graph: Graph, pools: Sequence[NodePool]) -> Timeline:
    """Replay the first deploy and return its :class:`Timeline`.

    A Service with a selector is awaited until the pods it selects are ready (pulumi-kubernetes service await), and
    what depends on the Service waits for that too: the replay runs again with those Services held until their pods
    are ready, until nothing moves (at most a few rounds: each round only lengthens Services).
    """
    held: dict[str, float] = {}
    for _ in range(5):
        timeline, services = _replay_once(graph, pools, held)
        late = {urn: end for urn, end in services.items() if end > timeline.steps[urn].end + 1e-6}
        if not late:
            return timeline
        held.update(late)
    return timeline


def _service_readiness(graph: Graph, steps: Mapping[str, Step]) -> dict[str, float]:
    """Service URN -> when the workloads whose pods it selects are ready (Services with a selector, awaited)."""
    templates = {r.urn: ts for r, ts in workloads(graph)}
    out: dict[str, float] = {}
    for urn, step in steps.items():
        r = step.resource
        selector = r.spec.get("selector") if r.kind == "Service" else None
        if not selector or step.await_timeout is None:
            continue
        ends = [
            steps[o].end
            for o, ts in templates.items()
            if o in steps
            and any(t.namespace == r.namespace and all(t.labels.get(k) == v for k, v in selector.items()) for t in ts)
        ]
        if ends:
            out[urn] = max(ends)
    return out


def _replay_once(
    graph: Graph, pools: Sequence[NodePool], held: Mapping[str, float]
) -> tuple[Timeline, dict[str, float]]:
    where = placement(graph, pools)
    pool_by_resource = {p.resource.urn: p for p in pools if p.resource is not None}
    servers = {(w.template.owner.urn, w.template.role): w for w in model_servers(graph)}
    estimates: dict[str, Estimate] = {}
    workload_templates = {r.urn: ts for r, ts in workloads(graph)}
    steps: dict[str, Step] = {}
    scale_up: dict[str, float] = {}  # pool URN -> autoscaler scale-up its pods wait for
    order = _topological(graph)
    for urn in order:
        r = graph.resources[urn]
        deps = graph.direct.get(urn, frozenset())
        start, blocker = 0.0, ""
        for d in deps:
            if d in steps and steps[d].end > start:
                start, blocker = steps[d].end, d
        duration = facts.duration_for(r.type)
        seconds, why = float(duration.seconds), duration.source
        pool = pool_by_resource.get(urn)
        if pool is not None and pool.accelerator:
            seconds, why = float(facts.ACCELERATOR_POOL.seconds), facts.ACCELERATOR_POOL.source
        if r.chart in facts.SLOW_CHARTS:
            seconds, why = float(facts.SLOW_CHARTS[r.chart].seconds), facts.SLOW_CHARTS[r.chart].source
        fill = _loader_fill(r)
        if fill is not None:
            seconds, why = fill
        timeout = _await_timeout(r)
        templates = workload_templates.get(urn, [])
        if templates and timeout is not None:
            ready = 0.0
            for t in templates:
                if t.pods == 0:
                    continue
                node_wait = 0.0
                since_pool = 0.0  # how long the pool's nodes have been up when this workload is created
                target = where.get((urn, t.role))
                if target is not None and target.resource is not None:
                    pool_step = steps.get(target.resource.urn)
                    if pool_step is not None:
                        node_wait = max(0.0, pool_step.end - start)
                        since_pool = max(0.0, start - pool_step.end)
                        if pool_step.end > start:
                            blocker = target.resource.urn
                    needed = math.ceil(t.pods / max(1, pods_per_node(t.requests(), target)))
                    if needed > target.initial_nodes and target.accelerator:
                        node_wait += facts.AUTOSCALE_UP.seconds
                        scale_up[target.resource.urn] = float(facts.AUTOSCALE_UP.seconds)
                w = servers.get((urn, t.role))
                if w is not None:
                    first, parts, node_seconds = _estimate(w)
                    label = t.label()
                    estimates[label] = Estimate(label, w.model, w.weights_gib, first, parts, timeout, node_seconds)
                    # A workload created after its pool's nodes came up (it waited for a weights-cache fill, say)
                    # does not wait for their driver install again: that ran meanwhile.
                    ready = max(ready, node_wait + first - min(node_seconds, since_pool))
                    why = "node pool + model-server first start (components/startup.py)"
                else:
                    ready = max(ready, node_wait + seconds)
            seconds = max(seconds, ready) if ready else seconds
        if urn in held and held[urn] > start + seconds:
            seconds, why = held[urn] - start, "service endpoints: the selected pods are ready"
        steps[urn] = Step(r, start, start + seconds, why, blocker, timeout)
    total = max((s.end for s in steps.values()), default=0.0)
    path = _critical_path(steps)
    floor_parts = _floor(steps, pools, estimates, scale_up, graph, frozenset(owner for owner, _ in servers))
    timeline = Timeline(
        steps=steps,
        critical_path=tuple(path),
        total=total,
        floor=sum(s for _, s in floor_parts),
        floor_parts=tuple(floor_parts),
        estimates=tuple(sorted(estimates.values(), key=lambda e: e.label)),
    )
    return timeline, _service_readiness(graph, steps)


def _topological(graph: Graph) -> list[str]:
    indegree = {u: 0 for u in graph.direct}
    dependents: dict[str, list[str]] = {u: [] for u in graph.direct}
    for u, deps in graph.direct.items():
        for d in deps:
            if d in indegree:
                indegree[u] += 1
                dependents[d].append(u)
    ready = sorted(u for u, n in indegree.items() if n == 0)
    order: list[str] = []
    while ready:
        u = ready.pop(0)
        order.append(u)
        for v in sorted(dependents[u]):
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    order.extend(sorted(u for u, n in indegree.items() if n > 0))  # cycles: appended (the engine would refuse)
    return order


def _critical_path(steps: Mapping[str, Step]) -> list[Step]:
    if not steps:
        return []
    last = max(steps.values(), key=lambda s: (s.end, s.resource.urn))
    path = [last]
    while path[-1].blocker and path[-1].blocker in steps and len(path) < 200:
        path.append(steps[path[-1].blocker])
    return list(reversed(path))


def _floor(
    steps: Mapping[str, Step],
    pools: Sequence[NodePool],
    estimates: Mapping[str, Estimate],
    scale_up: Mapping[str, float],
    graph: Graph,
    servers: frozenset[str],
) -> list[tuple[str, float]]:
    """The floor of a first deploy: the cluster, the slowest node pool until its nodes are there (its create and,
    for a pool that starts smaller than its pods need, e.g. flex-start from 0, the autoscaler's scale-up), the
    slowest weights-cache loader Job (the servers reading the cache wait for it) and the slowest model-server first
    start. A fill lasts from its loader Job's start until the last step that waits for the Job but not for a model
    server (on GKE the snapshot and the read-only disk restored from it)."""
    parts: list[tuple[str, float]] = []
    cluster = [
        s for s in steps.values() if s.resource.type in ("gcp:container/cluster:Cluster", "aws:eks/cluster:Cluster")
    ]
    if cluster:
        parts.append(("cluster", max(s.end - s.start for s in cluster)))
    pool_times = [
        steps[p.resource.urn].end - steps[p.resource.urn].start + scale_up.get(p.resource.urn, 0.0)
        for p in pools
        if p.resource is not None and p.resource.urn in steps
    ]
    if pool_times:
        parts.append(("slowest node pool", max(pool_times)))

    def fill_span(loader: Step) -> float:
        urn = loader.resource.urn
        chain = [
            s.end
            for u, s in steps.items()
            if graph.waits_for(u, urn) and u not in servers and not any(graph.waits_for(u, x) for x in servers)
        ]
        return max([loader.end, *chain]) - loader.start

    fills = [fill_span(s) for s in steps.values() if _loader_fill(s.resource) is not None]
    if fills:
        parts.append(("slowest weights cache fill", max(fills)))
    if estimates:
        # After a fill the nodes' driver install has run meanwhile (the loader requests no accelerator).
        overlap = max(fills) if fills else 0.0
        parts.append(
            (
                "slowest model-server first start",
                max(e.seconds - min(e.node_seconds, overlap) for e in estimates.values()),
            )
        )
    return parts


def check_awaits(timeline: Timeline) -> Iterator[Finding]:
    """Every awaited resource is ready within its await timeout."""
    for step in sorted(timeline.steps.values(), key=lambda s: s.resource.urn):
        if step.await_timeout is None:
            continue
        needed = step.end - step.start
        if needed > step.await_timeout:
            r = step.resource
            yield Finding(
                "awaits",
                "timeout-covers-start",
                r.label(),
                f"needs ~{needed / 60:.0f} min to become ready ({step.why}) but Pulumi waits "
                f"{step.await_timeout / 60:.0f} min: the update fails",
                "set customTimeouts create/update from the first-start estimate",
            )
