"""Every fault action, seen by a real client through the proxy in front of a real moto server.

boto3 without retries shows the fault as an application sees it; the raw-socket client shows
exactly what went over the wire (status, body bytes, reset or clean close); boto3 with retries
shows a transient fault is recovered from and counted.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError, ResponseStreamingError
from mypy_boto3_s3 import S3Client

from lakeproof.faultproxy import FaultProxy, ProxyControl

from .conftest import BUCKET, S3ClientFactory
from .rawhttp import raw_request

pytestmark = pytest.mark.component

BODY = bytes(range(256)) * 16  # 4 KiB, every byte position recognisable


@pytest.fixture
def key(direct: S3Client, prefix: str) -> str:
    """An object of BODY under the test's prefix, written behind the proxy's back.

    It is public-read so the raw-socket client may read it without signing its requests.
    """
    name = f"{prefix}data.bin"
    direct.put_object(Bucket=BUCKET, Key=name, Body=BODY, ACL="public-read")
    return name


def port(proxy: FaultProxy, listener: str = "coordinator") -> int:
    return proxy.listener_ports[listener]


@pytest.mark.parametrize(
    ("action", "status", "code", "message"),
    [
        ("slowdown_503", 503, "SlowDown", "Please reduce your request rate."),
        ("internal_error_500", 500, "InternalError", "We encountered an internal error. Please try again."),
        ("not_found_404", 404, "NoSuchKey", "The specified key does not exist."),
        ("forbidden_403", 403, "AccessDenied", "Access Denied"),
    ],
)
def test_error_actions_answer_an_s3_error_document(
    proxy: FaultProxy,
    control: ProxyControl,
    s3: S3ClientFactory,
    key: str,
    action: str,
    status: int,
    code: str,
    message: str,
) -> None:
    control.add_rule(action=action, key=key)

    with pytest.raises(ClientError) as caught:
        s3().get_object(Bucket=BUCKET, Key=key)
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"] == message
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status

    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert answer.status == status
    assert answer.headers["content-type"] == "application/xml"
    assert re.fullmatch(
        rf'<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>{code}</Code><Message>{re.escape(message)}'
        rf"</Message><Resource>/{BUCKET}/{re.escape(key)}</Resource><RequestId>[0-9A-F]{{16}}</RequestId></Error>",
        answer.body.decode(),
    )
    assert control.stats()["by_key"][key]["faults_by_action"] == {action: 2}


def test_an_error_action_may_override_status_and_message(
    proxy: FaultProxy, control: ProxyControl, key: str
) -> None:
    control.add_rule(action="internal_error_500", status=502, message="the gateway fell over")
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert answer.status == 502
    assert b"<Code>InternalError</Code><Message>the gateway fell over</Message>" in answer.body


def test_an_error_answer_to_head_has_no_body(
    proxy: FaultProxy, control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="not_found_404", operation="HEAD")
    with pytest.raises(ClientError) as caught:
        s3().head_object(Bucket=BUCKET, Key=key)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    answer = raw_request(port(proxy), "HEAD", f"/{BUCKET}/{key}")
    assert (answer.status, answer.body, answer.error) == (404, b"", None)
    assert control.stats()["totals"]["bytes"] == 0


def test_reset_before_response_resets_before_any_byte(
    proxy: FaultProxy, control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="reset_before_response", key=key)
    with pytest.raises(ConnectionClosedError):
        s3().get_object(Bucket=BUCKET, Key=key)
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert answer.received == b""
    assert isinstance(answer.error, ConnectionResetError)


def test_reset_after_bytes_sends_headers_and_that_many_body_bytes_then_resets(
    proxy: FaultProxy, control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="reset_after_bytes", bytes=1000, key=key)
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert answer.status == 200
    assert answer.headers["content-length"] == str(len(BODY))
    assert answer.body == BODY[:1000]
    assert isinstance(answer.error, ConnectionResetError)

    body = s3().get_object(Bucket=BUCKET, Key=key)["Body"]
    with pytest.raises(ResponseStreamingError, match="reset"):
        body.read()
    assert control.stats()["by_key"][key]["bytes"] == 2000


def test_reset_after_zero_bytes_sends_only_the_headers(
    proxy: FaultProxy, control: ProxyControl, key: str
) -> None:
    control.add_rule(action="reset_after_bytes", bytes=0, key=key)
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert (answer.status, answer.body) == (200, b"")
    assert isinstance(answer.error, ConnectionResetError)


def test_truncated_body_announces_the_full_length_and_closes_cleanly_early(
    proxy: FaultProxy, control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="truncated_body", bytes=1000, key=key)
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert answer.status == 200
    assert answer.headers["content-length"] == str(len(BODY))
    assert answer.body == BODY[:1000]
    assert answer.error is None

    body = s3().get_object(Bucket=BUCKET, Key=key)["Body"]
    with pytest.raises(ResponseStreamingError, match="IncompleteRead"):
        body.read()


def test_a_cut_longer_than_the_body_sends_the_whole_body(
    proxy: FaultProxy, control: ProxyControl, key: str
) -> None:
    control.add_rule(action="truncated_body", bytes=10 * len(BODY), key=key)
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}")
    assert (answer.status, answer.body, answer.error) == (200, BODY, None)


@pytest.mark.parametrize(
    ("action", "fields", "reset"),
    [("reset_after_bytes", {"bytes": 10}, True), ("truncated_body", {"bytes": 10}, False)],
)
def test_a_body_cut_on_head_ends_the_connection_before_the_response(
    proxy: FaultProxy, control: ProxyControl, key: str, action: str, fields: dict[str, Any], reset: bool
) -> None:
    control.add_rule(action=action, **fields)
    answer = raw_request(port(proxy), "HEAD", f"/{BUCKET}/{key}")
    assert answer.received == b""
    assert isinstance(answer.error, ConnectionResetError) if reset else answer.error is None


def test_slow_body_on_head_passes_through(proxy: FaultProxy, control: ProxyControl, key: str) -> None:
    control.add_rule(action="slow_body", rate=1)
    answer = raw_request(port(proxy), "HEAD", f"/{BUCKET}/{key}")
    assert (answer.status, answer.headers["content-length"]) == (200, str(len(BODY)))


def test_latency_delays_the_answer_and_changes_nothing_else(
    control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="latency", latency_ms=300, key=key)
    started = time.monotonic()
    assert s3().get_object(Bucket=BUCKET, Key=key)["Body"].read() == BODY
    assert time.monotonic() - started >= 0.3


def test_slow_body_streams_at_the_given_rate(control: ProxyControl, s3: S3ClientFactory, key: str) -> None:
    control.add_rule(action="slow_body", rate=8192, key=key)  # 4 KiB at 8 KiB/s: about half a second
    started = time.monotonic()
    assert s3().get_object(Bucket=BUCKET, Key=key)["Body"].read() == BODY
    assert 0.35 <= time.monotonic() - started < 3


def test_hang_sends_nothing_until_the_client_gives_up(
    control: ProxyControl, s3: S3ClientFactory, key: str
) -> None:
    control.add_rule(action="hang", key=key)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        s3(read_timeout=0.5).get_object(Bucket=BUCKET, Key=key)
    assert time.monotonic() - started < 5
    assert control.stats()["by_key"][key]["faults_by_action"] == {"hang": 1}


def test_hang_closes_the_connection_after_hang_seconds(
    proxy: FaultProxy, control: ProxyControl, key: str
) -> None:
    control.add_rule(action="hang", hang_seconds=0.3, key=key)
    started = time.monotonic()
    answer = raw_request(port(proxy), "GET", f"/{BUCKET}/{key}", timeout=10)
    assert (answer.received, answer.error) == (b"", None)
    assert 0.3 <= time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("action", "fields", "faults"),
    [
        ("slowdown_503", {"per_request": 2}, 2),
        ("internal_error_500", {"times": 1}, 1),
        ("reset_before_response", {"times": 1}, 1),
        ("hang", {"times": 1}, 1),
    ],
)
def test_a_transient_fault_is_retried_by_the_client_and_counted(
    control: ProxyControl, s3: S3ClientFactory, key: str, action: str, fields: dict[str, Any], faults: int
) -> None:
    control.add_rule(action=action, key=key, **fields)
    client = s3(attempts=4, read_timeout=0.5)
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == BODY
    counted = control.stats()["by_key"][key]
    assert counted["faults_by_action"] == {action: faults}
    assert counted["requests"] == faults + 1
    assert counted["bytes"] >= len(BODY)
