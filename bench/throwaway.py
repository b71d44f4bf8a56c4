"""A throwaway PostgreSQL server for the benchmarks that need one, or one line saying why there is none.

It must never leave a server running: the server stops when the block ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tests.postgres import throwaway_server


@contextmanager
def throwaway_postgres(skipped: str) -> Iterator[str | None]:
    """The server's ``postgresql://`` URL until the block ends; or None, once ``skipped`` and the
    reason (no ``initdb`` or ``pg_ctl`` here, and how to get them) are printed on one line."""
    with ExitStack() as stack:
        try:
            url: str | None = stack.enter_context(throwaway_server())
        except FileNotFoundError as exc:
            print(f"{skipped}: {exc}")
            url = None
        yield url
