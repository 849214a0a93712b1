"""Default-deny NetworkPolicies for the stack namespace, and one allow per flow llm-d's serving paths need.

Every stack namespace gets ``default-deny`` (``podSelector: {}``, ``policyTypes: [Ingress, Egress]``, no rules: a pod
selected by a policy of a type is isolated for that type, Kubernetes "Network Policies") and then only named allows,
each with the reason in the annotation ``llm-d.ai/why``:

* ``allow-dns`` (every pod): egress UDP+TCP 53 to the cluster DNS pods (``kube-system``, ``k8s-app: kube-dns``: the
  label of GKE's kube-dns, EKS's CoreDNS and kind's CoreDNS). GKE Dataplane V2 and the EKS network policy agent judge
  a Service's traffic after it is translated to the backend pod (GKE "FQDN network policies": "GKE translates the
  Service virtual IP address to backend Pod IP addresses before evaluating network policy rules"), so the pod
  selector covers the ``kube-dns`` Service IP. A NodeLocal DNSCache (169.254.20.10, host network: not
  pod-selectable, kubernetes/cluster/addons/dns/nodelocaldns README) is not enabled by this library; pass
  ``dns_cidrs`` if a cluster runs one.
* ``<gateway>-proxy`` (Istio / agentgateway only: their controllers run one proxy Deployment per Gateway in the
  Gateway's namespace, pods labelled ``gateway.networking.k8s.io/gateway-name: <gateway>`` as Gateway API GEP-1762
  asks): ingress on the listener ports from anywhere (the load balancer in front of it; on EKS/kind its traffic
  arrives from node addresses or the client's) and egress to its control plane for configuration: istiod xDS
  ``istio-system``:15012 (Istio "Ports used by Istio"), agentgateway's controller xDS ``agentgateway-system``:9978
  (kgateway ``AgentgatewayXdsServicePort`` default 9978, the ``grpc-xds-agw`` Service port).
* Per model (:func:`serving_network_policies`): ``<m>-modelserver`` / ``<m>-epp`` (ingress: the gateway, the picker,
  monitoring, peers), ``<m>-modelserver-egress`` (Hugging Face, peers), ``<m>-epp-egress`` (the Kubernetes API
  server, the model servers, the tokenizer render pods), ``<m>-gateway-egress`` (in-cluster gateway proxies to the
  picker's ext_proc port and the model servers) and ``<m>-render-egress`` (the render pods' Hugging Face download).

What NetworkPolicy cannot express, and how it is handled:

* Hugging Face by name: NetworkPolicy has no FQDN peers. Model servers (and render pods) get TCP 443 to every address
  except the private, shared and link-local ranges (:data:`NON_PUBLIC_RANGES`; the link-local one keeps the node's
  metadata server out of reach). GKE ``FQDNNetworkPolicy`` or EKS application network policies can narrow it to
  ``huggingface.co`` / ``*.hf.co`` where a cluster has them.
* The Kubernetes API server is not a pod: the picker's egress names it by address, ``api_server_cidrs`` on
  ``api_server_ports`` (the caller decides per cloud, ``blueprints/deploy.py`` ``_api_server``: the GKE private
  endpoint's ``masterIpv4CidrBlock``, the EKS VPC whose subnets hold the control plane's ENIs, the private ranges on
  443/6443 for an existing cluster, otherwise - a GKE public endpoint, an existing VPC - every address on 443).
* GKE's gke-l7 load balancers reach pods from the proxy-only subnet and Google's health checkers (Cloud Load
  Balancing "Health check firewall rules": ``35.191.0.0/16``, ``130.211.0.0/22``): ``gateway_cidrs``. Kubelet probes
  are not subject to NetworkPolicy. GKE Dataplane V2 (``ADVANCED_DATAPATH``) enforces all of this; on EKS the vpc-cni
  network policy agent must be on; kind's kindnet enforces NetworkPolicies since kind v0.24.
* Aggregated API servers (GKE's custom-metrics adapter, :func:`api_extension_network_policies`) are called by the
  API server, which on GKE reaches the cluster through the Konnectivity agents in ``kube-system``.

Not covered: ACME HTTP-01 solver pods (an external ClusterIssuer issuing the gateway certificate over HTTP-01 would
need an allow from the gateway to the solver); the self-signed and GKE Certificate Manager paths need none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on

#: Namespace of GKE Managed Prometheus' collectors (they scrape the PodMonitorings' targets).
GMP_NAMESPACE: Final = "gmp-system"
#: The annotation every policy carries: why the flows it allows are needed.
WHY_ANNOTATION: Final = "llm-d.ai/why"
#: Name of the namespace-wide default-deny policy.
DEFAULT_DENY: Final = "default-deny"
#: Name of the namespace-wide DNS allow.
ALLOW_DNS: Final = "allow-dns"
#: Labels of the cluster DNS pods in ``kube-system`` (GKE kube-dns, EKS CoreDNS, kind CoreDNS).
KUBE_DNS_LABELS: Final = {"k8s-app": "kube-dns"}
KUBE_SYSTEM: Final = "kube-system"
DNS_PORT: Final = 53
#: The label a Gateway's in-cluster proxy pods carry (Gateway API GEP-1762; Istio and agentgateway set it).
GATEWAY_NAME_LABEL: Final = "gateway.networking.k8s.io/gateway-name"
#: Hugging Face Hub downloads (``huggingface.co``, its CDN and Xet storage): HTTPS.
HTTPS_PORT: Final = 443
#: Addresses that are not the public internet: RFC 1918, shared address space (RFC 6598), link-local (the node's
#: metadata server, 169.254.169.254) and loopback. Excepted from the Hugging Face egress.
NON_PUBLIC_RANGES: Final = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
)
#: Istio's proxy status port: the readiness endpoint cloud load balancers health-check (Istio "Ports used by Istio":
#: 15021 "Health checks"); the proxy policy admits it beside the listener ports.
ISTIO_STATUS_PORT: Final = 15021
#: The private address ranges (RFC 1918): where an existing cluster's API server is assumed to be.
PRIVATE_RANGES: Final = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
#: Control planes of the in-cluster gateways: (namespace, pod labels or None for any pod there, xDS port).
ISTIOD: Final = ("istio-system", {"app": "istiod"}, 15012)
AGENTGATEWAY_CONTROLLER: Final = ("agentgateway-system", None, 9978)
_CONTROL_PLANES: Final[dict[str, tuple[str, dict[str, str] | None, int]]] = {
    "istio": ISTIOD,
    "agentgateway": AGENTGATEWAY_CONTROLLER,
}


def _ports(ports: Sequence[int], protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": p} for p in dict.fromkeys(ports)]


def _namespaces(names: Sequence[str]) -> list[dict[str, Any]]:
    return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}} for n in names]


def _pods(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": dict(labels)}}


def _check_cidrs(owner: str, cidrs: Sequence[str]) -> None:
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr)
        except ValueError:
            raise ValueError(f"{owner}: {cidr!r} is not a CIDR") from None


def _policy(
    name: str,
    namespace: str,
    why: str,
    selector: Mapping[str, str],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
    deny: bool = False,
) -> dict[str, Any]:
    """A policy for ``selector`` (empty: every pod); a direction given rules (or every direction with ``deny``) is
    in ``policyTypes``. Empty rule lists are left out: a listed direction without rules allows nothing."""
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if deny or rules is not None]
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(selector)} if selector else {}, "policyTypes": types}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "annotations": {WHY_ANNOTATION: why}},
        "spec": spec,
    }


def public_https_egress() -> dict[str, Any]:
    """One egress rule: TCP 443 to every address outside :data:`NON_PUBLIC_RANGES` (Hugging Face by address)."""
    return {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_RANGES)}}],
        "ports": _ports([HTTPS_PORT]),
    }


def namespace_network_policies(
    namespace: str,
    *,
    gateway: str | None = None,
    gateway_implementation: str | None = None,
    listener_ports: Sequence[int] = (),
    dns_cidrs: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The namespace-wide NetworkPolicies (pure function): ``default-deny``, ``allow-dns`` and, for an in-cluster
    gateway (``gateway_implementation`` ``istio`` or ``agentgateway``), ``<gateway>-proxy``.

    Raises ValueError for a CIDR that does not parse, an unknown gateway implementation, or an in-cluster gateway
    without a name or listener ports.

    Args:
        namespace: The namespace the policies apply to.
        gateway: The in-cluster Gateway's name (names the ``<gateway>-proxy`` policy). Default: None (no in-cluster
            gateway).
        gateway_implementation: ``istio`` or ``agentgateway`` for an in-cluster gateway. Default: None (none, e.g.
            GKE's managed gateway).
        listener_ports: The Gateway's listener ports (the proxy pods listen on them). Default: none.
        dns_cidrs: DNS servers outside the cluster's pods (e.g. ``169.254.20.10/32`` for NodeLocal DNSCache).
            Default: none.
    """
    _check_cidrs(f"NetworkPolicy {ALLOW_DNS}", dns_cidrs)
    dns_ports = [*_ports([DNS_PORT], "UDP"), *_ports([DNS_PORT], "TCP")]
    dns_peers: list[dict[str, Any]] = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": KUBE_SYSTEM}},
            "podSelector": {"matchLabels": dict(KUBE_DNS_LABELS)},
        },
        *({"ipBlock": {"cidr": c}} for c in dns_cidrs),
    ]
    out = [
        _policy(
            DEFAULT_DENY,
            namespace,
            "default deny: every pod of the namespace is isolated for ingress and egress; the allow-* and per-model "
            "policies open only the flows serving needs",
            {},
            deny=True,
        ),
        _policy(
            ALLOW_DNS,
            namespace,
            "every pod resolves names (Services, huggingface.co) through the cluster DNS in kube-system",
            {},
            egress=[{"to": dns_peers, "ports": dns_ports}],
        ),
    ]
    if gateway_implementation is None:
        return out
    if gateway_implementation not in _CONTROL_PLANES:
        raise ValueError(
            f"NetworkPolicy for gateway {gateway!r}: implementation {gateway_implementation!r} is not one of "
            f"{', '.join(_CONTROL_PLANES)}"
        )
    if not gateway or not listener_ports:
        raise ValueError(f"NetworkPolicy for gateway {gateway!r}: a gateway name and listener ports are needed")
    cp_namespace, cp_labels, cp_port = _CONTROL_PLANES[gateway_implementation]
    inbound = sorted({*listener_ports, *((ISTIO_STATUS_PORT,) if gateway_implementation == "istio" else ())})
    control_plane: dict[str, Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": cp_namespace}}
    }
    if cp_labels:
        control_plane["podSelector"] = {"matchLabels": dict(cp_labels)}
    out.append(
        _policy(
            f"{gateway}-proxy",
            namespace,
            f"the {gateway_implementation} proxy of Gateway {gateway} accepts clients from its load balancer on the "
            f"ports {inbound} (listeners, health checks) and fetches its configuration from "
            f"{cp_namespace}:{cp_port} (xDS)",
            {GATEWAY_NAME_LABEL: gateway},
            ingress=[{"ports": _ports(inbound)}],
            egress=[{"to": [control_plane], "ports": _ports([cp_port])}],
        )
    )
    return out


