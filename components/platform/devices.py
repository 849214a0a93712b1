"""Device plugins and GPU telemetry for clusters whose platform does not install them (EKS, existing clusters).

GKE installs the NVIDIA driver, device plugin and DCGM itself. On EKS with the AL2023 NVIDIA AMI (driver included) the
cluster still needs the NVIDIA device plugin to expose ``nvidia.com/gpu``, the AWS EFA device plugin to expose
``vpc.amazonaws.com/efa`` on EFA nodes, and optionally the DCGM exporter for GPU metrics (FACTS, "EKS: device
plugins"). Each is the vendor's Helm chart as a typed ``kubernetes:helm.sh/v3:Release`` (chart, pinned version, chart
repository and values visible in the render), the way :class:`~pulumi_llmd.components.platform.scheduling.Kueue` is
installed:

* :class:`NvidiaDevicePlugin`: ``nvidia-device-plugin`` from https://nvidia.github.io/k8s-device-plugin;
* :class:`EfaDevicePlugin`: ``aws-efa-k8s-device-plugin`` from https://aws.github.io/eks-charts;
* :class:`DcgmExporter`: ``dcgm-exporter`` from https://nvidia.github.io/dcgm-exporter/helm-charts;
* :class:`AmdGpuOperator`: the AMD GPU Operator (ROCm device plugin, device-metrics exporter);
* :class:`IntelGpuDevicePlugin`: Intel's device plugins operator + GPU plugin from https://intel.github.io/helm-charts,
  and :class:`IntelXpuManager`: Intel XPU Manager's GPU metrics exporter with a ServiceMonitor.

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
from pulumi_llmd.components.kube import child_options, k8s_object
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


# --- Intel Data Center GPUs (XPU) ----------------------------------------------------------------------------------

#: Where Intel's install guide puts the operator and the plugins it manages (intel/intel-device-plugins-for-kubernetes
#: INSTALL.md: "The default operator namespace is inteldeviceplugins-system"; the operator deploys the plugin
#: DaemonSets into its own namespace).
INTEL_DEVICE_PLUGINS_NAMESPACE: Final = "inteldeviceplugins-system"
#: The label NFD's Intel GPU rule sets and the GPU plugin chart selects by default (intel/helm-charts
#: charts/gpu-device-plugin/values.yaml ``nodeSelector``; templates/gpu.yaml NodeFeatureRule ``intel-dp-gpu-device``).
INTEL_GPU_NODE_SELECTOR: Final[Mapping[str, str]] = {"intel.feature.node.kubernetes.io/gpu": "true"}
#: Namespace of the Intel XPU Manager exporter: the device plugins' (Intel's monitoring guide applies it to the current
#: namespace; next to the GPU plugin whose monitoring resource it requests).
INTEL_XPUMANAGER_NAMESPACE: Final = INTEL_DEVICE_PLUGINS_NAMESPACE
#: XPU Manager's Prometheus endpoint (intel/xpumanager daemonset-intel-xpum.yaml: gunicorn ``--bind 0.0.0.0:29999``,
#: container port ``metrics``; service-intel-xpum.yaml port 29999).
INTEL_XPUMANAGER_PORT: Final = 29999
#: The app label of Intel's XPU Manager manifests (DaemonSet, Service and ServiceMonitor select ``app``).
INTEL_XPUMANAGER_APP: Final = "intel-xpumanager"
#: The Intel GPU plugin's device resources (cmd/gpu_plugin/README.md: ``gpu.intel.com/i915``, ``gpu.intel.com/xe``).
INTEL_GPU_RESOURCES: Final = ("gpu.intel.com/i915", "gpu.intel.com/xe")


def intel_monitoring_resource(resource_name: str) -> str:
    """The GPU plugin's monitoring resource for a device resource: ``gpu.intel.com/i915`` ->
    ``gpu.intel.com/i915_monitoring`` (one per node, all GPUs of the node; advertised with ``enableMonitoring``,
    cmd/gpu_plugin/monitoring.md). Raises ValueError for a resource that is not one of :data:`INTEL_GPU_RESOURCES`."""
    if resource_name not in INTEL_GPU_RESOURCES:
        raise ValueError(
            f"resource_name = {resource_name!r}: not an Intel GPU plugin resource; "
            f"allowed: {', '.join(INTEL_GPU_RESOURCES)}"
        )
    return f"{resource_name}_monitoring"


def intel_gpu_plugin_values(
    *,
    node_selector: Mapping[str, str] | None = INTEL_GPU_NODE_SELECTOR,
    tolerations: Sequence[Toleration] = (),
    node_feature_rule: bool = False,
) -> dict[str, Any]:
    """Values of Intel's ``intel-device-plugins-gpu`` chart (pure function): the ``GpuDevicePlugin`` custom resource
    (intel/helm-charts charts/gpu-device-plugin values.yaml and templates/gpu.yaml).

    The plugin image is the active release's ``intel_gpu_plugin_image`` (``image.hub`` / ``image.tag``; the chart
    renders ``<hub>/intel-gpu-plugin:<tag>``); one container per GPU (``sharedDevNum: 1``, the README's mode for
    workloads using the whole GPU); ``enableMonitoring: true`` advertises ``gpu.intel.com/i915_monitoring`` for the
    XPU Manager exporter (:class:`IntelXpuManager`). Raises ValueError for malformed placement.

    Args:
        node_selector: Labels of the Intel GPU nodes (``GpuDevicePlugin.spec.nodeSelector``); None keeps the chart's.
            Default: :data:`INTEL_GPU_NODE_SELECTOR` (``intel.feature.node.kubernetes.io/gpu: "true"``).
        tolerations: Taints the plugin tolerates. Default: none.
        node_feature_rule: Install the chart's NFD ``NodeFeatureRule`` objects that label Intel GPU nodes; they need
            Node Feature Discovery's CRDs (NFD is an optional prerequisite of the operator chart, and the library does
            not install it). Default: False (the nodes carry the pool's labels already).
    """
    selector, tols = _placement("IntelGpuDevicePlugin", node_selector, tolerations)
    pin = versions.active_release().intel_gpu_plugin_image
    hub, _, image = pin.repository.rpartition("/")
    if image != "intel-gpu-plugin" or not hub:
        raise ValueError(f"intel_gpu_plugin_image {pin.repository!r}: the chart renders <hub>/intel-gpu-plugin")
    values: dict[str, Any] = {
        "image": {"hub": hub, "tag": pin.tag},
        "sharedDevNum": 1,
        "enableMonitoring": True,
        "nodeFeatureRule": bool(node_feature_rule),
        "tolerations": tols,
    }
    if selector is not None:
        values["nodeSelector"] = selector
    return values


class IntelGpuDevicePluginArgs(TypedDict, total=False):
    """The arguments of :class:`IntelGpuDevicePlugin` (give them as this object or as keyword arguments)."""

    node_selector: Mapping[str, str] | None
    """Labels of the Intel GPU nodes (e.g. ``pool.node_selector``). Default: :data:`INTEL_GPU_NODE_SELECTOR`."""
    tolerations: Sequence[Toleration]
    """Taints the GPU plugin tolerates. Default: none."""
    node_feature_rule: bool
    """Install the chart's NFD NodeFeatureRules (needs Node Feature Discovery). Default: False."""
    namespace: str
    """Where the operator and the plugin run (created). Default: ``"inteldeviceplugins-system"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the GPU plugin chart's (:func:`~pulumi_llmd.components.kube.merge_values`).
    Default: None."""
    operator_values: Mapping[str, Any] | None
    """Helm values of the operator chart. Default: None (the chart's)."""


class IntelGpuDevicePlugin(pulumi.ComponentResource):
    """Intel's GPU device plugin for Intel Data Center GPUs (``gpu.intel.com/i915``, or ``gpu.intel.com/xe`` with the
    Xe kernel driver), installed as Intel documents it with Helm (intel/intel-device-plugins-for-kubernetes INSTALL.md
    "Install with HELM charts"; cmd/gpu_plugin/README.md "Install with Operator"): the Intel Device Plugins Operator
    (chart ``intel-device-plugins-operator``) and a ``GpuDevicePlugin`` custom resource (chart
    ``intel-device-plugins-gpu``, :func:`intel_gpu_plugin_values`) that the operator turns into the plugin DaemonSet,
    both from https://intel.github.io/helm-charts and pinned by the active llm-d release
    (``intel_device_plugins_operator_chart`` / ``intel_gpu_plugin_chart``, 0.37.0).

    The operator's admission webhooks take their certificates from cert-manager (the operator chart README's
    prerequisite): pass cert-manager's readiness in ``opts.depends_on``. The GPU plugin chart is installed after the
    operator (its CR needs the operator's CRD). llm-d's XPU guides claim GPUs through DRA (device class
    ``gpu.intel.com``, Intel's resource driver); this component keeps the device-plugin resources, which every
    Kubernetes version the library supports schedules.

    Type token ``llmd:platform:IntelGpuDevicePlugin``. Arguments: :class:`IntelGpuDevicePluginArgs`. Outputs:
    ``operator_release``, ``release`` (the GPU plugin chart: what pods requesting ``gpu.intel.com/*`` wait for),
    ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(
        self, name: str, args: IntelGpuDevicePluginArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "intel-gpu-plugin",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[IntelGpuDevicePluginArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "intel-gpu-plugin",
        args: IntelGpuDevicePluginArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(IntelGpuDevicePluginArgs, "IntelGpuDevicePlugin", args, kwargs)
        namespace = a.get("namespace", INTEL_DEVICE_PLUGINS_NAMESPACE)
        check_namespace(f"IntelGpuDevicePlugin {name}", namespace)
        chart_values = intel_gpu_plugin_values(
            node_selector=a.get("node_selector", INTEL_GPU_NODE_SELECTOR),
            tolerations=a.get("tolerations", ()),
            node_feature_rule=a.get("node_feature_rule", False),
        )
        release = versions.active_release()
        operator_chart, gpu_chart = release.intel_device_plugins_operator_chart, release.intel_gpu_plugin_chart
        super().__init__("llmd:platform:IntelGpuDevicePlugin", name, None, opts)
        self.operator_release: k8s.helm.v3.Release = helm_release(
            f"{name}-operator",
            chart=operator_chart.name,
            version=operator_chart.version,
            repository=operator_chart.repository,
            namespace=namespace,
            values={},
            overrides=a.get("operator_values"),
            opts=child_options(self, opts),
        )
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=gpu_chart.name,
            version=gpu_chart.version,
            repository=gpu_chart.repository,
            namespace=namespace,
            create_namespace=False,
            values=chart_values,
            overrides=a.get("values"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.operator_release]),
        )
        self.namespace = namespace
        self.register_outputs(
            {
                "operatorChart": operator_chart.name,
                "chart": gpu_chart.name,
                "version": gpu_chart.version,
            }
        )


def intel_xpumanager_manifests(
    *,
    name: str = INTEL_XPUMANAGER_APP,
    namespace: str = INTEL_XPUMANAGER_NAMESPACE,
    monitoring_resource: str = "gpu.intel.com/i915_monitoring",
    node_selector: Mapping[str, str] | None = INTEL_GPU_NODE_SELECTOR,
    tolerations: Sequence[Toleration] = (),
) -> list[dict[str, Any]]:
    """The Intel XPU Manager exporter's objects (pure function): its DaemonSet, Service and ServiceMonitor, as Intel
    publishes them (intel/xpumanager deployment/kubernetes/daemonset/base/daemonset-intel-xpum.yaml,
    deployment/kubernetes/monitoring/service-intel-xpum.yaml and servicemonitor-intel-xpum.yaml; the Intel GPU
    plugin's monitoring guide, intel/intel-device-plugins-for-kubernetes cmd/gpu_plugin/monitoring.md).

    Two containers share the daemon's socket: ``xpumd`` (the daemon, ``XPUM_EXPORTER_ONLY``) and the Python exporter
    serving ``xpum_*`` metrics on :data:`INTEL_XPUMANAGER_PORT` (``/metrics``, scraped every 5 s). The daemon
    requests the plugin's ``*_monitoring`` resource (all GPUs of the node, read-only use) and runs as root with
    ``SYS_ADMIN`` (Intel: "required for engine utilization"), reading the kubelet's pod-resources socket to attribute
    GPUs to pods. The image is the active release's ``intel_xpumanager`` (Intel's manifest names the floating
    ``intel/xpumanager``). Three deliberate differences from Intel's manifest, for the library's pod-security rules
    (llm-d-practices ``no-host-namespaces`` / ``no-device-hostpath``): no ``hostNetwork`` (Intel sets it only "for
    getting xelink metrics", the GPU-to-GPU fabric), no ``/dev/dri`` host path in the exporter container (it only
    labels series with device file names; the daemon gets the devices from the plugin's resource), and placement by
    the GPU nodes' labels instead of ``kubernetes.io/arch: amd64`` (Intel data center GPU hosts are x86-64). The pull
    secret of Intel's manifest is dropped (the image is public).

    Args:
        name: The objects' name and ``app`` label. Default: :data:`INTEL_XPUMANAGER_APP` (Intel's
            ``intel-xpumanager``).
        namespace: The objects' namespace. Default: :data:`INTEL_XPUMANAGER_NAMESPACE`
            (``inteldeviceplugins-system``, the device plugins' namespace).
        monitoring_resource: The plugin's monitoring resource (:func:`intel_monitoring_resource`). Default:
            ``gpu.intel.com/i915_monitoring``.
        node_selector: Labels of the Intel GPU nodes. Default: :data:`INTEL_GPU_NODE_SELECTOR`; None: every node.
        tolerations: Taints the exporter tolerates. Default: none.

    Raises:
        ValueError: malformed node selector or tolerations.
    """
    selector, tols = _placement("IntelXpuManager", node_selector, tolerations)
    image = versions.active_release().intel_xpumanager.ref
    labels = {"app": name}
    meta = {"name": name, "namespace": namespace, "labels": labels}
    node_name = "spec.nodeName"
    exporter_only = [{"name": "XPUM_EXPORTER_NO_AUTH", "value": "1"}, {"name": "XPUM_EXPORTER_ONLY", "value": "1"}]
    pod_spec: dict[str, Any] = {
        "containers": [
            {
                "name": "xpumd",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/usr/bin/xpumd"],
                "env": [
                    {"name": "SPDLOG_LEVEL", "value": "info"},
                    {"name": "XPUM_REST_NO_TLS", "value": "1"},
                    *exporter_only,
                ],
                "resources": {"limits": {monitoring_resource: 1}},
                "securityContext": {
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "runAsUser": 0,
                    "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
                },
                "volumeMounts": [
                    {"name": "kubeletpodres", "mountPath": "/var/lib/kubelet/pod-resources"},
                    {"name": "sockdir", "mountPath": "/tmp"},
                ],
            },
            {
                "name": "python-exporter",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "workingDir": "/usr/lib/xpum/rest",
                "command": [
                    "gunicorn",
                    "--bind",
                    f"0.0.0.0:{INTEL_XPUMANAGER_PORT}",
                    "--worker-connections",
                    "64",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "xpum_rest_main:main()",
                ],
                "env": [
                    {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": node_name}}},
                    *exporter_only,
                ],
                "ports": [{"containerPort": INTEL_XPUMANAGER_PORT, "name": "metrics", "protocol": "TCP"}],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsUser": 0,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [{"name": "sockdir", "mountPath": "/tmp"}],
                "startupProbe": {
                    "httpGet": {"path": "/metrics", "port": "metrics"},
                    "failureThreshold": 10,
                    "periodSeconds": 10,
                },
                "livenessProbe": {
                    "httpGet": {"path": "/healtz", "port": "metrics"},  # sic: Intel's manifest
                    "initialDelaySeconds": 60,
                    "periodSeconds": 10,
                },
            },
        ],
        "restartPolicy": "Always",
        "volumes": [
            {"name": "kubeletpodres", "hostPath": {"path": "/var/lib/kubelet/pod-resources", "type": ""}},
            {"name": "sockdir", "emptyDir": {"medium": "Memory"}},
        ],
    }
    if selector:
        pod_spec["nodeSelector"] = selector
    if tols:
        pod_spec["tolerations"] = tols
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "ports": [{"name": "metrics", "port": INTEL_XPUMANAGER_PORT, "protocol": "TCP"}],
                "selector": labels,
                "sessionAffinity": "None",
            },
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": labels},
                "namespaceSelector": {"matchNames": [namespace]},
                "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "5s"}],
            },
        },
    ]


class IntelXpuManagerArgs(TypedDict, total=False):
    """The arguments of :class:`IntelXpuManager` (give them as this object or as keyword arguments)."""

    monitoring_resource: str
    """The GPU plugin's monitoring resource the daemon requests. Default: ``"gpu.intel.com/i915_monitoring"``."""
    node_selector: Mapping[str, str] | None
    """Labels of the Intel GPU nodes. Default: :data:`INTEL_GPU_NODE_SELECTOR`."""
    tolerations: Sequence[Toleration]
    """Taints to tolerate. Default: none."""
    namespace: str
    """Where the exporter runs (must exist: pass what creates it in ``opts.depends_on``). Default:
    ``"inteldeviceplugins-system"`` (created by :class:`IntelGpuDevicePlugin`'s operator release)."""
    service_monitor_after: Sequence[pulumi.Resource]
    """What the ServiceMonitor waits for: the release that installs the Prometheus Operator's CRDs. Default: none."""


class IntelXpuManager(pulumi.ComponentResource):
    """Intel XPU Manager as a GPU metrics exporter for Intel Data Center GPUs (utilisation, memory, power,
    temperature, frequency as ``xpum_*`` Prometheus metrics on port 29999), the monitoring path the Intel GPU plugin
    documents (cmd/gpu_plugin/monitoring.md): a DaemonSet on the plugin's ``*_monitoring`` resource, a Service and a
    ServiceMonitor named ``name`` (:func:`intel_xpumanager_manifests`) in the device plugins' namespace. Image: the
    active llm-d
    release's ``intel_xpumanager`` (``intel/xpumanager:v1.2.27``).

    Type token ``llmd:platform:IntelXpuManager``. Arguments: :class:`IntelXpuManagerArgs`. Outputs: ``daemon_set``,
    ``service_monitor``, ``namespace``.

    Raises:
        ValueError: malformed node selector or tolerations, or an invalid namespace (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: IntelXpuManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "intel-xpumanager",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[IntelXpuManagerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "intel-xpumanager",
        args: IntelXpuManagerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(IntelXpuManagerArgs, "IntelXpuManager", args, kwargs)
        namespace = a.get("namespace", INTEL_XPUMANAGER_NAMESPACE)
        check_namespace(f"IntelXpuManager {name}", namespace)
        daemon_set, service, monitor = intel_xpumanager_manifests(
            name=name,
            namespace=namespace,
            monitoring_resource=a.get("monitoring_resource", "gpu.intel.com/i915_monitoring"),
            node_selector=a.get("node_selector", INTEL_GPU_NODE_SELECTOR),
            tolerations=a.get("tolerations", ()),
        )
        super().__init__("llmd:platform:IntelXpuManager", name, None, opts)
        child = child_options(self, opts)
        self.daemon_set = k8s_object(name, daemon_set, child)
        k8s_object(f"{name}-metrics", service, child)
        after = list(a.get("service_monitor_after", ()))
        self.service_monitor = k8s_object(
            f"{name}-monitor", monitor, pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=after))
        )
        self.namespace = namespace
        self.register_outputs({"image": versions.active_release().intel_xpumanager.ref, "namespace": namespace})
