"""Where rcgrad keeps state and where credentials come from.

State lives under ``$RCGRAD_HOME`` (default ``~/.local/state/rcgrad``), created owner-only.
Credentials come from ``RC_SERVER_URL``, ``RC_APP_CLIENT_ID``, ``RC_APP_CLIENT_SECRET`` and
``RC_USER_JWT``, from the environment or a ``.env`` file in the working directory (the
environment wins). This module must never print or log a credential value.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from runner.errors import CredentialsError, InputError
from runner.fileio import NotText, utf8_text
from runner.rc.hosts import PRODUCTION_URL, SANDBOX_URL, ServerUrlError, parse_server

SERVER_ALIASES = {"production": PRODUCTION_URL, "sandbox": SANDBOX_URL}
CREDENTIAL_VARS = ("RC_SERVER_URL", "RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT")


def ensure_state_home(env: Mapping[str, str] | None = None) -> Path:
    """``$RCGRAD_HOME`` (default ``~/.local/state/rcgrad``), created owner-only when missing; refused
    when another user owns it or it is a shared sticky folder; tightened when it is ours but open."""
    env = os.environ if env is None else env
    raw = env.get("RCGRAD_HOME") or str(Path.home() / ".local" / "state" / "rcgrad")
    home = Path(raw).expanduser()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = home.stat()
    # As ssh treats ~/.ssh: a home another user owns is theirs to swap the ledger or the tokens in,
    # and a shared sticky folder (/tmp) is everyone's; neither is ours to use or to chmod.
    if info.st_uid != os.getuid():
        raise InputError(f"{home} belongs to another user; use a folder of your own", key="RCGRAD_HOME")
    if info.st_mode & stat.S_ISVTX:
        raise InputError(
            f"{home} is a shared folder (sticky, like /tmp); use a folder of your own in it",
            key="RCGRAD_HOME",
        )
    # Our own folder made with a loose umask: tighten it (it holds nothing anyone else may read).
    if info.st_mode & 0o077:
        try:
            home.chmod(0o700)
        except OSError:
            raise CredentialsError(
                f"{home} is readable or writable by others and cannot be made private"
            ) from None
    return home


LEDGER_VAR = "RCGRAD_LEDGER"
NOTIFY_VAR = "RCGRAD_NOTIFY"  # the webhook alerts go to (a secret: its path is the hook's key)


def ledger_target(
    target: Path | str | None, *, default_file: str, env: Mapping[str, str] | None = None
) -> Path | str:
    """Where the ledger is: ``target`` (``--ledger``), else ``$RCGRAD_LEDGER`` (a file path or a
    ``postgresql://`` URL), else ``default_file`` under ``ensure_state_home()``."""
    if target is not None and str(target):
        return target
    chosen = (os.environ if env is None else env).get(LEDGER_VAR, "").strip()
    if chosen:
        return chosen
    return ensure_state_home(env) / default_file


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines; ``#`` comments, ``export`` prefixes and matching quotes are handled."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    data = path.read_bytes()
    try:
        text = utf8_text(data)
    except NotText as exc:
        raise InputError("not UTF-8 text", file=str(path), line=exc.line) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # A line is never echoed in an error: it may hold a secret.
        key, equals, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        if not equals or not _NAME.fullmatch(key):
            # Skipped, a credential would be "missing" (exit 3), with nothing pointing here.
            raise InputError("expected KEY=value (the line is not shown)", file=str(path), line=number)
        value = value.strip()
        if value[:1] in ("'", '"'):
            end = value.find(value[0], 1)
            if end < 0:
                raise InputError("its quote is not closed", file=str(path), line=number, key=key)
            rest = value[end + 1 :].strip()
            if rest and not rest.startswith("#"):  # a comment may follow the closing quote
                raise InputError("text after its closing quote", file=str(path), line=number, key=key)
            value = value[1:end]
        values[key] = value
    return values


def environment(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment layered over ``.env`` from ``cwd``."""
    merged = read_dotenv((cwd or Path.cwd()) / ".env")
    merged.update(os.environ if env is None else env)
    return merged


@dataclass(frozen=True)
class Credentials:
    server: str
    client_id: str
    client_secret: str = field(repr=False)
    jwt: str = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any output; the redactor masks them."""
        return tuple(s for s in (self.client_secret, self.jwt) if s)


def credentials_from(values: Mapping[str, str], server: str | None = None) -> Credentials:
    missing = [name for name in CREDENTIAL_VARS[1:] if not values.get(name)]
    server_url = server or values.get("RC_SERVER_URL")
    if not server_url:
        missing.insert(0, "RC_SERVER_URL")
    if missing:
        raise CredentialsError(
            f"missing {', '.join(missing)}: set them in the environment or in .env in this directory"
        )
    assert server_url is not None
    return Credentials(
        server=resolve_server(server_url, key="server" if server else "RC_SERVER_URL"),
        client_id=values["RC_APP_CLIENT_ID"],
        client_secret=values["RC_APP_CLIENT_SECRET"],
        jwt=values["RC_USER_JWT"],
    )


def app_identity(server: str, env: Mapping[str, str] | None = None) -> Credentials:
    """The app (client id) and, when set, the user's JWT, without demanding a secret: enough to find a
    ledger partition. ``client_secret`` is always empty here; ``jwt`` may be."""
    values = environment() if env is None else dict(env)
    server_url = server if server not in ("", None) else values.get("RC_SERVER_URL", "")
    if not values.get("RC_APP_CLIENT_ID") or not server_url:
        missing = [
            n
            for n, v in (("RC_SERVER_URL", server_url), ("RC_APP_CLIENT_ID", values.get("RC_APP_CLIENT_ID")))
            if not v
        ]
        raise CredentialsError(
            f"missing {', '.join(missing)}: the app's client id names its ledger partition"
            " (set it in the environment or in .env in this directory)"
        )
    return Credentials(
        resolve_server(server_url, key="server" if server else "RC_SERVER_URL"),
        values["RC_APP_CLIENT_ID"],
        "",
        values.get("RC_USER_JWT", ""),
    )


def resolve_server(server: str, *, key: str = "server") -> str:
    """The one normalised URL of a server alias or URL, the string every client is handed; a URL
    that clients could read differently is bad input naming ``key`` (its text is not echoed: it
    may hold a password before an @)."""
    try:
        return parse_server(SERVER_ALIASES.get(server, server)).url
    except ServerUrlError as exc:
        raise InputError(f"the server URL {exc}", key=key) from None
