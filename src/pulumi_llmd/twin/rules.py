"""The twin's rules: what a fresh cloud project and a fresh cluster would refuse, and why.

Each rule reads the :class:`~pulumi_llmd.twin.model.Graph` of a render and yields :class:`Finding` s. A finding names
the rule family (``ordering``, ``admission``, ``scheduling``, ``weights``, ``awaits``, ``cloud``, ``routing``),
the check, the resource, what would happen and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pulumi_llmd.components import catalog
from pulumi_llmd.components.platform.pod_security import pod_security_violations
from pulumi_llmd.twin import facts
from pulumi_llmd.twin.model import Graph, NodePool, PodTemplate, Resource, pod_templates


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the first ``pulumi up`` would fail on (or never serve because of)."""

    rule: str
    check: str
    resource: str
    message: str
    fix: str

    def line(self) -> str:
        """``FAIL rule/check: resource: message (fix: ...)``."""
        return f"FAIL {self.rule}/{self.check}: {self.resource}: {self.message} (fix: {self.fix})"


# --- helpers --------------------------------------------------------------------------------------------------


def workloads(graph: Graph) -> list[tuple[Resource, list[PodTemplate]]]:
    """Kubernetes workload objects with their pod templates."""
    return [(r, list(templates)) for r, templates in graph.workloads]


def is_gke(graph: Graph) -> bool:
    """The render creates a GKE cluster."""
    return any(r.type == "gcp:container/cluster:Cluster" for r in graph.resources.values())


def _gke_cluster(graph: Graph) -> Resource | None:
    return next((r for r in graph.custom() if r.type == "gcp:container/cluster:Cluster"), None)


# --- ordering -------------------------------------------------------------------------------------------------


def _crd_sources(graph: Graph) -> dict[str, list[Resource]]:
    """API group -> resources that install its CRDs (CRD objects, charts)."""
    sources: dict[str, list[Resource]] = {}
    for r in graph.custom():
        if r.kind == "CustomResourceDefinition":
            sources.setdefault(str(r.spec.get("group", "")), []).append(r)
        for group in facts.CHART_CRD_GROUPS.get(r.chart, ()):
            sources.setdefault(group, []).append(r)
    cluster = _gke_cluster(graph)
    if cluster is not None:
        i = cluster.inputs
        groups: list[str] = []
        if (i.get("gatewayApiConfig") or {}).get("channel") not in (None, "CHANNEL_DISABLED"):
            groups.extend(facts.GKE_BUILTIN_GROUPS_GATEWAY)
        if ((i.get("monitoringConfig") or {}).get("managedPrometheus") or {}).get("enabled", True):
            groups.extend(facts.GKE_BUILTIN_GROUPS_GMP)
        if i.get("enableMultiNetworking"):
            groups.extend(facts.GKE_BUILTIN_GROUPS_MULTINET)
        for group in groups:
            sources.setdefault(group, []).append(cluster)
    return sources


def check_ordering(graph: Graph) -> Iterator[Finding]:
    """CRDs before custom resources, namespaces before namespaced objects, fail-closed webhooks before what they
    intercept, cloud identities and node add-ons before what needs them, device plugins before their consumers."""
    sources = _crd_sources(graph)
    namespaces: dict[str, list[Resource]] = {}
    for r in graph.custom():
        if r.kind == "Namespace":
            namespaces.setdefault(str(r.metadata.get("name", "")), []).append(r)
        elif r.chart and r.inputs.get("createNamespace"):
            namespaces.setdefault(str(r.inputs.get("namespace", "")), []).append(r)
    builtin_ns = facts.BUILTIN_NAMESPACES | (facts.GKE_NAMESPACES if is_gke(graph) else frozenset())
    for r in graph.custom():
        if r.is_kube and r.api_group not in facts.BUILTIN_GROUPS and r.kind != "CustomResourceDefinition":
            candidates = sources.get(r.api_group, [])
            if not candidates:
                yield Finding(
                    "ordering",
                    "crd-before-cr",
                    r.label(),
                    f"no CustomResourceDefinition for {r.api_group} is installed by the stack or the cluster",
                    f"install the CRDs of {r.api_group} and make the object depend on them",
                )
            elif not any(graph.waits_for(r.urn, s.urn) for s in candidates):
                yield Finding(
                    "ordering",
                    "crd-before-cr",
                    r.label(),
                    f"races the CRD of {r.api_group} (installed by {candidates[0].label()}): 'no matches for kind'",
                    f"depends_on {candidates[0].label()}",
                )
        ns = r.namespace if r.is_kube else (str(r.inputs.get("namespace", "")) if r.chart else "")
        if r.chart and r.inputs.get("createNamespace"):
            ns = ""
        if ns and ns not in builtin_ns:
            owners = namespaces.get(ns, [])
            if not owners:
                yield Finding(
                    "ordering",
                    "namespace-first",
                    r.label(),
                    f"namespace {ns} is never created",
                    f"create Namespace {ns} (or createNamespace on its release) and depend on it",
                )
            elif not any(o.urn == r.urn or graph.waits_for(r.urn, o.urn) for o in owners):
                yield Finding(
                    "ordering",
                    "namespace-first",
                    r.label(),
                    f"races its Namespace {ns} (created by {owners[0].label()}): 'namespaces \"{ns}\" not found'",
                    f"depends_on {owners[0].label()}",
                )
    yield from _webhooks(graph)
    yield from _chart_webhooks(graph)
    yield from _identities(graph)
    yield from _device_plugins(graph)


#: Kueue integrations whose webhooks follow ``managedJobsNamespaceSelector`` (charts/kueue
#: templates/webhook/manifests.yaml: the pod, deployment and statefulset webhooks take their namespaceSelector from
#: it); the Job, JobSet and LeaderWorkerSet webhooks fail closed in every namespace but kube-system and Kueue's own.
_KUEUE_SELECTED_KINDS = frozenset({"Pod", "Deployment", "StatefulSet"})


