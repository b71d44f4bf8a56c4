"""Build ``runner/rc/data/catalog.json`` from RingCentral's public OpenAPI spec.

Run as ``python -m runner.rc.catalog_build SPEC OUT`` (``make catalog``). The output keeps only
what the runner and the local sandbox need, one operation per line so that diffs stay readable.

This module must never be imported at run time by the runner or the sandbox: installs carry
the generated file, not the spec, and this is the only code that reads the spec.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from runner.rc.bodies import minimal_value
from runner.rc.requests_build import draft4
from runner.rc.spec import deref, generate, load_spec, resolve

METHODS = ("get", "post", "put", "patch", "delete")
RESPONSE_DEPTH = 6  # deep enough for `records[0].attachments[0].uri`; arrays count as a level
CATALOG_FORMAT = 1

# Values the sandbox and the plan author can use as-is; keyed by OpenAPI string format.
_FORMAT_SAMPLES = {
    "date-time": "2026-01-01T00:00:00.000Z",
    "date": "2026-01-01",
    "uri": "https://platform.ringcentral.com/restapi/v1.0",
    "email": "user@example.com",
    "binary": "",
    "byte": "",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


class _Spec:
    """Resolves ``$ref`` pointers inside one loaded spec document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any) -> Any:
        return deref(node, self.doc)


def _type_of(spec: _Spec, schema: Any) -> str:
    schema = spec.deref(schema) or {}
    if "allOf" in schema or "properties" in schema:
        return "object"
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _type_of(spec, schema[key][0])
    kind = schema.get("type", "object")
    if kind == "string" and schema.get("format") == "binary":
        return "binary"
    return str(kind)


