"""The Docker backend against a stub Docker Engine API on a unix socket (no Docker engine here):
the calls it makes, what it leaves behind after success and after each kind of failure."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import psutil
import pytest

from lakeproof.containers import (
    ContainerEngine,
    DockerUnavailable,
    LabAccess,
    connect,
    docker_unavailable_reason,
    load_definition,
    sweep_leftovers,
)
from lakeproof.errors import ComponentStartError, LakeproofError, PortInUseError
from lakeproof.net import LOOPBACK

from .stub_engine import StubEngine, StubEngineServer

IMAGE = "registry.example/acme/engine:2.4.1"
LAB = LabAccess(
    listener_ports={"coordinator": 9100, "node-1": 9101, "node-2": 9102},
    bucket="lake",
    prefix="run-1",
    region="us-east-1",
    access_key="AKEXAMPLE",
    secret_key="s3cr3t-example",
)
DEFINITION = f"""\
name: acme
driver: reference
image: {IMAGE}
start_timeout_s: 5
storage:
  environment: {{S3_ENDPOINT: "{{s3_endpoint}}", S3_SECRET: "{{secret_key}}", NODE: "{{node}}"}}
roles:
  - name: coordinator
    ports: [{{name: http, container: 8080}}]
    health: {{command: [CMD, curl, -fs, "http://localhost:8080/health"], interval_s: 0.5, timeout_s: 2}}
  - name: node
    count: 2
    environment: {{COORDINATOR: "http://coordinator:8080"}}
    health: {{command: [CMD-SHELL, "true"]}}
"""


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubEngineServer]:
    """A stub Docker engine that has the image; unix socket paths are short, so not under tmp_path."""
    socket_path = Path(f"/tmp/lakeproof-stub-docker-{os.getpid()}-{id(tmp_path)}.sock")
    with StubEngineServer(socket_path, StubEngine(images={IMAGE})) as server:
        yield server
    socket_path.unlink(missing_ok=True)


@pytest.fixture
def client(stub: StubEngineServer) -> Iterator[docker.DockerClient]:
    """The SDK's client of the stub, as the backend makes it."""
    made = connect(stub.base_url)
    yield made
    made.close()


@pytest.fixture
def engine(stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path) -> Iterator[ContainerEngine]:
    """The test definition's engine, started; stopped after the test, which must leave nothing."""
    started = _engine(tmp_path, client).start()
    try:
        yield started
    finally:
        started.stop()
    _nothing_left(stub)


def _definition(tmp_path: Path, text: str = DEFINITION) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(text)
    return path


def _engine(tmp_path: Path, client: docker.DockerClient, text: str = DEFINITION) -> ContainerEngine:
    return ContainerEngine(
        load_definition(_definition(tmp_path, text)), LAB, "run-1", tmp_path / "logs", client
    )


def _my_owner_tag() -> str:
    """This process's pid and start time in centiseconds, computed here, not by the code under test."""
    return f"{os.getpid()}-{round(psutil.Process().create_time() * 100)}"


def _nothing_left(stub: StubEngineServer) -> None:
    assert stub.engine.containers == {}
    assert stub.engine.networks == {}


