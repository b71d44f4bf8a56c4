"""Hostile input: the production guard, cleartext servers, hostile captures, absurd sizes.

Each test here stands for a defect a deliberate attack found; every one failed before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.cli import main
from runner.errors import InputError
from runner.rc.hosts import is_cleartext, is_production_host
from tests.conftest import REPO
from tests.rehearsal import PLAN_FOR_FLEET, write_plan

WRITES = """\
  - GET /restapi/v1.0/account/~/extension/~
  - name: contact
    request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
    json: {firstName: Ada, lastName: Lovelace}
"""

PRODUCTION_SPELLINGS = [
    "https://platform.ringcentral.com",
    "https://PLATFORM.RINGCENTRAL.COM",
    "https://Platform.RingCentral.com",
    "https://platform.ringcentral.com.",
    "https://platform.ringcentral.com:443/",
    "https://platform%2eringcentral%2ecom",  # percent-encoded dots: the SDK decodes them
    "https://PLATFORM.RingCentral.COM\u3002",  # an ideographic full stop as the root's dot
    "https://platform.ringcentral.biz",
    "https://media.ringcentral.com",
    "https://ｐｌａｔｆｏｒｍ.ｒｉｎｇｃｅｎｔｒａｌ.ｃｏｍ",  # fullwidth: IDNA maps it to the ASCII host
    "production",
]


@pytest.mark.parametrize("url", PRODUCTION_SPELLINGS)
def test_every_spelling_of_a_production_host_is_production(url):
    from runner.settings import resolve_server

    assert is_production_host(resolve_server(url))


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.devtest.ringcentral.com",
        "https://PLATFORM.DEVTEST.RingCentral.com.",
        "http://127.0.0.1:9",
        "https://ringcentral.example.org",
    ],
)
def test_non_production_hosts_are_not(url):
    assert not is_production_host(url)


def test_cleartext_is_only_allowed_on_loopback():
    assert is_cleartext("http://example.com") and is_cleartext("HTTP://10.0.0.1:80")
    assert not is_cleartext("http://127.0.0.1:8080") and not is_cleartext("http://[::1]:80")
    assert not is_cleartext("http://localhost:1") and not is_cleartext("https://example.com")


def _credentials(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in (("RC_APP_CLIENT_ID", "id"), ("RC_APP_CLIENT_SECRET", "s"), ("RC_USER_JWT", "j")):
        monkeypatch.setenv(name, value)


def _no_network(monkeypatch):
    import httpx

    def refuse(*args, **kwargs):
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    monkeypatch.setattr(httpx.Client, "send", refuse)


@pytest.mark.parametrize("server", ["https://PLATFORM.RINGCENTRAL.COM", "https://Platform.RingCentral.com."])
def test_a_capitalised_production_host_still_needs_both_consents(server, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path, WRITES, scopes=("ReadAccounts", "Contacts"))
    assert main(["graduate", plan, "--server", server]) == 2
    assert "--allow-production" in capsys.readouterr().err
    assert main(["graduate", plan, "--server", server, "--allow-production"]) == 2
    assert "--allow-production-writes" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["login", "logout", "token"])
def test_token_commands_need_consent_for_production(command, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path)
    assert main([command, plan, "--server", "https://platform.RingCentral.com"]) == 2
    err = capsys.readouterr().err
    assert "--allow-production" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["graduate", "login"])
def test_a_cleartext_server_is_refused_unless_allowed(command, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    plan = write_plan(tmp_path)
    assert main([command, plan, "--server", "http://example.com"]) == 2
    err = capsys.readouterr().err
    assert "--allow-insecure-http" in err and len(err.strip().splitlines()) == 1


HOSTILE_CAPTURES = """\
app:
  name: hostile
  description: A test app that reads the user's contacts to show captured values are sent safely.
  scopes: [Contacts, ReadContacts]
server: local
endpoints:
  - name: path
    setup:
      - name: create
        request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
        json: {firstName: "1/../../../../../oauth/revoke?evil=1#frag", lastName: b}
        save: {bad: $.firstName}
    request: GET /restapi/v1.0/account/~/extension/~/address-book/contact/{{bad}}
  - name: dots
    setup:
      - name: create dots
        request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
        json: {firstName: "..", lastName: b}
        save: {dots: $.firstName}
    request: GET /restapi/v1.0/account/~/extension/~/address-book/contact/{{dots}}
  - name: header
    setup:
      - name: create crlf
        request: POST /restapi/v1.0/account/~/extension/~/address-book/contact
        json: {firstName: "a\\r\\nX-Evil: 1", lastName: b}
        save: {crlf: $.firstName}
    request: GET /restapi/v1.0/account/~/extension/~/address-book/contact
    headers: {X-Note: "{{crlf}}"}
