"""One reader's listener: classify each request, let the rules decide, then forward or fault it.

What each action does to a request:

- ``slowdown_503``, ``internal_error_500``, ``not_found_404``, ``forbidden_403``: an S3 error
  document from the proxy (``status`` and ``message`` may override the defaults); the object
  store is not contacted.
- ``reset_before_response``: TCP RST before any byte of the answer.
- ``reset_after_bytes``: the upstream status and headers, ``bytes`` body bytes, then RST.
- ``truncated_body``: the upstream status and headers (full Content-Length), ``bytes`` body
  bytes, then a clean close.
- ``latency``: wait ``latency_ms``, then pass through.
- ``slow_body``: pass through at ``rate`` bytes per second.
- ``hang``: send nothing until the client gives up or ``hang_seconds`` pass, then close.

A HEAD answer has no body, so the body actions degrade: ``reset_after_bytes`` becomes a reset
before the response, ``truncated_body`` a clean close before the response, and ``slow_body``
passes through. When a body is shorter than ``bytes`` it is sent whole before the reset/close.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import aiohttp
from aiohttp import web

from lakeproof.faultproxy import connection
from lakeproof.faultproxy.forwarding import Upstream, end_to_end_headers, relay_body
from lakeproof.faultproxy.names import ERROR_ACTIONS, Action
from lakeproof.faultproxy.rulebook import RuleBook
from lakeproof.faultproxy.rules import FaultRule
from lakeproof.faultproxy.s3errors import BAD_GATEWAY, ERROR_DOCUMENTS, ErrorDocument, error_response
from lakeproof.faultproxy.s3request import S3Request, classify
from lakeproof.faultproxy.stats import ProxyStats, Tally

_log = logging.getLogger(__name__)
_access_log = logging.getLogger("lakeproof.faultproxy.access")

_Ending = Literal["finish", "reset", "close"]

# How the connection-cutting actions end the connection. reset_before_response and hang do it
# before any byte is answered; the body actions after their bytes, or, on a HEAD, which has no
# body, before any byte as well.
_ENDINGS: Mapping[Action, _Ending] = {
    "reset_before_response": "reset",
    "reset_after_bytes": "reset",
    "truncated_body": "close",
    "hang": "close",
}
_BEFORE_RESPONSE: frozenset[Action] = frozenset({"reset_before_response", "hang"})


@dataclass
class _Exchange:
    """One request on its way through the proxy, with what was answered so far."""

    request: web.Request
    s3: S3Request
    rule: FaultRule | None
    tally: Tally
    status: int | None = None
    sent: int = 0

    def count_sent(self, size: int) -> None:
        self.sent += size
        self.tally.bytes += size


class ListenerHandler:
    """The request handler of the listener named ``name``."""

    def __init__(self, name: str, rulebook: RuleBook, stats: ProxyStats, upstream: Upstream):
        self.name = name
        self._rulebook = rulebook
        self._stats = stats
        self._upstream = upstream

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request: forwarded, or faulted by the first rule that selects it."""
        s3 = classify(self.name, request.method, request.raw_path, request.headers.get("Range"))
        fault = self._rulebook.decide(s3)
        exchange = _Exchange(request, s3, fault.rule if fault else None, self._stats.record(s3, fault))
        try:
            return await self._respond(exchange)
        finally:
            _log_access(exchange)

    async def _respond(self, exchange: _Exchange) -> web.StreamResponse:
        rule = exchange.rule
        if rule is None:
            return await self._forward(exchange)
        if rule.action in ERROR_ACTIONS:
            return self._error(exchange, _error_document(rule))
        if rule.action == "hang":
            # Cancelled by aiohttp as soon as the client disconnects (handler_cancellation).
            await asyncio.sleep(rule.hang_limit)
        elif rule.action == "latency":
            await asyncio.sleep((rule.latency_ms or 0) / 1000)
        ending = _ENDINGS.get(rule.action, "finish")
        if rule.action in _BEFORE_RESPONSE or (ending != "finish" and exchange.s3.method == "HEAD"):
            _drop(exchange.request, ending)
            return web.Response()  # never sent: aiohttp discards it on the closed connection
        # Validation allows bytes only for the cutting actions and rate only for slow_body.
        return await self._forward(exchange, limit=rule.bytes, rate=rule.rate, ending=ending)

    def _error(self, exchange: _Exchange, document: ErrorDocument) -> web.Response:
        response = error_response(document, exchange.s3.resource)
        exchange.status = response.status
        if exchange.s3.method != "HEAD":
            exchange.count_sent(response.content_length or 0)
        return response

    async def _forward(
        self,
        exchange: _Exchange,
        limit: int | None = None,
        rate: int | None = None,
        ending: _Ending = "finish",
    ) -> web.StreamResponse:
        request = exchange.request
        response: web.StreamResponse | None = None
        try:
            async with self._upstream.send(request) as upstream:
                response = web.StreamResponse(
                    status=upstream.status,
                    reason=upstream.reason,
                    headers=end_to_end_headers(upstream.headers),
                )
                await response.prepare(request)
                exchange.status = upstream.status
                await relay_body(upstream, response, exchange.count_sent, limit=limit, rate=rate)
                await _end(request, response, ending)
                return response
        except (aiohttp.ClientError, ConnectionError) as exc:
            if request.transport is None or request.transport.is_closing():
                return response or web.Response()  # the client went away: nobody to answer
            _log.warning(
                "upstream %s failed on %s %s: %r", self._upstream.base_url, request.method, request.path, exc
            )
            if response is None:
                return self._error(exchange, BAD_GATEWAY)
            # Headers are out: a reset is the only way to tell the client its body is incomplete.
            connection.reset(request.transport)
            return response


def _error_document(rule: FaultRule) -> ErrorDocument:
    default = ERROR_DOCUMENTS[rule.action]
    return ErrorDocument(rule.status or default.status, default.code, rule.message or default.message)


def _drop(request: web.Request, ending: _Ending) -> None:
    """End the client connection with a reset or a clean close."""
    if ending == "reset":
        connection.reset(request.transport)
    else:
        connection.close(request.transport)


async def _end(request: web.Request, response: web.StreamResponse, ending: _Ending) -> None:
    """Finish the answer normally, or end the connection the way the fault asks."""
    if ending == "finish":
        await response.write_eof()
    else:
        if ending == "reset":
            # SO_LINGER 0 discards what is still queued: let the bytes reach the client first.
            await connection.wait_until_sent(request.transport)
        _drop(request, ending)


def _log_access(exchange: _Exchange) -> None:
    s3 = exchange.s3
    _access_log.info(
        "listener=%s op=%s bucket=%s key=%s range=%s status=%s bytes=%d fault=%s",
        s3.listener,
        s3.operation,
        s3.bucket or "-",
        s3.key or "-",
        s3.range or "-",
        exchange.status or "-",
        exchange.sent,
        exchange.rule.action if exchange.rule else "-",
    )
