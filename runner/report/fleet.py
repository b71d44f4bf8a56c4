"""The fleet's summary: one row per app (verdict, calls sent, 4xx, 429, tightest margin), and the exit rule.

It renders what the commands hand it and never reads the ledger or the network. A fleet is met only
when every app is met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.box import ASCII, ROUNDED
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runner.report.console import plain
from runner.verdict.criteria import ERROR_RATIO_4XX, RATE_LIMITED_429, Verdict


@dataclass(frozen=True, slots=True)
class FleetRow:
    app: str
    verdict: Verdict
    sent: int | None = None  # requests this run sent; None for status (no traffic)
    skipped: str | None = None  # --skip-locked: another run holds it (who), so this one judged nothing


def all_met(rows: Sequence[FleetRow]) -> bool:
    """Every app this run judged met; the apps another run holds are that run's to judge."""
    judged = [row for row in rows if row.skipped is None]
    return bool(rows) and all(row.verdict.met for row in judged)


def _value(verdict: Verdict, name: str) -> str:
    criterion = verdict.criterion(name)
    if criterion is None:
        return "-"
    value = criterion.value
    return f"{value:.1%}" if name == ERROR_RATIO_4XX else f"{value:g}"


def tightest(verdict: Verdict) -> str:
    """The criterion closest to failing (or furthest past it), with its margin."""
    judged = [c for c in verdict.criteria if not c.needs_human]
    if not judged:
        return "-"
    worst = min(judged, key=lambda c: (c.met, c.margin))
    return f"{worst.name} {worst.margin:+g}"


def heading(app: str, console: Console) -> None:
    """The line above each app's report in a fleet's output."""
    console.rule(Text(app), characters="-" if plain(console) else "─")  # a name, never markup


def render(rows: Sequence[FleetRow], console: Console) -> None:
    judged = [r for r in rows if r.skipped is None]
    skipped = (
        f", {len(rows) - len(judged)} skipped (another run holds them)" if len(judged) < len(rows) else ""
    )
    # The title is a line of its own: as the table's title, rich pads it with spaces to the width.
    title = f"fleet: {sum(r.verdict.met for r in judged)} of {len(judged)} apps met{skipped}"
    table = Table(box=ASCII if plain(console) else ROUNDED)  # as the per-app report does
    for column, justify in (
        ("app", "left"),
        ("verdict", "left"),
        ("sent", "right"),
        ("4xx", "right"),
        ("429", "right"),
        ("tightest margin", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        if row.skipped is not None:
            table.add_row(
                Text(row.app), "skipped", "-", "-", "-", Text(row.skipped.removeprefix("skipped: "))
            )
            continue
        table.add_row(
            Text(row.app),  # the plan's app name: the user's text, never markup
            "met" if row.verdict.met else "NOT MET",
            "-" if row.sent is None else str(row.sent),
            _value(row.verdict, ERROR_RATIO_4XX),
            _value(row.verdict, RATE_LIMITED_429),
            tightest(row.verdict),
        )
    console.print(title, highlight=False, markup=False)
    console.print(table)
    console.print("FLEET MET" if all_met(rows) else "FLEET NOT MET")
