"""The rules layer and what reads it, with no socket: the rule table, phone numbers, multipart bodies
in every form RingCentral takes, content types, the permission a call is made under, the verdict's
and the top-up's view of it, ``plan init``'s webhook and WebSocket items, and the account's facts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import requests

from runner.plan.check import check_plan
from runner.plan.init import body_for, draft_plan, render
from runner.plan.loader import parse_plan
from runner.rc import phone, rules
from runner.rc.catalog import load_catalog
from runner.rc.rules import RULES, Confidence, Enforced, doc
from runner.rc.rules.base import Attachment
from runner.rc.scopes import closure, exercised_by, grants
from runner.rc.validate import Request, validate
from runner.records import CallRecord, Kind
from runner.sandbox import account, bulk, multipart
from runner.verdict.criteria import evaluate
from runner.verdict.topup import plan_graduate
from tests.conftest import REPO
from tests.criteria_support import at

ME = {"accountId": "~", "extensionId": "~"}


def _op(operation_id: str):  # type: ignore[no-untyped-def]
    op = load_catalog().by_id(operation_id)
    assert op is not None
    return op


# ------------------------------------------------------------------------------------ the table


def test_each_rule_is_written_once_with_a_public_source_and_an_honest_status() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) and len(ids) >= 140
    operations = {op.id for op in load_catalog().operations}
    for rule in RULES:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9.-]+", rule.id), rule.id
        assert rule.sources and all(s.startswith("https://") for s in rule.sources), rule.id
        assert set(rule.operations) <= operations, (rule.id, set(rule.operations) - operations)
        assert rule.when and (rule.status is None or 400 <= rule.status < 600), rule.id
        if rule.enforced is Enforced.NOT_MODELLED:
            assert rule.note, f"{rule.id}: say why the sandbox cannot meet it"
        if rule.status and rule.enforced in (Enforced.CHECK, Enforced.SANDBOX):
            assert rule.code, f"{rule.id}: a refusal names its code"
        if rule.confidence is Confidence.LOW and rule.status and rule.enforced is Enforced.CHECK:
            # Where the source is weak, rcgrad refuses only what is plainly no request at all.
            assert rule.id == "ct.unsupported", rule.id


def test_docs_list_every_rule_with_its_source() -> None:
    text = (REPO / "docs" / "ringcentral.md").read_text()
    for rule in RULES:
        assert f"`{rule.id}`" in text, rule.id
        assert rule.sources[0].split(" ")[0] in text, rule.id
    assert "FACTS.md" not in text and "../shared" not in text
    assert doc.rewrite(text) == text, (
        "docs/ringcentral.md: run python -m runner.rc.rules.doc docs/ringcentral.md"
    )


# ------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("written", "kind", "e164"),
    [
        ("+16505550100", phone.Kind.NUMBER, "+16505550100"),
        ("16505550100", phone.Kind.NUMBER, "+16505550100"),  # RingCentral's own examples omit the +
        ("+1 (650) 555-0100", phone.Kind.NUMBER, "+16505550100"),
        ("650.555.0100", phone.Kind.NUMBER, "+16505550100"),  # national: read in the home country
        ("+442071838750", phone.Kind.NUMBER, "+442071838750"),
        ("102", phone.Kind.SHORT, "102"),
        ("abc", phone.Kind.INVALID, "abc"),
        ("+1", phone.Kind.INVALID, "+1"),
        ("", phone.Kind.INVALID, ""),
        ("1" * 16, phone.Kind.TOO_LONG, "1" * 16),
    ],
)
def test_phone_numbers_are_read_as_ringcentral_reads_them(written: str, kind: phone.Kind, e164: str) -> None:
    assert phone.kind(written) is kind
    assert phone.e164(written) == e164


def test_an_sms_to_a_number_without_plus_or_with_separators_passes_check() -> None:
    body = {"from": {"phoneNumber": "16505550100"}, "to": [{"phoneNumber": "(650) 555-0177"}], "text": "hi"}
    assert validate(_op("createSMSMessage"), Request(ME, body=body, body_type="application/json")) == []


# ------------------------------------------------------------------------------------ multipart

SMS_JSON = {"from": {"phoneNumber": "+16505550100"}, "to": [{"phoneNumber": "+16505550177"}], "text": "hi"}


def _python_sdk(
    body: object, *files: tuple[str, tuple[str, bytes, str] | tuple[str, bytes]]
) -> tuple[bytes, str]:
    """What ringcentral-python's MultipartBuilder puts on the wire (it builds with requests)."""
    parts = [("json", ("request.json", json.dumps(body), "application/json")), *files]
    prepared = requests.Request("POST", "http://x/", files=parts).prepare()
    assert isinstance(prepared.body, bytes)
    return prepared.body, prepared.headers["Content-Type"]


