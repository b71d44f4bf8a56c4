"""Imports run one way: each wing may import only the wings below it, and no import of rcgrad's own
code hides inside a function to dodge a cycle (lazy imports that keep start-up fast belong to the
command line: ``runner/commands`` and ``runner/cli.py``).

The order, bottom up: ``rc`` (RingCentral's facts) < core (errors, clock, redact, files, locks,
settings, records, jsonpath, retrying) < ``verdict`` < ``plan``, ``ledger`` < ``auth``, ``traffic``,
``sandbox`` < ``run`` < ``report`` < ``commands`` < ``cli``. The sandbox stands on rc and core alone:
it is RingCentral, not rcgrad.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

RUNNER = REPO / "runner"
CORE = "core"
# Each wing and the wings it may import (its own always).
ALLOWED: dict[str, set[str]] = {
    "rc": set(),
    CORE: {"rc"},
    "verdict": {"rc", CORE},
    "plan": {"rc", CORE, "verdict"},
    "ledger": {"rc", CORE, "verdict"},
    "sandbox": {"rc", CORE},
    "auth": {"rc", CORE, "ledger"},
    "traffic": {"rc", CORE, "verdict"},
    "run": {"rc", CORE, "verdict", "plan", "ledger", "auth", "traffic", "sandbox"},
    "report": {"rc", CORE, "verdict", "traffic", "run"},
    "commands": {"rc", CORE, "verdict", "plan", "ledger", "auth", "traffic", "sandbox", "run", "report"},
    "cli": {"rc", CORE, "commands"},
}
LAZY_ALLOWED = {"commands", "cli"}


def wing(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return CORE
    if (RUNNER / parts[1]).is_dir():
        return parts[1]
    return {"cli": "cli", "__main__": "cli"}.get(parts[1], CORE)


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(RUNNER.rglob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported rcgrad module, inside a function?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested: set[int] = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(n) for n in ast.walk(function) if isinstance(n, (ast.Import, ast.ImportFrom)))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            targets = [f"runner.{a.name}" for a in node.names] if node.module == "runner" else [node.module]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found += [(t, id(node) in nested) for t in targets if t.split(".")[0] == "runner"]
    return found


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_module_imports_only_the_wings_below_its_own(name: str, path: Path):
    own = wing(name)
    for target, inside_function in imports(path):
        theirs = wing(target)
        if theirs != own:
            assert theirs in ALLOWED[own], f"{name} ({own}) imports {target} ({theirs}): against the layers"
        if inside_function:
            assert own in LAZY_ALLOWED, f"{name} imports {target} inside a function"


def test_every_wing_is_in_the_table():
    assert {wing(name) for name, _ in modules()} <= set(ALLOWED)
