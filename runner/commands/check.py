"""``rcgrad check PLAN``: the plan judged offline. Exit 0 when fine (warnings allowed), 2 on errors.

Plain lines (colour on a terminal only, none under ``NO_COLOR``): ``check`` is the command people
run most, so it starts without a console library. It must never open a network connection or read
credentials, and never read a user's text as markup.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from runner import redact
from runner.errors import EXIT_BAD_INPUT, EXIT_MET
from runner.plan.check import ERROR, check_plan, human_seconds
from runner.plan.loader import load_plan


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file, e.g. plans/myapp.yaml")


def run(args: argparse.Namespace) -> int:
    plan = load_plan(Path(args.plan), server_override=args.server)
    report = check_plan(plan)
    if not args.quiet:
        _say(f"{redact.redact(plan.app.name)}: {len(report.endpoints)} steps, server {plan.server}", "bold")
        # One line per step, its path whole (CI logs are 80 columns wide), then what it costs.
        for row in report.endpoints:
            _say(f"  {redact.redact(row.key)}")
            named = f"{redact.redact(row.name)}: " if row.name != row.key else ""
            writes = ", writes" if row.write else ""
            _say(f"      {named}{row.permission or 'no permission'}, {row.group}{writes}")
        groups = ", ".join(f"{g} {n}" for g, n in sorted(report.requests_by_group.items()))
        total = sum(report.requests_by_group.values())
        wait = (
            f"at least {human_seconds(report.least_seconds)} at the rate limits"
            if report.least_seconds >= 1
            else "no waiting: each group's share fits in one rate window"
        )
        _say(f"{total} requests ({groups}): {wait}; {report.assumption}")
    for finding in report.findings:
        _say(redact.redact(str(finding)), "red" if finding.severity == ERROR else "yellow")
    if report.errors:
        count = len(report.errors)
        _say(f"{count} problem{'s' if count > 1 else ''}: no request would be sent", "red")
        return EXIT_BAD_INPUT
    _say("plan OK", "green")
    return EXIT_MET


_COLOURS = {"bold": "1", "red": "31", "yellow": "33", "green": "32"}


def _say(text: str, style: str | None = None) -> None:
    """One whole line; coloured only on a terminal, and never under NO_COLOR."""
    if style and sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        text = f"\x1b[{_COLOURS[style]}m{text}\x1b[0m"
    print(text)
