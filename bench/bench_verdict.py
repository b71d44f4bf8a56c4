"""The verdict over a million recorded calls (issue 6 target: ``evaluate`` < 1 s).

Builds a ledger of one million calls over the last 48 h (not timed), then times: the SQL summary
(grouped counts per hour and outcome), ``evaluate`` over that summary, the two together (what
``rcgrad status`` pays), and, for scale, ``evaluate`` over the raw rows already in memory.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from runner.ledger.ledger import Ledger
from runner.rc.catalog import load_catalog
from runner.records import CallRecord
from runner.verdict.criteria import evaluate, lookback

N_CALLS = 1_000_000
T = TypeVar("T")
TARGET_S = 1.0
NOW = 1_790_000_000.0


def _records(rng: random.Random) -> list[CallRecord]:
    ops = [op for op in load_catalog().operations if op.method == "GET" and not op.is_oauth][:40]
    statuses = [200] * 96 + [404, 400, 429, 500]
    out = []
    for _ in range(N_CALLS):
        op = rng.choice(ops)
        out.append(
            CallRecord(
                ts=NOW - rng.random() * 2.2 * 86_400,
                method=op.method,
                template=op.path,
                status=rng.choice(statuses),
                group=op.group,
                permission=op.permission,
                latency_ms=rng.random() * 300,
                run_id="bench",
                operation_id=op.id,
            )
        )
    return out


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    rng = random.Random(6)
    records = _records(rng)
    scopes = sorted({r.permission for r in records if r.permission})
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "bench.sqlite3")
        key = ledger.partition("local", "bench", "1")
        ledger._db.execute("PRAGMA cache_size = -400000")  # 400 MB: the build is not what is timed
        ledger.append_many(key, records)
        t_sql, summary = _timed(lambda: ledger.summary(key, lookback(NOW), until=NOW))
        t_eval, verdict = _timed(lambda: evaluate(summary, now=NOW, scopes=scopes))
        ledger.close()
    t_raw, raw_verdict = _timed(lambda: evaluate(records, now=NOW, scopes=scopes))
    assert raw_verdict == verdict, "summary and raw rows must give the same verdict"
    print(f"ledger: {N_CALLS:,} calls, summary {len(summary):,} rows")
    print(
        f"evaluate over the summary:   {t_eval * 1000:8.1f} ms  target {TARGET_S * 1000:.0f} ms  ratio {t_eval / TARGET_S:.3f}"
    )
    print(
        f"SQL summary + evaluate:      {(t_sql + t_eval) * 1000:8.1f} ms  target {TARGET_S * 1000:.0f} ms  ratio {(t_sql + t_eval) / TARGET_S:.3f}"
    )
    print(
        f"evaluate over 1M raw rows:   {t_raw * 1000:8.1f} ms  target {TARGET_S * 1000:.0f} ms  ratio {t_raw / TARGET_S:.3f}"
    )


if __name__ == "__main__":
    main()
