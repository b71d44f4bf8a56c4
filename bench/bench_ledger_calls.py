"""What recording one call costs the engine: its intent, fsynced, before it goes out, and its outcome.

Each call the engine sends is two ledger writes on the event loop: ``intend`` (committed, and on
SQLite fsynced, before the request leaves) and ``settle`` (the answer, in the same row). Timed per
call on a SQLite file and on a throwaway PostgreSQL over loopback, beside ``append`` (one committed
row, what a call cost before intents). Target: both writes within 1% of the gap between two calls
at the most generous default limit (Light, 50 a minute: 1.2 s), i.e. under 12 ms a call.

The throwaway PostgreSQL is the tests' (a Unix socket, fsync off), so its figure is rcgrad's own
cost. On a real server each write is one statement in autocommit: one network round trip and one
WAL flush, so a call costs two of each (an ``append`` in a transaction used to cost three round
trips and one flush): at 10 ms a round trip, about 20 ms for a call that is 1.2 s from the next.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.throwaway import throwaway_postgres
from runner.ledger.ledger import Ledger
from runner.records import CallRecord
from tests.postgres import fresh_database

CALLS = 300
TARGET_MS = 12.0


def _call(i: int) -> CallRecord:
    return CallRecord(
        ts=1_773_100_000.0 + i,
        method="GET",
        template="/restapi/v1.0/account/{accountId}/extension/{extensionId}",
        status=200,
        group="Light",
        permission="ReadAccounts",
        run_id="bench",
    )


def _per_call_ms(ledger: Ledger) -> tuple[float, float]:
    key = ledger.partition("local", "bench", "1")
    started = time.perf_counter()
    for i in range(CALLS):
        ledger.append(key, _call(i))
    appended = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(CALLS):
        ledger.settle(key, ledger.intend(key, _call(i)), _call(i))
    recorded = time.perf_counter() - started
    return appended / CALLS * 1000, recorded / CALLS * 1000


def _line(name: str, append_ms: float, call_ms: float) -> str:
    verdict = "ok" if call_ms <= TARGET_MS else "MISSED"
    return f"{name:12} {append_ms:>9.2f} ms {call_ms:>16.2f} ms   target {TARGET_MS:.0f} ms  {verdict}"


def main() -> None:
    print(f"{CALLS} calls each; per call:")
    print(f"{'ledger':12} {'append':>12} {'intend + settle':>19}")
    with tempfile.TemporaryDirectory() as tmp, Ledger.open(Path(tmp) / "bench.sqlite3") as lite:
        print(_line("SQLite", *_per_call_ms(lite)))
    with throwaway_postgres("PostgreSQL skipped") as server_url:
        if server_url is None:
            return
        with Ledger.open(fresh_database(server_url, "bench_calls")) as shared:
            print(_line("PostgreSQL", *_per_call_ms(shared)))


if __name__ == "__main__":
    main()
