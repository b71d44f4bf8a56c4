"""Serve N local sandboxes (one app each, its own port) on one server in this process, for the fleet
benchmark: ``python -m bench.sandbox_host N``. Prints one JSON line per app (url, client id, secret,
JWT: throwaway credentials of this process only), then serves until its standard input closes."""

from __future__ import annotations

import json
import sys

from runner.sandbox import SandboxConfig, running_sandboxes


def main(count: int, scopes: list[str]) -> None:
    configs = [SandboxConfig(scopes=frozenset(scopes), client_id=f"bench-{n}") for n in range(count)]
    with running_sandboxes(configs) as handles:
        for handle in handles:
            config = handle.config
            line = {
                "url": handle.url,
                "id": config.client_id,
                "secret": config.client_secret,
                "jwt": config.jwt,
            }
            print(json.dumps(line), flush=True)
        sys.stdin.read()  # until the benchmark closes it
        api = sum(1 for h in handles for r in h.state.log if r.kind == "api")
        limited = sum(1 for h in handles for r in h.state.log if r.status == 429)
        print(json.dumps({"api": api, "429": limited}), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2].split(","))
