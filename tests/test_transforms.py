"""Escape hatch: Pulumi's ``transforms`` resource option (and stack transforms) reach the offline render as they reach
a real deployment: a component's transforms apply to everything under it."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_llmd.components.serving import EndpointPicker
from pulumi_llmd.render.engine import run_program
from pulumi_llmd.render.render import build_result


def _label(kind: str) -> Any:
    """A transform adding ``team: platform`` to every Kubernetes object of ``kind``."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.type_.endswith(f":{kind}"):
            return None
        props = dict(args.props)
        metadata = dict(props.get("metadata") or {})
        metadata["labels"] = {**(metadata.get("labels") or {}), "team": "platform"}
        props["metadata"] = metadata
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform


def _labels(run: Any, type_: str) -> dict[str, Any]:
    return {r.name: (r.inputs.get("metadata") or {}).get("labels") for r in run.resources if r.type == type_}


def test_a_components_transforms_apply_to_its_children_and_nothing_else() -> None:
    def program() -> None:
        EndpointPicker(
            "m-epp", namespace="ns", pool_name="m", opts=pulumi.ResourceOptions(transforms=[_label("Deployment")])
        )
        k8s.apps.v1.Deployment(
            "outside",
            metadata={"name": "outside"},
            spec={"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}}},
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None, repr(run.error)
    labels = _labels(run, "kubernetes:apps/v1:Deployment")
    assert labels["m-epp-deployment"]["team"] == "platform"
    assert not (labels["outside"] or {}).get("team")
    manifests = build_result("s", run.resources, kar_version=None).manifests
    picker = next(m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "m-epp")
    assert picker["metadata"]["labels"]["team"] == "platform"


def test_stack_and_async_transforms_run_too() -> None:
    async def async_label(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        return _label("ConfigMap")(args)  # type: ignore[no-any-return]

    def program() -> None:
        pulumi.runtime.register_resource_transform(_label("Service"))
        k8s.core.v1.Service("svc", metadata={"name": "svc"}, spec={"ports": [{"port": 80}]})
        k8s.core.v1.ConfigMap(
            "cm", metadata={"name": "cm"}, data={"a": "b"}, opts=pulumi.ResourceOptions(transforms=[async_label])
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None, repr(run.error)
    assert _labels(run, "kubernetes:core/v1:Service")["svc"] == {"team": "platform"}
    assert _labels(run, "kubernetes:core/v1:ConfigMap")["cm"] == {"team": "platform"}
