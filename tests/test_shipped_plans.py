"""Every plan in plans/ is documentation: it must pass `rcgrad check` and rehearse cleanly.

Rehearsal runs the real CLI with ``server: local`` (the embedded sandbox, time-scaled): the
criteria are met with zero 4xx and zero 429s, and a second run sends nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from runner.cli import main
from runner.plan.check import check_plan
from runner.plan.loader import load_plan
from tests.conftest import REPO

pytestmark = [pytest.mark.loopback, pytest.mark.subprocess]

# The plans rcgrad ships, by name: a user's own plans in plans/ (a TODO still in them) are theirs.
SHIPPED = ("example", "call-log-presence", "inbox", "contacts", "sms-notifier")
PLANS = [REPO / "plans" / f"{name}.yaml" for name in SHIPPED]


def test_every_shipped_plan_is_in_the_repository_and_listed():
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "plans"], capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout: nothing to compare the list with")
    assert sorted(Path(name).stem for name in tracked if name.endswith(".yaml")) == sorted(SHIPPED)


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_a_shipped_plan_checks_clean_and_rehearses_with_zero_4xx(path, tmp_path, monkeypatch):
    plan = load_plan(path)
    assert check_plan(plan).ok
    assert plan.server == "local"
    out = tmp_path / "verdict.json"
    assert main(["graduate", str(path), "-q", "--json", str(out)]) == 0
    verdict = json.loads(out.read_text())
    assert verdict["met"]
    assert all(row["errors_4xx"] == 0 for row in verdict["endpoints"])
    assert main(["graduate", str(path), "-q", "--dry-run"]) == 0
