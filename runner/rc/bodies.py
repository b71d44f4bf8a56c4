"""The smallest useful value a JSON schema accepts: required fields only, lists of one item.

Works on the Draft 4 schemas of ``requests.json`` (``$ref``s inlined, scalar examples kept). It
prefers the spec's own example, then the first enum value, then a value built to meet the type,
format, bounds and length. The catalog's body skeletons, ``plan init`` and ``plan scan`` build
from it, and a test holds it to the validator over the whole catalog. Pure: never does I/O.
"""

from __future__ import annotations

from typing import Any

# Values a plan author can send as-is; keyed by OpenAPI string format.
FORMAT_SAMPLES = {
    "date-time": "2026-01-01T00:00:00.000Z",
    "date": "2026-01-01",
    "time": "09:00:00",
    "uri": "https://platform.ringcentral.com/restapi/v1.0",
    "email": "user@example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "192.0.2.1",
}
TEXT = "rcgrad test"


def minimal_value(schema: Any, depth: int = 8) -> Any:
    """A value ``schema`` accepts, with only the required fields of each object filled in."""
    if not isinstance(schema, dict) or depth < 0:
        return None
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return minimal_value(schema[key][0], depth)
    if schema.get("allOf"):
        return _all_of(schema, depth)
    kind = _kind(schema)
    if kind == "object":
        props = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for name in schema.get("required") or ():
            value = minimal_value(props.get(name, {}), depth - 1)
            out[name] = TEXT if value is None else value
        return out
    if kind == "array":
        # One item, not none: a list the server would find empty is rarely what a call needs,
        # and the item shows a person what to fill in.
        count = max(int(schema.get("minItems") or 0), 1 if schema.get("maxItems", 1) else 0)
        return [minimal_value(schema.get("items") or {}, depth - 1) for _ in range(count)]
    return _scalar(schema, kind)


def _all_of(schema: dict[str, Any], depth: int) -> Any:
    """Fold the plain parts into one schema (properties and required names add up); a part that
    is itself a combination (``anyOf``, a nested ``allOf``) is filled on its own, its fields added."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    combined: list[dict[str, Any]] = []
    for part in schema["allOf"]:
        if part.get("allOf") or part.get("anyOf") or part.get("oneOf"):
            combined.append(part)
            continue
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged[key] = value
    value = minimal_value(merged, depth) if merged or not combined else None
    for part in combined:
        extra = minimal_value(part, depth)
        if value is None or (isinstance(value, dict) and not value and not isinstance(extra, dict)):
            value = extra
        elif isinstance(value, dict) and isinstance(extra, dict):
            value = {**extra, **value}
    return value


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        return "object" if "properties" in schema or "required" in schema else "string"
    return str(kind)


def _scalar(schema: dict[str, Any], kind: str) -> Any:
    if schema.get("enum"):
        return schema["enum"][0]
    example = schema.get("example")
    if example is not None and _fits(example, kind):
        return example
    if kind == "integer":
        return int(schema.get("minimum", 1)) + (1 if schema.get("exclusiveMinimum") else 0)
    if kind == "number":
        return float(schema.get("minimum", 1)) + (1 if schema.get("exclusiveMinimum") else 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = FORMAT_SAMPLES.get(schema.get("format", ""), TEXT)
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


def _fits(example: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(example, int) and not isinstance(example, bool)
    if kind == "number":
        return isinstance(example, int | float) and not isinstance(example, bool)
    if kind == "boolean":
        return isinstance(example, bool)
    return isinstance(example, str)
