"""The inference gateway: a Gateway API ``Gateway`` for the platform's implementation, and the GKE load-balancer
policies an InferencePool needs behind the GKE Inference Gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from pulumi_llmd.components import versions
from pulumi_llmd.components.kube import child_options, k8s_object

#: GKE's managed Gateway classes that support InferencePool backends (regional Application Load Balancers).
GKE_INFERENCE_GATEWAY_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")


class InferenceGateway(pulumi.ComponentResource):
    """A Gateway (``gateway.networking.k8s.io/v1``) with one HTTP listener for the inference routes.

    Type token ``llmd:platform:InferenceGateway``. The class picks the implementation: GKE's
    ``gke-l7-regional-external-managed`` (external) or ``gke-l7-rilb`` (internal) today; Istio or agentgateway
    classes slot in for other clusters. Routes are accepted from the gateway's own namespace only.
    Outputs: ``name``, ``namespace``.

    Args:
        name: Gateway name (llm-d's guides use ``llm-d-inference-gateway``).
        namespace: its namespace.
        class_name: the GatewayClass.
        port: listener port (default 80).
        labels: Gateway labels (Istio needs ``istio.io/enable-inference-extproc: "true"``: ``gateway_labels_for``).

    Raises:
        ValueError: a port outside 1..65535 or an empty class name.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        class_name: str,
        port: int = 80,
        labels: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not 1 <= port <= 65535:
            raise ValueError(f"InferenceGateway {name}: port = {port}: allowed 1..65535")
        if not class_name:
            raise ValueError(f"InferenceGateway {name}: class_name is required")
        super().__init__("llmd:platform:InferenceGateway", name, None, opts)
        self.gateway = k8s_object(
            f"{name}-gateway",
            {
                "apiVersion": versions.GATEWAY_API_GROUP_VERSION,
                "kind": "Gateway",
                "metadata": {"name": name, "namespace": namespace, **({"labels": dict(labels)} if labels else {})},
                "spec": {
                    "gatewayClassName": class_name,
                    "listeners": [
                        {
                            "name": "http",
                            "port": port,
                            "protocol": "HTTP",
                            "allowedRoutes": {"namespaces": {"from": "Same"}},
                        }
                    ],
                },
            },
            child_options(self, opts),
        )
        self.name = name
        self.namespace = namespace
        self.register_outputs({"name": name, "namespace": namespace, "className": class_name})


def _pool_target(pool: str) -> dict[str, Any]:
    return {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool}


class GkeInferencePoolPolicies(pulumi.ComponentResource):
    """GKE load-balancer settings for one InferencePool: a HealthCheckPolicy and a GCPBackendPolicy.

    Type token ``llmd:platform:GkeInferencePoolPolicies``. The health check probes vLLM's ``/health`` on the
    model-server port every 2 s with a 2 s timeout (faster fail-over than GKE's 5 s default, as llm-d's router chart
    sets it); the backend policy sets the request timeout (default 300 s: long generations) and turns on
    load-balancer logging. Values follow llm-d-router's ``provider.name=gke`` rendering.

    Raises:
        ValueError: a timeout outside 1..86400 s or a port outside 1..65535.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        pool: str,
        port: int = 8000,
        timeout_sec: int = 300,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not 1 <= timeout_sec <= 86400:
            raise ValueError(f"GkeInferencePoolPolicies {name}: timeout_sec = {timeout_sec}: allowed 1..86400")
        if not 1 <= port <= 65535:
            raise ValueError(f"GkeInferencePoolPolicies {name}: port = {port}: allowed 1..65535")
        super().__init__("llmd:platform:GkeInferencePoolPolicies", name, None, opts)
        child = child_options(self, opts)
        meta = {"name": pool, "namespace": namespace}
        k8s_object(
            f"{name}-healthcheck",
            {
                "apiVersion": versions.GKE_NETWORKING_API_VERSION,
                "kind": "HealthCheckPolicy",
                "metadata": meta,
                "spec": {
                    "targetRef": _pool_target(pool),
                    "default": {
                        "timeoutSec": 2,
                        "checkIntervalSec": 2,
                        "config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": port}},
                    },
                },
            },
            child,
        )
        k8s_object(
            f"{name}-backend",
            {
                "apiVersion": versions.GKE_NETWORKING_API_VERSION,
                "kind": "GCPBackendPolicy",
                "metadata": dict(meta),
                "spec": {
                    "targetRef": _pool_target(pool),
                    "default": {"timeoutSec": timeout_sec, "logging": {"enabled": True}},
                },
            },
            child,
        )
        self.register_outputs({"pool": pool})
