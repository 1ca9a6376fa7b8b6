"""Loopback ports and readiness probes: every wait is a probe with a deadline, never a fixed sleep."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable

from lakeproof.errors import PortInUseError

LOOPBACK = "127.0.0.1"
_ALL_INTERFACES = frozenset({"0.0.0.0", "::"})  # noqa: S104 - names the wildcard, binds nothing


def connect_host(listen_host: str) -> str:
    """The address a client on this machine connects to for a server bound to ``listen_host``."""
    return LOOPBACK if listen_host in _ALL_INTERFACES else listen_host


def free_port(host: str = LOOPBACK) -> int:
    """Return a port the OS considers free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_port_free(port: int, what: str, host: str = LOOPBACK) -> None:
    """Raise PortInUseError naming ``what`` if ``port`` cannot be bound on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUseError(
                f"port {port} for the {what} is already in use on {host}; "
                "choose another port (or 0 for a free one) or stop the process holding it"
            ) from None


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        if sock.connect_ex((host, port)) != 0:
            return False
        # A connect to a closed port in the ephemeral range can pick that very port as its own
        # source and "connect" to itself (TCP simultaneous open): nobody is listening then.
        return bool(sock.getsockname() != sock.getpeername())


def wait_until(
    probe: Callable[[], bool],
    timeout: float,
    describe: str,
    interval: float = 0.02,
    abort: Callable[[], str | None] | None = None,
) -> float:
    """Poll ``probe`` until it returns True; return the seconds it took.

    ``abort`` is checked on every round and returns a reason to stop early (for example
    "the process exited"). Raises TimeoutError naming ``describe`` when the deadline passes.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if probe():
            return time.monotonic() - start
        if abort is not None and (reason := abort()) is not None:
            raise RuntimeError(f"{describe}: {reason}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{describe}: not ready after {timeout:g} s")
        # A short poll interval is the readiness probe's cadence, not synchronisation by sleep.
        time.sleep(interval)
