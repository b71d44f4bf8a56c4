"""Phone numbers as RingCentral reads them: what a request may write, and how answers render them.

RingCentral's guide asks for E.164 with a ``+``, yet its own examples send digits without it
(``14151003732``), and both are accepted; answers always render ``+E.164`` (docs/ringcentral.md,
Rules: ``pn.e164-out``). So a number here is an optional ``+`` and 7 to 15 digits, with the
separators people type (spaces, dashes, dots, brackets) ignored; 3 to 6 digits is a short number
(an extension or a short code), which some operations refuse on their own terms. Pure: no I/O.
"""

from __future__ import annotations

import re
from enum import StrEnum

_SEPARATORS = re.compile(r"[\s\-.()]")
_E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
_SHORT = re.compile(r"^\d{3,6}$")
MAX_DIGITS = 15  # E.164


class Kind(StrEnum):
    NUMBER = "number"  # a full number: E.164, with or without the +
    SHORT = "short"  # 3 to 6 digits: an extension number or a short code
    TOO_LONG = "too long"  # digits only, but more than E.164 allows
    INVALID = "invalid"  # letters, nothing, a lone country code


def kind(value: str) -> Kind:
    compact = _SEPARATORS.sub("", value)
    if _E164.match(compact):
        return Kind.NUMBER
    if _SHORT.match(compact):
        return Kind.SHORT
    if re.fullmatch(r"\+?\d+", compact) and len(compact.lstrip("+")) > MAX_DIGITS:
        return Kind.TOO_LONG
    return Kind.INVALID


HOME_COUNTRY_CODE = "1"  # the sandbox's account is in the US: a national number is read there


def e164(value: str) -> str:
    """``16505550100`` or ``+1 (650) 555-0100`` -> ``+16505550100``; a national (10-digit) number
    without a country code is read in the account's home country; other text unchanged."""
    compact = _SEPARATORS.sub("", value)
    if not _E164.match(compact):
        return value
    if compact.startswith("+"):
        return compact
    if len(compact) == 10 and not compact.startswith(HOME_COUNTRY_CODE):
        return f"+{HOME_COUNTRY_CODE}{compact}"
    return "+" + compact


def same(a: str, b: str) -> bool:
    """The same number, however it was written."""
    return e164(a) == e164(b)
