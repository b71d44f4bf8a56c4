"""What a verdict judged: the server, the app, the user, the plan file and the profile.

Every report names it, so a rehearsal on the local sandbox can never be read as a production
verdict. Only the client id's first and last four characters are kept; this module must never hold
a secret (the user is named by a hash of the JWT, never the JWT).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subject:
    server: str  # the ledger's name for it: a URL, or "local/<app>" for the embedded sandbox
    app: str
    client_id: str  # already shortened by ``short_id``
    user: str
    plan_file: str
    profile: str

    @property
    def rehearsal(self) -> bool:
        return self.server == "local" or self.server.startswith("local/")

    @property
    def server_line(self) -> str:
        if self.rehearsal:
            return f"REHEARSAL: local sandbox (partition {self.server}); no real traffic was judged"
        return self.server

    def lines(self) -> tuple[tuple[str, str], ...]:
        return (
            ("server", self.server_line),
            ("app", f"{self.app} (client id {self.client_id})"),
            ("user", self.user or "-"),
            ("plan", self.plan_file),
            ("profile", self.profile),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "server": self.server,
            "rehearsal": self.rehearsal,
            "app": self.app,
            "client_id": self.client_id,
            "user": self.user,
            "plan": self.plan_file,
            "profile": self.profile,
        }


def short_id(client_id: str) -> str:
    """``abcd...wxyz``: enough to tell apps apart, not enough to be the id. ASCII, as every line a
    pipe or a log gets."""
    if len(client_id) <= 8:
        return client_id[:2] + "..."
    return f"{client_id[:4]}...{client_id[-4:]}"
