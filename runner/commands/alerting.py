"""``--notify URL``: where a run's alerts go, checked before any traffic, and sent after the verdict.

The URL comes from ``--notify``, else the plan's ``notify:``, else ``RCGRAD_NOTIFY`` (the
environment or ``.env``, as the ``RC_*`` variables). It is a secret (its path is the hook's key):
registered with the redactor the moment it is read, never printed, never written into a schedule.
A malformed URL is bad input at once; one whose host does not resolve or refuses connections is bad
input before the first request (a TCP connection opened and closed, nothing sent). After the
verdict, ``runner.report.notify`` decides and builds the message and ``runner.report.deliver``
posts it; the last alert's state is kept with the ledger partition, so a met run after an alert
says "recovered" once, whichever machine of a shared ledger runs it. Delivery never changes the
exit code; a failure is one line on stderr, and a hook that failed is not tried again by the same
command (a fleet of 500 must not wait 500 times). A fleet collects its apps' alerts (``together``)
and posts more than ``notify.DIGEST_AFTER`` of them to one hook as one digest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from runner import redact
from runner.errors import InputError, RcgradError
from runner.ledger.ledger import AlertState, Ledger, PartitionKey
from runner.plan.loader import Plan, load_plan
from runner.rc.hosts import ServerUrlError, WebhookUrl, parse_webhook
from runner.report import notify
from runner.report.deliver import deliver, probe
from runner.run.events import Judged
from runner.run.session import SessionOptions
from runner.settings import NOTIFY_VAR, environment

FAILING = "failing"


def add_notify_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify",
        metavar="URL",
        help="post an alert to this webhook when the run ends not met, gives up or fails on credentials,"
        f" and once when the app recovers (default: the plan's notify:, else ${NOTIFY_VAR})",
    )
    parser.add_argument(
        "--notify-format",
        choices=notify.KINDS,
        help="the message's shape (default: from the URL's host: hooks.ringcentral.com, hooks.slack.com,"
        " else plain JSON)",
    )


@dataclass(frozen=True, slots=True)
class Hook:
    url: WebhookUrl = field(repr=False)
    kind: str
    source: str  # what named it, for messages: "--notify", "RCGRAD_NOTIFY", "plan.yaml: notify"


class HookError(InputError):
    """The webhook itself is bad input (malformed, unreachable): the one error not alerted."""


def _read(text: str, **where: str | None) -> WebhookUrl:
    redact.register(text)
    try:
        return parse_webhook(text)
    except ServerUrlError as exc:
        raise HookError(f"the webhook URL {exc}", **where) from None  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Pending:
    """An alert decided and not yet posted; ``keep`` records it with the ledger once delivered."""

    hook: Hook
    alert: notify.Alert
    plan: str
    keep: Callable[[], None] | None


def _failing(alert: notify.Alert) -> AlertState:
    now = time.time()
    day = alert.apply_day or dt.datetime.fromtimestamp(now, dt.UTC).date()
    return AlertState(FAILING, now, day.isoformat())


class Alerts:
    """The command's alerting: which hook each app uses, the probe, and the messages after verdicts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._format = getattr(args, "notify_format", None)
        self._flag: Hook | None = None
        self._env: Hook | None = None
        flag = (getattr(args, "notify", None) or "").strip()
        if flag:
            self._flag = Hook(_read(flag, key="--notify"), "", "--notify")
        else:
            text = environment().get(NOTIFY_VAR, "").strip()
            if text:
                self._env = Hook(_read(text, key=NOTIFY_VAR), "", NOTIFY_VAR)
        self._failed: set[str] = set()  # hooks that failed once in this command: not tried again
        self._told: set[int] = set()  # the errors already alerted
        self._held: list[_Pending] | None = None  # a fleet's alerts, while ``together`` collects them
        self._apps = 0

    def failed_to_open(self, options: SessionOptions, error: RcgradError) -> None:
        """A credentials failure before the run had a session (an RC_* variable missing): alert with
        what the plan says, if it loads; no partition is known, so no state is kept."""
        if id(error) in self._told:
            return
        try:
            plan = load_plan(options.plan, server_override=options.server)
            hook = self.hook_for(plan)
        except RcgradError:
            return
        self.failed(hook, error, app=plan.app.name, server=plan.server, plan=str(plan.path))

    def bad_input(self, plans: list[SessionOptions], error: InputError) -> None:
        """A run refused before any traffic (exit 2): alert, so an unattended warm-up whose plan
        broke overnight does not fail in silence. The hook is the plan's when it still loads, else
        --notify or RCGRAD_NOTIFY; nothing is said when the hook itself is what is wrong."""
        if isinstance(error, HookError) or id(error) in self._told:
            return
        self._told.add(id(error))
        hook, app, server, plan_name = self._shaped(self._flag or self._env), "", "", ""
        if len(plans) == 1:
            options = plans[0]
            plan_name, app, server = str(options.plan), options.plan.stem, options.server or ""
            try:
                plan = load_plan(options.plan, server_override=options.server)
                hook, app, server = self.hook_for(plan), plan.app.name, plan.server
            except RcgradError:
                pass
        else:
            app, plan_name = f"a fleet of {len(plans)} apps", " ".join(str(o.plan) for o in plans)
        if hook is None:
            return
        alert = notify.after_bad_input(redact.redact(str(error)), app=app, server=server, plan=plan_name)
        self._send(hook, alert, alert.app)

    def hook_for(self, plan: Plan) -> Hook | None:
        """The hook one plan's app alerts: --notify, else its notify:, else RCGRAD_NOTIFY."""
        chosen = self._flag
        if chosen is None and plan.notify:
            chosen = Hook(_read(plan.notify, file=str(plan.path), key="notify"), "", f"{plan.path}: notify")
        return self._shaped(chosen or self._env)

    def _shaped(self, hook: Hook | None) -> Hook | None:
        """The hook with its message shape: --notify-format, else from its host."""
        if hook is None:
            return None
        return Hook(hook.url, notify.kind_of(hook.url, self._format), hook.source)

    def check_reachable(self, hooks: Iterable[Hook | None]) -> None:
        """Bad input (exit 2) before any traffic when a hook's host cannot be reached."""
        seen: set[str] = set()
        for hook in hooks:
            if hook is None or hook.url.url in seen:
                continue
            seen.add(hook.url.url)
            why = probe(hook.url)
            if why is not None:
                raise HookError(f"the webhook cannot be reached: {why}; nothing was sent", key=hook.source)

    def judged(
        self, hook: Hook | None, judged: Judged, *, plan: str, ledger: Ledger, key: PartitionKey
    ) -> None:
        """After a verdict: alert if it calls for one, and keep the partition's alert state."""
        if hook is None:
            return
        previous = ledger.alert_state(key)
        alert = notify.after_verdict(judged, plan=plan, alerted_on=previous.day if previous else None)
        if alert is None:
            return
        after = None if alert.state == notify.RECOVERED else _failing(alert)
        self._post(_Pending(hook, alert, plan, partial(ledger.set_alert_state, key, after)))

    def failed(
        self,
        hook: Hook | None,
        error: RcgradError,
        *,
        app: str,
        server: str,
        client_id: str = "",
        plan: str,
        ledger: Ledger | None = None,
        key: PartitionKey | None = None,
    ) -> None:
        """After a credentials failure (exit 3): alert, and remember it when the partition is known."""
        self._told.add(id(error))
        if hook is None:
            return
        alert = notify.after_failure(
            redact.redact(str(error)), app=app, server=server, client_id=client_id, plan=plan
        )
        keep = (
            None if ledger is None or key is None else partial(ledger.set_alert_state, key, _failing(alert))
        )
        self._post(_Pending(hook, alert, plan, keep))

    @contextmanager
    def together(self, apps: int) -> Iterator[None]:
        """A fleet's alerts: held while the block runs, then each hook's posted, as one digest when
        there are more than ``notify.DIGEST_AFTER`` of them."""
        self._held, self._apps = [], apps
        try:
            yield
        finally:
            held, self._held = self._held, None
            by_hook: dict[str, list[_Pending]] = {}
            for pending in held:
                by_hook.setdefault(pending.hook.url.url, []).append(pending)
            for group in by_hook.values():
                if len(group) <= notify.DIGEST_AFTER:
                    for pending in group:
                        self._deliver(pending.hook, pending.alert, pending.alert.app, [pending])
                    continue
                digest = notify.Digest(tuple((p.plan, p.alert) for p in group), self._apps)
                self._deliver(group[0].hook, digest, f"a digest of {len(group)} apps", group)

    def _post(self, pending: _Pending) -> None:
        if self._held is not None:
            self._held.append(pending)
        else:
            self._deliver(pending.hook, pending.alert, pending.alert.app, [pending])

    def _deliver(
        self, hook: Hook, message: notify.Alert | notify.Digest, who: str, pending: list[_Pending]
    ) -> None:
        """Post, and on delivery keep each app's alert state."""
        if self._send(hook, message, who):
            for p in pending:
                if p.keep is not None:
                    p.keep()

    def _send(self, hook: Hook, message: notify.Alert | notify.Digest, who: str) -> bool:
        if hook.url.url in self._failed:
            print(
                f"rcgrad: notify: {who}: not sent (the webhook failed earlier in this run)", file=sys.stderr
            )
            return False
        why = deliver(hook.url, notify.payload(message, hook.kind))
        if why is None:
            return True
        self._failed.add(hook.url.url)
        print(f"rcgrad: notify: {who}: the alert was not delivered: {why}", file=sys.stderr)
        return False
