"""Team Messaging's incoming webhooks, emulated: ``POST /webhook/v2/<id>`` as on hooks.ringcentral.com.

A service posts a JSON message to a chat through the hook's URL (docs/ringcentral.md, Alerts): a
``text`` (Markdown, at most 10,000 characters), and or ``attachments`` (cards), with an optional
``title`` and ``activity``, as ``application/json``. The sandbox keeps what each hook received, in
order, so tests and rehearsals see the alerts rcgrad sends; ``rcgrad sandbox`` prints each one.
These posts are not API calls: they are never in the request log the review reads. It must never
log the hook's id, which is the hook's key.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.rc.wire import WEBHOOK_MAX_TEXT

PATH = "/webhook/v2/{hook_id}"
MAX_BODY = 64 * 2**10
MAX_ATTACHMENTS = 25
_HOOK_ID = re.compile(r"[A-Za-z0-9._~-]{8,2048}")


class IncomingHooks:
    """What every hook received: ``received(id)`` in arrival order; ``on_message`` sees each one."""

    def __init__(self) -> None:
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.on_message: Callable[[dict[str, Any]], None] | None = None

    def received(self, hook_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages.get(hook_id, []))

    async def receive(self, request: Request) -> Response:
        hook_id = request.path_params["hook_id"]
        if not _HOOK_ID.fullmatch(hook_id):
            return _error(404, "Webhook not found")
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return _error(415, "Content-Type must be application/json")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return _error(413, f"the message is over {MAX_BODY} bytes")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _error(413, f"the message is over {MAX_BODY} bytes")
        why = _refused(raw)
        if isinstance(why, str):
            return _error(400, why)
        with self._lock:
            self._messages.setdefault(hook_id, []).append(why)
        if self.on_message is not None:
            self.on_message(why)
        return JSONResponse({"status": "OK"})


def _refused(raw: bytes) -> str | dict[str, Any]:
    """Why the body is not a message a hook takes, or the message."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return "the body is not JSON"
    if not isinstance(message, dict):
        return "the body is not a JSON object"
    text, attachments = message.get("text"), message.get("attachments")
    if text is not None and not isinstance(text, str):
        return "text must be a string"
    if attachments is not None and not isinstance(attachments, list):
        return "attachments must be a list"
    if not text and not attachments:
        return "a message needs text or attachments"
    if text and len(text) > WEBHOOK_MAX_TEXT:
        return f"text is over {WEBHOOK_MAX_TEXT} characters"
    if attachments and len(attachments) > MAX_ATTACHMENTS:
        return f"more than {MAX_ATTACHMENTS} attachments"
    for name in ("title", "activity"):
        if name in message and not isinstance(message[name], str):
            return f"{name} must be a string"
    return message


def _error(status: int, message: str) -> Response:
    return JSONResponse({"status": "error", "message": message}, status_code=status)
