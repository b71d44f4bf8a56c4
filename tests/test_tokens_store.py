"""Token storage: owner-only file, atomic replace, a lock two processes respect; and the refresh decision."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runner.auth.policy import Action, TokenPolicy, next_action, refresh_margin
from runner.auth.store import StoredTokens, TokenStore

SERVER = "http://127.0.0.1:9"
ACCESS = "access-token-value-0123456789"
REFRESH = "refresh-token-value-0123456789"


def tokens(expire_time: float = 2000.0, refresh_expire_time: float = 9000.0, **extra: object) -> StoredTokens:
    return StoredTokens(
        {
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "token_type": "bearer",
            "expires_in": 3600,
            "expire_time": expire_time,
            "refresh_token_expires_in": 604800,
            "refresh_token_expire_time": refresh_expire_time,
            **extra,
        }
    )


def test_round_trip_owner_only_and_no_client_id_in_the_file_name(rcgrad_home: Path) -> None:
    store = TokenStore(SERVER, "client-abc")
    store.save(tokens())
    assert store.load() == tokens()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.path.parent == rcgrad_home / "tokens"
    assert "client-abc" not in store.path.name


def test_each_server_and_app_has_its_own_file() -> None:
    TokenStore(SERVER, "one").save(tokens())
    assert TokenStore(SERVER, "two").load() is None
    assert TokenStore("http://127.0.0.1:10", "one").load() is None
    assert TokenStore(SERVER, "one").load() is not None


def test_replace_is_atomic_and_leaves_no_temporary_file() -> None:
    store = TokenStore(SERVER, "client")
    store.save(tokens(expire_time=1.0))
    reader = store.path.open()  # a reader that opened the old file keeps reading the old file
    before = store.stamp()
    store.save(tokens(expire_time=2.0))
    assert store.stamp() != before
    assert '"expire_time": 1.0' in reader.read()
    reader.close()
    assert store.load() == tokens(expire_time=2.0)
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failed_write_keeps_the_old_tokens() -> None:
    store = TokenStore(SERVER, "client")
    store.save(tokens())
    with pytest.raises(TypeError):
        store.save(tokens(owner_id=object()))  # not JSON: the dump fails halfway
    assert store.load() == tokens()
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_unreadable_or_foreign_files_count_as_no_tokens() -> None:
    store = TokenStore(SERVER, "client")
    store.path.write_text("{not json")
    assert store.load() is None
    store.path.write_text(
        '{"version": 1, "server": "elsewhere", "client_id": "client", "auth": {"access_token": "x"}}'
    )
    assert store.load() is None
    assert store.delete() is True
    assert store.delete() is False


def test_repr_shows_no_token() -> None:
    text = repr(tokens()) + repr(TokenStore(SERVER, "client"))
    assert ACCESS not in text and REFRESH not in text


HOLDER = textwrap.dedent(
    """
    import sys
    from runner.auth.store import TokenStore
    lock = TokenStore(sys.argv[1], sys.argv[2]).lock()
    lock.acquire()
    print("locked", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
    """
)


@pytest.mark.subprocess
def test_the_lock_excludes_another_process() -> None:
    store = TokenStore(SERVER, "client")
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, SERVER, "client"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "locked"
        mine = store.lock()
        assert mine.acquire(blocking=False) is False
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "released"
        assert mine.acquire(blocking=True) is True
        mine.release()
    finally:
        child.kill()
        child.wait()


def test_two_locks_in_one_process_exclude_each_other_too() -> None:
    store = TokenStore(SERVER, "client")
    with store.lock():
        assert store.lock().acquire(blocking=False) is False
    other = store.lock()
    assert other.acquire(blocking=False) is True
    other.release()


# ---- the refresh decision ----

POLICY = TokenPolicy()


@pytest.mark.parametrize(
    ("lifetime", "margin"),
    [(3600, 360.0), (600, 60.0), (20, 5.0), (4, 2.0), (1, 0.5)],
)
def test_margin_is_a_tenth_of_the_lifetime_at_least_a_few_seconds_never_more_than_half(
    lifetime: float, margin: float
) -> None:
    assert refresh_margin(lifetime, POLICY) == margin


def test_next_action() -> None:
    assert next_action(None, 1000.0, POLICY) is Action.LOGIN
    # expires_in 3600 -> margin 360 s
    assert next_action(tokens(expire_time=1000.0 + 361), 1000.0, POLICY) is Action.USE
    assert next_action(tokens(expire_time=1000.0 + 359), 1000.0, POLICY) is Action.REFRESH
    assert next_action(tokens(expire_time=900.0, refresh_expire_time=1003.0), 1000.0, POLICY) is Action.LOGIN
    no_refresh = StoredTokens({**tokens(expire_time=900.0).data, "refresh_token": ""})
    assert next_action(no_refresh, 1000.0, POLICY) is Action.LOGIN
