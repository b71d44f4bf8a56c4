"""Writes a verdict where the user asked: the console (full or one line) and the report files.

It takes a ``ReportRequest`` built by the command line and never reads flags or the environment
itself; like every renderer, it must never add a secret to what it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from runner.report import console as console_report
from runner.report import html as html_report
from runner.report import json as json_report
from runner.report import junit as junit_report
from runner.report import markdown as markdown_report
from runner.verdict.criteria import Verdict


@dataclass(frozen=True, slots=True)
class ReportRequest:
    quiet: bool = False  # one line (CRITERIA MET / NOT MET) instead of the full table
    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    step_summary: Path | None = None  # appended to, as CI job summaries are ($GITHUB_STEP_SUMMARY)


def write_reports(verdict: Verdict, request: ReportRequest, console: Console) -> None:
    if not request.quiet:
        console_report.render(verdict, console)
    else:
        console.print("CRITERIA MET" if verdict.met else "CRITERIA NOT MET")
    for path, render in (
        (request.json, json_report.render),
        (request.junit, junit_report.render),
        (request.html, html_report.render),
    ):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(verdict), encoding="utf-8")
    if request.step_summary:
        with request.step_summary.open("a", encoding="utf-8") as summary:
            summary.write(markdown_report.render(verdict))
