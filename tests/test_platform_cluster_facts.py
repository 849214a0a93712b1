"""The cluster components expose what LlmdPlatform needs (GkeCluster ``network`` / ``private_nodes`` /
``master_cidr``, GkeNetwork ``proxy_only_cidr``, EksCluster ``vpc``), so a program need not repeat them and the
pickers' API-server allow is the control plane's range, not every address; and LlmdInference takes ``secret_env``
as a stack model's ``secretEnv``, with the stack's secret rules in its arguments' words."""

from __future__ import annotations

import json
from typing import Any

from mock_program import run
from test_inference import PROXY_ONLY, gke, gpu_pool, render
from test_platform_parents import _eks

from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components.args import ArgsError
from pulumi_llmd.components.cluster import ExistingCluster
from pulumi_llmd.render.render import RenderResult


def _egress_cidrs(result: RenderResult, name: str) -> list[str]:
    (policy,) = [m for m in result.manifests if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == name]
    return [to["ipBlock"]["cidr"] for rule in policy["spec"]["egress"] for to in rule["to"] if "ipBlock" in to]


def test_gke_cluster_and_network_expose_what_the_platform_reads() -> None:
    built: dict[str, Any] = {}

    def program() -> None:
        cluster, after = gke()
        l4 = gpu_pool(cluster, "l4", "g2-standard-24", after)
        built["cluster"] = cluster
        platform = LlmdPlatform("llm-d", cluster=cluster, pools=[l4])  # no proxy_only_cidr: the network's
        LlmdInference("qwen3-8b", platform=platform, pool=l4, model="Qwen/Qwen3-8B", tensor_parallel_size=2)

    _, result = render(program)
    cluster = built["cluster"]
    assert cluster.network.proxy_only_cidr == PROXY_ONLY
    assert (cluster.private_nodes, cluster.master_cidr) == (True, "172.16.0.0/28")
    # The pickers reach the API server on the private control plane's range only.
    assert _egress_cidrs(result, "qwen3-8b-epp-egress") == ["172.16.0.0/28"]
    # The gateway's proxies (the proxy-only subnet) are allowed in to the model servers.
    assert PROXY_ONLY in json.dumps([m for m in result.manifests if m["kind"] == "NetworkPolicy"])
    assert result.policy is not None and result.policy.mandatory == []


def test_eks_cluster_exposes_its_vpc_for_the_api_server_allow() -> None:
    _, result = render(_eks)
    assert _egress_cidrs(result, "qwen3-8b-epp-egress") == ["10.0.0.0/16"]
    assert "0.0.0.0/0" not in _egress_cidrs(result, "qwen3-8b-epp-egress")


def _kind_model(**kwargs: Any) -> Any:
    def program() -> None:
        platform = LlmdPlatform("sim", cluster=ExistingCluster("kind", context="kind-llm-d"))
        LlmdInference("random", platform=platform, model="random", **kwargs)

    return program


def test_secret_env_reads_env_vars_from_secrets() -> None:
    ref = {"secret_name": "vllm-api", "key": "key"}
    _, result = render(_kind_model(secret_env={"VLLM_API_KEY": ref}))
    (decode,) = [m for m in result.manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "random-decode"]
    env = decode["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "vllm-api", "key": "key"}}} in env


def test_secret_rules_name_the_arguments() -> None:
    result = run(_kind_model(extra_env={"HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz123456"}))
    assert isinstance(result.error, ArgsError)
    message = str(result.error)
    assert "LlmdInference: extra_env: HF_TOKEN holds a secret in plain text" in message
    assert "move it to secret_env.HF_TOKEN with secret_name and key" in message
    assert "LlmdPlatform(hf_token=...)" in message
    assert "secretEnv" not in message and "llmd:hfToken" not in message
    result = run(_kind_model(extra_args=["--api-key", "abc"]))
    assert isinstance(result.error, ArgsError)
    assert "set secret_env.VLLM_API_KEY {'secret_name', 'key'}" in str(result.error)
    result = run(_kind_model(secret_env={"X": {"secret_name": "ok", "key": "k"}}, extra_env={"X": "1"}))
    assert isinstance(result.error, ArgsError)
    assert "X set in both extra_env and secret_env" in str(result.error)
