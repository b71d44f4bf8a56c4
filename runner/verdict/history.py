"""The window's history: each of the last UTC days as the ledger saw it, and the next apply day.

For each of the last ``DAYS`` UTC days: the 2xx per endpoint, the responses by class, the scopes
exercised, and whether an application on that day would have met. Apply day D judges D-1 and D,
so the day's verdict is ``criteria.evaluate`` at D's last instant (all of D-1 and D counted); the
verdict at D's first instant (D-1 alone, as ``graduate`` plans for) is kept beside it, because a
reviewer may look at any hour of D. Today is judged at ``now``, the day still running.

Then the outlook: if the daily warm-up keeps running, which is the next apply day that meets?
Each coming day the warm-up of ``topup.plan_warmup`` runs once, at the time of day of ``now``, and
every call it sends is assumed to succeed (``OUTLOOK_ASSUMPTION``); the answer is the first day
whose verdict is met both at its first instant and at its end, so an application made that day
meets whenever the reviewer looks (and, beside it, the first day met at its end).

Every count and every verdict comes from ``runner.verdict.criteria``: this module never states a
criterion of its own. Pure: it never reads the clock, a file, the plan or the ledger; callers pass
the records, ``now`` and the plan's facts.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.rc import wire
from runner.rc.scopes import exercised_by
from runner.records import CallRecord, Kind
from runner.verdict.criteria import (
    DAY,
    ROLLING_SECONDS,
    Criterion,
    Profile,
    Verdict,
    evaluate,
    midnight,
    rules_for,
    utc_day,
)
from runner.verdict.topup import Facts, ItemKeys, endpoint_facts, plan_warmup

DAYS = 14  # the days a history shows, today included
HORIZON = 5  # apply days the outlook tries, today included: a 429 now leaves every reading of the
# apply day's first instant within three days
END_OF_DAY = 1e-3  # a day's verdict is taken this long before the next UTC midnight
PROJECTED_RUN = "projected-warmup"  # the run id of the calls the outlook imagines; never stored
OUTLOOK_ASSUMPTION = (
    "the daily warm-up runs once each UTC day from today on, at this time of day, and every call it"
    " sends succeeds; no other traffic reaches the app"
)


@dataclass(frozen=True, slots=True)
class AppFacts:
    """What the verdict and the warm-up need of a plan, so this module never reads one."""

    profile: str = Profile.STRICT.value
    overrides: Mapping[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()  # the plan's "METHOD /template" keys
    items: tuple[ItemKeys, ...] = ()  # what the warm-up can repeat
    description: str | None = None
    granted: frozenset[str] | None = None  # as the last login saw them
    daily: int | None = None  # the plan's warm-up baseline (warmup: daily_calls)
    facts: Facts | None = None  # endpoint key -> (permission, group); None: the catalog's

    def judge(self, records: Iterable[CallRecord], now: float) -> Verdict:
        return evaluate(
            records,
            now=now,
            profile=self.profile,
            overrides=self.overrides,
            scopes=self.scopes,
            endpoints=self.endpoints,
            description=self.description,
            granted=self.granted,
            catalog_lookup=self.facts is None,
        )

    def facts_of(self, key: str) -> tuple[str | None, str]:
        return (self.facts or endpoint_facts)(key)


@dataclass(frozen=True, slots=True)
class DayHistory:
    """One UTC day: its own traffic, and the verdict of an application made on it."""

    day: dt.date
    judged_at: float  # the day's last instant; ``now`` for today
    complete: bool  # False for today: the day is still running
    successes: Mapping[str, int]  # endpoint key -> 2xx that day
    responses: int  # responses that day (no OAuth call, no transport failure)
    errors_4xx: int  # 4xx that day, 429 included, as the 4xx criterion counts them
    errors_429: int
    errors_5xx: int
    scopes: frozenset[str]  # declared scopes with a 2xx that day
    verdict: Verdict  # D-1 and D, at ``judged_at``
    met_at_start: bool  # the verdict at the day's first instant (D-1 alone) was met too

    @property
    def met(self) -> bool:
        return self.verdict.met

    @property
    def ratio_4xx(self) -> float:
        return self.errors_4xx / self.responses if self.responses else 0.0

    @property
    def calls(self) -> int:
        return sum(self.successes.values())


@dataclass(frozen=True, slots=True)
class Outlook:
    """The next apply day that meets if the warm-up keeps running, or what stands in the way.

    ``apply_day`` meets all day, whenever the reviewer looks: at its first instant (the day before
    carries it alone) and at its end. ``by_end`` is the first day that meets at its end, which may
    come a day earlier: it meets only once that day's own warm-up has run.
    """

    apply_day: dt.date | None  # None: no day within the horizon meets all day
    by_end: dt.date | None  # None: no day within the horizon meets even at its end
    warmups: tuple[tuple[dt.date, int], ...]  # calls each imagined warm-up sends, until that day
    failing: tuple[Criterion, ...]  # on the horizon's last day, when no day meets all day
    blockers: tuple[str, ...]  # what the warm-up says it cannot fix
    daily: int  # the warm-up's baseline: 2xx per endpoint it tops each day up to
    assumption: str = OUTLOOK_ASSUMPTION


@dataclass(frozen=True, slots=True)
class History:
    now: float
    days: tuple[DayHistory, ...]  # oldest first; the last is today
    endpoints: tuple[str, ...]  # the plan's first, then any other the ledger saw
    planned: frozenset[str]
    permissions: Mapping[str, str | None]
    scopes: tuple[str, ...]  # declared, and granted but not declared
    threshold: int  # 2xx per endpoint the criteria ask for over the two days
    max_4xx_ratio: float  # met strictly below
    outlook: Outlook

    @property
    def today(self) -> DayHistory:
        return self.days[-1]

    @property
    def current(self) -> Verdict:
        """The verdict now: what ``rcgrad status`` says."""
        return self.days[-1].verdict

    @property
    def met_days(self) -> tuple[dt.date, ...]:
        return tuple(d.day for d in self.days if d.met)


def history(
    records: Iterable[CallRecord], *, now: float, app: AppFacts, days: int = DAYS, horizon: int = HORIZON
) -> History:
    """The last ``days`` UTC days (today last, judged at ``now``) and the outlook from ``now``."""
    rows = _Rows(records, now)
    today = utc_day(now)
    judged: list[DayHistory] = []
    for back in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        judged.append(_day_history(rows, day, min(midnight(day) + DAY - END_OF_DAY, now), now, app))
    rules = rules_for(app.profile, app.overrides)
    seen = {key for d in judged for key in d.successes} | {e.key for d in judged for e in d.verdict.endpoints}
    planned = frozenset(app.endpoints)
    permissions: dict[str, str | None] = {}
    for d in judged:
        for e in d.verdict.endpoints:
            if permissions.get(e.key) is None:
                permissions[e.key] = e.permission
    return History(
        now=now,
        days=tuple(judged),
        endpoints=(*sorted(planned), *sorted(seen - planned)),
        planned=planned,
        permissions=permissions,
        scopes=tuple(s.scope for s in judged[-1].verdict.scopes),
        threshold=rules.min_endpoint_successes,
        max_4xx_ratio=rules.max_4xx_ratio,
        outlook=outlook(rows.window(now - ROLLING_SECONDS, now), now=now, app=app, horizon=horizon),
    )


def reach(now: float, days: int = DAYS) -> float:
    """The earliest timestamp a history at ``now`` reads: the first day's window starts a day earlier."""
    first = utc_day(now) - dt.timedelta(days=days - 1)
    return midnight(first) - ROLLING_SECONDS


