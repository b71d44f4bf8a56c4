"""The rate limiter: one sliding window per throttling group, so a run never earns a 429.

RingCentral counts requests per user and group in a sliding window and answers 429 once a window
holds more than the limit; every request sent during the penalty restarts it (docs/ringcentral.md, Rate limits). So a
group's limiter:

- starts from the documented defaults (or the plan's custom limit) and lets one probe go alone,
  so a lower limit advertised in ``X-Rate-Limit-*`` headers is learned before any burst;
- afterwards follows the server: the advertised limit and window, and ``Remaining`` (the app's own
  traffic elsewhere shares the budget), whichever is stricter than its own count;
- keeps a safety margin of requests and of time at the window's edge;
- after a 429 closes the gate for ``Retry-After`` (60 s without it) and sends nothing until then.

It must never sleep on the wall clock directly (the ``Clock`` is injected) and never let two
waiters take the same slot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import anyio

from runner.clock import Clock, SystemClock
from runner.rc import wire
from runner.rc.limits import PENALTY_SECONDS, UNTHROTTLED, GroupLimit, Margin, default_limit


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
    ) -> None:
        self.group = group
        self._clock = clock or SystemClock()
        self._margin = margin or Margin()
        start = initial or default_limit(group) or GroupLimit(50)
        self.limit = start.limit
        self.window = start.window
        self._sent: deque[_Slot] = deque()  # ours inside the current window, oldest first
        self._lock = anyio.Lock()  # one waiter decides at a time: FIFO, no slot taken twice
        self._probe_pending = probe
        self._probe_done = anyio.Event() if probe else None
        self._others: deque[_OthersSeen] = deque()
        self.penalty_until = 0.0
        self.rate_limited = 0  # 429s observed

    @property
    def usable(self) -> int:
        return self._margin.usable(self.limit)

    def remaining(self) -> int:
        self._expire(self._clock.monotonic())
        return max(0, self.usable - len(self._sent) - self._others_now())

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
                if self.remaining() > 0:
                    break
                await self._clock.sleep(self._next_free(now) - now)
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
        if status == 429:
            self.rate_limited += 1
            wait = PENALTY_SECONDS if advertised.retry_after is None else advertised.retry_after
            self.penalty_until = max(self.penalty_until, now + wait + self._margin.edge(wait))
        self._release_probe()

    def abandon(self) -> None:
        """The request got no response: the slot stays counted (it may have reached the server)."""
        self._settle(self._clock.monotonic())
        self._release_probe()

    def _others_now(self) -> int:
        return max((seen.requests for seen in self._others), default=0)

    def _settle(self, now: float) -> None:
        # Answers arrive in about the order requests left; stamping the oldest one in flight with
        # this answer's time only ever moves times later, which is the safe direction.
        for slot in self._sent:
            if slot.in_flight:
                slot.counts_from, slot.in_flight = now, False
                return

    def _release_probe(self) -> None:
        if self._probe_done is not None and not self._probe_done.is_set():
            self._probe_done.set()

    def _expire(self, now: float) -> None:
        edge = self.window + self._margin.edge(self.window)
        while self._sent and not self._sent[0].in_flight and self._sent[0].counts_from + edge <= now:
            self._sent.popleft()
        # The newest estimate of others' traffic stays until a newer answer replaces it: the app's
        # own traffic does not stop because we paused.
        while len(self._others) > 1 and self._others[0].seen_at + edge <= now:
            self._others.popleft()

    def _next_free(self, now: float) -> float:
        edge = self.window + self._margin.edge(self.window)
        candidates = [seen.seen_at + edge for seen in self._others]
        if self._sent:
            over = len(self._sent) - (self.usable - self._others_now())
            slot = self._sent[max(0, min(len(self._sent) - 1, over))]
            # A slot held by a request still in flight frees up no sooner than its answer: look again soon.
            candidates.append(
                now + max(self.window / 50, 1e-3) if slot.in_flight else slot.counts_from + edge
            )
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
    ) -> None:
        self._clock = clock or SystemClock()
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
                group, clock=self._clock, margin=self._margin, initial=initial, probe=self._probe
            )
            self._limiters[group] = limiter
        return limiter

    @property
    def groups(self) -> Mapping[str, GroupLimiter]:
        return self._limiters
