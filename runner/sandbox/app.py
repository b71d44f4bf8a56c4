"""The sandbox's HTTP face: a starlette app that answers every catalog operation like RingCentral.

The order of checks follows the real platform: route (404 CMN-120, or 405 with ``Allow`` when the
path has other methods), bearer token (401), rate limit (429), app permission (403 CMN-401), the
request against the spec (400 CMN-101, by the validator ``rcgrad check`` uses), the ids in the path
(404 CMN-102 unless they are the caller's own or name a record), then the stateful resource. Every API and OAuth request is logged in the same shape rcgrad's
ledger uses; control endpoints under ``/__sandbox/`` are not. It must never log a token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from runner.fileio import atomic_write
from runner.rc import wire
from runner.rc.catalog import Operation, load_catalog
from runner.rc.hosts import parse_server
from runner.rc.limits import PENALTY_SECONDS
from runner.rc.scopes import closure
from runner.rc.validate import JSON_TYPES, validate
from runner.rc.validate import Request as Validated
from runner.records import CallRecord, Kind, TokenEvent
from runner.sandbox import errors, incoming
from runner.sandbox.config import SandboxConfig
from runner.sandbox.journal import Journal, record_from
from runner.sandbox.listing import BadPageToken
from runner.sandbox.oauth import EXTENSION_ID, OAuthState
from runner.sandbox.review import review
from runner.sandbox.samples import body_of, headers_of
from runner.sandbox.store import Encoded, Store
from runner.sandbox.throttle import Throttle

TOKEN_PATH, REVOKE_PATH, AUTHORIZE_PATH, JWT_GRANT = (
    wire.TOKEN_PATH,
    wire.REVOKE_PATH,
    wire.AUTHORIZE_PATH,
    wire.JWT_GRANT,
)
OPERATION_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # the methods the catalog declares


class SandboxState:
    """Everything the sandbox knows; shared by the app, the server thread and the tests."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.oauth = OAuthState(config)
        self.throttle = Throttle(config)
        self.store = Store(config.seed)
        self.log: list[CallRecord] = []
        self.journal: Journal | None = None  # with state_path: the log on disk, appended as it goes
        self.random = random.Random(config.seed)
        self.incoming = incoming.IncomingHooks()  # Team Messaging's incoming webhooks (incoming.py)

    @property
    def faults(self) -> Any:
        return self.config.faults

    def record(self, method: str, template: str, status: int, op: Operation | None, **extra: Any) -> None:
        record = CallRecord(
            ts=self.config.clock.time(),
            method=method,
            template=template,
            status=status,
            group=op.group if op else "",
            permission=op.permission if op else None,
            operation_id=op.id if op else None,
            **extra,
        )
        self.log.append(record)
        if self.journal is not None:
            self.journal.append(record)

    def status(self) -> dict[str, Any]:
        return review(
            self.log,
            now=self.config.clock.time(),
            scopes=self.config.scopes,
            refresh_after_401=self.oauth.refresh_after_401,
        )

    def dump(self) -> dict[str, Any]:
        # The log is not here: the journal keeps it, line by line, as requests arrive.
        return {"sessions": self.oauth.dump(), "resources": self.store.dump()}

    def load(self, data: dict[str, Any]) -> None:
        self.oauth.load(data.get("sessions", []))
        self.store.load(data.get("resources", []))
        # A state file written before the journal existed carries the log itself.
        self.log.extend(record_from(raw) for raw in data.get("log", []))

    def checkpoint(self) -> None:
        """Save sessions and resources now (a kept sandbox only): token changes are rare (Auth allows
        five a minute) and a rehearsal killed with -9 must find its tokens valid on the next run."""
        if self.journal is not None and self.config.state_path is not None:
            atomic_write(self.config.state_path, json.dumps(self.dump()))

    def open_journal(self, path: Path) -> None:
        """Take the log from the journal at ``path`` (after ``load``) and append to it from now on."""
        self.log, self.journal = Journal.reopen(path, now=self.config.clock.time(), earlier=self.log)


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> Starlette:
    sandbox = _Sandbox(state or SandboxState(config or SandboxConfig()))

    async def unrouted(request: Request, exc: Exception) -> Response:
        # A path Starlette's router cannot even parse (a newline in a segment) or a method it does
        # not know: the API handler answers it as RingCentral would, 404 CMN-120 or 405 with Allow.
        return await sandbox.api(request)

    async def too_large(request: Request, exc: Exception) -> Response:
        limit = exc.limit if isinstance(exc, _TooLarge) else 0
        return JSONResponse(errors.too_large(limit), status_code=413, headers={"Connection": "close"})

    app = Starlette(
        exception_handlers={404: unrouted, 405: unrouted, _TooLarge: too_large},
        routes=[
            Route("/__sandbox/{name}", sandbox.control, methods=["GET", "POST"]),
            Route(TOKEN_PATH, sandbox.token, methods=["POST"]),
            Route(REVOKE_PATH, sandbox.revoke, methods=["POST"]),
            Route(incoming.PATH, sandbox.state.incoming.receive, methods=["POST"]),
            # Every standard method reaches the handler: undeclared ones get 405 with Allow there.
            Route("/{path:path}", sandbox.api, methods=[*OPERATION_METHODS, "HEAD", "OPTIONS", "TRACE"]),
        ],
    )
    app.state.sandbox = sandbox.state
    return app


