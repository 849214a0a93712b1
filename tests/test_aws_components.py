"""The AWS components (EksVpc, EksCluster, GpuNodeGroup) under the Pulumi mock engine: what they register, and that
every invalid argument fails with a message naming it before anything is registered."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import pytest
import yaml
from mock_program import of_type, one, run
from pulumi.runtime.rpc import is_rpc_secret

from pulumi_llmd.components import catalog
from pulumi_llmd.components.aws import EksCluster, EksVpc, GpuNodeGroup
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.catalog import Cloud, MachineShape
from pulumi_llmd.render.engine import ProgramRun

CLUSTER_SG = "sg-0123456789abcdef0"
NODE_ROLE = "arn:aws:iam::123456789012:role/llm-d-node"
RESERVATION = "cr-0123456789abcdef0"
ADMINS = ["arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:user/alice"]
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SUBNET = "aws:ec2/subnet:Subnet"


def secret_value(value: Any) -> Any:
    assert is_rpc_secret(value)
    return value["value"]


# --- GpuNodeGroup -------------------------------------------------------------------------------------------------


def node_group(
    shape: str | MachineShape = "p5.48xlarge", name: str = "h100", **overrides: Any
) -> tuple[ProgramRun, dict[str, GpuNodeGroup]]:
    """Run a program with one GpuNodeGroup (plain-string cluster inputs); return the run and the component."""
    built: dict[str, GpuNodeGroup] = {}
    kwargs: dict[str, Any] = {
        "cluster_name": "llm-d",
        "node_role_arn": NODE_ROLE,
        "cluster_security_group_id": CLUSTER_SG,
        "vpc_id": "vpc-0123456789abcdef0",
        "subnets": {"us-east-1a": "subnet-aaaaaaaa"},
        "shape": catalog.machine("aws", shape) if isinstance(shape, str) else shape,
        "min_size": 0,
        "max_size": 2,
        "desired_size": 2,
    }
    kwargs.update(overrides)

    def program() -> None:
        built["group"] = GpuNodeGroup(name, **kwargs)

    return run(program), built


def test_p5_with_efa_has_32_interfaces_card0_efa_the_rest_efa_only() -> None:
    result, built = node_group("p5.48xlarge")
    result.raise_error()
    interfaces = one(result, LT).inputs["networkInterfaces"]
    assert len(interfaces) == 32
    assert [i["networkCardIndex"] for i in interfaces] == list(range(32))
    assert interfaces[0]["interfaceType"] == "efa"
    assert {i["interfaceType"] for i in interfaces[1:]} == {"efa-only"}
    assert {i["deviceIndex"] for i in interfaces} == {0}
    efa_sg = one(result, SECURITY_GROUP)
    for iface in interfaces:
        assert iface["securityGroups"] == [f"{efa_sg.name}-id", CLUSTER_SG]
        assert iface["deleteOnTermination"] == "true"
    assert built["group"].efa_devices_per_node == 32


@pytest.mark.parametrize(
    ("machine_type", "interfaces"),
    [
        ("p4d.24xlarge", 4),
        ("p5.48xlarge", 32),
        ("p5e.48xlarge", 32),
        ("p5en.48xlarge", 16),
        ("g6e.8xlarge", 1),
        ("g6e.48xlarge", 4),
    ],
)
def test_one_efa_interface_per_network_card_of_the_catalog(machine_type: str, interfaces: int) -> None:
    result, built = node_group(machine_type)
    result.raise_error()
    lt = one(result, LT).inputs
    assert len(lt["networkInterfaces"]) == interfaces == catalog.machine("aws", machine_type).network_cards
    assert "vpcSecurityGroupIds" not in lt  # with interfaces, the groups are on each interface
    assert built["group"].efa_devices_per_node == interfaces
    assert one(result, NODE_GROUP).inputs["labels"]["vpc.amazonaws.com/efa.present"] == "true"


def test_efa_node_group_has_a_cluster_placement_group_in_its_launch_template() -> None:
    result, built = node_group("p5.48xlarge")
    pg = one(result, PLACEMENT_GROUP)
    assert pg.inputs["strategy"] == "cluster"
    assert one(result, LT).inputs["placement"] == {"groupName": pg.name}  # the mock echoes the auto-name
    assert built["group"].placement_group is not None


def test_efa_security_group_allows_all_traffic_to_and_from_itself() -> None:
    result, _ = node_group("p5.48xlarge")
    sg = one(result, SECURITY_GROUP)
    assert sg.inputs["vpcId"] == "vpc-0123456789abcdef0"
    for rule in (one(result, INGRESS), one(result, EGRESS)):
        assert rule.inputs["securityGroupId"] == f"{sg.name}-id"
        assert rule.inputs["referencedSecurityGroupId"] == f"{sg.name}-id"
        assert rule.inputs["ipProtocol"] == "-1"
        assert "fromPort" not in rule.inputs and "cidrIpv4" not in rule.inputs


def test_gpu_node_group_ami_labels_taint_one_subnet_and_scaling() -> None:
    result, _ = node_group("p5.48xlarge", desired_size=1)
    ng = one(result, NODE_GROUP).inputs
    assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng["nodeGroupName"] == "h100"
    assert ng["clusterName"] == "llm-d"
    assert ng["nodeRoleArn"] == NODE_ROLE
    assert ng["subnetIds"] == ["subnet-aaaaaaaa"]
    assert ng["instanceTypes"] == ["p5.48xlarge"]
    assert ng["capacityType"] == "ON_DEMAND"
    assert ng["labels"] == {
        "llm-d.ai/pool": "h100",
        "llm-d.ai/accelerator": "nvidia-h100-80gb",
        "nvidia.com/gpu.present": "true",
        "vpc.amazonaws.com/efa.present": "true",
    }
    assert ng["taints"] == [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}]
    assert ng["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 1}
    assert ng["updateConfig"] == {"maxUnavailable": 1}
    assert ng["launchTemplate"] == {"id": "h100-lt-id", "version": "1"}


def test_launch_template_imdsv2_hop_limit_1_gp3_root_and_no_instance_type() -> None:
    result, _ = node_group("p5.48xlarge", root_volume_gib=800)
    lt = one(result, LT).inputs
    assert lt["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
    assert lt["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 800, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
        }
    ]
    assert "instanceType" not in lt and "instanceMarketOptions" not in lt
    assert {t["resourceType"] for t in lt["tagSpecifications"]} == {"instance", "volume", "network-interface"}


def test_pool_tells_pods_how_to_land_on_the_node_group() -> None:
    _, built = node_group("p5.48xlarge", max_size=4, desired_size=2)
    pool = built["group"].pool
    assert pool.name == "h100"
    assert pool.node_selector == {"eks.amazonaws.com/nodegroup": "h100", "llm-d.ai/accelerator": "nvidia-h100-80gb"}
    assert pool.pod_placement()["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert pool.max_nodes == 4
    assert pool.capacity == 32
    assert pool.resource_name == "nvidia.com/gpu"
    assert dict(pool.model_server_env) == {}


def test_g6e_xlarge_without_efa_has_no_interfaces_no_placement_group_no_efa_group() -> None:
    result, built = node_group("g6e.xlarge", name="l40s")
    result.raise_error()
    lt = one(result, LT).inputs
    assert "networkInterfaces" not in lt
    assert "placement" not in lt
    assert lt["vpcSecurityGroupIds"] == [CLUSTER_SG]
    assert of_type(result, PLACEMENT_GROUP) == []
    assert of_type(result, SECURITY_GROUP) == []
    ng = one(result, NODE_GROUP).inputs
    assert "vpc.amazonaws.com/efa.present" not in ng["labels"]
    assert ng["labels"]["nvidia.com/gpu.present"] == "true"
    assert ng["instanceTypes"] == ["g6e.xlarge"]
    group = built["group"]
    assert (group.efa_devices_per_node, group.placement_group, group.security_group) == (0, None, None)


def test_efa_can_be_turned_off_on_an_efa_instance_type() -> None:
    result, built = node_group("g6e.12xlarge", name="l40s", efa=False)
    result.raise_error()
    assert "networkInterfaces" not in one(result, LT).inputs
    assert of_type(result, PLACEMENT_GROUP) == []
    assert built["group"].efa_devices_per_node == 0


def test_capacity_block_puts_instance_type_market_and_reservation_on_the_launch_template() -> None:
    result, built = node_group("p5en.48xlarge", capacity_type="CAPACITY_BLOCK", capacity_reservation_id=RESERVATION)
    result.raise_error()
    ng = one(result, NODE_GROUP).inputs
    assert ng["capacityType"] == "CAPACITY_BLOCK"
    assert "instanceTypes" not in ng
    lt = one(result, LT).inputs
    assert lt["instanceType"] == "p5en.48xlarge"
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert lt["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": RESERVATION}
    }
    assert len(lt["networkInterfaces"]) == 16  # EFA stays on
    # Capacity Blocks are already placed together in an UltraCluster: no placement group unless asked for.
    assert of_type(result, PLACEMENT_GROUP) == []
    assert built["group"].placement_group is None


def test_capacity_block_with_an_explicit_placement_group() -> None:
    result, _ = node_group(
        "p5.48xlarge", capacity_type="CAPACITY_BLOCK", capacity_reservation_id=RESERVATION, placement_group=True
    )
    assert one(result, PLACEMENT_GROUP).inputs["strategy"] == "cluster"


def test_spot_sets_only_the_capacity_type() -> None:
    result, _ = node_group("p5.48xlarge", capacity_type="SPOT")
    assert one(result, NODE_GROUP).inputs["capacityType"] == "SPOT"
    lt = one(result, LT).inputs
    assert "instanceMarketOptions" not in lt and "capacityReservationSpecification" not in lt


def test_availability_zone_picks_one_subnet_out_of_several() -> None:
    subnets = {"us-east-1a": "subnet-aaaaaaaa", "us-east-1b": "subnet-bbbbbbbb"}
    result, built = node_group("p5.48xlarge", subnets=subnets, availability_zone="us-east-1b")
    assert one(result, NODE_GROUP).inputs["subnetIds"] == ["subnet-bbbbbbbb"]
    assert built["group"].availability_zone == "us-east-1b"


def test_desired_size_defaults_to_min_size() -> None:
    result, _ = node_group("p5.48xlarge", min_size=1, max_size=3, desired_size=None)
    assert one(result, NODE_GROUP).inputs["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}


def _tpu_shape_on_aws() -> MachineShape:
    return dataclasses.replace(catalog.machine("gcp", "ct6e-standard-4t"), cloud=Cloud.AWS)


@pytest.mark.parametrize(
    ("shape", "overrides", "message"),
    [
        ("g6e.xlarge", {"efa": True}, "efa = True: instance type 'g6e.xlarge' has no EFA"),
        (
            "p5.48xlarge",
            {"subnets": {"us-east-1a": "subnet-aaaaaaaa", "us-east-1b": "subnet-bbbbbbbb"}},
            "subnets span 2 availability zones (us-east-1a, us-east-1b)",
        ),
        ("p5.48xlarge", {"availability_zone": "us-east-1c"}, "availability_zone = 'us-east-1c': no subnet"),
        ("p5.48xlarge", {"capacity_type": "CAPACITY_BLOCK"}, "capacity_reservation_id = None: required"),
        (
            "p5.48xlarge",
            {"capacity_reservation_id": RESERVATION},
            f"capacity_reservation_id = '{RESERVATION}': only allowed with capacity_type 'CAPACITY_BLOCK'",
        ),
        (
            "p5.48xlarge",
            {"capacity_type": "CAPACITY_BLOCK", "capacity_reservation_id": "reservation-1"},
            "capacity_reservation_id = 'reservation-1': not a reservation id",
        ),
        ("p5.48xlarge", {"capacity_type": "RESERVED"}, "capacity_type = 'RESERVED': allowed: ON_DEMAND, SPOT"),
        (_tpu_shape_on_aws(), {}, "shape = 'ct6e-standard-4t': carries tpu-v6e-slice, not a GPU"),
        (catalog.machine("gcp", "a3-highgpu-8g"), {}, "shape = gcp/a3-highgpu-8g: not an AWS instance type"),
        ("p5.48xlarge", {"min_size": 3, "max_size": 2, "desired_size": 2}, "min_size = 3 > max_size = 2"),
        ("p5.48xlarge", {"desired_size": 5}, "desired_size = 5: must lie within [min_size, max_size] = [0, 2]"),
        ("p5.48xlarge", {"max_size": 0, "desired_size": 0}, "max_size = 0: need min_size >= 0 and max_size >= 1"),
        ("p5.48xlarge", {"root_volume_gib": 8}, "root_volume_gib = 8: allowed: >= 20"),
    ],
)
def test_gpu_node_group_errors_name_the_argument_and_register_nothing(
    shape: str | MachineShape, overrides: dict[str, Any], message: str
) -> None:
    result, built = node_group(shape, **overrides)
    assert isinstance(result.error, ValueError)
    assert message in str(result.error)
    assert str(result.error).startswith("GpuNodeGroup: ")
    assert result.resources == []
    assert built == {}


def test_gpu_node_group_reports_every_problem_at_once() -> None:
    result, _ = node_group("g6e.xlarge", efa=True, min_size=3, max_size=2, capacity_type="CAPACITY_BLOCK")
    message = str(result.error)
    assert "efa = True" in message and "min_size = 3 > max_size = 2" in message
    assert "capacity_reservation_id = None" in message
    assert result.resources == []


def test_bad_node_group_name() -> None:
    result, _ = node_group("p5.48xlarge", name="h100 pool")
    assert "name = 'h100 pool'" in str(result.error)
    assert result.resources == []


# --- EksVpc -------------------------------------------------------------------------------------------------------

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def vpc_run(**kwargs: Any) -> tuple[ProgramRun, dict[str, EksVpc]]:
    built: dict[str, EksVpc] = {}

    def program() -> None:
        built["vpc"] = EksVpc("inf", **kwargs)

    return run(program), built


def test_vpc_has_public_and_private_subnets_per_az_with_load_balancer_tags() -> None:
    result, built = vpc_run(availability_zones=ZONES)
    result.raise_error()
    vpc = one(result, "aws:ec2/vpc:Vpc").inputs
    assert vpc["cidrBlock"] == "10.0.0.0/16"
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True
    subnets = of_type(result, SUBNET)
    public = [s.inputs for s in subnets if "kubernetes.io/role/elb" in s.inputs["tags"]]
    private = [s.inputs for s in subnets if "kubernetes.io/role/internal-elb" in s.inputs["tags"]]
    assert sorted(s["availabilityZone"] for s in public) == ZONES
    assert sorted(s["availabilityZone"] for s in private) == ZONES
    assert all(s["mapPublicIpOnLaunch"] is True for s in public)
    assert all(s["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert sorted(s["cidrBlock"] for s in private) == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert sorted(s["cidrBlock"] for s in public) == ["10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"]
    assert built["vpc"].availability_zones == tuple(ZONES)
    assert list(built["vpc"].private_subnet_ids_by_az) == ZONES
    assert len(built["vpc"].private_subnet_ids) == 3


def test_vpc_routes_public_to_the_internet_gateway_and_private_to_one_nat() -> None:
    result, _ = vpc_run(availability_zones=ZONES)
    igw = one(result, "aws:ec2/internetGateway:InternetGateway")
    nat = one(result, "aws:ec2/natGateway:NatGateway")
    eip = one(result, "aws:ec2/eip:Eip")
    assert nat.inputs["allocationId"] == f"{eip.name}-id"
    assert nat.inputs["subnetId"] == "inf-public-us-east-1a-id"
    assert eip.inputs["domain"] == "vpc"
    routes = {r.name: r.inputs for r in of_type(result, "aws:ec2/route:Route")}
    assert routes["inf-public-default"]["gatewayId"] == f"{igw.name}-id"
    private_routes = [r for name, r in routes.items() if name.startswith("inf-private-")]
    assert len(private_routes) == 3
    assert {r["natGatewayId"] for r in private_routes} == {f"{nat.name}-id"}
    assert {r["destinationCidrBlock"] for r in routes.values()} == {"0.0.0.0/0"}
    assert len(of_type(result, "aws:ec2/routeTableAssociation:RouteTableAssociation")) == 6


def test_vpc_nat_gateway_per_az() -> None:
    result, _ = vpc_run(availability_zones=ZONES, nat_gateway_per_az=True)
    nats = of_type(result, "aws:ec2/natGateway:NatGateway")
    assert sorted(n.inputs["subnetId"] for n in nats) == [f"inf-public-{az}-id" for az in ZONES]
    routes = {r.name: r.inputs for r in of_type(result, "aws:ec2/route:Route")}
    for az in ZONES:
        assert routes[f"inf-private-{az}-default"]["natGatewayId"] == f"inf-nat-{az}-id"


def test_vpc_explicit_subnet_ranges() -> None:
    result, _ = vpc_run(
        availability_zones=ZONES[:2],
        cidr="10.8.0.0/16",
        private_subnet_cidrs=["10.8.0.0/18", "10.8.64.0/18"],
        public_subnet_cidrs=["10.8.128.0/24", "10.8.129.0/24"],
    )
    result.raise_error()
    cidrs = sorted(s.inputs["cidrBlock"] for s in of_type(result, SUBNET))
    assert cidrs == ["10.8.0.0/18", "10.8.128.0/24", "10.8.129.0/24", "10.8.64.0/18"]


def test_existing_vpc_creates_nothing() -> None:
    private = {"us-west-2a": "subnet-0aaaaaaaaaaaaaaaa", "us-west-2b": "subnet-0bbbbbbbbbbbbbbbb"}
    result, built = vpc_run(existing_vpc_id="vpc-0123456789abcdef0", existing_private_subnets=private)
    result.raise_error()
    assert [r.type for r in result.resources] == ["llmd:aws:Vpc"]
    assert built["vpc"].availability_zones == ("us-west-2a", "us-west-2b")
    assert built["vpc"].vpc is None and built["vpc"].nat_gateways == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"availability_zones": []}, "availability_zones = []: give at least one"),
        ({"availability_zones": ["us-east-1a", "us-west-2a"]}, "zones of several regions (us-east-1, us-west-2)"),
        ({"availability_zones": ["us-east-1a", "us-east-1a"]}, "['us-east-1a'] listed more than once"),
        ({"availability_zones": ["useast1a"]}, "not availability zone names"),
        ({"availability_zones": ZONES, "cidr": "10.0.0.1/16"}, "cidr = '10.0.0.1/16': not an IPv4 CIDR"),
        ({"availability_zones": ZONES, "cidr": "10.0.0.0/8"}, "cidr = '10.0.0.0/8': prefix /8; allowed: /16 to /28"),
        (
            {"availability_zones": ZONES[:2], "private_subnet_cidrs": ["10.0.0.0/18", "10.1.0.0/18"]},
            "private_subnet_cidrs[1] = '10.1.0.0/18': not inside the VPC range cidr = '10.0.0.0/16'",
        ),
        (
            {
                "availability_zones": ZONES[:2],
                "private_subnet_cidrs": ["10.0.0.0/18", "10.0.64.0/18"],
                "public_subnet_cidrs": ["10.0.32.0/24", "10.0.200.0/24"],
            },
            "private_subnet_cidrs[0] = 10.0.0.0/18 overlaps public_subnet_cidrs[0] = 10.0.32.0/24",
        ),
        (
            {"availability_zones": ZONES, "private_subnet_cidrs": ["10.0.0.0/18"]},
            "private_subnet_cidrs = ['10.0.0.0/18']: need exactly one range per availability zone (3)",
        ),
        ({"existing_vpc_id": "vpc-0123456789abcdef0"}, "existing_private_subnets = None"),
        (
            {"existing_vpc_id": "vpc-0123456789abcdef0", "existing_private_subnets": {"us-east-1a": "sn-1"}},
            "are not subnet ids",
        ),
        (
            {"existing_private_subnets": {"us-east-1a": "subnet-0aaaaaaaaaaaaaaaa"}},
            "existing_vpc_id = None",
        ),
    ],
)
def test_vpc_errors_register_nothing(kwargs: dict[str, Any], message: str) -> None:
    result, _ = vpc_run(**kwargs)
    assert isinstance(result.error, ValueError)
    assert message in str(result.error)
    assert result.resources == []


def test_default_subnets_are_disjoint_and_inside_the_vpc_for_up_to_six_zones() -> None:
    zones = [f"eu-west-1{c}" for c in "abcdef"]
    result, _ = vpc_run(availability_zones=zones, cidr="172.16.0.0/16")
    result.raise_error()
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in of_type(result, SUBNET)]
    assert len(nets) == 12
    assert all(n.subnet_of(ipaddress.ip_network("172.16.0.0/16")) for n in nets)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


# --- EksCluster -----------------------------------------------------------------------------------------------------


def cluster_run(
    region: str = "us-east-1", zones: list[str] | None = None, **kwargs: Any
) -> tuple[ProgramRun, dict[str, Any]]:
    built: dict[str, Any] = {}

    def program() -> None:
        vpc = EksVpc("inf", availability_zones=zones or [f"{region}a", f"{region}b"])
        built["cluster"] = EksCluster("llm-d", vpc=vpc, region=region, **kwargs)

    return run(program), built


def test_cluster_version_encryption_logging_and_access_mode() -> None:
    result, _ = cluster_run(admin_principal_arns=ADMINS)
    result.raise_error()
    cluster = one(result, "aws:eks/cluster:Cluster").inputs
    key = one(result, "aws:kms/key:Key")
    assert cluster["name"] == "llm-d"
    assert cluster["version"] == "1.35"
    assert key.inputs["enableKeyRotation"] is True
    assert cluster["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": f"arn:aws:mock::123456789012:{key.name}"},  # the mock's ARN of the KMS key
    }
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["vpcConfig"]["subnetIds"] == ["inf-private-us-east-1a-id", "inf-private-us-east-1b-id"]
    assert cluster["roleArn"] == "arn:aws:mock::123456789012:llm-d-cluster"
    log_group = one(result, "aws:cloudwatch/logGroup:LogGroup").inputs
    assert log_group == {"name": "/aws/eks/llm-d/cluster", "retentionInDays": 90, "tags": {"llm-d.ai/cluster": "llm-d"}}


def test_cluster_role_and_node_role_policies() -> None:
    result, _ = cluster_run()
    attached = {r.inputs["policyArn"] for r in of_type(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }
    trusts = sorted(r.inputs["assumeRolePolicy"] for r in of_type(result, "aws:iam/role:Role"))
    assert '"ec2.amazonaws.com"' in trusts[0] + trusts[1] and '"eks.amazonaws.com"' in trusts[0] + trusts[1]
    kms_policy = one(result, "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    assert "kms:Encrypt" in kms_policy and "llm-d-secrets" in kms_policy


def test_cluster_core_addons() -> None:
    result, _ = cluster_run(addon_versions={"vpc-cni": "v1.20.0-eksbuild.1"})
    addons = {r.inputs["addonName"]: r.inputs for r in of_type(result, "aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"}
    assert addons["vpc-cni"]["addonVersion"] == "v1.20.0-eksbuild.1"
    assert all(a["clusterName"] == "llm-d" for a in addons.values())
    assert all(a["resolveConflictsOnCreate"] == "OVERWRITE" for a in addons.values())
    assert of_type(result, "aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []  # Pod Identity, not IRSA


def test_cluster_access_entries_for_admins() -> None:
    result, _ = cluster_run(admin_principal_arns=ADMINS)
    entries = sorted(r.inputs["principalArn"] for r in of_type(result, "aws:eks/accessEntry:AccessEntry"))
    assert entries == sorted(ADMINS)
    associations = of_type(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(a.inputs["principalArn"] for a in associations) == sorted(ADMINS)
    for a in associations:
        assert a.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert a.inputs["accessScope"] == {"type": "cluster"}


def test_cluster_system_node_group() -> None:
    result, _ = cluster_run()
    ng = one(result, NODE_GROUP).inputs
    assert ng["nodeGroupName"] == "system"
    assert ng["amiType"] == "AL2023_x86_64_STANDARD"
    assert ng["instanceTypes"] == ["m6i.2xlarge"]
    assert ng["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert ng["nodeRoleArn"] == "arn:aws:mock::123456789012:llm-d-node"


def test_kubernetes_provider_kubeconfig_is_secret_and_uses_aws_eks_get_token() -> None:
    result, built = cluster_run(region="eu-west-1", aws_profile="inference")
    provider = one(result, "pulumi:providers:kubernetes")
    kubeconfig = yaml.safe_load(secret_value(provider.inputs["kubeconfig"]))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://192.0.2.20"
    (user,) = kubeconfig["users"]
    plugin = user["user"]["exec"]
    assert plugin["command"] == "aws"
    assert plugin["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "llm-d",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]
    assert plugin["env"] == [{"name": "AWS_PROFILE", "value": "inference"}]
    assert kubeconfig["current-context"] == "llm-d"
    as_cluster = built["cluster"].as_cluster()
    assert isinstance(as_cluster, Cluster)
    assert as_cluster.platform is Platform.EKS
    assert as_cluster.provider is built["cluster"].provider


def test_china_region_uses_the_aws_cn_partition() -> None:
    result, _ = cluster_run(region="cn-north-1", admin_principal_arns=["arn:aws-cn:iam::123456789012:role/Admin"])
    result.raise_error()
    attached = {r.inputs["policyArn"] for r in of_type(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert all(arn.startswith("arn:aws-cn:iam::aws:policy/") for arn in attached)
    association = one(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["policyArn"].startswith("arn:aws-cn:eks::aws:cluster-access-policy/")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"admin_principal_arns": ["arn:aws:sts::123456789012:assumed-role/Admin/me"]}, "not IAM role or user ARNs"),
        ({"admin_principal_arns": [ADMINS[0], ADMINS[0]]}, "an ARN is listed twice"),
        ({"kubernetes_version": "1.35.2"}, "kubernetes_version = '1.35.2': expected an EKS minor version"),
        ({"system_min_nodes": 3, "system_max_nodes": 2}, "system_min_nodes = 3, system_max_nodes = 2"),
        ({"addon_versions": {"aws-ebs-csi-driver": "v1"}}, "unknown add-on(s) ['aws-ebs-csi-driver']"),
        ({"log_retention_days": 42}, "log_retention_days = 42: allowed: None or one of"),
        ({"support_type": "LTS"}, "support_type = 'LTS': allowed: STANDARD, EXTENDED"),
        ({"region": "us-west-2"}, "region = 'us-west-2': the VPC's availability zones"),
        ({"region": "mars"}, "region = 'mars': not an AWS region name"),
        ({"zones": ["us-east-1a"]}, "EKS needs subnets in at least two AZs"),
    ],
)
def test_cluster_errors_register_nothing_of_the_cluster(kwargs: dict[str, Any], message: str) -> None:
    zones = kwargs.pop("zones", None)
    region = kwargs.pop("region", "us-east-1")
    private = {z: f"subnet-0{i:016x}" for i, z in enumerate(zones or ["us-east-1a", "us-east-1b"])}

    def program() -> None:
        vpc = EksVpc("inf", existing_vpc_id="vpc-0123456789abcdef0", existing_private_subnets=private)
        EksCluster("llm-d", vpc=vpc, region=region, **kwargs)

    result = run(program)
    assert isinstance(result.error, ValueError)
    assert message in str(result.error)
    assert [r.type for r in result.resources] == ["llmd:aws:Vpc"]  # the (existing) VPC only: nothing of the cluster


# --- all together -------------------------------------------------------------------------------------------------


def test_gpu_node_group_wired_to_the_cluster_and_vpc() -> None:
    built: dict[str, Any] = {}

    def program() -> None:
        vpc = EksVpc("inf", availability_zones=ZONES)
        cluster = EksCluster("llm-d", vpc=vpc, region="us-east-1", admin_principal_arns=ADMINS[:1])
        group = GpuNodeGroup(
            "h200",
            cluster_name=cluster.name,
            node_role_arn=cluster.node_role.arn,
            cluster_security_group_id=cluster.cluster_security_group_id,
            vpc_id=vpc.vpc_id,
            subnets=vpc.private_subnet_ids_by_az,
            availability_zone="us-east-1b",
            shape=catalog.machine("aws", "p5en.48xlarge"),
            max_size=2,
            desired_size=2,
        )
        built["cluster"] = cluster.as_cluster(extra_ready=[group.node_group])
        built["group"] = group

    result = run(program)
    result.raise_error()
    gpu = next(r for r in of_type(result, NODE_GROUP) if r.name == "h200").inputs
    assert gpu["clusterName"] == "llm-d"
    assert gpu["nodeRoleArn"] == "arn:aws:mock::123456789012:llm-d-node"
    assert gpu["subnetIds"] == ["inf-private-us-east-1b-id"]
    interfaces = one(result, LT).inputs["networkInterfaces"]
    assert len(interfaces) == 16
    assert interfaces[0]["securityGroups"] == ["h200-efa-id", "sg-0mockcluster"]  # EFA group + cluster group
    assert one(result, SECURITY_GROUP).inputs["vpcId"] == "inf-vpc-id"
    assert built["group"].node_group in built["cluster"].ready
    parents = {(r.type, r.name): r.parent for r in result.resources}
    assert parents[(NODE_GROUP, "h200")].endswith("llmd:aws:GpuNodeGroup::h200")
    assert parents[("aws:eks/cluster:Cluster", "llm-d")].endswith("llmd:aws:EksCluster::llm-d")
    assert parents[("aws:ec2/vpc:Vpc", "inf-vpc")].endswith("llmd:aws:Vpc::inf")
