"""httpx alone on this machine, for the fleet benchmark's span target: how many GETs a second one
process makes with one client per app, as the fleet has, against a server that answers at once (a
canned 200 in a second process), with nothing of rcgrad's per call: no ledger, limiter, retry or
token. No one-process fleet on httpx sends faster than this.

Printed beside it: the rate the fleet's span target asks for. Each app's last calls past one
window's limit go a window plus rcgrad's time margin after its first ones are answered, so a span of
``TARGET_RATIO`` times the bound leaves ``bound * (TARGET_RATIO - 1) - margin`` for every app's first
calls past the limit: ``apps * (calls - limit)`` of them. That is a floor: it leaves out each app's
first call, which goes alone, and every answer's latency.
"""

from __future__ import annotations

import subprocess
import sys
import time

import anyio
import httpx

from bench.bench_engine import TARGET_RATIO
from bench.bench_fleet import APPS, CALLS, ENDPOINTS, REPO
from runner.rc.limits import Margin, default_limit, minimum_plan_seconds
from runner.run.fleet import tuned_for_fleet

ROUNDS = 20  # calls per client: 10,000 in all at 500 apps, enough for a steady figure
WORKERS = 2  # per client: the fleet has about 1,000 calls in flight at once


async def _calls(port: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds for APPS * ROUNDS GETs."""
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") for _ in range(APPS)]
    headers = {"Authorization": "Bearer canned", "Accept": "application/json"}

    async def worker(client: httpx.AsyncClient, left: list[int]) -> None:
        while left[0] > 0:
            left[0] -= 1
            response = await client.get("/restapi/v1.0/account/~", headers=headers)
            response.json()

    started, cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tg:
        for client in clients:
            left = [ROUNDS]
            for _ in range(WORKERS):
                tg.start_soon(worker, client, left)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    for client in clients:
        await client.aclose()
    return wall, cpu


def main() -> None:
    host = subprocess.Popen(
        [sys.executable, "-m", "bench.canned_host"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None and host.stdin is not None
        port = int(host.stdout.readline())
        with tuned_for_fleet(embedded_sandboxes=0):  # the fleet's collector settings
            wall, cpu = anyio.run(_calls, port)
        host.stdin.close()
        host.wait(timeout=10)
    finally:
        if host.poll() is None:
            host.kill()
    light = default_limit("Light")
    assert light is not None
    calls = ENDPOINTS * CALLS
    bound = minimum_plan_seconds({"Light": calls}, {"Light": light})
    room = bound * (TARGET_RATIO - 1) - Margin().edge(light.window)
    needed = APPS * (calls - light.limit) / room
    done = APPS * ROUNDS
    print(f"httpx alone: {done / wall:,.0f} GETs/s, {cpu / done * 1e6:,.0f} us of CPU each")
    print(f"  ({done:,} calls from one process, {APPS} clients, a canned answer)")
    print(f"the fleet's {TARGET_RATIO:.2f}x span asks for at least {needed:,.0f} calls/s")
    print(f"  ({APPS} apps x {calls - light.limit} calls past the limit in {room:.1f} s)")


if __name__ == "__main__":
    main()
