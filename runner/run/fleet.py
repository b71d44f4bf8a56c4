"""Many apps in one process: each with its own limiters, tokens, ledger partition and run lock.

Every plan is checked (and consented to) before any sandbox, ledger or login; every session is open
and every app's lock held before the first request; then the apps run at once, under one signal
watcher; then each is judged. An app whose login fails sends nothing and is reported; the others
go on. Like ``passes``, it takes options and emits events, and must never write to a console.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace

import anyio

from runner.errors import InputError, RcgradError
from runner.ledger.ledger import Ledger, PartitionKey
from runner.plan.loader import Plan
from runner.run import events
from runner.run.events import Emit
from runner.run.passes import Outcome, RunOptions, judged, passes, too_early
from runner.run.runlock import run_lock
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
        for session, name in zip(sessions, names, strict=True):
            stack.enter_context(
                run_lock(
                    session.target.ledger_server,
                    session.target.credentials.client_id,
                    ledger=session.ledger,
                    wait=options.wait,
                    notify=_waiting(emit, name),
                )
            )
        early = {i: why for i, s in enumerate(sessions) if (why := too_early(options, s))}
        for index, why in early.items():
            emit(events.Note(names[index], why, "blocker"))
        if sum(session.target.sandbox is not None for session in sessions) > 1:
            # Each embedded sandbox serves from its own thread: at the default 5 ms GIL switch
            # interval every request would queue behind the other threads' slices.
            sys.setswitchinterval(0.0005)
        running = [i for i in range(len(sessions)) if i not in early]
        outcomes, failures = anyio.run(_send_all, options, sessions, names, running, emit)
        return [
            FleetApp(
                name,
                _rename(judged(options, session, outcome), name),
                failures.get(index),
                session.plan,
                session.key,
            )
            for index, (name, session, outcome) in enumerate(zip(names, sessions, outcomes, strict=True))
        ]


def _waiting(emit: Emit, name: str) -> Callable[[str], None]:
    def notify(text: str) -> None:
        emit(events.Note(name, text, "waiting"))

    return notify


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

    async def one(index: int) -> None:
        name = names[index]

        def own(event: events.Event) -> None:  # every event under the app's unique name
            emit(replace(event, app=name))

        async def run_engine(engine: Engine, jobs: list[Job]) -> RunResult:
            engines.append(engine)
            try:
                return await engine.run(jobs)
            finally:
                sent[index] += engine.result.sent

        try:
            outcomes[index] = await passes(options, sessions[index], own, run_engine=run_engine)
        except RcgradError as exc:
            failures[index] = exc
            outcomes[index] = Outcome(sent=sent[index])  # what it sent before the failure

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
