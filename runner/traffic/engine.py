"""The traffic engine: runs plan items at the rate-limit bound and records every call as it completes.

It composes four things it does not own: the plan's steps (what to send), one limiter per throttling
group (when), the retry policy (what to do about a 5xx or a dropped connection) and the token
manager (with what credential). Every attempt is announced to ``on_intent`` before it goes on the
wire (the ledger stores it durably, as sent with an unknown answer) and settled with its outcome,
then handed to ``on_record``, the moment it completes: a run killed at any instant loses nothing it
sent.

It must never send a request it knows is bound to fail: a step whose capture is missing is skipped,
an endpoint with two 4xx in a row is quarantined, a closed rate gate is waited out, and the run
stops before one more 4xx could push the window's ratio to the bar (``runner.traffic.budget``). It gives
up, with a reason, past its deadline or when the server has stopped answering (``runner.traffic.giveup``).
Teardown steps run whatever happens: on failure, on Ctrl-C, on timeout, on giving up.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import httpx

from runner.clock import Clock, SystemClock
from runner.jsonpath import extract
from runner.rc import wire
from runner.rc.wire import Endpoint, ItemShape, Limiter, Limits, RenderedRequest, StepShape
from runner.records import UNKNOWN, CallRecord, Intend, Kind, Settle
from runner.tls import client_tls
from runner.traffic.budget import ErrorBudget
from runner.traffic.giveup import GiveUp, GiveUpWatch
from runner.traffic.retry import Disposition, RetryPolicy, ServerBackoff, classify, retrying

log = logging.getLogger("rcgrad.engine")

MAX_BODY_BYTES = 8 * 1024 * 1024  # captures never need more; binary downloads are drained, not kept
# Cleanup may have to wait for a rate-limit slot (a whole window, 60 s) before it can delete what a
# repetition created; leaving live data behind is worse than the wait. A second Ctrl-C abandons it.
TEARDOWN_SECONDS = 90.0
# Repetitions of one item in flight at once: the connection pool's size; the limiter paces them.
WORKERS_PER_JOB = 64


class TokenSource(Protocol):
    async def access_token(self) -> str: ...
    def lease(self) -> AbstractAsyncContextManager[str]: ...
    async def on_unauthorized(self, error_code: str | None = None, used_token: str | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class Job:
    item: ItemShape
    repeats: int


@dataclass(slots=True)
class RunResult:
    run_id: str
    statuses: Counter[int] = field(default_factory=Counter)  # per attempt that reached the wire (0: none)
    skipped: Counter[str] = field(default_factory=Counter)  # "step name: why" -> times
    quarantined: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None
    gave_up: str | None = None  # the deadline passed, or the server stopped answering
    interrupted: bool = False

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate_limited(self) -> int:
        return self.statuses.get(429, 0)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A 4xx as it came back: the request, the status, RingCentral's code and message (for a
    person, through the redactor: a message can echo what was sent, so it never goes to the ledger)."""

    method: str
    path: str
    status: int
    code: str | None
    message: str | None


def _log_refusal(refusal: Refusal) -> None:
    log.warning(
        "%s %s -> %s %s: %s",
        refusal.method,
        refusal.path,
        refusal.status,
        refusal.code or "(no error code)",
        refusal.message or "(no message)",
    )


class _Skip(Exception):
    """A step that will not be sent; the reason is user-facing."""


@dataclass(slots=True)
class _Outcome:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: BaseException | None = None

    @property
    def disposition(self) -> Disposition:
        return classify(self.status, self.error)

    @property
    def retry_after(self) -> float | None:
        return wire.retry_after(self.headers) if wire.is_5xx(self.status) else None


