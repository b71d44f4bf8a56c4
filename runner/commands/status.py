"""``rcgrad status PLAN...``: the verdict from the ledger alone (several plans: one table for the fleet).

It must never send a request: no login, no API call. For ``server: local`` it reads the rehearsal
partition of the ledger; the sandbox is not started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from runner.commands.alerting import Alerts, add_notify_flags
from runner.commands.options import (
    add_apply_on_flag,
    add_ledger_flag,
    add_plans_argument,
    add_report_flags,
    plan_paths,
    report_names,
    report_request,
    session_options,
)
from runner.errors import EXIT_MET, EXIT_NOT_MET, CredentialsError, InputError
from runner.ledger.ledger import Ledger
from runner.report import fleet as fleet_report
from runner.report.fleet import FleetRow
from runner.report.live import ConsoleEvents
from runner.report.write import write_reports
from runner.run.events import Judged
from runner.run.session import open_ledger_view
from runner.verdict.criteria import Verdict, utc_day


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    add_plans_argument(parser)
    add_apply_on_flag(
        parser,
        "judge an application on this UTC day, today (the default) or tomorrow, by the traffic sent so far",
    )
    add_ledger_flag(parser)
    add_report_flags(parser)
    add_notify_flags(parser)


def run(args: argparse.Namespace) -> int:
    plans = plan_paths(args)
    today = utc_day(time.time())
    if args.apply_on is not None and not today <= args.apply_on <= today + dt.timedelta(days=1):
        # A past day needs that day's own window (the report's history shows it); a day after
        # tomorrow is judged on days with no traffic yet, so it could only ever say not met.
        raise InputError(
            f"status judges an application today or tomorrow, not on {args.apply_on}"
            " (rcgrad report --html shows the days before)",
            key="--apply-on",
        )
    alerts = Alerts(args)
    try:
        if len(plans) > 1:
            return _fleet(args, plans, alerts)
        console = Console()
        try:
            with open_ledger_view(session_options(args)) as view:
                hook = alerts.hook_for(view.plan)
                alerts.check_reachable([hook])
                verdict = view.verdict(args.apply_on)
                _say(write_reports(verdict, report_request(args), console))
                judged = _next(console, args, verdict, view.plan.app.name, str(view.plan.path))
                alerts.judged(hook, judged, plan=str(view.plan.path), ledger=view.ledger, key=view.key)
        except CredentialsError as exc:  # no client id to find the partition by
            alerts.failed_to_open(session_options(args), exc)
            raise
    except InputError as exc:  # a plan that broke: unattended, the alert is how anyone hears of it
        alerts.bad_input([session_options(args, plan) for plan in plans], exc)
        raise
    return EXIT_MET if verdict.met else EXIT_NOT_MET


def _next(console: Console, args: argparse.Namespace, verdict: Verdict, app: str, plan: str) -> Judged:
    """The one next step, as a run ends with, for an application on the day judged."""
    talk = ConsoleEvents(console, quiet=args.quiet)
    judged = Judged(app, verdict, verdict.judged_day)
    talk.judged(judged, plan)
    return judged


def _say(problems: list[str]) -> None:
    for problem in problems:
        print(f"rcgrad: {problem}", file=sys.stderr)


def _fleet(args: argparse.Namespace, plans: list[Path], alerts: Alerts) -> int:
    """Every plan's verdict from the ledger, each app's report, then one summary table."""
    console = Console()
    with ExitStack() as stack:
        ledger = stack.enter_context(Ledger.open(session_options(args).ledger))  # one connection for all
        views = [
            stack.enter_context(open_ledger_view(session_options(args, plan), ledger=ledger))
            for plan in plans
        ]
        hooks = [alerts.hook_for(view.plan) for view in views]
        alerts.check_reachable(hooks)
        rows, judgements = [], []
        for view, report_name in zip(views, report_names(plans), strict=True):
            verdict = view.verdict(args.apply_on)
            if not args.quiet:
                fleet_report.heading(view.plan.app.name, console)
            _say(
                write_reports(
                    verdict,
                    report_request(args, report_name),
                    Console(quiet=True) if args.quiet else console,
                )
            )
            judgements.append(_next(console, args, verdict, view.plan.app.name, str(view.plan.path)))
            rows.append(FleetRow(view.plan.app.name, verdict))
        fleet_report.render(rows, console)
        with alerts.together(len(views)):  # many to one hook: one digest
            for view, hook, judged in zip(views, hooks, judgements, strict=True):
                alerts.judged(hook, judged, plan=str(view.plan.path), ledger=view.ledger, key=view.key)
    return EXIT_MET if fleet_report.all_met(rows) else EXIT_NOT_MET