def test_the_python_sdks_json_part_and_files_are_the_request_and_its_attachments() -> None:
    png = b"\x89PNG\r\n\x1a\n\r\n--not-a-boundary\r\n\x00\xff"
    raw, content_type = _python_sdk(
        SMS_JSON, ("attachment", ("a.png", png, "image/png")), ("attachment", ("n.txt", b"hi"))
    )
    form = multipart.read(raw, content_type, "createSMSMessage")
    assert form.body == SMS_JSON
    assert [(f.name, f.filename, f.content_type, f.size) for f in form.files] == [
        ("attachment", "a.png", "image/png", len(png)),
        ("attachment", "n.txt", None, 2),
    ]
    assert form.file_parts[0].data == png  # bytes untouched, CR LF and all


def test_dotnet_and_extensible_multipart_shapes_are_read() -> None:
    # RingCentral.Net: a quoted boundary, an unquoted request.json name, filename*=; no part type.
    raw = (
        b"--abc\r\nContent-Type: application/json; charset=utf-8\r\nContent-Disposition: form-data; name=request.json\r\n\r\n"
        b'{"to":[{"phoneNumber":"+16505550177"}],"faxResolution":"High"}\r\n'
        b"--abc\r\nContent-Disposition: form-data; name=attachments; filename=rc.png; filename*=utf-8''rc.png\r\n\r\n"
        b"PNG\r\n--abc--\r\n"
    )
    form = multipart.read(raw, 'multipart/form-data; boundary="abc"', "createFaxMessage")
    assert form.body["faxResolution"] == "High" and [f.filename for f in form.files] == ["rc.png"]
    # ringcentral-extensible: Content-Type first, and the literal "undefined" for an unknown type.
    raw = (
        b'--b\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name="request.json"; filename="request.json"\r\n\r\n'
        b'{"to":[{"phoneNumber":"+16505550177"}]}\r\n'
        b'--b\r\nContent-Type: undefined\r\nContent-Disposition: form-data; name="attachments"; filename="a.pdf"\r\n\r\n'
        b"%PDF\r\n--b--\r\n"
    )
    form = multipart.read(raw, "multipart/form-data; boundary=b", "createFaxMessage")
    assert form.files[0].content_type is None and form.files[0].filename == "a.pdf"


def test_the_specs_per_field_form_and_the_mixed_root_are_read() -> None:
    raw = (
        b'--b\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16505550177\r\n'
        b'--b\r\nContent-Disposition: form-data; name="to"\r\n\r\n16505550178\r\n'
        b'--b\r\nContent-Disposition: form-data; name="from"\r\n\r\n+16505550100\r\n'
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n'
        b'--b\r\nContent-Disposition: form-data; name="attachment"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\nJPG\r\n--b--\r\n'
    )
    form = multipart.read(raw, "multipart/form-data; boundary=b", "createSMSMessage")
    assert form.body == {
        "to": [{"phoneNumber": "+16505550177"}, {"phoneNumber": "16505550178"}],
        "from": {"phoneNumber": "+16505550100"},
        "text": "hello",
    }
    raw = (
        b"--m\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + json.dumps(SMS_JSON).encode()
        + b'\r\n--m\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="f.png"\r\n\r\nPNG\r\n--m--\r\n'
    )  # fmt: skip
    form = multipart.read(raw, "multipart/mixed; boundary=m", "createMMS")
    assert form.body == SMS_JSON and form.files[0].filename == "f.png"


