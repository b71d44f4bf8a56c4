"""Stored tokens: one owner-only file per (server, client id), replaced atomically, guarded by a lock
that two processes (a graduate run and a scheduled warm-up) share.

The file holds the SDK's ``auth().data()`` (expiry times are epoch seconds on rcgrad's clock),
never a raw token response. The lock file is separate from the data file so an atomic replace never
swaps the lock out from under a waiting process. This module must never print, log or ``repr`` a
token; it does no network I/O and makes no decision about when to refresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.fileio import app_stem, atomic_write, fsync_directory
from runner.locks import ExclusiveLock
from runner.settings import ensure_state_home

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


class TokenStore:
    """The token file of one server and app, and the lock that serialises its refreshes."""

    def __init__(self, server: str, client_id: str, home: Path | None = None) -> None:
        self.server = server
        self.client_id = client_id
        directory = (home or ensure_state_home()) / TOKENS_DIR
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = app_stem(server, client_id)
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
        return unwrap(raw, self.server, self.client_id)

    def save(self, tokens: StoredTokens) -> None:
        """Owner-only and atomic: a reader sees the old file or the new one, never half."""
        atomic_write(self.path, json.dumps(envelope(tokens, self.server, self.client_id)))

    def delete(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        fsync_directory(self.path.parent)
        return True

    def lock(self) -> ExclusiveLock:
        """The lock that serialises refreshes across processes (flock: two objects exclude each other)."""
        return ExclusiveLock(self.lock_path)


def envelope(tokens: StoredTokens, server: str, client_id: str) -> dict[str, Any]:
    """What a store keeps: the SDK's token data, with the format and whose tokens they are."""
    return {"version": FORMAT_VERSION, "server": server, "client_id": client_id, "auth": dict(tokens.data)}


def unwrap(raw: Any, server: str, client_id: str) -> StoredTokens | None:
    """The tokens in a kept envelope, or None when it is of another format, server or app."""
    if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
        return None
    if raw.get("server") != server or raw.get("client_id") != client_id:
        return None
    auth = raw.get("auth")
    if not isinstance(auth, dict) or not auth.get("access_token"):
        return None
    return StoredTokens(auth)
