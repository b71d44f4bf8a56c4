"""The token manager against the local sandbox over loopback: one login, proactive refresh, rotation,
recovery from a dead refresh token, and credentials the server rejects."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from runner.auth.policy import TokenPolicy
from runner.auth.store import TokenStore
from runner.auth.tokens import TokenManager
from runner.clock import ManualClock
from runner.errors import CredentialsError
from runner.rc.wire import REVOKE_PATH as REVOKE_TEMPLATE
from runner.rc.wire import TOKEN_PATH as TOKEN_TEMPLATE
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.server import free_port
from runner.settings import Credentials

pytestmark = pytest.mark.loopback

API = "/restapi/v1.0/account/~/extension/~"
HOUR = 3600.0


def sandbox_log(sb: Any) -> list[dict[str, Any]]:
    body = httpx.get(f"{sb.url}/__sandbox/log", headers=sb.control_headers).json()
    return list(body["records"] if isinstance(body, dict) else body)


def token_calls(sb: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox_log(sb) if str(r["template"]).startswith("/restapi/oauth/token")]


def api_calls(sb: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox_log(sb) if not str(r["template"]).startswith("/restapi/oauth/")]


def call_api(sb: Any, token: str) -> httpx.Response:
    return httpx.get(f"{sb.url}{API}", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock: ManualClock) -> Iterator[Any]:
    with running_sandbox(
        SandboxConfig(access_token_ttl=HOUR, refresh_token_ttl=4 * HOUR, clock=clock)
    ) as handle:
        yield handle


def manager(sb: Any, clock: ManualClock, records: list[CallRecord] | None = None, **kw: Any) -> TokenManager:
    sink = records.append if records is not None else None
    return TokenManager(sb.credentials(), clock=clock, on_record=sink, **kw)


def test_fifty_concurrent_callers_share_one_login(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)
    seen: list[str] = []

    async def main() -> None:
        async def one() -> None:
            seen.append(await tokens.access_token())

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(one)

    anyio.run(main)
    assert len(seen) == 50 and len(set(seen)) == 1
    assert len(token_calls(sb)) == 1
    assert tokens.counters.as_dict() == {
        "logins": 1,
        "relogins": 0,
        "refreshes": 0,
        "refresh_on_401": 0,
        "revokes": 0,
    }
    [record] = records
    assert (record.kind, record.template, record.group, record.status, record.event) == (
        Kind.OAUTH,
        TOKEN_TEMPLATE,
        "Auth",
        200,
        TokenEvent.LOGIN,
    )
    assert call_api(sb, seen[0]).status_code == 200


def test_refreshes_before_expiry_so_no_call_ever_gets_a_401(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)

    async def walk() -> list[int]:
        statuses = []
        # Over two and a half hours in 4-minute steps (less than the 6-minute margin of a 1-hour token),
        # the token must be renewed at least twice and never be late.
        for _ in range(40):
            statuses.append(call_api(sb, await tokens.access_token()).status_code)
            clock.advance(240)
        return statuses

    statuses = anyio.run(walk)
    assert set(statuses) == {200}
    assert tokens.counters.logins == 1 and tokens.counters.refreshes >= 2
    assert tokens.counters.refresh_on_401 == 0 and tokens.counters.relogins == 0
    assert [r.event for r in records][:2] == [TokenEvent.LOGIN, TokenEvent.REFRESH]
    assert all(r.status == 200 and r.kind is Kind.OAUTH for r in records)
    assert not [r for r in api_calls(sb) if r["status"] == 401]
    status = httpx.get(f"{sb.url}/__sandbox/status", headers=sb.control_headers).json()
    [hygiene] = [c for c in status["criteria"] if c["name"] == "token_hygiene"]
    assert hygiene["met"] and hygiene["value"] == 0  # the server-side judge agrees: no defect


def test_the_token_handed_out_outlives_the_margin(sb: Any, clock: ManualClock) -> None:
    tokens = manager(sb, clock)

    async def main() -> tuple[str, str, str]:
        first = await tokens.access_token()
        clock.advance(HOUR - 361)  # margin for a 1-hour token: 360 s
        same = await tokens.access_token()
        clock.advance(2)
        renewed = await tokens.access_token()
        return first, same, renewed

    first, same, renewed = anyio.run(main)
    assert first == same != renewed
    assert call_api(sb, first).status_code == 401  # the refresh killed the old token: rotation
    assert call_api(sb, renewed).status_code == 200


def test_a_dead_refresh_token_costs_exactly_one_new_login(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)

    async def main() -> str:
        await tokens.access_token()
        clock.advance(5 * HOUR)  # both tokens dead
        return await tokens.access_token()

    token = anyio.run(main)
    assert call_api(sb, token).status_code == 200
    assert [r.event for r in records] == [TokenEvent.LOGIN, TokenEvent.RELOGIN]
    assert (tokens.counters.logins, tokens.counters.relogins) == (1, 1)


def test_a_refresh_the_server_rejects_falls_back_to_one_login(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)

    async def main() -> str:
        await tokens.access_token()
        httpx.post(
            f"{sb.url}/__sandbox/revoke-all", headers=sb.control_headers
        )  # the session dies server-side (password change, admin)
        clock.advance(HOUR - 60)
        return await tokens.access_token()

    token = anyio.run(main)
    assert call_api(sb, token).status_code == 200
    events = [(r.event, r.status) for r in records]
    assert events[0] == (TokenEvent.LOGIN, 200)
    assert events[1][0] is TokenEvent.REFRESH and events[1][1] in (400, 401)
    assert events[2] == (TokenEvent.RELOGIN, 200)
    assert len(events) == 3


def test_concurrent_401s_cost_one_refresh_and_it_is_recorded_as_a_defect(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)

    async def main() -> tuple[str, list[str], str]:
        old = await tokens.access_token()
        replaced: list[str] = []

        async def unauthorized() -> None:
            replaced.append(await tokens.on_unauthorized("OAU-128", used_token=old))

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(unauthorized)
        # A straggler whose request left with the old token comes back after the refresh.
        late = await tokens.on_unauthorized("OAU-128", used_token=old)
        return old, replaced, late

    old, replaced, late = anyio.run(main)
    assert len(set(replaced)) == 1 and replaced[0] != old and late == replaced[0]
    assert tokens.counters.refresh_on_401 == 1 and tokens.counters.refreshes == 0
    assert [r.event for r in records] == [TokenEvent.LOGIN, TokenEvent.REFRESH_ON_401]
    assert call_api(sb, late).status_code == 200


def test_a_second_manager_reuses_the_stored_token(sb: Any, clock: ManualClock) -> None:
    first = manager(sb, clock)
    token = anyio.run(first.access_token)
    second = manager(sb, clock)
    assert anyio.run(second.access_token) == token
    assert second.counters.as_dict() == {
        "logins": 0,
        "relogins": 0,
        "refreshes": 0,
        "refresh_on_401": 0,
        "revokes": 0,
    }
    assert len(token_calls(sb)) == 1


def test_a_refresh_by_another_manager_is_picked_up_without_a_call(sb: Any, clock: ManualClock) -> None:
    # Two runs share the stored tokens; one refreshes (killing the old access token), the other must follow.
    ours, theirs = manager(sb, clock), manager(sb, clock)

    async def main() -> tuple[str, str, str]:
        old = await ours.access_token()
        await theirs.access_token()
        clock.advance(HOUR - 60)
        renewed = await theirs.access_token()
        return old, renewed, await ours.access_token()

    old, renewed, seen_by_ours = anyio.run(main)
    assert old != renewed == seen_by_ours
    assert (ours.counters.refreshes, theirs.counters.refreshes) == (0, 1)
    assert len(token_calls(sb)) == 2


def test_revoke_ends_the_session_and_deletes_the_stored_tokens(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)
    token = anyio.run(tokens.access_token)
    assert anyio.run(tokens.revoke) is True
    assert tokens.store.load() is None
    assert call_api(sb, token).status_code == 401
    assert records[-1].template == REVOKE_TEMPLATE and records[-1].event is TokenEvent.REVOKE
    assert anyio.run(tokens.revoke) is False


def test_the_auth_limiter_sees_every_token_call(sb: Any, clock: ManualClock) -> None:
    class CountingLimiter:
        # Implements the AuthLimiter protocol only: counts what the manager reports.
        def __init__(self) -> None:
            self.acquired = 0
            self.observed: list[tuple[int, Mapping[str, str]]] = []

        async def acquire(self) -> None:
            self.acquired += 1

        def observe(self, status: int, headers: Mapping[str, str]) -> None:
            self.observed.append((status, headers))

    limiter = CountingLimiter()
    tokens = manager(sb, clock, limiter=limiter)

    async def main() -> None:
        await tokens.access_token()
        clock.advance(HOUR - 60)
        await tokens.access_token()

    anyio.run(main)
    assert limiter.acquired == 2
    assert [status for status, _ in limiter.observed] == [200, 200]
    assert {k.lower(): v for k, v in limiter.observed[0][1].items()}.get("x-rate-limit-group") == "Auth"


def bad(credentials: Credentials, **change: str) -> Credentials:
    return dataclasses.replace(credentials, **change)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"jwt": "not.a-valid.jwt-for-this-sandbox"}, "RC_USER_JWT"),
        ({"client_secret": "wrong-secret-value-123"}, "RC_APP_CLIENT_SECRET"),
    ],
)
def test_rejected_credentials_fail_once_with_the_variable_named_and_nothing_secret(
    sb: Any, clock: ManualClock, change: dict[str, str], named: str
) -> None:
    credentials = bad(sb.credentials(), **change)
    tokens = TokenManager(credentials, clock=clock, policy=TokenPolicy(retry_delay=0.0))

    async def main() -> list[CredentialsError]:
        errors = []
        for _ in range(3):
            with pytest.raises(CredentialsError) as caught:
                await tokens.access_token()
            errors.append(caught.value)
        return errors

    errors = anyio.run(main)
    text = str(errors[0])
    assert named in text
    assert errors[0].exit_code == 3
    assert errors[0].__cause__ is None and errors[0].__suppress_context__
    for secret in (
        credentials.jwt,
        credentials.client_secret,
        sb.credentials().jwt,
        sb.credentials().client_secret,
    ):
        assert secret not in text
    assert len(token_calls(sb)) == 1  # 400: never repeated, not even by later callers
    assert api_calls(sb) == []


def test_a_429_from_the_token_endpoint_is_waited_out_as_retry_after_says(sb: Any, clock: ManualClock) -> None:
    records: list[CallRecord] = []
    tokens = manager(sb, clock, records)

    async def main() -> tuple[str, float]:
        token = await tokens.access_token()
        for _ in range(4):  # the Auth group's 5 calls a minute, all spent
            token = await tokens.on_unauthorized("OAU-128", used_token=token)
        before = clock.time()
        token = await tokens.on_unauthorized("OAU-128", used_token=token)
        return token, clock.time() - before

    token, waited = anyio.run(main)
    assert [r.status for r in records] == [200] * 5 + [429, 200]
    assert waited >= 60  # the penalty, as Retry-After announced it; nothing sent before it ended
    assert call_api(sb, token).status_code == 200


def test_a_silent_token_endpoint_times_out_and_is_retried_three_times_ten_seconds_apart(
    clock: ManualClock,
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        records: list[CallRecord] = []
        tokens = TokenManager(
            Credentials(url, "client-id", "client-secret-value", "jwt-value-0123456789"),
            clock=clock,
            on_record=records.append,
            policy=TokenPolicy(timeout=0.2),
        )
        start = clock.time()
        with pytest.raises(CredentialsError) as caught:
            anyio.run(tokens.access_token)
    finally:
        listener.close()
    assert "keeps failing" in str(caught.value) and "Timeout" in str(caught.value)
    assert clock.time() - start == 30.0
    assert [(r.status, r.event) for r in records] == [(0, TokenEvent.LOGIN)] * 4


def test_a_restarted_local_sandbox_on_a_new_port_keeps_the_stored_token_valid(tmp_path: Path) -> None:
    # The embedded sandbox gets a new port each run: the store is keyed by "local", not by the URL.
    config = SandboxConfig(state_path=tmp_path / "state.json")
    first_port = free_port()
    second_port = next(p for p in iter(free_port, None) if p != first_port)
    runs = []
    for port in (first_port, second_port):
        with running_sandbox(config, port=port) as handle:
            credentials = handle.credentials()
            tokens = TokenManager(credentials, store=TokenStore("local", credentials.client_id))
            token = anyio.run(tokens.access_token)
            runs.append((handle.url, tokens.counters.logins, call_api(handle, token).status_code))
    (_, first_logins, first_status), (_, second_logins, second_status) = runs
    assert (first_logins, second_logins) == (1, 0)
    assert first_status == second_status == 200


def test_a_refresh_waits_for_the_requests_still_on_the_wire_with_the_old_token(
    sb: Any, clock: ManualClock
) -> None:
    """RingCentral kills the old access token the moment it is refreshed: a request sent with it but
    not yet answered would earn a 401. The refresh waits for every lease of the old token to end."""
    tokens = manager(sb, clock)
    answers: list[int] = []

    async def main() -> None:
        async def next_caller() -> None:
            await tokens.access_token()
            refreshed.set()

        refreshed = anyio.Event()
        async with anyio.create_task_group() as tg:
            async with tokens.lease() as old:
                clock.advance(HOUR - 60)  # inside the refresh margin: the next caller refreshes
                tg.start_soon(next_caller)
                # Let the next caller run as far as it can, the drain; were it not to wait there, its
                # refresh (a thread) would be done long before this (a correct drain never is).
                await anyio.sleep(0.5)
                assert len(token_calls(sb)) == 1 and not refreshed.is_set()  # it waits for this lease
                answers.append(call_api(sb, old).status_code)  # the request on the wire lands
            # The lease ended: the refresh goes ahead at once (not after the drain's time limit).
            with anyio.fail_after(10):
                await refreshed.wait()
        assert len(token_calls(sb)) == 2

    anyio.run(main)
    assert answers == [200]


def test_a_token_call_is_stored_before_it_goes_out_and_settled_when_it_comes_back(
    sb: Any, clock: ManualClock
) -> None:
    stored: list[tuple[CallRecord, int]] = []  # each intent, with the token calls the server had seen
    settled: list[CallRecord] = []

    async def intend(intent: CallRecord) -> Any:
        stored.append((intent, len(token_calls(sb))))

        async def settle(record: CallRecord) -> None:
            settled.append(record)

        return settle

    tokens = TokenManager(sb.credentials(), clock=clock, on_intent=intend)
    anyio.run(tokens.access_token)
    [(intent, seen_before)] = stored
    assert seen_before == 0 and len(token_calls(sb)) == 1  # stored first, then sent
    assert (intent.status, intent.kind, intent.group, intent.event) == (
        UNKNOWN,
        Kind.OAUTH,
        "Auth",
        TokenEvent.LOGIN,
    )
    assert [(r.status, r.event) for r in settled] == [(200, TokenEvent.LOGIN)]