def _kueue_scope(release: Resource) -> tuple[set[str], Mapping[str, Any] | None]:
    """Kinds Kueue's webhooks intercept, and the namespace selector limiting the Pod, Deployment and StatefulSet
    ones (None: every namespace but kube-system and the release's own), from the release values (kubernetes-sigs/
    kueue charts/kueue values.yaml and templates/manager/_config.tpl, v0.19)."""
    values = release.inputs.get("values") or {}
    manager = (values.get("managerConfig") or {}).get("controllerManagerConfigYaml")
    config: Mapping[str, Any] = {}
    if isinstance(manager, str):
        try:
            loaded = yaml.safe_load(manager)
        except yaml.YAMLError:
            loaded = None
        config = loaded if isinstance(loaded, Mapping) else {}
    elif isinstance(manager, Mapping):
        config = manager
    frameworks = (config.get("integrations") or {}).get("frameworks") or facts.KUEUE_DEFAULT_FRAMEWORKS
    kinds = {k for f in frameworks for k in facts.KUEUE_FRAMEWORK_KINDS.get(str(f), ())}
    selector = config.get("managedJobsNamespaceSelector")
    return kinds, selector if isinstance(selector, Mapping) else None


def _selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        present = key in labels
        if (
            (op == "In" and (not present or labels[key] not in values))
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _namespace_labels(graph: Graph) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for r in graph.custom():
        if r.kind == "Namespace":
            name = str(r.metadata.get("name", ""))
            labels[name] = {**(r.metadata.get("labels") or {}), "kubernetes.io/metadata.name": name}
        elif r.chart and r.inputs.get("createNamespace"):
            name = str(r.inputs.get("namespace", ""))
            labels.setdefault(name, {"kubernetes.io/metadata.name": name})
    return labels


def _webhooks(graph: Graph) -> Iterator[Finding]:
    """Kueue's fail-closed webhooks reject what they intercept until its controller is ready; every intercepted
    object (and every release whose workloads are intercepted) must wait for the Kueue release."""
    ns_labels = _namespace_labels(graph)
    for release in graph.custom():
        if release.chart != "kueue":
            continue
        kinds, selector = _kueue_scope(release)
        own = str(release.inputs.get("namespace", "kueue-system"))

        def intercepted(ns: str, kind: str, kinds: set[str] = kinds, selector: Any = selector, own: str = own) -> bool:
            if ns in ("kube-system", own) or kind not in kinds:
                return False
            if kind not in _KUEUE_SELECTED_KINDS:
                return True
            return _selector_matches(selector, ns_labels.get(ns, {"kubernetes.io/metadata.name": ns}))

        for r in graph.custom():
            if r.urn == release.urn or graph.waits_for(r.urn, release.urn):
                continue
            hit: str | None = None
            if r.is_kube and r.namespace:
                if intercepted(r.namespace, r.kind):
                    hit = r.kind
                elif any(True for _ in pod_templates(r)) and intercepted(r.namespace, "Pod"):
                    hit = f"the Pods of this {r.kind}"
            elif r.chart:
                ns = str(r.inputs.get("namespace", ""))
                made = [k for k in facts.CHART_WORKLOADS.get(r.chart, ("Deployment", "Pod")) if intercepted(ns, k)]
                if made:
                    hit = f"the {', '.join(made)} this chart creates"
            if hit:
                yield Finding(
                    "ordering",
                    "webhook-before-object",
                    r.label(),
                    f"Kueue's fail-closed webhook intercepts {hit} in namespace "
                    f"{r.namespace or r.inputs.get('namespace')} and rejects it until the Kueue controller is ready",
                    "install Kueue first and depend on its release, or limit Kueue's integrations and "
                    "managedJobsNamespaceSelector to the namespaces and kinds that use it",
                )


def _chart_webhooks(graph: Graph) -> Iterator[Finding]:
    """Objects of an API group a chart's fail-closed webhook intercepts (``facts.CHART_WEBHOOK_GROUPS``) must wait
    for a release of that chart, wherever their CRDs come from."""
    for chart, groups in facts.CHART_WEBHOOK_GROUPS.items():
        releases = [r for r in graph.custom() if r.chart == chart]
        for r in graph.custom():
            if not r.is_kube or r.api_group not in groups or r.kind == "CustomResourceDefinition":
                continue
            if not any(graph.waits_for(r.urn, rel.urn) for rel in releases):
                yield Finding(
                    "ordering",
                    "webhook-before-object",
                    r.label(),
                    f"{chart}'s fail-closed webhook intercepts {r.api_group} objects and rejects them until it serves",
                    f"install {chart} first and depend on its release",
                )


def _identities(graph: Graph) -> Iterator[Finding]:
    clusters = [r for r in graph.custom() if r.type == "gcp:container/cluster:Cluster"]
    for r in graph.custom():
        if r.type.startswith("gcp:") and "iAM" in r.type and ".svc.id.goog" in str(r.inputs.get("member", "")):
            pool = str(r.inputs.get("member", "")).split("workloadIdentityPools/", 1)[-1].split("/", 1)[0]
            owners = [c for c in clusters if (c.inputs.get("workloadIdentityConfig") or {}).get("workloadPool") == pool]
            if not any(graph.waits_for(r.urn, c.urn) for c in owners):
                yield Finding(
                    "ordering",
                    "identity-after-cluster",
                    r.label(),
                    f"the Workload Identity pool {pool} exists only once a GKE cluster with Workload Identity "
                    "exists; on a fresh project the IAM binding fails",
                    "make the IAM member depend on the GKE cluster",
                )
    addons = [r for r in graph.custom() if r.type == "aws:eks/addon:Addon"]
    attachments = [r for r in graph.custom() if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]
    for r in graph.custom():
        if r.type != "aws:eks/nodeGroup:NodeGroup":
            continue
        cni = [a for a in addons if a.inputs.get("addonName") == "vpc-cni"]
        if cni and not any(graph.waits_for(r.urn, a.urn) for a in cni):
            yield Finding(
                "ordering",
                "nodes-after-cni",
                r.label(),
                "nodes join before the vpc-cni add-on is configured: they stay NotReady or get the default CNI",
                "make node groups depend on the vpc-cni add-on (EKS user guide: create add-ons before nodes)",
            )
        role = str(r.inputs.get("nodeRoleArn", "")).rsplit(":", 1)[-1]
        mine = [a for a in attachments if str(a.inputs.get("role", "")) in (role, role.split("/")[-1])]
        missing = [a for a in mine if not graph.waits_for(r.urn, a.urn)]
        if missing:
            yield Finding(
                "ordering",
                "nodes-after-role-policies",
                r.label(),
                f"the node role's {len(missing)} policy attachment(s) may not exist when nodes join: "
                "CreateNodegroup fails or nodes cannot pull images",
                "make node groups depend on the node role's policy attachments",
            )


def _device_plugins(graph: Graph) -> Iterator[Finding]:
    gke = is_gke(graph)
    plugin_releases = {r.chart: r for r in graph.custom() if r.chart}
    for owner, templates in workloads(graph):
        for t in templates:
            for resource in t.requests():
                chart = facts.DEVICE_PLUGIN_CHARTS.get(resource)
                if chart is None or (gke and resource in facts.GKE_BUILTIN_RESOURCES):
                    continue
                release = plugin_releases.get(chart)
                if release is not None and not graph.waits_for(owner.urn, release.urn):
                    yield Finding(
                        "ordering",
                        "device-plugin-first",
                        t.label(),
                        f"requests {resource} before the {chart} device plugin advertises it",
                        f"depend on {release.label()}",
                    )


# --- admission: Pod Security Standards ---------------------------------------------------------------------------

_LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}


