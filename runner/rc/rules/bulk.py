"""Bulk (batch) requests: comma-separated ids in one request, answered 207 with a part per id.

``BULK`` says which operations take them, under which path parameter and up to how many; the
sandbox's ``runner.sandbox.bulk`` answers them. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    EXTENSIBLE_SDK,
    GUIDE,
    PYTHON_SDK,
    Area,
    Confidence,
    Enforced,
    Rule,
)

AREA = Area()
BULK_GUIDE = GUIDE + "basics/batch-requests"
JSON_FORM = "application/vnd.ringcentral.multipart+json"  # the Accept that asks for the JSON form


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


PRESENCE_LIMIT = _rule(
    id="bulk.presence-30",
    operations=("readUserPresenceStatus",),
    when="presence is asked for more than 30 extensions at once",
    status=400,
    code="InvalidMultipartRequest",
    message="Extension Presence Info multipart request is limited to 30 extensions",
    sources=(API_REFERENCE + "Presence/readUserPresenceStatus", EXTENSIBLE_SDK + " (batch-get.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
LIMIT_50 = _rule(
    id="bulk.max-50",
    operations=(
        "readMessage",
        "updateMessage",
        "patchMessage",
        "deleteMessage",
        "readUserCallRecord",
        "readCompanyCallRecord",
    ),
    when="a bulk request names more than 50 ids",
    status=400,
    code="CMN-106",
    message="Batch request is limited to 50 entries",
    sources=(API_REFERENCE + "Message-Store/readMessage", GUIDE + "basics/errors"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="the limit is the spec's; the code is the guide's general one for it",
)
_rule(
    id="bulk.207-mixed",
    operations=(),
    when="two or more comma-separated ids are asked for",
    status=None,
    code=None,
    message=None,
    sources=(BULK_GUIDE, PYTHON_SDK + " (api_response.py)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="207, multipart/mixed: a summary part {response: [{href, status, responseDescription}]},"
    " then one application/json part per id, in the request's order",
)
_rule(
    id="bulk.207-json",
    operations=(),
    when="a bulk request asks for application/vnd.ringcentral.multipart+json",
    status=None,
    code=None,
    message=None,
    sources=(BULK_GUIDE, DOTNET_SDK + " (BatchApiTest.cs)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="207, a JSON list of {resourceId, status, body}",
)
_rule(
    id="bulk.part-404",
    operations=(),
    when="one of the ids names nothing",
    status=None,
    code=None,
    message=None,
    sources=(BULK_GUIDE, DOTNET_SDK + " (BatchGetTest.cs)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="still 207: that part is 404 with CMN-102, the others 200",
)
_rule(
    id="bulk.delete-204",
    operations=("deleteMessage", "deleteContact", "deleteBlockedAllowedNumber"),
    when="every id of a bulk DELETE is deleted",
    status=None,
    code=None,
    message=None,
    sources=(BULK_GUIDE,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="204, not 207; 207 as soon as one fails",
)
_rule(
    id="bulk.single-200",
    operations=(),
    when="a bulk operation is given one id",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Call-Log/readUserCallRecord",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="a plain 200 with the record",
)
_rule(
    id="bulk.not-supported",
    operations=("readExtension", "updateExtension"),
    when="an operation the spec does not mark as bulk is given comma-separated ids",
    status=404,
    code="CMN-102",
    message="Resource for parameter [extensionId] is not found",
    sources=(BULK_GUIDE,),
    confidence=Confidence.LOW,
    enforced=Enforced.SANDBOX,
    note="the list is read as one id, which names nothing",
)


@dataclass(frozen=True, slots=True)
class Bulk:
    """An operation that takes comma-separated ids in ``param``, at most ``most`` (None: no
    documented bound), refused past it by ``over``; ``json`` when its 207 is always the JSON form."""

    param: str
    most: int | None = None
    over: Rule | None = None
    json: bool = False


BULK: dict[str, Bulk] = {
    "readUserPresenceStatus": Bulk("extensionId", 30, PRESENCE_LIMIT),
    "readUnifiedPresence": Bulk("extensionId", json=True),
    "listExtensionDevices": Bulk("extensionId"),
    "readMessage": Bulk("messageId", 50, LIMIT_50),
    "updateMessage": Bulk("messageId", 50, LIMIT_50),
    "patchMessage": Bulk("messageId", 50, LIMIT_50),
    "deleteMessage": Bulk("messageId", 50, LIMIT_50),
    "readUserCallRecord": Bulk("callRecordId", 50, LIMIT_50),
    "readCompanyCallRecord": Bulk("callRecordId", 50, LIMIT_50),
    "readContact": Bulk("contactId"),
    "updateContact": Bulk("contactId"),
    "deleteContact": Bulk("contactId"),
    "readBlockedAllowedNumber": Bulk("blockedNumberId"),
    "updateBlockedAllowedNumber": Bulk("blockedNumberId"),
    "deleteBlockedAllowedNumber": Bulk("blockedNumberId"),
    "readAccountPhoneNumber": Bulk("phoneNumberId"),
}


def ids(value: str) -> list[str]:
    """``1,2, 3`` -> ``['1', '2', '3']``: the guide's own examples put a space after each comma."""
    return [part.strip() for part in value.split(",") if part.strip()]
