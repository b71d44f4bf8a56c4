"""The ``rcgrad`` command line: parses flags, dispatches to ``runner.commands.*``, maps errors to
exit codes (0 met, 1 not met, 2 bad input, 3 credentials).

Command modules are imported lazily so ``rcgrad check`` never pays for the sandbox or the SDK.
This module must never print a traceback or a secret for a user error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Any, NoReturn

from runner import redact
from runner.errors import EXIT_BAD_INPUT, RcgradError
from runner.settings import environment

# name -> (module, one-line help). Each module defines configure(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("runner.commands.check", "check a plan offline; no request is sent"),
    "graduate": ("runner.commands.traffic", "send what the apply day still needs, then give the verdict"),
    "warmup": ("runner.commands.traffic", "top up today's traffic to the daily baseline"),
    "status": ("runner.commands.status", "the verdict from the ledger only; no traffic"),
    "report": ("runner.commands.report", "each app's last 14 days as HTML pages, from the ledger only"),
    "sandbox": ("runner.commands.sandbox", "serve the local RingCentral sandbox on loopback"),
    "login": ("runner.commands.tokens", "log in once with the JWT and store the tokens"),
    "logout": ("runner.commands.tokens", "revoke and delete the stored tokens"),
    "token": ("runner.commands.tokens", "show the stored tokens' expiry times, redacted"),
    "ledger": ("runner.commands.ledger", "export, import console counts, migrate to PostgreSQL"),
    "schedule": ("runner.commands.schedule", "print a daily warm-up definition (cron, systemd, GitHub)"),
    "plan": ("runner.commands.plan", "write a plan from scopes or from an app's source tree"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit 2: the usage block is one `--help` away.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


class _Formatter(argparse.HelpFormatter):
    """A flag that takes an optional value only to refuse it (``schedule --notify``: a webhook URL
    typed there is a secret, caught and refused rather than echoed) is shown as the bare flag."""

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        return (
            ""
            if action.nargs == "?" and action.metavar == ""
            else super()._format_args(action, default_metavar)
        )

    def _format_action_invocation(self, action: argparse.Action) -> str:
        return super()._format_action_invocation(action).rstrip()

    def _format_usage(self, *args: Any, **kwargs: Any) -> str:
        return super()._format_usage(*args, **kwargs).replace(" ]", "]")


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"rcgrad {version()}")
        parser.exit(0)


# The shared flags each command reads (default: all three); a command is never offered one it ignores.
COMMON_FLAGS: dict[str, tuple[str, ...]] = {
    "check": ("server", "quiet"),
    "ledger": ("server",),
    "schedule": ("server",),
    "sandbox": (),
    "plan": (),
}


def _add_common(parser: argparse.ArgumentParser, name: str) -> None:
    flags = COMMON_FLAGS.get(name, ("server", "verbose", "quiet"))
    if "server" in flags:
        parser.add_argument(
            "--server", metavar="URL", help="override the plan's server: local, sandbox, production or a URL"
        )
    # -v and -q exclude each other where both are offered (argparse cannot show an empty group).
    noise = parser.add_mutually_exclusive_group() if {"verbose", "quiet"} <= set(flags) else parser
    if "verbose" in flags:
        noise.add_argument(
            "-v", "--verbose", action="store_true", help="log every request (secrets redacted)"
        )
    if "quiet" in flags:
        quiet = "print only the problems" if name == "check" else "print only the verdict"
        noise.add_argument("-q", "--quiet", action="store_true", help=quiet)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``only``'s module is imported and its flags added (None: the command list)."""
    parser = _Parser(prog="rcgrad", description="Graduation-traffic QA runner for RingCentral apps.")
    parser.add_argument("--version", action=_Version, nargs=0, help="print rcgrad's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_Formatter)
        if name == only:  # only the chosen command's module is imported: `rcgrad --help` needs none
            module = importlib.import_module(module_name)
            _add_common(cmd, name)
            module.configure(cmd, name)
            cmd.set_defaults(_run=module.run)
    return parser


def version() -> str:
    import importlib.metadata  # 25 ms: paid by --version only

    try:
        return importlib.metadata.version("rcgrad")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redact.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger("rcgrad")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.propagate = False


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(only=chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    _setup_logging(getattr(args, "verbose", False))
    # Every line rcgrad prints passes the redactor, whoever prints it; restored for the next caller.
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = redact.RedactingStream(stdout), redact.RedactingStream(stderr)
    try:
        redact.register_environment(environment())
        return int(args._run(args))
    except RcgradError as exc:
        print(f"rcgrad: {redact.redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rcgrad: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout, sys.stderr = stdout, stderr


if __name__ == "__main__":
    raise SystemExit(main())
