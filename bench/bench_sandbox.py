"""Local sandbox throughput: requests per second for a simple GET on loopback (target >= 1,000/s).

The sandbox runs in its own process (``rcgrad sandbox``), as a user would run it. The server's
figure comes from a lean keep-alive client (16 connections, plain asyncio streams) so that the
client is not what is measured; the figure through httpx, which rcgrad itself uses, is printed
beside it for context.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import anyio
import httpx

TARGET_RPS = 1000.0
REQUESTS = 2000
LEAN_REQUESTS = 8000
IN_FLIGHT = 32
PATH = "/restapi/v1.0/account/~/extension/~/presence"


def _start() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        # Limits can only be lowered; a one-in-a-million time scale keeps them out of the way.
        [sys.executable, "-m", "runner", "sandbox", "--time-scale", "0.000001", "--access-ttl", "1e12"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    env = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(4))
    return proc, env


async def _login(client: httpx.AsyncClient, env: dict[str, str]) -> str:
    reply = await client.post(
        "/restapi/oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": env["RC_USER_JWT"]},
        auth=(env["RC_APP_CLIENT_ID"], env["RC_APP_CLIENT_SECRET"]),
    )
    return str(reply.json()["access_token"])


async def _load(env: dict[str, str]) -> float:
    url = env["RC_SERVER_URL"]
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=IN_FLIGHT)) as client:
        token = await _login(client, env)
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(200):  # warm-up: connections open, code paths hot
            await client.get(PATH, headers=headers)
        remaining = REQUESTS
        failures = 0

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0:
                remaining -= 1
                if (await client.get(PATH, headers=headers)).status_code != 200:
                    failures += 1

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(IN_FLIGHT):
                tg.start_soon(worker)
        took = time.perf_counter() - start
        assert failures == 0, f"{failures} failed requests"
        return REQUESTS / took


async def _lean(env: dict[str, str]) -> float:
    host, port = env["RC_SERVER_URL"].removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=env["RC_SERVER_URL"]) as client:
        token = await _login(client, env)
    request = f"GET {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    statuses: list[bytes] = []

    async def connection(count: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(count):
            writer.write(request.encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.append(head[9:12])
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(connection(50) for _ in range(16)))  # warm-up
    statuses.clear()
    start = time.perf_counter()
    await asyncio.gather(*(connection(LEAN_REQUESTS // 16) for _ in range(16)))
    took = time.perf_counter() - start
    assert set(statuses) == {b"200"}, set(statuses)
    return len(statuses) / took


def main() -> None:
    proc, env = _start()
    try:
        lean = asyncio.run(_lean(env))
        through_httpx = anyio.run(_load, env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(
        f"simple GET on loopback: {lean:,.0f} requests/s  target {TARGET_RPS:,.0f}/s  ratio {lean / TARGET_RPS:.2f}"
    )
    print(f"  the same through httpx.AsyncClient (rcgrad's client): {through_httpx:,.0f} requests/s")


if __name__ == "__main__":
    main()
