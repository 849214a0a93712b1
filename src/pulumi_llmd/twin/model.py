"""The twin's reading of a render: the resources as the engine sees them, the dependency graph, node pools and pods.

Everything here is read from ``resources.json`` entries (the render's records, or the file of a render folder), so
``pulumi-llmd check`` can replay a render without running the program again.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pulumi_llmd.components import catalog

Json = Mapping[str, Any]

#: Kinds whose ``spec.template`` is one pod template.
TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
#: Kinds whose pod templates the twin checks (Pod Security Admission applies to the pods they create).
WORKLOAD_KINDS = (*TEMPLATE_KINDS, "Pod", "LeaderWorkerSet", "DisaggregatedSet")


@dataclass(frozen=True)
class Resource:
    """One registered resource (a ``resources.json`` entry) with the engine's view. Never changed once read: the
    derived facts (kind, metadata, namespace ...) are computed once."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: Json
    dependencies: tuple[str, ...]
    provider: str
    custom_timeouts: Mapping[str, str]
    await_annotations: Mapping[str, str]

    @classmethod
    def from_entry(cls, entry: Json) -> Resource:
        """Read one ``resources.json`` entry (older renders without the engine fields give empty ones)."""
        deps = set(entry.get("dependencies") or ())
        for urns in (entry.get("propertyDependencies") or {}).values():
            deps.update(urns)
        inputs = entry.get("inputs")
        return cls(
            urn=str(entry["urn"]),
            type=str(entry["type"]),
            name=str(entry["name"]),
            parent=str(entry.get("parent") or ""),
            custom=bool(entry.get("custom")),
            inputs=inputs if isinstance(inputs, Mapping) else {},
            dependencies=tuple(sorted(deps)),
            provider=str(entry.get("provider") or ""),
            custom_timeouts=dict(entry.get("customTimeouts") or {}),
            await_annotations=dict(entry.get("awaitAnnotations") or {}),
        )

    @cached_property
    def is_kube(self) -> bool:
        """A Kubernetes object (not a Helm release, not a provider)."""
        return self.custom and self.type.startswith("kubernetes:") and "kind" in self.inputs

    @cached_property
    def kind(self) -> str:
        """The Kubernetes kind (empty for other resources)."""
        return str(self.inputs.get("kind", "")) if self.is_kube else ""

    @cached_property
    def api_group(self) -> str:
        """The API group of a Kubernetes object (``""`` for the core group)."""
        api_version = str(self.inputs.get("apiVersion", ""))
        return api_version.split("/", 1)[0] if "/" in api_version else ""

    @cached_property
    def metadata(self) -> Json:
        """The object's metadata (empty mapping when absent)."""
        meta = self.inputs.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @cached_property
    def namespace(self) -> str:
        """The object's namespace (empty for cluster-scoped objects)."""
        return str(self.metadata.get("namespace") or "")

    @cached_property
    def spec(self) -> Json:
        """``spec`` of a Kubernetes object (empty mapping when absent)."""
        spec = self.inputs.get("spec")
        return spec if isinstance(spec, Mapping) else {}

    @cached_property
    def chart(self) -> str:
        """The chart name of a Helm release (last path part of an ``oci://`` reference), else empty."""
        if self.type != "kubernetes:helm.sh/v3:Release":
            return ""
        return str(self.inputs.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]

    def label(self) -> str:
        """How findings name the resource: ``Kind namespace/name`` for Kubernetes objects, else ``type name``."""
        if self.is_kube:
            where = f"{self.namespace}/" if self.namespace else ""
            return f"{self.kind} {where}{self.metadata.get('name', self.name)}"
        if self.chart:
            return f"helm release {self.name} ({self.chart})"
        return f"{self.type} {self.name}"


