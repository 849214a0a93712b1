"""The Pulumi program of every reference stack in ``stacks/`` (``pulumi up -s <stack>``), and of the offline render."""

from pulumi_llmd.blueprints import main

main()
