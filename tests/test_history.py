"""The window's history as a pure model: hand-made rows, an injected ``now``, no socket, no database.

Every day's verdict must be the one ``criteria.evaluate`` gives at that day's end; the per-day
figures are what that day alone holds; the outlook runs ``topup.plan_warmup`` day after day.
"""

from __future__ import annotations

import datetime as dt

from runner.records import Kind
from runner.verdict.criteria import ENDPOINT_SUCCESSES, RATE_LIMITED_429, SCOPES_EXERCISED, evaluate, midnight
from runner.verdict.history import DAYS, END_OF_DAY, HORIZON, AppFacts, history, outlook
from tests.criteria_support import DESCRIPTION, at, facts, many, rec

NOW = at("2026-03-14T12:00")
TODAY = dt.date(2026, 3, 14)
APP = AppFacts(
    scopes=("ReadA", "ReadB"),
    endpoints=("GET /a", "GET /b/{id}"),
    items=(("a", ("GET /a",)), ("b", ("GET /b/{id}",))),
    description=DESCRIPTION,
    facts=facts,
)


def warm_day(day: str, a: int = 11, b: int = 10) -> list:
    """What a day's warm-up leaves: enough on its own for the strict criteria (21 in total)."""
    return many(at(f"{day}T06:00"), "GET /a", a) + many(at(f"{day}T06:10"), "GET /b/{id}", b)


def days_from(first: dt.date, last: dt.date) -> list[str]:
    out = []
    while first <= last:
        out.append(first.isoformat())
        first += dt.timedelta(days=1)
    return out


def by_day(h) -> dict[dt.date, object]:
    return {d.day: d for d in h.days}


def test_fourteen_days_oldest_first_today_judged_at_now():
    h = history([], now=NOW, app=APP)
    assert len(h.days) == DAYS == 14
    assert h.days[0].day == TODAY - dt.timedelta(days=13)
    assert h.today.day == TODAY and not h.today.complete and h.today.judged_at == NOW
    assert all(d.complete for d in h.days[:-1])
    assert h.days[-2].judged_at == midnight(TODAY) - END_OF_DAY
    assert h.endpoints == ("GET /a", "GET /b/{id}")
    assert h.threshold == 5 and h.max_4xx_ratio == 0.05
    assert not h.met_days


def test_each_day_is_the_verdict_evaluate_gives_at_its_end():
    records = [r for day in days_from(TODAY - dt.timedelta(days=6), TODAY) for r in warm_day(day)]
    records += [rec(at("2026-03-10T08:00"), "GET /a", 404)]
    h = history(records, now=NOW, app=APP)
    for d in h.days:
        expected = evaluate(
            records,
            now=d.judged_at,
            scopes=APP.scopes,
            endpoints=APP.endpoints,
            description=DESCRIPTION,
            catalog_lookup=False,
        )
        assert d.verdict == expected, d.day


def test_a_day_alone_its_successes_errors_and_scopes():
    records = (
        many(at("2026-03-10T08:00"), "GET /a", 7)
        + many(at("2026-03-10T09:00"), "GET /a", 2, status=404)
        + [rec(at("2026-03-10T09:30"), "GET /a", 429), rec(at("2026-03-10T09:40"), "GET /a", 503)]
        + [rec(at("2026-03-10T09:50"), "GET /a", 0)]  # no response: in no count
        + [rec(at("2026-03-10T10:00"), "POST /restapi/oauth/token", 200, kind=Kind.OAUTH)]
        + many(at("2026-03-11T08:00"), "GET /b/{id}", 3)
    )
    days = by_day(history(records, now=NOW, app=APP))
    d10, d11 = days[dt.date(2026, 3, 10)], days[dt.date(2026, 3, 11)]
    assert d10.successes == {"GET /a": 7, "GET /b/{id}": 0}
    assert (d10.responses, d10.errors_4xx, d10.errors_429, d10.errors_5xx) == (11, 3, 1, 1)
    assert d10.ratio_4xx == 3 / 11
    assert d10.scopes == {"ReadA"}
    assert d11.successes == {"GET /a": 0, "GET /b/{id}": 3}
    assert d11.scopes == {"ReadB"} and d11.responses == 3 and d11.ratio_4xx == 0
    assert days[dt.date(2026, 3, 12)].responses == 0


def test_apply_day_d_judges_d_minus_1_and_d():
    # 3 of GET /b/{id} on each of two days: 6 over the window, never 5 in one day.
    records = [
        *many(at("2026-03-10T08:00"), "GET /a", 11),
        *many(at("2026-03-10T08:00"), "GET /b/{id}", 3),
        *many(at("2026-03-11T08:00"), "GET /a", 11),
        *many(at("2026-03-11T08:00"), "GET /b/{id}", 3),
    ]
    days = by_day(history(records, now=NOW, app=APP))
    assert not days[dt.date(2026, 3, 10)].met  # the 9th and the 10th: 3 of GET /b/{id}
    assert days[dt.date(2026, 3, 11)].met  # the 10th and the 11th: 6
    assert not days[dt.date(2026, 3, 12)].met  # the 11th and the 12th: 3 again
    assert days[dt.date(2026, 3, 11)].successes == {"GET /a": 11, "GET /b/{id}": 3}


def test_met_days_follow_the_traffic_and_a_429_spoils_two_apply_days():
    records = [r for day in days_from(TODAY - dt.timedelta(days=9), TODAY) for r in warm_day(day)]
    records.append(rec(at("2026-03-10T15:00"), "GET /a", 429))
    h = history(records, now=NOW, app=APP)
    days = by_day(h)
    met = {d.day for d in h.days if d.met}
    first_traffic = TODAY - dt.timedelta(days=9)
    assert first_traffic in met  # one warm day carries the strict criteria on its own
    assert dt.date(2026, 3, 10) not in met and dt.date(2026, 3, 11) not in met
    assert days[dt.date(2026, 3, 11)].verdict.criterion(RATE_LIMITED_429).value == 1
    assert dt.date(2026, 3, 12) in met
    assert days[dt.date(2026, 3, 10)].errors_429 == 1 and days[dt.date(2026, 3, 11)].errors_429 == 0
    assert all(d.day not in met for d in h.days if d.day < first_traffic)


