"""The call log: lists, records by id, and the sync API's tokens. Pure data and checks: no I/O."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    ERRORS_PAGE,
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
    query_value,
)

AREA = Area()
SYNC = ("syncUserCallLog", "syncAccountCallLog")
LISTS = ("readUserCallLog", "readCompanyCallLog")
SYNC_GUIDE = GUIDE + "voice/call-log/sync"
MAX_SYNC_RECORDS = 250


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


RECORD_COUNT = _rule(
    id="clog.sync-fsync-recordcount",
    operations=SYNC,
    when="a full sync (FSync, the default) has no recordCount",
    status=400,
    code="CMN-101",
    message="Parameter [recordCount] value is invalid",
    sources=(SYNC_GUIDE, API_REFERENCE + "Call-Log/syncUserCallLog"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the guide and the spec call it mandatory; the code is RingCentral's for an invalid recordCount",
)
RECORD_COUNT_MAX = _rule(
    id="clog.sync-recordcount-250",
    operations=SYNC,
    when="recordCount is over 250",
    status=400,
    code="CMN-101",
    message="Parameter [recordCount] value is invalid",
    sources=(SYNC_GUIDE,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
TOKEN_NEEDED = _rule(
    id="clog.sync-isync-token",
    operations=SYNC,
    when="an incremental sync (ISync) has no syncToken",
    status=400,
    code="CMN-101",
    message="Parameter [syncToken] value is invalid",
    sources=(SYNC_GUIDE, API_REFERENCE + "Call-Log/syncUserCallLog"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
BAD_TOKEN = _rule(
    id="clog.sync-bad-token",
    operations=SYNC,
    when="an ISync carries a syncToken the server never issued",
    status=400,
    code="CMN-101",
    message="Parameter [syncToken] value is invalid",
    sources=(SYNC_GUIDE, ERRORS_PAGE),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
    note="the guide says tokens are opaque and carry the sync's frame; the sandbox issues its own"
    " and keeps a table of them",
)
_rule(
    id="clog.sync-over-250",
    operations=SYNC,
    when="more than 250 records changed since the token was issued",
    status=400,
    code="CMN-101",
    message="Parameter [syncToken] is invalid [max sync record number limit is exceeded]",
    sources=(SYNC_GUIDE,),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's call log never changes 250 records between two syncs of a rehearsal",
)
_rule(
    id="clog.sync-datefrom",
    operations=SYNC,
    when="a full sync gives dateFrom",
    status=None,
    code=None,
    message=None,
    sources=(SYNC_GUIDE, EXTENSIBLE_SDK + " (call-log.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="only records from dateFrom on, newest first, at most recordCount",
)
_rule(
    id="clog.sync-shape",
    operations=SYNC,
    when="a sync is answered",
    status=None,
    code=None,
    message=None,
    sources=(SYNC_GUIDE,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="records and syncInfo {syncType, syncToken, syncTime}; no paging",
)
_rule(
    id="clog.list-window",
    operations=LISTS,
    when="the call log is read without dateFrom",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Call-Log/readUserCallLog",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the last 24 hours",
)
_rule(
    id="clog.perpage-clamp",
    operations=LISTS,
    when="perPage is over 1000",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Call-Log/readUserCallLog",),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
    note="the spec's prose says 1000 is applied, its schema says at most 1000: both readings are"
    " left to the spec's schema",
)
EXTENSION_AND_PHONE = _rule(
    id="clog.ext-and-phone",
    operations=LISTS,
    when="extensionNumber and phoneNumber are both given",
    status=400,
    code="CMN-101",
    message="Parameter [phoneNumber] value is invalid",
    sources=(API_REFERENCE + "Call-Log/readUserCallLog",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the spec's prose forbids the pair; the code is inferred",
)
SESSION_AND_EXTENSION = _rule(
    id="clog.session-and-ext",
    operations=LISTS,
    when="sessionId and extensionNumber are both given",
    status=400,
    code="CLG-110",
    message="Parameter [sessionId] is not allowed for usage along with parameter [extensionNumber]",
    sources=(EXPLORER_2018, ERRORS_PAGE),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
_rule(
    id="clog.unknown-id",
    operations=("readUserCallRecord", "readCompanyCallRecord"),
    when="the call record id names no record",
    status=404,
    code="CMN-102",
    message="Resource for parameter [callRecordId] is not found",
    sources=(REFERENCE_2021,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)


@AREA.check(*SYNC)
def _sync(request: RequestView) -> list[Hit]:
    query = request.query
    kind = query_value(query, "syncType") or "FSync"
    count = query_value(query, "recordCount")
    if kind == "ISync" and query.get("syncToken") in (None, ""):
        return [Hit(TOKEN_NEEDED, "query.syncToken", "syncToken")]
    if kind == "FSync" and "recordCount" not in query:
        return [Hit(RECORD_COUNT, "query.recordCount", "recordCount")]
    if count is not None and count.isdigit() and int(count) > MAX_SYNC_RECORDS:
        return [Hit(RECORD_COUNT_MAX, "query.recordCount", "recordCount")]
    return []


@AREA.check(*LISTS)
def _list_filters(request: RequestView) -> list[Hit]:
    query = request.query
    if query.get("extensionNumber") is not None and query.get("phoneNumber") is not None:
        return [Hit(EXTENSION_AND_PHONE, "query.phoneNumber", "phoneNumber")]
    if query.get("sessionId") is not None and query.get("extensionNumber") is not None:
        return [Hit(SESSION_AND_EXTENSION, "query.sessionId", "sessionId")]
    return []
