"""The VPC a GKE cluster for inference needs: a VPC-native subnet with pod and service ranges, the proxy-only
subnet of the regional Application Load Balancer behind the GKE Inference Gateway, and Cloud NAT for private nodes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args, dns_label_problem, format_problem
from pulumi_llmd.components.kube import child_options

#: Google's load-balancer proxy and health-check source ranges (Cloud Load Balancing firewall docs).
GOOGLE_HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
POD_RANGE_NAME = "pods"
SERVICE_RANGE_NAME = "services"


#: Default of :attr:`GkeNetworkArgs.cloud_nat`: on (private nodes need it to pull images from outside Google).
DEFAULT_CLOUD_NAT = True
_ZONE = re.compile(r"[a-z]+(?:-[a-z]+)*[0-9]+-[a-z]")
#: Longest network name: the physical names append up to 11 characters (``-proxy-only``) to it and Compute Engine
#: names are at most 63; 40 leaves room (and matches GKE's cluster-name limit).
NAME_MAX = 40


class GkeNetworkArgs(TypedDict, total=False):
    """The arguments of :class:`GkeNetwork` (give them as one object or as keyword arguments)."""

    project: Required[pulumi.Input[str]]
    """GCP project id the VPC, subnets, firewall rule and NAT live in."""
    region: Required[pulumi.Input[str]]
    """Region of the subnets, the Cloud Router and the NAT, e.g. ``us-central1``."""
    subnet_cidr: Required[str]
    """IPv4 range of the node subnet (e.g. ``10.0.0.0/20``); disjoint from the other three ranges."""
    pods_cidr: Required[str]
    """IPv4 range of the pods: the node subnet's secondary range ``pods`` (VPC-native cluster)."""
    services_cidr: Required[str]
    """IPv4 range of the Services: the node subnet's secondary range ``services``."""
    proxy_only_cidr: Required[str]
    """IPv4 range of the ``REGIONAL_MANAGED_PROXY`` subnet the regional gateway's Envoy proxies use (``/23`` or larger
    recommended by the Cloud Load Balancing docs, "Proxy-only subnets for Envoy-based load balancers")."""
    cloud_nat: bool
    """Add a Cloud Router with NAT (all subnets, all ranges, auto-allocated IPs) so private nodes reach docker.io,
    ghcr.io and Hugging Face: nodes without external IPs reach only Google APIs (Private Google Access) otherwise
    (GKE "About private clusters", Cloud NAT "Example GKE setup"). :class:`~pulumi_llmd.components.gcp.GkeCluster`
    has private nodes by default and refuses a network without it. Default: True (:data:`DEFAULT_CLOUD_NAT`)."""


def network_range_problems(ranges: Mapping[str, str]) -> list[str]:
    """What is wrong with a network's IPv4 ranges (``{key: cidr}``): each must be an IPv4 CIDR with its host bits
    zero, and no two may overlap. One message per problem, ``"<key> = <value>: <what is allowed>"``; empty when fine.

    The one home of this rule: :class:`GkeNetwork` calls it with its argument names; config validation can call it
    with the stack file's keys (``cluster.network.podsCidr`` ...).
    """
    problems: list[str] = []
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for key, value in ranges.items():
        try:
            net = ipaddress.ip_network(value)
        except (TypeError, ValueError):
            problems.append(format_problem(key, value, "not an IPv4 CIDR (e.g. 10.0.0.0/20, host bits zero)"))
            continue
        if not isinstance(net, ipaddress.IPv4Network):
            problems.append(format_problem(key, value, "must be IPv4"))
            continue
        parsed[key] = net
    keys = list(parsed)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if parsed[a].overlaps(parsed[b]):
                problems.append(
                    format_problem(b, ranges[b], f"overlaps {a} = {ranges[a]}; the ranges must be disjoint")
                )
    return problems


def gcp_name_problem(key: str, value: object, max_length: int = NAME_MAX) -> str | None:
    """The message for a name that is not a lowercase Compute Engine name prefix (``[a-z]([-a-z0-9]*[a-z0-9])?``, at
    most ``max_length`` characters), else None. Compute Engine naming: RFC 1035 labels (Compute Engine docs,
    "Naming resources"). The rule and wording of a stack's names (:func:`~pulumi_llmd.components.args.
    dns_label_problem`, which config validation's ``cluster.name`` check uses too).

    Args:
        key: The argument or stack key the message names.
        value: The value given.
        max_length: The longest name allowed, in characters. Default: ``NAME_MAX`` (40).
    """
    return dns_label_problem(key, value, max_length)


