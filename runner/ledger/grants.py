"""The permissions a ledger partition's last login saw, kept in ``$RCGRAD_HOME/grants.json``.

``status`` judges "every permission used" against them without a login. This module is the file's
only reader and writer; it must never hold anything but permission names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from runner.fileio import atomic_write
from runner.ledger.ledger import PartitionKey
from runner.settings import ensure_state_home


def _path() -> Path:
    return ensure_state_home() / "grants.json"


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
