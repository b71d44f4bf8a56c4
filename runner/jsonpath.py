"""A tiny JSONPath subset for captures: ``$``, ``.name``, ``['name']``, ``[0]`` and ``[-1]``.

Enough for ``save: {message_id: $.records[0].id}``, the way Tavern and Step CI users write it.
Pure: parsing and lookup only; it must never evaluate code.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[(-?\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def parse(expression: str) -> tuple[str | int, ...]:
    """The steps of ``expression``; ValueError names the first character that does not fit."""
    text = expression.strip()
    if not text.startswith("$"):
        raise ValueError(f"a capture starts with $, like $.records[0].id (got {expression!r})")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read {expression!r} at character {position + 1}")
        name, index, quoted, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else quoted if quoted is not None else double)
        position = match.end()
    return tuple(steps)


def extract(expression: str, value: Any) -> Any:
    """The value at ``expression``; LookupError when the document has no such place."""
    current = value
    for step in parse(expression):
        if isinstance(step, int):
            if not isinstance(current, list):
                raise LookupError(f"{expression}: not a list where [{step}] was expected")
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                raise LookupError(f"{expression}: no {step!r} in the response")
            current = current[step]
    return current
