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
#: A well-formed (made-up) image digest.
DIGEST = "sha256:" + "0123456789abcdef" * 4
#: Private and special ranges the Hugging Face egress allow excepts (as helper C's policies do).
PRIVATE_RANGES = ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"]


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
        "image": f"vllm/vllm-openai:v0.23.0@{DIGEST}",
        "command": ["vllm", "serve"],
        "args": ["Qwen/Qwen3-32B", "--port=8000", "--tensor-parallel-size=2"],
        "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}}],
        "ports": [{"name": "modelserver", "containerPort": 8000}],
        "resources": {"requests": {"nvidia.com/gpu": 2, "cpu": "8"}, "limits": {"nvidia.com/gpu": 2, "cpu": "16"}},
        "readinessProbe": {"httpGet": {"path": "/v1/models", "port": "modelserver"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "modelserver"}},
        "securityContext": {"privileged": False, "allowPrivilegeEscalation": False},
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
        [
            {
                "name": "epp",
                "image": f"ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0@{DIGEST}",
                "args": args,
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
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


def isolation_policies(namespace: str = NS) -> list[dict[str, Any]]:
    """Default deny (ingress + egress) in ``namespace``, DNS to kube-dns for every pod, HTTPS to the internet (not to
    private ranges) for the model servers and HTTPS to the control plane for the endpoint picker - the shapes helper
    C's components/platform/network_policy.py renders."""

    def policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        meta = {"name": name, "namespace": namespace}
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec}

    kube_dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    return [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [kube_dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
                ],
            },
        ),
        policy(
            "m-modelserver-egress",
            {
                "podSelector": {"matchLabels": dict(SERVER_LABELS)},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                        "ports": [{"protocol": "TCP", "port": 443}],
                    }
                ],
            },
        ),
        policy(
            "m-epp-egress",
            {
                "podSelector": {"matchLabels": dict(EPP_LABELS)},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "172.16.0.0/28"}}], "ports": [{"protocol": "TCP", "port": 443}]},
                    {
                        "to": [{"podSelector": {"matchLabels": dict(SERVER_LABELS)}}],
                        "ports": [{"protocol": "TCP", "port": 8000}],
                    },
                ],
            },
        ),
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
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        *isolation_policies(),
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


# --- mutated renders and valid variants (issue 12, policy packs) ----------------------------------------------------
#
# Each mutation breaks one thing of the compliant stack the way a careless or hostile edit would, spelled so that a
# rule judging by spelling misses it; ``MUTATIONS`` pairs it with the policy id that must catch it (mandatory unless
# the id is advisory by design). ``VALID_VARIANTS`` are compliant stacks that look suspicious to a naive rule; no
# mandatory policy may fire on them.

Stack = list[Resource]
#: Credential-shaped values (made up; they follow the published formats, none is a real credential).
HF_TOKEN_VALUE = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWx1234"
OPENAI_KEY_VALUE = "sk-proj-" + "Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk"
AWS_KEY_VALUE = "AKIA" + "IOSFODNN7EXAMPLE"
JWT_VALUE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsbG0tZCJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU"


