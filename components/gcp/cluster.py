"""A GKE Standard cluster set up for LLM inference, and the Kubernetes provider that targets it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from pulumi_llmd.components.args import ArgsError, component_args, count_problem, format_problem, one_of_problem
from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.gcp.identity import GkeNodeServiceAccount
from pulumi_llmd.components.gcp.kms import GkeSecretsKey
from pulumi_llmd.components.gcp.network import (
    POD_RANGE_NAME,
    SERVICE_RANGE_NAME,
    GkeNetwork,
    gcp_name_problem,
    zone_in_region_problem,
)
from pulumi_llmd.components.kube import child_options, exec_kubeconfig

RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
#: OAuth scope of every node: full Cloud API scope, so that the node service account's IAM roles alone decide (GKE
#: hardening guide: use a least-privilege service account rather than access scopes).
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_VERSION = re.compile(r"^1\.[0-9]{2}(\.[0-9]+(-gke\.[0-9]+)?)?$")

#: The GKE credential plugin (``gcloud components install gke-gcloud-auth-plugin``).
_GKE_EXEC = {
    "command": "gke-gcloud-auth-plugin",
    "installHint": "Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)",
    "provideClusterInfo": True,
}


#: Defaults of :class:`GkeClusterArgs` (applied in one place, the constructor).
DEFAULT_REGIONAL = True
DEFAULT_KUBERNETES_VERSION = "1.35"
DEFAULT_RELEASE_CHANNEL = "REGULAR"
DEFAULT_PRIVATE_NODES = True
DEFAULT_MASTER_CIDR = "172.16.0.0/28"
DEFAULT_SYSTEM_MACHINE_TYPE = "e2-standard-8"
DEFAULT_SYSTEM_MIN_NODES = 1
DEFAULT_SYSTEM_MAX_NODES = 3
DEFAULT_DELETION_PROTECTION = True
DEFAULT_MULTI_NETWORKING = False


class GkeClusterArgs(TypedDict, total=False):
    """The arguments of :class:`GkeCluster` (give them as one object or as keyword arguments)."""

    project: Required[str]
    """GCP project id (also names the Workload Identity pool ``<project>.svc.id.goog``)."""
    region: Required[str]
    """Region of the cluster, e.g. ``us-central1``: the control plane's location when ``regional``, and the Cloud KMS
    key's location either way."""
    network: Required[GkeNetwork]
    """The :class:`~pulumi_llmd.components.gcp.GkeNetwork` (VPC, node subnet with ``pods`` / ``services`` ranges);
    the cluster and its system pool wait for its Cloud NAT."""
    zone: str | None
    """Zone of a zonal control plane (``regional=False``), a zone of ``region`` such as ``us-central1-a``.
    Default: None (required when ``regional`` is False)."""
    regional: bool
    """Regional control plane (``location = region``; recommended) or a zonal one in ``zone``. Default: True."""
    kubernetes_version: str
    """Minimum control-plane version, ``1.NN`` or a full GKE version ``1.NN.P-gke.N``. Default: ``"1.35"``."""
    release_channel: str
    """GKE release channel: RAPID, REGULAR, STABLE or EXTENDED. Default: ``"REGULAR"``."""
    private_nodes: bool
    """Nodes without external IPs (``private_cluster_config.enable_private_nodes``); needs Cloud NAT on the network
    (``GkeNetwork(cloud_nat=True)``). Default: True."""
    authorized_cidrs: Sequence[str]
    """IPv4 CIDRs that may reach the control plane (``master_authorized_networks_config``). The machine running
    ``pulumi up`` must be among them, or run inside the VPC. Default: none (closed to the internet: with private nodes
    the endpoint is private only)."""
    master_cidr: str
    """The control plane's ``/28`` IPv4 range for private nodes (``master_ipv4_cidr_block``).
    Default: ``"172.16.0.0/28"``."""
    secrets_key: GkeSecretsKey | None
    """The Cloud KMS key that encrypts Secrets (a :class:`~pulumi_llmd.components.gcp.GkeSecretsKey`); the cluster
    waits for its grant. Default: None (a new key in ``region``)."""
    node_service_account: GkeNodeServiceAccount | None
    """The nodes' IAM service account (a :class:`~pulumi_llmd.components.gcp.GkeNodeServiceAccount`).
    Default: None (a new least-privilege one, ``<name>-nodes``)."""
    system_machine_type: str
    """Machine type of the system node pool. Default: ``"e2-standard-8"``."""
    system_min_nodes: int
    """Autoscaling minimum of the system pool, nodes per zone of the cluster (>= 1). Default: 1."""
    system_max_nodes: int
    """Autoscaling maximum of the system pool, nodes per zone (>= ``system_min_nodes``). Default: 3."""
    deletion_protection: bool
    """GKE deletion protection. Default: True."""
    multi_networking: bool
    """GKE multi-networking (``enable_multi_networking``; needs Dataplane V2, which the cluster always has): required
    for node pools with extra networks, e.g. the RDMA NICs of a
    :class:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric` (GKE docs "Maximize GPU network bandwidth in Standard mode
    clusters"). Default: False."""


