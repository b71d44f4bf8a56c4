"""Where RingCentral's OpenAPI spec is found, for the build-time generators and the tests that need it.

The spec is RingCentral's document and never enters the repository. It is looked for, in order:
``$RCGRAD_SPEC``; ``../shared/ringcentral/rc-public-openapi.yml`` beside the checkout; and the
cache ``make spec`` fills (``.cache/rc-public-openapi.yml`` in the checkout) from its public
address at a pinned commit, its sha256 checked. Like ``spec``, it is never imported at run time,
and it must never keep a download whose digest differs from the pinned one.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

SPEC_VAR = "RCGRAD_SPEC"
FILE_NAME = "rc-public-openapi.yml"
# The file RingCentral's SDK maintainers generate their SDKs from, at the commit rcgrad's generated
# data (runner/rc/data, runner/sandbox/data) was built from.
PINNED_COMMIT = "57b864b66aeffb2db9956e0a2f552dfcbdea4e28"
PUBLIC_URL = (
    f"https://raw.githubusercontent.com/tylerlong/ringcentral-open-api-parser/{PINNED_COMMIT}/{FILE_NAME}"
)
PINNED_SHA256 = "f2393ea64be639b495b30c4a8c04549c5e45f252088942aa9af08a71073135c8"
CHECKOUT = Path(__file__).resolve().parents[2]
CACHE = CHECKOUT / ".cache" / FILE_NAME
HOW_TO_GET = f"run `make spec` (it downloads {FILE_NAME} from its public address) or set {SPEC_VAR}"


def candidates(env: dict[str, str] | None = None) -> list[Path]:
    env = dict(os.environ) if env is None else env
    chosen = env.get(SPEC_VAR, "").strip()
    beside = CHECKOUT.parent / "shared" / "ringcentral" / FILE_NAME
    return [Path(chosen)] if chosen else [beside, CACHE]


def locate(env: dict[str, str] | None = None) -> Path | None:
    """The spec's path, or None when none of the places holds it."""
    return next((path for path in candidates(env) if path.is_file()), None)


def fetch(url: str = PUBLIC_URL, dest: Path = CACHE, sha256: str = PINNED_SHA256) -> Path:
    """Download the pinned spec into ``dest``; a body with another digest is never kept."""
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ValueError(f"{url} has sha256 {digest}, expected {sha256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as out:
        out.write(data)
    Path(out.name).replace(dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m runner.rc.spec_source [where|fetch]``: print the spec's path (exit 2 with how to
    get it when there is none), or fetch it into the cache first when no place holds it."""
    args = sys.argv[1:] if argv is None else argv
    found = locate()
    if found is None and args[:1] == ["fetch"]:
        try:
            found = fetch()
        except (OSError, ValueError) as exc:
            print(f"make spec: cannot download {PUBLIC_URL}: {exc}", file=sys.stderr)
            return 2
    if found is None:
        print(f"RingCentral's spec ({FILE_NAME}) is not here: {HOW_TO_GET}", file=sys.stderr)
        return 2
    print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