def _pod(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = props["spec"]["template"]["spec"]
    return spec


def _server(props: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = _pod(props)["containers"][0]
    return container


def edit_server(edit: Callable[[dict[str, Any]], Any]) -> Stack:
    """The compliant stack with the model-server container edited."""
    return replace(good_stack(), named("Deployment", "m-decode"), lambda p: edit(_server(p)))


def edit_pod(edit: Callable[[dict[str, Any]], Any], deployment: str = "m-decode") -> Stack:
    """The compliant stack with a Deployment's pod spec edited."""
    return replace(good_stack(), named("Deployment", deployment), lambda p: edit(_pod(p)))


def edit_policy(name: str, edit: Callable[[dict[str, Any]], Any], stack: Stack | None = None) -> Stack:
    """The compliant stack with NetworkPolicy ``name``'s spec edited."""
    return replace(stack or good_stack(), named("NetworkPolicy", name), lambda p: edit(p["spec"]))


def server_ingress_from(*peers: dict[str, Any]) -> Stack:
    """An extra model-server ingress rule from ``peers`` on the serving port."""
    rule = {"from": list(peers), "ports": [{"port": 8000}]}
    return edit_policy("m-modelserver", lambda s: s["ingress"].append(rule))


def server_egress(rule: dict[str, Any]) -> Stack:
    """An extra model-server egress rule."""
    return edit_policy("m-modelserver-egress", lambda s: s["egress"].append(rule))


def host_path(path: str) -> Stack:
    """The model server mounts host path ``path``."""

    def edit(pod: dict[str, Any]) -> None:
        pod["volumes"] = [{"name": "host", "hostPath": {"path": path}}]
        pod["containers"][0]["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]

    return edit_pod(edit)


def with_parallelism(stack: Stack, tp: int, gpus: int | None = None) -> Stack:
    """``stack`` with the model server at ``--tensor-parallel-size=tp`` and ``gpus`` (default tp) GPUs."""

    def edit(container: dict[str, Any]) -> None:
        container["args"] = [a for a in container["args"] if not a.startswith("--tensor-parallel-size")]
        container["args"].append(f"--tensor-parallel-size={tp}")
        count = gpus if gpus is not None else tp
        container["resources"]["requests"]["nvidia.com/gpu"] = count
        container["resources"]["limits"]["nvidia.com/gpu"] = count

    return replace(stack, named("Deployment", "m-decode"), lambda p: edit(_server(p)))


def with_node_selector(stack: Stack, selector: dict[str, str], affinity: dict[str, Any] | None = None) -> Stack:
    """``stack`` with the model server's nodeSelector replaced (and a required node affinity, if given)."""

    def edit(props: dict[str, Any]) -> None:
        pod = _pod(props)
        pod["nodeSelector"] = dict(selector)
        if affinity is not None:
            pod["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": affinity}}

    return replace(stack, named("Deployment", "m-decode"), edit)


def gke_pool(name: str, machine: str, gpus: int, accelerator: str = "nvidia-h100-80gb") -> Resource:
    """A GKE GPU node pool."""
    props = gpu_pool(name=name)
    props["nodeConfig"] = {
        "machineType": machine,
        "guestAccelerators": [
            {"type": accelerator, "count": gpus, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}
        ],
        "labels": {"llm-d.ai/pool": name},
    }
    return cloud("gcp:container/nodePool:NodePool", name, props)


def two_h100_pools(small_first: bool = True) -> Stack:
    """The compliant stack with two H100 pools: ``h100-small`` (a3-highgpu-2g, 2 GPUs) and ``h100`` (8 GPUs)."""
    pools = [gke_pool("h100-small", "a3-highgpu-2g", 2), gke_pool("h100", "a3-highgpu-8g", 8)]
    if not small_first:
        pools.reverse()
    rest = without(good_stack(), of_type("gcp:container/nodePool:NodePool"))
    return [rest[0], *pools, *rest[1:]]


def eks_stack(instance_type: str = "p5.48xlarge") -> Stack:
    """The compliant stack moved to EKS: an EKS cluster and GPU node group ``gpu`` of ``instance_type``, the model
    server selected by ``eks.amazonaws.com/nodegroup`` (as the EKS reference stacks render)."""
    group = cloud(
        "aws:eks/nodeGroup:NodeGroup",
        "gpu",
        {
            "nodeGroupName": "gpu",
            "amiType": "AL2023_x86_64_NVIDIA",
            "capacityType": "ON_DEMAND",
            "instanceTypes": [instance_type],
            "labels": {"llm-d.ai/pool": "gpu", "nvidia.com/gpu.present": "true"},
            "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 1},
            "taints": [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}],
        },
    )
    rest = without(
        good_stack(),
        lambda r: (
            r.type
            in ("gcp:container/nodePool:NodePool", "gcp:container/cluster:Cluster", "gcp:compute/subnetwork:Subnetwork")
        ),
    )
    eks = cloud("aws:eks/cluster:Cluster", "llm-d", {"name": "llm-d", "version": "1.35"})
    monitoring = [
        release("kube-prometheus-stack", "kube-prometheus-stack", "88.2.0"),
        release("dcgm-exporter", "dcgm-exporter", "4.8.3"),
    ]
    stack = with_node_selector([eks, group, *monitoring, *rest], {"eks.amazonaws.com/nodegroup": "gpu"})
    return replace(
        stack,
        named("Deployment", "m-decode"),
        lambda p: _pod(p).update(tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
    )


def tpu_stack(machine: str = "ct6e-standard-4t", chips: int = 8) -> Stack:
    """The compliant stack on a TPU v6e pool of ``machine``, the model server asking for ``chips`` TPU chips at
    ``--tensor-parallel-size=chips``, selected by pool name, TPU type and topology as the TPU reference stack is."""
    pool = cloud(
        "gcp:container/nodePool:NodePool",
        "v6e",
        {"name": "v6e", "autoscaling": {"minNodeCount": 1, "maxNodeCount": 2}, "nodeConfig": {"machineType": machine}},
    )
    rest = without(good_stack(), of_type("gcp:container/nodePool:NodePool"))
    selector = {
        "cloud.google.com/gke-nodepool": "v6e",
        "cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
        "cloud.google.com/gke-tpu-topology": "2x4",
    }
    stack = with_node_selector([rest[0], pool, *rest[1:]], selector)

    def edit(container: dict[str, Any]) -> None:
        container["args"] = [a for a in container["args"] if not a.startswith("--tensor-parallel-size")]
        container["args"].append(f"--tensor-parallel-size={chips}")
        container["resources"] = {"requests": {"google.com/tpu": chips}, "limits": {"google.com/tpu": chips}}

    return replace(stack, named("Deployment", "m-decode"), lambda p: edit(_server(p)))


def gpu_job(kind_name: str = "Job", labels: dict[str, str] | None = None) -> Resource:
    """A GPU batch workload (Job, or JobSet with one replicated job) on the H100 pool, without an HPA."""
    pod = {
        "metadata": {"labels": {"app": "eval"}},
        "spec": {
            "restartPolicy": "Never",
            "nodeSelector": {"cloud.google.com/gke-nodepool": "h100"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [
                {
                    "name": "eval",
                    "image": f"ghcr.io/example/eval:v1.2.3@{DIGEST}",
                    "command": ["python", "-m", "eval"],
                    "resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}},
                    "securityContext": {"allowPrivilegeEscalation": False},
                }
            ],
        },
    }
    meta = {"name": "eval", "namespace": NS, "labels": dict(labels or {})}
    if kind_name == "JobSet":
        manifest = {
            "apiVersion": "jobset.x-k8s.io/v1alpha2",
            "kind": "JobSet",
            "metadata": meta,
            "spec": {"replicatedJobs": [{"name": "workers", "replicas": 2, "template": {"spec": {"template": pod}}}]},
        }
    elif kind_name == "CronJob":
        manifest = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": pod}}},
        }
    else:
        manifest = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": pod}}
    return k8s(manifest)


def chart_version(version: str) -> Stack:
    """The Kueue release at chart version ``version``."""
    return replace(good_stack(), lambda r: r.name == "kueue", lambda p: p.update(version=version))


def image(ref: str) -> Stack:
    """The model server running image ``ref``."""
    return edit_server(lambda c: c.update(image=ref))


def add_env(name: str, value: str) -> Stack:
    """The model server with a literal env var."""
    return edit_server(lambda c: c["env"].append({"name": name, "value": value}))


def add_args(*args: str) -> Stack:
    """The model server with extra arguments."""
    return edit_server(lambda c: c["args"].extend(args))


def add_resource(manifest: dict[str, Any], stack: Stack | None = None) -> Stack:
    """``stack`` (default: the compliant stack) plus one Kubernetes object."""
    return [*(stack if stack is not None else good_stack()), k8s(manifest)]


def config_map(data: dict[str, str]) -> dict[str, Any]:
    """A ConfigMap in the stack namespace."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": NS}, "data": data}


_ALL_V4_IN_16 = [f"{i * 16}.0.0.0/4" for i in range(16)]
_GATEWAY = {"gateway.networking.k8s.io/gateway-name": "gw"}


def gateway_policy(ingress: list[dict[str, Any]]) -> Stack:
    """The compliant stack plus a NetworkPolicy for the Gateway's data-plane pods."""
    return add_resource(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "gw-proxy", "namespace": NS},
            "spec": {"podSelector": {"matchLabels": dict(_GATEWAY)}, "policyTypes": ["Ingress"], "ingress": ingress},
        }
    )


