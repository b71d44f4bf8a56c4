"""Live progress of a run: one bar per throttling group with its rate and ETA on a terminal; one
plain line per finished item elsewhere (CI logs, ``| tee``, cron mail), as the run goes.

Fed by the engine's record and item callbacks. It must never print a request line of its own (verbose request
logging goes through the redacting logger) and must stay silent when ``--quiet`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from runner.records import CallRecord, Kind


class GroupProgress:
    """A context manager; ``advance(record)`` is the engine's per-call hook."""

    def __init__(
        self,
        planned: Mapping[str, int],
        *,
        items: Mapping[str, int] | None = None,
        console: Console | None = None,
        enabled: bool = True,
    ):
        self._planned = {g: n for g, n in planned.items() if n > 0}
        self._console = console or Console()
        # Bars redraw in place, which a pipe cannot show: there, each finished item is a line.
        self._lines = enabled and not self._console.is_terminal
        self._items = {name: n for name, n in (items or {}).items() if n > 0}
        self._finished: dict[str, int] = {}
        self._not_ok = 0
        self._enabled = enabled and bool(self._planned) and not self._lines
        self._progress = Progress(
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>6} req/min"),
            TextColumn("{task.fields[issues]}"),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
            disable=not self._enabled,
        )
        self._tasks: dict[str, TaskID] = {}
        self._issues: dict[str, int] = {}

    def __enter__(self) -> GroupProgress:
        if self._enabled:
            self._progress.start()
        # Slowest group first, the order the engine starts them in.
        for group, count in sorted(self._planned.items(), key=lambda kv: -kv[1]):
            self._tasks[group] = self._progress.add_task(group, total=count, rate="-", issues="")
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._enabled:
            self._progress.stop()

    def item_done(self, name: str, completed: bool) -> None:
        """One repetition of a plan item finished (``completed``) or was skipped."""
        if not self._lines:
            return
        done = self._finished[name] = self._finished.get(name, 0) + 1
        total = self._items.get(name, done)
        state = "done" if completed else "skipped"
        issues = f", {self._not_ok} not 2xx so far" if self._not_ok else ""
        self._console.print(
            f"  {name}: {done}/{total} {state}{issues}", highlight=False, markup=False, soft_wrap=True
        )

    def advance(self, record: CallRecord) -> None:
        if record.kind is not Kind.API:
            return
        if not record.ok:
            self._not_ok += 1
        if self._lines:
            return
        task = self._tasks.get(record.group)
        if task is None:
            task = self._tasks[record.group] = self._progress.add_task(
                record.group, total=None, rate="-", issues=""
            )
        if not record.ok:
            self._issues[record.group] = self._issues.get(record.group, 0) + 1
        state = self._progress.tasks[self._tasks_index(task)]
        elapsed = state.elapsed or 0.0
        rate = f"{(state.completed + 1) * 60 / elapsed:.0f}" if elapsed > 1 else "-"
        issues = self._issues.get(record.group, 0)
        self._progress.update(
            task, advance=1, rate=rate, issues=f"[yellow]{issues} not 2xx" if issues else ""
        )

    def _tasks_index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self._progress.tasks) if t.id == task)
