"""The top-up planner: how many repetitions of each plan item the ledger still needs.

Two targets:

- ``graduate``: the apply day (tomorrow in UTC unless given). On day D the UTC window is (D-1, D)
  and a 48 h reading taken on D reaches back into D-2. Only successes from D-1 onwards are sure to
  count under every reading, so with D = tomorrow, today's traffic alone must carry the criteria;
  every 4xx since the start of D-2 may still be inside some reading, so all of them are diluted.
- ``warmup``: today's counts topped up to a daily baseline (the per-endpoint minimum unless the
  plan sets a daily number), so that any next day is a valid apply day.

Items run as a whole (create → read → delete), so an item's repetitions are the largest deficit over
its steps; then the cheapest items are repeated to cover the total, the unused scopes and the 4xx
dilution. An endpoint that answered 4xx in the window and never 2xx is broken in a way ``check``
cannot see (an id that does not exist there): items that call it are not planned again, so it costs
at most one 4xx over any number of reruns, and the working items carry the dilution. The input is
neutral — (item name, endpoint keys of its steps in order) — so this module does not depend on the
plan module. Counting goes through ``runner.verdict.criteria.tally`` so the rules are the verdict's
rules. Pure: never I/O, never the clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from runner.rc import wire
from runner.rc.catalog import WRITE_METHODS, load_catalog
from runner.rc.limits import WINDOW_SECONDS, default_limit
from runner.rc.scopes import exercised_by
from runner.records import CallRecord
from runner.verdict.criteria import (
    DAY,
    HOUR,
    RATE_LIMITED_429,
    Profile,
    Rules,
    Tally,
    endpoint_facts,
    midnight,
    rules_for,
    tally,
    utc_day,
)

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
    # Calls beyond what the criteria's counts need: to dilute 4xx already in the window, or a cushion
    # of safe successes before a risky first try; and why, one line per reason.
    beyond_minimum: int = 0
    beyond_why: tuple[str, ...] = ()

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


def with_least_runs(topup: TopUp, least: Mapping[str, int], items: Sequence[ItemKeys]) -> TopUp:
    """``topup`` with each item that runs at all run at least its ``calls:`` times (``least``): an
    item's calls: is a floor whenever it runs, never a reason to run."""
    if not any(topup.repeats.get(name, 0) and topup.repeats[name] < n for name, n in least.items()):
        return topup
    repeats = {name: max(n, least.get(name, 0)) if n else 0 for name, n in topup.repeats.items()}
    return replace(topup, repeats=repeats, per_endpoint=expected_calls(repeats, items))


def calls_by_group(per_endpoint: Mapping[str, int], facts: Facts = endpoint_facts) -> dict[str, int]:
    """Throttling group -> calls, for ``limits.minimum_plan_seconds``."""
    groups: dict[str, int] = {}
    for key, n in per_endpoint.items():
        group = facts(key)[1] or "Unknown"
        groups[group] = groups.get(group, 0) + n
    return groups


def plan_top_up(
    records: Iterable[CallRecord],
    *,
    mode: str,
    now: float,
    items: Sequence[ItemKeys],
    scopes: Iterable[str] = (),
    profile: Profile | str = Profile.STRICT,
    overrides: Mapping[str, Any] | None = None,
    apply_day: dt.date | None = None,
    daily: int | None = None,
    facts: Facts = endpoint_facts,
    retry_broken: bool = False,
    risky: Iterable[str] = (),
) -> TopUp:
    """What must be sent today so that the criteria hold on the apply day (default: tomorrow, UTC).

    ``graduate`` works for ``apply_day``; ``warmup`` for tomorrow, with ``daily`` 2xx per endpoint
    today (default: the per-endpoint minimum), so the window is healthy whenever someone looks."""
    today = utc_day(now)
    day = (apply_day if mode == "graduate" else None) or today + dt.timedelta(days=1)
    if day < today:
        raise ValueError(f"apply day {day.isoformat()} is in the past (today is {today.isoformat()} UTC)")
    rules = rules_for(profile, overrides)
    target = rules.min_endpoint_successes if mode == "graduate" or daily is None else daily
    return _top_up(
        tally(records, now),
        mode=mode,
        apply_day=day,
        items=items,
        scopes=scopes,
        rules=rules,
        per_endpoint_target=target,
        facts=facts,
        retry_broken=retry_broken,
        risky=risky,
    )


