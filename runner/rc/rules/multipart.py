"""Multipart bodies and content types: every form in which RingCentral takes a request with files.

RingCentral takes the spec's form fields (one part per field, ``to`` repeated) and the SDKs' form:
a JSON part named ``json`` or ``request.json`` (or, in multipart/mixed, the first part) holding the
whole request, then file parts whose names vary by SDK (``attachment``, ``attachments``, ``image``,
``binary``, the file name itself). The sandbox's ``runner.sandbox.multipart`` reads them by these
rules. Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    EXTENSIBLE_SDK,
    GUIDE,
    JS_SDK,
    PYTHON_SDK,
    REFERENCE_2021,
    Area,
    Confidence,
    Enforced,
    Rule,
)

AREA = Area()
MEDIA_OPERATIONS = (
    "createSMSMessage", "createMMS", "createFaxMessage", "createUserProfileImage",
    "updateUserProfileImage", "createCustomUserGreeting", "createCompanyGreeting", "createIVRPrompt",
    "createGlipFileNew", "mthSendMessage",
)  # fmt: skip
# The part names the SDKs give the JSON request object.
ROOT_NAMES = frozenset({"json", "request.json"})


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


UNSUPPORTED = _rule(
    id="ct.unsupported",
    operations=(),
    when="the body's content type is not one the operation takes (an SMS sent as text/plain)",
    status=415,
    code="CMN-415",
    message="Unsupported Media Type",
    sources=(API_REFERENCE, "https://www.rfc-editor.org/rfc/rfc9110#name-415-unsupported-media-type"),
    confidence=Confidence.LOW,
    enforced=Enforced.CHECK,
    note="HTTP's answer; RingCentral documents no code for it, so the code is ours. multipart/mixed"
    " is taken wherever multipart/form-data is (mp.mixed-alias)",
)
_rule(
    id="mp.mixed-alias",
    operations=MEDIA_OPERATIONS,
    when="a multipart/mixed body is sent where the spec lists multipart/form-data",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "messaging/fax/fax-multipart-formats", PYTHON_SDK + " (set_multipart_mixed)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
)
_rule(
    id="mp.json-root",
    operations=MEDIA_OPERATIONS,
    when="a part named json or request.json, or the first application/json part, holds the request",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "messaging/sms/sending-images", PYTHON_SDK, JS_SDK, DOTNET_SDK, EXTENSIBLE_SDK),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="its JSON is the request object, validated against the operation's schema; a null root"
    " (the Python SDK's without a body) is no fields",
)
_rule(
    id="mp.any-file-name",
    operations=MEDIA_OPERATIONS,
    when="file parts are named attachment, attachments, image, binary or after the file",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (FaxTest.cs)", EXTENSIBLE_SDK + " (fax.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="every part that is not the JSON root or a known field is an attachment",
)
_rule(
    id="mp.sms-multipart-no-file",
    operations=("createSMSMessage",),
    when="a multipart SMS has only its JSON part",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (SmsTest.cs)", EXTENSIBLE_SDK + " (sms.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="read like the same SMS sent as JSON",
)
_rule(
    id="mp.empty",
    operations=("createSMSMessage", "createMMS", "createFaxMessage"),
    when="a multipart body has no parts, or none of the required fields",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] is not specified",
    sources=(API_REFERENCE + "SMS/createSMSMessage", REFERENCE_2021),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SPEC,
    note="the spec's required fields, read from the parts",
)
_rule(
    id="mp.sms-form-fields",
    operations=("createSMSMessage", "createMMS", "createFaxMessage"),
    when="fields come as one part each: to repeated and plain numbers, from a plain number, text",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "messaging/fax/fax-multipart-formats", "https://stackoverflow.com/questions/57642786"),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ACCEPTED,
)
_rule(
    id="mp.quoted-boundary",
    operations=(),
    when="the boundary is quoted, part names unquoted, or a file name given as filename*=",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (Utils.cs, MultipartFormDataContent)", "https://www.rfc-editor.org/rfc/rfc7578"),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ACCEPTED,
)
_rule(
    id="mp.undefined-ct",
    operations=(),
    when="a file part says Content-Type: undefined, or gives none",
    status=None,
    code=None,
    message=None,
    sources=(EXTENSIBLE_SDK + " (FormData.ts)", PYTHON_SDK + " (multipart_builder.py)"),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ACCEPTED,
    note="its type is read from its file name's extension",
)
MALFORMED = _rule(
    id="mp.malformed",
    operations=(),
    when="a multipart body cannot be read (no boundary, no closing delimiter, a JSON part that is no JSON)",
    status=400,
    code="MSG-349",
    message="Unable to parse request body",
    sources=(GUIDE + "basics/errors",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
    note="the guide's errors list MSG-349 'Unable to parse fax envelope'; the sandbox uses it for"
    " every operation",
)
