"""``rcgrad check PLAN``: the plan judged offline. Exit 0 when fine (warnings allowed), 2 on errors.

It must never open a network connection or read credentials.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

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
        title = f"{plan.app.name}: {len(report.endpoints)} steps, server {plan.server}"
        table = Table(title=redact.redact(title))
        for column in ("endpoint (under /restapi/v1.0)", "permission", "group", "writes"):
            table.add_column(column)
        for row in report.endpoints:
            label = row.key.replace("/restapi/v1.0", "", 1)
            if row.name != row.key:
                label += f"\n[dim]{row.name}[/]"
            table.add_row(redact.redact(label), row.permission or "-", row.group, "yes" if row.write else "")
        console.print(table)
        groups = ", ".join(f"{g} {n}" for g, n in sorted(report.requests_by_group.items()))
        console.print(
            f"least wall time at the rate limits: {human_seconds(report.least_seconds)} "
            f"for {sum(report.requests_by_group.values())} requests ({groups}), {report.assumption}"
        )
    for finding in report.findings:
        style = "red" if finding.severity == ERROR else "yellow"
        console.print(f"[{style}]{redact.redact(str(finding))}[/]", soft_wrap=True)
    if report.errors:
        console.print(f"[red]{len(report.errors)} problems: no request would be sent[/]")
        return EXIT_BAD_INPUT
    console.print("[green]plan OK[/]")
    return EXIT_MET
