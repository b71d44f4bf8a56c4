"""Hostile input: every spelling of production needs consent, cleartext is refused, captured values
cannot escape their URL segment or header, and absurd numbers are bad input. Each case is one line,
exit 2, and nothing sent."""

from __future__ import annotations

import pytest

from runner.cli import main
from runner.rc.hosts import is_loopback, is_production_host, normalise_host
from runner.sandbox import SandboxConfig, running_sandbox
from tests.conftest import REPO
from tests.rehearsal import SCOPES, sandbox_api_records, use, write_plan

READ_PLAN = """\
app:
  name: hostile
  description: A test app that reads the user's extension to check hostile input handling.
  scopes: [ReadAccounts]
server: local
endpoints:
  - GET /restapi/v1.0/account/~/extension/~
"""

PRODUCTION_SPELLINGS = [
    "https://PLATFORM.RINGCENTRAL.COM",
    "https://Platform.RingCentral.com",
    "https://platform.ringcentral.com.",
    "https://platform.ringcentral.com:443/",
    "https://user:pw@platform.ringcentral.com",
    "https://ｐｌａｔｆｏｒｍ.ringcentral.com",
    "https://platform。ringcentral。com",
    "https://platform.ringcentral.biz",
    "https://media.ringcentral.com",
    "production",
]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_every_spelling_of_a_production_host_is_production(url):
    assert is_production_host(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.devtest.ringcentral.com",
        "https://PLATFORM.DEVTEST.RINGCENTRAL.COM.",
        "https://evilringcentral.com",
        "https://ringcentral.com.evil.example",
        "http://127.0.0.1:8080",
    ],
)
def test_non_production_hosts_are_not(url):
    assert not is_production_host(url)


def test_host_normalisation():
    assert normalise_host("HTTPS://u:p@Platform.RingCentral.COM.:8443/x") == "platform.ringcentral.com"
    assert (
        is_loopback("http://127.0.0.1:1")
        and is_loopback("http://[::1]:1")
        and is_loopback("http://localhost")
    )
    assert not is_loopback("http://10.0.0.1") and not is_loopback("http://localhost.evil.example")


def _creds(monkeypatch):
    for name, value in (
        ("RC_APP_CLIENT_ID", "id"),
        ("RC_APP_CLIENT_SECRET", "s3cr3t"),
        ("RC_USER_JWT", "j.w.t"),
    ):
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS[:7])
@pytest.mark.parametrize("command", ["graduate", "warmup", "login", "logout", "token"])
def test_production_in_any_spelling_needs_consent_for_every_command(
    tmp_path, monkeypatch, capsys, url, command
):
    _creds(monkeypatch)
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN)
    assert main([command, str(plan), "--server", url]) == 2
    err = capsys.readouterr().err
    assert "--allow-production" in err and err.count("\n") == 1


def test_cleartext_remote_server_is_refused_unless_allowed(tmp_path, monkeypatch, capsys):
    _creds(monkeypatch)
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN)
    for command in ("graduate", "login"):
        assert main([command, str(plan), "--server", "http://192.0.2.1:9"]) == 2
        err = capsys.readouterr().err
        assert "--allow-insecure-http" in err and err.count("\n") == 1
    # Loopback http is the sandbox's own: accepted without the flag.
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        assert main(["login", write_plan(tmp_path), "--server", sb.url]) == 0
        assert not sandbox_api_records(sb)


CAPTURE_PLAN = """\
app:
  name: hostile captures
  description: A test app that creates a contact whose name is hostile and reads it back by that name.
  scopes: [Contacts, ReadContacts]
server: local
endpoints:
  - name: hostile
    calls: 1
    setup:
      - name: create
        request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
        json: {{firstName: {value}, lastName: X}}
        save: {{hostile: $.firstName}}
    request: {request}
{extra}
"""
CONTACT = "/restapi/v1.0/account/~/extension/~/address-book/contact"


def _run_capture(tmp_path, monkeypatch, capsys, value, request=None, extra=""):
    plan = tmp_path / "captures.yaml"
    plan.write_text(
        CAPTURE_PLAN.format(value=value, request=request or f"GET {CONTACT}/{{{{hostile}}}}", extra=extra)
    )
    config = SandboxConfig(scopes=frozenset({"Contacts", "ReadContacts"}), time_scale=0.02)
    with running_sandbox(config) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", str(plan), "--server", sb.url, "--calls", "1"])
        out, err = capsys.readouterr()
        return code, out + err, [(r.method, r.template) for r in sandbox_api_records(sb)]


