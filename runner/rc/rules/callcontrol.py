"""Call control: live sessions and their parties. Pure data and checks: no I/O."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    GUIDE,
    Area,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
    field_of,
)

AREA = Area()
CALL_CONTROL = GUIDE + "voice/call-control"


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


_rule(
    id="cc.live-session",
    operations=("readCallSessionStatus", "deleteCallSession", "holdCallParty", "transferCallParty"),
    when="the telephony session id names no live session",
    status=404,
    code="CMN-102",
    message="Resource for parameter [telephonySessionId] is not found",
    sources=(CALL_CONTROL,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="cc.state",
    operations=("rejectParty", "ignoreCallInQueue", "forwardCallParty"),
    when="the party is not ringing (Setup or Proceeding)",
    status=409,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Call-Control/rejectParty",),
    confidence=Confidence.LOW,
    enforced=Enforced.NOT_MODELLED,
    note="no code is documented, and the sandbox's sessions never change state",
)
_rule(
    id="cc.transfer-state",
    operations=("transferCallParty",),
    when="the party is not Answered or on Hold",
    status=409,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Call-Control/transferCallParty",),
    confidence=Confidence.LOW,
    enforced=Enforced.NOT_MODELLED,
    note="no code is documented, and the sandbox's sessions never change state",
)
CALL_OUT_FROM = _rule(
    id="cc.callout-from",
    operations=("createCallOutCallSession",),
    when="from gives both deviceId and extensionId",
    status=400,
    code="CMN-101",
    message="Parameter [from] value is invalid",
    sources=(API_REFERENCE + "Call-Control/createCallOutCallSession",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the spec's prose says to use one or the other; the code is inferred",
)
_rule(
    id="cc.scope",
    operations=(),
    when="an app without CallControl calls a call control operation",
    status=403,
    code="CMN-401",
    message="In order to call this API endpoint, application needs to have [CallControl] permission",
    sources=(CALL_CONTROL,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)


@AREA.check("createCallOutCallSession")
def _call_out(request: RequestView) -> list[Hit]:
    sender = field_of(request.body, "from")
    if isinstance(sender, dict) and sender.get("deviceId") and sender.get("extensionId"):
        return [Hit(CALL_OUT_FROM, "json.from", "from")]
    return []
