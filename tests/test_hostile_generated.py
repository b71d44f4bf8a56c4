"""Hostile values, generated: every typed plan key, count flag and capture gets NaN/inf, huge and
negative counts, control characters, path separators and aliases. A plan or flag answers one line
and exit 2 with nothing sent; a capture stays one path segment or fails its step."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main
from runner.rc.wire import UnsendableValue, header_problem, path_segment
from tests.rehearsal import write_plan

HOSTILE = st.one_of(
    st.sampled_from([".nan", ".inf", "-.inf", "-1", "1e400", "99999999999999999999", "0x7fffffff" * 3]),
    st.sampled_from(['"a\\r\\nb"', '"\\u0000"', '"../../x"', "*missing", "&a [*a]", "[1, 2]", "{a: 1}", "~"]),
    st.integers(min_value=10**8, max_value=10**30).map(str),
    st.integers(max_value=-1).map(str),
)
# Keys whose value must be a (bounded) number: each line is appended to a valid plan.
KEYS = {
    "criteria.min_total_successes": "criteria: {{min_total_successes: {v}}}\n",
    "criteria.max_4xx_ratio": "criteria: {{max_4xx_ratio: {v}}}\n",
    "limits.Heavy": "limits: {{Heavy: {v}}}\n",
    "limits.edge_seconds": "limits: {{edge_seconds: {v}}}\n",
    "limits.spare": "limits: {{spare: {v}}}\n",
    "warmup.daily_calls": "warmup: {{daily_calls: {v}}}\n",
}
ITEM_KEYS = {"calls": "    calls: {v}\n", "expect": "    expect: {v}\n"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(KEYS) + sorted(ITEM_KEYS)), value=HOSTILE)
def test_a_hostile_value_for_a_typed_key_is_one_line_and_exit_2(key, value, tmp_path, capsys):
    endpoints = "  - request: GET /restapi/v1.0/account/~/extension/~/call-log\n"
    if key in ITEM_KEYS:
        endpoints += ITEM_KEYS[key].format(v=value)
    plan = write_plan(tmp_path, endpoints)
    if key in KEYS:
        with open(plan, "a") as handle:
            handle.write(KEYS[key].format(v=value))
    capsys.readouterr()
    code = main(["check", plan])
    out, err = capsys.readouterr()
    assert code == 2, (key, value, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err


@pytest.fixture
def credentials(monkeypatch):
    for name, value in (
        ("RC_APP_CLIENT_ID", "id"),
        ("RC_APP_CLIENT_SECRET", "secret"),
        ("RC_USER_JWT", "jwt"),
    ):
        monkeypatch.setenv(name, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flag=st.sampled_from(["--calls", "--daily"]), value=HOSTILE)
def test_a_hostile_count_flag_is_one_line_and_exit_2_before_any_request(
    flag, value, tmp_path, capsys, credentials
):
    command = "warmup" if flag == "--daily" else "graduate"
    plan = write_plan(tmp_path)
    capsys.readouterr()
    try:
        code = main([command, plan, flag, value, "--server", "http://127.0.0.1:9"])  # nothing listens
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2, (flag, value, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err


@given(st.text())
def test_any_captured_text_is_one_path_segment_or_refused(text):
    try:
        segment = path_segment(text)
    except UnsendableValue:
        assert text in ("", ".", "..")
        return
    assert not set("/?#\r\n ") & set(segment) and segment not in (".", "..")
    assert unquote(segment) == text


@given(st.text())
def test_a_header_value_is_sent_only_when_it_is_one_ascii_line(text):
    problem = header_problem(text)
    controls = {c for c in text if (ord(c) < 0x20 and c != "\t") or c == "\x7f"}  # RFC 9110: tab only
    assert (problem is None) == (text.isascii() and not controls)


@pytest.mark.parametrize(
    "value", ["1/../../oauth/revoke", "1?evil=1&x=2", "1#frag", "a\r\nb", "caf\u00e9", "%2F"]
)
def test_known_hostile_captures_stay_one_segment(value):
    segment = path_segment(value)
    assert "/" not in segment and "?" not in segment and "#" not in segment and unquote(segment) == value
