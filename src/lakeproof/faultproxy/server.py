"""The fault proxy: one loopback listener per reader plus the control API, started and stopped.

``FaultProxy`` runs on the caller's event loop; ``BackgroundFaultProxy`` runs one on its own
loop in a thread, for tests and benchmarks that are synchronous. The lab itself runs the proxy
as a child process (``python -m lakeproof.faultproxy``).
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import socket
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from lakeproof.errors import ComponentStartError, ConfigError, LakeproofError, PortInUseError
from lakeproof.faultproxy.control import ControlApi
from lakeproof.faultproxy.forwarding import CHUNK_SIZE, Upstream
from lakeproof.faultproxy.listener import ListenerHandler
from lakeproof.faultproxy.rulebook import RuleBook
from lakeproof.faultproxy.stats import ProxyStats
from lakeproof.net import LOOPBACK, connect_host

_LISTENER_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# In-flight requests get this long to finish on stop; a hanging one is then cancelled.
_SHUTDOWN_SECONDS = 1.0


def check_listeners(listeners: Mapping[str, int]) -> dict[str, int]:
    """Validate listener names and ports; raises ConfigError naming the bad one."""
    if not listeners:
        raise ConfigError("the fault proxy needs at least one listener, e.g. 'coordinator'")
    for name, port in listeners.items():
        if not _LISTENER_NAME.fullmatch(name):
            raise ConfigError(
                f"invalid listener name {name!r}; use lower-case letters, digits and '-', "
                "starting with a letter or digit (e.g. 'coordinator', 'node-1')"
            )
        _check_port(port, f"listener {name!r}")
    return dict(listeners)


def _check_port(port: int, what: str) -> int:
    if not 0 <= port <= 65535:
        raise ConfigError(f"invalid port {port} for {what}; use 0 (any free port) to 65535")
    return port


def _bind(port: int, what: str, host: str = LOOPBACK) -> socket.socket:
    """A socket bound to ``host:port``; raises PortInUseError if another process holds it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    # Lets a restarted proxy take its port back while old connections sit in TIME_WAIT; on
    # Linux it still refuses a port another socket is listening on.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} for {what} is already in use on {host}; "
                "choose another port or stop the process holding it"
            ) from None
        raise ComponentStartError(
            f"cannot bind port {port} for {what} on {host}: {exc.strerror}; choose another port or 0"
            " (or a listen host this machine has)"
        ) from None
    sock.setblocking(False)
    return sock


class FaultProxy:
    """An S3-aware fault-injecting reverse proxy in front of ``upstream``.

    ``listeners`` maps reader names (``coordinator``, ``node-1``, ...) to ports; port 0 lets the
    OS choose. Listeners bind to ``listen_host`` (127.0.0.1 unless containers must reach
    them), the control API always to 127.0.0.1. Rules and statistics are shared by all
    listeners and live on the event loop that ran ``start()``.
    """

    def __init__(
        self, upstream: str, listeners: Mapping[str, int], control_port: int = 0, listen_host: str = LOOPBACK
    ):
        self.listen_host = listen_host
        self._requested = check_listeners(listeners)
        self._requested_control = _check_port(control_port, "the control API")
        self._upstream = Upstream(upstream)
        self.rulebook = RuleBook(self._requested)
        self.stats = ProxyStats()
        self._runners: list[web.AppRunner] = []
        self._ports: dict[str, int] = {}
        self._control_port: int | None = None

    @property
    def upstream(self) -> str:
        """Base URL of the object store behind the proxy."""
        return self._upstream.base_url

    @property
    def listener_ports(self) -> dict[str, int]:
        """Bound port of each listener (empty before ``start()``)."""
        return dict(self._ports)

    @property
    def control_port(self) -> int:
        """Bound port of the control API."""
        if self._control_port is None:
            raise ComponentStartError("the fault proxy is not running: start it first")
        return self._control_port

    @property
    def control_url(self) -> str:
        """Base URL of the control API."""
        return f"http://{LOOPBACK}:{self.control_port}"

    def endpoint(self, listener: str) -> str:
        """The S3 endpoint URL a reader named ``listener`` should use."""
        if listener not in self._ports:
            raise ConfigError(f"unknown listener {listener!r}; this proxy has: {', '.join(self._requested)}")
        return f"http://{connect_host(self.listen_host)}:{self._ports[listener]}"

    def ready_info(self) -> dict[str, Any]:
        """What the ready file reports: process id and bound ports."""
        return {"pid": os.getpid(), "control": self.control_port, "listeners": self.listener_ports}

    async def start(self) -> None:
        """Bind every port (all or none), then serve; raises PortInUseError for a taken port."""
        if self._runners:
            raise RuntimeError("the fault proxy is already running")
        sockets: dict[str, socket.socket] = {}
        try:
            for name, port in self._requested.items():
                sockets[name] = _bind(port, f"listener {name!r}", self.listen_host)
            control_socket = _bind(self._requested_control, "the control API")
        except LakeproofError:
            for sock in sockets.values():
                sock.close()
            raise
        try:
            await self._upstream.open()
            for name, sock in sockets.items():
                handler = ListenerHandler(name, self.rulebook, self.stats, self._upstream)
                app = web.Application()
                app.router.add_route("*", "/{path:.*}", handler.handle)
                # handler_cancellation: a client that disconnects cancels its request at once
                # (ends a hang, stops reading upstream). auto_decompress: bodies pass verbatim.
                await self._serve(
                    app, sock, handler_cancellation=True, auto_decompress=False, read_bufsize=CHUNK_SIZE
                )
                self._ports[name] = sock.getsockname()[1]
            control = ControlApi(self.rulebook, self.stats, self.upstream, lambda: self.listener_ports)
            await self._serve(control.app(), control_socket)
            self._control_port = control_socket.getsockname()[1]
        except BaseException:
            await self.stop()
            for sock in [*sockets.values(), control_socket]:
                sock.close()
            raise

    async def _serve(self, app: web.Application, sock: socket.socket, **handler_options: Any) -> None:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_SECONDS, **handler_options)
        await runner.setup()
        self._runners.append(runner)
        await web.SockSite(runner, sock).start()

    async def stop(self) -> None:
        """Close every listener and the control API, then the upstream pool; idempotent."""
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()
        await self._upstream.close()
        self._ports = {}
        self._control_port = None


class BackgroundFaultProxy:
    """A ``FaultProxy`` served by its own event loop in a daemon thread.

    Use as a context manager, or call ``start()`` / ``stop()``. Talk to it over HTTP (the
    listeners, and ``ProxyControl(proxy.control_url)``), not through its Python objects, which
    belong to the proxy's thread.
    """

    def __init__(
        self,
        upstream: str,
        listeners: Mapping[str, int],
        control_port: int = 0,
        timeout: float = 30.0,
    ):
        self.proxy = FaultProxy(upstream, listeners, control_port)
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FaultProxy:
        """Start the proxy; returns once every port is bound and served."""
        if self._loop is not None:
            raise RuntimeError("the background fault proxy is already running")
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="fault-proxy", daemon=True)
        self._loop = loop
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.proxy.start(), loop).result(self._timeout)
        except BaseException:
            self._stop_loop()
            raise
        return self.proxy

    def stop(self) -> None:
        """Stop the proxy and its thread; idempotent."""
        if self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(self._timeout)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self._timeout)
        loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
