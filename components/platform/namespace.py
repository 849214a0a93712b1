"""The one namespace a stack deploys its llm-d objects into, and the Hugging Face token Secret in it."""

from __future__ import annotations

import pulumi

from pulumi_llmd.components.base import HF_TOKEN_KEY, HF_TOKEN_SECRET
from pulumi_llmd.components.kube import k8s_object


class StackNamespace(pulumi.ComponentResource):
    """A namespace with Pod Security Admission ``baseline`` enforced and, when given, the HF token Secret.

    Type token ``llmd:platform:Namespace``. ``hf_token`` must be a Pulumi secret (``config.require_secret``): it is
    written only into the Secret ``llm-d-hf-token`` (key ``HF_TOKEN``, the name llm-d's guides use) and never into
    any other object, log or output. Outputs: ``name``, ``hf_token_secret`` (the Secret's name or None).

    Raises:
        ValueError: an ``hf_token`` that is a plain string (it would be stored unencrypted in the state).
    """

    def __init__(
        self,
        name: str,
        *,
        hf_token: pulumi.Output[str] | None = None,
        labels: dict[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if hf_token is not None and not isinstance(hf_token, pulumi.Output):
            raise ValueError("hf_token must be a Pulumi secret Output (pulumi.Config().require_secret), not a str")
        super().__init__("llmd:platform:Namespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns_labels = {"pod-security.kubernetes.io/enforce": "baseline", **(labels or {})}
        self.namespace = k8s_object(
            f"{name}-namespace",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": ns_labels}},
            child,
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
        self.register_outputs({"name": name, "hfTokenSecret": self.hf_token_secret})
