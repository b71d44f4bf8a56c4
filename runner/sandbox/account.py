"""The sandbox's account as one coherent world: the caller, its numbers, what it sent, what it keeps.

RingCentral's answers hang together: the caller's extension is a record of the extension list and
a PUT to it is read back (``ext.put-persists``); an SMS goes out from one of the caller's numbers
whose features allow it (``sms.from-*``) and is stored Outbound holding what was sent
(``acct.sent-outbound``); a fax's cover pages are the documented 0-13 (``fax.cover-dict``); a sync
token is one the server issued (``clog.sync-bad-token``, ``msgsync.token``); an uploaded profile
image is the one read back (``img.204``). The rules live in ``runner.rc.rules``; this module holds
the account's facts and state and applies the rules that need them, naming each.

It may depend only on ``runner.rc`` and the core modules, reads its records through ``Records``
(the store), and must never do I/O.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from runner.rc import phone
from runner.rc.rules import calllog, messaging, ringout
from runner.rc.rules.base import Attachment, Rule
from runner.sandbox.oauth import ACCOUNT_ID, EXTENSION_ID
from runner.sandbox.webhooks import other_extension

EXTENSIONS = "/restapi/v1.0/account/{accountId}/extension"
FORWARDING = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/forwarding-number"
SUBSCRIPTIONS = "/restapi/v1.0/subscription"
CALLER_NUMBER = "101"
OWN = {"accountId": "~", "extensionId": "~"}


@dataclass(frozen=True, slots=True)
class Number:
    """A phone number of the caller's extension (``GET .../extension/~/phone-number``)."""

    id: int
    phone_number: str
    type: str  # VoiceFax, VoiceOnly, FaxOnly
    usage: str
    features: tuple[str, ...]


# The caller's numbers: one that sends SMS and MMS, a fax line, the company's main number, which
# may be a caller id but sends no SMS (RingCentral: 403 MSG-242 from it), and a toll-free one.
NUMBERS = (
    Number(40010001, "+16505550100", "VoiceFax", "DirectNumber", ("CallerId", "SmsSender", "MmsSender")),
    Number(40010002, "+16505550101", "FaxOnly", "CompanyFaxNumber", ()),
    Number(40010003, "+16505550102", "VoiceOnly", "MainCompanyNumber", ("CallerId",)),
    # Toll-free: it sends SMS, never MMS (RingCentral's SMS requirements page).
    Number(40010004, "+18885550100", "VoiceOnly", "CompanyNumber", ("SmsSender",)),
)
# The en-US cover pages (RingCentral's reference; 0 is no cover page).
COVER_PAGES = (
    "None", "Ancient", "Birthday", "Blank", "Clasmod", "Classic", "Confidential", "Contempo", "Elegant",
    "Express", "Formal", "Jazzy", "Modern", "Urgent",
)  # fmt: skip


class Records(Protocol):
    """What the account reads of the store."""

    def records(
        self, collection: str, params: Mapping[str, str], base: str = ""
    ) -> dict[str, dict[str, Any]]: ...
    def new_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: Rule
    parameter: str | None = None


# ------------------------------------------------------------------------------------ the caller


def phone_numbers(base: str) -> list[dict[str, Any]]:
    """The caller's numbers as ``GET .../extension/~/phone-number`` lists them, features and all."""
    own = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}"
    return [
        {
            "uri": f"{own}/phone-number/{n.id}",
            "id": n.id,
            "phoneNumber": n.phone_number,
            "type": n.type,
            "usageType": n.usage,
            "features": list(n.features),
            "status": "Normal",
            "paymentType": "TollFree" if n.phone_number.startswith("+1888") else "Local",
            "primary": n.usage == "DirectNumber",
            "country": {
                "id": "1",
                "uri": f"{base}/restapi/v1.0/dictionary/country/1",
                "name": "United States",
            },
            "extension": {
                "id": int(EXTENSION_ID),
                "uri": f"{own}/extension/{EXTENSION_ID}",
                "extensionNumber": CALLER_NUMBER,
            },
        }
        for n in NUMBERS
    ]


