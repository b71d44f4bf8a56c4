"""Catalog load time and route-matching throughput (issue 2 targets: < 50 ms, 100k paths < 1 s)."""

from __future__ import annotations

import random
import subprocess
import sys
import time

from runner.rc.catalog import CATALOG_PATH, load_catalog, parse_catalog

N_PATHS = 100_000
LOAD_TARGET_S = 0.050
MATCH_TARGET_S = 1.0


def _concrete_paths(rng: random.Random) -> list[tuple[str, str]]:
    cat = load_catalog()
    out = []
    for op in cat.operations:
        segs = [
            rng.choice(["~", str(rng.randint(1, 10**9))]) if s.startswith("{") else s
            for s in op.path.split("/")
        ]
        out.append((op.method, "/".join(segs) + "?perPage=100"))
    return out


def main() -> None:
    text = CATALOG_PATH.read_text(encoding="utf-8")
    best = min(_timed(lambda: parse_catalog(text)) for _ in range(5))
    print(
        f"catalog parse (in-process, best of 5): {best * 1000:.1f} ms  target {LOAD_TARGET_S * 1000:.0f} ms"
        f"  ratio {best / LOAD_TARGET_S:.2f}"
    )
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time;t=time.perf_counter();import runner.rc.catalog as c;c.load_catalog();"
            "print(time.perf_counter()-t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cold_s = float(cold.stdout.strip())
    print(
        f"catalog import+load (fresh process):   {cold_s * 1000:.1f} ms  target {LOAD_TARGET_S * 1000:.0f} ms"
        f"  ratio {cold_s / LOAD_TARGET_S:.2f}"
    )
    cat = load_catalog()
    cat.match("GET", "/")  # build the trie outside the timing
    rng = random.Random(1)
    pool = _concrete_paths(rng)
    sample = [pool[rng.randrange(len(pool))] for _ in range(N_PATHS)]
    start = time.perf_counter()
    misses = sum(1 for method, url in sample if cat.match(method, url) is None)
    took = time.perf_counter() - start
    print(
        f"match {N_PATHS:,} concrete paths:        {took:.3f} s  target {MATCH_TARGET_S:.1f} s"
        f"  ratio {took / MATCH_TARGET_S:.2f}  ({N_PATHS / took:,.0f}/s, misses {misses})"
    )


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start
