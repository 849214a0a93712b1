"""Read a stack's resource graph the way the rules need it: workloads, pod templates, containers, selectors.

Pure functions over :class:`~pulumi_llmd.policies.model.Resource` props (plain mappings and lists; numbers may be
floats, as the Pulumi engine hands them over). Nothing here imports the components: rules recognise llm-d objects
by what a cluster would see (labels, images, arguments), so they work on any render or CrossGuard preview.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, TypeVar, cast

from pulumi_llmd.policies.model import Resource

#: Extended resources that hand a container whole accelerators through a device plugin.
ACCELERATOR_RESOURCES = (
    "nvidia.com/gpu",
    "amd.com/gpu",
    "google.com/tpu",
    "gpu.intel.com/i915",
    "gpu.intel.com/xe",
    "habana.ai/gaudi",
    "aws.amazon.com/neuron",
    "aws.amazon.com/neuroncore",
)
#: Prefixes of extended resources that attach RDMA / high-performance NICs (EFA, RDMA device plugins, GKE networks).
RDMA_RESOURCE_PREFIXES = ("vpc.amazonaws.com/efa", "rdma/", "nvidia.com/rdma", "networking.gke.io.networks/")
#: Pod-template annotations that attach extra (RDMA) networks.
NETWORK_ANNOTATIONS = ("networking.gke.io/interfaces", "k8s.v1.cni.cncf.io/networks")
#: Node taints of accelerator nodes (a pod that tolerates them can land on accelerator nodes).
ACCELERATOR_TAINT_KEYS = ("nvidia.com/gpu", "google.com/tpu", "amd.com/gpu", "aws.amazon.com/neuron")
#: Node-selector keys that pin a pod to accelerator nodes.
ACCELERATOR_NODE_LABELS = (
    "cloud.google.com/gke-accelerator",
    "cloud.google.com/gke-tpu-accelerator",
    "nvidia.com/gpu.present",
    "karpenter.k8s.aws/instance-gpu-count",
)
#: Label llm-d puts on model-server pods (``prefill`` / ``decode`` / ``both``).
ROLE_LABEL = "llm-d.ai/role"


def as_int(value: Any) -> int | None:
    """An integral value (int, integral float, or numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        return int(value)
    return None


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """``value`` as a list (empty unless it is a sequence other than a string)."""
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...`` through mappings, None where a key is missing."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


_T = TypeVar("_T")

#: Workload kinds that run until deleted (and have a scale subresource an HPA can drive): serving workloads.
LONG_RUNNING_KINDS: Final = ("Deployment", "StatefulSet", "LeaderWorkerSet", "DisaggregatedSet", "ReplicaSet")


@dataclass(frozen=True)
class PodTemplate:
    """A pod template inside a workload: ``role`` names where it sits (``template``, ``leaderTemplate``...)."""

    workload: Resource
    role: str
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]

    @cached_property
    def labels(self) -> Mapping[str, str]:
        """The pod labels (computed once; a template never changes)."""
        return {str(k): str(v) for k, v in mapping(self.metadata.get("labels")).items()}

    @property
    def annotations(self) -> Mapping[str, str]:
        """The pod annotations (merged with the workload's own annotations, pod-level winning)."""
        merged = {str(k): str(v) for k, v in mapping(self.workload.metadata.get("annotations")).items()}
        merged.update({str(k): str(v) for k, v in mapping(self.metadata.get("annotations")).items()})
        return merged

    def containers(self, *, init: bool = True) -> list[Mapping[str, Any]]:
        """The containers (and, with ``init``, the init containers) of the pod."""
        found = [mapping(c) for c in items(self.spec.get("containers"))]
        if init:
            found += [mapping(c) for c in items(self.spec.get("initContainers"))]
        return found


#: Workload kinds and the paths of their pod templates.
_TEMPLATE_PATHS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "Deployment": (("template", ("spec", "template")),),
    "StatefulSet": (("template", ("spec", "template")),),
    "DaemonSet": (("template", ("spec", "template")),),
    "ReplicaSet": (("template", ("spec", "template")),),
    "Job": (("template", ("spec", "template")),),
    "CronJob": (("template", ("spec", "jobTemplate", "spec", "template")),),
    "LeaderWorkerSet": (
        ("leaderTemplate", ("spec", "leaderWorkerTemplate", "leaderTemplate")),
        ("workerTemplate", ("spec", "leaderWorkerTemplate", "workerTemplate")),
    ),
}


