"""The Google Cloud APIs a GKE stack needs, enabled before anything that calls them.

A fresh project has almost no service enabled: creating a VPC fails with "Compute Engine API has not been used in
project ... or it is disabled", a cluster likewise without the Kubernetes Engine API, and the GKE Inference Gateway
(regional external Application Load Balancer + InferencePool) needs the Network Services API. :class:`ProjectServices`
registers one ``gcp.projects.Service`` per API; every GCP resource of the stack depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, format_problem

__all__ = ["GKE_STACK_SERVICES", "ProjectServices", "gke_stack_services"]

#: The APIs of a GKE stack and why each is needed. Sources: GKE "Deploy GKE Inference Gateway", prepare the
#: environment ("enable the Compute Engine API, the Network Services API" and the Kubernetes Engine API:
#: cloud.google.com/kubernetes-engine/docs/how-to/deploy-gke-inference-gateway); GKE "Managed Service for
#: Prometheus" (Cloud Monitoring API: cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed); GKE
#: logging (Cloud Logging API); Workload Identity Federation for GKE and project IAM bindings (IAM, IAM Service
#: Account Credentials and Cloud Resource Manager APIs: cloud.google.com/kubernetes-engine/docs/how-to/
#: workload-identity, cloud.google.com/iam/docs/granting-changing-revoking-access); GKE "Encrypt secrets at the
#: application layer" (enable the Cloud KMS API: cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets).
GKE_STACK_SERVICES: Final[Mapping[str, str]] = {
    "compute.googleapis.com": "VPCs, subnets, firewall rules, Cloud NAT, the node VMs and the gateway's load balancer",
    "container.googleapis.com": "the GKE cluster and its node pools",
    "networkservices.googleapis.com": "the GKE Inference Gateway (regional ALB with InferencePool backends)",
    "monitoring.googleapis.com": "Managed Service for Prometheus and the custom-metrics adapter the HPAs read",
    "logging.googleapis.com": "the cluster's system and workload logs (logging_config)",
    "iam.googleapis.com": "Workload Identity Federation principals in IAM bindings",
    "iamcredentials.googleapis.com": "Workload Identity token exchange for the cluster's pods",
    "certificatemanager.googleapis.com": "the gateway's Google-managed HTTPS certificate (Certificate Manager)",
    "iap.googleapis.com": "Identity-Aware Proxy in front of the gateway's backends, and IAP access grants",
    "cloudresourcemanager.googleapis.com": "project IAM bindings (gcp.projects.IAMMember) and project look-ups",
    "cloudkms.googleapis.com": "the Cloud KMS key that encrypts the cluster's Secrets (databaseEncryption)",
}


def gke_stack_services(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The APIs a GKE stack enables: :data:`GKE_STACK_SERVICES` plus ``extra``, sorted, without duplicates.

    Args:
        extra: More API names (e.g. ``iap.googleapis.com``). Default: none.
    """
    return tuple(sorted({*GKE_STACK_SERVICES, *extra}))


class ProjectServicesArgs(TypedDict, total=False):
    """The arguments of :class:`ProjectServices` (give them as one object or as keyword arguments)."""

    project: Required[pulumi.Input[str]]
    """The GCP project id."""
    services: Iterable[str] | None
    """API names, e.g. ``container.googleapis.com`` (sorted and deduplicated).
    Default: None (:func:`gke_stack_services`, the APIs of a GKE stack)."""


class ProjectServices(pulumi.ComponentResource):
    """Enables Google Cloud APIs on a project, one ``gcp.projects.Service`` each.

    Type token ``llmd:gcp:ProjectServices``. Each service is registered with ``disable_on_destroy=False`` (destroying
    the stack leaves the API on: other workloads of the project may use it, and disabling an API is slow and can fail
    while resources still exist) and ``disable_dependent_services=False``. Resources that call an API should
    ``depends_on`` this component (or :attr:`services`).

    Arguments: :class:`ProjectServicesArgs` (as an object or keywords).

    Raises:
        ArgsError: (a ``ValueError``) an unknown or missing argument, an empty list or a name that is not
            ``<api>.googleapis.com`` (nothing registered).
    """

    services: list[gcp.projects.Service]

    @overload
    def __init__(self, name: str, args: ProjectServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ProjectServicesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ProjectServicesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ProjectServicesArgs, "ProjectServices", args, kwargs)
        project = a["project"]
        services = a.get("services")
        apis = tuple(sorted(set(services))) if services is not None else gke_stack_services()
        bad = [s for s in apis if not s.endswith(".googleapis.com") or s == ".googleapis.com"]
        if not apis or bad:
            raise ArgsError(
                "ProjectServices",
                [
                    format_problem(
                        "services",
                        list(apis),
                        "allowed: one or more '<api>.googleapis.com' names, e.g. 'container.googleapis.com'",
                    )
                ],
            )
        super().__init__("llmd:gcp:ProjectServices", name, None, opts)
        self.services = [
            gcp.projects.Service(
                f"{name}-{api.removesuffix('.googleapis.com')}",
                project=project,
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for api in apis
        ]
        self.register_outputs({"services": list(apis)})
