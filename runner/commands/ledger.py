"""``rcgrad ledger export --csv [PATH]``, ``rcgrad ledger import FILE`` and ``rcgrad ledger migrate --to URL``.

Export writes every ledger row as CSV (stdout by default). Import loads counts copied from the
Developer Console analytics into the partition of this app (server, client id, user), so the
verdict can see traffic rcgrad did not send. Migrate copies this machine's SQLite ledger into a
shared PostgreSQL one, idempotently. This module must never print a credential: it reads the
client id (an app identifier, not a secret) and nothing else from the environment, and names a
database by its URL without the password.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from runner.errors import EXIT_MET, InputError
from runner.fileio import check_writable
from runner.ledger.ledger import LEDGER_FILE, Ledger, PartitionKey, server_label
from runner.ledger.postgres import is_postgres
from runner.run.session import SessionOptions, open_ledger_view
from runner.run.target import LOCAL
from runner.settings import LEDGER_VAR, ensure_state_home, environment, resolve_server


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    # One flat parser (not sub-commands) so --server and friends work anywhere on the line.
    parser.add_argument(
        "action",
        choices=("export", "import", "migrate"),
        help="export the ledger, import console counts, or migrate it to PostgreSQL",
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        type=Path,
        help="import: CSV of date, method, endpoint, status, count",
    )
    parser.add_argument(
        "--csv",
        metavar="PATH",
        nargs="?",
        const="-",
        default="-",
        help="export: output file (default: stdout)",
    )
    parser.add_argument(
        "--ledger",
        metavar="PATH|URL",
        help="the ledger: a SQLite file or a postgresql:// URL (default: $RCGRAD_LEDGER, else"
        " $RCGRAD_HOME/ledger.sqlite3); for migrate, the file to copy from",
    )
    parser.add_argument(
        "--to",
        metavar="URL",
        help="migrate: the postgresql:// ledger to copy into (default: $RCGRAD_LEDGER when it is a URL)",
    )
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="PLAN",
        help="import: into the partition this plan's runs use (a rehearsal's too); or name it with"
        " --server, --client-id and --user-id",
    )
    parser.add_argument("--client-id", help="import: the app's client id (default: RC_APP_CLIENT_ID)")
    parser.add_argument(
        "--user-id", help="import: the user the counts belong to (default: the only one in the ledger)"
    )


# Which action reads each of the flags one parser takes for all three: a flag given to another is
# refused, never ignored (`export --to URL` would otherwise print the ledger and copy nothing).
ACTION_FLAGS = {
    "FILE": ("file", ("import",)),
    "--csv": ("csv", ("export",)),
    "--to": ("to", ("migrate",)),
    "--plan": ("plan", ("import",)),
    "--client-id": ("client_id", ("import",)),
    "--user-id": ("user_id", ("import",)),
}


def run(args: argparse.Namespace) -> int:
    for flag, (dest, actions) in ACTION_FLAGS.items():
        given = getattr(args, dest) not in (None, "-")
        if given and args.action not in actions:
            raise InputError(f"is for ledger {' or '.join(actions)}, not ledger {args.action}", key=flag)
    if args.action == "migrate":
        return _migrate(args)
    if args.action == "export" and args.csv != "-":
        check_writable(Path(args.csv), "--csv")  # before the ledger is even opened
    with Ledger.open(args.ledger) as ledger:
        if args.action == "export":
            try:
                if args.csv == "-":
                    n = ledger.export_csv(None, sys.stdout, server=args.server)
                else:
                    n = ledger.export_csv(None, Path(args.csv), server=args.server)
            except BrokenPipeError:  # `| head`: the reader has all it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
                return EXIT_MET
            except OSError as exc:  # a full disk: the checks above cannot see that
                raise InputError(f"cannot write {args.csv}: {exc.strerror or exc}", key="--csv") from None
            print(f"rcgrad: exported {n} row(s)", file=sys.stderr)
            return EXIT_MET
        if args.file is None:
            raise InputError("which file? usage: rcgrad ledger import FILE --plan PLAN", key="FILE")
        if not args.file.is_file():
            raise InputError("cannot read: no such file", file=str(args.file))
        key = _import_partition(ledger, args)
        n = ledger.import_counts(key, args.file)
        print(
            f"rcgrad: imported {n} row(s) from {args.file} into {key.server} / {key.client_id} / {key.user_id}",
            file=sys.stderr,
        )
        return EXIT_MET


def _migrate(args: argparse.Namespace) -> int:
    env = environment()
    shared = env.get(LEDGER_VAR, "").strip()
    destination = args.to or (shared if is_postgres(shared) else None)
    if not destination:
        raise InputError("where to? pass --to postgresql://user@host/db or set RCGRAD_LEDGER", key="--to")
    if not is_postgres(destination):
        raise InputError(
            "expected a PostgreSQL connection string (postgresql://user@host/db or host=... dbname=...)",
            key="--to",
        )
    # The source is this machine's file: --ledger, else $RCGRAD_LEDGER when it names a file.
    source = args.ledger or (shared if shared and not is_postgres(shared) else None)
    if source is None:
        source = ensure_state_home() / LEDGER_FILE
    if not is_postgres(str(source)) and not Path(source).is_file():
        raise InputError("no ledger file here to migrate", file=str(source), key="--ledger")
    with Ledger.open(source) as origin:
        origin.check_counts()  # before the destination is even reached
        with Ledger.open(destination) as target:
            copied, present = origin.copy_into(target)
        print(
            f"rcgrad: copied {copied} row(s) from {origin.location} to {target.location};"
            f" {present} were already there",
            file=sys.stderr,
        )
    return EXIT_MET


def _import_partition(ledger: Ledger, args: argparse.Namespace) -> PartitionKey:
    """Where the counts go: the partition a plan's runs use (``--plan``; a rehearsal's is
    ``local/<app>``, one per plan), or the one ``--server``, ``--client-id`` and ``--user-id`` name,
    which must be one some run has used: counts in a partition no plan reads would count nowhere."""
    if args.plan is not None:
        with open_ledger_view(SessionOptions(plan=args.plan, server=args.server), ledger=ledger) as view:
            if view.key.id < 0:
                raise InputError(
                    "this app has no traffic yet and no RC_USER_JWT names its user; set it, or run"
                    " graduate once first",
                    file=str(args.plan),
                )
            return view.key
    env = environment()
    server = args.server or env.get("RC_SERVER_URL")
    client_id = args.client_id or env.get("RC_APP_CLIENT_ID")
    if server == LOCAL:
        raise InputError(
            "a rehearsal's partition is its plan's (local/<app>): pass --plan plans/myapp.yaml",
            key="--server",
        )
    if not server:
        raise InputError("no server: pass --plan PLAN, or --server and --client-id", key="--server")
    if not client_id:
        raise InputError("no client id: pass --client-id or set RC_APP_CLIENT_ID", key="--client-id")
    label = server_label(resolve_server(server, key="--server"))
    known = [p for p in ledger.partitions() if p.server == label and p.client_id == client_id]
    users = sorted({p.user_id for p in known})
    user_id = args.user_id or (users[0] if len(users) == 1 else None)
    if user_id is None or user_id not in users:
        existing = ", ".join(f"{p.server} / {p.client_id} / {p.user_id}" for p in ledger.partitions()[:5])
        raise InputError(
            f"no run has used {label} / {client_id} / {user_id or '?'}, so no plan would read these counts"
            f" (partitions here: {existing or 'none'}); pass --plan PLAN to import into the plan's own",
            key="--user-id" if users else "--client-id",
        )
    return ledger.partition(label, client_id, user_id)
