"""The fault proxy as a child process of the lab, ready when it has written its ports file."""

from __future__ import annotations

from pathlib import Path

from lakeproof.errors import ComponentStartError
from lakeproof.net import LOOPBACK, connect_host
from lakeproof.objectstore import S3Endpoint
from lakeproof.procs import ReadyFileProcess


class FaultProxyProcess(ReadyFileProcess):
    """Runs ``python -m lakeproof.faultproxy`` with one listener per reader name."""

    def __init__(
        self,
        upstream: S3Endpoint,
        listeners: dict[str, int],
        log_path: Path,
        control_port: int = 0,
        start_timeout: float = 30.0,
        listen_host: str = LOOPBACK,
    ):
        args = ["--upstream", upstream.url, "--control-port", str(control_port), "--listen-host", listen_host]
        for name, port in listeners.items():
            args += ["--listener", f"{name}={port}"]
        super().__init__("fault proxy", "lakeproof.faultproxy", args, log_path, start_timeout)
        self.upstream = upstream
        self.listen_host = listen_host

    @property
    def control_url(self) -> str:
        """Base URL of the proxy's control API."""
        return f"http://{LOOPBACK}:{self.ready['control']}"

    def listener_endpoint(self, listener: str) -> S3Endpoint:
        """The S3 endpoint a reader named ``listener`` uses (same credentials as the store)."""
        ports: dict[str, int] = self.ready["listeners"]
        if listener not in ports:
            raise ComponentStartError(
                f"the fault proxy has no listener {listener!r}; listeners are: {', '.join(ports)}"
            )
        return S3Endpoint(
            f"http://{connect_host(self.listen_host)}:{ports[listener]}",
            self.upstream.access_key,
            self.upstream.secret_key,
            self.upstream.region,
        )
