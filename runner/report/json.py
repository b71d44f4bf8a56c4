"""The verdict as JSON: ``{"met": ..., "criteria": [...], ...}`` for scripts and the sandbox's tests.

Stable keys; times as ISO 8601 UTC. Must never add anything that is not in the verdict.
"""

from __future__ import annotations

import json as _json
from typing import Any

from runner.verdict.criteria import Verdict, iso


def to_dict(verdict: Verdict) -> dict[str, Any]:
    win = verdict.window
    return {
        "met": verdict.met,
        "subject": verdict.subject.as_dict() if verdict.subject else None,
        "profile": str(verdict.profile),
        "now": iso(verdict.now),
        "apply_day": verdict.judged_day.isoformat(),
        "window": {
            "utc_days": {
                "start": iso(win.yesterday_start),
                "today": iso(win.today_start),
                "end": iso(win.now),
            },
            "rolling_48h": {"start": iso(win.rolling_start), "end": iso(win.now)},
        },
        "criteria": [
            {
                "name": c.name,
                "met": c.met,
                "value": c.value,
                "threshold": c.threshold,
                "margin": c.margin,
                "detail": c.detail,
                "needs_human": c.needs_human,
            }
            for c in verdict.criteria
        ],
        "endpoints": [
            {
                "endpoint": e.key,
                "permission": e.permission,
                "group": e.group,
                "yesterday": e.yesterday,
                "today": e.today,
                "last_48h": e.last_48h,
                "errors_4xx": e.errors_4xx,
                "total": e.total,
                "in_plan": e.in_plan,
            }
            for e in verdict.endpoints
        ],
        "scopes": [
            {"scope": s.scope, "successes": s.successes, "exercised": s.exercised} for s in verdict.scopes
        ],
        "tokens": {
            "logins": verdict.tokens.logins,
            "relogins": verdict.tokens.relogins,
            "refreshes": verdict.tokens.refreshes,
            "refresh_on_401": verdict.tokens.refresh_on_401,
            "expired_401": verdict.tokens.expired_401,
        },
        "hourly": [
            {"hour": iso(b.start), "2xx": b.ok, "4xx": b.errors_4xx, "429": b.errors_429, "5xx": b.errors_5xx}
            for b in verdict.hourly
        ],
        "caveats": list(verdict.caveats),
    }


def render(verdict: Verdict, indent: int | None = 2) -> str:
    return _json.dumps(to_dict(verdict), indent=indent, ensure_ascii=False)
