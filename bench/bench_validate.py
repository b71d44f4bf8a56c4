"""The request validator: loading the request schemas, and checking every catalog operation's
minimal request (what ``rcgrad check`` does per step and the sandbox per request)."""

from __future__ import annotations

import subprocess
import sys
import time

LOAD_TARGET_S = 0.3  # import jsonschema + read requests.json, once per command
VALIDATE_TARGET_S = 1.0  # for every operation's minimal request, 10 times over


def main() -> None:
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time;t=time.perf_counter();import runner.rc.validate as v;v.request_schemas('readUserCallLog');"
            "print(time.perf_counter()-t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cold_s = float(cold.stdout.strip())
    print(
        f"validator import+schemas (fresh process): {cold_s * 1000:.1f} ms  target {LOAD_TARGET_S * 1000:.0f} ms"
        f"  ratio {cold_s / LOAD_TARGET_S:.2f}"
    )
    from runner.rc.bodies import minimal_value
    from runner.rc.catalog import load_catalog
    from runner.rc.requests import request_schemas
    from runner.rc.validate import Request, validate

    requests = []
    for op in load_catalog().operations:
        spec = request_schemas(op.id) or {"params": [], "body": None}
        path = {p["name"]: str(minimal_value(p["schema"])) for p in spec["params"] if p["in"] == "path"}
        schema = spec["body"]["schema"] if spec["body"] else None
        body = minimal_value(schema) if schema is not None else None
        requests.append((op, Request(path, {}, {}, body, None if body is None else "application/json")))
    for op, request in requests:  # build each validator outside the timing
        validate(op, request)
    start = time.perf_counter()
    for _ in range(10):
        for op, request in requests:
            validate(op, request)
    took = time.perf_counter() - start
    count = 10 * len(requests)
    print(
        f"validate {count:,} requests:             {took:.3f} s  target {VALIDATE_TARGET_S:.1f} s"
        f"  ratio {took / VALIDATE_TARGET_S:.2f}  ({count / took:,.0f}/s)"
    )
