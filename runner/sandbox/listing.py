"""A list answer: the common filters and the paging RingCentral applies to a collection's records.

Filters: ``dateFrom``/``dateTo`` on the record's time, the multi-valued ``messageType``,
``direction``, ``type``, ``availability``, ``readStatus`` and ``status``, and the contacts'
``startsWith``. Paging comes in the two styles of the spec: ``page``/``perPage`` with the
``paging`` and ``navigation`` envelope, or ``pageToken``/``recordCount`` with ``nextPageToken`` and
``prevPageToken``. Page sizes are capped, so no answer grows with the store. Pure functions: this
module must never keep state or do I/O.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
MAX_PAGE = 1000  # the spec's paging model allows no higher page number in an answer
DEFAULT_RECORD_COUNT = 30
MAX_RECORD_COUNT = 250
# Query parameter -> the record field it filters on; several values mean any of them.
FIELD_FILTERS = {
    "messageType": "type",
    "direction": "direction",
    "type": "type",
    "availability": "availability",
    "readStatus": "readStatus",
    "status": "status",
}
TIME_FIELDS = ("creationTime", "startTime", "lastModifiedTime")

Query = Mapping[str, Sequence[str]]


class BadPageToken(ValueError):
    """A ``pageToken`` this sandbox never issued."""


def select(records: Sequence[dict[str, Any]], query: Query) -> list[dict[str, Any]]:
    """The records every filter in ``query`` lets through, in their order."""
    wanted = {field: set(query[name]) for name, field in FIELD_FILTERS.items() if query.get(name)}
    since, until = _moment(query.get("dateFrom")), _moment(query.get("dateTo"))
    prefix = (query.get("startsWith") or [""])[0].lower()
    kept = []
    for record in records:
        if any(field in record and str(record[field]) not in values for field, values in wanted.items()):
            continue
        if since or until:
            when = _moment([next((str(record[f]) for f in TIME_FIELDS if f in record), "")])
            if when is None or (since and when < since) or (until and when >= until):
                continue
        if prefix and not any(
            str(record.get(name, "")).lower().startswith(prefix) for name in ("firstName", "lastName")
        ):
            continue
        kept.append(record)
    return kept


def page(sample: dict[str, Any], records: Sequence[dict[str, Any]], query: Query, uri: str) -> dict[str, Any]:
    """``sample`` (the spec's list body) around the page of ``records`` that ``query`` asks for."""
    body = {key: copy.deepcopy(value) for key, value in sample.items() if key != "records"}
    navigation = body.get("navigation") if isinstance(body.get("navigation"), dict) else None
    if navigation is not None and ({"nextPageToken", "prevPageToken"} & set(navigation)):
        body["records"], body["navigation"] = _token_page(records, query)
        return body
    per_page = _int(query, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    number = _int(query, "page", 1, MAX_PAGE)
    total = len(records)
    pages = max(1, math.ceil(total / per_page))
    start = (number - 1) * per_page
    chunk = list(records[start : start + per_page])
    body["records"] = chunk
    if "uri" in body:
        body["uri"] = _with(uri, query, number)
    if isinstance(body.get("paging"), dict):
        facts: dict[str, Any] = {
            "page": number,
            "perPage": per_page,
            "totalPages": pages,
            "totalElements": total,
        }
        if chunk:
            facts.update(pageStart=start, pageEnd=start + len(chunk) - 1)
        else:  # a page past the end names no first or last element (acct.paging-past-end)
            body["paging"].pop("pageStart", None)
            body["paging"].pop("pageEnd", None)
        body["paging"].update({k: v for k, v in facts.items() if k in body["paging"]})
    if navigation is not None:
        links = {"firstPage": 1, "lastPage": pages}
        if number > 1:
            links["previousPage"] = min(number - 1, pages)
        if number < pages:
            links["nextPage"] = number + 1
        body["navigation"] = {k: {"uri": _with(uri, query, n)} for k, n in links.items() if k in navigation}
    return body


def _token_page(
    records: Sequence[dict[str, Any]], query: Query
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    count = _int(query, "recordCount", DEFAULT_RECORD_COUNT, MAX_RECORD_COUNT)
    token = (query.get("pageToken") or [""])[0]
    if token and not (token.isdigit() and len(token) <= 12):
        raise BadPageToken(token)
    offset = int(token or 0)
    navigation = {}
    if offset + count < len(records):
        navigation["nextPageToken"] = str(offset + count)
    if offset > 0:
        navigation["prevPageToken"] = str(max(0, offset - count))
    return list(records[offset : offset + count]), navigation


def _int(query: Query, name: str, default: int, most: int | None) -> int:
    text = (query.get(name) or [""])[0]
    if text == "max" and most is not None:
        return most
    if not (text.isdigit() and int(text[:12]) > 0):
        return default
    value = int(text[:12]) if len(text) <= 12 else 10**12  # a thousand digits is just "very many"
    return min(value, most) if most is not None else value


def _moment(values: Sequence[str] | None) -> dt.datetime | None:
    if not values or not values[0]:
        return None
    try:
        moment = dt.datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _with(uri: str, query: Query, number: int) -> str:
    pairs = [(k, v) for k, values in query.items() if k != "page" for v in values]
    return f"{uri}?{urlencode([*pairs, ('page', str(number))])}"
