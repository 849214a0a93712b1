"""Helpers for tests that run a small program under the mock engine: run it, pick what it registered, check that it
refused its arguments, check that its Kubernetes objects are schema-valid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_llmd.render.engine import ProgramRun, RegisteredResource, run_program
from pulumi_llmd.render.render import build_result


def run(program: Callable[[], Any]) -> ProgramRun:
    """Run ``program`` (it may return the component it builds) under the mock engine, project ``llmd``, stack
    ``test``, no config; waits for every registration."""

    def body() -> None:
        program()

    return run_program(body, project="llmd", stack="test", config={})


def of_type(run_: ProgramRun, type_: str) -> list[RegisteredResource]:
    """The resources of type ``type_`` the run registered, in registration order."""
    return [r for r in run_.resources if r.type == type_]


def one(run_: ProgramRun, type_: str, name: str | None = None) -> RegisteredResource:
    """The one resource of type ``type_`` (and name ``name``, if given) the run registered."""
    found = [r for r in of_type(run_, type_) if name is None or r.name == name]
    assert len(found) == 1, f"{type_} {name}: {[r.name for r in found]}"
    return found[0]


def child_types(run_: ProgramRun, parent: RegisteredResource) -> list[str]:
    """The sorted types of the resources whose parent is ``parent``."""
    return sorted(r.type for r in run_.resources if r.parent == parent.urn)


def refused(run_: ProgramRun, *fragments: str) -> str:
    """Assert the program raised ValueError naming every fragment before registering anything; return the message."""
    assert isinstance(run_.error, ValueError), repr(run_.error)
    assert run_.resources == []
    message = str(run_.error)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def assert_schema_valid(run_: ProgramRun, **build: Any) -> None:
    """Assert every Kubernetes object the run registered validates against its schema (``build``: keyword arguments
    of :func:`~pulumi_llmd.render.render.build_result`, e.g. ``kar_version=None``)."""
    issues = build_result("test", run_.resources, **build).schema_issues
    assert issues == [], issues
