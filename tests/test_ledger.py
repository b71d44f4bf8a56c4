"""The ledger: durable rows, partitions, two writer processes, CSV export/import, exact summaries."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main as cli_main
from runner.errors import InputError
from runner.ledger.ledger import LEDGER_FILE, Ledger, server_label
from runner.ledger.sqlite import MIGRATIONS
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.verdict.criteria import evaluate, lookback
from tests.conftest import REPO
from tests.criteria_support import at, rec

NOW = at("2026-03-10T00:30")


def test_records_round_trip_and_survive_reopening(tmp_path: Path):
    path = tmp_path / "l.sqlite3"
    full = CallRecord(
        ts=NOW - 5,
        method="GET",
        template="/restapi/v1.0/account/{accountId}",
        status=401,
        group="Light",
        permission="ReadAccounts",
        kind=Kind.API,
        latency_ms=12.5,
        run_id="r1",
        operation_id="readAccountInfo",
        error_code="OAU-128",
        event=TokenEvent.REFRESH_ON_401,
    )
    with Ledger.open(path) as ledger:
        key = ledger.partition("https://platform.ringcentral.com", "cid", "42")
        ledger.append(key, full)
        ledger.append(key, rec(NOW - 1))
    with Ledger.open(path) as ledger:
        key = ledger.partition("https://platform.ringcentral.com/", "cid", "42")
        assert ledger.records(key, since=0) == [full, rec(NOW - 1)]
        assert ledger.records(key, since=NOW - 2) == [rec(NOW - 1)]
        assert ledger.schema_version == len(MIGRATIONS) == 7
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(calls)")}
    assert {"calls_partition_ts", "calls_partition_endpoint"} <= indexes


def test_default_path_is_under_rcgrad_home(rcgrad_home: Path):
    with Ledger.open() as ledger:
        assert ledger.path == rcgrad_home / LEDGER_FILE


def test_partitions_keep_servers_apps_and_users_apart(tmp_path: Path):
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        local = ledger.partition("http://127.0.0.1:8765", "cid", "1")
        real = ledger.partition("https://platform.ringcentral.com", "cid", "1")
        other_user = ledger.partition("https://platform.ringcentral.com", "cid", "2")
        ledger.append(local, rec(NOW))
        ledger.append(real, rec(NOW, count=3))
        assert local.server == "local"
        assert [r.count for r in ledger.records(real, 0)] == [3]
        assert len(ledger.records(local, 0)) == 1
        assert ledger.records(other_user, 0) == []
    assert server_label("local") == "local"
    assert server_label("http://localhost:1/") == "local"


@pytest.mark.subprocess
def test_two_writer_processes_lose_no_row(tmp_path: Path):
    path = tmp_path / "shared.sqlite3"
    Ledger.open(path).close()
    script = textwrap.dedent(
        f"""
        import sys
        from runner.ledger.ledger import Ledger
        from runner.records import CallRecord
        ledger = Ledger.open({str(path)!r})
        key = ledger.partition("local", "cid", "u")
        for i in range(250):
            ledger.append(key, CallRecord(ts=float(i), method="GET", template="/w" + sys.argv[1],
                                          status=200, group="Light", permission=None))
        ledger.close()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(n)], cwd=REPO, stderr=subprocess.PIPE)
        for n in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with Ledger.open(path) as ledger:
        key = ledger.partition("local", "cid", "u")
        rows = ledger.records(key, 0)
    assert len(rows) == 500
    assert sorted({r.template for r in rows}) == ["/w1", "/w2"]


def test_export_csv_writes_every_row_with_its_partition(tmp_path: Path):
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        a = ledger.partition("local", "cid", "1")
        b = ledger.partition("https://platform.ringcentral.com", "cid", "1")
        ledger.append(a, rec(at("2026-03-09T10:00"), status=404))
        ledger.append(b, rec(at("2026-03-09T11:00")))
        out = io.StringIO()
        assert ledger.export_csv(None, out) == 2
        only_b = io.StringIO()
        assert ledger.export_csv(b, only_b) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["server"], r["status"], r["time_utc"]) for r in rows] == [
        ("local", "404", "2026-03-09T10:00:00.000Z"),
        ("https://platform.ringcentral.com", "200", "2026-03-09T11:00:00.000Z"),
    ]
    assert rows[0]["template"] == "/a" and rows[0]["permission"] == "ReadA"


