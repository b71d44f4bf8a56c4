"""Files that must survive a crash, and files read or written for a user without surprises.

``atomic_write`` writes a temporary file (owner-only), fsyncs it, renames it over the target and
fsyncs the directory, so a reader sees the old file or the new one, never half of either, even
after a power cut. ``read_regular_file`` reads a bounded regular file and nothing else;
``check_writable`` proves a path writable before the work that will write it. This module must
never log a file's content: the token store writes secrets through it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from runner.errors import InputError


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


class NotText(ValueError):
    """Bytes that are not UTF-8 text: the message names the first bad byte, ``line`` its line."""

    def __init__(self, data: bytes, error: UnicodeDecodeError) -> None:
        super().__init__(f"not UTF-8 text (byte 0x{data[error.start]:02x})")
        self.line = data[: error.start].count(b"\n") + 1


def utf8_text(data: bytes, encoding: str = "utf-8") -> str:
    """``data`` decoded (``utf-8-sig`` drops a byte-order mark), or ``NotText``."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotText(data, exc) from None


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
