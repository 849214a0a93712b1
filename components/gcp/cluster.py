"""A GKE Standard cluster set up for LLM inference, and the Kubernetes provider that targets it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.gcp.identity import GkeNodeServiceAccount
from pulumi_llmd.components.gcp.kms import GkeSecretsKey
from pulumi_llmd.components.gcp.network import POD_RANGE_NAME, SERVICE_RANGE_NAME, GkeNetwork
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
    ``node_ready`` (what node pools must wait for) and :meth:`as_cluster`.

    Args:
        name: cluster name (lowercase DNS label, <= 40 characters).
        project / region: where it lives; ``location`` is the region for a regional control plane.
        zone: zone for a zonal control plane (when ``regional`` is false).
        network: the :class:`GkeNetwork` (VPC, subnet with ``pods`` / ``services`` ranges).
        kubernetes_version: minimum control-plane version, ``1.35`` or a full GKE version (default 1.35).
        release_channel: RAPID, REGULAR, STABLE or EXTENDED (default REGULAR).
        private_nodes: nodes without external IPs (default on; needs Cloud NAT: ``GkeNetwork(cloud_nat=True)``).
        authorized_cidrs: IPv4 CIDRs that may reach the control plane (default none: closed to the internet). The
            machine running ``pulumi up`` must be among them, or run inside the VPC.
        master_cidr: /28 range of the control plane for private nodes.
        secrets_key: the Cloud KMS key for Secrets (default: a new one in ``region``).
        node_service_account: the nodes' service account (default: a new least-privilege one).
        system_machine_type / system_min_nodes / system_max_nodes: the system pool (per zone of the cluster).
        deletion_protection: GKE deletion protection (default on).
        multi_networking: GKE multi-networking (``enable_multi_networking``; needs Dataplane V2, which the cluster
            always has): required for node pools with extra networks, e.g. the RDMA NICs of a
            :class:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric` (GKE docs "Maximize GPU network bandwidth in
            Standard mode clusters"). Default off.

    Raises:
        ValueError: an unknown release channel, a malformed version, system pool bounds out of order, an authorized
            CIDR that is not IPv4. Nothing is registered then.
    """

    cluster: gcp.container.Cluster
    provider: k8s.Provider

    def __init__(
        self,
        name: str,
        *,
        project: str,
        region: str,
        network: GkeNetwork,
        zone: str | None = None,
        regional: bool = True,
        kubernetes_version: str = "1.35",
        release_channel: str = "REGULAR",
        private_nodes: bool = True,
        authorized_cidrs: Sequence[str] = (),
        master_cidr: str = "172.16.0.0/28",
        secrets_key: GkeSecretsKey | None = None,
        node_service_account: GkeNodeServiceAccount | None = None,
        system_machine_type: str = "e2-standard-8",
        system_min_nodes: int = 1,
        system_max_nodes: int = 3,
        deletion_protection: bool = True,
        multi_networking: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if release_channel not in RELEASE_CHANNELS:
            raise ValueError(f"release_channel = {release_channel!r}: allowed: {', '.join(RELEASE_CHANNELS)}")
        if not _VERSION.match(kubernetes_version):
            raise ValueError(f"kubernetes_version = {kubernetes_version!r}: expected 1.NN or 1.NN.P-gke.N")
        if not 1 <= system_min_nodes <= system_max_nodes:
            raise ValueError(
                f"system_min_nodes = {system_min_nodes}, system_max_nodes = {system_max_nodes}: need 1 <= min <= max"
            )
        if not regional and zone is None:
            raise ValueError("zone is required for a zonal control plane (regional=False)")
        if private_nodes and not network.cloud_nat:
            raise ValueError(
                "private_nodes = True needs Cloud NAT for image pulls from docker.io / ghcr.io and the Hugging Face "
                "Hub: build the network with GkeNetwork(cloud_nat=True) (the default), or set private_nodes=False"
            )
        for cidr in authorized_cidrs:
            try:
                ipaddress.IPv4Network(cidr)
            except ValueError:
                raise ValueError(
                    f"authorized_cidrs = {list(authorized_cidrs)!r}: {cidr!r} is not an IPv4 CIDR (e.g. 203.0.113.0/24)"
                ) from None
        super().__init__("llmd:gcp:GkeCluster", name, None, opts)
        # Children wait on what the component waits on (e.g. the project's APIs: ProjectServices).
        child = child_options(self, opts)
        self.location = region if regional else (zone or region)
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
        """This cluster as the cloud-neutral :class:`~pulumi_llmd.components.base.Cluster` serving consumes."""
        return Cluster(
            name=self.name, platform=Platform.GKE, provider=self.provider, ready=[self.system_pool, *extra_ready]
        )


def _as_list(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The ``depends_on`` resources of ``opts`` as a list (empty when there are none or they are not a list)."""
    if opts is None or opts.depends_on is None:
        return []
    deps = opts.depends_on
    if isinstance(deps, pulumi.Resource):
        return [deps]
    return [d for d in deps if isinstance(d, pulumi.Resource)] if isinstance(deps, list) else []
