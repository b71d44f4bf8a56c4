"""Messaging: SMS, MMS, fax, pager and the message store; phone numbers and senders.

The spec lists only a 200 for sending an SMS: every refusal here is beyond it. Pure data and
checks: no I/O.
"""

from __future__ import annotations

import posixpath
from typing import Any

from runner.rc import phone
from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    EXPLORER_2018,
    EXTENSIBLE_SDK,
    GUIDE,
    JS_SDK,
    PYTHON_SDK,
    REFERENCE_2021,
    Area,
    Attachment,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
    field_of,
    is_multipart,
    items,
    query_value,
    text,
    utf16_units,
)

AREA = Area()
SMS, MMS, FAX, PAGER = "createSMSMessage", "createMMS", "createFaxMessage", "createInternalTextMessage"
SENDING_SMS = GUIDE + "messaging/sms/sending-sms"
SENDING_IMAGES = GUIDE + "messaging/sms/sending-images"
SENDING_FAXES = GUIDE + "messaging/fax/sending-faxes"
FAX_FORMATS = GUIDE + "messaging/fax/fax-multipart-formats"
ERRORS = GUIDE + "basics/errors"
MAX_TEXT = 1000  # UTF-16 units
MAX_PAGER_TEXT = 1024
MAX_ATTACHMENTS = 10
MAX_MMS_BYTES = 1_500_000
MAX_GROUP_MMS = 10
MAX_FAX_BYTES = 50 * 2**20
MAX_FILENAME = 256
COVER_PAGES = frozenset(
    {*range(14), *range(15, 25), 26, 27, 28}
)  # en-US 0-13; other languages 0, 15-28 but 25
# The attachment types an MMS may carry (the guide's table).
MMS_TYPES = frozenset(
    {
        "image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff", "image/svg+xml", "image/webp",
        "video/3gpp", "video/mp4", "video/mpeg", "video/avi", "video/x-flv", "video/x-ms-wmv",
        "video/quicktime", "video/webm", "video/ogg", "audio/mpeg", "audio/mp4", "audio/ogg",
        "audio/wav", "audio/amr", "audio/3gpp", "text/vcard", "application/zip", "application/gzip",
        "application/rtf", "application/pdf", "text/html", "text/plain", "text/csv", "text/calendar",
    }
)  # fmt: skip
# What a file name's extension says its type is, for parts sent without one (the Python SDK's
# two-item attachments, ``Content-Type: undefined`` from another SDK).
TYPES_BY_EXTENSION = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp",
    ".gif": "image/gif", ".tif": "image/tiff", ".tiff": "image/tiff", ".svg": "image/svg+xml",
    ".webp": "image/webp", ".3gp": "video/3gpp", ".mp4": "video/mp4", ".mpeg": "video/mpeg",
    ".mpg": "video/mpeg", ".avi": "video/avi", ".flv": "video/x-flv", ".wmv": "video/x-ms-wmv",
    ".mov": "video/quicktime", ".webm": "video/webm", ".ogv": "video/ogg", ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".wav": "audio/wav", ".amr": "audio/amr",
    ".vcf": "text/vcard", ".zip": "application/zip", ".gz": "application/gzip", ".rtf": "application/rtf",
    ".pdf": "application/pdf", ".html": "text/html", ".htm": "text/html", ".txt": "text/plain",
    ".csv": "text/csv", ".ics": "text/calendar", ".doc": "application/msword", ".xml": "text/xml",
}  # fmt: skip
# The document types a fax may carry, by extension (the guide's list).
FAX_EXTENSIONS = frozenset(
    [
        ".pdf",
        ".psd",
        ".doc",
        ".docx",
        ".dot",
        ".mcw",
        ".xls",
        ".xlsx",
        ".xlsb",
        ".ppt",
        ".pptx",
        ".vsd",
        ".vdx",
        ".pub",
        ".wps",
        ".wri",
        ".awd",
        ".tif",
        ".tiff",
        ".gif",
        ".jpg",
        ".jpeg",
        ".bmp",
        ".png",
        ".pcx",
        ".tga",
        ".rtf",
        ".txt",
        ".log",
        ".h",
        ".cpp",
        ".c",
        ".err",
        ".hpp",
        ".wk1",
        ".wk3",
        ".wk4",
        ".wq1",
        ".xml",
        ".html",
        ".htm",
        ".csv",
    ]
)


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


