"""Forwarding: what goes upstream and what comes back is what the client and the store sent."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from multidict import CIMultiDict

from lakeproof.errors import ConfigError
from lakeproof.faultproxy import BackgroundFaultProxy, FaultProxy
from lakeproof.faultproxy.forwarding import Upstream, end_to_end_headers

from .rawhttp import RawAnswer, raw_request


def test_hop_by_hop_headers_and_those_named_by_connection_are_dropped() -> None:
    headers = CIMultiDict(
        [
            ("Host", "127.0.0.1:9000"),
            ("Connection", "keep-alive, X-Private"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("X-Private", "1"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=..."),
            ("x-amz-meta-a", "1"),
            ("x-amz-meta-a", "2"),
            ("Content-Length", "10"),
        ]
    )
    kept = end_to_end_headers(headers)
    assert list(kept.items()) == [
        ("Host", "127.0.0.1:9000"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=..."),
        ("x-amz-meta-a", "1"),
        ("x-amz-meta-a", "2"),
        ("Content-Length", "10"),
    ]


def test_upstream_must_be_an_http_url() -> None:
    assert Upstream("http://127.0.0.1:5000/").base_url == "http://127.0.0.1:5000"
    with pytest.raises(ConfigError, match=r"upstream URL '127\.0\.0\.1:5000' is not an http"):
        Upstream("127.0.0.1:5000")


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, so tests see what the proxy sent upstream."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/gzip":
            payload, extra = GZIPPED, {"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        else:
            received = {
                "method": self.command,
                "target": self.path,
                "headers": [[name.lower(), value] for name, value in self.headers.items()],
                "body_sha256": hashlib.sha256(body).hexdigest(),
            }
            payload, extra = json.dumps(received).encode(), {"Content-Type": "application/json"}
        self.send_response(200)
        for name, value in {**extra, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is the proxy's."""


GZIPPED = gzip.compress(b"compressed by the object store " * 100)


@pytest.fixture(scope="module")
def echo_proxy() -> Iterator[FaultProxy]:
    """A fault proxy in front of the echo server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with BackgroundFaultProxy(f"http://127.0.0.1:{server.server_port}", {"coordinator": 0}) as proxy:
            yield proxy
    finally:
        server.shutdown()
        server.server_close()


def _seen_upstream(answer: RawAnswer) -> dict[str, Any]:
    assert answer.status == 200, answer.received[:300]
    seen: dict[str, Any] = json.loads(answer.body)
    return seen


@pytest.mark.component
def test_the_request_goes_upstream_exactly_as_the_client_sent_it(echo_proxy: FaultProxy) -> None:
    body = os.urandom(300 * 1024)  # more than one forwarding chunk
    target = "/lake/dir%2Fsub/a+b%20c.bin?partNumber=1&uploadId=x%2By"
    headers = {
        "Host": "lake.example:9000",
        "Authorization": "AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/s3/aws4_request, Signature=1f",
        "x-amz-date": "20260101T000000Z",
        "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
        "x-amz-meta-colour": "blue",
    }
    answer = raw_request(echo_proxy.listener_ports["coordinator"], "PUT", target, headers, body)
    seen = _seen_upstream(answer)
    assert (seen["method"], seen["target"], seen["body_sha256"]) == (
        "PUT",
        target,
        hashlib.sha256(body).hexdigest(),
    )
    upstream_headers = dict(seen["headers"])
    for name, value in headers.items():
        assert upstream_headers[name.lower()] == value
    assert upstream_headers["content-length"] == str(len(body))
    # Nothing of aiohttp's own: no compression negotiation, no user agent, no content type.
    assert not {"accept-encoding", "user-agent", "accept", "content-type"} & upstream_headers.keys()


@pytest.mark.component
def test_range_requests_keep_their_range(echo_proxy: FaultProxy) -> None:
    answer = raw_request(echo_proxy.listener_ports["coordinator"], "GET", "/lake/k", {"Range": "bytes=5-9"})
    assert ["range", "bytes=5-9"] in _seen_upstream(answer)["headers"]


@pytest.mark.component
def test_compressed_bodies_pass_through_compressed_both_ways(echo_proxy: FaultProxy) -> None:
    port = echo_proxy.listener_ports["coordinator"]
    download = raw_request(port, "GET", "/gzip", {"Accept-Encoding": "gzip"})
    assert download.headers["content-encoding"] == "gzip"
    assert download.headers["content-length"] == str(len(GZIPPED))
    assert download.body == GZIPPED

    upload = raw_request(port, "PUT", "/lake/k.gz", {"Content-Encoding": "gzip"}, GZIPPED)
    assert _seen_upstream(upload)["body_sha256"] == hashlib.sha256(GZIPPED).hexdigest()


@pytest.mark.component
def test_an_unreachable_object_store_is_answered_with_502() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        dead = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
        with BackgroundFaultProxy(dead, {"coordinator": 0}) as proxy:
            answer = raw_request(proxy.listener_ports["coordinator"], "GET", "/lake/k")
    assert answer.status == 502
    assert b"<Code>BadGateway</Code>" in answer.body
