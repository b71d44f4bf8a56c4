"""Values known only at run time: a ``{{capture}}`` in a plan, seen by ``rcgrad check``.

``UNKNOWN`` stands for a whole value (any type); ``UnknownText`` for text with a capture inside
(``ext-{{id}}``). The request validator and the rules layer both read them, so they live apart from
either. Plain data: this module must never import anything from rcgrad.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Unknown:
    """A value that is known only at run time. It is of no JSON type, so keywords that apply to
    one type (bounds, properties) pass it by, and every error about it is dropped."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    # Empty as a container, so that keywords over objects and arrays look inside and find nothing.
    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, item: object) -> bool:
        return False


UNKNOWN = Unknown()


class UnknownText(str):
    """Text with a run-time value inside (``ext-{{id}}``): a string, of unknown content."""

    __slots__ = ()


def is_unknown(value: Any) -> bool:
    """True for a value, or text, that only the run will know."""
    return isinstance(value, Unknown | UnknownText)


def holds_unknown(value: Any) -> bool:
    """True when ``value`` or anything inside it is known only at run time."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_unknown(v) for v in value)
    return False
