"""Group commit: the ledger writes of many concurrent calls share one transaction.

A fleet's calls each write their intent before going on the wire and their outcome after; one
commit per write makes the event loop wait on the database twice per call, which is what bounds a
fleet of hundreds of apps. Here every write that is waiting when a batch starts goes into that
batch's one transaction (one round trip, one fsync), and each caller resumes once its own write is
committed, so "stored before it goes out" holds call by call, as with a commit of its own.

It must never let a caller go on before its write is committed, nor report a write as committed
when its batch failed: every caller of a failed batch gets the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel

Statement = tuple[str, Sequence[Any]]
WriteBatch = Callable[..., list[list[Any]]]  # (statements, *, durable) -> each statement's rows


@dataclass(slots=True, eq=False)
class _Waiting:
    statement: Statement
    durable: bool
    done: anyio.Event = field(default_factory=anyio.Event)
    rows: list[Any] = field(default_factory=list)
    error: BaseException | None = None


class GroupCommit:
    """Writes from concurrent tasks of one event loop, committed together through ``write_batch``."""

    def __init__(self, write_batch: WriteBatch) -> None:
        self._write_batch = write_batch
        self._queue: list[_Waiting] = []
        self._flushing = False
        self.batches = 0  # transactions committed (or tried): what the benchmark and tests read

    async def write(self, statement: Statement, *, durable: bool = False) -> list[Any]:
        """``statement``'s rows once it is committed, with whatever else was waiting."""
        waiting = _Waiting(statement, durable)
        self._queue.append(waiting)
        if not self._flushing:
            await self._flush()
        # Shielded: a caller cancelled now would not know whether its write is in (an intent
        # written for a call never made would count as a 4xx for good).
        with anyio.CancelScope(shield=True):
            await waiting.done.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.rows

    async def _flush(self) -> None:
        self._flushing = True
        try:
            with anyio.CancelScope(shield=True):
                # One turn of the loop: every task ready to write now queues its write first.
                await anyio.lowlevel.checkpoint()
            while self._queue:
                batch, self._queue = self._queue, []
                self.batches += 1
                try:
                    results = self._write_batch(
                        [w.statement for w in batch], durable=any(w.durable for w in batch)
                    )
                except BaseException as exc:  # the database is gone: every caller hears it
                    for w in batch:
                        w.error = exc
                        w.done.set()
                    continue
                for w, rows in zip(batch, results, strict=True):
                    w.rows = rows
                    w.done.set()
        finally:
            self._flushing = False
