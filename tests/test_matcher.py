"""Matching concrete requests to catalog operations."""

from __future__ import annotations

import random

import pytest

from runner.rc.catalog import load_catalog
from runner.rc.matcher import RouteMatcher, split_path


def _concrete(path: str, rng: random.Random) -> str:
    out = []
    for seg in path.split("/"):
        if seg.startswith("{"):
            seg = rng.choice(["~", str(rng.randint(1, 10**12)), "abc-DEF_123"])
        out.append(seg)
    return "/".join(out)


def test_every_catalog_operation_is_found_from_a_concrete_path() -> None:
    cat = load_catalog()
    rng = random.Random(7)
    for op in cat.operations:
        url = _concrete(op.path, rng) + "?page=2&perPage=10"
        found = cat.match(op.method, url)
        assert found is not None, url
        assert found.value is op, (url, found.template)


@pytest.mark.parametrize(
    ("method", "url", "template"),
    [
        (
            "GET",
            "/restapi/v1.0/account/~/extension/~/call-log",
            "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log",
        ),
        (
            "GET",
            "/restapi/v1.0/account/123/extension/456/presence?detailedTelephonyState=true",
            "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence",
        ),
        (
            "GET",
            "https://platform.ringcentral.com/restapi/v1.0/account/~/extension/~/",
            "/restapi/v1.0/account/{accountId}/extension/{extensionId}",
        ),
        (
            "GET",
            "/account/~/extension/~/message-store",
            "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store",
        ),
        (
            "GET",
            "/restapi/v2/accounts/~/extensions/~/comm-handling/states",
            "/restapi/v2/accounts/{accountId}/extensions/{extensionId}/comm-handling/states",
        ),
        ("POST", "/restapi/oauth/token", "/restapi/oauth/token"),
    ],
)
def test_known_shapes(method: str, url: str, template: str) -> None:
    found = load_catalog().match(method, url)
    assert found is not None and found.template == template


def test_literal_segments_win_and_params_are_captured() -> None:
    m = RouteMatcher(
        [("GET", "/a/{id}/b", "param"), ("GET", "/a/x/b", "literal"), ("GET", "/a/x/{y}/c", "deep")]
    )
    assert m.match("GET", "/a/x/b").value == "literal"
    hit = m.match("GET", "/a/7/b")
    assert hit is not None and hit.value == "param" and hit.params == {"id": "7"}
    # the literal branch dead-ends, so the matcher must backtrack into the param branch
    assert m.match("GET", "/a/x/z/c").value == "deep"
    assert m.match("GET", "/a/x") is None
    assert m.match("POST", "/a/x/b") is None


def test_unknown_paths_and_methods_do_not_match() -> None:
    cat = load_catalog()
    assert cat.match("GET", "/restapi/v1.0/account/~/no-such-thing") is None
    assert cat.match("PATCH", "/restapi/oauth/token") is None
    assert cat.match("GET", "/") is None


def test_split_path_ignores_query_fragment_and_host() -> None:
    assert split_path("https://h:8080/a/b/?q=1#f") == ["a", "b"]
    assert split_path("/a//b") == ["a", "b"]
