"""KEDA, the event-driven autoscaler llm-d's workload-autoscaling guides scale model servers with.

llm-d/llm-d ``guides/workload-autoscaling/README.md`` ("Installing KEDA (Recommended)", keda.sh/docs/2.20/deploy):
KEDA evaluates each ``ScaledObject``'s triggers, serves them through its metrics server on the External Metrics API
and creates the HPA that scales the target. The Helm chart (kedacore/charts ``keda``, pinned by the active llm-d
release's ``keda_chart``: ``versions.active_release()``) installs the ``keda.sh`` CRDs, the operator, the metrics API
server (``v1beta1.external.metrics.k8s.io``) and the admission webhook that validates ScaledObjects
(kedacore/charts ``keda/templates/webhooks/validatingconfiguration.yaml``), all in namespace ``keda``. So every
ScaledObject waits for the release. On GKE the operator's service account ``keda/keda-operator`` reads Google Cloud
Managed Service for Prometheus as itself (Workload Identity Federation, ``roles/monitoring.viewer``; KEDA docs,
Prometheus scaler, "Google Managed Prometheus"; Google Cloud "HPA for Managed Service for Prometheus": "Use KEDA").
"""

from __future__ import annotations

from typing import Any, Final, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.kube import child_options
from pulumi_llmd.components.platform.scheduling import helm_release

#: KEDA's namespace and the operator's service account (the chart's ``operator.name`` default ``keda-operator``).
KEDA_NAMESPACE: Final = "keda"
KEDA_OPERATOR_SA: Final = "keda-operator"


class KedaArgs(TypedDict, total=False):
    """The arguments of :class:`Keda` (give them as this object or as keyword arguments)."""

    gcp_project: str | None
    """On GKE, the project whose managed Prometheus KEDA queries: the operator's Kubernetes service account gets
    ``roles/monitoring.viewer`` there through Workload Identity Federation
    (``principal://.../<project>.svc.id.goog/subject/ns/keda/sa/keda-operator``). Default: None (no grant)."""


class Keda(pulumi.ComponentResource):
    """KEDA from its pinned Helm chart into namespace ``keda``. Type token ``llmd:platform:Keda``.

    Arguments: :class:`KedaArgs`; ``opts``: the cluster's provider and what to wait for. The Helm release is named
    ``keda``. Attribute ``release``: the Helm release (what ScaledObjects wait for: CRDs and webhook).
    """

    @overload
    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self, name: str, args: None = None, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[KedaArgs]
    ) -> None: ...

    def __init__(
        self, name: str, args: KedaArgs | None = None, opts: pulumi.ResourceOptions | None = None, **kwargs: Any
    ) -> None:
        a = component_args(KedaArgs, "Keda", args, kwargs)
        gcp_project = a.get("gcp_project")
        super().__init__("llmd:platform:Keda", name, None, opts)
        child = child_options(self, opts)
        keda_chart = versions.active_release().keda_chart
        self.release: k8s.helm.v3.Release = helm_release(
            "keda",
            chart=keda_chart.chart,
            version=keda_chart.version,
            repository=keda_chart.repository,
            namespace=KEDA_NAMESPACE,
            values={},
            opts=child,
        )
        if gcp_project is not None:
            import pulumi_gcp as gcp  # lazy: only GKE stacks need the Google provider

            number = gcp.organizations.get_project_output(project_id=gcp_project).number
            member = number.apply(
                lambda n: (
                    f"principal://iam.googleapis.com/projects/{n}/locations/global/workloadIdentityPools/"
                    f"{gcp_project}.svc.id.goog/subject/ns/{KEDA_NAMESPACE}/sa/{KEDA_OPERATOR_SA}"
                )
            )
            gcp.projects.IAMMember(
                f"{name}-monitoring-viewer",
                project=gcp_project,
                role="roles/monitoring.viewer",
                member=member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=(opts.depends_on if opts else None)),
            )
        self.register_outputs({"chartVersion": keda_chart.version})
