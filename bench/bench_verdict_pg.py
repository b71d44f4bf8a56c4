"""The verdict over a million recorded calls on the PostgreSQL ledger (issue 17 target: < 1 s, as on SQLite).

Starts a throwaway PostgreSQL (``initdb``/``pg_ctl``, as the tests do), loads the same million calls
as ``bench_verdict`` with COPY (not timed), then times the SQL summary and ``evaluate`` over it, and
checks the verdict equals the one over the raw rows and the one from a SQLite ledger of the same rows.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from bench.bench_verdict import NOW, TARGET_S, _records, _timed
from bench.throwaway import throwaway_postgres
from runner.ledger.ledger import ROW_COLUMNS, Ledger, record_row
from runner.ledger.postgres import PostgresBackend
from runner.verdict.criteria import evaluate, lookback
from tests.postgres import fresh_database


def main() -> None:
    rng = random.Random(6)
    records = _records(rng)
    scopes = sorted({r.permission for r in records if r.permission})
    with throwaway_postgres("skipped") as server_url:
        if server_url is None:
            return
        url = fresh_database(server_url, "bench")
        with Ledger.open(url) as ledger:
            key = ledger.partition("local", "bench", "1")
            assert isinstance(ledger._db, PostgresBackend)
            with ledger._db.transaction():
                ledger._db.copy_rows("calls", ROW_COLUMNS, (record_row(key.id, r) for r in records))
            ledger._db.execute("ANALYZE")
            t_sql, summary = _timed(lambda: ledger.summary(key, lookback(NOW), until=NOW))
            t_eval, verdict = _timed(lambda: evaluate(summary, now=NOW, scopes=scopes))
    with tempfile.TemporaryDirectory() as tmp, Ledger.open(Path(tmp) / "same.sqlite3") as lite:
        lite_key = lite.partition("local", "bench", "1")
        lite.append_many(lite_key, records)
        lite_verdict = evaluate(lite.summary(lite_key, lookback(NOW), until=NOW), now=NOW, scopes=scopes)
    assert evaluate(records, now=NOW, scopes=scopes) == verdict == lite_verdict, "both back ends, one verdict"
    print(
        f"PostgreSQL ledger: {len(records):,} calls, summary {len(summary):,} rows (verdict equal to SQLite's)"
    )
    print(
        f"SQL summary + evaluate:      {(t_sql + t_eval) * 1000:8.1f} ms  target {TARGET_S * 1000:.0f} ms"
        f"  ratio {(t_sql + t_eval) / TARGET_S:.3f}"
    )
