"""Escape hatch: every Helm release wrapper takes ``values`` merged over the library's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from mock_program import run

from pulumi_llmd.components.kube import merge_values
from pulumi_llmd.components.platform import (
    AgentGateway,
    CertManager,
    DcgmExporter,
    EfaDevicePlugin,
    IstioGateway,
    Kueue,
    LeaderWorkerSetController,
    NvidiaDevicePlugin,
    PrometheusAdapter,
    PrometheusStack,
)

OVERRIDE = {"extra": {"setting": "on"}}


def _prometheus_adapter(**kwargs: Any) -> pulumi.ComponentResource:
    return PrometheusAdapter(
        prometheus_url="http://prometheus.monitoring.svc", metrics=["vllm:num_requests_waiting"], **kwargs
    )


WRAPPERS: dict[str, tuple[Callable[..., pulumi.ComponentResource], str]] = {
    "nvidia-device-plugin": (NvidiaDevicePlugin, "nvidia-device-plugin"),
    "efa-device-plugin": (EfaDevicePlugin, "aws-efa-k8s-device-plugin"),
    "dcgm-exporter": (DcgmExporter, "dcgm-exporter"),
    "prometheus-stack": (PrometheusStack, "kube-prometheus-stack"),
    "prometheus-adapter": (_prometheus_adapter, "prometheus-adapter"),
    "cert-manager": (CertManager, "cert-manager"),
    "kueue": (Kueue, "kueue"),
    "lws": (LeaderWorkerSetController, "lws"),
    "istio": (IstioGateway, "istiod"),
    "agentgateway": (AgentGateway, "agentgateway"),
}


def _release(result: Any, chart_suffix: str) -> dict[str, Any]:
    releases = [r.inputs for r in result.resources if r.type == "kubernetes:helm.sh/v3:Release"]
    matching = [r for r in releases if str(r["chart"]).rstrip("/").endswith(chart_suffix)]
    assert matching, [r["chart"] for r in releases]
    return matching[0]


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_values_are_merged_over_the_librarys(wrapper: str) -> None:
    factory, chart = WRAPPERS[wrapper]
    plain = run(lambda: factory())
    assert plain.error is None, repr(plain.error)
    library = _release(plain, chart)["values"]
    result = run(lambda: factory(values=OVERRIDE))
    assert result.error is None, repr(result.error)
    values = _release(result, chart)["values"]
    assert values == {**library, **OVERRIDE}


def test_merge_values_merges_mappings_replaces_lists_and_deletes_with_none() -> None:
    base = {"image": {"repository": "r", "tag": "t"}, "args": ["--a"], "keep": 1, "drop": {"x": 1}}
    merged = merge_values(base, {"image": {"tag": "u"}, "args": ["--b"], "drop": None})
    assert merged == {"image": {"repository": "r", "tag": "u"}, "args": ["--b"], "keep": 1}
    assert base["image"] == {"repository": "r", "tag": "t"}  # unchanged
