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


class LeaderWorkerSetController(pulumi.ComponentResource):
    """The LeaderWorkerSet controller (kubernetes-sigs/lws) from its Helm chart, pinned to ``versions.LWS_VERSION``.

    Type token ``llmd:platform:LeaderWorkerSet``. Installs the LWS CRDs, controller and its validating/mutating
    webhooks (self-signed certificates, no cert-manager) into ``lws-system``. Outputs: ``release``, ``namespace``.
    """

    def __init__(self, name: str = "lws", *, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmd:platform:LeaderWorkerSet", name, None, opts)
        self.release = helm_release(
            name,
            chart=versions.LWS_CHART,
            version=versions.LWS_CHART_VERSION,
            namespace=LWS_NAMESPACE,
            values={"enableCertManager": False},
            opts=child_options(self, opts),
        )
        self.namespace = LWS_NAMESPACE
        self.register_outputs({"chart": versions.LWS_CHART, "version": versions.LWS_CHART_VERSION})
