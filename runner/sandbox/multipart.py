"""Multipart bodies read the way RingCentral reads them: the request object, and its files.

A body comes in one of the forms the rules layer describes (``runner.rc.rules.multipart``): a JSON
root part (named ``json`` or ``request.json``, or the first ``application/json`` part) holding the
whole request, or one part per field as the spec writes it (``to`` repeated, each a plain number),
or both; every other part is a file, whatever its name (``attachment``, ``attachments``, ``image``,
``binary``, the file's own name). Parts are read with the standard library's MIME parser, which
takes a quoted boundary, unquoted names and RFC 2231 ``filename*=``. ``read`` returns the request
object typed by the operation's form schema, and the files as the validator sees them.

Pure: this module must never do I/O, and never keep or echo a body's bytes beyond the few that tell
a file's kind.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from dataclasses import dataclass
from email.message import Message
from typing import Any

from runner.rc.requests import request_schemas
from runner.rc.rules.base import Attachment, media_type
from runner.rc.rules.multipart import ROOT_NAMES

HEAD_BYTES = 16  # kept of each file: enough for its magic number


class Malformed(ValueError):
    """A body that is no multipart at all (no boundary, no parts), or a JSON part that is no JSON."""


@dataclass(frozen=True, slots=True)
class Part:
    name: str | None
    filename: str | None
    content_type: str | None  # as the part wrote it; None when absent or "undefined"
    data: bytes


@dataclass(frozen=True, slots=True)
class Form:
    """A multipart request as the validator sees it: the request object and the files."""

    body: dict[str, Any]
    files: tuple[Attachment, ...]
    file_parts: tuple[Part, ...]  # the same files with their bytes, for the sandbox to keep


def parts(raw: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart body; ``Malformed`` when it has no readable boundary or no part."""
    if "boundary=" not in content_type.lower():
        raise Malformed("no boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + raw)
    boundary = message.get_boundary()
    if boundary and raw.strip() == f"--{boundary}--".encode("latin-1", "replace"):
        return []  # a body with no part at all: a form with nothing in it
    if not message.is_multipart():
        raise Malformed("not multipart")
    payload = message.get_payload()
    if not isinstance(payload, list) or not payload or message.defects:
        raise Malformed("no parts")
    return [_part(item) for item in payload if isinstance(item, Message)]


def _part(message: Message) -> Part:
    disposition = message.get("Content-Disposition")
    name = message.get_param("name", header="content-disposition") if disposition else None
    filename = message.get_filename()
    given = message.get("Content-Type")
    content_type = given.strip() if given and given.strip().lower() not in ("undefined", "") else None
    data = message.get_payload(decode=True)
    return Part(
        name=_text(name),
        filename=filename or None,
        content_type=content_type,
        data=data if isinstance(data, bytes) else b"",
    )


def _text(value: Any) -> str | None:
    if isinstance(value, tuple):  # an RFC 2231 value: (charset, language, text)
        value = value[2]
    return str(value) if value is not None else None


def read(raw: bytes, content_type: str, operation_id: str) -> Form:
    """The request object and files of a multipart body sent to ``operation_id``."""
    found = parts(raw, content_type)
    schema = _form_schema(operation_id, media_type(content_type))
    props: dict[str, Any] = schema.get("properties") or {}
    body: dict[str, Any] = {}
    files: list[Part] = []
    fields: dict[str, list[str]] = {}
    for index, part in enumerate(found):
        if _is_root(part, index, props):
            root = _json(part.data)
            if isinstance(root, dict):
                body.update(root)
            elif root is not None:
                raise Malformed("the JSON part is no object")
        elif part.name in props and not _binary(props[part.name]) and part.filename is None:
            if _is_json(part.content_type):
                body[part.name] = _json(part.data)
            else:
                fields.setdefault(part.name, []).append(part.data.decode("utf-8", "replace"))
        else:
            files.append(part)
    for name, values in fields.items():
        body.setdefault(name, _typed(values, props[name]))
    attachments = tuple(
        Attachment(p.name, p.filename, p.content_type, len(p.data), p.data[:HEAD_BYTES]) for p in files
    )
    return Form(body, attachments, tuple(files))


def _form_schema(operation_id: str, sent: str) -> dict[str, Any]:
    spec = request_schemas(operation_id)
    body = (spec or {}).get("body") or {}
    by_type = body.get("schema_by_type") or {}
    for candidate in (sent, "multipart/form-data", "multipart/mixed"):
        if isinstance(by_type.get(candidate), dict):
            return dict(by_type[candidate])
    schema = body.get("schema")
    return dict(schema) if isinstance(schema, dict) else {}


def _is_root(part: Part, index: int, props: dict[str, Any]) -> bool:
    """The part holding the whole request: named so by an SDK, or the first JSON part that is no
    field of the form (multipart/mixed's root has no name at all)."""
    if part.name in ROOT_NAMES:
        return True
    if part.name in props:
        return False
    return index == 0 and _is_json(part.content_type) and part.filename in (None, "request.json")


def _is_json(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind == "application/json" or kind.endswith("+json")


def _binary(prop: Any) -> bool:
    if not isinstance(prop, dict):
        return False
    return prop.get("format") == "binary" or (prop.get("items") or {}).get("format") == "binary"


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8")) if data.strip() else None
    except (ValueError, RecursionError):
        raise Malformed("a JSON part that is no JSON") from None


def _typed(values: list[str], schema: dict[str, Any]) -> Any:
    """Form field values as the schema types them: ``to`` repeated as plain numbers becomes
    ``[{"phoneNumber": ...}]``, ``from`` as a plain number ``{"phoneNumber": ...}``, numbers numbers."""
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        return [_one(value, items) for value in values]
    return _one(values[0], schema)


def _one(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if value.lstrip().startswith("{"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        if "phoneNumber" in (schema.get("properties") or {}):
            return {"phoneNumber": value}
        return value
    if kind == "integer" and value.strip().lstrip("-").isdigit():
        return int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value
