"""Reading what a client sent the sandbox, within bounds: a body no larger than its operation allows
(413 past it, before it is read whole), JSON that cannot be parsed or nests past the parser's reach
(a 400, never a 500).

It must never read more of a body than its limit.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read no further than ``limit`` bytes: a 400 MB body must not become 400 MB
    of memory. Kept on the request, so a later ``request.body()`` returns it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # starlette's own cache of the body
    return body


def json_value(raw: bytes) -> Any:
    """The JSON value of ``raw``, or ``MALFORMED_JSON``: bad syntax, or nesting deeper than the parser's
    recursion allows (a 100,000-deep array), is the client's error, not the server's."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return MALFORMED_JSON


MALFORMED_JSON = object()
# The control API and OAuth forms are small: nothing a client sends there needs more.
SMALL_BODY = 64 * 2**10