class _Tokens:
    async def access_token(self) -> str:
        return "t"

    async def on_unauthorized(self, error_code=None, used_token=None) -> str:
        return "t"


class _NoLimits:
    def for_group(self, group):
        return None


@pytest.mark.parametrize(
    "value, raw",
    [
        ("1/../../../../../oauth/revoke", "1%2F..%2F..%2F..%2F..%2F..%2Foauth%2Frevoke"),
        ("1?evil=1&x=2", "1%3Fevil%3D1%26x%3D2"),
        ("1#frag", "1%23frag"),
        ("a b/c%2Fd", "a%20b%2Fc%252Fd"),
        ("~", "~"),
    ],
)
def test_a_captured_path_value_is_sent_as_exactly_one_segment(tmp_path, value, raw):
    """Engine unit test: what goes on the wire, byte for byte (a server decodes %2F before it logs)."""
    import anyio
    import httpx

    from runner.plan.loader import parse_plan
    from runner.traffic.budget import ErrorBudget
    from runner.traffic.engine import Engine, Job

    plan = parse_plan(
        CAPTURE_PLAN.format(value="x", request=f"GET {CONTACT}/{{{{hostile}}}}", extra=""),
        tmp_path / "p.yaml",
    )
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"id": 1, "firstName": value})

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            engine = Engine(
                base_url="http://127.0.0.1:9",
                tokens=_Tokens(),
                limits=_NoLimits(),
                budget=ErrorBudget(threshold=0.05, planned=2),
                on_record=lambda record: None,
                client=client,
            )
            return await engine.run([Job(plan.endpoints[0], 1)])

    result = anyio.run(go)
    assert seen[1] == f"{CONTACT}/{raw}".encode(), seen
    assert result.sent == 2 and not result.skipped


@pytest.mark.parametrize("value", ["'..'", "'.'", "''"])
def test_a_capture_that_cannot_be_a_segment_fails_the_step_unsent(tmp_path, monkeypatch, capsys, value):
    code, output, sent = _run_capture(tmp_path, monkeypatch, capsys, value)
    assert code == 1 and "Traceback" not in output
    assert "cannot be a path segment" in output
    assert [m for m, _ in sent] == ["POST"]  # the create went out, the read did not


@pytest.mark.parametrize("value", ['"a\\r\\nX-Evil: 1"', "Zoë", '"a\\u0000b"'])
def test_a_captured_header_value_that_would_split_the_request_fails_the_step(
    tmp_path, monkeypatch, capsys, value
):
    code, output, sent = _run_capture(
        tmp_path,
        monkeypatch,
        capsys,
        value,
        request=f"GET {CONTACT}",
        extra="    headers: {X-Note: '{{hostile}}'}",
    )
    assert code == 1 and "Traceback" not in output
    assert "header X-Note" in output
    assert [m for m, _ in sent] == ["POST"]


@pytest.mark.parametrize("value", ['"a\\r\\nX-Evil: 1"', "Zoë", '"tab\\tok\\u0007"'])
def test_check_refuses_a_literal_header_value_with_line_breaks_or_non_ascii(tmp_path, capsys, value):
    plan = tmp_path / "p.yaml"
    plan.write_text(
        READ_PLAN.replace(
            "  - GET /restapi/v1.0/account/~/extension/~",
            f"  - request: GET /restapi/v1.0/account/~/extension/~\n    headers: {{X-Note: {value}}}",
        )
    )
    assert main(["check", str(plan)]) == 2
    err = capsys.readouterr().err
    assert "headers.X-Note" in err and err.count("\n") == 1 and "Traceback" not in err


