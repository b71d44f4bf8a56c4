"""The engine at the rate-limit bound: wall time as a ratio to the theoretical least time, and 429s.

Four cases against the local sandbox at a time scale (a 60 s window lasts 1.2 s), each also run the
way a naive runner does it (sequential, with a fixed delay between requests, like Newman's
``--delay-request`` set to the strictest limit):

  (a) 12 Light endpoints x 5 calls: more than one window's worth
  (b) a mix of all groups, Heavy the bottleneck
  (c) a Heavy limit lower than the default, advertised only through the headers
  (d) background traffic taking half of the Light budget

Target: every case at or under 1.10x the bound, with zero 429s.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio
import httpx

from runner.plan.loader import parse_plan
from runner.rc.catalog import load_catalog
from runner.rc.limits import GroupLimit, minimum_plan_seconds
from runner.records import CallRecord
from runner.sandbox import SandboxConfig, running_sandbox
from runner.traffic.budget import ErrorBudget
from runner.traffic.engine import Engine, Job
from runner.traffic.limiter import RateLimits

SCALE = 0.02
WINDOW = 60.0 * SCALE
TARGET_RATIO = 1.10


def _endpoints(group: str, count: int) -> list[str]:
    chosen = [
        op.key
        for op in load_catalog().operations
        if op.group == group
        and op.method == "GET"
        and op.permission
        and not op.query_required
        and all(p.default not in (None, "") for p in op.path_params)
        and (op.response.content_type or "").startswith("application/json")
    ]
    return [key.replace("{accountId}", "~").replace("{extensionId}", "~") for key in chosen[:count]]


CASES: dict[str, tuple[dict[str, tuple[int, int]], SandboxConfig]] = {
    # name: ({group: (endpoints, calls each)}, sandbox)
    "(a) 12 Light x 5": ({"Light": (12, 5)}, SandboxConfig(time_scale=SCALE)),
    "(b) mix, Heavy bottleneck": (
        {"Light": (6, 5), "Medium": (4, 5), "Heavy": (5, 5)},
        SandboxConfig(time_scale=SCALE),
    ),
    "(c) Heavy 5/window, headers only": (
        {"Heavy": (4, 5)},
        SandboxConfig(time_scale=SCALE, limits={"Heavy": 5}),
    ),
    "(d) half the Light budget taken": (
        {"Light": (12, 5)},
        SandboxConfig(time_scale=SCALE, background_load={"Light": 0.5}),
    ),
}


class _StaticToken:
    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[str]:
        yield self._token

    async def on_unauthorized(self, error_code: str | None = None, used_token: str | None = None) -> str:
        return self._token


def _token(url: str, config: SandboxConfig) -> str:
    reply = httpx.post(
        url + "/restapi/oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": config.jwt},
        auth=(config.client_id, config.client_secret),
    )
    return str(reply.json()["access_token"])


def _plan_text(shape: Mapping[str, tuple[int, int]]) -> tuple[str, dict[str, int]]:
    lines = [
        "app: {scopes: [ReadAccounts, ReadContacts, ReadCallLog, ReadPresence, ReadMessages]}",
        "endpoints:",
    ]
    for group, (count, _) in shape.items():
        lines += [f"  - {key}" for key in _endpoints(group, count)]
    return "\n".join(lines) + "\n", {group: count * calls for group, (count, calls) in shape.items()}


def _bound(per_group: Mapping[str, int], config: SandboxConfig) -> float:
    limits = {}
    for group in per_group:
        limit = config.limits.get(group) or {"Light": 50, "Medium": 40, "Heavy": 10}[group]
        limit -= int(limit * config.background_load.get(group, 0.0))
        limits[group] = GroupLimit(limit, WINDOW)
    return minimum_plan_seconds(per_group, limits)


async def _engine(
    url: str, token: str, text: str, calls: Mapping[str, int]
) -> tuple[float, list[CallRecord]]:
    plan = parse_plan(text, Path("bench.yaml"), env={})
    records: list[CallRecord] = []
    per_item = {item.name: calls[item.main.operation.group] for item in plan.endpoints}
    engine = Engine(
        base_url=url,
        tokens=_StaticToken(token),
        limits=RateLimits(),
        budget=ErrorBudget(threshold=0.05, planned=sum(per_item.values())),
        on_record=records.append,
    )
    await engine.run([Job(item, per_item[item.name]) for item in plan.endpoints])
    first = min(r.ts for r in records)
    return max(r.ts for r in records) - first, records


async def _naive(
    url: str, token: str, text: str, calls: Mapping[str, int], delay: float
) -> tuple[float, int]:
    plan = parse_plan(text, Path("bench.yaml"), env={})
    throttled = 0
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        start = time.perf_counter()
        for item in plan.endpoints:
            for _ in range(calls[item.main.operation.group]):
                throttled += (await client.get(item.main.path)).status_code == 429
                await anyio.sleep(delay)
        return time.perf_counter() - start - delay, throttled


def main() -> None:
    print(f"time scale {SCALE}: a 60 s window lasts {WINDOW:.2f} s; target <= {TARGET_RATIO:.2f}x the bound")
    print(
        f"{'case':36} {'requests':>8} {'bound':>7} {'rcgrad':>7} {'ratio':>6} {'429s':>5}   {'naive':>7} {'ratio':>6}"
    )
    for name, (shape, config) in CASES.items():
        text, per_group = _plan_text(shape)
        calls = {group: shape[group][1] for group in shape}
        bound = _bound(per_group, config)
        with running_sandbox(config) as sb:
            token = _token(sb.url, config)
            took, records = anyio.run(_engine, sb.url, token, text, calls)
            throttled = sum(1 for r in records if r.status == 429)
        with running_sandbox(
            SandboxConfig(
                time_scale=config.time_scale, limits=config.limits, background_load=config.background_load
            )
        ) as sb:
            # Newman-style: one fixed delay for every request, sized for the strictest group.
            strictest = min(
                (config.limits.get(g) or {"Light": 50, "Medium": 40, "Heavy": 10}[g])
                * (1 - config.background_load.get(g, 0.0))
                for g in shape
            )
            naive, naive_429 = anyio.run(
                _naive, sb.url, _token(sb.url, sb.config), text, calls, WINDOW / strictest
            )
        ratio = took / bound if bound else float("nan")
        verdict = "ok" if ratio <= TARGET_RATIO and throttled == 0 else "MISSED"
        print(
            f"{name:36} {len(records):>8} {bound:>6.2f}s {took:>6.2f}s {ratio:>5.2f}x {throttled:>5}   "
            f"{naive:>6.2f}s {naive / bound:>5.2f}x  {verdict}"
            + (f" (naive 429s: {naive_429})" if naive_429 else "")
        )


if __name__ == "__main__":
    main()
