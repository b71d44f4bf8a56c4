"""What a rule is: one thing RingCentral enforces beyond its spec, with its answer and its source.

A ``Rule`` is data: the operations it applies to, the condition in our words, RingCentral's answer
(status, code, message), the public pages that say so, how sure we are, and where rcgrad enforces
it. A rule that a request alone decides (an SMS text over 1000 characters) also has a *check*, a pure
function over the request, written beside the rule in its area's module; ``rcgrad check`` and the
sandbox both run it through the request validator. A rule that needs the account's state (an SMS
sender the account does not own) is enforced by the sandbox, which names the rule it applies.

Pure data and pure functions: this module must never do I/O, never import the catalog (which
imports the rules) and never echo a value it was given (a body may hold a secret).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from runner.rc.unknown import is_unknown

# RingCentral's pages, shortened where a rule cites them. Only public URLs.
GUIDE = "https://developers.ringcentral.com/guide/"
API_REFERENCE = "https://developers.ringcentral.com/api-reference/"
# RingCentral's 2021 API reference (per-operation error tables), kept in its docs repository.
REFERENCE_2021 = (
    "https://github.com/ringcentral/ringcentral-api-docs/blob/0ff59d2e/specs/ringcentral_openapi3.json"
)
# The API Explorer's error tables as published in 2018 (an archived copy of RingCentral's text).
EXPLORER_2018 = "https://github.com/dzekelid/messages/tree/205cb0dd/_listings/ringcentral"
ERRORS_PAGE = GUIDE + "basics/errors"
SPEC = API_REFERENCE  # the spec as RingCentral publishes it: each operation's description
PYTHON_SDK = "https://github.com/ringcentral/ringcentral-python"
JS_SDK = "https://github.com/ringcentral/ringcentral-js"
DOTNET_SDK = "https://github.com/ringcentral/RingCentral.Net"
EXTENSIBLE_SDK = "https://github.com/ringcentral/ringcentral-extensible"


class Enforced(StrEnum):
    """Where rcgrad enforces a rule."""

    CHECK = "check + sandbox"  # the request alone decides: rcgrad check and the sandbox, one check
    SANDBOX = "sandbox"  # needs the account's state (its numbers, what it issued)
    SPEC = "spec"  # the spec's schema already says it; listed so the table is whole
    ANSWER = "sandbox answer"  # how RingCentral answers a valid request; the sandbox answers so
    ACCEPTED = "accepted"  # RingCentral accepts what a reading of the spec would refuse
    NOT_MODELLED = "not modelled"  # the condition cannot arise in the sandbox; ``note`` says why


class Confidence(StrEnum):
    HIGH = "high"  # RingCentral's docs or spec state it, or an official SDK's live test asserts it
    MEDIUM = "medium"  # one official source, an old one, or sources that disagree
    LOW = "low"  # a community post, or our inference from related rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule. ``status`` is None for rules about how a valid request is answered."""

    id: str  # ``area.name``: sms.from-owned
    operations: tuple[str, ...]  # operation ids (the catalog's); () for rules about every operation
    when: str  # the condition, in our words
    status: int | None
    code: str | None  # the specific code (errors[0].errorCode): MSG-245
    message: str | None  # RingCentral's message, as documented
    sources: tuple[str, ...]
    confidence: Confidence
    enforced: Enforced
    top: str | None = None  # the top-level logical code where documented (InvalidParameter)
    note: str = ""  # what rcgrad does, or why it cannot arise in the sandbox

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def answer(self) -> str:
        """``400 MSG-245``; ``200`` for a rule that accepts."""
        if self.status is None:
            return "answer"
        return f"{self.status} {self.code}" if self.code else str(self.status)

    def cite(self, what: str) -> str:
        """``what``, then RingCentral's answer, this rule's id and its first source."""
        return f"{what}: RingCentral answers {self.answer} (rule {self.id}, {self.sources[0]})"

    def error_body(self, parameter: str | None = None) -> dict[str, Any]:
        """The error RingCentral answers with: the specific code nested, the logical one on top."""
        message = (self.message or "Request is invalid").replace("{parameter}", parameter or "")
        nested: dict[str, Any] = {"errorCode": self.code, "message": message}
        body: dict[str, Any] = {"errorCode": self.top or self.code, "message": message, "errors": [nested]}
        if parameter:
            nested["parameterName"] = parameter
            body["parameterName"] = parameter
        return body


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file part of a multipart request, as the validator sees it: never its bytes but the first
    few (enough to tell an image or a PDF by its magic number)."""

    name: str | None  # the form field it came in (attachment, attachments, image, binary, ...)
    filename: str | None
    content_type: str | None  # None when the part gave none (or ``undefined``)
    size: int
    head: bytes = b""


class RequestView(Protocol):
    """What a check reads (``runner.rc.validate.Request``)."""

    @property
    def path(self) -> Mapping[str, Any]: ...
    @property
    def query(self) -> Mapping[str, Any]: ...
    @property
    def body(self) -> Any: ...
    @property
    def body_type(self) -> str | None: ...
    @property
    def files(self) -> Sequence[Attachment]: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """A request breaking a rule: where (``json.to[0].phoneNumber``) and the parameter RingCentral
    names (``to.phoneNumber``)."""

    rule: Rule
    where: str
    parameter: str | None = None

    @property
    def message(self) -> str:
        """For ``rcgrad check``: the condition, RingCentral's answer, the rule and its first source."""
        return self.rule.cite(self.rule.when)


Check = Callable[[RequestView], list[Hit]]
Relax = Callable[
    [RequestView], frozenset[str]
]  # the spec's required fields RingCentral does not require here


@dataclass
class Area:
    """One area's rules and the checks over requests that enforce the static ones."""

    rules: list[Rule] = field(default_factory=list)
    checks: dict[str, list[Check]] = field(default_factory=dict)  # operation id -> checks
    relaxations: dict[str, Relax] = field(default_factory=dict)  # operation id -> what it relaxes

    def rule(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        return rule

    def check(self, *operations: str) -> Callable[[Check], Check]:
        def register(function: Check) -> Check:
            for op in operations:
                self.checks.setdefault(op, []).append(function)
            return function

        return register

    def relax(self, *operations: str) -> Callable[[Relax], Relax]:
        def register(function: Relax) -> Relax:
            for op in operations:
                self.relaxations[op] = function
            return function

        return register


# ------------------------------------------------------------------------------ reading a request


def media_type(content_type: str | None) -> str:
    """``multipart/form-data; boundary=x`` -> ``multipart/form-data``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_multipart(content_type: str | None) -> bool:
    return media_type(content_type).startswith("multipart/")


def text(value: Any) -> str | None:
    """The value when it is plain text known now (not a run-time capture), else None."""
    return value if isinstance(value, str) and not is_unknown(value) else None


def utf16_units(value: str) -> int:
    """Length as RingCentral counts text: UTF-16 code units (a character beyond the BMP is two)."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in value)


def field_of(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def query_value(query: Mapping[str, Any], name: str) -> str | None:
    """A query parameter as text (the first of a repeated one); None when absent or not known yet."""
    value = query.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return text(value)
