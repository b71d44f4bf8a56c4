"""Many apps in one process: each with its own limiters, tokens, ledger partition and run lock.

Every plan is checked (and consented to) before any sandbox, ledger or login; every session is open
and every app's lock held before the first request; then the apps run at once, under one signal
watcher; then each is judged. An app whose login fails sends nothing and is reported; the others
go on. Like ``passes``, it takes options and emits events, and must never write to a console.
"""

from __future__ import annotations

import gc
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

import anyio

from runner.errors import BusyError, InputError, RcgradError
from runner.ledger.ledger import Ledger, PartitionKey
from runner.plan.loader import Plan
from runner.redact import redact
from runner.run import events
from runner.run.events import Emit
from runner.run.passes import Outcome, RunOptions, app_lock, judged, passes, too_early
from runner.run.passes import skipped as skipped_note
from runner.run.session import Session, SessionOptions, consent, load_checked, open_session
from runner.run.signals import watch_signals
from runner.traffic.engine import Engine, Job, RunResult


@dataclass(frozen=True, slots=True)
class FleetApp:
    """One app of a fleet, judged, or the credentials failure that kept it from sending."""

    name: str  # unique in the fleet: the plan's file name is added when two apps share a name
    judged: events.Judged
    failure: RcgradError | None = None
    plan: Plan | None = None
    key: PartitionKey | None = None  # its ledger partition
    skipped: str | None = None  # --skip-locked: why this process did not run it (who holds it)


def run_fleet(
    plans: list[SessionOptions],
    options: RunOptions,
    emit: Emit,
    *,
    dry_run: Callable[[Session], None] | None = None,
    ready: Callable[[list[Session]], None] | None = None,
) -> list[FleetApp]:
    """Run every plan's app at once and judge each; ``dry_run`` instead shows each schedule.
    ``ready`` sees every open session before the first lock is taken or request sent (the command
    line's last checks, such as the alerts' webhooks)."""
    for plan in plans:  # every plan checked (and consented to) before any sandbox, ledger or login
        consent(plan, load_checked(plan))
    with ExitStack() as stack:
        ledger = stack.enter_context(Ledger.open(plans[0].ledger))  # one connection for all
        sessions = [stack.enter_context(open_session(plan, ledger=ledger)) for plan in plans]
        _one_plan_per_app(sessions)
        names = app_names(sessions)
        if dry_run is not None:
            for session in sessions:
                dry_run(session)
            return []
        if ready is not None:
            ready(sessions)
        skipped = _lock_all(stack, sessions, names, options, emit)
        early = {i: why for i, s in enumerate(sessions) if (why := too_early(options, s))}
        for index, why in early.items():
            emit(events.Note(names[index], why, "blocker"))
        running = [i for i in range(len(sessions)) if i not in early and i not in skipped]
        embedded = sum(session.target.sandbox is not None for session in sessions)
        with tuned_for_fleet(embedded_sandboxes=embedded):
            outcomes, failures = anyio.run(_send_all, options, sessions, names, running, emit)
        return [
            FleetApp(
                name,
                _rename(judged(options, session, outcome), name),
                failures.get(index),
                session.plan,
                session.key,
                skipped.get(index),
            )
            for index, (name, session, outcome) in enumerate(zip(names, sessions, outcomes, strict=True))
        ]


# CPython's cyclic collector runs a young collection every 700 container allocations by default.
# A call allocates about 1,500 (httpx, httpcore, h11, tenacity, the ledger's writes), and with
# hundreds of calls in flight every collection walks all of their live objects, promoting them, so
# the 80 or so each call leaves in reference cycles (tenacity's retry state, httpx's request,
# response and stream) pile up for the full collections. Measured on the 500-app bench: 29 of the
# fleet's 85 s went to the collector, in pauses of up to 1.4 s; at this threshold, 3 to 4 s.
FLEET_GC_THRESHOLD = 50_000


@contextmanager
def tuned_for_fleet(*, embedded_sandboxes: int) -> Iterator[None]:
    """The process tuned for many apps' calls at once, and put back as it was afterwards."""
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.set_threshold(max(threshold[0], FLEET_GC_THRESHOLD), *threshold[1:])
    if embedded_sandboxes > 1:
        # Each embedded sandbox serves from its own thread: at the default 5 ms GIL switch
        # interval every request would queue behind the other threads' slices.
        sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)


