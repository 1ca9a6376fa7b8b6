"""The coordinator process: read its config, connect to the Dask scheduler, serve the API.

Started by the lab with ``--config FILE --ready-file FILE``; writes ``{"pid", "port"}`` to the
ready file once it listens. SIGTERM or SIGINT stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from lakeproof.errors import LakeproofError
from lakeproof.net import LOOPBACK
from lakeproof.procs import USAGE_EXIT, announce_and_wait_for_stop
from lakeproof.refcluster.engine import Engine, EngineConfig
from lakeproof.refcluster.server import CoordinatorApi


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lakeproof.refcluster",
        description="The reference cluster's coordinator: an HTTP JSON query API on 127.0.0.1 that "
        "distributes split reads to Dask data nodes.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        help="JSON file: scheduler address (or null for no nodes), API port, reader endpoints",
    )
    parser.add_argument("--ready-file", type=Path, help="where to write {pid, port} once listening")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


async def _serve(api: CoordinatorApi, port: int, ready_file: Path | None) -> None:
    # handler_cancellation: a client that disconnects cancels its handler, and so its query.
    runner = web.AppRunner(api.app(), access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, port)
    await site.start()
    try:
        await announce_and_wait_for_stop(ready_file, {"pid": os.getpid(), "port": runner.addresses[0][1]})
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit code 2 with one line on a bad config."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = EngineConfig.load(args.config)
        engine = Engine(config)
    except LakeproofError as exc:
        print(f"coordinator: {exc}", file=sys.stderr)
        return USAGE_EXIT
    try:
        asyncio.run(_serve(CoordinatorApi(engine), config.port, args.ready_file))
    finally:
        engine.close()
    return 0