@dataclass(frozen=True)
class Container:
    """One container of a pod template: what the twin needs of it."""

    name: str
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    requests: Mapping[str, Any]
    limits: Mapping[str, Any]
    env: Mapping[str, str]
    ports: tuple[int, ...]
    mounts: Mapping[str, str]  # mount path -> volume name
    security: Json
    init: bool = False
    restart_always: bool = False  # a native sidecar (init container with restartPolicy Always)

    @classmethod
    def read(cls, raw: Json, *, init: bool = False) -> Container:
        """Read a ``core/v1`` Container object."""
        resources = raw.get("resources") or {}
        env = {str(e.get("name")): str(e.get("value", "")) for e in raw.get("env") or () if "value" in e}
        return cls(
            name=str(raw.get("name", "")),
            image=str(raw.get("image", "")),
            command=tuple(str(c) for c in raw.get("command") or ()),
            args=tuple(str(a) for a in raw.get("args") or ()),
            requests=dict(resources.get("requests") or {}),
            limits=dict(resources.get("limits") or {}),
            env=env,
            ports=tuple(int(p["containerPort"]) for p in raw.get("ports") or () if "containerPort" in p),
            mounts={str(m.get("mountPath")): str(m.get("name")) for m in raw.get("volumeMounts") or ()},
            security=raw.get("securityContext") or {},
            init=init,
            restart_always=init and raw.get("restartPolicy") == "Always",
        )

    @cached_property
    def argv(self) -> tuple[str, ...]:
        """Command and args as one argument vector; a ``bash -c`` script's ``vllm serve`` line is split too."""
        words = [*self.command, *self.args]
        for word in self.command:
            if "vllm serve" in word:
                for line in word.splitlines():
                    if "vllm serve" in line:
                        try:
                            words.extend(shlex.split(line))
                        except ValueError:
                            words.extend(line.split())
        return tuple(words)

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` / ``--name value`` in :attr:`argv`, ``""`` for a bare flag, else None."""
        argv = self.argv
        for i, word in enumerate(argv):
            if word == name:
                nxt = argv[i + 1] if i + 1 < len(argv) else ""
                return "" if nxt.startswith("-") else nxt
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
        return None

    @property
    def is_vllm(self) -> bool:
        """A vLLM model server (``vllm serve`` in its command line)."""
        joined = " ".join([*self.command, *self.args])
        return "vllm serve" in joined or ("vllm" in self.command and "serve" in self.command)

    @property
    def model(self) -> str | None:
        """The model a vLLM container serves: the positional after ``serve`` or ``--model``."""
        if not self.is_vllm:
            return None
        explicit = self.flag("--model")
        if explicit:
            return explicit
        if self.args and not self.args[0].startswith("-"):
            return self.args[0]
        argv = self.argv
        for i, word in enumerate(argv[:-1]):
            if word == "serve" and not argv[i + 1].startswith("-") and argv[i + 1] != '"$@"':
                return argv[i + 1]
        return None

    def serving_ports(self) -> set[int]:
        """Ports the container listens on: declared ports and, for vLLM, ``--port`` (default 8000)."""
        ports = set(self.ports)
        if self.is_vllm:
            port = self.flag("--port")
            ports.add(int(port) if port and port.isdigit() else 8000)
        return ports


@dataclass(frozen=True)
class PodTemplate:
    """One pod template of a workload, with how many pods it makes."""

    owner: Resource
    role: str  # "" or the template's role (leader/worker, prefill/decode)
    namespace: str
    labels: Mapping[str, str]
    spec: Json
    pods: int  # pods created at first (replicas x group size)
    daemon: bool = False
    annotations: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def containers(self) -> tuple[Container, ...]:
        """Regular containers, then init containers."""
        regular = tuple(Container.read(c) for c in self.spec.get("containers") or ())
        init = tuple(Container.read(c, init=True) for c in self.spec.get("initContainers") or ())
        return regular + init

    def label(self) -> str:
        """``Kind namespace/name`` of the owner, with the role when there is one."""
        return self.owner.label() + (f" ({self.role})" if self.role else "")

    def requests(self) -> dict[str, float]:
        """The pod's effective requests (Kubernetes rules): max(largest init container, sum of regular containers
        + native sidecars), per resource; CPU in millicores, memory and ephemeral storage in MiB, others counts."""
        total: dict[str, float] = {}
        init_peak: dict[str, float] = {}
        for c in self.containers:
            req = {k: quantity(k, v) for k, v in {**c.limits, **c.requests}.items()} if c.requests or c.limits else {}
            if c.init and not c.restart_always:
                for k, v in req.items():
                    init_peak[k] = max(init_peak.get(k, 0.0), v)
            else:
                for k, v in req.items():
                    total[k] = total.get(k, 0.0) + v
        for k, v in init_peak.items():
            total[k] = max(total.get(k, 0.0), v)
        return total

    @cached_property
    def node_selector(self) -> Mapping[str, str]:
        """``nodeSelector`` plus single-value ``In`` terms of required node affinity."""
        selector = dict(self.spec.get("nodeSelector") or {})
        affinity = ((self.spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or {}
        terms = affinity.get("nodeSelectorTerms") or []
        if len(terms) == 1:
            for expr in terms[0].get("matchExpressions") or []:
                if expr.get("operator") == "In" and len(expr.get("values") or []) == 1:
                    selector[str(expr["key"])] = str(expr["values"][0])
        return selector

    @property
    def tolerations(self) -> list[Json]:
        """The pod's tolerations."""
        return list(self.spec.get("tolerations") or [])


_CPU = re.compile(r"^([0-9.]+)(m?)$")
_MEM = re.compile(r"^([0-9.]+(?:e[0-9]+)?)([KMGTPE]i?|k)?$")
_MEM_UNITS = {
    None: 1 / 2**20,
    "k": 1e3 / 2**20,
    "K": 1e3 / 2**20,
    "M": 1e6 / 2**20,
    "G": 1e9 / 2**20,
    "T": 1e12 / 2**20,
    "P": 1e15 / 2**20,
    "E": 1e18 / 2**20,
    "Ki": 1 / 1024,
    "Mi": 1.0,
    "Gi": 1024.0,
    "Ti": 1024.0**2,
    "Pi": 1024.0**3,
    "Ei": 1024.0**4,
}


def quantity(resource: str, value: Any) -> float:
    """A Kubernetes quantity as a number: CPU in millicores, memory/ephemeral-storage in MiB, else a count.

    Raises ValueError for a quantity it cannot read.
    """
    text = str(value).strip()
    if resource == "cpu":
        match = _CPU.match(text)
        if not match:
            raise ValueError(f"cpu quantity {text!r}")
        return float(match.group(1)) * (1 if match.group(2) else 1000)
    if resource in ("memory", "ephemeral-storage") or resource.startswith("hugepages-"):
        match = _MEM.match(text)
        if not match:
            raise ValueError(f"{resource} quantity {text!r}")
        return float(match.group(1)) * _MEM_UNITS[match.group(2)]
    return float(text)


#: The per-role scale target the LWS DisaggregatedSet controller creates for a ``scaling.mode: External`` role,
#: named ``<set>-<role>`` (kubernetes-sigs/lws ``pkg/controllers/disaggregatedset/scaler_manager.go`` ``ScalerName``).
ROLE_SCALER_KIND = "DisaggregatedSetRoleScaler"


def external_roles(resource: Resource) -> list[str]:
    """The ``scaling.mode: External`` roles of a DisaggregatedSet (none for other objects)."""
    if resource.kind != "DisaggregatedSet":
        return []
    return [
        str(role.get("name", ""))
        for role in resource.spec.get("roles") or ()
        if isinstance(role, Mapping) and (role.get("scaling") or {}).get("mode") == "External"
    ]


def pod_templates(resource: Resource, external: Mapping[str, int] | None = None) -> Iterator[PodTemplate]:
    """The pod templates a workload object carries (none for other objects).

    ``external``: for a DisaggregatedSet, the LWS groups each ``scaling.mode: External`` role reaches on the first
    deploy (what drives its DisaggregatedSetRoleScaler: :meth:`Graph.role_scaling`). Default: None (every External
    role at 0: the scaler's ``spec.replicas`` before an autoscaler writes it, the role's own ``replicas`` being
    ignored for External roles)."""
    kind, spec, ns = resource.kind, resource.spec, resource.namespace
    if kind in TEMPLATE_KINDS:
        template = spec.get("template") or {}
        replicas = 1 if kind == "Job" else int(spec.get("replicas", 1) or 0)
        yield _template(resource, "", ns, template, replicas, daemon=kind == "DaemonSet")
    elif kind == "Pod":
        meta = resource.metadata
        yield PodTemplate(
            resource, "", ns, dict(meta.get("labels") or {}), spec, 1, annotations=dict(meta.get("annotations") or {})
        )
    elif kind == "LeaderWorkerSet":
        yield from _lws_templates(resource, "", spec)
    elif kind == "DisaggregatedSet":
        slices = int(spec.get("slices", 1) or 1)
        scaled = set(external_roles(resource))
        for role in spec.get("roles") or []:
            name = str(role.get("name", ""))
            role_spec = role.get("spec") or {}
            if name in scaled:
                role_spec = {**role_spec, "replicas": (external or {}).get(name, 0)}
            yield from _lws_templates(resource, name, role_spec, multiplier=slices)


def _template(owner: Resource, role: str, ns: str, template: Json, pods: int, *, daemon: bool = False) -> PodTemplate:
    meta = template.get("metadata") or {}
    return PodTemplate(
        owner,
        role,
        ns,
        dict(meta.get("labels") or {}),
        template.get("spec") or {},
        pods,
        daemon,
        annotations=dict(meta.get("annotations") or {}),
    )


def _lws_templates(owner: Resource, role: str, spec: Json, multiplier: int = 1) -> Iterator[PodTemplate]:
    lwt = spec.get("leaderWorkerTemplate") or {}
    replicas = int(spec.get("replicas", 1) or 0) * multiplier
    size = int(lwt.get("size", 1) or 1)
    worker = lwt.get("workerTemplate") or {}
    leader = lwt.get("leaderTemplate")
    prefix = f"{role} " if role else ""
    if leader:
        yield _template(owner, f"{prefix}leader".strip(), owner.namespace, leader, replicas)
        if size > 1:
            yield _template(owner, f"{prefix}worker".strip(), owner.namespace, worker, replicas * (size - 1))
    else:
        yield _template(owner, role, owner.namespace, worker, replicas * size)


# --- External roles of a DisaggregatedSet (KEP-849 DisaggregatedSetRoleScaler) ----------------------------------


@dataclass(frozen=True)
class RoleScaling:
    """How a ``scaling.mode: External`` role of a DisaggregatedSet gets its pods on the first deploy.

    Attributes:
        role: The role's name.
        scaler: The DisaggregatedSetRoleScaler the controller creates for it (``<set>-<role>``).
        driver: The HPA or KEDA ScaledObject whose ``scaleTargetRef`` names the scaler (None: none).
        start: LWS groups of the role once the first deploy settles (0: the model never serves).
        problem: Why the role stays at 0 replicas (None when ``start`` >= 1).
    """

    role: str
    scaler: str
    driver: Resource | None
    start: int
    problem: str | None


def _targets(autoscaler: Resource, namespace: str, scaler: str) -> bool:
    ref = autoscaler.spec.get("scaleTargetRef") or {}
    return (
        autoscaler.namespace == namespace
        and isinstance(ref, Mapping)
        and ref.get("kind") == ROLE_SCALER_KIND
        and ref.get("name") == scaler
    )


def role_scaling(ds: Resource, role: str, autoscalers: Sequence[Resource]) -> RoleScaling:
    """What drives the External ``role`` of DisaggregatedSet ``ds`` among ``autoscalers`` (HPAs, ScaledObjects), and
    where the role starts.

    The twin takes the scaler's ``spec.replicas`` at 0 before an autoscaler writes it: the CRD's default
    (``disaggregatedset.x-k8s.io_disaggregatedsetrolescalers.yaml`` v0.10.0 ``default: 0``) and KEP-849's design ("Until
    that first write, the role is held at 0 replicas", kubernetes-sigs/lws keps/849-DisaggregatedSet-HPA). LWS
    v0.10.0's controller seeds a fresh role's scaler with 1 (its field doc; ``seedForRole``), which the twin does
    not count on: a first deploy must not depend on a controller detail that the API and the KEP do not promise.
    From there:

    * a KEDA ``ScaledObject`` with ``minReplicaCount`` >= 1 writes ``minReplicaCount`` whether or not its triggers
      are active, even when its metrics fail (kedacore/keda ``pkg/scaling/executor/scale_scaledobjects.go``
      ``RequestScale``: active with 0 replicas -> ``scaleFromZeroOrIdle`` -> ``minReplicaCount``; inactive with
      ``currentReplicas < minReplicas`` -> ``updateScaleOnScaleTarget(minReplicaCount)``): the role starts there;
      ``minReplicaCount`` 0 leaves an idle role at 0;
    * a plain HPA does nothing while its target's ``spec.replicas`` is 0 ("scaling is disabled since the replica
      count of the target is zero", kubernetes ``pkg/controller/podautoscaler/horizontal.go``
      ``reconcileAutoscaler``), whatever its ``minReplicas``: the role stays at 0;
    * with no autoscaler the role stays at 0.
    """
    scaler = f"{ds.metadata.get('name', ds.name)}-{role}"
    scaled = [a for a in autoscalers if a.kind == "ScaledObject" and _targets(a, ds.namespace, scaler)]
    hpas = [a for a in autoscalers if a.kind == "HorizontalPodAutoscaler" and _targets(a, ds.namespace, scaler)]
    if scaled:
        raw = scaled[0].spec.get("minReplicaCount", 0)
        minimum = int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else 0
        if minimum >= 1:
            return RoleScaling(role, scaler, scaled[0], minimum, None)
        return RoleScaling(
            role,
            scaler,
            scaled[0],
            0,
            f"KEDA ScaledObject {scaled[0].metadata.get('name', scaled[0].name)} has minReplicaCount {minimum}: KEDA "
            "leaves an idle role at 0 replicas, so the role has no pod when the first requests arrive",
        )
    if hpas:
        return RoleScaling(
            role,
            scaler,
            hpas[0],
            0,
            f"HorizontalPodAutoscaler {hpas[0].metadata.get('name', hpas[0].name)} targets {ROLE_SCALER_KIND} "
            f'{scaler}, which starts at 0 replicas, and an HPA never scales a target at 0 ("scaling is disabled '
            'since the replica count of the target is zero"), whatever its minReplicas',
        )
    return RoleScaling(
        role,
        scaler,
        None,
        0,
        f"no HPA or ScaledObject targets {ROLE_SCALER_KIND} {scaler}: an External role stays at 0 replicas until an "
        "autoscaler writes its scaler",
    )


# --- node pools ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodePool:
    """A group of identical nodes the twin schedules pods onto."""

    name: str
    resource: Resource | None  # the cloud resource that creates it (None: an existing cluster's nodes)
    labels: Mapping[str, str]
    taints: tuple[tuple[str, str, str], ...]  # (key, value, effect)
    allocatable: Mapping[str, float]  # cpu (m), memory (MiB), ephemeral-storage (MiB), extended resources
    max_nodes: int
    initial_nodes: int
    accelerator: bool
    shape: catalog.MachineShape | None = None
    consumption: str = "on-demand"

    def tolerated_by(self, tolerations: Sequence[Json]) -> bool:
        """True when the tolerations cover every NoSchedule / NoExecute taint of the pool."""
        for key, value, effect in self.taints:
            if effect not in ("NoSchedule", "NoExecute"):
                continue
            if not any(_tolerates(t, key, value, effect) for t in tolerations):
                return False
        return True

    def selected_by(self, selector: Mapping[str, str]) -> bool:
        """True when the pool's node labels satisfy ``selector``."""
        return all(self.labels.get(k) == v for k, v in selector.items())


def _tolerates(t: Json, key: str, value: str, effect: str) -> bool:
    if t.get("effect") and t.get("effect") != effect:
        return False
    if t.get("operator") == "Exists":
        return not t.get("key") or t.get("key") == key
    return t.get("key") == key and str(t.get("value", "")) == value


@dataclass
class Graph:
    """The resources of a render, their dependency edges (components expanded) and closures."""

    resources: dict[str, Resource]
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Sequence[Json]) -> Graph:
        """Read ``resources.json`` entries."""
        resources = {str(e["urn"]): Resource.from_entry(e) for e in entries}
        graph = cls(resources)
        for r in resources.values():
            graph.children.setdefault(r.parent, []).append(r.urn)
        return graph

    def custom_descendants(self, urn: str) -> list[str]:
        """A component's custom descendants (itself when custom)."""
        r = self.resources.get(urn)
        if r is None:
            return []
        if r.custom:
            return [urn]
        out: list[str] = []
        for child in self.children.get(urn, ()):
            out.extend(self.custom_descendants(child))
        return out

    @cached_property
    def direct(self) -> dict[str, frozenset[str]]:
        """Custom resource URN -> custom URNs it waits for (dependencies, property dependencies, provider)."""
        out: dict[str, frozenset[str]] = {}
        for urn, r in self.resources.items():
            if not r.custom:
                continue
            deps: set[str] = set()
            for dep in (*r.dependencies, *((r.provider,) if r.provider else ())):
                deps.update(self.custom_descendants(dep))
            deps.discard(urn)
            out[urn] = frozenset(deps)
        return out

    @cached_property
    def ancestors(self) -> dict[str, frozenset[str]]:
        """Custom resource URN -> everything it transitively waits for."""
        memo: dict[str, frozenset[str]] = {}

        def visit(urn: str, stack: set[str]) -> frozenset[str]:
            if urn in memo:
                return memo[urn]
            if urn in stack:
                return frozenset()
            stack.add(urn)
            acc: set[str] = set()
            for dep in self.direct.get(urn, frozenset()):
                acc.add(dep)
                acc |= visit(dep, stack)
            stack.discard(urn)
            memo[urn] = frozenset(acc)
            return memo[urn]

        for urn in self.direct:
            visit(urn, set())
        return memo

    def custom(self) -> list[Resource]:
        """Custom resources, sorted by URN (a new list each call; the graph's resources are never changed once
        built, so the sorted order is computed once)."""
        return list(self._custom)

    @cached_property
    def _custom(self) -> tuple[Resource, ...]:
        return tuple(r for _, r in sorted(self.resources.items()) if r.custom)

    @cached_property
    def workloads(self) -> tuple[tuple[Resource, tuple[PodTemplate, ...]], ...]:
        """Kubernetes workload objects (sorted by URN) with their pod templates, computed once; a
        DisaggregatedSet's External roles with the pods their autoscaler gives them (:attr:`role_scaling`)."""
        out = []
        for r in self._custom:
            if r.is_kube:
                scaling = self.role_scaling.get(r.urn)
                external = {role: s.start for role, s in scaling.items()} if scaling else None
                templates = tuple(pod_templates(r, external))
                if templates:
                    out.append((r, templates))
        return tuple(out)

    @cached_property
    def role_scaling(self) -> dict[str, dict[str, RoleScaling]]:
        """DisaggregatedSet URN -> External role -> how the role gets its first pods (:func:`role_scaling`)."""
        autoscalers = [r for r in self._custom if r.kind in ("HorizontalPodAutoscaler", "ScaledObject")]
        out: dict[str, dict[str, RoleScaling]] = {}
        for r in self._custom:
            roles = external_roles(r)
            if roles:
                out[r.urn] = {role: role_scaling(r, role, autoscalers) for role in roles}
        return out

    def waits_for(self, urn: str, other: str) -> bool:
        """True when ``urn`` (transitively) waits for ``other``."""
        return other in self.ancestors.get(urn, frozenset())
