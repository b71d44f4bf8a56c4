"""Alerts (``--notify``): what a failing, giving-up or refused run posts, once "recovered", never a secret.

Unit tests build messages and deliver through httpx's mock transport (no socket); the integration
tests post to the sandbox's incoming-webhook endpoint over loopback.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from runner import redact
from runner.cli import main as cli_main
from runner.ledger.ledger import Ledger
from runner.plan.loader import parse_plan
from runner.rc.hosts import ServerUrlError, parse_webhook
from runner.report import notify
from runner.report.deliver import deliver
from runner.run.events import Judged
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.app import create_app
from runner.verdict.criteria import evaluate
from runner.verdict.subject import Subject

HOOK_ID = "aW5jb21pbmctaG9vaw.test-hook_01"
PLAN = """\
app:
  name: alerting app
  description: Reads the user's own extension once a day so the review window always holds traffic.
  scopes: [ReadAccounts]
server: {server}
{extra}endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""


def _judged(met: bool = False, gave_up: str | None = None) -> Judged:
    now = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC).timestamp()
    verdict = evaluate(
        [],
        now=now,
        scopes=["ReadAccounts"],
        endpoints=["GET /restapi/v1.0/account/{accountId}"],
        description="Shows each CRM contact's recent calls to the sales team, and keeps the CRM in step.",
    )
    subject = Subject(
        server="https://platform.ringcentral.com",
        app="CRM sync",
        client_id="abcd...wxyz",
        user="u",
        plan_file="plans/crm.yaml",
        profile="strict",
    )
    verdict = replace(verdict, subject=subject, met=met)
    return Judged("CRM sync", verdict, dt.date(2026, 12, 8), gave_up=gave_up)


# ------------------------------------------------------------------------------------------ messages


def test_slack_shows_an_app_name_as_written_and_never_reads_it_as_a_mention_or_a_link():
    judged = _judged()
    judged = replace(judged, app="R&D <!channel> <https://evil.example|sync>")
    alert = notify.after_verdict(judged, plan="p.yaml", alerted_on=None)
    assert alert is not None and "<!channel>" in alert.text  # every other shape keeps it as written
    slack = notify.payload(alert, notify.SLACK)["text"]
    assert "<" not in slack and ">" not in slack
    assert slack.startswith("rcgrad: R&amp;D &lt;!channel&gt; &lt;https://evil.example|sync&gt; NOT MET")


def test_team_messaging_shows_a_mention_in_an_app_name_as_written_and_notifies_no_one():
    judged = replace(_judged(), app="CRM ![:Team](123456) sync")
    alert = notify.after_verdict(judged, plan="p.yaml", alerted_on=None)
    assert alert is not None
    posted = notify.payload(alert, notify.RINGCENTRAL)
    assert "![:" not in posted["title"] + posted["text"]
    assert posted["title"].startswith("rcgrad: CRM ! [:Team](123456) sync NOT MET")


def test_a_not_met_alert_names_app_server_day_failing_criteria_with_margins_and_the_fix():
    alert = notify.after_verdict(_judged(), plan="plans/crm.yaml", alerted_on=None)
    assert alert is not None and alert.state == notify.NOT_MET
    text = alert.text
    assert text.splitlines()[0] == "rcgrad: CRM sync NOT MET for an application on 2026-12-08 (UTC)"
    assert "server: https://platform.ringcentral.com (client id abcd...wxyz)" in text
    assert "- total_successes: 0 (threshold 21, margin -21)" in text
    assert "next: rcgrad graduate plans/crm.yaml sends what the window still needs" in text


def test_a_met_run_says_recovered_once_after_an_alert_and_nothing_otherwise():
    assert notify.after_verdict(_judged(met=True), plan="p.yaml", alerted_on=None) is None
    back = notify.after_verdict(_judged(met=True), plan="p.yaml", alerted_on="2026-12-06")
    assert back is not None and back.state == notify.RECOVERED
    assert back.title == "rcgrad: CRM sync recovered: criteria met for an application on 2026-12-08 (UTC)"
    assert "met again after the alert of 2026-12-06" in back.text


