"""Writes a verdict where the user asked: the console (full or one line) and the report files.

Every output is checked before the first request (``check_outputs``): a run must never send its
traffic and then find that ``--json`` names a folder, a missing folder or ``/proc/version``. A
write that still fails afterwards (a full disk) is one line, and the earlier file stays whole:
files are replaced atomically. It takes a ``ReportRequest`` built by the command line and never
reads flags or the environment itself; every text passes the redactor, so it must never add a
secret to what it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from runner.fileio import append_durably, atomic_write, check_writable
from runner.redact import redact
from runner.report import console as console_report
from runner.report import html as html_report
from runner.report import json as json_report
from runner.report import junit as junit_report
from runner.report import markdown as markdown_report
from runner.verdict.criteria import Verdict

STEP_SUMMARY_VAR = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True, slots=True)
class ReportRequest:
    quiet: bool = False  # one line (CRITERIA MET / NOT MET) instead of the full table
    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    step_summary: Path | None = None  # appended to, as CI job summaries are ($GITHUB_STEP_SUMMARY)

    def files(self) -> list[tuple[str, Path, Callable[[Verdict], str]]]:
        """(what names it, path, renderer) for each report file asked for."""
        chosen: list[tuple[str, Path | None, Callable[[Verdict], str]]] = [
            ("--json", self.json, json_report.render),
            ("--junit", self.junit, junit_report.render),
            ("--html", self.html, html_report.render),
            (STEP_SUMMARY_VAR, self.step_summary, markdown_report.render),
        ]
        return [(what, path, render) for what, path, render in chosen if path is not None]


def check_outputs(request: ReportRequest) -> None:
    """Every report file can be written: ``InputError`` (exit 2) before anything is sent."""
    for what, path, _ in request.files():
        check_writable(path, what)


def write_reports(verdict: Verdict, request: ReportRequest, console: Console) -> list[str]:
    """The console report and every file; returns one line per file that could not be written."""
    if not request.quiet:
        console_report.render(verdict, console)
    else:
        console.print("CRITERIA MET" if verdict.met else "CRITERIA NOT MET")
    problems = []
    for what, path, render in request.files():
        text = redact(render(verdict))
        try:
            if what == STEP_SUMMARY_VAR:
                append_durably(path, text)  # GitHub gathers every step's summary in one file
            else:
                atomic_write(path, text, mode=0o644)
        except OSError as exc:
            problems.append(
                f"{what}: could not write {path} ({exc.strerror or type(exc).__name__});"
                " an earlier file there is unchanged"
            )
    return problems
