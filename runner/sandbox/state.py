"""Everything the local sandbox knows, shared by its app, its server thread and the tests: the OAuth
sessions, the throttle, the records, the request log (and its journal on disk).

It holds state; it never answers a request itself (that is ``app``), and must never log a token.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from runner.fileio import atomic_write
from runner.rc.catalog import Operation
from runner.records import CallRecord
from runner.sandbox.config import SandboxConfig
from runner.sandbox.incoming import IncomingHooks
from runner.sandbox.journal import Journal, record_from
from runner.sandbox.oauth import OAuthState
from runner.sandbox.review import review
from runner.sandbox.store import Store
from runner.sandbox.throttle import Throttle


class SandboxState:
    """Everything the sandbox knows; shared by the app, the server thread and the tests."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.oauth = OAuthState(config)
        self.throttle = Throttle(config)
        self.store = Store(config.seed, clock=config.clock)
        self.log: list[CallRecord] = []
        self.journal: Journal | None = None  # with state_path: the log on disk, appended as it goes
        self.random = random.Random(config.seed)
        self.incoming = IncomingHooks()  # Team Messaging's incoming webhooks (incoming.py)

    def now(self) -> dt.datetime:
        """The sandbox's moment, on its configured clock (a test's, or the wall clock)."""
        return dt.datetime.fromtimestamp(self.config.clock.time(), dt.UTC)

    @property
    def faults(self) -> Any:
        return self.config.faults

    def record(
        self,
        method: str,
        template: str,
        status: int,
        op: Operation | None,
        permission: str | None = None,
        **extra: Any,
    ) -> None:
        record = CallRecord(
            ts=self.config.clock.time(),
            method=method,
            template=template,
            status=status,
            group=op.group if op else "",
            # The call's permission: the operation's, or the one a rule gives it (a WebHook create).
            permission=permission or (op.permission if op else None),
            operation_id=op.id if op else None,
            **extra,
        )
        self.log.append(record)
        if self.journal is not None:
            self.journal.append(record)

    def status(self) -> dict[str, Any]:
        return review(
            self.log,
            now=self.config.clock.time(),
            scopes=self.config.scopes,
            refresh_after_401=self.oauth.refresh_after_401,
        )

    def dump(self) -> dict[str, Any]:
        # The log is not here: the journal keeps it, line by line, as requests arrive.
        return {"sessions": self.oauth.dump(), "resources": self.store.dump()}

    def load(self, data: dict[str, Any]) -> None:
        self.oauth.load(data.get("sessions", []))
        self.store.load(data.get("resources", []))
        # A state file written before the journal existed carries the log itself.
        self.log.extend(record_from(raw) for raw in data.get("log", []))

    def checkpoint(self) -> None:
        """Save sessions and resources now (a kept sandbox only): token changes are rare (Auth allows
        five a minute) and a rehearsal killed with -9 must find its tokens valid on the next run."""
        if self.journal is not None and self.config.state_path is not None:
            atomic_write(self.config.state_path, json.dumps(self.dump()))

    def open_journal(self, path: Path) -> None:
        """Take the log from the journal at ``path`` (after ``load``) and append to it from now on."""
        self.log, self.journal = Journal.reopen(path, now=self.config.clock.time(), earlier=self.log)