CONSOLE_CSV = """Date,Method,Endpoint,Status,Count
2026-03-09,GET,/restapi/v1.0/account/~/extension/~/call-log,2xx,12
2026-03-09,get,/restapi/v1.0/account/~/extension/~/call-log,404,1
2026-03-09,POST,/restapi/oauth/token,2xx,3
2026-03-10,GET,/restapi/v1.0/unknown/thing,429,0
"""


def test_import_counts_maps_templates_and_is_idempotent(tmp_path: Path):
    file = tmp_path / "console.csv"
    file.write_text(CONSOLE_CSV)
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        key = ledger.partition("https://platform.ringcentral.com", "cid", "1")
        assert ledger.import_counts(key, file) == 3  # the zero-count row adds nothing
        assert ledger.import_counts(key, file) == 3
        rows = ledger.records(key, 0)
    assert len(rows) == 3
    call_log = [r for r in rows if r.kind is Kind.IMPORTED]
    assert {(r.status, r.count) for r in call_log} == {(200, 12), (404, 1)}
    assert call_log[0].template == "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log"
    assert call_log[0].permission == "ReadCallLog"
    assert call_log[0].ts == at("2026-03-09T00:00")
    assert [r.kind for r in rows if r.template.startswith("/restapi/oauth/")] == [Kind.OAUTH]
    verdict = evaluate(rows, now=NOW, catalog_lookup=False)
    assert verdict.criterion("total_successes").value == 12
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:  # the roll-up forgot the replaced rows too
        summary = ledger.summary(key, lookback(NOW), until=NOW)
    assert evaluate(summary, now=NOW, catalog_lookup=False) == verdict


def test_import_without_header_is_positional(tmp_path: Path):
    file = tmp_path / "plain.csv"
    file.write_text("2026-03-09,GET,/a,200,7\n")
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        key = ledger.partition("local", "cid", "1")
        ledger.import_counts(key, file, resolve=lambda m, p: (p, "ReadA", "Light", None))
        assert [(r.template, r.count, r.permission) for r in ledger.records(key, 0)] == [("/a", 7, "ReadA")]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("yesterday,GET,/a,200,1", "date"),
        ("2026-03-09,GET,/a,ok,1", "status"),
        ("2026-03-09,GET,/a,200,many", "count"),
        ("2026-03-09,GET,a,200,1", "endpoint"),
        ("2026-03-09,GET,/a", "row"),
    ],
)
def test_a_bad_import_line_is_named_and_nothing_is_stored(tmp_path: Path, line: str, key: str):
    file = tmp_path / "bad.csv"
    file.write_text(f"date,method,endpoint,status,count\n2026-03-09,GET,/a,200,1\n{line}\n")
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        part = ledger.partition("local", "cid", "1")
        with pytest.raises(InputError) as info:
            ledger.import_counts(part, file)
        assert ledger.count() == 0
    assert str(info.value).startswith(f"{file}:3: {key}: ")


def test_an_import_that_is_not_utf8_names_its_line(tmp_path: Path):
    file = tmp_path / "latin1.csv"
    file.write_bytes(b"date,method,endpoint,status,count\n2026-03-09,GET,/caf\xe9,200,1\n")
    with Ledger.open(tmp_path / "l.sqlite3") as ledger, pytest.raises(InputError) as info:
        ledger.import_counts(ledger.partition("local", "cid", "1"), file)
    assert str(info.value) == f"{file}:2: not UTF-8 text (byte 0xe9)"


