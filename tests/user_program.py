"""A platform team's program on an existing cluster, as a user writes it against the installed library.

Not a test: ``tests/test_user_typing.py`` installs the library into a fresh virtualenv (editable, then as a wheel) and
runs ``mypy --strict`` on this file (and on the README's ``examples/own_program.py``) from outside the repository.
"""

import pulumi

from pulumi_llmd.blueprints import StackConfig, parse_stack_config
from pulumi_llmd.blueprints.inference import LlmdInference, LlmdPlatform
from pulumi_llmd.components import catalog
from pulumi_llmd.components.base import AcceleratorPool
from pulumi_llmd.components.cluster import ExistingCluster, ExistingPool

l4 = ExistingPool(
    name="l4",
    node_selector={"nvidia.com/gpu.product": "NVIDIA-L4"},
    devices_per_node=2,
    vcpus=24,
    memory_gib=96,
    max_nodes=4,
    accelerator="nvidia-l4",
)
cluster = ExistingCluster("lab", context="kind-llm-d", pools=[l4])
pool: AcceleratorPool = cluster.pools["l4"]
platform = LlmdPlatform("llm-d", cluster=cluster)
qwen = LlmdInference("qwen3-8b", platform=platform, pool=pool, model="Qwen/Qwen3-8B", tensor_parallel_size=2)
devices: int = catalog.machine("gcp", "g2-standard-24").accelerator_count


def stack_models(raw: dict[str, object]) -> list[str]:
    """The model names of a stack file's ``config`` (the blueprints' typed stack model)."""
    config: StackConfig = parse_stack_config(raw)
    return [model.name for model in config.models]


pulumi.export("endpoint", qwen.url)
