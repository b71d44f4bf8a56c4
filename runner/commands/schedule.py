"""``rcgrad schedule PLAN --cron|--github-actions|--systemd``: print a daily warm-up definition.

Pure text builders (``cron_entry``, ``github_workflow``, ``systemd_units``) plus a thin command.
A definition runs ``rcgrad warmup PLAN`` once a day at a fixed UTC time from the repository, so
the ledger always holds yesterday's traffic. The definitions reference credentials by name only
(``.env`` in the repository, or GitHub secrets); this module must never read or print a value.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from pathlib import Path

from runner.errors import EXIT_MET, InputError
from runner.settings import CREDENTIAL_VARS

DEFAULT_AT = "09:17"  # off the hour: scheduled jobs everywhere pile up on :00


@dataclass(frozen=True, slots=True)
class Schedule:
    plan: str  # plan path as the job will see it (relative to ``repo`` when inside it)
    repo: str  # absolute repository directory
    hour: int  # UTC
    minute: int
    rcgrad: str  # the executable, relative to ``repo`` or absolute
    log: str  # where cron and systemd append the output


def parse_at(text: str) -> tuple[int, int]:
    try:
        hour_text, minute_text = text.split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        hour = minute = -1
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise InputError(f"not a time of day: {text!r} (expected HH:MM, UTC)", key="--at")
    return hour, minute


def cron_entry(s: Schedule) -> str:
    command = (
        f"cd {shlex.quote(s.repo)} && {shlex.quote(s.rcgrad)} warmup {shlex.quote(s.plan)}"
        f" >> {shlex.quote(s.log)} 2>&1"
    )
    return (
        "# rcgrad daily warm-up (install with `crontab -e`). Times are UTC: CRON_TZ works with cronie;\n"
        "# with another cron, convert the hour to the machine's time zone.\n"
        "CRON_TZ=UTC\n"
        f"{s.minute} {s.hour} * * * {command}\n"
    )


def github_workflow(s: Schedule) -> str:
    env_lines = "\n".join(f"      {name}: ${{{{ secrets.{name} }}}}" for name in CREDENTIAL_VARS)
    plan = s.plan
    return f"""# rcgrad daily warm-up. Save as .github/workflows/rcgrad-warmup.yml and add the repository
# secrets {", ".join(CREDENTIAL_VARS)}.
name: rcgrad warm-up
on:
  schedule:
    - cron: "{s.minute} {s.hour} * * *"  # UTC
  workflow_dispatch: {{}}
concurrency:
  group: rcgrad-warmup
  cancel-in-progress: false
jobs:
  warmup:
    runs-on: ubuntu-latest
    timeout-minutes: 120
    env:
{env_lines}
      RCGRAD_HOME: ${{{{ github.workspace }}}}/.rcgrad
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install .
      # Only the ledger is cached: the token file stays out of the cache, which other workflows can read.
      # A cache entry is immutable, so each run saves a new one and restores the latest.
      - uses: actions/cache@v4
        with:
          path: .rcgrad/ledger.sqlite3
          key: rcgrad-ledger-${{{{ github.run_id }}}}
          restore-keys: rcgrad-ledger-
      - run: rcgrad warmup {shlex.quote(plan)}
"""


def systemd_units(s: Schedule) -> tuple[str, str]:
    """(rcgrad-warmup.service, rcgrad-warmup.timer) for ``~/.config/systemd/user/``."""
    if s.rcgrad.startswith("/"):
        program = s.rcgrad
    elif "/" in s.rcgrad:
        program = f"{s.repo}/{s.rcgrad}"
    else:
        program = f"/usr/bin/env {s.rcgrad}"  # systemd wants an absolute path; PATH decides which rcgrad
    exec_start = f"{program} warmup {s.plan}"
    service = f"""# ~/.config/systemd/user/rcgrad-warmup.service
[Unit]
Description=rcgrad daily warm-up for {s.plan}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
# Credentials come from .env in this directory.
WorkingDirectory={s.repo}
ExecStart={exec_start}
StandardOutput=append:{s.log}
StandardError=append:{s.log}
"""
    timer = f"""# ~/.config/systemd/user/rcgrad-warmup.timer
# Enable with: systemctl --user daemon-reload && systemctl --user enable --now rcgrad-warmup.timer
[Unit]
Description=Run rcgrad warm-up daily at {s.hour:02d}:{s.minute:02d} UTC

[Timer]
OnCalendar=*-*-* {s.hour:02d}:{s.minute:02d}:00 UTC
Persistent=true
Unit=rcgrad-warmup.service

[Install]
WantedBy=timers.target
"""
    return service, timer


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file (plans/*.yaml)")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--cron", dest="kind", action="store_const", const="cron", help="a crontab line")
    kind.add_argument(
        "--github-actions",
        dest="kind",
        action="store_const",
        const="github",
        help="a GitHub Actions workflow",
    )
    kind.add_argument(
        "--systemd", dest="kind", action="store_const", const="systemd", help="a systemd service + timer"
    )
    parser.add_argument(
        "--at", default=DEFAULT_AT, metavar="HH:MM", help=f"time of day, UTC (default {DEFAULT_AT})"
    )
    parser.add_argument("--repo", type=Path, help="repository directory the job runs in (default: current)")
    parser.add_argument(
        "--log", metavar="PATH", help="log file for cron/systemd (default: $RCGRAD_HOME/warmup.log)"
    )


def schedule_from(args: argparse.Namespace) -> Schedule:
    from runner.settings import state_home

    repo = (args.repo or Path.cwd()).resolve()
    plan_path = Path(args.plan)
    absolute = plan_path if plan_path.is_absolute() else (Path.cwd() / plan_path)
    if not absolute.is_file():
        raise InputError("no such plan file", file=args.plan)
    try:
        plan = str(absolute.resolve().relative_to(repo))
    except ValueError:
        plan = str(absolute.resolve())
    venv_rcgrad = repo / ".venv" / "bin" / "rcgrad"
    hour, minute = parse_at(args.at)
    return Schedule(
        plan=plan,
        repo=str(repo),
        hour=hour,
        minute=minute,
        rcgrad=".venv/bin/rcgrad" if venv_rcgrad.exists() else "rcgrad",
        log=args.log or str(state_home() / "warmup.log"),
    )


def run(args: argparse.Namespace) -> int:
    s = schedule_from(args)
    if args.kind == "cron":
        print(cron_entry(s), end="")
    elif args.kind == "github":
        print(github_workflow(s), end="")
    else:
        service, timer = systemd_units(s)
        print(service + "\n" + timer, end="")
    return EXIT_MET