"""


@pytest.mark.loopback
def test_hostile_captures_are_one_path_segment_or_fail_the_step(tmp_path, monkeypatch, capsys):
    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import use

    plan = tmp_path / "hostile.yaml"
    plan.write_text(HOSTILE_CAPTURES)
    with running_sandbox(
        SandboxConfig(scopes=frozenset({"Contacts", "ReadContacts"}), time_scale=0.02)
    ) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", str(plan), "--server", sb.url, "--calls", "1"])
        out, err = capsys.readouterr()
        gets = [r.template for r in sb.state.log if r.method == "GET"]
    assert code == 1 and "Traceback" not in out + err
    # Only the path item's GET went out, its value kept whole: no dot segments resolved, no query
    # parameter added, no fragment cut: one segment, every `/`, `?`, `=` and `#` in it encoded, as
    # the sandbox logs it. The ".." and the CR/LF header were never sent.
    assert len(gets) == 1 and gets[0].endswith(
        "/contact/1%2F..%2F..%2F..%2F..%2F..%2Foauth%2Frevoke%3Fevil%3D1%23frag"
    )
    assert "'..' cannot be a path segment" in out and "header X-Note: a header value cannot hold" in out


def test_path_segment_encoding():
    from runner.rc.wire import UnsendableValue, path_segment

    assert path_segment("1/2?x=1#f %") == "1%2F2%3Fx%3D1%23f%20%25"
    assert path_segment("a-b_c.d~e") == "a-b_c.d~e" and path_segment(42) == "42"
    for bad in ("", ".", ".."):
        with pytest.raises(UnsendableValue):
            path_segment(bad)


@pytest.mark.parametrize("value", ["caf\u00e9", "a\\r\\nX-Evil: 1", "bell\\a"])
def test_check_refuses_a_literal_header_that_cannot_be_sent(value, tmp_path, capsys):
    endpoints = f'  - request: GET /restapi/v1.0/account/~/extension/~\n    headers: {{X-Note: "{value}"}}\n'
    plan = write_plan(tmp_path, endpoints)
    assert main(["check", plan]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ":8: endpoints[0].headers.X-Note:" in err


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["graduate", "--calls", "2000000"], "--calls: expected 0 to 28800 (what Heavy allows in two days)"),
        (["warmup", "--calls", "100000000000"], "--calls: expected 0 to 28800"),
        (["warmup", "--daily", "-5"], "--daily: expected 1 to 28800"),
        (["warmup", "--daily", "1000000"], "--daily: expected 1 to 28800"),
    ],
)
@pytest.mark.loopback
def test_absurd_counts_are_refused_before_anything_is_sent(argv, flag, tmp_path, monkeypatch, capsys):
    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import SCOPES, use

    plan = write_plan(tmp_path)  # extension (Light), presence (Light), call log (Heavy)
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        assert main([argv[0], plan, "--server", sb.url, *argv[1:]]) == 2
        assert not sb.state.log  # not even a login
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err


@pytest.mark.parametrize(
    "extra, key",
    [
        ("    calls: 100000000\n", "endpoints[0].calls: at most 28800 (what Heavy allows in two days)"),
        ("warmup: {daily_calls: 100000000}\n", "warmup.daily_calls: at most 28800"),
    ],
)
def test_absurd_counts_in_the_plan_are_refused_by_check(extra, key, tmp_path, capsys):
    endpoints = "  - request: GET /restapi/v1.0/account/~/extension/~/call-log\n"
    if extra.startswith("    "):
        endpoints += extra
    plan = write_plan(tmp_path, endpoints)
    if not extra.startswith("    "):
        with open(plan, "a") as handle:
            handle.write(extra)
    assert main(["check", plan]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err


def _bomb(levels: int) -> str:
    lines = [
        "app: {name: x, description: A test app that reads one extension only., scopes: [ReadAccounts]}",
        "vars:",
    ]
    lines.append("  l0: &l0 [x, x, x, x, x, x, x, x, x, x]")
    for n in range(1, levels):
        lines.append(f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]")
    lines += ["endpoints:", "  - GET /restapi/v1.0/account/~/extension/~", ""]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "text, message",
    [
        (_bomb(9), ":7: yaml: more than 100000 values once aliases are expanded"),
        (
            _bomb(5)
            + "  - request: POST /x\n    json: {a: *l4, b: *l4, c: *l4, d: *l4, e: *l4, f: *l4, g: *l4, h: *l4, i: *l4, j: *l4, k: *l4}\n",
            "yaml: more than 100000",
        ),
        (
            "app: &r {name: x, scopes: [ReadAccounts], more: *r}\nendpoints: []\n",
            ":1: yaml: an alias refers to the value that contains it",
        ),
        (
            b'app: {name: x}\nvars: {a: "\xff"}\n',
            ":2: yaml: not UTF-8 text (byte 0xff)",
        ),
    ],
    ids=["nested aliases", "aliases in json", "recursive alias", "not UTF-8"],
)
def test_hostile_yaml_is_one_line_and_exit_2_at_once(text, message, tmp_path, capsys):
    import time

    plan = tmp_path / "plan.yaml"
    if isinstance(text, bytes):
        plan.write_bytes(text)
    else:
        plan.write_text(text)
    started = time.monotonic()
    assert main(["check", str(plan)]) == 2
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_reading_an_endless_file_stops_at_the_cap(tmp_path, capsys):
    assert main(["check", "/dev/zero"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "rcgrad: /dev/zero: yaml: not a regular file (a pipe or a device?); a plan is a few KB of YAML"
    )
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2**20 + 1))
    assert main(["check", str(big)]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("big.yaml: yaml: larger than 1 MB; a plan is a few KB of YAML")
    )


@pytest.mark.parametrize(
    "extra, key",
    [
        ("criteria: {min_total_successes: .inf}\n", "criteria.min_total_successes: expected a finite number"),
        ("criteria: {max_4xx_ratio: .nan}\n", "criteria.max_4xx_ratio: expected a finite number"),
        ("limits: {edge_seconds: .inf}\n", "limits.edge_seconds: expected a number of seconds from 0 to 60"),
        ("limits: {edge_seconds: .nan}\n", "limits.edge_seconds: expected a number of seconds from 0 to 60"),
    ],
)
def test_numbers_that_are_not_numbers_are_refused_by_check(extra, key, tmp_path, capsys):
    plan = write_plan(tmp_path)
    with open(plan, "a") as handle:
        handle.write(extra)
    assert main(["check", plan]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "--time-scale", "nan"],
        ["sandbox", "--time-scale", "inf"],
        ["sandbox", "--limits", "Light=\u00b2"],
        ["graduate", "plan.yaml", "--timeout", "inf"],
        ["graduate", "plan.yaml", "--deadline", "nan"],
        ["warmup", "plan.yaml", "--deadline", "-1"],
    ],
)
def test_flags_that_are_not_finite_numbers_are_refused(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own one-line refusal
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.loopback
@pytest.mark.parametrize("target", ["{dir}", "{dir}/missing/verdict.json", "/dev/full"])
def test_report_paths_are_checked_before_the_first_request(target, tmp_path, monkeypatch, capsys):
    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import SCOPES, use

    plan = write_plan(tmp_path)
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", plan, "--server", sb.url, "--json", target.format(dir=tmp_path)])
        assert code == 2 and not sb.state.log
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--json:" in err, err


@pytest.mark.parametrize(
    ("flag", "target"),
    [
        ("--junit", "/proc/version"),
        ("GITHUB_STEP_SUMMARY", "{dir}"),
        ("GITHUB_STEP_SUMMARY", "{dir}/missing/summary.md"),
        ("GITHUB_STEP_SUMMARY", "/dev/full"),
    ],
)
@pytest.mark.loopback
def test_every_output_is_opened_before_the_first_request(flag, target, tmp_path, monkeypatch, capsys):
    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import SCOPES, use

    plan = write_plan(tmp_path)
    extra = [flag, target.format(dir=tmp_path)] if flag.startswith("--") else []
    if not extra:
        monkeypatch.setenv(flag, target.format(dir=tmp_path))
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        assert main(["graduate", plan, "--server", sb.url, *extra]) == 2 and not sb.state.log
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{flag}:" in err, err


@pytest.mark.loopback
def test_a_write_that_fails_after_the_run_is_one_line_and_keeps_the_earlier_file(
    tmp_path, monkeypatch, capsys
):
    import errno
    import os

    import runner.fileio
    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import SCOPES, use

    plan = write_plan(tmp_path)
    earlier = tmp_path / "verdict.json"
    earlier.write_text('{"met": "from yesterday"}')
    summary = tmp_path / "summary.md"
    summary.write_text("# an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    real_fsync = os.fsync

    def disk_full(fd: int) -> None:  # the reports' disk is full; the home's is not
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path / ".verdict.json-")) or (
            os.readlink(f"/proc/self/fd/{fd}") == str(summary)
        ):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        monkeypatch.setattr(runner.fileio.os, "fsync", disk_full)
        code = main(["graduate", plan, "--server", sb.url, "--json", str(earlier), "-q"])
        assert sb.state.log  # the traffic went out: the verdict, not the disk, decides the code
    err = capsys.readouterr().err
    assert code in (0, 1) and "Traceback" not in err
    lines = [line for line in err.splitlines() if "could not write" in line]
    assert len(lines) == 2 and "--json" in lines[0] and "GITHUB_STEP_SUMMARY" in lines[1], err
    assert earlier.read_text() == '{"met": "from yesterday"}'
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_home_of_another_user_or_a_shared_sticky_folder_is_refused(tmp_path, monkeypatch, capsys):
    import os

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("RCGRAD_HOME", str(shared))
    assert main(["status", write_plan(tmp_path)]) == 2
    assert "RCGRAD_HOME: " in capsys.readouterr().err and shared.stat().st_mode & 0o7777 == 0o1777
    if os.getuid() != 0:
        pytest.skip("giving a folder to another user needs root (CI runs as root)")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    monkeypatch.setenv("RCGRAD_HOME", str(theirs))
    assert main(["graduate", write_plan(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "belongs to another user" in err and len(err.strip().splitlines()) == 1
    assert not any(theirs.iterdir())


def test_a_fleet_never_writes_two_apps_reports_to_one_file(tmp_path, monkeypatch, capsys):
    from runner.commands.options import report_names

    plans = [tmp_path / "alpha.yaml", tmp_path / "sub" / "alpha.yaml", tmp_path / "beta.yaml"]
    plans[1].parent.mkdir()
    for index, plan in enumerate(plans):
        plan.write_text(PLAN_FOR_FLEET.format(index=index))
    monkeypatch.chdir(tmp_path)
    relative = [p.relative_to(tmp_path) for p in plans]
    assert report_names(relative) == ["alpha", "sub-alpha", "beta"]
    out = tmp_path / "out"
    out.mkdir()
    main(["status", *map(str, relative), "--json", "out/v.json"])
    assert sorted(p.name for p in out.iterdir()) == ["v.alpha.json", "v.beta.json", "v.sub-alpha.json"]
    with pytest.raises(InputError, match="would write the same report files"):
        report_names([Path("a-b.yaml"), Path("a/b.yaml"), Path("b.yaml")])


def test_a_world_writable_home_is_made_owner_only(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    monkeypatch.setenv("RCGRAD_HOME", str(home))
    assert main(["check", write_plan(tmp_path)]) in (0, 1)
    from runner.settings import ensure_state_home

    assert ensure_state_home() == home and home.stat().st_mode & 0o777 == 0o700


def test_secrets_read_from_env_are_masked_by_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RC_APP_CLIENT_SECRET", "s3cr3t-client-value")
    monkeypatch.setenv("CRM_API_TOKEN", "tok-0123456789abcdef")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "app:\n  name: app ${RC_APP_CLIENT_SECRET}\n"
        "  description: A test app that reads the user's extension to show secrets are masked.\n"
        "  scopes: [ReadAccounts]\nserver: local\nendpoints:\n"
        "  - name: read ${CRM_API_TOKEN}\n    request: GET /restapi/v1.0/account/~/extension/~\n"
        "  - request: GET /restapi/v1.0/account/~/nowhere/${CRM_API_TOKEN}\n"
    )
    main(["check", str(plan)])
    out, err = capsys.readouterr()
    assert "s3cr3t-client-value" not in out + err and "tok-0123456789abcdef" not in out + err
    assert "***" in out + err


@pytest.mark.parametrize("what", ["corrupt ledger", "ledger is a folder", "non-UTF-8 .env"])
def test_broken_state_files_are_one_line_not_a_traceback(what, tmp_path, monkeypatch, rcgrad_home, capsys):
    monkeypatch.chdir(tmp_path)
    plan = write_plan(tmp_path)
    rcgrad_home.mkdir(parents=True, exist_ok=True)
    if what == "corrupt ledger":
        (rcgrad_home / "ledger.sqlite3").write_bytes(b"not a database, just text" * 100)
    elif what == "ledger is a folder":
        (rcgrad_home / "ledger.sqlite3").mkdir()
    else:
        (tmp_path / ".env").write_bytes(b"RC_APP_CLIENT_ID=x\nRC_USER_JWT=\xff\n")
    args = (
        ["status", plan] if what != "non-UTF-8 .env" else ["status", plan, "--server", "https://example.com"]
    )
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert (".env:2:" in err) if what == "non-UTF-8 .env" else ("ledger" in err)


def test_plan_init_into_an_unwritable_place_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["plan", "init", "--scopes", "ReadAccounts", "--out", str(blocker / "dir" / "x.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot write the plan" in err, err


@pytest.mark.loopback
def test_apply_on_two_days_ahead_sends_nothing_and_names_the_day(tmp_path, monkeypatch, capsys):
    import datetime as dt

    from runner.sandbox import SandboxConfig, running_sandbox
    from tests.rehearsal import SCOPES, use

    plan = write_plan(tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    apply_on = today + dt.timedelta(days=2)
    with running_sandbox(SandboxConfig(scopes=frozenset(SCOPES), time_scale=0.02)) as sb:
        use(monkeypatch, sb)
        code = main(["graduate", plan, "--server", sb.url, "--apply-on", apply_on.isoformat()])
        assert code == 1 and not sb.state.log
    out = capsys.readouterr().out
    assert f"Run graduate on {today + dt.timedelta(days=1)}" in out and "CRITERIA MET" not in out


@pytest.mark.loopback
def test_the_sandbox_control_api_refuses_bad_values_and_stays_usable():
    import httpx

    from runner.sandbox import SandboxConfig, running_sandbox

    with running_sandbox(SandboxConfig(scopes=frozenset({"ReadAccounts"}), time_scale=0.02)) as sb:
        for body in ({"latency": "abc"}, {"force_429": 1.5}, {"latency": -1}, {"error_rate": None}):
            assert (
                httpx.post(f"{sb.url}/__sandbox/faults", headers=sb.control_headers, json=body).status_code
                == 400
            )
        assert (
            httpx.get(
                f"{sb.url}/__sandbox/log", headers=sb.control_headers, params={"since": "abc"}
            ).status_code
            == 400
        )
        # Nothing was half-set: the API still answers, with every fault off.
        answer = httpx.get(f"{sb.url}/restapi/v1.0/account/~/extension/~")
        assert answer.status_code == 401  # no token: the sandbox works, it just wants a login
        assert (
            httpx.post(f"{sb.url}/__sandbox/faults", headers=sb.control_headers, json={}).json()["latency"]
            == 0.0
        )


@pytest.mark.parametrize("target", ["{dir}", "{dir}/missing/rows.csv", "/dev/full"])
def test_the_csv_export_path_is_checked_before_the_ledger_is_read(target, tmp_path, capsys):
    code = main(["ledger", "export", "--csv", target.format(dir=tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--csv:" in err, err
    assert not (tmp_path / "rcgrad-home" / "ledger.sqlite3").exists()  # nothing opened, nothing made


@pytest.mark.subprocess
def test_a_csv_export_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    from runner.ledger.ledger import Ledger
    from runner.records import CallRecord

    with Ledger.open() as ledger:  # more rows than a pipe holds: the writer must meet the closed end
        key = ledger.partition("local", "app", "user")
        row = CallRecord(
            ts=1.0,
            method="GET",
            template="/restapi/v1.0/account/{accountId}",
            status=200,
            group="Light",
            permission=None,
        )
        ledger.append_many(key, [row] * 5000)
    # `rcgrad ledger export --csv - | head -1` with a reader that stops at once.
    proc = subprocess.run(
        f"{sys.executable} -m runner ledger export --csv - | head -c 0",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr, proc.stderr


# Strings two readers read differently (issue: the SDK reached production while the consent check
# saw another host, or credentials crossed the network in clear text to a "loopback" host).
AMBIGUOUS_SERVERS = [
    "https://platform%2eringcentral%2ecom",
    "https://platform.ringcentral.com\\@x.devtest.ringcentral.com",
    "https://x.devtest.ringcentral.com\\@platform.ringcentral.com\u3002",
    "http://rc.localhost",
    "http://10.9.9.9\\@127.0.0.1:18999",
]


@pytest.mark.parametrize("server", AMBIGUOUS_SERVERS)
@pytest.mark.parametrize("command", ["graduate", "login", "logout", "token"])
def test_a_server_read_two_ways_sends_nothing_without_consent(command, server, tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    import runner.auth.sdk

    def no_sdk(*args, **kwargs):
        raise AssertionError("the SDK was built")

    monkeypatch.setattr(runner.auth.sdk, "Platform", no_sdk)
    plan = write_plan(tmp_path)
    code = main([command, plan, "--server", server])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert any(word in err for word in ("--allow-production", "--allow-insecure-http", "server URL")), err


def test_the_sdk_and_httpx_are_handed_the_one_normalised_url(tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    _no_network(monkeypatch)
    import runner.auth.sdk

    seen: list[str] = []

    class Refused(Exception):
        pass

    def platform(client, client_id, secret, server, **kwargs):
        seen.append(server)
        raise Refused

    monkeypatch.setattr(runner.auth.sdk, "Platform", platform)
    plan = write_plan(tmp_path)
    with pytest.raises(Refused):
        main(["login", plan, "--server", "https://platform%2eringcentral%2ecom", "--allow-production"])
    assert seen == ["https://platform.ringcentral.com"]


@pytest.mark.subprocess
def test_schedule_judges_and_carries_the_same_server(tmp_path, monkeypatch, capsys):
    _credentials(monkeypatch, tmp_path)
    plan = write_plan(tmp_path)
    args = ["schedule", plan, "--cron", "--repo", str(tmp_path), "--server"]
    assert main([*args, "https://platform%2eringcentral%2ecom"]) == 2
    assert "--allow-production" in capsys.readouterr().err
    assert main([*args, "https://platform%2eringcentral%2ecom", "--allow-production"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert "'--server' 'https://platform.ringcentral.com' '--allow-production'" in line


HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("yaml_part", "key"),
    [
        (f"    query: {{perPage: {HUGE}}}\n", "yaml"),
        (f"    calls: {HUGE}\n", "yaml"),
    ],
)
def test_a_number_of_thousands_of_digits_is_one_line(yaml_part, key, tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "app: {name: a, scopes: [ReadAccounts]}\nendpoints:\n"
        "  - request: GET /restapi/v1.0/account/~/extension\n" + yaml_part
    )
    for command in ("check", "graduate"):
        assert main([command, str(plan)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"plan.yaml:4: {key}: a number of 5000 digits" in err, err


def test_an_apply_day_no_calendar_can_hold_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["graduate", str(REPO / "plans" / "example.yaml"), "--apply-on", "0001-01-01"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--apply-on" in err, err


def test_a_plan_that_is_a_fifo_is_refused_at_once(tmp_path, capsys):
    import os

    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    assert main(["check", str(fifo)]) == 2  # blocked forever before (no writer ever comes)
    err = capsys.readouterr().err.strip()
    assert "not a regular file" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("count", ["3000000000", "100000000000000000000", HUGE])
def test_imported_counts_beyond_any_window_are_one_line(count, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    csv = tmp_path / "console.csv"
    csv.write_text(f"2026-12-06,GET,/restapi/v1.0/account/~/extension/~,200,{count}\n")
    from runner.ledger.ledger import Ledger

    with Ledger.open() as ledger:  # the partition a run used
        ledger.partition("https://platform.ringcentral.com", "x", "u")
    argv = ["ledger", "import", str(csv), "--server", "production", "--client-id", "x", "--user-id", "u"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "console.csv:1: count: not a count from 0 to 1,000,000" in err and len(err.splitlines()) == 1


def test_migrate_refuses_rows_no_window_holds_in_one_line(tmp_path, capsys):
    import sqlite3

    from runner.ledger.ledger import Ledger
    from runner.records import CallRecord

    path = tmp_path / "old.sqlite3"
    with Ledger.open(path) as ledger:
        key = ledger.partition("https://platform.ringcentral.com", "x", "u")
        ledger.append(
            key,
            CallRecord(
                ts=1.0,
                method="GET",
                template="/restapi/v1.0/account/~",
                status=200,
                group="Light",
                permission="ReadAccounts",
            ),
        )
    with sqlite3.connect(path) as db:  # a row an older rcgrad imported unchecked
        db.execute("UPDATE calls SET count = 100000000000000000000")
    assert (
        main(["ledger", "migrate", "--ledger", str(path), "--to", "postgresql://nobody@127.0.0.1:1/x"]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "outside 1 to 1,000,000" in err, err
