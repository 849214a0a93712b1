"""llm-d's well-lit paths, composed from the components, and the stack configuration model.

>>> from pulumi_llmd.blueprints import parse_stack_config, deploy
"""

from pulumi_llmd.blueprints.config import StackConfig, WellLitPath
from pulumi_llmd.blueprints.deploy import Deployment, deploy, main, read_stack_config
from pulumi_llmd.blueprints.issues import ConfigError, ConfigIssue
from pulumi_llmd.blueprints.paths import PathContext, ServedModel
from pulumi_llmd.blueprints.paths.optimized_baseline import OptimizedBaseline
from pulumi_llmd.blueprints.plan import StackPlan, plan_stack
from pulumi_llmd.blueprints.validation import parse_config_values, parse_stack_config

# engineer L: import the high-level component from pulumi_llmd.blueprints.inference above and list it here.
__all__ = [
    "ConfigError",
    "ConfigIssue",
    "Deployment",
    "OptimizedBaseline",
    "PathContext",
    "ServedModel",
    "StackConfig",
    "StackPlan",
    "WellLitPath",
    "deploy",
    "main",
    "parse_config_values",
    "parse_stack_config",
    "plan_stack",
    "read_stack_config",
]
