"""Build ``runner/sandbox/data/responses.json``: each operation's success body, built from its schema.

Run as ``python -m runner.sandbox.responses_build SPEC OUT`` (``make catalog``). For every operation
whose 2xx answer is JSON it keeps one value the response schema accepts: every property the schema
lists (down to ``DEPTH`` levels, the required ones below that), enums as the strings the spec
writes, formats honoured (``date-time``, ``uri``, ``email``, ``uuid``...), ``int64`` ids as integers,
bounds and lengths met, lists of one item. The spec's example is kept where the schema accepts it.
Every value is checked against its schema here, at build time, so the sandbox only reads a file.

Like ``runner.rc.catalog_build``, this module must never be imported at run time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from runner.rc.bodies import minimal_value
from runner.rc.requests_build import draft4
from runner.rc.spec import deref, load_spec, resolve

METHODS = ("get", "post", "put", "patch", "delete")
DEPTH = 7  # deep enough for `records[0].attachments[0].uri`; lists count as a level
RESPONSES_FORMAT = 1
# Placeholder text by field name, where the schema gives no example, enum or format: ids read as
# ids, numbers as numbers (a client parsing them meets what production sends).
_NAMED_TEXT = (
    (re.compile(r"(^id$|Id$|ID$|^ids?$)"), "400100200301"),
    (re.compile(r"(?i)ipaddress|^ip$"), "192.0.2.10"),
    (re.compile(r"(?i)extensionnumber"), "101"),
    (re.compile(r"(?i)(phonenumber|phone$|fax$|^number$)"), "+16505550100"),
    (re.compile(r"(?i)(^|_)(first)?name$"), "Example"),
    (re.compile(r"(?i)email"), "user@example.com"),
)
# Schemas no value can meet: one closed part of an ``allOf`` refuses a field another part requires
# (``paging.sortableFields``); their body meets every part but that one.
UNSATISFIABLE = frozenset({"getSessionInsights"})


def response_schema(op: dict[str, Any], doc: dict[str, Any]) -> tuple[int, Any] | None:
    """(status, Draft 4 schema) of the operation's first 2xx JSON answer, or None."""
    status = success_status(op)
    if status is None:
        return None
    answer = deref(op["responses"].get(str(status), op["responses"].get(status)), doc) or {}
    content = answer.get("content") or {}
    json_type = next((ct for ct in content if "json" in ct), None)
    if json_type is None or not content[json_type].get("schema"):
        return None
    schema = draft4(resolve(content[json_type]["schema"], doc))
    if schema.get("type") == "string" and schema.get("format") == "binary":
        return None
    return status, schema


def success_status(op: dict[str, Any]) -> int | None:
    """The operation's first documented 2xx status, if it documents one."""
    codes = sorted(str(c) for c in op.get("responses", {}) if str(c).startswith("2"))
    return int(codes[0]) if codes else None


def full_value(schema: Any, depth: int = DEPTH, name: str = "") -> Any:
    """A value ``schema`` accepts, with every listed property filled in while ``depth`` lasts."""
    if not isinstance(schema, dict):
        return None
    if depth <= 0:
        return minimal_value(schema)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return full_value(schema[key][0], depth, name)
    if schema.get("allOf"):
        # Each part filled on its own, their fields added up (the spec's parts overlap freely).
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        value = full_value(rest, depth, name) if rest else None
        for part in schema["allOf"]:
            extra = full_value(part, depth, name)
            if isinstance(value, dict) and isinstance(extra, dict):
                value = {**value, **extra}
            elif value is None or value == {}:
                value = extra
        return value
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        out = {}
        for field, sub in (schema.get("properties") or {}).items():
            value = full_value(sub, depth - 1, field)
            if value is not None or field in (schema.get("required") or ()):
                out[field] = value
        return out
    if kind == "array":
        count = max(int(schema.get("minItems") or 0), 1 if schema.get("maxItems", 1) else 0)
        items = [full_value(schema.get("items") or {}, depth - 1, name) for _ in range(count)]
        return [item for item in items if item is not None]
    if kind is None and not schema.get("enum"):
        return None  # an open schema ({}): nothing to say
    if kind == "string" and not (schema.get("enum") or schema.get("example") or schema.get("format")):
        text = _text_for(name)
        if text is not None and _accepts(schema, text):
            return text
    return minimal_value(schema)


def _text_for(name: str) -> str | None:
    """A string that reads like what a field of this name holds on the wire, if we know one."""
    for pattern, text in _NAMED_TEXT:
        if pattern.search(name):
            return text
    return None


def _accepts(schema: dict[str, Any], value: Any) -> bool:
    return Draft4Validator(schema, format_checker=FormatChecker()).is_valid(value)


