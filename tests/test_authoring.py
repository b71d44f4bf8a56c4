"""Plan authoring: `plan init` for every scope of the catalog, `plan scan` over fixture trees in six
languages, and a rehearsal of every complete generated plan against the local sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.cli import main
from runner.plan.check import check_plan
from runner.plan.init import draft_plan, render
from runner.plan.loader import parse_plan
from runner.plan.scan import scan_tree
from runner.plan.scan_plan import render as render_scan
from runner.rc.catalog import load_catalog
from tests.conftest import REPO

ALL = sorted(load_catalog().permissions)
LIVE_TELEPHONY_OR_RECIPIENTS = {
    "AI",
    "CallControl",
    "RingSense",
    "VoipCalling",
    "ReadCallRecording",
    "Faxes",
    "InternalMessages",
    "EditCallLog",
    "RingOut",  # the numbers to call
    "SubscriptionWebhook",  # alone, nothing the app may read to subscribe to
}
# Scopes rehearsed beside ReadMessages below, not alone: a WebSocket token is an OAuth call, which
# exercises its scope but is no endpoint, so a plan of it alone has nothing to count; a webhook alone
# has nothing the app may read to subscribe to.
WITH_ANOTHER = {"WebSocket", "WebSocketsSubscription", "WebSocketsSubscriptions", "SubscriptionWebhook"}


TODO_DESCRIPTION = "TODO: describe the app and its use cases (the community criteria ask for it)."
DESCRIPTION = (
    "Exercises one scope with the plan that rcgrad plan init wrote for it, to show that every"
    " generated plan runs clean against the local sandbox with exactly the scopes it names."
)


def described(text: str) -> str:
    """What a person does first with a written plan: replace the description's TODO (check refuses it)."""
    assert TODO_DESCRIPTION in text
    return text.replace(TODO_DESCRIPTION, DESCRIPTION)


@pytest.mark.parametrize("scope", ALL)
def test_every_scope_gets_a_plan_that_loads_and_checks_or_is_marked_todo(scope):
    draft = draft_plan([scope])
    plan = parse_plan(described(render(draft, name=scope)), Path(f"{scope}.yaml"), env={})
    errors = check_plan(plan).errors
    if draft.items[0].complete:
        assert not errors, [str(e) for e in errors]
    else:
        assert any("TODO" in e.message for e in errors)
        assert draft.items[0].why  # the comment says why no safe call was written


def test_complete_plans_cover_all_but_live_telephony_and_real_recipients():
    draft = draft_plan(ALL)
    incomplete = set(draft.scopes) - set(COMPLETE)
    assert incomplete <= LIVE_TELEPHONY_OR_RECIPIENTS, incomplete
    print(f"complete plans for {len(draft.complete_scopes)} of {len(draft.scopes)} scopes")


COMPLETE = draft_plan(ALL).complete_scopes


@pytest.mark.loopback
@pytest.mark.parametrize("scope", [s for s in COMPLETE if s not in WITH_ANOTHER])
def test_each_complete_plan_rehearses_clean_with_exactly_its_scope(scope, tmp_path, monkeypatch):
    draft = draft_plan([scope])
    path = tmp_path / f"{scope}.yaml"
    path.write_text(described(render(draft, name=scope)))
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.005")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "verdict.json"
    assert main(["graduate", str(path), "-q", "--json", str(out)]) == 0
    verdict = json.loads(out.read_text())
    assert verdict["met"] and verdict["profile"] == "strict"
    assert all(row["errors_4xx"] == 0 for row in verdict["endpoints"])
    assert {s["scope"] for s in verdict["scopes"] if s["exercised"]} == {scope}


