"""Route matching: from a concrete request path to the path template it instantiates.

A segment trie per HTTP method. Literal segments win over ``{param}`` segments, with
backtracking, so ``/extension/~/presence`` and ``/extension/123/presence`` both land on
``/extension/{extensionId}/presence``. Query strings, fragments, scheme and host are ignored.
Paths written the SDK way (``/account/~/extension/~``) get ``/restapi/v1.0`` in front.

This module knows nothing about RingCentral beyond that prefix rule, and never does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Prefixes the official SDK passes through untouched; anything else is relative to /restapi/v1.0.
KNOWN_PREFIXES = ("restapi", "rcvideo", "video", "webinar", "analytics", "ai", "team-messaging", "scim", "cx")
_DEFAULT_PREFIX = ("restapi", "v1.0")


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    value: T
    template: str
    params: dict[str, str]


class _Node(Generic[T]):
    __slots__ = ("leaf", "literal", "param")

    def __init__(self) -> None:
        self.literal: dict[str, _Node[T]] = {}
        self.param: _Node[T] | None = None
        self.leaf: tuple[T, str, tuple[str, ...]] | None = None


def split_path(url: str) -> list[str]:
    """Path segments of a URL or path, without scheme, host, query, fragment or empty parts."""
    if "://" in url:
        url = url.split("://", 1)[1]
        url = url[url.find("/") :] if "/" in url else "/"
    for sep in ("?", "#"):
        cut = url.find(sep)
        if cut >= 0:
            url = url[:cut]
    return [s for s in url.split("/") if s]


class RouteMatcher(Generic[T]):
    def __init__(self, routes: Iterable[tuple[str, str, T]]) -> None:
        self._roots: dict[str, _Node[T]] = {}
        for method, template, value in routes:
            self.add(method, template, value)

    def add(self, method: str, template: str, value: T) -> None:
        node = self._roots.setdefault(method.upper(), _Node())
        names: list[str] = []
        for seg in split_path(template):
            if seg.startswith("{") and seg.endswith("}"):
                if node.param is None:
                    node.param = _Node()
                node = node.param
                names.append(seg[1:-1])
            else:
                node = node.literal.setdefault(seg, _Node())
        node.leaf = (value, template, tuple(names))

    def match(self, method: str, url: str) -> Match[T] | None:
        return self.match_segments(method, split_path(url))

    def match_segments(self, method: str, segments: list[str]) -> Match[T] | None:
        """Like ``match``, for a path already split: a server's decoded path, where ``?`` and
        ``#`` are characters of an id, not the start of a query or fragment."""
        root = self._roots.get(method.upper())
        if root is None:
            return None
        found = self._walk(root, segments, 0, [])
        if found is None and segments and segments[0] not in KNOWN_PREFIXES:
            found = self._walk(root, [*_DEFAULT_PREFIX, *segments], 0, [])
        return found

    def _walk(self, node: _Node[T], segs: list[str], i: int, values: list[str]) -> Match[T] | None:
        # Iterative descent along literals; recursion only where a param branch is an alternative.
        while i < len(segs):
            lit = node.literal.get(segs[i])
            if lit is None:
                if node.param is None:
                    return None
                values.append(segs[i])
                node = node.param
            elif node.param is None:
                node = lit
            else:
                found = self._walk(lit, segs, i + 1, list(values))
                if found is not None:
                    return found
                values.append(segs[i])
                node = node.param
            i += 1
        if node.leaf is None:
            return None
        value, template, names = node.leaf
        return Match(value, template, dict(zip(names, values, strict=True)))
