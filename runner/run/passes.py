"""The graduation algorithm for one app: plan what the apply day still needs, send it in passes, judge.

The order is the product's promise: the session has checked the plan (any problem: exit 2, zero
requests) and asked for consent; the run lock is taken; the ledger says what is missing; the token
manager logs in (a failure: exit 3, zero API requests); only then does the engine send, and a pass
that got new 4xx (or held first tries back for a cushion) plans again, all under one deadline.
It takes ``RunOptions`` and a ``Session`` and tells an ``Emit`` what happens; it must never read
flags or write to a console, and never send traffic for a plan with errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

import anyio

from runner.errors import BusyError, InputError
from runner.plan.init import draft_plan
from runner.plan.model import Plan
from runner.rc import wire
from runner.rc.limits import most_calls
from runner.rc.scopes import UNMAPPABLE
from runner.records import CallRecord
from runner.run import events
from runner.run.events import Emit
from runner.run.runlock import run_lock
from runner.run.session import Session
from runner.run.signals import until_signalled
from runner.traffic.budget import WAITING, ErrorBudget
from runner.traffic.engine import Engine, Job, Refusal, RunResult
from runner.traffic.giveup import GiveUp, default_deadline
from runner.verdict.criteria import GRANTED_NOT_PLANNED, lookback, utc_day
from runner.verdict.grants import parse_scope
from runner.verdict.topup import TopUp, calls_by_group, expected_calls, plan_top_up, with_least_runs

EXTRA_PASSES = 3  # passes after one that got new 4xx or held first tries back
RunEngine = Callable[[Engine, list[Job]], Awaitable[RunResult]]  # how a fleet runs each app's engine


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the command line decided about the traffic (the plan and consent are ``SessionOptions``)."""

    mode: str = "graduate"  # or "warmup"
    apply_on: dt.date | None = None  # graduate: the UTC day of the application (default: tomorrow)
    daily: int | None = None  # warmup: successes per endpoint to reach today
    calls: int | None = None  # run every item this many times instead of the top-up
    retry_broken: bool = False
    timeout: float = 30.0  # seconds for one request
    deadline: float | None = None  # seconds for the whole run (default: from its least time)
    wait: bool = False  # wait for another run of the same app instead of exiting 1
    skip_locked: bool = False  # an app another run holds is skipped (named), not waited for or failed


@dataclass
class Outcome:
    """One app's run: its last pass (None when nothing was sent) and every pass's requests."""

    result: RunResult | None = None
    sent: int = 0
    quarantined: dict[str, str] = field(default_factory=dict)


def apply_day(options: RunOptions, session: Session) -> dt.date:
    """The day the run works for: the one its traffic must carry (tomorrow unless --apply-on)."""
    return options.apply_on or utc_day(session.clock.time()) + dt.timedelta(days=1)


def too_early(options: RunOptions, session: Session) -> str | None:
    """Why nothing is sent for an --apply-on two or more days ahead: the review reads the apply day
    and the day before, so traffic sent today would be out of its window."""
    if options.apply_on is None or options.calls is not None:
        return None
    today = utc_day(session.clock.time())
    first = options.apply_on - dt.timedelta(days=1)
    if first <= today:
        return None
    return (
        f"Nothing sent: applying on {options.apply_on} (UTC), the review reads {first} and"
        f" {options.apply_on}; traffic sent today ({today}) would be out of that window. Run graduate"
        f" on {first}."
    )


def plan_now(options: RunOptions, session: Session) -> TopUp:
    """What the window still needs, from the ledger as it is now."""
    now = session.clock.time()
    rows = session.summary(since=lookback(now), until=now)
    plan, items = session.plan, session.item_keys()
    check_counts(options, plan)
    if options.calls is not None:
        repeats = {name: options.calls for name, _ in items}
        return TopUp(
            mode=options.mode,
            traffic_day=utc_day(now),
            apply_day=None,
            repeats=repeats,
            per_endpoint=expected_calls(repeats, items),
            reasons=(f"--calls {options.calls}: every item runs {options.calls} times",),
            blockers=(),
        )
    try:
        topup = plan_top_up(
            rows,
            mode=options.mode,
            now=now,
            items=items,
            scopes=plan.app.scopes,
            profile=plan.criteria.profile,
            overrides=plan.criteria.overrides,
            apply_day=options.apply_on,
            daily=options.daily or plan.warmup_daily,
            retry_broken=options.retry_broken,
            risky=risky_endpoints(session),
            facts=session.facts,  # a step's permission may be a rule's, by its body
        )
    except ValueError as exc:
        raise InputError(str(exc), key="--apply-on") from exc
    return with_least_runs(topup, plan.least_runs(), items)


