"""Ctrl-C and SIGTERM during a run: stop sending, still run every teardown step.

The engine's teardowns are shielded from cancellation, so cancelling the run's task group stops new
work and lets the cleanup finish. This module must never exit the process itself: the caller's
verdict still decides the exit code.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import anyio.abc

T = TypeVar("T")


def watch_signals(tg: anyio.abc.TaskGroup, on_signal: Callable[[str], None]) -> None:
    """On Ctrl-C or SIGTERM: call ``on_signal`` with the signal's name, then cancel ``tg``'s scope."""

    async def watch() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                on_signal(signal.Signals(signum).name)
                tg.cancel_scope.cancel()
                return

    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        tg.start_soon(watch)


async def until_signalled(work: Callable[[], Awaitable[T]], on_signal: Callable[[str], None]) -> T | None:
    """``await work()``, unless a signal comes first (then None, once the teardowns ran)."""
    outcome: list[T] = []
    async with anyio.create_task_group() as tg:
        watch_signals(tg, on_signal)

        async def run() -> None:
            outcome.append(await work())
            tg.cancel_scope.cancel()  # done: stop the watcher

        tg.start_soon(run)
    return outcome[0] if outcome else None
