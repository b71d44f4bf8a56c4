"""The error budget: how many more 4xx a run may risk before the window's ratio could cross the bar.

The engine asks ``may_send()`` before every request and reports every outcome back. Two rules:

- an endpoint that has never answered 2xx (in this run or, per the ledger, in the window) is
  quarantined for the run by its first non-retryable 4xx: it is most likely broken (an id that does
  not exist there, a role the user lacks), and a second try would only cost a second 4xx. One that
  has answered 2xx is quarantined after two non-retryable 4xx in a row;
- once a 4xx has been seen in the window (before or during this run), the run stops as soon as one
  more would push the projected ratio for the evaluation window to the profile's threshold. Only
  endpoints that have already answered 2xx in this run keep going after that: their successes
  dilute the ratio, and a proven endpoint failing now is the unlikely case. A clean
  window with a checked plan has no evidence of failure, so its first call always goes; otherwise
  a small run could never start. "Projected" means the window's responses so far plus everything this run
  plans to send. Calls already in flight are not counted as failures in advance: doing so would
  serialise every small run, and a checked plan rarely fails; they can overshoot the bar by at most
  the number in flight, and the verdict will say so.

First tries go by risk: an endpoint in ``risky`` (a write, or an id to guess) that has never
answered 2xx is tried only when the successes already in the window can absorb one more 4xx under
the bar (at 5%: 19 successes for each 4xx, counting that one). Until then it is held back
(``waiting``); the command plans another pass once the safe calls have built the cushion, or says
why it stopped.

Pure bookkeeping: this module must never send, sleep or look at the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from runner.rc import wire

WAITING = "held back for a cushion"


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
    proven_before: frozenset[str] = frozenset()  # endpoints with a 2xx in the window, per the ledger
    stopped: str | None = None  # why the whole run stopped, once it has
    _streak: dict[str, int] = field(default_factory=dict)
    _succeeded: set[str] = field(default_factory=set)  # endpoints that answered 2xx in this run
    # First tries by risk: an endpoint in ``risky`` (a write, an id to guess) that has never answered
    # 2xx goes only when the window's successes can absorb one more 4xx under the bar.
    risky: frozenset[str] = frozenset()
    prior_successes: int = 0  # 2xx already inside the evaluation window (from the ledger)
    successes: int = 0
    waiting: dict[str, str] = field(default_factory=dict)  # risky endpoint -> why it was held back

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
        proven = proven or endpoint in self.proven_before or endpoint in self._succeeded
        if self.stopped:
            return proven
        if endpoint in self.risky and not proven and not self._cushioned(endpoint):
            return False
        seen_failure = self.prior_4xx + self.errors_4xx > 0
        if seen_failure and self.projected_ratio(extra_failures=1) >= self.threshold:
            self.stopped = (
                f"one more 4xx would bring the window's projected 4xx ratio to "
                f"{self.projected_ratio(extra_failures=1):.1%}, at or over the {self.threshold:.0%} bar"
            )
            return proven
        return True

    def cushion_needed(self, failures: int) -> int:
        """Successes the window needs for ``failures`` 4xx to stay under the bar: 19 each at 5%."""
        bar = Fraction(self.threshold).limit_denominator(10**6)
        return math.ceil(failures * (1 - bar) / bar)

    def _cushioned(self, endpoint: str) -> bool:
        # Counting this try's possible 4xx. The engine asks for every step of an item before it
        # starts, so this must not reserve anything; the projected-ratio rule still bounds first
        # tries that run at the same time.
        failures = self.prior_4xx + self.errors_4xx + 1
        have, need = self.prior_successes + self.successes, self.cushion_needed(failures)
        if have < need:
            self.waiting[endpoint] = (
                f"{WAITING}: {have} successes in the window, {need} needed before an unproven endpoint"
                f" may risk a 4xx under the {self.threshold:.0%} bar"
            )
            return False
        self.waiting.pop(endpoint, None)
        return True

    def reason(self, endpoint: str) -> str | None:
        return self.quarantined.get(endpoint) or self.waiting.get(endpoint) or self.stopped

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
                never_worked = endpoint not in self._succeeded and endpoint not in self.proven_before
                if endpoint in self.quarantined:
                    return
                if never_worked:
                    self.quarantined[endpoint] = f"quarantined after a {status}: it has never answered 2xx"
                elif self._streak[endpoint] >= 2:
                    self.quarantined[endpoint] = f"quarantined after two {status}s in a row"
                return
        self._streak[endpoint] = 0
        if 200 <= status < 300:
            self._succeeded.add(endpoint)
            self.successes += 1
