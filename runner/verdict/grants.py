"""The server's word on permissions: what the token says the app has, against what the plan uses.

The plan's ``app.scopes`` is what the user believes; the token response's ``scope`` is what the
server granted. A permission granted but exercised by no plan item fails the review's "every
permission used" (so it fails ``scopes_exercised`` here too); one in the plan but not granted is a
403 on every call under it. The permissions last seen are kept per ledger partition in
``$RCGRAD_HOME/grants.json`` so that ``status`` judges the same way without a login.

``compare`` is pure; ``save_granted``/``load_granted`` are the file's only readers and writers.
This module must never log in or send a request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runner.fileio import atomic_write
from runner.rc.scopes import closure
from runner.settings import state_home
from runner.verdict.ledger import PartitionKey


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


def _path() -> Path:
    return state_home() / "grants.json"


def _slot(key: PartitionKey) -> str:
    return f"{key.server} {key.client_id} {key.user_id}"


def load_granted(key: PartitionKey) -> frozenset[str] | None:
    """The permissions the last token for this partition listed; None if none was ever seen."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        return frozenset(data[_slot(key)]["scopes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_granted(key: PartitionKey, granted: Iterable[str], seen: float) -> None:
    path = _path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[_slot(key)] = {"scopes": sorted(granted), "seen": seen}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True))
