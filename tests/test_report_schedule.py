"""``rcgrad schedule``: the cron line, the GitHub workflow and the systemd units are ready to install."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml

from runner.cli import main as cli_main
from runner.commands.schedule import Schedule, cron_entry, github_workflow, parse_at, systemd_units
from runner.errors import InputError

S = Schedule(
    plan="plans/app.yaml",
    repo="/srv/my repo",
    hour=6,
    minute=5,
    rcgrad=".venv/bin/rcgrad",
    log="/var/log/w.log",
)


def test_cron_line_runs_warmup_from_the_repo_daily_in_utc():
    lines = [ln for ln in cron_entry(S).splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "CRON_TZ=UTC"
    fields = lines[1].split(" ", 5)
    assert fields[:5] == ["5", "6", "*", "*", "*"]
    assert fields[5] == "cd '/srv/my repo' && .venv/bin/rcgrad warmup plans/app.yaml >> /var/log/w.log 2>&1"
    assert "%" not in lines[1]  # cron would cut the command at a bare %


def test_github_workflow_parses_maps_secrets_and_caches_only_the_ledger():
    doc = yaml.safe_load(github_workflow(S))
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"] == [{"cron": "5 6 * * *"}]
    job = doc["jobs"]["warmup"]
    for name in ("RC_SERVER_URL", "RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT"):
        assert job["env"][name] == f"${{{{ secrets.{name} }}}}"
    assert job["env"]["RCGRAD_HOME"].endswith("/.rcgrad")
    cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".rcgrad/ledger.sqlite3"
    assert cache["with"]["restore-keys"] == "rcgrad-ledger-"
    assert job["steps"][-1]["run"] == "rcgrad warmup plans/app.yaml"


def test_systemd_units_parse_and_agree():
    service, timer = systemd_units(S)
    svc, tmr = configparser.ConfigParser(interpolation=None), configparser.ConfigParser(interpolation=None)
    svc.optionxform = tmr.optionxform = str  # type: ignore[assignment,method-assign]
    svc.read_string(service)
    tmr.read_string(timer)
    assert svc["Service"]["Type"] == "oneshot"
    assert svc["Service"]["WorkingDirectory"] == "/srv/my repo"
    assert svc["Service"]["ExecStart"] == "/srv/my repo/.venv/bin/rcgrad warmup plans/app.yaml"
    assert tmr["Timer"]["OnCalendar"] == "*-*-* 06:05:00 UTC"
    assert tmr["Timer"]["Unit"] == "rcgrad-warmup.service"
    assert tmr["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("bad", ["24:00", "9", "ab:cd", "10:60"])
def test_bad_time_is_input_error(bad: str):
    with pytest.raises(InputError, match="--at"):
        parse_at(bad)


def test_command_prints_a_definition_and_rejects_a_missing_plan(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "app.yaml").write_text("name: x\n")
    assert cli_main(["schedule", "plans/app.yaml", "--systemd", "--at", "07:30"]) == 0
    out = capsys.readouterr().out
    assert "OnCalendar=*-*-* 07:30:00 UTC" in out and "warmup plans/app.yaml" in out
    assert cli_main(["schedule", "plans/none.yaml", "--cron"]) == 2
    assert capsys.readouterr().err.strip() == "rcgrad: plans/none.yaml: no such plan file"
    with pytest.raises(SystemExit) as info:
        cli_main(["schedule", "plans/app.yaml"])
    assert info.value.code == 2
