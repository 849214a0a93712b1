"""NetworkPolicy semantics: what a rule admits, judged by the set of peers and addresses, not by its spelling.

Kubernetes ``networking.k8s.io/v1`` NetworkPolicy (kubernetes.io/docs/concepts/services-networking/network-policies,
API reference ``NetworkPolicyIngressRule`` / ``NetworkPolicyEgressRule`` / ``NetworkPolicyPeer``):

* a rule whose ``from`` / ``to`` is missing or empty admits **every** source / destination;
* a peer with only ``podSelector`` admits pods of the policy's own namespace; with only ``namespaceSelector``, every
  pod of the selected namespaces; with both, the selected pods of the selected namespaces; ``ipBlock`` admits
  ``cidr`` minus its ``except`` list;
* a rule with no ``ports`` admits every port;
* ``policyTypes`` defaults to ``Ingress`` plus ``Egress`` when the policy has egress rules; a pod is isolated in a
  direction when any policy selecting it has that type, and a policy of that type without rules denies everything.

Addresses are merged with :mod:`ipaddress` (``collapse_addresses``), so ``0.0.0.0/1`` + ``128.0.0.0/1`` or many
smaller pieces that together cover the whole space are "every address", and ``except`` lists are subtracted.

**When a label selector "selects everything".** A selector is an allow-list only if a pod (namespace) has to carry
something to match it. A selector that a pod with *no* labels matches - ``{}``, or only ``NotIn`` / ``DoesNotExist``
expressions - admits every pod that does not opt out (``DoesNotExist`` on a label no pod has admits every pod there
is, and every pod anyone creates later), so it is treated as selecting everything. ``Exists`` / ``In`` need a label
and are specific - except for a namespace selector on ``kubernetes.io/metadata.name``, which the API server sets on
every namespace (kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name): ``Exists`` (or
``NotIn``) on it selects every namespace. Each selector is judged against the label set every object is sure to
have: ``{}`` for pods, ``{kubernetes.io/metadata.name: <any>}`` for namespaces.

"Public" addresses are those outside the IANA special-purpose ranges (RFC 6890 and the IANA IPv4/IPv6
special-purpose address registries: private, shared, loopback, link-local, documentation, multicast, reserved).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_llmd.policies.graph import Graph, dig, items, mapping, selector_matches
from pulumi_llmd.policies.model import Resource

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The label the API server sets on every namespace (its name).
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
#: Labels Gateway API implementations put on the pods of a Gateway's data plane (Gateway API GEP-1762
#: "In-cluster Gateway deployments": ``gateway.networking.k8s.io/gateway-name``; Istio also sets
#: ``istio.io/gateway-name``).
GATEWAY_POD_LABELS: Final = ("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name")
#: Address ranges that are not public (IANA IPv4 / IPv6 special-purpose address registries).
NON_PUBLIC_RANGES: Final[tuple[Network, ...]] = tuple(
    ipaddress.ip_network(c)
    for c in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/8",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)
EVERY_ADDRESS: Final[tuple[Network, ...]] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
#: (protocol, port) of DNS.
DNS_PORTS: Final = frozenset({("UDP", 53), ("TCP", 53)})
#: (protocol, port) of HTTPS.
HTTPS_PORTS: Final = frozenset({("TCP", 443)})
#: Well-known named ports, as IANA service names (only what egress allows need).
_NAMED_PORTS: Final = {"dns": 53, "domain": 53, "dns-tcp": 53, "https": 443}


def collapse(networks: Iterable[Network]) -> list[Network]:
    """``networks`` merged into the fewest CIDRs (IPv4 first)."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def subtract(networks: Iterable[Network], removed: Iterable[Network]) -> list[Network]:
    """The addresses of ``networks`` that are in none of ``removed`` (merged).

    Memoized: a stack repeats the same few rules (Hugging Face egress, DNS, the proxy-only subnet) once per model,
    and address arithmetic with ``ipaddress`` is slow (64 models: 3 s uncached)."""
    return list(_subtract(tuple(networks), tuple(removed)))


@functools.lru_cache(maxsize=4096)
def _subtract(networks: tuple[Network, ...], removed: tuple[Network, ...]) -> tuple[Network, ...]:
    remaining = collapse(networks)
    for cut in removed:
        kept: list[Network] = []
        for net in remaining:
            if net.version != cut.version or not net.overlaps(cut):
                kept.append(net)
            elif net.subnet_of(cut):  # type: ignore[arg-type]
                continue
            else:
                kept.extend(net.address_exclude(cut))  # type: ignore[arg-type]
        remaining = collapse(kept)
    return tuple(remaining)


def parse_network(value: object) -> Network | None:
    """A CIDR (host bits allowed), or None when it does not parse."""
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def block_addresses(block: Mapping[str, Any]) -> list[Network]:
    """The addresses an ``ipBlock`` admits: ``cidr`` minus ``except`` (empty when ``cidr`` does not parse)."""
    cidr = parse_network(block.get("cidr"))
    if cidr is None:
        return []
    cuts = [n for n in (parse_network(e) for e in items(block.get("except"))) if n is not None]
    return subtract([cidr], cuts)


def covers_every_address(networks: Sequence[Network]) -> bool:
    """Whether ``networks`` (merged) contain all of IPv4 or all of IPv6."""
    return any(n in EVERY_ADDRESS for n in collapse(networks))


def public_addresses(networks: Iterable[Network], allowed: Iterable[Network] = ()) -> list[Network]:
    """The public part of ``networks`` that is not in ``allowed`` (empty when they only name private ranges)."""
    return subtract(networks, [*NON_PUBLIC_RANGES, *allowed])


