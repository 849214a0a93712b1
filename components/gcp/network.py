"""The VPC a GKE cluster for inference needs: a VPC-native subnet with pod and service ranges, the proxy-only
subnet of the regional Application Load Balancer behind the GKE Inference Gateway, and Cloud NAT for private nodes.
"""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.kube import child_options

#: Google's load-balancer proxy and health-check source ranges (Cloud Load Balancing firewall docs).
GOOGLE_HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
POD_RANGE_NAME = "pods"
SERVICE_RANGE_NAME = "services"


class GkeNetwork(pulumi.ComponentResource):
    """VPC, node subnet with secondary ranges, proxy-only subnet, gateway firewall rule and (optionally) Cloud NAT.

    Type token ``llmd:gcp:Network``. Outputs: ``network`` (the ``gcp.compute.Network``), ``subnetwork``,
    ``proxy_subnetwork``, ``network_name``, ``subnetwork_name``, ``cloud_nat`` and ``nat_ready`` (the Cloud NAT, for
    node pools of a private cluster to wait for; empty without NAT).

    Args:
        name: logical name and prefix of the physical names (lowercase, <= 40 characters).
        project: GCP project id.
        region: region of the subnets, e.g. ``us-central1``.
        subnet_cidr / pods_cidr / services_cidr: node, pod (secondary ``pods``) and service (secondary ``services``)
            IPv4 ranges; must not overlap.
        proxy_only_cidr: range of the ``REGIONAL_MANAGED_PROXY`` subnet the regional gateway's Envoy proxies use
            (``/23`` or larger recommended by the Cloud Load Balancing docs).
        cloud_nat: add a Cloud Router with NAT (all subnets, all ranges, auto-allocated IPs) so private nodes reach
            docker.io, ghcr.io and Hugging Face: nodes without external IPs reach only Google APIs (Private Google
            Access) otherwise (GKE "About private clusters", Cloud NAT "Example GKE setup"). Default on: GkeCluster has
            private nodes by default and refuses them without it.

    Raises:
        ValueError: ranges that are not IPv4 CIDRs or that overlap (before any resource is registered).
    """

    network: gcp.compute.Network
    subnetwork: gcp.compute.Subnetwork
    proxy_subnetwork: gcp.compute.Subnetwork

    def __init__(
        self,
        name: str,
        *,
        project: str,
        region: str,
        subnet_cidr: str,
        pods_cidr: str,
        services_cidr: str,
        proxy_only_cidr: str,
        cloud_nat: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        _check_ranges(
            {
                "subnet_cidr": subnet_cidr,
                "pods_cidr": pods_cidr,
                "services_cidr": services_cidr,
                "proxy_only_cidr": proxy_only_cidr,
            }
        )
        super().__init__("llmd:gcp:Network", name, None, opts)
        # Children wait on what the component waits on (e.g. the project's APIs: ProjectServices).
        child = child_options(self, opts)
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


def _check_ranges(ranges: dict[str, str]) -> None:
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for key, value in ranges.items():
        try:
            net = ipaddress.ip_network(value)
        except ValueError:
            raise ValueError(f"{key} = {value!r}: not an IPv4 CIDR (e.g. 10.0.0.0/20)") from None
        if not isinstance(net, ipaddress.IPv4Network):
            raise ValueError(f"{key} = {value!r}: must be IPv4")
        parsed[key] = net
    keys = list(parsed)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if parsed[a].overlaps(parsed[b]):
                raise ValueError(f"{a} = {ranges[a]} overlaps {b} = {ranges[b]}; the ranges must be disjoint")
