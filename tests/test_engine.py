"""The engine on its own: httpx.MockTransport for the server and the manual clock for time.

Pacing, the 429 gate, retries, token renewal, teardown on cancel and the error budget, each in
milliseconds: no sandbox, no uvicorn, no wall-clock waits.
"""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from runner.clock import ManualClock
from runner.plan.model import Item, Step
from runner.rc.catalog import load_catalog
from runner.records import UNKNOWN, CallRecord, Intend
from runner.traffic.budget import ErrorBudget
from runner.traffic.engine import Engine, Job, RunResult
from runner.traffic.giveup import GiveUp, default_deadline
from runner.traffic.limiter import RateLimits
from runner.traffic.retry import RetryPolicy, ServerBackoff

ACCOUNT = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"
CALL_LOG = f"{ACCOUNT}/call-log"  # Heavy: 10 a minute
CONTACTS = f"{ACCOUNT}/address-book/contact"
CONTACT = f"{CONTACTS}/{{contactId}}"
Handler = Callable[[httpx.Request], Any]


def step(method: str, template: str, path: str, **extra: Any) -> Step:
    op = load_catalog().by_key(method, template)
    assert op is not None, template
    return Step(name=f"{method} {path}", method=method, path=path, operation=op, line=1, **extra)


def item(main: Step, *, setup: tuple[Step, ...] = (), teardown: tuple[Step, ...] = ()) -> Item:
    return Item(main.name, main, 1, setup, teardown)


CALL_LOG_STEP = step("GET", CALL_LOG, "/restapi/v1.0/account/~/extension/~/call-log")


class Tokens:
    def __init__(self) -> None:
        self.renewed: list[str | None] = []
        self.token = "t1"

    async def access_token(self) -> str:
        return self.token

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[str]:
        yield await self.access_token()

    async def on_unauthorized(self, error_code: str | None = None, used_token: str | None = None) -> str:
        self.renewed.append(error_code)
        self.token = "t2"
        return self.token


class Server:
    """A scripted server: records (clock time, method, path, bearer) of every request it answers."""

    def __init__(self, clock: ManualClock, answer: Handler) -> None:
        self.clock, self.answer = clock, answer
        self.seen: list[tuple[float, str, str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(
            (self.clock.monotonic(), request.method, request.url.path, request.headers["authorization"])
        )
        response = self.answer(request)
        if hasattr(response, "__await__"):
            response = await response
        assert isinstance(response, httpx.Response)
        return response

    def times(self) -> list[float]:
        return [t for t, *_ in self.seen]


def run(
    jobs: list[Job],
    answer: Handler,
    *,
    clock: ManualClock | None = None,
    budget: ErrorBudget | None = None,
    retry: RetryPolicy | None = None,
    tokens: Tokens | None = None,
    give_up: GiveUp | None = None,
    on_intent: Intend | None = None,
) -> tuple[RunResult, Server, list[CallRecord]]:
    clock = clock or ManualClock()
    server = Server(clock, answer)
    recorded: list[CallRecord] = []
    planned = sum(j.repeats * (1 + len(j.item.setup) + len(j.item.teardown)) for j in jobs)

    async def go() -> RunResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            engine = Engine(
                base_url="http://rc.test",
                tokens=tokens or Tokens(),
                limits=RateLimits(clock=clock),
                budget=budget or ErrorBudget(threshold=0.05, planned=planned),
                on_record=recorded.append,
                on_intent=on_intent,
                retry=retry or RetryPolicy(jitter=0.0),
                clock=clock,
                client=client,
                give_up=give_up,
            )
            return await engine.run(jobs)

    return anyio.run(go), server, recorded


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"records": []})


