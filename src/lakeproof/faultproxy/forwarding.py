"""Transparent forwarding to the object store: same request out, same answer back, streamed.

Method, raw path and query, end-to-end headers (Host, Authorization, Range, Content-MD5,
x-amz-*) and the body go upstream unchanged; status, end-to-end headers and body come back
unchanged. Bodies are streamed in large chunks both ways, never buffered whole. The aiohttp
client is told not to decompress and not to add headers of its own, so what the object store
sees is what the client signed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from lakeproof.errors import ConfigError

CHUNK_SIZE = 256 * 1024
"""Bytes read and written per step: large enough for throughput, small enough to stream."""

# Headers that describe one connection, not the message (RFC 9110 section 7.6.1); Expect is
# answered by the proxy itself (aiohttp sends "100 Continue"), and no SigV4 client signs it.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED_UPSTREAM = _HOP_BY_HOP | {"expect"}

# aiohttp would otherwise add these when the client did not send them.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


def end_to_end_headers(headers: Mapping[str, str], dropped: frozenset[str] = _HOP_BY_HOP) -> CIMultiDict[str]:
    """``headers`` without hop-by-hop ones, including those the Connection header names."""
    named = {token.strip().lower() for token in headers.get("Connection", "").split(",")}
    excluded = dropped | named
    return CIMultiDict((name, value) for name, value in headers.items() if name.lower() not in excluded)


class Upstream:
    """A pooled HTTP client to the object store, opened and closed on the proxy's event loop."""

    def __init__(self, base_url: str):
        url = URL(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(
                f"upstream URL {base_url!r} is not an http(s) URL with a host; "
                "use the object store's endpoint, e.g. http://127.0.0.1:5000"
            )
        self.base_url = str(url)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the connection pool; must run on the loop that serves requests."""
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            skip_auto_headers=_NO_AUTO_HEADERS,
            cookie_jar=aiohttp.DummyCookieJar(),
            read_bufsize=CHUNK_SIZE,
            # No overall deadline: a 64 MiB read may take long. A dead store is caught at connect.
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )

    async def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @asynccontextmanager
    async def send(self, request: web.BaseRequest) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send ``request`` upstream as it came (body streamed); yield the response."""
        if self._session is None:
            raise RuntimeError("the upstream connection pool is not open; start the proxy first")
        async with self._session.request(
            request.method,
            URL(self.base_url + request.raw_path, encoded=True),
            headers=end_to_end_headers(request.headers, _NOT_FORWARDED_UPSTREAM),
            data=request.content if request.body_exists else None,
            allow_redirects=False,
        ) as response:
            yield response


async def relay_body(
    source: aiohttp.ClientResponse,
    target: web.StreamResponse,
    on_sent: Callable[[int], None],
    limit: int | None = None,
    rate: int | None = None,
) -> None:
    """Copy the upstream body to the client, stopping after ``limit`` bytes, at ``rate`` bytes/s.

    ``on_sent`` is called with the size of every piece handed to the client connection.
    """
    if limit == 0:
        return  # not one body byte gets through: do not even wait for the first
    pacer = _Pacer(rate) if rate is not None else None
    sent = 0
    async for received in source.content.iter_chunked(CHUNK_SIZE):
        chunk = received if limit is None else received[: limit - sent]
        for piece in pacer.pieces(chunk) if pacer else (chunk,):
            if pacer:
                await pacer.wait(sent)
            await target.write(piece)
            sent += len(piece)
            on_sent(len(piece))
        if limit is not None and sent >= limit:
            return


class _Pacer:
    """Spreads writes over time so that the body flows at ``rate`` bytes per second."""

    # About ten writes per second: smooth enough for a client's throughput timer.
    _STEPS_PER_SECOND = 10

    def __init__(self, rate: int):
        self._rate = rate
        self._step = max(1, rate // self._STEPS_PER_SECOND)
        self._start = asyncio.get_running_loop().time()

    def pieces(self, chunk: bytes) -> list[bytes]:
        return [chunk[offset : offset + self._step] for offset in range(0, len(chunk), self._step)]

    async def wait(self, sent: int) -> None:
        """Sleep until ``sent`` bytes are due at the configured rate."""
        loop = asyncio.get_running_loop()
        delay = self._start + sent / self._rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