def check_admission(graph: Graph) -> Iterator[Finding]:
    """The API server's admission of each object.

    * One object per API group, kind, namespace and name: a second create of the same object is refused
      (``409 AlreadyExists``, Kubernetes API conventions "Concurrency Control and Consistency"; pulumi-kubernetes
      does not adopt an object it did not create), so two components registering the same Kubernetes name stop the
      deploy half way.
    * Pod Security Admission: every pod template meets its namespace's ``enforce`` level (the Pod Security
      Standards checks of :func:`pulumi_llmd.components.platform.pod_security.pod_security_violations`: one home for
      the standard, used by the namespace's level decision and by the twin)."""
    first: dict[tuple[str, str, str, str], Resource] = {}
    for r in graph.custom():
        name = str(r.metadata.get("name") or "")
        if not r.kind or not name:
            continue
        key = (r.api_group, r.kind, r.namespace, name)
        if key in first:
            yield Finding(
                "admission",
                "unique-object",
                r.label(),
                f"registered twice (Pulumi resources {first[key].name!r} and {r.name!r}): the API server refuses the "
                "second create with AlreadyExists",
                "give each object its own name (e.g. after its model)",
            )
        else:
            first[key] = r
    levels: dict[str, str] = {}
    for r in graph.custom():
        if r.kind == "Namespace":
            labels = r.metadata.get("labels") or {}
            levels[str(r.metadata.get("name", ""))] = str(
                labels.get("pod-security.kubernetes.io/enforce", "privileged")
            )
    for _, templates in workloads(graph):
        for t in templates:
            level = levels.get(t.namespace, "privileged")
            if _LEVELS.get(level, 0) < 1:
                continue
            problems = pod_security_violations(t.spec, level)
            if problems:
                yield Finding(
                    "admission",
                    f"pod-security-{level}",
                    t.label(),
                    f"namespace {t.namespace} enforces Pod Security '{level}'; its pods are rejected: "
                    + "; ".join(problems[:4])
                    + (f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""),
                    "set the namespace's enforce level to what its pods need (with the reason), or drop the setting",
                )


# --- scheduling ---------------------------------------------------------------------------------------------------


def candidate_pools(t: PodTemplate, pools: Sequence[NodePool]) -> list[NodePool]:
    """Pools whose labels satisfy the pod's selector and whose taints it tolerates."""
    return [p for p in pools if p.selected_by(t.node_selector) and p.tolerated_by(t.tolerations)]


def pods_per_node(requests: Mapping[str, float], pool: NodePool) -> int:
    """How many of these pods fit one node of ``pool`` (0: none)."""
    fit = math.inf
    for resource, amount in requests.items():
        if amount <= 0:
            continue
        have = pool.allocatable.get(resource)
        if have is None:
            return 0
        fit = min(fit, math.floor(have / amount + 1e-9))
    return int(min(fit, pool.allocatable.get("pods", 110)))


def _human(resource: str, amount: float) -> str:
    if resource == "cpu":
        return f"{amount / 1000:g} CPU"
    if resource in ("memory", "ephemeral-storage"):
        return f"{amount / 1024:.1f} GiB {resource}"
    return f"{amount:g} {resource}"


def placement(graph: Graph, pools: Sequence[NodePool]) -> dict[tuple[str, str], NodePool]:
    """(owner URN, role) -> the pool a pod template lands on (the first candidate it fits)."""
    out: dict[tuple[str, str], NodePool] = {}
    for owner, templates in workloads(graph):
        for t in templates:
            for p in candidate_pools(t, pools):
                if pods_per_node(t.requests(), p) > 0:
                    out[(owner.urn, t.role)] = p
                    break
    return out


#: Resources every node has; anything else a pod requests is an extended resource (accelerators, RDMA NICs).
_NODE_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage", "pods"})


def _extended(requests: Mapping[str, float]) -> bool:
    """Whether a pod requests an extended resource (an accelerator or an RDMA NIC), i.e. needs a special node."""
    return any(k not in _NODE_RESOURCES and v > 0 for k, v in requests.items())


