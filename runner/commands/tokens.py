"""``rcgrad login PLAN``, ``rcgrad logout PLAN`` and ``rcgrad token PLAN``: the stored tokens by hand.

``login`` logs in only when no usable token is stored, ``logout`` revokes and deletes, ``token``
shows expiry times without touching the network. This module must never print a token, the JWT or
the client secret: every line shown names a token only as ``***``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import anyio

from runner import redact
from runner.clock import SystemClock
from runner.errors import CredentialsError, InputError
from runner.settings import Credentials, credentials_from, environment
from runner.token_store import StoredTokens, TokenStore
from runner.tokens import TokenManager

MASK = redact.MASK


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file (YAML) of the app whose tokens these are")
    parser.set_defaults(token_command=name)


def run(args: argparse.Namespace) -> int:
    credentials = open_credentials(args)
    command = getattr(args, "token_command", None) or args.command
    if command == "login":
        lines = anyio.run(_login, credentials)
    elif command == "logout":
        lines = anyio.run(_logout, credentials)
    else:
        lines = _show(credentials)
    for line in lines:
        print(redact.redact(line))
    return 0


def open_credentials(args: argparse.Namespace) -> Credentials:
    """The app's credentials: ``--server`` (or ``RC_SERVER_URL``) and the ``RC_*`` variables.

    The plan must exist; routing its ``server: local`` through the embedded sandbox is the session's job.
    """
    plan = Path(args.plan)
    if not plan.is_file():
        raise InputError("no such plan file", file=str(plan))
    credentials = credentials_from(environment(), getattr(args, "server", None))
    redact.register(*credentials.secrets())
    return credentials


async def _login(credentials: Credentials) -> list[str]:
    async with TokenManager(credentials) as manager:
        await manager.access_token()
        counters = manager.counters
        tokens = manager.current
    if counters.logins or counters.relogins:
        headline = f"logged in to {credentials.server}"
    elif counters.refreshes:
        headline = f"refreshed the stored token for {credentials.server}"
    else:
        headline = f"reusing stored token for {credentials.server}"
    assert tokens is not None
    return [headline, *_expiry_lines(tokens, SystemClock().time())]


async def _logout(credentials: Credentials) -> list[str]:
    async with TokenManager(credentials) as manager:
        revoked = await manager.revoke()
    if not revoked:
        return [f"no stored tokens for {credentials.server}: nothing to log out"]
    return [f"revoked and deleted the stored tokens for {credentials.server}"]


def _show(credentials: Credentials) -> list[str]:
    tokens = TokenStore(credentials.server, credentials.client_id).load()
    if tokens is None:
        raise CredentialsError(f"no stored tokens for {credentials.server}: run `rcgrad login PLAN` first")
    redact.register(*tokens.secrets())
    return [
        f"server: {credentials.server}",
        f"client id: {credentials.client_id}",
        *_expiry_lines(tokens, SystemClock().time()),
        f"scope: {tokens.scope or '-'}",
    ]


def _expiry_lines(tokens: StoredTokens, now: float) -> list[str]:
    lines = [f"access token: {MASK}, {_when(tokens.expire_time, now)}"]
    if tokens.refresh_token:
        lines.append(f"refresh token: {MASK}, {_when(tokens.refresh_token_expire_time, now)}")
    else:
        lines.append("refresh token: none (the next expiry means a new JWT login)")
    return lines


def _when(expiry: float, now: float) -> str:
    stamp = dt.datetime.fromtimestamp(expiry, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = expiry - now
    if left <= 0:
        return f"expired {stamp} ({_span(-left)} ago)"
    return f"expires {stamp} (in {_span(left)})"


def _span(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
