"""llm-d practices as rules: per-resource checks (type + props -> violations) and stack checks (graph -> violations).

What llm-d's guides and the Kubernetes docs ask of a production inference stack, enforced before deploy:
accelerator requests equal limits; the parallelism of a model server fits its node; P/D disaggregation only over an
RDMA fabric (or an explicit TCP choice); a highly available endpoint picker with leader election; pinned images and
charts; probes on model servers; PodDisruptionBudgets; NetworkPolicies that let only the gateway (and the endpoint
picker / monitoring) reach the model servers and the endpoint picker; no privileged containers, no hostPath to
devices, capabilities limited to what RDMA needs; the Hugging Face token only from a Secret.

Every rule is mandatory by default (a platform team can lower one per pack config, e.g.
``{"pod-disruption-budgets": "advisory"}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_llmd.policies.graph import (
    ACCELERATOR_RESOURCES,
    Graph,
    PodTemplate,
    accelerator_counts,
    as_int,
    cidr_contains,
    container_args,
    dig,
    flag_value,
    is_endpoint_picker,
    is_model_server,
    is_rdma_resource,
    items,
    mapping,
    pod_templates,
    pool_accelerators,
    rdma_attached,
    selector_matches,
)
from pulumi_llmd.policies.model import Enforcement, Resource, Violation

#: Name of the practices pack (what findings cite instead of a checklist id).
PACK: Final = "llm-d-practices"
#: Capabilities an RDMA / GPUDirect container may add (memory pinning; raw I/O for NVSHMEM / DeepEP).
RDMA_CAPABILITIES: Final = frozenset({"IPC_LOCK", "SYS_RAWIO"})
#: Environment variables that carry a Hugging Face token.
HF_TOKEN_ENV: Final = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_TOKEN", "HUGGING_FACE_TOKEN"})
_HF_TOKEN_LITERAL = re.compile(r"\bhf_[A-Za-z0-9]{20,}\b")
#: Pod annotation that records an explicit choice of TCP for P/D KV-cache transfer.
KV_TRANSPORT_ANNOTATION: Final = "llm-d.ai/kv-transport"
#: vLLM KV connectors that move KV caches between pods (offloading connectors such as OffloadingConnector and
#: LMCacheConnectorV1 keep them on the node).
INTER_POD_KV_CONNECTORS: Final = ("NixlConnector", "P2pNcclConnector", "MooncakeConnector")
#: Google Cloud load-balancer health-check source ranges (Cloud Load Balancing firewall docs).
GOOGLE_HEALTH_CHECK_RANGES: Final = ("35.191.0.0/16", "130.211.0.0/22")


@dataclass(frozen=True)
class ResourceRule:
    """A rule over one resource: ``check(resource) -> violations``."""

    name: str
    description: str
    check: Callable[[Resource], list[Violation]]
    enforcement: Enforcement = Enforcement.MANDATORY


@dataclass(frozen=True)
class StackRule:
    """A rule over the whole graph: ``check(graph) -> violations``."""

    name: str
    description: str
    check: Callable[[Graph], list[Violation]]
    enforcement: Enforcement = Enforcement.MANDATORY


def _containers(resource: Resource) -> list[tuple[PodTemplate, Mapping[str, object]]]:
    return [(t, c) for t in pod_templates(resource) for c in t.containers()]


# --- per-resource rules -------------------------------------------------------------------------------------------


def check_requests_equal_limits(resource: Resource) -> list[Violation]:
    """Accelerator and RDMA extended resources: requests (if given) equal limits, and limits are set."""
    found = []
    for _, container in _containers(resource):
        requests = mapping(dig(container, "resources", "requests"))
        limits = mapping(dig(container, "resources", "limits"))
        for key in sorted(set(requests) | set(limits)):
            if key not in ACCELERATOR_RESOURCES and not is_rdma_resource(key):
                continue
            if key not in limits:
                found.append(Violation(f"container {container.get('name')}: {key} requested without a limit", resource))
            elif key in requests and as_int(requests[key]) != as_int(limits[key]):
                found.append(
                    Violation(
                        f"container {container.get('name')}: {key} request {requests[key]} != limit {limits[key]}",
                        resource,
                    )
                )
    return found


def check_pd_over_rdma(resource: Resource) -> list[Violation]:
    """Prefill/decode servers that transfer KV caches attach RDMA/EFA, or record TCP in ``llm-d.ai/kv-transport``."""
    found = []
    for template in pod_templates(resource):
        role = template.labels.get("llm-d.ai/role")
        if role not in ("prefill", "decode"):
            continue
        transfers = any(
            connector in " ".join(container_args(c))
            for c in template.containers()
            for connector in INTER_POD_KV_CONNECTORS
        )
        if not transfers or rdma_attached(template):
            continue
        if template.annotations.get(KV_TRANSPORT_ANNOTATION) == "tcp":
            continue
        ucx = {
            str(mapping(e).get("name")): str(mapping(e).get("value", ""))
            for c in template.containers()
            for e in items(c.get("env"))
        }
        transports = set(ucx.get("UCX_TLS", "").split(","))
        if "tcp" in transports and not transports & {"rc", "ud", "dc", "ib", "rc_x", "dc_x", "ud_x"}:
            continue
        found.append(
            Violation(
                f"{role} pods transfer KV caches but attach no RDMA/EFA interface; attach the fabric or set "
                f"annotation {KV_TRANSPORT_ANNOTATION}: tcp to choose TCP explicitly",
                resource,
            )
        )
    return found


def _image_problem(image: str) -> str | None:
    if not image:
        return "has no image"
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image} has no tag (pulls latest)"
    if last.rsplit(":", 1)[-1] == "latest":
        return f"image {image} uses the mutable tag latest"
    return None


def check_images_pinned(resource: Resource) -> list[Violation]:
    """Every container image has a tag other than ``latest`` (or a digest); every Helm release pins its chart."""
    found = []
    if resource.type.startswith("kubernetes:helm.sh/"):
        if not str(resource.props.get("version") or "").strip():
            found.append(Violation(f"Helm chart {resource.props.get('chart')} has no pinned version", resource))
        return found
    for _, container in _containers(resource):
        problem = _image_problem(str(container.get("image") or ""))
        if problem:
            found.append(Violation(f"container {container.get('name')}: {problem}", resource))
    return found


def check_model_server_probes(resource: Resource) -> list[Violation]:
    """Model-server containers have readiness and liveness probes (and, for long model loads, a startup probe)."""
    found = []
    for template in pod_templates(resource):
        if not is_model_server(template) or is_endpoint_picker(template):
            continue
        for container in template.containers(init=False):
            if not items(container.get("ports")) and not accelerator_counts(container):
                continue  # helpers without a serving port
            missing = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
            if missing:
                found.append(
                    Violation(f"model-server container {container.get('name')} lacks {', '.join(missing)}", resource)
                )
    return found


def check_no_privileged(resource: Resource) -> list[Violation]:
    """No privileged container (it sees every device and the host)."""
    return [
        Violation(f"container {c.get('name')} is privileged", resource)
        for _, c in _containers(resource)
        if dig(c, "securityContext", "privileged") is True
    ]


def check_no_device_hostpath(resource: Resource) -> list[Violation]:
    """No hostPath volume under ``/dev`` (devices come from device plugins or DRA)."""
    found = []
    for template in pod_templates(resource):
        for volume in items(template.spec.get("volumes")):
            path = str(dig(volume, "hostPath", "path") or "")
            if path == "/dev" or path.startswith("/dev/"):
                found.append(Violation(f"volume {mapping(volume).get('name')} mounts host path {path}", resource))
    return found


def check_capabilities(resource: Resource) -> list[Violation]:
    """Added capabilities limited to IPC_LOCK / SYS_RAWIO, and only in containers that use accelerators or RDMA."""
    found = []
    for _, container in _containers(resource):
        added = {str(c).removeprefix("CAP_") for c in items(dig(container, "securityContext", "capabilities", "add"))}
        if not added:
            continue
        extra = sorted(added - RDMA_CAPABILITIES)
        if extra:
            found.append(Violation(f"container {container.get('name')} adds capabilities {extra}", resource))
        devices = [k for w in ("limits", "requests") for k in mapping(dig(container, "resources", w))]
        if added & RDMA_CAPABILITIES and not any(k in ACCELERATOR_RESOURCES or is_rdma_resource(k) for k in devices):
            found.append(
                Violation(
                    f"container {container.get('name')} adds {sorted(added & RDMA_CAPABILITIES)} without using "
                    "accelerators or RDMA",
                    resource,
                )
            )
    return found


def check_hf_token_from_secret(resource: Resource) -> list[Violation]:
    """The Hugging Face token reaches containers only from a Secret (``valueFrom.secretKeyRef``), never as a literal."""
    found = []
    for _, container in _containers(resource):
        name = container.get("name")
        for env in items(container.get("env")):
            entry = mapping(env)
            if entry.get("name") not in HF_TOKEN_ENV:
                continue
            if "value" in entry:
                found.append(Violation(f"container {name}: {entry['name']} is a literal value, not a Secret", resource))
            elif not dig(entry, "valueFrom", "secretKeyRef"):
                found.append(Violation(f"container {name}: {entry['name']} must come from a secretKeyRef", resource))
        if any(_HF_TOKEN_LITERAL.search(a) for a in container_args(container)):
            found.append(Violation(f"container {name}: a Hugging Face token is written into its arguments", resource))
    if resource.is_kubernetes and resource.kind == "ConfigMap":
        for key, value in mapping(resource.props.get("data")).items():
            if key in HF_TOKEN_ENV or _HF_TOKEN_LITERAL.search(str(value)):
                found.append(Violation(f"ConfigMap key {key} holds a Hugging Face token; use a Secret", resource))
    return found


# --- stack rules --------------------------------------------------------------------------------------------------


def _parallelism(args: Sequence[str]) -> tuple[int, int, int] | None:
    tp = flag_value(args, "--tensor-parallel-size", "-tp")
    if tp is None:
        return None
    pp = flag_value(args, "--pipeline-parallel-size", "-pp")
    dp = flag_value(args, "--data-parallel-size-local", "-dpl")
    return as_int(tp) or 1, as_int(pp) or 1, as_int(dp) or 1


def check_parallelism_fits_node(graph: Graph) -> list[Violation]:
    """TP x PP x DP(local) of each vLLM server equals its accelerator limit and fits one node of its pool."""
    pools_by_name = {str(p.props.get("name") or p.name): p for p in graph.accelerator_pools()}
    found = []
    for template in graph.model_servers():
        selector = mapping(template.spec.get("nodeSelector"))
        pool = pools_by_name.get(str(selector.get("cloud.google.com/gke-nodepool", "")))
        if pool is None and "cloud.google.com/gke-accelerator" in selector:
            pool = next(
                (
                    p
                    for p in graph.accelerator_pools()
                    if pool_accelerators(p)[0] == selector["cloud.google.com/gke-accelerator"]
                ),
                None,
            )
        per_node = pool_accelerators(pool)[1] if pool is not None else None
        multi_pod = template.workload.kind == "LeaderWorkerSet"
        for container in template.containers(init=False):
            devices = sum(accelerator_counts(container).values())
            sizes = _parallelism(container_args(container))
            if sizes is None or not devices:
                continue
            tp, pp, dp = sizes
            wanted = tp * dp if multi_pod else tp * pp * dp
            if wanted != devices:
                found.append(
                    Violation(
                        f"container {container.get('name')}: TP x {'DP' if multi_pod else 'PP x DP'} = {wanted} "
                        f"but the pod gets {devices} accelerator(s)",
                        template.workload,
                    )
                )
            if per_node is not None and devices > per_node:
                found.append(
                    Violation(
                        f"container {container.get('name')}: {devices} accelerators per pod exceed the {per_node} "
                        f"of one node of pool {pool.object_name if pool else '?'}",
                        template.workload,
                    )
                )
    return found


def _grants_leases(role: Resource) -> bool:
    for rule in items(role.props.get("rules")):
        r = mapping(rule)
        if "coordination.k8s.io" in items(r.get("apiGroups")) and "leases" in items(r.get("resources")):
            return set(items(r.get("verbs"))) >= {"get", "create", "update"}
    return False


def check_epp_high_availability(graph: Graph) -> list[Violation]:
    """Endpoint pickers run >= 2 replicas, leader-elected (``--ha-enable-leader-election`` and RBAC for leases) or
    explicitly active-active (``--ha-enable-leader-election=false``, as precise prefix-cache routing runs them:
    every picker indexes the same KV events and serves)."""
    found = []
    roles = {(r.namespace, r.object_name): r for r in graph.kubernetes("Role") if _grants_leases(r)}
    bindings = graph.kubernetes("RoleBinding")
    for template in graph.endpoint_pickers():
        workload = template.workload
        replicas = as_int(dig(workload.props, "spec", "replicas"))
        replicas = 1 if replicas is None else replicas
        if replicas < 2:
            found.append(Violation(f"endpoint picker runs {replicas} replica(s); run 2 or more", workload))
        args = [a for c in template.containers(init=False) for a in container_args(c)]
        election = [a for a in args if a.startswith("--ha-enable-leader-election")]
        if election and election[-1] == "--ha-enable-leader-election=false" and replicas >= 2:
            continue  # active-active by choice
        if not election or election[-1].endswith("=false"):
            found.append(
                Violation(
                    "endpoint picker without --ha-enable-leader-election (or =false for an explicit active-active "
                    "pair)",
                    workload,
                )
            )
            continue
        account = str(template.spec.get("serviceAccountName") or "default")
        bound = any(
            (b.namespace, str(dig(b.props, "roleRef", "name"))) in roles
            and any(
                mapping(s).get("kind") == "ServiceAccount" and mapping(s).get("name") == account
                for s in items(b.props.get("subjects"))
            )
            for b in bindings
            if b.namespace == workload.namespace
        )
        if not bound:
            found.append(
                Violation(f"service account {account} may not manage leases (leader election fails)", workload)
            )
    return found


def _serving_workloads(graph: Graph) -> list[PodTemplate]:
    return [t for t in graph.model_servers() + graph.endpoint_pickers() if t.role != "workerTemplate"]


def check_pod_disruption_budgets(graph: Graph) -> list[Violation]:
    """Every model-server and endpoint-picker workload is covered by a PodDisruptionBudget."""
    pdbs = graph.kubernetes("PodDisruptionBudget")
    found = []
    for template in _serving_workloads(graph):
        covered = any(
            p.namespace == template.workload.namespace
            and selector_matches(dig(p.props, "spec", "selector"), template.labels)
            for p in pdbs
        )
        if not covered:
            found.append(Violation("no PodDisruptionBudget selects these pods", template.workload))
    return found


def _proxy_ranges(graph: Graph) -> list[str]:
    return [
        str(s.props.get("ipCidrRange"))
        for s in graph.of_type("gcp:compute/subnetwork:Subnetwork")
        if s.props.get("purpose") in ("REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY") and s.props.get("ipCidrRange")
    ]


def _open_peer(peer: Mapping[str, object]) -> bool:
    cidr = str(dig(peer, "ipBlock", "cidr") or "")
    if cidr in ("0.0.0.0/0", "::/0"):
        return True
    ns = peer.get("namespaceSelector")
    return isinstance(ns, Mapping) and not ns and "podSelector" not in peer


def check_network_policies(graph: Graph) -> list[Violation]:
    """NetworkPolicies let only the gateway (plus the EPP and monitoring) reach the model servers and the EPP."""
    policies = [
        p
        for p in graph.kubernetes("NetworkPolicy")
        if "Ingress" in items(dig(p.props, "spec", "policyTypes")) or dig(p.props, "spec", "ingress") is not None
    ]
    by_namespace: dict[str | None, list[Any]] = {}
    for policy in policies:
        by_namespace.setdefault(policy.namespace, []).append(policy)
    proxies = _proxy_ranges(graph)
    pickers = graph.endpoint_pickers()
    found = []
    for template in _serving_workloads(graph):
        workload = template.workload
        selecting = [
            p
            for p in by_namespace.get(workload.namespace, [])
            if selector_matches(dig(p.props, "spec", "podSelector"), template.labels)
        ]
        if not selecting:
            found.append(Violation("no NetworkPolicy restricts ingress to these pods", workload))
            continue
        peers: list[Mapping[str, object]] = []
        for policy in selecting:
            for rule in items(dig(policy.props, "spec", "ingress")):
                from_ = items(mapping(rule).get("from"))
                if not from_:
                    found.append(Violation("an ingress rule without 'from' admits every source", policy))
                peers += [mapping(p) for p in from_]
        for peer in peers:
            if _open_peer(peer):
                found.append(Violation(f"ingress peer {dict(peer)} admits any source", workload))
        cidrs = [str(dig(p, "ipBlock", "cidr")) for p in peers if dig(p, "ipBlock", "cidr")]
        for proxy in proxies:
            if not any(cidr_contains(c, proxy) for c in cidrs):
                found.append(Violation(f"the gateway's proxy-only subnet {proxy} cannot reach these pods", workload))
        if is_model_server(template) and not is_endpoint_picker(template) and pickers:
            same_ns = [p for p in pickers if p.workload.namespace == workload.namespace]
            reaches = any(
                isinstance(peer.get("podSelector"), Mapping)
                and "namespaceSelector" not in peer
                and any(selector_matches(peer.get("podSelector"), p.labels) for p in same_ns)
                for peer in peers
            )
            if same_ns and not reaches:
                found.append(Violation("the endpoint picker cannot reach these model servers' metrics", workload))
    return found


RESOURCE_RULES: Final[tuple[ResourceRule, ...]] = (
    ResourceRule(
        "accelerator-requests-equal-limits",
        "GPU/TPU/EFA/RDMA extended resources: requests equal limits (no overcommit of devices).",
        check_requests_equal_limits,
    ),
    ResourceRule(
        "pd-over-rdma",
        "Prefill/decode KV-cache transfer runs over an RDMA fabric, or TCP is chosen explicitly.",
        check_pd_over_rdma,
    ),
    ResourceRule(
        "images-pinned", "Container images and Helm charts are pinned (no latest, no missing tag).", check_images_pinned
    ),
    ResourceRule("model-server-probes", "Model servers have readiness and liveness probes.", check_model_server_probes),
    ResourceRule("no-privileged-containers", "No privileged containers.", check_no_privileged),
    ResourceRule(
        "no-device-hostpath",
        "No hostPath volumes to /dev: devices come from device plugins or DRA.",
        check_no_device_hostpath,
    ),
    ResourceRule(
        "capabilities-limited",
        "Added capabilities limited to what RDMA needs (IPC_LOCK, SYS_RAWIO) on accelerator/RDMA containers.",
        check_capabilities,
    ),
    ResourceRule(
        "hf-token-from-secret",
        "The Hugging Face token reaches pods only from a Secret.",
        check_hf_token_from_secret,
    ),
)

STACK_RULES: Final[tuple[StackRule, ...]] = (
    StackRule(
        "parallelism-fits-node",
        "TP x PP (x local DP) of each model server equals its accelerators and fits one node of its pool.",
        check_parallelism_fits_node,
    ),
    StackRule(
        "epp-high-availability",
        "The endpoint picker runs 2+ replicas with leader election (and RBAC for leases).",
        check_epp_high_availability,
    ),
    StackRule(
        "pod-disruption-budgets",
        "Model servers and endpoint pickers are covered by PodDisruptionBudgets.",
        check_pod_disruption_budgets,
    ),
    StackRule(
        "network-policies",
        "NetworkPolicies let only the gateway (and the EPP / monitoring) reach the EPP and the model servers.",
        check_network_policies,
    ),
)
