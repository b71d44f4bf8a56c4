"""RingCentral's default rate-limit plan and the arithmetic of the least time a load can take.

Shared by the client-side limiter, the sandbox, ``rcgrad check`` and ``--dry-run``. Pure data and
pure functions: this module must never wait, count live requests, or do I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
PENALTY_SECONDS = 60.0
# docs/ringcentral.md, Rate limits: requests per user per minute, the same in every version of the docs since 2022.
DEFAULT_LIMITS: Mapping[str, int] = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
UNTHROTTLED = "NoThrottling"
# A group the documented plan does not name is paced as the most common one, Light.
FALLBACK = ("Light", 50)


def raised(group: str, limit: int) -> int | None:
    """RingCentral's default for ``group`` when a custom ``limit`` is above it, else None. A plan
    or a rehearsal may lower an app's limits (to leave room, or as RingCentral set them for the
    app), never raise them: paced above the server's limit, a run earns 429s against the real
    server, and a sandbox that took the raised limit would hide them."""
    default = DEFAULT_LIMITS.get(group)
    return default if default is not None and limit > default else None


@dataclass(frozen=True, slots=True)
class GroupLimit:
    limit: int
    window: float = WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class Margin:
    """The safety margin. By default it is all in time: a request leaves the window a little later
    than the server could count it, which covers latency and clock skew without giving up a slot
    (one slot of Heavy's 10 would cost 10% of the pace). Others' traffic is seen in ``Remaining``."""

    requests: int = 0  # slots left unused in every window
    fraction: float = 0.0  # or this share of the limit, whichever is larger
    seconds: float = 0.01  # extra wait past the window's edge (times are already answer times)
    window_fraction: float = 0.02  # or this share of the window, whichever is larger

    def usable(self, limit: int) -> int:
        return max(1, limit - max(self.requests, math.ceil(limit * self.fraction)))

    def paced(self, limit: GroupLimit) -> GroupLimit:
        """The limit the runner paces itself to: the server's, less the spare slots."""
        return GroupLimit(self.usable(limit.limit), limit.window)

    def edge(self, window: float) -> float:
        return max(self.seconds, window * self.window_fraction)


def default_limit(group: str) -> GroupLimit | None:
    """The documented limit of a group, or None for NoThrottling (and unknown groups)."""
    count = DEFAULT_LIMITS.get(group)
    return None if count is None else GroupLimit(count)


# The review reads two days of traffic: more repetitions than the strictest group lets through in
# that long are never needed, and an absurd count is refused as bad input before any work is made.
SENSIBLE_SECONDS = 2 * 86400.0


def most_calls(groups: Iterable[str], seconds: float = SENSIBLE_SECONDS) -> tuple[int, str]:
    """The most requests the strictest of ``groups`` lets through in ``seconds`` at its documented
    limit, and that group's name (Light's when none is throttled)."""
    named = [(g, lim) for g in groups if (lim := default_limit(g)) is not None]
    group, limit = min(
        named, key=lambda gl: gl[1].limit / gl[1].window, default=(FALLBACK[0], GroupLimit(FALLBACK[1]))
    )
    return int(seconds // limit.window) * limit.limit, group


def minimum_seconds(requests: int, limit: GroupLimit) -> float:
    """Least time from the first to the last of ``requests`` sent under a sliding window.

    A full window's worth can go at once; each further batch waits for the window to slide.
    """
    if requests <= 0:
        return 0.0
    return (math.ceil(requests / limit.limit) - 1) * limit.window


def minimum_plan_seconds(
    per_group: Mapping[str, int], limits: Mapping[str, GroupLimit] | None = None
) -> float:
    """Groups are counted separately, so they run in parallel: the slowest one sets the time."""
    worst = 0.0
    for group, count in per_group.items():
        limit = (limits or {}).get(group) or default_limit(group)
        if limit is not None:
            worst = max(worst, minimum_seconds(count, limit))
    return worst
