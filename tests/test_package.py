"""The ``llmd`` Pulumi package (issue 13, "Any Pulumi language"): the schema is generated offline, matches its golden
``provider/schema.json`` and validates against Pulumi's package metaschema (``provider/metaschema/pulumi.json``); the
provider serves that schema; the wire components (``pulumi_llmd.package``) build the library's components under the
mock engine, with the arguments the provider hands them (Python names, plain values, references resolved)."""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mock_program import assert_schema_valid, run

from pulumi_llmd import package
from pulumi_llmd.render.render import build_result

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "provider" / "schema.json"
METASCHEMA = REPO / "provider" / "metaschema" / "pulumi.json"
TOKENS = [
    "llmd:index:EksCluster",
    "llmd:index:ExistingCluster",
    "llmd:index:GkeCluster",
    "llmd:index:GpuNodeGroup",
    "llmd:index:GpuNodePool",
    "llmd:index:LlmdInference",
    "llmd:index:LlmdPlatform",
]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package.schema()


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_schema_matches_its_golden(schema: dict[str, Any]) -> None:
    assert GOLDEN.read_text() == json.dumps(schema, indent=2) + "\n", "run scripts/package_schema.py"


def test_the_schema_is_valid_against_pulumis_metaschema(schema: dict[str, Any]) -> None:
    # ECMA-262 named groups (?<name>...) -> Python's (?P<name>...) (provider/metaschema/SOURCES.md).
    meta = json.loads(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", METASCHEMA.read_text()))
    jsonschema.Draft202012Validator.check_schema(meta)
    errors = sorted(jsonschema.Draft202012Validator(meta).iter_errors(schema), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_metaschema_rejects_a_broken_schema(schema: dict[str, Any]) -> None:
    """The validation above can fail: a token with a digit-led module and a property of an unknown primitive."""
    meta = json.loads(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", METASCHEMA.read_text()))
    broken = json.loads(json.dumps(schema))
    broken["resources"]["llmd:index:GkeCluster"]["inputProperties"]["project"]["type"] = "text"
    broken["resources"]["llmd:1x:Bad"] = broken["resources"]["llmd:index:GkeCluster"]
    assert not jsonschema.Draft202012Validator(meta).is_valid(broken)


def test_the_package_exposes_the_public_components(schema: dict[str, Any]) -> None:
    assert schema["name"] == "llmd"
    assert sorted(schema["resources"]) == TOKENS
    assert all(r["isComponent"] for r in schema["resources"].values())
    inference = schema["resources"]["llmd:index:LlmdInference"]
    assert sorted(inference["requiredInputs"]) == ["model", "platform"]
    assert {"url", "servedName", "inferencePool", "routePath"} <= set(inference["properties"])
    assert {"tensorParallelSize", "replicas", "pool", "routePath", "resources"} <= set(inference["inputProperties"])


def test_references_between_components_are_local_and_resolve(schema: dict[str, Any]) -> None:
    refs = set(_refs(schema))
    assert refs, "no references"
    for ref in refs:
        assert ref.startswith("#/"), ref  # no self-dependency on /llmd/v.../schema.json
        kind, token = ref[2:].split("/", 1)
        assert token in schema[kind], ref
    assert "dependencies" not in schema
    platform = schema["resources"]["llmd:index:LlmdInference"]["inputProperties"]["platform"]
    assert platform["$ref"] == "#/resources/llmd:index:LlmdPlatform"


def test_the_provider_serves_the_golden_schema() -> None:
    host = runpy.run_path(str(REPO / "provider" / "__main__.py"), run_name="provider")
    served = json.loads(host["LlmdProvider"]().schema)
    assert served == json.loads(GOLDEN.read_text())


def test_the_plugin_folder_is_a_python_component_provider() -> None:
    plugin = (REPO / "provider" / "PulumiPlugin.yaml").read_text()
    assert re.search(r"^runtime: python$", plugin, re.M)
    requirements = (REPO / "provider" / "requirements.txt").read_text().splitlines()
    assert "-e .." in requirements


EXISTING_POOL = {
    "name": "l4",
    "node_selector": {"nvidia.com/gpu.product": "NVIDIA-L4"},
    "devices_per_node": 2,
    "vcpus": 24,
    "memory_gib": 96,
    "max_nodes": 4,
    "accelerator": "nvidia-l4",
}


def test_wire_components_build_the_library_on_an_existing_cluster() -> None:
    def program() -> None:
        cluster = package.ExistingCluster("lab", {"context": "kind-llm-d", "pools": [EXISTING_POOL]})
        platform = package.LlmdPlatform("llm-d", {"existing_cluster": cluster})
        package.LlmdInference(
            "qwen3-8b", {"platform": platform, "model": "Qwen/Qwen3-8B", "pool": "l4", "tensor_parallel_size": 2}
        )

    result = run(program)
    assert result.error is None, result.error
    by_type = {r.type: r for r in result.resources}
    for wire, library in [
        ("llmd:index:ExistingCluster", "llmd:cluster:ExistingCluster"),
        ("llmd:index:LlmdPlatform", "llmd:blueprints:LlmdPlatform"),
        ("llmd:index:LlmdInference", "llmd:blueprints:LlmdInference"),
    ]:
        assert by_type[library].parent == by_type[wire].urn, (wire, library)
    server = next(
        r
        for r in result.resources
        if r.type == "kubernetes:apps/v1:Deployment" and r.name == "qwen3-8b-decode-deployment"
    )
    container = server.inputs["spec"]["template"]["spec"]["containers"][0]
    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) == 2  # TP 2: both L4s of a node
    assert_schema_valid(result)


def test_wire_components_build_gke_and_eks_stacks() -> None:
    def gke() -> None:
        cluster = package.GkeCluster(
            "inference", {"project": "my-project", "region": "us-central1", "authorized_cidrs": ["203.0.113.7/32"]}
        )
        l4 = package.GpuNodePool(
            "l4", {"cluster": cluster, "machine_type": "g2-standard-24", "zone": "us-central1-a", "max_nodes": 4}
        )
        platform = package.LlmdPlatform("llm-d", {"gke_cluster": cluster, "gpu_node_pools": [l4]})
        package.LlmdInference(
            "qwen3-8b",
            {
                "platform": platform,
                "model": "Qwen/Qwen3-8B",
                "pool": "l4",
                "tensor_parallel_size": 2,
                "resources": {"cpu_request": "8", "cpu_limit": "10", "memory_request": "32Gi", "memory_limit": "40Gi"},
            },
        )

    def eks() -> None:
        cluster = package.EksCluster(
            "inference", {"region": "us-east-1", "availability_zones": ["us-east-1a", "us-east-1b"]}
        )
        group = package.GpuNodeGroup(
            "l40s",
            {"cluster": cluster, "instance_type": "g6e.12xlarge", "max_size": 2, "availability_zone": "us-east-1a"},
        )
        platform = package.LlmdPlatform("llm-d", {"eks_cluster": cluster, "gpu_node_groups": [group]})
        package.LlmdInference("qwen3-8b", {"platform": platform, "model": "Qwen/Qwen3-8B", "tensor_parallel_size": 4})

    for program, expected in [
        (gke, {"gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool", "llmd:gcp:GpuNodePool"}),
        (eks, {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "llmd:aws:GpuNodeGroup"}),
    ]:
        result = run(program)
        assert result.error is None, result.error
        types = {r.type for r in result.resources}
        assert expected | {"llmd:blueprints:LlmdPlatform", "llmd:blueprints:LlmdInference"} <= types, program
        memory = [
            r.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
            for r in result.resources
            if r.type == "kubernetes:apps/v1:Deployment" and r.name == "qwen3-8b-decode-deployment"
        ]
        assert memory and (program is eks or memory == ["40Gi"]), memory


def test_a_reference_the_provider_receives_resolves_to_the_live_component() -> None:
    found: dict[str, object] = {}

    def program() -> None:
        cluster = package.ExistingCluster("lab", {"pools": [EXISTING_POOL]})
        module = package._ResourceModule()
        found["same"] = module.construct("lab", "llmd:index:ExistingCluster", "urn:x") is cluster

    result = run(program)
    assert result.error is None, result.error
    assert found["same"] is True


def test_wire_components_refuse_bad_arguments_naming_the_key() -> None:
    def two_clusters() -> None:
        existing = package.ExistingCluster("lab", {"pools": [EXISTING_POOL]})
        package.LlmdPlatform("llm-d", {"existing_cluster": existing, "eks_cluster": existing})  # type: ignore[typeddict-item]

    def unknown_pool() -> None:
        existing = package.ExistingCluster("lab", {"pools": [EXISTING_POOL]})
        platform = package.LlmdPlatform("llm-d", {"existing_cluster": existing})
        package.LlmdInference("qwen3-8b", {"platform": platform, "model": "Qwen/Qwen3-8B", "pool": "h100"})

    def unknown_machine() -> None:
        cluster = package.GkeCluster("c", {"project": "p", "region": "us-central1"})
        package.GpuNodePool("l4", {"cluster": cluster, "machine_type": "g2-standard-999", "zone": "us-central1-a"})

    for program, fragment in [
        (two_clusters, "exactly one of gkeCluster, eksCluster, existingCluster"),
        (unknown_pool, "pool = 'h100': allowed: one of ['l4']"),
        (unknown_machine, "machineType = 'g2-standard-999'"),
    ]:
        result = run(program)
        assert isinstance(result.error, ValueError) and fragment in str(result.error), result.error


def test_credentials_are_secret_in_the_schema_and_on_the_wire(schema: dict[str, Any]) -> None:
    """Every generated SDK wraps the kubeconfigs and the Hugging Face token as secrets (schema ``secret: true``), and
    a token another language hands over as a plain value still reaches the stack only as a secret Kubernetes Secret
    whose value the render replaces with the secret marker."""
    resources = schema["resources"]
    assert resources["llmd:index:GkeCluster"]["properties"]["kubeconfig"]["secret"] is True
    assert resources["llmd:index:EksCluster"]["properties"]["kubeconfig"]["secret"] is True
    assert resources["llmd:index:ExistingCluster"]["inputProperties"]["kubeconfig"]["secret"] is True
    assert resources["llmd:index:LlmdPlatform"]["inputProperties"]["hfToken"]["secret"] is True
    token = "hf_" + "Zq9" * 12

    def program() -> None:
        cluster = package.ExistingCluster("lab", {"context": "kind-llm-d", "pools": [EXISTING_POOL]})
        package.LlmdPlatform("llm-d", {"existing_cluster": cluster, "hf_token": token})

    result = run(program)
    assert result.error is None, result.error  # a plain token is refused by the library; the wire wraps it
    render = build_result("package", result.resources)
    assert token not in json.dumps(render.resources) + json.dumps(render.manifests)
    (secret,) = [m for m in render.manifests if m["kind"] == "Secret" and m["metadata"]["name"] == "llm-d-hf-token"]
    assert token not in json.dumps(secret)