def pod_templates(resource: Resource) -> list[PodTemplate]:
    """Every pod template of a workload (a bare Pod counts as its own template; a JobSet has one per replicated
    job); empty for other resources. Computed once per resource (resources and templates are frozen; the rules ask
    for them once per rule); a new list each call."""
    cached = resource.__dict__.get(_TEMPLATES_KEY)
    if cached is None:
        cached = tuple(_pod_templates(resource))
        object.__setattr__(resource, _TEMPLATES_KEY, cached)  # a frozen dataclass: its own cache slot
    return list(cached)


_TEMPLATES_KEY = "_llmd_pod_templates"


def _pod_templates(resource: Resource) -> list[PodTemplate]:
    if not resource.is_kubernetes:
        return []
    if resource.kind == "Pod":
        return [PodTemplate(resource, "pod", resource.metadata, mapping(resource.props.get("spec")))]
    found = []
    if resource.kind == "DisaggregatedSet":  # disaggregatedset.x-k8s.io/v1: spec.roles[].spec.leaderWorkerTemplate
        for role in items(dig(resource.props, "spec", "roles")):
            name = mapping(role).get("name", "?")
            for where, key in (("leaderTemplate", "leaderTemplate"), ("workerTemplate", "workerTemplate")):
                template = dig(role, "spec", "leaderWorkerTemplate", key)
                if isinstance(template, Mapping):
                    found.append(
                        PodTemplate(
                            resource,
                            f"roles[{name}].{where}",
                            mapping(template.get("metadata")),
                            mapping(template.get("spec")),
                        )
                    )
        return found
    if resource.kind == "JobSet":  # jobset.x-k8s.io/v1alpha2: spec.replicatedJobs[].template (a Job template)
        for job in items(dig(resource.props, "spec", "replicatedJobs")):
            template = dig(job, "template", "spec", "template")
            if isinstance(template, Mapping):
                role = f"replicatedJobs[{mapping(job).get('name', '?')}]"
                found.append(
                    PodTemplate(resource, role, mapping(template.get("metadata")), mapping(template.get("spec")))
                )
        return found
    for role, path in _TEMPLATE_PATHS.get(resource.kind, ()):
        template = dig(resource.props, *path)
        if isinstance(template, Mapping):
            found.append(PodTemplate(resource, role, mapping(template.get("metadata")), mapping(template.get("spec"))))
    return found


def normalize_host_path(path: str) -> str:
    """A hostPath as the node resolves it: absolute, ``.``/``..``/repeated slashes collapsed (``posixpath.normpath``;
    its POSIX exception for a leading ``//`` is collapsed too, Linux treats it as ``/``). ``/dev/../dev`` -> ``/dev``,
    ``/var/../`` -> ``/``, ``//`` -> ``/``. Symbolic links on the node cannot be seen and are not resolved."""
    text = path if path.startswith("/") else "/" + path
    normalized = posixpath.normpath(text)
    return "/" + normalized.lstrip("/")


#: Host paths that hold device nodes: ``/dev`` itself.
DEVICE_HOST_PATH = "/dev"


def host_path_exposes_devices(path: str) -> bool:
    """Whether mounting host path ``path`` exposes device nodes: after :func:`normalize_host_path` it is ``/dev``,
    under ``/dev``, or an ancestor of ``/dev`` (``/``)."""
    normalized = normalize_host_path(path)
    return normalized == DEVICE_HOST_PATH or normalized.startswith(DEVICE_HOST_PATH + "/") or normalized == "/"


def container_resources(container: Mapping[str, Any], which: str) -> Mapping[str, Any]:
    """``resources.requests`` or ``resources.limits`` of a container."""
    return mapping(dig(container, "resources", which))


def accelerator_counts(container: Mapping[str, Any]) -> dict[str, int]:
    """Accelerator extended resources a container asks for: name -> count (limits, else requests)."""
    limits, requests = container_resources(container, "limits"), container_resources(container, "requests")
    found: dict[str, int] = {}
    for name in ACCELERATOR_RESOURCES:
        value = limits.get(name, requests.get(name))
        count = as_int(value)
        if count:
            found[name] = count
    return found


def is_rdma_resource(name: str) -> bool:
    """Whether an extended resource name attaches an RDMA / EFA device."""
    return name.startswith(RDMA_RESOURCE_PREFIXES)


def uses_accelerators(template: PodTemplate) -> bool:
    """Whether pods of the template get accelerators (extended resources or DRA resource claims)."""
    if template.spec.get("resourceClaims"):
        return True
    return any(accelerator_counts(c) for c in template.containers())


def lands_on_accelerator_nodes(template: PodTemplate) -> bool:
    """Whether pods of the template use accelerators or can be scheduled onto accelerator nodes."""
    if uses_accelerators(template):
        return True
    selector = mapping(template.spec.get("nodeSelector"))
    if any(key in selector for key in ACCELERATOR_NODE_LABELS):
        return True
    for toleration in items(template.spec.get("tolerations")):
        key = mapping(toleration).get("key")
        if key in ACCELERATOR_TAINT_KEYS:
            return True
    return False