def check_counts(options: RunOptions, plan: Plan) -> None:
    """--calls and --daily: 0 (1 for --daily) up to what the plan's strictest group allows in the
    review's two days; a larger count is a typo, and would only make work that can never be sent."""
    most, group = most_calls(step.operation.group for step in plan.steps)
    for flag, value, least in (("--calls", options.calls, 0), ("--daily", options.daily, 1)):
        if value is not None and not least <= value <= most:
            raise InputError(
                f"expected {least} to {most} (what {group} allows in two days), got {value}", key=flag
            )


def risky_endpoints(session: Session) -> frozenset[str]:
    """Endpoints whose first try may 4xx for reasons ``check`` cannot see: writes, and ids to guess.

    None when every item has such a step: nothing could build a cushion first, so the first tries
    go one endpoint at a time under the projected-ratio rule alone, rather than never.
    """
    risky = frozenset(
        step.operation.key
        for step in session.plan.steps
        if step.operation.is_write or step.operation.id_params
    )
    if all({step.operation.key for step in item.steps} & risky for item in session.plan.endpoints):
        return frozenset()
    return risky


def planned(session: Session, topup: TopUp, *, again: bool = False, why: str = "") -> events.Planned:
    by_group = calls_by_group(topup.per_endpoint)
    return events.Planned(
        app=session.plan.app.name,
        topup=topup,
        by_group=by_group,
        seconds=session.predicted_seconds(by_group),
        time_scale=session.target.time_scale,
        again=again,
        why=why,
    )


async def passes(
    options: RunOptions, session: Session, emit: Emit, *, run_engine: RunEngine | None = None
) -> Outcome:
    """One app's traffic: the top-up, then up to EXTRA_PASSES more when new 4xx or held-back first
    tries change what the window needs, all under one deadline."""
    outcome = Outcome()
    app = session.plan.app.name
    first = plan_now(options, session)
    # One deadline for the whole command, passes included, from the first schedule.
    seconds = options.deadline or default_deadline(
        session.predicted_seconds(calls_by_group(first.per_endpoint))
    )
    give_up = GiveUp(deadline=seconds)
    started = session.clock.monotonic()
    for blocker in first.blockers:
        emit(events.Note(app, blocker, "blocker"))
    topup, again, why = first, False, ""
    for _ in range(1 + EXTRA_PASSES):
        if topup.is_empty:
            if not again:
                emit(events.NothingToSend(app, "the ledger already covers the window"))
            break
        emit(planned(session, topup, again=again, why=why))
        result = await _send(
            options,
            session,
            topup,
            replace(give_up, elapsed=session.clock.monotonic() - started),
            emit,
            run_engine,
        )
        outcome.result, outcome.sent = result, outcome.sent + result.sent
        outcome.quarantined.update(result.quarantined)
        emit(events.PassFinished(app, result))
        # A new 4xx changes what the window needs: plan again (broken endpoints left out, the
        # working ones diluting it) rather than end the run over the bar. Endpoints held back for a
        # cushion get their try once the safe calls have built it.
        failed, held = _new_failures(result), _held_back(result)
        if result.gave_up or result.interrupted or result.sent == 0 or options.calls is not None:
            break
        if not (failed or held):
            break
        why = f"{failed} 4xx in this run" if failed else f"{held} first tries held back for a cushion"
        topup, again = plan_now(options, session), True
    return outcome


def _held_back(result: RunResult) -> int:
    return 0 if result.interrupted else sum(n for why, n in result.skipped.items() if WAITING in why)


def _new_failures(result: RunResult) -> int:
    """4xx this run got that traffic can dilute: not 429 (it must age out) nor 401 (tokens)."""
    if result.interrupted:
        return 0
    return sum(n for status, n in result.statuses.items() if wire.dilutable_4xx(status))


