"""Endpoints that fail at the server in ways ``check`` cannot see (an id that does not exist there)
cost at most one 4xx each over any number of reruns, and every run ends with the window's 4xx ratio
under the bar when the working endpoints can carry it. Over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.cli import main
from runner.sandbox import SandboxConfig, running_sandbox
from tests.rehearsal import ENDPOINTS, SCALE, ledger_api_records, use, write_plan

pytestmark = pytest.mark.loopback

BROKEN = (
    "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store/{messageId}",
    "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/address-book/contact/{contactId}",
)
SCOPES = ("ReadAccounts", "ReadCallLog", "ReadPresence", "ReadMessages", "ReadContacts")
WITH_BROKEN = (
    ENDPOINTS
    + "  - GET /restapi/v1.0/account/~/extension/~/message-store/987654321\n"
    + "  - GET /restapi/v1.0/account/~/extension/~/address-book/contact/987654321\n"
)


def test_broken_endpoints_cost_one_4xx_each_over_reruns_and_the_ratio_stays_under_the_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, WITH_BROKEN, SCOPES)
    out = tmp_path / "verdict.json"
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=SCALE)) as sb:
        use(monkeypatch, sb)
        for run in range(3):
            # 30 a day per endpoint: a cushion under which the error budget alone would let a
            # broken endpoint try again on every rerun.
            code = main(["warmup", plan, "--daily", "30", "--server", sb.url, "--json", str(out)])
            verdict = {c["name"]: c for c in json.loads(out.read_text())["criteria"]}
            assert code == 1, run  # the broken endpoints never get their 5 successes
            assert verdict["error_ratio_4xx"]["met"], (run, verdict["error_ratio_4xx"])
            failures = [r.endpoint for r in ledger_api_records() if 400 <= r.status < 500]
            assert sorted(failures) == sorted(BROKEN), run
            said = " ".join(capsys.readouterr().out.split())
            if run:  # the reruns say why the broken endpoints are left alone
                assert "never a 2xx, so its items are not run again" in said
                assert "--retry-broken" in said
