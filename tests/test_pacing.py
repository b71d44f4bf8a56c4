"""The client-side limiter on a manual clock (a 60 s window in microseconds), plus the retry policy."""

from __future__ import annotations

import itertools

import anyio
import pytest

from runner.clock import ManualClock
from runner.rc.limits import GroupLimit
from runner.rc.wire import retry_after
from runner.traffic.limiter import GroupLimiter, Margin, RateLimits
from runner.traffic.retry import Disposition, RetryPolicy, classify, retrying

HEADERS = {"X-Rate-Limit-Group": "Light", "X-Rate-Limit-Limit": "50", "X-Rate-Limit-Window": "60"}


def _max_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def _burst(limiter: GroupLimiter, clock: ManualClock, count: int, headers=None) -> list[float]:  # type: ignore[no-untyped-def]
    sent = []
    for _ in range(count):
        await limiter.acquire()
        sent.append(clock.monotonic())
        limiter.observe(200, headers or {})
    return sent


def test_a_burst_never_exceeds_the_usable_share_of_any_window():
    clock = ManualClock()
    limiter = GroupLimiter("Light", clock=clock)
    sent = anyio.run(_burst, limiter, clock, 175)
    assert limiter.usable == 50  # the default margin is in time, not in slots
    assert _max_in_any_window(sent, 60.0) <= 50
    # ...and it is not slower than it must be: 175 requests need 3 window slides at 50 per window.
    assert sent[-1] - sent[0] < 3 * 60 * 1.05


def test_a_lower_limit_in_the_headers_takes_effect_after_the_probe():
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock)
    lowered = {"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Window": "60", "x-rate-limit-remaining": "4"}
    sent = anyio.run(_burst, limiter, clock, 12, lowered)
    assert limiter.limit == 5
    assert _max_in_any_window(sent, 60.0) <= 5


def test_the_probe_goes_alone_until_its_response_arrives():
    clock = ManualClock()
    limiter = GroupLimiter("Medium", clock=clock)
    order: list[str] = []

    async def scenario() -> None:
        await limiter.acquire()
        order.append("probe sent")
        async with anyio.create_task_group() as tg:

            async def second() -> None:
                await limiter.acquire()
                order.append("second sent")

            tg.start_soon(second)
            for _ in range(20):
                await anyio.lowlevel.checkpoint()
            order.append("probe answered")
            limiter.observe(200, {"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "39"})

    anyio.run(scenario)
    assert order == ["probe sent", "probe answered", "second sent"]


def test_a_margin_in_slots_is_configurable():
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock, margin=Margin(requests=2))
    sent = anyio.run(_burst, limiter, clock, 20)
    assert limiter.usable == 8 and _max_in_any_window(sent, 60.0) <= 8


def test_remaining_from_other_traffic_is_respected():
    clock = ManualClock()
    limiter = GroupLimiter("Light", clock=clock)

    async def scenario() -> list[float]:
        sent = []
        for _ in range(30):
            await limiter.acquire()
            sent.append(clock.monotonic())
            # The server counts 25 requests of the app's own traffic in every window.
            own_in_window = sum(1 for t in sent if t > clock.monotonic() - 60)
            limiter.observe(200, {**HEADERS, "X-Rate-Limit-Remaining": str(50 - 25 - own_in_window)})
        return sent

    sent = anyio.run(scenario)
    assert _max_in_any_window(sent, 60.0) <= 25


def test_our_own_requests_counted_late_by_a_busy_server_are_not_taken_for_other_traffic():
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock, probe=False)  # 10 per 60 s; the time margin is 1.2 s

    async def scenario() -> int:
        start = clock.monotonic()
        for _ in range(10):
            await limiter.acquire()
        clock.advance(0.5)
        limiter.observe(200, {"X-Rate-Limit-Remaining": "9"})
        clock.advance(3.0)  # the server was busy: it handled (and counted) the other nine late
        for remaining in range(8, -1, -1):
            limiter.observe(200, {"X-Rate-Limit-Remaining": str(remaining)})
            clock.advance(0.1)
        await limiter.acquire()  # the first slot frees a window and the margin after its answer
        assert clock.monotonic() - start == pytest.approx(0.5 + 60 + 1.2)
        clock.advance(0.1)
        # The server still counts the nine it handled at 3.5 s or later, and this one.
        limiter.observe(200, {"X-Rate-Limit-Remaining": "0"})
        clock.advance(start + 4.4 + 61.2 - clock.monotonic())  # past the last of the nine, with the margin
        return limiter.remaining()

    # Nothing else uses the budget: once our nine leave the window, their slots are free again.
    assert anyio.run(scenario) == 9