#: GKE metadata server for Workload Identity (GKE "Workload Identity Federation for GKE": with network policies allow
#: egress to 169.254.169.252/32 port 988, and on Dataplane V2 to 169.254.169.254/32 port 80).
GKE_METADATA_EGRESS: Final = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
#: GKE routes control-plane -> cluster traffic (webhooks, aggregated APIs) through the Konnectivity agents.
KONNECTIVITY_AGENT: Final = (KUBE_SYSTEM, {"k8s-app": "konnectivity-agent"})


def api_extension_network_policies(
    namespace: str,
    *,
    name: str,
    pod_labels: Mapping[str, str],
    port: int,
    api_server_cidrs: Sequence[str],
    api_server_ports: Sequence[int] = (443,),
    control_plane_cidrs: Sequence[str] = (),
    workload_identity: bool = True,
) -> list[dict[str, Any]]:
    """NetworkPolicies of a namespace that runs one aggregated API server (pure function), e.g. GKE's
    custom-metrics Stackdriver adapter: ``default-deny``, ``allow-dns`` and ``<name>``.

    ``<name>`` admits the Kubernetes API server on ``port`` (the APIService's backend): from the Konnectivity agents
    in ``kube-system`` (``k8s-app: konnectivity-agent``, through which GKE's control plane reaches the cluster) and
    from ``control_plane_cidrs`` (a private control plane's range); and lets the pods reach the API server
    (``api_server_cidrs`` on ``api_server_ports``: delegated authentication and authorization), Google APIs over
    HTTPS (:func:`public_https_egress`) and, with ``workload_identity``, the GKE metadata server
    (:data:`GKE_METADATA_EGRESS`).

    Raises ValueError for a CIDR that does not parse or empty pod labels.

    Args:
        api_server_ports: The API server's ports. Default: ``(443,)``.
        control_plane_cidrs: A private control plane's range, allowed in on ``port``. Default: none.
        workload_identity: Allow egress to the GKE metadata server (Workload Identity). Default: True.
    """
    _check_cidrs(f"NetworkPolicy {name}", [*api_server_cidrs, *control_plane_cidrs])
    if not pod_labels:
        raise ValueError(f"NetworkPolicy {name}: pod labels must not be empty")
    agent_ns, agent_labels = KONNECTIVITY_AGENT
    sources: list[dict[str, Any]] = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": agent_ns}},
            "podSelector": {"matchLabels": dict(agent_labels)},
        },
        *({"ipBlock": {"cidr": c}} for c in control_plane_cidrs),
    ]
    egress: list[dict[str, Any]] = [
        {"to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs], "ports": _ports(api_server_ports)},
        public_https_egress(),
    ]
    if workload_identity:
        egress += [{"to": [{"ipBlock": {"cidr": c}}], "ports": _ports([p])} for c, p in GKE_METADATA_EGRESS]
    return [
        *namespace_network_policies(namespace),
        _policy(
            name,
            namespace,
            f"the Kubernetes API server calls {name} (an aggregated API) on {port}; {name} checks its callers with the "
            "API server, reads Google APIs over HTTPS and gets its Workload Identity token from the metadata server",
            pod_labels,
            ingress=[{"from": sources, "ports": _ports([port])}],
            egress=egress,
        ),
    ]


class ApiExtensionNetworkPoliciesArgs(TypedDict, total=False):
    """The arguments of :class:`ApiExtensionNetworkPolicies` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    pod_labels: Required[Mapping[str, str]]
    """Labels of the aggregated API server's pods (not empty)."""
    port: Required[int]
    """The port the API server calls the pods on (the APIService's backend)."""
    api_server_cidrs: Required[Sequence[str]]
    """Where the Kubernetes API server is (CIDRs) for the pods' delegated authentication."""
    api_server_ports: Sequence[int]
    """The API server's ports. Default: ``(443,)``."""
    control_plane_cidrs: Sequence[str]
    """A private control plane's range, allowed in on ``port``. Default: none."""
    workload_identity: bool
    """Allow egress to the GKE metadata server (Workload Identity). Default: True."""


class ApiExtensionNetworkPolicies(pulumi.ComponentResource):
    """The NetworkPolicies of an aggregated API server's namespace (see :func:`api_extension_network_policies`).

    Type token ``llmd:platform:ApiExtensionNetworkPolicies``. Arguments: :class:`ApiExtensionNetworkPoliciesArgs`.
    Outputs: ``names``.
    """

    @overload
    def __init__(
        self, name: str, args: ApiExtensionNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ApiExtensionNetworkPoliciesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ApiExtensionNetworkPoliciesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ApiExtensionNetworkPoliciesArgs, "ApiExtensionNetworkPolicies", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "ApiExtensionNetworkPolicies", "namespace")
        pod_labels = a["pod_labels"]
        port = a["port"]
        api_server_cidrs = a["api_server_cidrs"]
        api_server_ports = a.get("api_server_ports", (443,))
        control_plane_cidrs = a.get("control_plane_cidrs", ())
        workload_identity = a.get("workload_identity", True)
        opts = with_depends_on(opts, [*namespace_deps])
        manifests = api_extension_network_policies(
            namespace,
            name=name,
            pod_labels=pod_labels,
            port=port,
            api_server_cidrs=api_server_cidrs,
            api_server_ports=api_server_ports,
            control_plane_cidrs=control_plane_cidrs,
            workload_identity=workload_identity,
        )
        super().__init__("llmd:platform:ApiExtensionNetworkPolicies", name, None, opts)
        self.names = _register_policies(self, manifests, prefix=f"{namespace}-", opts=opts)


def serving_network_policies(
    *,
    name: str,
    namespace: str,
    model_server_labels: Mapping[str, str],
    model_server_port: int,
    picker_labels: Mapping[str, str],
    picker_ports: Sequence[int],
    picker_metrics_port: int,
    gateway_cidrs: Sequence[str] = (),
    monitoring_namespaces: Sequence[str] = (GMP_NAMESPACE,),
    gateway_pod_labels: Mapping[str, str] | None = None,
    extra_model_server_ports: Sequence[int] = (),
    peer_ports: Sequence[int] | Literal["all"] = (),
    picker_to_server_ports: Sequence[int] = (),
    api_server_cidrs: Sequence[str] = ("0.0.0.0/0",),
    api_server_ports: Sequence[int] = (443,),
    hugging_face: bool = True,
    render_labels: Mapping[str, str] | None = None,
    render_port: int | None = None,
) -> list[dict[str, Any]]:
    """One model's ``networking.k8s.io/v1`` NetworkPolicies (pure function), to sit beside ``default-deny``.

    Ingress (as before): ``<name>-modelserver`` - model servers accept ``model_server_port`` (and
    ``extra_model_server_ports``, e.g. decode vLLM on 8200 behind the P/D sidecar) from the gateway, from the endpoint
    picker (it scrapes ``/metrics``; plus ``picker_to_server_ports``, e.g. KV events on 5556) and from
    ``monitoring_namespaces``, and ``peer_ports`` from each other (``"all"``: every port, for engines that open
    dynamic ports between their pods: NIXL/UCX over TCP, vLLM data-parallel groups, NCCL/NVSHMEM bootstrap);
    ``<name>-epp`` - the picker accepts ``picker_ports`` (ext_proc, gRPC health) from the gateway and
    ``picker_metrics_port`` from monitoring.

    Egress: ``<name>-modelserver-egress`` - TCP 443 to public addresses when ``hugging_face`` (weights download) and
    ``peer_ports`` to each other; ``<name>-epp-egress`` - the Kubernetes API server (``api_server_cidrs`` on
    ``api_server_ports``: the picker watches pods and its InferencePool), the model servers on the ports it may
    reach, and the render pods (``render_labels`` on ``render_port``, precise prefix-cache routing's tokenizer);
    ``<name>-gateway-egress`` (with ``gateway_pod_labels``) - the in-cluster gateway proxies to the picker's
    ``picker_ports`` and the model servers' ports; ``<name>-render-egress`` (with ``render_labels``) - the render
    pods' Hugging Face download (tokenizer and config).

    Gateway traffic comes from ``gateway_cidrs`` (GKE: the proxy-only subnet and Google's health checkers) and/or
    in-cluster proxy pods labelled ``gateway_pod_labels`` (Istio, agentgateway).

    Raises ValueError for neither gateway CIDRs nor gateway pod labels, a CIDR that does not parse, empty label
    selectors, or render labels without a render port.

    Args:
        gateway_cidrs: Where gateway traffic comes from. Default: none (then ``gateway_pod_labels`` is required).
        monitoring_namespaces: Namespaces that scrape metrics. Default: ``GMP_NAMESPACE`` ("gmp-system", GKE Managed
            Prometheus).
        gateway_pod_labels: Labels of in-cluster gateway proxy pods. Default: None.
        extra_model_server_ports: More model-server ports reachable from the gateway and picker. Default: none.
        peer_ports: Ports model servers reach each other on, or ``"all"``. Default: none.
        picker_to_server_ports: More ports the picker reaches on the servers. Default: none.
        api_server_cidrs: Where the Kubernetes API server is, for the picker. Default: ``("0.0.0.0/0",)``.
        api_server_ports: The API server's ports. Default: ``(443,)``.
        hugging_face: Allow the model servers HTTPS to public addresses (weights download). Default: True.
        render_labels: Labels of the tokenizer render pods. Default: None (no render pods).
        render_port: The render pods' port (required with ``render_labels``). Default: None.
    """
    if not gateway_cidrs and not gateway_pod_labels:
        raise ValueError(
            f"NetworkPolicies {name}: gateway_cidrs or gateway_pod_labels must name where gateway traffic comes from"
        )
    _check_cidrs(f"NetworkPolicies {name}: gateway CIDR", gateway_cidrs)
    _check_cidrs(f"NetworkPolicies {name}: API server CIDR", api_server_cidrs)
    if not model_server_labels or not picker_labels:
        raise ValueError(f"NetworkPolicies {name}: model-server and picker labels must not be empty")
    if render_labels is not None and (not render_labels or render_port is None):
        raise ValueError(f"NetworkPolicies {name}: render labels must not be empty and need a render port")
    gateway: list[dict[str, Any]] = [{"ipBlock": {"cidr": c}} for c in gateway_cidrs]
    if gateway_pod_labels:
        gateway.append(_pods(gateway_pod_labels))
    serving = [model_server_port, *extra_model_server_ports]
    servers = [_pods(model_server_labels)]
    pickers = [_pods(picker_labels)]
    server_ingress: list[dict[str, Any]] = [
        {"from": gateway, "ports": _ports(serving)},
        {"from": pickers, "ports": _ports([*serving, *picker_to_server_ports])},
        {"from": _namespaces(monitoring_namespaces), "ports": _ports(serving)},
    ]
    server_egress: list[dict[str, Any]] = [public_https_egress()] if hugging_face else []
    if peer_ports:
        peer_in: dict[str, Any] = {"from": servers}
        peer_out: dict[str, Any] = {"to": servers}
        if peer_ports != "all":
            peer_in["ports"] = peer_out["ports"] = _ports(peer_ports)
        server_ingress.append(peer_in)
        server_egress.append(peer_out)
    picker_egress: list[dict[str, Any]] = [
        {"to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs], "ports": _ports(api_server_ports)},
        {"to": servers, "ports": _ports([*serving, *picker_to_server_ports])},
    ]
    if render_labels and render_port is not None:
        picker_egress.append({"to": [_pods(render_labels)], "ports": _ports([render_port])})
    if peer_ports == "all":
        peers_why = "; every port between the model's pods (dynamic NIXL/UCX, vLLM data-parallel and NCCL ports)"
    elif peer_ports:
        peers_why = f"; ports {list(peer_ports)} between the model's pods (P/D: vLLM and the NIXL side channel)"
    else:
        peers_why = ""
    out = [
        _policy(
            f"{name}-modelserver",
            namespace,
            f"model servers of {name} accept requests from the gateway, the endpoint picker (metrics"
            + (", KV events" if picker_to_server_ports else "")
            + ") and metrics scrapes from "
            + ", ".join(monitoring_namespaces)
            + peers_why,
            model_server_labels,
            ingress=server_ingress,
        ),
        _policy(
            f"{name}-epp",
            namespace,
            f"the endpoint picker of {name} accepts ext_proc calls from the gateway and metrics scrapes from "
            + ", ".join(monitoring_namespaces),
            picker_labels,
            ingress=[
                {"from": gateway, "ports": _ports(picker_ports)},
                {"from": _namespaces(monitoring_namespaces), "ports": _ports([picker_metrics_port])},
            ],
        ),
        _policy(
            f"{name}-epp-egress",
            namespace,
            f"the endpoint picker of {name} watches pods and its InferencePool on the Kubernetes API server, scrapes "
            "the model servers' metrics" + (" and tokenizes through the render pods" if render_labels else ""),
            picker_labels,
            egress=picker_egress,
        ),
    ]
    if server_egress:
        out.append(
            _policy(
                f"{name}-modelserver-egress",
                namespace,
                f"model servers of {name}"
                + (" download weights from Hugging Face (HTTPS to public addresses)" if hugging_face else "")
                + (" and " if hugging_face and peer_ports else "")
                + (" exchange KV caches and coordinate with each other" if peer_ports else ""),
                model_server_labels,
                egress=server_egress,
            )
        )
    if gateway_pod_labels:
        out.append(
            _policy(
                f"{name}-gateway-egress",
                namespace,
                f"the gateway proxies call the endpoint picker of {name} (ext_proc) and forward requests to its "
                "model servers",
                gateway_pod_labels,
                egress=[{"to": pickers, "ports": _ports(picker_ports)}, {"to": servers, "ports": _ports(serving)}],
            )
        )
    if render_labels and hugging_face:
        out.append(
            _policy(
                f"{name}-render-egress",
                namespace,
                f"the tokenizer render pods of {name} download the model's tokenizer and config from Hugging Face",
                render_labels,
                egress=[public_https_egress()],
            )
        )
    return out


class StackNetworkPoliciesArgs(TypedDict, total=False):
    """The arguments of :class:`StackNetworkPolicies` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    gateway: str | None
    """The in-cluster Gateway's name (names the ``<gateway>-proxy`` policy). Default: None (no in-cluster
    gateway)."""
    gateway_implementation: str | None
    """``istio`` or ``agentgateway`` for an in-cluster gateway. Default: None (none, e.g.
    GKE's managed gateway)."""
    listener_ports: Sequence[int]
    """The Gateway's listener ports (the proxy pods listen on them). Default: none."""
    dns_cidrs: Sequence[str]
    """DNS servers outside the cluster's pods (e.g. ``169.254.20.10/32`` for NodeLocal DNSCache).
    Default: none."""


class StackNetworkPolicies(pulumi.ComponentResource):
    """The namespace-wide NetworkPolicies (see :func:`namespace_network_policies` for shapes and errors).

    Type token ``llmd:platform:StackNetworkPolicies``. Arguments: :class:`StackNetworkPoliciesArgs`.
    Outputs: ``names``.
    """

    @overload
    def __init__(
        self, name: str, args: StackNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[StackNetworkPoliciesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: StackNetworkPoliciesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(StackNetworkPoliciesArgs, "StackNetworkPolicies", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "StackNetworkPolicies", "namespace")
        gateway = a.get("gateway", None)
        gateway_implementation = a.get("gateway_implementation", None)
        listener_ports = a.get("listener_ports", ())
        dns_cidrs = a.get("dns_cidrs", ())
        opts = with_depends_on(opts, [*namespace_deps])
        manifests = namespace_network_policies(
            namespace,
            gateway=gateway,
            gateway_implementation=gateway_implementation,
            listener_ports=listener_ports,
            dns_cidrs=dns_cidrs,
        )
        super().__init__("llmd:platform:StackNetworkPolicies", name, None, opts)
        self.names = _register_policies(self, manifests, prefix=f"{namespace}-", opts=opts)


class ServingNetworkPoliciesArgs(TypedDict, total=False):
    """The arguments of :class:`ServingNetworkPolicies` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    model_server_labels: Required[Mapping[str, str]]
    """Labels of the model-server pods (``ModelServer.labels``)."""
    model_server_port: Required[int]
    """The model servers' serving port (8000)."""
    picker_labels: Required[Mapping[str, str]]
    """Labels of the endpoint-picker pods (``EndpointPicker.selector``)."""
    picker_ports: Required[Sequence[int]]
    """The picker's ext_proc and gRPC health ports the gateway reaches."""
    picker_metrics_port: Required[int]
    """The picker's metrics port monitoring scrapes."""
    gateway_cidrs: Sequence[str]
    """Where gateway traffic comes from (GKE: the proxy-only subnet and Google's health checkers).
    Default: none (then ``gateway_pod_labels`` is required)."""
    monitoring_namespaces: Sequence[str]
    """Namespaces that scrape metrics. Default: ``("gmp-system",)`` (GKE Managed Prometheus)."""
    gateway_pod_labels: Mapping[str, str] | None
    """Labels of in-cluster gateway proxy pods (Istio, agentgateway). Default: None."""
    extra_model_server_ports: Sequence[int]
    """More model-server ports reachable from the gateway and picker (e.g. decode vLLM on
    8200 behind the P/D sidecar). Default: none."""
    peer_ports: Sequence[int] | Literal["all"]
    """Ports model servers reach each other on (``"all"``: every port, for NIXL/UCX over TCP, DP groups,
    NCCL bootstrap). Default: none."""
    picker_to_server_ports: Sequence[int]
    """More ports the picker reaches on the servers (e.g. KV events 5556). Default: none."""
    api_server_cidrs: Sequence[str]
    """Where the Kubernetes API server is, for the picker. Default: ``("0.0.0.0/0",)``."""
    api_server_ports: Sequence[int]
    """The API server's ports. Default: ``(443,)``."""
    hugging_face: bool
    """Allow the model servers HTTPS to public addresses (weights download). Default: True."""
    render_labels: Mapping[str, str] | None
    """Labels of the tokenizer render pods (precise prefix-cache routing). Default: None."""
    render_port: int | None
    """The render pods' port (required with ``render_labels``). Default: None."""


class ServingNetworkPolicies(pulumi.ComponentResource):
    """The NetworkPolicies of one model's serving path (see :func:`serving_network_policies` for shapes and errors).

    Type token ``llmd:platform:ServingNetworkPolicies``. Arguments: :class:`ServingNetworkPoliciesArgs`.
    Outputs: ``names`` (the policies).
    """

    @overload
    def __init__(
        self, name: str, args: ServingNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ServingNetworkPoliciesArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: ServingNetworkPoliciesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(ServingNetworkPoliciesArgs, "ServingNetworkPolicies", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "ServingNetworkPolicies", "namespace")
        model_server_labels = a["model_server_labels"]
        model_server_port = a["model_server_port"]
        picker_labels = a["picker_labels"]
        picker_ports = a["picker_ports"]
        picker_metrics_port = a["picker_metrics_port"]
        gateway_cidrs = a.get("gateway_cidrs", ())
        monitoring_namespaces = a.get("monitoring_namespaces", (GMP_NAMESPACE,))
        gateway_pod_labels = a.get("gateway_pod_labels", None)
        extra_model_server_ports = a.get("extra_model_server_ports", ())
        peer_ports = a.get("peer_ports", ())
        picker_to_server_ports = a.get("picker_to_server_ports", ())
        api_server_cidrs = a.get("api_server_cidrs", ("0.0.0.0/0",))
        api_server_ports = a.get("api_server_ports", (443,))
        hugging_face = a.get("hugging_face", True)
        render_labels = a.get("render_labels", None)
        render_port = a.get("render_port", None)
        opts = with_depends_on(opts, [*namespace_deps])
        manifests = serving_network_policies(
            name=name,
            namespace=namespace,
            model_server_labels=model_server_labels,
            model_server_port=model_server_port,
            picker_labels=picker_labels,
            picker_ports=picker_ports,
            picker_metrics_port=picker_metrics_port,
            gateway_cidrs=gateway_cidrs,
            monitoring_namespaces=monitoring_namespaces,
            gateway_pod_labels=gateway_pod_labels,
            extra_model_server_ports=extra_model_server_ports,
            peer_ports=peer_ports,
            picker_to_server_ports=picker_to_server_ports,
            api_server_cidrs=api_server_cidrs,
            api_server_ports=api_server_ports,
            hugging_face=hugging_face,
            render_labels=render_labels,
            render_port=render_port,
        )
        super().__init__("llmd:platform:ServingNetworkPolicies", name, None, opts)
        self.names = _register_policies(self, manifests, prefix="", opts=opts)


def _register_policies(
    component: pulumi.ComponentResource,
    manifests: list[dict[str, Any]],
    *,
    prefix: str,
    opts: pulumi.ResourceOptions | None,
) -> list[str]:
    """Register ``manifests`` (NetworkPolicies) as children of ``component`` (resource names
    ``<prefix><policy>-networkpolicy``), register its outputs, and return the policy names."""
    child = child_options(component, opts)
    for manifest in manifests:
        k8s_object(f"{prefix}{manifest['metadata']['name']}-networkpolicy", manifest, child)
    names = [m["metadata"]["name"] for m in manifests]
    component.register_outputs({"names": names})
    return names
