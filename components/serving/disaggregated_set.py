"""Prefill/decode model servers as one upstream ``DisaggregatedSet`` (``disaggregatedset.x-k8s.io/v1``, LWS).

llm-d's newest P/D and wide-EP guides deploy their model servers as one DisaggregatedSet with the roles ``prefill`` and
``decode`` (llm-d/llm-d ``guides/pd-disaggregation/modelserver/gpu/vllm/base/disaggregatedset.yaml`` and
``guides/wide-ep/modelserver/gpu/vllm-deepseek-r1-0528/base/disaggregatedset.yaml``, v0.10.0). The DisaggregatedSet
controller ships with the LeaderWorkerSet controller (kubernetes-sigs/lws ``site/content/en/docs/installation/
disaggregatedset.md``: bundled from v0.9.0) and turns each role into a LeaderWorkerSet per slice, so this module builds
only the DisaggregatedSet; the pods are the ones the Deployment and LeaderWorkerSet forms run
(:func:`~pulumi_llmd.components.serving.model_server.vllm_pod_template`,
:func:`~pulumi_llmd.components.serving.leader_worker_set.wide_ep_pod_template`).

What the controller does (kubernetes-sigs/lws, cited from its main branch):

* names each child LeaderWorkerSet ``<set>-<slice>-<revision hash>-<role>`` (``site/content/en/docs/concepts/
  disaggregatedset/_index.md``; ``pkg/controllers/disaggregatedset/lws_manager.go`` ``Create``), so nothing may
  hard-code child names: select pods by labels;
* copies the role's pod-template labels and adds ``disaggregatedset.x-k8s.io/name``, ``/role``, ``/slice`` and
  ``/revision`` to the child LeaderWorkerSets and their pods (``lws_manager.go`` ``mergeLabels``; ``site/content/en/
  docs/reference/labels-annotations-and-environment-variables.md``): the ``llm-d.ai/*`` labels the InferencePool and
  the picker's ``prefill-filter`` / ``decode-filter`` select on reach the pods unchanged;
* runs ``slices`` independent copies of all roles (``replicas`` is per slice), rolls roles together with each role's
  ``maxSurge`` / ``maxUnavailable`` (``partition`` is refused), and with ``placementPolicy`` injects affinity keeping a
  slice in one topology domain;
* admission: the validating webhook ``vdisaggregatedset.kb.io`` is fail-closed (kubebuilder marker
  ``failurePolicy=fail`` in ``pkg/webhooks/disaggregatedset/disaggregatedset_webhook.go``); the chart installs it with
  ``enableDisaggregatedSet=true`` (``charts/lws/values.yaml``), so a DisaggregatedSet is created after the LWS release.
  The webhook refuses generated names longer than DNS-1035's 63 characters (``validateGeneratedNames``), both
  ``maxSurge`` and ``maxUnavailable`` 0, ``partition``, a placement policy without ``topology``, and ``slices > 1``
  with an External-scaled role; this component refuses the same before registering anything.
* External scaling (``scaling.mode: External``, KEP-849): the controller creates a ``DisaggregatedSetRoleScaler``
  ``<set>-<role>`` with a ``/scale`` subresource (``spec.replicas``, ``status.selector``) for an HPA or a KEDA
  ScaledObject to drive (``site/content/en/docs/concepts/disaggregatedset/role-scaler/_index.md``;
  ``pkg/controllers/disaggregatedset/scaler_manager.go``). The scaler starts at 0 replicas until the autoscaler
  writes one (``replicas.go`` ``getTargetReplicas`` reads ``scaler.Spec.Replicas``; the CRD's default is 0 and
  KEP-849 holds a new role at 0 until the first write; LWS v0.10.0's controller seeds a fresh role with 1, its field
  doc says, which nothing here relies on); a plain HPA does not scale a target up from 0 ("scaling is disabled since
  the replica count of the target is zero"), KEDA does (to ``minReplicaCount``). Offered here as
  :attr:`DisaggregatedRole.external_scaling`; the pd-disaggregation and wide-ep paths turn it on with a KEDA
  ScaledObject per role (:func:`pulumi_llmd.twin.model.role_scaling` has the sources).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components.args import ArgsError, NamedResource, component_args, format_problem, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.serving.model_server import (
    KNOWN_ROLES,
    LABEL_ROLE,
    disruption_budget_manifest,
    role_problem,
    selector_problem,
    service_account_manifest,
)
from pulumi_llmd.components.startup import StartupEstimate, create_timeout

__all__ = [
    "DS_API_VERSION",
    "DS_LABEL_NAME",
    "DS_LABEL_ROLE",
    "ROLE_SCALER_API_VERSION",
    "DisaggregatedRole",
    "DisaggregatedSet",
    "DisaggregatedSetArgs",
    "PlacementPolicy",
    "child_name_problem",
    "disaggregated_set_manifest",
    "disaggregated_set_problems",
    "role_scaler_name",
    "service_account_name",
]

#: DisaggregatedSet API group/version (kubernetes-sigs/lws ``api/disaggregatedset/v1``; carried CRD schema v0.10.0).
DS_API_VERSION: Final = "disaggregatedset.x-k8s.io/v1"
#: Kind of the per-role scale target the controller creates for External roles (same API group/version).
ROLE_SCALER_API_VERSION: Final = DS_API_VERSION
ROLE_SCALER_KIND: Final = "DisaggregatedSetRoleScaler"
#: Labels the controller adds to child LeaderWorkerSets, Services and pods (lws labels reference).
DS_LABEL_NAME: Final = "disaggregatedset.x-k8s.io/name"
DS_LABEL_ROLE: Final = "disaggregatedset.x-k8s.io/role"
#: CRD limits: 2..10 roles, 1..100 slices (``config/crd/bases/disaggregatedset.x-k8s.io_disaggregatedsets.yaml``).
_MIN_ROLES, _MAX_ROLES, _MAX_SLICES = 2, 10, 100
#: ``validateGeneratedNames``: DNS-1035 63 characters; 8-character revision hash; 3 separators; the longer of the
#: private Service suffix ``-prv`` and the worker StatefulSet revision label suffix ``-<group index>-<10-char hash>``.
_DNS1035_MAX, _REVISION_LEN, _SEPARATORS, _SERVICE_SUFFIX_LEN, _STS_REVISION_SUFFIX_LEN = 63, 8, 3, 4, 11
PlacementType = Literal["ExclusiveSlice", "ExclusiveTopology"]
GroupIdentity = Literal["Hash", "Ordinal"]


@dataclass(frozen=True, kw_only=True)
class PlacementPolicy:
    """``spec.placementPolicy``: keep each slice's roles in one topology domain and spread slices over domains.

    Attributes:
        type: ``ExclusiveSlice`` (one slice per domain of this set) or ``ExclusiveTopology`` (at most one slice per
            domain across all DisaggregatedSets).
        topology: The node-label key of a domain (e.g. ``topology.kubernetes.io/zone``), required by the webhook.
    """

    type: PlacementType
    topology: str


@dataclass(frozen=True, kw_only=True)
class DisaggregatedRole:
    """One role (``spec.roles[]``) of a DisaggregatedSet: a LeaderWorkerSet template replicated per slice.

    Attributes:
        name: The role name, also its ``llm-d.ai/role`` label: one of ``prefill``, ``decode``, ``encode``.
        replicas: LWS groups of the role per slice, >= 1 (ignored by the controller with ``external_scaling``).
        worker_template: The pod template (``{"metadata": {"labels", ...}, "spec": ...}``) of every pod (of the
            workers when ``leader_template`` is given); its labels must carry ``llm-d.ai/role: <name>``.
        size: Pods per group (LWS ``size``), >= 1. Default: 1 (single-host, the P/D guide).
        leader_template: A different pod template for each group's leader. Default: None (the worker template
            serves all pods, as the wide-EP guide does).
        max_surge: ``rollingUpdateConfiguration.maxSurge`` (groups or a percentage). Default: 0.
        max_unavailable: ``rollingUpdateConfiguration.maxUnavailable``. Default: 1 (both 0 is refused).
        group_identity: ``spec.groupIdentity`` (``Hash`` in llm-d's P/D guide). Not in the carried v0.10.0 CRD schema
            (a field of newer LWS releases), so setting it fails the render's schema check until that CRD is newer.
            Default: None (omitted: the controller's Ordinal).
        restart_policy: ``leaderWorkerTemplate.restartPolicy``. Default: None (the CRD default,
            ``RecreateGroupOnPodRestart``).
        labels: Labels of the role (``roles[].metadata.labels``, copied onto the child LeaderWorkerSet). Default: none.
        external_scaling: ``scaling.mode: External``: an autoscaler drives the role through the
            DisaggregatedSetRoleScaler :func:`role_scaler_name`; ``replicas`` is then left out. Default: False.
    """

    name: str
    replicas: int
    worker_template: Mapping[str, Any]
    size: int = 1
    leader_template: Mapping[str, Any] | None = None
    max_surge: int | str = 0
    max_unavailable: int | str = 1
    group_identity: GroupIdentity | None = None
    restart_policy: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    external_scaling: bool = False

    @property
    def pod_labels(self) -> dict[str, str]:
        """The labels of the role's (worker) pods as written in the template."""
        meta = self.worker_template.get("metadata") or {}
        return {str(k): str(v) for k, v in dict(meta.get("labels") or {}).items()}


def role_scaler_name(set_name: str, role: str) -> str:
    """The DisaggregatedSetRoleScaler the controller creates for an External role: ``<set>-<role>``
    (lws ``scaler_manager.go`` ``ScalerName``); the ``scaleTargetRef`` of an HPA or a KEDA ScaledObject."""
    return f"{set_name}-{role}"


def service_account_name(set_name: str) -> str:
    """The ServiceAccount every pod of the set runs as: ``<set>-modelserver`` (as :class:`ModelServer`'s)."""
    return f"{set_name}-modelserver"


def child_name_problem(set_name: str, role: str, replicas: int, slices: int = 1) -> str | None:
    """What is wrong with the names the controller derives for ``role`` of set ``set_name`` (the text after
    ``key = value:``), or None: the LWS webhook's DNS-1035 rule (lws ``validateGeneratedNames``): ``<set>-<slice>-
    <8-char revision>-<role>`` plus the longer of ``-prv`` and ``-<group index>-<10-char hash>`` within 63 characters.

    Args:
        replicas: Groups of the role per slice (their index digits count).
        slices: Slices of the set. Default: 1.
    """
    slice_digits = len(str(max(0, slices - 1)))
    group_digits = len(str(max(0, replicas - 1)))
    suffix = max(_SERVICE_SUFFIX_LEN, 1 + group_digits + _STS_REVISION_SUFFIX_LEN)
    length = len(set_name) + _SEPARATORS + slice_digits + _REVISION_LEN + len(role) + suffix
    if length <= _DNS1035_MAX:
        return None
    limit = _DNS1035_MAX - _SEPARATORS - slice_digits - _REVISION_LEN - suffix
    return (
        f"the names the DisaggregatedSet controller derives (<set>-<slice>-<revision>-{role} and its suffixes) would "
        f"be {length} characters; the LWS webhook allows {_DNS1035_MAX}: allowed: set name + role name at most "
        f"{limit} characters"
    )


def _generated_name_problem(set_name: str, slices: int, role: DisaggregatedRole) -> str | None:
    return child_name_problem(set_name, role.name, role.replicas, slices)


def _rollout_value_problem(value: object) -> str | None:
    if isinstance(value, bool):
        return "allowed: an integer >= 0 or a percentage such as '25%'"
    if isinstance(value, int):
        return None if value >= 0 else "allowed: an integer >= 0 or a percentage such as '25%'"
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit() and int(value[:-1]) <= 100:
        return None
    return "allowed: an integer >= 0 or a percentage such as '25%' (at most 100%)"


def _is_zero(value: int | str) -> bool:
    return value == 0 or (isinstance(value, str) and value.rstrip("%") in ("0", ""))


def disaggregated_set_problems(
    name: str,
    roles: Sequence[DisaggregatedRole],
    *,
    slices: int = 1,
    placement_policy: PlacementPolicy | None = None,
) -> list[str]:
    """Every problem of a DisaggregatedSet's arguments, as ``"<key> = <value>: <allowed>"`` lines (empty when none):
    the CRD's limits and what the LWS validating webhook refuses (see the module docstring).

    Args:
        slices: Slices of the set. Default: 1.
        placement_policy: The set's placement policy. Default: None (none).
    """
    problems: list[str] = []
    if isinstance(slices, bool) or not isinstance(slices, int) or not 1 <= slices <= _MAX_SLICES:
        problems.append(format_problem("slices", slices, f"allowed: an integer 1..{_MAX_SLICES}"))
        slices = 1
    if not isinstance(roles, Sequence) or not _MIN_ROLES <= len(roles) <= _MAX_ROLES:
        count = len(roles) if isinstance(roles, Sequence) else roles
        return [*problems, format_problem("roles", count, f"allowed: {_MIN_ROLES}..{_MAX_ROLES} DisaggregatedRoles")]
    seen: set[str] = set()
    for i, role in enumerate(roles):
        key = f"roles[{i}]"
        if not isinstance(role, DisaggregatedRole):
            problems.append(format_problem(key, role, "must be a DisaggregatedRole"))
            continue
        if role_problem(role.name):
            problems.append(format_problem(f"{key}.name", role.name, role_problem(role.name) or ""))
        elif role.name in seen:
            problems.append(format_problem(f"{key}.name", role.name, "role names must be unique"))
        seen.add(role.name)
        for what, value in (("replicas", role.replicas), ("size", role.size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(format_problem(f"{key}.{what}", value, "allowed: an integer >= 1"))
        labels = role.pod_labels
        label_problem = selector_problem(labels)
        if label_problem is None and labels.get(LABEL_ROLE) != role.name:
            label_problem = f"label {LABEL_ROLE} must equal the role name ({role.name!r}): the picker filters on it"
        if label_problem:
            problems.append(format_problem(f"{key}.worker_template.metadata.labels", labels, label_problem))
        for what, bound in (("max_surge", role.max_surge), ("max_unavailable", role.max_unavailable)):
            problem = _rollout_value_problem(bound)
            if problem:
                problems.append(format_problem(f"{key}.{what}", bound, problem))
        if _is_zero(role.max_surge) and _is_zero(role.max_unavailable):
            problems.append(
                format_problem(f"{key}.max_unavailable", role.max_unavailable, "must not be 0 when max_surge is 0")
            )
        if role.group_identity not in (None, "Hash", "Ordinal"):
            problems.append(format_problem(f"{key}.group_identity", role.group_identity, "allowed: Hash, Ordinal"))
        if role.external_scaling and slices > 1:
            problems.append(
                format_problem(
                    f"{key}.external_scaling", True, f"not allowed with slices > 1 (slices = {slices}; LWS webhook)"
                )
            )
        if isinstance(role.replicas, int) and role.name in KNOWN_ROLES:
            long = _generated_name_problem(name, slices, role)
            if long:
                problems.append(format_problem("name", name, long))
    if placement_policy is not None:
        if not isinstance(placement_policy, PlacementPolicy):
            problems.append(format_problem("placement_policy", placement_policy, "must be a PlacementPolicy"))
        else:
            if placement_policy.type not in ("ExclusiveSlice", "ExclusiveTopology"):
                problems.append(
                    format_problem(
                        "placement_policy.type", placement_policy.type, "allowed: ExclusiveSlice, ExclusiveTopology"
                    )
                )
            if not placement_policy.topology:
                problems.append(
                    format_problem(
                        "placement_policy.topology",
                        placement_policy.topology,
                        "a node-label key is required (e.g. topology.kubernetes.io/zone)",
                    )
                )
    return problems


def _role_manifest(role: DisaggregatedRole) -> dict[str, Any]:
    lwt: dict[str, Any] = {"size": role.size}
    if role.restart_policy is not None:
        lwt["restartPolicy"] = role.restart_policy
    if role.leader_template is not None:
        lwt["leaderTemplate"] = dict(role.leader_template)
    lwt["workerTemplate"] = dict(role.worker_template)
    spec: dict[str, Any] = {}
    if not role.external_scaling:
        spec["replicas"] = role.replicas
    if role.group_identity is not None:
        spec["groupIdentity"] = role.group_identity
    spec["rolloutStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdateConfiguration": {"maxSurge": role.max_surge, "maxUnavailable": role.max_unavailable},
    }
    spec["leaderWorkerTemplate"] = lwt
    out: dict[str, Any] = {"name": role.name}
    if role.labels:
        out["metadata"] = {"labels": dict(role.labels)}
    if role.external_scaling:
        out["scaling"] = {"mode": "External"}
    out["spec"] = spec
    return out


def disaggregated_set_manifest(
    *,
    name: str,
    namespace: str,
    roles: Sequence[DisaggregatedRole],
    labels: Mapping[str, str] | None = None,
    slices: int = 1,
    placement_policy: PlacementPolicy | None = None,
) -> dict[str, Any]:
    """The ``disaggregatedset.x-k8s.io/v1`` DisaggregatedSet (pure function; see :class:`DisaggregatedSet`).

    Shape as llm-d's guides write it: ``spec.slices``, optional ``spec.placementPolicy{type, topology}``,
    ``spec.roles[]{name, metadata.labels, scaling, spec{replicas, groupIdentity, rolloutStrategy{type: RollingUpdate,
    rollingUpdateConfiguration{maxSurge, maxUnavailable}}, leaderWorkerTemplate{size, restartPolicy, leaderTemplate,
    workerTemplate}}}`` (optional parts only when set).

    Args:
        labels: Labels of the DisaggregatedSet object. Default: None (none).
        slices: Independent copies of all roles, 1..100. Default: 1.
        placement_policy: Topology placement of slices. Default: None (none, as the guides ship it).

    Raises:
        ValueError: any of :func:`disaggregated_set_problems`.
    """
    problems = disaggregated_set_problems(name, roles, slices=slices, placement_policy=placement_policy)
    if problems:
        raise ArgsError(f"DisaggregatedSet {name}", problems)
    spec: dict[str, Any] = {"slices": slices}
    if placement_policy is not None:
        spec["placementPolicy"] = {"type": placement_policy.type, "topology": placement_policy.topology}
    spec["roles"] = [_role_manifest(r) for r in roles]
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": DS_API_VERSION, "kind": "DisaggregatedSet", "metadata": metadata, "spec": spec}


class DisaggregatedSetArgs(TypedDict, total=False):
    """The arguments of :class:`DisaggregatedSet` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on it)
    or a namespace name."""
    roles: Required[Sequence[DisaggregatedRole]]
    """The roles, 2..10 (``prefill`` and ``decode`` for P/D and wide-EP): :class:`DisaggregatedRole`. Their pod
    templates should run as :func:`service_account_name` (the component creates that ServiceAccount)."""
    labels: Mapping[str, str] | None
    """Labels of the DisaggregatedSet object (the guides' ``llm-d.ai/guide`` / ``llm-d.ai/model``). Default: None."""
    slices: int
    """Independent copies of all roles, 1..100 (``spec.slices``; changing it never rolls existing slices). Default: 1
    (the guides')."""
    placement_policy: PlacementPolicy | None
    """Keep each slice in one topology domain (``spec.placementPolicy``). Default: None (none, as the guides)."""
    claim_templates: Sequence[Mapping[str, Any]]
    """ResourceClaimTemplate manifests the pods claim GPUs / RDMA NICs from (DRA attachments,
    :func:`~pulumi_llmd.components.serving.model_server.claim_template_manifest`), registered before the set.
    Default: none."""
    pool_ready: Sequence[pulumi.Resource]
    """What the pods' nodes come from (``Cluster.pool_ready``, node-pool components); only the DisaggregatedSet waits
    for it. Default: none."""
    startup_estimate: StartupEstimate | None
    """The first-start estimate of the slowest role; sizes the set's ``customTimeouts`` (create, update). Default:
    None (the provider's)."""


class DisaggregatedSet(pulumi.ComponentResource):
    """P/D model servers of one model as one upstream DisaggregatedSet. Type token ``llmd:serving:DisaggregatedSet``.

    Registers the ServiceAccount :func:`service_account_name` (no API token, as :class:`ModelServer` does), the
    ``claim_templates``, the DisaggregatedSet ``<name>`` (:func:`disaggregated_set_manifest`; a custom resource:
    install the LWS controller with ``enable_disaggregated_set=True`` first, whose fail-closed webhook validates it)
    and a PodDisruptionBudget ``<name>-<role>`` per role (at most one of the role's pods voluntarily down, selecting
    the role's pod labels; the Deployment and LeaderWorkerSet forms register one per role too). Arguments:
    :class:`DisaggregatedSetArgs`.

    Outputs: ``name``, ``roles`` (role names in order), ``labels`` (role -> its pods' labels, what the InferencePool
    and the picker filters select on), ``role_scalers`` (role -> DisaggregatedSetRoleScaler name, External roles only).

    Raises:
        ArgsError: (a ValueError) before anything is registered: an unknown or mistyped argument, or any of
            :func:`disaggregated_set_problems`.
    """

    @overload
    def __init__(self, name: str, args: DisaggregatedSetArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[DisaggregatedSetArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: DisaggregatedSetArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(DisaggregatedSetArgs, "DisaggregatedSet", args, kwargs)
        where = f"DisaggregatedSet {name}"
        roles = list(a["roles"]) if isinstance(a["roles"], Sequence) else a["roles"]
        slices = a.get("slices", 1)
        placement = a.get("placement_policy")
        problems = disaggregated_set_problems(name, roles, slices=slices, placement_policy=placement)
        if problems:
            raise ArgsError(where, problems)
        namespace, ns_deps = ref_name(a["namespace"], "DisaggregatedSet", "namespace")
        opts = with_depends_on(opts, ns_deps)
        labels = dict(a.get("labels") or {})
        manifest = disaggregated_set_manifest(
            name=name, namespace=namespace, roles=roles, labels=labels, slices=slices, placement_policy=placement
        )
        super().__init__("llmd:serving:DisaggregatedSet", name, None, opts)
        child = child_options(self, opts)
        sa = service_account_name(name)
        k8s_object(f"{name}-sa", service_account_manifest(sa, namespace, labels), child)
        for claim in a.get("claim_templates", ()):
            k8s_object(f"{claim['metadata']['name']}-claims", dict(claim), child)
        workload = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(a.get("pool_ready", ()))))
        estimate = a.get("startup_estimate")
        if estimate is not None:
            timeout = create_timeout(estimate)
            workload = pulumi.ResourceOptions.merge(
                workload, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout))
            )
        self.disaggregated_set = k8s_object(f"{name}-ds", manifest, workload)
        for role in roles:
            k8s_object(
                f"{name}-{role.name}-pdb",
                disruption_budget_manifest(f"{name}-{role.name}", namespace, role.pod_labels),
                child,
            )
        self.name = name
        self.roles = [r.name for r in roles]
        self.labels = {r.name: r.pod_labels for r in roles}
        self.role_scalers = {r.name: role_scaler_name(name, r.name) for r in roles if r.external_scaling}
        self._external = {r.name for r in roles if r.external_scaling}
        self.register_outputs(
            {
                "name": name,
                "roles": self.roles,
                "slices": slices,
                "roleScalers": self.role_scalers,
            }
        )

    def role_scale_target(self, role: str) -> tuple[tuple[str, str], str]:
        """``((apiVersion, kind), name)`` an autoscaler's ``scaleTargetRef`` names for ``role``: the
        DisaggregatedSetRoleScaler ``<set>-<role>`` the controller creates for an External role.

        Raises:
            ValueError: ``role`` is not one of the set's External roles (a Static role has no stable scale target:
                its child LeaderWorkerSets carry the revision hash in their names).
        """
        if role not in self._external:
            raise ValueError(
                f"DisaggregatedSet {self.name}: role = {role!r}: allowed: an External-scaled role "
                f"({', '.join(sorted(self._external)) or 'none'})"
            )
        return (ROLE_SCALER_API_VERSION, ROLE_SCALER_KIND), role_scaler_name(self.name, role)
