"""The local sandbox answers like RingCentral where the real server would differ from a kind mock:
path identity, HEAD/405/OPTIONS, responses built from the spec's schemas, paging and filters.

One sandbox serves the whole module over loopback (starting one per test would triple the time).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from runner.cli import main
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.oauth import ACCOUNT_ID, EXTENSION_ID

EXT = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with running_sandbox(SandboxConfig(time_scale=0.001)) as sb:
        reply = httpx.post(
            sb.url + "/restapi/oauth/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": sb.config.jwt},
            auth=(sb.config.client_id, sb.config.client_secret),
        )
        token = reply.json()["access_token"]
        with httpx.Client(base_url=sb.url, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client


# -- path identity ---------------------------------------------------------------------------------


def test_the_own_account_and_extension_answer_by_tilde_and_by_id(api: httpx.Client) -> None:
    for account in ("~", ACCOUNT_ID):
        for extension in ("~", EXTENSION_ID):
            reply = api.get(f"/restapi/v1.0/account/{account}/extension/{extension}/call-log")
            assert reply.status_code == 200, reply.text
    assert api.get(f"/restapi/v1.0/account/{ACCOUNT_ID}").status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/restapi/v1.0/account/12345", "accountId"),
        ("/restapi/v1.0/account/12345/extension/~/call-log", "accountId"),
        ("/restapi/v1.0/account/~/extension/abc/call-log", "extensionId"),
        ("/restapi/v1.0/account/~/extension/abc", "extensionId"),
    ],
)
def test_ids_that_are_not_the_callers_answer_404_cmn_102(
    api: httpx.Client, path: str, parameter: str
) -> None:
    reply = api.get(path)
    assert reply.status_code == 404, reply.text
    error = reply.json()["errors"][0]
    assert (error["errorCode"], error["parameterName"]) == ("CMN-102", parameter)


def test_an_extension_of_the_account_reads_its_own_resources(api: httpx.Client) -> None:
    listed = api.get("/restapi/v1.0/account/~/extension").json()["records"]
    other = listed[0]["id"]
    assert api.get(f"/restapi/v1.0/account/~/extension/{other}/call-log").status_code == 200


def test_actions_on_ids_that_never_existed_answer_404(api: httpx.Client) -> None:
    reply = api.post("/team-messaging/v1/webhooks/0/activate")
    assert reply.status_code == 404, reply.text
    assert reply.json()["errors"][0]["parameterName"] == "webhookId"


# -- methods ---------------------------------------------------------------------------------------


def test_head_is_get_without_a_body(api: httpx.Client) -> None:
    reply = api.head(EXT)
    assert reply.status_code == 200 and reply.content == b""
    assert reply.headers["content-type"].startswith("application/json")


def test_an_undeclared_method_is_405_with_allow(api: httpx.Client) -> None:
    reply = api.request("PATCH", "/restapi/v1.0/account/~/extension/~/call-log")
    assert reply.status_code == 405, reply.text
    allowed = {m.strip() for m in reply.headers["allow"].split(",")}
    assert {"GET", "DELETE", "HEAD"} <= allowed and "PATCH" not in allowed
    assert api.request("TRACE", EXT).status_code == 405


def test_options_names_the_allowed_methods_without_a_token(api: httpx.Client) -> None:
    reply = httpx.options(str(api.base_url) + "/restapi/v1.0/account/~/extension/~/call-log")
    assert reply.status_code == 200
    assert {m.strip() for m in reply.headers["allow"].split(",")} == {"GET", "DELETE", "HEAD", "OPTIONS"}
    assert api.options("/restapi/v1.0/nowhere").status_code == 404


# -- limits ----------------------------------------------------------------------------------------


def test_limits_above_ringcentrals_defaults_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--limits", "Heavy=11"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--limits" in err and "Heavy=11" in err and "10" in err and len(err.splitlines()) == 1
