"""InferenceSimulator: schema-valid simulator Deployments with the llm-d labels and probes, and no accelerators."""

from __future__ import annotations

from typing import Any

import pytest
from mock_program import assert_schema_valid, child_types, one, run

from pulumi_llmd.components import versions
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.serving import (
    SIMULATED_ACCELERATORS_GUIDE,
    SIMULATOR_RESOURCES,
    InferenceSimulator,
    PodResources,
    SimulatorSpec,
    model_server_labels,
    simulator_deployment,
)
from pulumi_llmd.components.serving.model_server import LABEL_GUIDE, LABEL_MODEL, LABEL_ROLE, PORT_NAME, VLLM_PORT
from pulumi_llmd.render.engine import ProgramRun

LABELS = model_server_labels(guide=SIMULATED_ACCELERATORS_GUIDE, role="decode", model="random")


def simulator(**overrides: Any) -> InferenceSimulator:
    args: dict[str, Any] = {"namespace": "llm-d-sim", "replicas": 3, "labels": LABELS}
    args.update(overrides)
    return InferenceSimulator("sim-decode", **args)


def container_of(run_: ProgramRun) -> dict[str, Any]:
    assert run_.error is None, repr(run_.error)
    (container,) = one(run_, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_registers_service_account_deployment_and_pdb_and_is_schema_valid() -> None:
    result = run(simulator)
    assert result.error is None, repr(result.error)
    component = one(result, "llmd:serving:InferenceSimulator")
    assert child_types(result, component) == [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:policy/v1:PodDisruptionBudget",
    ]
    assert_schema_valid(result)
    pdb = one(result, "kubernetes:policy/v1:PodDisruptionBudget").inputs
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": LABELS}}
    sa = one(result, "kubernetes:core/v1:ServiceAccount").inputs
    assert sa["automountServiceAccountToken"] is False


def test_requests_only_cpu_and_memory() -> None:
    container = container_of(run(simulator))
    resources = container["resources"]
    for kind in ("requests", "limits"):
        assert set(resources[kind]) == {"cpu", "memory"}, resources[kind]
        assert "nvidia.com/gpu" not in resources[kind]
    assert resources["requests"] == {"cpu": "100m", "memory": "128Mi"}
    assert resources["limits"] == {"cpu": "500m", "memory": "256Mi"}


def test_llm_d_labels_image_and_port() -> None:
    result = run(simulator)
    deployment = one(result, "kubernetes:apps/v1:Deployment").inputs
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert template_labels == {LABEL_GUIDE: "simulated-accelerators", LABEL_ROLE: "decode", LABEL_MODEL: "random"}
    assert deployment["spec"]["selector"]["matchLabels"] == template_labels
    assert deployment["spec"]["replicas"] == 3
    container = container_of(result)
    assert container["image"] == versions.DEFAULT_RELEASE.inference_sim.ref
    assert container["image"].startswith("ghcr.io/llm-d/llm-d-inference-sim:v0.10.2@sha256:")
    assert "command" not in container  # the image's entrypoint, /app/llm-d-inference-sim
    assert container["ports"] == [{"name": PORT_NAME, "containerPort": VLLM_PORT, "protocol": "TCP"}]


def test_guide_probes() -> None:
    container = container_of(run(simulator))
    assert container["startupProbe"] == {
        "httpGet": {"path": "/v1/models", "port": PORT_NAME},
        "initialDelaySeconds": 15,
        "periodSeconds": 30,
        "timeoutSeconds": 5,
        "failureThreshold": 60,
    }
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": PORT_NAME}
    assert container["readinessProbe"]["httpGet"] == {"path": "/v1/models", "port": PORT_NAME}


def test_args_name_the_model_and_port() -> None:
    args = container_of(run(simulator))["args"]
    assert args == ["--model=random", "--port=8000", "--served-model-name=random", "--max-num-seqs=5"]


def test_latency_kvcache_and_served_name_args() -> None:
    spec = SimulatorSpec(
        model="Qwen/Qwen3-32B",
        served_name="qwen3",
        mode="echo",
        max_num_seqs=16,
        max_model_len=4096,
        time_to_first_token_ms=200,
        inter_token_latency_ms=30,
        enable_kvcache=True,
        block_size=64,
        extra_args=("--seed=7",),
    )
    assert spec.args() == [
        "--model=Qwen/Qwen3-32B",
        "--port=8000",
        "--served-model-name=qwen3",
        "--max-num-seqs=16",
        "--mode=echo",
        "--max-model-len=4096",
        "--time-to-first-token=200ms",
        "--inter-token-latency=30ms",
        "--enable-kvcache=true",
        "--kv-cache-size=1024",
        "--block-size=64",
        "--seed=7",
    ]


def test_hardened_security_context() -> None:
    result = run(simulator)
    pod = one(result, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 65532
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/cache", "/tmp"} <= mounts
    env = {e["name"]: e for e in container["env"]}
    assert env["HOME"]["value"] == "/cache"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert "HF_TOKEN" not in env
    assert "nodeSelector" not in pod and "tolerations" not in pod


def test_pure_manifest_with_placement_and_token() -> None:
    manifest = simulator_deployment(
        name="sim",
        namespace="ns",
        replicas=1,
        spec=SimulatorSpec(),
        labels=LABELS,
        resources=SIMULATOR_RESOURCES,
        service_account="sim-modelserver",
        hf_token_secret="llm-d-hf-token",
        node_selector={"kubernetes.io/os": "linux"},
        tolerations=(Toleration("dedicated", "sim", "NoSchedule"),),
    )
    pod = manifest["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "sim", "effect": "NoSchedule"}]
    (container,) = pod["containers"]
    assert container["env"][0] == {
        "name": "HF_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}},
    }


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"replicas": 0}, ("replicas = 0", ">= 1")),
        ({"spec": SimulatorSpec(mode="fast")}, ("spec.mode = 'fast'", "random, echo")),
        ({"spec": SimulatorSpec(max_num_seqs=0)}, ("spec.max_num_seqs = 0",)),
        ({"spec": SimulatorSpec(time_to_first_token_ms=-1)}, ("spec.time_to_first_token_ms = -1",)),
        ({"spec": SimulatorSpec(block_size=12)}, ("spec.block_size = 12", "8, 16, 32, 64, 128")),
        ({"spec": SimulatorSpec(model="")}, ("spec.model = ''",)),
        ({"resources": PodResources(cpu_request="lots")}, ("resources.cpu_request", "not a Kubernetes quantity")),
        (
            {"resources": PodResources(cpu_request="1", cpu_limit="500m", memory_request="1Gi", memory_limit="2Gi")},
            ("resources.cpu_limit = '500m'", "must be >= cpu request"),
        ),
    ],
)
def test_refusals_register_nothing(overrides: dict[str, Any], fragments: tuple[str, ...]) -> None:
    result = run(lambda: simulator(**overrides))
    assert isinstance(result.error, ValueError), repr(result.error)
    assert result.resources == []
    message = str(result.error)
    assert message.startswith("InferenceSimulator sim-decode: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
