"""Record builders shared by the verdict tests (criteria, planner, ledger, reports)."""

from __future__ import annotations

import datetime as dt

from runner.records import CallRecord, Kind, TokenEvent

DESCRIPTION = (
    "Syncs the call log of every extension into our CRM each night and posts a daily SMS summary "
    "to the account's managers, so sales staff see missed calls next morning."
)
PERMS = {"GET /a": ("ReadA", "Light"), "POST /b": ("EditB", "Medium"), "GET /b/{id}": ("ReadB", "Light")}
PERMS["DELETE /b/{id}"] = ("EditB", "Medium")


def at(text: str) -> float:
    """UTC epoch seconds of an ISO time like ``2026-03-10T00:30``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def facts(key: str) -> tuple[str | None, str]:
    return PERMS.get(key, (None, ""))


def rec(
    ts: float,
    key: str = "GET /a",
    status: int = 200,
    *,
    count: int = 1,
    kind: Kind = Kind.API,
    error_code: str | None = None,
    event: TokenEvent | None = None,
) -> CallRecord:
    method, template = key.split(" ", 1)
    permission, group = facts(key)
    return CallRecord(
        ts=ts,
        method=method,
        template=template,
        status=status,
        group=group,
        permission=permission,
        kind=kind,
        count=count,
        error_code=error_code,
        event=event,
    )


def many(ts: float, key: str, n: int, status: int = 200) -> list[CallRecord]:
    return [rec(ts + i, key, status) for i in range(n)]
