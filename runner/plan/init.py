"""``rcgrad plan init``: a plan that exercises every declared scope with the safest endpoints there are.

For each scope, in order of preference:

1. a GET of an operation under that permission with no id to guess (only ``~``), no required query
   and a JSON answer, from the cheapest rate group;
2. a search or report sent as POST (read-only by the catalog's reckoning);
3. create -> read -> delete: a POST to a collection whose records can be deleted again, with a
   capture of the new id and a teardown;
4. list -> change: read a list the app may read, capture the first record's id, then PUT/PATCH it;
5. a PUT/PATCH of one of the user's own settings (``~`` only) whose body needs no real-world values;
6. otherwise a step marked ``todo:``, which ``rcgrad check`` refuses until a person finishes it.

Two scopes have calls of their own (``runner.rc.rules``): SubscriptionWebhook, a webhook
subscription's create (with event filters for the plan's other scopes, from RingCentral's event
filter index), renewal and delete, its address the ``webhook_address`` variable, which a rehearsal
answers itself; and the WebSocket scope, a WebSocket token (an OAuth call: never an endpoint, but a
successful one exercises the scope).

A body whose required fields need real-world values (phone numbers, e-mail addresses, ids) gets a
``todo:`` too, and so does one a rule beyond the spec refuses: made-up values would be 4xx on a real
account. Pure: this module decides and renders
text; it must never write files or touch the network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from runner.errors import InputError
from runner.plan.loader import WEBHOOK_ADDRESS
from runner.rc import rules, wire
from runner.rc.catalog import Catalog, Operation, load_catalog
from runner.rc.limits import UNTHROTTLED
from runner.rc.requests import request_schemas
from runner.rc.rules.subscriptions import EVENT_FILTER_INDEX, EVENT_FILTERS, FILTER_FOR_SCOPE
from runner.rc.scopes import SAME_AS, SUBSCRIPTION_WEBHOOK, UNMAPPABLE, closure
from runner.rc.scopes import unknown as unknown_scope
from runner.rc.validate import Request

GROUP_COST = {UNTHROTTLED: 0, "Light": 1, "Medium": 2, "Heavy": 3, wire.AUTH_GROUP: 4}
DATE_PARAM = re.compile(r"(?i)(time|date)(from|to)$|^(date|time)?(from|to)$")
RANGE_START, RANGE_END = "2020-01-01T00:00:00Z", "2030-12-31T23:59:59Z"
REAL_WORLD = re.compile(r"(?i)phone|number|e-?mail|extension|(^|_)id$|Id$|uri$|url$")


@dataclass(frozen=True)
class StepDraft:
    name: str
    method: str
    path: str
    json: Any = None
    save: dict[str, str] = field(default_factory=dict)
    expect: int | None = None
    todo: str | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemDraft:
    scope: str
    why: str  # the YAML comment explaining the choice
    main: StepDraft
    setup: tuple[StepDraft, ...] = ()
    teardown: tuple[StepDraft, ...] = ()

    @property
    def complete(self) -> bool:
        return all(step.todo is None for step in (*self.setup, self.main, *self.teardown))


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    comment: tuple[str, ...]  # lines written above it


# The app's webhook address: what a real server validates; a rehearsal's receiver stands in for it.
WEBHOOK_VARIABLE = Variable(
    WEBHOOK_ADDRESS,
    "${WEBHOOK_ADDRESS:-https://webhook.example.com/ringcentral}",
    (
        "The app's own webhook URL: RingCentral POSTs a Validation-Token to it and refuses the",
        "subscription unless it answers 200 echoing that header within 3 s. On server: local rcgrad",
        "answers with a receiver of its own on 127.0.0.1; set WEBHOOK_ADDRESS before any other server.",
    ),
)
WS_TOKEN = "/restapi/oauth/wstoken"
SUBSCRIPTION = "/restapi/v1.0/subscription"


@dataclass(frozen=True)
class Draft:
    scopes: tuple[str, ...]
    items: tuple[ItemDraft, ...]
    warnings: tuple[str, ...]
    variables: tuple[Variable, ...] = ()

    @property
    def complete_scopes(self) -> tuple[str, ...]:
        return tuple(item.scope for item in self.items if item.complete)


def draft_plan(scopes: Iterable[str], catalog: Catalog | None = None) -> Draft:
    catalog = catalog or load_catalog()
    declared = tuple(dict.fromkeys(scopes))
    known = catalog.permissions
    for scope in declared:
        if scope not in known and scope not in UNMAPPABLE:
            raise InputError(unknown_scope(scope, known), key="--scopes")
    granted = closure(declared)
    items: list[ItemDraft] = []
    warnings: list[str] = []
    for scope in declared:
        if scope in UNMAPPABLE:
            warnings.append(
                f"{scope}: {UNMAPPABLE[scope]}; no endpoint can exercise it, so it is left out of app.scopes"
            )
            continue
        if scope == SUBSCRIPTION_WEBHOOK:
            items.append(webhook_item(declared, granted))
        elif SAME_AS.get(scope, scope) == "WebSocket":
            items.append(_websocket_item(scope))
        else:
            items.append(_choose(scope, catalog, granted))
    mappable = tuple(s for s in declared if s not in UNMAPPABLE)
    variables = (WEBHOOK_VARIABLE,) if SUBSCRIPTION_WEBHOOK in declared else ()
    return Draft(mappable, tuple(items), tuple(warnings), variables)


def webhook_item(declared: Iterable[str], granted: frozenset[str]) -> ItemDraft:
    """A webhook subscription: created (the call under SubscriptionWebhook), renewed, deleted."""
    filters = event_filters(declared, granted)
    todo = None
    if not filters:
        filters = ["/restapi/v1.0/account/~/extension/~/message-store"]
        todo = f"choose event filters the app's scopes allow ({EVENT_FILTER_INDEX}) and declare their scopes"
    body = {
        "eventFilters": filters,
        "deliveryMode": {"transportType": "WebHook", "address": "{{" + WEBHOOK_ADDRESS + "}}"},
        "expiresIn": 3600,
    }
    create = StepDraft(
        "create a webhook subscription", "POST", SUBSCRIPTION, body, {"subscription_id": "$.id"}, todo=todo
    )
    renew = StepDraft("renew it", "POST", SUBSCRIPTION + "/{{subscription_id}}/renew")
    delete = StepDraft("delete it again", "DELETE", SUBSCRIPTION + "/{{subscription_id}}", expect=204)
    why = f"{SUBSCRIPTION_WEBHOOK}: a webhook subscription: create (validated at vars.{WEBHOOK_ADDRESS}), renew, delete"
    return ItemDraft(SUBSCRIPTION_WEBHOOK, why, renew, (create,), (delete,))


def event_filters(declared: Iterable[str], granted: frozenset[str]) -> list[str]:
    """An event filter for each declared scope that has one, whose permission the app holds."""
    chosen: list[str] = []
    for scope in declared:
        found = FILTER_FOR_SCOPE.get(scope)
        if found is None or found in chosen:
            continue
        template = re.sub(r"/extension/~", "/extension/{extensionId}", found.split("?", 1)[0])
        template = re.sub(r"/account/~", "/account/{accountId}", template)
        if EVENT_FILTERS.get(template) in granted:
            chosen.append(found)
    return chosen


def _websocket_item(scope: str) -> ItemDraft:
    why = (
        f"{scope}: a WebSocket token, the one call under the scope; it is OAuth, so it never counts"
        " as an endpoint, but a successful one exercises the scope"
    )
    return ItemDraft(scope, why, StepDraft("a WebSocket token", "POST", WS_TOKEN))


def _choose(scope: str, catalog: Catalog, granted: frozenset[str]) -> ItemDraft:
    ops = sorted(catalog.for_permission(scope), key=_preference)
    for op in ops:
        if op.method == "GET" and _only_own_ids(op) and not op.query_required and _json(op):
            return ItemDraft(scope, f"{scope}: a read with no id to guess, {op.group} group", _step(op))
    for op in ops:
        dates = _date_filters(op)
        if op.method == "GET" and _only_own_ids(op) and dates is not None and _json(op):
            step = replace(_step(op), query=dates)
            return ItemDraft(scope, f"{scope}: a read whose only required parameters are a date range", step)
    for op in ops:
        if op.method == "POST" and not op.is_write and not op.id_params and not op.query_required:
            step = _step(op)
            if step.todo is None:
                return ItemDraft(scope, f"{scope}: a search or report sent as POST; it changes nothing", step)
    for op in ops:
        item = _create_read_delete(scope, op, catalog, granted)
        if item is not None:
            return item
    for op in ops:
        item = _list_then_change(scope, op, catalog, granted)
        if item is not None:
            return item
    for op in ops:
        if op.method in ("PUT", "PATCH") and not op.id_params and not op.query_required:
            step = _step(op)
            if step.todo is None:
                why = f"{scope}: only writes; sets one of the user's own settings ({op.summary or op.id})"
                return ItemDraft(scope, why, step)
    op = ops[0]
    return ItemDraft(
        scope,
        f"{scope}: no safe call found; every operation under it needs real data or changes something for good",
        _step(op, todo=f"{scope} has no safe call rcgrad can write for you: fill in this request by hand"),
    )


def _preference(op: Operation) -> tuple[int, int, int, int, str]:
    # Cheapest group first; then the user's own extension over account-wide data (which often needs
    # an admin role), the long-standing v1.0 API over v2, and the shorter path.
    return (
        GROUP_COST.get(op.group, 9),
        0 if "/extension/{extensionId}" in op.path else 1,
        0 if "/v1.0/" in op.path else 1,
        len(op.path),
        op.path,
    )


def _create_read_delete(
    scope: str, op: Operation, catalog: Catalog, granted: frozenset[str]
) -> ItemDraft | None:
    if op.method != "POST" or op.id_params:
        return None
    id_name = _item_param(op.path, catalog)
    if id_name is None:
        return None
    item_path = f"{op.path}/{{{id_name}}}"
    delete = catalog.by_key("DELETE", item_path)
    if delete is None or delete.permission not in granted | {None}:
        return None
    read = catalog.by_key("GET", item_path)
    capture = "{{" + _snake(id_name) + "}}"
    create = _step(op, name=f"create ({op.summary or op.id})", save={_snake(id_name): "$.id"})
    delete_step = _step(delete, name="delete it again", capture=(id_name, capture), expect=204)
    why = f"{scope}: only writes; a create -> read -> delete chain that leaves nothing behind"
    if read is not None and read.permission in granted | {None}:
        return ItemDraft(
            scope, why, _step(read, name="read it", capture=(id_name, capture)), (create,), (delete_step,)
        )
    return ItemDraft(scope, why, create, (), (delete_step,))


def _list_then_change(
    scope: str, op: Operation, catalog: Catalog, granted: frozenset[str]
) -> ItemDraft | None:
    if op.method not in ("PUT", "PATCH") or len(op.id_params) != 1:
        return None
    head, _, last = op.path.rpartition("/")
    id_name = op.id_params[0].name
    if last != f"{{{id_name}}}":
        return None
    listing = catalog.by_key("GET", head)
    if (
        listing is None
        or listing.id_params
        or listing.query_required
        or listing.permission not in granted | {None}
    ):
        return None
    if not isinstance(listing.response.sample, dict) or "records" not in listing.response.sample:
        return None
    capture = "{{" + _snake(id_name) + "}}"
    first = _step(listing, name="list", save={_snake(id_name): "$.records[0].id"})
    change = _step(op, name=f"change the first record ({op.summary or op.id})", capture=(id_name, capture))
    why = f"{scope}: only changes to existing records; reads a list and updates its first record"
    return ItemDraft(scope, why, change, (first,))


def _step(
    op: Operation,
    *,
    name: str | None = None,
    save: dict[str, str] | None = None,
    capture: tuple[str, str] | None = None,
    expect: int | None = None,
    todo: str | None = None,
) -> StepDraft:
    path = op.path
    for param in op.path_params:
        value = "~" if param.default == "~" else None
        if capture and param.name == capture[0]:
            value = capture[1]
        elif value is None and param.default not in (None, ""):
            value = str(param.default)
        if value is None:
            todo = todo or f"fill in {param.name}"
            value = "{{" + _snake(param.name) + "}}"
        path = path.replace("{" + param.name + "}", value)
    body, body_todo = body_for(op)
    todo = todo or body_todo
    return StepDraft(name or f"{op.method} {op.path}", op.method, path, body, save or {}, expect, todo)


def body_for(op: Operation) -> tuple[Any, str | None]:
    """The JSON body to send to ``op`` (None when it needs none) and the ``todo:`` it leaves,
    if any: a body the spec accepts, with harmless text, or a todo for values only a person has."""
    if op.body is None or not op.body.required:
        return None, None
    if op.body.skeleton is None:
        kinds = " or ".join(op.body.content_types)
        return None, f"this endpoint takes a {kinds} body, which rcgrad cannot send: choose another"
    body, needs = _fill_body(op.body.skeleton)
    needs += _empty_but_needed(op, body)
    if needs:
        return body, f"give real values for {', '.join(needs[:4])} (made-up ones are 4xx on a real account)"
    hits = rules.violations(op.id, Request(body=body, body_type="application/json"))
    if hits:
        # A value the spec takes and RingCentral refuses (an event filter of "rcgrad test").
        refused = hits[0]
        return body, f"give a real value for {refused.where.removeprefix('json.')}: {refused.message}"
    return body, None


def _fill_body(skeleton: Any, where: str = "") -> tuple[Any, list[str]]:
    """The skeleton with harmless text values; the leaves that need real-world values are listed."""
    needs: list[str] = []
    if isinstance(skeleton, dict):
        out = {}
        for key, value in skeleton.items():
            out[key], sub = _fill_body(value, f"{where}.{key}" if where else key)
            needs += sub
        return out, needs
    if isinstance(skeleton, list):
        filled = [_fill_body(v, f"{where}[{i}]") for i, v in enumerate(skeleton)]
        return [v for v, _ in filled], [n for _, sub in filled for n in sub]
    leaf = where.rsplit(".", 1)[-1].split("[")[0]
    if isinstance(skeleton, str) and REAL_WORLD.search(leaf):
        return skeleton, [where]
    if skeleton == "string":
        return "rcgrad test", []
    return skeleton, []


def _empty_but_needed(op: Operation, body: Any) -> list[str]:
    """Required objects the spec leaves empty whose fields are real-world values: RingOut's
    ``from`` needs a phone number or a forwarding number id, and which is a person's choice."""
    spec = request_schemas(op.id)
    schema = spec["body"]["schema"] if spec and spec["body"] else None
    if not isinstance(body, dict) or not isinstance(schema, dict):
        return []
    props = schema.get("properties") or {}
    needs = []
    for name, value in body.items():
        fields = list((props.get(name) or {}).get("properties", {}))
        if value == {} and any(REAL_WORLD.search(sub) for sub in fields):
            needs.append(f"{name} ({' or '.join(fields)})")
    return needs


