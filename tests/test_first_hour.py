"""A new user's first hour: the names, errors and pages they meet before they know rcgrad.

Each test is a stumble a new user had: two generated plans sharing one rehearsal partition, console
counts imported where no plan reads them, a green "Criteria met" on a rehearsal, parser jargon for a
misplaced space, a typo with no suggestion, a missing plan with no way forward, a slow --help.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.cli import main
from runner.report import html as html_report
from runner.verdict.criteria import evaluate
from runner.verdict.subject import Subject
from tests.conftest import REPO
from tests.rehearsal import PLAN_FOR_FLEET


def test_plan_init_names_the_app_after_its_file_so_two_plans_rehearse_apart(tmp_path: Path, capsys):
    for name in ("crm-sync", "call_notes"):
        assert (
            main(["plan", "init", "--scopes", "ReadAccounts", "--out", str(tmp_path / f"{name}.yaml")]) == 0
        )
    texts = [(tmp_path / f"{n}.yaml").read_text() for n in ("crm-sync", "call_notes")]
    assert 'name: "crm sync"' in texts[0] and 'name: "call notes"' in texts[1]
    assert main(["plan", "init", "--scopes", "ReadAccounts", "--name", "Acme CRM"]) == 0
    assert 'name: "Acme CRM"' in capsys.readouterr().out


def test_a_written_plan_says_what_to_do_before_check_refuses_it(tmp_path: Path, capsys):
    out = tmp_path / "crm.yaml"
    assert main(["plan", "init", "--scopes", "ReadAccounts", "--out", str(out)]) == 0
    said = capsys.readouterr().err.splitlines()
    assert said[-1] == f"next: describe the app in app.description (the TODO line), then rcgrad check {out}"
    assert main(["check", str(out)]) == 2  # what the next step warned of
    assert "app.description: error: the description still holds the placeholder" in capsys.readouterr().out


def _console_counts() -> str:
    """Seven presence reads yesterday, as the console's analytics would show them."""
    import datetime as dt

    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return f"{yesterday},GET,/restapi/v1.0/account/~/extension/~/presence,200,7\n"


def test_ledger_import_goes_where_the_plan_reads_and_refuses_where_none_does(tmp_path: Path, capsys):
    plan = tmp_path / "app.yaml"
    plan.write_text((REPO / "plans" / "call-log-presence.yaml").read_text())
    counts = tmp_path / "console.csv"
    counts.write_text(_console_counts())
    assert main(["ledger", "import", str(counts), "--server", "local", "--user-id", "u"]) == 2
    assert "pass --plan" in capsys.readouterr().err
    assert main(["ledger", "import", str(counts), "--plan", str(plan)]) == 0
    err = capsys.readouterr().err
    assert "local/" in err
    out = tmp_path / "status.json"
    main(["status", str(plan), "--json", str(out), "-q"])
    [presence] = [e for e in json.loads(out.read_text())["endpoints"] if e["endpoint"].endswith("/presence")]
    assert presence["yesterday"] == 7  # status reads the partition the counts went to
    assert main(["ledger", "import", str(counts), "--server", "production", "--client-id", "x"]) == 2
    assert "no plan would read these counts" in capsys.readouterr().err