@dataclass
class _Call:
    """One API request on its way through the checks: what they learned so far."""

    request: Request
    op: Operation
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # the throttle's X-Rate-Limit-* headers
    body: Any = None


_Check = Callable[[_Call], Awaitable[Response | None]]


class _Sandbox:
    """The handlers. An API request passes ``checks`` in the platform's order; the first check that
    answers ends it, and ``_resource`` answers whatever passed them all."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.catalog = load_catalog()
        self._routes: dict[str, tuple[str | None, list[str]]] = {}
        self.granted = closure(state.config.scopes)  # the declared scopes and everything they include
        self.checks: tuple[_Check, ...] = (
            self._faults_on_arrival,
            self._oauth_sample,
            self._bearer,
            self._rate_limit,
            self._injected_failures,
            self._permission,
            self._against_spec,
            self._path_identity,
            self._binary,
        )

    async def control(self, request: Request) -> Response:
        state, name = self.state, request.path_params["name"]
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
            update = _json_value(await _body(request, SMALL_BODY))
            known = {f.name for f in fields(state.faults)}
            if not isinstance(update, dict) or set(update) - known:
                return JSONResponse({"error": f"known faults: {sorted(known)}"}, status_code=400)
            bad = [
                key for key, value in update.items() if not _fault_value_ok(getattr(state.faults, key), value)
            ]
            if bad:
                # Checked before any is set: a bad value must not leave the sandbox half-updated.
                return JSONResponse({"error": f"{bad[0]}: a finite number, 0 or more"}, status_code=400)
            for key, value in update.items():
                setattr(state.faults, key, value)
            return JSONResponse(asdict(state.faults))
        if name == "revoke-all" and request.method == "POST":
            return JSONResponse({"revoked": state.oauth.revoke_all()})
        return JSONResponse(errors.invalid_uri(), status_code=404)

    async def token(self, request: Request) -> Response:
        state = self.state
        op = self.catalog.by_key("POST", TOKEN_PATH)
        form = dict(parse_qsl((await _body(request, SMALL_BODY)).decode(errors="replace")))
        client_id = _basic_client(request.headers.get("authorization"), state.config)
        decision = state.throttle.admit(f"app:{client_id or 'unknown'}", wire.AUTH_GROUP)
        grant_type = form.get("grant_type", "")
        event = TokenEvent.REFRESH if grant_type == "refresh_token" else TokenEvent.LOGIN
        if decision is not None and not decision.allowed:
            state.record(
                "POST", TOKEN_PATH, 429, op, kind=Kind.OAUTH, error_code=wire.RATE_EXCEEDED, event=event
            )
            return JSONResponse(errors.rate_exceeded(), status_code=429, headers=decision.headers)
        headers = decision.headers if decision else {}
        authorization = request.headers.get("authorization")
        basic = (authorization or "").lower().startswith("basic ")
        if client_id is None and basic and _basic_pair(authorization) is None:
            # A header no one can read is a malformed request (RFC 6749 5.2), not wrong credentials.
            body = errors.oauth_error("invalid_request", "Malformed Basic authorization header")
            state.record(
                "POST", TOKEN_PATH, 400, op, kind=Kind.OAUTH, error_code="invalid_request", event=event
            )
            return JSONResponse(body, status_code=400, headers=headers)
        if client_id is None:
            body = errors.oauth_error("invalid_client", "Invalid client credentials", wire.BAD_CLIENT)
            state.record(
                "POST", TOKEN_PATH, 401, op, kind=Kind.OAUTH, error_code=wire.BAD_CLIENT, event=event
            )
            return JSONResponse(body, status_code=401, headers=headers)
        if grant_type == JWT_GRANT:
            grant = state.oauth.login(form.get("assertion"), form)
        elif grant_type == "refresh_token":
            grant = state.oauth.refresh(form.get("refresh_token"), form)
        else:
            body = errors.oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant_type[:40]}")
            state.record("POST", TOKEN_PATH, 400, op, kind=Kind.OAUTH, error_code="unsupported_grant_type")
            return JSONResponse(body, status_code=400, headers=headers)
        code = None if grant.status == 200 else wire.error_code(grant.body)
        if grant.status == 200:
            state.checkpoint()  # before the client holds the token: a kill -9 must not forget it
        state.record("POST", TOKEN_PATH, grant.status, op, kind=Kind.OAUTH, error_code=code, event=event)
        return JSONResponse(grant.body, status_code=grant.status, headers=headers)

    async def revoke(self, request: Request) -> Response:
        op = self.catalog.by_key("POST", REVOKE_PATH)
        form = dict(parse_qsl((await _body(request, SMALL_BODY)).decode(errors="replace")))
        self.state.oauth.revoke(form.get("token") or request.query_params.get("token"))
        self.state.checkpoint()
        self.state.record("POST", REVOKE_PATH, 200, op, kind=Kind.OAUTH, event=TokenEvent.REVOKE)
        return Response(status_code=200)

    async def api(self, request: Request) -> Response:
        # The decoded path as sent: ``request.url`` re-parses it, and urlsplit drops tab, CR and LF
        # (``/tasks/%0D/complete`` would become ``/tasks/complete``, another resource).
        method, path = request.method, request.scope["path"]
        # HEAD is GET without a body (the server drops it); OPTIONS names what the path allows.
        match = self.catalog.match_path("GET" if method == "HEAD" else method, path)
        template, declared = self._route(path)
        if path.endswith("/") and path != "/":
            # `/ResourceTypes/` is neither the list nor a record whose id is empty: no such URI.
            match, declared = None, []
        if match is None or match.template != template:
            # `/message-threads/sync` is its own resource, not `/message-threads/{threadId}`.
            # The log keeps the path as it came (`%3F` stays `%3F`): decoded, it reads as a query.
            sent = request.scope.get("raw_path", b"").decode("latin-1") or path
            allowed = ", ".join([*declared, *(["HEAD"] if "GET" in declared else []), "OPTIONS"])
            allowed = allowed if declared else ""
            if allowed and method == "OPTIONS":
                return Response(status_code=200, headers={"Allow": allowed})
            if allowed:
                self.state.record(method, sent, 405, None, error_code=errors.METHOD_NOT_ALLOWED)
                return JSONResponse(
                    errors.method_not_allowed(method), status_code=405, headers={"Allow": allowed}
                )
            self.state.record(method, sent, 404, None, error_code=wire.INVALID_URI)
            return JSONResponse(errors.invalid_uri(), status_code=404)
        call = _Call(request, match.value, {k: str(v) for k, v in match.params.items()})
        for check in self.checks:
            response = await check(call)
            if response is not None:
                return response
        return self._resource(call)

    def _route(self, path: str) -> tuple[str | None, list[str]]:
        """The template that names ``path`` (the most literal one any method matches, as a router
        tries literals first) and the methods declared on it."""
        cached = self._routes.get(path)
        if cached is None:
            found = {
                m: hit for m in OPERATION_METHODS if (hit := self.catalog.match_path(m, path)) is not None
            }
            best = max((hit.template for hit in found.values()), key=_literal_first, default=None)
            cached = best, [m for m, hit in found.items() if hit.template == best]
            if len(self._routes) < 4096:
                self._routes[path] = cached
        return cached

    def _answer(
        self,
        call: _Call,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> Response:
        """A JSON (or empty) answer, logged with the error code its body carries."""
        op = call.op
        kind = Kind.OAUTH if wire.is_oauth(op.path) else Kind.API
        self.state.record(
            call.request.method, op.path, status, op, kind=kind, error_code=code or wire.api_code(body)
        )
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _faults_on_arrival(self, call: _Call) -> Response | None:
        faults = self.state.faults
        if faults.latency:
            await anyio.sleep(faults.latency)
        if faults.revoke_after > 0:
            faults.revoke_after -= 1
            if faults.revoke_after == 0:
                self.state.oauth.revoke_all()
        return None

    async def _oauth_sample(self, call: _Call) -> Response | None:
        if call.op.path == AUTHORIZE_PATH:
            return await self._authorize(call)
        if wire.is_oauth(call.op.path):  # OpenID discovery, userinfo, jwks: the spec's sample, no token
            return self._answer(call, call.op.response.status, body_of(call.op))
        return None

    async def _authorize(self, call: _Call) -> Response:
        """The authorization-code flow's first step: 400 for a bad request, else the redirect to a
        login form. The sandbox signs users in with the JWT grant only, so its form says just that."""
        op = call.op
        if call.request.method == "POST":
            # The same request as a form: its fields are the GET's query parameters, so they are
            # judged by the GET's rules (rcgrad's validator reads only JSON bodies).
            # The form's schema takes other fields too: those the GET does not name are ignored.
            op = self.catalog.by_key("GET", AUTHORIZE_PATH) or op
            known = {p.name for p in op.query_required} | set(op.query_optional)
            raw = await _body(call.request, SMALL_BODY)
            form = parse_qsl(raw.decode(errors="replace"), keep_blank_values=True)
            query: dict[str, Any] = {name: value for name, value in form if name in known}
        else:
            query = {
                name: _one_or_all(call.request.query_params.getlist(name))
                for name in call.request.query_params
            }
        problems = validate(op, Validated(call.params, query, dict(call.request.headers), None, None))
        if problems:
            first = problems[0]
            return self._answer(call, 400, errors.authorize_refused(first.parameter, first.missing))
        login = f"{_base(call.request)}/__sandbox/login"
        return self._answer(call, 302, None, {"Location": login})

    async def _bearer(self, call: _Call) -> Response | None:
        session, refusal = self.state.oauth.check(call.request.headers.get("authorization"))
        if session is not None:
            return None
        if refusal == "AGW-401":
            return self._answer(call, 401, errors.no_authorization(), code="AGW-401")
        message = "Access token expired" if refusal == wire.TOKEN_EXPIRED else "Invalid token"
        return self._answer(call, 401, errors.token_invalid(refusal or wire.TOKEN_UNPARSABLE, message))

    async def _rate_limit(self, call: _Call) -> Response | None:
        decision = self.state.throttle.admit(f"user:{EXTENSION_ID}", call.op.group)
        call.headers = dict(decision.headers) if decision else {}
        if decision is not None and not decision.allowed:
            return self._answer(call, 429, errors.rate_exceeded(), call.headers)
        faults = self.state.faults
        if faults.force_429 > 0:
            faults.force_429 -= 1
            retry = str(self.state.config.scaled(PENALTY_SECONDS))
            headers = {**call.headers, wire.RETRY_AFTER_HEADER: retry, wire.RATE_REMAINING_HEADER: "0"}
            return self._answer(call, 429, errors.rate_exceeded(), headers)
        return None

    async def _injected_failures(self, call: _Call) -> Response | None:
        state, faults = self.state, self.state.faults
        if faults.stall_burst > 0:
            faults.stall_burst -= 1
            await anyio.sleep(faults.stall_seconds)
        if _burst(faults, "drop_burst") or (faults.drop_rate and state.random.random() < faults.drop_rate):
            state.record(call.request.method, call.op.path, 0, call.op)
            return _Dropped()
        if _burst(faults, "error_burst") or (faults.error_rate and state.random.random() < faults.error_rate):
            return self._answer(
                call, 503, errors.service_unavailable(), {**call.headers, wire.RETRY_AFTER_HEADER: "0"}
            )
        return None

    async def _permission(self, call: _Call) -> Response | None:
        permission = call.op.permission
        if permission and permission not in self.granted:
            return self._answer(call, 403, errors.insufficient_permissions(permission), call.headers)
        return None

    async def _path_identity(self, call: _Call) -> Response | None:
        unknown = self.state.store.unknown_path_id(call.op.path, call.params, _base(call.request))
        if unknown is None:
            return None
        return self._answer(call, 404, errors.not_found(*unknown), call.headers)

    async def _against_spec(self, call: _Call) -> Response | None:
        """The same validator as ``rcgrad check``: a rehearsal refuses what production would."""
        # Read only where the spec has a body: a GET's client may be gone by now (a stall fault).
        try:
            raw = await _body(call.request, call.op.body.max_bytes) if call.op.body is not None else b""
        except _TooLarge as exc:
            return self._answer(
                call, 413, errors.too_large(exc.limit), {**call.headers, "Connection": "close"}
            )
        body_type = call.request.headers.get("content-type", "application/json") if raw else None
        if raw and body_type is not None and JSON_TYPES.match(body_type.split(";")[0].strip()):
            call.body = _json_value(raw)
            if call.body is _MALFORMED:
                return self._answer(call, 400, errors.malformed_body(), call.headers)
        query = {
            name: _one_or_all(call.request.query_params.getlist(name)) for name in call.request.query_params
        }
        request = Validated(call.params, query, dict(call.request.headers), call.body, body_type)
        problems = validate(call.op, request)
        if not problems:
            return None
        first = problems[0]
        return self._answer(call, 400, errors.invalid_parameter(first.parameter, first.missing), call.headers)

    async def _binary(self, call: _Call) -> Response | None:
        op, params, method = call.op, call.params, call.request.method
        if not (op.response.is_binary and method == "GET"):
            return None
        if "attachmentId" in params and "messageId" in params:
            content = self.state.store.attachment(params, _base(call.request))
            if content is None:
                return self._answer(
                    call, 404, errors.not_found("attachmentId", params["attachmentId"]), call.headers
                )
            self.state.record(method, op.path, 200, op)
            pdf = content
            return Response(
                pdf, media_type="application/pdf", headers=_versioned(op, call.headers, lambda: pdf)
            )
        self.state.record(method, op.path, 200, op)
        media = (op.response.content_type or "application/octet-stream").replace("*", "mpeg")
        blob = b"\x00" * 64
        return Response(blob, media_type=media, headers=_versioned(op, call.headers, lambda: blob))

    def _resource(self, call: _Call) -> Response:
        """The stateful answer (or its 404), with the garbage and huge-body faults applied."""
        state, faults, op, headers = self.state, self.state.faults, call.op, call.headers
        method = call.request.method
        request = call.request
        query = {name: request.query_params.getlist(name) for name in request.query_params}
        base = _base(request)
        try:
            status, payload = state.store.handle(op, call.params, call.body, base=base, query=query)
        except BadPageToken:
            return self._answer(call, 400, errors.invalid_parameter("pageToken", missing=False), headers)
        if status == 404 and isinstance(payload, tuple):
            _, name, value = payload
            return self._answer(call, 404, errors.not_found(name, value), headers)
        if _burst(faults, "garbage_burst") or (
            faults.garbage_rate and state.random.random() < faults.garbage_rate
        ):
            state.record(method, op.path, status, op)
            return Response(
                b'{"records": [{"id": ', status_code=status, media_type="application/json", headers=headers
            )
        if faults.huge_body and isinstance(payload, dict):
            payload = {**payload, "padding": "x" * faults.huge_body}
        if isinstance(payload, Encoded) and faults.huge_body:
            payload = json.loads(payload.body)
        if wire.is_success(status) and payload is not None:
            body = payload  # bound for the lambda: encoded only when the spec asks for an ETag
            headers = _versioned(
                op,
                headers,
                lambda: body.body if isinstance(body, Encoded) else json.dumps(body, sort_keys=True).encode(),
            )
        if isinstance(payload, Encoded):
            state.record(method, op.path, status, op)
            return Response(payload.body, status_code=status, media_type="application/json", headers=headers)
        if status == 204 or payload is None:
            # An empty answer keeps the status the spec documents: some operations say 200, not 204.
            return self._answer(call, status, None, headers)
        return self._answer(call, status, payload, headers)


def _versioned(op: Operation, headers: dict[str, str], content: Callable[[], bytes]) -> dict[str, str]:
    """``headers`` with the ETag the spec requires on ``op``'s success, if it requires one: the
    version of what is returned, which changes exactly when the body does. ``content`` is called
    only then, so an answer without an ETag is never encoded twice."""
    if "ETag" not in headers_of(op):
        return headers
    return {**headers, "ETag": f'"{hashlib.sha256(content()).hexdigest()[:32]}"'}


def _one_or_all(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _literal_first(template: str) -> tuple[bool, ...]:
    return tuple(not segment.startswith("{") for segment in template.split("/"))


def _base(request: Request) -> str:
    """The URL the client reached the sandbox at: what ``uri`` fields in answers start with."""
    return f"{request.url.scheme}://{request.url.netloc}"


def _burst(faults: Any, name: str) -> bool:
    left = getattr(faults, name)
    if left > 0:
        setattr(faults, name, left - 1)
        return True
    return False


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


def _basic_pair(header: str | None) -> tuple[str, str] | None:
    """(client id, secret) of a Basic header, or None when there is none or it cannot be read: not
    base64, not UTF-8, not even ASCII (``Basic \\xff\\xff==``), or no colon."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


