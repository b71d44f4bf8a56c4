"""RingCentral's servers, and the one reading of a server URL that every part of rcgrad shares.

A consent check is only as good as its agreement with the client that connects: the official SDK
(requests and urllib3), httpx and ``urlsplit`` read odd strings differently (a backslash ends the
host for one and not another, percent-encoded dots, a Unicode full stop after a trailing dot,
userinfo). So ``parse_server`` turns the text into one normalised URL (scheme, ASCII host, port,
nothing else), refuses what two readers could read differently, and the caller decides
production and loopback on that and hands exactly ``ServerUrl.url`` to the SDK and httpx.

Every ``*.ringcentral.com`` or ``*.ringcentral.biz`` host that is not a known non-production host
counts as production. Loopback is a loopback IP literal or ``localhost`` itself (``x.localhost``
goes through a resolver). This module must never do I/O, and never accept a string it cannot
read in exactly one way.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

PRODUCTION_URL = "https://platform.ringcentral.com"
SANDBOX_URL = "https://platform.devtest.ringcentral.com"
# Production and the segregated partner environments (AT&T Office@Hand, Verizon) share one review.
PRODUCTION_DOMAINS = ("ringcentral.com", "ringcentral.biz")
# The developer sandbox: unmetered, its JWTs fail in production.
NON_PRODUCTION_DOMAINS = ("devtest.ringcentral.com",)
# IDNA (RFC 3490 section 3.1) separates labels with any of these, as well as the ASCII full stop.
UNICODE_DOTS = "\u3002\uff0e\uff61"
# The characters IDNA 2003 (Python's codec) and IDNA 2008 (the SDK's requests) map differently (UTS 46).
IDNA_DEVIATIONS = "\u00df\u03c2\u200c\u200d"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"(?i)(https?)://")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A host whose last label is a number is an IPv4 address to WHATWG URL readers (``127.1``, ``0x7f.1``).
_NUMERIC = re.compile(r"(?i)(?:0x[0-9a-f]*|[0-9]+)")


class ServerUrlError(ValueError):
    """The text is not one server URL every reader agrees on; the message says why."""


@dataclass(frozen=True, slots=True)
class ServerUrl:
    scheme: str  # "http" or "https"
    host: str  # lower-case ASCII (punycode), no trailing dot; an IPv6 literal without brackets
    port: int | None  # None for the scheme's default

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + (f":{self.port}" if self.port is not None else "")

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def is_production(self) -> bool:
        return not _within(self.host, NON_PRODUCTION_DOMAINS) and _within(self.host, PRODUCTION_DOMAINS)

    @property
    def is_cleartext(self) -> bool:
        """Plain http to a host other than loopback: credentials would cross the network unencrypted."""
        return self.scheme == "http" and not self.is_loopback


def parse_server(text: str) -> ServerUrl:
    """The one reading of a server URL, or ``ServerUrlError`` naming what makes it ambiguous."""
    scheme_match, authority, tail = _split(text)
    if "\\" in authority + tail:
        raise ServerUrlError("holds a backslash, which HTTP clients read as the end of the host or not")
    if tail not in ("", "/"):
        raise ServerUrlError("is a server only: scheme, host and port, with no path, query or fragment")
    if "@" in authority:
        raise ServerUrlError(
            "holds user@ before the host, which clients read differently; credentials come from RC_* only"
        )
    scheme = scheme_match.group(1).lower()
    host_text, port = _split_port(authority)
    host = _ip6(host_text[1:-1]) if host_text.startswith("[") else _hostname(host_text)
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return ServerUrl(scheme, host, port)


def _split(text: str) -> tuple[re.Match[str], str, str]:
    """A URL's scheme, its authority, and what follows (path, query, fragment), once the checks
    every URL shares are passed: no space or control character, an http(s) scheme."""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise ServerUrlError("holds a space or a control character")
    scheme_match = _SCHEME.match(text)
    if not scheme_match:
        raise ServerUrlError("must start with https:// (or http:// on loopback)")
    rest = text[scheme_match.end() :]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return scheme_match, rest[:cut], rest[cut:]


def _split_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise ServerUrlError("opens an IPv6 address with [ and never closes it")
        host, after = authority[: end + 1], authority[end + 1 :]
        if after and not after.startswith(":"):
            raise ServerUrlError("has text after the IPv6 address")
        port_text = after[1:] if after else None
    else:
        host, colon, port_text_or_empty = authority.partition(":")
        port_text = port_text_or_empty if colon else None
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise ServerUrlError(f"has a port that is not a number from 1 to 65535: {port_text[:12]!r}")
    return host, int(port_text)


def _ip6(text: str) -> str:
    if "%" in text:
        raise ServerUrlError("names an IPv6 zone or percent-escape, which clients read differently")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise ServerUrlError("holds an IPv6 address that does not parse") from None


def _hostname(text: str) -> str:
    try:
        decoded = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise ServerUrlError("has percent-escapes in its host that are not UTF-8 text") from None
    if ("%" in text and any(ch in decoded for ch in "%/\\@:?#[] ")) or not decoded.isprintable():
        raise ServerUrlError("has percent-escapes in its host that decode to a delimiter")
    if any(ch in decoded for ch in IDNA_DEVIATIONS):
        raise ServerUrlError("has a letter (such as ß) that IDNA 2003 and 2008 map to different hosts")
    for dot in UNICODE_DOTS:
        decoded = decoded.replace(dot, ".")
    decoded = decoded.removesuffix(".")  # the root's dot, after every spelling of it became one
    if not decoded:
        raise ServerUrlError("has no host")
    labels = [_ascii_label(label) for label in decoded.split(".")]
    host = ".".join(labels)
    if _NUMERIC.fullmatch(labels[-1]):
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            address = None
        if address is None or str(address) != host:
            raise ServerUrlError("spells an IP address in a form that clients read differently")
    return host


def _ascii_label(label: str) -> str:
    try:
        ascii_label = label.encode("idna").decode("ascii").lower()  # IDNA 2003: nameprep, then punycode
        if ascii_label.startswith("xn--"):
            # Decode and re-encode: a punycode spelling of a mapped name compares equal to the name.
            ascii_label = ascii_label.encode("ascii").decode("idna").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ServerUrlError("has a host name that is not a valid international domain name") from None
    if not _LABEL.fullmatch(ascii_label):
        raise ServerUrlError("has a host name with an empty label or a character a host cannot hold")
    return ascii_label


def _within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


@dataclass(frozen=True, slots=True)
class WebhookUrl:
    """A URL that takes a POST of JSON (an incoming webhook): a server read as ``parse_server``
    reads one, and the path and query after it, kept as written (they often hold the hook's token)."""

    server: ServerUrl
    target: str  # "/webhook/v2/..." with its query, if any; never empty

    @property
    def url(self) -> str:
        return self.server.url + self.target

    @property
    def host(self) -> str:
        """What a message may name: the host alone, never the path that holds the token."""
        return self.server.host


# What a path and query may hold: printable ASCII with no space, backslash or fragment (percent-escapes
# stay escaped, so every client sends the same bytes).
_TARGET = re.compile(r"/[\x21-\x7e]*")


def parse_webhook(text: str) -> WebhookUrl:
    """The one reading of a webhook URL: its server part by ``parse_server``'s rules, then a path
    (and query) that every client sends as written; plain http only on loopback, as for a server.
    ``ServerUrlError`` otherwise."""
    scheme_match, authority, target = _split(text)
    if target.startswith("?"):
        target = "/" + target
    server = parse_server(text[: scheme_match.end() + len(authority)])
    if not target or target == "/":
        raise ServerUrlError("has no path: a webhook URL names its hook after the host")
    if "#" in target:
        raise ServerUrlError("holds a fragment (#), which is never sent")
    if "\\" in target or not _TARGET.fullmatch(target):
        raise ServerUrlError("holds a backslash or a character outside printable ASCII in its path")
    if server.is_cleartext:
        # The path is the hook's key: across the network it travels only encrypted.
        raise ServerUrlError("is plain http to a host that is not loopback; use https")
    return WebhookUrl(server, target)


def is_production_host(url: str) -> bool:
    """True for any RingCentral host that is not a known non-production one (consent is needed).
    A string that does not parse but names RingCentral errs on the side of asking."""
    try:
        return parse_server(url).is_production
    except ServerUrlError:
        return "ringcentral" in url.lower()


def is_loopback_host(url: str) -> bool:
    try:
        return parse_server(url).is_loopback
    except ServerUrlError:
        return False


def is_cleartext(url: str) -> bool:
    """A plain-http URL to a host other than loopback (an unparsable http URL counts)."""
    try:
        return parse_server(url).is_cleartext
    except ServerUrlError:
        return url.strip().lower().startswith("http://")
