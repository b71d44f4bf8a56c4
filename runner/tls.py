"""The TLS settings every HTTP client of the process shares: one verifying context, made once.

httpx builds a context per client by default, loading the CA bundle each time (about 0.8 MB and
25 ms): a fleet of 500 apps, each with its own client, paid 400 MB and 12 s for identical copies.
This is httpx's own default context (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), kept. It must
never weaken verification.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def client_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()
