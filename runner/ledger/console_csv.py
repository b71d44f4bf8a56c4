"""The Developer Console's analytics, as CSV rows the ledger can hold (``rcgrad ledger import``).

Rows are ``date, method, endpoint template, status (or class), count``, a header optional. Each bad
line is one ``InputError`` naming it. Pure but for reading the catalog: it must never touch the
ledger itself, and never accept a count no window could hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

from runner.errors import InputError
from runner.rc import wire
from runner.rc.catalog import load_catalog
from runner.records import CallRecord, Kind

_HEADER_ALIASES = {
    "date": "date",
    "day": "date",
    "time": "date",
    "timestamp": "date",
    "method": "method",
    "http method": "method",
    "endpoint": "endpoint",
    "template": "endpoint",
    "path": "endpoint",
    "api": "endpoint",
    "endpoint template": "endpoint",
    "status": "status",
    "status class": "status",
    "status code": "status",
    "response": "status",
    "count": "count",
    "calls": "count",
    "requests": "count",
    "api calls": "count",
}
_POSITIONAL = ("date", "method", "endpoint", "status", "count")
# One console row is one endpoint and status on one day; at RingCentral's rate limits one user makes
# at most 72,000 calls a day. A larger count is a typo, and would overflow the database's columns.
MAX_IMPORTED_COUNT = 1_000_000
MAX_IMPORT_BYTES = 64 * 2**20
_CLASS_STATUS = {"1xx": 100, "2xx": 200, "3xx": 300, "4xx": 400, "5xx": 500}


def catalog_resolver() -> Callable[[str, str], tuple[str, str | None, str, str | None]]:
    """(method, path) -> (template, permission, group, operation id) from the catalog."""
    catalog = load_catalog()

    def resolve(method: str, path: str) -> tuple[str, str | None, str, str | None]:
        match = catalog.match(method, path)
        if match is None:
            return path, None, "", None
        op = match.value
        return op.path, op.permission, op.group, op.id

    return resolve


def parse_console_csv(
    text: str,
    filename: str,
    run_id: str,
    resolve: Callable[[str, str], tuple[str, str | None, str, str | None]],
) -> list[CallRecord]:
    """Rows ``date, method, endpoint template, status (or class), count``; a header row is optional."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not readable as CSV: {exc}", file=filename, line=reader.line_num) from None
    if not rows:
        raise InputError("empty file: expected date, method, endpoint, status, count", file=filename)
    first = [cell.strip().lower() for cell in rows[0]]
    if all(cell in _HEADER_ALIASES for cell in first if cell) and "count" in {
        _HEADER_ALIASES.get(c) for c in first
    }:
        columns = [_HEADER_ALIASES.get(cell, "") for cell in first]
        missing = [name for name in _POSITIONAL if name not in columns]
        if missing:
            raise InputError(f"header lacks column {missing[0]!r}", file=filename, line=1, key=missing[0])
        body = list(enumerate(rows[1:], start=2))
    else:
        columns = list(_POSITIONAL)
        body = list(enumerate(rows, start=1))
    where = {name: columns.index(name) for name in _POSITIONAL}
    records = []
    for line, row in body:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(columns):
            raise InputError(
                f"expected {len(columns)} columns, found {len(row)}", file=filename, line=line, key="row"
            )
        cell = {name: row[i].strip() for name, i in where.items()}
        ts = _parse_date(cell["date"], filename, line)
        method = cell["method"].upper()
        if not method.isalpha():
            raise InputError(
                f"not an HTTP method: {cell['method']!r}", file=filename, line=line, key="method"
            )
        if not cell["endpoint"].startswith("/"):
            raise InputError(
                f"not a path template: {cell['endpoint']!r}", file=filename, line=line, key="endpoint"
            )
        status = _parse_status(cell["status"], filename, line)
        digits = cell["count"].replace(",", "")
        count = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else -1
        if not 0 <= count <= MAX_IMPORTED_COUNT:
            raise InputError(
                f"not a count from 0 to {MAX_IMPORTED_COUNT:,}: {cell['count'][:20]!r}",
                file=filename,
                line=line,
                key="count",
            )
        if count == 0:
            continue
        template, permission, group, op_id = resolve(method, cell["endpoint"])
        kind = Kind.OAUTH if wire.is_oauth(template) else Kind.IMPORTED
        records.append(
            CallRecord(
                ts=ts,
                method=method,
                template=template,
                status=status,
                group=group,
                permission=permission,
                kind=kind,
                run_id=run_id,
                operation_id=op_id,
                count=count,
            )
        )
    return records


def _parse_date(text: str, filename: str, line: int) -> float:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"not a date: {text!r} (expected YYYY-MM-DD or ISO 8601)", file=filename, line=line, key="date"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)  # the console reports in UTC
    return stamp.timestamp()


def _parse_status(text: str, filename: str, line: int) -> int:
    lowered = text.lower()
    if lowered in _CLASS_STATUS:
        return _CLASS_STATUS[lowered]
    if lowered.isdigit() and 100 <= int(lowered) <= 599:
        return int(lowered)
    raise InputError(
        f"not a status or class: {text!r} (e.g. 200, 2xx, 429)", file=filename, line=line, key="status"
    )
