"""One rule per Kubernetes AI Conformance requirement: a resource graph in, an :class:`Assessment` out.

Each ``assess_<id>(graph)`` is pure: it reads only the :class:`~pulumi_llmd.policies.graph.Graph` and returns the
requirement's status (Implemented / Partially Implemented / Not Implemented / N/A), the resources that show it and,
when the requirement is not met, violations naming the resources at fault. ``N/A`` is returned when the graph cannot
tell (for example a stack on an existing cluster whose autoscaler is not part of the graph) or when a conditional
requirement's condition does not hold; the notes say which. Levels (MUST / SHOULD per checklist version) are not
decided here but in :mod:`pulumi_llmd.policies.requirements`.

Sources: the CNCF checklists (``pulumi_llmd/conformance``) and the KAR test plans in kubernetes-sigs/ai-conformance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from pulumi_llmd.policies.graph import (
    LONG_RUNNING_KINDS,
    Graph,
    PodTemplate,
    accelerator_counts,
    as_int,
    chart_basename,
    container_args,
    dig,
    flag_value,
    host_path_exposes_devices,
    is_model_server,
    items,
    lands_on_accelerator_nodes,
    mapping,
    pool_accelerators,
    pool_autoscaling,
    rdma_attached,
    selector_matches,
    uses_accelerators,
)
from pulumi_llmd.policies.model import Assessment, Resource, Status, Violation

Assessor = Callable[[Graph], Assessment]

#: Helm charts of gang-scheduling solutions.
GANG_SCHEDULER_CHARTS: Final = ("kueue", "volcano", "kai-scheduler", "scheduler-plugins")
#: API groups of gang-scheduling solutions (their CRDs or objects show an installation).
GANG_SCHEDULER_GROUPS: Final = ("kueue.x-k8s.io", "scheduling.volcano.sh", "scheduling.run.ai", "scheduling.x-k8s.io")
#: Helm charts of AI operators with CRDs and webhooks (robust_controller).
AI_OPERATOR_CHARTS: Final = (
    "lws",
    "kuberay-operator",
    "kserve",
    "kserve-llmisvc-resources",
    "training-operator",
    "kubeflow-trainer",
    "jobset",
    "dynamo-platform",
)
#: API groups of those operators' custom resources.
AI_OPERATOR_GROUPS: Final = (
    "leaderworkerset.x-k8s.io",
    "ray.io",
    "serving.kserve.io",
    "kubeflow.org",
    "trainer.kubeflow.org",
    "jobset.x-k8s.io",
    "nvidia.com",
)
#: Charts / workloads that serve custom.metrics.k8s.io or external.metrics.k8s.io to the HPA.
METRICS_ADAPTERS: Final = ("custom-metrics-stackdriver-adapter", "prometheus-adapter", "keda", "datadog-cluster-agent")
#: Charts of Prometheus-compatible monitoring systems.
MONITORING_CHARTS: Final = ("kube-prometheus-stack", "prometheus", "victoria-metrics-k8s-stack", "prometheus-operator")
#: Per-accelerator metrics exporters, the one table the ``accelerator_metrics`` check reads: the token found in a
#: chart name, a DaemonSet name or a container image, and what the exporter is. NVIDIA DCGM exporter (chart
#: ``dcgm-exporter``, image ``nvcr.io/nvidia/k8s/dcgm-exporter``); AMD device-metrics exporter (chart and image
#: ``rocm/device-metrics-exporter``, port 5000; ROCm/gpu-operator v1.5.1 docs/metrics/exporter.md); Intel XPU Manager
#: (image ``intel/xpumanager``, DaemonSet ``intel-xpumanager``, ``xpum_*`` metrics on port 29999; the Intel GPU plugin's
#: cmd/gpu_plugin/monitoring.md) and its 2.x daemon ``xpumd`` (intel/xpumanager xpumd/charts/xpumd, image
#: ``ghcr.io/intel/xpumanager/xpumd``, Prometheus endpoint on 8080).
ACCELERATOR_METRICS_EXPORTER_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "dcgm-exporter": "DCGM exporter",
        "device-metrics-exporter": "AMD device-metrics exporter",
        "xpumanager": "Intel XPU Manager exporter",
        "xpumd": "Intel XPU Manager exporter",
    }
)
#: Charts that expose per-accelerator metrics: the exporters' own charts and NVIDIA's GPU Operator (DCGM).
ACCELERATOR_METRICS_CHARTS: Final = (*ACCELERATOR_METRICS_EXPORTER_KINDS, "gpu-operator")
#: DaemonSet names / image repository tokens of per-accelerator metrics exporters.
ACCELERATOR_METRICS_EXPORTERS: Final = tuple(ACCELERATOR_METRICS_EXPORTER_KINDS)
#: The AMD GPU Operator chart: its default DeviceConfig runs AMD's device-metrics exporter unless
#: ``deviceConfig.spec.metricsExporter.enable`` is false or the default CR is not installed
#: (ROCm/gpu-operator helm-charts-k8s/values.yaml, templates/default-deviceconfig.yaml).
AMD_GPU_OPERATOR_CHART: Final = "gpu-operator-charts"
#: Gateway API implementations installed by chart.
GATEWAY_IMPLEMENTATION_CHARTS: Final = (
    "istiod",
    "gateway-helm",
    "kgateway",
    "agentgateway",
    "envoy-gateway",
    "nginx-gateway-fabric",
)


def _ev(resource: Resource, what: str) -> str:
    return f"{resource.describe()}: {what}"


def _status(ok: int, total: int) -> Status:
    if total and ok == total:
        return Status.IMPLEMENTED
    return Status.PARTIAL if ok else Status.NOT_IMPLEMENTED


def _minor(version: object) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _workloads_with(templates: Iterable[PodTemplate]) -> dict[str, tuple[Resource, list[PodTemplate]]]:
    found: dict[str, tuple[Resource, list[PodTemplate]]] = {}
    for t in templates:
        found.setdefault(t.workload.urn, (t.workload, []))[1].append(t)
    return found


# --- accelerators -------------------------------------------------------------------------------------------------


def assess_dra_support(graph: Graph) -> Assessment:
    """dra_support (KAR-0051): the cluster serves ``resource.k8s.io/v1`` (GA and on by default from Kubernetes 1.34)."""
    clusters = [(c, c.props.get("minMasterVersion")) for c in graph.gke_clusters()]
    clusters += [(c, c.props.get("version")) for c in graph.of_type("aws:eks/cluster:Cluster")]
    dra_objects = graph.kubernetes("DeviceClass", "ResourceClaimTemplate", "ResourceClaim", group="resource.k8s.io")
    if not clusters:
        if dra_objects:
            return Assessment(
                Status.IMPLEMENTED,
                "DRA objects are part of the stack, so the cluster serves resource.k8s.io.",
                tuple(_ev(o, "resource.k8s.io object") for o in dra_objects),
            )
        return Assessment(
            Status.NOT_APPLICABLE,
            "The graph has no cluster resource (existing cluster): its Kubernetes version and DRA APIs are not "
            "visible.",
        )
    evidence, violations, unknown = [], [], []
    for cluster, version in clusters:
        minor = _minor(version)
        if minor is None:
            unknown.append(cluster)
        elif minor >= (1, 34):
            evidence.append(_ev(cluster, f"Kubernetes {version}: resource.k8s.io/v1 (DRA) is GA and served"))
        else:
            violations.append(
                Violation(
                    f"Kubernetes {version} predates DRA GA (resource.k8s.io/v1, 1.34): ask for 1.34 or later", cluster
                )
            )
    if violations:
        return Assessment(
            Status.NOT_IMPLEMENTED, "The cluster version predates DRA GA.", tuple(evidence), tuple(violations)
        )
    if unknown and not evidence:
        return Assessment(
            Status.NOT_APPLICABLE,
            "No minimum cluster version is pinned: the release channel decides it, which the graph does not show.",
        )
    notes = "DRA APIs are served by the cluster version the stack pins"
    if dra_objects:
        notes += f"; {len(dra_objects)} DRA object(s) in the stack"
    return Assessment(Status.IMPLEMENTED, notes + ".", tuple(evidence + [_ev(o, "DRA object") for o in dra_objects]))


def _gpu_operator_policies(graph: Graph) -> list[Resource]:
    return graph.kubernetes("ClusterPolicy", group="nvidia.com")


def assess_driver_runtime_management(graph: Graph) -> Assessment:
    """driver_runtime_management (KAR-0001): accelerator drivers installed and maintained by the platform."""
    pools = graph.accelerator_pools()
    operators = [p for p in _gpu_operator_policies(graph) if dig(p.props, "spec", "driver", "enabled") is not False]
    if not pools and not operators:
        return Assessment(Status.NOT_APPLICABLE, "The graph has no accelerator node pool.")
    evidence = [_ev(p, "GPU Operator ClusterPolicy manages the driver and toolkit") for p in operators]
    violations = []
    for pool in pools:
        kind, _ = pool_accelerators(pool)
        if kind == "tpu":
            evidence.append(_ev(pool, "TPU runtime installed and upgraded by GKE"))
            continue
        if pool.type == "aws:eks/nodeGroup:NodeGroup":
            evidence.append(_ev(pool, f"amiType {kind} ships the driver and container toolkit"))
            continue
        versions = [
            dig(acc, "gpuDriverInstallationConfig", "gpuDriverVersion")
            for acc in items(dig(pool.props, "nodeConfig", "guestAccelerators"))
        ]
        managed = [v for v in versions if v in ("DEFAULT", "LATEST")]
        if managed:
            evidence.append(
                _ev(pool, f"gpuDriverInstallationConfig.gpuDriverVersion {managed[0]} (GKE-managed driver)")
            )
        elif not operators:
            violations.append(
                Violation("GPU driver not installed by the platform: set gpuDriverVersion DEFAULT or LATEST", pool)
            )
    status = _status(len(pools) - len(violations), len(pools)) if pools else Status.IMPLEMENTED
    return Assessment(
        status, "Drivers are installed and upgraded with the node image.", tuple(evidence), tuple(violations)
    )


def assess_gpu_sharing(graph: Graph) -> Assessment:
    """gpu_sharing (KAR-0003): at least one GPU sharing strategy (time-sharing, MPS, MIG) offered."""
    gpu_pools = [p for p in graph.accelerator_pools() if pool_accelerators(p)[0] != "tpu"]
    evidence = []
    for pool in gpu_pools:
        for acc in items(dig(pool.props, "nodeConfig", "guestAccelerators")):
            strategy = dig(acc, "gpuSharingConfig", "gpuSharingStrategy")
            partition = mapping(acc).get("gpuPartitionSize")
            if strategy:
                evidence.append(_ev(pool, f"gpuSharingConfig {strategy}"))
            if partition:
                evidence.append(_ev(pool, f"gpuPartitionSize {partition} (MIG)"))
    for policy in _gpu_operator_policies(graph):
        if dig(policy.props, "spec", "mig", "strategy") or dig(policy.props, "spec", "devicePlugin", "config"):
            evidence.append(_ev(policy, "GPU Operator MIG strategy / device-plugin sharing config"))
    if evidence:
        return Assessment(Status.IMPLEMENTED, "GPU sharing is configured.", tuple(evidence))
    if not gpu_pools:
        return Assessment(Status.NOT_APPLICABLE, "The graph has no GPU node pool.")
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "Every pool hands out whole GPUs; GKE offers time-sharing, MPS (gpuSharingConfig) and MIG (gpuPartitionSize) "
        "per node pool for workloads that need less than one GPU.",
        (),
        tuple(
            Violation("no GPU sharing strategy: set gpuSharingConfig or gpuPartitionSize for sub-GPU workloads", p)
            for p in gpu_pools
        ),
    )


def assess_virtualized_accelerator(graph: Graph) -> Assessment:
    """virtualized_accelerator (KAR-0004): vGPU exposed and managed where the accelerators are virtualized."""
    evidence = [
        _ev(p, "GPU Operator vgpuManager enabled")
        for p in _gpu_operator_policies(graph)
        if dig(p.props, "spec", "vgpuManager", "enabled") is True
    ]
    if evidence:
        return Assessment(Status.IMPLEMENTED, "vGPU is managed by the GPU Operator.", tuple(evidence))
    return Assessment(
        Status.NOT_APPLICABLE,
        "No virtualized accelerator in the graph: the node pools attach physical GPUs/TPUs by passthrough "
        "(GKE offers no vGPU), so there is no vGPU to expose.",
    )


# --- networking ---------------------------------------------------------------------------------------------------


def _attached_routes(graph: Graph) -> list[Resource]:
    gateways = {(g.namespace, g.object_name) for g in graph.kubernetes("Gateway", group="gateway.networking.k8s.io")}
    attached = []
    for route in graph.kubernetes("HTTPRoute", "GRPCRoute", group="gateway.networking.k8s.io"):
        for parent in items(dig(route.props, "spec", "parentRefs")):
            ref = mapping(parent)
            if (str(ref.get("namespace") or route.namespace), str(ref.get("name"))) in gateways:
                attached.append(route)
                break
    return attached


def assess_ai_inference(graph: Graph) -> Assessment:
    """ai_inference: the Gateway API with an implementation, and Gateways/routes for the inference services."""
    providers = []
    for cluster in graph.gke_clusters():
        channel = dig(cluster.props, "gatewayApiConfig", "channel")
        if channel in ("CHANNEL_STANDARD", "CHANNEL_EXPERIMENTAL"):
            providers.append(_ev(cluster, f"gatewayApiConfig.channel {channel} (GKE Gateway controller)"))
    providers += [
        _ev(c, "Gateway API CRD")
        for c in graph.has_crd("gateway.networking.k8s.io")
        if c.kind == "CustomResourceDefinition"
    ]
    providers += [_ev(r, "Gateway API implementation") for r in graph.releases_of(*GATEWAY_IMPLEMENTATION_CHARTS)]
    gateways = graph.kubernetes("Gateway", group="gateway.networking.k8s.io")
    routes = _attached_routes(graph)
    evidence = providers + [_ev(g, f"Gateway of class {dig(g.props, 'spec', 'gatewayClassName')}") for g in gateways]
    evidence += [_ev(r, "route attached to a Gateway") for r in routes]
    if (providers or not graph.gke_clusters()) and gateways and routes:
        return Assessment(Status.IMPLEMENTED, "Inference traffic enters through the Gateway API.", tuple(evidence))
    violations: list[Violation] = []
    if not providers and graph.gke_clusters():
        violations += [
            Violation("the Gateway API is not enabled: set gatewayApiConfig.channel CHANNEL_STANDARD", c)
            for c in graph.gke_clusters()
        ]
    if not gateways:
        violations.append(Violation("no Gateway object serves the inference routes"))
    elif not routes:
        violations += [Violation("no HTTPRoute/GRPCRoute attaches to this Gateway", g) for g in gateways]
    status = Status.PARTIAL if providers or gateways else Status.NOT_IMPLEMENTED
    return Assessment(
        status, "The Gateway API path to the model servers is incomplete.", tuple(evidence), tuple(violations)
    )


def assess_advanced_inference_ingress(graph: Graph) -> Assessment:
    """advanced_inference_ingress (KAR-0011): Gateway API Inference Extension (InferencePool + endpoint picker)."""
    pools = graph.kubernetes("InferencePool")
    routed = set()
    for route in graph.kubernetes("HTTPRoute", group="gateway.networking.k8s.io"):
        for rule in items(dig(route.props, "spec", "rules")):
            for backend in items(mapping(rule).get("backendRefs")):
                if mapping(backend).get("kind") == "InferencePool":
                    routed.add((route.namespace, str(mapping(backend).get("name"))))
    if not pools:
        return Assessment(
            Status.NOT_IMPLEMENTED,
            "No InferencePool in the graph.",
            (),
            (Violation("no InferencePool: route model traffic through the Gateway API Inference Extension"),),
        )
    evidence, violations = [], []
    for pool in pools:
        picker = dig(pool.props, "spec", "endpointPickerRef", "name")
        if (pool.namespace, pool.object_name) in routed and picker:
            evidence.append(_ev(pool, f"routed by an HTTPRoute, endpoint picker {picker}"))
        else:
            violations.append(Violation("InferencePool without an HTTPRoute backendRef or endpointPickerRef", pool))
    return Assessment(
        _status(len(evidence), len(pools)),
        "InferencePools route requests by model-server metrics.",
        tuple(evidence),
        tuple(violations),
    )


def _roles(graph: Graph) -> dict[str, list[PodTemplate]]:
    roles: dict[str, list[PodTemplate]] = {}
    for t in graph.model_servers():
        role = t.labels.get("llm-d.ai/role")
        if role:
            roles.setdefault(role, []).append(t)
    return roles


def _needs_fast_network(graph: Graph) -> list[str]:
    reasons = []
    roles = _roles(graph)
    if "prefill" in roles and "decode" in roles:
        reasons.append("prefill/decode disaggregation transfers KV caches between pods")
    for lws in graph.kubernetes("LeaderWorkerSet"):
        size = as_int(dig(lws.props, "spec", "leaderWorkerTemplate", "size")) or 1
        if size > 1:
            reasons.append(f"{lws.describe()} spans {size} pods per replica")
    for ds in graph.kubernetes("DisaggregatedSet"):
        for role in items(dig(ds.props, "spec", "roles")):
            size = as_int(dig(role, "spec", "leaderWorkerTemplate", "size")) or 1
            if size > 1:
                reasons.append(f"{ds.describe()} role {mapping(role).get('name')} spans {size} pods per replica")
    for t in graph.model_servers():
        for c in t.containers(init=False):
            args = container_args(c)
            if "--enable-expert-parallel" in args or (as_int(flag_value(args, "--data-parallel-size")) or 1) > 1:
                reasons.append(f"{t.workload.describe()} runs expert/data parallel across pods")
    return reasons


def assess_high_performance_networking(graph: Graph) -> Assessment:
    """high_performance_networking (KAR-0010): RDMA/multi-NIC networking where pods need it (conditional)."""
    reasons = _needs_fast_network(graph)
    if not reasons:
        return Assessment(
            Status.NOT_APPLICABLE,
            "Condition does not hold: no workload needs high-performance pod-to-pod communication (every model server "
            "fits one node; no P/D KV transfer, multi-node or expert-parallel workload).",
        )
    evidence = []
    for cluster in graph.gke_clusters():
        if cluster.props.get("enableMultiNetworking"):
            evidence.append(_ev(cluster, "enableMultiNetworking"))
    for pool in graph.node_pools():
        if items(dig(pool.props, "networkConfig", "additionalNodeNetworkConfigs")):
            evidence.append(_ev(pool, "additionalNodeNetworkConfigs (extra NICs)"))
    attached = [t for t in graph.model_servers() if rdma_attached(t)]
    evidence += [_ev(t.workload, "pods attach RDMA/EFA interfaces") for t in attached]
    if attached:
        return Assessment(Status.IMPLEMENTED, "Needed because " + "; ".join(reasons) + ".", tuple(evidence))
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "Needed because " + "; ".join(reasons) + ", but no pod attaches an RDMA/EFA interface.",
        tuple(evidence),
        (Violation("high-performance networking needed (" + "; ".join(reasons) + ") but no pod attaches RDMA/EFA"),),
    )


def assess_disaggregated_inference(graph: Graph) -> Assessment:
    """disaggregated_inference (KAR-0041): separate prefill and decode workloads."""
    roles = _roles(graph)
    if "prefill" in roles and "decode" in roles:
        evidence = [_ev(t.workload, f"llm-d.ai/role={role}") for role in ("prefill", "decode") for t in roles[role]]
        return Assessment(Status.IMPLEMENTED, "Prefill and decode run as separately scaled workloads.", tuple(evidence))
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "The stack serves aggregated (decode-only) model servers; llm-d's pd-disaggregation path would split prefill "
        "and decode.",
        tuple(_ev(t.workload, f"llm-d.ai/role={r}") for r, ts in roles.items() for t in ts),
        (Violation("no separate prefill and decode workloads"),),
    )


# --- scheduling and orchestration ---------------------------------------------------------------------------------


def assess_gang_scheduling(graph: Graph) -> Assessment:
    """gang_scheduling (KAR-0053): a gang-scheduling solution (Kueue, Volcano, KAI) is installed."""
    releases = graph.releases_of(*GANG_SCHEDULER_CHARTS)
    objects = [r for g in GANG_SCHEDULER_GROUPS for r in graph.has_crd(g)]
    queues = [o for o in objects if o.kind in ("ClusterQueue", "LocalQueue", "Queue", "ResourceFlavor")]
    evidence = [_ev(r, f"Helm chart {r.props.get('chart')} {r.props.get('version')}") for r in releases]
    evidence += [_ev(q, "queue") for q in queues]
    if releases:
        return Assessment(Status.IMPLEMENTED, "A gang scheduler is installed with the stack.", tuple(evidence))
    crds = [o for o in objects if o.kind == "CustomResourceDefinition"]
    if crds:
        return Assessment(
            Status.IMPLEMENTED, "A gang scheduler's CRDs are installed.", tuple(_ev(c, "CRD") for c in crds)
        )
    if queues:
        return Assessment(
            Status.PARTIAL,
            "Queues exist but the scheduler's installation is not part of the graph.",
            tuple(evidence),
            (Violation("queue objects without a gang scheduler installation (Kueue / Volcano release)"),),
        )
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "No gang-scheduling solution in the graph.",
        (),
        (Violation("no gang scheduler: install Kueue (kubernetes-sigs/kueue), Volcano or KAI"),),
    )


def _autoscaler_provided(graph: Graph) -> list[str]:
    found = [c.describe() for c in graph.gke_clusters()]
    found += [c.describe() for c in graph.of_type("aws:eks/cluster:Cluster")]
    found += [r.describe() for r in graph.releases_of("karpenter", "cluster-autoscaler")]
    return found


def assess_cluster_autoscaling(graph: Graph) -> Assessment:
    """cluster_autoscaling (KAR-0055, conditional MUST): accelerator node groups scale up and down."""
    providers = _autoscaler_provided(graph)
    if not providers:
        return Assessment(
            Status.NOT_APPLICABLE,
            "The graph has no cluster, node pool or autoscaler resource (existing cluster): whether the platform "
            "provides a cluster autoscaler is not visible.",
        )
    nap = [
        c
        for c in graph.gke_clusters()
        if dig(c.props, "clusterAutoscaling", "enabled")
        and any(
            "gpu" in str(mapping(r).get("resourceType", ""))
            for r in items(dig(c.props, "clusterAutoscaling", "resourceLimits"))
        )
    ]
    pools = graph.accelerator_pools()
    if not pools and not nap:
        return Assessment(Status.NOT_APPLICABLE, "The graph has no accelerator node pool to scale.")
    evidence = [_ev(c, "node auto-provisioning with accelerator resource limits") for c in nap]
    violations = []
    for pool in pools:
        bounds = pool_autoscaling(pool)
        kind = pool_accelerators(pool)[0]
        if bounds is not None and bounds[1] > bounds[0]:
            evidence.append(_ev(pool, f"{kind} pool autoscales {bounds[0]}..{bounds[1]} nodes on pending pods"))
        elif nap:
            evidence.append(_ev(pool, "fixed size; accelerators also come from node auto-provisioning"))
        elif bounds is not None:
            violations.append(
                Violation(f"autoscaling {bounds[0]}..{bounds[1]} cannot scale: set maxNodeCount > minNodeCount", pool)
            )
        else:
            violations.append(Violation("fixed-size accelerator pool: add autoscaling (min/max nodes)", pool))
    status = Status.IMPLEMENTED if nap else _status(len(pools) - len(violations), len(pools))
    return Assessment(
        status,
        "The platform provides a cluster autoscaler ("
        + ", ".join(providers[:1])
        + "); accelerator pools scale with it.",
        tuple(evidence),
        tuple(violations),
    )


def _hpa_metrics(hpa: Resource) -> list[str]:
    return [str(mapping(m).get("type")) for m in items(dig(hpa.props, "spec", "metrics"))]


def _metrics_adapters(graph: Graph) -> list[Resource]:
    found = graph.releases_of(*METRICS_ADAPTERS)
    found += [d for d in graph.kubernetes("Deployment") if any(a in d.object_name for a in METRICS_ADAPTERS)]
    found += [
        s
        for s in graph.kubernetes("APIService")
        if dig(s.props, "spec", "group") in ("custom.metrics.k8s.io", "external.metrics.k8s.io")
    ]
    return found


def _pool_selector(pool: Resource) -> Mapping[str, object]:
    """An InferencePool's pod selector as a label selector (v1: ``spec.selector.matchLabels``; v1alpha2: a plain
    label map ``spec.selector``)."""
    selector = mapping(dig(pool.props, "spec", "selector"))
    if "matchLabels" in selector or "matchExpressions" in selector:
        return selector
    return {"matchLabels": dict(selector)} if selector else {"matchLabels": {"\x00": "no selector"}}


def _serves(template: PodTemplate, graph: Graph) -> bool:
    """Whether pods of ``template`` are a long-running serving workload: a Deployment / StatefulSet / LeaderWorkerSet
    whose pods an InferencePool selects or that run an inference server. Jobs, CronJobs, JobSets, bare Pods and
    DaemonSets (batch or per-node work) are not."""
    if template.workload.kind not in LONG_RUNNING_KINDS:
        return False
    pooled = any(
        p.namespace == template.workload.namespace and selector_matches(_pool_selector(p), template.labels)
        for p in graph.kubernetes("InferencePool")
    )
    return pooled or is_model_server(template)


def _scale_targets(workload: Resource) -> set[tuple[Any, Any]]:
    """``(kind, name)`` an autoscaler's ``scaleTargetRef`` names to scale ``workload``: the workload itself, or for a
    DisaggregatedSet the DisaggregatedSetRoleScaler ``<set>-<role>`` of each External role (kubernetes-sigs/lws
    site/content/en/docs/concepts/disaggregatedset/role-scaler: the stable per-role target; child LeaderWorkerSets
    carry a revision hash in their names)."""
    targets: set[tuple[Any, Any]] = {(workload.kind, workload.object_name)}
    if workload.kind == "DisaggregatedSet":
        for role in items(dig(workload.props, "spec", "roles")):
            if dig(role, "scaling", "mode") == "External":
                targets.add(("DisaggregatedSetRoleScaler", f"{workload.object_name}-{mapping(role).get('name')}"))
    return targets


def assess_pod_autoscaling(graph: Graph) -> Assessment:
    """pod_autoscaling (KAR-0057, conditional MUST): HPAs on custom AI metrics for accelerator serving workloads.

    Only long-running serving workloads (:func:`_serves`) need an HPA: a GPU batch Job, a JobSet or a Kueue-managed
    Job runs to completion and is admitted / sized per run (KAR-0057 asks for autoscaling of inference services)."""
    disabled = [
        c for c in graph.gke_clusters() if dig(c.props, "addonsConfig", "horizontalPodAutoscaling", "disabled") is True
    ]
    if disabled:
        return Assessment(
            Status.NOT_APPLICABLE,
            "Condition does not hold: the cluster's HorizontalPodAutoscaling add-on is disabled "
            f"({disabled[0].describe()}).",
        )
    workloads = _workloads_with(t for t in graph.templates() if uses_accelerators(t) and _serves(t, graph))
    if not workloads:
        return Assessment(
            Status.NOT_APPLICABLE,
            "No long-running serving workload in the graph uses accelerators (batch Jobs, JobSets and other "
            "run-to-completion workloads are sized per run, not scaled by an HPA).",
        )
    hpas = graph.kubernetes("HorizontalPodAutoscaler")
    # A KEDA ScaledObject is pod autoscaling too: KEDA creates and owns the HPA that scales its target on External
    # metrics its metrics server serves (llm-d/llm-d guides/workload-autoscaling/keda-epp-queue/README.md "Overview";
    # keda.sh ScaledObject spec.scaleTargetRef, kind default Deployment).
    scaled_objects = [s for s in graph.kubernetes("ScaledObject") if items(dig(s.props, "spec", "triggers"))]
    adapters = _metrics_adapters(graph)
    evidence = [_ev(a, "serves custom/external metrics to the HPA") for a in adapters]
    violations: list[Violation] = []
    covered = 0
    for workload, _ in workloads.values():
        targets = _scale_targets(workload)
        matching = [
            h
            for h in hpas
            if h.namespace == workload.namespace
            and (dig(h.props, "spec", "scaleTargetRef", "kind"), dig(h.props, "spec", "scaleTargetRef", "name"))
            in targets
        ]
        custom = [h for h in matching if set(_hpa_metrics(h)) & {"Pods", "Object", "External"}]
        if custom:
            covered += 1
            names = [
                str(
                    dig(m, "pods", "metric", "name")
                    or dig(m, "external", "metric", "name")
                    or dig(m, "object", "metric", "name")
                )
                for h in custom
                for m in items(dig(h.props, "spec", "metrics"))
                if mapping(m).get("type") in ("Pods", "Object", "External")
            ]
            evidence.append(_ev(custom[0], f"scales {workload.kind} {workload.object_name} on {', '.join(names)}"))
        elif keda := [
            s
            for s in scaled_objects
            if s.namespace == workload.namespace
            and (
                dig(s.props, "spec", "scaleTargetRef", "kind") or "Deployment",
                dig(s.props, "spec", "scaleTargetRef", "name"),
            )
            in targets
        ]:
            covered += 1
            triggers = [
                str(mapping(t).get("name") or mapping(t).get("type"))
                for t in items(dig(keda[0].props, "spec", "triggers"))
            ]
            evidence.append(
                _ev(keda[0], f"KEDA scales {workload.kind} {workload.object_name} on {', '.join(triggers)}")
            )
        elif matching:
            violations.append(
                Violation("the HPA uses only Resource metrics; scale on an AI-serving metric", matching[0])
            )
        else:
            violations.append(
                Violation("accelerator workload without a HorizontalPodAutoscaler on a custom metric", workload)
            )
    if covered and not adapters:
        violations.append(Violation("HPAs use custom metrics but no metrics adapter serves custom.metrics.k8s.io"))
        return Assessment(Status.PARTIAL, "No metrics adapter in the graph.", tuple(evidence), tuple(violations))
    return Assessment(
        _status(covered, len(workloads)),
        "Accelerator workloads scale on serving metrics through the HPA and a metrics adapter.",
        tuple(evidence),
        tuple(violations),
    )


# --- observability ------------------------------------------------------------------------------------------------


def accelerator_metrics_exporters(graph: Graph) -> list[tuple[Resource, str]]:
    """Every per-accelerator metrics exporter in the graph, with what it is: a chart, DaemonSet or container image of
    :data:`ACCELERATOR_METRICS_EXPORTER_KINDS` (NVIDIA's DCGM exporter, AMD's device-metrics exporter, Intel XPU
    Manager), NVIDIA's GPU Operator ClusterPolicy with ``dcgmExporter`` on, the AMD GPU Operator chart's default
    DeviceConfig or an ``amd.com`` DeviceConfig with ``metricsExporter.enable``."""
    found: list[tuple[Resource, str]] = [
        (r, ACCELERATOR_METRICS_EXPORTER_KINDS.get(chart_basename(r), "DCGM exporter"))
        for r in graph.releases_of(*ACCELERATOR_METRICS_CHARTS)
    ]
    names = ACCELERATOR_METRICS_EXPORTER_KINDS
    images: dict[str, str] = {}
    for t in graph.templates():
        images[t.workload.urn] = images.get(t.workload.urn, "") + " ".join(
            str(c.get("image", "")) for c in t.containers()
        )
    for daemonset in graph.kubernetes("DaemonSet"):
        hit = next(
            (
                k
                for k in ACCELERATOR_METRICS_EXPORTERS
                if k in daemonset.object_name or k in images.get(daemonset.urn, "")
            ),
            None,
        )
        if hit is not None:
            found.append((daemonset, names[hit]))
    found += [
        (p, "GPU Operator DCGM exporter")
        for p in _gpu_operator_policies(graph)
        if dig(p.props, "spec", "dcgmExporter", "enabled") is not False
    ]
    for release in graph.releases_of(AMD_GPU_OPERATOR_CHART):
        values = mapping(release.props.get("values"))
        default_cr = dig(values, "crds", "defaultCR", "install") is not False
        if default_cr and dig(values, "deviceConfig", "spec", "metricsExporter", "enable") is not False:
            found.append((release, "AMD GPU Operator default DeviceConfig: device-metrics exporter"))
    found += [
        (d, "AMD DeviceConfig metricsExporter")
        for d in graph.kubernetes("DeviceConfig", group="amd.com")
        if dig(d.props, "spec", "metricsExporter", "enable") is True
    ]
    return found


def assess_accelerator_metrics(graph: Graph) -> Assessment:
    """accelerator_metrics (KAR-0059): per-accelerator utilisation and memory metrics (DCGM on NVIDIA GPUs, AMD's
    device-metrics exporter on AMD Instinct, Intel XPU Manager on Intel GPUs: :func:`accelerator_metrics_exporters`;
    GKE system metrics on TPUs); N/A without accelerators (CPU-only serving)."""
    pools = graph.accelerator_pools()
    gpu_pools = [p for p in pools if pool_accelerators(p)[0] != "tpu"]
    accelerated = [t for t in graph.templates() if uses_accelerators(t)]
    if not pools and not accelerated:
        return Assessment(Status.NOT_APPLICABLE, "No accelerator in the graph.")
    evidence, violations = [], []
    for cluster in graph.gke_clusters():
        components = [str(c) for c in items(dig(cluster.props, "monitoringConfig", "enableComponents"))]
        prometheus = dig(cluster.props, "monitoringConfig", "managedPrometheus", "enabled") is True
        if "DCGM" in components and prometheus:
            evidence.append(_ev(cluster, "monitoringConfig.enableComponents DCGM with managed Prometheus"))
        elif "DCGM" in components:
            violations.append(
                Violation("DCGM metrics need managed Prometheus (monitoringConfig.managedPrometheus)", cluster)
            )
        elif gpu_pools:
            violations.append(
                Violation("GPU metrics off: add DCGM to monitoringConfig.enableComponents (GKE DCGM exporter)", cluster)
            )
    exporters = accelerator_metrics_exporters(graph)
    evidence += [_ev(e, what) for e, what in exporters]
    if exporters:
        violations = []
    if gpu_pools or not pools:
        if evidence and not violations:
            return Assessment(
                Status.IMPLEMENTED, "Per-GPU utilisation, memory, power and temperature are exported.", tuple(evidence)
            )
        if not graph.gke_clusters() and not exporters:
            violations.append(
                Violation(
                    "no accelerator metrics exporter (NVIDIA dcgm-exporter / GPU Operator, AMD device-metrics-exporter "
                    "/ AMD GPU Operator, Intel XPU Manager)"
                )
            )
        return Assessment(
            Status.PARTIAL if evidence else Status.NOT_IMPLEMENTED,
            "Accelerator metrics are not collected.",
            tuple(evidence),
            tuple(violations),
        )
    return Assessment(
        Status.IMPLEMENTED,
        "TPU metrics (utilisation, HBM) are exported by GKE for TPU node pools.",
        tuple(_ev(p, "TPU pool: GKE system metrics") for p in pools),
    )


def _monitored(template: PodTemplate, monitors: list[Resource]) -> Resource | None:
    namespace = template.workload.namespace
    for monitor in monitors:
        selects = selector_matches(dig(monitor.props, "spec", "selector"), template.labels)
        if monitor.kind == "ClusterPodMonitoring" and selects:
            return monitor
        if monitor.kind in ("PodMonitoring", "PodMonitor") and monitor.namespace in ("", namespace) and selects:
            return monitor
        if monitor.kind == "ServiceMonitor" and monitor.namespace == namespace:
            return monitor
    return None


def assess_ai_service_metrics(graph: Graph) -> Assessment:
    """ai_service_metrics (KAR-0061): a monitoring system that discovers and scrapes the model servers' metrics."""
    systems = [
        _ev(c, "monitoringConfig.managedPrometheus (GKE Managed Service for Prometheus)")
        for c in graph.gke_clusters()
        if dig(c.props, "monitoringConfig", "managedPrometheus", "enabled") is True
    ]
    systems += [_ev(r, "Prometheus stack") for r in graph.releases_of(*MONITORING_CHARTS)]
    systems += [_ev(p, "Prometheus") for p in graph.kubernetes("Prometheus", group="monitoring.coreos.com")]
    monitors = graph.kubernetes("PodMonitoring", "ClusterPodMonitoring", group="monitoring.googleapis.com")
    monitors += graph.kubernetes("PodMonitor", "ServiceMonitor", group="monitoring.coreos.com")
    if not systems:
        return Assessment(
            Status.NOT_IMPLEMENTED,
            "No Prometheus-compatible monitoring system in the graph.",
            (),
            tuple(
                Violation("managed Prometheus is off: set monitoringConfig.managedPrometheus.enabled", c)
                for c in graph.gke_clusters()
            )
            or (Violation("no monitoring system (GKE managed Prometheus, kube-prometheus-stack)"),),
        )
    evidence = list(systems)
    violations = []
    servers = graph.serving()
    for template in servers:
        monitor = _monitored(template, monitors)
        if monitor is not None:
            evidence.append(_ev(monitor, f"scrapes {template.workload.kind} {template.workload.object_name}"))
        else:
            violations.append(
                Violation("metrics of this workload are not collected: add a PodMonitoring", template.workload)
            )
    ok = len(servers) - len(violations)
    status = Status.IMPLEMENTED if not violations else (Status.PARTIAL if ok or systems else Status.NOT_IMPLEMENTED)
    return Assessment(
        status,
        "Model-server and endpoint-picker metrics are scraped in Prometheus format.",
        tuple(evidence),
        tuple(violations),
    )


