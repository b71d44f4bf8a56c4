"""``rcgrad status`` judges the ledger with the session's own verdict, and sends nothing.

The traffic commands and ``status`` build the same options objects; the reports go where the
flags say, folders included.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runner.cli import main
from runner.ledger.ledger import Ledger

pytestmark = pytest.mark.loopback

PLAN = """
app:
  name: status
  description: A test app that reads the user's extension and presence to check status agrees with graduate.
  scopes: [ReadAccounts, ReadPresence]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
"""


def _criteria(path: Path) -> dict[str, object]:
    return {c["name"]: (c["met"], c["value"]) for c in json.loads(path.read_text())["criteria"]}


def test_status_gives_the_graduate_verdict_from_the_ledger_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.02")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    graduated = tmp_path / "graduate.json"
    assert main(["graduate", str(plan), "-q", "--json", str(graduated)]) == 0
    with Ledger.open() as ledger:
        rows_before = ledger.count()
    capsys.readouterr()

    reports = tmp_path / "reports" / "nested"
    code = main(
        [
            "status",
            str(plan),
            "-q",
            "--json",
            str(reports / "v.json"),
            "--junit",
            str(reports / "v.xml"),
            "--html",
            str(reports / "v.html"),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == "CRITERIA MET"
    assert _criteria(reports / "v.json") == _criteria(graduated)
    testcases = list(ET.parse(reports / "v.xml").getroot().iter("testcase"))
    assert len(testcases) == len(_criteria(graduated))
    assert "<html" in (reports / "v.html").read_text().lower()
    with Ledger.open() as ledger:
        assert ledger.count() == rows_before  # no login, no request: nothing new recorded

    # graduate worked for an application tomorrow: status asks the same question with --apply-on.
    tomorrow = json.loads(graduated.read_text())["apply_day"]
    assert main(["status", str(plan), "--apply-on", tomorrow]) == 0
    assert f"CRITERIA MET for an application on {tomorrow}" in capsys.readouterr().out
    later = (dt.date.fromisoformat(tomorrow) + dt.timedelta(days=1)).isoformat()
    assert main(["status", str(plan), "--apply-on", later]) == 2  # judged on days with no traffic yet
    assert capsys.readouterr().err.strip() == (
        f"rcgrad: --apply-on: status judges an application today or tomorrow, not on {later}"
        " (rcgrad report --html shows the days before)"
    )