@pytest.mark.loopback
@pytest.mark.parametrize("extra", ["SubscriptionWebhook", "WebSocketsSubscription"])
def test_a_webhook_or_websocket_plan_rehearses_clean_with_its_scopes(extra, tmp_path, monkeypatch):
    # Each with a scope whose events it can subscribe to, or whose calls count as endpoints.
    scopes = ["ReadMessages", extra]
    path = tmp_path / "plan.yaml"
    path.write_text(described(render(draft_plan(scopes), name=extra)))
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.005")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "verdict.json"
    assert main(["graduate", str(path), "-q", "--json", str(out)]) == 0
    verdict = json.loads(out.read_text())
    assert verdict["met"] and all(row["errors_4xx"] == 0 for row in verdict["endpoints"])
    assert {s["scope"] for s in verdict["scopes"] if s["exercised"]} == set(scopes)


def test_unmappable_scopes_are_warned_about_and_left_out():
    draft = draft_plan(["ReadCallLog", "ReadClientInfo"])
    assert draft.scopes == ("ReadCallLog",)
    assert any("ReadClientInfo" in w for w in draft.warnings)


FIXTURES = REPO / "tests" / "fixtures" / "scan"


def test_scan_finds_calls_in_six_languages_with_their_place_and_method():
    found, unmatched = scan_tree(FIXTURES)
    assert not unmatched
    by_place = {(f.file, f.line): (f.method, f.operation.id) for f in found}
    assert by_place[("py/crm_sync.py", 5)] == ("GET", "readUserCallLog")
    assert by_place[("py/crm_sync.py", 7)][0] == "POST"
    assert by_place[("ts/inbox.ts", 3)][0] == "DELETE"  # a template string with ${messageId}
    assert by_place[("java/Directory.java", 3)][1] == by_place[("py/crm_sync.py", 6)][1]  # " + id + "
    assert by_place[("go/calls.go", 4)][0] == "GET"
    assert by_place[("cs/PresenceSync.cs", 7)] == by_place[("py/crm_sync.py", 6)]  # C# $"...{extensionId}..."
    assert by_place[("php/sms_report.php", 3)] == ("GET", "readUserCallLog")  # PHP "...$extId..."
    assert by_place[("php/sms_report.php", 4)][0] == "DELETE"  # ->delete(
    text = render_scan(found, name="fixture app")
    plan = parse_plan(text, Path("scan.yaml"), env={})
    assert set(plan.app.scopes) == {
        "Contacts",
        "EditMessages",
        "ReadAccounts",
        "ReadCallLog",
        "ReadMessages",
        "ReadPresence",
    }
    assert "# php/sms_report.php:4, ts/inbox.ts:3" in text
    assert "# cs/PresenceSync.cs:7, java/Directory.java:3, py/crm_sync.py:6" in text  # every place, one item
    assert any("TODO" in e.message for e in check_plan(plan).errors)  # the interpolated ids need a person


def test_the_plan_command_writes_refuses_to_overwrite_and_names_bad_scopes(tmp_path, capsys):
    out = tmp_path / "p.yaml"
    assert main(["plan", "init", "--scopes", "ReadCallLog,ReadPresence", "--out", str(out)]) == 0
    assert main(["check", "-q", str(out)]) == 2  # the description is a TODO for a person
    assert "app.description" in capsys.readouterr().out
    out.write_text(described(out.read_text()))
    assert main(["check", "-q", str(out)]) == 0
    assert main(["plan", "init", "--scopes", "ReadCallLog", "--out", str(out)]) == 2
    assert main(["plan", "init", "--scopes", "ReadCalLog"]) == 2
    assert "ReadCalLog" in capsys.readouterr().err
    assert main(["plan", "scan", str(FIXTURES)]) == 0
    assert "scopes the app needs: Contacts" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["plan", "init", "--scopes", "ReadAccounts,ReadCallLg"],
            "--scopes: unknown scope 'ReadCallLg'; did you mean 'ReadCallLog'?",
        ),
        (
            ["sandbox", "--scopes", "ReadAcounts"],
            "--scopes: unknown scope 'ReadAcounts'; did you mean 'ReadAccounts'?",
        ),
    ],
)
def test_a_mistyped_scope_on_the_command_line_gets_the_plan_loaders_suggestion(argv, line, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"rcgrad: {line}"