def _item_param(collection: str, catalog: Catalog) -> str | None:
    for op in catalog.operations:
        head, _, last = op.path.rpartition("/")
        if head == collection and last.startswith("{") and op.method == "DELETE":
            return last[1:-1]
    return None


def _date_filters(op: Operation) -> dict[str, str] | None:
    """A wide date range for the required query parameters, when all of them are dates."""
    names = [q.name for q in op.query_required]
    if not names or not all(DATE_PARAM.search(n) for n in names):
        return None
    return {n: RANGE_START if n.endswith("From") or "start" in n.lower() else RANGE_END for n in names}


def _only_own_ids(op: Operation) -> bool:
    # A path parameter with an example default (a webinar id from the spec) is still a guess.
    return all(p.default == "~" for p in op.path_params)


def _json(op: Operation) -> bool:
    return not op.response.is_binary and "json" in (op.response.content_type or "application/json")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ------------------------------------------------------------------------------------------- text


def render(draft: Draft, *, name: str, server: str = "local") -> str:
    lines = [
        f"# Written by `rcgrad plan init` for: {', '.join(draft.scopes)}",
        "# Each item says why it was chosen. Steps marked todo: need a person; `rcgrad check` refuses",
        "# the plan until they are done.",
    ]
    lines += [f"# warning: {w}" for w in draft.warnings]
    lines += plan_top(name=name, scopes=draft.scopes, server=server, variables=draft.variables)
    for item in draft.items:
        lines.append(f"  # {item.why}")
        lines += _render_item(item)
    return "\n".join(lines) + "\n"