records_strategy = st.lists(
    st.builds(
        rec,
        ts=st.floats(min_value=NOW - 3 * 86_400, max_value=NOW + 3_600),
        key=st.sampled_from(["GET /a", "GET /b/{id}", "POST /b", "POST /restapi/oauth/token"]),
        status=st.sampled_from([0, 200, 201, 401, 404, 429, 500]),
        count=st.integers(min_value=1, max_value=3),
        error_code=st.sampled_from([None, "OAU-128"]),
        event=st.sampled_from([None, TokenEvent.LOGIN, TokenEvent.REFRESH_ON_401]),
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records_strategy, profile=st.sampled_from(["strict", "docs-2019", "docs-2022"]))
def test_summary_gives_the_same_verdict_as_the_raw_rows(tmp_path: Path, records, profile):
    with Ledger.open(tmp_path / "prop.sqlite3") as ledger:
        key = ledger.partition("local", "cid", str(len(ledger.partitions())))
        ledger.append_many(key, records)
        raw = ledger.records(key, lookback(NOW), until=NOW)
        summary = ledger.summary(key, lookback(NOW), until=NOW)
    assert len(summary) <= len(raw)
    args = {"now": NOW, "profile": profile, "scopes": ["ReadA", "EditB"], "catalog_lookup": False}
    assert evaluate(summary, **args) == evaluate(raw, **args) == evaluate(records, **args)


def test_migrating_a_version_1_ledger_backfills_the_roll_up(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    records = [rec(NOW - 3600 * h, "GET /a", 200 if h % 5 else 404) for h in range(60)]
    with Ledger.open(path) as ledger:
        key = ledger.partition("local", "cid", "1")
        ledger.append_many(key, records)
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TRIGGER calls_hourly_insert; DROP TRIGGER calls_hourly_delete; DROP TRIGGER calls_hourly_update;"
        " DROP TABLE hourly;"
        " DROP TABLE rate_gates; ALTER TABLE calls DROP COLUMN hour; DROP TABLE tokens; DROP TABLE alerts;"
        " UPDATE schema_version SET version = 1;"
    )
    conn.close()
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == len(MIGRATIONS) == 7
        summary = ledger.summary(key, lookback(NOW), until=NOW)
    assert len(summary) < len(records)
    assert evaluate(summary, now=NOW, catalog_lookup=False) == evaluate(
        records, now=NOW, catalog_lookup=False
    )


def test_a_newer_ledger_is_refused_with_one_line(tmp_path: Path):
    path = tmp_path / "new.sqlite3"
    Ledger.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="newer than this rcgrad knows"):
        Ledger.open(path)


