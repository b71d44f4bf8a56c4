"""The top-up planner: exact deficits, whole items, dilution, and no overshoot once criteria hold."""

from __future__ import annotations

import datetime as dt

import pytest

from runner.records import UNKNOWN, CallRecord
from runner.verdict.criteria import evaluate
from runner.verdict.topup import TopUp, calls_by_group, expected_calls, plan_graduate, plan_warmup
from tests.criteria_support import DESCRIPTION, at, facts, many, rec

NOW = at("2026-03-10T15:00")
TOMORROW_NOON = at("2026-03-11T12:00")
ITEMS = [("list-a", ("GET /a",)), ("crud-b", ("POST /b", "GET /b/{id}", "DELETE /b/{id}"))]
SCOPES = ["ReadA", "ReadB", "EditB"]
KEYS = ["GET /a", "POST /b", "GET /b/{id}", "DELETE /b/{id}"]


def send(top_up: TopUp, ts: float) -> list[CallRecord]:
    """What running the top-up records, every call a success."""
    return [rec(ts + i, key) for key, n in top_up.per_endpoint.items() for i in range(n)]


def verdict_on_apply_day(records: list[CallRecord], now: float = TOMORROW_NOON):
    return evaluate(
        records, now=now, scopes=SCOPES, endpoints=KEYS, description=DESCRIPTION, catalog_lookup=False
    )


