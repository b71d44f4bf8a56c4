"""The user's real day: the paths a new user takes that the first version's tests never walked.

Each test here failed on the first version: the README's criteria forms crashed, two local plans
shared one ledger partition, ``status`` demanded secrets, a TODO description passed ``check``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.mark.loopback
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


# ---------------------------------------------------------------- output as CI and cron see it

LONG_PLAN = """\
app:
  name: piped
  description: {description}
  scopes: [ReadAccounts, ReadMessages, ReadContacts]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
  - name: one message
    setup:
      - request: GET /restapi/v1.0/account/~/extension/~/message-store
        save: {{message_id: '$.records[0].id'}}
    request: GET /restapi/v1.0/account/~/extension/~/message-store/{{{{message_id}}}}
  - name: a contact that is not there
    request: GET /restapi/v1.0/account/~/extension/~/address-book/contact/123456789
"""


def _client_id(tmp_path: Path) -> str:
    from runner.verdict.subject import short_id

    identity = json.loads((tmp_path / "home" / "local-sandbox" / "identity.json").read_text())
    return short_id(identity["client_id"])


def _piped(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "GITHUB_"))}
    env.update(
        COLUMNS="80", RCGRAD_HOME=str(tmp_path / "home"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md")
    )
    return subprocess.run(
        [sys.executable, "-m", "runner", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )


@pytest.mark.subprocess
def test_a_piped_run_reads_whole_at_80_columns_and_names_what_it_judged(tmp_path):
    plan = tmp_path / "piped.yaml"
    plan.write_text(LONG_PLAN.format(description=json.dumps(DESCRIPTION)))
    done = _piped(
        tmp_path, "graduate", "piped.yaml", "--json", "v.json", "--junit", "v.xml", "--html", "v.html"
    )
    out = done.stdout + done.stderr
    assert out.isascii(), [ln for ln in out.splitlines() if not ln.isascii()]  # as a pipe or log gets it
    # Every endpoint path whole, on one line: no ellipsis, no path cut at the edge.
    shown = done.stdout.replace(_client_id(tmp_path), "")
    assert "…" not in shown and "..." not in shown
    assert (
        "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store/{messageId}\n" in done.stdout
    )
    # Progress as the run goes: one line per finished item.
    assert "one message: 1/" in done.stdout
    # The 4xx, explained where it happened: method, path, status, RingCentral's code and message.
    explained = [ln for ln in out.splitlines() if "contact/123456789 -> 404" in ln]
    assert explained and "CMN-102" in explained[0], out
    # What was judged, in every report.
    assert "REHEARSAL: local sandbox (partition local/piped)" in done.stdout
    assert "plan:    piped.yaml" in done.stdout
    subject = json.loads((tmp_path / "v.json").read_text())["subject"]
    assert subject["rehearsal"] and subject["app"] == "piped" and subject["plan"] == "piped.yaml"
    assert subject["profile"] == "strict" and "..." in subject["client_id"]
    assert 'name="rehearsal" value="True"' in (tmp_path / "v.xml").read_text()
    assert "REHEARSAL: local sandbox" in (tmp_path / "v.html").read_text()
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### rcgrad: CRITERIA") and "REHEARSAL" in summary


def test_the_client_id_is_shortened_in_every_report():
    from runner.verdict.subject import short_id

    assert short_id("abcdEFGHijklMNOP") == "abcd...MNOP"
    assert short_id("short") == "sh..."


@pytest.mark.subprocess
def test_check_in_a_pipe_shows_every_path_whole(tmp_path):
    plan = tmp_path / "piped.yaml"
    plan.write_text(LONG_PLAN.format(description=json.dumps(DESCRIPTION)))
    done = _piped(tmp_path, "check", "piped.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "…" not in done.stdout
    for template in (
        "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store/{messageId}\n",
        "GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/address-book/contact/{contactId}\n",
    ):
        assert template in done.stdout
