"""Tests of the strict schema validation of rendered objects (no network, no /work/shared)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from conftest import REPO, load_vendor_script

from pulumi_llmd.render.validation import (
    SchemaIssue,
    SchemaValidator,
    UnsupportedKubernetesVersion,
    known_custom_resources,
)

vendor = load_vendor_script()


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    return SchemaValidator()


def _paths(issues: list[SchemaIssue]) -> list[str]:
    return [issue.path for issue in issues]


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "decode", "namespace": "llm-d", "labels": {"app": "decode"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "decode"}},
            "template": {
                "metadata": {"labels": {"app": "decode"}},
                "spec": {
                    "containers": [
                        {
                            "name": "vllm",
                            "image": "ghcr.io/llm-d/llm-d:v0.3.0",
                            "args": ["--port", "8000"],
                            "ports": [{"containerPort": 8000, "name": "http"}],
                            "resources": {
                                "limits": {"nvidia.com/gpu": "1", "memory": "64Gi"},
                                "requests": {"cpu": 8, "memory": "64Gi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}},
                        }
                    ],
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                },
            },
        },
    }


def inference_pool() -> dict[str, Any]:
    return {
        "apiVersion": "inference.networking.k8s.io/v1",
        "kind": "InferencePool",
        "metadata": {"name": "qwen-pool", "namespace": "llm-d"},
        "spec": {
            "targetPorts": [{"number": 8000}],
            "selector": {"matchLabels": {"llm-d.ai/inferenceServing": "true"}},
            "endpointPickerRef": {"name": "qwen-epp", "port": {"number": 9002}, "failureMode": "FailOpen"},
        },
    }


def http_route() -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "qwen-route", "namespace": "llm-d"},
        "spec": {
            "parentRefs": [{"name": "llm-d-gateway"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "qwen-pool"}
                    ],
                    "timeouts": {"request": "300s"},
                }
            ],
        },
    }


def gateway() -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "llm-d-gateway", "namespace": "llm-d"},
        "spec": {
            "gatewayClassName": "gke-l7-regional-external-managed",
            "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
    }


def health_check_policy() -> dict[str, Any]:
    return {
        "apiVersion": "networking.gke.io/v1",
        "kind": "HealthCheckPolicy",
        "metadata": {"name": "qwen-pool", "namespace": "llm-d"},
        "spec": {
            "targetRef": {
                "group": "inference.networking.k8s.io",
                "kind": "InferencePool",
                "name": "qwen-pool",
            },
            "default": {
                "config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": 8000}},
                "timeoutSec": 2,
                "checkIntervalSec": 5,
                "logConfig": {"enabled": True},
            },
        },
    }


def backend_policy() -> dict[str, Any]:
    return {
        "apiVersion": "networking.gke.io/v1",
        "kind": "GCPBackendPolicy",
        "metadata": {"name": "qwen-pool", "namespace": "llm-d"},
        "spec": {
            "targetRef": {
                "group": "inference.networking.k8s.io",
                "kind": "InferencePool",
                "name": "qwen-pool",
            },
            "default": {"timeoutSec": 300, "logging": {"enabled": True}},
        },
    }


def service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "qwen-epp", "namespace": "llm-d"},
        "spec": {
            "selector": {"app": "qwen-epp"},
            "ports": [{"name": "grpc", "port": 9002, "targetPort": 9002, "appProtocol": "http2"}],
        },
    }


# --- built-in kinds ---------------------------------------------------------------------------


def test_valid_deployment_passes(validator: SchemaValidator) -> None:
    assert validator.validate(deployment()) == []


def test_unknown_field_fails_with_its_path(validator: SchemaValidator) -> None:
    obj = deployment()
    obj["spec"]["replica"] = 3
    issues = validator.validate(obj)
    assert _paths(issues) == ["spec.replica"]
    assert "unknown field" in issues[0].message
    line = str(issues[0])
    assert "apps/v1 Deployment llm-d/decode" in line and "spec.replica" in line


def test_nested_unknown_field_in_container(validator: SchemaValidator) -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    assert _paths(validator.validate(obj)) == ["spec.template.spec.containers[0].resource"]


def test_resource_limit_of_wrong_type_fails(validator: SchemaValidator) -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = {"count": 1}
    issues = validator.validate(obj)
    assert len(issues) == 1
    assert issues[0].path.startswith("spec.template.spec.containers[0].resources.limits")
    assert "nvidia.com/gpu" in issues[0].path


def test_wrong_scalar_type_fails(validator: SchemaValidator) -> None:
    obj = deployment()
    obj["spec"]["replicas"] = "two"
    issues = validator.validate(obj)
    assert _paths(issues) == ["spec.replicas"]
    assert "integer" in issues[0].message


def test_missing_required_field_fails(validator: SchemaValidator) -> None:
    obj = deployment()
    del obj["spec"]["selector"]
    assert _paths(validator.validate(obj)) == ["spec.selector"]


def test_service_and_other_builtins(validator: SchemaValidator) -> None:
    objs: list[dict[str, Any]] = [
        service(),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "llm-d"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "epp", "namespace": "llm-d"}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "epp-config", "namespace": "llm-d"},
            "data": {"config.yaml": "plugins: []\n"},
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "decode", "namespace": "llm-d"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "decode"}}},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "llm-d:epp-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "decode", "namespace": "llm-d"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "decode"},
                "minReplicas": 1,
                "maxReplicas": 4,
            },
        },
    ]
    for obj in objs:
        assert validator.validate(obj) == [], obj["kind"]


def test_service_name_must_be_dns1035_label(validator: SchemaValidator) -> None:
    obj = service()
    obj["metadata"]["name"] = "1-epp"
    assert _paths(validator.validate(obj)) == ["metadata.name"]


# --- custom resources -------------------------------------------------------------------------


def test_valid_inference_pool_passes(validator: SchemaValidator) -> None:
    assert validator.validate(inference_pool()) == []


def test_inference_pool_unknown_spec_field_fails(validator: SchemaValidator) -> None:
    obj = inference_pool()
    obj["spec"]["targetPortNumber"] = 8000
    issues = validator.validate(obj)
    assert _paths(issues) == ["spec.targetPortNumber"]


def test_inference_pool_bad_enum_fails(validator: SchemaValidator) -> None:
    obj = inference_pool()
    obj["spec"]["endpointPickerRef"]["failureMode"] = "Open"
    assert _paths(validator.validate(obj)) == ["spec.endpointPickerRef.failureMode"]


def test_custom_resource_metadata_checked_against_object_meta(validator: SchemaValidator) -> None:
    obj = inference_pool()
    obj["metadata"]["label"] = {"a": "b"}
    assert _paths(validator.validate(obj)) == ["metadata.label"]


def test_http_route_to_inference_pool_passes(validator: SchemaValidator) -> None:
    assert validator.validate(http_route()) == []


def test_gke_gateway_passes(validator: SchemaValidator) -> None:
    assert validator.validate(gateway()) == []


def test_gke_policies_targeting_inference_pool_pass(validator: SchemaValidator) -> None:
    assert validator.validate(health_check_policy()) == []
    assert validator.validate(backend_policy()) == []


def test_health_check_policy_unknown_field_fails(validator: SchemaValidator) -> None:
    obj = health_check_policy()
    obj["spec"]["default"]["config"]["httpHealthCheck"]["path"] = "/health"
    assert _paths(validator.validate(obj)) == ["spec.default.config.httpHealthCheck.path"]


def test_carried_schemas_include_the_rendered_crds() -> None:
    carried = set(known_custom_resources())
    for gvk in [
        ("inference.networking.k8s.io", "v1", "InferencePool"),
        ("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        ("gateway.networking.k8s.io", "v1", "Gateway"),
        ("networking.gke.io", "v1", "HealthCheckPolicy"),
        ("networking.gke.io", "v1", "GCPBackendPolicy"),
        ("leaderworkerset.x-k8s.io", "v1", "LeaderWorkerSet"),
        ("monitoring.coreos.com", "v1", "PodMonitor"),
    ]:
        assert gvk in carried, gvk


# --- unknown kinds and names ------------------------------------------------------------------


def test_unknown_kind_fails_with_no_schema(validator: SchemaValidator) -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    issues = validator.validate(obj)
    assert len(issues) == 1
    assert "no schema for example.com/v1 Widget" in issues[0].message


def test_builtin_subtype_is_not_a_kind(validator: SchemaValidator) -> None:
    obj = {"apiVersion": "v1", "kind": "Affinity", "metadata": {"name": "a"}}
    assert "no schema" in validator.validate(obj)[0].message


def test_same_short_group_other_domain_is_not_builtin(validator: SchemaValidator) -> None:
    # networking.gke.io/v1 must not resolve to the built-in networking.k8s.io/v1 NetworkPolicy.
    obj = {"apiVersion": "networking.gke.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"}}
    assert "no schema" in validator.validate(obj)[0].message


@pytest.mark.parametrize("name", ["Decode", "decode_1", "-decode", "a" * 254, ""])
def test_bad_metadata_name_fails(validator: SchemaValidator, name: str) -> None:
    obj = deployment()
    obj["metadata"]["name"] = name
    issues = validator.validate(obj)
    assert "metadata.name" in _paths(issues)


def test_missing_metadata_name_fails(validator: SchemaValidator) -> None:
    obj = inference_pool()
    del obj["metadata"]["name"]
    assert _paths(validator.validate(obj)) == ["metadata.name"]


def test_bad_namespace_fails(validator: SchemaValidator) -> None:
    obj = inference_pool()
    obj["metadata"]["namespace"] = "LLM.d"
    assert _paths(validator.validate(obj)) == ["metadata.namespace"]


def test_missing_api_version_and_kind(validator: SchemaValidator) -> None:
    issues = validator.validate({"metadata": {"name": "x"}})
    assert _paths(issues) == ["apiVersion", "kind"]


def test_unsupported_kubernetes_version() -> None:
    with pytest.raises(UnsupportedKubernetesVersion):
        SchemaValidator("9.99")
    with pytest.raises(UnsupportedKubernetesVersion):
        SchemaValidator("latest")


def test_validate_does_not_mutate_input(validator: SchemaValidator) -> None:
    obj = deployment()
    before = copy.deepcopy(obj)
    validator.validate(obj)
    assert obj == before


def test_fifty_mixed_objects_are_fast(validator: SchemaValidator) -> None:
    makers = [deployment, inference_pool, http_route, gateway, health_check_policy, backend_policy, service]
    objs = [makers[i % len(makers)]() for i in range(50)]
    assert validator.validate_all(objs) == []  # warm-up: loads and compiles every schema
    start = time.perf_counter()
    assert validator.validate_all(objs) == []
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"validating 50 objects took {elapsed:.3f}s"


# --- the CRD converter ------------------------------------------------------------------------

SMALL_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [
            {"name": "v1alpha1", "served": False, "storage": False, "schema": {"openAPIV3Schema": {}}},
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "description": "A widget.",
                        "type": "object",
                        "properties": {
                            "apiVersion": {"type": "string", "description": "API version."},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "description": "Spec.",
                                "x-kubernetes-validations": [
                                    {"rule": "self.size > 0", "message": "size"},
                                    {"rule": "has(self.port)", "message": "port"},
                                ],
                                "required": ["size"],
                                "properties": {
                                    "description": {
                                        "type": "string",
                                        "description": "A field named description.",
                                    },
                                    "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                                    "port": {
                                        "x-kubernetes-int-or-string": True,
                                        "anyOf": [{"type": "integer"}, {"type": "string"}],
                                    },
                                    "owner": {"type": "string", "nullable": True},
                                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "tags": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                        "x-kubernetes-list-type": "set",
                                    },
                                },
                            },
                        },
                    }
                },
            },
        ],
    },
}


def test_converter_output_and_rules() -> None:
    converted = vendor.convert_crd(SMALL_CRD)
    assert [(c.group, c.version, c.kind) for c in converted] == [("example.com", "v1", "Widget")]
    item = converted[0]
    assert item.filename == "example.com_v1_Widget.json"
    assert item.cel_rules == 2
    schema = item.schema
    text = json.dumps(schema)
    spec = schema["properties"]["spec"]
    assert "description" not in schema and "description" not in spec
    assert "x-kubernetes-validations" not in text
    # A property *named* description is kept; its own description is dropped.
    assert spec["properties"]["description"] == {"type": "string"}
    assert schema["properties"]["apiVersion"] == {"type": "string"}
    assert schema["additionalProperties"] is False
    assert spec["additionalProperties"] is False
    assert spec["properties"]["size"] == {"type": "integer", "exclusiveMinimum": 0}
    assert spec["properties"]["port"]["type"] == ["integer", "string"]
    assert spec["properties"]["owner"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["extra"]
    assert spec["properties"]["labels"]["additionalProperties"] == {"type": "string"}
    assert spec["properties"]["tags"]["uniqueItems"] is True


def test_converter_is_deterministic() -> None:
    first = [vendor.render_schema(c.schema) for c in vendor.convert_crd(copy.deepcopy(SMALL_CRD))]
    second = [vendor.render_schema(c.schema) for c in vendor.convert_crd(copy.deepcopy(SMALL_CRD))]
    assert first == second
    assert first[0].endswith("\n") and not first[0].endswith("\n\n")
    # Key order of the input does not matter.
    reordered = json.loads(json.dumps(SMALL_CRD), object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    third = [vendor.render_schema(c.schema) for c in vendor.convert_crd(reordered)]
    assert third == first


def test_converted_schema_validates_like_the_api_server() -> None:
    import jsonschema

    schema = vendor.convert_crd(SMALL_CRD)[0].schema
    check = jsonschema.Draft202012Validator(schema)
    good = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, "port": "http", "owner": None, "extra": {"anything": [1]}, "description": "d"},
    }
    assert list(check.iter_errors(good)) == []
    for bad_spec in (
        {"size": 0},
        {"size": 1, "port": 1.5},
        {"size": 1, "unknown": 1},
        {"size": 1, "tags": ["a", "a"]},
    ):
        bad = {**good, "spec": bad_spec}
        assert list(check.iter_errors(bad)), bad_spec


def test_sources_table_parsing() -> None:
    text = (
        "# Sources\n\n| file | repository | tag | commit | path |\n|---|---|---|---|---|\n"
        "| a.yaml | org/repo | v1 | abc | config/a.yaml |\n"
    )
    rows = vendor.parse_sources(text)
    assert rows["a.yaml"].repository == "org/repo" and rows["a.yaml"].path == "config/a.yaml"


def test_carried_files_are_rendered_canonically() -> None:
    folder = REPO / "src" / "pulumi_llmd" / "schemas" / "crds"
    files = sorted(folder.glob("*.json"))
    assert len(files) >= 30
    sources = (folder / "SOURCES.md").read_text(encoding="utf-8")
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert vendor.render_schema(json.loads(text)) == text, path.name
        assert "x-kubernetes-validations" not in text
        assert path.name in sources


def test_carried_schemas_and_manifests_are_derived_from_the_upstream_files_in_the_repository() -> None:
    """A fresh clone can re-derive every carried schema and manifest from ``scripts/upstream-crds/`` byte for byte."""
    files, count, _, manifests = vendor.plan(vendor.DEFAULT_SOURCES)
    assert vendor.DEFAULT_SOURCES == (REPO / "scripts" / "upstream-crds",)
    assert count == len([f for f in files if f.endswith(".json")]) >= 39
    for folder, planned in ((vendor.DEFAULT_OUT, files), (vendor.DEFAULT_MANIFEST_OUT, manifests)):
        stale, changed = vendor._out_of_date(folder, planned, "*")
        assert (stale, changed) == ([], []), folder
