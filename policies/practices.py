"""llm-d practices as rules: per-resource checks (type + props -> violations) and stack checks (graph -> violations).

What llm-d's guides and the Kubernetes docs ask of a production inference stack, enforced before deploy:
accelerator requests equal limits; the parallelism of a model server fits a node of a pool it can be scheduled to
(:mod:`.nodes`); P/D disaggregation only over an RDMA fabric (or an explicit TCP choice); a highly available endpoint
picker with leader election; images that name one release and exact chart versions; probes on model servers;
PodDisruptionBudgets; NetworkPolicies that let only the gateway (and the endpoint picker / monitoring) reach the
model servers and the endpoint picker, judged by what their rules admit (:mod:`.netpol`), and a default deny in every
namespace the stack creates; no privileged containers, no host namespaces, no privilege escalation, no hostPath to
devices (normalized paths), capabilities limited to what RDMA needs; the Hugging Face token and every other
credential only from Secrets (by name and by value shape, :mod:`pulumi_llmd.redact`).

Every rule is mandatory by default (a platform team can lower one per pack config, e.g.
``{"pod-disruption-budgets": "advisory"}``), except two advisory ones: ``images-by-digest`` (a pinned tag without a
digest) and ``addon-namespace-default-deny`` (namespaces that add-on Helm charts create).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_llmd.policies import netpol
from pulumi_llmd.policies.graph import (
    ACCELERATOR_RESOURCES,
    Graph,
    PodTemplate,
    accelerator_counts,
    as_int,
    cidr_contains,
    container_args,
    dig,
    flag_value,
    host_path_exposes_devices,
    is_endpoint_picker,
    is_model_server,
    is_rdma_resource,
    items,
    mapping,
    normalize_host_path,
    pod_templates,
    rdma_attached,
    selector_matches,
)
from pulumi_llmd.policies.model import Enforcement, Resource, Violation
from pulumi_llmd.policies.nodes import candidate_nodes, describe_devices, fits, pod_devices, tpu_devices_per_chip
from pulumi_llmd.redact import is_sensitive_name, looks_like_credential

#: Name of the practices pack (what findings cite instead of a checklist id).
PACK: Final = "llm-d-practices"
#: Capabilities an RDMA / GPUDirect container may add (memory pinning; raw I/O for NVSHMEM / DeepEP).
RDMA_CAPABILITIES: Final = frozenset({"IPC_LOCK", "SYS_RAWIO"})
#: Environment variables that carry a Hugging Face token.
HF_TOKEN_ENV: Final = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_TOKEN", "HUGGING_FACE_TOKEN"})
#: A Hugging Face user access token (huggingface.co/docs/hub/security-tokens: ``hf_`` prefix), anywhere in a text.
_HF_TOKEN_LITERAL = re.compile(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{20,}(?![A-Za-z0-9_])")
#: Pod annotation that records an explicit choice of TCP for P/D KV-cache transfer.
KV_TRANSPORT_ANNOTATION: Final = "llm-d.ai/kv-transport"
#: vLLM KV connectors that move KV caches between pods (offloading connectors such as OffloadingConnector and
#: LMCacheConnectorV1 keep them on the node).
INTER_POD_KV_CONNECTORS: Final = ("NixlConnector", "P2pNcclConnector", "MooncakeConnector")
#: Google Cloud load-balancer health-check source ranges (Cloud Load Balancing firewall docs).
GOOGLE_HEALTH_CHECK_RANGES: Final = ("35.191.0.0/16", "130.211.0.0/22")


@dataclass(frozen=True)
class ResourceRule:
    """A rule over one resource: ``check(resource) -> violations``."""

    name: str
    description: str
    check: Callable[[Resource], list[Violation]]
    enforcement: Enforcement = Enforcement.MANDATORY


@dataclass(frozen=True)
class StackRule:
    """A rule over the whole graph: ``check(graph) -> violations``."""

    name: str
    description: str
    check: Callable[[Graph], list[Violation]]
    enforcement: Enforcement = Enforcement.MANDATORY


def _containers(resource: Resource) -> list[tuple[PodTemplate, Mapping[str, object]]]:
    return [(t, c) for t in pod_templates(resource) for c in t.containers()]


# --- per-resource rules -------------------------------------------------------------------------------------------


def check_requests_equal_limits(resource: Resource) -> list[Violation]:
    """Accelerator and RDMA extended resources: requests (if given) equal limits, and limits are set."""
    found = []
    for _, container in _containers(resource):
        requests = mapping(dig(container, "resources", "requests"))
        limits = mapping(dig(container, "resources", "limits"))
        for key in sorted(set(requests) | set(limits)):
            if key not in ACCELERATOR_RESOURCES and not is_rdma_resource(key):
                continue
            if key not in limits:
                found.append(Violation(f"container {container.get('name')}: {key} requested without a limit", resource))
            elif key in requests and as_int(requests[key]) != as_int(limits[key]):
                found.append(
                    Violation(
                        f"container {container.get('name')}: {key} request {requests[key]} != limit {limits[key]}",
                        resource,
                    )
                )
    return found


def check_pd_over_rdma(resource: Resource) -> list[Violation]:
    """Prefill/decode servers that transfer KV caches attach RDMA/EFA, or record TCP in ``llm-d.ai/kv-transport``."""
    found = []
    for template in pod_templates(resource):
        role = template.labels.get("llm-d.ai/role")
        if role not in ("prefill", "decode"):
            continue
        transfers = any(
            connector in " ".join(container_args(c))
            for c in template.containers()
            for connector in INTER_POD_KV_CONNECTORS
        )
        if not transfers or rdma_attached(template):
            continue
        if template.annotations.get(KV_TRANSPORT_ANNOTATION) == "tcp":
            continue
        ucx = {
            str(mapping(e).get("name")): str(mapping(e).get("value", ""))
            for c in template.containers()
            for e in items(c.get("env"))
        }
        transports = set(ucx.get("UCX_TLS", "").split(","))
        if "tcp" in transports and not transports & {"rc", "ud", "dc", "ib", "rc_x", "dc_x", "ud_x"}:
            continue
        found.append(
            Violation(
                f"{role} pods transfer KV caches but attach no RDMA/EFA interface; attach the fabric or set "
                f"annotation {KV_TRANSPORT_ANNOTATION}: tcp to choose TCP explicitly",
                resource,
            )
        )
    return found


#: Tags that registries move to new images (branch, channel and "newest" names): pulling them twice may give two
#: different images (OCI distribution spec: a tag is a mutable pointer; only a digest names content).
MUTABLE_TAGS: Final = frozenset(
    {
        "latest", "main", "master", "nightly", "stable", "edge", "dev", "develop", "development", "head", "canary",
        "rolling", "release", "current", "beta", "alpha", "unstable", "testing", "next", "preview", "snapshot",
        "trunk",
    }
)  # fmt: skip
_MAJOR_ONLY = re.compile(r"^v?[0-9]+$")
#: A date (YYYYMMDD...) or a commit id (7+ hex digits with a digit) that pins a channel tag (``nightly-20250501``).
_PINNED_SUFFIX = re.compile(r"[0-9]{6,}|(?<![0-9a-z])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}(?![0-9a-z])")
#: An exact chart version: MAJOR.MINOR.PATCH with optional pre-release / build (semver.org; a leading ``v`` allowed).
_EXACT_CHART_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``(repository, tag, digest)`` of an image reference (tag / digest None when absent).

    ``registry:5000/repo:tag@sha256:...`` -> ``("registry:5000/repo", "tag", "sha256:...")``.
    """
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = name.rpartition(":")
        return repository, tag, digest or None
    return name, None, digest or None


