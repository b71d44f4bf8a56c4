"""The error budget: quarantine a never-working endpoint after one 4xx and a working one after two in a
row, stop before the projected ratio reaches the bar."""

from __future__ import annotations

from runner.traffic.budget import ErrorBudget

EP = "GET /restapi/v1.0/account/~/extension/~/call-log"
OTHER = "GET /restapi/v1.0/account/~/extension/~/presence"


def _send(budget: ErrorBudget, endpoint: str, status: int, *, retryable: bool = False) -> None:
    assert budget.may_send(endpoint)
    budget.sending()
    budget.settled(endpoint, status, retryable=retryable)


def test_an_endpoint_that_never_answered_2xx_is_quarantined_by_its_first_4xx():
    budget = ErrorBudget(threshold=0.05, planned=1000)
    _send(budget, EP, 404)
    assert not budget.may_send(EP)
    assert "never answered 2xx" in (budget.reason(EP) or "")
    assert budget.may_send(OTHER)
    # A 2xx in the window, per the ledger, makes it a working endpoint: one 4xx is a fluke.
    proven = ErrorBudget(threshold=0.05, planned=1000, proven_before=frozenset({EP}))
    _send(proven, EP, 404)
    assert proven.may_send(EP)


def test_two_non_retryable_4xx_in_a_row_quarantine_a_working_endpoint_only():
    budget = ErrorBudget(threshold=0.05, planned=1000)
    _send(budget, EP, 200)
    _send(budget, EP, 404)
    assert budget.may_send(EP)
    _send(budget, EP, 404)
    assert not budget.may_send(EP)
    assert "404" in (budget.reason(EP) or "")
    assert budget.may_send(OTHER)
    assert budget.stopped is None


def test_a_success_between_failures_resets_the_streak():
    budget = ErrorBudget(threshold=0.05, planned=1000, proven_before=frozenset({EP}))
    _send(budget, EP, 404)
    _send(budget, EP, 200)
    _send(budget, EP, 404)
    assert budget.may_send(EP)


def test_retryable_failures_do_not_quarantine_but_4xx_count_toward_the_ratio():
    budget = ErrorBudget(threshold=0.05, planned=1000)
    for _ in range(3):
        _send(budget, EP, 503, retryable=True)
    _send(budget, EP, 429, retryable=True)
    _send(budget, EP, 429, retryable=True)
    assert budget.may_send(EP)
    assert budget.errors_4xx == 2 and budget.responses == 5


def test_transport_failures_are_not_responses():
    budget = ErrorBudget(threshold=0.05, planned=10)
    _send(budget, EP, 0, retryable=True)
    assert budget.responses == 0 and budget.in_flight == 0


def test_the_run_stops_before_one_more_4xx_would_reach_the_threshold():
    # 40 planned calls, 5% bar: one 4xx is 2.5% (fine), a second would be exactly 5% (not below).
    budget = ErrorBudget(threshold=0.05, planned=40)
    _send(budget, EP, 400)
    assert not budget.may_send(OTHER)
    assert budget.stopped is not None and "5%" in budget.stopped


def test_a_clean_window_always_lets_the_first_call_go():
    budget = ErrorBudget(threshold=0.05, planned=3)
    assert budget.may_send(EP)
    _send(budget, EP, 404)
    assert not budget.may_send(EP)


def test_existing_4xx_in_the_window_shrink_the_budget():
    fresh = ErrorBudget(threshold=0.05, planned=100)
    assert fresh.may_send(EP)
    burdened = ErrorBudget(threshold=0.05, planned=100, prior_responses=20, prior_4xx=5)
    assert not burdened.may_send(EP)  # (5 + 1) / 120 = 5%


def test_a_budget_that_allows_some_failures_allows_exactly_that_many():
    budget = ErrorBudget(threshold=0.05, planned=200)  # 9 failures = 4.5%; the 10th would be 5%
    sent = 0
    while budget.may_send(f"GET /x/{sent}"):
        _send(budget, f"GET /x/{sent}", 404)
        sent += 1
    assert sent == 9
    assert (budget.prior_4xx + budget.errors_4xx) / 200 < 0.05


def test_teardown_still_runs_after_the_run_stopped_but_not_on_a_quarantined_endpoint():
    budget = ErrorBudget(threshold=0.05, planned=10)
    _send(budget, EP, 404)
    assert not budget.may_send(OTHER)
    assert budget.may_send(OTHER, cleanup=True)
    budget.quarantined[OTHER] = "quarantined after two 404s in a row"
    assert not budget.may_send(OTHER, cleanup=True)


def test_after_a_stop_only_proven_endpoints_go_on():
    budget = ErrorBudget(threshold=0.05, planned=10)
    _send(budget, EP, 404)
    assert not budget.may_send(OTHER)
    assert budget.may_send(OTHER, proven=True)
