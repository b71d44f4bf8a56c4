"""``rcgrad check PLAN``: the plan judged offline. Exit 0 when fine (warnings allowed), 2 on errors.

It must never open a network connection or read credentials.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from runner import redact
from runner.errors import EXIT_BAD_INPUT, EXIT_MET
from runner.plan.check import ERROR, check_plan, human_seconds
from runner.plan.loader import load_plan


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file, e.g. plans/myapp.yaml")


def run(args: argparse.Namespace) -> int:
    plan = load_plan(Path(args.plan), server_override=args.server)
    report = check_plan(plan)
    console = Console(highlight=False)
    if not args.quiet:
        console.print(
            f"[bold]{redact.redact(plan.app.name)}[/]: {len(report.endpoints)} steps, server {plan.server}"
        )
        # One line per step, its path whole (CI logs are 80 columns wide), then what it costs.
        for row in report.endpoints:
            console.print(f"  {redact.redact(row.key)}", markup=False, soft_wrap=True)
            named = f"{redact.redact(row.name)}: " if row.name != row.key else ""
            writes = ", writes" if row.write else ""
            console.print(
                f"      {named}{row.permission or 'no permission'}, {row.group}{writes}",
                markup=False,
                soft_wrap=True,
            )
        groups = ", ".join(f"{g} {n}" for g, n in sorted(report.requests_by_group.items()))
        total = sum(report.requests_by_group.values())
        wait = (
            f"at least {human_seconds(report.least_seconds)} at the rate limits"
            if report.least_seconds >= 1
            else "no waiting: each group's share fits in one rate window"
        )
        console.print(f"{total} requests ({groups}): {wait}; {report.assumption}", soft_wrap=True)
    for finding in report.findings:
        style = "red" if finding.severity == ERROR else "yellow"
        console.print(f"[{style}]{redact.redact(str(finding))}[/]", soft_wrap=True)
    if report.errors:
        count = len(report.errors)
        console.print(f"[red]{count} problem{'s' if count > 1 else ''}: no request would be sent[/]")
        return EXIT_BAD_INPUT
    console.print("[green]plan OK[/]")
    return EXIT_MET
