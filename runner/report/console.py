"""The verdict for a person at a terminal or in a CI log: criteria, endpoints, scopes and tokens.

Lines of figures, with prose wrapped at the console's width (80 columns in a pipe, as CI and cron
mail see it) and never a path cut. When the output is not a terminal rich drops colour;
``ascii_only`` also swaps the ✓/✗ marks for plain words. Must never print anything that is not in
the verdict.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap

from rich.console import Console

from runner.verdict.criteria import Criterion, Verdict, iso


def _mark(c: Criterion, ascii_only: bool) -> str:
    """A mark padded to one width, whatever its markup."""
    if not c.met:
        return "FAIL   " if ascii_only else "[red]✗[/red]      "
    if c.needs_human:
        return "confirm" if ascii_only else "[yellow]confirm[/yellow]"
    return "ok     " if ascii_only else "[green]✓[/green]      "


def format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2%}" if abs(value) < 1 else f"{value:g}"


def _prose(console: Console, text: str, indent: str = "", first: str | None = None) -> None:
    """Words wrapped at the console's width; a word longer than a line (a path) stays whole."""
    first = indent if first is None else first
    for line in textwrap.wrap(
        text,
        width=max(console.width, 40),
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def plain(console: Console) -> bool:
    """Plain ASCII, not box drawing or marks: the output is a pipe, a log or cron mail, or a
    terminal that is not UTF-8."""
    return not console.is_terminal or console.encoding.lower() not in ("utf-8", "utf8")


def render(verdict: Verdict, console: Console | None = None, *, ascii_only: bool | None = None) -> None:
    console = console or Console()
    if ascii_only is None:
        ascii_only = plain(console)
    win = verdict.window
    headline = "CRITERIA MET" if verdict.met else "CRITERIA NOT MET"
    day = verdict.judged_day
    before = day - dt.timedelta(days=1)
    console.print(
        f"[bold]{headline}[/bold] for an application on {day} (UTC)  profile {verdict.profile}",
        highlight=False,
        soft_wrap=True,
    )
    _prose(
        console,
        f"{before} and {day} (UTC days), and the 48 h from {iso(win.rolling_start)} to {iso(win.now)}",
        " " * 11,
        first="  window:  ",
    )
    if verdict.subject is not None:
        for label, value in verdict.subject.lines():
            _prose(console, value, " " * 11, first=f"  {label + ':':9}")

    # One line of figures per criterion and its detail on the next: readable at 80 columns.
    console.print(
        f"Criteria{'':23}{'value':>9} {'threshold':>9} {'margin':>9}", highlight=False, markup=False
    )
    for c in verdict.criteria:
        console.print(
            f"  {_mark(c, ascii_only)} {c.name:<20} {format_number(c.value):>9}"
            f" {format_number(c.threshold):>9} {format_number(c.margin):>9}",
            highlight=False,
        )
        _prose(console, c.detail, " " * 10)
    if verdict.endpoints:
        # The path is the row's identity: on a line of its own and whole, whatever the width (CI logs
        # and cron mail are 80 columns wide); its figures go on the line below it.
        _prose(console, f"Endpoints (2xx on {before} / {day} / in the 48 h; 4xx; responses)", "  ", "")
        for e in verdict.endpoints:
            name = e.key if e.in_plan else f"{e.key} (not in plan)"
            console.print(f"  {name}", highlight=False, markup=False, soft_wrap=True)
            console.print(
                f"      {e.permission or '-'}, {e.group or '-'}:  2xx {e.yesterday} / {e.today} / {e.last_48h}"
                f"   4xx {e.errors_4xx}   responses {e.total}",
                highlight=False,
                markup=False,
            )

    if verdict.scopes:
        console.print("Scopes: 2xx in the window", highlight=False, markup=False)
        width = max(len(s.scope) for s in verdict.scopes)
        for s in verdict.scopes:
            if ascii_only:
                mark = "ok     " if s.exercised else "FAIL   "
            else:
                mark = "[green]✓[/green]      " if s.exercised else "[red]✗[/red]      "
            console.print(f"  {mark} {s.scope:<{width}} {s.successes:>6}", highlight=False)

    t = verdict.tokens
    _prose(
        console,
        f"Tokens: {t.logins} login(s), {t.relogins} re-login(s), {t.refreshes} proactive refresh(es),"
        f" {t.refresh_on_401} refresh(es) after a 401, {t.expired_401} 401(s) from expired tokens",
        "  ",
        first="",
    )
    console.print("Caveats:", highlight=False)
    for note in verdict.caveats:
        _prose(console, note, "    ", first="  - ")


def render_text(verdict: Verdict, width: int = 120, ascii_only: bool = True) -> str:
    """The console report as plain text (no colour codes), as a non-terminal would get it."""
    buffer = io.StringIO()
    render(
        verdict, Console(file=buffer, width=width, force_terminal=False, no_color=True), ascii_only=ascii_only
    )
    return buffer.getvalue()
