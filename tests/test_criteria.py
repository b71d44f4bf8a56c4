"""The verdict rules: windows across UTC midnight, profiles, ratios, tokens, description."""

from __future__ import annotations

import pytest

from runner.records import UNKNOWN, Kind, TokenEvent
from runner.verdict.criteria import (
    APP_DESCRIPTION,
    Profile,
    Window,
    evaluate,
    rules_for,
)
from tests.criteria_support import DESCRIPTION, at, many, rec

NOW = at("2026-03-10T00:30")  # half an hour into "today"
STRICT_NAMES = [
    "endpoint_successes",
    "total_successes",
    "scopes_exercised",
    "error_ratio_4xx",
    "rate_limited_429",
    "token_hygiene",
    "app_description",
]


def passing() -> list:
    return many(at("2026-03-09T10:00"), "GET /a", 11) + many(at("2026-03-10T00:10"), "GET /b/{id}", 10)


def test_strict_passes_with_enough_traffic_and_names_every_criterion():
    v = evaluate(passing(), now=NOW, scopes=["ReadA", "ReadB"], description=DESCRIPTION, catalog_lookup=False)
    assert [c.name for c in v.criteria] == STRICT_NAMES
    assert v.met, v.failed
    assert v.criterion("total_successes").value == 21
    assert v.criterion("endpoint_successes").value == 10
    assert v.criterion("app_description").needs_human


def test_profiles_carry_their_published_criteria():
    assert [c for c in rules_for("docs-2019").criteria] == STRICT_NAMES[:4]
    assert "auth_error_ratio" in rules_for("docs-2022").criteria
    assert "error_ratio_4xx" not in rules_for("docs-2022").criteria
    assert rules_for("community").criteria == rules_for("strict").criteria


@pytest.mark.parametrize(("profile", "met"), [("docs-2019", True), ("community", True), ("docs-2022", False)])
def test_twenty_is_enough_for_20_plus_but_not_for_more_than_20(profile, met):
    records = many(at("2026-03-09T10:00"), "GET /a", 20)
    v = evaluate(records, now=NOW, profile=profile, scopes=["ReadA"], catalog_lookup=False)
    assert v.criterion("total_successes").met is met


def test_strict_needs_twenty_one():
    records = many(at("2026-03-09T10:00"), "GET /a", 20)
    v = evaluate(records, now=NOW, catalog_lookup=False)
    assert not v.criterion("total_successes").met
    assert v.criterion("total_successes").threshold == 21


def test_utc_window_moves_at_midnight():
    late = many(at("2026-03-08T23:50"), "GET /a", 5)  # the day before yesterday, seen from NOW
    before_midnight = evaluate(late, now=at("2026-03-09T23:59:59"), profile="docs-2019", catalog_lookup=False)
    after_midnight = evaluate(late, now=at("2026-03-10T00:00:01"), profile="docs-2019", catalog_lookup=False)
    assert before_midnight.criterion("endpoint_successes").value == 5
    assert after_midnight.criterion("endpoint_successes").value == 0
    # ... while the last-48-h reading still holds them until 2026-03-10T23:50
    rolling = evaluate(late, now=at("2026-03-10T00:00:01"), profile="docs-2022", catalog_lookup=False)
    assert rolling.criterion("endpoint_successes").value == 5
    strict = evaluate(late, now=at("2026-03-10T00:00:01"), catalog_lookup=False)
    assert strict.criterion("endpoint_successes").value == 0  # the lower of both readings
    gone = evaluate(late, now=at("2026-03-10T23:55"), profile="docs-2022", catalog_lookup=False)
    assert gone.criterion("endpoint_successes").value == 0


def test_endpoint_stats_split_yesterday_today_and_48h():
    records = many(at("2026-03-08T12:00"), "GET /a", 2) + many(at("2026-03-09T12:00"), "GET /a", 3)
    records += [*many(at("2026-03-10T00:05"), "GET /a", 4), rec(at("2026-03-10T00:06"), "GET /a", 404)]
    (e,) = evaluate(records, now=NOW, catalog_lookup=False).endpoints
    assert (e.yesterday, e.today, e.last_48h, e.errors_4xx, e.total) == (3, 4, 9, 1, 10)


def test_records_after_now_and_oauth_records_never_count():
    records = many(NOW + 10, "GET /a", 30)
    records += [rec(NOW - 60, "POST /restapi/oauth/token", count=50, kind=Kind.OAUTH, event=TokenEvent.LOGIN)]
    v = evaluate(records, now=NOW, catalog_lookup=False)
    assert v.criterion("total_successes").value == 0
    assert v.endpoints == ()
    assert v.tokens.logins == 50