def mutable_tag(tag: str) -> str | None:
    """Why an image tag is mutable (None when it names one release): a channel/branch name (:data:`MUTABLE_TAGS`,
    also with a suffix such as ``latest-gpu`` unless a date or commit id pins it) or a major-only version
    (``v0``, ``1``)."""
    lowered = tag.lower()
    if lowered in MUTABLE_TAGS:
        return f"the mutable tag {tag}"
    if _MAJOR_ONLY.match(lowered):
        return f"the major-only tag {tag} (it moves with every release of that major version)"
    word = re.split(r"[-_.]", lowered, maxsplit=1)[0]
    if word in MUTABLE_TAGS and word != lowered and not _PINNED_SUFFIX.search(lowered[len(word) :]):
        return f"the mutable tag {tag} (a {word} channel)"
    return None


def _image_problem(image: str) -> str | None:
    """Why an image reference is not pinned to one release (mandatory), or None."""
    if not image:
        return "has no image"
    _, tag, digest = split_image(image)
    if digest:
        return None  # the kubelet pulls by digest; the tag is only a label
    if tag is None:
        return f"image {image} has no tag (pulls latest)"
    if not tag:
        return f"image {image} has an empty tag"
    problem = mutable_tag(tag)
    return f"image {image} uses {problem}" if problem else None


def chart_version_problem(chart: str, version: str) -> str | None:
    """Why a Helm chart version is not one release, or None.

    Helm resolves ``--version`` as a Masterminds/semver constraint (helm/helm ``pkg/repo`` index lookup): ranges
    (``^1.2``, ``~1.2``, ``>=1``, ``1.2 - 1.4``, ``||``), wildcards (``1.x``, ``*``) and partial versions (``1.2`` is
    ``1.2.x``, Masterminds/semver README "Wildcards In Comparisons" / "Tilde Range Comparisons") pick the newest
    matching chart at install time; an empty version picks the newest chart. Only ``MAJOR.MINOR.PATCH[-pre][+build]``
    names one chart. A chart reference pinned by digest (``oci://...@sha256:``) is pinned whatever the version.
    """
    if "@sha256:" in chart:
        return None
    text = version.strip()
    if not text:
        return f"Helm chart {chart} has no pinned version (installs the newest)"
    if not _EXACT_CHART_VERSION.match(text):
        return f"Helm chart {chart} version {text!r} is a range or partial version (Helm installs the newest match)"
    return None


def check_images_pinned(resource: Resource) -> list[Violation]:
    """Every container image names one release (a digest, or a tag that is not a channel like ``latest``/``main``/
    ``nightly`` and not major-only like ``v0``); every Helm release pins an exact chart version (no range)."""
    found = []
    if resource.type.startswith("kubernetes:helm.sh/"):
        chart = str(resource.props.get("chart") or "")
        problem = chart_version_problem(chart, str(resource.props.get("version") or ""))
        if problem:
            found.append(Violation(problem, resource))
        return found
    for _, container in _containers(resource):
        problem = _image_problem(str(container.get("image") or ""))
        if problem:
            found.append(Violation(f"container {container.get('name')}: {problem}", resource))
    return found


