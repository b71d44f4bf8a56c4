"""``rcgrad report PLAN... --html DIR``: the fleet's index and a page per app, from the ledger alone.

Integration: a SQLite ledger (and the throwaway PostgreSQL) filled with a fortnight of traffic,
rendered by the command as a user runs it. The pages are self-contained, every hostile value is
escaped, no secret appears in any encoding, and bad input is one line, exit 2, nothing written.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runner.cli import main
from runner.ledger.ledger import Ledger
from runner.report import history_html
from runner.verdict.history import AppFacts, history
from tests.criteria_support import DESCRIPTION, at, many, rec
from tests.history_support import HOSTILE_NAME, HOSTILE_PATH, fill, fortnight, write_plans

NOW = at("2026-03-14T12:00")


def pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


FETCHING = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "link",
    "img",
    "image",
    "use",
    "audio",
    "video",
    "source",
    "base",
    "form",
    "foreignobject",
}


class _Tags(HTMLParser):
    """Every tag and attribute as a browser's parser sees them (escaped text is text, not a tag)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_self_contained(page: str) -> None:
    """Nothing a browser would fetch or run: no script, no handler, no URL, no external style or font."""
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in FETCHING, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "xlink:href", "action"):
                assert value is not None and re.fullmatch(r"[a-z0-9-]+\.html", value), (tag, name, value)
    lowered = page.lower()
    assert "http://" not in lowered and "https://" not in lowered and "javascript:" not in lowered
    assert "@import" not in lowered and "url(" not in lowered and "@font-face" not in lowered


# ------------------------------------------------------------------ rendering, pure


def test_hostile_names_and_paths_are_escaped_everywhere():
    records = [
        *many(at("2026-03-14T06:00"), "GET /a", 11),
        rec(at("2026-03-14T07:00"), "GET " + HOSTILE_PATH, 404),
    ]
    app = AppFacts(scopes=("ReadA", "<b>scope</b>"), endpoints=("GET /a",), description=DESCRIPTION)
    judged = history(records, now=NOW, app=app)
    page = history_html.render_app(judged, HOSTILE_NAME)
    index = history_html.render_index([history_html.FleetEntry(HOSTILE_NAME, "a.html", judged)], now=NOW)
    for text in (page, index):
        assert "<script>alert" not in text and "<img" not in text and "<b>scope</b>" not in text
        assert html.escape("<script>alert('app')</script>") in text
        assert "\u202e" not in text  # a right-to-left override is shown as its escape, never obeyed
        assert_self_contained(text)
    assert html.escape("<img src=x onerror=alert(1)>") in page
    assert "&lt;b&gt;scope&lt;/b&gt;" in page


def test_every_chart_is_inline_svg_with_a_bar_per_day():
    records = many(at("2026-03-14T06:00"), "GET /a", 11) + many(at("2026-03-13T06:00"), "GET /a", 3)
    judged = history(records, now=NOW, app=AppFacts(scopes=("ReadA",), endpoints=("GET /a",)))
    page = history_html.render_app(judged, "app")
    assert page.count("<svg") == 6  # apply days, the endpoint, the 4xx ratio, the volume, the scope, its axis
    assert "<title>2026-03-13: 3 2xx</title>" in page
    assert "<title>2026-03-14: 11 2xx so far</title>" in page
    assert 'name="viewport"' in page and "Content-Security-Policy" in page


# ------------------------------------------------------------------ the command on SQLite


