"""Keywords that start an engine's nodes from container images (Docker) and act on them."""

from __future__ import annotations

from pathlib import Path

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn
from robotlibcore import keyword

from lakeproof.containers import (
    ContainerEngine,
    NodeAction,
    connect,
    docker_unavailable_reason,
    lab_access,
    load_definition,
)
from Lakeproof.context import LabContext
from Lakeproof.html_log import log_mapping

_TAGS = ["containers"]


class ContainerKeywords:
    """Engines from container images: nodes as Docker containers wired to the lab's fault proxy."""

    def __init__(self, context: LabContext):
        self.context = context

    @keyword(tags=_TAGS)
    def require_docker_engine(self, docker_host: str | None = None) -> None:
        """Skips the current test (or, in a suite setup, the whole suite) unless a Docker engine answers.

        ``docker_host`` defaults to ``DOCKER_HOST``, else the local socket. The skip message is the
        one-line reason, e.g. ``no Docker engine answers at ...; start Docker, or point DOCKER_HOST
        at a running engine: engines from container images need one``.

        Example:
        | Suite Setup    `Require Docker Engine`
        """
        reason = docker_unavailable_reason(docker_host)
        if reason is not None:
            BuiltIn().skip(reason)

    @keyword(tags=_TAGS)
    def start_engine_containers(self, definition: Path, docker_host: str | None = None) -> dict[str, object]:
        """Starts the nodes an engine definition file describes, as containers reading through the lab.

        Needs a running lab (`Start Lab`) with a reader per node when the definition asks for
        per-node endpoints; with ``proxy_host=0.0.0.0`` the containers can reach its listeners.
        Without a Docker engine the test is skipped with the reason (see `Require Docker Engine`).
        Every container and the run's network are labelled with the run; `Stop Engine Containers`,
        `Stop Lab` or the suite's end removes them and copies each node's log into the lab's
        log folder. Containers left by a run whose process is gone are removed first.

        Returns each node's role and published port URLs, e.g. ``${nodes}[coordinator][http]``.

        Example:
        | `Start Lab`    nodes=3    proxy_host=0.0.0.0
        | ${nodes}=    `Start Engine Containers`    data/engines/examples/acme-engine.yaml
        """
        self.require_docker_engine(docker_host)
        lab = self.context.require_lab()
        self.stop_engine_containers()
        loaded = load_definition(definition)
        engine = ContainerEngine(
            loaded, lab_access(lab), lab.prefix, lab.log_dir / "containers", connect(docker_host)
        )
        self.context.containers = engine.start()
        nodes: dict[str, object] = {
            name: {"role": node.role, **{port: node.url(port) for port in node.ports}}
            for name, node in engine.nodes.items()
        }
        logger.info(
            f"Engine {loaded.engine.name} ({loaded.engine.image}) ready, driver {loaded.engine.driver}"
        )
        log_mapping("Engine nodes", nodes)
        return nodes

    @keyword(tags=_TAGS)
    def stop_engine_containers(self) -> None:
        """Removes every container and the network of the running engine, after copying their logs.

        Safe to call when none runs; `Stop Lab` calls it too.

        Example:
        | Suite Teardown    `Stop Engine Containers`
        """
        engine, self.context.containers = self.context.containers, None
        if engine is not None:
            engine.stop()

    @keyword(tags=_TAGS)
    def get_engine_nodes(self) -> list[str]:
        """Returns the names of the running engine's nodes, in the definition's order.

        Example:
        | @{nodes}=    `Get Engine Nodes`
        | `Kill Engine Node`    ${nodes}[-1]
        """
        return list(self._engine().nodes)

    @keyword(tags=_TAGS)
    def kill_engine_node(self, node: str) -> None:
        """Kills ``node``'s container with SIGKILL, as a crash would.

        Example:
        | `Kill Engine Node`    node-2
        """
        self._act(node, "kill")

    @keyword(tags=_TAGS)
    def stop_engine_node(self, node: str) -> None:
        """Stops ``node``'s container: SIGTERM, then SIGKILL after the definition's ``stop_timeout_s``.

        Example:
        | `Stop Engine Node`    node-2
        """
        self._act(node, "stop")

    @keyword(tags=_TAGS)
    def restart_engine_node(self, node: str) -> None:
        """Restarts ``node``'s container and waits until it is healthy again.

        Example:
        | `Restart Engine Node`    node-2
        """
        self._act(node, "restart")

    @keyword(tags=_TAGS)
    def pause_engine_node(self, node: str) -> None:
        """Freezes ``node``'s processes (a hung node: its connections stay open, nothing answers).

        Example:
        | `Pause Engine Node`    node-2
        """
        self._act(node, "pause")

    @keyword(tags=_TAGS)
    def unpause_engine_node(self, node: str) -> None:
        """Lets a paused ``node`` run again.

        Example:
        | `Unpause Engine Node`    node-2
        """
        self._act(node, "unpause")

    @keyword(tags=_TAGS)
    def engine_node_state_should_be(self, node: str, state: str) -> None:
        """Fails unless Docker reports ``node``'s container in ``state`` (running, paused, exited, ...).

        Example:
        | `Engine Node State Should Be`    node-2    exited
        """
        seen = self._engine().node_state(node)
        if seen != state:
            raise AssertionError(f"engine node {node} is {seen}, expected {state}")

    def _act(self, node: str, action: NodeAction) -> None:
        self._engine().node_action(node, action)

    def _engine(self) -> ContainerEngine:
        if self.context.containers is None:
            raise AssertionError("no engine runs in containers: call 'Start Engine Containers' first")
        return self.context.containers
