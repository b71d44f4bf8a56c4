"""Serving the sandbox: uvicorn on a loopback port in a daemon thread, for tests and for rehearsal.

``running_sandbox`` starts it, waits until it answers, yields a handle with its URL and throwaway
credentials, then stops it and (with ``state_path``) saves sessions and resources; the request log
beside them is appended as requests arrive (``journal``), so even a kill -9 keeps it. It must never
bind anything but 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from runner.fileio import atomic_write
from runner.sandbox.app import create_app
from runner.sandbox.config import SandboxConfig
from runner.sandbox.control import CONTROL_HEADER
from runner.sandbox.state import SandboxState
from runner.settings import Credentials

HOST = "127.0.0.1"


@dataclass
class SandboxHandle:
    url: str
    config: SandboxConfig
    state: SandboxState

    def credentials(self) -> Credentials:
        return Credentials(self.url, self.config.client_id, self.config.client_secret, self.config.jwt)

    @property
    def control_headers(self) -> dict[str, str]:
        """What a request to the control API (``/__sandbox/*``) must carry."""
        return {CONTROL_HEADER: self.config.control_token}

    def env_lines(self) -> list[str]:
        return [
            f"RC_SERVER_URL={self.url}",
            f"RC_APP_CLIENT_ID={self.config.client_id}",
            f"RC_APP_CLIENT_SECRET={self.config.client_secret}",
            f"RC_USER_JWT={self.config.jwt}",
        ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it Nagle's algorithm holds small answers
        # back and the sandbox serves 14x fewer requests per second (see `make bench`).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def journal_path(config: SandboxConfig) -> Path | None:
    return None if config.state_path is None else config.state_path.with_name("log.jsonl")


def _load(config: SandboxConfig, state: SandboxState) -> None:
    if config.state_path is None:
        return
    if config.state_path.exists():
        try:
            state.load(json.loads(config.state_path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            logging.getLogger("rcgrad.sandbox").warning("sandbox state unreadable; starting fresh")
    journal = journal_path(config)
    assert journal is not None
    state.open_journal(journal)


def _save(config: SandboxConfig, state: SandboxState) -> None:
    if config.state_path is None:
        return
    if state.journal is not None:
        state.journal.close()
    atomic_write(config.state_path, json.dumps(state.dump()))


class _ByPort:
    """One ASGI app in front of many sandboxes: each listens on a port of its own and the port a
    request came in on picks the sandbox, so every app keeps its own state, tokens and rate windows
    (RingCentral's limits are per app and user) while one server thread serves them all."""

    def __init__(self, apps: dict[int, Any]) -> None:
        self._apps = apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        _, port = scope.get("server") or ("", 0)
        await self._apps[int(port or 0)](scope, receive, send)


@contextmanager
def running_sandboxes(configs: list[SandboxConfig]) -> Iterator[list[SandboxHandle]]:
    """Many sandboxes, one per config, on one uvicorn server in one thread: a fleet's rehearsal or a
    benchmark of hundreds of apps without hundreds of threads. Each has its own port and URL."""
    states = [SandboxState(config) for config in configs]
    listeners: list[socket.socket] = []
    try:
        for _ in configs:
            listeners.append(_listen(0))
    except OSError:
        for sock in listeners:
            sock.close()
        raise
    ports = [int(sock.getsockname()[1]) for sock in listeners]
    front = _ByPort({port: create_app(state=state) for port, state in zip(ports, states, strict=True)})
    server = uvicorn.Server(
        uvicorn.Config(
            front,
            host=HOST,
            port=ports[0],
            log_level="critical",
            lifespan="off",
            access_log=False,
            backlog=2048,
            limit_concurrency=None,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": listeners}, name="rcgrad-sandboxes", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            for sock in listeners:
                sock.close()
            raise RuntimeError(f"the local sandboxes did not start on {HOST}")
        time.sleep(0.01)
    try:
        yield [
            SandboxHandle(f"http://{HOST}:{port}", config, state)
            for port, config, state in zip(ports, configs, states, strict=True)
        ]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sock in listeners:
            sock.close()


@contextmanager
def running_sandbox(
    config: SandboxConfig | None = None, *, port: int | None = None
) -> Iterator[SandboxHandle]:
    config = config or SandboxConfig()
    state = SandboxState(config)
    _load(config, state)
    app = create_app(state=state)
    # Bound here, not in uvicorn's thread, so a taken port is an OSError the caller can report
    # instead of a thread that dies quietly.
    listener = _listen(port or 0)
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="critical", lifespan="off", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=f"rcgrad-sandbox-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()  # ours since we bound it: uvicorn closes it only once it has started
            raise RuntimeError(f"the local sandbox did not start on {HOST}:{port}")
        time.sleep(0.01)
    try:
        yield SandboxHandle(f"http://{HOST}:{port}", config, state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        _save(config, state)