def test_a_run_that_gave_up_alerts_even_when_the_window_is_met():
    alert = notify.after_verdict(
        _judged(met=True, gave_up="gave up: no answer"), plan="p.yaml", alerted_on=None
    )
    assert alert is not None and alert.state == notify.GAVE_UP and "gave up: no answer" in alert.text


def test_each_kind_of_hook_gets_its_own_shape():
    alert = notify.after_verdict(_judged(), plan="p.yaml", alerted_on=None)
    assert alert is not None
    rc = notify.payload(
        alert, notify.kind_of(parse_webhook("https://hooks.ringcentral.com/webhook/v2/x.y.z"))
    )
    assert rc["activity"] == "rcgrad" and rc["title"].startswith("rcgrad: CRM sync NOT MET") and rc["text"]
    slack = notify.payload(alert, notify.kind_of(parse_webhook("https://hooks.slack.com/services/T/B/x")))
    assert list(slack) == ["text"] and slack["text"] == alert.text  # nothing in it to escape
    plain = notify.payload(alert, notify.kind_of(parse_webhook("https://alerts.example.com/in")))
    assert plain["rcgrad"]["state"] == "not met" and plain["rcgrad"]["failing"][0]["margin"]
    assert notify.kind_of(parse_webhook("https://alerts.example.com/in"), "slack") == "slack"


def test_a_fleets_digest_has_a_line_per_app_and_fits_what_the_hook_takes():
    from runner.rc.wire import WEBHOOK_MAX_TEXT

    failing = notify.after_verdict(_judged(), plan="plans/crm.yaml", alerted_on=None)
    recovered = notify.after_verdict(_judged(met=True), plan="plans/crm.yaml", alerted_on="2026-12-06")
    assert failing is not None and recovered is not None
    digest = notify.Digest(
        (("plans/a.yaml", replace(failing, app="app a")), ("plans/b.yaml", replace(recovered, app="app b"))),
        apps=40,
    )
    assert digest.title == "rcgrad: 1 of 40 apps need attention, 1 recovered"
    first = failing.failing[0]
    assert digest.lines() == [
        f"- app a (plans/a.yaml): NOT MET: {first[0]} {first[1]} (threshold {first[2]}, margin {first[3]})"
        f" and {len(failing.failing) - 1} more",
        "- app b (plans/b.yaml): recovered: criteria met after the alert of 2026-12-06",
        "next: rcgrad status PLAN shows an app's window and the command that mends it",
    ]
    assert [a["app"] for a in digest.facts()["alerts"]] == ["app a", "app b"]
    # 500 apps: the text stops where the hook would refuse it, and says how many it left out.
    many = notify.Digest(
        tuple((f"plans/customer-{n:03}.yaml", replace(failing, app=f"customer {n:03}")) for n in range(500)),
        apps=500,
    )
    for kind in notify.KINDS:
        assert len(notify.payload(many, kind)["text"]) <= WEBHOOK_MAX_TEXT
    lines = many.lines()
    listed = sum(1 for line in lines if line.startswith("- customer "))
    assert 20 < listed < 500 and lines[-2] == f"... and {500 - listed} more apps not listed here"
    assert len(many.facts()["alerts"]) == 500  # the data keeps every app


def test_a_registered_secret_never_reaches_a_message():
    redact.register("very-secret-jwt-value-123")
    alert = notify.after_failure(
        "RC_USER_JWT very-secret-jwt-value-123 was refused (OAU-140)", app="a", server="s", plan="p.yaml"
    )
    for kind in notify.KINDS:
        assert "very-secret-jwt-value-123" not in json.dumps(notify.payload(alert, kind))
    assert "OAU-140" in alert.text


# ------------------------------------------------------------------------------------------ URL reading


