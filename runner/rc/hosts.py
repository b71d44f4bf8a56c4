"""Which RingCentral hosts are production, and which servers are on this machine.

Every ``*.ringcentral.com`` and ``*.ringcentral.biz`` host (the partners' segregated platform) is
production unless it is a known non-production one (the retired ``devtest`` sandbox). Hosts are
compared after normalisation (case, trailing dot, IDN nameprep, port and userinfo stripped), so no
spelling of a production host slips past consent. This module must never do network I/O: it decides
from the text of the URL alone.
"""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

PRODUCTION_DOMAINS = ("ringcentral.com", "ringcentral.biz")
NON_PRODUCTION_DOMAINS = ("devtest.ringcentral.com",)
SERVER_ALIASES = {
    "production": "https://platform.ringcentral.com",
    "sandbox": "https://platform.devtest.ringcentral.com",
}


def normalise_host(url: str) -> str:
    """The URL's host as DNS sees it: lower case, no port, userinfo or trailing dot, IDN folded."""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    # IDNA nameprep folds case and compatibility forms (full-width letters, ideographic dots).
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.lower().rstrip(".")


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def is_production_host(url: str) -> bool:
    url = SERVER_ALIASES.get(url.strip(), url)
    host = normalise_host(url)
    if any(_within(host, domain) for domain in NON_PRODUCTION_DOMAINS):
        return False
    return any(_within(host, domain) for domain in PRODUCTION_DOMAINS)


def is_loopback(url: str) -> bool:
    """True for localhost and loopback addresses: cleartext there never leaves the machine."""
    host = normalise_host(url).strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