# --- security -----------------------------------------------------------------------------------------------------


def accelerator_access_problems(template: PodTemplate) -> list[str]:
    """Why pods of ``template`` could reach accelerators outside the device plugin / DRA (empty when none)."""
    if not lands_on_accelerator_nodes(template):
        return []
    problems = []
    if template.spec.get("hostPID") or template.spec.get("hostIPC"):
        problems.append("shares the host PID/IPC namespace on accelerator nodes")
    for volume in items(template.spec.get("volumes")):
        path = dig(volume, "hostPath", "path")
        if isinstance(path, str) and host_path_exposes_devices(path):
            problems.append(f"mounts host device path {path} (bypasses the device plugin)")
    for container in template.containers():
        name = container.get("name", "?")
        security = mapping(container.get("securityContext"))
        if security.get("privileged") is True:
            problems.append(f"container {name} is privileged (sees every device on the node)")
        added = {str(c) for c in items(dig(security, "capabilities", "add"))}
        if added & {"SYS_ADMIN", "ALL", "CAP_SYS_ADMIN"}:
            problems.append(f"container {name} adds {sorted(added & {'SYS_ADMIN', 'ALL', 'CAP_SYS_ADMIN'})}")
        if not accelerator_counts(container):
            for env in items(container.get("env")):
                if mapping(env).get("name") in (
                    "NVIDIA_VISIBLE_DEVICES",
                    "CUDA_VISIBLE_DEVICES",
                ) and "value" in mapping(env):
                    problems.append(f"container {name} selects GPUs by {mapping(env)['name']} without a device limit")
    return problems


