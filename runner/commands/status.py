"""``rcgrad status PLAN``: the verdict from the ledger alone.

It must never send a request: no login, no API call. For ``server: local`` it reads the rehearsal
partition of the ledger; the sandbox is not started.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from runner.clock import SystemClock
from runner.errors import EXIT_MET, EXIT_NOT_MET
from runner.traffic.session import (
    add_ledger_flag,
    add_report_flags,
    load_checked,
    partition_for,
    plan_endpoint_keys,
    write_reports,
)
from runner.verdict.criteria import evaluate, lookback
from runner.verdict.ledger import Ledger


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file, e.g. plans/myapp.yaml")
    add_ledger_flag(parser)
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    plan = load_checked(args)
    now = SystemClock().time()
    with Ledger.open(args.ledger) as ledger:
        key = partition_for(ledger, plan)
        rows = ledger.summary(key, lookback(now), until=now)
    verdict = evaluate(
        rows,
        now=now,
        profile=plan.criteria.profile,
        overrides=plan.criteria.overrides,
        scopes=plan.app.scopes,
        endpoints=plan_endpoint_keys(plan),
        description=plan.app.description,
    )
    write_reports(args, verdict, Console())
    return EXIT_MET if verdict.met else EXIT_NOT_MET
