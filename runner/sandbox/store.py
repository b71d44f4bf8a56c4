"""Stateful resources: what a POST creates, a GET reads, a PUT/PATCH changes and a DELETE removes.

Records live in collections keyed by the collection's path template and its concrete parent ids
(``~`` and the account's or extension's own id address the same ones). List responses keep the
catalog's envelope (records, paging, navigation) around the stored records, so generated clients
parse them. Seed data lets read-only plans succeed: a message store with faxes carrying PDF
attachments, a call log, contacts, the caller among the extensions. What the account answers from
its own facts (what was sent, its numbers, sync tokens, the profile image) is ``account``'s; links
on RingCentral's hosts move to the sandbox's. This module must never do I/O beyond its optional JSON dump.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from runner.clock import Clock, SystemClock
from runner.rc import wire
from runner.rc.catalog import Operation, load_catalog
from runner.rc.rules.base import Attachment
from runner.sandbox import account, errors, listing
from runner.sandbox.fitting import NO_RULES, merge
from runner.sandbox.oauth import ACCOUNT_ID, EXTENSION_ID
from runner.sandbox.samples import body_of, field_rules_of, max_records_of

OWN_IDS = {"accountId": ACCOUNT_ID, "extensionId": EXTENSION_ID}
MESSAGE_STORE = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store"
CALL_LOG = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log"
SEED_MESSAGES = 36  # every sixth one an outbound SMS, the rest inbound faxes, newest first
SEED_RECORDS = 3
TIME_FIELDS = ("creationTime", "lastModifiedTime", "startTime")
SEED_SPACING = dt.timedelta(minutes=20)  # seeded records are this far apart, all within the last day
NO_QUERY: Mapping[str, list[str]] = {}

# A tiny, valid one-page PDF: what a fax attachment download returns.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A response body already encoded as JSON."""

    body: bytes


def normalise(params: Mapping[str, str]) -> dict[str, str]:
    """``~`` and the own account/extension id are one and the same."""
    out = {}
    for name, value in params.items():
        if name in OWN_IDS and value in ("~", OWN_IDS[name]):
            value = "~"
        out[name] = str(value)
    return out


def item_parent(template: str) -> tuple[str, str] | None:
    """(collection template, id parameter) when the template ends in an id segment."""
    head, _, last = template.rpartition("/")
    if last.startswith("{") and last.endswith("}"):
        return head, last[1:-1]
    return None


