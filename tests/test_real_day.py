"""The user's real day: the paths a new user takes that the first version's tests never walked.

Each test here failed on the first version: the README's criteria forms crashed, two local plans
shared one ledger partition, ``status`` demanded secrets, a TODO description passed ``check``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.cli import main

DESCRIPTION = "Shows the user's recent calls next to each CRM contact so agents can follow up on them."


def _plan(tmp_path: Path, name: str, *, criteria: str = "strict", description: str = DESCRIPTION) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"app:\n  name: {name}\n  description: {json.dumps(description)}\n  scopes: [ReadAccounts]\n"
        f"server: local\ncriteria: {criteria}\n"
        "endpoints:\n  - GET /restapi/v1.0/account/~/extension/~\n"
    )
    return path


@pytest.mark.parametrize(
    "criteria",
    [
        "{profile: docs-2019, max_4xx_ratio: 0.03, min_total_successes: 25}",
        "{profile: strict}",
        "{min_endpoint_successes: 6}",
        "docs-2022",
    ],
)
def test_every_documented_criteria_form_checks_and_judges(tmp_path, capsys, criteria):
    plan = _plan(tmp_path, "forms", criteria=criteria)
    assert main(["check", str(plan)]) == 0
    out = tmp_path / "v.json"
    assert main(["status", str(plan), "-q", "--json", str(out)]) == 1  # nothing sent yet: not met
    assert json.loads(out.read_text())["met"] is False


def test_two_local_plans_rehearse_in_partitions_of_their_own(tmp_path, capsys):
    first, second = _plan(tmp_path, "first"), _plan(tmp_path, "second")
    assert main(["graduate", str(first), "-q"]) == 0
    capsys.readouterr()
    out = tmp_path / "second.json"
    # A brand-new plan must not inherit the first plan's traffic ("Nothing to send ... MET").
    assert main(["status", str(second), "-q", "--json", str(out)]) == 1
    verdict = json.loads(out.read_text())
    assert all(e["in_plan"] for e in verdict["endpoints"])
    assert main(["graduate", str(second), "-q"]) == 0
    assert "Nothing to send" not in capsys.readouterr().out


def test_status_of_a_real_server_needs_no_secret(tmp_path, monkeypatch, capsys):
    plan = tmp_path / "prod.yaml"
    plan.write_text(_plan(tmp_path, "prod").read_text().replace("server: local", "server: production"))
    monkeypatch.setenv("RC_APP_CLIENT_ID", "client-id-1234")
    assert main(["status", str(plan), "-q"]) == 1  # no traffic yet: not met, and not exit 3
    assert "CRITERIA NOT MET" in capsys.readouterr().out


def test_status_without_a_client_id_names_the_variable(tmp_path, capsys):
    plan = tmp_path / "prod.yaml"
    plan.write_text(_plan(tmp_path, "prod").read_text().replace("server: local", "server: production"))
    assert main(["status", str(plan), "-q"]) == 3
    err = capsys.readouterr().err
    assert "RC_APP_CLIENT_ID" in err and "RC_APP_CLIENT_SECRET" not in err


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("rcgrad ")


@pytest.mark.parametrize("description", ["TODO: describe the app", "TBD " + DESCRIPTION])
def test_check_refuses_a_placeholder_description(tmp_path, capsys, description):
    plan = _plan(tmp_path, "todo", description=description)
    assert main(["check", str(plan)]) == 2
    out = capsys.readouterr().out
    assert "app.description" in out and "placeholder" in out
    assert main(["graduate", str(plan)]) == 2  # before any traffic


def test_check_warns_about_a_thin_description_the_profile_judges(tmp_path, capsys):
    assert main(["check", str(_plan(tmp_path, "thin", description="Syncs calls to a CRM."))]) == 0
    out = capsys.readouterr().out
    assert "warning" in out and "app.description" in out and "too thin" in out
    # docs-2019 does not judge the description: no warning.
    assert main(["check", str(_plan(tmp_path, "old", criteria="docs-2019", description="x"))]) == 0
    assert "app.description" not in capsys.readouterr().out
