"""The rate limiter: one sliding window per throttling group, so a run never earns a 429.

RingCentral counts requests per user and group in a sliding window and answers 429 once a window
holds more than the limit; every request sent during the penalty restarts it (FACTS.md §2). So a
group's limiter:

- starts from the documented defaults (or the plan's custom limit) and lets one probe go alone,
  so a lower limit advertised in ``X-Rate-Limit-*`` headers is learned before any burst;
- afterwards follows the server: the advertised limit and window, and ``Remaining`` (the app's own
  traffic elsewhere shares the budget), whichever is stricter than its own count;
- keeps a safety margin of requests and of time at the window's edge;
- after a 429 closes the gate for twice ``Retry-After`` (60 s without it) plus a random jitter,
  sends nothing until then, lets one probe go alone again, and from then on uses half the window
  (the other half is for the client it collided with);
- starts from the ledger's memory (``seed``): the partition's own calls still inside the window and
  a gate another process closed, so a run right after another never earns a 429.

It must never sleep on the wall clock directly (the ``Clock`` is injected) and never let two
waiters take the same slot.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import anyio

from runner.clock import Clock, SystemClock
from runner.rc.limits import PENALTY_SECONDS, UNTHROTTLED, GroupLimit, Margin, default_limit


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
        jitter: Callable[[float], float] | None = None,
        on_penalty: Callable[[str, float], None] | None = None,
        on_learn: Callable[[str, int, float], None] | None = None,
    ) -> None:
        self.group = group
        self._on_learn = on_learn  # (group, limit, window) when the server's headers change them
        # Two processes that share nothing would otherwise retry at the same Retry-After, in lockstep.
        self._jitter = jitter or (lambda wait: random.uniform(0, wait))
        self._on_penalty = on_penalty  # (group, until as epoch seconds): the ledger keeps the gate
        self._clock = clock or SystemClock()
        self._margin = margin or Margin()
        start = initial or default_limit(group) or GroupLimit(50)
        self.limit = start.limit
        self.window = start.window
        # Requests inside the current window: [time, in flight]. A request in flight counts from
        # when it was sent; once answered, from when the answer came, because the server may have
        # counted it any time up to then (a busy client can be many milliseconds late on the wire).
        self._sent: deque[list[Any]] = deque()
        self._lock = anyio.Lock()  # one waiter decides at a time: FIFO, no slot taken twice
        self._probe_pending = probe
        self._probe_done = anyio.Event() if probe else None
        # (when, how many requests of the window the server counted that were not ours): the app's
        # own traffic elsewhere, learned from X-Rate-Limit-Remaining.
        self._others: deque[tuple[float, int]] = deque()
        self.penalty_until = 0.0
        self.rate_limited = 0  # 429s observed
        self._streak_429 = 0  # 429s in a row: each one widens the jitter
        self._shared = False  # a 429 showed that another client uses this window too
        # The server's Remaining in its latest answer: at most half of it goes out before the next
        # answer, so another process that read the same number cannot push the window over.
        self._server_remaining: int | None = None

    def seed(self, sent_at: Iterable[float], gate_until: float | None = None) -> None:
        """Start from the ledger: our calls (epoch seconds) still in the window count against it, and
        a gate a 429 closed stays closed. Call before the first ``acquire``."""
        now_mono, now_wall = self._clock.monotonic(), self._clock.time()
        horizon = now_wall - self.window - self._margin.edge(self.window)
        for ts in sorted(t for t in sent_at if horizon < t <= now_wall):
            at = now_mono - (now_wall - ts)
            self._sent.append([at, False, at])
        if gate_until is not None and gate_until > now_wall:
            self.penalty_until = max(self.penalty_until, now_mono + (gate_until - now_wall))

    @property
    def usable(self) -> int:
        return self._margin.usable(self.limit)

    def _capacity(self) -> int:
        """How many of ours the window may hold: the usable share less the others we saw, and after
        a 429 (someone we cannot see shares the window) no more than half of it."""
        others = max((n for _, n in self._others), default=0)
        capacity = self.usable - others
        return min(capacity, max(1, self.usable // 2)) if self._shared else capacity

    def remaining(self) -> int:
        self._expire(self._clock.monotonic())
        return max(0, self._capacity() - len(self._sent))

    async def acquire(self) -> None:
        """Wait until sending one request now keeps every window under the limit, then take the slot."""
        async with self._lock:
            if self._probe_done is not None and not self._probe_pending:
                await self._probe_done.wait()
            while True:
                now = self._clock.monotonic()
                if now < self.penalty_until:
                    await self._clock.sleep(self.penalty_until - now)
                    continue
                self._expire(now)
                if self.remaining() > 0 and not self._flight_full():
                    break
                if self.remaining() > 0:  # a slot is free but half of Remaining is already on the wire
                    await self._clock.sleep(max(self.window / 200, 1e-3))
                    continue
                await self._clock.sleep(self._next_free(now) - now)
            now = self._clock.monotonic()
            self._sent.append([now, True, now])  # [counts until, in flight, sent at]
            self._probe_pending = False

    def _flight_full(self) -> bool:
        if self._server_remaining is None:
            return False
        in_flight = sum(1 for entry in self._sent if entry[1])
        return in_flight >= max(1, self._server_remaining // 2)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response of this group (a 429 included)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        limit = _number(lowered.get("x-rate-limit-limit"))
        window = _number(lowered.get("x-rate-limit-window"))
        remaining = _number(lowered.get("x-rate-limit-remaining"))
        learned = (self.limit, self.window)
        if limit is not None and limit >= 1:
            self.limit = int(limit)
        if window is not None and window > 0:
            self.window = float(window)
        if (self.limit, self.window) != learned and self._on_learn is not None:
            self._on_learn(self.group, self.limit, self.window)
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
                1 for entry in self._sent if not entry[1] and (entry[2] >= since or entry[0] - edge > since)
            )
            others = self.limit - int(remaining) - answered
            if others > 0:
                self._others.append((now, others))
            self._server_remaining = int(remaining)
        if status == 429:
            self.rate_limited += 1
            self._streak_429 += 1
            self._server_remaining = 0
            wait = _number(lowered.get("retry-after"))
            wait = PENALTY_SECONDS if wait is None else wait
            # Every request during a penalty restarts it, and whoever else shares the window got its
            # own 429 a moment after ours: wait two penalties, plus a spread that widens after each
            # 429 in a row, so one of two processes goes first instead of both restarting it forever.
            self._shared = True
            wait = 2 * wait + self._margin.edge(wait) + max(0.0, self._jitter(wait)) * self._streak_429
            self.penalty_until = max(self.penalty_until, now + wait)
            if self._on_penalty is not None:
                self._on_penalty(self.group, self._clock.time() + (self.penalty_until - now))
            if self._probe_done is not None and self._probe_done.is_set():
                # The window is shared with someone we did not see: one request alone first, again.
                self._probe_pending, self._probe_done = True, anyio.Event()
                return
        self._streak_429 = 0
        self._release_probe()

    def abandon(self) -> None:
        """The request got no response: the slot stays counted (it may have reached the server)."""
        self._settle(self._clock.monotonic())
        self._release_probe()

    def _settle(self, now: float) -> None:
        # Answers arrive in about the order requests left; stamping the oldest one in flight with
        # this answer's time only ever moves times later, which is the safe direction.
        for entry in self._sent:
            if entry[1]:
                entry[0], entry[1] = now, False
                return

    def _release_probe(self) -> None:
        if self._probe_done is not None and not self._probe_done.is_set():
            self._probe_done.set()

    def _expire(self, now: float) -> None:
        edge = self.window + self._margin.edge(self.window)
        while self._sent and not self._sent[0][1] and self._sent[0][0] + edge <= now:
            self._sent.popleft()
        # The newest estimate of others' traffic stays until a newer answer replaces it: the app's
        # own traffic does not stop because we paused.
        while len(self._others) > 1 and self._others[0][0] + edge <= now:
            self._others.popleft()

    def _next_free(self, now: float) -> float:
        edge = self.window + self._margin.edge(self.window)
        candidates = [when + edge for when, _ in self._others]
        if self._sent:
            over = len(self._sent) - self._capacity()
            entry = self._sent[max(0, min(len(self._sent) - 1, over))]
            # A slot held by a request still in flight frees up no sooner than its answer: look again soon.
            candidates.append(now + max(self.window / 50, 1e-3) if entry[1] else entry[0] + edge)
        return max(now + 1e-3, min(candidates, default=now + edge))


class RateLimits:
    """One limiter per group, created on first use; NoThrottling gets none."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        margin: Margin | None = None,
        overrides: Mapping[str, int] | None = None,
        probe: bool = True,
        window_scale: float = 1.0,
        seed: Mapping[str, Iterable[float]] | None = None,
        gates: Mapping[str, float] | None = None,
        on_penalty: Callable[[str, float], None] | None = None,
        learned: Mapping[str, tuple[int, float]] | None = None,
        on_learn: Callable[[str, int, float], None] | None = None,
    ) -> None:
        self._learned = dict(learned or {})  # (limit, window) the server advertised to an earlier run
        self._on_learn = on_learn
        self._clock = clock or SystemClock()
        self._window_scale = window_scale  # the local sandbox runs its windows faster than real time
        self._seed = dict(seed or {})
        self._gates = dict(gates or {})
        self._on_penalty = on_penalty
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
            if initial is not None and self._window_scale != 1.0:
                initial = GroupLimit(initial.limit, initial.window * self._window_scale)
            if group in self._learned and initial is not None:
                limit, window = self._learned[group]
                initial = GroupLimit(min(limit, custom or limit), window)
            limiter = GroupLimiter(
                group,
                clock=self._clock,
                margin=self._margin,
                initial=initial,
                probe=self._probe,
                on_penalty=self._on_penalty,
                on_learn=self._on_learn,
            )
            limiter.seed(self._seed.get(group, ()), self._gates.get(group))
            self._limiters[group] = limiter
        return limiter

    @property
    def groups(self) -> Mapping[str, GroupLimiter]:
        return self._limiters


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
