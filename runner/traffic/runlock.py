"""One traffic run per app at a time: a per-app lock file under ``$RCGRAD_HOME/locks``.

A ``graduate`` and a scheduled ``warmup`` for the same app share one rate budget and one token
pair; running them together could exceed the budget or refresh twice. So the second one waits for
the first, and says so. The lock is ``runner.fileio.ExclusiveLock`` (an ``flock`` the kernel
releases if the holder dies), so a crashed run never leaves the app locked. This module must never
touch the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.fileio import ExclusiveLock, app_stem
from runner.settings import state_home


def lock_path(server: str, client_id: str) -> Path:
    folder = state_home() / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"run-{app_stem(server, client_id)}.lock"


def _write_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"rcgrad pid {os.getpid()}".encode(), 0)


@contextmanager
def run_lock(
    server: str, client_id: str, *, notify: Callable[[str], None] = lambda _: None
) -> Iterator[None]:
    """Hold the app's run lock for the duration; tell ``notify`` once if another run holds it."""
    path = lock_path(server, client_id)
    lock = ExclusiveLock(path, on_acquired=_write_holder)
    if not lock.acquire(blocking=False):
        try:
            holder = path.read_text(errors="replace")[:64].strip()
        except OSError:
            holder = ""
        notify(
            f"waiting for {holder or 'another rcgrad run'} on the same app to finish (they share one rate budget)"
        )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
