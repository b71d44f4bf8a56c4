"""The sandbox's own surface: its control API answers only its owner, and hostile requests are 4xx.

Before: another local user (or a web page, through a ``text/plain`` POST or a rebound name) could
turn faults on in someone's rehearsal; an unreadable Basic header and a 100,000-deep JSON body
answered 500; a 400 MB body grew the sandbox by a gigabyte.
"""

from __future__ import annotations

import httpx
import pytest

from runner.sandbox import SandboxConfig, running_sandbox

pytestmark = pytest.mark.loopback

EXT = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture(scope="module")
def sb():
    with running_sandbox(SandboxConfig()) as handle:
        yield handle


@pytest.mark.parametrize("name", ["faults", "revoke-all", "log", "status"])
def test_the_control_api_needs_the_owners_token_and_a_loopback_host(sb, name):
    method = "GET" if name in ("log", "status") else "POST"
    url = f"{sb.url}/__sandbox/{name}"
    body = {"json": {"force_429": 0}} if name == "faults" else {}
    assert httpx.request(method, url, **body).status_code == 403
    wrong = {"X-Sandbox-Control": "guess"}
    assert httpx.request(method, url, headers=wrong, **body).status_code == 403
    # A page on another origin that rebound its name to 127.0.0.1 still sends its own Host.
    rebound = {**sb.control_headers, "Host": "attacker.example"}
    assert httpx.request(method, url, headers=rebound, **body).status_code == 403
    assert httpx.request(method, url, headers=sb.control_headers, **body).status_code == 200


def test_a_text_plain_post_from_a_web_page_changes_nothing(sb):
    answer = httpx.post(
        f"{sb.url}/__sandbox/faults",
        content=b'{"force_429": 3}',
        headers={"Content-Type": "text/plain", "Origin": "http://attacker.example"},
    )
    assert answer.status_code == 403 and sb.state.faults.force_429 == 0


def test_an_unreadable_basic_header_is_a_400_not_a_500(sb):
    for header in (b"Basic \xff\xff==", b"Basic %%%", b"Basic bm9jb2xvbg=="):  # the last: no colon
        answer = httpx.post(
            f"{sb.url}/restapi/oauth/token",
            content=b"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=x",
            headers={"Authorization": header, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", header


def _token(sb) -> str:
    answer = httpx.post(
        f"{sb.url}/restapi/oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": sb.config.jwt},
        auth=(sb.config.client_id, sb.config.client_secret),
    )
    return str(answer.json()["access_token"])


def test_a_json_body_nested_beyond_reason_is_a_400(sb):
    auth = {"Authorization": f"Bearer {_token(sb)}", "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = httpx.post(
        f"{sb.url}/restapi/v1.0/account/~/extension/~/address-book/contact", content=deep, headers=auth
    )
    assert answer.status_code == 400 and answer.json()["errorCode"] == "CMN-101"


def test_a_body_over_the_operations_limit_is_a_413_before_it_is_read(sb):
    auth = {"Authorization": f"Bearer {_token(sb)}", "Content-Type": "application/json"}
    url = f"{sb.url}/restapi/v1.0/account/~/extension/~/address-book/contact"
    huge = b'{"firstName": "' + b"a" * (11 * 2**20) + b'"}'  # the contacts' limit is the 10 MiB default
    answer = httpx.post(url, content=huge, headers=auth)
    assert answer.status_code == 413 and answer.json()["errorCode"] == "RequestEntityTooLarge"

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(12):
            yield b"a" * 2**20

    answer = httpx.post(url, content=chunks(), headers=auth)
    assert answer.status_code == 413
    assert [r.status for r in sb.state.log if r.status == 413] == [413, 413]  # logged like any 4xx
