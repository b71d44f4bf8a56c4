"""Valid plans, generated: every key, every criteria form, short and long endpoint forms, block and
flow style. Each one loads and passes ``check``: the documented syntax is the syntax that works.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.plan.check import check_plan
from runner.plan.loader import parse_plan

BASE = "/restapi/v1.0/account/~/extension/~"
READS = {
    "ReadAccounts": f"{BASE}",
    "ReadPresence": f"{BASE}/presence",
    "ReadCallLog": f"{BASE}/call-log",
    "ReadMessages": f"{BASE}/message-store",
    "ReadContacts": f"{BASE}/address-book/contact",
}
PROFILES = ("strict", "community", "docs-2019", "docs-2022")


def _criteria() -> st.SearchStrategy[str]:
    overrides = st.fixed_dictionaries(
        {},
        optional={
            "min_endpoint_successes": st.integers(0, 50),
            "min_total_successes": st.integers(0, 500),
            "max_4xx_ratio": st.sampled_from([0.01, 0.03, 0.05, 1]),
            "max_429": st.integers(0, 3),
        },
    )
    mapping = st.tuples(st.none() | st.sampled_from(PROFILES), overrides).map(
        lambda pair: json.dumps({**({"profile": pair[0]} if pair[0] else {}), **pair[1]})
    )
    return st.sampled_from(PROFILES) | mapping


def _limits() -> st.SearchStrategy[str]:
    return st.fixed_dictionaries(
        {},
        optional={
            "Light": st.integers(5, 50),
            "Medium": st.integers(5, 40),
            "Heavy": st.integers(5, 10),
            "spare": st.integers(0, 2),
            "edge_seconds": st.sampled_from([0, 0.5, 2]),
        },
    ).map(json.dumps)


@st.composite
def endpoint(draw: st.DrawFn, scope: str, index: int) -> str:
    path = READS[scope]
    form = draw(st.sampled_from(["short", "request", "method-path", "chain"]))
    if form == "short":
        return f"  - GET {path}\n"
    extras = ""
    if draw(st.booleans()):
        extras += f"    calls: {draw(st.integers(1, 8))}\n"
    if draw(st.booleans()):
        extras += "    expect: 200\n"
    if draw(st.booleans()):
        extras += "    headers: {Accept-Language: en-US}\n"
    if scope == "ReadPresence" and draw(st.booleans()):
        extras += "    query: {detailedTelephonyState: true}\n"
    if form == "request":
        return f"  - name: item {index}\n    request: GET {path}\n{extras}"
    if form == "method-path":
        return f"  - name: item {index}\n    method: GET\n    path: {path}\n{extras}"
    if scope != "ReadMessages":
        return f"  - name: item {index}\n    request: GET {path}\n{extras}"
    return (
        f"  - name: item {index}\n"
        "    setup:\n"
        f"      - request: GET {BASE}/{{{{where}}}}\n"
        "        save: {message_id: '$.records[0].id'}\n"
        f"    request: GET {BASE}/message-store/{{{{message_id}}}}\n{extras}"
    )


@st.composite
def plans(draw: st.DrawFn) -> str:
    scopes = draw(st.lists(st.sampled_from(sorted(READS)), min_size=1, max_size=5, unique=True))
    name = draw(st.sampled_from(["CRM sync", "a", "Zed's app", "inbox-2"]))
    description = "Reads the user's calls, messages and presence to show them beside each CRM record."
    flow_app = draw(st.booleans())
    if flow_app:
        head = f"app: {{name: {json.dumps(name)}, description: {json.dumps(description)}, scopes: [{', '.join(scopes)}]}}\n"
    else:
        head = (
            f"app:\n  name: {json.dumps(name)}\n  description: >\n    {description}\n"
            f"  scopes:\n" + "".join(f"    - {s}\n" for s in scopes)
        )
    optional = ""
    if draw(st.booleans()):
        optional += "server: local\n"
    if draw(st.booleans()):
        optional += f"criteria: {draw(_criteria())}\n"
    if draw(st.booleans()):
        optional += f"limits: {draw(_limits())}\n"
    if draw(st.booleans()):
        optional += f"warmup: {{daily_calls: {draw(st.integers(1, 20))}}}\n"
    optional += "vars:\n  where: ${RCGRAD_TEST_UNSET_VAR:-message-store}\n"
    endpoints = "".join(draw(endpoint(scope, i)) for i, scope in enumerate(scopes))
    return head + optional + "endpoints:\n" + endpoints


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=plans())
def test_every_valid_form_loads_and_passes_check(text: str):
    plan = parse_plan(text, Path("generated.yaml"), env={})
    report = check_plan(plan)
    assert report.ok, "\n".join(str(f) for f in report.errors) + "\n---\n" + text
