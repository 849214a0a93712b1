"""A model's weights cache on EKS: an FSx for Lustre file system, filled once, mounted by every server node.

Built by the EKS target (``blueprints/targets/eks.py``) for ``llmd:models[i].weightsCache.kind: fsx-lustre``:

* the FSx for Lustre CSI driver as the EKS managed add-on ``aws-fsx-csi-driver`` (:func:`fsx_csi_driver`), its
  controller service account ``fsx-csi-controller-sa`` given an IAM role through an EKS Pod Identity association on
  the add-on ("The Amazon FSx CSI Driver EKS add-on requires the EKS Pod Identity agent for authentication"), as the
  project's other workloads get AWS credentials (``components/aws/cluster.py``: Pod Identity, no IRSA). The EKS user
  guide ("Deploy the FSx for Lustre driver", Step 1) attaches ``AmazonFSxFullAccess`` for dynamic provisioning; the
  volumes here are static, so the controller never creates or deletes a file system and its role may only describe
  them (least privilege: an inline ``fsx:Describe*`` policy);
* :class:`FsxLustreVolume`: a security group admitting Lustre traffic, TCP 988 and 1018-1023, from itself and from
  the cluster security group the nodes carry, and the cluster security group admitting the same from the file
  system ("You must set up the security group to allow inbound traffic on ports 988 and 1018-1023", FSx for Lustre
  user guide "Creating an FSx for Lustre file system fails" / "File system access control with Amazon VPC"); an
  ``aws.fsx.LustreFileSystem`` (``PERSISTENT_2``, SSD) in the private subnet of the model pool's zone; a static
  PersistentVolume (``csi.driver: fsx.csi.aws.com``, ``volumeHandle`` the file system id, ``volumeAttributes``
  ``dnsname`` and ``mountname``, ReadWriteMany, ``mountOptions: [flock]``: kubernetes-sigs/aws-fsx-csi-driver
  ``examples/kubernetes/static_provisioning/specs/pv.yaml``) pre-bound to a ReadWriteMany claim that the loader Job
  fills and every server mounts read-only.

Static provisioning (the file system a Pulumi resource, the PV naming it) rather than a StorageClass: the file system
is created by ``pulumi up`` itself, which waits until it is ``AVAILABLE`` (``CreateFileSystem`` "returns while the
file system's lifecycle state is still CREATING", AWS CLI ``fsx create-file-system``), so the loader starts on a
mounted volume and the first-deploy twin sees the file system's creation on the timeline; the CSI controller then
provisions nothing (a user who adds a StorageClass for dynamic provisioning grants its role more).

Sizes and throughput (FSx for Lustre API ``CreateFileSystem`` ``StorageCapacity``: "For SCRATCH_2, PERSISTENT_2, and
PERSISTENT_1 deployment types using SSD storage type, the valid values are 1200 GiB, 2400 GiB, and increments of
2400 GiB"; ``PerUnitStorageThroughput``: "File system throughput capacity is calculated by multiplying file system
storage capacity (TiB) by the PerUnitStorageThroughput (MB/s/TiB)", PERSISTENT_2 SSD 125, 250, 500, 1000 MB/s/TiB):
:func:`fsx_capacity_gib`, :func:`fsx_throughput_mib_per_s`.

Nodes: the Lustre client on the EKS AL2023 NVIDIA AMI the GPU node groups run (``components/aws/node_group.py``) is
what the CSI node plugin mounts with (kubernetes-sigs/aws-fsx-csi-driver issues 356 and 437: AL2023 support since
2024). Automatic backups are off and deletion skips the final backup: the cache is refilled from the Hub by its
loader.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final, Required, TypedDict

import pulumi
import pulumi_aws as aws

from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.kube import child_options, k8s_object

__all__ = [
    "FSX_ADDON",
    "FSX_CAPACITY_STEP_GIB",
    "FSX_CONTROLLER_SERVICE_ACCOUNT",
    "FSX_CSI_DRIVER",
    "FSX_DEFAULT_PER_UNIT_THROUGHPUT",
    "FSX_MIN_CAPACITY_GIB",
    "LUSTRE_PORTS",
    "FsxLustreVolume",
    "FsxLustreVolumeArgs",
    "fsx_capacity_gib",
    "fsx_csi_driver",
    "fsx_throughput_mib_per_s",
    "lustre_pv_manifest",
]

#: The EKS managed add-on of the FSx for Lustre CSI driver (EKS user guide "Deploy the FSx for Lustre driver").
FSX_ADDON: Final = "aws-fsx-csi-driver"
#: The driver's controller service account (same page: ``--pod-identity-associations serviceAccount=...``).
FSX_CONTROLLER_SERVICE_ACCOUNT: Final = "fsx-csi-controller-sa"
#: The CSI driver name of FSx for Lustre volumes (kubernetes-sigs/aws-fsx-csi-driver examples).
FSX_CSI_DRIVER: Final = "fsx.csi.aws.com"
#: Lustre's ports, TCP: (from, to) (FSx for Lustre user guide "File system access control with Amazon VPC").
LUSTRE_PORTS: Final = ((988, 988), (1018, 1023))
#: Smallest PERSISTENT_2 SSD capacity, and the step above 2400 GiB (``CreateFileSystem`` ``StorageCapacity``).
FSX_MIN_CAPACITY_GIB: Final = 1200
FSX_CAPACITY_STEP_GIB: Final = 2400
#: PERSISTENT_2 per-unit throughput by default, MB/s/TiB (the highest of 125, 250, 500, 1000: the fewest TiB per MB/s).
FSX_DEFAULT_PER_UNIT_THROUGHPUT: Final = 1000
_DEPLOYMENT_TYPE: Final = "PERSISTENT_2"


def fsx_throughput_mib_per_s(capacity_gib: int, per_unit_mb_per_s: int) -> float:
    """A file system's throughput capacity, MiB/s: capacity (TiB) x ``per_unit_mb_per_s`` (MB/s/TiB), in MiB."""
    return capacity_gib / 1024 * per_unit_mb_per_s * 1e6 / 2**20


