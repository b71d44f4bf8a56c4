"""``rcgrad plan init`` and ``rcgrad plan scan``: write a plan from scopes, or from an app's source tree.

The plan goes to ``--out`` (never over an existing file) or to standard output; warnings and the
scopes the app needs go to standard error. This module must never overwrite a user's file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runner import words
from runner.errors import EXIT_MET, InputError
from runner.plan import init as authoring
from runner.plan import scan, scan_plan


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="plan_command", metavar="init|scan", required=True)
    init = sub.add_parser("init", help="a plan that exercises the given scopes with the safest endpoints")
    init.add_argument("--scopes", required=True, help="the app's scopes, comma-separated")
    scanner = sub.add_parser("scan", help="a plan from the RingCentral calls found in a source tree")
    scanner.add_argument("path", metavar="PATH", help="the app's source tree (or one file)")
    scanner.add_argument(
        "--include-tests",
        action="store_true",
        help="also read test and fixture trees (skipped by default: their paths are mocks, not calls)",
    )
    scanner.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip files or folders (repeatable)"
    )
    for each in (init, scanner):
        each.add_argument("--out", metavar="FILE", help="write the plan here (default: standard output)")
        each.add_argument("--name", help="the app's name in the plan (default: from --out's file name)")


def _name_from(out: str | None) -> str:
    """The app's name when --name is not given: the plan file's (``plans/crm-sync.yaml`` -> ``crm
    sync``), so two generated plans never share a rehearsal partition; ``my app`` on standard output."""
    stem = Path(out).stem.replace("-", " ").replace("_", " ").strip() if out else ""
    return stem or "my app"


def _summary(result: scan.Scan) -> None:
    """Per file: the operations found and the hits skipped, and why (to standard error)."""
    files = sorted(set(result.files) | {f for f, _ in result.skipped})
    for name in files:
        skipped = ", ".join(f"{n} {why}" for (f, why), n in sorted(result.skipped.items()) if f == name)
        print(
            f"{name}: {words.counted(result.files.get(name, 0), 'call')}"
            + (f"; skipped {skipped}" if skipped else ""),
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    if args.plan_command == "init":
        scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
        if not scopes:
            raise InputError(
                "list at least one scope, e.g. --scopes ReadCallLog,ReadPresence", key="--scopes"
            )
        draft = authoring.draft_plan(scopes)
        text = authoring.render(draft, name=args.name or _name_from(args.out))
        for warning in draft.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        missing = [i.scope for i in draft.items if not i.complete]
        if missing:
            print(f"todo: {', '.join(missing)} need a person (see the todo: lines)", file=sys.stderr)
    else:
        root = Path(args.path)
        if not root.exists():
            raise InputError("no such file or folder", file=str(root))
        options = scan.ScanOptions(include_tests=args.include_tests, exclude=tuple(args.exclude))
        result = scan.scan_source(root, options)
        _summary(result)
        if not result.found and not result.event_filters:
            raise InputError("no RingCentral REST call found", file=str(root))
        for miss in result.unmatched:
            print(
                f"warning: {miss.file}:{miss.line}: {miss.text} is not in RingCentral's API", file=sys.stderr
            )
        needed = scan_plan.plan_scopes(result.found, result.event_filters)
        print(f"scopes the app needs: {', '.join(needed)}", file=sys.stderr)
        text = scan_plan.render(
            result.found, name=args.name or root.resolve().name, event_filters=result.event_filters
        )
    if args.out:
        out = Path(args.out)
        if out.exists():
            raise InputError("exists already; choose another --out or remove it", file=str(out))
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the plan: {exc.strerror or exc.__class__.__name__}", file=str(out)
            ) from None
        print(f"wrote {out}", file=sys.stderr)
        # The written plan holds a TODO description that check refuses: say so now, not at check.
        print(
            f"next: describe the app in app.description (the TODO line), then rcgrad check {out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return EXIT_MET
