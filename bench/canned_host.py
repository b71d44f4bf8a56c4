"""Answer every request on loopback with one small JSON 200, as fast as asyncio can, for the HTTP
client's ceiling: ``python -m bench.canned_host`` prints its port, then serves until its standard
input closes. It reads only the end of each request's head (the requests it serves have no body), so
the figure is the client's, not a server's."""

from __future__ import annotations

import asyncio
import sys

BODY = b'{"uri":"http://127.0.0.1/restapi/v1.0/account/~","id":"100","status":"Confirmed"}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Rate-Limit-Group: light\r\n"
    b"X-Rate-Limit-Limit: 50\r\nX-Rate-Limit-Remaining: 49\r\nX-Rate-Limit-Window: 60\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
)


class _Canned(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._pending = b""

    def data_received(self, data: bytes) -> None:
        heads = (self._pending + data).split(b"\r\n\r\n")
        self._pending = heads.pop()
        self._transport.write(ANSWER * len(heads))


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Canned, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes it
    server.close()


if __name__ == "__main__":
    asyncio.run(_serve())
