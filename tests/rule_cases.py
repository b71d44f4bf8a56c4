"""One request per rule that RingCentral answers with a 4xx: what it sends and what comes back.

``test_rule_cases.py`` sends each to the local sandbox (which must answer the rule's status and
code) and hands the ones a request alone decides to the validator ``rcgrad check`` uses (which must
refuse them, naming the rule). A request is refused for what it sends before its ids are looked
up, so the ids here need not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.rc.catalog import load_catalog
from runner.rc.rules.base import Attachment
from runner.rc.validate import Request
from runner.sandbox.account import NUMBERS

EXT = "/restapi/v1.0/account/~/extension/~"
SMS = f"{EXT}/sms"
FAX = f"{EXT}/fax"
SENDER, FAX_LINE, MAIN, TOLL_FREE = (n.phone_number for n in NUMBERS)
TO = [{"phoneNumber": "+16505550177"}]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n" + b"\x00" * 32
WAV = b"RIFF" + b"\x00" * 32


@dataclass(frozen=True)
class Case:
    rule: str
    method: str
    path: str
    json: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    # A multipart body: the JSON root (None: none), then (field, file name, content type, bytes).
    root: Any = None
    files: tuple[tuple[str, str | None, str | None, bytes], ...] | None = None
    raw: tuple[str, bytes] | None = None  # (content type, body) sent as is
    status: int = 400
    code: str | None = None  # the nested code RingCentral answers; None: the rule's own

    @property
    def multipart(self) -> bool:
        return self.files is not None


def sms(**body: Any) -> dict[str, Any]:
    return {"from": {"phoneNumber": SENDER}, "to": TO, "text": "hi", **body}


def mms(
    *files: tuple[str, str | None, str | None, bytes], sender: str = SENDER, **body: Any
) -> dict[str, Any]:
    return {"root": {"from": {"phoneNumber": sender}, "to": TO, **body}, "files": files}


def fax(*files: tuple[str, str | None, str | None, bytes], **body: Any) -> dict[str, Any]:
    return {"root": {"to": TO, **body}, "files": files}


def subscription(filters: list[str], address: str = "http://127.0.0.1:1/hook", **body: Any) -> dict[str, Any]:
    return {"eventFilters": filters, "deliveryMode": {"transportType": "WebHook", "address": address}, **body}


MESSAGES = f"{EXT}/message-store"
REMINDER = "/restapi/v1.0/subscription/~?threshold=60&interval=30"
OWN_MESSAGES = "/restapi/v1.0/account/~/extension/~/message-store"
PHOTO = ("attachment", "photo.png", "image/png", PNG)

CASES: tuple[Case, ...] = (
    # Subscriptions and webhooks
    Case("sub.bad-filter", "POST", "/restapi/v1.0/subscription", subscription(["rcgrad test"])),
    Case("sub.only-reminder", "POST", "/restapi/v1.0/subscription", subscription([REMINDER], expiresIn=3600)),
    Case("sub.reminder-params", "POST", "/restapi/v1.0/subscription",
         subscription([OWN_MESSAGES, "/restapi/v1.0/subscription/~?threshold=3000&interval=10"], expiresIn=3600)),
    Case("sub.webhook-https", "POST", "/restapi/v1.0/subscription", subscription([OWN_MESSAGES], "http://hooks.acme.io/rc")),
    Case("sub.webhook-validate", "POST", "/restapi/v1.0/subscription",
         subscription([OWN_MESSAGES], "https://webhook.example.com/ringcentral")),
    Case("sub.other-ext-messages", "POST", "/restapi/v1.0/subscription",
         subscription(["/restapi/v1.0/account/~/extension/12345/message-store"]), status=403),
    # Messaging, numbers, senders
    Case("sms.to-format", "POST", SMS, sms(to=[{"phoneNumber": "abc"}])),
    Case("sms.to-format", "POST", SMS, sms(to=[{"phoneNumber": "+1"}])),
    Case("sms.to-short", "POST", SMS, sms(to=[{"phoneNumber": "1234"}])),
    Case("sms.ext-number", "POST", SMS, sms(to=[{"extensionNumber": "102"}])),
    Case("sms.to-dup", "POST", SMS, sms(to=[{"phoneNumber": "+16505550177"}, {"phoneNumber": "16505550177"}])),
    Case("sms.from-owned", "POST", SMS, sms(**{"from": {"phoneNumber": "+14155550100"}})),
    Case("sms.from-owned", "POST", SMS, sms(**{"from": {"phoneNumber": "sales"}})),
    Case("sms.from-smssender", "POST", SMS, sms(**{"from": {"phoneNumber": MAIN}}), status=403),
    Case("sms.from-fax", "POST", SMS, sms(**{"from": {"phoneNumber": FAX_LINE}}), status=403),
    Case("mms.from-mmssender", "POST", SMS, **mms(PHOTO, sender=TOLL_FREE), status=403),
    Case("sms.text-1000", "POST", SMS, sms(text="x" * 1001)),
    Case("sms.text-1000", "POST", SMS, sms(text="\U0001f600" * 501)),  # two units each
    Case("sms.country-both", "POST", SMS, sms(country={"id": "1", "isoCode": "US"})),
    Case("mms.max-10", "POST", SMS, **mms(*[PHOTO] * 11)),
    Case("mms.max-1.5mb", "POST", f"{EXT}/mms", **mms(("attachments", "big.png", "image/png", PNG + b"\x00" * 1_500_000))),
    Case("mms.type", "POST", SMS, **mms(("attachment", "tool.exe", "application/x-msdownload", b"MZ")), status=415),
    Case("mms.group-10", "POST", SMS, **mms(PHOTO, to=[{"phoneNumber": f"+1650555{i:04d}"} for i in range(11)])),
    Case("fax.attachment-empty", "POST", FAX, **fax(("attachment", "report.pdf", "application/pdf", b""))),
    Case("fax.attachment-name", "POST", FAX, **fax(("attachment", None, None, b"data"))),
    Case("fax.attachment-extension", "POST", FAX, **fax(("attachment", "report", None, b"data")), status=415),
    Case("fax.attachment-type", "POST", FAX, **fax(("attachment", "tool.exe", None, b"MZ")), status=415),
    Case("fax.filename-256", "POST", FAX, **fax(("attachment", "r" * 260 + ".pdf", "application/pdf", PDF))),
    Case("fax.to-format", "POST", FAX, **fax(("attachment", "r.pdf", "application/pdf", PDF), to=[{"phoneNumber": "fax me"}])),
    Case("fax.to-ext", "POST", FAX, **fax(("attachment", "r.pdf", "application/pdf", PDF), to=[{"phoneNumber": "102"}])),
    Case("fax.cover-index", "POST", FAX, **fax(("attachment", "r.pdf", "application/pdf", PDF), coverIndex=14)),
    Case("pager.from-self", "POST", f"{EXT}/company-pager", {"from": {"extensionId": "12345"}, "to": [{"extensionNumber": "102"}], "text": "hi"}),
    Case("pager.to-exists", "POST", f"{EXT}/company-pager", {"to": [{"extensionNumber": "999"}], "text": "hi"}),
    Case("pager.text-1024", "POST", f"{EXT}/company-pager", {"to": [{"extensionNumber": "102"}], "text": "x" * 1025}),
    Case("msg.put-readstatus-only", "PUT", f"{MESSAGES}/1", {"readStatus": "Read", "subject": "new"}),
    Case("msg.conv-and-type", "DELETE", MESSAGES, query={"conversationId": "1", "type": "SMS"}),
    Case("msgsync.isync-token", "GET", f"{EXT}/message-sync", query={"syncType": "ISync"}),
    Case("msgsync.token", "GET", f"{EXT}/message-sync", query={"syncType": "ISync", "syncToken": "forged"}),
    # Bulk
    Case("bulk.presence-30", "GET", "/restapi/v1.0/account/~/extension/" + ",".join(["~"] * 31) + "/presence"),
    Case("bulk.max-50", "GET", f"{MESSAGES}/" + ",".join(str(i) for i in range(51))),
    # Call log
    Case("clog.sync-fsync-recordcount", "GET", f"{EXT}/call-log-sync", query={"syncType": "FSync"}),
    Case("clog.sync-recordcount-250", "GET", f"{EXT}/call-log-sync", query={"recordCount": 251}),
    Case("clog.sync-isync-token", "GET", f"{EXT}/call-log-sync", query={"syncType": "ISync"}),
    Case("clog.sync-bad-token", "GET", f"{EXT}/call-log-sync", query={"syncType": "ISync", "syncToken": "forged"}),
    Case("clog.ext-and-phone", "GET", f"{EXT}/call-log", query={"extensionNumber": "102", "phoneNumber": "16505550177"}),
    Case("clog.session-and-ext", "GET", f"{EXT}/call-log", query={"sessionId": "1", "extensionNumber": "102"}),
    # Presence, extensions, media
    Case("presence.dnd-legacy", "PUT", f"{EXT}/presence", {"dndStatus": "TakeDepartmentCallsOnly"}),
    Case("img.missing", "PUT", f"{EXT}/profile-image", files=()),
    Case("img.missing", "POST", f"{EXT}/profile-image", files=(("image", "me.png", "image/png", b""),)),
    Case("img.type", "POST", f"{EXT}/profile-image", files=(("image", "me.txt", "text/plain", b"hello"),), status=415),
    Case("mp.greeting-empty", "POST", f"{EXT}/greeting", files=(("binary", "hi.wav", "audio/wav", b""),),
         root={"type": "Voicemail", "answeringRuleId": "business-hours-rule"}),
    Case("mp.greeting-type", "POST", f"{EXT}/greeting", files=(("binary", "hi.txt", "text/plain", b"words"),),
         root={"type": "Voicemail", "answeringRuleId": "business-hours-rule"}),
    Case("mp.ivr-audio", "POST", "/restapi/v1.0/account/~/ivr-prompts", files=(("attachment", "p.txt", "text/plain", b"x"),)),
    # Contacts
    Case("contact.phone-parse", "POST", f"{EXT}/address-book/contact", {"firstName": "A", "mobilePhone": "call me"}),
    Case("contact.phone-long", "POST", f"{EXT}/address-book/contact", {"firstName": "A", "mobilePhone": "+1" + "5" * 16}),
    Case("contact.64", "POST", f"{EXT}/address-book/contact", {"firstName": "A", "ringtoneIndex": "r" * 65}),
    # RingOut
    Case("ringout.to-required", "POST", f"{EXT}/ring-out", {"from": {"phoneNumber": SENDER}, "to": {}}),
    Case("ringout.from-required", "POST", f"{EXT}/ring-out", {"from": {}, "to": {"phoneNumber": "+16505550177"}}),
    Case("ringout.from-fwd-id", "POST", f"{EXT}/ring-out",
         {"from": {"forwardingNumberId": "1"}, "to": {"phoneNumber": "+16505550177"}}, status=404),
    Case("ringout.callerid", "POST", f"{EXT}/ring-out",
         {"from": {"phoneNumber": SENDER}, "to": {"phoneNumber": "+16505550177"}, "callerId": {"phoneNumber": "+14155550100"}},
         status=403),
    # Call control
    Case("cc.callout-from", "POST", "/restapi/v1.0/account/~/telephony/call-out",
         {"from": {"deviceId": "1", "extensionId": "2"}, "to": {"phoneNumber": "+16505550177"}}),
    # Team messaging
    Case("tm.post-10000", "POST", "/team-messaging/v1/chats/1/posts", {"text": "x" * 10_001}),
    Case("tm.post-25-att", "POST", "/team-messaging/v1/chats/1/posts",
         {"text": "x", "attachments": [{"id": str(i), "type": "File"} for i in range(26)]}),
    Case("tm.conv-15", "POST", "/team-messaging/v1/conversations", {"members": [{"id": str(i)} for i in range(16)]}),
    Case("tm.note-limits", "POST", "/team-messaging/v1/chats/1/notes", {"title": "t" * 251}),
    Case("tm.task-limits", "POST", "/team-messaging/v1/chats/1/tasks",
         {"subject": "s", "assignees": [{"id": "1"}], "section": "s" * 101}),
    # Content types and multipart
    Case("ct.unsupported", "POST", SMS, raw=("text/plain", b"hello"), status=415),
    Case("ct.unsupported", "POST", f"{EXT}/profile-image", json={"image": "me.png"}, status=415),
    Case("mp.malformed", "POST", FAX, raw=("multipart/form-data; boundary=b", b"no parts here")),
)  # fmt: skip


def validator_request(case: Case) -> tuple[Any, Request]:
    """The case as ``rcgrad check`` would judge it: its operation and the validator's request."""
    match = load_catalog().match(case.method, case.path)
    assert match is not None, case
    params = {k: str(v) for k, v in match.params.items()}
    if case.raw is not None:
        return match.value, Request(params, case.query, {}, None, case.raw[0])
    if case.multipart:
        files = tuple(
            Attachment(name, filename, content_type, len(data), data[:16])
            for name, filename, content_type, data in case.files or ()
        )
        body = dict(case.root) if isinstance(case.root, dict) else {}
        return match.value, Request(params, case.query, {}, body, "multipart/form-data", files)
    body_type = None if case.json is None else "application/json"
    return match.value, Request(params, case.query, {}, case.json, body_type)
