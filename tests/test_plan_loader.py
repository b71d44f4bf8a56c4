"""The plan loader and ``rcgrad check``: every problem is one line naming file, line and key; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main
from runner.errors import InputError
from runner.jsonpath import extract
from runner.plan.check import check_plan
from runner.plan.loader import parse_plan

GOOD = """\
app:
  name: t
  scopes: [ReadAccounts, ReadMessages]
vars:
  ext: ${EXT:-~}
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - name: read one
    setup:
      - request: GET /restapi/v1.0/account/~/extension/{{ext}}/message-store
        save: {message_id: '$.records[0].id'}
    request: GET /restapi/v1.0/account/~/extension/~/message-store/{{message_id}}
"""


def _error(text: str, env: dict[str, str] | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_plan(text, Path("p.yaml"), env=env or {})
    return caught.value


def test_a_good_plan_loads_with_operations_lines_and_env_defaults():
    plan = parse_plan(GOOD, Path("p.yaml"), env={})
    assert plan.server == "local" and plan.criteria.profile == "strict"
    assert plan.vars == {"ext": "~"}
    short, chain = plan.endpoints
    assert short.main.operation.permission == "ReadAccounts" and short.main.line == 7
    assert chain.setup[0].save == {"message_id": "$.records[0].id"}
    assert chain.main.operation.id == "readMessage"
    assert chain.main.needs() == {"message_id"}
    request = chain.main.render({"message_id": 42})
    assert request.path == "/restapi/v1.0/account/~/extension/~/message-store/42"
    assert parse_plan(GOOD, Path("p.yaml"), env={"EXT": "101"}).vars == {"ext": "101"}


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("app: [\n", 2, "yaml", "not valid YAML"),
        ("app: {scopes: [ReadAccounts]}\nendpoints: []\nextra: 1\n", 3, "extra", "unknown key"),
        (
            "app: {scopes: [ReadAcounts]}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            1,
            "app.scopes[0]",
            "ReadAccounts",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nendpoints:\n  - GET /restapi/v1.0/acount/~/extension/~\n",
            3,
            "endpoints[0]",
            "closest: GET /restapi/v1.0/account/{accountId}/extension/{extensionId}",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nendpoints:\n  - name: x\n    reqest: GET /a\n",
            4,
            "endpoints[0].reqest",
            "did you mean 'request'",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nserver: ftp://x\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "server",
            "http(s) URL",
        ),
        (
            "app: {scopes: [ReadAccounts]}\ncriteria: lenient\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "criteria",
            "unknown profile",
        ),
        (
            "app: {scopes: [ReadAccounts]}\ncriteria: {max_4xx_ratio: 5}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "criteria.max_4xx_ratio",
            "between 0 and 1",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nvars: {x: '${NOPE}'}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "vars.x",
            "${NOPE} is not set",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nendpoints:\n  - name: x\n    request: GET /restapi/v1.0/account/~\n"
            "    save: {a: 'records[0]'}\n",
            5,
            "endpoints[0].save.a",
            "starts with $",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nendpoints:\n  - GET /restapi/v1.0/account/~?x=1\n",
            3,
            "endpoints[0]",
            "under query:",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nlimits: {Heavy: 0}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "limits.Heavy",
            "1 request",
        ),
        (
            # A typo for 5: paced at 50 a window, a run would earn 429s from the real server.
            "app: {scopes: [ReadAccounts]}\nlimits:\n  Light: 50\n  Heavy: 50\nendpoints: [GET /restapi/v1.0/account/~]\n",
            4,
            "limits.Heavy",
            "50 is above RingCentral's default of 10 for Heavy; limits can only be lowered",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nlimits:\n  spare: -1\nendpoints: [GET /restapi/v1.0/account/~]\n",
            3,
            "limits.spare",
            "0 or more",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nlimits:\n  Light: 3\n  spare: 3\nendpoints: [GET /restapi/v1.0/account/~]\n",
            4,
            "limits.spare",
            "leave nothing for rcgrad in Light (3 per window): at most 2",
        ),
        (
            "app: {scopes: [ReadAccounts]}\nlimits: {edge_seconds: soon}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            2,
            "limits.edge_seconds",
            "number of seconds",
        ),
    ],
)
def test_each_problem_names_file_line_and_key(text, line, key, words):
    error = _error(text)
    assert (error.file, error.line, error.key) == ("p.yaml", line, key)
    assert words in str(error)
    assert "\n" not in str(error) and str(error).startswith(f"p.yaml:{line}: {key}: ")


def test_check_finds_undeclared_permissions_unused_scopes_captures_and_todos():
    text = """\
