"""llm-d's operations view on clusters with the self-managed Prometheus stack: upstream's Grafana dashboards as
ConfigMaps the Grafana sidecar of kube-prometheus-stack loads, and upstream's EPP alert rules as a PrometheusRule.

The dashboards and rules are llm-d's own (llm-d/llm-d ``guides/recipes/observability/grafana/dashboards/*.json`` and
``guides/recipes/observability/alerts/epp-alerting-rules.yaml`` at d557f83e, the v0.9.0-era tree), carried unchanged
in ``src/pulumi_llmd/observability/`` with a ``SOURCES.md`` (repository, commit, path, sha256) written by
``scripts/vendor_observability.py``. The Grafana sidecar of kube-prometheus-stack loads every ConfigMap labelled
``grafana_dashboard: "1"`` (prometheus-community/helm-charts ``charts/kube-prometheus-stack/values.yaml``
``grafana.sidecar.dashboards``: ``label: grafana_dashboard``, ``labelValue: "1"``); its provisioned Prometheus data
source has uid ``prometheus`` (same file, ``grafana.sidecar.datasources.uid``).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.resources
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypedDict, Unpack, overload

import pulumi
import yaml

from pulumi_llmd.components.args import component_args
from pulumi_llmd.components.kube import child_options, k8s_object

#: The package whose data folder ``observability/`` holds the vendored files.
_DATA_PACKAGE: Final = "pulumi_llmd"
_DATA_FOLDER: Final = "observability"
#: The upstream alert-rules file.
ALERT_RULES_FILE: Final = "epp-alerting-rules.yaml"
#: The label (and value) kube-prometheus-stack's Grafana sidecar loads dashboards from.
GRAFANA_DASHBOARD_LABEL: Final = "grafana_dashboard"
GRAFANA_DASHBOARD_LABEL_VALUE: Final = "1"
#: The uid of the Prometheus data source kube-prometheus-stack provisions in Grafana.
GRAFANA_PROMETHEUS_UID: Final = "prometheus"
#: The data-source variable llm-d's dashboards reference as ``${DS_PROMETHEUS}``.
DS_VARIABLE: Final = "DS_PROMETHEUS"


@dataclass(frozen=True)
class VendoredFile:
    """One carried upstream file: its name, provenance (``SOURCES.md`` row) and bytes' sha256 as recorded."""

    file: str
    repository: str
    commit: str
    path: str
    sha256: str


def _folder() -> Any:
    return importlib.resources.files(_DATA_PACKAGE).joinpath(_DATA_FOLDER)


