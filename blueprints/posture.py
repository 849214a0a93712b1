"""The stack's security posture: every insecure choice a stack file makes explicitly, for the render to flag.

The library is secure by default (HTTPS and authentication on the gateway, private nodes, a restricted control plane,
Secrets encrypted with a customer key, default-deny networking). A stack may still opt out where it really needs to -
an open demo endpoint, a control plane reachable from anywhere - but only by saying so in its stack file, and every
such choice is listed by :func:`insecure_choices`: the render prints them in its summary and writes them into its
report, so a pull request that opens a stack up shows it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pulumi_llmd.blueprints.config import StackConfig
from pulumi_llmd.blueprints.targets import target_class


@dataclass(frozen=True, order=True)
class InsecureChoice:
    """One explicit insecure choice of a stack file.

    Attributes:
        key: the config key that makes it, e.g. ``llmd:gateway.authentication``.
        value: its value as written (never a secret), e.g. ``none``.
        why: what it exposes, in one sentence.
    """

    key: str
    value: str
    why: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value}: {self.why}"


def insecure_choices(config: StackConfig) -> list[InsecureChoice]:
    """The explicit insecure choices of ``config``, sorted by key (empty for a stack that keeps every default).

    Pure: reads the validated config only.
    """
    choices: list[InsecureChoice] = []
    target = target_class(config.target.cloud)
    # --- gateway (endpoint TLS and authentication) ---
    gateway = config.gateway
    public = config.gateway_public
    if gateway.authentication == "none":
        choices.append(
            InsecureChoice(
                key="llmd:gateway.authentication",
                value="none",
                why=(
                    "the OpenAI-compatible API is open to anyone who reaches the "
                    + ("internet-facing load balancer" if public else "internal load balancer")
                ),
            )
        )
    elif gateway.authentication is None:
        choices.append(
            InsecureChoice(
                key="llmd:gateway.authentication",
                value="(not set)",
                why="the internal gateway serves every client in the network without authentication",
            )
        )
    tls_source = config.gateway_tls_source
    if tls_source == "none":
        choices.append(
            InsecureChoice(
                key="llmd:gateway.tls.mode",
                value="none",
                why="requests, prompts and tokens cross the network in plain HTTP",
            )
        )
    elif tls_source == "cert-manager-self-signed" and target.creates_cluster:
        choices.append(
            InsecureChoice(
                key="llmd:gateway.tls.issuer",
                value="(not set: self-signed CA)",
                why="clients cannot verify the gateway's certificate against a public or corporate CA",
            )
        )
    # --- cluster (control plane, nodes, encryption) ---
    cluster = config.cluster
    cidrs = cluster.control_plane.authorized_cidrs or ()
    if target.creates_cluster and cidrs:
        # Judged by the addresses admitted, not the spelling: 0.0.0.0/1 + 128.0.0.0/1 is the whole internet too.
        union = list(ipaddress.collapse_addresses(ipaddress.IPv4Network(c) for c in cidrs))
        if union == [ipaddress.IPv4Network("0.0.0.0/0")]:
            choices.append(
                InsecureChoice(
                    key="llmd:cluster.controlPlane.authorizedCidrs",
                    value=", ".join(cidrs),
                    why="the cluster's Kubernetes API endpoint is reachable from the whole internet",
                )
            )
    if target.private_nodes_option and not cluster.private_nodes:
        choices.append(
            InsecureChoice(
                key="llmd:cluster.privateNodes",
                value="false",
                why="GKE nodes get external IP addresses and are reachable from the internet",
            )
        )
    # --- networking ---
    # --- autoscaling (workload-autoscaling: KEDA; see blueprints/paths/workload_autoscaling.py). KEDA reads
    # Prometheus over HTTPS everywhere (GKE: managed Prometheus with workload identity; elsewhere the library's
    # kube-prometheus-stack with cert-manager certificates, Target.keda_prometheus), so no choice to list there. ---
    for index, model in enumerate(config.models):
        key = f"llmd:models[{index}].autoscaling"
        if model.autoscaling is not None and model.autoscaling.min_replicas == 0:
            choices.append(
                InsecureChoice(
                    key=f"{key}.minReplicas",
                    value="0",
                    why="availability: the model scales to zero when idle; the next request waits for a cold start "
                    "(minutes) and the picker's in-memory queue loses held requests if it restarts",
                )
            )
    return sorted(set(choices))
