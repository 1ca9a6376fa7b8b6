"""The container suite through Robot Framework: skipped with the reason where no Docker engine
answers, and run for real against the stub Engine API, which then holds nothing of the run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from robot.api import ExecutionResult, ResultVisitor
from robot.result import TestCase as RobotTest

from .stub_engine import StubEngine, StubEngineServer

pytestmark = pytest.mark.component

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "suites" / "containers" / "engine_nodes.robot"
EXAMPLE = REPO / "data" / "engines" / "examples" / "acme-engine.yaml"
EXAMPLE_IMAGE = "ghcr.io/acme/engine:2.4.1"
NODES = ("coordinator", "node-1", "node-2", "node-3")


class _Verdicts(ResultVisitor):  # type: ignore[misc]  # robot.api has no type for it
    def __init__(self) -> None:
        self.status: dict[str, tuple[str, str]] = {}

    def visit_test(self, test: RobotTest) -> None:
        self.status[test.name] = (test.status, test.message)


def _run_suite(tmp_path: Path, docker_host: str, definition: Path | None) -> dict[str, tuple[str, str]]:
    argv = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--log", "NONE", "--report", "NONE"]
    if definition is not None:
        argv += ["--variable", f"ENGINE_DEFINITION:{definition}"]
    env = {**os.environ, "DOCKER_HOST": docker_host}
    completed = subprocess.run(
        [*argv, str(SUITE)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    verdicts = _Verdicts()
    ExecutionResult(str(tmp_path / "output.xml")).visit(verdicts)
    assert verdicts.status, completed.stdout + completed.stderr
    return verdicts.status


@pytest.fixture
def stub() -> Iterator[StubEngineServer]:
    """A stub Docker engine holding the example definition's image."""
    socket_path = Path(f"/tmp/lakeproof-stub-docker-suite-{os.getpid()}.sock")
    with StubEngineServer(socket_path, StubEngine(images={EXAMPLE_IMAGE})) as server:
        yield server
    socket_path.unlink(missing_ok=True)


def test_without_a_docker_engine_every_test_is_skipped_with_the_reason(tmp_path: Path) -> None:
    nowhere = f"unix://{tmp_path}/no-docker.sock"
    status = _run_suite(tmp_path, nowhere, EXAMPLE)
    assert {verdict for verdict, _ in status.values()} == {"SKIP"}
    for _, message in status.values():
        assert "no Docker engine answers at DOCKER_HOST or unix:///var/run/docker.sock (" in message
        assert message.rstrip().endswith("engines from container images need one")


def test_without_a_definition_every_test_is_skipped_naming_the_variable(tmp_path: Path) -> None:
    status = _run_suite(tmp_path, f"unix://{tmp_path}/no-docker.sock", None)
    assert {verdict for verdict, _ in status.values()} == {"SKIP"}
    assert all("run with --variable ENGINE_DEFINITION:" in message for _, message in status.values())


def test_against_the_stub_engine_every_test_passes_and_nothing_is_left(
    stub: StubEngineServer, tmp_path: Path
) -> None:
    status = _run_suite(tmp_path, stub.base_url, EXAMPLE)
    assert {name: verdict for name, (verdict, _) in status.items()} == dict.fromkeys(status, "PASS"), status
    engine = stub.engine
    created = [call.query["name"] for call in engine.calls if call.path == "/containers/create"]
    assert len(created) == len(NODES)
    for name, node in zip(created, NODES, strict=True):
        assert name.startswith("lakeproof-run-")
        assert name.endswith(f"-{node}")
    assert [call.query.get("signal") for call in engine.calls if call.path.endswith("/kill")] == ["SIGKILL"]
    for action in ("pause", "unpause", "stop"):
        assert len(engine.paths("POST", rf"/containers/[0-9a-f]+/{action}")) == 1, action
    assert len(engine.paths("POST", r"/containers/[0-9a-f]+/restart")) == 2
    assert engine.containers == {}
    assert engine.networks == {}
    logs = sorted(path.name for path in (tmp_path / "lab-logs").glob("*/containers/*.log"))
    assert logs == [f"acme-engine-{node}.log" for node in NODES]
