"""When to use, refresh or replace a token: RingCentral's rules for a token's life, as pure functions.

A token is handed out only while it is fresh by a margin (a few seconds or a tenth of its life);
near expiry it is refreshed, and a dead refresh token means a new JWT login. Pure: this module must
never call the token endpoint, read a store or look at a clock of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from runner.auth.store import StoredTokens
from runner.rc import wire


@dataclass(frozen=True)
class TokenPolicy:
    min_margin: float = 5.0  # seconds: never hand out a token closer to expiry than this
    margin_ratio: float = 0.1  # ... or than this share of its lifetime, whichever is larger
    timeout: float = 30.0  # per token call
    retries: int = 3  # after a timeout, 408 or 5xx
    retry_delay: float = wire.TOKEN_RETRY_SECONDS
    default_retry_after: float = 60.0  # a 429/503 without Retry-After
    recent_refresh_grace: float = 30.0  # a 401 this soon after a refresh is about the token it replaced


@dataclass
class TokenCounters:
    logins: int = 0
    relogins: int = 0
    refreshes: int = 0
    refresh_on_401: int = 0
    revokes: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class TokenError(Exception):
    """A failed token call, stripped of everything but status, OAuth error and error code."""

    def __init__(
        self,
        status: int,
        error: str | None = None,
        code: str | None = None,
        *,
        retry_after: float | None = None,
        reason: str | None = None,
    ) -> None:
        self.status, self.error, self.code = status, error, code
        self.retry_after, self.reason = retry_after, reason
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else (self.reason or "no response")]
        parts += [p for p in (self.error, self.code) if p]
        return ", ".join(parts)


class Action(StrEnum):
    USE = "use"
    REFRESH = "refresh"
    LOGIN = "login"


def refresh_margin(lifetime: float, policy: TokenPolicy) -> float:
    """How long before expiry a token stops being handed out: a few seconds or 10 % of its lifetime,
    but never more than half of it (time-scaled sandbox tokens may live two seconds)."""
    wanted = max(policy.min_margin, policy.margin_ratio * lifetime)
    return min(wanted, lifetime / 2) if lifetime > 0 else policy.min_margin


def access_fresh(tokens: StoredTokens, now: float, policy: TokenPolicy) -> bool:
    lifetime = tokens.expires_in or max(0.0, tokens.expire_time - now)
    return tokens.expire_time - now > refresh_margin(lifetime, policy)


def refresh_alive(tokens: StoredTokens, now: float, policy: TokenPolicy) -> bool:
    if not tokens.refresh_token:
        return False
    lifetime = tokens.refresh_token_expires_in or max(0.0, tokens.refresh_token_expire_time - now)
    # Leave room for the request itself to reach the server.
    return tokens.refresh_token_expire_time - now > min(policy.min_margin, lifetime / 2)


def next_action(tokens: StoredTokens | None, now: float, policy: TokenPolicy) -> Action:
    if tokens is None or not tokens.access_token:
        return Action.LOGIN
    if access_fresh(tokens, now, policy):
        return Action.USE
    return Action.REFRESH if refresh_alive(tokens, now, policy) else Action.LOGIN