def assess_secure_accelerator_access(graph: Graph) -> Assessment:
    """secure_accelerator_access (KAR-0049): accelerators reached only through device plugins / DRA."""
    templates = [t for t in graph.templates() if lands_on_accelerator_nodes(t)]
    if not templates:
        return Assessment(Status.NOT_APPLICABLE, "No workload in the graph runs on accelerator nodes.")
    evidence, violations = [], []
    for template in templates:
        problems = accelerator_access_problems(template)
        if problems:
            violations += [Violation(p, template.workload) for p in problems]
            continue
        counts = {k: v for c in template.containers() for k, v in accelerator_counts(c).items()}
        how = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "resourceClaims"
        evidence.append(_ev(template.workload, f"devices only through limits ({how}); no privileged or /dev mounts"))
    if violations:
        return Assessment(
            Status.NOT_IMPLEMENTED,
            "A workload on accelerator nodes can reach devices outside the device plugin / DRA.",
            tuple(evidence),
            tuple(violations),
        )
    return Assessment(
        Status.IMPLEMENTED,
        "Accelerators are allocated by the device plugin; workloads cannot reach other devices.",
        tuple(evidence),
    )


#: Words that mark a sandboxing runtime in a RuntimeClass's name or handler: the list upstream's automated test
#: discovers sandboxes by (kubernetes-sigs/ai-conformance ``test/workload_sandboxing_test.go``,
#: ``isKnownSandboxedRuntime``, commit 0a155c94): gVisor (``runsc``), Kata Containers, Quark, libkrun.
SANDBOX_RUNTIME_KEYWORDS: Final = ("gvisor", "runsc", "kata", "sandboxed", "quark", "krun")
#: API group of kubernetes-sigs/agent-sandbox (``Sandbox`` objects); upstream's test accepts it as a sandboxing
#: solution, but its pods are only kernel-isolated when they run under a sandboxed RuntimeClass.
AGENT_SANDBOX_GROUP: Final = "agents.x-k8s.io"
#: The RuntimeClass GKE Sandbox provides on clusters with a gVisor node pool, and on Autopilot clusters
#: (https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods: pods select ``runtimeClassName: gvisor``).
GKE_SANDBOX_RUNTIME_CLASS: Final = "gvisor"