app:
  scopes: [ReadAccounts, SMS, SubscriptionWebhook]
endpoints:
  - GET /restapi/v1.0/account/~/extension/~/call-log
  - name: early
    request: GET /restapi/v1.0/account/~/extension/~/message-store/{{later}}
    todo: pick a message
  - name: write
    request: DELETE /restapi/v1.0/account/~/extension/~/message-store/12345
"""
    report = check_plan(parse_plan(text, Path("p.yaml"), env={}))
    errors = [str(f) for f in report.errors]
    assert any("ReadCallLog" in e and "p.yaml:4:" in e and "403" in e for e in errors)
    assert any("no endpoint uses SMS" in e and "p.yaml:2:" in e for e in errors)
    # A real scope now: a WebHook subscription's create exercises it, and no step here makes one.
    assert any("no endpoint uses SubscriptionWebhook" in e for e in errors)
    assert any("{{later}} is used before" in e for e in errors)
    assert any("TODO" in e for e in errors)
    warnings = [str(f) for f in report.findings if f.severity == "warning"]
    assert any("writes data" in w for w in warnings) and any("messageId=12345" in w for w in warnings)
    # What graduate sends to an empty window: 5 per endpoint, and the strict profile's 21 in total.
    assert report.requests_by_group == {"Heavy": 5, "Light": 11, "Medium": 5}


def test_least_wall_time_follows_the_plan_limits():
    text = "app: {scopes: [ReadCallLog]}\nlimits: {Heavy: 2}\nendpoints:\n" + "".join(
        f"  - name: n{i}\n    request: GET /restapi/v1.0/account/~/extension/~/call-log\n" for i in range(2)
    )
    report = check_plan(parse_plan(text, Path("p.yaml"), env={}))
    # Graduate sends 21 Heavy requests (strict's total) at 2 per window: 11 windows, 10 slides.
    assert report.requests_by_group == {"Heavy": 21} and report.least_seconds == 10 * 60
    spared = check_plan(
        parse_plan(text.replace("{Heavy: 2}", "{Heavy: 3, spare: 1}"), Path("p.yaml"), env={})
    )
    assert spared.least_seconds == 10 * 60  # 3 per window less 1 spare slot: the same pace


def test_the_check_command_exits_2_with_one_line_and_0_when_fine(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("app: {scopes: [ReadAccounts]}\nendpoints: [GET /restapi/v1.0/nope]\n")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{bad}:2: endpoints[0]:" in err and "Traceback" not in err
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["check", str(good), "-q"]) == 0
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2


def test_jsonpath_subset():
    doc = {"records": [{"id": 1, "attachments": [{"id": "a"}]}, {"id": 2}], "odd key": {"x": 3}}
    assert extract("$.records[0].attachments[0].id", doc) == "a"
    assert extract("$.records[-1].id", doc) == 2
    assert extract("$['odd key'].x", doc) == 3
    with pytest.raises(LookupError):
        extract("$.records[0].nope", doc)


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
yaml_trees = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "app",
                    "scopes",
                    "endpoints",
                    "name",
                    "request",
                    "save",
                    "vars",
                    "server",
                    "criteria",
                    "setup",
                    "teardown",
                    "query",
                    "json",
                    "expect",
                    "limits",
                    "x",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_trees)
def test_random_documents_only_ever_give_input_errors(tree):
    text = yaml.safe_dump(tree)
    try:
        parse_plan(text, Path("fuzz.yaml"), env={})
    except InputError as error:
        assert str(error).startswith("fuzz.yaml") and "\n" not in str(error)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_random_bytes_only_ever_give_input_errors(blob):
    text = blob.decode("utf-8", errors="replace") if isinstance(blob, bytes) else blob
    try:
        parse_plan(text, Path("fuzz.yaml"), env={})
    except InputError as error:
        assert "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="${}:-_ABCxyz01", max_size=30))
def test_vars_substitution_never_escapes_its_error(value):
    text = (
        f"app: {{scopes: [ReadAccounts]}}\nvars: {{v: {value!r}}}\nendpoints: [GET /restapi/v1.0/account/~]\n"
    )
    try:
        parse_plan(text, Path("fuzz.yaml"), env={"ABC": "1"})
    except InputError as error:
        assert error.file == "fuzz.yaml"
