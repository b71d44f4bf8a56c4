"""The per-app run lock on one machine (a lock file): the second run waits with --wait, else stops."""

from __future__ import annotations

import threading

import pytest

from runner.errors import BusyError
from runner.run.runlock import run_lock


def test_without_wait_a_second_run_stops_naming_the_holder_and_with_wait_it_waits():
    with run_lock("local", "cid"):
        with pytest.raises(BusyError) as info, run_lock("local", "cid", wait=False):
            pass
        with run_lock("local", "another-app", wait=False):  # other apps are not blocked
            pass
    assert "rcgrad pid" in str(info.value) and "pass --wait" in str(info.value)
    assert info.value.exit_code == 1

    notes: list[str] = []
    released = threading.Event()

    def hold() -> None:
        with run_lock("local", "cid"):
            released.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        while not notes:
            try:
                with run_lock("local", "cid", wait=False):
                    pass  # the holder has not started yet
            except BusyError:
                threading.Timer(0.2, released.set).start()
                with run_lock("local", "cid", wait=True, notify=notes.append):
                    assert released.is_set()  # it got the lock only once the holder let go
                break
    finally:
        released.set()
        holder.join()
    assert notes and notes[0].startswith("waiting for ")  # the holder may not have written its name yet
