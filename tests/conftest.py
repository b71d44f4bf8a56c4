"""Shared fixtures. Every test gets its own ``$RCGRAD_HOME`` so nothing touches the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "ringcentral"


@pytest.fixture(autouse=True)
def rcgrad_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "rcgrad-home"
    monkeypatch.setenv("RCGRAD_HOME", str(home))
    for name in ("RC_SERVER_URL", "RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT"):
        monkeypatch.delenv(name, raising=False)
    return home
