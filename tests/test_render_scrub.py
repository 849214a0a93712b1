"""The render's scrub without known secrets shares the parts it leaves unchanged and still equals redact.scrub."""

from __future__ import annotations

import json
from pathlib import Path

GOLDENS = Path(__file__).resolve().parent.parent / "goldens"


def test_scrub_without_secrets_shares_what_it_leaves_unchanged() -> None:
    """build_result's scrub without known secrets equals redact.scrub, also where it redacts."""
    from pulumi_llmd.redact import scrub
    from pulumi_llmd.render.render import _scrub_unchanged_shared

    for path in sorted(GOLDENS.glob("*/resources.json")):
        resources = json.loads(path.read_text())
        assert _scrub_unchanged_shared(resources, "") == scrub(resources)
    leaky = [
        {
            "inputs": {
                "spec": {
                    "containers": [
                        {
                            "env": [{"name": "HF_TOKEN", "value": "hf_abcdefghijklmnopqrstuvwxyz0123"}],
                            "args": ["--api-key", "sk-abcdefghijklmnopqrstuvwxyz012345", "--port=8000"],
                            "command": ["serve", "--token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
                        }
                    ]
                }
            }
        }
    ]
    shared = _scrub_unchanged_shared(leaky, "")
    assert shared == scrub(leaky)
    assert shared != leaky
