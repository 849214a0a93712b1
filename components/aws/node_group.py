"""EKS GPU managed node groups: NVIDIA AL2023 AMI, one EFA device per network card, cluster placement, Capacity Blocks.

Sources: terraform-aws-modules/terraform-aws-eks (``enable_efa_support``: one interface per network card, card 0
``efa``, the others ``efa-only``; one subnet; placement group; self-referencing security group), pulumi/pulumi-eks
(``getEfaNetworkInterfaces``), the AWS EC2 user guide "Maximize network bandwidth on Amazon EC2 instances with
multiple network cards" and "Get started with EFA" (security group rules), the EKS user guide "Create a managed node
group with Capacity Blocks for ML" and "Customize managed nodes with launch templates".
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_aws as aws

from pulumi_llmd.components.args import ArgsError, component_args, format_problem
from pulumi_llmd.components.aws.cluster import EksCluster
from pulumi_llmd.components.aws.network import EksVpc
from pulumi_llmd.components.base import AcceleratorPool, RdmaAttachment, Toleration
from pulumi_llmd.components.catalog import AcceleratorKind, Cloud, MachineShape, RdmaKind
from pulumi_llmd.components.kube import merge_transform

CAPACITY_TYPES = ("ON_DEMAND", "SPOT", "CAPACITY_BLOCK")
#: EKS-optimized Amazon Linux 2023 with the NVIDIA driver, container toolkit and EFA driver.
GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
GPU_TAINT_KEY = "nvidia.com/gpu"
#: The node groups' taint is ``nvidia.com/gpu:NoSchedule`` (no value), so pods tolerate it with ``Exists``.
GPU_TOLERATION = Toleration(key=GPU_TAINT_KEY, value=None, effect="NoSchedule", operator="Exists")
#: Node label EKS puts on every node of a managed node group (value: the node group name).
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
#: Node label the pool's nodes carry with the catalog accelerator name (``nvidia-h100-80gb``).
ACCELERATOR_LABEL = "llm-d.ai/accelerator"
POOL_LABEL = "llm-d.ai/pool"
EFA_LABEL = "vpc.amazonaws.com/efa.present"
GPU_LABEL = "nvidia.com/gpu.present"
#: Extended resource the aws-efa-k8s-device-plugin advertises (one per EFA device on the node).
EFA_RESOURCE = "vpc.amazonaws.com/efa"
#: NIXL reaches EFA through libfabric (llm-d guides/pd-disaggregation/modelserver/gpu/vllm/aws:
#: ``kv_connector_extra_config: {backends: [LIBFABRIC]}``).
EFA_NIXL_BACKENDS = ("LIBFABRIC",)
#: Root device of the EKS AL2023 AMIs.
ROOT_DEVICE = "/dev/xvda"

#: IMDSv2 PUT response hop limit of the GPU nodes: 1, so the token answer never crosses the extra hop into a pod's
#: network namespace and pods cannot read the node role's credentials (EKS best practices guide, "Restrict access to
#: the instance profile assigned to the worker node"; EC2 user guide "Configure the instance metadata options").
#: Host-network pods (the VPC CNI's aws-node, kube-proxy, the EKS Pod Identity agent, the EFA and NVIDIA device
#: plugins) are on the node's own network stack and keep IMDS. Workloads that need AWS APIs use EKS Pod Identity
#: (credentials from the agent at 169.254.170.23, not IMDS) or IRSA (STS AssumeRoleWithWebIdentity with a projected
#: token): neither goes through IMDS; an SDK that finds its region through IMDS needs AWS_REGION set instead.
IMDS_HOP_LIMIT: Final = 1
_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")
_RESERVATION = re.compile(r"^cr-[0-9a-f]{8,17}$")


#: AL2023 nodeadm NodeConfig putting kubelet and containerd storage on the instance store's NVMe volumes in RAID0
#: (awslabs/amazon-eks-ami nodeadm API ``NodeConfig.spec.instance.localStorage.strategy: RAID0``; EKS user guide
#: "Customize managed nodes with launch templates": AL2023 user data is a MIME multi-part document whose
#: ``application/node.eks.aws`` part EKS merges with its own NodeConfig).
LOCAL_STORAGE_NODECONFIG = """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="LLMD"

