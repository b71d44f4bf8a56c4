"""The top-up planner: how many repetitions of each plan item the ledger still needs.

Two targets:

- ``graduate``: the apply day (tomorrow in UTC unless given). On day D the UTC window is (D-1, D)
  and a 48 h reading taken on D reaches back into D-2. Only successes from D-1 onwards are sure to
  count under every reading, so with D = tomorrow, today's traffic alone must carry the criteria;
  every 4xx since the start of D-2 may still be inside some reading, so all of them are diluted.
- ``warmup``: today's counts topped up to a daily baseline (the per-endpoint minimum unless the
  plan sets a daily number), so that any next day is a valid apply day.

Items run as a whole (create → read → delete), so an item's repetitions are the largest deficit
over its steps; then the cheapest items are repeated to cover the total, the unused scopes and the
4xx dilution. The input is neutral — (item name, endpoint keys of its steps in order) — so this
module does not depend on the plan module. Counting goes through ``runner.verdict.criteria.tally`` so the
rules are the verdict's rules. Pure: never I/O, never the clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from runner.rc import wire
from runner.rc.limits import WINDOW_SECONDS, default_limit
from runner.rc.scopes import exercised_by
from runner.verdict.criteria import DAY, Profile, Rules, Tally, endpoint_facts, rules_for, tally
from runner.verdict.records import CallRecord

ItemKeys = tuple[str, tuple[str, ...]]  # (item name, endpoint keys of its steps, in execution order)
Facts = Callable[[str], tuple[str | None, str]]  # endpoint key -> (permission, group)
DILUTION_MARGIN = Fraction(1, 5)  # aim 20 % under the 4xx bar: the top-up's own calls may fail too


@dataclass(frozen=True, slots=True)
class TopUp:
    mode: str  # "graduate" or "warmup"
    traffic_day: dt.date  # the UTC day the traffic must be sent on to count
    apply_day: dt.date | None  # graduate only
    repeats: dict[str, int]  # item name -> repetitions to run
    per_endpoint: dict[str, int]  # endpoint key -> calls those repetitions send
    reasons: tuple[str, ...]  # why each number is what it is
    blockers: tuple[str, ...]  # what traffic cannot fix (429s in the window, unplanned endpoints)

    @property
    def total_calls(self) -> int:
        return sum(self.per_endpoint.values())

    @property
    def is_empty(self) -> bool:
        return not any(self.repeats.values())


def expected_calls(repeats: Mapping[str, int], items: Sequence[ItemKeys]) -> dict[str, int]:
    """Endpoint key -> calls that running ``repeats`` of ``items`` sends (every step, once per repetition)."""
    calls: dict[str, int] = {}
    for name, steps in items:
        times = repeats.get(name, 0)
        if times <= 0:
            continue
        for key in steps:
            calls[key] = calls.get(key, 0) + times
    return calls


def calls_by_group(per_endpoint: Mapping[str, int], facts: Facts = endpoint_facts) -> dict[str, int]:
    """Throttling group -> calls, for ``limits.minimum_plan_seconds``."""
    groups: dict[str, int] = {}
    for key, n in per_endpoint.items():
        group = facts(key)[1] or "Unknown"
        groups[group] = groups.get(group, 0) + n
    return groups


def plan_graduate(
    records: Iterable[CallRecord],
    *,
    now: float,
    items: Sequence[ItemKeys],
    scopes: Iterable[str] = (),
    profile: Profile | str = Profile.STRICT,
    overrides: Mapping[str, Any] | None = None,
    apply_day: dt.date | None = None,
    facts: Facts = endpoint_facts,
) -> TopUp:
    """What must be sent so that the criteria hold on ``apply_day`` (default: tomorrow, UTC)."""
    today = _day(now)
    day = apply_day or today + dt.timedelta(days=1)
    if day < today:
        raise ValueError(f"apply day {day.isoformat()} is in the past (today is {today.isoformat()} UTC)")
    rules = rules_for(profile, overrides)
    return _top_up(
        tally(records, now),
        mode="graduate",
        apply_day=day,
        items=items,
        scopes=scopes,
        rules=rules,
        per_endpoint_target=rules.min_endpoint_successes,
        facts=facts,
    )


def plan_warmup(
    records: Iterable[CallRecord],
    *,
    now: float,
    items: Sequence[ItemKeys],
    scopes: Iterable[str] = (),
    profile: Profile | str = Profile.STRICT,
    overrides: Mapping[str, Any] | None = None,
    daily: int | None = None,
    facts: Facts = endpoint_facts,
) -> TopUp:
    """Today's traffic topped up to ``daily`` 2xx per endpoint (default: the per-endpoint minimum)."""
    rules = rules_for(profile, overrides)
    return _top_up(
        tally(records, now),
        mode="warmup",
        apply_day=_day(now) + dt.timedelta(days=1),
        items=items,
        scopes=scopes,
        rules=rules,
        per_endpoint_target=rules.min_endpoint_successes if daily is None else daily,
        facts=facts,
    )


