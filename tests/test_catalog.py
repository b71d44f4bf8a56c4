"""The catalog: regenerated from the spec without drift, complete, and typed the way consumers need."""

from __future__ import annotations

from pathlib import Path

from runner.rc import catalog_build
from runner.rc.catalog import load_catalog
from tests.conftest import REPO


def test_committed_catalog_matches_the_spec(spec_path: Path) -> None:
    committed = (REPO / "runner" / "rc" / "data" / "catalog.json").read_text(encoding="utf-8")
    regenerated = catalog_build.build_from_file(spec_path)
    assert regenerated == committed, "runner/rc/data/catalog.json is stale: run `make catalog` and commit it"


def test_every_operation_of_the_spec_is_there() -> None:
    ops = load_catalog().operations
    assert len(ops) == 520
    assert len({op.key for op in ops}) == 520
    groups = {op.group for op in ops}
    assert groups == {"Light", "Medium", "Heavy", "Auth", "NoThrottling"}
    assert sum(1 for op in ops if op.permission) == 475


def test_operation_fields_carry_what_runner_and_sandbox_need() -> None:
    cat = load_catalog()
    sms = cat.by_id("createSMSMessage")
    assert sms is not None
    assert (sms.method, sms.permission, sms.group, sms.user_permission) == (
        "POST",
        "SMS",
        "Medium",
        "OutboundSMS",
    )
    assert sms.body is not None and sms.body.required
    assert {f.name for f in sms.body.fields} == {"from", "text", "to"}
    assert sms.body.skeleton["to"] == [{"phoneNumber": "rcgrad test"}]
    assert [p.default for p in sms.path_params] == ["~", "~"]
    assert sms.is_write and not sms.is_oauth

    messages = cat.by_id("listMessages")
    assert messages is not None and not messages.is_write
    record = messages.response.sample["records"][0]
    assert "id" in record and "attachments" in record

    content = cat.by_id("readMessageContent")
    assert content is not None and content.response.is_binary
    assert [p.name for p in content.id_params] == ["messageId", "attachmentId"]

    token = cat.by_key("POST", "/restapi/oauth/token")
    assert token is not None and token.is_oauth and token.group == "Auth"


def test_read_only_posts_are_not_writes() -> None:
    cat = load_catalog()
    audit = cat.for_permission("ReadAuditTrail")
    assert audit and all(op.method == "POST" and not op.is_write for op in audit)


def test_permissions_are_the_spec_s_29_and_the_scopes_rules_or_other_names_add() -> None:
    catalog = load_catalog()
    assert len({op.permission for op in catalog.operations if op.permission}) == 29
    # SubscriptionWebhook (a WebHook create, rule sub.webhook-scope) and the guide's names of WebSocket.
    extra = catalog.permissions - {op.permission for op in catalog.operations}
    assert extra == {"SubscriptionWebhook", "WebSocketsSubscription", "WebSocketsSubscriptions"}
