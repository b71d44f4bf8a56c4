"""``rcgrad sandbox``: serve the local RingCentral sandbox on loopback until Ctrl-C.

It prints four ``RC_*=`` lines ready for a ``.env`` file. They are throwaway credentials of this
sandbox only; this is the one place rcgrad prints a secret, and it must never print a real one.
The control API's token is not printed: it is kept owner-only under ``$RCGRAD_HOME`` while the
sandbox runs, and the last line says where.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading

from runner import redact
from runner.errors import InputError
from runner.fileio import atomic_write
from runner.rc.limits import DEFAULT_LIMITS, raised
from runner.rc.scopes import unknown as unknown_scope
from runner.settings import ensure_state_home


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--scopes", default="", help="the app's scopes, comma-separated (default: all)")
    parser.add_argument(
        "--limits", default="", help="lower group limits, e.g. Heavy=5,Light=20 (never above the defaults)"
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="0.01 turns 60 s windows into 0.6 s")
    parser.add_argument("--access-ttl", type=float, default=3600.0, help="access token lifetime, seconds")
    parser.add_argument("--refresh-ttl", type=float, default=604800.0, help="refresh token lifetime, seconds")


def _limits(text: str) -> dict[str, int]:
    limits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        group, _, value = part.partition("=")
        if group not in DEFAULT_LIMITS or not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise InputError(
                f"expected GROUP=N with GROUP in {', '.join(DEFAULT_LIMITS)}, got {part!r}", key="--limits"
            )
        if (default := raised(group, int(value))) is not None:
            raise InputError(
                f"{group}={value} is above RingCentral's default of {default}; limits can only be lowered",
                key="--limits",
            )
        limits[group] = int(value)
    return limits


def _show_message(message: dict[str, object]) -> None:
    """A post to the emulated incoming webhook, as the chat would show it (through the redactor)."""
    title = message.get("title")
    lines = [f"incoming webhook: {title}" if title else "incoming webhook:"]
    lines += [f"  {line}" for line in str(message.get("text") or "").splitlines()]
    print("\n".join(lines), flush=True)


def run(args: argparse.Namespace) -> int:
    from runner.rc.catalog import load_catalog
    from runner.sandbox import SandboxConfig, running_sandbox
    from runner.sandbox.control import CONTROL_HEADER

    known = load_catalog().permissions
    scopes = frozenset(s.strip() for s in args.scopes.split(",") if s.strip()) or known
    unknown = sorted(scopes - known)
    if unknown:
        raise InputError(unknown_scope(unknown[0], known), key="--scopes")
    if not 0 <= args.port <= 65535:
        raise InputError(f"expected a port from 0 to 65535, got {args.port}", key="--port")
    numbers = (args.time_scale, args.access_ttl, args.refresh_ttl)
    if not all(math.isfinite(n) and n > 0 for n in numbers):
        raise InputError("must be a finite number above 0", key="--time-scale/--access-ttl/--refresh-ttl")
    config = SandboxConfig(
        scopes=scopes,
        limits=_limits(args.limits),
        time_scale=args.time_scale,
        access_token_ttl=args.access_ttl,
        refresh_token_ttl=args.refresh_ttl,
    )
    with contextlib.ExitStack() as stack:
        try:
            sandbox = stack.enter_context(running_sandbox(config, port=args.port or None))
        except OSError as exc:
            raise InputError(
                f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", key="--port"
            ) from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        # The control API's token goes to its owner only: a file only they can read, gone at exit.
        token_file = ensure_state_home() / "local-sandbox" / f"control-{sandbox.url.rsplit(':', 1)[1]}"
        atomic_write(token_file, config.control_token)
        stack.callback(token_file.unlink, missing_ok=True)
        # Before a word is printed: whoever reads the lines below may post at once.
        sandbox.state.incoming.on_message = _show_message
        print("\n".join(sandbox.env_lines()), file=redact.unmasked(sys.stdout), flush=True)
        print(
            f"# control API (/__sandbox/*): send the header {CONTROL_HEADER} with the token in {token_file}"
        )
        print(
            f"# alerts: --notify {sandbox.url}/webhook/v2/ID (any ID of 8 or more letters and digits)"
            " posts to Team Messaging's incoming webhook here; each message is printed below",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0
