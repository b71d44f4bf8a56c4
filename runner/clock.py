"""Time, injectable: everything that waits or looks at the date takes a ``Clock``.

``SystemClock`` is the real one. ``ManualClock`` lets a test walk through a 48-hour window or a
60-second penalty in microseconds. This module must never sleep on a ``ManualClock``'s behalf
in real time.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

import anyio


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch (UTC): for the ledger and the UTC-day windows."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: for rate windows and token expiry."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    async def wait(self, event: anyio.Event, seconds: float) -> None:
        """Until ``event`` is set or ``seconds`` have passed, whichever comes first."""
        ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    async def wait(self, event: anyio.Event, seconds: float) -> None:
        with anyio.move_on_after(max(0.0, seconds)):
            await event.wait()


_TURNS_BEFORE_TIME_PASSES = 8


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it instantly."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = start
        self._mono = 1000.0

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await anyio.lowlevel.checkpoint()

    async def wait(self, event: anyio.Event, seconds: float) -> None:
        # What is ready to run goes first, for a few turns of the loop (a fake server answering at
        # once): an event it sets is seen with no time passed; otherwise the whole time passes, as
        # a real clock would let it when nothing happens meanwhile.
        for _ in range(_TURNS_BEFORE_TIME_PASSES):
            await anyio.lowlevel.checkpoint()
            if event.is_set():
                return
        await self.sleep(seconds)


def utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)
