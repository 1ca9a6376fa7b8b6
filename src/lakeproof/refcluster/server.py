"""The coordinator's HTTP JSON API (aiohttp), shaped like ES|QL's ``_query`` endpoints.

Handlers only translate HTTP to engine calls: blocking engine work runs on a thread pool so one
slow query never stalls ``/health``; every failure becomes ``{"error": {"type", "reason"}}``
with a 4xx for the caller's mistakes and a 5xx for storage and node failures. The coordinator
never crashes on a bad request. A synchronous ``POST /query`` whose client disconnects is
cancelled like an async one (the server must run with ``handler_cancellation=True``, see ``cli``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.refcluster.engine import Engine
from lakeproof.refcluster.errors import EngineError, NotFoundError
from lakeproof.refcluster.request import decode_body

_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, error_type: str, reason: str) -> web.Response:
    """The JSON error body every failure uses."""
    return web.json_response({"error": {"type": error_type, "reason": reason}}, status=status)


def _error_of(exc: BaseException) -> web.Response:
    if isinstance(exc, EngineError):
        return error_response(exc.status, exc.error_type, str(exc))
    if isinstance(exc, ConfigError):
        return error_response(400, "illegal_argument_exception", str(exc))
    if isinstance(exc, LakeproofError):
        # Storage reads that exhausted their retries: the message names object, status, attempts.
        return error_response(503, "storage_exception", str(exc))
    _log.exception("unexpected failure")
    # The traceback is in the coordinator's log; the caller gets one line.
    first_line = next(iter(str(exc).strip().splitlines()), "")
    return error_response(500, "internal_exception", f"{type(exc).__name__}: {first_line}")


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every exception into the JSON error shape."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        return error_response(exc.status, "http_exception", exc.reason)
    except Exception as exc:
        return _error_of(exc)


async def _json_body(request: web.Request) -> dict[str, Any]:
    return decode_body(await request.read())


@dataclass
class AsyncQuery:
    """A query running in the background, and how to cancel it."""

    id: str
    future: Future[dict[str, Any]]
    cancel: threading.Event = field(default_factory=threading.Event)


class CoordinatorApi:
    """Routes of the coordinator around one ``Engine``."""

    def __init__(self, engine: Engine, workers: int = 4):
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="query")
        self._async: dict[str, AsyncQuery] = {}

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(middlewares=[errors_as_json], client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.get("/health", self.health),
                web.get("/nodes", self.nodes),
                web.get("/tasks", self.tasks),
                web.post("/query", self.query),
                web.post("/query/async", self.start_async),
                web.get("/query/async/{id}", self.get_async),
                web.delete("/query/async/{id}", self.cancel_async),
                web.post("/plan", self.plan),
            ]
        )
        app.on_shutdown.append(self._shutdown)
        return app

    async def _run(self, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    async def health(self, request: web.Request) -> web.Response:
        """Liveness and how many data nodes are up."""
        return web.json_response(await self._run(self.engine.health))

    async def nodes(self, request: web.Request) -> web.Response:
        """The data nodes the scheduler knows, with their reader listeners."""
        return web.json_response(await self._run(self.engine.nodes))

    async def tasks(self, request: web.Request) -> web.Response:
        """Node tasks executing now, per executor (coordinator and data nodes)."""
        return web.json_response({"running": await self._run(self.engine.running_tasks)})

    async def query(self, request: web.Request) -> web.Response:
        """Run a query and answer with columns, values, is_partial and (if asked) the profile.

        A client that disconnects cancels the query: aiohttp cancels this handler, and the
        engine's work, running on a thread, is told through the cancel event.
        """
        body = await _json_body(request)
        cancel = threading.Event()
        try:
            return web.json_response(await self._run(lambda: self.engine.query(body, cancel)))
        except asyncio.CancelledError:
            _log.info("client of a synchronous query disconnected: cancelling the query")
            cancel.set()
            raise

    async def plan(self, request: web.Request) -> web.Response:
        """Dry run: splits and assignment for a query, or for a synthetic list of split sizes."""
        body = await _json_body(request)
        return web.json_response(await self._run(lambda: self.engine.plan(body)))

    async def start_async(self, request: web.Request) -> web.Response:
        """Start a query in the background; answer its id at once, or a bad body's 400 at once."""
        checked = self.engine.parse_request(await _json_body(request))
        query_id = uuid.uuid4().hex
        cancel = threading.Event()
        future = self._pool.submit(self.engine.run, checked, cancel)
        self._async[query_id] = AsyncQuery(query_id, future, cancel)
        return web.json_response({"id": query_id, "is_running": True}, status=202)

    def _find(self, request: web.Request) -> AsyncQuery:
        query_id = request.match_info["id"]
        found = self._async.get(query_id)
        if found is None:
            raise NotFoundError(f"no async query with id [{query_id}]")
        return found

    async def get_async(self, request: web.Request) -> web.Response:
        """The state of a background query: running, or its answer or error."""
        found = self._find(request)
        if not found.future.done():
            return web.json_response({"id": found.id, "is_running": True})
        exc = found.future.exception()
        if exc is not None:
            return _error_of(exc)
        return web.json_response({"id": found.id, "is_running": False, **found.future.result()})

    async def cancel_async(self, request: web.Request) -> web.Response:
        """Cancel a background query; its node work stops at the next split."""
        found = self._find(request)
        found.cancel.set()
        self._async.pop(found.id, None)
        return web.json_response({"id": found.id, "cancelled": not found.future.done()})

    async def _shutdown(self, app: web.Application) -> None:
        for running in self._async.values():
            running.cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
