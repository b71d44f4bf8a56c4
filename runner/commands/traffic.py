"""``rcgrad graduate PLAN...`` and ``rcgrad warmup PLAN...``: send what the window still needs, then judge it.

The order matters and is the product's promise: the plan is loaded and checked (any problem: exit
2, zero requests), production needs explicit consent, the per-app run lock is taken, the ledger says
what is missing, the token manager logs in (a failure: exit 3, zero API requests), and only then
does the engine send, recording every call as it completes. This module must never send traffic for
a plan with errors, and never print a secret.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
from rich.console import Console

from runner.commands.options import (
    add_ledger_flag,
    add_plans_argument,
    add_report_flags,
    add_transport_flags,
    plan_paths,
    report_names,
    report_request,
    session_options,
)
from runner.errors import EXIT_MET, EXIT_NOT_MET, InputError, RcgradError
from runner.rc.limits import most_calls
from runner.rc.scopes import UNMAPPABLE
from runner.redact import redact
from runner.report import fleet as fleet_report
from runner.report.fleet import FleetRow
from runner.report.write import check_outputs, write_reports
from runner.traffic.budget import WAITING, ErrorBudget
from runner.traffic.engine import Engine, Job, RunResult
from runner.traffic.giveup import GiveUp, default_deadline
from runner.traffic.progress import GroupProgress
from runner.traffic.runlock import run_lock
from runner.traffic.session import Session, consent, load_checked, open_session
from runner.verdict.criteria import GRANTED_NOT_PLANNED, lookback
from runner.verdict.grants import parse_scope
from runner.verdict.ledger import Ledger
from runner.verdict.records import CallRecord
from runner.verdict.topup import TopUp, calls_by_group, plan_graduate, plan_warmup

log = logging.getLogger("rcgrad.traffic")
EXTRA_PASSES = 3  # passes after one that got new 4xx or held first tries back
RunEngine = Callable[[Engine, list[Job]], Awaitable[RunResult]]  # how a fleet runs each app's engine


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    add_plans_argument(parser)
    if name == "graduate":
        parser.add_argument(
            "--apply-on",
            metavar="DATE",
            type=_date,
            help="the UTC day you will apply (default: tomorrow); today's traffic must carry it",
        )
    else:
        parser.add_argument("--daily", type=int, metavar="N", help="successes per endpoint to reach today")
    parser.add_argument("--calls", type=int, metavar="N", help="run every item N times instead of the top-up")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the schedule and its duration; send nothing"
    )
    parser.add_argument(
        "--allow-production", action="store_true", help="consent to send traffic to production"
    )
    parser.add_argument(
        "--allow-production-writes",
        action="store_true",
        help="also consent to the plan's create/update/delete calls on production (live customer data)",
    )
    parser.add_argument(
        "--retry-broken",
        action="store_true",
        help="try again endpoints that answered only 4xx in the window (after fixing their steps)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=30.0,
        metavar="SECONDS",
        help="give up on one request after this long",
    )
    parser.add_argument(
        "--deadline",
        type=_positive,
        metavar="SECONDS",
        help="stop sending after this long (default: twice the schedule's least time plus 10 minutes)",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another run (here or, with a shared ledger, on another machine) holds this app, wait for it"
        " instead of exiting",
    )
    add_ledger_flag(parser)
    add_transport_flags(parser)
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=False, quiet=False)
    plans = plan_paths(args)
    names = report_names(plans) if len(plans) > 1 else [None]
    for name in names:  # every report path, before any plan is opened or anything sent
        check_outputs(report_request(args, name))
    if len(plans) > 1:
        return _run_fleet(args, plans, console)
    with open_session(session_options(args)) as session:
        early = _too_early(args, session)
        if early:
            console.print(early, soft_wrap=True)
            return EXIT_NOT_MET
        if args.dry_run:
            _print_schedule(console, session, _plan_now(args, session))
            return EXIT_MET
        # The plan is made under the lock: a run that waited must see what the other one sent.
        with run_lock(
            session.target.ledger_server,
            session.target.credentials.client_id,
            ledger=session.ledger,
            wait=args.wait,
            notify=console.print,
        ):
            result = anyio.run(_passes, args, session, console)
        if result is not None and not args.quiet:
            _print_run(console, result)
        elif result is not None and result.gave_up:
            console.print(result.gave_up, soft_wrap=True)  # the one line even -q must not hide
        verdict = session.verdict()
        _say(write_reports(verdict, report_request(args), console))
        return EXIT_MET if verdict.met else EXIT_NOT_MET


async def _passes(
    args: argparse.Namespace,
    session: Session,
    console: Console,
    *,
    run_engine: RunEngine | None = None,
    progress: bool = True,
) -> RunResult | None:
    """One app's traffic: the top-up, then up to EXTRA_PASSES more when new 4xx or held-back first
    tries change what the window needs, all under one deadline."""
    talk = progress and not args.quiet
    first = _plan_now(args, session)
    # One deadline for the whole command, passes included, from the first schedule.
    seconds = args.deadline or default_deadline(session.predicted_seconds(calls_by_group(first.per_endpoint)))
    give_up = GiveUp(deadline=seconds)
    started = session.clock.monotonic()
    for blocker in first.blockers if talk else ():
        console.print(f"[yellow]! {blocker}[/]", soft_wrap=True)
    send = partial(_send, args, session, console=console, run_engine=run_engine, progress=progress)
    result = await send(first, give_up)
    for _ in range(EXTRA_PASSES):
        # A new 4xx changes what the window needs: plan again (broken endpoints left out, the
        # working ones diluting it) rather than end the run over the bar. Endpoints held back for a
        # cushion get their try once the safe calls have built it.
        failed, held = _new_failures(result), _held_back(result)
        topup = _plan_now(args, session) if (failed or held) and args.calls is None else None
        if result is None or result.gave_up or topup is None or topup.is_empty:
            break
        if talk:
            _print_run(console, result)
            why = f"{failed} 4xx in this run" if failed else f"{held} first tries held back for a cushion"
            console.print(f"{why}: planning again, {topup.total_calls} more calls", soft_wrap=True)
        result = await send(topup, replace(give_up, elapsed=session.clock.monotonic() - started))
        if result is None or result.sent == 0:
            break  # no progress: the skipped lines say why
    return result


def _held_back(result: RunResult | None) -> int:
    if result is None or result.interrupted:
        return 0
    return sum(n for why, n in result.skipped.items() if WAITING in why)


def _risky(session: Session) -> frozenset[str]:
    """Endpoints whose first try may 4xx for reasons ``check`` cannot see: writes, and ids to guess.

    None when every item has such a step: nothing could build a cushion first, so the first tries
    go one endpoint at a time under the projected-ratio rule alone, rather than never.
    """
    risky = frozenset(
        step.operation.key
        for step in session.plan.steps
        if step.operation.is_write or step.operation.id_params
    )
    items = session.plan.endpoints
    if all({step.operation.key for step in item.steps} & risky for item in items):
        return frozenset()
    return risky


def _new_failures(result: RunResult | None) -> int:
    """4xx this run got that traffic can dilute: not 429 (it must age out) nor 401 (tokens)."""
    if result is None or result.interrupted:
        return 0
    return sum(n for status, n in result.statuses.items() if 400 <= status < 500 and status not in (401, 429))


def _plan_now(args: argparse.Namespace, session: Session) -> TopUp:
    now = session.clock.time()
    return _top_up(args, session, session.summary(since=lookback(now), until=now), now)


def _too_early(args: argparse.Namespace, session: Session) -> str | None:
    """Why nothing is sent for an --apply-on two or more days ahead: the review reads the apply day
    and the day before, so traffic sent today would be out of its window."""
    apply_on = getattr(args, "apply_on", None)
    if apply_on is None or args.calls is not None:
        return None
    today = dt.datetime.fromtimestamp(session.clock.time(), dt.UTC).date()
    first = apply_on - dt.timedelta(days=1)
    if first <= today:
        return None
    return (
        f"Nothing sent: applying on {apply_on} (UTC), the review reads {first} and {apply_on}; "
        f"traffic sent today ({today}) would be out of that window. Run graduate on {first}."
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not dt.date(1970, 1, 2) <= day <= dt.date(9999, 12, 30):  # the window is the day and the one before
        raise argparse.ArgumentTypeError(f"not a day anyone can apply on: {text!r}")
    return day


def _top_up(args: argparse.Namespace, session: Session, rows: list[CallRecord], now: float) -> TopUp:
    plan = session.plan
    items = session.item_keys()
    _check_count(args, plan)
    if args.calls is not None:
        return TopUp(
            mode=args.command,
            traffic_day=dt.datetime.fromtimestamp(now, dt.UTC).date(),
            apply_day=None,
            repeats={name: args.calls for name, _ in items},
            per_endpoint=_per_endpoint({name: args.calls for name, _ in items}, items),
            reasons=(f"--calls {args.calls}: every item runs {args.calls} times",),
            blockers=(),
        )
    common: dict[str, Any] = {
        "now": now,
        "items": items,
        "scopes": plan.app.scopes,
        "profile": plan.criteria.profile,
        "overrides": plan.criteria.overrides,
        "retry_broken": getattr(args, "retry_broken", False),
        "risky": _risky(session),
        "facts": session.facts,  # a step's permission may be a rule's, by its body
    }
    try:
        if args.command == "graduate":
            topup = plan_graduate(rows, apply_day=args.apply_on, **common)
        else:
            topup = plan_warmup(rows, daily=args.daily or plan.warmup_daily, **common)
    except ValueError as exc:
        raise InputError(str(exc), key="--apply-on") from exc
    # An item's calls: is its least number of runs whenever it runs at all; never a reason to run.
    fixed = {item.name: item.calls for item in plan.endpoints if item.calls}
    if not any(topup.repeats.get(name, 0) and topup.repeats[name] < n for name, n in fixed.items()):
        return topup
    repeats = {name: max(n, fixed.get(name, 0)) if n else 0 for name, n in topup.repeats.items()}
    return replace(topup, repeats=repeats, per_endpoint=_per_endpoint(repeats, items))


def _check_count(args: argparse.Namespace, plan: Any) -> None:
    """--calls and --daily: 0 (1 for --daily) up to what the plan's strictest group allows in the
    review's two days; a larger count is a typo, and would only make work that can never be sent."""
    most, group = most_calls(step.operation.group for step in plan.steps)
    for flag, value, least in (("--calls", args.calls, 0), ("--daily", getattr(args, "daily", None), 1)):
        if value is not None and not least <= value <= most:
            raise InputError(
                f"expected {least} to {most} (what {group} allows in two days), got {value}", key=flag
            )


