"""The sandbox refuses, with 400 CMN-101 naming the parameter, exactly the requests the validator
``rcgrad check`` uses refuses: a rehearsal fails where production would. Over loopback."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from runner.rc import wire
from runner.rc.bodies import minimal_value
from runner.rc.catalog import Operation, load_catalog
from runner.rc.requests import request_schemas
from runner.rc.rules import RULES, Enforced
from runner.rc.validate import Request, validate
from runner.sandbox import SandboxConfig, running_sandbox
from tests.conftest import sandbox_token

pytestmark = pytest.mark.loopback

UNTHROTTLED = {group: 1_000_000 for group in ("Light", "Medium", "Heavy", "Auth")}
# Refusals by rules that need the account's state or the address's answer, not the request alone.
STATEFUL_CODES = {r.code for r in RULES if r.enforced is Enforced.SANDBOX and r.status} - {
    "CMN-101",
    "CMN-102",
}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(_text, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cases() -> list[tuple[Operation, Request]]:
    """For every operation with a JSON body: its minimal request, and that request without each
    required body field; for every operation with parameters: a bad value or an unknown name."""
    cases = []
    for op in load_catalog().operations:
        if op.is_oauth:
            continue
        spec = request_schemas(op.id)
        assert spec is not None
        path = {
            p["name"]: "~" if p["name"] in ("accountId", "extensionId") else _text(minimal_value(p["schema"]))
            for p in spec["params"]
            if p["in"] == "path"
        }
        query = {
            p["name"]: _text(minimal_value(p["schema"]))
            for p in spec["params"]
            if p["in"] == "query" and p["required"]
        }
        body_spec = spec["body"]
        body = minimal_value(body_spec["schema"]) if body_spec and body_spec["schema"] is not None else None
        body_type = None if body is None else "application/json"
        cases.append((op, Request(path, query, {}, body, body_type)))
        cases.append((op, Request(path, {**query, "rcgradUnknown": "1"}, {}, body, body_type)))
        if isinstance(body, dict):
            for name in body:
                cases.append(
                    (op, Request(path, query, {}, {k: v for k, v in body.items() if k != name}, body_type))
                )
    return cases


def test_the_sandbox_answers_400_for_exactly_what_the_validator_refuses() -> None:
    cases = _cases()
    assert len(cases) > 1000
    disagreements = []
    with running_sandbox(SandboxConfig(limits=UNTHROTTLED)) as sb:
        headers = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        with httpx.Client(base_url=sb.url, headers=headers, timeout=10) as client:
            for op, request in cases:
                url = op.path
                for name, value in request.path.items():
                    url = url.replace("{" + name + "}", quote(str(value), safe="~,"))
                content = None if request.body is None else json.dumps(request.body)
                reply = client.request(
                    op.method,
                    url,
                    params=dict(request.query),
                    content=content,
                    headers={"Content-Type": "application/json"} if content else {},
                )
                problems = validate(op, request)
                if not problems and wire.api_code(_json(reply)) in STATEFUL_CODES:
                    continue  # a rule of the account's state (an SMS sender it does not own)
                first = problems[0] if problems else None
                code = first.rule.code if first and first.rule else "CMN-101"
                status = first.status if first else 400
                refused = reply.status_code == status and wire.api_code(_json(reply)) == code
                named = refused and first is not None and _json(reply).get("parameterName") == first.parameter
                if bool(problems) != refused or (problems and not named):
                    disagreements.append(f"{op.id} {request.query} -> {reply.status_code} vs {problems[:1]}")
    assert disagreements == []


def _json(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return {}