def _merged_object(spec: _Spec, schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Properties and required names of an object schema, with ``allOf`` folded in."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for part in schema.get("allOf", []):
        sub_props, sub_req = _merged_object(spec, spec.deref(part) or {})
        props.update(sub_props)
        required.extend(sub_req)
    props.update(schema.get("properties") or {})
    required.extend(schema.get("required") or [])
    return props, list(dict.fromkeys(required))


def sample(spec: _Spec, schema: Any, depth: int, only_required: bool, stack: tuple[str, ...] = ()) -> Any:
    """A plausible JSON value for ``schema``, cut at ``depth`` and at reference cycles."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if ref is not None:
        if ref in stack:
            return None
        stack = (*stack, ref)
    schema = spec.deref(schema) or {}
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(spec, schema[key][0], depth, only_required, stack)
    kind = _type_of(spec, schema)
    if kind == "object":
        if depth <= 0:
            return {}
        props, required = _merged_object(spec, schema)
        names = required if only_required else list(props)
        out = {}
        for name in names:
            if name in props:
                value = sample(spec, props[name], depth - 1, only_required, stack)
                if value is not None:
                    out[name] = value
        return out
    if kind == "array":
        if depth <= 0:
            return []
        item = sample(spec, schema.get("items") or {}, depth - 1, only_required, stack)
        return [] if item is None else [item]
    return _scalar(schema, kind)


def _scalar(schema: dict[str, Any], kind: str) -> Any:
    if schema.get("enum"):
        return schema["enum"][0]
    example = schema.get("example", schema.get("default"))
    if example is not None and not isinstance(example, dict | list):
        return example
    if kind in ("integer", "number"):
        return schema.get("minimum", 1) if kind == "integer" else 1.0
    if kind == "boolean":
        return False
    return _FORMAT_SAMPLES.get(schema.get("format", ""), "string")


def _params(spec: _Spec, path_item: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    path_params: list[dict[str, Any]] = []
    query_required: list[dict[str, Any]] = []
    query_optional: list[str] = []
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *op.get("parameters", [])]:
        prm = spec.deref(raw)
        merged[(prm["in"], prm["name"])] = prm
    for (where, name), prm in merged.items():
        schema = spec.deref(prm.get("schema") or {})
        entry: dict[str, Any] = {"name": name, "type": _type_of(spec, schema)}
        if schema.get("enum"):
            entry["enum"] = schema["enum"][:20]
        default = schema.get("default", prm.get("example"))
        if default is not None and not isinstance(default, dict | list):
            entry["default"] = default
        if where == "path":
            path_params.append(entry)
        elif where == "query" and prm.get("required"):
            query_required.append(entry)
        elif where == "query":
            query_optional.append(name)
    return {"path_params": path_params, "query_required": query_required, "query_optional": query_optional}


def _body(spec: _Spec, op: dict[str, Any]) -> dict[str, Any] | None:
    raw = op.get("requestBody")
    if not raw:
        return None
    body = spec.deref(raw)
    content = body.get("content") or {}
    if not content:
        return None
    content_types = list(content)
    preferred = next((ct for ct in content_types if "json" in ct), content_types[0])
    schema = spec.deref(content[preferred].get("schema") or {})
    fields: list[dict[str, str]] = []
    if _type_of(spec, schema) == "object":
        props, required = _merged_object(spec, schema)
        fields = [{"name": n, "type": _type_of(spec, props.get(n, {}))} for n in required]
    return {
        "required": bool(body.get("required")),
        "content_types": content_types,
        "max_bytes": _size(op.get("x-request-max-body-size")),
        "fields": fields,
        # What `plan init` starts from: a body the validator accepts (tested over the catalog).
        "skeleton": minimal_value(draft4(resolve(schema, spec.doc))) if "json" in preferred else None,
    }


def _size(text: Any) -> int | None:
    """``x-request-max-body-size`` (``10m``, ``1k``, ``512``) in bytes; None where the spec gives none."""
    match = re.fullmatch(r"(\d+)([kmg]?)", str(text or "").strip().lower())
    if not match:
        return None
    return int(match.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2)]


def _response(spec: _Spec, op: dict[str, Any]) -> dict[str, Any]:
    codes = sorted(c for c in op.get("responses", {}) if str(c).startswith("2"))
    if not codes:
        return {"status": 200, "content_type": None, "sample": None}
    status = str(codes[0])
    resp = spec.deref(op["responses"][codes[0]])
    content = resp.get("content") or {}
    if not content:
        return {"status": int(status), "content_type": None, "sample": None}
    content_type = next((ct for ct in content if "json" in ct), next(iter(content)))
    schema = content[content_type].get("schema") or {}
    if "json" not in content_type or _type_of(spec, schema) == "binary":
        return {"status": int(status), "content_type": content_type, "sample": None}
    return {
        "status": int(status),
        "content_type": content_type,
        "sample": sample(spec, schema, RESPONSE_DEPTH, only_required=False),
    }


def build(doc: dict[str, Any]) -> dict[str, Any]:
    spec = _Spec(doc)
    operations = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            summary = (op.get("summary") or "").strip().splitlines()
            operations.append(
                {
                    "id": op.get("operationId", f"{method}{path}"),
                    "method": method.upper(),
                    "path": path,
                    "permission": op.get("x-app-permission"),
                    "group": op.get("x-throttling-group", "Medium"),
                    "user_permission": op.get("x-user-permission"),
                    "tag": (op.get("tags") or [""])[0],
                    "summary": summary[0] if summary else "",
                    "media": bool(op.get("x-media-api")),
                    **_params(spec, item, op),
                    "body": _body(spec, op),
                    "response": _response(spec, op),
                }
            )
    return {"format": CATALOG_FORMAT, "source": "rc-public-openapi.yml", "operations": operations}


def _json_default(value: Any) -> str:
    # YAML turns unquoted examples such as 2026-01-01 into date objects.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def render(catalog: dict[str, Any]) -> str:
    """One operation per line: stable, diffable, and still plain JSON."""
    lines = [
        json.dumps(op, separators=(",", ":"), ensure_ascii=False, default=_json_default)
        for op in catalog["operations"]
    ]
    head = json.dumps({k: v for k, v in catalog.items() if k != "operations"}, separators=(",", ":"))
    return head[:-1] + ',"operations":[\n' + ",\n".join(lines) + "\n]}\n"


def build_from_file(spec_path: Path) -> str:
    return render(build(load_spec(spec_path)))


def main(argv: list[str] | None = None) -> int:
    return generate(argv, "runner.rc.catalog_build", build_from_file)


if __name__ == "__main__":
    raise SystemExit(main())