def _per_endpoint(repeats: dict[str, int], items: list[tuple[str, tuple[str, ...]]]) -> dict[str, int]:
    from runner.verdict.topup import expected_calls

    return expected_calls(repeats, items)


def _print_schedule(console: Console, session: Session, topup: TopUp) -> None:
    by_group = calls_by_group(topup.per_endpoint)
    console.print(f"[bold]{topup.mode}[/] for {session.plan.app.name}: traffic day {topup.traffic_day} (UTC)")
    for reason in topup.reasons:
        console.print(f"  - {reason}")
    for blocker in topup.blockers:
        console.print(f"  [yellow]! {blocker}")
    for name, times in topup.repeats.items():
        if times:
            console.print(f"  {times:>4} x {name}")
    seconds = session.predicted_seconds(by_group)
    groups = ", ".join(f"{g} {n}" for g, n in sorted(by_group.items(), key=lambda kv: -kv[1]))
    console.print(
        f"{topup.total_calls} requests ({groups or 'none'}); at least {seconds:.0f} s at the rate limits"
    )


def _run_fleet(args: argparse.Namespace, plans: list[Path], console: Console) -> int:
    """Many apps in one process: every plan checked and every session open (sandbox, ledger,
    identity) and every app's lock held before the first request; then each app runs with its own
    limiters and tokens, all at once; then each app's report and one summary table."""
    for plan in plans:  # every plan checked (and consented to) before any sandbox, ledger or login
        options = session_options(args, plan)
        consent(options, load_checked(options))
    with ExitStack() as stack:
        ledger = stack.enter_context(Ledger.open(session_options(args).ledger))  # one connection for all
        sessions = [
            stack.enter_context(open_session(session_options(args, plan), ledger=ledger)) for plan in plans
        ]
        _one_plan_per_app(sessions)
        names = _app_names(sessions)
        if args.dry_run:
            for session in sessions:
                _print_schedule(console, session, _plan_now(args, session))
            return EXIT_MET
        for session in sessions:
            stack.enter_context(
                run_lock(
                    session.target.ledger_server,
                    session.target.credentials.client_id,
                    ledger=session.ledger,
                    wait=args.wait,
                    notify=console.print,
                )
            )
        early = {i: why for i, s in enumerate(sessions) if (why := _too_early(args, s))}
        for index, why in early.items():
            console.print(f"{names[index]}: {why}", soft_wrap=True)
        if sum(session.target.sandbox is not None for session in sessions) > 1:
            # Each embedded sandbox serves from its own thread: at the default 5 ms GIL switch
            # interval every request would queue behind the other threads' slices.
            sys.setswitchinterval(0.0005)
        running = [i for i in range(len(sessions)) if i not in early]
        results, sent, failures = anyio.run(_send_fleet, args, sessions, running, console)
        rows = []
        outputs = report_names(plans)
        for name, session, result, calls, report_name in zip(
            names, sessions, results, sent, outputs, strict=True
        ):
            verdict = session.verdict()
            if not args.quiet:
                console.rule(name)
                if result is not None:
                    _print_run(console, result)
            # Each app's full report (files named after its plan); with -q, only the files and the table.
            shown = Console(quiet=True) if args.quiet else console
            _say(write_reports(verdict, report_request(args, report_name), shown))
            if result is not None and result.gave_up and args.quiet:
                console.print(f"{name}: {result.gave_up}", soft_wrap=True)
            rows.append(FleetRow(name, verdict, calls))
        fleet_report.render(rows, console)
        for index, failure in failures.items():
            print(f"rcgrad: {names[index]}: {redact(str(failure))}", file=sys.stderr)
        if failures:  # a credentials failure (3) says more than "not met" (1)
            return max(failure.exit_code for failure in failures.values())
        return EXIT_MET if fleet_report.all_met(rows) else EXIT_NOT_MET


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


