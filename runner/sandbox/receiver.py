"""The app's webhook, played by rcgrad during a rehearsal: a tiny HTTP receiver on 127.0.0.1.

A WebHook subscription is refused unless its address answers RingCentral's validation request: a
POST carrying ``Validation-Token``, to be echoed with a 200 within 3 seconds. On ``server: local``
rcgrad starts this receiver for the run and hands its URL to the plan as the ``webhook_address``
variable, so a webhook plan rehearses without the app's real server; against a real server the plan
names the app's own address. It answers every POST with a 200 and an empty JSON body (echoing the
token when there is one, as RingCentral's own samples do) and counts what it got.

It must never bind anything but 127.0.0.1, and never keep a notification's body.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from runner.rc.rules.subscriptions import VALIDATION_TOKEN

HOST = "127.0.0.1"
PATH = "/rcgrad/webhook"
MAX_BODY = 2**20  # a notification is small; anything larger is drained and dropped


@dataclass
class Counts:
    validations: int = 0
    notifications: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass(frozen=True)
class Receiver:
    url: str
    counts: Counts


class _Handler(BaseHTTPRequestHandler):
    counts: Counts  # set on the subclass made per receiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        left = int(length) if length.isdigit() else 0
        while left > 0:  # drained, never kept
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
        token = self.headers.get(VALIDATION_TOKEN)
        with self.counts.lock:
            if token is not None:
                self.counts.validations += 1
            else:
                self.counts.notifications += 1
        self.send_response(200)
        if token is not None:
            self.send_header(VALIDATION_TOKEN, token)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return  # a rehearsal's console is rcgrad's own


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port for the length of the block."""
    counts = Counts()
    handler = type("Handler", (_Handler,), {"counts": counts})
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="rcgrad-webhook-receiver", daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://{HOST}:{server.server_address[1]}{PATH}", counts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
