"""A plan step as the request validator sees it, before anything is sent.

``vars`` are known at check time and filled in; a ``{{capture}}`` is known only at run time, so a
value that is one capture becomes ``UNKNOWN`` (any type: a captured id stays a number) and text
with a capture inside becomes ``UnknownText``. Pure: this module must never do I/O of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.plan.model import PLACEHOLDER, Step
from runner.rc.validate import UNKNOWN, Problem, Request, UnknownText, validate


def step_request(step: Step, variables: Mapping[str, Any]) -> Request:
    rendered = step.render(variables)
    path: dict[str, Any] = {}
    template = step.operation.path.split("/")
    written = rendered.path.split("/")
    if len(template) == len(written):
        for name, segment in zip(template, written, strict=True):
            if name.startswith("{") and name.endswith("}"):
                path[name[1:-1]] = _unknowns(segment)
    return Request(
        path=path,
        query={k: _unknowns(v) for k, v in rendered.query.items()},
        headers={k: _unknowns(v) for k, v in rendered.headers.items()},
        body=_unknowns(rendered.json),
        body_type=None if rendered.json is None else "application/json",
    )


def step_problems(step: Step, variables: Mapping[str, Any]) -> list[Problem]:
    """How the step, as written, breaks RingCentral's spec (empty: the spec accepts it)."""
    return validate(step.operation, step_request(step, variables))


def _unknowns(value: Any) -> Any:
    if isinstance(value, str):
        if PLACEHOLDER.fullmatch(value.strip()):
            return UNKNOWN
        return UnknownText(value) if PLACEHOLDER.search(value) else value
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value
