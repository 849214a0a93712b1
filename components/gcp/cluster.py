"""A GKE Standard cluster set up for LLM inference, and the Kubernetes provider that targets it."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from pulumi_llmd.components.base import Cluster, Platform
from pulumi_llmd.components.gcp.network import POD_RANGE_NAME, SERVICE_RANGE_NAME, GkeNetwork
from pulumi_llmd.components.kube import child_options, exec_kubeconfig

RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
_VERSION = re.compile(r"^1\.[0-9]{2}(\.[0-9]+(-gke\.[0-9]+)?)?$")

#: The GKE credential plugin (``gcloud components install gke-gcloud-auth-plugin``).
_GKE_EXEC = {
    "command": "gke-gcloud-auth-plugin",
    "installHint": "Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)",
    "provideClusterInfo": True,
}


class GkeCluster(pulumi.ComponentResource):
    """A VPC-native GKE Standard cluster for inference, with a small autoscaled system node pool.

    Type token ``llmd:gcp:GkeCluster``. The control plane has Dataplane V2 (``ADVANCED_DATAPATH``), Workload
    Identity (``<project>.svc.id.goog``), managed Prometheus with the DCGM GPU metrics component, the Gateway API
    standard channel (GKE installs the Gateway API CRDs and, from 1.34.0-gke.1626000, the InferencePool CRD), the
    given release channel, no default node pool, and optionally private nodes.

    Outputs: ``cluster`` (``gcp.container.Cluster``), ``name``, ``endpoint``, ``kubeconfig`` (secret),
    ``provider`` (a ``pulumi_kubernetes.Provider`` for the cluster) and :meth:`as_cluster`.

    Args:
        name: cluster name (lowercase DNS label, <= 40 characters).
        project / region: where it lives; ``location`` is the region for a regional control plane.
        zone: zone for a zonal control plane (when ``regional`` is false).
        network: the :class:`GkeNetwork` (VPC, subnet with ``pods`` / ``services`` ranges).
        kubernetes_version: minimum control-plane version, ``1.35`` or a full GKE version (default 1.35).
        release_channel: RAPID, REGULAR, STABLE or EXTENDED (default REGULAR).
        private_nodes: nodes without external IPs (needs Cloud NAT for image pulls: ``GkeNetwork(cloud_nat=True)``).
        master_cidr: /28 range of the control plane for private nodes.
        system_machine_type / system_min_nodes / system_max_nodes: the system pool (per zone of the cluster).
        deletion_protection: GKE deletion protection (default on).
        multi_networking: GKE multi-networking (``enable_multi_networking``; needs Dataplane V2, which the cluster
            always has): required for node pools with extra networks, e.g. the RDMA NICs of a
            :class:`~pulumi_llmd.components.gcp.rdma.GkeRdmaFabric` (GKE docs "Maximize GPU network bandwidth in
            Standard mode clusters"). Default off.

    Raises:
        ValueError: an unknown release channel, a malformed version, or system pool bounds out of order.
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
        private_nodes: bool = False,
        master_cidr: str = "172.16.0.0/28",
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
        super().__init__("llmd:gcp:GkeCluster", name, None, opts)
        # Children wait on what the component waits on (e.g. the project's APIs: ProjectServices).
        child = child_options(self, opts)
        self.location = region if regional else (zone or region)

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
                    enable_private_endpoint=False,
                    master_ipv4_cidr_block=master_cidr,
                )
                if private_nodes
                else None
            ),
            enable_shielded_nodes=True,
            deletion_protection=deletion_protection,
            opts=child,
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
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                labels={"llm-d.ai/pool": "system"},
            ),
            opts=child,
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
