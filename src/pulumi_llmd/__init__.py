"""pulumi-llm-d: typed Pulumi components and reference stacks for llm-d's well-lit paths.

Import namespace ``pulumi_llmd``: ``pulumi_llmd.components`` (cloud clusters, accelerator pools, platform add-ons,
llm-d serving), ``pulumi_llmd.blueprints`` (the well-lit paths and the stack configuration model),
``pulumi_llmd.policies`` (pure policy rules) and ``pulumi_llmd.render`` (the offline render under the mock engine).
"""

__version__ = "0.1.0"