@pytest.mark.parametrize(
    "text",
    [
        "http://hooks.example.com/webhook/v2/x",  # clear text across the network
        "https://hooks.ringcentral.com",  # no hook named
        "https://hooks.ringcentral.com/webhook/v2/a b",
        "https://hooks.ringcentral.com/webhook/v2/x#frag",
        "https://user@hooks.ringcentral.com/webhook/v2/x",
        "hooks.ringcentral.com/webhook/v2/x",
        "https://hooks.ringcentral.com/webhook/v2/\u00e9",
    ],
)
def test_a_webhook_url_with_more_than_one_reading_is_refused(text: str):
    with pytest.raises(ServerUrlError):
        parse_webhook(text)


def test_a_webhook_url_keeps_its_path_and_names_its_host_only():
    url = parse_webhook("HTTPS://Hooks.RingCentral.com./webhook/v2/eyJ0.abc?x=1")
    assert url.url == "https://hooks.ringcentral.com/webhook/v2/eyJ0.abc?x=1"
    assert url.host == "hooks.ringcentral.com"
    assert parse_webhook("http://127.0.0.1:9/webhook/v2/x").url == "http://127.0.0.1:9/webhook/v2/x"


def test_a_plan_names_its_webhook_by_reference_only(tmp_path: Path):
    text = PLAN.format(server="local", extra="notify: https://hooks.ringcentral.com/webhook/v2/abc\n")
    with pytest.raises(Exception, match=r"plan.yaml:6: notify: write a \$\{VARIABLE\} reference"):
        parse_plan(text, tmp_path / "plan.yaml", env={})
    text = PLAN.format(server="local", extra="notify: ${TEAM_HOOK}\n")
    with pytest.raises(Exception, match=r"plan.yaml:6: notify: the webhook URL is plain http"):
        parse_plan(text, tmp_path / "plan.yaml", env={"TEAM_HOOK": "http://hooks.example.com/x"})
    plan = parse_plan(
        text, tmp_path / "plan.yaml", env={"TEAM_HOOK": "https://hooks.slack.com/services/abc12345"}
    )
    assert plan.notify == "https://hooks.slack.com/services/abc12345"
    assert "hooks.slack.com/services/abc12345" not in redact.redact(plan.notify)  # a secret from the start


# ------------------------------------------------------------------------------------------ delivery


def test_delivery_retries_a_failing_hook_a_bounded_number_of_times_and_says_why_in_one_line():
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(503)

    waits: list[float] = []
    why = deliver(
        parse_webhook("https://hooks.ringcentral.com/webhook/v2/secret.token.1"),
        {"text": "x"},
        transport=httpx.MockTransport(answer),
        sleep=waits.append,
    )
    assert len(seen) == 3 and len(waits) == 2
    assert why == "hooks.ringcentral.com answered 503 (3 attempts)"
    assert "secret.token.1" not in why


def test_delivery_does_not_retry_a_refusal_and_succeeds_on_a_later_attempt():
    calls = iter([httpx.Response(502), httpx.Response(200, json={"status": "OK"})])
    assert (
        deliver(
            parse_webhook("https://hooks.slack.com/services/x"),
            {"text": "x"},
            transport=httpx.MockTransport(lambda r: next(calls)),
            sleep=lambda s: None,
        )
        is None
    )
    refused: list[int] = []

    def once(request: httpx.Request) -> httpx.Response:
        refused.append(1)
        return httpx.Response(404)

    why = deliver(
        parse_webhook("https://hooks.slack.com/services/x"),
        {"text": "x"},
        transport=httpx.MockTransport(once),
        sleep=lambda s: None,
    )
    assert refused == [1] and why == "hooks.slack.com refused the message: 404"


# ------------------------------------------------------------------------------------------ the sandbox's hook