def check_images_by_digest(resource: Resource) -> list[Violation]:
    """Every container image carries a digest (``@sha256:...``): a tag, even an exact one, can be re-pushed
    (advisory; images without any pinned tag are ``images-pinned`` violations instead)."""
    found = []
    for _, container in _containers(resource):
        image = str(container.get("image") or "")
        if image and not split_image(image)[2] and _image_problem(image) is None:
            found.append(
                Violation(f"container {container.get('name')}: image {image} is not pinned by digest", resource)
            )
    return found


def _led_worker(resource: Resource, template: PodTemplate) -> bool:
    """A LeaderWorkerSet worker that serves no API of its own: its group restarts as one
    (``restartPolicy: RecreateGroupOnPodRestart``) and its leader's probes watch the engine, as in llm-d's TPU
    multi-host guide (``optimized-baseline/modelserver/tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml``: probes on the
    leader only)."""
    if template.role != "workerTemplate":
        return False
    group = dig(resource.props, "spec", "leaderWorkerTemplate")
    if dig(group, "restartPolicy") != "RecreateGroupOnPodRestart" or not dig(group, "leaderTemplate"):
        return False
    serving = [p for c in template.containers(init=False) for p in items(c.get("ports")) if _serves_http(p)]
    return not serving


def _serves_http(port: object) -> bool:
    name = str(dig(port, "name") or "")
    return bool(name) and not name.startswith(("jax", "ray", "nccl"))


def check_model_server_probes(resource: Resource) -> list[Violation]:
    """Model-server containers have readiness and liveness probes (and, for long model loads, a startup probe)."""
    found = []
    for template in pod_templates(resource):
        if not is_model_server(template) or is_endpoint_picker(template) or _led_worker(resource, template):
            continue
        for container in template.containers(init=False):
            if not items(container.get("ports")) and not accelerator_counts(container):
                continue  # helpers without a serving port
            missing = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
            if missing:
                found.append(
                    Violation(f"model-server container {container.get('name')} lacks {', '.join(missing)}", resource)
                )
    return found


def check_no_privileged(resource: Resource) -> list[Violation]:
    """No privileged container (it sees every device and the host)."""
    return [
        Violation(f"container {c.get('name')} is privileged", resource)
        for _, c in _containers(resource)
        if dig(c, "securityContext", "privileged") is True
    ]


def check_no_device_hostpath(resource: Resource) -> list[Violation]:
    """No hostPath volume that exposes ``/dev`` (devices come from device plugins or DRA): the path is normalized
    first (:func:`~pulumi_llmd.policies.graph.normalize_host_path`), so ``/dev/../dev``, ``//dev/`` and ``/`` (an
    ancestor of ``/dev``) count as ``/dev``."""
    found = []
    for template in pod_templates(resource):
        for volume in items(template.spec.get("volumes")):
            path = dig(volume, "hostPath", "path")
            if isinstance(path, str) and host_path_exposes_devices(path):
                shown = normalize_host_path(path)
                detail = f" (= {shown})" if shown != path else ""
                found.append(
                    Violation(f"volume {mapping(volume).get('name')} mounts host path {path}{detail}", resource)
                )
    return found


#: Workloads the library deploys that may share a host namespace (hostNetwork / hostPID / hostIPC), keyed by
#: (namespace, kind, name), with the reason. Empty: no reference stack renders one. The GKE gIB NCCL installer
#: (kube-system/nccl-rdma-installer) deliberately runs without hostNetwork / hostPID (components/gcp/rdma.py), and
#: device plugins / DCGM exporters arrive as Helm releases whose pods the graph does not show.
HOST_NAMESPACE_ALLOWED: Final[Mapping[tuple[str, str, str], str]] = {}
#: System agents the library deploys that may leave ``allowPrivilegeEscalation`` unset, with the reason.
PRIVILEGE_ESCALATION_ALLOWED: Final[Mapping[tuple[str, str, str], str]] = {
    ("kube-system", "DaemonSet", "nccl-rdma-installer"): (
        "GKE's gIB NCCL installer (GoogleCloudPlatform/container-engine-accelerators gpudirect-rdma/"
        "nccl-rdma-installer.yaml): a node agent in kube-system that runs as root to write into host paths"
    ),
}


#: System agents the library deploys that may add capabilities beyond IPC_LOCK / SYS_RAWIO, with the reason.
CAPABILITIES_ALLOWED: Final[Mapping[tuple[str, str, str], str]] = {
    ("inteldeviceplugins-system", "DaemonSet", "intel-xpumanager"): (
        "Intel XPU Manager's GPU metrics daemon adds SYS_ADMIN, 'required for engine utilization' (intel/xpumanager "
        "deployment/kubernetes/daemonset/base/daemonset-intel-xpum.yaml; components/platform/devices.py)"
    ),
    ("inteldeviceplugins-system", "DaemonSet", "intel-xpumanager-xe"): (
        "Intel XPU Manager's GPU metrics daemon (xe pools) adds SYS_ADMIN, as for i915 (same manifest)"
    ),
}


def _allowed(table: Mapping[tuple[str, str, str], str], resource: Resource) -> bool:
    return (resource.namespace, resource.kind, resource.object_name) in table


def check_no_host_namespaces(resource: Resource) -> list[Violation]:
    """Pods share no host namespace: ``hostNetwork``, ``hostPID`` and ``hostIPC`` are not true (Pod Security
    Standards, baseline "Host Namespaces"), except for the workloads in :data:`HOST_NAMESPACE_ALLOWED`."""
    if _allowed(HOST_NAMESPACE_ALLOWED, resource):
        return []
    found = []
    for template in pod_templates(resource):
        shared = [key for key in ("hostNetwork", "hostPID", "hostIPC") if template.spec.get(key) is True]
        if shared:
            found.append(Violation(f"pods share the host's namespaces ({', '.join(shared)})", resource))
    return found


