"""The local sandbox: an emulator of RingCentral's REST API, generated from the endpoint catalog.

It answers all 520 operations and enforces OAuth, rate limits and app permissions the way the real
platform does (docs/ringcentral.md is the reference), so users can rehearse a plan without spending real
traffic and our tests run over real loopback HTTP. Public API: ``SandboxConfig``, ``Faults``,
``running_sandbox`` (``running_sandboxes``: many on one server thread), ``create_app``. It must never be reachable from anywhere but loopback.
"""

from runner.sandbox.app import create_app
from runner.sandbox.config import Faults, SandboxConfig
from runner.sandbox.server import SandboxHandle, running_sandbox, running_sandboxes
from runner.sandbox.state import SandboxState

__all__ = [
    "Faults",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxState",
    "create_app",
    "running_sandbox",
    "running_sandboxes",
]
