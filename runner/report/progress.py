"""Live progress of a run, fed by its events: one bar per throttling group (rate in requests per
server minute, time left) on a terminal; one plain line per finished item elsewhere (CI logs,
``| tee``, cron mail). A fleet gets one live line per app on a terminal, and the item lines,
named after their app, elsewhere.

It must never print a request line of its own (verbose request logging goes through the redacting
logger), never a secret, and stays silent when ``--quiet`` is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from runner.records import Kind
from runner.run import events


class GroupBars:
    """One app's progress; an event handler (``emit``). Bars start at each pass's plan and stop at
    its end."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._console = console
        self._enabled = enabled
        self._lines = not console.is_terminal  # bars redraw in place, which a pipe cannot show
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._issues: Counter[str] = Counter()
        self._items: Mapping[str, int] = {}
        self._finished: Counter[str] = Counter()
        self._not_ok = 0
        self._scale = 1.0

    def __call__(self, event: events.Event) -> None:
        if not self._enabled:
            return
        if isinstance(event, events.Planned):
            self._start(event)
        elif isinstance(event, events.CallFinished):
            self._advance(event)
        elif isinstance(event, events.ItemFinished):
            self._item_done(event)
        elif isinstance(event, events.PassFinished | events.Judged):
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _start(self, event: events.Planned) -> None:
        self.close()
        self._items = {name: n for name, n in event.topup.repeats.items() if n > 0}
        self._finished.clear()
        self._scale = event.time_scale
        if self._lines:
            return
        unit = "req/min" if event.time_scale == 1 else "req/server min"
        self._progress = Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>4} " + unit),
            TextColumn("{task.fields[issues]}"),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._tasks = {}
        # Slowest group first, the order the engine starts them in.
        for group, count in sorted(event.by_group.items(), key=lambda kv: -kv[1]):
            if count > 0:
                self._tasks[group] = self._progress.add_task(group, total=count, rate="-", issues="")
        self._progress.start()

    def _advance(self, event: events.CallFinished) -> None:
        record = event.record
        if record.kind is not Kind.API:
            return
        if not record.ok:
            self._not_ok += 1
        if self._progress is None:
            return
        task = self._tasks.get(record.group)
        if task is None:
            task = self._tasks[record.group] = self._progress.add_task(
                record.group, total=None, rate="-", issues=""
            )
        if not record.ok:
            self._issues[record.group] += 1
        state = next(t for t in self._progress.tasks if t.id == task)
        elapsed = state.elapsed or 0.0
        # Per server minute: on the local sandbox's scaled clock a minute passes in a few seconds.
        rate = f"{(state.completed + 1) * 60 * self._scale / elapsed:.0f}" if elapsed > 1 else "-"
        issues = self._issues[record.group]
        self._progress.update(
            task, advance=1, rate=rate, issues=f"[yellow]{issues} not 2xx" if issues else ""
        )

    def _item_done(self, event: events.ItemFinished) -> None:
        # A skipped repetition is said once, in the pass's summary ("skipped 5 x ..."), not per item.
        if not self._lines or not event.completed:
            return
        done = self._finished[event.name] = self._finished[event.name] + 1
        total = self._items.get(event.name, done)
        state = "done" if event.completed else "skipped"
        issues = f", {self._not_ok} not 2xx so far" if self._not_ok else ""
        self._console.print(
            f"  {event.name}: {done}/{total} {state}{issues}", highlight=False, markup=False, soft_wrap=True
        )


class FleetLines:
    """A fleet's progress as it goes: on a terminal, a compact live table (one line of totals, then
    the apps still sending, at most ``ROWS``, those with answers that were not 2xx first), redrawn a
    few times a second whatever the number of events; elsewhere, one line per finished app."""

    ROWS = 12

    def __init__(self, console: Console, *, enabled: bool = True, apps: int = 0) -> None:
        self._console = console
        self._enabled = enabled
        self._lines = not console.is_terminal
        self._size = apps  # the fleet's apps, known before they speak
        self._apps: dict[str, None] = {}  # in the order they first speak
        self._planned: Counter[str] = Counter()
        self._sent: Counter[str] = Counter()
        self._not_ok: Counter[str] = Counter()
        self._state: dict[str, str] = {}
        self._finished = 0
        self._live: Live | None = None
        if enabled and not self._lines:
            # The table is built when rich redraws (4 times a second), not on each of 30,000 events.
            self._live = Live(
                console=console, get_renderable=self._table, refresh_per_second=4, transient=False
            )
            self._live.start()

    def __call__(self, event: events.Event) -> None:
        if not self._enabled:
            return
        app = event.app
        if app and app not in self._state:
            self._apps[app] = None
            self._state[app] = "waiting"
        if isinstance(event, events.CallFinished):
            if event.record.kind is Kind.API:
                self._sent[app] += 1
                self._not_ok[app] += not event.record.ok
        elif isinstance(event, events.Planned):
            self._planned[app] += event.topup.total_calls
            self._state[app] = "sending"
        elif isinstance(event, events.NothingToSend):
            self._state[app] = "nothing to send"
        elif isinstance(event, events.Note) and event.kind == "skipped":
            self._state[app] = "skipped"
        elif isinstance(event, events.AppFinished):
            self._finish(event)

    def _finish(self, event: events.AppFinished) -> None:
        app = event.app
        self._finished += 1
        state = "failed" if event.failure else "gave up" if event.gave_up else "done"
        if self._state.get(app) != "nothing to send" or state != "done":
            self._state[app] = state
        if self._lines:
            issues = f", {self._not_ok[app]} not 2xx" if self._not_ok[app] else ""
            why = f": {event.failure or event.gave_up}" if state != "done" else ""
            self._console.print(
                f"  {app}: {self._state[app]}, {event.sent} sent{issues}{why}"
                f" ({self._finished} of {max(self._size, len(self._apps))} apps finished)",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _table(self) -> Group:
        apps = list(self._apps)
        states = Counter(self._state[a] for a in apps)
        totals = ", ".join(f"{n} {state}" for state, n in states.most_common())
        planned = sum(self._planned.values())
        head = Text(
            f"{max(self._size, len(apps))} apps: {totals or 'starting'}; {sum(self._sent.values())}/{planned or '-'}"
            f" sent, {sum(self._not_ok.values())} not 2xx",
            no_wrap=True,
            overflow="ellipsis",
        )
        table = Table(box=None, show_header=True, pad_edge=False)
        for column, justify in (("app", "left"), ("sent", "right"), ("not 2xx", "right"), ("", "left")):
            table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        active = [a for a in apps if self._state[a] in ("sending", "waiting")]
        active.sort(key=lambda a: (-self._not_ok[a], self._sent[a] - self._planned[a]))
        for app in active[: self.ROWS]:
            table.add_row(
                Text(app),  # the user's name for it, never markup
                f"{self._sent[app]}/{self._planned[app] or '-'}",
                str(self._not_ok[app]),
                self._state[app],
            )
        if len(active) > self.ROWS:
            table.add_row(f"... and {len(active) - self.ROWS} more", "", "", "")
        return Group(head, table)
