"""Default-deny networking: every stack namespace denies by default and allows exactly the flows serving needs, and
the first-deploy twin fails (``network/network-policy``) when a render's policies would block one of them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_llmd.components.platform.network_policy import (
    NON_PUBLIC_RANGES,
    WHY_ANNOTATION,
    api_extension_network_policies,
    namespace_network_policies,
    serving_network_policies,
)
from pulumi_llmd.render.render import RenderResult
from pulumi_llmd.twin import run_twin
from pulumi_llmd.twin.model import Graph
from pulumi_llmd.twin.network import Endpoint, Flow, Policies, check_network

REPO = Path(__file__).resolve().parent.parent
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
GOLDENS = sorted(p.name for p in (REPO / "goldens").iterdir() if (p / "resources.json").is_file())
CHECK = "network/network-policy"

Entries = list[dict[str, Any]]


def by_name(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests}


def policies_of(result: RenderResult, namespace: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        m["metadata"]["name"]: m
        for m in result.manifests
        if m["kind"] == "NetworkPolicy" and (namespace is None or m["metadata"]["namespace"] == namespace)
    }


def stack_namespace(result: RenderResult) -> str:
    """The namespace the models are served from (the one the InferencePools live in)."""
    return next(m["metadata"]["namespace"] for m in result.manifests if m["kind"] == "InferencePool")


def without(entries: Entries, *names: str) -> Entries:
    """A copy of ``entries`` without the NetworkPolicies called ``names``."""
    out = [
        e
        for e in copy.deepcopy(entries)
        if not (e["inputs"].get("kind") == "NetworkPolicy" and e["inputs"]["metadata"]["name"] in names)
    ]
    assert len(out) == len(entries) - len(names), f"not every policy of {names} is in the render"
    return out


def network_messages(entries: Entries) -> list[str]:
    return [f.message for f in run_twin(entries).findings if f"{f.rule}/{f.check}" == CHECK]


# --- the components (pure functions) -----------------------------------------------------------------------------


def test_the_namespace_denies_everything_and_allows_dns() -> None:
    policies = by_name(namespace_network_policies("llm-d"))
    assert set(policies) == {"default-deny", "allow-dns"}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["spec"]
    assert dns["podSelector"] == {} and dns["policyTypes"] == ["Egress"]
    assert dns["egress"] == [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
    ]
    assert all(p["metadata"]["annotations"][WHY_ANNOTATION] for p in policies.values())


def test_an_istio_proxy_takes_its_listeners_and_reaches_istiod() -> None:
    proxy = by_name(
        namespace_network_policies("llm-d", gateway="gw", gateway_implementation="istio", listener_ports=[443, 80])
    )["gw-proxy"]["spec"]
    assert proxy["podSelector"] == {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "gw"}}
    assert [p["port"] for p in proxy["ingress"][0]["ports"]] == [80, 443, 15021]
    assert proxy["egress"] == [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                    "podSelector": {"matchLabels": {"app": "istiod"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 15012}],
        }
    ]


def test_an_agentgateway_proxy_reaches_its_controller() -> None:
    proxy = by_name(
        namespace_network_policies("llm-d", gateway="gw", gateway_implementation="agentgateway", listener_ports=[80])
    )["gw-proxy"]["spec"]
    assert [p["port"] for p in proxy["ingress"][0]["ports"]] == [80]
    assert proxy["egress"][0]["ports"] == [{"protocol": "TCP", "port": 9978}]
    assert proxy["egress"][0]["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "agentgateway-system"
    }


def test_namespace_policy_errors_name_the_value() -> None:
    with pytest.raises(ValueError, match="'envoy' is not one of istio, agentgateway"):
        namespace_network_policies("ns", gateway="gw", gateway_implementation="envoy", listener_ports=[80])
    with pytest.raises(ValueError, match="listener ports"):
        namespace_network_policies("ns", gateway="gw", gateway_implementation="istio")
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33' is not a CIDR")):
        namespace_network_policies("ns", dns_cidrs=["10.0.0.0/33"])


def _pd(**overrides: Any) -> dict[str, dict[str, Any]]:
    args: dict[str, Any] = {
        "name": "m",
        "namespace": "ns",
        "model_server_labels": {"llm-d.ai/model": "m"},
        "model_server_port": 8000,
        "extra_model_server_ports": [8200],
        "picker_labels": {"llm-d.ai/endpoint-picker": "m-epp"},
        "picker_ports": [9002, 9003],
        "picker_metrics_port": 9090,
        "gateway_pod_labels": {"gateway.networking.k8s.io/gateway-name": "gw"},
        "peer_ports": [8000, 5600],
        "api_server_cidrs": ["10.0.0.0/16"],
        "monitoring_namespaces": ["monitoring"],
    }
    return by_name(serving_network_policies(**{**args, **overrides}))


def test_each_model_gets_one_named_allow_per_purpose() -> None:
    policies = _pd()
    assert set(policies) == {"m-modelserver", "m-epp", "m-epp-egress", "m-modelserver-egress", "m-gateway-egress"}
    for policy in policies.values():
        assert policy["metadata"]["annotations"][WHY_ANNOTATION]
    picker = policies["m-epp-egress"]["spec"]
    assert picker["policyTypes"] == ["Egress"]
    assert picker["egress"][0] == {
        "to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert [p["port"] for p in picker["egress"][1]["ports"]] == [8000, 8200]
    gateway = policies["m-gateway-egress"]["spec"]
    assert gateway["podSelector"] == {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "gw"}}
    assert [p["port"] for p in gateway["egress"][0]["ports"]] == [9002, 9003]


def test_model_servers_reach_hugging_face_by_address_and_their_peers() -> None:
    egress = _pd()["m-modelserver-egress"]["spec"]["egress"]
    assert egress[0] == {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_RANGES)}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    # The node's metadata server and the cluster's private ranges stay out of reach.
    assert {"169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(NON_PUBLIC_RANGES)
    assert egress[1] == {
        "to": [{"podSelector": {"matchLabels": {"llm-d.ai/model": "m"}}}],
        "ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 5600}],
    }
    every_port = _pd(peer_ports="all")["m-modelserver-egress"]["spec"]["egress"][1]
    assert "ports" not in every_port


def test_offline_models_and_render_pods() -> None:
    offline = _pd(hugging_face=False, peer_ports=())
    assert "m-modelserver-egress" not in offline
    render = _pd(render_labels={"app": "render"}, render_port=8000)
    assert render["m-render-egress"]["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
    assert render["m-epp-egress"]["spec"]["egress"][-1] == {
        "to": [{"podSelector": {"matchLabels": {"app": "render"}}}],
        "ports": [{"protocol": "TCP", "port": 8000}],
    }
    with pytest.raises(ValueError, match="need a render port"):
        _pd(render_labels={"app": "render"})
    with pytest.raises(ValueError, match=re.escape("API server CIDR: 'nope' is not a CIDR")):
        _pd(api_server_cidrs=["nope"])


def test_an_aggregated_api_namespace_is_default_deny_too() -> None:
    policies = by_name(
        api_extension_network_policies(
            "custom-metrics",
            name="adapter",
            pod_labels={"k8s-app": "adapter"},
            port=443,
            api_server_cidrs=["0.0.0.0/0"],
        )
    )
    assert set(policies) == {"default-deny", "allow-dns", "adapter"}
    spec = policies["adapter"]["spec"]
    assert spec["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
    assert spec["ingress"][0]["from"][0]["podSelector"] == {"matchLabels": {"k8s-app": "konnectivity-agent"}}
    metadata = [rule["to"][0]["ipBlock"]["cidr"] for rule in spec["egress"][2:]]
    assert metadata == ["169.254.169.254/32", "169.254.169.252/32"]


# --- the reference stacks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespace_with_pods_denies_by_default(stack: str, rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(stack)
    pod_kinds = {"Deployment", "StatefulSet", "DaemonSet", "LeaderWorkerSet", "Job", "Pod"}
    with_pods = {m["metadata"].get("namespace") for m in result.manifests if m["kind"] in pod_kinds}
    created = {m["metadata"]["name"] for m in result.manifests if m["kind"] == "Namespace"}
    assert created & with_pods
    for namespace in created & with_pods:
        policies = policies_of(result, namespace)
        assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, namespace
        assert "allow-dns" in policies, namespace


@pytest.mark.parametrize("stack", STACKS)
def test_every_reference_stack_allows_what_serving_needs(stack: str, rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(stack)
    namespace = stack_namespace(result)
    names = set(policies_of(result, namespace))
    pools = [m["metadata"]["name"] for m in result.manifests if m["kind"] == "InferencePool"]
    for model in pools:
        assert {f"{model}-modelserver", f"{model}-epp", f"{model}-epp-egress"} <= names, model
    gke = any(r["type"] == "gcp:container/cluster:Cluster" for r in result.resources)
    gateway = next(m["metadata"]["name"] for m in result.manifests if m["kind"] == "Gateway")
    assert (f"{gateway}-proxy" in names) is not gke
    assert all(f"{model}-gateway-egress" in names for model in pools) is not gke
    assert not [f for f in run_twin(result.resources).findings if f.rule == "network"]


def test_wide_ep_and_pd_servers_reach_their_peers(rendered: Callable[[str], RenderResult]) -> None:
    wide = policies_of(rendered("gke-b200-wide-ep"))["deepseek-r1-modelserver-egress"]["spec"]["egress"]
    assert {
        "to": [{"podSelector": {"matchLabels": {"llm-d.ai/guide": "wide-ep", "llm-d.ai/model": "deepseek-r1"}}}]
    } in wide
    pd = policies_of(rendered("gke-h200-pd-disaggregation"))["gpt-oss-120b-modelserver-egress"]["spec"]["egress"]
    assert any(5600 in [p["port"] for p in rule.get("ports", [])] for rule in pd)


# --- the twin: goldens pass, a removed allow fails naming the flow -------------------------------------------------


@pytest.mark.parametrize("stack", GOLDENS)
def test_the_goldens_pass_the_network_rule(stack: str) -> None:
    entries = json.loads((REPO / "goldens" / stack / "resources.json").read_text())
    assert list(check_network(Graph.build(entries))) == []


@pytest.mark.parametrize(
    ("stack", "removed", "blocked"),
    [
        ("kind-simulated-accelerators", ["random-epp-egress"], "endpoint picker -> Kubernetes API server"),
        ("kind-simulated-accelerators", ["random-gateway-egress"], "gateway -> endpoint picker"),
        ("kind-simulated-accelerators", ["llm-d-inference-gateway-proxy"], "client -> gateway listener"),
        (
            "kind-simulated-accelerators",
            ["llm-d-inference-gateway-proxy"],
            "gateway proxy -> istio control plane (xDS)",
        ),
        ("kind-simulated-accelerators", ["random-modelserver"], "gateway -> model server"),
        ("kind-simulated-accelerators", ["allow-dns"], "pod -> DNS"),
        # (EKS servers read the FSx weights cache offline: no Hub download flow of theirs to block.)
        (
            "eks-p5en-pd-disaggregation",
            ["gpt-oss-120b-modelserver-egress"],
            "P/D decode -> prefill (NIXL side channel)",
        ),
        (
            "gke-b200-wide-ep",
            ["deepseek-r1-modelserver-egress"],
            "LeaderWorkerSet worker -> leader (data-parallel RPC)",
        ),
        ("gke-h100-precise-prefix-cache-routing", ["qwen3-32b-render"], "endpoint picker -> Service qwen3-32b-render"),
        ("gke-h100-optimized-baseline", ["qwen3-32b-epp"], "gateway -> endpoint picker"),
        ("gke-h100-optimized-baseline", ["custom-metrics-stackdriver-adapter"], "API server -> aggregated API"),
    ],
)
def test_removing_an_allow_fails_the_twin_naming_the_flow(
    stack: str, removed: list[str], blocked: str, rendered: Callable[[str], RenderResult]
) -> None:
    result = rendered(stack)
    assert not network_messages(result.resources)
    messages = network_messages(without(result.resources, *removed))
    assert any(f"blocks {blocked}" in m for m in messages), messages


def test_gke_health_checkers_must_reach_the_model_servers(rendered: Callable[[str], RenderResult]) -> None:
    entries = copy.deepcopy(rendered("gke-h100-optimized-baseline").resources)
    policy = next(
        e["inputs"] for e in entries if e["inputs"].get("metadata", {}).get("name") == "qwen3-32b-modelserver"
    )
    gateway_rule = policy["spec"]["ingress"][0]
    gateway_rule["from"] = [p for p in gateway_rule["from"] if p["ipBlock"]["cidr"] != "35.191.0.0/16"]
    messages = network_messages(entries)
    assert any("blocks GKE load-balancer health check -> model server" in m for m in messages), messages


def test_a_narrowed_api_server_range_blocks_the_picker(rendered: Callable[[str], RenderResult]) -> None:
    entries = copy.deepcopy(rendered("eks-p5en-pd-disaggregation").resources)
    policy = next(
        e["inputs"] for e in entries if e["inputs"].get("metadata", {}).get("name") == "gpt-oss-120b-epp-egress"
    )
    policy["spec"]["egress"][0]["to"] = [{"ipBlock": {"cidr": "192.168.0.0/24"}}]
    findings = [f for f in run_twin(entries).findings if f"{f.rule}/{f.check}" == CHECK]
    assert [f.resource for f in findings] == ["Deployment llm-d-pd-disaggregation/gpt-oss-120b-epp"]
    assert "egress of Deployment llm-d-pd-disaggregation/gpt-oss-120b-epp is isolated by NetworkPolicy" in (
        findings[0].message
    )


# --- Kubernetes semantics ----------------------------------------------------------------------------------------


def _graph(*policies: dict[str, Any]) -> Graph:
    entries = [
        {
            "urn": f"urn:np:{i}",
            "type": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "name": str(i),
            "custom": True,
            "inputs": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **p},
        }
        for i, p in enumerate(policies)
    ]
    entries.append(
        {
            "urn": "urn:ns:other",
            "type": "kubernetes:core/v1:Namespace",
            "name": "other",
            "custom": True,
            "inputs": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other", "labels": {"team": "a"}}},
        }
    )
    return Graph.build(entries)


SERVER = Endpoint("server", "ns", {"app": "server"}, named_ports={"http": 8000})
CLIENT = Endpoint("client", "ns", {"app": "client"})


def test_named_ports_resolve_against_the_destination() -> None:
    graph = _graph(
        {
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "server"}},
                "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "http"}]}],
            },
        }
    )
    policies = Policies(graph)
    assert policies.blocked(Flow("x", CLIENT, SERVER, 8000)) is None
    assert policies.blocked(Flow("x", CLIENT, SERVER, 8001)) is not None
    assert policies.blocked(Flow("x", CLIENT, SERVER, 8000, "UDP")) is not None


def test_pod_selectors_stay_in_the_policy_namespace_unless_a_namespace_selector_widens_them() -> None:
    ingress = {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
    }
    foreign = Endpoint("foreign", "other", {"app": "client"})
    assert Policies(_graph(ingress)).blocked(Flow("x", foreign, SERVER, 8000)) is not None
    widened = copy.deepcopy(ingress)
    widened["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {"matchLabels": {"team": "a"}}
    assert Policies(_graph(widened)).blocked(Flow("x", foreign, SERVER, 8000)) is None


def test_ip_blocks_honour_except_and_never_match_pods() -> None:
    egress = {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}],
        },
    }
    policies = Policies(_graph(egress))
    assert policies.blocked(Flow("x", CLIENT, Endpoint("hub", address="18.160.0.10"), 443)) is None
    assert policies.blocked(Flow("x", CLIENT, Endpoint("private", address="10.1.2.3"), 443)) is not None
    assert policies.blocked(Flow("x", CLIENT, SERVER, 8000)) is not None


def test_both_ends_must_allow_a_pod_to_pod_flow() -> None:
    deny_egress = {
        "metadata": {"name": "deny", "namespace": "ns"},
        "spec": {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"]},
    }
    verdict = Policies(_graph(deny_egress)).blocked(Flow("x", CLIENT, SERVER, 8000))
    assert verdict is not None and verdict[0] == "Egress" and verdict[1] is CLIENT
