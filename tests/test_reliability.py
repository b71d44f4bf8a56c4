"""Reliability: every fault of the sandbox, one test each, with its expected verdict, ledger and counts.

Each test records a row of the table ``make reliability`` prints: requests lost (sandbox log vs
ledger), 429s and secrets leaked must all be 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from runner.cli import main
from runner.ledger.ledger import Ledger
from runner.records import UNKNOWN, CallRecord, Kind, TokenEvent
from runner.run.runlock import run_lock
from runner.sandbox import Faults, SandboxConfig, running_sandbox
from runner.sandbox.journal import record_from
from runner.sandbox.server import free_port
from tests.conftest import REPO
from tests.rehearsal import (
    ENDPOINTS,
    PLAN,
    SCALE,
    SCOPES,
    graduate,
    ledger_api_records,
    ledger_records,
    record,
    sandbox_api_records,
    use,
    write_plan,
)

pytestmark = pytest.mark.reliability


def _sandbox(**faults: object) -> SandboxConfig:
    return SandboxConfig(scopes=frozenset(SCOPES), time_scale=SCALE, faults=Faults(**faults))  # type: ignore[arg-type]


def test_5xx_bursts_and_latency_are_retried_and_never_count_as_4xx(tmp_path, monkeypatch, capsys):
    with running_sandbox(_sandbox(error_burst=4, latency=0.005)) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb)
        statuses = [r.status for r in ledger_api_records()]
        assert code == 0 and statuses.count(503) == 4 and statuses.count(200) == 21
        assert next(c for c in verdict["criteria"] if c["name"] == "error_ratio_4xx")["value"] == 0
        row = record("5xx burst + latency", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_dropped_connections_are_retried_and_recorded_as_no_response(tmp_path, monkeypatch, capsys):
    with running_sandbox(_sandbox(drop_burst=3)) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb)
        statuses = [r.status for r in ledger_api_records()]
        assert code == 0 and statuses.count(0) == 3 and statuses.count(200) == 21
        row = record("dropped connections", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_a_request_that_times_out_is_retried(tmp_path, monkeypatch, capsys):
    with running_sandbox(_sandbox(stall_burst=1, stall_seconds=1.5)) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb, "--timeout", "0.5")
        statuses = [r.status for r in ledger_api_records()]
        assert code == 0 and statuses.count(0) == 1 and statuses.count(200) == 21
        # The stalled request was answered after the client gave up: the sandbox logged a 200 the
        # client never saw, which the ledger holds as "no response".
        assert len(sandbox_api_records(sb)) == len(ledger_api_records())
        row = record("timeout mid-request", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_a_sandbox_restart_mid_run_loses_no_record_and_a_rerun_sends_only_the_deficit(tmp_path, monkeypatch):
    port = free_port()
    config = SandboxConfig(scopes=frozenset(SCOPES), time_scale=SCALE, state_path=tmp_path / "sandbox.json")
    plan = write_plan(tmp_path)
    outcome: dict[str, object] = {}
    with running_sandbox(config, port=port) as sb:
        use(monkeypatch, sb)
        runner = threading.Thread(target=lambda: outcome.update(code=graduate(tmp_path, plan, sb)[0]))
        runner.start()
        while len(sandbox_api_records(sb)) < 8:
            time.sleep(0.005)
    # Down: requests in flight and new ones fail in transport; then the same server comes back.
    with running_sandbox(config, port=port) as sb:
        # The run backs off while the server is down (a pause that doubles, up to a minute): on a
        # loaded machine the restart can cost it a few of those.
        runner.join(timeout=300)
        assert not runner.is_alive() and outcome["code"] == 0
        answered = [r for r in sandbox_api_records(sb) if r.status]
        in_ledger = [r for r in ledger_api_records() if r.status]
        assert len(answered) == len(in_ledger)  # every completed call is in the ledger
        before = len(sb.state.log)
        code, verdict = graduate(tmp_path, plan, sb)
        assert code == 0 and len(sb.state.log) == before  # nothing left to send
        row = record("sandbox restart mid-run", 2, verdict, sb)
        # Attempts made while it was down never reached it: in the ledger as no response (unreached).
        assert (row.lost, row.rate_limited, row.leaked) == (0, 0, 0)
        assert row.unreached <= sum(1 for r in ledger_api_records() if r.status == 0)


def test_tokens_revoked_mid_run_cost_one_login_and_no_401_storm(tmp_path, monkeypatch, capsys):
    with running_sandbox(_sandbox(revoke_after=8)) as sb:
        use(monkeypatch, sb)
        _, verdict = graduate(tmp_path, write_plan(tmp_path), sb)
        records = sorted(ledger_api_records(), key=lambda r: r.ts)
        refused = [r for r in records if r.status == 401]
        assert refused
        # Only requests already on the wire when the session died were refused: nothing sent after
        # the new session began (send time = answer time - latency) got a 401.
        relogin = next(r.ts for r in ledger_records() if r.event is TokenEvent.RELOGIN and r.status == 200)
        assert all(r.ts - r.latency_ms / 1000 <= relogin for r in refused)
        logins = [r for r in sb.state.log if r.event is TokenEvent.LOGIN and r.status == 200]
        assert len(logins) == 2
        assert [r.status for r in ledger_api_records()].count(200) >= 21
        hygiene = next(c for c in verdict["criteria"] if c["name"] == "token_hygiene")
        assert not hygiene["met"]  # a revoked session shows, honestly, as 401s
        row = record("all tokens revoked", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_an_expired_refresh_token_means_one_login_and_zero_401s(tmp_path, monkeypatch, capsys):
    config = SandboxConfig(
        scopes=frozenset(SCOPES), time_scale=SCALE, access_token_ttl=30, refresh_token_ttl=50
    )
    with running_sandbox(config) as sb:
        use(monkeypatch, sb)
        plan = write_plan(tmp_path)
        assert graduate(tmp_path, plan, sb, "--calls", "1")[0] == 1
        first_run = len(sb.state.log)
        time.sleep(1.2)  # both tokens (0.6 s and 1.0 s at this time scale) are dead
        code, verdict = graduate(tmp_path, plan, sb)
        assert code == 0
        assert not [r for r in ledger_api_records() if r.status == 401]
        # The dead refresh token is never sent: the second run starts with a JWT login, and no token
        # call is refused. (On a slow machine a run may outlive a 1 s refresh token and log in again,
        # properly; the point is it never tries a dead one.)
        token_calls = [r for r in sb.state.log[first_run:] if r.kind == "oauth"]
        assert token_calls[0].event is TokenEvent.LOGIN and token_calls[0].status == 200
        assert all(r.status == 200 for r in token_calls), [(r.event, r.status) for r in token_calls]
        row = record("expired refresh token", 2, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_a_forced_429_holds_the_gate_for_the_whole_penalty(tmp_path, monkeypatch, capsys):
    with running_sandbox(_sandbox(force_429=1)) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb)
        log = sandbox_api_records(sb)
        trap = next(r for r in log if r.status == 429)
        after = [r.ts - trap.ts for r in log if r.group == trap.group and r.ts > trap.ts]
        assert min(after) >= 60 * SCALE  # nothing was sent to that group during the penalty
        assert code == 1 and verdict["met"] is False  # the 429 itself fails the zero-429 criterion
        row = record("forced 429", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 1, 0)
        TABLE_NOTE.append("forced 429: the one 429 is the injected fault; none was earned")


TABLE_NOTE: list[str] = []


def test_a_lower_custom_limit_and_background_load_earn_no_429(tmp_path, monkeypatch, capsys):
    config = SandboxConfig(
        scopes=frozenset(SCOPES),
        time_scale=SCALE,
        limits={"Heavy": 3},
        background_load={"Light": 0.5, "Heavy": 0.34},
    )
    with running_sandbox(config) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb)
        assert code == 0
        row = record("custom limit + background load", 1, verdict, sb, capsys.readouterr().out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_truncated_non_json_bodies_skip_dependent_steps_and_lose_nothing(tmp_path, monkeypatch, capsys):
    endpoints = """\
  - GET /restapi/v1.0/account/~/extension/~
  - name: read a fax
    setup:
      - name: list faxes
        request: GET /restapi/v1.0/account/~/extension/~/message-store
        save: {message_id: '$.records[0].id'}
    request: GET /restapi/v1.0/account/~/extension/~/message-store/{{message_id}}
