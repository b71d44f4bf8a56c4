"""The ledger on a real PostgreSQL (a throwaway server from ``tests/postgres.py``): the same schema
and verdict as SQLite, an idempotent migration, and the cross-machine run lock."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from runner.cli import main as cli_main
from runner.errors import BusyError, InputError
from runner.ledger.ledger import Ledger
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.run.runlock import run_lock
from runner.verdict.criteria import evaluate, lookback
from tests.conftest import REPO
from tests.criteria_support import at, rec

NOW = at("2026-03-10T00:30")


def _mixed_records(seed: int, n: int = 400) -> list:
    rng = random.Random(seed)
    keys = ["GET /a", "GET /b/{id}", "POST /b", "POST /restapi/oauth/token"]
    return [
        rec(
            NOW - rng.random() * 3 * 86_400,
            rng.choice(keys),
            rng.choice([0, 200, 200, 200, 201, 401, 404, 429, 500]),
            count=rng.randint(1, 3),
            error_code=rng.choice([None, "OAU-128"]),
            event=rng.choice([None, TokenEvent.LOGIN, TokenEvent.REFRESH_ON_401]),
        )
        for _ in range(n)
    ]


def test_the_schema_and_rows_round_trip_on_postgresql(pg_url: str):
    records = _mixed_records(1, 50)
    with Ledger.open(pg_url) as ledger:
        assert ledger.backend == "postgresql" and ledger.schema_version == 7
        key = ledger.partition("https://platform.ringcentral.com/", "cid", "42")
        ledger.append(key, records[0])
        ledger.append_many(key, records[1:])
        assert ledger.partition("https://platform.ringcentral.com", "cid", "42") == key
    with Ledger.open(pg_url) as ledger:  # reopening migrates nothing and finds everything
        got = ledger.records(key, since=0)
        assert ledger.count() == 50
    assert got == sorted(records, key=lambda r: r.ts)
    assert all(isinstance(r.ts, float) and isinstance(r.latency_ms, float) for r in got)


@pytest.mark.parametrize("profile", ["strict", "docs-2019", "docs-2022"])
def test_the_verdict_over_the_same_rows_is_identical_on_both_back_ends(
    pg_url: str, tmp_path: Path, profile: str
):
    records = _mixed_records(7)
    results = []
    for target in (str(tmp_path / "l.sqlite3"), pg_url):
        with Ledger.open(target) as ledger:
            key = ledger.partition("local", "cid", profile)
            ledger.append_many(key, records)
            for until in (NOW, NOW - 1800.5, NOW - 7 * 3600):
                summary = ledger.summary(key, lookback(until), until=until)
                results.append((target, until, sorted(summary, key=repr), ledger.records(key, 0, until)))
    args = {"profile": profile, "scopes": ["ReadA", "EditB"], "catalog_lookup": False}
    sqlite_side, pg_side = results[:3], results[3:]
    for (_, until, lite, lite_raw), (_, _, pg, pg_raw) in zip(sqlite_side, pg_side, strict=True):
        assert pg == lite  # the same summary rows, not just the same verdict
        assert pg_raw == lite_raw
        assert evaluate(pg, now=until, **args) == evaluate(lite_raw, now=until, **args)


def test_an_import_replaces_its_rows_and_the_roll_up_forgets_them_on_postgresql(pg_url: str, tmp_path: Path):
    file = tmp_path / "console.csv"
    file.write_text("date,method,endpoint,status,count\n2026-03-09,GET,/a,200,12\n2026-03-09,GET,/a,404,1\n")
    resolve = lambda m, p: (p, "ReadA", "Light", None)  # noqa: E731
    with Ledger.open(pg_url) as ledger:
        key = ledger.partition("https://platform.ringcentral.com", "cid", "1")
        assert ledger.import_counts(key, file, resolve=resolve) == 2
        assert ledger.import_counts(key, file, resolve=resolve) == 2
        summary = ledger.summary(key, lookback(NOW), until=NOW)
    assert sorted((r.status, r.count, r.kind) for r in summary) == [
        (200, 12, Kind.IMPORTED),
        (404, 1, Kind.IMPORTED),
    ]


def test_migrate_copies_everything_once_and_again_copies_nothing(
    pg_url: str, rcgrad_home: Path, capsys: pytest.CaptureFixture[str]
):
    records = _mixed_records(3, 300)
    with Ledger.open() as local:  # the machine's own file under $RCGRAD_HOME
        a = local.partition("local", "cid", "1")
        b = local.partition("https://platform.ringcentral.com", "other", "2")
        local.append_many(a, records[:200])
        local.append_many(b, records[200:])
        local.append_many(b, records[200:201])  # an exact duplicate row stays two rows
        before = io.StringIO()
        local.export_csv(None, before)
    password_url = pg_url.replace("postgres@", "postgres:hunter2@", 1)
    assert cli_main(["ledger", "migrate", "--to", password_url]) == 0
    first = capsys.readouterr().err
    assert "copied 301 row(s)" in first and "0 were already there" in first
    assert "hunter2" not in first
    assert cli_main(["ledger", "migrate", "--to", pg_url]) == 0
    assert "copied 0 row(s)" in capsys.readouterr().err
    with Ledger.open(pg_url) as shared:
        after = io.StringIO()
        shared.export_csv(None, after)
        assert shared.count() == 301
    # Every column of every row, partitions included, is the same on both sides.
    assert sorted(after.getvalue().splitlines()) == sorted(before.getvalue().splitlines())


def test_migrate_refuses_a_destination_that_is_not_postgresql(capsys: pytest.CaptureFixture[str]):
    assert cli_main(["ledger", "migrate", "--to", "/tmp/x.sqlite3"]) == 2
    assert "--to: expected a PostgreSQL connection string" in capsys.readouterr().err


def test_an_unreachable_ledger_is_one_line_without_its_password(tmp_path: Path):
    url = f"postgresql://someone:s3cret@/nodb?host={tmp_path}&connect_timeout=1"
    with pytest.raises(InputError) as info:
        Ledger.open(url)
    message = str(info.value)
    assert message.startswith(f"postgresql://someone@{tmp_path}/nodb") and "s3cret" not in message
    assert "\n" not in message


def test_two_processes_migrating_a_fresh_database_at_once_both_succeed(pg_url: str):
    script = f"from runner.ledger.ledger import Ledger\nLedger.open({pg_url!r}).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stderr=subprocess.PIPE) for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(7,)]


# ---------------------------------------------------------------- the advisory run lock

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from runner.run.runlock import run_lock
    from runner.ledger.ledger import Ledger
    with Ledger.open(sys.argv[1]) as ledger, run_lock("local", "cid", ledger=ledger, wait=False):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def _hold_lock(pg_url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, pg_url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    return proc


def test_a_held_lock_stops_a_second_run_with_a_clear_message_naming_the_holder(pg_url: str):
    holder = _hold_lock(pg_url)
    try:
        with Ledger.open(pg_url) as ledger:
            with pytest.raises(BusyError) as info, run_lock("local", "cid", ledger=ledger, wait=False):
                pass
            # Another app on the same database is not blocked.
            with run_lock("local", "other-app", ledger=ledger, wait=False):
                pass
        assert f"rcgrad pid {holder.pid} on " in str(info.value)
        assert "pass --wait" in str(info.value) and info.value.exit_code == 1
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_leaves_no_lock_and_a_waiting_run_goes_on(pg_url: str):
    holder = _hold_lock(pg_url)
    notes: list[str] = []
    with Ledger.open(pg_url) as ledger:
        os.kill(holder.pid, signal.SIGKILL)  # no cleanup code runs: the server must notice
        holder.wait()
        start = time.monotonic()
        with run_lock("local", "cid", ledger=ledger, wait=True, notify=notes.append, poll=0.05):
            waited = time.monotonic() - start
        with run_lock("local", "cid", ledger=ledger, wait=False):  # and released again on exit
            pass
    assert waited < 10
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone() == (0,)


# ---------------------------------------------------------------- two machines, one ledger

TWO_MACHINES_PLAN = """
app:
  name: two machines
  description: A test app that reads the user's extension, presence and call log from two machines at once.
  scopes: [ReadAccounts, ReadCallLog, ReadPresence]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
  - GET /restapi/v1.0/account/~/extension/~/call-log