def test_imported_rows_count_with_their_count_and_change_the_caveat():
    v = evaluate([rec(at("2026-03-09T00:00"), count=25, kind=Kind.IMPORTED)], now=NOW, catalog_lookup=False)
    assert v.criterion("total_successes").value == 25
    assert any("imported" in c for c in v.caveats)
    plain = evaluate([], now=NOW, catalog_lookup=False)
    assert any("invisible unless imported" in c for c in plain.caveats)
    assert any("not real time" in c for c in plain.caveats)


def test_4xx_ratio_is_met_only_strictly_below_five_percent():
    base = many(at("2026-03-09T10:00"), "GET /a", 19)
    at_bar = evaluate([*base, rec(at("2026-03-09T11:00"), status=404)], now=NOW, catalog_lookup=False)
    assert at_bar.criterion("error_ratio_4xx").value == 0.05
    assert not at_bar.criterion("error_ratio_4xx").met
    below = [*base, rec(at("2026-03-09T11:00"), status=200), rec(at("2026-03-09T11:00"), status=404)]
    assert evaluate(below, now=NOW, catalog_lookup=False).criterion("error_ratio_4xx").met


def test_5xx_are_in_the_denominator_and_transport_failures_are_not():
    base = [*many(at("2026-03-09T10:00"), "GET /a", 19), rec(at("2026-03-09T11:00"), status=404)]
    with_5xx = evaluate([*base, rec(at("2026-03-09T12:00"), status=503)], now=NOW, catalog_lookup=False)
    assert with_5xx.criterion("error_ratio_4xx").met
    with_0 = evaluate([*base, rec(at("2026-03-09T12:00"), status=0)], now=NOW, catalog_lookup=False)
    assert not with_0.criterion("error_ratio_4xx").met


def test_error_ratio_reads_the_48h_reach_before_yesterday():
    records = many(at("2026-03-09T10:00"), "GET /a", 30) + many(at("2026-03-08T20:00"), "GET /a", 2, 400)
    v = evaluate(records, now=NOW, profile="docs-2019", catalog_lookup=False)
    assert v.criterion("error_ratio_4xx").value == pytest.approx(2 / 32)


def test_a_single_429_fails_strict_and_counts_as_4xx_but_docs_2019_has_no_429_criterion():
    records = [*many(at("2026-03-09T10:00"), "GET /a", 40), rec(at("2026-03-09T10:30"), status=429)]
    strict = evaluate(records, now=NOW, catalog_lookup=False)
    assert not strict.criterion("rate_limited_429").met
    assert strict.criterion("error_ratio_4xx").value == pytest.approx(1 / 41)
    assert (
        evaluate(records, now=NOW, profile="docs-2019", catalog_lookup=False).criterion("rate_limited_429")
        is None
    )


def test_docs_2022_counts_only_authentication_errors():
    records = many(at("2026-03-09T10:00"), "GET /a", 18) + [rec(at("2026-03-09T11:00"), status=403)] * 2
    v = evaluate(records, now=NOW, profile=Profile.DOCS_2022, catalog_lookup=False)
    assert v.criterion("auth_error_ratio").met
    v401 = evaluate([*records[:18], rec(at("2026-03-09T11:00"), status=401)], now=NOW, profile="docs-2022")
    assert v401.criterion("auth_error_ratio").value == pytest.approx(1 / 19)
    assert not v401.criterion("auth_error_ratio").met


def test_token_hygiene_counts_expired_token_401s_and_refresh_after_401():
    records = [
        *many(at("2026-03-09T10:00"), "GET /a", 30),
        rec(at("2026-03-09T11:00"), status=401, error_code="OAU-128"),
        rec(at("2026-03-09T11:00"), status=401, error_code="CMN-401"),  # not a token defect
        rec(
            at("2026-03-09T11:00"),
            "POST /restapi/oauth/token",
            kind=Kind.OAUTH,
            event=TokenEvent.REFRESH_ON_401,
        ),
        rec(at("2026-03-09T11:00"), "POST /restapi/oauth/token", kind=Kind.OAUTH, event=TokenEvent.REFRESH),
    ]
    v = evaluate(records, now=NOW, catalog_lookup=False)
    hygiene = v.criterion("token_hygiene")
    assert (hygiene.value, hygiene.met) == (2, False)
    assert (v.tokens.expired_401, v.tokens.refresh_on_401, v.tokens.refreshes) == (1, 1, 1)


