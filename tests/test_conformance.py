"""A fixed-seed slice of ``make conformance``: Schemathesis, reading RingCentral's own spec, finds no
server error, no invalid input accepted and no answer off its schema on the lists the sandbox seeds.

It reads the spec where ``spec_path`` finds it; without it the test skips (fails under CI=true).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import run

pytestmark = pytest.mark.loopback

# The seeded lists, paged and filtered: call log, message store (faxes), contacts, extensions, chats.
SLICE = (
    r"^GET /restapi/v1\.0/account/\{accountId\}/extension"
    r"(/\{extensionId\}/(call-log|message-store|address-book/contact))?$"
    r"|^GET /team-messaging/v1/chats$"
)
CHECKS = "not_a_server_error,negative_data_rejection,response_schema_conformance,content_type_conformance"


def test_schemathesis_finds_nothing_on_the_seeded_lists(spec_path: Path) -> None:
    outcome = run(
        spec_path,
        seed=1,
        max_examples=3,
        max_time=12,  # Schemathesis reads the 520-operation spec first (~10 s), then this
        include_name_regex=SLICE,
        phases="examples,fuzzing",
        checks=CHECKS,
        workers=1,
        quiet=True,
    )
    assert outcome.tested == 5 and outcome.cases > 20, outcome.table()
    assert outcome.failing == {}, {check: sorted(ops) for check, ops in outcome.failing.items()}
