"""The fault proxy as a child process of the lab, ready when it has written its ports file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lakeproof.errors import ComponentStartError, PortInUseError
from lakeproof.net import LOOPBACK, wait_until
from lakeproof.objectstore import S3Endpoint
from lakeproof.procs import ManagedProcess

_USAGE_EXIT = 2  # the proxy's exit code for a bad argument or a port in use


class FaultProxyProcess:
    """Runs ``python -m lakeproof.faultproxy`` with one listener per reader name."""

    def __init__(
        self,
        upstream: S3Endpoint,
        listeners: dict[str, int],
        log_path: Path,
        control_port: int = 0,
        start_timeout: float = 30.0,
    ):
        self.upstream = upstream
        self.requested_listeners = listeners
        self.log_path = log_path
        self.ready_path = log_path.with_suffix(".ready.json")
        self.control_port = control_port
        self.start_timeout = start_timeout
        self.ports: dict[str, Any] = {}
        self._process: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        """Process id of the proxy, None when not started."""
        return self._process.pid if self._process else None

    @property
    def control_url(self) -> str:
        """Base URL of the proxy's control API."""
        return f"http://{LOOPBACK}:{self.ports['control']}"

    def listener_endpoint(self, listener: str) -> S3Endpoint:
        """The S3 endpoint a reader named ``listener`` uses (same credentials as the store)."""
        ports: dict[str, int] = self.ports["listeners"]
        if listener not in ports:
            raise ComponentStartError(
                f"the fault proxy has no listener {listener!r}; listeners are: {', '.join(ports)}"
            )
        return S3Endpoint(
            f"http://{LOOPBACK}:{ports[listener]}",
            self.upstream.access_key,
            self.upstream.secret_key,
            self.upstream.region,
        )

    def start(self) -> None:
        """Start the proxy and wait until it reports its bound ports."""
        self.ready_path.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "lakeproof.faultproxy", "--upstream", self.upstream.url]
        for name, port in self.requested_listeners.items():
            argv += ["--listener", f"{name}={port}"]
        argv += ["--control-port", str(self.control_port), "--ready-file", str(self.ready_path)]
        self._process = process = ManagedProcess("fault proxy", argv, self.log_path)
        process.start()
        try:
            wait_until(self.ready_path.exists, self.start_timeout, "fault proxy", abort=process.exited_reason)
        except (TimeoutError, RuntimeError) as exc:
            code = process.exit_code()
            self.stop()
            if code == _USAGE_EXIT:
                # The proxy printed a one-line reason (bad listener, port in use): pass it on as is.
                reason = process.log_tail(lines=1)
                error = PortInUseError if "in use" in reason else ComponentStartError
                raise error(reason) from None
            raise ComponentStartError(f"{exc}; see {self.log_path}") from None
        self.ports = json.loads(self.ready_path.read_text(encoding="utf-8"))

    def exited_reason(self) -> str | None:
        """Why the proxy is gone (exit code and log tail), or None while it runs."""
        return self._process.exited_reason() if self._process else None

    def stop(self) -> None:
        """Stop the proxy; safe to call more than once."""
        if self._process is not None:
            self._process.stop()
        self.ready_path.unlink(missing_ok=True)
