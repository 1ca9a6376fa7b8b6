"""An engine's nodes as Docker containers, through the ``docker`` SDK (the Docker Engine API).

One :class:`ContainerEngine` is one run of an engine definition: a bridge network of its own and
one container per node, every one labelled with the run id and its owner (this process's pid and
start time, as scratch folders are named in ``lakeproof.scratch``). ``start`` sweeps what runs
whose owner is gone left behind, makes sure the image is there, starts the nodes and waits for
their health within the definition's deadline; on any failure it removes all it created.
``stop`` copies each container's log into the run's log folder, then removes every container
and the network; it also runs at interpreter exit. A run killed outright (``kill -9``) cannot
clean up: the next start on the machine sweeps its containers and network.

Every failure is one line naming the definition file, the node and the fix: the image missing,
a health check that never passes, a host port already taken, no Docker engine answering.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.models.networks import Network

from lakeproof.containers.definition import LAB_HOST, LoadedDefinition, PortSpec, RoleSpec
from lakeproof.errors import ComponentStartError, LakeproofError, PortInUseError
from lakeproof.lab import Lab
from lakeproof.net import LOOPBACK, ensure_port_free
from lakeproof.procs import make_private_dir, open_private
from lakeproof.scratch import owner_tag, owner_tag_alive

LABEL_RUN = "io.lakeproof.run"
LABEL_OWNER = "io.lakeproof.owner"
LABEL_ENGINE = "io.lakeproof.engine"
LABEL_NODE = "io.lakeproof.node"

_NANOSECONDS = 1_000_000_000
_POLL_S = 0.2
_API_TIMEOUT_S = 30
_LOG_TAIL_LINES = 5

NodeAction = Literal["kill", "stop", "restart", "pause", "unpause"]


class DockerUnavailable(LakeproofError):
    """No Docker engine answers: the container backend cannot run here."""


def connect(base_url: str | None = None, timeout: int = _API_TIMEOUT_S) -> docker.DockerClient:
    """A client of the Docker engine at ``base_url`` (default: ``DOCKER_HOST``, else the local socket).

    Raises DockerUnavailable with one line when no engine answers there.
    """
    where = base_url or "DOCKER_HOST or unix:///var/run/docker.sock"
    try:
        client = (
            docker.DockerClient(base_url=base_url, version="auto", timeout=timeout)
            if base_url
            else docker.from_env(version="auto", timeout=timeout)
        )
        client.ping()
    except (DockerException, requests.RequestException) as exc:
        reason = " ".join(str(exc).split())
        raise DockerUnavailable(
            f"no Docker engine answers at {where} ({reason}); start Docker, or point DOCKER_HOST at a "
            "running engine: engines from container images need one"
        ) from None
    return client


def docker_unavailable_reason(base_url: str | None = None) -> str | None:
    """Why engines from container images cannot run here (one line), or None when a Docker engine
    answers: what the keyword side shows when it skips a test that needs one."""
    try:
        connect(base_url).close()
    except DockerUnavailable as exc:
        return str(exc)
    return None


def sweep_leftovers(client: docker.DockerClient) -> list[str]:
    """Remove the containers and networks of runs whose owner process is gone; return their names.

    A run whose owner still runs (another suite, another person's run on the machine) is left alone.
    """
    swept: list[str] = []
    for container in client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        if not owner_tag_alive(container.labels.get(LABEL_OWNER, "")):
            with contextlib.suppress(NotFound):
                container.remove(force=True, v=True)
            swept.append(container.name or container.id or "")
    for network in client.networks.list(filters={"label": LABEL_OWNER}):
        if not owner_tag_alive((network.attrs.get("Labels") or {}).get(LABEL_OWNER, "")):
            with contextlib.suppress(NotFound):
                network.remove()
            swept.append(network.name or network.id or "")
    return swept


@dataclass(frozen=True)
class LabAccess:
    """What the nodes need of the lab: its proxy listeners' ports, bucket, prefix and credentials."""

    listener_ports: Mapping[str, int]
    bucket: str
    prefix: str
    region: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


def lab_access(lab: Lab) -> LabAccess:
    """What a running lab gives the nodes: its listeners' ports, bucket, run prefix, credentials."""
    store = lab.s3
    return LabAccess(
        listener_ports=dict(lab.proxy.ready["listeners"]),
        bucket=lab.bucket,
        prefix=lab.prefix,
        region=store.region,
        access_key=store.access_key,
        secret_key=store.secret_key,
    )


@dataclass(frozen=True)
class ContainerNode:
    """One node of a running engine: its container and the host ports of its named ports."""

    name: str
    role: str
    container_id: str
    ports: Mapping[str, int]

    def url(self, port: str, scheme: str = "http") -> str:
        """``scheme://127.0.0.1:<host port>`` of the named port (how a driver reaches the node)."""
        if port not in self.ports:
            raise ComponentStartError(
                f"node {self.name} publishes no port {port!r}; "
                f"its ports are: {', '.join(self.ports) or 'none'}"
            )
        return f"{scheme}://{LOOPBACK}:{self.ports[port]}"


class ContainerEngine:
    """One run of an engine definition on a Docker engine: its network and containers."""

    def __init__(
        self,
        definition: LoadedDefinition,
        lab: LabAccess,
        run_id: str,
        log_dir: Path,
        client: docker.DockerClient,
    ):
        self.definition = definition
        self.engine = definition.engine
        self.lab = lab
        self.run_id = run_id
        self.log_dir = log_dir
        self.client = client
        self.labels = {LABEL_RUN: run_id, LABEL_OWNER: owner_tag(), LABEL_ENGINE: self.engine.name}
        self.network_name = f"lakeproof-{run_id}"
        self._network: Network | None = None
        self._containers: dict[str, Container] = {}
        self._roles = {node: role for role in self.engine.roles for node in role.node_names}
        self.nodes: dict[str, ContainerNode] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ContainerEngine:
        """Sweep dead runs' leftovers, then start every node and wait for its health; return self."""
        atexit.register(self.stop)
        try:
            self._call("sweep the leftovers of finished runs", lambda: sweep_leftovers(self.client))
            self._ensure_image()
            self._check_fixed_ports()
            self._network = self._call(
                "create the network",
                lambda: self.client.networks.create(self.network_name, driver="bridge", labels=self.labels),
            )
            for node in self.engine.node_names:
                self._start_node(node)
            deadline = time.monotonic() + self.engine.start_timeout_s
            for node in self.engine.node_names:
                self._wait_healthy(node, deadline)
        except BaseException:
            # The reason the start failed is the error to show; what could not be removed is swept
            # by the next start once this process is gone.
            with contextlib.suppress(LakeproofError):
                self.stop()
            raise
        return self

    def stop(self) -> None:
        """Copy every node's log into the log folder, remove the containers and the network; idempotent.

        Everything is tried; what could not be removed is named in one error at the end.
        """
        left: list[str] = []
        try:
            for node in list(self._containers):
                self._save_log(node)
            removals: list[tuple[str, Callable[[], Any]]] = [
                (container.name or node, functools.partial(container.remove, force=True, v=True))
                for node, container in self._containers.items()
            ]
            if self._network is not None:
                removals.append((self.network_name, self._network.remove))
            for name, remove in removals:
                try:
                    remove()
                except NotFound:
                    continue  # already gone: what stop wants
                except (APIError, requests.RequestException) as exc:
                    left.append(f"{name} ({_explain(exc)})")
        finally:
            self._containers.clear()
            self.nodes.clear()
            self._network = None
            atexit.unregister(self.stop)
        if left:
            raise LakeproofError(
                self.definition.error(
                    f"could not remove {'; '.join(left)}; remove them by hand "
                    "(docker rm -f, docker network rm)"
                )
            )

    def node_action(self, node: str, action: NodeAction) -> None:
        """Act on ``node``: ``kill`` (SIGKILL, a crash), ``stop`` (SIGTERM, then SIGKILL after the
        definition's stop timeout), ``restart`` (and wait for its health), ``pause`` (a hung node:
        its processes frozen, its connections open) or ``unpause``."""
        container = self._container(node)
        grace = round(self.engine.stop_timeout_s)
        actions: dict[NodeAction, Callable[[], Any]] = {
            "kill": lambda: container.kill(signal="SIGKILL"),
            "stop": lambda: container.stop(timeout=grace),
            "restart": lambda: container.restart(timeout=grace),
            "pause": container.pause,
            "unpause": container.unpause,
        }
        self._call(f"{action} node {node}", actions[action])
        if action == "restart":
            self._wait_healthy(node, time.monotonic() + self.engine.start_timeout_s)

    def node_state(self, node: str) -> str:
        """The container's state as Docker reports it: running, paused, exited, ..."""
        state = self._inspect(node)["State"]
        return str(state.get("Status", "unknown"))

    # -- the steps ---------------------------------------------------------------------------

    def _image_present(self) -> bool:
        try:
            self.client.images.get(self.engine.image)
        except ImageNotFound:
            return False
        return True

    def _ensure_image(self) -> None:
        image = self.engine.image
        if self._call(f"look for image {image}", self._image_present):
            return
        if self.engine.pull == "never":
            raise ComponentStartError(
                self.definition.error(
                    f"image {image!r} is not on this Docker engine and 'pull' is never; build or pull "
                    f"it first (docker pull {image}), or fix 'image'"
                )
            )
        try:
            self.client.images.pull(image)  # the SDK splits repository, tag and digest itself
        except (APIError, requests.RequestException) as exc:
            raise ComponentStartError(
                self.definition.error(
                    f"image {image!r} is not on this Docker engine and could not be pulled "
                    f"({_explain(exc)}); build or pull it first (docker pull {image}), or fix 'image'"
                )
            ) from None

    def _check_fixed_ports(self) -> None:
        for role in self.engine.roles:
            for port in role.ports:
                if port.host:
                    try:
                        ensure_port_free(port.host, f"port '{port.name}' of role {role.name}")
                    except PortInUseError as exc:
                        raise PortInUseError(self.definition.error(str(exc))) from None

    def _start_node(self, node: str) -> None:
        role = self._roles[node]
        values = self._placeholders(node)
        environment = {
            **{key: value.format(**values) for key, value in self.engine.storage.environment.items()},
            **{key: value.format(**values) for key, value in role.environment.items()},
        }
        # Host port '' (None) lets Docker choose a free one; always on the host's loopback only.
        published: dict[str, Any] = {_port_key(port): (LOOPBACK, port.host or None) for port in role.ports}
        container: Container = self._call(
            f"create node {node}",
            lambda: self.client.containers.create(
                self.engine.image,
                command=list(role.command) if role.command else None,
                name=f"{self.network_name}-{node}",
                hostname=node,
                environment=environment,
                labels={**self.labels, LABEL_NODE: node},
                ports=published,
                network=self.network_name,
                networking_config={self.network_name: self.client.api.create_endpoint_config(aliases=[node])},
                extra_hosts={LAB_HOST: self.engine.host_gateway},
                healthcheck=_healthcheck(role),
                detach=True,
            ),
        )
        self._containers[node] = container
        self._call(f"start node {node}", container.start)

    def _placeholders(self, node: str) -> dict[str, str]:
        listener = self.engine.listener_of(node)
        port = self.lab.listener_ports.get(listener)
        if port is None:
            raise ComponentStartError(
                self.definition.error(
                    f"node {node} reads through the lab's proxy listener {listener!r}, which the lab does "
                    f"not have (it has: {', '.join(self.lab.listener_ports)}); start the lab with a reader "
                    "per node, or set storage.per_node_endpoints to false"
                )
            )
        return {
            "s3_endpoint": f"http://{LAB_HOST}:{port}",
            "bucket": self.lab.bucket,
            "prefix": self.lab.prefix,
            "region": self.lab.region,
            "access_key": self.lab.access_key,
            "secret_key": self.lab.secret_key,
            "node": node,
            "lab_host": LAB_HOST,
        }

    def _wait_healthy(self, node: str, deadline: float) -> None:
        role = self._roles[node]
        health = "not checked"
        while True:
            info = self._inspect(node)
            state = info["State"]
            if state.get("Status") in {"exited", "dead"}:
                raise ComponentStartError(
                    self.definition.error(
                        f"node {node} exited with code {state.get('ExitCode')} before it was ready; "
                        f"last log lines: {self._log_tail(node)}; see {self._log_path(node)}"
                    )
                )
            checks = state.get("Health")
            health = (
                str(checks.get("Status")) if checks else ("running" if state.get("Running") else "starting")
            )
            if health in {"healthy", "running"} and state.get("Running"):
                self.nodes[node] = ContainerNode(node, role.name, info["Id"], _host_ports(info, role.ports))
                return
            if health == "unhealthy":
                raise ComponentStartError(
                    self.definition.error(
                        f"node {node} is unhealthy (last check: {_last_check(checks)}); fix the image or "
                        f"its health check; see {self._log_path(node)}"
                    )
                )
            if time.monotonic() >= deadline:
                raise ComponentStartError(
                    self.definition.error(
                        f"node {node} not healthy within start_timeout_s {self.engine.start_timeout_s:g} s "
                        f"(health: {health}; last check: {_last_check(checks)}); raise start_timeout_s or "
                        f"fix the health check; see {self._log_path(node)}"
                    )
                )
            # The health probe's cadence (a readiness probe with a deadline), not a synchronising sleep.
            time.sleep(_POLL_S)

    # -- helpers -----------------------------------------------------------------------------

    def _container(self, node: str) -> Container:
        if node not in self._containers:
            raise ComponentStartError(
                f"engine {self.engine.name} has no running node {node!r}; its nodes are: "
                f"{', '.join(self._containers) or 'none (not started)'}"
            )
        return self._containers[node]

    def _inspect(self, node: str) -> dict[str, Any]:
        container = self._container(node)
        info: dict[str, Any] = self._call(
            f"inspect node {node}", lambda: self.client.api.inspect_container(container.id or "")
        )
        return info

    def _log_path(self, node: str) -> Path:
        return self.log_dir / f"{self.engine.name}-{node}.log"

    def _log_tail(self, node: str) -> str:
        try:
            text = self._container(node).logs(stdout=True, stderr=True, tail=_LOG_TAIL_LINES)
        except (APIError, requests.RequestException) as exc:
            return f"(no log: {_explain(exc)})"
        lines = [line for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
        return " | ".join(lines) or "(empty log)"

    def _save_log(self, node: str) -> None:
        """The container's whole log (stdout and stderr) into the run's log folder, owner-only."""
        try:
            data = self._containers[node].logs(stdout=True, stderr=True)
        except (APIError, requests.RequestException):
            return
        make_private_dir(self.log_dir)
        with open_private(self._log_path(node)) as handle:
            handle.write(data)

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        """``call()``; a Docker error becomes one line naming the definition and what was being done."""
        try:
            return call()
        except requests.ConnectionError as exc:
            raise DockerUnavailable(
                self.definition.error(
                    f"the Docker engine stopped answering while trying to {what} ({_explain(exc)})"
                )
            ) from None
        except APIError as exc:
            explanation = _explain(exc)
            if "port is already allocated" in explanation or "address already in use" in explanation:
                raise PortInUseError(
                    self.definition.error(
                        f"cannot {what}: a host port it publishes is already in use ({explanation}); use 0 "
                        "(a free port) or stop the process holding it"
                    )
                ) from None
            raise ComponentStartError(
                self.definition.error(f"Docker refused to {what}: {explanation}")
            ) from None


def _port_key(port: PortSpec) -> str:
    return f"{port.container}/{port.protocol}"


def _host_ports(info: Mapping[str, Any], ports: tuple[PortSpec, ...]) -> dict[str, int]:
    """Named port -> the host port Docker published it on (chosen by Docker for host 0)."""
    published = (info.get("NetworkSettings") or {}).get("Ports") or {}
    found: dict[str, int] = {}
    for port in ports:
        bindings = published.get(_port_key(port)) or []
        if bindings:
            found[port.name] = int(bindings[0]["HostPort"])
    return found


def _healthcheck(role: RoleSpec) -> dict[str, Any] | None:
    """The role's health check in Docker's terms (durations in nanoseconds); None keeps the image's."""
    health = role.health
    if health is None:
        return None
    return {
        "test": list(health.command),
        "interval": int(health.interval_s * _NANOSECONDS),
        "timeout": int(health.timeout_s * _NANOSECONDS),
        "retries": health.retries,
        "start_period": int(health.start_period_s * _NANOSECONDS),
    }


def _last_check(checks: Mapping[str, Any] | None) -> str:
    log = (checks or {}).get("Log") or []
    if not log:
        return "none yet"
    last = log[-1]
    output = " ".join(str(last.get("Output", "")).split()) or "no output"
    return f"exit {last.get('ExitCode')}: {output}"


def _explain(exc: Exception) -> str:
    """Docker's own explanation of an error, on one line."""
    text = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(text).split())
