"""Acceptance-run figures: pabot vs sequential wall time, consecutive green runs, leftovers.

Runs the default acceptance selection (everything but ``slow``) the way users do: ``robot`` for
the sequential baseline and ``pabot`` for the parallel run, side by side in one benchmark run.
After each run, and after a Ctrl-C (SIGINT to the run's process group, as a terminal sends it)
in the middle of one, it counts lab processes and listening loopback ports left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from lakeproof.net import wait_until

# Command-line fragments that identify the lab's component processes.
LAB_PROCESS_MARKERS = ("moto.server", "lakeproof.faultproxy", "lakeproof.refcluster", "distributed.cli.dask_")
DEFAULT_SELECTION = ("--exclude", "slow")
_RUN_TIMEOUT_S = 1800
_SETTLE_TIMEOUT_S = 20


@dataclass(frozen=True)
class AcceptanceRun:
    """One run of the suites: wall seconds, exit code, and what it left behind."""

    seconds: float
    rc: int
    leftover_processes: int
    leftover_ports: int


def lab_processes() -> list[psutil.Process]:
    """Processes of lab components (object store, proxy, coordinator, Dask) running now."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or ())
        if any(marker in command for marker in LAB_PROCESS_MARKERS):
            found.append(process)
    return found


def listening_loopback_ports() -> set[int]:
    """TCP ports listening on 127.0.0.1 now."""
    return {
        connection.laddr.port
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.ip == "127.0.0.1"
    }


def _environment() -> dict[str, str]:
    # pabot starts its workers as plain `robot`: this interpreter's scripts must come first on PATH.
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def robot_argv(parallel: bool, output_dir: Path, suites: str, processes: int) -> list[str]:
    """The sequential (``robot``) or parallel (``pabot``) command for the default selection."""
    common = ["--outputdir", str(output_dir), *DEFAULT_SELECTION, suites]
    if parallel:
        return [
            sys.executable,
            "-m",
            "pabot.pabot",
            "--processes",
            str(processes),
            "--pabotlibport",
            "0",
            *common,
        ]
    return [sys.executable, "-m", "robot", *common]


def _leftovers(ports_before: set[int]) -> tuple[int, int]:
    """Lab processes and new listening ports still there once a short settling deadline passes."""
    with contextlib.suppress(TimeoutError):  # what is left after the deadline is the figure
        wait_until(
            lambda: not lab_processes() and not (listening_loopback_ports() - ports_before),
            _SETTLE_TIMEOUT_S,
            "lab processes and ports to go",
        )
    return len(lab_processes()), len(listening_loopback_ports() - ports_before)


def _start(argv: Sequence[str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start a suite run quietly, in its own process group (like a job in a terminal)."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    """A run that outlived its deadline (or whose caller failed) is killed with its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_acceptance(argv: Sequence[str], cwd: Path) -> AcceptanceRun:
    """Run ``argv`` to completion and measure it."""
    ports_before = listening_loopback_ports()
    began = time.perf_counter()
    process = _start(argv, cwd)
    try:
        rc = process.wait(timeout=_RUN_TIMEOUT_S)
    finally:
        _kill_if_running(process)
    seconds = time.perf_counter() - began
    return AcceptanceRun(seconds, rc, *_leftovers(ports_before))


def interrupt_acceptance(argv: Sequence[str], cwd: Path, start_timeout: float = 120.0) -> AcceptanceRun:
    """Start ``argv``, press Ctrl-C once its first cluster is up, and measure what is left behind."""
    ports_before = listening_loopback_ports()
    began = time.perf_counter()
    process = _start(argv, cwd)
    try:
        wait_until(
            lambda: any("lakeproof.refcluster" in " ".join(p.info["cmdline"] or ()) for p in lab_processes()),
            start_timeout,
            "a lab with a cluster to start",
        )
        os.killpg(process.pid, signal.SIGINT)
        rc = process.wait(timeout=_RUN_TIMEOUT_S)
    finally:
        _kill_if_running(process)
    seconds = time.perf_counter() - began
    return AcceptanceRun(seconds, rc, *_leftovers(ports_before))
