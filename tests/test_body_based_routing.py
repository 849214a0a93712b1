"""Many models behind one gateway, as a user sees it: the body-based router (llm-d's Inference Payload Processor) and
its wiring per gateway class, one header-matched HTTPRoute per model, LoRA adapters on vLLM and routed to their base
model, the config errors, and the twin's view of who reaches which model."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, make_stack_file

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.components import versions
from pulumi_llmd.components.serving.body_router import (
    BASE_MODEL_HEADER,
    MAPPING_LABEL,
    body_router_manifests,
)
from pulumi_llmd.render.render import RenderResult, render_stack
from pulumi_llmd.twin import run_twin

STACK = "gke-l4-multi-model"
Rendered = Callable[[str], RenderResult]


def _stack_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return {k.removeprefix("llmd:"): v for k, v in data.items() if k.startswith("llmd:")}


def _objects(result: RenderResult, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == kind}


def _refused(config: dict[str, Any], key: str, *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    matching = [str(i) for i in caught.value.issues if i.key == key]
    assert matching, caught.value
    for fragment in fragments:
        assert any(fragment in m for m in matching), (fragment, matching)


def _vllm_args(result: RenderResult, deployment: str) -> list[str]:
    spec = _objects(result, "Deployment")[deployment]["spec"]["template"]["spec"]
    (container,) = [c for c in spec["containers"] if c["name"] == "vllm"] or spec["containers"][:1]
    return [str(a) for a in container.get("args", [])] + [str(c) for c in container.get("command", [])]


# --- the reference stack ----------------------------------------------------------------------------------------------


def test_reference_stack_renders_clean(rendered: Rendered) -> None:
    result = rendered(STACK)
    assert result.ok, result.schema_issues
    assert result.policy is not None and not result.policy.mandatory
    assert result.twin is not None and not result.twin.findings, result.twin


def test_router_is_the_pinned_payload_processor_restricted(rendered: Rendered) -> None:
    deployment = _objects(rendered(STACK), "Deployment")["payload-processor"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pin = versions.active_release().bbr
    assert pin is versions.PAYLOAD_PROCESSOR_PIN
    assert container["image"] == pin.ref == "ghcr.io/llm-d/llm-d-inference-payload-processor:v0.1.0"
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "--enable-pprof=false" in container["args"]
    assert {p["containerPort"] for p in container["ports"]} == {9004, 9005, 9090}
    config = yaml.safe_load(_objects(rendered(STACK), "ConfigMap")["payload-processor"]["data"]["ipp-config.yaml"])
    assert [p["type"] for p in config["plugins"]] == ["body-field-to-header", "base-model-to-header"]
    role = _objects(rendered(STACK), "Role")["payload-processor-configmap-reader"]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]


def test_pin_is_in_both_releases_and_pending_its_digest() -> None:
    assert versions.LLMD_V0_9_0.bbr is versions.LLMD_V0_10_0.bbr is versions.PAYLOAD_PROCESSOR_PIN
    assert versions.PAYLOAD_PROCESSOR_PIN.digest is None
    assert "PAYLOAD_PROCESSOR_PIN" in versions.DIGEST_PENDING
    assert "bbr" in versions.DEFAULT_RELEASE.pins()


def test_gke_wiring_is_a_routing_extension_with_a_grpc_health_check(rendered: Rendered) -> None:
    result = rendered(STACK)
    (extension,) = _objects(result, "GCPRoutingExtension").values()
    assert extension["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-d-inference-gateway"}
    ]
    (ext,) = extension["spec"]["extensionChains"][0]["extensions"]
    assert ext["backendRef"] == {"group": "", "kind": "Service", "name": "payload-processor", "port": 9004}
    assert ext["requestBodySendMode"] == "FullDuplexStreamed"
    assert ext["supportedEvents"] == ["RequestHeaders", "RequestBody", "RequestTrailers"]
    check = _objects(result, "HealthCheckPolicy")["payload-processor-healthcheck"]
    assert check["spec"]["default"]["config"]["grpcHealthCheck"]["port"] == 9005
    assert _objects(result, "Service")["payload-processor"]["spec"]["ports"][0]["appProtocol"] == "HTTP2"


def test_only_the_gateway_reaches_the_router(rendered: Rendered) -> None:
    policies = _objects(rendered(STACK), "NetworkPolicy")
    ingress = policies["payload-processor"]["spec"]
    assert ingress["podSelector"] == {"matchLabels": {"app": "payload-processor"}}
    (rule,) = ingress["ingress"]
    sources = {p["ipBlock"]["cidr"] for p in rule["from"]}
    assert "35.191.0.0/16" in sources and all("podSelector" not in p for p in rule["from"])
    assert {p["port"] for p in rule["ports"]} == {9004, 9005}
    assert policies["payload-processor-egress"]["spec"]["policyTypes"] == ["Egress"]


def test_one_header_route_and_mapping_per_model(rendered: Rendered) -> None:
    result = rendered(STACK)
    routes = _objects(result, "HTTPRoute")
    for name, base, pool in (
        ("qwen3-8b", "Qwen/Qwen3-8B", "qwen3-8b"),
        ("llama-3-1-8b", "meta-llama/Llama-3.1-8B-Instruct", "llama-3-1-8b"),
    ):
        (rule,) = routes[name]["spec"]["rules"]
        (match,) = rule["matches"]
        assert match["headers"] == [{"type": "Exact", "name": BASE_MODEL_HEADER, "value": base}]
        assert rule["backendRefs"][0]["name"] == pool and rule["backendRefs"][0]["kind"] == "InferencePool"
        mapping = _objects(result, "ConfigMap")[f"{name}-model-mapping"]
        assert mapping["metadata"]["labels"] == {MAPPING_LABEL: "true"}
        assert mapping["data"]["baseModel"] == base
    llama = _objects(result, "ConfigMap")["llama-3-1-8b-model-mapping"]
    assert yaml.safe_load(llama["data"]["adapters"]) == ["food-review-1"]
    assert "adapters" not in _objects(result, "ConfigMap")["qwen3-8b-model-mapping"]["data"]


def test_lora_flags_on_the_adapters_base_model_only(rendered: Rendered) -> None:
    result = rendered(STACK)
    llama = _vllm_args(result, "llama-3-1-8b-decode")
    at = llama.index("--lora-modules")
    assert "--enable-lora" in llama
    assert llama[at + 1] == "food-review-1=Kawon/llama3.1-food-finetune_v14_r8"
    assert llama[llama.index("--max-loras") + 1] == "1"
    assert llama[llama.index("--max-lora-rank") + 1] == "8"
    assert "--enable-lora" not in _vllm_args(result, "qwen3-8b-decode")


def test_default_routing_is_body_for_several_models_and_path_otherwise() -> None:
    config = _stack_config()
    del config["gateway"]["modelRouting"]
    assert parse_stack_config(config).model_routing == "body"
    config["models"] = config["models"][:1]
    assert parse_stack_config(config).model_routing == "path"
    prefixed = _stack_config()
    del prefixed["gateway"]["modelRouting"]
    for model in prefixed["models"]:
        model["routePathPrefix"] = f"/{model['name']}"
    assert parse_stack_config(prefixed).model_routing == "path"


# --- config errors ----------------------------------------------------------------------------------------------------


def test_model_routing_value_is_checked() -> None:
    config = _stack_config()
    config["gateway"]["modelRouting"] = "header"
    _refused(config, "llmd:gateway.modelRouting", "header")


def test_body_routing_refuses_agentgateway() -> None:
    config = _stack_config()
    config["target"] = {"cloud": "existing", "context": "kind-llm-d"}
    config["gateway"].update(className="agentgateway", authentication="none")
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    (issue,) = [i for i in caught.value.issues if i.key == "llmd:gateway.modelRouting"]
    assert "agentgateway" in str(issue) and "istio" in str(issue) and "modelRouting: path" in str(issue)


def test_body_routing_refuses_path_prefixes_and_shared_served_names() -> None:
    config = _stack_config()
    config["models"][0]["routePathPrefix"] = "/qwen"
    _refused(config, "llmd:models[0].routePathPrefix", "/qwen", "modelRouting: path")
    config = _stack_config()
    config["models"][1]["servedName"] = "Qwen/Qwen3-8B"
    _refused(config, "llmd:models[1].servedName", "Qwen/Qwen3-8B", "used once")


@pytest.mark.parametrize(
    ("adapter", "key", "fragment"),
    [
        ({"name": "Food_Review", "huggingFaceId": "org/a"}, "llmd:models[1].loraAdapters[0].name", "DNS label"),
        ({"name": "qwen3-8b", "huggingFaceId": "org/a"}, None, None),
        ({"name": "food-review-1", "huggingFaceId": "org/a", "rank": 12}, "llmd:models[1].loraAdapters[0].rank", "512"),
    ],
)
def test_adapter_rules(adapter: dict[str, Any], key: str | None, fragment: str | None) -> None:
    config = _stack_config()
    config["models"][1]["loraAdapters"] = [adapter]
    if key is None:  # a model's (pool) name is not what clients send: allowed
        parse_stack_config(config)
        return
    assert fragment is not None
    _refused(config, key, fragment)


def test_adapter_names_are_unique_across_the_gateway() -> None:
    config = _stack_config()
    config["models"][0]["loraAdapters"] = [{"name": "food-review-1", "huggingFaceId": "org/other"}]
    _refused(config, "llmd:models[1].loraAdapters[0].name", "food-review-1", "used once across the gateway")
    config = _stack_config()
    config["models"][1]["loraAdapters"] = [{"name": "Qwen/Qwen3-8B", "huggingFaceId": "org/a"}]
    _refused(config, "llmd:models[1].loraAdapters[0].name", "already names")


def test_adapters_and_their_flags_in_extra_args_conflict() -> None:
    config = _stack_config()
    config["models"][1]["extraArgs"] = ["--max-loras=4"]
    _refused(config, "llmd:models[1].extraArgs[0]", "loraAdapters")


def test_adapters_need_a_single_fleet_path() -> None:
    config = _stack_config()
    config["models"][1]["path"] = "pd-disaggregation"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert any(i.key == "llmd:models[1].loraAdapters" and "applies to path" in str(i) for i in caught.value.issues)


# --- Istio -----------------------------------------------------------------------------------------------------------


def _istio_config() -> dict[str, Any]:
    return {
        "target": {"cloud": "existing", "context": "kind-llm-d"},
        "cluster": {"name": "kind-llm-d"},
        "namespace": "llm-d-mm",
        "models": [
            {"name": "sim-a", "huggingFaceId": "random", "servedName": "model-a", "path": "simulated-accelerators"},
            {"name": "sim-b", "huggingFaceId": "random", "servedName": "model-b", "path": "simulated-accelerators"},
        ],
        "gateway": {"className": "istio", "authentication": "none"},
    }


def test_istio_wiring_is_an_envoy_filter_on_the_gateway(tmp_path: Path) -> None:
    result = render_stack(str(make_stack_file(tmp_path, _istio_config())), project_dir=REPO)
    assert result.ok, result.schema_issues
    assert result.twin is not None and not result.twin.findings, result.twin
    (envoy_filter,) = _objects(result, "EnvoyFilter").values()
    assert envoy_filter["spec"]["targetRefs"][0]["name"] == "llm-d-inference-gateway"
    (patch,) = envoy_filter["spec"]["configPatches"]
    assert patch["match"]["context"] == "GATEWAY" and patch["patch"]["operation"] == "INSERT_FIRST"
    typed = patch["patch"]["value"]["typed_config"]
    assert typed["processing_mode"]["request_body_mode"] == "FULL_DUPLEX_STREAMED"
    assert typed["grpc_service"]["envoy_grpc"]["cluster_name"] == (
        "outbound|9004||payload-processor.llm-d-mm.svc.cluster.local"
    )
    rule = _objects(result, "DestinationRule")["payload-processor"]["spec"]["trafficPolicy"]["tls"]
    assert rule == {"mode": "SIMPLE", "insecureSkipVerify": True}
    gateway_egress = _objects(result, "NetworkPolicy")["payload-processor-gateway-egress"]["spec"]
    assert gateway_egress["podSelector"]["matchLabels"] == {
        "gateway.networking.k8s.io/gateway-name": "llm-d-inference-gateway"
    }
    assert not _objects(result, "GCPRoutingExtension")


def test_manifests_refuse_an_unknown_provider() -> None:
    with pytest.raises(ValueError, match="agentgateway"):
        body_router_manifests(name="r", namespace="n", gateway="g", provider="agentgateway")


# --- the twin ---------------------------------------------------------------------------------------------------------


def _twin_lines(resources: list[dict[str, Any]]) -> list[str]:
    return [f.line() for f in run_twin(resources).findings]


def _edit(result: RenderResult, kind: str, name: str, edit: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    resources = copy.deepcopy(result.resources)
    for r in resources:
        inputs: Mapping[str, Any] = r.get("inputs") or {}
        if inputs.get("kind") == kind and (inputs.get("metadata") or {}).get("name") == name:
            edit(r["inputs"])
    return resources


def test_twin_reports_a_model_without_a_route(rendered: Rendered) -> None:
    result = rendered(STACK)
    resources = [
        r
        for r in result.resources
        if not ((r.get("inputs") or {}).get("kind") == "HTTPRoute" and r["inputs"]["metadata"]["name"] == "qwen3-8b")
    ]
    lines = _twin_lines(resources)
    assert any("routing/model-unreachable" in line and "qwen3-8b" in line for line in lines), lines


def test_twin_reports_an_adapter_the_router_cannot_map(rendered: Rendered) -> None:
    def drop_adapters(inputs: dict[str, Any]) -> None:
        inputs["data"].pop("adapters")

    lines = _twin_lines(_edit(rendered(STACK), "ConfigMap", "llama-3-1-8b-model-mapping", drop_adapters))
    assert any("model-unreachable" in line and "'food-review-1'" in line for line in lines), lines


def test_twin_reports_a_base_model_routed_to_another_value(rendered: Rendered) -> None:
    def wrong_value(inputs: dict[str, Any]) -> None:
        inputs["spec"]["rules"][0]["matches"][0]["headers"][0]["value"] = "Qwen/Qwen3-14B"

    lines = _twin_lines(_edit(rendered(STACK), "HTTPRoute", "qwen3-8b", wrong_value))
    assert any("model-unreachable" in line and "'Qwen/Qwen3-8B'" in line for line in lines), lines


def test_twin_reports_header_routes_without_a_router(rendered: Rendered) -> None:
    resources = [r for r in rendered(STACK).resources if (r.get("inputs") or {}).get("kind") != "GCPRoutingExtension"]
    lines = _twin_lines(resources)
    assert any("routing/body-router" in line for line in lines), lines


def test_twin_checks_the_routers_network_policies(rendered: Rendered) -> None:
    resources = [
        r
        for r in rendered(STACK).resources
        if not (
            (r.get("inputs") or {}).get("kind") == "NetworkPolicy"
            and r["inputs"]["metadata"]["name"] == "payload-processor"
        )
    ]
    lines = _twin_lines(resources)
    assert any("network-policy" in line and "body-based router (ext_proc)" in line for line in lines), lines
