"""Gang scheduling and the AI operator: Kueue with queues for the accelerator pools, and LeaderWorkerSet.

Both controllers are installed from their upstream Helm charts as typed ``kubernetes:helm.sh/v3:Release`` resources
(chart, pinned version and values visible in the render and to the policies). Kueue's queues are typed custom
resources (``kueue.x-k8s.io/v1beta2``) validated against the carried Kueue v0.19.2 CRDs.

Kueue only manages workloads that name a queue (``kueue.x-k8s.io/queue-name``); the serving Deployments do not, so
installing it changes nothing for them, while batch and multi-node jobs get all-or-nothing admission
(AI conformance ``gang_scheduling``, KAR-0053). LeaderWorkerSet brings CRDs, a controller and webhooks (AI
conformance ``robust_controller``, KAR-0063) and is what llm-d's multi-node paths (wide-EP) deploy on.

Both register fail-closed admission webhooks (``failurePolicy: Fail``): an object they intercept that is created
before the controller serves its webhook is rejected. Kueue's chart (kubernetes-sigs/kueue
``charts/kueue/templates/webhook/manifests.yaml``, v0.1x-v0.19 layout) registers, from the manager configuration
in the value ``managerConfig.controllerManagerConfigYaml``:

* the Pod, Deployment and StatefulSet webhooks with ``failurePolicy: Fail`` only when ``pod`` / ``deployment`` /
  ``statefulset`` are in ``integrations.frameworks`` (else ``Ignore``), and with ``namespaceSelector`` =
  ``managedJobsNamespaceSelector`` when that is set (else every namespace but ``kube-system`` and Kueue's own);
* the Job, JobSet, LeaderWorkerSet, Kubeflow, Ray and AppWrapper webhooks and those of its own kinds with
  ``failurePolicy: Fail`` and no namespace selector (whatever the frameworks: a disabled integration is served by
  a no-op webhook, which still needs the controller up).

:func:`kueue_values` therefore enables only the frameworks the stacks use for gang admission (Jobs, JobSets,
LeaderWorkerSets; no plain Pods, Deployments or StatefulSets, so the webhooks for those kinds are ``Ignore`` and
never block istiod, the LWS controller, kube-prometheus-stack or the device plugins) and scopes
``managedJobsNamespaceSelector`` to the stack namespaces. What it still intercepts everywhere (Jobs, e.g. the Helm
hook Jobs of kube-prometheus-stack, and LeaderWorkerSets) must be created after the Kueue release: the blueprints
order the stack namespace (hence every workload in it) and kube-prometheus-stack after :attr:`Kueue.release`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s
import yaml

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, ref_name
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import child_options, k8s_object, merge_values, with_depends_on

KUEUE_NAMESPACE = "kueue-system"
LWS_NAMESPACE = "lws-system"
#: A namespace name: a DNS-1123 label.
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def namespace_problem(namespace: object) -> str | None:
    """What is wrong with a namespace name (the text after ``key = value:``), or None: it must be a DNS-1123 label
    (Kubernetes ``metadata.name`` of a Namespace). One rule for the components and the stack file's ``namespace``."""
    if not isinstance(namespace, str) or _NAMESPACE.fullmatch(namespace) is None:
        return "is not a DNS-1123 label (lower case, digits, '-', <= 63)"
    return None


def check_namespace(where: str, namespace: str) -> None:
    """Raise ValueError (naming ``where``) unless ``namespace`` is a valid namespace name (a DNS-1123 label)."""
    problem = namespace_problem(namespace)
    if problem:
        raise ArgsError(where, [f"namespace {namespace!r} {problem}"])


def helm_release(
    name: str,
    *,
    chart: str,
    version: str,
    namespace: str,
    values: Mapping[str, Any] | None,
    opts: pulumi.ResourceOptions,
    repository: str | None = None,
    create_namespace: bool = True,
    overrides: Mapping[str, Any] | None = None,
    wait: bool = True,
) -> k8s.helm.v3.Release:
    """A Helm release of ``chart`` at ``version`` into ``namespace``, waiting until it is ready.

    Raises ValueError for an empty chart or version (every chart the library installs is pinned).

    Args:
        chart: An ``oci://`` reference, or a chart name in the classic Helm repository ``repository``.
        repository: The classic Helm repository's URL (passed as ``repository_opts``). Default: None (``chart`` is
            an ``oci://`` reference).
        create_namespace: Create ``namespace`` (False for ``kube-system``). Default: True.
        overrides: The caller's values, merged over the library's ``values`` with :func:`merge_values` (the escape
            hatch of every Helm wrapper's ``values`` argument). Default: None (none).
        wait: Wait until the release's workloads are ready (``atomic``: roll back on failure). False installs and
            returns (``skipAwait``), for a chart whose pods need objects created after it. Default: True.
    """
    if not chart or not version:
        raise ValueError(f"helm release {name}: chart and version are required (pinned in components/versions.py)")
    values = merge_values(values or {}, overrides or {})
    return k8s.helm.v3.Release(
        name,
        name=name,
        chart=chart,
        version=version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository) if repository else None,
        namespace=namespace,
        create_namespace=create_namespace,
        atomic=wait,
        skip_await=not wait,
        values=values,
        opts=opts,
    )