def fsx_capacity_gib(size_gib: int, per_unit_mb_per_s: int, needed_mib_per_s: float = 0.0) -> int:
    """The smallest valid PERSISTENT_2 capacity (1200, 2400, then steps of 2400 GiB) holding ``size_gib`` and giving
    at least ``needed_mib_per_s`` at ``per_unit_mb_per_s``. Raises ValueError for a size that is not positive.

    Args:
        needed_mib_per_s: The throughput the readers need, MiB/s. Default: 0.0 (sized by ``size_gib`` alone).
    """
    if size_gib <= 0:
        raise ValueError(f"size_gib = {size_gib}: must be > 0")
    capacity = FSX_MIN_CAPACITY_GIB
    if size_gib > capacity or fsx_throughput_mib_per_s(capacity, per_unit_mb_per_s) < needed_mib_per_s:
        steps = max(
            math.ceil(size_gib / FSX_CAPACITY_STEP_GIB),
            math.ceil(needed_mib_per_s / fsx_throughput_mib_per_s(FSX_CAPACITY_STEP_GIB, per_unit_mb_per_s) - 1e-9),
            1,
        )
        capacity = steps * FSX_CAPACITY_STEP_GIB
    return capacity


def lustre_pv_manifest(
    *, name: str, file_system_id: Any, dns_name: Any, mount_name: Any, size_gib: int, claim: tuple[str, str]
) -> dict[str, Any]:
    """A static PersistentVolume on an FSx for Lustre file system (pure function; the ids may be Pulumi outputs):
    ReadWriteMany, ``Retain`` (the file system belongs to the stack), pre-bound to ``claim`` (namespace, name), as
    kubernetes-sigs/aws-fsx-csi-driver ``examples/kubernetes/static_provisioning/specs/pv.yaml``."""
    namespace, claim_name = claim
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": f"{size_gib}Gi"},
            "volumeMode": "Filesystem",
            "accessModes": ["ReadWriteMany"],
            "mountOptions": ["flock"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "claimRef": {"namespace": namespace, "name": claim_name},
            "csi": {
                "driver": FSX_CSI_DRIVER,
                "volumeHandle": file_system_id,
                "volumeAttributes": {"dnsname": dns_name, "mountname": mount_name},
            },
        },
    }