def most_in_any_window(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


def test_pacing_keeps_every_window_of_a_heavy_group_at_its_limit():
    result, server, recorded = run([Job(item(CALL_LOG_STEP), 25)], ok)
    assert result.statuses == {200: 25} and len(recorded) == 25
    assert most_in_any_window(server.times(), 60.0) <= 10
    assert server.times()[-1] - server.times()[0] >= 120  # 25 calls at 10 a minute: three windows


def test_a_429_shuts_the_group_for_retry_after_then_the_call_is_retried():
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"}, json={"errorCode": "CMN-301"})])

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or ok(request)

    result, server, recorded = run([Job(item(CALL_LOG_STEP), 3)], answer)
    assert result.statuses == {429: 1, 200: 3}
    assert next(r.status for r in recorded) == 429
    refused_at = server.times()[0]
    assert min(t - refused_at for t in server.times()[1:]) >= 30  # nothing sent during the penalty


def test_5xx_is_retried_with_backoff_and_a_4xx_is_never_retried():
    answers = iter([httpx.Response(503, json={}), httpx.Response(503, json={})])

    def flaky(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or ok(request)

    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
    _, server, recorded = run([Job(item(light), 1)], flaky)
    assert [r.status for r in recorded] == [503, 503, 200]
    gaps = [b - a for a, b in itertools.pairwise(server.times())]
    assert gaps[0] == pytest.approx(2.0, abs=0.1) and gaps[1] == pytest.approx(4.0, abs=0.1)

    _result, server, recorded = run([Job(item(light), 1)], lambda r: httpx.Response(404, json={}))
    assert [r.status for r in recorded] == [404]


def test_an_expired_token_is_renewed_once_and_the_call_retried_with_the_new_one():
    expired = {"errorCode": "TokenInvalid", "errors": [{"errorCode": "OAU-128"}]}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer t1":
            return httpx.Response(401, json=expired)
        return ok(request)

    tokens = Tokens()
    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
    _result, server, recorded = run([Job(item(light), 1)], answer, tokens=tokens)
    assert tokens.renewed == ["OAU-128"]
    assert [(r.status, r.error_code) for r in recorded] == [(401, "OAU-128"), (200, None)]
    assert [bearer for *_, bearer in server.seen] == ["Bearer t1", "Bearer t2"]


def test_teardown_deletes_what_was_created_when_the_run_is_cancelled():
    create = step(
        "POST",
        CONTACTS,
        "/restapi/v1.0/account/~/extension/~/address-book/contact",
        json={"firstName": "A"},
        save={"contact_id": "$.id"},
    )
    read = step("GET", CONTACT, "/restapi/v1.0/account/~/extension/~/address-book/contact/{{contact_id}}")
    delete = step(
        "DELETE", CONTACT, "/restapi/v1.0/account/~/extension/~/address-book/contact/{{contact_id}}"
    )
    reading = anyio.Event()
    clock = ManualClock()
    server = Server(clock, ok)
    recorded: list[CallRecord] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"id": 42})
        if request.method == "GET":
            reading.set()
            await anyio.sleep(0.01)  # on the wire when the cancel arrives: it still completes
            return ok(request)
        return httpx.Response(204)

    server.answer = answer

    async def go() -> RunResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            engine = Engine(
                base_url="http://rc.test",
                tokens=Tokens(),
                limits=RateLimits(clock=clock),
                budget=ErrorBudget(threshold=0.05, planned=3),
                on_record=recorded.append,
                clock=clock,
                client=client,
            )
            async with anyio.create_task_group() as tg:
                tg.start_soon(engine.run, [Job(item(read, setup=(create,), teardown=(delete,)), 1)])
                await reading.wait()
                tg.cancel_scope.cancel()
            return engine.result

    result = anyio.run(go)
    assert result.interrupted
    assert [(method, path.rsplit("/", 1)[-1]) for _, method, path, _ in server.seen] == [
        ("POST", "contact"),
        ("GET", "42"),
        ("DELETE", "42"),
    ]
    assert [r.status for r in recorded] == [200, 200, 204]  # the GET on the wire was recorded too


def test_an_endpoint_that_keeps_failing_is_quarantined_and_the_budget_stops_the_run():
    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"errorCode": "CMN-401"})

    # Plenty of good responses in the window: the budget is no limit, the quarantine is. Until an
    # endpoint has answered 2xx, one request at a time; one that never has is quarantined by its
    # first 403: nothing more.
    roomy = ErrorBudget(threshold=0.05, planned=10, prior_responses=1000)
    result, _, recorded = run([Job(item(light), 10)], answer, budget=roomy)
    assert [r.status for r in recorded] == [403]
    assert light.operation.key in result.quarantined and not result.stopped
    assert sum(result.skipped.values()) == 9

    # A small run: one 4xx already puts the ratio over the bar, so nothing else may go after it.
    small = ErrorBudget(threshold=0.05, planned=10)
    result, _, recorded = run([Job(item(light), 10)], answer, budget=small)
    assert [r.status for r in recorded] == [403]
    assert not small.may_send("GET /restapi/v1.0/account/~") and small.stopped

    # A window already at the bar: not one request goes out.
    near = ErrorBudget(threshold=0.05, planned=20, prior_responses=100, prior_4xx=5)
    result, _server, recorded = run([Job(item(light), 20)], answer, budget=near)
    assert recorded == [] and result.stopped