def check_scheduling(graph: Graph, pools: Sequence[NodePool]) -> Iterator[Finding]:
    """Every pod template fits a node of a pool it may land on, and each pool holds all its pods at max size."""
    if not pools:
        return
    used: dict[str, list[tuple[PodTemplate, int]]] = {}
    for _, templates in workloads(graph):
        for t in templates:
            if t.pods == 0:
                continue
            candidates = candidate_pools(t, pools)
            if not candidates:
                yield Finding(
                    "scheduling",
                    "selector-and-taints",
                    t.label(),
                    f"no node pool matches nodeSelector {dict(t.node_selector)} and tolerates its taints",
                    "select the pool's labels and tolerate its taints",
                )
                continue
            requests = t.requests()
            fitting = [(p, pods_per_node(requests, p)) for p in candidates]
            fitting = [(p, n) for p, n in fitting if n > 0]
            if not fitting:
                p = candidates[0]
                short = [
                    f"{_human(k, v)} > {_human(k, p.allocatable.get(k, 0))} allocatable"
                    for k, v in requests.items()
                    if v > p.allocatable.get(k, 0) + 1e-9
                ]
                yield Finding(
                    "scheduling",
                    "fits-a-node",
                    t.label(),
                    f"does not fit a node of pool {p.name}: " + "; ".join(short),
                    "lower the pod's requests or choose a larger machine",
                )
                continue
            if not _extended(requests):
                # A pod without accelerators packs anywhere: the scheduler does not need an accelerator pool for it,
                # so count it against a general pool where the cluster has one (an existing cluster's undeclared
                # nodes, GKE's system pool) before an untainted accelerator pool.
                fitting.sort(key=lambda pn: pn[0].accelerator)
            pool, per_node = fitting[0]
            if t.daemon:
                continue
            used.setdefault(pool.name, []).append((t, per_node))
    by_name = {p.name: p for p in pools}
    for name, entries in used.items():
        pool = by_name[name]
        # Nodes the pool's pods need: the larger of the resource-sum bound (pods share nodes) and, on accelerator
        # pools, whole nodes per template (accelerator pods rarely pack across templates).
        totals: dict[str, float] = {}
        for t, _ in entries:
            for resource, amount in t.requests().items():
                totals[resource] = totals.get(resource, 0.0) + amount * t.pods
        bound = max(
            (math.ceil(v / pool.allocatable[r] - 1e-9) for r, v in totals.items() if pool.allocatable.get(r)),
            default=0,
        )
        per_template = max((math.ceil(t.pods / n) for t, n in entries), default=0)
        whole_nodes = sum(math.ceil(t.pods / n) for t, n in entries if _extended(t.requests()))
        nodes = max(bound, per_template, whole_nodes if pool.accelerator else 0)
        if nodes > pool.max_nodes:
            parts = ", ".join(f"{t.label()}: {t.pods} pod(s), {n}/node" for t, n in entries)
            yield Finding(
                "scheduling",
                "replicas-fit-pool",
                f"node pool {name}",
                f"its pods need {nodes} node(s) but the pool has at most {pool.max_nodes} ({parts})",
                "raise the pool's maximum nodes or lower replicas",
            )


def check_role_scalers(graph: Graph) -> Iterator[Finding]:
    """Every ``scaling.mode: External`` role of a DisaggregatedSet gets pods on the first deploy: a KEDA ScaledObject
    with ``minReplicaCount`` >= 1 drives its DisaggregatedSetRoleScaler (the rules and their sources:
    :func:`~pulumi_llmd.twin.model.role_scaling`). An HPA on the scaler, a ScaledObject with ``minReplicaCount`` 0 or
    no autoscaler leave the role at 0 replicas: the model never serves."""
    for urn, roles in sorted(graph.role_scaling.items()):
        ds = graph.resources[urn]
        for role, scaling in sorted(roles.items()):
            driver = scaling.driver
            if driver is not None and _awaited(ds) and graph.waits_for(driver.urn, urn):
                yield Finding(
                    "ordering",
                    "autoscaler-after-its-role",
                    driver.label(),
                    f"drives {role} of {ds.label()} but is created only after Pulumi's await of the set, which waits "
                    f"for pods the External role gets only from this autoscaler: the update hangs until its timeout",
                    "let the autoscaler depend on the namespace and its autoscaler's CRDs, not on the DisaggregatedSet",
                )
            if scaling.problem is None:
                continue
            yield Finding(
                "scheduling",
                "role-scaler-start",
                f"{ds.label()} ({role})",
                f"role {role} is scaling.mode External and never gets a pod: {scaling.problem}; the model never serves",
                "drive the role with a KEDA ScaledObject on the scaler with minReplicaCount >= 1 (autoscaling."
                "autoscaler keda), or give the role static replicas",
            )


def _awaited(r: Resource) -> bool:
    """Whether pulumi-kubernetes waits for custom resource ``r`` (custom timeouts or await annotations, not
    ``skipAwait``): the twin's replay counts it awaited then (:func:`pulumi_llmd.twin.schedule.replay`)."""
    if r.await_annotations.get("pulumi.com/skipAwait") == "true":
        return False
    return bool(
        r.custom_timeouts.get("create")
        or r.await_annotations.get("pulumi.com/timeoutSeconds")
        or r.await_annotations.get("pulumi.com/waitFor")
    )


# --- weights ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """Where one model server's weights land and how large they are."""

    template: PodTemplate
    model: str
    weights_gib: float | None
    source: str
    volume: str  # "emptyDir", "pvc", "hostPath", "image layer", ...
    volume_gib: float | None  # the volume's size limit / capacity (None: unbounded / node disk)
    gpus: int
    per_gpu_gib: float | None


def _weights_of(t: PodTemplate) -> Weights | None:
    from pulumi_llmd.components import models

    server = next((c for c in t.containers if c.is_vllm and c.model), None)
    if server is None or server.model is None:
        return None
    # The size the server was sized for (config weightsGiB or the catalog), else the catalog's own figure.
    override = t.annotations.get(models.WEIGHTS_ANNOTATION)
    spec = models.model_spec(server.model, weights_gib_override=float(override) if override else None)
    weights = spec.weights_gib if spec else None
    cache = server.env.get("HF_HUB_CACHE") or server.env.get("HF_HOME") or "/root/.cache/huggingface"
    volume_name = None
    for path, name in sorted(server.mounts.items(), key=lambda kv: -len(kv[0])):
        if cache == path or cache.startswith(path.rstrip("/") + "/"):
            volume_name = name
            break
    volume, volume_gib = "container writable layer (node ephemeral storage)", None
    for v in t.spec.get("volumes") or []:
        if v.get("name") != volume_name:
            continue
        if "emptyDir" in v:
            limit = (v.get("emptyDir") or {}).get("sizeLimit")
            volume = "emptyDir (node ephemeral storage)"
            volume_gib = _gib(limit) if limit else None
        elif "persistentVolumeClaim" in v:
            volume = f"PVC {v['persistentVolumeClaim'].get('claimName')}"
        elif "ephemeral" in v:
            tmpl = ((v["ephemeral"].get("volumeClaimTemplate") or {}).get("spec") or {}).get("resources") or {}
            volume = "generic ephemeral volume"
            volume_gib = _gib((tmpl.get("requests") or {}).get("storage"))
        else:
            volume = next(iter(k for k in v if k != "name"), "volume")
    tp = int(server.flag("--tensor-parallel-size") or 1)
    pp = int(server.flag("--pipeline-parallel-size") or 1)
    dp = int(server.flag("--data-parallel-size") or 1)
    ep = server.flag("--enable-expert-parallel") is not None
    devices = int(max((t.requests().get(r, 0) for r in catalog.ACCELERATOR_RESOURCE_NAMES), default=0))
    shards = tp * pp * (dp if ep else 1)
    return Weights(
        template=t,
        model=server.model,
        weights_gib=weights,
        source=spec.source if spec else "unknown",
        volume=volume,
        volume_gib=volume_gib,
        gpus=devices,
        per_gpu_gib=(weights / shards) if weights is not None else None,
    )


