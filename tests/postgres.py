"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary directory.

It listens on a Unix socket only (no TCP port to collide with), runs without fsync (the tests
need speed, not durability) and is stopped and deleted at the end of the session. As root, the
server runs as the ``postgres`` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = "PostgreSQL's initdb/pg_ctl not found: apt-get install postgresql (or brew install postgresql)"


def find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


@contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a server; yield a ``postgresql://`` URL for its ``postgres`` database; stop it."""
    initdb, pg_ctl = find_tool("initdb"), find_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise FileNotFoundError(INSTALL_HINT)
    base = Path(tempfile.mkdtemp(prefix="rcgrad-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    try:
        _run(
            "initdb",
            [*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        )
        options = (
            f"-c listen_addresses='' -k {base} -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            "pg_ctl start",
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start"],
        )
        try:
            yield f"postgresql://postgres@/postgres?host={base}"
        finally:
            subprocess.run(
                [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run(what: str, command: list[str]) -> None:
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()}")


def fresh_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server and return its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.replace("/postgres?", f"/{name}?", 1)


class ConnectionPeak(threading.Thread):
    """The most client connections ``url``'s database had at once (the sampler's own excluded),
    sampled every ``every`` seconds from ``start()`` to ``stop()``."""

    def __init__(self, url: str, every: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.url, self.every, self.peak, self._done = url, every, 0, threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._done.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                time.sleep(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()
