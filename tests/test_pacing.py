"""The client-side limiter on a manual clock (a 60 s window in microseconds), plus the retry policy."""

from __future__ import annotations

import itertools

import anyio
import pytest

from runner.clock import ManualClock
from runner.rc.limits import GroupLimit
from runner.rc.wire import retry_after
from runner.traffic.limiter import JITTER, GroupLimiter, Margin, RateLimits
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
    # 10 per 60 s; the time margin is 1.2 s. Ten on the wire at once, as an older rcgrad (or another
    # client) would put them: the counting must still hold.
    limiter = GroupLimiter("Heavy", clock=clock, probe=False, max_in_flight=10)

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
    # Two penalties (whoever else shares the window got its own 429 a moment later), the edge, a jitter.
    assert 2 * penalty <= waited < penalty * (2 + JITTER[1]) + 2
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

    from runner.retrying import wait_retry_after

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


# --- Shared pacing: the ledger seeds the window and carries a 429's gate between processes -------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_at(request, tmp_path):
    """The pacing state on both back ends: a SQLite file, and a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite"
    return request.getfixturevalue("pg_url")


def _ledger_pacing(ledger_at, clock, sends: int, group: str = "Heavy", ago: float = 1.0):
    from runner.ledger.ledger import Ledger
    from runner.records import CallRecord, Kind
    from runner.run.session import LedgerPacing

    ledger = Ledger.open(ledger_at)
    key = ledger.partition("https://example.test", "app", "jwt-1")
    record = CallRecord(
        ts=clock.time() - ago,
        method="GET",
        template="/x",
        status=200,
        group=group,
        permission=None,
        kind=Kind.API,
    )
    ledger.append_many(key, [record] * sends)
    return ledger, LedgerPacing(ledger, key)


def test_a_new_limiter_starts_with_the_window_the_ledger_already_spent(ledger_at):
    clock = ManualClock()
    ledger, shared = _ledger_pacing(ledger_at, clock, sends=10)  # Heavy: 10 a minute, all spent 1 s ago
    limiter = GroupLimiter("Heavy", clock=clock, shared=shared)
    assert limiter.remaining() == 0

    async def first() -> float:
        before = clock.monotonic()
        await limiter.acquire()
        return clock.monotonic() - before

    assert anyio.run(first) >= 59  # the earlier run's calls age out of the window first
    ledger.close()


def test_calls_older_than_the_window_do_not_hold_slots(ledger_at):
    clock = ManualClock()
    ledger, shared = _ledger_pacing(ledger_at, clock, sends=10, ago=120.0)
    assert GroupLimiter("Heavy", clock=clock, shared=shared).remaining() == 10
    ledger.close()


def test_a_429_gate_is_shared_through_the_ledger_and_every_wait_after_it_is_jittered(ledger_at):
    import random

    clock = ManualClock()
    ledger, shared = _ledger_pacing(ledger_at, clock, sends=0)
    first = GroupLimiter("Light", clock=clock, shared=shared, rng=random.Random(1))
    second = GroupLimiter("Light", clock=clock, shared=shared, rng=random.Random(2))

    async def scenario() -> float:
        await first.acquire()
        first.observe(429, {"Retry-After": "30"})
        before = clock.monotonic()
        await second.acquire()  # another process of the same partition: it never saw the 429
        return clock.monotonic() - before

    waited = anyio.run(scenario)
    assert 60 < waited < 60 * (1 + JITTER[1]) + 2
    # Each added its own jitter to the one gate: two processes do not come back in lockstep.
    assert first.penalty_until != second.penalty_until
    assert ledger.rate_state(shared.key, "Light").gate_until >= clock.time() - waited + 60
    ledger.close()


def test_the_learned_limit_and_window_are_kept_for_the_next_process(ledger_at):
    clock = ManualClock()
    ledger, shared = _ledger_pacing(ledger_at, clock, sends=4, group="Light")
    limiter = GroupLimiter("Light", clock=clock, shared=shared)
    limiter.observe(200, {"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Window": "3"})
    later = GroupLimiter("Light", clock=clock, shared=shared)
    assert (later.limit, later.window) == (5, 3.0) and later.remaining() == 1
    ledger.close()


def test_after_a_429_the_limiter_keeps_to_half_the_window_and_one_request_on_the_wire():
    """Two homes that share nothing but the server's window: after one collision each must leave the
    other room, or they collide again as soon as the gate opens."""
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock, probe=False)
    assert limiter.remaining() == 10

    async def collide() -> None:
        await limiter.acquire()
        limiter.observe(429, {"Retry-After": "60"})

    anyio.run(collide)
    clock.advance(400)
    assert limiter.remaining() == 5  # the other half is for whoever we collided with

    async def in_flight_after(remaining: str) -> int:
        await limiter.acquire()
        limiter.observe(200, {"X-Rate-Limit-Remaining": remaining, "X-Rate-Limit-Limit": "10"})
        sent = 0
        try:
            while sent < 10:
                # The manual clock runs ahead while acquire waits for an answer that never comes:
                # a real-time bound tells "waiting" from "sent".
                with anyio.fail_after(0.2):
                    await limiter.acquire()
                sent += 1
        except TimeoutError:
            pass
        return sent

    # The server says 4 are left: one goes out at a time, whatever Remaining says, so a window another
    # client fills costs at most one 429.
    assert anyio.run(in_flight_after, "4") == 1


def test_after_a_429_a_moment_when_the_other_client_has_a_slot_free_is_not_taken_for_room():
    """The other home never earned a 429, so it keeps the whole window but what it saw of us. It
    frees a slot and refills it a moment later: one reading of ours in that moment, a window after
    the last, must not let a second request of ours into the slot it refills."""
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock, probe=False)
    heavy = {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Window": "60"}

    async def one(remaining: int) -> int:
        """Send one request; the server's Remaining comes back; how many more we may send now."""
        await limiter.acquire()
        clock.advance(0.1)
        limiter.observe(200, {**heavy, "X-Rate-Limit-Remaining": str(remaining)})
        return limiter.remaining()

    async def scenario() -> list[int]:
        await limiter.acquire()
        limiter.observe(429, {**heavy, "Retry-After": "60"})
        clock.advance(200)  # past the gate
        room = [await one(0)]  # the other home holds the other nine
        clock.advance(62)  # our request leaves the window; so does that reading
        room.append(await one(1))  # it has eight for a moment: nine with ours
        clock.advance(62)
        room.append(await one(9))  # it is done: ours is the only one in the window
        return room

    # No second request while the other holds eight or nine. Once a reading shows it gone, its peak
    # of nine goes; the last reading of it (eight) still holds until a newer one, as it always has,
    # because a home we silenced may be waiting out its own gate.
    assert anyio.run(scenario) == [0, 0, 1]