class Store:
    """The sandbox's records. ``base`` (the URL the request came to) only builds ``uri`` fields."""

    def __init__(self, seed: int = 0, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()  # the sandbox's: a rehearsal's day, a test's moment
        self._collections: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, dict[str, Any]]] = {}
        self._ids = itertools.count(10_000_001)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._encoded: dict[tuple[str, str, tuple[tuple[str, str], ...]], Encoded] = {}
        catalog = load_catalog()
        self.collections = {p[0] for op in catalog.operations if (p := item_parent(op.path))}
        self._item_sample: dict[str, Any] = {}
        for op in catalog.operations:
            parent = item_parent(op.path)
            if op.method == "GET" and parent:
                self._item_sample[parent[0]] = body_of(op)
        # The spec bounds a few lists (subscriptions: 30 per user and app); creating past the
        # bound is refused, as the server refuses it, rather than served as a list too long.
        self._caps = {
            op.path: most
            for op in catalog.operations
            if op.method == "GET" and op.path in self.collections and (most := max_records_of(op))
        }
        # The caller's image, presence and issued sync tokens (runner.sandbox.account).
        self.account = account.AccountState()

    # -- addressing -------------------------------------------------------------------------------

    def _key(self, collection: str, params: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
        names = [seg[1:-1] for seg in collection.split("/") if seg.startswith("{")]
        norm = normalise(params)
        return collection, tuple((n, norm.get(n, "~")) for n in names)

    def _records(
        self, collection: str, params: Mapping[str, str], base: str = ""
    ) -> dict[str, dict[str, Any]]:
        key = self._key(collection, params)
        records = self._collections.get(key)
        if records is None:
            records = self._collections[key] = self._seed(collection, params, base)
        return records

    def new_id(self) -> str:
        return str(next(self._ids))

    @property
    def lock(self) -> threading.Lock:
        """Held while a request reads or changes records."""
        return self._lock

    def records(
        self, collection: str, params: Mapping[str, str], base: str = ""
    ) -> dict[str, dict[str, Any]]:
        """A collection's records (``account.Records``): call with the lock held, as ``handle`` does."""
        return self._records(collection, params, base)

    # -- operations -------------------------------------------------------------------------------

    def unknown_path_id(
        self, template: str, params: Mapping[str, str], base: str = ""
    ) -> tuple[str, str] | None:
        """The first id in the path that names nothing, as (parameter, value); None when all do.

        Only the caller's own account exists (``~`` or its id); an extension or any other parent
        (``/webhooks/{id}/activate``) must be a record of its collection. The last id is left to
        ``handle``, which also reads comma-separated lists there.
        """
        segments = template.split("/")
        with self._lock:
            for index, segment in enumerate(segments[:-1]):
                if not (segment.startswith("{") and segment.endswith("}")):
                    continue
                name = segment[1:-1]
                value = str(params.get(name, ""))
                if name in OWN_IDS and value in ("~", OWN_IDS[name]):
                    continue
                if name == "accountId":
                    return name, value
                parent = "/".join(segments[:index])
                if parent in self.collections and value not in self._records(parent, params, base):
                    return name, value
            if segments[-1] == "{accountId}" and not _own("accountId", params):
                return "accountId", str(params.get("accountId", ""))
        return None

    def handle(
        self,
        op: Operation,
        params: Mapping[str, str],
        body: Any,
        *,
        base: str = "",
        query: Mapping[str, list[str]] = NO_QUERY,
        files: tuple[Attachment, ...] = (),
        contents: tuple[bytes, ...] = (),
    ) -> tuple[int, Any]:
        """(status, JSON body or None) for a validated, authorised request."""
        with self._lock:
            parent = item_parent(op.path)
            asked = account.Call(
                op.id, _own("extensionId", params), params, body, files, query, base, self._now(), contents
            )
            answered = account.answer(asked, self, self.account, body_of(op))
            if answered is not None:
                status, payload = answered
                if isinstance(payload, account.Listed):
                    payload = listing.page(
                        account.rebased(body_of(op), base),
                        payload.records,
                        query,
                        base + concrete(op.path, params),
                    )
                return status, payload
            if parent and parent[0] == account.EXTENSIONS and _own(parent[1], params):
                # The caller is a record of the extension list: a PUT is read back (ext.put-persists).
                return self._item(
                    op, parent[0], parent[1], {**params, parent[1]: EXTENSION_ID}, body, base, query
                )
            if parent and parent[0] in self.collections and not _own(parent[1], params):
                return self._item(op, parent[0], parent[1], params, body, base, query)
            if op.method == "POST" and op.path in self.collections:
                cap = self._caps.get(op.path)
                if cap is not None and len(self._records(op.path, params, base)) >= cap:
                    return 403, errors.subscriptions_limit_exceeded()
                sample = self._item_sample.get(op.path, body_of(op))
                return op.response.status, self._create(
                    op.path, params, body, sample, base, field_rules_of(op)
                )
            if op.method == "GET" and op.path in self.collections and isinstance(body_of(op), dict):
                return op.response.status, self._listing(op, params, base, query)
            return op.response.status, self._sample(op, params, body, base, query)

    def _item(
        self,
        op: Operation,
        collection: str,
        id_name: str,
        params: Mapping[str, str],
        body: Any,
        base: str,
        query: Mapping[str, list[str]] = NO_QUERY,
    ) -> tuple[int, Any]:
        records = self._records(collection, params, base)
        wanted = str(params.get(id_name, ""))
        ids = wanted.split(",") if op.method in ("GET", "DELETE") and "," in wanted else [wanted]
        missing = [i for i in ids if i not in records]
        if missing:
            return 404, (wire.RESOURCE_NOT_FOUND, id_name, missing[0])
        if op.method == "DELETE":
            purge = (query.get("purge") or ["false"])[0] == "true"
            for i in ids:
                if collection != MESSAGE_STORE or account.deleted(records[i], purge):
                    records.pop(i, None)
            # The status the spec documents: 204, or 200 with or without a body.
            answer = None if op.response.content_type is None else self._fresh_sample(op, params, None, base)
            return op.response.status, answer
        record = records[ids[0]]
        if op.method in ("PUT", "PATCH") and isinstance(body, dict):
            merge(record, body, field_rules_of(op))
        if op.method == "GET" and not isinstance(body_of(op), dict):
            return op.response.status, self._fresh_sample(op, params, body, base)
        return op.response.status, record

    def _create(
        self,
        collection: str,
        params: Mapping[str, str],
        body: Any,
        sample: Any,
        base: str,
        rules: Mapping[str, dict[str, Any]] = NO_RULES,
    ) -> dict[str, Any]:
        record = copy.deepcopy(sample) if isinstance(sample, dict) else {}
        if isinstance(body, dict):
            merge(record, body, rules)
        record_id = self.new_id()
        self._identify(record, collection, params, record_id, base)
        for name in ("creationTime", "lastModifiedTime"):
            if name in record:
                record[name] = _iso(self._now())
        self._records(collection, params, base)[record_id] = record
        return record

    def _identify(
        self, record: dict[str, Any], collection: str, params: Mapping[str, str], record_id: str, base: str
    ) -> None:
        """The record's ``id`` in the type its schema gives, and a ``uri`` that reads it back."""
        record["id"] = int(record_id) if isinstance(record.get("id"), int) else record_id
        if "uri" in record:
            record["uri"] = f"{base}{concrete(collection, params)}/{record_id}"

    def _listing(
        self, op: Operation, params: Mapping[str, str], base: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        sample = account.rebased(body_of(op), base)
        kept = account.default_window(
            op.path, list(self._records(op.path, params, base).values()), query, self._now()
        )
        records = listing.select(kept, query)
        body = listing.page(sample, records, query, base + concrete(op.path, params))
        listed = sample.get("records") or [{}]
        if isinstance(listed[0], dict) and isinstance(listed[0].get("id"), int) != _int_id(records):
            # The list schema types the id unlike the item schema the records follow (A2P SMS).
            body["records"] = [_id_as(record, listed[0].get("id")) for record in body["records"]]
        return body

    def _sample(
        self, op: Operation, params: Mapping[str, str], body: Any, base: str, query: Mapping[str, list[str]]
    ) -> Any:
        sample = body_of(op)
        if op.method == "GET" and isinstance(sample, dict) and isinstance(sample.get("records"), list):
            # A list the sandbox keeps no records of: its sample's records, paged as they are.
            fresh = self._fresh_sample(op, params, None, base)
            return listing.page(fresh, fresh["records"], query, base + concrete(op.path, params))
        if op.method == "GET":
            # Read-only answers never change: encode once (copying a large sample per request was
            # most of the sandbox's time).
            key = (op.id, base, tuple(sorted(normalise(params).items())))
            cached = self._encoded.get(key)
            if cached is None:
                cached = Encoded(json.dumps(self._fresh_sample(op, params, None, base)).encode())
                if len(self._encoded) < 4096:
                    self._encoded[key] = cached
            return cached
        return self._fresh_sample(op, params, body, base)

    def _fresh_sample(self, op: Operation, params: Mapping[str, str], body: Any, base: str) -> Any:
        sample = account.rebased(body_of(op), base)
        if isinstance(sample, dict):
            # A search's body is a question, not a record: only a write shows up in its answer.
            if op.is_write and isinstance(body, dict):
                merge(sample, body, field_rules_of(op))
            parent = item_parent(op.path)
            if parent and _own(parent[1], params):
                # The caller's own account or extension: its real ids, in the schema's type.
                own = OWN_IDS[parent[1]]
                sample["id"] = int(own) if isinstance(sample.get("id"), int) else own
                if "uri" in sample:
                    sample["uri"] = base + concrete(op.path, params)
        return sample

    def attachment(self, params: Mapping[str, str], base: str = "") -> bytes | None:
        with self._lock:
            message = self._records(MESSAGE_STORE, params, base).get(str(params.get("messageId", "")))
        if message is None:
            return None
        ids = {str(a.get("id")) for a in message.get("attachments", []) if isinstance(a, dict)}
        return PDF_BYTES if str(params.get("attachmentId")) in ids else None

    # -- seed data --------------------------------------------------------------------------------

    def _seed(self, collection: str, params: Mapping[str, str], base: str) -> dict[str, dict[str, Any]]:
        sample = self._item_sample.get(collection)
        if not isinstance(sample, dict):
            return {}
        sample = account.rebased(sample, base)
        if collection == account.SUBSCRIPTIONS:
            return {}  # the app has made none yet: each is made through the validation handshake
        if collection == account.EXTENSIONS:
            # The caller (101) and three colleagues (ext.list-includes-caller).
            seeded = [(EXTENSION_ID, account.CALLER_NUMBER)] + [
                (self.new_id(), str(102 + i)) for i in range(3)
            ]
            return {
                i: account.extension_record(sample, i, number, base, i == EXTENSION_ID)
                for i, number in seeded
            }
        now = self._now()
        count = SEED_MESSAGES if collection == MESSAGE_STORE else SEED_RECORDS
        named = sample.get("id")
        if isinstance(named, str) and not named.isdigit():
            count = 1  # an id from an enum (``work-hours``): the one record the spec names
        records: dict[str, dict[str, Any]] = {}
        for index in range(count):
            record = copy.deepcopy(sample)
            record_id = (
                named if count == 1 and isinstance(named, str) and not named.isdigit() else self.new_id()
            )
            self._identify(record, collection, params, record_id, base)
            for name in TIME_FIELDS:
                if name in record:
                    record[name] = _iso(now - SEED_SPACING * (index + 1))
            if collection == MESSAGE_STORE:
                self._message(record, record_id, index, base)
            elif collection == CALL_LOG and "direction" in record:
                record["direction"] = ("Inbound", "Outbound")[index % 2]
            records[record_id] = record
        return records

    def _message(self, record: dict[str, Any], record_id: str, index: int, base: str) -> None:
        """A received fax with its PDF, or (every sixth) a sent SMS: the inbox a plan reads."""
        attachment_id = self.new_id()
        content = f"{base}/restapi/v1.0/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}/message-store/{record_id}/content/{attachment_id}"
        if index % 6 == 5:
            record.update(type="SMS", direction="Outbound", messageStatus="Delivered", readStatus="Read")
            attachment = {"type": "Text", "contentType": "text/plain", "fileName": f"sms-{record_id}.txt"}
            record.pop("faxPageCount", None)
            record.pop("faxResolution", None)
        else:
            record.update(
                type="Fax", direction="Inbound", messageStatus="Received", readStatus="Unread", faxPageCount=1
            )
            attachment = {
                "type": "RenderedDocument",
                "contentType": "application/pdf",
                "fileName": f"fax-{record_id}.pdf",
            }
        record["attachments"] = [
            {"id": int(attachment_id), "uri": content, **attachment, "size": len(PDF_BYTES)}
        ]
        # The sample's made-up failures and forwards: a message that went through plainly carries
        # no error codes, no forwarding and no voicemail recipients.
        for made_up in ("deliveryErrorCode", "forwarding", "vmSideRecipients"):
            record.pop(made_up, None)
        for party in record.get("to") or []:
            if isinstance(party, dict):
                party.pop("faxErrorCode", None)

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock.time(), dt.UTC)

    def dump(self) -> list[Any]:
        with self._lock:
            return [[c, list(p), list(r.items())] for (c, p), r in self._collections.items()]

    def load(self, data: list[Any]) -> None:
        for collection, params, records in data:
            self._collections[(collection, tuple(tuple(x) for x in params))] = dict(records)
        highest = max((int(k) for r in self._collections.values() for k in r if k.isdigit()), default=0)
        self._ids = itertools.count(max(10_000_001, highest + 1))


def _own(id_name: str, params: Mapping[str, str]) -> bool:
    """``/extension/~`` reads the caller's own extension: always there, never in a collection."""
    return id_name in OWN_IDS and params.get(id_name) in ("~", OWN_IDS[id_name])


def concrete(template: str, params: Mapping[str, str]) -> str:
    """The template with its parameters filled in; ``~`` as the own account's or extension's id.
    Each value is one percent-encoded segment, so a link built from it is a URI whatever was sent."""
    out = template
    for name, value in params.items():
        if name in OWN_IDS and value == "~":
            value = OWN_IDS[name]
        out = out.replace("{" + name + "}", quote(str(value), safe="~,:@!$&'()*+;="))
    return out


def _int_id(records: list[dict[str, Any]]) -> bool:
    return bool(records) and isinstance(records[0].get("id"), int)


def _id_as(record: dict[str, Any], like: Any) -> dict[str, Any]:
    value = record.get("id")
    if isinstance(like, int) and isinstance(value, str) and value.isdigit():
        return {**record, "id": int(value)}
    if isinstance(like, str) and isinstance(value, int):
        return {**record, "id": str(value)}
    return record


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
