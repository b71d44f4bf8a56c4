"""One traffic run per app at a time: a per-app lock file under ``$RCGRAD_HOME/locks``, or, when the
ledger is shared on PostgreSQL, an advisory lock there (so two machines take turns too).

A ``graduate`` and a scheduled ``warmup`` for the same app share one rate budget and one token
pair; running them together could exceed the budget or refresh twice. So the second one waits for
the first and says so (``wait``), or stops with ``BusyError`` before sending anything. The file
lock is an ``fcntl`` lock, released by the kernel if the holder dies; the advisory lock is released
by the server when the holder's connection ends; so a crashed run never leaves the app locked.
This module must never touch the network other than the ledger's own database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from runner.errors import BusyError
from runner.settings import state_home
from runner.verdict.ledger import Ledger


def busy(holder: str) -> BusyError:
    return BusyError(
        f"{holder} is running traffic for this app now (one rate budget); pass --wait to wait for it"
    )


def lock_path(server: str, client_id: str) -> str:
    digest = hashlib.sha256(f"{server}\0{client_id}".encode()).hexdigest()[:16]
    folder = state_home() / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(folder / f"run-{digest}.lock")


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
    fd = os.open(lock_path(server, client_id), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another rcgrad run"
            if not wait:
                raise busy(holder) from None
            notify(f"waiting for {holder} on the same app to finish (they share one rate budget)")
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"rcgrad pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
