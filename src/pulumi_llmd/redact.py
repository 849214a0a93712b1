"""Redaction: keep secret values and credential-shaped strings out of every output channel.

Every text the project prints or writes where a person or a CI log can read it - config errors, log lines, the render
summary, ``pulumi-llmd diff`` (text and Markdown), policy and twin reports - goes through :func:`redact`. Two kinds of
value are removed:

* **known secrets** - the plain values of the stack's Pulumi secrets, passed in ``secrets``;
* **credential-shaped values** - :func:`looks_like_credential` recognizes the published formats of the tokens a model
  stack handles (Hugging Face ``hf_…``, OpenAI-style ``sk-…``, GitHub ``ghp_…``/``github_pat_…``, AWS access key ids
  ``AKIA…``/``ASIA…``, Google API keys ``AIza…``, Slack ``xox?-…``, JWTs, PEM private keys, ``Bearer`` values, passwords
  in URLs) and long high-entropy tokens; and any value given under a sensitive name (:func:`is_sensitive_name`:
  ``HF_TOKEN``, ``--api-key``, ``password`` …) in ``NAME=value``, ``--flag=value`` or ``name: value`` form.

Digests (``sha256:<64 hex>``), commit ids and other pure-hex strings are not credentials and are kept, so renders and
diffs stay readable.

Token formats: huggingface.co/docs/hub/security-tokens (``hf_`` prefix), docs.github.com "About authentication to
GitHub" (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``), AWS IAM "Access key ID" (``AKIA``
long-term, ``ASIA`` temporary, 20 characters), cloud.google.com/docs/authentication/api-keys (``AIza`` + 35),
RFC 7519 (JWT: three base64url parts, the first two JSON objects starting ``eyJ``), RFC 7468 (PEM).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final

#: What a redacted value is replaced by.
REDACTED: Final = "[redacted]"

#: Credential formats recognized anywhere in a text (each is a whole token, not a substring of a longer word).
_CREDENTIAL_PATTERNS: Final = (
    r"hf_[A-Za-z0-9]{20,}",
    r"sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}",
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    r"AIza[0-9A-Za-z_-]{35}",
    r"xox[abposr]-[A-Za-z0-9-]{10,}",
    r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    r"glpat-[A-Za-z0-9_-]{20,}",
    r"nvapi-[A-Za-z0-9_-]{20,}",
)
_CREDENTIAL_RE: Final = re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(_CREDENTIAL_PATTERNS) + r")(?![A-Za-z0-9_])")
_PEM_RE: Final = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
_BEARER_RE: Final = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}")
_URL_PASSWORD_RE: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(@)")
#: A name is sensitive when one of its words is one of these (words split at ``_ - . /`` and camelCase).
_SENSITIVE_WORDS: Final = frozenset(
    {"token", "secret", "secrets", "password", "passwd", "pwd", "credential", "credentials", "apikey"}
)
#: Word pairs that make a name sensitive (``api_key``, ``private-key``, ``accessKey``, ``auth token`` …).
_SENSITIVE_PAIRS: Final = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"), ("client", "secret"), ("auth", "key")}
)
#: Words before ``token`` that make it a token count or a special token, not a credential.
_TOKEN_COUNT_WORDS: Final = frozenset({"per", "max", "num", "bos", "eos", "pad", "unk", "first", "last"})
#: Last words that make a name a reference to a secret (its name, path or kind), not the secret itself.
_REFERENCE_WORDS: Final = frozenset({"name", "names", "ref", "refs", "file", "path", "dir", "namespace", "type", "ttl"})
_CONFIG_KEY_RE: Final = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z][\w.\[\]-]*`?$")
_HEX_RE: Final = re.compile(r"^(?:sha256:|sha512:)?[0-9a-fA-F]+$")
_TOKENISH_RE: Final = re.compile(r"^[A-Za-z0-9+/=_.~-]+$")
_WORD_SPLIT_RE: Final = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
#: ``NAME=value`` / ``--flag=value`` / ``--flag value`` / ``name: value`` / ``"name": "value"`` with a sensitive name.
_ASSIGNMENT_RE: Final = re.compile(
    r"(?P<name>--?[A-Za-z][A-Za-z0-9_.-]*|[A-Za-z_][A-Za-z0-9_.-]*)"
    r"(?P<sep>\"?[ \t]*(?:=|:)[ \t]*|[ \t]+)(?P<quote>['\"]?)"
    r"(?P<value>[^\s'\",}\]]+)"
)

#: Values that are not secrets whatever their name: YAML/JSON literals and the start of a structure
#: (``automountServiceAccountToken: false``, ``"allowCredentials": {``, ``tokenLimit: 100``).
_LITERAL_RE: Final = re.compile(r"(?i)^(?:true|false|null|none|yes|no|~|-?\d{1,6}(?:\.\d+)?|[{\[|>&*\\].*)$")
#: Chunks of a value: a word (``Container``, ``registry``), an upper-case run, a number.
_CHUNK_RE: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

#: A list item picked by name, as diffs and errors print it: ``env[name=HF_TOKEN].value: <rest of the line>``.
_LISTED_RE: Final = re.compile(r"(?P<head>\[name=(?P<name>[^\]]+)\][^\s:=]*\s*(?:=|:)\s*)(?P<rest>[^\n]+)")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT_RE.split(name) if w]


def is_sensitive_name(name: str) -> bool:
    """Whether a key, env name or flag names a credential: one of its words is token/secret/password/credential/
    apikey, or two adjacent words are api+key, private+key, access+key, secret+key, client+secret or auth+key.

    Words split at non-alphanumerics and camelCase, so ``HF_TOKEN``, ``hfToken``, ``--api-key``, ``OPENAI_API_KEY``,
    ``aws_secret_access_key`` are sensitive; ``TOKENIZERS_PARALLELISM``, ``--max-num-batched-tokens`` (a count) and
    ``kvBytesPerToken``, ``bos_token`` (``token`` after per/max/num/bos/eos/pad/unk) are not, and neither are names of
    where a secret is kept (last word name/ref/file/path/dir/namespace/type/ttl, or first word ``existing``:
    ``secretName``, ``clientSecretName``, ``secretKeyRef``, ``existingSecret``).

    >>> is_sensitive_name("HF_TOKEN"), is_sensitive_name("--tokenizer")
    (True, False)
    """
    words = _words(name)
    if words and (words[-1] in _REFERENCE_WORDS or words[0] == "existing"):
        return False  # secretName, clientSecretName, secretKeyRef, tokenPath, existingSecret: where a secret is
    for i, word in enumerate(words):
        if word in _SENSITIVE_WORDS and not (word == "token" and i and words[i - 1] in _TOKEN_COUNT_WORDS):
            return True
    return any(pair in _SENSITIVE_PAIRS for pair in itertools.pairwise(words))


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_like_credential(value: str) -> bool:
    """Whether ``value`` has the shape of a credential: a known token format (module docstring), a PEM private key,
    a ``Bearer``/``Basic`` header value, a URL with a password, or a long random token (at least 24 characters of
    ``[A-Za-z0-9+/=_.~-]`` with upper case, lower case and digits, a run of at least 12 letters and digits without a
    separator, and at least 4 bits of entropy per character).

    Pure-hex strings (digests, commit ids), paths, URLs without a password, model ids (``Qwen/Qwen3-32B``) and
    ordinary words and numbers are not credentials.
    """
    text = value.strip()
    if not text:
        return False
    if _CREDENTIAL_RE.search(text) or _PEM_RE.search(text) or _BEARER_RE.search(text) or _URL_PASSWORD_RE.search(text):
        return True
    if len(text) < 24 or _HEX_RE.match(text) or not _TOKENISH_RE.match(text) or ("/" in text and "." in text):
        return False
    classes = sum(bool(re.search(p, text)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    # A random token has long runs without separators; an identifier built of short parts does not
    # (Qwen/Qwen3-30B-A3B-Instruct-2507-FP8: longest run 8).
    longest_run = max((len(run) for run in re.findall(r"[A-Za-z0-9]+", text)), default=0)
    return classes == 3 and longest_run >= 12 and _entropy(text) >= 4.0 and not _wordy(text)


def _wordy(text: str) -> bool:
    """Whether at least half of ``text`` is word-like chunks (``llm-d-node-AmazonEC2ContainerRegistryReadOnly``,
    ``projects/my-project/global/networkProfiles/us-central1-b``): an identifier, not a random token."""
    words = sum(
        len(c)
        for c in _CHUNK_RE.findall(text)
        if len(c) >= 3 and c[1:].islower() and re.search(r"[aeiouy]", c, re.IGNORECASE)
    )
    return words * 2 >= len(text)


def redact_value(name: str, value: object) -> object:
    """``value`` as it may be shown under ``name``: :data:`REDACTED` when the name is sensitive
    (:func:`is_sensitive_name`) or the value is a credential-shaped string (:func:`looks_like_credential`), else
    ``value`` unchanged (not only strings: numbers and booleans pass through)."""
    if isinstance(value, str) and value and (is_sensitive_name(name) or looks_like_credential(value)):
        return REDACTED
    return value


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret and credential-shaped value replaced by :data:`REDACTED`.

    Args:
        text: any text about to be printed, logged or written.
        secrets: plain values known to be secret (e.g. the stack's Pulumi secrets); values shorter than 4 characters
            are ignored (they would match everywhere). Default: none.

    Returns the text with, in this order: every known secret, PEM private keys, known token formats, ``Bearer``/
    ``Basic`` values, URL passwords, values given under a sensitive name (``HF_TOKEN=…``, ``--api-key=…``,
    ``--api-key …``, ``hfToken: …``) and other credential-shaped words redacted. Idempotent.
    """
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _PEM_RE.sub(REDACTED, text)
    text = _CREDENTIAL_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)

    def listed(m: re.Match[str]) -> str:
        return m.group(0) if not is_sensitive_name(m.group("name")) else f"{m.group('head')}{REDACTED}"

    text = _LISTED_RE.sub(listed, text)

    def assignment(m: re.Match[str]) -> str:
        value = m.group("value")
        if _LITERAL_RE.match(value) and not looks_like_credential(value):
            return m.group(0)
        prose_separator = (not m.group("quote") and ":" in m.group("sep")) or m.group("sep").isspace()
        if prose_separator and value.isalpha() and value.islower() and re.match(r" +[a-z(]", m.string[m.end() :][:3]):
            return m.group(0)  # prose: "hfToken: must be a secret", "--api-key puts a secret on ..."
        if m.string.startswith(REDACTED, m.start("value")):
            return m.group(0)
        if not (is_sensitive_name(m.group("name")) or looks_like_credential(value)):
            if "=" in value or ":" in value:  # "notes: HF_TOKEN=...": the value holds an assignment of its own
                rest = _ASSIGNMENT_RE.sub(assignment, value)
                return m.group(0)[: m.start("value") - m.start()] + rest
            return m.group(0)
        if m.group("sep").isspace() and (not m.group("name").startswith("-") or _CONFIG_KEY_RE.match(value)):
            # "token is missing": a bare word after a sensitive word is prose, not a value; so is a config key
            # after a flag (`pulumi config set --secret llmd:hfToken`)
            return m.group(0)
        return f"{m.group('name')}{m.group('sep')}{m.group('quote')}{REDACTED}"

    text = _ASSIGNMENT_RE.sub(assignment, text)
    return re.sub(
        r"[A-Za-z0-9+/=_.~-]{24,}", lambda m: REDACTED if looks_like_credential(m.group(0)) else m.group(0), text
    )


