"""Hostile input: the production guard, cleartext servers, hostile captures, absurd sizes.

Each test here stands for a defect a deliberate attack found; every one failed before its fix.
"""

from __future__ import annotations

import pytest

from runner.cli import main
from runner.rc.hosts import is_cleartext, is_production_host
from tests.rehearsal import write_plan

WRITES = """\
  - GET /restapi/v1.0/account/~/extension/~
  - name: contact
    request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
    json: {firstName: Ada, lastName: Lovelace}
"""

PRODUCTION_SPELLINGS = [
    "https://platform.ringcentral.com",
    "https://PLATFORM.RINGCENTRAL.COM",
    "https://Platform.RingCentral.com",
    "https://platform.ringcentral.com.",
    "https://platform.ringcentral.com:443/",
    "https://user:pw@platform.ringcentral.com",
    "https://platform.ringcentral.biz",
    "https://media.ringcentral.com",
    "https://ｐｌａｔｆｏｒｍ.ｒｉｎｇｃｅｎｔｒａｌ.ｃｏｍ",  # fullwidth: IDNA maps it to the ASCII host
    "production",
]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_every_spelling_of_a_production_host_is_production(url):
    from runner.settings import resolve_server

    assert is_production_host(resolve_server(url))


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.devtest.ringcentral.com",
        "https://PLATFORM.DEVTEST.RingCentral.com.",
        "http://127.0.0.1:9",
        "https://ringcentral.example.org",
    ],
)
def test_non_production_hosts_are_not(url):
    assert not is_production_host(url)


def test_cleartext_is_only_allowed_on_loopback():
    assert is_cleartext("http://example.com") and is_cleartext("HTTP://10.0.0.1:80")
    assert not is_cleartext("http://127.0.0.1:8080") and not is_cleartext("http://[::1]:80")
    assert not is_cleartext("http://localhost:1") and not is_cleartext("https://example.com")


def _credentials(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in (("RC_APP_CLIENT_ID", "id"), ("RC_APP_CLIENT_SECRET", "s"), ("RC_USER_JWT", "j")):
        monkeypatch.setenv(name, value)


def _no_network(monkeypatch):
    import httpx

    def refuse(*args, **kwargs):
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    monkeypatch.setattr(httpx.Client, "send", refuse)


@pytest.mark.parametrize("server", ["https://PLATFORM.RINGCENTRAL.COM", "https://Platform.RingCentral.com."])
def test_a_capitalised_production_host_still_needs_both_consents(server, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path, WRITES, scopes=("ReadAccounts", "Contacts"))
    assert main(["graduate", plan, "--server", server]) == 2
    assert "--allow-production" in capsys.readouterr().err
    assert main(["graduate", plan, "--server", server, "--allow-production"]) == 2
    assert "--allow-production-writes" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["login", "logout", "token"])
def test_token_commands_need_consent_for_production(command, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path)
    assert main([command, plan, "--server", "https://platform.RingCentral.com"]) == 2
    err = capsys.readouterr().err
    assert "--allow-production" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["graduate", "login"])
def test_a_cleartext_server_is_refused_unless_allowed(command, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path)
    assert main([command, plan, "--server", "http://example.com"]) == 2
    err = capsys.readouterr().err
    assert "--allow-insecure-http" in err and len(err.strip().splitlines()) == 1
