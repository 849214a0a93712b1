"""The bench's typed same-inputs floor (scripts/bench.py) replays a program's resources faithfully: each type token
resolves to the class a user program would use, and a replay of a small recorded program registers the very same
resources (URNs, parents, inputs, providers, dependencies, property dependencies). The bench itself is not run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pulumi
import pulumi_kubernetes as k8s
import pytest

from pulumi_llmd.render.engine import RegisteredResource, run_program

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``scripts/bench.py`` loaded as the module ``llmd_bench``."""
    spec = importlib.util.spec_from_file_location("llmd_bench", REPO / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["llmd_bench"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _program() -> None:
    """A component holding an explicit provider, a Namespace, a ConfigMap whose metadata is an Output of the
    Namespace, a RoleBinding (``roleRef``) waiting on the ConfigMap, and a CRD instance waiting on the component."""
    box = pulumi.ComponentResource("llmd:test:Box", "box")
    child = pulumi.ResourceOptions(parent=box)
    provider = k8s.Provider("k8s", kubeconfig="{}", enable_server_side_apply=True, opts=child)
    on = pulumi.ResourceOptions(parent=box, provider=provider)
    namespace = k8s.core.v1.Namespace("ns", metadata={"name": "demo"}, opts=on)
    cm_meta: k8s.meta.v1.ObjectMetaArgsDict = {"name": "cm", "namespace": "demo"}
    metadata = namespace.id.apply(lambda _: cm_meta)
    config_map = k8s.core.v1.ConfigMap("cm", metadata=metadata, data={"a": "b"}, opts=on)
    role_ref: k8s.rbac.v1.RoleRefArgsDict = {"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}
    subject: k8s.rbac.v1.SubjectArgsDict = {"kind": "ServiceAccount", "name": "sa", "namespace": "demo"}
    k8s.rbac.v1.RoleBinding(
        "rb",
        metadata={"name": "rb", "namespace": "demo"},
        role_ref=role_ref,
        subjects=[subject],
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[config_map]),
    )
    k8s.apiextensions.CustomResource(
        "issuer",
        api_version="cert-manager.io/v1",
        kind="Issuer",
        metadata={"name": "issuer", "namespace": "demo"},
        spec={"selfSigned": {}},
        opts=pulumi.ResourceOptions(
            provider=provider, depends_on=[namespace], custom_timeouts=pulumi.CustomTimeouts(create="5m")
        ),
    )
    box.register_outputs({})


@pytest.fixture(scope="module")
def recorded() -> list[RegisteredResource]:
    run = run_program(_program, project="llmd", stack="typed-floor", config={})
    run.raise_error()
    return run.resources


def test_type_tokens_resolve_to_the_classes_a_program_uses(bench: ModuleType) -> None:
    assert bench.typed_class("kubernetes:apps/v1:Deployment", True) == ("typed", k8s.apps.v1.Deployment)
    assert bench.typed_class("kubernetes:core/v1:ConfigMap", True) == ("typed", k8s.core.v1.ConfigMap)
    assert bench.typed_class("pulumi:providers:kubernetes", True) == ("provider", k8s.Provider)
    assert bench.typed_class("kubernetes:cert-manager.io/v1:Certificate", True) == (
        "crd",
        k8s.apiextensions.CustomResource,
    )
    kind, cls = bench.typed_class("gcp:container/nodePool:NodePool", True)
    assert (kind, cls.__name__, cls.__module__.split(".")[:2]) == ("typed", "NodePool", ["pulumi_gcp", "container"])
    assert bench.typed_class("llmd:serving:ModelServer", False) == ("component", pulumi.ComponentResource)
    assert bench.typed_class("acme:index:Thing", True) == ("bare", pulumi.CustomResource)


def test_the_plan_orders_references_first_and_uses_python_argument_names(
    bench: ModuleType, recorded: list[RegisteredResource]
) -> None:
    # URN order lists a component's children before the component ("...Box$kubernetes..." < "...Box::box").
    assert [r.type for r in recorded].index("llmd:test:Box") > 0
    plan = bench.typed_replay_plan(recorded)
    assert len(plan) == len(recorded)
    for position, step in enumerate(plan):
        assert all(ref < position for ref in (step.parent, step.provider, *step.depends_on) if ref is not None)
    by_name = {step.name: step for step in plan}
    assert set(by_name["rb"].kwargs) == {"api_version", "kind", "metadata", "role_ref", "subjects"}
    assert by_name["k8s"].kwargs["enable_server_side_apply"] is True  # sent JSON-encoded ("true"), decoded again
    assert by_name["issuer"].kind == "crd" and by_name["issuer"].kwargs["api_version"] == "cert-manager.io/v1"
    # The ConfigMap's metadata came from the Namespace: an Output of it, not a depends_on edge.
    namespace = next(i for i, step in enumerate(plan) if step.name == "ns")
    assert by_name["cm"].output_inputs == (("metadata", (namespace,)),)
    assert namespace not in by_name["cm"].depends_on


def test_the_replay_registers_the_same_resources(bench: ModuleType, recorded: list[RegisteredResource]) -> None:
    plan = bench.typed_replay_plan(recorded)
    seconds, replayed = bench.typed_floor_once(plan, stack="typed-floor")
    assert seconds > 0
    assert bench.replay_fidelity(recorded, replayed) == (len(recorded), [])