def test_met_at_start_needs_the_day_before_alone():
    # Everything arrives late on the 12th: an application on the 12th meets only by its end.
    records = warm_day("2026-03-12").copy()
    records = [r.__class__(**{**_fields(r), "ts": r.ts + 17 * 3600}) for r in records]
    days = by_day(history(records, now=NOW, app=APP))
    d12, d13 = days[dt.date(2026, 3, 12)], days[dt.date(2026, 3, 13)]
    assert d12.met and not d12.met_at_start
    assert d13.met and d13.met_at_start


def test_a_row_stamped_at_midnight_belongs_to_the_new_day():
    # The ledger's hourly roll-up stamps a whole hour at its start: 00:00:00 is the new day's.
    records = [rec(midnight(dt.date(2026, 3, 13)), "GET /a", 200, count=11)]
    records.append(rec(midnight(dt.date(2026, 3, 13)), "GET /b/{id}", 200, count=10))
    days = by_day(history(records, now=NOW, app=APP))
    assert days[dt.date(2026, 3, 12)].calls == 0
    assert days[dt.date(2026, 3, 13)].calls == 21
    assert days[dt.date(2026, 3, 13)].met and not days[dt.date(2026, 3, 13)].met_at_start


def test_endpoints_outside_the_plan_follow_the_planned_ones():
    records = warm_day("2026-03-13") + many(at("2026-03-13T07:00"), "DELETE /b/{id}", 2)
    h = history(records, now=NOW, app=APP)
    assert h.endpoints == ("GET /a", "GET /b/{id}", "DELETE /b/{id}")
    assert "DELETE /b/{id}" not in h.planned
    assert h.permissions["DELETE /b/{id}"] == "EditB"
    assert not by_day(h)[dt.date(2026, 3, 13)].met  # 2 successes on an endpoint the console sees


def test_records_after_now_are_ignored():
    records = warm_day("2026-03-14") + many(at("2026-03-14T13:00"), "GET /a", 50)
    h = history(records, now=NOW, app=APP)
    assert h.today.successes["GET /a"] == 11


# ------------------------------------------------------------------------- the outlook


def test_with_no_traffic_today_meets_by_its_end_and_tomorrow_all_day():
    o = outlook([], now=NOW, app=APP)
    assert o.by_end == TODAY  # once today's warm-up has run
    assert o.apply_day == TODAY + dt.timedelta(days=1)  # today's traffic alone carries tomorrow
    assert o.warmups == ((TODAY, 21), (TODAY + dt.timedelta(days=1), 21))  # 5 + 5, then up to 21


def test_a_healthy_window_needs_no_warmup_calls_today():
    records = warm_day("2026-03-13") + warm_day("2026-03-14")
    o = outlook(records, now=NOW, app=APP)
    assert o.apply_day == o.by_end == TODAY
    assert o.warmups == ((TODAY, 0),)


def test_a_429_now_waits_until_it_leaves_every_reading():
    records = warm_day("2026-03-13") + warm_day("2026-03-14") + [rec(at("2026-03-14T11:00"), "GET /a", 429)]
    o = outlook(records, now=NOW, app=APP)
    # The 16th's end reads the 15th and the 16th; its first instant still reads 48 h back, into the 14th.
    assert o.by_end == TODAY + dt.timedelta(days=2)
    assert o.apply_day == TODAY + dt.timedelta(days=3)
    assert [day for day, _ in o.warmups] == [TODAY + dt.timedelta(days=k) for k in range(4)]
    assert any("429" in b for b in o.blockers)
    assert o.failing == ()


def test_a_4xx_spree_is_diluted_by_the_warmup():
    records = warm_day("2026-03-14") + many(at("2026-03-14T10:00"), "GET /a", 4, status=404)
    assert not evaluate(records, now=NOW, catalog_lookup=False).met
    o = outlook(records, now=NOW, app=APP)
    assert o.by_end == TODAY and o.apply_day == TODAY + dt.timedelta(days=1)
    assert o.warmups[0][1] > 0  # the warm-up adds successes to bring the ratio under the bar


def test_a_scope_no_item_calls_means_no_apply_day_and_says_why():
    app = AppFacts(**{**_fields(APP), "scopes": ("ReadA", "ReadB", "EditB")})
    o = outlook(warm_day("2026-03-14"), now=NOW, app=app)
    assert o.apply_day is None and o.by_end is None
    assert [c.name for c in o.failing] == [SCOPES_EXERCISED]
    assert any("EditB" in b for b in o.blockers)
    assert len(o.warmups) == HORIZON


def test_the_outlook_never_changes_the_history():
    records = warm_day("2026-03-14")
    before = list(records)
    h = history(records, now=NOW, app=APP)
    assert records == before
    assert h.today.successes == {"GET /a": 11, "GET /b/{id}": 10}
    assert h.outlook.apply_day == TODAY + dt.timedelta(days=1)


def test_the_plan_minimum_is_the_threshold():
    app = AppFacts(**{**_fields(APP), "overrides": {"min_endpoint_successes": 8}})
    h = history(warm_day("2026-03-14", b=7), now=NOW, app=app)
    assert h.threshold == 8
    assert h.today.verdict.criterion(ENDPOINT_SUCCESSES).value == 7


def _fields(obj: object) -> dict:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]