def test_empty_ledger_needs_every_endpoint_to_its_minimum_then_the_total():
    top = plan_graduate([], now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert top.apply_day == dt.date(2026, 3, 11)
    assert top.traffic_day == dt.date(2026, 3, 10)
    # 5 crud repetitions give 15 calls, 5 lists give 5: 20, one short of strict's 21, so one more list.
    assert top.repeats == {"list-a": 6, "crud-b": 5}
    assert top.per_endpoint == {"GET /a": 6, "POST /b": 5, "GET /b/{id}": 5, "DELETE /b/{id}": 5}
    assert top.blockers == ()


def test_after_the_top_up_the_apply_day_passes_and_the_next_plan_is_all_zeros():
    history = many(at("2026-03-10T08:00"), "GET /a", 2)
    top = plan_graduate(history, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    records = history + send(top, NOW)
    assert verdict_on_apply_day(records).met
    again = plan_graduate(records, now=NOW + 600, items=ITEMS, scopes=SCOPES, facts=facts)
    assert again.is_empty and again.per_endpoint == {} and again.total_calls == 0
    warm = plan_warmup(records, now=NOW + 600, items=ITEMS, scopes=SCOPES, facts=facts)
    assert warm.is_empty


def test_only_todays_successes_carry_a_graduation_tomorrow():
    yesterday = many(at("2026-03-09T10:00"), "GET /a", 30) + many(at("2026-03-09T10:00"), "GET /b/{id}", 30)
    top = plan_graduate(yesterday, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert top.per_endpoint["GET /a"] >= 5  # yesterday's 30 will be out of the window tomorrow
    today_apply = plan_graduate(
        yesterday, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts, apply_day=dt.date(2026, 3, 10)
    )
    assert today_apply.repeats["list-a"] == 0  # applying today, yesterday still counts


def test_an_item_repeats_for_its_largest_step_deficit():
    today = many(at("2026-03-10T09:00"), "POST /b", 5) + many(at("2026-03-10T09:00"), "DELETE /b/{id}", 4)
    today += many(at("2026-03-10T09:00"), "GET /b/{id}", 1) + many(at("2026-03-10T09:00"), "GET /a", 30)
    top = plan_graduate(today, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert top.repeats == {"list-a": 0, "crud-b": 4}


def test_a_step_twice_in_an_item_halves_its_repetitions():
    items = [("double", ("GET /a", "GET /a"))]
    top = plan_graduate(
        [], now=NOW, items=items, scopes=["ReadA"], facts=facts, overrides={"min_total_successes": 1}
    )
    assert top.repeats == {"double": 3}
    assert top.per_endpoint == {"GET /a": 6}


def test_4xx_are_diluted_below_the_bar_with_a_margin_counting_yesterday():
    today = many(at("2026-03-10T08:00"), "GET /a", 10) + many(at("2026-03-10T08:00"), "GET /b/{id}", 10)
    errors = [rec(at("2026-03-09T06:00"), "GET /b/{id}", 404)] * 4  # in the 48 h reading tomorrow morning
    top = plan_graduate(today + errors, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert any(r.startswith("4xx:") for r in top.reasons)
    records = today + errors + send(top, NOW)
    responses_today = len(today) + top.total_calls
    assert 4 / responses_today < 0.04  # the 20 % margin under 5 %
    early = verdict_on_apply_day(records, now=at("2026-03-11T00:30"))
    assert early.criterion("error_ratio_4xx").met
    assert early.met


def test_a_429_in_the_window_is_a_blocker_not_a_top_up():
    records = [*many(at("2026-03-10T08:00"), "GET /a", 5), rec(at("2026-03-10T09:00"), status=429)]
    top = plan_graduate(records, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert any("429" in b and "2026-03-12" in b for b in top.blockers)


def test_unplanned_endpoints_and_uncoverable_scopes_are_blockers():
    records = many(at("2026-03-10T08:00"), "GET /zzz", 2)
    top = plan_graduate(records, now=NOW, items=ITEMS, scopes=[*SCOPES, "SMS"], facts=facts)
    assert any(b.startswith("GET /zzz") for b in top.blockers)
    assert any("SMS" in b for b in top.blockers)


def test_a_scope_only_reachable_through_a_bigger_item_gets_one_repetition():
    items = [("list-a", ("GET /a",)), ("read-b", ("GET /b/{id}",))]
    today = many(at("2026-03-10T08:00"), "GET /a", 30)
    top = plan_graduate(
        today,
        now=NOW,
        items=items,
        scopes=["ReadA", "ReadB"],
        facts=facts,
        overrides={"min_endpoint_successes": 1},
    )
    assert top.repeats == {"list-a": 0, "read-b": 1}


def test_warmup_tops_today_up_to_the_daily_number():
    today = many(at("2026-03-10T08:00"), "GET /a", 3)
    top = plan_warmup(today, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts, daily=8)
    assert top.per_endpoint["GET /a"] == 5
    assert top.repeats["crud-b"] == 8
    assert top.apply_day is None and top.traffic_day == dt.date(2026, 3, 10)


def test_a_later_apply_day_plans_the_full_amount_for_the_day_before():
    today = many(at("2026-03-10T08:00"), "GET /a", 30)
    top = plan_graduate(
        today, now=NOW, items=ITEMS, scopes=SCOPES, facts=facts, apply_day=dt.date(2026, 3, 13)
    )
    assert top.traffic_day == dt.date(2026, 3, 12)
    assert top.repeats["list-a"] >= 5
    assert "2026-03-12" in top.reasons[0]
    with pytest.raises(ValueError, match="past"):
        plan_graduate([], now=NOW, items=ITEMS, facts=facts, apply_day=dt.date(2026, 3, 9))


def test_oauth_steps_are_sent_but_never_counted():
    items = [("login-then-a", ("POST /restapi/oauth/token", "GET /a"))]
    top = plan_graduate([], now=NOW, items=items, scopes=["ReadA"], facts=facts)
    assert top.repeats == {"login-then-a": 21}
    assert top.per_endpoint["POST /restapi/oauth/token"] == 21


def test_expected_calls_and_groups():
    calls = expected_calls({"list-a": 2, "crud-b": 1}, ITEMS)
    assert calls == {"GET /a": 2, "POST /b": 1, "GET /b/{id}": 1, "DELETE /b/{id}": 1}
    assert calls_by_group(calls, facts) == {"Light": 3, "Medium": 2}


def test_a_call_with_an_unknown_answer_is_diluted_but_never_makes_its_endpoint_broken():
    # The first call of GET /b/{id} was in flight when its run was killed: nothing says it failed.
    today = many(at("2026-03-10T08:00"), "GET /a", 10)
    killed = rec(at("2026-03-10T08:30"), "GET /b/{id}", UNKNOWN)
    top = plan_graduate([*today, killed], now=NOW, items=ITEMS, scopes=SCOPES, facts=facts)
    assert top.repeats["crud-b"] >= 5 and not any("retry-broken" in b for b in top.blockers)
    after = verdict_on_apply_day([*today, killed, *send(top, NOW)]).criterion("error_ratio_4xx")
    assert after.met and after.detail.startswith("1 4xx")  # counted, and diluted under the bar
