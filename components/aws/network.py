"""The VPC an EKS cluster for inference needs: public and private subnets in each availability zone, an internet
gateway, NAT for the private subnets, and the subnet tags the AWS Load Balancer Controller discovers subnets by.

Nodes, pods (the VPC CNI gives every pod a VPC address) and the control plane's network interfaces live in the
private subnets; internet-facing load balancers and the NAT gateways live in the public ones. Or bring an existing
VPC: pass its id and subnet ids and nothing is created.

Sources: EKS user guide "View Amazon EKS networking requirements for VPC and subnets" (subnet tags
``kubernetes.io/role/elb`` and ``kubernetes.io/role/internal-elb``); terraform-aws-modules/terraform-aws-vpc (one
public and one private route table per AZ, ``single_nat_gateway`` / ``one_nat_gateway_per_az``).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack, overload

import pulumi
import pulumi_aws as aws

from pulumi_llmd.components.args import ArgsError, component_args

#: Subnet tag the AWS Load Balancer Controller (and the in-tree service controller) uses to pick subnets for
#: internet-facing load balancers (value "1").
PUBLIC_ELB_TAG = "kubernetes.io/role/elb"
#: Subnet tag for internal load balancers.
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"

#: VPC and subnet prefix lengths AWS accepts for IPv4 (Amazon VPC user guide, "VPC CIDR blocks").
_MIN_PREFIX, _MAX_PREFIX = 16, 28
_AZ = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


#: Defaults of :class:`EksVpcArgs` (applied in one place, the constructor).
DEFAULT_CIDR = "10.0.0.0/16"
DEFAULT_NAT_GATEWAY_PER_AZ = False


class EksVpcArgs(TypedDict, total=False):
    """The arguments of :class:`EksVpc` (give them as one object or as keyword arguments)."""

    availability_zones: Sequence[str]
    """AZ names of one region, e.g. ``["us-east-1a", "us-east-1b"]`` (at least one; EKS needs two for the control
    plane). Default: none (required for a new VPC; not allowed with an existing one)."""
    cidr: str
    """IPv4 range of the VPC, ``/16`` to ``/28`` (Amazon VPC user guide, "VPC CIDR blocks").
    Default: ``"10.0.0.0/16"``."""
    private_subnet_cidrs: Sequence[str] | None
    """One private range per AZ, in AZ order, inside ``cidr`` and disjoint. Default: None (the first half of ``cidr``
    split into equal parts, see the class)."""
    public_subnet_cidrs: Sequence[str] | None
    """One public range per AZ, in AZ order, inside ``cidr`` and disjoint. Default: None (derived from the second half
    of ``cidr``, four times smaller than the private ones)."""
    nat_gateway_per_az: bool
    """One NAT gateway per AZ (no cross-AZ dependency, N times the cost) instead of one. Default: False."""
    existing_vpc_id: str | None
    """Use this existing VPC (``vpc-...``) instead of creating one; nothing is registered then. Default: None."""
    existing_private_subnets: Mapping[str, str] | None
    """The existing VPC's private subnets, ``{availability zone: subnet id}`` (at least one). Default: None."""
    existing_public_subnets: Mapping[str, str] | None
    """The existing VPC's public subnets, ``{availability zone: subnet id}``. Default: None."""
    tags: Mapping[str, str] | None
    """Extra tags on every resource. Default: None."""


