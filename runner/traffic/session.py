"""Everything a traffic or status command stands on, opened in the right order and closed together.

A session loads and checks the plan (problems end it with exit 2 before anything else happens),
asks for consent before production, resolves the target server, opens the ledger partition of this
server, app and user, and hands out the token manager, the rate limiters and the engine's jobs. It
is the I/O edge around the pure planner and criteria. It must never open a network connection while
the plan has errors, and never write a secret to the ledger or the console.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from runner.clock import Clock, SystemClock
from runner.errors import InputError
from runner.plan.check import check_plan
from runner.plan.loader import Plan, load_plan
from runner.rc.limits import minimum_plan_seconds
from runner.report import console as console_report
from runner.report import html as html_report
from runner.report import json as json_report
from runner.report import junit as junit_report
from runner.traffic.engine import Job
from runner.traffic.limiter import RateLimits
from runner.traffic.target import LOCAL, Target, is_production, local_identity, open_target, real_credentials
from runner.verdict.criteria import Rules, Verdict, evaluate, lookback, rules_for
from runner.verdict.ledger import Ledger, PartitionKey
from runner.verdict.records import CallRecord


@dataclass
class Session:
    plan: Plan
    target: Target
    ledger: Ledger
    key: PartitionKey
    clock: Clock
    _limits: RateLimits | None = None

    @property
    def rules(self) -> Rules:
        return rules_for(self.plan.criteria.profile, self.plan.criteria.overrides)

    def summary(self, *, since: float, until: float) -> list[CallRecord]:
        return self.ledger.summary(self.key, since, until=until)

    def append(self, record: CallRecord) -> None:
        self.ledger.append(self.key, record)

    def planner_items(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (item.name, tuple(step.operation.key for step in (*item.setup, item.main, *item.teardown)))
            for item in self.plan.endpoints
        ]

    def jobs(self, repeats: Mapping[str, int]) -> list[Job]:
        """The plan's items with their repetitions, the bottleneck group's items first."""
        load: dict[str, float] = {}
        for item in self.plan.endpoints:
            for step in (*item.setup, item.main, *item.teardown):
                limit = self.plan.paced_limit(step.operation.group)
                if limit is not None:
                    load[step.operation.group] = (
                        load.get(step.operation.group, 0.0) + repeats.get(item.name, 0) / limit.limit
                    )
        jobs = [
            Job(item, repeats.get(item.name, 0)) for item in self.plan.endpoints if repeats.get(item.name)
        ]
        return sorted(jobs, key=lambda job: -max(load.get(s.operation.group, 0.0) for s in _steps(job.item)))

    def limits(self) -> RateLimits:
        """The session's one set of limiters: the token manager and the engine share the Auth one."""
        if self._limits is None:
            self._limits = RateLimits(
                clock=self.clock, margin=self.plan.margin, overrides=dict(self.plan.limits)
            )
        return self._limits

    def predicted_seconds(self, by_group: Mapping[str, int]) -> float:
        limits = {g: lim for g in by_group if (lim := self.plan.paced_limit(g)) is not None}
        return minimum_plan_seconds(by_group, limits)

    @asynccontextmanager
    async def tokens(self) -> AsyncIterator[Any]:
        from runner.auth.shared_store import choose_store
        from runner.auth.tokens import TokenManager

        manager = TokenManager(
            self.target.credentials,
            clock=self.clock,
            limiter=self.limits().for_group("Auth"),
            on_record=self.append,
            # The embedded sandbox moves to a new port every run; its tokens belong to "local".
            store=choose_store(self.target.ledger_server, self.target.credentials.client_id, self.ledger.url),
        )
        try:
            await manager.access_token()  # log in (or reuse) before any API traffic: exit 3 here, not later
            yield manager
        finally:
            await manager.aclose()

    def verdict(self) -> Verdict:
        now = self.clock.time()
        return evaluate(
            self.summary(since=lookback(now), until=now),
            now=now,
            profile=self.plan.criteria.profile,
            overrides=self.plan.criteria.overrides,
            scopes=self.plan.app.scopes,
            endpoints=plan_endpoint_keys(self.plan),
            description=self.plan.app.description,
        )


def _steps(item: Any) -> tuple[Any, ...]:
    return (*item.setup, item.main, *item.teardown)


def plan_endpoint_keys(plan: Plan) -> list[str]:
    return sorted({step.operation.key for item in plan.endpoints for step in _steps(item)})


def partition_for(ledger: Ledger, plan: Plan) -> PartitionKey:
    """The plan's ledger partition, found without starting a sandbox or logging in."""
    if plan.server == LOCAL:
        identity = local_identity()
        return ledger.partition(LOCAL, identity.client_id, user_label(identity.jwt))
    credentials = real_credentials(plan.server)
    return ledger.partition(credentials.server, credentials.client_id, user_label(credentials.jwt))


def user_label(jwt: str) -> str:
    """A stable, non-secret name for the JWT's user: the ledger partitions by it without a login."""
    return "jwt-" + hashlib.sha256(jwt.encode()).hexdigest()[:12]


def load_checked(args: argparse.Namespace) -> Plan:
    plan = load_plan(Path(args.plan), server_override=args.server)
    report = check_plan(plan)
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems; run rcgrad check)" if len(errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line, key=first.key)
    return plan


def consent(args: argparse.Namespace, plan: Plan) -> None:
    if not is_production(plan.server):
        return
    if not getattr(args, "allow_production", False):
        raise InputError(
            "this plan targets production; every 4xx there counts against the app. "
            "Rehearse with --server local, then add --allow-production",
            file=str(args.plan),
            key="server",
        )
    writes = [step.name for item in plan.endpoints for step in _steps(item) if step.operation.is_write]
    if writes and not getattr(args, "allow_production_writes", False):
        raise InputError(
            f"{len(writes)} steps write live customer data on production (first: {writes[0]}); "
            "add --allow-production-writes to consent",
            file=str(args.plan),
            key="endpoints",
        )


@contextmanager
def open_session(
    args: argparse.Namespace, *, consent_needed: bool = True, clock: Clock | None = None
) -> Iterator[Session]:
    plan = load_checked(args)
    if consent_needed:
        consent(args, plan)
    with (
        open_target(plan.server, scopes=frozenset(plan.app.scopes), limits=plan.limits) as target,
        Ledger.open(getattr(args, "ledger", None)) as ledger,
    ):
        key = ledger.partition(
            target.ledger_server, target.credentials.client_id, user_label(target.credentials.jwt)
        )
        yield Session(plan, target, ledger, key, clock or SystemClock())


def add_ledger_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="PATH|URL",
        help="the ledger: a SQLite file or a postgresql:// URL (default: $RCGRAD_LEDGER, else"
        " $RCGRAD_HOME/ledger.sqlite3)",
    )


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="write the verdict as JSON")
    parser.add_argument("--junit", metavar="PATH", help="write one JUnit testcase per criterion")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")


def write_reports(args: argparse.Namespace, verdict: Verdict, console: Console) -> None:
    if not args.quiet:
        console_report.render(verdict, console)
    else:
        console.print("CRITERIA MET" if verdict.met else "CRITERIA NOT MET")
    for flag, render in (
        ("json", json_report.render),
        ("junit", junit_report.render),
        ("html", html_report.render),
    ):
        path = getattr(args, flag, None)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(render(verdict), encoding="utf-8")
