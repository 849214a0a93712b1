"""pulumi-llm-d."""