class GkeCluster(pulumi.ComponentResource):
    """A hardened VPC-native GKE Standard cluster for inference, with a small autoscaled system node pool.

    Type token ``llmd:gcp:GkeCluster``. The control plane has Dataplane V2 (``ADVANCED_DATAPATH``), Workload
    Identity (``<project>.svc.id.goog``), managed Prometheus with the DCGM GPU metrics component, the Gateway API
    standard channel (GKE installs the Gateway API CRDs and, from 1.34.0-gke.1626000, the InferencePool CRD), the
    given release channel and no default node pool.

    Hardened by default (GKE "Harden your cluster's security", cloud.google.com/kubernetes-engine/docs/how-to/
    hardening-your-cluster; pulumi-gcp 10.x ``gcp.container.Cluster`` inputs named in brackets):

    * private nodes (``private_cluster_config.enable_private_nodes``): nodes have no external IP; they reach
      docker.io, ghcr.io and Hugging Face through Cloud NAT, which the :class:`GkeNetwork` must provide
      (``GkeNetwork(cloud_nat=True)``; the first-deploy twin fails a private cluster without it);
    * control-plane access only from ``authorized_cidrs`` (``master_authorized_networks_config.cidr_blocks``, Google
      Cloud public ranges off: ``gcp_public_cidrs_access_enabled = false``). An empty list closes the public endpoint:
      with private nodes the endpoint is private only (``enable_private_endpoint``), reachable from the VPC;
    * Secrets encrypted at the application layer with a Cloud KMS key (``database_encryption``: ``ENCRYPTED`` +
      ``key_name``) from a :class:`~pulumi_llmd.components.gcp.kms.GkeSecretsKey` (one is created when none is
      given); the cluster waits for the GKE service agent's grant on the key;
    * nodes run as a least-privilege service account (a :class:`~pulumi_llmd.components.gcp.identity.
      GkeNodeServiceAccount`, created when none is given): the system pool and the cluster's short-lived default
      pool (``node_config.service_account``); pass :attr:`node_service_account_email` to every accelerator pool;
    * shielded nodes (``enable_shielded_nodes``; every pool with secure boot and integrity monitoring).

    Outputs: ``cluster`` (``gcp.container.Cluster``), ``name``, ``endpoint``, ``kubeconfig`` (secret),
    ``provider`` (a ``pulumi_kubernetes.Provider`` for the cluster), ``node_service_account_email``,
    ``node_ready`` (what node pools must wait for), ``project``, ``location``, ``network`` (the :class:`GkeNetwork`),
    ``private_nodes``, ``master_cidr`` and :meth:`as_cluster`.

    Arguments: :class:`GkeClusterArgs` (as an object or keywords); the component's ``name`` is the cluster name
    (lowercase, at most 40 characters).

    Raises:
        ArgsError: (a ``ValueError``, before any resource is registered) an unknown or missing argument, a malformed
            name, an unknown release channel, a malformed version, system pool bounds out of order or below 1, a
            zonal control plane without a zone or with a zone outside ``region``, private nodes on a network without
            Cloud NAT, an authorized CIDR that is not IPv4, a ``master_cidr`` that is not an IPv4 /28.
    """

    cluster: gcp.container.Cluster
    provider: k8s.Provider

    @overload
    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeClusterArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeClusterArgs, "GkeCluster", args, kwargs)
        project, region, network = a["project"], a["region"], a["network"]
        zone = a.get("zone")
        regional = a.get("regional", DEFAULT_REGIONAL)
        kubernetes_version = a.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION)
        release_channel = a.get("release_channel", DEFAULT_RELEASE_CHANNEL)
        private_nodes = a.get("private_nodes", DEFAULT_PRIVATE_NODES)
        authorized_cidrs: Sequence[str] = a.get("authorized_cidrs", ())
        master_cidr = a.get("master_cidr", DEFAULT_MASTER_CIDR)
        secrets_key = a.get("secrets_key")
        node_service_account = a.get("node_service_account")
        system_machine_type = a.get("system_machine_type", DEFAULT_SYSTEM_MACHINE_TYPE)
        system_min_nodes = a.get("system_min_nodes", DEFAULT_SYSTEM_MIN_NODES)
        system_max_nodes = a.get("system_max_nodes", DEFAULT_SYSTEM_MAX_NODES)
        deletion_protection = a.get("deletion_protection", DEFAULT_DELETION_PROTECTION)
        multi_networking = a.get("multi_networking", DEFAULT_MULTI_NETWORKING)
        problems = _validate(
            name=name,
            project=project,
            region=region,
            network=network,
            zone=zone,
            regional=regional,
            kubernetes_version=kubernetes_version,
            release_channel=release_channel,
            private_nodes=private_nodes,
            authorized_cidrs=authorized_cidrs,
            master_cidr=master_cidr,
            system_min_nodes=system_min_nodes,
            system_max_nodes=system_max_nodes,
        )
        if problems:
            raise ArgsError("GkeCluster", problems)
        super().__init__("llmd:gcp:GkeCluster", name, None, opts)
        # Children wait on what the component waits on (e.g. the project's APIs: ProjectServices).
        child = child_options(self, opts)
        self.location: str = region if regional else (zone or region)
        #: The project id (node pools given this cluster object take it from here).
        self.project: str = project
        #: The cluster's :class:`GkeNetwork` (its ranges, e.g. ``network.proxy_only_cidr``).
        self.network: GkeNetwork = network
        #: Nodes without external IPs, and the control plane's private ``/28`` (the address pods reach the API server
        #: on when ``private_nodes``: ``LlmdPlatform`` allows only it in the pickers' egress).
        self.private_nodes: bool = private_nodes
        self.master_cidr: str = master_cidr
        if secrets_key is None:
            # Cloud KMS keys live in regions; the cluster's region also for a zonal control plane.
            secrets_key = GkeSecretsKey(f"{name}-secrets", project=project, location=region, opts=child)
        if node_service_account is None:
            node_service_account = GkeNodeServiceAccount(
                f"{name}-nodes", cluster_name=name, project=project, opts=child
            )
        self.secrets_key = secrets_key
        self.node_service_account_email: pulumi.Output[str] = node_service_account.email
        #: What every node pool must wait for (besides the cluster): the node service account's role binding and the
        #: Cloud NAT that lets private nodes pull images from outside Google.
        self.node_ready: list[pulumi.Resource] = [*node_service_account.ready, *network.nat_ready]
        node_email = node_service_account.email

        self.cluster = gcp.container.Cluster(
            name,
            name=name,
            project=project,
            location=self.location,
            network=network.network.id,
            subnetwork=network.subnetwork.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=POD_RANGE_NAME,
                services_secondary_range_name=SERVICE_RANGE_NAME,
            ),
            datapath_provider="ADVANCED_DATAPATH",
            enable_multi_networking=True if multi_networking else None,
            remove_default_node_pool=True,
            initial_node_count=1,
            min_master_version=kubernetes_version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=release_channel),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{project}.svc.id.goog"
            ),
            gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD"),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                http_load_balancing=gcp.container.ClusterAddonsConfigHttpLoadBalancingArgs(disabled=False),
                horizontal_pod_autoscaling=gcp.container.ClusterAddonsConfigHorizontalPodAutoscalingArgs(
                    disabled=False
                ),
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
            ),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "DCGM"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=["SYSTEM_COMPONENTS", "WORKLOADS"]),
            private_cluster_config=(
                gcp.container.ClusterPrivateClusterConfigArgs(
                    enable_private_nodes=True,
                    enable_private_endpoint=not authorized_cidrs,
                    master_ipv4_cidr_block=master_cidr,
                )
                if private_nodes
                else None
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name=f"authorized-{i}"
                    )
                    for i, cidr in enumerate(authorized_cidrs)
                ],
                gcp_public_cidrs_access_enabled=False,
            ),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=secrets_key.key_name
            ),
            # The default pool GKE creates (and the provider removes right after) runs as the node account too.
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=node_email,
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
            ),
            enable_shielded_nodes=True,
            deletion_protection=deletion_protection,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*_as_list(opts), *secrets_key.ready, *node_service_account.ready],
            ),
        )
        self.system_pool = gcp.container.NodePool(
            f"{name}-system",
            name="system",
            project=project,
            cluster=self.cluster.name,
            location=self.location,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                min_node_count=system_min_nodes, max_node_count=system_max_nodes
            ),
            initial_node_count=system_min_nodes,
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=system_machine_type,
                image_type="COS_CONTAINERD",
                disk_size_gb=100,
                service_account=node_email,
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                labels={"llm-d.ai/pool": "system"},
            ),
            # Private nodes pull the stack's images (docker.io, ghcr.io, ...) through the network's Cloud NAT.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*_as_list(opts), *network.nat_ready] or None),
        )
        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name, self.cluster.endpoint, self.cluster.master_auth.cluster_ca_certificate
            ).apply(
                lambda args: exec_kubeconfig(
                    name=args[0], server=f"https://{args[1]}", ca_data=args[2] or "", exec_config=_GKE_EXEC
                )
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.system_pool]),
        )
        self.register_outputs(
            {"name": self.name, "endpoint": self.endpoint, "kubeconfig": self.kubeconfig, "location": self.location}
        )

    def as_cluster(self, extra_ready: Sequence[pulumi.Resource] = ()) -> Cluster:
        """This cluster as the cloud-neutral :class:`~pulumi_llmd.components.base.Cluster` serving consumes.

        Args:
            extra_ready: Resources serving must wait for besides the system node pool, typically the GPU node pools.
                Default: none.
        """
        return Cluster(
            name=self.name, platform=Platform.GKE, provider=self.provider, ready=[self.system_pool, *extra_ready]
        )


