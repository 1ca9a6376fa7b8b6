"""A stub Docker Engine API on a unix socket: the build machines have no Docker engine.

It answers the calls the ``docker`` SDK makes for the backend (version, ping, images, networks,
containers: create, start, inspect, logs, kill, stop, restart, pause, unpause, remove, list)
with the shapes the Engine API documents, keeps containers and networks as state, and records
every call, so a test asserts what the backend asked for and what it left behind. How nodes
behave is the test's choice: healthy after a few inspections, never healthy, unhealthy, exiting
at once; images present, pullable or missing; host ports already taken.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

API_VERSION = "1.45"
Health = Literal["healthy", "never", "unhealthy", "exits"]
_STDOUT, _STDERR = 1, 2


@dataclass(frozen=True)
class Call:
    """One request the stub received: method, path without the API version, query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class StubContainer:
    id: str
    name: str
    config: dict[str, Any]
    status: str = "created"
    exit_code: int = 0
    inspections: int = 0
    host_ports: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.config.get("Labels") or {})


@dataclass
class StubEngine:
    """The engine's state and the behaviour a test chose; every field may be changed by a test."""

    images: set[str] = field(default_factory=set)
    pullable: set[str] = field(default_factory=set)
    health: Health = "healthy"
    healthy_after: int = 2
    taken_ports: set[int] = field(default_factory=set)
    refusals: dict[tuple[str, str], str] = field(default_factory=dict)
    """(method, path regex) -> the message of a 500 the engine answers such a call with."""
    containers: dict[str, StubContainer] = field(default_factory=dict)
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _ports: Iterator[int] = field(default_factory=lambda: itertools.count(40001))

    def paths(self, method: str, pattern: str) -> list[str]:
        """Paths of the calls with ``method`` whose path fully matches the regex ``pattern``."""
        return [
            call.path for call in self.calls if call.method == method and re.fullmatch(pattern, call.path)
        ]

    def new_id(self) -> str:
        return f"{next(self._ids):064x}"

    def add_leftover(self, name: str, labels: dict[str, str]) -> StubContainer:
        """A container as another run left it (running, with its labels)."""
        container = StubContainer(self.new_id(), name, {"Labels": labels, "Image": "leftover"}, "running")
        self.containers[container.id] = container
        return container

    def add_network(self, name: str, labels: dict[str, str]) -> str:
        network_id = self.new_id()
        self.networks[network_id] = {"Id": network_id, "Name": name, "Labels": labels, "Driver": "bridge"}
        return network_id

    # -- container behaviour -----------------------------------------------------------------

    def inspect(self, container: StubContainer) -> dict[str, Any]:
        container.inspections += 1
        state: dict[str, Any] = {
            "Status": container.status,
            "Running": container.status in {"running", "paused"},
            "Paused": container.status == "paused",
            "ExitCode": container.exit_code,
        }
        if container.config.get("Healthcheck") and container.status == "running":
            state["Health"] = self._health(container)
        bindings = container.config.get("HostConfig", {}).get("PortBindings") or {}
        ports = {
            key: [{"HostIp": binding[0]["HostIp"], "HostPort": container.host_ports.get(key, "")}]
            for key, binding in bindings.items()
        }
        return {
            "Id": container.id,
            "Name": f"/{container.name}",
            "Config": {**container.config, "Tty": False},
            "State": state,
            "NetworkSettings": {"Ports": ports},
        }

    def _health(self, container: StubContainer) -> dict[str, Any]:
        if self.health == "unhealthy":
            return {"Status": "unhealthy", "Log": [{"ExitCode": 1, "Output": "curl: (7) Connection refused"}]}
        if self.health == "never" or container.inspections < self.healthy_after:
            return {"Status": "starting", "Log": [{"ExitCode": 1, "Output": "not ready yet"}]}
        return {"Status": "healthy", "Log": [{"ExitCode": 0, "Output": "ok"}]}

    def start(self, container: StubContainer) -> web.Response:
        bindings = container.config.get("HostConfig", {}).get("PortBindings") or {}
        for key, binding in bindings.items():
            wanted = binding[0]["HostPort"]
            if wanted and int(wanted) in self.taken_ports:
                return _error(
                    500,
                    f"driver failed programming external connectivity on endpoint {container.name}: Bind for "
                    f"127.0.0.1:{wanted} failed: port is already allocated",
                )
            container.host_ports[key] = wanted or str(next(self._ports))
        if self.health == "exits":
            container.status, container.exit_code = "exited", 3
        else:
            container.status, container.exit_code, container.inspections = "running", 0, 0
        return web.Response(status=204)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _frames(stream: int, text: str) -> bytes:
    """Docker's multiplexed log stream: an 8-byte header (stream, 0, 0, 0, big-endian size) per frame."""
    data = text.encode()
    return struct.pack(">BxxxL", stream, len(data)) + data


Handler = Callable[[StubEngine, web.Request, dict[str, str], Any], web.StreamResponse]


def _container_or_404(engine: StubEngine, ident: str) -> StubContainer | web.Response:
    for container in engine.containers.values():
        if ident in {container.id, container.name}:
            return container
    return _error(404, f"No such container: {ident}")


