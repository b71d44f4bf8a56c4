"""Fitting what a client wrote into what the sandbox answers: a stored record keeps every value its
answer's schema allows and the request gave in the same form (a date-time stays a real moment, a
value outside an answer's enum or bounds never enters).

Pure: it must never store anything itself, nor let a request value break the answer's schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

NO_RULES: Mapping[str, dict[str, Any]] = {}


def merge(
    target: dict[str, Any],
    update: Mapping[str, Any],
    rules: Mapping[str, dict[str, Any]] = NO_RULES,
    at: str = "",
) -> None:
    """Fold a request body into a record: only the fields the answer has, each in the answer's type.

    Request and response schemas differ (a request's ``flipNumber`` is a number, the answer's a
    string; a password sent as text is answered as an object; a SCIM PATCH names its own
    ``schemas``): a field that does not fit keeps the answer's value, so what the sandbox serves
    back still meets its response schema. So does a string in another form than the answer's (an
    empty one for a filled field, text for a link or a timestamp), a value the answer's schema
    bounds otherwise (``rules`` by field path: an enum, a length, a pattern, a range), and every
    ``uri``, which the server owns.
    """
    for key, value in update.items():
        if key not in target or key == "uri":
            continue
        path = f"{at}.{key}" if at else key
        current = target[key]
        if isinstance(value, dict) and isinstance(current, dict):
            merge(current, value, rules, path)
        elif isinstance(value, list) and isinstance(current, list):
            items = f"{path}[]"
            if current and not all(_same_type(item, current[0]) for item in value):
                continue
            if current and isinstance(current[0], dict):
                target[key] = [_fitted(current[0], item, rules, items) for item in value]
            elif all(_within(item, rules.get(items)) for item in value):
                target[key] = copy.deepcopy(value)
        elif _fits(value, current) and _within(value, rules.get(path)):
            target[key] = value


def _fitted(
    like: dict[str, Any], item: dict[str, Any], rules: Mapping[str, dict[str, Any]], at: str
) -> dict[str, Any]:
    fitted = copy.deepcopy(like)
    merge(fitted, item, rules, at)
    return fitted


_RULE_CHECKS: dict[str, Draft4Validator] = {}


def _within(value: Any, rules: dict[str, Any] | None) -> bool:
    """True when ``value`` meets the answer's rules for its field (none: anything of its type)."""
    if not rules:
        return True
    key = json.dumps(rules, sort_keys=True)
    check = _RULE_CHECKS.get(key)
    if check is None:
        check = _RULE_CHECKS[key] = Draft4Validator(rules, format_checker=FormatChecker())
    return bool(check.is_valid(value))


def _fits(value: Any, like: Any) -> bool:
    return _same_type(value, like) and (not isinstance(value, str) or _same_form(value, like))


_LINK = re.compile(r"^https?://")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _same_form(value: str, like: str) -> bool:
    """A string fits where the answer has one of its form: a link, a timestamp, or any filled text."""
    if like and not value:
        return False
    for form in (_LINK, _TIMESTAMP):
        if form.match(like) and not form.match(value):
            return False
    if _TIMESTAMP.match(value):  # a well-formed timestamp must also be a real moment (no 12:99)
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
    return True


def _same_type(value: Any, like: Any) -> bool:
    if isinstance(like, bool) or isinstance(value, bool):
        return isinstance(like, bool) and isinstance(value, bool)
    if isinstance(like, int | float) and isinstance(value, int | float):
        return isinstance(value, int) or not isinstance(like, int)
    return type(value) is type(like)