def selects_every_pod(selector: Any) -> bool:
    """Whether a pod label selector admits every pod that does not opt out (a pod without labels matches it)."""
    return isinstance(selector, Mapping) and selector_matches(selector, {})


def selects_every_namespace(selector: Any) -> bool:
    """Whether a namespace selector admits every namespace (one with only its name label matches it)."""
    return isinstance(selector, Mapping) and selector_matches(selector, {NAMESPACE_NAME_LABEL: "\x00any namespace"})


def selects_strictly_all(selector: Any) -> bool:
    """Whether a pod selector has no requirement at all (``{}``): it selects every pod, with no exception."""
    return (
        isinstance(selector, Mapping)
        and not mapping(selector.get("matchLabels"))
        and not items(selector.get("matchExpressions"))
    )


@dataclass(frozen=True)
class Admitted:
    """What one rule admits: ``everything`` (no peers), the merged ``addresses`` of its ipBlocks, and whether a
    peer admits ``every_pod`` of every namespace."""

    everything: bool
    addresses: tuple[Network, ...]
    every_pod: bool


def rule_admits(rule: Mapping[str, Any], direction: str) -> Admitted:
    """What an ingress (``direction="from"``) or egress (``"to"``) rule admits."""
    peers = [mapping(p) for p in items(rule.get(direction))]
    if not peers:
        return Admitted(True, EVERY_ADDRESS, True)
    addresses: list[Network] = []
    every_pod = False
    for peer in peers:
        block = peer.get("ipBlock")
        if isinstance(block, Mapping):
            addresses += block_addresses(block)
            continue
        pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
        if pods is None and namespaces is None:
            return Admitted(True, EVERY_ADDRESS, True)  # an empty peer: rejected by the API server, read as "all"
        if namespaces is not None and selects_every_namespace(namespaces) and (pods is None or selects_every_pod(pods)):
            every_pod = True
    return Admitted(False, tuple(collapse(addresses)), every_pod)


def _port_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def rule_ports(rule: Mapping[str, Any]) -> list[tuple[str, int | None, int | None]] | None:
    """``(protocol, port, endPort)`` of each port of a rule; None when it has no ports (every port). Named ports
    other than dns/https and missing port numbers read as ``None`` (any port)."""
    ports = [mapping(p) for p in items(rule.get("ports"))]
    if not ports:
        return None
    found: list[tuple[str, int | None, int | None]] = []
    for port in ports:
        protocol = str(port.get("protocol") or "TCP").upper()
        value = port.get("port")
        number: int | None
        number = _port_number(value)
        if number is None and isinstance(value, str):
            number = _NAMED_PORTS.get(value.lower())
        found.append((protocol, number, _port_number(port.get("endPort"))))
    return found


def ports_within(ports: list[tuple[str, int | None, int | None]] | None, allowed: frozenset[tuple[str, int]]) -> bool:
    """Whether every port of a rule is one of ``allowed`` (a rule without ports admits every port: False)."""
    if ports is None:
        return False
    return all(
        number is not None and (end is None or end == number) and (protocol, number) in allowed
        for protocol, number, end in ports
    )


def describe_ports(ports: list[tuple[str, int | None, int | None]] | None) -> str:
    """``every port`` or ``TCP 443, UDP 53`` for messages."""
    if ports is None:
        return "every port"
    return ", ".join(
        f"{protocol} {number if number is not None else 'any'}{f'-{end}' if end else ''}"
        for protocol, number, end in ports
    )


def policy_types(policy: Resource) -> set[str]:
    """The effective ``policyTypes``: as given, else ``Ingress`` plus ``Egress`` when egress rules are present."""
    given = [str(t) for t in items(dig(policy.props, "spec", "policyTypes"))]
    if given:
        return set(given)
    found = {"Ingress"}
    if items(dig(policy.props, "spec", "egress")):
        found.add("Egress")
    return found


def selects_only_gateway_pods(policy: Resource) -> bool:
    """Whether a policy's pod selector requires a Gateway data-plane label (:data:`GATEWAY_POD_LABELS`)."""
    selector = mapping(dig(policy.props, "spec", "podSelector"))
    if any(k in GATEWAY_POD_LABELS for k in mapping(selector.get("matchLabels"))):
        return True
    return any(
        mapping(e).get("key") in GATEWAY_POD_LABELS and mapping(e).get("operator") in ("In", "Exists")
        for e in items(selector.get("matchExpressions"))
    )


def graph_network_ranges(graph: Graph) -> list[Network]:
    """The stack's own network ranges (VPC / subnet / secondary / pod / service / control-plane CIDRs): sources
    inside them are the cluster's own, even when an organisation numbers them from public space."""
    values: list[object] = []
    for subnet in graph.of_type("gcp:compute/subnetwork:Subnetwork"):
        values.append(subnet.props.get("ipCidrRange"))
        values += [mapping(r).get("ipCidrRange") for r in items(subnet.props.get("secondaryIpRanges"))]
    for cluster in graph.gke_clusters():
        policy = mapping(cluster.props.get("ipAllocationPolicy"))
        values += [policy.get("clusterIpv4CidrBlock"), policy.get("servicesIpv4CidrBlock")]
        values.append(dig(cluster.props, "privateClusterConfig", "masterIpv4CidrBlock"))
    for resource in graph.of_type(
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
    ):
        values.append(resource.props.get("cidrBlock"))
    return [n for n in (parse_network(v) for v in values if v) if n is not None]


def describe_networks(networks: Sequence[Network], limit: int = 3) -> str:
    """``0.0.0.0/1, 128.0.0.0/1`` (at most ``limit``, then ``and N more``)."""
    shown = ", ".join(str(n) for n in networks[:limit])
    return shown + (f" and {len(networks) - limit} more" if len(networks) > limit else "")
