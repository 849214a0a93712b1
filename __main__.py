"""The Pulumi program of every reference stack in ``stacks/`` (``pulumi up -s <stack>``), and of the offline render.

``deployment`` stays a module global so the offline render can read the validated stack config (its insecure choices).
"""

from pulumi_llmd.blueprints import main

deployment = main()
