"""Whole items in the engine: a skipped item sends nothing, and an interrupted one says so.

On ``httpx.MockTransport`` and the manual clock, like ``test_engine``.
"""

from __future__ import annotations

import anyio
import httpx

from runner.clock import ManualClock
from runner.traffic.budget import ErrorBudget
from runner.traffic.engine import Engine, Job
from runner.traffic.limiter import RateLimits
from runner.traffic.retry import RetryPolicy
from tests.test_engine import CONTACT, CONTACTS, Server, Tokens, item, run, step

CREATE = step(
    "POST", CONTACTS, "/restapi/v1.0/account/~/extension/~/address-book/contact", save={"id": "$.id"}
)
MISSING = step("GET", CONTACT, "/restapi/v1.0/account/~/extension/~/address-book/contact/999")
DELETE = step("DELETE", CONTACT, "/restapi/v1.0/account/~/extension/~/address-book/contact/{{id}}")


def test_an_item_the_budget_would_refuse_sends_not_even_its_create():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"id": 42})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(404, json={"errorCode": "CMN-102", "message": "Resource not found"})

    roomy = ErrorBudget(threshold=0.05, planned=20, prior_responses=1000)
    chain = item(MISSING, setup=(CREATE,), teardown=(DELETE,))
    result, server, _ = run([Job(chain, 5)], answer, budget=roomy)
    posts = [path for _, method, path, _ in server.seen if method == "POST"]
    assert len(posts) == 2  # two 404s in a row quarantine the read; the three items after send nothing
    assert MISSING.operation.key in result.quarantined
    assert any("item skipped" in why for why in result.skipped)


def test_a_teardown_cut_off_by_an_interrupt_says_so():
    clock = ManualClock()
    slow_create = step(
        "POST", CONTACTS, "/restapi/v1.0/account/~/extension/~/address-book/contact", save={"first": "$.id"}
    )
    chain = item(MISSING, setup=(slow_create, CREATE), teardown=(DELETE,))

    async def answer(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)  # on the wire when the cancel arrives
        return httpx.Response(200, json={"id": 7})

    server = Server(clock, answer)

    async def go() -> Engine:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            engine = Engine(
                base_url="http://rc.test",
                tokens=Tokens(),
                limits=RateLimits(clock=clock),
                budget=ErrorBudget(threshold=0.05, planned=4),
                on_record=lambda record: None,
                retry=RetryPolicy(jitter=0.0),
                clock=clock,
                client=client,
            )
            async with anyio.create_task_group() as tg:
                tg.start_soon(engine.run, [Job(chain, 1)])
                await anyio.sleep(0.01)
                tg.cancel_scope.cancel()
            return engine

    engine = anyio.run(go)
    reasons = list(engine.result.skipped)
    assert reasons and all("interrupted" in why for why in reasons), reasons
    assert not any("an earlier step failed" in why for why in reasons)
