"""Every plan in plans/ is documentation: it must pass `rcgrad check` and rehearse cleanly.

Rehearsal runs the real CLI with ``server: local`` (the embedded sandbox, time-scaled): the
criteria are met with zero 4xx and zero 429s, and a second run sends nothing.
"""

from __future__ import annotations

import json

import pytest

from runner.cli import main
from runner.plan.check import check_plan
from runner.plan.loader import load_plan
from tests.conftest import REPO

PLANS = sorted((REPO / "plans").glob("*.yaml"))


def test_there_are_an_example_and_four_realistic_plans():
    names = {p.stem for p in PLANS}
    assert {"example", "call-log-presence", "inbox", "contacts", "sms-notifier"} <= names


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_a_shipped_plan_checks_clean_and_rehearses_with_zero_4xx(path, tmp_path, monkeypatch):
    plan = load_plan(path)
    assert check_plan(plan).ok
    assert plan.server == "local"
    monkeypatch.chdir(tmp_path)  # no stray .env
    out = tmp_path / "verdict.json"
    assert main(["graduate", str(path), "-q", "--json", str(out)]) == 0
    verdict = json.loads(out.read_text())
    assert verdict["met"]
    assert all(row["errors_4xx"] == 0 for row in verdict["endpoints"])
    assert main(["graduate", str(path), "-q", "--dry-run"]) == 0
