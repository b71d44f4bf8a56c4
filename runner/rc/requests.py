"""What RingCentral accepts as each operation's request: the generated ``runner/rc/data/requests.json``.

Loaded on first use, apart from the catalog, so ``load_catalog()`` stays fast. Read-only: this
module must never read the spec (``requests_build`` does) and never validate (``validate`` does).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

REQUESTS_PATH = Path(__file__).with_name("data") / "requests.json"


@lru_cache(maxsize=1)
def _requests() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REQUESTS_PATH.read_text(encoding="utf-8"))["operations"]
    return data


def request_schemas(operation_id: str) -> dict[str, Any] | None:
    """The spec's parameters and body for one operation, as generated (None: not in the spec).

    ``{"params": [{"name", "in", "required", "schema"}], "body": {"required", "content_types",
    "schema"} | None}``; schemas are JSON Schema Draft 4, ``schema`` None for a body that is not JSON.
    """
    return _requests().get(operation_id)