--LLMD
Content-Type: application/node.eks.aws

---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  instance:
    localStorage:
      strategy: RAID0

--LLMD--
"""


def local_storage_user_data() -> str:
    """The launch template ``user_data`` (base64) of :data:`LOCAL_STORAGE_NODECONFIG`."""
    return base64.b64encode(LOCAL_STORAGE_NODECONFIG.encode()).decode()


#: Defaults of :class:`GpuNodeGroupArgs` (applied in one place, the constructor).
DEFAULT_MIN_SIZE = 0
DEFAULT_CAPACITY_TYPE = "ON_DEMAND"
DEFAULT_ROOT_VOLUME_GIB = 500


class GpuNodeGroupArgs(TypedDict, total=False):
    """The arguments of :class:`GpuNodeGroup` (give them as one object or as keyword arguments)."""

    cluster: EksCluster | pulumi.Input[str]
    """The cluster: an :class:`~pulumi_llmd.components.aws.EksCluster` (its name, node role and cluster security group
    are used, and the group waits for its ``node_prerequisites``) or the cluster's name (then ``node_role_arn`` and
    ``cluster_security_group_id`` are required). Default: None (then ``cluster_name`` is required)."""
    cluster_name: pulumi.Input[str] | None
    """Deprecated alias of ``cluster`` given as a name (``EksCluster.name``); give ``cluster`` instead.
    Default: None."""
    node_role_arn: pulumi.Input[str]
    """The node IAM role ARN. Default: the cluster object's ``node_role.arn`` (required with a cluster name)."""
    cluster_security_group_id: pulumi.Input[str]
    """The cluster security group EKS creates; always attached, since EKS adds it itself only when the launch template
    names no security group. Default: the cluster object's ``cluster_security_group_id`` (required with a name)."""
    vpc: EksVpc | None
    """The :class:`~pulumi_llmd.components.aws.EksVpc` whose id and private subnets the group uses.
    Default: None (then ``vpc_id`` and ``subnets`` are required)."""
    vpc_id: pulumi.Input[str]
    """The VPC id, for the EFA security group. Default: the ``vpc`` object's ``vpc_id``."""
    subnets: Mapping[str, pulumi.Input[str]]
    """``{availability zone: private subnet id}``. Default: the ``vpc`` object's ``private_subnet_ids_by_az``."""
    shape: Required[MachineShape]
    """An AWS GPU catalog shape, e.g. ``catalog.machine("aws", "p5.48xlarge")`` (8 x H100 80GB, 32 EFA)."""
    max_size: Required[int]
    """Maximum nodes, >= 1 (also the pool's ``max_nodes``)."""
    min_size: int
    """Minimum nodes, ``0 <= min_size <= max_size``. Default: 0."""
    desired_size: int | None
    """Desired nodes, within ``[min_size, max_size]``. For Capacity Blocks set it to 0 before the block starts and
    before upgrades. Default: None (``min_size``)."""
    availability_zone: str | None
    """The one AZ of the nodes (the Capacity Block's AZ for Capacity Blocks); a key of ``subnets``.
    Default: None (the only AZ of ``subnets``; required when they span several)."""
    capacity_type: str
    """``ON_DEMAND``, ``SPOT`` or ``CAPACITY_BLOCK`` (with ``capacity_reservation_id``). Default: ``"ON_DEMAND"``."""
    capacity_reservation_id: str | None
    """The Capacity Block's reservation id (``cr-...``), only with ``CAPACITY_BLOCK``. Default: None."""
    efa: bool | None
    """Attach EFA (one interface per network card). Default: None (on when the instance type has EFA)."""
    placement_group: bool | None
    """Create a cluster placement group. Default: None (on with EFA, except for Capacity Blocks, which EC2 already
    places together)."""
    root_volume_gib: int
    """Root volume size, GiB (gp3, encrypted; >= 20). Default: 500 (vLLM images and a model cache)."""
    local_storage_raid0: bool | None
    """Put kubelet / containerd storage on the instance-store NVMe volumes in RAID0 through the launch template's
    AL2023 NodeConfig (:data:`LOCAL_STORAGE_NODECONFIG`). Default: None (on where the type has instance store:
    ``shape.local_ssd_count`` > 0, e.g. p4d, p5, p5e, p5en, g6e)."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """More security groups for the nodes. Default: none."""
    tags: Mapping[str, str] | None
    """Extra tags on every taggable resource. Default: None."""
    node_group: Mapping[str, Any] | None
    """Node-group inputs the component does not model, in the provider's wire names (e.g.
    ``{"updateConfig": {"maxUnavailable": 2}, "labels": {"team": "ml"}}``), merged over the component's
    (:func:`~pulumi_llmd.components.kube.merge_values`; applied as a Pulumi transform). Default: None."""


def _depends_on(opts: pulumi.ResourceOptions | None, extra: list[pulumi.Resource]) -> Any:
    """The node group's ``depends_on``: ``opts.depends_on`` as given, plus ``extra`` (the cluster's prerequisites)."""
    given = opts.depends_on if opts is not None else None
    if not extra:
        return given
    if given is None:
        return extra
    listed: list[Any] = list(given) if isinstance(given, list) else [given]
    return [*listed, *(r for r in extra if r not in listed)]


class GpuNodeGroup(pulumi.ComponentResource):
    """An EKS managed node group of GPU instances in one availability zone, ready for vLLM (and NIXL over EFA).

    Type token ``llmd:aws:GpuNodeGroup``. Registers:

    * ``aws.ec2.LaunchTemplate``: IMDSv2 required with hop limit 1 (:data:`IMDS_HOP_LIMIT`: pods cannot reach the
      node's credentials), an encrypted
      gp3 root volume of ``root_volume_gib`` on ``/dev/xvda``, tags on instance, volume and network interfaces, and

      - with EFA, one network interface per network card of the instance type (the catalog's ``efa_interfaces``:
        32 on p5/p5e, 16 on p5en, 4 on p4d): card 0 device 0 ``interface_type="efa"`` (EFA + ENA, the primary
        interface with the node's IP), every other card ``efa-only`` (EFA without IP address) at device index 0,
        each with the security groups. This is the terraform-aws-eks (``enable_efa_support``) / pulumi-eks
        layout of interface types (both of those put the secondary cards' interfaces at device index 1; the AWS
        EC2 guide puts ``efa-only`` at device index 0 of every card but the first, as here). The AWS EC2 guide's
        alternative for card 0 is a plain ENA ``interface`` at device 0 plus ``efa-only`` at device 1, so EFA
        never shares the primary interface; ``efa-only`` can never be the primary interface;
      - without EFA, the security groups as ``vpc_security_group_ids``;
      - for Capacity Blocks, the instance type, ``instance_market_options.market_type = "capacity-block"`` and a
        ``capacity_reservation_specification`` targeting ``capacity_reservation_id`` (the node group then names no
        instance type; otherwise the instance type is on the node group only);
      - the placement group, when there is one;
    * ``aws.ec2.PlacementGroup(strategy="cluster")`` (default: with EFA, except for Capacity Blocks, whose instances
      EC2 already places together in an UltraCluster);
    * with EFA, ``aws.ec2.SecurityGroup`` with ``aws.vpc.SecurityGroupIngressRule`` and ``SecurityGroupEgressRule``
      allowing all traffic from and to itself (EFA's OS-bypass traffic needs both directions);
    * ``aws.eks.NodeGroup`` ``name`` with ``ami_type = "AL2023_x86_64_NVIDIA"``, the one subnet of
      ``availability_zone``, labels ``llm-d.ai/pool=<name>``, ``llm-d.ai/accelerator=<accelerator>``,
      ``nvidia.com/gpu.present=true`` (and ``vpc.amazonaws.com/efa.present=true`` with EFA), taint
      ``nvidia.com/gpu:NoSchedule``, ``capacity_type``, ``scaling_config(min, max, desired)``,
      ``update_config(max_unavailable=1)`` and node auto repair.

    When the launch template names security groups EKS does not add the cluster security group itself, so
    ``cluster_security_group_id`` (``EksCluster.cluster_security_group_id``) is always attached. Nodes still need the
    ``aws-efa-k8s-device-plugin`` DaemonSet to expose ``vpc.amazonaws.com/efa`` and the NVIDIA device plugin (or the
    GPU Operator with driver and toolkit off) to expose ``nvidia.com/gpu``.

    Outputs: ``node_group``, ``launch_template``, ``placement_group`` (or ``None``), ``security_group`` (the EFA
    group, or ``None`` without EFA), ``efa_devices_per_node`` (EFA devices a pod may request as
    ``vpc.amazonaws.com/efa``; 0 without EFA), ``availability_zone`` and ``pool`` (an
    :class:`~pulumi_llmd.components.base.AcceleratorPool`: node selector ``eks.amazonaws.com/nodegroup=<name>`` and
    ``llm-d.ai/accelerator``, toleration ``nvidia.com/gpu`` Exists/NoSchedule, ``max_nodes = max_size``, and with
    EFA ``rdma``: pods request their share of the ``vpc.amazonaws.com/efa`` devices and NIXL uses LIBFABRIC).

    Arguments: :class:`GpuNodeGroupArgs` (as an object or keywords); the component's ``name`` is the node group name
    (letters, digits, ``-``, ``_``; <= 63 characters), also the value of the node label
    ``eks.amazonaws.com/nodegroup``. Given an :class:`~pulumi_llmd.components.aws.EksCluster` as ``cluster``, the group
    takes its name, node role and cluster security group and waits for its ``node_prerequisites``; given an
    :class:`~pulumi_llmd.components.aws.EksVpc` as ``vpc``, its id and private subnets.

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument or one of the
            wrong kind; a non-AWS or non-GPU shape; EFA on an instance type without EFA; subnets spanning several AZs
            without ``availability_zone`` (the cluster placement group, Capacity Blocks and EFA traffic are confined
            to one AZ), or an AZ without a subnet; negative sizes, ``min_size > max_size``, desired outside
            ``[min, max]``; an unknown capacity type; ``CAPACITY_BLOCK`` without a reservation id or a reservation id
            without ``CAPACITY_BLOCK``; a malformed name or reservation id; a root volume under 20 GiB.
    """

    node_group: aws.eks.NodeGroup
    launch_template: aws.ec2.LaunchTemplate
    placement_group: aws.ec2.PlacementGroup | None
    security_group: aws.ec2.SecurityGroup | None
    pool: AcceleratorPool

    @overload
    def __init__(self, name: str, args: GpuNodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GpuNodeGroupArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GpuNodeGroupArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GpuNodeGroupArgs, "GpuNodeGroup", args, kwargs)
        problems: list[str] = []
        cluster = a.get("cluster")
        extra_depends: list[pulumi.Resource] = []
        if a.get("cluster_name") is not None and cluster is not None:
            problems.append(
                format_problem("cluster_name", a.get("cluster_name"), "give cluster or cluster_name, not both")
            )
        if isinstance(cluster, EksCluster):
            cluster_name: pulumi.Input[str] = cluster.name
            node_role_arn: pulumi.Input[str] | None = a.get("node_role_arn", cluster.node_role.arn)
            cluster_security_group_id: pulumi.Input[str] | None = a.get(
                "cluster_security_group_id", cluster.cluster_security_group_id
            )
            extra_depends = list(cluster.node_prerequisites)
        else:
            name_given = cluster if cluster is not None else a.get("cluster_name")
            if name_given is None or (isinstance(name_given, str) and not name_given):
                problems.append(
                    format_problem(
                        "cluster",
                        name_given,
                        "give the EksCluster, or its name (with node_role_arn and cluster_security_group_id)",
                    )
                )
            cluster_name = name_given or ""
            node_role_arn = a.get("node_role_arn")
            cluster_security_group_id = a.get("cluster_security_group_id")
            for key, value in (
                ("node_role_arn", node_role_arn),
                ("cluster_security_group_id", cluster_security_group_id),
            ):
                if value is None:
                    problems.append(f"{key} is required when cluster is a name (or give the EksCluster object)")
        vpc = a.get("vpc")
        if isinstance(vpc, EksVpc):
            vpc_id: pulumi.Input[str] | None = a.get("vpc_id", vpc.vpc_id)
            subnets: Mapping[str, pulumi.Input[str]] | None = a.get("subnets", vpc.private_subnet_ids_by_az)
        else:
            if vpc is not None:
                problems.append(format_problem("vpc", vpc, "must be an EksVpc (or give vpc_id and subnets)"))
            vpc_id, subnets = a.get("vpc_id"), a.get("subnets")
            if vpc_id is None:
                problems.append("vpc_id is required without vpc (an EksVpc)")
            if subnets is None:
                problems.append("subnets is required without vpc (an EksVpc)")
        shape, max_size = a["shape"], a["max_size"]
        min_size = a.get("min_size", DEFAULT_MIN_SIZE)
        desired_size = a.get("desired_size")
        availability_zone = a.get("availability_zone")
        capacity_type = a.get("capacity_type", DEFAULT_CAPACITY_TYPE)
        capacity_reservation_id = a.get("capacity_reservation_id")
        efa = a.get("efa")
        placement_group = a.get("placement_group")
        root_volume_gib = a.get("root_volume_gib", DEFAULT_ROOT_VOLUME_GIB)
        local_storage_raid0 = a.get("local_storage_raid0")
        security_group_ids: Sequence[pulumi.Input[str]] = a.get("security_group_ids", ())
        tags = a.get("tags")
        node_group = a.get("node_group")
        if not isinstance(shape, MachineShape):
            problems.append(format_problem("shape", shape, "must be a catalog MachineShape, e.g. catalog.machine(...)"))
            raise ArgsError("GpuNodeGroup", problems)
        zone, more = _validate(
            name=name,
            shape=shape,
            subnets=subnets or {},
            availability_zone=availability_zone,
            min_size=min_size,
            max_size=max_size,
            desired_size=desired_size,
            capacity_type=capacity_type,
            capacity_reservation_id=capacity_reservation_id,
            efa=efa,
            root_volume_gib=root_volume_gib,
        )
        problems += more
        if problems:
            raise ArgsError("GpuNodeGroup", problems)
        assert zone is not None and subnets is not None and vpc_id is not None
        assert node_role_arn is not None and cluster_security_group_id is not None
        super().__init__("llmd:aws:GpuNodeGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        use_efa = shape.efa_interfaces > 0 if efa is None else efa
        capacity_block = capacity_type == "CAPACITY_BLOCK"
        use_placement = (use_efa and not capacity_block) if placement_group is None else placement_group
        accelerator = shape.accelerator.name
        tags = {**(tags or {}), POOL_LABEL: name}
        self.availability_zone: str = zone
        self.capacity_type: str = capacity_type
        self.efa_devices_per_node: int = shape.efa_interfaces if use_efa else 0

        self.security_group = None
        groups: list[pulumi.Input[str]] = [cluster_security_group_id, *security_group_ids]
        if use_efa:
            sg = aws.ec2.SecurityGroup(
                f"{name}-efa",
                vpc_id=vpc_id,
                description=f"EFA: all traffic between the nodes of GPU node group {name}",
                tags={**tags, "Name": f"{name}-efa"},
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-efa-ingress-self",
                security_group_id=sg.id,
                referenced_security_group_id=sg.id,
                ip_protocol="-1",
                description="EFA: all traffic from members of this group",
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-efa-egress-self",
                security_group_id=sg.id,
                referenced_security_group_id=sg.id,
                ip_protocol="-1",
                description="EFA: all traffic to members of this group",
                opts=child,
            )
            self.security_group = sg
            groups.insert(0, sg.id)

        self.placement_group = None
        if use_placement:
            self.placement_group = aws.ec2.PlacementGroup(
                f"{name}-cluster", strategy="cluster", tags={**tags, "Name": f"{name}-cluster"}, opts=child
            )

        interfaces = (
            [
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    network_card_index=card,
                    device_index=0,
                    interface_type="efa" if card == 0 else "efa-only",
                    delete_on_termination="true",
                    security_groups=groups,
                )
                for card in range(shape.efa_interfaces)
            ]
            if use_efa
            else None
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"GPU node group {name}: {shape.machine_type}",
            update_default_version=True,
            instance_type=shape.machine_type if capacity_block else None,
            instance_market_options=(
                aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type="capacity-block")
                if capacity_block
                else None
            ),
            capacity_reservation_specification=(
                aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                    capacity_reservation_target=(
                        aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                            capacity_reservation_id=capacity_reservation_id
                        )
                    )
                )
                if capacity_block
                else None
            ),
            network_interfaces=interfaces,
            vpc_security_group_ids=None if use_efa else groups,
            placement=(
                aws.ec2.LaunchTemplatePlacementArgs(group_name=self.placement_group.name)
                if self.placement_group is not None
                else None
            ),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=IMDS_HOP_LIMIT
            ),
            # Kubelet / containerd storage (emptyDirs holding the model weights, image layers) on the instance-store
            # NVMe in RAID0 where the type has it (p5: 8 x 3.84 TB), instead of the root EBS volume.
            user_data=(
                local_storage_user_data()
                if (shape.local_ssd_count > 0 if local_storage_raid0 is None else local_storage_raid0)
                else None
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=root_volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags={**tags, "Name": name})
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=tags,
            opts=child,
        )

        labels = {POOL_LABEL: name, ACCELERATOR_LABEL: accelerator, GPU_LABEL: "true"}
        if use_efa:
            labels[EFA_LABEL] = "true"
        self.node_group = aws.eks.NodeGroup(
            name,
            cluster_name=cluster_name,
            node_group_name=name,
            node_role_arn=node_role_arn,
            subnet_ids=[subnets[zone]],
            ami_type=GPU_AMI_TYPE,
            capacity_type=capacity_type,
            instance_types=None if capacity_block else [shape.machine_type],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id,
                version=self.launch_template.latest_version.apply(str),
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size,
                max_size=max_size,
                desired_size=min_size if desired_size is None else desired_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=GPU_TAINT_KEY, effect="NO_SCHEDULE")],
            tags=tags,
            # opts.depends_on (EksCluster.node_prerequisites: the vpc-cni / kube-proxy / pod identity add-ons and the
            # node role's policy attachments): nodes without the CNI or the role's policies never become Ready.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=_depends_on(opts, extra_depends),
                transforms=[merge_transform("aws:eks/nodeGroup:NodeGroup", None, node_group)] if node_group else None,
            ),
        )
        self.pool = AcceleratorPool(
            name=name,
            shape=shape,
            node_selector={NODEGROUP_LABEL: name, ACCELERATOR_LABEL: accelerator},
            tolerations=(GPU_TOLERATION,),
            max_nodes=max_size,
            model_server_env={},
            rdma=(
                RdmaAttachment(
                    fabric=RdmaKind.EFA,
                    nics_per_node=self.efa_devices_per_node,
                    resource_name=EFA_RESOURCE,
                    nixl_backends=EFA_NIXL_BACKENDS,
                )
                if self.efa_devices_per_node
                else None
            ),
        )
        self.register_outputs(
            {
                "name": self.node_group.node_group_name,
                "instanceType": shape.machine_type,
                "accelerator": accelerator,
                "availabilityZone": zone,
                "capacityType": capacity_type,
                "efaDevicesPerNode": self.efa_devices_per_node,
            }
        )


def _validate(
    *,
    name: str,
    shape: MachineShape,
    subnets: Mapping[str, pulumi.Input[str]],
    availability_zone: str | None,
    min_size: int,
    max_size: int,
    desired_size: int | None,
    capacity_type: str,
    capacity_reservation_id: str | None,
    efa: bool | None,
    root_volume_gib: int,
) -> tuple[str | None, list[str]]:
    """Check every argument; return the one availability zone of the node group (None when unknown) and every
    problem."""
    problems: list[str] = []
    if not _NAME.match(name):
        problems.append(
            f"name = {name!r}: allowed: letters, digits, '-' and '_', starting with a letter or digit, <= 63 characters"
        )
    if shape.cloud is not Cloud.AWS:
        problems.append(
            f"shape = {shape.cloud.value}/{shape.machine_type}: not an AWS instance type; allowed: the catalog's aws "
            "shapes (catalog.machines('aws'))"
        )
    if shape.accelerator.kind is not AcceleratorKind.GPU:
        problems.append(
            f"shape = {shape.machine_type!r}: carries {shape.accelerator.name}, not a GPU; allowed: GPU shapes"
        )
    if efa and shape.efa_interfaces == 0:
        problems.append(
            f"efa = True: instance type {shape.machine_type!r} has no EFA; allowed: efa=False, or an EFA instance type "
            "(p4d.24xlarge, p5.48xlarge, p5e.48xlarge, p5en.48xlarge, g6e.8xlarge and larger)"
        )
    zones = sorted(subnets)
    zone = availability_zone
    if not zones:
        problems.append("subnets = {}: give {availability zone: subnet id} for the zone of the nodes")
    elif availability_zone is None:
        if len(zones) > 1:
            problems.append(
                f"subnets span {len(zones)} availability zones ({', '.join(zones)}): a GPU node group lives in one AZ "
                "(its cluster placement group, Capacity Block and EFA traffic cannot cross AZs); allowed: "
                f"availability_zone = one of {zones}, or subnets of one AZ"
            )
        else:
            zone = zones[0]
    elif availability_zone not in subnets:
        problems.append(
            f"availability_zone = {availability_zone!r}: no subnet in that zone; allowed: one of {zones} (the keys of "
            "subnets)"
        )
    if min_size < 0 or max_size < 1:
        problems.append(f"min_size = {min_size}, max_size = {max_size}: need min_size >= 0 and max_size >= 1")
    if min_size > max_size:
        problems.append(f"min_size = {min_size} > max_size = {max_size}; need min_size <= max_size")
    elif desired_size is not None and not min_size <= desired_size <= max_size:
        problems.append(
            f"desired_size = {desired_size}: must lie within [min_size, max_size] = [{min_size}, {max_size}]"
        )
    if capacity_type not in CAPACITY_TYPES:
        problems.append(f"capacity_type = {capacity_type!r}: allowed: {', '.join(CAPACITY_TYPES)}")
    elif capacity_type == "CAPACITY_BLOCK" and not capacity_reservation_id:
        problems.append(
            "capacity_reservation_id = None: required with capacity_type 'CAPACITY_BLOCK' (the Capacity Block's "
            "reservation id, cr-...)"
        )
    if capacity_reservation_id and capacity_type != "CAPACITY_BLOCK":
        problems.append(
            f"capacity_reservation_id = {capacity_reservation_id!r}: only allowed with capacity_type 'CAPACITY_BLOCK' "
            f"(capacity_type is {capacity_type!r})"
        )
    elif capacity_reservation_id and not _RESERVATION.match(capacity_reservation_id):
        problems.append(
            f"capacity_reservation_id = {capacity_reservation_id!r}: not a reservation id (e.g. 'cr-0123456789abcdef0')"
        )
    if root_volume_gib < 20:
        problems.append(f"root_volume_gib = {root_volume_gib}: allowed: >= 20")
    return zone, problems
