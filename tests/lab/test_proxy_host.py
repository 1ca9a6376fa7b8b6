"""The proxy's reader listeners on another address than 127.0.0.1, as containers need them: still
on the loopback range here (127.0.0.2), since tests reach no other address."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeproof.errors import ConfigError
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import is_listening

pytestmark = pytest.mark.component

OTHER_LOOPBACK = "127.0.0.2"


def _read_back(lab: Lab) -> bytes:
    lab.s3.client().put_object(Bucket=lab.bucket, Key=f"{lab.prefix}/a.txt", Body=b"abc")
    via_proxy = lab.reader_endpoint("node-1").client()
    return via_proxy.get_object(Bucket=lab.bucket, Key=f"{lab.prefix}/a.txt")["Body"].read()


def test_listeners_bound_to_one_address_are_reached_there_and_only_there(output_dir: Path) -> None:
    settings = LabSettings(
        output_dir=output_dir, readers=("coordinator", "node-1"), proxy_host=OTHER_LOOPBACK
    )
    with Lab(settings) as lab:
        url = lab.reader_endpoint("node-1").url
        port = int(url.rsplit(":", 1)[1])
        assert url == f"http://{OTHER_LOOPBACK}:{port}"
        assert _read_back(lab) == b"abc"
        assert not is_listening(port), "nothing of the lab listens on 127.0.0.1 at that port"
        assert lab.proxy.control_url.startswith("http://127.0.0.1:"), "the control API stays on loopback"


def test_listeners_on_every_interface_are_reached_from_any_address(output_dir: Path) -> None:
    settings = LabSettings(output_dir=output_dir, readers=("coordinator", "node-1"), proxy_host="0.0.0.0")
    with Lab(settings) as lab:
        url = lab.reader_endpoint("node-1").url
        port = int(url.rsplit(":", 1)[1])
        assert url == f"http://127.0.0.1:{port}"
        assert _read_back(lab) == b"abc"
        assert is_listening(port, OTHER_LOOPBACK)


def test_a_proxy_host_that_is_not_an_address_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"proxy host .docker0. is not an IP address; use 127\.0\.0\.1"):
        LabSettings(proxy_host="docker0")
