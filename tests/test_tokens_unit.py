"""The token manager on a fake token endpoint and the manual clock: no sandbox, no socket, no wait.

Its integration twin (``test_tokens_manager``) drives the official SDK against the local sandbox;
these pin the decisions themselves: one login for many callers, a refresh before expiry and never
after a 401 unless one comes, a dead refresh token costing one login, a refused JWT stopping
everything (exit 3), a 429 on the token endpoint waited out as Retry-After says.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import anyio
import pytest

from runner.auth.policy import TokenPolicy
from runner.auth.sdk import Reply
from runner.auth.store import StoredTokens, TokenStore
from runner.auth.tokens import TokenManager
from runner.clock import ManualClock
from runner.errors import CredentialsError
from runner.records import CallRecord, TokenEvent
from runner.settings import Credentials

HOUR = 3600.0
CREDENTIALS = Credentials("https://platform.ringcentral.com", "client-id", "client-secret-x", "jwt.value.x")


class FakeEndpoint:
    """Answers like RingCentral's token endpoint; ``refuse`` and ``rate_limit`` script failures."""

    def __init__(self, *, access_ttl: float = HOUR, refresh_ttl: float = 7 * 24 * HOUR) -> None:
        self.calls: list[str] = []
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.refuse_login = False
        self.rate_limited = 0  # the next N calls answer 429 with Retry-After: 7
        self._serial = itertools.count(1)

    def _grant(self) -> Reply:
        n = next(self._serial)
        data = {
            "access_token": f"access-token-{n:04d}",
            "refresh_token": f"refresh-token-{n:04d}",
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "refresh_token_expires_in": self.refresh_ttl,
            "scope": "ReadAccounts",
        }
        return Reply(200, {}, 1.0, data)

    def _answer(self, what: str) -> Reply:
        from runner.auth.policy import TokenError

        self.calls.append(what)
        if self.rate_limited:
            self.rate_limited -= 1
            return Reply(429, {"Retry-After": "7"}, 1.0, error=TokenError(429, retry_after=7.0))
        if what == "login" and self.refuse_login:
            return Reply(400, {}, 1.0, error=TokenError(400, "invalid_grant", "OAU-140"))
        return self._grant()

    def login(self) -> Reply:
        return self._answer("login")

    def refresh(self, tokens: StoredTokens, now: float) -> Reply:
        return self._answer("refresh")

    def revoke(self, tokens: StoredTokens, now: float) -> Reply:
        self.calls.append("revoke")
        return Reply(200, {}, 1.0)


def _manager(endpoint: FakeEndpoint, clock: ManualClock, tmp_path: Path, **kw: Any) -> TokenManager:
    store = TokenStore(CREDENTIALS.server, CREDENTIALS.client_id, home=tmp_path)
    return TokenManager(CREDENTIALS, clock=clock, endpoint=endpoint, store=store, **kw)


def test_fifty_concurrent_callers_share_one_login(tmp_path: Path):
    endpoint, clock = FakeEndpoint(), ManualClock()
    tokens = _manager(endpoint, clock, tmp_path)
    seen: list[str] = []

    async def main() -> None:
        async def one() -> None:
            seen.append(await tokens.access_token())

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(one)

    anyio.run(main)
    assert endpoint.calls == ["login"] and set(seen) == {"access-token-0001"}


def test_a_token_is_refreshed_before_it_expires_and_a_dead_refresh_token_costs_one_login(tmp_path: Path):
    endpoint, clock = FakeEndpoint(access_ttl=HOUR, refresh_ttl=2 * HOUR), ManualClock()
    tokens = _manager(endpoint, clock, tmp_path)
    assert anyio.run(tokens.access_token) == "access-token-0001"
    clock.advance(HOUR - 60)  # inside the margin (a tenth of the hour): refreshed before it dies
    assert anyio.run(tokens.access_token) == "access-token-0002"
    clock.advance(3 * HOUR)  # both tokens dead: a new JWT login, never a refresh with a dead token
    assert anyio.run(tokens.access_token) == "access-token-0003"
    assert endpoint.calls == ["login", "refresh", "login"]
    assert tokens.counters.refresh_on_401 == 0


def test_a_refused_jwt_is_exit_3_and_nothing_else_is_sent(tmp_path: Path):
    endpoint, clock = FakeEndpoint(), ManualClock()
    endpoint.refuse_login = True
    tokens = _manager(endpoint, clock, tmp_path)
    with pytest.raises(CredentialsError) as refused:
        anyio.run(tokens.access_token)
    assert refused.value.exit_code == 3 and "RC_USER_JWT" in str(refused.value)
    assert endpoint.calls == ["login"]  # a 400 is never repeated


def test_a_429_from_the_token_endpoint_is_waited_out_as_retry_after_says(tmp_path: Path):
    endpoint, clock = FakeEndpoint(), ManualClock()
    endpoint.rate_limited = 1
    records: list[CallRecord] = []
    tokens = _manager(endpoint, clock, tmp_path, on_record=records.append, policy=TokenPolicy())
    started = clock.monotonic()
    assert anyio.run(tokens.access_token) == "access-token-0001"
    assert clock.monotonic() - started >= 7.0  # the manual clock ran through the wait
    assert [(r.status, r.event) for r in records] == [(429, TokenEvent.LOGIN), (200, TokenEvent.LOGIN)]