def _gib(quantity_text: Any) -> float | None:
    from pulumi_llmd.twin.model import quantity

    if quantity_text is None:
        return None
    try:
        return quantity("memory", quantity_text) / 1024
    except ValueError:
        return None


def model_servers(graph: Graph) -> list[Weights]:
    """Every vLLM pod template with its weights."""
    out = []
    for _, templates in workloads(graph):
        for t in templates:
            w = _weights_of(t)
            if w is not None:
                out.append(w)
    return out


def check_weights(graph: Graph, pools: Sequence[NodePool]) -> Iterator[Finding]:
    """Weights are known, land in storage that holds them, fit the node's disk and fit the accelerators' memory."""
    where = placement(graph, pools)
    for w in model_servers(graph):
        t = w.template
        if w.weights_gib is None:
            yield Finding(
                "weights",
                "size-known",
                t.label(),
                f"the size of {w.model} is unknown (not in the model catalog, no size in its id)",
                "set models[i].weightsGiB",
            )
            continue
        need = w.weights_gib * 1.05
        if w.volume_gib is not None and w.volume_gib < need:
            yield Finding(
                "weights",
                "fits-volume",
                t.label(),
                f"{w.model} ({w.weights_gib:.0f} GiB) does not fit its {w.volume} of {w.volume_gib:.0f} GiB",
                "size the weights volume for the model",
            )
        pool = where.get((t.owner.urn, t.role))
        if pool is not None and "node ephemeral" in w.volume:
            requested = t.requests().get("ephemeral-storage", 0) / 1024
            per_node = pods_per_node(t.requests(), pool)
            node_disk = pool.allocatable.get("ephemeral-storage", 0) / 1024
            total = per_node * max(need, requested)
            if requested < need * 0.999:
                yield Finding(
                    "weights",
                    "ephemeral-request",
                    t.label(),
                    f"downloads {w.weights_gib:.0f} GiB into node ephemeral storage but requests only "
                    f"{requested:.0f} GiB: the kubelet evicts it, or co-located pods fill the disk",
                    "request ephemeral-storage for the weights (and size the emptyDir)",
                )
            if total > node_disk:
                yield Finding(
                    "weights",
                    "fits-node-disk",
                    t.label(),
                    f"{per_node} pod(s) per node x {max(need, requested):.0f} GiB > {node_disk:.0f} GiB ephemeral "
                    f"storage on a {pool.name} node",
                    "put ephemeral storage on local SSD, enlarge the boot disk or use a volume",
                )
        if pool is not None and pool.shape is not None and w.per_gpu_gib is not None and w.gpus:
            server = next(c for c in t.containers if c.is_vllm)
            util = float(server.flag("--gpu-memory-utilization") or facts.VLLM_GPU_MEMORY_UTILIZATION)
            memory = pool.shape.accelerator.memory_gib
            usable = memory * util * (1 - facts.KV_HEADROOM)
            if w.per_gpu_gib > usable:
                yield Finding(
                    "weights",
                    "fits-accelerator-memory",
                    t.label(),
                    f"{w.model}: {w.per_gpu_gib:.1f} GiB of weights per device > {usable:.1f} GiB usable on "
                    f"{pool.shape.accelerator.display} ({memory} GiB x {util:g} utilization, "
                    f"{facts.KV_HEADROOM:.0%} kept for the KV cache)",
                    "raise tensor/pipeline parallelism or choose a larger accelerator",
                )


# --- cloud preconditions ------------------------------------------------------------------------------------------


