"""``llmd:models[i].image``: a model server image of your own instead of the path's pin, immutable only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REPO, make_valid_config

from pulumi_llmd.blueprints import ConfigError, parse_stack_config
from pulumi_llmd.render.engine import run_program

CUSTOM = "registry.example.com/team/vllm-openai:v0.23.0-patched@sha256:" + "ab" * 32


def _containers(config: dict[str, Any]) -> dict[str, str]:
    run = run_program(
        REPO / "__main__.py",
        project="llmd",
        stack="image",
        config={f"llmd:{k}": json.dumps(v) for k, v in config.items()},
    )
    assert run.error is None, repr(run.error)
    images = {}
    for r in run.resources:
        if r.type == "kubernetes:apps/v1:Deployment":
            for c in r.inputs["spec"]["template"]["spec"]["containers"]:
                images[f"{r.inputs['metadata']['name']}/{c['name']}"] = c["image"]
    return images


def test_the_model_server_runs_the_given_image_and_the_picker_keeps_its_pin() -> None:
    config = make_valid_config()
    config["models"][0]["image"] = CUSTOM
    images = _containers(config)
    servers = {k: v for k, v in images.items() if "-decode/" in k}
    assert servers and set(servers.values()) == {CUSTOM}
    assert all(v != CUSTOM for k, v in images.items() if "-epp/" in k)


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("vllm/vllm-openai:latest", "tag 'latest' moves"),
        ("vllm/vllm-openai:nightly", "tag 'nightly' moves"),
        ("vllm/vllm-openai:v0", "tag 'v0' moves"),
        ("vllm/vllm-openai", "String should match pattern"),
        ("Vllm/Upper:v1.0.0", "String should match pattern"),
    ],
)
def test_moving_or_missing_tags_are_config_errors(image: str, fragment: str) -> None:
    config = make_valid_config()
    config["models"][0]["image"] = image
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert "llmd:models[0].image" in str(caught.value)
    assert fragment in str(caught.value)


def test_a_version_tag_without_digest_is_accepted() -> None:
    config = make_valid_config()
    config["models"][0]["image"] = "vllm/vllm-openai:v0.26.0"
    assert parse_stack_config(config).models[0].image == "vllm/vllm-openai:v0.26.0"
