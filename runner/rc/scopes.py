"""App permissions (scopes) and which ones include others: the single source of that table.

RingCentral grants a broader scope the rights of narrower ones (docs/ringcentral.md, Permissions):
an app with SMS may call ReadMessages endpoints. The sandbox's 403s, ``rcgrad check`` and the
criteria all ask this module. It must never hold endpoint knowledge; that lives in the catalog.
"""

from __future__ import annotations

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

# Scopes the docs name but the spec never uses as x-app-permission: no endpoint can exercise them.
UNMAPPABLE: dict[str, str] = {
    "SubscriptionWebhook": "webhook subscriptions; the spec's /subscription endpoints carry no app permission",
    "WebSocketsSubscription": "WebSocket subscriptions; the spec names the wstoken permission 'WebSocket'",
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
    return frozenset(granted)


def grants(scopes: Iterable[str], permission: str | None) -> bool:
    """True when an app declaring ``scopes`` may call an operation requiring ``permission``."""
    return permission is None or permission in closure(scopes)


def exercised_by(permission: str | None) -> frozenset[str]:
    """The declared scopes a successful call under ``permission`` counts for.

    A call to a ReadMessages endpoint exercises ReadMessages only; the criterion asks for a call
    *per permission*, so a broader scope (SMS) still needs a call of its own.
    """
    return frozenset() if permission is None else frozenset({permission})
