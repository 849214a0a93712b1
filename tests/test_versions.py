"""Every image and chart is pinned by version and digest in ``components/versions.py`` (issue 12), every image a render
emits carries its digest, and ``scripts/refresh_digests.py`` resolves and rewrites digests (against a fake registry:
no network)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from pulumi_llmd.components import versions
from pulumi_llmd.components.versions import ChartPin, ImagePin
from pulumi_llmd.render.render import RenderResult

REPO = Path(__file__).resolve().parent.parent
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

#: Pins allowed to be without a digest: no upstream file or public record of their digest was found offline (see
#: each pin's ``source``). ``scripts/refresh_digests.py --write`` fills them with registry access; shrink this then.
ALLOWED_PENDING = frozenset(
    {
        "PD_SIDECAR_PIN",
        "VLLM_TPU_V0_26_0_PIN",
        "VLLM_TPU_V0_29_0_PIN",
        "VLLM_CPU_V0_26_0_PIN",
        "VLLM_CPU_V0_30_0_PIN",
        "VLLM_ROCM_V0_26_0_PIN",
        "VLLM_XPU_V0_26_0_PIN",
        "VLLM_XPU_V0_30_0_PIN",
        "VLLM_AWS_EFA_PIN",
        "GIB_NCCL_PLUGIN_PIN",
        "LLMD_CUDA_PIN",
        "PAYLOAD_PROCESSOR_PIN",
        "CUSTOM_METRICS_ADAPTER_PIN",
        "LWS_V0_10_0_CHART_PIN",
        "LWS_V0_11_1_CHART_PIN",
        "ISTIO_BASE_V1_29_2_CHART_PIN",
        "ISTIOD_V1_29_2_CHART_PIN",
        "ISTIO_BASE_V1_29_6_CHART_PIN",
        "ISTIOD_V1_29_6_CHART_PIN",
        "AGENTGATEWAY_CRDS_CHART_PIN",
        "AGENTGATEWAY_CHART_PIN",
        "EFA_DEVICE_PLUGIN_CHART_PIN",
        "DCGM_EXPORTER_CHART_PIN",
        # latency-predictor 0.9.0 (predicted-latency-routing): no public record of either digest was found.
        "LATENCY_TRAINING_SERVER_PIN",
        "LATENCY_PREDICTION_SERVER_PIN",
        # KEDA charts 2.20.1 / 2.20.2 (workload-autoscaling): no public record of the .tgz digests was found offline.
        "KEDA_V2_20_1_CHART_PIN",
        "KEDA_V2_20_2_CHART_PIN",
        # AMD GPU Operator v1.5.1 chart and device-metrics exporter v1.5.0: no public record of either digest.
        "AMD_GPU_OPERATOR_CHART_PIN",
        "AMD_DEVICE_METRICS_EXPORTER_PIN",
        # Intel device plugins operator / GPU plugin 0.37.0 (charts and image) and XPU Manager v1.2.27: no public
        # record of their digests.
        "INTEL_DEVICE_PLUGINS_OPERATOR_CHART_PIN",
        "INTEL_GPU_PLUGIN_CHART_PIN",
        "INTEL_GPU_PLUGIN_IMAGE_PIN",
        "INTEL_XPUMANAGER_PIN",
    }
)


def load_refresh_script() -> ModuleType:
    """``scripts/refresh_digests.py`` loaded as the module ``refresh_digests``."""
    path = REPO / "scripts" / "refresh_digests.py"
    spec = importlib.util.spec_from_file_location("refresh_digests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("refresh_digests", module)
    spec.loader.exec_module(module)
    return module


rd = load_refresh_script()


def fake_digest(text: str) -> str:
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


# --- the pins --------------------------------------------------------------------------------------------------------


def test_every_pin_has_a_version_and_a_digest_or_is_a_documented_pending_pin() -> None:
    pins: dict[str, ImagePin | ChartPin] = {**versions.IMAGE_PINS, **versions.CHART_PINS}
    assert len(versions.IMAGE_PINS) >= 10 and len(versions.CHART_PINS) >= 10
    for name, pin in pins.items():
        version = pin.tag if isinstance(pin, ImagePin) else pin.version
        assert version and not version.startswith(("^", "~", ">", "<")) and "*" not in version, name
        assert pin.source, f"{name}: says where its version/digest came from"
        if pin.digest is None:
            assert name in ALLOWED_PENDING, f"{name} has no digest and is not in the documented allow-list"
    pending = sorted(name for name, pin in pins.items() if pin.digest is None)
    assert tuple(pending) == versions.DIGEST_PENDING
    print(f"\ndigest-less pins ({len(pending)}, resolve with scripts/refresh_digests.py --write): {', '.join(pending)}")


def test_every_digest_is_sha256_and_refs_carry_it() -> None:
    for name, pin in {**versions.IMAGE_PINS, **versions.CHART_PINS}.items():
        for value in (pin.digest, getattr(pin, "archive_sha256", None)):
            assert value is None or DIGEST.fullmatch(value), (name, value)
    for pin in versions.IMAGE_PINS.values():
        assert pin.ref == (f"{pin.repository}:{pin.tag}@{pin.digest}" if pin.digest else f"{pin.repository}:{pin.tag}")
    for release in versions.RELEASES.values():
        assert release.vllm_gpu.ref == (
            f"{release.vllm_gpu.tagged}@{release.vllm_gpu.digest}"
            if release.vllm_gpu.digest
            else release.vllm_gpu.tagged
        )
        assert release.epp.ref.startswith("ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0")


def test_the_legacy_constants_are_views_of_the_pins() -> None:
    assert (
        versions.KUEUE_CHART == "oci://registry.k8s.io/kueue/charts/kueue" and versions.KUEUE_CHART_VERSION == "0.19.2"
    )
    lws = {r.name: (r.lws_chart.chart, r.lws_chart.version) for r in versions.RELEASES.values()}
    assert lws == {
        "v0.9.0": ("oci://registry.k8s.io/lws/charts/lws", "0.10.0"),
        "v0.10.0": ("oci://registry.k8s.io/lws/charts/lws", "0.11.1"),
    }
    assert versions.AGENTGATEWAY_CHART == "oci://cr.agentgateway.dev/charts/agentgateway"
    assert versions.NVIDIA_DEVICE_PLUGIN_CHART == "nvidia-device-plugin"
    assert versions.CERT_MANAGER_IMAGES[0].startswith("quay.io/jetstack/cert-manager-controller:v1.21.1@sha256:")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repository": "r", "tag": "v1", "digest": "sha256:abc", "source": "s"}, "is not sha256:<64 hex>"),
        ({"repository": "r", "tag": "v1", "digest": "SHA256:" + "a" * 64, "source": "s"}, "is not sha256"),
        ({"repository": "r", "tag": "v1@sha256:" + "a" * 64, "digest": None, "source": "s"}, "a plain tag"),
        ({"repository": "", "tag": "v1", "digest": None, "source": "s"}, "repository and a plain tag"),
    ],
)
def test_malformed_image_pins_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ImagePin(**kwargs)


def test_malformed_chart_pin_is_refused() -> None:
    with pytest.raises(ValueError, match="is not sha256"):
        ChartPin(repository="https://x", name="c", version="1.0.0", digest="md5:00", source="s")


# --- what the renders emit ---------------------------------------------------------------------------------------


def _strings_under_image_keys(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            where = f"{path}.{key}"
            if key == "image" and isinstance(child, str):
                yield where, child
            else:
                yield from _strings_under_image_keys(child, where)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings_under_image_keys(child, f"{path}[{index}]")


def _pending_refs() -> set[str]:
    return {versions.IMAGE_PINS[name].tagged for name in versions.DIGEST_PENDING if name in versions.IMAGE_PINS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_image_a_render_emits_is_digest_pinned(stack: str, rendered: Callable[[str], RenderResult]) -> None:
    result = rendered(stack)
    pending = _pending_refs()
    images: list[tuple[str, str]] = []
    for doc in yaml.safe_load_all(result.manifests_yaml()):
        if doc:
            images += [
                (f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}{w}", i)
                for w, i in _strings_under_image_keys(doc)
            ]
    for resource in json.loads(result.resources_json()):
        if resource["type"].startswith("kubernetes:helm.sh"):
            values = resource["inputs"].get("values") or {}
            for where, image in _strings_under_image_keys(values):
                images.append((f"{resource['name']}.values{where}", image))
            # charts' ``image: {repository, tag|digest}`` values: a tag must carry its digest
            for where, block in _image_blocks(values):
                if "digest" not in block:
                    images.append((f"{resource['name']}.values{where}", f"{block['repository']}:{block.get('tag')}"))
    assert images, f"{stack}: no images found"
    unpinned = sorted({(w, i) for w, i in images if "@sha256:" not in i and i not in pending})
    assert not unpinned, f"{stack}: images without a digest (and not a documented pending pin): {unpinned}"
    for _, image in images:
        if "@" in image:
            assert DIGEST.fullmatch(image.rsplit("@", 1)[1]), image


def _image_blocks(value: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if key == "image" and isinstance(child, Mapping) and "repository" in child:
                yield f"{path}.image", child
            else:
                yield from _image_blocks(child, f"{path}.{key}")
    elif isinstance(value, list):
        for child in value:
            yield from _image_blocks(child, path)


def test_kueue_values_pin_the_controller_image_by_digest() -> None:
    from pulumi_llmd.components.platform.scheduling import kueue_values

    image = kueue_values(namespaces=["llm-d"])["controllerManager"]["manager"]["image"]
    assert image["repository"] == "registry.k8s.io/kueue/kueue"
    assert re.fullmatch(r"v0\.19\.2@sha256:[0-9a-f]{64}", image["tag"])
    assert "kueue" not in versions.CHART_DEFAULT_IMAGES_NOT_DIGEST_PINNED


def test_the_nvidia_device_plugin_and_cert_manager_values_pin_their_images() -> None:
    from pulumi_llmd.components.platform.cert_manager import cert_manager_values
    from pulumi_llmd.components.platform.devices import nvidia_device_plugin_values

    image = nvidia_device_plugin_values()["image"]
    assert image["repository"] == "nvcr.io/nvidia/k8s-device-plugin"
    assert re.fullmatch(r"v0\.19\.3@sha256:[0-9a-f]{64}", image["tag"])
    values = cert_manager_values()
    blocks = dict(_image_blocks(values))
    assert set(blocks) == {
        ".image",
        ".webhook.image",
        ".cainjector.image",
        ".startupapicheck.image",
        ".acmesolver.image",
    }
    assert all(DIGEST.fullmatch(block["digest"]) for block in blocks.values())


# --- the refresh script: parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        ("vllm/vllm-openai", ("registry-1.docker.io", "vllm/vllm-openai")),
        ("docker.io/vllm/vllm-openai", ("registry-1.docker.io", "vllm/vllm-openai")),
        ("ubuntu", ("registry-1.docker.io", "library/ubuntu")),
        ("ghcr.io/llm-d/llm-d-cuda", ("ghcr.io", "llm-d/llm-d-cuda")),
        (
            "us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib",
            ("us-docker.pkg.dev", "gce-ai-infra/gpudirect-gib/nccl-plugin-gib"),
        ),
        ("localhost:5000/x", ("localhost:5000", "x")),
    ],
)
def test_split_image(repository: str, expected: tuple[str, str]) -> None:
    assert rd.split_image(repository) == expected


class FakeRegistry:
    """A registry + token service + chart repository in memory, recording every request.

    ``manifests``: ``(host, name, reference) -> digest``; hosts in ``token_hosts`` demand the anonymous bearer flow;
    ``no_digest_header`` hosts omit ``Docker-Content-Digest`` (the client must hash a GET body); ``indexes``: chart
    repository URL -> index.yaml text.
    """

    def __init__(
        self,
        manifests: Mapping[tuple[str, str, str], str],
        *,
        token_hosts: frozenset[str] = frozenset(),
        no_digest_header: frozenset[str] = frozenset(),
        indexes: Mapping[str, str] | None = None,
    ) -> None:
        self.manifests = dict(manifests)
        self.token_hosts = token_hosts
        self.no_digest_header = no_digest_header
        self.indexes = dict(indexes or {})
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str]) -> Any:
        self.requests.append((method, url, dict(headers)))
        if url.startswith("https://auth.example/token?"):
            return rd.Response(200, {}, json.dumps({"token": "anon-token"}).encode())
        for repo_url, text in self.indexes.items():
            if url == f"{repo_url}/index.yaml":
                return rd.Response(200, {}, text.encode())
        match = re.fullmatch(r"https://([^/]+)/v2/(.+)/manifests/([^/]+)", url)
        if match is None:
            return rd.Response(404, {}, b"")
        host, name, reference = match.groups()
        if host in self.token_hosts and headers.get("Authorization") != "Bearer anon-token":
            challenge = f'Bearer realm="https://auth.example/token",service="{host}",scope="repository:{name}:pull"'
            return rd.Response(401, {"www-authenticate": challenge}, b"")
        digest = self.manifests.get((host, name, reference))
        if digest is None:
            return rd.Response(404, {}, b"")
        if host in self.no_digest_header:
            body = f"manifest of {name}:{reference}".encode()
            return rd.Response(200, {}, body if method == "GET" else b"")
        return rd.Response(200, {"docker-content-digest": digest}, b"")


def test_image_digest_via_the_anonymous_token_flow_asks_for_the_index_first() -> None:
    digest = fake_digest("index")
    registry = FakeRegistry({("ghcr.io", "llm-d/x", "v1"): digest}, token_hosts=frozenset({"ghcr.io"}))
    pin = ImagePin(repository="ghcr.io/llm-d/x", tag="v1", digest=None, source="s")
    assert rd.resolve(registry, pin) == digest
    methods = [(m, u.split("?")[0]) for m, u, _ in registry.requests]
    assert methods == [
        ("HEAD", "https://ghcr.io/v2/llm-d/x/manifests/v1"),
        ("GET", "https://auth.example/token"),
        ("HEAD", "https://ghcr.io/v2/llm-d/x/manifests/v1"),
    ]
    assert "scope=repository%3Allm-d%2Fx%3Apull" in registry.requests[1][1]
    accept = registry.requests[2][2]["Accept"]
    assert accept.startswith("application/vnd.oci.image.index.v1+json")
    assert "application/vnd.docker.distribution.manifest.list.v2+json" in accept


def test_image_digest_without_the_header_is_the_sha256_of_the_manifest_body() -> None:
    registry = FakeRegistry(
        {("registry-1.docker.io", "vllm/vllm-openai", "v1"): "unused"},
        no_digest_header=frozenset({"registry-1.docker.io"}),
    )
    pin = ImagePin(repository="vllm/vllm-openai", tag="v1", digest=None, source="s")
    expected = f"sha256:{hashlib.sha256(b'manifest of vllm/vllm-openai:v1').hexdigest()}"
    assert rd.resolve(registry, pin) == expected


def test_oci_chart_digest_uses_the_chart_path_and_helm_tag_escaping() -> None:
    digest = fake_digest("chart")
    registry = FakeRegistry({("registry.k8s.io", "kueue/charts/kueue", "0.19.2_build.1"): digest})
    pin = ChartPin(
        repository="oci://registry.k8s.io/kueue/charts", name="kueue", version="0.19.2+build.1", digest=None, source="s"
    )
    assert rd.resolve(registry, pin) == digest
    assert registry.requests[0][2]["Accept"] == "application/vnd.oci.image.manifest.v1+json"


def test_http_chart_digest_comes_from_index_yaml() -> None:
    hexdigest = "a" * 64
    index = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "entries": {"c": [{"version": "1.0.0", "digest": "b" * 64}, {"version": "1.1.0", "digest": hexdigest}]},
        }
    )
    registry = FakeRegistry({}, indexes={"https://charts.example": index})
    pin = ChartPin(repository="https://charts.example", name="c", version="1.1.0", digest=None, source="s")
    assert rd.resolve(registry, pin) == f"sha256:{hexdigest}"
    missing = ChartPin(repository="https://charts.example", name="c", version="9.9.9", digest=None, source="s")
    with pytest.raises(rd.ResolveError, match=r"no c version 9\.9\.9"):
        rd.resolve(registry, missing)


def test_an_unknown_tag_is_a_resolve_error_naming_it() -> None:
    pin = ImagePin(repository="ghcr.io/llm-d/x", tag="v9", digest=None, source="s")
    with pytest.raises(rd.ResolveError, match=r"ghcr.io/llm-d/x:v9: registry answered 404"):
        rd.resolve(FakeRegistry({}), pin)


# --- the refresh script: rewriting ------------------------------------------------------------------------------

SAMPLE = """from x import ImagePin, ChartPin
A_PIN: Final = ImagePin(
    repository="r/a",
    tag="v1",
    digest="sha256:%s",
    source="keep me",
)
B_PIN: Final = ChartPin(
    repository="oci://r",
    name="b",
    version="1.0.0",
    digest=None,  # digest not found offline: refresh with scripts/refresh_digests.py
    source="also keep",
)
OTHER = "digest=None"
""" % ("1" * 64)


def test_rewrite_changes_only_the_digest_strings() -> None:
    new_a, new_b = fake_digest("a"), fake_digest("b")
    out = rd.rewrite(SAMPLE, {"A_PIN": new_a, "B_PIN": new_b})
    assert f'    digest="{new_a}",\n' in out and f'    digest="{new_b}",\n' in out
    assert "digest not found offline" not in out
    before = [line for line in SAMPLE.splitlines() if "digest=" not in line or line.startswith("OTHER")]
    after = [line for line in out.splitlines() if "digest=" not in line or line.startswith("OTHER")]
    assert before == after
    assert rd.digest_spans(out).keys() == {"A_PIN", "B_PIN"}


def test_rewrite_refuses_unknown_pins_and_bad_digests() -> None:
    with pytest.raises(ValueError, match="C_PIN: no ImagePin/ChartPin"):
        rd.rewrite(SAMPLE, {"C_PIN": fake_digest("c")})
    with pytest.raises(ValueError, match="is not sha256"):
        rd.rewrite(SAMPLE, {"A_PIN": "sha256:xyz"})


def test_every_pin_in_versions_py_is_rewritable() -> None:
    spans = rd.digest_spans((REPO / "components" / "versions.py").read_text())
    assert set(spans) == set(versions.IMAGE_PINS) | set(versions.CHART_PINS)


def _registry_for(pins: Mapping[str, Any], digest_of: Callable[[str, Any], str]) -> FakeRegistry:
    manifests: dict[tuple[str, str, str], str] = {}
    entries: dict[str, dict[str, list[dict[str, str]]]] = {}
    for name, pin in pins.items():
        if isinstance(pin, ImagePin) or hasattr(pin, "tag"):
            host, path = rd.split_image(pin.repository)
            manifests[(host, path, pin.tag)] = digest_of(name, pin)
        elif pin.repository.startswith("oci://"):
            host, path = rd.split_image(f"{pin.repository.removeprefix('oci://')}/{pin.name}")
            manifests[(host, path, pin.version)] = digest_of(name, pin)
        else:
            hexdigest = digest_of(name, pin).removeprefix("sha256:")
            entries.setdefault(pin.repository, {}).setdefault(pin.name, []).append(
                {"version": pin.version, "digest": hexdigest}
            )
    indexes = {repo: yaml.safe_dump({"apiVersion": "v1", "entries": e}) for repo, e in entries.items()}
    return FakeRegistry(manifests, token_hosts=frozenset({"ghcr.io", "registry-1.docker.io"}), indexes=indexes)


def test_write_fills_pending_digests_and_keeps_the_rest_of_versions_py(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "versions.py"
    original = (REPO / "components" / "versions.py").read_text()
    path.write_text(original)
    module = rd.load_versions(path)
    pins = {**module.IMAGE_PINS, **module.CHART_PINS}
    registry = _registry_for(pins, lambda name, pin: pin.digest or fake_digest(name))
    assert rd.main(["--check"], fetch=registry, versions_path=path) == 1  # pending pins resolve to new digests
    assert rd.main(["--write"], fetch=registry, versions_path=path) == 0
    out = capsys.readouterr().out
    assert f"wrote {len(module.DIGEST_PENDING)} digest(s)" in out
    rewritten = path.read_text()
    changed = [(a, b) for a, b in zip(original.splitlines(), rewritten.splitlines(), strict=True) if a != b]
    assert len(changed) == len(module.DIGEST_PENDING)
    assert all(b.strip().startswith('digest="sha256:') for _, b in changed)
    refreshed = rd.load_versions(path)
    assert refreshed.DIGEST_PENDING == ()
    assert refreshed.VLLM_TPU_V0_29_0_PIN.digest == fake_digest("VLLM_TPU_V0_29_0_PIN")
    assert refreshed.VLLM_V0_30_0_PIN.digest == versions.VLLM_V0_30_0_PIN.digest
    # the records hold the refreshed pins (they are the same objects as the constants)
    assert refreshed.LLMD_V0_10_0.vllm_tpu.digest == fake_digest("VLLM_TPU_V0_29_0_PIN")
    assert rd.main(["--check"], fetch=registry, versions_path=path) == 0


def test_a_changed_upstream_digest_is_reported_old_to_new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "versions.py"
    path.write_text((REPO / "components" / "versions.py").read_text())
    moved = fake_digest("vllm re-pushed")
    pin = versions.VLLM_V0_30_0_PIN
    assert pin.digest is not None
    registry = _registry_for({"VLLM_V0_30_0_PIN": pin}, lambda name, pin: moved)
    assert rd.main(["--only", "VLLM_V0_30_0_PIN", "--check"], fetch=registry, versions_path=path) == 1
    out = capsys.readouterr().out
    assert "VLLM_V0_30_0_PIN" in out and f"{pin.digest[:19]} -> {moved[:19]}" in out and "changed" in out
    assert rd.main(["--only", "VLLM_V0_30_0_PIN", "--write"], fetch=registry, versions_path=path) == 0
    refreshed = rd.load_versions(path)
    assert refreshed.VLLM_V0_30_0_PIN.digest == moved
    assert refreshed.LLMD_V0_10_0.vllm_gpu.digest == moved and refreshed.LLMD_V0_9_0.vllm_gpu.digest != moved


def test_unresolvable_pins_fail_and_unknown_names_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "versions.py"
    path.write_text((REPO / "components" / "versions.py").read_text())
    assert rd.main(["--only", "EPP_PIN", "--write"], fetch=FakeRegistry({}), versions_path=path) == 1
    assert (
        "error (ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0: registry answered 404)" in capsys.readouterr().out
    )
    assert path.read_text() == (REPO / "components" / "versions.py").read_text()
    assert rd.main(["--only", "NOPE_PIN"], fetch=FakeRegistry({}), versions_path=path) == 2
    assert "--only NOPE_PIN: not a pin" in capsys.readouterr().err
