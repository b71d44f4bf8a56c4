"""Locks two processes share: ``ExclusiveLock``, one kernel ``flock`` per file.

It is ``filelock``'s lock: the kernel releases it when its holder dies, so a crashed run never
leaves anything locked. It must never delete a lock file (deleting one splits its waiters).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import filelock

POLL_SECONDS = 0.05  # how often a waiter tries again: filelock polls, it does not block in the kernel


class ExclusiveLock:
    """An exclusive lock on ``path`` (created 0600, never deleted: deleting a lock file splits waiters).

    Two ``ExclusiveLock`` objects exclude each other even inside one process; one object is not
    re-entrant. ``on_acquired`` gets the lock file's descriptor, to write who holds it.
    """

    def __init__(self, path: Path, *, on_acquired: Callable[[int], None] | None = None) -> None:
        self.path = path
        # thread_local=False: the async waiter may acquire in one thread and release in another.
        self._lock = filelock.FileLock(
            str(path), mode=0o600, thread_local=False, poll_interval=POLL_SECONDS, on_acquired=on_acquired
        )

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; with ``blocking=False``, False at once when another holder has it."""
        if self._lock.is_locked:
            raise RuntimeError("lock already held by this object")
        try:
            self._lock.acquire(blocking=blocking)
        except filelock.Timeout:
            return False
        return True

    async def acquire_async(self, *, on_wait: Callable[[], None] | None = None) -> None:
        """Take the lock without blocking the event loop; a cancelled waiter simply stops trying."""
        if self.acquire(blocking=False):
            return
        if on_wait is not None:
            on_wait()
        while not self.acquire(blocking=False):
            await anyio.sleep(POLL_SECONDS)

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    @property
    def held(self) -> bool:
        return bool(self._lock.is_locked)

    def __enter__(self) -> ExclusiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