TO_FORMAT = _rule(
    id="sms.to-format",
    operations=(SMS, MMS),
    when="a recipient's phoneNumber is no phone number (letters, empty, a lone +1)",
    status=400,
    code="CMN-101",
    top="InvalidParameter",
    message="Parameter [{parameter}] value is invalid",
    sources=(REFERENCE_2021, "https://github.com/ringcentral/ringcentral-js-widgets (MessageSender)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="a number is an optional + and 7 to 15 digits; spaces, dashes, dots and brackets are"
    " ignored, and digits without + are accepted, as RingCentral's own examples send them",
)
TO_SHORT = _rule(
    id="sms.to-short",
    operations=(SMS,),
    when="a recipient is a short number (3 to 6 digits)",
    status=400,
    code="MSG-247",
    top="InvalidParameter",
    message="Sending SMS to short numbers is not available",
    sources=(REFERENCE_2021,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
EXTENSION_NUMBER = _rule(
    id="sms.ext-number",
    operations=(SMS, MMS),
    when="from or a recipient is given as an extensionNumber",
    status=400,
    code="MSG-246",
    top="InvalidParameter",
    message="Sending SMS from/to extension numbers is not available",
    sources=(REFERENCE_2021, "https://github.com/grokify/go-ringcentral-client/issues/29"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
DUPLICATE = _rule(
    id="sms.to-dup",
    operations=(SMS, MMS),
    when="the same recipient is listed twice",
    status=400,
    code="CMN-406",
    message="Duplicate value for parameter [to] found in request",
    sources=(EXPLORER_2018, ERRORS),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
FROM_OWNED = _rule(
    id="sms.from-owned",
    operations=(SMS, MMS),
    when="from is not a phone number of the caller's extension",
    status=400,
    code="MSG-245",
    top="InvalidParameter",
    message="Parameter [from] value is invalid [Cannot find the phone number which belongs to user]",
    sources=(SENDING_SMS, REFERENCE_2021),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="the sandbox's user owns the numbers of GET .../extension/~/phone-number; check refuses a"
    " from that is no phone number at all",
)
FROM_SMS_SENDER = _rule(
    id="sms.from-smssender",
    operations=(SMS, MMS),
    when="from is the caller's number but its features lack SmsSender",
    status=403,
    code="MSG-242",
    top="FeatureNotAvailable",
    message="The requested feature is not available",
    sources=(SENDING_SMS, REFERENCE_2021, ERRORS),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="the top-level code is not documented for this one",
)
FROM_FAX = _rule(
    id="sms.from-fax",
    operations=(SMS, MMS),
    when="from is a fax-only number",
    status=403,
    code="MSG-241",
    message="Cannot send SMS from Fax number",
    sources=(REFERENCE_2021, GUIDE + "account/phone-numbers"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
MMS_SENDER = _rule(
    id="mms.from-mmssender",
    operations=(SMS, MMS),
    when="a message with attachments is sent from a number whose features lack MmsSender",
    status=403,
    code="MSG-380",
    message="The MMS feature is not available",
    sources=(REFERENCE_2021, SENDING_IMAGES),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="sms.required",
    operations=(SMS,),
    when="to or from is missing, or there is neither text nor an attachment",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] is not specified",
    sources=(API_REFERENCE + "SMS/createSMSMessage", EXTENSIBLE_SDK),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)
_rule(
    id="mms.text-optional",
    operations=(SMS, MMS),
    when="a multipart message with attachments has no text",
    status=None,
    code=None,
    message=None,
    sources=(SENDING_IMAGES, PYTHON_SDK + " (demo_mms.py)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="the /sms schema's required text is not applied when an attachment comes with it",
)
TEXT_LENGTH = _rule(
    id="sms.text-1000",
    operations=(SMS, MMS),
    when="the text is over 1000 UTF-16 units (a character beyond the basic plane counts 2)",
    status=400,
    code="CMN-101",
    top="InvalidParameter",
    message="Parameter [text] value is invalid",
    sources=(API_REFERENCE + "SMS/createSMSMessage",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the limit is the spec's prose; the code is inferred from RingCentral's answer to an invalid text",
)
TOO_MANY = _rule(
    id="mms.max-10",
    operations=(SMS, MMS),
    when="a message carries more than 10 attachments",
    status=400,
    code="MSG-379",
    message="Too many attachments",
    sources=(SENDING_IMAGES, EXPLORER_2018),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="mms.ascii-filename",
    operations=(SMS, MMS),
    when="an attachment's file name is not ASCII",
    status=400,
    code=None,
    message=None,
    sources=("https://github.com/ringcentral/ringcentral-js-widgets (MessageSender)",),
    confidence=Confidence.LOW,
    enforced=Enforced.NOT_MODELLED,
    note="only a code comment says so, with no code: not refused, lest a valid request be",
)
MMS_SIZE = _rule(
    id="mms.max-1.5mb",
    operations=(SMS, MMS),
    when="the attachments add up to more than 1,500,000 bytes",
    status=400,
    code="MSG-376",
    message="Attachment size limit exceeded",
    sources=(SENDING_IMAGES, EXPLORER_2018),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
MMS_TYPE = _rule(
    id="mms.type",
    operations=(SMS, MMS),
    when="an attachment's type is not one an MMS may carry",
    status=415,
    code="MSG-348",
    message="Unsupported attachment media type",
    sources=(SENDING_IMAGES, EXPLORER_2018),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="a part with no type (or 'undefined') is typed by its file name's extension",
)
GROUP_MMS = _rule(
    id="mms.group-10",
    operations=(SMS, MMS),
    when="a message with attachments goes to more than 10 recipients",
    status=400,
    code="MSG-381",
    message="Exceeded maximum number of recipients for a Group MMS: [10]",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
COUNTRY_BOTH = _rule(
    id="sms.country-both",
    operations=(SMS, MMS),
    when="country gives both id and isoCode",
    status=400,
    code="MSG-365",
    message="Parameters [country.id] and [country.isoCode] can not be specified simultaneously",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="sms.sent-record",
    operations=(SMS, MMS),
    when="a message is sent",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (SmsTest.cs)", JS_SDK + " (Message-spec.js)", REFERENCE_2021),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the answer and the stored record are type SMS, direction Outbound, readStatus Read,"
    " subject the text, from and to as sent (in +E.164), a Text attachment and one per file",
)
_rule(
    id="fax.attachment-required",
    operations=(FAX,),
    when="a multipart fax has no attachment (a JSON body is a resend of an earlier fax)",
    status=400,
    code="CMN-101",
    message="Parameter [attachment] is not specified",
    sources=(API_REFERENCE + "Fax/createFaxMessage", ERRORS),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SPEC,
)
EMPTY_ATTACHMENT = _rule(
    id="fax.attachment-empty",
    operations=(FAX,),
    when="an attachment has no content",
    status=400,
    code="MSG-347",
    message="Attachment body is empty",
    sources=(ERRORS, EXPLORER_2018),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
NO_NAME = _rule(
    id="fax.attachment-name",
    operations=(FAX,),
    when="an attachment has neither a file name nor a content type",
    status=400,
    code="MSG-356",
    message="Either filename or content type should be specified",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
NO_EXTENSION = _rule(
    id="fax.attachment-extension",
    operations=(FAX,),
    when="an attachment has a file name without an extension and no content type",
    status=415,
    code="MSG-353",
    message="No file extension or content type specified",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
FAX_TYPE = _rule(
    id="fax.attachment-type",
    operations=(FAX,),
    when="an attachment's file name has an extension that is not a document type a fax takes",
    status=415,
    code="MSG-348",
    message="Unsupported attachment media type",
    sources=(SENDING_FAXES, EXPLORER_2018),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
LONG_NAME = _rule(
    id="fax.filename-256",
    operations=(FAX,),
    when="an attachment's file name is over 256 characters",
    status=400,
    code="MSG-370",
    message="filename is too long, 256 characters allowed",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
FAX_SIZE = _rule(
    id="fax.size-50mb",
    operations=(FAX,),
    when="the attachments add up to more than 50 MB",
    status=400,
    code="MSG-338",
    message="Message size limit exceeded",
    sources=(API_REFERENCE + "Fax/createFaxMessage", SENDING_FAXES),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the code for the total is inferred (MSG-337 is one attachment's)",
)
FAX_TO = _rule(
    id="fax.to-format",
    operations=(FAX,),
    when="a recipient's phoneNumber is no phone number",
    status=400,
    code="CMN-101",
    top="InvalidParameter",
    message="Parameter [to] value is invalid",
    sources=(EXPLORER_2018, FAX_FORMATS),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
FAX_TO_EXTENSION = _rule(
    id="fax.to-ext",
    operations=(FAX,),
    when="a recipient is an extension number (3 to 6 digits)",
    status=400,
    code="MSG-344",
    message="Sending fax to extension numbers is not available",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
COVER_INDEX = _rule(
    id="fax.cover-index",
    operations=(FAX,),
    when="coverIndex is not a cover page (0-13 in en-US; 0 and 15-28 but 25 in other languages)",
    status=400,
    code="CMN-101",
    message="Parameter [coverIndex] value is invalid",
    sources=(API_REFERENCE + "Fax/createFaxMessage", GUIDE + "basics/changelog/1_0_37"),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the code is inferred",
)
_rule(
    id="fax.sent-record",
    operations=(FAX,),
    when="a fax is sent",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021, DOTNET_SDK + " (FaxTest.cs)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="type Fax, direction Outbound, messageStatus Queued (each recipient too), readStatus Unread"
    " as RingCentral's example shows, faxResolution as sent (High by default), faxPageCount 0, the"
    " coverIndex sent, one RenderedDocument PDF, and no faxErrorCode",
)
_rule(
    id="fax.cover-dict",
    operations=("listFaxCoverPages",),
    when="the fax cover pages are listed",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021, API_REFERENCE + "Fax/listFaxCoverPages"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the 14 en-US cover pages, ids '0' to '13' (0: None ... 13: Urgent)",
)
PAGER_FROM = _rule(
    id="pager.from-self",
    operations=(PAGER,),
    when="from is not the caller's own extension (by id or by number)",
    status=400,
    code="MSG-332",
    message="Parameter [from] value is invalid [Sender extension id does not correspond to logged in extension]",
    sources=(REFERENCE_2021, GUIDE + "messaging/pager/sending-pager-messages"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="MSG-331 when it was given as an extension number",
)
PAGER_TO = _rule(
    id="pager.to-exists",
    operations=(PAGER,),
    when="a recipient extension does not exist",
    status=400,
    code="MSG-316",
    message="Parameter [to] value is invalid [Target extension not found]",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
PAGER_TEXT = _rule(
    id="pager.text-1024",
    operations=(PAGER,),
    when="the text is over 1024 UTF-16 units",
    status=400,
    code="CMN-101",
    message="Parameter [text] value is invalid",
    sources=(GUIDE + "messaging/pager/sending-pager-messages",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the limit is from RingCentral's 2018 guide; the code is inferred",
)
READ_STATUS_ONLY = _rule(
    id="msg.put-readstatus-only",
    operations=("updateMessage",),
    when="a PUT to a message changes anything but readStatus",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] value is invalid",
    sources=(API_REFERENCE + "Message-Store/updateMessage", REFERENCE_2021),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="msg.delete-twice",
    operations=("deleteMessage",),
    when="a message is deleted, then deleted again",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Message-Store/deleteMessage",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="204 both times: the first moves it to Deleted, the second (or purge=true) to Purged; a"
    " purged message then reads as 404",
)
_rule(
    id="msg.unknown-id",
    operations=("readMessage", "updateMessage", "patchMessage", "deleteMessage"),
    when="the message id names no message",
    status=404,
    code="CMN-102",
    message="Resource for parameter [messageId] is not found",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="msg.list-window",
    operations=("listMessages",),
    when="the message list is read without dateFrom, or without availability",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Message-Store/listMessages", GUIDE + "messaging/message-store/messaging"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the last 24 hours only, and only Alive messages",
)
CONVERSATION_AND_TYPE = _rule(
    id="msg.conv-and-type",
    operations=("deleteMessageByFilter",),
    when="conversationId and type are both given",
    status=400,
    code="MSG-390",
    message="[conversationId] and [type] query parameters cannot be specified simultaneously",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
SYNC_TOKEN_NEEDED = _rule(
    id="msgsync.isync-token",
    operations=("syncMessages",),
    when="syncType is ISync and there is no syncToken",
    status=400,
    code="CMN-101",
    message="Parameter [syncToken] value is invalid",
    sources=(GUIDE + "messaging/message-store/message-sync",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the code is inferred",
)
SYNC_TOKEN = _rule(
    id="msgsync.token",
    operations=("syncMessages",),
    when="an ISync carries a syncToken the server never issued",
    status=400,
    code="MSG-333",
    message="Parameter [syncToken] is invalid",
    sources=(EXPLORER_2018, ERRORS),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="pn.e164-out",
    operations=(),
    when="a phone number is answered",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "basics/formats/phone-numbers",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="always +E.164, however it was written in the request",
)
_rule(
    id="pn.features-ext-only",
    operations=("listExtensionPhoneNumbers", "listAccountPhoneNumbers"),
    when="phone numbers are listed",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "account/phone-numbers",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ANSWER,
    note="features (SmsSender, MmsSender, CallerId) are on the extension's list; the SMS sender"
    " checks read exactly that list",
)


# ------------------------------------------------------------------------------------------ checks


def _number_hits(request: RequestView, recipients_rule: Rule, short_rule: Rule | None) -> list[Hit]:
    hits = []
    seen: set[str] = set()
    for index, entry in enumerate(items(field_of(request.body, "to"))):
        where = f"json.to[{index}]"
        if isinstance(entry, dict) and "extensionNumber" in entry and recipients_rule is TO_FORMAT:
            hits.append(Hit(EXTENSION_NUMBER, f"{where}.extensionNumber", "to.extensionNumber"))
            continue
        number = text(field_of(entry, "phoneNumber"))
        if number is None:
            continue
        found = phone.kind(number)
        if found is phone.Kind.SHORT and short_rule is not None:
            hits.append(Hit(short_rule, f"{where}.phoneNumber", "to.phoneNumber"))
        elif found is not phone.Kind.NUMBER:
            hits.append(Hit(recipients_rule, f"{where}.phoneNumber", "to.phoneNumber"))
        elif recipients_rule is TO_FORMAT and phone.e164(number) in seen:
            hits.append(Hit(DUPLICATE, f"{where}.phoneNumber", "to"))
        seen.add(phone.e164(number))
    return hits


@AREA.check(SMS, MMS)
def _sms(request: RequestView) -> list[Hit]:
    body = request.body
    hits = _number_hits(request, TO_FORMAT, TO_SHORT)
    sender = field_of(body, "from")
    if isinstance(sender, dict) and "extensionNumber" in sender:
        hits.append(Hit(EXTENSION_NUMBER, "json.from.extensionNumber", "from.extensionNumber"))
    number = text(field_of(sender, "phoneNumber"))
    if number is not None and phone.kind(number) is not phone.Kind.NUMBER:
        hits.append(Hit(FROM_OWNED, "json.from.phoneNumber", "from"))
    message = text(field_of(body, "text"))
    if message is not None and utf16_units(message) > MAX_TEXT:
        hits.append(Hit(TEXT_LENGTH, "json.text", "text"))
    country = field_of(body, "country")
    if isinstance(country, dict) and country.get("id") is not None and country.get("isoCode") is not None:
        hits.append(Hit(COUNTRY_BOTH, "json.country", "country"))
    files = request.files
    if len(files) > MAX_ATTACHMENTS:
        hits.append(Hit(TOO_MANY, "attachments", "attachment"))
    if sum(f.size for f in files) > MAX_MMS_BYTES:
        hits.append(Hit(MMS_SIZE, "attachments", "attachment"))
    for index, attachment in enumerate(files):
        if type_of(attachment) not in MMS_TYPES:
            hits.append(Hit(MMS_TYPE, f"attachments[{index}]", "attachment"))
            break
    if files and len(items(field_of(body, "to"))) > MAX_GROUP_MMS:
        hits.append(Hit(GROUP_MMS, "json.to", "to"))
    return hits


@AREA.check(FAX)
def _fax(request: RequestView) -> list[Hit]:
    if not is_multipart(request.body_type):
        return []  # a resend (JSON) names an earlier fax and its recipients, if any
    hits = _number_hits(request, FAX_TO, FAX_TO_EXTENSION)
    for index, attachment in enumerate(request.files):
        where = f"attachments[{index}]"
        extension = posixpath.splitext(attachment.filename or "")[1].lower()
        if attachment.size == 0:
            hits.append(Hit(EMPTY_ATTACHMENT, where, "attachment"))
        elif not attachment.filename and not attachment.content_type:
            hits.append(Hit(NO_NAME, where, "attachment"))
        elif attachment.filename and not extension and not attachment.content_type:
            hits.append(Hit(NO_EXTENSION, where, "attachment"))
        elif extension and extension not in FAX_EXTENSIONS:
            hits.append(Hit(FAX_TYPE, where, "attachment"))
        if attachment.filename and len(attachment.filename) > MAX_FILENAME:
            hits.append(Hit(LONG_NAME, where, "attachment"))
    if sum(f.size for f in request.files) > MAX_FAX_BYTES:
        hits.append(Hit(FAX_SIZE, "attachments", "attachment"))
    cover = field_of(request.body, "coverIndex")
    if isinstance(cover, int) and not isinstance(cover, bool) and cover not in COVER_PAGES:
        hits.append(Hit(COVER_INDEX, "json.coverIndex", "coverIndex"))
    return hits


@AREA.check(PAGER)
def _pager(request: RequestView) -> list[Hit]:
    message = text(field_of(request.body, "text"))
    if message is not None and utf16_units(message) > MAX_PAGER_TEXT:
        return [Hit(PAGER_TEXT, "json.text", "text")]
    return []


@AREA.check("updateMessage")
def _read_status_only(request: RequestView) -> list[Hit]:
    body = request.body
    if not isinstance(body, dict):
        return []
    return [Hit(READ_STATUS_ONLY, f"json.{name}", name) for name in body if name != "readStatus"][:1]


@AREA.check("deleteMessageByFilter")
def _conversation_and_type(request: RequestView) -> list[Hit]:
    if request.query.get("conversationId") not in (None, "", []) and request.query.get("type") is not None:
        return [Hit(CONVERSATION_AND_TYPE, "query.type", "type")]
    return []


@AREA.check("syncMessages")
def _message_sync(request: RequestView) -> list[Hit]:
    if query_value(request.query, "syncType") == "ISync" and request.query.get("syncToken") in (None, ""):
        return [Hit(SYNC_TOKEN_NEEDED, "query.syncToken", "syncToken")]
    return []


def type_of(attachment: Attachment) -> str:
    """An attachment's media type: as its part said, else from its file name's extension."""
    given = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    if given and given not in ("undefined", "application/octet-stream", "binary/octet-stream"):
        return given
    extension = posixpath.splitext(attachment.filename or "")[1].lower()
    return TYPES_BY_EXTENSION.get(extension, given or "application/octet-stream")


@AREA.relax(SMS, MMS)
def _sms_relaxed(request: RequestView) -> frozenset[str]:
    """A message with attachments needs no text (``mms.text-optional``); a party written as an
    extension number is refused for that, not for lacking a phone number (``sms.ext-number``)."""
    relaxed = {"text"} if request.files else set()
    parties = [field_of(request.body, "from"), *items(field_of(request.body, "to"))]
    if any(isinstance(p, dict) and "extensionNumber" in p for p in parties):
        relaxed.add("phoneNumber")
    return frozenset(relaxed)