def _top_up(
    counted: Tally,
    *,
    mode: str,
    apply_day: dt.date,
    items: Sequence[ItemKeys],
    scopes: Iterable[str],
    rules: Rules,
    per_endpoint_target: int,
    facts: Facts,
) -> TopUp:
    win = counted.window
    today = _day(win.now)
    traffic_day = apply_day - dt.timedelta(days=1)
    sure_since = _midnight(traffic_day)  # successes from here on count under every reading on apply_day
    risk_since = sure_since - DAY  # a 48 h reading on apply_day may reach back this far
    reasons: list[str] = []
    blockers: list[str] = []
    if traffic_day > today:
        reasons.append(
            f"send this on {traffic_day.isoformat()} (UTC): traffic sent earlier is out of the window"
        )

    counting = [(name, tuple(k for k in steps if not wire.is_oauth(k))) for name, steps in items]
    planned_keys = list(dict.fromkeys(k for _, steps in counting for k in steps))
    perm: dict[str, str | None] = {}
    group: dict[str, str] = {}
    for key in planned_keys:
        seen = counted.endpoints.get(key)
        p, g = (seen.permission, seen.group) if seen and seen.permission else facts(key)
        perm[key], group[key] = p, g or (seen.group if seen else "")

    def sure(key: str) -> int:
        ep = counted.endpoints.get(key)
        if ep is None or traffic_day > today:
            return 0
        return ep.today + (ep.yesterday if traffic_day < today else 0)

    have = {key: sure(key) for key in planned_keys}
    planned: dict[str, int] = dict.fromkeys(planned_keys, 0)
    repeats: dict[str, int] = {name: 0 for name, _ in items}

    def add(name: str, steps: tuple[str, ...], times: int) -> None:
        repeats[name] += times
        for key in steps:
            planned[key] += times

    # 1. Per endpoint: biggest items first, they are the only way to reach their write steps and
    #    their reads then need nothing more from smaller items.
    for name, steps in sorted(counting, key=lambda it: -len(set(it[1]))):
        need = 0
        for key in set(steps):
            gap = per_endpoint_target - have[key] - planned[key]
            if gap > 0:
                need = max(need, math.ceil(gap / steps.count(key)))
        if need:
            add(name, steps, need)
    for key in planned_keys:
        if planned[key]:
            reasons.append(
                f"{key}: {have[key]} 2xx counted, target {per_endpoint_target} → {planned[key]} call(s)"
            )

    # Endpoints in the window that the plan cannot call: traffic cannot fix them.
    for key, ep in counted.endpoints.items():
        if key not in planned and ep.responses and sure(key) < rules.min_endpoint_successes:
            blockers.append(
                f"{key}: called {ep.responses} time(s) in the last 48 h but no plan item calls it;"
                f" it needs {rules.min_endpoint_successes} 2xx as well"
            )

    cheapest = sorted(
        (it for it in counting if it[1]), key=lambda it: (_cost(it[1], group) / len(it[1]), len(it[1]))
    )

    # 2. Scopes: one 2xx under each declared permission, via the cheapest item that has one.
    def scope_successes() -> dict[str, int]:
        out: dict[str, int] = {}
        for key in planned_keys:
            for scope in exercised_by(perm[key]):
                out[scope] = out.get(scope, 0) + have[key] + planned[key]
        for key, ep in counted.endpoints.items():
            if key not in perm:
                for scope in exercised_by(ep.permission):
                    out[scope] = out.get(scope, 0) + sure(key)
        return out

    for scope in sorted(set(scopes)):
        if scope_successes().get(scope, 0) > 0:
            continue
        options = [it for it in cheapest if any(scope in exercised_by(perm[k]) for k in it[1])]
        if not options:
            blockers.append(f"scope {scope}: no plan item calls an endpoint under it")
            continue
        add(options[0][0], options[0][1], 1)
        reasons.append(f"scope {scope}: no 2xx counted → 1 repetition of {options[0][0]}")

    # 3. Total and 4xx dilution: both want more successful calls; the larger need wins.
    if cheapest:
        total_target = rules.min_total_successes
        hours = counted.hourly
        errors = sum(b[1] + b[2] for h, b in hours.items() if h * 3600 >= risk_since)
        sure_responses = sum(sum(b) for h, b in hours.items() if h * 3600 >= sure_since)
        if traffic_day > today:
            sure_responses = 0
        # Exact arithmetic: 4 / (0.05 * 0.8) is 99.999... in floats, one call short.
        target_ratio = Fraction(rules.max_4xx_ratio).limit_denominator(10**6) * (1 - DILUTION_MARGIN)
        name, steps = cheapest[0]
        while True:
            total_have = sum(have.values()) + sum(planned.values()) + _unplanned_sure(counted, perm, sure)
            responses = sure_responses + sum(planned.values())
            total_gap = total_target - total_have
            dilution_gap = (math.floor(errors / target_ratio) + 1 - responses) if errors else 0
            gap = max(total_gap, dilution_gap)
            if gap <= 0:
                break
            times = math.ceil(gap / len(steps))
            add(name, steps, times)
            if total_gap >= dilution_gap:
                reasons.append(f"total: {total_have} 2xx counted, target {total_target} → {times} × {name}")
            else:
                reasons.append(
                    f"4xx: {errors} may still be in the window on {apply_day.isoformat()}; keeping them under"
                    f" {float(target_ratio):.1%} of {responses} responses → {times} × {name}"
                )

    # 429s cannot be diluted: they must age out of every reading.
    last_429 = max((h for h, b in counted.hourly.items() if b[2] and h * 3600 >= risk_since), default=None)
    if last_429 is not None and "rate_limited_429" in rules.criteria:
        clear = _day((last_429 + 1) * 3600 + 2 * DAY)
        blockers.append(
            f"a 429 was received in the window; it stays in a 48 h reading until {clear.isoformat()}"
        )

    return TopUp(
        mode=mode,
        traffic_day=traffic_day,
        apply_day=apply_day if mode == "graduate" else None,
        repeats=repeats,
        per_endpoint={k: v for k, v in expected_calls(repeats, items).items() if v},
        reasons=tuple(reasons),
        blockers=tuple(blockers),
    )


def _unplanned_sure(counted: Tally, perm: Mapping[str, str | None], sure: Callable[[str], int]) -> int:
    return sum(sure(key) for key in counted.endpoints if key not in perm)


def _cost(steps: Iterable[str], group: Mapping[str, str]) -> float:
    """Seconds of rate-limit budget one repetition uses: 60/limit per call (Heavy 6 s, Light 1.2 s)."""
    total = 0.0
    for key in steps:
        limit = default_limit(group.get(key, ""))
        total += WINDOW_SECONDS / limit.limit if limit else 0.01
    return total


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def _midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
