"""The CPU render (tokenizer) Service of precise prefix-cache routing.

The endpoint picker's ``token-producer`` tokenizes prompts over HTTP against a pool of GPU-less vLLM pods running
``vllm launch render <model>`` (llm-d guides/precise-prefix-cache-routing/render: 3 replicas, 1-4 CPU, 4-12 GiB),
so that render capacity scales apart from the picker replicas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.args import NamedResource, component_args, ref_name
from pulumi_llmd.components.kube import child_options, k8s_object, with_depends_on
from pulumi_llmd.components.serving.model_server import hf_token_env

#: Port of the render HTTP API.
RENDER_PORT = 8000
#: The render container's resources (requests 1 CPU / 4Gi, limits 4 CPU / 12Gi); the pods run on the system pool, where
#: config validation checks one fits a node (:func:`~pulumi_llmd.blueprints.paths.rules.system_pod_issues`).
RENDER_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "1", "memory": "4Gi"},
    "limits": {"cpu": "4", "memory": "12Gi"},
}


def render_manifests(
    *,
    name: str,
    namespace: str,
    model: str,
    replicas: int,
    hf_token_secret: str | None,
    image: str,
) -> list[dict[str, Any]]:
    """Deployment ``<name>``, ClusterIP Service ``<name>`` (``render-http`` 8000) and a PodDisruptionBudget.

    The readiness gate follows the guide (``/health`` after 30 s, up to 10 minutes to download the tokenizer via
    a startup probe); a liveness probe restarts a hung server.

    Pods carry ``app.kubernetes.io/component: vllm-render`` and ``app.kubernetes.io/part-of: <name>`` but never the
    ``llm-d.ai/*`` model-server labels, so no InferencePool selects them (the guide's note). Raises ValueError for
    ``replicas < 1``.
    """
    if replicas < 1:
        raise ValueError(f"TokenizerRender {name}: replicas = {replicas}: must be >= 1")
    labels = {"app.kubernetes.io/component": "vllm-render", "app.kubernetes.io/part-of": name}
    meta = {"name": name, "namespace": namespace, "labels": labels}
    env = [
        {"name": "HF_HOME", "value": "/tmp/hf"},
        *hf_token_env(hf_token_secret),
        {"name": "DO_NOT_TRACK", "value": "1"},
    ]
    container: dict[str, Any] = {
        "name": "vllm-render",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["vllm", "launch", "render"],
        "args": [model, f"--port={RENDER_PORT}"],
        "ports": [{"name": "render-http", "containerPort": RENDER_PORT, "protocol": "TCP"}],
        "env": env,
        "resources": {k: dict(v) for k, v in RENDER_RESOURCES.items()},
        "startupProbe": {
            "httpGet": {"path": "/health", "port": "render-http"},
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 60,
        },
        "readinessProbe": {
            "httpGet": {"path": "/health", "port": "render-http"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "render-http"},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 6,
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "hf-cache", "mountPath": "/tmp/hf"}],
    }
    manifests: list[dict[str, Any]] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [container],
                        "volumes": [{"name": "hf-cache", "emptyDir": {}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "render-http", "port": RENDER_PORT, "targetPort": "render-http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        },
    ]
    return manifests


def render_network_policy(
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    client_labels: Mapping[str, str],
    monitoring_namespaces: Sequence[str],
) -> dict[str, Any]:
    """A NetworkPolicy ``<name>`` admitting to the render pods (``labels``) only ``client_labels`` pods (the endpoint
    pickers) and ``monitoring_namespaces``, on 8000. Raises ValueError for empty label selectors."""
    if not labels or not client_labels:
        raise ValueError(f"render NetworkPolicy {name}: labels and client_labels must not be empty")
    port = [{"protocol": "TCP", "port": RENDER_PORT}]
    sources: list[dict[str, Any]] = [{"from": [{"podSelector": {"matchLabels": dict(client_labels)}}], "ports": port}]
    if monitoring_namespaces:
        sources.append(
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
                    for ns in monitoring_namespaces
                ],
                "ports": port,
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            # Why the allow exists (the annotation every NetworkPolicy of the stack carries).
            "annotations": {
                "llm-d.ai/why": "the endpoint pickers tokenize prompts through the render pods; monitoring scrapes them"
            },
        },
        "spec": {"podSelector": {"matchLabels": dict(labels)}, "policyTypes": ["Ingress"], "ingress": sources},
    }


class TokenizerRenderArgs(TypedDict, total=False):
    """The arguments of :class:`TokenizerRender` (give them as this object or as keyword arguments)."""

    namespace: Required[NamedResource | str]
    """Target namespace: a :class:`~pulumi_llmd.components.platform.StackNamespace` (every object then depends on
    it) or a namespace name."""
    model: Required[str]
    """Hugging Face id of the model to tokenize for; must be the served model."""
    replicas: int
    """Render pods, >= 1. Default: 3 (the guide's)."""
    hf_token_secret: str | None
    """Secret with key ``HF_TOKEN`` (gated models). Default: None."""
    image: str
    """The CPU vLLM image. Default: the active llm-d release's ``vllm_cpu`` pin
    (:func:`~pulumi_llmd.components.versions.active_release`)."""


class TokenizerRender(pulumi.ComponentResource):
    """A pool of CPU vLLM render pods the endpoint picker tokenizes with. Type token ``llmd:serving:TokenizerRender``.

    Outputs: ``url`` (``http://<name>:8000``, what the picker's ``token-producer`` dials), ``labels`` (pod labels).
    Arguments: :class:`TokenizerRenderArgs`. Raises ValueError as
    :func:`render_manifests`.
    """

    @overload
    def __init__(self, name: str, args: TokenizerRenderArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[TokenizerRenderArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: TokenizerRenderArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(TokenizerRenderArgs, "TokenizerRender", args, kwargs)
        ref_namespace = a["namespace"]
        namespace, namespace_deps = ref_name(ref_namespace, "TokenizerRender", "namespace")
        model = a["model"]
        replicas = a.get("replicas", 3)
        hf_token_secret = a.get("hf_token_secret", None)
        image = a.get("image", versions.active_release().vllm_cpu.ref)
        opts = with_depends_on(opts, [*namespace_deps])
        manifests = render_manifests(
            name=name,
            namespace=namespace,
            model=model,
            replicas=replicas,
            hf_token_secret=hf_token_secret,
            image=image,
        )
        super().__init__("llmd:serving:TokenizerRender", name, None, opts)
        child = child_options(self, opts)
        for manifest in manifests:
            k8s_object(f"{name}-{manifest['kind'].lower()}", manifest, child)
        self.url = f"http://{name}:{RENDER_PORT}"
        self.labels: Mapping[str, str] = manifests[0]["metadata"]["labels"]
        self.port = RENDER_PORT
        self.register_outputs({"url": self.url})
