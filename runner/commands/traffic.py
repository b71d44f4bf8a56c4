"""``rcgrad graduate PLAN...`` and ``rcgrad warmup PLAN...``: send what the window still needs, then judge it.

This module reads the flags, builds the options the run wing takes (``SessionOptions``,
``RunOptions``), picks the event handlers (console lines, progress, reports) and maps the verdict to
an exit code; ``runner.run.passes`` and ``runner.run.fleet`` do the work. It must never send
traffic for a plan with errors, and never print a secret.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from rich.console import Console

from runner.commands.alerting import Alerts, Hook, add_notify_flags
from runner.commands.options import (
    add_apply_on_flag,
    add_ledger_flag,
    add_plans_argument,
    add_report_flags,
    add_transport_flags,
    plan_paths,
    report_names,
    report_request,
    session_options,
)
from runner.errors import EXIT_MET, EXIT_NOT_MET, CredentialsError, InputError
from runner.ledger.ledger import Ledger
from runner.redact import redact
from runner.report import fleet as fleet_report
from runner.report.fleet import FleetRow
from runner.report.live import ConsoleEvents, schedule_lines
from runner.report.progress import FleetLines, GroupBars
from runner.report.write import check_outputs, write_reports
from runner.run import events
from runner.run.fleet import FleetApp, run_fleet
from runner.run.passes import RunOptions, plan_now, planned, run_app
from runner.run.session import Session, open_session


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    add_plans_argument(parser)
    if name == "graduate":
        add_apply_on_flag(
            parser, "the UTC day you will apply (default: tomorrow); today's traffic must carry it"
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
    parser.add_argument(
        "--skip-locked",
        action="store_true",
        help="skip (and name) an app whose run another process or machine holds, instead of exiting 1:"
        " several machines running the same fleet run each app once",
    )
    add_ledger_flag(parser)
    add_transport_flags(parser)
    add_report_flags(parser)
    add_notify_flags(parser)


def run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        mode=args.command,
        apply_on=getattr(args, "apply_on", None),
        daily=getattr(args, "daily", None),
        calls=args.calls,
        retry_broken=args.retry_broken,
        timeout=args.timeout,
        deadline=args.deadline,
        wait=args.wait,
        skip_locked=args.skip_locked,
    )


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=False, quiet=False)
    plans = plan_paths(args)
    alerts = Alerts(args)  # a malformed --notify or RCGRAD_NOTIFY: exit 2 before anything is opened
    try:
        names = report_names(plans) if len(plans) > 1 else [None]
        for name in names:  # every report path, before any plan is opened or anything sent
            check_outputs(report_request(args, name))
        options = run_options(args)
        if options.wait and options.skip_locked:
            raise InputError(
                "--wait and --skip-locked ask for opposite things; choose one", key="--skip-locked"
            )
        if len(plans) > 1:
            return _fleet(args, options, plans, console, alerts)
        try:
            return _one(args, options, console, alerts)
        except CredentialsError as exc:  # before the run had a session: an RC_* variable missing
            alerts.failed_to_open(session_options(args), exc)
            raise
    except InputError as exc:  # nothing was sent; unattended, the alert is how anyone hears of it
        alerts.bad_input([session_options(args, plan) for plan in plans], exc)
        raise


def _one(args: argparse.Namespace, options: RunOptions, console: Console, alerts: Alerts) -> int:
    talk = ConsoleEvents(console, quiet=args.quiet)
    bars = GroupBars(console, enabled=not args.quiet)
    with open_session(session_options(args)) as session:
        hook = alerts.hook_for(session.plan)
        if args.dry_run:
            _show_schedule(console, options, session)
            return EXIT_MET
        alerts.check_reachable([hook])  # before any traffic
        try:
            judged = run_app(options, session, events.Broadcast(bars, talk))
        except CredentialsError as exc:
            subject = session.subject()
            alerts.failed(
                hook,
                exc,
                app=session.plan.app.name,
                server=subject.server,
                client_id=subject.client_id,
                plan=str(session.plan.path),
                ledger=session.ledger,
                key=session.key,
            )
            raise
        finally:
            bars.close()
        if judged is None:  # --skip-locked: another run holds the app; the note said who
            return EXIT_MET
        _say(write_reports(judged.verdict, report_request(args), console))
        talk.judged(judged, str(session.plan.path))
        alerts.judged(hook, judged, plan=str(session.plan.path), ledger=session.ledger, key=session.key)
        return EXIT_MET if judged.verdict.met else EXIT_NOT_MET


def _show_schedule(console: Console, options: RunOptions, session: Session) -> None:
    for line in schedule_lines(planned(session, plan_now(options, session))):
        console.print(line, soft_wrap=True, highlight=False, markup=False)


def _fleet(
    args: argparse.Namespace, options: RunOptions, plans: list[Path], console: Console, alerts: Alerts
) -> int:
    """Many apps in one process; each app's report, then one table. Exit 0 only if every app met
    (3 if an app's login was rejected: that app sent nothing, the others went on)."""
    outputs = report_names(plans)
    talk = ConsoleEvents(console, quiet=args.quiet, fleet=True)
    lines = FleetLines(console, enabled=not args.quiet, apps=len(plans))
    hooks: dict[Path, Hook | None] = {}

    def ready(sessions: list[Session]) -> None:  # every hook reachable, before any traffic
        hooks.update((s.plan.path, alerts.hook_for(s.plan)) for s in sessions)
        alerts.check_reachable(hooks.values())

    try:
        apps = run_fleet(
            [session_options(args, plan) for plan in plans],
            options,
            events.Broadcast(lines, talk),
            dry_run=(lambda session: _show_schedule(console, options, session)) if args.dry_run else None,
            ready=ready,
        )
    finally:
        lines.close()
    if args.dry_run:
        return EXIT_MET
    rows = []
    for app, report_name, plan in zip(apps, outputs, plans, strict=True):
        if app.skipped is not None:  # another machine runs it: its verdict is that run's to give
            rows.append(FleetRow(app.name, app.judged.verdict, None, skipped=app.skipped))
            continue
        if not args.quiet:
            fleet_report.heading(app.name, console)
        # Each app's full report (files named after its plan); with -q, only the files and the table.
        shown = Console(quiet=True) if args.quiet else console
        _say(write_reports(app.judged.verdict, report_request(args, report_name), shown))
        talk.judged(app.judged, str(plan))
        rows.append(FleetRow(app.name, app.judged.verdict, app.judged.sent))
    fleet_report.render(rows, console)
    failures = [app for app in apps if app.failure is not None]
    for app in failures:
        print(f"rcgrad: {app.name}: {redact(str(app.failure))}", file=sys.stderr)
    if any(hooks.values()):
        _alert_fleet(args, apps, hooks, alerts)
    if failures:  # a credentials failure (3) says more than "not met" (1)
        return max(app.failure.exit_code for app in failures if app.failure is not None)
    return EXIT_MET if fleet_report.all_met(rows) else EXIT_NOT_MET


def _alert_fleet(
    args: argparse.Namespace, apps: list[FleetApp], hooks: dict[Path, Hook | None], alerts: Alerts
) -> None:
    """Each app's alert, after the table, on one ledger connection; many to one hook as a digest."""
    with Ledger.open(session_options(args).ledger) as ledger, alerts.together(len(apps)):
        for app in apps:
            if app.plan is None or app.key is None or app.skipped is not None:
                continue
            hook, plan = hooks.get(app.plan.path), str(app.plan.path)
            if isinstance(app.failure, CredentialsError):
                subject = app.judged.verdict.subject
                alerts.failed(
                    hook,
                    app.failure,
                    app=app.name,
                    server=subject.server if subject else app.plan.server,
                    client_id=subject.client_id if subject else "",
                    plan=plan,
                    ledger=ledger,
                    key=app.key,
                )
            else:
                alerts.judged(hook, app.judged, plan=plan, ledger=ledger, key=app.key)


def _say(problems: list[str]) -> None:
    for problem in problems:
        print(f"rcgrad: {problem}", file=sys.stderr)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value
