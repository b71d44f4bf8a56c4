"""Renderers of a ``Verdict``: ``console`` (rich), ``json``, ``junit`` and ``html``, one module each.

Each takes a ``runner.verdict.criteria.Verdict`` and returns text (or prints to a rich Console). A verdict
holds counts and endpoint templates only, so no report can carry a secret; renderers must never
add anything from the environment, the plan's credentials or a token store.
"""

from __future__ import annotations

FORMATS = ("console", "json", "junit", "html")