def test_cli_export_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch):
    file = tmp_path / "console.csv"
    file.write_text(CONSOLE_CSV)
    monkeypatch.setenv("RC_APP_CLIENT_ID", "cid")
    assert cli_main(["ledger", "import", str(file), "--server", "production"]) == 2
    assert "no plan would read these counts" in capsys.readouterr().err  # no run used it yet
    with Ledger.open() as ledger:  # a run of this app and user (7) did; a second user's too
        ledger.partition("https://platform.ringcentral.com", "cid", "7")
        ledger.partition("https://platform.ringcentral.com", "cid", "8")
    assert cli_main(["ledger", "import", str(file), "--server", "production"]) == 2
    assert "--user-id" in capsys.readouterr().err
    assert cli_main(["ledger", "import", str(file), "--server", "production", "--user-id", "9"]) == 2
    assert "partitions here: https://platform.ringcentral.com / cid / 7" in capsys.readouterr().err
    assert cli_main(["ledger", "import", str(file), "--server", "production", "--user-id", "7"]) == 0
    assert cli_main(["ledger", "import", str(tmp_path / "missing.csv"), "--server", "production"]) == 2
    assert "missing.csv" in capsys.readouterr().err
    out = tmp_path / "out.csv"
    assert cli_main(["ledger", "export", "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert {(r["server"], r["user_id"], r["kind"]) for r in rows} == {
        ("https://platform.ringcentral.com", "7", "imported"),
        ("https://platform.ringcentral.com", "7", "oauth"),
    }
    capsys.readouterr()
    assert cli_main(["ledger", "export"]) == 0
    assert capsys.readouterr().out.startswith("server,client_id,user_id,time_utc")


def test_migrate_says_where_to_and_what_is_missing_in_one_line(
    rcgrad_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.delenv("RCGRAD_LEDGER", raising=False)
    assert cli_main(["ledger", "migrate"]) == 2
    assert "--to: where to? pass --to postgresql://" in capsys.readouterr().err
    assert cli_main(["ledger", "migrate", "--to", "postgresql://u@/db?host=/nowhere"]) == 2
    err = capsys.readouterr().err
    assert (
        f"{rcgrad_home / LEDGER_FILE}: --ledger: no ledger file here to migrate" in err
        and err.count("\n") == 1
    )


def test_an_intent_is_a_call_with_an_unknown_answer_until_settled_in_its_own_row(tmp_path: Path):
    path = tmp_path / "l.sqlite3"
    sent = rec(NOW - 7200, "GET /a")
    with Ledger.open(path) as ledger:
        key = ledger.partition("local", "cid", "1")
        ledger.append_many(key, [rec(NOW - 3 * 3600 - i) for i in range(30)])  # whole hours of the roll-up
        first, second = ledger.intend(key, sent), ledger.intend(key, sent)
        assert [r.status for r in ledger.records(key, since=NOW - 7300)] == [UNKNOWN, UNKNOWN]
        assert ledger.recent_sends(key, "Light", NOW - 7300) == [NOW - 7200] * 2  # in the rate window
        # Settled an hour later: the row moves to its answer's hour, the roll-up with it.
        ledger.settle(key, first, replace(sent, ts=NOW - 3500, status=404, latency_ms=9.5))
        assert conn_synchronous(ledger) == 1  # NORMAL again after the fsynced intent
    with Ledger.open(path) as ledger:
        rows = ledger.records(key, since=NOW - 7300)
        assert [(r.ts, r.status) for r in rows] == [(NOW - 7200, UNKNOWN), (NOW - 3500, 404)]
        assert ledger.count(key) == 32
        raw = ledger.records(key, since=0)
        for until in (NOW, NOW + 5 * 3600):  # partial hours read from calls, whole ones from hourly
            summary = ledger.summary(key, lookback(until), until=until)
            assert evaluate(summary, now=until, catalog_lookup=False) == evaluate(
                raw, now=until, catalog_lookup=False
            )
        assert second  # left unsettled: the process that sent it is gone


def conn_synchronous(ledger: Ledger) -> int:
    return int(ledger._db.execute("PRAGMA synchronous").fetchone()[0])


@pytest.mark.subprocess
def test_an_intent_survives_kill_9_of_the_process_that_wrote_it(tmp_path: Path):
    path = tmp_path / "l.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, signal
        from runner.ledger.ledger import Ledger
        from runner.records import CallRecord
        ledger = Ledger.open({str(path)!r})
        key = ledger.partition("local", "cid", "1")
        ledger.intend(key, CallRecord(ts=1.0, method="GET", template="/a", status=200, group="Light", permission=None))
        os.kill(os.getpid(), signal.SIGKILL)  # with the request on the wire
        """
    )
    assert subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=60).returncode == -9
    with Ledger.open(path) as ledger:
        assert [r.status for r in ledger.records(ledger.partition("local", "cid", "1"), since=0)] == [UNKNOWN]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["export", "--to", "postgresql://db/x"], "--to: is for ledger migrate, not ledger export"),
        (["export", "--plan", "p.yaml"], "--plan: is for ledger import, not ledger export"),
        (["migrate", "counts.csv"], "FILE: is for ledger import, not ledger migrate"),
        (["import", "counts.csv", "--csv", "out.csv"], "--csv: is for ledger export, not ledger import"),
    ],
)
def test_a_flag_of_another_ledger_action_is_refused_not_ignored(argv, line, capsys):
    assert cli_main(["ledger", *argv]) == 2
    assert capsys.readouterr().err.strip() == f"rcgrad: {line}"
