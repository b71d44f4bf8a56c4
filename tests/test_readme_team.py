"""The team guide (docs/team.md) is executable too: its shared-ledger lines run against a throwaway
PostgreSQL (standing in for the ``docker run`` line), and its GitHub Actions matrix parses and
names only flags rcgrad accepts. Kept apart from ``test_readme`` because it needs PostgreSQL."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from runner.cli import build_parser
from tests.conftest import REPO
from tests.test_readme import blocks, plan_blocks

DOCKER = "docker run -d --name rcgrad-pg"
TEAM = REPO / "docs" / "team.md"


def _block(marker: str) -> str:
    [text] = [b.text for b in blocks(TEAM) if marker in b.text]
    return text


def test_the_shared_ledger_lines_run_on_postgresql(pg_url: str, tmp_path: Path):
    root = tmp_path / "ws"
    shutil.copytree(REPO / "plans", root / "plans")
    (root / "plans" / "myapp.yaml").write_text(plan_blocks()[0].text)  # the README's plan
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "GITHUB_", "RCGRAD_LEDGER"))}
    env.update(RCGRAD_HOME=str(root / ".home"), COLUMNS="80")

    def rcgrad(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runner", *argv],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    # This machine's history before the team moves to PostgreSQL: a rehearsal on the SQLite file.
    assert rcgrad(["graduate", "plans/myapp.yaml", "-q"]).returncode == 0
    ran = 0
    for raw in _block(DOCKER).splitlines():
        line = raw.split("  #", 1)[0].strip()
        if not line or line.startswith(("#", DOCKER)):
            continue  # the throwaway server of tests/postgres.py stands in for the container
        if line.startswith("export RCGRAD_LEDGER="):
            env["RCGRAD_LEDGER"] = pg_url  # the README's URL, pointing at the test's server
            continue
        argv = [os.path.expandvars(a) if "$" in a else a for a in shlex.split(line, posix=True)]
        assert argv[0] == "rcgrad", line
        argv = [a.replace("$RCGRAD_LEDGER", env["RCGRAD_LEDGER"]) for a in argv[1:]]
        if argv[:2] == ["ledger", "migrate"]:
            argv = ["ledger", "migrate", "--to", env["RCGRAD_LEDGER"]]
        done = rcgrad(argv)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        ran += 1
        if argv[:2] == ["ledger", "migrate"]:
            again = rcgrad(argv)  # "again: copies nothing"
            assert again.returncode == 0 and "copied 0" in again.stdout + again.stderr, again
    assert ran == 2


def test_the_github_actions_matrix_parses_and_its_command_is_valid():
    workflow = yaml.safe_load(_block("plan: [plans/acme.yaml"))
    job = workflow["jobs"]["warmup"]
    plans = job["strategy"]["matrix"]["plan"]
    assert job["env"]["RCGRAD_TOKENS"] == "ledger" and "RCGRAD_TOKEN_KEY" in job["env"]
    [command] = [s["run"] for s in job["steps"] if "run" in s]
    rcgrad = command.split("&&", 1)[1].split()
    assert rcgrad[:2] == ["rcgrad", "warmup"]
    for plan in plans:
        argv = [plan if a == "${{" else a for a in rcgrad[1:]]
        argv = [a for a in argv if a not in ("matrix.plan", "}}")]
        args = build_parser(only="warmup").parse_args(argv)
        assert args.wait and args.allow_production and args.plan == [plan]


def _warmup_argv(command: str) -> list[str]:
    words = shlex.split(command)
    start = next(i for i, w in enumerate(words) if w.endswith("rcgrad") and "=" not in w)
    end = words.index(">>") if ">>" in words else len(words)
    return words[start + 1 : end]


def test_several_machines_split_a_fleet_with_skip_locked_as_the_readme_shows():
    """The matrix over runners and the crontab line run the same fleet command on every machine:
    a valid warm-up of every plan with --skip-locked (tests/test_fleet_scale runs two at once)."""
    workflow = yaml.safe_load(_block("runner: [1, 2, 3]"))
    job = workflow["jobs"]["fleet"]
    assert len(job["strategy"]["matrix"]["runner"]) == 3 and "RCGRAD_LEDGER" in job["env"]
    [command] = [s["run"] for s in job["steps"] if "run" in s]
    cron = _block("17 9 * * * cd /srv/fleet").strip().split(" ", 5)[5]
    assert "RCGRAD_LEDGER=postgresql://" in cron  # cron has none of the shell's variables
    for argv in (_warmup_argv(command.split("&&", 1)[1]), _warmup_argv(cron.split("&&", 1)[1])):
        args = build_parser(only="warmup").parse_args(argv)
        assert args.command == "warmup" and args.skip_locked and args.plan == ["plans/*.yaml"]
        assert not args.wait
