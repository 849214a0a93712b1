"""The GKE gateway's certificate and IAP access: Certificate Manager and Identity-Aware Proxy.

Certificate: GKE's Inference Gateway classes (``gke-l7-regional-external-managed``, ``gke-l7-rilb``) are regional
Application Load Balancers. Those reference Certificate Manager certificates *directly* from the target HTTPS proxy
(up to 100), not through a certificate map; maps are only for the global external / classic load balancers
(Certificate Manager "Deployment overview", cloud.google.com/certificate-manager/docs/deploy). On a GKE Gateway the
regional certificates are named in the HTTPS listener's TLS option ``networking.gke.io/cert-manager-certs``
(comma-separated names); the ``networking.gke.io/certmap`` annotation is the global classes' form and cannot be
combined with ``certificateRefs`` (GKE "Secure a Gateway", docs.cloud.google.com/kubernetes-engine/docs/how-to/
secure-gateway: "Google-managed certificates are compatible with regional Gateways and global Gateways").
:class:`GkeManagedCertificate` creates a regional Google-managed certificate with DNS authorization
(``gcp.certificatemanager.DnsAuthorization`` + ``Certificate`` with ``location=<region>``, the provider's "regional
managed certs" example): it becomes ACTIVE once the DNS authorization's CNAME record (output
``dns_record``) is published in the domain's zone.

IAP: ``roles/iap.httpsResourceAccessor`` on the project's IAP web resource (``gcp.iap.WebIamMember``) for each
member lets those principals through every IAP-protected backend of the project (IAP docs "Managing access").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, format_problem

__all__ = ["GATEWAY_SECURITY_SERVICES", "IAP_ACCESSOR_ROLE", "GkeManagedCertificate", "IapAccess"]

#: APIs the GKE gateway's TLS and IAP need (part of ``GKE_STACK_SERVICES``, enabled before the cluster):
#: Certificate Manager (certificates, DNS authorizations) and IAP (IAM on the IAP web resource; the IAP check on
#: the load balancer's backend services).
GATEWAY_SECURITY_SERVICES: Final = ("certificatemanager.googleapis.com", "iap.googleapis.com")
#: The role that lets a principal through IAP (IAP docs: "IAP-secured Web App User").
IAP_ACCESSOR_ROLE: Final = "roles/iap.httpsResourceAccessor"


class GkeManagedCertificateArgs(TypedDict, total=False):
    """The arguments of :class:`GkeManagedCertificate` (give them as one object or as keyword arguments)."""

    project: Required[pulumi.Input[str]]
    """GCP project id."""
    region: Required[pulumi.Input[str]]
    """The gateway's region (the certificate must live in the load balancer's region)."""
    hostname: Required[str]
    """The DNS name clients use (one name, no wildcard)."""


class IapAccessArgs(TypedDict, total=False):
    """The arguments of :class:`IapAccess` (give them as one object or as keyword arguments)."""

    project: Required[pulumi.Input[str]]
    """GCP project id whose IAP web resource the members may pass."""
    members: Required[Sequence[str]]
    """IAM principals (``user:``, ``group:``, ``serviceAccount:``, ``domain:``), at least one."""


class GkeManagedCertificate(pulumi.ComponentResource):
    """A regional Google-managed Certificate Manager certificate for ``hostname``, authorized by DNS.

    Type token ``llmd:gcp:GkeManagedCertificate``. Registers ``DnsAuthorization`` ``<name>-dns`` (regional, type
    ``PER_PROJECT_RECORD``, the provider default for non-global locations) and ``Certificate`` ``<name>`` (regional,
    ``managed.domains=[hostname]``). Reference :attr:`certificate_name` in the Gateway's HTTPS listener
    (``networking.gke.io/cert-manager-certs``). Publish :attr:`dns_record` (name, type, data of the CNAME) in the
    domain's DNS zone; until then the certificate stays PROVISIONING and HTTPS handshakes fail.

    Arguments: :class:`GkeManagedCertificateArgs` (as an object or keywords); the component's ``name`` is the
    Certificate Manager resource name prefix (1-63 chars, letters, digits, '-').

    Raises:
        ArgsError: (a ``ValueError``) an unknown or missing argument, an empty or wildcard hostname (nothing
            registered).
    """

    @overload
    def __init__(
        self, name: str, args: GkeManagedCertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeManagedCertificateArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeManagedCertificateArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeManagedCertificateArgs, "GkeManagedCertificate", args, kwargs)
        project, region, hostname = a["project"], a["region"], a["hostname"]
        if not hostname or not isinstance(hostname, str) or "*" in hostname:
            raise ArgsError(
                "GkeManagedCertificate",
                [format_problem("hostname", hostname, "allowed one DNS name, no wildcard")],
            )
        super().__init__("llmd:gcp:GkeManagedCertificate", name, None, opts)
        # Children wait on what the component waits on (the Certificate Manager API): the engine does not pass a
        # parent's depends_on to its children.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts is not None else None)
        auth = gcp.certificatemanager.DnsAuthorization(
            f"{name}-dns",
            name=f"{name}-dns",
            project=project,
            location=region,
            domain=hostname,
            type="PER_PROJECT_RECORD",
            description=f"DNS authorization for {hostname} (llm-d gateway)",
            opts=child,
        )
        self.certificate = gcp.certificatemanager.Certificate(
            name,
            name=name,
            project=project,
            location=region,
            description=f"Google-managed certificate for {hostname} (llm-d gateway)",
            managed=gcp.certificatemanager.CertificateManagedArgs(domains=[hostname], dns_authorizations=[auth.id]),
            opts=child,
        )
        self.certificate_name = name
        self.dns_record = auth.dns_resource_records
        self.register_outputs({"certificateName": name, "hostname": hostname, "dnsRecord": auth.dns_resource_records})


class IapAccess(pulumi.ComponentResource):
    """``roles/iap.httpsResourceAccessor`` on the project's IAP web resource for each of ``members``.

    Type token ``llmd:gcp:IapAccess``. One ``gcp.iap.WebIamMember`` per member (``user:``, ``group:``,
    ``serviceAccount:``, ``domain:`` principals), non-authoritative: other grants stay. Depend on the IAP API
    (``iap.googleapis.com``) through ``opts.depends_on``. Arguments: :class:`IapAccessArgs`.

    Raises:
        ArgsError: (a ``ValueError``) an unknown or missing argument, no member or an empty one (nothing
            registered).
    """

    @overload
    def __init__(self, name: str, args: IapAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[IapAccessArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: IapAccessArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(IapAccessArgs, "IapAccess", args, kwargs)
        project, members = a["project"], a["members"]
        if isinstance(members, str) or not members or not all(isinstance(m, str) and m for m in members):
            raise ArgsError(
                "IapAccess", [format_problem("members", members, "allowed: a list of one or more IAM principals")]
            )
        super().__init__("llmd:gcp:IapAccess", name, None, opts)
        self.members = [
            gcp.iap.WebIamMember(
                f"{name}-{index}",
                project=project,
                role=IAP_ACCESSOR_ROLE,
                member=member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts is not None else None),
            )
            for index, member in enumerate(members)
        ]
        self.register_outputs({"members": list(members)})
