"""The flags several commands share, and the small frozen options objects the core takes from them.

Only ``runner.commands`` reads ``argparse``: everything below it (the session, the reports) takes
the dataclasses built here. This module must never open a file, a ledger or a connection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from runner.errors import InputError
from runner.report.write import STEP_SUMMARY_VAR, ReportRequest
from runner.run.session import SessionOptions


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="write the verdict as JSON")
    parser.add_argument("--junit", metavar="PATH", help="write one JUnit testcase per criterion")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")


def add_transport_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept a plain-http server that is not loopback (credentials travel in clear text)",
    )


def add_ledger_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="PATH|URL",
        help="the ledger: a SQLite file or a postgresql:// URL (default: $RCGRAD_LEDGER, else"
        " $RCGRAD_HOME/ledger.sqlite3)",
    )


def add_plans_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "plan",
        metavar="PLAN",
        nargs="+",
        help="the plan file, e.g. plans/myapp.yaml; several (plans/*.yaml) run as a fleet in one process",
    )


def plan_paths(args: argparse.Namespace) -> list[Path]:
    value = args.plan
    return [Path(p) for p in (value if isinstance(value, list) else [value])]


def report_names(plans: list[Path]) -> list[str]:
    """Each plan's name in a fleet's report files: its file name (``crm``), or, where two plans
    share one (``crm.yaml`` and ``eu/crm.yaml``), their paths (``crm``, ``eu-crm``); refused when
    even those meet, before anything is sent, since one report would silently overwrite the other."""
    stems = [plan.stem for plan in plans]
    names = [
        stem if stems.count(stem) == 1 else "-".join((*plan.parent.parts, stem)).strip("/-.") or stem
        for stem, plan in zip(stems, plans, strict=True)
    ]
    for index, name in enumerate(names):
        if names.index(name) != index:
            other = plans[names.index(name)]
            raise InputError(
                f"{plans[index]} and {other} would write the same report files ({name}); rename one",
                key="PLAN",
            )
    return names


def report_request(args: argparse.Namespace, name: str | None = None) -> ReportRequest:
    """The reports the user asked for; for one app of a fleet, each file path gets the plan's
    report name (``report_names``) before its suffix (``verdict.json`` -> ``verdict.crm.json``)."""

    def path(flag: str) -> Path | None:
        value = getattr(args, flag, None)
        if not value:
            return None
        chosen = Path(value)
        return chosen if name is None else chosen.with_name(f"{chosen.stem}.{name}{chosen.suffix}")

    return ReportRequest(
        quiet=bool(getattr(args, "quiet", False)),
        json=path("json"),
        junit=path("junit"),
        html=path("html"),
        # GitHub Actions' job summary: set by the runner, appended to by every step that writes one.
        step_summary=Path(os.environ[STEP_SUMMARY_VAR]) if os.environ.get(STEP_SUMMARY_VAR) else None,
    )


def session_options(args: argparse.Namespace, plan: Path | None = None) -> SessionOptions:
    return SessionOptions(
        plan=plan or plan_paths(args)[0],
        server=getattr(args, "server", None),
        allow_production=bool(getattr(args, "allow_production", False)),
        allow_production_writes=bool(getattr(args, "allow_production_writes", False)),
        allow_insecure_http=bool(getattr(args, "allow_insecure_http", False)),
        ledger=getattr(args, "ledger", None) or None,
    )


def add_apply_on_flag(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--apply-on", metavar="DATE", type=apply_day, help=help_text)


def apply_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not dt.date(1970, 1, 2) <= day <= dt.date(9999, 12, 30):  # the window is the day and the one before
        raise argparse.ArgumentTypeError(f"not a day anyone can apply on: {text!r}")
    return day