def is_sandbox_runtime(name: object, handler: object = "") -> bool:
    """Whether a RuntimeClass named ``name`` with ``handler`` is a sandboxing runtime (gVisor, Kata, ...): either
    contains one of :data:`SANDBOX_RUNTIME_KEYWORDS`, case-insensitively, as upstream's test decides it."""
    text = f"{name or ''} {handler or ''}".lower()
    return any(keyword in text for keyword in SANDBOX_RUNTIME_KEYWORDS)


def _gvisor_node_configs(resource: Resource) -> list[str]:
    """Where ``resource`` (a GKE node pool or cluster) turns GKE Sandbox on: ``nodeConfig.sandboxConfig`` with
    ``type: GVISOR`` or the deprecated ``sandboxType: gvisor`` (pulumi-gcp ``NodePoolNodeConfigSandboxConfig``)."""
    configs = [("nodeConfig", dig(resource.props, "nodeConfig", "sandboxConfig"))]
    configs += [
        (f"nodePools[{mapping(p).get('name', i)}].nodeConfig", dig(p, "nodeConfig", "sandboxConfig"))
        for i, p in enumerate(items(resource.props.get("nodePools")))
    ]
    found = []
    for where, config in configs:
        kind = mapping(config).get("type") or mapping(config).get("sandboxType")
        if str(kind or "").lower() == "gvisor":
            found.append(f"{where}.sandboxConfig {kind} (GKE Sandbox)")
    return found


