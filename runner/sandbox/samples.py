"""The success bodies the sandbox answers with, one per operation, built from the spec's schemas.

``runner.sandbox.responses_build`` writes them to ``data/responses.json`` at build time, each
checked against its response schema; this module only reads that file, once. It must never
change a body it hands out: callers copy before they fill one in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from runner.rc.catalog import Operation

RESPONSES_PATH = Path(__file__).with_name("data") / "responses.json"


@lru_cache(maxsize=1)
def _bodies() -> dict[str, Any]:
    return dict(json.loads(RESPONSES_PATH.read_text(encoding="utf-8"))["operations"])


def headers_of(op: Operation) -> tuple[str, ...]:
    """The response headers the spec requires on the operation's success answer."""
    entry = _bodies().get(op.id)
    return tuple(entry.get("headers", ())) if entry is not None else ()


def field_rules_of(op: Operation) -> dict[str, dict[str, Any]]:
    """What each bounded field of the operation's answer may hold (enum, length, pattern, format,
    range), by field path."""
    entry = _bodies().get(op.id)
    return dict(entry.get("fields", {})) if entry is not None else {}


def max_records_of(op: Operation) -> int | None:
    """The most records the spec lets the operation's list answer hold, if it sets a bound."""
    entry = _bodies().get(op.id)
    return entry.get("max_records") if entry is not None else None


def body_of(op: Operation) -> Any:
    """The operation's success body (shared: copy it before changing it); the catalog's sample
    for the few operations whose answer is not JSON."""
    entry = _bodies().get(op.id)
    return entry["body"] if entry is not None and "body" in entry else op.response.sample
