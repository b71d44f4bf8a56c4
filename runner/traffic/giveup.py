"""When a run stops trying: an overall deadline, and a server that has stopped answering.

A run whose every connection drops would otherwise retry each request for as long as there are
requests: ten of them took over five minutes. Two rules end it with a one-line reason instead:

- a deadline, measured from the first request: by default twice the least time the schedule needs
  at the rate limits plus ten minutes (room for a few 429 penalties and retries);
- no answer (or only 5xx) for ``failures`` attempts in a row that have lasted at least ``seconds``:
  a restart or a burst of drops is shorter than that and is ridden out by the retries;
- a run that ends with no attempt answered otherwise (a small plan runs out of attempts before
  either bound): it says so rather than end as if it had merely failed a few calls.

Pure bookkeeping on times the engine passes in: this module must never send, sleep or read a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.rc import wire

DEADLINE_FACTOR = 2.0
DEADLINE_SLACK_SECONDS = 600.0


def default_deadline(least_seconds: float) -> float:
    """The deadline for a run whose schedule needs at least ``least_seconds`` at the rate limits."""
    return DEADLINE_FACTOR * max(0.0, least_seconds) + DEADLINE_SLACK_SECONDS


@dataclass(frozen=True, slots=True)
class GiveUp:
    deadline: float | None = None  # seconds from the first request; None: no deadline
    elapsed: float = 0.0  # of it, spent by earlier passes of the same command
    failures: int = 10  # attempts in a row with no answer or a 5xx (two requests' worth of retries)
    seconds: float = 60.0  # ... lasting at least this long


@dataclass(slots=True)
class GiveUpWatch:
    """Tracks one run against its ``GiveUp``; ``reason`` is set once the run must stop."""

    rules: GiveUp
    started: float  # the engine's monotonic time at the start of the run
    reason: str | None = None
    _streak: int = 0
    _streak_since: float = 0.0
    _attempts: int = 0
    _last: str = ""

    def check_deadline(self, now: float) -> str | None:
        deadline = self.rules.deadline
        if (
            self.reason is None
            and deadline is not None
            and now - self.started + self.rules.elapsed >= deadline
        ):
            self.reason = f"gave up: the run passed its deadline of {deadline:.0f} s"
        return self.reason

    def observe(self, status: int, now: float, error: str | None = None) -> str | None:
        """Account one attempt's outcome (status 0: no answer)."""
        self._attempts += 1
        if status != 0 and not wire.is_5xx(status):
            self._streak = 0
            return self.reason
        if self._streak == 0:
            self._streak_since = now
        self._streak += 1
        self._last = error or (f"HTTP {status}" if status else "no response")
        lasted = now - self._streak_since
        if self.reason is None and self._streak >= self.rules.failures and lasted >= self.rules.seconds:
            self.reason = (
                f"gave up: the server did not answer (or answered 5xx) {self._streak} attempts in a row "
                f"over {lasted:.0f} s (last: {self._last})"
            )
        return self.reason

    def finish(self, now: float) -> str | None:
        """At the end of a run that was not interrupted: a run none of whose attempts was answered
        otherwise than by a 5xx (or at all) gave up on every call it had."""
        if self.reason is None and self._attempts and self._streak == self._attempts:
            self.reason = (
                f"gave up: the server did not answer (or answered 5xx) any of the run's {self._attempts}"
                f" attempts, over {now - self._streak_since:.0f} s (last: {self._last})"
            )
        return self.reason
