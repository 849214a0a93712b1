"""The EKS target: a VPC (new or existing), the EKS cluster, one GPU node group per pool (EFA, placement group,
capacity type), the NVIDIA / EFA device plugins and DCGM, Istio or agentgateway, kube-prometheus-stack; and the
EKS rules of config validation. Imported only for ``target.cloud: aws``."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from pulumi_llmd.blueprints.config import AwsTarget, ModelConfig, PoolConfig, StackConfig
from pulumi_llmd.blueprints.issues import CONFIG_NAMESPACE, ConfigIssue
from pulumi_llmd.blueprints.plan import StackPlan
from pulumi_llmd.blueprints.targets import (
    AWS_INTERNAL_LB,
    AWS_PUBLIC_LB,
    Target,
    TargetPlatform,
    consumption_issues,
    pool_key,
    refuse_cluster_keys,
)
from pulumi_llmd.components import catalog
from pulumi_llmd.components.aws import EksCluster, EksVpc, GpuNodeGroup
from pulumi_llmd.components.base import AcceleratorPool, Cluster
from pulumi_llmd.components.platform import DcgmExporter, EfaDevicePlugin, NvidiaDevicePlugin
from pulumi_llmd.components.serving.weights_cache import WeightsCacheMount

_AWS_CAPACITY = {"on-demand": "ON_DEMAND", "spot": "SPOT", "capacity-block": "CAPACITY_BLOCK"}


def _eks(plan: StackPlan, target: AwsTarget) -> tuple[Cluster, EksCluster, EksVpc]:
    config = plan.config
    cl = config.cluster
    existing_vpc = target.vpc.existing_vpc_id is not None
    vpc = EksVpc(
        cl.name,
        # With an existing VPC the zones are the keys of its private subnets (config validation checked they match).
        availability_zones=() if existing_vpc else target.availability_zones,
        cidr=target.vpc.cidr,
        nat_gateway_per_az=target.vpc.nat_gateway_per_az,
        existing_vpc_id=target.vpc.existing_vpc_id,
        existing_private_subnets=target.vpc.existing_private_subnets,
    )
    eks = EksCluster(
        cl.name,
        vpc=vpc,
        region=target.region,
        kubernetes_version=cl.kubernetes_version,
        admin_principal_arns=target.admin_principal_arns,
        public_access_cidrs=cl.control_plane.authorized_cidrs or (),
        system_instance_type=cl.system_pool.machine_type or catalog.DEFAULT_SYSTEM_MACHINE_TYPES[catalog.Cloud.AWS],
        system_min_nodes=max(2, cl.system_pool.min_nodes),
        system_max_nodes=max(2, cl.system_pool.max_nodes),
        deletion_protection=cl.deletion_protection,
    )
    cluster = eks.as_cluster()
    for pool in config.pools:
        group = GpuNodeGroup(
            pool.name,
            cluster_name=eks.name,
            node_role_arn=eks.node_role.arn,
            cluster_security_group_id=eks.cluster_security_group_id,
            vpc_id=vpc.vpc_id,
            subnets=vpc.private_subnet_ids_by_az,
            availability_zone=pool.availability_zone or target.availability_zones[0],
            shape=plan.pool(pool.name).shape,
            min_size=pool.autoscaling.min_nodes if pool.autoscaling else (pool.node_count or 0),
            max_size=pool.max_nodes,
            desired_size=pool.node_count,
            capacity_type=_AWS_CAPACITY[plan.pool(pool.name).provisioning],
            capacity_reservation_id=pool.reservation,
            efa=pool.efa,
            opts=pulumi.ResourceOptions(parent=eks, depends_on=eks.node_prerequisites),
        )
        cluster.pools[pool.name] = group.pool
        cluster.pool_ready[pool.name] = [group.node_group]
    return cluster, eks, vpc


# --- config rules ---------------------------------------------------------------------------------------------------


def _target_issues(target: AwsTarget) -> list[ConfigIssue]:
    """The EKS target's AZs, VPC ranges, existing VPC ids and admin principal ARNs, with the components' own rules.

    These ran in the components (exit 3 after the VPC had registered); config validation runs the same functions
    (:func:`~pulumi_llmd.components.aws.network.check_zones`, :func:`~pulumi_llmd.components.aws.network.
    plan_subnets`, :func:`~pulumi_llmd.components.aws.network.check_existing`, :data:`~pulumi_llmd.components.aws.
    cluster.PRINCIPAL_ARN`) so a bad value is a config error (exit 2) before anything is registered.
    """
    from pulumi_llmd.components.aws.cluster import PRINCIPAL_ARN, partition
    from pulumi_llmd.components.aws.network import check_existing, check_zones, plan_subnets

    issues: list[ConfigIssue] = []
    key = f"{CONFIG_NAMESPACE}:target"
    zones = list(target.availability_zones)
    zone_problem = False
    try:
        check_zones(zones)
    except ValueError as exc:
        zone_problem = True
        issues.append(ConfigIssue(key=f"{key}.availabilityZones", message=str(exc).split(": ", 1)[-1]))
    outside = [z for z in zones if not z.startswith(target.region) or len(z) != len(target.region) + 1]
    if outside and not zone_problem:
        issues.append(
            ConfigIssue(
                key=f"{key}.availabilityZones",
                value=", ".join(outside),
                message=f"not zones of region {target.region}; allowed: {target.region}a, {target.region}b, ...",
            )
        )
    if len(set(zones)) < 2:
        issues.append(
            ConfigIssue(
                key=f"{key}.availabilityZones",
                value=", ".join(zones),
                message="EKS needs subnets in at least two availability zones for the control plane; give two or "
                f"more zones of {target.region}",
            )
        )
    vpc = target.vpc
    existing = vpc.existing_vpc_id is not None or vpc.existing_private_subnets is not None
    if existing:
        try:
            check_existing(
                vpc.existing_vpc_id,
                dict(vpc.existing_private_subnets or {}),
                None,
                availability_zones=(),
                cidrs_given=False,
            )
        except ValueError as exc:
            field, _, message = str(exc).partition(" = ")
            camel = {"existing_vpc_id": "existingVpcId", "existing_private_subnets": "existingPrivateSubnets"}
            issues.append(
                ConfigIssue(
                    key=f"{key}.vpc.{camel.get(field, 'existingPrivateSubnets')}",
                    message=message.split(": ", 1)[-1] if message else str(exc),
                )
            )
        else:
            subnet_zones = set(vpc.existing_private_subnets or {})
            if subnet_zones != set(zones):
                issues.append(
                    ConfigIssue(
                        key=f"{key}.vpc.existingPrivateSubnets",
                        value=", ".join(sorted(subnet_zones)),
                        message=f"one private subnet per availability zone of the target ({', '.join(zones)}); "
                        "allowed: the same zones as availabilityZones",
                    )
                )
        if "cidr" in vpc.model_fields_set or "nat_gateway_per_az" in vpc.model_fields_set:
            issues.append(
                ConfigIssue(
                    key=f"{key}.vpc.cidr",
                    message="cidr and natGatewayPerAz do not apply to an existing VPC (existingVpcId): nothing is "
                    "created in it",
                )
            )
    elif not zone_problem and zones:
        try:
            plan_subnets(vpc.cidr, len(zones))
        except ValueError as exc:
            issues.append(ConfigIssue(key=f"{key}.vpc.cidr", value=vpc.cidr, message=str(exc).split(": ", 1)[-1]))
    seen: set[str] = set()
    expected = partition(target.region)
    for index, arn in enumerate(target.admin_principal_arns):
        match = PRINCIPAL_ARN.match(arn)
        where = f"{key}.adminPrincipalArns[{index}]"
        if match is None:
            issues.append(
                ConfigIssue(
                    key=where,
                    value=arn,
                    message="not an IAM role or user ARN (no wildcards); allowed: "
                    "arn:aws:iam::<12-digit account>:role/<name> or arn:aws:iam::<12-digit account>:user/<name>",
                )
            )
        elif match.group("partition") != expected:
            issues.append(
                ConfigIssue(
                    key=where,
                    value=arn,
                    message=f"partition {match.group('partition')!r}; allowed: {expected!r} for region {target.region}",
                )
            )
        elif arn in seen:
            issues.append(ConfigIssue(key=where, value=arn, message="listed twice; list each principal once"))
        seen.add(arn)
    return issues


class EksTarget(Target):
    """Amazon EKS (see the module docstring)."""

    cloud = "aws"
    rdma_hint = "an EKS pool of an EFA instance type (p5, p5e, p5en, p4d) with efa on"
    offers = frozenset({"keda-prometheus", "weights-cache:fsx-lustre", "weights-cache:pvc"})
    #: Models of at least 40 GiB get an FSx for Lustre weights cache (``targets/weights_cache.py``).
    default_weights_cache = "fsx-lustre"

    def __init__(self, plan: StackPlan) -> None:
        super().__init__(plan)
        #: The cluster and its VPC (``build_cluster``), and the FSx CSI add-on once a cache needs it.
        self._eks_cluster: EksCluster | None = None
        self._vpc: EksVpc | None = None
        self._fsx_addon: pulumi.Resource | None = None

    def weights_cache(
        self,
        model: ModelConfig,
        *,
        kind: str,
        namespace: str,
        pool: AcceleratorPool,
        image: str,
        hf_token_secret: str | None,
        opts: pulumi.ResourceOptions,
    ) -> WeightsCacheMount:
        """``fsx-lustre``: the ``aws-fsx-csi-driver`` add-on (once per cluster), an
        :class:`~pulumi_llmd.components.aws.weights_cache.FsxLustreVolume` in the private subnet of the pool's zone
        and the loader Job filling it; other kinds as every target builds them."""
        if kind != "fsx-lustre":
            return super().weights_cache(
                model,
                kind=kind,
                namespace=namespace,
                pool=pool,
                image=image,
                hf_token_secret=hf_token_secret,
                opts=opts,
            )
        from pulumi_llmd.blueprints.targets.weights_cache import (
            fsx_capacity,
            fsx_per_unit_throughput,
            pool_wait,
            read_mib_per_server,
            without_pool_wait,
        )
        from pulumi_llmd.components.aws.weights_cache import FsxLustreVolume, fsx_csi_driver
        from pulumi_llmd.components.serving.weights_cache import WeightsCacheLoader

        target = self.config.target
        eks, vpc = self._eks_cluster, self._vpc
        assert isinstance(target, AwsTarget) and eks is not None and vpc is not None and model.weights is not None
        tags = {"llm-d.ai/cluster": self.config.cluster.name}
        if self._fsx_addon is None:
            self._fsx_addon = fsx_csi_driver(
                self.config.cluster.name,
                cluster_name=eks.name,
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=opts.parent,
                    depends_on=[eks.system_node_group, eks.addons["eks-pod-identity-agent"]],
                ),
            )
        config_pool = next((p for p in self.config.pools if p.name == pool.name), None)
        zone = (config_pool.availability_zone if config_pool else None) or target.availability_zones[0]
        volume = FsxLustreVolume(
            f"{model.name}-weights",
            vpc_id=vpc.vpc_id,
            subnet_id=vpc.private_subnet_ids_by_az[zone],
            client_security_group_id=eks.cluster_security_group_id,
            namespace=namespace,
            claim=f"{model.name}-weights",
            capacity_gib=fsx_capacity(model, pool.shape),
            per_unit_storage_throughput=fsx_per_unit_throughput(model),
            tags=tags,
            opts=without_pool_wait(opts),
        )
        loader = WeightsCacheLoader(
            f"{model.name}-weights",
            namespace=namespace,
            model=model.name,
            hugging_face_id=model.hugging_face_id,
            claim_name=volume.claim,
            image=image,
            weights_gib=model.weights.weights_gib,
            pool=pool,
            hf_token_secret=hf_token_secret,
            pool_ready=[*pool_wait(opts), self._fsx_addon],
            opts=pulumi.ResourceOptions.merge(
                without_pool_wait(opts), pulumi.ResourceOptions(depends_on=[volume.claim_resource])
            ),
        )
        return WeightsCacheMount(
            kind="fsx-lustre",
            claim_name=volume.claim,
            read_mib_per_s=read_mib_per_server(model, "fsx-lustre", pool.shape),
            ready=(loader.job, self._fsx_addon),
        )

    @classmethod
    def check_config(cls, config: StackConfig) -> list[ConfigIssue]:
        """Cluster keys EKS does not take (EKS user guide "Cluster API server endpoint": nodes always in private
        subnets, Secrets encrypted with a KMS key the stack creates), then the target's zones, VPC and principals."""
        target = config.target
        assert isinstance(target, AwsTarget)
        issues = refuse_cluster_keys(
            config,
            ("privateNodes", "secretsKmsKey"),
            "applies to target cloud 'gcp' only (EKS nodes always live in private subnets, and the stack encrypts "
            "Secrets with a KMS key it creates)",
        )
        return issues + _target_issues(target)

    @classmethod
    def check_pool(
        cls, config: StackConfig, index: int, pool: PoolConfig, shape: catalog.MachineShape | None
    ) -> list[ConfigIssue]:
        """Provisioning offered for the instance type, the pool's zone among the target's, EFA where the type has
        it."""
        target = config.target
        assert isinstance(target, AwsTarget)
        key = pool_key(index)
        issues = consumption_issues(cls.cloud, key, pool, shape) if shape is not None else []
        zone = pool.availability_zone or target.availability_zones[0]
        if zone not in target.availability_zones:
            issues.append(
                ConfigIssue(
                    key=f"{key}.availabilityZone",
                    value=zone,
                    message=f"not one of the target's availabilityZones: {list(target.availability_zones)}",
                )
            )
        if pool.efa and shape is not None and shape.efa_interfaces == 0:
            issues.append(
                ConfigIssue(
                    key=f"{key}.efa",
                    value=True,
                    message=f"{shape.machine_type} has no EFA; EFA instance types: "
                    + ", ".join(m.machine_type for m in catalog.machines("aws") if m.efa_interfaces),
                )
            )
        return issues

    @classmethod
    def load_balancer_annotations(cls, config: StackConfig) -> tuple[dict[str, str], dict[str, str]]:
        """The scheme on the Service the gateway implementation generates, through the Gateway's
        ``spec.infrastructure.annotations`` (see :mod:`pulumi_llmd.blueprints.endpoint`)."""
        return {}, dict(AWS_PUBLIC_LB if config.gateway_public else AWS_INTERNAL_LB)

    def build_cluster(self) -> Cluster:
        target = self.config.target
        assert isinstance(target, AwsTarget)
        cluster, self._eks_cluster, self._vpc = _eks(self.plan, target)
        return cluster

    def platform(
        self, cluster: Cluster, *, after: Sequence[pulumi.Resource], parent: pulumi.Resource | None = None
    ) -> TargetPlatform:
        """The self-managed gateway, kube-prometheus-stack, and for GPU pools the NVIDIA device plugin, DCGM and (on
        EFA pools) the EFA device plugin. The plugins join ``cluster.pool_ready`` of the pools they serve: a model
        server waiting for its pool also waits for the plugin that advertises ``nvidia.com/gpu`` /
        ``vpc.amazonaws.com/efa`` there (without it the pod is unschedulable). ``parent``: the component they belong
        to. Default: None (a stack: no parent)."""
        platform = self.self_managed_gateway(cluster, parent)
        k8s_opts = pulumi.ResourceOptions(provider=cluster.provider, depends_on=list(cluster.ready), parent=parent)
        if cluster.pools:
            gpu_nodes = {"nvidia.com/gpu.present": "true"}
            plugins: list[pulumi.Resource] = [
                NvidiaDevicePlugin(node_selector=gpu_nodes, opts=k8s_opts).release,
                DcgmExporter(opts=k8s_opts).release,
            ]
            efa = EfaDevicePlugin(opts=k8s_opts) if any(p.rdma for p in cluster.pools.values()) else None
            for name, pool in cluster.pools.items():
                needed = [*plugins, *([efa.release] if efa is not None and pool.rdma is not None else [])]
                cluster.pool_ready.setdefault(name, []).extend(needed)
        platform.monitoring_crds = self.prometheus(cluster, after=after, parent=parent)
        return platform

    def api_server(self) -> tuple[list[str], list[int]]:
        """In a VPC the stack creates, the VPC CIDR (the control plane's cross-account ENIs sit in the cluster's
        subnets), port 443; in an existing VPC every address on 443."""
        target = self.config.target
        assert isinstance(target, AwsTarget)
        return ([target.vpc.cidr] if not target.vpc.existing_vpc_id else ["0.0.0.0/0"]), [443]


TARGET = EksTarget
