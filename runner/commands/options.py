"""The flags several commands share, and the small frozen options objects the core takes from them.

Only ``runner.commands`` reads ``argparse``: everything below it (the session, the reports) takes
the dataclasses built here. This module must never open a file, a ledger or a connection.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from runner.report.write import ReportRequest
from runner.traffic.session import SessionOptions


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="write the verdict as JSON")
    parser.add_argument("--junit", metavar="PATH", help="write one JUnit testcase per criterion")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")


def add_ledger_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="PATH|URL",
        help="the ledger: a SQLite file or a postgresql:// URL (default: $RCGRAD_LEDGER, else"
        " $RCGRAD_HOME/ledger.sqlite3)",
    )


def report_request(args: argparse.Namespace) -> ReportRequest:
    def path(flag: str) -> Path | None:
        value = getattr(args, flag, None)
        return Path(value) if value else None

    return ReportRequest(
        quiet=bool(getattr(args, "quiet", False)),
        json=path("json"),
        junit=path("junit"),
        html=path("html"),
    )


def session_options(args: argparse.Namespace) -> SessionOptions:
    return SessionOptions(
        plan=Path(args.plan),
        server=getattr(args, "server", None),
        allow_production=bool(getattr(args, "allow_production", False)),
        allow_production_writes=bool(getattr(args, "allow_production_writes", False)),
        ledger=getattr(args, "ledger", None) or None,
    )
