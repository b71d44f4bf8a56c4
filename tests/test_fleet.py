"""A fleet: many plans, each its own app (``credentials:``), run at once in one process over loopback."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pytest

from runner.cli import main as cli_main
from runner.ledger.ledger import Ledger
from runner.plan.loader import load_plan
from runner.records import Kind
from runner.run import fleet
from runner.run.fleet import FLEET_GC_THRESHOLD, tuned_for_fleet

PLAN = """
app:
  name: fleet app {n}
  description: A test app that reads the user's extension, presence and call log for the fleet tests.
  scopes: [ReadAccounts, ReadCallLog, ReadPresence]
server: local
credentials: {credentials}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
  - GET /restapi/v1.0/account/~/extension/~/call-log
"""


def _fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int = 3) -> list[str]:
    """Plans whose credentials come from an env_file (odd ones) or ${ENV} references (even ones)."""
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.02")
    plans = []
    for n in range(1, count + 1):
        if n % 2:
            (tmp_path / f"app{n}.env").write_text(
                f"RC_APP_CLIENT_ID=fleet-{n}\nRC_APP_CLIENT_SECRET=secret-{n}-x7\nRC_USER_JWT=jwt.{n}.y8\n"
            )
            credentials = f"{{env_file: app{n}.env}}"
        else:
            for name, value in (("ID", f"fleet-{n}"), ("SECRET", f"secret-{n}-x7"), ("JWT", f"jwt.{n}.y8")):
                monkeypatch.setenv(f"APP{n}_{name}", value)
            credentials = f"{{client_id: '${{APP{n}_ID}}', client_secret: '${{APP{n}_SECRET}}', jwt: '${{APP{n}_JWT}}'}}"
        path = tmp_path / f"app{n}.yaml"
        path.write_text(PLAN.format(n=n, credentials=credentials))
        plans.append(str(path))
    return plans


def _calls_by_app(rcgrad_home: Path) -> dict[str, list]:
    with Ledger.open(rcgrad_home / "ledger.sqlite3") as ledger:
        return {
            key.client_id: [r for r in ledger.records(key, 0) if r.kind is Kind.API]
            for key in ledger.partitions()
        }


@pytest.mark.loopback
def test_a_fleet_runs_every_app_at_once_with_its_own_identity_and_reports_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rcgrad_home: Path, capsys: pytest.CaptureFixture[str]
):
    plans = _fleet(tmp_path, monkeypatch)
    out = tmp_path / "reports" / "verdict.json"
    out.parent.mkdir()  # a missing folder is bad input, refused before any traffic
    send_all, thresholds = fleet._send_all, []

    async def sending(*args):  # the apps send with the collector tuned for a fleet
        thresholds.append(gc.get_threshold()[0])
        return await send_all(*args)

    monkeypatch.setattr(fleet, "_send_all", sending)
    assert cli_main(["graduate", *plans, "-q", "--json", str(out)]) == 0
    assert thresholds == [FLEET_GC_THRESHOLD] and gc.get_threshold()[0] < FLEET_GC_THRESHOLD
    table = capsys.readouterr().out
    assert "fleet: 3 of 3 apps met" in table and "FLEET MET" in table
    assert [line for line in table.splitlines() if line != line.rstrip()] == []  # no padding in a log
    assert all(f"fleet app {n}" in table for n in (1, 2, 3))
    for n in (1, 2, 3):
        report = json.loads((tmp_path / "reports" / f"verdict.app{n}.json").read_text())
        assert report["met"]
    calls = _calls_by_app(rcgrad_home)
    assert sorted(calls) == ["fleet-1", "fleet-2", "fleet-3"]  # one partition per app, none shared
    assert all(len([r for r in rows if r.ok]) == 21 for rows in calls.values())
    # At once, not one after another: every app's traffic overlaps every other's in time.
    spans = [(min(r.ts for r in rows), max(r.ts for r in rows)) for rows in calls.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)
    # Nothing secret in what the user sees.
    assert "secret-1-x7" not in table and "jwt.2.y8" not in table
    # A second run: the ledger covers every app, nothing is sent.
    assert cli_main(["graduate", *plans, "-q"]) == 0
    assert sum(len(rows) for rows in _calls_by_app(rcgrad_home).values()) == 63


def test_the_process_is_tuned_for_a_fleet_only_while_its_apps_send():
    before = gc.get_threshold(), sys.getswitchinterval()
    with pytest.raises(RuntimeError), tuned_for_fleet(embedded_sandboxes=2):
        assert gc.get_threshold() == (FLEET_GC_THRESHOLD, *before[0][1:])
        assert sys.getswitchinterval() == pytest.approx(0.0005)
        raise RuntimeError("an app's failure")
    assert (gc.get_threshold(), sys.getswitchinterval()) == before
    with tuned_for_fleet(embedded_sandboxes=1):  # one sandbox thread has no one to queue behind
        assert sys.getswitchinterval() == before[1]


@pytest.mark.loopback
def test_the_fleet_is_met_only_when_every_app_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    plans = _fleet(tmp_path, monkeypatch, count=2)
    assert cli_main(["graduate", plans[0], "-q"]) == 0
    capsys.readouterr()
    assert cli_main(["status", *plans, "-q"]) == 1
    table = capsys.readouterr().out
    assert "fleet: 1 of 2 apps met" in table and "NOT MET" in table and "FLEET NOT MET" in table


def test_one_bad_plan_stops_the_whole_fleet_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rcgrad_home: Path, capsys: pytest.CaptureFixture[str]
):
    plans = _fleet(tmp_path, monkeypatch, count=2)
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(plans[1]).read_text().replace("/presence", "/presense"))
    assert cli_main(["graduate", plans[0], str(bad), "-q"]) == 2
    assert f"{bad}:" in capsys.readouterr().err
    assert not (rcgrad_home / "ledger.sqlite3").exists()  # not even a sandbox or a ledger was opened


def test_a_literal_secret_in_a_plan_is_refused_with_its_line(tmp_path: Path):
    path = tmp_path / "leaky.yaml"
    path.write_text(PLAN.format(n=1, credentials="{client_id: abc, client_secret: '${S}', jwt: eyJhbGciOi}"))
    with pytest.raises(Exception) as info:
        load_plan(path, env={"S": "x"})
    assert str(info.value).startswith(f"{path}:7: credentials.jwt: write a ${{VARIABLE}} reference")
    path.write_text(PLAN.format(n=1, credentials="{env_file: missing.env}"))
    with pytest.raises(Exception, match=r"credentials.env_file: no such file"):
        load_plan(path)


def test_a_fleet_on_the_shared_postgresql_ledger_keeps_each_app_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, capsys: pytest.CaptureFixture[str]
):
    plans = _fleet(tmp_path, monkeypatch, count=2)
    assert cli_main(["graduate", *plans, "-q", "--ledger", pg_url]) == 0
    assert cli_main(["status", *plans, "-q", "--ledger", pg_url]) == 0
    assert capsys.readouterr().out.count("FLEET MET") == 2
    with Ledger.open(pg_url) as ledger:
        ok = {
            k.client_id: sum(r.ok for r in ledger.records(k, 0) if r.kind is Kind.API)
            for k in ledger.partitions()
        }
    assert ok == {"fleet-1": 21, "fleet-2": 21}


@pytest.mark.loopback
def test_two_plans_for_one_app_are_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from runner.sandbox import SandboxConfig, running_sandbox

    plans = _fleet(tmp_path, monkeypatch, count=1)
    twin = tmp_path / "twin.yaml"
    twin.write_text(Path(plans[0]).read_text().replace("name: fleet app 1", "name: twin"))
    with running_sandbox(SandboxConfig(time_scale=0.02)) as sb:  # one real server: one budget per app
        assert cli_main(["graduate", plans[0], str(twin), "--server", sb.url, "-q"]) == 2
        assert not sb.state.log  # not even a login
    assert f"{twin}: credentials: the same app as {plans[0]}" in capsys.readouterr().err


@pytest.mark.loopback
def test_an_app_whose_login_fails_sends_nothing_the_others_go_on_and_the_exit_is_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from runner.sandbox import SandboxConfig, running_sandbox

    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=0.02)) as sb:
        good, bad = tmp_path / "good.env", tmp_path / "bad.env"
        good.write_text(
            f"RC_APP_CLIENT_ID={sb.config.client_id}\nRC_APP_CLIENT_SECRET={sb.config.client_secret}\n"
            f"RC_USER_JWT={sb.config.jwt}\n"
        )
        bad.write_text(
            "RC_APP_CLIENT_ID=someone-else\nRC_APP_CLIENT_SECRET=wrong-secret-9\nRC_USER_JWT=a.b.c\n"
        )
        plans = []
        for name, env_file in (("good", good), ("bad", bad)):
            path = tmp_path / f"{name}.yaml"
            path.write_text(PLAN.format(n=name, credentials=f"{{env_file: {env_file.name}}}"))
            plans.append(str(path))
        assert cli_main(["graduate", *plans, "--server", sb.url, "-q"]) == 3
        api = [r for r in sb.state.log if r.kind == "api"]
    captured = capsys.readouterr()
    assert "fleet app bad: " in captured.err and "RC_APP_CLIENT_ID" in captured.err
    assert "wrong-secret-9" not in captured.err + captured.out
    assert "fleet: 1 of 2 apps met" in captured.out
    assert len([r for r in api if r.status == 200]) == 21  # the good app's traffic, and only it
