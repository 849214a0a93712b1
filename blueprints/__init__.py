"""llm-d's well-lit paths, composed from the components, and the stack configuration model.

>>> from pulumi_llmd.blueprints import parse_stack_config, deploy
"""

from pulumi_llmd.blueprints.config import (
    ConfigError,
    ConfigIssue,
    StackConfig,
    WellLitPath,
    parse_stack_config,
)
from pulumi_llmd.blueprints.deploy import Deployment, deploy, main, read_stack_config
from pulumi_llmd.blueprints.optimized_baseline import OptimizedBaseline

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "Deployment",
    "OptimizedBaseline",
    "StackConfig",
    "WellLitPath",
    "deploy",
    "main",
    "parse_stack_config",
    "read_stack_config",
]
