"""The one namespace a stack deploys its llm-d objects into, and the Hugging Face token Secret in it."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from pulumi_llmd.components.base import HF_TOKEN_KEY, HF_TOKEN_SECRET
from pulumi_llmd.components.kube import k8s_object
from pulumi_llmd.components.platform.pod_security import (
    BASELINE,
    REASON_ANNOTATION,
    PodSecurity,
    namespace_labels,
)

#: What a namespace enforces when the caller does not say (vLLM images run as root: baseline is what they meet).
DEFAULT_POD_SECURITY = PodSecurity(BASELINE, "vLLM model servers run as root (the image's user)")


class StackNamespace(pulumi.ComponentResource):
    """A namespace with a Pod Security Admission level and, when given, the HF token Secret.

    Type token ``llmd:platform:Namespace``. ``pod_security`` (default :data:`DEFAULT_POD_SECURITY`, ``baseline``)
    sets the labels ``pod-security.kubernetes.io/enforce`` (its level) and ``warn`` / ``audit`` (one level stricter,
    so what keeps the namespace from the stricter level stays visible) and the annotation
    ``llm-d.ai/pod-security-reason`` (why; see :mod:`~pulumi_llmd.components.platform.pod_security`).
    ``admission`` lists what must exist before anything is created in the namespace: releases whose fail-closed
    admission webhooks intercept objects there (Kueue, LeaderWorkerSet) and CRDs of the custom resources created in
    it; the Namespace object depends on them, and so, through it, everything in the namespace.

    ``hf_token`` must be a Pulumi secret (``config.require_secret``): it is written only into the Secret
    ``llm-d-hf-token`` (key ``HF_TOKEN``, the name llm-d's guides use) and never into any other object, log or
    output. Outputs: ``name``, ``hf_token_secret`` (the Secret's name or None), ``pod_security``.

    Raises:
        ValueError: an ``hf_token`` that is a plain string (it would be stored unencrypted in the state).
    """

    def __init__(
        self,
        name: str,
        *,
        hf_token: pulumi.Output[str] | None = None,
        labels: dict[str, str] | None = None,
        pod_security: PodSecurity | None = None,
        admission: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if hf_token is not None and not isinstance(hf_token, pulumi.Output):
            raise ValueError("hf_token must be a Pulumi secret Output (pulumi.Config().require_secret), not a str")
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
