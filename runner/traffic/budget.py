"""The error budget: how many more 4xx a run may risk before the window's ratio could cross the bar.

The engine asks ``may_send()`` before every request and reports every outcome back. Two rules:

- an endpoint that answers with two non-retryable 4xx in a row is quarantined for the run;
- once a 4xx has been seen in the window (before or during this run), the run stops as soon as one
  more would push the projected ratio for the evaluation window to the profile's threshold. Only
  endpoints that have already answered 2xx in this run keep going after that: their successes
  dilute the ratio, and a proven endpoint failing now is the unlikely case. A clean
  window with a checked plan has no evidence of failure, so its first call always goes; otherwise
  a small run could never start. "Projected" means the window's responses so far plus everything this run
  plans to send. Calls already in flight are not counted as failures in advance: doing so would
  serialise every small run, and a checked plan rarely fails; they can overshoot the bar by at most
  the number in flight, and the verdict will say so.

Pure bookkeeping: this module must never send, sleep or look at the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.rc import wire


@dataclass(slots=True)
class ErrorBudget:
    threshold: float  # the profile's max 4xx ratio; the criterion is met strictly below it
    planned: int  # requests this run intends to send
    prior_responses: int = 0  # responses already inside the evaluation window (from the ledger)
    prior_4xx: int = 0
    responses: int = 0
    errors_4xx: int = 0
    in_flight: int = 0
    quarantined: dict[str, str] = field(default_factory=dict)  # endpoint key -> why
    stopped: str | None = None  # why the whole run stopped, once it has
    _streak: dict[str, int] = field(default_factory=dict)

    def projected_ratio(self, extra_failures: int = 0) -> float:
        total = self.prior_responses + max(self.planned, self.responses + self.in_flight)
        if total == 0:
            return 0.0
        return (self.prior_4xx + self.errors_4xx + extra_failures) / total

    def may_send(self, endpoint: str, *, cleanup: bool = False, proven: bool = False) -> bool:
        """True when this request may go out; a False answer explains itself in ``reason(endpoint)``.

        Cleanup (teardown) calls go out even after the run has stopped: leaving created data behind
        is worse than risking one more 4xx. A quarantined endpoint stays closed to them too.
        """
        if endpoint in self.quarantined:
            return False
        if cleanup:
            return True
        if self.stopped:
            return proven
        seen_failure = self.prior_4xx + self.errors_4xx > 0
        if seen_failure and self.projected_ratio(extra_failures=1) >= self.threshold:
            self.stopped = (
                f"one more 4xx would bring the window's projected 4xx ratio to "
                f"{self.projected_ratio(extra_failures=1):.1%}, at or over the {self.threshold:.0%} bar"
            )
            return proven
        return True

    def reason(self, endpoint: str) -> str | None:
        return self.quarantined.get(endpoint) or self.stopped

    def sending(self) -> None:
        self.in_flight += 1

    def settled(self, endpoint: str, status: int, *, retryable: bool) -> None:
        """Account one finished attempt. ``status`` 0 means no response came back."""
        self.in_flight = max(0, self.in_flight - 1)
        if status == 0:
            return
        self.responses += 1
        if wire.is_4xx(status):
            self.errors_4xx += 1
            if not retryable:
                self._streak[endpoint] = self._streak.get(endpoint, 0) + 1
                if self._streak[endpoint] >= 2 and endpoint not in self.quarantined:
                    self.quarantined[endpoint] = f"quarantined after two {status}s in a row"
                return
        self._streak[endpoint] = 0
