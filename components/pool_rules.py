"""The size and capacity rules every accelerator pool obeys, written once for the node pool components and config
validation (one rule, one home): a fixed size or autoscaling bounds, and a reservation exactly when the capacity is
bought as one.

Each function takes a :class:`PoolKeys` naming the settings: :data:`ARG_KEYS` (the components' argument names,
``node_count``, ``min_nodes`` ...; the default) or :data:`STACK_POOL_KEYS` (a stack file's ``llmd:pools[i]`` keys,
``nodeCount``, ``autoscaling.minNodes`` ...). Every problem is ``"<key> = <value>: <what is allowed>"`` or
``"<key>: <what is allowed>"`` with ``key`` one of the keys, so config validation can file it under the stack key.

Sources: GKE node pool autoscaling bounds are per zone, ``0 <= min <= max`` (``autoscaling.min/max_node_count``,
cloud.google.com/kubernetes-engine/docs/concepts/cluster-autoscaler); flex-start node pools autoscale from zero (GKE
"About flex-start provisioning mode"); a GKE reservation is consumed by name (``reservationAffinity``) and an EC2
Capacity Block by its reservation id (``capacity_reservation_id``, docs.aws.amazon.com/eks "Capacity Blocks for ML").
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_llmd.components.args import count_problem, format_problem

__all__ = ["ARG_KEYS", "STACK_POOL_KEYS", "PoolKeys", "pool_size_problems", "reservation_problems"]


@dataclass(frozen=True)
class PoolKeys:
    """How the pool's settings are named in the messages (and which key a problem is filed under).

    The defaults are the components' argument names (:data:`ARG_KEYS`).

    Attributes:
        node_count: The fixed size's key. Default: "node_count".
        min_nodes: The autoscaling lower bound's key. Default: "min_nodes".
        max_nodes: The autoscaling upper bound's key. Default: "max_nodes".
        provisioning: The provisioning model's key. Default: "provisioning".
        reservation: The reservation's key. Default: "reservation".
    """

    node_count: str = "node_count"
    min_nodes: str = "min_nodes"
    max_nodes: str = "max_nodes"
    provisioning: str = "provisioning"
    reservation: str = "reservation"
    #: The key of "this pool must autoscale" (flex-start without autoscaling bounds). Default: "max_nodes".
    autoscaling: str = "max_nodes"


#: The components' argument names (``GpuNodePool``, ``TpuNodePool``).
ARG_KEYS = PoolKeys()
#: A stack file's pool keys (``llmd:pools[i].<key>``).
STACK_POOL_KEYS = PoolKeys(
    node_count="nodeCount",
    min_nodes="autoscaling.minNodes",
    max_nodes="autoscaling.maxNodes",
    autoscaling="autoscaling",
)
#: Provisioning bought as a reservation -> what ``reservation`` names (GKE: a reservation; EKS: a Capacity Block).
RESERVED_PROVISIONING = {
    "reservation": "a reservation name",
    "capacity-block": "a Capacity Block reservation id (cr-...)",
}


def pool_size_problems(
    node_count: object, min_nodes: object, max_nodes: object, keys: PoolKeys = ARG_KEYS
) -> list[str]:
    """What is wrong with a pool's size: ``node_count`` (fixed) or ``min_nodes``/``max_nodes`` (autoscaling,
    ``node_count`` then the initial size); counts are integers, ``0 <= min_nodes <= max_nodes``, ``max_nodes >= 1``,
    ``node_count >= 0`` and within the bounds. Counts are nodes (per zone on GKE). Empty when none.

    ``keys`` names the settings (:data:`ARG_KEYS`, the default, or :data:`STACK_POOL_KEYS`).
    """
    k = keys
    problems: list[str] = []
    counts = {k.node_count: node_count, k.min_nodes: min_nodes, k.max_nodes: max_nodes}
    bad = [key for key, v in counts.items() if v is not None and count_problem(key, v, minimum=0) is not None]
    for key in bad:
        problems.append(format_problem(key, counts[key], "must be an integer >= 0"))
    if bad:
        return problems
    assert node_count is None or isinstance(node_count, int)
    assert min_nodes is None or isinstance(min_nodes, int)
    assert max_nodes is None or isinstance(max_nodes, int)
    if node_count is None and max_nodes is None:
        problems.append(
            f"{k.node_count} = None: give {k.node_count} (fixed size) or {k.min_nodes}/{k.max_nodes} (autoscaling)"
        )
    if min_nodes is not None and max_nodes is None:
        problems.append(format_problem(k.min_nodes, min_nodes, f"give {k.max_nodes} too (autoscaling)"))
    if max_nodes is not None and (min_nodes or 0) > max_nodes:
        problems.append(
            format_problem(
                k.min_nodes,
                min_nodes,
                f"more than {k.max_nodes} = {max_nodes}; allowed: 0 <= {k.min_nodes} <= {k.max_nodes}",
            )
        )
    if max_nodes is not None and max_nodes < 1:
        problems.append(format_problem(k.max_nodes, max_nodes, "allowed: >= 1"))
    if max_nodes is not None and node_count is not None and not (min_nodes or 0) <= node_count <= max_nodes:
        problems.append(
            format_problem(
                k.node_count,
                node_count,
                f"the initial size must lie within [{k.min_nodes}, {k.max_nodes}] = [{min_nodes or 0}, {max_nodes}]",
            )
        )
    return problems


def reservation_problems(
    provisioning: str, reservation: str | None, max_nodes: int | None, keys: PoolKeys = ARG_KEYS
) -> list[str]:
    """What is wrong with ``reservation`` for ``provisioning`` (required with ``reservation`` on GKE and
    ``capacity-block`` on EKS, refused otherwise), and flex-start without autoscaling (``max_nodes`` None): GKE
    flex-start node pools autoscale from zero. Empty when none.

    ``keys`` names the settings, as for :func:`pool_size_problems` (:data:`ARG_KEYS`, the default, or
    :data:`STACK_POOL_KEYS`).
    """
    k = keys
    problems: list[str] = []
    wanted = RESERVED_PROVISIONING.get(provisioning)
    if wanted is not None and not reservation:
        problems.append(f"{k.reservation}: required when {k.provisioning} is {provisioning!r}; allowed: {wanted}")
    if wanted is None and reservation:
        problems.append(
            format_problem(
                k.reservation,
                reservation,
                f"only allowed with {k.provisioning} 'reservation' (GKE) or 'capacity-block' (EKS); "
                f"{k.provisioning} is {provisioning!r}",
            )
        )
    if provisioning == "flex-start" and max_nodes is None:
        problems.append(
            f"{k.autoscaling}: DWS {k.provisioning} 'flex-start' pools scale from zero; allowed: {k.min_nodes} = 0 "
            f"and {k.max_nodes} = N (autoscaling), not {k.node_count} alone"
        )
    return problems
