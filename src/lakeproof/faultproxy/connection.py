"""Ways to end a client connection on purpose: a TCP reset, or a clean close.

A reset is made by setting SO_LINGER to 0 and aborting the transport, so the kernel sends RST
instead of FIN: the client sees "connection reset by peer", as when a load balancer drops it.
"""

from __future__ import annotations

import asyncio
import fcntl
import socket
import struct
import termios

# How long to wait for bytes already written to reach the client before a reset: SO_LINGER 0
# throws away whatever is still queued, which would turn "reset after N bytes" into fewer bytes.
_SEND_DEADLINE_SECONDS = 5.0
_SEND_POLL_SECONDS = 0.002


def reset(transport: asyncio.Transport | None) -> None:
    """Drop the connection with a TCP RST; nothing still queued is sent."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def close(transport: asyncio.Transport | None) -> None:
    """Close the connection cleanly (FIN) once queued bytes are sent."""
    if transport is not None and not transport.is_closing():
        transport.close()


async def wait_until_sent(transport: asyncio.Transport | None) -> None:
    """Wait, with a deadline, until every byte written to ``transport`` has left this host.

    Both the event loop's buffer and the kernel's send queue (TIOCOUTQ, Linux) must be empty.
    """
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _SEND_DEADLINE_SECONDS
    while loop.time() < deadline and not transport.is_closing():
        if transport.get_write_buffer_size() == 0 and _kernel_unsent(sock) == 0:
            return
        await asyncio.sleep(_SEND_POLL_SECONDS)


def _kernel_unsent(sock: socket.socket | None) -> int:
    """Bytes in the kernel send queue not yet acknowledged by the peer (0 if unknown)."""
    if sock is None:
        return 0
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except OSError:
        return 0
    unsent: int = struct.unpack("i", raw)[0]
    return unsent
