"""The inference gateway implementation for clusters without a managed one (EKS, kind, other existing clusters).

GKE brings its own Gateway controller (the ``gke-l7-*`` classes); elsewhere llm-d's guides install a Gateway API
implementation that supports the Inference Extension (InferencePool backends, the endpoint picker over ext_proc):

* ``istio`` (default): Istio (the llm-d release's: 1.29.2 for v0.9.0, 1.29.6 for v0.10.0) from its Helm charts
  ``base`` and ``istiod``
  (https://istio-release.storage.googleapis.com/charts) with the Inference Extension switched on in istiod
  (``pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true``, llm-d docs/infrastructure/gateway/istio and
  ``install-gateway-control-plane.sh``; the Istio task "Kubernetes Gateway API Inference Extension" also sets
  ``SUPPORT_GATEWAY_API_INFERENCE_EXTENSION=true``, the switch Istio's own code checks, so both are set). istiod
  creates the ``istio`` GatewayClass and deploys an Envoy proxy per Gateway.
* ``agentgateway``: agentgateway v1.1.0 from its OCI charts ``agentgateway-crds`` and ``agentgateway``
  (cr.agentgateway.dev) with ``inferenceExtension.enabled=true`` (llm-d docs/resources/gateway/agentgateway); it
  creates the ``agentgateway`` GatewayClass.

Both need the Gateway API and InferencePool CRDs first (:class:`~pulumi_llmd.components.platform.crds.GatewayApiCrds`,
pass it in ``opts.depends_on``). The Gateway object itself is :class:`InferenceGateway` with
``class_name=gateway_class_for(implementation)``; llm-d's istio recipe also labels it
``istio.io/enable-inference-extproc: "true"`` (:func:`gateway_labels_for`).

Left out of llm-d's istio recipe (guides/recipes/gateway/istio): the ``llm-d-inference-gateway`` ConfigMap the
Gateway references through ``spec.infrastructure.parametersRef`` (proxy requests 2 CPU/4Gi, limits 8 CPU/16Gi, warn
log levels, a ClusterIP Service) - it tunes the proxy Deployment but is not needed for routing, and the Gateway's
owner would have to reference it - and the access-log ``Telemetry`` (marked DEBUG ONLY in the recipe).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.kube import child_options
from pulumi_llmd.components.platform.scheduling import check_namespace, helm_release

#: The self-installed gateway implementations the library supports; the first is the default.
GATEWAY_IMPLEMENTATIONS: Final = ("istio", "agentgateway")
DEFAULT_GATEWAY_IMPLEMENTATION: Final = GATEWAY_IMPLEMENTATIONS[0]
#: Implementation -> the GatewayClass its controller creates (llm-d guides/recipes/gateway/<implementation>).
_GATEWAY_CLASSES: Final = {"istio": "istio", "agentgateway": "agentgateway"}
#: Implementation -> labels llm-d's recipe puts on the Gateway (istio: turn on the inference ext_proc filter).
_GATEWAY_LABELS: Final = {"istio": {"istio.io/enable-inference-extproc": "true"}, "agentgateway": {}}

ISTIO_NAMESPACE: Final = "istio-system"
AGENTGATEWAY_NAMESPACE: Final = "agentgateway-system"
#: istiod environment that enables InferencePool backends (strings: the chart renders them as env values).
ISTIO_INFERENCE_ENV: Final = {
    "ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true",
    "SUPPORT_GATEWAY_API_INFERENCE_EXTENSION": "true",
}


def _check_implementation(implementation: str) -> str:
    if implementation not in GATEWAY_IMPLEMENTATIONS:
        raise ValueError(
            f"gateway implementation {implementation!r} is not supported: allowed {', '.join(GATEWAY_IMPLEMENTATIONS)}"
        )
    return implementation


def gateway_class_for(implementation: str) -> str:
    """The GatewayClass name a Gateway uses with ``implementation`` (``istio`` -> ``istio``, ``agentgateway`` ->
    ``agentgateway``).

    Raises:
        ValueError: an implementation not in :data:`GATEWAY_IMPLEMENTATIONS` (the message names the allowed ones).
    """
    return _GATEWAY_CLASSES[_check_implementation(implementation)]


def gateway_labels_for(implementation: str) -> dict[str, str]:
    """Labels llm-d's gateway recipe sets on the Gateway for ``implementation`` (a new dict; empty if none).

    Istio: ``{"istio.io/enable-inference-extproc": "true"}`` (guides/recipes/gateway/istio/gateway.yaml).

    Raises:
        ValueError: an implementation not in :data:`GATEWAY_IMPLEMENTATIONS`.
    """
    return dict(_GATEWAY_LABELS[_check_implementation(implementation)])


#: Seccomp profile of the Envoy proxy pods istiod deploys for each Gateway (in the Gateway's namespace). Istio's
#: gateway template (istio/istio manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml) sets a pod
#: ``seccompProfile`` only from the value ``gateways.seccompProfile``; its container already runs as 1337 non-root,
#: without privilege escalation and with every capability dropped, so with this the proxy pod meets the Pod Security
#: ``restricted`` profile and the stack namespace can enforce it.
ISTIO_GATEWAY_SECCOMP: Final = {"type": "RuntimeDefault"}


def istiod_values() -> dict[str, object]:
    """Helm values of the ``istiod`` chart: the chart's defaults plus the Inference Extension switches and the
    gateway proxies' RuntimeDefault seccomp profile (:data:`ISTIO_GATEWAY_SECCOMP`) (pure)."""
    return {"pilot": {"env": dict(ISTIO_INFERENCE_ENV)}, "gateways": {"seccompProfile": dict(ISTIO_GATEWAY_SECCOMP)}}


