"""A secret never appears in any output, file name, log or report, in any encoding.

Attacks that got through before: a secret in an item's name or the app's name (printed raw by
graduate, --dry-run and the scheduled warm-up's log, escaped in JSON and HTML, slugged into the
ledger partition and file names), a secret with special characters in a path variable (printed
percent-encoded by -v), a PostgreSQL password in ``?password=`` or in libpq's keyword form, and a
plan path that a generated GitHub workflow would evaluate.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from runner import redact
from runner.cli import main

SECRET = 'Zq9"<&>/+ %é~secret-value'  # every character some encoding changes


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        html.escape(SECRET),
        html.escape(SECRET, quote=False),
        quote(SECRET, safe=""),
        quote(SECRET, safe="").lower(),
        quote(SECRET),
        quote_plus(SECRET),
    ],
)
def test_a_registered_secret_is_masked_in_every_form(form):
    redact.register(SECRET)
    assert redact.redact(f"before {form} after") == f"before {redact.MASK} after"
    assert redact.contains_secret(form)


PLAN = """\
app:
  name: {name}
  description: Reads the user's extension record to show who is signed in, for a secrets test.
  scopes: [ReadAccounts]
server: local
endpoints:
  - name: {item}
    request: GET /restapi/v1.0/account/~/extension/~
"""


@pytest.mark.parametrize(
    ("name", "item", "key"),
    [
        ("plain app", '"hdr ${RC_APP_CLIENT_SECRET}"', "endpoints[0].name"),
        ('"${RC_APP_CLIENT_SECRET}"', "read", "app.name"),
        ('"app ${MY_API_TOKEN}"', "read", "app.name"),
    ],
)
@pytest.mark.parametrize(
    "argv", [["graduate"], ["graduate", "--dry-run"], ["warmup"], ["status"], ["check"], ["login"]]
)
def test_a_name_holding_a_secret_is_refused_before_anything_is_named_after_it(
    name, item, key, argv, tmp_path: Path, monkeypatch, capsys
):
    secret = "cl13nt-s3cr3t-value-for-names"
    monkeypatch.setenv("RC_APP_CLIENT_SECRET", secret)
    monkeypatch.setenv("MY_API_TOKEN", secret)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(name=name, item=item))
    home = Path(str(tmp_path / "rcgrad-home"))
    monkeypatch.setenv("RCGRAD_HOME", str(home))
    code = main([argv[0], str(plan), *argv[1:], "--json", str(tmp_path / "v.json")][: 2 + len(argv[1:])])
    out, err = capsys.readouterr()
    assert code == 2 and f"{key}: holds a secret" in err, err
    assert len(err.strip().splitlines()) == 1
    for text in (out, err):
        assert not any(form in text for form in redact.encodings(secret) | {secret.replace("-", "")})
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != plan]
    assert not any(secret in p.name or "s3cr3t" in p.name for p in written)
    assert not any("s3cr3t" in p.read_text(errors="replace") for p in written)


def test_a_secret_in_a_path_variable_is_masked_in_every_verbose_line(tmp_path: Path, monkeypatch, capsys):
    """-v logs each request's URL, where the value is percent-encoded."""
    secret = "p@th/s3cr3t?value&more"
    monkeypatch.setenv("MY_SECRET", secret)
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN.format(name="verbose", item="read").replace(
            "extension/~\n",
            "extension/~\n    query: {page: 1}\n  - GET /restapi/v1.0/account/~/extension/{{x}}\n",
        )
        + "vars: {x: '${MY_SECRET}'}\n"
    )
    main(["graduate", str(plan), "-v"])
    out, err = capsys.readouterr()
    assert "extension/" in err  # the verbose lines are there
    for text in (out, err):
        for form in redact.encodings(secret):
            assert form not in text and form.lower() not in text.lower(), form


@pytest.mark.parametrize(
    "ledger",
    [
        "postgresql://rcgrad@127.0.0.1:1/db?password=hunter2-s3cr3t",
        "host=127.0.0.1 port=1 password=hunter2-s3cr3t dbname=db",
        "postgresql://rcgrad:hunter2-s3cr3t@127.0.0.1:1/db",
    ],
)
def test_a_database_password_is_read_as_libpq_reads_it_and_never_shown(
    ledger, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code = main(["ledger", "export", "--csv", "-", "--ledger", ledger])
    out, err = capsys.readouterr()
    assert code == 2 and "cannot open the ledger" in err, err
    assert "hunter2" not in out + err
    assert not [p for p in tmp_path.rglob("*") if "hunter2" in p.name]  # never a SQLite file name


def test_a_plan_path_the_workflow_would_evaluate_is_refused(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plan = tmp_path / "${{ secrets.RC_USER_JWT }}.yaml"
    plan.write_text(PLAN.format(name="wf", item="read"))
    code = main(
        ["schedule", str(plan), "--github-actions", "--repo", str(tmp_path), "--rcgrad-from", "rcgrad"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "${{" in err and len(err.strip().splitlines()) == 1, err


def test_an_unreadable_plan_named_after_a_secret_is_masked(tmp_path: Path, monkeypatch, capsys):
    """A workflow that evaluated the name: the path now holds the JWT itself."""
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
    monkeypatch.setenv("RC_USER_JWT", jwt)
    assert main(["graduate", str(tmp_path / f"{jwt}.yaml")]) == 2
    out, err = capsys.readouterr()
    assert jwt not in out + err and "***" in err