#: Fields whose lists are command-line words (a sensitive flag's next word is its value).
_ARG_FIELDS: Final = frozenset({"args", "command"})


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (normalized render data) with what must never be written replaced by ``[redacted]``: the value of
    every container ``env`` item whose name is sensitive or whose value is credential-shaped
    (:func:`pulumi_llmd.redact.redact_value`), credential-shaped ``args``/``command`` words (``--api-key=...``,
    :func:`pulumi_llmd.redact.redact`), and any known ``secrets`` wherever they occur. Everything else is unchanged, so
    a render without credentials is byte-identical with or without this step.
    """
    known = tuple(s for s in secrets if len(s) >= 4)
    return _scrub(value, known, parent="")


def _scrub(value: Any, secrets: tuple[str, ...], parent: str) -> Any:
    if isinstance(value, Mapping):
        if parent == "env" and isinstance(value.get("name"), str) and isinstance(value.get("value"), str):
            shown = redact_value(value["name"], value["value"])
            if shown == value["value"] and secrets:
                shown = redact(value["value"], secrets)
            return {**{k: _scrub(v, secrets, str(k)) for k, v in value.items()}, "value": shown}
        return {k: _scrub(v, secrets, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        if parent in _ARG_FIELDS and all(isinstance(v, str) for v in value):
            return _scrub_words([str(v) for v in value], secrets)
        return [_scrub(v, secrets, parent) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
    return value


def _scrub_words(words: list[str], secrets: tuple[str, ...]) -> list[str]:
    """Command-line words with credentials redacted; a sensitive flag's separate value (``--api-key VALUE``) too."""
    out: list[str] = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if before.startswith("-") and "=" not in before and is_sensitive_name(before) and not word.startswith("-"):
            out.append(REDACTED)
        else:
            out.append(redact(word, secrets))
    return out


