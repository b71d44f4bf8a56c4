"""The retry policy: which outcomes are worth another attempt, and how long to wait first.

Retried: transport errors (timeouts, dropped connections), 5xx, and 503 with ``Retry-After`` (the
header is honoured). A 429 is retried too, with no wait of its own: the group's limiter holds its
gate shut until the penalty is over, so the next ``acquire()`` is the wait. No other 4xx is ever
retried: it would fail again and count twice. Built on tenacity's ``AsyncRetrying`` with
exponential jitter, a cap and a maximum number of attempts (docs/ringcentral.md, Rate limits).

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
from tenacity.wait import wait_base

from runner.clock import Clock
from runner.rc import wire


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
    if wire.is_5xx(status):
        return Disposition.RETRY
    if wire.is_4xx(status):
        return Disposition.GIVE_UP
    return Disposition.DONE


class wait_retry_after(wait_base):
    """Wait what the server asked for: the ``retry_after`` (seconds) of the last attempt's result
    or exception, capped at ``maximum``; when it carries none, wait what ``fallback`` says."""

    def __init__(self, fallback: Callable[[RetryCallState], float], *, maximum: float | None = None) -> None:
        self.fallback = fallback
        self.maximum = maximum

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = getattr(_last(retry_state), "retry_after", None)
        if asked is None:
            return float(self.fallback(retry_state))
        return float(asked) if self.maximum is None else min(float(asked), self.maximum)


def _last(state: RetryCallState) -> Any:
    """The last attempt's result, or the exception it raised."""
    outcome = state.outcome
    if outcome is None:
        return None
    return outcome.exception() if outcome.failed else outcome.result()


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=policy.initial, max=policy.maximum, jitter=policy.jitter)
    honour = wait_retry_after(backoff, maximum=policy.maximum)

    def wait(state: RetryCallState) -> float:
        attempt = _last(state)
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
