"""Escape hatch: a pod-template patch reaches every workload a component registers (Deployments and both templates
of a LeaderWorkerSet), merging containers by name."""

from __future__ import annotations

from typing import Any

import pulumi

from pulumi_llmd.components.kube import k8s_object, patch_pod_template, pod_template_transform
from pulumi_llmd.components.serving import EndpointPicker
from pulumi_llmd.render.engine import run_program

PATCH = {
    "metadata": {"annotations": {"team": "ml"}},
    "spec": {
        "priorityClassName": "inference",
        "containers": [{"name": "epp", "env": [{"name": "EXTRA", "value": "1"}]}, {"name": "proxy", "image": "p:v1"}],
    },
}


def test_a_picker_patched_through_its_options() -> None:
    def program() -> None:
        EndpointPicker(
            "m-epp",
            namespace="ns",
            pool_name="m",
            opts=pulumi.ResourceOptions(transforms=[pod_template_transform(PATCH)]),
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None, repr(run.error)
    (deployment,) = [r for r in run.resources if r.type == "kubernetes:apps/v1:Deployment"]
    template = deployment.inputs["spec"]["template"]
    assert template["metadata"]["annotations"]["team"] == "ml"
    assert template["spec"]["priorityClassName"] == "inference"
    epp, proxy = template["spec"]["containers"]
    assert epp["name"] == "epp" and epp["image"].startswith("ghcr.io/llm-d/")  # kept
    assert {"name": "EXTRA", "value": "1"} in epp["env"]
    assert proxy == {"name": "proxy", "image": "p:v1"}


def test_both_templates_of_a_leader_worker_set_are_patched() -> None:
    pod: dict[str, Any] = {"spec": {"containers": [{"name": "vllm", "image": "v:1"}]}}
    manifest = {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": "w", "namespace": "ns"},
        "spec": {"leaderWorkerTemplate": {"size": 2, "leaderTemplate": pod, "workerTemplate": pod}},
    }

    def program() -> None:
        patch = {"spec": {"containers": [{"name": "vllm", "securityContext": {"allowPrivilegeEscalation": False}}]}}
        k8s_object("w", manifest, pulumi.ResourceOptions(transforms=[pod_template_transform(patch)]))

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None, repr(run.error)
    (lws,) = run.resources
    for role in ("leaderTemplate", "workerTemplate"):
        (container,) = lws.inputs["spec"]["leaderWorkerTemplate"][role]["spec"]["containers"]
        assert container == {"name": "vllm", "image": "v:1", "securityContext": {"allowPrivilegeEscalation": False}}


def test_patch_semantics() -> None:
    template = {
        "spec": {"containers": [{"name": "a", "args": ["--x"]}], "tolerations": [{"key": "k"}], "hostIPC": False}
    }
    patched = patch_pod_template(template, {"spec": {"containers": [{"name": "a", "args": ["--y"]}], "hostIPC": None}})
    assert patched == {"spec": {"containers": [{"name": "a", "args": ["--y"]}], "tolerations": [{"key": "k"}]}}
    assert template["spec"]["hostIPC"] is False  # unchanged
