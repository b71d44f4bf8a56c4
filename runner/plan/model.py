"""The plan, as rcgrad works with it: the app, its items and steps, criteria, limits; and how a step
becomes a concrete request.

Plain data, made by ``loader`` from YAML (which owns line numbers and errors). A step's permission
comes from its operation and RingCentral's rules; a step's request is rendered only from values it
was given. It must never read a file or the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.rc import rules, wire
from runner.rc.catalog import Operation
from runner.rc.limits import GroupLimit, Margin, default_limit
from runner.rc.wire import RenderedRequest
from runner.verdict.criteria import Profile, endpoint_facts

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    method: str
    path: str  # as written, with {{placeholders}}
    operation: Operation
    line: int
    query: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expect: int | None = None  # None: any 2xx
    save: Mapping[str, str] = field(default_factory=dict)  # capture name -> JSONPath
    todo: str | None = None  # an unfinished step `plan init` left for a person

    @property
    def permission(self) -> str | None:
        """The permission the call is made under: its operation's, or the one a rule gives it by
        its body (a WebHook subscription's create is a call under SubscriptionWebhook). What check,
        the verdict's facts and the ledger's permission column go by."""
        return rules.permission(self.operation.id, self.operation.permission, self.json)

    def needs(self) -> frozenset[str]:
        """Placeholder names this step cannot be sent without."""
        return frozenset(
            PLACEHOLDER.findall(repr((self.path, dict(self.query), self.json, dict(self.headers))))
        )

    def render(self, values: Mapping[str, Any]) -> RenderedRequest:
        """The concrete request; raises ``wire.UnsendableValue`` for a value that cannot be sent as
        asked (a captured ``..`` in the path, a line break in a header), so no request goes out."""
        path = PLACEHOLDER.sub(
            lambda m: wire.path_segment(values[m.group(1)]) if m.group(1) in values else m.group(0),
            self.path,
        )
        headers = {k: str(_fill(v, values)) for k, v in self.headers.items()}
        for name, value in headers.items():
            problem = wire.header_problem(value)
            if problem:
                raise wire.UnsendableValue(f"header {name}: {problem}")
        return RenderedRequest(
            self.method,
            path,
            {k: _fill(v, values) for k, v in self.query.items()},
            _fill(self.json, values),
            headers,
        )


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of work: setup steps, the main request, teardown steps, run in that order."""

    name: str
    main: Step
    line: int
    setup: tuple[Step, ...] = ()
    teardown: tuple[Step, ...] = ()
    calls: int | None = None  # a fixed number of runs per traffic run, instead of the planner's

    @property
    def steps(self) -> tuple[Step, ...]:
        return (*self.setup, self.main, *self.teardown)


@dataclass(frozen=True, slots=True)
class App:
    name: str
    scopes: tuple[str, ...]
    description: str | None = None
    line: int = 0
    scope_lines: Mapping[str, int] = field(default_factory=dict)
    description_line: int | None = None


@dataclass(frozen=True, slots=True)
class Criteria:
    profile: str = Profile.STRICT.value
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    path: Path
    app: App
    server: str
    criteria: Criteria
    vars: Mapping[str, Any]
    endpoints: tuple[Item, ...]
    limits: Mapping[str, int] = field(default_factory=dict)
    margin: Margin = field(default_factory=Margin)
    warmup_daily: int | None = None
    server_line: int = 0
    # The line of every value under query:, json: and headers:, by key (``endpoints[3].json.to``).
    lines: Mapping[str, int] = field(default_factory=dict)
    # The app's own RC_* values (from ``credentials:``), over the environment's; empty: the RC_* variables.
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    # notify: the webhook alerts go to (a secret: its path is the hook's key); "" when none.
    notify: str = field(default="", repr=False)

    def paced_limit(self, group: str) -> GroupLimit | None:
        """The limit the runner paces ``group`` to: the plan's custom limit or the default, less the
        spare slots. None for NoThrottling."""
        custom = self.limits.get(group)
        limit = GroupLimit(custom) if custom else default_limit(group)
        return None if limit is None else self.margin.paced(limit)

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for item in self.endpoints for step in item.steps)

    def item_keys(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each item's name and the endpoint keys of its steps, in order: what the top-up works on."""
        return [(item.name, tuple(step.operation.key for step in item.steps)) for item in self.endpoints]

    def facts(self, key: str) -> tuple[str | None, str]:
        """(permission, group) of an endpoint as the plan calls it: a step's permission may be a
        rule's (a WebHook create is a call under SubscriptionWebhook), else the catalog's."""
        for step in self.steps:
            if step.operation.key == key and step.permission:
                return step.permission, step.operation.group
        return endpoint_facts(key)

    def least_runs(self) -> dict[str, int]:
        """Item name -> its ``calls:``, the least number of runs whenever it runs at all."""
        return {item.name: item.calls for item in self.endpoints if item.calls}


def _fill(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole and whole.group(1) in values:
            return values[whole.group(1)]  # keep the captured type: an id stays a number in JSON
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value