def _lock_all(
    stack: ExitStack, sessions: list[Session], names: list[str], options: RunOptions, emit: Emit
) -> dict[int, str]:
    """Every app's run lock, held until the stack closes; with ``skip_locked``, the apps another run
    holds are left to it: {index: why}. Each process tries the apps in its own random order, so
    machines that start the same fleet together take turns at the first free app, not a race for
    the same one."""
    order = list(range(len(sessions)))
    if options.skip_locked:
        random.shuffle(order)
    skipped: dict[int, str] = {}
    for index in order:
        session, name = sessions[index], names[index]
        try:
            stack.enter_context(app_lock(session, options, emit, name))
        except BusyError as busy:
            if not options.skip_locked:
                raise
            skipped[index] = skipped_note(busy)
            emit(events.Note(name, skipped[index], "skipped"))
    return skipped


def _rename(event: events.Judged, name: str) -> events.Judged:
    return replace(event, app=name)


def _one_plan_per_app(sessions: list[Session]) -> None:
    """Two plans for one app would share its rate budget and tokens: the fleet runs an app once."""
    seen: dict[tuple[str, str], Session] = {}
    for session in sessions:
        app = (session.target.ledger_server, session.target.credentials.client_id)
        if app in seen:
            raise InputError(
                f"the same app as {seen[app].plan.path} (client id {app[1]}): a fleet runs each app once;"
                " give each plan its own credentials:",
                file=str(session.plan.path),
                key="credentials",
            )
        seen[app] = session


def app_names(sessions: list[Session]) -> list[str]:
    """The app names, made unique with the plan's file name when two plans share one."""
    names = [s.plan.app.name for s in sessions]
    return [
        n if names.count(n) == 1 else f"{n} ({s.plan.path.name})"
        for n, s in zip(names, sessions, strict=True)
    ]


async def _send_all(
    options: RunOptions, sessions: list[Session], names: list[str], running: list[int], emit: Emit
) -> tuple[list[Outcome | None], dict[int, RcgradError]]:
    """Every app's traffic at once; Ctrl-C or SIGTERM stops them all (teardown steps still run).
    Returns each app's outcome (None when it sent nothing) and the credentials failures."""
    outcomes: list[Outcome | None] = [None] * len(sessions)
    sent = [0] * len(sessions)
    failures: dict[int, RcgradError] = {}
    engines: list[Engine] = []

    start = _StartLine(len(running))

    async def one(index: int) -> None:
        name = names[index]

        def own(event: events.Event) -> None:  # every event under the app's unique name
            emit(replace(event, app=name))

        async def run_engine(engine: Engine, jobs: list[Job]) -> RunResult:
            engines.append(engine)
            await start.ready(index)  # logged in and planned: wait for the others, then all go at once
            try:
                return await engine.run(jobs)
            finally:
                sent[index] += engine.result.sent

        failure: str | None = None
        try:
            outcomes[index] = await passes(options, sessions[index], own, run_engine=run_engine)
        except RcgradError as exc:
            failures[index] = exc
            failure = redact(str(exc))
            outcomes[index] = Outcome(sent=sent[index])  # what it sent before the failure
        finally:
            start.leave(index)  # an app that will not send (nothing to send, a failure) holds no one up
        last = outcomes[index]
        result = last.result if last is not None else None
        emit(events.AppFinished(name, sent[index], result.gave_up if result else None, failure))

    def on_signal(signal_name: str) -> None:
        for engine in engines:
            engine.result.interrupted = True
        emit(events.Note("", f"{signal_name}: stopping every app; teardowns still run.", "stopping"))

    async with anyio.create_task_group() as tg:
        # The apps run inside this scope too: a signal stops them all.
        watch_signals(tg, on_signal)
        async with anyio.create_task_group() as apps:
            for index in running:
                apps.start_soon(one, index)
        tg.cancel_scope.cancel()  # the apps are done: stop the watcher
    return outcomes, failures


class _StartLine:
    """The fleet's apps start sending together: each waits here, logged in with its first schedule,
    until every other app is either waiting too or out (nothing to send, a failed login). Logins
    and plans take a moment per app; without it the last of 500 apps would start seconds after the
    first, and the fleet would take that much longer than its slowest app."""

    def __init__(self, apps: int) -> None:
        self._waiting_for = apps
        self._arrived: set[int] = set()
        self._go = anyio.Event()
        if apps <= 0:
            self._go.set()

    async def ready(self, app: int) -> None:
        self._arrive(app)
        await self._go.wait()

    def leave(self, app: int) -> None:
        self._arrive(app)

    def _arrive(self, app: int) -> None:
        if app in self._arrived:
            return
        self._arrived.add(app)
        self._waiting_for -= 1
        if self._waiting_for <= 0:
            self._go.set()