def test_planned_endpoints_never_called_fail_and_unplanned_ones_count():
    records = [*many(at("2026-03-09T10:00"), "GET /a", 25), rec(at("2026-03-09T10:00"), "GET /b/{id}", 404)]
    v = evaluate(records, now=NOW, endpoints=["GET /a", "POST /b"], catalog_lookup=False)
    keys = {e.key: e for e in v.endpoints}
    assert set(keys) == {"GET /a", "POST /b", "GET /b/{id}"}
    assert not keys["GET /b/{id}"].in_plan
    assert v.criterion("endpoint_successes").value == 0
    assert "POST /b (0)" in v.criterion("endpoint_successes").detail


def test_plan_endpoints_take_permission_from_the_catalog():
    v = evaluate(
        [], now=NOW, endpoints=["GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log"]
    )
    (e,) = v.endpoints
    assert (e.permission, e.group) == ("ReadCallLog", "Heavy")


def test_scopes_exercised_lists_the_unused_ones():
    v = evaluate(passing(), now=NOW, scopes=["ReadA", "ReadB", "SMS"], catalog_lookup=False)
    c = v.criterion("scopes_exercised")
    assert (c.value, c.threshold, c.met) == (2, 3, False)
    assert "SMS" in c.detail
    assert [s.scope for s in v.scopes if not s.exercised] == ["SMS"]


def test_overrides_replace_thresholds():
    v = evaluate(
        many(at("2026-03-09T10:00"), "GET /a", 3),
        now=NOW,
        overrides={"min_endpoint_successes": 3, "min_total_successes": 3},
        catalog_lookup=False,
    )
    assert v.criterion("endpoint_successes").met and v.criterion("total_successes").met
    with pytest.raises(ValueError, match="unknown threshold"):
        rules_for("strict", {"min_everything": 1})


@pytest.mark.parametrize(("text", "met"), [(None, False), ("A CRM sync.", False), (DESCRIPTION, True)])
def test_description_is_checked_for_substance_and_always_left_to_a_person(text, met):
    c = evaluate([], now=NOW, description=text).criterion(APP_DESCRIPTION)
    assert (c.met, c.needs_human) == (met, True)


def test_window_bounds():
    w = Window.at(NOW)
    assert (w.yesterday_start, w.today_start, w.rolling_start) == (
        at("2026-03-09T00:00"),
        at("2026-03-10T00:00"),
        at("2026-03-08T00:30"),
    )


def test_hourly_buckets_split_by_status_class():
    records = [
        rec(at("2026-03-09T10:05")),
        rec(at("2026-03-09T10:06"), status=429),
        rec(at("2026-03-09T10:07"), status=500),
    ]
    records.append(rec(at("2026-03-09T10:08"), status=404))
    (bucket,) = evaluate(records, now=NOW, catalog_lookup=False).hourly
    assert (bucket.start, bucket.ok, bucket.errors_4xx, bucket.errors_429, bucket.errors_5xx) == (
        at("2026-03-09T10:00"),
        1,
        1,
        1,
        1,
    )


def test_an_unknown_answer_is_no_success_and_a_4xx_until_known_otherwise_and_the_caveat_says_so():
    base = many(at("2026-03-09T10:00"), "GET /a", 19)
    killed = rec(at("2026-03-09T11:00"), status=UNKNOWN)
    v = evaluate([*base, killed], now=NOW, catalog_lookup=False)
    ratio = v.criterion("error_ratio_4xx")
    assert ratio.value == 0.05 and not ratio.met  # 1 of 20 responses
    assert "1 of them unknown answers" in ratio.detail
    assert v.criterion("total_successes").value == 19
    assert v.criterion("rate_limited_429").met and v.tokens.expired_401 == 0  # not taken for a 429 or a 401
    assert [c for c in v.caveats if "no recorded answer" in c] == [
        "1 call with no recorded answer (a run was killed with them in flight, or is still running):"
        " the server may have refused them, so each counts as a 4xx and as no success."
    ]
    answered = evaluate([*base, rec(at("2026-03-09T11:00"))], now=NOW, catalog_lookup=False)
    assert not [c for c in answered.caveats if "no recorded answer" in c]
    assert "unknown" not in answered.criterion("error_ratio_4xx").detail