#: Kueue integrations the library enables: what gang admission of batch and multi-node work needs (Jobs, JobSets,
#: LeaderWorkerSets; the Red Hat build of Kueue enables LeaderWorkerSet with BatchJob the same way, docs.redhat.com
#: "Integrating the Leader Worker Set Operator"). Not ``pod`` / ``deployment`` / ``statefulset``: their webhooks would
#: become fail-closed for every pod and Deployment of the managed namespaces.
KUEUE_FRAMEWORKS: Final = ("batch/job", "jobset.x-k8s.io/jobset", "leaderworkerset.x-k8s.io/leaderworkerset")
#: Frameworks whose webhooks the chart scopes with ``managedJobsNamespaceSelector`` and makes fail-closed only when
#: enabled (kubernetes-sigs/kueue charts/kueue/templates/webhook/manifests.yaml).
KUEUE_POD_FRAMEWORKS: Final = ("pod", "deployment", "statefulset")
#: Kinds Kueue's chart intercepts fail-closed in every namespace, whatever the configuration: objects of these kinds
#: must be created after the Kueue release (same chart file; Kueue's own kinds left out).
KUEUE_CLUSTER_WIDE_KINDS: Final = (
    ("batch", "Job"),
    ("jobset.x-k8s.io", "JobSet"),
    ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"),
    ("kubeflow.org", "MPIJob"),
    ("kubeflow.org", "PyTorchJob"),
    ("ray.io", "RayJob"),
    ("ray.io", "RayCluster"),
    ("workload.codeflare.dev", "AppWrapper"),
)


def kueue_manager_config(*, namespaces: Sequence[str], frameworks: Sequence[str] = KUEUE_FRAMEWORKS) -> dict[str, Any]:
    """Kueue's manager ``Configuration`` (``config.kueue.x-k8s.io/v1beta2``) as a dict (pure function).

    The chart's defaults (kubernetes-sigs/kueue ``charts/kueue/templates/manager/_config.tpl``: health 8081,
    metrics 8443, webhook 9443, leader election, concurrency, client QPS 300 / burst 500) with
    ``integrations.frameworks = frameworks``, ``manageJobsWithoutQueueName: false`` (only what names a queue is
    managed) and ``managedJobsNamespaceSelector`` matching exactly ``namespaces`` (label
    ``kubernetes.io/metadata.name`` In ``namespaces``).

    Args:
        namespaces: Namespaces Kueue manages (at least one DNS label).
        frameworks: Integrations to enable. Default: ``KUEUE_FRAMEWORKS`` (batch/job, JobSet, LeaderWorkerSet).

    Raises:
        ValueError: no namespace, a namespace that is not a DNS-1123 label, or an empty framework list.
    """
    if not namespaces:
        raise ValueError("kueue: managed namespaces: at least one namespace (the stack namespace)")
    for namespace in namespaces:
        check_namespace("kueue managed namespaces", namespace)
    if not frameworks:
        raise ValueError(f"kueue: frameworks = []: allowed a non-empty list, e.g. {list(KUEUE_FRAMEWORKS)}")
    return {
        "apiVersion": "config.kueue.x-k8s.io/v1beta2",
        "kind": "Configuration",
        "health": {"healthProbeBindAddress": ":8081"},
        "metrics": {"bindAddress": ":8443"},
        "webhook": {"port": 9443},
        "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
        "controller": {
            "groupKindConcurrency": {
                "Job.batch": 5,
                "Pod": 5,
                "Workload.kueue.x-k8s.io": 10,
                "LocalQueue.kueue.x-k8s.io": 5,
                "Cohort.kueue.x-k8s.io": 1,
                "ClusterQueue.kueue.x-k8s.io": 5,
                "ResourceFlavor.kueue.x-k8s.io": 1,
            }
        },
        "clientConnection": {"qps": 300, "burst": 500},
        "manageJobsWithoutQueueName": False,
        "managedJobsNamespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(set(namespaces))}
            ]
        },
        "integrations": {"frameworks": list(frameworks)},
    }