def test_the_sandbox_takes_an_incoming_webhook_message_as_team_messaging_does():
    import anyio

    app = create_app(SandboxConfig())

    async def post(path: str, **kwargs: object) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # in process: no socket
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post(path, **kwargs)  # type: ignore[arg-type]

    ok = anyio.run(lambda: post(f"/webhook/v2/{HOOK_ID}", json={"title": "t", "text": "hello"}))
    assert ok.status_code == 200 and ok.json() == {"status": "OK"}
    for path, kwargs, status in (
        (f"/webhook/v2/{HOOK_ID}", {"json": {"title": "only a title"}}, 400),
        (f"/webhook/v2/{HOOK_ID}", {"content": b"text=hi"}, 415),
        (f"/webhook/v2/{HOOK_ID}", {"json": {"text": "x" * 10_001}}, 400),
        ("/webhook/v2/short", {"json": {"text": "hi"}}, 404),
    ):
        assert anyio.run(lambda p=path, k=kwargs: post(p, **k)).status_code == status
    state = app.state.sandbox
    assert [m["text"] for m in state.incoming.received(HOOK_ID)] == ["hello"]
    assert not state.log  # not an API call: the review never sees it


# ------------------------------------------------------------------------------------------ end to end


@pytest.fixture
def hook():
    with running_sandbox(SandboxConfig()) as sb:
        yield sb, f"{sb.url}/webhook/v2/{HOOK_ID}"


def _plan(tmp_path: Path, server: str = "local", extra: str = "") -> str:
    path = tmp_path / "app.yaml"
    path.write_text(PLAN.format(server=server, extra=extra))
    return str(path)


@pytest.mark.loopback
def test_status_alerts_not_met_then_graduate_says_recovered_once(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    sb, url = hook
    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.02")
    plan = _plan(tmp_path)
    assert cli_main(["status", plan, "-q", "--notify", url]) == 1
    first = sb.state.incoming.received(HOOK_ID)
    assert len(first) == 1 and first[0]["text"].startswith("rcgrad: alerting app NOT MET")
    assert cli_main(["graduate", plan, "-q", "--notify", url]) == 0
    assert cli_main(["status", plan, "-q", "--notify", url]) == 0  # still met: nothing more
    messages = sb.state.incoming.received(HOOK_ID)
    assert len(messages) == 2 and messages[1]["rcgrad"]["state"] == "recovered"
    assert url not in capsys.readouterr().out


@pytest.mark.loopback
def test_the_plans_notify_and_rcgrad_notify_are_used_and_the_flag_wins(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch
):
    sb, url = hook
    monkeypatch.setenv("TEAM_HOOK", url)
    plan = _plan(tmp_path, extra="notify: ${TEAM_HOOK}\n")
    assert cli_main(["status", plan, "-q"]) == 1
    assert len(sb.state.incoming.received(HOOK_ID)) == 1
    other = f"{sb.url}/webhook/v2/another-hook-0001"
    assert cli_main(["status", plan, "-q", "--notify", other]) == 1
    assert len(sb.state.incoming.received("another-hook-0001")) == 1
    monkeypatch.delenv("TEAM_HOOK")
    Path(".env").write_text(f"RCGRAD_NOTIFY={sb.url}/webhook/v2/from-dotenv-01\n")
    assert cli_main(["status", _plan(tmp_path), "-q"]) == 1
    assert len(sb.state.incoming.received("from-dotenv-01")) == 1


@pytest.mark.loopback
def test_a_malformed_or_unreachable_hook_is_bad_input_before_any_traffic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rcgrad_home: Path, capsys: pytest.CaptureFixture[str]
):
    from runner.sandbox.server import free_port

    monkeypatch.setenv("RCGRAD_LOCAL_TIME_SCALE", "0.02")
    plan = _plan(tmp_path)
    assert cli_main(["graduate", plan, "-q", "--notify", "http://hooks.example.com/webhook/v2/x"]) == 2
    assert capsys.readouterr().err.strip() == (
        "rcgrad: --notify: the webhook URL is plain http to a host that is not loopback; use https"
    )
    closed = f"http://127.0.0.1:{free_port()}/webhook/v2/{HOOK_ID}"
    assert cli_main(["graduate", plan, "-q", "--notify", closed]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("rcgrad: --notify: the webhook cannot be reached: 127.0.0.1:") and HOOK_ID not in err
    )
    with Ledger.open(rcgrad_home / "ledger.sqlite3") as ledger:
        assert ledger.count() == 0  # not one request, not even a login
    monkeypatch.setenv("RCGRAD_NOTIFY", "https://hooks.invalid/webhook/v2/x")
    assert cli_main(["status", plan, "-q"]) == 2
    assert (
        "RCGRAD_NOTIFY: the webhook cannot be reached: hooks.invalid does not resolve"
        in capsys.readouterr().err
    )


