"""The scope-inclusion table (docs/ringcentral.md, Permissions)."""

from __future__ import annotations

from runner.rc.catalog import load_catalog
from runner.rc.scopes import INCLUDES, UNMAPPABLE, closure, grants


def test_inclusions_from_the_docs() -> None:
    assert grants(["SMS"], "ReadMessages")
    assert grants(["EditAccounts"], "ReadAccounts") and grants(["EditAccounts"], "EditExtensions")
    assert grants(["Contacts"], "ReadContacts")
    assert not grants(["ReadMessages"], "SMS")
    assert not grants(["ReadContacts"], "Contacts")
    assert grants([], None)
    assert not grants([], "ReadAccounts")


def test_closure_is_transitive_and_idempotent() -> None:
    assert closure(["EditAccounts"]) == {"EditAccounts", "ReadAccounts", "EditExtensions"}
    assert closure(closure(["SMS", "EditPresence"])) == closure(["SMS", "EditPresence"])


def test_table_names_only_real_permissions_and_unmappable_ones_are_absent() -> None:
    perms = load_catalog().permissions
    for scope, included in INCLUDES.items():
        assert scope in perms and included <= perms
    assert not set(UNMAPPABLE) & perms
