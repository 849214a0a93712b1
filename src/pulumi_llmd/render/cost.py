"""What a stack costs to run, for the render summary and ``render.json``: accelerator hours per hour and on-demand list
price per hour of its node pools, and, where llm-d publishes throughput for the path and hardware, an estimated cost
per million output tokens. Every number comes from the stack's plan and ``components/prices.py`` (price, region,
source, date); a machine type without a sourced price is "unknown", never guessed.

Counts: each accelerator pool at its planned size (``nodeCount``; ``autoscaling`` min..max nodes) and the cluster's
system pool (GKE ``cluster.systemPool`` min..max; EKS the system node group, at least 2 nodes). Existing clusters
(and kind) are not priced: their nodes are not bought by the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_llmd.blueprints.config import StackConfig
from pulumi_llmd.blueprints.plan import plan_stack, system_machine_type
from pulumi_llmd.components import prices

#: The EKS system node group's smallest size (blueprints/targets/eks.py keeps at least 2 nodes).
_EKS_SYSTEM_MIN_NODES = 2


@dataclass(frozen=True)
class PoolCost:
    """One node pool of a stack, priced.

    Attributes:
        name: The pool's name (``pools[].name``, or ``system``).
        machine_type: Its machine type.
        accelerator: The accelerator name ("" for a CPU pool).
        accelerators_per_node: Accelerators of one node (0 for a CPU pool).
        min_nodes, max_nodes: Its planned size (equal for a fixed pool).
        price: The price table's entry; None when the table lacks the machine type.
    """

    name: str
    machine_type: str
    accelerator: str
    accelerators_per_node: int
    min_nodes: int
    max_nodes: int
    price: prices.MachinePrice | None

    @property
    def usd_per_hour(self) -> tuple[float, float] | None:
        """(min, max) USD per hour; None when the price is unknown."""
        if self.price is None or self.price.usd_per_hour is None:
            return None
        return self.price.usd_per_hour * self.min_nodes, self.price.usd_per_hour * self.max_nodes


@dataclass(frozen=True)
class TokenCost:
    """An estimated cost per million output tokens for one model (see :func:`prices.usd_per_million_output_tokens`)."""

    model: str
    path: str
    usd_per_million_output_tokens: float | None
    throughput: prices.PublishedThroughput
    price_source: str


@dataclass(frozen=True)
class StackCost:
    """A stack's cost view (see the module docstring). ``priced``: False on existing clusters."""

    cloud: str
    region: str
    priced: bool
    pools: tuple[PoolCost, ...] = ()
    tokens: tuple[TokenCost, ...] = field(default=())

    @property
    def accelerator_hours_per_hour(self) -> tuple[int, int]:
        """(min, max) accelerators x nodes over the accelerator pools."""
        return (
            sum(p.accelerators_per_node * p.min_nodes for p in self.pools),
            sum(p.accelerators_per_node * p.max_nodes for p in self.pools),
        )

    @property
    def usd_per_hour(self) -> tuple[float, float] | None:
        """(min, max) list price per hour of every pool; None when any pool's price is unknown."""
        parts = [p.usd_per_hour for p in self.pools]
        if not parts or any(p is None for p in parts):
            return None
        known = [p for p in parts if p is not None]
        return sum(p[0] for p in known), sum(p[1] for p in known)

    @property
    def usd_per_hour_priced(self) -> tuple[float, float] | None:
        """(min, max) list price per hour of the pools with a sourced price (a lower bound when others are
        unknown); None when no pool has one."""
        known = [p.usd_per_hour for p in self.pools if p.usd_per_hour is not None]
        if not known:
            return None
        return sum(p[0] for p in known if p is not None), sum(p[1] for p in known if p is not None)

    @property
    def unknown_prices(self) -> list[str]:
        """Machine types of the stack without a sourced price (sorted, unique)."""
        return sorted({p.machine_type for p in self.pools if p.usd_per_hour is None})

    def lines(self) -> list[str]:
        """The summary's cost block."""
        if not self.priced:
            return ["cost: not priced (existing cluster: the stack buys no nodes)"]
        low, high = self.accelerator_hours_per_hour
        lines = [
            f"cost (on-demand list prices, {self.cloud} {self.region}; estimates, excluding cluster fee, disks, "
            "network, taxes):",
            f"  accelerator hours per hour: {_span(low, high)}",
        ]
        usd, priced = self.usd_per_hour, self.usd_per_hour_priced
        if usd is not None:
            lines.append(f"  list price per hour: USD {_span_usd(*usd)}")
        elif priced is not None:
            lines.append(
                f"  list price per hour: unknown in total (no sourced price for {', '.join(self.unknown_prices)}); "
                f"priced pools USD {_span_usd(*priced)}"
            )
        else:
            lines.append(f"  list price per hour: unknown (no sourced price for {', '.join(self.unknown_prices)})")
        for pool in self.pools:
            each = pool.usd_per_hour
            what = f"{pool.accelerators_per_node} x {pool.accelerator}" if pool.accelerator else "CPU"
            price = (
                f"USD {pool.price.usd_per_hour:.3f}/node-hour ({pool.price.source}, read {pool.price.read_on})"
                if pool.price is not None and pool.price.usd_per_hour is not None and each is not None
                else "price unknown"
            )
            lines.append(
                f"  pool {pool.name}: {pool.machine_type} ({what}), nodes {_span(pool.min_nodes, pool.max_nodes)}, "
                f"{price}"
            )
        for token in self.tokens:
            value = (
                f"USD {token.usd_per_million_output_tokens:.2f}"
                if token.usd_per_million_output_tokens is not None
                else "unknown (no sourced price)"
            )
            t = token.throughput
            lines.append(
                f"  estimated cost per million output tokens, model {token.model}: {value} (estimate: upstream's "
                f"{t.output_tokens_per_second:,.0f} output tok/s on {t.accelerators} x {t.accelerator}, {t.model}, "
                f"{token.path}; {t.source})"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        """The ``render.json`` form (``cost`` under ``results``)."""
        low, high = self.accelerator_hours_per_hour
        usd, priced = self.usd_per_hour, self.usd_per_hour_priced
        return {
            "priced": self.priced,
            "cloud": self.cloud,
            "region": self.region,
            "acceleratorHoursPerHour": {"min": low, "max": high},
            "usdPerHour": None if usd is None else {"min": round(usd[0], 4), "max": round(usd[1], 4)},
            "usdPerHourPricedPools": None
            if priced is None
            else {"min": round(priced[0], 4), "max": round(priced[1], 4)},
            "unknownPrices": self.unknown_prices,
            "pools": [
                {
                    "name": p.name,
                    "machineType": p.machine_type,
                    "accelerator": p.accelerator,
                    "acceleratorsPerNode": p.accelerators_per_node,
                    "minNodes": p.min_nodes,
                    "maxNodes": p.max_nodes,
                    "usdPerNodeHour": p.price.usd_per_hour if p.price is not None else None,
                    "priceSource": p.price.source if p.price is not None else None,
                    "priceRegion": p.price.region if p.price is not None else None,
                    "priceReadOn": p.price.read_on if p.price is not None else None,
                }
                for p in self.pools
            ],
            "estimatedUsdPerMillionOutputTokens": [
                {
                    "model": t.model,
                    "path": t.path,
                    "usd": None
                    if t.usd_per_million_output_tokens is None
                    else round(t.usd_per_million_output_tokens, 4),
                    "throughputSource": t.throughput.source,
                    "priceSource": t.price_source,
                    "estimate": True,
                }
                for t in self.tokens
            ],
        }


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _span_usd(low: float, high: float) -> str:
    return f"{low:,.2f}" if low == high else f"{low:,.2f}-{high:,.2f}"


def stack_cost(config: StackConfig) -> StackCost:
    """The cost view of ``config`` (pure; see the module docstring)."""
    target = config.target
    cloud = target.cloud
    if cloud not in ("gcp", "aws"):
        return StackCost(cloud=cloud, region="", priced=False)
    region = str(getattr(target, "region", ""))
    plan = plan_stack(config)
    pools: list[PoolCost] = []
    for pool in plan.pools:
        autoscaling = pool.config.autoscaling
        low = autoscaling.min_nodes if autoscaling is not None else (pool.config.node_count or 0)
        high = pool.max_nodes
        shape = pool.shape
        pools.append(
            PoolCost(
                name=pool.name,
                machine_type=shape.machine_type,
                accelerator=shape.accelerator.name,
                accelerators_per_node=shape.accelerator_count,
                min_nodes=low,
                max_nodes=high,
                price=prices.price(cloud, shape.machine_type),
            )
        )
    system = config.cluster.system_pool
    # The configured systemPool.machineType, else the cloud's default (gcp e2-standard-8, aws m6i.2xlarge).
    system_type = system_machine_type(config) or ""
    if cloud == "gcp":
        system_low, system_high = system.min_nodes, system.max_nodes
    else:
        system_low = max(_EKS_SYSTEM_MIN_NODES, system.min_nodes)
        system_high = max(_EKS_SYSTEM_MIN_NODES, system.max_nodes)
    pools.append(PoolCost("system", system_type, "", 0, system_low, system_high, prices.price(cloud, system_type)))
    tokens: list[TokenCost] = []
    for model in plan.models:
        if model.pool is None:
            continue
        shape = model.pool.shape
        published = prices.published_throughput(str(model.config.path), shape.accelerator.name)
        if published is None:
            continue
        entry = prices.price(cloud, shape.machine_type)
        value = None
        if entry is not None and entry.usd_per_hour is not None and shape.accelerator_count:
            value = prices.usd_per_million_output_tokens(entry.usd_per_hour / shape.accelerator_count, published)
        tokens.append(
            TokenCost(
                model=model.name,
                path=str(model.config.path),
                usd_per_million_output_tokens=value,
                throughput=published,
                price_source=entry.source if entry is not None else "not in the price table",
            )
        )
    return StackCost(cloud=cloud, region=region, priced=True, pools=tuple(pools), tokens=tuple(tokens))
