"""The ledger's SQLite back end: one file per machine, the default.

It owns the connection (WAL, busy timeout, explicit transactions) and the SQLite spelling of the
schema's migrations; every query the ledger runs is written once in ``runner.ledger.ledger``. It
must never hold a transaction open between calls, so a second process only ever waits for one
statement's worth of writing.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 30_000

# Each entry moves the schema one version up (a tuple of statements, run in one transaction);
# never edit a released entry, append a new one. ``postgres.MIGRATIONS`` keeps the same versions.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE partitions (
            id INTEGER PRIMARY KEY,
            server TEXT NOT NULL,
            client_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            UNIQUE (server, client_id, user_id)
        )""",
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            partition INTEGER NOT NULL REFERENCES partitions(id),
            ts REAL NOT NULL,
            method TEXT NOT NULL,
            template TEXT NOT NULL,
            status INTEGER NOT NULL,
            grp TEXT NOT NULL,
            permission TEXT,
            kind TEXT NOT NULL,
            latency_ms REAL NOT NULL DEFAULT 0,
            run_id TEXT NOT NULL DEFAULT '',
            operation_id TEXT,
            count INTEGER NOT NULL DEFAULT 1,
            error_code TEXT,
            event TEXT
        )""",
        "CREATE INDEX calls_partition_ts ON calls (partition, ts)",
        "CREATE INDEX calls_partition_endpoint ON calls (partition, method, template)",
    ),
    # Hourly roll-up kept by triggers, so a verdict over a million calls reads thousands of rows.
    # NULLs are stored as '' because a NULL never conflicts in a UNIQUE key.
    (
        """CREATE TABLE hourly (
            partition INTEGER NOT NULL,
            hour INTEGER NOT NULL,
            method TEXT NOT NULL,
            template TEXT NOT NULL,
            status INTEGER NOT NULL,
            grp TEXT NOT NULL,
            kind TEXT NOT NULL,
            error_code TEXT NOT NULL,
            event TEXT NOT NULL,
            permission TEXT,
            count INTEGER NOT NULL,
            PRIMARY KEY (partition, hour, method, template, status, grp, kind, error_code, event)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER calls_hourly_insert AFTER INSERT ON calls BEGIN
            INSERT INTO hourly VALUES (NEW.partition, CAST(NEW.ts / 3600 AS INTEGER), NEW.method, NEW.template,
                NEW.status, NEW.grp, NEW.kind, COALESCE(NEW.error_code, ''), COALESCE(NEW.event, ''),
                NEW.permission, NEW.count)
            ON CONFLICT DO UPDATE SET count = count + excluded.count,
                permission = COALESCE(permission, excluded.permission);
        END""",
        """CREATE TRIGGER calls_hourly_delete AFTER DELETE ON calls BEGIN
            UPDATE hourly SET count = count - OLD.count
            WHERE partition = OLD.partition AND hour = CAST(OLD.ts / 3600 AS INTEGER)
                AND method = OLD.method AND template = OLD.template AND status = OLD.status AND grp = OLD.grp
                AND kind = OLD.kind AND error_code = COALESCE(OLD.error_code, '')
                AND event = COALESCE(OLD.event, '');
        END""",
        """INSERT INTO hourly
            SELECT partition, CAST(ts / 3600 AS INTEGER), method, template, status, grp, kind,
                COALESCE(error_code, ''), COALESCE(event, ''), MAX(permission), SUM(count)
            FROM calls GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9""",
    ),
    # Rate-limit state every process of a partition shares: a 429's closed gate and the limit and
    # window the server last advertised for the group.
    (
        """CREATE TABLE rate_gates (
            partition INTEGER NOT NULL REFERENCES partitions(id),
            grp TEXT NOT NULL,
            until_ts REAL NOT NULL DEFAULT 0,
            lim INTEGER,
            window_seconds REAL,
            PRIMARY KEY (partition, grp)
        )""",
    ),
    # The UTC hour of each call as a column the writer fills, so the summary groups by a plain
    # column on every back end (casting a float to an integer truncates here but rounds in
    # PostgreSQL). For ts >= 0 truncation is the floor the writer computes.
    (
        "ALTER TABLE calls ADD COLUMN hour INTEGER NOT NULL DEFAULT 0",
        "UPDATE calls SET hour = CAST(ts / 3600 AS INTEGER)",
    ),
    # Tokens shared by every machine (``RCGRAD_TOKENS=ledger``), Fernet-encrypted: never plain text.
    # ``version`` goes up with every save, so a process can tell its copy is stale without decrypting.
    (
        """CREATE TABLE tokens (
            server TEXT NOT NULL,
            client_id TEXT NOT NULL,
            version BIGINT NOT NULL DEFAULT 0,
            sealed BLOB,
            PRIMARY KEY (server, client_id)
        )""",
    ),
    # A call's row is written as an intent (status UNKNOWN) before the request goes out and
    # completed in place when the answer comes: the roll-up follows the update.
    (
        """CREATE TRIGGER calls_hourly_update AFTER UPDATE ON calls BEGIN
            UPDATE hourly SET count = count - OLD.count
            WHERE partition = OLD.partition AND hour = CAST(OLD.ts / 3600 AS INTEGER)
                AND method = OLD.method AND template = OLD.template AND status = OLD.status AND grp = OLD.grp
                AND kind = OLD.kind AND error_code = COALESCE(OLD.error_code, '')
                AND event = COALESCE(OLD.event, '');
            INSERT INTO hourly VALUES (NEW.partition, CAST(NEW.ts / 3600 AS INTEGER), NEW.method, NEW.template,
                NEW.status, NEW.grp, NEW.kind, COALESCE(NEW.error_code, ''), COALESCE(NEW.event, ''),
                NEW.permission, NEW.count)
            ON CONFLICT DO UPDATE SET count = count + excluded.count,
                permission = COALESCE(permission, excluded.permission);
        END""",
    ),
    # The last alert sent for a partition (``--notify``): "failing" until a met run says it recovered.
    (
        """CREATE TABLE alerts (
            partition INTEGER PRIMARY KEY REFERENCES partitions(id),
            state TEXT NOT NULL,
            since REAL NOT NULL,
            day TEXT NOT NULL DEFAULT ''
        )""",
    ),
)


def _wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs a moment alone with it, and SQLite does not wait on its busy
    # timeout for that: two processes opening a fresh ledger at once would see "database is locked".
    for _ in range(200):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA journal_mode = WAL")


class SQLiteBackend:
    """One connection to one ledger file, in autocommit mode with explicit transactions."""

    name = "sqlite"
    migrations = MIGRATIONS

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Owner-only from the first byte; SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across a process crash
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.path: Path | None = path
        self.location = str(path)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def write(self, sql: str, args: Sequence[Any] = (), *, durable: bool = False) -> list[Any]:
        """One statement in its own transaction, committed before returning; its rows (``RETURNING``).

        ``durable``: the commit is also fsynced (``synchronous = FULL`` for it), so not even a power
        loss takes it back. A commit under NORMAL already survives the process being killed.
        """
        return self.write_batch([(sql, args)], durable=durable)[0]

    def write_batch(
        self, statements: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = False
    ) -> list[list[Any]]:
        """Statements in one transaction, committed (and, ``durable``, fsynced) once before returning;
        each statement's rows, in order."""
        if durable:
            self.conn.execute("PRAGMA synchronous = FULL")
        try:
            with self.transaction():
                return [self.conn.execute(sql, args).fetchall() for sql, args in statements]
        finally:
            if durable:
                self.conn.execute("PRAGMA synchronous = NORMAL")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout instead
        # of one failing on a lock upgrade.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def lock_for_migration(self) -> None:
        pass  # BEGIN IMMEDIATE already makes a second migrating process wait

    def close(self) -> None:
        self.conn.close()
