"""Gang scheduling and the AI operator: Kueue with queues for the accelerator pools, and LeaderWorkerSet.

Both controllers are installed from their upstream Helm charts as typed ``kubernetes:helm.sh/v3:Release`` resources
(chart, pinned version and values visible in the render and to the policies). Kueue's queues are typed custom
resources (``kueue.x-k8s.io/v1beta2``) validated against the carried Kueue v0.19.2 CRDs.

Kueue only manages workloads that name a queue (``kueue.x-k8s.io/queue-name``); the serving Deployments do not, so
installing it changes nothing for them, while batch and multi-node jobs get all-or-nothing admission
(AI conformance ``gang_scheduling``, KAR-0053). LeaderWorkerSet brings CRDs, a controller and webhooks (AI
conformance ``robust_controller``, KAR-0063) and is what llm-d's multi-node paths (wide-EP) deploy on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import versions
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.kube import child_options, k8s_object

KUEUE_NAMESPACE = "kueue-system"
LWS_NAMESPACE = "lws-system"
#: A namespace name: a DNS-1123 label.
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def check_namespace(where: str, namespace: str) -> None:
    """Raise ValueError (naming ``where``) unless ``namespace`` is a valid namespace name (a DNS-1123 label)."""
    if not isinstance(namespace, str) or _NAMESPACE.fullmatch(namespace) is None:
        raise ValueError(f"{where}: namespace {namespace!r} is not a DNS-1123 label (lower case, digits, '-', <= 63)")


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
) -> k8s.helm.v3.Release:
    """A Helm release of ``chart`` at ``version`` into ``namespace``, waiting until it is ready.

    ``chart`` is an ``oci://`` reference, or a chart name in the classic Helm repository ``repository`` (its URL,
    passed as ``repository_opts``). The namespace is created unless ``create_namespace`` is False (``kube-system``).
    Raises ValueError for an empty chart or version (every chart the library installs is pinned).
    """
    if not chart or not version:
        raise ValueError(f"helm release {name}: chart and version are required (pinned in components/versions.py)")
    return k8s.helm.v3.Release(
        name,
        name=name,
        chart=chart,
        version=version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository) if repository else None,
        namespace=namespace,
        create_namespace=create_namespace,
        atomic=True,
        values=dict(values or {}),
        opts=opts,
    )


class Kueue(pulumi.ComponentResource):
    """Kueue (kubernetes-sigs/kueue) from its Helm chart, pinned to ``versions.KUEUE_VERSION``.

    Type token ``llmd:platform:Kueue``. Installs into ``kueue-system`` with the chart's defaults (webhooks on, the
    internal certificate manager, integrations for Jobs, JobSets, LeaderWorkerSets and labelled pods).
    Outputs: ``release`` (the ``helm.v3.Release``), ``namespace``.
    """

    def __init__(self, name: str = "kueue", *, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmd:platform:Kueue", name, None, opts)
        self.release = helm_release(
            name,
            chart=versions.KUEUE_CHART,
            version=versions.KUEUE_CHART_VERSION,
            namespace=KUEUE_NAMESPACE,
            values={},
            opts=child_options(self, opts),
        )
        self.namespace = KUEUE_NAMESPACE
        self.register_outputs({"chart": versions.KUEUE_CHART, "version": versions.KUEUE_CHART_VERSION})


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


class KueueQueues(pulumi.ComponentResource):
    """Kueue queues for a stack: flavors for its accelerator pools, a ClusterQueue, a LocalQueue in its namespace.

    Type token ``llmd:platform:KueueQueues``. Workloads opt in with the label ``kueue.x-k8s.io/queue-name: <name>``.
    Pass ``opts.depends_on`` the :class:`Kueue` release (its CRDs must exist first). See
    :func:`kueue_queue_manifests` for shapes and errors. Outputs: ``local_queue`` (the LocalQueue's name).
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        pools: Sequence[AcceleratorPool],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
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


class LeaderWorkerSetController(pulumi.ComponentResource):
    """The LeaderWorkerSet controller (kubernetes-sigs/lws) from its Helm chart, pinned to ``versions.LWS_VERSION``.

    Type token ``llmd:platform:LeaderWorkerSet``. Installs the LWS CRDs, controller and its validating/mutating
    webhooks (self-signed certificates, no cert-manager) into ``lws-system``. Outputs: ``release``, ``namespace``.

    Args:
        name: the release name (default ``lws``).
        enable_disaggregated_set: also install the DisaggregatedSet API's ClusterRoles and validating webhook (chart
            value ``enableDisaggregatedSet=true``, as llm-d's DisaggregatedSet-based P/D and wide-EP guides install
            LWS). Default False: the chart values stay ``{"enableCertManager": false}``.
        opts: resource options.

    Raises:
        ValueError: ``enable_disaggregated_set`` with a pinned chart (``versions.LWS_CHART_VERSION``) older than
            :data:`DISAGGREGATED_SET_MIN_LWS_VERSION`, whose chart has no ``enableDisaggregatedSet`` value; the
            message names the pin to raise in ``components/versions.py``.
    """

    def __init__(
        self,
        name: str = "lws",
        *,
        enable_disaggregated_set: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        pinned = versions.LWS_CHART_VERSION
        if enable_disaggregated_set and _release_tuple(pinned) < _release_tuple(DISAGGREGATED_SET_MIN_LWS_VERSION):
            raise ValueError(
                f"LeaderWorkerSetController {name}: enable_disaggregated_set = True needs the LWS chart value "
                f"enableDisaggregatedSet, which LWS {pinned} does not have; raise versions.LWS_VERSION to "
                f"{DISAGGREGATED_SET_MIN_LWS_VERSION} or newer ({LLMD_DISAGGREGATED_SET_LWS_VERSION} is what llm-d's "
                "DisaggregatedSet guides install) in components/versions.py"
            )
        values: dict[str, Any] = {"enableCertManager": False}
        if enable_disaggregated_set:
            values["enableDisaggregatedSet"] = True
        super().__init__("llmd:platform:LeaderWorkerSet", name, None, opts)
        self.release = helm_release(
            name,
            chart=versions.LWS_CHART,
            version=pinned,
            namespace=LWS_NAMESPACE,
            values=values,
            opts=child_options(self, opts),
        )
        self.namespace = LWS_NAMESPACE
        self.disaggregated_set = enable_disaggregated_set
        self.register_outputs({"chart": versions.LWS_CHART, "version": pinned})
