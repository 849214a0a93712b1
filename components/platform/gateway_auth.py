"""Authentication at a self-managed gateway: JWT validation with Istio's security API.

Istio validates JWTs with a ``RequestAuthentication`` and enforces them with an ``AuthorizationPolicy``
(``security.istio.io/v1``, CRDs istio/api 1.29.6 ``kubernetes/customresourcedefinitions.gen.yaml``): a
RequestAuthentication alone only rejects *invalid* tokens and lets requests without a token through; the
AuthorizationPolicy with action ALLOW and ``from.source.requestPrincipals: ["*"]`` admits only requests that carried a
valid token (Istio docs "Authorization with JWT" / "JWT claim based routing"; FACTS "Secure gateway"). Both attach
to the Gateway API ``Gateway`` with ``targetRefs`` (group ``gateway.networking.k8s.io``, kind ``Gateway``), the
policy-attachment form Istio uses for Gateway API gateways (fields ``targetRefs[{group, kind, name}]`` in both
CRDs). The ALLOW policy applies to every listener of that gateway, so the plain-HTTP redirect listener also asks
for a token before it redirects (a client without one gets 403 instead of 301).

agentgateway's JWT policy (``AgentgatewayPolicy`` ``spec.traffic.jwtAuthentication``) is not generated: its CRD
schema (agentgateway/agentgateway controller/install/helm/agentgateway-crds, 600 kB) is not vendored, so the config
rejects ``authentication.jwt`` with ``className: agentgateway`` (see ``blueprints/config.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on

#: Istio's security API group/version (RequestAuthentication, AuthorizationPolicy; v1 served and stored in 1.29).
ISTIO_SECURITY_API_VERSION: Final = "security.istio.io/v1"


def _gateway_ref(gateway: str) -> dict[str, str]:
    return {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}


def request_authentication(
    name: str, *, namespace: str, gateway: str, issuer: str, jwks_uri: str, audiences: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``RequestAuthentication`` validating JWTs from ``issuer`` (keys from ``jwks_uri``) at ``gateway`` (pure).

    ``audiences`` empty: any ``aud`` is accepted (Istio's JWTRule default). The token is read from
    ``Authorization: Bearer`` (Istio's default location), the header OpenAI clients send their API key in.
    """
    rule: dict[str, Any] = {"issuer": issuer, "jwksUri": jwks_uri}
    if audiences:
        rule["audiences"] = list(audiences)
    return {
        "apiVersion": ISTIO_SECURITY_API_VERSION,
        "kind": "RequestAuthentication",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"targetRefs": [_gateway_ref(gateway)], "jwtRules": [rule]},
    }


def require_jwt_policy(name: str, *, namespace: str, gateway: str, issuer: str) -> dict[str, Any]:
    """The ``AuthorizationPolicy`` (ALLOW) admitting only requests with a valid token from ``issuer`` at ``gateway``:
    ``requestPrincipals`` are ``<iss>/<sub>``, so ``<issuer>/*`` means "any subject of this issuer" (pure)."""
    return {
        "apiVersion": ISTIO_SECURITY_API_VERSION,
        "kind": "AuthorizationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "targetRefs": [_gateway_ref(gateway)],
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"requestPrincipals": [f"{issuer}/*"]}}]}],
        },
    }


class IstioJwtAuthenticationArgs(TypedDict, total=False):
    """The arguments of :class:`IstioJwtAuthentication` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """The Gateway's namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (the policies
    then depend on it) or its name."""
    issuer: Required[str]
    """The token issuer (``iss``), e.g. ``https://accounts.example.com``; not empty."""
    jwks_uri: Required[str]
    """The HTTPS URL of the issuer's JSON Web Key Set (``https://...``)."""
    audiences: Sequence[str]
    """Accepted ``aud`` values. Default: none (any audience)."""


class IstioJwtAuthentication(pulumi.ComponentResource):
    """JWT authentication at an Istio Gateway: ``RequestAuthentication`` ``<name>-jwt`` plus ``AuthorizationPolicy``
    ``<name>-require-jwt`` (see :func:`request_authentication`, :func:`require_jwt_policy`).

    Type token ``llmd:platform:IstioJwtAuthentication``. Pass the Istio release (its CRDs) and the namespace in
    ``opts.depends_on``.

    Arguments: :class:`IstioJwtAuthenticationArgs`.

    Raises:
        ValueError: an empty issuer or a JWKS URI that is not ``https://`` (nothing registered).
    """

    @overload
    def __init__(
        self, name: str, args: IstioJwtAuthenticationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[IstioJwtAuthenticationArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: IstioJwtAuthenticationArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(IstioJwtAuthenticationArgs, "IstioJwtAuthentication", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "IstioJwtAuthentication", "namespace")
        issuer = a["issuer"]
        jwks_uri = a["jwks_uri"]
        audiences = a.get("audiences", ())
        opts = with_depends_on(opts, [*namespace_deps])
        if not issuer:
            raise ValueError(f"IstioJwtAuthentication {name}: issuer is empty: allowed the token issuer (iss)")
        if not jwks_uri.startswith("https://"):
            raise ValueError(f"IstioJwtAuthentication {name}: jwks_uri = {jwks_uri!r}: allowed an https:// URL")
        super().__init__("llmd:platform:IstioJwtAuthentication", name, None, opts)
        child = child_options(self, opts)
        self.request_authentication = k8s_object(
            f"{name}-jwt",
            request_authentication(
                f"{name}-jwt",
                namespace=namespace,
                gateway=name,
                issuer=issuer,
                jwks_uri=jwks_uri,
                audiences=audiences,
            ),
            child,
        )
        self.authorization_policy = k8s_object(
            f"{name}-require-jwt",
            require_jwt_policy(f"{name}-require-jwt", namespace=namespace, gateway=name, issuer=issuer),
            child,
        )
        self.register_outputs({"issuer": issuer})
