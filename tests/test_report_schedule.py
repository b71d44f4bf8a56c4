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
    program=("/srv/my repo/.venv/bin/rcgrad",),
    log="/var/log/w.log",
)


def test_cron_line_runs_warmup_from_the_repo_daily_in_utc():
    lines = [ln for ln in cron_entry(S).splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "CRON_TZ=UTC"
    fields = lines[1].split(" ", 5)
    assert fields[:5] == ["5", "6", "*", "*", "*"]
    assert fields[5] == (
        "cd '/srv/my repo' && '/srv/my repo/.venv/bin/rcgrad' 'warmup' 'plans/app.yaml' >> '/var/log/w.log' 2>&1"
    )


def cron_command(field: str) -> str:
    """What cron hands to sh (cronie's and Vixie cron's do_command): \\% becomes %, every other
    backslash stays, and a bare % ends the command (the rest would be its stdin)."""
    out, escaped = [], False
    for ch in field:
        if escaped:
            if ch == "%":
                out[-1] = "%"
            else:
                out.append(ch)
            escaped = False
            continue
        if ch == "%":
            break
        out.append(ch)
        escaped = ch == "\\"
    return "".join(out)


@pytest.mark.parametrize(
    "plan", ["plans/a\\%b.yaml", "plans/%d\\\\%.yaml", "plans/it's 100%.yaml", "plans/x\\"]
)
@pytest.mark.subprocess
def test_every_cron_word_reaches_sh_whole(plan):
    import subprocess

    line = cron_entry(Schedule(plan, "/srv/r%", 6, 5, ("/bin/echo",), "/tmp/%s.log"))
    field = next(ln for ln in line.splitlines() if ln[:1].isdigit()).split(" ", 5)[5]
    command = cron_command(field).replace(" >> ", " #").replace("cd ", "printf '%s\\n' ", 1)
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["/srv/r%", f"warmup {plan}"]


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
    assert job["steps"][-1]["run"].strip() == "rcgrad warmup plans/app.yaml"
    assert job["steps"][2]["run"].strip() == "python -m pip install ."


def test_systemd_units_parse_and_agree():
    service, timer = systemd_units(S)
    svc, tmr = configparser.ConfigParser(interpolation=None), configparser.ConfigParser(interpolation=None)
    svc.optionxform = tmr.optionxform = str  # type: ignore[assignment,method-assign]
    svc.read_string(service)
    tmr.read_string(timer)
    assert svc["Service"]["Type"] == "oneshot"
    assert svc["Service"]["WorkingDirectory"] == "/srv/my repo"
    assert svc["Service"]["ExecStart"] == '"/srv/my repo/.venv/bin/rcgrad" "warmup" "plans/app.yaml"'
    assert tmr["Timer"]["OnCalendar"] == "*-*-* 06:05:00 UTC"
    assert tmr["Timer"]["Unit"] == "rcgrad-warmup.service"
    assert tmr["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("bad", ["24:00", "9", "ab:cd", "10:60"])
def test_bad_time_is_input_error(bad: str):
    with pytest.raises(InputError, match="--at"):
        parse_at(bad)


@pytest.mark.subprocess
def test_command_prints_a_definition_and_rejects_a_missing_plan(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "app.yaml").write_text(
        "app: {name: x, scopes: [ReadAccounts]}\nendpoints: [GET /restapi/v1.0/account/~]\n"
    )
    assert cli_main(["schedule", "plans/app.yaml", "--systemd", "--at", "07:30"]) == 0
    out = capsys.readouterr().out
    assert "OnCalendar=*-*-* 07:30:00 UTC" in out and '"warmup" "plans/app.yaml"' in out
    assert cli_main(["schedule", "plans/none.yaml", "--cron"]) == 2
    assert capsys.readouterr().err.strip() == "rcgrad: plans/none.yaml: no such plan file"
    with pytest.raises(SystemExit) as info:
        cli_main(["schedule", "plans/app.yaml"])
    assert info.value.code == 2


# ---------------------------------------------------------------- the printed definitions, run unattended

HOSTILE_REPO = "my repo $(touch PWNED); x %d 'q'"
LOCAL_PLAN = """\
app:
  name: scheduled
  description: Reads the user's own extension once a day so the review window always holds traffic.
  scopes: [ReadAccounts]
server: {server}
warmup: {{daily_calls: 5}}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""


def _repo(tmp_path: Path, server: str = "local") -> Path:
    repo = tmp_path / HOSTILE_REPO
    (repo / "plans").mkdir(parents=True)
    (repo / "plans" / "app.yaml").write_text(LOCAL_PLAN.format(server=server))
    return repo


def _printed(repo: Path, monkeypatch, capsys, *flags: str) -> str:
    """The definition printed from ``repo``, by a shell whose state is ``<tmp>/home``."""
    monkeypatch.chdir(repo)
    monkeypatch.setenv("RCGRAD_HOME", str(_home(repo)))
    assert cli_main(["schedule", "plans/app.yaml", *flags]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _home(repo: Path) -> Path:
    return repo.parent / "home"


def _env() -> dict[str, str]:
    """What cron and systemd start a job with: a bare PATH (the definition must not need the venv
    on it), and none of the shell's RC_ or RCGRAD_ variables (the definition must carry its state)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "RCGRAD_"))}
    env.update(PATH="/usr/bin:/bin")
    return env


@pytest.mark.subprocess
def test_the_printed_cron_line_runs_warmup_unattended(tmp_path: Path, monkeypatch, capsys):
    import subprocess

    repo = _repo(tmp_path)
    log = tmp_path / "logs %d" / "warm.log"
    log.parent.mkdir()
    ledger = tmp_path / "team's ledger %d.sqlite3"
    monkeypatch.setenv("RCGRAD_LEDGER", str(ledger))
    out = _printed(repo, monkeypatch, capsys, "--cron", "--log", str(log))
    line = next(ln for ln in out.splitlines() if ln[:1].isdigit())
    command = line.split(" ", 5)[5].replace("\\%", "%")  # what cron hands to sh
    done = subprocess.run(["sh", "-c", command], env=_env(), cwd="/", timeout=120, check=False)
    assert done.returncode == 0, log.read_text()
    assert "CRITERIA" in log.read_text()
    assert not list(tmp_path.rglob("PWNED")), "a path was run as code"
    # The job used this shell's state: `status` here reads the day's traffic it sent.
    assert ledger.is_file()
    monkeypatch.chdir(tmp_path)
    assert cli_main(["status", str(repo / "plans" / "app.yaml"), "-q"]) == 0, capsys.readouterr()


@pytest.mark.subprocess
def test_the_printed_systemd_unit_runs_warmup_unattended(tmp_path: Path, monkeypatch, capsys):
    import shlex
    import subprocess

    repo = _repo(tmp_path)
    out = _printed(repo, monkeypatch, capsys, "--systemd", "--log", str(tmp_path / "w.log"))
    svc = configparser.ConfigParser(interpolation=None)
    svc.optionxform = str  # type: ignore[assignment,method-assign]
    svc.read_string(out.split("\n\n# ~/.config/systemd/user/rcgrad-warmup.timer")[0])

    def unit(value: str) -> str:  # systemd's own unescaping of % and $
        return value.replace("%%", "%").replace("$$", "$")

    argv = [unit(arg) for arg in shlex.split(svc["Service"]["ExecStart"])]
    workdir = unit(svc["Service"]["WorkingDirectory"])
    name, _, value = shlex.split(svc["Service"]["Environment"])[0].partition("=")
    assert Path(argv[0]).is_absolute() and Path(argv[0]).is_file()
    assert workdir == str(repo)
    home = unit(value)
    assert (name, home) == ("RCGRAD_HOME", str(_home(repo)))
    done = subprocess.run(argv, env={**_env(), name: home}, cwd=workdir, timeout=120, check=False)
    assert done.returncode == 0
    assert (_home(repo) / "ledger.sqlite3").is_file()
    assert not list(tmp_path.rglob("PWNED"))


@pytest.mark.subprocess
def test_a_production_schedule_needs_consent_given_to_schedule(tmp_path: Path, monkeypatch, capsys):
    repo = _repo(tmp_path, server="production")
    monkeypatch.chdir(repo)
    assert cli_main(["schedule", "plans/app.yaml", "--cron"]) == 2
    assert "--allow-production" in capsys.readouterr().err
    out = _printed(repo, monkeypatch, capsys, "--cron", "--allow-production")
    assert "'warmup' 'plans/app.yaml' '--allow-production' >>" in out
    writes = (
        LOCAL_PLAN.format(server="production")
        + "  - POST /restapi/v1.0/account/~/extension/~/address-book/contact\n"
    )
    (repo / "plans" / "app.yaml").write_text(writes.replace("[ReadAccounts]", "[ReadAccounts, Contacts]"))
    assert cli_main(["schedule", "plans/app.yaml", "--systemd", "--allow-production"]) == 2
    assert "--allow-production-writes" in capsys.readouterr().err
    out = _printed(
        repo,
        monkeypatch,
        capsys,
        "--github-actions",
        "--allow-production",
        "--allow-production-writes",
        "--rcgrad-from",
        "rcgrad @ git+https://example.invalid/rcgrad@abc",
    )
    job = yaml.safe_load(out)["jobs"]["warmup"]
    assert (
        job["steps"][-1]["run"].strip()
        == "rcgrad warmup plans/app.yaml --allow-production --allow-production-writes"
    )


def test_the_workflow_installs_rcgrad_itself(tmp_path: Path, monkeypatch, capsys):
    repo = _repo(tmp_path)
    out = _printed(
        repo,
        monkeypatch,
        capsys,
        "--github-actions",
        "--rcgrad-from",
        "rcgrad @ git+https://example.invalid/r@1",
    )
    steps = yaml.safe_load(out)["jobs"]["warmup"]["steps"]
    assert steps[2]["run"].strip() == "python -m pip install 'rcgrad @ git+https://example.invalid/r@1'"
    assert steps[-1]["run"].strip() == "rcgrad warmup plans/app.yaml"
    assert str(tmp_path) not in out  # nothing of this machine's paths


def test_a_plan_outside_the_repository_is_refused(tmp_path: Path, monkeypatch, capsys):
    repo = _repo(tmp_path)
    other = tmp_path / "elsewhere.yaml"
    other.write_text(LOCAL_PLAN.format(server="local"))
    monkeypatch.chdir(repo)
    assert cli_main(["schedule", str(other), "--cron"]) == 2
    assert "outside the repository" in capsys.readouterr().err


@pytest.mark.subprocess
def test_systemd_reads_the_printed_units_as_written(tmp_path: Path, monkeypatch, capsys):
    """``systemd-analyze verify`` is systemd's own parser; a repository path ending in a backslash
    once joined WorkingDirectory= to the ExecStart= line below it (no ExecStart at all)."""
    import shutil
    import subprocess

    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    repo = _repo(tmp_path)
    out = _printed(repo, monkeypatch, capsys, "--systemd", "--log", str(tmp_path / "w %h.log"))
    service, timer = out.split("\n\n# ~/.config/systemd/user/rcgrad-warmup.timer")
    (tmp_path / "rcgrad-warmup.service").write_text(service)
    (tmp_path / "rcgrad-warmup.timer").write_text("#" + timer)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "rcgrad-warmup.service", "rcgrad-warmup.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    slashed = tmp_path / "repo\\"
    (slashed / "plans").mkdir(parents=True)
    (slashed / "plans" / "app.yaml").write_text(LOCAL_PLAN.format(server="local"))
    monkeypatch.chdir(slashed)
    assert cli_main(["schedule", "plans/app.yaml", "--systemd"]) == 2
    assert "--repo: ends in a backslash" in capsys.readouterr().err


# ---------------------------------------------------------------- alerts in a schedule (--notify)

HOOK = "aW5jb21pbmc.scheduled-hook"


@pytest.mark.subprocess
def test_a_schedule_alerts_through_rcgrad_notify_and_never_writes_the_url(
    tmp_path: Path, monkeypatch, capsys
):
    repo = _repo(tmp_path)
    secret_url = "https://hooks.ringcentral.com/webhook/v2/eyJ.SECRET-TOKEN-12345"
    monkeypatch.chdir(repo)
    assert cli_main(["schedule", "plans/app.yaml", "--cron", "--notify"]) == 2  # no .env yet
    assert "put RCGRAD_NOTIFY=<webhook URL> in" in capsys.readouterr().err
    assert cli_main(["schedule", "plans/app.yaml", "--cron", "--notify", secret_url]) == 2
    err = capsys.readouterr().err
    assert "never written into a schedule" in err and "SECRET-TOKEN" not in err
    (repo / ".env").write_text(f"RCGRAD_NOTIFY={secret_url}\n")
    for kind in ("--cron", "--systemd"):
        out = _printed(repo, monkeypatch, capsys, kind, "--notify")
        assert "RCGRAD_NOTIFY" in out and "SECRET-TOKEN" not in out and "hooks.ringcentral" not in out
    out = _printed(repo, monkeypatch, capsys, "--github-actions", "--notify", "--rcgrad-from", "rcgrad==0.1")
    job = yaml.safe_load(out)["jobs"]["warmup"]
    assert job["env"]["RCGRAD_NOTIFY"] == "${{ secrets.RCGRAD_NOTIFY }}" and "SECRET-TOKEN" not in out
    (repo / ".env").write_text("RCGRAD_NOTIFY=http://hooks.example.com/x\n")
    assert cli_main(["schedule", "plans/app.yaml", "--cron", "--notify"]) == 2
    assert ".env: RCGRAD_NOTIFY: the webhook URL is plain http" in capsys.readouterr().err


@pytest.mark.subprocess
@pytest.mark.loopback
def test_the_printed_cron_line_alerts_a_failing_warmup_unattended(tmp_path: Path, monkeypatch, capsys):
    import subprocess

    from runner.sandbox import SandboxConfig, running_sandbox

    repo = _repo(tmp_path)
    # An id that names nothing: its endpoint answers only 404, so the run ends not met, exit 1.
    plan = repo / "plans" / "app.yaml"
    plan.write_text(
        plan.read_text().replace("[ReadAccounts]", "[ReadAccounts, ReadContacts]")
        + "  - GET /restapi/v1.0/account/~/extension/~/address-book/contact/424242\n"
    )
    log = tmp_path / "warm.log"
    with running_sandbox(SandboxConfig()) as hook:
        (repo / ".env").write_text(f"RCGRAD_NOTIFY={hook.url}/webhook/v2/{HOOK}\n")
        out = _printed(repo, monkeypatch, capsys, "--cron", "--notify", "--log", str(log))
        assert HOOK not in out
        line = next(ln for ln in out.splitlines() if ln[:1].isdigit())
        command = line.split(" ", 5)[5].replace("\\%", "%")
        env = _env()
        env["RCGRAD_LOCAL_TIME_SCALE"] = "0.02"
        done = subprocess.run(["sh", "-c", command], env=env, cwd="/", timeout=120, check=False)
        assert done.returncode == 1, log.read_text()
        (message,) = hook.state.incoming.received(HOOK)
    assert message["text"].startswith("rcgrad: scheduled NOT MET")
    assert HOOK not in log.read_text()


@pytest.mark.subprocess  # where rcgrad comes from is asked of git
def test_a_team_ledger_is_carried_by_name_or_refused_when_it_holds_a_password(
    tmp_path: Path, monkeypatch, capsys
):
    repo = _repo(tmp_path)
    monkeypatch.setenv("RCGRAD_LEDGER", "postgresql://rcgrad:pw-SECRET-1234@db.internal/rcgrad")
    monkeypatch.chdir(repo)
    for kind in ("--cron", "--systemd"):
        assert cli_main(["schedule", "plans/app.yaml", kind]) == 2
        err = capsys.readouterr().err
        assert "RCGRAD_LEDGER: holds a password" in err and "~/.pgpass" in err and "pw-SECRET" not in err
    # On GitHub the connection string is a secret of the repository, and the team's ledger needs no cache.
    out = _printed(repo, monkeypatch, capsys, "--github-actions", "--rcgrad-from", "rcgrad==0.1")
    job = yaml.safe_load(out)["jobs"]["warmup"]
    assert job["env"]["RCGRAD_LEDGER"] == "${{ secrets.RCGRAD_LEDGER }}" and "pw-SECRET" not in out
    assert not any("actions/cache" in str(step.get("uses")) for step in job["steps"])
    monkeypatch.setenv("RCGRAD_LEDGER", "postgresql://rcgrad@db.internal/rcgrad")  # ~/.pgpass has it
    out = _printed(repo, monkeypatch, capsys, "--cron")
    assert "RCGRAD_LEDGER='postgresql://rcgrad@db.internal/rcgrad'" in out