"""
    scopes = ("ReadAccounts", "ReadMessages")
    with running_sandbox(
        SandboxConfig(scopes=frozenset(scopes), time_scale=SCALE, faults=Faults(garbage_burst=2))
    ) as sb:
        use(monkeypatch, sb)
        code, verdict = graduate(tmp_path, write_plan(tmp_path, endpoints, scopes), sb)
        out = capsys.readouterr().out
        assert not [r for r in ledger_api_records() if 400 <= r.status < 500]
        row = record("truncated bodies", 1, verdict, sb, out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)
        assert code in (0, 1)


def test_a_huge_response_body_is_read_with_bounded_memory(tmp_path, monkeypatch, capsys):
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "sandbox", "--scopes", "ReadAccounts", "--time-scale", str(SCALE)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        env = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(4))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        token_file = Path(proc.stdout.readline().rsplit(" in ", 1)[1].strip())
        headers = {"X-Sandbox-Control": token_file.read_text()}
        httpx.post(
            env["RC_SERVER_URL"] + "/__sandbox/faults", json={"huge_body": 40_000_000}, headers=headers
        )
        plan = write_plan(tmp_path, "  - GET /restapi/v1.0/account/~/extension/~\n", ("ReadAccounts",))
        tracemalloc.start()
        code = main(["graduate", plan, "--server", env["RC_SERVER_URL"], "--calls", "3", "-q"])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert code == 1  # 3 calls are not enough: the run itself is what is under test
        assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB while reading 40 MB bodies"
        assert [r.status for r in ledger_api_records()].count(200) == 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


CONTACTS = (
    (REPO / "plans" / "contacts.yaml").read_text().replace("server: local", "server: local  # overridden")
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_runs_teardown_keeps_the_ledger_and_the_tokens(
    tmp_path, monkeypatch, signum, rcgrad_home
):
    # Heavy allows 10 a window (3 s here): the run is still going when the signal arrives, and the
    # teardown has to wait for a slot.
    config = SandboxConfig(scopes=frozenset({"Contacts", "ReadContacts"}), time_scale=0.05)
    plan = tmp_path / "contacts.yaml"
    plan.write_text(CONTACTS)
    with running_sandbox(config) as sb:
        use(monkeypatch, sb)
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "graduate", str(plan), "--server", sb.url, "-q"],
            cwd=tmp_path,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not any(r.method == "POST" and r.status in (200, 201) for r in sandbox_api_records(sb)):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 1), err
        assert "Traceback" not in err
        log = sandbox_api_records(sb)
        created = sum(1 for r in log if r.method == "POST" and r.status in (200, 201))
        deleted = sum(1 for r in log if r.method == "DELETE" and r.status == 204)
        assert created >= 1 and created == deleted  # teardown ran for every contact created
        assert len(log) == len(ledger_api_records())  # the ledger is consistent
        token_files = list((rcgrad_home / "tokens").glob("*.json"))
        assert token_files and all(f.stat().st_mode & 0o077 == 0 for f in token_files)  # rotated tokens saved
        row = record(f"{signal.Signals(signum).name} mid-run", 1, {"met": proc.returncode == 0}, sb, out, err)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_two_processes_for_one_app_share_the_budget_and_one_login(tmp_path, monkeypatch):
    config = SandboxConfig(scopes=frozenset(SCOPES), time_scale=SCALE)
    plan = write_plan(tmp_path)
    with running_sandbox(config) as sb:
        use(monkeypatch, sb)
        command = [sys.executable, "-m", "runner", "{}", plan, "--server", sb.url, "-q", "--wait"]
        # Both start while the app's run lock is held (as by a third run), so both must wait and say
        # why, however fast or slow the machine; then they take turns.
        with run_lock(sb.url, sb.config.client_id, wait=False):
            procs = [
                subprocess.Popen(
                    [c.format(name) for c in command],
                    cwd=tmp_path,
                    env=os.environ.copy(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for name in ("graduate", "warmup")
            ]
            said = [p.stdout.readline() if p.stdout else "" for p in procs]  # before anything is sent
            assert all("waiting for" in line for line in said), said
            assert not sb.state.log
        outputs = [p.communicate(timeout=90) for p in procs]
        assert all(p.returncode in (0, 1) for p in procs), outputs
        log = sb.state.log
        assert not [r for r in log if r.status == 429]
        assert len([r for r in log if r.template == "/restapi/oauth/token"]) == 1  # never both logged in
        assert len(sandbox_api_records(sb)) == len(ledger_api_records())  # two writers, no lost rows
        # The second planned after the first had sent: together they sent what one run needs.
        assert len(sandbox_api_records(sb)) == 21
        met = all(p.returncode == 0 for p in procs)
        row = record("graduate + warmup at once", 2, {"met": met}, sb, *(o + e for o, e in outputs))
        assert (row.sent, row.lost, row.unreached, row.rate_limited, row.leaked) == (21, 0, 0, 0, 0)


def test_production_needs_consent_and_writes_need_a_second_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name, value in (("RC_APP_CLIENT_ID", "id"), ("RC_APP_CLIENT_SECRET", "s"), ("RC_USER_JWT", "j")):
        monkeypatch.setenv(name, value)
    plan = tmp_path / "prod.yaml"
    plan.write_text(CONTACTS.replace("server: local  # overridden", "server: production"))
    assert main(["graduate", str(plan)]) == 2
    assert "--allow-production" in capsys.readouterr().err
    assert main(["graduate", str(plan), "--allow-production"]) == 2
    assert "--allow-production-writes" in capsys.readouterr().err


def test_state_files_are_owner_only(tmp_path, monkeypatch, rcgrad_home):
    with running_sandbox(_sandbox()) as sb:
        use(monkeypatch, sb)
        graduate(tmp_path, write_plan(tmp_path), sb, "--calls", "1")
    files = [p for p in rcgrad_home.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.stat().st_mode & 0o077 == 0, path
    for folder in [rcgrad_home, *(p for p in rcgrad_home.rglob("*") if p.is_dir())]:
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_the_ledger_survives_two_writers(tmp_path):
    script = (
        "import sys\nfrom runner.ledger.ledger import Ledger\nfrom runner.records import CallRecord\n"
        "with Ledger.open() as l:\n    k = l.partition('local', 'c', 'u')\n"
        "    for i in range(200): l.append(k, CallRecord(ts=i, method='GET', template='/x', status=200, "
        "group='Light', permission=None))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=REPO) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with Ledger.open() as ledger:
        assert ledger.count() == 400


HEAVY = "  - GET /restapi/v1.0/account/~/extension/~/call-log\n"


def test_when_every_connection_drops_the_run_gives_up_at_its_deadline_with_one_line(
    tmp_path, monkeypatch, capsys
):
    with running_sandbox(_sandbox(drop_burst=10**6)) as sb:
        use(monkeypatch, sb)
        started = time.monotonic()
        code, verdict = graduate(tmp_path, write_plan(tmp_path), sb, "--calls", "10", "--deadline", "4")
        took = time.monotonic() - started
        out = capsys.readouterr().out
        # Without a deadline this ran for over five minutes; the give-up line shows even under -q.
        assert code == 1 and took < 30, took
        assert [line for line in out.splitlines() if line.startswith("gave up:")] == [
            "gave up: the run passed its deadline of 4 s"
        ]
        assert "Traceback" not in out
        row = record("every connection drops", 1, verdict, sb, out)
        assert (row.lost, row.rate_limited, row.leaked) == (0, 0, 0)
        assert row.unreached == 0  # the server was up: it logged every cut connection


def test_a_server_answering_only_503_is_asked_less_and_less_and_the_run_says_it_gave_up(
    tmp_path, monkeypatch, capsys
):
    with running_sandbox(_sandbox(error_rate=1.0)) as sb:  # every API answer: 503, Retry-After: 0
        use(monkeypatch, sb)
        plan = write_plan(tmp_path, "  - GET /restapi/v1.0/account/~/extension/~\n", ("ReadAccounts",))
        code, verdict = graduate(tmp_path, plan, sb, "--calls", "1")
        out = capsys.readouterr().out
        log = sandbox_api_records(sb)
        # Each request honouring Retry-After: 0 alone sent 90 in 7 s; past three in a row, the whole
        # run pauses, longer each time.
        assert code == 1 and [r.status for r in log] == [503] * 5
        assert log[-1].ts - log[-2].ts >= 2 * 0.9  # 2 s and its jitter, less the clocks' slack
        [gave_up] = [line for line in out.splitlines() if line.startswith("gave up:")]
        assert re.fullmatch(
            r"gave up: the server did not answer \(or answered 5xx\) any of the run's 5 attempts,"
            r" over \d+ s \(last: HTTP 503\)",
            gave_up,
        )
        row = record("only 503", 1, verdict, sb, out)
        assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


def test_kill_9_of_a_local_run_leaves_the_sandbox_log_equal_to_the_ledger(
    tmp_path, monkeypatch, rcgrad_home, capsys
):
    from runner.sandbox.journal import Journal

    plan = tmp_path / "local.yaml"
    plan.write_text(
        PLAN.format(scopes="ReadCallLog", endpoints=HEAVY).replace("name: reliability", "name: killed")
    )
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.05")  # Heavy: 10 a 3 s window
    journal = rcgrad_home / "local-sandbox" / "killed" / "log.jsonl"

    def api_lines() -> list[CallRecord]:
        return (
            [r for r in Journal.reopen(journal, now=time.time())[0] if r.kind is Kind.API]
            if journal.exists()
            else []
        )

    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "graduate", str(plan), "--calls", "15", "-q"],
        cwd=tmp_path,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    # The first window's ten are sent and answered; the eleventh waits for a slot: kill it there.
    while journal.exists() is False or journal.read_text().count('"kind":"api"') < 10:
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr and proc.stderr.read()
        time.sleep(0.02)
    time.sleep(0.5)
    proc.kill()
    err = proc.communicate(timeout=10)[1]
    assert proc.returncode == -signal.SIGKILL
    killed = api_lines()
    assert len(killed) >= 10 and len(killed) == len(ledger_api_records())
    # A rerun's sandbox starts from that log: it and the ledger agree on everything sent so far.
    assert main(["graduate", str(plan), "--calls", "1", "-q"]) in (0, 1)
    both = api_lines()
    assert len(both) == len(killed) + 1 == len(ledger_api_records()), [
        (r.status, r.error_code) for r in both[-3:]
    ]
    kept = rcgrad_home / "local-sandbox"
    identity = json.loads((kept / "identity.json").read_text())
    # Sessions are saved as tokens change: the rerun's stored token was still valid (no 401 above).
    sessions = json.loads((kept / "killed" / "state.json").read_text())["sessions"]
    sb = SimpleNamespace(
        state=SimpleNamespace(
            log=both,
            oauth=SimpleNamespace(sessions={s["session_id"]: SimpleNamespace(**s) for s in sessions}),
        ),
        config=SimpleNamespace(jwt=identity["jwt"], client_secret=identity["client_secret"]),
    )
    row = record("kill -9 of a local run, rerun", 2, {"met": False}, sb, capsys.readouterr().out, err)
    assert (row.lost, row.unreached, row.rate_limited, row.leaked) == (0, 0, 0, 0)


KILL_TRIALS = {"sqlite": 20, "postgresql": 5}
KILL_CALLS = 4  # per item and run: 12 calls, within one Heavy window at this time scale


class _JournalTail:
    """The API calls a local sandbox has logged, read as its journal grows (it is rewritten, as a
    new file, whenever a run starts)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._inode = -1
        self._offset = 0
        self._partial = ""
        self.calls = 0

    def poll(self) -> int:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return self.calls
        if stat.st_ino != self._inode:
            self._inode, self._offset, self._partial, self.calls = stat.st_ino, 0, "", 0
        if stat.st_size > self._offset:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                handle.seek(self._offset)
                text = self._partial + handle.read()
                self._offset = handle.tell()
            *lines, self._partial = text.split("\n")
            self.calls += sum('"kind":"api"' in line for line in lines)
        return self.calls

    def records(self) -> list[CallRecord]:
        kept = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                kept.append(record_from(json.loads(line)))  # a line the kill tore is dropped
        return [r for r in kept if r.kind is Kind.API]


