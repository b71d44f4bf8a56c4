"""Shared fixtures. Every test gets its own ``$RCGRAD_HOME`` so nothing touches the real one."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.rc.wire import JWT_GRANT, TOKEN_PATH

REPO = Path(__file__).resolve().parent.parent


def sandbox_token(sb: Any) -> str:
    """An access token from a running sandbox, logged in as its app with its JWT, as an app does."""
    reply = httpx.post(
        sb.url + TOKEN_PATH,
        data={"grant_type": JWT_GRANT, "assertion": sb.config.jwt},
        auth=(sb.config.client_id, sb.config.client_secret),
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


# What a user's shell may hold that would change a test's result; RCGRAD_SPEC only says where a file is.
_SEALED = ("RC_", "RCGRAD_", "GITHUB_")


@pytest.fixture(autouse=True)
def rcgrad_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sealed workspace for every test: its own ``$RCGRAD_HOME`` and ``$HOME``, a working directory
    of its own (a user's ``.env`` in the checkout is never read), and none of the user's ``RC_*``,
    ``RCGRAD_*`` or ``GITHUB_*`` variables."""
    for name in list(os.environ):
        if name.startswith(_SEALED) and name != "RCGRAD_SPEC":
            monkeypatch.delenv(name)
    home = tmp_path / "rcgrad-home"
    monkeypatch.setenv("RCGRAD_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL for the session. Without initdb: skip with how to install it, but
    under CI=true fail, so CI never passes without having run them."""
    from tests.postgres import throwaway_server

    try:
        with throwaway_server() as url:
            yield url
    except FileNotFoundError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def spec_path() -> Path:
    """RingCentral's spec, where ``runner.rc.spec_source`` finds it. Without it: skip with how to get
    it (``make spec``), but under CI=true fail, as the PostgreSQL tests do."""
    from runner.rc.spec_source import HOW_TO_GET, locate

    found = locate()
    if found is None:
        message = f"RingCentral's spec is not here: {HOW_TO_GET}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


_databases = itertools.count()


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A fresh, empty database on the session's server, for one test."""
    from tests.postgres import fresh_database

    return fresh_database(pg_server, f"t{os.getpid()}_{next(_databases)}")


# The integration layer, marked by what a test needs; the unit layer is every test with none of them,
# and may open no socket and start no process (``_unit_layer_guard`` fails a test that does).
LAYERS = {
    "loopback": "talks to a server on 127.0.0.1 (the local sandbox, a webhook receiver)",
    "postgres": "starts or uses the throwaway PostgreSQL (pg_server, pg_url)",
    "subprocess": "runs rcgrad, make, sh or a browser in another process",
    "reliability": "fault-injection runs summarised by `make reliability` (loopback too)",
}
INTEGRATION = tuple(LAYERS)


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in LAYERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"pg_server", "pg_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("postgres")


@pytest.fixture(autouse=True)
def _unit_layer_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked with no integration layer is a unit test: no socket, no process. It fails the
    moment it tries, so the unit layer stays fast and its markers honest."""
    if any(request.node.get_closest_marker(name) for name in INTEGRATION):
        return
    import socket
    import subprocess

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"a unit test {what}: mark it with {', '.join(INTEGRATION)}")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("opened a connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("opened a connection"))
    monkeypatch.setattr(socket.socket, "bind", refuse("bound a socket"))
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("started a process"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker hands its reliability rows to the controller, which prints them."""
    from dataclasses import asdict

    from tests.rehearsal import TABLE

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_rows"] = [asdict(row) for row in TABLE]


def pytest_testnodedown(node: Any, error: Any) -> None:
    from tests.rehearsal import TABLE, Row

    TABLE.extend(Row(**row) for row in getattr(node, "workeroutput", {}).get("reliability_rows", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.rehearsal import TABLE

    if not TABLE:
        return
    write = terminalreporter.write_line
    write("")
    write(
        f"{'fault injected':34} {'runs':>4} {'verdict':>8} {'requests':>8} {'lost':>5} {'unreached':>9}"
        f" {'429s':>5} {'secrets leaked':>15}"
    )
    for row in TABLE:
        write(
            f"{row.fault:34} {row.runs:>4} {row.verdict:>8} {row.sent:>8} {row.lost:>5} {row.unreached:>9}"
            f" {row.rate_limited:>5} {row.leaked:>15}"
        )
    # A forced 429 is the sandbox's doing; two homes share no ledger, so each may meet the other once.
    apart = ("forced 429", "two homes at once")
    earned = sum(r.rate_limited for r in TABLE if r.fault not in apart)
    homes = sum(r.rate_limited for r in TABLE if r.fault == "two homes at once")
    write(
        f"requests lost: {sum(r.lost for r in TABLE)}   429s earned: {earned}"
        f" (forced: 1, two homes: {homes}, at most 1 each)   secrets leaked: {sum(r.leaked for r in TABLE)}"
    )
    write("lost: calls the server logged that the ledger lacks. unreached: calls in the ledger the")
    write("server never saw: made while it was down (no response, counted by no criterion) or killed")
    write("before they reached it (unknown answer: no success, and a 4xx in the error ratio).")
