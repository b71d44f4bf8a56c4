"""Everything a traffic or status command stands on, opened in the right order and closed together.

A session loads and checks the plan (problems end it with exit 2 before anything else happens),
asks for consent before production, resolves the target server, opens the ledger partition of this
server, app and user, and hands out the token manager, the rate limiters and the engine's jobs. It
is the I/O edge around the pure planner and criteria. It takes a ``SessionOptions``, never flags,
and knows nothing of consoles or report files. It must never open a network connection while the
plan has errors, and never write a secret to the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from runner.auth.shared_store import choose_store
from runner.auth.tokens import TokenManager
from runner.clock import Clock, SystemClock
from runner.errors import CredentialsError, InputError
from runner.ledger.grants import load_granted, save_granted
from runner.ledger.ledger import Ledger, PartitionKey, RateState, server_label
from runner.plan.check import check_plan
from runner.plan.loader import load_plan
from runner.plan.model import Plan
from runner.rc import wire
from runner.rc.limits import minimum_plan_seconds
from runner.rc.scopes import exercised_by
from runner.records import CallRecord, Settle
from runner.run.target import (
    LOCAL,
    Target,
    identity_for,
    is_cleartext,
    is_production,
    local_partition,
    open_target,
)
from runner.settings import app_identity, environment
from runner.traffic.engine import Job
from runner.traffic.limiter import RateLimits
from runner.verdict.criteria import Rules, Verdict, evaluate, lookback, midnight, rules_for, utc_day
from runner.verdict.grants import GrantGap, compare
from runner.verdict.subject import Subject, short_id
from runner.verdict.topup import ItemKeys


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """What the command line decided: the plan, the server override and the user's consent."""

    plan: Path
    server: str | None = None  # overrides the plan's server:
    allow_production: bool = False
    allow_production_writes: bool = False
    allow_insecure_http: bool = False
    ledger: str | None = (
        None  # a SQLite path or a postgresql:// URL; None: $RCGRAD_LEDGER, else the home's file
    )


@dataclass
class LedgerView:
    """A checked plan and its ledger partition: all the verdict needs, with no server and no login."""

    plan: Plan
    ledger: Ledger
    key: PartitionKey
    clock: Clock

    @property
    def rules(self) -> Rules:
        return rules_for(self.plan.criteria.profile, self.plan.criteria.overrides)

    def item_keys(self) -> list[ItemKeys]:
        return self.plan.item_keys()

    def facts(self, key: str) -> tuple[str | None, str]:
        return self.plan.facts(key)

    def summary(self, *, since: float, until: float) -> list[CallRecord]:
        return self.ledger.summary(self.key, since, until=until)

    def subject(self) -> Subject:
        return Subject(
            server=self.key.server,
            app=self.plan.app.name,
            client_id=short_id(self.key.client_id),
            user=self.key.user_id,
            plan_file=str(self.plan.path),
            profile=str(self.plan.criteria.profile),
        )

    def verdict(self, apply_day: dt.date | None = None) -> Verdict:
        """The verdict for an application on ``apply_day`` (default: today). A later day is judged as
        its review would first see it, at its first instant: only traffic sent by now counts."""
        now = self.clock.time()
        at = midnight(apply_day) if apply_day is not None and apply_day > utc_day(now) else now
        verdict = evaluate(
            self.summary(since=lookback(at), until=now),
            now=at,
            profile=self.plan.criteria.profile,
            overrides=self.plan.criteria.overrides,
            scopes=self.plan.app.scopes,
            endpoints=plan_endpoint_keys(self.plan),
            description=self.plan.app.description,
            granted=load_granted(self.key),  # as the last login saw them: status needs no login
        )
        return replace(verdict, subject=self.subject(), apply_day=apply_day or utc_day(now))


