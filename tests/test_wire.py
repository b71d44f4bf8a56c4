"""RingCentral's wire facts live in runner/rc/wire.py, and every consumer asks it.

The running example is OpenID discovery, ``GET /.well-known/openid-configuration``: an OAuth-side
call the criteria must never count, whoever recorded it.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from runner.clock import ManualClock
from runner.ledger.console_csv import parse_console_csv
from runner.plan.model import Item, Step
from runner.rc import wire
from runner.rc.catalog import load_catalog
from runner.records import CallRecord, Kind
from runner.traffic.budget import ErrorBudget
from runner.traffic.engine import Engine, Job
from runner.traffic.limiter import RateLimits
from runner.verdict.criteria import TOKEN_HYGIENE, TOTAL_SUCCESSES, evaluate
from runner.verdict.topup import plan_warmup

WELL_KNOWN = "/.well-known/openid-configuration"
CALL_LOG = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log"
NOW = 1_790_000_000.0


def _record(template: str, status: int = 200, **extra: Any) -> CallRecord:
    return CallRecord(
        ts=NOW - 60, method="GET", template=template, status=status, group="Light", permission=None, **extra
    )


def test_wire_is_the_bottom_layer_it_imports_nothing_from_rcgrad():
    tree = ast.parse(Path(wire.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("runner")]


@pytest.mark.parametrize(
    ("path", "oauth"),
    [
        (WELL_KNOWN, True),
        ("/restapi/oauth/token", True),
        ("POST /restapi/oauth/revoke", True),
        (CALL_LOG, False),
        ("GET /restapi/v1.0/account/~/oauth-like", False),
    ],
)
def test_one_oauth_predicate(path: str, oauth: bool):
    assert wire.is_oauth(path) is oauth


def test_three_well_known_successes_count_zero_in_the_verdict():
    records = [_record(WELL_KNOWN)] * 3  # recorded as API calls, as the engine used to
    verdict = evaluate(records, now=NOW, catalog_lookup=False)
    total = verdict.criterion(TOTAL_SUCCESSES)
    assert total is not None and total.value == 0
    assert verdict.endpoints == ()


def test_catalog_engine_topup_and_ledger_agree_on_well_known():
    op = load_catalog().by_key("GET", WELL_KNOWN)
    assert op is not None and op.is_oauth
    # The top-up never sends it to reach a total it cannot count toward.
    items = [("discovery", (f"GET {WELL_KNOWN}",)), ("log", (f"GET {CALL_LOG}",))]
    topup = plan_warmup([], now=NOW, items=items, daily=5, facts=lambda key: ("ReadCallLog", "Heavy"))
    assert topup.repeats == {"discovery": 0, "log": 21}
    # A console import of it is an OAuth row, not an imported API call.
    rows = parse_console_csv(
        f"date,method,endpoint,status,count\n2026-03-09,GET,{WELL_KNOWN},200,4\n",
        "console.csv",
        "import:x",
        lambda method, path: (path, None, "NoThrottling", None),
    )
    assert [r.kind for r in rows] == [Kind.OAUTH]
    # The engine records what it sent there as OAuth.
    recorded = _run_engine(op, lambda request: httpx.Response(200, json={"issuer": "x"}))
    assert [(r.status, r.kind) for r in recorded] == [(200, Kind.OAUTH)]


def test_a_top_level_token_invalid_is_a_token_defect_in_the_verdict():
    """No nested code came with it: the engine refreshes on it, so the verdict must count it."""
    refused = _record(CALL_LOG, 401, error_code=wire.error_code({"errorCode": "TokenInvalid"}))
    verdict = evaluate([refused], now=NOW, catalog_lookup=False)
    hygiene = verdict.criterion(TOKEN_HYGIENE)
    assert hygiene is not None and hygiene.value == 1 and not hygiene.met


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"errorCode": "TokenInvalid", "errors": [{"errorCode": "OAU-128"}]}, "OAU-128"),
        ({"errorCode": "AGW-401", "message": "Authorization header is not specified"}, "AGW-401"),
        ({"error": "invalid_grant", "error_description": "..."}, "invalid_grant"),
        ({"errorCode": "Bearer sk_live_abc def"}, None),  # free text is never kept
        ({"errors": []}, None),
        ("not json", None),
    ],
)
def test_error_code_extraction(body: Any, code: str | None):
    assert wire.error_code(body) == code


def test_rate_headers_read_case_insensitively_and_refuse_nonsense():
    seen = wire.rate_headers({"retry-after": "3", "X-Rate-Limit-Limit": "10", "x-rate-limit-window": "nan"})
    assert (seen.retry_after, seen.limit, seen.window, seen.remaining) == (3.0, 10.0, None, None)
    assert wire.retry_after({"Retry-After": "-1"}) is None
    assert wire.retry_after({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None


class _Tokens:
    async def access_token(self) -> str:
        return "at"

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[str]:
        yield await self.access_token()

    async def on_unauthorized(self, error_code: str | None = None, used_token: str | None = None) -> str:
        return "at2"


def _run_engine(op: Any, handler: Any) -> list[CallRecord]:
    recorded: list[CallRecord] = []
    step = Step(name="discovery", method=op.method, path=op.path, operation=op, line=1)
    clock = ManualClock()

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            engine = Engine(
                base_url="http://rc.test",
                tokens=_Tokens(),
                limits=RateLimits(clock=clock),
                budget=ErrorBudget(threshold=0.05, planned=1),
                on_record=recorded.append,
                clock=clock,
                client=client,
            )
            await engine.run([Job(Item("discovery", step, 1), 1)])

    anyio.run(go)
    return recorded


@pytest.mark.loopback
def test_the_sandbox_logs_well_known_as_oauth_and_its_review_does_not_count_it():
    from runner.sandbox import SandboxConfig, running_sandbox

    with running_sandbox(SandboxConfig(scopes=frozenset({"ReadAccounts"}))) as sb:
        for _ in range(3):
            assert httpx.get(sb.url + WELL_KNOWN).status_code == 200
        logged = [r for r in sb.state.log if r.template == WELL_KNOWN]
        review = httpx.get(sb.url + "/__sandbox/status", headers=sb.control_headers).json()
    assert [r.kind for r in logged] == [Kind.OAUTH] * 3
    total = next(c for c in review["criteria"] if c["name"] == "total_successes")
    assert total["value"] == 0


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_no_other_module_spells_out_what_wire_knows():
    """The OAuth paths and the rate-limit headers are read in wire.py only (the sandbox writes them)."""
    runner = Path(wire.__file__).parents[1]
    readers: dict[str, list[str]] = {}
    for path in runner.rglob("*.py"):
        name = str(path.relative_to(runner))
        if name == "rc/wire.py":
            continue
        for text in _string_constants(path):
            lowered = text.lower()
            if "/.well-known/" in lowered or (
                lowered.startswith("/restapi/oauth/") and lowered.endswith("/")
            ):
                readers.setdefault("OAuth prefix", []).append(name)
            if (lowered == "retry-after" or lowered.startswith("x-rate-limit-")) and not name.startswith(
                "sandbox/"
            ):
                readers.setdefault("rate headers", []).append(name)
    assert readers == {}
