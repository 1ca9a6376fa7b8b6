"""The object store: moto server lifecycle, bucket names, upload/list/delete under a prefix."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from lakeproof.errors import ComponentStartError, ConfigError, PortInUseError
from lakeproof.net import LOOPBACK, is_listening
from lakeproof.objectstore import (
    MotoServer,
    S3Endpoint,
    delete_prefix,
    list_keys,
    new_run_prefix,
    upload,
    validate_bucket_name,
)
from lakeproof.objectstore import server as server_module

pytestmark = pytest.mark.component


def test_upload_list_delete_under_prefix(moto_endpoint: S3Endpoint, test_prefix: str) -> None:
    client = moto_endpoint.client()
    payloads = {f"{test_prefix}/part-{index:04d}.bin": b"x" * (index % 7 + 1) for index in range(1205)}
    for key, data in payloads.items():
        upload(client, "lake", key, data)
    upload(client, "lake", f"{test_prefix}-sibling/keep.bin", b"keep")

    listed = list_keys(client, "lake", f"{test_prefix}/")
    assert listed == {key: len(data) for key, data in payloads.items()}  # all pages, exact sizes

    assert delete_prefix(client, "lake", f"{test_prefix}/") == 1205  # more than one delete batch
    assert list_keys(client, "lake", f"{test_prefix}/") == {}
    assert list_keys(client, "lake", f"{test_prefix}-sibling/") == {f"{test_prefix}-sibling/keep.bin": 4}


def test_delete_refuses_empty_prefix(moto_endpoint: S3Endpoint) -> None:
    with pytest.raises(ConfigError, match="empty prefix"):
        delete_prefix(moto_endpoint.client(), "lake", "")


@pytest.mark.parametrize("name", ["Lake_1", "ab", "-lake", "lake-", "192.168.1.1", "a" * 64, "la..ke"])
def test_invalid_bucket_names_are_rejected_with_the_rule(name: str) -> None:
    with pytest.raises(ConfigError, match=r"invalid bucket name .*lowercase"):
        validate_bucket_name(name)


@pytest.mark.parametrize("name", ["lake", "my-lake.2", "abc"])
def test_valid_bucket_names_pass(name: str) -> None:
    assert validate_bucket_name(name) == name


def test_run_prefixes_are_unique_and_key_safe() -> None:
    prefixes = {new_run_prefix("Pabot 3!") for _ in range(200)}
    assert len(prefixes) == 200
    assert all(prefix.startswith("pabot-3-") and "/" not in prefix for prefix in prefixes)


def test_server_stops_and_frees_its_port(tmp_path: Path) -> None:
    server = MotoServer(tmp_path / "moto.log")
    endpoint = server.start()
    port = int(endpoint.url.rsplit(":", 1)[1])
    assert is_listening(port)
    server.stop()
    server.stop()  # idempotent
    assert not is_listening(port)


def test_requested_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=rf"port {port} for the object store is already in use"):
            MotoServer(tmp_path / "moto.log", port=port).start()


def test_moto_failing_to_start_shows_its_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Skip the friendly pre-check so moto itself meets the busy port and exits.
    monkeypatch.setattr(server_module, "ensure_port_free", lambda port, what: None)
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = MotoServer(tmp_path / "moto.log", port=port)
        with pytest.raises(ComponentStartError) as caught:
            server.start()
    message = str(caught.value)
    assert "object store" in message
    assert "exited with code" in message
    assert "in use" in message.lower()  # the tail of moto's own log says why
    assert "\n" not in message
