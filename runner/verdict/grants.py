"""The server's word on permissions: what the token says the app has, against what the plan uses.

The plan's ``app.scopes`` is what the user believes; the token response's ``scope`` is what the
server granted. A permission granted but exercised by no plan item fails the review's "every
permission used" (so it fails ``scopes_exercised`` here too); one in the plan but not granted is a
403 on every call under it. ``runner.ledger.grants`` keeps the permissions last seen per ledger
partition, so that ``status`` judges the same way without a login.

Pure: this module must never read a file, log in or send a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from runner.rc.scopes import closure


@dataclass(frozen=True, slots=True)
class GrantGap:
    unplanned: tuple[str, ...] = ()  # granted, but no plan item exercises it
    ungranted: tuple[str, ...] = ()  # declared by the plan, not granted: a 403 per call


def parse_scope(text: str | None) -> frozenset[str]:
    """The permissions in a token response's ``scope`` field (space-separated)."""
    return frozenset((text or "").split())


def compare(declared: Iterable[str], exercised: Iterable[str], granted: Iterable[str]) -> GrantGap:
    granted_set = frozenset(granted)
    reachable = closure(granted_set)  # SMS granted lets ReadMessages calls through
    return GrantGap(
        unplanned=tuple(sorted(granted_set - frozenset(exercised))),
        ungranted=tuple(s for s in declared if s not in reachable),
    )
