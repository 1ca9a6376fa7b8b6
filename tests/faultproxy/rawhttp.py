"""A raw-socket HTTP/1.1 client that shows exactly what came back and how the connection ended.

HTTP libraries hide whether a connection was reset or closed cleanly, and how many body bytes
arrived first; fault tests need precisely that.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass
class RawAnswer:
    """Everything received on one connection, and the error that ended it (None: clean close)."""

    received: bytes
    error: OSError | None

    @property
    def head(self) -> bytes:
        return self.received.partition(b"\r\n\r\n")[0]

    @property
    def body(self) -> bytes:
        return self.received.partition(b"\r\n\r\n")[2]

    @property
    def status(self) -> int | None:
        line = self.head.split(b"\r\n", 1)[0]
        return int(line.split()[1]) if line.startswith(b"HTTP/") else None

    @property
    def headers(self) -> dict[str, str]:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}


def raw_request(
    port: int,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 5.0,
) -> RawAnswer:
    """Send one request with exactly ``headers`` (plus Connection: close) and read to the end.

    Host defaults to the address connected to; a ``Host`` in ``headers`` replaces it.
    """
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {}), "Connection": "close"}
    lines = [f"{method} {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in sent.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:  # ConnectionResetError, TimeoutError
            return RawAnswer(bytes(received), exc)
    return RawAnswer(bytes(received), None)
