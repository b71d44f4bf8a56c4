"""Start-up: how long ``rcgrad --help``, ``--version`` and ``check`` take, beside ``python -c pass``.

Target (issue 25): under 0.2 s each on our 2-core machines. Best of several runs: the first pays for
the operating system's file cache. rcgrad's bytecode is compiled first, as ``make install`` leaves
it and as any second run finds it (on machines with PYTHONDONTWRITEBYTECODE set, such as ours,
nothing else would write it, and each run would compile every module again).
"""

from __future__ import annotations

import compileall
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.2
RUNS = 7
PLAN = Path(__file__).resolve().parent.parent / "plans" / "example.yaml"


def _best(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "runner", quiet=1)
    base = _best([sys.executable, "-c", "pass"])
    print(f"python -c pass: {base:.3f} s")
    for args in (["--help"], ["--version"], ["check", str(PLAN)]):
        took = _best([sys.executable, "-m", "runner", *args])
        verdict = "ok" if took < TARGET_S else "SLOW"
        print(f"rcgrad {' '.join(args[:1])}: {took:.3f} s  target {TARGET_S:.1f} s  {verdict}")


if __name__ == "__main__":
    main()