def check_cloud(graph: Graph, pools: Sequence[NodePool]) -> Iterator[Finding]:
    """Google APIs enabled by the stack before use, consumption options the machine offers, a node pool created after
    the resource policy its ``placementPolicy.policyName`` names (``placement-policy``: a TPU7x workload policy),
    RDMA prerequisites."""
    services: dict[str, Resource] = {}
    for r in graph.custom():
        if r.type == "gcp:projects/service:Service":
            services[str(r.inputs.get("service", ""))] = r
            if r.inputs.get("disableOnDestroy", True) is not False:
                yield Finding(
                    "cloud",
                    "api-keep-on-destroy",
                    r.label(),
                    "disableOnDestroy is not false: destroying the stack disables the API for the whole project",
                    "set disable_on_destroy=False",
                )
    gke = is_gke(graph)
    for r in graph.custom():
        needed: list[str] = []
        if r.type.startswith("gcp:") and r.type != "gcp:projects/service:Service":
            best = max((p for p in facts.GCP_API_FOR_TYPE if r.type.startswith(p)), key=len, default=None)
            if best:
                needed.append(facts.GCP_API_FOR_TYPE[best])
        elif gke and r.is_kube:
            if r.kind == "Gateway" and str(r.spec.get("gatewayClassName", "")).startswith("gke-"):
                needed.extend(facts.GCP_API_FOR_KIND["Gateway"])
            elif r.kind in facts.GCP_API_FOR_KIND and r.kind != "Gateway":
                needed.extend(facts.GCP_API_FOR_KIND[r.kind])
            if r.kind == "GCPBackendPolicy" and ((r.spec.get("default") or {}).get("iap") or {}).get("enabled"):
                needed.append(facts.GCP_API_FOR_IAP_POLICY)
        for api in needed:
            if api in facts.GCP_DEFAULT_APIS:
                continue
            service = services.get(api)
            if service is None:
                yield Finding(
                    "cloud",
                    "api-enabled",
                    r.label(),
                    f"needs {api}, which a new project does not have enabled",
                    f"enable {api} with gcp.projects.Service (disable_on_destroy=False) and depend on it",
                )
            elif not graph.waits_for(r.urn, service.urn):
                yield Finding(
                    "cloud",
                    "api-enabled",
                    r.label(),
                    f"races the enablement of {api}",
                    f"depend on {service.label()}",
                )
    for pool in pools:
        if pool.shape is None or pool.resource is None:
            continue
        offered = getattr(pool.shape, "consumption", None)
        if offered and pool.consumption not in offered:
            yield Finding(
                "cloud",
                "consumption-option",
                pool.resource.label(),
                f"{pool.shape.machine_type} is not offered as {pool.consumption}; "
                f"offered: {', '.join(sorted(offered))}",
                "use a reservation, flex-start or spot as the machine's docs say",
            )
    policies = {
        str(r.inputs.get("name", r.name)): r
        for r in graph.custom()
        if r.type == "gcp:compute/resourcePolicy:ResourcePolicy"
    }
    for r in graph.custom():
        # GKE 'About Ironwood (TPU7x) in GKE': a multi-host TPU7x node pool names its workload policy in
        # placementPolicy.policyName; GKE refuses the pool while the resource policy does not exist.
        placement = r.inputs.get("placementPolicy") if r.type == "gcp:container/nodePool:NodePool" else None
        policy_name = placement.get("policyName") if isinstance(placement, Mapping) else None
        policy = policies.get(str(policy_name)) if policy_name else None
        if policy is not None and not graph.waits_for(r.urn, policy.urn):
            yield Finding(
                "cloud",
                "placement-policy",
                r.label(),
                f"names resource policy {policy_name!r} in placementPolicy.policyName but may be created before it; "
                "GKE refuses a node pool whose placement policy does not exist",
                f"depend on {policy.label()}",
            )
    cluster = _gke_cluster(graph)
    for r in graph.custom():
        if r.type == "gcp:container/nodePool:NodePool" and (r.inputs.get("networkConfig") or {}).get(
            "additionalNodeNetworkConfigs"
        ):
            if cluster is None or not cluster.inputs.get("enableMultiNetworking"):
                yield Finding(
                    "cloud",
                    "multi-networking",
                    r.label(),
                    "additional node networks need a cluster with multi-networking enabled",
                    "set enableMultiNetworking on the cluster",
                )
            elif cluster.inputs.get("datapathProvider") != "ADVANCED_DATAPATH":
                yield Finding(
                    "cloud",
                    "multi-networking",
                    r.label(),
                    "multi-networking needs GKE Dataplane V2 (datapathProvider ADVANCED_DATAPATH)",
                    "set datapathProvider ADVANCED_DATAPATH on the cluster",
                )
    networks = {
        str(r.metadata.get("name", "")): r
        for r in graph.custom()
        if r.kind == "Network" and r.api_group == "networking.gke.io"
    }
    for owner, templates in workloads(graph):
        for t in templates:
            raw = t.annotations.get("networking.gke.io/interfaces")
            if raw:
                try:
                    names = [str(x.get("network")) for x in yaml.safe_load(raw) or []]
                except (yaml.YAMLError, AttributeError):
                    names = []
                for name in names:
                    if name == "default":
                        continue
                    net = networks.get(name)
                    if net is None or not graph.waits_for(owner.urn, net.urn):
                        yield Finding(
                            "cloud",
                            "rdma-networks",
                            t.label(),
                            f"attaches to network {name}, which is {'missing' if net is None else 'not created first'}",
                            "create the GKE Network objects first and depend on them",
                        )


def check_gke_hardening(graph: Graph) -> Iterator[Finding]:
    """What a hardened GKE cluster needs on a fresh project: Cloud NAT for private nodes, the KMS grant first.

    * ``private-nodes-nat``: a cluster with ``privateClusterConfig.enablePrivateNodes`` needs a Cloud NAT
      (``gcp:compute/routerNat:RouterNat``) on a router of the cluster's network covering the node subnet, and every
      node pool must wait for it; otherwise the model servers cannot pull their images (docker.io, ghcr.io) or
      weights (huggingface.co): :data:`~pulumi_llmd.twin.facts.GKE_PRIVATE_NODES_NEED_NAT`.
    * ``kms-grant``: a cluster with ``databaseEncryption.state: ENCRYPTED`` must wait for a
      ``gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember`` giving the GKE service agent
      :data:`~pulumi_llmd.twin.facts.GKE_KMS_ROLE` on that key, and the grant must wait for
      ``container.googleapis.com`` (the agent appears when the API is enabled); else cluster creation fails.
    """
    cluster = _gke_cluster(graph)
    if cluster is None:
        return
    resources = graph.custom()
    pools = [r for r in resources if r.type == "gcp:container/nodePool:NodePool"]
    private = cluster.inputs.get("privateClusterConfig") or {}
    if isinstance(private, Mapping) and private.get("enablePrivateNodes"):
        routers = {
            str(r.inputs.get("name", r.name)): r
            for r in resources
            if r.type == "gcp:compute/router:Router" and r.inputs.get("network") == cluster.inputs.get("network")
        }
        nats = []
        for nat in (r for r in resources if r.type == "gcp:compute/routerNat:RouterNat"):
            if str(nat.inputs.get("router", "")) not in routers:
                continue
            mode = str(nat.inputs.get("sourceSubnetworkIpRangesToNat", ""))
            listed = [str(s.get("name", "")) for s in nat.inputs.get("subnetworks") or [] if isinstance(s, Mapping)]
            if mode in facts.GCP_NAT_ALL_SUBNETS or str(cluster.inputs.get("subnetwork", "")) in listed:
                nats.append(nat)
        if not nats:
            yield Finding(
                "cloud",
                "private-nodes-nat",
                cluster.label(),
                "private nodes without Cloud NAT on the cluster's network cannot pull images from docker.io / "
                f"ghcr.io or weights from huggingface.co ({facts.GKE_PRIVATE_NODES_NEED_NAT})",
                "add a Cloud Router + Cloud NAT for the node subnet (GkeNetwork(cloud_nat=True)) or set privateNodes "
                "false",
            )
        else:
            for pool in pools:
                if not any(graph.waits_for(pool.urn, nat.urn) for nat in nats):
                    yield Finding(
                        "cloud",
                        "private-nodes-nat",
                        pool.label(),
                        "private nodes may start before the Cloud NAT exists and fail their first image pulls",
                        f"depend on {nats[0].label()}",
                    )
    encryption = cluster.inputs.get("databaseEncryption") or {}
    if isinstance(encryption, Mapping) and encryption.get("state") == "ENCRYPTED":
        key = encryption.get("keyName")
        grants = [
            r
            for r in resources
            if r.type == "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
            and r.inputs.get("cryptoKeyId") == key
            and r.inputs.get("role") == facts.GKE_KMS_ROLE
            and str(r.inputs.get("member", "")).endswith(facts.GKE_SERVICE_AGENT_DOMAIN)
        ]
        if not any(graph.waits_for(cluster.urn, g.urn) for g in grants):
            yield Finding(
                "cloud",
                "kms-grant",
                cluster.label(),
                f"Secrets encryption with key {key!r}, but the GKE service agent is not granted {facts.GKE_KMS_ROLE} "
                "on it before the cluster is created: GKE refuses to create the cluster",
                "grant the role with gcp.kms.CryptoKeyIAMMember (GkeSecretsKey) and depend on it",
            )
        container_api = [
            r
            for r in resources
            if r.type == "gcp:projects/service:Service" and r.inputs.get("service") == "container.googleapis.com"
        ]
        for grant in grants:
            if container_api and not graph.waits_for(grant.urn, container_api[0].urn):
                yield Finding(
                    "cloud",
                    "kms-grant",
                    grant.label(),
                    "grants a role to the GKE service agent, which exists only once container.googleapis.com is "
                    "enabled",
                    f"depend on {container_api[0].label()}",
                )