@pytest.mark.parametrize("backend", list(KILL_TRIALS))
def test_kill_9_at_random_moments_loses_no_call_and_the_rerun_counts_the_unknown_ones(
    tmp_path, monkeypatch, rcgrad_home, capsys, backend, request
):
    """Each trial kills a local run at a random moment: during the login, while calls are on the
    wire, between windows. Right after, every call the sandbox logged is in the ledger, answered or
    as sent with an unknown answer; the next trial's run is the rerun, and the verdict counts each
    unknown one as a 4xx and no success."""
    if backend == "postgresql":
        monkeypatch.setenv("RCGRAD_LEDGER", request.getfixturevalue("pg_url"))
    plan = tmp_path / "local.yaml"
    plan.write_text(
        PLAN.format(scopes=", ".join(SCOPES), endpoints=ENDPOINTS).replace("reliability", "killed")
    )
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", str(SCALE))
    tail = _JournalTail(rcgrad_home / "local-sandbox" / "killed" / "log.jsonl")
    # Every endpoint proven first: a rerun keeps calling an endpoint with a 2xx in the window however
    # many unknown answers pile up, so every trial sends.
    assert main(["graduate", str(plan), "-q"]) == 0
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    unknown_total = 0
    for trial in range(KILL_TRIALS[backend]):
        before = tail.poll()
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "graduate", str(plan), "--calls", str(KILL_CALLS), "-q"],
            cwd=tmp_path,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # A random moment: once a random number of this run's calls have reached the sandbox, plus a
        # random share of a call's time on the wire; with none, anywhere in the start and the login.
        calls = rng.randint(0, 3 * KILL_CALLS - 1)
        deadline = time.monotonic() + 30
        while tail.poll() < before + calls and proc.poll() is None:
            assert time.monotonic() < deadline, f"seed {seed}, trial {trial}: no progress"
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004) if calls else rng.uniform(0, 0.6))
        proc.kill()
        err = proc.communicate(timeout=10)[1]
        assert proc.returncode in (-signal.SIGKILL, 0, 1), err  # a run may finish before its kill
        seen, kept = Counter(r.endpoint for r in tail.records()), ledger_api_records()
        unknown = Counter(r.endpoint for r in kept if r.status == UNKNOWN)
        lost = seen - Counter(r.endpoint for r in kept)
        assert not lost, f"seed {seed}, trial {trial}: the ledger lacks {dict(lost)} the sandbox logged"
        # Whatever the ledger holds beyond the sandbox's log was caught before it reached the wire.
        assert Counter(r.endpoint for r in kept) - seen <= unknown
        unknown_total = sum(unknown.values())
        # The verdict (status: the ledger alone) counts each unknown answer as a 4xx and no success.
        out = tmp_path / "status.json"
        assert main(["status", str(plan), "--json", str(out), "-q"]) in (0, 1)
        verdict = json.loads(out.read_text())
        criteria = {c["name"]: c for c in verdict["criteria"]}
        responses = [r for r in kept if r.status != 0]
        errors = sum(1 for r in responses if 400 <= r.status < 500 or r.status == UNKNOWN)
        assert criteria["error_ratio_4xx"]["value"] == pytest.approx(errors / len(responses))
        assert criteria["total_successes"]["value"] == sum(1 for r in kept if 200 <= r.status < 300)
        noted = [c for c in verdict["caveats"] if "no recorded answer" in c]
        assert [c.split(" ", 1)[0] for c in noted] == ([str(unknown_total)] if unknown_total else [])
    # The last rerun runs to its end; the ledger and the sandbox's log still agree.
    assert main(["graduate", str(plan), "--calls", "1", "-q"]) in (0, 1)
    kept = ledger_api_records()
    assert not Counter(r.endpoint for r in tail.records()) - Counter(r.endpoint for r in kept)
    kept_home = rcgrad_home / "local-sandbox"
    identity = json.loads((kept_home / "identity.json").read_text())
    sessions = json.loads((kept_home / "killed" / "state.json").read_text())["sessions"]
    sb = SimpleNamespace(
        state=SimpleNamespace(
            log=tail.records(),
            oauth=SimpleNamespace(sessions={s["session_id"]: SimpleNamespace(**s) for s in sessions}),
        ),
        config=SimpleNamespace(jwt=identity["jwt"], client_secret=identity["client_secret"]),
    )
    fault = f"kill -9 at random x{KILL_TRIALS[backend]}" + (", PostgreSQL" if backend == "postgresql" else "")
    row = record(fault, KILL_TRIALS[backend] + 2, {"met": False}, sb, capsys.readouterr().out)
    assert (row.lost, row.rate_limited, row.leaked) == (0, 0, 0)
    assert row.unreached <= unknown_total
