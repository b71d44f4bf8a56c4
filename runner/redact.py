"""Masks secrets in anything rcgrad writes: console, logs, reports, exception text.

Secrets are registered once (credentials at load, tokens as they arrive) and every output path
runs its text through ``redact``. This module must never store a secret anywhere but the
in-memory registry, and never return one.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
# Bearer/Basic headers and token-shaped form fields are masked even when never registered.
_SHAPES = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic)\s+)[^\s'\",}]+"
    r"|((?:access_token|refresh_token|assertion|client_secret|token|jwt)['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]{8,}"
)


def register(*values: str | None) -> None:
    """Remember values that must never be shown. Short values are ignored (too many false hits)."""
    global _pattern
    with _lock:
        added = {v for v in values if v and len(v) >= 8}
        if added - _secrets:
            _secrets.update(added)
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(lambda m: (m.group(1) or m.group(2)) + MASK, text)


class RedactingFilter(logging.Filter):
    """Attach to a handler so every record is masked before it is formatted out."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
