"""One reading of a server URL: the consent check and every client see the same host.

Each attack string below was read as "not production" (or as loopback) by ``urlsplit`` while the
official SDK or httpx connected to production (or to a host across the network). Every one is now
either refused or read as the host the clients would reach. Unit tests: no socket.
"""

from __future__ import annotations

import pytest

from runner.errors import InputError
from runner.rc.hosts import ServerUrlError, parse_server
from runner.settings import credentials_from, resolve_server

# (text, the one URL every client is handed) for what parses; None for what is refused.
READINGS = [
    ("https://platform%2eringcentral%2ecom", "https://platform.ringcentral.com"),
    ("https://platform.ringcentral.com\\@x.devtest.ringcentral.com", None),
    ("https://x.devtest.ringcentral.com\\@platform.ringcentral.com\u3002", None),
    ("https://x.devtest.ringcentral.com@platform.ringcentral.com", None),
    ("http://10.9.9.9\\@127.0.0.1:18999", None),
    ("https://platform.ringcentral.com\u3002", "https://platform.ringcentral.com"),
    ("https://platform\uff0eringcentral\uff61com", "https://platform.ringcentral.com"),
    ("https://platform.ringcentral.com:443/", "https://platform.ringcentral.com"),
    ("HTTPS://Platform.RingCentral.com.", "https://platform.ringcentral.com"),
    ("http://127.1:80", None),  # inet_aton reads 127.0.0.1, a strict reader a host name
    ("http://0x7f.0.0.1", None),
    ("http://2130706433", None),
    ("https://platform.ringcentral.com%00", None),
    ("https://platform.ringcentral.com%2f@x", None),
    ("https://platform.ringcentral.com/restapi", None),
    ("https://platform.ringcentral.com?x=1", None),
    ("https://platform .ringcentral.com", None),
    ("https://stra\u00dfe.example", None),  # IDNA 2003 and 2008 disagree
    ("http://[::1%25lo]:8080", None),
    ("https://platform.ringcentral.com:99999", None),
    ("ftp://platform.ringcentral.com", None),
    ("http://127.0.0.1:18999", "http://127.0.0.1:18999"),
    ("http://[0:0::1]:80", "http://[::1]"),
    ("http://localhost:8080/", "http://localhost:8080"),
]


@pytest.mark.parametrize(("text", "reading"), READINGS)
def test_a_server_url_has_one_reading_or_is_refused(text, reading):
    if reading is None:
        with pytest.raises(ServerUrlError):
            parse_server(text)
    else:
        assert parse_server(text).url == reading


@pytest.mark.parametrize(
    ("text", "loopback"),
    [
        ("http://localhost:1", True),
        ("http://127.0.0.2", True),
        ("http://[::1]", True),
        ("http://rc.localhost", False),  # resolved through DNS: not loopback
        ("http://localhost.example.com", False),
        ("http://10.9.9.9", False),
    ],
)
def test_loopback_is_a_loopback_literal_or_localhost_itself(text, loopback):
    url = parse_server(text)
    assert url.is_loopback is loopback
    assert url.is_cleartext is not loopback


def test_the_clients_are_handed_the_normalised_url_and_a_refusal_names_the_variable():
    values = {"RC_APP_CLIENT_ID": "id", "RC_APP_CLIENT_SECRET": "s", "RC_USER_JWT": "j"}
    encoded = credentials_from({**values, "RC_SERVER_URL": "https://platform%2eringcentral%2ecom"})
    assert encoded.server == "https://platform.ringcentral.com"
    with pytest.raises(InputError) as refused:
        credentials_from({**values, "RC_SERVER_URL": "https://a:hunter2-password@platform.ringcentral.com"})
    assert "RC_SERVER_URL" in str(refused.value) and "hunter2" not in str(refused.value)
    assert resolve_server("production") == "https://platform.ringcentral.com"
