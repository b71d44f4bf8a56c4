"""``rcgrad check``'s judgement of a loaded plan: every problem found before any request is sent.

Each check is a function in a registry (``STEP_CHECKS`` per step, ``PLAN_CHECKS`` for the whole
plan), like the criteria's. Errors are things that would cost the app (a request the spec refuses, a 403 for an undeclared
permission, a scope nobody calls, a capture used before it exists, an unfinished TODO); warnings are
things a person should look at (writes that touch data, a literal id that may not exist). The report
also gives each endpoint's throttling group and the least wall time the traffic can take. Pure: this
module must never do I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from runner.plan.conformance import step_problems
from runner.plan.loader import LOCAL_WEBHOOK_STANDIN, WEBHOOK_ADDRESS
from runner.plan.model import PLACEHOLDER, Item, Plan, Step
from runner.rc.limits import minimum_plan_seconds
from runner.rc.rules.subscriptions import is_loopback
from runner.rc.scopes import SUBSCRIPTION_WEBHOOK, UNMAPPABLE, exercised_by, grants
from runner.verdict.criteria import APP_DESCRIPTION, description_criterion, description_placeholder, rules_for

ERROR, WARNING = "error", "warning"
ASSUMED_RUNS = 5  # each item runs at least the per-endpoint minimum


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str
    message: str
    file: str
    line: int | None
    key: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class EndpointRow:
    name: str
    key: str
    permission: str | None
    group: str
    write: bool


@dataclass(frozen=True, slots=True)
class CheckReport:
    findings: tuple[Finding, ...]
    endpoints: tuple[EndpointRow, ...]
    requests_by_group: dict[str, int] = field(default_factory=dict)
    least_seconds: float = 0.0
    assumption: str = ""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class StepContext:
    """One step as the step checks see it: where it is written, and what is known when it runs."""

    plan: Plan
    item: Item
    step: Step
    key: str  # endpoints[3]
    where: str  # endpoints[3].setup[0]: the step itself
    variables: Mapping[str, object]  # vars:, and what a rehearsal fills in
    known: frozenset[str]  # captures saved by earlier steps of the item, and vars:

    def finding(self, severity: str, message: str, at: str | None = None) -> Finding:
        line = _line(self.plan, at, self.step.line) if at else self.step.line
        return Finding(severity, message, str(self.plan.path), line, at or self.key)


StepCheck = Callable[[StepContext], Iterable[Finding]]
PlanCheck = Callable[[Plan, frozenset[str]], Iterable[Finding]]


def _against_spec_and_rules(c: StepContext) -> Iterator[Finding]:
    """Every request the spec or RingCentral's rules beyond it refuse (a finished step only)."""
    if c.step.todo is None:
        for problem in step_problems(c.step, dict(c.variables)):
            at = f"{c.where}.{problem.where}"
            yield c.finding(ERROR, problem.message, at)


def _todo_left(c: StepContext) -> Iterator[Finding]:
    if c.step.todo is not None:
        yield c.finding(ERROR, f"TODO left in the plan: {c.step.todo}")


def _permission_declared(c: StepContext) -> Iterator[Finding]:
    permission = c.step.permission  # the operation's, or a rule's by the body (a WebHook create)
    if not grants(c.plan.app.scopes, permission):
        yield c.finding(
            ERROR,
            f"{c.step.operation.key} needs the {permission} permission, which app.scopes does not declare (a 403)",
        )


def _captures_saved_first(c: StepContext) -> Iterator[Finding]:
    missing = sorted(c.step.needs() - c.known)
    if missing:
        yield c.finding(
            ERROR,
            f"{{{{{missing[0]}}}}} is used before any step saves it (add it to vars: or save: it earlier)",
        )


def _writes(c: StepContext) -> Iterator[Finding]:
    if c.step.operation.is_write:
        yield c.finding(WARNING, f"{c.step.operation.key} writes data on the server")


def _webhook_reachable(c: StepContext) -> Iterator[Finding]:
    unreachable = _unreachable_webhook(c.plan, c.step)
    if unreachable:
        yield c.finding(ERROR, unreachable, f"{c.where}.json.deliveryMode.address")


def _literal_ids(c: StepContext) -> Iterator[Finding]:
    literal = _literal_id(c.step)
    if literal:
        yield c.finding(
            WARNING, f"{literal} is a literal id: if it does not exist every call is a 404; capture it"
        )


def _scopes_exercised(plan: Plan, exercised: frozenset[str]) -> Iterator[Finding]:
    for scope in plan.app.scopes:
        line = plan.app.scope_lines.get(scope)
        if scope in UNMAPPABLE:
            message = f"{scope} cannot be exercised through the REST API ({UNMAPPABLE[scope]}); remove it from the app"
            yield Finding(ERROR, message, str(plan.path), line, "app.scopes")
        elif scope not in exercised:
            message = f"no endpoint uses {scope}: graduation needs a call under every declared scope"
            yield Finding(ERROR, message, str(plan.path), line, "app.scopes")


def _description(plan: Plan, exercised: frozenset[str]) -> list[Finding]:
    return _description_findings(plan, str(plan.path))