def plan_top(
    *, name: str, scopes: Iterable[str], server: str, variables: Iterable[Variable] = ()
) -> list[str]:
    """Everything of a generated plan above its endpoints; ``plan scan`` writes the same."""
    lines = [
        "app:",
        f"  name: {_scalar(name)}",
        "  description: >",
        "    TODO: describe the app and its use cases (the community criteria ask for it).",
        f"  scopes: [{', '.join(scopes)}]",
        "",
        f"server: {server}",
        "criteria: strict",
        "",
    ]
    written = list(variables)
    if written:
        lines.append("vars:")
        for variable in written:
            lines += [f"  # {line}" for line in variable.comment]
            lines.append(f"  {variable.name}: {_scalar(variable.value)}")
        lines.append("")
    return [*lines, "endpoints:"]


def _render_item(item: ItemDraft) -> list[str]:
    main = item.main
    if (
        not item.setup
        and not item.teardown
        and main.json is None
        and not main.save
        and main.todo is None
        and not main.query
    ):
        return [f"  - {main.method} {main.path}"]
    out = [f"  - name: {_scalar(f'{item.scope}: {main.name}')}"]
    if item.setup:
        out.append("    setup:")
        for step in item.setup:
            out += _render_step(step, "      - ", "        ")
    out += _render_step(main, "    ", "    ")
    if item.teardown:
        out.append("    teardown:")
        for step in item.teardown:
            out += _render_step(step, "      - ", "        ")
    return out


def _render_step(step: StepDraft, first: str, rest: str) -> list[str]:
    out = []
    if first != rest:  # a step in a list: it carries its own name
        out.append(f"{first}name: {_scalar(step.name)}")
        out.append(f"{rest}request: {step.method} {step.path}")
    else:
        out.append(f"{first}request: {step.method} {step.path}")
    if step.query:
        out.append(f"{rest}query: {json.dumps(step.query)}")
    if step.json is not None:
        out.append(f"{rest}json: {json.dumps(step.json)}")
    if step.save:
        out.append(f"{rest}save: {{{', '.join(f'{k}: {_scalar(v)}' for k, v in step.save.items())}}}")
    if step.expect is not None:
        out.append(f"{rest}expect: {step.expect}")
    if step.todo is not None:
        out.append(f"{rest}todo: {_scalar(step.todo)}")
    return out


def _scalar(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML scalar, quotes and all
