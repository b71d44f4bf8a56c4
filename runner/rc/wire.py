"""RingCentral's wire facts, each written once: which calls are OAuth, where an error body keeps its
code, which codes mean a refused token, how the rate-limit headers read, what a status class is;
and the shapes of the requests, steps, items and limiters the engine works with.

The catalog, the engine, the token manager, the retry policy, the limiter, the criteria, the top-up,
the ledger and the sandbox all ask this module. It is the bottom layer: it must never import
anything else from rcgrad, and never do I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

# --- OAuth (docs/ringcentral.md, OAuth and tokens) -------------------------------------------------

# OAuth and OpenID endpoints: recorded, never counted toward the criteria.
OAUTH_PREFIXES = ("/restapi/oauth/", "/.well-known/")
TOKEN_PATH = "/restapi/oauth/token"
REVOKE_PATH = "/restapi/oauth/revoke"
AUTHORIZE_PATH = "/restapi/oauth/authorize"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The token endpoint's failures: a 429 or 503 honours Retry-After; a timeout (0 here), 408 or 5xx
# is tried again a few times, 10 s apart; anything else (a 400) is never repeated.
TOKEN_RATE_LIMITED = frozenset({429, 503})
TOKEN_TRANSIENT = frozenset({0, 408, 500, 502, 504})
TOKEN_RETRY_SECONDS = 10.0

# --- Error codes (docs/ringcentral.md, Errors) ------------------------------------------------------
# Each code one name: the token manager and the verdict read them, the sandbox answers with them.

INVALID_PARAMETER = "CMN-101"  # 400: a parameter or the body is missing or invalid
RESOURCE_NOT_FOUND = "CMN-102"  # 404: an id names nothing
INVALID_URI = "CMN-120"  # 404: no such path
SERVICE_UNAVAILABLE = "CMN-211"  # 503
RATE_EXCEEDED = "CMN-301"  # 429
PERMISSION_REQUIRED = "CMN-401"  # 403, nested under InsufficientPermissions
INSUFFICIENT_PERMISSIONS = "InsufficientPermissions"
SUBSCRIPTIONS_LIMIT = "SUB-505"  # 403: past the subscriptions a user may hold
TOKEN_INVALID = "TokenInvalid"  # 401's top-level code for a refused bearer token
NO_AUTHORIZATION = "AGW-401"  # 401: no Authorization header
TOKEN_EXPIRED = "OAU-128"
TOKEN_UNPARSABLE = "OAU-149"
BAD_OWNER_CREDENTIALS = "OAU-140"  # invalid_grant: the JWT was refused
REFRESH_TOKEN_REVOKED = "OAU-211"  # invalid_grant: the refresh token is revoked or expired
BAD_CLIENT = "OAU-146"  # invalid_client: the client id or secret was refused
# A 401 whose code says the bearer token itself was refused: an expired token (OAU-128), an
# unparsable one (OAU-149), or the top-level TokenInvalid when no nested code came with it.
EXPIRED_TOKEN_CODES = frozenset({TOKEN_EXPIRED, TOKEN_UNPARSABLE, TOKEN_INVALID})
# The app's own credentials were refused (not the user's JWT): bad client (OAU-146), bad
# Authorization header (OAU-123, OAU-134), a grant the app may not use (OAU-125, OAU-112), an app
# release that is blocked (OAU-127); and the OAuth errors that say the same.
CLIENT_CODES = frozenset({BAD_CLIENT, "OAU-123", "OAU-134", "OAU-125", "OAU-127", "OAU-112"})
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})
_MAX_CODE_LENGTH = 40

# --- Team Messaging's incoming webhooks (docs/ringcentral.md, Alerts) ------------------------------

WEBHOOK_MAX_TEXT = 10_000  # characters of a post's text: a longer one is refused (400)
# A post's Markdown mentions a person or a whole team with ``![:Person](id)`` or ``![:Team](id)``.
MENTION_OPENER = "![:"

# --- Rate-limit headers (docs/ringcentral.md, Rate limits) ------------------------------------------

RATE_GROUP_HEADER = "X-Rate-Limit-Group"
RATE_LIMIT_HEADER = "X-Rate-Limit-Limit"
RATE_REMAINING_HEADER = "X-Rate-Limit-Remaining"
RATE_WINDOW_HEADER = "X-Rate-Limit-Window"
RETRY_AFTER_HEADER = "Retry-After"
AUTH_GROUP = "Auth"  # the throttling group of every OAuth call


def is_oauth(path: str) -> bool:
    """True for ``/restapi/oauth/*`` and ``/.well-known/*``; takes a path or a ``METHOD /path`` key."""
    return path.rsplit(" ", 1)[-1].startswith(OAUTH_PREFIXES)


def is_success(status: int) -> bool:
    return 200 <= status < 300


def is_4xx(status: int) -> bool:
    return 400 <= status < 500


def is_5xx(status: int) -> bool:
    return status >= 500


def dilutable_4xx(status: int) -> bool:
    """A 4xx that more successes dilute: not a 429 (it must age out of the window) nor a 401 (a
    token matter, which more traffic does not mend)."""
    return is_4xx(status) and status not in (401, 429)


def api_code(body: Any) -> str | None:
    """The API error code: the nested ``errors[0].errorCode`` (the specific one, OAU-128) when
    present, else the top-level ``errorCode`` (TokenInvalid, AGW-401)."""
    if not isinstance(body, dict):
        return None
    nested = body.get("errors")
    if isinstance(nested, list) and nested and isinstance(nested[0], dict):
        code = _code(nested[0].get("errorCode"))
        if code:
            return code
    return _code(body.get("errorCode"))


def oauth_error(body: Any) -> str | None:
    """The OAuth ``error`` field of a token endpoint's refusal (``invalid_grant``)."""
    return _code(body.get("error")) if isinstance(body, dict) else None


def error_code(body: Any) -> str | None:
    """The one code a record keeps: the API code, else the OAuth error."""
    return api_code(body) or oauth_error(body)


def error_message(body: Any, limit: int = 200) -> str | None:
    """The human message of an error body (nested first, like ``api_code``), one line, bounded.

    For the console only, through the redactor: it can echo what was sent, so it never goes to the
    ledger."""
    if not isinstance(body, dict):
        return None
    nested = body.get("errors")
    candidates = (
        [nested[0].get("message")]
        if isinstance(nested, list) and nested and isinstance(nested[0], dict)
        else []
    )
    candidates += [body.get("message"), body.get("error_description")]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= limit else text[: limit - 3] + "..."
    return None


def _code(value: Any) -> str | None:
    # Codes only: a free-text value could echo what was sent, and it goes to the ledger.
    if not isinstance(value, str) or not value or len(value) > _MAX_CODE_LENGTH:
        return None
    return value if value.replace("-", "").replace("_", "").isalnum() else None


def number(text: str | None) -> float | None:
    """A header's number (seconds, or requests): finite and not negative, else None."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class RateHeaders:
    """What a response says about its throttling group; every field None when absent or unreadable.
    ``Retry-After`` is in seconds: RingCentral does not send HTTP dates."""

    limit: float | None = None
    window: float | None = None
    remaining: float | None = None
    retry_after: float | None = None


def rate_headers(headers: Mapping[str, str]) -> RateHeaders:
    lowered = {k.lower(): v for k, v in headers.items()}
    return RateHeaders(
        limit=number(lowered.get(RATE_LIMIT_HEADER.lower())),
        window=number(lowered.get(RATE_WINDOW_HEADER.lower())),
        remaining=number(lowered.get(RATE_REMAINING_HEADER.lower())),
        retry_after=number(lowered.get(RETRY_AFTER_HEADER.lower())),
    )


def rate_header_values(
    group: str, limit: int, remaining: int, window: float, retry_after: float | None = None
) -> dict[str, str]:
    """The headers RingCentral answers a throttled request with, as the sandbox sends them."""
    headers = {
        RATE_GROUP_HEADER: group,
        RATE_LIMIT_HEADER: str(limit),
        RATE_REMAINING_HEADER: str(max(0, remaining)),
        RATE_WINDOW_HEADER: _header_seconds(window),
    }
    if retry_after is not None:
        headers[RETRY_AFTER_HEADER] = _header_seconds(retry_after)
    return headers


def _header_seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def retry_after(headers: Mapping[str, str]) -> float | None:
    return rate_headers(headers).retry_after


# --- Values that go on the wire: a path segment, a header value -------------------------------------


class UnsendableValue(ValueError):
    """A value that cannot be put on the wire as asked (a path segment of ``..``, a header with a
    line break): the step fails with this message and no request is sent."""


def path_segment(value: Any) -> str:
    """``value`` as exactly one path segment: every reserved character percent-encoded (``/``, ``?``,
    ``#``, ``%``, spaces, CR/LF), the unreserved ``A-Z a-z 0-9 - . _ ~`` kept."""
    text = str(value)
    if text in ("", ".", ".."):
        raise UnsendableValue(f"{text!r} cannot be a path segment")
    return quote(text, safe="~")


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot be an HTTP header value (a line break would start a new header; HTTP/1.1
    headers are ASCII), or None."""
    if any(c in value for c in "\r\n\0"):
        return "a header value cannot hold a line break or NUL"
    if any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in value):
        return "a header value cannot hold a control character"  # RFC 9110: no CTL but tab
    if not value.isascii():
        return "a header value must be ASCII"
    return None


@dataclass(frozen=True, slots=True)
class RenderedRequest:
    """One concrete request, placeholders filled; paths are relative to the server URL."""

    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Endpoint(Protocol):
    """A catalog operation as the engine sees it (``runner.rc.catalog.Operation``)."""

    @property
    def id(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def permission(self) -> str | None: ...
    @property
    def key(self) -> str: ...


class StepShape(Protocol):
    """One request of an item (``runner.plan.loader.Step``)."""

    @property
    def name(self) -> str: ...
    @property
    def operation(self) -> Endpoint: ...
    @property
    def permission(self) -> str | None: ...  # the call's: the operation's, or a rule's by the body
    @property
    def expect(self) -> int | None: ...
    @property
    def save(self) -> Mapping[str, str]: ...
    def needs(self) -> frozenset[str]: ...
    def render(self, values: Mapping[str, Any]) -> RenderedRequest: ...


class ItemShape(Protocol):
    """Setup steps, the main step, teardown steps (``runner.plan.loader.Item``)."""

    @property
    def name(self) -> str: ...
    @property
    def setup(self) -> Sequence[StepShape]: ...
    @property
    def main(self) -> StepShape: ...
    @property
    def teardown(self) -> Sequence[StepShape]: ...


class Limiter(Protocol):
    """One throttling group's pacing (``runner.traffic.limiter.GroupLimiter``)."""

    async def acquire(self) -> Any: ...
    def observe(self, status: int, headers: Mapping[str, str]) -> None: ...
    def abandon(self) -> None: ...


class Limits(Protocol):
    def for_group(self, group: str) -> Limiter | None: ...