def test_a_window_others_filled_past_the_spare_is_read_again_a_window_later_by_one_request():
    """With a spare, the app's own traffic can leave us no room at all. Then no answer of ours
    brings a newer reading: a window later one request goes to read the window again (before, the
    run waited, polling every millisecond, until its deadline)."""
    clock = _CountingClock()
    limiter = GroupLimiter("Heavy", clock=clock, probe=False, margin=Margin(requests=1))  # 9 usable
    heavy = {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Window": "60"}

    async def read(remaining: int) -> float:
        """Wait for a slot, send, and read the server's Remaining; when the request went."""
        with anyio.fail_after(5):  # real seconds: the manual clock runs ahead while acquire waits
            await limiter.acquire()
        went = clock.monotonic()
        clock.advance(0.1)
        limiter.observe(200, {**heavy, "X-Rate-Limit-Remaining": str(remaining)})
        return went

    async def scenario() -> list[float]:
        start = clock.monotonic()
        times = [await read(0), await read(0), await read(5)]  # 9 of others; again 9; then 4
        times.append(await read(4))
        return [round(t - start, 1) for t in times]

    # Each reading of a full window is read again one window and the margin (61.2 s) after its answer;
    # once there is room, the next goes at once.
    assert anyio.run(scenario) == [0.0, 61.3, 122.6, 122.7]
    assert clock.waits <= 4  # a wait for each window, not a wake-up every millisecond of it


class _CountingClock(ManualClock):
    waits = 0

    async def wait(self, event: anyio.Event, seconds: float) -> None:
        self.waits += 1
        await super().wait(event, seconds)


def test_one_request_of_a_group_is_on_the_wire_at_a_time_unless_told_otherwise():
    clock = ManualClock()

    async def on_the_wire(limiter: GroupLimiter) -> int:
        sent = 0
        try:
            while sent < 10:
                with anyio.fail_after(0.2):  # the manual clock runs ahead while acquire waits
                    await limiter.acquire()
                sent += 1
        except TimeoutError:
            pass
        return sent

    assert anyio.run(on_the_wire, GroupLimiter("Light", clock=clock, probe=False)) == 1
    assert anyio.run(on_the_wire, GroupLimiter("Light", clock=clock, probe=False, max_in_flight=4)) == 4


def test_a_request_waiting_for_the_wire_goes_as_soon_as_the_answer_before_it_arrives():
    """The wire is full (one request in flight); the next waits for that answer, not a poll interval:
    a fleet's apps each send their first requests back to back, which is what lets their last ones
    go right after the window slides (the fleet's span)."""
    clock = ManualClock()
    limiter = GroupLimiter("Light", clock=clock, probe=False)
    went: list[float] = []

    async def second() -> None:
        await limiter.acquire()
        went.append(clock.monotonic())

    async def main() -> float:
        await limiter.acquire()
        start = clock.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(second)
            for _ in range(3):  # the second request is now waiting for the wire
                await anyio.lowlevel.checkpoint()
            clock.advance(0.05)  # the answer takes 50 ms
            limiter.observe(200, HEADERS)
        return start

    start = anyio.run(main)
    assert went == [pytest.approx(start + 0.05)]


def test_a_request_waiting_for_a_slot_is_not_woken_early_into_a_full_window():
    """Woken by an answer while the window is full, a waiter looks again and keeps waiting for the
    slot: an answer frees a place on the wire, never a place in the window."""
    clock = ManualClock()
    limiter = GroupLimiter("Heavy", clock=clock, probe=False)

    async def fill_then_one_more() -> tuple[float, float]:
        sent = await _burst(limiter, clock, 9)
        await limiter.acquire()  # the tenth, on the wire: the window is full
        went: list[float] = []

        async def eleventh() -> None:
            await limiter.acquire()
            went.append(clock.monotonic())

        async with anyio.create_task_group() as tg:
            tg.start_soon(eleventh)
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            limiter.observe(200, {})  # wakes the eleventh, which must go on waiting
        return sent[0], went[0]

    first, eleventh = anyio.run(fill_then_one_more)
    assert 60.0 <= eleventh - first < 62.0
