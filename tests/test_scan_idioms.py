"""``plan scan`` on the idioms real apps use: short SDK paths, URLs kept in a variable with the method
chosen at run time, concatenation and ``%s`` ids (the user's own: ``~``), paths in comments and
Javadoc, test mocks, and subscription event filters. Exact operations: nothing missed, nothing extra.
"""

from __future__ import annotations

from pathlib import Path

from runner.cli import main
from runner.plan.check import check_plan
from runner.plan.loader import parse_plan
from runner.plan.scan import ScanOptions, render, scan_source
from tests.conftest import REPO

IDIOMS = REPO / "tests" / "fixtures" / "scan_idioms"
EXPECTED = {
    ("go/calllog.go", 7, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),  # %s ids are ~
    ("java/Presence.java", 9, "GET", "/restapi/v1.0/account/~/extension/~/presence"),  # " + id + "
    ("js/sms.js", 3, "POST", "/restapi/v1.0/account/~/extension/~/sms"),  # a short SDK path
    ("ts/contacts.ts", 6, "PUT", "/restapi/v1.0/account/~/extension/~/address-book/contact/{{id1}}"),
    ("ts/contacts.ts", 7, "POST", "/restapi/v1.0/account/~/extension/~/address-book/contact"),
    ("py/subscribe.py", 6, "POST", "/restapi/v1.0/subscription"),
}


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
    assert "GET /restapi/v1.0/account/~/extension/~/message-store" not in text.replace('"/restapi', "")
    plan = parse_plan(text, Path("idioms.yaml"), env={})
    todos = [e for e in check_plan(plan).errors if "TODO" in e.message]
    assert todos  # ids, phone numbers and the webhook address need a person


def test_one_file_is_named_by_its_own_name(capsys):
    assert main(["plan", "scan", str(IDIOMS / "js" / "sms.js")]) == 0
    captured = capsys.readouterr()
    assert "# sms.js:3" in captured.out
    assert "sms.js: 1 calls" in captured.err
