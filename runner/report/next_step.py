"""The one next step after a verdict: what to run, or which plan line to fix.

Met: keep the window healthy with the daily warm-up (the ``schedule`` command). Not met: the
command that mends the first failing criterion that a command can mend. Pure: it reads the
verdict and what the run learnt, and must never suggest a command that sends traffic a plan with
problems would refuse.
"""

from __future__ import annotations

import datetime as dt
import shlex

from runner.run.events import Judged
from runner.verdict.criteria import (
    APP_DESCRIPTION,
    AUTH_ERROR_RATIO,
    ENDPOINT_SUCCESSES,
    ERROR_RATIO_4XX,
    RATE_LIMITED_429,
    SCOPES_EXERCISED,
    TOKEN_HYGIENE,
    TOTAL_SUCCESSES,
)


def advice(judged: Judged, plan: str) -> str:
    verdict, quoted = judged.verdict, shlex.quote(plan)
    if verdict.met:
        return (
            f"keep the window healthy with a daily warm-up: rcgrad schedule {quoted} --cron"
            " (or --systemd, --github-actions)"
        )
    failing = [c.name for c in verdict.failed]
    if judged.gave_up:
        return f"the server stopped answering; try again later: rcgrad graduate {quoted}"
    if RATE_LIMITED_429 in failing:
        clear = judged.apply_day + dt.timedelta(days=2)
        return (
            "a 429 is in the window, and only time removes it: warm up daily and apply on"
            f" {clear} or later (rcgrad graduate {quoted} --apply-on {clear} the day before)"
        )
    if APP_DESCRIPTION in failing:
        return f"write a real app.description in {plan} (what the app does, for whom), then rcgrad check {quoted}"
    if judged.quarantined:
        endpoint = next(iter(judged.quarantined))
        return (
            f"fix the step of {endpoint} in {plan} (it answered only 4xx), then: rcgrad graduate {quoted}"
            " --retry-broken"
        )
    if ENDPOINT_SUCCESSES in failing or TOTAL_SUCCESSES in failing:
        return f"rcgrad graduate {quoted} sends what the window still needs"
    if SCOPES_EXERCISED in failing:
        return (
            f"add a call under each unexercised scope to {plan} (rcgrad plan init --scopes SCOPE writes"
            " one) or remove the scope from the app, then: rcgrad graduate " + quoted
        )
    if ERROR_RATIO_4XX in failing or AUTH_ERROR_RATIO in failing:
        return f"rcgrad graduate {quoted} sends the successes that dilute the 4xx (the lines above name each one)"
    if TOKEN_HYGIENE in failing:
        return (
            f"the tokens were refreshed after a 401 or re-used when expired: rerun rcgrad graduate {quoted}"
        )
    return f"rcgrad check {quoted}, then rcgrad graduate {quoted}"