def _basic_client(header: str | None, config: SandboxConfig) -> str | None:
    """The client id when Basic credentials match the app's, else None."""
    pair = _basic_pair(header)
    if pair is None:
        return None
    client_id, secret = pair
    if secrets.compare_digest(client_id, config.client_id) and secrets.compare_digest(
        secret, config.client_secret
    ):
        return client_id
    return None


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


async def _body(request: Request, limit: int) -> bytes:
    """The request body, read no further than ``limit`` bytes: a 400 MB body must not become 400 MB
    of memory. Kept on the request, so a later ``request.body()`` returns it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # starlette's own cache of the body
    return body


def _json_value(raw: bytes) -> Any:
    """The JSON value of ``raw``, or ``_MALFORMED``: bad syntax, or nesting deeper than the parser's
    recursion allows (a 100,000-deep array), is the client's error, not the server's."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return _MALFORMED


_MALFORMED = object()
# The control API and OAuth forms are small: nothing a client sends there needs more.
SMALL_BODY = 64 * 2**10
CONTROL_HEADER = "X-Sandbox-Control"


class _Dropped(Response):
    """Starts a response and cuts the connection halfway, like a network failure mid-request."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"records": [', "more_body": True})
        raise ConnectionAbortedError("sandbox fault: connection dropped")


def _fault_value_ok(current: object, value: object) -> bool:
    """A fault switch takes a number of its own kind (a whole one for counts), finite and not negative."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(current, int) and not isinstance(current, bool) and not isinstance(value, int):
        return False
    return math.isfinite(value) and value >= 0