@pytest.mark.parametrize(("header", "penalty"), [({"Retry-After": "7.5"}, 7.5), ({}, 60.0)])
def test_a_429_closes_the_gate_for_retry_after_or_60_seconds(header, penalty):
    clock = ManualClock()
    limiter = GroupLimiter("Light", clock=clock)

    async def scenario() -> float:
        await limiter.acquire()
        limiter.observe(429, header)
        before = clock.monotonic()
        await limiter.acquire()
        return clock.monotonic() - before

    waited = anyio.run(scenario)
    assert penalty <= waited < penalty + 2
    assert limiter.rate_limited == 1


def test_registry_has_one_limiter_per_group_none_for_unthrottled_and_applies_overrides():
    limits = RateLimits(clock=ManualClock(), overrides={"Heavy": 4})
    assert limits.for_group("Heavy") is limits.for_group("Heavy")
    assert limits.for_group("NoThrottling") is None
    heavy = limits.for_group("Heavy")
    assert heavy is not None and heavy.limit == 4


def test_initial_limit_and_fractional_windows_from_a_time_scaled_server():
    clock = ManualClock()
    limiter = GroupLimiter("Light", clock=clock, initial=GroupLimit(10, 60.0))
    sent = anyio.run(_burst, limiter, clock, 30, {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Window": "0.6"})
    assert limiter.window == 0.6
    assert _max_in_any_window(sent, 0.6) <= limiter.usable


def test_classification_retries_only_what_can_succeed():
    assert classify(200) is Disposition.DONE
    assert classify(0) is Disposition.RETRY
    assert classify(503) is Disposition.RETRY
    assert classify(429) is Disposition.RATE_LIMITED
    for status in (400, 401, 403, 404, 409):
        assert classify(status) is Disposition.GIVE_UP
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"Retry-After": "soon"}) is None


class _Attempt:
    def __init__(self, verdict: Disposition, after: float | None = None) -> None:
        self.disposition, self.retry_after = verdict, after


def test_retrying_backs_off_honours_retry_after_and_stops_at_the_cap():
    clock = ManualClock()
    outcomes = [
        _Attempt(Disposition.RETRY),
        _Attempt(Disposition.RETRY, 9.0),
        _Attempt(Disposition.RETRY),
        _Attempt(Disposition.DONE),
    ]
    calls: list[float] = []

    async def attempt() -> _Attempt:
        calls.append(clock.monotonic())
        return outcomes[len(calls) - 1]

    policy = RetryPolicy(attempts=5, initial=2.0, maximum=60.0, jitter=0.0)
    result = anyio.run(lambda: retrying(policy, clock)(attempt))
    assert result.disposition is Disposition.DONE
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] == pytest.approx(2.0) and gaps[1] == pytest.approx(9.0)

    calls.clear()
    outcomes[:] = [_Attempt(Disposition.RETRY)] * 10
    last = anyio.run(lambda: retrying(RetryPolicy(attempts=3, jitter=0.0), clock)(attempt))
    assert (
        len(calls) == 3 and last.disposition is Disposition.RETRY
    )  # the last outcome is returned, not raised


def test_a_429_is_retried_with_no_wait_of_its_own():
    clock = ManualClock()
    outcomes = [_Attempt(Disposition.RATE_LIMITED), _Attempt(Disposition.DONE)]
    calls: list[float] = []

    async def attempt() -> _Attempt:
        calls.append(clock.monotonic())
        return outcomes[len(calls) - 1]

    anyio.run(lambda: retrying(RetryPolicy(), clock)(attempt))
    assert calls[1] == calls[0]  # the limiter's gate is the wait


def test_wait_retry_after_honours_the_server_then_falls_back():
    from tenacity import AsyncRetrying, stop_after_attempt

    from runner.traffic.retry import wait_retry_after

    class Refused(Exception):
        def __init__(self, retry_after: float | None) -> None:
            self.retry_after = retry_after

    clock = ManualClock()
    asked = [Refused(7.0), Refused(None), Refused(500.0)]
    calls: list[float] = []

    async def attempt() -> str:
        calls.append(clock.monotonic())
        if len(calls) <= len(asked):
            raise asked[len(calls) - 1]
        return "ok"

    retrying = AsyncRetrying(
        stop=stop_after_attempt(5),
        wait=wait_retry_after(lambda state: 2.5, maximum=60.0),
        sleep=clock.sleep,
        reraise=True,
    )
    assert anyio.run(lambda: retrying(attempt)) == "ok"
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps == [pytest.approx(7.0), pytest.approx(2.5), pytest.approx(60.0)]
