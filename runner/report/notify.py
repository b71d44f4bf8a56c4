"""Alerts: the short message a run posts to a chat when it ends badly, and once when the app recovers.

A run alerts when it ends not met, gives up, or fails on credentials (exit 3); a later run that is
met after such an alert posts one "recovered" message. A fleet whose apps would post more than
``DIGEST_AFTER`` messages to one hook posts one digest there instead, a line per app: a chat takes
one message where 500 would flood it. The message names the app, the server (its
partition name and the client id's ends, never a secret), the application day, each failing
criterion with its value, threshold and margin, and the one next step. Three shapes: RingCentral
Team Messaging's incoming webhook (``hooks.ringcentral.com``), a Slack-compatible one
(``hooks.slack.com``), or plain JSON for anything else (docs/ringcentral.md, "Alerts").

Pure: it decides and builds; ``runner.report.deliver`` posts. It must never put a secret, or the
webhook URL (its path is the hook's token), in a message.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from typing import Any

from runner import redact
from runner.rc.hosts import WebhookUrl
from runner.rc.wire import MENTION_OPENER, WEBHOOK_MAX_TEXT
from runner.report import next_step
from runner.report.console import format_number
from runner.run.events import Judged

RINGCENTRAL, SLACK, JSON = "ringcentral", "slack", "json"
KINDS = (RINGCENTRAL, SLACK, JSON)
# Team Messaging's incoming webhooks (v2 on hooks.ringcentral.com; older ones on hooks.glip.com).
RINGCENTRAL_HOSTS = ("hooks.ringcentral.com", "hooks.glip.com")
SLACK_HOSTS = ("hooks.slack.com",)
NOT_MET, GAVE_UP, CREDENTIALS, RECOVERED = "NOT MET", "GAVE UP", "CREDENTIALS FAILED", "RECOVERED"
COULD_NOT_START = "COULD NOT START"  # bad input (exit 2): a scheduled run that sent nothing
MAX_DETAIL = 160  # characters of a criterion's detail: a chat line, not the report
DIGEST_AFTER = 3  # more messages than this to one hook from one fleet command become one digest


def kind_of(url: WebhookUrl, chosen: str | None = None) -> str:
    """The message shape the URL takes: ``chosen`` (``--notify-format``), else from its host."""
    if chosen:
        return chosen
    if url.host in RINGCENTRAL_HOSTS:
        return RINGCENTRAL
    if url.host in SLACK_HOSTS or url.host.endswith(".slack.com"):
        return SLACK
    return JSON


@dataclass(frozen=True, slots=True)
class Alert:
    """One message about one app."""

    state: str  # NOT_MET, GAVE_UP, CREDENTIALS, COULD_NOT_START or RECOVERED
    app: str
    server: str  # the partition's server ("local/crm-sync", "https://platform.ringcentral.com")
    client_id: str = ""  # its first and last four characters only
    apply_day: dt.date | None = None
    failing: tuple[tuple[str, str, str, str, str], ...] = ()  # name, value, threshold, margin, detail
    next_step: str = ""
    reason: str = ""  # why it gave up, or the credentials error's one line
    since: str = ""  # RECOVERED: the day of the alert it follows

    @property
    def title(self) -> str:
        day = f" for an application on {self.apply_day} (UTC)" if self.apply_day else ""
        if self.state == RECOVERED:
            return f"rcgrad: {self.app} recovered: criteria met{day}"
        return f"rcgrad: {self.app} {self.state}{day}"

    def lines(self) -> list[str]:
        """The message body, line by line, every line through the redactor."""
        server = self.server + (f" (client id {self.client_id})" if self.client_id else "")
        lines = [f"server: {server}"] if server else []  # unknown when the plan would not load
        if self.state == RECOVERED:
            lines.append(f"met again after the alert of {self.since}" if self.since else "met again")
        if self.reason:
            lines.append(self.reason)
        for name, value, threshold, margin, detail in self.failing:
            lines.append(f"- {name}: {value} (threshold {threshold}, margin {margin}): {detail}")
        if self.next_step:
            lines.append(f"next: {self.next_step}")
        return [redact.redact(line) for line in lines]

    @property
    def text(self) -> str:
        return redact.redact(self.title) + "\n" + "\n".join(self.lines())

    def facts(self) -> dict[str, Any]:
        """The same, as data, for a receiver that reads JSON."""
        return {
            "state": self.state.lower(),
            "app": redact.redact(self.app),
            "server": self.server,
            "client_id": self.client_id,
            "apply_day": None if self.apply_day is None else self.apply_day.isoformat(),
            "failing": [
                {"name": n, "value": v, "threshold": t, "margin": m, "detail": redact.redact(d)}
                for n, v, t, m, d in self.failing
            ],
            "reason": redact.redact(self.reason),
            "next": redact.redact(self.next_step),
        }


@dataclass(frozen=True, slots=True)
class Digest:
    """Many apps' alerts as one message: a fleet's, to one hook. Each app gets one line (its state
    and what fails first); the lines stop where the text would pass what the hook takes, and the
    last says how many were left out."""

    alerts: tuple[tuple[str, Alert], ...]  # (plan file, its alert), in the fleet's order
    apps: int  # the fleet's size

    @property
    def failing(self) -> int:
        """How many of its apps need attention (the others recovered)."""
        return sum(1 for _, a in self.alerts if a.state != RECOVERED)

    @property
    def title(self) -> str:
        bad = self.failing
        good = len(self.alerts) - bad
        if not bad:
            return f"rcgrad: {good} apps recovered: criteria met"
        return f"rcgrad: {bad} of {self.apps} apps need attention" + (f", {good} recovered" if good else "")

    def lines(self) -> list[str]:
        tail = (
            "next: rcgrad status PLAN shows an app's window and the command that mends it"
            if self.failing
            else ""
        )
        budget = WEBHOOK_MAX_TEXT - len(self.title) - len(tail) - 80  # room for the "left out" line
        lines: list[str] = []
        for n, (plan, alert) in enumerate(self.alerts):
            line = redact.redact(f"- {alert.app} ({plan}): {_summary(alert)}")
            budget -= len(line) + 1
            if budget < 0:
                lines.append(f"... and {len(self.alerts) - n} more apps not listed here")
                break
            lines.append(line)
        return [*lines, tail] if tail else lines

    @property
    def text(self) -> str:
        return redact.redact(self.title) + "\n" + "\n".join(self.lines())

    def facts(self) -> dict[str, Any]:
        return {
            "state": "digest",
            "apps": self.apps,
            "alerts": [{"plan": redact.redact(plan), **alert.facts()} for plan, alert in self.alerts],
        }


def _summary(alert: Alert) -> str:
    """One app's state in a few words: what fails first (and how many more), or why it stopped."""
    if alert.state == RECOVERED:
        return "recovered: criteria met" + (f" after the alert of {alert.since}" if alert.since else "")
    if alert.failing:
        name, value, threshold, margin, _ = alert.failing[0]
        more = f" and {len(alert.failing) - 1} more" if len(alert.failing) > 1 else ""
        return f"{alert.state}: {name} {value} (threshold {threshold}, margin {margin}){more}"
    reason = _clipped(alert.reason)
    return f"{alert.state}: {reason}" if reason else alert.state


