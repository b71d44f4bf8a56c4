"""RingOut: the two numbers a call connects, the caller id, and the call's status. Pure data and
checks: no I/O."""

from __future__ import annotations

from typing import Any

from runner.rc import phone
from runner.rc.rules.base import (
    EXPLORER_2018,
    GUIDE,
    REFERENCE_2021,
    Area,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
)
from runner.rc.unknown import holds_unknown

AREA = Area()
CREATE = "createRingOutCall"
RINGOUT = GUIDE + "voice/ringout"


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


TO_REQUIRED = _rule(
    id="ringout.to-required",
    operations=(CREATE,),
    when="to has no phoneNumber, or one that is no phone number",
    status=400,
    code="TEL-109",
    message="phoneNumber specified in the to field is empty or invalid",
    sources=(RINGOUT, EXPLORER_2018),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
FROM_REQUIRED = _rule(
    id="ringout.from-required",
    operations=(CREATE,),
    when="from has neither a phoneNumber nor a forwardingNumberId, or its phoneNumber is no phone number",
    status=400,
    code="TEL-108",
    message="phoneNumber specified in the from field is empty or invalid",
    sources=(RINGOUT, EXPLORER_2018),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the guide lets from be omitted when the user has a default forwarding number; an empty"
    " from object is still refused (the sandbox's user has no default)",
)
FORWARDING_ID = _rule(
    id="ringout.from-fwd-id",
    operations=(CREATE,),
    when="from.forwardingNumberId names no forwarding number of the user",
    status=404,
    code="CMN-102",
    message="Resource for parameter [forwardingNumberId] is not found",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
CALLER_ID = _rule(
    id="ringout.callerid",
    operations=(CREATE,),
    when="callerId.phoneNumber is not one of the user's numbers with the CallerId feature",
    status=403,
    code="RNG-102",
    message="Caller ID should be one of company direct numbers",
    sources=(RINGOUT, EXPLORER_2018),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="ringout.status-unknown",
    operations=("readRingOutCallStatus", "deleteRingOutCall"),
    when="the RingOut id names no call",
    status=404,
    code="CMN-102",
    message="Resource for parameter [ringoutId] is not found",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="ringout.shape",
    operations=(CREATE,),
    when="a RingOut is started",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="{uri, id, status: {callStatus, callerStatus, calleeStatus}}, each InProgress",
)


def _bad_number(value: Any) -> bool:
    """Text that is no phone number; other types are the spec's to refuse."""
    return isinstance(value, str) and phone.kind(value) is not phone.Kind.NUMBER


@AREA.check(CREATE)
def _numbers(request: RequestView) -> list[Hit]:
    body = request.body
    if not isinstance(body, dict):
        return []
    hits = []
    to, sender = body.get("to"), body.get("from")
    if (
        isinstance(to, dict)
        and not holds_unknown(to)
        and (to.get("phoneNumber") is None or _bad_number(to.get("phoneNumber")))
    ):
        hits.append(Hit(TO_REQUIRED, "json.to.phoneNumber", "to.phoneNumber"))
    if isinstance(sender, dict) and not holds_unknown(sender):
        number, forwarding = sender.get("phoneNumber"), sender.get("forwardingNumberId")
        if (number is None and forwarding in (None, "")) or (number is not None and _bad_number(number)):
            hits.append(Hit(FROM_REQUIRED, "json.from.phoneNumber", "from.phoneNumber"))
    return hits