def test_a_null_root_is_no_fields_and_a_body_with_no_part_is_an_empty_form() -> None:
    raw, content_type = _python_sdk(None, ("image", ("me.png", b"\x89PNG", "image/png")))
    form = multipart.read(raw, content_type, "createUserProfileImage")
    assert form.body == {} and form.files[0].name == "image"
    assert multipart.read(b"--b--\r\n", "multipart/form-data; boundary=b", "createSMSMessage").body == {}
    for raw, content_type in (
        (b"junk", "multipart/form-data; boundary=b"),
        (b"--b--", "multipart/form-data"),
    ):
        with pytest.raises(multipart.Malformed):
            multipart.read(raw, content_type, "createSMSMessage")


def _files(*specs: tuple[str, str | None, str | None, int]) -> tuple[Attachment, ...]:
    return tuple(Attachment(name, filename, kind, size) for name, filename, kind, size in specs)


def test_the_validator_judges_a_multipart_body_by_its_forms_schema_wherever_its_files_are_named() -> None:
    fax = _op("createFaxMessage")
    to = {"to": [{"phoneNumber": "+16505550177"}]}
    no_file = validate(fax, Request(ME, body=to, body_type="multipart/form-data"))
    assert [(p.where, p.missing) for p in no_file] == [("json.attachment", True)]
    named_otherwise = _files(("rc.png", "rc.png", None, 3), ("attachments", "b.pdf", "application/pdf", 3))
    assert validate(fax, Request(ME, body=to, body_type="multipart/mixed", files=named_otherwise)) == []
    # An SMS with a file needs no text (mms.text-optional); without one it does.
    sms = _op("createSMSMessage")
    body = {"from": {"phoneNumber": "+16505550100"}, "to": [{"phoneNumber": "+16505550177"}]}
    photo = _files(("attachment", "p.png", "image/png", 10))
    assert validate(sms, Request(ME, body=body, body_type="multipart/form-data", files=photo)) == []
    assert [p.where for p in validate(sms, Request(ME, body=body, body_type="multipart/form-data"))] == [
        "json.text"
    ]


def test_attachment_sizes_are_added_up() -> None:
    fax, to = _op("createFaxMessage"), {"to": [{"phoneNumber": "+16505550177"}]}
    half = 26 * 2**20
    files = _files(
        ("attachment", "a.pdf", "application/pdf", half), ("attachment", "b.pdf", "application/pdf", half)
    )
    problems = validate(fax, Request(ME, body=to, body_type="multipart/form-data", files=files))
    assert [(p.status, p.rule and p.rule.id) for p in problems] == [(400, "fax.size-50mb")]
    mms = _op("createMMS")
    body = {"from": {"phoneNumber": "+16505550100"}, "to": [{"phoneNumber": "+16505550177"}]}
    files = _files(
        ("attachments", "a.png", "image/png", 800_000), ("attachments", "b.png", "image/png", 800_000)
    )
    problems = validate(mms, Request(ME, body=body, body_type="multipart/form-data", files=files))
    assert [p.rule and p.rule.id for p in problems] == ["mms.max-1.5mb"]


def test_a_content_type_the_operation_does_not_take_is_415_and_mixed_stands_for_form_data() -> None:
    sms, image = _op("createSMSMessage"), _op("createUserProfileImage")
    for op, sent in (
        (sms, "text/plain"),
        (image, "application/json"),
        (sms, "application/x-www-form-urlencoded"),
    ):
        problems = validate(op, Request(ME, body={} if "json" in sent else None, body_type=sent))
        assert [(p.status, p.rule and p.rule.id) for p in problems] == [(415, "ct.unsupported")], sent
    photo = _files(("image", "me.png", "image/png", 4))
    assert validate(image, Request(ME, body={}, body_type="multipart/mixed; boundary=x", files=photo)) == []


