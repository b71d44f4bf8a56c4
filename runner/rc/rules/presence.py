"""Presence: what a PUT may set, and what a read shows afterwards. Pure data and checks: no I/O."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    EXPLORER_2018,
    EXTENSIBLE_SDK,
    GUIDE,
    REFERENCE_2021,
    Area,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
    field_of,
    text,
)

AREA = Area()
READ, UPDATE = "readUserPresenceStatus", "updateUserPresenceStatus"
QUEUE_PRESENCE = GUIDE + "voice/call-routing/manual/call-queues-presence"
# dndStatus values RingCentral keeps for old clients and refuses from the API.
NOT_SETTABLE = frozenset({"TakeDepartmentCallsOnly", "Unknown"})


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


DND_LEGACY = _rule(
    id="presence.dnd-legacy",
    operations=(UPDATE,),
    when="dndStatus is TakeDepartmentCallsOnly (kept for old clients) or Unknown (a value read, not set)",
    status=400,
    code="CMN-101",
    message="Parameter [dndStatus] value is invalid",
    sources=(QUEUE_PRESENCE,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the guide says it is not supported via the API; the code is inferred",
)
_rule(
    id="presence.user-only",
    operations=(UPDATE,),
    when="the extension is a department, a queue or another non-user kind",
    status=403,
    code="PRS-106",
    message="Not allowed update presence for extensions of Department type",
    sources=(API_REFERENCE + "Presence/updateUserPresenceStatus", EXPLORER_2018),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's extensions are all users",
)
_rule(
    id="presence.disabled",
    operations=(UPDATE,),
    when="the extension is disabled",
    status=403,
    code="PRS-105",
    message="Not allowed update presence for extensions having Disabled state",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's extensions are all enabled",
)
_rule(
    id="presence.message-75",
    operations=(UPDATE,),
    when="the presence message is over 75 characters",
    status=400,
    code="CMN-101",
    message="Parameter [message] value is invalid",
    sources=(API_REFERENCE + "Presence/updateUserPresenceStatus",),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)
_rule(
    id="presence.readback",
    operations=(UPDATE, READ),
    when="presence is set, then read",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the read shows what was set (userStatus, dndStatus, message, the flags)",
)
_rule(
    id="presence.nonuser-offline",
    operations=(READ,),
    when="a non-user extension's presence is read",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Presence/readUserPresenceStatus",),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's extensions are all users",
)
_rule(
    id="presence.unknown-extension",
    operations=(READ, UPDATE),
    when="the extension id names no extension of the account",
    status=404,
    code="CMN-102",
    message="Resource for parameter [extensionId] is not found",
    sources=(EXPLORER_2018, EXTENSIBLE_SDK),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)


@AREA.check(UPDATE)
def _dnd(request: RequestView) -> list[Hit]:
    if text(field_of(request.body, "dndStatus")) in NOT_SETTABLE:
        return [Hit(DND_LEGACY, "json.dndStatus", "dndStatus")]
    return []
