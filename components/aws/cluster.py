"""An EKS cluster set up for LLM inference (typed pulumi-aws resources), and the Kubernetes provider that targets it.

Sources: EKS user guide (cluster IAM role, node IAM role, access entries and access policies, envelope encryption of
Secrets with KMS, control-plane logging, managed add-ons, EKS Pod Identity); terraform-aws-modules/terraform-aws-eks
(the KMS permissions on the cluster role, add-ons created before/after the node groups, the control-plane log group).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from pulumi_llmd.components.args import ArgsError, component_args, count_problem, format_problem
from pulumi_llmd.components.aws.network import EksVpc
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.kube import exec_kubeconfig
from pulumi_llmd.components.versions import KUBERNETES_VERSION

#: Every control-plane log type EKS can ship to CloudWatch Logs.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: Managed add-ons created before the node groups (nodes need the CNI and kube-proxy to become Ready, and the Pod
#: Identity agent before workloads ask for credentials).
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
#: Managed add-ons created after the system node group (CoreDNS is a Deployment: it stays DEGRADED without nodes).
ADDONS_AFTER_NODES = ("coredns",)
CORE_ADDONS = ADDONS_BEFORE_NODES + ADDONS_AFTER_NODES
#: EKS access policy the admin principals get, cluster-wide.
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
#: Managed policies of the node IAM role (EKS user guide "Amazon EKS node IAM role").
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
SUPPORT_TYPES = ("STANDARD", "EXTENDED")
#: Configuration values of the managed ``vpc-cni`` add-on: the network policy agent on, so that Kubernetes
#: NetworkPolicies are enforced (off by default). EKS user guide "Restrict Pod network traffic with Kubernetes
#: network policies" (``aws eks update-addon --addon-name vpc-cni --configuration-values
#: '{"enableNetworkPolicy": "true"}'``; the value is a string, as the add-on's configuration schema declares; needs
#: VPC CNI 1.14+ and Linux kernel 5.10+, which the AL2023 node AMIs have).
VPC_CNI_CONFIGURATION: Final = '{"enableNetworkPolicy": "true"}'
#: Retention periods CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922)

_VERSION = re.compile(r"^1\.[0-9]{2}$")
_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
#: An IAM role or user ARN (IAM user guide "IAM identifiers": names of ``[\w+=,.@-]`` with ``/`` paths); no
#: wildcard, since an access entry names one principal (EKS API ``CreateAccessEntry``: ``principalArn``).
PRINCIPAL_ARN = re.compile(r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+$")


def partition(region: str) -> str:
    """The AWS partition of ``region``: ``aws-cn`` for ``cn-*``, ``aws-us-gov`` for ``us-gov-*``, else ``aws``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


#: Defaults of :class:`EksClusterArgs` (applied in one place, the constructor).
DEFAULT_BOOTSTRAP_CREATOR_ADMIN = True
DEFAULT_SYSTEM_INSTANCE_TYPE = "m6i.2xlarge"
DEFAULT_SYSTEM_MIN_NODES = 2
DEFAULT_SYSTEM_MAX_NODES = 4
DEFAULT_SYSTEM_DISK_SIZE_GIB = 100
DEFAULT_LOG_RETENTION_DAYS = 90
DEFAULT_SUPPORT_TYPE = "STANDARD"
DEFAULT_DELETION_PROTECTION = True


