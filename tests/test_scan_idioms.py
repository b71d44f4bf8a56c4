"""``plan scan`` on the idioms real apps use: short SDK paths, the typed SDKs' fluent chains, URLs kept in a variable with the method
chosen at run time, concatenation and ``%s`` ids (the user's own: ``~``), paths in comments and
Javadoc, test mocks, and subscription event filters. Exact operations: nothing missed, nothing extra.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runner.cli import main
from runner.plan.check import check_plan
from runner.plan.loader import parse_plan
from runner.plan.scan import ScanOptions, scan_source
from runner.plan.scan_plan import render
from tests.conftest import REPO

IDIOMS = REPO / "tests" / "fixtures" / "scan_idioms"
EXPECTED = {
    ("go/calllog.go", 7, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),  # %s ids are ~
    ("java/Presence.java", 9, "GET", "/restapi/v1.0/account/~/extension/~/presence"),  # " + id + "
    ("js/sms.js", 3, "POST", "/restapi/v1.0/account/~/extension/~/sms"),  # a short SDK path
    # the URL kept in a variable, the method chosen at the call: each pairing the catalog has
    ("ts/contacts.ts", 11, "PUT", "/restapi/v1.0/account/~/extension/~/address-book/contact/{{id1}}"),
    ("ts/contacts.ts", 11, "POST", "/restapi/v1.0/account/~/extension/~/address-book/contact"),
    ("py/subscribe.py", 5, "POST", "/restapi/v1.0/subscription"),
    # fluent chains of the typed SDKs (C#, TypeScript), mapped through the spec's own segment names
    ("cs/Sms.cs", 6, "POST", "/restapi/v1.0/account/~/extension/~/sms"),
    ("cs/Sms.cs", 11, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),
    ("ts/faxes.ts", 3, "GET", "/restapi/v1.0/account/~/extension/~/message-store"),
    ("py/calls.py", 5, "GET", "/restapi/v1.0/account/~/extension/~/call-log/{{id1}}"),  # an f-string id
    ("java/Fax.java", 6, "GET", "/restapi/v1.0/account/~/extension/~/message-store"),  # Java's chain
    ("go/presence.go", 5, "GET", "/restapi/v1.0/account/~/extension/~/presence"),  # Go's chain
    ("ts/tidy.ts", 3, "DELETE", "/restapi/v1.0/account/~/extension/~/address-book/contact/{{id1}}"),
}


def test_a_method_chosen_at_run_time_names_both_candidates_in_a_todo():
    scan = scan_source(IDIOMS)
    (tidy,) = [f for f in scan.found if f.file == "ts/tidy.ts"]
    assert tidy.candidates == ("DELETE", "PUT")
    text = render([tidy], name="tidy")
    assert "the code chooses the method at run time (DELETE or PUT)" in text


def test_every_idiom_maps_to_exactly_its_operations():
    scan = scan_source(IDIOMS)
    assert {(f.file, f.line, f.method, f.path) for f in scan.found} == EXPECTED
    assert not scan.unmatched
    assert [(f, n) for f, n, _ in scan.event_filters] == [("py/subscribe.py", 9), ("py/subscribe.py", 10)]
    assert scan.skipped[("ts/contacts.ts", "comment")] == 2  # a // mention and a /* */ block
    assert scan.skipped[("java/Presence.java", "comment")] == 1  # the Javadoc example
    assert scan.skipped[("__tests__/extensions.test.js", "test or fixture")] == 1


def test_test_trees_and_excluded_paths_are_choices():
    with_tests = scan_source(IDIOMS, ScanOptions(include_tests=True))
    assert ("__tests__/extensions.test.js", "DELETE") in {(f.file, f.method) for f in with_tests.found}
    without_go = scan_source(IDIOMS, ScanOptions(exclude=("go",)))
    assert not [f for f in without_go.found if f.file.startswith("go/")]


def test_event_filters_become_the_subscription_and_the_plan_checks_once_a_person_fills_it():
    scan = scan_source(IDIOMS)
    text = render(scan.found, name="idioms", event_filters=scan.event_filters)
    assert "written by" in text.lower() and "plan scan" in text
    items = [ln for ln in text.splitlines() if ln.startswith("  - ")]
    assert not [ln for ln in items if "subscribe.py:9" in ln or "subscribe.py:10" in ln]  # not GETs
    assert "POST /restapi/v1.0/subscription/{{subscription_id}}/renew" in text
    plan = parse_plan(text, Path("idioms.yaml"), env={})
    todos = [e for e in check_plan(plan).errors if "TODO" in e.message]
    assert todos  # ids, phone numbers and the webhook address need a person


def test_one_file_is_named_by_its_own_name(capsys):
    assert main(["plan", "scan", str(IDIOMS / "js" / "sms.js")]) == 0
    captured = capsys.readouterr()
    assert "# sms.js:3" in captured.out
    assert "sms.js: 1 call" in captured.err


CONTACT = "/restapi/v1.0/account/~/extension/~/address-book/contact"


def fill_as_a_person_would(text: str) -> str:
    """The edits the plan's todos ask for: a description, real numbers, a record to change and delete
    (created first, as the code's own flow would), a webhook address."""
    text = text.replace(
        "TODO: describe the app and its use cases (the community criteria ask for it).",
        "Texts customers, reads call logs, presence and faxes, and keeps CRM contacts in step with the address book.",
    )
    text = text.replace('"from": {"phoneNumber": "rcgrad test"}', '"from": {"phoneNumber": "+16505550100"}')
    text = text.replace('"to": [{"phoneNumber": "rcgrad test"}]', '"to": [{"phoneNumber": "+16505550101"}]')
    text = re.sub(r'    todo: "give real values[^\n]*\n', "", text)
    text = re.sub(
        r'  - name: "PUT [^\n]*\n    request: PUT [^\n]*\n    json: \{\}\n    todo: [^\n]*\n',
        f"  - name: update a contact\n    setup:\n      - request: POST {CONTACT}\n        json: {{firstName: Ada}}\n"
        f"        save: {{id1: $.id}}\n    request: PUT {CONTACT}/{{{{id1}}}}\n    json: {{firstName: Ada, lastName: King}}\n"
        f"    teardown:\n      - request: DELETE {CONTACT}/{{{{id1}}}}\n",
        text,
    )
    text = re.sub(
        r'  - name: "DELETE [^\n]*\n    request: DELETE [^\n]*\n    todo: [^\n]*\n',
        f"  - name: drop a contact\n    setup:\n      - request: POST {CONTACT}\n        json: {{firstName: Grace}}\n"
        f"        save: {{id1: $.id}}\n    request: DELETE {CONTACT}/{{{{id1}}}}\n",
        text,
    )
    text = text.replace("https://example.invalid/hook", "https://example.com/hook")
    return re.sub(r'    todo: "set deliveryMode.address[^\n]*\n', "", text)


@pytest.mark.loopback
def test_the_scanned_plan_checks_and_rehearses_with_no_4xx_once_its_todos_are_filled(tmp_path, monkeypatch):
    out = tmp_path / "scanned.yaml"
    assert main(["plan", "scan", str(IDIOMS), "--out", str(out)]) == 0
    text = out.read_text()
    assert main(["check", str(out)]) == 2  # todos: a person's turn
    out.write_text(fill_as_a_person_would(text))
    assert "todo:" not in out.read_text().split("endpoints:", 1)[1]
    assert main(["check", str(out)]) == 0
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.005")
    verdict_path = tmp_path / "verdict.json"
    assert main(["graduate", str(out), "-q", "--json", str(verdict_path)]) == 0
    verdict = json.loads(verdict_path.read_text())
    assert verdict["met"] and all(row["errors_4xx"] == 0 for row in verdict["endpoints"])
