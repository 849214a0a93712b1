"""Device plugins and GPU telemetry for clusters whose platform does not install them (EKS, existing clusters).

GKE installs the NVIDIA driver, device plugin and DCGM itself. On EKS with the AL2023 NVIDIA AMI (driver included) the
cluster still needs the NVIDIA device plugin to expose ``nvidia.com/gpu``, the AWS EFA device plugin to expose
``vpc.amazonaws.com/efa`` on EFA nodes, and optionally the DCGM exporter for GPU metrics (FACTS, "EKS: device
plugins"). Each is the vendor's Helm chart as a typed ``kubernetes:helm.sh/v3:Release`` (chart, pinned version, chart
repository and values visible in the render), the way :class:`~pulumi_llmd.components.platform.scheduling.Kueue` is
installed:

* :class:`NvidiaDevicePlugin`: ``nvidia-device-plugin`` from https://nvidia.github.io/k8s-device-plugin;
* :class:`EfaDevicePlugin`: ``aws-efa-k8s-device-plugin`` from https://aws.github.io/eks-charts;
* :class:`DcgmExporter`: ``dcgm-exporter`` from https://nvidia.github.io/dcgm-exporter/helm-charts.

Placement uses the same :class:`~pulumi_llmd.components.base.Toleration` objects as the accelerator pools, so a
blueprint can pass ``pool.node_selector`` / ``pool.tolerations`` straight through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.kube import child_options
from pulumi_llmd.components.platform.scheduling import check_namespace, helm_release

#: The taint GPU nodes carry (GKE ``nvidia.com/gpu=present:NoSchedule``, EKS ``nvidia.com/gpu:NoSchedule``): tolerated
#: whatever its value.
GPU_TOLERATION: Final = Toleration("nvidia.com/gpu", None, "NoSchedule")
#: The label EFA-enabled nodes carry (FACTS: EKS EFA node groups label ``vpc.amazonaws.com/efa.present``).
EFA_NODE_SELECTOR: Final[Mapping[str, str]] = {"vpc.amazonaws.com/efa.present": "true"}
#: The label of GPU nodes (NVIDIA GPU Feature Discovery / GPU Operator; the EKS GPU node groups set it too).
GPU_NODE_SELECTOR: Final[Mapping[str, str]] = {"nvidia.com/gpu.present": "true"}

NVIDIA_DEVICE_PLUGIN_NAMESPACE: Final = "nvidia-device-plugin"
EFA_DEVICE_PLUGIN_NAMESPACE: Final = "kube-system"
DCGM_EXPORTER_NAMESPACE: Final = "dcgm-exporter"


def _placement(
    where: str, node_selector: Mapping[str, str] | None, tolerations: Sequence[Toleration]
) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    """Validated ``nodeSelector`` (sorted; None if not given) and ``tolerations`` (Kubernetes form) for chart values.

    Raises ValueError for an empty or non-string node selector key/value or a toleration that is not a Toleration.
    """
    selector: dict[str, str] | None = None
    if node_selector is not None:
        bad = [(k, v) for k, v in node_selector.items() if not isinstance(k, str) or not k or not isinstance(v, str)]
        if bad:
            raise ValueError(f"{where}: node_selector entries must map non-empty label keys to strings, got {bad}")
        selector = dict(sorted(node_selector.items()))
    wrong = [t for t in tolerations if not isinstance(t, Toleration)]
    if wrong:
        raise ValueError(f"{where}: tolerations must be base.Toleration objects, got {wrong!r}")
    return selector, [t.to_k8s() for t in tolerations]


def _selector_affinity(selector: Mapping[str, str]) -> dict[str, Any]:
    """A required node affinity equivalent to ``selector`` (one term, one ``In`` expression per label)."""
    expressions = [{"key": k, "operator": "In", "values": [v]} for k, v in sorted(selector.items())]
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": expressions}]}
        }
    }


def nvidia_device_plugin_values(
    *, node_selector: Mapping[str, str] | None = None, tolerations: Sequence[Toleration] = (GPU_TOLERATION,)
) -> dict[str, Any]:
    """Values of the ``nvidia-device-plugin`` chart (pure function).

    ``tolerations`` replace the chart's list. Without ``node_selector`` the chart's own node affinity places the
    plugin (nodes labelled ``nvidia.com/gpu.present=true`` or NFD's ``feature.node.kubernetes.io/pci-10de.present``);
    with one, the plugin runs exactly there: ``nodeSelector`` is set and the affinity's terms are replaced by the same
    labels (Helm replaces lists), so it no longer needs NFD labels. Raises ValueError for malformed placement.
    The plugin image is pinned by digest through ``image.repository`` / ``image.tag`` (``v0.19.3@sha256:...``, the
    active llm-d release's ``nvidia_device_plugin_image``): the chart renders ``repository:tag``.

    Args:
        node_selector: Labels of the nodes the plugin runs on. Default: None (the chart's GPU-node affinity).
        tolerations: The plugin's tolerations. Default: ``GPU_TOLERATION`` (the ``nvidia.com/gpu`` NoSchedule taint).
    """
    selector, tols = _placement("NvidiaDevicePlugin", node_selector, tolerations)
    pin = versions.active_release().nvidia_device_plugin_image
    values: dict[str, Any] = {"image": {"repository": pin.repository, "tag": pin.helm_tag}, "tolerations": tols}
    if selector is not None:
        values["nodeSelector"] = selector
        values["affinity"] = _selector_affinity(selector)
    return values


def efa_device_plugin_values(
    *,
    node_selector: Mapping[str, str] | None = EFA_NODE_SELECTOR,
    tolerations: Sequence[Toleration] = (GPU_TOLERATION,),
) -> dict[str, Any]:
    """Values of the ``aws-efa-k8s-device-plugin`` chart (pure function): ``nodeSelector`` and ``tolerations``.
    Raises ValueError for malformed placement.

    Args:
        node_selector: Labels of the nodes the plugin runs on; None leaves the chart's instance-type affinity alone.
            Default: ``EFA_NODE_SELECTOR`` (``vpc.amazonaws.com/efa.present: "true"``).
        tolerations: The plugin's tolerations. Default: ``GPU_TOLERATION`` (the GPU taint, as EFA nodes are GPU nodes
            here).
    """
    selector, tols = _placement("EfaDevicePlugin", node_selector, tolerations)
    values: dict[str, Any] = {"tolerations": tols}
    if selector is not None:
        values["nodeSelector"] = selector
    return values


def dcgm_exporter_values(
    *,
    node_selector: Mapping[str, str] | None = GPU_NODE_SELECTOR,
    tolerations: Sequence[Toleration] = (GPU_TOLERATION,),
    service_monitor: bool = False,
) -> dict[str, Any]:
    """Values of the ``dcgm-exporter`` chart (pure function): ``nodeSelector``, ``tolerations`` and
    ``serviceMonitor.enabled``. Raises ValueError for malformed placement.

    Args:
        node_selector: Labels of the nodes the exporter runs on; None runs it on every node the tolerations allow.
            Default: ``GPU_NODE_SELECTOR`` (``nvidia.com/gpu.present: "true"``).
        tolerations: The exporter's tolerations. Default: ``GPU_TOLERATION`` (the GPU taint).
        service_monitor: ``serviceMonitor.enabled`` (the chart turns it on, which needs the Prometheus Operator CRDs).
            Default: False.
    """
    selector, tols = _placement("DcgmExporter", node_selector, tolerations)
    values: dict[str, Any] = {"tolerations": tols, "serviceMonitor": {"enabled": bool(service_monitor)}}
    if selector is not None:
        values["nodeSelector"] = selector
    return values


class NvidiaDevicePluginArgs(TypedDict, total=False):
    """The arguments of :class:`NvidiaDevicePlugin` (give them as this object or as keyword arguments)."""

    node_selector: Mapping[str, str] | None
    """Labels of the GPU nodes (e.g. ``pool.node_selector``). Default: None — the chart's GPU-node
    affinity."""
    tolerations: Sequence[Toleration]
    """Taints to tolerate. Default: ``(GPU_TOLERATION,)`` (``nvidia.com/gpu`` Exists NoSchedule)."""
    namespace: str
    """Where the plugin runs (created; the chart refuses ``default``). Default: ``"nvidia-device-plugin"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet (``nvidia.com/gpu``), chart ``nvidia-device-plugin`` pinned by
    the active llm-d release's ``nvidia_device_plugin_chart`` (:func:`~pulumi_llmd.components.versions.active_release`).

    Type token ``llmd:platform:NvidiaDevicePlugin``. Needed on EKS with the AL2023 NVIDIA AMI (not on GKE, nor with
    Bottlerocket, which bundles it). Release ``<name>`` in its own namespace (created; the chart refuses
    ``default``). Placement: see :func:`nvidia_device_plugin_values`.

    Arguments: :class:`NvidiaDevicePluginArgs`.

    Outputs: ``release``, ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "nvidia-device-plugin",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[NvidiaDevicePluginArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "nvidia-device-plugin",
        args: NvidiaDevicePluginArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(NvidiaDevicePluginArgs, "NvidiaDevicePlugin", args, kwargs)
        node_selector = a.get("node_selector", None)
        tolerations = a.get("tolerations", (GPU_TOLERATION,))
        namespace = a.get("namespace", NVIDIA_DEVICE_PLUGIN_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"NvidiaDevicePlugin {name}", namespace)
        chart_values = nvidia_device_plugin_values(node_selector=node_selector, tolerations=tolerations)
        chart = versions.active_release().nvidia_device_plugin_chart
        super().__init__("llmd:platform:NvidiaDevicePlugin", name, None, opts)
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=chart.name,
            version=chart.version,
            repository=chart.repository,
            namespace=namespace,
            values=chart_values,
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = namespace
        self.register_outputs({"chart": chart.name, "version": chart.version})


class EfaDevicePluginArgs(TypedDict, total=False):
    """The arguments of :class:`EfaDevicePlugin` (give them as this object or as keyword arguments)."""

    node_selector: Mapping[str, str] | None
    """Node labels. Default: ``{"vpc.amazonaws.com/efa.present": "true"}``; None for the chart's
    affinity only."""
    tolerations: Sequence[Toleration]
    """Taints to tolerate. Default: ``(GPU_TOLERATION,)`` (``nvidia.com/gpu`` Exists NoSchedule)."""
    namespace: str
    """Where the plugin runs (any other than ``kube-system`` is created). Default: ``"kube-system"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class EfaDevicePlugin(pulumi.ComponentResource):
    """The AWS EFA device plugin DaemonSet (``vpc.amazonaws.com/efa``), chart ``aws-efa-k8s-device-plugin`` pinned by
    the active llm-d release's ``efa_device_plugin_chart`` (v0.5.x;
    :func:`~pulumi_llmd.components.versions.active_release`).

    Type token ``llmd:platform:EfaDevicePlugin``. Release ``<name>`` in ``kube-system`` (where the EKS user guide
    installs it; not created). The chart also keeps its own affinity to EFA-capable instance types. Placement: see
    :func:`efa_device_plugin_values`.

    Arguments: :class:`EfaDevicePluginArgs`.

    Outputs: ``release``, ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: EfaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "aws-efa-k8s-device-plugin",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[EfaDevicePluginArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "aws-efa-k8s-device-plugin",
        args: EfaDevicePluginArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(EfaDevicePluginArgs, "EfaDevicePlugin", args, kwargs)
        node_selector = a.get("node_selector", EFA_NODE_SELECTOR)
        tolerations = a.get("tolerations", (GPU_TOLERATION,))
        namespace = a.get("namespace", EFA_DEVICE_PLUGIN_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"EfaDevicePlugin {name}", namespace)
        chart_values = efa_device_plugin_values(node_selector=node_selector, tolerations=tolerations)
        chart = versions.active_release().efa_device_plugin_chart
        super().__init__("llmd:platform:EfaDevicePlugin", name, None, opts)
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=chart.name,
            version=chart.version,
            repository=chart.repository,
            namespace=namespace,
            create_namespace=namespace != "kube-system",
            values=chart_values,
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = namespace
        self.register_outputs({"chart": chart.name, "version": chart.version})


class DcgmExporterArgs(TypedDict, total=False):
    """The arguments of :class:`DcgmExporter` (give them as this object or as keyword arguments)."""

    node_selector: Mapping[str, str] | None
    """Node labels. Default: ``{"nvidia.com/gpu.present": "true"}``; None for every node the
    tolerations allow."""
    tolerations: Sequence[Toleration]
    """Taints to tolerate. Default: ``(GPU_TOLERATION,)`` (``nvidia.com/gpu`` Exists NoSchedule)."""
    service_monitor: bool
    """Create the chart's ServiceMonitor (needs the Prometheus Operator's CRDs). Default: False."""
    namespace: str
    """Where the exporter runs (created). Default: ``"dcgm-exporter"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class DcgmExporter(pulumi.ComponentResource):
    """NVIDIA DCGM exporter DaemonSet (GPU metrics on port 9400 for Prometheus), chart ``dcgm-exporter`` pinned by the
    active llm-d release's ``dcgm_exporter_chart`` (:func:`~pulumi_llmd.components.versions.active_release`).

    Type token ``llmd:platform:DcgmExporter``. Release ``<name>`` in its own namespace (created). The chart's
    ServiceMonitor stays off unless ``service_monitor=True`` (it needs the Prometheus Operator's CRDs). Placement: see
    :func:`dcgm_exporter_values`.

    Arguments: :class:`DcgmExporterArgs`.

    Outputs: ``release``, ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: DcgmExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "dcgm-exporter",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[DcgmExporterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "dcgm-exporter",
        args: DcgmExporterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(DcgmExporterArgs, "DcgmExporter", args, kwargs)
        node_selector = a.get("node_selector", GPU_NODE_SELECTOR)
        tolerations = a.get("tolerations", (GPU_TOLERATION,))
        service_monitor = a.get("service_monitor", False)
        namespace = a.get("namespace", DCGM_EXPORTER_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"DcgmExporter {name}", namespace)
        chart_values = dcgm_exporter_values(
            node_selector=node_selector, tolerations=tolerations, service_monitor=service_monitor
        )
        chart = versions.active_release().dcgm_exporter_chart
        super().__init__("llmd:platform:DcgmExporter", name, None, opts)
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=chart.name,
            version=chart.version,
            repository=chart.repository,
            namespace=namespace,
            values=chart_values,
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = namespace
        self.register_outputs(
            {
                "chart": chart.name,
                "version": chart.version,
                "serviceMonitor": bool(service_monitor),
            }
        )


#: Namespace of the AMD GPU Operator (ROCm/gpu-operator helm-charts-k8s/README.md: ``--namespace kube-amd-gpu``).
AMD_GPU_OPERATOR_NAMESPACE: Final = "kube-amd-gpu"
#: The taint an AMD GPU node may carry (tolerated whatever its value).
AMD_GPU_TOLERATION: Final = Toleration("amd.com/gpu", None, "NoSchedule")
#: Port of AMD's device-metrics exporter (chart value ``deviceConfig.spec.metricsExporter.port``, default 5000).
AMD_METRICS_EXPORTER_PORT: Final = 5000


def amd_gpu_operator_values(
    *,
    tolerations: Sequence[Toleration] = (AMD_GPU_TOLERATION,),
    node_selector: Mapping[str, str] | None = None,
    service_monitor: bool = False,
) -> dict[str, Any]:
    """Values of the AMD GPU Operator chart ``gpu-operator-charts`` (pure function).

    The chart's default ``DeviceConfig`` (``crds.defaultCR.install: true``) turns on the ROCm device plugin
    (``amd.com/gpu``) with its node labeller and AMD's device-metrics exporter on port
    :data:`AMD_METRICS_EXPORTER_PORT` (ClusterIP Service), image pinned by the active release's
    ``amd_metrics_exporter`` instead of the chart's floating default; the amdgpu driver stays the node's inbox driver
    (``driver.enable: false``, the chart default). Keys: ROCm/gpu-operator ``helm-charts-k8s/values.yaml`` and
    ``templates/default-deviceconfig.yaml``.

    Args:
        tolerations: Taints the device plugin, node labeller and exporter tolerate. Default: ``(AMD_GPU_TOLERATION,)``.
        node_selector: Labels of the AMD GPU nodes (``DeviceConfig.spec.selector``). Default: None (the chart's
            ``feature.node.kubernetes.io/amd-gpu: "true"``, set by the NFD rule the chart installs).
        service_monitor: Create the exporter's ServiceMonitor (needs the Prometheus Operator's CRDs). Default: False.

    Raises:
        ValueError: a malformed node selector or toleration.
    """
    selector, listed = _placement("AmdGpuOperator", node_selector, tolerations)
    tolerate = [t for i, t in enumerate(listed) if t not in listed[:i]]  # once each
    spec: dict[str, Any] = {
        "devicePlugin": {"devicePluginTolerations": tolerate, "nodeLabellerTolerations": tolerate},
        "metricsExporter": {
            "enable": True,
            "serviceType": "ClusterIP",
            "port": AMD_METRICS_EXPORTER_PORT,
            "image": versions.active_release().amd_metrics_exporter.ref,
            "tolerations": tolerate,
            "prometheus": {"serviceMonitor": {"enable": bool(service_monitor)}},
        },
    }
    if selector is not None:
        spec["selector"] = selector
    return {"crds": {"defaultCR": {"install": True}}, "deviceConfig": {"spec": spec}}


class AmdGpuOperatorArgs(TypedDict, total=False):
    """The arguments of :class:`AmdGpuOperator` (give them as this object or as keyword arguments)."""

    node_selector: Mapping[str, str] | None
    """Labels of the AMD GPU nodes. Default: None (the chart's NFD label ``feature.node.kubernetes.io/amd-gpu``)."""
    tolerations: Sequence[Toleration]
    """Taints to tolerate. Default: ``(AMD_GPU_TOLERATION,)`` (``amd.com/gpu`` Exists NoSchedule)."""
    service_monitor: bool
    """Create the metrics exporter's ServiceMonitor (needs the Prometheus Operator's CRDs). Default: False."""
    namespace: str
    """Where the operator runs (created). Default: ``"kube-amd-gpu"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (:func:`~pulumi_llmd.components.kube.merge_values`). Default: None."""


class AmdGpuOperator(pulumi.ComponentResource):
    """The AMD GPU Operator for AMD Instinct nodes (MI300X, MI325X): the ROCm device plugin that advertises
    ``amd.com/gpu``, the node labeller and AMD's device-metrics exporter (GPU utilisation, memory, power, temperature
    for Prometheus on port 5000), through the chart's default ``DeviceConfig`` (:func:`amd_gpu_operator_values`). Chart
    ``gpu-operator-charts`` from https://rocm.github.io/gpu-operator pinned by the active llm-d release's
    ``amd_gpu_operator_chart`` (v1.5.1). The chart's README names cert-manager as a prerequisite (its webhooks).

    Type token ``llmd:platform:AmdGpuOperator``. Arguments: :class:`AmdGpuOperatorArgs`. Outputs: ``release``,
    ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: AmdGpuOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "amd-gpu-operator",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[AmdGpuOperatorArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "amd-gpu-operator",
        args: AmdGpuOperatorArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(AmdGpuOperatorArgs, "AmdGpuOperator", args, kwargs)
        namespace = a.get("namespace", AMD_GPU_OPERATOR_NAMESPACE)
        service_monitor = a.get("service_monitor", False)
        check_namespace(f"AmdGpuOperator {name}", namespace)
        chart_values = amd_gpu_operator_values(
            tolerations=a.get("tolerations", (AMD_GPU_TOLERATION,)),
            node_selector=a.get("node_selector"),
            service_monitor=service_monitor,
        )
        chart = versions.active_release().amd_gpu_operator_chart
        super().__init__("llmd:platform:AmdGpuOperator", name, None, opts)
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=chart.name,
            version=chart.version,
            repository=chart.repository,
            namespace=namespace,
            values=chart_values,
            overrides=a.get("values"),
            opts=child_options(self, opts),
        )
        self.namespace = namespace
        self.register_outputs({"chart": chart.name, "version": chart.version, "serviceMonitor": bool(service_monitor)})
