"""NetworkPolicies that let only the gateway (plus the endpoint picker and monitoring) reach llm-d's pods.

Cloud-agnostic: the caller says where gateway traffic comes from. On GKE the regional Application Load Balancer
behind the Inference Gateway reaches pods from its proxy-only subnet (``cluster.network.proxyOnlyCidr``) and
Google's health checkers from ``35.191.0.0/16`` and ``130.211.0.0/22`` (Cloud Load Balancing docs); an in-cluster
gateway (Istio, agentgateway) would be named by namespace instead. Kubelet probes are not subject to
NetworkPolicy. GKE Dataplane V2 (``ADVANCED_DATAPATH``) enforces them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi

from pulumi_llmd.components.kube import child_options, k8s_object

#: Namespace of GKE Managed Prometheus' collectors (they scrape the PodMonitorings' targets).
GMP_NAMESPACE = "gmp-system"


def _ports(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def _namespaces(names: Sequence[str]) -> list[dict[str, Any]]:
    return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}} for n in names]


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
) -> list[dict[str, Any]]:
    """Two ``networking.k8s.io/v1`` NetworkPolicies (pure function): ``<name>-modelserver`` and ``<name>-epp``.

    Gateway traffic comes from ``gateway_cidrs`` (GKE: the proxy-only subnet and Google's health checkers) and/or
    from in-cluster gateway proxy pods labelled ``gateway_pod_labels`` in the same namespace (Istio, agentgateway:
    ``gateway.networking.k8s.io/gateway-name: <gateway>``).
    Model servers accept ``model_server_port`` from the gateway, from the endpoint picker (it scrapes their
    ``/metrics``) and from ``monitoring_namespaces``; the picker accepts ``picker_ports`` (ext-proc, gRPC health)
    from ``gateway_cidrs`` and ``picker_metrics_port`` from ``monitoring_namespaces``. Everything else is denied.
    ``extra_model_server_ports`` are opened like ``model_server_port`` (e.g. decode vLLM on 8200 behind the P/D
    sidecar); ``peer_ports`` only between the selected model-server pods (``"all"``: every port, for engines that
    open dynamic ports between their pods: NIXL/UCX over TCP, vLLM data-parallel groups, NVSHMEM bootstrap);
    ``picker_to_server_ports`` only from the picker (precise prefix-cache routing: KV events on 5556).

    Raises ValueError for neither gateway CIDRs nor gateway pod labels, a CIDR that does not parse, or empty label
    selectors.
    """
    if not gateway_cidrs and not gateway_pod_labels:
        raise ValueError(
            f"NetworkPolicies {name}: gateway_cidrs or gateway_pod_labels must name where gateway traffic comes from"
        )
    for cidr in gateway_cidrs:
        try:
            ipaddress.ip_network(cidr)
        except ValueError:
            raise ValueError(f"NetworkPolicies {name}: gateway CIDR {cidr!r} is not a CIDR") from None
    if not model_server_labels or not picker_labels:
        raise ValueError(f"NetworkPolicies {name}: model-server and picker labels must not be empty")
    gateway: list[dict[str, Any]] = [{"ipBlock": {"cidr": c}} for c in gateway_cidrs]
    if gateway_pod_labels:
        gateway.append({"podSelector": {"matchLabels": dict(gateway_pod_labels)}})
    server_ports = _ports([model_server_port, *extra_model_server_ports])
    picker_pods = [{"podSelector": {"matchLabels": dict(picker_labels)}}]
    server_ingress: list[dict[str, Any]] = [
        {"from": gateway, "ports": server_ports},
        {"from": picker_pods, "ports": _ports([model_server_port, *extra_model_server_ports, *picker_to_server_ports])},
        {"from": _namespaces(monitoring_namespaces), "ports": server_ports},
    ]
    if peer_ports:
        peer_rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": dict(model_server_labels)}}]}
        if peer_ports != "all":
            peer_rule["ports"] = _ports(peer_ports)
        server_ingress.append(peer_rule)
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"{name}-modelserver", "namespace": namespace},
            "spec": {
                "podSelector": {"matchLabels": dict(model_server_labels)},
                "policyTypes": ["Ingress"],
                "ingress": server_ingress,
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"{name}-epp", "namespace": namespace},
            "spec": {
                "podSelector": {"matchLabels": dict(picker_labels)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": gateway, "ports": _ports(picker_ports)},
                    {"from": _namespaces(monitoring_namespaces), "ports": _ports([picker_metrics_port])},
                ],
            },
        },
    ]


class ServingNetworkPolicies(pulumi.ComponentResource):
    """The NetworkPolicies of one model's serving path (see :func:`serving_network_policies` for shapes and errors).

    Type token ``llmd:platform:ServingNetworkPolicies``. Outputs: ``names`` (the two policies).
    """

    def __init__(
        self,
        name: str,
        *,
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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
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
        )
        super().__init__("llmd:platform:ServingNetworkPolicies", name, None, opts)
        child = child_options(self, opts)
        for manifest in manifests:
            k8s_object(f"{manifest['metadata']['name']}-networkpolicy", manifest, child)
        self.names = [m["metadata"]["name"] for m in manifests]
        self.register_outputs({"names": self.names})
