"""The errors rcgrad reports to a person, each tied to its exit code.

Every message is one line and safe to print. Nothing here may ever format a secret: callers
pass names (``RC_USER_JWT``) and codes (``OAU-140``), never values.
"""

from __future__ import annotations

EXIT_MET = 0
EXIT_NOT_MET = 1
EXIT_BAD_INPUT = 2
EXIT_CREDENTIALS = 3


def one_line(text: str) -> str:
    """Control characters (a newline in a YAML key, say) are shown escaped, so a message stays one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class RcgradError(Exception):
    """Base class: ``str(error)`` is the one line shown to the user."""

    exit_code = EXIT_BAD_INPUT


class InputError(RcgradError):
    """Bad plan, flag or file. Names the place: ``file:line: key: what is wrong``."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None
    ):
        self.file, self.line, self.key, self.detail = file, line, key, message
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        super().__init__(one_line(f"{where}{key + ': ' if key else ''}{message}"))


class CredentialsError(RcgradError):
    """Missing or rejected credentials, or a token that cannot be obtained."""

    exit_code = EXIT_CREDENTIALS


class BusyError(RcgradError):
    """Another run holds this app's run lock and ``--wait`` was not given: nothing was sent."""

    exit_code = EXIT_NOT_MET

    def __init__(self, message: str, *, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder  # who holds the lock: "rcgrad pid 41 on build-2"
