"""``rcgrad report PLAN... --html DIR``: each app's window over the last 14 UTC days, from the ledger alone.

Writes ``DIR/index.html`` (the fleet) and a page per app, named after its plan file, then prints
one line per app. Like ``status`` it must never send a request, log in or read a secret, and it
judges only through ``runner.verdict.history``. The exit code says the pages were written (0),
whatever the verdicts; DIR is checked before any plan or ledger is read, so bad input writes
nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from runner.clock import SystemClock
from runner.commands.options import add_ledger_flag, add_plans_argument, plan_paths, session_options
from runner.errors import EXIT_MET, InputError
from runner.fileio import atomic_write
from runner.ledger.grants import load_granted
from runner.ledger.ledger import Ledger
from runner.report import history_console, history_html
from runner.report.history_html import FleetEntry
from runner.run.session import LedgerView, open_ledger_view, plan_endpoint_keys
from runner.run.target import app_slug
from runner.verdict.history import AppFacts, History, history, reach

INDEX = "index.html"
PAGE_MODE = 0o644  # reports are meant to be shared: nothing in them is a secret


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    add_plans_argument(parser)
    add_ledger_flag(parser)
    parser.add_argument(
        "--html",
        metavar="DIR",
        required=True,
        help="the folder to write index.html and a page per app into (made if missing)",
    )


def run(args: argparse.Namespace) -> int:
    folder = Path(args.html)
    check_output_folder(folder, "--html")
    plans = plan_paths(args)
    now = SystemClock().time()
    apps: list[tuple[str, History]] = []
    entries: list[FleetEntry] = []
    with ExitStack() as stack:
        ledger = stack.enter_context(Ledger.open(session_options(args).ledger))  # one connection for all
        views = [
            stack.enter_context(open_ledger_view(session_options(args, plan), ledger=ledger))
            for plan in plans
        ]
        pages = page_names([view.plan.path for view in views])
        folder.mkdir(parents=True, exist_ok=True)
        for view, page in zip(views, pages, strict=True):
            app = view.plan.app.name
            judged = history(view.summary(since=reach(now), until=now), now=now, app=app_facts(view))
            atomic_write(folder / page, history_html.render_app(judged, app, view.subject()), mode=PAGE_MODE)
            apps.append((app, judged))
            entries.append(FleetEntry(app, page, judged))
    # Last, so the index never links to a page that is not there yet.
    atomic_write(folder / INDEX, history_html.render_index(entries, now=now), mode=PAGE_MODE)
    console = Console(highlight=False, soft_wrap=True)
    for line in history_console.summary_lines(apps):
        console.print(line, markup=False)
    if not args.quiet:
        written = (
            f"{folder / pages[0]} and {folder / INDEX}"
            if len(pages) == 1
            else f"{folder / INDEX} and {len(pages)} app pages"
        )
        console.print(f"wrote {written}", markup=False)
    return EXIT_MET


def app_facts(view: LedgerView) -> AppFacts:
    """What the history needs of the plan, and the permissions the last login saw (no login now)."""
    plan = view.plan
    return AppFacts(
        profile=str(plan.criteria.profile),
        overrides=dict(plan.criteria.overrides),
        scopes=tuple(plan.app.scopes),
        endpoints=tuple(plan_endpoint_keys(plan)),
        items=tuple(view.item_keys()),
        description=plan.app.description,
        granted=load_granted(view.key),
        daily=plan.warmup_daily,
    )


def page_names(plans: list[Path]) -> list[str]:
    """A file name per plan from its stem (``plans/CRM sync.yaml`` -> ``crm-sync.html``): safe in a
    URL and on any file system, unique, and never the index's."""
    taken = {Path(INDEX).stem}
    out = []
    for plan in plans:
        stem = base = app_slug(plan.stem)
        n = 1
        while stem in taken:
            n += 1
            stem = f"{base}-{n}"
        taken.add(stem)
        out.append(f"{stem}.html")
    return out


def check_output_folder(folder: Path, flag: str) -> None:
    """``folder`` is a folder we can write into, or can be made in one: else bad input, before any
    plan or ledger is read. Tried with a real file, since permission bits say little to root."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder", key=flag)
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{existing} is not a folder, so {folder} cannot be made", key=flag)
    try:
        fd, probe = tempfile.mkstemp(prefix=".rcgrad-probe-", dir=existing)
    except OSError as exc:
        why = exc.strerror or exc.__class__.__name__
        raise InputError(
            f"{folder} cannot be written: no file can be made in {existing} ({why})", key=flag
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
