"""A model's weights cache on GKE: Hyperdisk ML volumes, one filled once, one attached read-only by every server node.

The flow GoogleCloudPlatform documents for Hyperdisk ML model caches (cloud.google.com/kubernetes-engine/docs/how-to/
persistent-volumes/hyperdisk-ml; GoogleCloudPlatform's "Populate a Hyperdisk ML Disk" sample: create a
``hyperdisk-ml`` disk with ``--provisioned-throughput``, fill it, switch to / restore as ``READ_ONLY_MANY``, and
reference it from a PersistentVolume with ``csi.driver: pd.csi.storage.gke.io`` and ``volumeHandle:
projects/P/zones/Z/disks/D``, access mode ``ReadOnlyMany``), done declaratively in one ``pulumi up`` by the GKE target
(``blueprints/targets/gke.py``) with two :class:`HyperdiskMlVolume`:

1. ``<model>-weights-fill``: a Hyperdisk ML disk (``READ_WRITE_SINGLE``) with a static PV + PVC (ReadWriteOnce) that
   the loader Job (``components/serving/weights_cache.py``) fills in the Hugging Face cache layout;
2. ``<model>-weights``: after the Job (``depends_on``), a snapshot of the filled disk and a Hyperdisk ML disk restored
   from it in ``READ_ONLY_MANY`` mode ("you can attach a single Hyperdisk ML volume to multiple compute instances in
   read-only mode", cloud.google.com/compute/docs/disks/hd-types/hyperdisk-ml), with a static PV + PVC
   (ReadOnlyMany, ``readOnly``) every model server mounts.

Throughput is provisioned per disk (``provisioned_throughput``, MiB/s; 400 to 1,200,000 per volume, same page) and
shared by the instances reading it. The fill disk stays (the source of the next snapshot when the model changes);
delete it by hand after the first deploy to save its cost. The PD CSI driver is on by default on GKE Standard
clusters ("Scale your storage performance with Hyperdisk": "The Compute Engine Persistent Disk driver is enabled by
default on new Autopilot and Standard clusters").
"""

from __future__ import annotations

from typing import Any, Final, Required, TypedDict

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.kube import child_options, k8s_object

__all__ = ["PD_CSI_DRIVER", "HyperdiskMlVolume", "HyperdiskMlVolumeArgs", "hyperdisk_pv_manifest"]

#: The Compute Engine Persistent Disk CSI driver (GKE "Scale your storage performance with Hyperdisk").
PD_CSI_DRIVER: Final = "pd.csi.storage.gke.io"


def hyperdisk_pv_manifest(
    *, name: str, disk_handle: str, size_gib: int, read_only: bool, claim: tuple[str, str]
) -> dict[str, Any]:
    """A static PersistentVolume on an existing Hyperdisk ML disk (pure function): ``disk_handle``
    ``projects/P/zones/Z/disks/D``, ReadOnlyMany + ``csi.readOnly`` when ``read_only`` else ReadWriteOnce, pre-bound to
    ``claim`` (namespace, name), ``Retain`` (the disks belong to the stack, not to the claims)."""
    namespace, claim_name = claim
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": f"{size_gib}Gi"},
            "accessModes": ["ReadOnlyMany" if read_only else "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "claimRef": {"namespace": namespace, "name": claim_name},
            "csi": {"driver": PD_CSI_DRIVER, "volumeHandle": disk_handle, "fsType": "ext4", "readOnly": read_only},
        },
    }


def _claim_manifest(*, name: str, namespace: str, size_gib: int, read_only: bool, volume: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "accessModes": ["ReadOnlyMany" if read_only else "ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{size_gib}Gi"}},
            "storageClassName": "",
            "volumeName": volume,
        },
    }


class HyperdiskMlVolumeArgs(TypedDict, total=False):
    """The arguments of :class:`HyperdiskMlVolume` (give them as this object or as keyword arguments)."""

    project: Required[str]
    """The Google Cloud project."""
    zone: Required[str]
    """The zone of the model's node pool (Hyperdisk volumes are zonal)."""
    namespace: Required[str]
    """The namespace of the claim."""
    claim: Required[str]
    """The PersistentVolumeClaim's name (the PV is ``<namespace>-<claim>``)."""
    disk_name: Required[str]
    """The Compute Engine disk's name (unique per project and zone; at most 63 characters)."""
    size_gib: Required[int]
    """The disk's size, GiB (4 to 65,536 for Hyperdisk ML)."""
    throughput_mib_per_s: Required[int]
    """Provisioned throughput of the disk, MiB/s (400 to 1,200,000)."""
    snapshot_of: gcp.compute.Disk | None
    """A disk to snapshot and restore this one from, read-only (``READ_ONLY_MANY``, a ReadOnlyMany claim); the snapshot
    is taken once the volume's ``depends_on`` are done (the loader Job). Default: None (an empty ``READ_WRITE_SINGLE``
    disk and a ReadWriteOnce claim)."""


class HyperdiskMlVolume(pulumi.ComponentResource):
    """A Hyperdisk ML disk with a static PersistentVolume and a claim bound to it (see the module docstring).

    Type token ``llmd:gcp:HyperdiskMlVolume``. Arguments: :class:`HyperdiskMlVolumeArgs`. Outputs: ``disk`` (the
    ``gcp.compute.Disk``), ``claim_resource`` (the PersistentVolumeClaim, what readers wait for), ``claim`` (its name).

    Raises:
        ArgsError: an unknown, mistyped or missing argument.
    """

    def __init__(
        self,
        name: str,
        args: HyperdiskMlVolumeArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(HyperdiskMlVolumeArgs, "HyperdiskMlVolume", args, kwargs)
        project, zone, namespace, claim = a["project"], a["zone"], a["namespace"], a["claim"]
        disk_name, size, throughput = a["disk_name"][:63], a["size_gib"], a["throughput_mib_per_s"]
        source = a.get("snapshot_of")
        super().__init__("llmd:gcp:HyperdiskMlVolume", name, None, opts)
        child = child_options(self, opts)
        read_only = source is not None
        snapshot = None
        if source is not None:
            snapshot = gcp.compute.Snapshot(
                f"{name}-snapshot", name=disk_name, project=project, zone=zone, source_disk=source.name, opts=child
            )
        self.disk = gcp.compute.Disk(
            name,
            name=disk_name,
            project=project,
            zone=zone,
            type="hyperdisk-ml",
            size=size,
            snapshot=snapshot.self_link if snapshot is not None else None,
            provisioned_throughput=throughput,
            access_mode="READ_ONLY_MANY" if read_only else "READ_WRITE_SINGLE",
            opts=child,
        )
        volume = f"{namespace}-{claim}"
        after_disk = pulumi.ResourceOptions(parent=self, depends_on=[self.disk])
        pv = k8s_object(
            f"{name}-pv",
            hyperdisk_pv_manifest(
                name=volume,
                disk_handle=f"projects/{project}/zones/{zone}/disks/{disk_name}",
                size_gib=size,
                read_only=read_only,
                claim=(namespace, claim),
            ),
            pulumi.ResourceOptions.merge(child, after_disk),
        )
        self.claim = claim
        self.claim_resource = k8s_object(
            f"{name}-pvc",
            _claim_manifest(name=claim, namespace=namespace, size_gib=size, read_only=read_only, volume=volume),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=self, depends_on=[pv])),
        )
        self.register_outputs({"claim": claim, "disk": disk_name})