def check_no_privilege_escalation(resource: Resource) -> list[Violation]:
    """Every container sets ``securityContext.allowPrivilegeEscalation: false`` (unset means true: setuid binaries
    may gain privileges; Pod Security Standards, restricted "Privilege Escalation"). Privileged containers and
    containers adding CAP_SYS_ADMIN cannot set it (the API server rejects false) and are reported by
    ``no-privileged-containers`` / ``capabilities-limited`` instead; system agents in
    :data:`PRIVILEGE_ESCALATION_ALLOWED` are exempt."""
    if _allowed(PRIVILEGE_ESCALATION_ALLOWED, resource):
        return []
    found = []
    for _, container in _containers(resource):
        security = mapping(container.get("securityContext"))
        added = {str(c).removeprefix("CAP_") for c in items(dig(security, "capabilities", "add"))}
        if security.get("privileged") is True or added & {"SYS_ADMIN", "ALL"}:
            continue
        if security.get("allowPrivilegeEscalation") is not False:
            found.append(
                Violation(f"container {container.get('name')} does not set allowPrivilegeEscalation: false", resource)
            )
    return found


def check_capabilities(resource: Resource) -> list[Violation]:
    """Added capabilities limited to IPC_LOCK / SYS_RAWIO, and only in containers that use accelerators or RDMA;
    system agents in :data:`CAPABILITIES_ALLOWED` are exempt."""
    if _allowed(CAPABILITIES_ALLOWED, resource):
        return []
    found = []
    for _, container in _containers(resource):
        added = {str(c).removeprefix("CAP_") for c in items(dig(container, "securityContext", "capabilities", "add"))}
        if not added:
            continue
        extra = sorted(added - RDMA_CAPABILITIES)
        if extra:
            found.append(Violation(f"container {container.get('name')} adds capabilities {extra}", resource))
        devices = [k for w in ("limits", "requests") for k in mapping(dig(container, "resources", w))]
        if added & RDMA_CAPABILITIES and not any(k in ACCELERATOR_RESOURCES or is_rdma_resource(k) for k in devices):
            found.append(
                Violation(
                    f"container {container.get('name')} adds {sorted(added & RDMA_CAPABILITIES)} without using "
                    "accelerators or RDMA",
                    resource,
                )
            )
    return found


#: Literal values that are not secrets even under a sensitive name: empty, booleans, numbers, paths (a token file
#: such as ``HF_TOKEN_PATH=/var/run/secrets/...``), ``$(VAR)`` / ``${VAR}`` references, URLs without a password, and
#: values unknown during ``pulumi preview``.
_NOT_A_SECRET = re.compile(
    r"^(?:|true|false|yes|no|on|off|none|null|-?[0-9]+(?:\.[0-9]+)?|[/~.][^\s]*|\$\([A-Za-z_][A-Za-z0-9_]*\)"
    r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[a-z][a-z0-9+.-]*://[^\s:@/]+(?::[0-9]+)?(?:/[^\s]*)?|\[unknown\])$",
    re.IGNORECASE,
)
#: Last words of a sensitive name that make its value a reference, not the secret itself.
_REFERENCE_WORDS: Final = frozenset(
    {"name", "names", "path", "file", "dir", "ref", "url", "uri", "endpoint", "arn", "namespace", "type", "id"}
)
#: Words long enough to be a token, for scanning texts (scripts, config files).
_WORDS = re.compile(r"[A-Za-z0-9+/=_.~-]{24,}")
#: PEM certificates (public; their base64 lines look random) are skipped when scanning texts.
_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


def credential_shape(text: str) -> str | None:
    """``"hf"`` when ``text`` holds a Hugging Face token, ``"credential"`` when it holds another credential-shaped
    value (:func:`pulumi_llmd.redact.looks_like_credential`, applied to the whole text and to each long word of it),
    else None. PEM certificates are ignored."""
    if _HF_TOKEN_LITERAL.search(text):
        return "hf"
    scanned = _CERTIFICATE.sub(" ", text)
    if looks_like_credential(scanned) or any(looks_like_credential(w) for w in _WORDS.findall(scanned)):
        return "credential"
    return None


def _literal_secret(name: str, value: str) -> str | None:
    """``"hf"`` / ``"credential"`` when ``value`` given under ``name`` is a literal secret: credential-shaped, or a
    value under a sensitive name (:func:`pulumi_llmd.redact.is_sensitive_name`) that is not a path, number, boolean
    or reference (:data:`_NOT_A_SECRET`)."""
    shape = credential_shape(value)
    if shape:
        return shape
    if name.upper() in HF_TOKEN_ENV and value:
        return "hf"
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", name) if w]
    if words and words[-1] in _REFERENCE_WORDS:
        return None  # names a Secret, a file or an endpoint (HF_TOKEN_SECRET_NAME, --api-key-file), not a value
    if is_sensitive_name(name) and not _NOT_A_SECRET.match(value.strip()):
        return "credential"
    return None


