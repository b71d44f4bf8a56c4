"""The endpoint catalog: every RingCentral REST operation, as typed records, loaded from the
generated ``runner/rc/data/catalog.json``.

``load_catalog()`` is cached and cheap (well under 50 ms). This module must never read the
OpenAPI spec (that is ``catalog_build``'s job) and never does network I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from runner.rc import wire
from runner.rc.matcher import Match, RouteMatcher
from runner.rc.scopes import BY_RULE, SAME_AS

CATALOG_PATH = Path(__file__).with_name("data") / "catalog.json"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Operations that read but use POST (search, fetch). They do not touch data.
_READ_ONLY_POSTS = ("search", "fetch", "query", "parse", "check", "list", "lookup", "bulk-get")


@dataclass(frozen=True, slots=True)
class Param:
    """One path or query parameter; ``default`` is the spec's default or example (``~`` for ids)."""

    name: str
    type: str
    default: Any = None
    enum: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class BodyField:
    name: str
    type: str


# The gateway's limit where the spec states none (x-request-max-body-size): the size most stated.
DEFAULT_MAX_BODY = 10 * 2**20


@dataclass(frozen=True, slots=True)
class BodySpec:
    required: bool
    content_types: tuple[str, ...]
    fields: tuple[BodyField, ...]
    skeleton: Any
    max_bytes: int = DEFAULT_MAX_BODY  # the spec's x-request-max-body-size, else the default


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: int
    content_type: str | None
    sample: Any

    @property
    def is_binary(self) -> bool:
        return self.content_type is not None and "json" not in self.content_type


@dataclass(frozen=True, slots=True)
class Operation:
    """A single catalog entry: one method on one path template."""

    id: str
    method: str
    path: str
    permission: str | None
    group: str
    user_permission: str | None
    tag: str
    summary: str
    media: bool
    path_params: tuple[Param, ...]
    query_required: tuple[Param, ...]
    query_optional: tuple[str, ...]
    body: BodySpec | None
    response: ResponseSpec

    @property
    def key(self) -> str:
        """``METHOD /path/template``: how plans, the ledger and reports name an endpoint."""
        return f"{self.method} {self.path}"

    @property
    def is_oauth(self) -> bool:
        """OAuth calls never count toward the criteria."""
        return wire.is_oauth(self.path)

    @property
    def is_write(self) -> bool:
        if self.method not in WRITE_METHODS:
            return False
        if self.method == "POST":
            last = self.path.rstrip("/").rsplit("/", 1)[-1].lower()
            return not any(word in last for word in _READ_ONLY_POSTS)
        return True

    @property
    def id_params(self) -> tuple[Param, ...]:
        """Path parameters that have no usable default (``~``) and so need a real id."""
        return tuple(p for p in self.path_params if p.default in (None, ""))


@dataclass(frozen=True)
class Catalog:
    operations: tuple[Operation, ...]
    _by_id: dict[str, Operation] = field(init=False, repr=False)
    _by_key: dict[str, Operation] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {op.id: op for op in self.operations})
        object.__setattr__(self, "_by_key", {op.key: op for op in self.operations})

    @cached_property
    def matcher(self) -> RouteMatcher[Operation]:
        return RouteMatcher((op.method, op.path, op) for op in self.operations)

    def by_id(self, operation_id: str) -> Operation | None:
        return self._by_id.get(operation_id)

    def by_key(self, method: str, template: str) -> Operation | None:
        return self._by_key.get(f"{method.upper()} {template}")

    def match(self, method: str, url: str) -> Match[Operation] | None:
        """The operation a concrete request (``GET /restapi/v1.0/account/~/...?x=1``) lands on."""
        return self.matcher.match(method, url)

    def match_path(self, method: str, path: str) -> Match[Operation] | None:
        """The operation a server's decoded request path lands on (``%3F`` in it is an id's ``?``)."""
        return self.matcher.match_segments(method, [s for s in path.split("/") if s])

    def for_permission(self, permission: str) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.permission == permission)

    @cached_property
    def permissions(self) -> frozenset[str]:
        """Every scope an app can declare and exercise: the spec's, the ones a rule gives a call
        (SubscriptionWebhook), and the other names of a scope (WebSocketsSubscription)."""
        named = {op.permission for op in self.operations if op.permission}
        return frozenset({*named, *BY_RULE, *SAME_AS})


def _operation(raw: dict[str, Any]) -> Operation:
    body = raw["body"]
    resp = raw["response"]
    return Operation(
        id=raw["id"],
        method=raw["method"],
        path=raw["path"],
        permission=raw["permission"],
        group=raw["group"],
        user_permission=raw["user_permission"],
        tag=raw["tag"],
        summary=raw["summary"],
        media=raw["media"],
        path_params=tuple(_param(p) for p in raw["path_params"]),
        query_required=tuple(_param(p) for p in raw["query_required"]),
        query_optional=tuple(raw["query_optional"]),
        body=None
        if body is None
        else BodySpec(
            required=body["required"],
            content_types=tuple(body["content_types"]),
            fields=tuple(BodyField(f["name"], f["type"]) for f in body["fields"]),
            skeleton=body["skeleton"],
            max_bytes=body.get("max_bytes") or DEFAULT_MAX_BODY,
        ),
        response=ResponseSpec(resp["status"], resp["content_type"], resp["sample"]),
    )


def _param(raw: dict[str, Any]) -> Param:
    return Param(raw["name"], raw["type"], raw.get("default"), tuple(raw.get("enum", ())))


def parse_catalog(text: str) -> Catalog:
    data = json.loads(text)
    return Catalog(tuple(_operation(op) for op in data["operations"]))


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    # A plain path, not importlib.resources: that import alone costs a fifth of the load budget.
    return parse_catalog(CATALOG_PATH.read_text(encoding="utf-8"))
