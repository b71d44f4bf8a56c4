"""RingCentral's rules beyond its spec, in one place: what the server enforces that the spec does not
write, and how it answers valid requests, each with its public source.

One module per area holds its rules as data and, beside each rule a request alone decides, the
check that enforces it. Everything that judges a request reads them from here: ``rcgrad check``
and the sandbox through the request validator (``violations``, ``relaxed``), the sandbox's account
for the rules that need its state (by rule id), ``plan init`` and ``plan scan`` (event filters,
bodies that pass), and the verdict (``permission``: the permission a call is made under, which may
depend on its body). docs/ringcentral.md lists them. Pure data and pure functions: no I/O.
"""

from __future__ import annotations

from typing import Any

from runner.rc.rules import (
    account,
    bulk,
    callcontrol,
    calllog,
    contacts,
    extensions,
    messaging,
    multipart,
    presence,
    ringout,
    subscriptions,
    teammessaging,
)
from runner.rc.rules.base import Attachment, Check, Confidence, Enforced, Hit, Relax, RequestView, Rule

__all__ = ["RULES", "Attachment", "Confidence", "Enforced", "Hit", "Rule", "rule", "violations"]

AREAS = {
    "Subscriptions and webhooks": subscriptions.AREA,
    "Messaging, phone numbers and senders": messaging.AREA,
    "Bulk requests": bulk.AREA,
    "Call log": calllog.AREA,
    "Presence": presence.AREA,
    "Extensions, profile image and media": extensions.AREA,
    "Contacts": contacts.AREA,
    "RingOut": ringout.AREA,
    "Call control": callcontrol.AREA,
    "Team messaging": teammessaging.AREA,
    "A coherent account": account.AREA,
    "Multipart bodies and content types": multipart.AREA,
}
RULES: tuple[Rule, ...] = tuple(r for area in AREAS.values() for r in area.rules)
_BY_ID = {r.id: r for r in RULES}
_CHECKS: dict[str, list[Check]] = {}
_RELAX: dict[str, Relax] = {}
for _area in AREAS.values():
    for _op, _functions in _area.checks.items():
        _CHECKS.setdefault(_op, []).extend(_functions)
    _RELAX.update(_area.relaxations)


def rule(rule_id: str) -> Rule:
    return _BY_ID[rule_id]


def violations(operation_id: str, request: RequestView) -> list[Hit]:
    """The static rules ``request`` breaks: those a request alone decides."""
    return [hit for check in _CHECKS.get(operation_id, ()) for hit in check(request)]


def relaxed(operation_id: str, request: RequestView) -> frozenset[str]:
    """Fields the spec marks required that RingCentral does not require of this request."""
    relax = _RELAX.get(operation_id)
    return relax(request) if relax is not None else frozenset()


def permission(operation_id: str, spec_permission: str | None, body: Any) -> str | None:
    """The permission a call is made under: the spec's, or the one a rule gives it by its body (a
    WebHook subscription create needs SubscriptionWebhook)."""
    if operation_id == subscriptions.CREATE:
        return subscriptions.permission(body) or spec_permission
    return spec_permission


def depends_on_body(operation_id: str) -> bool:
    """True when the permission of a call to this operation depends on its body."""
    return operation_id == subscriptions.CREATE