def _arguments(container: Mapping[str, object]) -> list[tuple[str, str]]:
    """``(flag, value)`` pairs of a container's command + args (``--flag=value``, ``--flag value``, also inside a
    ``sh -c`` script), and ``("", word)`` for every other word."""
    words: list[str] = []
    for arg in container_args(container):
        words += arg.split() if any(c.isspace() for c in arg) else [arg]
    words = [w.strip("'\"") for w in words]
    pairs: list[tuple[str, str]] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word.startswith("-") and "=" in word:
            flag, _, value = word.partition("=")
            pairs.append((flag, value))
        elif word.startswith("-") and is_sensitive_name(word) and index + 1 < len(words):
            following = words[index + 1]
            if not following.startswith("-"):
                pairs.append((word, following))
                skip = True
        else:
            pairs.append(("", word))
    return pairs


def _walk_strings(value: object, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _walk_strings(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [p for i, v in enumerate(value) for p in _walk_strings(v, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


def literal_credentials(resource: Resource) -> list[tuple[str, str]]:
    """Every literal secret in a resource, as ``(kind, message)`` with kind ``"hf"`` (a Hugging Face token or an HF
    token variable) or ``"credential"``: container env values under any name (by value shape) or a sensitive name
    (by name), ``env`` HF token variables not from a ``secretKeyRef``, command/args (``--api-key=...``,
    ``--api-key x``, bare tokens), ConfigMap data (by key name and by value shape) and Helm release values (by value
    shape). Messages name where the value is, never the value."""
    found: list[tuple[str, str]] = []
    for _, container in _containers(resource):
        name = container.get("name")
        for env in items(container.get("env")):
            entry = mapping(env)
            var = str(entry.get("name", ""))
            if "value" in entry:
                kind = _literal_secret(var, str(entry.get("value") or ""))
                if var in HF_TOKEN_ENV:
                    found.append(("hf", f"container {name}: {var} is a literal value, not a Secret"))
                elif kind:
                    found.append((kind, f"container {name}: env {var} is a literal value that looks like a credential"))
            elif var in HF_TOKEN_ENV and not dig(entry, "valueFrom", "secretKeyRef"):
                found.append(("hf", f"container {name}: {var} must come from a secretKeyRef"))
        for flag, value in _arguments(container):
            kind = _literal_secret(flag, value) if flag else credential_shape(value)
            if kind:
                what = "a Hugging Face token" if kind == "hf" else "a credential"
                where = f" ({flag})" if flag else ""
                found.append((kind, f"container {name}: {what} is written into its arguments{where}"))
    if resource.is_kubernetes and resource.kind == "ConfigMap":
        for key, value in mapping(resource.props.get("data")).items():
            kind = _literal_secret(str(key), str(value))
            if kind:
                found.append((kind, f"ConfigMap key {key} holds a credential; use a Secret"))
    if resource.type.startswith("kubernetes:helm.sh/"):
        for path, value in _walk_strings(resource.props.get("values")):
            kind = credential_shape(value)
            if kind:
                found.append((kind, f"Helm value {path} holds a literal credential; reference a Secret"))
    return found


def check_hf_token_from_secret(resource: Resource) -> list[Violation]:
    """The Hugging Face token reaches pods only from a Secret (``valueFrom.secretKeyRef``): no literal in an HF token
    variable, and no ``hf_...`` token under any other env name, in arguments, ConfigMaps or Helm values."""
    return [Violation(message, resource) for kind, message in literal_credentials(resource) if kind == "hf"]


def check_no_literal_credentials(resource: Resource) -> list[Violation]:
    """No other credential is written into a manifest: env values, arguments (``--api-key=...``), ConfigMap data
    and Helm values that look like credentials by shape (:func:`pulumi_llmd.redact.looks_like_credential`: API keys,
    JWTs, cloud keys, PEM private keys, long random tokens) or are given literally under a sensitive name
    (``OPENAI_API_KEY``, ``--api-key``, ``password``). Reference a Secret (``valueFrom.secretKeyRef``, ``$(VAR)``)."""
    return [Violation(message, resource) for kind, message in literal_credentials(resource) if kind == "credential"]


# --- stack rules --------------------------------------------------------------------------------------------------


def _parallelism(args: Sequence[str]) -> tuple[int, int, int] | None:
    tp = flag_value(args, "--tensor-parallel-size", "-tp")
    if tp is None:
        return None
    pp = flag_value(args, "--pipeline-parallel-size", "-pp")
    dp = flag_value(args, "--data-parallel-size-local", "-dpl")
    return as_int(tp) or 1, as_int(pp) or 1, as_int(dp) or 1


def check_parallelism_fits_node(graph: Graph) -> list[Violation]:
    """TP x PP x DP(local) of each vLLM server equals its accelerator limit, and the pod fits one node of a pool it
    can be scheduled to. On a TPU version with several vLLM devices per chip (TPU7x: two TensorCores,
    :data:`~pulumi_llmd.policies.nodes.TPU_DEVICES_PER_CHIP`) the chips requested must hold TP x PP x DP devices: a
    TPU7x pod takes its whole 4-chip host, at TP 8 or at TP 4 (llm-d's ``optimized-baseline`` and
    ``multimodal-serving`` tpu/v7 overlays).

    The candidate pools are those whose nodes the pod's ``nodeSelector``, required node affinity and tolerations
    accept (:func:`~pulumi_llmd.policies.nodes.candidate_nodes`; GKE node pools and EKS node groups, devices per
    node from the accelerator count, machine type or EC2 instance type). The scheduler places a pod only where its
    devices fit, so the pod is judged against every candidate and violates only when none has enough devices. Pods
    with no candidate in the graph (existing clusters, node auto-provisioning) or only candidates of unknown size
    are not judged.
    """
    found = []
    for template in graph.model_servers():
        multi_pod = template.workload.kind in ("LeaderWorkerSet", "DisaggregatedSet")
        for container in template.containers(init=False):
            devices = sum(accelerator_counts(container).values())
            sizes = _parallelism(container_args(container))
            if sizes is None or not devices:
                continue
            tp, pp, dp = sizes
            wanted = tp * dp if multi_pod else tp * pp * dp
            per_chip = tpu_devices_per_chip(template)
            if per_chip > 1 and wanted <= devices * per_chip:
                # TPU7x: two vLLM devices per chip; a pod takes its whole 4-chip host at TP 8 or at TP 4 (llm-d
                # optimized-baseline and multimodal-serving tpu/v7 overlays both request google.com/tpu: 4).
                continue
            if wanted != devices:
                found.append(
                    Violation(
                        f"container {container.get('name')}: TP x {'DP' if multi_pod else 'PP x DP'} = {wanted} "
                        f"but the pod gets {devices} accelerator(s)",
                        template.workload,
                    )
                )
        requested = pod_devices(template)
        if not requested:
            continue
        candidates = candidate_nodes(template, graph)
        verdicts = [fits(requested, shape) for shape in candidates]
        if not candidates or None in verdicts or any(verdicts):
            continue
        asked = sum(requested.values())
        if len(candidates) == 1 and candidates[0].devices is not None:
            per_node = sum(candidates[0].devices.get(k, 0) for k in requested)
            message = f"{asked} accelerators per pod exceed the {per_node} of one node of pool {candidates[0].name}"
        else:
            message = (
                f"{asked} accelerators per pod exceed every node the pod can be scheduled to "
                f"({describe_devices(candidates)})"
            )
        found.append(Violation(f"{template.role} pods: {message}", template.workload))
    return found


def _grants_leases(role: Resource) -> bool:
    for rule in items(role.props.get("rules")):
        r = mapping(rule)
        if "coordination.k8s.io" in items(r.get("apiGroups")) and "leases" in items(r.get("resources")):
            return set(items(r.get("verbs"))) >= {"get", "create", "update"}
    return False


def check_epp_high_availability(graph: Graph) -> list[Violation]:
    """Endpoint pickers run >= 2 replicas, leader-elected (``--ha-enable-leader-election`` and RBAC for leases) or
    explicitly active-active (``--ha-enable-leader-election=false``, as precise prefix-cache routing runs them:
    every picker indexes the same KV events and serves)."""
    found = []
    roles = {(r.namespace, r.object_name): r for r in graph.kubernetes("Role") if _grants_leases(r)}
    bindings = graph.kubernetes("RoleBinding")
    for template in graph.endpoint_pickers():
        workload = template.workload
        replicas = as_int(dig(workload.props, "spec", "replicas"))
        replicas = 1 if replicas is None else replicas
        if replicas < 2:
            found.append(Violation(f"endpoint picker runs {replicas} replica(s); run 2 or more", workload))
        args = [a for c in template.containers(init=False) for a in container_args(c)]
        election = [a for a in args if a.startswith("--ha-enable-leader-election")]
        if election and election[-1] == "--ha-enable-leader-election=false" and replicas >= 2:
            continue  # active-active by choice
        if not election or election[-1].endswith("=false"):
            found.append(
                Violation(
                    "endpoint picker without --ha-enable-leader-election (or =false for an explicit active-active "
                    "pair)",
                    workload,
                )
            )
            continue
        account = str(template.spec.get("serviceAccountName") or "default")
        bound = any(
            (b.namespace, str(dig(b.props, "roleRef", "name"))) in roles
            and any(
                mapping(s).get("kind") == "ServiceAccount" and mapping(s).get("name") == account
                for s in items(b.props.get("subjects"))
            )
            for b in bindings
            if b.namespace == workload.namespace
        )
        if not bound:
            found.append(
                Violation(f"service account {account} may not manage leases (leader election fails)", workload)
            )
    return found


def _serving_workloads(graph: Graph) -> list[PodTemplate]:
    return [t for t in graph.serving() if t.role != "workerTemplate"]


def check_pod_disruption_budgets(graph: Graph) -> list[Violation]:
    """Every model-server and endpoint-picker workload is covered by a PodDisruptionBudget."""
    pdbs = graph.kubernetes("PodDisruptionBudget")
    found = []
    for template in _serving_workloads(graph):
        covered = any(
            p.namespace == template.workload.namespace
            and selector_matches(dig(p.props, "spec", "selector"), template.labels)
            for p in pdbs
        )
        if not covered:
            found.append(Violation("no PodDisruptionBudget selects these pods", template.workload))
    return found


def _proxy_ranges(graph: Graph) -> list[str]:
    return [
        str(s.props.get("ipCidrRange"))
        for s in graph.of_type("gcp:compute/subnetwork:Subnetwork")
        if s.props.get("purpose") in ("REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY") and s.props.get("ipCidrRange")
    ]


def _open_problem(admitted: netpol.Admitted, allowed: list[netpol.Network], direction: str) -> tuple[str, bool] | None:
    """What makes a rule's peers too broad (``admits ...``), and whether it includes public addresses (None when the
    rule is specific). ``direction`` is ``from`` or ``to``."""
    peer = "source" if direction == "from" else "destination"
    if admitted.everything:
        return f"without '{direction}' admits every {peer}", True
    problems = []
    public = netpol.public_addresses(admitted.addresses, allowed)
    if netpol.covers_every_address(admitted.addresses):
        problems.append(f"admits any {peer} (every address: {netpol.describe_networks(list(admitted.addresses))})")
    elif public:
        problems.append(f"admits public {peer}s {netpol.describe_networks(public)}")
    if admitted.every_pod:
        problems.append(f"admits any {peer} pod (every pod of every namespace)")
    return ("; ".join(problems), bool(public)) if problems else None


def check_open_network_rules(graph: Graph) -> list[Violation]:
    """NetworkPolicy rules are judged by what they admit (:mod:`~pulumi_llmd.policies.netpol`), whatever the
    spelling: a missing ``from``/``to``, a peer that selects every pod of every namespace, ipBlocks that together
    cover every address or include public addresses (after ``except``).

    * Ingress: violates unless the sources are private, the stack's own network ranges or Google's load-balancer
      health checkers (:data:`GOOGLE_HEALTH_CHECK_RANGES`). A Gateway's data-plane pods (selected by
      ``gateway.networking.k8s.io/gateway-name``) are the public entry point and may admit any source, but only on
      the ports the rule lists.
    * Egress: "every destination" and every-pod peers are allowed only to DNS (UDP/TCP 53); public addresses only
      to DNS and HTTPS (TCP 443) - the deliberate internet egress of the stack: model weights and tokenizers from
      Hugging Face, the Kubernetes API and cloud APIs (their addresses are not known at render time). Any other port
      to the internet or to every pod violates.
    """
    allowed = [*netpol.graph_network_ranges(graph)]
    allowed += [n for n in (netpol.parse_network(c) for c in GOOGLE_HEALTH_CHECK_RANGES) if n is not None]
    found = []
    for policy in graph.kubernetes("NetworkPolicy"):
        types = netpol.policy_types(policy)
        where = f"NetworkPolicy {policy.namespace}/{policy.object_name}"
        if "Ingress" in types:
            gateway = netpol.selects_only_gateway_pods(policy)
            for index, rule in enumerate(items(dig(policy.props, "spec", "ingress")), 1):
                problem = _open_problem(netpol.rule_admits(mapping(rule), "from"), allowed, "from")
                ports = netpol.rule_ports(mapping(rule))
                if problem is None or (gateway and ports is not None):
                    continue
                found.append(
                    Violation(
                        f"{where}: ingress rule {index} {problem[0]} on {netpol.describe_ports(ports)}",
                        policy,
                    )
                )
        if "Egress" in types:
            for index, rule in enumerate(items(dig(policy.props, "spec", "egress")), 1):
                admitted = netpol.rule_admits(mapping(rule), "to")
                problem = _open_problem(admitted, [], "to")
                if problem is None:
                    continue
                ports = netpol.rule_ports(mapping(rule))
                in_cluster = admitted.everything or admitted.every_pod
                permitted = netpol.DNS_PORTS | (netpol.HTTPS_PORTS if problem[1] or in_cluster else frozenset())
                if netpol.ports_within(ports, permitted):
                    continue
                found.append(
                    Violation(
                        f"{where}: egress rule {index} {problem[0]} on {netpol.describe_ports(ports)}; "
                        "open egress is allowed only to DNS (53) and HTTPS (TCP 443)",
                        policy,
                    )
                )
    return found


def check_network_policies(graph: Graph) -> list[Violation]:
    """NetworkPolicies let only the gateway (plus the EPP and monitoring) reach the model servers and the EPP, and
    no rule of any NetworkPolicy is open (:func:`check_open_network_rules`)."""
    policies = [p for p in graph.kubernetes("NetworkPolicy") if "Ingress" in netpol.policy_types(p)]
    by_namespace: dict[str | None, list[Any]] = {}
    for policy in policies:
        by_namespace.setdefault(policy.namespace, []).append(policy)
    proxies = _proxy_ranges(graph)
    pickers = graph.endpoint_pickers()
    found = check_open_network_rules(graph)
    for template in _serving_workloads(graph):
        workload = template.workload
        selecting = [
            p
            for p in by_namespace.get(workload.namespace, [])
            if selector_matches(dig(p.props, "spec", "podSelector"), template.labels)
        ]
        if not selecting:
            found.append(Violation("no NetworkPolicy restricts ingress to these pods", workload))
            continue
        peers: list[Mapping[str, object]] = []
        for policy in selecting:
            for rule in items(dig(policy.props, "spec", "ingress")):
                peers += [mapping(p) for p in items(mapping(rule).get("from"))]
        cidrs = [str(dig(p, "ipBlock", "cidr")) for p in peers if dig(p, "ipBlock", "cidr")]
        for proxy in proxies:
            if not any(cidr_contains(c, proxy) for c in cidrs):
                found.append(Violation(f"the gateway's proxy-only subnet {proxy} cannot reach these pods", workload))
        if is_model_server(template) and not is_endpoint_picker(template) and pickers:
            same_ns = [p for p in pickers if p.workload.namespace == workload.namespace]
            reaches = any(
                isinstance(peer.get("podSelector"), Mapping)
                and "namespaceSelector" not in peer
                and any(selector_matches(peer.get("podSelector"), p.labels) for p in same_ns)
                for peer in peers
            )
            if same_ns and not reaches:
                found.append(Violation("the endpoint picker cannot reach these model servers' metrics", workload))
    return found


#: Namespaces the cluster owns; a stack never gets to isolate them.
SYSTEM_NAMESPACES: Final = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})


def _isolated(graph: Graph, namespace: str) -> set[str]:
    covered: set[str] = set()
    for policy in graph.kubernetes("NetworkPolicy"):
        if policy.namespace == namespace and netpol.selects_strictly_all(dig(policy.props, "spec", "podSelector")):
            covered |= netpol.policy_types(policy) & {"Ingress", "Egress"}
    return covered


def _default_deny_violation(namespace: str, missing: set[str], resource: Resource) -> Violation:
    return Violation(
        f"namespace {namespace} has no default-deny NetworkPolicy for {' and '.join(sorted(missing)).lower()}: add "
        "one with podSelector {} and policyTypes [Ingress, Egress], then allow what the paths need",
        resource,
    )


def check_namespace_default_deny(graph: Graph) -> list[Violation]:
    """Every namespace the stack creates (``Namespace`` objects) isolates all its pods for ingress and egress: a
    NetworkPolicy there selects every pod (``podSelector: {}``) with ``Ingress`` and ``Egress`` in its policyTypes
    (one policy or two). Allows are then added per path; their rules are judged by ``network-policies``."""
    found = []
    for namespace in graph.kubernetes("Namespace"):
        name = namespace.object_name
        if name in SYSTEM_NAMESPACES:
            continue
        missing = {"Ingress", "Egress"} - _isolated(graph, name)
        if missing:
            found.append(_default_deny_violation(name, missing, namespace))
    return found


def check_addon_namespace_default_deny(graph: Graph) -> list[Violation]:
    """Advisory: namespaces that Helm releases of platform add-ons create (``createNamespace``) also isolate their
    pods for ingress and egress (their charts' traffic - webhooks, metrics, the API server - must then be allowed)."""
    created = {n.object_name for n in graph.kubernetes("Namespace")}
    found = []
    seen: set[str] = set()
    for release in graph.helm_releases():
        name = str(release.props.get("namespace") or "")
        if not release.props.get("createNamespace") or not name or name in created | SYSTEM_NAMESPACES | seen:
            continue
        seen.add(name)
        missing = {"Ingress", "Egress"} - _isolated(graph, name)
        if missing:
            found.append(_default_deny_violation(name, missing, release))
    return found


RESOURCE_RULES: Final[tuple[ResourceRule, ...]] = (
    ResourceRule(
        "accelerator-requests-equal-limits",
        "GPU/TPU/EFA/RDMA extended resources: requests equal limits (no overcommit of devices).",
        check_requests_equal_limits,
    ),
    ResourceRule(
        "pd-over-rdma",
        "Prefill/decode KV-cache transfer runs over an RDMA fabric, or TCP is chosen explicitly.",
        check_pd_over_rdma,
    ),
    ResourceRule(
        "images-pinned",
        "Container images name one release (a digest, or a tag that is not latest/main/nightly/... or major-only); "
        "Helm charts pin an exact version (no range).",
        check_images_pinned,
    ),
    ResourceRule(
        "images-by-digest",
        "Container images are pinned by digest (@sha256:...), not only by tag.",
        check_images_by_digest,
        Enforcement.ADVISORY,
    ),
    ResourceRule("model-server-probes", "Model servers have readiness and liveness probes.", check_model_server_probes),
    ResourceRule("no-privileged-containers", "No privileged containers.", check_no_privileged),
    ResourceRule(
        "no-device-hostpath",
        "No hostPath volumes to /dev (or /, or any spelling of them): devices come from device plugins or DRA.",
        check_no_device_hostpath,
    ),
    ResourceRule(
        "no-host-namespaces",
        "Pods do not share the host's network, PID or IPC namespace (hostNetwork / hostPID / hostIPC).",
        check_no_host_namespaces,
    ),
    ResourceRule(
        "no-privilege-escalation",
        "Containers set allowPrivilegeEscalation: false (except listed system agents).",
        check_no_privilege_escalation,
    ),
    ResourceRule(
        "capabilities-limited",
        "Added capabilities limited to what RDMA needs (IPC_LOCK, SYS_RAWIO) on accelerator/RDMA containers.",
        check_capabilities,
    ),
    ResourceRule(
        "hf-token-from-secret",
        "The Hugging Face token reaches pods only from a Secret (no hf_ token under any name, argument or ConfigMap).",
        check_hf_token_from_secret,
    ),
    ResourceRule(
        "no-literal-credentials",
        "No credential-shaped value or literal under a sensitive name in env, arguments, ConfigMaps or Helm values.",
        check_no_literal_credentials,
    ),
)

STACK_RULES: Final[tuple[StackRule, ...]] = (
    StackRule(
        "parallelism-fits-node",
        "TP x PP (x local DP) of each model server equals its accelerators and fits one node of its pool.",
        check_parallelism_fits_node,
    ),
    StackRule(
        "epp-high-availability",
        "The endpoint picker runs 2+ replicas with leader election (and RBAC for leases).",
        check_epp_high_availability,
    ),
    StackRule(
        "pod-disruption-budgets",
        "Model servers and endpoint pickers are covered by PodDisruptionBudgets.",
        check_pod_disruption_budgets,
    ),
    StackRule(
        "network-policies",
        "NetworkPolicies let only the gateway (and the EPP / monitoring) reach the EPP and the model servers; no rule "
        "admits every source, every pod or public addresses (egress: only DNS and HTTPS).",
        check_network_policies,
    ),
    StackRule(
        "namespace-default-deny",
        "Every namespace the stack creates has a default-deny NetworkPolicy for ingress and egress.",
        check_namespace_default_deny,
    ),
    StackRule(
        "addon-namespace-default-deny",
        "Namespaces created by add-on Helm releases have a default-deny NetworkPolicy (advisory).",
        check_addon_namespace_default_deny,
        Enforcement.ADVISORY,
    ),
)
