"""Typical app flows, driven by the official ``ringcentral`` Python SDK against the local sandbox over
loopback, exactly as apps send them, each held to what RingCentral documents for it
(docs/ringcentral.md, Rules): multipart SMS, MMS and fax as the SDK's MultipartBuilder writes them,
a profile image, bulk presence read with the SDK's own multipart parser, a webhook subscription
created, renewed and deleted through the validation handshake, call-log sync, and the caller's own
extension updated and read back.

One sandbox serves the module; each test makes what it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from ringcentral import SDK
from ringcentral.http.api_exception import ApiException

from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.account import NUMBERS
from runner.sandbox.receiver import webhook_receiver

pytestmark = pytest.mark.loopback

EXT = "/restapi/v1.0/account/~/extension/~"
SENDER = NUMBERS[0].phone_number  # SmsSender and MmsSender
MAIN_NUMBER = NUMBERS[2].phone_number  # the company's main number: no SmsSender
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(scope="module")
def sdk() -> Iterator[SDK]:
    config = SandboxConfig(time_scale=1e-5, access_token_ttl=1e9, refresh_token_ttl=1e9)
    with running_sandbox(config) as sb:
        client = SDK(sb.config.client_id, sb.config.client_secret, sb.url)
        client.platform().login(jwt=sb.config.jwt)
        yield client


def _refused(call: Any) -> tuple[int, str | None]:
    """The status and nested code of a call the SDK raised for."""
    with pytest.raises(ApiException) as raised:
        call()
    response = raised.value.api_response().response()
    body = response.json()
    return response.status_code, (body.get("errors") or [{}])[0].get("errorCode") or body.get("errorCode")


def test_an_sms_sent_as_the_sdk_builds_it_multipart_is_stored_outbound_as_sent(sdk: SDK) -> None:
    platform = sdk.platform()
    builder = sdk.create_multipart_builder()
    builder.set_body(
        {"from": {"phoneNumber": SENDER}, "to": [{"phoneNumber": "16505550177"}], "text": "on call?"}
    )
    sent = platform.send_request(builder.request(f"{EXT}/sms")).json_dict()
    # RingCentral.Net's live SmsTest and RingCentral's reference: an SMS, Outbound, Read, as sent.
    assert (sent["type"], sent["direction"], sent["readStatus"]) == ("SMS", "Outbound", "Read")
    assert sent["subject"] == "on call?"
    assert sent["from"] == {"phoneNumber": SENDER}
    assert sent["to"] == [{"phoneNumber": "+16505550177"}]  # answered in +E.164
    assert "faxErrorCode" not in str(sent)
    stored = platform.get(f"{EXT}/message-store/{sent['id']}").json_dict()
    assert stored == sent
    outbound = platform.get(f"{EXT}/message-store", {"direction": "Outbound", "perPage": 1000}).json_dict()
    assert sent["id"] in [m["id"] for m in outbound["records"]]


def test_an_mms_is_an_sms_with_its_attachment_and_needs_no_text(sdk: SDK) -> None:
    platform = sdk.platform()
    builder = sdk.create_multipart_builder()
    builder.set_body({"from": {"phoneNumber": SENDER}, "to": [{"phoneNumber": "+16505550177"}]})
    builder.add(("photo.png", PNG, "image/png"))
    sent = platform.send_request(builder.request(f"{EXT}/sms")).json_dict()
    kinds = [(a["type"], a["contentType"]) for a in sent["attachments"]]
    assert kinds == [("Text", "text/plain"), ("MmsAttachment", "image/png")]
    assert sent["attachments"][1]["size"] == len(PNG) and sent["attachments"][1]["fileName"] == "photo.png"


def test_sms_senders_numbers_and_bodies_refused_as_ringcentral_refuses_them(sdk: SDK) -> None:
    platform = sdk.platform()
    to = [{"phoneNumber": "+16505550177"}]
    # A number the user does not own; one it owns without SmsSender; a fax line.
    assert _refused(
        lambda: platform.post(f"{EXT}/sms", {"from": {"phoneNumber": "+14155550100"}, "to": to, "text": "x"})
    ) == (400, "MSG-245")
    assert _refused(
        lambda: platform.post(f"{EXT}/sms", {"from": {"phoneNumber": MAIN_NUMBER}, "to": to, "text": "x"})
    ) == (403, "MSG-242")
    assert _refused(
        lambda: platform.post(
            f"{EXT}/sms", {"from": {"phoneNumber": NUMBERS[1].phone_number}, "to": to, "text": "x"}
        )
    ) == (403, "MSG-241")
    for bad in ("abc", "+1", ""):
        body = {"from": {"phoneNumber": SENDER}, "to": [{"phoneNumber": bad}], "text": "x"}
        assert _refused(lambda body=body: platform.post(f"{EXT}/sms", body)) == (400, "CMN-101")
    body = {"from": {"phoneNumber": SENDER}, "to": to, "text": "x" * 1001}
    assert _refused(lambda: platform.post(f"{EXT}/sms", body)) == (400, "CMN-101")
    # An empty multipart SMS (the SDK's builder with no body: a null JSON part) and a text/plain one.
    empty = sdk.create_multipart_builder().request(f"{EXT}/sms")
    assert _refused(lambda: platform.send_request(empty)) == (400, "CMN-101")
    plain = {"Content-Type": "text/plain"}
    assert _refused(lambda: platform.post(f"{EXT}/sms", "hello", headers=plain))[0] == 415
    # MMS from a number without MmsSender.
    builder = sdk.create_multipart_builder().set_body({"from": {"phoneNumber": MAIN_NUMBER}, "to": to})
    builder.add(("photo.png", PNG, "image/png"))
    assert _refused(lambda: platform.send_request(builder.request(f"{EXT}/sms")))[0] == 403


def test_a_fax_as_the_sdk_sends_it_form_data_or_mixed_is_queued_outbound(sdk: SDK) -> None:
    platform = sdk.platform()
    for mixed in (False, True):
        builder = sdk.create_multipart_builder().set_multipart_mixed(mixed)
        builder.set_body(
            {"to": [{"phoneNumber": "+16505550177"}], "faxResolution": "High", "coverPageText": "hi"}
        )
        builder.add(("report.pdf", b"%PDF-1.4 ...", "application/pdf"))
        builder.add(("notes.txt", "two lines\nof text"))  # no content type: read from the name
        sent = platform.send_request(builder.request(f"{EXT}/fax")).json_dict()
        assert (sent["type"], sent["direction"], sent["messageStatus"]) == ("Fax", "Outbound", "Queued")
        assert sent["to"] == [{"phoneNumber": "+16505550177", "messageStatus": "Queued"}]
        assert sent["faxResolution"] == "High" and sent["faxPageCount"] == 0
        assert "faxErrorCode" not in str(sent)
    no_file = sdk.create_multipart_builder().set_body({"to": [{"phoneNumber": "+16505550177"}]})
    assert _refused(lambda: platform.send_request(no_file.request(f"{EXT}/fax"))) == (400, "CMN-101")
    empty_file = sdk.create_multipart_builder().set_body({"to": [{"phoneNumber": "+16505550177"}]})
    empty_file.add(("report.pdf", b"", "application/pdf"))
    assert _refused(lambda: platform.send_request(empty_file.request(f"{EXT}/fax"))) == (400, "MSG-347")


def test_fax_cover_pages_are_the_documented_zero_to_thirteen(sdk: SDK) -> None:
    pages = sdk.platform().get("/restapi/v1.0/dictionary/fax-cover-page").json_dict()
    assert [(p["id"], p["name"]) for p in pages["records"]][:2] == [("0", "None"), ("1", "Ancient")]
    assert [p["id"] for p in pages["records"]] == [str(i) for i in range(14)]
    assert pages["records"][11]["name"] == "Jazzy" and pages["records"][13]["name"] == "Urgent"
    assert pages["paging"]["totalElements"] == 14 and pages["paging"]["pageEnd"] == 13


def test_a_profile_image_uploaded_with_the_sdk_is_kept_and_an_empty_one_refused(sdk: SDK) -> None:
    platform = sdk.platform()
    builder = sdk.create_multipart_builder()  # no body: the SDK sends a null JSON part, then the image
    builder.add(("me.png", PNG, "image/png"), name="image")
    assert platform.send_request(builder.request(f"{EXT}/profile-image")).response().status_code == 204
    assert platform.get(f"{EXT}/profile-image").body() == PNG
    empty = sdk.create_multipart_builder()
    empty.add(("me.png", b"", "image/png"), name="image")
    assert _refused(lambda: platform.send_request(empty.request(f"{EXT}/profile-image", method="PUT"))) == (
        400,
        "CMN-101",
    )
    text = sdk.create_multipart_builder()
    text.add(("me.txt", b"not an image", "text/plain"), name="image")
    assert _refused(lambda: platform.send_request(text.request(f"{EXT}/profile-image"))) == (415, "ACT-330")


def test_bulk_presence_reads_with_the_sdks_multipart_parser(sdk: SDK) -> None:
    platform = sdk.platform()
    ids = [str(e["id"]) for e in platform.get("/restapi/v1.0/account/~/extension").json_dict()["records"]]
    assert len(ids) >= 2
    answer = platform.get(f"/restapi/v1.0/account/~/extension/{','.join(ids[:2])},0/presence")
    assert answer.response().status_code == 207
    parts = answer.multipart()  # the SDK's own reader of RingCentral's 207
    assert [p.response().status_code for p in parts] == [200, 200, 404]
    too_many = ",".join(ids[:1] * 31)
    assert _refused(lambda: platform.get(f"/restapi/v1.0/account/~/extension/{too_many}/presence")) == (
        400,
        "InvalidMultipartRequest",
    )


def test_a_webhook_is_created_through_the_handshake_renewed_and_deleted(sdk: SDK) -> None:
    platform = sdk.platform()
    with webhook_receiver() as receiver:
        body = {
            "eventFilters": ["/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"],
            "deliveryMode": {"transportType": "WebHook", "address": receiver.url, "verificationToken": "v1"},
            "expiresIn": 3600,
        }
        created = platform.post("/restapi/v1.0/subscription", body).json_dict()
        assert receiver.counts.validations == 1
    assert created["status"] == "Active" and created["deliveryMode"]["transportType"] == "WebHook"
    assert "verificationToken" not in created["deliveryMode"]  # write-only
    assert "~" not in created["eventFilters"][0]  # stored with the account's and extension's ids
    renewed = platform.post(f"/restapi/v1.0/subscription/{created['id']}/renew").json_dict()
    assert renewed["id"] == created["id"] and renewed["expirationTime"] >= created["expirationTime"]
    assert platform.put(f"/restapi/v1.0/subscription/{created['id']}", {}).json_dict()["id"] == created["id"]
    assert platform.delete(f"/restapi/v1.0/subscription/{created['id']}").response().status_code == 204
    assert _refused(lambda: platform.get(f"/restapi/v1.0/subscription/{created['id']}"))[0] == 404
    # The receiver is gone now: nobody answers the validation request.
    assert _refused(lambda: platform.post("/restapi/v1.0/subscription", body)) == (400, "SUB-521")


def test_call_log_sync_issues_tokens_and_refuses_one_it_never_issued(sdk: SDK) -> None:
    platform = sdk.platform()
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    full = platform.get(f"{EXT}/call-log-sync", {"syncType": "FSync", "recordCount": 5, "dateFrom": since})
    info = full.json_dict()["syncInfo"]
    assert info["syncType"] == "FSync" and info["syncToken"]
    assert all(r["startTime"] >= since for r in full.json_dict()["records"])
    again = platform.get(f"{EXT}/call-log-sync", {"syncType": "ISync", "syncToken": info["syncToken"]})
    assert again.json_dict()["syncInfo"]["syncType"] == "ISync"
    forged = {"syncType": "ISync", "syncToken": "made-up-token"}
    assert _refused(lambda: platform.get(f"{EXT}/call-log-sync", forged)) == (400, "CMN-101")


def test_the_callers_extension_is_updated_read_back_and_listed(sdk: SDK) -> None:
    platform = sdk.platform()
    me = platform.get(EXT).json_dict()
    platform.put(EXT, {"contact": {"firstName": "Dana"}})
    after = platform.get(EXT).json_dict()
    assert after["contact"]["firstName"] == "Dana"
    assert after["contact"]["email"] == me["contact"]["email"]  # a field not sent is kept
    listed = platform.get("/restapi/v1.0/account/~/extension").json_dict()["records"]
    assert after["id"] in [e["id"] for e in listed]
    assert next(e for e in listed if e["id"] == after["id"])["contact"]["firstName"] == "Dana"


def test_tokens_lifetimes_are_integers(sdk: SDK) -> None:
    data = sdk.platform().auth().data()
    assert isinstance(data["expires_in"], int) and isinstance(data["refresh_token_expires_in"], int)