# The checks, in the order their findings are listed: each step's, then the plan's as a whole.
STEP_CHECKS: tuple[StepCheck, ...] = (
    _against_spec_and_rules,
    _todo_left,
    _permission_declared,
    _captures_saved_first,
    _writes,
    _webhook_reachable,
    _literal_ids,
)
PLAN_CHECKS: tuple[PlanCheck, ...] = (_scopes_exercised, _description)


def check_plan(plan: Plan) -> CheckReport:
    findings: list[Finding] = []
    rows: list[EndpointRow] = []
    exercised: set[str] = set()
    variables = dict(plan.vars)
    if plan.server == "local":  # the rehearsal's own receiver answers for the app's webhook
        variables[WEBHOOK_ADDRESS] = LOCAL_WEBHOOK_STANDIN
    for item_index, item in enumerate(plan.endpoints):
        known = frozenset(plan.vars)
        key = f"endpoints[{item_index}]"
        for step in item.steps:
            context = StepContext(plan, item, step, key, _step_key(item, step, key), variables, known)
            for check in STEP_CHECKS:
                findings.extend(check(context))
            op, permission = step.operation, step.permission
            rows.append(EndpointRow(step.name, op.key, permission, op.group, op.is_write))
            if permission:
                exercised.update(exercised_by(permission))
            known |= set(step.save)
    for plan_check in PLAN_CHECKS:
        findings.extend(plan_check(plan, frozenset(exercised)))
    by_group = requests_by_group(plan)
    limits = {group: limit for group in by_group if (limit := plan.paced_limit(group)) is not None}
    seconds = minimum_plan_seconds(by_group, limits)
    assumption = f"assuming every item runs {ASSUMED_RUNS} times (or its calls:), every step counted"
    return CheckReport(tuple(findings), tuple(rows), by_group, seconds, assumption)


def _line(plan: Plan, key: str, fallback: int) -> int:
    """The line of ``key`` in the plan, or of the nearest value above it that has one."""
    while key:
        if key in plan.lines:
            return plan.lines[key]
        key = key[: max(key.rfind("."), key.rfind("["), 0)]
    return fallback


def _step_key(item: Item, step: Step, key: str) -> str:
    """``endpoints[3]``, ``endpoints[3].setup[0]``...: where the step is written in the plan."""
    for part in ("setup", "teardown"):
        steps: tuple[Step, ...] = getattr(item, part)
        if step in steps:
            return f"{key}.{part}[{steps.index(step)}]"
    return key


def _description_findings(plan: Plan, file: str) -> list[Finding]:
    """The app description, judged now: the verdict would fail it only after the traffic was sent."""
    text = (plan.app.description or "").strip()
    line = plan.app.description_line or plan.app.line
    placeholder = description_placeholder(text)
    if placeholder:
        return [
            Finding(
                ERROR,
                f"the description still holds the placeholder {placeholder!r}: write what the app does"
                " and for whom (the console shows it to the reviewer)",
                file,
                line,
                "app.description",
            )
        ]
    if APP_DESCRIPTION not in rules_for(plan.criteria.profile, plan.criteria.overrides).criteria:
        return []
    judged = description_criterion(text)
    if judged.met:
        return []
    return [
        Finding(
            WARNING,
            f"the {plan.criteria.profile} profile judges the app description and this one fails it"
            f" ({judged.detail})",
            file,
            line,
            "app.description",
        )
    ]


def requests_by_group(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in plan.endpoints:
        runs = max(ASSUMED_RUNS, item.calls or 0)
        for step in item.steps:
            counts[step.operation.group] = counts.get(step.operation.group, 0) + runs
    return counts


def _unreachable_webhook(plan: Plan, step: Step) -> str | None:
    """On server: local, a WebHook address the rehearsal cannot answer: the sandbox validates it and
    reaches loopback addresses only, so anything but the rehearsal's own receiver is a 400 there."""
    if plan.server != "local" or step.permission != SUBSCRIPTION_WEBHOOK or not isinstance(step.json, dict):
        return None
    mode = step.json.get("deliveryMode")
    address = mode.get("address") if isinstance(mode, dict) else None
    if not isinstance(address, str) or address.strip() == "{{" + WEBHOOK_ADDRESS + "}}":
        return None
    filled = PLACEHOLDER.sub(lambda m: str(plan.vars.get(m.group(1), "")), address)
    if is_loopback(urlsplit(filled).hostname):
        return None
    return (
        "a rehearsal cannot answer this address's validation request (the local sandbox reaches"
        f" loopback addresses only, so it is a 400 SUB-521): write it as {{{{{WEBHOOK_ADDRESS}}}}},"
        " which rcgrad's own receiver answers on server: local"
    )


def _literal_id(step: Step) -> str | None:
    """A made-up id in an id position: not ~, not a placeholder."""
    template = step.operation.path.split("/")
    written = step.path.split("/")
    if len(template) != len(written):
        return None
    id_names = {p.name for p in step.operation.id_params}
    for tpl, seg in zip(template, written, strict=True):
        if tpl.startswith("{") and tpl[1:-1] in id_names and seg != "~" and not PLACEHOLDER.search(seg):
            return f"{tpl[1:-1]}={seg}"
    return None


def human_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
