"""A fleet of 500 apps x 12 Light endpoints x 5 calls in one process, on a throwaway PostgreSQL
ledger, against local sandboxes in real time (issue 29 targets: traffic span <= 1.10x the slowest
app's bound, zero 429s, at most 10 PostgreSQL connections, under 1 GB of memory).

Each app is its own plan with its own credentials (an ``env_file``), so its own limiters, tokens,
ledger partition and run lock; ``rcgrad graduate plans... --calls 5 --ledger postgresql://...``
runs them all at once in one process. The 500 sandboxes (one app each, its own port, its own rate
windows) are served by one server in a second process, as a team's rehearsal server would be, so
the figure is the fleet's own. Printed: the span of the fleet's API calls (first to last, from the
ledger) over the least time one app's calls need at the limits, the 429s, the peak of PostgreSQL's
client connections (pg_stat_activity, sampled every 20 ms) and the fleet process's peak memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

from bench.bench_engine import TARGET_RATIO, _endpoints
from bench.throwaway import throwaway_postgres
from runner.rc.catalog import load_catalog
from runner.rc.limits import GroupLimit, minimum_plan_seconds
from tests.postgres import ConnectionPeak, fresh_database

APPS = int(os.environ.get("RCGRAD_BENCH_APPS", "500"))
ENDPOINTS = 12
CALLS = 5
MAX_CONNECTIONS = 10
MAX_MEMORY_MB = 1024
REPO = Path(__file__).resolve().parent.parent


def _plans(root: Path, hosts: list[dict[str, str]], scopes: list[str], endpoints: list[str]) -> list[str]:
    plans = []
    for n, host in enumerate(hosts):
        (root / f"app{n}.env").write_text(
            f"RC_APP_CLIENT_ID={host['id']}\nRC_APP_CLIENT_SECRET={host['secret']}\nRC_USER_JWT={host['jwt']}\n"
        )
        (root / f"app{n}.yaml").write_text(
            f"app:\n  name: bench app {n}\n  description: A benchmark app that reads account, extension and"
            " user data to measure a fleet of apps at once.\n"
            f"  scopes: [{', '.join(scopes)}]\nserver: {host['url']}\ncredentials: {{env_file: app{n}.env}}\n"
            "endpoints:\n" + "".join(f"  - {e}\n" for e in endpoints)
        )
        plans.append(str(root / f"app{n}.yaml"))
    return plans


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
    with ExitStack() as stack:
        pg = stack.enter_context(throwaway_postgres("fleet: skipped"))
        if pg is None:
            return
        host = subprocess.Popen(
            [sys.executable, "-m", "bench.sandbox_host", str(APPS), ",".join(scopes)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(host.kill)  # a no-op once it has exited
        assert host.stdout is not None and host.stdin is not None
        hosts = [json.loads(host.stdout.readline()) for _ in range(APPS)]
        url = fresh_database(pg, "fleet_bench")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            plans = _plans(root, hosts, scopes, endpoints)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "RCGRAD_"))}
            env.update(RCGRAD_HOME=str(root / "home"), RCGRAD_LEDGER=url)
            peak = ConnectionPeak(url, every=0.02)
            peak.start()
            started = time.perf_counter()
            fleet = subprocess.Popen(
                [sys.executable, "-m", "runner", "graduate", *plans, "--calls", str(CALLS), "-q"],
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            _, status, usage = os.wait4(fleet.pid, 0)
            fleet.returncode = os.waitstatus_to_exitcode(status)
            whole = time.perf_counter() - started
            peak.stop()
            errors = fleet.stderr.read() if fleet.stderr else ""
        host.stdin.close()
        served = json.loads(host.stdout.readline())
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT min(ts), max(ts), sum(count), coalesce(sum(count) FILTER (WHERE status = 429), 0)"
                " FROM calls WHERE kind = 'api'"
            ).fetchone()
            assert row is not None
            first, last, calls, limited = row
            other: dict[int, int] = dict(
                conn.execute(
                    "SELECT status, sum(count) FROM calls WHERE kind = 'api' AND status <> 200 GROUP BY status"
                ).fetchall()
            )
    span = float(last) - float(first)
    bound = minimum_plan_seconds({"Light": ENDPOINTS * CALLS}, {"Light": GroupLimit(50, 60.0)})
    memory = usage.ru_maxrss / 1024
    print(
        f"fleet: {APPS} apps x {ENDPOINTS} Light endpoints x {CALLS}: {calls:,} API calls, exit {fleet.returncode}"
        + (f" ({errors.strip().splitlines()[-1]})" if fleet.returncode and errors.strip() else "")
        + (f"; answers other than 200: {other}" if other else "")
    )
    print(
        f"traffic span {span:6.2f} s  slowest app's bound {bound:5.2f} s  ratio {span / bound:.3f}"
        f"  target {TARGET_RATIO:.2f}  429s {limited} (the sandboxes saw {served['429']})"
    )
    print(
        f"peak PostgreSQL connections {peak.peak} (target <= {MAX_CONNECTIONS})  peak memory"
        f" {memory:,.0f} MB (target < {MAX_MEMORY_MB})  whole command {whole:.1f} s"
    )


if __name__ == "__main__":
    main()
