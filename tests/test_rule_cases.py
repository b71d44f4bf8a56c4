"""Zero known cases where the sandbox answers 2xx and RingCentral documents a 4xx: every rule that
RingCentral refuses with a 4xx has a request here (``tests/rule_cases.py``) or a test of its own,
the sandbox answers it with the rule's status and code, and ``rcgrad check`` refuses the ones a
request alone decides, naming the rule, before any traffic. Also the webhook validation handshake
against addresses that answer it wrong, and the permissions a rule puts calls under.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from runner.rc.rules import RULES, Enforced
from runner.rc.validate import validate
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.receiver import webhook_receiver
from tests.conftest import sandbox_token
from tests.rule_cases import CASES, Case, validator_request

# Rules whose 4xx is tested elsewhere, by name: they need a sandbox or an address of their own.
TESTED_APART = {
    "sub.webhook-scope": "test_a_webhook_create_is_a_call_under_subscription_webhook",
    "ws.scope": "test_the_websocket_token_needs_its_scope_and_lives_whole_seconds",
    "sub.webhook-no-echo": "test_the_handshake_refuses_an_address_that_answers_it_wrong",
    "sub.webhook-status": "test_the_handshake_refuses_an_address_that_answers_it_wrong",
    "sub.webhook-size": "test_the_handshake_refuses_an_address_that_answers_it_wrong",
    "sub.limit-30": "test_sandbox_fidelity.py::test_the_thirty_first_subscription_is_refused...",
    "fax.size-50mb": "test_rules.py::test_attachment_sizes_are_added_up (50 MB over loopback is slow)",
}
# An id that names nothing was a 404 CMN-102 before the rules layer (test_local_sandbox.py,
# test_validation_unknown_paths_and_unknown_ids; test_sandbox_fidelity.py, path identity).
NAMES_NOTHING = {
    "sub.unknown-id",
    "msg.unknown-id",
    "bulk.not-supported",
    "clog.unknown-id",
    "presence.unknown-extension",
    "ext.unknown",
    "contact.unknown",
    "ringout.status-unknown",
    "cc.live-session",
}
REFUSING = [
    r for r in RULES if r.status and r.status >= 400 and r.enforced in (Enforced.CHECK, Enforced.SANDBOX)
]


def test_every_rule_ringcentral_refuses_with_a_4xx_has_a_request_that_shows_it() -> None:
    covered = {case.rule for case in CASES} | set(TESTED_APART) | NAMES_NOTHING
    assert [r.id for r in REFUSING if r.id not in covered] == []
    assert {case.rule for case in CASES} <= {r.id for r in RULES}


def _rule(rule_id: str) -> Any:
    return next(r for r in RULES if r.id == rule_id)


STATIC = [c for c in CASES if _rule(c.rule).enforced is Enforced.CHECK]


@pytest.mark.parametrize("case", STATIC, ids=lambda c: c.rule)
def test_check_refuses_each_static_case_naming_the_rule(case: Case) -> None:
    op, request = validator_request(case)
    problems = validate(op, request)
    named = [p for p in problems if p.rule is not None and p.rule.id == case.rule]
    assert named, [(p.where, p.message) for p in problems]
    assert case.rule in named[0].message and named[0].rule is not None
    assert named[0].rule.sources[0] in named[0].message


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    config = SandboxConfig(time_scale=1e-5, access_token_ttl=1e9, refresh_token_ttl=1e9)
    with (
        running_sandbox(config) as sb,
        httpx.Client(
            base_url=sb.url, headers={"Authorization": f"Bearer {sandbox_token(sb)}"}, timeout=30
        ) as client,
    ):
        yield client


def encode(root: Any, files: tuple[tuple[str, str | None, str | None, bytes], ...]) -> tuple[str, bytes]:
    """A multipart/form-data body as the SDKs write one: the JSON part, then the files."""
    boundary = "rcgrad-test-boundary"
    chunks: list[bytes] = []
    if root is not None:
        chunks.append(
            b'Content-Disposition: form-data; name="json"; filename="request.json"\r\n'
            b"Content-Type: application/json\r\n\r\n" + httpx.Response(200, json=root).content
        )
    for name, filename, content_type, data in files:
        head = f'Content-Disposition: form-data; name="{name}"'
        head += f'; filename="{filename}"' if filename else ""
        head += f"\r\nContent-Type: {content_type}" if content_type else ""
        chunks.append(head.encode() + b"\r\n\r\n" + data)
    body = (
        b"".join(f"--{boundary}\r\n".encode() + c + b"\r\n" for c in chunks) + f"--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def send(api: httpx.Client, case: Case) -> httpx.Response:
    if case.raw is not None:
        content_type, body = case.raw
        return api.request(
            case.method, case.path, params=case.query, content=body, headers={"Content-Type": content_type}
        )
    if case.multipart:
        content_type, body = encode(case.root, case.files or ())
        return api.request(
            case.method, case.path, params=case.query, content=body, headers={"Content-Type": content_type}
        )
    return api.request(case.method, case.path, params=case.query, json=case.json)


@pytest.mark.loopback
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_the_sandbox_answers_each_case_as_ringcentral_does(api: httpx.Client, case: Case) -> None:
    rule = _rule(case.rule)
    reply = send(api, case)
    body = reply.json()
    nested = (body.get("errors") or [{}])[0].get("errorCode")
    assert (reply.status_code, nested) == (case.status, case.code or rule.code), body


class _Answers(BaseHTTPRequestHandler):
    """An address that answers the validation request wrong, in the way its path names."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        token = self.headers.get("Validation-Token", "")
        status, headers, body = {
            "/no-echo": (200, {}, b""),
            "/wrong-echo": (200, {"Validation-Token": "not-" + token}, b""),
            "/status": (500, {"Validation-Token": token}, b""),
            "/big": (200, {"Validation-Token": token}, b"x" * 2000),
            "/slow": (200, {"Validation-Token": token}, b""),
        }[self.path]
        if self.path == "/slow":
            time.sleep(3.5)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.mark.loopback
