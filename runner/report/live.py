"""A run as a person reads it, event by event: the plan of each pass, what stopped or was skipped,
each 4xx explained, and after the verdict the one next step.

``ConsoleEvents`` is an event handler. Lines are written whole (``soft_wrap``): at 80 columns a
pipe, a CI log or cron mail shows them uncut and grep finds them. A 4xx, a give-up and a signal are
shown even under ``-q``. It must never print a secret (every line goes through the process's
redacting stream) nor anything the events do not hold.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from runner import words
from runner.report import next_step
from runner.run import events
from runner.traffic.engine import RunResult
from runner.verdict.topup import TopUp


class ConsoleEvents:
    def __init__(self, console: Console, *, quiet: bool = False, fleet: bool = False) -> None:
        self._console = console
        self._quiet = quiet
        self._fleet = fleet  # prefix lines with the app's name
        self._nothing: dict[str, str] = {}  # app -> why nothing was sent, said with the verdict

    def _say(self, app: str, text: str, style: str = "") -> None:
        prefix = f"{app}: " if self._fleet and app else ""
        # A Text, never markup: app names, item names and paths are the user's, "[/]" included.
        self._console.print(Text(prefix + text, style=style), soft_wrap=True, highlight=False)

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Refused):
            r = event.refusal
            # Shown even under -q: every 4xx counts against the app, and says what to fix.
            print(
                f"rcgrad: {r.method} {r.path} -> {r.status} {r.code or '(no error code)'}: {r.message or '(no message)'}",
                file=sys.stderr,
            )
        elif isinstance(event, events.Note):
            # Why the run stops, seems to hang, leaves an app to another machine, or will fail a
            # criterion it cannot mend: even under -q.
            if event.kind in ("stopping", "waiting", "warning", "skipped"):
                mark = "warning: " if event.kind == "warning" else ""
                self._say(
                    event.app, mark + event.text, "yellow" if event.kind in ("stopping", "warning") else ""
                )
            elif not self._quiet:
                mark = {"blocker": "! ", "warning": "warning: "}.get(event.kind, "")
                self._say(event.app, mark + event.text, "yellow" if mark else "")
        elif isinstance(event, events.Planned):
            if not self._quiet:
                for line in plan_lines(event):
                    self._say(event.app, line)
        elif isinstance(event, events.PassFinished):
            if not self._quiet:
                for line in pass_lines(event.result):
                    self._say(event.app, line)
            elif event.result.gave_up:
                self._say(event.app, event.result.gave_up)  # the one line even -q must not hide
        elif isinstance(event, events.NothingToSend):
            self._nothing[event.app] = event.why

    def judged(self, event: events.Judged, plan: str) -> None:
        """After the verdict's report: why nothing was sent (never above NOT MET without its
        reason), and the one next step."""
        if self._quiet:
            return
        why = self._nothing.pop(event.app, None)
        if why is not None:
            verdict = event.verdict
            if verdict.met:
                self._say(event.app, f"Nothing to send: {why}.")
            else:
                failing = ", ".join(c.name for c in verdict.failed)
                self._say(event.app, f"Nothing to send: more traffic cannot mend what fails ({failing}).")
        self._say(event.app, "next: " + next_step.advice(event, plan), "bold")


def plan_lines(event: events.Planned) -> list[str]:
    """The plan of a pass in a few lines: how many calls, for which day, how long, and why more
    than the bare minimum when the cushion or the dilution of earlier 4xx asks for it."""
    topup = event.topup
    groups = ", ".join(f"{g} {n}" for g, n in sorted(event.by_group.items(), key=lambda kv: -kv[1]) if n)
    if event.again:
        return [f"{event.why}: planning again, {words.counted(topup.total_calls, 'more call')} ({groups})"]
    lines = [
        f"{topup.mode}: {words.counted(topup.total_calls, 'call')} ({groups}) {_for_day(topup)}; {_duration(event)}"
    ]
    if topup.beyond_minimum:
        reasons = "; ".join(dict.fromkeys(topup.beyond_why))
        lines.append(f"  {topup.beyond_minimum} of them beyond the bare minimum: {reasons}")
    return lines


def _for_day(topup: TopUp) -> str:
    if topup.apply_day is not None:
        return f"today, for an application on {topup.apply_day} (UTC)"
    return f"on {topup.traffic_day} (UTC)"


def _duration(event: events.Planned) -> str:
    if event.seconds < 1:
        return "no waiting: each group's share fits in one rate window"
    server = f"at least {_human(event.seconds)} at the rate limits"
    if event.time_scale == 1:
        return server
    return f"{server}, about {_human(event.seconds * event.time_scale)} here (the local sandbox runs at 1/{round(1 / event.time_scale)} time)"


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def pass_lines(result: RunResult) -> list[str]:
    answers = ", ".join(f"{status or 'no response'}: {n}" for status, n in sorted(result.statuses.items()))
    lines = [f"run {result.run_id}: {result.sent} requests" + (f", {answers}" if answers else "")]
    lines += [f"quarantined {endpoint}: {why}" for endpoint, why in result.quarantined.items()]
    lines += [f"skipped {n} x {why}" for why, n in result.skipped.items()]
    if result.stopped:
        lines.append(f"stopped: {result.stopped}")
    if result.gave_up:
        lines.append(result.gave_up)
    if result.interrupted:
        lines.append("interrupted: every call sent so far is in the ledger; run again to finish")
    return lines


def schedule_lines(event: events.Planned) -> list[str]:
    """``--dry-run``: the plan of the first pass, item by item, and why each number is what it is."""
    topup = event.topup
    lines = plan_lines(event)
    lines += [f"  - {reason}" for reason in topup.reasons]
    lines += [f"  ! {blocker}" for blocker in topup.blockers]
    lines += [f"  {times:>4} x {name}" for name, times in topup.repeats.items() if times]
    if not topup.total_calls:
        lines.append("  nothing to send: the ledger already covers the window")
    return lines
