"""``rcgrad check`` validates every step against the spec: one line per problem naming file, line and
key, exit 2, and ``graduate`` sends nothing for such a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.cli import main
from runner.sandbox import SandboxConfig, running_sandbox
from tests.rehearsal import use

PLAN = """\
app: {name: bad bodies, description: a test, scopes: [RingOut, SMS, ReadCallLog, ReadMessages]}
vars: {view: Everything, size: 10}
endpoints:
  - name: call
    request: POST /restapi/v1.0/account/~/extension/~/ring-out
    json:
      from: {phoneNumber: 16505550100}
      to: {phoneNumber: "+16505550101"}
  - name: sms
    request: POST /restapi/v1.0/account/~/extension/~/sms
    json:
      from: {phoneNumber: "+16505550100"}
      to:
        - {}
  - name: log
    request: GET /restapi/v1.0/account/~/extension/~/call-log
    query: {view: "{{view}}", perPage: "{{size}}", colour: red, type: [Voice, Email]}
  - name: mms
    request: POST /restapi/v1.0/account/~/extension/~/mms
    json: {to: [{phoneNumber: "+16505550101"}]}
  - name: fine with captures
    setup:
      - name: list
        request: GET /restapi/v1.0/account/~/extension/~/message-store
        save: {id: '$.records[0].id', kind: '$.records[0].type'}
    request: GET /restapi/v1.0/account/~/extension/~/message-store/{{id}}
    teardown:
      - name: read again
        request: GET /restapi/v1.0/account/~/extension/~/message-store
        query: {messageType: "{{kind}}", dateFrom: "x{{kind}}"}
"""


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, list[str]]:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    code = main(["check", str(plan), "-q"])
    out = capsys.readouterr()
    lines = [line for line in out.out.splitlines() if ": error: " in line]
    return code, [line.replace(str(plan), "plan.yaml") for line in lines]


def test_check_names_each_spec_problem_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, errors = _check(tmp_path, capsys, PLAN)
    assert code == 2
    assert errors == [
        "plan.yaml:7: endpoints[0].json.from.phoneNumber: error: the spec wants a string, not a number",
        "plan.yaml:12: endpoints[1].json.text: error: required by the spec",
        "plan.yaml:14: endpoints[1].json.to[0].phoneNumber: error: required by the spec",
        "plan.yaml:17: endpoints[2].query.colour: error: not a query parameter of this endpoint in the spec",
        "plan.yaml:17: endpoints[2].query.type[1]: error: not one of the spec's values (Voice, Fax)",
        "plan.yaml:17: endpoints[2].query.view: error: not one of the spec's values (Simple, Detailed)",
        "plan.yaml:20: endpoints[3].json: error: the spec takes a multipart/form-data or multipart/mixed"
        " body here, not JSON: RingCentral answers 415 CMN-415 (rule ct.unsupported,"
        " https://developers.ringcentral.com/api-reference/)",
        # Captures are unknown until run time: {{id}} and {{kind}} pass on shape (text with a
        # capture inside is text), so the last item has no error.
    ]


def test_a_fixed_plan_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixed = (
        PLAN.replace("16505550100}", '"+16505550100"}')
        .replace("        - {}", '        - {phoneNumber: "+16505550101"}\n      text: hello')
        .replace("Everything", "Simple")
        .replace(" colour: red,", "")
        .replace("Email", "Fax")
        .replace("mms\n", "mms\n")
        .replace(
            "POST /restapi/v1.0/account/~/extension/~/mms",
            "GET /restapi/v1.0/account/~/extension/~/message-store",
        )
        .replace('    json: {to: [{phoneNumber: "+16505550101"}]}\n', "")
    )
    code, errors = _check(tmp_path, capsys, fixed)
    assert (code, errors) == (0, [])


@pytest.mark.loopback
def test_graduate_sends_nothing_for_a_plan_the_spec_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    with running_sandbox(SandboxConfig()) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", str(plan), "--server", sb.url, "-q"])
        assert code == 2
        assert sb.state.log == []
    err = capsys.readouterr().err
    assert "endpoints[0].json.from.phoneNumber: the spec wants a string" in err