def test_start_makes_a_labelled_network_and_nodes_wired_to_their_own_listeners(
    stub: StubEngineServer, engine: ContainerEngine
) -> None:
    labels = {
        "io.lakeproof.run": "run-1",
        "io.lakeproof.owner": _my_owner_tag(),
        "io.lakeproof.engine": "acme",
    }
    [network] = stub.engine.networks.values()
    assert network["Name"] == "lakeproof-run-1"
    assert network["Labels"] == labels
    created = {
        call.query["name"]: call.body for call in stub.engine.calls if call.path == "/containers/create"
    }
    assert list(created) == [
        "lakeproof-run-1-coordinator",
        "lakeproof-run-1-node-1",
        "lakeproof-run-1-node-2",
    ]
    node_1 = created["lakeproof-run-1-node-1"]
    assert node_1["Image"] == IMAGE
    assert node_1["Labels"] == {**labels, "io.lakeproof.node": "node-1"}
    assert sorted(node_1["Env"]) == [
        "COORDINATOR=http://coordinator:8080",
        "NODE=node-1",
        "S3_ENDPOINT=http://lakeproof-lab:9101",
        f"S3_SECRET={LAB.secret_key}",
    ]
    assert node_1["HostConfig"]["ExtraHosts"] == ["lakeproof-lab:host-gateway"]
    assert node_1["HostConfig"]["NetworkMode"] == "lakeproof-run-1"
    assert node_1["NetworkingConfig"]["EndpointsConfig"]["lakeproof-run-1"]["Aliases"] == ["node-1"]
    assert "S3_ENDPOINT=http://lakeproof-lab:9100" in created["lakeproof-run-1-coordinator"]["Env"]
    coordinator = created["lakeproof-run-1-coordinator"]
    assert coordinator["Healthcheck"] == {
        "Test": ["CMD", "curl", "-fs", "http://localhost:8080/health"],
        "Interval": 500_000_000,
        "Timeout": 2_000_000_000,
        "Retries": 3,
        "StartPeriod": 0,
    }
    assert coordinator["HostConfig"]["PortBindings"] == {"8080/tcp": [{"HostIp": LOOPBACK, "HostPort": ""}]}
    assert len(stub.engine.paths("POST", r"/containers/[0-9a-f]+/start")) == 3
    # Ready means healthy: each node was inspected until the stub reported it so.
    assert all(
        container.inspections >= stub.engine.healthy_after for container in stub.engine.containers.values()
    )
    published = stub.engine.containers[engine.nodes["coordinator"].container_id].host_ports["8080/tcp"]
    assert engine.nodes["coordinator"].url("http") == f"http://{LOOPBACK}:{published}"
    assert set(engine.nodes) == {"coordinator", "node-1", "node-2"}


def test_node_lifecycle_kills_stops_pauses_and_restarts_the_right_container(
    stub: StubEngineServer, engine: ContainerEngine
) -> None:
    node_2 = engine.nodes["node-2"].container_id
    engine.node_action("node-2", "kill")
    [kill] = [call for call in stub.engine.calls if call.path == f"/containers/{node_2}/kill"]
    assert kill.query["signal"] == "SIGKILL"
    assert engine.node_state("node-2") == "exited"
    assert engine.node_state("node-1") == "running"
    engine.node_action("node-2", "restart")
    assert stub.engine.paths("POST", f"/containers/{node_2}/restart")
    # The stub counts inspections from the restart on: the backend waited until it was healthy.
    assert stub.engine.containers[node_2].inspections >= stub.engine.healthy_after
    engine.node_action("node-1", "pause")
    assert engine.node_state("node-1") == "paused"
    engine.node_action("node-1", "unpause")
    assert engine.node_state("node-1") == "running"
    engine.node_action("coordinator", "stop")
    [stop] = [call for call in stub.engine.calls if call.path.endswith("/stop")]
    assert stop.query["t"] == "10"
    with pytest.raises(
        ComponentStartError, match="engine acme has no running node 'node-9'; its nodes are: "
    ):
        engine.node_action("node-9", "kill")