def vendored_sources() -> dict[str, VendoredFile]:
    """File name -> its ``SOURCES.md`` row (``file | repository | commit | path | sha256``).

    Raises ValueError when ``SOURCES.md`` has no table or a row of the wrong width."""
    rows: dict[str, VendoredFile] = {}
    header: list[str] | None = None
    for line in _folder().joinpath("SOURCES.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        if len(cells) != len(header):
            raise ValueError(f"observability/SOURCES.md: row {line!r} has {len(cells)} cells, not {len(header)}")
        row = dict(zip(header, cells, strict=True))
        rows[row["file"]] = VendoredFile(row["file"], row["repository"], row["commit"], row["path"], row["sha256"])
    if header is None:
        raise ValueError("observability/SOURCES.md: no table")
    return rows


def vendored_bytes(name: str) -> bytes:
    """The carried bytes of ``name``. Raises ValueError when they do not match the sha256 ``SOURCES.md`` records."""
    data = _folder().joinpath(name).read_bytes()
    recorded = vendored_sources()[name].sha256
    if hashlib.sha256(data).hexdigest() != recorded:
        raise ValueError(f"observability/{name}: sha256 differs from SOURCES.md (run scripts/vendor_observability.py)")
    return bytes(data)


def _provisioned(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    """A dashboard as file provisioning needs it (a copy; upstream's file is not changed).

    Grafana resolves ``${DS_PROMETHEUS}`` only through a dashboard variable of that name (the ``__inputs`` of an
    exported dashboard are read by the import UI, not by file provisioning): six of llm-d's dashboards define it, the
    P/D coordinator dashboard does not, so a data-source variable like the others' is added where missing, defaulting
    to kube-prometheus-stack's data source. A dashboard without a ``uid`` (vLLM overview) gets its file name, so its
    URL is stable across Grafana restarts."""
    board = copy.deepcopy(dashboard)
    templating = board.setdefault("templating", {})
    variables = templating.setdefault("list", [])
    if not any(v.get("name") == DS_VARIABLE for v in variables):
        variables.insert(
            0,
            {
                "current": {"text": "Prometheus", "value": GRAFANA_PROMETHEUS_UID},
                "includeAll": False,
                "label": "datasource",
                "name": DS_VARIABLE,
                "options": [],
                "query": "prometheus",
                "refresh": 1,
                "regex": "",
                "type": "datasource",
            },
        )
    if not board.get("uid"):
        board["uid"] = name
    return board


def grafana_dashboards() -> dict[str, dict[str, Any]]:
    """llm-d's Grafana dashboards, name (the file name without ``.json``, e.g. ``llm-d-vllm-overview``) -> the
    dashboard as provisioned (see :func:`_provisioned`), sorted by name. Seven in the v0.9.0-era tree: inference
    gateway, vLLM overview, SGLang overview, performance / KV cache, P/D coordinator, failure & saturation,
    diagnostic drill-down."""
    boards: dict[str, dict[str, Any]] = {}
    for file in sorted(vendored_sources()):
        if file.endswith(".json"):
            name = file.removesuffix(".json")
            boards[name] = _provisioned(json.loads(vendored_bytes(file)), name)
    return boards


def epp_alert_rules() -> dict[str, Any]:
    """Upstream's ``PrometheusRule`` (``monitoring.coreos.com/v1``, name ``epp-alerting-rules``) as carried."""
    doc: dict[str, Any] = yaml.safe_load(vendored_bytes(ALERT_RULES_FILE))
    return doc


def epp_alert_groups() -> list[dict[str, Any]]:
    """The rule groups of :func:`epp_alert_rules` (``epp.availability``, ``epp.selfhealth``)."""
    groups: list[dict[str, Any]] = epp_alert_rules()["spec"]["groups"]
    return groups


def dashboard_config_map_manifest(*, name: str, namespace: str, dashboard: Mapping[str, Any]) -> dict[str, Any]:
    """A ConfigMap ``<name>`` holding ``dashboard`` as ``<name>.json``, labelled for the Grafana sidecar (pure)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {GRAFANA_DASHBOARD_LABEL: GRAFANA_DASHBOARD_LABEL_VALUE, "app.kubernetes.io/part-of": "llm-d"},
            "annotations": {"llm-d.ai/source": "llm-d/llm-d guides/recipes/observability/grafana/dashboards"},
        },
        "data": {f"{name}.json": json.dumps(dashboard, sort_keys=True, separators=(",", ":"), ensure_ascii=False)},
    }


def prometheus_rule_manifest(*, namespace: str) -> dict[str, Any]:
    """Upstream's EPP ``PrometheusRule`` in ``namespace`` (its name, labels and groups unchanged; pure)."""
    rule = epp_alert_rules()
    return {
        "apiVersion": rule["apiVersion"],
        "kind": rule["kind"],
        "metadata": {**rule["metadata"], "namespace": namespace},
        "spec": rule["spec"],
    }


class LlmdDashboardsArgs(TypedDict, total=False):
    """The arguments of :class:`LlmdDashboards` (give them as this object or as keyword arguments)."""

    namespace: str
    """Where the ConfigMaps and the PrometheusRule go: kube-prometheus-stack's namespace. Default: ``"monitoring"``."""
    alert_rules: bool
    """Also register upstream's EPP PrometheusRule. Default: True."""


class LlmdDashboards(pulumi.ComponentResource):
    """llm-d's Grafana dashboards (one ConfigMap each, labelled ``grafana_dashboard: "1"``) and EPP alert rules (a
    ``PrometheusRule`` ``epp-alerting-rules``) for kube-prometheus-stack. Type token ``llmd:platform:LlmdDashboards``.

    Give it the release of :class:`~pulumi_llmd.components.platform.PrometheusStack` in ``depends_on`` (the chart
    brings the PrometheusRule CRD and creates the namespace). Arguments: :class:`LlmdDashboardsArgs`.
    """

    @overload
    def __init__(self, name: str, args: LlmdDashboardsArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        name: str = "llm-d-dashboards",
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[LlmdDashboardsArgs],
    ) -> None: ...

    def __init__(
        self,
        name: str = "llm-d-dashboards",
        args: LlmdDashboardsArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        a = component_args(LlmdDashboardsArgs, "LlmdDashboards", args, kwargs)
        namespace = a.get("namespace", "monitoring")
        super().__init__("llmd:platform:LlmdDashboards", name, None, opts)
        child = child_options(self, opts)
        boards = grafana_dashboards()
        for board_name, board in boards.items():
            k8s_object(
                f"{name}-{board_name}",
                dashboard_config_map_manifest(name=board_name, namespace=namespace, dashboard=board),
                child,
            )
        if a.get("alert_rules", True):
            k8s_object(f"{name}-epp-alerting-rules", prometheus_rule_manifest(namespace=namespace), child)
        self.register_outputs({"dashboards": sorted(boards)})
