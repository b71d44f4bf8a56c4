"""The call record: one API or OAuth request as the ledger stores it and the criteria read it.

Shared by the engine (which writes records), the ledger (which stores them), the criteria (which
judge them) and the sandbox (which keeps its own log in the same shape). It must never hold a
request body, a header or a token: only what the criteria need.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from runner.rc import wire


class TokenEvent(StrEnum):
    """What an OAuth record (or a retried API call) meant for token hygiene."""

    LOGIN = "login"  # JWT login because no usable token was stored
    RELOGIN = "relogin"  # JWT login because the refresh token was dead: necessary, not a defect
    REFRESH = "refresh"  # proactive refresh, before expiry: the proper way
    REFRESH_ON_401 = "refresh_on_401"  # last-resort refresh after a 401: a hygiene defect
    REVOKE = "revoke"


# The status of a call whose intent was recorded before it went on the wire but whose answer never
# was: the process died (kill -9, power loss) in between. It may have reached the server and been
# answered anything, so until known otherwise it used the rate window, is no success and counts as a
# 4xx (``runner.verdict.criteria``).
UNKNOWN = -1


class Kind(StrEnum):
    API = "api"  # a REST call that counts toward the criteria
    OAUTH = "oauth"  # /restapi/oauth/* and /.well-known/*: recorded, never counted
    IMPORTED = "imported"  # counts a user copied from the Developer Console analytics


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One request, completed or (``UNKNOWN``) sent with no answer recorded; for ``Kind.IMPORTED``,
    ``count`` of them."""

    ts: float  # UTC epoch seconds when the response arrived
    method: str
    template: str  # catalog path template, or the raw path when no operation matched
    status: int  # HTTP status; 0 when no response came back (transport error); UNKNOWN: never recorded
    group: str  # throttling group: Light, Medium, Heavy, Auth, NoThrottling
    permission: str | None  # x-app-permission of the operation
    kind: Kind = Kind.API
    latency_ms: float = 0.0
    run_id: str = ""
    operation_id: str | None = None
    count: int = 1
    error_code: str | None = None  # nested errors[0].errorCode when present (OAU-128), else the top-level one
    event: TokenEvent | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def ok(self) -> bool:
        return wire.is_success(self.status)

    @property
    def unknown(self) -> bool:
        """Sent, and its answer never recorded: see ``UNKNOWN``."""
        return self.status == UNKNOWN

    @property
    def counts_as_4xx(self) -> bool:
        """A 4xx, or an answer never recorded (it may have been one, so it counts as one)."""
        return wire.is_4xx(self.status) or self.status == UNKNOWN

    @property
    def is_oauth(self) -> bool:
        """Recorded, never counted: marked OAuth, or on an OAuth or OpenID path whoever recorded it."""
        return self.kind is Kind.OAUTH or wire.is_oauth(self.template)


# How a sender records a call durably (``Session.intend``): it hands over the call, as status
# ``UNKNOWN``, and awaits its commit before the call goes out; it gets back what completes that row
# with the outcome (awaited too).
Settle = Callable[[CallRecord], Awaitable[None]]
Intend = Callable[[CallRecord], Awaitable[Settle]]
