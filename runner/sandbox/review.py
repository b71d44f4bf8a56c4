"""The sandbox's own "Status & Review": every criterion computed from the sandbox's request log.

This is the reviewer's side of the story, written separately from ``runner.verdict.criteria`` on purpose:
it sees only what reached the server, and its agreement with rcgrad's verdict is what the tests
check. It judges by the strict reading (5+ per endpoint and 21+ in total over yesterday and today
in UTC, every declared scope, 4xx including 429 under 5% and zero 429s over the union of that window
and the last 48 h, no expired-token 401s and no refresh provoked by one). It must never read
rcgrad's ledger.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from runner.rc import wire
from runner.rc.scopes import exercised_by
from runner.records import CallRecord, Kind

DAY = 86_400.0


def review(
    log: Iterable[CallRecord], *, now: float, scopes: Iterable[str], refresh_after_401: int = 0
) -> dict[str, Any]:
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    window_start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
    error_start = min(window_start, now - 2 * DAY)
    api = [r for r in log if r.kind is Kind.API and not r.is_oauth and r.ts <= now]
    in_window = [r for r in api if r.ts >= window_start]
    in_error_window = [r for r in api if r.ts >= error_start and r.status]

    successes = Counter(f"{r.method} {r.template}" for r in in_window if wire.is_success(r.status))
    seen = {f"{r.method} {r.template}" for r in in_window}
    per_endpoint = {key: successes.get(key, 0) for key in sorted(seen)}
    total = sum(successes.values())
    # A scope is used by a call under it; an OAuth call never counts as an endpoint, but a successful
    # one under a permission (a WebSocket token) uses it, and a call uses every name of its scope.
    calls = [*in_window, *(r for r in log if r.is_oauth and window_start <= r.ts <= now)]
    used = {s for r in calls if wire.is_success(r.status) for s in exercised_by(r.permission)}
    declared = sorted(set(scopes))
    unused = [s for s in declared if s not in used]
    errors = sum(1 for r in in_error_window if wire.is_4xx(r.status))
    ratio = errors / len(in_error_window) if in_error_window else 0.0
    throttled = sum(1 for r in in_error_window if r.status == 429)
    expired = sum(1 for r in in_error_window if r.status == 401 and r.error_code in wire.EXPIRED_TOKEN_CODES)
    defects = expired + refresh_after_401
    weakest = min(per_endpoint.values(), default=0)

    criteria = [
        _row("endpoint_successes", weakest >= 5, weakest, 5, {"per_endpoint": per_endpoint}),
        _row("total_successes", total >= 21, total, 21),
        _row("scopes_exercised", not unused, len(declared) - len(unused), len(declared), {"unused": unused}),
        _row(
            "error_ratio_4xx",
            ratio < 0.05,
            round(ratio, 6),
            0.05,
            {"errors": errors, "responses": len(in_error_window)},
        ),
        _row("rate_limited_429", throttled == 0, throttled, 0),
        _row(
            "token_hygiene",
            defects == 0,
            defects,
            0,
            {"expired_401": expired, "refresh_after_401": refresh_after_401},
        ),
    ]
    return {
        "met": all(c["met"] for c in criteria),
        "now": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
        "window_start": dt.datetime.fromtimestamp(window_start, dt.UTC).isoformat(),
        "criteria": criteria,
    }


def _row(
    name: str, met: bool, value: Any, threshold: Any, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "met": met,
        "value": value,
        "threshold": threshold,
        **({"detail": detail} if detail else {}),
    }