class EksVpc(pulumi.ComponentResource):
    """A VPC for EKS across N availability zones, or an existing one.

    Type token ``llmd:aws:Vpc``. For each AZ (in the given order) a public subnet (``map_public_ip_on_launch``, tag
    ``kubernetes.io/role/elb=1``) and a private subnet (tag ``kubernetes.io/role/internal-elb=1``); an internet
    gateway with one public route table (``0.0.0.0/0`` -> IGW); one NAT gateway with an Elastic IP in the first AZ's
    public subnet (or one per AZ with ``nat_gateway_per_az``) and one private route table per AZ (``0.0.0.0/0`` -> its
    AZ's NAT gateway, or the single one). DNS support and DNS hostnames are on (EKS requires both).

    Default subnet ranges: the first half of ``cidr`` is split into ``2**ceil(log2(N))`` equal private subnets (a
    ``/16`` with 3 AZs gives three ``/19``: 8,190 addresses each, since the VPC CNI gives every pod a VPC address);
    the second half holds the smaller public subnets (four times smaller, ``/21`` in that example).

    Existing VPC: pass ``existing_vpc_id`` and ``existing_private_subnets`` (and optionally
    ``existing_public_subnets``), each ``{availability zone: subnet id}``. Nothing is registered under the
    component then; the AZs are the keys of ``existing_private_subnets``. Tag those subnets yourself for load
    balancers.

    Outputs: ``vpc_id``, ``availability_zones`` (tuple of AZ names), ``private_subnet_ids`` /
    ``public_subnet_ids`` (lists in AZ order), ``private_subnet_ids_by_az`` / ``public_subnet_ids_by_az``
    (``{az: subnet id}``; what :class:`~pulumi_llmd.components.aws.GpuNodeGroup` takes as ``subnets``), and the
    resources ``vpc``, ``internet_gateway``, ``nat_gateways``, ``public_subnets``, ``private_subnets`` (``None`` /
    empty for an existing VPC).

    Arguments: :class:`EksVpcArgs` (as an object or keywords); the component's ``name`` is the logical name and the
    prefix of the resource names and ``Name`` tags.

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown argument; no or duplicate AZs, AZs
            of several regions, a malformed AZ name; a CIDR that is not IPv4 or out of ``/16``-``/28``; subnet lists
            of the wrong length, subnets outside the VPC range or overlapping each other; an existing VPC without
            private subnets, malformed ids, or ``availability_zones`` / CIDRs given together with an existing VPC.
    """

    vpc: aws.ec2.Vpc | None
    internet_gateway: aws.ec2.InternetGateway | None
    vpc_id: pulumi.Output[str]

    @overload
    def __init__(self, name: str, args: EksVpcArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[EksVpcArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: EksVpcArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(EksVpcArgs, "EksVpc", args, kwargs)
        availability_zones: Sequence[str] = a.get("availability_zones", ())
        cidr = a.get("cidr", DEFAULT_CIDR)
        private_subnet_cidrs = a.get("private_subnet_cidrs")
        public_subnet_cidrs = a.get("public_subnet_cidrs")
        nat_gateway_per_az = a.get("nat_gateway_per_az", DEFAULT_NAT_GATEWAY_PER_AZ)
        existing_vpc_id = a.get("existing_vpc_id")
        existing_private_subnets = a.get("existing_private_subnets")
        existing_public_subnets = a.get("existing_public_subnets")
        tags = a.get("tags")
        try:
            zones, private_cidrs, public_cidrs = _plan(
                availability_zones,
                cidr,
                private_subnet_cidrs,
                public_subnet_cidrs,
                existing_vpc_id,
                existing_private_subnets,
                existing_public_subnets,
            )
        except ValueError as exc:
            raise ArgsError("EksVpc", [str(exc)]) from None
        existing = existing_vpc_id is not None or existing_private_subnets is not None
        super().__init__("llmd:aws:Vpc", name, None, opts)

        self.availability_zones: tuple[str, ...] = zones
        self.vpc = None
        self.internet_gateway = None
        self.nat_gateways: list[aws.ec2.NatGateway] = []
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        self.cidr: str | None = None if existing else cidr

        if existing:
            self.vpc_id = pulumi.Output.from_input(existing_vpc_id or "")
            self.private_subnet_ids_by_az: dict[str, pulumi.Output[str]] = {
                az: pulumi.Output.from_input(sid) for az, sid in (existing_private_subnets or {}).items()
            }
            self.public_subnet_ids_by_az: dict[str, pulumi.Output[str]] = {
                az: pulumi.Output.from_input(sid) for az, sid in (existing_public_subnets or {}).items()
            }
        else:
            self._create(name, cidr, zones, private_cidrs, public_cidrs, nat_gateway_per_az, dict(tags or {}))
            self.private_subnet_ids_by_az = {az: s.id for az, s in zip(zones, self.private_subnets, strict=True)}
            self.public_subnet_ids_by_az = {az: s.id for az, s in zip(zones, self.public_subnets, strict=True)}

        self.private_subnet_ids: list[pulumi.Output[str]] = list(self.private_subnet_ids_by_az.values())
        self.public_subnet_ids: list[pulumi.Output[str]] = list(self.public_subnet_ids_by_az.values())
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "availabilityZones": list(zones),
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
            }
        )

    def _create(
        self,
        name: str,
        cidr: str,
        zones: tuple[str, ...],
        private_cidrs: list[str],
        public_cidrs: list[str],
        nat_per_az: bool,
        tags: dict[str, str],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)

        def named(suffix: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
            return {**tags, "Name": f"{name}-{suffix}", **(extra or {})}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=named("vpc"),
            opts=child,
        )
        self.vpc = vpc
        self.vpc_id = vpc.id
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=named("igw"), opts=child)
        self.internet_gateway = igw

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags=named("public"), opts=child)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for az, pub_cidr, priv_cidr in zip(zones, public_cidrs, private_cidrs, strict=True):
            public = aws.ec2.Subnet(
                f"{name}-public-{az}",
                vpc_id=vpc.id,
                availability_zone=az,
                cidr_block=pub_cidr,
                map_public_ip_on_launch=True,
                tags=named(f"public-{az}", {PUBLIC_ELB_TAG: "1"}),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{az}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{az}",
                vpc_id=vpc.id,
                availability_zone=az,
                cidr_block=priv_cidr,
                tags=named(f"private-{az}", {INTERNAL_ELB_TAG: "1"}),
                opts=child,
            )
            self.public_subnets.append(public)
            self.private_subnets.append(private)

        nat_zones = zones if nat_per_az else zones[:1]
        for az, public in zip(nat_zones, self.public_subnets, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", tags=named(f"nat-{az}"), opts=child)
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{az}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    connectivity_type="public",
                    tags=named(f"nat-{az}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        for i, (az, private) in enumerate(zip(zones, self.private_subnets, strict=True)):
            nat = self.nat_gateways[i if nat_per_az else 0]
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{az}", vpc_id=vpc.id, tags=named(f"private-{az}"), opts=child)
            aws.ec2.Route(
                f"{name}-private-{az}-default",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{az}", subnet_id=private.id, route_table_id=rt.id, opts=child
            )


def _plan(
    availability_zones: Sequence[str],
    cidr: str,
    private_subnet_cidrs: Sequence[str] | None,
    public_subnet_cidrs: Sequence[str] | None,
    existing_vpc_id: str | None,
    existing_private_subnets: Mapping[str, str] | None,
    existing_public_subnets: Mapping[str, str] | None,
) -> tuple[tuple[str, ...], list[str], list[str]]:
    """The zones and subnet ranges of an :class:`EksVpc` (ValueError naming the first problem)."""
    if existing_vpc_id is not None or existing_private_subnets is not None:
        check_existing(
            existing_vpc_id,
            existing_private_subnets,
            existing_public_subnets,
            availability_zones=availability_zones,
            cidrs_given=private_subnet_cidrs is not None or public_subnet_cidrs is not None,
        )
        return tuple(existing_private_subnets or {}), [], []
    check_zones(availability_zones)
    private, public = plan_subnets(cidr, len(availability_zones), private_subnet_cidrs, public_subnet_cidrs)
    return tuple(availability_zones), private, public


# --- validation ------------------------------------------------------------------------------------------------


def check_zones(zones: Sequence[str]) -> None:
    """Availability zone names of one region, each once, at least one (ValueError naming the problem otherwise).

    Public so that config validation (``blueprints/config.py``) runs the same rule before anything is registered.
    """
    if isinstance(zones, str) or not zones:
        raise ValueError(
            f"availability_zones = {list(zones) if not isinstance(zones, str) else zones!r}: "
            "give at least one availability zone name, e.g. ['us-east-1a', 'us-east-1b']"
        )
    bad = [z for z in zones if not isinstance(z, str) or not _AZ.match(z)]
    if bad:
        raise ValueError(f"availability_zones = {list(zones)}: {bad} not availability zone names (e.g. 'us-east-1a')")
    dupes = sorted({z for z in zones if list(zones).count(z) > 1})
    if dupes:
        raise ValueError(f"availability_zones = {list(zones)}: {dupes} listed more than once; each AZ once")
    regions = sorted({z[:-1] for z in zones})
    if len(regions) > 1:
        raise ValueError(
            f"availability_zones = {list(zones)}: zones of several regions ({', '.join(regions)}); "
            "allowed: zones of one region"
        )


def _network(key: str, value: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} = {value!r}: not an IPv4 CIDR (e.g. 10.0.0.0/16, no host bits set)") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{key} = {value!r}: must be IPv4")
    if not _MIN_PREFIX <= net.prefixlen <= _MAX_PREFIX:
        raise ValueError(f"{key} = {value!r}: prefix /{net.prefixlen}; allowed: /{_MIN_PREFIX} to /{_MAX_PREFIX}")
    return net


def plan_subnets(
    cidr: str, count: int, private: Sequence[str] | None = None, public: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """Validate (or derive) one private and one public subnet range per AZ inside ``cidr`` (ValueError if none fit).

    Public so that config validation runs the same rule before anything is registered.

    Args:
        cidr: The VPC's IPv4 range.
        count: Availability zones: one private and one public subnet each.
        private: The private subnets' ranges, one per AZ. Default: None (derived: equal subnets of the first half of
            ``cidr``).
        public: The public subnets' ranges, one per AZ. Default: None (derived from the second half of ``cidr``, a
            quarter the size of a private subnet).
    """
    vpc = _network("cidr", cidr)
    bits = max(0, math.ceil(math.log2(count))) if count > 1 else 0
    if private is None:
        prefix = vpc.prefixlen + 1 + bits
        if prefix > _MAX_PREFIX:
            raise ValueError(
                f"cidr = {cidr!r}: too small to derive {count} private subnets (they would be /{prefix}); "
                "give a larger VPC range or private_subnet_cidrs"
            )
        first_half = next(vpc.subnets(prefixlen_diff=1))
        private = [str(n) for n in list(first_half.subnets(new_prefix=prefix))[:count]]
    if public is None:
        prefix = vpc.prefixlen + 1 + bits + 2
        if prefix > _MAX_PREFIX:
            raise ValueError(
                f"cidr = {cidr!r}: too small to derive {count} public subnets (they would be /{prefix}); "
                "give a larger VPC range or public_subnet_cidrs"
            )
        second_half = list(vpc.subnets(prefixlen_diff=1))[1]
        public = [str(n) for n in list(second_half.subnets(new_prefix=prefix))[:count]]
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for key, values in (("private_subnet_cidrs", private), ("public_subnet_cidrs", public)):
        if isinstance(values, str) or len(values) != count:
            raise ValueError(f"{key} = {values!r}: need exactly one range per availability zone ({count})")
        for i, value in enumerate(values):
            net = _network(f"{key}[{i}]", value)
            if not net.subnet_of(vpc):
                raise ValueError(f"{key}[{i}] = {value!r}: not inside the VPC range cidr = {cidr!r}")
            parsed[f"{key}[{i}] = {value}"] = net
    keys = list(parsed)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if parsed[a].overlaps(parsed[b]):
                raise ValueError(f"{a} overlaps {b}; subnet ranges must be disjoint")
    return list(private), list(public)


def check_existing(
    vpc_id: str | None,
    private: Mapping[str, str] | None,
    public: Mapping[str, str] | None,
    *,
    availability_zones: Sequence[str],
    cidrs_given: bool,
) -> None:
    """An existing VPC's id and ``{AZ: subnet id}`` maps are well formed (ValueError naming the problem otherwise)."""
    if vpc_id is None or not _VPC_ID.match(vpc_id):
        raise ValueError(f"existing_vpc_id = {vpc_id!r}: an existing VPC needs its id, e.g. 'vpc-0123456789abcdef0'")
    if not private:
        raise ValueError(
            f"existing_private_subnets = {private!r}: give the existing VPC's private subnets as "
            "{availability zone: subnet id}, at least one"
        )
    if cidrs_given:
        raise ValueError(
            "private_subnet_cidrs / public_subnet_cidrs: not allowed with existing_vpc_id (nothing is created)"
        )
    if availability_zones:
        raise ValueError(
            f"availability_zones = {list(availability_zones)}: not allowed with existing_vpc_id; "
            "the zones are the keys of existing_private_subnets"
        )
    check_zones(list(private))
    for key, subnets in (("existing_private_subnets", private), ("existing_public_subnets", public or {})):
        bad = {az: sid for az, sid in subnets.items() if not isinstance(sid, str) or not _SUBNET_ID.match(sid)}
        if bad:
            raise ValueError(f"{key} = {dict(subnets)}: {bad} are not subnet ids (e.g. 'subnet-0123456789abcdef0')")
    if public:
        check_zones(list(public))
