"""Stored tokens: one owner-only file per (server, client id), replaced atomically, guarded by a lock
that two processes (a graduate run and a scheduled warm-up) share.

The file holds the SDK's ``auth().data()`` (expiry times are epoch seconds on rcgrad's clock),
never a raw token response. The lock file is separate from the data file so an atomic replace never
swaps the lock out from under a waiting process. This module must never print, log or ``repr`` a
token; it does no network I/O and makes no decision about when to refresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.settings import state_home

TOKENS_DIR = "tokens"
FORMAT_VERSION = 1

# (inode, mtime ns, size): changes whenever another process replaces the file.
FileStamp = tuple[int, int, int]


@dataclass(frozen=True)
class StoredTokens:
    """The SDK's auth data as stored; ``repr`` shows expiry times only."""

    data: Mapping[str, Any] = field(repr=False)

    @property
    def access_token(self) -> str:
        return str(self.data.get("access_token") or "")

    @property
    def refresh_token(self) -> str:
        return str(self.data.get("refresh_token") or "")

    @property
    def token_type(self) -> str:
        return str(self.data.get("token_type") or "bearer")

    @property
    def expire_time(self) -> float:
        return float(self.data.get("expire_time") or 0.0)

    @property
    def refresh_token_expire_time(self) -> float:
        return float(self.data.get("refresh_token_expire_time") or 0.0)

    @property
    def expires_in(self) -> float:
        return float(self.data.get("expires_in") or 0.0)

    @property
    def refresh_token_expires_in(self) -> float:
        return float(self.data.get("refresh_token_expires_in") or 0.0)

    @property
    def scope(self) -> str:
        return str(self.data.get("scope") or "")

    def secrets(self) -> tuple[str, ...]:
        return tuple(t for t in (self.access_token, self.refresh_token) if t)

    def __repr__(self) -> str:
        return (
            f"StoredTokens(expire_time={self.expire_time:.0f}, "
            f"refresh_token_expire_time={self.refresh_token_expire_time:.0f})"
        )


def store_name(server: str, client_id: str) -> str:
    """File stem for one server and app: a hash, so the directory listing names neither."""
    return hashlib.sha256(f"{server}\n{client_id}".encode()).hexdigest()[:24]


class TokenStore:
    """The token file of one server and app, and the lock that serialises its refreshes."""

    def __init__(self, server: str, client_id: str, home: Path | None = None) -> None:
        self.server = server
        self.client_id = client_id
        directory = (home or state_home()) / TOKENS_DIR
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = store_name(server, client_id)
        self.path = directory / f"{stem}.json"
        self.lock_path = directory / f"{stem}.lock"

    def __repr__(self) -> str:
        return f"TokenStore({self.path})"

    def stamp(self) -> FileStamp | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when there are none (or the file is unreadable or foreign)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
            return None
        if raw.get("server") != self.server or raw.get("client_id") != self.client_id:
            return None
        auth = raw.get("auth")
        if not isinstance(auth, dict) or not auth.get("access_token"):
            return None
        return StoredTokens(auth)

    def save(self, tokens: StoredTokens) -> None:
        """Write temp (0600) + fsync + rename: a reader sees the old file or the new one, never half."""
        payload = {
            "version": FORMAT_VERSION,
            "server": self.server,
            "client_id": self.client_id,
            "auth": dict(tokens.data),
        }
        fd, temp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(payload, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_directory(self.path.parent)

    def delete(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        _fsync_directory(self.path.parent)
        return True

    def lock(self) -> FileLock:
        return FileLock(self.lock_path)


class FileLock:
    """An exclusive ``flock`` on a lock file. Blocking; call ``acquire`` from a worker thread in async code.

    flock belongs to the open file description, so two ``FileLock``s exclude each other even inside one
    process, and the kernel releases the lock if the holder dies.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, blocking: bool = True) -> bool:
        if self._fd is not None:
            raise RuntimeError("lock already held by this object")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
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
