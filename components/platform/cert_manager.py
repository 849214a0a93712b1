"""cert-manager and the gateway's certificate: the TLS half of a self-managed (Istio / agentgateway) gateway, and the
default on GKE when no hostname is configured.

* :class:`CertManager` installs cert-manager from its Helm chart (Jetstack repository, pinned to
  ``versions.CERT_MANAGER_CHART_VERSION``) with its CRDs (``crds.enabled: true``, cert-manager.io/docs/installation/
  helm). The chart's webhook is fail-closed for cert-manager's own objects: Issuers and Certificates must wait for the
  release (its ``startupapicheck`` post-install Job only succeeds once the webhook answers, so a waited-for release
  means the API is usable).
* :class:`GatewayCertificate` issues the listener's certificate into a Secret the Gateway's ``certificateRefs`` names:
  from an existing ClusterIssuer (``issuer``), or from a self-signed CA the component creates in the stack namespace,
  the bootstrap cert-manager documents (cert-manager.io/docs/configuration/selfsigned, "Bootstrapping CA Issuers"):
  a ``selfSigned`` Issuer signs a CA Certificate (``isCA: true``), a ``ca`` Issuer signs the leaf with that CA. A
  self-signed chain is fine on a laptop (kind); anywhere else the posture report flags it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.platform.scheduling import check_namespace, helm_release

#: cert-manager's API group/version of Issuer, ClusterIssuer and Certificate (CRDs cert-manager v1.21.1).
CERT_MANAGER_API_VERSION: Final = "cert-manager.io/v1"
CERT_MANAGER_NAMESPACE: Final = "cert-manager"
#: Lifetime and renewal of the leaf certificate (cert-manager's defaults: 90 days, renewed at 2/3 of it).
LEAF_DURATION: Final = "2160h"
#: Lifetime of the self-signed CA (5 years); the leaf is re-issued from it on every renewal.
CA_DURATION: Final = "43800h"


def cert_manager_values() -> dict[str, Any]:
    """Helm values of the cert-manager chart: its defaults plus the CRDs (``crds.enabled: true``; the chart keeps them
    on uninstall, ``crds.keep`` defaults to true) and every image pinned by digest
    (:func:`~pulumi_llmd.components.versions.cert_manager_image_values`) (pure)."""
    return {"crds": {"enabled": True}, **versions.cert_manager_image_values()}


class CertManagerArgs(TypedDict, total=False):
    """The arguments of :class:`CertManager` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where cert-manager runs (created; a DNS-1123 label). Default: ``"cert-manager"``."""
    values: Mapping[str, Any] | None
    """Helm values merged over the library's (mappings merge key by key, lists and scalars are replaced,
    ``None`` deletes a key: :func:`~pulumi_llmd.components.kube.merge_values`). Default: None (none)."""


class CertManager(pulumi.ComponentResource):
    """cert-manager from the Jetstack chart, CRDs included.

    Type token ``llmd:platform:CertManager``. One release ``<name>`` in ``namespace`` (created). Objects of
    ``cert-manager.io`` must depend on :attr:`ready` (the CRDs and the fail-closed webhook come with the release).

    Arguments: :class:`CertManagerArgs`.

    Raises:
        ValueError: an invalid namespace name (nothing is registered).
    """

    @overload
    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "cert-manager",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[CertManagerArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "cert-manager",
        args: CertManagerArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(CertManagerArgs, "CertManager", args, kwargs)
        namespace = a.get("namespace", CERT_MANAGER_NAMESPACE)
        values = a.get("values", None)
        check_namespace(f"CertManager {name}", namespace)
        super().__init__("llmd:platform:CertManager", name, None, opts)
        self.release: k8s.helm.v3.Release = helm_release(
            name,
            chart=versions.CERT_MANAGER_CHART,
            version=versions.CERT_MANAGER_CHART_VERSION,
            repository=versions.CERT_MANAGER_CHART_REPO,
            namespace=namespace,
            values=cert_manager_values(),
            overrides=values,
            opts=child_options(self, opts),
        )
        self.namespace = namespace
        self.ready: list[pulumi.Resource] = [self.release]
        self.register_outputs({"namespace": namespace, "version": versions.CERT_MANAGER_CHART_VERSION})


def _issuer(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": CERT_MANAGER_API_VERSION,
        "kind": "Issuer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _certificate(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": CERT_MANAGER_API_VERSION,
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


class GatewayCertificateArgs(TypedDict, total=False):
    """The arguments of :class:`GatewayCertificate` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The Gateway's namespace (its listener can only reference Secrets there without a ReferenceGrant):
    a :class:`~pulumi_llmd.components.platform.StackNamespace` (the objects then depend on it) or its name."""
    dns_names: Required[Sequence[str]]
    """The names the certificate covers (at least one)."""
    cluster_issuer: str | None
    """An existing ClusterIssuer to issue from. Default: None — the self-signed CA bootstrap."""


class GatewayCertificate(pulumi.ComponentResource):
    """The gateway listener's certificate, issued by cert-manager into the Secret :attr:`secret_name`.

    Type token ``llmd:platform:GatewayCertificate``. With ``cluster_issuer`` the leaf Certificate ``<name>`` is issued
    by that existing ClusterIssuer (e.g. an ACME or corporate CA issuer); without it the component creates the
    self-signed CA bootstrap in ``namespace``: Issuer ``<name>-selfsigned``, CA Certificate ``<name>-ca`` (Secret
    ``<name>-ca``, ECDSA P-256, 5 years), Issuer ``<name>-ca`` and the leaf. The leaf is an ECDSA P-256 server
    certificate for ``dns_names``, 90 days, renewed by cert-manager; its Secret (``kubernetes.io/tls``) is
    ``<name>-tls``. Pass the :class:`CertManager` release (and the namespace) in ``opts.depends_on``.

    Arguments: :class:`GatewayCertificateArgs`.

    Outputs: ``secret_name``, ``self_signed`` (True without ``cluster_issuer``), ``certificates`` (the registered
    Certificate objects; the Gateway may depend on them).

    Raises:
        ValueError: no DNS name.
    """

    @overload
    def __init__(self, name: str, args: GatewayCertificateArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GatewayCertificateArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GatewayCertificateArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GatewayCertificateArgs, "GatewayCertificate", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "GatewayCertificate", "namespace")
        dns_names = a["dns_names"]
        cluster_issuer = a.get("cluster_issuer", None)
        opts = with_depends_on(opts, [*namespace_deps])
        if not dns_names:
            raise ValueError(f"GatewayCertificate {name}: dns_names is empty: allowed one or more DNS names")
        super().__init__("llmd:platform:GatewayCertificate", name, None, opts)
        child = child_options(self, opts)
        self.secret_name = f"{name}-tls"
        self.self_signed = cluster_issuer is None
        key = {"algorithm": "ECDSA", "size": 256}
        objects: list[pulumi.Resource] = []
        if cluster_issuer is None:
            selfsigned = k8s_object(
                f"{name}-selfsigned-issuer", _issuer(f"{name}-selfsigned", namespace, {"selfSigned": {}}), child
            )
            ca = k8s_object(
                f"{name}-ca-certificate",
                _certificate(
                    f"{name}-ca",
                    namespace,
                    {
                        "isCA": True,
                        "commonName": f"{name}-ca",
                        "secretName": f"{name}-ca",
                        "duration": CA_DURATION,
                        "privateKey": dict(key),
                        "issuerRef": {"name": f"{name}-selfsigned", "kind": "Issuer", "group": "cert-manager.io"},
                    },
                ),
                pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[selfsigned])),
            )
            ca_issuer = k8s_object(
                f"{name}-ca-issuer",
                _issuer(f"{name}-ca", namespace, {"ca": {"secretName": f"{name}-ca"}}),
                pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ca])),
            )
            objects = [selfsigned, ca, ca_issuer]
            issuer_ref = {"name": f"{name}-ca", "kind": "Issuer", "group": "cert-manager.io"}
        else:
            issuer_ref = {"name": cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"}
        leaf = k8s_object(
            f"{name}-certificate",
            _certificate(
                name,
                namespace,
                {
                    "secretName": self.secret_name,
                    "dnsNames": list(dns_names),
                    "duration": LEAF_DURATION,
                    "privateKey": {**key, "rotationPolicy": "Always"},
                    "usages": ["server auth", "digital signature", "key encipherment"],
                    "issuerRef": issuer_ref,
                },
            ),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(objects))),
        )
        self.certificates: list[pulumi.Resource] = [*objects, leaf]
        self.register_outputs({"secretName": self.secret_name, "selfSigned": self.self_signed})


# --- the cluster-internal CA (service-to-service TLS: Prometheus and its clients) ------------------------------------

#: The ClusterIssuer signing the cluster's internal service certificates (Prometheus' serving certificate and its
#: clients' certificates). cert-manager reads a ClusterIssuer's CA Secret from its "cluster resource namespace", the
#: namespace cert-manager runs in by default (cert-manager.io/docs/configuration/ca: "ClusterIssuer ... the Secret
#: must be in the cluster resource namespace", ``--cluster-resource-namespace``).
INTERNAL_CA_ISSUER: Final = "llm-d-internal-ca"
#: cert-manager's annotation-driven await: pulumi-kubernetes waits for ``condition=Ready`` of an object carrying
#: ``pulumi.com/waitFor`` (pulumi-kubernetes v4.18+, "pulumi.com/waitFor" annotation; cert-manager sets the
#: Certificate's ``Ready`` condition once the key pair is in its Secret, cert-manager.io/docs/usage/certificate).
WAIT_FOR_READY: Final = {"pulumi.com/waitFor": "condition=Ready"}


def _cluster_issuer(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": CERT_MANAGER_API_VERSION, "kind": "ClusterIssuer", "metadata": {"name": name}, "spec": spec}


def certificate_manifest(
    *,
    name: str,
    namespace: str,
    secret_name: str,
    usages: Sequence[str],
    dns_names: Sequence[str] = (),
    common_name: str | None = None,
    issuer: str = INTERNAL_CA_ISSUER,
    wait: bool = True,
) -> dict[str, Any]:
    """A ``cert-manager.io/v1`` Certificate issued by the ClusterIssuer ``issuer`` into ``secret_name`` (pure).

    ECDSA P-256, 90 days (:data:`LEAF_DURATION`, renewed by cert-manager at 2/3), a new key on every renewal. With a
    CA issuer cert-manager writes ``tls.crt``, ``tls.key`` and the CA's ``ca.crt`` into the Secret
    (cert-manager.io/docs/configuration/ca). ``wait`` adds :data:`WAIT_FOR_READY` so whatever depends on the
    Certificate starts only once its Secret holds the key pair.

    Args:
        dns_names: The names a server certificate covers. Default: none (a client certificate).
        common_name: The subject's CN (a client's identity). Default: None (none).
        issuer: The ClusterIssuer. Default: :data:`INTERNAL_CA_ISSUER`.
        wait: Await ``Ready``. Default: True.

    Raises:
        ValueError: no usage, or neither DNS names nor a common name.
    """
    if not usages:
        raise ValueError(f"Certificate {name}: usages is empty: allowed 'server auth', 'client auth'")
    if not dns_names and not common_name:
        raise ValueError(f"Certificate {name}: give dns_names (a server) or common_name (a client)")
    spec: dict[str, Any] = {
        "secretName": secret_name,
        **({"commonName": common_name} if common_name else {}),
        **({"dnsNames": list(dns_names)} if dns_names else {}),
        "duration": LEAF_DURATION,
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["digital signature", "key encipherment", *usages],
        "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
    }
    manifest = _certificate(name, namespace, spec)
    if wait:
        manifest["metadata"]["annotations"] = dict(WAIT_FOR_READY)
    return manifest


class InternalCaArgs(TypedDict, total=False):
    """The arguments of :class:`InternalCa` (give them as this object or as keyword arguments)."""

    cert_manager_namespace: str
    """cert-manager's namespace, its cluster resource namespace, where the CA's Secret lives. Default:
    ``"cert-manager"``."""


class InternalCa(pulumi.ComponentResource):
    """The cluster-internal CA: ClusterIssuer :data:`INTERNAL_CA_ISSUER` for service-to-service certificates.

    Type token ``llmd:platform:InternalCa``. cert-manager's CA bootstrap (cert-manager.io/docs/configuration/
    selfsigned, "Bootstrapping CA Issuers"), cluster-wide: ClusterIssuer ``llm-d-selfsigned`` signs the CA Certificate
    ``llm-d-internal-ca`` (ECDSA P-256, 5 years, Secret ``llm-d-internal-ca`` in cert-manager's namespace, its key
    never leaving it) and ClusterIssuer ``llm-d-internal-ca`` signs leaves with it in any namespace. The CA is the
    trust anchor of Prometheus' HTTPS endpoint and of the client certificates it verifies; it is not a public CA and
    never signs the gateway (``llmd:gateway.tls``). Pass :attr:`CertManager.ready` in ``opts.depends_on``.

    Arguments: :class:`InternalCaArgs`. Attribute ``ready``: the ClusterIssuer chain (what a Certificate from it
    waits for).
    """

    @overload
    def __init__(self, name: str, args: InternalCaArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = INTERNAL_CA_ISSUER,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[InternalCaArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = INTERNAL_CA_ISSUER,
        args: InternalCaArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(InternalCaArgs, "InternalCa", args, kwargs)
        cert_manager_namespace = a.get("cert_manager_namespace", CERT_MANAGER_NAMESPACE)
        super().__init__("llmd:platform:InternalCa", name, None, opts)
        child = child_options(self, opts)
        selfsigned = k8s_object(
            "llm-d-selfsigned-issuer", _cluster_issuer("llm-d-selfsigned", {"selfSigned": {}}), child
        )
        ca_manifest = _certificate(
            name,
            cert_manager_namespace,
            {
                "isCA": True,
                "commonName": name,
                "secretName": name,
                "duration": CA_DURATION,
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"name": "llm-d-selfsigned", "kind": "ClusterIssuer", "group": "cert-manager.io"},
            },
        )
        ca_manifest["metadata"]["annotations"] = dict(WAIT_FOR_READY)
        ca = k8s_object(
            f"{name}-certificate",
            ca_manifest,
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[selfsigned])),
        )
        issuer = k8s_object(
            f"{name}-issuer",
            _cluster_issuer(name, {"ca": {"secretName": name}}),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ca])),
        )
        self.issuer_name = name
        self.ready: list[pulumi.Resource] = [selfsigned, ca, issuer]
        self.register_outputs({"issuer": name})
