"""Resolve the digest of every image and chart pinned in ``components/versions.py`` and optionally rewrite them.

Usage::

    .venv/bin/python scripts/refresh_digests.py            # table: name, reference, old -> new digest
    .venv/bin/python scripts/refresh_digests.py --check    # exit 1 when a digest is missing or differs
    .venv/bin/python scripts/refresh_digests.py --write    # rewrite only the digest="..." strings in versions.py
    .venv/bin/python scripts/refresh_digests.py --only VLLM_V0_30_0_PIN --only EPP_PIN

How a digest is resolved (no registry client needed, standard library only):

* Images and ``oci://`` charts: the OCI distribution API, ``HEAD /v2/<name>/manifests/<tag>`` with ``Accept`` listing
  the OCI image index, the Docker manifest list, the OCI manifest and the Docker v2 manifest (in that order), so a
  multi-arch image answers with its index digest - what ``crane digest repo:tag`` prints. The digest is the
  ``Docker-Content-Digest`` header, or the sha256 of the body of a ``GET`` when a registry omits it. A ``401`` with
  ``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` is answered with an anonymous token from the realm
  (the token flow of ghcr.io, Docker Hub, registry.k8s.io, gcr.io, pkg.dev, public.ecr.aws, nvcr.io)
  (distribution/distribution docs/spec/auth/token.md; opencontainers/distribution-spec spec.md).
  Docker Hub images (``vllm/vllm-openai``) live at ``registry-1.docker.io``; single names get ``library/``.
  Helm stores chart versions as OCI tags with ``+`` replaced by ``_`` (helm.sh/docs/topics/registries).
* Charts in HTTP repositories: the ``digest`` that the repository's ``index.yaml`` lists for ``name`` + ``version``
  (the sha256 of the ``.tgz``; helm.sh/docs/topics/chart_repository, "The index file").

Exit codes: 0 every pin resolved (and, with ``--check``, matched), 1 a pin differs or is missing (``--check``) or
could not be resolved, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.util
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import yaml

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "components" / "versions.py"

#: Manifest media types asked for, most specific multi-arch first (OCI image-spec media-types.md; Docker
#: manifest v2 schema 2 spec).
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Response:
    """An HTTP response: ``status`` code, ``headers`` (lower-case names) and ``body`` bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Fetch(Protocol):
    """One HTTP request; returns the response for any status code (raises OSError only on transport failure)."""

    def __call__(self, method: str, url: str, headers: Mapping[str, str]) -> Response: ...


