"""``rcgrad check``'s judgement of a loaded plan: every problem found before any request is sent.

Errors are things that would cost the app (a request the spec refuses, a 403 for an undeclared
permission, a scope nobody calls, a capture used before it exists, an unfinished TODO); warnings are
things a person should look at (writes that touch data, a literal id that may not exist). The report
also gives each endpoint's throttling group and the least wall time the traffic can take. Pure: this
module must never do I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from runner.plan.conformance import step_problems
from runner.plan.loader import LOCAL_WEBHOOK_STANDIN, PLACEHOLDER, WEBHOOK_ADDRESS, Item, Plan, Step
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


def check_plan(plan: Plan) -> CheckReport:
    file = str(plan.path)
    findings: list[Finding] = []
    rows: list[EndpointRow] = []
    exercised: set[str] = set()
    variables = dict(plan.vars)
    if plan.server == "local":  # the rehearsal's own receiver answers for the app's webhook
        variables[WEBHOOK_ADDRESS] = LOCAL_WEBHOOK_STANDIN
    for item_index, item in enumerate(plan.endpoints):
        known = set(plan.vars)
        for step in item.steps:
            key = f"endpoints[{item_index}]"
            if step.todo is None:
                where = _step_key(item, step, key)
                for problem in step_problems(step, variables):
                    at = f"{where}.{problem.where}"
                    findings.append(Finding(ERROR, problem.message, file, _line(plan, at, step.line), at))
            op = step.operation
            permission = step.permission  # the operation's, or a rule's by the body (a WebHook create)
            rows.append(EndpointRow(step.name, op.key, permission, op.group, op.is_write))
            if permission:
                exercised.update(exercised_by(permission))
            if step.todo is not None:
                findings.append(Finding(ERROR, f"TODO left in the plan: {step.todo}", file, step.line, key))
            if not grants(plan.app.scopes, permission):
                findings.append(
                    Finding(
                        ERROR,
                        f"{op.key} needs the {permission} permission, which app.scopes does not declare (a 403)",
                        file,
                        step.line,
                        key,
                    )
                )
            missing = sorted(step.needs() - known)
            if missing:
                findings.append(
                    Finding(
                        ERROR,
                        f"{{{{{missing[0]}}}}} is used before any step saves it (add it to vars: or save: it earlier)",
                        file,
                        step.line,
                        key,
                    )
                )
            known |= set(step.save)
            if op.is_write:
                findings.append(Finding(WARNING, f"{op.key} writes data on the server", file, step.line, key))
            unreachable = _unreachable_webhook(plan, step)
            if unreachable:
                at = f"{_step_key(item, step, key)}.json.deliveryMode.address"
                findings.append(Finding(ERROR, unreachable, file, _line(plan, at, step.line), at))
            literal = _literal_id(step)
            if literal:
                findings.append(
                    Finding(
                        WARNING,
                        f"{literal} is a literal id: if it does not exist every call is a 404; capture it",
                        file,
                        step.line,
                        key,
                    )
                )
    for scope in plan.app.scopes:
        line = plan.app.scope_lines.get(scope)
        if scope in UNMAPPABLE:
            findings.append(
                Finding(
                    ERROR,
                    f"{scope} cannot be exercised through the REST API ({UNMAPPABLE[scope]}); remove it from the app",
                    file,
                    line,
                    "app.scopes",
                )
            )
        elif scope not in exercised:
            findings.append(
                Finding(
                    ERROR,
                    f"no endpoint uses {scope}: graduation needs a call under every declared scope",
                    file,
                    line,
                    "app.scopes",
                )
            )
    findings.extend(_description_findings(plan, file))
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
