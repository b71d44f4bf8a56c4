"""The retry policy: which outcomes are worth another attempt, and how long to wait first.

Retried: transport errors (timeouts, dropped connections), 5xx, and 503 with ``Retry-After`` (the
header is honoured). A 429 is retried too, with no wait of its own: the group's limiter holds its
gate shut until the penalty is over, so the next ``acquire()`` is the wait. No other 4xx is ever
retried: it would fail again and count twice. Built on tenacity's ``AsyncRetrying`` with
exponential jitter, a cap and a maximum number of attempts (FACTS.md §2, "Exponential backoff").

Pure policy: this module must never send a request, and sleeps only through the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from runner.clock import Clock


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
    if status >= 500:
        return Disposition.RETRY
    if status >= 400:
        return Disposition.GIVE_UP
    return Disposition.DONE


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        attempt: Any = outcome.result() if outcome is not None and not outcome.failed else None
        if attempt is not None:
            if attempt.disposition is Disposition.RATE_LIMITED:
                return 0.0
            if attempt.retry_after is not None:
                return min(attempt.retry_after, policy.maximum)
        return float(backoff(state))

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
