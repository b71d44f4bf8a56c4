"""The ledger: every call rcgrad made (and every count imported from the console).

This module is the ledger's API and holds every query it runs, written once in portable SQL with
``?`` placeholders; the back ends (``sqlite``: one file per machine, the default;
``postgres``: one PostgreSQL database a team shares, chosen by a ``postgresql://`` URL in
``--ledger`` or ``$RCGRAD_LEDGER``) own the connection, transactions and their spelling of the
schema's migrations. A call is written twice: its intent (``intend``, fsynced) before it goes on
the wire, and its outcome (``settle``) in the same row when the answer comes, so a crash, even a
``kill -9``, loses no call the server saw: one caught in flight stays as status ``UNKNOWN``. Rows are
partitioned by (server, client id, user id) so a rehearsal against the local sandbox (server
``local``) never mixes with a real server's records.

This module must never store a request body, a header or a token: only ``CallRecord`` fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

from runner.errors import InputError
from runner.fileio import NotText, read_regular_file, utf8_text
from runner.ledger import postgres
from runner.ledger.console_csv import (
    MAX_IMPORT_BYTES,
    MAX_IMPORTED_COUNT,
    catalog_resolver,
    parse_console_csv,
)
from runner.ledger.group_commit import GroupCommit
from runner.ledger.sqlite import SQLiteBackend
from runner.rc.hosts import ServerUrlError, parse_server
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.settings import ledger_target

LEDGER_FILE = "ledger.sqlite3"
HOUR = 3600
LOCAL_SERVER = "local"

CALL_COLUMNS = (
    "ts",
    "method",
    "template",
    "status",
    "grp",
    "permission",
    "kind",
    "latency_ms",
    "run_id",
    "operation_id",
    "count",
    "error_code",
    "event",
)
_COLUMNS = ", ".join(CALL_COLUMNS)
ROW_COLUMNS = ("partition", *CALL_COLUMNS, "hour")  # the order of ``record_row``
_INSERT = f"INSERT INTO calls ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' for _ in ROW_COLUMNS)})"
# Completes an intent in place: every column but the partition, from ``record_row``.
_SETTLE = f"UPDATE calls SET {', '.join(f'{c} = ?' for c in ROW_COLUMNS[1:])} WHERE id = ? AND partition = ?"
CSV_HEADER = (
    "server",
    "client_id",
    "user_id",
    "time_utc",
    "ts",
    "method",
    "template",
    "status",
    "group",
    "permission",
    "kind",
    "count",
    "latency_ms",
    "run_id",
    "operation_id",
    "error_code",
    "event",
)


class Backend(Protocol):
    """What the ledger needs from a database: ``sqlite.SQLiteBackend``, ``postgres.PostgresBackend``."""

    name: str
    location: str
    path: Path | None
    migrations: tuple[tuple[str, ...], ...]

    def execute(self, sql: str, args: Any = ()) -> Any: ...
    def write(self, sql: str, args: Any = (), *, durable: bool = False) -> list[Any]: ...
    def write_batch(self, statements: Any, *, durable: bool = False) -> list[list[Any]]: ...
    def executemany(self, sql: str, rows: Iterable[Any]) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def lock_for_migration(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RateState:
    """A group's shared pacing state: the gate's end (wall clock; 0 when open) and the last limit
    and window the server advertised (None until one was seen)."""

    gate_until: float = 0.0
    limit: int | None = None
    window: float | None = None


@dataclass(frozen=True, slots=True)
class AlertState:
    """The last alert sent for a partition: its state ("failing"), when, and for which apply day."""

    state: str
    since: float
    day: str = ""


@dataclass(frozen=True, slots=True)
class PartitionKey:
    """Whose traffic a row is: the console judges one app (client id) per user and server."""

    server: str
    client_id: str
    user_id: str
    id: int = 0  # row id in ``partitions``; 0 until the ledger has stored it


def server_label(server: str) -> str:
    """The partition name of a server: loopback URLs (the local sandbox) become ``local``."""
    text = server.strip().rstrip("/")
    if text == LOCAL_SERVER:
        return text
    try:
        url = parse_server(text)
    except ServerUrlError:
        return text.lower()
    return LOCAL_SERVER if url.is_loopback else url.url


def record_row(partition_id: int, rec: CallRecord) -> tuple[Any, ...]:
    return (
        partition_id,
        rec.ts,
        rec.method,
        rec.template,
        rec.status,
        rec.group,
        rec.permission,
        str(rec.kind),
        rec.latency_ms,
        rec.run_id,
        rec.operation_id,
        rec.count,
        rec.error_code,
        None if rec.event is None else str(rec.event),
        math.floor(rec.ts / HOUR),
    )


def _record(row: Iterable[Any]) -> CallRecord:
    ts, method, template, status, grp, permission, kind, latency, run_id, op_id, count, code, event = row
    return CallRecord(
        ts=float(ts),
        method=method,
        template=template,
        status=status,
        group=grp,
        permission=permission,
        kind=Kind(kind),
        latency_ms=float(latency or 0.0),
        run_id=run_id or "",
        operation_id=op_id,
        count=int(count),
        error_code=code,
        event=None if event is None else TokenEvent(event),
    )


def open_backend(target: Path | str | None = None) -> Backend:
    """``target`` (a path or a ``postgresql://`` URL), else ``$RCGRAD_LEDGER``, else the home's file."""
    chosen = ledger_target(target, default_file=LEDGER_FILE)
    if postgres.is_postgres(chosen):
        return postgres.PostgresBackend(str(chosen))
    return SQLiteBackend(Path(chosen))


class Ledger:
    """A handle on the ledger. Use ``Ledger.open()``; close it (or use ``with``)."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        self._locks: postgres.LockSession | None = None  # PostgreSQL: the run locks' one session
        self._pool: Any = None  # PostgreSQL: the few connections the shared tokens use
        self._together = GroupCommit(backend.write_batch)  # the calls' writes, committed in groups
        self.path = backend.path  # the SQLite file; None on PostgreSQL
        self.location = backend.location  # for messages: a path, or a URL without its password

    @property
    def backend(self) -> str:
        return self._db.name

    @property
    def url(self) -> str | None:
        """The shared database's URL (with its password: pass it on, never print it); None for a file."""
        return self._db.url if isinstance(self._db, postgres.PostgresBackend) else None

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, target: Path | str | None = None) -> Ledger:
        try:
            return cls._open(target)
        except sqlite3.OperationalError:
            raise  # locked or busy: not the user's input
        except (OSError, sqlite3.DatabaseError) as exc:  # a folder, a corrupt file, no permission
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = str(ledger_target(target, default_file=LEDGER_FILE))
            raise InputError(f"the ledger cannot be opened: {why}", file=where) from None

    @classmethod
    def _open(cls, target: Path | str | None) -> Ledger:
        backend = open_backend(target)
        ledger = cls(backend)
        try:
            ledger._migrate()
        except BaseException:
            backend.close()
            raise
        return ledger

    def close(self) -> None:
        try:
            if self._pool is not None:
                self._pool.close()
            if self._locks is not None:
                self._locks.close()
        finally:
            self._pool = self._locks = None
            self._db.close()

    def pool(self) -> Any:
        """PostgreSQL: a small pool of connections beside the ledger's own (the shared tokens' reads
        and row locks), closed with the ledger; None for a SQLite file."""
        if not isinstance(self._db, postgres.PostgresBackend):
            return None
        if self._pool is None:
            self._pool = postgres.pool(self._db.url)
        return self._pool

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        migrations = self._db.migrations
        with self._db.transaction():
            self._db.lock_for_migration()
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > len(migrations):
                raise InputError(
                    f"ledger schema version {version} is newer than this rcgrad knows ({len(migrations)})",
                    file=self.location,
                )
            for statements in migrations[version:]:
                for statement in statements:
                    self._db.execute(statement)
            if row is None:
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (len(migrations),))
            elif version < len(migrations):
                self._db.execute("UPDATE schema_version SET version = ?", (len(migrations),))

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    def advisory_lock(
        self,
        server: str,
        client_id: str,
        *,
        wait: bool,
        notify: Callable[[str], None],
        on_busy: Callable[[str], BaseException],
        poll: float = 0.2,
    ) -> AbstractContextManager[None] | None:
        """The app's run lock held on the shared database, or None when the ledger is a local file
        (the caller then locks on this machine). Busy without ``wait``: raise ``on_busy(holder)``.
        Every lock of this ledger handle is held on one connection (``postgres.LockSession``)."""
        if not isinstance(self._db, postgres.PostgresBackend):
            return None
        if self._locks is None:
            self._locks = postgres.LockSession(self._db.url)
        return postgres.advisory_run_lock(
            self._locks, server, client_id, wait=wait, notify=notify, poll=poll, on_busy=on_busy
        )

    # ------------------------------------------------------------ partitions

    def partition(self, server: str, client_id: str, user_id: str) -> PartitionKey:
        label = server_label(server)
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO partitions (server, client_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (label, client_id, user_id),
            )
            (pid,) = self._db.execute(
                "SELECT id FROM partitions WHERE server = ? AND client_id = ? AND user_id = ?",
                (label, client_id, user_id),
            ).fetchone()
        return PartitionKey(label, client_id, user_id, int(pid))

    def partitions(self) -> list[PartitionKey]:
        rows = self._db.execute("SELECT server, client_id, user_id, id FROM partitions ORDER BY id")
        return [PartitionKey(*row) for row in rows]

    def _pid(self, key: PartitionKey) -> int:
        return key.id or self.partition(key.server, key.client_id, key.user_id).id

    # ------------------------------------------------------------ writing

    def append(self, key: PartitionKey, record: CallRecord) -> None:
        """Store one record and commit before returning: a crash afterwards cannot lose it."""
        self._db.write(_INSERT, record_row(self._pid(key), record))

    def intend(self, key: PartitionKey, intent: CallRecord) -> int:
        """Store a call about to go on the wire, as status ``UNKNOWN``, durably (fsynced), before
        returning its row id for ``settle``. Until settled, or for good if this process dies first,
        the row is a call sent with an unknown answer: it counts in the rate window, and the
        criteria count it as no success and as a 4xx."""
        return int(self._db.write(*self._intent(key, intent), durable=True)[0][0])

    def settle(self, key: PartitionKey, intent_id: int, record: CallRecord) -> None:
        """Complete the intent ``intent_id`` in place with the call's outcome, committed before returning."""
        self._db.write(*self._settled(key, intent_id, record))

    async def intend_together(self, key: PartitionKey, intent: CallRecord) -> int:
        """``intend`` for a call among many in flight: committed (fsynced) before returning, in one
        transaction with the other writes waiting at that moment (``group_commit``)."""
        return int((await self._together.write(self._intent(key, intent), durable=True))[0][0])

    async def settle_together(self, key: PartitionKey, intent_id: int, record: CallRecord) -> None:
        """``settle`` for a call among many in flight, committed with the others waiting."""
        await self._together.write(self._settled(key, intent_id, record))

    def _intent(self, key: PartitionKey, intent: CallRecord) -> tuple[str, tuple[Any, ...]]:
        return _INSERT + " RETURNING id", record_row(self._pid(key), replace(intent, status=UNKNOWN))

    def _settled(self, key: PartitionKey, intent_id: int, record: CallRecord) -> tuple[str, tuple[Any, ...]]:
        pid = self._pid(key)
        return _SETTLE, (*record_row(pid, record)[1:], intent_id, pid)

    @property
    def write_batches(self) -> int:
        """Transactions the calls' writes took so far (``intend_together``, ``settle_together``)."""
        return self._together.batches

    def append_many(self, key: PartitionKey, records: Iterable[CallRecord]) -> int:
        """Store records in one transaction (imports, tests, benchmarks)."""
        pid = self._pid(key)
        rows = [record_row(pid, rec) for rec in records]
        with self._db.transaction():
            self._db.executemany(_INSERT, rows)
        return len(rows)

    # ------------------------------------------------------------ reading

    def records(self, key: PartitionKey, since: float, until: float | None = None) -> list[CallRecord]:
        sql = f"SELECT {_COLUMNS} FROM calls WHERE partition = ? AND ts >= ?"
        args: list[Any] = [self._pid(key), since]
        if until is not None:
            sql += " AND ts <= ?"
            args.append(until)
        return [_record(row) for row in self._db.execute(sql + " ORDER BY ts, id", args)]

    def summary(self, key: PartitionKey, since: float, until: float | None = None) -> list[CallRecord]:
        """The records in [since, until], aggregated per UTC hour and per distinct outcome.

        Each row is a ``CallRecord`` whose ``count`` is the sum. Whole hours come from the
        ``hourly`` roll-up, stamped at the hour's start; the partial hours at both ends are read
        from ``calls`` and stamped with their earliest call, so no group straddles ``since``,
        ``until`` or a UTC midnight. For ``since = criteria.lookback(now)`` and ``until = now``,
        ``evaluate`` therefore gives exactly the verdict it gives on the raw rows. The same SQL
        runs on both back ends (numbers are cast to DOUBLE PRECISION so PostgreSQL returns floats).
        """
        pid = self._pid(key)
        first_whole = math.ceil(since / HOUR)  # first hour starting at or after `since`
        # The hour holding `until` is partial; with no `until`, every later hour is whole.
        end_whole = None if until is None else math.floor(until / HOUR)  # exclusive
        rows: list[CallRecord] = []
        whole_sql = (
            f"SELECT CAST(hour * {HOUR} AS DOUBLE PRECISION), method, template, status, grp, permission, kind,"
            " 0, '', NULL, count, NULLIF(error_code, ''), NULLIF(event, '')"
            " FROM hourly WHERE partition = ? AND hour >= ? AND count > 0"
        )
        whole_args: list[Any] = [pid, first_whole]
        if end_whole is not None:
            whole_sql += " AND hour < ?"
            whole_args.append(end_whole)
        rows.extend(_record(row) for row in self._db.execute(whole_sql, whole_args))

        # Partial ends: [since, first whole hour) and [end of whole hours, until], or all of
        # [since, until] when both fall inside one hour.
        ranges: list[tuple[float, float, str]] = []
        if end_whole is not None and until is not None and end_whole <= first_whole:
            ranges.append((since, until, "<="))
        else:
            ranges.append((since, first_whole * HOUR, "<"))
            if end_whole is not None and until is not None:
                ranges.append((end_whole * HOUR, until, "<="))
        for low, high, op in ranges:
            rows.extend(
                _record(row)
                for row in self._db.execute(
                    "SELECT MIN(ts), method, template, status, grp, MAX(permission), kind, 0, '', NULL,"
                    f" SUM(count), error_code, event FROM calls WHERE partition = ? AND ts >= ? AND ts {op} ?"
                    " GROUP BY hour, method, template, status, grp, kind, error_code, event",
                    (pid, low, high),
                )
            )
        return rows

    def count(self, key: PartitionKey | None = None) -> int:
        if key is None:
            return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
        return int(
            self._db.execute("SELECT COUNT(*) FROM calls WHERE partition = ?", (self._pid(key),)).fetchone()[
                0
            ]
        )

    # ------------------------------------------------------------ rate-limit state (shared pacing)
    # Small and portable on purpose (plain SELECT/INSERT ... ON CONFLICT): every back end keeps them.

    def recent_sends(self, key: PartitionKey, group: str, since: float) -> list[float]:
        """When the partition's calls of ``group`` since ``since`` were recorded, oldest first; a
        limiter seeds its window from them so a new process does not spend what the last one used."""
        rows = self._db.execute(
            "SELECT ts, count FROM calls WHERE partition = ? AND grp = ? AND ts >= ? AND kind <> ?"
            " ORDER BY ts",
            (self._pid(key), group, since, Kind.IMPORTED.value),
        )
        return [float(ts) for ts, count in rows for _ in range(max(1, min(int(count), 1000)))]

    def rate_state(self, key: PartitionKey, group: str) -> RateState:
        row = self._db.execute(
            "SELECT until_ts, lim, window_seconds FROM rate_gates WHERE partition = ? AND grp = ?",
            (self._pid(key), group),
        ).fetchone()
        if not row:
            return RateState()
        until, limit, window = row
        return RateState(
            float(until), None if limit is None else int(limit), None if window is None else float(window)
        )

    def close_gate(self, key: PartitionKey, group: str, until: float) -> None:
        """A 429's penalty: every process of this partition sends nothing in ``group`` before ``until``."""
        pid = self._pid(key)
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO rate_gates (partition, grp, until_ts) VALUES (?, ?, ?)"
                " ON CONFLICT (partition, grp) DO UPDATE SET until_ts = CASE"
                " WHEN excluded.until_ts > rate_gates.until_ts THEN excluded.until_ts ELSE rate_gates.until_ts END",
                (pid, group, until),
            )

    def learn_limit(self, key: PartitionKey, group: str, limit: int, window: float) -> None:
        pid = self._pid(key)
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO rate_gates (partition, grp, lim, window_seconds) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (partition, grp) DO UPDATE SET lim = excluded.lim,"
                " window_seconds = excluded.window_seconds",
                (pid, group, limit, window),
            )

    # ------------------------------------------------------------ alerts (--notify)

    def alert_state(self, key: PartitionKey) -> AlertState | None:
        """The last alert sent for the partition and not yet followed by its recovery, if any."""
        if key.id < 0:  # a partition no run has made yet: nothing was ever sent for it
            return None
        row = self._db.execute(
            "SELECT state, since, day FROM alerts WHERE partition = ?", (self._pid(key),)
        ).fetchone()
        return None if row is None else AlertState(str(row[0]), float(row[1]), str(row[2]))

    def set_alert_state(self, key: PartitionKey, state: AlertState | None) -> None:
        """Keep (or, with None, clear) the partition's alert state, shared by every machine of the ledger."""
        if key.id < 0:
            return
        pid = self._pid(key)
        if state is None:
            self._db.write("DELETE FROM alerts WHERE partition = ?", (pid,))
            return
        self._db.write(
            "INSERT INTO alerts (partition, state, since, day) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (partition) DO UPDATE SET state = excluded.state, since = excluded.since,"
            " day = excluded.day",
            (pid, state.state, state.since, state.day),
        )

    # ------------------------------------------------------------ copying (ledger migrate)

    def check_counts(self) -> None:
        """Every row's count is one a window can hold; an older rcgrad imported counts unchecked,
        and a database with narrower columns would refuse them halfway through a copy."""
        bad = self._db.execute(
            "SELECT COUNT(*), MAX(count) FROM calls WHERE count < 1 OR count > ?", (MAX_IMPORTED_COUNT,)
        ).fetchone()
        if bad[0]:
            raise InputError(
                f"{bad[0]} row(s) hold a count outside 1 to {MAX_IMPORTED_COUNT:,} (up to {bad[1]:.3g}), which"
                " no window holds; export them with `rcgrad ledger export --csv`, fix the import, and retry",
                file=self.location,
            )

    def copy_into(self, other: Ledger) -> tuple[int, int]:
        """Copy every row that ``other`` lacks into it, partition by partition; returns (copied, already there).

        A row counts as already there when ``other`` holds an identical one (every column; the
        same number of times), so copying twice, or after an interrupted copy, adds nothing twice.
        Each partition is copied in one transaction.
        """
        self.check_counts()
        copied = present = 0
        for source_key in self.partitions():
            key = other.partition(source_key.server, source_key.client_id, source_key.user_id)
            there = Counter(other.records(key, since=-math.inf))
            missing = []
            for record in self.records(source_key, since=-math.inf):
                if there[record] > 0:
                    there[record] -= 1
                    present += 1
                else:
                    missing.append(record)
            copied += other.append_many(key, missing)
        return copied, present

    # ------------------------------------------------------------ export / import

    def export_csv(
        self, key: PartitionKey | None, out: IO[str] | Path | str, server: str | None = None
    ) -> int:
        """Every row (of one partition, or all, or one server's) as CSV with a header; returns the row count."""
        if isinstance(out, str | Path):
            with open(out, "w", encoding="utf-8", newline="") as handle:
                return self.export_csv(key, handle, server)
        sql = (
            "SELECT p.server, p.client_id, p.user_id, c.ts, c.method, c.template, c.status, c.grp, c.permission,"
            " c.kind, c.count, c.latency_ms, c.run_id, c.operation_id, c.error_code, c.event"
            " FROM calls c JOIN partitions p ON p.id = c.partition"
        )
        args: tuple[Any, ...] = ()
        if key is not None:
            sql += " WHERE c.partition = ?"
            args = (self._pid(key),)
        elif server is not None:
            sql += " WHERE p.server = ?"
            args = (server_label(server),)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        n = 0
        for server, client, user, ts, *rest in self._db.execute(sql + " ORDER BY c.ts, c.id", args):
            stamp = dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="milliseconds")
            writer.writerow([server, client, user, stamp.replace("+00:00", "Z"), f"{ts:.3f}", *rest])
            n += 1
        return n

    def import_counts(
        self,
        key: PartitionKey,
        file: Path | str,
        resolve: Callable[[str, str], tuple[str, str | None, str, str | None]] | None = None,
    ) -> int:
        """Load a Developer Console analytics CSV as ``Kind.IMPORTED`` rows; returns rows stored.

        Re-importing the same file replaces its earlier rows (they are tagged with the file's
        hash), so an import is idempotent. Any bad line raises ``InputError`` naming it and
        nothing is stored.
        """
        path = Path(file)
        try:
            data = read_regular_file(path, MAX_IMPORT_BYTES)
        except (OSError, ValueError) as exc:
            why = (exc.strerror if isinstance(exc, OSError) else str(exc)) or exc.__class__.__name__
            raise InputError(f"cannot read: {why}", file=str(path)) from None
        try:
            text = utf8_text(data, "utf-8-sig")
        except NotText as exc:
            raise InputError(str(exc), file=str(path), line=exc.line) from None
        run_id = "import:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        records = parse_console_csv(text, str(path), run_id, resolve or catalog_resolver())
        pid = self._pid(key)
        with self._db.transaction():
            self._db.execute("DELETE FROM calls WHERE partition = ? AND run_id = ?", (pid, run_id))
            self._db.executemany(_INSERT, [record_row(pid, rec) for rec in records])
        return len(records)
