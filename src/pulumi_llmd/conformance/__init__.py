"""The CNCF Kubernetes AI Conformance checklists v1.33-v1.37, carried unchanged (see ``SOURCES.md`` beside this file).

>>> from pulumi_llmd.conformance import checklist, VERSIONS
>>> [item["id"] for item in checklist("1.35")["spec"]["observability"]]
['accelerator_metrics', 'ai_service_metrics']

:func:`checklist` returns the parsed YAML of one version (a fresh copy each call); :func:`checklist_text` its text.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
from typing import Any, Final

import yaml

#: Checklist versions carried, oldest first.
VERSIONS: Final[tuple[str, ...]] = ("1.33", "1.34", "1.35", "1.36", "1.37")
#: The version a check or report uses unless told otherwise: the newest carried.
DEFAULT_VERSION: Final = "1.37"
#: Where the checklists come from (cncf/k8s-ai-conformance, docs/AIConformance-<version>.yaml).
SOURCE_REPOSITORY: Final = "cncf/k8s-ai-conformance"
#: The commit v1.33-v1.36 were taken from.
SOURCE_COMMIT: Final = "b2c89690e77f705dd4aec8da7d33a3b5d9831d8e"
#: The commit each version was taken from (v1.37 is newer than :data:`SOURCE_COMMIT`; see ``SOURCES.md``).
SOURCE_COMMITS: Final[dict[str, str]] = {
    "1.33": SOURCE_COMMIT,
    "1.34": SOURCE_COMMIT,
    "1.35": SOURCE_COMMIT,
    "1.36": SOURCE_COMMIT,
    "1.37": "287b44f07bb56bc916f6e2191359d44408a65a84",
}


class UnknownVersion(ValueError):
    """A checklist version that is not carried."""


def normalize_version(version: str) -> str:
    """``"v1.35"`` / ``"1.35"`` / ``"1.35.2"`` -> ``"1.35"``. Raises :class:`UnknownVersion` if not carried."""
    text = version.strip().removeprefix("v")
    minor = ".".join(text.split(".")[:2])
    if minor not in VERSIONS:
        raise UnknownVersion(f"AI conformance version {version!r}: carried versions are {', '.join(VERSIONS)}")
    return minor


def checklist_text(version: str = DEFAULT_VERSION) -> str:
    """The unchanged checklist YAML of ``version``."""
    name = f"AIConformance-{normalize_version(version)}.yaml"
    return importlib.resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _parsed(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(checklist_text(version))
    return loaded


def checklist(version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """The parsed checklist of ``version``: ``{"metadata": {...}, "spec": {category: [requirement, ...]}}``."""
    return copy.deepcopy(_parsed(normalize_version(version)))


def requirements(version: str = DEFAULT_VERSION) -> list[tuple[str, dict[str, Any]]]:
    """``(category, requirement)`` pairs of ``version`` in checklist order (requirement: id, description, level...)."""
    return [(category, item) for category, items in checklist(version)["spec"].items() for item in items]


def source_commit(version: str = DEFAULT_VERSION) -> str:
    """The cncf/k8s-ai-conformance commit the checklist of ``version`` was taken from.

    Raises :class:`UnknownVersion` for a version that is not carried."""
    return SOURCE_COMMITS[normalize_version(version)]
