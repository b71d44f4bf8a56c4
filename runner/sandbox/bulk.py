"""A bulk answer: 207 Multi-Status with one part per id, as RingCentral sends it and the SDKs read it.

The default form is ``multipart/mixed``: a summary part ``{"response": [{href, status,
responseDescription}]}``, then one ``application/json`` part per id in the request's order, an
error body for an id that names nothing (rules ``bulk.207-mixed``, ``bulk.part-404``). With
``Accept: application/vnd.ringcentral.multipart+json`` (and always for the operations whose spec
says so) it is a JSON list of ``{resourceId, status, body}`` (``bulk.207-json``). A DELETE whose
every id went is 204 (``bulk.delete-204``). Pure: this module only formats.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True, slots=True)
class Part:
    resource_id: str
    href: str
    status: int
    body: Any  # None for a 204


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str | None
    content: bytes


def answer(method: str, parts: Sequence[Part], *, json_form: bool) -> Answer:
    """The 207 for ``parts`` (or a DELETE's 204 when every part is one)."""
    if method == "DELETE" and all(200 <= p.status < 300 for p in parts):
        return Answer(204, None, b"")
    if json_form:
        listed = [
            {
                "resourceId": p.resource_id,
                "status": p.status,
                **({"body": p.body} if p.body is not None else {}),
            }
            for p in parts
        ]
        return Answer(207, "application/vnd.ringcentral.multipart+json", json.dumps(listed).encode())
    boundary = f"Boundary_{secrets.randbelow(10**6)}_{secrets.randbelow(10**9)}"
    summary = {
        "response": [
            {"href": p.href, "status": p.status, "responseDescription": _description(p.status)} for p in parts
        ]
    }
    chunks = [_part(boundary, summary)]
    chunks += [_part(boundary, p.body if p.body is not None else {}) for p in parts]
    content = "".join(chunks) + f"--{boundary}--\r\n"
    return Answer(207, f"multipart/mixed; boundary={boundary}", content.encode())


def _part(boundary: str, body: Any) -> str:
    return f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"


def _description(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
