"""Webhook subscriptions as RingCentral keeps them: the validation handshake, and the stored record.

On a WebHook create RingCentral POSTs to the address, with an empty body and a ``Validation-Token``
header, and refuses the subscription unless the address answers 200 echoing the token within 3
seconds, in no more than 1024 bytes (rules ``sub.webhook-validate``, ``-no-echo``, ``-status``,
``-size``). The sandbox does the same, but dials loopback addresses only: it must never reach out
of the machine, so any other address is one it cannot reach (SUB-521), and a rehearsal names the
app's address through the ``webhook_address`` variable, which rcgrad's own receiver answers.

The stored record names the account and extension by their ids (``sub.filters-resolved``), never
returns ``verificationToken`` (``sub.verification-writeonly``) and carries its times. This module
may depend only on ``runner.rc`` and the core modules; it must never log a token.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from runner.rc.rules.base import Rule
from runner.rc.rules.subscriptions import (
    BAD_STATUS,
    MAX_VALIDATION_RESPONSE,
    MAX_WEBHOOK_SECONDS,
    NO_ECHO,
    NOT_REACHABLE,
    OTHER_EXTENSION,
    TOO_BIG,
    VALIDATION_SECONDS,
    VALIDATION_TOKEN,
    VERIFICATION_TOKEN,
    is_loopback,
)

DEFAULT_SECONDS = 604_800  # a lifetime for a create that gives none (undocumented for WebHook)
_OWN = re.compile(r"^(/restapi/v1\.0/account/)(~|\d+)(/extension/)(~|\d+)(?=/|\?|$)")
_OWN_ACCOUNT = re.compile(r"^(/restapi/v1\.0/account/)~(?=/|\?|$)")


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: Rule
    detail: str | None = None  # what the rule's message names (the status the address answered)


async def handshake(address: str, verification_token: str | None = None) -> Refusal | None:
    """RingCentral's validation request to ``address``; None when it is answered as it must be."""
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname):
        return Refusal(NOT_REACHABLE)  # the sandbox reaches no other machine
    token = secrets.token_urlsafe(24)
    headers = {VALIDATION_TOKEN: token, "Content-Type": "application/json"}
    if verification_token:
        headers[VERIFICATION_TOKEN] = verification_token
    try:
        with anyio.fail_after(VALIDATION_SECONDS):
            async with httpx.AsyncClient(verify=False, trust_env=False) as client:
                response = await client.post(address, headers=headers, content=b"")
    except (httpx.HTTPError, TimeoutError, OSError, ValueError):
        return Refusal(NOT_REACHABLE)
    size = len(response.content) + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    if response.status_code != 200:
        return Refusal(BAD_STATUS, str(response.status_code))
    if response.headers.get(VALIDATION_TOKEN) != token:
        return Refusal(NO_ECHO)
    if size > MAX_VALIDATION_RESPONSE:
        return Refusal(TOO_BIG)
    return None


def other_extension(filters: Any, extension_id: str) -> Rule | None:
    """A message-store filter naming another extension than the caller's (``sub.other-ext-messages``)."""
    for value in filters if isinstance(filters, list) else ():
        found = _OWN.match(value) if isinstance(value, str) else None
        if found and "message-store" in value and found.group(4) not in ("~", extension_id):
            return OTHER_EXTENSION
    return None


def resolved(value: str, account_id: str, extension_id: str) -> str:
    """An event filter with ``~`` replaced by the account's and the extension's ids."""
    value = _OWN.sub(
        lambda m: (
            f"{m.group(1)}{account_id if m.group(2) == '~' else m.group(2)}{m.group(3)}"
            f"{extension_id if m.group(4) == '~' else m.group(4)}"
        ),
        value,
    )
    return _OWN_ACCOUNT.sub(lambda m: f"{m.group(1)}{account_id}", value)


def stored(
    record: dict[str, Any], body: Mapping[str, Any], account_id: str, extension_id: str, now: dt.datetime
) -> None:
    """Shape a created subscription as RingCentral keeps it: what was asked for, nothing made up."""
    filters = body.get("eventFilters")
    if isinstance(filters, list):
        record["eventFilters"] = [
            resolved(f, account_id, extension_id) if isinstance(f, str) else f for f in filters
        ]
    mode = body.get("deliveryMode")
    if isinstance(mode, dict):
        record["deliveryMode"] = {
            "transportType": mode.get("transportType", "WebHook"),
            "address": mode.get("address"),
            "encryption": False,
        }
    record["status"] = "Active"
    for made_up in ("disabledFilters", "blacklistedData"):
        record.pop(made_up, None)
    record["creationTime"] = _iso(now)
    lifetime = body.get("expiresIn")
    renew(
        record,
        lifetime if isinstance(lifetime, int) and not isinstance(lifetime, bool) else DEFAULT_SECONDS,
        now,
    )


def renew(record: dict[str, Any], seconds: int | None, now: dt.datetime) -> None:
    """A renewal (or PUT): a new expiration from now, the lifetime kept unless a new one is given."""
    lifetime = min(
        seconds if seconds else int(record.get("expiresIn") or DEFAULT_SECONDS), MAX_WEBHOOK_SECONDS
    )
    record["expiresIn"] = lifetime
    record["expirationTime"] = _iso(now + dt.timedelta(seconds=lifetime))


def updated(record: dict[str, Any], body: Any, account_id: str, extension_id: str, now: dt.datetime) -> None:
    """A PUT: only eventFilters and expiresIn are read (``sub.put-ignores-extra``); it renews."""
    body = body if isinstance(body, dict) else {}
    filters = body.get("eventFilters")
    if isinstance(filters, list) and filters:
        record["eventFilters"] = [
            resolved(f, account_id, extension_id) if isinstance(f, str) else f for f in filters
        ]
    lifetime = body.get("expiresIn")
    renew(record, lifetime if isinstance(lifetime, int) and not isinstance(lifetime, bool) else None, now)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
