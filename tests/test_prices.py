"""The price table (a source and a date per machine type, unknown prices kept unknown) and the render summary's cost
view: accelerator hours per hour, list price per hour, estimated cost per million output tokens."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from pulumi_llmd.components import catalog, prices
from pulumi_llmd.render.cost import StackCost
from pulumi_llmd.render.render import RenderResult


def _stack_machine_types(repo_stacks: list[str]) -> set[str]:
    return {m for text in repo_stacks for m in re.findall(r"machineType:\s*(\S+)", text)}


def test_every_entry_has_region_source_and_date() -> None:
    for (cloud, machine_type), entry in prices.PRICES.items():
        assert (entry.cloud, entry.machine_type) == (cloud, machine_type)
        assert entry.region
        assert entry.source
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.read_on)
        if entry.usd_per_hour is not None:
            assert entry.source.startswith("https://"), entry
            assert entry.usd_per_hour > 0


def test_the_table_covers_the_reference_stacks_and_the_catalog(repo: object) -> None:
    from pathlib import Path

    stacks = [p.read_text() for p in sorted((Path(str(repo)) / "stacks").glob("Pulumi.*.yaml"))]
    for machine_type in _stack_machine_types(stacks):
        assert prices.price("gcp", machine_type) or prices.price("aws", machine_type), machine_type
    for cloud in ("gcp", "aws"):
        for accelerator in catalog.accelerators(cloud):
            shape = catalog.machine_for_accelerator(cloud, accelerator.name)
            assert prices.price(cloud, shape.machine_type) is not None, (cloud, shape.machine_type)


def test_flagship_summary_numbers_come_from_the_plan_and_the_table(flagship: RenderResult) -> None:
    cost = flagship.cost
    assert isinstance(cost, StackCost) and cost.priced
    (h100,) = [p for p in cost.pools if p.name == "h100"]
    shape = catalog.machine("gcp", h100.machine_type)
    assert cost.accelerator_hours_per_hour == (
        shape.accelerator_count * h100.min_nodes,
        shape.accelerator_count * h100.max_nodes,
    )
    entry = prices.price("gcp", h100.machine_type)
    assert entry is not None
    summary = flagship.summary()
    low, high = cost.accelerator_hours_per_hour
    assert f"accelerator hours per hour: {low}-{high}" in summary or f"accelerator hours per hour: {low}" in summary
    if entry.usd_per_hour is None:
        assert "price unknown" in summary
        assert f"no sourced price for {h100.machine_type}" in summary
        (token,) = cost.tokens
        assert token.usd_per_million_output_tokens is None
        assert "unknown (no sourced price)" in summary
    report = json.loads(flagship.render_json())["results"]["cost"]
    assert report["acceleratorHoursPerHour"] == {"min": low, "max": high}
    assert report["estimatedUsdPerMillionOutputTokens"][0]["estimate"] is True


def test_a_priced_pool_gives_list_price_and_token_cost(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered("eks-p5en-pd-disaggregation")
    cost = result.cost
    assert cost is not None
    (h200,) = [p for p in cost.pools if p.accelerator]
    entry = prices.price("aws", h200.machine_type)
    assert entry is not None and entry.usd_per_hour is not None
    # The priced part sums the pools whose machine type has a sourced price in the table.
    rated = [(e.usd_per_hour, p) for p in cost.pools if (e := prices.price("aws", p.machine_type)) and e.usd_per_hour]
    assert cost.usd_per_hour_priced == pytest.approx(
        (sum(r * p.min_nodes for r, p in rated), sum(r * p.max_nodes for r, p in rated))
    )
    assert f"USD {entry.usd_per_hour:.3f}/node-hour ({entry.source}, read {entry.read_on})" in result.summary()
    # The total is known only when every pool (the system node group too) has a sourced price.
    entries = [prices.price("aws", p.machine_type) for p in cost.pools]
    if all(e is not None and e.usd_per_hour is not None for e in entries):
        rates = [e.usd_per_hour for e in entries if e is not None and e.usd_per_hour is not None]
        low = sum(r * p.min_nodes for r, p in zip(rates, cost.pools, strict=True))
        high = sum(r * p.max_nodes for r, p in zip(rates, cost.pools, strict=True))
        assert cost.usd_per_hour == pytest.approx((low, high))
        assert "list price per hour: USD" in result.summary()
    else:
        assert cost.usd_per_hour is None
        assert "unknown in total" in result.summary()


def test_cost_per_million_tokens_from_published_throughput() -> None:
    published = prices.published_throughput("optimized-baseline", "nvidia-h100-80gb")
    assert published is not None and published.accelerators == 16 and published.output_tokens_per_second == 13163.0
    usd = prices.usd_per_million_output_tokens(10.0, published)
    assert usd == pytest.approx(10.0 * 16 / (13163.0 * 3600) * 1e6)
    assert prices.published_throughput("optimized-baseline", "nvidia-l40s") is None


def test_existing_clusters_are_not_priced(rendered: Callable[[str], RenderResult]) -> None:
    result = rendered("kind-simulated-accelerators")
    assert result.cost is not None and not result.cost.priced
    assert "cost: not priced" in result.summary()
