"""The personal address book: phone fields, limits, and a book that reads back what was written.
Pure data and checks: no I/O."""

from __future__ import annotations

import re
from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    EXPLORER_2018,
    EXTENSIBLE_SDK,
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
WRITES = ("createContact", "updateContact", "patchContact")
PHONE_FIELDS = (
    "homePhone", "homePhone2", "businessPhone", "businessPhone2", "mobilePhone", "businessFax",
    "companyPhone", "assistantPhone", "carPhone", "otherPhone", "otherFax", "callbackPhone",
)  # fmt: skip
MAX_DIGITS = 15
MAX_SHORT_FIELD = 64


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


UNPARSABLE = _rule(
    id="contact.phone-parse",
    operations=WRITES,
    when="a phone field holds letters or nothing a phone number can be read from",
    status=400,
    code="PAB-102",
    message="Parameter [{parameter}] is invalid. Failed to parse phone number.",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="only text with letters (or no digit at all) is refused: RingCentral reads numbers in many"
    " forms (dialingPlan), and a DTMF tail after a comma is allowed",
)
TOO_LONG = _rule(
    id="contact.phone-long",
    operations=WRITES,
    when="a phone field's number (before any comma) has more than 15 digits",
    status=400,
    code="PAB-103",
    message="Parameter [{parameter}] is invalid. The phone number is too long.",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
SHORT_FIELDS = _rule(
    id="contact.64",
    operations=WRITES,
    when="ringtoneIndex or appInfo is over 64 characters",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] value is invalid",
    sources=(API_REFERENCE + "External-Contacts/createContact",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the limit is the spec's prose; the code is inferred",
)
_rule(
    id="contact.limit-10000",
    operations=("createContact",),
    when="the address book already holds 10,000 contacts",
    status=400,
    code=None,
    message=None,
    sources=(API_REFERENCE + "External-Contacts/updateFavoriteContactList",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.NOT_MODELLED,
    note="no code is documented; a rehearsal creates and deletes a few",
)
_rule(
    id="contact.unknown",
    operations=("readContact", "updateContact", "patchContact", "deleteContact"),
    when="the contact id names no contact",
    status=404,
    code="CMN-102",
    message="Resource for parameter [contactId] is not found",
    sources=(REFERENCE_2021,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="contact.crud-coherent",
    operations=("createContact", "listContacts", "updateContact", "deleteContact"),
    when="a contact is created, listed, changed and deleted",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (ContactTest.cs)",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the list counts it, a read shows the change, a delete removes it",
)
_rule(
    id="contact.empty-default",
    operations=("listContacts",),
    when="a new account's address book is read",
    status=None,
    code=None,
    message=None,
    sources=(EXTENSIBLE_SDK + " (address-book.spec.ts)",),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's account is not new: its book holds a few contacts, as a used one would",
)


@AREA.check(*WRITES)
def _phones(request: RequestView) -> list[Hit]:
    hits = []
    for name in PHONE_FIELDS:
        value = text(field_of(request.body, name))
        if value is None or value == "":
            continue
        number = re.split(r"[,;]", value, maxsplit=1)[0]
        if re.search(r"[A-Za-z]", number) or not re.search(r"\d", number):
            hits.append(Hit(UNPARSABLE, f"json.{name}", name))
        elif len(re.sub(r"\D", "", number)) > MAX_DIGITS:
            hits.append(Hit(TOO_LONG, f"json.{name}", name))
    for name in ("ringtoneIndex", "appInfo"):
        value = text(field_of(request.body, name))
        if value is not None and len(value) > MAX_SHORT_FIELD:
            hits.append(Hit(SHORT_FIELDS, f"json.{name}", name))
    return hits
