"""The plan a scan found, written out: one item per operation with every place that calls it, a todo
where a person must decide, the event filters as a webhook subscription's create, renew and delete.

Pure text from ``scan``'s findings: it must never read source itself, and never capture an id for a
write (changing whichever record comes first is damage, not a test).
"""

from __future__ import annotations

import json
import re

from runner.plan.init import WEBHOOK_VARIABLE, body_for, plan_top
from runner.plan.loader import WEBHOOK_ADDRESS
from runner.plan.scan import MAX_CANDIDATES, OWN_FILTER, SUBSCRIPTION, Found
from runner.rc.catalog import load_catalog
from runner.rc.scopes import SUBSCRIPTION_WEBHOOK

_LAST_ID = re.compile(r"^(?P<listing>[^{]*)/\{\{(?P<name>id\d+)\}\}$")


def _list_capture(hit: Found) -> tuple[str, str] | None:
    """For a read of one record whose id the code builds: the list call to capture it from (as
    ``plan init`` does), when the catalog has one. Never for a write: changing or deleting whichever
    record comes first is not a test, it is damage."""
    found = _LAST_ID.match(hit.path)
    if hit.method != "GET" or found is None:
        return None
    parent = hit.operation.path.rsplit("/", 1)[0]
    listing = load_catalog().by_key("GET", parent)
    return (found.group("listing"), found.group("name")) if listing is not None else None


def scopes_needed(found: list[Found]) -> list[str]:
    """The permissions the found calls need, sorted."""
    return sorted({f.operation.permission for f in found if f.operation.permission})


def plan_scopes(found: list[Found], event_filters: list[tuple[str, int, str]] | None) -> list[str]:
    """The scopes of the written plan: the calls', and SubscriptionWebhook when event filters make a
    webhook subscription (its create is a call under it, rule sub.webhook-scope)."""
    needed = scopes_needed(found)
    return sorted({*needed, SUBSCRIPTION_WEBHOOK}) if event_filters else needed


def render(
    found: list[Found],
    *,
    name: str,
    server: str = "local",
    event_filters: list[tuple[str, int, str]] | None = None,
) -> str:
    scopes = plan_scopes(found, event_filters)
    lines = [
        "# Written by `rcgrad plan scan`: the RingCentral calls found in the source, where each came from.",
        "# Ids the code builds at run time are {{placeholders}}: capture them in a setup step or put them in",
        "# vars:, then remove the todo: line. `rcgrad check` refuses the plan until then.",
        *plan_top(
            name=name, scopes=scopes, server=server, variables=(WEBHOOK_VARIABLE,) if event_filters else ()
        ),
    ]
    if event_filters:  # the code's own subscription create is the subscription item below
        found = [hit for hit in found if not (hit.method == "POST" and hit.operation.path == SUBSCRIPTION)]
    places: dict[tuple[str, ...], list[Found]] = {}
    for hit in found:  # one item per operation, with every place that calls it; one per unsure call
        key = (hit.file, str(hit.line)) if hit.unsure else (hit.method, hit.operation.path)
        places.setdefault(key, []).append(hit)
    for hits in places.values():
        hit = hits[0]
        where = ", ".join(f"{h.file}:{h.line}" for h in hits)
        body, body_todo = body_for(hit.operation)  # a body the spec accepts, or a todo
        todos = []
        if hit.unsure:
            options = [f"{hit.method} {hit.path}", *hit.alternatives]
            named = ", ".join(options[:MAX_CANDIDATES])
            more = f" and {len(options) - MAX_CANDIDATES} more" if len(options) > MAX_CANDIDATES else ""
            todos.append(
                f"{where}: {hit.unsure}; it is one of {named}{more}: keep the one the app calls"
                if len(options) > 1
                else f"{where}: {hit.unsure}"
            )
        capture = None if hit.unsure else _list_capture(hit)
        if "{{" in hit.path and capture is None:
            todos.append("fill in the ids: capture them in a setup step or set them in vars:")
        if hit.candidates:
            todos.append(
                f"the code chooses the method at run time ({' or '.join(hit.candidates)}): keep the one to test"
            )
        if body_todo:
            todos.append(body_todo)
        if capture is not None:
            listing, name = capture
            lines += [
                f'  - name: "{hit.method} {hit.path}"    # {where}',
                "    setup:",
                f"      - request: GET {listing}    # the newest record: an id that exists",
                f"        save: {{{name}: '$.records[0].id'}}",
                f"    request: {hit.method} {hit.path}",
            ]
            lines += [f"    todo: {json.dumps('; '.join(todos))}"] if todos else []
        elif todos or body is not None:
            lines += [
                f'  - name: "{hit.method} {hit.path}"    # {where}',
                f"    request: {hit.method} {hit.path}",
            ]
            lines += [f"    json: {json.dumps(body)}"] if body is not None else []
            lines += [f"    todo: {json.dumps('; '.join(todos))}"] if todos else []
        else:
            lines.append(f"  - {hit.method} {hit.path}    # {where}")
    if event_filters:
        where = ", ".join(f"{f}:{n}" for f, n, _ in event_filters)
        filters = sorted({OWN_FILTER.sub(r"/\1/~", p) for _, _, p in event_filters})
        mode = {"transportType": "WebHook", "address": "{{" + WEBHOOK_ADDRESS + "}}"}
        lines += [
            f"  # Event filters ({where}) are a subscription, not calls: create, renew, delete it. A webhook",
            "  # needs the SubscriptionWebhook scope (a WebSocket the WebSocket one), which the console grants;",
            f"  # its address is vars.{WEBHOOK_ADDRESS}, which a rehearsal answers itself.",
            '  - name: "subscription"',
            "    setup:",
            f"      - request: POST {SUBSCRIPTION}",
            f"        json: {json.dumps({'eventFilters': filters, 'deliveryMode': mode})}",
            "        save: {subscription_id: $.id}",
            f"    request: POST {SUBSCRIPTION}/{{{{subscription_id}}}}/renew",
            "    teardown:",
            f"      - request: DELETE {SUBSCRIPTION}/{{{{subscription_id}}}}",
            "        expect: 204",
        ]
    return "\n".join(lines) + "\n"
