"""Shared fixtures: a real moto server per test session, unique prefixes per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from lakeproof.net import is_listening, wait_until
from lakeproof.objectstore import MotoServer, S3Endpoint, create_bucket

BUCKET = "lake"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A running moto S3 server with bucket ``lake``; stopped at the end of the session."""
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    endpoint = server.start()
    create_bucket(endpoint.client(), BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def test_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix unique to the test, so tests sharing the server never see each other's objects."""
    return f"tests/{request.node.name}".replace("[", "-").replace("]", "")


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    """Where a lab started by the test writes its logs."""
    return tmp_path / "out"


def _process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _lab_ports(description: dict[str, Any]) -> list[int]:
    urls = [description["object_store"], description["proxy_control"], *description["readers"].values()]
    if "coordinator" in description:
        urls.append(description["coordinator"])
    return [int(url.rsplit(":", 1)[1]) for url in urls]


@pytest.fixture
def lab_ports() -> Callable[[dict[str, Any]], list[int]]:
    """Every port in a lab description (``Lab.describe()``): store, control API, readers, coordinator."""
    return _lab_ports


@pytest.fixture
def assert_lab_gone() -> Callable[[dict[str, Any]], None]:
    """Asserts that no process of a described lab runs and none of its ports listens."""

    def check(description: dict[str, Any]) -> None:
        pids = [pid for pid in description["pids"].values() if pid]
        wait_until(lambda: all(_process_gone(pid) for pid in pids), 15, "lab processes to exit")
        ports = _lab_ports(description)
        wait_until(lambda: not any(is_listening(port) for port in ports), 10, "lab ports to close")

    return check