# --- routing ---------------------------------------------------------------------------------------------------------


def check_routing(graph: Graph) -> Iterator[Finding]:
    """Every HTTPRoute rule reaches a backend that serves the path and port it sends."""
    objects = [r for r in graph.custom() if r.is_kube]
    pools = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "InferencePool"}
    services = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "Service"}
    gateways = {(r.namespace, str(r.metadata.get("name"))): r for r in objects if r.kind == "Gateway"}
    all_templates = [t for _, ts in workloads(graph) for t in ts]
    for route in (r for r in objects if r.kind == "HTTPRoute"):
        ns = route.namespace
        for parent in route.spec.get("parentRefs") or []:
            key = (str(parent.get("namespace") or ns), str(parent.get("name")))
            if parent.get("kind", "Gateway") == "Gateway" and key not in gateways:
                yield Finding(
                    "routing",
                    "parent-gateway",
                    route.label(),
                    f"attaches to Gateway {key[0]}/{key[1]}, which the stack does not create",
                    "create the Gateway or fix parentRefs",
                )
        for index, rule in enumerate(route.spec.get("rules") or []):
            prefixes = [
                str((m.get("path") or {}).get("value", "/"))
                for m in rule.get("matches") or [{}]
                if (m.get("path") or {}).get("type", "PathPrefix") == "PathPrefix"
            ]
            rewritten = any(
                f.get("type") == "URLRewrite" and (f.get("urlRewrite") or {}).get("path")
                for f in rule.get("filters") or []
            )
            for prefix in prefixes:
                if prefix.rstrip("/") not in ("", "/v1") and not rewritten:
                    yield Finding(
                        "routing",
                        "path-reaches-server",
                        f"{route.label()} rule {index}",
                        f"requests under {prefix}/ reach the model server unchanged; "
                        "vLLM serves /v1/... and answers 404",
                        "add a URLRewrite filter (ReplacePrefixMatch: /)",
                    )
            for ref in rule.get("backendRefs") or []:
                key = (str(ref.get("namespace") or ns), str(ref.get("name")))
                kind = "InferencePool" if ref.get("kind") == "InferencePool" else "Service"
                backend = (pools if kind == "InferencePool" else services).get(key)
                if backend is None:
                    yield Finding(
                        "routing", "backend-exists", route.label(), f"{kind} {key[1]} does not exist", "fix backendRefs"
                    )
                elif kind == "InferencePool":
                    yield from _pool_reaches(backend, all_templates, services)
    yield from _models_reachable(objects, pools, gateways, all_templates)


#: Headers the body-based router sets (llm-d-inference-payload-processor ``body-field-to-header`` /
#: ``base-model-to-header``; components/serving/body_router.py), lower-cased, and its model-mapping ConfigMap label.
_MODEL_HEADER = "x-gateway-model-name"
_BASE_MODEL_HEADER = "x-gateway-base-model-name"
_MAPPING_LABEL = "inference.llm-d.ai/ipp-managed"


def _served_names(templates: Sequence[PodTemplate]) -> list[str]:
    """The names vLLM answers to in ``model``: ``--served-model-name`` (else the model id) and each LoRA adapter of
    ``--lora-modules name=path`` (or its JSON form's ``name``)."""
    names: list[str] = []
    for t in templates:
        for c in t.containers:
            if not c.is_vllm:
                continue
            served = c.flag("--served-model-name") or c.model
            if served:
                names.append(served)
            argv = c.argv
            for i, word in enumerate(argv):
                if word != "--lora-modules":
                    continue
                for module in argv[i + 1 :]:
                    if module.startswith("--"):
                        break
                    if module.startswith("{"):
                        try:
                            names.append(str(yaml.safe_load(module).get("name")))
                        except (yaml.YAMLError, AttributeError):
                            continue
                    else:
                        names.append(module.split("=", 1)[0])
    return list(dict.fromkeys(names))


