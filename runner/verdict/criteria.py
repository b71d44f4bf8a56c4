"""The verdict: does the recorded traffic meet RingCentral's production-review criteria?

A pure function of (records, now, profile, plan facts). Records may be raw ``CallRecord`` rows or
pre-aggregated ones (``Ledger.summary``): every rule reads ``record.count``, so both go through the
same code. Profiles follow the three published versions of the criteria (docs/ringcentral.md, Review
criteria) and their union (``strict``, the default).

Counting rules, decided once here:

- OAuth records (``Kind.OAUTH``, or an OAuth or OpenID template: ``runner.rc.wire``) never count.
- A success is a 2xx. Transport failures (status 0) never reached RingCentral, so they are in no
  count. 5xx are responses the console sees: they are in the error-ratio denominator but are
  neither successes nor 4xx.
- A call sent whose answer was never recorded (status ``UNKNOWN``: the process died with it in
  flight) may have been answered anything: until known otherwise it is no success, and a 4xx in
  the error ratio (numerator and denominator). It is not taken for a 429 or a 401.
- Success counts use the UTC calendar window (yesterday and today); ``docs-2022`` reads "the last
  48 hours" as a rolling window; ``strict`` takes the lower of both readings.
- Error ratios, 429s and token defects use the union of both windows (the last 48 h reach further
  back than yesterday's midnight), the stricter reading.
- Records stamped after ``now`` are ignored.

This module must never do I/O, read the clock or look at the plan file: callers pass ``now`` and the
plan's facts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from runner import words
from runner.rc import wire
from runner.rc.catalog import load_catalog
from runner.rc.scopes import exercised_by
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.verdict.subject import Subject

DAY = 86_400.0
HOUR = 3_600.0
ROLLING_SECONDS = 2 * DAY
DESCRIPTION_MIN_CHARS = 80
DESCRIPTION_MIN_WORDS = 12


class Profile(StrEnum):
    DOCS_2019 = "docs-2019"
    DOCS_2022 = "docs-2022"
    COMMUNITY = "community"
    STRICT = "strict"


class Reading(StrEnum):
    """Which window a success count is read from."""

    UTC_DAYS = "utc"  # yesterday and today, UTC calendar days
    ROLLING_48H = "48h"  # the last 48 hours up to now


# Criterion names: the local sandbox reports the same ones; keep them exactly.
ENDPOINT_SUCCESSES = "endpoint_successes"
TOTAL_SUCCESSES = "total_successes"
SCOPES_EXERCISED = "scopes_exercised"
GRANTED_NOT_PLANNED = "granted to the app, per the token, but not in the plan"
ERROR_RATIO_4XX = "error_ratio_4xx"
AUTH_ERROR_RATIO = "auth_error_ratio"
RATE_LIMITED_429 = "rate_limited_429"
TOKEN_HYGIENE = "token_hygiene"
APP_DESCRIPTION = "app_description"


@dataclass(frozen=True, slots=True)
class Rules:
    """One profile's rule set after a plan's overrides."""

    profile: Profile
    criteria: tuple[str, ...]
    readings: tuple[Reading, ...]
    min_endpoint_successes: int = 5
    min_total_successes: int = 20
    max_4xx_ratio: float = 0.05  # met strictly below
    max_auth_error_ratio: float = 0.05
    max_429: int = 0


# Version C names every criterion there is; strict reads them in both windows.
EVERY_CRITERION = (
    ENDPOINT_SUCCESSES,
    TOTAL_SUCCESSES,
    SCOPES_EXERCISED,
    ERROR_RATIO_4XX,
    RATE_LIMITED_429,
    TOKEN_HYGIENE,
    APP_DESCRIPTION,
)

_PROFILES: dict[Profile, Rules] = {
    # Version A (2019-2022): criteria 1-3; 429 is listed among the 4xx.
    Profile.DOCS_2019: Rules(
        Profile.DOCS_2019,
        (ENDPOINT_SUCCESSES, TOTAL_SUCCESSES, SCOPES_EXERCISED, ERROR_RATIO_4XX),
        (Reading.UTC_DAYS,),
    ),
    # Version B (2022-2024): "more than 20", the last 48 hours, authentication errors only.
    Profile.DOCS_2022: Rules(
        Profile.DOCS_2022,
        (ENDPOINT_SUCCESSES, TOTAL_SUCCESSES, SCOPES_EXERCISED, AUTH_ERROR_RATIO),
        (Reading.ROLLING_48H,),
        min_total_successes=21,
    ),
    # Version C (community article): adds zero 429s, token hygiene and the app description.
    Profile.COMMUNITY: Rules(
        Profile.COMMUNITY,
        EVERY_CRITERION,
        (Reading.UTC_DAYS,),
    ),
    # The union: whichever version the reviewer reads, the traffic passes it.
    Profile.STRICT: Rules(
        Profile.STRICT,
        EVERY_CRITERION,
        (Reading.UTC_DAYS, Reading.ROLLING_48H),
        min_total_successes=21,
    ),
}

OVERRIDABLE = ("min_endpoint_successes", "min_total_successes", "max_4xx_ratio", "max_429")


def rules_for(profile: Profile | str, overrides: Mapping[str, Any] | None = None) -> Rules:
    """The profile's rules with a plan's threshold overrides (``OVERRIDABLE`` keys) applied.

    Raises ``ValueError`` for an unknown profile or key; the plan loader turns that into an
    ``InputError`` naming the line.
    """
    rules = _PROFILES[Profile(profile)]
    if not overrides:
        return rules
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(f"unknown threshold {unknown[0]!r}; expected one of {', '.join(OVERRIDABLE)}")
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "max_4xx_ratio":
            changes[key] = float(value)
            changes["max_auth_error_ratio"] = float(value)
        else:
            changes[key] = int(value)
    return replace(rules, **changes)


# ---------------------------------------------------------------- windows


@dataclass(frozen=True, slots=True)
class Window:
    """The bounds every reading of "the last two days" uses, for one ``now`` (UTC epoch seconds)."""

    now: float
    yesterday_start: float  # UTC midnight starting yesterday
    today_start: float  # UTC midnight starting today
    rolling_start: float  # now - 48 h: the earliest instant any reading reaches

    @classmethod
    def at(cls, now: float) -> Window:
        today = math.floor(now / DAY) * DAY
        return cls(now, today - DAY, today, now - ROLLING_SECONDS)


def lookback(now: float) -> float:
    """The earliest timestamp any criterion reads at ``now``: fetch records since this."""
    return now - ROLLING_SECONDS


def iso(ts: float) -> str:
    """A moment as reports show it: UTC, to the second (``2026-12-05T15:57:40Z``)."""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def midnight(day: dt.date) -> float:
    """The first instant of a UTC day: when a review of an application on that day can begin."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


