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
from runner.settings import LEDGER_VAR, environment, resolve_server, state_home
from runner.verdict.ledger import LEDGER_FILE, Ledger, PartitionKey, server_label
from runner.verdict.ledger_pg import is_postgres


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
    parser.add_argument("--client-id", help="import: the app's client id (default: RC_APP_CLIENT_ID)")
    parser.add_argument(
        "--user-id", help="import: the user the counts belong to (default: the only one in the ledger)"
    )


def run(args: argparse.Namespace) -> int:
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
            raise InputError("which file? usage: rcgrad ledger import FILE", key="FILE")
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
        source = state_home() / LEDGER_FILE
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
    env = environment()
    server = args.server or env.get("RC_SERVER_URL")
    client_id = args.client_id or env.get("RC_APP_CLIENT_ID")
    if not server:
        raise InputError("no server: pass --server or set RC_SERVER_URL", key="--server")
    if not client_id:
        raise InputError("no client id: pass --client-id or set RC_APP_CLIENT_ID", key="--client-id")
    label = server_label(resolve_server(server))
    user_id = args.user_id
    if not user_id:
        users = sorted(
            {p.user_id for p in ledger.partitions() if p.server == label and p.client_id == client_id}
        )
        if len(users) != 1:
            found = f"found {len(users)}" + (f": {', '.join(users)}" if users else "")
            raise InputError(
                f"cannot tell which user the counts belong to ({found}); pass --user-id", key="--user-id"
            )
        user_id = users[0]
    return ledger.partition(label, client_id, user_id)
