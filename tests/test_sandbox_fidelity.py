"""The local sandbox answers like RingCentral where the real server would differ from a kind mock:
path identity, HEAD/405/OPTIONS, responses built from the spec's schemas, paging and filters.

One sandbox serves the whole module over loopback (starting one per test would triple the time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator, FormatChecker

from runner.cli import main
from runner.rc import wire
from runner.rc.catalog import Operation, load_catalog
from runner.rc.spec import load_spec
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.oauth import ACCOUNT_ID, EXTENSION_ID
from runner.sandbox.receiver import webhook_receiver
from runner.sandbox.responses_build import UNSATISFIABLE, build, render, response_schema
from runner.sandbox.samples import RESPONSES_PATH
from runner.sandbox.store import Store
from tests.conftest import sandbox_token

EXT = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    # A tiny time scale: RingCentral's limits, in windows short enough never to slow the tests.
    config = SandboxConfig(time_scale=1e-5, access_token_ttl=1e9, refresh_token_ttl=1e9)
    with running_sandbox(config) as sb:
        token = sandbox_token(sb)
        with httpx.Client(base_url=sb.url, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client


# -- path identity ---------------------------------------------------------------------------------


@pytest.mark.loopback
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
        ("/restapi/v1.0/account/6%0A/extension/~/call-log", "accountId"),  # a newline Starlette cannot route
    ],
)
@pytest.mark.loopback
def test_ids_that_are_not_the_callers_answer_404_cmn_102(
    api: httpx.Client, path: str, parameter: str
) -> None:
    reply = api.get(path)
    assert reply.status_code == 404, reply.text
    error = reply.json()["errors"][0]
    assert (error["errorCode"], error["parameterName"]) == ("CMN-102", parameter)


@pytest.mark.loopback
def test_an_extension_of_the_account_reads_its_own_resources(api: httpx.Client) -> None:
    listed = api.get("/restapi/v1.0/account/~/extension").json()["records"]
    other = listed[0]["id"]
    assert api.get(f"/restapi/v1.0/account/~/extension/{other}/call-log").status_code == 200


@pytest.mark.loopback
def test_actions_on_ids_that_never_existed_answer_404(api: httpx.Client) -> None:
    reply = api.post("/team-messaging/v1/webhooks/0/activate")
    assert reply.status_code == 404, reply.text
    assert reply.json()["errors"][0]["parameterName"] == "webhookId"


# -- methods ---------------------------------------------------------------------------------------


@pytest.mark.loopback
def test_a_character_urls_treat_specially_in_an_id_is_that_id(api: httpx.Client) -> None:
    # Re-parsing the URL drops CR, LF and tab: `/tasks/%0D/complete` became `/tasks/complete`,
    # another resource, and a 405 where the server answers 404 for a task that does not exist.
    for path, parameter in (
        ("/team-messaging/v1/tasks/%0D/complete", "taskId"),
        ("/webinar/notifications/v1/subscriptions/%0A/renew", "subscriptionId"),
    ):
        reply = api.post(path, json={})
        assert reply.status_code == 404, reply.text
        assert reply.json()["errors"][0]["parameterName"] == parameter
    # `?` and `#` sent encoded are part of the id, not a query: not the list of subscriptions.
    for path in ("/restapi/v1.0/subscription/%3F", "/restapi/v1.0/subscription/%23"):
        reply = api.get(path)
        assert reply.status_code == 404, reply.text
        assert reply.json()["errors"][0]["parameterName"] == "subscriptionId"
        assert reply.status_code == 404, reply.text
        assert reply.json()["errors"][0]["parameterName"] == parameter


@pytest.mark.loopback
def test_an_empty_success_keeps_the_status_the_spec_documents(api: httpx.Client) -> None:
    # The spec says 200 with no body for these, 204 for others: the sandbox answered 204 for both.
    reply = api.post("/restapi/v2/accounts/~/send-activation-email")
    assert (reply.status_code, reply.content) == (200, b"")
    created = api.post(
        "/team-messaging/v1/events",
        json={"title": "x", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T01:00:00Z"},
    )
    assert created.status_code in (200, 201), created.text
    deleted = api.delete(f"/team-messaging/v1/events/{created.json()['id']}")
    assert (deleted.status_code, deleted.content) == (200, b"")


@pytest.mark.loopback
def test_the_thirty_first_subscription_is_refused_as_the_server_refuses_it(api: httpx.Client) -> None:
    # The spec bounds a user's subscriptions per app at 30; past that, 403 SUB-505, not a list the
    # spec's maxItems refuses. Deleting one makes room again.
    with webhook_receiver() as receiver:  # each create is validated at its address first
        body = {
            "eventFilters": ["/restapi/v1.0/account/~/extension/~/message-store"],
            "deliveryMode": {"transportType": "WebHook", "address": receiver.url},
        }
        held = api.get("/restapi/v1.0/subscription").json()["records"]
        made = [api.post("/restapi/v1.0/subscription", json=body) for _ in range(30 - len(held))]
        assert all(reply.status_code == 200 for reply in made)
        refused = api.post("/restapi/v1.0/subscription", json=body)
        assert refused.status_code == 403 and refused.json()["errorCode"] == "SUB-505"
        assert len(api.get("/restapi/v1.0/subscription").json()["records"]) == 30
        assert api.delete(f"/restapi/v1.0/subscription/{made[0].json()['id']}").status_code == 204
        assert api.post("/restapi/v1.0/subscription", json=body).status_code == 200


@pytest.mark.loopback
def test_a_scim_patch_or_search_never_writes_its_own_message_schema_into_the_user(api: httpx.Client) -> None:
    user = "urn:ietf:params:scim:schemas:core:2.0:User"
    created = api.post(
        "/scim/v2/Users",
        json={
            "schemas": [user],
            "userName": "a@example.com",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"type": "work", "value": "a@example.com"}],
        },
        headers={"Content-Type": "application/scim+json"},
    )
    assert created.status_code == 201, created.text
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}
    uri = f"/scim/v2/Users/{created.json()['id']}"
    patched = api.patch(uri, json=patch, headers={"Content-Type": "application/scim+json"})
    assert patched.status_code == 200 and patched.json()["schemas"] == [user]
    assert api.get(uri).json()["schemas"] == [user]
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": 1, "count": 1}
    found = api.post("/scim/v2/Users/.search", json=search, headers={"Content-Type": "application/scim+json"})
    assert found.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]


@pytest.mark.loopback
def test_head_is_get_without_a_body(api: httpx.Client) -> None:
    reply = api.head(EXT)
    assert reply.status_code == 200 and reply.content == b""
    assert reply.headers["content-type"].startswith("application/json")


@pytest.mark.loopback
def test_an_undeclared_method_is_405_with_allow(api: httpx.Client) -> None:
    reply = api.request("PATCH", "/restapi/v1.0/account/~/extension/~/call-log")
    assert reply.status_code == 405, reply.text
    allowed = {m.strip() for m in reply.headers["allow"].split(",")}
    assert {"GET", "DELETE", "HEAD"} <= allowed and "PATCH" not in allowed
    assert api.request("TRACE", EXT).status_code == 405
    assert api.request("FOO", EXT).headers["content-type"].startswith("application/json")


@pytest.mark.loopback
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


# -- responses from the spec's schemas -------------------------------------------------------------


@pytest.fixture(scope="module")
def doc(spec_path: Path) -> dict[str, Any]:
    return load_spec(spec_path)


def test_committed_responses_match_the_spec(doc: dict[str, Any]) -> None:
    bodies, refused = build(doc)
    assert set(refused) <= UNSATISFIABLE, refused
    committed = RESPONSES_PATH.read_text(encoding="utf-8")
    assert render(bodies) == committed, "runner/sandbox/data/responses.json is stale: run `make catalog`"


@pytest.fixture(scope="module")
def response_schemas(doc: dict[str, Any]) -> dict[str, Any]:
    """{operationId: Draft 4 schema of its 2xx JSON body}, read from RingCentral's spec."""
    schemas = {}
    for item in doc["paths"].values():
        for method in ("get", "post", "put", "patch", "delete"):
            op = item.get(method)
            found = response_schema(op, doc) if op else None
            if found is not None:
                schemas[op["operationId"]] = found[1]
    return schemas


