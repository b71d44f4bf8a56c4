"""The sandbox's settings: the app's scopes and limits, token lifetimes, time scale and faults.

Plain data. It must never start a server or read the environment; ``rcgrad sandbox`` and the tests
build it from their own inputs.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from runner.clock import Clock, SystemClock
from runner.rc.catalog import load_catalog


def _all_permissions() -> frozenset[str]:
    return load_catalog().permissions


def jwt_shaped() -> str:
    """A random secret shaped like a JWT (three base64url parts): the sandbox's and the local identity's."""
    return ".".join(secrets.token_urlsafe(n) for n in (18, 48, 32))


@dataclass
class Faults:
    """Failure switches, all off by default. Rates are per request, between 0 and 1."""

    error_rate: float = 0.0  # answer 503 (with Retry-After) instead of the real response
    latency: float = 0.0  # seconds added to every API response
    drop_rate: float = 0.0  # cut the connection mid-response
    force_429: int = 0  # answer the next N API requests with 429, as if a limit were hit
    garbage_rate: float = 0.0  # answer 200 with a truncated, non-JSON body
    huge_body: int = 0  # pad JSON responses with this many bytes
    # Deterministic bursts: the next N API requests get the fault.
    error_burst: int = 0  # 503 with Retry-After: 0
    drop_burst: int = 0  # connection cut mid-response
    stall_burst: int = 0  # no answer for stall_seconds (a client timeout)
    garbage_burst: int = 0  # truncated non-JSON body
    stall_seconds: float = 3.0
    revoke_after: int = 0  # revoke every session when the Nth API request from now arrives


@dataclass
class SandboxConfig:
    scopes: frozenset[str] = field(default_factory=_all_permissions)
    limits: Mapping[str, int] = field(default_factory=dict)  # per-group custom limits, e.g. {"Heavy": 5}
    time_scale: float = 1.0  # 0.01 turns 60 s windows and penalties into 0.6 s; token lifetimes too
    access_token_ttl: float = 3600.0  # seconds, before the time scale
    refresh_token_ttl: float = 604800.0
    client_id: str = field(default_factory=lambda: "sandbox-" + secrets.token_hex(6))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    jwt: str = field(default_factory=jwt_shaped)
    background_load: Mapping[str, float] = field(default_factory=dict)  # group -> share used by other traffic
    faults: Faults = field(default_factory=Faults)
    clock: Clock = field(default_factory=SystemClock)
    seed: int = 0
    state_path: Path | None = None  # keep sessions, resources and the request log between runs
    # The control API (faults, revoke-all, the log) answers only requests that carry this, so another
    # local user or a web page cannot turn faults on in someone's rehearsal.
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale
