"""Group commit: concurrent calls' ledger writes share transactions, and each caller goes on only
once its own write is committed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest

from runner.ledger.group_commit import GroupCommit
from runner.ledger.ledger import Ledger
from runner.records import UNKNOWN, CallRecord


class FakeDatabase:
    """Commits batches in order; remembers what each batch held and what had resumed by then."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.resumed: list[str] = []  # callers that went on, in order
        self.resumed_at_commit: list[list[str]] = []
        self.fail = fail

    def write_batch(self, statements: list[tuple[str, Any]], *, durable: bool = False) -> list[list[Any]]:
        if self.fail:
            raise OSError("the database went away")
        self.batches.append([sql for sql, _ in statements])
        self.resumed_at_commit.append(list(self.resumed))
        return [[(sql,)] for sql, _ in statements]


def test_writes_waiting_together_share_one_transaction_and_each_gets_its_own_rows():
    db = FakeDatabase()
    together = GroupCommit(db.write_batch)
    answers: dict[str, Any] = {}

    async def call(name: str) -> None:
        answers[name] = await together.write((name, ()))
        db.resumed.append(name)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(call, f"w{n}")

    anyio.run(main)
    assert len(db.batches) == 1 and sorted(db.batches[0]) == sorted(f"w{n}" for n in range(50))
    assert answers == {f"w{n}": [(f"w{n}",)] for n in range(50)}
    assert db.resumed_at_commit == [[]]  # nobody went on before the commit


def test_a_write_after_a_commit_starts_the_next_transaction_and_waits_for_it():
    db = FakeDatabase()
    together = GroupCommit(db.write_batch)

    async def main() -> None:
        await together.write(("first", ()))
        db.resumed.append("first")
        await together.write(("second", ()))
        db.resumed.append("second")

    anyio.run(main)
    assert db.batches == [["first"], ["second"]]
    assert db.resumed_at_commit == [[], ["first"]] and together.batches == 2


def test_a_failed_transaction_fails_every_write_in_it():
    together = GroupCommit(FakeDatabase(fail=True).write_batch)
    failures: list[str] = []

    async def call(name: str) -> None:
        try:
            await together.write((name, ()))
        except OSError as exc:
            failures.append(f"{name}: {exc}")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(call, f"w{n}")

    anyio.run(main)
    assert sorted(failures) == [f"w{n}: the database went away" for n in range(3)]


def test_a_caller_cancelled_while_waiting_still_has_its_write_committed():
    db = FakeDatabase()
    together = GroupCommit(db.write_batch)

    async def main() -> None:
        with anyio.CancelScope() as scope:
            scope.cancel()  # cancelled before its first await: the write is already queued
            await together.write(("cancelled", ()))
        await together.write(("next", ()))

    anyio.run(main)
    assert db.batches == [["cancelled"], ["next"]]


def _call(n: int) -> CallRecord:
    return CallRecord(
        ts=1_000.0 + n, method="GET", template="/a", status=UNKNOWN, group="Light", permission=None
    )


@pytest.mark.parametrize("concurrent", [1, 40])
def test_intents_in_flight_on_sqlite_are_stored_with_their_own_ids_and_settled_in_place(
    concurrent: int, tmp_path: Path
):
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        key = ledger.partition("local", "app", "user")

        async def call(n: int) -> None:
            row = await ledger.intend_together(key, _call(n))
            await ledger.settle_together(key, row, replace(_call(n), status=200))

        async def main() -> None:
            async with anyio.create_task_group() as tg:
                for n in range(concurrent):
                    tg.start_soon(call, n)

        anyio.run(main)
        rows = ledger._db.execute("SELECT ts, status FROM calls ORDER BY ts").fetchall()
        assert rows == [(1_000.0 + n, 200) for n in range(concurrent)]
        # 40 calls: one transaction for the intents, one for the outcomes, not 80.
        assert ledger.write_batches == 2
