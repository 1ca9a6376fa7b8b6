"""Shared fixtures: a real moto server per test session, unique prefixes per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
