"""The one request validator, held to the whole catalog and to what a plan can hold."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runner.rc import requests_build
from runner.rc.bodies import minimal_value
from runner.rc.catalog import Operation, load_catalog
from runner.rc.requests import request_schemas
from runner.rc.validate import UNKNOWN, Request, UnknownText, validate
from tests.conftest import REPO

ME = {"accountId": "~", "extensionId": "~"}
# The spec offers two shapes here (anyOf: a location or an address): without location, the
# address shape matches, so dropping it is no error.
EITHER_SHAPE = {("bulkAddDevicesV2", ("records", 0, "emergency", "location"))}
# Required by the schema, not by RingCentral: a PUT of {} renews a subscription (sub.put-empty-renews).
RELAXED = {("updateSubscription", ("eventFilters",))}


def _op(operation_id: str) -> Operation:
    op = load_catalog().by_id(operation_id)
    assert op is not None
    return op


def _json_body_ops() -> list[tuple[Operation, dict[str, Any]]]:
    out = []
    for op in load_catalog().operations:
        spec = request_schemas(op.id)
        assert spec is not None, op.id
        if spec["body"] is not None and spec["body"]["schema"] is not None:
            out.append((op, spec))
    return out


def _minimal_request(spec: dict[str, Any], body: Any) -> Request:
    """The required parameters at their minimal values, as text the way a URL carries them."""
    where: dict[str, dict[str, str]] = {"path": {}, "query": {}, "header": {}}
    for param in spec["params"]:
        if param["required"]:
            value = minimal_value(param["schema"])
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            where[param["in"]][param["name"]] = text
    return Request(where["path"], where["query"], where["header"], body, "application/json")


def _key_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*path, key)
            yield from _key_paths(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _key_paths(sub, (*path, index))


def test_committed_requests_match_the_spec(spec_path: Path) -> None:
    committed = (REPO / "runner" / "rc" / "data" / "requests.json").read_text(encoding="utf-8")
    regenerated = requests_build.build_from_file(spec_path)
    assert regenerated == committed, "runner/rc/data/requests.json is stale: run `make catalog` and commit it"


def test_every_operation_has_its_request_schemas() -> None:
    ops = load_catalog().operations
    assert all(request_schemas(op.id) is not None for op in ops)
    assert len(_json_body_ops()) == 186


def test_a_minimal_body_passes_and_each_field_dropped_fails_over_the_whole_catalog() -> None:
    silent: list[str] = []
    for op, spec in _json_body_ops():
        body = minimal_value(spec["body"]["schema"])
        # The spec's own side: the rules beyond it refuse made-up values (test_rules.py).
        assert [p for p in validate(op, _minimal_request(spec, body)) if p.rule is None] == [], op.id
        # The catalog's skeleton, which `plan init` starts from, is that body.
        assert op.body is not None and op.body.skeleton == body, op.id
        for keys in _key_paths(body):
            if isinstance(keys[-1], int) or (op.id, keys) in EITHER_SHAPE:
                continue
            broken = copy.deepcopy(body)
            node = broken
            for key in keys[:-1]:
                node = node[key]
            del node[keys[-1]]
            if (op.id, keys[:-1]) in EITHER_SHAPE:
                continue
            problems = validate(op, _minimal_request(spec, broken))
            if not problems and (op.id, keys) not in RELAXED:
                silent.append(f"{op.id}: {keys}")
    assert silent == []


def test_a_missing_body_and_a_json_body_for_multipart_are_refused() -> None:
    sms = _op("createSMSMessage")
    assert [str(p.where) for p in validate(sms, Request(path=ME))] == ["json"]
    mms = _op("createMMS")
    problems = validate(mms, Request(path=ME, body={"to": []}, body_type="application/json"))
    assert [(p.where, p.status, p.rule and p.rule.id) for p in problems] == [("json", 415, "ct.unsupported")]
    assert problems[0].message.startswith(
        "the spec takes a multipart/form-data or multipart/mixed body here, not JSON: RingCentral answers 415"
    )


def test_query_parameters_are_typed_named_and_bounded() -> None:
    log = _op("readUserCallLog")
    query = {"perPage": "10", "page": 2, "direction": ["Inbound", "Outbound"], "withRecording": "true"}
    assert validate(log, Request(path=ME, query=query)) == []
    assert validate(log, Request(path=ME, query={"perPage": "max", "dateFrom": "2026-01-01"})) == []
    bad = {"perPage": "ten", "view": "Everything", "dateFrom": "yesterday", "colour": "red", "page": 0}
    found = {p.where: p.message for p in validate(log, Request(path=ME, query=bad))}
    assert set(found) == {"query.perPage", "query.view", "query.dateFrom", "query.colour", "query.page"}
    assert found["query.colour"] == "not a query parameter of this endpoint in the spec"
    assert found["query.view"] == "not one of the spec's values (Simple, Detailed)"
    assert found["query.page"] == "below the least value, 1 (the spec's minimum)"
    # perPage is a number up to 1000 or "max": the number's branch says what is wrong.
    (too_many,) = validate(log, Request(path=ME, query={"perPage": "5000"}))
    assert too_many.message == "above the greatest value, 1000 (the spec's maximum)"


def test_a_date_time_is_a_real_moment_and_a_joined_empty_list_is_empty() -> None:
    log = _op("readUserCallLog")
    for moment in ("2026-01-01T12:30:00Z", "2026-01-01T23:59:60.5+01:00", "2026-01-01T10:00"):
        assert validate(log, Request(path=ME, query={"dateFrom": moment})) == [], moment
    for moment in ("2026-01-01T12:99:00Z", "2026-01-01T24:00:00Z", "2026-02-30T10:00:00Z"):
        (problem,) = validate(log, Request(path=ME, query={"dateFrom": moment}))
        assert problem.where == "query.dateFrom", moment
    # `hostUserId` is written joined (`explode: false`): `hostUserId=` is the empty list, which
    # its minItems 0 allows; an exploded list's `sortBy=` is one empty value, which it refuses.
    sessions = _op("rcwConfigListAllCompanySessions")
    query = {"hostUserId": "", "endTimeFrom": "2026-01-01T00:00:00Z"}
    assert validate(sessions, Request(path={}, query=query)) == []
    contacts = _op("listContacts")
    assert [p.where for p in validate(contacts, Request(path=ME, query={"sortBy": ""}))] == [
        "query.sortBy[0]"
    ]


def test_a_uri_has_a_scheme_and_no_space() -> None:
    blocking = _op("updateCallerBlockingSettings")
    for uri, problems in (("https://platform.ringcentral.com/restapi/v1.0", 0), ("", 1), ("not a uri", 1)):
        body = {"mode": "Specific", "greetings": [{"type": "Voicemail", "preset": {"uri": uri, "id": "1"}}]}
        found = validate(blocking, Request(path=ME, body=body, body_type="application/json"))
        assert len(found) == problems, (uri, found)
        assert all(p.where == "json.greetings[0].preset.uri" for p in found)


def test_unknown_values_are_checked_for_shape_only() -> None:
    sms = _op("createSMSMessage")
    body = {"from": {"phoneNumber": UNKNOWN}, "to": UNKNOWN, "text": UnknownText("hi {{name}}")}
    assert validate(sms, Request(path=ME, body=body, body_type="application/json")) == []
    # Text with a capture inside is still text: it cannot be a number or stand in for a list.
    log = _op("readUserCallLog")
    assert validate(log, Request(path=ME, query={"view": UnknownText("x{{v}}"), "page": UNKNOWN})) == []
    body = {"from": {"phoneNumber": "+16505550100"}, "to": [{"phoneNumber": "+1"}], "text": 5}
    problems = validate(sms, Request(path=ME, body=body, body_type="application/json"))
    assert [(p.where, p.message) for p in problems if p.rule is None] == [
        ("json.text", "the spec wants a string, not a number")
    ]
    # "+1" is text of the right type, and no phone number: a rule beyond the spec refuses it.
    assert [(p.where, p.rule.id) for p in problems if p.rule] == [("json.to[0].phoneNumber", "sms.to-format")]


def test_nullable_and_read_only_follow_openapi() -> None:
    ops = requests_build.draft4(
        {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "readOnly": True},
                "name": {"type": "string", "nullable": True},
            },
        }
    )
    assert ops["required"] == ["name"]
    assert ops["properties"]["name"]["type"] == ["string", "null"]
