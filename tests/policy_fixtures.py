"""Small resource graphs for the policy tests: a compliant GKE + llm-d stack built from plain manifests.

Nothing here renders a stack: every resource is a :class:`~pulumi_llmd.policies.model.Resource` made by hand, as
``resources.json`` or CrossGuard would hand it to a rule. ``good_stack()`` passes every policy; tests copy it and
break one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_llmd.policies.model import Resource

NS = "llm-d"
SERVER_LABELS = {"llm-d.ai/guide": "optimized-baseline", "llm-d.ai/role": "decode", "llm-d.ai/model": "m"}
EPP_LABELS = {"llm-d.ai/endpoint-picker": "m-epp"}
PROXY_CIDR = "10.3.0.0/23"


def k8s(manifest: dict[str, Any], name: str | None = None) -> Resource:
    """A Kubernetes object as a Resource (type ``kubernetes:<apiVersion>:<Kind>``)."""
    api = manifest["apiVersion"] if "/" in manifest["apiVersion"] else f"core/{manifest['apiVersion']}"
    rname = name or f"{manifest['metadata']['name']}-{manifest['kind'].lower()}"
    return Resource(
        f"kubernetes:{api}:{manifest['kind']}", rname, f"urn:pulumi:s::p::{manifest['kind']}::{rname}", manifest
    )


def cloud(type_: str, name: str, props: dict[str, Any]) -> Resource:
    """A cloud resource as a Resource."""
    return Resource(type_, name, f"urn:pulumi:s::p::{type_}::{name}", props)


def server_container(**overrides: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "modelserver",
        "image": "vllm/vllm-openai:v0.23.0",
        "command": ["vllm", "serve"],
        "args": ["Qwen/Qwen3-32B", "--port=8000", "--tensor-parallel-size=2"],
        "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}}],
        "ports": [{"name": "modelserver", "containerPort": 8000}],
        "resources": {"requests": {"nvidia.com/gpu": 2, "cpu": "8"}, "limits": {"nvidia.com/gpu": 2, "cpu": "16"}},
        "readinessProbe": {"httpGet": {"path": "/v1/models", "port": "modelserver"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "modelserver"}},
        "securityContext": {"privileged": False},
    }
    container.update(overrides)
    return container


def deployment(name: str, labels: dict[str, str], containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": containers, "serviceAccountName": name}
    pod_spec.update(spec.pop("pod", {}))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": dict(labels)},
        "spec": {
            "replicas": spec.pop("replicas", 2),
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }


def server_deployment(**container: Any) -> dict[str, Any]:
    return deployment(
        "m-decode",
        SERVER_LABELS,
        [server_container(**container)],
        pod={
            "nodeSelector": {
                "cloud.google.com/gke-nodepool": "h100",
                "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
            },
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}],
        },
    )


def epp_deployment(replicas: int = 2, leader_election: bool = True) -> dict[str, Any]:
    args = ["--pool-name", "m", "--pool-namespace", NS]
    if leader_election:
        args.append("--ha-enable-leader-election")
    return deployment(
        "m-epp",
        EPP_LABELS,
        [{"name": "epp", "image": "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0", "args": args}],
        replicas=replicas,
    )


def network_policies() -> list[dict[str, Any]]:
    gateway = [{"ipBlock": {"cidr": PROXY_CIDR}}, {"ipBlock": {"cidr": "35.191.0.0/16"}}]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "m-modelserver", "namespace": NS},
            "spec": {
                "podSelector": {"matchLabels": dict(SERVER_LABELS)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": gateway, "ports": [{"port": 8000}]},
                    {"from": [{"podSelector": {"matchLabels": dict(EPP_LABELS)}}], "ports": [{"port": 8000}]},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "m-epp", "namespace": NS},
            "spec": {
                "podSelector": {"matchLabels": dict(EPP_LABELS)},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": gateway, "ports": [{"port": 9002}]}],
            },
        },
    ]


def gke_cluster(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "llm-d",
        "minMasterVersion": "1.35",
        "gatewayApiConfig": {"channel": "CHANNEL_STANDARD"},
        "addonsConfig": {"horizontalPodAutoscaling": {"disabled": False}},
        "monitoringConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "DCGM"], "managedPrometheus": {"enabled": True}},
    }
    props.update(overrides)
    return props


def gpu_pool(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "h100",
        "autoscaling": {"minNodeCount": 2, "maxNodeCount": 4},
        "nodeConfig": {
            "machineType": "a3-highgpu-8g",
            "guestAccelerators": [
                {"type": "nvidia-h100-80gb", "count": 8, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}
            ],
        },
    }
    props.update(overrides)
    return props


def release(name: str, chart: str, version: str, values: dict[str, Any] | None = None) -> Resource:
    return cloud("kubernetes:helm.sh/v3:Release", name, {"chart": chart, "version": version, "values": values or {}})


def good_stack() -> list[Resource]:
    """A compliant stack: GKE cluster + autoscaled H100 pool, llm-d serving with every add-on the policies ask for."""
    manifests: list[dict[str, Any]] = [
        server_deployment(),
        epp_deployment(),
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "m-decode", "namespace": NS},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(SERVER_LABELS)}},
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "m-epp", "namespace": NS},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": dict(EPP_LABELS)}},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "m-epp-leader-election", "namespace": NS},
            "rules": [
                {
                    "apiGroups": ["coordination.k8s.io"],
                    "resources": ["leases"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "m-epp-leader-election", "namespace": NS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "m-epp-leader-election"},
            "subjects": [{"kind": "ServiceAccount", "name": "m-epp", "namespace": NS}],
        },
        *network_policies(),
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "m-decode", "namespace": NS},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "m-decode"},
                "minReplicas": 2,
                "maxReplicas": 4,
                "metrics": [
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "prometheus.googleapis.com|vllm:num_requests_waiting|gauge"},
                            "target": {"type": "AverageValue", "averageValue": "5"},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1beta2.custom.metrics.k8s.io"},
            "spec": {"group": "custom.metrics.k8s.io", "version": "v1beta2"},
        },
        *[
            {
                "apiVersion": "monitoring.googleapis.com/v1",
                "kind": "PodMonitoring",
                "metadata": {"name": name, "namespace": NS},
                "spec": {"selector": {"matchLabels": labels}, "endpoints": [{"port": port}]},
            }
            for name, labels, port in (("m-decode", SERVER_LABELS, "modelserver"), ("m-epp", EPP_LABELS, "metrics"))
        ],
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": NS},
            "spec": {"gatewayClassName": "gke-l7-regional-external-managed", "listeners": []},
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "m", "namespace": NS},
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "rules": [
                    {"backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "m"}]}
                ],
            },
        },
        {
            "apiVersion": "inference.networking.k8s.io/v1",
            "kind": "InferencePool",
            "metadata": {"name": "m", "namespace": NS},
            "spec": {"selector": {"matchLabels": dict(SERVER_LABELS)}, "endpointPickerRef": {"name": "m-epp"}},
        },
        {
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "ClusterQueue",
            "metadata": {"name": "q"},
            "spec": {"resourceGroups": []},
        },
    ]
    return [
        cloud("gcp:container/cluster:Cluster", "llm-d", gke_cluster()),
        cloud("gcp:container/nodePool:NodePool", "h100", gpu_pool()),
        cloud(
            "gcp:compute/subnetwork:Subnetwork",
            "proxy",
            {"ipCidrRange": PROXY_CIDR, "purpose": "REGIONAL_MANAGED_PROXY", "role": "ACTIVE"},
        ),
        release("kueue", "oci://registry.k8s.io/kueue/charts/kueue", "0.19.2"),
        release("lws", "oci://registry.k8s.io/lws/charts/lws", "0.10.0", {"enableCertManager": False}),
        *[k8s(m) for m in manifests],
    ]


def replace(
    resources: Iterable[Resource], match: Callable[[Resource], bool], edit: Callable[[dict[str, Any]], Any]
) -> list[Resource]:
    """A copy of ``resources`` where ``edit(props)`` mutated (a deep copy of) every resource ``match`` selects.

    ``edit``'s return value is ignored, so one-line lambdas may call ``pop``/``update``.
    """
    out = []
    for r in resources:
        if match(r):
            props = copy.deepcopy(dict(r.props))
            edit(props)
            r = Resource(r.type, r.name, r.urn, props)
        out.append(r)
    return out


def without(resources: Iterable[Resource], match: Callable[[Resource], bool]) -> list[Resource]:
    """``resources`` without those ``match`` selects."""
    return [r for r in resources if not match(r)]


def kind(name: str) -> Callable[[Resource], bool]:
    """Matcher: Kubernetes objects of kind ``name``."""
    return lambda r: r.is_kubernetes and r.kind == name


def named(kind_name: str, object_name: str) -> Callable[[Resource], bool]:
    """Matcher: the Kubernetes object ``kind_name``/``object_name``."""
    return lambda r: r.is_kubernetes and r.kind == kind_name and r.object_name == object_name


def of_type(type_: str) -> Callable[[Resource], bool]:
    """Matcher: resources of a provider type."""
    return lambda r: r.type == type_
