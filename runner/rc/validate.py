"""Is a request what RingCentral's spec accepts? The one validator ``check`` and the sandbox share.

It checks a request's path, query and header parameters and its body against the operation's
schemas in the generated ``runner/rc/data/requests.json`` (loaded on first use, so the catalog
stays fast to load), with ``jsonschema``'s Draft 4 validator, then against the rules RingCentral
enforces beyond its spec (``runner.rc.rules``): its content type (415 for one the operation does
not take), and each rule a request alone decides. A multipart body comes already read (its fields
as an object, its files as ``files``). A value that is not known yet (a
``{{capture}}`` filled in at run time) is ``UNKNOWN``: only its presence is checked; text with a
capture inside (``UnknownText``) is checked to be text, never against enums or patterns. Pure and
offline: this module must never do I/O beyond reading that file, and never echo a value it was
given (a header or body may hold a secret).
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from runner.rc import rules
from runner.rc.catalog import Operation
from runner.rc.requests import request_schemas
from runner.rc.rules.base import Attachment, Rule, is_multipart, media_type
from runner.rc.rules.multipart import UNSUPPORTED
from runner.rc.unknown import UNKNOWN, Unknown, UnknownText

REQUIRED = "required by the spec"
# Content types rcgrad can send and the sandbox reads as JSON.
JSON_TYPES = re.compile(r"^application/([\w.+-]*\+)?json$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One way a request breaks the spec. ``where`` is ``json.to.phoneNumber``, ``query.perPage``..."""

    where: str
    message: str
    rule: Rule | None = None  # a rule RingCentral enforces beyond the spec (None: the spec's own)
    named: str | None = None  # the parameter a rule's answer names (to.phoneNumber), when not the last key

    @property
    def missing(self) -> bool:
        return self.message.endswith(REQUIRED)

    @property
    def status(self) -> int:
        """What RingCentral answers: the rule's status, else 400 for what its spec refuses."""
        return self.rule.status if self.rule is not None and self.rule.status else 400

    @property
    def parameter(self) -> str:
        """The name RingCentral puts in ``parameterName``: the rule's, else the last key of ``where``."""
        if self.named:
            return self.named
        return re.sub(r"(\[\d+\])+$", "", self.where).rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Request:
    """A request as the validator sees it. ``query`` values may be lists (a repeated parameter);
    ``body_type`` is the content type of the body, None when there is none."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    body_type: str | None = None
    files: tuple[Attachment, ...] = ()  # a multipart body's file parts


# ----------------------------------------------------------------------------------- the spec's side


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("date")(_is_date)
    checker.checks("email")(lambda value: not isinstance(value, str) or "@" in value)
    checker.checks("uuid", raises=ValueError)(
        lambda value: not isinstance(value, str) or bool(uuid.UUID(value))
    )
    checker.checks("ipv4", raises=ValueError)(
        lambda value: not isinstance(value, str) or bool(ipaddress.IPv4Address(value))
    )
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
    checker.checks("int32")(lambda value: _in_range(value, 31))
    checker.checks("int64")(lambda value: _in_range(value, 63))
    return checker


# An absolute URI (RFC 3986): a scheme, then no space or control character. "" is no URI.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]*$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def _is_date_time(value: Any) -> bool:
    # Lenient on purpose: RingCentral takes a bare date or a time without a zone where a date-time
    # is asked for; what it refuses is text that is no date at all.
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if match is None or not _is_date(match.group(1)):
        return False
    hour, minute, second = (int(match.group(i) or 0) for i in (3, 4, 6))
    return hour < 24 and minute < 60 and second < 61  # 60: a leap second, which RFC 3339 allows


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _in_range(value: Any, bits: int) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    return -(2**bits) <= value < 2**bits


_FORMATS = _format_checker()
_VALIDATORS: dict[int, Any] = {}  # by id() of a schema held for good by _requests()


def _validator(schema: dict[str, Any]) -> Any:
    found = _VALIDATORS.get(id(schema))
    if found is None:
        found = _VALIDATORS[id(schema)] = Draft4Validator(schema, format_checker=_FORMATS)
    return found


# ------------------------------------------------------------------------------------- validation


def validate(op: Operation, request: Request) -> list[Problem]:
    """Every way ``request`` breaks the spec of ``op``; empty when it is what the spec accepts."""
    spec = request_schemas(op.id)
    if spec is None:
        return []
    problems: list[Problem] = []
    declared = {(p["in"], p["name"]) for p in spec["params"]}
    for name in request.query:
        if ("query", name) not in declared:
            known = [n for where, n in declared if where == "query"]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(f"query.{name}", f"not a query parameter of this endpoint in the spec{hint}")
            )
    headers = {k.lower(): v for k, v in request.headers.items()}
    for param in spec["params"]:
        where, name, schema = param["in"], param["name"], param["schema"]
        given: Mapping[str, Any] = {"path": request.path, "query": request.query}.get(where, headers)
        value = given.get(name.lower() if where == "header" else name)
        if value is None:
            if param["required"] and where != "path":
                problems.append(Problem(f"{where}.{name}", REQUIRED))
            continue
        if value == "" and param.get("joined") and "array" in _kinds(schema):
            value = []  # `status=` for a list written joined (`explode: false`) is the empty list
        problems += _check(_typed(value, schema), schema, f"{where}.{name}")
    body_problems = _check_body(spec["body"], request)
    relaxed = rules.relaxed(op.id, request)
    problems += [p for p in body_problems if not (p.missing and p.parameter in relaxed)]
    if any(p.rule is UNSUPPORTED for p in problems):
        return problems  # a body of a type the operation does not take is not read any further
    problems += [
        Problem(hit.where, hit.message, hit.rule, hit.parameter) for hit in rules.violations(op.id, request)
    ]
    return problems


def _check_body(body: dict[str, Any] | None, request: Request) -> list[Problem]:
    if body is None:
        return []
    listed = body["content_types"]
    json_types = [ct for ct in listed if JSON_TYPES.match(ct)]
    if request.body_type is None:
        if not body["required"]:
            return []
        if not json_types:
            kinds = " or ".join(listed)
            return [Problem("json", f"the spec requires a {kinds} body, which rcgrad cannot send")]
        return [Problem("json", f"a JSON body is {REQUIRED}")]
    sent = media_type(request.body_type)
    if not _takes(listed, sent):
        kinds = " or ".join(listed)
        what = "JSON" if JSON_TYPES.match(sent) else sent or "a body of no type"
        return [
            Problem("json", UNSUPPORTED.cite(f"the spec takes a {kinds} body here, not {what}"), UNSUPPORTED)
        ]
    by_type = body.get("schema_by_type") or {}
    if is_multipart(sent):
        form = by_type.get(sent) or by_type.get(_other_multipart(sent)) or body["schema"]
        if not isinstance(form, dict) or "properties" not in form:
            return []  # a bulk update's parts (one body per id) are not one object
        return _check(_with_files(request.body, form, request.files), form, "json")
    schema = by_type.get(sent, body["schema"])
    if schema is None:
        return []
    return _check(request.body, schema, "json")


def _takes(listed: list[str], sent: str) -> bool:
    """Whether an operation that lists ``listed`` takes a body of type ``sent``: any JSON type where
    JSON is listed, and either multipart where one is (RingCentral reads both alike, rule
    ``mp.mixed-alias``)."""
    if sent in listed:
        return True
    if JSON_TYPES.match(sent):
        return any(JSON_TYPES.match(ct) for ct in listed)
    return is_multipart(sent) and _other_multipart(sent) in listed


def _other_multipart(sent: str) -> str:
    return "multipart/mixed" if sent == "multipart/form-data" else "multipart/form-data"


def _with_files(body: Any, form: dict[str, Any], files: tuple[Attachment, ...]) -> Any:
    """The form's fields with its files put where the schema has its binary fields, whatever the
    parts were named (rule ``mp.any-file-name``): one file for a single one, all for a list."""
    fields = dict(body) if isinstance(body, dict) else {}
    if not files:
        return fields
    for name, prop in (form.get("properties") or {}).items():
        if name in fields or not isinstance(prop, dict):
            continue
        if prop.get("format") == "binary":
            fields[name] = files[0].filename or "file"
        elif prop.get("type") == "array" and (prop.get("items") or {}).get("format") == "binary":
            fields[name] = [f.filename or "file" for f in files]
    return fields


def _check(instance: Any, schema: dict[str, Any], where: str) -> list[Problem]:
    validator = _validator(schema)
    problems = [_problem(error, where) for error in _errors(validator.iter_errors(instance))]
    return sorted(set(problems), key=lambda p: (p.where, p.message))


def _errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            if _holds_unknown(error.instance):
                continue
            # The branch of the right type says what is wrong (5000 > 1000), not "not text".
            wrong_type = {e.schema_path[0] for e in error.context if e.validator == "type" and not e.path}
            error = best_match(
                [e for e in error.context if e.schema_path[0] not in wrong_type] or error.context
            )
        if isinstance(error.instance, Unknown):
            continue
        if isinstance(error.instance, UnknownText) and error.validator != "type":
            continue
        yield error


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Unknown | UnknownText):
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def _problem(error: ValidationError, where: str) -> Problem:
    path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    kind, rule = error.validator, cast(Any, error.validator_value)
    if kind == "required":
        missing = re.match(r"^'(.*)' is a required property$", error.message)
        name = missing.group(1) if missing else "?"
        return Problem(f"{path}.{name}", REQUIRED)
    if kind == "type":
        wanted = " or ".join(rule) if isinstance(rule, list) else str(rule)
        return Problem(path, f"the spec wants {_a(wanted)}, not {_json_type(error.instance)}")
    if kind == "enum":
        values = ", ".join(str(v) for v in rule[:8]) + (", ..." if len(rule) > 8 else "")
        return Problem(path, f"not one of the spec's values ({values})")
    if kind == "format":
        return Problem(path, f"not a valid {rule} (the spec's format)")
    if kind == "additionalProperties":
        return Problem(path, "has a field the spec does not allow here")
    if kind in _BOUNDS:
        return Problem(path, f"{_BOUNDS[kind]} {rule} (the spec's {kind})")
    if kind == "pattern":
        return Problem(path, "does not match the spec's pattern")
    return Problem(path, f"breaks the spec's {kind}: {rule}")


_BOUNDS = {
    "minimum": "below the least value,",
    "maximum": "above the greatest value,",
    "minLength": "shorter than",
    "maxLength": "longer than",
    "minItems": "fewer items than",
    "maxItems": "more items than",
}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _typed(value: Any, schema: dict[str, Any]) -> Any:
    """A parameter value as the type its schema names: query strings carry ``10``, ``true``..."""
    if isinstance(value, Unknown):
        return value
    kinds = _kinds(schema)
    if "array" in kinds:
        # A repeated query parameter comes as a list; a path segment holds ids joined by commas.
        values = value if isinstance(value, list) else value.split(",") if _plain(value) else [value]
        return [_typed(v, schema.get("items") or {}) for v in values]
    if isinstance(value, list):
        return value if len(value) != 1 else _typed(value[0], schema)
    if isinstance(value, UnknownText):
        return value if not kinds or "string" in kinds else UNKNOWN
    if not isinstance(value, str):
        if kinds == {"string"} and isinstance(value, bool):
            return "true" if value else "false"  # as httpx puts it in a query string
        return str(value) if kinds == {"string"} and isinstance(value, int | float) else value
    # Past Python's 4300-digit conversion limit a number stays text, refused as "not an integer".
    if "integer" in kinds and re.fullmatch(r"[-+]?\d{1,4000}", value):
        return int(value)
    if "number" in kinds and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        return float(value)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _plain(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, UnknownText)


def _kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows, its ``oneOf``/``anyOf`` branches included."""
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key) or ():
            kinds |= _kinds(branch)
    return kinds - {"null"}