async def _send(
    options: RunOptions,
    session: Session,
    topup: TopUp,
    give_up: GiveUp,
    emit: Emit,
    run_engine: RunEngine | None,
) -> RunResult:
    app = session.plan.app.name
    now = session.clock.time()
    rows = session.summary(since=lookback(now), until=now)
    api = [r for r in rows if not r.is_oauth]
    budget = ErrorBudget(
        threshold=session.rules.max_4xx_ratio,
        planned=topup.total_calls,
        prior_responses=sum(r.count for r in api if r.status),
        prior_4xx=sum(r.count for r in api if r.counts_as_4xx),
        proven_before=frozenset(r.endpoint for r in api if wire.is_success(r.status)),
        prior_successes=sum(r.count for r in api if wire.is_success(r.status)),
        # --calls runs every item as told; the top-up's passes are what bring a cushion first.
        risky=frozenset() if options.calls is not None else risky_endpoints(session),
    )
    async with session.logged_in() as tokens:
        heed_grants(session, tokens.current, emit)

        def on_record(record: CallRecord) -> None:
            emit(events.CallFinished(app, record))

        engine = Engine(
            base_url=session.target.url,
            tokens=tokens,
            limits=session.limits(),
            budget=budget,
            on_intent=session.intend,  # the ledger's row, written before each call goes out
            on_record=on_record,
            on_item=lambda name, completed: emit(events.ItemFinished(app, name, completed)),
            on_refused=lambda refusal: _refused(emit, app, refusal),
            variables={**session.plan.vars, **session.target.variables},
            clock=session.clock,
            timeout=options.timeout,
            give_up=give_up,
        )
        jobs = session.jobs(topup.repeats)
        if run_engine is not None:
            return await run_engine(engine, jobs)

        def on_signal(name: str) -> None:
            engine.result.interrupted = True
            emit(
                events.Note(
                    app,
                    f"{name}: stopping. Teardown steps still run, and may wait for a rate-limit slot to"
                    " delete what was created; press Ctrl-C again to abandon them.",
                    "stopping",
                )
            )

        result = await until_signalled(lambda: engine.run(jobs), on_signal)
        return result if result is not None else engine.result


def _refused(emit: Emit, app: str, refusal: Refusal) -> None:
    emit(events.Refused(app, refusal))


def heed_grants(session: Session, stored: Any, emit: Emit) -> None:
    """The token's word on permissions, before any traffic: refuse what would be 403s, and say
    which granted permissions the plan leaves unused (the review would fail them)."""
    granted = parse_scope(getattr(stored, "scope", None))
    if not granted:
        return  # the server listed none: nothing to go by
    gap = session.adopt_grants(granted)
    app = session.plan.app
    if gap.ungranted:
        scope = gap.ungranted[0]
        raise InputError(
            f"{scope} is in the plan but the token does not grant it: every call under it would be a 403. "
            "Add the permission to the app in the Developer Console, or remove it from the plan",
            file=str(session.plan.path),
            line=app.scope_lines.get(scope),
            key="app.scopes",
        )
    for scope in gap.unplanned:
        emit(events.Note(app.name, f"{scope}: {GRANTED_NOT_PLANNED}; {how_to_add(scope)}"))


def how_to_add(scope: str) -> str:
    if scope in UNMAPPABLE:
        return f"no REST call exercises it ({UNMAPPABLE[scope]}): remove it from the app in the Developer Console"
    main = draft_plan([scope]).items[0].main
    return (
        f"scopes_exercised will fail. Add it to app.scopes with a call such as {main.method} {main.path} "
        f"(`rcgrad plan init --scopes {scope}` writes one), or remove it from the app in the Developer Console"
    )


def judged(options: RunOptions, session: Session, outcome: Outcome | None) -> events.Judged:
    """The verdict for the apply day the run worked for, with what the run learnt."""
    day = apply_day(options, session) if options.calls is None else utc_day(session.clock.time())
    result = outcome.result if outcome else None
    return events.Judged(
        app=session.plan.app.name,
        verdict=session.verdict(day),
        apply_day=day,
        sent=outcome.sent if outcome else 0,
        quarantined=dict(outcome.quarantined) if outcome else {},
        gave_up=result.gave_up if result else None,
    )


def run_app(options: RunOptions, session: Session, emit: Emit) -> events.Judged | None:
    """The whole run of one app on an open session: the lock, the passes, the verdict. None when
    ``skip_locked`` and another run holds the app (said in a note): this run has nothing to judge."""
    app = session.plan.app.name
    early = too_early(options, session)
    if early:
        emit(events.Note(app, early, "blocker"))
        return judged(options, session, None)
    # The plan is made under the lock: a run that waited must see what the other one sent.
    with ExitStack() as held:
        try:
            held.enter_context(app_lock(session, options, emit, app))
        except BusyError as busy:
            if not options.skip_locked:
                raise
            emit(events.Note(app, skipped(busy), "skipped"))
            return None
        outcome = anyio.run(passes, options, session, emit)
    return judged(options, session, outcome)


def app_lock(session: Session, options: RunOptions, emit: Emit, app: str) -> AbstractContextManager[None]:
    """The app's run lock (across machines on a shared ledger); a wait for it is told as a note.
    ``BusyError`` when another run holds it and ``options.wait`` is off."""
    return run_lock(
        session.target.ledger_server,
        session.target.credentials.client_id,
        ledger=session.ledger,
        wait=options.wait,
        notify=lambda text: emit(events.Note(app, text, "waiting")),
    )


def skipped(busy: BusyError) -> str:
    return f"skipped: {busy.holder or 'another rcgrad run'} holds its run lock (--skip-locked)"