def _app_names(sessions: list[Session]) -> list[str]:
    """The app names, made unique with the plan's file name when two plans share one."""
    names = [s.plan.app.name for s in sessions]
    return [
        n if names.count(n) == 1 else f"{n} ({s.plan.path.name})"
        for n, s in zip(names, sessions, strict=True)
    ]


async def _send_fleet(
    args: argparse.Namespace, sessions: list[Session], running: list[int], console: Console
) -> tuple[list[RunResult | None], list[int], dict[int, RcgradError]]:
    """Every app's traffic at once; Ctrl-C or SIGTERM stops them all (teardown steps still run).
    An app whose login fails (exit 3) sends nothing and is reported; the other apps go on. Returns
    each app's last pass, the requests it sent over all its passes, and the failures."""
    results: list[RunResult | None] = [None] * len(sessions)
    sent = [0] * len(sessions)
    failures: dict[int, RcgradError] = {}
    engines: list[Engine] = []

    async def one(index: int) -> None:
        async def run_engine(engine: Engine, jobs: list[Job]) -> RunResult:
            engines.append(engine)
            try:
                return await engine.run(jobs)
            finally:
                results[index] = engine.result
                sent[index] += engine.result.sent

        try:
            results[index] = await _passes(
                args, sessions[index], console, run_engine=run_engine, progress=False
            )
        except RcgradError as exc:
            failures[index] = exc

    def interrupted() -> None:
        for engine in engines:
            engine.result.interrupted = True

    async with anyio.create_task_group() as tg:
        # The apps run inside this scope too: a signal stops them all.
        _watch_signals(tg, console, "stopping every app; teardowns still run.", interrupted)
        async with anyio.create_task_group() as apps:
            for index in running:
                apps.start_soon(one, index)
        tg.cancel_scope.cancel()  # the apps are done: stop the watcher
    return results, sent, failures