def test_absurd_counts_are_bad_input_with_the_largest_sensible_value(tmp_path, capsys):
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN)
    for argv in (
        ["graduate", str(plan), "--calls", "2000000"],
        ["graduate", str(plan), "--calls", "-1"],
        ["warmup", str(plan), "--daily", "-5"],
        ["warmup", str(plan), "--daily", "100000000000"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert ("--calls" in err or "--daily" in err) and " to " in err, err
    # A Light endpoint (50 a minute): two days hold 144000 runs, one day 72000.
    assert main(["graduate", str(plan), "--calls", "144001"]) == 2
    assert "0 to 144000" in capsys.readouterr().err
    plan.write_text(
        READ_PLAN.replace(
            "  - GET /restapi/v1.0/account/~/extension/~",
            "  - request: GET /restapi/v1.0/account/~/extension/~\n    calls: 10000000000",
        )
    )
    assert main(["check", str(plan)]) == 2
    err = capsys.readouterr().err
    assert "endpoints[0].calls: at most 144000" in err and err.count("\n") == 1
    plan.write_text(READ_PLAN + "warmup: {daily_calls: 99999999}\n")
    assert main(["check", str(plan)]) == 2
    assert "warmup.daily_calls: at most 72000" in capsys.readouterr().err


def test_work_is_generated_lazily_so_memory_is_flat_in_the_number_of_calls(tmp_path):
    """Engine unit test: with the limiter shut, a million repetitions queue no more than one feeder's worth."""
    import anyio
    import httpx

    from runner.plan.loader import parse_plan
    from runner.traffic.budget import ErrorBudget
    from runner.traffic.engine import MAX_WAITING_PER_JOB, Engine, Job

    plan = parse_plan(READ_PLAN, tmp_path / "p.yaml")
    waiting = started = 0

    class Counting(Engine):
        async def _run_item(self, client, item) -> None:
            nonlocal started
            started += 1
            await super()._run_item(client, item)

    class Shut:
        async def acquire(self) -> None:
            nonlocal waiting
            waiting += 1
            await anyio.sleep_forever()

        def observe(self, status, headers) -> None: ...
        def abandon(self) -> None: ...

    class Limits:
        def for_group(self, group):
            return Shut()

    async def go() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        async with httpx.AsyncClient(transport=transport) as client:
            engine = Counting(
                base_url="http://127.0.0.1:9",
                tokens=_Tokens(),
                limits=Limits(),
                budget=ErrorBudget(threshold=0.05, planned=1_000_000),
                on_record=lambda record: None,
                client=client,
            )
            with anyio.move_on_after(0.3):  # as a Ctrl-C would: the run stops at once
                await engine.run([Job(plan.endpoints[0], 1_000_000)])

    anyio.run(go)
    assert waiting == 1 and started == MAX_WAITING_PER_JOB  # one probe at the limiter, 63 queued behind it


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            (REPO / "tests" / "fixtures" / "alias-bomb.yaml").read_bytes(),
            ":8: yaml: aliases expand to more than",
        ),
        (
            b"app: &a {name: x, scopes: [ReadAccounts], description: *a}\nendpoints: [GET /restapi/v1.0/account/~]\n",
            ":1: yaml: an alias refers to its own anchor",
        ),
        (b"app:\n  name: \xff\xfe\n", ":2: yaml: not UTF-8 text"),
        (b"#" * (2 * 1024 * 1024), "the plan is larger than 1024 KiB"),
    ],
    ids=["alias bomb", "recursive alias", "not utf-8", "2 MiB"],
)
def test_hostile_yaml_is_one_line_exit_2(tmp_path, capsys, text, message):
    plan = tmp_path / "p.yaml"
    plan.write_bytes(text)
    assert main(["check", str(plan)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_reading_dev_zero_stops_at_the_cap(capsys):
    assert main(["check", "/dev/zero"]) == 2
    assert "/dev/zero: the plan is larger than" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["folder", "device", "unwritable"])
def test_report_paths_are_checked_before_the_first_request(tmp_path, monkeypatch, capsys, where):
    target = {"folder": str(tmp_path), "device": "/dev/full", "unwritable": "/proc/rcgrad/x.json"}[where]
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", write_plan(tmp_path), "--server", sb.url, "--calls", "1", "--json", target])
        err = capsys.readouterr().err
        assert code == 2 and "--json" in err and err.count("\n") == 1 and "Traceback" not in err
        assert not sb.state.log  # not even a login


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("criteria: {min_total_successes: .inf}\n", "criteria.min_total_successes"),
        ("criteria: {max_4xx_ratio: .nan}\n", "criteria.max_4xx_ratio"),
        ("limits: {edge_seconds: .inf}\n", "limits.edge_seconds"),
        ("limits: {edge_seconds: .nan}\n", "limits.edge_seconds"),
    ],
)
def test_numbers_that_are_not_numbers_are_refused_by_check(tmp_path, capsys, extra, key):
    plan = tmp_path / "p.yaml"
    plan.write_text(READ_PLAN + extra)
    assert main(["check", str(plan)]) == 2
    err = capsys.readouterr().err
    assert key in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("flags", [["--time-scale", "nan"], ["--time-scale", "inf"], ["--limits", "Light=²"]])
def test_the_sandbox_refuses_nan_inf_and_non_ascii_digits(capsys, flags):
    assert main(["sandbox", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
