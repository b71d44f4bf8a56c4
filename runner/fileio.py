"""Files that must survive a crash and locks that two processes share: one atomic writer, one lock.

``atomic_write`` writes a temporary file (owner-only), fsyncs it, renames it over the target and
fsyncs the directory, so a reader sees the old file or the new one, never half of either, even
after a power cut. ``ExclusiveLock`` is ``filelock``'s ``flock`` lock: the kernel releases it when
its holder dies, so a crashed run never leaves anything locked. This module must never log a
file's content: the token store writes secrets through it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio
import filelock

from runner.errors import InputError

log = logging.getLogger("rcgrad.files")

POLL_SECONDS = 0.05  # how often a waiter tries again: filelock polls, it does not block in the kernel


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably; the file gets ``mode`` (owner-only)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(path.parent)


def read_regular_file(path: Path, limit: int) -> bytes:
    """A regular file's bytes, or ``ValueError`` saying why not: larger than ``limit`` (read in one
    bounded gulp, so /dev/zero stops), or not a regular file (a FIFO would block the open, and
    Ctrl-C with it, until a writer came; O_NONBLOCK opens it at once so it can be refused)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file (a pipe or a device?)")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // 2**20} MB")
    return data


def append_durably(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` (a file other steps append to too) and flush it to disk."""
    with path.open("a", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def check_writable(path: Path, what: str) -> None:
    """``path`` names a regular file (or a new one) that can be written, or ``InputError`` naming
    ``what`` (a flag or a variable). Checked for real, with a probe file beside it: ``os.access``
    says yes to root for a file in ``/proc`` or on a read-only mount."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"{path} is a folder; name a file in it", key=what)
    if not parent.is_dir():
        raise InputError(f"folder {parent} does not exist", key=what)
    if path.exists() and not path.is_file():
        raise InputError(f"{path} is not a regular file", key=what)
    try:
        fd, probe = tempfile.mkstemp(prefix=".rcgrad-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError as exc:
        raise InputError(
            f"{path} cannot be written ({exc.strerror or type(exc).__name__})", key=what
        ) from None


def app_stem(server: str, client_id: str) -> str:
    """A file stem for one server and app (token store, run lock): a hash, so a listing names neither."""
    return hashlib.sha256(f"{server}\n{client_id}".encode()).hexdigest()[:24]


def fsync_directory(directory: Path) -> None:
    """A rename or an unlink is durable only once the directory entry is on disk."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
