"""The token endpoint as the token manager sees it, and its one real implementation: the SDK's.

``TokenEndpoint`` is a protocol (login, refresh, revoke; each answers a ``Reply``), so the manager's
tests can give it a fake endpoint instead of starting a sandbox. ``SdkEndpoint`` makes the calls
through the official ``ringcentral`` SDK (synchronous: the manager runs it in a worker thread),
with a time limit. It must never let a token, the JWT or the client secret out of a ``Reply``:
the SDK's ``ApiException`` (which carries the request and its Authorization header) never leaves
this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from ringcentral.http.api_exception import ApiException
from ringcentral.http.api_response import ApiResponse
from ringcentral.http.client import Client
from ringcentral.platform.platform import Platform

from runner.auth.policy import TokenError
from runner.auth.store import StoredTokens
from runner.rc import wire
from runner.settings import Credentials


class TokenEndpoint(Protocol):
    """The token calls, synchronous; ``now`` is the caller's clock (the stored expiry is read on it)."""

    def login(self) -> Reply: ...
    def refresh(self, tokens: StoredTokens, now: float) -> Reply: ...
    def revoke(self, tokens: StoredTokens, now: float) -> Reply: ...


class _TimeoutClient(Client):
    """The SDK's HTTP client with a time limit: its own sends without one and could hang forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def load_response(self, request: Any) -> ApiResponse:
        with requests.Session() as session:
            return ApiResponse(request, session.send(request, timeout=self._timeout))


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    latency_ms: float
    data: Mapping[str, Any] | None = field(default=None, repr=False)  # auth data after a success
    error: TokenError | None = None


class SdkEndpoint:
    """Synchronous token calls through ``ringcentral.platform.Platform``. Not thread-safe: callers
    serialise (the manager's lock)."""

    def __init__(self, credentials: Credentials, timeout: float) -> None:
        self._jwt = credentials.jwt
        self._platform = Platform(
            _TimeoutClient(timeout),
            credentials.client_id,
            credentials.client_secret,
            credentials.server,
            name="rcgrad",
            version="0.1.0",
        )

    def login(self) -> Reply:
        self._platform.auth().reset()  # nothing of an earlier session may leak into the new one
        return self._call(lambda: self._platform.login(jwt=self._jwt))

    def refresh(self, tokens: StoredTokens, now: float) -> Reply:
        self._load(tokens, now)
        return self._call(self._platform.refresh)

    def revoke(self, tokens: StoredTokens, now: float) -> Reply:
        self._load(tokens, now)
        return self._call(self._platform.logout)

    def _load(self, tokens: StoredTokens, now: float) -> None:
        # The SDK checks expiry against time.time(); rcgrad decides on its own (injectable) clock.
        offset = time.time() - now
        data = dict(tokens.data)
        data["expire_time"] = tokens.expire_time + offset
        data["refresh_token_expire_time"] = tokens.refresh_token_expire_time + offset
        self._platform.auth().set_data(data)

    def _call(self, send: Callable[[], Any]) -> Reply:
        started = time.perf_counter()
        try:
            response = send()
        except ApiException as exc:
            return _failure(exc, (time.perf_counter() - started) * 1000)
        except Exception as exc:
            # Not an HTTP failure (the SDK's own checks): nothing reached the server.
            return Reply(0, {}, 0.0, error=TokenError(0, reason=type(exc).__name__))
        http = response.response()
        data = self._platform.auth().data()
        return Reply(http.status_code, dict(http.headers), (time.perf_counter() - started) * 1000, data)


def _failure(exc: ApiException, latency_ms: float) -> Reply:
    http = exc.api_response().response() if exc.api_response() is not None else None
    if http is None:
        cause = exc.__cause__ or exc.__context__
        reason = type(cause).__name__ if cause is not None else "no response"
        return Reply(0, {}, latency_ms, error=TokenError(0, reason=reason))
    headers = dict(http.headers)
    error, code = _oauth_error(http)
    # Only a 429 or 503 is honoured for its Retry-After; other failures wait the fixed delay.
    retry_after = wire.retry_after(headers) if http.status_code in wire.TOKEN_RATE_LIMITED else None
    return Reply(
        http.status_code,
        headers,
        latency_ms,
        error=TokenError(http.status_code, error, code, retry_after=retry_after),
    )


def _oauth_error(http: requests.Response) -> tuple[str | None, str | None]:
    """(OAuth ``error``, the API error code): codes only, never a message that could echo a secret."""
    try:
        body = http.json()
    except ValueError:
        return None, None
    return wire.oauth_error(body), wire.api_code(body)
