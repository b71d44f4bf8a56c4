"""``make conformance``: Schemathesis, an independent tool, measures the sandbox against the spec.

It serves the local sandbox on 127.0.0.1 (every scope, RingCentral's default limits on a short time
scale, tokens that outlive the run), logs in once, runs ``schemathesis run`` over RingCentral's
official OpenAPI document with that token and a fixed seed, bounded by ``--max-time``, and prints
how many operations fail each check. ``tests/test_conformance.py`` runs a small slice of it.
This harness must never send a request anywhere but the loopback sandbox it started.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from runner.sandbox import SandboxConfig, running_sandbox
from runner.sandbox.status_gaps import listed

REPO = Path(__file__).resolve().parent.parent
STATUS_GAPS = REPO / "docs" / "sandbox-status-codes.md"

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Schemathesis failure codes (``st explain CODE``) -> the check that raises them.
CHECK_OF_CODE = {
    "ST101": "not_a_server_error",
    "ST102": "not_a_server_error",
    "ST103": "status_code_conformance",
    "ST104": "content_type_conformance",
    "ST105": "content_type_conformance",
    "ST106": "content_type_conformance",
    "ST107": "response_headers_conformance",
    "ST108": "response_schema_conformance",
    "ST109": "response_schema_conformance",
    "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST203": "missing_required_header",
    "ST204": "unsupported_method",
    "ST205": "allow_header_conformance",
    "ST301": "use_after_free",
    "ST302": "ensure_resource_availability",
    "ST401": "ignored_auth",
    "ST402": "object_level_authorization",
}
TABLE_ORDER = (
    "not_a_server_error",
    "negative_data_rejection",
    "positive_data_acceptance",
    "response_schema_conformance",
    "status_code_conformance",
    "unsupported_method",
    "allow_header_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "missing_required_header",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)


@dataclass
class Outcome:
    """What one Schemathesis run found: operations failing each check, and the run's size."""

    tested: int
    cases: int
    seconds: float
    failing: dict[str, set[str]] = field(default_factory=dict)  # check -> "METHOD /path" labels
    errors: int = 0

    def table(self) -> list[str]:
        lines = [
            f"{self.tested} operations, {self.cases} test cases, {self.seconds:.0f} s, {self.errors} run errors",
            "",
            "| check | failing ops |",
            "|---|---|",
        ]
        names = [*TABLE_ORDER, *sorted(set(self.failing) - set(TABLE_ORDER))]
        lines += [f"| {name} | {len(self.failing.get(name, ()))} |" for name in names]
        return lines


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis"
    )
    if found is None:
        raise SystemExit("schemathesis is not installed: run `make install` (it is a dev dependency)")
    return found


def run(
    spec: Path,
    *,
    seed: int = 1,
    max_examples: int = 10,
    max_time: float = 600,
    include_name_regex: str | None = None,
    phases: str = "examples,coverage,fuzzing",
    checks: str = "all",
    workers: int = 2,
    quiet: bool = False,
    keep_report: Path | None = None,
) -> Outcome:
    """Serve a fresh sandbox, point Schemathesis at it and read its JSON report."""
    # RingCentral's limits (they cannot be raised) on a time scale where a minute lasts 0.6 ms, so
    # the run measures answers rather than 429s; tokens outlive the run.
    config = SandboxConfig(seed=seed, time_scale=1e-5, access_token_ttl=1e9, refresh_token_ttl=1e9)
    with running_sandbox(config) as sandbox, tempfile.TemporaryDirectory() as scratch:
        reply = httpx.post(
            sandbox.url + "/restapi/oauth/token",
            data={"grant_type": JWT_GRANT, "assertion": config.jwt},
            auth=(config.client_id, config.client_secret),
        )
        reply.raise_for_status()
        report = Path(scratch) / "report.json"
        command = [
            _schemathesis(),
            "run",
            str(spec.resolve()),
            "--url",
            sandbox.url,
            "-H",
            f"Authorization: Bearer {reply.json()['access_token']}",
            "--checks",
            checks,
            "--phases",
            phases,
            "--seed",
            str(seed),
            "--max-examples",
            str(max_examples),
            "--max-time",
            str(int(max_time)),
            "--workers",
            str(workers),
            "--no-shrink",
            "--suppress-health-check",
            "all",
            "--warnings",
            "off",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ]
        if include_name_regex:  # over "METHOD /path"
            command += ["--include-name-regex", include_name_regex]
        # In a scratch directory: Schemathesis keeps a cache of past failures in its working
        # directory and replays it first, which would make one run depend on the last.
        subprocess.run(command, check=False, cwd=scratch, stdout=subprocess.DEVNULL if quiet else None)
        if keep_report is not None:  # every failure's details, for whoever fixes them
            shutil.copyfile(report, keep_report)
        return read_report(json.loads(report.read_text()))


def read_report(data: dict) -> Outcome:  # type: ignore[type-arg]
    outcome = Outcome(
        tested=int(data["operations"]["tested"]),
        cases=int(data["test_cases"]["generated"]),
        seconds=float(data["running_time"]),
        errors=sum(int(e.get("count", 1)) for e in data.get("errors", [])),
    )
    for failure in data.get("failures", []):
        check = CHECK_OF_CODE.get(failure["code"], failure["title"])
        outcome.failing.setdefault(check, set()).update(failure["operations"])
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__)
    parser.add_argument("spec", type=Path, help="RingCentral's rc-public-openapi.yml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--max-time", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--include-name-regex", default=None, help='over "METHOD /path", e.g. "^GET "')
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--list", action="append", default=[], metavar="CHECK", help="also list the operations failing CHECK"
    )
    parser.add_argument("--keep-report", type=Path, metavar="PATH", help="keep Schemathesis' JSON report")
    args = parser.parse_args(argv)
    if not args.spec.is_file():
        print(f"{args.spec}: no such file (set SPEC=path/to/rc-public-openapi.yml)", file=sys.stderr)
        return 2
    outcome = run(
        args.spec,
        seed=args.seed,
        max_examples=args.max_examples,
        max_time=args.max_time,
        include_name_regex=args.include_name_regex,
        phases=args.phases,
        workers=args.workers,
        quiet=True,
        keep_report=args.keep_report,
    )
    print("\n".join(outcome.table()))
    # Every status_code_conformance failure must be one the spec leaves out (the generated list).
    documented = listed(STATUS_GAPS.read_text(encoding="utf-8"))
    unexplained = sorted(outcome.failing.get("status_code_conformance", set()) - documented)
    print(f"\nstatus_code_conformance outside {STATUS_GAPS.relative_to(REPO)}: {len(unexplained)}")
    print("\n".join(f"  {label}" for label in unexplained))
    for check in args.list:
        print(f"\n{check}:")
        print("\n".join(f"  {label}" for label in sorted(outcome.failing.get(check, ()))) or "  (none)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
