"""The rules as docs/ringcentral.md lists them: one table per area, each rule with its source.

``python -m runner.rc.rules.doc docs/ringcentral.md`` rewrites the part of the file between its
``<!-- rules -->`` markers; a test fails when the file and the rules drift apart. Pure rendering
but for that one write of a docs file.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from runner.rc.rules import AREAS, RULES
from runner.rc.rules.base import Rule

BEGIN, END = "<!-- rules -->", "<!-- /rules -->"


def render() -> str:
    counts = Counter(r.enforced for r in RULES)
    lines = [
        BEGIN,
        "",
        f"{len(RULES)} rules in {len(AREAS)} areas. *Where* says what enforces each: "
        + ", ".join(f"{kind.value} ({counts[kind]})" for kind in counts)
        + ". The answer is RingCentral's status and code (a code marked *inferred* in the note is"
        " ours, where RingCentral documents the refusal but not its code).",
    ]
    for area, found in AREAS.items():
        lines += [
            "",
            f"#### {area}",
            "",
            "| rule | when | answer | where | source | confidence |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(rule) for rule in found.rules]
    return "\n".join([*lines, "", END])


def _row(rule: Rule) -> str:
    when = rule.when + (f". {rule.note[0].upper()}{rule.note[1:]}" if rule.note else "")
    sources = " ".join(
        f"<{s}>" if " " not in s else f"<{s.split(' ', 1)[0]}> {s.split(' ', 1)[1]}" for s in rule.sources
    )
    cell = [f"`{rule.id}`", when, rule.answer, rule.enforced.value, sources, rule.confidence.value]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cell) + " |"


def rewrite(text: str) -> str:
    """``text`` with its rules section replaced by the current rules."""
    head, found, rest = text.partition(BEGIN)
    if not found:
        raise ValueError(f"no {BEGIN} marker")
    _, found, tail = rest.partition(END)
    if not found:
        raise ValueError(f"no {END} marker")
    return head + render() + tail


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runner.rc.rules.doc docs/ringcentral.md", file=sys.stderr)
        return 2
    path = Path(args[0])
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the rules into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
