"""Server-side rate limiting, the way RingCentral counts: per user and group, sliding window.

Going over the limit starts a penalty; every request sent during the penalty is refused and restarts
it (the "429 trap", docs/ringcentral.md, Rate limits). Background load stands for the app's own
traffic elsewhere and takes its share of each window. Window, penalty and headers are scaled by the
time scale. This module must never sleep: it only decides and reports.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from runner.rc import wire
from runner.rc.limits import DEFAULT_LIMITS, PENALTY_SECONDS, WINDOW_SECONDS
from runner.sandbox.config import SandboxConfig


@dataclass(frozen=True)
class Decision:
    allowed: bool
    headers: dict[str, str]


class Throttle:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._sent: dict[tuple[str, str], deque[float]] = {}
        self._penalty_until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def limit(self, group: str) -> int | None:
        custom = self.config.limits.get(group)
        return custom if custom else DEFAULT_LIMITS.get(group)

    def admit(self, who: str, group: str) -> Decision | None:
        """None for unthrottled groups; otherwise whether the request is allowed, with headers."""
        limit = self.limit(group)
        if limit is None:
            return None
        window = self.config.scaled(WINDOW_SECONDS)
        penalty = self.config.scaled(PENALTY_SECONDS)
        background = math.floor(limit * self.config.background_load.get(group, 0.0))
        now = self.config.clock.monotonic()
        key = (who, group)
        with self._lock:
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] + window <= now:
                sent.popleft()
            if now < self._penalty_until.get(key, 0.0):
                self._penalty_until[key] = now + penalty  # every request during the penalty restarts it
                return Decision(False, wire.rate_header_values(group, limit, 0, window, retry_after=penalty))
            if len(sent) + background >= limit:
                self._penalty_until[key] = now + penalty
                return Decision(False, wire.rate_header_values(group, limit, 0, window, retry_after=penalty))
            sent.append(now)
            remaining = max(0, limit - background - len(sent))
            return Decision(True, wire.rate_header_values(group, limit, remaining, window))
