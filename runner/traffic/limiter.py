"""The rate limiter: one sliding window per throttling group, so a run never earns a 429.

RingCentral counts requests per user and group in a sliding window and answers 429 once a window
holds more than the limit; every request sent during the penalty restarts it (docs/ringcentral.md,
Rate limits). So a group's limiter:

- starts from the documented defaults (or the plan's custom limit) and lets one probe go alone,
  so a lower limit advertised in ``X-Rate-Limit-*`` headers is learned before any burst;
- afterwards follows the server: the advertised limit and window, and ``Remaining`` (the app's own
  traffic elsewhere shares the budget), whichever is stricter than its own count;
- keeps a safety margin of requests and of time at the window's edge;
- after a 429 closes the gate for twice ``Retry-After`` (60 s without it) plus a random jitter that
  widens with each 429 in a row, sends nothing until then, and lets one probe go alone again; from
  then on it uses at most half the window (the other half belongs to whoever it collided with), and
  leaves others the most of the window it has seen them hold until it sees the window free of them;
- puts one request of the group on the wire at a time, so a client it cannot see that fills the
  window costs it one 429 per group, never a volley; the next goes as soon as that one's answer is
  in (no polling: an app's first requests go back to back, and its last right after the slide);
- with a shared ``PacingStore`` (the ledger), starts from the calls the partition's earlier runs made
  in the window, honours a gate another process closed, and closes its own there, so back-to-back
  and concurrent runs of one app pace as one.

It must never sleep on the wall clock directly (the ``Clock`` is injected) and never let two waiters
take the same slot.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import anyio

from runner.clock import Clock, SystemClock
from runner.rc import wire
from runner.rc.limits import FALLBACK, PENALTY_SECONDS, UNTHROTTLED, GroupLimit, Margin, default_limit


@dataclass(slots=True)
class _Slot:
    """One of our requests in the window. In flight, it counts from when it was sent; once answered,
    from when the answer came, because the server may have counted it any time up to then (a busy
    client can be many milliseconds late on the wire)."""

    sent_at: float
    counts_from: float
    in_flight: bool = True


@dataclass(frozen=True, slots=True)
class _OthersSeen:
    """Requests of the window the server counted that were not ours (the app's own traffic
    elsewhere), learned from X-Rate-Limit-Remaining at ``seen_at``."""

    seen_at: float
    requests: int


class SharedState(Protocol):
    @property
    def gate_until(self) -> float: ...
    @property
    def limit(self) -> int | None: ...
    @property
    def window(self) -> float | None: ...


class PacingStore(Protocol):
    """Rate-limit facts every process of one ledger partition shares; times are wall-clock."""

    def recent_sends(self, group: str, since: float) -> list[float]: ...
    def rate_state(self, group: str) -> SharedState: ...
    def close_gate(self, group: str, until: float) -> None: ...
    def learn_limit(self, group: str, limit: int, window: float) -> None: ...


# After a 429 each process waits a random extra share of the penalty, widened by each 429 in a row:
# two that share nothing would otherwise retry at the same instant, every time.
JITTER = (0.05, 1.0)
# Requests of one group on the wire at once: _flight_full says why it is one.
MAX_IN_FLIGHT = 1
# How stale the shared gate may be, as a share of the window: 5 s of a 60 s window. Two processes of
# one app on one ledger take turns under its run lock, so a gate closed meanwhile is rare; the first
# acquire of every limiter reads it.
GATE_READ_SHARE = 1 / 12


class GroupLimiter:
    """Paces one throttling group. ``acquire()`` before sending, ``observe()`` every response."""

    def __init__(
        self,
        group: str,
        *,
        clock: Clock | None = None,
        margin: Margin | None = None,
        initial: GroupLimit | None = None,
        probe: bool = True,
        shared: PacingStore | None = None,
        rng: random.Random | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.group = group
        self._max_in_flight = max_in_flight
        self._shared = shared
        self._rng = rng or random.Random()
        self._clock = clock or SystemClock()
        self._margin = margin or Margin()
        start = initial or default_limit(group) or GroupLimit(FALLBACK[1])
        self.limit = start.limit
        self.window = start.window
        self._sent: deque[_Slot] = deque()  # ours inside the current window, oldest first
        self._lock = anyio.Lock()  # one waiter decides at a time: FIFO, no slot taken twice
        self._probe_pending = probe
        self._probe_after_429 = probe
        self._probe_done = anyio.Event() if probe else None
        self._others: deque[_OthersSeen] = deque()
        self.penalty_until = 0.0
        self.rate_limited = 0  # 429s observed
        self._learned: tuple[int, float] | None = None
        self._gate_read_at = -float("inf")  # when the shared gate was last read (monotonic)
        self._streak_429 = 0  # 429s in a row: each one widens the jitter
        # A 429 we did not pace into means someone we cannot see spends this window too.
        self._window_shared = False
        # Once it is: the most of others' traffic seen since it was last seen gone (see _others_now).
        self._others_peak = 0
        # The server's Remaining in its latest answer: at most half of it goes on the wire before the
        # next answer, so another client that read the same number cannot push the window over.
        self._server_remaining: int | None = None
        self._answered: anyio.Event | None = None  # what a waiter for the wire's next answer awaits
        if shared is not None:
            self._seed(shared)

    def _seed(self, shared: PacingStore) -> None:
        """Start where the partition's last runs left the window: their calls still count on the
        server, and a gate another process closed is still closed."""
        state = shared.rate_state(self.group)
        if state.limit and state.window:
            self.limit, self.window = int(state.limit), float(state.window)
            self._learned = (self.limit, self.window)
        wall, mono = self._clock.time(), self._clock.monotonic()
        for ts in shared.recent_sends(self.group, wall - self._horizon()):
            at = mono - max(0.0, wall - ts)
            self._sent.append(_Slot(sent_at=at, counts_from=at, in_flight=False))
        self._honour_gate(state.gate_until)

    def _honour_gate(self, gate_until: float) -> None:
        left = gate_until - self._clock.time()
        if left <= 0:
            return
        until = self._clock.monotonic() + left
        if until > self.penalty_until + 1e-6:
            self.penalty_until = until + self._jitter(left)

    def _jitter(self, wait: float) -> float:
        return wait * self._rng.uniform(*JITTER)

    @property
    def usable(self) -> int:
        return self._margin.usable(self.limit)

    def _capacity(self) -> int:
        """How many of ours the window may hold: the usable share less the others seen, and after a
        429 (someone unseen shares the window) no more than half of it."""
        capacity = self.usable - self._others_now()
        return min(capacity, max(1, self.usable // 2)) if self._window_shared else capacity

    def remaining(self) -> int:
        self._expire(self._clock.monotonic())
        return max(0, self._capacity() - len(self._sent))

    def _flight_full(self) -> bool:
        """One request of this group on the wire at a time. A client we cannot see (another home of
        the same app) may fill the window between our reading of Remaining and our requests'
        arrival; every one of ours then on the wire would earn a 429, so one at most may be. One at
        a time still outruns every default limit: 50 a minute needs an answer within 1.2 s."""
        in_flight = sum(1 for slot in self._sent if slot.in_flight)
        if self._server_remaining is None:
            return in_flight >= self._max_in_flight
        return in_flight >= min(self._max_in_flight, max(1, self._server_remaining // 2))

    async def acquire(self) -> None:
        """Wait until sending one request now keeps every window under the limit, then take the slot."""
        async with self._lock:
            if self._probe_done is not None and not self._probe_pending:
                await self._probe_done.wait()
            while True:
                now = self._clock.monotonic()
                if self._shared is not None and now >= self._gate_read_at + self.window * GATE_READ_SHARE:
                    # Another process's 429 closes the gate it shares with us: read it often, not on
                    # every request (one database round trip each, 30,000 of them in a big fleet).
                    self._gate_read_at = now
                    self._honour_gate(self._shared.rate_state(self.group).gate_until)
                    now = self._clock.monotonic()
                if now < self.penalty_until:
                    await self._clock.sleep(self.penalty_until - now)
                    continue
                self._expire(now)
                free = self.remaining() > 0
                if free and not self._flight_full():
                    break
                # Woken by the next answer of ours (it frees a place on the wire, may settle a
                # slot, and brings a fresh Remaining), or when the window next frees a slot; with a
                # slot free and the wire full, only an answer helps.
                wake_at = now + self.window if free else self._next_free(now)
                await self._clock.wait(self._answer(), wake_at - now)
            now = self._clock.monotonic()
            self._sent.append(_Slot(sent_at=now, counts_from=now))
            self._probe_pending = False

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response of this group (a 429 included)."""
        advertised = wire.rate_headers(headers)
        limit, window, remaining = advertised.limit, advertised.window, advertised.remaining
        if limit is not None and limit >= 1:
            self.limit = int(limit)
        if window is not None and window > 0:
            self.window = float(window)
        now = self._clock.monotonic()
        self._settle(now)
        self._expire(now)
        if remaining is not None and status != 429:
            # Which of ours are in the server's count: the server counts a request when it handles
            # it, which under load is long after we sent it but at most the margin before its answer
            # reached us. So every answered one whose answer came within the window, less the
            # margin, is surely counted (this answer's own request among them, settled above), as
            # is every answered one sent within the window. Counting by send time alone would take
            # our own queued requests for other traffic and hold their slots again, a whole window.
            edge = self._margin.edge(self.window)
            since = now - self.window
            answered = sum(
                1
                for slot in self._sent
                if not slot.in_flight and (slot.sent_at >= since or slot.counts_from - edge > since)
            )
            others = self.limit - int(remaining) - answered
            if others > 0:
                self._others.append(_OthersSeen(now, others))
            if self._window_shared:
                self._others_peak = max(self._others_peak, others) if others > 0 else 0
            self._server_remaining = int(remaining)
        if self._shared is not None and self._learned != (self.limit, self.window):
            self._learned = (self.limit, self.window)
            self._shared.learn_limit(self.group, self.limit, self.window)
        self._release_probe()
        if status != 429:
            self._streak_429 = 0
            return
        self.rate_limited += 1
        self._streak_429 += 1
        self._server_remaining = 0
        self._window_shared = True
        penalty = PENALTY_SECONDS if advertised.retry_after is None else advertised.retry_after
        # Every request during a penalty restarts it, and whoever else shares the window got its own
        # 429 a moment after ours: wait two penalties plus a spread that widens with each 429 in a
        # row, so one of two clients goes first instead of both restarting the penalty forever.
        wait = 2 * penalty + self._margin.edge(penalty)
        self.penalty_until = max(self.penalty_until, now + wait + self._jitter(penalty) * self._streak_429)
        if self._shared is not None:
            self._shared.close_gate(self.group, self._clock.time() + wait)
        # The window's occupancy is unknown now (someone else spent it): one request alone first
        # again, so its X-Rate-Limit-Remaining is learned before any burst.
        if self._probe_after_429:
            self._probe_done, self._probe_pending = anyio.Event(), True

    def abandon(self) -> None:
        """The request got no response: the slot stays counted (it may have reached the server)."""
        self._settle(self._clock.monotonic())
        self._release_probe()

    def _others_now(self) -> int:
        """Others' requests in the window. After a 429, the most seen since the window was last seen
        free of them: the client we collided with may be another home of the app, which frees a
        slot and refills it a moment later. One reading in that moment (with one request a window,
        readings are a window apart) must not pass for room, or our next request lands in the
        slot it refills and earns a second 429.

        A reading that leaves us no room (only a limit less a spare can) and is a window old lets one
        request go to read the window again: no newer reading would come otherwise, and the run
        would wait for one until its deadline."""
        seen = max((seen.requests for seen in self._others), default=0)
        others = max(seen, self._others_peak) if self._window_shared else seen
        if others >= self.usable and self._others:
            newest = self._others[-1].seen_at
            if newest + self._horizon() <= self._clock.monotonic():
                return self.usable - 1
        return others

    def _settle(self, now: float) -> None:
        # Answers arrive in about the order requests left; stamping the oldest one in flight with
        # this answer's time only ever moves times later, which is the safe direction.
        if self._answered is not None:
            self._answered.set()
            self._answered = None
        for slot in self._sent:
            if slot.in_flight:
                slot.counts_from, slot.in_flight = now, False
                return

    def _release_probe(self) -> None:
        if self._probe_done is not None and not self._probe_done.is_set():
            self._probe_done.set()

    def _horizon(self) -> float:
        """How long a request, or a reading of others' traffic, stays in our count: the window
        and the time margin past its edge."""
        return self.window + self._margin.edge(self.window)

    def _expire(self, now: float) -> None:
        edge = self._horizon()
        while self._sent and not self._sent[0].in_flight and self._sent[0].counts_from + edge <= now:
            self._sent.popleft()
        # The newest estimate of others' traffic stays until a newer answer replaces it: the app's
        # own traffic does not stop because we paused.
        while len(self._others) > 1 and self._others[0].seen_at + edge <= now:
            self._others.popleft()

    def _next_free(self, now: float) -> float:
        """When a slot of the full window frees up, if no answer of ours comes first."""
        edge = self._horizon()
        candidates = [seen.seen_at + edge for seen in self._others]
        if self._sent:
            over = len(self._sent) - self._capacity()
            slot = self._sent[max(0, min(len(self._sent) - 1, over))]
            # A slot held by a request still in flight frees up no sooner than its answer.
            candidates.append(now + self.window if slot.in_flight else slot.counts_from + edge)
        return max(now + 1e-3, min(candidates, default=now + edge))

    def _answer(self) -> anyio.Event:
        """Set by the next answer (or abandonment) of a request of ours."""
        if self._answered is None:
            self._answered = anyio.Event()
        return self._answered


class RateLimits:
    """One limiter per group, created on first use; NoThrottling gets none."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        margin: Margin | None = None,
        overrides: Mapping[str, int] | None = None,
        probe: bool = True,
        shared: PacingStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._shared = shared
        self._rng = rng
        self._margin = margin
        self._overrides = dict(overrides or {})
        self._probe = probe
        self._limiters: dict[str, GroupLimiter] = {}

    def for_group(self, group: str) -> GroupLimiter | None:
        if group == UNTHROTTLED:
            return None
        limiter = self._limiters.get(group)
        if limiter is None:
            custom = self._overrides.get(group)
            initial = GroupLimit(custom) if custom else default_limit(group)
            limiter = GroupLimiter(
                group,
                clock=self._clock,
                margin=self._margin,
                initial=initial,
                probe=self._probe,
                shared=self._shared,
                rng=self._rng,
            )
            self._limiters[group] = limiter
        return limiter

    @property
    def groups(self) -> Mapping[str, GroupLimiter]:
        return self._limiters