async def _send(
    args: argparse.Namespace,
    session: Session,
    topup: TopUp,
    give_up: GiveUp,
    *,
    console: Console,
    run_engine: RunEngine | None = None,
    progress: bool = True,
) -> RunResult | None:
    if topup.is_empty:
        if not args.quiet and progress:
            console.print("Nothing to send: the ledger already covers the window.")
        return None
    by_group = calls_by_group(topup.per_endpoint)
    now = session.clock.time()
    rows = session.summary(since=lookback(now), until=now)
    responses = sum(r.count for r in rows if not r.is_oauth and r.status)
    errors = sum(r.count for r in rows if not r.is_oauth and r.counts_as_4xx)
    budget = ErrorBudget(
        threshold=session.rules.max_4xx_ratio,
        planned=topup.total_calls,
        prior_responses=responses,
        prior_4xx=errors,
        proven_before=frozenset(r.endpoint for r in rows if not r.is_oauth and 200 <= r.status < 300),
        prior_successes=sum(r.count for r in rows if not r.is_oauth and 200 <= r.status < 300),
        # --calls runs every item as told; the top-up's passes are what bring a cushion first.
        risky=frozenset() if args.calls is not None else _risky(session),
    )
    async with session.tokens() as tokens:
        _heed_grants(console, session, tokens.current)
        with GroupProgress(
            by_group, items=topup.repeats, console=console, enabled=progress and not args.quiet
        ) as bars:
            engine = Engine(
                base_url=session.target.url,
                tokens=tokens,
                limits=session.limits(),
                budget=budget,
                on_intent=session.intend,  # the ledger's row, written before each call goes out
                on_record=bars.advance,
                on_item=bars.item_done,
                variables={**session.plan.vars, **session.target.variables},
                clock=session.clock,
                timeout=args.timeout,
                give_up=give_up,
            )
            jobs = session.jobs(topup.repeats)
            if run_engine is not None:
                return await run_engine(engine, jobs)
            return await _until_signalled(engine, jobs, console)


