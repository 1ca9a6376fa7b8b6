"""Command line of the fault proxy, as the lab runs it in a child process.

    python -m lakeproof.faultproxy --upstream http://127.0.0.1:5000 \\
        --listener coordinator --listener node-1=0 --listener node-2=9123 \\
        --control-port 0 --ready-file /tmp/proxy.ready.json

Once every port is bound it writes ``{"pid", "control", "listeners": {name: port}}`` to the
ready file (atomically: a reader never sees half a file). SIGTERM or SIGINT stop it cleanly
(exit 0, ready file removed). A bad argument or a port in use: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.faultproxy.server import FaultProxy, check_listeners
from lakeproof.procs import USAGE_EXIT, announce_and_wait_for_stop

_log = logging.getLogger("lakeproof.faultproxy")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lakeproof.faultproxy",
        description="S3-aware fault-injecting reverse proxy: one loopback listener per reader, "
        "plus a JSON control API to add fault rules and read statistics.",
    )
    parser.add_argument(
        "--upstream",
        required=True,
        help="URL of the S3 endpoint behind the proxy, e.g. http://127.0.0.1:5000",
    )
    parser.add_argument(
        "--listener",
        action="append",
        required=True,
        metavar="NAME[=PORT]",
        help="a listener for the reader NAME (coordinator, node-1, ...) on 127.0.0.1:PORT; "
        "PORT 0 or no PORT lets the OS pick a free one. Repeat for every reader.",
    )
    parser.add_argument(
        "--listen-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address the listeners bind to (default 127.0.0.1); 0.0.0.0 or a bridge's address lets "
        "containers reach them; the control API stays on 127.0.0.1",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=0,
        help="port of the control API on 127.0.0.1 (default 0: any free)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        help='where to write {"pid", "control", "listeners"} as JSON once every port is bound',
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level on stderr; info logs one access line per request (default info)",
    )
    return parser


def parse_listeners(specs: Sequence[str]) -> dict[str, int]:
    """``["coordinator", "node-1=9123"]`` -> ``{"coordinator": 0, "node-1": 9123}``."""
    listeners: dict[str, int] = {}
    for spec in specs:
        name, _, port_text = spec.partition("=")
        if name in listeners:
            raise ConfigError(f"listener {name!r} is given twice; every listener needs its own name")
        try:
            listeners[name] = int(port_text or "0")
        except ValueError:
            raise ConfigError(
                f"invalid port {port_text!r} in --listener {spec!r}; use NAME or NAME=PORT with a number"
            ) from None
    return check_listeners(listeners)


async def serve(proxy: FaultProxy, ready_file: Path | None) -> None:
    """Run ``proxy`` until SIGTERM or SIGINT."""
    await proxy.start()
    try:
        info = proxy.ready_info()
        _log.info(
            "fault proxy ready: upstream %s, control %s, listeners %s",
            proxy.upstream,
            info["control"],
            info["listeners"],
        )
        await announce_and_wait_for_stop(ready_file, info)
        _log.info("fault proxy stopping")
    finally:
        await proxy.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        proxy = FaultProxy(args.upstream, parse_listeners(args.listener), args.control_port, args.listen_host)
        asyncio.run(serve(proxy, args.ready_file))
    except LakeproofError as exc:
        print(f"fault proxy: {exc}", file=sys.stderr)
        return USAGE_EXIT
    return 0
