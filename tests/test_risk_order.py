"""First tries by risk: an unproven write or id-guessing endpoint goes only when the window's
successes can absorb one more 4xx under the bar; safe reads build that cushion first."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.cli import main
from runner.sandbox import SandboxConfig, running_sandbox
from runner.traffic.budget import ErrorBudget
from tests.rehearsal import ENDPOINTS, SCALE, sandbox_api_records, use, write_plan

WRITE = "POST /restapi/v1.0/account/{accountId}/extension/{extensionId}/address-book/contact"
SAFE = "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}"
WITH_A_WRITE = (
    ENDPOINTS
    + """  - name: contact
    request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
    json: {firstName: Ada, lastName: Lovelace}
    save: {id: $.id}
    teardown:
      - request: DELETE /restapi/v1.0/account/~/extension/~/address-book/contact/{{id}}
        expect: 204
"""
)
SCOPES = ("ReadAccounts", "ReadCallLog", "ReadPresence", "Contacts")


def test_an_unproven_risky_endpoint_waits_for_19_successes_per_4xx_at_5_percent() -> None:
    other = WRITE.replace("contact", "favorite")
    budget = ErrorBudget(threshold=0.05, planned=100, risky=frozenset({WRITE, other}))
    assert not budget.may_send(WRITE)
    assert "19 needed" in (budget.reason(WRITE) or "")
    for _ in range(19):
        assert budget.may_send(SAFE)
        budget.sending()
        budget.settled(SAFE, 200, retryable=False)
    assert budget.may_send(WRITE)
    # Asking changes nothing: the engine asks for every step of an item before it starts.
    assert budget.may_send(other) and budget.may_send(WRITE)
    budget.sending()
    budget.settled(WRITE, 201, retryable=False)
    assert budget.may_send(WRITE)  # proven now: no cushion needed


@pytest.mark.loopback
def test_the_first_write_of_a_clean_window_comes_after_its_cushion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, WITH_A_WRITE.replace("save: {id: $.id}", "save: {id: '$.id'}"), SCOPES)
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=SCALE)) as sb:
        use(monkeypatch, sb)
        assert main(["graduate", plan, "--server", sb.url]) == 0
        calls = sandbox_api_records(sb)
    first_write = next(i for i, r in enumerate(calls) if r.method == "POST")
    before = calls[:first_write]
    assert len([r for r in before if 200 <= r.status < 300]) >= 19
    assert all(r.method == "GET" for r in before)
    assert not [r for r in calls if 400 <= r.status < 500]
    said = " ".join(capsys.readouterr().out.split())
    assert "first tries held back for a cushion: planning again" in said