def plan_graduate(records: Iterable[CallRecord], **kwargs: Any) -> TopUp:
    """``plan_top_up`` for ``rcgrad graduate``."""
    return plan_top_up(records, mode="graduate", **kwargs)


def plan_warmup(records: Iterable[CallRecord], **kwargs: Any) -> TopUp:
    """``plan_top_up`` for ``rcgrad warmup``."""
    return plan_top_up(records, mode="warmup", **kwargs)


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
    retry_broken: bool = False,
    risky: Iterable[str] = (),
) -> TopUp:
    draft = _Draft(counted, apply_day, items, facts, {} if retry_broken else broken_endpoints(counted))
    draft.endpoints_to(per_endpoint_target)
    draft.block_unplannable(rules.min_endpoint_successes)
    draft.exercise(scopes)
    draft.total_and_dilution(rules)
    draft.cushion(frozenset(risky), rules)
    draft.block_recent_429(rules)
    return TopUp(
        mode=mode,
        traffic_day=draft.traffic_day,
        apply_day=apply_day if mode == "graduate" else None,
        repeats=draft.repeats,
        per_endpoint={k: v for k, v in expected_calls(draft.repeats, items).items() if v},
        reasons=tuple(draft.reasons),
        blockers=tuple(draft.blockers),
        beyond_minimum=draft.beyond_minimum,
        beyond_why=tuple(draft.beyond_why),
    )


