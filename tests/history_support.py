"""Ledgers with a fortnight of traffic, for the ``rcgrad report`` tests: plans on the local
sandbox's partitions, filled through the same view ``report`` reads, so no sandbox runs."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

from runner.records import CallRecord, Kind, TokenEvent
from runner.run.session import SessionOptions, open_ledger_view, plan_endpoint_keys
from runner.verdict.criteria import midnight, utc_day

# A hostile app: its name and an endpoint it called would run script if a page let them through.
HOSTILE_NAME = "<script>alert('app')</script> & \"friends\" \u202eevil"
HOSTILE_PATH = '/restapi/v1.0/<img src=x onerror=alert(1)>/"quoted"'

HEALTHY = """
app:
  name: Healthy CRM
  description: >
    Shows each CRM contact's recent calls and current presence to the sales team, and keeps the
    contact's name and number in step with the CRM record when either side changes.
  scopes: [ReadAccounts, ReadPresence]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
"""

TROUBLED = """
app:
  name: {name}
  description: >
    Syncs the call log of every extension into our CRM each night and posts a daily SMS summary
    to the account's managers, so sales staff see missed calls next morning.
  scopes: [ReadAccounts, ReadCallLog, ReadPresence]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/call-log
  - GET /restapi/v1.0/account/~/extension/~/presence
"""


def write_plans(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    healthy = folder / "healthy.yaml"
    healthy.write_text(HEALTHY)
    troubled = folder / "troubled.yaml"
    name = HOSTILE_NAME.replace("\\", "\\\\").replace('"', '\\"')
    troubled.write_text(TROUBLED.format(name=f'"{name}"'))
    return [healthy, troubled]


def calls(
    ts: float, key: str, n: int, status: int = 200, *, permission: str | None = None
) -> list[CallRecord]:
    method, template = key.split(" ", 1)
    return [
        CallRecord(ts + i, method, template, status, "Light", permission, Kind.API, run_id="test")
        for i in range(n)
    ]


def fill(plan: Path, records: Iterable[CallRecord], ledger: str | None = None) -> int:
    """Store ``records`` in the plan's partition of the ledger ``report`` will read."""
    with open_ledger_view(SessionOptions(plan=plan, ledger=ledger)) as view:
        key = (
            view.key
            if view.key.id > 0
            else view.ledger.partition(view.key.server, view.key.client_id, view.key.user_id)
        )
        return view.ledger.append_many(key, list(records))


def fortnight(
    plan: Path, *, now: float | None = None, ledger: str | None = None, trouble: bool = False
) -> None:
    """A daily warm-up's traffic for the last 14 UTC days; ``trouble`` adds a 429, a 404 spree and
    days the warm-up did not run, and leaves one endpoint thin today."""
    now = time.time() if now is None else now
    with open_ledger_view(SessionOptions(plan=plan, ledger=ledger)) as view:
        keys = plan_endpoint_keys(view.plan)
    from runner.rc.catalog import load_catalog

    catalog = load_catalog()
    permission = {k: (op.permission if (op := catalog.by_key(*k.split(" ", 1))) else None) for k in keys}
    today = utc_day(now)
    records: list[CallRecord] = []
    for back in range(13, -1, -1):
        day = today - dt.timedelta(days=back)
        if trouble and back in (10, 9, 4):
            continue  # the warm-up did not run
        run = midnight(day) + 2 * 3600  # 02:00 UTC
        if run > now:
            run = max(midnight(day), now - 60)
        for key in keys:
            n = 11
            if trouble and back == 0 and "call-log" in key:
                n = 2
            if trouble and back in (6, 7) and "presence" in key:
                n = 3
            records += calls(run, key, n, permission=permission[key])
        records.append(
            CallRecord(
                run - 1,
                "POST",
                "/restapi/oauth/token",
                200,
                "Auth",
                None,
                Kind.OAUTH,
                event=TokenEvent.REFRESH,
            )
        )
        if trouble and back == 8:
            records += calls(run + 600, keys[0], 3, 404, permission=permission[keys[0]])
        if trouble and back == 3:
            records += calls(run + 900, keys[0], 2, 429, permission=permission[keys[0]])
        if trouble and back == 1:
            records += calls(run + 1200, "GET " + HOSTILE_PATH, 1, 404)
    fill(plan, [r for r in records if r.ts <= now], ledger)