def kueue_values(*, namespaces: Sequence[str], frameworks: Sequence[str] = KUEUE_FRAMEWORKS) -> dict[str, Any]:
    """Helm values of Kueue's chart (pure function): ``managerConfig.controllerManagerConfigYaml`` holding
    :func:`kueue_manager_config` as YAML (the chart reads the whole configuration from that one string), and the
    controller image pinned by digest through ``controllerManager.manager.image.{repository,tag}`` (tag
    ``v0.19.2@sha256:...`` from the active llm-d release's ``kueue_image``; the chart renders ``repository:tag``).
    Raises
    ValueError as :func:`kueue_manager_config`.

    Args:
        namespaces: Namespaces Kueue manages (at least one DNS label).
        frameworks: Integrations to enable. Default: ``KUEUE_FRAMEWORKS`` (batch/job, JobSet, LeaderWorkerSet).
    """
    config = kueue_manager_config(namespaces=namespaces, frameworks=frameworks)
    pin = versions.active_release().kueue_image
    return {
        "controllerManager": {"manager": {"image": {"repository": pin.repository, "tag": pin.helm_tag}}},
        "managerConfig": {"controllerManagerConfigYaml": yaml.safe_dump(config, sort_keys=False)},
    }


class KueueArgs(TypedDict, total=False):
    """The arguments of :class:`Kueue` (give them as this object or as keyword arguments)."""

    namespaces: Sequence[str]
    """Namespaces Kueue manages (its webhooks are scoped there; at least one DNS label).
    Default: ``("default",)``."""
    frameworks: Sequence[str]
    """Integrations to enable. Default: :data:`KUEUE_FRAMEWORKS` (batch/job, JobSet,
    LeaderWorkerSet)."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class Kueue(pulumi.ComponentResource):
    """Kueue (kubernetes-sigs/kueue) from its Helm chart, pinned by the active llm-d release's ``kueue_chart``
    (:func:`~pulumi_llmd.components.versions.active_release`; v0.19.2 in both releases).

    Type token ``llmd:platform:Kueue``. Installs into ``kueue-system`` (webhooks on, the internal certificate
    manager) with :func:`kueue_values`: integrations ``frameworks`` (default :data:`KUEUE_FRAMEWORKS`) managed only in
    ``namespaces`` (the stack namespace), so its Pod / Deployment / StatefulSet webhooks are ``Ignore`` and scoped
    there. Create whatever it still intercepts (:data:`KUEUE_CLUSTER_WIDE_KINDS`) after :attr:`release`.
    Outputs: ``release`` (the ``helm.v3.Release``), ``namespace``, ``managed_namespaces``, ``frameworks``.

    Arguments: :class:`KueueArgs`.

    Raises:
        ValueError: no managed namespace, an invalid one, or no framework (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: KueueArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "kueue",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[KueueArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "kueue",
        args: KueueArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(KueueArgs, "Kueue", args, kwargs)
        namespaces = a.get("namespaces", ("default",))
        frameworks = a.get("frameworks", KUEUE_FRAMEWORKS)
        values = a.get("values", None)
        chart_values = kueue_values(namespaces=namespaces, frameworks=frameworks)
        chart = versions.active_release().kueue_chart
        super().__init__("llmd:platform:Kueue", name, None, opts)
        self.release = helm_release(
            name,
            chart=chart.chart,
            version=chart.version,
            namespace=KUEUE_NAMESPACE,
            values=chart_values,
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = KUEUE_NAMESPACE
        self.managed_namespaces: list[str] = sorted(set(namespaces))
        self.frameworks: list[str] = list(frameworks)
        self.register_outputs(
            {
                "chart": chart.chart,
                "version": chart.version,
                "managedNamespaces": self.managed_namespaces,
                "frameworks": self.frameworks,
            }
        )


def _quantity_gi(gib: int) -> str:
    return f"{gib}Gi"


def kueue_queue_manifests(*, name: str, namespace: str, pools: Sequence[AcceleratorPool]) -> list[dict[str, Any]]:
    """ResourceFlavor per pool, one ClusterQueue over them and a LocalQueue in ``namespace`` (pure function).

    Each flavor pins workloads to its pool (the pool's node selector and tolerations); the ClusterQueue's nominal
    quota per flavor is the pool at its maximum size (CPU, memory, accelerators), so admitted work always fits.
    Resources are covered in one group: ``cpu``, ``memory`` and every accelerator resource of the pools.
    Raises ValueError for no pools.
    """
    if not pools:
        raise ValueError("kueue queues: at least one accelerator pool")
    devices = sorted({p.resource_name for p in pools})
    covered = ["cpu", "memory", *devices]
    objects: list[dict[str, Any]] = []
    flavors = []
    for pool in pools:
        flavor = f"{name}-{pool.name}"
        objects.append(
            {
                "apiVersion": versions.KUEUE_API_VERSION,
                "kind": "ResourceFlavor",
                "metadata": {"name": flavor},
                "spec": {
                    "nodeLabels": dict(sorted(pool.node_selector.items())),
                    "tolerations": [t.to_k8s() for t in pool.tolerations],
                },
            }
        )
        quota = {
            "cpu": pool.shape.vcpus * pool.max_nodes,
            "memory": _quantity_gi(pool.shape.memory_gib * pool.max_nodes),
            **{d: (pool.capacity if d == pool.resource_name else 0) for d in devices},
        }
        flavors.append({"name": flavor, "resources": [{"name": r, "nominalQuota": quota[r]} for r in covered]})
    objects.append(
        {
            "apiVersion": versions.KUEUE_API_VERSION,
            "kind": "ClusterQueue",
            "metadata": {"name": name},
            "spec": {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "queueingStrategy": "BestEffortFIFO",
                "resourceGroups": [{"coveredResources": covered, "flavors": flavors}],
            },
        }
    )
    objects.append(
        {
            "apiVersion": versions.KUEUE_API_VERSION,
            "kind": "LocalQueue",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterQueue": name},
        }
    )
    return objects


class KueueQueuesArgs(TypedDict, total=False):
    """The arguments of :class:`KueueQueues` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The stack namespace (the LocalQueue's): a :class:`~pulumi_llmd.components.platform.StackNamespace`
    (the queues then depend on it) or its name."""
    pools: Required[Sequence[AcceleratorPool]]
    """The accelerator pools to make flavors and quotas for (at least one)."""


class KueueQueues(pulumi.ComponentResource):
    """Kueue queues for a stack: flavors for its accelerator pools, a ClusterQueue, a LocalQueue in its namespace.

    Type token ``llmd:platform:KueueQueues``. Workloads opt in with the label ``kueue.x-k8s.io/queue-name: <name>``.
    Pass ``opts.depends_on`` the :class:`Kueue` release (its CRDs must exist first). See
    :func:`kueue_queue_manifests` for shapes and errors. Arguments: :class:`KueueQueuesArgs`.
    Outputs: ``local_queue`` (the LocalQueue's name).
    """

    @overload
    def __init__(self, name: str, args: KueueQueuesArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[KueueQueuesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: KueueQueuesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(KueueQueuesArgs, "KueueQueues", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "KueueQueues", "namespace")
        pools = a["pools"]
        opts = with_depends_on(opts, [*namespace_deps])
        manifests = kueue_queue_manifests(name=name, namespace=namespace, pools=pools)
        super().__init__("llmd:platform:KueueQueues", name, None, opts)
        child = child_options(self, opts)
        for manifest in manifests:
            k8s_object(f"{manifest['metadata']['name']}-{manifest['kind'].lower()}", manifest, child)
        self.local_queue = name
        self.register_outputs({"localQueue": name, "flavors": [f"{name}-{p.name}" for p in pools]})


#: First LWS release whose Helm chart has the ``enableDisaggregatedSet`` value (kubernetes-sigs/lws ``charts/lws``:
#: with it set the chart adds the DisaggregatedSet editor/viewer/admin ClusterRoles and its validating webhook; the
#: ``disaggregatedset.x-k8s.io/v1`` CRDs and the bundled controller ship with every chart since). The DisaggregatedSet
#: and DisaggregatedSetRoleScaler schemas the project validates against are the v0.10.0 ones
#: (``src/pulumi_llmd/schemas/crds/SOURCES.md``). llm-d's newest P/D and wide-EP guides ask for LWS >= v0.11.1
#: (``helm upgrade --install lws ... --version=0.11.1 --set enableDisaggregatedSet=true``): see
#: :data:`LLMD_DISAGGREGATED_SET_LWS_VERSION`.
DISAGGREGATED_SET_MIN_LWS_VERSION = "v0.10.0"
#: The LWS release llm-d's newest guides install for DisaggregatedSet (llm-d/llm-d guides/pd-disaggregation README,
#: "LeaderWorkerSet controller v0.11.1 or newer with the DisaggregatedSet API enabled"; FACTS: wide-EP).
LLMD_DISAGGREGATED_SET_LWS_VERSION = "v0.11.1"


def _release_tuple(version: str) -> tuple[int, ...]:
    """``"v0.10.0"`` / ``"0.10.0"`` -> ``(0, 10, 0)``; ValueError for anything else."""
    parts = version.removeprefix("v").split("-", 1)[0].split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a release version: {version!r} (want vMAJOR.MINOR.PATCH)")
    return tuple(int(p) for p in parts)


class LeaderWorkerSetControllerArgs(TypedDict, total=False):
    """The arguments of :class:`LeaderWorkerSetController` (give them as this object or as keyword arguments)."""

    enable_disaggregated_set: bool
    """Also install the DisaggregatedSet API's ClusterRoles and validating webhook (chart
    value ``enableDisaggregatedSet=true``, as llm-d's DisaggregatedSet-based P/D and wide-EP guides
    install LWS). Default: False (chart values ``{"enableCertManager": false}``)."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class LeaderWorkerSetController(pulumi.ComponentResource):
    """The LeaderWorkerSet controller (kubernetes-sigs/lws) from its Helm chart: the active llm-d release's
    ``lws_chart`` (:func:`~pulumi_llmd.components.versions.active_release`; chart 0.10.0 for llm-d v0.9.0, 0.11.1 for
    v0.10.0, whose DisaggregatedSet guides ask for "v0.11.1 or newer").

    Type token ``llmd:platform:LeaderWorkerSet``. Installs the LWS CRDs, controller and its validating/mutating
    webhooks (self-signed certificates, no cert-manager) into ``lws-system``. The webhooks for LeaderWorkerSets
    (``mleaderworkerset.kb.io`` / ``vleaderworkerset.kb.io``) are fail-closed (kubebuilder markers
    ``failurePolicy=fail`` in kubernetes-sigs/lws ``pkg/webhooks``): create LeaderWorkerSets after :attr:`release`
    (the blueprints order the stack namespace after it). Outputs: ``release``, ``namespace``.

    Arguments: :class:`LeaderWorkerSetControllerArgs`.

    Raises:
        ValueError: ``enable_disaggregated_set`` with a release whose LWS chart (``lws_chart``) is older than
            :data:`DISAGGREGATED_SET_MIN_LWS_VERSION`, whose chart has no ``enableDisaggregatedSet`` value; the
            message names the release and the newer ones that have it.
    """

    @overload
    def __init__(
        self, name: str, args: LeaderWorkerSetControllerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "lws",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[LeaderWorkerSetControllerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "lws",
        args: LeaderWorkerSetControllerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(LeaderWorkerSetControllerArgs, "LeaderWorkerSetController", args, kwargs)
        enable_disaggregated_set = a.get("enable_disaggregated_set", False)
        values = a.get("values", None)
        release = versions.active_release()
        chart = release.lws_chart
        pinned = chart.version
        if enable_disaggregated_set and _release_tuple(pinned) < _release_tuple(DISAGGREGATED_SET_MIN_LWS_VERSION):
            newer = [
                r.name
                for r in versions.RELEASES.values()
                if _release_tuple(r.lws_chart.version) >= _release_tuple(DISAGGREGATED_SET_MIN_LWS_VERSION)
            ]
            raise ValueError(
                f"LeaderWorkerSetController {name}: enable_disaggregated_set = True needs the LWS chart value "
                f"enableDisaggregatedSet, which LWS {pinned} (llm-d release {release.name}) does not have; it needs "
                f"LWS {DISAGGREGATED_SET_MIN_LWS_VERSION} or newer ({LLMD_DISAGGREGATED_SET_LWS_VERSION} is what "
                f"llm-d's DisaggregatedSet guides install): select an llm-d release that pins one "
                f"({', '.join(newer) or 'none carried'}; stack key llmd:release)"
            )
        chart_values: dict[str, Any] = {"enableCertManager": False}
        if enable_disaggregated_set:
            chart_values["enableDisaggregatedSet"] = True
        super().__init__("llmd:platform:LeaderWorkerSet", name, None, opts)
        self.release = helm_release(
            name,
            chart=chart.chart,
            version=pinned,
            namespace=LWS_NAMESPACE,
            values=chart_values,
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = LWS_NAMESPACE
        self.disaggregated_set = enable_disaggregated_set
        self.register_outputs({"chart": chart.chart, "version": pinned})
