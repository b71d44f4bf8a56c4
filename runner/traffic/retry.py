"""The retry policy: which outcomes are worth another attempt, and how long to wait first.

Retried: transport errors (timeouts, dropped connections), 5xx, and 503 with ``Retry-After`` (the
header is honoured). A 429 is retried too, with no wait of its own: the group's limiter holds its
gate shut until the penalty is over, so the next ``acquire()`` is the wait. No other 4xx is ever
retried: it would fail again and count twice. Built on tenacity's ``AsyncRetrying`` with
exponential jitter, a cap and a maximum number of attempts (docs/ringcentral.md, Rate limits).

Those waits are each request's own; a run has many requests, in parallel and one after another. So
``ServerBackoff`` holds the whole run back while the server answers only 5xx (or nothing): past a
short burst, every new attempt waits a backoff that doubles with each such answer in a row, and
never less than the last ``Retry-After``. A server answering only 503 with ``Retry-After: 0`` got
90 requests in 7 s without it; with it, a handful a minute.

Pure policy: this module must never send a request, and sleeps only through the injected clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from runner.clock import Clock
from runner.rc import wire
from runner.retrying import last_outcome, wait_retry_after


class Disposition(StrEnum):
    """What one attempt's outcome calls for."""

    DONE = "done"  # a 2xx or 3xx: nothing to retry
    RETRY = "retry"  # transport error or 5xx: back off and try again
    RATE_LIMITED = "rate_limited"  # 429: try again once the limiter's gate opens
    GIVE_UP = "give_up"  # any other 4xx: another attempt would fail the same way


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    initial: float = 2.0  # seconds before the second attempt
    maximum: float = 60.0  # no single wait is longer
    jitter: float = 1.0
    burst: int = 3  # 5xx (or no answer) in a row that each request rides out alone; then the run pauses


class Attempt(Protocol):
    """What one attempt reports back: enough to decide on the next."""

    @property
    def disposition(self) -> Disposition: ...
    @property
    def retry_after(self) -> float | None: ...


def classify(status: int, error: BaseException | None = None) -> Disposition:
    if status == 0 or (error is not None and status < 400):
        return Disposition.RETRY
    if status == 429:
        return Disposition.RATE_LIMITED
    if wire.is_5xx(status):
        return Disposition.RETRY
    if wire.is_4xx(status):
        return Disposition.GIVE_UP
    return Disposition.DONE


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter)
    honour = wait_retry_after(backoff, maximum=policy.maximum)

    def wait(state: RetryCallState) -> float:
        attempt = last_outcome(state)
        if getattr(attempt, "disposition", None) is Disposition.RATE_LIMITED:
            return 0.0  # the limiter's closed gate is the wait
        return honour(state)

    return wait


def retrying(policy: RetryPolicy, clock: Clock) -> AsyncRetrying:
    """An ``AsyncRetrying`` over attempts that return an ``Attempt``; the last one is returned as is."""
    return AsyncRetrying(
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=_wait(policy),
        retry=retry_if_result(lambda a: a.disposition in (Disposition.RETRY, Disposition.RATE_LIMITED)),
        sleep=clock.sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        reraise=True,
    )


@dataclass(slots=True)
class ServerBackoff:
    """The run's pause while the server answers only 5xx (or nothing); see the module docstring.

    ``observe`` every attempt's outcome (status 0: no answer) at monotonic ``now``; before each new
    attempt, wait until ``resume_at``. The n-th such answer in a row past ``policy.burst`` pauses the
    run ``initial * 2 ** (n - burst - 1)`` seconds plus up to ``jitter``, capped at ``maximum``; any
    ``Retry-After`` (capped at ``maximum`` too) is the least pause. Any other answer ends the streak.
    """

    policy: RetryPolicy
    rng: random.Random = field(default_factory=random.Random)
    streak: int = 0
    resume_at: float = 0.0

    @property
    def failing(self) -> bool:
        """Past the burst: attempts go one at a time, each after the pause."""
        return self.streak > self.policy.burst

    def observe(self, status: int, now: float, retry_after: float | None = None) -> None:
        if status != 0 and not wire.is_5xx(status):
            self.streak = 0
            return
        self.streak += 1
        policy = self.policy
        pause = min(retry_after or 0.0, policy.maximum)
        past_burst = self.streak - policy.burst
        if past_burst > 0:
            backoff = policy.initial * 2 ** min(past_burst - 1, 64) + self.rng.uniform(0, policy.jitter)
            pause = max(pause, min(backoff, policy.maximum))
        self.resume_at = max(self.resume_at, now + pause)