def outlook(records: Iterable[CallRecord], *, now: float, app: AppFacts, horizon: int = HORIZON) -> Outlook:
    """The first apply day, from today, whose verdict is met at its first instant and at its end if
    the warm-up runs daily; and the first met at its end."""
    rows = [r for r in records if r.ts <= now]
    today = utc_day(now)
    daily = app.daily or rules_for(app.profile, app.overrides).min_endpoint_successes
    warmups: list[tuple[dt.date, int]] = []
    blockers: list[str] = []
    failing: tuple[Criterion, ...] = ()
    by_end: dt.date | None = None
    for ahead in range(horizon):
        day = today + dt.timedelta(days=ahead)
        run_at = now + ahead * DAY
        topup = plan_warmup(
            [r for r in rows if r.ts >= run_at - ROLLING_SECONDS],
            now=run_at,
            items=app.items,
            scopes=app.scopes,
            profile=app.profile,
            overrides=app.overrides,
            daily=app.daily,
            facts=app.facts_of,
        )
        warmups.append((day, topup.total_calls))
        blockers.extend(b for b in topup.blockers if b not in blockers)
        rows.extend(_imagined(topup.per_endpoint, run_at, app))
        end = midnight(day) + DAY - END_OF_DAY
        at_end = app.judge([r for r in rows if r.ts >= end - ROLLING_SECONDS], end)
        start = midnight(day)
        at_start = app.judge([r for r in rows if start - ROLLING_SECONDS <= r.ts < start], start)
        if at_end.met and by_end is None:
            by_end = day
        if at_end.met and at_start.met:
            return Outlook(day, by_end, tuple(warmups), (), tuple(blockers), daily)
        failing = at_end.failed or at_start.failed
    return Outlook(None, by_end, tuple(warmups), failing, tuple(blockers), daily)


