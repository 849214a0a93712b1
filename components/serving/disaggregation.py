"""Prefill/decode disaggregation parts of a vLLM pod: the NixlConnector settings and the llm-d P/D sidecar.

Source: llm-d guides/pd-disaggregation (modelserver/gpu/vllm/{base,aws,gke}) and
guides/recipes/modelserver/base/single-host/pd (the ``routing-proxy`` sidecar patch), llm-d router v0.9.0.
Decode pods run vLLM on 8200 behind the sidecar on 8000 (the InferencePool's target); the sidecar asks a prefill
pod to compute the KV cache, which NIXL moves to the decode pod over RDMA (UCX on RoCE / InfiniBand, LIBFABRIC on
EFA) after a handshake on the side channel (5600).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_llmd.components import versions
from pulumi_llmd.components.serving.model_server import LABEL_GUIDE, LABEL_MODEL, LABEL_ROLE, VLLM_PORT

#: vLLM's port on decode pods, behind the sidecar (guide: ``--port=8200``, sidecar ``--vllm-port=8200``).
DECODE_VLLM_PORT = 8200
#: NIXL side-channel port vLLM opens on prefill and decode pods (recipes/modelserver/base/single-host/pd).
NIXL_SIDE_CHANNEL_PORT = 5600
#: Block size of the P/D guide (``--block-size=128``).
PD_BLOCK_SIZE = 128
#: NIXL backends; UCX is NIXL's default and needs no ``kv_connector_extra_config``.
NIXL_BACKENDS = ("UCX", "LIBFABRIC")
#: Keep-alive of prefill vLLM, above the sidecar's 90 s idle timeout (guide: ``VLLM_HTTP_TIMEOUT_KEEP_ALIVE=120``).
PREFILL_KEEP_ALIVE_SECONDS = "120"


def nixl_kv_transfer_config(backends: Sequence[str] = ("UCX",)) -> dict[str, Any]:
    """vLLM ``--kv-transfer-config`` for the NixlConnector in both roles (``kv_role: kv_both``).

    ``backends`` other than the default ``("UCX",)`` go to ``kv_connector_extra_config.backends`` (EFA:
    ``["LIBFABRIC"]``, the guide's AWS overlay). Raises ValueError for an empty or unknown backend.
    """
    if not backends:
        raise ValueError("backends: at least one NIXL backend is needed")
    unknown = [b for b in backends if b not in NIXL_BACKENDS]
    if unknown:
        raise ValueError(f"backends = {list(backends)}: unknown {unknown}; allowed: {', '.join(NIXL_BACKENDS)}")
    config: dict[str, Any] = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
    if tuple(backends) != ("UCX",):
        config["kv_connector_extra_config"] = {"backends": list(backends)}
    return config


#: vLLM KV roles of the DisaggregatedSet form (llm-d v0.10.0 pd-disaggregation and wide-ep disaggregatedset.yaml):
#: prefill only sends KV caches, decode only receives them.
KV_ROLES: Mapping[str, str] = {"prefill": "kv_producer", "decode": "kv_consumer"}


def nixl_role_kv_transfer_config(role: str, backends: Sequence[str] = ("UCX",)) -> dict[str, Any]:
    """vLLM ``--kv-transfer-config`` of one P/D role as llm-d's DisaggregatedSet guide writes it
    (guides/pd-disaggregation/modelserver/gpu/vllm/base/disaggregatedset.yaml): NixlConnector, ``kv_role``
    ``kv_producer`` (prefill) or ``kv_consumer`` (decode), ``kv_buffer_device: cuda`` and the NIXL ``backends``
    always spelled out (``["UCX"]`` by default, ``["LIBFABRIC"]`` on EFA).

    Raises:
        ValueError: an unknown role, or backends as :func:`nixl_kv_transfer_config` refuses them.
    """
    if role not in KV_ROLES:
        raise ValueError(f"role = {role!r}: allowed: {', '.join(KV_ROLES)}")
    nixl_kv_transfer_config(backends)  # the backend checks
    return {
        "kv_connector": "NixlConnector",
        "kv_role": KV_ROLES[role],
        "kv_buffer_device": "cuda",
        "kv_connector_extra_config": {"backends": list(backends)},
    }


def nixl_port() -> dict[str, Any]:
    """The ``nixl`` container port (5600/TCP), the NIXL side channel."""
    return {"name": "nixl", "containerPort": NIXL_SIDE_CHANNEL_PORT, "protocol": "TCP"}


#: Env of every P/D vLLM pod: NIXL advertises the pod IP on its side channel.
PD_FIELD_ENV: Mapping[str, str] = {"VLLM_NIXL_SIDE_CHANNEL_HOST": "status.podIP"}


def pd_sidecar_container(*, image: str | None = None) -> dict[str, Any]:
    """The llm-d P/D routing sidecar as a restartable init container of decode pods (Kubernetes native sidecar).

    Listens on 8000 (``sidecar`` port), forwards to vLLM on 8200 and drives the NIXL v2 protocol
    (``--kv-connector=nixlv2``); args as recipes/modelserver/base/single-host/pd/vllm/patch-sidecar.yaml. Runs as
    non-root without privilege escalation; requests 500m CPU / 512Mi, memory limit 1Gi (the guide leaves them empty).

    Args:
        image: The sidecar image. Default: None (the active llm-d release's ``pd_sidecar`` pin,
            :func:`~pulumi_llmd.components.versions.active_release`).
    """
    return {
        "name": "routing-proxy",
        "image": image if image is not None else versions.active_release().pd_sidecar.ref,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            f"--port={VLLM_PORT}",
            f"--vllm-port={DECODE_VLLM_PORT}",
            "--kv-connector=nixlv2",
            "--zap-log-level=1",
            "--secure-proxy=false",
        ],
        "ports": [{"name": "sidecar", "containerPort": VLLM_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "restartPolicy": "Always",
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }


def pd_affinity(*, guide: str, model: str, avoid_role: str) -> dict[str, Any]:
    """Pod affinity of a P/D role (the guide's AWS overlay): all of the model's pods in one zone (required), and
    preferably not on a node running the other role (``avoid_role``), so prefill and decode do not share NICs.
    """
    return {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": LABEL_MODEL, "operator": "In", "values": [model]},
                            {"key": LABEL_GUIDE, "operator": "In", "values": [guide]},
                        ]
                    },
                    "topologyKey": "topology.kubernetes.io/zone",
                }
            ]
        },
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {LABEL_ROLE: avoid_role}},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        },
    }
