"""Test helpers for whole runs: a plan on disk, the RC_* variables of a sandbox, the ledger's view.

Also the reliability table that ``make reliability`` prints (see ``conftest.pytest_terminal_summary``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runner.cli import main
from runner.ledger.ledger import Ledger
from runner.records import CallRecord, Kind

SCALE = 0.02
SCOPES = ("ReadAccounts", "ReadCallLog", "ReadPresence")
PLAN = """\
app:
  name: reliability
  description: A test app that reads the user's extension, presence and call log under injected faults.
  scopes: [{scopes}]
server: local
endpoints:
{endpoints}
"""
ENDPOINTS = """\
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
  - GET /restapi/v1.0/account/~/extension/~/call-log
"""


# One app of a fleet: its own credentials (defaults that are no secret), so each is its own partition.
PLAN_FOR_FLEET = """app:
  name: app {index}
  description: Reads the user's own extension record to show who is signed in, in a fleet test.
  scopes: [ReadAccounts]
server: local
credentials:
  client_id: ${{NOPE_ID_{index}:-fleet-{index}}}
  client_secret: ${{NOPE_SECRET_{index}:-rehearsal-only-{index}}}
  jwt: ${{NOPE_JWT_{index}:-rehearsal.only.jwt{index}}}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""


@dataclass
class Row:
    fault: str
    runs: int
    verdict: str
    sent: int
    lost: int
    unreached: int
    rate_limited: int
    leaked: int


TABLE: list[Row] = []


def write_plan(tmp_path: Path, endpoints: str = ENDPOINTS, scopes: tuple[str, ...] = SCOPES) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.format(scopes=", ".join(scopes), endpoints=endpoints))
    return str(path)


def use(monkeypatch: pytest.MonkeyPatch, sb: Any) -> None:
    for line in sb.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)


def graduate(tmp_path: Path, plan: str, sb: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "verdict.json"
    out.unlink(missing_ok=True)
    code = main(["graduate", plan, "--server", sb.url, "--json", str(out), "-q", *extra])
    return code, json.loads(out.read_text()) if out.exists() else {}


def ledger_records() -> list[CallRecord]:
    with Ledger.open() as ledger:
        rows: list[CallRecord] = []
        for key in ledger.partitions():
            rows += ledger.records(key, 0)
    return rows


def ledger_api_records() -> list[CallRecord]:
    return [r for r in ledger_records() if r.kind is Kind.API]


def sandbox_api_records(sb: Any) -> list[CallRecord]:
    return [r for r in sb.state.log if r.kind is Kind.API]


def _per_endpoint(records: list[CallRecord]) -> Counter[str]:
    return Counter(r.endpoint for r in records)


def lost(sb: Any) -> int:
    """Calls the server saw that the ledger does not hold: per endpoint, the sandbox's log less the
    ledger's rows. A call the server answered but whose answer never arrived (a timeout, a dropped
    connection) is in the ledger as "no response", so it is not lost."""
    seen, kept = _per_endpoint(sandbox_api_records(sb)), _per_endpoint(ledger_api_records())
    return sum((seen - kept).values())


def unreached(sb: Any) -> int:
    """Attempts in the ledger that never reached the server (it was down): recorded as "no response",
    counted by no criterion, and no record of the server's is missing for them."""
    seen, kept = _per_endpoint(sandbox_api_records(sb)), _per_endpoint(ledger_api_records())
    return sum((kept - seen).values())


def leaked(sb: Any, *texts: str) -> int:
    secrets = [sb.config.jwt, sb.config.client_secret]
    for session in sb.state.oauth.sessions.values():
        secrets += [session.access_token, session.refresh_token]
    with Ledger.open() as ledger:
        import io

        dump = io.StringIO()
        ledger.export_csv(None, dump)
    haystack = "\n".join([*texts, dump.getvalue()])
    return sum(1 for s in secrets if s and s in haystack)


def record(fault: str, runs: int, verdict: dict[str, Any], sb: Any, *texts: str) -> Row:
    row = Row(
        fault=fault,
        runs=runs,
        verdict="met" if verdict.get("met") else "not met",
        sent=len(sandbox_api_records(sb)),
        lost=lost(sb),
        unreached=unreached(sb),
        rate_limited=sum(1 for r in sandbox_api_records(sb) if r.status == 429),
        leaked=leaked(sb, json.dumps(verdict), *texts),
    )
    TABLE.append(row)
    return row
