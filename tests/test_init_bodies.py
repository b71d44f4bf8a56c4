"""``plan init`` writes bodies the spec accepts, or a ``todo:`` where only a person knows the value."""

from __future__ import annotations

from pathlib import Path

from runner.plan.check import check_plan
from runner.plan.init import draft_plan, render
from runner.plan.loader import parse_plan
from runner.rc.catalog import load_catalog
from runner.rc.validate import REQUIRED


def test_every_scope_s_draft_passes_the_spec_check() -> None:
    spec_errors = []
    for scope in sorted(load_catalog().permissions):
        plan = parse_plan(render(draft_plan([scope]), name="x"), Path(f"{scope}.yaml"))
        for finding in check_plan(plan).errors:
            # The validator's findings are keyed by where in the request they are.
            if any(part in finding.key for part in (".json", ".query.", ".path.", ".header.")):
                spec_errors.append(str(finding))
    assert spec_errors == []


def test_ringout_asks_a_person_for_the_numbers_instead_of_sending_empty_ones() -> None:
    (item,) = draft_plan(["RingOut"]).items
    (create,) = item.setup
    assert create.json == {"from": {}, "to": {}}
    assert create.todo is not None
    assert "from (phoneNumber or forwardingNumberId), to (phoneNumber)" in create.todo


def test_a_multipart_only_endpoint_is_a_todo_not_a_json_body() -> None:
    op = load_catalog().by_id("createUserProfileImage")
    assert op is not None and op.body is not None and op.body.skeleton is None
    from runner.plan.init import _step

    step = _step(op)
    assert step.json is None and step.todo is not None and "multipart/form-data" in step.todo
    assert REQUIRED == "required by the spec"


def test_plan_scan_writes_bodies_the_spec_accepts_or_a_todo(tmp_path: Path) -> None:
    from runner.plan import scan, scan_plan

    source = tmp_path / "app.py"
    source.write_text(
        'platform.post("/restapi/v1.0/account/~/extension/~/sms", body)\n'
        'platform.post("/restapi/v1.0/account/~/extension/~/answering-rule", rule)\n'
        'platform.post("/restapi/v1.0/account/~/extension/~/ring-out", call)\n'
    )
    found, _ = scan.scan_tree(tmp_path)
    plan = parse_plan(scan_plan.render(found, name="scanned"), tmp_path / "plan.yaml")
    by_path = {item.main.path.rsplit("/", 1)[-1]: item.main for item in plan.endpoints}
    assert by_path["answering-rule"].json == {"name": "rcgrad test", "type": "rcgrad test"}
    assert by_path["answering-rule"].todo is None
    assert by_path["sms"].todo is not None and "from.phoneNumber" in by_path["sms"].todo
    assert by_path["ring-out"].todo is not None and "to (phoneNumber)" in by_path["ring-out"].todo
    spec_errors = [f for f in check_plan(plan).errors if ".json" in f.key]
    assert spec_errors == []