@dataclass
class Session(LedgerView):
    """A ledger view with a running target: the limiters, the token manager and the engine's jobs."""

    target: Target
    _limits: RateLimits | None = None

    def append(self, record: CallRecord) -> None:
        self.ledger.append(self.key, record)

    async def intend(self, intent: CallRecord) -> Settle:
        """Store a call before it goes on the wire (the engine's ``on_intent``), committed with the
        other calls' writes waiting (a fleet shares one ledger); returns what completes it."""
        row = await self.ledger.intend_together(self.key, intent)
        return partial(self.ledger.settle_together, self.key, row)

    def jobs(self, repeats: Mapping[str, int]) -> list[Job]:
        """The plan's items with their repetitions, the bottleneck group's items first."""
        load: dict[str, float] = {}
        for item in self.plan.endpoints:
            for step in item.steps:
                limit = self.plan.paced_limit(step.operation.group)
                if limit is not None:
                    load[step.operation.group] = (
                        load.get(step.operation.group, 0.0) + repeats.get(item.name, 0) / limit.limit
                    )
        running = [item for item in self.plan.endpoints if repeats.get(item.name)]
        running.sort(key=lambda item: -max(load.get(s.operation.group, 0.0) for s in item.steps))
        return [Job(item, repeats[item.name]) for item in running]

    def limits(self) -> RateLimits:
        """The session's one set of limiters: the token manager and the engine share the Auth one."""
        if self._limits is None:
            self._limits = RateLimits(
                clock=self.clock,
                margin=self.plan.margin,
                overrides=dict(self.plan.limits),
                shared=LedgerPacing(self.ledger, self.key),
            )
        return self._limits

    def predicted_seconds(self, by_group: Mapping[str, int]) -> float:
        limits = {g: lim for g in by_group if (lim := self.plan.paced_limit(g)) is not None}
        return minimum_plan_seconds(by_group, limits)

    @asynccontextmanager
    async def logged_in(self) -> AsyncIterator[TokenManager]:
        """The token manager, logged in (or its stored tokens reused) before any API traffic: a
        refused login is exit 3 here, not later."""
        manager = TokenManager(
            self.target.credentials,
            clock=self.clock,
            limiter=self.limits().for_group(wire.AUTH_GROUP),
            on_intent=self.intend,
            # The embedded sandbox moves to a new port every run; its tokens belong to "local".
            store=choose_store(self.target.ledger_server, self.target.credentials.client_id, self.ledger),
        )
        await manager.access_token()  # log in (or reuse) before any API traffic: exit 3 here, not later
        yield manager

    def adopt_grants(self, granted: frozenset[str]) -> GrantGap:
        """Keep what the server granted with the partition; how it differs from what the plan uses."""
        save_granted(self.key, granted, self.clock.time())
        exercised = {scope for step in self.plan.steps for scope in exercised_by(step.permission)}
        return compare(self.plan.app.scopes, exercised, granted)


@dataclass(frozen=True, slots=True)
class LedgerPacing:
    """The limiters' shared state, kept with the ledger partition so every process of one app and
    user (back-to-back or at once) paces as one."""

    ledger: Ledger
    key: PartitionKey

    def recent_sends(self, group: str, since: float) -> list[float]:
        return self.ledger.recent_sends(self.key, group, since)

    def rate_state(self, group: str) -> RateState:
        return self.ledger.rate_state(self.key, group)

    def close_gate(self, group: str, until: float) -> None:
        self.ledger.close_gate(self.key, group, until)

    def learn_limit(self, group: str, limit: int, window: float) -> None:
        self.ledger.learn_limit(self.key, group, limit, window)


def plan_endpoint_keys(plan: Plan) -> list[str]:
    """The plan's endpoints the criteria judge: OAuth calls (a WebSocket token) are never one."""
    return sorted({step.operation.key for step in plan.steps if not step.operation.is_oauth})