def _pod_identity_trust() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


def fsx_csi_driver(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.eks.Addon:
    """Register the ``aws-fsx-csi-driver`` EKS add-on with its controller's IAM role (trusting
    ``pods.eks.amazonaws.com``, allowed ``fsx:Describe*`` only) bound by a Pod Identity association on the add-on
    (see the module docstring); default add-on version for the cluster, conflicts overwritten as the core add-ons
    (``components/aws/cluster.py``). ``opts.depends_on`` should hold the system node group (the controller is a
    Deployment) and the Pod Identity agent add-on.

    Args:
        tags: Tags of the role and the add-on. Default: None (none).
        opts: Options of the role, its policy attachment and the add-on. Default: None.
    """
    role = aws.iam.Role(
        f"{name}-fsx-csi",
        assume_role_policy=_pod_identity_trust(),
        description=f"FSx for Lustre CSI controller of {name}",
        tags=dict(tags or {}),
        opts=opts,
    )
    attachment = aws.iam.RolePolicy(
        f"{name}-fsx-csi-describe",
        role=role.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["fsx:Describe*"], "Resource": "*"}],
            }
        ),
        opts=opts,
    )
    return aws.eks.Addon(
        f"{name}-{FSX_ADDON}",
        cluster_name=cluster_name,
        addon_name=FSX_ADDON,
        pod_identity_associations=[
            aws.eks.AddonPodIdentityAssociationArgs(service_account=FSX_CONTROLLER_SERVICE_ACCOUNT, role_arn=role.arn)
        ],
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[attachment])),
    )


class FsxLustreVolumeArgs(TypedDict, total=False):
    """The arguments of :class:`FsxLustreVolume` (give them as this object or as keyword arguments)."""

    vpc_id: Required[pulumi.Input[str]]
    """The VPC of the cluster."""
    subnet_id: Required[pulumi.Input[str]]
    """The private subnet of the model pool's availability zone (PERSISTENT_2 file systems live in one subnet)."""
    client_security_group_id: Required[pulumi.Input[str]]
    """The security group of the nodes mounting the file system (EKS's cluster security group)."""
    namespace: Required[str]
    """The namespace of the claim."""
    claim: Required[str]
    """The PersistentVolumeClaim's name (the PV is ``<namespace>-<claim>``)."""
    capacity_gib: Required[int]
    """Storage capacity, GiB (:func:`fsx_capacity_gib`)."""
    per_unit_storage_throughput: Required[int]
    """MB/s/TiB: 125, 250, 500 or 1000."""
    tags: Mapping[str, str] | None
    """Tags of the AWS resources. Default: None."""


