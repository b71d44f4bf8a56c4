"""Waiting between attempts the way RingCentral asks: its ``Retry-After`` first, a backoff otherwise.

A tenacity wait strategy that the API traffic and the token calls share. Pure: it computes a wait
and must never sleep or send anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenacity import RetryCallState
from tenacity.wait import wait_base


class wait_retry_after(wait_base):
    """Wait what the server asked for: the ``retry_after`` (seconds) of the last attempt's result
    or exception, capped at ``maximum``; when it carries none, wait what ``fallback`` says."""

    def __init__(self, fallback: Callable[[RetryCallState], float], *, maximum: float | None = None) -> None:
        self.fallback = fallback
        self.maximum = maximum

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = getattr(last_outcome(retry_state), "retry_after", None)
        if asked is None:
            return float(self.fallback(retry_state))
        return float(asked) if self.maximum is None else min(float(asked), self.maximum)


def last_outcome(state: RetryCallState) -> Any:
    """The last attempt's result, or the exception it raised."""
    outcome = state.outcome
    if outcome is None:
        return None
    return outcome.exception() if outcome.failed else outcome.result()