class Engine:
    def __init__(
        self,
        *,
        base_url: str,
        tokens: TokenSource,
        limits: Limits,
        budget: ErrorBudget,
        on_record: Callable[[CallRecord], None],
        on_intent: Intend | None = None,
        on_item: Callable[[str, bool], None] | None = None,
        on_refused: Callable[[Refusal], None] | None = None,
        variables: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        run_id: str | None = None,
        timeout: float = 30.0,
        give_up: GiveUp | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._limits = limits
        self._budget = budget
        self._on_record = on_record
        self._on_intent = on_intent
        self._on_item = on_item or (lambda name, completed: None)
        self._on_refused = on_refused or _log_refusal
        self._variables = dict(variables or {})
        self._retry = retry or RetryPolicy()
        self._backoff = ServerBackoff(self._retry)  # the whole run's pause while the server fails
        self._turn = anyio.Lock()  # while it fails, one attempt at a time
        self._clock = clock or SystemClock()
        self._client = client
        self._timeout = timeout
        self.result = RunResult(run_id=run_id or uuid.uuid4().hex[:12])
        self._proven: set[str] = set()  # endpoints that answered 2xx in this run
        self._gates: dict[str, anyio.Lock] = {}
        self._renewing: anyio.Event | None = None  # set while a refused token is being replaced
        self._give_up = give_up or GiveUp()
        self._watch = GiveUpWatch(self._give_up, started=self._clock.monotonic())
        self._scope: anyio.CancelScope | None = None  # the run's, cancelled when it gives up

    async def run(self, jobs: Iterable[Job]) -> RunResult:
        """Run every repetition of every job; groups progress in parallel, each at its own bound."""
        owned = self._client is None
        client = self._client or httpx.AsyncClient(
            verify=client_tls(),  # one context for every app's client
            timeout=self._timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            follow_redirects=False,
        )
        self._watch = GiveUpWatch(self._give_up, started=self._clock.monotonic())
        try:
            async with anyio.create_task_group() as tg:
                self._scope = tg.cancel_scope
                # Tasks are started in job order; callers put the bottleneck group first so its
                # limiter starts filling its window before anything else queues.
                for job in jobs:
                    if job.item.teardown:
                        # A create/read/delete chain may capture a shared record (the newest fax)
                        # and delete it: its repetitions run one after another.
                        tg.start_soon(self._run_serially, client, job)
                    else:
                        # A fixed crew of workers takes repetitions from one counter: memory stays
                        # flat in the number of calls (two million tasks up front took 12 GB).
                        left = [job.repeats]
                        for _ in range(min(job.repeats, WORKERS_PER_JOB)):
                            tg.start_soon(self._run_repeats, client, job.item, left)
            if not self.result.interrupted:
                self._watch.finish(self._clock.monotonic())
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, anyio.get_cancelled_exc_class())):
                self.result.interrupted = True
            raise
        finally:
            self.result.quarantined = dict(self._budget.quarantined)
            self.result.stopped = self._budget.stopped
            self.result.gave_up = self._watch.reason
            if owned:
                with anyio.CancelScope(shield=True):
                    await client.aclose()
        return self.result

    async def _run_repeats(self, client: httpx.AsyncClient, item: ItemShape, left: list[int]) -> None:
        while left[0] > 0:
            left[0] -= 1
            await self._run_item(client, item)

    async def _run_serially(self, client: httpx.AsyncClient, job: Job) -> None:
        for _ in range(job.repeats):
            await self._run_item(client, job.item)

    async def _run_item(self, client: httpx.AsyncClient, item: ItemShape) -> None:
        values: dict[str, Any] = dict(self._variables)
        # Asked before anything goes out: a step the budget would refuse later must not leave a
        # create behind it that the item was only sending for.
        closed = next(
            (
                s
                for s in (*item.setup, item.main)
                if not self._budget.may_send(s.operation.key, proven=s.operation.key in self._proven)
            ),
            None,
        )
        if closed is not None:
            # A skipped item sends nothing: not even the create its main step would have needed.
            for step in (*item.setup, item.main, *item.teardown):
                self._skip(
                    step, f"item skipped: {self._budget.reason(closed.operation.key) or 'error budget spent'}"
                )
            self._on_item(item.name, False)
            return
        interrupted = False
        completed = False
        try:
            for step in (*item.setup, item.main):
                if not await self._run_step(client, step, values):
                    break
            else:
                completed = True
        except BaseException as exc:
            interrupted = isinstance(exc, (KeyboardInterrupt, anyio.get_cancelled_exc_class()))
            raise
        finally:
            # Shielded so a Ctrl-C or a timeout still deletes what this repetition created.
            with anyio.CancelScope(shield=True), anyio.move_on_after(TEARDOWN_SECONDS):
                for step in item.teardown:
                    await self._run_step(client, step, values, cleanup=True, interrupted=interrupted)
            self._on_item(item.name, completed)

    async def _run_step(
        self,
        client: httpx.AsyncClient,
        step: StepShape,
        values: dict[str, Any],
        *,
        cleanup: bool = False,
        interrupted: bool = False,
    ) -> bool:
        """Send one step; False when it was skipped (and the item's later steps must not run)."""
        missing = sorted(step.needs() - values.keys())
        if missing:
            cause = (
                "the run was interrupted before the step that saves it"
                if interrupted
                else "an earlier step failed"
            )
            self._skip(step, f"capture {', '.join(missing)} is missing ({cause})")
            return False
        answers: list[_Outcome] = []
        try:
            request = step.render(values)
        except wire.UnsendableValue as why:
            self._skip(step, str(why))
            return False
        try:
            outcome = await self._send(client, step, request, cleanup=cleanup, answers=answers)
        except _Skip as why:
            self._skip(step, str(why))
            return False
        except anyio.get_cancelled_exc_class():
            # Interrupted after an answer came back (a create, say): keep its captures, so the
            # teardown can still delete what it made.
            if answers:
                self._capture(step, answers[-1], values)
            raise
        self._capture(step, outcome, values)
        return True

    def _capture(self, step: StepShape, outcome: _Outcome, values: dict[str, Any]) -> None:
        if not _expected(step, outcome.status):
            return
        for name, expression in step.save.items():
            value = _extract(expression, outcome.body)
            if value is None:
                log.warning("%s: could not capture %s from %s", step.name, name, expression)
            else:
                values[name] = value

    def _skip(self, step: StepShape, why: str) -> None:
        self.result.skipped[f"{step.name}: {why}"] += 1

    async def _send(
        self,
        client: httpx.AsyncClient,
        step: StepShape,
        request: RenderedRequest,
        *,
        cleanup: bool,
        answers: list[_Outcome],
    ) -> _Outcome:
        op = step.operation
        limiter = self._limits.for_group(op.group)
        refreshed_on_401 = False

        last_status = 0

        async def attempt() -> _Outcome:
            nonlocal refreshed_on_401, last_status
            while True:
                # A retry after a 429's penalty or with a fresh token is not a new risk: the first
                # answer is already counted, and the cause is gone.
                proven = op.key in self._proven or last_status in (401, 429)
                self._heed_give_up(cleanup)
                if not self._budget.may_send(op.key, cleanup=cleanup, proven=proven):
                    raise _Skip(self._budget.reason(op.key) or "error budget spent")
                outcome, token = await self._on_the_wire(
                    client, op, request, limiter, step.permission, cleanup=cleanup, answers=answers
                )
                code = wire.error_code(outcome.body)
                if outcome.status == 401 and code in wire.EXPIRED_TOKEN_CODES and not refreshed_on_401:
                    # Last resort, and a hygiene defect the token manager records: one refresh, one retry.
                    refreshed_on_401 = True
                    last_status = outcome.status
                    self._budget.settled(op.key, outcome.status, retryable=True)
                    await self._renew(code, token)
                    continue
                self._budget.settled(
                    op.key, outcome.status, retryable=outcome.disposition is not Disposition.GIVE_UP
                )
                last_status = outcome.status
                return outcome

        async def with_retries() -> _Outcome:
            outcome: _Outcome = await retrying(self._retry, self._clock)(attempt)
            return outcome

        # Until an endpoint has answered 2xx in this run, one request (with its retries) at a time:
        # a wrong id or a missing permission then costs one or two 4xx, not a burst of them.
        if op.key in self._proven:
            return await with_retries()
        async with self._gates.setdefault(op.key, anyio.Lock()):
            if op.key not in self._proven:
                outcome = await with_retries()
                if wire.is_success(outcome.status):
                    self._proven.add(op.key)
                return outcome
        return await with_retries()

    async def _on_the_wire(
        self,
        client: httpx.AsyncClient,
        op: Endpoint,
        request: RenderedRequest,
        limiter: Limiter | None,
        permission: str | None,
        *,
        cleanup: bool,
        answers: list[_Outcome],
    ) -> tuple[_Outcome, str]:
        """One attempt: the server's turn, a rate-limit slot, a leased token, the request; then what
        its answer teaches the pacing and the give-up watch. Returns the outcome and the token used."""
        async with self._server_turn(cleanup):
            if limiter is not None:
                await limiter.acquire()
                self._heed_give_up(cleanup)  # the wait for a slot may have been long
            if self._renewing is not None:
                await self._renewing.wait()  # a token was just refused: nothing new goes out with it
            async with self._tokens.lease() as token:  # held while on the wire: see TokenManager
                outcome = await self._attempt(client, op, request, token, permission)
            answers.append(outcome)  # before any other await: a cancellation must not lose it
            self._backoff.observe(outcome.status, self._clock.monotonic(), outcome.retry_after)
        error = type(outcome.error).__name__ if outcome.error is not None else None
        if self._watch.observe(outcome.status, self._clock.monotonic(), error) and not cleanup:
            self._stop_run()
        if limiter is not None:
            if outcome.status == 0:
                limiter.abandon()
            else:
                limiter.observe(outcome.status, outcome.headers)
        return outcome, token

    @asynccontextmanager
    async def _server_turn(self, cleanup: bool) -> AsyncIterator[None]:
        """Held from before an attempt's slot until its answer is known. While the server answers
        only 5xx (or nothing), the whole run waits out its pause (``ServerBackoff``) and then lets
        one attempt go alone: a pause must not end in a burst of every waiting request."""
        held = False
        while True:
            while (pause := self._backoff.resume_at - self._clock.monotonic()) > 0:
                await self._clock.sleep(pause)
                self._heed_give_up(cleanup)
            if not self._backoff.failing:
                break
            await self._turn.acquire()
            if not self._backoff.failing:
                self._turn.release()  # the server answered meanwhile: no more turns
                break
            if self._backoff.resume_at <= self._clock.monotonic():
                held = True
                break
            self._turn.release()  # the attempt before ours failed again: a new pause first
        try:
            yield
        finally:
            if held:
                self._turn.release()

    def _heed_give_up(self, cleanup: bool) -> None:
        """Past the deadline, or with a server that stopped answering, nothing new goes out; a
        teardown still tries (its own time bound is TEARDOWN_SECONDS)."""
        reason = self._watch.check_deadline(self._clock.monotonic())
        if reason is None or cleanup:
            return
        self._stop_run()
        raise _Skip(reason)

    def _stop_run(self) -> None:
        # Cancelling wakes every repetition waiting for a slot or a retry; teardowns are shielded.
        if self._scope is not None:
            self._scope.cancel()

    async def _renew(self, code: str | None, token: str) -> None:
        if self._renewing is not None:
            await self._renewing.wait()
            return
        self._renewing = anyio.Event()
        try:
            await self._tokens.on_unauthorized(code, used_token=token)
        finally:
            self._renewing.set()
            self._renewing = None

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        op: Endpoint,
        request: RenderedRequest,
        token: str,
        permission: str | None,
    ) -> _Outcome:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **request.headers}
        # Built before the intent is written: a request that cannot be built never goes out.
        outgoing = client.build_request(
            request.method,
            self._base_url + request.path,
            params=dict(request.query) or None,
            json=request.json,
            headers=headers,
        )
        started = self._clock.monotonic()
        status: int = 0
        body: Any = None
        response_headers: Mapping[str, str] = {}
        error: BaseException | None = None
        self._budget.sending()
        intent = self._call_record(op, permission, UNKNOWN)
        settle: Settle | None = None
        # Stored, and committed, before the request goes out: if the process dies from here on,
        # the call is in the ledger as sent with an unknown answer. Shielded from the intent on: a
        # request on the wire finishes (within the timeout) even if the run is cancelled, its
        # answer is recorded and a created record's id reaches the teardown; and no cancellation
        # leaves the intent of a call that was never made.
        try:
            with anyio.CancelScope(shield=True):
                if self._on_intent is not None:
                    settle = await self._on_intent(intent)
                response = await client.send(outgoing, stream=True)
                try:
                    status, response_headers = response.status_code, response.headers
                    body = await _read_bounded(response)
                finally:
                    await response.aclose()
        except httpx.HTTPError as exc:  # transport errors, timeouts, protocol errors, bad bodies
            error = exc
            status = status if status and isinstance(exc, httpx.DecodingError) else 0
            log.info("%s %s: %s", request.method, request.path, type(exc).__name__)
        latency = (self._clock.monotonic() - started) * 1000
        record = self._call_record(
            op, permission, status, latency_ms=round(latency, 1), error_code=wire.error_code(body)
        )
        self.result.statuses[status] += 1
        if settle is not None:
            with anyio.CancelScope(shield=True):
                await settle(record)
        self._on_record(record)
        if wire.is_4xx(status):
            # Explained where it happens: what was refused and RingCentral's own words for why.
            self._on_refused(
                Refusal(request.method, request.path, status, record.error_code, wire.error_message(body))
            )
        log.debug("%s %s -> %s in %.0f ms", request.method, request.path, status or "no response", latency)
        return _Outcome(status, body, response_headers, error)

    def _call_record(self, op: Endpoint, permission: str | None, status: int, **outcome: Any) -> CallRecord:
        return CallRecord(
            ts=self._clock.time(),
            method=op.method,
            template=op.path,
            status=status,
            group=op.group,
            permission=permission,  # the step's: a rule may put a call under another permission
            kind=Kind.OAUTH if wire.is_oauth(op.path) else Kind.API,
            run_id=self.result.run_id,
            operation_id=op.id,
            **outcome,
        )


async def _read_bounded(response: httpx.Response) -> Any:
    """JSON bodies up to MAX_BODY_BYTES are parsed; anything else is drained and dropped."""
    content_type = response.headers.get("content-type", "")
    keep = "json" in content_type
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if keep and size <= MAX_BODY_BYTES:
            chunks.append(chunk)
    if not keep or size > MAX_BODY_BYTES:
        return None
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return None  # a truncated or non-JSON body: the status still counts, captures will be missing


def _expected(step: StepShape, status: int) -> bool:
    if step.expect is not None:
        return status == step.expect
    return wire.is_success(status)


def _extract(expression: str, body: Any) -> Any:
    try:
        return extract(expression, body)
    except (LookupError, ValueError, TypeError):
        return None
