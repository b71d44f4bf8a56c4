"""A coherent account: paging that agrees with the records, links on the serving host, ids in
place of ~, integers where the spec says integer. Rules about answers: the sandbox follows them."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    GUIDE,
    REFERENCE_2021,
    Area,
    Confidence,
    Enforced,
    Rule,
)

AREA = Area()


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


_rule(
    id="acct.paging-consistent",
    operations=(),
    when="a page of a list is answered",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021, GUIDE + "basics/paging"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="page, perPage, pageStart, pageEnd, totalPages and totalElements agree with the records served",
)
_rule(
    id="acct.paging-past-end",
    operations=(),
    when="a page past the last one is asked for",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ANSWER,
    note="no records; pageStart and pageEnd left out",
)
_rule(
    id="acct.nav-self-base",
    operations=(),
    when="an answer carries links (uri, navigation)",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "basics/paging",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ANSWER,
    note="absolute, on the host that served the request: SDKs follow them as given",
)
_rule(
    id="acct.uri-numeric",
    operations=(),
    when="a request names the account or extension as ~",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "basics/uri-reference",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the answer's uri and id use the real ids",
)
_rule(
    id="acct.expires-int",
    operations=("authWsToken",),
    when="a token is issued",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "authentication/refresh-tokens", API_REFERENCE + "OAuth-2.0/getToken"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="expires_in and refresh_token_expires_in are JSON integers (7199, not 7199.0)",
)
_rule(
    id="acct.sent-outbound",
    operations=("createSMSMessage", "createMMS", "createFaxMessage", "createInternalTextMessage"),
    when="a message is sent",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (SmsTest.cs)", REFERENCE_2021),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the sender's store holds an Outbound record of what was sent, nothing made up",
)