# ---------------------------------------------------------------- the permission a call is under

WEBHOOK = {
    "eventFilters": ["/restapi/v1.0/account/~/extension/~/message-store"],
    "deliveryMode": {"transportType": "WebHook", "address": "{{webhook_address}}"},
}


def test_a_webhook_create_is_made_under_subscription_webhook_in_the_plan_model() -> None:
    assert rules.permission("createSubscription", None, WEBHOOK) == "SubscriptionWebhook"
    assert rules.permission("createSubscription", None, {"eventFilters": []}) is None
    assert rules.permission("renewSubscription", None, None) is None
    text = f"""\
app: {{name: hooks, description: a test, scopes: [ReadMessages, SubscriptionWebhook]}}
vars: {{webhook_address: "https://hooks.acme.io/rc"}}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~/message-store
  - name: subscribe
    request: POST /restapi/v1.0/subscription
    json: {json.dumps(WEBHOOK)}
"""
    plan = parse_plan(text, Path("p.yaml"), env={})
    assert [s.permission for s in plan.steps] == ["ReadMessages", "SubscriptionWebhook"]
    report = check_plan(plan)
    assert [r.permission for r in report.endpoints] == ["ReadMessages", "SubscriptionWebhook"]
    assert not any("SubscriptionWebhook" in str(f) for f in report.errors)


def test_the_websocket_scope_has_three_names_and_one_permission() -> None:
    assert grants(["WebSocketsSubscription"], "WebSocket")
    assert {"WebSocket", "WebSocketsSubscription", "WebSocketsSubscriptions"} <= exercised_by("WebSocket")
    assert "WebSocket" in closure(["WebSocketsSubscriptions"])
    assert {"SubscriptionWebhook", "WebSocket", "WebSocketsSubscription"} <= load_catalog().permissions


def _record(
    ts: float, key: str, permission: str | None, *, kind: Kind = Kind.API, status: int = 200
) -> CallRecord:
    method, template = key.split(" ", 1)
    return CallRecord(ts, method, template, status, "Medium", permission, kind)


NOW = at("2026-03-10T12:00")


def test_the_verdict_counts_subscription_webhook_from_the_ledgers_permission_column() -> None:
    records = [
        _record(NOW - 60 * i, "POST /restapi/v1.0/subscription", "SubscriptionWebhook") for i in range(5)
    ]
    records += [_record(NOW - 60 * i, "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store", "ReadMessages") for i in range(20)]  # fmt: skip
    verdict = evaluate(records, now=NOW, scopes=["ReadMessages", "SubscriptionWebhook"], profile="docs-2019")
    assert {s.scope: s.exercised for s in verdict.scopes} == {
        "ReadMessages": True,
        "SubscriptionWebhook": True,
    }


def test_a_successful_websocket_token_exercises_the_scope_but_is_never_an_endpoint() -> None:
    api = [_record(NOW - 60 * i, "GET /restapi/v1.0/account/{accountId}", "ReadAccounts") for i in range(21)]
    token = _record(NOW - 30, "POST /restapi/oauth/wstoken", "WebSocket", kind=Kind.OAUTH)
    failed = _record(NOW - 20, "POST /restapi/oauth/wstoken", "WebSocket", kind=Kind.OAUTH, status=403)
    scopes = ["ReadAccounts", "WebSocketsSubscription"]
    without = evaluate([*api, failed], now=NOW, scopes=scopes, profile="docs-2019")
    assert {s.scope: s.exercised for s in without.scopes}["WebSocketsSubscription"] is False
    verdict = evaluate([*api, token], now=NOW, scopes=scopes, profile="docs-2019")
    assert {s.scope: s.exercised for s in verdict.scopes} == {
        "ReadAccounts": True,
        "WebSocketsSubscription": True,
    }
    assert [e.key for e in verdict.endpoints] == ["GET /restapi/v1.0/account/{accountId}"]
    assert next(c for c in verdict.criteria if c.name == "total_successes").value == 21


