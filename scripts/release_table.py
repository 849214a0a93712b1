"""Write ``docs/releases.md``, the sources table of the llm-d release matrix, from ``components/versions.py``.

One row per pin of an :class:`~pulumi_llmd.components.versions.LlmdRelease` record (field, its value in each release,
its digest or "pending", its source), the records' other settings, the pins every release shares (not in a record),
and the pins that could not be verified, each with why. ``--check`` exits 1 when the file differs from what the
records give (``tests/test_releases.py`` asserts it is current).

    .venv/bin/python scripts/release_table.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from pulumi_llmd.components import versions
from pulumi_llmd.components.versions import ChartPin, ImagePin, LlmdRelease

OUT = Path(__file__).resolve().parent.parent / "docs" / "releases.md"

#: Pins that are not verified against an upstream file, and why (FACTS "Current upstream (verified 2026-11-30)" and
#: its "Not verified" list). Keyed by record field; a digest that is pending is listed separately (computed).
UNVERIFIED: Mapping[str, str] = {
    "lws_chart": (
        "LWS v0.11.1 (llm-d v0.10.0): an unverified tag. llm-d's DisaggregatedSet guides ask for \"v0.11.1 or "
        'newer" (llm-d/llm-d guides/models/glm-5-2/README.md, index), but no kubernetes-sigs/lws snapshot holds the '
        "tag (v0.11.0 is seen in charts/lws/Chart.yaml @ 0a3c5c21) and its CRDs were not obtained: renders validate "
        "DisaggregatedSets against the v0.10.0 CRD (src/pulumi_llmd/schemas/crds/SOURCES.md)."
    ),
    "agentgateway_chart": (
        "agentgateway v1.1.0 in both releases: what llm-d's recipe pins (docs/infrastructure/gateway/agentgateway.md "
        "@ d557f83e, AGENTGATEWAY_VERSION=v1.1.0), while llm-d v0.10.0's artifacts page says it tests v1.4.x "
        "(artifacts.md @ 1128ecf6). No v1.4.x chart or image record was found offline (v1.5.0 only in a third-party "
        "mirror), so the recipe's v1.1.0 stays."
    ),
    "router_version": (
        "Router / endpoint picker v0.10.0 in both releases: llm-d v0.9.0 pins it (env.sh e3dbeca1); llm-d v0.10.0's "
        "artifacts page lists the router at `main`, and v0.11.0 is seen only in third-party notes."
    ),
    "gaie_version": (
        "GAIE v1.6.0 for llm-d v0.10.0: the newest GAIE tag (992e5c29); llm-d v0.10.0's env.sh pin was not seen "
        "(v0.9.0 pins v1.5.0). The library installs the InferencePool CRD it carries (v1.6.0, "
        "versions.GAIE_CRDS_VERSION) where the platform does not serve it, for both releases."
    ),
    "gateway_api_version": (
        "Gateway API v1.5.1 is what llm-d tests (v1.5.x); the library installs the standard-channel CRDs it carries "
        "(v1.6.1, versions.GATEWAY_API_CRDS_VERSION) where the platform does not, for both releases."
    ),
    "istiod_chart": (
        'Istio 1.29.6 for llm-d v0.10.0: llm-d "tests 1.29.x" (artifacts.md @ 1128ecf6); 1.29.6 is the newest 1.29 '
        "patch tag in istio/api (2026-07-16), the library's choice within that line."
    ),
    "vllm_aws_efa": (
        "The EFA vLLM image of llm-d's AWS overlay (0.26.0, components/images/gpu-vllm/aws-efa @ d557f83e) in both "
        "releases: the v0.10.0-era tag was not seen."
    ),
    "wide_ep_image": (
        "ghcr.io/llm-d/llm-d-cuda v0.9.0 in both releases: llm-d v0.10.0 lists the image as deprecated (last tag "
        "v0.9.0) but keeps llm-d image variants for RoCE clusters (components/images/README.md)."
    ),
    "latency_training_server": (
        "latency-predictor 0.9.0 (the llm-d v0.9.0 release) in both releases: the v0.10.0 release's tag was not seen."
    ),
    "keda_chart": (
        "KEDA 2.20.2 for llm-d v0.10.0: the newest tag (kedacore/keda 68a5b502) and the CRDs the project carries; "
        "llm-d's guides link keda.sh/docs/2.20 and the v0.9.0-era SLO-aware guide installs 2.20.1."
    ),
}

#: Pins every release shares, kept as module constants (not llm-d's choice; components read them directly).
SHARED_PINS = (
    "CERT_MANAGER_CHART_PIN",
    "CERT_MANAGER_CONTROLLER_PIN",
    "CERT_MANAGER_WEBHOOK_PIN",
    "CERT_MANAGER_CAINJECTOR_PIN",
    "CERT_MANAGER_STARTUPAPICHECK_PIN",
    "CERT_MANAGER_ACMESOLVER_PIN",
    "KUBE_PROMETHEUS_STACK_CHART_PIN",
    "PROMETHEUS_ADAPTER_CHART_PIN",
    "PAUSE_PIN",
    "CUSTOM_METRICS_ADAPTER_PIN",
)


def _value(pin: ImagePin | ChartPin) -> str:
    if isinstance(pin, ImagePin):
        return f"`{pin.tagged}`"
    return f"`{pin.chart}` `{pin.version}`"


def _digest(pin: ImagePin | ChartPin) -> str:
    return f"`{pin.digest}`" if pin.digest else "pending"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pin_rows(old: LlmdRelease, new: LlmdRelease) -> list[str]:
    rows = [
        f"| field | {old.name} | {new.name} | digest | source |",
        "|---|---|---|---|---|",
    ]
    old_pins, new_pins = old.pins(), new.pins()
    for field, new_pin in new_pins.items():
        old_pin = old_pins[field]
        if old_pin == new_pin:
            values = (_value(old_pin), "same")
            digest = _digest(new_pin)
            source = new_pin.source
        else:
            values = (_value(old_pin), f"**{_value(new_pin)}**")
            digest = f"{old.name}: {_digest(old_pin)}; {new.name}: {_digest(new_pin)}"
            source = f"{old.name}: {old_pin.source}; {new.name}: {new_pin.source}"
        rows.append(f"| `{field}` | {values[0]} | {values[1]} | {digest} | {_cell(source)} |")
    return rows


def _setting_rows(old: LlmdRelease, new: LlmdRelease) -> list[str]:
    rows = [f"| field | {old.name} | {new.name} |", "|---|---|---|"]
    pins = set(new.pins())
    for field in new.__dataclass_fields__:
        if field in pins or field in ("name", "source"):
            continue
        before, after = getattr(old, field), getattr(new, field)
        if field == "vllm_env":
            before = ", ".join(f"{k}={v}" for k, v in before)
            after = ", ".join(f"{k}={v}" for k, v in after)
        shown = "same" if before == after else f"**`{after}`**"
        rows.append(f"| `{field}` | `{before}` | {shown} |")
    return rows


def render() -> str:
    """The text of ``docs/releases.md`` for the records in ``components/versions.py``."""
    old, new = versions.PREVIOUS_RELEASE, versions.DEFAULT_RELEASE
    out = [
        "# llm-d releases: every pin and its source",
        "",
        "<!-- Generated by scripts/release_table.py from components/versions.py; do not edit by hand. -->",
        "",
        f"A stack selects its llm-d release with `llmd:release` (default `{new.name}`, the newest verified; "
        f"`{old.name}` is kept). Every image and chart the release pins is below; bold values change with the "
        "release. Preview an upgrade with `pulumi-llmd render STACK --out old --release "
        f"{old.name}`, `pulumi-llmd render STACK --out new` and `pulumi-llmd diff old new`.",
        "",
        f"- **{old.name}**: {old.source}",
        f"- **{new.name}**: {new.source}",
        "",
        "## Images and charts",
        "",
        *_pin_rows(old, new),
        "",
        "## Other settings of a release",
        "",
        *_setting_rows(old, new),
        "",
        "## Pins every release shares",
        "",
        "Not llm-d's choice: components read these module constants directly.",
        "",
        "| constant | value | digest | source |",
        "|---|---|---|---|",
    ]
    every: dict[str, ImagePin | ChartPin] = {**versions.IMAGE_PINS, **versions.CHART_PINS}
    for name in SHARED_PINS:
        pin = every[name]
        out.append(f"| `{name}` | {_value(pin)} | {_digest(pin)} | {_cell(pin.source)} |")
    out += ["", "## Not verified", "", "Pins whose version or digest could not be verified offline, and why.", ""]
    for field, why in UNVERIFIED.items():
        out.append(f"- `{field}`: {why}")
    pending: list[str] = []
    old_pins = old.pins()
    for field, new_pin in new.pins().items():
        old_pin = old_pins[field]
        if old_pin == new_pin:
            pending += [f"`{field}`"] if new_pin.digest is None else []
        else:
            pending += [f"`{field}` ({r.name})" for r, pin in ((old, old_pin), (new, new_pin)) if pin.digest is None]
    out.append(
        "- Digest pending (no public record found; `scripts/refresh_digests.py --write` resolves them from the "
        f"registries): {', '.join(pending) if pending else 'none'}."
    )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/releases.md instead of writing it")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run scripts/release_table.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