def test_report_writes_an_index_and_a_page_per_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, troubled = write_plans(tmp_path / "plans")
    fortnight(healthy)
    fortnight(troubled, trouble=True)
    with Ledger.open() as ledger:
        rows = ledger.count()
    out = tmp_path / "out" / "nested"

    assert main(["report", str(healthy), str(troubled), "--html", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    lines = printed.out.splitlines()
    assert len(lines) == 3, printed.out
    assert lines[0].startswith("Healthy CRM") and "met now" in lines[0] and "14/14 days met" in lines[0]
    assert "NOT MET now" in lines[1] and "next apply day " in lines[1] and "none" not in lines[1]
    assert "<script>alert('app')</script>" in lines[1] and "\u202e" not in lines[1]
    assert lines[2] == f"wrote {out / 'index.html'} and 2 app pages"
    assert len(lines[0]) <= 80

    written = pages(out)
    assert set(written) == {"index.html", "healthy.html", "troubled.html"}
    index = written["index.html"]
    assert index.index('href="troubled.html"') < index.index('href="healthy.html"')  # not met first
    assert "<b>1</b> of 2 apps meet the criteria now" in index
    for page in written.values():
        assert_self_contained(page)
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "REHEARSAL: local sandbox" in written["troubled.html"]
    assert written["troubled.html"].count("<svg") >= 5
    with Ledger.open() as ledger:
        assert ledger.count() == rows  # no login, no request: nothing recorded


def test_report_agrees_with_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, troubled = write_plans(tmp_path / "plans")
    fortnight(healthy)
    fortnight(troubled, trouble=True)
    assert main(["status", str(healthy), "-q"]) == 0
    assert main(["status", str(troubled), "-q"]) == 1
    capsys.readouterr()
    assert main(["report", str(troubled), str(healthy), "--html", str(tmp_path / "out"), "-q"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert "NOT MET now" in first and "met now" in second  # the exit code is 0 whatever the verdicts


def test_an_app_with_no_traffic_gets_a_page_that_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, _ = write_plans(tmp_path / "plans")
    assert main(["report", str(healthy), "--html", str(tmp_path / "out")]) == 0
    line, wrote = capsys.readouterr().out.splitlines()
    assert "NOT MET now" in line and "0/14 days met" in line and "next apply day tomorrow, " in line
    assert wrote == f"wrote {tmp_path / 'out' / 'healthy.html'} and {tmp_path / 'out' / 'index.html'}"
    page = (tmp_path / "out" / "healthy.html").read_text()
    assert page.count("no traffic") >= 1 and "Next apply day that meets: tomorrow, " in page
    assert "Today, " in page and "meets by the day&#x27;s end, once that day&#x27;s warm-up has run" in page


def test_page_names_are_safe_unique_and_never_the_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, _ = write_plans(tmp_path / "plans")
    text = healthy.read_text()
    other = tmp_path / "other"
    other.mkdir()
    (other / "healthy.yaml").write_text(text.replace("Healthy CRM", "Healthy CRM two"))
    (other / "index.yaml").write_text(text.replace("Healthy CRM", "The index"))
    (other / "<b> weird.yaml").write_text(text.replace("Healthy CRM", "Weird"))
    plans = [healthy, other / "healthy.yaml", other / "index.yaml", other / "<b> weird.yaml"]
    assert main(["report", *map(str, plans), "--html", str(tmp_path / "out")]) == 0
    assert set(pages(tmp_path / "out")) == {
        "index.html",
        "healthy.html",
        "healthy-2.html",
        "index-2.html",
        "b-weird.html",
    }
    assert "The index" in (tmp_path / "out" / "index-2.html").read_text()


# ------------------------------------------------------------------ PostgreSQL


def test_report_reads_a_shared_postgresql_ledger(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
):
    healthy, troubled = write_plans(tmp_path / "plans")
    fortnight(healthy, ledger=pg_url)
    fortnight(troubled, ledger=pg_url, trouble=True)
    out = tmp_path / "out"
    assert main(["report", str(healthy), str(troubled), "--ledger", pg_url, "--html", str(out), "-q"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert "met now" in first and "14/14 days met" in first
    assert "NOT MET now" in second
    written = pages(out)
    assert set(written) == {"index.html", "healthy.html", "troubled.html"}
    sqlite = tmp_path / "sqlite"
    fortnight(healthy)
    assert main(["report", str(healthy), "--html", str(sqlite), "-q"]) == 0
    capsys.readouterr()
    # The same traffic renders the same figures from either back end (the time of day aside).
    strip = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC|at \d\d:\d\d UTC|client id [^)]*")
    assert strip.sub("", (sqlite / "healthy.html").read_text()) == strip.sub("", written["healthy.html"])


# ------------------------------------------------------------------ secrets


SECRET_PLAN = """
app:
  name: Secretive
  description: >
    Syncs the call log of every extension into our CRM each night and posts a daily SMS summary
    to the account's managers, so sales staff see missed calls next morning.
  scopes: [ReadAccounts]
server: https://platform.devtest.ringcentral.com
credentials:
  client_id: ${T_CLIENT_ID}
  client_secret: ${T_CLIENT_SECRET}
  jwt: ${T_JWT}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""


def test_no_secret_appears_in_any_page_or_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    secret, jwt = (
        "cl1ent-S3cret-value-xyz",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXNlY3JldA",
    )
    monkeypatch.setenv("T_CLIENT_ID", "clientIdForTheLedger42")
    monkeypatch.setenv("T_CLIENT_SECRET", secret)
    monkeypatch.setenv("T_JWT", jwt)
    plan = tmp_path / "secret.yaml"
    plan.write_text(SECRET_PLAN)
    now = dt.datetime.now(dt.UTC).timestamp()
    fill(plan, many(now - 60, "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}", 6))
    # A raw path the catalog did not match is kept as called: a careless one holds the secret.
    fill(plan, [rec(now - 30, f"GET /restapi/v1.0/callback/{secret}/{jwt}", 404)])
    out = tmp_path / "out"
    assert main(["report", str(plan), "--html", str(out)]) == 0
    printed = capsys.readouterr()
    texts = [printed.out, printed.err, *pages(out).values(), *(p.name for p in out.iterdir())]
    for value in (secret, jwt, jwt.split(".")[1], jwt.split(".")[2]):
        forms = {
            value,
            html.escape(value),
            urllib.parse.quote(value, safe=""),
            base64.b64encode(value.encode()).decode().rstrip("="),
            base64.urlsafe_b64encode(value.encode()).decode().rstrip("="),
        }
        for text in texts:
            for form in forms:
                assert form not in text
    assert "callback/<wbr>***/<wbr>***" in pages(out)["secret.html"]
    assert "clientIdForTheLedger42" not in pages(out)["secret.html"]  # the client id is shortened too


# ------------------------------------------------------------------ bad input


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    printed = capsys.readouterr()
    assert printed.out == ""
    assert "Traceback" not in printed.err and len(printed.err.strip().splitlines()) == 1, printed.err
    return printed.err.strip()


def test_an_output_folder_that_is_a_file_is_refused_before_any_plan_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert main(["report", str(tmp_path / "no-such-plan.yaml"), "--html", str(target)]) == 2
    error = _one_line_error(capsys)
    assert "--html" in error and "is not a folder" in error and "no-such-plan" not in error
    assert target.read_text() == "not a folder"
    assert not (Path.cwd() / "rcgrad-home").exists()


def test_an_output_folder_under_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "file").write_text("x")
    healthy, _ = write_plans(tmp_path / "plans")
    assert main(["report", str(healthy), "--html", str(tmp_path / "file" / "sub" / "out")]) == 2
    assert "--html" in _one_line_error(capsys)


def test_an_output_folder_that_cannot_be_written_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    healthy, _ = write_plans(tmp_path / "plans")
    with Ledger.open() as ledger:
        ledger.count()
    # /proc takes no file, even from root (for whom permission bits say nothing).
    assert main(["report", str(healthy), "--html", "/proc/rcgrad-report"]) == 2
    error = _one_line_error(capsys)
    assert error.startswith(
        "rcgrad: --html: /proc/rcgrad-report cannot be written: no file can be made in /proc"
    )


def test_a_bad_plan_is_one_line_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, _ = write_plans(tmp_path / "plans")
    broken = tmp_path / "plans" / "broken.yaml"
    broken.write_text(
        healthy.read_text().replace("scopes: [ReadAccounts, ReadPresence]", "scopes: [ReadAccounts")
    )
    out = tmp_path / "out"
    assert main(["report", str(healthy), str(broken), "--html", str(out)]) == 2
    error = _one_line_error(capsys)
    assert str(broken) in error and ":" in error
    assert not out.exists()


def test_html_is_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    healthy, _ = write_plans(tmp_path / "plans")
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(healthy)])
    assert exit_.value.code == 2
    assert "--html" in _one_line_error(capsys)
