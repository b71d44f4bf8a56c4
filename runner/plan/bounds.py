"""The largest sensible amount of work a plan can ask for: what the rate limits let through in the
criteria's evaluation window (two days), or in one day for a daily target.

A bigger number can never be sent in time and only costs memory and hours; it is bad input. Pure
functions over the plan: this module must never read a file, the clock or the network.
"""

from __future__ import annotations

from collections import Counter

from runner.plan.loader import Item, Plan
from runner.verdict.criteria import ROLLING_SECONDS

DAY = 86_400.0
UNBOUNDED_STEP = 1_000_000  # NoThrottling steps: still bounded, so a typo cannot exhaust memory


def max_repeats(plan: Plan, item: Item, seconds: float = ROLLING_SECONDS) -> int:
    """How many times ``item`` can run in ``seconds`` at its groups' paced limits."""
    per_group = Counter(step.operation.group for step in item.steps)
    best = UNBOUNDED_STEP
    for group, steps in per_group.items():
        limit = plan.paced_limit(group)
        if limit is not None:
            best = min(best, int(seconds / limit.window * limit.limit) // steps)
    return max(1, best)


def max_calls(plan: Plan) -> int:
    """The largest ``--calls``: every item runs that often within the evaluation window."""
    return min(max_repeats(plan, item) for item in plan.endpoints)


def max_daily(plan: Plan) -> int:
    """The largest daily target per endpoint: what the slowest item can reach in one day."""
    return min(max_repeats(plan, item, DAY) for item in plan.endpoints)
