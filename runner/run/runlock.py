"""One traffic run per app at a time: a per-app lock file under ``$RCGRAD_HOME/locks``, or, when the
ledger is shared on PostgreSQL, an advisory lock there (so two machines take turns too).

A ``graduate`` and a scheduled ``warmup`` for the same app share one rate budget and one token
pair; running them together could exceed the budget or refresh twice. So the second one waits for
the first and says so (``wait``), or stops with ``BusyError`` before sending anything. The file
lock is ``runner.locks.ExclusiveLock`` (an ``flock`` the kernel releases if the holder dies); the
advisory lock is released by the server when the holder's connection ends; so a crashed run never
leaves the app locked. This module must never touch the network other than the ledger's database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.errors import BusyError
from runner.fileio import app_stem
from runner.ledger.ledger import Ledger
from runner.locks import ExclusiveLock
from runner.settings import ensure_state_home


def busy(holder: str) -> BusyError:
    return BusyError(
        f"{holder} is running traffic for this app now (one rate budget); pass --wait to wait for it",
        holder=holder,
    )


def lock_path(server: str, client_id: str) -> Path:
    folder = ensure_state_home() / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"run-{app_stem(server, client_id)}.lock"


def _write_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"rcgrad pid {os.getpid()}".encode(), 0)


@contextmanager
def run_lock(
    server: str,
    client_id: str,
    *,
    ledger: Ledger | None = None,
    wait: bool = True,
    notify: Callable[[str], None] = lambda _: None,
    poll: float = 0.2,
) -> Iterator[None]:
    """Hold the app's run lock for the duration; tell ``notify`` once if another run holds it."""
    shared = None
    if ledger is not None:
        shared = ledger.advisory_lock(server, client_id, wait=wait, notify=notify, on_busy=busy, poll=poll)
    if shared is not None:
        with shared:
            yield
        return
    path = lock_path(server, client_id)
    lock = ExclusiveLock(path, on_acquired=_write_holder)
    if not lock.acquire(blocking=False):
        try:
            holder = path.read_text(errors="replace")[:64].strip()
        except OSError:
            holder = ""
        if not wait:
            raise busy(holder or "another rcgrad run")
        notify(
            f"waiting for {holder or 'another rcgrad run'} on the same app to finish (they share one rate budget)"
        )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