def _validate(
    *,
    name: str,
    project: str,
    region: str,
    network: GkeNetwork,
    zone: str | None,
    regional: bool,
    kubernetes_version: str,
    release_channel: str,
    private_nodes: bool,
    authorized_cidrs: Sequence[str],
    master_cidr: str,
    system_min_nodes: int,
    system_max_nodes: int,
) -> list[str]:
    """Every problem with a :class:`GkeCluster`'s arguments (empty when none)."""
    problems: list[str] = []
    name_problem = gcp_name_problem("name", name)
    if name_problem:
        problems.append(name_problem)
    if not isinstance(network, GkeNetwork):
        problems.append(format_problem("network", network, "must be a GkeNetwork (the cluster's VPC and subnets)"))
    problem = one_of_problem("release_channel", release_channel, RELEASE_CHANNELS)
    if problem:
        problems.append(problem)
    if not isinstance(kubernetes_version, str) or not _VERSION.match(kubernetes_version):
        problems.append(format_problem("kubernetes_version", kubernetes_version, "expected 1.NN or 1.NN.P-gke.N"))
    for key, value in (("system_min_nodes", system_min_nodes), ("system_max_nodes", system_max_nodes)):
        problem = count_problem(key, value, minimum=1)
        if problem:
            problems.append(problem)
    if isinstance(system_min_nodes, int) and isinstance(system_max_nodes, int) and system_min_nodes > system_max_nodes:
        problems.append(
            format_problem("system_min_nodes", system_min_nodes, f"must be <= system_max_nodes = {system_max_nodes}")
        )
    if not regional and zone is None:
        problems.append("zone is required for a zonal control plane (regional=False)")
    if zone is not None:
        problem = zone_in_region_problem("zone", zone, region)
        if problem:
            problems.append(problem)
    if private_nodes and isinstance(network, GkeNetwork) and not network.cloud_nat:
        problems.append(
            "private_nodes = True needs Cloud NAT for image pulls from docker.io / ghcr.io and the Hugging Face "
            "Hub: build the network with GkeNetwork(cloud_nat=True) (the default), or set private_nodes=False"
        )
    if isinstance(authorized_cidrs, str):
        problems.append(format_problem("authorized_cidrs", authorized_cidrs, "must be a list of IPv4 CIDRs"))
    else:
        for cidr in authorized_cidrs:
            try:
                ipaddress.IPv4Network(cidr)
            except (TypeError, ValueError):
                problems.append(
                    format_problem(
                        "authorized_cidrs",
                        list(authorized_cidrs),
                        f"{cidr!r} is not an IPv4 CIDR (e.g. 203.0.113.0/24)",
                    )
                )
    if private_nodes:
        try:
            master = ipaddress.IPv4Network(master_cidr)
        except (TypeError, ValueError):
            master = None
        if master is None or master.prefixlen != 28:
            problems.append(
                format_problem("master_cidr", master_cidr, "must be an IPv4 /28 range (e.g. 172.16.0.0/28)")
            )
    return problems


def _as_list(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The ``depends_on`` resources of ``opts`` as a list (empty when there are none or they are not a list)."""
    if opts is None or opts.depends_on is None:
        return []
    deps = opts.depends_on
    if isinstance(deps, pulumi.Resource):
        return [deps]
    return [d for d in deps if isinstance(d, pulumi.Resource)] if isinstance(deps, list) else []
