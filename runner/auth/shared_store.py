"""Tokens kept in the shared PostgreSQL ledger (``RCGRAD_TOKENS=ledger``): one login for every machine.

Same interface as ``store.TokenStore`` (``stamp``, ``load``, ``save``, ``delete``, ``lock``), so the
token manager does not know which it has. A refresh rotates the refresh token, so whoever
refreshes must hold the row: ``lock()`` is ``SELECT ... FOR UPDATE`` in a transaction on the
store's connection, kept until ``release``; a second machine's lock waits on that row, then reads
what the first one stored. The tokens are sealed with Fernet (``cryptography``) under the key in
``RCGRAD_TOKEN_KEY``; the database only ever sees ciphertext, and without a key the store refuses
to open. This module must never print, log or ``repr`` a token or the key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from runner import redact
from runner.auth.store import FileStamp, StoredTokens, TokenStore, envelope, unwrap
from runner.errors import CredentialsError, InputError
from runner.ledger import postgres
from runner.ledger.ledger import LEDGER_FILE, Ledger
from runner.settings import environment, ledger_target

TOKENS_VAR = "RCGRAD_TOKENS"
KEY_VAR = "RCGRAD_TOKEN_KEY"
LOCK_POLL_SECONDS = 0.1  # a try is one round trip on a kept connection
KEY_HINT = (
    "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    " and give every machine the same one"
)


def wants_shared_tokens(env: Mapping[str, str]) -> bool:
    choice = env.get(TOKENS_VAR, "").strip().lower()
    if choice not in ("", "file", "ledger"):
        raise InputError(f"expected 'ledger' or 'file', got {choice[:20]!r}", key=TOKENS_VAR)
    return choice == "ledger"


def fernet_from(env: Mapping[str, str]) -> Any:
    from cryptography.fernet import Fernet

    key = env.get(KEY_VAR, "").strip()
    if not key:
        raise CredentialsError(f"{TOKENS_VAR}=ledger keeps tokens encrypted and needs {KEY_VAR}: {KEY_HINT}")
    redact.register(key)
    try:
        return Fernet(key.encode())
    except ValueError:
        raise CredentialsError(
            f"{KEY_VAR} is not a Fernet key (32 url-safe base64 bytes): {KEY_HINT}"
        ) from None


class LedgerTokenStore:
    """The tokens of one server and app, in the ``tokens`` table of a PostgreSQL ledger.

    With ``pool`` (an open ledger's, ``Ledger.pool``) every statement and row lock borrows one of
    its few connections, so a fleet of 500 apps shares them; without, the store has its own."""

    def __init__(self, url: str, server: str, client_id: str, fernet: Any, *, pool: Any = None) -> None:
        self.server = server
        self.client_id = client_id
        self.url = url
        self.location = postgres.describe(url)
        self._fernet = fernet
        self._pool = pool
        self._conn = None if pool is not None else postgres.connect(url, application_name="rcgrad tokens")
        self._held: RowLock | None = None  # while held, reads and writes go through its transaction
        self._execute("INSERT INTO tokens (server, client_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", ())

    def __repr__(self) -> str:
        return f"LedgerTokenStore({self.location})"

    def _execute(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        """One statement on the store's row; its rows. ``sql`` names the row by server and client id:
        either ``... WHERE`` is appended, or (an INSERT) the two are its last values."""
        where = sql if sql.startswith("INSERT") else sql + " WHERE server = %s AND client_id = %s"
        values = (*args, self.server, self.client_id)
        held = self._held
        if held is not None and held.conn is not None:
            return _rows(held.conn.execute(where, values))
        if self._pool is not None:
            with self._pool.connection() as conn:
                return _rows(conn.execute(where, values))
        return _rows(self._conn.execute(where, values))  # type: ignore[union-attr]

    def _row(self) -> tuple[int, bytes | None] | None:
        rows = self._execute("SELECT version, sealed FROM tokens", ())
        return None if not rows else (int(rows[0][0]), rows[0][1])

    def stamp(self) -> FileStamp | None:
        row = self._row()
        return None if row is None or row[1] is None else (row[0], 0, 0)

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when none are stored. Tokens this machine cannot read (another
        key, damaged ciphertext) are ``CredentialsError``: logging in again would overwrite what
        every other machine shares, so the run stops instead (exit 3) and leaves them as they are."""
        from cryptography.fernet import InvalidToken

        row = self._row()
        if row is None or row[1] is None:
            return None
        try:
            tokens = unwrap(json.loads(self._fernet.decrypt(bytes(row[1]))), self.server, self.client_id)
        except (InvalidToken, ValueError):
            tokens = None
        if tokens is None:
            raise CredentialsError(
                f"the tokens shared in {self.location} cannot be read with this {KEY_VAR} (another key,"
                " or damaged): give this machine the key the others use; nothing was overwritten"
            )
        return tokens

    def save(self, tokens: StoredTokens) -> None:
        sealed = self._fernet.encrypt(json.dumps(envelope(tokens, self.server, self.client_id)).encode())
        self._execute("UPDATE tokens SET sealed = %s, version = version + 1", (sealed,))

    def delete(self) -> bool:
        had = self.stamp() is not None
        self._execute("UPDATE tokens SET sealed = NULL, version = version + 1", ())
        return had

    def lock(self) -> RowLock:
        return RowLock(self)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def borrow(self) -> Any:
        """A connection for a row lock's transaction: the pool's, else one of its own."""
        if self._pool is not None:
            return self._pool.getconn()
        return postgres.connect(self.url, application_name="rcgrad token lock")

    def give_back(self, conn: Any) -> None:
        if self._pool is not None:
            self._pool.putconn(conn)
        else:
            conn.close()


def _rows(cursor: Any) -> list[Any]:
    return cursor.fetchall() if cursor.description else []


class RowLock:
    """``SELECT ... FOR UPDATE`` on the store's row, in a transaction on a connection of its own,
    held until ``release`` (commit). Meanwhile the store reads and writes through that transaction,
    so what it saves becomes visible to the other machines at once, at ``release``. Waiting never
    holds up the store's own connection, and the server drops the row lock with the connection, so
    a killed process never leaves it held."""

    def __init__(self, store: LedgerTokenStore) -> None:
        self._store = store
        self._conn: Any = None  # opened on the first try, kept across tries, closed at release
        self._tx: Any = None

    @property
    def conn(self) -> Any:
        return self._conn if self._tx is not None else None

    def acquire(self, blocking: bool = True) -> bool:
        import psycopg

        if self._tx is not None:
            raise RuntimeError("lock already held by this object")
        store = self._store
        if self._conn is None:
            self._conn = store.borrow()
        tx = self._conn.transaction()
        tx.__enter__()
        try:
            self._conn.execute(
                "SELECT version FROM tokens WHERE server = %s AND client_id = %s FOR UPDATE"
                + ("" if blocking else " NOWAIT"),
                (store.server, store.client_id),
            )
        except psycopg.errors.LockNotAvailable as exc:
            tx.__exit__(type(exc), exc, None)  # roll back; the connection goes back until the next try
            self._close()
            return False
        except BaseException:
            self._close()
            raise
        self._tx = tx
        store._held = self
        return True

    async def acquire_async(self, *, on_wait: Callable[[], None] | None = None) -> None:
        """Take the lock without blocking the event loop (trying NOWAIT); a cancelled waiter stops."""
        try:
            if await anyio.to_thread.run_sync(self.acquire, False):
                return
            if on_wait is not None:
                on_wait()
            while not await anyio.to_thread.run_sync(self.acquire, False):
                await anyio.sleep(LOCK_POLL_SECONDS)
        except BaseException:
            if self._tx is None:
                self._close()
            raise

    def release(self) -> None:
        tx, self._tx = self._tx, None
        if self._store._held is self:
            self._store._held = None
        try:
            if tx is not None:
                tx.__exit__(None, None, None)  # commit: the other machines see the new tokens now
        finally:
            self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._store.give_back(conn)

    @property
    def held(self) -> bool:
        return self._tx is not None

    def __enter__(self) -> RowLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def choose_store(
    server: str,
    client_id: str,
    ledger: Ledger | str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> TokenStore | LedgerTokenStore:
    """The token store this run uses: the file under ``$RCGRAD_HOME`` by default, or, with
    ``RCGRAD_TOKENS=ledger``, the shared PostgreSQL ledger (``ledger``, else ``$RCGRAD_LEDGER``). An
    open ``Ledger`` lends its pool: no connection of the store's own."""
    values = environment() if env is None else env
    if not wants_shared_tokens(values):
        return TokenStore(server, client_id)
    fernet = fernet_from(values)
    if isinstance(ledger, Ledger):
        if ledger.url is None:
            raise InputError(
                "tokens can be shared only through a PostgreSQL ledger: set RCGRAD_LEDGER=postgresql://... or --ledger",
                key=TOKENS_VAR,
            )
        return LedgerTokenStore(ledger.url, server, client_id, fernet, pool=ledger.pool())
    target = ledger_target(ledger, default_file=LEDGER_FILE, env=values)
    if not postgres.is_postgres(target):
        raise InputError(
            "tokens can be shared only through a PostgreSQL ledger: set RCGRAD_LEDGER=postgresql://... or --ledger",
            key=TOKENS_VAR,
        )
    Ledger.open(target).close()  # the tokens table comes with the ledger's migrations
    return LedgerTokenStore(str(target), server, client_id, fernet)
