"""Escape hatch: node pools and node groups pass provider fields the components do not model through to the
resource (merged over the component's own)."""

from __future__ import annotations

from mock_program import one, run
from test_aws_components import node_group

from pulumi_llmd.components import catalog
from pulumi_llmd.components.gcp import GpuNodePool, TpuNodePool


def test_gpu_node_pool_node_config_is_merged_over_the_components() -> None:
    result = run(
        lambda: GpuNodePool(
            "l4",
            cluster="c",
            location="us-central1",
            project="p",
            shape=catalog.machine("gcp", "g2-standard-24"),
            zone="us-central1-a",
            min_nodes=0,
            max_nodes=2,
            provisioning="spot",
            node_config={"resourceLabels": {"team": "ml"}, "labels": {"extra": "yes"}},
        )
    )
    assert result.error is None, repr(result.error)
    config = one(result, "gcp:container/nodePool:NodePool").inputs["nodeConfig"]
    assert config["resourceLabels"] == {"team": "ml"}
    assert config["labels"] == {"llm-d.ai/pool": "l4", "llm-d.ai/accelerator": "nvidia-l4", "extra": "yes"}
    assert config["machineType"] == "g2-standard-24" and config["spot"] is True


def test_tpu_node_pool_takes_node_config_too() -> None:
    result = run(
        lambda: TpuNodePool(
            "v6e",
            cluster="c",
            location="us-east5",
            project="p",
            shape=catalog.machine("gcp", "ct6e-standard-4t"),
            zone="us-east5-b",
            node_count=1,
            node_config={"linuxNodeConfig": {"sysctls": {"net.core.somaxconn": "4096"}}},
        )
    )
    assert result.error is None, repr(result.error)
    config = one(result, "gcp:container/nodePool:NodePool").inputs["nodeConfig"]
    assert config["linuxNodeConfig"] == {"sysctls": {"net.core.somaxconn": "4096"}}


def test_gpu_node_group_inputs_are_merged_over_the_components() -> None:
    result, _ = node_group(node_group={"updateConfig": {"maxUnavailable": 2}, "labels": {"team": "ml"}})
    assert result.error is None, repr(result.error)
    group = one(result, "aws:eks/nodeGroup:NodeGroup").inputs
    assert group["updateConfig"] == {"maxUnavailable": 2}
    assert group["labels"]["team"] == "ml" and group["labels"]["llm-d.ai/pool"] == "h100"
