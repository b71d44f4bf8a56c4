"""OAuth sessions: JWT login, refresh-token rotation, revocation, and bearer-token checks.

Refresh tokens are single-use and rotate; the old access token dies on refresh (docs/ringcentral.md, Tokens).
Lifetimes are scaled by the time scale. This module must never log or return a token except in
the body of the token response itself.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from runner.rc import wire
from runner.sandbox.config import SandboxConfig
from runner.sandbox.errors import oauth_error

ACCOUNT_ID = "37439510"
EXTENSION_ID = "400100200300"
MIN_ACCESS_TTL, MAX_ACCESS_TTL = 600.0, 3600.0


@dataclass
class OAuthSession:
    session_id: str
    access_token: str
    refresh_token: str
    access_expires: float  # epoch seconds, on the sandbox clock
    refresh_expires: float
    revoked: bool = False
    got_expired_401: bool = False  # the current access token was refused as expired


@dataclass(frozen=True)
class Grant:
    """A successful token response, or an OAuth error (status, body, OAU code)."""

    status: int
    body: dict[str, Any]
    session: OAuthSession | None = None


class OAuthState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.sessions: dict[str, OAuthSession] = {}
        self._by_access: dict[str, OAuthSession] = {}
        self._by_refresh: dict[str, OAuthSession] = {}
        self.refresh_after_401 = 0  # refreshes of a session whose token had just been refused as expired

    def _now(self) -> float:
        return self.config.clock.time()

    def login(self, assertion: str | None, form: dict[str, str]) -> Grant:
        if not assertion or not secrets.compare_digest(assertion, self.config.jwt):
            return Grant(400, oauth_error("invalid_grant", "Invalid JWT token", wire.BAD_OWNER_CREDENTIALS))
        session = OAuthSession(secrets.token_hex(8), "", "", 0.0, 0.0)
        self.sessions[session.session_id] = session
        return self._issue(session, form)

    def refresh(self, refresh_token: str | None, form: dict[str, str]) -> Grant:
        session = self._by_refresh.get(refresh_token or "")
        if session is None or session.revoked or session.refresh_expires <= self._now():
            return Grant(
                400, oauth_error("invalid_grant", "Token is revoked or expired", wire.REFRESH_TOKEN_REVOKED)
            )
        if session.got_expired_401:
            self.refresh_after_401 += 1
        return self._issue(session, form)

    def revoke(self, token: str | None) -> None:
        session = self._by_access.get(token or "") or self._by_refresh.get(token or "")
        if session is not None:
            self._end(session)

    def revoke_all(self) -> int:
        live = [s for s in self.sessions.values() if not s.revoked]
        for session in live:
            self._end(session)
        return len(live)

    def check(self, authorization: str | None) -> tuple[OAuthSession | None, str | None]:
        """The session behind a bearer header, or the nested OAU code of the refusal."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "AGW-401"
        session = self._by_access.get(authorization[7:].strip())
        if session is None or session.revoked:
            return None, wire.TOKEN_UNPARSABLE
        if session.access_expires <= self._now():
            session.got_expired_401 = True
            return None, wire.TOKEN_EXPIRED
        return session, None

    def _issue(self, session: OAuthSession, form: dict[str, str]) -> Grant:
        self._by_access.pop(session.access_token, None)
        self._by_refresh.pop(session.refresh_token, None)
        access_ttl = _clamp(form.get("access_token_ttl"), MIN_ACCESS_TTL, self.config.access_token_ttl)
        refresh_ttl = _clamp(form.get("refresh_token_ttl"), 0.0, self.config.refresh_token_ttl)
        now = self._now()
        # Whole seconds, as the spec types them (acct.expires-int): the lifetime the answer states is
        # the one the sandbox keeps, at least a second however small the time scale.
        access_seconds, refresh_seconds = (
            _whole(self.config.scaled(access_ttl)),
            _whole(self.config.scaled(refresh_ttl)),
        )
        session.access_token = "sbx-at-" + secrets.token_urlsafe(24)
        session.refresh_token = "sbx-rt-" + secrets.token_urlsafe(24)
        session.access_expires = now + access_seconds
        session.refresh_expires = now + refresh_seconds
        session.got_expired_401 = False
        self._by_access[session.access_token] = session
        self._by_refresh[session.refresh_token] = session
        body = {
            "access_token": session.access_token,
            "token_type": "bearer",
            "expires_in": access_seconds,
            "refresh_token": session.refresh_token,
            "refresh_token_expires_in": refresh_seconds,
            "scope": " ".join(sorted(self.config.scopes)),
            "owner_id": EXTENSION_ID,
            "endpoint_id": "sandbox-endpoint",
            "session_id": session.session_id,
        }
        return Grant(200, body, session)

    def _end(self, session: OAuthSession) -> None:
        session.revoked = True
        self._by_access.pop(session.access_token, None)
        self._by_refresh.pop(session.refresh_token, None)

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.sessions.values() if not s.revoked]

    def load(self, sessions: list[dict[str, Any]]) -> None:
        for raw in sessions:
            session = OAuthSession(**raw)
            self.sessions[session.session_id] = session
            self._by_access[session.access_token] = session
            self._by_refresh[session.refresh_token] = session


def _whole(seconds: float) -> int:
    return max(1, int(seconds))


def _clamp(text: str | None, low: float, high: float) -> float:
    """A requested lifetime above the app's default is clamped to the default (docs/ringcentral.md, Tokens)."""
    try:
        wanted = float(text) if text else high
    except ValueError:
        wanted = high
    return max(min(wanted, high), min(low, high))
