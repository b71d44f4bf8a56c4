"""Credentials from the environment or .env, state home, and the redactor."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from runner import redact
from runner.errors import CredentialsError, InputError
from runner.settings import credentials_from, ensure_state_home, environment, read_dotenv, resolve_server


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nexport RC_SERVER_URL='https://platform.ringcentral.com'\nRC_APP_CLIENT_ID=abc\n"
        'RC_APP_CLIENT_SECRET="s3cr3t-value"  # the app\'s secret\nRC_USER_JWT=eyJ.jwt.value\n'
    )
    assert read_dotenv(tmp_path / ".env")["RC_APP_CLIENT_SECRET"] == "s3cr3t-value"
    merged = environment(tmp_path, {"RC_APP_CLIENT_ID": "from-env"})
    creds = credentials_from(merged)
    assert creds.client_id == "from-env"
    assert creds.server == "https://platform.ringcentral.com"
    assert "s3cr3t" not in repr(creds) and "eyJ" not in repr(creds)


@pytest.mark.parametrize(
    ("line", "where", "why"),
    [
        ("RC_APP_CLIENT_SECRET S3cr3tValue99", ".env:2: ", "expected KEY=value (the line is not shown)"),
        ("RC USER JWT=S3cr3tValue99", ".env:2: ", "expected KEY=value"),
        ('RC_USER_JWT="S3cr3tValue99', ".env:2: RC_USER_JWT: ", "its quote is not closed"),
        ("RC_USER_JWT='S3cr3tValue99' x", ".env:2: RC_USER_JWT: ", "text after its closing quote"),
    ],
)
def test_a_malformed_dotenv_line_is_bad_input_named_by_file_and_line_never_shown(
    tmp_path: Path, line: str, where: str, why: str
) -> None:
    """Skipped or half-read, it would surface as a "missing" credential (exit 3) or a wrong one sent
    to the token endpoint, with nothing pointing at the line."""
    (tmp_path / ".env").write_text(f"RC_APP_CLIENT_ID=abc\n{line}\n")
    with pytest.raises(InputError) as err:
        environment(tmp_path, {})
    text = str(err.value)
    assert text.startswith(str(tmp_path / ".env")) and where in text and why in text
    assert "S3cr3t" not in text and err.value.exit_code == 2


def test_missing_credentials_name_the_variables_not_values() -> None:
    with pytest.raises(CredentialsError) as err:
        credentials_from({"RC_APP_CLIENT_ID": "abc"})
    text = str(err.value)
    assert "RC_SERVER_URL" in text and "RC_USER_JWT" in text and "RC_APP_CLIENT_SECRET" in text
    assert err.value.exit_code == 3


def test_server_aliases() -> None:
    assert resolve_server("production") == "https://platform.ringcentral.com"
    assert resolve_server("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_state_home_is_owner_only(rcgrad_home: Path) -> None:
    home = ensure_state_home()
    assert home == rcgrad_home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_redactor_masks_registered_secrets_and_token_shapes(caplog: pytest.LogCaptureFixture) -> None:
    redact.register("registered-secret-123", "short")
    text = redact.redact(
        "x registered-secret-123 y; Authorization: Bearer abc.def; access_token=zzzzzzzzzz&a=1 short"
    )
    assert "registered-secret-123" not in text and "abc.def" not in text and "zzzzzzzzzz" not in text
    # Prose such as "RC_USER_JWT: set it in .env" is not a token.
    assert redact.redact("missing RC_USER_JWT: set it") == "missing RC_USER_JWT: set it"
    assert "short" in text  # too short to register safely
    logger = logging.getLogger("rcgrad.test")
    handler = logging.StreamHandler()
    handler.addFilter(redact.RedactingFilter())
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="rcgrad.test"):
            logger.info("sending %s", "registered-secret-123")
    finally:
        logger.removeHandler(handler)
