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
from runner.auth.shared_store import LedgerTokenStore, choose_store
from runner.auth.store import StoredTokens, TokenStore
from runner.auth.tokens import TokenManager
from runner.clock import SystemClock
from runner.commands.options import add_transport_flags, session_options
from runner.errors import CredentialsError
from runner.plan.loader import load_plan
from runner.run.session import consent
from runner.run.target import LOCAL, identity_for, local_partition, open_target
from runner.settings import Credentials

MASK = redact.MASK


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("plan", metavar="PLAN", help="the plan file (YAML) of the app whose tokens these are")
    parser.add_argument(
        "--allow-production", action="store_true", help="consent to touch production's tokens"
    )
    add_transport_flags(parser)
    parser.set_defaults(token_command=name)


def run(args: argparse.Namespace) -> int:
    plan = load_plan(Path(args.plan), server_override=args.server)
    consent(session_options(args), plan, writes_too=False)
    command = getattr(args, "token_command", None) or args.command
    if command == "token":  # no network: not even the local sandbox is started
        identity = identity_for(plan.server, own=plan.credentials)
        shown = "the local sandbox" if plan.server == LOCAL else identity.server
        # The store's name is the one login used: a rehearsal's is per plan (local/<app>).
        where = local_partition(plan.app.name) if plan.server == LOCAL else identity.server
        lines = _show(choose_store(where, identity.client_id), shown, identity.client_id)
    else:
        with open_target(
            plan.server,
            app_name=plan.app.name,
            scopes=frozenset(plan.app.scopes),
            limits=plan.limits,
            own=plan.credentials,
        ) as target:
            store = choose_store(target.ledger_server, target.credentials.client_id)
            action = _login if command == "login" else _logout
            # The embedded sandbox's port changes every run: name it as token does.
            shown = "the local sandbox" if plan.server == LOCAL else target.credentials.server
            lines = anyio.run(action, target.credentials, store, shown)
    for line in lines:
        print(redact.redact(line))
    return 0


async def _login(credentials: Credentials, store: TokenStore | LedgerTokenStore, shown: str) -> list[str]:
    async with TokenManager(credentials, store=store) as manager:
        await manager.access_token()
        counters = manager.counters
        tokens = manager.current
    if counters.logins or counters.relogins:
        headline = f"logged in to {shown}"
    elif counters.refreshes:
        headline = f"refreshed the stored token for {shown}"
    else:
        headline = f"reusing stored token for {shown}"
    assert tokens is not None
    return [headline, *_expiry_lines(tokens, SystemClock().time())]


async def _logout(credentials: Credentials, store: TokenStore | LedgerTokenStore, shown: str) -> list[str]:
    async with TokenManager(credentials, store=store) as manager:
        revoked = await manager.revoke()
    if not revoked:
        return [f"no stored tokens for {shown}: nothing to log out"]
    return [f"revoked and deleted the stored tokens for {shown}"]


def _show(store: TokenStore | LedgerTokenStore, server: str, client_id: str) -> list[str]:
    tokens = store.load()
    if tokens is None:
        raise CredentialsError(f"no stored tokens for {server}: run `rcgrad login PLAN` first")
    redact.register(*tokens.secrets())
    return [
        f"server: {server}",
        f"client id: {client_id}",
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
