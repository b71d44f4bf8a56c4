"""Masks secrets in anything rcgrad writes: console, logs, reports, CSV, exception text.

Secrets are registered once (credentials at load, tokens as they arrive, a database password when
its connection string is read) and every output path runs its text through ``redact``: the
process's stdout and stderr (``RedactingStream``), log records (``RedactingFilter``), report
files and the CSV export. A secret is masked in every form an output can give it: as is, escaped
for JSON, HTML or XML, and percent-encoded for a URL. This module must never store a secret
anywhere but the in-memory registry, and never return one.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 8  # shorter values would mask ordinary words
# A variable whose name says it holds a secret: its value is masked wherever it shows up.
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|JWT|API_?KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)
_lock = threading.Lock()
_secrets: set[str] = set()
# Every encoding of every secret, in runs compiled one pattern each. A new run joins the last while
# that is no larger (a binary counter's carries): each form is compiled O(log n) times in all, and a
# fleet registering a thousand secrets one plan at a time never recompiles them all per plan.
_runs: list[tuple[frozenset[str], re.Pattern[str]]] = []
# Bearer/Basic headers and token-shaped form fields are masked even when never registered.
_SHAPES = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic)\s+)[^\s'\",}]+"
    r"|((?:access_token|refresh_token|assertion|client_secret|token|jwt|password)['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]{8,}"
)


def encodings(value: str) -> set[str]:
    """The forms a value takes in rcgrad's outputs: raw, a JSON string's inside (ASCII and not),
    HTML and XML text and attributes, and a URL's percent-encoding (path segment, query, form)."""
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value, quote=True),
        html.escape(value, quote=False),
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"),
        quote(value, safe=""),
        quote(value, safe="~"),
        quote(value),
        quote_plus(value),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


def register(*values: str | None) -> None:
    """Remember values that must never be shown. Short values are ignored (too many false hits)."""
    with _lock:
        added = {v for v in values if v and len(v) >= MIN_LENGTH} - _secrets
        if not added:
            return
        _secrets.update(added)
        forms = frozenset(form for v in added for form in encodings(v))
        while _runs and len(_runs[-1][0]) <= len(forms):
            forms |= _runs.pop()[0]
        # Percent-escapes may come back in either case: match every form without regard to case.
        _runs.append((forms, re.compile(trie_pattern(set(forms)), re.IGNORECASE)))


def _spans(text: str) -> list[tuple[int, int]]:
    """Where any form of any secret is in ``text``, overlapping spans merged: a secret that holds
    another is masked whole, whichever run each one is in."""
    found = sorted(m.span() for _, pattern in list(_runs) for m in pattern.finditer(text))
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def trie_pattern(forms: set[str]) -> str:
    """One regular expression for all ``forms``, factored on their common prefixes: with thousands of
    secrets (a fleet's), an alternation tries every form at every position, a trie only the few that
    share what was read so far. It matches what the alternation of the forms, longest first, does."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}  # a form ends here

    def build(node: dict[str, Any]) -> str:
        out = []
        while True:  # a run of single children is one literal, without recursion
            keys = [k for k in node if k]
            if len(keys) != 1 or "" in node:
                break
            out.append(re.escape(keys[0]))
            node = node[keys[0]]
        branches = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if branches:
            group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
            # A form ending here as others go on: the longer one first (greedy), as longest-first did.
            out.append(f"(?:{group})?" if "" in node else group)
        return "".join(out)

    return build(trie) if forms else "(?!)"


def looks_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def register_environment(env: Mapping[str, str]) -> None:
    """Register every value whose variable's name says it is a secret (RC_USER_JWT, ...), before
    anything is read that could echo one: a plan path, a plan's text."""
    register(*(value for name, value in env.items() if looks_secret(name)))


def contains_secret(text: str) -> bool:
    """True when ``text`` holds a registered secret in any of its forms."""
    return any(pattern.search(text) is not None for _, pattern in list(_runs))


def redact(text: str) -> str:
    spans = _spans(text) if _runs else []
    if spans:
        pieces, at = [], 0
        for start, end in spans:
            pieces += [text[at:start], MASK]
            at = end
        text = "".join(pieces) + text[at:]
    return _SHAPES.sub(lambda m: (m.group(1) or m.group(2)) + MASK, text)


class RedactingFilter(logging.Filter):
    """Attach to a handler so every record is masked before it is formatted out."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class RedactingStream:
    """A text stream that masks what is written to it: the last net under every console line.

    Everything else (``isatty``, ``fileno``, ``encoding``) is the wrapped stream's, so a console
    library still sees a terminal or a pipe as it is."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def unmasked(stream: TextIO) -> TextIO:
    """The stream under a ``RedactingStream``: for the one output that must carry secrets as they
    are, the throwaway credentials ``rcgrad sandbox`` prints for a ``.env`` file."""
    return stream._stream if isinstance(stream, RedactingStream) else stream