def _no_isolation(types: list[str]) -> Stack:
    return edit_policy("default-deny", lambda s: s.update(policyTypes=types))


#: (case id, policy id that must catch it, the mutated stack)
MUTATIONS: list[tuple[str, str, Callable[[], Stack]]] = [
    # 1. NetworkPolicy peers judged by what they admit
    ("np-all-pods-all-namespaces", "network-policies",
     lambda: server_ingress_from({"podSelector": {}, "namespaceSelector": {}})),
    ("np-every-namespace", "network-policies", lambda: server_ingress_from({"namespaceSelector": {}})),
    ("np-ipblock-all-ipv4", "network-policies", lambda: server_ingress_from({"ipBlock": {"cidr": "0.0.0.0/0"}})),
    ("np-ipblock-all-ipv6", "network-policies", lambda: server_ingress_from({"ipBlock": {"cidr": "::/0"}})),
    ("np-ipblock-split-halves", "network-policies",
     lambda: server_ingress_from({"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}})),
    ("np-ipblock-16-pieces", "network-policies",
     lambda: server_ingress_from(*({"ipBlock": {"cidr": c}} for c in _ALL_V4_IN_16))),
    ("np-ipblock-host-bits", "network-policies", lambda: server_ingress_from({"ipBlock": {"cidr": "1.2.3.4/0"}})),
    ("np-ipblock-except-private", "network-policies",
     lambda: server_ingress_from({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}})),
    ("np-ipblock-public-range", "network-policies", lambda: server_ingress_from({"ipBlock": {"cidr": "8.0.0.0/7"}})),
    ("np-namespace-notin", "network-policies", lambda: server_ingress_from(
        {"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]}})),
    ("np-namespace-name-exists", "network-policies", lambda: server_ingress_from(
        {"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "Exists"}]}})),
    ("np-pods-doesnotexist-any-namespace", "network-policies", lambda: server_ingress_from(
        {"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}})),
    ("np-missing-from", "network-policies",
     lambda: edit_policy("m-modelserver", lambda s: s["ingress"].append({"ports": [{"port": 8000}]}))),
    ("np-empty-from", "network-policies",
     lambda: edit_policy("m-epp", lambda s: s["ingress"].append({"from": [], "ports": [{"port": 9002}]}))),
    ("np-egress-internet-every-port", "network-policies",
     lambda: server_egress({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}]})),
    ("np-egress-missing-to", "network-policies", lambda: server_egress({"ports": [{"port": 8080}]})),
    ("np-egress-internet-port-22", "network-policies", lambda: server_egress(
        {"to": [{"ipBlock": {"cidr": "::/1"}}, {"ipBlock": {"cidr": "8000::/1"}}], "ports": [{"port": 22}]})),
    ("np-egress-every-pod", "network-policies", lambda: server_egress({"to": [{"namespaceSelector": {}}]})),
    ("np-gateway-open-every-port", "network-policies", lambda: gateway_policy([{}])),
    ("np-no-default-deny", "namespace-default-deny",
     lambda: without(good_stack(), named("NetworkPolicy", "default-deny"))),
    ("np-default-deny-egress-only", "namespace-default-deny", lambda: _no_isolation(["Egress"])),
    ("np-default-deny-ingress-only", "namespace-default-deny", lambda: without(
        _no_isolation(["Ingress"]), named("NetworkPolicy", "allow-dns"))),
    ("np-default-deny-not-every-pod", "namespace-default-deny", lambda: edit_policy(
        "default-deny",
        lambda s: s.update(podSelector={"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}))),
    # 2. hostPath spellings of / and /dev
    ("hostpath-root", "no-device-hostpath", lambda: host_path("/")),
    ("hostpath-double-slash", "no-device-hostpath", lambda: host_path("//")),
    ("hostpath-dot", "no-device-hostpath", lambda: host_path("/./")),
    ("hostpath-dev-slash", "no-device-hostpath", lambda: host_path("/dev/")),
    ("hostpath-dev-dotdot", "no-device-hostpath", lambda: host_path("/dev/../dev")),
    ("hostpath-var-dotdot", "no-device-hostpath", lambda: host_path("/var/../")),
    ("hostpath-slashes-device", "no-device-hostpath", lambda: host_path("//dev//nvidia0")),
    ("hostpath-home-dotdot-dev", "no-device-hostpath", lambda: host_path("/home/../dev/nvidia0")),
    # 3. parallelism against the node of the pool the pod lands on
    ("tp-larger-than-eks-node", "parallelism-fits-node", lambda: with_parallelism(eks_stack(), 16)),
    ("tp-larger-than-eks-g6e", "parallelism-fits-node", lambda: with_parallelism(eks_stack("g6e.12xlarge"), 8)),
    ("tp-eks-by-instance-type", "parallelism-fits-node", lambda: with_parallelism(
        with_node_selector(eks_stack("g6e.xlarge"), {"node.kubernetes.io/instance-type": "g6e.xlarge"}), 2)),
    ("tp-pinned-to-small-pool", "parallelism-fits-node", lambda: with_parallelism(
        with_node_selector(two_h100_pools(small_first=False), {"cloud.google.com/gke-nodepool": "h100-small"}), 8)),
    ("tp-small-pool-by-affinity", "parallelism-fits-node", lambda: with_parallelism(
        with_node_selector(two_h100_pools(small_first=False), {}, {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "llm-d.ai/pool", "operator": "In", "values": ["h100-small"]}]}]}), 4)),
    ("tp-larger-than-every-pool", "parallelism-fits-node", lambda: with_parallelism(
        with_node_selector(two_h100_pools(), {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"}), 16)),
    ("tpu-chips-exceed-host", "parallelism-fits-node", lambda: tpu_stack("ct6e-standard-4t", 8)),
    # 4. credentials by value shape, under any name
    ("hf-token-other-env-name", "hf-token-from-secret", lambda: add_env("MODEL_REVISION", HF_TOKEN_VALUE)),
    ("hf-token-innocent-name", "hf-token-from-secret", lambda: add_env("MY_SETTING", HF_TOKEN_VALUE)),
    ("hf-token-literal-hf-env", "hf-token-from-secret", lambda: edit_server(
        lambda c: c.update(env=[{"name": "HUGGING_FACE_HUB_TOKEN", "value": HF_TOKEN_VALUE}]))),
    ("hf-token-in-shell-script", "hf-token-from-secret", lambda: edit_server(
        lambda c: c.update(command=["/bin/sh", "-c"], args=[f"export T={HF_TOKEN_VALUE}; vllm serve m"]))),
    ("hf-token-in-configmap", "hf-token-from-secret", lambda: add_resource(config_map({"env": f"T={HF_TOKEN_VALUE}"}))),
    ("api-key-flag-equals", "no-literal-credentials", lambda: add_args(f"--api-key={OPENAI_KEY_VALUE}")),
    ("api-key-flag-separate", "no-literal-credentials", lambda: add_args("--api-key", "correct-horse-battery")),
    ("openai-key-other-name", "no-literal-credentials", lambda: add_env("UPSTREAM", OPENAI_KEY_VALUE)),
    ("aws-key-other-name", "no-literal-credentials", lambda: add_env("CONFIG_A", AWS_KEY_VALUE)),
    ("password-by-name", "no-literal-credentials", lambda: add_env("DB_PASSWORD", "hunter2")),
    ("jwt-in-configmap", "no-literal-credentials", lambda: add_resource(config_map({"auth": f"bearer: {JWT_VALUE}"}))),
    ("password-key-in-configmap", "no-literal-credentials", lambda: add_resource(config_map({"password": "s3cret!"}))),
    ("hf-token-in-helm-values", "hf-token-from-secret", lambda: replace(
        good_stack(), lambda r: r.name == "lws", lambda p: p["values"].update(hfToken=HF_TOKEN_VALUE))),
    # 5. immutable tags and exact chart versions
    *[(f"image-tag-{tag or 'none'}", "images-pinned",
       (lambda t=tag: image(f"vllm/vllm-openai:{t}" if t else "vllm/vllm-openai")))
      for tag in ("latest", "", "main", "master", "nightly", "stable", "edge", "dev", "v0", "1", "latest-cu130")],
    ("image-registry-port-no-tag", "images-pinned", lambda: image("registry.local:5000/vllm/vllm-openai")),
    *[(f"chart-version-{name}", "images-pinned", (lambda v=version: chart_version(v)))
      for name, version in (("caret", "^0.19"), ("tilde", "~0.19.2"), ("gte", ">=0.19.0"), ("x", "0.x"),
                            ("star", "*"), ("empty", ""), ("partial", "0.19"), ("range", "0.18.0 - 0.19.2"))],
    ("image-without-digest", "images-by-digest", lambda: image("vllm/vllm-openai:v0.23.0")),
    # 6. host namespaces and privilege escalation
    ("host-network", "no-host-namespaces", lambda: edit_pod(lambda p: p.update(hostNetwork=True))),
    ("host-pid", "no-host-namespaces", lambda: edit_pod(lambda p: p.update(hostPID=True), "m-epp")),
    ("host-ipc", "no-host-namespaces", lambda: edit_pod(lambda p: p.update(hostIPC=True))),
    ("privilege-escalation-unset", "no-privilege-escalation",
     lambda: edit_server(lambda c: c.update(securityContext={"privileged": False}))),
    ("privilege-escalation-true", "no-privilege-escalation",
     lambda: edit_server(lambda c: c["securityContext"].update(allowPrivilegeEscalation=True))),
    ("privilege-escalation-init-container", "no-privilege-escalation", lambda: edit_pod(
        lambda p: p.update(initContainers=[{"name": "fetch", "image": f"busybox:1.37.0@{DIGEST}"}]))),
]  # fmt: skip


def _job_stack(kind_name: str, labels: dict[str, str] | None = None) -> Stack:
    return [*good_stack(), gpu_job(kind_name, labels)]


#: (case id, a compliant stack that a naive rule flags)
VALID_VARIANTS: list[tuple[str, Callable[[], Stack]]] = [
    # 7. batch GPU work needs no HPA
    ("gpu-batch-job-without-hpa", lambda: _job_stack("Job")),
    ("gpu-kueue-job-without-hpa", lambda: _job_stack("Job", {"kueue.x-k8s.io/queue-name": "team-a"})),
    ("gpu-jobset-without-hpa", lambda: _job_stack("JobSet")),
    ("gpu-cronjob-without-hpa", lambda: _job_stack("CronJob")),
    # 3. pool selection: the pool(s) the pod can land on, not the first of the accelerator type
    ("two-pools-same-type-by-accelerator", lambda: with_parallelism(
        with_node_selector(two_h100_pools(), {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"}), 8)),
    ("two-pools-same-type-by-pool-name", lambda: with_parallelism(
        with_node_selector(two_h100_pools(), {"cloud.google.com/gke-nodepool": "h100"}), 8)),
    ("two-pools-by-affinity", lambda: with_parallelism(with_node_selector(two_h100_pools(), {}, {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "llm-d.ai/pool", "operator": "In", "values": ["h100"]}]}]
    }), 8)),
    ("small-pool-small-model", lambda: with_parallelism(
        with_node_selector(two_h100_pools(), {"cloud.google.com/gke-nodepool": "h100-small"}), 2)),
    ("eks-p5-tp8", lambda: with_parallelism(eks_stack(), 8)),
    ("eks-g6e-48xlarge-tp8", lambda: with_parallelism(eks_stack("g6e.48xlarge"), 8)),
    ("tpu-v6e-8-chips", lambda: tpu_stack("ct6e-standard-8t", 8)),
    # 1. network policies that are specific, and the intentional internet egress
    ("egress-dns-anywhere", lambda: server_egress(
        {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]})),
    ("egress-hf-ipv6-https", lambda: server_egress(
        {"to": [{"ipBlock": {"cidr": "::/0", "except": ["fc00::/7"]}}], "ports": [{"port": 443}]})),
    ("gateway-open-on-listener-ports", lambda: gateway_policy([{"ports": [{"port": 443}, {"port": 80}]}])),
    ("ingress-from-named-namespace-pods", lambda: server_ingress_from({
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gmp-system"}},
        "podSelector": {"matchLabels": {"app": "collector"}}})),
    ("ingress-from-labelled-pods-any-namespace", lambda: server_ingress_from(
        {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}})),
    ("ingress-from-vpc-range", lambda: server_ingress_from({"ipBlock": {"cidr": "10.0.0.0/8"}})),
    ("ingress-from-namespace-exists-label", lambda: server_ingress_from(
        {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}})),
    # 2. host paths that are not devices
    ("hostpath-node-libraries", lambda: host_path("/home/kubernetes/bin/nvidia")),
    ("hostpath-device-plugins", lambda: host_path("/var/lib/kubelet/device-plugins")),
    ("hostpath-developer", lambda: host_path("/devel/cache")),
    # 4. values that are not credentials
    ("token-count-flag", lambda: add_args("--dbo-decode-token-threshold=32", "--max-num-batched-tokens", "8192")),
    ("api-key-from-env-reference", lambda: add_args("--api-key", "$(VLLM_API_KEY)")),
    ("token-file-path", lambda: add_env("HF_TOKEN_PATH", "/var/run/secrets/hf/token")),
    ("tokenizer-settings", lambda: add_env("TOKENIZERS_PARALLELISM", "false")),
    ("digest-in-env", lambda: add_env("IMAGE_DIGEST", DIGEST)),
    ("secret-name-reference", lambda: add_env("HF_TOKEN_SECRET_NAME", "llm-d-hf-token")),
    ("api-key-file-flag", lambda: add_args("--api-key-file", "llm-d-api-key")),
    ("model-id-arg", lambda: add_args("--served-model-name", "deepseek-ai/DeepSeek-R1-0528")),
    ("certificate-in-configmap", lambda: add_resource(config_map({"ca.crt": (
        "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG2Fn3KfMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBmxs\n"
        "-----END CERTIFICATE-----\n")}))),
    # 5. pinned references
    ("image-latest-tag-with-digest", lambda: image(f"vllm/vllm-openai:latest@{DIGEST}")),
    ("image-digest-only", lambda: image(f"vllm/vllm-openai@{DIGEST}")),
    ("image-two-part-tag", lambda: image(f"registry.k8s.io/pause:3.10@{DIGEST}")),
    ("image-nightly-dated", lambda: image("vllm/vllm-openai:nightly-20250501")),
    ("image-main-commit", lambda: image("ghcr.io/llm-d/llm-d-cuda:main-1a2b3c4d")),
    ("image-registry-port", lambda: image("registry.local:5000/vllm/vllm-openai:v0.23.0")),
    ("chart-v-prefix", lambda: chart_version("v0.5.20")),
    ("chart-prerelease", lambda: chart_version("0.20.0-rc.1")),
    # 6. explicit hardening
    ("privilege-escalation-false-everywhere", lambda: edit_pod(lambda p: p.update(initContainers=[
        {"name": "fetch", "image": f"busybox:1.37.0@{DIGEST}", "securityContext": {"allowPrivilegeEscalation": False}}
    ]))),
    ("host-network-false", lambda: edit_pod(lambda p: p.update(hostNetwork=False, hostPID=False, hostIPC=False))),
]  # fmt: skip