def container_args(container: Mapping[str, Any]) -> list[str]:
    """``command`` + ``args`` of a container as strings."""
    return [str(a) for a in items(container.get("command")) + items(container.get("args"))]


def flag_value(args: Sequence[str], *names: str) -> str | None:
    """The value of a command-line flag in ``--name=value`` or ``--name value`` form (last one wins), else None."""
    value: str | None = None
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
    return value


def rdma_attached(t: PodTemplate) -> bool:
    """Whether pods of ``t`` attach RDMA/EFA: network annotations, RDMA extended resources or RDMA resource claims."""
    if any(k in t.annotations for k in NETWORK_ANNOTATIONS):
        return True
    for c in t.containers():
        for which in ("limits", "requests"):
            if any(is_rdma_resource(str(k)) for k in mapping(dig(c, "resources", which))):
                return True
    return bool(t.spec.get("resourceClaims")) and any(
        "rdma" in str(claim).lower() or "mrdma" in str(claim).lower() for claim in items(t.spec.get("resourceClaims"))
    )


def is_model_server(template: PodTemplate) -> bool:
    """Whether a pod template runs an inference server (vLLM, SGLang, TGI, ...) or carries llm-d's role label."""
    if ROLE_LABEL in template.labels:
        return True
    for container in template.containers(init=False):
        image = str(container.get("image", ""))
        args = " ".join(container_args(container))
        if re.search(r"\bvllm launch render\b", args):
            continue  # a tokenizer (render) service for the endpoint picker, not an inference server
        if re.search(r"vllm|sglang|text-generation-inference|llm-d-inference-sim|tensorrt", image + " " + args):
            return True
    return False


def is_endpoint_picker(template: PodTemplate) -> bool:
    """Whether a pod template runs an InferencePool endpoint picker (EPP: ``--pool-name`` or an EPP image)."""
    for container in template.containers(init=False):
        image = str(container.get("image", ""))
        if "--pool-name" in container_args(container) or re.search(r"endpoint-picker|inference-scheduler|/epp:", image):
            return True
    return False


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector (``matchLabels`` / ``matchExpressions``) selects ``labels``.

    An empty selector ``{}`` selects everything; a missing (None) selector selects nothing.
    """
    if not isinstance(selector, Mapping):
        return False
    for key, value in mapping(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in items(selector.get("matchExpressions")):
        expr = mapping(expression)
        key, operator = str(expr.get("key", "")), str(expr.get("operator", ""))
        values = [str(v) for v in items(expr.get("values"))]
        present = key in labels
        if operator == "In" and (not present or labels[key] not in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def cidr_contains(outer: str, inner: str) -> bool:
    """Whether CIDR ``outer`` contains CIDR ``inner`` (False when either does not parse)."""
    try:
        return ipaddress.ip_network(inner, strict=False).subnet_of(ipaddress.ip_network(outer, strict=False))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


class Graph:
    """An index over a stack's resources for the stack-wide rules."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources: list[Resource] = list(resources)
        self._order = {id(r): i for i, r in enumerate(self.resources)}

    def _position(self, resource: Resource) -> int:
        return self._order[id(resource)]

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, computed once per graph under ``key`` (for what every pod template would recompute)."""
        cache: dict[str, Any] = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cast(_T, cache[key])

    def of_type(self, *types: str) -> list[Resource]:
        """Resources whose type token is one of ``types``."""
        return [r for r in self.resources if r.type in types]

    def kubernetes(self, *kinds: str, group: str | None = None) -> list[Resource]:
        """Kubernetes objects of the given kinds (any kind when none given), optionally of one API group."""
        if "_by_kind" not in self.__dict__:  # built once: the rules ask for kinds hundreds of times per stack
            self._by_kind: dict[str, list[Resource]] = {}
            for r in self.resources:
                if r.is_kubernetes:
                    self._by_kind.setdefault(r.kind, []).append(r)
        candidates = (
            [r for r in self.resources if r.is_kubernetes]
            if not kinds
            else sorted((r for k in set(kinds) for r in self._by_kind.get(k, ())), key=self._position)
        )
        found = []
        for r in candidates:
            if group is not None and r.api_version.rpartition("/")[0] != group:
                continue
            found.append(r)
        return found

    def templates(self) -> Iterator[PodTemplate]:
        """Every pod template of every workload."""
        yield from self.memo("templates", lambda: tuple(t for r in self.resources for t in pod_templates(r)))

    def model_servers(self) -> list[PodTemplate]:
        """Pod templates of model servers that use accelerators or carry llm-d's role label."""
        return list(
            self.memo(
                "model_servers",
                lambda: tuple(t for t in self.templates() if is_model_server(t) and not is_endpoint_picker(t)),
            )
        )

    def serving(self) -> list[PodTemplate]:
        """Long-running model servers and endpoint pickers (:data:`LONG_RUNNING_KINDS`): the workloads that serve
        traffic and so need disruption budgets, the picker's reach and scraped metrics. A GPU batch Job, JobSet or
        CronJob running vLLM (offline inference, evaluation) is not one of them."""
        return [t for t in self.model_servers() + self.endpoint_pickers() if t.workload.kind in LONG_RUNNING_KINDS]

    def endpoint_pickers(self) -> list[PodTemplate]:
        """Pod templates of endpoint pickers."""
        return list(self.memo("endpoint_pickers", lambda: tuple(t for t in self.templates() if is_endpoint_picker(t))))

    def helm_releases(self) -> list[Resource]:
        """Helm releases (``kubernetes:helm.sh/v3:Release`` / ``v4``)."""
        return [r for r in self.resources if r.type.startswith("kubernetes:helm.sh/") and r.type.endswith(":Release")]

    def releases_of(self, *chart_names: str) -> list[Resource]:
        """Helm releases whose chart's last path segment is one of ``chart_names``."""
        return [r for r in self.helm_releases() if chart_basename(r) in chart_names]

    def gke_clusters(self) -> list[Resource]:
        """GKE clusters."""
        return self.of_type("gcp:container/cluster:Cluster")

    def node_pools(self) -> list[Resource]:
        """Node pools / node groups of every cloud."""
        return self.of_type("gcp:container/nodePool:NodePool", "aws:eks/nodeGroup:NodeGroup")

    def accelerator_pools(self) -> list[Resource]:
        """Node pools with accelerators (GKE guest accelerators or TPU machine types; EKS GPU AMIs)."""
        return [p for p in self.node_pools() if pool_accelerators(p)[1] > 0]

    def custom_resource_definitions(self) -> list[Resource]:
        """CustomResourceDefinition objects."""
        return self.kubernetes("CustomResourceDefinition")

    def has_crd(self, group: str) -> list[Resource]:
        """CRDs (objects) and custom resources of an API group present in the graph."""
        found = [c for c in self.custom_resource_definitions() if dig(c.props, "spec", "group") == group]
        found += [r for r in self.kubernetes() if r.api_version.rpartition("/")[0] == group]
        return found


