"""The server's word on permissions, over loopback: the token's ``scope`` against the plan's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.cli import main
from runner.records import Kind
from runner.sandbox import SandboxConfig, running_sandbox
from runner.verdict.grants import compare
from tests.rehearsal import SCALE, use, write_plan

PLANNED = frozenset({"ReadAccounts", "ReadCallLog", "ReadPresence"})


def _criterion(path: Path, name: str) -> dict[str, object]:
    verdict = json.loads(path.read_text())
    return next(c for c in verdict["criteria"] if c["name"] == name)


@pytest.mark.loopback
def test_a_granted_permission_the_plan_leaves_unused_fails_scopes_exercised_here_and_in_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path)
    with running_sandbox(SandboxConfig(scopes=PLANNED | {"ReadContacts"}, time_scale=SCALE)) as sb:
        use(monkeypatch, sb)
        out = tmp_path / "verdict.json"
        code = main(["graduate", plan, "--server", sb.url, "--json", str(out), "-q"])
        said = capsys.readouterr().out
        assert code == 1
        criterion = _criterion(out, "scopes_exercised")
        assert criterion["met"] is False
        assert "unused: ReadContacts (granted to the app, per the token, but not in the plan)" in str(
            criterion["detail"]
        )
        # Said before the traffic, with a safe call to add and the flag that writes it.
        warning = " ".join(said.split())
        assert "warning: ReadContacts: granted to the app, per the token, but not in the plan" in warning
        assert "GET /restapi/v1.0/account/~/extension/~/favorite" in warning  # plan init's choice
        assert "rcgrad plan init --scopes ReadContacts" in warning
        # Every other criterion is met: the traffic itself was fine.
        verdict = json.loads(out.read_text())
        assert [c["name"] for c in verdict["criteria"] if not c["met"]] == ["scopes_exercised"]
        # status judges the same way from what the last login saw, without logging in.
        before = len(sb.state.log)
        status_out = tmp_path / "status.json"
        assert main(["status", plan, "--server", sb.url, "--json", str(status_out), "-q"]) == 1
        assert _criterion(status_out, "scopes_exercised") == criterion
        assert len(sb.state.log) == before


@pytest.mark.loopback
def test_a_plan_scope_the_token_does_not_grant_is_refused_before_any_api_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path)
    with running_sandbox(
        SandboxConfig(scopes=frozenset({"ReadAccounts", "ReadPresence"}), time_scale=SCALE)
    ) as sb:
        use(monkeypatch, sb)
        assert main(["graduate", plan, "--server", sb.url, "-q"]) == 2
        assert [r for r in sb.state.log if r.kind is Kind.API] == []
    err = capsys.readouterr().err
    assert "plan.yaml:" in err and "ReadCallLog is in the plan but the token does not grant it" in err


def test_compare_follows_inclusions_for_what_the_plan_may_call() -> None:
    # SMS granted lets a ReadMessages call through; SMS itself still needs a call of its own.
    gap = compare(["ReadMessages"], ["ReadMessages"], ["SMS", "ReadMessages"])
    assert (gap.unplanned, gap.ungranted) == (("SMS",), ())
    assert compare(["ReadMessages"], ["ReadMessages"], ["SMS"]).ungranted == ()
    assert compare(["Contacts"], ["Contacts"], ["ReadContacts"]).ungranted == ("Contacts",)