# ---------------------------------------------------------------- tallies


@dataclass(slots=True)
class EndpointTally:
    key: str
    permission: str | None = None
    group: str = ""
    yesterday: int = 0  # 2xx in yesterday's UTC day
    today: int = 0  # 2xx in today's UTC day, up to now
    last_48h: int = 0  # 2xx in the rolling 48 h
    errors_4xx: int = 0  # in the union window, unknown answers included
    responses: int = 0  # in the union window, status 0 excluded
    unknown: int = 0  # sent, answer never recorded (in errors_4xx and responses too)
    errors_429: int = 0
    errors_401: int = 0
    expired_401: int = 0

    def successes(self, readings: Iterable[Reading]) -> int:
        values = [self.yesterday + self.today if r is Reading.UTC_DAYS else self.last_48h for r in readings]
        return min(values) if values else 0


@dataclass(slots=True)
class HourCounts:
    """Responses of one UTC hour by status class (transport failures and OAuth calls excluded)."""

    ok: int = 0
    errors_4xx: int = 0  # 429 not included; unknown answers included
    errors_429: int = 0
    errors_5xx: int = 0

    @property
    def responses(self) -> int:
        return self.ok + self.errors_4xx + self.errors_429 + self.errors_5xx


@dataclass(slots=True)
class Tally:
    """What the records add up to at one ``now``: the single place records are counted."""

    window: Window
    endpoints: dict[str, EndpointTally] = field(default_factory=dict)
    events: dict[TokenEvent, int] = field(default_factory=dict)
    hourly: dict[int, HourCounts] = field(default_factory=dict)  # hours since the epoch -> counts
    imported: int = 0
    unknown: int = 0  # calls sent whose answer was never recorded
    # Successful OAuth calls made under a permission, by permission: never an endpoint, but they
    # exercise it (a WebSocket token: docs/ringcentral.md, Rules, ws.scope).
    oauth_scopes: dict[str, EndpointTally] = field(default_factory=dict)
    api_days: set[int] = field(default_factory=set)  # UTC day starts with rcgrad's own calls
    imported_days: set[int] = field(default_factory=set)

    def successes_by_permission(self, readings: tuple[Reading, ...]) -> dict[str, int]:
        by_scope: dict[str, int] = {}
        for ep in [*self.endpoints.values(), *self.oauth_scopes.values()]:
            n = ep.successes(readings)
            for scope in exercised_by(ep.permission):
                by_scope[scope] = by_scope.get(scope, 0) + n
        return by_scope


