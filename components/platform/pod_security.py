"""Pod Security Admission for the stack namespace: the levels, a checker for pod specs, and the namespace labels.

Kubernetes' Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards) define three
cumulative levels that the built-in Pod Security Admission controller enforces per namespace through the labels
``pod-security.kubernetes.io/enforce|warn|audit`` (kubernetes.io/docs/concepts/security/pod-security-admission):

* ``privileged``: no restriction;
* ``baseline``: no host namespaces, privileged containers, host paths or host ports; ``capabilities.add`` only from
  :data:`BASELINE_CAPABILITIES`; only the safe sysctls; no Unconfined seccomp / AppArmor, no custom SELinux user or
  role, default ``/proc`` mount;
* ``restricted``: baseline plus only the ephemeral volume types (:data:`RESTRICTED_VOLUME_TYPES`),
  ``allowPrivilegeEscalation: false``, ``runAsNonRoot: true`` and no ``runAsUser: 0``, seccomp ``RuntimeDefault`` or
  ``Localhost``, every capability dropped (``drop: [ALL]``) and at most ``NET_BIND_SERVICE`` added.

An ``enforce`` level the pods do not meet makes the API server reject them (a Deployment's ReplicaSet then creates no
pods and the Deployment never becomes ready). :func:`pod_security_violations` checks one pod spec against a level
with the rules above; :func:`most_restrictive_level` finds the strictest level a set of pod specs meets;
:func:`namespace_labels` turns a :class:`PodSecurity` decision into the namespace's labels and annotation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

#: The Pod Security Standards levels, most permissive first.
LEVELS: Final = ("privileged", "baseline", "restricted")
PRIVILEGED: Final = "privileged"
BASELINE: Final = "baseline"
RESTRICTED: Final = "restricted"

#: Label prefix of Pod Security Admission (kubernetes.io/docs/concepts/security/pod-security-admission).
PSA_LABEL_PREFIX: Final = "pod-security.kubernetes.io/"
#: The namespace annotation that says why the namespace enforces its level.
REASON_ANNOTATION: Final = "llm-d.ai/pod-security-reason"

#: Capabilities the baseline level allows in ``capabilities.add`` (Pod Security Standards, baseline "Capabilities").
BASELINE_CAPABILITIES: Final = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
#: Sysctls the baseline level allows (Pod Security Standards, baseline "Sysctls", Kubernetes 1.29+ list).
SAFE_SYSCTLS: Final = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
#: Volume types the restricted level allows (Pod Security Standards, restricted "Volume Types").
RESTRICTED_VOLUME_TYPES: Final = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
#: The one capability the restricted level allows to add back after ``drop: [ALL]``.
RESTRICTED_ADDABLE: Final = frozenset({"NET_BIND_SERVICE"})


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"pod security level {level!r}: allowed {', '.join(LEVELS)}")
    return level


def stricter(level: str) -> str:
    """The next stricter level (``privileged`` -> ``baseline`` -> ``restricted``; ``restricted`` stays).

    Raises ValueError for an unknown level."""
    return LEVELS[min(LEVELS.index(_check_level(level)) + 1, len(LEVELS) - 1)]


def _caps(context: Mapping[str, Any] | None, key: str) -> set[str]:
    values = ((context or {}).get("capabilities") or {}).get(key) or []
    return {str(v).upper().removeprefix("CAP_") for v in values}


def _containers(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        *(pod_spec.get("initContainers") or []),
        *(pod_spec.get("containers") or []),
        *(pod_spec.get("ephemeralContainers") or []),
    ]


def _seccomp_type(context: Mapping[str, Any] | None) -> str | None:
    profile = (context or {}).get("seccompProfile") or {}
    kind = profile.get("type")
    return str(kind) if kind is not None else None


def _baseline_violations(pod_spec: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(host) is True:
            found.append(f"{host}: true")
    pod_context = pod_spec.get("securityContext") or {}
    if _seccomp_type(pod_context) == "Unconfined":
        found.append("pod seccompProfile Unconfined")
    for sysctl in pod_context.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl.get('name')} is not a safe sysctl")
    for volume in pod_spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append(f"volume {volume.get('name')} is a hostPath")
    for container in _containers(pod_spec):
        name = container.get("name")
        context = container.get("securityContext") or {}
        if context.get("privileged") is True:
            found.append(f"container {name} is privileged")
        extra = sorted(_caps(context, "add") - BASELINE_CAPABILITIES)
        if extra:
            found.append(f"container {name} adds capabilities {', '.join(extra)}")
        if _seccomp_type(context) == "Unconfined":
            found.append(f"container {name} seccompProfile Unconfined")
        if context.get("procMount") not in (None, "Default"):
            found.append(f"container {name} procMount {context.get('procMount')}")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"container {name} uses hostPort {port.get('hostPort')}")
    return found


def _restricted_violations(pod_spec: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for volume in pod_spec.get("volumes") or []:
        kinds = [k for k in volume if k != "name"]
        if any(k not in RESTRICTED_VOLUME_TYPES for k in kinds):
            found.append(f"volume {volume.get('name')} of type {', '.join(kinds)} is not allowed")
    pod_context = pod_spec.get("securityContext") or {}
    pod_non_root = pod_context.get("runAsNonRoot") is True
    pod_seccomp = _seccomp_type(pod_context) in ("RuntimeDefault", "Localhost")
    if pod_context.get("runAsUser") == 0:
        found.append("pod runAsUser 0")
    for container in _containers(pod_spec):
        name = container.get("name")
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"container {name} does not set allowPrivilegeEscalation: false")
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append(f"container {name} does not run with runAsNonRoot: true")
        if context.get("runAsUser") == 0:
            found.append(f"container {name} runAsUser 0")
        seccomp = _seccomp_type(context)
        if seccomp not in ("RuntimeDefault", "Localhost") and not (seccomp is None and pod_seccomp):
            found.append(f"container {name} has no RuntimeDefault/Localhost seccompProfile")
        if "ALL" not in _caps(context, "drop"):
            found.append(f"container {name} does not drop ALL capabilities")
        extra = sorted(_caps(context, "add") - RESTRICTED_ADDABLE)
        if extra:
            found.append(f"container {name} adds capabilities {', '.join(extra)}")
    return found


def pod_security_violations(pod_spec: Mapping[str, Any], level: str) -> list[str]:
    """Why ``pod_spec`` (a Kubernetes PodSpec, camelCase) would be rejected in a namespace enforcing ``level``.

    Empty when the pod is admitted. ``privileged`` admits everything; ``baseline`` and ``restricted`` apply the
    Pod Security Standards rules listed in this module's docstring (the checks Pod Security Admission runs on pod
    specs; AppArmor / SELinux / Windows options are not inspected: the library sets none).

    Raises:
        ValueError: ``level`` is not one of :data:`LEVELS`.
    """
    _check_level(level)
    if level == PRIVILEGED:
        return []
    found = _baseline_violations(pod_spec)
    if level == RESTRICTED:
        found += _restricted_violations(pod_spec)
    return found


def most_restrictive_level(pod_specs: Iterable[Mapping[str, Any]]) -> str:
    """The strictest level every pod spec of ``pod_specs`` meets (``restricted`` for none)."""
    specs = list(pod_specs)
    for level in reversed(LEVELS):
        if all(not pod_security_violations(spec, level) for spec in specs):
            return level
    return PRIVILEGED


@dataclass(frozen=True)
class PodSecurityNeed:
    """What one kind of pod in the stack namespace needs: the strictest level it meets and why (for the annotation).

    ``level`` is one of :data:`LEVELS`; ``reason`` is a short phrase such as
    ``"model server deepseek-r1 adds capabilities IPC_LOCK, SYS_RAWIO (RDMA)"``.
    """

    level: str
    reason: str

    def __post_init__(self) -> None:
        _check_level(self.level)


@dataclass(frozen=True)
class PodSecurity:
    """The Pod Security Admission decision for a namespace: the ``enforce`` level and why.

    ``warn`` / ``audit`` stay one level stricter than ``enforce`` (:func:`stricter`), so what keeps the namespace
    from the next level shows up as API warnings and audit annotations. Build one with :func:`decide`.
    """

    level: str
    reason: str

    def __post_init__(self) -> None:
        _check_level(self.level)

    @property
    def visibility_level(self) -> str:
        """The ``warn`` and ``audit`` level."""
        return stricter(self.level)


def decide(needs: Sequence[PodSecurityNeed]) -> PodSecurity:
    """The ``enforce`` level for a namespace whose pods have ``needs``: the most permissive level any need asks for
    (``restricted`` when there are none), with the reasons of the needs at that level joined by ``"; "``.

    Pure function. E.g. ``[need(baseline, "vLLM runs as root"), need(privileged, "... adds IPC_LOCK")]`` ->
    ``PodSecurity("privileged", "... adds IPC_LOCK")``.
    """
    if not needs:
        return PodSecurity(RESTRICTED, "every pod meets the restricted profile")
    level = min((n.level for n in needs), key=LEVELS.index)
    reasons = list(dict.fromkeys(n.reason for n in needs if n.level == level))
    if level == RESTRICTED:
        return PodSecurity(RESTRICTED, "every pod meets the restricted profile")
    return PodSecurity(level, "; ".join(reasons))


def namespace_labels(decision: PodSecurity) -> dict[str, str]:
    """The Pod Security Admission labels of a namespace for ``decision``: ``enforce`` at its level, ``warn`` and
    ``audit`` at :attr:`PodSecurity.visibility_level` (all ``...-version: latest`` implicitly)."""
    return {
        f"{PSA_LABEL_PREFIX}enforce": decision.level,
        f"{PSA_LABEL_PREFIX}warn": decision.visibility_level,
        f"{PSA_LABEL_PREFIX}audit": decision.visibility_level,
    }
