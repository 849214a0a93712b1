"""The predicted-latency-routing path as a user sees it: the picker pod carries the latency predictor sidecars as the
llm-d-router chart renders them, the picker runs the guide's plugins, and bad predictor settings are config errors.

Upstream: llm-d/llm-d ``guides/predicted-latency-routing`` (README "Send Requests": ``x-llm-d-slo-ttft-ms`` /
``x-llm-d-slo-tpot-ms``; ``router/predicted-latency{,-slo}.values.yaml``), llm-d/llm-d-router
``config/charts/routerlib`` (``_latency-predictor.tpl``, ``values.yaml``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import REPO

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.blueprints.paths.predicted_latency_routing import SLO_HEADERS
from pulumi_llmd.components import versions
from pulumi_llmd.components.serving.picker_configs import predicted_latency_picker_config
from pulumi_llmd.render.render import RenderResult

STACK = "gke-h100-predicted-latency"
Rendered = Callable[[str], RenderResult]


def _stack_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _picker_pod(result: RenderResult) -> dict[str, Any]:
    (deployment,) = [
        m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "qwen3-32b-epp"
    ]
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


def _picker_config(result: RenderResult) -> dict[str, Any]:
    (cm,) = [m for m in result.manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "qwen3-32b-epp"]
    document: dict[str, Any] = yaml.safe_load(cm["data"]["plugins.yaml"])
    return document


def _refused(config: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching and any(fragment in m for m in matching), caught.value


def test_reference_stack_renders_clean(rendered: Rendered) -> None:
    result = rendered(STACK)
    assert result.ok, result


def test_picker_pod_carries_the_predictor_sidecars(rendered: Rendered) -> None:
    pod = _picker_pod(rendered(STACK))
    containers = {c["name"]: c for c in pod["containers"]}
    assert list(containers) == ["epp", "training-server", "prediction-server-1"]
    training, prediction = containers["training-server"], containers["prediction-server-1"]
    assert training["image"] == "ghcr.io/llm-d/llm-d-latency-predictor-training-server:0.9.0"
    assert prediction["image"] == "ghcr.io/llm-d/llm-d-latency-predictor-prediction-server:0.9.0"
    assert training["image"] == versions.DEFAULT_RELEASE.latency_training_server.ref
    assert training["ports"][0]["containerPort"] == 8000 and prediction["ports"][0]["containerPort"] == 8001
    assert training["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8000}
    assert prediction["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8001}
    assert training["envFrom"] == [{"configMapRef": {"name": "qwen3-32b-epp-latency-predictor-training"}}]
    assert {"name": "TRAINING_SERVER_URL", "value": "http://localhost:8000"} in prediction["env"]
    assert training["volumeMounts"] == [{"name": "training-server-storage", "mountPath": "/models"}]
    assert prediction["volumeMounts"] == [{"name": "prediction-server-1-storage", "mountPath": "/server_models"}]
    for sidecar in (training, prediction):  # the images run as root unless told otherwise; the pod is runAsNonRoot
        assert sidecar["securityContext"]["runAsNonRoot"] is True and sidecar["securityContext"]["runAsUser"] != 0
    env = {e["name"]: e.get("value") for e in containers["epp"]["env"]}
    assert env["PREDICTION_SERVER_URL"] == "http://localhost:8001"
    assert env["TRAINING_SERVER_URL"] == "http://localhost:8000"
    assert env["LATENCY_MAX_SAMPLE_SIZE"] == "10000"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["training-server-storage"] == {"name": "training-server-storage", "emptyDir": {"sizeLimit": "20Gi"}}


def test_predictor_config_maps(rendered: Rendered) -> None:
    maps = {m["metadata"]["name"]: m["data"] for m in rendered(STACK).manifests if m["kind"] == "ConfigMap"}
    training = maps["qwen3-32b-epp-latency-predictor-training"]
    assert training["LATENCY_MODEL_TYPE"] == "xgboost" and training["LATENCY_TTFT_MODEL_PATH"] == "/models/ttft.joblib"
    prediction = maps["qwen3-32b-epp-latency-predictor-prediction"]
    assert prediction["LOCAL_TPOT_MODEL_PATH"] == "/server_models/tpot.joblib"


def test_slo_aware_picker_config_is_the_guides(rendered: Rendered) -> None:
    """guides/predicted-latency-routing/router/predicted-latency-slo.values.yaml, key by key."""
    config = _picker_config(rendered(STACK))
    assert config["apiVersion"] == "llm-d.ai/v1alpha1"
    plugins = {p.get("name", p["type"]): p for p in config["plugins"]}
    assert plugins["predicted-latency-producer"]["parameters"] == {"streamingMode": True}
    assert plugins["approx-prefix-cache-producer"]["parameters"] == {"maxPrefixTokensToMatch": 131072}  # maxModelLen
    assert plugins["strict-affinity-filter"]["parameters"] == {
        "affinityThreshold": 0.99,
        "ttftSource": "latencyPredictor",
        "maxTTFTPenaltyMs": 5000,
    }
    assert plugins["loose-affinity-filter"]["parameters"]["affinityThreshold"] == 0.8
    assert {"latency-scorer", "weighted-random-picker", "slo-headroom-tier-filter", "latency-slo-admitter"} <= set(
        plugins
    )
    (profile,) = config["schedulingProfiles"]
    assert [r["pluginRef"] for r in profile["plugins"]] == [
        "predicted-latency-producer",
        "strict-affinity-filter",
        "slo-headroom-tier-filter",
        "loose-affinity-filter",
        "latency-scorer",
        "weighted-random-picker",
    ]


def test_routing_only_config_is_the_guides_default() -> None:
    """guides/predicted-latency-routing/router/predicted-latency.values.yaml: no SLO plugins, producer defaults."""
    config = yaml.safe_load(predicted_latency_picker_config())
    plugins = {p.get("name", p["type"]): p for p in config["plugins"]}
    assert "parameters" not in plugins["predicted-latency-producer"]
    assert plugins["approx-prefix-cache-producer"]["parameters"] == {"maxPrefixTokensToMatch": 262144}
    assert "slo-headroom-tier-filter" not in plugins and "strict-affinity-filter" not in plugins
    assert [r["pluginRef"] for r in config["schedulingProfiles"][0]["plugins"]] == [
        "predicted-latency-producer",
        "loose-affinity-filter",
        "latency-scorer",
        "weighted-random-picker",
    ]


def test_model_servers_follow_the_guides_patch(rendered: Rendered) -> None:
    result = rendered(STACK)
    (decode,) = [
        m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "qwen3-32b-decode"
    ]
    args = decode["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--tensor-parallel-size=2" in args and "--max-model-len=131072" in args
    assert any(a.startswith("--hf-overrides=") and '"rope_type":"yarn"' in a for a in args)
    assert decode["spec"]["template"]["metadata"]["labels"]["llm-d.ai/guide"] == "predicted-latency-routing"


def test_slo_headers_are_the_guides() -> None:
    assert SLO_HEADERS == ("x-llm-d-slo-ttft-ms", "x-llm-d-slo-tpot-ms")


def test_more_prediction_servers() -> None:
    from pulumi_llmd.components.serving.latency_predictor import latency_predictor_pod

    pod = latency_predictor_pod(picker="m-epp", namespace="ns", labels={}, prediction_servers=3)
    assert [c["name"] for c in pod.containers] == [
        "training-server",
        "prediction-server-1",
        "prediction-server-2",
        "prediction-server-3",
    ]
    env = {e["name"]: e["value"] for e in pod.epp_env}
    assert env["PREDICTION_SERVER_URL"] == "http://localhost:8001,http://localhost:8002,http://localhost:8003"


def test_bad_predictor_settings_are_config_errors() -> None:
    config = copy.deepcopy(_stack_config())
    config["models"][0]["latencyPredictor"] = {"predictionServers": 11}
    _refused(config, "llmd:models[0].latencyPredictor.predictionServers", "from 1 to 10")
    config["models"][0]["latencyPredictor"] = {"sloAware": True, "streamingMode": False}
    _refused(config, "llmd:models[0].latencyPredictor.streamingMode", "streamed")


def test_predictor_key_only_on_its_path() -> None:
    config = copy.deepcopy(_stack_config())
    config["models"][0]["path"] = "optimized-baseline"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any("latencyPredictor" in i.key or "latency" in str(i) for i in caught.value.issues), caught.value
