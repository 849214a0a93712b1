"""A Kubernetes cluster the library does not create: kind on a laptop, on-prem, CoreWeave, OpenShift.

:class:`ExistingCluster` registers nothing in any cloud. It makes the ``pulumi_kubernetes`` provider for the cluster
(from a kubeconfig path or contents, or the default ``$KUBECONFIG`` / ``~/.kube/config``, and an optional context) and
turns hand-written :class:`ExistingPool` descriptors into the cloud-neutral
:class:`~pulumi_llmd.components.base.AcceleratorPool` objects the serving components read.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import catalog
from pulumi_llmd.components.args import ArgsError, component_args, format_problem
from pulumi_llmd.components.base import AcceleratorPool, Cluster, Platform, RdmaAttachment, Toleration
from pulumi_llmd.components.catalog import RdmaKind

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True, kw_only=True)
class ExistingPool:
    """The accelerator nodes of an existing cluster, described by hand.

    Attributes:
        name: pool name (DNS label), the key of ``ExistingCluster.pools``.
        node_selector: labels that select the pool's nodes (required, e.g. ``{"nvidia.com/gpu.present": "true"}``
            from the NVIDIA GPU operator, or a label your nodes carry).
        tolerations: taints of those nodes that model servers must tolerate. Default: none.
        resource_name: extended resource of one device (``amd.com/gpu``, ``google.com/tpu``); ``""`` for a CPU pool
            (``accelerator="cpu"``, no device). Default: "nvidia.com/gpu".
        devices_per_node: devices one node advertises, >= 1.
        max_nodes: nodes in the pool, >= 1. Default: 1.
        vcpus / memory_gib: allocatable CPUs and host memory (GiB) of one node, >= 1 (pod-fit checks use them).
        accelerator: catalog name of the device when the catalog knows it (``"nvidia-h100-80gb"``); ``None`` describes
            an unknown device by ``resource_name``. Default: None.
        machine_type: a name for the node type. Default: None (the pool name).
        rdma: the node-to-node fabric. Default: ``RdmaKind.NONE`` (none).
        rdma_resource: the fabric's extended resource (``"rdma/ib"``), if the nodes advertise one. Default: None.
        rdma_devices_per_node: how many of ``rdma_resource`` one node has (e.g. 1 with a shared RDMA device plugin).
            Default: 1.
        model_server_env: environment every model server on this pool needs (e.g. ``NCCL_IB_HCA``). Default: none.
    """

    name: str
    node_selector: Mapping[str, str]
    devices_per_node: int
    vcpus: int
    memory_gib: int
    max_nodes: int = 1
    tolerations: Sequence[Toleration] = ()
    resource_name: str = "nvidia.com/gpu"
    accelerator: str | None = None
    machine_type: str | None = None
    rdma: RdmaKind = RdmaKind.NONE
    rdma_resource: str | None = None
    rdma_devices_per_node: int = 1
    model_server_env: Mapping[str, str] = field(default_factory=dict)


def existing_pool_problems(pool: ExistingPool, where: str) -> list[str]:
    """What is wrong with ``pool`` (``where`` prefixes each message, e.g. ``"pools[0]"``); empty when it is usable."""
    problems: list[str] = []
    if not isinstance(pool.name, str) or _DNS_LABEL.fullmatch(pool.name) is None:
        problems.append(f"{where}.name = {pool.name!r}: allowed: a DNS label (lowercase a-z, 0-9, '-'; <= 63 chars)")
    if not pool.node_selector:
        problems.append(
            f"{where}.node_selector = {dict(pool.node_selector or {})!r}: an accelerator pool needs at least one "
            "node label to land on, e.g. {'nvidia.com/gpu.present': 'true'}"
        )
    elif any(not isinstance(k, str) or not k or not isinstance(v, str) for k, v in pool.node_selector.items()):
        problems.append(
            f"{where}.node_selector = {dict(pool.node_selector)!r}: allowed: non-empty string keys and string values"
        )
    for field_name in ("devices_per_node", "max_nodes", "vcpus", "memory_gib", "rdma_devices_per_node"):
        value = getattr(pool, field_name)
        if not isinstance(value, int) or value < 1:
            problems.append(f"{where}.{field_name} = {value!r}: must be an integer >= 1")
    cpu = pool.accelerator is not None and pool.accelerator == catalog.CPU.name
    if cpu and pool.resource_name:
        problems.append(
            f"{where}.resource_name = {pool.resource_name!r}: a CPU pool (accelerator 'cpu') requests no device; "
            "allowed: ''"
        )
    elif not cpu:
        try:
            catalog.validate_extended_resource(pool.resource_name)
        except ValueError as exc:
            problems.append(f"{where}.resource_name = {pool.resource_name!r}: {exc}")
    if pool.accelerator is not None:
        try:
            catalog.accelerator(pool.accelerator)
        except ValueError as exc:
            problems.append(f"{where}.accelerator = {pool.accelerator!r}: {exc}")
    if pool.rdma_resource is not None:
        if pool.rdma is RdmaKind.NONE:
            others = ", ".join(k.value for k in RdmaKind if k is not RdmaKind.NONE)
            problems.append(
                f"{where}.rdma_resource = {pool.rdma_resource!r} with rdma = none: set rdma to the fabric ({others})"
            )
        try:
            catalog.validate_extended_resource(pool.rdma_resource)
        except ValueError as exc:
            problems.append(f"{where}.rdma_resource = {pool.rdma_resource!r}: {exc}")
    return problems


def pool_inputs(pool: ExistingPool) -> dict[str, Any]:
    """``pool`` as plain JSON-serializable data with camelCase keys (pure function): what
    :class:`ExistingCluster` registers as its ``pools`` input, so a reader of the render's ``resources.json`` (the
    first-deploy twin) sees the nodes an existing cluster offers.

    Keys: ``name``, ``nodeSelector`` (sorted), ``tolerations`` (Kubernetes form), ``resourceName``,
    ``devicesPerNode``, ``vcpus``, ``memoryGiB``, ``maxNodes``, ``machineType`` (the pool name when not given),
    ``accelerator`` (catalog name or None), ``rdma`` (fabric kind, ``none`` without), ``rdmaResource`` (or None),
    ``rdmaDevicesPerNode``.
    """
    return {
        "name": pool.name,
        "nodeSelector": dict(sorted(pool.node_selector.items())),
        "tolerations": [t.to_k8s() for t in pool.tolerations],
        "resourceName": pool.resource_name,
        "devicesPerNode": pool.devices_per_node,
        "vcpus": pool.vcpus,
        "memoryGiB": pool.memory_gib,
        "maxNodes": pool.max_nodes,
        "machineType": pool.machine_type or pool.name,
        "accelerator": pool.accelerator,
        "rdma": pool.rdma.value,
        "rdmaResource": pool.rdma_resource,
        "rdmaDevicesPerNode": pool.rdma_devices_per_node,
    }


def accelerator_pool(pool: ExistingPool) -> AcceleratorPool:
    """``pool`` as an :class:`AcceleratorPool` (validate it first with :func:`existing_pool_problems`).

    A catalog accelerator keeps its facts (HBM, kind, vendor); when the nodes advertise it under another resource name
    (a MIG slice, a renamed device plugin) that name wins. An unknown device becomes a
    :func:`~pulumi_llmd.components.catalog.custom_accelerator` named after the pool.
    """
    if pool.accelerator is not None:
        device = catalog.accelerator(pool.accelerator)
        if device.kind is not catalog.AcceleratorKind.CPU and device.resource_name != pool.resource_name:
            device = dataclasses.replace(device, resource_name=pool.resource_name)
    else:
        device = catalog.custom_accelerator(f"{pool.name}-device", pool.resource_name)
    shape = catalog.custom_shape(
        machine_type=pool.machine_type or pool.name,
        accelerator=device,
        accelerator_count=pool.devices_per_node,
        vcpus=pool.vcpus,
        memory_gib=pool.memory_gib,
        rdma=pool.rdma,
    )
    return AcceleratorPool(
        name=pool.name,
        shape=shape,
        node_selector=dict(pool.node_selector),
        tolerations=tuple(pool.tolerations),
        max_nodes=pool.max_nodes,
        model_server_env=dict(pool.model_server_env),
        rdma=(
            RdmaAttachment(fabric=pool.rdma, nics_per_node=pool.rdma_devices_per_node, resource_name=pool.rdma_resource)
            if pool.rdma_resource is not None and pool.rdma is not RdmaKind.NONE
            else None
        ),
    )


class ExistingClusterArgs(TypedDict, total=False):
    """The arguments of :class:`ExistingCluster` (give them as one object or as keyword arguments)."""

    kubeconfig: pulumi.Input[str] | None
    """A kubeconfig path (``~/`` is expanded by the provider) or the kubeconfig's contents (passed as a secret).
    Default: None (``$KUBECONFIG``, else ``~/.kube/config``: what ``kubectl`` uses)."""
    context: str | None
    """The kubeconfig context to use, e.g. ``"kind-llm-d"``. Default: None (the current context)."""
    pools: Sequence[ExistingPool]
    """The accelerator pools, see :class:`ExistingPool` (names unique). Default: none (a CPU-only cluster, e.g. for
    the simulator)."""


class ExistingCluster(pulumi.ComponentResource):
    """A cluster the library deploys into but does not create (kind, on-prem, CoreWeave, OpenShift).

    Type token ``llmd:cluster:ExistingCluster``. Registers only a ``pulumi:providers:kubernetes`` provider (server-side
    apply) as its child: no cloud resources. Its inputs are ``context`` and ``pools`` (one :func:`pool_inputs` dict
    per pool; the kubeconfig is left out: it carries credentials). Outputs: ``provider``, ``name``, ``pools`` (name ->
    :class:`~pulumi_llmd.components.base.AcceleratorPool`), ``rdma_resources`` (pool name -> RDMA extended resource,
    for pools that declare one) and :meth:`as_cluster`.

    The kubeconfig is never read here: the provider plugin reads it when it connects (``pulumi preview`` / ``up``),
    so the offline render needs no cluster. It is passed to the provider as a secret (a kubeconfig's contents carry
    credentials).

    Arguments: :class:`ExistingClusterArgs` (as an object or keywords); the component's ``name`` is the cluster name
    (the provider is ``<name>-k8s``).

    Raises:
        ArgsError: (a ``ValueError``) before anything registers, naming the parameter, its value and what is
            allowed: an unknown argument; an empty name, kubeconfig or context; pools that are not ExistingPools;
            duplicate pool names; a pool without node_selector, with devices_per_node (or max_nodes, vcpus,
            memory_gib) < 1, a resource name not of the form ``domain/name``, or an unknown catalog accelerator.
    """

    provider: k8s.Provider

    @overload
    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ExistingClusterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ExistingClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ExistingClusterArgs, f"ExistingCluster {name}", args, kwargs)
        kubeconfig = a.get("kubeconfig")
        context = a.get("context")
        pools: Sequence[ExistingPool] = a.get("pools", ())
        problems: list[str] = []
        if not isinstance(name, str) or not name.strip():
            problems.append(f"name = {name!r}: allowed: a non-empty cluster name")
        if isinstance(kubeconfig, str) and not kubeconfig.strip():
            problems.append(
                f"kubeconfig = {kubeconfig!r}: allowed: a kubeconfig path, its contents, or None for $KUBECONFIG / "
                "~/.kube/config"
            )
        if context is not None and not context.strip():
            problems.append(f"context = {context!r}: allowed: a context name of the kubeconfig, or None")
        if isinstance(pools, str | ExistingPool) or not isinstance(pools, Sequence):
            problems.append(format_problem("pools", pools, "must be a list of ExistingPool"))
            pools = ()
        seen: set[str] = set()
        for index, pool in enumerate(pools):
            if not isinstance(pool, ExistingPool):
                problems.append(format_problem(f"pools[{index}]", pool, "must be an ExistingPool"))
                continue
            problems.extend(existing_pool_problems(pool, f"pools[{index}]"))
            if pool.name in seen:
                problems.append(f"pools[{index}].name = {pool.name!r}: duplicate pool name; pool names must be unique")
            seen.add(pool.name)
        if problems:
            raise ArgsError(f"ExistingCluster {name}", problems)
        accelerator_pools = {pool.name: accelerator_pool(pool) for pool in pools}

        # The pools (and context) as the component's inputs: resources.json then shows what the cluster offers.
        props = {"context": context, "pools": [pool_inputs(pool) for pool in pools]}
        super().__init__("llmd:cluster:ExistingCluster", name, props, opts)
        # None: what the pulumi_kubernetes SDK would pick itself ($KUBECONFIG; the plugin falls back to
        # ~/.kube/config), resolved here only so that it can be marked secret.
        source = kubeconfig if kubeconfig is not None else os.environ.get("KUBECONFIG") or None
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret(source) if source is not None else None,
            context=context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name: pulumi.Output[str] = pulumi.Output.from_input(name)
        self.pools: dict[str, AcceleratorPool] = accelerator_pools
        self.rdma_resources: dict[str, str] = {p.name: p.rdma_resource for p in pools if p.rdma_resource is not None}
        self.register_outputs({"name": name, "pools": sorted(accelerator_pools)})

    def as_cluster(self, extra_ready: Sequence[pulumi.Resource] = ()) -> Cluster:
        """This cluster as the cloud-neutral :class:`~pulumi_llmd.components.base.Cluster` serving consumes.

        Args:
            extra_ready: Resources serving must wait for (its ``ready``), e.g. device plugins. Default: none.
        """
        return Cluster(
            name=self.name,
            platform=Platform.EXISTING,
            provider=self.provider,
            pools=dict(self.pools),
            ready=list(extra_ready),
        )
