"""The least-privilege IAM service account GKE nodes run as, instead of the Compute Engine default service account.

Sources: GKE "Harden your cluster's security", "Use least privilege IAM service accounts"
(cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa) and CIS GKE Benchmark
v2.0.0 5.2.1 "Use custom least privilege service accounts for GKE node pools": a dedicated service account with
``roles/container.defaultNodeServiceAccount`` (logging, monitoring, autoscaling metrics); more roles only when needed
(``roles/artifactregistry.reader`` for private Artifact Registry images); workloads use Workload Identity Federation
for GKE, not the node's identity. The stack's images come from public registries (docker.io, ghcr.io, registry.k8s.io,
nvcr.io, gke.gcr.io), so no registry role is granted.
"""

from __future__ import annotations

from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, format_problem
from pulumi_llmd.components.kube import child_options

__all__ = ["NODE_ROLE", "GkeNodeServiceAccount", "node_account_id"]

#: The predefined role for GKE node service accounts (GKE hardening guide; CIS GKE v2.0.0 5.2.1).
NODE_ROLE: Final = "roles/container.defaultNodeServiceAccount"


def node_account_id(cluster_name: str) -> str:
    """The service account id for a cluster's nodes: ``<cluster name, at most 24 characters>-nodes``.

    IAM service account ids are 6-30 characters, ``[a-z]([-a-z0-9]*[a-z0-9])`` (IAM API ``projects.serviceAccounts.
    create``); cluster names are DNS labels of up to 40 characters, so the name is cut to fit.
    """
    return f"{cluster_name[:24].rstrip('-')}-nodes"


class GkeNodeServiceAccountArgs(TypedDict, total=False):
    """The arguments of :class:`GkeNodeServiceAccount` (give them as one object or as keyword arguments)."""

    cluster_name: Required[str]
    """The GKE cluster's name; the account id derives from it (:func:`node_account_id`)."""
    project: Required[str]
    """The project id the account and its role binding live in."""


class GkeNodeServiceAccount(pulumi.ComponentResource):
    """An IAM service account for a GKE cluster's nodes with ``roles/container.defaultNodeServiceAccount`` only.

    Type token ``llmd:gcp:NodeServiceAccount``. Registers ``gcp.serviceaccount.Account`` ``<cluster>-nodes`` (see
    :func:`node_account_id`) and one ``gcp.projects.IAMMember`` binding :data:`NODE_ROLE` on the project. Every node
    pool of the cluster (and the cluster's short-lived default pool) runs as this account
    (``node_config.service_account``), with the ``cloud-platform`` OAuth scope so that IAM alone decides what it may do.

    Outputs: ``email`` and ``ready`` (the role binding: node pools must wait for it, or their nodes start without
    the right to write logs and metrics).

    Arguments: :class:`GkeNodeServiceAccountArgs` (as an object or keywords).

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument, an empty
            ``cluster_name`` or ``project``.
    """

    email: pulumi.Output[str]
    ready: list[pulumi.Resource]

    @overload
    def __init__(
        self, name: str, args: GkeNodeServiceAccountArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeNodeServiceAccountArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeNodeServiceAccountArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeNodeServiceAccountArgs, "GkeNodeServiceAccount", args, kwargs)
        cluster_name, project = a["cluster_name"], a["project"]
        problems = [
            format_problem(key, value, "must be a non-empty name")
            for key, value in (("cluster_name", cluster_name), ("project", project))
            if not value
        ]
        if problems:
            raise ArgsError("GkeNodeServiceAccount", problems)
        super().__init__("llmd:gcp:NodeServiceAccount", name, None, opts)
        child = child_options(self, opts)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=node_account_id(cluster_name),
            display_name=f"GKE nodes of {cluster_name} (least privilege)",
            project=project,
            opts=child,
        )
        # User-managed service accounts are ``<account id>@<project>.iam.gserviceaccount.com`` (IAM docs, "Service
        # account types"); the fallback keeps the address known where the provider has not reported it (a preview).
        address = f"{node_account_id(cluster_name)}@{project}.iam.gserviceaccount.com"
        self.email = account.email.apply(lambda email: email or address)
        binding = gcp.projects.IAMMember(
            f"{name}-node-role",
            project=project,
            role=NODE_ROLE,
            member=self.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=child,
        )
        self.ready = [binding]
        self.register_outputs({"email": self.email})