class GkeNetwork(pulumi.ComponentResource):
    """VPC, node subnet with secondary ranges, proxy-only subnet, gateway firewall rule and (optionally) Cloud NAT.

    Type token ``llmd:gcp:Network``. Arguments: :class:`GkeNetworkArgs` (as an object or keywords); the component's
    ``name`` is the logical name and the prefix of the physical names (lowercase, at most 40 characters). Outputs:
    ``network`` (the ``gcp.compute.Network``), ``subnetwork``, ``proxy_subnetwork``, ``network_name``,
    ``subnetwork_name``, ``cloud_nat`` and ``nat_ready`` (the Cloud NAT, for node pools of a private cluster to wait
    for; empty without NAT), and the ranges as given: ``subnet_cidr``, ``pods_cidr``, ``services_cidr``,
    ``proxy_only_cidr``.

    Raises:
        ArgsError: (a ``ValueError``, before any resource is registered) an unknown or missing argument, a name that
            is not a lowercase Compute Engine name of at most 40 characters, ranges that are not IPv4 CIDRs or that
            overlap (:func:`network_range_problems`).
    """

    network: gcp.compute.Network
    subnetwork: gcp.compute.Subnetwork
    proxy_subnetwork: gcp.compute.Subnetwork

    @overload
    def __init__(self, name: str, args: GkeNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeNetworkArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeNetworkArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeNetworkArgs, "GkeNetwork", args, kwargs)
        project, region = a["project"], a["region"]
        subnet_cidr, pods_cidr = a["subnet_cidr"], a["pods_cidr"]
        services_cidr, proxy_only_cidr = a["services_cidr"], a["proxy_only_cidr"]
        cloud_nat = a.get("cloud_nat", DEFAULT_CLOUD_NAT)
        problems = [p for p in [gcp_name_problem("name", name)] if p]
        problems += network_range_problems(
            {
                "subnet_cidr": subnet_cidr,
                "pods_cidr": pods_cidr,
                "services_cidr": services_cidr,
                "proxy_only_cidr": proxy_only_cidr,
            }
        )
        if problems:
            raise ArgsError("GkeNetwork", problems)
        super().__init__("llmd:gcp:Network", name, None, opts)
        # Children wait on what the component waits on (e.g. the project's APIs: ProjectServices).
        child = child_options(self, opts)
        #: The node subnet's, Pods', Services' and proxy-only subnet's IPv4 ranges, as given.
        self.subnet_cidr: str = subnet_cidr
        self.pods_cidr: str = pods_cidr
        self.services_cidr: str = services_cidr
        #: The regional gateway's proxies connect from here (``LlmdPlatform`` allows it in to the model servers).
        self.proxy_only_cidr: str = proxy_only_cidr
        self.network = gcp.compute.Network(
            f"{name}-vpc",
            name=f"{name}-vpc",
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            opts=child,
        )
        self.subnetwork = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=f"{name}-nodes",
            project=project,
            region=region,
            network=self.network.id,
            ip_cidr_range=subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=POD_RANGE_NAME, ip_cidr_range=pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICE_RANGE_NAME, ip_cidr_range=services_cidr),
            ],
            opts=child,
        )
        self.proxy_subnetwork = gcp.compute.Subnetwork(
            f"{name}-proxy-only",
            name=f"{name}-proxy-only",
            project=project,
            region=region,
            network=self.network.id,
            ip_cidr_range=proxy_only_cidr,
            purpose="REGIONAL_MANAGED_PROXY",
            role="ACTIVE",
            opts=child,
        )
        # The regional ALB's proxies and Google's health checkers reach the model servers and the EPP directly
        # (container-native load balancing): allow them in, nothing else.
        gcp.compute.Firewall(
            f"{name}-allow-gateway",
            name=f"{name}-allow-gateway",
            project=project,
            network=self.network.id,
            direction="INGRESS",
            source_ranges=[proxy_only_cidr, *GOOGLE_HEALTH_CHECK_RANGES],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["8000", "9002", "9003"])],
            opts=child,
        )
        #: What nodes of a private cluster must wait for before they pull images from outside Google (the NAT).
        self.nat_ready: list[pulumi.Resource] = []
        self.cloud_nat = cloud_nat
        if cloud_nat:
            router = gcp.compute.Router(
                f"{name}-router",
                name=f"{name}-router",
                project=project,
                region=region,
                network=self.network.id,
                opts=child,
            )
            nat = gcp.compute.RouterNat(
                f"{name}-nat",
                name=f"{name}-nat",
                project=project,
                region=region,
                router=router.name,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                opts=child,
            )
            self.nat_ready.append(nat)
        self.network_name = self.network.name
        self.subnetwork_name = self.subnetwork.name
        self.register_outputs(
            {
                "network": self.network.self_link,
                "subnetwork": self.subnetwork.self_link,
                "proxySubnetwork": self.proxy_subnetwork.self_link,
            }
        )


def zone_in_region_problem(key: str, zone: object, region: str) -> str | None:
    """The message for ``zone`` that is not a zone of ``region`` (``<region>-<letter>``), else None.

    The one home of the zone-in-region rule for GCP: components call it with their argument name, config validation
    with the stack file's key (``llmd:target.zone``). Compute Engine zone names are ``<region>-<letter>`` (Compute
    Engine docs, "Regions and zones").
    """
    if isinstance(zone, str) and _ZONE.fullmatch(zone) and zone.rsplit("-", 1)[0] == region:
        return None
    return format_problem(key, zone, f"must be a zone of region {region} (e.g. {region}-a)")
