"""Subscriptions and webhooks: event filters, the WebHook address and its validation handshake, the
scopes a subscription needs, renewals and limits.

Also the event filters RingCentral documents (``EVENT_FILTERS``), with the permission each needs,
which ``plan init`` writes subscriptions from. Pure data and checks: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from runner.rc.rules.base import (
    API_REFERENCE,
    EXPLORER_2018,
    EXTENSIBLE_SDK,
    GUIDE,
    PYTHON_SDK,
    REFERENCE_2021,
    SPEC,
    Area,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
    field_of,
    items,
    text,
)
from runner.rc.scopes import SUBSCRIPTION_WEBHOOK

AREA = Area()
WEBHOOKS = GUIDE + "notifications/webhooks/creating-webhooks"
EVENT_FILTER_INDEX = GUIDE + "notifications/event-filters"
CREATE = "createSubscription"
UPDATE = "updateSubscription"
RENEW = "renewSubscription"
BY_ID = ("readSubscription", UPDATE, "deleteSubscription", RENEW)
MAX_SUBSCRIPTIONS = 30
MAX_WEBHOOK_SECONDS = 315_360_000  # ten years
VALIDATION_SECONDS = 3.0
VALIDATION_TOKEN = "Validation-Token"  # the header RingCentral sends, which the address must echo
VERIFICATION_TOKEN = "Verification-Token"  # the subscription's verificationToken, on each request
MAX_VALIDATION_RESPONSE = 1024  # bytes, headers and body together
REMINDER = "/restapi/v1.0/subscription/~"

# The event filters RingCentral's guide lists (its event filter index and one page per event), as
# path templates, with the permission each event needs where the page names one. A filter may add
# a query (``?type=SMS``, ``?detailedTelephonyState=true``).
EVENT_FILTERS: dict[str, str | None] = {
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store/instant": "ReadMessages",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store": "ReadMessages",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/fax": "ReadMessages",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/voicemail": "ReadMessages",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence/line": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence/line/presence": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence/dnd": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/favorite/presence": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/favorite": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/grant": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}/telephony/sessions": "CallControl",
    "/restapi/v1.0/account/{accountId}/extension/{extensionId}": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/extension": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/presence": "ReadPresence",
    "/restapi/v1.0/account/{accountId}/telephony/sessions": "CallControl",
    "/restapi/v1.0/account/{accountId}/directory/entries": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/phone-number": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/device/{deviceId}/emergency-address": "ReadAccounts",
    "/restapi/v1.0/account/{accountId}/a2p-sms/batches": "A2PSMS",
    "/restapi/v1.0/account/{accountId}/a2p-sms/batches/{batchId}": "A2PSMS",
    "/restapi/v1.0/account/{accountId}/a2p-sms/messages": "A2PSMS",
    "/restapi/v1.0/account/{accountId}/a2p-sms/opt-outs": "A2PSMS",
    "/restapi/v1.0/account/{accountId}/call-queues/{groupId}/presence": "ReadPresence",
    "/team-messaging/v1/posts": "TeamMessaging",
    "/team-messaging/v1/groups": "TeamMessaging",
    "/team-messaging/v1/chats": "TeamMessaging",
    "/restapi/v1.0/glip/posts": "TeamMessaging",
    "/restapi/v1.0/glip/groups": "TeamMessaging",
    REMINDER: None,
}
# The filter ``plan init`` subscribes to for an app with these scopes, most fitting first.
FILTER_FOR_SCOPE: dict[str, str] = {
    "SMS": "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
    "ReadMessages": "/restapi/v1.0/account/~/extension/~/message-store",
    "Faxes": "/restapi/v1.0/account/~/extension/~/fax?direction=Inbound",
    "ReadPresence": "/restapi/v1.0/account/~/extension/~/presence",
    "EditPresence": "/restapi/v1.0/account/~/extension/~/presence",
    "CallControl": "/restapi/v1.0/account/~/extension/~/telephony/sessions",
    "ReadAccounts": "/restapi/v1.0/account/~/extension/~",
    "TeamMessaging": "/team-messaging/v1/posts",
}
# Where every event filter lives; a path outside them is no event filter at all.
# ``/account/...`` is the short form the SDKs let an app write (they add /restapi/v1.0 to paths).
_FILTER_ROOTS = (
    "/restapi/",
    "/account/",
    "/team-messaging/",
    "/webinar/",
    "/ai/",
    "/cx/",
    "/rcvideo/",
    "/analytics/",
)
# Hosts that can never answer: reserved for documentation and tests (RFC 2606, RFC 6761).
_RESERVED = re.compile(r"(^|\.)(example\.(com|net|org)|example|invalid|test|localhost)$")


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


WEBHOOK_SCOPE = _rule(
    id="sub.webhook-scope",
    operations=(CREATE,),
    when="a WebHook subscription is created by an app without the SubscriptionWebhook permission",
    status=403,
    code="CMN-401",
    top="InsufficientPermissions",
    message="In order to call this API endpoint, application needs to have [SubscriptionWebhook] permission",
    sources=(GUIDE + "basics/changelog/1_0_29", GUIDE + "basics/permissions"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the permission is the operation's plus this rule: a WebHook create is a call under"
    " SubscriptionWebhook, in check, the sandbox's 403 and the ledger's permission column; the"
    " error's shape is the general one for a missing permission (inferred)",
)
NOT_REACHABLE = _rule(
    id="sub.webhook-validate",
    operations=(CREATE,),
    when="the WebHook address does not answer the validation request within 3 seconds",
    status=400,
    code="SUB-521",
    message="WebHook is not reachable",
    sources=(WEBHOOKS, "https://github.com/ringcentral/ringcentral-csharp-client (WebHookTest.cs)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="the sandbox POSTs the validation request (Validation-Token) to loopback addresses; check"
    " refuses addresses reserved for documentation (example.com, .invalid, .test), which never answer",
)
NO_ECHO = _rule(
    id="sub.webhook-no-echo",
    operations=(CREATE,),
    when="the address answers the validation request without echoing the Validation-Token header",
    status=400,
    code="SUB-520",
    message="Validation Token is not returned",
    sources=(REFERENCE_2021, WEBHOOKS),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
    note="the FAQ words this case as SUB-521; RingCentral's 2021 reference lists SUB-520",
)
BAD_STATUS = _rule(
    id="sub.webhook-status",
    operations=(CREATE,),
    when="the address answers the validation request with a status other than 200",
    status=400,
    code="SUB-522",
    message="WebHook responds with incorrect HTTP status. HTTP status is {parameter}",
    sources=(WEBHOOKS, EXPLORER_2018),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
TOO_BIG = _rule(
    id="sub.webhook-size",
    operations=(CREATE,),
    when="the validation answer is over 1024 bytes, headers and body together",
    status=400,
    code="SUB-525",
    message="WebHook server response is invalid",
    sources=(WEBHOOKS,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
HTTPS = _rule(
    id="sub.webhook-https",
    operations=(CREATE,),
    when="the WebHook address is plain http:// (a loopback address is the local rehearsal's own)",
    status=400,
    code="SUB-523",
    message="HTTPS is required",
    sources=(REFERENCE_2021, "https://github.com/ringcentral/RingCentral.Net (WebHookTest.cs)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="sub.webhook-address-required",
    operations=(CREATE,),
    when="a WebHook subscription has no deliveryMode.address",
    status=400,
    code="CMN-101",
    message="Parameter [deliveryMode.address] value is invalid",
    sources=(API_REFERENCE + "Subscriptions/createSubscription",),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)
LIMIT = _rule(
    id="sub.limit-30",
    operations=(CREATE,),
    when="the user already holds 30 subscriptions of this app",
    status=403,
    code="SUB-505",
    message="Subscriptions limit exceeded",
    sources=(API_REFERENCE + "Subscriptions/createSubscription", GUIDE + "basics/errors"),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
    note="an older community article says 20; the spec says 30",
)
_rule(
    id="sub.expires-max",
    operations=(CREATE, UPDATE),
    when="a WebHook's expiresIn is over ten years (315,360,000 s)",
    status=None,
    code=None,
    message=None,
    sources=(SPEC,),
    confidence=Confidence.LOW,
    enforced=Enforced.ANSWER,
    note="undocumented whether RingCentral clamps or refuses (630,720,000 was once accepted): the"
    " sandbox accepts it and keeps ten years",
)
_rule(
    id="sub.put-empty-renews",
    operations=(UPDATE,),
    when="a PUT to a subscription has an empty body (or {})",
    status=None,
    code=None,
    message=None,
    sources=(SPEC, WEBHOOKS),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="it renews the subscription; the schema's required eventFilters is not applied to {}",
)
_rule(
    id="sub.put-ignores-extra",
    operations=(UPDATE,),
    when="a PUT to a subscription carries fields other than eventFilters and expiresIn",
    status=None,
    code=None,
    message=None,
    sources=(SPEC,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
)
_rule(
    id="sub.renew-empty",
    operations=(RENEW,),
    when="a subscription is renewed",
    status=None,
    code=None,
    message=None,
    sources=(SPEC,),
    confidence=Confidence.HIGH,
    enforced=Enforced.ACCEPTED,
    note="the request has no body",
)
_rule(
    id="sub.ws-no-http-update",
    operations=(UPDATE, RENEW),
    when="a WebSocket subscription is changed over HTTP",
    status=400,
    code=None,
    message=None,
    sources=(SPEC,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.NOT_MODELLED,
    note="a WebSocket subscription is made over the socket, which the sandbox does not serve; over"
    " HTTP the spec's schema admits only WebHook",
)
ONLY_REMINDER = _rule(
    id="sub.only-reminder",
    operations=(CREATE,),
    when="the only event filter is the renewal reminder (/restapi/v1.0/subscription/~?threshold=...)",
    status=400,
    code="SUB-515",
    message="Subscription containing only reminder filter is not allowed",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
)
REMINDER_PARAMS = _rule(
    id="sub.reminder-params",
    operations=(CREATE, UPDATE),
    when="a reminder's threshold is over half the subscription's lifetime, or its interval over half"
    " the threshold",
    status=400,
    code="SUB-516",
    message="Invalid reminder parameters",
    sources=(REFERENCE_2021, WEBHOOKS),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
BAD_FILTER = _rule(
    id="sub.bad-filter",
    operations=(CREATE, UPDATE),
    when="an event filter is not an event filter URI (text that is no API path)",
    status=400,
    code="SUB-508",
    message="Invalid event filters: [{parameter}]",
    sources=(GUIDE + "basics/errors", EVENT_FILTER_INDEX),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="a path under RingCentral's API roots that the event filter index does not list is let"
    " through, since the index may be behind the server",
)
OTHER_EXTENSION = _rule(
    id="sub.other-ext-messages",
    operations=(CREATE, UPDATE),
    when="a message-store filter names another extension than the caller's",
    status=403,
    code="SUB-405",
    message="Not allowed subscribe for messages to other extensions",
    sources=(GUIDE + "basics/errors",),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
UNKNOWN_ID = _rule(
    id="sub.unknown-id",
    operations=BY_ID,
    when="the subscription id names no subscription (never made, or deleted)",
    status=404,
    code="CMN-102",
    message="Resource for parameter [subscriptionId] is not found",
    sources=(EXPLORER_2018,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="sub.delivery-headers",
    operations=(CREATE,),
    when="a notification is delivered",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "notifications/webhooks/receiving",),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox performs the validation handshake but sends no events",
)
_rule(
    id="sub.filters-resolved",
    operations=(CREATE, "readSubscription", "listSubscriptions"),
    when="event filters name the account or extension as ~",
    status=None,
    code=None,
    message=None,
    sources=(
        "https://community.ringcentral.com/developer-platform-apis-integrations-5/"
        "unable-to-subscribe-with-all-extensions-defined-as-5698",
    ),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ANSWER,
    note="the stored subscription names them by their numeric ids",
)
_rule(
    id="sub.verification-writeonly",
    operations=(CREATE,),
    when="deliveryMode.verificationToken is given",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Subscriptions/createSubscription",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="accepted, never returned; sent as Verification-Token with each delivery",
)
_rule(
    id="sub.expiresin-remaining",
    operations=("readSubscription", "listSubscriptions"),
    when="a subscription is read",
    status=None,
    code=None,
    message=None,
    sources=(WEBHOOKS,),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.ANSWER,
    note="expirationTime is the creation (or last renewal) plus the lifetime",
)
_rule(
    id="sub.expired-404",
    operations=(UPDATE, "deleteSubscription", RENEW),
    when="the subscription has expired",
    status=404,
    code="SUB-507",
    message=None,
    sources=(GUIDE + "basics/errors", EXTENSIBLE_SDK),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.NOT_MODELLED,
    note="a rehearsal renews or deletes its subscriptions long before they expire",
)
WS_SCOPE = _rule(
    id="ws.scope",
    operations=("authWsToken",),
    when="an app without the WebSocket Subscriptions permission asks for a WebSocket token",
    status=403,
    code="CMN-401",
    top="InsufficientPermissions",
    message="In order to call this API endpoint, application needs to have [WebSocket] permission",
    sources=(GUIDE + "notifications/websockets/subscribing", PYTHON_SDK),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the spec names the permission WebSocket, the guide WebSocketsSubscription: one scope. The"
    " token call is OAuth, never counted as an endpoint; a successful one counts as exercising it",
)


# ------------------------------------------------------------------------------------ permissions


def permission(body: Any) -> str | None:
    """The permission a subscription create is called under: SubscriptionWebhook for a WebHook."""
    mode = field_of(body, "deliveryMode")
    return SUBSCRIPTION_WEBHOOK if text(field_of(mode, "transportType")) == "WebHook" else None


# ------------------------------------------------------------------------------------------ checks


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def filter_problem(value: Any) -> bool:
    """True when ``value`` is no event filter at all (text known now that is no API path)."""
    written = text(value)
    if written is None:
        return not isinstance(value, str)  # a capture may be anything; a number is no filter
    path = written.split("?", 1)[0]
    return (
        not path.startswith("/")
        or any(c.isspace() for c in written)
        or not path.startswith(_FILTER_ROOTS)
        or "//" in path
    )


@AREA.check(CREATE, UPDATE)
def _filters(request: RequestView) -> list[Hit]:
    hits = []
    filters = items(field_of(request.body, "eventFilters"))
    for index, value in enumerate(filters):
        if filter_problem(value):
            hits.append(Hit(BAD_FILTER, f"json.eventFilters[{index}]", "eventFilters"))
    written = [text(f) for f in filters]
    reminders = [f for f in written if f is not None and f.split("?", 1)[0] == REMINDER]
    if filters and len(reminders) == len(filters) and request_is_create(request):
        hits.append(Hit(ONLY_REMINDER, "json.eventFilters", "eventFilters"))
    expires = field_of(request.body, "expiresIn")
    for reminder in reminders:
        query = parse_qs(reminder.split("?", 1)[1] if "?" in reminder else "")
        threshold, interval = _number(query.get("threshold")), _number(query.get("interval"))
        lifetime = expires if isinstance(expires, int) and not isinstance(expires, bool) else None
        if (threshold is not None and lifetime is not None and threshold > lifetime / 2) or (
            threshold is not None and interval is not None and interval > threshold / 2
        ):
            hits.append(Hit(REMINDER_PARAMS, "json.eventFilters", "eventFilters"))
    return hits


def request_is_create(request: RequestView) -> bool:
    return "subscriptionId" not in request.path


def _number(values: list[str] | None) -> float | None:
    try:
        return float(values[0]) if values else None
    except ValueError:
        return None


@AREA.check(CREATE)
def _address(request: RequestView) -> list[Hit]:
    mode = field_of(request.body, "deliveryMode")
    address = text(field_of(mode, "address"))
    if text(field_of(mode, "transportType")) != "WebHook" or address is None:
        return []
    parts = urlsplit(address)
    host = parts.hostname
    if parts.scheme == "http" and not is_loopback(host):
        return [Hit(HTTPS, "json.deliveryMode.address", "deliveryMode.address")]
    if host and _RESERVED.search(host.lower().rstrip(".")) and host.lower() != "localhost":
        return [Hit(NOT_REACHABLE, "json.deliveryMode.address", "deliveryMode.address")]
    return []


@AREA.relax(UPDATE)
def _empty_put_renews(request: RequestView) -> frozenset[str]:
    """``{}`` renews, as no body does (``sub.put-empty-renews``)."""
    return frozenset({"eventFilters"}) if request.body == {} else frozenset()