def partition_for(ledger: Ledger, plan: Plan) -> PartitionKey:
    """The plan's ledger partition, found without starting a sandbox, logging in or reading a secret.

    A real server's partition is its URL, the client id and the user; the user is known from the JWT
    when it is set, else from the ledger when only one user of this app has traffic there. A plan's
    own ``credentials:`` stand in for the RC_* variables.
    """
    if plan.server == LOCAL:
        identity = identity_for(LOCAL, own=plan.credentials)
        return ledger.partition(local_partition(plan.app.name), identity.client_id, user_label(identity.jwt))
    app = app_identity(plan.server, {**environment(), **plan.credentials} if plan.credentials else None)
    if app.jwt:
        return ledger.partition(app.server, app.client_id, user_label(app.jwt))
    known = [
        key
        for key in ledger.partitions()
        if key.server == server_label(app.server) and key.client_id == app.client_id
    ]
    if len(known) > 1:
        raise CredentialsError(
            f"{len(known)} users have traffic for this app on {app.server}: set RC_USER_JWT to choose one"
        )
    # No traffic yet: an empty view, without creating a partition for a user nobody named.
    return known[0] if known else PartitionKey(server_label(app.server), app.client_id, "", id=-1)


def user_label(jwt: str) -> str:
    """A stable, non-secret name for the JWT's user: the ledger partitions by it without a login."""
    return "jwt-" + hashlib.sha256(jwt.encode()).hexdigest()[:12]


def load_checked(options: SessionOptions) -> Plan:
    plan = load_plan(options.plan, server_override=options.server)
    report = check_plan(plan)
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems; run rcgrad check)" if len(errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line, key=first.key)
    return plan


def consent(options: SessionOptions, plan: Plan, *, writes_too: bool = True) -> None:
    """Production needs ``--allow-production`` (and ``--allow-production-writes`` for a plan that
    writes); ``writes_too=False`` for the token commands, which send no API call."""
    if is_cleartext(plan.server) and not options.allow_insecure_http:
        raise InputError(
            "plain http to a host that is not loopback would send the client secret and the JWT in "
            "clear text; use https, or add --allow-insecure-http",
            file=str(options.plan),
            key="server",
        )
    if not is_production(plan.server):
        return
    if not options.allow_production:
        raise InputError(
            "this plan targets production; every 4xx there counts against the app. "
            "Rehearse with --server local, then add --allow-production",
            file=str(options.plan),
            key="server",
        )
    writes = [step.name for step in plan.steps if step.operation.is_write] if writes_too else []
    if writes and not options.allow_production_writes:
        raise InputError(
            f"{len(writes)} steps write live customer data on production (first: {writes[0]}); "
            "add --allow-production-writes to consent",
            file=str(options.plan),
            key="endpoints",
        )


@contextmanager
def open_ledger_view(
    options: SessionOptions, *, clock: Clock | None = None, ledger: Ledger | None = None
) -> Iterator[LedgerView]:
    """The checked plan and its partition, for a verdict from the ledger alone: no sandbox, no login.
    ``ledger``: one already open (a fleet shares one connection), left open."""
    plan = load_checked(options)
    with _ledger(options, ledger) as opened:
        yield LedgerView(plan, opened, partition_for(opened, plan), clock or SystemClock())


@contextmanager
def _ledger(options: SessionOptions, shared: Ledger | None) -> Iterator[Ledger]:
    if shared is not None:
        yield shared
        return
    with Ledger.open(options.ledger) as ledger:
        yield ledger


@contextmanager
def open_session(
    options: SessionOptions,
    *,
    consent_needed: bool = True,
    clock: Clock | None = None,
    ledger: Ledger | None = None,
) -> Iterator[Session]:
    plan = load_checked(options)
    if consent_needed:
        consent(options, plan)
    with (
        open_target(
            plan.server,
            app_name=plan.app.name,
            scopes=frozenset(plan.app.scopes),
            limits=plan.limits,
            own=plan.credentials,
        ) as target,
        _ledger(options, ledger) as opened,
    ):
        key = opened.partition(
            target.ledger_server, target.credentials.client_id, user_label(target.credentials.jwt)
        )
        yield Session(plan, opened, key, clock or SystemClock(), target)