@pytest.mark.loopback
def test_a_hook_that_refuses_costs_one_line_and_never_the_exit_code(
    tmp_path: Path, hook, capsys: pytest.CaptureFixture[str]
):
    sb, _ = hook
    refusing = f"{sb.url}/webhook/v2/short"  # an id the hook service does not know: 404
    assert cli_main(["status", _plan(tmp_path), "-q", "--notify", refusing]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    port = sb.url.rsplit(":", 1)[1]
    assert err == [
        f"rcgrad: notify: alerting app: the alert was not delivered: 127.0.0.1:{port} refused the message: 404"
    ]


@pytest.mark.loopback
def test_a_login_refused_alerts_credentials_and_exits_3(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch
):
    sb, url = hook
    for name, value in (
        ("RC_APP_CLIENT_ID", sb.config.client_id),
        ("RC_APP_CLIENT_SECRET", "a-wrong-secret-42"),
        ("RC_USER_JWT", "a.wrong.jwt"),
    ):
        monkeypatch.setenv(name, value)
    plan = _plan(tmp_path, server=sb.url)
    assert cli_main(["graduate", plan, "-q", "--notify", url]) == 3
    (message,) = sb.state.incoming.received(HOOK_ID)
    assert message["rcgrad"]["state"] == "credentials failed"
    assert "a-wrong-secret-42" not in json.dumps(message)
    assert not [r for r in sb.state.log if r.kind == "api"]


@pytest.mark.subprocess
@pytest.mark.loopback
def test_rcgrad_sandbox_says_where_its_hook_is_and_prints_what_it_receives(tmp_path: Path):
    import os
    import queue
    import subprocess
    import sys
    import threading

    from tests.conftest import REPO

    env = {**os.environ, "RCGRAD_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "sandbox"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    printed: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout
    assert stdout is not None

    def pump() -> None:
        for line in stdout:
            printed.put(line)

    threading.Thread(target=pump, daemon=True).start()

    def readline() -> str:  # a line the sandbox never prints fails the test, never hangs it
        return printed.get(timeout=30)

    try:
        lines = [readline() for _ in range(6)]
        assert lines[5].startswith("# alerts: --notify http://127.0.0.1:")
        url = lines[0].strip().split("=", 1)[1] + f"/webhook/v2/{HOOK_ID}"
        message = notify.payload(
            notify.after_verdict(_judged(), plan="p.yaml", alerted_on=None), "ringcentral"
        )  # type: ignore[arg-type]
        assert deliver(parse_webhook(url), message) is None
        assert (
            readline().strip()
            == "incoming webhook: rcgrad: CRM sync NOT MET for an application on 2026-12-08 (UTC)"
        )
        assert readline().strip().startswith("server: https://platform.ringcentral.com")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.loopback
def test_a_plan_that_broke_overnight_alerts_could_not_start_and_a_bad_hook_alerts_nothing(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch, rcgrad_home: Path
):
    """Under cron a warm-up refused as bad input (exit 2) printed one line to a log nobody reads."""
    sb, url = hook
    plan = Path(_plan(tmp_path))
    plan.write_text(plan.read_text().replace("endpoints:", "endpoints:\n  - GET /restapi/v1.0/no-such-thing"))
    monkeypatch.setenv("RCGRAD_NOTIFY", url)
    assert cli_main(["warmup", str(plan), "-q"]) == 2
    (message,) = sb.state.incoming.received(HOOK_ID)
    assert message["rcgrad"]["state"] == "could not start"
    assert f"{plan}:" in message["rcgrad"]["reason"] and "no-such-thing" in message["rcgrad"]["reason"]
    assert message["rcgrad"]["next"] == f"fix what this names, then check the plan with: rcgrad check {plan}"
    with Ledger.open(rcgrad_home / "ledger.sqlite3") as ledger:
        assert ledger.count() == 0  # the alert is the only thing sent
    # The webhook itself wrong: nothing to post to, and nothing tried.
    monkeypatch.setenv("RCGRAD_NOTIFY", f"{sb.url}/webhook/v2/{HOOK_ID} and more")
    assert cli_main(["warmup", str(plan), "-q"]) == 2
    assert len(sb.state.incoming.received(HOOK_ID)) == 1


@pytest.mark.loopback
def test_a_fleet_posts_one_digest_to_a_hook_many_of_its_apps_share_and_recovers_in_one(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch
):
    """Partners run an app per customer: 500 posts would flood the team's chat."""
    from tests.test_fleet import _fleet

    sb, url = hook
    plans = _fleet(tmp_path, monkeypatch, count=notify.DIGEST_AFTER + 2)
    assert cli_main(["status", *plans, "-q", "--notify", url]) == 1
    (digest,) = sb.state.incoming.received(HOOK_ID)
    assert digest["text"].startswith(f"rcgrad: {len(plans)} of {len(plans)} apps need attention\n")
    assert [a["app"] for a in digest["rcgrad"]["alerts"]] == [
        f"fleet app {n}" for n in range(1, len(plans) + 1)
    ]
    assert all(f"({plan}): NOT MET: " in digest["text"] for plan in plans)
    # Each app's alert state is kept as if it had posted alone: met again, one digest says so.
    assert cli_main(["graduate", *plans, "-q", "--notify", url]) == 0
    messages = sb.state.incoming.received(HOOK_ID)
    assert len(messages) == 2 and messages[1]["text"].startswith(
        f"rcgrad: {len(plans)} apps recovered: criteria met\n"
    )
    assert cli_main(["status", *plans, "-q", "--notify", url]) == 0
    assert len(sb.state.incoming.received(HOOK_ID)) == 2


@pytest.mark.loopback
def test_a_few_apps_alerting_to_one_hook_each_post_their_own_message(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch
):
    from tests.test_fleet import _fleet

    sb, url = hook
    plans = _fleet(tmp_path, monkeypatch, count=notify.DIGEST_AFTER)
    assert cli_main(["status", *plans, "-q", "--notify", url]) == 1
    messages = sb.state.incoming.received(HOOK_ID)
    assert [m["rcgrad"]["app"] for m in messages] == [f"fleet app {n}" for n in range(1, len(plans) + 1)]
    assert all(m["rcgrad"]["state"] == "not met" for m in messages)


@pytest.mark.loopback
def test_a_digest_the_hook_refused_costs_one_line_and_leaves_no_app_alerted(
    tmp_path: Path, hook, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from tests.test_fleet import _fleet

    sb, url = hook
    plans = _fleet(tmp_path, monkeypatch, count=notify.DIGEST_AFTER + 1)
    assert cli_main(["status", *plans, "-q", "--notify", f"{sb.url}/webhook/v2/short"]) == 1  # 404
    assert capsys.readouterr().err.strip().splitlines() == [
        f"rcgrad: notify: a digest of {len(plans)} apps: the alert was not delivered:"
        f" 127.0.0.1:{sb.url.rsplit(':', 1)[1]} refused the message: 404"
    ]
    # Nobody heard of a failure, so a met run has nothing to say "recovered" about.
    assert cli_main(["graduate", *plans, "-q", "--notify", url]) == 0
    assert sb.state.incoming.received(HOOK_ID) == []
