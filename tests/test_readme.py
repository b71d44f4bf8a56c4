"""The README and the docs are executable: every plan block passes ``rcgrad check`` and every command
they show runs (README.md, CONTRIBUTING.md and docs/*.md; the sandbox's generated status list has
neither).

Fenced ``yaml`` blocks that hold a plan (an ``app:`` key) are checked; a block meant to fail says so
on its first line (``# fails check: ...``). Fenced ``sh`` blocks are command lines, run one by one
as written, from a working directory that holds the shipped plans and, as ``plans/myapp.yaml``, the
README's own plan. Inline ``rcgrad ...`` spans that are whole commands (a plan file or a flag, no
placeholder) run too. The few commands a test cannot run (the test suite itself, the benchmarks) are
listed below with the reason. ``dotenv`` and ``text`` blocks are data, not commands, except the
team section's shared-ledger lines and Actions matrix, which ``test_readme_team`` runs on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.cli import main
from tests.conftest import REPO

# The commands share one workspace (a module fixture): one worker runs them all.
pytestmark = pytest.mark.xdist_group("readme")
README = REPO / "README.md"
DOCS = [README, REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
PLACEHOLDER = re.compile(r"\b(PLAN|PATH|FILE|URL|DATE|N|A,B|SPEC)\b|\[|\]|\.\.\.|\\\||\|")
# Commands the README shows that this suite does not run, and why. Keep it short.
NOT_RUN = {
    "make test": "this suite is make test; CI runs it (.ci/run)",
    "make reliability": "a subset of make test (its fault matrix)",
    "make unit": "a subset of make test (its unit layer)",
    "make bench": "figures, not pass/fail; run by hand",
    "make catalog": "test_catalog regenerates the catalog and compares it",
    "make lint": "CI runs it (.ci/run)",
    "make conformance": "Schemathesis over every operation: minutes, run by hand",
}


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    text: str
    file: str = "README.md"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def blocks(doc: Path = README) -> list[Block]:
    found, lang, start, body = [], None, 0, []
    name = str(doc.relative_to(REPO))
    for number, raw in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith("```"):
            if lang is None:
                lang, start, body = raw[3:].strip(), number + 1, []
            else:
                found.append(Block(lang, start, "\n".join(body) + "\n", name))
                lang = None
        elif lang is not None:
            body.append(raw)
    return found


def plan_blocks(docs: list[Path] | None = None) -> list[Block]:
    """The plan blocks of ``docs`` (default: the README first, then every other doc)."""
    return [
        b
        for doc in docs or DOCS
        for b in blocks(doc)
        if b.lang == "yaml" and re.search(r"^app:", b.text, re.M)
    ]


def commands(docs: list[Path] | None = None) -> list[tuple[str, str]]:
    """(``file:line``, command) for every sh line and whole inline ``rcgrad ...`` span of ``docs``."""
    out: list[tuple[str, str]] = []
    inline = re.compile(r"`(rcgrad [^`]+)`")
    for doc in docs or DOCS:
        for block in blocks(doc):
            if block.lang != "sh":
                continue
            for offset, raw in enumerate(block.text.splitlines()):
                line = raw.split(" #", 1)[0].strip()
                if line and not line.startswith("#"):
                    out.append((f"{block.file}:{block.line + offset}", line))
        for number, raw in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for span in inline.findall(raw):
                whole = ("plans/" in span or " --" in span) and not PLACEHOLDER.search(span.split(" ", 1)[1])
                if whole:
                    out.append((f"{doc.relative_to(REPO)}:{number}", span))
    return out


def test_the_docs_have_plans_and_commands_to_run():
    assert plan_blocks([README]) and len(commands([README])) >= 8
    for where, command in commands():
        assert command.split()[0] in ("rcgrad", "make"), (
            f"{where} shows a command this test cannot run: {command}"
        )


@pytest.mark.parametrize("block", plan_blocks(), ids=lambda b: b.where)
def test_every_plan_block_passes_check(block: Block, tmp_path: Path, capsys):
    path = tmp_path / "readme.yaml"
    path.write_text(block.text)
    failing = block.text.startswith("# fails check")
    code = main(["check", str(path)])
    out = capsys.readouterr()
    assert code == (2 if failing else 0), f"{block.where}: {out.out}{out.err}"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a user has after following the README: the shipped plans, their own plan, a source tree,
    and a rehearsal of their plan in the ledger (the README's routine), whatever order the commands
    below run in."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "plans", root / "plans")
    (root / "plans" / "myapp.yaml").write_text(plan_blocks()[0].text)
    shutil.copytree(REPO / "tests" / "fixtures" / "scan" / "py", root / "src")
    rehearsal = [sys.executable, "-m", "runner", "graduate", "plans/myapp.yaml", "--server", "local", "-q"]
    done = subprocess.run(
        rehearsal, cwd=root, env=_env(root / ".home"), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def _env(home: Path) -> dict[str, str]:
    """A user's shell: no virtualenv on PATH until the setup line activates it."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "GITHUB_", "VIRTUAL_ENV"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env.update(RCGRAD_HOME=str(home), COLUMNS="80", PATH=os.pathsep.join(path))
    return env


@pytest.mark.subprocess
@pytest.mark.parametrize(("line", "command"), commands(), ids=lambda v: str(v))
def test_every_command_runs_as_written(line: str, command: str, workspace: Path, tmp_path: Path):
    argv = shlex.split(command)
    if command in NOT_RUN:
        pytest.skip(f"{line}: {NOT_RUN[command]}")
    cwd = workspace
    if command == "make install && . .venv/bin/activate":
        argv = ["bash", "-c", f"{command} && command -v rcgrad"]
        cwd = REPO
    elif argv[0] == "make":
        cwd = REPO
        argv = ["make", "-s", *argv[1:]]
    else:
        if "--out" in argv:
            # plan init / plan scan refuse to overwrite: each writes into a fresh copy of the workspace.
            cwd = tmp_path / "ws"
            shutil.copytree(workspace, cwd)
            (cwd / argv[argv.index("--out") + 1]).unlink(missing_ok=True)
        # As a user types it, after the README's setup line: `rcgrad` is the virtualenv's command.
        argv = ["bash", "-c", f". {shlex.quote(sys.prefix)}/bin/activate && {command}"]
    # One home for the whole README, in its order: status after graduate, as a user would see it.
    done = subprocess.run(
        argv, cwd=cwd, env=_env(workspace / ".home"), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{line}: `{command}` exited {done.returncode}\n{done.stdout}{done.stderr}"
    assert "Traceback" not in done.stderr