def test_work_is_made_lazily_so_a_huge_run_starts_at_once_and_stops_when_told():
    # Two million repetitions once meant two million tasks before the first request: 12 GB, no
    # request, signals unanswered. Now a fixed crew works them: memory is flat in the count.
    import time
    import tracemalloc

    clock = ManualClock()
    server = Server(clock, ok)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            engine = Engine(
                base_url="http://rc.test",
                tokens=Tokens(),
                limits=RateLimits(clock=clock),
                budget=ErrorBudget(threshold=0.05, planned=2_000_000),
                on_record=lambda record: None,
                retry=RetryPolicy(jitter=0.0),
                clock=clock,
                client=client,
            )
            with anyio.move_on_after(0.5):
                await engine.run([Job(item(CALL_LOG_STEP), 2_000_000)])

    tracemalloc.start()
    started = time.monotonic()
    try:
        anyio.run(go)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert server.seen and time.monotonic() - started < 10
    assert peak < 30 * 1024 * 1024


def test_a_server_that_stopped_answering_ends_the_run_with_a_reason_instead_of_retrying_for_ever():
    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
    result, server, recorded = run([Job(item(light), 50)], dropped, retry=RetryPolicy(jitter=0.0))
    # 50 repetitions of 5 attempts each would be 250 attempts, hours of backoff: it stops at the
    # first attempt that makes the streak both long enough (10) and old enough (60 s).
    assert (
        result.gave_up is not None and "did not answer" in result.gave_up and "ConnectError" in result.gave_up
    )
    assert 10 <= len(server.seen) <= 15 and len(recorded) == len(server.seen)
    assert server.times()[-1] - server.times()[0] >= 60


def test_a_burst_of_drops_shorter_than_the_give_up_is_ridden_out():
    drops = iter(range(12))

    def blip(request: httpx.Request) -> httpx.Response:
        if next(drops, None) is not None:
            raise httpx.ConnectError("connection reset", request=request)
        return ok(request)

    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
    # Twelve drops in a row, but within a few seconds: a restart, not a dead server.
    result, _, _ = run(
        [Job(item(light), 30)], blip, retry=RetryPolicy(attempts=20, initial=0.1, maximum=0.2, jitter=0.0)
    )
    assert result.gave_up is None and result.statuses[200] == 30


def test_the_run_stops_at_its_deadline_and_says_so():
    # 40 Heavy calls need four windows; a deadline of 90 s lets two of them through.
    result, server, recorded = run([Job(item(CALL_LOG_STEP), 40)], ok, give_up=GiveUp(deadline=90.0))
    assert result.gave_up == "gave up: the run passed its deadline of 90 s"
    assert 10 < len(server.seen) < 40 and len(recorded) == len(server.seen)
    assert server.times()[-1] - server.times()[0] < 90


def test_the_default_deadline_leaves_room_for_the_schedule_and_a_few_penalties():
    assert default_deadline(0) == 600 and default_deadline(240) == 1080


def test_every_call_is_stored_before_it_goes_out_and_settled_in_place_when_it_comes_back():
    intents: list[CallRecord] = []
    settled: dict[int, CallRecord] = {}
    on_wire: list[tuple[int, int]] = []  # (intents stored, settled) as each request reached the server

    async def intend(intent: CallRecord) -> Callable[[CallRecord], Awaitable[None]]:
        row = len(intents)
        intents.append(intent)

        async def settle(record: CallRecord) -> None:
            settled.setdefault(row, record)

        return settle

    answers = iter([503, 200, 404])

    def answer(request: httpx.Request) -> httpx.Response:
        on_wire.append((len(intents), len(settled)))
        return httpx.Response(next(answers, 200), json={})

    light = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
    result, server, recorded = run([Job(item(light), 2)], answer, on_intent=intend)
    # Each attempt (a retry too) had its own intent stored, and only its own unsettled, when it went out.
    assert on_wire == [(n, n - 1) for n in range(1, len(server.seen) + 1)]
    assert {i.status for i in intents} == {UNKNOWN} and len(intents) == len(server.seen) == 3
    assert [settled[n] for n in range(3)] == recorded and [r.status for r in recorded] == [503, 200, 404]
    assert all(
        i.ts <= r.ts and (i.method, i.template) == (r.method, r.template)
        for i, r in zip(intents, recorded, strict=True)
    )
    assert result.statuses == {503: 1, 200: 1, 404: 1}


