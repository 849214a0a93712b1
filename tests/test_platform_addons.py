"""Platform add-ons for clusters other than GKE, under the mock engine: the carried Gateway API / InferencePool CRDs,
the gateway implementations (Istio, agentgateway), the device plugins and the DCGM exporter; and the carried CRD
manifests the vendoring script writes. No network, no /work/shared."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from conftest import REPO, load_vendor_script
from mock_program import assert_schema_valid, of_type, one, refused
from mock_program import run as run_bare

from pulumi_llmd.components import versions
from pulumi_llmd.components.base import Toleration
from pulumi_llmd.components.platform import (
    CRD_BUNDLES,
    GATEWAY_IMPLEMENTATIONS,
    AgentGateway,
    DcgmExporter,
    EfaDevicePlugin,
    GatewayApiCrds,
    IstioGateway,
    NvidiaDevicePlugin,
    crd_manifests,
    gateway_class_for,
    gateway_implementation,
    gateway_labels_for,
)
from pulumi_llmd.render.engine import ProgramRun, RegisteredResource
from pulumi_llmd.render.render import build_result, normalize

MANIFESTS = REPO / "src" / "pulumi_llmd" / "schemas" / "crd-manifests"
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
GATEWAY_API_CRDS = {
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "backendtlspolicies.gateway.networking.k8s.io",
}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

vendor = load_vendor_script()


def run(program: Callable[[k8s.Provider], Any]) -> ProgramRun:
    """Run ``program`` under the mock engine, handing it a Kubernetes provider for an (empty) cluster (``run_bare``:
    with nothing else registered, for the bad-input cases: nothing may be registered)."""
    return run_bare(lambda: program(k8s.Provider("k", kubeconfig="{}")))


def on(provider: k8s.Provider, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=provider, depends_on=list(depends_on))


def release(run_: ProgramRun, name: str) -> RegisteredResource:
    return one(run_, RELEASE_TYPE, name)


def description_paths(node: Any, path: str = "$") -> Iterator[str]:
    """Paths of ``description`` keys that are documentation (not property names, not data such as defaults or
    object metadata)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description":
                yield path
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    yield from description_paths(sub, f"{path}.{key}.{name}")
            elif key not in ("default", "enum", "example", "metadata"):
                yield from description_paths(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from description_paths(item, f"{path}[{index}]")


def count_key(node: Any, key: str) -> int:
    if isinstance(node, dict):
        return (key in node) + sum(count_key(v, key) for v in node.values())
    if isinstance(node, list):
        return sum(count_key(v, key) for v in node)
    return 0


# --- GatewayApiCrds ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crds_run() -> ProgramRun:
    result = run(lambda p: GatewayApiCrds(include=tuple(CRD_BUNDLES), opts=on(p)))
    result.raise_error()
    return result


def test_gateway_api_crds_registers_typed_crds(crds_run: ProgramRun) -> None:
    crds = of_type(crds_run, CRD_TYPE)
    names = {r.inputs["metadata"]["name"] for r in crds}
    assert names == GATEWAY_API_CRDS | {
        "inferencepools.inference.networking.k8s.io",
        "inferenceobjectives.llm-d.ai",
    }
    parent = one(crds_run, "llmd:platform:GatewayApiCrds")
    assert all(r.parent == parent.urn for r in crds)
    assert all(r.inputs["apiVersion"] == "apiextensions.k8s.io/v1" for r in crds)
    gateways = next(r for r in crds if r.inputs["metadata"]["name"] == "gateways.gateway.networking.k8s.io")
    assert gateways.name == "gateway-api-crds-gateways.gateway.networking.k8s.io"
    annotations = gateways.inputs["metadata"]["annotations"]
    assert annotations["gateway.networking.k8s.io/bundle-version"] == versions.GATEWAY_API_CRDS_VERSION
    assert annotations["gateway.networking.k8s.io/channel"] == "standard"
    pool = next(r for r in crds if r.inputs["metadata"]["name"].startswith("inferencepools."))
    assert [v["name"] for v in pool.inputs["spec"]["versions"]] == ["v1"]
    assert "status" not in pool.inputs  # upstream's empty status placeholder is server-owned: dropped


def test_every_registered_crd_is_schema_valid(crds_run: ProgramRun) -> None:
    rendered = build_result("test", crds_run.resources, kar_version=None)
    kinds = [m["kind"] for m in rendered.manifests]
    assert kinds == ["CustomResourceDefinition"] * 8
    assert rendered.schema_issues == []


def test_registered_crds_are_the_carried_manifests_unchanged(crds_run: ProgramRun) -> None:
    """What reaches the engine is exactly the carried manifest: no key renamed or dropped on the way."""
    registered = {r.inputs["metadata"]["name"]: normalize(r.inputs) for r in of_type(crds_run, CRD_TYPE)}
    for manifest in crd_manifests(tuple(CRD_BUNDLES)):
        assert registered[manifest["metadata"]["name"]] == normalize(manifest)


def test_registered_crds_have_no_descriptions_but_keep_structure(crds_run: ProgramRun) -> None:
    for crd in of_type(crds_run, CRD_TYPE):
        assert list(description_paths(crd.inputs)) == [], crd.name
    by_name = {r.inputs["metadata"]["name"]: r.inputs for r in of_type(crds_run, CRD_TYPE)}
    # a property *named* description survives (GatewayClass spec.description)
    gc_schema = by_name["gatewayclasses.gateway.networking.k8s.io"]["spec"]["versions"][0]["schema"]
    assert "description" in gc_schema["openAPIV3Schema"]["properties"]["spec"]["properties"]
    # CEL rules and structural extensions are kept
    routes = by_name["httproutes.gateway.networking.k8s.io"]
    assert count_key(routes, "x-kubernetes-validations") > 10
    assert count_key(routes, "x-kubernetes-list-type") > 0


def test_default_bundles_and_choice() -> None:
    default = run(lambda p: GatewayApiCrds(opts=on(p)))
    default.raise_error()
    names = {r.inputs["metadata"]["name"] for r in of_type(default, CRD_TYPE)}
    assert names == GATEWAY_API_CRDS | {"inferencepools.inference.networking.k8s.io"}

    only_pool = run(lambda p: GatewayApiCrds("pool", include=["inference-pool", "inference-pool"], opts=on(p)))
    only_pool.raise_error()
    assert [r.name for r in of_type(only_pool, CRD_TYPE)] == ["pool-inferencepools.inference.networking.k8s.io"]


@pytest.mark.parametrize(
    ("include", "fragment"),
    [((), "at least one"), (("gateway-api", "experimental"), "'experimental'"), ("gatewayapi", "'gatewayapi'")],
)
def test_gateway_api_crds_refuse_unknown_bundles(include: Any, fragment: str) -> None:
    message = refused(run_bare(lambda: GatewayApiCrds(include=include)), fragment)
    for bundle in CRD_BUNDLES:
        assert bundle in message


def test_crd_manifests_are_fresh_copies() -> None:
    first = crd_manifests(("inference-pool",))
    first[0]["spec"]["group"] = "mutated"
    assert crd_manifests(("inference-pool",))[0]["spec"]["group"] == "inference.networking.k8s.io"


# --- the carried manifests (scripts/vendor_crds.py) -------------------------------------------------------------------

INLINE_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com", "annotations": {"description": "metadata is data: kept"}},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size", "description": "printer doc"}
                ],
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "description": "Widget is a test kind.",
                        "type": "object",
                        "properties": {
                            "spec": {
                                "description": "The desired state.",
                                "type": "object",
                                "required": ["size", "description"],
                                "x-kubernetes-validations": [
                                    {"rule": "self.size <= 10", "message": "size must be at most 10"}
                                ],
                                "properties": {
                                    "size": {
                                        "description": "How big.",
                                        "type": "integer",
                                        "minimum": 1,
                                        "default": 1,
                                    },
                                    "description": {"description": "A property called description.", "type": "string"},
                                    "labels": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string", "description": "A label value."},
                                        "x-kubernetes-map-type": "granular",
                                    },
                                    "ports": {
                                        "type": "array",
                                        "x-kubernetes-list-type": "map",
                                        "x-kubernetes-list-map-keys": ["name"],
                                        "items": {
                                            "type": "object",
                                            "required": ["name"],
                                            "properties": {"name": {"type": "string", "description": "Port name."}},
                                        },
                                    },
                                    "template": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                        "default": {"description": "data, not documentation"},
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
    "status": {"acceptedNames": {"kind": "", "plural": ""}, "conditions": None, "storedVersions": None},
}


def _reordered(value: Any) -> Any:
    return json.loads(json.dumps(value), object_pairs_hook=lambda pairs: dict(reversed(pairs)))


def test_conversion_is_deterministic() -> None:
    first = vendor.render_crd_manifest([copy.deepcopy(INLINE_CRD)])
    second = vendor.render_crd_manifest([copy.deepcopy(INLINE_CRD)])
    third = vendor.render_crd_manifest([_reordered(INLINE_CRD)])
    assert first == second == third
    source = vendor.Source(file="w.yaml", repository="org/repo", tag="v1", commit="abc", path="config/w.yaml")
    with_source = vendor.render_crd_manifest([INLINE_CRD], source)
    assert with_source == vendor.render_crd_manifest([_reordered(INLINE_CRD)], source)
    assert "# Upstream: org/repo v1 (abc) config/w.yaml" in with_source


def test_conversion_strips_descriptions_only() -> None:
    text = vendor.render_crd_manifest([INLINE_CRD])
    (doc,) = [d for d in yaml.safe_load_all(text) if d]
    assert list(description_paths(doc)) == []
    spec = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["description"] == {"type": "string"}  # the property stays, its docs go
    assert spec["required"] == ["size", "description"]
    assert spec["x-kubernetes-validations"] == [{"rule": "self.size <= 10", "message": "size must be at most 10"}]
    assert spec["properties"]["template"]["default"] == {"description": "data, not documentation"}
    assert doc["metadata"] == INLINE_CRD["metadata"]
    assert doc["status"] == INLINE_CRD["status"]
    assert "description" not in doc["spec"]["versions"][0]["additionalPrinterColumns"][0]
    # everything else is unchanged: put the descriptions back by hand and compare with the input
    expected = copy.deepcopy(INLINE_CRD)
    version = expected["spec"]["versions"][0]
    del version["additionalPrinterColumns"][0]["description"]
    schema = version["schema"]["openAPIV3Schema"]
    del schema["description"]
    props = schema["properties"]["spec"]
    del props["description"]
    for sub in ("size", "description"):
        del props["properties"][sub]["description"]
    del props["properties"]["labels"]["additionalProperties"]["description"]
    del props["properties"]["ports"]["items"]["properties"]["name"]["description"]
    assert doc == expected
    assert INLINE_CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"]  # input not mutated


def test_carried_manifests_are_canonical_and_listed() -> None:
    files = sorted(MANIFESTS.glob("*.yaml"))
    names = {p.name for p in files}
    for bundle in CRD_BUNDLES.values():
        assert set(bundle) <= names
    sources = (REPO / "src" / "pulumi_llmd" / "schemas" / "crds" / "SOURCES.md").read_text(encoding="utf-8")
    for path in files:
        text = path.read_text(encoding="utf-8")
        docs = [d for d in yaml.safe_load_all(text) if d]
        assert docs and all(d["kind"] == "CustomResourceDefinition" for d in docs)
        assert list(description_paths(docs)) == [], path.name
        body = text[text.index("---\n") :]
        rerendered = vendor.render_crd_manifest(docs)
        assert rerendered[rerendered.index("---\n") :] == body, path.name  # re-converting changes nothing
        assert f"| {path.name} |" in sources


def test_manifests_are_package_data() -> None:
    assert '"schemas/crd-manifests/*.yaml"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


# --- gateway implementations ------------------------------------------------------------------------------------------


def test_implementations_and_classes() -> None:
    assert GATEWAY_IMPLEMENTATIONS == ("istio", "agentgateway")
    assert gateway_class_for("istio") == "istio"
    assert gateway_class_for("agentgateway") == "agentgateway"
    assert gateway_labels_for("istio") == {"istio.io/enable-inference-extproc": "true"}
    assert gateway_labels_for("agentgateway") == {}
    for bad in ("gke", "kgateway", "Istio", ""):
        with pytest.raises(ValueError, match="allowed istio, agentgateway"):
            gateway_class_for(bad)


def test_istio_is_the_default_with_the_inference_extension() -> None:
    result = run(lambda p: gateway_implementation(opts=on(p, GatewayApiCrds(opts=on(p)))))
    result.raise_error()
    istio = one(result, "llmd:platform:IstioGateway")
    assert of_type(result, "llmd:platform:AgentGateway") == []
    base, istiod = release(result, "istio-base"), release(result, "istiod")
    for rel, chart in ((base, "base"), (istiod, "istiod")):
        assert rel.parent == istio.urn
        assert rel.inputs["chart"] == chart
        assert rel.inputs["version"] == versions.DEFAULT_RELEASE.istio_version == "1.29.6"
        assert rel.inputs["repositoryOpts"] == {"repo": "https://istio-release.storage.googleapis.com/charts"}
        assert rel.inputs["namespace"] == "istio-system"
        assert rel.inputs["createNamespace"] is True
    env = istiod.inputs["values"]["pilot"]["env"]
    assert env["ENABLE_GATEWAY_API_INFERENCE_EXTENSION"] == "true"
    assert env["SUPPORT_GATEWAY_API_INFERENCE_EXTENSION"] == "true"
    assert base.inputs["values"] == {}


def test_istio_component_outputs() -> None:
    made: list[IstioGateway] = []
    result = run(lambda p: made.append(IstioGateway("mesh", namespace="mesh-system", opts=on(p))))
    result.raise_error()
    (istio,) = made
    assert istio.gateway_class == "istio" and istio.namespace == "mesh-system"
    assert {r.name for r in of_type(result, RELEASE_TYPE)} == {"mesh-base", "meshd"}
    assert istio.ready == [istio.releases[1]]


def test_agentgateway_alternative() -> None:
    made: list[Any] = []
    result = run(lambda p: made.append(gateway_implementation("agentgateway", opts=on(p))))
    result.raise_error()
    (agw,) = made
    assert isinstance(agw, AgentGateway) and agw.gateway_class == "agentgateway"
    parent = one(result, "llmd:platform:AgentGateway")
    assert of_type(result, "llmd:platform:IstioGateway") == []
    crds, controller = release(result, "agentgateway-crds"), release(result, "agentgateway")
    assert crds.inputs["chart"] == "oci://cr.agentgateway.dev/charts/agentgateway-crds"
    assert controller.inputs["chart"] == "oci://cr.agentgateway.dev/charts/agentgateway"
    for rel in (crds, controller):
        assert rel.parent == parent.urn
        assert rel.inputs["version"] == versions.AGENTGATEWAY_VERSION == "v1.1.0"
        assert rel.inputs["namespace"] == "agentgateway-system"
        assert "repositoryOpts" not in rel.inputs  # OCI charts need no repository
    assert controller.inputs["values"] == {"inferenceExtension": {"enabled": True}}


@pytest.mark.parametrize("implementation", ["nginx", "gke", "envoy-ai-gateway", ""])
def test_unknown_implementation_is_refused(implementation: str) -> None:
    refused(run_bare(lambda: gateway_implementation(implementation)), repr(implementation), "istio", "agentgateway")


def test_gateway_bad_namespace_is_refused() -> None:
    refused(run_bare(lambda: IstioGateway(namespace="Istio_System")), "IstioGateway", "DNS-1123")
    refused(run_bare(lambda: AgentGateway(namespace="-x")), "AgentGateway", "DNS-1123")


# --- device plugins and DCGM ------------------------------------------------------------------------------------------


def test_nvidia_device_plugin_defaults() -> None:
    result = run(lambda p: NvidiaDevicePlugin(opts=on(p)))
    result.raise_error()
    rel = release(result, "nvidia-device-plugin")
    assert rel.parent == one(result, "llmd:platform:NvidiaDevicePlugin").urn
    assert rel.inputs["chart"] == "nvidia-device-plugin"
    assert rel.inputs["version"] == versions.NVIDIA_DEVICE_PLUGIN_CHART_VERSION
    assert rel.inputs["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}
    assert rel.inputs["namespace"] == "nvidia-device-plugin" and rel.inputs["createNamespace"] is True
    # the chart's own GPU-node affinity places it; only the GPU taint is tolerated; the image is digest-pinned
    pin = versions.NVIDIA_DEVICE_PLUGIN_IMAGE_PIN
    assert rel.inputs["values"] == {
        "image": {"repository": "nvcr.io/nvidia/k8s-device-plugin", "tag": f"v0.19.3@{pin.digest}"},
        "tolerations": [GPU_TOLERATION],
    }


def test_nvidia_device_plugin_on_a_pool() -> None:
    selector = {"eks.amazonaws.com/nodegroup": "h100", "nvidia.com/gpu.present": "true"}
    tolerations = (Toleration("nvidia.com/gpu", "present", "NoSchedule"), Toleration("dedicated", None, "NoExecute"))
    result = run(lambda p: NvidiaDevicePlugin("nvdp", node_selector=selector, tolerations=tolerations, opts=on(p)))
    result.raise_error()
    values = release(result, "nvdp").inputs["values"]
    assert values["nodeSelector"] == selector
    assert values["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
    ]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchExpressions": [
                {"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["h100"]},
                {"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]},
            ]
        }
    ]


def test_efa_device_plugin() -> None:
    result = run(lambda p: EfaDevicePlugin(opts=on(p)))
    result.raise_error()
    rel = release(result, "aws-efa-k8s-device-plugin")
    assert rel.parent == one(result, "llmd:platform:EfaDevicePlugin").urn
    assert rel.inputs["chart"] == "aws-efa-k8s-device-plugin"
    assert rel.inputs["version"] == versions.EFA_DEVICE_PLUGIN_CHART_VERSION
    assert rel.inputs["version"].startswith("v0.5.")
    assert rel.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert rel.inputs["namespace"] == "kube-system" and rel.inputs["createNamespace"] is False
    assert rel.inputs["values"] == {
        "nodeSelector": {"vpc.amazonaws.com/efa.present": "true"},
        "tolerations": [GPU_TOLERATION],
    }


def test_dcgm_exporter_service_monitor_off_unless_asked() -> None:
    def program(p: k8s.Provider) -> None:
        DcgmExporter(opts=on(p))
        DcgmExporter("dcgm-prom", namespace="monitoring", service_monitor=True, node_selector=None, opts=on(p))

    result = run(program)
    result.raise_error()
    plain, prom = release(result, "dcgm-exporter"), release(result, "dcgm-prom")
    for rel in (plain, prom):
        assert rel.inputs["chart"] == "dcgm-exporter"
        assert rel.inputs["version"] == versions.DCGM_EXPORTER_CHART_VERSION
        assert rel.inputs["repositoryOpts"] == {"repo": "https://nvidia.github.io/dcgm-exporter/helm-charts"}
        assert rel.inputs["values"]["tolerations"] == [GPU_TOLERATION]
    assert plain.inputs["namespace"] == "dcgm-exporter"
    assert plain.inputs["values"]["serviceMonitor"] == {"enabled": False}
    assert plain.inputs["values"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert prom.inputs["namespace"] == "monitoring"
    assert prom.inputs["values"]["serviceMonitor"] == {"enabled": True}
    assert "nodeSelector" not in prom.inputs["values"]


@pytest.mark.parametrize(
    ("program", "fragments"),
    [
        (lambda: NvidiaDevicePlugin(node_selector={"": "x"}), ("NvidiaDevicePlugin", "node_selector")),
        (lambda: NvidiaDevicePlugin(node_selector={"a": 1}), ("NvidiaDevicePlugin", "node_selector")),
        (lambda: EfaDevicePlugin(tolerations=[GPU_TOLERATION]), ("EfaDevicePlugin", "Toleration")),
        (lambda: DcgmExporter(namespace="GPU"), ("DcgmExporter", "DNS-1123")),
        (lambda: NvidiaDevicePlugin(namespace="x" * 64), ("NvidiaDevicePlugin", "DNS-1123")),
    ],
)
def test_device_components_refuse_bad_input(program: Callable[[], Any], fragments: tuple[str, ...]) -> None:
    refused(run_bare(program), *fragments)


def test_everything_together_renders_clean() -> None:
    """A full non-GKE platform (CRDs, Istio, device plugins, DCGM) in one program: schema-valid, no errors."""

    def program(p: k8s.Provider) -> None:
        crds = GatewayApiCrds(include=("gateway-api", "inference-pool", "inference-objective"), opts=on(p))
        gateway_implementation("istio", opts=on(p, crds))
        NvidiaDevicePlugin(opts=on(p))
        EfaDevicePlugin(opts=on(p))
        DcgmExporter(opts=on(p))

    result = run(program)
    result.raise_error()
    assert_schema_valid(result, kar_version=None)
    assert len(of_type(result, RELEASE_TYPE)) == 5
    assert len(of_type(result, CRD_TYPE)) == 8