def test_stop_copies_every_containers_log_and_removes_containers_then_network(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    engine = _engine(tmp_path, client).start()
    ids = {name: node.container_id for name, node in engine.nodes.items()}
    engine.stop()
    for name, container_id in ids.items():
        log = (tmp_path / "logs" / f"acme-{name}.log").read_text()
        assert f"lakeproof-run-1-{name} started" in log
        assert f"lakeproof-run-1-{name} warns" in log  # stderr too
        assert (tmp_path / "logs" / f"acme-{name}.log").stat().st_mode & 0o777 == 0o600
        [remove] = [
            call for call in stub.engine.calls if call.method == "DELETE" and call.path.endswith(container_id)
        ]
        assert remove.query["force"] == "True"
    deletes = [call.path for call in stub.engine.calls if call.method == "DELETE"]
    assert deletes[-1].startswith("/networks/"), "the network goes after its containers"
    _nothing_left(stub)
    engine.stop()  # idempotent


@pytest.mark.parametrize(
    ("health", "message"),
    [
        (
            "never",
            "node coordinator not healthy within start_timeout_s 1 s (health: starting; last check: exit 1: "
            "not ready yet); raise start_timeout_s or fix the health check",
        ),
        ("unhealthy", "node coordinator is unhealthy (last check: exit 1: curl: (7) Connection refused)"),
        ("exits", "node coordinator exited with code 3 before it was ready; last log lines: "),
    ],
)
def test_a_node_that_never_gets_healthy_fails_the_start_and_everything_is_removed(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path, health: Any, message: str
) -> None:
    stub.engine.health = health
    engine = _engine(tmp_path, client, DEFINITION.replace("start_timeout_s: 5", "start_timeout_s: 1"))
    with pytest.raises(ComponentStartError) as raised:
        engine.start()
    text = str(raised.value)
    assert text.startswith(f"{tmp_path / 'acme.yaml'}: ")
    assert message in text
    assert "\n" not in text
    assert LAB.secret_key not in text
    assert (tmp_path / "logs" / "acme-coordinator.log").exists(), "the log of the failed node is kept"
    _nothing_left(stub)


def test_a_missing_image_that_cannot_be_pulled_is_one_line_and_creates_nothing(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    stub.engine.images.clear()
    with pytest.raises(ComponentStartError) as raised:
        _engine(tmp_path, client).start()
    assert str(raised.value) == (
        f"{tmp_path / 'acme.yaml'}: image '{IMAGE}' is not on this Docker engine and could not be pulled "
        "(pull access denied for registry.example/acme/engine, repository does not exist or may require "
        f"'docker login'); build or pull it first (docker pull {IMAGE}), or fix 'image'"
    )
    assert stub.engine.paths("POST", "/images/create")
    assert not stub.engine.paths("POST", "/networks/create")
    _nothing_left(stub)


def test_a_missing_image_is_pulled_first_unless_pull_is_never(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    stub.engine.images.clear()
    stub.engine.pullable.add(IMAGE)
    never = DEFINITION.replace("driver: reference\n", "driver: reference\npull: never\n")
    with pytest.raises(ComponentStartError, match="is not on this Docker engine and 'pull' is never"):
        _engine(tmp_path, client, never).start()
    assert not stub.engine.paths("POST", "/images/create")
    engine = _engine(tmp_path, client).start()
    engine.stop()
    [pull] = [call for call in stub.engine.calls if call.path == "/images/create"]
    assert (pull.query["fromImage"], pull.query["tag"]) == ("registry.example/acme/engine", "2.4.1")


def test_a_host_port_taken_on_the_docker_host_is_one_line_and_everything_is_removed(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port free here, but taken on the (stub) Docker host
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    stub.engine.taken_ports.add(port)
    fixed = DEFINITION.replace(
        "{name: http, container: 8080}", f"{{name: http, container: 8080, host: {port}}}"
    )
    with pytest.raises(PortInUseError) as raised:
        _engine(tmp_path, client, fixed).start()
    assert str(raised.value).startswith(
        f"{tmp_path / 'acme.yaml'}: cannot start node coordinator: a host port it publishes is already in "
        "use (driver failed programming external connectivity on endpoint lakeproof-run-1-coordinator: "
        f"Bind for 127.0.0.1:{port} failed: port is already allocated); use 0"
    )
    _nothing_left(stub)


def test_a_fixed_host_port_taken_here_is_refused_before_anything_is_created(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        port = holder.getsockname()[1]
        fixed = DEFINITION.replace(
            "{name: http, container: 8080}", f"{{name: http, container: 8080, host: {port}}}"
        )
        with pytest.raises(
            PortInUseError, match=rf"port {port} for the port 'http' of role coordinator is already in use"
        ):
            _engine(tmp_path, client, fixed).start()
    assert not stub.engine.paths("POST", "/networks/create")
    _nothing_left(stub)


@pytest.mark.parametrize(
    ("refused", "doing"),
    [
        (("POST", "/networks/create"), "create the network"),
        (("POST", "/containers/create"), "create node coordinator"),
        (("POST", r"/containers/[0-9a-f]+/start"), "start node coordinator"),
        (("GET", "/containers/json"), "sweep the leftovers of finished runs"),
    ],
)
def test_a_call_the_docker_engine_refuses_is_one_line_and_everything_is_removed(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path, refused: tuple[str, str], doing: str
) -> None:
    stub.engine.refusals[refused] = "something went wrong in the engine"
    with pytest.raises(ComponentStartError) as raised:
        _engine(tmp_path, client).start()
    assert str(raised.value) == (
        f"{tmp_path / 'acme.yaml'}: Docker refused to {doing}: something went wrong in the engine"
    )
    _nothing_left(stub)


def test_a_node_without_its_listener_in_the_lab_is_one_line(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    three = DEFINITION.replace("count: 2", "count: 3")
    with pytest.raises(
        ComponentStartError, match="node node-3 reads through the lab's proxy listener 'node-3', which"
    ):
        _engine(tmp_path, client, three).start()
    _nothing_left(stub)


def test_where_no_docker_engine_answers_the_reason_is_one_line(tmp_path: Path) -> None:
    nowhere = f"unix://{tmp_path}/no-docker.sock"
    with pytest.raises(DockerUnavailable) as raised:
        connect(nowhere)
    assert str(raised.value).startswith(f"no Docker engine answers at {nowhere} (")
    assert str(raised.value).endswith(
        "; start Docker, or point DOCKER_HOST at a running engine: engines from container images need one"
    )
    assert "\n" not in str(raised.value)
    assert docker_unavailable_reason(nowhere) == str(raised.value)


def test_a_docker_engine_that_answers_gives_no_reason(stub: StubEngineServer) -> None:
    assert docker_unavailable_reason(stub.base_url) is None


def test_the_engine_going_away_mid_run_is_one_line(tmp_path: Path) -> None:
    socket_path = Path(f"/tmp/lakeproof-stub-docker-gone-{os.getpid()}.sock")
    with StubEngineServer(socket_path, StubEngine(images={IMAGE})) as server:
        client = connect(server.base_url)
        engine = _engine(tmp_path, client).start()
    socket_path.unlink(missing_ok=True)
    with pytest.raises(
        DockerUnavailable, match="the Docker engine stopped answering while trying to kill node node-1"
    ):
        engine.node_action("node-1", "kill")
    with pytest.raises(LakeproofError) as raised:
        engine.stop()
    assert "could not remove lakeproof-run-1-coordinator (" in str(raised.value)
    assert str(raised.value).endswith("; remove them by hand (docker rm -f, docker network rm)")
    assert "\n" not in str(raised.value)
    engine.stop()  # what it could not reach is reported once, not again


def test_leftovers_of_runs_whose_owner_is_gone_are_swept_and_live_runs_kept(
    stub: StubEngineServer, client: docker.DockerClient
) -> None:
    gone = "999999999-12345"  # above Linux's largest pid (4194304): no such process can run
    init = psutil.Process(1)
    alive = f"1-{round(init.create_time() * 100)}"
    dead = stub.engine.add_leftover("lakeproof-old-node-1", {"io.lakeproof.owner": gone})
    live = stub.engine.add_leftover("lakeproof-other-node-1", {"io.lakeproof.owner": alive})
    foreign = stub.engine.add_leftover("someone-elses", {"io.lakeproof.owner": "not-a-tag"})
    unlabelled = stub.engine.add_leftover("unrelated", {})
    stub.engine.add_network("lakeproof-old", {"io.lakeproof.owner": gone})
    kept_network = stub.engine.add_network("lakeproof-other", {"io.lakeproof.owner": alive})
    swept = sweep_leftovers(client)
    assert sorted(swept) == ["lakeproof-old", "lakeproof-old-node-1"]
    assert set(stub.engine.containers) == {live.id, foreign.id, unlabelled.id}
    assert dead.id not in stub.engine.containers
    assert set(stub.engine.networks) == {kept_network}
    filters = [json.loads(call.query["filters"]) for call in stub.engine.calls if "filters" in call.query]
    assert filters == [{"label": ["io.lakeproof.owner"]}] * 2


def test_start_sweeps_dead_runs_first(
    stub: StubEngineServer, client: docker.DockerClient, tmp_path: Path
) -> None:
    stub.engine.add_leftover("lakeproof-old-node-1", {"io.lakeproof.owner": "999999999-1"})
    engine = _engine(tmp_path, client).start()
    try:
        assert "lakeproof-old-node-1" not in {container.name for container in stub.engine.containers.values()}
    finally:
        engine.stop()
