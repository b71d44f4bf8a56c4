"""Build ``runner/rc/data/requests.json``: what RingCentral accepts as each operation's request.

Run as ``python -m runner.rc.requests_build SPEC OUT`` (``make catalog``). Per operation id it keeps
the path, query and header parameters and the request body: content types, whether it is required,
and the JSON body's schema with every ``$ref`` inlined, turned from OpenAPI 3.0 into the JSON
Schema Draft 4 that ``runner.rc.validate`` checks with (``nullable`` becomes a ``null`` type,
``readOnly`` fields are never required in a request), and stripped of prose but for scalar
examples. One operation per
line, so diffs stay readable.

Like ``catalog_build``, this module must never be imported at run time: it is the spec's reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from runner.rc.spec import deref, generate, load_spec, resolve

METHODS = ("get", "post", "put", "patch", "delete")
REQUESTS_FORMAT = 1
# The keywords that constrain a value; the rest (description, example, xml, x-...) is prose.
_CONSTRAINTS = frozenset(
    {
        "type",
        "enum",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "readOnly",
    }
)


def draft4(schema: Any) -> Any:
    """An OpenAPI 3.0 schema (``$ref``s already inlined) as the JSON Schema Draft 4 it means."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {k: v for k, v in schema.items() if k in _CONSTRAINTS}
    example = schema.get("example")
    if example is not None and not isinstance(example, dict | list):
        out["example"] = example  # for ``runner.rc.bodies``; validators ignore it
    if "pattern" in out and not _compiles(out["pattern"]):
        del out["pattern"]  # an ECMA-only pattern: better unchecked than wrongly refused
    if "properties" in schema:
        props = {name: draft4(sub) for name, sub in (schema["properties"] or {}).items()}
        out["properties"] = props
        read_only = {name for name, sub in props.items() if sub.get("readOnly")}
        required = [name for name in schema.get("required") or [] if name not in read_only]
        if required:
            out["required"] = required
    elif schema.get("required"):
        out["required"] = list(schema["required"])
    if "items" in schema:
        out["items"] = draft4(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = draft4(schema["additionalProperties"])
    elif schema.get("additionalProperties") is False:
        out["additionalProperties"] = False
    for key in ("allOf", "anyOf", "oneOf"):
        if schema.get(key):
            # The spec's oneOf branches overlap (an object matching two is normal there), so a
            # value only has to match one of them: anyOf.
            out["allOf" if key == "allOf" else "anyOf"] = [draft4(sub) for sub in schema[key]]
    if isinstance(schema.get("not"), dict):
        out["not"] = draft4(schema["not"])
    if schema.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _compiles(pattern: Any) -> bool:
    try:
        re.compile(str(pattern))
    except re.error:
        return False
    return True


def _parameters(doc: dict[str, Any], path_item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *op.get("parameters", [])]:
        prm = deref(raw, doc)
        merged[(prm["in"], prm["name"])] = prm
    out = []
    for (where, name), prm in merged.items():
        if where not in ("path", "query", "header"):
            continue
        entry = {
            "name": name,
            "in": where,
            "required": bool(prm.get("required")) or where == "path",
            "schema": draft4(resolve(prm.get("schema") or {}, doc)),
        }
        if where == "query" and prm.get("explode") is False:
            entry["joined"] = True  # a list is one value, `a,b`; so `x=` is the empty list
        out.append(entry)
    return out


def _body(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    raw = op.get("requestBody")
    if not raw:
        return None
    body = deref(raw, doc)
    content = body.get("content") or {}
    schemas = {
        ct: draft4(resolve(entry.get("schema") or {}, doc))
        for ct, entry in content.items()
        if ct.endswith("json")
    }
    json_type = next(iter(schemas), None)
    schema = schemas[json_type] if json_type is not None else None
    out = {"required": bool(body.get("required")), "content_types": list(content), "schema": schema}
    # Another JSON type may carry another shape (message-store's batch update is a list), and a
    # multipart type its form's fields (a fax's attachment, which its JSON resend has not).
    forms = {
        ct: draft4(resolve(entry.get("schema") or {}, doc))
        for ct, entry in content.items()
        if ct.startswith("multipart/")
    }
    others = {ct: other for ct, other in {**schemas, **forms}.items() if ct != json_type and other != schema}
    if others:
        out["schema_by_type"] = others
    return out


def build(doc: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            operations[op.get("operationId", f"{method}{path}")] = {
                "params": _parameters(doc, item, op),
                "body": _body(doc, op),
            }
    return {"format": REQUESTS_FORMAT, "source": "rc-public-openapi.yml", "operations": operations}


def render(requests: dict[str, Any]) -> str:
    """One operation per line: stable, diffable, and still plain JSON."""
    lines = [
        f"{json.dumps(op_id)}:{json.dumps(entry, separators=(',', ':'), ensure_ascii=False)}"
        for op_id, entry in requests["operations"].items()
    ]
    head = json.dumps({k: v for k, v in requests.items() if k != "operations"}, separators=(",", ":"))
    return head[:-1] + ',"operations":{\n' + ",\n".join(lines) + "\n}}\n"


def build_from_file(spec_path: Path) -> str:
    return render(build(load_spec(spec_path)))


def main(argv: list[str] | None = None) -> int:
    return generate(argv, "runner.rc.requests_build", build_from_file)


if __name__ == "__main__":
    raise SystemExit(main())
