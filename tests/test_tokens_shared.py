"""Tokens in the shared PostgreSQL ledger (``RCGRAD_TOKENS=ledger``): one login for every machine,
one refresh when two machines need one at once, and nothing readable in the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from cryptography.fernet import Fernet

from runner.auth.shared_store import LedgerTokenStore, choose_store
from runner.auth.store import TokenStore
from runner.auth.tokens import TokenManager
from runner.cli import main as cli_main
from runner.clock import ManualClock
from runner.errors import CredentialsError, InputError
from runner.sandbox import SandboxConfig, running_sandbox
from tests.test_tokens_manager import HOUR, token_calls

KEY = Fernet.generate_key().decode()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock: ManualClock) -> Iterator[Any]:
    with running_sandbox(
        SandboxConfig(access_token_ttl=HOUR, refresh_token_ttl=4 * HOUR, clock=clock)
    ) as handle:
        yield handle


def machine(sb: Any, clock: ManualClock, pg_url: str, key: str = KEY) -> TokenManager:
    """A token manager as another machine would have it: its own connection, the same database."""
    env = {"RCGRAD_TOKENS": "ledger", "RCGRAD_TOKEN_KEY": key, "RCGRAD_LEDGER": pg_url}
    store = choose_store(sb.credentials().server, sb.credentials().client_id, env=env)
    assert isinstance(store, LedgerTokenStore)
    return TokenManager(sb.credentials(), clock=clock, store=store)


def test_one_login_serves_every_machine_and_the_database_holds_only_ciphertext(
    sb: Any, clock: ManualClock, pg_url: str
):
    first = machine(sb, clock, pg_url)
    token = anyio.run(first.access_token)
    second = machine(sb, clock, pg_url)
    assert anyio.run(second.access_token) == token
    assert second.counters.logins == 0 and len(token_calls(sb)) == 1
    refresh = first.current.refresh_token if first.current else ""
    with psycopg.connect(pg_url) as conn:
        (sealed,) = conn.execute("SELECT sealed FROM tokens").fetchone()
        dump = "\n".join(str(row) for row in conn.execute("SELECT * FROM tokens"))
    assert token not in dump and refresh not in dump
    assert token.encode() not in bytes(sealed) and refresh.encode() not in bytes(sealed)


@pytest.mark.parametrize("damage", ["another key", "damaged ciphertext"])
def test_tokens_this_machine_cannot_read_stop_the_run_and_stay_as_they_are(
    damage: str, sb: Any, clock: ManualClock, pg_url: str
):
    anyio.run(machine(sb, clock, pg_url).access_token)
    if damage == "damaged ciphertext":
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE tokens SET sealed = overlay(sealed placing 'xx'::bytea from 20 for 2)")
    with psycopg.connect(pg_url) as conn:
        before = conn.execute("SELECT sealed, version FROM tokens").fetchone()
    key = Fernet.generate_key().decode() if damage == "another key" else KEY
    stranger = machine(sb, clock, pg_url, key=key)
    with pytest.raises(CredentialsError, match="cannot be read with this RCGRAD_TOKEN_KEY") as refused:
        anyio.run(stranger.access_token)
    assert refused.value.exit_code == 3
    assert stranger.counters.logins == 0 and len(token_calls(sb)) == 1  # no second login
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT sealed, version FROM tokens").fetchone() == before


def test_two_machines_needing_a_refresh_at_once_refresh_once(sb: Any, clock: ManualClock, pg_url: str):
    a, b = machine(sb, clock, pg_url), machine(sb, clock, pg_url)
    anyio.run(a.access_token)
    anyio.run(b.access_token)
    clock.advance(HOUR - 60)  # inside the refresh margin for both
    tokens: dict[str, str] = {}
    start = threading.Barrier(2)

    def run(name: str, manager: TokenManager) -> None:
        start.wait()
        tokens[name] = anyio.run(manager.access_token)

    threads = [threading.Thread(target=run, args=(n, m)) for n, m in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert tokens["a"] == tokens["b"]
    assert a.counters.refreshes + b.counters.refreshes == 1
    assert len(token_calls(sb)) == 2  # one login, one refresh: the rotated refresh token was never reused


def test_the_row_lock_excludes_a_second_holder_until_release(sb: Any, pg_url: str):
    env = {"RCGRAD_TOKENS": "ledger", "RCGRAD_TOKEN_KEY": KEY, "RCGRAD_LEDGER": pg_url}
    one, two = (choose_store("local", "cid", env=env) for _ in range(2))
    assert isinstance(one, LedgerTokenStore) and isinstance(two, LedgerTokenStore)
    held = one.lock()
    assert held.acquire()
    assert two.lock().acquire(blocking=False) is False
    held.release()
    other = two.lock()
    assert other.acquire(blocking=False) is True
    other.release()


def test_shared_tokens_need_a_key_and_a_postgresql_ledger(pg_url: str, tmp_path: Path):
    with pytest.raises(CredentialsError, match="needs RCGRAD_TOKEN_KEY"):
        choose_store("local", "cid", env={"RCGRAD_TOKENS": "ledger", "RCGRAD_LEDGER": pg_url})
    with pytest.raises(CredentialsError, match="not a Fernet key"):
        choose_store(
            "local",
            "cid",
            env={"RCGRAD_TOKENS": "ledger", "RCGRAD_TOKEN_KEY": "short", "RCGRAD_LEDGER": pg_url},
        )
    with pytest.raises(InputError, match="only through a PostgreSQL ledger"):
        choose_store(
            "local",
            "cid",
            env={"RCGRAD_TOKENS": "ledger", "RCGRAD_TOKEN_KEY": KEY, "RCGRAD_HOME": str(tmp_path)},
        )
    assert isinstance(choose_store("local", "cid", env={"RCGRAD_HOME": str(tmp_path)}), TokenStore)


def test_login_without_a_key_exits_3_naming_the_variable_and_sends_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "app: {name: t, description: a test app that reads the extension, scopes: [ReadAccounts]}\n"
        "server: local\nendpoints:\n  - GET /restapi/v1.0/account/~/extension/~\n"
    )
    monkeypatch.setenv("RCGRAD_TOKENS", "ledger")
    monkeypatch.setenv("RCGRAD_LEDGER", pg_url)
    monkeypatch.delenv("RCGRAD_TOKEN_KEY", raising=False)
    assert cli_main(["login", str(plan)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RCGRAD_TOKEN_KEY" in err
