"""A moto S3 server on a loopback port: started, probed until it answers, stopped."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

from lakeproof.errors import ComponentStartError
from lakeproof.net import LOOPBACK, ensure_port_free, free_port, wait_until
from lakeproof.objectstore.client import ACCESS_KEY, SECRET_KEY, S3Endpoint
from lakeproof.procs import ManagedProcess


class MotoServer:
    """``moto_server`` as a child process; ``port=0`` picks a free port."""

    def __init__(
        self,
        log_path: Path,
        port: int = 0,
        start_timeout: float = 30.0,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        env: dict[str, str] | None = None,
    ):
        self.log_path = log_path
        self.env = env
        self.access_key = access_key
        self.secret_key = secret_key
        self.requested_port = port
        self.start_timeout = start_timeout
        self.port: int | None = None
        self._process: ManagedProcess | None = None

    @property
    def endpoint(self) -> S3Endpoint:
        """The S3 endpoint of the running server."""
        if self.port is None:
            raise ComponentStartError("the object store is not running: start it first")
        return S3Endpoint(f"http://{LOOPBACK}:{self.port}", self.access_key, self.secret_key)

    @property
    def pid(self) -> int | None:
        """Process id of the server, None when not started."""
        return self._process.pid if self._process else None

    def start(self) -> S3Endpoint:
        """Start the server and return once it answers S3 requests."""
        if self.requested_port:
            ensure_port_free(self.requested_port, "object store")
        self.port = self.requested_port or free_port()
        # moto.server's own entry point, run with this interpreter so the venv's moto is used.
        argv = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)]
        self._process = ManagedProcess("object store (moto_server)", argv, self.log_path, self.env)
        self._process.start()
        process = self._process
        try:
            wait_until(self._answers, self.start_timeout, "object store", abort=process.exited_reason)
        except (TimeoutError, RuntimeError) as exc:
            self.stop()
            raise ComponentStartError(
                f"{exc}; see {self.log_path} (last lines: {process.log_tail()})"
            ) from None
        return self.endpoint

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{self.port}/moto-api/", timeout=1) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def exited_reason(self) -> str | None:
        """Why the server is gone (exit code and log tail), or None while it runs."""
        return self._process.exited_reason() if self._process else None

    def stop(self) -> None:
        """Stop the server; safe to call more than once."""
        if self._process is not None:
            self._process.stop()