def _clipped(text: str) -> str:
    """At most ``MAX_DETAIL`` characters: a chat line, not the report."""
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def unmentioned(text: str) -> str:
    """Team Messaging's Markdown with no mention in it: an app's name or a server's message that
    holds ``![:Team](id)`` would otherwise notify a whole team. A space after the ``!`` shows the
    text as written and is no longer the mention's syntax (docs/ringcentral.md, Alerts)."""
    return text.replace(MENTION_OPENER, "! " + MENTION_OPENER[1:])


def slack_escaped(text: str) -> str:
    """Text as Slack shows it, not as it parses it: ``&``, ``<`` and ``>`` are its control
    characters (``<!channel>`` notifies a whole channel, ``<url|label>`` is a link), so an app's
    name or a server's message must not carry them raw. Only those three, as Slack asks:
    https://api.slack.com/reference/surfaces/formatting#escaping"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(alert: Alert | Digest, kind: str) -> dict[str, Any]:
    """The JSON body for a hook of ``kind``."""
    if kind == RINGCENTRAL:
        # Team Messaging's incoming webhook: a post's text (Markdown), under a title and an activity.
        return {
            "activity": "rcgrad",
            "title": unmentioned(redact.redact(alert.title)),
            "text": unmentioned("\n".join(alert.lines())),
        }
    if kind == SLACK:
        return {"text": slack_escaped(alert.text)}
    return {"text": alert.text, "rcgrad": alert.facts()}


def _failing(judged: Judged) -> tuple[tuple[str, str, str, str, str], ...]:
    return tuple(
        (
            c.name,
            format_number(c.value),
            format_number(c.threshold),
            format_number(c.margin),
            _clipped(c.detail),
        )
        for c in judged.verdict.failed
    )


def after_verdict(judged: Judged, *, plan: str, alerted_on: str | None) -> Alert | None:
    """The alert a judged run sends, or None. ``alerted_on``: the day of the alert this app's last
    runs sent and no met run has followed yet (None: there is none), which a met run answers once."""
    verdict = judged.verdict
    subject = verdict.subject
    server = subject.server if subject else ""
    client_id = subject.client_id if subject else ""
    day = judged.apply_day
    if verdict.met and not judged.gave_up:
        if alerted_on is None:
            return None
        return Alert(RECOVERED, judged.app, server, client_id, day, since=alerted_on)
    return Alert(
        GAVE_UP if judged.gave_up else NOT_MET,
        judged.app,
        server,
        client_id,
        day,
        failing=_failing(judged),
        next_step=next_step.advice(judged, plan),
        reason=judged.gave_up or "",
    )


def after_failure(error: str, *, app: str, server: str, client_id: str = "", plan: str) -> Alert:
    """The alert for a run stopped by its credentials (exit 3): nothing was judged."""
    return Alert(
        CREDENTIALS,
        app,
        server,
        client_id,
        reason=error,
        next_step=f"fix the credentials this names, then check them with: rcgrad login {shlex.quote(plan)}",
    )


def after_bad_input(error: str, *, app: str, server: str, plan: str) -> Alert:
    """The alert for a run refused before any traffic (exit 2): a plan edited into an error, a
    variable gone from the environment. Unattended, nobody reads the one line it printed."""
    return Alert(
        COULD_NOT_START,
        app,
        server,
        reason=error,
        next_step=f"fix what this names, then check the plan with: rcgrad check {shlex.quote(plan)}",
    )