class _Rows:
    """The records up to ``now``, by time, so each verdict reads only its own two days."""

    def __init__(self, records: Iterable[CallRecord], now: float) -> None:
        self.records = sorted((r for r in records if r.ts <= now), key=lambda r: r.ts)
        self.stamps = [r.ts for r in self.records]

    def window(self, since: float, until: float, *, until_inclusive: bool = True) -> Sequence[CallRecord]:
        low = bisect.bisect_left(self.stamps, since)
        high = (bisect.bisect_right if until_inclusive else bisect.bisect_left)(self.stamps, until)
        return self.records[low:high]


def _day_history(rows: _Rows, day: dt.date, judged_at: float, now: float, app: AppFacts) -> DayHistory:
    verdict = app.judge(rows.window(judged_at - ROLLING_SECONDS, judged_at), judged_at)
    start = midnight(day)
    # At the first instant of D the window is (D-1, D) with nothing yet of D: a row stamped at
    # 00:00:00 belongs to D's first hour and must not count.
    at_start = app.judge(rows.window(start - ROLLING_SECONDS, start, until_inclusive=False), start)
    hours = [b for b in verdict.hourly if b.start >= start]
    ok = sum(b.ok for b in hours)
    errors_4xx = sum(b.errors_4xx for b in hours)
    errors_429 = sum(b.errors_429 for b in hours)
    errors_5xx = sum(b.errors_5xx for b in hours)
    successes = {e.key: e.today for e in verdict.endpoints}
    declared = {s.scope for s in verdict.scopes}
    scopes = frozenset(
        scope
        for e in verdict.endpoints
        if e.today
        for scope in exercised_by(e.permission)
        if scope in declared
    )
    return DayHistory(
        day=day,
        judged_at=judged_at,
        complete=judged_at < now,
        successes=successes,
        responses=ok + errors_4xx + errors_429 + errors_5xx,
        errors_4xx=errors_4xx + errors_429,
        errors_429=errors_429,
        errors_5xx=errors_5xx,
        scopes=scopes,
        verdict=verdict,
        met_at_start=at_start.met,
    )


def _imagined(per_endpoint: Mapping[str, int], ts: float, app: AppFacts) -> list[CallRecord]:
    """The warm-up's calls as it plans them, each a success: the outlook's one assumption."""
    out = []
    for key, count in per_endpoint.items():
        if wire.is_oauth(key):  # they run, and never count
            continue
        method, _, template = key.partition(" ")
        permission, group = app.facts_of(key)
        out.append(
            CallRecord(
                ts=ts,
                method=method,
                template=template,
                status=200,
                group=group,
                permission=permission,
                kind=Kind.API,
                run_id=PROJECTED_RUN,
                count=count,
            )
        )
    return out
