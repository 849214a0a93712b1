"""Application-layer Secrets encryption for GKE: a Cloud KMS key and the GKE service agent's right to use it.

Sources:

* GKE "Encrypt secrets at the application layer" (cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets):
  create a Cloud KMS key, give the GKE service agent ``service-<project number>@container-engine-robot.iam.
  gserviceaccount.com`` the role ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on it, and keep the key in the same
  location as the cluster; then set the cluster's ``databaseEncryption`` (``state: ENCRYPTED``, ``keyName``).
* pulumi-gcp 10.x ``gcp.kms.KeyRing`` ("KeyRings cannot be deleted from Google Cloud Platform": destroying the stack
  only forgets it, so the ring is auto-named with a random suffix and a re-created stack does not collide),
  ``gcp.kms.CryptoKey`` (``rotation_period``: seconds with an ``s`` suffix, more than one day),
  ``gcp.kms.CryptoKeyIAMMember``, ``gcp.container.ClusterDatabaseEncryptionArgs(state, key_name)``.
* terraform-google-modules/terraform-google-kubernetes-engine ``examples`` (the same three resources, with
  ``data.google_project.number`` for the service agent's address).
"""

from __future__ import annotations

import re
from typing import Any, Final, Required, TypedDict, Unpack, overload

import pulumi
import pulumi_gcp as gcp

from pulumi_llmd.components.args import ArgsError, component_args
from pulumi_llmd.components.kube import child_options

__all__ = [
    "DEFAULT_ROTATION_PERIOD",
    "ENCRYPTER_DECRYPTER_ROLE",
    "KMS_KEY_NAME",
    "GkeSecretsKey",
    "gke_service_agent",
]

#: Cloud KMS role the GKE service agent needs on the key (GKE "Encrypt secrets at the application layer").
ENCRYPTER_DECRYPTER_ROLE: Final = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
#: Automatic rotation of the key the stack creates: 90 days (7,776,000 s), the period CIS benchmarks and Google's
#: Cloud KMS docs ("Rotating keys": a regular, automatic schedule) commonly use; must be > 86,400 s.
DEFAULT_ROTATION_PERIOD: Final = "7776000s"
#: Full resource name of a Cloud KMS CryptoKey.
KMS_KEY_NAME: Final = re.compile(
    r"^projects/(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])/locations/(?P<location>[a-z0-9-]+)/"
    r"keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}$"
)


def gke_service_agent(project_number: str) -> str:
    """The IAM member of a project's GKE service agent (``serviceAccount:service-<number>@container-engine-robot...``).

    The agent exists once ``container.googleapis.com`` is enabled on the project (GKE docs, "GKE service agent").
    """
    return f"serviceAccount:service-{project_number}@container-engine-robot.iam.gserviceaccount.com"


class GkeSecretsKeyArgs(TypedDict, total=False):
    """The arguments of :class:`GkeSecretsKey` (give them as one object or as keyword arguments)."""

    project: Required[pulumi.Input[str]]
    """The cluster's project id (the GKE service agent of this project gets the role on the key)."""
    location: Required[str]
    """The key's location: the cluster's region (GKE: "the key in the same location as the cluster")."""
    existing_key: str | None
    """A key to use instead of a new one (``projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>``, in
    ``location``). Default: None (a new key ring and key)."""
    rotation_period: str
    """Automatic rotation of the new key, seconds with ``s``, above one day.
    Default: ``"7776000s"`` (90 days, :data:`DEFAULT_ROTATION_PERIOD`)."""


class GkeSecretsKey(pulumi.ComponentResource):
    """The Cloud KMS key that encrypts a GKE cluster's Secrets, and the GKE service agent's role on it.

    Type token ``llmd:gcp:SecretsKey``. Without ``existing_key`` it registers an auto-named ``gcp.kms.KeyRing`` in
    ``location`` and a ``gcp.kms.CryptoKey`` ``secrets`` (purpose ``ENCRYPT_DECRYPT``, rotated every
    ``rotation_period``); with one it registers nothing but the grant. Either way one ``gcp.kms.CryptoKeyIAMMember``
    gives the project's GKE service agent ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key. The project
    number for the agent's address comes from ``gcp.organizations.get_project_output`` at deploy time.

    Outputs: ``key_name`` (the key's full resource name, for ``databaseEncryption.keyName``) and ``ready`` (the grant:
    the cluster must depend on it, or GKE cannot use the key when it creates the control plane).

    Arguments: :class:`GkeSecretsKeyArgs` (as an object or keywords).

    Raises:
        ArgsError: (a ``ValueError``) an unknown or missing argument, a malformed ``existing_key`` or one in another
            location, or a rotation period that is not ``<seconds>s`` above one day. Nothing is registered then.
    """

    key_name: pulumi.Output[str]
    ready: list[pulumi.Resource]

    @overload
    def __init__(self, name: str, args: GkeSecretsKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[GkeSecretsKeyArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: GkeSecretsKeyArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(GkeSecretsKeyArgs, "GkeSecretsKey", args, kwargs)
        project, location = a["project"], a["location"]
        existing_key = a.get("existing_key")
        rotation_period = a.get("rotation_period", DEFAULT_ROTATION_PERIOD)
        problems = []
        if existing_key is not None:
            match = KMS_KEY_NAME.match(existing_key)
            if match is None:
                problems.append(
                    f"existing_key = {existing_key!r}: not a Cloud KMS key name; allowed: "
                    "projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>"
                )
            elif match.group("location") != location:
                problems.append(
                    f"existing_key = {existing_key!r}: in location {match.group('location')!r}; allowed: a key in "
                    f"the cluster's location {location!r}"
                )
        seconds = rotation_period.removesuffix("s")
        if not rotation_period.endswith("s") or not seconds.isdigit() or int(seconds) <= 86400:
            problems.append(f"rotation_period = {rotation_period!r}: allowed: '<seconds>s' above 86400s (one day)")
        if problems:
            raise ArgsError("GkeSecretsKey", problems)
        super().__init__("llmd:gcp:SecretsKey", name, None, opts)
        child = child_options(self, opts)
        if existing_key is None:
            ring = gcp.kms.KeyRing(f"{name}-ring", project=project, location=location, opts=child)
            key = gcp.kms.CryptoKey(
                f"{name}-key",
                name="secrets",
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=rotation_period,
                opts=child,
            )
            self.key_name = key.id
        else:
            self.key_name = pulumi.Output.from_input(existing_key)
        number = gcp.organizations.get_project_output(project_id=project).number
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-gke-agent",
            crypto_key_id=self.key_name,
            role=ENCRYPTER_DECRYPTER_ROLE,
            member=number.apply(lambda n: gke_service_agent(str(n))),
            opts=child,
        )
        self.ready = [grant]
        self.register_outputs({"keyName": self.key_name})