def _routes() -> list[tuple[str, str, Handler]]:
    def version(engine: StubEngine, request: web.Request, match: dict[str, str], body: Any) -> web.Response:
        return web.json_response({"ApiVersion": API_VERSION, "Version": "27.0.0", "MinAPIVersion": "1.24"})

    def ping(engine: StubEngine, request: web.Request, match: dict[str, str], body: Any) -> web.Response:
        return web.Response(text="OK")

    def image(engine: StubEngine, request: web.Request, match: dict[str, str], body: Any) -> web.Response:
        name = match["name"]
        if name in engine.images:
            return web.json_response({"Id": f"sha256:{abs(hash(name)):064x}", "RepoTags": [name]})
        return _error(404, f"No such image: {name}")

    def pull(engine: StubEngine, request: web.Request, match: dict[str, str], body: Any) -> web.Response:
        name = f"{request.query['fromImage']}:{request.query.get('tag', 'latest')}"
        if name not in engine.pullable:
            return _error(
                404,
                f"pull access denied for {request.query['fromImage']}, repository does not exist or may "
                "require 'docker login'",
            )
        engine.images.add(name)
        return web.Response(text=json.dumps({"status": f"Downloaded newer image for {name}"}) + "\n")

    def network_create(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        network_id = engine.add_network(body["Name"], body.get("Labels") or {})
        return web.json_response({"Id": network_id, "Warning": ""}, status=201)

    def network_get(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        found = engine.networks.get(match["id"])
        return web.json_response(found) if found else _error(404, f"network {match['id']} not found")

    def network_delete(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        if engine.networks.pop(match["id"], None) is None:
            return _error(404, f"network {match['id']} not found")
        return web.Response(status=204)

    def network_list(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        wanted = json.loads(request.query.get("filters", "{}")).get("label", [])
        return web.json_response(
            [network for network in engine.networks.values() if _labelled(network["Labels"], wanted)]
        )

    def container_create(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        if body["Image"] not in engine.images:
            return _error(404, f"No such image: {body['Image']}")
        container = StubContainer(engine.new_id(), request.query["name"], body)
        engine.containers[container.id] = container
        return web.json_response({"Id": container.id, "Warnings": []}, status=201)

    def container_list(
        engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
    ) -> web.Response:
        wanted = json.loads(request.query.get("filters", "{}")).get("label", [])
        return web.json_response(
            [
                {"Id": container.id, "Names": [f"/{container.name}"], "Labels": container.labels}
                for container in engine.containers.values()
                if _labelled(container.labels, wanted)
            ]
        )

    def container(action: str) -> Handler:
        def handle(
            engine: StubEngine, request: web.Request, match: dict[str, str], body: Any
        ) -> web.StreamResponse:
            found = _container_or_404(engine, match["id"])
            if isinstance(found, web.Response):
                return found
            if action == "inspect":
                return web.json_response(engine.inspect(found))
            if action == "start":
                return engine.start(found)
            if action == "logs":
                text = _frames(_STDOUT, f"{found.name} started\n") + _frames(_STDERR, f"{found.name} warns\n")
                return web.Response(body=text, content_type="application/vnd.docker.raw-stream")
            if action == "remove":
                del engine.containers[found.id]
            elif action == "kill":
                found.status, found.exit_code = "exited", 137
            elif action == "stop":
                found.status, found.exit_code = "exited", 0
            elif action == "restart":
                engine.start(found)
            elif action in {"pause", "unpause"}:
                found.status = "paused" if action == "pause" else "running"
            return web.Response(status=204)

        return handle

    ident = r"(?P<id>[^/]+)"
    return [
        ("GET", r"/version", version),
        ("GET", r"/_ping", ping),
        ("HEAD", r"/_ping", ping),
        ("GET", r"/images/(?P<name>.+)/json", image),
        ("POST", r"/images/create", pull),
        ("POST", r"/networks/create", network_create),
        ("GET", r"/networks", network_list),
        ("GET", rf"/networks/{ident}", network_get),
        ("DELETE", rf"/networks/{ident}", network_delete),
        ("POST", r"/containers/create", container_create),
        ("GET", r"/containers/json", container_list),
        ("GET", rf"/containers/{ident}/json", container("inspect")),
        ("GET", rf"/containers/{ident}/logs", container("logs")),
        ("DELETE", rf"/containers/{ident}", container("remove")),
        *[
            ("POST", rf"/containers/{ident}/{action}", container(action))
            for action in ("start", "kill", "stop", "restart", "pause", "unpause")
        ],
    ]


def _labelled(labels: dict[str, str], wanted: list[str]) -> bool:
    """Docker's label filter: every ``key`` present, every ``key=value`` equal."""
    for condition in wanted:
        key, sep, value = condition.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


class StubEngineServer:
    """Serves a :class:`StubEngine` on a unix socket from a thread of its own; a context manager."""

    def __init__(self, socket_path: Path, engine: StubEngine | None = None):
        self.socket_path = socket_path
        self.engine = engine or StubEngine()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="stub-docker", daemon=True)
        self._routes = [(method, re.compile(pattern), handler) for method, pattern, handler in _routes()]

    @property
    def base_url(self) -> str:
        """What ``DOCKER_HOST`` or ``DockerClient(base_url=...)`` takes."""
        return f"unix://{self.socket_path}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = re.sub(r"^/v\d+\.\d+", "", request.path)
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        self.engine.calls.append(Call(request.method, path, dict(request.query), body))
        for (refused_method, refused_path), message in self.engine.refusals.items():
            if refused_method == request.method and re.fullmatch(refused_path, path):
                return _error(500, message)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return handler(self.engine, request, match.groupdict(), body)
        return _error(404, f"page not found: {request.method} {path}")

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.UnixSite(self._runner, str(self.socket_path)).start()

    def __enter__(self) -> StubEngineServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
