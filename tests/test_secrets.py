"""Secrets in the stack config: read as Pulumi secrets (also nested ones set with ``--path``), written only into
Kubernetes Secrets, never echoed by a config error; credentials in ``extraEnv`` / ``extraArgs`` are refused with the
way to reference a Secret (``secretEnv``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from pulumi_llmd.blueprints import ConfigError, ConfigIssue, main, parse_config_values, parse_stack_config
from pulumi_llmd.render.engine import run_program
from pulumi_llmd.render.render import render_stack
from tests.conftest import make_valid_config

REPO = Path(__file__).resolve().parent.parent
TOKEN = "hf_" + "Zq8x" * 8  # credential-shaped, never a real token
MODEL_TOKEN = "hf_" + "Mk3p" * 8


def _sim_model(**extra: Any) -> dict[str, Any]:
    return {"name": "random", "huggingFaceId": "random", "path": "simulated-accelerators", "replicas": 1, **extra}


def _values(models: list[dict[str, Any]], **more: str) -> dict[str, str]:
    return {
        "llmd:target": json.dumps({"cloud": "existing", "context": "kind-llm-d"}),
        "llmd:namespace": "llm-d-sim",
        "llmd:models": json.dumps(models),
        "llmd:gateway": json.dumps({"className": "istio"}),
        **more,
    }


def _error(values: dict[str, str], secret_keys: tuple[str, ...] = ()) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config_values(values, secret_keys)
    return info.value


# --- secret-only keys -------------------------------------------------------------------------------------------------


def test_plain_text_hf_token_is_an_error_naming_the_key_and_the_fix_never_the_value() -> None:
    err = _error(_values([_sim_model()], **{"llmd:hfToken": TOKEN}))
    text = str(err)
    assert "llmd:hfToken" in text
    assert "pulumi config set --secret llmd:hfToken" in text
    assert TOKEN not in text


def test_nested_plain_text_model_token_is_an_error_with_the_path_command() -> None:
    err = _error(_values([_sim_model(hfToken=TOKEN)]))
    text = str(err)
    assert "llmd:models[0].hfToken" in text
    assert "pulumi config set --secret --path 'llmd:models[0].hfToken'" in text
    assert TOKEN not in text


def test_a_secret_where_no_secret_belongs_is_an_error_naming_the_path() -> None:
    models = [_sim_model(servedName="[secret]")]  # what the render puts where a secure: value was
    err = _error(_values(models), secret_keys=("llmd:models",))
    assert [i.key for i in err.issues] == ["llmd:models[0].servedName"]
    assert "only llmd:hfToken" in err.issues[0].message


def test_under_pulumi_a_secret_models_key_without_a_known_secret_leaf_is_an_error() -> None:
    # The engine only says the whole key holds a secret (values decrypted): no hfToken in it -> misplaced secret.
    err = _error(_values([_sim_model(servedName="decrypted-value")]), secret_keys=("llmd:models",))
    assert [i.key for i in err.issues] == ["llmd:models"]


def test_secret_values_are_detached_from_the_plain_stack_config() -> None:
    values = _values([_sim_model(hfToken=MODEL_TOKEN)], **{"llmd:hfToken": TOKEN})
    parsed = parse_config_values(values, ("llmd:hfToken", "llmd:models"))
    assert parsed.secrets.hf_token == TOKEN
    assert parsed.secrets.model_hf_token(0) == MODEL_TOKEN
    dumped = parsed.config.model_dump_json()
    assert TOKEN not in dumped and MODEL_TOKEN not in dumped
    assert TOKEN not in repr(parsed) and MODEL_TOKEN not in repr(parsed)


# --- under the Pulumi engine: secrets stay Outputs marked secret ------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        if is_rpc_secret(value):
            return []
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_decrypted_nested_secrets_reach_only_kubernetes_secrets_as_pulumi_secrets() -> None:
    # What `pulumi up` hands the program: decrypted values, and the keys that hold a secure value.
    values = _values([_sim_model(hfToken=MODEL_TOKEN)], **{"llmd:hfToken": TOKEN})
    run = run_program(main, project="llmd", stack="t", config=values, secret_keys=("llmd:hfToken", "llmd:models"))
    run.raise_error()
    secrets = [r for r in run.resources if r.inputs.get("kind") == "Secret" and "stringData" in r.inputs]
    by_name = {r.inputs["metadata"]["name"]: r for r in secrets}
    assert {"llm-d-hf-token", "llm-d-hf-token-random"} <= set(by_name)
    for name in ("llm-d-hf-token", "llm-d-hf-token-random"):
        data = by_name[name].inputs["stringData"]  # the engine marks the whole map secret (a secret inside)
        assert is_rpc_secret(data) or is_rpc_secret(data["HF_TOKEN"])
    for resource in run.resources:
        for text in _strings(resource.inputs):
            assert TOKEN not in text and MODEL_TOKEN not in text, resource.urn


def _write_stack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(body)
    return path


_SIM_STACK = """config:
  llmd:target: {cloud: existing, context: kind-llm-d}
  llmd:cluster: {name: kind-llm-d}
  llmd:namespace: llm-d-sim
  llmd:hfToken: {secure: v1:AAAAtopLevelCipherText}
  llmd:models:
    - name: random
      huggingFaceId: random
      path: simulated-accelerators
      replicas: 1
      secretEnv: {VLLM_API_KEY: {secretName: vllm-api-key, key: token}}
  llmd:gateway: {name: llm-d-inference-gateway, className: istio}