def scrub_args(value: Any) -> Any:
    """``value`` with only the separate values of sensitive flags in its command lines (``args``/``command`` lists of
    strings, at any depth: ``--api-key VALUE``) replaced by :data:`REDACTED`; other words are left for
    :func:`redact` at display time, so a changed ``--api-key=...`` still shows as changed.

    For diffs, which compare list items one by one (the value item alone does not look sensitive) but must still
    show that an env value changed (``env`` items are redacted when shown, not before comparing).
    """
    if isinstance(value, Mapping):
        return {
            k: _hide_flag_values([str(v) for v in item])
            if k in _ARG_FIELDS and isinstance(item, list) and all(isinstance(v, str) for v in item)
            else scrub_args(item)
            for k, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_args(v) for v in value]
    return value


def _hide_flag_values(words: list[str]) -> list[str]:
    return [
        REDACTED
        if i
        and words[i - 1].startswith("-")
        and "=" not in words[i - 1]
        and is_sensitive_name(words[i - 1])
        and not word.startswith("-")
        else word
        for i, word in enumerate(words)
    ]


class RedactingFilter(logging.Filter):
    """A :mod:`logging` filter that redacts every record's message (:func:`redact`) before any handler sees it.

    Args:
        secrets: known secret values to redact besides credential-shaped ones (default: none).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted form; never drops a record."""
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True