def test_the_html_report_of_a_rehearsal_says_so_as_loudly_as_its_verdict():
    verdict = evaluate([], now=1_800_000_000.0, profile="strict", scopes=(), endpoints=[])
    subject = Subject("local/crm-sync", "CRM sync", "loca...1234", "jwt-1", "plans/crm.yaml", "strict")
    from dataclasses import replace

    page = html_report.render(replace(verdict, subject=subject))
    assert "<title>rcgrad: CRM sync - REHEARSAL - Criteria not met" in page
    assert page.index("REHEARSAL on the local sandbox") < page.index("<h1")
    assert '<h1 class="notmet">CRM sync: Criteria not met (rehearsal)</h1>' in page


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "app:\n  name: a\n  scopes: [ReadAccounts]\nendpoints:\n  - name: x\n     request: GET /x\n",
            6,
            "indentation",
        ),
        ("app:\n  name: a\n  scopes: [ReadAccounts]\n endpoints:\n  - GET /x\n", 4, "indentation"),
        (
            "app:\n  name: a\n  scopes: [ReadAccounts]\nserver: prod\nendpoints: [GET /x]\n",
            4,
            "did you mean 'production'",
        ),
    ],
)
def test_errors_speak_plain_words_and_suggest(text: str, line: int, words: str, tmp_path: Path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    assert main(["check", str(plan)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"plan.yaml:{line}:" in err and words in err and "block end" not in err, err


def test_an_unknown_query_parameter_gets_a_suggestion(tmp_path: Path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "app: {name: a, scopes: [ReadAccounts]}\nendpoints:\n"
        "  - request: GET /restapi/v1.0/account/~/extension\n    query: {perpage: 2}\n"
    )
    assert main(["check", str(plan)]) == 2
    assert "did you mean 'perPage'?" in capsys.readouterr().out


def test_a_missing_plan_points_at_plan_init(tmp_path: Path, capsys):
    assert main(["graduate", str(tmp_path / "myapp.yaml")]) == 2
    err = capsys.readouterr().err
    assert "rcgrad plan init --scopes" in err and len(err.strip().splitlines()) == 1


@pytest.mark.subprocess
def test_help_and_version_import_no_command_module():
    import subprocess
    import sys

    probe = (
        "import sys, runner.cli\n"
        "try: runner.cli.main(sys.argv[1:])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('runner.commands.', 'rich', 'httpx', 'anyio'))))"
    )
    for flag in ("--help", "--version"):
        done = subprocess.run([sys.executable, "-c", probe, flag], capture_output=True, text=True, check=True)
        assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


# -- every run says where the app stands and what to do next ----------------------------------------


def _judged(met: bool, **kwargs):  # type: ignore[no-untyped-def]
    import datetime as dt

    from runner.run.events import Judged
    from tests.criteria_support import rec

    now = 1_800_000_000.0
    rows = [rec(now - 60, "GET /restapi/v1.0/account/{accountId}", 200, count=25 if met else 1)]
    verdict = evaluate(
        rows, now=now, profile="docs-2019", scopes=(), endpoints=["GET /restapi/v1.0/account/{accountId}"]
    )
    return Judged("crm", verdict, dt.date(2027, 1, 16), **kwargs)


def test_a_met_verdict_says_to_schedule_the_warm_up_and_an_unmet_one_what_mends_it():
    from runner.report.next_step import advice

    assert advice(_judged(True), "plans/crm.yaml").startswith("keep the window healthy")
    assert "rcgrad schedule plans/crm.yaml --cron" in advice(_judged(True), "plans/crm.yaml")
    broken = _judged(False, quarantined={"GET /restapi/v1.0/account/{accountId}/x": "404 CMN-102"})
    assert "--retry-broken" in advice(broken, "plans/crm.yaml")
    assert (
        advice(_judged(False), "plans/crm.yaml")
        == "rcgrad graduate plans/crm.yaml sends what the window still needs"
    )
    assert "try again later" in advice(_judged(False, gave_up="gave up: no answer"), "plans/my app.yaml")
    assert "'plans/my app.yaml'" in advice(_judged(False), "plans/my app.yaml")  # quoted for a shell


def test_the_planning_line_names_the_day_the_time_in_server_minutes_and_the_cushion():
    import datetime as dt

    from runner.report.live import plan_lines
    from runner.run.events import Planned
    from runner.verdict.topup import TopUp

    topup = TopUp(
        mode="graduate",
        traffic_day=dt.date(2027, 1, 15),
        apply_day=dt.date(2027, 1, 16),
        repeats={"list contacts": 19, "lifecycle": 5},
        per_endpoint={"GET /c": 24, "POST /c": 5},
        reasons=(),
        blockers=(),
        beyond_minimum=14,
        beyond_why=(
            "a cushion of safe successes before the first try of 1 write or id-guessing endpoint(s)",
        ),
    )
    lines = plan_lines(Planned("crm", topup, {"Heavy": 29}, seconds=180.0, time_scale=0.05))
    assert lines[0] == (
        "graduate: 29 calls (Heavy 29) today, for an application on 2027-01-16 (UTC); at least 3 min at the"
        " rate limits, about 9 s here (the local sandbox runs at 1/20 time)"
    )
    assert lines[1].startswith("  14 of them beyond the bare minimum: a cushion of safe successes")


@pytest.mark.loopback
def test_a_fleet_in_a_pipe_shows_each_finished_app_as_it_goes_and_each_verdict_its_day(
    tmp_path: Path, capsys
):
    plans = []
    for index in range(2):
        plan = tmp_path / f"app{index}.yaml"
        plan.write_text(PLAN_FOR_FLEET.format(index=index))
        plans.append(str(plan))
    assert main(["graduate", *plans, "--calls", "5"]) in (0, 1)
    out = capsys.readouterr().out
    # One line per finished app (a fleet of 500 apps x 60 calls would print 30,000 item lines).
    assert "app 0: done, 5 sent (" in out and "app 1: done, 5 sent (" in out
    assert "(2 of 2 apps finished)" in out and "/5 done" not in out
    assert out.index("(1 of 2 apps finished)") < out.index("fleet:")  # during the run, not after it
    assert out.count("for an application on") >= 2 and out.count("next: ") == 2


@pytest.mark.loopback
def test_nothing_to_send_never_stands_above_not_met_without_its_reason(tmp_path: Path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_FOR_FLEET.format(index=7).replace(
            "  - GET", "  - GET /restapi/v1.0/account/~/extension/99999\n  - GET"
        )
    )
    assert main(["graduate", str(plan)]) == 1  # the unknown extension is a 404, then quarantined
    capsys.readouterr()
    assert main(["graduate", str(plan)]) == 1
    out = capsys.readouterr().out
    verdict_at = out.index("CRITERIA NOT MET")
    assert "Nothing to send" not in out[:verdict_at]
    assert "Nothing to send: more traffic cannot mend what fails (endpoint_successes" in out[verdict_at:]
    assert "--retry-broken" in out[verdict_at:] or "sends what the window still needs" in out[verdict_at:]


@pytest.mark.loopback
def test_check_announces_the_requests_the_first_graduate_sends(tmp_path: Path, capsys):
    """A plan of two reads: check used to say 10 requests (5 each) and graduate sent 21, the
    strict profile's total. The count check announces is the one the first run meets."""
    plan = tmp_path / "two-reads.yaml"
    plan.write_text(
        "app:\n  name: two reads\n  description: >\n"
        "    Reads the call log and the SMS consents of the account to remind the support team of\n"
        "    customers who called and asked to be texted back the same day.\n"
        "  scopes: [ReadCallLog, SMS]\nserver: local\nendpoints:\n"
        "  - GET /restapi/v1.0/account/~/extension/~/call-log\n"
        "  - GET /restapi/v2/accounts/~/sms/consents\n"
    )
    assert main(["check", str(plan)]) == 0
    (announced,) = [ln for ln in capsys.readouterr().out.splitlines() if " requests (" in ln]
    assert announced.startswith("21 requests (Heavy 5, Light 16)")
    assert main(["graduate", str(plan)]) == 0
    sent = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("run ")]
    assert sum(int(ln.split(": ")[1].split()[0]) for ln in sent) == 21, sent


def test_schedule_help_shows_notify_as_the_bare_flag_it_is(capsys):
    with pytest.raises(SystemExit):
        main(["schedule", "--help"])
    shown = capsys.readouterr().out
    assert "[--notify]" in shown and "--notify []" not in shown and "  --notify  " in shown


def test_a_plans_variables_come_from_dot_env_as_the_credentials_do(tmp_path: Path, monkeypatch, capsys):
    """Under cron only .env holds them: ${VAR} used to read the process environment alone."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TEAM_EXTENSION=1001\n")
    plan = tmp_path / "vars.yaml"
    plan.write_text(
        "app:\n  name: vars\n  description: >\n"
        "    Reads the presence of the support extension so the team's wallboard shows who can\n"
        "    take the next call, refreshed every minute through the day.\n"
        "  scopes: [ReadPresence]\nvars:\n  ext: ${TEAM_EXTENSION}\nendpoints:\n"
        "  - GET /restapi/v1.0/account/~/extension/{{ext}}/presence\n"
    )
    assert main(["check", str(plan)]) == 0, capsys.readouterr()
    monkeypatch.setenv("TEAM_EXTENSION", "2002")  # the environment still wins, as for credentials
    from runner.plan.loader import load_plan

    assert load_plan(plan).vars["ext"] == "2002"
    monkeypatch.delenv("TEAM_EXTENSION")
    assert load_plan(plan).vars["ext"] == "1001"
