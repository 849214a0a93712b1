"""The endpoint: how the inference Gateway is exposed (internal or public), its HTTPS certificate and its
authentication, decided from ``llmd:gateway`` and built before / after the Gateway by :func:`deploy`.

Load balancer (``public``):

* GKE: the class decides (``gke-l7-rilb`` internal, ``gke-l7-regional-external-managed`` external).
* EKS: the gateway implementation's generated ``LoadBalancer`` Service carries the scheme through the Gateway's
  ``spec.infrastructure.annotations`` (Gateway API "Gateway infrastructure labels and annotations", propagated by
  Istio to the Service it generates): internal = ``service.beta.kubernetes.io/aws-load-balancer-internal: "true"``
  (the AWS cloud provider's service controller) and ``service.beta.kubernetes.io/aws-load-balancer-scheme:
  internal`` (AWS Load Balancer Controller, whose NLBs are internal by default since v2.2.0); public =
  ``aws-load-balancer-scheme: internet-facing`` (kubernetes-sigs.github.io/aws-load-balancer-controller guide/
  service/nlb and annotations).
* Existing clusters (kind, on-prem) with Istio: internal = a ClusterIP Service (Gateway annotation
  ``networking.istio.io/service-type: ClusterIP``, Istio's deployment controller; reach it with
  ``kubectl port-forward``); public = Istio's default LoadBalancer Service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from pulumi_llmd.blueprints.config import AuthenticationConfig, StackConfig
from pulumi_llmd.blueprints.targets import AWS_INTERNAL_LB, AWS_PUBLIC_LB, ISTIO_SERVICE_TYPE, target_class
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.platform.cert_manager import CertManager, GatewayCertificate
from pulumi_llmd.components.platform.gateway import (
    GKE_PRE_SHARED_CERTS_OPTION,
    IapSettings,
    ListenerTls,
)
from pulumi_llmd.components.platform.gateway_auth import IstioJwtAuthentication

if TYPE_CHECKING:  # the GCP SDK is imported only by GKE stacks (blueprints/targets)
    from pulumi_llmd.components.gcp.certificates import GkeManagedCertificate

#: The load balancers' annotations live with their targets (:mod:`pulumi_llmd.blueprints.targets`); re-exported here.
__all__ = ["AWS_INTERNAL_LB", "AWS_PUBLIC_LB", "ISTIO_SERVICE_TYPE"]


@dataclass
class GatewayEndpoint:
    """What the Gateway needs from the endpoint settings, and what was built for them.

    Attributes:
        tls: The HTTPS listener (None: ``tls.mode: none``).
        annotations: Gateway annotations. Default: none.
        infrastructure_annotations: The Gateway's ``spec.infrastructure.annotations``. Default: none.
        depends_on: Certificates the Gateway waits for. Default: none.
        iap: The GCPBackendPolicy's IAP settings on GKE. Default: None (no IAP).
        iap_ready: What IAP settings wait for (the IAP API). Default: none.
        cert_manager: The :class:`CertManager`, when installed. Default: None.
        managed_certificate: The Certificate Manager certificate, when created. Default: None.
    """

    tls: ListenerTls | None
    annotations: dict[str, str] = field(default_factory=dict)
    infrastructure_annotations: dict[str, str] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    iap: IapSettings | None = None
    iap_ready: list[pulumi.Resource] = field(default_factory=list)
    cert_manager: CertManager | None = None
    managed_certificate: GkeManagedCertificate | None = None


def load_balancer_annotations(config: StackConfig, platform: Platform) -> tuple[dict[str, str], dict[str, str]]:
    """``(Gateway annotations, spec.infrastructure.annotations)`` making the load balancer internal or public on
    ``platform`` (pure; see the module docstring): the target's answer
    (:meth:`~pulumi_llmd.blueprints.targets.Target.load_balancer_annotations`)."""
    return target_class(platform).load_balancer_annotations(config)


def certificate_dns_names(config: StackConfig) -> list[str]:
    """The names a cert-manager certificate covers: ``tls.hostname``, else the in-cluster name of the Service the
    implementation generates (Istio: ``<gateway>-istio``, Istio's ``<name>-<class>`` naming; otherwise the
    Gateway's name)."""
    if config.gateway.tls.hostname:
        return [config.gateway.tls.hostname]
    service = f"{config.gateway.name}-istio" if config.gateway_class == "istio" else config.gateway.name
    return [f"{service}.{config.namespace}.svc.cluster.local"]


def prepare_endpoint(
    config: StackConfig,
    cluster: Cluster,
    *,
    namespace: pulumi.Resource,
    after: list[pulumi.Resource],
    iap_client_secret: pulumi.Output[str] | None = None,
    cert_manager: CertManager | None = None,
    parent: pulumi.Resource | None = None,
) -> GatewayEndpoint:
    """Build what the Gateway needs before it exists: the certificate (cert-manager + Issuers/Certificate,
    a Certificate Manager certificate, or nothing for a Secret / pre-shared certificate), the GCP APIs they need
    (``certificatemanager``, ``iap``), the IAP OAuth client Secret and IAM grants.

    ``after``: what cert-manager's release waits for besides the cluster (Kueue: its fail-closed Job webhook
    intercepts cert-manager's startupapicheck Job).

    Args:
        iap_client_secret: A Pulumi secret; it becomes the Secret ``<gateway>-iap-oauth`` (key ``key``) when
            ``authentication.iap.clientSecret`` is used. Default: None (no Secret).
        cert_manager: cert-manager already installed by the target (with the HTTPS Prometheus,
            :meth:`~pulumi_llmd.blueprints.targets.Target.prometheus`): the gateway's certificate reuses it (one
            release per cluster). Default: None (installed here when the certificate needs it).
        parent: The component the objects belong to. Default: None (a stack, whose URNs stay as they are).
    """
    gw = config.gateway
    annotations, infra = load_balancer_annotations(config, cluster.platform)
    endpoint = GatewayEndpoint(tls=None, annotations=annotations, infrastructure_annotations=infra)
    auth = gw.authentication
    iap_config = auth.iap if isinstance(auth, AuthenticationConfig) else None
    source = config.gateway_tls_source
    # The stack's ProjectServices enable Certificate Manager and IAP (components/gcp/services.py,
    # GATEWAY_SECURITY_SERVICES); the GKE cluster waits for them, so whatever waits for the cluster does too.
    apis = list(cluster.ready)
    k8s_ns = pulumi.ResourceOptions(provider=cluster.provider, depends_on=[namespace], parent=parent)
    tls = gw.tls
    if source == "none":
        endpoint.tls = None
    elif source == "pre-shared":
        endpoint.tls = ListenerTls(
            options={GKE_PRE_SHARED_CERTS_OPTION: ",".join(tls.pre_shared_certificates)},
            hostname=tls.hostname,
            port=tls.port,
        )
    elif source == "secret":
        endpoint.tls = ListenerTls(certificate_refs=[str(tls.secret_name)], hostname=tls.hostname, port=tls.port)
    elif source == "certificate-manager":
        # Only a target with managed certificates (GKE's Certificate Manager) chooses this source (config.py).
        cert, options = target_class(config.target.cloud).managed_certificate(config, after=apis, parent=parent)
        endpoint.managed_certificate = cert
        endpoint.depends_on.append(cert.certificate)
        endpoint.tls = ListenerTls(options=options, hostname=tls.hostname, port=tls.port)
    else:
        if cert_manager is None:
            cert_manager = CertManager(
                opts=pulumi.ResourceOptions(
                    provider=cluster.provider, depends_on=[*cluster.ready, *after], parent=parent
                )
            )
        certificate = GatewayCertificate(
            gw.name,
            namespace=config.namespace,
            dns_names=certificate_dns_names(config),
            cluster_issuer=tls.issuer,
            opts=pulumi.ResourceOptions(
                provider=cluster.provider, depends_on=[namespace, *cert_manager.ready], parent=parent
            ),
        )
        endpoint.cert_manager = cert_manager
        endpoint.depends_on.extend(certificate.certificates)
        endpoint.tls = ListenerTls(certificate_refs=[certificate.secret_name], hostname=tls.hostname, port=tls.port)
    rules = target_class(config.target.cloud)
    if iap_config is not None and rules.offers_iap:
        endpoint.iap = rules.identity_aware_proxy(
            config, iap_config, namespace_opts=k8s_ns, after=apis, client_secret=iap_client_secret, parent=parent
        )
        endpoint.iap_ready = apis
    return endpoint


def authenticate_gateway(config: StackConfig, cluster: Cluster, *, opts: pulumi.ResourceOptions) -> None:
    """Register the gateway's authentication off GKE: Istio JWT (RequestAuthentication + AuthorizationPolicy) for
    ``authentication.jwt``. IAP on GKE rides on the model backends' GCPBackendPolicy (see ``_model_addons``).
    ``opts`` should carry the provider, the namespace and the Istio release (its CRDs)."""
    auth = config.gateway.authentication
    if isinstance(auth, AuthenticationConfig) and auth.jwt is not None and config.gateway_class == "istio":
        IstioJwtAuthentication(
            config.gateway.name,
            namespace=config.namespace,
            issuer=auth.jwt.issuer,
            jwks_uri=auth.jwt.jwks_uri,
            audiences=auth.jwt.audiences,
            opts=opts,
        )
