"""``rcgrad status PLAN``: the verdict from the ledger alone.

It must never send a request: no login, no API call. For ``server: local`` it reads the rehearsal
partition of the ledger; the sandbox is not started.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from runner.commands.options import add_ledger_flag, add_report_flags, report_request, session_options
from runner.errors import EXIT_MET, EXIT_NOT_MET
from runner.report.write import write_reports
from runner.traffic.session import open_ledger_view


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file, e.g. plans/myapp.yaml")
    add_ledger_flag(parser)
    add_report_flags(parser)


def run(args: argparse.Namespace) -> int:
    with open_ledger_view(session_options(args)) as view:
        verdict = view.verdict()
    write_reports(verdict, report_request(args), Console())
    return EXIT_MET if verdict.met else EXIT_NOT_MET