class _Draft:
    """A top-up being worked out, one criterion at a time; each step adds repetitions and says why."""

    def __init__(
        self,
        counted: Tally,
        apply_day: dt.date,
        items: Sequence[ItemKeys],
        facts: Facts,
        broken: Mapping[str, int],
    ) -> None:
        self.counted = counted
        self.apply_day = apply_day
        self.today = utc_day(counted.window.now)
        self.traffic_day = apply_day - dt.timedelta(days=1)
        self.sure_since = midnight(self.traffic_day)  # counted under every reading on apply_day
        self.risk_since = self.sure_since - DAY  # a 48 h reading on apply_day may reach back this far
        self.reasons: list[str] = []
        self.blockers: list[str] = []
        self.beyond_minimum = 0
        self.beyond_why: list[str] = []
        if self.traffic_day > self.today:
            self.reasons.append(
                f"send this on {self.traffic_day.isoformat()} (UTC): traffic sent earlier is out of the window"
            )
        # OAuth steps run but never count: they are no way to reach any target but a scope, which a
        # successful one under a permission exercises (a WebSocket token).
        self.counting = [(name, tuple(k for k in steps if not wire.is_oauth(k))) for name, steps in items]
        self.oauth_scopes = {
            name: frozenset(s for k in steps if wire.is_oauth(k) for s in exercised_by(facts(k)[0]))
            for name, steps in items
        }
        self.broken = broken
        for key, errors in broken.items():
            if any(key in steps for _, steps in self.counting):
                self.blockers.append(
                    f"{key}: {errors} 4xx in the last 48 h and never a 2xx, so its items are not run again"
                    " (a second try would cost another 4xx); fix the step (an id that does not exist on"
                    " the server? a role the user lacks?), then rerun with --retry-broken"
                )
        self.counting = [(name, steps) for name, steps in self.counting if not set(steps) & broken.keys()]
        self.keys = list(dict.fromkeys(k for _, steps in self.counting for k in steps))
        self.perm: dict[str, str | None] = {}
        self.group: dict[str, str] = {}
        for key in self.keys:
            seen = counted.endpoints.get(key)
            p, g = (seen.permission, seen.group) if seen and seen.permission else facts(key)
            self.perm[key], self.group[key] = p, g or (seen.group if seen else "")
        self.have = {key: self.sure(key) for key in self.keys}
        self.planned: dict[str, int] = dict.fromkeys(self.keys, 0)
        self.repeats: dict[str, int] = {name: 0 for name, _ in items}
        self.cheapest = sorted(
            (it for it in self.counting if it[1]),
            key=lambda it: (_cost(it[1], self.group) / len(it[1]), len(it[1])),
        )
        # Calls beyond each endpoint's own need go to reads first: a surplus of writes is real SMS,
        # faxes or records on the account, where a surplus of reads costs only a little time.
        self.harmless_first = sorted(self.cheapest, key=lambda it: any(_writes(k) for k in it[1]))

    def sure(self, key: str) -> int:
        """2xx of ``key`` already in the ledger that still count on the apply day, whatever the reading."""
        ep = self.counted.endpoints.get(key)
        if ep is None or self.traffic_day > self.today:
            return 0
        return ep.today + (ep.yesterday if self.traffic_day < self.today else 0)

    def add(self, name: str, steps: tuple[str, ...], times: int) -> None:
        self.repeats[name] += times
        for key in steps:
            self.planned[key] += times

    def endpoints_to(self, target: int) -> None:
        """Every endpoint to ``target``: biggest items first, they are the only way to reach their
        write steps, and their reads then need nothing more from smaller items."""
        for name, steps in sorted(self.counting, key=lambda it: -len(set(it[1]))):
            need = 0
            for key in set(steps):
                gap = target - self.have[key] - self.planned[key]
                if gap > 0:
                    need = max(need, math.ceil(gap / steps.count(key)))
            if need:
                self.add(name, steps, need)
        for key in self.keys:
            if self.planned[key]:
                self.reasons.append(
                    f"{key}: {self.have[key]} 2xx counted, target {target} -> {self.planned[key]} call(s)"
                )

    def block_unplannable(self, minimum: int) -> None:
        """Endpoints in the window that the plan cannot call: traffic cannot fix them."""
        for key, ep in self.counted.endpoints.items():
            if (
                key not in self.planned
                and key not in self.broken
                and ep.responses
                and self.sure(key) < minimum
            ):
                self.blockers.append(
                    f"{key}: called {ep.responses} time(s) in the last 48 h but no plan item calls it;"
                    f" it needs {minimum} 2xx as well"
                )

    def scope_successes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key in self.keys:
            for scope in exercised_by(self.perm[key]):
                out[scope] = out.get(scope, 0) + self.have[key] + self.planned[key]
        for key, ep in self.counted.endpoints.items():
            if key not in self.perm:
                for scope in exercised_by(ep.permission):
                    out[scope] = out.get(scope, 0) + self.sure(key)
        for ep in self.counted.oauth_scopes.values():
            sure = ep.today + (ep.yesterday if self.traffic_day < self.today else 0)
            if self.traffic_day > self.today:
                sure = 0
            for scope in exercised_by(ep.permission):
                out[scope] = out.get(scope, 0) + sure
        for name, scopes in self.oauth_scopes.items():
            for scope in scopes if self.repeats.get(name) else ():
                out[scope] = out.get(scope, 0) + self.repeats[name]
        return out

    def exercise(self, scopes: Iterable[str]) -> None:
        """One 2xx under each declared permission, via the cheapest item that has one."""
        for scope in sorted(set(scopes)):
            if self.scope_successes().get(scope, 0) > 0:
                continue
            options = [it for it in self.cheapest if any(scope in exercised_by(self.perm[k]) for k in it[1])]
            options += [(name, steps) for name, steps in self.counting if scope in self.oauth_scopes[name]]
            if not options:
                self.blockers.append(f"scope {scope}: no plan item calls an endpoint under it")
                continue
            self.add(options[0][0], options[0][1], 1)
            self.reasons.append(f"scope {scope}: no 2xx counted -> 1 repetition of {options[0][0]}")

    def total_and_dilution(self, rules: Rules) -> None:
        """The total and the 4xx ratio both want more successful calls; the larger need wins."""
        if not self.cheapest:
            return
        hours = self.counted.hourly
        errors = sum(b.errors_4xx + b.errors_429 for h, b in hours.items() if h * HOUR >= self.risk_since)
        sure_responses = sum(b.responses for h, b in hours.items() if h * HOUR >= self.sure_since)
        if self.traffic_day > self.today:
            sure_responses = 0
        # Exact arithmetic: 4 / (0.05 * 0.8) is 99.999... in floats, one call short.
        target_ratio = Fraction(rules.max_4xx_ratio).limit_denominator(10**6) * (1 - DILUTION_MARGIN)
        unplanned = sum(self.sure(key) for key in self.counted.endpoints if key not in self.perm)
        name, steps = self.harmless_first[0]
        while True:
            total_have = sum(self.have.values()) + sum(self.planned.values()) + unplanned
            responses = sure_responses + sum(self.planned.values())
            total_gap = rules.min_total_successes - total_have
            dilution_gap = (math.floor(errors / target_ratio) + 1 - responses) if errors else 0
            gap = max(total_gap, dilution_gap)
            if gap <= 0:
                return
            times = math.ceil(gap / len(steps))
            self.add(name, steps, times)
            if total_gap >= dilution_gap:
                self.reasons.append(
                    f"total: {total_have} 2xx counted, target {rules.min_total_successes} -> {times} x {name}"
                )
            else:
                self.reasons.append(
                    f"4xx: {errors} may still be in the window on {self.apply_day.isoformat()}; keeping them"
                    f" under {float(target_ratio):.1%} of {responses} responses -> {times} x {name}"
                )
                self.beyond(
                    times * len(steps), f"to keep the {errors} 4xx already in the window under the bar"
                )

    def cushion(self, risky: frozenset[str], rules: Rules) -> None:
        """Safe successes first: an unproven risky endpoint (a write, an id to guess) is tried only
        once the window's successes can absorb one more 4xx, so plan enough safe calls for that."""
        unproven = [k for k in self.keys if k in risky and self.planned[k] and not self._ever_worked(k)]
        safe = [it for it in self.cheapest if not set(it[1]) & risky]
        if not unproven or not safe:
            return
        bar = Fraction(rules.max_4xx_ratio).limit_denominator(10**6)
        errors = sum(ep.errors_4xx for ep in self.counted.endpoints.values())
        need = math.ceil((errors + 1) * (1 - bar) / bar)
        have = sum(ep.last_48h for ep in self.counted.endpoints.values())
        # Only items with no risky step build it: the others are held back along with their reads.
        have += sum(self.repeats[name] * len(steps) for name, steps in safe)
        if have >= need:
            return
        name, steps = safe[0]
        times = math.ceil((need - have) / len(steps))
        self.add(name, steps, times)
        self.reasons.append(
            f"cushion: {need} successes before the first try of {unproven[0]}"
            f"{f' and {len(unproven) - 1} more unproven endpoints' if len(unproven) > 1 else ''}"
            f" (a 4xx there must stay under the bar) -> {times} x {name}"
        )
        self.beyond(
            times * len(steps),
            f"a cushion of safe successes before the first try of {len(unproven)} write or id-guessing"
            " endpoint(s), so one 4xx there stays under the bar",
        )

    def beyond(self, calls: int, why: str) -> None:
        self.beyond_minimum += calls
        self.beyond_why.append(why)

    def _ever_worked(self, key: str) -> bool:
        ep = self.counted.endpoints.get(key)
        return ep is not None and bool(ep.last_48h or ep.yesterday or ep.today)

    def block_recent_429(self, rules: Rules) -> None:
        """429s cannot be diluted: they must age out of every reading."""
        hours = self.counted.hourly
        last = max(
            (h for h, b in hours.items() if b.errors_429 and h * HOUR >= self.risk_since), default=None
        )
        if last is not None and RATE_LIMITED_429 in rules.criteria:
            clear = utc_day((last + 1) * HOUR + 2 * DAY)
            self.blockers.append(
                f"a 429 was received in the window; it stays in a 48 h reading until {clear.isoformat()}"
            )


def broken_endpoints(counted: Tally) -> dict[str, int]:
    """Endpoint key -> its 4xx, for endpoints that answered 4xx (not 429, not 401: those are about
    pacing and tokens; not an answer never recorded, which says nothing of the endpoint) in the
    window and never 2xx."""
    return {
        key: failures
        for key, ep in counted.endpoints.items()
        if (failures := ep.errors_4xx - ep.errors_429 - ep.errors_401 - ep.unknown) > 0
        and not (ep.last_48h or ep.yesterday or ep.today)
    }


def _writes(key: str) -> bool:
    """Whether a call to the endpoint ``key`` (``METHOD /path``) may change the account: the
    catalog's reading (a search by POST only reads), else its method's."""
    method, _, template = key.partition(" ")
    op = load_catalog().by_key(method, template)
    return op.is_write if op is not None else method in WRITE_METHODS


def _cost(steps: Iterable[str], group: Mapping[str, str]) -> float:
    """Seconds of rate-limit budget one repetition uses: 60/limit per call (Heavy 6 s, Light 1.2 s)."""
    total = 0.0
    for key in steps:
        limit = default_limit(group.get(key, ""))
        total += WINDOW_SECONDS / limit.limit if limit else 0.01
    return total
