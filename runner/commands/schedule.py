"""``rcgrad schedule PLAN --cron|--github-actions|--systemd``: print a daily warm-up definition.

Pure text builders (``cron_entry``, ``github_workflow``, ``systemd_units``) plus a thin command.
A definition runs ``rcgrad warmup PLAN`` once a day at a fixed UTC time from the repository, so
the ledger always holds yesterday's traffic. It must work unattended: it calls rcgrad by an
absolute path that exists (cron and systemd have no virtualenv on their PATH), the workflow
installs rcgrad itself, the plan path is relative to the repository, and the consent a production
plan needs is given to ``schedule`` itself and carried into the definition (without it every daily
run would exit 2, silently). Every value is quoted for its format: a path is data, never code.

The definitions reference credentials by name only (``.env`` in the repository, or GitHub
secrets), and so the alerts' webhook (``--notify``: ``RCGRAD_NOTIFY``, whose URL is a secret too)
and, on GitHub, a PostgreSQL ledger; this module must never print a secret's value. cron and
systemd carry the state this shell uses (``RCGRAD_HOME``, ``RCGRAD_LEDGER`` without a password).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import runner
from runner import redact
from runner.errors import EXIT_MET, InputError
from runner.ledger import postgres
from runner.rc.hosts import ServerUrlError, parse_webhook
from runner.settings import CREDENTIAL_VARS, LEDGER_VAR, NOTIFY_VAR, ensure_state_home, read_dotenv

DEFAULT_AT = "09:17"  # off the hour: scheduled jobs everywhere pile up on :00
PLACEHOLDER_SOURCE = "rcgrad @ git+https://github.com/YOUR-ORG/rcgrad@YOUR-COMMIT"


@dataclass(frozen=True, slots=True)
class Schedule:
    plan: str  # plan path relative to ``repo``
    repo: str  # absolute repository directory
    hour: int  # UTC
    minute: int
    program: tuple[str, ...]  # how to call rcgrad: an absolute path (or python -m runner)
    log: str  # where cron and systemd append the output
    flags: tuple[str, ...] = ()  # the consent the plan needs, e.g. --allow-production
    install: str = "."  # what the workflow pip-installs: "." (rcgrad's own repository) or a requirement
    notify: bool = False  # the runs alert through RCGRAD_NOTIFY (.env, or a GitHub secret)
    # The state this shell uses, for cron and systemd: RCGRAD_HOME, and RCGRAD_LEDGER when set. A job
    # without them would keep a ledger and tokens of its own, which `status` here never reads.
    env: tuple[tuple[str, str], ...] = ()
    shared_ledger: bool = False  # RCGRAD_LEDGER is PostgreSQL: the workflow takes it from a secret

    @property
    def argv(self) -> tuple[str, ...]:
        return (*self.program, "warmup", self.plan, *self.flags)


def parse_at(text: str) -> tuple[int, int]:
    try:
        hour_text, minute_text = text.split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        hour = minute = -1
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise InputError(f"not a time of day: {text!r} (expected HH:MM, UTC)", key="--at")
    return hour, minute


def cron_word(value: str) -> str:
    """One sh word in a crontab command. cron cuts the command at a bare % (the rest becomes stdin)
    and turns \\% into %, keeping every other backslash; so each % stands outside the quotes as \\%,
    never right after a backslash of the value's own, which cron would pair with it instead."""
    return "'" + value.replace("'", "'\\''").replace("%", "'\\%'") + "'"


NOTIFY_NOTE = (
    "# Alerts go to the webhook in RCGRAD_NOTIFY, read from .env in the repository (never written here).\n"
)


def cron_entry(s: Schedule) -> str:
    argv = " ".join([*(f"{name}={cron_word(value)}" for name, value in s.env), *map(cron_word, s.argv)])
    command = f"cd {cron_word(s.repo)} && {argv} >> {cron_word(s.log)} 2>&1"
    return (
        "# rcgrad daily warm-up (install with `crontab -e`). Times are UTC: CRON_TZ works with cronie;\n"
        "# with another cron, convert the hour to the machine's time zone.\n"
        + (NOTIFY_NOTE if s.notify else "")
        + "CRON_TZ=UTC\n"
        f"{s.minute} {s.hour} * * * {command}\n"
    )


def github_workflow(s: Schedule) -> str:
    secrets = (
        *CREDENTIAL_VARS,
        *((NOTIFY_VAR,) if s.notify else ()),
        *((LEDGER_VAR,) if s.shared_ledger else ()),
    )
    env_lines = "\n".join(f"      {name}: ${{{{ secrets.{name} }}}}" for name in secrets)
    install = "." if s.install == "." else shlex.quote(s.install)
    warmup = shlex.join(("rcgrad", "warmup", s.plan, *s.flags))
    return f"""# rcgrad daily warm-up. Save as .github/workflows/rcgrad-warmup.yml and add the repository
# secrets {", ".join(secrets)}.
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
      - run: |
          python -m pip install {install}
{"" if s.shared_ledger else LEDGER_CACHE}      - run: |
          {warmup}
"""


