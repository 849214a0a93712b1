"""The one namespace a stack deploys its llm-d objects into, and the Hugging Face token Secret in it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack, overload

import pulumi

from pulumi_llmd.components.args import ArgsError, component_args, format_problem
from pulumi_llmd.components.base import HF_TOKEN_KEY, HF_TOKEN_SECRET
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform.pod_security import (
    BASELINE,
    REASON_ANNOTATION,
    PodSecurity,
    namespace_labels,
)
from pulumi_llmd.components.platform.scheduling import namespace_problem

#: What a namespace enforces when the caller does not say (vLLM images run as root: baseline is what they meet).
DEFAULT_POD_SECURITY = PodSecurity(BASELINE, "vLLM model servers run as root (the image's user)")


class StackNamespaceArgs(TypedDict, total=False):
    """The arguments of :class:`StackNamespace` (give them as this object or as keyword arguments)."""

    hf_token: pulumi.Output[str] | None
    """The Hugging Face token, a Pulumi secret (``pulumi.Config().require_secret``), written only into the Secret
    ``llm-d-hf-token`` (key ``HF_TOKEN``). Default: None (no Secret; public models)."""
    labels: Mapping[str, str] | None
    """More namespace labels, over the Pod Security ones. Default: None."""
    pod_security: PodSecurity | None
    """The Pod Security Admission level and why. Default: None — :data:`DEFAULT_POD_SECURITY` (``baseline``: vLLM
    images run as root)."""
    admission: Sequence[pulumi.Resource]
    """What must exist before anything is created in the namespace: releases whose fail-closed admission webhooks
    intercept objects there (Kueue, LeaderWorkerSet) and CRDs of custom resources created in it; the Namespace object
    depends on them. Default: none."""


class StackNamespace(pulumi.ComponentResource):
    """A namespace with a Pod Security Admission level and, when given, the HF token Secret.

    Type token ``llmd:platform:Namespace``; the namespace is named ``name``. Arguments: :class:`StackNamespaceArgs`.
    ``pod_security`` sets the labels ``pod-security.kubernetes.io/enforce`` (its level) and ``warn`` / ``audit`` (one
    level stricter, so what keeps the namespace from the stricter level stays visible) and the annotation
    ``llm-d.ai/pod-security-reason`` (why; see :mod:`~pulumi_llmd.components.platform.pod_security`).
    Pass the namespace object (not its name) as ``namespace=`` to the serving components: they then depend on it.

    ``hf_token`` must be a Pulumi secret (``config.require_secret``): it is written only into the Secret
    ``llm-d-hf-token`` (key ``HF_TOKEN``, the name llm-d's guides use) and never into any other object, log or
    output. Outputs: ``name``, ``hf_token_secret`` (the Secret's name or None), ``pod_security``.

    Raises:
        ArgsError: (a ValueError) an unknown or mistyped argument, an ``hf_token`` that is a plain string (it would
            be stored unencrypted in the state), a name that is not a DNS label.
    """

    @overload
    def __init__(self, name: str, args: StackNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[StackNamespaceArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: StackNamespaceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        hf_token = (args or kwargs).get("hf_token")
        if hf_token is not None and not isinstance(hf_token, pulumi.Output):
            # Checked first, and the value never echoed: it is a credential.
            raise ArgsError(
                f"StackNamespace {name}",
                ["hf_token must be a Pulumi secret Output (pulumi.Config().require_secret), not a str"],
            )
        a = component_args(StackNamespaceArgs, "StackNamespace", args, kwargs)
        problem = namespace_problem(name)
        if problem:
            raise ArgsError("StackNamespace", [format_problem("name", name, problem)])
        labels = a.get("labels")
        pod_security = a.get("pod_security")
        admission = a.get("admission", ())
        super().__init__("llmd:platform:Namespace", name, None, opts)
        decision = pod_security or DEFAULT_POD_SECURITY
        ns_labels = {**namespace_labels(decision), **(labels or {})}
        self.pod_security = decision
        self.namespace = k8s_object(
            f"{name}-namespace",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": ns_labels,
                    "annotations": {REASON_ANNOTATION: decision.reason},
                },
            },
            pulumi.ResourceOptions(parent=self, depends_on=list(admission) or None),
        )
        self.name = name
        self.hf_token_secret: str | None = None
        if hf_token is not None:
            k8s_object(
                f"{name}-hf-token",
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": HF_TOKEN_SECRET, "namespace": name},
                    "type": "Opaque",
                    "stringData": {HF_TOKEN_KEY: pulumi.Output.secret(hf_token)},
                },
                pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
            )
            self.hf_token_secret = HF_TOKEN_SECRET
        self.register_outputs({"name": name, "hfTokenSecret": self.hf_token_secret, "podSecurity": decision.level})
