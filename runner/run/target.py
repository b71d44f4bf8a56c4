"""Where traffic goes: the embedded local sandbox, or a real server with the user's credentials.

``server: local`` starts the sandbox on loopback for the length of the command, with the plan's
scopes and state kept under ``$RCGRAD_HOME/local-sandbox/<app>`` so tokens and the sandbox's own
request log survive between runs, like a real account's would, and a webhook receiver of rcgrad's
own whose URL stands in for the plan's ``webhook_address`` (the sandbox validates a WebHook
subscription's address, as RingCentral does, and the app's real one is not there to answer). Each
plan (app name) rehearses in a partition of its own, ``local/<app>``: two plans never see each
other's traffic. Anything else is a URL (or an alias) reached with the ``RC_*`` credentials. This
module must never print a credential, and never start a real run against production unless the
caller has the user's explicit consent.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runner import redact
from runner.errors import InputError
from runner.fileio import atomic_write
from runner.plan.loader import WEBHOOK_ADDRESS
from runner.rc.hosts import ServerUrl, is_production_host, parse_server
from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.config import jwt_shaped
from runner.sandbox.receiver import webhook_receiver
from runner.settings import (
    CREDENTIAL_VARS,
    Credentials,
    credentials_from,
    ensure_state_home,
    environment,
    resolve_server,
)

LOCAL = "local"
DEFAULT_LOCAL_TIME_SCALE = 0.05


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    credentials: Credentials
    ledger_server: str  # "local/<app>" for the embedded sandbox, so rehearsal never mixes with real records
    sandbox: Any = None  # the running SandboxHandle, for server: local
    # Plan variables the target sets over the plan's own: on local, the rehearsal's webhook address.
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return is_production_host(self.url)

    @property
    def time_scale(self) -> float:
        """How long a server second lasts here: the embedded sandbox runs on a scaled clock."""
        return float(self.sandbox.config.time_scale) if self.sandbox is not None else 1.0


def server_url(server: str) -> ServerUrl | None:
    """The one reading of the plan's server (an alias or a URL); None for the embedded sandbox."""
    return None if server == LOCAL else parse_server(resolve_server(server))


def is_production(server: str) -> bool:
    """The plan's server reaches production: consent is needed first."""
    url = server_url(server)
    return url is not None and url.is_production


def is_cleartext(server: str) -> bool:
    """The plan's server is plain http to a host that is not loopback."""
    url = server_url(server)
    return url is not None and url.is_cleartext


@contextmanager
def open_target(
    server: str,
    *,
    app_name: str,
    scopes: frozenset[str],
    limits: Mapping[str, int] | None = None,
    env: Mapping[str, str] | None = None,
    own: Mapping[str, str] | None = None,
) -> Iterator[Target]:
    identity = identity_for(server, env, own)
    if server == LOCAL:
        config = SandboxConfig(
            scopes=frozenset(scopes),
            limits=dict(limits or {}),
            client_id=identity.client_id,
            client_secret=identity.client_secret,
            jwt=identity.jwt,
            state_path=ensure_state_home() / "local-sandbox" / app_slug(app_name) / "state.json",
            time_scale=local_time_scale(env),
        )
        with running_sandbox(config) as handle, webhook_receiver() as receiver:
            webhook = {WEBHOOK_ADDRESS: receiver.url}
            yield Target(handle.url, handle.credentials(), local_partition(app_name), handle, webhook)
        return
    yield Target(identity.server, identity, identity.server)


def app_slug(app_name: str) -> str:
    """A file- and partition-safe name for a plan's app: ``CRM sync`` -> ``crm-sync``."""
    slug = re.sub(r"[^a-z0-9]+", "-", app_name.lower()).strip("-")[:48]
    return slug or "app"


def local_partition(app_name: str) -> str:
    """The ledger's and token store's name for a plan's rehearsals on the embedded sandbox."""
    return f"{LOCAL}/{app_slug(app_name)}"


def identity_for(
    server: str, env: Mapping[str, str] | None = None, own: Mapping[str, str] | None = None
) -> Credentials:
    """The app and user a plan's server stands for: the kept local identity, or the ``RC_*`` credentials.
    Its ``server`` is the ledger's and the token store's name for the target ("local" or the URL).
    ``own`` is the plan's ``credentials:`` (RC_* names), over the environment; on ``local`` it makes the
    sandbox stand for that app, so a fleet of local plans is a fleet of apps."""
    if server == LOCAL:
        if own and all(own.get(name) for name in CREDENTIAL_VARS[1:]):
            identity = Credentials(
                LOCAL, own["RC_APP_CLIENT_ID"], own["RC_APP_CLIENT_SECRET"], own["RC_USER_JWT"]
            )
            redact.register(*identity.secrets())
            return identity
        return local_identity()
    if own:
        env = {**(environment() if env is None else env), **own}
    return real_credentials(server, env)


def local_time_scale(env: Mapping[str, str] | None = None) -> float:
    """Rehearsal runs at 1/20 of real time by default (a 60 s window lasts 3 s): the point is to see
    every request succeed, not to wait for RingCentral's minutes. RCGRAD_LOCAL_TIME_SCALE=1 for real time."""
    text = (os.environ if env is None else env).get("RCGRAD_LOCAL_TIME_SCALE", "")
    try:
        scale = float(text) if text else DEFAULT_LOCAL_TIME_SCALE
    except ValueError:
        raise InputError(
            f"expected a number such as 0.05, got {text[:20]!r}", key="RCGRAD_LOCAL_TIME_SCALE"
        ) from None
    if not 0 < scale <= 1:
        raise InputError("expected a number in (0, 1]", key="RCGRAD_LOCAL_TIME_SCALE")
    return scale


def real_credentials(server: str, env: Mapping[str, str] | None = None) -> Credentials:
    values = dict(environment() if env is None else env)
    credentials = credentials_from(values, resolve_server(server))
    redact.register(*credentials.secrets())
    return credentials


def local_identity() -> Credentials:
    """The embedded sandbox's app and user, made once per $RCGRAD_HOME and kept (0600) so stored tokens
    and the rehearsal ledger stay valid from one run to the next."""
    path = ensure_state_home() / "local-sandbox" / "identity.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text())
        identity = Credentials(LOCAL, data["client_id"], data["client_secret"], data["jwt"])
    except (OSError, ValueError, KeyError, TypeError):
        identity = Credentials(
            LOCAL,
            "local-" + secrets.token_hex(8),
            secrets.token_urlsafe(24),
            jwt_shaped(),
        )
        kept = {"client_id": identity.client_id, "client_secret": identity.client_secret, "jwt": identity.jwt}
        atomic_write(path, json.dumps(kept))
    redact.register(*identity.secrets())
    return identity