def test_the_handshake_refuses_an_address_that_answers_it_wrong(api: httpx.Client) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        expected = {
            "/no-echo": "SUB-520",
            "/wrong-echo": "SUB-520",
            "/status": "SUB-522",
            "/big": "SUB-525",
            "/slow": "SUB-521",
        }
        for path, code in expected.items():
            body = {
                "eventFilters": ["/restapi/v1.0/account/~/extension/~/message-store"],
                "deliveryMode": {"transportType": "WebHook", "address": base + path},
            }
            reply = api.post("/restapi/v1.0/subscription", json=body)
            assert (reply.status_code, reply.json()["errors"][0]["errorCode"]) == (400, code), path
            if code == "SUB-522":
                assert "HTTP status is 500" in reply.json()["message"]
        # A closed port: nobody there.
        body["deliveryMode"]["address"] = "http://127.0.0.1:9/hook"  # type: ignore[index]
        assert api.post("/restapi/v1.0/subscription", json=body).json()["errorCode"] == "SUB-521"
        assert api.get("/restapi/v1.0/subscription").json()["records"] == []  # none was made
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.loopback
def test_a_webhook_create_is_a_call_under_subscription_webhook() -> None:
    body = {"eventFilters": ["/restapi/v1.0/account/~/extension/~/message-store"]}
    with (
        webhook_receiver() as receiver,
        running_sandbox(SandboxConfig(scopes=frozenset({"ReadMessages"}))) as sb,
    ):
        headers = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        webhook = {**body, "deliveryMode": {"transportType": "WebHook", "address": receiver.url}}
        refused = httpx.post(sb.url + "/restapi/v1.0/subscription", json=webhook, headers=headers)
        assert refused.status_code == 403 and refused.json()["permissionName"] == "SubscriptionWebhook"
        assert receiver.counts.validations == 0  # refused before the address is asked anything
    scopes = frozenset({"ReadMessages", "SubscriptionWebhook"})
    with webhook_receiver() as receiver, running_sandbox(SandboxConfig(scopes=scopes)) as sb:
        headers = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        webhook = {**body, "deliveryMode": {"transportType": "WebHook", "address": receiver.url}}
        made = httpx.post(sb.url + "/restapi/v1.0/subscription", json=webhook, headers=headers)
        assert made.status_code == 200
        httpx.post(f"{sb.url}/restapi/v1.0/subscription/{made.json()['id']}/renew", headers=headers)
        logged = [(r.method, r.template, r.permission) for r in sb.state.log if "subscription" in r.template]
        assert logged == [
            ("POST", "/restapi/v1.0/subscription", "SubscriptionWebhook"),
            ("POST", "/restapi/v1.0/subscription/{subscriptionId}/renew", None),
        ]
        status = sb.state.status()
        exercised = next(c for c in status["criteria"] if c["name"] == "scopes_exercised")
        assert "SubscriptionWebhook" not in exercised["detail"]["unused"]


@pytest.mark.loopback
def test_the_websocket_token_needs_its_scope_and_lives_whole_seconds() -> None:
    with running_sandbox(SandboxConfig(scopes=frozenset({"ReadAccounts"}))) as sb:
        headers = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        refused = httpx.post(sb.url + "/restapi/oauth/wstoken", headers=headers)
        assert refused.status_code == 403 and refused.json()["permissionName"] == "WebSocket"
        assert httpx.post(sb.url + "/restapi/oauth/wstoken").status_code == 401  # a bearer token first
    with running_sandbox(SandboxConfig(scopes=frozenset({"WebSocketsSubscription"}))) as sb:
        headers = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        token = httpx.post(sb.url + "/restapi/oauth/wstoken", headers=headers)
        assert token.status_code == 200 and token.json()["expires_in"] == 30
        assert token.json()["uri"].startswith("ws://127.0.0.1:")
        record = sb.state.log[-1]
        assert (record.template, record.permission, record.is_oauth) == (
            "/restapi/oauth/wstoken",
            "WebSocket",
            True,
        )
        exercised = next(c for c in sb.state.status()["criteria"] if c["name"] == "scopes_exercised")
        assert exercised["detail"]["unused"] == []
