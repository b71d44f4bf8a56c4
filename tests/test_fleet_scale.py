"""A fleet at scale: few PostgreSQL connections whatever its size, machines that split one fleet with
--skip-locked, progress that stays compact, and sandboxes for many apps on one server."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import httpx
import psycopg
import pytest
from rich.console import Console

from runner.cli import main as cli_main
from runner.ledger.ledger import Ledger
from runner.records import CallRecord, Kind
from runner.report.progress import FleetLines
from runner.run import events
from runner.run.fleet import _StartLine
from runner.sandbox import SandboxConfig, running_sandboxes
from tests.conftest import REPO
from tests.postgres import ConnectionPeak
from tests.test_fleet import _fleet

# ------------------------------------------------------------------------------------------ connections


@pytest.mark.loopback
def test_a_fleet_of_twelve_with_shared_tokens_holds_at_most_ten_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, capsys: pytest.CaptureFixture[str]
):
    from cryptography.fernet import Fernet

    plans = _fleet(tmp_path, monkeypatch, count=12)
    monkeypatch.setenv("RCGRAD_TOKENS", "ledger")
    monkeypatch.setenv("RCGRAD_TOKEN_KEY", Fernet.generate_key().decode())
    Ledger.open(pg_url).close()  # the schema first, so the sampler sees only the fleet
    peak = ConnectionPeak(pg_url)
    peak.start()
    try:
        assert cli_main(["graduate", *plans, "-q", "--ledger", pg_url]) == 0
    finally:
        peak.stop()
    assert "fleet: 12 of 12 apps met" in capsys.readouterr().out
    # The ledger's, the run locks' one session, and the tokens' pool (one connection per app each before).
    assert 2 <= peak.peak <= 10
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM tokens WHERE sealed IS NOT NULL").fetchone() == (12,)


# ------------------------------------------------------------------------------------------ --skip-locked

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from runner.run.runlock import run_lock
    from runner.ledger.ledger import Ledger
    with Ledger.open(sys.argv[1]) as ledger, run_lock(sys.argv[2], sys.argv[3], ledger=ledger, wait=False):
        print("locked", flush=True)
        time.sleep(120)
    """
)


@pytest.mark.subprocess
@pytest.mark.loopback
def test_machines_running_the_same_fleet_with_skip_locked_run_each_app_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, capsys: pytest.CaptureFixture[str]
):
    plans = _fleet(tmp_path, monkeypatch, count=2)
    Ledger.open(pg_url).close()
    # Another machine runs app 1 now: its run lock is held on the shared ledger.
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, pg_url, "local/fleet-app-1", "fleet-1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert cli_main(["graduate", *plans, "-q", "--ledger", pg_url]) == 1  # without it: busy, exit 1
        assert "pass --wait" in capsys.readouterr().err
        assert cli_main(["graduate", *plans, "-q", "--ledger", pg_url, "--skip-locked"]) == 0
        out = capsys.readouterr().out
        assert f"fleet app 1: skipped: rcgrad pid {holder.pid} on " in out
        assert "fleet: 1 of 1 apps met, 1 skipped (another run holds them)" in out
        with Ledger.open(pg_url) as ledger:
            sent = {k.client_id: len(ledger.records(k, 0)) for k in ledger.partitions()}
        assert sent.get("fleet-1", 0) == 0 and sent["fleet-2"] > 0  # app 1 is the other machine's
        assert cli_main(["graduate", plans[0], "-q", "--ledger", pg_url, "--skip-locked"]) == 0
        assert "skipped: rcgrad pid" in capsys.readouterr().out
    finally:
        holder.kill()
        holder.wait()
    assert cli_main(["graduate", plans[0], "-q", "--wait", "--skip-locked"]) == 2


# ------------------------------------------------------------------------------------------ progress