def assess_workload_sandboxing(graph: Graph) -> Assessment:
    """workload_sandboxing (KAR-0020, SHOULD from v1.37): workloads can run in a sandbox isolated from the host kernel.

    KAR-0020 (kubernetes-sigs/ai-conformance ``kars/0020-workload-sandboxing/README.md``) verifies "the underlying
    platform capability to provide abstract kernel isolation mechanisms (e.g., via ``RuntimeClass``)", not a specific
    controller or runtime. What a graph shows: a ``node.k8s.io`` RuntimeClass whose name or handler is a sandbox
    (:func:`is_sandbox_runtime`: gVisor ``runsc``, Kata ...); a GKE node pool with ``nodeConfig.sandboxConfig`` gVisor
    or an Autopilot cluster (both give the ``gvisor`` RuntimeClass); pods that select one with
    ``spec.runtimeClassName``. agent-sandbox alone is Partially Implemented (its pods need a sandboxed runtime).
    N/A when the graph has no cluster resource and no sign of a sandbox (an existing cluster's RuntimeClasses are
    not visible)."""
    evidence: list[str] = []
    provided: dict[str, str] = {}
    for rc in graph.kubernetes("RuntimeClass", group="node.k8s.io"):
        handler = rc.props.get("handler")
        if is_sandbox_runtime(rc.object_name, handler):
            provided[rc.object_name] = rc.describe()
            evidence.append(_ev(rc, f"sandboxed runtime handler {handler}"))
    gke_sources = [
        (r, where) for r in graph.of_type("gcp:container/nodePool:NodePool") for where in _gvisor_node_configs(r)
    ]
    gke_sources += [(c, where) for c in graph.gke_clusters() for where in _gvisor_node_configs(c)]
    gke_sources += [
        (c, "enableAutopilot (GKE Sandbox built in)")
        for c in graph.gke_clusters()
        if c.props.get("enableAutopilot") is True
    ]
    for resource, where in gke_sources:
        provided.setdefault(GKE_SANDBOX_RUNTIME_CLASS, resource.describe())
        evidence.append(_ev(resource, f"{where}: RuntimeClass {GKE_SANDBOX_RUNTIME_CLASS}"))
    clusters = graph.gke_clusters() + graph.of_type("aws:eks/cluster:Cluster")
    selecting = [t for t in graph.templates() if t.spec.get("runtimeClassName")]
    violations: list[Violation] = []
    cluster_provided: set[str] = set()
    for template in selecting:
        name = str(template.spec.get("runtimeClassName"))
        what = f"{template.workload.kind} {template.workload.object_name}"
        if name in provided:
            evidence.append(_ev(template.workload, f"pods run in the sandbox (runtimeClassName {name})"))
        elif is_sandbox_runtime(name) and not clusters:
            # An existing cluster: the RuntimeClass admission plugin rejects pods whose class does not exist, so
            # the cluster provides it (kubernetes.io/docs/concepts/containers/runtime-class).
            cluster_provided.add(name)
            evidence.append(_ev(template.workload, f"pods select the cluster's sandboxed RuntimeClass {name}"))
        elif is_sandbox_runtime(name):
            violations.append(
                Violation(
                    f"{what} selects RuntimeClass {name}, which the stack does not provide: add a GKE Sandbox node "
                    "pool (nodeConfig.sandboxConfig.type GVISOR) or a RuntimeClass with that handler",
                    template.workload,
                )
            )
    if provided or cluster_provided:
        names = ", ".join(sorted({*provided, *cluster_provided}))
        notes = f"Workloads can run sandboxed from the host kernel by selecting RuntimeClass {names}"
        notes += "." if selecting else "; no workload of the stack selects it (the model servers need no sandbox)."
        status = Status.PARTIAL if violations else Status.IMPLEMENTED
        return Assessment(status, notes, tuple(evidence), tuple(violations))
    agents = graph.has_crd(AGENT_SANDBOX_GROUP)
    if agents:
        return Assessment(
            Status.PARTIAL,
            "agent-sandbox is installed, but no sandboxed RuntimeClass: its Sandbox pods share the host kernel.",
            tuple(_ev(a, "agent-sandbox API") for a in agents),
            tuple(violations)
            or (
                Violation(
                    "agent-sandbox without a sandboxed RuntimeClass (gVisor runsc, Kata): its pods run under the "
                    "default runtime, which shares the host kernel"
                ),
            ),
        )
    if violations:
        return Assessment(
            Status.NOT_IMPLEMENTED, "Pods select a sandbox the stack does not provide.", (), tuple(violations)
        )
    if not clusters:
        return Assessment(
            Status.NOT_APPLICABLE,
            "The graph has no cluster resource (existing cluster) and no RuntimeClass: the cluster's sandboxed "
            "runtimes are not visible (run upstream's TestWorkloadSandboxing against the cluster).",
        )
    advice = []
    for cluster in clusters:
        if cluster.type == "aws:eks/cluster:Cluster":
            message = (
                "no sandboxed runtime for untrusted workloads: run Kata Containers or gVisor (runsc) on a node group "
                "and add a node.k8s.io RuntimeClass with that handler"
            )
        else:
            message = (
                "no sandboxed runtime for untrusted workloads: add a GKE Sandbox node pool "
                "(nodeConfig.sandboxConfig.type GVISOR); pods then select runtimeClassName gvisor"
            )
        advice.append(Violation(message, cluster))
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "No sandboxed RuntimeClass (gVisor, Kata) in the graph: every pod shares the node's kernel. The model "
        "servers need none; agent workloads that run untrusted code do.",
        (),
        tuple(advice),
    )