# A workflow with the team's PostgreSQL ledger (the secret RCGRAD_LEDGER) needs no cache of its own.
LEDGER_CACHE = """\
      # Only the ledger is cached: the token file stays out of the cache, which other workflows can read.
      # A cache entry is immutable, so each run saves a new one and restores the latest.
      - uses: actions/cache@v4
        with:
          path: .rcgrad/ledger.sqlite3
          key: rcgrad-ledger-${{ github.run_id }}
          restore-keys: rcgrad-ledger-
"""


def systemd_quote(value: str) -> str:
    """One ExecStart= argument: double-quoted with C escapes; % and $ doubled so systemd expands neither."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def systemd_environment(name: str, value: str) -> str:
    """One Environment= assignment: double-quoted with C escapes, % doubled (it expands no $)."""
    escaped = f"{name}={value}".replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def systemd_path(value: str) -> str:
    """A path setting (WorkingDirectory=, append:): taken literally but for % specifiers."""
    return value.replace("%", "%%")


def systemd_units(s: Schedule) -> tuple[str, str]:
    """(rcgrad-warmup.service, rcgrad-warmup.timer) for ``~/.config/systemd/user/``."""
    exec_start = " ".join(systemd_quote(arg) for arg in s.argv)
    service = f"""# ~/.config/systemd/user/rcgrad-warmup.service
[Unit]
Description=rcgrad daily warm-up
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
# Credentials come from .env in this directory{" (and RCGRAD_NOTIFY, the alerts' webhook)" if s.notify else ""}.
WorkingDirectory={systemd_path(s.repo)}
{"".join(f"Environment={systemd_environment(name, value)}{chr(10)}" for name, value in s.env)}ExecStart={exec_start}
StandardOutput=append:{systemd_path(s.log)}
StandardError=append:{systemd_path(s.log)}
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
    parser.add_argument(
        "--allow-production",
        action="store_true",
        help="consent, once, for every scheduled run of a production plan",
    )
    parser.add_argument(
        "--allow-production-writes",
        action="store_true",
        help="also consent to the plan's writes on production in every scheduled run",
    )
    parser.add_argument(
        "--notify",
        nargs="?",
        const=True,
        metavar="",
        help=f"every run alerts through ${NOTIFY_VAR} (from .env; on GitHub, the secret {NOTIFY_VAR}); the"
        " URL itself, a secret, is never written into the definition",
    )
    parser.add_argument(
        "--rcgrad-from",
        metavar="REQUIREMENT",
        help="what the workflow pip-installs, e.g. 'rcgrad @ git+https://github.com/you/rcgrad@v0.1.0'",
    )


def program() -> tuple[str, ...]:
    """This rcgrad, by a path that exists: the script beside the interpreter (the venv's bin)."""
    script = Path(sys.executable).parent / "rcgrad"
    if script.is_file():
        return (str(script.absolute()),)
    return (str(Path(sys.executable).absolute()), "-m", "runner")


def rcgrad_checkout() -> Path:
    return Path(runner.__file__).resolve().parent.parent


def is_rcgrad_checkout(repo: Path) -> bool:
    return (repo / "runner" / "cli.py").is_file() and 'name = "rcgrad"' in _read(repo / "pyproject.toml")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def pinned_source() -> str | None:
    """A pip requirement for exactly this rcgrad: its checkout's public git remote at its commit."""
    checkout = rcgrad_checkout()

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    url, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    if not commit or not url.startswith(("https://", "ssh://", "git@")):
        return None  # a local path or no remote: nothing a GitHub runner could fetch
    if url.startswith("git@"):
        url = "ssh://" + url.replace(":", "/", 1)
    return f"rcgrad @ git+{url}@{commit}"


def consent_flags(args: argparse.Namespace, plan_file: Path) -> tuple[str, ...]:
    """The flags the scheduled runs need: ``--server`` when one was given, and the consent a
    production plan needs, refused unless given to ``schedule`` itself."""
    from runner.plan.loader import load_plan
    from runner.run.target import is_production

    plan = load_plan(plan_file, server_override=args.server)
    # The scheduled runs reach the server judged here: an override is carried, normalised.
    server = ("--server", plan.server) if args.server else ()
    if not is_production(plan.server):
        return server
    if not args.allow_production:
        raise InputError(
            "this plan targets production: every scheduled run would send real traffic. Rehearse it,"
            " then pass --allow-production to schedule to consent for every run",
            file=args.plan,
            key="server",
        )
    if any(step.operation.is_write for step in plan.steps):
        if not args.allow_production_writes:
            raise InputError(
                "this plan writes live customer data on production every day; pass"
                " --allow-production-writes to schedule to consent for every run",
                file=args.plan,
                key="endpoints",
            )
        return (*server, "--allow-production", "--allow-production-writes")
    return (*server, "--allow-production")