"""


def test_two_machines_on_one_ledger_take_turns_and_never_overshoot(pg_url: str, tmp_path: Path):
    from runner.sandbox import SandboxConfig, running_sandbox

    plan = tmp_path / "plan.yaml"
    plan.write_text(TWO_MACHINES_PLAN)
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=0.02)) as sb:
        procs = []
        for machine in ("a", "b"):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "RCGRAD_"))}
            env.update(line.split("=", 1) for line in sb.env_lines())
            env.update(
                RCGRAD_HOME=str(tmp_path / machine), RCGRAD_LEDGER=pg_url
            )  # nothing shared but the ledger
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "runner", "graduate", str(plan), "--server", sb.url, "--wait"],
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        outputs = [proc.communicate(timeout=120)[0] for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0], outputs
        api_ok = [r for r in sb.state.log if r.kind == "api" and r.status == 200]
    # What one machine needs (5 per endpoint, 21 in all), sent once: the second saw it in the ledger.
    assert len(api_ok) == 21
    assert sum("Nothing to send" in out for out in outputs) == 1, outputs
    with Ledger.open(pg_url) as ledger:
        (key,) = ledger.partitions()
        runs = {r.run_id for r in ledger.records(key, 0) if r.kind is Kind.API}
    assert len(runs) == 1


def test_a_ledger_server_gone_mid_command_is_one_line_without_the_password(pg_url: str):
    url = pg_url.replace("postgres@", "postgres:pa55word@", 1)
    with Ledger.open(url) as ledger:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(InputError) as info:
            ledger.count()
    message = str(info.value)
    assert "the ledger stopped answering" in message and "\n" not in message and "pa55word" not in message


def test_a_version_1_postgresql_ledger_migrates_forward_and_keeps_its_verdict(pg_url: str, tmp_path: Path):
    from runner.ledger import postgres

    records = _mixed_records(11, 200)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a ledger as version 1 left it
        for statement in postgres.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        (pid,) = conn.execute(
            "INSERT INTO partitions (server, client_id, user_id) VALUES ('local', 'cid', '1') RETURNING id"
        ).fetchone()
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO calls (partition, ts, method, template, status, grp, permission, kind, latency_ms,"
                " run_id, operation_id, count, error_code, event) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        pid,
                        *[
                            getattr(r, f)
                            for f in ("ts", "method", "template", "status", "group", "permission")
                        ],
                        str(r.kind),
                        r.latency_ms,
                        r.run_id,
                        r.operation_id,
                        r.count,
                        r.error_code,
                        None if r.event is None else str(r.event),
                    )
                    for r in records
                ],
            )
    with Ledger.open(pg_url) as ledger:
        assert ledger.schema_version == 7
        key = ledger.partition("local", "cid", "1")
        summary = ledger.summary(key, lookback(NOW), until=NOW)
    assert len(summary) < len(records)
    args = {"profile": "strict", "scopes": ["ReadA", "EditB"], "catalog_lookup": False}
    assert evaluate(summary, now=NOW, **args) == evaluate(records, now=NOW, **args)


def test_a_round_trip_sqlite_to_postgresql_and_back_loses_nothing(pg_url: str, tmp_path: Path):
    records = _mixed_records(5, 150)
    exports = []
    with Ledger.open(tmp_path / "a.sqlite3") as first, Ledger.open(pg_url) as shared:
        first.append_many(first.partition("local", "cid", "1"), records)
        first.copy_into(shared)
        with Ledger.open(tmp_path / "b.sqlite3") as back:
            shared.copy_into(back)
            for ledger in (first, shared, back):
                out = io.StringIO()
                ledger.export_csv(None, out)
                exports.append(out.getvalue())
    assert exports[0] == exports[1] == exports[2]
    assert exports[0].count("\n") == 151


def test_an_intent_is_settled_in_its_own_row_and_the_roll_up_follows_on_postgresql(pg_url: str):
    records = _mixed_records(21, 120)
    with Ledger.open(pg_url) as ledger:
        key = ledger.partition("local", "cid", "1")
        ledger.append_many(key, records)
        intents = [ledger.intend(key, replace(r, count=1)) for r in records[:40]]
        assert sum(r.status == UNKNOWN for r in ledger.records(key, since=0)) == 40
        for intent, r in zip(intents[:30], records[:30], strict=True):
            # Settled hours later (another hour of the roll-up), with another answer.
            ledger.settle(key, intent, replace(r, count=1, ts=r.ts + 5 * 3600, status=503))
    with Ledger.open(pg_url) as ledger:
        raw = ledger.records(key, since=0)
        assert len(raw) == 160 and sum(r.status == UNKNOWN for r in raw) == 10
        assert sum(r.status == 503 and r.count == 1 for r in raw) >= 30
        for now in (NOW, NOW + 6 * 3600):
            summary = ledger.summary(key, lookback(now), until=now)
            args = {"profile": "strict", "scopes": ["ReadA", "EditB"], "catalog_lookup": False}
            assert evaluate(summary, now=now, **args) == evaluate(raw, now=now, **args)


def test_calls_in_flight_share_transactions_and_keep_their_own_rows_on_postgresql(pg_url: str):
    """A fleet's calls write through one connection: 40 intents waiting together are one pipelined
    transaction, each with its own id, each settled in place; the roll-up follows as for single writes."""
    import anyio

    records = [replace(r, count=1) for r in _mixed_records(22, 40)]
    with Ledger.open(pg_url) as ledger:
        key = ledger.partition("local", "cid-together", "1")

        async def call(record: CallRecord) -> None:
            row = await ledger.intend_together(key, record)
            await ledger.settle_together(key, row, record)

        async def main() -> None:
            async with anyio.create_task_group() as tg:
                for record in records:
                    tg.start_soon(call, record)

        anyio.run(main)
        assert ledger.write_batches == 2
        raw = ledger.records(key, since=0)
        assert sorted(raw, key=lambda r: r.ts) == sorted(records, key=lambda r: r.ts)
        now = max(r.ts for r in records) + 60
        args = {"profile": "strict", "scopes": ["ReadA", "EditB"], "catalog_lookup": False}
        assert evaluate(ledger.summary(key, lookback(now), until=now), now=now, **args) == evaluate(
            raw, now=now, **args
        )
