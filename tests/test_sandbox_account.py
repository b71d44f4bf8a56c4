"""The sandbox's account hangs together, as RingCentral's does (docs/ringcentral.md, Rules beyond the
spec): lists page the records they serve on the sandbox's own address, a message deleted twice is
204 twice and then gone, presence and the caller's extension read back what was set, a RingOut is
in progress, the caller's numbers carry their features, and an empty multipart SMS, fax or MMS is a
400. Over loopback, one sandbox for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runner.rc.catalog import load_catalog
from runner.sandbox import SandboxConfig, running_sandbox
from tests.conftest import sandbox_token

pytestmark = pytest.mark.loopback

EXT = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    config = SandboxConfig(time_scale=1e-5, access_token_ttl=1e9, refresh_token_ttl=1e9)
    with running_sandbox(config) as sb, httpx.Client(base_url=sb.url, timeout=30) as client:
        token = sandbox_token(sb)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _paged_lists() -> list[str]:
    """Every GET with no id but ~ whose answer is a page of records (enumerated paging)."""
    out = []
    for op in load_catalog().operations:
        sample = op.response.sample
        if (
            op.method != "GET"
            or op.is_oauth
            or op.query_required
            or any(p.default != "~" for p in op.path_params)
        ):
            continue
        if (
            isinstance(sample, dict)
            and isinstance(sample.get("records"), list)
            and isinstance(sample.get("paging"), dict)
        ):
            out.append(op.path.replace("{accountId}", "~").replace("{extensionId}", "~"))
    return out


def test_every_paged_list_agrees_with_the_records_it_serves_on_the_sandboxs_own_address(
    api: httpx.Client,
) -> None:
    lists = _paged_lists()
    assert len(lists) > 40
    wrong: list[str] = []
    for path in lists:
        for query in ({}, {"perPage": 2, "page": 2}):
            reply = api.get(path, params=query)
            if reply.status_code != 200:
                continue
            body = reply.json()
            records, paging = body["records"], body["paging"]
            facts = _paging_problem(records, paging, query)
            if facts:
                wrong.append(f"{path} {query}: {facts}")
            links = [body.get("uri"), *(v.get("uri") for v in (body.get("navigation") or {}).values())]
            if any(isinstance(u, str) and not u.startswith(str(api.base_url)) for u in links):
                wrong.append(f"{path}: a link off the sandbox: {links}")
    assert wrong == [], "\n".join(wrong[:20])


def _paging_problem(records: list[Any], paging: dict[str, Any], query: dict[str, Any]) -> str | None:
    per_page = paging.get("perPage")
    if per_page is not None and len(records) > per_page:
        return f"{len(records)} records on a page of {per_page}"
    if "totalElements" in paging and "perPage" in paging and "totalPages" in paging:
        pages = max(1, -(-paging["totalElements"] // paging["perPage"]))
        if paging["totalPages"] != pages:
            return f"totalPages {paging['totalPages']} for {paging['totalElements']} records"
    if (
        records
        and "pageStart" in paging
        and "pageEnd" in paging
        and paging["pageEnd"] - paging["pageStart"] + 1 != len(records)
    ):
        return f"pageStart {paging['pageStart']}, pageEnd {paging['pageEnd']} for {len(records)} records"
    if not records and query.get("page") == 2 and ("pageStart" in paging or "pageEnd" in paging):
        return "a page past the end names a start or an end"
    return None


def test_a_message_deleted_twice_is_204_twice_then_gone(api: httpx.Client) -> None:
    first = api.get(f"{EXT}/message-store").json()["records"][0]["id"]
    assert api.delete(f"{EXT}/message-store/{first}").status_code == 204
    assert api.get(f"{EXT}/message-store/{first}").json()["availability"] == "Deleted"
    listed = [m["id"] for m in api.get(f"{EXT}/message-store", params={"perPage": 1000}).json()["records"]]
    assert first not in listed  # a list shows Alive messages unless asked otherwise
    deleted = api.get(f"{EXT}/message-store", params={"availability": "Deleted"}).json()["records"]
    assert first in [m["id"] for m in deleted]
    assert api.delete(f"{EXT}/message-store/{first}").status_code == 204  # purged
    assert api.get(f"{EXT}/message-store/{first}").status_code == 404


def test_bulk_message_reads_and_deletes_answer_as_ringcentral_does(api: httpx.Client) -> None:
    ids = [str(m["id"]) for m in api.get(f"{EXT}/message-store").json()["records"][:2]]
    both = api.get(
        f"{EXT}/message-store/{','.join(ids)}",
        headers={"Accept": "application/vnd.ringcentral.multipart+json"},
    )
    assert both.status_code == 207
    assert [(p["resourceId"], p["status"]) for p in both.json()] == [(ids[0], 200), (ids[1], 200)]
    assert api.get(f"{EXT}/message-store/{ids[0]}").json()["id"] == int(ids[0])  # one id: a plain record
    assert api.delete(f"{EXT}/message-store/{','.join(ids)}").status_code == 204  # every one went


def test_presence_and_the_callers_extension_read_back_what_was_set(api: httpx.Client) -> None:
    set_to = {"userStatus": "Busy", "dndStatus": "DoNotAcceptAnyCalls", "message": "in a meeting"}
    assert api.put(f"{EXT}/presence", json=set_to).status_code == 200
    read = api.get(f"{EXT}/presence").json()
    assert {k: read[k] for k in set_to} == set_to
    assert api.put(EXT, json={"contact": {"lastName": "Brown"}}).json()["contact"]["lastName"] == "Brown"
    assert api.get(EXT).json()["contact"]["lastName"] == "Brown"
    numbers = api.get("/restapi/v1.0/account/~/extension").json()["records"]
    assert [e["extensionNumber"] for e in numbers][:1] == ["101"]


def test_the_callers_numbers_carry_the_features_the_sender_rules_read(api: httpx.Client) -> None:
    numbers = api.get(f"{EXT}/phone-number").json()["records"]
    features = {n["phoneNumber"]: n["features"] for n in numbers}
    assert "SmsSender" in features["+16505550100"] and "SmsSender" not in features["+16505550102"]
    assert all(n["uri"].startswith(str(api.base_url)) for n in numbers)


def test_a_ringout_is_in_progress(api: httpx.Client) -> None:
    body = {"from": {"phoneNumber": "+16505550100"}, "to": {"phoneNumber": "+16505550177"}}
    started = api.post(f"{EXT}/ring-out", json=body).json()
    assert set(started["status"].values()) == {"InProgress"}
    assert api.get(f"{EXT}/ring-out/{started['id']}").status_code == 200


@pytest.mark.parametrize("path", [f"{EXT}/sms", f"{EXT}/fax", f"{EXT}/mms"])
def test_an_empty_multipart_sms_fax_or_mms_is_a_400(api: httpx.Client, path: str) -> None:
    for body in (
        b"--b--\r\n",
        b'--b\r\nContent-Disposition: form-data; name="json"\r\nContent-Type: application/json\r\n\r\nnull\r\n--b--\r\n',
    ):
        reply = api.post(path, content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert (reply.status_code, reply.json()["errorCode"]) == (400, "CMN-101"), (path, reply.text)


def test_no_seeded_message_carries_a_made_up_failure(api: httpx.Client) -> None:
    records = api.get(f"{EXT}/message-store", params={"perPage": 1000}).json()["records"]
    assert records and not [m["id"] for m in records if "faxErrorCode" in str(m) or "deliveryErrorCode" in m]