class EksClusterArgs(TypedDict, total=False):
    """The arguments of :class:`EksCluster` (give them as one object or as keyword arguments)."""

    vpc: Required[EksVpc]
    """The :class:`~pulumi_llmd.components.aws.EksVpc` (new or existing); its private subnets must span at least two
    AZs of ``region``."""
    region: Required[str]
    """The AWS region of the provider, e.g. ``us-east-1`` (for the kubeconfig and the partition of policy ARNs)."""
    kubernetes_version: str
    """EKS minor version ``1.NN``. Default: ``versions.KUBERNETES_VERSION`` (1.35)."""
    admin_principal_arns: Sequence[str]
    """IAM role or user ARNs (``arn:aws:iam::<account>:role/<name>``) given cluster admin (access entry +
    ``AmazonEKSClusterAdminPolicy``). Do not list the identity that runs Pulumi when ``bootstrap_creator_admin`` is
    on: EKS already created its entry and a second one fails. Default: none."""
    bootstrap_creator_admin: bool
    """Give the identity creating the cluster admin access (the Kubernetes provider uses that identity).
    Default: True."""
    public_access_cidrs: Sequence[str]
    """IPv4 CIDRs that may reach the public API endpoint (``vpc_config.public_access_cidrs``). ``0.0.0.0/0`` opens it
    to the internet (EKS's own default; not recommended by the EKS best practices guide, "Make the EKS Cluster
    Endpoint private"). Default: none (the public endpoint is off; the API is reachable only from inside the VPC)."""
    system_instance_type: str
    """Instance type of the system managed node group. Default: ``"m6i.2xlarge"``."""
    system_min_nodes: int
    """Minimum (and desired) size of the system node group, >= 1. Default: 2."""
    system_max_nodes: int
    """Maximum size of the system node group, >= ``system_min_nodes``. Default: 4."""
    system_disk_size_gib: int
    """Disk of each system node, GiB (>= 20). Default: 100."""
    addon_versions: Mapping[str, str] | None
    """``{add-on name: version}`` pins for the core add-ons (vpc-cni, kube-proxy, eks-pod-identity-agent, coredns).
    Default: None (EKS's default for the cluster version)."""
    log_retention_days: int | None
    """Control-plane log retention, days, one of CloudWatch's values; None lets EKS create the group without expiry.
    Default: 90."""
    support_type: str
    """``STANDARD`` (cluster upgrades when standard support ends) or ``EXTENDED`` (paid). Default: ``"STANDARD"``."""
    deletion_protection: bool
    """EKS deletion protection. Default: True."""
    aws_profile: str | None
    """``AWS_PROFILE`` for ``aws eks get-token`` in the kubeconfig. Default: None (the ambient credentials)."""
    node_policy_arns: Sequence[str]
    """Extra managed policy ARNs for the node role (e.g. ``AmazonSSMManagedInstanceCore``). Default: none."""
    tags: Mapping[str, str] | None
    """Extra tags on every taggable resource. Default: None."""


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster for inference: control plane, core add-ons, a system managed node group, admin access.

    Type token ``llmd:aws:EksCluster``. Registers:

    * the cluster IAM role (trust ``eks.amazonaws.com``, ``AmazonEKSClusterPolicy``) with an inline policy letting
      EKS use the Secrets KMS key (``kms:Encrypt``, ``Decrypt``, ``ListGrants``, ``DescribeKey``);
    * an ``aws.kms.Key`` with yearly automatic rotation (and alias ``alias/eks/<name>``) for envelope encryption of
      Kubernetes Secrets (``encryption_config.resources = ["secrets"]``);
    * the CloudWatch log group ``/aws/eks/<name>/cluster`` with ``log_retention_days`` (EKS would otherwise create it
      without expiry) and all control-plane log types (api, audit, authenticator, controllerManager, scheduler);
    * ``aws.eks.Cluster`` ``name`` at ``kubernetes_version`` (default 1.35), a private API endpoint and a public one
      only for ``public_access_cidrs`` (none by default), control-plane ENIs in the VPC's private subnets,
      ``authentication_mode = "API"`` (access entries only, no aws-auth
      ConfigMap), ``bootstrap_self_managed_addons = false`` (the add-ons below are managed instead), upgrade
      support ``STANDARD``;
    * one ``aws.eks.AccessEntry`` + ``aws.eks.AccessPolicyAssociation`` (``AmazonEKSClusterAdminPolicy``,
      cluster scope) per ARN in ``admin_principal_arns``;
    * managed add-ons ``vpc-cni``, ``kube-proxy``, ``eks-pod-identity-agent`` (before the nodes) and ``coredns``
      (after the system node group), conflicts resolved by overwrite, default versions unless ``addon_versions``;
      ``vpc-cni`` with its network policy agent on (:data:`VPC_CNI_CONFIGURATION`), so NetworkPolicies are enforced;
    * the node IAM role (trust ``ec2.amazonaws.com``; ``AmazonEKSWorkerNodePolicy``, ``AmazonEKS_CNI_Policy``,
      ``AmazonEC2ContainerRegistryReadOnly``), shared with the GPU node groups (``node_role.arn``); EKS creates the
      nodes' access entries itself for managed node groups;
    * the ``system`` managed node group (``AL2023_x86_64_STANDARD``, ``system_instance_type``, label
      ``llm-d.ai/pool=system``) in all private subnets;
    * a ``pulumi_kubernetes.Provider`` from a kubeconfig whose user runs
      ``aws eks get-token --cluster-name <name> --region <region>`` (AWS CLI v2 on the machine running Pulumi).

    Workload identity: EKS Pod Identity (the ``eks-pod-identity-agent`` add-on). A workload gets an IAM role with an
    ``aws.eks.PodIdentityAssociation(cluster_name, namespace, service_account, role_arn)`` whose role trusts
    ``pods.eks.amazonaws.com``; no IAM OIDC provider (IRSA) is created, so nothing depends on the issuer URL.

    Outputs: ``cluster``, ``name``, ``endpoint``, ``certificate_authority`` (base64 CA), ``kubeconfig`` (secret),
    ``cluster_security_group_id`` (the security group EKS creates for control plane and nodes; GPU node groups with a
    launch template must list it), ``node_role``, ``cluster_role``, ``kms_key``, ``system_node_group``, ``addons``
    (``{name: aws.eks.Addon}``), ``access_entries``, ``node_prerequisites`` (what GPU node groups must depend on: the
    node role's policy attachments and the add-ons created before nodes), ``vpc`` (the :class:`EksVpc`),
    ``provider`` and :meth:`as_cluster`.

    Arguments: :class:`EksClusterArgs` (as an object or keywords); the component's ``name`` is the cluster name
    (letters, digits, ``-``, ``_``; starts alphanumeric; <= 100 characters).

    Raises:
        ArgsError: (a ``ValueError``, before anything is registered) an unknown or missing argument or one of the
            wrong kind; a malformed name, region, version, principal ARN or public access CIDR; a VPC with fewer than
            two AZs or AZs outside ``region``; system node bounds below 1 or out of order; an unknown add-on in
            ``addon_versions``; a log retention CloudWatch does not accept; an unknown support type.
    """

    cluster: aws.eks.Cluster
    provider: k8s.Provider

    @overload
    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[EksClusterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: EksClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(EksClusterArgs, "EksCluster", args, kwargs)
        vpc, region = a["vpc"], a["region"]
        kubernetes_version = a.get("kubernetes_version", KUBERNETES_VERSION)
        admin_principal_arns: Sequence[str] = a.get("admin_principal_arns", ())
        bootstrap_creator_admin = a.get("bootstrap_creator_admin", DEFAULT_BOOTSTRAP_CREATOR_ADMIN)
        public_access_cidrs: Sequence[str] = a.get("public_access_cidrs", ())
        system_instance_type = a.get("system_instance_type", DEFAULT_SYSTEM_INSTANCE_TYPE)
        system_min_nodes = a.get("system_min_nodes", DEFAULT_SYSTEM_MIN_NODES)
        system_max_nodes = a.get("system_max_nodes", DEFAULT_SYSTEM_MAX_NODES)
        system_disk_size_gib = a.get("system_disk_size_gib", DEFAULT_SYSTEM_DISK_SIZE_GIB)
        addon_versions = a.get("addon_versions")
        log_retention_days = a.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS)
        support_type = a.get("support_type", DEFAULT_SUPPORT_TYPE)
        deletion_protection = a.get("deletion_protection", DEFAULT_DELETION_PROTECTION)
        aws_profile = a.get("aws_profile")
        node_policy_arns: Sequence[str] = a.get("node_policy_arns", ())
        tags = a.get("tags")
        if not isinstance(vpc, EksVpc):
            raise ArgsError("EksCluster", [format_problem("vpc", vpc, "must be an EksVpc (new or existing)")])
        problems = _validate(
            name=name,
            vpc=vpc,
            region=region,
            kubernetes_version=kubernetes_version,
            admin_principal_arns=admin_principal_arns,
            public_access_cidrs=public_access_cidrs,
            system_min_nodes=system_min_nodes,
            system_max_nodes=system_max_nodes,
            system_disk_size_gib=system_disk_size_gib,
            addon_versions=addon_versions or {},
            log_retention_days=log_retention_days,
            support_type=support_type,
        )
        if problems:
            raise ArgsError("EksCluster", problems)
        super().__init__("llmd:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        part = partition(region)
        policy = f"arn:{part}:iam::aws:policy"
        tags = {**(tags or {}), "llm-d.ai/cluster": name}
        self.region = region
        #: The cluster's :class:`EksVpc` (``vpc.cidr``: where the control plane's ENIs sit, which ``LlmdPlatform``
        #: allows for the API server; None for an existing VPC).
        self.vpc: EksVpc = vpc

        # --- control plane ------------------------------------------------------------------------------------
        self.cluster_role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=_assume_role_policy("eks.amazonaws.com"),
            description=f"EKS cluster role of {name}",
            tags=tags,
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-AmazonEKSClusterPolicy",
            role=self.cluster_role.name,
            policy_arn=f"{policy}/AmazonEKSClusterPolicy",
            opts=child,
        )
        self.kms_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of Kubernetes Secrets in EKS cluster {name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=child,
        )
        aws.kms.Alias(f"{name}-secrets", name=f"alias/eks/{name}", target_key_id=self.kms_key.key_id, opts=child)
        kms_policy = aws.iam.RolePolicy(
            f"{name}-cluster-encryption",
            role=self.cluster_role.name,
            policy=self.kms_key.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        depends: list[pulumi.Resource] = [cluster_policy, kms_policy]
        if log_retention_days is not None:
            depends.append(
                aws.cloudwatch.LogGroup(
                    f"{name}-control-plane",
                    name=f"/aws/eks/{name}/cluster",
                    retention_in_days=log_retention_days,
                    tags=tags,
                    opts=child,
                )
            )
        self.cluster = aws.eks.Cluster(
            name,
            name=name,
            version=kubernetes_version,
            role_arn=self.cluster_role.arn,
            # API endpoint (EKS user guide "Cluster API server endpoint"): the private endpoint always (nodes and
            # in-VPC clients), the public one only for ``public_access_cidrs`` and not at all without them.
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=vpc.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=bool(public_access_cidrs),
                public_access_cidrs=list(public_access_cidrs) if public_access_cidrs else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=bootstrap_creator_admin,
            ),
            bootstrap_self_managed_addons=False,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.kms_key.arn),
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=support_type),
            deletion_protection=deletion_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.name: pulumi.Output[str] = self.cluster.name
        self.endpoint: pulumi.Output[str] = self.cluster.endpoint
        self.certificate_authority: pulumi.Output[str] = self.cluster.certificate_authority.apply(
            lambda ca: (ca.data or "") if ca is not None else ""
        )
        self.cluster_security_group_id: pulumi.Output[str] = self.cluster.vpc_config.apply(
            lambda cfg: cfg.cluster_security_group_id or ""
        )

        # --- admin access ---------------------------------------------------------------------------------------
        self.access_entries: list[aws.eks.AccessEntry] = []
        admin_access: list[pulumi.Resource] = []
        for i, arn in enumerate(admin_principal_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=self.cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            self.access_entries.append(entry)
            admin_access.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{i}",
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=f"arn:{part}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=child,
                )
            )

        # --- nodes ----------------------------------------------------------------------------------------------
        self.node_role = aws.iam.Role(
            f"{name}-node",
            assume_role_policy=_assume_role_policy("ec2.amazonaws.com"),
            description=f"EKS node role of {name}",
            tags=tags,
            opts=child,
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy_name}",
                role=self.node_role.name,
                policy_arn=f"{policy}/{policy_name}",
                opts=child,
            )
            for policy_name in NODE_POLICIES
        ]
        node_policies += [
            aws.iam.RolePolicyAttachment(f"{name}-node-extra-{i}", role=self.node_role.name, policy_arn=arn, opts=child)
            for i, arn in enumerate(node_policy_arns)
        ]
        self.node_policies: list[pulumi.Resource] = list(node_policies)
        versions = dict(addon_versions or {})
        self.addons: dict[str, aws.eks.Addon] = {
            addon: self._addon(name, addon, versions.get(addon), tags, []) for addon in ADDONS_BEFORE_NODES
        }
        self.system_node_group = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=self.cluster.name,
            node_group_name="system",
            node_role_arn=self.node_role.arn,
            subnet_ids=vpc.private_subnet_ids,
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            instance_types=[system_instance_type],
            disk_size=system_disk_size_gib,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=system_min_nodes, max_size=system_max_nodes, desired_size=system_min_nodes
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels={"llm-d.ai/pool": "system"},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*node_policies, *self.addons.values()]),
        )
        for addon in ADDONS_AFTER_NODES:
            self.addons[addon] = self._addon(name, addon, versions.get(addon), tags, [self.system_node_group])
        #: What every node group of this cluster must wait for (pass as ``depends_on`` of a GPU node group): the node
        #: role's policy attachments and the add-ons nodes need to become Ready (vpc-cni, kube-proxy, pod identity
        #: agent). EKS user guide "Amazon EKS node IAM role"; terraform-aws-eks creates these add-ons before nodes.
        self.node_prerequisites: list[pulumi.Resource] = [
            *node_policies,
            *(self.addons[addon] for addon in ADDONS_BEFORE_NODES),
        ]

        # --- Kubernetes provider --------------------------------------------------------------------------------
        def aws_exec(cluster_name: str) -> dict[str, Any]:
            plugin: dict[str, Any] = {
                "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                "interactiveMode": "Never",
                "installHint": "Install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/)",
            }
            if aws_profile:
                plugin["env"] = [{"name": "AWS_PROFILE", "value": aws_profile}]
            return plugin

        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.endpoint, self.certificate_authority).apply(
                lambda args: exec_kubeconfig(
                    name=args[0], server=args[1], ca_data=args[2] or "", exec_config=aws_exec(args[0])
                )
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.system_node_group, *admin_access]),
        )
        self.register_outputs(
            {
                "name": self.name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "region": region,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeRoleArn": self.node_role.arn,
            }
        )

    def _addon(
        self, name: str, addon: str, version: str | None, tags: Mapping[str, str], after: list[pulumi.Resource]
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=version,
            configuration_values=VPC_CNI_CONFIGURATION if addon == "vpc-cni" else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def as_cluster(self, extra_ready: Sequence[pulumi.Resource] = ()) -> Cluster:
        """This cluster as the cloud-neutral :class:`~pulumi_llmd.components.base.Cluster` serving consumes.

        Args:
            extra_ready: Resources serving must wait for besides the system node group and CoreDNS, typically the
                GPU node groups. Default: none.
        """
        return Cluster(
            name=self.name,
            platform=Platform.EKS,
            provider=self.provider,
            ready=[self.system_node_group, self.addons["coredns"], *extra_ready],
        )


def _validate(
    *,
    name: str,
    vpc: EksVpc,
    region: str,
    kubernetes_version: str,
    admin_principal_arns: Sequence[str],
    public_access_cidrs: Sequence[str],
    system_min_nodes: int,
    system_max_nodes: int,
    system_disk_size_gib: int,
    addon_versions: Mapping[str, str],
    log_retention_days: int | None,
    support_type: str,
) -> list[str]:
    """Every problem with an :class:`EksCluster`'s arguments (empty when none)."""
    problems: list[str] = []
    if not _NAME.match(name):
        problems.append(
            f"name = {name!r}: allowed: letters, digits, '-' and '_', starting with a letter or digit, "
            "<= 100 characters"
        )
    if not _REGION.match(region):
        problems.append(f"region = {region!r}: not an AWS region name (e.g. 'us-east-1')")
    elif any(not az.startswith(region) for az in vpc.availability_zones):
        problems.append(
            f"region = {region!r}: the VPC's availability zones {list(vpc.availability_zones)} are elsewhere"
        )
    if not _VERSION.match(kubernetes_version):
        problems.append(f"kubernetes_version = {kubernetes_version!r}: expected an EKS minor version 1.NN, e.g. 1.35")
    if len(vpc.availability_zones) < 2:
        problems.append(
            f"vpc.availability_zones = {list(vpc.availability_zones)}: EKS needs subnets in at least two AZs "
            "for the control plane"
        )
    bad = [arn for arn in admin_principal_arns if not isinstance(arn, str) or not PRINCIPAL_ARN.match(arn)]
    if isinstance(admin_principal_arns, str) or bad:
        problems.append(
            f"admin_principal_arns = {admin_principal_arns!r}: {bad or admin_principal_arns!r} not IAM role or user "
            "ARNs; allowed: arn:aws:iam::<12-digit account>:role/<name> or :user/<name>"
        )
    elif len(set(admin_principal_arns)) != len(admin_principal_arns):
        problems.append(f"admin_principal_arns = {list(admin_principal_arns)}: an ARN is listed twice")
    for cidr in public_access_cidrs:
        try:
            ipaddress.IPv4Network(cidr)
        except ValueError:
            problems.append(
                f"public_access_cidrs = {list(public_access_cidrs)!r}: {cidr!r} is not an IPv4 CIDR "
                "(e.g. 203.0.113.0/24)"
            )
    counts = [
        count_problem("system_min_nodes", system_min_nodes),
        count_problem("system_max_nodes", system_max_nodes),
        count_problem("system_disk_size_gib", system_disk_size_gib, minimum=20),
    ]
    problems += [p for p in counts if p]
    if not any(counts[:2]) and system_min_nodes > system_max_nodes:
        problems.append(
            f"system_min_nodes = {system_min_nodes}, system_max_nodes = {system_max_nodes}: need 1 <= min <= max"
        )
    unknown = sorted(set(addon_versions) - set(CORE_ADDONS))
    if unknown:
        problems.append(f"addon_versions = {dict(addon_versions)}: unknown add-on(s) {unknown}; allowed: {CORE_ADDONS}")
    if log_retention_days is not None and log_retention_days not in LOG_RETENTION_DAYS:
        problems.append(
            f"log_retention_days = {log_retention_days}: allowed: None or one of "
            f"{', '.join(str(d) for d in LOG_RETENTION_DAYS)}"
        )
    if support_type not in SUPPORT_TYPES:
        problems.append(f"support_type = {support_type!r}: allowed: {', '.join(SUPPORT_TYPES)}")
    return problems
