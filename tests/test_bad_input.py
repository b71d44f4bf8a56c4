"""Bad input, generated: CLI flags, ledger import files and capture expressions only ever give the
documented one-line error and exit 2, never a traceback; and a refused command sends nothing."""

from __future__ import annotations

import shlex
import shutil
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main
from runner.errors import InputError
from runner.jsonpath import extract, parse
from runner.ledger.console_csv import catalog_resolver, parse_console_csv
from tests.conftest import REPO

# A copy in the test's working directory: a random `--csv PATH` or `--json PATH` may write over it.
EXAMPLE = "example.yaml"
COMMANDS = [
    "check",
    "graduate",
    "warmup",
    "status",
    "ledger",
    "schedule",
    "plan",
    "login",
    "token",
    "sandbox",
]
FLAGS = [
    "--server",
    "--calls",
    "--apply-on",
    "--daily",
    "--json",
    "--timeout",
    "--deadline",
    "--dry-run",
    "--cron",
    "--port",
    "--scopes",
    "--limits",
    "--time-scale",
    "-v",
    "-q",
    "--bogus",
    "export",
    "import",
    "--csv",
]
VALUES = st.sampled_from(
    ["", "-1", "0", "abc", "2026-02-30", "ftp://x", "http://", "Heavy=0", "1e9", "☃", EXAMPLE]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(COMMANDS),
    pairs=st.lists(st.tuples(st.sampled_from(FLAGS), VALUES), max_size=3),
)
@pytest.mark.loopback
def test_random_flags_give_exit_2_or_a_clean_outcome_never_a_traceback(
    command, pairs, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # whatever a random --json or --out writes lands here
    shutil.copyfile(REPO / "plans" / "example.yaml", tmp_path / EXAMPLE)
    argv = [command]
    if command not in ("ledger", "sandbox", "plan"):
        argv.append("/nonexistent/plan.yaml")
    for flag, value in pairs:
        argv += [flag, value]
    if "--dry-run" not in argv and command in ("graduate", "warmup"):
        argv.append("--dry-run")  # never wait on the network here, whatever else is wrong
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if command == "sandbox":  # a taken port, so that even good flags end at once instead of serving
            argv += ["--port", str(taken.getsockname()[1])]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own exit for --help-like paths
            code = int(exc.code or 0)
    if command == "sandbox":
        assert code == 2, shlex.join(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, shlex.join(argv)
    if code == 2:
        lines = [line for line in err.strip().splitlines() if line]
        assert lines and len(lines[-1]) < 400, shlex.join(argv)


CSV_CELLS = st.one_of(
    st.sampled_from(
        [
            "2026-11-21",
            "GET",
            "POST",
            "/restapi/v1.0/account/~/extension/~",
            "2xx",
            "4xx",
            "200",
            "5",
            "-3",
            "x",
            "",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CSV_CELLS, min_size=0, max_size=6), max_size=5))
def test_random_import_files_only_ever_give_input_errors_naming_the_line(rows):
    text = "\n".join(",".join(cell.replace(",", " ").replace("\n", " ") for cell in row) for row in rows)
    try:
        parse_console_csv(text, "console.csv", "run", catalog_resolver())
    except InputError as error:
        assert str(error).startswith("console.csv") and "\n" not in str(error)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="$.[]'\"-0123456789abc_ ", max_size=20),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=3),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(st.sampled_from(["a", "b", "records", "id"]), kids, max_size=3)
        ),
        max_leaves=10,
    ),
)
def test_captures_either_parse_or_refuse_and_lookups_only_raise_lookup_errors(expression, document):
    try:
        parse(expression)
    except ValueError:
        return
    try:
        extract(expression, document)
    except LookupError:
        pass
    except IndexError:
        pytest.fail("IndexError escaped")  # IndexError is a LookupError; kept explicit for readers
