"""vLLM on a multi-host Cloud TPU slice, one LeaderWorkerSet group per slice, the way llm-d's TPU guide serves it.

A multi-host TPU slice (e.g. v6e ``4x4`` = 16 chips on 4 ``ct6e-standard-4t`` hosts) runs one vLLM engine over every
chip of the slice: one pod per host, each requesting all of its host's chips (GKE requires it), grouped by a
LeaderWorkerSet of ``size`` = hosts per slice. Only the leader serves the OpenAI API; the workers join its Ray cluster
and carry a different ``llm-d.ai/guide`` label, so the InferencePool (which selects on the guide label) routes to
leaders only.

Source of truth: llm-d/llm-d ``guides/optimized-baseline/modelserver/tpu/v7/vllm-dynamic-slice/2x2x2/lws.yaml``
(llm-d v0.10.0 extracts), copied here:

* ``leaderWorkerTemplate.size`` = hosts of the slice, ``restartPolicy: RecreateGroupOnPodRestart``;
* every pod: env ``TPU_MULTIHOST_BACKEND=ray``, ``TPU_NODE_ID=$(LWS_WORKER_INDEX)``, ``TPU_PROCESS_PORT=8476``,
  ``POD_IP`` from ``status.podIP``; container port ``jax-coord`` 8476; ``TPU_PROCESS_ADDRESSES`` built from
  ``TPU_WORKER_HOSTNAMES`` (injected by the GKE TPU webhook for multi-host groups) on port 8476;
* leader: ``bash .../multi-node-serving.sh leader --ray_cluster_size=${LWS_GROUP_SIZE} --ray_init_timeout=1800`` then
  ``exec vllm serve <model> ... --tensor-parallel-size=<chips of the slice>``; probes on the leader only;
* workers: ``exec bash .../multi-node-serving.sh worker --ray_address=${LWS_LEADER_ADDRESS} --ray_init_timeout=1800``,
  guide label ``<guide>-worker``.

The guide's v7 overlay adds Kueue dynamic-slicing parts (``kueue.x-k8s.io/queue-name``, the
``cloud.google.com/gke-tpu-slice-topology`` annotation, ``skip-tpu-webhook-check``, a partition-state node selector);
on a node pool that *is* one static slice (``TpuNodePool`` with a multi-host ``topology``) the pods select the pool's
``gke-tpu-accelerator`` / ``gke-tpu-topology`` labels instead, and the webhook injects the TPU env. The guide itself
flags the Ray helper's path in the ``vllm/vllm-tpu`` image as to be verified (``TODO(#TBD)``): so does this module.

TPU7x (the guide's own hardware): a ``TpuNodePool`` with a multi-host ``2x2x2`` topology is one static slice built from
a GKE workload policy; its pods get the same env, ports, Ray launch and LeaderWorkerSet as above, with
``--tensor-parallel-size`` = 2 x the slice's chips (two TensorCores per chip, the guide's ``--tensor-parallel-size=16``
on 8 chips). The guide's Kueue dynamic-slicing parts (LocalQueue label, slice-topology annotation, webhook skip,
partition-state selector) stay out: they carve sub-slices out of a larger Kueue-managed slice, which this release
does not build.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Mapping
from typing import Any, Final

from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import AcceleratorPool

__all__ = [
    "JAX_COORDINATOR_PORT",
    "RAY_HELPER",
    "TPU_TOPOLOGY_LABEL",
    "tpu_slice_hosts",
    "tpu_slice_lws_manifest",
]

#: The node label of a TPU node's slice topology (GKE; ``components/gcp/tpu.py`` puts it in the pool's selector).
TPU_TOPOLOGY_LABEL: Final = "cloud.google.com/gke-tpu-topology"
#: JAX's coordination port between the hosts of a slice (lws.yaml: ``TPU_PROCESS_PORT`` 8476, port ``jax-coord``).
JAX_COORDINATOR_PORT: Final = 8476
#: vLLM's Ray multi-node helper the guide runs (``/workspace/vllm/examples/ray_serving/multi-node-serving.sh``).
RAY_HELPER: Final = "/workspace/vllm/examples/ray_serving/multi-node-serving.sh"
_ADDRESSES = (
    "export TPU_PROCESS_ADDRESSES=$(echo ${TPU_WORKER_HOSTNAMES} | sed 's/,/:"
    f"{JAX_COORDINATOR_PORT},/g'):{JAX_COORDINATOR_PORT}"
)


def tpu_slice_hosts(pool: AcceleratorPool) -> int:
    """Hosts (nodes) of one TPU slice of ``pool``: ``chips(topology) / chips per host`` for the topology in the pool's
    node selector (:data:`TPU_TOPOLOGY_LABEL`), 1 for a single-host or non-TPU pool (``catalog.tpu_hosts``)."""
    topology = pool.node_selector.get(TPU_TOPOLOGY_LABEL)
    if pool.shape.tpu is None or not topology:
        return 1
    try:
        return catalog.tpu_hosts(pool.shape, topology)
    except (catalog.CatalogError, ValueError):
        return 1


def _script(lines: list[str]) -> list[str]:
    return ["/bin/bash", "-c", "\n".join(["set -euo pipefail", _ADDRESSES, *lines]) + "\n"]


def tpu_slice_lws_manifest(
    *,
    name: str,
    namespace: str,
    replicas: int,
    hosts: int,
    pool: AcceleratorPool,
    pod: Mapping[str, Any],
    worker_labels: Mapping[str, str],
) -> dict[str, Any]:
    """The LeaderWorkerSet of ``replicas`` slices of ``hosts`` pods each (pure function).

    ``pod`` is a vLLM pod template (:func:`~pulumi_llmd.components.serving.model_server.vllm_pod_template`) whose
    container runs ``vllm serve`` with TP = the slice's vLLM devices (chips x TensorCores per chip: v6e ``4x4`` 16,
    TPU7x ``2x2x2`` 16); it becomes the leader (the ``vllm serve`` args moved into
    the guide's Ray launch script, the TPU env and the JAX port added, ``pool.resource_name`` set to the chips of one
    host) and, with ``worker_labels``, without probes and with only the JAX port, the workers.

    Raises:
        ValueError: ``hosts`` < 2 (a single-host slice is served by a Deployment) or a pod without a container.
    """
    if hosts < 2:
        raise ValueError(f"LeaderWorkerSet {name}: hosts = {hosts}: a multi-host slice has 2 or more hosts")
    containers = list(pod.get("spec", {}).get("containers") or [])
    if not containers:
        raise ValueError(f"LeaderWorkerSet {name}: the pod template has no container")
    leader = copy.deepcopy(dict(pod))
    server = leader["spec"]["containers"][0]
    args = [str(a) for a in server.get("args", [])]
    chips = pool.devices_per_node
    for part in ("requests", "limits"):
        server["resources"][part][pool.resource_name] = chips
    server["env"] = [
        *server.get("env", []),
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "TPU_MULTIHOST_BACKEND", "value": "ray"},
        {"name": "TPU_NODE_ID", "value": "$(LWS_WORKER_INDEX)"},
        {"name": "TPU_PROCESS_PORT", "value": str(JAX_COORDINATOR_PORT)},
    ]
    server["ports"] = [
        *server.get("ports", []),
        {"name": "jax-coord", "containerPort": JAX_COORDINATOR_PORT, "protocol": "TCP"},
    ]
    worker = copy.deepcopy(leader)
    server["command"] = _script(
        [
            f"bash {RAY_HELPER} leader --ray_cluster_size=${{LWS_GROUP_SIZE}} --ray_init_timeout=1800",
            "exec vllm serve " + " ".join(shlex.quote(a) for a in args),
        ]
    )
    server.pop("args", None)
    worker_server = worker["spec"]["containers"][0]
    worker_server["command"] = _script(
        [f"exec bash {RAY_HELPER} worker --ray_address=${{LWS_LEADER_ADDRESS}} --ray_init_timeout=1800"]
    )
    worker_server.pop("args", None)
    # Workers serve no API (no vLLM port, no probes): only the JAX coordination port.
    worker_server["ports"] = [p for p in worker_server["ports"] if p.get("name") == "jax-coord"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        worker_server.pop(probe, None)
    worker["metadata"]["labels"] = dict(worker_labels)
    leader_labels = dict(leader["metadata"].get("labels", {}))
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": name, "namespace": namespace, "labels": leader_labels},
        "spec": {
            "replicas": replicas,
            "leaderWorkerTemplate": {
                "size": hosts,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": leader,
                "workerTemplate": worker,
            },
        },
    }
