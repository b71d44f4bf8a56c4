"""Hostile input: every spelling of production needs consent, cleartext is refused, captured values
cannot escape their URL segment or header, and absurd numbers are bad input. Each case is one line,
exit 2, and nothing sent."""

from __future__ import annotations

import pytest

from runner.cli import main
from runner.rc.hosts import is_loopback, is_production_host, normalise_host
from runner.sandbox import SandboxConfig, running_sandbox
from tests.rehearsal import SCOPES, sandbox_api_records, use, write_plan

READ_PLAN = """\
app:
  name: hostile
  description: A test app that reads the user's extension to check hostile input handling.
  scopes: [ReadAccounts]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""

PRODUCTION_SPELLINGS = [
    "https://PLATFORM.RINGCENTRAL.COM",
    "https://Platform.RingCentral.com",
    "https://platform.ringcentral.com.",
    "https://platform.ringcentral.com:443/",
    "https://user:pw@platform.ringcentral.com",
    "https://ｐｌａｔｆｏｒｍ.ringcentral.com",
    "https://platform。ringcentral。com",
    "https://platform.ringcentral.biz",
    "https://media.ringcentral.com",
    "production",
]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_every_spelling_of_a_production_host_is_production(url):
    assert is_production_host(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.devtest.ringcentral.com",
        "https://PLATFORM.DEVTEST.RINGCENTRAL.COM.",
        "https://evilringcentral.com",
        "https://ringcentral.com.evil.example",
        "http://127.0.0.1:8080",
    ],
)
def test_non_production_hosts_are_not(url):
    assert not is_production_host(url)


def test_host_normalisation():
    assert normalise_host("HTTPS://u:p@Platform.RingCentral.COM.:8443/x") == "platform.ringcentral.com"
    assert (
        is_loopback("http://127.0.0.1:1")
        and is_loopback("http://[::1]:1")
        and is_loopback("http://localhost")
    )
    assert not is_loopback("http://10.0.0.1") and not is_loopback("http://localhost.evil.example")


def _creds(monkeypatch):
    for name, value in (
        ("RC_APP_CLIENT_ID", "id"),
        ("RC_APP_CLIENT_SECRET", "s3cr3t"),
        ("RC_USER_JWT", "j.w.t"),
    ):
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS[:7])
@pytest.mark.parametrize("command", ["graduate", "warmup", "login", "logout", "token"])
def test_production_in_any_spelling_needs_consent_for_every_command(
    tmp_path, monkeypatch, capsys, url, command
):
    _creds(monkeypatch)
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN)
    assert main([command, str(plan), "--server", url]) == 2
    err = capsys.readouterr().err
    assert "--allow-production" in err and err.count("\n") == 1


def test_cleartext_remote_server_is_refused_unless_allowed(tmp_path, monkeypatch, capsys):
    _creds(monkeypatch)
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN)
    for command in ("graduate", "login"):
        assert main([command, str(plan), "--server", "http://192.0.2.1:9"]) == 2
        err = capsys.readouterr().err
        assert "--allow-insecure-http" in err and err.count("\n") == 1
    # Loopback http is the sandbox's own: accepted without the flag.
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        assert main(["login", write_plan(tmp_path), "--server", sb.url]) == 0
        assert not sandbox_api_records(sb)