def extension_record(
    sample: dict[str, Any], record_id: str, number: str, base: str, caller: bool
) -> dict[str, Any]:
    """An extension of the account: the caller (``ext.list-includes-caller``) or another user."""
    record = copy.deepcopy(sample)
    record["id"] = int(record_id) if isinstance(record.get("id"), int) else record_id
    if "uri" in record:
        record["uri"] = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{record_id}"
    record.update(extensionNumber=number, type="User", status="Enabled")
    if isinstance(record.get("contact"), dict):
        record["contact"]["businessPhone"] = (
            NUMBERS[0].phone_number if caller else f"+1650555{int(number):04d}"
        )
    return record


def cover_pages() -> list[dict[str, Any]]:
    return [{"id": str(index), "name": name} for index, name in enumerate(COVER_PAGES)]


# ------------------------------------------------------------------------------- what was sent


def sent_message(
    kind: str,
    body: Mapping[str, Any],
    files: Sequence[Attachment],
    ids: Records,
    record_id: str,
    base: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The sender's stored record of a message just sent: what was sent, nothing made up
    (``sms.sent-record``, ``fax.sent-record``, ``acct.sent-outbound``)."""
    store = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}/message-store/{record_id}"
    when = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record: dict[str, Any] = {
        "id": int(record_id),
        "uri": store,
        "type": kind,
        "direction": "Outbound",
        "availability": "Alive",
        "priority": "Normal",
        "creationTime": when,
        "lastModifiedTime": when,
    }

    def attachment(kind_: str, content_type: str, **extra: Any) -> dict[str, Any]:
        attachment_id = ids.new_id()
        return {
            "id": int(attachment_id),
            "uri": f"{store}/content/{attachment_id}",
            "type": kind_,
            "contentType": content_type,
            **extra,
        }

    recipients = [r for r in body.get("to") or [] if isinstance(r, dict)]
    if kind == "Fax":
        record.update(readStatus="Unread", messageStatus="Queued", faxPageCount=0)
        record["faxResolution"] = body.get("faxResolution") or "High"
        record["to"] = [
            {"phoneNumber": phone.e164(str(r.get("phoneNumber", ""))), **({"name": r["name"]} if r.get("name") else {}),
             "messageStatus": "Queued"}
            for r in recipients
        ]  # fmt: skip
        for name in ("coverIndex", "coverPageText"):
            if body.get(name) is not None:
                record[name] = body[name]
        record["attachments"] = [attachment("RenderedDocument", "application/pdf")]
        return record
    conversation = ids.new_id()
    record.update(
        conversationId=int(conversation),
        conversation={"id": conversation, "uri": f"{base}/restapi/v1.0/conversation/{conversation}"},
    )
    text = body.get("text")
    record["subject"] = text if isinstance(text, str) else ""
    record["attachments"] = [attachment("Text", "text/plain")]
    if kind == "Pager":
        record.update(readStatus="Read", messageStatus="Sent", pgToDepartment=False)
        record["from"] = {"extensionId": EXTENSION_ID, "extensionNumber": CALLER_NUMBER}
        record["to"] = [
            {k: str(v) for k, v in r.items() if k in ("extensionId", "extensionNumber")} for r in recipients
        ]
        return record
    record.update(readStatus="Read", messageStatus="Queued", smsSendingAttemptsCount=1)
    given = body.get("from")
    sender: Mapping[str, Any] = given if isinstance(given, dict) else {}
    record["from"] = {"phoneNumber": phone.e164(str(sender.get("phoneNumber", "")))}
    record["to"] = [{"phoneNumber": phone.e164(str(r.get("phoneNumber", "")))} for r in recipients]
    for part in files:
        record["attachments"].append(
            attachment(
                "MmsAttachment",
                messaging.type_of(part),
                size=part.size,
                **({"fileName": part.filename} if part.filename else {}),
            )
        )
    return record


# ------------------------------------------------------------------------ rules that need the state


def sms_sender(body: Any, files: Sequence[Attachment]) -> Refusal | None:
    """``from`` must be a number of the caller's with the features the message needs."""
    sender = body.get("from") if isinstance(body, dict) else None
    number = sender.get("phoneNumber") if isinstance(sender, dict) else None
    if not isinstance(number, str):
        return None  # the spec's to refuse
    owned = next((n for n in NUMBERS if phone.same(n.phone_number, number)), None)
    if owned is None:
        return Refusal(messaging.FROM_OWNED, "from")
    if owned.type == "FaxOnly":
        return Refusal(messaging.FROM_FAX, "from")
    if "SmsSender" not in owned.features:
        return Refusal(messaging.FROM_SMS_SENDER, "from")
    if files and "MmsSender" not in owned.features:
        return Refusal(messaging.MMS_SENDER, "from")
    return None


def pager_parties(body: Any, extensions: Mapping[str, dict[str, Any]]) -> Refusal | None:
    """``from`` must be the caller; every ``to`` an extension of the account."""
    if not isinstance(body, dict):
        return None
    sender = body.get("from")
    if isinstance(sender, dict):
        if sender.get("extensionId") not in (None, "", EXTENSION_ID, int(EXTENSION_ID)):
            return Refusal(messaging.PAGER_FROM, "from")
        if sender.get("extensionNumber") not in (None, "", CALLER_NUMBER):
            return Refusal(messaging.PAGER_FROM, "from")
    known_ids = {str(r.get("id")) for r in extensions.values()}
    known_numbers = {str(r.get("extensionNumber")) for r in extensions.values()}
    for recipient in body.get("to") or []:
        if not isinstance(recipient, dict):
            continue
        by_id, by_number = recipient.get("extensionId"), recipient.get("extensionNumber")
        if (by_id is not None and str(by_id) not in known_ids) or (
            by_number is not None and str(by_number) not in known_numbers
        ):
            return Refusal(messaging.PAGER_TO, "to")
    return None


def ringout_parties(body: Any, forwarding: Mapping[str, dict[str, Any]]) -> Refusal | None:
    """A forwarding number must be the user's; a caller id one of its CallerId numbers."""
    if not isinstance(body, dict):
        return None
    sender = body.get("from")
    wanted = sender.get("forwardingNumberId") if isinstance(sender, dict) else None
    if wanted not in (None, "") and str(wanted) not in forwarding:
        return Refusal(ringout.FORWARDING_ID, "forwardingNumberId")
    caller = body.get("callerId")
    number = caller.get("phoneNumber") if isinstance(caller, dict) else None
    if isinstance(number, str) and not any(
        phone.same(n.phone_number, number) and "CallerId" in n.features for n in NUMBERS
    ):
        return Refusal(ringout.CALLER_ID, "callerId")
    return None


def subscription_filters(body: Any) -> Refusal | None:
    rule = other_extension(body.get("eventFilters") if isinstance(body, dict) else None, EXTENSION_ID)
    return Refusal(rule, "eventFilters") if rule else None


# ------------------------------------------------------------------------------ sync tokens


@dataclass
class SyncTokens:
    """Tokens the sandbox issued, with the moment each stands for: one it never issued is refused
    (``clog.sync-bad-token``, ``msgsync.token``). Kept in memory: a restart forgets them, as a token
    that expired would be (RingCentral: a full sync again)."""

    issued: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue(self, moment: float) -> str:
        token = secrets.token_urlsafe(18)
        with self.lock:
            if len(self.issued) > 10_000:
                self.issued.pop(next(iter(self.issued)))
            self.issued[token] = moment
        return token

    def moment(self, token: str) -> float | None:
        with self.lock:
            return self.issued.get(token)


def sync_refusal(operation_id: str, query: Mapping[str, list[str]], tokens: SyncTokens) -> Refusal | None:
    kind = (query.get("syncType") or ["FSync"])[0]
    token = (query.get("syncToken") or [""])[0]
    if kind != "ISync" or not token or tokens.moment(token) is not None:
        return None
    rule = calllog.BAD_TOKEN if operation_id in calllog.SYNC else messaging.SYNC_TOKEN
    return Refusal(rule, "syncToken")


def synced(
    records: Sequence[dict[str, Any]],
    query: Mapping[str, list[str]],
    tokens: SyncTokens,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A sync's records and ``syncInfo``: FSync from ``dateFrom`` on, newest first, at most
    ``recordCount``; ISync what changed since the token's moment (``clog.sync-datefrom``)."""
    kind = (query.get("syncType") or ["FSync"])[0]
    count_text = (query.get("recordCount") or [""])[0]
    count = (
        min(int(count_text), calllog.MAX_SYNC_RECORDS) if count_text.isdigit() else calllog.MAX_SYNC_RECORDS
    )
    since: dt.datetime | None = None
    if kind == "ISync":
        moment = tokens.moment((query.get("syncToken") or [""])[0])
        since = dt.datetime.fromtimestamp(moment, dt.UTC) if moment is not None else None
    else:
        since = _moment((query.get("dateFrom") or [""])[0])
    chosen = [r for r in records if since is None or (_when(r) or now) >= since]
    chosen.sort(key=lambda r: _when(r) or now, reverse=True)
    info = {
        "syncType": kind,
        "syncToken": tokens.issue(now.timestamp()),
        "syncTime": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return chosen[:count], info


def _moment(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _when(record: Mapping[str, Any]) -> dt.datetime | None:
    for name in ("lastModifiedTime", "startTime", "creationTime"):
        if isinstance(record.get(name), str):
            return _moment(record[name])
    return None


# --------------------------------------------------------------------------- the profile image


@dataclass
class ProfileImage:
    """The caller's profile image: none uploaded yet means RingCentral's default one."""

    content: bytes | None = None
    content_type: str = "image/png"


# A grey 1x1 PNG: the default image a user has before uploading one.
DEFAULT_IMAGE = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc8s\xe6\x0c\x00\x04\xcc\x02e9\x9ae,\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class AccountState:
    """What the account keeps besides its records: the caller's image and presence, issued tokens."""

    image: ProfileImage = field(default_factory=ProfileImage)
    presence: dict[str, Any] = field(default_factory=dict)  # what PUT presence set, read back
    tokens: SyncTokens = field(default_factory=SyncTokens)


# --------------------------------------------------------------------- answers from the account


SENDS = {
    "createSMSMessage": "SMS",
    "createMMS": "SMS",  # RingCentral stores an MMS as an SMS with attachments
    "createFaxMessage": "Fax",
    "createInternalTextMessage": "Pager",
}
PROFILE_IMAGE_WRITES = ("createUserProfileImage", "updateUserProfileImage")
SYNCS = ("syncUserCallLog", "syncAccountCallLog", "syncMessages")
MESSAGE_STORE = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store"
CALL_LOG = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log"
ACCOUNT_CALL_LOG = "/restapi/v1.0/account/{accountId}/call-log"


@dataclass(frozen=True, slots=True)
class Call:
    """A request the account may answer itself."""

    operation_id: str
    own: bool  # addressed to the caller's own extension
    params: Mapping[str, str]
    body: Any
    files: tuple[Attachment, ...]
    query: Mapping[str, list[str]]
    base: str
    now: dt.datetime
    contents: tuple[bytes, ...] = ()  # the files' bytes, in the order of ``files``


@dataclass(frozen=True, slots=True)
class Listed:
    """A list answer's records: the store pages them (``acct.paging-consistent``)."""

    records: list[dict[str, Any]]


def answer(call: Call, records: Records, state: AccountState, sample: Any) -> tuple[int, Any] | None:
    """(status, body) for the requests the account answers from its own facts and state; None for
    the store to answer. ``sample`` is the spec's success body, kept where it fits."""
    op = call.operation_id
    if op in SENDS:
        record_id = records.new_id()
        body = call.body if isinstance(call.body, dict) else {}
        record = sent_message(SENDS[op], body, call.files, records, record_id, call.base, call.now)
        records.records(MESSAGE_STORE, OWN, call.base)[record_id] = record
        return 200, record
    if op == "listExtensionPhoneNumbers" and call.own:
        return 200, Listed(phone_numbers(call.base))
    if op == "listFaxCoverPages":
        return 200, Listed(cover_pages())
    if op in PROFILE_IMAGE_WRITES and call.own and call.files:
        content = call.contents[0] if call.contents else None
        state.image = ProfileImage(content, messaging.type_of(call.files[0]))
        return 204, None
    if op == "deleteUserProfileImage" and call.own:
        state.image = ProfileImage()
        return 204, None
    if op == "updateUserPresenceStatus" and call.own and isinstance(call.body, dict):
        state.presence.update(call.body)
        return 200, {**_presence(sample, call.base), **state.presence}
    if op == "readUserPresenceStatus" and call.own:
        return 200, {**_presence(sample, call.base), **state.presence}
    if op in SYNCS:
        collection = {"syncUserCallLog": CALL_LOG, "syncAccountCallLog": ACCOUNT_CALL_LOG}.get(
            op, MESSAGE_STORE
        )
        found, info = synced(
            list(records.records(collection, call.params, call.base).values()),
            call.query,
            state.tokens,
            call.now,
        )
        body = {k: v for k, v in (sample or {}).items() if k not in ("records", "syncInfo")}
        return 200, {**body, "records": found, "syncInfo": info}
    if op == "authWsToken":
        # A single-use token for the WebSocket the sandbox does not serve; 30 s, as the guide shows.
        socket = "ws" + call.base.removeprefix("http")
        return 200, {"ws_access_token": secrets.token_urlsafe(24), "uri": f"{socket}/ws", "expires_in": 30}
    if op == "createRingOutCall":
        ringout_id = records.new_id()
        uri = f"{call.base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}/ring-out/{ringout_id}"
        status = {"callStatus": "InProgress", "callerStatus": "InProgress", "calleeStatus": "InProgress"}
        record = {"id": ringout_id, "uri": uri, "status": status}
        records.records("/restapi/v1.0/account/{accountId}/extension/{extensionId}/ring-out", OWN, call.base)[
            ringout_id
        ] = record
        return 200, record
    return None


def _presence(sample: Any, base: str) -> dict[str, Any]:
    """The caller's presence: the spec's shape, without the sample's made-up words and calls."""
    body = copy.deepcopy(sample) if isinstance(sample, dict) else {}
    body.pop("activeCalls", None)
    body["message"] = ""
    body.update(userStatus="Available", dndStatus="TakeAllCalls", presenceStatus="Available")
    body["uri"] = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}/presence"
    if isinstance(body.get("extension"), dict):
        body["extension"].update(id=int(EXTENSION_ID), extensionNumber=CALLER_NUMBER)
        body["extension"]["uri"] = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}"
    return body


def refusal(call: Call, records: Records, state: AccountState) -> Refusal | None:
    """The first rule that needs the account's state and that the request breaks, or None."""
    op = call.operation_id
    if op in ("createSMSMessage", "createMMS"):
        return sms_sender(call.body, call.files)
    if op == "createInternalTextMessage":
        return pager_parties(call.body, records.records(EXTENSIONS, call.params, call.base))
    if op == "createRingOutCall":
        return ringout_parties(call.body, records.records(FORWARDING, OWN, call.base))
    if op in SYNCS:
        return sync_refusal(op, call.query, state.tokens)
    if op in ("createSubscription", "updateSubscription"):
        return subscription_filters(call.body)
    return None


def default_window(
    collection: str, records: list[dict[str, Any]], query: Mapping[str, list[str]], now: dt.datetime
) -> list[dict[str, Any]]:
    """A message or call list read without ``dateFrom`` shows the last 24 hours, and a message list
    without ``availability`` only Alive messages (``msg.list-window``, ``clog.list-window``)."""
    if collection not in (MESSAGE_STORE, CALL_LOG, ACCOUNT_CALL_LOG):
        return records
    if not query.get("dateFrom"):
        since = now - dt.timedelta(hours=24)
        records = [r for r in records if (_when(r) or now) >= since]
    if collection == MESSAGE_STORE and not query.get("availability"):
        records = [r for r in records if r.get("availability", "Alive") == "Alive"]
    return records


def deleted(record: dict[str, Any], purge: bool) -> bool:
    """A message's DELETE: the first moves it to Deleted, the second (or ``purge=true``) purges it,
    which the store then forgets (``msg.delete-twice``). True when the record is to be dropped."""
    if purge or record.get("availability") != "Alive":
        return True
    record["availability"] = "Deleted"
    return False


# Where the spec's samples say RingCentral's own hosts, an answer says the sandbox's (acct.nav-self-base).
RINGCENTRAL_HOSTS = ("https://platform.ringcentral.com", "https://media.ringcentral.com")


def rebased(value: Any, base: str) -> Any:
    """``value`` with every link on RingCentral's hosts moved onto ``base``."""
    if isinstance(value, str):
        for host in RINGCENTRAL_HOSTS:
            if value.startswith(host):
                return base + value[len(host) :]
        return value
    if isinstance(value, dict):
        return {k: rebased(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [rebased(v, base) for v in value]
    return value