def _plain_gets() -> list[Operation]:
    """GET operations a fresh sandbox can answer with no id but the caller's own."""
    own = {"accountId", "extensionId"}
    return [
        op
        for op in load_catalog().operations
        if op.method == "GET"
        and not wire.is_oauth(op.path)
        and {p.name for p in op.path_params} <= own
        and not op.query_required
        and not op.response.is_binary
    ]


@pytest.mark.loopback
def test_every_plain_get_answers_a_body_its_schema_accepts(
    api: httpx.Client, response_schemas: dict[str, Any]
) -> None:
    checked, refused = 0, []
    for op in _plain_gets():
        schema = response_schemas.get(op.id)
        if schema is None or op.id in UNSATISFIABLE:
            continue
        # A full call-log sync needs recordCount, though the spec leaves it optional (a rule).
        query = {"recordCount": 10} if op.id in ("syncUserCallLog", "syncAccountCallLog") else {}
        reply = api.get(op.path.replace("{accountId}", "~").replace("{extensionId}", "~"), params=query)
        assert reply.status_code < 300, (op.id, reply.status_code, reply.text[:200])
        errors = list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(reply.json()))
        if errors:
            refused.append(f"{op.id}: {list(errors[0].absolute_path)} {errors[0].message[:120]}")
        checked += 1
    assert checked > 100
    assert refused == [], "\n".join(refused)


