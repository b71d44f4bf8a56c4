"""A fleet of 50 apps x 12 Light endpoints in one process against the local sandbox (issue 17 target:
wall time <= 1.10x the slowest single app's bound, zero 429s).

Each app is its own plan with its own ``credentials:`` (so its own sandbox, limiters, tokens and
ledger partition); ``rcgrad graduate plans... --calls 5`` runs them all at once. Rate limits are per
app, so the fleet should take about as long as one app: the span of the fleet's API calls (first
request to last answer, from the ledger) over the least time one app's calls need at the limits.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

from bench.bench_engine import TARGET_RATIO, _endpoints
from runner.cli import main as cli_main
from runner.ledger.ledger import Ledger
from runner.rc.catalog import load_catalog
from runner.rc.limits import GroupLimit, minimum_plan_seconds
from runner.records import Kind

APPS = 50
ENDPOINTS = 12
CALLS = 5
SCALE = 1.0  # real time: 60 s windows, as the fleet meets them on a real server


def main() -> None:
    endpoints = _endpoints("Light", ENDPOINTS)
    catalog = load_catalog()
    scopes = sorted(
        {
            m.value.permission
            for e in endpoints
            if (m := catalog.match(*e.split(" ", 1))) and m.value.permission
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plans = []
        for n in range(APPS):
            (root / f"app{n}.env").write_text(
                f"RC_APP_CLIENT_ID=bench-{n}\nRC_APP_CLIENT_SECRET=s{n}-{os.urandom(6).hex()}\nRC_USER_JWT=j.{n}.x\n"
            )
            text = (
                f"app:\n  name: bench app {n}\n  description: A benchmark app that reads account, extension and user data to measure a fleet of apps at once.\n"
                f"  scopes: [{', '.join(scopes)}]\nserver: local\ncredentials: {{env_file: app{n}.env}}\nendpoints:\n"
                + "".join(f"  - {e}\n" for e in endpoints)
            )
            (root / f"app{n}.yaml").write_text(text)
            plans.append(str(root / f"app{n}.yaml"))
        saved = {k: os.environ.get(k) for k in ("RCGRAD_HOME", "RCGRAD_LOCAL_TIME_SCALE", "RCGRAD_LEDGER")}
        os.environ.update(RCGRAD_HOME=str(root / "home"), RCGRAD_LOCAL_TIME_SCALE=str(SCALE))
        os.environ.pop("RCGRAD_LEDGER", None)
        try:
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the 50-row table is not the figure
                code = cli_main(
                    ["graduate", *plans, "--calls", str(CALLS), "-q", "--json", str(root / "v.json")]
                )
            whole = time.perf_counter() - started
            with Ledger.open(root / "home" / "ledger.sqlite3") as ledger:
                rows = [
                    r for key in ledger.partitions() for r in ledger.records(key, 0) if r.kind is Kind.API
                ]
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    span = max(r.ts for r in rows) - min(r.ts for r in rows)
    bound = minimum_plan_seconds({"Light": ENDPOINTS * CALLS}, {"Light": GroupLimit(50, 60.0 * SCALE)})
    throttled = sum(r.count for r in rows if r.status == 429)
    print(f"fleet: {APPS} apps x {ENDPOINTS} Light endpoints x {CALLS}: {len(rows):,} API calls, exit {code}")
    print(
        f"traffic span {span:6.2f} s  slowest app's bound {bound:5.2f} s  ratio {span / bound:.3f}"
        f"  target {TARGET_RATIO:.2f}  429s {throttled}  (whole command, with 50 sandboxes and logins: {whole:.1f} s)"
    )
