"""RingCentral's servers: which hosts are production, which are not, and which are loopback.

A host is compared only after normalising it the way a resolver would (case, a trailing dot,
userinfo and port, IDN/punycode), because a consent check that a capital letter defeats is no
check. Every ``*.ringcentral.com`` or ``*.ringcentral.biz`` host that is not a known non-production
host counts as production. This module must never do I/O.
"""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

PRODUCTION_URL = "https://platform.ringcentral.com"
SANDBOX_URL = "https://platform.devtest.ringcentral.com"
# Production and the segregated partner environments (AT&T Office@Hand, Verizon) share one review.
PRODUCTION_DOMAINS = ("ringcentral.com", "ringcentral.biz")
# The developer sandbox: unmetered, its JWTs fail in production.
NON_PRODUCTION_DOMAINS = ("devtest.ringcentral.com",)


def host_of(url: str) -> str:
    """The URL's host as a resolver sees it: lower case, no userinfo, port or trailing dot, IDN labels
    in their ASCII (punycode) form. A bare host (no scheme) is accepted."""
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        host = ""
    host = host.rstrip(".").lower()
    return _ascii(host)


def _ascii(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            # Decode then re-encode, so a punycode spelling of a mapped name compares equal.
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        try:
            labels.append(label.encode("idna").decode("ascii").lower() if label else label)
        except UnicodeError:
            labels.append(label.lower())
    return ".".join(labels)


def _within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def is_production_host(url: str) -> bool:
    """True for any RingCentral host that is not a known non-production one (consent is needed)."""
    host = host_of(url)
    if _within(host, NON_PRODUCTION_DOMAINS):
        return False
    if _within(host, PRODUCTION_DOMAINS):
        return True
    # A host we cannot parse but that still names RingCentral: err on the side of asking.
    return not host and "ringcentral" in url.lower()


def is_loopback_host(url: str) -> bool:
    host = host_of(url)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_cleartext(url: str) -> bool:
    """A plain-http URL to a host other than loopback: credentials would cross the network unencrypted."""
    return url.strip().lower().startswith("http://") and not is_loopback_host(url)