def chart_basename(release: Resource) -> str:
    """The chart name of a Helm release without repository / OCI prefix (``oci://.../kueue`` -> ``kueue``)."""
    chart = str(release.props.get("chart", ""))
    return chart.rstrip("/").rsplit("/", 1)[-1]


_TPU_MACHINE = re.compile(r"^(ct[0-9][a-z]*|tpu[0-9])")


def pool_accelerators(pool: Resource) -> tuple[str, int]:
    """``(accelerator type, devices per node)`` of a node pool; ``("", 0)`` for a pool without accelerators."""
    if pool.type == "gcp:container/nodePool:NodePool":
        node_config = mapping(pool.props.get("nodeConfig"))
        for accelerator in items(node_config.get("guestAccelerators")):
            acc = mapping(accelerator)
            count = as_int(acc.get("count")) or 0
            if count:
                return str(acc.get("type", "")), count
        machine = str(node_config.get("machineType", ""))
        if _TPU_MACHINE.match(machine):
            chips = re.search(r"-([0-9]+)t$", machine)
            return "tpu", int(chips.group(1)) if chips else 1
        return "", 0
    if pool.type == "aws:eks/nodeGroup:NodeGroup":
        ami = str(pool.props.get("amiType", ""))
        if "NVIDIA" in ami or "NEURON" in ami or "GPU" in ami:
            return ami, 1
    return "", 0


def pool_autoscaling(pool: Resource) -> tuple[int, int] | None:
    """``(min, max)`` nodes of an autoscaled node pool / group, None when it has a fixed size."""
    if pool.type == "gcp:container/nodePool:NodePool":
        autoscaling = mapping(pool.props.get("autoscaling"))
        if not autoscaling:
            return None
        low = as_int(autoscaling.get("minNodeCount", autoscaling.get("totalMinNodeCount"))) or 0
        high = as_int(autoscaling.get("maxNodeCount", autoscaling.get("totalMaxNodeCount"))) or 0
        return low, high
    if pool.type == "aws:eks/nodeGroup:NodeGroup":
        scaling = mapping(pool.props.get("scalingConfig"))
        return as_int(scaling.get("minSize")) or 0, as_int(scaling.get("maxSize")) or 0
    return None
