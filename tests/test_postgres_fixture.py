"""Without PostgreSQL's programs the PostgreSQL tests skip with one line on how to install them,
except under CI=true, where they fail: CI must never pass without having run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.subprocess

PROBE = """
import tests.postgres as pg

pg.find_tool = lambda name: None  # as on a machine without PostgreSQL


def test_needs_postgresql(pg_server):
    pass
"""


def _run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "-p", "tests.conftest", "-q", "-rs", str(probe)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_absent_postgresql_skips_with_how_to_install_it(tmp_path: Path):
    run = _run(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout and "apt-get install postgresql" in run.stdout


def test_absent_postgresql_fails_under_ci(tmp_path: Path):
    run = _run(tmp_path, "true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "apt-get install postgresql" in run.stdout and "1 error" in run.stdout