def urllib_fetch(method: str, url: str, headers: Mapping[str, str]) -> Response:
    """:class:`Fetch` over ``urllib`` (redirects followed; HTTP errors returned as responses; 30 s timeout)."""
    request = urllib.request.Request(url, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
            return Response(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class ResolveError(Exception):
    """A digest could not be resolved (the message names the reference and the registry's answer)."""


def split_image(repository: str) -> tuple[str, str]:
    """``(registry API host, repository path)`` of an image repository.

    The first path component is a registry host when it contains ``.`` or ``:`` or is ``localhost``; otherwise the
    image is on Docker Hub (``registry-1.docker.io``), and a single-component name gets ``library/``.
    """
    first, _, rest = repository.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host = "registry-1.docker.io" if first in ("docker.io", "index.docker.io") else first
        return host, rest
    return "registry-1.docker.io", repository if rest else f"library/{repository}"


def _bearer_token(fetch: Fetch, challenge: str) -> str:
    """An anonymous bearer token for a ``WWW-Authenticate: Bearer realm=..,service=..,scope=..`` challenge."""
    if not challenge.lower().startswith("bearer"):
        raise ResolveError(f"unsupported auth challenge {challenge!r}")
    params = dict(_CHALLENGE_PARAM.findall(challenge))
    realm = params.pop("realm", "")
    if not realm:
        raise ResolveError(f"auth challenge without realm: {challenge!r}")
    reply = fetch("GET", f"{realm}?{urllib.parse.urlencode(params)}", {})
    if reply.status != 200:
        raise ResolveError(f"token endpoint {realm} answered {reply.status}")
    body = yaml.safe_load(reply.body.decode("utf-8")) or {}
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ResolveError(f"token endpoint {realm} returned no token")
    return token


def manifest_digest(fetch: Fetch, host: str, name: str, reference: str, *, accept: str = MANIFEST_ACCEPT) -> str:
    """The digest of manifest ``name:reference`` on registry ``host`` (see the module docstring).

    Raises:
        ResolveError: the registry does not know the reference, refuses anonymous access, or answers a malformed
            digest.
    """
    url = f"https://{host}/v2/{name}/manifests/{reference}"
    headers = {"Accept": accept}
    reply = fetch("HEAD", url, headers)
    if reply.status == 401:
        headers["Authorization"] = f"Bearer {_bearer_token(fetch, reply.headers.get('www-authenticate', ''))}"
        reply = fetch("HEAD", url, headers)
    digest = reply.headers.get("docker-content-digest", "") if reply.status == 200 else ""
    if reply.status in (200, 405) and not digest:
        reply = fetch("GET", url, headers)
        if reply.status == 200:
            digest = reply.headers.get("docker-content-digest") or f"sha256:{hashlib.sha256(reply.body).hexdigest()}"
    if reply.status != 200:
        raise ResolveError(f"{host}/{name}:{reference}: registry answered {reply.status}")
    if DIGEST_RE.fullmatch(digest) is None:
        raise ResolveError(f"{host}/{name}:{reference}: malformed digest {digest!r}")
    return digest


def index_digest(fetch: Fetch, repository: str, name: str, version: str) -> str:
    """The ``digest`` an HTTP chart repository's ``index.yaml`` lists for ``name`` ``version`` (as ``sha256:..``).

    Raises:
        ResolveError: the index is unreachable, or lists no such version, or no digest for it.
    """
    url = f"{repository.rstrip('/')}/index.yaml"
    reply = fetch("GET", url, {"Accept": "application/x-yaml, text/yaml, */*"})
    if reply.status != 200:
        raise ResolveError(f"{url}: answered {reply.status}")
    index = yaml.safe_load(reply.body.decode("utf-8")) or {}
    entries = index.get("entries", {}).get(name, []) if isinstance(index, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("version")) == version:
            raw = str(entry.get("digest") or "")
            digest = raw if raw.startswith("sha256:") else f"sha256:{raw}"
            if DIGEST_RE.fullmatch(digest) is None:
                raise ResolveError(f"{url}: {name} {version} has no sha256 digest ({raw!r})")
            return digest
    raise ResolveError(f"{url}: no {name} version {version}")


def resolve(fetch: Fetch, pin: Any) -> str:
    """The current registry digest of an ``ImagePin`` or ``ChartPin`` (duck-typed: the script loads versions.py by
    path). Raises ResolveError."""
    if hasattr(pin, "tag"):
        host, name = split_image(pin.repository)
        return manifest_digest(fetch, host, name, pin.tag)
    if pin.repository.startswith("oci://"):
        host, name = split_image(f"{pin.repository.removeprefix('oci://')}/{pin.name}")
        return manifest_digest(
            fetch, host, name, pin.version.replace("+", "_"), accept="application/vnd.oci.image.manifest.v1+json"
        )
    return str(index_digest(fetch, pin.repository, pin.name, pin.version))


# --- rewriting versions.py -----------------------------------------------------------------------------------------


def digest_spans(source: str) -> dict[str, tuple[int, int]]:
    """``{constant name: (start, end)}`` character offsets of the ``digest=`` value of each
    ``NAME: Final = ImagePin(...)`` / ``ChartPin(...)`` assignment in ``source`` (the value is a string or None)."""
    tree = ast.parse(source)
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    spans: dict[str, tuple[int, int]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        if call.func.id not in ("ImagePin", "ChartPin"):
            continue
        for keyword in call.keywords:
            value = keyword.value
            if keyword.arg == "digest" and isinstance(value, ast.Constant) and value.end_lineno is not None:
                assert value.end_col_offset is not None
                start = line_starts[value.lineno - 1] + value.col_offset
                end = line_starts[value.end_lineno - 1] + value.end_col_offset
                spans[node.target.id] = (start, end)
    return spans


_PENDING_NOTE = re.compile(r"[ \t]*#[^\n]*digest not found offline[^\n]*")


def rewrite(source: str, digests: Mapping[str, str]) -> str:
    """``source`` with the ``digest=`` value of each named pin replaced by ``"<digest>"`` (and a trailing "digest not
    found offline" comment on that line dropped). Nothing else changes.

    Raises:
        ValueError: a name that is not a pin assignment of ``source``, or a digest that is not ``sha256:<64 hex>``.
    """
    spans = digest_spans(source)
    for name, digest in digests.items():
        if name not in spans:
            raise ValueError(f"{name}: no ImagePin/ChartPin assignment with a digest= keyword")
        if DIGEST_RE.fullmatch(digest) is None:
            raise ValueError(f"{name}: {digest!r} is not sha256:<64 hex>")
    out = source
    for name in sorted(digests, key=lambda n: spans[n][0], reverse=True):
        start, end = spans[name]
        line_end = out.find("\n", end)
        line_end = len(out) if line_end < 0 else line_end
        tail = _PENDING_NOTE.sub("", out[end:line_end])
        out = f'{out[:start]}"{digests[name]}"{tail}{out[line_end:]}'
    return out


# --- the command ---------------------------------------------------------------------------------------------------


def load_versions(path: Path = VERSIONS) -> ModuleType:
    """``versions.py`` at ``path`` loaded as a standalone module (it imports only the standard library)."""
    spec = importlib.util.spec_from_file_location("_llmd_versions_refresh", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Row:
    """One pin's outcome: ``old`` and ``new`` digests (``new`` None when unresolved, with ``error``)."""

    name: str
    reference: str
    old: str | None
    new: str | None
    error: str = ""

    @property
    def status(self) -> str:
        """``ok`` (unchanged), ``changed``, ``new`` (was pending) or ``error``."""
        if self.new is None:
            return "error"
        if self.old is None:
            return "new"
        return "ok" if self.old == self.new else "changed"


def refresh(pins: Mapping[str, Any], fetch: Fetch, only: Sequence[str] = ()) -> list[Row]:
    """Resolve every pin (or only the named ones), in name order."""
    rows = []
    for name in sorted(pins):
        if only and name not in only:
            continue
        pin = pins[name]
        reference = pin.tagged if hasattr(pin, "tag") else f"{pin.repository}/{pin.name}:{pin.version}"
        try:
            rows.append(Row(name, reference, pin.digest, resolve(fetch, pin)))
        except (ResolveError, OSError, ValueError, yaml.YAMLError) as error:
            rows.append(Row(name, reference, pin.digest, None, str(error)))
    return rows


def _short(digest: str | None) -> str:
    return "-" if digest is None else digest[:19]


def table(rows: Sequence[Row]) -> str:
    """The rows as a fixed-width text table: name, reference, old -> new, status (and the error)."""
    lines = [f"{'pin':34} {'reference':80} {'old':19}    {'new':19} status"]
    for row in rows:
        note = f" ({row.error})" if row.error else ""
        lines.append(
            f"{row.name:34} {row.reference:80} {_short(row.old):19} -> {_short(row.new):19} {row.status}{note}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, fetch: Fetch = urllib_fetch, versions_path: Path = VERSIONS) -> int:
    """Run the command (see the module docstring); ``fetch`` and ``versions_path`` are injectable for tests."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite the digest strings in versions.py")
    parser.add_argument("--check", action="store_true", help="exit 1 if a digest is missing or differs")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="only this pin (repeatable)")
    args = parser.parse_args(argv)
    module = load_versions(versions_path)
    pins: dict[str, Any] = {**module.IMAGE_PINS, **module.CHART_PINS}
    unknown = sorted(set(args.only) - set(pins))
    if unknown:
        print(f"error: --only {', '.join(unknown)}: not a pin; pins: {', '.join(sorted(pins))}", file=sys.stderr)
        return 2
    rows = refresh(pins, fetch, args.only)
    print(table(rows))
    updates = {row.name: row.new for row in rows if row.new is not None and row.new != row.old}
    if args.write and updates:
        versions_path.write_text(rewrite(versions_path.read_text(encoding="utf-8"), updates), encoding="utf-8")
        print(f"wrote {len(updates)} digest(s) to {versions_path}")
    failed = any(row.status == "error" for row in rows)
    stale = any(row.status in ("changed", "new") for row in rows)
    return 1 if failed or (args.check and stale and not args.write) else 0


if __name__ == "__main__":
    sys.exit(main())


__all__: Sequence[str] = (
    "Fetch",
    "ResolveError",
    "Response",
    "Row",
    "digest_spans",
    "index_digest",
    "load_versions",
    "main",
    "manifest_digest",
    "refresh",
    "resolve",
    "rewrite",
    "split_image",
    "table",
    "urllib_fetch",
)