def only_503(retry_after: str) -> Handler:
    return lambda request: httpx.Response(503, headers={"Retry-After": retry_after}, json={})


LIGHT_STEP = step("GET", ACCOUNT, "/restapi/v1.0/account/~/extension/~")
PRESENCE_STEP = step("GET", f"{ACCOUNT}/presence", "/restapi/v1.0/account/~/extension/~/presence")
THREE_ITEMS = [Job(item(LIGHT_STEP), 7), Job(item(PRESENCE_STEP), 7), Job(item(CALL_LOG_STEP), 7)]


def test_a_server_answering_only_503_gets_one_request_per_doubling_pause_and_the_run_gives_up():
    # The sandbox's 503 says Retry-After: 0. Each request honouring it alone made 26 at once.
    result, server, recorded = run(THREE_ITEMS, only_503("0"), retry=RetryPolicy(jitter=0.0))
    times = server.times()
    burst = [t for t in times if t == times[0]]
    # The burst: each item's first try and its immediate retries, until the third 503 in a row
    # (and what was already on the wire then); from there, one request at a time.
    assert len(burst) <= RetryPolicy().burst + len(THREE_ITEMS) - 1
    gaps = [b - a for a, b in itertools.pairwise(times[len(burst) - 1 :])]
    assert gaps == sorted(gaps) and gaps[0] >= 2 and gaps[-1] == 60  # doubling, capped at a minute
    assert result.gave_up is not None and result.gave_up.startswith("gave up: the server did not answer")
    assert len(times) == len(recorded) <= 12


def test_retry_after_holds_the_whole_run_and_the_backoff_grows_past_it():
    result, server, _ = run(THREE_ITEMS, only_503("7"), retry=RetryPolicy(jitter=0.0))
    gaps = [b - a for a, b in itertools.pairwise(server.times())]
    assert min(gaps) >= 7  # every answer asked for 7 s, and no item went early
    assert max(gaps) >= 30  # ... and a server that keeps failing is asked less and less often
    assert result.gave_up is not None and result.gave_up.startswith("gave up:")


def test_a_small_run_that_only_ever_got_503_says_it_gave_up():
    result, _, recorded = run([Job(item(LIGHT_STEP), 1)], only_503("0"), retry=RetryPolicy(jitter=0.0))
    assert [r.status for r in recorded] == [503] * RetryPolicy().attempts
    assert result.gave_up == (
        "gave up: the server did not answer (or answered 5xx) any of the run's 5 attempts, over 2 s"
        " (last: HTTP 503)"
    )
    # One 5xx among answers is not giving up: the run's status line tells of it.
    answers = iter([only_503("0")])
    result, _, _ = run([Job(item(LIGHT_STEP), 2)], lambda r: next(answers, ok)(r))
    assert result.gave_up is None and result.statuses == {503: 1, 200: 2}


def test_the_run_wide_backoff_has_jitter_a_cap_and_a_floor_at_retry_after():
    policy = RetryPolicy(initial=2.0, maximum=60.0, jitter=1.0, burst=1)
    backoff = ServerBackoff(policy, rng=random.Random(7))
    backoff.observe(503, now=0.0)
    assert backoff.resume_at == 0.0 and not backoff.failing  # within the burst: no pause
    backoff.observe(503, now=0.0, retry_after=5.0)
    assert backoff.resume_at == 5.0  # Retry-After beats 2 s + jitter
    for n, now in enumerate((10.0, 20.0, 30.0), start=1):
        backoff.observe(0, now=now)  # no answer counts as a failure too
        assert 2.0 * 2**n <= backoff.resume_at - now <= 2.0 * 2**n + 1.0
    backoff.observe(502, now=100.0, retry_after=3600.0)
    assert backoff.resume_at == 160.0  # both capped at the maximum
    backoff.observe(200, now=101.0)
    assert not backoff.failing and backoff.streak == 0
