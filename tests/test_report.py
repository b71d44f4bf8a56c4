"""The four renderers of a verdict: JSON, console (ASCII fallback), JUnit XML, self-contained HTML."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from runner.report import console, fleet, html, junit
from runner.report import json as json_report
from runner.report.live import ConsoleEvents
from runner.report.progress import FleetLines
from runner.run import events
from runner.verdict.criteria import Verdict, evaluate
from tests.criteria_support import DESCRIPTION, at, many, rec

NOW = at("2026-03-10T00:30")


@pytest.fixture
def verdict() -> Verdict:
    records = [*many(at("2026-03-09T10:00"), "GET /a", 22), rec(at("2026-03-09T11:00"), "GET /b/{id}", 429)]
    records.append(rec(at("2026-03-10T00:10"), "GET /<script>", 404))
    return evaluate(
        records,
        now=NOW,
        scopes=["ReadA", "ReadB"],
        endpoints=["GET /a"],
        description=DESCRIPTION,
        catalog_lookup=False,
    )


def test_json_has_met_criteria_tables_and_iso_windows(verdict: Verdict):
    data = json.loads(json_report.render(verdict))
    assert data["met"] is False
    assert [c["name"] for c in data["criteria"]] == [c.name for c in verdict.criteria]
    assert {"name", "met", "value", "threshold", "margin"} <= set(data["criteria"][0])
    assert data["window"]["utc_days"]["start"] == "2026-03-09T00:00:00Z"
    assert data["window"]["rolling_48h"]["start"] == "2026-03-08T00:30:00Z"
    assert {e["endpoint"] for e in data["endpoints"]} == {"GET /a", "GET /b/{id}", "GET /<script>"}
    assert data["scopes"] == [
        {"scope": "ReadA", "successes": 22, "exercised": True},
        {"scope": "ReadB", "successes": 0, "exercised": False},
    ]
    assert data["tokens"]["refresh_on_401"] == 0
    assert data["profile"] == "strict" and data["caveats"]
    assert sum(h["429"] for h in data["hourly"]) == 1


def test_console_text_is_plain_ascii_with_one_row_per_criterion(verdict: Verdict):
    text = console.render_text(verdict)
    assert text.isascii()
    assert "CRITERIA NOT MET" in text
    for c in verdict.criteria:
        (line,) = [ln for ln in text.splitlines() if f" {c.name} " in ln]
        expected = "FAIL" if not c.met else ("confirm" if c.needs_human else "ok")
        assert line.split()[0] == expected
    assert "GET /<script>" in text and "(not in plan)" in text
    assert "Caveats:" in text


def test_console_at_80_columns_keeps_every_endpoint_whole_on_its_own_line(verdict: Verdict):
    lines = console.render_text(verdict, width=80).splitlines()
    for e in verdict.endpoints:
        assert any(ln.strip().startswith(e.key) for ln in lines), e.key


def test_console_on_a_utf8_terminal_uses_marks(verdict: Verdict):
    console_out = Console(record=True, width=140, force_terminal=True, color_system=None)
    console.render(verdict, console_out, ascii_only=False)
    text = console_out.export_text()
    assert "✗" in text and "✓" in text


def test_a_fleet_heads_each_app_with_dashes_in_a_log_and_a_line_on_a_utf8_terminal():
    log = io.StringIO()
    fleet.heading("app <one>", Console(file=log, width=40))
    assert log.getvalue() == f"{' app <one> ':-^40}\n"
    terminal = Console(record=True, width=40, force_terminal=True, color_system=None, file=io.StringIO())
    assert terminal.encoding == "utf-8"
    fleet.heading("app <one>", terminal)
    assert terminal.export_text() == f"{' app <one> ':─^40}\n"


NAME = "crm [/] sync [bold]x"  # an app's name is the user's text: brackets print as they are


@pytest.mark.parametrize("terminal", [False, True], ids=["log", "terminal"])
def test_a_fleet_shows_an_app_name_with_brackets_as_written_everywhere(verdict: Verdict, terminal: bool):
    out = Console(record=True, width=100, force_terminal=terminal, color_system=None, file=io.StringIO())
    fleet.heading(NAME, out)
    fleet.render(
        [fleet.FleetRow(NAME, verdict, 3), fleet.FleetRow("held", verdict, skipped=f"held by {NAME}")], out
    )
    lines = ConsoleEvents(out, fleet=True)
    lines(events.Note(NAME, "a warning about [/red]", "warning"))  # styled: the risky kind of line
    lines(events.Note(NAME, "a note", "blocker"))
    live = FleetLines(Console(file=io.StringIO()), apps=1)  # its table, as a terminal redraws it
    live(events.Note(NAME, "waiting for the start line", "waiting"))
    out.print(live._table())
    text = out.export_text()
    assert text.count(NAME) == 6, text  # heading, table, skipped reason, two lines, live table


def test_junit_has_a_testcase_per_criterion_and_failures_for_unmet(verdict: Verdict):
    root = ET.fromstring(junit.render(verdict).split("\n", 1)[1])
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == [c.name for c in verdict.criteria]
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {c.name for c in verdict.failed} and "rate_limited_429" in failed
    assert root.get("failures") == str(len(failed))
    suite = root.find("testsuite")
    assert suite is not None and next(iter(suite)).tag == "properties"


def test_html_is_self_contained_escaped_and_charts_every_status_class(verdict: Verdict):
    page = html.render(verdict)
    assert page.startswith("<!DOCTYPE html>")
    for external in ("<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in page
    assert "GET /&lt;script&gt;" in page
    assert page.count("<svg") == 1
    for label in ("2xx: 22", "429: 1", "4xx: 1"):
        assert label in page
    assert "2026-03-10" in page  # the UTC-midnight marker


def test_moments_are_shown_to_the_second():
    from runner.verdict.criteria import iso

    assert iso(1765122000.026107) == "2025-12-07T15:40:00Z"