# --- operator -----------------------------------------------------------------------------------------------------


def _webhook_disabled(values: object) -> list[str]:
    found = []
    if isinstance(values, Mapping):
        for key, value in values.items():
            lowered = str(key).lower()
            if "webhook" in lowered and value is False:
                found.append(str(key))
            if "webhook" in lowered and isinstance(value, Mapping) and value.get("enabled") is False:
                found.append(f"{key}.enabled")
            found += _webhook_disabled(value)
    return found


def assess_robust_controller(graph: Graph) -> Assessment:
    """robust_controller (KAR-0063): an AI operator with CRDs and a working webhook is installed."""
    releases = graph.releases_of(*AI_OPERATOR_CHARTS)
    evidence, violations = [], []
    for release in releases:
        disabled = _webhook_disabled(release.props.get("values"))
        if disabled:
            violations.append(Violation(f"operator webhook disabled ({', '.join(disabled)})", release))
        else:
            evidence.append(_ev(release, f"{chart_basename(release)} {release.props.get('version')} with its webhook"))
    custom = [r for g in AI_OPERATOR_GROUPS for r in graph.has_crd(g) if r.kind != "ClusterPolicy"]
    evidence += [_ev(r, "custom resource reconciled by the operator") for r in custom]
    if len(violations) < len(releases):
        return Assessment(
            Status.IMPLEMENTED,
            "An AI operator with CRDs and webhooks is installed.",
            tuple(evidence),
            tuple(violations),
        )
    if releases or custom:
        if not violations:
            violations.append(
                Violation("AI operator custom resources without the operator's installation in the graph")
            )
        return Assessment(Status.PARTIAL, "The AI operator is not fully installed.", tuple(evidence), tuple(violations))
    return Assessment(
        Status.NOT_IMPLEMENTED,
        "No AI operator in the graph.",
        (),
        (Violation("no AI operator with CRDs and webhooks (e.g. LeaderWorkerSet, KubeRay, KServe)"),),
    )


ASSESSORS: Final[Mapping[str, Assessor]] = {
    "dra_support": assess_dra_support,
    "driver_runtime_management": assess_driver_runtime_management,
    "gpu_sharing": assess_gpu_sharing,
    "virtualized_accelerator": assess_virtualized_accelerator,
    "ai_inference": assess_ai_inference,
    "advanced_inference_ingress": assess_advanced_inference_ingress,
    "high_performance_networking": assess_high_performance_networking,
    "disaggregated_inference": assess_disaggregated_inference,
    "gang_scheduling": assess_gang_scheduling,
    "cluster_autoscaling": assess_cluster_autoscaling,
    "pod_autoscaling": assess_pod_autoscaling,
    "accelerator_metrics": assess_accelerator_metrics,
    "ai_service_metrics": assess_ai_service_metrics,
    "secure_accelerator_access": assess_secure_accelerator_access,
    "workload_sandboxing": assess_workload_sandboxing,
    "robust_controller": assess_robust_controller,
}
