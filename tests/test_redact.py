"""The redaction layer: secret values and credential-shaped strings never reach an output channel."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_llmd.redact import REDACTED, RedactingFilter, is_sensitive_name, looks_like_credential, redact, redact_value

HF = "hf_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"
CREDENTIALS = [
    HF,
    "sk-proj-" + "Ab1" * 10,
    "ghp_" + "a1B2" * 9,
    "github_pat_" + "11ABCDEFG0" * 4,
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAY34FZKBOKMUTVV7A",
    "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"[:35],
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "https://user:s3cr3t@registry.example.com/v2/",
    "Bearer abcdef0123456789",
]
NOT_CREDENTIALS = [
    "Qwen/Qwen3-32B",
    "meta-llama/Llama-3.3-70B-Instruct",
    "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
    "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
    "projects/my-project-123/locations/us-central1/keyRings/llm-d/cryptoKeys/llm-d-secrets",
    "vllm/vllm-openai:v0.23.0@sha256:6d8429e38e3747723ca07ee1b17972e09bb9c51c4032b266f24fb1cc3b22ed8f",
    "sha256:" + "0" * 64,
    "7d95c90e1f0a2b3c4d5e6f708192a3b4c5d6e7f8",
    "llm-d-inference-gateway-istio",
    "oci://registry.k8s.io/kueue/charts/kueue",
    "8192",
    "gke-l7-regional-external-managed",
    "https://huggingface.co/Qwen/Qwen3-32B",
    "/var/run/secrets/kubernetes.io/serviceaccount",
]


@pytest.mark.parametrize("value", CREDENTIALS)
def test_credential_shapes_are_recognized(value: str) -> None:
    assert looks_like_credential(value)
    assert "s3cr3t" not in redact(f"value: {value}")
    assert REDACTED in redact(f"x {value} y")


@pytest.mark.parametrize("value", NOT_CREDENTIALS)
def test_ordinary_values_are_kept(value: str) -> None:
    assert not looks_like_credential(value)
    assert redact(f"image: {value}") == f"image: {value}"


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("HF_TOKEN", True),
        ("hfToken", True),
        ("HUGGING_FACE_HUB_TOKEN", True),
        ("--api-key", True),
        ("OPENAI_API_KEY", True),
        ("aws_secret_access_key", True),
        ("clientSecret", True),
        ("DB_PASSWORD", True),
        ("TOKENIZERS_PARALLELISM", False),
        ("--tokenizer", False),
        ("--max-num-batched-tokens", False),
        ("kvBytesPerToken", False),
        ("VLLM_PORT", False),
        ("authentication", False),
        ("secretName", False),
        ("clientSecretName", False),
        ("secretKeyRef", False),
        ("existingSecret", False),
        ("tokenPath", False),
    ],
)
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


def test_values_under_sensitive_names_are_redacted_in_every_spelling() -> None:
    text = "\n".join(
        [
            "HF_TOKEN=plainvalue1",
            "--api-key=plainvalue2",
            "--api-key plainvalue3",
            "hfToken: plainvalue4",
            '{"DB_PASSWORD": "plainvalue5"}',
            "env[name=HF_TOKEN].value: plainvalue6 -> plainvalue7",
        ]
    )
    out = redact(text)
    assert "plainvalue" not in out
    assert out.count(REDACTED) == 6


def test_known_secrets_are_redacted_whatever_their_shape() -> None:
    assert redact("the value is abcd and abcde", secrets=["abcde"]) == f"the value is abcd and {REDACTED}"
    assert redact("short x", secrets=["x"]) == "short x"  # too short to redact safely


def test_prose_and_config_errors_stay_readable() -> None:
    message = "llmd:hfToken: the token is missing; set it with `pulumi config set --secret llmd:hfToken`"
    assert redact(message) == message
    leaked = f"llmd:models[0].hfToken = {HF!r}: unknown key"
    assert redact(leaked) == f"llmd:models[0].hfToken = '{REDACTED}': unknown key"


def test_redact_value_by_name_or_shape() -> None:
    assert redact_value("HF_TOKEN", "anything") == REDACTED
    assert redact_value("MODEL", HF) == REDACTED
    assert redact_value("MODEL", "Qwen/Qwen3-32B") == "Qwen/Qwen3-32B"
    assert redact_value("replicas", 3) == 3


def test_logging_filter_redacts_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test-redact")
    logger.addFilter(RedactingFilter(secrets=["mysecretvalue"]))
    with caplog.at_level(logging.INFO, logger="test-redact"):
        logger.info("token %s and %s", HF, "mysecretvalue")
    assert HF not in caplog.text and "mysecretvalue" not in caplog.text
    assert caplog.text.count(REDACTED) == 2


@settings(max_examples=300, deadline=None)
@given(prefix=st.text(max_size=40), suffix=st.text(max_size=40))
def test_a_hugging_face_token_never_survives_any_surrounding_text(prefix: str, suffix: str) -> None:
    out = redact(prefix + " " + HF + " " + suffix)
    assert HF not in out
    assert redact(out) == out  # idempotent