def _without_extras(body: Any, validator: Draft4Validator) -> Any:
    """``body`` less the properties a closed part of an ``allOf`` refuses (another part added them)."""
    for error in validator.iter_errors(body):
        if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
            continue
        allowed = set(error.schema.get("properties") or {})
        for name in [n for n in error.instance if n not in allowed]:
            del error.instance[name]
    return body


def build(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """{operationId: {"status", "body", "headers", "fields", "max_records"}} and the ids whose built
    body the schema still refuses. An answer that is not JSON has no "body"; the others only when
    the schema has some: required headers, each bounded field's rules, a list's ``maxItems``."""
    bodies: dict[str, Any] = {}
    refused: list[str] = []
    formats = FormatChecker()
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            op_id = op.get("operationId", f"{method}{path}")
            found = response_schema(op, doc)
            if found is None:
                # Not JSON (a CSV export, a recording): no body to build, but maybe a required ETag.
                ok = success_status(op)
                headers = required_headers(op, ok, doc) if ok is not None else []
                if headers:
                    bodies[op_id] = {"status": ok, "headers": headers}
                continue
            status, schema = found
            body = _without_extras(full_value(schema), Draft4Validator(schema))
            if not Draft4Validator(schema, format_checker=formats).is_valid(body):
                refused.append(op_id)
            bodies[op_id] = {"status": status, "body": body}
            headers = required_headers(op, status, doc)
            if headers:
                bodies[op_id]["headers"] = headers
            rules = field_rules(schema)
            if rules:
                bodies[op_id]["fields"] = rules
            most = ((schema.get("properties") or {}).get("records") or {}).get("maxItems")
            if isinstance(most, int):
                bodies[op_id]["max_records"] = most
    return bodies, refused


# What a scalar field's schema says of its value: checked when a request writes into a stored answer.
RULES = ("enum", "minLength", "maxLength", "pattern", "format", "minimum", "maximum")


def field_rules(schema: Any, at: str = "", depth: int = DEPTH + 1) -> dict[str, dict[str, Any]]:
    """{"field.path": {rule: value}} for every scalar field whose schema bounds its value (an enum,
    a length, a pattern, a format, a range): ``records[].status`` names a field of each list item.
    A request may write into a stored answer only values these rules accept."""
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(schema, dict) or depth <= 0:
        return out

    def add(found: dict[str, dict[str, Any]]) -> None:
        for path, rules in found.items():
            # Two parts of an ``allOf`` may bound one field: a value must meet both.
            out[path] = {**out.get(path, {}), **rules}

    rules = {key: schema[key] for key in RULES if key in schema}
    if rules and schema.get("type") not in ("object", "array"):
        add({at: rules})
    for key in ("allOf", "anyOf", "oneOf"):
        parts = schema.get(key) or []
        # Every part of an allOf holds; of anyOf/oneOf, the first branch is the one the body follows.
        for part in parts if key == "allOf" else parts[:1]:
            add(field_rules(part, at, depth))
    for name, sub in (schema.get("properties") or {}).items():
        add(field_rules(sub, f"{at}.{name}" if at else name, depth - 1))
    if isinstance(schema.get("items"), dict):
        add(field_rules(schema["items"], f"{at}[]", depth - 1))
    return out


def required_headers(op: dict[str, Any], status: int, doc: dict[str, Any]) -> list[str]:
    """The response headers the spec marks required on the operation's success answer (``ETag``)."""
    answer = deref(op["responses"].get(str(status), op["responses"].get(status)), doc) or {}
    declared = answer.get("headers") or {}
    return sorted(name for name, header in declared.items() if (deref(header, doc) or {}).get("required"))


def render(bodies: dict[str, Any]) -> str:
    """One operation per line: stable, diffable, and still plain JSON."""
    lines = [
        json.dumps(op_id, ensure_ascii=False)
        + ":"
        + json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        for op_id, body in bodies.items()
    ]
    return f'{{"format":{RESPONSES_FORMAT},"operations":{{\n' + ",\n".join(lines) + "\n}}\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m runner.sandbox.responses_build SPEC.yml OUT.json", file=sys.stderr)
        return 2
    bodies, refused = build(load_spec(Path(args[0])))
    if set(refused) - UNSATISFIABLE:
        print(f"{len(refused)} built bodies fail their schema: {', '.join(refused[:10])}", file=sys.stderr)
        return 1
    text = render(bodies)
    Path(args[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(args[1]).write_text(text, encoding="utf-8")
    print(f"wrote {args[1]} ({len(bodies)} operations, {len(text.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
