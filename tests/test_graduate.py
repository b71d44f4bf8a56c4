"""End to end over loopback: ``rcgrad graduate`` against a sandbox, and the sandbox's own review agrees.

The sandbox's ``/__sandbox/status`` computes the criteria from what reached the server, with no
help from rcgrad; rcgrad's JSON verdict comes from its ledger. Passing and failing scenarios must
agree on every criterion both sides judge.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from runner.cli import main
from runner.records import TokenEvent
from runner.sandbox import Faults, SandboxConfig, running_sandbox

pytestmark = pytest.mark.loopback

SCALE = 0.02  # 60 s windows and penalties become 1.2 s
SHARED = (
    "endpoint_successes",
    "total_successes",
    "scopes_exercised",
    "error_ratio_4xx",
    "rate_limited_429",
    "token_hygiene",
)

PLAN = """
app:
  name: agreement
  description: A test app that reads the user's extension, presence and call log to check the verdicts agree.
  scopes: [{scopes}]
server: local
endpoints:
{endpoints}
"""
GOOD = """  - GET /restapi/v1.0/account/~/extension/~
  - GET /restapi/v1.0/account/~/extension/~/presence
  - GET /restapi/v1.0/account/~/extension/~/call-log
"""


def _plan(tmp_path: Path, scopes: str, endpoints: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.format(scopes=scopes, endpoints=endpoints))
    return str(path)


def _env(monkeypatch: pytest.MonkeyPatch, sb) -> None:  # type: ignore[no-untyped-def]
    for line in sb.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)


def _graduate(tmp_path: Path, plan: str, sb, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    out = tmp_path / "verdict.json"
    code = main(["graduate", plan, "--server", sb.url, "--json", str(out), "-q", *extra])
    return code, json.loads(out.read_text()) if out.exists() else {}


def _agree(verdict: dict, sb) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    review = httpx.get(sb.url + "/__sandbox/status", headers=sb.control_headers).json()
    theirs = {c["name"]: c for c in review["criteria"]}
    ours = {c["name"]: c for c in verdict["criteria"]}
    for name in SHARED:
        assert ours[name]["met"] == theirs[name]["met"], (name, ours[name], theirs[name])
    for name in ("endpoint_successes", "total_successes", "scopes_exercised", "rate_limited_429"):
        assert ours[name]["value"] == theirs[name]["value"], (name, ours[name], theirs[name])
    return {name: theirs[name]["met"] for name in SHARED}


def test_a_passing_run_is_met_on_both_sides_and_a_second_run_sends_nothing(tmp_path, monkeypatch):
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        plan = _plan(tmp_path, ", ".join(sorted(scopes)), GOOD)
        code, verdict = _graduate(tmp_path, plan, sb)
        assert code == 0 and verdict["met"]
        assert all(_agree(verdict, sb).values())
        sent = len(sb.state.log)
        # 5 per endpoint is 15; the total needs 21, so the cheapest items make up the difference.
        assert [r.status for r in sb.state.log if r.kind == "api"].count(200) == 21
        code, again = _graduate(tmp_path, plan, sb)
        assert code == 0 and again["met"]
        assert len(sb.state.log) == sent  # no overshoot: not even a login (the token was kept)


def test_a_scope_whose_calls_all_fail_is_unmet_on_both_sides(tmp_path, monkeypatch):
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog", "ReadContacts"})
    broken = GOOD + "  - GET /restapi/v1.0/account/~/extension/~/address-book/contact/424242\n"
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        code, verdict = _graduate(tmp_path, _plan(tmp_path, ", ".join(sorted(scopes)), broken), sb)
        assert code == 1 and not verdict["met"]
        met = _agree(verdict, sb)
        assert not met["scopes_exercised"] and not met["endpoint_successes"]
        # One 404 spent the error budget: the broken endpoint got no second try; the proven ones
        # went on with their planned calls.
        assert [r.status for r in sb.state.log].count(404) == 1
        assert [r.status for r in sb.state.log].count(200) >= 15


def test_too_many_4xx_stop_the_run_and_are_unmet_on_both_sides(tmp_path, monkeypatch):
    scopes = frozenset({"ReadAccounts", "ReadContacts"})
    endpoints = (
        "  - GET /restapi/v1.0/account/~/extension/~\n"
        "  - GET /restapi/v1.0/account/~/extension/~/address-book/contact/424242\n"
    )
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        code, verdict = _graduate(
            tmp_path, _plan(tmp_path, "ReadAccounts, ReadContacts", endpoints), sb, "--calls", "2"
        )
        assert code == 1
        met = _agree(verdict, sb)
        assert not met["error_ratio_4xx"]
        assert [r.status for r in sb.state.log].count(404) == 1  # the budget stopped the second
        assert [r.status for r in sb.state.log].count(200) == 3  # the proven endpoint went on


def test_a_429_is_waited_out_recorded_and_unmet_on_both_sides(tmp_path, monkeypatch):
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE, faults=Faults(force_429=1))) as sb:
        _env(monkeypatch, sb)
        code, verdict = _graduate(tmp_path, _plan(tmp_path, ", ".join(sorted(scopes)), GOOD), sb)
        assert code == 1
        met = _agree(verdict, sb)
        assert not met["rate_limited_429"]
        assert met["endpoint_successes"]  # the retry after the penalty still got its 5 successes
        assert [r.status for r in sb.state.log].count(429) == 1


def test_revoked_tokens_mid_run_cost_one_relogin_and_no_401_storm(tmp_path, monkeypatch):
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        plan = _plan(tmp_path, ", ".join(sorted(scopes)), GOOD)
        assert _graduate(tmp_path, plan, sb, "--calls", "1")[0] == 1  # 3 calls: not enough yet
        httpx.post(sb.url + "/__sandbox/revoke-all", headers=sb.control_headers)
        code, verdict = _graduate(tmp_path, plan, sb)
        statuses = [r.status for r in sb.state.log if r.kind == "api"]
        # Only the calls already in flight (one per endpoint until each is proven) are refused;
        # one refresh attempt and one login later, everything goes through.
        assert 1 <= statuses.count(401) <= 3
        assert statuses.count(200) >= 21
        logins = [r for r in sb.state.log if r.event is TokenEvent.LOGIN and r.status == 200]
        assert len(logins) == 2
        met = _agree(verdict, sb)
        assert not met["token_hygiene"] and code == 1


def test_dry_run_prints_the_schedule_and_sends_nothing(tmp_path, monkeypatch, capsys):
    with running_sandbox(SandboxConfig(time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        plan = _plan(tmp_path, "ReadAccounts, ReadPresence, ReadCallLog", GOOD)
        assert main(["graduate", plan, "--server", sb.url, "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "graduate: 21 calls (Light 16, Heavy 5) today, for an application on" in out
        assert sb.state.log == []


def test_a_plan_with_problems_sends_zero_requests(tmp_path, monkeypatch, capsys):
    with running_sandbox(SandboxConfig(time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        plan = _plan(tmp_path, "ReadAccounts, SMS", GOOD)  # SMS is never exercised; presence is undeclared
        assert main(["graduate", plan, "--server", sb.url]) == 2
        assert sb.state.log == []
        assert "plan.yaml:" in capsys.readouterr().err


def test_a_bad_jwt_exits_3_before_any_api_call(tmp_path, monkeypatch, capsys):
    scopes = frozenset({"ReadAccounts", "ReadPresence", "ReadCallLog"})
    with running_sandbox(SandboxConfig(scopes=scopes, time_scale=SCALE)) as sb:
        _env(monkeypatch, sb)
        monkeypatch.setenv("RC_USER_JWT", "wrong.jwt.value")
        assert main(["graduate", _plan(tmp_path, ", ".join(sorted(scopes)), GOOD), "--server", sb.url]) == 3
        assert [r for r in sb.state.log if r.kind == "api"] == []
        assert "wrong.jwt.value" not in capsys.readouterr().err


def test_spare_slots_are_left_in_every_window_for_the_apps_other_traffic(tmp_path, monkeypatch):
    scale = 0.005  # a 0.3 s window
    config = SandboxConfig(scopes=frozenset({"ReadAccounts"}), time_scale=scale, limits={"Light": 8})
    with running_sandbox(config) as sb:
        _env(monkeypatch, sb)
        plan = _plan(tmp_path, "ReadAccounts", "  - GET /restapi/v1.0/account/~/extension/~\n")
        Path(plan).write_text(Path(plan).read_text() + "limits: {spare: 3}\n")
        code, verdict = _graduate(tmp_path, plan, sb)
        assert code == 0 and verdict["met"]
        sent = sorted(r.ts for r in sb.state.log if r.kind == "api")
        window = 60 * scale
        busiest = max(sum(1 for t in sent if start <= t < start + window) for start in sent)
        assert busiest == 8 - 3  # all of the usable share, never a spare slot
