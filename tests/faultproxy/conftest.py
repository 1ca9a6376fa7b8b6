"""Fixtures: a real moto S3 server, a fault proxy in front of it, clients through the proxy.

The moto server and the proxy are shared by the whole session (starting them is the slow part);
every test gets a clean rule book and statistics, and its own key prefix in bucket ``lake``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_s3 import S3Client

from lakeproof.faultproxy import BackgroundFaultProxy, FaultProxy, ProxyControl
from lakeproof.objectstore import S3Endpoint

BUCKET = "lake"
LISTENERS = ("coordinator", "node-1", "node-2")
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}

S3ClientFactory = Callable[..., S3Client]


def s3_client(endpoint: str, attempts: int = 1, read_timeout: float = 5.0) -> S3Client:
    """A boto3 S3 client; ``attempts=1`` disables retries so a single fault is observed."""
    config = Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=2,
        read_timeout=read_timeout,
        s3={"addressing_style": "path"},
    )
    return boto3.client("s3", endpoint_url=endpoint, config=config, **CREDENTIALS)  # type: ignore[call-overload,no-any-return]


@pytest.fixture(scope="session")
def moto_url(moto_endpoint: S3Endpoint) -> str:
    """URL of the session's moto server (bucket ``lake`` exists), without the proxy in front."""
    return moto_endpoint.url


@pytest.fixture(scope="session")
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    """An in-process fault proxy with listeners coordinator, node-1 and node-2."""
    with BackgroundFaultProxy(moto_url, dict.fromkeys(LISTENERS, 0)) as running:
        yield running


@pytest.fixture
def control(proxy: FaultProxy) -> Iterator[ProxyControl]:
    """The proxy's control client, with no rules and zeroed statistics for this test."""
    client = ProxyControl(proxy.control_url)
    client.clear_rules()
    client.reset_stats()
    yield client
    client.clear_rules()
    client.close()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test only, like a suite's run prefix."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    return f"{name}-{uuid.uuid4().hex[:6]}/"


@pytest.fixture
def s3(proxy: FaultProxy) -> S3ClientFactory:
    """``s3(listener="coordinator", attempts=1, read_timeout=5.0)``: a boto3 client via the proxy."""

    def make(listener: str = "coordinator", attempts: int = 1, read_timeout: float = 5.0) -> S3Client:
        return s3_client(proxy.endpoint(listener), attempts, read_timeout)

    return make


@pytest.fixture
def direct(moto_url: str) -> S3Client:
    """A boto3 client talking to moto directly, to set up and check data behind the proxy's back."""
    return s3_client(moto_url)
