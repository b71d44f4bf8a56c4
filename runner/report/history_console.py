"""The window's history in words: the next apply day, and one line per app for the console.

Plain text that reads at 80 columns in a pipe. App names come from plans and may hold anything:
each goes through ``redact`` and ``one_line`` (an escape sequence is shown, never obeyed). Returns
strings; it never prints, and never shows anything that is not in the ``History`` it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from runner.errors import one_line
from runner.redact import redact
from runner.verdict.history import History

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NAME_WIDTH = 18  # the app column's widest padding; a longer name pushes its line along
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weekday_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.isoformat()}"


def relative_day(day: dt.date, today: dt.date) -> str:
    """``today, Mon 2026-12-07``, ``tomorrow, ...`` or ``Thu 2026-12-10``."""
    if day == today:
        return f"today, {weekday_date(day)}"
    if day == today + dt.timedelta(days=1):
        return f"tomorrow, {weekday_date(day)}"
    return weekday_date(day)


def next_apply_day(history: History) -> str:
    """The next apply day that meets all day, if the warm-up keeps running; or why there is none."""
    o = history.outlook
    if o.apply_day is None:
        failing = ", ".join(c.name for c in o.failing) or "the criteria"
        return f"none within {len(o.warmups)} days ({failing} would still fail)"
    return relative_day(o.apply_day, history.today.day)


def next_apply_day_short(history: History) -> str:
    """The same, in at most 30 characters: "tomorrow, 8 Dec", "Thu 10 Dec", "none in 4 days"."""
    o = history.outlook
    if o.apply_day is None:
        return f"none in {len(o.warmups)} days"
    day, today = o.apply_day, history.today.day
    short = f"{day.day} {MONTHS[day.month - 1]}"
    if day == today:
        return f"today, {short}"
    if day == today + dt.timedelta(days=1):
        return f"tomorrow, {short}"
    return f"{WEEKDAYS[day.weekday()]} {short}"


def safe_name(name: str) -> str:
    return one_line(redact(name))


def summary_lines(apps: Sequence[tuple[str, History]]) -> list[str]:
    """One line per app, aligned, 80 columns for a name of up to ``NAME_WIDTH``: the verdict now,
    the days met, the next apply day."""
    names = [safe_name(app) for app, _ in apps]
    width = min(max((len(n) for n in names), default=0), NAME_WIDTH)
    out = []
    for name, (_, h) in zip(names, apps, strict=True):
        verdict = "met now" if h.current.met else "NOT MET now"
        days = f"{len(h.met_days)}/{len(h.days)} days met"
        out.append(f"{name:<{width}}  {verdict:<11}  {days:<14}  next apply day {next_apply_day_short(h)}")
    return out
