"""The sandbox's control API (``/__sandbox/*``): its review, its log, faults, revoke-all, and the page
``/restapi/oauth/authorize`` sends a browser to.

It answers its owner only: a loopback Host and the per-sandbox token in ``X-Sandbox-Control`` (kept
owner-only by ``rcgrad sandbox``), so another local user or a web page cannot turn faults on in
someone's rehearsal. It must never change a fault before every value is known good.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import asdict, fields

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.rc.hosts import parse_server
from runner.sandbox import errors
from runner.sandbox.bodies import json_value, read_body
from runner.sandbox.config import SandboxConfig
from runner.sandbox.state import SandboxState

CONTROL_HEADER = "X-Sandbox-Control"
# The control API's bodies are small: nothing sent there needs more.
SMALL_BODY = 64 * 2**10


async def control(state: SandboxState, request: Request) -> Response:
    name = request.path_params["name"]
    if name == "login" and request.method == "GET":  # where /restapi/oauth/authorize sends a browser
        return Response(
            "The local sandbox signs users in with the JWT grant only (RC_USER_JWT).\n",
            media_type="text/plain",
        )
    refused = _control_refused(request, state.config)
    if refused is not None:
        return refused
    if name == "status" and request.method == "GET":
        return JSONResponse(state.status())
    if name == "log" and request.method == "GET":
        try:
            since = float(request.query_params.get("since", "0") or 0)
        except ValueError:
            since = math.nan
        if math.isnan(since):
            return JSONResponse({"error": "since: a timestamp (seconds)"}, status_code=400)
        return JSONResponse([asdict(r) for r in state.log if r.ts >= since])
    if name == "faults" and request.method == "POST":
        update = json_value(await read_body(request, SMALL_BODY))
        known = {f.name for f in fields(state.faults)}
        if not isinstance(update, dict) or set(update) - known:
            return JSONResponse({"error": f"known faults: {sorted(known)}"}, status_code=400)
        bad = [key for key, value in update.items() if not _fault_value_ok(getattr(state.faults, key), value)]
        if bad:
            # Checked before any is set: a bad value must not leave the sandbox half-updated.
            return JSONResponse({"error": f"{bad[0]}: a finite number, 0 or more"}, status_code=400)
        for key, value in update.items():
            setattr(state.faults, key, value)
        return JSONResponse(asdict(state.faults))
    if name == "revoke-all" and request.method == "POST":
        return JSONResponse({"revoked": state.oauth.revoke_all()})
    return JSONResponse(errors.invalid_uri(), status_code=404)


def _control_refused(request: Request, config: SandboxConfig) -> Response | None:
    """The control API answers only its owner: the per-sandbox token in ``X-Sandbox-Control``, and a
    loopback Host (a web page that rebinds a name to 127.0.0.1 sends its own name)."""
    host = request.headers.get("host", "")
    try:
        loopback = parse_server(f"http://{host}").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return JSONResponse({"error": "the control API answers loopback hosts only"}, status_code=403)
    given = request.headers.get(CONTROL_HEADER, "")
    if not secrets.compare_digest(given.encode(), config.control_token.encode()):
        return JSONResponse({"error": f"the control API needs {CONTROL_HEADER}"}, status_code=403)
    return None


def _fault_value_ok(current: object, value: object) -> bool:
    """A fault switch takes a number of its own kind (a whole one for counts), finite and not negative."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(current, int) and not isinstance(current, bool) and not isinstance(value, int):
        return False
    return math.isfinite(value) and value >= 0
