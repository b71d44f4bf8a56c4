"""Delivering an alert: one JSON POST to a webhook, retried a few times within a bounded time, and the
quick reachability probe a command runs before any traffic.

Delivery never changes a run's exit code or verdict: it returns one line saying why it failed, or
None. The probe opens a TCP connection and closes it, sending nothing, so a host that does not
resolve or refuses connections is bad input before the first request. Neither ever names the URL's
path or query (they hold the hook's token): a message names the host alone.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from typing import Any

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_exponential

from runner import redact
from runner.rc import wire
from runner.rc.hosts import WebhookUrl
from runner.retrying import wait_retry_after
from runner.tls import client_tls

ATTEMPTS = 3
WITHIN_SECONDS = 30.0  # every attempt and wait of one delivery, together
ATTEMPT_TIMEOUT = 10.0
PROBE_TIMEOUT = 3.0


class _TryAgain(Exception):
    """A failure worth another attempt: no answer, a 5xx or a 429 (``retry_after`` when it said)."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


class _Refused(Exception):
    """An answer another attempt would not change (a 4xx other than 429)."""


def _port(url: WebhookUrl) -> int:
    return url.server.port or (443 if url.server.scheme == "https" else 80)


def _where(url: WebhookUrl) -> str:
    return url.host if url.server.port is None else f"{url.host}:{url.server.port}"


def deliver(
    url: WebhookUrl,
    body: dict[str, Any],
    *,
    attempts: int = ATTEMPTS,
    within: float = WITHIN_SECONDS,
    transport: httpx.BaseTransport | None = None,
    sleep: Any = time.sleep,
) -> str | None:
    """POST ``body`` as JSON to ``url``; None when a 2xx came back, else why not, in one line."""
    started = time.monotonic()
    with httpx.Client(transport=transport, follow_redirects=False, verify=client_tls()) as client:

        def attempt() -> None:
            left = max(0.5, within - (time.monotonic() - started))
            try:
                reply = client.post(url.url, json=body, timeout=min(ATTEMPT_TIMEOUT, left))
            except httpx.HTTPError as exc:
                raise _TryAgain(f"no answer ({type(exc).__name__})") from None
            if reply.is_success:
                return
            if reply.status_code == 429 or reply.status_code >= 500:
                raise _TryAgain(f"{reply.status_code}", wire.retry_after(reply.headers))
            raise _Refused(f"{reply.status_code}")

        retrying = Retrying(
            stop=stop_after_attempt(attempts) | stop_after_delay(within),
            wait=wait_retry_after(wait_exponential(multiplier=1, max=8), maximum=10),
            retry=retry_if_exception_type(_TryAgain),
            sleep=sleep,
        )
        try:
            retrying(attempt)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            tries = exc.last_attempt.attempt_number
            return redact.redact(f"{_where(url)} answered {last} ({tries} attempts)")
        except _Refused as exc:
            return redact.redact(f"{_where(url)} refused the message: {exc}")
    return None


def _proxied(url: WebhookUrl) -> bool:
    """A proxy the HTTP client would use for this host: a direct probe would prove nothing."""
    proxies = urllib.request.getproxies()
    return bool(proxies.get(url.server.scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(
        url.host
    )


def probe(url: WebhookUrl, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why ``url``'s host cannot be reached (it does not resolve, refuses, or is silent for
    ``timeout``), or None. A TCP connection opened and closed: nothing is sent."""
    if _proxied(url):
        return None
    try:
        with socket.create_connection((url.host, _port(url)), timeout=timeout):
            return None
    except socket.gaierror:
        return f"{url.host} does not resolve"
    except TimeoutError:
        return f"{_where(url)} did not answer within {timeout:g} s"
    except OSError as exc:
        return f"{_where(url)}: {exc.strerror or type(exc).__name__}"