def _models_reachable(
    objects: Sequence[Resource],
    pools: Mapping[tuple[str, str], Resource],
    gateways: Mapping[tuple[str, str], Resource],
    templates: Sequence[PodTemplate],
) -> Iterator[Finding]:
    """Every name an InferencePool's model servers answer to reaches that pool through some HTTPRoute.

    A rule without a header match sends every ``model`` to its pool (path routing). A rule matching
    ``X-Gateway-Base-Model-Name`` only matches what the body-based router maps the requested name to: the
    ``baseModel`` of the ConfigMap (label ``inference.llm-d.ai/ipp-managed``) that lists it as its base model or one of
    its ``adapters`` - nothing (an empty header) for a name no ConfigMap lists (llm-d-inference-payload-processor
    docs/configuration.md "Mapping Rules"). A rule matching ``X-Gateway-Model-Name`` matches the name itself. Header
    rules need the router wired into their Gateway (a GCPRoutingExtension or an EnvoyFilter targeting it), else the
    header is never set.
    """
    mapping: dict[tuple[str, str], list[str]] = {}
    for r in objects:
        if r.kind != "ConfigMap" or (r.metadata.get("labels") or {}).get(_MAPPING_LABEL) != "true":
            continue
        data = r.inputs.get("data") or {}
        base = str(data.get("baseModel") or "")
        if not base:
            continue
        try:
            adapters = [str(a) for a in yaml.safe_load(str(data.get("adapters") or "")) or ()]
        except yaml.YAMLError:
            adapters = []
        for name in [base, *adapters]:
            mapping.setdefault((r.namespace, name), []).append(base)
    for (ns, name), mapped in sorted(mapping.items()):
        if len(set(mapped)) > 1:
            yield Finding(
                "routing",
                "model-name-unique",
                f"model name {name!r} ({ns})",
                f"model-mapping ConfigMaps map it to several base models {sorted(set(mapped))}; the router resolves "
                "a name to one base model",
                "list each base model and adapter name in one ConfigMap only",
            )
    wired = {
        (r.namespace, str(t.get("name")))
        for r in objects
        if r.kind in ("GCPRoutingExtension", "EnvoyFilter")
        for t in r.spec.get("targetRefs") or ()
        if t.get("kind") == "Gateway"
    }
    # pool -> (catch-all, base-model header values, model header values)
    reach: dict[tuple[str, str], tuple[bool, set[str], set[str]]] = {}
    for route in (r for r in objects if r.kind == "HTTPRoute"):
        ns = route.namespace
        parents = [
            (str(p.get("namespace") or ns), str(p.get("name")))
            for p in route.spec.get("parentRefs") or []
            if p.get("kind", "Gateway") == "Gateway"
        ]
        for index, rule in enumerate(route.spec.get("rules") or []):
            pools_of_rule = [
                (str(ref.get("namespace") or ns), str(ref.get("name")))
                for ref in rule.get("backendRefs") or []
                if ref.get("kind") == "InferencePool"
            ]
            for match in rule.get("matches") or [{}]:
                headers = {
                    str(h.get("name", "")).lower(): str(h.get("value", ""))
                    for h in match.get("headers") or ()
                    if h.get("type", "Exact") == "Exact"
                }
                router_headers = {k: v for k, v in headers.items() if k in (_MODEL_HEADER, _BASE_MODEL_HEADER)}
                if router_headers and not any(p in wired for p in parents):
                    yield Finding(
                        "routing",
                        "body-router",
                        f"{route.label()} rule {index}",
                        f"matches {', '.join(sorted(router_headers))} but no body-based router is wired into its "
                        "Gateway (no GCPRoutingExtension / EnvoyFilter targets it): the header is never set and the "
                        "rule never matches",
                        "deploy the body-based router (llmd:gateway.modelRouting: body)",
                    )
                for key in pools_of_rule:
                    catch_all, bases, names = reach.get(key, (False, set(), set()))
                    if not router_headers:
                        catch_all = True
                    if _BASE_MODEL_HEADER in router_headers:
                        bases.add(router_headers[_BASE_MODEL_HEADER])
                    if _MODEL_HEADER in router_headers:
                        names.add(router_headers[_MODEL_HEADER])
                    reach[key] = (catch_all, bases, names)
    for key, pool in sorted(pools.items()):
        selector = (pool.spec.get("selector") or {}).get("matchLabels") or {}
        selected = [
            t
            for t in templates
            if t.namespace == pool.namespace and all(t.labels.get(k) == v for k, v in selector.items())
        ]
        catch_all, bases, names = reach.get(key, (False, set(), set()))
        if key not in reach:
            yield Finding(
                "routing",
                "model-unreachable",
                pool.label(),
                "no HTTPRoute sends requests to this InferencePool: its model is unreachable through the gateway",
                "add an HTTPRoute for the model (path prefix, or a rule on X-Gateway-Base-Model-Name)",
            )
            continue
        if catch_all:
            continue
        for name in _served_names(selected):
            resolved = mapping.get((pool.namespace, name), [])
            if name in names or any(b in bases for b in resolved):
                continue
            how = (
                f"the body-based router maps it to {resolved[0]!r}, which no rule to this pool matches"
                if resolved
                else "no model-mapping ConfigMap (label inference.llm-d.ai/ipp-managed) lists it, so the router "
                "sets an empty X-Gateway-Base-Model-Name"
            )
            yield Finding(
                "routing",
                "model-unreachable",
                pool.label(),
                f'requests with "model": {name!r} never reach it: {how}',
                "list the name in the model's mapping ConfigMap (baseModel or adapters) and match its base model on "
                "X-Gateway-Base-Model-Name in an HTTPRoute rule to this pool",
            )


def _pool_reaches(
    pool: Resource, templates: Sequence[PodTemplate], services: Mapping[tuple[str, str], Resource]
) -> Iterator[Finding]:
    selector = (pool.spec.get("selector") or {}).get("matchLabels") or {}
    selected = [
        t for t in templates if t.namespace == pool.namespace and all(t.labels.get(k) == v for k, v in selector.items())
    ]
    if not selected:
        yield Finding(
            "routing",
            "pool-selects-servers",
            pool.label(),
            f"selector {dict(selector)} matches no model-server pods",
            "match the model servers' pod labels",
        )
        return
    ports = {int(p.get("number", 0)) for p in pool.spec.get("targetPorts") or []}
    served = set().union(*(c.serving_ports() for t in selected for c in t.containers))
    missing = sorted(ports - served)
    if missing:
        yield Finding(
            "routing",
            "pool-target-ports",
            pool.label(),
            f"targets port(s) {missing} that the selected pods do not serve (they serve {sorted(served)})",
            "align targetPorts with the model servers' ports",
        )
    picker = pool.spec.get("endpointPickerRef") or {}
    if picker:
        service = services.get((pool.namespace, str(picker.get("name"))))
        if service is None:
            yield Finding(
                "routing",
                "picker-service",
                pool.label(),
                f"endpointPickerRef {picker.get('name')} names no Service",
                "create the endpoint picker's Service",
            )
        else:
            want = int((picker.get("port") or {}).get("number", 0) or 0)
            have = {int(p.get("port", 0)) for p in service.spec.get("ports") or []}
            if want and want not in have:
                yield Finding(
                    "routing",
                    "picker-service",
                    pool.label(),
                    f"endpointPickerRef port {want} is not a port of Service {picker.get('name')} ({sorted(have)})",
                    "align the picker port",
                )
