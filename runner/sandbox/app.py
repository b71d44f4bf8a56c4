"""The sandbox's HTTP face: a starlette app that answers every catalog operation like RingCentral.

The order of checks follows the real platform: route (404 CMN-120, or 405 with ``Allow`` when the
path has other methods), bearer token (401), rate limit (429), app permission (403 CMN-401; the
call's permission may be a rule's, by its body), the request against the spec and the rules beyond
it (400 CMN-101, 415, or a rule's own status and code, by the validator ``rcgrad check`` uses; a
multipart body read first), a batch of ids (207), the ids in the path (404 CMN-102 unless they are
the caller's own or name a record), the rules that need the account's state, a WebHook address's
validation handshake, then the stateful resource. Every API and OAuth request is logged in the same
shape rcgrad's ledger uses; control endpoints under ``/__sandbox/`` are not. It must never log a
token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from runner.rc import rules, wire
from runner.rc.catalog import Operation, load_catalog
from runner.rc.limits import PENALTY_SECONDS
from runner.rc.rules.base import Attachment, is_multipart
from runner.rc.rules.bulk import BULK, JSON_FORM
from runner.rc.rules.multipart import MALFORMED
from runner.rc.scopes import closure
from runner.rc.validate import JSON_TYPES, validate
from runner.rc.validate import Request as Validated
from runner.records import Kind, TokenEvent
from runner.sandbox import account, bulk, errors, incoming, multipart, webhooks
from runner.sandbox.bodies import MALFORMED_JSON, TooLarge, json_value, read_body
from runner.sandbox.config import SandboxConfig
from runner.sandbox.control import SMALL_BODY, control
from runner.sandbox.listing import BadPageToken
from runner.sandbox.oauth import ACCOUNT_ID, EXTENSION_ID
from runner.sandbox.samples import body_of, headers_of
from runner.sandbox.state import SandboxState
from runner.sandbox.store import Encoded

TOKEN_PATH, REVOKE_PATH, AUTHORIZE_PATH, JWT_GRANT = (
    wire.TOKEN_PATH,
    wire.REVOKE_PATH,
    wire.AUTHORIZE_PATH,
    wire.JWT_GRANT,
)
OPERATION_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # the methods the catalog declares


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> Starlette:
    sandbox = _Sandbox(state or SandboxState(config or SandboxConfig()))

    async def unrouted(request: Request, exc: Exception) -> Response:
        # A path Starlette's router cannot even parse (a newline in a segment) or a method it does
        # not know: the API handler answers it as RingCentral would, 404 CMN-120 or 405 with Allow.
        return await sandbox.api(request)

    async def too_large(request: Request, exc: Exception) -> Response:
        limit = exc.limit if isinstance(exc, TooLarge) else 0
        return JSONResponse(errors.too_large(limit), status_code=413, headers={"Connection": "close"})

    app = Starlette(
        exception_handlers={404: unrouted, 405: unrouted, TooLarge: too_large},
        routes=[
            Route("/__sandbox/{name}", partial(control, sandbox.state), methods=["GET", "POST"]),
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
    files: tuple[Attachment, ...] = ()  # a multipart body's files, as the validator sees them
    contents: tuple[bytes, ...] = ()  # and their bytes, for what the account keeps
    permission: str | None = None  # the call's: the operation's, or a rule's by the body


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
            self._bulk,
            self._path_identity,
            self._account_rules,
            self._webhook,
            self._binary,
        )

    async def token(self, request: Request) -> Response:
        state = self.state
        op = self.catalog.by_key("POST", TOKEN_PATH)
        form = dict(parse_qsl((await read_body(request, SMALL_BODY)).decode(errors="replace")))
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
        form = dict(parse_qsl((await read_body(request, SMALL_BODY)).decode(errors="replace")))
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
        op = match.value
        call = _Call(request, op, {k: str(v) for k, v in match.params.items()}, permission=op.permission)
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
            call.request.method,
            op.path,
            status,
            op,
            call.permission,
            kind=kind,
            error_code=code or wire.api_code(body),
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
        if wire.is_oauth(call.op.path) and call.op.permission is None:
            # OpenID discovery, userinfo, jwks: the spec's sample, no token. The WebSocket token is
            # asked for with a bearer token and needs its permission (ws.scope): it goes on.
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
            raw = await read_body(call.request, SMALL_BODY)
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
        op = call.op
        if rules.depends_on_body(op.id) and op.body is not None:
            # A rule puts the call under a permission by its body (sub.webhook-scope); read it now.
            try:
                raw = await read_body(call.request, op.body.max_bytes)
            except TooLarge as exc:
                return self._answer(
                    call, 413, errors.too_large(exc.limit), {**call.headers, "Connection": "close"}
                )
            sent = json_value(raw) if raw else None
            call.permission = rules.permission(op.id, op.permission, None if sent is MALFORMED_JSON else sent)
        permission = call.permission
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
            raw = await read_body(call.request, call.op.body.max_bytes) if call.op.body is not None else b""
        except TooLarge as exc:
            return self._answer(
                call, 413, errors.too_large(exc.limit), {**call.headers, "Connection": "close"}
            )
        body_type = call.request.headers.get("content-type", "application/json") if raw else None
        if raw and body_type is not None and JSON_TYPES.match(body_type.split(";")[0].strip()):
            call.body = json_value(raw)
            if call.body is MALFORMED_JSON:
                return self._answer(call, 400, errors.malformed_body(), call.headers)
        elif raw and is_multipart(body_type) and _takes_multipart(call.op):
            # Every form RingCentral takes: the spec's fields, the SDKs' JSON part and files.
            try:
                form = multipart.read(raw, body_type or "", call.op.id)
            except multipart.Malformed:
                return self._answer(call, 400, MALFORMED.error_body(), call.headers)
            call.body, call.files = form.body, form.files
            call.contents = tuple(part.data for part in form.file_parts)
        query = {
            name: _one_or_all(call.request.query_params.getlist(name)) for name in call.request.query_params
        }
        request = Validated(call.params, query, dict(call.request.headers), call.body, body_type, call.files)
        problems = validate(call.op, request)
        if not problems:
            return None
        first = problems[0]
        if first.rule is not None and first.rule.status:
            # A rule beyond the spec: RingCentral's own status and code for it.
            return self._answer(call, first.status, first.rule.error_body(first.parameter), call.headers)
        return self._answer(call, 400, errors.invalid_parameter(first.parameter, first.missing), call.headers)

    async def _bulk(self, call: _Call) -> Response | None:
        """Comma-separated ids on an operation that takes them: a 207 with a part per id (rules
        bulk.*); one id is a plain request; past the limit the documented 400."""
        found = BULK.get(call.op.id)
        if found is None or "," not in call.params.get(found.param, ""):
            return None
        ids = rules.bulk.ids(call.params[found.param])
        if found.most is not None and found.over is not None and len(ids) > found.most:
            return self._answer(call, 400, found.over.error_body(found.param), call.headers)
        if len(ids) == 1:
            call.params[found.param] = ids[0]
            return None
        base = _base(call.request)
        parts = []
        bodies = call.body if isinstance(call.body, list) else [call.body] * len(ids)
        for index, one in enumerate(ids):
            params = {**call.params, found.param: one}
            body = bodies[index] if index < len(bodies) else None
            if isinstance(body, dict) and "body" in body and isinstance(body["body"], dict):
                body = body["body"]  # the JSON form's {resourceId, body}
            status, answer = self._single(call, params, body, base)
            href = base + call.op.path.replace("{" + found.param + "}", one)
            for name, value in params.items():
                href = href.replace("{" + name + "}", value)
            parts.append(bulk.Part(one, href, status, answer))
        json_form = found.json or JSON_FORM in call.request.headers.get("accept", "")
        built = bulk.answer(call.request.method, parts, json_form=json_form)
        self.state.record(call.request.method, call.op.path, built.status, call.op, call.permission)
        return Response(
            built.content, status_code=built.status, media_type=built.content_type, headers=call.headers
        )

    def _single(self, call: _Call, params: dict[str, str], body: Any, base: str) -> tuple[int, Any]:
        """One id's answer inside a bulk request: its 404, or what the store answers."""
        store = self.state.store
        unknown = store.unknown_path_id(call.op.path, params, base)
        if unknown is not None:
            return 404, errors.not_found(*unknown)
        query = {name: call.request.query_params.getlist(name) for name in call.request.query_params}
        status, payload = store.handle(call.op, params, body, base=base, query=query)
        if status == 404 and isinstance(payload, tuple):
            return 404, errors.not_found(payload[1], payload[2])
        if isinstance(payload, Encoded):
            return status, json.loads(payload.body)
        return status, payload

    async def _account_rules(self, call: _Call) -> Response | None:
        """The rules that need the account's state: an SMS sender it owns, a pager's parties, a sync
        token it issued..."""
        query = {name: call.request.query_params.getlist(name) for name in call.request.query_params}
        store = self.state.store
        asked = account.Call(
            call.op.id,
            True,
            call.params,
            call.body,
            call.files,
            query,
            _base(call.request),
            self.state.now(),
        )
        with store.lock:
            refused = account.refusal(asked, store, store.account)
        if refused is None:
            return None
        return self._answer(
            call, refused.rule.status or 400, refused.rule.error_body(refused.parameter), call.headers
        )

    async def _webhook(self, call: _Call) -> Response | None:
        """A WebHook create: RingCentral's validation request to the address first (sub.webhook-*)."""
        if call.op.id != "createSubscription" or not isinstance(call.body, dict):
            return None
        mode = call.body.get("deliveryMode")
        if not isinstance(mode, dict) or mode.get("transportType") != "WebHook":
            return None
        address, token = mode.get("address"), mode.get("verificationToken")
        refused = await webhooks.handshake(str(address), token if isinstance(token, str) else None)
        if refused is None:
            return None
        return self._answer(
            call, refused.rule.status or 400, refused.rule.error_body(refused.detail), call.headers
        )

    async def _binary(self, call: _Call) -> Response | None:
        op, params, method = call.op, call.params, call.request.method
        if not (op.response.is_binary and method == "GET"):
            return None
        if op.id in ("readUserProfileImageLegacy", "readScaledProfileImage"):
            # The image uploaded last, else the default one (img.204).
            image = self.state.store.account.image
            self.state.record(method, op.path, 200, op)
            kept = image.content or account.DEFAULT_IMAGE
            return Response(
                kept, media_type=image.content_type if image.content else "image/png", headers=call.headers
            )
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

    def _subscription(self, call: _Call, base: str) -> tuple[int, Any] | None:
        """A renewal or a PUT of a kept subscription: a new expiration, the record answered
        (sub.renew-empty, sub.put-empty-renews); None for the store (its 404 included)."""
        if call.op.id not in ("renewSubscription", "updateSubscription"):
            return None
        store = self.state.store
        with store.lock:
            record = store.records(account.SUBSCRIPTIONS, {}, base).get(call.params.get("subscriptionId", ""))
            if record is None:
                return None
            if call.op.id == "renewSubscription":
                webhooks.renew(record, None, self.state.now())
            else:
                webhooks.updated(record, call.body, ACCOUNT_ID, EXTENSION_ID, self.state.now())
            return call.op.response.status, record

    def _resource(self, call: _Call) -> Response:
        """The stateful answer (or its 404), with the garbage and huge-body faults applied."""
        state, faults, op, headers = self.state, self.state.faults, call.op, call.headers
        method = call.request.method
        request = call.request
        query = {name: request.query_params.getlist(name) for name in request.query_params}
        base = _base(request)
        try:
            status, payload = self._subscription(call, base) or state.store.handle(
                op, call.params, call.body, base=base, query=query, files=call.files, contents=call.contents
            )
        except BadPageToken:
            return self._answer(call, 400, errors.invalid_parameter("pageToken", missing=False), headers)
        if status == 404 and isinstance(payload, tuple):
            _, name, value = payload
            return self._answer(call, 404, errors.not_found(name, value), headers)
        if op.id == "createSubscription" and wire.is_success(status) and isinstance(payload, dict):
            # Kept as RingCentral keeps it: ~ resolved, no verification token, its own times.
            body = call.body if isinstance(call.body, dict) else {}
            webhooks.stored(payload, body, ACCOUNT_ID, EXTENSION_ID, self.state.now())
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


def _takes_multipart(op: Operation) -> bool:
    return op.body is not None and any(is_multipart(ct) for ct in op.body.content_types)


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