def test_the_top_up_runs_an_oauth_only_item_to_exercise_its_scope() -> None:
    items = [("read", ("GET /a",)), ("socket", ("POST /restapi/oauth/wstoken",))]

    def facts(key: str) -> tuple[str | None, str]:
        return {"GET /a": ("ReadA", "Light"), "POST /restapi/oauth/wstoken": ("WebSocket", "Auth")}[key]

    topup = plan_graduate([], now=NOW, items=items, scopes=["ReadA", "WebSocket"], facts=facts)
    assert topup.repeats["socket"] >= 1
    assert not any("WebSocket" in b for b in topup.blockers)


# ------------------------------------------------------------------------------------ authoring


def test_plan_init_writes_a_webhook_subscription_for_the_plans_other_scopes() -> None:
    draft = draft_plan(["SMS", "ReadMessages", "SubscriptionWebhook"])
    item = draft.items[-1]
    create = item.setup[0]
    assert (create.method, create.path, create.save) == (
        "POST",
        "/restapi/v1.0/subscription",
        {"subscription_id": "$.id"},
    )
    assert create.json["eventFilters"] == [
        "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
        "/restapi/v1.0/account/~/extension/~/message-store",
    ]
    assert create.json["deliveryMode"] == {"transportType": "WebHook", "address": "{{webhook_address}}"}
    assert (item.main.method, item.main.path) == (
        "POST",
        "/restapi/v1.0/subscription/{{subscription_id}}/renew",
    )
    assert (item.teardown[0].method, item.teardown[0].expect) == ("DELETE", 204)
    text = render(draft, name="notifier").replace(
        "TODO: describe", "Texts people and hears replies: describe"
    )
    local = parse_plan(text, Path("n.yaml"), env={})
    assert check_plan(local).ok  # rehearsal answers the webhook itself
    production = parse_plan(text, Path("n.yaml"), env={}, server_override="production")
    refused = [str(f) for f in check_plan(production).errors]
    assert any("sub.webhook-validate" in f and "deliveryMode.address" in f for f in refused), refused
    real = parse_plan(
        text,
        Path("n.yaml"),
        env={"WEBHOOK_ADDRESS": "https://hooks.acme.io/rc"},
        server_override="production",
    )
    assert check_plan(real).ok
    alone = draft_plan(["SubscriptionWebhook"]).items[0]
    assert not alone.complete  # nothing to subscribe to that the app may read


def test_plan_init_writes_a_websocket_token_for_the_websocket_scope() -> None:
    for scope in ("WebSocket", "WebSocketsSubscription"):
        item = draft_plan(["ReadAccounts", scope]).items[-1]
        assert (item.main.method, item.main.path, item.complete) == ("POST", "/restapi/oauth/wstoken", True)


def test_a_body_a_rule_refuses_is_written_with_a_todo_naming_the_rule() -> None:
    body, todo = body_for(_op("createSubscription"))
    assert body is not None and todo is not None and "sub.bad-filter" in todo


# ------------------------------------------------------------------------------- the account


def test_a_sent_sms_is_recorded_as_sent_and_nothing_more() -> None:
    class Ids:
        count = 0

        def new_id(self) -> str:
            self.count += 1
            return str(100 + self.count)

        def records(self, collection, params, base=""):  # type: ignore[no-untyped-def]
            return {}

    body = {"from": {"phoneNumber": "16505550100"}, "to": [{"phoneNumber": "+1 650 555 0177"}], "text": "hi"}
    record = account.sent_message(
        "SMS", body, (), Ids(), "7", "http://sb", dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    )
    assert (record["direction"], record["readStatus"], record["subject"]) == ("Outbound", "Read", "hi")
    assert record["from"] == {"phoneNumber": "+16505550100"} and record["to"] == [
        {"phoneNumber": "+16505550177"}
    ]
    assert record["uri"].startswith("http://sb/restapi/v1.0/account/") and "faxErrorCode" not in str(record)
    fax = account.sent_message(
        "Fax", {"to": [{"phoneNumber": "+16505550177"}]}, (), Ids(), "8", "http://sb", dt.datetime.now(dt.UTC)
    )
    assert (fax["faxResolution"], fax["faxPageCount"], fax["messageStatus"]) == ("High", 0, "Queued")
    assert [a["type"] for a in fax["attachments"]] == ["RenderedDocument"]