def _finish(lines: FleetLines, app: str, sent: int) -> None:
    lines(events.Planned(app, _topup(sent), {"Light": sent}, 1.0))
    for _ in range(sent):
        record = CallRecord(
            ts=0.0, method="GET", template="/x", status=200, group="Light", permission=None, kind=Kind.API
        )
        lines(events.CallFinished(app, record))
        lines(events.ItemFinished(app, "item", True))
    lines(events.AppFinished(app, sent))


def _topup(total: int):  # type: ignore[no-untyped-def]
    import datetime as dt

    from runner.verdict.topup import TopUp

    return TopUp(
        mode="graduate",
        traffic_day=dt.date(2026, 12, 7),
        apply_day=None,
        repeats={"item": total},
        per_endpoint={"GET /x": total},
        reasons=(),
        blockers=(),
    )


def test_in_a_pipe_a_fleet_prints_one_line_per_finished_app_not_per_item():
    out = io.StringIO()
    lines = FleetLines(Console(file=out, force_terminal=False, width=80), apps=3)
    for n in range(3):
        _finish(lines, f"app {n}", 5)
    lines.close()
    assert out.getvalue().splitlines() == [
        "  app 0: done, 5 sent (1 of 3 apps finished)",
        "  app 1: done, 5 sent (2 of 3 apps finished)",
        "  app 2: done, 5 sent (3 of 3 apps finished)",
    ]


def test_on_a_terminal_the_table_stays_compact_for_five_hundred_apps():
    out = io.StringIO()
    lines = FleetLines(Console(file=out, force_terminal=True, width=80, height=30))
    for n in range(500):
        lines(events.Planned(f"app {n}", _topup(60), {"Light": 60}, 60.0))
    _finish(lines, "app 7", 60)
    table = Console(file=io.StringIO(), width=80)
    with table.capture() as captured:
        table.print(lines._table())
    lines.close()
    text = captured.get().splitlines()
    assert text[0].startswith("500 apps: 499 sending, 1 done; 60/30060 sent, 0 not 2xx")
    assert len(text) == 2 + FleetLines.ROWS + 1 and text[-1].strip().startswith("... and 487 more")


# ------------------------------------------------------------------------------------------ the start line


def test_the_apps_start_together_once_every_other_is_ready_or_out():
    line = _StartLine(3)
    order: list[str] = []

    async def app(index: int, ready: bool) -> None:
        if ready:
            await line.ready(index)
            order.append(f"go {index}")
        else:
            await anyio.sleep(0.05)
            order.append(f"out {index}")
            line.leave(index)
        line.leave(index)  # leaving after going changes nothing

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(app, 0, True)
            tg.start_soon(app, 1, True)
            tg.start_soon(app, 2, False)

    anyio.run(main)
    assert order == ["out 2", "go 0", "go 1"]


# ------------------------------------------------------------------------------------------ one server, many apps


@pytest.mark.loopback
def test_sandboxes_on_one_server_keep_each_apps_own_rate_window():
    configs = [SandboxConfig(limits={"Light": 2}, client_id=f"app-{n}") for n in range(2)]
    with running_sandboxes(configs) as handles:

        def login(handle) -> str:  # type: ignore[no-untyped-def]
            reply = httpx.post(
                handle.url + "/restapi/oauth/token",
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": handle.config.jwt,
                },
                auth=(handle.config.client_id, handle.config.client_secret),
            )
            return str(reply.json()["access_token"])

        def get(handle, token: str) -> int:  # type: ignore[no-untyped-def]
            path = "/restapi/v1.0/account/~/extension/~"
            return httpx.get(handle.url + path, headers={"Authorization": f"Bearer {token}"}).status_code

        first, second = handles
        token = login(first)
        assert [get(first, token) for _ in range(3)] == [200, 200, 429]  # its own window is full
        assert get(second, login(second)) == 200  # the other app's is not
        assert get(second, token) == 401  # and one app's token means nothing to the other
        assert len({h.url for h in handles}) == 2