def _heed_grants(console: Console, session: Session, stored: Any) -> None:
    """The token's word on permissions, before any traffic: refuse what would be 403s, and say
    which granted permissions the plan leaves unused (the review would fail them)."""
    granted = parse_scope(getattr(stored, "scope", None))
    if not granted:
        return  # the server listed none: nothing to go by
    gap = session.adopt_grants(granted)
    app = session.plan.app
    if gap.ungranted:
        scope = gap.ungranted[0]
        raise InputError(
            f"{scope} is in the plan but the token does not grant it: every call under it would be a 403. "
            "Add the permission to the app in the Developer Console, or remove it from the plan",
            file=str(session.plan.path),
            line=app.scope_lines.get(scope),
            key="app.scopes",
        )
    for scope in gap.unplanned:
        console.print(
            f"[yellow]warning: {scope}: {GRANTED_NOT_PLANNED}; {_how_to_add(scope)}[/]", soft_wrap=True
        )


def _how_to_add(scope: str) -> str:
    from runner.plan.init import draft_plan

    if scope in UNMAPPABLE:
        return f"no REST call exercises it ({UNMAPPABLE[scope]}): remove it from the app in the Developer Console"
    main = draft_plan([scope]).items[0].main
    return (
        f"scopes_exercised will fail. Add it to app.scopes with a call such as {main.method} {main.path} "
        f"(`rcgrad plan init --scopes {scope}` writes one), or remove it from the app in the Developer Console"
    )


async def _until_signalled(engine: Engine, jobs: list[Job], console: Console) -> RunResult:
    """Run the engine; Ctrl-C or SIGTERM cancels it, which still lets every teardown step run."""
    result: RunResult | None = None
    async with anyio.create_task_group() as tg:

        def interrupted() -> None:
            engine.result.interrupted = True

        _watch_signals(
            tg,
            console,
            "stopping. Teardown steps still run, and may wait for a rate-limit slot to delete what was"
            " created; press Ctrl-C again to abandon them.",
            interrupted,
        )

        async def work() -> None:
            nonlocal result
            result = await engine.run(jobs)
            tg.cancel_scope.cancel()

        tg.start_soon(work)
    return result if result is not None else engine.result


def _watch_signals(
    tg: anyio.abc.TaskGroup, console: Console, message: str, interrupted: Callable[[], None]
) -> None:
    """On Ctrl-C or SIGTERM: say ``message``, mark the run interrupted and cancel ``tg``'s scope,
    which still lets every teardown step run (they are shielded)."""

    async def watch() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                console.print(f"[yellow]{signal.Signals(signum).name}: {message}[/]")
                interrupted()
                tg.cancel_scope.cancel()
                return

    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        tg.start_soon(watch)


def _say(problems: list[str]) -> None:
    for problem in problems:
        print(f"rcgrad: {problem}", file=sys.stderr)


def _print_run(console: Console, result: RunResult) -> None:
    console.print(
        f"run {result.run_id}: {result.sent} requests, "
        + ", ".join(f"{status or 'no response'}: {n}" for status, n in sorted(result.statuses.items()))
    )
    for endpoint, why in result.quarantined.items():
        console.print(f"[yellow]quarantined[/] {endpoint}: {why}")
    for why, n in result.skipped.items():
        console.print(f"[yellow]skipped[/] {n} x {why}")
    if result.stopped:
        console.print(f"[red]stopped[/]: {result.stopped}")
    if result.gave_up:
        console.print(f"[red]{result.gave_up}[/]", soft_wrap=True)
    if result.interrupted:
        console.print("[yellow]interrupted[/]: every call sent so far is in the ledger; run again to finish")
