"""``rcgrad login/token/logout`` end to end, and token reuse across real processes sharing $RCGRAD_HOME."""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.auth.store import StoredTokens, TokenStore
from runner.cli import main
from runner.clock import SystemClock
from runner.sandbox import SandboxConfig, running_sandbox

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sb() -> Iterator[Any]:
    with running_sandbox(SandboxConfig()) as handle:
        yield handle


@pytest.fixture
def plan(tmp_path: Path) -> str:
    path = tmp_path / "app.yaml"
    # The server comes from RC_SERVER_URL when set (the sandbox of the test), else the local sandbox.
    path.write_text(
        "app: {scopes: [ReadAccounts]}\nserver: ${RC_SERVER_URL:-local}\n"
        "endpoints: [GET /restapi/v1.0/account/~/extension/~]\n"
    )
    return str(path)


@pytest.fixture
def env(sb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = sb.credentials()
    monkeypatch.setenv("RC_SERVER_URL", sb.url)
    monkeypatch.setenv("RC_APP_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("RC_APP_CLIENT_SECRET", creds.client_secret)
    monkeypatch.setenv("RC_USER_JWT", creds.jwt)


def sandbox_log(sb: Any) -> list[dict[str, Any]]:
    body = httpx.get(f"{sb.url}/__sandbox/log", headers=sb.control_headers).json()
    return list(body["records"] if isinstance(body, dict) else body)


def oauth_calls(sb: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox_log(sb) if str(r["template"]).startswith("/restapi/oauth/")]


def stored(sb: Any) -> StoredTokens | None:
    creds = sb.credentials()
    return TokenStore(creds.server, creds.client_id).load()


def rcgrad(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.loopback
def test_login_token_logout_show_expiry_and_never_a_secret(
    sb: Any, env: None, plan: str, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = sb.credentials()
    transcript = []

    code, text = rcgrad(capsys, "login", plan, "-v")
    transcript.append(text)
    assert code == 0 and "logged in" in text and "expires" in text
    first = stored(sb)
    assert first is not None

    code, text = rcgrad(capsys, "login", plan, "-v")
    transcript.append(text)
    assert code == 0 and "reusing stored token" in text

    code, text = rcgrad(capsys, "token", plan, "-v")
    transcript.append(text)
    assert code == 0 and "access token: ***" in text and "refresh token: ***" in text

    code, text = rcgrad(capsys, "logout", plan, "-v")
    transcript.append(text)
    assert code == 0 and "revoked" in text
    assert stored(sb) is None

    code, text = rcgrad(capsys, "token", plan, "-v")
    transcript.append(text)
    assert code == 3 and "no stored tokens" in text

    assert [r["template"] for r in oauth_calls(sb)] == ["/restapi/oauth/token", "/restapi/oauth/revoke"]
    everything = "\n".join(transcript)
    for secret in (creds.jwt, creds.client_secret, first.access_token, first.refresh_token):
        assert secret and secret not in everything


@pytest.mark.loopback
def test_a_rejected_jwt_exits_3_before_any_api_call(
    sb: Any, env: None, plan: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJub2JvZHkifQ.bm90LWEtc2lnbmF0dXJl"
    monkeypatch.setenv("RC_USER_JWT", wrong)
    code, text = rcgrad(capsys, "login", plan, "-v")
    assert code == 3
    assert "RC_USER_JWT" in text and "Traceback" not in text
    assert (
        wrong not in text and sb.credentials().jwt not in text and sb.credentials().client_secret not in text
    )
    log = sandbox_log(sb)
    assert [r["template"] for r in log] == ["/restapi/oauth/token"]  # one attempt, no API call
    assert stored(sb) is None


@pytest.mark.loopback
def test_a_missing_plan_is_bad_input(env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, text = rcgrad(capsys, "login", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in text


def test_missing_credentials_name_the_variable(plan: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = rcgrad(capsys, "login", plan, "--server", "http://127.0.0.1:9")
    assert code == 3 and "RC_USER_JWT" in text


CHILD = textwrap.dedent(
    """
    import hashlib, json, logging, sys
    import anyio
    from runner.settings import credentials_from, environment
    from runner.auth.tokens import TokenManager

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    manager = TokenManager(credentials_from(environment()))
    token = anyio.run(manager.access_token)
    print(json.dumps({"counters": manager.counters.as_dict(), "token": hashlib.sha256(token.encode()).hexdigest()}))
    """
)


def start_child(sb: Any) -> subprocess.Popen[str]:
    creds = sb.credentials()
    variables = {
        "RC_SERVER_URL": creds.server,
        "RC_APP_CLIENT_ID": creds.client_id,
        "RC_APP_CLIENT_SECRET": creds.client_secret,
        "RC_USER_JWT": creds.jwt,
    }
    # Credentials in the environment, as a scheduled warm-up gets them; argv is visible to every user.
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **variables, "PYTHONPATH": str(REPO)},
    )


def finish(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return dict(json.loads(out))


@pytest.mark.loopback
def test_a_second_process_reuses_the_stored_token(sb: Any) -> None:
    first = finish(start_child(sb))
    second = finish(start_child(sb))
    assert first["counters"]["logins"] == 1
    assert second["counters"] == {
        "logins": 0,
        "relogins": 0,
        "refreshes": 0,
        "refresh_on_401": 0,
        "revokes": 0,
    }
    assert first["token"] == second["token"]
    assert len(oauth_calls(sb)) == 1


def wait_until_queued(child: subprocess.Popen[str], deadline: float) -> None:
    """Until the child says it found the token lock taken (it logs that once, then keeps trying)."""
    assert child.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stderr, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "the children never queued on the token lock"
            if selector.select(timeout=left):
                line = child.stderr.readline()
                assert line, "a child finished without waiting for the lock"
                if "waiting for the token lock" in line:
                    return


@pytest.mark.loopback
def test_processes_racing_for_a_refresh_make_exactly_one(sb: Any) -> None:
    finish(start_child(sb))
    store = TokenStore(sb.credentials().server, sb.credentials().client_id)
    tokens = store.load()
    assert tokens is not None
    # Due for refresh on rcgrad's side (still alive on the server's): every process wants to refresh at once.
    store.save(StoredTokens({**tokens.data, "expire_time": SystemClock().time() + 1}))
    with store.lock():
        children = [start_child(sb) for _ in range(3)]
        deadline = time.monotonic() + 30
        # Hold the lock until all three are queued on it, so they really do race for the refresh.
        for child in children:
            wait_until_queued(child, deadline)
    results = [finish(child) for child in children]
    assert sum(r["counters"]["refreshes"] for r in results) == 1
    assert sum(r["counters"]["logins"] + r["counters"]["relogins"] for r in results) == 0
    assert len({r["token"] for r in results}) == 1
    assert len(oauth_calls(sb)) == 2
    renewed = store.load()
    assert renewed is not None and renewed.refresh_token != tokens.refresh_token  # the rotated one was kept
    assert hashlib.sha256(renewed.access_token.encode()).hexdigest() == results[0]["token"]


@pytest.mark.loopback
def test_token_finds_what_login_stored_for_a_local_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "app: {name: Token finder, description: a test app that reads the extension, scopes: [ReadAccounts]}\n"
        "server: local\nendpoints:\n  - GET /restapi/v1.0/account/~/extension/~\n"
    )
    assert main(["login", str(plan)]) == 0
    # The embedded sandbox's port is new every run: login names it as token does, not by its URL.
    assert capsys.readouterr().out.splitlines()[0] == "logged in to the local sandbox"
    assert main(["token", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "access token: ***" in out and "server: the local sandbox" in out
    assert main(["logout", str(plan)]) == 0
    assert capsys.readouterr().out == "revoked and deleted the stored tokens for the local sandbox\n"