def test_links_on_ringcentrals_hosts_move_to_the_sandboxs_base() -> None:
    sample = {
        "uri": "https://platform.ringcentral.com/restapi/v1.0/x",
        "n": [{"u": "https://media.ringcentral.com/a"}],
    }
    assert account.rebased(sample, "http://127.0.0.1:9") == {
        "uri": "http://127.0.0.1:9/restapi/v1.0/x",
        "n": [{"u": "http://127.0.0.1:9/a"}],
    }


def test_a_bulk_answer_is_what_the_python_sdk_reads() -> None:
    from ringcentral.http.api_response import ApiResponse

    parts = [
        bulk.Part("1", "http://sb/p/1", 200, {"id": 1}),
        bulk.Part("2", "http://sb/p/2", 404, {"errorCode": "CMN-102"}),
    ]
    built = bulk.answer("GET", parts, json_form=False)
    response = requests.Response()
    response.status_code, response._content = built.status, built.content
    response.headers["Content-Type"] = built.content_type or ""
    read = ApiResponse(response=response).multipart()
    assert [(r.response().status_code, r.json_dict()) for r in read] == [
        (200, {"id": 1}),
        (404, {"errorCode": "CMN-102"}),
    ]
    as_json = json.loads(bulk.answer("GET", parts, json_form=True).content)
    assert as_json[1] == {"resourceId": "2", "status": 404, "body": {"errorCode": "CMN-102"}}
    assert bulk.answer("DELETE", [bulk.Part("1", "h", 204, None)] * 2, json_form=False).status == 204


def test_plan_scan_writes_a_found_subscription_as_a_webhook_the_rehearsal_answers() -> None:
    from runner.plan.scan_plan import plan_scopes
    from runner.plan.scan_plan import render as render_scan

    filters = [("app.py", 7, "/restapi/v1.0/account/~/extension/~/presence")]
    assert plan_scopes([], filters) == ["SubscriptionWebhook"]
    text = render_scan([], name="listener", event_filters=filters)
    text = text.replace("TODO: describe", "Shows who is on the phone to the support team: describe")
    plan = parse_plan(text, Path("s.yaml"), env={})
    assert "todo:" not in text.split("endpoints:", 1)[1] and plan.vars["webhook_address"].startswith(
        "https://"
    )
    assert [s.permission for s in plan.steps] == ["SubscriptionWebhook", None, None]
    assert check_plan(plan).ok


def test_check_refuses_a_local_webhook_address_the_rehearsal_cannot_answer() -> None:
    text = f"""\
app: {{name: hooks, description: a test, scopes: [ReadMessages, SubscriptionWebhook]}}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~/message-store
  - name: subscribe
    request: POST /restapi/v1.0/subscription
    json: {json.dumps({**WEBHOOK, "deliveryMode": {"transportType": "WebHook", "address": "https://hooks.acme.io/rc"}})}
"""
    errors = [str(f) for f in check_plan(parse_plan(text, Path("p.yaml"), env={})).errors]
    assert any("deliveryMode.address" in e and "{{webhook_address}}" in e for e in errors), errors
    production = parse_plan(text, Path("p.yaml"), env={}, server_override="production")
    assert check_plan(production).ok  # there the address is the app's own, sent as written


def test_a_link_built_from_a_path_value_is_a_uri_whatever_was_sent() -> None:
    from runner.sandbox.store import concrete

    link = concrete("/restapi/v1.0/dictionary/brand/{brandId}/contracted-country", {"brandId": "?K \u008ad"})
    assert link == "/restapi/v1.0/dictionary/brand/%3FK%20%C2%8Ad/contracted-country"
    assert concrete(
        "/restapi/v1.0/account/{accountId}/extension/{extensionId}", {"accountId": "~", "extensionId": "7"}
    ).endswith("/extension/7")