@pytest.mark.loopback
def test_ids_are_int64_integers_and_uri_reads_the_record_back(api: httpx.Client) -> None:
    account = api.get("/restapi/v1.0/account/~").json()
    assert account["id"] == int(ACCOUNT_ID)
    assert api.get(EXT).json()["id"] == int(EXTENSION_ID)
    created = api.post(
        f"{EXT}/address-book/contact", json={"firstName": "Ada", "lastName": "Lovelace"}
    ).json()
    assert isinstance(created["id"], int)
    again = httpx.get(created["uri"], headers=api.headers)
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert again.json()["firstName"] == "Ada"


@pytest.mark.loopback
def test_enum_values_the_spec_writes_unquoted_stay_strings(api: httpx.Client) -> None:
    # YAML 1.1 read `Off` as false; the spec's enum is ["Off", "NoCallerId", "UnknownCallerId", "Always"].
    rules = api.get(f"{EXT}/answering-rule").json()["records"]
    assert rules and all(rule["screening"] == "Off" for rule in rules), json.dumps(rules)[:300]


# -- paging and filters ----------------------------------------------------------------------------


@pytest.mark.loopback
def test_page_and_per_page_cut_the_list_and_navigation_follows(api: httpx.Client) -> None:
    contacts = f"{EXT}/address-book/contact"
    for name in ("Grace", "Edsger", "Barbara"):
        api.post(contacts, json={"firstName": name})
    total = api.get(contacts, params={"perPage": 1000}).json()["paging"]["totalElements"]
    assert total >= 4
    first = api.get(contacts, params={"perPage": 2}).json()
    assert len(first["records"]) == 2
    assert first["paging"]["perPage"] == 2 and first["paging"]["page"] == 1
    assert first["paging"]["totalElements"] == total and first["paging"]["totalPages"] == -(-total // 2)
    assert "previousPage" not in first["navigation"]
    second = httpx.get(first["navigation"]["nextPage"]["uri"], headers=api.headers).json()
    assert second["paging"]["page"] == 2 and second["paging"]["pageStart"] == 2
    assert {r["id"] for r in second["records"]}.isdisjoint({r["id"] for r in first["records"]})
    beyond = api.get(contacts, params={"perPage": 2, "page": 99}).json()
    assert beyond["records"] == [] and "nextPage" not in beyond["navigation"]
    assert api.get(contacts, params={"startsWith": "edsg"}).json()["records"][0]["firstName"] == "Edsger"


@pytest.mark.loopback
def test_message_store_filters_type_direction_and_dates(api: httpx.Client) -> None:
    store = f"{EXT}/message-store"
    every = api.get(store).json()["records"]
    sms = api.get(store, params={"messageType": "SMS"}).json()["records"]
    assert sms and all(r["type"] == "SMS" for r in sms) and len(sms) < len(every)
    both = api.get(store, params=[("messageType", "SMS"), ("messageType", "Fax")]).json()["records"]
    assert len(both) == len(every)
    inbound = api.get(store, params={"direction": "Inbound"}).json()["records"]
    assert inbound and all(r["direction"] == "Inbound" for r in inbound)
    assert api.get(store, params={"dateFrom": "2030-01-01T00:00:00Z"}).json()["records"] == []
    newest = max(r["creationTime"] for r in every)
    assert [r["creationTime"] for r in api.get(store, params={"dateFrom": newest}).json()["records"]] == [
        newest
    ]


@pytest.mark.loopback
def test_call_log_dates_and_direction(api: httpx.Client) -> None:
    log = f"{EXT}/call-log"
    assert api.get(log, params={"dateFrom": "2030-01-01T00:00:00.000Z"}).json()["records"] == []
    assert api.get(log, params={"dateTo": "2000-01-01T00:00:00.000Z"}).json()["records"] == []
    out = api.get(log, params={"direction": "Outbound"}).json()["records"]
    assert out and all(r["direction"] == "Outbound" for r in out)


@pytest.mark.loopback
def test_page_token_lists(api: httpx.Client) -> None:
    chats = "/team-messaging/v1/chats"
    first = api.get(chats, params={"recordCount": 2}).json()
    assert len(first["records"]) == 2 and "prevPageToken" not in first["navigation"]
    rest = api.get(chats, params={"recordCount": 2, "pageToken": first["navigation"]["nextPageToken"]}).json()
    assert rest["records"] and "prevPageToken" in rest["navigation"]
    bad = api.get(chats, params={"pageToken": "not-ours"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameterName"] == "pageToken"


@pytest.mark.loopback
def test_paging_numbers_stay_inside_the_spec_bounds(api: httpx.Client) -> None:
    extensions = "/restapi/v1.0/account/~/extension"
    paging = api.get(extensions, params={"page": "12650174"}).json()["paging"]
    assert paging["page"] == 1000
    assert api.get(extensions, params={"perPage": "5000"}).json()["paging"]["perPage"] == 1000
    huge = api.get(extensions, params={"page": "9" * 5000})  # past Python's int conversion limit
    assert huge.status_code == 400 and huge.json()["errors"][0]["parameterName"] == "page"


@pytest.mark.loopback
def test_a_literal_path_is_its_own_resource_not_an_id(api: httpx.Client) -> None:
    # `message-threads/sync` is GET only, though `message-threads/{threadId}` also has DELETE.
    sync = httpx.options(str(api.base_url) + "/restapi/v1.0/account/~/message-threads/sync")
    assert {m.strip() for m in sync.headers["allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert api.delete("/restapi/v1.0/account/~/message-threads/sync").status_code == 405
    assert api.patch("/restapi/v2/accounts/~/phone-numbers/bulk-add", json={}).status_code == 405


def test_a_request_body_never_breaks_the_answers_schema() -> None:
    """Request and response schemas differ: a field the answer types otherwise keeps its value."""
    op = load_catalog().by_key("POST", "/restapi/v1.0/account/{accountId}/a2p-sms/opt-outs/bulk-assign")
    assert op is not None
    sent = {"optOuts": ["+15551237755"], "optIns": ["+15551237799"], "unknown": 1}
    status, answer = Store().handle(op, {"accountId": "~"}, sent)
    assert status == op.response.status
    assert isinstance(answer["optOuts"], dict) and isinstance(answer["optIns"], dict)
    assert "unknown" not in answer


@pytest.mark.loopback
def test_a_success_carries_the_headers_the_spec_requires(api: httpx.Client) -> None:
    reply = api.get("/restapi/v2/accounts/~/sms/consents")
    assert reply.status_code == 200
    etag = reply.headers.get("etag")
    assert etag and etag.startswith('"') and etag.endswith('"')
    assert api.get("/restapi/v2/accounts/~/sms/consents").headers["etag"] == etag  # same body, same tag
    export = api.get("/restapi/v2/accounts/~/sms/consents/export")  # a CSV: no body built, a tag all the same
    assert export.status_code == 200 and export.headers.get("etag", "").startswith('"')


@pytest.mark.loopback
def test_a_trailing_slash_is_no_uri_not_the_list(api: httpx.Client) -> None:
    assert api.get("/scim/v2/ResourceTypes").status_code == 200
    reply = api.get("/scim/v2/ResourceTypes/")
    assert reply.status_code == 404 and reply.json()["errorCode"] == "CMN-120"
    assert api.get(EXT + "/").status_code == 404


@pytest.mark.loopback
def test_authorize_redirects_to_a_login_form_or_refuses_a_bad_request(api: httpx.Client) -> None:
    bad = api.get("/restapi/oauth/authorize")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    # OAuth's fields, and the `errors` list the spec's 400 for this endpoint requires.
    assert bad.json()["errors"][0]["parameterName"] in ("client_id", "response_type")
    good = api.get("/restapi/oauth/authorize", params={"client_id": "app", "response_type": "code"})
    assert good.status_code == 302
    login = httpx.get(good.headers["location"])
    assert login.status_code == 200 and "JWT" in login.text
    # The same request as a form (POST) is judged by the same rules.
    form = {
        "client_id": "app",
        "response_type": "code",
        "state": "",
        "other": "ignored, as its schema allows",
    }
    assert api.post("/restapi/oauth/authorize", data=form).status_code == 302
    bad_form = api.post("/restapi/oauth/authorize", data={**form, "response_type": "bogus"})
    assert bad_form.status_code == 400 and bad_form.json()["errors"][0]["parameterName"] == "response_type"


def test_the_list_of_statuses_the_spec_leaves_out_is_current(doc: dict[str, Any]) -> None:
    from runner.sandbox.status_gaps import gaps, render
    from tests.conformance import STATUS_GAPS

    found = gaps(doc)
    assert STATUS_GAPS.read_text(encoding="utf-8") == render(found), "run `make catalog`"
    # The own account's 404 and a listed body-taking write, as examples of each reason.
    assert found["GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/webapp-devices"] == ["404"]
    assert found["POST /restapi/oauth/token"] == ["401"]
    # 415 for a body of another type, 207 for a batch, 403 for a rule beyond the spec (runner.rc.rules).
    expected = {"400", "404", "415", "207", "403"}
    assert all(set(statuses) <= expected for label, statuses in found.items() if "/oauth/" not in label)
    assert found["POST /restapi/v1.0/account/{accountId}/extension/{extensionId}/sms"] == [
        "400",
        "404",
        "415",
        "403",
    ]


def test_a_request_value_in_another_form_than_the_answers_is_not_stored() -> None:
    """Schemathesis stored `""` into links and enums, and `12:99` into a timestamp, then read them
    back as answers their schema refuses: such values keep the answer's own."""
    from runner.sandbox.fitting import merge as _merge

    record = {
        "uri": "https://sandbox/restapi/v1.0/account/1/ivr-menus/7",
        "type": "Custom",
        "creationTime": "2026-01-01T00:00:00.000Z",
        "site": {"id": "1", "uri": "https://sandbox/restapi/v1.0/account/1/sites/1"},
        "name": "before",
    }
    _merge(
        record,
        {
            "uri": "https://elsewhere/",
            "type": "",
            "creationTime": "2024-01-01T12:99:00Z",
            "site": {"uri": ""},
            "name": "after",
        },
    )
    assert record == {
        "uri": "https://sandbox/restapi/v1.0/account/1/ivr-menus/7",
        "type": "Custom",
        "creationTime": "2026-01-01T00:00:00.000Z",
        "site": {"id": "1", "uri": "https://sandbox/restapi/v1.0/account/1/sites/1"},
        "name": "after",
    }


def test_a_write_keeps_within_the_bounds_of_the_answers_schema() -> None:
    """Schemathesis stored a 12-character `isoCode` where the answer's schema allows 2, and SCIM's
    `PatchOp` into `schemas`: the rules responses.json keeps per field path refuse them."""
    from runner.sandbox.fitting import merge as _merge

    rules = {
        "homeCountry.isoCode": {"minLength": 2, "maxLength": 2},
        "schemas[]": {"enum": ["urn:ietf:params:scim:schemas:core:2.0:User"]},
        "records[].status": {"enum": ["Active", "Suspended"]},
        "limit": {"minimum": 1, "maximum": 10},
    }
    record = {
        "homeCountry": {"isoCode": "US"},
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "records": [{"status": "Active", "name": "a"}],
        "limit": 5,
    }
    _merge(
        record,
        {
            "homeCountry": {"isoCode": "Q]sQ+x"},
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "records": [{"status": "Gone", "name": "b"}],
            "limit": 11,
        },
        rules,
    )
    assert record == {
        "homeCountry": {"isoCode": "US"},
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "records": [{"status": "Active", "name": "b"}],
        "limit": 5,
    }
    _merge(record, {"homeCountry": {"isoCode": "GB"}, "limit": 10}, rules)
    assert record["homeCountry"] == {"isoCode": "GB"} and record["limit"] == 10


def test_responses_keep_the_rules_of_bounded_fields() -> None:
    from runner.sandbox.samples import field_rules_of

    op = load_catalog().by_key("GET", "/restapi/v2/accounts/{accountId}/regional-settings")
    assert op is not None
    assert field_rules_of(op)["homeCountry.isoCode"] == {"minLength": 2, "maxLength": 2}


@pytest.mark.loopback
def test_a_request_the_spec_accepts_is_not_refused(api: httpx.Client) -> None:
    """Schemathesis' positive_data_acceptance: `hostUserId=` is the empty list when the spec writes
    the list joined (`explode: false`), though `sortBy=` (exploded) is one empty, invalid value;
    and message-store's batch update is a list under its own content type."""
    query = {"hostUserId": "", "endTimeFrom": "2026-01-01T00:00:00.000Z"}
    sessions = api.get("/webinar/configuration/v1/company/sessions", params=query)
    assert sessions.status_code == 200, sessions.text
    contacts = api.get(EXT + "/address-book/contact", params={"sortBy": ""})
    assert contacts.status_code == 400 and contacts.json()["parameterName"] == "sortBy"
    message = api.get(EXT + "/message-store").json()["records"][0]["id"]
    batch = json.dumps([{"resourceId": str(message), "body": {"readStatus": "Read"}}])
    for kind, body, status in (
        ("application/vnd.ringcentral.multipart+json", batch, 200),
        ("application/vnd.ringcentral.multipart+json", '{"readStatus": "Read"}', 400),
        ("application/json", '{"readStatus": "Read"}', 200),
    ):
        reply = api.put(f"{EXT}/message-store/{message}", content=body, headers={"Content-Type": kind})
        assert reply.status_code == status, (kind, body, reply.text)