#: Implementation -> the strictest Pod Security level its per-Gateway proxy pods meet (they run in the Gateway's
#: namespace). agentgateway's proxy template was not verified against ``restricted``: ``baseline``.
GATEWAY_POD_SECURITY: Final = {"istio": "restricted", "agentgateway": "baseline"}


class IstioGatewayArgs(TypedDict, total=False):
    """The arguments of :class:`IstioGateway` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where istiod runs (created). Default: ``"istio-system"``."""
    values: Mapping[str, Any] | None
    """Helm values of the ``istiod`` chart, merged over the library's (mappings merge key by key, lists and
    scalars are replaced, ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`).
    Default: None (none)."""


class IstioGateway(pulumi.ComponentResource):
    """Istio as the inference gateway implementation: Helm releases ``base`` then ``istiod``, pinned by the active
    llm-d release's ``istio_base_chart`` / ``istiod_chart`` (:func:`~pulumi_llmd.components.versions.active_release`:
    1.29.2 for llm-d v0.9.0, 1.29.6 for v0.10.0) from ``versions.ISTIO_CHART_REPO``.

    Type token ``llmd:platform:IstioGateway``. Releases are named ``<name>-base`` and ``<name>d`` (``istio-base`` and
    ``istiod`` with the default name, as llm-d's helmfile names them), in ``namespace`` (created). ``istiod`` gets
    :func:`istiod_values` and waits for ``base`` (Istio's CRDs and validation webhook). Pass the
    :class:`~pulumi_llmd.components.platform.crds.GatewayApiCrds` component in ``opts.depends_on``.

    Arguments: :class:`IstioGatewayArgs`.

    Outputs: ``gateway_class`` (``istio``), ``namespace``, ``releases`` (base, istiod), ``ready`` (what Gateways and
    routes should depend on: the istiod release).

    Raises:
        ValueError: an invalid namespace name (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: IstioGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "istio",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[IstioGatewayArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "istio",
        args: IstioGatewayArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(IstioGatewayArgs, "IstioGateway", args, kwargs)
        namespace = a.get("namespace", ISTIO_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"IstioGateway {name}", namespace)
        release = versions.active_release()
        base_chart, istiod_chart = release.istio_base_chart, release.istiod_chart
        super().__init__("llmd:platform:IstioGateway", name, None, opts)
        child = child_options(self, opts)
        base = helm_release(
            f"{name}-base",
            chart=base_chart.name,
            version=base_chart.version,
            repository=base_chart.repository,
            namespace=namespace,
            values={},
            opts=child,
        )
        istiod = helm_release(
            f"{name}d",
            chart=istiod_chart.name,
            version=istiod_chart.version,
            repository=istiod_chart.repository,
            namespace=namespace,
            values=istiod_values(),
            overrides=values,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[base])),
        )
        self.gateway_class = gateway_class_for("istio")
        self.namespace = namespace
        self.releases: list[k8s.helm.v3.Release] = [base, istiod]
        self.ready: list[pulumi.Resource] = [istiod]
        self.register_outputs(
            {
                "gatewayClass": self.gateway_class,
                "namespace": namespace,
                "chartRepository": istiod_chart.repository,
                "version": istiod_chart.version,
            }
        )


class AgentGatewayArgs(TypedDict, total=False):
    """The arguments of :class:`AgentGateway` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where the control plane runs (created). Default: ``"agentgateway-system"``."""
    values: Mapping[str, Any] | None
    """Helm values of the ``agentgateway`` (controller) chart, merged over the library's (mappings merge
    key by key, lists and scalars are replaced, ``None`` deletes a key:
    :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class AgentGateway(pulumi.ComponentResource):
    """agentgateway as the inference gateway implementation: its CRD chart, then its control plane with the
    Inference Extension on, both pinned by the active llm-d release (:func:`~pulumi_llmd.components.versions.
    active_release`: v1.1.0, what llm-d's recipe installs).

    Type token ``llmd:platform:AgentGateway``. Releases ``<name>-crds`` (the release's ``agentgateway_crds_chart``)
    and ``<name>`` (``agentgateway_chart``, values ``inferenceExtension.enabled: true``) in ``namespace``
    (created); the controller waits for its CRDs. Pass the
    :class:`~pulumi_llmd.components.platform.crds.GatewayApiCrds` component in ``opts.depends_on``.

    Arguments: :class:`AgentGatewayArgs`.

    Outputs: ``gateway_class`` (``agentgateway``), ``namespace``, ``releases`` (crds, controller), ``ready`` (the
    controller release).

    Raises:
        ValueError: an invalid namespace name (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: AgentGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "agentgateway",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[AgentGatewayArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "agentgateway",
        args: AgentGatewayArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(AgentGatewayArgs, "AgentGateway", args, kwargs)
        namespace = a.get("namespace", AGENTGATEWAY_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"AgentGateway {name}", namespace)
        release = versions.active_release()
        crds_chart, controller_chart = release.agentgateway_crds_chart, release.agentgateway_chart
        super().__init__("llmd:platform:AgentGateway", name, None, opts)
        child = child_options(self, opts)
        crds = helm_release(
            f"{name}-crds",
            chart=crds_chart.chart,
            version=crds_chart.version,
            namespace=namespace,
            values={},
            opts=child,
        )
        controller = helm_release(
            name,
            chart=controller_chart.chart,
            version=controller_chart.version,
            namespace=namespace,
            values={"inferenceExtension": {"enabled": True}},
            overrides=values,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[crds])),
        )
        self.gateway_class = gateway_class_for("agentgateway")
        self.namespace = namespace
        self.releases: list[k8s.helm.v3.Release] = [crds, controller]
        self.ready: list[pulumi.Resource] = [controller]
        self.register_outputs(
            {
                "gatewayClass": self.gateway_class,
                "namespace": namespace,
                "chart": controller_chart.chart,
                "version": controller_chart.version,
            }
        )


def gateway_implementation(
    implementation: str = DEFAULT_GATEWAY_IMPLEMENTATION,
    *,
    name: str | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> IstioGateway | AgentGateway:
    """Install the gateway implementation named ``implementation`` (``istio`` by default, or ``agentgateway``).

    Returns the component; its ``gateway_class`` is what the Gateway uses and its ``ready`` what Gateways and routes
    depend on.

    Args:
        implementation: ``istio`` or ``agentgateway``. Default: ``DEFAULT_GATEWAY_IMPLEMENTATION`` ("istio").
        name: The component's name. Default: None (the implementation's name: ``istio`` or ``agentgateway``).
        opts: Resource options of the component. Default: None.

    Raises:
        ValueError: an implementation not in :data:`GATEWAY_IMPLEMENTATIONS` (the message names the allowed ones);
            nothing is registered.
    """
    if _check_implementation(implementation) == "istio":
        return IstioGateway(name or "istio", opts=opts)
    return AgentGateway(name or "agentgateway", opts=opts)
