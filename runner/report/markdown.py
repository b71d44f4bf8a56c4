"""The verdict as a short Markdown summary, for a CI job's page (``$GITHUB_STEP_SUMMARY``).

Headline, what was judged, one row per criterion, the endpoints below the bar. Must never add
anything that is not in the verdict.
"""

from __future__ import annotations

from runner.report.console import format_number
from runner.verdict.criteria import Verdict, iso


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(verdict: Verdict) -> str:
    headline = "CRITERIA MET" if verdict.met else "CRITERIA NOT MET"
    lines = [f"### rcgrad: {headline}", ""]
    if verdict.subject is not None:
        for label, value in verdict.subject.lines():
            lines.append(f"- **{label}**: {_cell(value)}")
    lines += [
        f"- **for an application on**: {verdict.judged_day} (UTC), judged at {iso(verdict.now)}",
        "",
        "| criterion | value | threshold | margin | |",
    ]
    lines.append("|---|---:|---:|---:|---|")
    for c in verdict.criteria:
        mark = "FAIL" if not c.met else ("confirm" if c.needs_human else "ok")
        lines.append(
            f"| {c.name} | {format_number(c.value)} | {format_number(c.threshold)}"
            f" | {format_number(c.margin)} | {mark} |"
        )
    lines.append("")
    return "\n".join(lines) + "\n"