"""


def test_render_masks_secrets_and_reads_secret_env_from_a_secret_key_ref(tmp_path: Path) -> None:
    path = _write_stack(tmp_path, _SIM_STACK)
    result = render_stack(str(path), project_dir=REPO, kar_version=None, twin=False)
    secret = next(m for m in result.manifests if m["kind"] == "Secret" and m["metadata"]["name"] == "llm-d-hf-token")
    assert secret["stringData"] == {"HF_TOKEN": "[secret]"}
    assert "AAAAtopLevelCipherText" not in result.resources_json() + result.manifests_yaml()
    envs = [
        e
        for m in result.manifests
        if m["kind"] == "Deployment"
        for c in m["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
        if e["name"] == "VLLM_API_KEY"
    ]
    assert envs, "the simulator reads VLLM_API_KEY"
    for entry in envs:
        assert entry["valueFrom"]["secretKeyRef"]["key"] == "token"
        assert "value" not in entry


def test_a_secure_value_nested_where_no_secret_belongs_fails_the_render_naming_the_path(tmp_path: Path) -> None:
    body = _SIM_STACK.replace("      replicas: 1\n", "      replicas: 1\n      servedName: {secure: v1:Zm9v}\n")
    path = _write_stack(tmp_path, body)
    with pytest.raises(Exception) as info:
        render_stack(str(path), project_dir=REPO, kar_version=None, twin=False)
    assert "llmd:models[0].servedName" in str(info.value)
    assert "v1:Zm9v" not in str(info.value)


# --- credentials in extraEnv / extraArgs ------------------------------------------------------------------------------

_BASE = {"target": {"cloud": "existing"}}


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (
            {"extraEnv": {"HF_TOKEN": TOKEN}},
            ("HF_TOKEN", "secretEnv.HF_TOKEN", "pulumi config set --secret llmd:hfToken"),
        ),
        ({"extraEnv": {"OPENAI_API_KEY": "plain-looking"}}, ("OPENAI_API_KEY", "secretEnv")),
        ({"extraEnv": {"SOME_SETTING": "sk-" + "a1B2" * 6}}, ("SOME_SETTING", "secretEnv")),
        ({"extraArgs": ["--api-key=abc123"]}, ("--api-key", "VLLM_API_KEY")),
        ({"extraArgs": ["--api-key", "abc123"]}, ("--api-key", "VLLM_API_KEY")),
        ({"extraArgs": ["--api-key abc123"]}, ("--api-key", "VLLM_API_KEY")),
        ({"extraArgs": ["--hf-token", TOKEN]}, ("--hf-token", "llmd:hfToken")),
        ({"extraArgs": ["--header", "Bearer abcdefghijkl"]}, ("credential", "secretEnv")),
    ],
)
def test_credentials_in_extra_env_or_args_are_refused_with_the_secret_reference_way(
    extra: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config({**_BASE, "models": [_sim_model(**extra)]})
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text
    for secret in ("abc123", TOKEN, "plain-looking", "sk-a1B2", "abcdefghijkl"):
        assert secret not in text


@pytest.mark.parametrize(
    "extra",
    [
        {"extraEnv": {"TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}},
        {"extraArgs": ["--hf-token"]},  # a switch: use the cached token
        {"extraArgs": ["--max-num-batched-tokens", "8192", "--tokenizer-mode", "auto"]},
        {"secretEnv": {"VLLM_API_KEY": {"secretName": "vllm-api-key", "key": "token"}}},
    ],
)
def test_ordinary_env_and_args_and_secret_env_are_accepted(extra: dict[str, Any]) -> None:
    parse_stack_config({**_BASE, "models": [_sim_model(**extra)]})


def test_an_env_var_in_both_extra_env_and_secret_env_is_an_error() -> None:
    extra = {"extraEnv": {"MY_SETTING": "x"}, "secretEnv": {"MY_SETTING": {"secretName": "s", "key": "k"}}}
    with pytest.raises(ConfigError, match="MY_SETTING set in both extraEnv and secretEnv"):
        parse_stack_config({**_BASE, "models": [_sim_model(**extra)]})


# --- error messages never print a secret ------------------------------------------------------------------------------


def test_an_unknown_key_holding_a_token_is_reported_without_its_value() -> None:
    with pytest.raises(ConfigError) as info:
        parse_stack_config({**_BASE, "models": [_sim_model(hfTokn=TOKEN, apiKey="letmein-please")]})
    text = str(info.value)
    assert "llmd:models[0].hfTokn" in text and "llmd:models[0].apiKey" in text
    assert TOKEN not in text and "letmein-please" not in text
    assert "[redacted]" in text


def test_config_issue_redacts_sensitive_and_credential_shaped_values_in_every_field() -> None:
    issue = ConfigIssue(key=f"llmd:models[0].extraEnv.{TOKEN}", value=TOKEN, message=f"bad value {TOKEN}")
    assert TOKEN not in str(issue) and TOKEN not in issue.model_dump_json()
    assert ConfigIssue(key="llmd:gateway.apiKey", value="short", message="x").value == "[redacted]"
    assert ConfigIssue(key="llmd:models[0].replicas", value=3, message="x").value == 3
    assert ConfigIssue(key="llmd:models[0].pool", value="h100", message="x").value == "h100"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--model=other/model"], "--model"),
        (["--max_model_len", "4096"], "--max-model-len"),
        (["-tp", "4"], "-tp"),
        (["--gpu-memory-utilization=0.5"], "--gpu-memory-utilization"),
    ],
)
def test_extra_args_cannot_override_what_the_model_fields_set(args: list[str], flag: str) -> None:
    config = make_valid_config()
    config["models"][0]["extraArgs"] = args
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert f"{flag} is set from the model's fields" in str(caught.value)


@pytest.mark.parametrize("prefix", ["/a/../b", "/a//b", "/a/./b", "/a/..", "/a/."])
def test_route_path_prefix_must_be_a_normalized_path(prefix: str) -> None:
    config = make_valid_config()
    config["models"][0]["routePathPrefix"] = prefix
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config)
    assert "llmd:models[0].routePathPrefix" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("models", 0, "servedName"), "hf_QwErTyUiOpAsDfGhJkLzXcVbNm1234567890"),
        (("models", 0, "routePathPrefix"), "/sk-proj-abcdefghijklmnopqrstuvwxyz0123"),
        (("target", "project"), "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_credential_shaped_values_anywhere_are_config_errors_without_echo(path: tuple[Any, ...], value: str) -> None:
    raw = make_valid_config()
    node: Any = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    values = {f"llmd:{k}": json.dumps(v) for k, v in raw.items()}
    with pytest.raises(ConfigError) as caught:
        parse_config_values(values)
    text = str(caught.value)
    assert value not in text and value[4:20] not in text
    assert "llmd:" + ".".join(str(p) for p in path).replace(".0.", "[0].") in text


def test_a_credential_as_an_env_name_is_a_config_error() -> None:
    raw = make_valid_config()
    raw["models"][0]["extraEnv"] = {"hf_QwErTyUiOpAsDfGhJkLzXcVbNm1234567890": "x"}
    with pytest.raises(ConfigError) as caught:
        parse_config_values({f"llmd:{k}": json.dumps(v) for k, v in raw.items()})
    assert "QwErTyUiOp" not in str(caught.value)
    assert "llmd:models[0].extraEnv: has a key shaped like a credential" in str(caught.value)
