"""App permissions (scopes) and which ones include others: the single source of that table.

RingCentral grants a broader scope the rights of narrower ones (docs/ringcentral.md, Permissions):
an app with SMS may call ReadMessages endpoints. The sandbox's 403s, ``rcgrad check`` and the
criteria all ask this module. It must never hold endpoint knowledge; that lives in the catalog.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# scope -> scopes it includes (docs/ringcentral.md, Permissions).
INCLUDES: dict[str, frozenset[str]] = {
    "EditMessages": frozenset({"ReadMessages"}),
    "SMS": frozenset({"ReadMessages"}),
    "Faxes": frozenset({"ReadMessages"}),
    "InternalMessages": frozenset({"ReadMessages"}),
    "EditCallLog": frozenset({"ReadCallLog"}),
    "ReadCallRecording": frozenset({"ReadCallLog"}),
    "EditPresence": frozenset({"ReadPresence"}),
    "Contacts": frozenset({"ReadContacts"}),
    "EditAccounts": frozenset({"ReadAccounts", "EditExtensions"}),
}

# One scope, several names: the guide's and the console's for the spec's x-app-permission
# (docs/ringcentral.md, Rules: ws.scope). A call under the spec's name exercises every one of them.
SAME_AS: dict[str, str] = {
    "WebSocketsSubscription": "WebSocket",
    "WebSocketsSubscriptions": "WebSocket",
}

# Scopes no operation of the spec names, that a call is still made under by a rule of
# runner.rc.rules: a WebHook subscription's create needs SubscriptionWebhook (sub.webhook-scope).
SUBSCRIPTION_WEBHOOK = "SubscriptionWebhook"
BY_RULE = frozenset({SUBSCRIPTION_WEBHOOK})

# Scopes the docs name but the spec never uses as x-app-permission: no endpoint can exercise them.
UNMAPPABLE: dict[str, str] = {
    "ReadClientInfo": "an old scope name with no endpoint in the current spec",
    "EditCustomData": "an old scope name with no endpoint in the current spec",
    "Voicemail": "an old scope name with no endpoint in the current spec",
    "DirectRingOut": "an old scope name with no endpoint in the current spec",
    "Meetings": "an old scope name with no endpoint in the current spec",
    "Glip": "the old name of TeamMessaging",
}


def closure(scopes: Iterable[str]) -> frozenset[str]:
    """Every permission the given scopes grant, inclusions followed transitively."""
    granted: set[str] = set()
    pending = list(scopes)
    while pending:
        scope = pending.pop()
        if scope in granted:
            continue
        granted.add(scope)
        pending.extend(INCLUDES.get(scope, ()))
        if scope in SAME_AS:
            pending.append(SAME_AS[scope])
    return frozenset(granted)


def grants(scopes: Iterable[str], permission: str | None) -> bool:
    """True when an app declaring ``scopes`` may call an operation requiring ``permission``."""
    return permission is None or permission in closure(scopes)


def exercised_by(permission: str | None) -> frozenset[str]:
    """The declared scopes a successful call under ``permission`` counts for.

    A call to a ReadMessages endpoint exercises ReadMessages only; the criterion asks for a call
    *per permission*, so a broader scope (SMS) still needs a call of its own.
    """
    if permission is None:
        return frozenset()
    return frozenset({permission, *(name for name, same in SAME_AS.items() if same == permission)})


def unknown(scope: str, known: Iterable[str]) -> str:
    """What to say of a scope no catalog names, with the closest one that exists (a typo's fix)."""
    close = difflib.get_close_matches(scope, sorted(known), n=1)
    return f"unknown scope {scope!r}" + (f"; did you mean {close[0]!r}?" if close else "")
