"""Zero 429 across runs of one app on one home, against the sandbox over loopback: back-to-back runs
(the second starts while the first's calls fill the window) and a gate another process closed."""

from __future__ import annotations

import pytest

from runner.cli import main
from runner.sandbox import SandboxConfig, running_sandbox
from runner.verdict.ledger import Ledger
from tests.conftest import REPO
from tests.rehearsal import ledger_api_records, record, sandbox_api_records, use

pytestmark = pytest.mark.reliability

CONTACTS = (REPO / "plans" / "contacts.yaml").read_text()
SCALE = 0.05  # Heavy: 10 per 3 s window


def _config() -> SandboxConfig:
    return SandboxConfig(scopes=frozenset({"Contacts", "ReadContacts"}), time_scale=SCALE)


LIST_ONLY = CONTACTS[: CONTACTS.index("  - name: contact lifecycle")].replace(
    "[Contacts, ReadContacts]", "[ReadContacts]"
)


def test_back_to_back_runs_on_one_home_earn_no_429(tmp_path, monkeypatch, capsys):
    plan = tmp_path / "contacts.yaml"
    plan.write_text(LIST_ONLY)
    with running_sandbox(_config()) as sb:
        use(monkeypatch, sb)
        # The first run fills the Heavy window (10 a window); the second starts while they are in it.
        for calls in ("10", "2", "1"):
            assert main(["graduate", str(plan), "--server", sb.url, "--calls", calls, "-q"]) in (0, 1)
        log = sandbox_api_records(sb)
        assert not [r for r in log if r.status == 429]
        assert len(log) == len(ledger_api_records()) == 13
        row = record("back-to-back, window left full", 3, {"met": False}, sb, capsys.readouterr().out)
        assert (row.lost, row.rate_limited, row.leaked) == (0, 0, 0)


def test_a_gate_closed_by_another_process_is_waited_out(tmp_path, monkeypatch, capsys):
    plan = tmp_path / "contacts.yaml"
    plan.write_text(CONTACTS)
    with running_sandbox(_config()) as sb:
        use(monkeypatch, sb)
        assert main(["graduate", str(plan), "--server", sb.url, "--calls", "1", "-q"]) in (0, 1)
        with Ledger.open() as ledger:
            [key] = ledger.partitions()
            first = max(r.ts for r in ledger.records(key, 0))
            ledger.close_gate(key, "Heavy", first + 2.0)  # as a 429 in another process would
        assert main(["graduate", str(plan), "--server", sb.url, "--calls", "1", "-q"]) in (0, 1)
        with Ledger.open() as ledger:
            later = [r for r in ledger.records(key, first + 0.001) if r.group == "Heavy"]
        assert later and min(r.ts for r in later) >= first + 2.0
        assert not [r for r in sandbox_api_records(sb) if r.status == 429]