class FsxLustreVolume(pulumi.ComponentResource):
    """An FSx for Lustre file system with its security group, a static PersistentVolume and a ReadWriteMany claim
    bound to it (see the module docstring).

    Type token ``llmd:aws:FsxLustreVolume``. Arguments: :class:`FsxLustreVolumeArgs`; ``opts``: the Kubernetes
    provider and ``depends_on`` the namespace (the PV and the claim wait for them). Outputs: ``file_system``,
    ``security_group``, ``claim_resource`` (what the loader and readers wait for), ``claim`` (its name).

    Raises:
        ArgsError: an unknown, mistyped or missing argument.
    """

    def __init__(
        self,
        name: str,
        args: FsxLustreVolumeArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(FsxLustreVolumeArgs, "FsxLustreVolume", args, kwargs)
        namespace, claim, capacity = a["namespace"], a["claim"], a["capacity_gib"]
        tags = dict(a.get("tags") or {})
        super().__init__("llmd:aws:FsxLustreVolume", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Standalone rules only (inline rules would own the group's whole rule set): the group and its rules from
        # itself need only the VPC, so the file system is created while the cluster comes up; the rules naming the
        # cluster security group (the nodes) follow the cluster.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-lustre",
            vpc_id=a["vpc_id"],
            description=f"FSx for Lustre weights cache {name}: Lustre (TCP 988, 1018-1023) from itself and the nodes",
            tags={**tags, "Name": f"{name}-lustre"},
            opts=child,
        )
        nodes = a["client_security_group_id"]
        own_rules: list[pulumi.Resource] = []
        for lo, hi in LUSTRE_PORTS:
            for peer, peer_name in ((self.security_group.id, "self"), (nodes, "nodes")):
                ingress = aws.vpc.SecurityGroupIngressRule(
                    f"{name}-lustre-from-{peer_name}-{lo}",
                    security_group_id=self.security_group.id,
                    referenced_security_group_id=peer,
                    ip_protocol="tcp",
                    from_port=lo,
                    to_port=hi,
                    description=f"Lustre from {peer_name}",
                    opts=child,
                )
                egress = aws.vpc.SecurityGroupEgressRule(
                    f"{name}-lustre-to-{peer_name}-{lo}",
                    security_group_id=self.security_group.id,
                    referenced_security_group_id=peer,
                    ip_protocol="tcp",
                    from_port=lo,
                    to_port=hi,
                    description=f"Lustre to {peer_name}",
                    opts=child,
                )
                if peer_name == "self":
                    own_rules += [ingress, egress]
            # The nodes' side: Lustre from the file system into the cluster security group.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-lustre-to-nodes-{lo}",
                security_group_id=nodes,
                referenced_security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=lo,
                to_port=hi,
                description=f"Lustre from the FSx weights cache {name}",
                opts=child,
            )
        self.file_system = aws.fsx.LustreFileSystem(
            name,
            storage_capacity=capacity,
            storage_type="SSD",
            deployment_type=_DEPLOYMENT_TYPE,
            per_unit_storage_throughput=a["per_unit_storage_throughput"],
            subnet_ids=a["subnet_id"],
            security_group_ids=[self.security_group.id],
            automatic_backup_retention_days=0,
            skip_final_backup=True,
            tags={**tags, "Name": name},
            # CreateFileSystem checks that the group admits Lustre on 988 from itself.
            opts=pulumi.ResourceOptions(parent=self, depends_on=own_rules),
        )
        # The PV and the claim wait for what the component waits for (the namespace, the cluster); the AWS resources
        # for nothing but their inputs, so the file system is created while the cluster comes up.
        k8s_child = child_options(self, opts)
        volume = f"{namespace}-{claim}"
        pv = k8s_object(
            f"{name}-pv",
            lustre_pv_manifest(
                name=volume,
                file_system_id=self.file_system.id,
                dns_name=self.file_system.dns_name,
                mount_name=self.file_system.mount_name,
                size_gib=capacity,
                claim=(namespace, claim),
            ),
            pulumi.ResourceOptions.merge(k8s_child, pulumi.ResourceOptions(depends_on=[self.file_system])),
        )
        self.claim = claim
        self.claim_resource = k8s_object(
            f"{name}-pvc",
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": namespace},
                "spec": {
                    "accessModes": ["ReadWriteMany"],
                    "resources": {"requests": {"storage": f"{capacity}Gi"}},
                    "storageClassName": "",
                    "volumeName": volume,
                },
            },
            pulumi.ResourceOptions.merge(k8s_child, pulumi.ResourceOptions(depends_on=[pv])),
        )
        self.register_outputs({"claim": claim, "fileSystemId": self.file_system.id})