def schedule_from(args: argparse.Namespace) -> Schedule:
    repo = (args.repo or Path.cwd()).resolve()
    plan_path = Path(args.plan)
    absolute = (plan_path if plan_path.is_absolute() else (Path.cwd() / plan_path)).resolve()
    if not absolute.is_file():
        raise InputError("no such plan file", file=args.plan)
    try:
        plan = str(absolute.relative_to(repo))
    except ValueError:
        raise InputError(
            f"the plan is outside the repository {repo}: a scheduled job runs from the repository"
            " (move the plan into it, or pass --repo)",
            file=args.plan,
        ) from None
    flags = consent_flags(args, absolute)
    hour, minute = parse_at(args.at)
    log = args.log or str(ensure_state_home() / "warmup.log")
    install = args.rcgrad_from or ("." if is_rcgrad_checkout(repo) else pinned_source())
    for name, value in (
        ("--repo", str(repo)),
        ("--log", log),
        ("PLAN", plan),
        ("--rcgrad-from", install or ""),
    ):
        _refuse_unschedulable(name, value, args.kind)
    if args.kind == "github" and install is None:
        raise InputError(
            "cannot tell where the workflow should install rcgrad from (this checkout has no public git"
            f" remote); pass --rcgrad-from, e.g. --rcgrad-from '{PLACEHOLDER_SOURCE}'",
            key="--rcgrad-from",
        )
    env, shared_ledger = state_env(args.kind)
    for name, value in env:
        _refuse_unschedulable(name, value, args.kind)
    return Schedule(
        env=env,
        shared_ledger=shared_ledger,
        plan=plan,
        repo=str(repo),
        hour=hour,
        minute=minute,
        program=program(),
        log=log,
        flags=flags,
        install=install or ".",
        notify=notify_checked(args.notify, args.kind, repo),
    )


def state_env(kind: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """What cron and systemd must set for the job to use this shell's state, and whether the ledger
    is a shared PostgreSQL database. A connection string with a password is refused for them: the
    definition is printed and installed in the clear (libpq reads ~/.pgpass instead)."""
    ledger = os.environ.get(LEDGER_VAR, "").strip()
    shared = postgres.is_postgres(ledger)
    if kind == "github":
        return (), shared
    env = [("RCGRAD_HOME", str(ensure_state_home()))]
    if shared:
        if postgres.conninfo(ledger).get("password"):
            raise InputError(
                "holds a password, and a schedule is printed and installed in the clear: put the"
                " password in ~/.pgpass (libpq reads it) and leave it out of the connection string",
                key=LEDGER_VAR,
            )
        env.append((LEDGER_VAR, ledger))
    elif ledger:
        env.append((LEDGER_VAR, str(Path(ledger).expanduser().resolve())))
    return tuple(env), shared


def notify_checked(value: object, kind: str, repo: Path) -> bool:
    """``--notify``: the scheduled runs read the webhook from ``RCGRAD_NOTIFY``, never from the
    definition. cron and systemd runs find it in the repository's ``.env`` (checked here, its value
    never shown); a workflow gets it from the repository secret of that name."""
    if value is None:
        return False
    if value is not True:
        raise InputError(
            f"a webhook URL is a secret and is never written into a schedule: put {NOTIFY_VAR}=URL in"
            f" .env in the repository (GitHub: the repository secret {NOTIFY_VAR}) and pass --notify alone",
            key="--notify",
        )
    if kind == "github":
        return True
    text = read_dotenv(repo / ".env").get(NOTIFY_VAR, "").strip()
    if not text:
        raise InputError(
            f"put {NOTIFY_VAR}=<webhook URL> in {repo / '.env'}: {kind} runs read it there", key="--notify"
        )
    redact.register(text)
    try:
        parse_webhook(text)
    except ServerUrlError as exc:
        raise InputError(f"the webhook URL {exc}", file=str(repo / ".env"), key=NOTIFY_VAR) from None
    return True


def _refuse_unschedulable(name: str, value: str, kind: str) -> None:
    """A value the definition's own parser would read as something else is refused, not quoted:
    a line break ends any line; GitHub Actions evaluates ``${{ ... }}`` anywhere in a workflow (a
    plan named ``${{ secrets.RC_USER_JWT }}.yaml`` would print the JWT); systemd joins a line
    ending in a backslash to the next one and strips a value's outer spaces."""
    if any(ch in value for ch in "\n\r\0"):
        raise InputError("a path with a line break cannot go into a schedule", key=name)
    if "${{" in value:
        raise InputError(
            "holds ${{, which GitHub Actions would evaluate as an expression; rename it", key=name
        )
    if kind == "systemd" and (value.endswith("\\") or value != value.strip()):
        raise InputError(
            "ends in a backslash or a space, which a systemd unit cannot hold; rename it", key=name
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
