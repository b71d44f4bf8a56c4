"""The token lifecycle: one JWT login, proactive refresh, one refresher at a time, rotation-safe
storage.

``TokenManager.access_token()`` hands out a token valid for at least the refresh margin. The first
caller that finds the token near expiry refreshes it (every other caller, in this process or another
one sharing ``$RCGRAD_HOME``, waits and reuses the result); a dead refresh token means one new JWT
login; a login the server rejects is a ``CredentialsError`` (exit 3) before any API call goes out.
Token calls go through a ``TokenEndpoint`` (the official ``ringcentral`` SDK's, ``auth.sdk``) in a
worker thread, with a time limit, an Auth-group limiter and RingCentral's retry rules (400: never
repeat; 429/503: honour Retry-After; 408/500/timeout: 3 retries 10 s apart). Every token call
becomes an OAuth ``CallRecord``: announced to ``on_intent`` before it goes out (so a killed process
leaves it in the ledger, in the Auth rate window) and settled, then handed to ``on_record``, when it
comes back.

This module must never let a token, the JWT or the client secret reach a log line, a record, an
exception's text or its traceback chain.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import anyio.to_thread
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from runner import redact
from runner.auth.policy import (
    Action,
    TokenCounters,
    TokenError,
    TokenPolicy,
    access_fresh,
    next_action,
    refresh_alive,
)
from runner.auth.sdk import Reply, SdkEndpoint, TokenEndpoint
from runner.auth.store import FileStamp, StoredTokens, TokenStore
from runner.clock import Clock, SystemClock
from runner.errors import CredentialsError
from runner.rc import wire
from runner.records import UNKNOWN, CallRecord, Intend, Kind, Settle, TokenEvent
from runner.retrying import wait_retry_after
from runner.settings import Credentials

if TYPE_CHECKING:  # the shared store imports the ledger; only its name is needed here
    from runner.auth.shared_store import LedgerTokenStore, RowLock
    from runner.locks import ExclusiveLock

log = logging.getLogger("rcgrad.tokens")


class AuthLimiter(Protocol):
    """The Auth-group limiter (``runner.traffic.limiter.GroupLimiter``): token calls count toward 5/min."""

    async def acquire(self) -> Any: ...

    def observe(self, status: int, headers: Mapping[str, str]) -> None: ...


# ---- the manager ---------------------------------------------------------------------------------


class TokenManager:
    """Hands out access tokens for one server, app and user; see the module docstring."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Clock | None = None,
        limiter: AuthLimiter | None = None,
        on_record: Callable[[CallRecord], None] | None = None,
        on_intent: Intend | None = None,
        store: TokenStore | LedgerTokenStore | None = None,
        policy: TokenPolicy | None = None,
        run_id: str = "",
        endpoint: TokenEndpoint | None = None,
    ) -> None:
        redact.register(*credentials.secrets())
        self.credentials = credentials
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or TokenPolicy()
        self.store: TokenStore | LedgerTokenStore = store or TokenStore(
            credentials.server, credentials.client_id
        )
        self.counters = TokenCounters()
        self._limiter = limiter
        self._on_record = on_record
        self._on_intent = on_intent
        self._run_id = run_id
        self._sdk: TokenEndpoint = endpoint or SdkEndpoint(credentials, self.policy.timeout)
        self._lock = anyio.Lock()
        self._current: StoredTokens | None = None
        self._stamp: FileStamp | None = None
        self._obtained_at: float | None = None  # clock.time() of this process's last refresh or login
        self._failure: CredentialsError | None = None
        # Access tokens handed out for requests still on the wire: a refresh kills the old token at
        # once, so it waits for these to come back rather than earn each of them a 401.
        self._leased: Counter[str] = Counter()
        self._returned = anyio.Event()

    async def __aenter__(self) -> TokenManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Nothing to release: the tokens stay stored for the next run (``rcgrad logout`` revokes)."""

    @property
    def current(self) -> StoredTokens | None:
        return self._current

    async def access_token(self) -> str:
        """A token valid for at least the refresh margin; logs in or refreshes (once, shared) if needed."""
        current = self._current
        if current is not None and self._usable(current) and self.store.stamp() == self._stamp:
            return current.access_token
        async with self._lock:
            return await self._ensure(unauthorized=False, used=None)

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[str]:
        """An access token for one request, held until its answer is back (see ``_drain``)."""
        token = await self.access_token()
        self._leased[token] += 1
        try:
            yield token
        finally:
            self._leased[token] -= 1
            if self._leased[token] <= 0:
                del self._leased[token]
                self._returned.set()

    async def _drain(self, token: str) -> None:
        """Wait (bounded by the request timeout) until no request is on the wire with ``token``.

        Called with ``self._lock`` held, so no new request takes the old token meanwhile."""
        with anyio.move_on_after(self.policy.timeout):
            while self._leased.get(token):
                self._returned = anyio.Event()
                await self._returned.wait()

    async def on_unauthorized(self, error_code: str | None = None, used_token: str | None = None) -> str:
        """Last resort after a 401: one refresh (a hygiene defect, recorded as REFRESH_ON_401), unless
        the token that failed has already been replaced, in which case the replacement is returned."""
        used = (
            used_token if used_token is not None else (self._current.access_token if self._current else None)
        )
        log.debug("401 (%s) reported by a caller", error_code or "no code")
        async with self._lock:
            return await self._ensure(unauthorized=True, used=used)

    async def revoke(self) -> bool:
        """Revoke the stored tokens (errors ignored, never retried) and delete them. False if none."""
        async with self._lock, self._process_lock():
            stored = self.store.load()
            if stored is None:
                return False
            redact.register(*stored.secrets())
            reply = await self._send(
                wire.REVOKE_PATH, TokenEvent.REVOKE, lambda now: self._sdk.revoke(stored, now)
            )
            self.counters.revokes += 1
            if reply.error is not None:
                log.warning(
                    "token revoke failed (%s); deleting the stored tokens anyway", reply.error.describe()
                )
            self.store.delete()
            self._current, self._stamp = None, None
            return True

    # ---- internals (called with self._lock held) ----

    def _usable(self, tokens: StoredTokens) -> bool:
        return access_fresh(tokens, self.clock.time(), self.policy)

    async def _ensure(self, *, unauthorized: bool, used: str | None) -> str:
        if self._failure is not None:
            raise self._failure  # never hammer /oauth/token after it refused the credentials
        current = self._current
        if (
            not unauthorized
            and current is not None
            and self._usable(current)
            and self.store.stamp() == self._stamp
        ):
            return current.access_token
        async with self._process_lock():
            # Another process may have logged in or refreshed (rotating the refresh token) meanwhile.
            stored = self.store.load()
            self._adopt(stored)
            now = self.clock.time()
            if unauthorized and stored is not None and self._replaced(stored, used, now):
                return stored.access_token
            action = next_action(stored, now, self.policy)
            if unauthorized and action is Action.USE:
                action = Action.REFRESH if refresh_alive(stored, now, self.policy) else Action.LOGIN  # type: ignore[arg-type]
            if action is Action.USE:
                assert stored is not None
                return stored.access_token
            if action is Action.REFRESH:
                assert stored is not None
                event = TokenEvent.REFRESH_ON_401 if unauthorized else TokenEvent.REFRESH
                if not unauthorized:
                    await self._drain(stored.access_token)
                refreshed = await self._refresh(stored, event)
                if refreshed is not None:
                    return refreshed.access_token
            relogin = stored is not None
            return (await self._login(TokenEvent.RELOGIN if relogin else TokenEvent.LOGIN)).access_token

    def _replaced(self, stored: StoredTokens, used: str | None, now: float) -> bool:
        """Whether a 401 is about a token that has already been replaced (by us or another process)."""
        if not access_fresh(stored, now, self.policy):
            return False
        if used is not None and used != stored.access_token:
            return True
        # Requests sent with the old token can come back after the refresh: don't refresh again for them.
        obtained = self._obtained_at
        return used is None and obtained is not None and now - obtained < self.policy.recent_refresh_grace

    def _adopt(self, stored: StoredTokens | None) -> None:
        if stored is not None:
            redact.register(*stored.secrets())
        self._current = stored
        self._stamp = self.store.stamp()

    async def _refresh(self, stored: StoredTokens, event: TokenEvent) -> StoredTokens | None:
        """The refreshed tokens, or None when the refresh token is dead (the caller logs in again)."""
        try:
            fresh = await self._obtain(event, lambda now: self._sdk.refresh(stored, now))
        except TokenError as exc:
            if exc.status in wire.TOKEN_RATE_LIMITED or exc.status in wire.TOKEN_TRANSIENT:
                raise self._fail(exc, "refresh") from None
            log.info("refresh rejected (%s): logging in again with the JWT", exc.describe())
            return None
        if event is TokenEvent.REFRESH_ON_401:
            self.counters.refresh_on_401 += 1
        else:
            self.counters.refreshes += 1
        return fresh

    async def _login(self, event: TokenEvent) -> StoredTokens:
        try:
            fresh = await self._obtain(event, lambda now: self._sdk.login())
        except TokenError as exc:
            raise self._fail(exc, "login") from None
        if event is TokenEvent.RELOGIN:
            self.counters.relogins += 1
        else:
            self.counters.logins += 1
        return fresh

    async def _obtain(self, event: TokenEvent, call: Callable[[float], Reply]) -> StoredTokens:
        """One token call with RingCentral's retry rules; stores the result before anyone can use it."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.retries + 1),
            wait=wait_retry_after(self._wait_without_retry_after),
            # 400 and friends are never repeated: repeating cannot help and counts against the app.
            retry=retry_if_exception(lambda e: isinstance(e, TokenError) and _retryable(e.status)),
            sleep=self.clock.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        fresh: StoredTokens = await retrying(self._obtain_once, event, call)
        return fresh

    async def _obtain_once(self, event: TokenEvent, call: Callable[[float], Reply]) -> StoredTokens:
        started = self.clock.time()
        reply = await self._send(wire.TOKEN_PATH, event, call)
        if reply.error is not None or reply.data is None:
            raise reply.error or TokenError(reply.status, reason="unreadable token response")
        fresh = _rebase(reply.data, started)
        redact.register(*fresh.secrets())
        self.store.save(fresh)
        self._adopt(fresh)
        self._obtained_at = self.clock.time()
        log.info(
            "%s: access token valid for %.0f s, refresh token for %.0f s",
            event.value,
            fresh.expires_in,
            fresh.refresh_token_expires_in,
        )
        return fresh

    def _wait_without_retry_after(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, TokenError) and error.status in wire.TOKEN_RATE_LIMITED:
            return self.policy.default_retry_after
        return self.policy.retry_delay

    async def _send(self, template: str, event: TokenEvent, call: Callable[[float], Reply]) -> Reply:
        if self._limiter is not None:
            await self._limiter.acquire()
        now = self.clock.time()
        # Stored before the call goes out, and the call shielded (it is bounded by the policy's
        # timeout): no cancellation can leave the intent of a call that was never made.
        intent = self._call_record(template, event, UNKNOWN)
        settle: Settle | None = None
        with anyio.CancelScope(shield=True):
            if self._on_intent is not None:
                settle = await self._on_intent(intent)
            reply = await anyio.to_thread.run_sync(call, now)
        if self._limiter is not None:
            abandon = getattr(self._limiter, "abandon", None)
            if reply.status == 0 and abandon is not None:
                abandon()  # no response: the slot was not spent on the server's side
            elif reply.status:
                self._limiter.observe(reply.status, reply.headers)
        error = reply.error
        log.debug(
            "POST %s (%s) -> %s in %.0f ms",
            template,
            event.value,
            reply.status or (error.reason if error else "?"),
            reply.latency_ms,
        )
        record = self._call_record(
            template,
            event,
            reply.status,
            latency_ms=reply.latency_ms,
            error_code=(reply.error.code or reply.error.error) if reply.error else None,
        )
        if settle is not None:
            with anyio.CancelScope(shield=True):
                await settle(record)
        if self._on_record is not None:
            self._on_record(record)
        return reply

    def _call_record(self, template: str, event: TokenEvent, status: int, **outcome: Any) -> CallRecord:
        return CallRecord(
            ts=self.clock.time(),
            method="POST",
            template=template,
            status=status,
            group=wire.AUTH_GROUP,
            permission=None,
            kind=Kind.OAUTH,
            run_id=self._run_id,
            event=event,
            **outcome,
        )

    def _fail(self, error: TokenError, what: str) -> CredentialsError:
        server = self.credentials.server
        if error.status in wire.TOKEN_RATE_LIMITED or error.status in wire.TOKEN_TRANSIENT:
            message = (
                f"the token endpoint of {server} keeps failing ({error.describe()}) after "
                f"{self.policy.retries + 1} attempts; API traffic is held back"
            )
        else:
            if error.code in wire.CLIENT_CODES or error.error in wire.CLIENT_ERRORS:
                names = "RC_APP_CLIENT_ID and RC_APP_CLIENT_SECRET"
            else:
                names = "RC_USER_JWT"
            message = f"{what} rejected by {server} ({error.describe()}): check {names}"
            # A rejected login will be rejected again: fail fast for every later caller.
            self._failure = CredentialsError(message)
        return CredentialsError(message)

    def _process_lock(self) -> _ProcessLock:
        return _ProcessLock(self.store)


class _ProcessLock:
    """The store's lock, polled so the event loop keeps running (and a cancelled waiter stops) while we wait."""

    def __init__(self, store: TokenStore | LedgerTokenStore) -> None:
        self._lock: ExclusiveLock | RowLock = store.lock()

    async def __aenter__(self) -> None:
        await self._lock.acquire_async(on_wait=lambda: log.info("waiting for the token lock"))

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()


def _retryable(status: int) -> bool:
    return status in wire.TOKEN_RATE_LIMITED or status in wire.TOKEN_TRANSIENT


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    what = error.describe() if isinstance(error, TokenError) else type(error).__name__
    log.warning("token endpoint failed (%s); retrying in %.0f s", what, wait)


def _rebase(data: Mapping[str, Any], issued_at: float) -> StoredTokens:
    """The SDK's auth data with expiry times counted from when the request left, on rcgrad's clock."""
    rebased = dict(data)
    rebased["expire_time"] = issued_at + float(data.get("expires_in") or 0)
    if data.get("refresh_token"):
        rebased["refresh_token_expire_time"] = issued_at + float(data.get("refresh_token_expires_in") or 0)
    return StoredTokens(rebased)