def tally(records: Iterable[CallRecord], now: float) -> Tally:
    """Count ``records`` into the windows of ``now``. Linear; one pass; no sorting."""
    win = Window.at(now)
    result = Tally(win)
    eps = result.endpoints
    events = result.events
    hourly = result.hourly
    start, today, yesterday = win.rolling_start, win.today_start, win.yesterday_start
    imported = Kind.IMPORTED
    for rec in records:
        ts = rec.ts
        if ts < start or ts > now:
            continue
        n = rec.count
        if rec.event is not None:
            events[rec.event] = events.get(rec.event, 0) + n
        status = rec.status
        if status == 0 or rec.is_oauth:
            if rec.is_oauth and rec.permission and wire.is_success(status):
                scope = result.oauth_scopes.get(rec.permission)
                if scope is None:
                    scope = result.oauth_scopes[rec.permission] = EndpointTally(
                        rec.permission, rec.permission
                    )
                scope.last_48h += n
                if ts >= today:
                    scope.today += n
                elif ts >= yesterday:
                    scope.yesterday += n
            continue
        key = f"{rec.method} {rec.template}"
        ep = eps.get(key)
        if ep is None:
            ep = eps[key] = EndpointTally(key, rec.permission, rec.group)
        elif ep.permission is None and rec.permission is not None:
            ep.permission = rec.permission
        day = int(ts // DAY * DAY)
        if rec.kind is imported:
            result.imported += n
            result.imported_days.add(day)
        else:
            result.api_days.add(day)
        ep.responses += n
        bucket = hourly.get(int(ts // HOUR))
        if bucket is None:
            bucket = hourly[int(ts // HOUR)] = HourCounts()
        if wire.is_success(status):
            ep.last_48h += n
            if ts >= today:
                ep.today += n
            elif ts >= yesterday:
                ep.yesterday += n
            bucket.ok += n
        elif wire.is_4xx(status):
            ep.errors_4xx += n
            if status == 429:
                ep.errors_429 += n
                bucket.errors_429 += n
            else:
                bucket.errors_4xx += n
                if status == 401:
                    ep.errors_401 += n
                    if rec.error_code in wire.EXPIRED_TOKEN_CODES:
                        ep.expired_401 += n
        elif wire.is_5xx(status):
            bucket.errors_5xx += n
        elif status == UNKNOWN:
            ep.errors_4xx += n
            ep.unknown += n
            bucket.errors_4xx += n
            result.unknown += n
    return result


# ---------------------------------------------------------------- the verdict


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    met: bool
    value: float
    threshold: float
    margin: float  # how far from failing, in the criterion's unit: > 0 (or == 0 for minimums) is met
    detail: str
    needs_human: bool = False


@dataclass(frozen=True, slots=True)
class EndpointStats:
    key: str
    permission: str | None
    group: str
    yesterday: int
    today: int
    last_48h: int
    errors_4xx: int
    total: int  # responses in the union window (status 0 excluded)
    in_plan: bool = True


@dataclass(frozen=True, slots=True)
class ScopeStats:
    scope: str
    successes: int
    exercised: bool


@dataclass(frozen=True, slots=True)
class TokenStats:
    logins: int
    relogins: int
    refreshes: int
    refresh_on_401: int
    expired_401: int


@dataclass(frozen=True, slots=True)
class HourBucket:
    start: float  # UTC epoch of the hour
    ok: int
    errors_4xx: int  # 429 not included
    errors_429: int
    errors_5xx: int


@dataclass(frozen=True, slots=True)
class Verdict:
    met: bool
    profile: Profile
    now: float
    criteria: tuple[Criterion, ...]
    endpoints: tuple[EndpointStats, ...]
    scopes: tuple[ScopeStats, ...]
    tokens: TokenStats
    caveats: tuple[str, ...]
    window: Window
    hourly: tuple[HourBucket, ...] = ()
    subject: Subject | None = None  # what was judged; set by the caller that knows the plan and partition
    apply_day: dt.date | None = None  # the application day judged (None: the day of ``now``)

    @property
    def judged_day(self) -> dt.date:
        """The UTC day an application would be reviewed on: the review reads it and the day before."""
        return self.apply_day or utc_day(self.now)

    def criterion(self, name: str) -> Criterion | None:
        return next((c for c in self.criteria if c.name == name), None)

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)


def evaluate(
    records: Iterable[CallRecord],
    *,
    now: float,
    profile: Profile | str = Profile.STRICT,
    scopes: Iterable[str] = (),
    endpoints: Iterable[str] | None = None,
    description: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    catalog_lookup: bool = True,
    granted: Iterable[str] | None = None,
) -> Verdict:
    """Judge ``records`` at ``now`` under ``profile``.

    ``scopes`` are the app's declared permissions; ``granted`` those the server's token listed
    (each must be exercised too, as the console judges the app's real permissions); ``endpoints``
    the plan's "METHOD /template" keys, each of which must meet the per-endpoint minimum even if
    never called. Endpoints seen in the records but not in the plan count too: the console sees
    all traffic.
    """
    return verdict_from(
        tally(records, now),
        rules=rules_for(profile, overrides),
        scopes=scopes,
        endpoints=endpoints,
        description=description,
        catalog_lookup=catalog_lookup,
        granted=granted,
    )


def verdict_from(
    counted: Tally,
    *,
    rules: Rules,
    scopes: Iterable[str] = (),
    endpoints: Iterable[str] | None = None,
    description: str | None = None,
    catalog_lookup: bool = True,
    granted: Iterable[str] | None = None,
) -> Verdict:
    win = counted.window
    eps = with_plan_endpoints(counted.endpoints, endpoints or (), catalog_lookup)
    planned = set(endpoints or ())
    readings = rules.readings
    unplanned = sorted(set(granted or ()) - set(scopes))
    declared = sorted(set(scopes) | set(unplanned))

    per_ep = {k: ep.successes(readings) for k, ep in eps.items()}
    by_scope = counted.successes_by_permission(readings)
    facts = _Facts(
        rules=rules,
        per_endpoint=per_ep,
        responses=sum(ep.responses for ep in eps.values()),
        errors_4xx=sum(ep.errors_4xx for ep in eps.values()),
        errors_429=sum(ep.errors_429 for ep in eps.values()),
        errors_401=sum(ep.errors_401 for ep in eps.values()),
        unknown=counted.unknown,
        scopes=tuple(ScopeStats(s, by_scope.get(s, 0), by_scope.get(s, 0) > 0) for s in declared),
        tokens=TokenStats(
            logins=counted.events.get(TokenEvent.LOGIN, 0),
            relogins=counted.events.get(TokenEvent.RELOGIN, 0),
            refreshes=counted.events.get(TokenEvent.REFRESH, 0),
            refresh_on_401=counted.events.get(TokenEvent.REFRESH_ON_401, 0),
            expired_401=sum(ep.expired_401 for ep in eps.values()),
        ),
        reading_text=" and ".join(_READING_TEXT[r] for r in readings),
        description=description,
        unplanned=frozenset(unplanned),
    )
    criteria = tuple(CRITERIA[name](facts) for name in rules.criteria)
    return Verdict(
        met=all(c.met for c in criteria),
        profile=rules.profile,
        now=win.now,
        criteria=criteria,
        endpoints=_endpoint_stats(eps, per_ep, planned),
        scopes=facts.scopes,
        tokens=facts.tokens,
        caveats=caveats(counted),
        window=win,
        hourly=_hourly(counted),
    )


def _endpoint_stats(
    eps: Mapping[str, EndpointTally], per_ep: Mapping[str, int], planned: set[str]
) -> tuple[EndpointStats, ...]:
    """One row per endpoint, the weakest first (the one a reader must look at)."""
    return tuple(
        EndpointStats(
            key=ep.key,
            permission=ep.permission,
            group=ep.group,
            yesterday=ep.yesterday,
            today=ep.today,
            last_48h=ep.last_48h,
            errors_4xx=ep.errors_4xx,
            total=ep.responses,
            in_plan=ep.key in planned,
        )
        for ep in sorted(eps.values(), key=lambda e: (per_ep[e.key], e.key))
    )


def _hourly(counted: Tally) -> tuple[HourBucket, ...]:
    """Calls per hour of the 48 h reading, by status class (the HTML report's chart)."""
    win = counted.window
    return tuple(
        HourBucket(hour * HOUR, h.ok, h.errors_4xx, h.errors_429, h.errors_5xx)
        for hour in range(int(win.rolling_start // HOUR), int(win.now // HOUR) + 1)
        if (h := counted.hourly.get(hour)) is not None
    )


# ---------------------------------------------------------------- the criteria, one function each


@dataclass(frozen=True, slots=True)
class _Facts:
    """The totals every criterion reads, counted once per verdict."""

    rules: Rules
    per_endpoint: Mapping[str, int]  # 2xx per endpoint, in the rules' readings
    responses: int
    errors_4xx: int
    errors_429: int
    errors_401: int
    scopes: tuple[ScopeStats, ...]
    tokens: TokenStats
    reading_text: str
    description: str | None
    unplanned: frozenset[str] = frozenset()  # granted per the token, not in the plan
    unknown: int = 0  # of errors_4xx: calls sent whose answer was never recorded


def _endpoint_successes(f: _Facts) -> Criterion:
    return _endpoint_criterion(f.per_endpoint, f.rules.min_endpoint_successes, f.reading_text)


def _total_successes(f: _Facts) -> Criterion:
    total = sum(f.per_endpoint.values())
    detail = f"2xx over all endpoints, {f.reading_text}"
    return _minimum(TOTAL_SUCCESSES, total, f.rules.min_total_successes, detail)


def _scopes_exercised(f: _Facts) -> Criterion:
    unused = [s.scope for s in f.scopes if not s.exercised]
    named = [f"{s} ({GRANTED_NOT_PLANNED})" if s in f.unplanned else s for s in unused]
    detail = f"unused: {', '.join(named)}" if unused else "every declared scope has a 2xx call"
    return _minimum(SCOPES_EXERCISED, len(f.scopes) - len(unused), len(f.scopes), detail)


def _error_ratio_4xx(f: _Facts) -> Criterion:
    what = "4xx (429 included" + (f"; {f.unknown} of them unknown answers)" if f.unknown else ")")
    return _ratio(ERROR_RATIO_4XX, f.errors_4xx, f.responses, f.rules.max_4xx_ratio, what)


def _auth_error_ratio(f: _Facts) -> Criterion:
    what = "401 authentication errors"
    return _ratio(AUTH_ERROR_RATIO, f.errors_401, f.responses, f.rules.max_auth_error_ratio, what)


def _rate_limited_429(f: _Facts) -> Criterion:
    return _maximum(RATE_LIMITED_429, f.errors_429, f.rules.max_429, "429 responses in the last 48 h")


def _token_hygiene(f: _Facts) -> Criterion:
    t = f.tokens
    detail = (
        f"{t.expired_401} 401 from expired/invalid tokens, {t.refresh_on_401} refresh after a 401;"
        f" {t.logins} login(s), {t.relogins} re-login(s), {t.refreshes} proactive refresh(es)"
    )
    return _maximum(TOKEN_HYGIENE, t.expired_401 + t.refresh_on_401, 0, detail)


def _app_description(f: _Facts) -> Criterion:
    return description_criterion(f.description)


# Every criterion by name; a profile lists the names it judges (EVERY_CRITERION and friends).
CRITERIA: Mapping[str, Callable[[_Facts], Criterion]] = {
    ENDPOINT_SUCCESSES: _endpoint_successes,
    TOTAL_SUCCESSES: _total_successes,
    SCOPES_EXERCISED: _scopes_exercised,
    ERROR_RATIO_4XX: _error_ratio_4xx,
    AUTH_ERROR_RATIO: _auth_error_ratio,
    RATE_LIMITED_429: _rate_limited_429,
    TOKEN_HYGIENE: _token_hygiene,
    APP_DESCRIPTION: _app_description,
}


def with_plan_endpoints(
    seen: Mapping[str, EndpointTally], planned: Iterable[str], catalog_lookup: bool = True
) -> dict[str, EndpointTally]:
    """The tallies of every endpoint the verdict must judge: those seen plus the plan's, at zero."""
    merged = dict(seen)
    for key in planned:
        if key in merged:
            continue
        permission, group = endpoint_facts(key) if catalog_lookup else (None, "")
        merged[key] = EndpointTally(key, permission, group)
    return merged


def endpoint_facts(key: str) -> tuple[str | None, str]:
    """(permission, throttling group) of an endpoint key from the catalog; (None, "") if unknown."""
    method, _, template = key.partition(" ")
    op = load_catalog().by_key(method, template)
    return (op.permission, op.group) if op else (None, "")


PLACEHOLDER_WORDS = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum", re.IGNORECASE)


def description_placeholder(description: str | None) -> str | None:
    """The placeholder word in a description still waiting for a person (TODO, TBD, ...), if any."""
    found = PLACEHOLDER_WORDS.search(description or "")
    return found.group(0) if found else None


def description_criterion(description: str | None) -> Criterion:
    """Presence and substance only: whether it describes the use case is a person's call."""
    text = (description or "").strip()
    words = len(text.split())
    placeholder = description_placeholder(text)
    met = len(text) >= DESCRIPTION_MIN_CHARS and words >= DESCRIPTION_MIN_WORDS and placeholder is None
    if not text:
        detail = "no description in the plan; the console needs an app description and use-case summary"
    elif placeholder:
        detail = f"the description still holds the placeholder {placeholder!r}; write the app's real use case"
    elif met:
        detail = f"{len(text)} chars, {words} words: confirm it describes the app and its use case"
    else:
        detail = (
            f"{len(text)} chars, {words} words: too thin (need {DESCRIPTION_MIN_CHARS}+ chars,"
            f" {DESCRIPTION_MIN_WORDS}+ words)"
        )
    return Criterion(
        APP_DESCRIPTION,
        met,
        len(text),
        DESCRIPTION_MIN_CHARS,
        len(text) - DESCRIPTION_MIN_CHARS,
        detail,
        True,
    )


def caveats(counted: Tally) -> tuple[str, ...]:
    notes = []
    if counted.imported:
        notes.append(
            f"{words.counted(counted.imported, 'call')} imported from the Developer Console; traffic the app sent outside"
            " rcgrad on other days is still invisible."
        )
        overlap = counted.imported_days & counted.api_days
        if overlap:
            days = ", ".join(
                sorted(dt.datetime.fromtimestamp(d, tz=dt.UTC).date().isoformat() for d in overlap)
            )
            notes.append(
                f"imported console counts and rcgrad's own calls share {days}: the console's figures already"
                " include rcgrad's calls, so those days may be counted twice."
            )
    else:
        notes.append(
            "Only rcgrad's own calls are counted: the app's other traffic (production use, other tools) is"
            " invisible unless imported with `rcgrad ledger import`."
        )
    if counted.unknown:
        notes.append(
            f"{words.counted(counted.unknown, 'call')} with no recorded answer (a run was killed with them in flight, or is"
            " still running): the server may have refused them, so each counts as a 4xx and as no success."
        )
    notes.append(
        "The console's analytics are not real time (the docs say plan 2-3 days): its figures may lag this verdict."
    )
    notes.append(
        "RingCentral removed the graduation gate in March 2024 (docs/ringcentral.md, Graduation in 2024); these criteria are the published ones."
    )
    return tuple(notes)


_READING_TEXT = {Reading.UTC_DAYS: "yesterday+today (UTC)", Reading.ROLLING_48H: "last 48 h"}


def _endpoint_criterion(per_ep: Mapping[str, int], minimum: int, reading_text: str) -> Criterion:
    if not per_ep:
        return Criterion(ENDPOINT_SUCCESSES, False, 0, minimum, -minimum, "no endpoint has been called")
    lowest = min(per_ep.values())
    short = sorted(k for k, v in per_ep.items() if v < minimum)
    if short:
        shown = ", ".join(f"{k} ({per_ep[k]})" for k in short[:5])
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        detail = f"{len(short)} endpoint(s) below {minimum} 2xx, {reading_text}: {shown}{more}"
    else:
        detail = f"all {len(per_ep)} endpoints have {minimum}+ 2xx, {reading_text}"
    return Criterion(ENDPOINT_SUCCESSES, not short, lowest, minimum, lowest - minimum, detail)


def _minimum(name: str, value: int, threshold: int, detail: str) -> Criterion:
    return Criterion(name, value >= threshold, value, threshold, value - threshold, detail)


def _maximum(name: str, value: int, threshold: int, detail: str) -> Criterion:
    return Criterion(name, value <= threshold, value, threshold, threshold - value, detail)


def _ratio(name: str, errors: int, responses: int, threshold: float, what: str) -> Criterion:
    ratio = errors / responses if responses else 0.0
    # How many more such errors the window could absorb and still stay strictly below the bar.
    # (errors + k) / (responses + k) < threshold  <=>  k < (threshold * responses - errors) / (1 - threshold)
    spare = math.ceil((threshold * responses - errors) / (1 - threshold)) - 1 if threshold < 1 else responses
    detail = (
        f"{errors} {what} of {responses} responses in the last 48 h; {max(spare, 0)} more would still pass"
    )
    return Criterion(name, ratio < threshold, ratio, threshold, threshold - ratio, detail)
