"""What a run tells whoever watches it: typed events, in the order they happen.

The graduation passes emit them; the command line's handlers (``runner.report.live`` for the
console, ``runner.report.progress`` for the bars) turn them into lines. Plain data: an event must
never hold a secret, and this module must never print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from runner.records import CallRecord
from runner.traffic.engine import Refusal, RunResult
from runner.verdict.criteria import Verdict
from runner.verdict.topup import TopUp


@dataclass(frozen=True, slots=True)
class Planned:
    """A pass is about to send ``topup`` (``again``: after an earlier pass of this run, for ``why``)."""

    app: str
    topup: TopUp
    by_group: Mapping[str, int]
    seconds: float  # the least time the rate limits allow, in server seconds
    time_scale: float = 1.0  # a server second lasts this many seconds here (the local sandbox's clock)
    again: bool = False
    why: str = ""
    bare_minimum: int | None = None  # calls the criteria alone would need, when the cushion adds some


@dataclass(frozen=True, slots=True)
class Note:
    """A line for the person running it: a blocker, a warning, a wait for another run's lock."""

    app: str
    text: str
    kind: str = "warning"  # "warning", "blocker", "waiting", "stopping", "skipped"


@dataclass(frozen=True, slots=True)
class CallFinished:
    app: str
    record: CallRecord


@dataclass(frozen=True, slots=True)
class ItemFinished:
    app: str
    name: str
    completed: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """A 4xx, explained where it happened: what was refused and RingCentral's own words for why."""

    app: str
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class PassFinished:
    app: str
    result: RunResult


@dataclass(frozen=True, slots=True)
class NothingToSend:
    app: str
    why: str


@dataclass(frozen=True, slots=True)
class Judged:
    """The verdict for ``apply_day``, with what the run learnt that the next step depends on."""

    app: str
    verdict: Verdict
    apply_day: dt.date
    sent: int = 0
    quarantined: Mapping[str, str] = field(default_factory=dict)
    gave_up: str | None = None


@dataclass(frozen=True, slots=True)
class AppFinished:
    """A fleet's app is done sending (its verdict comes with the others')."""

    app: str
    sent: int
    gave_up: str | None = None
    failure: str | None = None  # why it could not run (its credentials), one line


Event = (
    Planned
    | Note
    | CallFinished
    | ItemFinished
    | Refused
    | PassFinished
    | NothingToSend
    | Judged
    | AppFinished
)
Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The handler that shows nothing (``-q`` keeps only what must never be hidden)."""


class Broadcast:
    """One emit for several handlers, called in order."""

    def __init__(self, *handlers: Emit) -> None:
        self._handlers = handlers

    def __call__(self, event: Event) -> None:
        for handler in self._handlers:
            handler(event)
