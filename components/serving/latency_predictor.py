"""llm-d's latency predictor: a training server and prediction servers, sidecars of the endpoint picker's pod.

Pure functions building what the llm-d-router chart renders with ``router.latencyPredictor.enabled: true`` (the
predicted-latency-routing guide's values files set it): llm-d/llm-d-router ``config/charts/routerlib/templates/
_latency-predictor.tpl`` @ d72f72d (containers, EPP env, emptyDir volumes) and ``config/charts/routerlib/values.yaml``
@ 17a368a5 (ports, probes, resources, ConfigMap data). The picker reaches them on ``localhost`` (same pod), so no
Service and no NetworkPolicy flow is added: the predictor is "EPP-side only" (llm-d/llm-d
``guides/predicted-latency-routing/README.md``). Images: the active llm-d release's ``latency_training_server`` /
``latency_prediction_server`` (:func:`~pulumi_llmd.components.versions.active_release`; latency-predictor 0.9.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_llmd.components import versions

#: The training server's port (chart ``trainingServer.port``).
TRAINING_SERVER_PORT = 8000
#: The first prediction server's port; server ``i`` (0-based) listens on ``8001 + i`` (chart
#: ``predictionServers.startPort``).
PREDICTION_SERVER_START_PORT = 8001
#: Prediction servers in the chart's default (``predictionServers.count: 1``).
DEFAULT_PREDICTION_SERVERS = 1
#: Most prediction servers this library runs (ports 8001-8010; GAIE's earlier chart ran 10 by default).
MAX_PREDICTION_SERVERS = 10
#: The predictor images declare no user and run as root unless ``runAsUser`` is set (chart values comment on
#: ``epp.podSecurityContext``); the picker pod runs ``runAsNonRoot``, so the sidecars run as this non-root user (the
#: picker image's own user, llm-d-router ``Dockerfile.epp``). Assumption: the servers only write under their
#: emptyDir mounts (``/models``, ``/server_models``), which any user may write.
PREDICTOR_USER = 65532
#: The training server's environment (chart ``trainingServer.config``), a ConfigMap read with ``envFrom``.
TRAINING_SERVER_CONFIG: Mapping[str, str] = {
    "LATENCY_RETRAINING_INTERVAL_SEC": "10",
    "LATENCY_MIN_SAMPLES_FOR_RETRAIN": "100",
    "LATENCY_TTFT_MODEL_PATH": "/models/ttft.joblib",
    "LATENCY_TPOT_MODEL_PATH": "/models/tpot.joblib",
    "LATENCY_TTFT_SCALER_PATH": "/models/ttft_scaler.joblib",
    "LATENCY_TPOT_SCALER_PATH": "/models/tpot_scaler.joblib",
    "LATENCY_MODEL_TYPE": "xgboost",
    "LATENCY_MAX_TRAINING_DATA_SIZE_PER_BUCKET": "500",
    "LATENCY_OBJECTIVE_TYPE": "mean",
}
#: The prediction servers' environment (chart ``predictionServers.config``).
PREDICTION_SERVER_CONFIG: Mapping[str, str] = {
    "LATENCY_MODEL_TYPE": "xgboost",
    "PREDICT_HOST": "0.0.0.0",
    "LOCAL_TTFT_MODEL_PATH": "/server_models/ttft.joblib",
    "LOCAL_TPOT_MODEL_PATH": "/server_models/tpot.joblib",
    "LOCAL_TTFT_SCALER_PATH": "/server_models/ttft_scaler.joblib",
    "LOCAL_TPOT_SCALER_PATH": "/server_models/tpot_scaler.joblib",
    "UVICORN_WORKERS": "28",
    "OMP_NUM_THREADS": "1",
    "MODEL_SYNC_INTERVAL_SEC": "30",
    "LATENCY_OBJECTIVE_TYPE": "mean",
}
#: The picker's own predictor settings (chart ``latencyPredictor.eppEnv``).
EPP_PREDICTOR_ENV: Mapping[str, str] = {
    "LATENCY_MAX_SAMPLE_SIZE": "10000",
    "LATENCY_MAX_CONCURRENT_DISPATCHES": "36",
    "LATENCY_COALESCE_WINDOW_MS": "1",
}
#: Container resources (chart ``trainingServer.resources`` / ``predictionServers.resources``).
TRAINING_SERVER_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "2000m", "memory": "4Gi"},
    "limits": {"cpu": "4000m", "memory": "8Gi"},
}
PREDICTION_SERVER_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "8000m", "memory": "4Gi"},
    "limits": {"cpu": "28000m", "memory": "8Gi"},
}
#: emptyDir size limits (chart ``trainingServer.volumeSize`` / ``predictionServers.volumeSize``).
TRAINING_VOLUME_SIZE = "20Gi"
PREDICTION_VOLUME_SIZE = "10Gi"


@dataclass(frozen=True)
class LatencyPredictorPod:
    """What the latency predictor adds to the endpoint picker's pod and namespace.

    Attributes:
        containers: The ``training-server`` and ``prediction-server-<n>`` sidecar containers.
        volumes: Their emptyDir volumes.
        epp_env: The picker container's ``PREDICTION_SERVER_URL`` / ``TRAINING_SERVER_URL`` and predictor settings.
        config_maps: The two ConfigMaps the sidecars read (``<picker>-latency-predictor-training|prediction``).
    """

    containers: tuple[dict[str, Any], ...]
    volumes: tuple[dict[str, Any], ...]
    epp_env: tuple[dict[str, Any], ...]
    config_maps: tuple[dict[str, Any], ...]


def _security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": PREDICTOR_USER,
        "runAsGroup": PREDICTOR_USER,
    }


def _resources(resources: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in resources.items()}


def latency_predictor_pod(
    *,
    picker: str,
    namespace: str,
    labels: Mapping[str, str],
    prediction_servers: int = DEFAULT_PREDICTION_SERVERS,
) -> LatencyPredictorPod:
    """The latency predictor of the endpoint picker ``picker`` (its Deployment name, e.g. ``qwen3-32b-epp``).

    As the llm-d-router chart renders it (see the module docstring): a ``training-server`` sidecar on 8000 (``/models``
    emptyDir, 20Gi) and ``prediction_servers`` ``prediction-server-<n>`` sidecars on 8001.. (``/server_models``
    emptyDir, 10Gi each), probes ``/healthz`` and ``/readyz``, each reading its ConfigMap with ``envFrom``; the picker
    gets ``PREDICTION_SERVER_URL`` (every prediction server, comma-separated), ``TRAINING_SERVER_URL`` and the chart's
    ``eppEnv``. Images pinned in :mod:`~pulumi_llmd.components.versions`; pull policy ``IfNotPresent`` (the
    chart's release setting).

    Args:
        picker: The picker's name (prefix of the ConfigMaps).
        namespace: Namespace of the ConfigMaps.
        labels: Labels of the ConfigMaps.
        prediction_servers: Prediction server sidecars, 1..:data:`MAX_PREDICTION_SERVERS`. Default: 1 (the chart's).

    Raises:
        ValueError: ``prediction_servers`` outside 1..10.
    """
    if not 1 <= prediction_servers <= MAX_PREDICTION_SERVERS:
        raise ValueError(f"prediction_servers = {prediction_servers}: allowed 1..{MAX_PREDICTION_SERVERS}")
    training_cm, prediction_cm = f"{picker}-latency-predictor-training", f"{picker}-latency-predictor-prediction"
    training_url = f"http://localhost:{TRAINING_SERVER_PORT}"
    pod_name = {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    containers: list[dict[str, Any]] = [
        {
            "name": "training-server",
            "image": versions.active_release().latency_training_server.ref,
            "imagePullPolicy": "IfNotPresent",
            "securityContext": _security_context(),
            "ports": [{"containerPort": TRAINING_SERVER_PORT, "name": "training-port", "protocol": "TCP"}],
            "livenessProbe": {
                "httpGet": {"path": "/healthz", "port": TRAINING_SERVER_PORT},
                "initialDelaySeconds": 30,
                "periodSeconds": 20,
            },
            "readinessProbe": {
                "httpGet": {"path": "/readyz", "port": TRAINING_SERVER_PORT},
                "initialDelaySeconds": 45,
                "periodSeconds": 10,
            },
            "resources": _resources(TRAINING_SERVER_RESOURCES),
            "envFrom": [{"configMapRef": {"name": training_cm}}],
            "env": [pod_name, {"name": "SERVER_TYPE", "value": "training"}],
            "volumeMounts": [{"name": "training-server-storage", "mountPath": "/models"}],
        }
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "training-server-storage", "emptyDir": {"sizeLimit": TRAINING_VOLUME_SIZE}}
    ]
    urls: list[str] = []
    for index in range(prediction_servers):
        n, port = index + 1, PREDICTION_SERVER_START_PORT + index
        urls.append(f"http://localhost:{port}")
        containers.append(
            {
                "name": f"prediction-server-{n}",
                "image": versions.active_release().latency_prediction_server.ref,
                "imagePullPolicy": "IfNotPresent",
                "securityContext": _security_context(),
                "ports": [{"containerPort": port, "name": f"predict-port-{n}", "protocol": "TCP"}],
                "livenessProbe": {
                    "httpGet": {"path": "/healthz", "port": port},
                    "initialDelaySeconds": 15,
                    "periodSeconds": 15,
                    "timeoutSeconds": 5,
                    "failureThreshold": 5,
                },
                "readinessProbe": {
                    "httpGet": {"path": "/readyz", "port": port},
                    "initialDelaySeconds": 10,
                    "periodSeconds": 10,
                    "timeoutSeconds": 5,
                    "failureThreshold": 30,
                },
                "resources": _resources(PREDICTION_SERVER_RESOURCES),
                "envFrom": [{"configMapRef": {"name": prediction_cm}}],
                "env": [
                    {"name": "PREDICT_PORT", "value": str(port)},
                    pod_name,
                    {"name": "SERVER_TYPE", "value": f"prediction-{n}"},
                    {"name": "TRAINING_SERVER_URL", "value": training_url},
                ],
                "volumeMounts": [{"name": f"prediction-server-{n}-storage", "mountPath": "/server_models"}],
            }
        )
        volumes.append({"name": f"prediction-server-{n}-storage", "emptyDir": {"sizeLimit": PREDICTION_VOLUME_SIZE}})
    epp_env = (
        {"name": "PREDICTION_SERVER_URL", "value": ",".join(urls)},
        {"name": "TRAINING_SERVER_URL", "value": training_url},
        *({"name": key, "value": value} for key, value in EPP_PREDICTOR_ENV.items()),
    )
    config_maps = tuple(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "data": dict(data),
        }
        for name, data in ((training_cm, TRAINING_SERVER_CONFIG), (prediction_cm, PREDICTION_SERVER_CONFIG))
    )
    return LatencyPredictorPod(
        containers=tuple(containers), volumes=tuple(volumes), epp_env=epp_env, config_maps=config_maps
    )
