"""The sandbox's request log on disk, one JSON line per request, appended as each is logged.

A sandbox kept between runs (``state_path``) used to write its log only on a clean exit, so a
``kill -9`` of a local rehearsal left the sandbox's log behind the ledger's. Each line is written
and flushed as the request is logged; on the next start the file is read back (a line torn by the
kill is dropped), trimmed to the days the review can still read, and rewritten atomically. It must
never hold a token: records carry statuses and templates, never credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from runner.fileio import atomic_write
from runner.records import CallRecord, Kind, TokenEvent

KEEP_SECONDS = 3 * 86_400  # the review reads two UTC days; a third covers clock skew and time zones


def record_from(raw: dict[str, Any]) -> CallRecord:
    raw = dict(raw)
    raw["kind"] = Kind(raw["kind"])
    raw["event"] = TokenEvent(raw["event"]) if raw.get("event") else None
    return CallRecord(**raw)


def _line(record: CallRecord) -> str:
    return json.dumps(asdict(record), separators=(",", ":")) + "\n"


class Journal:
    """An open request log: ``append`` each record, ``close`` at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = path.open("a", encoding="utf-8")

    @classmethod
    def reopen(
        cls, path: Path, *, now: float, earlier: Iterable[CallRecord] = ()
    ) -> tuple[list[CallRecord], Journal]:
        """Read what an earlier run logged (``earlier``: a log kept the old way, in the state file),
        keep what the review can still read, rewrite it compactly and open it for appending."""
        kept = [r for r in (*earlier, *_read(path)) if r.ts >= now - KEEP_SECONDS]
        atomic_write(path, "".join(_line(r) for r in kept))
        return kept, cls(path)

    def append(self, record: CallRecord) -> None:
        if self._file is not None:
            self._file.write(_line(record))
            self._file.flush()  # in the kernel's hands: a kill -9 of this process cannot lose it

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _read(path: Path) -> list[CallRecord]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines():
        try:
            records.append(record_from(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue  # the line a kill tore in half, or one from a newer version
    return records
